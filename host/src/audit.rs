//! The audit trail: every write records who, when, what (entity, id, action) and the values
//! before and after, inside the same transaction as the write, so a write that fails leaves no
//! audit row and a committed write always has one. Rows are append-only (database triggers
//! refuse UPDATE and DELETE) and readable through `GET /api/v1/audit` within one's scope.

mod routes;

pub use routes::routes;

use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::db::{Sql, now};
use crate::error::Result;

/// Who makes a change: a signed-in user, or the system (demo seed, command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    /// A change made by a command rather than a person, e.g. `Actor::system("sohoa demo")`.
    pub fn system(name: &str) -> Self {
        Actor { user_id: None, name: name.to_string() }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// create, update, close, import, ...
    pub action: &'a str,
    /// unit, team, member, user, role, token, ...
    pub entity: &'a str,
    pub entity_id: String,
    /// The unit the entity belongs to, which decides who may read the row.
    pub unit_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Why, when the caller had to give a reason (e.g. overriding a rule).
    pub reason: Option<String>,
}

impl<'a> Change<'a> {
    /// A change to `entity` number `id`, filed under `unit_id`; add values with the setters.
    pub fn new(action: &'a str, entity: &'a str, id: impl ToString, unit_id: Option<i64>) -> Self {
        Change { action, entity, entity_id: id.to_string(), unit_id, before: None, after: None, reason: None }
    }

    pub fn before<T: Serialize>(mut self, value: Option<&T>) -> Self {
        self.before = value.and_then(snapshot);
        self
    }

    pub fn after<T: Serialize>(mut self, value: &T) -> Self {
        self.after = snapshot(value);
        self
    }
}

/// Serialises a value for the trail.
pub fn snapshot<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// Records a change on the caller's connection (inside its transaction).
pub async fn record(conn: &mut AnyConnection, actor: &Actor, change: Change<'_>) -> Result<()> {
    record_many(conn, actor, vec![change]).await
}

/// Records `changes`, in order, in multi-row inserts (a roster import records thousands in
/// one transaction). Errors: the database's.
pub async fn record_many(conn: &mut AnyConnection, actor: &Actor, changes: Vec<Change<'_>>) -> Result<()> {
    let at = now();
    for part in changes.chunks(crate::db::ROWS_PER_STATEMENT) {
        let mut sql = crate::db::Sql::new(
            "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, unit_id, before_json, after_json, reason) \
             VALUES ",
        );
        sql.push_tuples(part.len(), 10);
        for change in part {
            sql.arg(at.as_str())
                .arg(actor.user_id)
                .arg(actor.name.as_str())
                .arg(change.action)
                .arg(change.entity)
                .arg(change.entity_id.as_str())
                .arg(change.unit_id)
                .arg(change.before.as_ref().map(|v| v.to_string()))
                .arg(change.after.as_ref().map(|v| v.to_string()))
                .arg(change.reason.clone());
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// An audit row as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub unit_code: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: String,
    user_id: Option<i64>,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    unit_code: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Only rows about units in these subtrees (None: every row, for system callers).
    pub roots: Option<Vec<i64>>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub user_id: Option<i64>,
    /// RFC 3339 or yyyy-mm-dd bounds on `at`.
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64)> {
    let mut sql = Sql::default();
    if let Some(roots) = &f.roots {
        crate::units::Subtree::read(conn, roots, &crate::dates::today_iso()).await?.push_cte(&mut sql);
    }
    sql.push(
        "SELECT a.id, a.at, a.user_id, a.actor, a.action, a.entity, a.entity_id, u.code AS unit_code, \
           a.before_json, a.after_json, a.reason FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id WHERE 1 = 1",
    );
    if f.roots.is_some() {
        sql.push(" AND a.unit_id IN (SELECT id FROM sub)");
    }
    if let Some(e) = &f.entity {
        sql.push(" AND a.entity = ").bind(e.as_str());
    }
    if let Some(id) = &f.entity_id {
        sql.push(" AND a.entity_id = ").bind(id.as_str());
    }
    if let Some(u) = f.user_id {
        sql.push(" AND a.user_id = ").bind(u);
    }
    if let Some(from) = &f.from {
        sql.push(" AND a.at >= ").bind(from.as_str());
    }
    if let Some(to) = &f.to {
        sql.push(" AND a.at < ").bind(to.as_str());
    }
    let total = sql.count().query_scalar::<i64>().fetch_one(&mut *conn).await?;
    sql.push(" ORDER BY a.id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    let rows: Vec<AuditRow> = sql.query_as().fetch_all(&mut *conn).await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            user_id: r.user_id,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            unit_code: r.unit_code,
            before: parse(r.before_json),
            after: parse(r.after_json),
            reason: r.reason,
        })
        .collect();
    Ok((items, total))
}
