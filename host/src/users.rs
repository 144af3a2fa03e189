//! User accounts and their role assignments.
//!
//! Usernames are lower case. Passwords must pass [`crate::auth::password::check_strength`].
//! An administrator manages the users who hold a role inside their own subtree, and may only
//! hand out roles at units inside it.

mod routes;

pub use routes::routes;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change};
use crate::auth::{Assignment, Role, password, sessions};
use crate::db::now;
use crate::error::{Error, Problems, Result};
use crate::text;

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub roles: Vec<Assignment>,
    pub created_at: String,
}

/// A role to hand out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// province_admin, district_culture, district_home_affairs, district_youth_union,
    /// district_leader, commune_officer, team_leader or viewer.
    pub role: String,
    /// The unit the role is held at (for a team leader: leave out, the team's unit is used).
    pub unit_code: Option<String>,
    /// For a team leader: the team.
    pub team_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<String>,
    #[serde(default, deserialize_with = "crate::api::records")]
    pub roles: Vec<NewRole>,
}

/// A role after its checks: the unit (and team) it applies to.
#[derive(Debug, Clone, Copy)]
pub struct CheckedRole {
    pub role: Role,
    pub unit_id: i64,
    pub team_id: Option<i64>,
}

pub async fn check_role(conn: &mut AnyConnection, input: &NewRole) -> Result<CheckedRole> {
    let Some(role) = Role::parse(input.role.trim()) else {
        let expected = Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
        return Err(Error::field(
            "role",
            format!("'{}' is not one of {expected}", text::quoted(&input.role)),
        ));
    };
    match (role, input.team_id) {
        (Role::TeamLeader, None) => Err(Error::field("team_id", "a team leader's role names the team")),
        (Role::TeamLeader, Some(team_id)) => {
            let unit: Option<i64> = sqlx::query_scalar("SELECT unit_id FROM teams WHERE id = $1")
                .bind(team_id)
                .fetch_optional(&mut *conn)
                .await?;
            let unit_id =
                unit.ok_or_else(|| Error::field("team_id", format!("team {team_id} does not exist")))?;
            Ok(CheckedRole { role, unit_id, team_id: Some(team_id) })
        }
        (_, Some(_)) => Err(Error::field("team_id", "only a team leader's role names a team")),
        (_, None) => {
            let code = input.unit_code.as_deref().map(str::trim).unwrap_or_default();
            if code.is_empty() {
                return Err(Error::field("unit_code", "is required"));
            }
            let unit_id = crate::units::id_of(conn, code).await.map_err(|_| {
                Error::field("unit_code", format!("unit '{}' does not exist", text::quoted(code)))
            })?;
            Ok(CheckedRole { role, unit_id, team_id: None })
        }
    }
}

fn valid_username(u: &str) -> bool {
    (3..=50).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<User> {
    let row: Option<(String, String, i64, String)> =
        sqlx::query_as("SELECT username, display_name, active, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (username, display_name, active, created_at) =
        row.ok_or_else(|| Error::NotFound(format!("user {id}")))?;
    Ok(User {
        id,
        username,
        display_name,
        active: active == 1,
        roles: sessions::assignments(conn, id).await?,
        created_at,
    })
}

/// Creates a user with already checked roles (the caller decides who may hand them out) and
/// `password`, `input.password` hashed by the caller before its write transaction began
/// ([`password::Hashed::of`]; `input.password` itself is not read). Errors: 422 naming the
/// fields (a weak password among them), 409 for a username taken; the database's.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: &NewUser,
    password: &password::Hashed,
    roles: &[CheckedRole],
) -> Result<User> {
    let mut p = Problems::default();
    let username = input.username.as_deref().unwrap_or("").trim().to_lowercase();
    if !valid_username(&username) {
        p.add("username", "3 to 50 lower-case letters, digits, '.', '_' or '-'");
    }
    let display_name = input.display_name.as_deref().map(text::clean).unwrap_or_default();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        p.add("display_name", "is required (at most 100 characters)");
    }
    if let Err(Error::Validation(e)) = password::check_strength(password.plain(), &username, &display_name) {
        p.0.extend(e);
    }
    p.into_result()?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict(format!("username '{username}' is taken")));
    }
    let stamp = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, active, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(&username)
    .bind(&display_name)
    .bind(password.phc()?)
    .bind(&stamp)
    .fetch_one(&mut *conn)
    .await?;
    for role in roles {
        insert_role(conn, id, role).await?;
    }
    let user = get(conn, id).await?;
    let change = Change::new("create", "user", id, roles.first().map(|r| r.unit_id)).after(&user);
    audit::record(conn, actor, change).await?;
    Ok(user)
}

async fn insert_role(conn: &mut AnyConnection, user_id: i64, role: &CheckedRole) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO role_assignments (user_id, role, unit_id, team_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(role.role.as_str())
    .bind(role.unit_id)
    .bind(role.team_id)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?)
}

pub async fn add_role(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: i64,
    role: &CheckedRole,
) -> Result<User> {
    let before = get(conn, user_id).await?;
    let duplicate = before
        .roles
        .iter()
        .any(|a| a.role == role.role && a.unit_id == role.unit_id && a.team_id == role.team_id);
    if duplicate {
        return Err(Error::Conflict("the user already holds this role there".into()));
    }
    insert_role(conn, user_id, role).await?;
    let after = get(conn, user_id).await?;
    let change =
        Change::new("grant", "user", user_id, Some(role.unit_id)).before(Some(&before)).after(&after);
    audit::record(conn, actor, change).await?;
    Ok(after)
}

pub async fn remove_role(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: i64,
    assignment_id: i64,
) -> Result<User> {
    let before = get(conn, user_id).await?;
    let Some(assignment) = before.roles.iter().find(|a| a.id == assignment_id) else {
        return Err(Error::NotFound(format!("role {assignment_id} of user {user_id}")));
    };
    // An account without roles is out of every administrator's scope: nobody could see it,
    // give it a role again or deactivate it, and its username would stay taken for good.
    if before.roles.len() == 1 {
        return Err(Error::Conflict(format!(
            "'{}' holds only this role; give the account another role first, or deactivate it \
             (PATCH /users/{user_id} with {{\"active\": false}})",
            before.username
        )));
    }
    let unit_id = assignment.unit_id;
    let was_admin = assignment.role == Role::ProvinceAdmin;
    sqlx::query("DELETE FROM role_assignments WHERE id = $1").bind(assignment_id).execute(&mut *conn).await?;
    if was_admin {
        ensure_administered(conn, unit_id).await?;
    }
    let after = get(conn, user_id).await?;
    let change = Change::new("revoke", "user", user_id, Some(unit_id)).before(Some(&before)).after(&after);
    audit::record(conn, actor, change).await?;
    Ok(after)
}

/// Refuses (409) a change that leaves `unit_id` without any active `province_admin` holding
/// the role there or at a unit above it: nobody could then manage its users or plugins, and
/// only the command line could repair it. Call it after the change, inside its transaction,
/// so that a refusal rolls the change back.
async fn ensure_administered(conn: &mut AnyConnection, unit_id: i64) -> Result<()> {
    let chain = crate::units::ancestors_or_self(conn, unit_id, &crate::dates::today_iso()).await?;
    let mut sql = crate::db::Sql::new(
        "SELECT COUNT(*) FROM role_assignments a JOIN users u ON u.id = a.user_id \
         WHERE a.role = 'province_admin' AND u.active = 1 AND a.unit_id IN (",
    );
    for (i, id) in chain.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    let remaining: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    if remaining == 0 {
        let code: String = sqlx::query_scalar("SELECT code FROM units WHERE id = $1")
            .bind(unit_id)
            .fetch_one(&mut *conn)
            .await?;
        return Err(Error::Conflict(format!(
            "this is the last active province_admin for unit '{code}'; grant the role to another \
             account first, or nobody could manage the province's users and plugins"
        )));
    }
    Ok(())
}

/// Changes to an account; a new password or deactivation also ends its sessions and tokens.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Applies `input` to user `id`; a new password comes as `password`, `input.password` hashed by
/// the caller before its write transaction began ([`password::Hashed::of`]; `input.password`
/// itself is not read). Errors: 404, 422 naming the fields; the database's.
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    input: &UserChange,
    password: Option<&password::Hashed>,
) -> Result<User> {
    let before = get(conn, id).await?;
    let mut p = Problems::default();
    let display_name = match &input.display_name {
        Some(n) => {
            let n = text::clean(n);
            if n.is_empty() || n.chars().count() > 100 {
                p.add("display_name", "is required (at most 100 characters)");
            }
            n
        }
        None => before.display_name.clone(),
    };
    if let Some(secret) = password
        && let Err(Error::Validation(e)) =
            password::check_strength(secret.plain(), &before.username, &display_name)
    {
        p.0.extend(e);
    }
    p.into_result()?;
    let active = input.active.unwrap_or(before.active);
    sqlx::query("UPDATE users SET display_name = $1, active = $2, updated_at = $3 WHERE id = $4")
        .bind(&display_name)
        .bind(i64::from(active))
        .bind(now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if let Some(secret) = password {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(secret.phc()?)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if before.active && !active {
        for unit_id in before.roles.iter().filter(|a| a.role == Role::ProvinceAdmin).map(|a| a.unit_id) {
            ensure_administered(conn, unit_id).await?;
        }
    }
    if password.is_some() || !active {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let after = get(conn, id).await?;
    let mut change = Change::new("update", "user", id, after.roles.first().map(|r| r.unit_id));
    change = change.before(Some(&before)).after(&after);
    change.reason = password.map(|_| "password changed".to_string());
    audit::record(conn, actor, change).await?;
    Ok(after)
}

/// Users holding at least one role inside the given subtrees (unit ids, on today's tree), by
/// id: at most `limit` from `offset`, with how many there are in all. Errors: the database's.
pub async fn list(
    conn: &mut AnyConnection,
    roots: &[i64],
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64)> {
    let subtree = crate::units::Subtree::read(conn, roots, &crate::dates::today_iso()).await?;
    let holders = "SELECT DISTINCT a.user_id FROM role_assignments a WHERE a.unit_id IN (SELECT id FROM sub)";
    let mut sql = crate::db::Sql::default();
    subtree.push_cte(&mut sql);
    sql.push(&format!("SELECT COUNT(*) FROM ({holders}) AS h"));
    let total: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    let mut sql = crate::db::Sql::default();
    subtree.push_cte(&mut sql);
    sql.push(&format!("{holders} ORDER BY a.user_id LIMIT ")).bind(limit).push(" OFFSET ").bind(offset);
    let ids: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    // The page's accounts and their roles: two queries, whatever the page's size.
    let mut sql =
        crate::db::Sql::new("SELECT id, username, display_name, active, created_at FROM users WHERE id IN ");
    sql.push_tuples(1, ids.len());
    for id in &ids {
        sql.arg(*id);
    }
    sql.push(" ORDER BY id");
    let rows: Vec<(i64, String, String, i64, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut roles = sessions::assignments_of(conn, &ids).await?;
    let users = rows
        .into_iter()
        .map(|(id, username, display_name, active, created_at)| User {
            id,
            username,
            display_name,
            active: active == 1,
            roles: roles.remove(&id).unwrap_or_default(),
            created_at,
        })
        .collect();
    Ok((users, total))
}
