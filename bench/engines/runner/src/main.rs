//! Bình Định's Plan 77 composition rule through four engines, side by side in one run (issue
//! 15): sohoa's component runtime (`sohoa::plugins::Runtime`, as the host calls it), the same
//! Rust rule as an Extism plugin, the rule written again as a Rhai script, and the rule
//! compiled natively into this process.
//!
//! Run from the repository root: `bash bench/engines.sh` (add `--quick` for a short run). It
//! prints the Markdown tables kept in docs/BENCHMARKS.md.
//!
//! Called the same way: each engine gets the same teams and parameters, one team per call,
//! 100 teams per call, and the whole country (74,422 teams) 200 per call as the host gathers
//! them, and gives back findings the runner holds in its own types. What an engine needs to
//! carry data across its boundary is timed with it: sohoa lowers its host types into the
//! component and lifts the findings back; Extism's plugin takes and gives JSON (its PDK's
//! usual way); Rhai takes and gives dynamic maps (`rhai::serde`). Native time excludes copying
//! the teams (the rule takes them by value). Every sandbox runs under its limits: sohoa and
//! Extism with the host's fuel and deadline, Rhai with an operation budget.
//!
//! Before timing anything, the runner checks that the four engines give the same findings for
//! teams that fail every way the rule knows (no leader, two leaders, too many deputies, under
//! age, a village team led by someone else, too few members, missing affiliations, members who
//! have left), and stops if they differ.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use binh_dinh_ke_hoach_77::KeHoach77;
use sohoa::config::{Settings, Sources};
use sohoa::plugins::types as wit;
use sohoa::plugins::{Runtime, build, registry};
use sohoa::vocab::Vocab as _;
use sohoa_bench_rule_model as model;
use sohoa_sdk::Plugin as _;

/// The country's teams in mid-2023 (`../shared/domain/README.md`).
const COUNTRY: i64 = 74_422;
/// Teams per call when the host checks many (`teams::findings` gathers 200 at a time).
const PER_CALL: usize = 200;
const AS_OF: i64 = 20261128;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let extism_path = args
        .iter()
        .position(|a| a == "--extism")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .expect("--extism PATH: the Extism module (bench/engines.sh builds it)");
    let rounds = if quick { 5 } else { 15 };

    let params = vec![
        model::Param { name: "min_village_members".into(), value: 3 },
        model::Param { name: "max_deputies".into(), value: 2 },
        model::Param { name: "min_age".into(), value: 16 },
    ];
    let mut engines: Vec<Box<dyn Engine>> = vec![
        Box::new(Native::new(&params)),
        Box::new(Sohoa::new(&params)),
        Box::new(Extism::new(&extism_path, true, &params)),
        Box::new(Extism::new(&extism_path, false, &params)),
        Box::new(Rhai::new(&params)),
    ];

    // The same findings from every engine, or nothing is timed.
    let varied = varied_teams();
    let want = engines[0].check(&Prepared::new(&varied));
    let codes: std::collections::BTreeSet<&str> = want.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes.len(), 12, "the varied teams fail every way the rule knows: {codes:?}");
    for engine in &mut engines[1..] {
        let got = engine.check(&Prepared::new(&varied));
        assert_eq!(got, want, "{} disagrees with the native rule", engine.name());
    }
    println!(
        "All {} engines give the same {} findings for {} varied teams.\n",
        engines.len(),
        want.len(),
        varied.len()
    );

    let one = Prepared::new(&[timing_team(1)]);
    let hundred = Prepared::new(&(1..=100).map(timing_team).collect::<Vec<_>>());
    let country: Vec<Prepared> =
        (1..=COUNTRY).map(timing_team).collect::<Vec<_>>().chunks(PER_CALL).map(Prepared::new).collect();
    let country_rounds = if quick { 1 } else { 3 };

    let mut rows = Vec::new();
    for engine in &mut engines {
        let one_t = time_per_call(rounds, 200, || {
            engine.check(&one);
        });
        let hundred_t = time_per_call(rounds, 10, || {
            engine.check(&hundred);
        });
        let country_t = time_per_call(country_rounds, 1, || {
            for part in &country {
                engine.check(part);
            }
        });
        rows.push((engine.name(), one_t, hundred_t / 100, country_t));
    }
    let native = rows[0];
    println!(
        "| engine (Plan 77 rule) | one team (7 members) per call | per team, 100 in one call | the country, 74,422 teams, 200 per call | country vs native |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (name, one_t, per_team, country_t) in &rows {
        println!(
            "| {name} | {one_t:.2?} ({:.0}x) | {per_team:.2?} ({:.1}x) | {country_t:.2?} | {:.1}x |",
            ratio(*one_t, native.1),
            ratio(*per_team, native.2),
            ratio(*country_t, native.3),
        );
    }
    println!("\n(x: times the native rule in the same column.)");
}

/// One call's teams, in every engine's own input form, made before timing: the host holds
/// its teams as host types, the native rule takes SDK types by value, Extism and Rhai
/// serialise the runner's plain data as part of their call.
struct Prepared {
    model: Vec<model::Team>,
    host: Vec<wit::Team>,
    sdk: Vec<sohoa_sdk::Team>,
}

impl Prepared {
    fn new(teams: &[model::Team]) -> Self {
        Prepared {
            model: teams.to_vec(),
            host: teams.iter().map(to_host).collect(),
            sdk: teams.iter().map(model::to_sdk).collect(),
        }
    }
}

trait Engine {
    fn name(&self) -> &'static str;
    /// The rule's findings for these teams on [`AS_OF`], in the runner's own type.
    fn check(&mut self, teams: &Prepared) -> Vec<model::Finding>;
}

/// The rule compiled into this process.
struct Native {
    params: Vec<sohoa_sdk::Param>,
}

impl Native {
    fn new(params: &[model::Param]) -> Self {
        Native { params: model::to_sdk_params(params) }
    }
}

impl Engine for Native {
    fn name(&self) -> &'static str {
        "native Rust (the plugin crate compiled in)"
    }

    fn check(&mut self, teams: &Prepared) -> Vec<model::Finding> {
        // The rule takes its teams by value: the copy is the one cost outside the rule, as a
        // host type it would already own.
        let teams = teams.sdk.clone();
        let findings = KeHoach77::check_teams(teams, model::date(AS_OF), self.params.clone()).expect("rule");
        findings.iter().map(model::from_sdk).collect()
    }
}

/// sohoa's component runtime: a fresh instance per call from the `InstancePre`, with the
/// host's fuel, deadline and memory limits, on the calling thread (as `sohoa plugin test`).
struct Sohoa {
    runtime: Runtime,
    loaded: std::sync::Arc<sohoa::plugins::runtime::Loaded>,
    params: Vec<wit::Param>,
}

impl Sohoa {
    fn new(params: &[model::Param]) -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let settings = Settings::load(&Sources::default()).expect("settings");
        let path = build::build(&root.join("plugins/binh-dinh-ke-hoach-77"), &root.join("target/wasm"))
            .expect("the sohoa plugin builds");
        let bytes = std::fs::read(&path).expect("component");
        let runtime = Runtime::new(settings.plugins.clone(), None).expect("runtime");
        let inspected = registry::inspect(&runtime, &bytes).expect("component");
        let loaded = runtime.load(&inspected.sha256, &bytes).expect("loads");
        let params = params
            .iter()
            .map(|p| wit::Param { name: p.name.clone(), value: wit::ParamValue::Integer(p.value) })
            .collect();
        Sohoa { runtime, loaded, params }
    }
}

impl Engine for Sohoa {
    fn name(&self) -> &'static str {
        "sohoa component runtime (fresh instance per call)"
    }

    fn check(&mut self, teams: &Prepared) -> Vec<model::Finding> {
        let (findings, _) = self
            .runtime
            .check_teams(&self.loaded, "binh-dinh-ke-hoach-77@1.0.0", &teams.host, day(AS_OF), &self.params)
            .expect("sohoa call");
        findings
            .iter()
            .map(|f| model::Finding {
                team_id: f.team_id,
                severity: f.severity.as_str().into(),
                code: f.code.clone(),
                message: f.message.clone(),
                member_ids: f.member_ids.clone(),
            })
            .collect()
    }
}

/// The same Rust rule as an Extism plugin (JSON in, JSON out). `fresh`: a new instance from
/// the compiled plugin for every call, as sohoa does; otherwise one instance kept for every
/// call (Extism's usual use, where memory and globals survive between calls).
struct Extism {
    compiled: extism::CompiledPlugin,
    kept: Option<extism::Plugin>,
    params: Vec<model::Param>,
}

impl Extism {
    fn new(path: &std::path::Path, fresh: bool, params: &[model::Param]) -> Self {
        let settings = Settings::load(&Sources::default()).expect("settings");
        let wasm =
            extism::Wasm::data(std::fs::read(path).expect("the Extism module (bench/engines.sh builds it)"));
        let manifest = extism::Manifest::new([wasm])
            .with_timeout(Duration::from_millis(settings.plugins.timeout_ms))
            .with_memory_max((settings.plugins.memory_bytes / 65_536) as u32);
        let builder =
            extism::PluginBuilder::new(manifest).with_wasi(false).with_fuel_limit(settings.plugins.fuel);
        let compiled = extism::CompiledPlugin::new(builder).expect("Extism compiles the module");
        let kept = (!fresh).then(|| extism::Plugin::new_from_compiled(&compiled).expect("instance"));
        Extism { compiled, kept, params: params.to_vec() }
    }
}

impl Engine for Extism {
    fn name(&self) -> &'static str {
        if self.kept.is_some() {
            "Extism 1.30, one instance kept for every call"
        } else {
            "Extism 1.30, fresh instance per call"
        }
    }

    fn check(&mut self, teams: &Prepared) -> Vec<model::Finding> {
        let input = serde_json::to_vec(&model::Input {
            teams: teams.model.clone(),
            as_of: AS_OF,
            params: self.params.clone(),
        })
        .expect("JSON");
        let mut fresh;
        let plugin = match &mut self.kept {
            Some(plugin) => plugin,
            None => {
                fresh = extism::Plugin::new_from_compiled(&self.compiled).expect("instance");
                &mut fresh
            }
        };
        let output: &[u8] = plugin.call("check_teams", input.as_slice()).expect("Extism call");
        serde_json::from_slice(output).expect("findings as JSON")
    }
}

/// The rule written again in Rhai (`ke-hoach-77.rhai`), compiled once to an AST and called
/// with a fresh scope per call, under an operation budget.
struct Rhai {
    engine: rhai::Engine,
    ast: rhai::AST,
    params: rhai::Map,
}

impl Rhai {
    fn new(params: &[model::Param]) -> Self {
        let mut engine = rhai::Engine::new();
        // A runaway script stops, as a plugin runs out of fuel.
        engine.set_max_operations(50_000_000);
        engine.set_max_call_levels(64);
        let ast = engine.compile(include_str!("../ke-hoach-77.rhai")).expect("the script compiles");
        let params = params.iter().map(|p| (p.name.as_str().into(), rhai::Dynamic::from(p.value))).collect();
        Rhai { engine, ast, params }
    }
}

impl Engine for Rhai {
    fn name(&self) -> &'static str {
        "Rhai 1.27 script"
    }

    fn check(&mut self, teams: &Prepared) -> Vec<model::Finding> {
        let teams = rhai::serde::to_dynamic(&teams.model).expect("teams as Rhai values");
        let out: rhai::Dynamic = self
            .engine
            .call_fn(&mut rhai::Scope::new(), &self.ast, "check_teams", (teams, AS_OF, self.params.clone()))
            .expect("Rhai call");
        rhai::serde::from_dynamic(&out).expect("findings from Rhai values")
    }
}

/// The benchmark's team, as in `host/benches/platform.rs`: a commune team of seven that
/// passes the rule (every affiliation it asks for is there).
fn timing_team(id: i64) -> model::Team {
    let members = [
        ("leader", "commune-leadership", 48),
        ("deputy", "youth-union", 29),
        ("member", "commune-police", 35),
        ("member", "cultural-social-officer", 33),
        ("member", "telecom-postal", 31),
        ("member", "womens-union", 41),
        ("member", "farmers-union", 52),
    ];
    team(id, "commune", members.iter().enumerate().map(|(i, m)| member(id, i as i64 + 1, *m)).collect())
}

/// A member as (position, affiliation, age), the WIT names.
type MemberSpec = (&'static str, &'static str, i64);

fn member(team: i64, i: i64, (position, affiliation, age): MemberSpec) -> model::Member {
    model::Member {
        id: team * 100 + i,
        full_name: format!("Nguyễn Văn Thành Viên {i}"),
        gender: "male".into(),
        age: Some(age),
        position: position.into(),
        affiliation: affiliation.into(),
        skills: vec!["VNeID".into(), "Dịch vụ công trực tuyến".into()],
        joined_on: 20220615,
        left_on: None,
    }
}

fn team(id: i64, kind: &str, members: Vec<model::Member>) -> model::Team {
    model::Team {
        id,
        name: format!("Tổ công nghệ số cộng đồng số {id}"),
        unit_code: format!("218{id:02}"),
        unit_name: "Xã Bình Tường".into(),
        kind: kind.into(),
        status: "active".into(),
        decision_date: 20220615,
        members,
    }
}

/// Teams that fail every way the rule knows, and some that pass, for the agreement check.
fn varied_teams() -> Vec<model::Team> {
    let mut teams = vec![timing_team(1)];
    let cases: Vec<(&str, Vec<MemberSpec>)> = vec![
        // No leader, missing police and the cultural officer, no telecom.
        ("commune", vec![("deputy", "youth-union", 20), ("member", "womens-union", 30)]),
        // Two leaders, three deputies, one under age.
        (
            "commune",
            vec![
                ("leader", "commune-leadership", 50),
                ("leader", "commune-police", 40),
                ("deputy", "youth-union", 15),
                ("deputy", "cultural-social-officer", 33),
                ("deputy", "telecom-postal", 31),
            ],
        ),
        // A commune team led by the police, without the Youth Union.
        ("commune", vec![("leader", "commune-police", 40), ("member", "teacher", 25)]),
        // Village teams: led well, led by someone else, too few, no youth.
        (
            "village",
            vec![
                ("leader", "village-head", 55),
                ("member", "youth-union", 23),
                ("member", "womens-union", 40),
            ],
        ),
        (
            "village",
            vec![("leader", "farmers-union", 55), ("member", "youth-union", 23), ("member", "teacher", 40)],
        ),
        ("village", vec![("leader", "village-head", 55), ("member", "womens-union", 40)]),
        ("village", vec![("member", "volunteer", 12)]),
    ];
    for (i, (kind, members)) in cases.into_iter().enumerate() {
        let id = i as i64 + 2;
        let members = members.into_iter().enumerate().map(|(j, m)| member(id, j as i64 + 1, m)).collect();
        teams.push(team(id, kind, members));
    }
    // A village team whose youth member left before the as-of day, and one who joins after it.
    let mut left = teams[4].clone();
    left.id = 20;
    left.members[1].left_on = Some(20230101);
    left.members[2].joined_on = 20270101;
    teams.push(left);
    teams
}

fn day(d: i64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt((d / 10_000) as i32, (d / 100 % 100) as u32, (d % 100) as u32)
        .expect("date")
}

/// The host's own types for a team, as `teams::findings` gathers them from the database.
fn to_host(team: &model::Team) -> wit::Team {
    let word = |s: &str| s.replace('-', "_");
    wit::Team {
        id: team.id,
        name: team.name.clone(),
        unit_code: team.unit_code.clone(),
        unit_name: team.unit_name.clone(),
        kind: sohoa::units::Level::parse(&team.kind).expect("level"),
        status: wit::TeamStatus::parse(&team.status).expect("status"),
        decision_date: day(team.decision_date),
        members: team
            .members
            .iter()
            .map(|m| wit::Member {
                id: m.id,
                full_name: m.full_name.clone(),
                gender: wit::Gender::parse(&m.gender).expect("gender"),
                age: m.age.map(|a| a as u32),
                position: wit::Position::parse(&m.position).expect("position"),
                affiliation: wit::Affiliation::parse(&word(&m.affiliation)).expect("affiliation"),
                skills: m.skills.clone(),
                joined_on: day(m.joined_on),
                left_on: m.left_on.map(day),
            })
            .collect(),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of `f` over `rounds` rounds of `per_round` calls, per call (after one call to
/// warm caches and first-touch pages), as `host/benches/platform.rs` times.
fn time_per_call(rounds: usize, per_round: usize, mut f: impl FnMut()) -> Duration {
    f();
    let samples = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                f();
            }
            start.elapsed() / per_round as u32
        })
        .collect();
    median(samples)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}
