//! Team coverage under a unit, one line per child unit: what reports put in their table and
//! the dashboard draws. Two queries (the subtree's units, its active teams with their serving
//! members and stored findings); the roll-up to each child happens here.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::db::Sql;
use crate::error::Result;
use crate::units::{self, Level};

/// One child unit's teams, members and villages (its whole subtree counted).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coverage {
    pub unit_code: String,
    pub unit_name: String,
    pub level: Level,
    /// Active teams.
    pub teams: u32,
    /// Members serving on the date, over those teams.
    pub members: u32,
    /// Villages (and residential groups) in the subtree; the unit itself when it is one.
    pub villages: u32,
    /// Those of them with an active team.
    pub villages_with_team: u32,
    /// The active teams' ids, for checks that need them.
    pub team_ids: Vec<i64>,
    /// Those of them whose stored composition check has an error finding: today's findings
    /// ([`crate::teams::findings`]), whatever the date asked, so only the dashboard (which
    /// asks about today) shows it.
    #[serde(skip)]
    pub failing: u32,
    /// The unit's collation key ([`crate::text::unit_sort_key`]), to list lines by name in
    /// Vietnamese order.
    #[serde(skip)]
    pub sort_key: String,
}

/// Coverage of each child of `unit_id` on `date`, in code order; when teams sit on the unit
/// itself (a commune's own team), they come first as a line of their own named after the unit.
pub async fn by_child(conn: &mut AnyConnection, unit_id: i64, date: &str) -> Result<Vec<Coverage>> {
    let subtree = units::Subtree::read(conn, &[unit_id], date).await?;
    by_child_in(conn, unit_id, &subtree).await
}

/// [`by_child`] over `subtree`, read by the caller for `unit_id` alone (the dashboard reads it
/// once for this and the findings' counts), on its date.
pub(crate) async fn by_child_in(
    conn: &mut AnyConnection,
    unit_id: i64,
    subtree: &units::Subtree,
) -> Result<Vec<Coverage>> {
    let date = subtree.date();
    // The subtree on `date`, with the names and codes the lines need.
    let mut sql = Sql::default();
    subtree.push_cte(&mut sql);
    sql.push(
        "SELECT v.unit_id, v.parent_id, v.level, u.code, v.name, v.sort_key FROM unit_versions v \
         JOIN sub ON sub.id = v.unit_id JOIN units u ON u.id = v.unit_id WHERE ",
    );
    units::push_in_effect(&mut sql, "v", date);
    sql.push(" ORDER BY u.code");
    let tree: Vec<(i64, Option<i64>, String, String, String, String)> =
        sql.query_as().fetch_all(&mut *conn).await?;

    let mut sql = Sql::default();
    subtree.push_cte(&mut sql);
    // Each team where it served on `date` (a team of a commune merged since counts there).
    sql.push(
        "SELECT t.id, tu.unit_id, CAST(CASE WHEN c.errors > 0 THEN 1 ELSE 0 END AS BIGINT), \
         (SELECT COUNT(*) FROM memberships m WHERE m.team_id = t.id AND m.joined_on <= ",
    )
    .bind(date)
    .push(" AND (m.left_on IS NULL OR m.left_on > ")
    .bind(date)
    // From the subtree's units to their teams: `CROSS JOIN` keeps SQLite from walking every
    // team of the country in id order to match them against the subtree (69 ms against 34 ms
    // for Hà Nội's 4,067 teams in the shell); PostgreSQL reads it as a plain join. Sorted here.
    .push(
        ")) FROM sub CROSS JOIN team_units tu JOIN teams t ON t.id = tu.team_id \
         LEFT JOIN team_checks c ON c.team_id = t.id WHERE tu.unit_id = sub.id AND ",
    );
    units::push_in_effect(&mut sql, "tu", date);
    sql.push(" AND t.status = 'active'");
    let mut teams: Vec<(i64, i64, i64, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
    teams.sort_unstable_by_key(|t| t.0);

    // Which child of `unit_id` each unit rolls up to (the unit itself maps to itself).
    let parent: HashMap<i64, Option<i64>> = tree.iter().map(|(id, p, ..)| (*id, *p)).collect();
    let top = |mut id: i64| -> i64 {
        for _ in 0..16 {
            match parent.get(&id).copied().flatten() {
                Some(p) if p == unit_id => return id,
                Some(p) if id != unit_id => id = p,
                _ => return unit_id,
            }
        }
        unit_id
    };
    let level = |l: &str| Level::parse(l).unwrap_or(Level::Village);
    let mut lines: HashMap<i64, Coverage> = HashMap::new();
    // The children, in code order, then (if it has teams of its own) the unit itself.
    let mut order = Vec::new();
    for (id, p, l, code, name, key) in &tree {
        if *p == Some(unit_id) || *id == unit_id {
            let mut line = blank(code.clone(), name.clone(), level(l));
            line.sort_key = key.clone();
            lines.insert(*id, line);
            if *id != unit_id {
                order.push(*id);
            }
        }
    }
    if let std::collections::hash_map::Entry::Vacant(own) = lines.entry(unit_id) {
        // Not in effect on `date` (closed since): named as its nearest version.
        let code = units::code_of(conn, unit_id).await?;
        let me = units::get(conn, &code, date).await?.unit;
        own.insert(blank(me.code, me.name, me.level));
    }
    let mut teamed_units: HashSet<i64> = HashSet::new();
    for (team_id, team_unit, failing, members) in &teams {
        teamed_units.insert(*team_unit);
        let line = lines.get_mut(&top(*team_unit)).expect("the unit and its children have lines");
        line.teams += 1;
        line.members += *members as u32;
        line.failing += *failing as u32;
        line.team_ids.push(*team_id);
    }
    for (id, _, l, ..) in &tree {
        if level(l) == Level::Village && *id != unit_id {
            let line = lines.get_mut(&top(*id)).expect("every unit below rolls up to a child");
            line.villages += 1;
            if teamed_units.contains(id) {
                line.villages_with_team += 1;
            }
        }
    }
    let mut out = Vec::new();
    if let Some(own) = lines.remove(&unit_id).filter(|own| own.teams > 0) {
        out.push(own);
    }
    out.extend(order.into_iter().filter_map(|id| lines.remove(&id)));
    Ok(out)
}

fn blank(unit_code: String, unit_name: String, level: Level) -> Coverage {
    Coverage {
        unit_code,
        unit_name,
        level,
        teams: 0,
        members: 0,
        villages: 0,
        villages_with_team: 0,
        team_ids: Vec::new(),
        failing: 0,
        sort_key: String::new(),
    }
}

/// A team as a short list shows it ([`crate::teams::findings::leaderless`]).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TeamRef {
    pub id: i64,
    pub name: String,
    pub unit_name: String,
}

/// A commune or village with no active team of its own.
#[derive(Debug, Clone, Serialize)]
pub struct Uncovered {
    pub code: String,
    pub name: String,
    pub level: String,
    /// The commune of a village ("Thôn 1" repeats from commune to commune).
    pub parent_name: Option<String>,
}

/// Communes and villages in the `scope` on its date with no active team of their own (at most
/// `limit` of them, in code order), and how many there are in all.
///
/// The scope's communes and villages are read first (a materialised CTE) and tested there: left
/// to itself, SQLite walked every unit of the country in code order to serve `ORDER BY code
/// LIMIT`, which where every commune has a team meant all 11,367 of them (24 ms for Hà Nội).
pub async fn without_team(
    conn: &mut AnyConnection,
    scope: &units::Subtree,
    limit: i64,
) -> Result<(Vec<Uncovered>, i64)> {
    let date = scope.date();
    let query = |columns: &str| {
        let mut sql = Sql::default();
        scope.push_cte(&mut sql);
        sql.push(
            ", here(unit_id, parent_id, code, name, level) AS MATERIALIZED (SELECT v.unit_id, v.parent_id, u.code, \
             v.name, v.level FROM sub JOIN unit_versions v ON v.unit_id = sub.id JOIN units u ON u.id = v.unit_id \
             WHERE v.level IN ('commune', 'village') AND ",
        );
        units::push_in_effect(&mut sql, "v", date);
        sql.push(") SELECT ");
        sql.push(columns);
        sql.push(
            " FROM here h WHERE NOT EXISTS (SELECT 1 FROM team_units tu JOIN teams t ON t.id = tu.team_id \
             WHERE tu.unit_id = h.unit_id AND t.status = 'active' AND ",
        );
        units::push_in_effect(&mut sql, "tu", date);
        sql.push(")");
        sql
    };
    let total = query("COUNT(*)").query_scalar::<i64>().fetch_one(&mut *conn).await?;
    let mut sql = query("h.code, h.name, h.level, h.parent_id");
    sql.push(" ORDER BY h.code LIMIT ").bind(limit);
    let found: Vec<(String, String, String, Option<i64>)> = sql.query_as().fetch_all(&mut *conn).await?;
    // The communes of the villages listed, by name on `date` (a few queries at most).
    let mut rows = Vec::with_capacity(found.len());
    for (code, name, level, parent) in found {
        let parent_name = match parent {
            Some(p) if level == "village" => {
                let mut q = Sql::new("SELECT pv.name FROM unit_versions pv WHERE pv.unit_id = ");
                q.bind(p).push(" AND ");
                units::push_in_effect(&mut q, "pv", date);
                q.push(" ORDER BY pv.id DESC LIMIT 1");
                q.query_scalar::<String>().fetch_optional(&mut *conn).await?
            }
            _ => None,
        };
        rows.push((code, name, level, parent_name));
    }
    let uncovered = rows
        .into_iter()
        .map(|(code, name, level, parent)| Uncovered {
            parent_name: parent.filter(|_| level == "village"),
            code,
            name,
            level,
        })
        .collect();
    Ok((uncovered, total))
}
