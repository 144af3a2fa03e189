//! The demo database: Bình Định's 2022 tree from the public mapping file, villages for the
//! 15 communes of Tây Sơn, and a team in every commune and (but two) village with realistic
//! members.
//!
//! Everything goes through the same service functions as the API, so the demo data passes the
//! same checks as real input. The random choices use a fixed seed: every demo is the same.
//! A few teams are deliberately imperfect (no police officer on a commune team, a village team
//! without a Youth Union member, two leaders, no leader, a 15-year-old member, someone who
//! left), so that the locality rules and the home page have something to find.

use std::path::Path;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sqlx::AnyConnection;

use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::teams::{self, NewMember, NewTeam};
use crate::units::{self, Level, NewUnit, UnitFilter, UnitSource};
use crate::users::{NewRole, NewUser};

pub const MAPPING_FILE: &str = "binh-dinh-2022-with-2025-mapping.json";
pub const TAY_SON: &str = "547";
pub const NATIONAL_FILE: &str = "vn-admin-units-2022-04.json";
/// The second demo province, whose own rules (da-nang-2025) judge a mirror of a Tây Sơn team.
pub const DA_NANG: &str = "48";
/// Xã Hòa Bắc (Hòa Vang), where the mirrored village team sits.
pub const HOA_BAC: &str = "20293";
/// The Tây Sơn village whose team is mirrored in Đà Nẵng (Bình Thuận's last village, complete
/// under Plan 77).
pub const MIRRORED_FROM: &str = "21817";

const SURNAMES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Võ", "Huỳnh", "Phạm", "Phan", "Đặng", "Bùi", "Đỗ", "Ngô", "Hồ", "Trương",
    "Đinh", "Đoàn", "Lương", "Mai", "Tạ",
];
const MALE_MIDDLE: &[&str] = &["Văn", "Đức", "Minh", "Thanh", "Quốc", "Hữu", "Công", "Ngọc", "Tấn", "Xuân"];
const FEMALE_MIDDLE: &[&str] = &["Thị", "Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh", "Hồng"];
const MALE_GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phúc", "Quang", "Sơn",
    "Tài", "Thắng", "Trung", "Tuấn", "Vinh", "Hiếu", "Lộc", "Tín", "Nhân",
];
const FEMALE_GIVEN: &[&str] = &[
    "Anh", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Oanh", "Phương", "Thảo",
    "Trang", "Tuyết", "Vân", "Yến", "Hằng",
];
const SKILLS: &[&str] = &[
    "Hướng dẫn cài đặt, kích hoạt VNeID",
    "Dịch vụ công trực tuyến",
    "Thanh toán điện tử",
    "Thương mại điện tử (Postmart, Voso)",
    "An toàn thông tin cá nhân",
    "Chữ ký số (SmartCA)",
    "Tuyên truyền trên mạng xã hội",
];

/// What the demo seed created.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub units: usize,
    pub villages: usize,
    pub teams: usize,
    pub members: usize,
    /// (username, role, where) of the demo accounts.
    pub accounts: Vec<(String, String, String)>,
}

/// The password of every demo account (listed in the README; a demo is not a deployment).
pub const DEMO_PASSWORD: &str = "Demo@TaySon-2022";

/// One account per role for Tây Sơn, and a provincial administrator for Bình Định.
const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    ("tinh.admin", "Sở TT&TT Bình Định", "province_admin", "52"),
    ("tayson.vhtt", "Phòng Văn hóa và Thông tin Tây Sơn", "district_culture", TAY_SON),
    ("tayson.noivu", "Phòng Nội vụ Tây Sơn", "district_home_affairs", TAY_SON),
    ("tayson.doan", "Huyện đoàn Tây Sơn", "district_youth_union", TAY_SON),
    ("tayson.lanhdao", "Lãnh đạo UBND huyện Tây Sơn", "district_leader", TAY_SON),
    ("binhtuong.xa", "UBND xã Bình Tường", "commune_officer", "21835"),
    ("binhtuong.totruong", "Tổ trưởng Tổ CNSCĐ xã Bình Tường", "team_leader", "21835"),
    ("tayson.xem", "Người xem Tây Sơn", "viewer", TAY_SON),
    ("danang.admin", "Sở TT&TT Đà Nẵng", "province_admin", DA_NANG),
];

async fn create_accounts(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<(String, String, String)>> {
    let mut made = Vec::new();
    for (username, display_name, role, unit) in ACCOUNTS {
        // The team leader leads the commune's own team.
        let team_id = if *role == "team_leader" { first_team_of(conn, unit).await? } else { None };
        let new_role = NewRole { role: role.to_string(), unit_code: Some(unit.to_string()), team_id };
        let checked = crate::users::check_role(conn, &new_role).await?;
        let input = NewUser {
            username: Some(username.to_string()),
            display_name: Some(display_name.to_string()),
            password: Some(DEMO_PASSWORD.to_string()),
            roles: vec![new_role],
        };
        // Inside the demo's set-up transaction: nothing else writes while it runs.
        let password = crate::auth::password::Hashed::of(DEMO_PASSWORD).await?;
        crate::users::create(conn, actor, &input, &password, &[checked]).await?;
        made.push((username.to_string(), role.to_string(), display_name.to_string()));
    }
    Ok(made)
}

/// Deterministic names, phones and skills for generated people (the demo, and the national
/// dataset in `crate::national`).
pub(crate) struct Gen {
    rng: StdRng,
    phones: u32,
}

impl Gen {
    pub(crate) fn new(seed: u64) -> Gen {
        Gen { rng: StdRng::seed_from_u64(seed), phones: 0 }
    }

    /// A full name in NFC and its gender ("male" or "female").
    pub(crate) fn person(&mut self, female: bool) -> (String, &'static str) {
        let (middle, given) = if female { (FEMALE_MIDDLE, FEMALE_GIVEN) } else { (MALE_MIDDLE, MALE_GIVEN) };
        let name = format!(
            "{} {} {}",
            SURNAMES.choose(&mut self.rng).expect("non-empty"),
            middle.choose(&mut self.rng).expect("non-empty"),
            given.choose(&mut self.rng).expect("non-empty"),
        );
        (name, if female { "female" } else { "male" })
    }

    /// A mobile number, 10 digits.
    pub(crate) fn phone(&mut self) -> String {
        self.phones += 1;
        let prefix =
            ["0905", "0935", "0978", "0912", "0983", "0356"].choose(&mut self.rng).expect("non-empty");
        format!("{prefix}{:06}", 100_000 + self.phones * 37 % 900_000)
    }

    /// One to three of the skills officials list.
    pub(crate) fn skills(&mut self) -> Vec<String> {
        let n = self.rng.random_range(1..=3);
        SKILLS.choose_multiple(&mut self.rng, n).map(|s| s.to_string()).collect()
    }
}

/// One member to add: (position, affiliation, age, female?).
type Seat = (&'static str, &'static str, i64, bool);

/// Builds (from source) and installs the bundled plugins found in `plugin_dir`: every crate
/// folder but `tests/`, and any ready `*.wasm` component. Returns what was installed.
pub async fn install_bundled(
    conn: &mut AnyConnection,
    runtime: &crate::plugins::Runtime,
    plugin_dir: &Path,
    target_dir: &Path,
) -> Result<Vec<crate::plugins::registry::PluginInfo>> {
    use crate::plugins::{build, registry};
    let mut components = Vec::new();
    let entries = std::fs::read_dir(plugin_dir).map_err(|e| {
        Error::BadRequest(format!("cannot read the plugin folder {}: {e}", plugin_dir.display()))
    })?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.join("Cargo.toml").is_file() && path.file_name().is_some_and(|n| n != "tests") {
            eprintln!("building plugin {} ...", path.display());
            let built = build::build(&path, target_dir).map_err(|e| Error::Internal(e.to_string()))?;
            components.push(built);
        } else if path.extension().is_some_and(|e| e == "wasm") {
            components.push(path);
        }
    }
    let actor = Actor::system("sohoa demo");
    let mut installed = Vec::new();
    for path in components {
        let bytes = std::fs::read(&path).map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        let inspected = registry::inspect(runtime, &bytes)?;
        installed.push(registry::store(conn, &actor, &inspected, &bytes).await?.0);
    }
    Ok(installed)
}

/// Binds the Bình Định plugins (and the communes' monthly report, which has no province of its
/// own) to Bình Định, so Tây Sơn's teams are checked against Plan 77, and Đà Nẵng's to Đà Nẵng.
pub async fn bind_bundled(
    conn: &mut AnyConnection,
    installed: &[crate::plugins::registry::PluginInfo],
) -> Result<usize> {
    use crate::plugins::bindings;
    let actor = Actor::system("sohoa demo");
    let mut bound = 0;
    let province = |id: &str| {
        if id.starts_with("binh-dinh-") || id == "bao-cao-thang-xa" {
            Some("52")
        } else if id.starts_with("da-nang-") {
            Some(DA_NANG)
        } else {
            None
        }
    };
    for info in installed {
        let Some(unit) = province(&info.plugin_id) else { continue };
        for kind in &info.kinds {
            let input = bindings::NewBinding {
                kind: *kind,
                plugin_id: Some(info.plugin_id.clone()),
                version: Some(info.version.clone()),
                effective_from: Some("2022-01-01".into()),
                params: Default::default(),
            };
            bindings::bind(conn, &actor, unit, input).await?;
            bound += 1;
        }
    }
    Ok(bound)
}

/// Seeds the demo into an empty, migrated database.
pub async fn seed(conn: &mut AnyConnection, shared_data_dir: &Path) -> Result<DemoReport> {
    let actor = &Actor::system("sohoa demo");
    let path = shared_data_dir.join(MAPPING_FILE);
    if !path.is_file() {
        return Err(Error::BadRequest(format!(
            "the demo needs {} (set paths.shared_data_dir or --shared-data)",
            path.display()
        )));
    }
    let source = UnitSource::read(&path)?;
    let imported = units::import_units(conn, actor, &source.units, None, &|_, _| {}).await?;
    let mut report = DemoReport { units: imported.created, ..Default::default() };
    let mut g = Gen::new(77);

    let filter =
        UnitFilter { as_of: "2022-06-01".into(), parent: Some(TAY_SON.into()), ..Default::default() };
    let (communes, _) = units::list(conn, &filter, 100, 0).await?;
    for (ci, commune) in communes.iter().enumerate() {
        let town = commune.unit_type == "Thị trấn";
        let village_count = g.rng.random_range(4..=8);
        let mut villages = Vec::new();
        for v in 1..=village_count {
            let (word, unit_type) = if town { ("Khối", "Khối phố") } else { ("Thôn", "Thôn") };
            let unit = units::create(
                conn,
                actor,
                NewUnit {
                    code: Some(format!("{}-{v:02}", commune.code)),
                    name: Some(format!("{word} {v}")),
                    unit_type: Some(unit_type.into()),
                    level: Some(Level::Village),
                    parent_code: Some(commune.code.clone()),
                    valid_from: None,
                },
            )
            .await?;
            villages.push(unit);
        }
        report.villages += villages.len();

        // The commune team, set up by the commune chairman's decision in mid-2022.
        let decision_day = 6 + ci as u32;
        let (chair, _) = g.person(false);
        let commune_team = teams::create(
            conn,
            actor,
            NewTeam {
                unit_code: Some(commune.code.clone()),
                name: None,
                decision_number: Some(format!("{}/QĐ-UBND", 100 + ci * 7)),
                decision_date: Some(format!("2022-06-{decision_day:02}")),
                decision_signer: Some(chair.clone()),
            },
        )
        .await?;
        report.teams += 1;
        let mut seats: Vec<Seat> = vec![
            ("leader", "commune_leadership", 48, false),
            ("deputy", "youth_union", 29, false),
            ("member", "commune_police", 35, false),
            ("member", "cultural_social_officer", 33, true),
            ("member", "womens_union", 41, true),
            ("member", "telecom_postal", 31, false),
            ("member", "farmers_union", 52, false),
        ];
        match commune.name.as_str() {
            // No police officer: Plan 77 requires one.
            "Xã Tây Giang" => seats.retain(|s| s.1 != "commune_police"),
            // No telecom or postal representative: recommended, so a warning.
            "Xã Bình Tường" => seats.retain(|s| s.1 != "telecom_postal"),
            _ => {
                if g.rng.random_bool(0.5) {
                    seats.push(("member", "youth_union", 24, true));
                }
            }
        }
        let team_date = commune_team.decision_date.clone();
        let mut youth_secretary = None;
        for (i, seat) in seats.iter().enumerate() {
            let id = add_member(conn, actor, &mut g, commune_team.id, *seat, &team_date).await?;
            if i == 1 {
                youth_secretary = Some(id);
            }
            report.members += 1;
        }
        if commune.name == "Thị trấn Phú Phong" {
            // Someone who served and left: history is kept.
            let m = add_member(
                conn,
                actor,
                &mut g,
                commune_team.id,
                ("member", "volunteer", 27, false),
                &team_date,
            )
            .await?;
            teams::members::update(
                conn,
                actor,
                m,
                teams::MemberChange { left_on: Some("2023-03-31".into()), ..Default::default() },
                teams::members::Amend::Anyone,
            )
            .await?;
            report.members += 1;
        }

        for (vi, village) in villages.iter().enumerate() {
            // Two communes have not yet set up a team in their last village: the home page's
            // "without a team" list and the coverage chart have something to show.
            if matches!(commune.name.as_str(), "Xã Vĩnh An" | "Xã Bình Nghi") && vi + 1 == villages.len()
            {
                continue;
            }
            let team = teams::create(
                conn,
                actor,
                NewTeam {
                    unit_code: Some(village.code.clone()),
                    name: None,
                    decision_number: Some(format!("{}/QĐ-UBND", 200 + ci * 20 + vi)),
                    decision_date: Some(format!("2022-07-{:02}", decision_day)),
                    decision_signer: Some(chair.clone()),
                },
            )
            .await?;
            report.teams += 1;
            let mut seats: Vec<Seat> = vec![
                ("leader", "village_head", 50, false),
                ("member", "youth_union", 23, g.rng.random_bool(0.5)),
                ("member", "womens_union", 38, true),
            ];
            if g.rng.random_bool(0.6) {
                seats.push(("member", "volunteer", 30, g.rng.random_bool(0.5)));
            }
            match (commune.name.as_str(), vi) {
                // Only the head and one more, and no Youth Union member.
                ("Xã Bình Thuận", 0) => seats.retain(|s| s.1 == "village_head" || s.1 == "womens_union"),
                // Two leaders.
                ("Xã Tây Phú", 0) => seats.push(("leader", "veterans_association", 60, false)),
                // A member under 16 (joined this year, so the dates stay plausible).
                ("Xã Vĩnh An", 0) => seats.push(("member", "volunteer", 15, false)),
                // The village head serves, but nobody was appointed leader.
                ("Xã Tây Xuân", 0) => seats[0].0 = "member",
                _ => {}
            }
            for seat in &seats {
                add_member(conn, actor, &mut g, team.id, *seat, &team.decision_date).await?;
                report.members += 1;
            }
            if vi + 1 == villages.len()
                && let Some(secretary) = youth_secretary
            {
                // The commune's youth secretary also serves on the last village's team.
                let person = teams::members::get(conn, secretary).await?.person_id;
                teams::members::create(
                    conn,
                    actor,
                    NewMember {
                        team_id: Some(team.id),
                        person_id: Some(person),
                        position: Some("deputy".into()),
                        affiliation: Some("youth_union".into()),
                        skills: vec![SKILLS[0].into()],
                        joined_on: Some(team.decision_date.clone()),
                        ..Default::default()
                    },
                    crate::teams::members::Amend::Anyone,
                )
                .await?;
                report.members += 1;
            }
        }
    }
    // The Đà Nẵng twin team is not counted among Tây Sơn's.
    report.units += seed_da_nang(conn, actor, shared_data_dir, &mut g).await?;
    report.accounts = create_accounts(conn, actor).await?;
    Ok(report)
}

/// Đà Nẵng's tree from the national registry, and in Xã Hòa Bắc a village team with the same
/// positions, affiliations and ages as a Tây Sơn village team: the same data, judged by each
/// province's own rules. Returns the number of units created.
async fn seed_da_nang(
    conn: &mut AnyConnection,
    actor: &Actor,
    shared_data_dir: &Path,
    g: &mut Gen,
) -> Result<usize> {
    let national = UnitSource::read(&shared_data_dir.join(NATIONAL_FILE))?;
    let districts: std::collections::HashSet<&str> = national
        .units
        .iter()
        .filter(|u| u.parent_code.as_deref() == Some(DA_NANG))
        .map(|u| u.code.as_str())
        .collect();
    let units: Vec<_> = national
        .units
        .iter()
        .filter(|u| {
            u.code == DA_NANG
                || districts.contains(u.code.as_str())
                || u.parent_code.as_deref().is_some_and(|p| districts.contains(p))
        })
        .cloned()
        .collect();
    let created = units::import_units(conn, actor, &units, None, &|_, _| {}).await?.created;
    let village = units::create(
        conn,
        actor,
        NewUnit {
            code: Some(format!("{HOA_BAC}-01")),
            name: Some("Thôn 1".into()),
            unit_type: Some("Thôn".into()),
            level: Some(Level::Village),
            parent_code: Some(HOA_BAC.into()),
            valid_from: None,
        },
    )
    .await?;
    let source_village = last_village(conn, MIRRORED_FROM).await?;
    let source_team = first_team_of(conn, &source_village)
        .await?
        .ok_or_else(|| Error::Internal(format!("no demo team in {MIRRORED_FROM}'s last village")))?;
    let team = teams::create(
        conn,
        actor,
        NewTeam {
            unit_code: Some(village.code.clone()),
            name: None,
            decision_number: Some("15/QĐ-UBND".into()),
            decision_date: Some("2022-07-20".into()),
            decision_signer: Some("Chủ tịch UBND xã Hòa Bắc".into()),
        },
    )
    .await?;
    let filter = teams::MemberFilter { team: Some(source_team), ..Default::default() };
    let (members, _) = teams::members::list(conn, &filter, 100, 0).await?;
    for m in members {
        let (full_name, _) = g.person(m.gender == crate::vocab::Gender::Female);
        let phone = g.phone();
        teams::members::create(
            conn,
            actor,
            NewMember {
                team_id: Some(team.id),
                full_name: Some(full_name),
                gender: Some(crate::vocab::Vocab::as_str(m.gender).into()),
                birth_year: m.birth_year,
                phone: Some(phone),
                position: Some(crate::vocab::Vocab::as_str(m.position).into()),
                affiliation: Some(crate::vocab::Vocab::as_str(m.affiliation).into()),
                skills: m.skills,
                joined_on: Some(team.decision_date.clone()),
                ..Default::default()
            },
            crate::teams::members::Amend::Anyone,
        )
        .await?;
    }
    Ok(created + 1)
}

/// The code of the last village (by code) of a demo commune.
async fn last_village(conn: &mut AnyConnection, commune: &str) -> Result<String> {
    let filter =
        UnitFilter { as_of: crate::dates::today_iso(), parent: Some(commune.into()), ..Default::default() };
    let (mut villages, _) = units::list(conn, &filter, 100, 0).await?;
    villages
        .pop()
        .map(|v| v.code)
        .ok_or_else(|| Error::Internal(format!("demo commune {commune} has no village")))
}

/// The first team set up in a unit, if any.
async fn first_team_of(conn: &mut AnyConnection, unit_code: &str) -> Result<Option<i64>> {
    let unit_id = units::id_of(conn, unit_code).await?;
    Ok(sqlx::query_scalar("SELECT MIN(id) FROM teams WHERE unit_id = $1")
        .bind(unit_id)
        .fetch_one(&mut *conn)
        .await?)
}

async fn add_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    g: &mut Gen,
    team_id: i64,
    seat: Seat,
    joined_on: &str,
) -> Result<i64> {
    let (position, affiliation, age, female) = seat;
    let (full_name, gender) = g.person(female);
    let age = age + g.rng.random_range(0..=4) * i64::from(age > 18);
    // The under-age member joined recently, not as a child in 2022.
    let today = crate::dates::today_iso();
    let joined_on = if age < 16 { today.as_str() } else { joined_on };
    let phone = g.phone();
    let member = teams::members::create(
        conn,
        actor,
        NewMember {
            team_id: Some(team_id),
            full_name: Some(full_name),
            gender: Some(gender.into()),
            // Ages are as of today, so the deliberate 15-year-old stays under 16.
            birth_year: Some(i64::from(chrono::Datelike::year(&crate::dates::today())) - age),
            phone: Some(phone),
            position: Some(position.into()),
            affiliation: Some(affiliation.into()),
            skills: g.skills(),
            joined_on: Some(joined_on.into()),
            ..Default::default()
        },
        crate::teams::members::Amend::Anyone,
    )
    .await?;
    Ok(member.id)
}

/// The quarterly template whose reports the demo seeds.
mod duties;
pub use duties::{DutiesSeeded, seed_duties};

pub const DEMO_REPORT: &str = "binh-dinh-bao-cao-quy";

/// What [`seed_reports`] stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportsSeeded {
    /// Submissions stored (both quarters).
    pub submissions: usize,
    /// The compiled and sent report: (unit, period).
    pub sent: Option<(String, String)>,
}

fn day(s: &str) -> chrono::NaiveDate {
    crate::dates::parse(s).expect("a demo date")
}

/// One commune's figures for a quarter on Bình Định's form: households guided grow with the
/// commune's place in the list; the other indicators follow from them.
fn demo_figures(i: usize, quarter: u32) -> std::collections::BTreeMap<String, f64> {
    let households = (180 + 23 * i) as f64 * if quarter == 4 { 1.15 } else { 1.0 };
    let households = households.round();
    [
        ("thanh_vien_tap_huan", (8 + i % 5) as f64),
        ("ho_duoc_huong_dan", households),
        ("tk_vneid", households * 2.0 + (7 * i) as f64),
        ("tk_dvc", (households / 2.0).round()),
        ("ho_so_dvc_truc_tuyen", (households / 3.0).round()),
        ("tk_thanh_toan", (households * 0.6).round()),
        ("tk_tmdt", (2 * (i % 3)) as f64),
        ("luot_tuyen_truyen", (3 + i % 4) as f64),
    ]
    .into_iter()
    .map(|(code, value)| (code.to_string(), value))
    .collect()
}

/// Tây Sơn's reports on Bình Định's quarterly form (Decree 09/2019 quarters, due on the 18th),
/// entered through the same services as the API with the days they happened on:
/// - 2022-Q3: 14 of 15 communes reported (the last one did not); two came late through an
///   unlock by the district office; one was returned and corrected; all received were
///   accepted, and the district's report was compiled on 26/09/2022, approved by the
///   leadership and sent to the province.
/// - 2022-Q4: one late, one returned and not yet corrected, one waiting for review, one whose
///   households guided and VNeID accounts fell by more than half (the warnings confirmed); the rest accepted. Not
///   compiled yet: the district's work to do.
///
/// Needs the bundled plugins installed and bound ([`bind_bundled`]).
pub async fn seed_reports(
    db: &crate::db::Db,
    runtime: &std::sync::Arc<crate::plugins::Runtime>,
) -> Result<ReportsSeeded> {
    use crate::reports::compiled::{self, Decision};
    use crate::reports::submissions::{self, Review, SubmissionInput, UnlockInput};
    let mut conn = db.pool.acquire().await?;
    let filter =
        UnitFilter { as_of: "2022-09-14".into(), parent: Some(TAY_SON.into()), ..Default::default() };
    let (communes, _) = units::list(&mut conn, &filter, 100, 0).await?;
    drop(conn);
    let mut communes: Vec<(String, String)> = communes.into_iter().map(|c| (c.code, c.name)).collect();
    communes.sort();
    let office = Actor::system("tayson.vhtt");
    let leader = Actor::system("tayson.lanhdao");
    let mut seeded = ReportsSeeded::default();
    for (quarter, deadline_day) in [(3u32, 18u32), (4, 18)] {
        let period = format!("2022-Q{quarter}");
        let month = if quarter == 3 { 9 } else { 12 };
        let on = |d: u32| day(&format!("2022-{month:02}-{d:02}"));
        let (late, returned, waiting, dropped, missing): (
            &[usize],
            usize,
            Option<usize>,
            Option<usize>,
            Option<usize>,
        ) = if quarter == 3 {
            (&[4, 10], 6, None, None, Some(14))
        } else {
            (&[2], 9, Some(12), Some(7), None)
        };
        for (i, (code, name)) in communes.iter().enumerate() {
            if missing == Some(i) {
                continue;
            }
            // Bình Tường's officer has an account; the other communes are named by their office.
            let commune = if code == "21835" {
                Actor::system("binhtuong.xa")
            } else {
                Actor::system(&format!("UBND {name}"))
            };
            let mut figures = demo_figures(i, quarter);
            let mut confirm = Vec::new();
            if dropped == Some(i) {
                figures.insert("ho_duoc_huong_dan".into(), 60.0);
                figures.insert("tk_vneid".into(), 150.0);
                confirm.extend(["giam-manh@ho_duoc_huong_dan".to_string(), "giam-manh@tk_vneid".to_string()]);
            }
            let submit = |figures: std::collections::BTreeMap<String, f64>, confirm: Vec<String>, when| {
                let (commune, code, period) = (&commune, code.as_str(), period.as_str());
                async move {
                    let input = SubmissionInput { figures, submit: true, confirm };
                    submissions::save(db, runtime, None, commune, code, DEMO_REPORT, period, input, when)
                        .await
                }
            };
            if late.contains(&i) {
                let input = UnlockInput {
                    reason: "Xã đề nghị gia hạn: cán bộ phụ trách đi tập huấn chuyển đổi số của tỉnh".into(),
                    open_until: crate::dates::iso(on(deadline_day + 7)),
                };
                submissions::unlock(
                    db,
                    None,
                    &office,
                    code,
                    DEMO_REPORT,
                    &period,
                    input,
                    on(deadline_day + 2),
                )
                .await?;
                submit(figures.clone(), confirm, on(deadline_day + 3)).await?;
            } else {
                submit(figures.clone(), confirm, on(15 + (i % 4) as u32)).await?;
            }
            seeded.submissions += 1;
            if i == returned {
                let reason = "Số tài khoản VNeID chưa khớp với số liệu của Công an xã; đề nghị rà soát lại"
                    .to_string();
                submissions::review(db, None, &office, code, DEMO_REPORT, &period, Review::Return { reason })
                    .await?;
                if quarter == 4 {
                    continue;
                }
                let mut corrected = figures;
                corrected.insert("tk_vneid".into(), corrected["tk_vneid"] - 40.0);
                submit(corrected, Vec::new(), on(17)).await?;
            }
            if waiting == Some(i) {
                continue;
            }
            submissions::review(
                db,
                None,
                &office,
                code,
                DEMO_REPORT,
                &period,
                Review::Accept { submitted_at: None },
            )
            .await?;
        }
    }
    compiled::compile(db, runtime, None, &office, TAY_SON, DEMO_REPORT, "2022-Q3", day("2022-09-26")).await?;
    compiled::decide(db, None, &leader, TAY_SON, DEMO_REPORT, "2022-Q3", Decision::Approve).await?;
    compiled::decide(db, None, &office, TAY_SON, DEMO_REPORT, "2022-Q3", Decision::Send).await?;
    seeded.sent = Some((TAY_SON.to_string(), "2022-Q3".to_string()));
    Ok(seeded)
}
