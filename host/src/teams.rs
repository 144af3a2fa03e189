//! Community Digital Technology Teams, the people on them, and their memberships.
//!
//! A team belongs to a commune or village unit and is established by a decision. People are
//! recorded once and may serve on several teams; each stint is a membership with joined/left
//! dates, so leaving a team ends a membership instead of deleting it. Validation here is
//! structural (required fields, formats, dates); locality rules are for plugins.
//!
//! A team serves one unit at a time, recorded over time in `team_units`: when its commune
//! closes (merged into another, or split with a named heir), the team goes on serving the
//! successor from the closing day ([`transfer_all`]), and every question asked "as of" a date
//! (lists, coverage, reports) places the team where it served on that date
//! ([`push_placed_cte`]). `teams.unit_id` is the latest placement: what authorization and the
//! team's own page use.

pub(crate) mod access;
pub mod composition;
pub mod export;
pub mod findings;
pub mod guarded;
pub mod import;
pub mod members;
mod routes;
pub mod scope_cache;
pub mod stats;

pub use import::{ImportOutcome, RosterFormat, import_roster};
pub use members::{Member, MemberChange, MemberFilter, NewMember, Person};
pub use routes::routes;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Change};
use crate::db::{Sql, now};
use crate::error::{Error, Problems, Result};
use crate::text;
use crate::units::{self, Level};
use crate::vocab::{TeamStatus, Vocab};

/// A team as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Team {
    pub id: i64,
    #[serde(skip)]
    pub unit_id: i64,
    pub unit_code: String,
    /// The unit's current (or last) name.
    pub unit_name: String,
    /// "commune" or "village": the level of the unit the team serves.
    pub kind: Level,
    pub name: String,
    pub decision_number: String,
    pub decision_date: String,
    pub decision_signer: String,
    pub status: TeamStatus,
    /// Day the status took effect (suspension or dissolution).
    pub status_date: Option<String>,
    pub status_reason: Option<String>,
    /// Members serving today.
    pub member_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A team with its members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamDetail {
    #[serde(flatten)]
    pub team: Team,
    /// Current members, then (with `include_left`) those who have left.
    pub members: Vec<Member>,
    /// Awards decided for the team and its members, newest first.
    pub commendations: Vec<crate::commendations::proposals::Commendation>,
}

#[derive(Debug, sqlx::FromRow)]
struct TeamRow {
    id: i64,
    unit_id: i64,
    unit_code: String,
    unit_name: String,
    level: String,
    name: String,
    decision_number: String,
    decision_date: String,
    decision_signer: String,
    status: String,
    status_date: Option<String>,
    status_reason: Option<String>,
    member_count: i64,
    created_at: String,
    updated_at: String,
}

impl TeamRow {
    fn into_team(self) -> Team {
        Team {
            id: self.id,
            unit_id: self.unit_id,
            unit_code: self.unit_code,
            unit_name: self.unit_name,
            kind: Level::parse(&self.level).unwrap_or(Level::Commune),
            name: self.name,
            decision_number: self.decision_number,
            decision_date: self.decision_date,
            decision_signer: self.decision_signer,
            status: TeamStatus::parse(&self.status).unwrap_or(TeamStatus::Active),
            status_date: self.status_date,
            status_reason: self.status_reason,
            member_count: self.member_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Team columns; `$today` must be bound first as the date for "serving today". `unit` is the
/// SQL of the team's unit as the caller asks about it (`t.unit_id`, the latest; or
/// [`PLACED_UNIT`], where it served on a list's date) and `join` what that SQL needs.
fn team_select(today_param: &str, unit: &str, join: &str) -> String {
    team_select_with("", today_param, unit, join)
}

/// [`team_select`] with `extra` columns first (`"listed.total AS listed_total, "`).
fn team_select_with(extra: &str, today_param: &str, unit: &str, join: &str) -> String {
    format!(
        "SELECT {extra}t.id, {unit} AS unit_id, u.code AS unit_code, lv.name AS unit_name, lv.level, t.name, \
           t.decision_number, t.decision_date, t.decision_signer, t.status, t.status_date, t.status_reason, \
           (SELECT COUNT(*) FROM memberships m WHERE m.team_id = t.id AND m.joined_on <= {today_param} \
              AND (m.left_on IS NULL OR m.left_on > {today_param})) AS member_count, \
           t.created_at, t.updated_at \
         FROM teams t {join} JOIN units u ON u.id = {unit} \
         JOIN unit_versions lv ON lv.id = (SELECT MAX(v.id) FROM unit_versions v WHERE v.unit_id = {unit})"
    )
}

/// The unit a team served on the date of a [`push_placed_cte`] (its latest if none).
pub(crate) const PLACED_UNIT: &str = "COALESCE(pl.unit_id, t.unit_id)";
/// SQL true for a team `t` placed (as [`PLACED_UNIT`] says) in the subtree `sub` of a
/// [`units::Subtree`] query. The placement test alone cannot use an index (it is an
/// expression over a left join), so it made every scope query read every team in the country:
/// 26 ms for a district's count among 74,422 teams (the national dataset). The candidates come
/// first, from the indexes on `team_units.unit_id` and `teams.unit_id` (every team ever placed
/// or recorded in the subtree, a superset), then the exact test keeps those placed there on the
/// query's date: under 1 ms.
pub(crate) const PLACED_IN_SUB: &str = "t.id IN (SELECT team_id FROM team_units WHERE unit_id IN (SELECT id FROM sub) \
     UNION SELECT id FROM teams WHERE unit_id IN (SELECT id FROM sub)) \
     AND COALESCE(pl.unit_id, t.unit_id) IN (SELECT id FROM sub)";
/// The join [`PLACED_UNIT`] needs.
pub(crate) const PLACED_JOIN: &str = "LEFT JOIN placed pl ON pl.team_id = t.id";

/// Appends the CTE `placed(team_id, unit_id)`: where each team served on `date` (write it
/// after `WITH` or a comma). Lists asked about a date name and filter teams by it.
pub(crate) fn push_placed_cte(sql: &mut Sql, date: &str) {
    sql.push("placed(team_id, unit_id) AS (SELECT tu.team_id, tu.unit_id FROM team_units tu WHERE ");
    units::push_in_effect(sql, "tu", date);
    sql.push(")");
}

/// `WITH … SELECT {columns} FROM … teams t … {join} WHERE …`: the active teams placed in
/// `scope` on its date, for counts and short lists over a scope (append more `AND …`, then
/// ORDER BY / LIMIT). `{join}` may join more tables on `t.id`; [`PLACED_UNIT`] is where each
/// team served.
///
/// The two planners need two shapes of the same set (docs/BENCHMARKS.md, Hà Nội's summary on
/// the national dataset):
/// - PostgreSQL: found from the scope's units through the indexes on `team_units.unit_id` and
///   `teams.unit_id`, as a union of the teams placed in a unit of the scope on the date and
///   those with no placement in effect then whose recorded unit is in it. Written as a filter
///   over `teams` ([`PLACED_IN_SUB`]), it read all 74,422 teams and every placement to keep
///   Hà Nội's 4,067 (`EXPLAIN ANALYZE`: 53 ms, against 22 ms driven from the units).
/// - SQLite: the filter, which it runs over the candidates in id order (12 ms in the shell);
///   the union took 40-45 ms, materialised in a temporary table.
pub(crate) fn active_in_scope(scope: &units::Subtree, columns: &str, join: &str) -> Sql {
    active_in_scope_with(scope, |sql| _ = sql.push(columns), join)
}

/// [`active_in_scope`] whose select list `columns` writes, for one that binds parameters.
pub(crate) fn active_in_scope_with(
    scope: &units::Subtree,
    columns: impl FnOnce(&mut Sql),
    join: &str,
) -> Sql {
    let date = scope.date();
    let mut sql = Sql::default();
    scope.push_cte(&mut sql);
    if scope.backend() == crate::db::Backend::Sqlite {
        sql.push(", ");
        push_placed_cte(&mut sql, date);
        sql.push(" SELECT ");
        columns(&mut sql);
        sql.push(&format!(
            " FROM teams t {PLACED_JOIN} {join} WHERE {PLACED_IN_SUB} AND t.status = 'active'"
        ));
        return sql;
    }
    sql.push(", pl(team_id, unit_id) AS (SELECT tu.team_id, tu.unit_id FROM sub JOIN team_units tu ON tu.unit_id = sub.id WHERE ");
    units::push_in_effect(&mut sql, "tu", date);
    sql.push(
        " UNION ALL SELECT x.id, x.unit_id FROM sub JOIN teams x ON x.unit_id = sub.id \
         WHERE NOT EXISTS (SELECT 1 FROM team_units y WHERE y.team_id = x.id AND ",
    );
    units::push_in_effect(&mut sql, "y", date);
    sql.push(")) SELECT ");
    columns(&mut sql);
    sql.push(&format!(" FROM pl JOIN teams t ON t.id = pl.team_id {join} WHERE t.status = 'active'"));
    sql
}

async fn fetch_team(conn: &mut AnyConnection, id: i64) -> Result<Option<TeamRow>> {
    let mut sql = Sql::new("");
    sql.push("WITH today(d) AS (SELECT ").bind(crate::dates::today_iso()).push(") ");
    sql.push(&team_select("(SELECT d FROM today)", "t.unit_id", "")).push(" WHERE t.id = ").bind(id);
    Ok(sql.query_as::<TeamRow>().fetch_optional(&mut *conn).await?)
}

/// The teams `ids` that exist, without members, in no particular order: one query (keep
/// `ids` to a few hundred: SQLite binds parameters in time quadratic in their number).
/// Errors: the database's.
pub async fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Team>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("");
    sql.push("WITH today(d) AS (SELECT ").bind(crate::dates::today_iso()).push(") ");
    sql.push(&team_select("(SELECT d FROM today)", "t.unit_id", "")).push(" WHERE t.id IN ");
    sql.push_tuples(1, ids.len());
    for id in ids {
        sql.arg(*id);
    }
    Ok(sql.query_as::<TeamRow>().fetch_all(&mut *conn).await?.into_iter().map(TeamRow::into_team).collect())
}

/// The team alone, without members (for authorization and audit).
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Team> {
    Ok(fetch_team(conn, id).await?.ok_or_else(|| Error::NotFound(format!("team {id}")))?.into_team())
}

pub async fn get(conn: &mut AnyConnection, id: i64, include_left: bool) -> Result<TeamDetail> {
    let team = fetch_team(conn, id).await?.ok_or_else(|| Error::NotFound(format!("team {id}")))?.into_team();
    let filter = MemberFilter { team: Some(id), include_left, ..Default::default() };
    let (members, _) = members::list(conn, &filter, i64::MAX, 0).await?;
    let commendations = crate::commendations::proposals::of_team(conn, id).await?;
    Ok(TeamDetail { team, members, commendations })
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TeamSort {
    #[default]
    Id,
    Name,
    Unit,
}

#[derive(Debug, Default, Clone)]
pub struct TeamFilter {
    /// Teams in these units' subtrees on `as_of` (None: everywhere).
    pub roots: Option<Vec<i64>>,
    pub as_of: String,
    pub status: Option<TeamStatus>,
    pub q: Option<String>,
    pub sort: TeamSort,
    /// Only active teams whose stored composition check (today's, [`findings`]) has an error
    /// finding: what the home page and the dashboard count.
    pub failing: bool,
}

/// The teams `f` asks for, `limit` of them from `offset` in its order, with how many there
/// are in all. Errors: the database's.
///
/// One query: the teams' ids are found, counted and cut to the page first (`listed`, a window
/// count over the filtered ids), then only the page's teams are read with their unit names
/// and member counts. Counting the whole select apart (as this did) passed over every team in
/// scope with those joins and took a second round trip (docs/BENCHMARKS.md, ninth run). A
/// page past the end has no row to carry the count; it is counted then.
pub async fn list(
    conn: &mut AnyConnection,
    f: &TeamFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Team>, i64)> {
    let subtree = match &f.roots {
        Some(roots) => Some(units::Subtree::read(conn, roots, &f.as_of).await?),
        None => None,
    };
    let subtree = subtree.as_ref();
    let order = match f.sort {
        TeamSort::Id => "t.id",
        TeamSort::Name => "t.sort_key, t.id",
        TeamSort::Unit => "u.code, t.id",
    };
    // `WITH …` and `FROM teams t … WHERE …` of the teams asked for, with the unit joined as `u`
    // when the order needs its code.
    let filtered = |sql: &mut Sql, unit: bool| {
        match subtree {
            Some(subtree) => {
                subtree.push_cte(sql);
                sql.push(", ");
            }
            None => {
                sql.push("WITH ");
            }
        }
        push_placed_cte(sql, &f.as_of);
        sql.push(", today(d) AS (SELECT ").bind(crate::dates::today_iso()).push(")");
        move |sql: &mut Sql| {
            sql.push(&format!(" FROM teams t {PLACED_JOIN}"));
            if unit {
                sql.push(&format!(" JOIN units u ON u.id = {PLACED_UNIT}"));
            }
            sql.push(" WHERE 1 = 1");
            if subtree.is_some() {
                sql.push(&format!(" AND {PLACED_IN_SUB}"));
            }
            if let Some(status) = f.status {
                sql.push(" AND t.status = ").bind(status.as_str());
            }
            if let Some(q) = f.q.as_deref().map(text::fold).filter(|q| !q.is_empty()) {
                sql.push(" AND t.search_key LIKE ")
                    .bind(format!("%{}%", text::like_escape(&q)))
                    .push(" ESCAPE '\\'");
            }
            if f.failing {
                // As the home page and the dashboard count them: dissolved and suspended teams
                // are not asked to meet a composition rule.
                sql.push(
                    " AND t.status = 'active' AND t.id IN (SELECT team_id FROM team_checks WHERE errors > 0)",
                );
            }
        }
    };
    let count = |sql: &mut Sql| {
        let from = filtered(sql, false);
        sql.push(" SELECT COUNT(*)");
        from(sql);
    };
    if limit <= 0 {
        let mut sql = Sql::default();
        count(&mut sql);
        return Ok((Vec::new(), sql.query_scalar::<i64>().fetch_one(&mut *conn).await?));
    }
    let mut sql = Sql::default();
    let from = filtered(&mut sql, f.sort == TeamSort::Unit);
    sql.push(&format!(", listed(id, unit_id, total) AS (SELECT t.id, {PLACED_UNIT}, COUNT(*) OVER ()"));
    from(&mut sql);
    sql.push(&format!(" ORDER BY {order} LIMIT ")).bind(limit).push(" OFFSET ").bind(offset).push(") ");
    sql.push(&team_select_with(
        "listed.total AS listed_total, ",
        "(SELECT d FROM today)",
        "listed.unit_id",
        "JOIN listed ON listed.id = t.id",
    ));
    sql.push(&format!(" ORDER BY {order}"));
    let rows = sql.query_as::<ListedRow>().fetch_all(&mut *conn).await?;
    let total = match rows.first() {
        Some(first) => first.listed_total,
        None if offset == 0 => 0,
        None => {
            let mut sql = Sql::default();
            count(&mut sql);
            sql.query_scalar::<i64>().fetch_one(&mut *conn).await?
        }
    };
    Ok((rows.into_iter().map(|r| r.team.into_team()).collect(), total))
}

/// A team of a [`list`] page, with the count of the whole list.
#[derive(Debug, sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    team: TeamRow,
    listed_total: i64,
}

/// A new team, as received.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Code of the commune or village the team serves.
    pub unit_code: Option<String>,
    /// Defaults to "Tổ công nghệ số cộng đồng <unit name>".
    pub name: Option<String>,
    /// Number and symbol of the establishing decision, e.g. "125/QĐ-UBND".
    pub decision_number: Option<String>,
    /// yyyy-mm-dd or dd/mm/yyyy; not in the future.
    pub decision_date: Option<String>,
    /// Who signed the decision.
    pub decision_signer: Option<String>,
}

/// A required text of at most `max` characters, cleaned ([`text::clean`]); a problem on
/// `field` when blank, too long, or holding a [`text::forbidden_char`] (files read row by row,
/// such as rosters, do not pass the request screening that JSON and forms do).
pub(crate) fn required(p: &mut Problems, field: &str, value: Option<&str>, max: usize) -> String {
    let v = value.map(text::clean).unwrap_or_default();
    // The text as sent: cleaning turns NEL, VT and FF into spaces (and adds nothing forbidden).
    if let Some(c) = value.and_then(text::forbidden_char) {
        p.add(field, text::forbidden_reason(c));
    } else if v.is_empty() {
        p.add(field, "is required");
    } else if v.chars().count() > max {
        p.add(field, format!("must be at most {max} characters"));
    }
    v
}

/// A date that must be given, be real, and not lie in the future.
pub(crate) fn past_date(
    p: &mut Problems,
    field: &str,
    value: Option<&str>,
    required: bool,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty());
    let Some(v) = v else {
        if required {
            p.add(field, "is required");
        }
        return None;
    };
    match crate::dates::parse(v) {
        None => {
            p.add(field, format!("'{v}' is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"));
            None
        }
        Some(d) if d > crate::dates::today() => {
            p.add(field, format!("{} is in the future", crate::dates::display(d)));
            None
        }
        Some(d) => Some(crate::dates::iso(d)),
    }
}

/// The default team name: "Tổ công nghệ số cộng đồng xã Bình Tường", or for a village
/// "Tổ công nghệ số cộng đồng thôn 1, xã Bình Tường".
fn default_name(unit_name: &str, commune: Option<&str>) -> String {
    let lower_first = |s: &str| {
        let mut chars = s.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
            None => String::new(),
        }
    };
    match commune {
        Some(c) => format!("Tổ công nghệ số cộng đồng {}, {}", lower_first(unit_name), lower_first(c)),
        None => format!("Tổ công nghệ số cộng đồng {}", lower_first(unit_name)),
    }
}

/// A new team that passed every check, ready to insert.
#[derive(Debug, Clone)]
pub(crate) struct CheckedTeam {
    pub unit_id: i64,
    pub name: String,
    pub decision_number: String,
    pub decision_date: String,
    pub decision_signer: String,
    /// A team of the same name already serves this unit.
    pub existing: Option<i64>,
}

/// What checking new teams reads of units and teams, read once per key: the roster import
/// checks thousands of teams of a few hundred units in one transaction, and reading a unit
/// and its teams again for each team was most of its statements. Valid for as long as no team
/// or unit is written: the import checks every team before it writes one.
#[derive(Default)]
pub(crate) struct Lookups {
    /// Unit id by code (None: no such unit).
    unit_ids: HashMap<String, Option<i64>>,
    /// A unit's version in effect on a day.
    versions: HashMap<(i64, String), Option<units::UnitRow>>,
    /// The teams serving a unit, id by name as [`text::same_name`] writes it.
    teams: HashMap<i64, HashMap<String, i64>>,
}

impl Lookups {
    async fn unit_id(&mut self, conn: &mut AnyConnection, code: &str) -> Result<Option<i64>> {
        if let Some(id) = self.unit_ids.get(code) {
            return Ok(*id);
        }
        let id = match units::id_of(conn, code).await {
            Ok(id) => Some(id),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.unit_ids.insert(code.to_string(), id);
        Ok(id)
    }

    async fn version_on(
        &mut self,
        conn: &mut AnyConnection,
        unit_id: i64,
        date: &str,
    ) -> Result<Option<units::UnitRow>> {
        let key = (unit_id, date.to_string());
        if let Some(v) = self.versions.get(&key) {
            return Ok(v.clone());
        }
        let v = units::version_on(conn, unit_id, date).await?;
        self.versions.insert(key, v.clone());
        Ok(v)
    }

    /// The team serving `unit_id` named `name` but for case and spacing, if any: two teams of
    /// one unit whose names differ only so are one team written twice ("Thôn 1", "thôn 1"),
    /// as [`text::same_name`] decides everywhere.
    async fn team_named(
        &mut self,
        conn: &mut AnyConnection,
        unit_id: i64,
        name: &str,
    ) -> Result<Option<i64>> {
        let teams = match self.teams.entry(unit_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let rows: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, name FROM teams WHERE unit_id = $1")
                        .bind(unit_id)
                        .fetch_all(&mut *conn)
                        .await?;
                e.insert(rows.into_iter().map(|(id, name)| (text::same_name(&name), id)).collect())
            }
        };
        Ok(teams.get(&text::same_name(name)).copied())
    }
}

/// The team of `unit_id` named `name` as [`text::same_name`] compares them, if any, other than
/// `except` (a team being renamed): found through the stored `search_key` (accents folded
/// too), then compared. Errors: the database's.
async fn named_in_unit(
    conn: &mut AnyConnection,
    unit_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<Option<i64>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM teams WHERE unit_id = $1 AND search_key = $2 AND id <> $3")
            .bind(unit_id)
            .bind(text::fold(name))
            // Ids start at 1.
            .bind(except.unwrap_or(0))
            .fetch_all(&mut *conn)
            .await?;
    let key = text::same_name(name);
    Ok(rows.into_iter().find(|(_, n)| text::same_name(n) == key).map(|(id, _)| id))
}

/// Validates a new team without writing (shared by the API and the roster import).
pub(crate) async fn check_new_team(conn: &mut AnyConnection, input: &NewTeam) -> Result<CheckedTeam> {
    check_new_team_with(conn, input, &mut Lookups::default()).await
}

/// [`check_new_team`], reading units and teams through `known` (see [`Lookups`]).
pub(crate) async fn check_new_team_with(
    conn: &mut AnyConnection,
    input: &NewTeam,
    known: &mut Lookups,
) -> Result<CheckedTeam> {
    let mut p = Problems::default();
    let unit_code = input.unit_code.as_deref().map(str::trim).unwrap_or_default().to_string();
    let decision_number = required(&mut p, "decision_number", input.decision_number.as_deref(), 50);
    let decision_date = past_date(&mut p, "decision_date", input.decision_date.as_deref(), true);
    let decision_signer = required(&mut p, "decision_signer", input.decision_signer.as_deref(), 100);
    let mut unit = None;
    if unit_code.is_empty() {
        p.add("unit_code", "is required");
    } else {
        match known.unit_id(conn, &unit_code).await? {
            None => p.add("unit_code", format!("unit '{unit_code}' does not exist")),
            Some(id) => {
                let date = decision_date.clone().unwrap_or_else(crate::dates::today_iso);
                match known.version_on(conn, id, &date).await? {
                    None => p.add("unit_code", format!("unit '{unit_code}' did not exist on {date}")),
                    Some(v) if !matches!(v.level(), Level::Commune | Level::Village) => p.add(
                        "unit_code",
                        format!("a team serves a commune or a village, not a {}", v.level().as_str()),
                    ),
                    Some(v) => unit = Some(v),
                }
            }
        }
    }
    let name = match input.name.as_deref().map(text::clean).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 200 => {
            p.add("name", "must be at most 200 characters");
            n
        }
        Some(n) => n,
        None => match &unit {
            None => String::new(),
            Some(u) => {
                // Village names repeat from commune to commune ("Thôn 1"): name the commune too.
                let date = decision_date.clone().unwrap_or_else(crate::dates::today_iso);
                let parent = match (u.level(), u.parent_id) {
                    (Level::Village, Some(pid)) => known.version_on(conn, pid, &date).await?.map(|p| p.name),
                    _ => None,
                };
                default_name(&u.name, parent.as_deref())
            }
        },
    };
    p.into_result()?;
    let unit = unit.expect("checked above");
    let existing = known.team_named(conn, unit.unit_id, &name).await?;
    Ok(CheckedTeam {
        unit_id: unit.unit_id,
        name,
        decision_number,
        decision_date: decision_date.expect("checked above"),
        decision_signer,
        existing,
    })
}

/// The first day `team_id`'s unit is no longer in effect, when the team's latest unit has
/// closed on or before `date` (a team stranded there by a closing that predates transfers).
/// Writes that date a membership after it are refused with this day in the message.
pub(crate) async fn unit_closed_by(
    conn: &mut AnyConnection,
    team_id: i64,
    date: &str,
) -> Result<Option<(String, String)>> {
    let closed = units_closed(conn, &[team_id]).await?;
    Ok(closed.get(&team_id).and_then(|c| c.on_or_before(date)))
}

/// A team's latest unit: its code, and the first day it is no longer in effect if it has
/// closed (see [`unit_closed_by`]).
#[derive(Debug, Clone)]
pub(crate) struct UnitClosing {
    pub code: String,
    pub closed: Option<String>,
}

impl UnitClosing {
    /// (code, closing day) when the unit closed on or before `date` (ISO days compare as text).
    pub(crate) fn on_or_before(&self, date: &str) -> Option<(String, String)> {
        self.closed.as_ref().filter(|c| c.as_str() <= date).map(|c| (self.code.clone(), c.clone()))
    }
}

/// [`UnitClosing`] of each of `team_ids` that exists, in one query (keep `team_ids` to a few
/// hundred). Errors: the database's.
pub(crate) async fn units_closed(
    conn: &mut AnyConnection,
    team_ids: &[i64],
) -> Result<HashMap<i64, UnitClosing>> {
    if team_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT t.id, u.code, (SELECT MAX(v.valid_to) FROM unit_versions v WHERE v.unit_id = t.unit_id \
           AND NOT EXISTS (SELECT 1 FROM unit_versions w WHERE w.unit_id = t.unit_id AND w.valid_to IS NULL)) \
         FROM teams t JOIN units u ON u.id = t.unit_id WHERE t.id IN ",
    );
    sql.push_tuples(1, team_ids.len());
    for id in team_ids {
        sql.arg(*id);
    }
    let rows: Vec<(i64, String, Option<String>)> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|(id, code, closed)| (id, UnitClosing { code, closed })).collect())
}

/// Moves every team serving `from` that is not dissolved to `to`, from `on` (the day `from`
/// closed): the open placement ends that day, a new one starts, `teams.unit_id` follows, and
/// each move is audited with `reason`. A team whose name is already taken in `to` gets the
/// old unit's name appended ("… (Xã Bình Tường)"), since names are unique within a unit.
/// Returns the ids of the teams moved.
pub(crate) async fn transfer_all(
    conn: &mut AnyConnection,
    actor: &Actor,
    from: i64,
    to: i64,
    on: &str,
    reason: &str,
) -> Result<Vec<i64>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM teams WHERE unit_id = $1 AND status <> 'dissolved' ORDER BY id")
            .bind(from)
            .fetch_all(&mut *conn)
            .await?;
    let old_name: Option<String> =
        sqlx::query_scalar("SELECT name FROM unit_versions WHERE unit_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(from)
            .fetch_optional(&mut *conn)
            .await?;
    for &id in &ids {
        let before = find(conn, id).await?;
        let taken = named_in_unit(conn, to, &before.name, None).await?;
        let name = match (taken, &old_name) {
            (Some(_), Some(old)) => format!("{} ({old})", before.name),
            (Some(_), None) => format!("{} (tổ {id})", before.name),
            (None, _) => before.name.clone(),
        };
        sqlx::query("UPDATE team_units SET valid_to = $1 WHERE team_id = $2 AND valid_to IS NULL")
            .bind(on)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO team_units (team_id, unit_id, valid_from, reason) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(to)
            .bind(on)
            .bind(reason)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE teams SET unit_id = $1, name = $2, search_key = $3, sort_key = $4, updated_at = $5 WHERE id = $6")
            .bind(to)
            .bind(&name)
            .bind(text::fold(&name))
            .bind(text::sort_key(&name))
            .bind(now())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let after = find(conn, id).await?;
        let mut change = Change::new("transfer", "team", id, Some(to)).before(Some(&before)).after(&after);
        change.reason = Some(reason.to_string());
        audit::record(conn, actor, change).await?;
    }
    Ok(ids)
}

pub(crate) async fn insert_team(conn: &mut AnyConnection, t: &CheckedTeam) -> Result<i64> {
    let id = crate::db::reserve_ids(conn, "teams", 1).await?[0];
    insert_teams(conn, &[(id, t)]).await?;
    Ok(id)
}

/// Inserts checked teams with the ids given (from [`crate::db::reserve_ids`]), each placed on
/// its unit, in multi-row statements. Errors: the database's (a name taken in the unit).
pub(crate) async fn insert_teams(conn: &mut AnyConnection, teams: &[(i64, &CheckedTeam)]) -> Result<()> {
    let stamp = now();
    for part in teams.chunks(crate::db::ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO teams (id, unit_id, name, search_key, decision_number, decision_date, decision_signer, \
               status, created_at, updated_at, sort_key) VALUES ",
        );
        sql.push_tuples(part.len(), 11);
        for (id, t) in part {
            sql.arg(*id)
                .arg(t.unit_id)
                .arg(t.name.as_str())
                .arg(text::fold(&t.name))
                .arg(t.decision_number.as_str())
                .arg(t.decision_date.as_str())
                .arg(t.decision_signer.as_str())
                .arg("active")
                .arg(stamp.as_str())
                .arg(stamp.as_str())
                .arg(text::sort_key(&t.name));
        }
        sql.query().execute(&mut *conn).await?;
        let mut sql = Sql::new("INSERT INTO team_units (team_id, unit_id) VALUES ");
        sql.push_tuples(part.len(), 2);
        for (id, t) in part {
            sql.arg(*id).arg(t.unit_id);
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn create(conn: &mut AnyConnection, actor: &Actor, input: NewTeam) -> Result<Team> {
    let checked = check_new_team(conn, &input).await?;
    if let Some(id) = checked.existing {
        // A team set up again after its predecessor's dissolution needs a name of its own: the
        // old team keeps its name (its records, reports and awards are under it).
        let existing = find(conn, id).await?;
        let dissolved = match (existing.status, existing.status_date) {
            (TeamStatus::Dissolved, Some(day)) => {
                format!(
                    ", dissolved on {day}: give the new team a name of its own, or rename the old one first"
                )
            }
            _ => String::new(),
        };
        return Err(Error::Conflict(format!(
            "this unit already has a team named '{}' (team {id}){dissolved}",
            checked.name
        )));
    }
    let id = insert_team(conn, &checked).await?;
    let team = find(conn, id).await?;
    audit_team(conn, actor, "create", None, &team).await?;
    Ok(team)
}

pub(crate) async fn audit_team(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    before: Option<&Team>,
    after: &Team,
) -> Result<()> {
    let change = Change::new(action, "team", after.id, Some(after.unit_id)).before(before).after(after);
    audit::record(conn, actor, change).await
}

/// Changes to a team; absent fields stay as they are.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamChange {
    pub name: Option<String>,
    pub decision_number: Option<String>,
    pub decision_date: Option<String>,
    pub decision_signer: Option<String>,
    /// active, suspended or dissolved. Suspending or dissolving needs `status_date` and
    /// `status_reason`; returning to active clears them. A dissolved team stays dissolved (422
    /// on `status`): its date and reason can still be corrected.
    pub status: Option<String>,
    pub status_date: Option<String>,
    pub status_reason: Option<String>,
}

pub async fn update(conn: &mut AnyConnection, actor: &Actor, id: i64, input: TeamChange) -> Result<Team> {
    let row = fetch_team(conn, id).await?.ok_or_else(|| Error::NotFound(format!("team {id}")))?;
    let mut p = Problems::default();
    let name = match &input.name {
        Some(n) => required(&mut p, "name", Some(n), 200),
        None => row.name.clone(),
    };
    let decision_number = match &input.decision_number {
        Some(n) => required(&mut p, "decision_number", Some(n), 50),
        None => row.decision_number.clone(),
    };
    let decision_signer = match &input.decision_signer {
        Some(n) => required(&mut p, "decision_signer", Some(n), 100),
        None => row.decision_signer.clone(),
    };
    let decision_date = match &input.decision_date {
        Some(d) => past_date(&mut p, "decision_date", Some(d), true).unwrap_or_default(),
        None => row.decision_date.clone(),
    };
    let was = TeamStatus::parse(&row.status).unwrap_or(TeamStatus::Active);
    let status = match input.status.as_deref() {
        None => Some(was),
        Some(s) => TeamStatus::parse(s).or_else(|| {
            p.add("status", format!("'{s}' is not one of {}", TeamStatus::expected()));
            None
        }),
    };
    // A dissolution is final (giải thể): the unit may since have merged away, and the team's
    // members, reports and awards are closed history. A team that serves again is established
    // anew, under its own decision.
    if was == TeamStatus::Dissolved && status.is_some_and(|s| s != TeamStatus::Dissolved) {
        p.add(
            "status",
            format!(
                "the team was dissolved on {}; a dissolution is final: establish a new team under its own decision",
                row.status_date.as_deref().unwrap_or("an unrecorded day")
            ),
        );
    }
    let status = status.unwrap_or(was);
    // The day of the dissolution already recorded, whose ended stints a corrected day moves.
    let ended_by_it = if was == TeamStatus::Dissolved { row.status_date.clone() } else { None };
    // A status that changes needs its day and reason; one sent again as it is keeps them.
    let changes = status != was;
    let (status_date, status_reason) = if status == TeamStatus::Active {
        (None, None)
    } else {
        let date = match &input.status_date {
            Some(d) => past_date(&mut p, "status_date", Some(d), true),
            None if changes => {
                p.add("status_date", "is required when suspending or dissolving a team");
                None
            }
            None => row.status_date.clone(),
        };
        let reason = match &input.status_reason {
            Some(r) => Some(required(&mut p, "status_reason", Some(r), 500)),
            None if changes => {
                p.add("status_reason", "is required when suspending or dissolving a team");
                None
            }
            None => row.status_reason.clone(),
        };
        if let Some(d) = &date
            && d.as_str() < decision_date.as_str()
        {
            p.add("status_date", "cannot be before the team was established");
        }
        (date, reason)
    };
    // Nobody joins a dissolved team (`members::add` refuses it): its day of dissolution is not
    // before anyone joined, whether it is set now or corrected later. Checked when the day is
    // set or changed, not on every edit: a team recorded otherwise before this rule can still
    // be renamed, and its day is held to the rule once someone corrects it.
    if status == TeamStatus::Dissolved
        && let Some(d) = &status_date
        && (changes || status_date != row.status_date)
    {
        let last_joined: Option<String> =
            sqlx::query_scalar("SELECT MAX(joined_on) FROM memberships WHERE team_id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(joined) = last_joined.filter(|j| j.as_str() > d.as_str()) {
            p.add("status_date", format!("is before a member joined the team on {joined}"));
        }
        // The dissolution ends every stint still open (`members::end_at_dissolution`), and
        // moves those it ended when its day is corrected; a departure recorded after the day
        // is the user's to correct, not one to shorten silently.
        let last_left: Option<String> = sqlx::query_scalar(
            "SELECT MAX(left_on) FROM memberships WHERE team_id = $1 \
               AND NOT (left_on = $2 AND left_reason = $3 AND $2 IS NOT NULL)",
        )
        .bind(id)
        .bind(ended_by_it.as_deref())
        .bind(members::DISSOLVED)
        .fetch_one(&mut *conn)
        .await?;
        if let Some(left) = last_left.filter(|l| l.as_str() > d.as_str()) {
            p.add("status_date", format!("is before a member left the team on {left}"));
        }
    }
    // Nobody joins a team before it was established (`members::add` refuses it), so its
    // decision day, when corrected, is not moved past anyone's first day.
    if decision_date != row.decision_date && !decision_date.is_empty() {
        let first_joined: Option<String> =
            sqlx::query_scalar("SELECT MIN(joined_on) FROM memberships WHERE team_id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(joined) = first_joined.filter(|j| j.as_str() < decision_date.as_str()) {
            p.add("decision_date", format!("is after a member joined the team on {joined}"));
        }
    }
    p.into_result()?;
    // A change that changes nothing writes nothing (a form sent again, a request retried): no
    // new `updated_at`, no audit entry whose before and after are the same.
    if name == row.name
        && decision_number == row.decision_number
        && decision_date == row.decision_date
        && decision_signer == row.decision_signer
        && status.as_str() == row.status
        && status_date == row.status_date
        && status_reason == row.status_reason
    {
        return Ok(row.into_team());
    }
    if name != row.name && named_in_unit(conn, row.unit_id, &name, Some(id)).await?.is_some() {
        return Err(Error::Conflict(format!("this unit already has a team named '{name}'")));
    }
    sqlx::query(
        "UPDATE teams SET name = $1, search_key = $2, decision_number = $3, decision_date = $4, \
           decision_signer = $5, status = $6, status_date = $7, status_reason = $8, updated_at = $9, \
           sort_key = $11 WHERE id = $10",
    )
    .bind(&name)
    .bind(text::fold(&name))
    .bind(&decision_number)
    .bind(&decision_date)
    .bind(&decision_signer)
    .bind(status.as_str())
    .bind(status_date.clone())
    .bind(status_reason)
    .bind(now())
    .bind(id)
    .bind(text::sort_key(&name))
    .execute(&mut *conn)
    .await?;
    // The stints first, so that the team's audit row counts the members it has after.
    if status == TeamStatus::Dissolved
        && let Some(day) = &status_date
    {
        members::end_at_dissolution(conn, actor, id, day, ended_by_it.as_deref()).await?;
    }
    let after = find(conn, id).await?;
    audit_team(conn, actor, "update", Some(&row.into_team()), &after).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_judged_as_sent_and_kept_clean() {
        let mut p = Problems::default();
        // NEL would become a space when cleaned; it is refused as sent.
        required(&mut p, "full_name", Some("Lê\u{85}Văn"), 100);
        assert_eq!(p.0.len(), 1, "{:?}", p.0);
        assert!(p.0[0].message.contains("U+0085"), "{:?}", p.0);
        let mut p = Problems::default();
        assert_eq!(required(&mut p, "full_name", Some(" Lê\u{200B}  Văn\tA "), 100), "Lê Văn A");
        assert!(p.0.is_empty());
        required(&mut p, "full_name", Some("\u{200B}\u{FEFF}"), 100);
        assert_eq!(p.0[0].message, "is required");
    }
}
