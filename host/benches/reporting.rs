//! Benchmarks of the reporting workflow (issue 13's targets), on SQLite and PostgreSQL in one
//! run:
//! - submitting one commune's quarterly figures, validation included (the host's checks and
//!   Bình Định's `validate-submission` in the sandbox): p50 and p99 over every commune of
//!   Bình Định (159 submissions, one after the other, as through the API without HTTP);
//! - the national roll-up of one quarter: 10,599 communes' accepted figures, 10 indicators,
//!   over the tree as of the period (63 provinces, 705 districts): the query, the grouping
//!   under each district and the totals by each indicator's aggregation, median of 5.
//!
//! Run: `cargo bench -p sohoa-host --bench reporting` (PostgreSQL figures need
//! `SOHOA_TEST_POSTGRES_URL`); results go to standard output as the Markdown table kept in
//! docs/BENCHMARKS.md.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sohoa::config::{Settings, Sources};
use sohoa::db::{Backend, Db};
use sohoa::periods::{CutOff, Period, PeriodType};
use sohoa::plugins::types::{Aggregation, Indicator, ReportForm, ValueType};
use sohoa::plugins::{Runtime, build, registry};
use sohoa::reports::submissions::{self, SubmissionInput};
use sohoa::units::Level;

const TEMPLATE: &str = "binh-dinh-bao-cao-quy";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A form of ten indicators as provinces write them: counts summed, two rates, a maximum.
fn national_form() -> ReportForm {
    let count = |code: &str| Indicator {
        code: code.into(),
        name: code.into(),
        name_en: code.into(),
        unit: "hộ".into(),
        value_type: ValueType::Count,
        aggregation: Aggregation::Sum,
        min: None,
        max: None,
        required: false,
    };
    let mut indicators: Vec<Indicator> = (1..=7).map(|i| count(&format!("dem_{i}"))).collect();
    indicators.push(Indicator {
        value_type: ValueType::Percentage,
        aggregation: Aggregation::Mean,
        ..count("ty_le")
    });
    indicators.push(Indicator {
        value_type: ValueType::Percentage,
        aggregation: Aggregation::WeightedMean { by: "dem_1".into() },
        ..count("ty_le_theo_ho")
    });
    indicators.push(Indicator { aggregation: Aggregation::Max, ..count("cao_nhat") });
    ReportForm {
        period_type: PeriodType::Quarter,
        level: Level::Commune,
        cut_off: CutOff::Calendar,
        deadline_days: 10,
        indicators,
    }
}

struct Figures {
    submit_p50: Duration,
    submit_p99: Duration,
    submissions: usize,
    rollup: Duration,
    communes: usize,
}

async fn run(
    db: &Db,
    runtime: &Arc<Runtime>,
    component: &[u8],
    source: &sohoa::units::UnitSource,
) -> Figures {
    let actor = sohoa::audit::Actor::system("bench");
    db.migrate().await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    sohoa::units::import_units(&mut tx, &actor, &source.units, None, &|_, _| {}).await.unwrap();
    let inspected = registry::inspect(runtime, component).unwrap();
    let (info, _) = registry::store(&mut tx, &actor, &inspected, component).await.unwrap();
    let binding = sohoa::plugins::bindings::NewBinding {
        kind: sohoa::plugins::Kind::Report,
        plugin_id: Some(info.plugin_id.clone()),
        version: Some(info.version.clone()),
        effective_from: Some("2020-01-01".into()),
        params: Default::default(),
    };
    sohoa::plugins::bindings::bind(&mut tx, &actor, "52", binding).await.unwrap();
    tx.commit().await.unwrap();

    // Submissions: every commune of Bình Định, this quarter, one at a time.
    let today = sohoa::dates::today();
    let quarter = Period::containing(today, PeriodType::Quarter, CutOff::Decree092019).unwrap().id;
    let communes: Vec<String> = sqlx::query_scalar(
        "SELECT u.code FROM units u JOIN unit_versions v ON v.unit_id = u.id \
         JOIN unit_versions d ON d.unit_id = v.parent_id WHERE v.level = 'commune' AND d.parent_id = \
         (SELECT id FROM units WHERE code = '52') ORDER BY u.code",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut times = Vec::new();
    for (i, code) in communes.iter().enumerate() {
        let figures = [("ho_duoc_huong_dan", 200.0 + i as f64), ("tk_vneid", 400.0), ("tk_dvc", 90.0)]
            .into_iter()
            .map(|(c, v)| (c.to_string(), v))
            .collect();
        let input = SubmissionInput { figures, submit: true, confirm: vec![] };
        let start = Instant::now();
        submissions::save(db, runtime, None, &actor, code, TEMPLATE, &quarter, input, today).await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();

    // The national roll-up: every commune's accepted figures for 2024-Q4, written directly.
    let form = national_form();
    let period = Period::parse("2024-Q4", CutOff::Calendar).unwrap();
    let plugin_ref: i64 =
        sqlx::query_scalar("SELECT id FROM plugins LIMIT 1").fetch_one(&db.pool).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT unit_id FROM unit_versions WHERE level = 'commune' AND valid_to IS NULL ORDER BY unit_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut tx = db.begin_write().await.unwrap();
    for chunk in ids.chunks(500) {
        let mut sql = sohoa::db::Sql::new(
            "INSERT INTO report_submissions (unit_id, template, period, plugin_ref, figures, status, late, \
             first_submitted_on, updated_at, updated_by) VALUES ",
        );
        sql.push_tuples(chunk.len(), 10);
        for id in chunk {
            let figures: serde_json::Map<String, serde_json::Value> = form
                .indicators
                .iter()
                .enumerate()
                .map(|(k, i)| (i.code.clone(), serde_json::json!(((id * 7 + k as i64) % 97) as f64)))
                .collect();
            sql.arg(*id)
                .arg("bench-form")
                .arg("2024-Q4")
                .arg(plugin_ref)
                .arg(serde_json::Value::Object(figures).to_string())
                .arg("accepted")
                .arg(0i64)
                .arg("2025-01-05")
                .arg("2025-01-05T02:00:00Z")
                .arg("bench");
        }
        sql.query().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let provinces: Vec<i64> =
        sqlx::query_scalar("SELECT unit_id FROM unit_versions WHERE level = 'province'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let mut rollups = Vec::new();
    let mut counted = 0;
    for _ in 0..5 {
        let mut conn = db.pool.acquire().await.unwrap();
        let start = Instant::now();
        let rollup = sohoa::reports::rollup::gather(&mut conn, &provinces, "bench-form", &form, &period)
            .await
            .unwrap();
        let totals = rollup.totals(&form);
        let per_district: Vec<_> = rollup.children.iter().map(|c| rollup.child_totals(&form, &c.1)).collect();
        rollups.push(start.elapsed());
        assert_eq!(totals.len(), 10);
        assert!(per_district.len() > 700, "the provinces' children: 2022's districts");
        counted = rollup.completeness().accepted as usize;
    }
    rollups.sort();
    Figures {
        submit_p50: percentile(&times, 0.5),
        submit_p99: percentile(&times, 0.99),
        submissions: times.len(),
        rollup: rollups[rollups.len() / 2],
        communes: counted,
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings::load(&Sources::default()).expect("settings");
    let path =
        build::build(&root.join("plugins").join(TEMPLATE), &root.join("target/wasm")).expect("plugin builds");
    let component = std::fs::read(path).unwrap();
    let runtime = Arc::new(Runtime::new(settings.plugins.clone(), None).expect("runtime"));
    let source = sohoa::units::UnitSource::read(&root.join("../shared/data/vn-admin-units-2022-04.json"))
        .expect("shared data");
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut backends =
        vec![("SQLite (file, WAL)", vec![("paths.data_dir", dir.path().display().to_string())])];
    if let Ok(url) = std::env::var("SOHOA_TEST_POSTGRES_URL") {
        backends.push(("PostgreSQL (loopback)", vec![("database.url", url)]));
    }
    let mut rows = Vec::new();
    for (name, overrides) in backends {
        let figures = tokio.block_on(async {
            let s = Settings::load(&Sources { overrides, ..Default::default() }).unwrap();
            let db = Db::connect(&s).await.unwrap();
            if db.backend != Backend::Postgres {
                return run(&db, &runtime, &component, &source).await;
            }
            // A private schema, dropped afterwards.
            let schema = format!("bench_reporting_{}", std::process::id());
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&db.pool).await.unwrap();
            let url = format!("{}?options[search_path]={schema}", s.database.url);
            let s = Settings::load(&Sources { overrides: vec![("database.url", url)], ..Default::default() })
                .unwrap();
            let inner = Db::connect(&s).await.unwrap();
            let figures = run(&inner, &runtime, &component, &source).await;
            inner.pool.close().await;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&db.pool).await.unwrap();
            figures
        });
        rows.push((name, figures));
    }
    println!();
    println!("| reporting | submit one commune, p50 | p99 | national roll-up of a quarter (median of 5) |");
    println!("| --- | --- | --- | --- |");
    for (name, f) in &rows {
        println!(
            "| {name} | {:.2?} | {:.2?} (of {}) | {:.2?} ({} communes x 10 indicators) |",
            f.submit_p50, f.submit_p99, f.submissions, f.rollup, f.communes
        );
    }
}
