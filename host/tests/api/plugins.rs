//! The plugin platform through the API: install, bind, resolve, check; hostile components.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{TestApp, component, each_backend, each_backend_with};
use crate::teams::team;

const WASM: &str = "application/wasm";

async fn install(app: &TestApp, name: &str) -> crate::harness::Reply {
    app.post_bytes("/api/v1/plugins", WASM, component(name)).await
}

/// A commune team with the members Plan 77 asks for, in Bình Tường.
async fn good_commune_team(app: &TestApp) -> i64 {
    let t = team(app, "21835", "2022-06-15").await;
    for (i, (position, affiliation)) in [
        ("leader", "commune_leadership"),
        ("deputy", "youth_union"),
        ("member", "commune_police"),
        ("member", "cultural_social_officer"),
        ("member", "telecom_postal"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": t["id"], "full_name": format!("Thành Viên Số {i}"), "gender": "male", "birth_year": 1985,
                       "phone": format!("09051230{i:02}"), "position": position, "affiliation": affiliation, "joined_on": "2022-06-15"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    t["id"].as_i64().unwrap()
}

#[tokio::test]
async fn install_validates_components_and_keeps_every_version() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = install(&app, "binh-dinh-ke-hoach-77").await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["plugin_id"], "binh-dinh-ke-hoach-77");
        assert_eq!(r.body["interface_version"], "0.2.0");
        assert_eq!(r.body["kinds"], json!(["composition"]));
        assert_eq!(r.body["params"][0]["name"], "min_village_members");
        assert_eq!(r.body["params"][0]["type"], "integer");
        assert_eq!(r.body["sha256"].as_str().unwrap().len(), 64);
        let again = install(&app, "binh-dinh-ke-hoach-77").await;
        assert_eq!(again.status, 200, "the same bytes again change nothing");
        assert_eq!(app.count("plugins").await, 1);
        let listed = app.get("/api/v1/plugins").await;
        assert_eq!(listed.body.as_array().unwrap().len(), 1);
        let one = app.get("/api/v1/plugins/binh-dinh-ke-hoach-77/1.0.0").await;
        assert_eq!(one.status, 200);
        assert_eq!(app.get("/api/v1/plugins/binh-dinh-ke-hoach-77/9.9.9").await.status, 404);

        // Bad components: each refused with a reason, nothing stored.
        let good = component("binh-dinh-ke-hoach-77");
        let truncated = good[..good.len() / 2].to_vec();
        let r = app.post_bytes("/api/v1/plugins", WASM, truncated).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.code(), "plugin_invalid");
        let r = app.post_bytes("/api/v1/plugins", WASM, b"MZ\x90\x00 not wasm at all".to_vec()).await;
        assert_eq!(r.code(), "plugin_invalid");
        let core_module = b"\0asm\x01\0\0\0".to_vec();
        let r = app.post_bytes("/api/v1/plugins", WASM, core_module).await;
        assert!(r.body["error"]["message"].as_str().unwrap().contains("sohoa plugin build"), "{:?}", r.body);
        let r = install(&app, "future-interface").await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("0.3.0") && message.contains("supports 0.1.0, 0.2.0"), "{message}");
        assert_eq!(app.count("plugins").await, 1);

        let viewer = app.with_token(&app.user("xem.plugin", "district_culture", Some("547"), None).await);
        let r = viewer.post_bytes("/api/v1/plugins", WASM, component("hostile")).await;
        assert_eq!(r.status, 403, "only provincial administrators install");
    })
    .await;
}

#[tokio::test]
async fn components_over_the_size_limit_are_refused() {
    each_backend_with(vec![("plugins.max_component_bytes", "10000".into())], |app| async move {
        app.seed_units().await;
        let r = install(&app, "binh-dinh-ke-hoach-77").await;
        assert_eq!(r.status, 413, "{}: {:?}", app.backend, r.body);
        assert_eq!(app.count("plugins").await, 0);
    })
    .await;
}

#[tokio::test]
async fn bindings_resolve_up_the_tree_by_date_and_take_effect_at_once() {
    each_backend(|app| async move {
        app.seed_units().await;
        install(&app, "binh-dinh-ke-hoach-77").await;
        install(&app, "hostile").await;
        let team_id = good_commune_team(&app).await;
        let check = |as_of: &'static str| {
            let app = &app;
            async move { app.post(&format!("/api/v1/teams/{team_id}/check?as_of={as_of}"), json!({})).await }
        };
        let r = check("2023-01-01").await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["plugin"], json!(null), "no rule bound yet");

        let bind = |unit: &'static str, body: serde_json::Value| {
            let app = &app;
            async move { app.post(&format!("/api/v1/units/{unit}/plugins"), body).await }
        };
        let r = bind("52", json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "effective_from": "2022-01-01"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = check("2023-01-01").await;
        assert_eq!(r.body["plugin"]["plugin_id"], "binh-dinh-ke-hoach-77");
        assert_eq!(r.body["plugin"]["bound_at"], "52", "inherited from the province");
        assert_eq!(r.body["findings"], json!([]));

        // A district override from 2024, and a commune that switches the rule off from 2025.
        let r = bind("547", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2024-01-01", "params": {"mode": "ok"}})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        bind("21835", json!({"kind": "composition", "effective_from": "2025-01-01"})).await;
        assert_eq!(check("2023-12-31").await.body["plugin"]["plugin_id"], "binh-dinh-ke-hoach-77");
        let r = check("2024-06-01").await;
        assert_eq!(r.body["plugin"]["plugin_id"], "hostile", "the district's own binding wins");
        assert_eq!(r.body["plugin"]["bound_at"], "547");
        assert_eq!(r.body["findings"][0]["code"], "da-kiem-tra");
        assert_eq!(check("2025-06-01").await.body["plugin"], json!(null), "switched off below");

        let units = app.get("/api/v1/units/21835/plugins?as_of=2024-06-01").await;
        assert_eq!(units.body["effective"][0]["bound_at"], "547");
        assert_eq!(units.body["bindings"][0]["plugin_id"], json!(null));

        // Parameters are checked against the plugin's declarations.
        let r = bind("540", json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "params": {"min_age": "sixteen"}})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["params.min_age"]);
        let r = bind("540", json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "params": {"max_age": 60}})).await;
        assert_eq!(r.fields(), ["params.max_age"]);
        let r = bind("540", json!({"kind": "report", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0"})).await;
        assert_eq!(r.fields(), ["kind"], "the plugin offers no report template");
        let r = bind("540", json!({"kind": "composition", "plugin_id": "nope", "version": "1.0.0"})).await;
        assert_eq!(r.fields(), ["plugin_id"]);

        // A parameter changes the verdict at the next call.
        bind("52", json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "effective_from": "2022-01-01", "params": {"max_deputies": 0}})).await;
        let r = check("2023-01-01").await;
        assert_eq!(r.body["findings"][0]["code"], "qua-nhieu-to-pho", "{:?}", r.body);
    })
    .await;
}

#[tokio::test]
async fn hostile_plugins_fail_cleanly_while_the_host_keeps_serving() {
    let limits = vec![
        ("plugins.fuel", "50000000".into()),
        ("plugins.timeout_ms", "1500".into()),
        ("plugins.memory_bytes", "33554432".into()),
    ];
    each_backend_with(limits, |app| async move {
        app.seed_units().await;
        let installed = install(&app, "hostile").await;
        assert_eq!(installed.status, 201, "{:?}", installed.body);
        let team_id = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let calm = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        app.post("/api/v1/units/21835/plugins", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01"})).await;
        let cases = [
            ("loop", "instruction budget"),
            ("grow", "bytes of memory"),
            ("recurse", "stack"),
            ("panic", "crashed"),
            ("big-output", "bytes; at most"),
        ];
        for (mode, expected) in cases {
            let r = app
                .post("/api/v1/units/21820/plugins", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": mode}}))
                .await;
            assert_eq!(r.status, 201, "{r:?}");
            let started = Instant::now();
            // The hostile call and ordinary requests at the same time.
            let hostile_uri = format!("/api/v1/teams/{team_id}/check");
            let hostile = app.post(&hostile_uri, json!({}));
            let ordinary = async {
                // The slowest ordinary request: none may wait for the hostile call to end.
                let mut slowest = Duration::ZERO;
                for _ in 0..5 {
                    let t = Instant::now();
                    assert_eq!(app.anonymous().get("/health").await.status, 200);
                    let r = app.post(&format!("/api/v1/teams/{calm}/check"), json!({})).await;
                    assert_eq!(r.status, 200, "{mode}: a calm plugin call during the attack: {:?}", r.body);
                    slowest = slowest.max(t.elapsed());
                }
                (slowest, started.elapsed())
            };
            let (r, (slowest, ordinary_time)) = tokio::join!(hostile, ordinary);
            // The hostile call may run up to its 1.5 s deadline; a health check and a calm
            // check that waited behind it would take that long.
            assert!(slowest < Duration::from_millis(1000), "{mode}: an ordinary request took {slowest:?}");
            assert_eq!(r.status, 502, "{mode} on {}: {:?}", app.backend, r.body);
            assert_eq!(r.code(), "plugin_failed");
            let message = r.body["error"]["message"].as_str().unwrap();
            assert!(message.contains("hostile@0.1.0") && message.contains(expected), "{mode}: {message}");
            assert!(started.elapsed() < Duration::from_secs(20), "{mode} was stopped in time");
            eprintln!("{mode}: stopped after {:?}; ordinary requests done after {ordinary_time:?}", started.elapsed());
        }
        // A plugin that refuses in its own words answers 422 plugin_refused, with its message.
        app.post("/api/v1/units/21820/plugins", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": "fail"}})).await;
        let r = app.post(&format!("/api/v1/teams/{team_id}/check"), json!({})).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.code(), "plugin_refused");
        assert!(r.body["error"]["message"].as_str().unwrap().contains("hostile@0.1.0 refused"));
        // Too many log lines are cut, not fatal: the call still answers.
        app.post("/api/v1/units/21820/plugins", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": "log-flood"}})).await;
        let r = app.post(&format!("/api/v1/teams/{team_id}/check"), json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        // And the plugin still works for everyone else.
        let r = app.post(&format!("/api/v1/teams/{calm}/check"), json!({})).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["plugin"]["plugin_id"], "hostile");
    })
    .await;
}

#[tokio::test]
async fn writes_that_break_the_composition_rule_need_a_reason() {
    each_backend(|app| async move {
        app.seed_units().await;
        install(&app, "binh-dinh-ke-hoach-77").await;
        app.post("/api/v1/units/52/plugins", json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "effective_from": "2022-01-01"})).await;
        let team_id = good_commune_team(&app).await;
        let detail = app.get(&format!("/api/v1/teams/{team_id}")).await.body;
        let police = detail["members"].as_array().unwrap().iter().find(|m| m["affiliation"] == "commune_police").unwrap().clone();

        // The police officer leaving breaks Plan 77: refused, nothing written.
        let uri = format!("/api/v1/members/{}", police["id"]);
        let r = app.patch(&uri, json!({"left_on": "2023-01-01"})).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.code(), "composition_failed");
        assert_eq!(r.fields(), ["thieu-cong-an-xa"]);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("binh-dinh-ke-hoach-77@1.0.0"));
        assert_eq!(app.get(&uri).await.body["left_on"], json!(null));

        // With a reason it goes through, and the reason is in the audit trail.
        let r = app.patch(&format!("{uri}?override_reason=Công%20an%20xã%20chuyển%20công%20tác"), json!({"left_on": "2023-01-01"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let trail = app.get(&format!("/api/v1/audit?entity=team&entity_id={team_id}")).await;
        let overridden = trail.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "override").expect("an override row").clone();
        assert_eq!(overridden["reason"], "Công an xã chuyển công tác");

        // A change that does not make things worse needs no reason, even on a failing team.
        let r = app.patch(&format!("/api/v1/teams/{team_id}"), json!({"decision_signer": "Trần Văn Quang"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    })
    .await;
}

#[tokio::test]
async fn the_wall_clock_deadline_stops_what_fuel_would_not() {
    let limits = vec![("plugins.fuel", "1000000000000".into()), ("plugins.timeout_ms", "200".into())];
    each_backend_with(limits, |app| async move {
        app.seed_units().await;
        install(&app, "hostile").await;
        let team_id = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        app.post("/api/v1/units/21820/plugins", json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "params": {"mode": "loop"}, "effective_from": "2022-01-01"})).await;
        let started = Instant::now();
        let r = app.post(&format!("/api/v1/teams/{team_id}/check"), json!({})).await;
        assert_eq!(r.status, 502, "{}: {:?}", app.backend, r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("ran longer than 200 ms"), "{:?}", r.body);
        assert!(started.elapsed() < Duration::from_secs(5), "stopped near its deadline: {:?}", started.elapsed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_beyond_the_workers_wait_their_turn() {
    each_backend_with(vec![("plugins.workers", "1".into())], |app| async move {
        app.seed_units().await;
        let installed = install(&app, "hostile").await;
        assert_eq!(installed.status, 201, "{:?}", installed.body);
        let body = json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": "slow"}});
        let bound = app.post("/api/v1/units/52/plugins", body).await;
        assert_eq!(bound.status, 201, "{:?}", bound.body);
        let team_id = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let uri = format!("/api/v1/teams/{team_id}/check");
        // Slow calls at once against one worker: they queue, none fails.
        let started = Instant::now();
        let replies = futures::future::join_all((0..4).map(|_| app.post(&uri, json!({})))).await;
        for r in replies {
            assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
            assert_eq!(r.body["findings"][0]["code"], "cham", "{:?}", r.body);
        }
        eprintln!("4 slow calls through one worker took {:?}", started.elapsed());
    })
    .await;
}

/// Issue 11, fault 2: compiled code on disk is loaded only when its keyed hash verifies; a
/// changed, or foreign, entry is compiled again and rewritten; a refused component leaves no
/// entry behind.
#[test]
fn the_compiled_cache_is_used_only_when_its_tag_verifies() {
    use sha2::Digest;
    let settings = sohoa::config::Settings::load(&Default::default()).unwrap();
    let runtime_in = |dir: &std::path::Path| {
        sohoa::plugins::Runtime::new(settings.plugins.clone(), Some(dir.join("plugin-cache"))).unwrap()
    };
    let bytes = crate::harness::component("binh-dinh-ke-hoach-77");
    let sha: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let describe = |runtime: &sohoa::plugins::Runtime| {
        let loaded = runtime.load(&sha, &bytes).expect("loads");
        format!("{:?}", runtime.metadata(&loaded).expect("describes itself").0)
    };
    let entries = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir.join("plugin-cache")).unwrap().map(|e| e.unwrap().path()).collect()
    };

    let home = tempfile::tempdir().unwrap();
    let expected = describe(&runtime_in(home.path()));
    let [entry] = entries(home.path()).try_into().expect("one cache entry");
    // Six bytes changed in the middle of the artifact: not loaded, compiled again, rewritten.
    let mut tampered = std::fs::read(&entry).unwrap();
    let mid = tampered.len() / 2;
    for b in &mut tampered[mid..mid + 6] {
        *b ^= 0x5a;
    }
    std::fs::write(&entry, &tampered).unwrap();
    assert_eq!(describe(&runtime_in(home.path())), expected);
    let rewritten = std::fs::read(&entry).unwrap();
    assert!(rewritten != tampered, "the tampered entry was replaced");
    // An entry from another installation (another key) is not trusted either.
    let elsewhere = tempfile::tempdir().unwrap();
    describe(&runtime_in(elsewhere.path()));
    let [foreign] = entries(elsewhere.path()).try_into().expect("one cache entry");
    let foreign = std::fs::read(foreign).unwrap();
    std::fs::write(&entry, &foreign).unwrap();
    assert_eq!(describe(&runtime_in(home.path())), expected);
    assert!(std::fs::read(&entry).unwrap() != foreign, "the foreign entry was replaced");

    // A component of an unsupported interface is refused and leaves no entry.
    let refused = crate::harness::component("future-interface");
    let refused_sha: String = sha2::Sha256::digest(&refused).iter().map(|b| format!("{b:02x}")).collect();
    assert!(runtime_in(home.path()).load(&refused_sha, &refused).is_err());
    assert_eq!(entries(home.path()).len(), 1, "only the accepted component is cached");
}

/// Issue 11, fault 4: a plugin's log is bounded by lines, not only bytes (100,000 empty
/// messages write at most `max_log_lines` lines, and each line costs 64 bytes of
/// `max_log_bytes`), and a message with a newline cannot start a log line of its own.
#[test]
fn plugin_logs_are_bounded_by_lines_and_cannot_forge_lines() {
    use sohoa::plugins::types as wit;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let mut settings = sohoa::config::Settings::load(&Default::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let bytes = crate::harness::component("hostile");
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
    };
    let team = wit::Team {
        id: 1,
        name: "Tổ công nghệ số cộng đồng thôn Phú Thịnh".into(),
        unit_code: "21835-01".into(),
        unit_name: "Thôn Phú Thịnh".into(),
        kind: wit::Level::Village,
        status: wit::TeamStatus::Active,
        decision_date: chrono::NaiveDate::from_ymd_opt(2022, 6, 15).unwrap(),
        members: vec![],
    };
    let as_of = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    // The lines a call in `mode` writes to a log in the server's human-readable format.
    let logged = |plugins: &sohoa::config::PluginSettings, mode: &str| -> Vec<String> {
        let runtime =
            sohoa::plugins::Runtime::new(plugins.clone(), Some(home.path().join("plugin-cache"))).unwrap();
        let loaded = runtime.load(&sha, &bytes).unwrap();
        let params = [wit::Param { name: "mode".into(), value: wit::ParamValue::Text(mode.into()) }];
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::fmt().compact().with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            let (findings, _) = runtime
                .check_teams(&loaded, "hostile@0.1.0", std::slice::from_ref(&team), as_of, &params)
                .expect("logging too much is cut, not fatal");
            assert!(findings.is_empty());
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_string).collect()
    };

    // 100,000 empty messages: the default 200 lines and one warning.
    let lines = logged(&settings.plugins, "log-empty");
    assert_eq!(settings.plugins.max_log_lines, 200);
    assert_eq!(lines.len(), 201, "{:?}", &lines[lines.len().saturating_sub(3)..]);
    assert!(lines[200].contains("plugin log budget used up"), "{}", lines[200]);
    // Without the line cap, the bytes still bound them: 16384 / 64 = 256 empty lines.
    settings.plugins.max_log_lines = 1_000_000;
    let lines = logged(&settings.plugins, "log-empty");
    assert_eq!(lines.len(), 16384 / 64 + 1);

    // A newline in a message is written as \n, on the plugin's own line.
    let lines = logged(&settings.plugins, "log-forge");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines.iter().all(|l| !l.starts_with("2026-11-30T00:00:00Z")), "{lines:?}");
    assert!(
        lines[0].ends_with(
            " INFO sohoa::plugin: plugin=\"hostile@0.1.0\" ok\\n2026-11-30T00:00:00Z  INFO sohoa: forged"
        ),
        "{}",
        lines[0]
    );
}

/// Binds the hostile plugin as the report template of Tây Sơn (547) in `mode`.
async fn hostile_report(app: &TestApp, mode: &str) {
    let body = json!({"kind": "report", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": mode}});
    let r = app.post("/api/v1/units/547/plugins", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// Issue 11, fault 3: a report of many empty elements is refused before it is laid out, with
/// the element limit named; the host keeps serving.
#[tokio::test]
async fn report_plugins_answering_too_many_elements_fail_cleanly() {
    each_backend(|app| async move {
        app.seed_units().await;
        let installed = install(&app, "hostile").await;
        assert_eq!(installed.status, 201, "{:?}", installed.body);
        assert_eq!(installed.body["kinds"], json!(["composition", "report"]));
        let cases = [
            (
                "many-recipients",
                "answered 100000 recipients; at most 100 are accepted (plugins.max_recipients)",
            ),
            (
                "many-cells",
                "answered 60030 table cells; at most 20000 are accepted (plugins.max_table_cells)",
            ),
            ("many-blocks", "answered 100000 document blocks; at most 500 are accepted (plugins.max_blocks)"),
        ];
        for (mode, expected) in cases {
            hostile_report(&app, mode).await;
            for format in ["docx", "xlsx", "html", "json"] {
                let started = Instant::now();
                let r = app
                    .post(
                        &format!("/api/v1/units/547/reports/hostile?format={format}"),
                        json!({"period": "2022-Q3"}),
                    )
                    .await;
                r.assert_error(502, "plugin_failed");
                assert_eq!(
                    r.message(),
                    format!("plugin hostile@0.1.0 {expected}"),
                    "{mode} as {format} on {}",
                    app.backend
                );
                eprintln!("{mode} as {format}: refused after {:?}", started.elapsed());
            }
        }
        // A legal report from the same plugin still renders.
        hostile_report(&app, "ok").await;
        let r = app.post("/api/v1/units/547/reports/hostile", json!({"period": "2022-Q3"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(r.body["text"].as_str().unwrap().contains("Báo cáo của Huyện Tây Sơn."), "{:?}", r.body);
        assert_eq!(app.anonymous().get("/health").await.status, 200);
    })
    .await;
}

/// Issue 11, fault 3: with the element caps raised out of the way, empty elements still count
/// against max_output_bytes: 100,000 empty recipients are 32 bytes each.
#[tokio::test]
async fn empty_elements_count_against_the_output_budget() {
    let caps = vec![("plugins.max_recipients", "1000000".into()), ("plugins.max_blocks", "1000000".into())];
    each_backend_with(caps, |app| async move {
        app.seed_units().await;
        install(&app, "hostile").await;
        hostile_report(&app, "many-recipients").await;
        let r = app.post("/api/v1/units/547/reports/hostile?format=docx", json!({"period": "2022-Q3"})).await;
        r.assert_error(502, "plugin_failed");
        // The document, its one block and 100,000 recipients: (2 + 100000) * 32 bytes.
        assert_eq!(
            r.message(),
            "plugin hostile@0.1.0 answered 3200064 bytes; at most 2097152 are accepted",
            "{}",
            app.backend
        );
        hostile_report(&app, "many-blocks").await;
        let r = app.post("/api/v1/units/547/reports/hostile?format=docx", json!({"period": "2022-Q3"})).await;
        r.assert_error(502, "plugin_failed");
        let size = 32
            + "UBND HUYỆN THỬ".len()
            + "Số: 1/BC-TEST".len()
            + "BÁO CÁO".len()
            + "Thử sức chịu đựng".len()
            + 100_000 * 32;
        assert_eq!(
            r.message(),
            format!("plugin hostile@0.1.0 answered {size} bytes; at most 2097152 are accepted")
        );
    })
    .await;
}

/// Issue 12: a plugin built for the frozen interface 0.1.0 (`plugins/tests/interface-v0-1-0`,
/// from `sdk/wit/since_v0.1.0`, without today's SDK) installs, binds, checks teams and renders
/// a report next to the bundled 0.2.0 plugins; each reports its own interface version.
#[tokio::test]
async fn interface_0_1_0_plugins_run_beside_0_2_0_ones() {
    each_backend(|app| async move {
        app.seed_units().await;
        let old = install(&app, "interface-v0-1-0").await;
        assert_eq!(old.status, 201, "{}: {:?}", app.backend, old.body);
        assert_eq!(old.body["interface_version"], "0.1.0");
        assert!(old.body["report_form"].is_null(), "0.1.0 has no report forms");
        let new = install(&app, "binh-dinh-bao-cao-quy").await;
        assert_eq!(new.status, 201, "{:?}", new.body);
        assert_eq!(new.body["interface_version"], "0.2.0");
        assert_eq!(new.body["report_form"]["period_type"], "quarter");
        assert_eq!(new.body["report_form"]["cut_off"], "decree_09_2019");
        let listed = app.get("/api/v1/plugins").await;
        let versions: Vec<(String, String)> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["plugin_id"].as_str().unwrap().into(), p["interface_version"].as_str().unwrap().into()))
            .collect();
        assert_eq!(
            versions,
            [("binh-dinh-bao-cao-quy".into(), "0.2.0".into()), ("interface-v0-1-0".into(), "0.1.0".into())]
        );

        // The 0.1.0 rule checks a team: one member is fewer than the default two.
        let r = app
            .post(
                "/api/v1/units/21835/plugins",
                json!({"kind": "composition", "plugin_id": "interface-v0-1-0", "version": "0.1.0", "effective_from": "2022-01-01"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let t = team(&app, "21835", "2022-06-15").await;
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": t["id"], "full_name": "Nguyễn Văn An", "gender": "male", "birth_year": 1985,
                       "phone": "0905123001", "position": "leader", "affiliation": "commune_leadership",
                       "joined_on": "2022-06-15", "reason": "thử quy tắc 0.1.0"}),
            )
            .await;
        assert!(r.status == 201 || r.status == 422, "{:?}", r.body);
        let r = app.post(&format!("/api/v1/teams/{}/check?as_of=2022-07-01", t["id"]), json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["plugin"]["plugin_id"], "interface-v0-1-0");
        assert_eq!(r.body["findings"][0]["code"], "it-thanh-vien", "{:?}", r.body);

        // Both report templates render at the district, each through its own interface.
        for (template, version, wanted) in
            [("interface-v0-1-0", "0.1.0", "Kỳ 2022-Q3"), ("binh-dinh-bao-cao-quy", "1.1.0", "quý III năm 2022")]
        {
            let r = app
                .post(
                    "/api/v1/units/547/plugins",
                    json!({"kind": "report", "plugin_id": template, "version": version, "effective_from": "2022-01-01"}),
                )
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            let r = app
                .post(
                    &format!("/api/v1/units/547/reports/{template}?format=json"),
                    json!({"period": "2022-Q3", "issued_on": "2022-10-05", "values": {"21835": {"ho_duoc_huong_dan": 120}}}),
                )
                .await;
            assert_eq!(r.status, 200, "{template}: {:?}", r.body);
            assert!(r.body["subject"].as_str().unwrap().contains(wanted), "{:?}", r.body);
        }
        // The quarterly template declares quarters: the host refuses a month itself.
        let r = app
            .post(
                "/api/v1/units/547/reports/binh-dinh-bao-cao-quy?format=json",
                json!({"period": "2022-07", "issued_on": "2022-10-05"}),
            )
            .await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert!(r.body.to_string().contains("quarter (e.g. 2022-Q3)"), "{:?}", r.body);
    })
    .await;
}

/// Issue 12: a hook newer than a plugin's interface is refused before anything runs, naming
/// the version that added it; the 0.2.0 plugin's `validate-submission` answers.
#[test]
fn a_hook_newer_than_the_plugins_interface_is_unsupported() {
    use sohoa::plugins::types as h;
    let settings = sohoa::config::Settings::load(&Default::default()).unwrap();
    let runtime = sohoa::plugins::Runtime::new(settings.plugins.clone(), None).unwrap();
    let submission = h::Submission {
        unit_code: "21835".into(),
        unit_name: "Xã Bình Tường".into(),
        period: h::Period::parse("2022-Q3", h::CutOff::Decree092019).unwrap(),
        values: vec![
            h::IndicatorValue { code: "ho_duoc_huong_dan".into(), value: 100.0 },
            h::IndicatorValue { code: "tk_vneid".into(), value: 401.0 },
        ],
        previous: None,
    };
    let load = |name: &str| {
        let bytes = component(name);
        let inspected = sohoa::plugins::registry::inspect(&runtime, &bytes).unwrap();
        (runtime.load(&inspected.sha256, &bytes).unwrap(), inspected)
    };
    let (old, _) = load("interface-v0-1-0");
    assert_eq!(old.interface(), "0.1.0");
    let err = runtime.validate_submission(&old, "interface-v0-1-0@0.1.0", &submission, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin interface-v0-1-0@0.1.0 is built for interface 0.1.0, which has no submission validation (added in 0.2.0); install a version of it built with a newer SDK"
    );
    let (new, inspected) = load("binh-dinh-bao-cao-quy");
    assert_eq!(new.interface(), "0.2.0");
    let params: Vec<h::Param> = inspected
        .meta
        .params
        .iter()
        .map(|p| h::Param { name: p.name.clone(), value: p.default_value.clone() })
        .collect();
    let (found, _) =
        runtime.validate_submission(&new, "binh-dinh-bao-cao-quy@1.1.0", &submission, &params).unwrap();
    assert_eq!(found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["vneid-vuot-so-ho"]);
    assert_eq!(found[0].severity, h::Severity::Error);
}
