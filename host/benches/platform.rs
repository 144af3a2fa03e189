//! Benchmarks of the plugin runtime and the storage, reported as ratios measured side by side
//! in one run (these machines are noisy; absolute numbers drift, ratios much less).
//!
//! Run: `cargo bench -p sohoa-host --bench platform` (add `-- --quick` for a short run, or
//! `-- --profile describe|one|hundred` to repeat one plugin call for 5 s under `perf record`).
//! PostgreSQL figures need `SOHOA_TEST_POSTGRES_URL`; results go to standard output as the
//! Markdown table kept in docs/BENCHMARKS.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sohoa::config::{Settings, Sources};
use sohoa::plugins::types as wit;
use sohoa::plugins::{Runtime, build, registry};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of `f` over `rounds` rounds of `per_round` calls, per call.
fn time_per_call(rounds: usize, per_round: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up: compile caches, first-touch pages
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

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn team(id: i64) -> wit::Team {
    use wit::{Affiliation as A, Position as P};
    let member = |i: i64, position, affiliation, age| wit::Member {
        id: id * 100 + i,
        full_name: format!("Nguyễn Văn Thành Viên {i}"),
        gender: wit::Gender::Male,
        age: Some(age),
        position,
        affiliation,
        skills: vec!["VNeID".into(), "Dịch vụ công trực tuyến".into()],
        joined_on: day(2022, 6, 15),
        left_on: None,
    };
    wit::Team {
        id,
        name: format!("Tổ công nghệ số cộng đồng số {id}"),
        unit_code: format!("218{id:02}"),
        unit_name: "Xã Bình Tường".into(),
        kind: wit::Level::Commune,
        status: wit::TeamStatus::Active,
        decision_date: day(2022, 6, 15),
        members: vec![
            member(1, P::Leader, A::CommuneLeadership, 48),
            member(2, P::Deputy, A::YouthUnion, 29),
            member(3, P::Member, A::CommunePolice, 35),
            member(4, P::Member, A::CulturalSocialOfficer, 33),
            member(5, P::Member, A::TelecomPostal, 31),
            member(6, P::Member, A::WomensUnion, 41),
            member(7, P::Member, A::FarmersUnion, 52),
        ],
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 15 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings::load(&Sources::default()).expect("settings");
    let path = build::build(&root.join("plugins/binh-dinh-ke-hoach-77"), &root.join("target/wasm"))
        .expect("plugin builds");
    let bytes = std::fs::read(&path).unwrap();
    let runtime = Runtime::new(settings.plugins.clone(), None).expect("runtime");
    let inspected = registry::inspect(&runtime, &bytes).expect("component");
    let loaded = runtime.load(&inspected.sha256, &bytes).unwrap();
    let params = sohoa::plugins::bindings::params_for(
        &[
            registry::ParamSpec {
                name: "min_village_members".into(),
                description: String::new(),
                kind: "integer".into(),
                default: 3.into(),
            },
            registry::ParamSpec {
                name: "max_deputies".into(),
                description: String::new(),
                kind: "integer".into(),
                default: 2.into(),
            },
            registry::ParamSpec {
                name: "min_age".into(),
                description: String::new(),
                kind: "integer".into(),
                default: 16.into(),
            },
        ],
        &Default::default(),
    )
    .unwrap();
    let as_of = day(2026, 11, 28);
    let one = vec![team(1)];
    let hundred: Vec<wit::Team> = (1..=100).map(team).collect();
    let label = "binh-dinh-ke-hoach-77@1.0.0";

    // `-- --profile CALL`: only that call (describe, one, hundred), over and over for 5 s, for
    // `perf record` to see where a call's time goes.
    if let Some(call) = std::env::args().skip_while(|a| a != "--profile").nth(1) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            match call.as_str() {
                "describe" => drop(runtime.metadata(&loaded).unwrap()),
                "one" => drop(runtime.check_teams(&loaded, label, &one, as_of, &params).unwrap()),
                _ => drop(runtime.check_teams(&loaded, label, &hundred, as_of, &params).unwrap()),
            }
        }
        return;
    }
    let describe = time_per_call(rounds, 200, || {
        runtime.metadata(&loaded).unwrap();
    });
    let check_one = time_per_call(rounds, 200, || {
        runtime.check_teams(&loaded, label, &one, as_of, &params).unwrap();
    });
    let check_batch = time_per_call(rounds, 10, || {
        runtime.check_teams(&loaded, label, &hundred, as_of, &params).unwrap();
    });
    let fuel_one = runtime.check_teams(&loaded, label, &one, as_of, &params).unwrap().1.fuel;
    let fuel_batch = runtime.check_teams(&loaded, label, &hundred, as_of, &params).unwrap().1.fuel;
    let compile = time_per_call(3, 1, || {
        let fresh = Runtime::new(settings.plugins.clone(), None).unwrap();
        fresh.load(&inspected.sha256, &bytes).unwrap();
    });

    println!("| measurement | time | ratio |");
    println!("| --- | --- | --- |");
    println!("| compile the component (once per host, then cached) | {compile:.2?} | |");
    println!("| fresh instance + `describe` (instantiation floor) | {describe:.2?} | 1.0 |");
    println!(
        "| fresh instance + check 1 team (7 members), {fuel_one} fuel | {check_one:.2?} | {:.1}x |",
        ratio(check_one, describe)
    );
    println!(
        "| fresh instance + check 100 teams in one call, {fuel_batch} fuel | {check_batch:.2?} ({:.2?} per team) | {:.1}x per team vs one call per team |",
        check_batch / 100,
        ratio(check_one, check_batch / 100)
    );

    // The same rule compiled natively into this process (the plugin crate is a dev-dependency):
    // what the sandbox costs over the rule itself, per call, per team and for the country.
    use binh_dinh_ke_hoach_77::KeHoach77;
    use sohoa_sdk::Plugin as _;
    let native_params: Vec<sohoa_sdk::Param> = ["min_village_members", "max_deputies", "min_age"]
        .iter()
        .zip([3, 2, 16])
        .map(|(name, v)| sohoa_sdk::Param {
            name: name.to_string(),
            value: sohoa_sdk::ParamValue::Integer(v),
        })
        .collect();
    let native_as_of = sohoa_sdk::Date::new(2026, 11, 28);
    let native_one = vec![native_team(1)];
    let native_hundred: Vec<sohoa_sdk::Team> = (1..=100).map(native_team).collect();
    // The rule takes its teams by value (the plugin interface's shape), so each call gets a
    // copy made outside the timed part, as the host's lowering makes the guest's.
    let native_check = |teams: &Vec<sohoa_sdk::Team>, per_round: usize, rounds: usize| {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let copies: Vec<Vec<sohoa_sdk::Team>> = (0..per_round).map(|_| teams.clone()).collect();
            let start = Instant::now();
            for copy in copies {
                std::hint::black_box(
                    KeHoach77::check_teams(copy, native_as_of, native_params.clone()).unwrap(),
                );
            }
            times.push(start.elapsed() / per_round as u32);
        }
        median(times)
    };
    let native_one_t = native_check(&native_one, 200, rounds);
    let native_batch_t = native_check(&native_hundred, 10, rounds);
    println!();
    println!(
        "| composition check, plugin against the same rule compiled natively | plugin | native | plugin / native |"
    );
    println!("| --- | --- | --- | --- |");
    println!(
        "| one team (7 members) per call | {check_one:.2?} | {native_one_t:.2?} | {:.0}x |",
        ratio(check_one, native_one_t)
    );
    println!(
        "| per team, 100 teams in one call | {:.2?} | {:.2?} | {:.1}x |",
        check_batch / 100,
        native_batch_t / 100,
        ratio(check_batch, native_batch_t)
    );
    // The whole country: 74,422 teams (mid-2023), 200 per call as the host gathers them.
    const COUNTRY: i64 = 74_422;
    let country: Vec<wit::Team> = (1..=COUNTRY).map(team).collect();
    let native_country: Vec<sohoa_sdk::Team> = (1..=COUNTRY).map(native_team).collect();
    let country_rounds = if quick { 1 } else { 3 };
    let plugin_country = time_per_call(country_rounds, 1, || {
        for part in country.chunks(200) {
            runtime.check_teams(&loaded, label, part, as_of, &params).unwrap();
        }
    });
    let native_country_t = {
        let mut times = Vec::new();
        for _ in 0..country_rounds {
            let parts: Vec<Vec<sohoa_sdk::Team>> = native_country.chunks(200).map(<[_]>::to_vec).collect();
            let start = Instant::now();
            for part in parts {
                std::hint::black_box(
                    KeHoach77::check_teams(part, native_as_of, native_params.clone()).unwrap(),
                );
            }
            times.push(start.elapsed());
        }
        median(times)
    };
    println!(
        "| the whole country, {COUNTRY} teams, 200 per call | {plugin_country:.2?} | {native_country_t:.2?} | {:.1}x |",
        ratio(plugin_country, native_country_t)
    );

    // How a slot's memory is wiped between calls (plugins.keep_resident_bytes), side by side:
    // 0 unmaps everything the call touched (the next call faults it in again page by page);
    // more copies zeros over the pages the call wrote, up to that many bytes.
    println!();
    println!(
        "| `plugins.keep_resident_bytes` | `describe` | check 1 team | per team, 100 in one call | the country, 200 per call |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for keep in [0, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 4 << 20] {
        let limits = sohoa::config::PluginSettings { keep_resident_bytes: keep, ..settings.plugins.clone() };
        let runtime = Runtime::new(limits, None).expect("runtime");
        let loaded = runtime.load(&inspected.sha256, &bytes).unwrap();
        let describe = time_per_call(rounds, 200, || {
            runtime.metadata(&loaded).unwrap();
        });
        let one_t = time_per_call(rounds, 200, || {
            runtime.check_teams(&loaded, label, &one, as_of, &params).unwrap();
        });
        let batch_t = time_per_call(rounds, 10, || {
            runtime.check_teams(&loaded, label, &hundred, as_of, &params).unwrap();
        });
        let country_t = time_per_call(country_rounds, 1, || {
            for part in country.chunks(200) {
                runtime.check_teams(&loaded, label, part, as_of, &params).unwrap();
            }
        });
        println!(
            "| {} KiB | {describe:.2?} | {one_t:.2?} | {:.2?} | {country_t:.2?} |",
            keep >> 10,
            batch_t / 100
        );
    }

    // Reports: the quarterly template's call, then the host's layout in each format.
    let quarterly = build::build(&root.join("plugins/binh-dinh-bao-cao-quy"), &root.join("target/wasm"))
        .expect("report plugin builds");
    let qbytes = std::fs::read(&quarterly).unwrap();
    let qinspected = registry::inspect(&runtime, &qbytes).expect("component");
    let qloaded = runtime.load(&qinspected.sha256, &qbytes).unwrap();
    let qspecs: Vec<registry::ParamSpec> = qinspected
        .meta
        .params
        .iter()
        .map(|p| {
            let (kind, default) = registry::param_value_json(&p.default_value);
            registry::ParamSpec { name: p.name.clone(), description: String::new(), kind, default }
        })
        .collect();
    let qparams = sohoa::plugins::bindings::params_for(&qspecs, &Default::default()).unwrap();
    let input = wit::ReportInput {
        unit_code: "547".into(),
        unit_name: "Huyện Tây Sơn".into(),
        period: wit::Period::parse("2022-Q3", wit::CutOff::Decree092019).unwrap(),
        issuing_office: String::new(),
        place: "Tây Sơn".into(),
        issued_on: day(2022, 10, 5),
        rows: (1..=15)
            .map(|i| wit::UnitRow {
                unit_code: format!("218{i:02}"),
                unit_name: format!("Xã Số {i}"),
                team_count: 8,
                member_count: 35,
                status: wit::SubmissionStatus::OnTime,
                submitted_on: Some(day(2022, 9, 16)),
                values: ["ho_duoc_huong_dan", "tk_vneid", "tk_dvc", "ho_so_dvc_truc_tuyen", "tk_thanh_toan"]
                    .iter()
                    .map(|c| wit::IndicatorValue { code: c.to_string(), value: 100.0 * i as f64 })
                    .collect(),
            })
            .collect(),
        totals: vec![],
        previous_totals: vec![],
    };
    let qlabel = "binh-dinh-bao-cao-quy@1.1.0";
    let render_call = time_per_call(rounds, 50, || {
        runtime.render_report(&qloaded, qlabel, &input, &qparams).unwrap();
    });
    // Interface 0.2.0's new hook: one commune's figures with the previous quarter's.
    let figures = |scale: f64| -> Vec<wit::IndicatorValue> {
        ["ho_duoc_huong_dan", "tk_vneid", "tk_dvc", "ho_so_dvc_truc_tuyen", "tk_thanh_toan"]
            .iter()
            .map(|c| wit::IndicatorValue { code: c.to_string(), value: 100.0 * scale })
            .collect()
    };
    let submission = wit::Submission {
        unit_code: "21835".into(),
        unit_name: "Xã Bình Tường".into(),
        period: input.period.clone(),
        values: figures(1.0),
        previous: Some(figures(3.0)),
    };
    let validate_call = time_per_call(rounds, 200, || {
        runtime.validate_submission(&qloaded, qlabel, &submission, &qparams).unwrap();
    });
    let (doc, _) = runtime.render_report(&qloaded, qlabel, &input, &qparams).unwrap();
    let letter = sohoa::documents::Letter {
        doc,
        place: "Tây Sơn".into(),
        date: chrono::NaiveDate::from_ymd_opt(2022, 10, 5).unwrap(),
    };
    let mut layouts = Vec::new();
    let no_pdf = sohoa::documents::pdf::Printer { program: String::new(), timeout: Duration::from_secs(1) };
    for format in
        [sohoa::documents::Format::Html, sohoa::documents::Format::Docx, sohoa::documents::Format::Xlsx]
    {
        let size = sohoa::documents::render(&letter, format, &no_pdf).unwrap().len();
        let t = time_per_call(rounds, 20, || {
            sohoa::documents::render(&letter, format, &no_pdf).unwrap();
        });
        layouts.push((format, t, size));
    }
    println!();
    println!("| quarterly report, 15 communes x 5 indicators | time | ratio |");
    println!("| --- | --- | --- |");
    println!("| plugin `render-report` call (fresh instance) | {render_call:.2?} | 1.0 |");
    println!(
        "| plugin `validate-submission` call, 5 figures and the previous quarter's (interface 0.2.0) | {validate_call:.2?} | {:.2}x |",
        ratio(validate_call, render_call)
    );
    for (format, t, size) in &layouts {
        println!(
            "| host layout: {} ({} KB) | {t:.2?} | {:.1}x |",
            format.extension().to_uppercase(),
            size / 1024,
            ratio(*t, render_call)
        );
    }

    // Storage: the national import, SQLite against PostgreSQL, in the same run.
    let source = sohoa::units::UnitSource::read(&root.join("../shared/data/vn-admin-units-2022-04.json"))
        .expect("shared data");
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let mut backends =
        vec![("SQLite (file, WAL)", vec![("paths.data_dir", dir.path().display().to_string())])];
    if let Ok(url) = std::env::var("SOHOA_TEST_POSTGRES_URL") {
        backends.push(("PostgreSQL (loopback)", vec![("database.url", url)]));
    }
    for (name, overrides) in backends {
        let elapsed = tokio.block_on(async {
            let s = Settings::load(&Sources { overrides, ..Default::default() }).unwrap();
            let db = sohoa::db::Db::connect(&s).await.unwrap();
            let schema = format!("bench_{}", std::process::id());
            if db.backend == sohoa::db::Backend::Postgres {
                // A private schema, dropped afterwards.
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&db.pool).await.unwrap();
                db.pool.close().await;
                let url = format!("{}?options[search_path]={schema}", s.database.url);
                let s =
                    Settings::load(&Sources { overrides: vec![("database.url", url)], ..Default::default() })
                        .unwrap();
                let db = sohoa::db::Db::connect(&s).await.unwrap();
                let t = import(&db, &source).await;
                db.pool.close().await;
                let admin = sohoa::db::Db::connect(
                    &Settings::load(&Sources {
                        overrides: vec![(
                            "database.url",
                            s.database.url.split('?').next().unwrap().to_string(),
                        )],
                        ..Default::default()
                    })
                    .unwrap(),
                )
                .await
                .unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin.pool).await.unwrap();
                t
            } else {
                import(&db, &source).await
            }
        });
        rows.push((name, elapsed));
    }
    println!();
    println!("| national import (11,367 units, one transaction) | time | ratio |");
    println!("| --- | --- | --- |");
    let base = rows[0].1;
    for (name, t) in &rows {
        println!("| {name} | {t:.2?} | {:.1}x |", ratio(*t, base));
    }
}

async fn import(db: &sohoa::db::Db, source: &sohoa::units::UnitSource) -> Duration {
    db.migrate().await.unwrap();
    let start = Instant::now();
    let mut tx = db.begin_write().await.unwrap();
    sohoa::units::import_units(
        &mut tx,
        &sohoa::audit::Actor::system("bench"),
        &source.units,
        None,
        &|_, _| {},
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    start.elapsed()
}

/// [`team`] as the rule compiled natively receives it (the SDK's types).
fn native_team(id: i64) -> sohoa_sdk::Team {
    use sohoa_sdk::{Affiliation as A, Position as P};
    let date = |y, m, d| sohoa_sdk::Date::new(y, m, d);
    let member = |i: i64, position, affiliation, age| sohoa_sdk::Member {
        id: id * 100 + i,
        full_name: format!("Nguyễn Văn Thành Viên {i}"),
        gender: sohoa_sdk::Gender::Male,
        age: Some(age),
        position,
        affiliation,
        skills: vec!["VNeID".into(), "Dịch vụ công trực tuyến".into()],
        joined_on: date(2022, 6, 15),
        left_on: None,
    };
    sohoa_sdk::Team {
        id,
        name: format!("Tổ công nghệ số cộng đồng số {id}"),
        unit_code: format!("218{id:02}"),
        unit_name: "Xã Bình Tường".into(),
        kind: sohoa_sdk::UnitLevel::Commune,
        status: sohoa_sdk::TeamStatus::Active,
        decision_date: date(2022, 6, 15),
        members: vec![
            member(1, P::Leader, A::CommuneLeadership, 48),
            member(2, P::Deputy, A::YouthUnion, 29),
            member(3, P::Member, A::CommunePolice, 35),
            member(4, P::Member, A::CulturalSocialOfficer, 33),
            member(5, P::Member, A::TelecomPostal, 31),
            member(6, P::Member, A::WomensUnion, 41),
            member(7, P::Member, A::FarmersUnion, 52),
        ],
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}
