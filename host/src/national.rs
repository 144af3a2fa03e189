//! The national dataset: a synthetic country the size of Viet Nam's Community Digital
//! Technology Team network, for benchmarks and load tests (issue 15, point 1).
//!
//! Built deterministically from a seed and the 2022 list of administrative units
//! (`shared/data/vn-admin-units-2022-04.json`: 63 provinces, 705 districts, 10,599 communes):
//! - [`TEAMS`] teams and [`MEMBERS`] members, the network's size by mid-2023
//!   (`shared/domain/README.md`): every commune gets 7 teams (a few get 8), each team 4 or 5
//!   members. Five members make a team that Bình Định's Plan 77 accepts (a commune leader
//!   leading, the Youth Union, the cultural officer, the post office, the police); four leave
//!   out the police, so about a third of the teams fail their rule, as real data would;
//! - the bundled plugins installed, and at every province the composition rule
//!   (`binh-dinh-ke-hoach-77`), the communes' monthly report (`bao-cao-thang-xa`) and the
//!   quarterly report (`binh-dinh-bao-cao-quy`) bound from 01/01/2022;
//! - with reports on, every commune's accepted reports for each period of [`REPORT_YEAR`] on
//!   every bound form that communes fill: the quarterly one, 42,396 submissions. The bundled
//!   monthly template (`bao-cao-thang-xa`) collects villages' figures, and the 2022 unit list
//!   has no villages, so the dataset has no monthly reports;
//! - accounts for the benchmarks, password [`PASSWORD`]: a viewer of the whole country (a role
//!   at every province), Hà Nội's province administrator, Ba Đình's district culture office and
//!   Phúc Xá's commune officer ([`ACCOUNTS`]);
//! - every team's findings computed (the whole country's check through the plugins), so pages
//!   start from current findings.
//!
//! Rows are written in multi-row statements, a few thousand values each, in one transaction per
//! step; people's names get their collation keys as on every insert. The dataset is synthetic:
//! there is one audit row for it, none per team or member. It fills only a database without
//! teams: it never mixes with real data.

use std::path::Path;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::audit::{self, Actor, Change};
use crate::db::{Backend, Db, ROWS_PER_STATEMENT, Sql, now};
use crate::error::{Error, Result};
use crate::plugins::Runtime;
use crate::plugins::registry::PluginInfo;
use crate::text;
use crate::units::UnitSource;

/// Teams in the network by mid-2023.
pub const TEAMS: usize = 74_422;
/// Members in the network by mid-2023.
pub const MEMBERS: usize = 348_362;
/// The year of the generated reports.
pub const REPORT_YEAR: i32 = 2025;
/// The password of the dataset's accounts (a benchmark dataset is not a deployment).
pub const PASSWORD: &str = "Bench@QuocGia-2023";
/// The units file, in the shared data folder.
pub const UNITS_FILE: &str = "vn-admin-units-2022-04.json";

/// (username, display name, role, unit codes) of the dataset's accounts; `*` is every province.
pub const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    ("quocgia.xem", "Người xem toàn quốc", "viewer", "*"),
    ("hanoi.admin", "Sở TT&TT Hà Nội", "province_admin", "01"),
    ("badinh.vhtt", "Phòng VH-TT quận Ba Đình", "district_culture", "001"),
    ("phucxa.xa", "UBND phường Phúc Xá", "commune_officer", "00001"),
];

const COMPOSITION: &str = "binh-dinh-ke-hoach-77";
const MONTHLY: &str = "bao-cao-thang-xa";
const QUARTERLY: &str = "binh-dinh-bao-cao-quy";

/// Teams written per round (their people and memberships with them).
const CHUNK: usize = 2_000;

/// How the dataset is built.
#[derive(Debug, Clone)]
pub struct Options {
    /// The same seed gives the same dataset.
    pub seed: u64,
    /// Also a year of reports for every commune (see the module documentation).
    pub reports: bool,
}

/// A step of the build, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Units,
    Plugins,
    Teams,
    Reports,
    Findings,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Units => "units",
            Step::Plugins => "plugins and bindings",
            Step::Teams => "teams and members",
            Step::Reports => "reports",
            Step::Findings => "findings (every team's check)",
        }
    }
}

/// What was built, and how long each step took.
#[derive(Debug, Default, Clone)]
pub struct Built {
    pub units: usize,
    pub communes: usize,
    pub teams: usize,
    pub members: usize,
    pub submissions: usize,
    pub findings: usize,
    /// (step, seconds).
    pub timings: Vec<(&'static str, f64)>,
}

/// Progress: the step, done and total (in the step's own units: rows, teams).
pub type Progress<'a> = &'a (dyn Fn(Step, usize, usize) + Sync);

/// Builds the dataset into `db` (migrated). `shared_data` holds [`UNITS_FILE`]; the bundled
/// plugins are built from `plugin_dir` into `target_dir` (as `sohoa demo` does). Errors:
/// `Conflict` when the database already holds teams; the database's, the plugins' and the
/// files' otherwise. Nothing is half-built per step: each step is one transaction.
pub async fn build(
    db: &Db,
    runtime: &Arc<Runtime>,
    shared_data: &Path,
    plugin_dir: &Path,
    target_dir: &Path,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Built> {
    let teams: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM teams").fetch_one(&db.pool).await?;
    if teams > 0 {
        return Err(Error::Conflict(format!(
            "the database already holds {teams} teams; the national dataset fills only a database without teams"
        )));
    }
    let actor = Actor::system("sohoa national-dataset");
    let mut built = Built::default();
    let mut clock = std::time::Instant::now();
    let mut lap = |built: &mut Built, step: Step| {
        built.timings.push((step.label(), clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };

    // Units: the 2022 tree, as `sohoa units import` reads it.
    let source = UnitSource::read(&shared_data.join(UNITS_FILE))?;
    let mut tx = db.begin_write().await?;
    crate::units::import_units(&mut tx, &actor, &source.units, None, &|d, t| progress(Step::Units, d, t))
        .await?;
    tx.commit().await?;
    built.units = source.units.len();
    lap(&mut built, Step::Units);

    // Plugins, bound at every province.
    let mut tx = db.begin_write().await?;
    let installed = crate::demo::install_bundled(&mut tx, runtime, plugin_dir, target_dir).await?;
    let find = |id: &str| {
        installed.iter().find(|p| p.plugin_id == id).cloned().ok_or_else(|| {
            Error::BadRequest(format!("the bundled plugin {id} is missing from {}", plugin_dir.display()))
        })
    };
    let rules = [find(COMPOSITION)?, find(MONTHLY)?, find(QUARTERLY)?];
    let provinces: Vec<String> = sqlx::query_scalar(
        "SELECT u.code FROM units u JOIN unit_versions v ON v.unit_id = u.id \
         WHERE v.level = 'province' AND v.valid_to IS NULL ORDER BY u.code",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (i, code) in provinces.iter().enumerate() {
        for info in &rules {
            let input = crate::plugins::bindings::NewBinding {
                kind: info.kinds[0],
                plugin_id: Some(info.plugin_id.clone()),
                version: Some(info.version.clone()),
                effective_from: Some("2022-01-01".into()),
                params: Default::default(),
            };
            crate::plugins::bindings::bind(&mut tx, &actor, code, input).await?;
        }
        progress(Step::Plugins, i + 1, provinces.len());
    }
    create_accounts(&mut tx, &actor, &provinces).await?;
    tx.commit().await?;
    lap(&mut built, Step::Plugins);

    // Teams and members.
    let communes: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT v.unit_id, v.name, u.code FROM unit_versions v JOIN units u ON u.id = v.unit_id \
         WHERE v.level = 'commune' AND v.valid_to IS NULL ORDER BY u.code",
    )
    .fetch_all(&db.pool)
    .await?;
    built.communes = communes.len();
    let (teams, members) = write_teams(db, &communes, options.seed, progress).await?;
    built.teams = teams;
    built.members = members;
    lap(&mut built, Step::Teams);

    if options.reports {
        built.submissions = write_reports(db, &communes, &rules[1..], options.seed, progress).await?;
        lap(&mut built, Step::Reports);
    }

    // Fresh statistics for the planner: on PostgreSQL, tables loaded in one go still carry the
    // statistics of empty tables until autovacuum comes by, and the per-team reads of the
    // findings step were planned as scans (about 80 teams/s instead of thousands).
    sqlx::query("ANALYZE").execute(&db.pool).await?;

    let mut tx = db.begin_write().await?;
    let change = Change::new("generate", "dataset", "national", None).after(&serde_json::json!({
        "seed": options.seed, "teams": built.teams, "members": built.members, "submissions": built.submissions,
    }));
    audit::record(&mut tx, &actor, change).await?;
    tx.commit().await?;

    progress(Step::Findings, 0, built.teams);
    built.findings = crate::teams::findings::refresh_all(db, runtime, "national-dataset").await?;
    progress(Step::Findings, built.findings, built.teams);
    lap(&mut built, Step::Findings);
    Ok(built)
}

async fn create_accounts(tx: &mut sqlx::AnyConnection, actor: &Actor, provinces: &[String]) -> Result<()> {
    for (username, display_name, role, units) in ACCOUNTS {
        let codes: Vec<String> = if *units == "*" { provinces.to_vec() } else { vec![units.to_string()] };
        let mut roles = Vec::new();
        let mut checked = Vec::new();
        for code in codes {
            let role = crate::users::NewRole { role: role.to_string(), unit_code: Some(code), team_id: None };
            checked.push(crate::users::check_role(tx, &role).await?);
            roles.push(role);
        }
        let input = crate::users::NewUser {
            username: Some(username.to_string()),
            display_name: Some(display_name.to_string()),
            password: Some(PASSWORD.to_string()),
            roles,
        };
        // Inside the dataset's loading transaction: nothing else writes while it runs.
        let password = crate::auth::password::Hashed::of(PASSWORD).await?;
        crate::users::create(tx, actor, &input, &password, &checked).await?;
    }
    Ok(())
}

/// Members by seat: (position, affiliation). The fifth seat is the one a four-member team
/// lacks.
const SEATS: [(&str, &str); 5] = [
    ("leader", "commune_leadership"),
    ("deputy", "youth_union"),
    ("member", "cultural_social_officer"),
    ("member", "telecom_postal"),
    ("member", "commune_police"),
];

/// The number of teams of each commune and of members of each team, adding up to [`TEAMS`]
/// and [`MEMBERS`] exactly, shuffled by the seed.
fn sizes(communes: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let per_commune = TEAMS / communes.max(1);
    let mut teams: Vec<usize> =
        (0..communes).map(|i| per_commune + usize::from(i < TEAMS % communes.max(1))).collect();
    teams.shuffle(&mut rng);
    let total: usize = teams.iter().sum();
    let per_team = MEMBERS / total.max(1);
    let mut members: Vec<usize> =
        (0..total).map(|i| per_team + usize::from(i < MEMBERS - per_team * total)).collect();
    members.shuffle(&mut rng);
    (teams, members)
}

/// Writes the teams (with their placement) and their members, one transaction, in chunks of
/// communes; the ids are given here (the tables are empty of them) so that rows can refer to
/// each other without reading back.
async fn write_teams(
    db: &Db,
    communes: &[(i64, String, String)],
    seed: u64,
    progress: Progress<'_>,
) -> Result<(usize, usize)> {
    let (team_counts, member_counts) = sizes(communes.len(), seed);
    let mut people_gen = crate::demo::Gen::new(seed);
    let stamp = now();
    let mut tx = db.begin_write().await?;
    let mut next_person: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM people").fetch_one(&mut *tx).await?;
    let mut next_membership: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM memberships").fetch_one(&mut *tx).await?;
    let mut next_team: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM teams").fetch_one(&mut *tx).await?;
    let (mut team_index, mut members_written) = (0usize, 0usize);
    // Teams of a chunk of communes, then their people and memberships.
    let mut start = 0;
    while start < communes.len() {
        let mut teams = Vec::new();
        let mut end = start;
        while end < communes.len() && teams.len() + team_counts[end] <= CHUNK {
            let (unit_id, name, code) = &communes[end];
            for k in 0..team_counts[end] {
                let team_name = format!("Tổ CNSCĐ số {} {}", k + 1, name);
                teams.push((next_team, *unit_id, team_name, format!("{}/QĐ-UBND-{code}", 100 + k)));
                next_team += 1;
            }
            end += 1;
        }
        for part in teams.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO teams (id, unit_id, name, search_key, decision_number, decision_date, decision_signer, \
                 status, created_at, updated_at, sort_key) VALUES ",
            );
            sql.push_tuples(part.len(), 11);
            for (id, unit_id, name, decision) in part {
                sql.arg(*id)
                    .arg(*unit_id)
                    .arg(name.as_str())
                    .arg(text::fold(name))
                    .arg(decision.as_str())
                    .arg("2022-06-15")
                    .arg("Chủ tịch UBND xã")
                    .arg("active")
                    .arg(stamp.as_str())
                    .arg(stamp.as_str())
                    .arg(text::sort_key(name));
            }
            sql.query().execute(&mut *tx).await?;
            let mut sql = Sql::new("INSERT INTO team_units (team_id, unit_id) VALUES ");
            sql.push_tuples(part.len(), 2);
            for (id, unit_id, ..) in part {
                sql.arg(*id).arg(*unit_id);
            }
            sql.query().execute(&mut *tx).await?;
        }

        // People and memberships, a team's members together, in statements of ROWS_PER_STATEMENT rows.
        let mut people = Sql::default();
        let mut memberships = Sql::default();
        let mut rows = 0;
        for (team_id, ..) in &teams {
            for (seat, (position, affiliation)) in SEATS.iter().take(member_counts[team_index]).enumerate() {
                let female = seat % 2 == 1;
                let (name, gender) = people_gen.person(female);
                let birth_year = 1965 + ((team_id * 7 + seat as i64 * 13) % 38);
                let phone = people_gen.phone();
                if rows == 0 {
                    people = Sql::new(
                        "INSERT INTO people (id, full_name, search_key, gender, birth_year, phone, created_at, \
                         updated_at, sort_key) VALUES ",
                    );
                    memberships = Sql::new(
                        "INSERT INTO memberships (id, team_id, person_id, position, affiliation, skills, joined_on, \
                         created_at, updated_at) VALUES ",
                    );
                }
                people.push(if rows == 0 { "" } else { ", " }).push_tuples(1, 9);
                people
                    .arg(next_person)
                    .arg(name.as_str())
                    .arg(text::fold(&name))
                    .arg(gender)
                    .arg(birth_year)
                    .arg(phone)
                    .arg(stamp.as_str())
                    .arg(stamp.as_str())
                    .arg(text::person_sort_key(&name));
                let skills = serde_json::to_string(&people_gen.skills()).expect("strings serialise");
                memberships.push(if rows == 0 { "" } else { ", " }).push_tuples(1, 9);
                memberships
                    .arg(next_membership)
                    .arg(*team_id)
                    .arg(next_person)
                    .arg(*position)
                    .arg(*affiliation)
                    .arg(skills)
                    .arg("2022-06-15")
                    .arg(stamp.as_str())
                    .arg(stamp.as_str());
                next_person += 1;
                next_membership += 1;
                rows += 1;
                if rows == ROWS_PER_STATEMENT {
                    people.query().execute(&mut *tx).await?;
                    memberships.query().execute(&mut *tx).await?;
                    members_written += rows;
                    rows = 0;
                }
            }
            team_index += 1;
        }
        if rows > 0 {
            people.query().execute(&mut *tx).await?;
            memberships.query().execute(&mut *tx).await?;
            members_written += rows;
        }
        progress(Step::Teams, team_index, team_counts.iter().sum());
        start = end;
    }
    if db.backend == Backend::Postgres {
        // Ids were given explicitly: move each identity past them for later inserts.
        for table in ["teams", "people", "memberships"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok((team_index, members_written))
}

/// Writes every commune's accepted reports for each period of [`REPORT_YEAR`] on each form,
/// with figures drawn from the seed in each indicator's range; returns how many.
async fn write_reports(
    db: &Db,
    communes: &[(i64, String, String)],
    forms: &[PluginInfo],
    seed: u64,
    progress: Progress<'_>,
) -> Result<usize> {
    use rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut work = Vec::new();
    for info in forms {
        let form = info.report_form.clone().ok_or_else(|| {
            Error::BadRequest(format!("{}@{} declares no report form", info.plugin_id, info.version))
        })?;
        // Communes report only on commune forms (the monthly template collects villages',
        // and the dataset has no villages).
        if form.level != crate::units::Level::Commune {
            continue;
        }
        let plugin_ref: i64 =
            sqlx::query_scalar("SELECT id FROM plugins WHERE plugin_id = $1 AND version = $2")
                .bind(&info.plugin_id)
                .bind(&info.version)
                .fetch_one(&db.pool)
                .await?;
        let periods: Vec<String> = match form.period_type {
            crate::periods::PeriodType::Month => (1..=12).map(|m| format!("{REPORT_YEAR}-{m:02}")).collect(),
            crate::periods::PeriodType::Quarter => (1..=4).map(|q| format!("{REPORT_YEAR}-Q{q}")).collect(),
            crate::periods::PeriodType::HalfYear => (1..=2).map(|h| format!("{REPORT_YEAR}-H{h}")).collect(),
            crate::periods::PeriodType::Year => vec![REPORT_YEAR.to_string()],
        };
        for period in periods {
            work.push((info.plugin_id.clone(), plugin_ref, form.indicators.clone(), period));
        }
    }
    let total = work.len() * communes.len();
    let stamp = now();
    let submitted_on = format!("{REPORT_YEAR}-12-31");
    let mut tx = db.begin_write().await?;
    let mut written = 0;
    for (template, plugin_ref, indicators, period) in &work {
        for chunk in communes.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO report_submissions (unit_id, template, period, plugin_ref, figures, status, late, \
                 first_submitted_on, submitted_at, submitted_by, reviewed_at, reviewed_by, updated_at, updated_by) VALUES ",
            );
            sql.push_tuples(chunk.len(), 14);
            for (unit_id, ..) in chunk {
                let figures: serde_json::Map<String, serde_json::Value> = indicators
                    .iter()
                    .map(|i| {
                        let value = match i.value_type {
                            crate::plugins::types::ValueType::Percentage => rng.random_range(0..=100),
                            _ => rng.random_range(0..=500),
                        };
                        (i.code.clone(), serde_json::json!(value))
                    })
                    .collect();
                sql.arg(*unit_id)
                    .arg(template.as_str())
                    .arg(period.as_str())
                    .arg(*plugin_ref)
                    .arg(serde_json::Value::Object(figures).to_string())
                    .arg("accepted")
                    .arg(0i64)
                    .arg(submitted_on.as_str())
                    .arg(stamp.as_str())
                    .arg("national-dataset")
                    .arg(stamp.as_str())
                    .arg("national-dataset")
                    .arg(stamp.as_str())
                    .arg("national-dataset");
            }
            sql.query().execute(&mut *tx).await?;
            written += chunk.len();
            progress(Step::Reports, written, total);
        }
    }
    tx.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_to_the_network_and_follow_the_seed() {
        let (teams, members) = sizes(10_599, 7);
        assert_eq!(teams.iter().sum::<usize>(), TEAMS);
        assert_eq!(members.iter().sum::<usize>(), MEMBERS);
        assert!(teams.iter().all(|t| (7..=8).contains(t)), "7 or 8 teams a commune");
        assert!(members.iter().all(|m| (4..=5).contains(m)), "4 or 5 members a team");
        assert_eq!(sizes(10_599, 7), (teams, members), "the same seed, the same dataset");
        assert_ne!(sizes(10_599, 8).0, sizes(10_599, 7).0, "another seed, another draw");
    }
}
