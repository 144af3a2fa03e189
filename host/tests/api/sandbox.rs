//! Issue 11, the sandbox under attack: hostile and slow plugins must not hurt anyone else.
//! Faults 5 (a rule failure locking its team) and 6 (unbounded, repeated compiles) here;
//! 1 (plugin calls holding shared resources) in `tests/load`, 2 and 7 in `plugins.rs`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::harness::{bind_hostile, component, each_backend_with, install_hostile};

/// Fault 5: a plugin that crashes on one team's data (its name) must not lock that team. The
/// write is refused with 502 naming the plugin and saying how to proceed; with an override
/// reason it goes through (audited, and the response says the rule failed); dissolving never
/// needs the rule. The same holds for roster imports.
#[tokio::test]
async fn a_rule_that_cannot_run_does_not_lock_its_team() {
    each_backend_with(vec![], |app| async move {
        app.seed_units().await;
        install_hostile(&app).await;
        bind_hostile(&app, "21820", "name-trap").await;
        let created = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21820", "name": "Tổ BOOM", "decision_number": "1/QĐ", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn A"}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        let uri = format!("/api/v1/teams/{id}");

        // Without a reason: refused, 502, naming the plugin and the way out.
        let member = json!({"team_id": id, "full_name": "Trần Thị Bình", "gender": "female", "birth_year": 1990,
                            "position": "member", "affiliation": "volunteer", "joined_on": "2022-07-01"});
        let r = app.post("/api/v1/members", member.clone()).await;
        r.assert_error(502, "plugin_failed");
        assert!(r.message().contains("hostile@0.1.0") && r.message().contains("override_reason"), "{}", r.message());
        let r = app.patch(&uri, json!({"decision_signer": "Lê Văn B"})).await;
        r.assert_error(502, "plugin_failed");
        assert_eq!(app.get(&uri).await.body["decision_signer"], "Nguyễn Văn A", "nothing written");

        // With a reason: written, audited, and the response says the rule failed.
        let r = app.post("/api/v1/members?override_reason=Quy%20t%E1%BA%AFc%20l%E1%BB%97i", member).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let warning = r.headers.get("warning").expect("a Warning header").to_str().unwrap().to_string();
        assert!(warning.starts_with("299 sohoa") && warning.contains("hostile@0.1.0"), "{warning}");
        let trail = app.get(&format!("/api/v1/audit?entity=team&entity_id={id}")).await;
        let overridden = trail.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "override").cloned();
        let overridden = overridden.expect("an override in the audit trail");
        assert_eq!(overridden["reason"], "Quy tắc lỗi");
        assert!(overridden["after"]["rule_failed"].as_str().unwrap().contains("hostile@0.1.0"), "{overridden:?}");

        // Renaming away from the trigger needs no reason: the rule judges the result, which it
        // can. From then on the team is judged normally.
        let r = app.patch(&uri, json!({"name": "Tổ Một"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(r.headers.get("warning").is_none());
        let r = app.patch(&uri, json!({"decision_signer": "Lê Văn C"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(r.headers.get("warning").is_none());

        // Dissolving never waits for, or fails with, the rule.
        let trapped = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21820", "name": "Tổ BOOM hai", "decision_number": "2/QĐ", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn A"}),
            )
            .await;
        let trapped = trapped.body["id"].as_i64().unwrap();
        let r = app
            .patch(
                &format!("/api/v1/teams/{trapped}"),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["status"], "dissolved");

        // A roster import onto a team its rule cannot judge: reported per team, written only
        // with a reason.
        let csv = "unit_code,team_name,decision_number,decision_date,decision_signer,full_name,gender,birth_year,position,affiliation,joined_on\n\
                   21820,Tổ BOOM ba,3/QĐ,15/06/2022,Nguyễn Văn A,Phạm Văn Dũng,nam,1988,tổ trưởng,công an xã,01/07/2022\n";
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.as_bytes().to_vec()).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.body["written"], false);
        let failure = r.body["composition"][0]["rule_failure"].as_str().unwrap_or_default();
        assert!(failure.contains("hostile@0.1.0"), "{:?}", r.body);
        let r = app
            .post_bytes("/api/v1/teams/import?override_reason=Nh%E1%BA%ADp%20l%E1%BA%A1i", "text/csv", csv.as_bytes().to_vec())
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["written"], true);
        assert_eq!(r.body["composition"][0]["accepted"], true);
    })
    .await;
}

/// Fault 6: concurrent first uses of a component compile it once (the others wait for that
/// compile); a compile that outlasts `plugins.compile_wait_ms` answers 503 `busy` in the error
/// shape, and the next request finds it done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_is_compiled_once_however_many_ask() {
    let settings = sohoa::config::Settings::load(&Default::default()).unwrap();
    let runtime = Arc::new(sohoa::plugins::Runtime::new(settings.plugins.clone(), None).unwrap());
    let bytes = component("binh-dinh-ke-hoach-77");
    let sha = sohoa::plugins::registry::sha256_hex(&bytes);
    let asks: Vec<_> = (0..8)
        .map(|_| {
            let (runtime, sha, bytes) = (runtime.clone(), sha.clone(), bytes.clone());
            tokio::spawn(async move { runtime.compile(&sha, bytes).await.map(|_| ()) })
        })
        .collect();
    for a in asks {
        a.await.unwrap().expect("compiles");
    }
    assert_eq!(runtime.compiled(), 1, "eight requests, one compile");

    each_backend_with(vec![("plugins.compile_wait_ms", "1".to_string())], |app| async move {
        app.seed_units().await;
        let r =
            app.post_bytes("/api/v1/plugins", "application/wasm", component("binh-dinh-ke-hoach-77")).await;
        r.assert_error(503, "busy");
        assert!(r.message().contains("still being compiled"), "{}", r.message());
        assert!(r.headers.contains_key("retry-after"));
        assert_eq!(app.count("plugins").await, 0);
        // The compile went on: a moment later the same upload is installed.
        let mut installed = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let r = app
                .post_bytes("/api/v1/plugins", "application/wasm", component("binh-dinh-ke-hoach-77"))
                .await;
            if r.status == 201 {
                installed = Some(r);
                break;
            }
            r.assert_error(503, "busy");
        }
        assert!(installed.is_some(), "installed once compiled");
    })
    .await;
}

/// Fault 7's last part: simultaneous uploads of one component install it once (one 201, the
/// rest 200), never 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_uploads_install_once() {
    each_backend_with(vec![], |app| async move {
        app.seed_units().await;
        let bytes = component("binh-dinh-ke-hoach-77");
        let replies = futures::future::join_all(
            (0..6).map(|_| app.post_bytes("/api/v1/plugins", "application/wasm", bytes.clone())),
        )
        .await;
        let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 200, 200, 200, 200, 201], "{}: {replies:?}", app.backend);
        assert_eq!(app.count("plugins").await, 1);
    })
    .await;
}

/// The impostor test plugin (`plugins/tests/impostor`) built with `env`: its id, version or
/// misbehaviour are fixed when it is compiled. Builds run one at a time into the workspace's
/// wasm target folder; cargo rebuilds the crate when the variables change.
fn impostor(env: &[(&str, &str)]) -> Vec<u8> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target").join("wasm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["rustc", "--lib", "--crate-type", "cdylib", "--profile", "plugin", "--target"])
        .arg(sohoa::plugins::build::WASM_TARGET)
        .arg("--manifest-path")
        .arg(root.join("plugins/tests/impostor/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target);
    for name in ["IMPOSTOR_ID", "IMPOSTOR_VERSION", "IMPOSTOR_MODE"] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let core =
        std::fs::read(target.join(sohoa::plugins::build::WASM_TARGET).join("plugin/impostor.wasm")).unwrap();
    sohoa::plugins::build::componentize(&core).unwrap()
}

/// Issue 16, hostile plugins kept as regression tests: a component claiming an installed
/// plugin's id and version with other code, ids that are not slugs (a path, spaces and
/// diacritics, 10 KB), a `describe` that never returns, and a component importing what the host
/// does not give (WASI) are each refused with a clear error; nothing is installed or replaced,
/// and the server goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_and_stalling_components_are_refused_and_change_nothing() {
    let twin = impostor(&[]);
    let long_id = "a".repeat(10_000);
    let bad_ids: Vec<(String, Vec<u8>)> = ["../../etc/passwd", "tổ công nghệ", long_id.as_str()]
        .iter()
        .map(|id| (id.chars().take(40).collect(), impostor(&[("IMPOSTOR_ID", id)])))
        .collect();
    let stalls = impostor(&[("IMPOSTOR_MODE", "describe-loop")]);
    // A hand-written component that exports the rules interface's name and imports WASI.
    let wasi = wat::parse_str(
        r#"(component
             (import "wasi:cli/environment@0.2.0" (instance))
             (instance $rules)
             (export "sohoa:plugin/rules@0.2.0" (instance $rules)))"#,
    )
    .unwrap();
    let settings = vec![("plugins.fuel", "50000000".to_string()), ("plugins.timeout_ms", "1000".to_string())];
    each_backend_with(settings, |app| {
        let (twin, bad_ids, stalls, wasi) = (twin.clone(), bad_ids.clone(), stalls.clone(), wasi.clone());
        async move {
            app.seed_units().await;
            crate::harness::install_hostile(&app).await;
            let original = app.get("/api/v1/plugins/hostile/0.1.0").await;
            assert_eq!(original.status, 200);

            let r = app.post_bytes("/api/v1/plugins", "application/wasm", twin).await;
            assert_eq!(r.status, 409, "{:?}", r.body);
            assert!(r.message().contains("already installed with different content"), "{}", r.message());
            let after = app.get("/api/v1/plugins/hostile/0.1.0").await;
            assert_eq!(after.body["sha256"], original.body["sha256"], "the installed plugin is untouched");

            for (id, bytes) in bad_ids {
                let r = app.post_bytes("/api/v1/plugins", "application/wasm", bytes).await;
                assert_eq!((r.status.as_u16(), r.code()), (422, "plugin_invalid"), "{id}: {:?}", r.body);
                assert!(r.message().contains("lower-case letters"), "{id}: {}", r.message());
                assert!(
                    r.message().len() < 1000,
                    "the refusal does not echo a 10 KB id whole: {}",
                    r.message().chars().rev().take(300).collect::<String>().chars().rev().collect::<String>()
                );
            }

            let started = std::time::Instant::now();
            let r = app.post_bytes("/api/v1/plugins", "application/wasm", stalls).await;
            assert!(matches!(r.status.as_u16(), 422 | 502), "{:?}", r.body);
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "stopped by fuel or the deadline: {:?}",
                started.elapsed()
            );

            let r = app.post_bytes("/api/v1/plugins", "application/wasm", wasi).await;
            assert_eq!((r.status.as_u16(), r.code()), (422, "plugin_invalid"), "{:?}", r.body);
            assert!(r.message().contains("wasi:cli/environment"), "{}", r.message());

            assert_eq!(app.count("plugins").await, 1, "only the hostile plugin itself");
            assert_eq!(app.anonymous().get("/health").await.status, 200);
        }
    })
    .await;
}

/// LEB128 of `n` (unsigned).
fn leb(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Reads an unsigned LEB128 at `*at`, moving past it.
fn read_leb(bytes: &[u8], at: &mut usize) -> u64 {
    let (mut n, mut shift) = (0u64, 0);
    loop {
        let byte = bytes[*at];
        *at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return n;
        }
        shift += 7;
    }
}

/// The hostile plugin's core module with a `start` function whose body is `body` (wasm code
/// after the locals, without the final `end`): it runs when the module is instantiated, before
/// any export is called. The SDK cannot make such a plugin, so the module is edited here: a
/// `[] -> []` type, the function, its code and a start section are appended, and the module is
/// made a component again.
fn with_start(body: &[u8]) -> Vec<u8> {
    component("hostile"); // builds the core module too
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("target/wasm").join(sohoa::plugins::build::WASM_TARGET).join("plugin/hostile.wasm");
    let core = std::fs::read(path).unwrap();
    assert_eq!(&core[..8], b"\0asm\x01\0\0\0");
    // The sections, as (id, payload).
    let mut sections: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut at = 8;
    while at < core.len() {
        let id = core[at];
        at += 1;
        let size = read_leb(&core, &mut at) as usize;
        sections.push((id, core[at..at + size].to_vec()));
        at += size;
    }
    // Counts: types, imported functions, defined functions.
    let count =
        |id: u8| sections.iter().find(|(i, _)| *i == id).map(|(_, p)| read_leb(p, &mut 0)).unwrap_or(0);
    let types = count(1);
    let defined = count(3);
    let mut imported_functions = 0;
    if let Some((_, p)) = sections.iter().find(|(i, _)| *i == 2) {
        let mut at = 0;
        for _ in 0..read_leb(p, &mut at) {
            for _ in 0..2 {
                let len = read_leb(p, &mut at) as usize;
                at += len;
            }
            let kind = p[at];
            at += 1;
            assert_eq!(kind, 0, "a plugin imports functions only");
            read_leb(p, &mut at);
            imported_functions += 1;
        }
    }
    let append = |payload: &[u8], extra: &[u8]| {
        let mut at = 0;
        let n = read_leb(payload, &mut at);
        let mut out = leb(n + 1);
        out.extend_from_slice(&payload[at..]);
        out.extend_from_slice(extra);
        out
    };
    let mut code = vec![0u8]; // no locals
    code.extend_from_slice(body);
    code.push(0x0b);
    let mut entry = leb(code.len() as u64);
    entry.extend(code);
    let start = imported_functions + defined;
    let mut edited: Vec<(u8, Vec<u8>)> = Vec::new();
    for (id, payload) in sections {
        // The start section goes before the first of element, data count, code, data.
        if matches!(id, 9..=12) && !edited.iter().any(|(i, _)| *i == 8) {
            edited.push((8, leb(start)));
        }
        let payload = match id {
            1 => append(&payload, &[0x60, 0, 0]),
            3 => append(&payload, &leb(types)),
            10 => append(&payload, &entry),
            _ => payload,
        };
        edited.push((id, payload));
    }
    let mut module = core[..8].to_vec();
    for (id, payload) in edited {
        module.push(id);
        module.extend(leb(payload.len() as u64));
        module.extend(payload);
    }
    sohoa::plugins::build::componentize(&module).unwrap()
}

/// Issue 16: a component whose start-up, before any export is called, loops or asks for all
/// of wasm32's memory. The loop is stopped by the fuel, the allocation by `plugins.memory_bytes`;
/// both are refused at install with a clear error, nothing is stored, and the server goes on
/// serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_up_that_loops_or_allocates_is_contained() {
    // loop (empty block type) br 0 end
    let loops = with_start(&[0x03, 0x40, 0x0c, 0x00, 0x0b]);
    // i32.const 65535 memory.grow 0 drop
    let grows = with_start(&[0x41, 0xff, 0xff, 0x03, 0x40, 0x00, 0x1a]);
    let settings = vec![("plugins.fuel", "50000000".to_string()), ("plugins.timeout_ms", "1000".to_string())];
    each_backend_with(settings, |app| {
        let (loops, grows) = (loops.clone(), grows.clone());
        async move {
            app.seed_units().await;
            let started = std::time::Instant::now();
            let r = app.post_bytes("/api/v1/plugins", "application/wasm", loops).await;
            assert!(matches!(r.status.as_u16(), 422 | 502), "{:?}", r.body);
            assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
            assert_eq!(app.count("plugins").await, 0, "nothing installed");

            let r = app.post_bytes("/api/v1/plugins", "application/wasm", grows).await;
            r.assert_error(502, "plugin_failed");
            assert!(r.message().contains("bytes of memory"), "{}", r.message());
            assert_eq!(app.count("plugins").await, 0, "nothing installed");
            assert_eq!(app.anonymous().get("/health").await.status, 200);
        }
    })
    .await;
}

/// What a call writes to its memory never reaches the next call, however the slot's memory is
/// wiped (`plugins.keep_resident_bytes`: 0 unmaps it all, 4 MiB copies zeros over the pages
/// the call wrote). The hostile plugin's `remember` mode counts its calls in a static and
/// marks a 1 MiB heap block; a call that found either would say so. One worker, so every
/// call reuses the same instance slot.
#[tokio::test]
async fn nothing_a_call_leaves_in_memory_reaches_the_next() {
    for keep in ["0", "4194304"] {
        let overrides =
            vec![("plugins.keep_resident_bytes", keep.to_string()), ("plugins.workers", "1".into())];
        each_backend_with(overrides, move |app| async move {
            app.seed_units().await;
            install_hostile(&app).await;
            bind_hostile(&app, "21820", "remember").await;
            let created = app
                .post(
                    "/api/v1/teams",
                    json!({"unit_code": "21820", "name": "Tổ Một", "decision_number": "1/QĐ", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn A"}),
                )
                .await;
            assert_eq!(created.status, 201, "{:?}", created.body);
            let id = created.body["id"].as_i64().unwrap();
            for call in 1..=5 {
                let r = app.post(&format!("/api/v1/teams/{id}/check"), json!({})).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
                assert_eq!(
                    r.body["findings"][0]["message"], "calls=1 heap=clean",
                    "call {call} with keep_resident_bytes = {keep} on {}",
                    app.backend
                );
            }
        })
        .await;
    }
}
