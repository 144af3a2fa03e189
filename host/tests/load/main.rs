//! Tests that bound latency under load (issue 11: slow plugins, fault 1, and big documents,
//! fault 3, must not starve the server). Cargo runs test binaries one at a time, and the tests here take [`ALONE`] so they
//! run one at a time too: their bounds measure sohoa, not the API suite running beside them.

// The API suite's harness; this binary uses only part of it.
#[allow(dead_code)]
#[path = "../api/harness.rs"]
mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use harness::{TestApp, bind_hostile, component, each_backend, each_backend_with, install_hostile};

/// Held for the whole of each test (an async mutex: each test has its own runtime).
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn team(app: &TestApp, unit: &str) -> i64 {
    let r = app
        .post(
            "/api/v1/teams",
            json!({"unit_code": unit, "decision_number": "125/QĐ-UBND", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn Hùng"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// The 99th percentile of `samples` (the largest but 1% of them).
fn p99(samples: &mut [Duration]) -> Duration {
    samples.sort();
    let i = (samples.len() * 99).div_ceil(100).saturating_sub(1);
    samples[i.min(samples.len() - 1)]
}

/// Fault 1: 48 checks by a plugin that runs to its deadline, all in flight together, against a
/// pool of 8 database connections. Plugin work waits in its own bounded queue and holds no connection,
/// so `/health` and an ordinary read keep p99 far from starved (under 250 ms; 12–20 ms seen
/// on an idle machine); every check answers within
/// `queue_wait_ms + timeout_ms` (plus slack): 502 at the deadline, or 503 `busy` with
/// `Retry-After` when it could not start in time. Never 500, never the 10 s seen before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_plugins_do_not_starve_the_server() {
    let _alone = ALONE.lock().await;
    let settings = vec![
        ("database.max_connections", "8".to_string()),
        // Fuel far beyond the deadline: each call runs until its 1 s wall clock stops it.
        ("plugins.fuel", "1000000000000".to_string()),
        ("plugins.timeout_ms", "1000".to_string()),
        ("plugins.queue_wait_ms", "1000".to_string()),
    ];
    each_backend_with(settings, |app| async move {
        app.seed_units().await;
        install_hostile(&app).await;
        let slow = team(&app, "21820").await;
        let calm = team(&app, "21835").await;
        bind_hostile(&app, "21820", "loop").await;
        let uri = format!("/api/v1/teams/{slow}/check");
        // Compiled and signed in before the clock starts.
        assert_eq!(app.post(&uri, json!({})).await.status, 502);

        // And the pool's 8 connections opened (PostgreSQL takes tens of ms to open one).
        let read = format!("/api/v1/teams/{calm}");
        futures::future::join_all((0..8).map(|_| app.get(&read))).await;
        let app = Arc::new(app);
        // Arriving 10 ms apart, as clients do (not in the same microsecond): all 48 are in
        // flight after half a second, while the first still run.
        let checks: Vec<_> = (0..48u64)
            .map(|i| {
                let (app, uri) = (app.clone(), uri.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(10 * i)).await;
                    let t = Instant::now();
                    let r = app.post(&uri, json!({})).await;
                    (r, t.elapsed())
                })
            })
            .collect();
        let (mut health, mut reads) = (Vec::new(), Vec::new());
        while !checks.iter().all(|c| c.is_finished()) {
            let t = Instant::now();
            assert_eq!(app.anonymous().get("/health").await.status, 200);
            health.push(t.elapsed());
            let t = Instant::now();
            let r = app.get(&format!("/api/v1/teams/{calm}")).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            reads.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (mut timed_out, mut busy) = (0, 0);
        for c in checks {
            let (r, took) = c.await.unwrap();
            match r.status.as_u16() {
                502 => {
                    assert!(r.message().contains("ran longer than 1000 ms"), "{:?}", r.body);
                    timed_out += 1;
                }
                503 => {
                    r.assert_error(503, "busy");
                    assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
                    busy += 1;
                }
                other => panic!("{}: a check answered {other}: {:?}", app.backend, r.body),
            }
            assert!(took < Duration::from_millis(3500), "a check took {took:?}");
        }
        let (h, o) = (p99(&mut health), p99(&mut reads));
        eprintln!(
            "{}: {timed_out} checks ran to the deadline, {busy} were turned away; p99 /health {h:?}, ordinary read {o:?} ({} samples)",
            app.backend,
            health.len()
        );
        assert!(timed_out >= 1 && busy >= 1, "the queue both ran and refused work");
        // The fault was starvation (10 s); the bound says "not starved" with room for a shared,
        // noisy 2-core CI machine (one CI run saw 88 ms for a read on PostgreSQL). Speed itself
        // is measured in the benchmarks.
        assert!(h < Duration::from_millis(250), "{}: /health p99 {h:?}", app.backend);
        assert!(o < Duration::from_millis(250), "{}: ordinary read p99 {o:?}", app.backend);
    })
    .await;
}

/// Fault 1, writes: a write judged by a slow rule holds neither a connection nor the writers'
/// lock while the rule runs, so writes to other teams go on meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waiting_for_its_rule_does_not_hold_the_database() {
    let _alone = ALONE.lock().await;
    let settings = vec![
        ("database.max_connections", "2".to_string()),
        ("plugins.fuel", "1000000000000".to_string()),
        ("plugins.timeout_ms", "1500".to_string()),
    ];
    each_backend_with(settings, |app| async move {
        app.seed_units().await;
        install_hostile(&app).await;
        let judged = team(&app, "21820").await;
        let free = team(&app, "21835").await;
        bind_hostile(&app, "21820", "loop").await;
        let member = |team: i64, i: usize| {
            json!({"team_id": team, "full_name": format!("Người Thứ {i}"), "gender": "female", "birth_year": 1990,
                   "position": "member", "affiliation": "volunteer", "joined_on": "2022-07-01"})
        };
        let app = Arc::new(app);
        let slow_write = {
            let app = app.clone();
            tokio::spawn(async move { app.post("/api/v1/members", member(judged, 0)).await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut slowest = Duration::ZERO;
        for i in 1..=10 {
            let t = Instant::now();
            let r = app.post("/api/v1/members", member(free, i)).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            slowest = slowest.max(t.elapsed());
        }
        assert!(!slow_write.is_finished(), "the judged write was still waiting for its rule");
        let r = slow_write.await.unwrap();
        // The rule never finishes: the write is refused, naming the plugin, and nothing is kept.
        r.assert_error(502, "plugin_failed");
        assert!(r.message().contains("hostile@0.1.0") && r.message().contains("override_reason"), "{:?}", r.body);
        let kept = app.get(&format!("/api/v1/teams/{judged}")).await;
        assert_eq!(kept.body["members"].as_array().unwrap().len(), 0, "{:?}", kept.body);
        eprintln!("{}: slowest of 10 writes beside a judged one: {slowest:?}", app.backend);
        assert!(slowest < Duration::from_millis(500), "{}: a write waited {slowest:?}", app.backend);
    })
    .await;
}

/// Issue 11, fault 3: document layouts run on the blocking pool, a few at a time, so four
/// parallel renders of a large legal document (20,000 cells, 100 recipients, 500 blocks) do
/// not stall the async workers: /health answers fast all along (it took 1.97 s before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_renders_do_not_stall_health() {
    let _alone = ALONE.lock().await;
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/plugins", "application/wasm", component("hostile")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let body = json!({"kind": "report", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": "big-table"}});
        assert_eq!(app.post("/api/v1/units/547/plugins", body).await.status, 201);
        let uri = "/api/v1/units/547/reports/hostile?format=docx";
        let request = json!({"period": "2022-Q3"});
        let admin = app.admin().await;
        let started = Instant::now();
        let (status, _, docx) = admin.post_for_file(uri, request.clone()).await;
        assert_eq!(status, 200);
        let one = started.elapsed();
        eprintln!("one render of the large document: {one:?}, {} bytes of DOCX", docx.len());

        // Four renders at once, each its own task (as each connection is), and /health asked
        // every 20 ms meanwhile, on the same two worker threads.
        let app = std::sync::Arc::new(app);
        let started = Instant::now();
        let renders: Vec<_> = (0..4)
            .map(|_| {
                let (app, request) = (app.clone(), request.clone());
                tokio::spawn(async move { app.admin().await.post_for_file(uri, request).await })
            })
            .collect();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let probe = {
            let (app, done) = (app.clone(), done.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let asked = Instant::now();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    assert_eq!(app.anonymous().get("/health").await.status, 200);
                    // A stalled worker shows in the wait past the 20 ms asked for (the probe
                    // is a task too) or in the answer: both count.
                    times.push(asked.elapsed().saturating_sub(Duration::from_millis(20)));
                }
                times
            })
        };
        for render in renders {
            let (status, _, docx) = render.await.unwrap();
            assert_eq!(status, 200);
            assert_eq!(&docx[..2], b"PK");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let all = started.elapsed();
        let times = probe.await.unwrap();
        let slowest = times.iter().max().unwrap();
        eprintln!("4 renders at once: {all:?}; /health asked {} times, slowest {slowest:?}", times.len());
        assert!(*slowest < Duration::from_millis(200), "/health took {slowest:?} during the renders ({}): {times:?}", app.backend);
    })
    .await;
}

/// This process's resident set, in bytes (Linux: the second field of /proc/self/statm, in pages).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// Issue 16: a plugin that grows its memory toward wasm32's 4 GiB (here allowed all of it) is
/// stopped at the limit with a clear 502, and the host's resident memory comes back to where it
/// was: the instance's memory is released after each call, three calls in a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_grown_toward_4_gib_is_given_back() {
    let _alone = ALONE.lock().await;
    let settings = vec![
        ("plugins.memory_bytes", (4u64 << 30).to_string()),
        ("plugins.fuel", "1000000000000".to_string()),
        ("plugins.timeout_ms", "60000".to_string()),
        ("server.request_timeout_secs", "120".to_string()),
    ];
    each_backend_with(settings, |app| async move {
        app.seed_units().await;
        install_hostile(&app).await;
        let hoarder = team(&app, "21820").await;
        bind_hostile(&app, "21820", "grow").await;
        let uri = format!("/api/v1/teams/{hoarder}/check");
        // One call first, so that code, caches and the pool are as they will stay.
        let first = app.post(&uri, json!({})).await;
        assert_eq!(first.status, 502, "{:?}", first.body);
        let baseline = rss_bytes();
        for round in 0..3 {
            let started = Instant::now();
            let r = app.post(&uri, json!({})).await;
            assert_eq!(r.status, 502, "{:?}", r.body);
            let message = r.body["error"]["message"].as_str().unwrap_or_default().to_string();
            assert!(message.contains("bytes of memory"), "{message}");
            let after = rss_bytes();
            eprintln!(
                "{}: round {round}: grew to the 4 GiB limit in {:?}; RSS {} MiB before, {} MiB after",
                app.backend,
                started.elapsed(),
                baseline >> 20,
                after >> 20
            );
            assert!(after < baseline + (128 << 20), "RSS {after} after, {baseline} before ({})", app.backend);
        }
        assert_eq!(app.anonymous().get("/health").await.status, 200);
    })
    .await;
}
