//! Each team's current composition findings, kept in `team_checks` so that pages read them
//! with indexed queries instead of running every rule over the whole scope on every load.
//!
//! **What keeps them current.** Database triggers (migration 0011) mark a team stale in the
//! same transaction as any change to the team, its memberships, its members' personal records
//! or its placement, so no write path can forget; a composition binding's change marks its
//! unit's subtree ([`mark_under`], called by `plugins::bindings`); a change of the unit tree
//! moves `check_epoch`, and the day changing moves `as_of`: both make every row stale at once
//! ([`roll_over`]). A row is current when `stale = 0`, its `as_of` is today and its `epoch` is
//! the tree's.
//!
//! **Who recomputes.** A page computes the stale teams it is about to show itself when they
//! are few ([`refresh_scope`], [`current`]: at most [`INLINE_LIMIT`]), so an officer who has
//! just added the missing member sees the finding gone. Everything else is done by the
//! background [`Refresher`] of every host instance: it claims up to [`BATCH`] stale rows with
//! a lease (so two instances never take the same rows, and rows claimed by an instance that
//! died are taken again when the lease ends), runs the rules one call per plugin version and
//! parameters, and stores the results. A row changed again while its rule ran keeps its newer
//! mark (`generation`), so no change is lost. Pages say how many teams in their scope are
//! being refreshed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::AnyConnection;

use super::composition::{CheckResult, Finding, gather};
use crate::db::{Db, Sql, now};
use crate::error::Result;
use crate::plugins::Runtime;
use crate::units::Subtree;

/// Stale teams a page computes itself before answering; beyond that it shows the stored
/// findings and says they are being refreshed. 200 teams take about 2 ms of plugin time
/// (docs/BENCHMARKS.md) and a few hundred small reads.
pub const INLINE_LIMIT: i64 = 200;
/// Rows one refresher claims and recomputes at a time.
pub const BATCH: i64 = 500;
/// How long a claim holds before another instance may take the rows.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// How often an idle refresher looks for stale rows when no notices come (SQLite: one
/// instance, whose own marks it finds within this).
const POLL: Duration = Duration::from_millis(250);
/// How often it looks when PostgreSQL's notices wake it at each mark (`crate::changes`): only
/// a fallback for notices lost while the listening connection was down.
const POLL_NOTIFIED: Duration = Duration::from_secs(5);

/// Appends SQL that is true for a row of `team_checks c` that is not current on `today` (ISO):
/// marked stale, computed for another day, or for another unit tree.
fn push_stale(sql: &mut Sql, today: &str) {
    sql.push("(c.stale = 1 OR c.as_of IS NULL OR c.as_of <> ")
        .bind(today.to_string())
        .push(" OR c.epoch <> (SELECT n FROM check_epoch WHERE id = 1))");
}

/// A team's stored check, as a list line shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Stored {
    pub team_id: i64,
    /// `plugin_id@version` that ran; None when no rule applies to the team.
    pub plugin: Option<String>,
    /// Error findings.
    pub errors: i64,
    /// Why the rule could not run, when it could not.
    pub failure: Option<String>,
    /// 1 while not yet recomputed since the team, its rule or the day changed ([`Stored::is_stale`]).
    stale: i64,
    #[serde(skip)]
    generation: i64,
}

impl Stored {
    /// Not yet recomputed since the team, its rule or the day changed.
    pub fn is_stale(&self) -> bool {
        self.stale == 1
    }
}

/// What [`compute`] writes for one team.
struct Outcome {
    team_id: i64,
    generation: i64,
    plugin: Option<String>,
    params: Option<String>,
    findings: Vec<Finding>,
    failure: Option<String>,
    /// No leader served on the day the findings are for (whatever the rule says).
    leaderless: bool,
}

/// Reads the `claimed` teams (team id, generation when claimed) and their rules, runs the
/// rules (no connection held while they run) and stores each result; a row changed again
/// meanwhile (its generation moved on) gets the result but stays stale. Returns how many rows
/// were made current. Errors: 503 `busy` when the host has no capacity for plugin work (nothing
/// stored); the database's.
pub async fn compute(db: &Db, runtime: &Arc<Runtime>, claimed: &[(i64, i64)], today: &str) -> Result<usize> {
    if claimed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = claimed.iter().map(|c| c.0).collect();
    let (gathered, epoch) = {
        let mut conn = db.pool.acquire().await?;
        // The epoch is read first: a tree changed while the rules run leaves these rows stale.
        let epoch = epoch(&mut conn).await?;
        (gather(&mut conn, runtime, &ids, today).await?, epoch)
    };
    let results = gathered.judge_each(runtime).await?;
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .zip(&gathered.subjects)
        .zip(results)
        .map(|((&(team_id, generation), subject), result)| {
            let leaderless = !has_leader(&subject.input, today);
            let params = subject
                .rule
                .as_ref()
                .map(|r| serde_json::Value::Object(r.binding.params.clone()).to_string());
            match result {
                Ok(CheckResult { plugin, findings, .. }) => Outcome {
                    team_id,
                    generation,
                    plugin: plugin.map(|p| format!("{}@{}", p.plugin_id, p.version)),
                    params,
                    findings,
                    failure: None,
                    leaderless,
                },
                Err(failure) => Outcome {
                    team_id,
                    generation,
                    plugin: subject.rule.as_ref().map(|r| r.label()),
                    params,
                    findings: Vec::new(),
                    failure: Some(failure.to_string()),
                    leaderless,
                },
            }
        })
        .collect();
    store(db, &outcomes, today, epoch).await
}

async fn store(db: &Db, outcomes: &[Outcome], today: &str, epoch: i64) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let at = now();
    let mut current = 0;
    for o in outcomes {
        let errors = o.findings.iter().filter(|f| f.severity == "error").count() as i64;
        let warnings = o.findings.iter().filter(|f| f.severity == "warning").count() as i64;
        let first_error = o.findings.iter().find(|f| f.severity == "error").map(|f| f.message.clone());
        let findings =
            serde_json::to_string(&o.findings).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE team_checks SET stale = CASE WHEN generation = $1 THEN 0 ELSE 1 END, as_of = $2, epoch = $3, \
               plugin = $4, params = $5, errors = $6, warnings = $7, first_error = $8, findings = $9, failure = $10, \
               computed_at = $11, leaderless = $12, lease_owner = NULL, lease_until = NULL \
             WHERE team_id = $13",
        )
        .bind(o.generation)
        .bind(today)
        .bind(epoch)
        .bind(&o.plugin)
        .bind(&o.params)
        .bind(errors)
        .bind(warnings)
        .bind(&first_error)
        .bind(&findings)
        .bind(&o.failure)
        .bind(&at)
        .bind(i64::from(o.leaderless))
        .bind(o.team_id)
        .execute(&mut *tx)
        .await?;
        current += done.rows_affected() as usize;
    }
    tx.commit().await?;
    Ok(current)
}

/// Whether a member whose position is leader serves `team` on `as_of` (ISO): joined on or
/// before it and not left by then, as the home page has always counted leaders.
fn has_leader(team: &crate::plugins::types::Team, as_of: &str) -> bool {
    let day = super::composition::day(as_of);
    team.members.iter().any(|m| {
        m.position == crate::plugins::types::Position::Leader
            && m.joined_on <= day
            && m.left_on.is_none_or(|left| left > day)
    })
}

async fn epoch(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT n FROM check_epoch WHERE id = 1").fetch_one(&mut *conn).await?)
}

/// Marks stale every team placed today in `unit_id`'s subtree: what a change of the
/// composition binding at that unit affects. Call inside the binding's transaction.
/// Errors: the database's.
pub async fn mark_under(conn: &mut AnyConnection, unit_id: i64) -> Result<u64> {
    let today = crate::dates::today_iso();
    let mut sql = Sql::default();
    Subtree::read(conn, &[unit_id], &today).await?.push_cte(&mut sql);
    sql.push(", ");
    super::push_placed_cte(&mut sql, &today);
    sql.push(
        " UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id IN \
         (SELECT t.id FROM teams t LEFT JOIN placed pl ON pl.team_id = t.id \
          WHERE ",
    );
    sql.push(super::PLACED_IN_SUB);
    sql.push(")");
    Ok(sql.query().execute(&mut *conn).await?.rows_affected())
}

/// Marks stale, once, every row computed for another day or another unit tree than `today`
/// and `epoch`. Idempotent: instances that race to do it do the same thing.
async fn roll_over(db: &Db, today: &str, epoch: i64) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE team_checks SET stale = 1, generation = generation + 1 \
         WHERE stale = 0 AND (as_of IS NULL OR as_of <> $1 OR epoch <> $2)",
    )
    .bind(today)
    .bind(epoch)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Now and the end of a lease taken now, as stored (UTC, RFC 3339 with milliseconds, which
/// sort as text).
fn lease_window() -> (String, String) {
    let now = chrono::Utc::now();
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    (stamp(now), stamp(now + LEASE))
}

/// Claims up to `limit` stale rows no live lease holds, for `owner` until the lease ends:
/// their team ids and generations. The lease condition is checked again on the row itself,
/// so when two instances race for the same rows (PostgreSQL re-reads a row it waited for) only
/// one gets each.
pub async fn claim(db: &Db, owner: &str, limit: i64) -> Result<Vec<(i64, i64)>> {
    let (at, until) = lease_window();
    let mut tx = db.begin_write().await?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "UPDATE team_checks SET lease_owner = $1, lease_until = $2 \
         WHERE team_id IN (SELECT team_id FROM team_checks WHERE stale = 1 \
             AND (lease_until IS NULL OR lease_until < $3) ORDER BY team_id LIMIT $4) \
           AND stale = 1 AND (lease_until IS NULL OR lease_until < $3) \
         RETURNING team_id, generation",
    )
    .bind(owner)
    .bind(&until)
    .bind(&at)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Gives back rows claimed by `owner` that it could not compute (the host was busy).
async fn release(db: &Db, owner: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE team_checks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Claims and recomputes one batch of stale rows as `owner`: how many rows it took (0 when
/// none was stale). Errors: the database's; a busy host gives the rows back and answers 0.
pub async fn refresh_batch(db: &Db, runtime: &Arc<Runtime>, owner: &str, limit: i64) -> Result<usize> {
    let claimed = claim(db, owner, limit).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let today = crate::dates::today_iso();
    match compute(db, runtime, &claimed, &today).await {
        Ok(_) => {
            metrics::counter!("sohoa_findings_computed_total", "by" => "refresher")
                .increment(claimed.len() as u64);
            Ok(claimed.len())
        }
        Err(e) => {
            release(db, owner).await?;
            Err(e)
        }
    }
}

/// Rows recomputed after which the planner's statistics of `team_checks` are refreshed
/// ([`analyze`]).
const ANALYZE_AFTER: usize = 5_000;

/// Refreshes the planner's statistics of `team_checks`. Its partial indexes (stale, failing,
/// leaderless rows) change wholesale when many teams are recomputed, and SQLite keeps the
/// statistics of the last ANALYZE until told: with the national dataset analysed while every
/// row was stale, it took the stale index for the whole table and the refresher's claim
/// scanned 74,422 rows (8-12 ms, in a write transaction) on every poll, and the failing index
/// for an empty one. PostgreSQL's autovacuum analyses by itself; this costs it little.
/// Errors: the database's.
pub async fn analyze(db: &Db) -> Result<()> {
    sqlx::query("ANALYZE team_checks").execute(&db.pool).await?;
    Ok(())
}

/// Recomputes every stale row now, in batches, as `owner`: the whole country after a rule
/// change, for the CLI and tests. Returns how many rows were computed.
pub async fn refresh_all(db: &Db, runtime: &Arc<Runtime>, owner: &str) -> Result<usize> {
    let today = crate::dates::today_iso();
    let epoch = {
        let mut conn = db.pool.acquire().await?;
        epoch(&mut conn).await?
    };
    roll_over(db, &today, epoch).await?;
    let mut total = 0;
    loop {
        let n = refresh_batch(db, runtime, owner, BATCH).await?;
        if n == 0 {
            if total >= ANALYZE_AFTER {
                analyze(db).await?;
            }
            return Ok(total);
        }
        total += n;
    }
}

/// The background recomputation of one host instance. Every instance runs one; leases keep
/// them from doing the same rows.
pub struct Refresher {
    db: Db,
    runtime: Arc<Runtime>,
    /// This instance's name in leases.
    owner: String,
    changes: crate::changes::Changes,
}

impl Refresher {
    /// A refresher woken by `changes` (every instance's marks, on PostgreSQL) and polling
    /// otherwise.
    pub fn new(db: Db, runtime: Arc<Runtime>, changes: crate::changes::Changes) -> Self {
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Refresher { db, runtime, owner, changes }
    }

    /// Runs until `stop` turns true, finishing the batch in hand first. Errors are logged and
    /// retried after a pause; nothing here stops the server.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut seen: Option<(String, i64)> = None;
        let mut notices = self.changes.subscribe();
        let poll = if self.changes.listening() { POLL_NOTIFIED } else { POLL };
        // Rows recomputed since the statistics were last refreshed.
        let mut since_analyze = 0usize;
        loop {
            if *stop.borrow() {
                return;
            }
            let (pause, woken) = match self.step(&mut seen).await {
                Ok(0) => {
                    if since_analyze >= ANALYZE_AFTER {
                        since_analyze = 0;
                        if let Err(e) = analyze(&self.db).await {
                            tracing::warn!(error = %e, "refreshing the statistics of team_checks failed");
                        }
                    }
                    (poll, true)
                }
                Ok(n) => {
                    since_analyze += n;
                    (Duration::ZERO, false)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "recomputing findings failed; trying again shortly");
                    (Duration::from_secs(2), false)
                }
            };
            if !pause.is_zero() {
                // Any notice wakes it (a lag or a plugin installed too: looking costs one query).
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                    _ = notices.recv(), if woken => {}
                }
            }
        }
    }

    async fn step(&self, seen: &mut Option<(String, i64)>) -> Result<usize> {
        let today = crate::dates::today_iso();
        let epoch = {
            let mut conn = self.db.pool.acquire().await?;
            epoch(&mut conn).await?
        };
        if seen.as_ref() != Some(&(today.clone(), epoch)) {
            let marked = roll_over(&self.db, &today, epoch).await?;
            if marked > 0 {
                tracing::info!(teams = marked, %today, epoch, "a new day or unit tree: findings to recompute");
            }
            *seen = Some((today, epoch));
        }
        let started = std::time::Instant::now();
        let n = refresh_batch(&self.db, &self.runtime, &self.owner, BATCH).await?;
        if n > 0 {
            tracing::debug!(teams = n, millis = started.elapsed().as_millis() as u64, "findings recomputed");
        }
        Ok(n)
    }
}

/// The active teams of `subtree` on its date with their checks as `c`.
fn scope(subtree: &Subtree, columns: &str) -> Sql {
    super::active_in_scope(subtree, columns, CHECKS_JOIN)
}

const CHECKS_JOIN: &str = "JOIN team_checks c ON c.team_id = t.id";

/// How long a page waits for stale teams that a refresher is computing right now.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(1);

/// Computes `stale` (team id, generation) for a page: claims those no refresher holds, so no
/// team is computed twice at once, computes them, and waits (at most [`WAIT_FOR_OTHERS`])
/// for the ones another holds. Errors: as [`compute`].
async fn compute_now(db: &Db, runtime: &Arc<Runtime>, stale: &[(i64, i64)], today: &str) -> Result<()> {
    if stale.is_empty() {
        return Ok(());
    }
    let owner = format!("page-{}", uuid::Uuid::new_v4().simple());
    let (at, until) = lease_window();
    let mine: Vec<(i64, i64)> = {
        let mut sql = Sql::new("UPDATE team_checks SET lease_owner = ");
        sql.bind(owner.clone()).push(", lease_until = ").bind(until);
        sql.push(" WHERE (lease_until IS NULL OR lease_until < ").bind(at).push(") AND team_id IN ");
        sql.push_tuples(1, stale.len());
        for (id, _) in stale {
            sql.arg(*id);
        }
        sql.push(" RETURNING team_id, generation");
        let mut tx = db.begin_write().await?;
        let rows = sql.query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows
    };
    if let Err(e) = compute(db, runtime, &mine, today).await {
        release(db, &owner).await?;
        return Err(e);
    }
    metrics::counter!("sohoa_findings_computed_total", "by" => "page").increment(mine.len() as u64);
    if mine.len() < stale.len() {
        let others: Vec<i64> =
            stale.iter().map(|s| s.0).filter(|id| !mine.iter().any(|m| m.0 == *id)).collect();
        let deadline = std::time::Instant::now() + WAIT_FOR_OTHERS;
        while std::time::Instant::now() < deadline {
            let mut sql =
                Sql::new("SELECT COUNT(*) FROM team_checks WHERE lease_owner IS NOT NULL AND team_id IN ");
            sql.push_tuples(1, others.len());
            for id in &others {
                sql.arg(*id);
            }
            let held: i64 = {
                let mut conn = db.pool.acquire().await?;
                sql.query_scalar().fetch_one(&mut *conn).await?
            };
            if held == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Computes now the stale teams of `subtree` (on its date, today) when there are at most
/// [`INLINE_LIMIT`] of them (a commune's, a district's after a few changes); otherwise
/// leaves them to the background. Returns what the computed teams counted for in the
/// scope's [`Summary`] before and after (nothing when they were left to the background), so
/// that the caller corrects its counts instead of counting the whole scope again. Errors: the
/// database's and the plugins' (a busy host: 503).
async fn refresh_scope(
    db: &Db,
    runtime: &Arc<Runtime>,
    subtree: &Subtree,
) -> Result<Vec<(Counted, Counted)>> {
    let today = subtree.date();
    let before: Vec<Counted> = {
        let mut conn = db.pool.acquire().await?;
        let mut sql = super::active_in_scope_with(subtree, |sql| push_counted(sql, today), CHECKS_JOIN);
        sql.push(" AND ");
        push_stale(&mut sql, today);
        sql.push(" ORDER BY t.id LIMIT ").bind(INLINE_LIMIT + 1);
        sql.query_as().fetch_all(&mut *conn).await?
    };
    if before.is_empty() || before.len() as i64 > INLINE_LIMIT {
        return Ok(Vec::new());
    }
    let stale: Vec<(i64, i64)> = before.iter().map(|c| (c.team_id, c.generation)).collect();
    compute_now(db, runtime, &stale, today).await?;
    let mut after: HashMap<i64, Counted> = {
        let mut conn = db.pool.acquire().await?;
        let mut sql = Sql::new("SELECT ");
        push_counted(&mut sql, today);
        sql.push(" FROM team_checks c WHERE c.team_id IN ");
        sql.push_tuples(1, stale.len());
        for (id, _) in &stale {
            sql.arg(*id);
        }
        let rows: Vec<Counted> = sql.query_as().fetch_all(&mut *conn).await?;
        rows.into_iter().map(|c| (c.team_id, c)).collect()
    };
    Ok(before.into_iter().filter_map(|b| after.remove(&b.team_id).map(|a| (b, a))).collect())
}

/// What one team's stored check counts for in a [`Summary`] (0 or 1 each), with what a
/// short list shows of it (its errors, the first one's message).
#[derive(Debug, Clone, sqlx::FromRow)]
struct Counted {
    team_id: i64,
    generation: i64,
    errors: i64,
    first_error: Option<String>,
    failing: i64,
    rule_failure: i64,
    leaderless: i64,
    stale: i64,
}

/// Appends the select list of a [`Counted`] of `team_checks c` on `today` (ISO).
fn push_counted(sql: &mut Sql, today: &str) {
    sql.push(
        "c.team_id, c.generation, c.errors, c.first_error, CAST(CASE WHEN c.errors > 0 THEN 1 ELSE 0 END AS BIGINT) AS failing, \
         CAST(CASE WHEN c.failure IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) AS rule_failure, \
         CAST(c.leaderless AS BIGINT) AS leaderless, CAST(CASE WHEN ",
    );
    push_stale(sql, today);
    sql.push(" THEN 1 ELSE 0 END AS BIGINT) AS stale");
}

/// What a scope's checks say: counts for a page's cards.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Active teams.
    pub teams: i64,
    /// Teams with at least one error finding.
    pub failing: i64,
    /// Teams whose findings are being recomputed (shown as they were).
    pub refreshing: i64,
    /// Teams whose rule could not run.
    pub rule_failures: i64,
    /// Teams with no leader serving (stored with the findings, so as current as they are).
    pub leaderless: i64,
}

impl Summary {
    /// The counts with `changed` teams' checks (each as counted before, and as stored now)
    /// counted anew: what counting the scope again would give, without reading it all again
    /// (Hà Nội's 4,067 teams: 22 ms on PostgreSQL, docs/BENCHMARKS.md). A change elsewhere
    /// in the scope meanwhile moves the scope version, so a page kept from these counts is
    /// computed again ([`super::scope_cache`]).
    fn correct(&mut self, changed: &[(Counted, Counted)]) {
        for (before, after) in changed {
            self.failing += after.failing - before.failing;
            self.rule_failures += after.rule_failure - before.rule_failure;
            self.leaderless += after.leaderless - before.leaderless;
            self.refreshing += after.stale - before.stale;
        }
    }
}

/// Counts over the active teams of `subtree` on its date (today): one indexed query.
/// Errors: the database's.
pub async fn summary(conn: &mut AnyConnection, subtree: &Subtree) -> Result<Summary> {
    let today = subtree.date();
    let columns = |sql: &mut Sql| {
        sql.push(
            "COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.errors > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.failure IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(c.leaderless), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN ",
        );
        push_stale(sql, today);
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT)");
    };
    let sql = super::active_in_scope_with(subtree, columns, CHECKS_JOIN);
    let (teams, failing, rule_failures, leaderless, refreshing): (i64, i64, i64, i64, i64) =
        sql.query_as().fetch_one(&mut *conn).await?;
    Ok(Summary { teams, failing, refreshing, rule_failures, leaderless })
}

/// What [`overview`] found of a scope.
#[derive(Debug, Clone)]
pub struct Overview {
    pub summary: Summary,
    /// What went wrong, if anything did (the refresh's error, else one stored rule failure),
    /// for the page's technical detail.
    pub error: Option<String>,
    /// Whether teams it computed itself now show otherwise in a short list of the scope
    /// (errors, first message, leader): a list read at the same time may show them as they
    /// were, and is to be read again.
    pub lists_changed: bool,
}

/// What a page shows of its scope's checks: computes a few stale teams first
/// ([`refresh_scope`]), then the [`summary`], and what went wrong, if anything did. A busy or
/// broken plugin does not fail the page: the stored findings are shown with the error.
/// Errors: the database's.
pub async fn overview(db: &Db, runtime: &Arc<Runtime>, subtree: &Subtree) -> Result<Overview> {
    let mut conn = db.pool.acquire().await?;
    let mut summary = summary(&mut conn, subtree).await?;
    // The counts say whether anything is stale: most loads read the scope once.
    let mut refresh_error = None;
    let mut lists_changed = false;
    if summary.refreshing > 0 && summary.refreshing <= INLINE_LIMIT {
        drop(conn);
        match refresh_scope(db, runtime, subtree).await {
            Ok(changed) => {
                lists_changed = changed.iter().any(|(b, a)| {
                    (b.errors, &b.first_error, b.leaderless) != (a.errors, &a.first_error, a.leaderless)
                });
                summary.correct(&changed);
            }
            Err(e) => refresh_error = Some(e.to_string()),
        }
        conn = db.pool.acquire().await?;
    }
    let error = match refresh_error {
        None if summary.rule_failures > 0 => first_failure(&mut conn, subtree).await?,
        other => other,
    };
    Ok(Overview { summary, error, lists_changed })
}

/// A failing team as a list shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FailingTeam {
    pub team_id: i64,
    pub team_name: String,
    pub unit_name: String,
    pub errors: i64,
    pub first_message: String,
}

/// `SELECT {outer} FROM (the first `limit` active teams of the scope that meet `condition`, in
/// `order`) p JOIN teams t …`: a short list over a scope of any size. The scope's rows are
/// sorted on stored columns alone (`p.id`, `p.unit_id`, `p.errors`, `p.sort_key`,
/// `p.first_error`, which `outer` and `order` name with `p.`); the unit's name is looked up
/// for the `limit` rows kept, not for each of the 24,000 failing teams of the country (SQLite
/// computes a row's columns before sorting it).
///
/// `lookup` says how the scope's teams meet their checks on PostgreSQL: see [`Lookup`].
fn first_in_scope(
    subtree: &Subtree,
    condition: &str,
    lookup: Lookup,
    order: &str,
    outer: &str,
    limit: i64,
) -> Sql {
    let columns = "t.id, COALESCE(pl.unit_id, t.unit_id) AS unit_id, c.errors, t.sort_key, c.first_error";
    let by_team =
        lookup == Lookup::ByTeam && subtree.backend() == crate::db::Backend::Postgres && subtree.is_listed();
    let mut sql = if by_team {
        // OFFSET 0 keeps the planner from flattening the subquery back into a join it hashes.
        let join = format!(
            "CROSS JOIN LATERAL (SELECT c.* FROM team_checks c WHERE c.team_id = t.id AND {condition} OFFSET 0) c"
        );
        super::active_in_scope(subtree, columns, &join)
    } else {
        let mut sql = scope(subtree, columns);
        sql.push(&format!(" AND {condition}"));
        sql
    };
    // The same order inside, where the columns are the select list's own.
    sql.push(&format!(" ORDER BY {} LIMIT ", order.replace("p.", ""))).bind(limit);
    sql.text =
        format!("SELECT {outer} FROM ({}) AS p JOIN teams t ON t.id = p.id ORDER BY {order}", sql.text);
    sql
}

/// How a [`first_in_scope`] list of a province or smaller scope meets the teams' checks on
/// PostgreSQL (SQLite's plan is driven from the teams either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// As the planner chooses. It hashes every check of the country that meets the condition,
    /// which is cheap while those are few (teams without a leader).
    Join,
    /// Each team of the scope's check by its key: for a condition a large share of the
    /// country meets. A third of the teams fail a rule (23,748 of the national dataset's 74,422):
    /// hashing them all to keep Hà Nội's 1,279 took 30 ms (`EXPLAIN ANALYZE`, five runs), looking
    /// up its 4,067 teams' checks 16 ms (docs/BENCHMARKS.md). For the country's scope, walked
    /// in the query, the join stays: it reads every team anyway.
    ByTeam,
}

/// SQL of the latest name of the unit `p.unit_id` of a [`first_in_scope`] row.
const UNIT_NAME_OF_P: &str = "(SELECT v.name FROM unit_versions v WHERE v.id = \
    (SELECT MAX(w.id) FROM unit_versions w WHERE w.unit_id = p.unit_id))";

/// The first `limit` failing active teams of `subtree` on its date (most errors first, then in
/// Vietnamese name order). Errors: the database's.
pub async fn failing(conn: &mut AnyConnection, subtree: &Subtree, limit: i64) -> Result<Vec<FailingTeam>> {
    let sql = first_in_scope(
        subtree,
        "c.errors > 0",
        Lookup::ByTeam,
        "p.errors DESC, p.sort_key, p.id",
        &format!(
            "p.id AS team_id, t.name AS team_name, {UNIT_NAME_OF_P} AS unit_name, p.errors, \
             COALESCE(p.first_error, '') AS first_message"
        ),
        limit,
    );
    Ok(sql.query_as().fetch_all(&mut *conn).await?)
}

/// The first `limit` active teams of `subtree` with no leader serving on its date, in
/// Vietnamese name order, as their stored checks say ([`Summary::leaderless`] counts them).
/// Errors: the database's.
pub async fn leaderless(
    conn: &mut AnyConnection,
    subtree: &Subtree,
    limit: i64,
) -> Result<Vec<super::stats::TeamRef>> {
    let sql = first_in_scope(
        subtree,
        "c.leaderless = 1",
        Lookup::Join,
        "p.sort_key, p.id",
        &format!("p.id, t.name, {UNIT_NAME_OF_P} AS unit_name"),
        limit,
    );
    Ok(sql.query_as().fetch_all(&mut *conn).await?)
}

/// One rule failure in the scope, for the technical detail a page shows plugin administrators.
async fn first_failure(conn: &mut AnyConnection, subtree: &Subtree) -> Result<Option<String>> {
    let mut sql = scope(subtree, "c.failure");
    sql.push(" AND c.failure IS NOT NULL ORDER BY t.id LIMIT 1");
    Ok(sql.query_scalar::<Option<String>>().fetch_optional(&mut *conn).await?.flatten())
}

/// The checks of `team_ids` (a page of a list), computing first those that are stale.
/// Teams whose rule could not be run now keep their stored result, marked stale.
/// Errors: the database's.
pub async fn current(
    db: &Db,
    runtime: &Arc<Runtime>,
    team_ids: &[i64],
    today: &str,
) -> Result<HashMap<i64, Stored>> {
    if team_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = {
        let mut conn = db.pool.acquire().await?;
        read_stored(&mut conn, team_ids, today).await?
    };
    let stale: Vec<(i64, i64)> =
        rows.iter().filter(|r| r.is_stale()).map(|r| (r.team_id, r.generation)).collect();
    let rows = if stale.is_empty() {
        rows
    } else {
        if let Err(e) = compute_now(db, runtime, &stale, today).await {
            tracing::warn!(error = %e, "findings could not be recomputed for a list; showing the stored ones");
        }
        let mut conn = db.pool.acquire().await?;
        read_stored(&mut conn, team_ids, today).await?
    };
    Ok(rows.into_iter().map(|r| (r.team_id, r)).collect())
}

async fn read_stored(conn: &mut AnyConnection, team_ids: &[i64], today: &str) -> Result<Vec<Stored>> {
    let mut sql = Sql::new("SELECT c.team_id, c.plugin, c.errors, c.failure, CAST(CASE WHEN ");
    push_stale(&mut sql, today);
    sql.push(" THEN 1 ELSE 0 END AS BIGINT) AS stale, c.generation FROM team_checks c WHERE c.team_id IN ");
    sql.push_tuples(1, team_ids.len());
    for id in team_ids {
        sql.arg(*id);
    }
    Ok(sql.query_as().fetch_all(&mut *conn).await?)
}
