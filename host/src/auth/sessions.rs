//! Sign-in, sessions, API tokens and login rate limiting.
//!
//! A session or token is a random 256-bit secret; only its SHA-256 is stored (a fast hash is
//! right here: the secret is random, unlike a password). Failed logins are stored too, so the
//! per-account and per-address limits hold across restarts and across host instances.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::{Assignment, Principal, Role, password};
use crate::config::AuthSettings;
use crate::db::now;
use crate::error::{Error, Problems, Result};

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes as 64 hex digits (also the web forms' CSRF tokens).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_secret() -> String {
    format!("sohoa_{}", random_secret())
}

fn stamp_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a new session or token may do, beyond its user's roles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub read_only: bool,
    /// Only this unit's subtree.
    pub unit_id: Option<i64>,
}

/// Stores a new session or token for the user and returns (id, secret). The secret is shown
/// once; only its hash is kept.
pub async fn issue(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    name: &str,
    limits: Limits,
    lifetime_secs: i64,
) -> Result<(i64, String)> {
    let secret = new_secret();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (user_id, token_hash, kind, name, read_only, unit_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(user_id)
    .bind(digest(&secret))
    .bind(kind)
    .bind(name)
    .bind(i64::from(limits.read_only))
    .bind(limits.unit_id)
    .bind(now())
    .bind(stamp_in(lifetime_secs))
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, secret))
}

/// A new session: the secret goes to the client once, in the cookie.
#[derive(Debug)]
pub struct NewSession {
    pub secret: String,
    pub expires_at: String,
    pub user_id: i64,
}

/// Counts recent failures, this attempt's own record among them ([`record_attempt`]), and
/// refuses with 429 (and when to retry) past the limits.
async fn check_rate(
    conn: &mut AnyConnection,
    auth: &AuthSettings,
    username: &str,
    address: &str,
) -> Result<()> {
    let window = auth.login_window_minutes * 60;
    let since = stamp_in(-window);
    for (column, key, limit) in [
        ("username", username, auth.max_failures_per_account),
        ("address", address, auth.max_failures_per_address),
    ] {
        let (count, oldest): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE {column} = $1 AND at > $2"
        ))
        .bind(key)
        .bind(&since)
        .fetch_one(&mut *conn)
        .await?;
        // The count includes this attempt, recorded before it was counted.
        if count > limit {
            let retry_after = oldest
                .and_then(|o| chrono::DateTime::parse_from_rfc3339(&o).ok())
                .map(|o| (o.timestamp() + window - chrono::Utc::now().timestamp()).max(1))
                .unwrap_or(window);
            let whom = if column == "username" { "this account" } else { "this address" };
            return Err(Error::TooManyRequests {
                message: format!("too many failed sign-ins for {whom}; try again in {retry_after} s"),
                retry_after_secs: retry_after as u64,
            });
        }
    }
    Ok(())
}

/// Records a sign-in attempt as a failure before its password is checked; a right password
/// deletes it (with the account's earlier failures). Counting after recording is what keeps
/// the limits under concurrency: checked first and written after the password, twenty
/// attempts sent at once were all counted against the same few failures and all let through
/// (seven wrong passwords for an account limited to five). Now the k-th attempt recorded sees
/// at least k, so at most `limit` attempts in a window ever reach the password check.
async fn record_attempt(conn: &mut AnyConnection, username: &str, address: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(username)
    .bind(address)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?)
}

/// How long a sign-in refused by the limits waits for the checks in flight to end, before it
/// says why it was refused: a password check takes tens of milliseconds.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// A refusal by the limits ([`check_rate`]), said as what it was. Attempts being checked count
/// against the limits as failures until they end ([`record_attempt`]), so sign-ins to one
/// account (or from one address) at the same moment beyond the limit are refused though
/// none failed: a helper's seven right passwords at once got two "too many failed sign-ins;
/// try again in 900 s". Once the checks in flight have ended (right ones clear their
/// records), the failures left are counted again: below the limits, the refusal was only the
/// moment's, and it says so and asks for a retry in a second; at the limits, it stands.
/// Errors: the database's.
async fn said_as_it_is(
    pool: &sqlx::AnyPool,
    auth: &AuthSettings,
    username: &str,
    address: &str,
    refused: Error,
) -> Result<Error> {
    tokio::time::sleep(SETTLE).await;
    let mut conn = pool.acquire().await?;
    let since = stamp_in(-auth.login_window_minutes * 60);
    for (column, key, limit) in [
        ("username", username, auth.max_failures_per_account),
        ("address", address, auth.max_failures_per_address),
    ] {
        let failures: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM login_failures WHERE {column} = $1 AND at > $2"
        ))
        .bind(key)
        .bind(&since)
        .fetch_one(&mut *conn)
        .await?;
        // A new attempt would be refused: the failures are the limit's.
        if failures >= limit {
            return Ok(refused);
        }
    }
    Ok(Error::TooManyRequests {
        message: "too many sign-ins at the same moment for this account or address; try again in a second"
            .into(),
        retry_after_secs: 1,
    })
}

/// Removes an attempt's record: one refused by the limits is not a failure of its own (else
/// an attacker who keeps trying would keep the account locked past its window).
async fn forget_attempt(conn: &mut AnyConnection, attempt: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(attempt).execute(&mut *conn).await?;
    Ok(())
}

/// Checks the password and opens a session; a failure is counted against the account and the
/// address ([`record_attempt`]). No connection is held while the password is checked (tens
/// of milliseconds, queued behind other sign-ins: [`password`]), so a burst of sign-ins does
/// not take the pool from other requests.
pub async fn login(
    pool: &sqlx::AnyPool,
    auth: &AuthSettings,
    username: &str,
    secret_password: &str,
    address: &str,
) -> Result<NewSession> {
    let username = username.trim().to_lowercase();
    let user: Option<(i64, String, i64)> = {
        let mut conn = pool.acquire().await?;
        let attempt = record_attempt(&mut conn, &username, address).await?;
        if let Err(refused) = check_rate(&mut conn, auth, &username, address).await {
            forget_attempt(&mut conn, attempt).await?;
            drop(conn);
            return Err(said_as_it_is(pool, auth, &username, address, refused).await?);
        }
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE username = $1")
            .bind(&username)
            .fetch_optional(&mut *conn)
            .await?
    };
    let ok = match &user {
        Some((_, hash, active)) => password::verify(secret_password, hash).await? && *active == 1,
        None => {
            password::verify_nothing(secret_password).await?;
            false
        }
    };
    if !ok {
        // The attempt's record stays: it is the failure.
        return Err(Error::Unauthorized("wrong username or password".into()));
    }
    let (user_id, checked_hash, _) = user.expect("ok implies a user");
    let mut conn = pool.acquire().await?;
    sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(&username).execute(&mut *conn).await?;
    let lifetime = auth.session_hours * 3600;
    let expires_at = stamp_in(lifetime);
    // The password was checked against the hash read before the (slow) check: a password
    // changed or an account deactivated meanwhile must not get a session (a helper's sign-ins
    // with the old password, sent as it was changed, all got working sessions). The session
    // is written only if the account still has that hash and is active, in one statement.
    let secret = new_secret();
    let issued: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sessions (user_id, token_hash, kind, name, read_only, unit_id, created_at, expires_at) \
         SELECT $1, $2, 'session', '', 0, NULL, $3, $4 \
         WHERE EXISTS (SELECT 1 FROM users WHERE id = $1 AND password_hash = $5 AND active = 1) RETURNING id",
    )
    .bind(user_id)
    .bind(digest(&secret))
    .bind(now())
    .bind(&expires_at)
    .bind(&checked_hash)
    .fetch_optional(&mut *conn)
    .await?;
    if issued.is_none() {
        return Err(Error::Unauthorized("wrong username or password".into()));
    }
    Ok(NewSession { secret, expires_at, user_id })
}

/// Checks `owner`'s password again before a step that outlives the session. A wrong one is a
/// failed sign-in for the account and the address (the same limits apply). Errors: 429 past
/// the limits, 422 on `password`. Call on a plain connection: failures must be kept.
pub async fn confirm_password(
    conn: &mut AnyConnection,
    auth: &AuthSettings,
    owner: &Principal,
    secret_password: &str,
    address: &str,
) -> Result<()> {
    let attempt = record_attempt(conn, &owner.username, address).await?;
    if let Err(refused) = check_rate(conn, auth, &owner.username, address).await {
        forget_attempt(conn, attempt).await?;
        return Err(refused);
    }
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(owner.user_id)
        .fetch_one(&mut *conn)
        .await?;
    if password::verify(secret_password, &hash).await? {
        // A right password is no failure; the account's earlier ones stay counted.
        forget_attempt(conn, attempt).await?;
        return Ok(());
    }
    Err(Error::field("password", "is not this account's password (it is asked again before a token is made)"))
}

/// One row per role of the session's user (one row with no role when they hold none).
#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    user_id: i64,
    username: String,
    display_name: String,
    read_only: i64,
    unit_id: Option<i64>,
    last_used_at: Option<String>,
    role_id: Option<i64>,
    role: Option<String>,
    role_unit_id: Option<i64>,
    role_unit_code: Option<String>,
    role_unit_name: Option<String>,
    role_team_id: Option<i64>,
}

/// The caller a secret belongs to, if the secret is live and the user active: the session,
/// its user and the user's roles in one query (every request of a signed-in caller asks
/// this, and each query is a round trip: to SQLite's worker thread, or PostgreSQL).
/// Errors: the database's.
pub async fn principal(conn: &mut AnyConnection, secret: &str) -> Result<Option<Principal>> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT s.id AS session_id, u.id AS user_id, u.username, u.display_name, s.read_only, s.unit_id, \
           s.last_used_at, a.id AS role_id, a.role, a.unit_id AS role_unit_id, ru.code AS role_unit_code, \
           (SELECT v.name FROM unit_versions v WHERE v.unit_id = ru.id ORDER BY v.id DESC LIMIT 1) AS role_unit_name, \
           a.team_id AS role_team_id \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN role_assignments a ON a.user_id = u.id LEFT JOIN units ru ON ru.id = a.unit_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active = 1 \
         ORDER BY a.id",
    )
    .bind(digest(secret))
    .bind(now())
    .fetch_all(&mut *conn)
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    // Note the last use, at most every five minutes: a write per request would be wasteful.
    let stale = first.last_used_at.as_deref().is_none_or(|t| t < stamp_in(-300).as_str());
    if stale {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(now())
            .bind(first.session_id)
            .execute(&mut *conn)
            .await?;
    }
    let assignments = rows
        .iter()
        .filter_map(|r| {
            Some(Assignment {
                id: r.role_id?,
                role: Role::parse(r.role.as_deref()?)?,
                unit_id: r.role_unit_id?,
                unit_code: r.role_unit_code.clone()?,
                unit_name: r.role_unit_name.clone().unwrap_or_default(),
                team_id: r.role_team_id,
            })
        })
        .collect();
    let first = rows.into_iter().next().expect("checked above");
    Ok(Some(Principal {
        user_id: first.user_id,
        username: first.username,
        display_name: first.display_name,
        assignments,
        session_id: first.session_id,
        read_only: first.read_only == 1,
        token_unit: first.unit_id,
    }))
}

/// A user's roles, with their units' current (or last) names.
pub async fn assignments(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Assignment>> {
    Ok(assignments_of(conn, &[user_id]).await?.remove(&user_id).unwrap_or_default())
}

/// The role assignments of each of `user_ids` (a page of a list: keep it to a few hundred,
/// SQLite binds parameters in time quadratic in their number), in the order they were given,
/// by user id; a user holding none is absent. One query. Errors: the database's.
pub async fn assignments_of(
    conn: &mut AnyConnection,
    user_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Assignment>>> {
    let mut by_user: std::collections::HashMap<i64, Vec<Assignment>> = Default::default();
    if user_ids.is_empty() {
        return Ok(by_user);
    }
    let mut sql = crate::db::Sql::new(
        "SELECT a.user_id, a.id, a.role, a.unit_id, u.code, \
           (SELECT v.name FROM unit_versions v WHERE v.unit_id = u.id ORDER BY v.id DESC LIMIT 1), a.team_id \
         FROM role_assignments a JOIN units u ON u.id = a.unit_id WHERE a.user_id IN ",
    );
    sql.push_tuples(1, user_ids.len());
    for id in user_ids {
        sql.arg(*id);
    }
    sql.push(" ORDER BY a.id");
    // user id, assignment id, role, unit id, code and name, team id
    type Row = (i64, i64, String, i64, String, String, Option<i64>);
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    for (user_id, id, role, unit_id, unit_code, unit_name, team_id) in rows {
        let Some(role) = Role::parse(&role) else { continue };
        by_user.entry(user_id).or_default().push(Assignment {
            id,
            role,
            unit_id,
            unit_code,
            unit_name,
            team_id,
        });
    }
    Ok(by_user)
}

pub async fn revoke_session(conn: &mut AnyConnection, session_id: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now())
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Asking for an API token.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. "báo cáo tự động".
    pub name: Option<String>,
    /// The account's password, asked again: a token outlives the session that makes it, so
    /// a stolen session cookie alone must not be enough to make one. A wrong password counts
    /// as a failed sign-in.
    pub password: String,
    /// Days until it expires (default 30, at most `auth.token_max_days`).
    pub expires_in_days: Option<i64>,
    /// Only reads; every write is refused.
    #[serde(default)]
    pub read_only: bool,
    /// Limit the token to this unit's subtree (within the caller's own scope).
    pub unit_code: Option<String>,
}

/// An API token as listed (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub read_only: bool,
    pub unit_code: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A freshly minted token: `token` is shown this once and never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MintedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Mints an API token for `owner` after checking their password again ([`confirm_password`]).
/// Errors: 429 past the sign-in limits; 422 naming `password` (wrong), `name`,
/// `expires_in_days` or `unit_code` (outside the owner's scope).
pub async fn create_token(
    conn: &mut AnyConnection,
    auth: &AuthSettings,
    owner: &Principal,
    input: NewToken,
    address: &str,
) -> Result<MintedToken> {
    confirm_password(conn, auth, owner, &input.password, address).await?;
    let mut p = Problems::default();
    let name = input.name.as_deref().map(crate::text::clean).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        p.add("name", "is required (at most 100 characters)");
    }
    let days = input.expires_in_days.unwrap_or(30);
    if !(1..=auth.token_max_days).contains(&days) {
        p.add("expires_in_days", format!("must be between 1 and {}", auth.token_max_days));
    }
    let mut unit_id = None;
    if let Some(code) = input.unit_code.as_deref().filter(|c| !c.is_empty()) {
        match crate::units::id_of(conn, code).await {
            Ok(id)
                if owner
                    .can(conn, super::Action::TeamsRead, super::Target { unit_id: id, team_id: None })
                    .await? =>
            {
                unit_id = Some(id)
            }
            _ => p.add("unit_code", format!("unit '{code}' is not within your scope")),
        }
    }
    p.into_result()?;
    // A token never outlives or outreaches the session that minted it.
    let limits =
        Limits { read_only: input.read_only || owner.read_only, unit_id: unit_id.or(owner.token_unit) };
    let (id, secret) = issue(conn, owner.user_id, "token", &name, limits, days * 86_400).await?;
    let info =
        list_tokens(conn, owner.user_id).await?.into_iter().find(|t| t.id == id).expect("just inserted");
    Ok(MintedToken { token: secret, info })
}

pub async fn list_tokens(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<TokenInfo>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        read_only: i64,
        unit_code: Option<String>,
        created_at: String,
        expires_at: String,
        revoked_at: Option<String>,
        last_used_at: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id, s.name, s.read_only, u.code AS unit_code, s.created_at, s.expires_at, s.revoked_at, s.last_used_at \
         FROM sessions s LEFT JOIN units u ON u.id = s.unit_id WHERE s.user_id = $1 AND s.kind = 'token' ORDER BY s.id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenInfo {
            id: r.id,
            name: r.name,
            read_only: r.read_only == 1,
            unit_code: r.unit_code,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// Revokes one of the user's own tokens; another user's token is "not found".
pub async fn revoke_token(conn: &mut AnyConnection, user_id: i64, token_id: i64) -> Result<()> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM sessions WHERE id = $1 AND kind = 'token'")
            .bind(token_id)
            .fetch_optional(&mut *conn)
            .await?;
    if owner != Some(user_id) {
        return Err(Error::NotFound(format!("token {token_id}")));
    }
    revoke_session(conn, token_id).await
}
