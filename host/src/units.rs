//! Administrative units: a tree of any depth that changes over time.
//!
//! A unit's identity is its official code (`units`); what it is called, what it is and where
//! it hangs live in `unit_versions`, each valid over `[valid_from, valid_to)`. Renaming or
//! moving a unit adds a version, closing one ends its last version, and a merge or split
//! records the successors. Data such as teams points at the identity, so a team set up in a
//! commune that was later merged still belongs to that commune, and "as of" queries return the
//! tree of that date.

mod import;
mod reform;
mod routes;

pub use import::{ImportReport, UnitSource, import_units};
pub use reform::{ReformReport, apply_2025_reform};
pub use routes::routes;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change};
use crate::db::{Sql, now};
use crate::error::{Error, Problems, Result};
use crate::text;

/// Depth in the tree. Only the order matters: a parent ranks above its children, but levels
/// may be skipped (after 01/07/2025 communes hang directly under provinces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    District,
    Commune,
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
            Level::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "province" => Some(Level::Province),
            "district" => Some(Level::District),
            "commune" => Some(Level::Commune),
            "village" => Some(Level::Village),
            _ => None,
        }
    }

    /// The level an official type label implies; `has_parent` settles "Thành phố", which is a
    /// province when it has no parent (Hà Nội) and a district otherwise (Quy Nhơn).
    pub fn from_type(unit_type: &str, has_parent: bool) -> Option<Level> {
        let t = text::fold(unit_type);
        match t.as_str() {
            "tinh" | "thanh pho trung uong" => Some(Level::Province),
            "thanh pho" if !has_parent => Some(Level::Province),
            "huyen" | "quan" | "thi xa" | "thanh pho" => Some(Level::District),
            "xa" | "phuong" | "thi tran" | "dac khu" => Some(Level::Commune),
            "thon" | "lang" | "ap" | "ban" | "buon" | "xom" | "khoi" | "khoi pho" | "to dan pho"
            | "khu pho" | "to" | "khu dan cu" => Some(Level::Village),
            _ => None,
        }
    }
}

/// A unit as it was on a given date.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unit {
    /// Official code (GSO code for provinces, districts and communes).
    pub code: String,
    /// Name in Unicode NFC, with its type word, e.g. "Huyện Tây Sơn".
    pub name: String,
    /// Official type label, e.g. "Huyện", "Thị trấn", "Thôn".
    pub unit_type: String,
    pub level: Level,
    pub parent_code: Option<String>,
    /// First day of this version (inclusive); null when older than our records.
    pub valid_from: Option<String>,
    /// First day this version no longer applies (exclusive); null while it does.
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UnitRow {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub unit_type: String,
    pub level: String,
    pub parent_id: Option<i64>,
    pub parent_code: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

impl UnitRow {
    pub fn level(&self) -> Level {
        // The CHECK constraint guarantees one of the four words.
        Level::parse(&self.level).unwrap_or(Level::Village)
    }

    pub fn into_unit(self) -> Unit {
        let level = self.level();
        Unit {
            code: self.code,
            name: self.name,
            unit_type: self.unit_type,
            level,
            parent_code: self.parent_code,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}

const UNIT_COLUMNS: &str = "v.unit_id, u.code, v.name, v.unit_type, v.level, v.parent_id, \
     p.code AS parent_code, v.valid_from, v.valid_to \
     FROM unit_versions v JOIN units u ON u.id = v.unit_id LEFT JOIN units p ON p.id = v.parent_id";

/// Appends "version `alias` is in effect on `date`".
pub(crate) fn push_in_effect(sql: &mut Sql, alias: &str, date: &str) {
    sql.push(&format!("({alias}.valid_from IS NULL OR {alias}.valid_from <= "))
        .bind(date)
        .push(&format!(") AND ({alias}.valid_to IS NULL OR {alias}.valid_to > "))
        .bind(date)
        .push(")");
}

/// Appends a `WITH RECURSIVE sub(id)` holding the `roots` and their descendants on `date`,
/// walked inside the query. Queries over a scope use a [`Subtree`] read first; this is what it
/// falls back to for the country, and the walk [`Subtree::read`] itself runs.
fn push_subtree_cte(sql: &mut Sql, roots: &[i64], date: &str) {
    sql.push("WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE id IN (");
    if roots.is_empty() {
        sql.push("NULL");
    }
    for (i, root) in roots.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*root);
    }
    sql.push(") UNION SELECT v.unit_id FROM unit_versions v JOIN sub ON v.parent_id = sub.id WHERE ");
    push_in_effect(sql, "v", date);
    sql.push(") ");
}

/// The most units a [`Subtree`] writes into a query by id; a larger subtree (the country has
/// 11,367 units, a province at most about 700) is walked by the recursive CTE inside the query,
/// where the planner's guess of "many rows" is right.
const LISTED_SUBTREE: usize = 1000;

/// The units of one or more subtrees on a date, read once and written into each query over the
/// scope as `WITH RECURSIVE sub(id) AS (VALUES (…), …) `: one mechanism for every scope query
/// (team and member lists, the home page's counts and short lists, coverage, users, audit,
/// roll-ups, published awards).
///
/// Why read first: PostgreSQL cannot estimate a recursive CTE's rows. It took a district's 15
/// units for thousands and joined the whole `teams` and `team_units` tables by hash (Ba Đình's
/// team list 65 ms, against 2.6 ms with the ids written in; `EXPLAIN ANALYZE` on the national
/// dataset, docs/BENCHMARKS.md). The ids are the database's own integers, written as literals:
/// binding a thousand parameters costs SQLite time quadratic in their number. More than
/// [`LISTED_SUBTREE`] units (the country) are walked inside each query instead.
#[derive(Debug, Clone)]
pub struct Subtree {
    roots: Vec<i64>,
    date: String,
    /// The units, when there are at most [`LISTED_SUBTREE`]; `None`: walk them in the query.
    ids: Option<Vec<i64>>,
    /// The database the queries are for: where the planners differ, a query over the scope
    /// takes the shape each one runs best ([`crate::teams::active_in_scope`]).
    backend: crate::db::Backend,
}

impl Subtree {
    /// The `roots` (unit ids) and their descendants on `date` (ISO `yyyy-mm-dd`): one query.
    /// Errors: the database's.
    pub async fn read(conn: &mut AnyConnection, roots: &[i64], date: &str) -> Result<Subtree> {
        let mut find = Sql::default();
        push_subtree_cte(&mut find, roots, date);
        find.push("SELECT id FROM sub LIMIT ").bind(LISTED_SUBTREE as i64 + 1);
        let ids: Vec<i64> = find.query_scalar().fetch_all(&mut *conn).await?;
        let ids = (ids.len() <= LISTED_SUBTREE).then_some(ids);
        let backend = if conn.backend_name() == "PostgreSQL" {
            crate::db::Backend::Postgres
        } else {
            crate::db::Backend::Sqlite
        };
        Ok(Subtree { roots: roots.to_vec(), date: date.to_string(), ids, backend })
    }

    /// The date the subtree was read for (ISO).
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The database it was read from, which the queries written with it run on.
    pub fn backend(&self) -> crate::db::Backend {
        self.backend
    }

    /// Whether its units are written into the queries (at most [`LISTED_SUBTREE`]: a province
    /// or smaller), not walked in them (the country, several provinces).
    pub fn is_listed(&self) -> bool {
        self.ids.is_some()
    }

    /// Appends `WITH RECURSIVE sub(id) AS (…) ` (continue with `, next AS (…)` or a `SELECT`).
    pub fn push_cte(&self, sql: &mut Sql) {
        match &self.ids {
            None => push_subtree_cte(sql, &self.roots, &self.date),
            Some(ids) if ids.is_empty() => {
                sql.push("WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE 1 = 0) ");
            }
            Some(ids) => {
                let values: Vec<String> = ids.iter().map(|id| format!("({id})")).collect();
                sql.push(&format!("WITH RECURSIVE sub(id) AS (VALUES {}) ", values.join(", ")));
            }
        }
    }
}

/// The unit and its ancestors, nearest first, as known on `date`: for a unit closed by then,
/// its last version decides (a commune merged in 2025 still sits under its old district).
/// One query (every scoped request asks it: it was one per level). At most 16 units, and a
/// cycle in the recorded parents ends the chain. Errors: the database's.
pub(crate) async fn ancestors_or_self(
    conn: &mut AnyConnection,
    unit_id: i64,
    date: &str,
) -> Result<Vec<i64>> {
    chain(conn, ChainStart::Id(unit_id), date).await
}

/// [`ancestors_or_self`] of the unit with this code, in the same one query: the unit's id is
/// the chain's first element. A scoped request names its unit by code, and a round trip less
/// per request shows in the district list's throughput (docs/BENCHMARKS.md, eighth run).
/// Errors: [`Error::NotFound`] for an unknown code; the database's.
pub(crate) async fn ancestors_or_self_of_code(
    conn: &mut AnyConnection,
    code: &str,
    date: &str,
) -> Result<Vec<i64>> {
    let chain = chain(conn, ChainStart::Code(code), date).await?;
    if chain.is_empty() {
        return Err(unknown(code));
    }
    Ok(chain)
}

/// Where [`chain`] starts: a unit id, or the unit with a code.
enum ChainStart<'a> {
    Id(i64),
    Code(&'a str),
}

async fn chain(conn: &mut AnyConnection, start: ChainStart<'_>, date: &str) -> Result<Vec<i64>> {
    let anchor = match start {
        ChainStart::Id(_) => "SELECT CAST($1 AS BIGINT), 0",
        ChainStart::Code(_) => "SELECT CAST(id AS BIGINT), 0 FROM units WHERE code = $1",
    };
    let sql = format!(
        "WITH RECURSIVE up(id, depth) AS ({anchor} \
         UNION ALL SELECT (SELECT v.parent_id FROM unit_versions v WHERE v.unit_id = up.id \
             AND (v.valid_from IS NULL OR v.valid_from <= $2) ORDER BY v.valid_from IS NULL, v.valid_from DESC LIMIT 1), \
           up.depth + 1 FROM up WHERE up.id IS NOT NULL AND up.depth < 15) \
         SELECT id FROM up WHERE id IS NOT NULL ORDER BY depth"
    );
    let query = sqlx::query_scalar(&sql);
    let query = match start {
        ChainStart::Id(id) => query.bind(id),
        ChainStart::Code(code) => query.bind(code),
    };
    let ids: Vec<i64> = query.bind(date).fetch_all(&mut *conn).await?;
    let mut chain = Vec::with_capacity(ids.len());
    for id in ids {
        if chain.contains(&id) {
            break;
        }
        chain.push(id);
    }
    Ok(chain)
}

/// 404 for a unit code not on record, quoted short ([`crate::text::quoted`]).
fn unknown(code: &str) -> Error {
    Error::NotFound(format!("unit '{}'", crate::text::quoted(code)))
}

/// The internal id of the unit with this code.
pub(crate) async fn id_of(conn: &mut AnyConnection, code: &str) -> Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| unknown(code))
}

/// The level of unit `unit_id` (a unit keeps its level through its versions: see [`change`]).
pub(crate) async fn level_of(conn: &mut AnyConnection, unit_id: i64) -> Result<Level> {
    let level: Option<String> = sqlx::query_scalar(
        "SELECT level FROM unit_versions WHERE unit_id = $1 ORDER BY valid_to IS NULL DESC, valid_to DESC LIMIT 1",
    )
    .bind(unit_id)
    .fetch_optional(&mut *conn)
    .await?;
    level
        .as_deref()
        .and_then(Level::parse)
        .ok_or_else(|| Error::Internal(format!("unit id {unit_id} has no version")))
}

/// The code of a unit id (ids come from this database, so a missing one is a bug elsewhere).
pub(crate) async fn code_of(conn: &mut AnyConnection, id: i64) -> Result<String> {
    sqlx::query_scalar::<_, String>("SELECT code FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::Internal(format!("unit id {id} has no row")))
}

/// The version of a unit in effect on `date`, if any.
pub(crate) async fn version_on(
    conn: &mut AnyConnection,
    unit_id: i64,
    date: &str,
) -> Result<Option<UnitRow>> {
    let mut sql = Sql::new(&format!("SELECT {UNIT_COLUMNS} WHERE v.unit_id = "));
    sql.bind(unit_id).push(" AND ");
    push_in_effect(&mut sql, "v", date);
    Ok(sql.query_as::<UnitRow>().fetch_optional(&mut *conn).await?)
}

/// All versions of a unit, oldest first.
async fn versions(conn: &mut AnyConnection, unit_id: i64) -> Result<Vec<UnitRow>> {
    let mut sql = Sql::new(&format!("SELECT {UNIT_COLUMNS} WHERE v.unit_id = "));
    sql.bind(unit_id).push(" ORDER BY v.valid_from IS NOT NULL, v.valid_from, v.id");
    Ok(sql.query_as::<UnitRow>().fetch_all(&mut *conn).await?)
}

/// The open (latest, not closed) version of a unit.
async fn open_version(conn: &mut AnyConnection, unit_id: i64) -> Result<Option<UnitRow>> {
    let mut sql = Sql::new(&format!("SELECT {UNIT_COLUMNS} WHERE v.valid_to IS NULL AND v.unit_id = "));
    sql.bind(unit_id);
    Ok(sql.query_as::<UnitRow>().fetch_optional(&mut *conn).await?)
}

/// A unit reference in a path or a succession.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
}

/// A merge or split that ended a unit or created part of one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Succession {
    pub code: String,
    pub name: String,
    /// Day the change took effect.
    pub effective_on: String,
    /// "merge" (into one successor) or "split" (among several).
    pub kind: String,
    pub note: String,
}

/// One unit with its place in the tree and its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: Unit,
    /// The date the detail describes.
    pub as_of: String,
    /// False when the unit did not exist on `as_of`; the fields then show its nearest version.
    pub in_effect: bool,
    /// Ancestors from the root down to the parent, on `as_of`.
    pub path: Vec<UnitRef>,
    /// Number of child units on `as_of`.
    pub children: i64,
    /// Every version, oldest first.
    pub history: Vec<Unit>,
    /// Units that were merged or split into this one.
    pub predecessors: Vec<Succession>,
    /// Units this one was merged or split into when it closed.
    pub successors: Vec<Succession>,
}

pub async fn get(conn: &mut AnyConnection, code: &str, as_of: &str) -> Result<UnitDetail> {
    let id = id_of(conn, code).await?;
    let history = versions(conn, id).await?;
    let current = history.iter().position(|v| {
        v.valid_from.as_deref().is_none_or(|f| f <= as_of) && v.valid_to.as_deref().is_none_or(|t| t > as_of)
    });
    let in_effect = current.is_some();
    // Not in effect: show the last version that began by then, else the first one.
    let shown = current
        .or_else(|| history.iter().rposition(|v| v.valid_from.as_deref().is_none_or(|f| f <= as_of)))
        .unwrap_or(0);
    let mut path = Vec::new();
    let mut parent = history.get(shown).and_then(|v| v.parent_id);
    let date = match (&history[shown].valid_from, &history[shown].valid_to) {
        _ if in_effect => as_of.to_string(),
        // Closed by then: the ancestors as they were on its last day.
        (_, Some(to)) => crate::dates::parse(to)
            .and_then(|d| d.pred_opt())
            .map(crate::dates::iso)
            .unwrap_or_else(|| to.clone()),
        // Not yet begun: the ancestors on its first day.
        (Some(from), None) => from.clone(),
        (None, None) => as_of.to_string(),
    };
    while let Some(pid) = parent {
        if path.len() > 16 {
            break; // a cycle would be a bug elsewhere; never loop forever on it
        }
        match version_on(conn, pid, &date).await? {
            Some(p) => {
                parent = p.parent_id;
                path.push(UnitRef { code: p.code, name: p.name });
            }
            None => break,
        }
    }
    path.reverse();
    let mut count = Sql::new("SELECT COUNT(*) FROM unit_versions v WHERE v.parent_id = ");
    count.bind(id).push(" AND ");
    push_in_effect(&mut count, "v", as_of);
    let children = count.query_scalar::<i64>().fetch_one(&mut *conn).await?;
    let predecessors = successions(conn, id, "successor_id", "predecessor_id").await?;
    let successors = successions(conn, id, "predecessor_id", "successor_id").await?;
    let history: Vec<Unit> = history.into_iter().map(UnitRow::into_unit).collect();
    Ok(UnitDetail {
        unit: history[shown].clone(),
        as_of: as_of.to_string(),
        in_effect,
        path,
        children,
        history,
        predecessors,
        successors,
    })
}

async fn successions(conn: &mut AnyConnection, id: i64, mine: &str, other: &str) -> Result<Vec<Succession>> {
    // The other unit's name is its latest version's: that is how people know it.
    let sql = format!(
        "SELECT u.code, (SELECT v.name FROM unit_versions v WHERE v.unit_id = u.id \
           ORDER BY v.valid_from IS NULL, v.valid_from DESC LIMIT 1) AS name, \
           s.effective_on, s.kind, s.note \
         FROM unit_successions s JOIN units u ON u.id = s.{other} WHERE s.{mine} = $1 ORDER BY u.code"
    );
    let rows: Vec<(String, String, String, String, String)> =
        sqlx::query_as(&sql).bind(id).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(code, name, effective_on, kind, note)| Succession { code, name, effective_on, kind, note })
        .collect())
}

/// Filters for listing units; every filter applies on `as_of`.
#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub as_of: String,
    /// Direct children of this unit.
    pub parent: Option<String>,
    /// This unit and all its descendants.
    pub subtree: Option<String>,
    pub level: Option<Level>,
    /// Name search, without diacritics or case.
    pub q: Option<String>,
    pub sort: UnitSort,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnitSort {
    #[default]
    Code,
    Name,
}

/// The units `ids` as they are on `date` (ISO), each with its id, in code order, in one query;
/// those not in effect then are left out (ask [`get`] for those). Keep `ids` to a few hundred
/// (SQLite binds parameters in time quadratic in their number). Errors: the database's.
pub async fn in_effect_many(conn: &mut AnyConnection, ids: &[i64], date: &str) -> Result<Vec<(i64, Unit)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {UNIT_COLUMNS} WHERE "));
    push_in_effect(&mut sql, "v", date);
    sql.push(" AND v.unit_id IN ");
    sql.push_tuples(1, ids.len());
    for id in ids {
        sql.arg(*id);
    }
    sql.push(" ORDER BY u.code, v.id");
    let rows = sql.query_as::<UnitRow>().fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| (r.unit_id, r.into_unit())).collect())
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &UnitFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Unit>, i64)> {
    let mut sql = Sql::default();
    if let Some(root) = &f.subtree {
        let root = id_of(conn, root).await?;
        Subtree::read(conn, &[root], &f.as_of).await?.push_cte(&mut sql);
    }
    sql.push(&format!("SELECT {UNIT_COLUMNS} WHERE "));
    push_in_effect(&mut sql, "v", &f.as_of);
    if let Some(parent) = &f.parent {
        let pid = id_of(conn, parent).await?;
        sql.push(" AND v.parent_id = ").bind(pid);
    }
    if f.subtree.is_some() {
        sql.push(" AND v.unit_id IN (SELECT id FROM sub)");
    }
    if let Some(level) = f.level {
        sql.push(" AND v.level = ").bind(level.as_str());
    }
    if let Some(q) = f.q.as_deref().map(text::fold).filter(|q| !q.is_empty()) {
        sql.push(" AND v.search_key LIKE ").bind(format!("%{}%", text::like_escape(&q))).push(" ESCAPE '\\'");
    }
    let total = sql.count().query_scalar::<i64>().fetch_one(&mut *conn).await?;
    sql.push(match f.sort {
        UnitSort::Code => " ORDER BY u.code, v.id",
        UnitSort::Name => " ORDER BY v.sort_key, u.code, v.id",
    });
    sql.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    let rows = sql.query_as::<UnitRow>().fetch_all(&mut *conn).await?;
    Ok((rows.into_iter().map(UnitRow::into_unit).collect(), total))
}

/// A new unit, as received.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub code: Option<String>,
    pub name: Option<String>,
    pub unit_type: Option<String>,
    /// province, district, commune or village; derived from `unit_type` when absent.
    pub level: Option<Level>,
    /// Required for every level but province.
    pub parent_code: Option<String>,
    /// First day the unit exists (yyyy-mm-dd or dd/mm/yyyy); absent: since before our records.
    pub valid_from: Option<String>,
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn required_text(p: &mut Problems, field: &str, value: Option<&str>, max: usize) -> String {
    let v = value.map(text::clean).unwrap_or_default();
    if v.is_empty() {
        p.add(field, "is required");
    } else if v.chars().count() > max {
        p.add(field, format!("must be at most {max} characters"));
    }
    v
}

fn optional_date(p: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match crate::dates::parse(v) {
        Some(d) => Some(crate::dates::iso(d)),
        None => {
            p.add(field, format!("'{v}' is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"));
            None
        }
    }
}

/// Checks that `parent` may hold a unit of `level` on `date`; returns the parent's id.
async fn check_parent(
    conn: &mut AnyConnection,
    p: &mut Problems,
    parent_code: &str,
    level: Level,
    date: &str,
) -> Result<Option<i64>> {
    let Ok(pid) = id_of(conn, parent_code).await else {
        p.add("parent_code", format!("unit '{}' does not exist", crate::text::quoted(parent_code)));
        return Ok(None);
    };
    match version_on(conn, pid, date).await? {
        None => {
            p.add(
                "parent_code",
                format!("unit '{}' does not exist on {date}", crate::text::quoted(parent_code)),
            );
            Ok(None)
        }
        Some(parent) if parent.level() >= level => {
            p.add(
                "parent_code",
                format!("a {} cannot contain a {}", parent.level().as_str(), level.as_str()),
            );
            Ok(None)
        }
        Some(_) => Ok(Some(pid)),
    }
}

pub async fn create(conn: &mut AnyConnection, actor: &Actor, input: NewUnit) -> Result<Unit> {
    let mut p = Problems::default();
    let code = input.code.as_deref().map(str::trim).unwrap_or_default().to_string();
    if !valid_code(&code) {
        p.add("code", "is required: up to 32 letters, digits, '-', '_' or '.'");
    }
    let name = required_text(&mut p, "name", input.name.as_deref(), 200);
    let unit_type = required_text(&mut p, "unit_type", input.unit_type.as_deref(), 50);
    let valid_from = optional_date(&mut p, "valid_from", input.valid_from.as_deref());
    let parent_code = input.parent_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let level = input.level.or_else(|| Level::from_type(&unit_type, parent_code.is_some()));
    let Some(level) = level else {
        p.add(
            "level",
            "is required (province, district, commune or village) when unit_type does not imply it",
        );
        return Err(Error::Validation(p.0));
    };
    let date = valid_from.clone().unwrap_or_else(crate::dates::today_iso);
    let parent_id = match (level, parent_code) {
        (Level::Province, None) => None,
        (Level::Province, Some(_)) => {
            p.add("parent_code", "a province has no parent");
            None
        }
        (_, None) => {
            p.add("parent_code", "is required for a unit below a province");
            None
        }
        (_, Some(pc)) => check_parent(conn, &mut p, pc, level, &date).await?,
    };
    p.into_result()?;
    if id_of(conn, &code).await.is_ok() {
        return Err(Error::Conflict(format!("unit code '{code}' already exists")));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO units (code, created_at) VALUES ($1, $2) RETURNING id")
        .bind(&code)
        .bind(now())
        .fetch_one(&mut *conn)
        .await?;
    insert_version(conn, id, &name, &unit_type, level, parent_id, valid_from.as_deref()).await?;
    let unit = Unit {
        code,
        name,
        unit_type,
        level,
        parent_code: parent_code.map(str::to_string),
        valid_from,
        valid_to: None,
    };
    let change = Change::new("create", "unit", &unit.code, Some(id)).after(&unit);
    audit::record(conn, actor, change).await?;
    Ok(unit)
}

pub(crate) async fn insert_version(
    conn: &mut AnyConnection,
    unit_id: i64,
    name: &str,
    unit_type: &str,
    level: Level,
    parent_id: Option<i64>,
    valid_from: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO unit_versions (unit_id, name, search_key, sort_key, unit_type, level, parent_id, valid_from) \
         VALUES ($1, $2, $3, $8, $4, $5, $6, $7)",
    )
    .bind(unit_id)
    .bind(name)
    .bind(text::fold(name))
    .bind(unit_type)
    .bind(level.as_str())
    .bind(parent_id)
    .bind(valid_from)
    .bind(text::unit_sort_key(name, unit_type))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A rename, retype or move, effective from a date.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitChange {
    pub name: Option<String>,
    pub unit_type: Option<String>,
    pub level: Option<Level>,
    pub parent_code: Option<String>,
    /// First day of the new version; today when absent. The day the current version began
    /// corrects it in place instead.
    pub effective_on: Option<String>,
}

pub async fn change(conn: &mut AnyConnection, actor: &Actor, code: &str, input: UnitChange) -> Result<Unit> {
    let id = id_of(conn, code).await?;
    let current = open_version(conn, id)
        .await?
        .ok_or_else(|| Error::Conflict(format!("unit '{code}' is closed; closed units cannot change")))?;
    let mut p = Problems::default();
    let effective_on = optional_date(&mut p, "effective_on", input.effective_on.as_deref())
        .unwrap_or_else(crate::dates::today_iso);
    let name = match &input.name {
        Some(n) => required_text(&mut p, "name", Some(n), 200),
        None => current.name.clone(),
    };
    let unit_type = match &input.unit_type {
        Some(t) => required_text(&mut p, "unit_type", Some(t), 50),
        None => current.unit_type.clone(),
    };
    let level = input.level.unwrap_or(current.level());
    if let Some(from) = &current.valid_from
        && effective_on.as_str() < from.as_str()
    {
        p.add("effective_on", format!("must not be before the current version's start ({from})"));
    }
    let parent_id = match input.parent_code.as_deref().map(str::trim) {
        None => current.parent_id,
        Some("") if level == Level::Province => None,
        Some("") => {
            p.add("parent_code", "is required for a unit below a province");
            None
        }
        Some(pc) => {
            let pid = check_parent(conn, &mut p, pc, level, &effective_on).await?;
            if let Some(pid) = pid
                && in_subtree(conn, id, pid, &effective_on).await?
            {
                p.add("parent_code", "a unit cannot move under itself or its descendants");
            }
            pid
        }
    };
    p.into_result()?;
    let same_day = current.valid_from.as_deref() == Some(effective_on.as_str());
    if same_day {
        sqlx::query(
            "UPDATE unit_versions SET name = $1, search_key = $2, unit_type = $3, level = $4, parent_id = $5, \
               sort_key = $7 WHERE unit_id = $6 AND valid_to IS NULL",
        )
        .bind(&name)
        .bind(text::fold(&name))
        .bind(&unit_type)
        .bind(level.as_str())
        .bind(parent_id)
        .bind(id)
        .bind(text::unit_sort_key(&name, &unit_type))
        .execute(&mut *conn)
        .await?;
    } else {
        end_open_version(conn, id, &effective_on).await?;
        insert_version(conn, id, &name, &unit_type, level, parent_id, Some(&effective_on)).await?;
    }
    let after = open_version(conn, id).await?.expect("just written").into_unit();
    let change =
        Change::new("update", "unit", code, Some(id)).before(Some(&current.into_unit())).after(&after);
    audit::record(conn, actor, change).await?;
    Ok(after)
}

async fn end_open_version(conn: &mut AnyConnection, unit_id: i64, on: &str) -> Result<()> {
    sqlx::query("UPDATE unit_versions SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
        .bind(on)
        .bind(unit_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn in_subtree(conn: &mut AnyConnection, root: i64, candidate: i64, date: &str) -> Result<bool> {
    let mut sql = Sql::default();
    push_subtree_cte(&mut sql, &[root], date);
    sql.push("SELECT COUNT(*) FROM sub WHERE id = ").bind(candidate);
    Ok(sql.query_scalar::<i64>().fetch_one(&mut *conn).await? > 0)
}

/// Closing a unit, optionally into the units that take over its territory.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitClosure {
    /// First day the unit no longer exists (required).
    pub effective_on: Option<String>,
    /// Codes of the units it was merged into (one) or split among (several).
    #[serde(default)]
    pub successors: Vec<String>,
    /// The legal basis, e.g. "Nghị quyết 1664/NQ-UBTVQH15".
    #[serde(default)]
    pub note: String,
    /// The successor that takes over the unit's teams. Needed only for a split (several
    /// successors) of a unit that still has teams; a merge hands them to its one successor.
    #[serde(default)]
    pub teams_to: Option<String>,
}

pub async fn close(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
    input: UnitClosure,
) -> Result<UnitDetail> {
    let id = id_of(conn, code).await?;
    let current = open_version(conn, id)
        .await?
        .ok_or_else(|| Error::Conflict(format!("unit '{code}' is already closed")))?;
    let mut p = Problems::default();
    let Some(on) = optional_date(&mut p, "effective_on", input.effective_on.as_deref()) else {
        if p.is_empty() {
            p.add("effective_on", "is required");
        }
        return Err(Error::Validation(p.0));
    };
    if let Some(from) = &current.valid_from
        && on.as_str() <= from.as_str()
    {
        p.add("effective_on", format!("must be after the unit began ({from})"));
    }
    let mut successor_ids = Vec::new();
    for s in &input.successors {
        let s = s.trim();
        match id_of(conn, s).await {
            Ok(sid) if sid == id => p.add("successors", "a unit cannot succeed itself"),
            Ok(sid) => match version_on(conn, sid, &on).await? {
                // A commune merges into a commune, a village into a village: the teams it
                // hands over keep serving the same kind of unit.
                Some(v) if v.level() != current.level() => p.add(
                    "successors",
                    format!(
                        "unit '{s}' is a {}, not a {} like '{code}'",
                        v.level().as_str(),
                        current.level().as_str()
                    ),
                ),
                Some(_) => successor_ids.push(sid),
                None => {
                    p.add("successors", format!("unit '{}' does not exist on {on}", crate::text::quoted(s)))
                }
            },
            Err(_) => p.add("successors", format!("unit '{}' does not exist", crate::text::quoted(s))),
        }
    }
    // Another unit merging into this one later than `on` would hand its teams to a unit
    // already gone (and chains of closings could loop): this one must close after it.
    let heir_of: Option<(String, String)> = sqlx::query_as(
        "SELECT u.code, s.effective_on FROM unit_successions s JOIN units u ON u.id = s.predecessor_id \
         WHERE s.successor_id = $1 AND s.effective_on > $2 ORDER BY s.effective_on DESC LIMIT 1",
    )
    .bind(id)
    .bind(&on)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((predecessor, from)) = heir_of {
        p.add(
            "effective_on",
            format!(
                "unit '{predecessor}' merges into '{code}' on {from}; '{code}' cannot close before that day"
            ),
        );
    }
    let serving: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM teams WHERE unit_id = $1 AND status <> 'dissolved'")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    // Teams do not fall out of the world when their unit closes: one successor takes them.
    let heir = match input.teams_to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => match id_of(conn, t).await {
            Ok(tid) if successor_ids.contains(&tid) => Some(tid),
            _ => {
                p.add("teams_to", format!("'{t}' is not one of the successors given"));
                None
            }
        },
        None if serving == 0 => None,
        None if successor_ids.len() == 1 => Some(successor_ids[0]),
        None if successor_ids.len() > 1 => {
            p.add(
                "teams_to",
                format!(
                    "unit '{code}' is split but still has {serving} team(s): name the successor that takes them over"
                ),
            );
            None
        }
        None => {
            p.into_result()?;
            return Err(Error::Conflict(format!(
                "unit '{code}' still has {serving} team(s) that are not dissolved; dissolve them, or close \
                 it with a successor that takes them over"
            )));
        }
    };
    p.into_result()?;
    let mut open_children = Sql::new("SELECT COUNT(*) FROM unit_versions v WHERE v.parent_id = ");
    open_children.bind(id).push(" AND ");
    push_in_effect(&mut open_children, "v", &on);
    let n = open_children.query_scalar::<i64>().fetch_one(&mut *conn).await?;
    if n > 0 {
        return Err(Error::Conflict(format!(
            "unit '{code}' still has {n} child unit(s) on {on}; move or close them first"
        )));
    }
    let note = text::clean(&input.note);
    if let Some(heir) = heir {
        let heir_name = version_on(conn, heir, &on).await?.map(|v| v.name).unwrap_or_default();
        let mut reason = format!("{} ({code}) closed on {on}; its teams serve {heir_name}", current.name);
        if !note.is_empty() {
            reason = format!("{reason} ({note})");
        }
        crate::teams::transfer_all(conn, actor, id, heir, &on, &reason).await?;
    }
    end_open_version(conn, id, &on).await?;
    let kind = if successor_ids.len() > 1 { "split" } else { "merge" };
    for sid in successor_ids {
        sqlx::query(
            "INSERT INTO unit_successions (predecessor_id, successor_id, effective_on, kind, note) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(sid)
        .bind(&on)
        .bind(kind)
        .bind(&note)
        .execute(&mut *conn)
        .await?;
    }
    let detail = get(conn, code, &on).await?;
    let mut change =
        Change::new("close", "unit", code, Some(id)).before(Some(&current.into_unit())).after(&detail.unit);
    change.reason = Some(note).filter(|n| !n.is_empty());
    audit::record(conn, actor, change).await?;
    Ok(detail)
}
