//! Several host instances on one PostgreSQL database (issue 15, point 6): two `sohoa serve`
//! processes on different ports, each with its own data directory (so its own plugin cache),
//! share one schema seeded with the demo. Through one instance we sign in, fail sign-ins,
//! install and re-bind plugins and change findings; the other must act on each within a
//! second, with no restart. Background recomputation is shared: every stale team is
//! recomputed once in all (the instances' `sohoa_findings_computed_total` add up to the stale
//! count), and rows leased by an instance that died are taken again when the lease ends.
//!
//! Needs `SOHOA_TEST_POSTGRES_URL` (CI sets it); without it the test says so and passes.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

mod common;

use common::*;

const PASSWORD: &str = "Demo@TaySon-2022";
const METRICS_TOKEN: &str = "instances-test-token";
/// Bình Tường, a Tây Sơn commune of the demo.
const COMMUNE: &str = "21835";
/// What "takes effect on the others" must take at most.
const WITHIN: Duration = Duration::from_secs(1);

/// A fresh schema on the test server, dropped at the end; its URL for sohoa.
struct Schema {
    server: String,
    name: String,
    url: String,
}

impl Schema {
    async fn create(server: &str) -> Schema {
        let name = format!("sohoa_test_{}_{}", chrono::Utc::now().timestamp(), uuid::Uuid::new_v4().simple());
        let mut admin =
            sqlx::PgConnection::connect(server).await.expect("connect to the PostgreSQL test server");
        sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut admin).await.unwrap();
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options[search_path]={name}");
        Schema { server: server.to_string(), name, url }
    }

    async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url).await.unwrap()
    }

    async fn drop(self) {
        let mut admin = sqlx::PgConnection::connect(&self.server).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name)).execute(&mut admin).await.unwrap();
    }
}

fn with_database(mut cmd: std::process::Command, url: &str) -> std::process::Command {
    cmd.env("SOHOA__DATABASE__URL", url).env("SOHOA__METRICS__TOKEN", METRICS_TOKEN);
    cmd
}

fn serve(dir: &Path, url: &str) -> Server {
    let mut cmd = with_database(sohoa(dir), url);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    start(cmd)
}

async fn login(client: &reqwest::Client, url: &str, username: &str, password: &str) -> reqwest::Response {
    client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn cookie(client: &reqwest::Client, url: &str, username: &str) -> String {
    let r = login(client, url, username, PASSWORD).await;
    assert_eq!(r.status(), 200, "{username} signs in");
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn get(client: &reqwest::Client, url: &str, cookie: &str) -> (u16, Value) {
    let r = client.get(url).header("cookie", cookie).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits until `probe` holds, at most `limit`; how long it took, or None.
async fn within<F, Fut>(limit: Duration, mut probe: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if probe().await {
            return Some(started.elapsed());
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// This instance's `sohoa_findings_computed_total`, both kinds added.
async fn computed(client: &reqwest::Client, url: &str) -> u64 {
    let text = client
        .get(format!("{url}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("sohoa_findings_computed_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn stale(db: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM team_checks WHERE stale = 1").fetch_one(db).await.unwrap()
}

/// Waits until no team's findings are stale, at most `limit`: how long it took, or None.
async fn all_current(schema: &Schema, limit: Duration) -> Option<Duration> {
    within(limit, || async {
        let mut db = schema.connect().await;
        stale(&mut db).await == 0
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_database_act_as_one() {
    let Ok(server) = std::env::var("SOHOA_TEST_POSTGRES_URL") else {
        eprintln!("SOHOA_TEST_POSTGRES_URL is not set: the two-instance test needs PostgreSQL; skipped");
        return;
    };
    let schema = Schema::create(&server).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = with_database(sohoa(dir_a.path()), &schema.url)
        .args(["demo", "--no-serve", "--database-url", &schema.url, "--shared-data"])
        .arg(shared_data())
        .output()
        .unwrap();
    assert!(out.status.success(), "the demo seeds PostgreSQL: {}", String::from_utf8_lossy(&out.stderr));
    // A second demo into the same database is refused, and deletes nothing.
    let again = with_database(sohoa(dir_a.path()), &schema.url)
        .args(["demo", "--no-serve", "--database-url", &schema.url, "--shared-data"])
        .arg(shared_data())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("only an empty database"));

    let a = serve(dir_a.path(), &schema.url);
    let b = serve(dir_b.path(), &schema.url);
    let client = reqwest::Client::new();
    let mut db = schema.connect().await;

    // Sessions: signed in through A, known to B; signed out through B, gone on A.
    let officer = cookie(&client, &a.url, "tayson.vhtt").await;
    let (status, me) = get(&client, &format!("{}/api/v1/auth/me", b.url), &officer).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("tayson.vhtt")), "B knows A's session");
    let r =
        client.post(format!("{}/api/v1/auth/logout", b.url)).header("cookie", &officer).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = get(&client, &format!("{}/api/v1/auth/me", a.url), &officer).await;
    assert_eq!(status, 401, "signed out through B, the session is gone on A");

    // Sign-in limits count the failures of both: five wrong passwords spread over A and B,
    // then the right one is refused on either.
    for (i, url) in [&a.url, &b.url, &a.url, &b.url, &a.url].iter().enumerate() {
        let r = login(&client, url, "binhtuong.xa", "wrong password").await;
        assert_eq!(r.status(), 401, "failure {}", i + 1);
    }
    for url in [&b.url, &a.url] {
        let r = login(&client, url, "binhtuong.xa", PASSWORD).await;
        assert_eq!(r.status(), 429, "the sixth attempt is limited on {url}");
    }

    // The demo's teams were never checked: the two refreshers compute them at start.
    let first = all_current(&schema, Duration::from_secs(30)).await;
    assert!(first.is_some(), "the demo's findings are computed at start");

    let admin_a = cookie(&client, &a.url, "tinh.admin").await;
    let admin_b = cookie(&client, &b.url, "tinh.admin").await;

    // An install through A is compiled by B ahead of its first call (B's own cache).
    let bytes = std::fs::read(
        sohoa::plugins::build::build(
            &repo().join("plugins/tests/interface-v0-1-0"),
            &repo().join("target/wasm"),
        )
        .expect("the test plugin builds"),
    )
    .unwrap();
    let sha = sohoa::plugins::registry::sha256_hex(&bytes);
    let r = client
        .post(format!("{}/api/v1/plugins", a.url))
        .header("cookie", &admin_a)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "installed through A");
    let cache_b = dir_b.path().join("plugin-cache");
    let compiled_on_b = within(Duration::from_secs(10), || {
        let cache_b = cache_b.clone();
        let sha = sha.clone();
        async move {
            std::fs::read_dir(&cache_b)
                .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&sha)))
                .unwrap_or(false)
        }
    })
    .await;
    eprintln!("install through A: compiled on B after {compiled_on_b:?}");
    assert!(compiled_on_b.is_some_and(|t| t <= WITHIN), "B compiles A's install within a second");

    // Background recomputation is shared and done once: a binding through A at the district
    // (every Tây Sơn team fails "at least 50 members") marks every team stale; the two
    // refreshers, woken by the notice, recompute each once between them.
    let before = computed(&client, &a.url).await + computed(&client, &b.url).await;
    let generations = || async {
        let mut db = schema.connect().await;
        sqlx::query_scalar::<_, i64>("SELECT CAST(SUM(generation) AS BIGINT) FROM team_checks")
            .fetch_one(&mut db)
            .await
            .unwrap()
    };
    let generation_before = generations().await;
    let started = Instant::now();
    let r = client
        .post(format!("{}/api/v1/units/547/plugins", a.url))
        .header("cookie", &admin_a)
        .json(&json!({"kind": "composition", "plugin_id": "interface-v0-1-0", "version": "0.1.0",
                      "effective_from": "2022-01-01", "params": {"min_members": 50}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "bound through A");
    // Each row the binding marked moved its generation by one.
    let marked = generations().await - generation_before;
    let settled = all_current(&schema, Duration::from_secs(20)).await;
    eprintln!(
        "{marked} teams marked; all recomputed after {settled:?} (from the binding's answer {:?})",
        started.elapsed()
    );
    assert!(settled.is_some(), "the refreshers recompute every stale team");
    let after = computed(&client, &a.url).await + computed(&client, &b.url).await;
    let failing: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM team_checks WHERE errors > 0 AND plugin = 'interface-v0-1-0@0.1.0'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert!(failing >= 100, "Tây Sơn's teams are judged by the new binding: {failing}");
    assert!(marked >= failing, "{marked} rows marked, {failing} failing");
    assert_eq!(
        after - before,
        marked as u64,
        "each stale team recomputed once by the two instances together"
    );

    // Re-binding through A reaches B's lists within a second: switch the district's rule off
    // (the province's Plan 77 applies again) and B's failing list for the commune changes.
    let failing_on_b = |cookie: String| {
        let (client, url) = (client.clone(), format!("{}/api/v1/teams?unit={COMMUNE}&failing=true", b.url));
        async move { get(&client, &url, &cookie).await.1["total"].as_i64().unwrap_or(-1) }
    };
    let all_failing = failing_on_b(admin_b.clone()).await;
    let r = client
        .delete(format!("{}/api/v1/units/547/plugins?kind=composition&effective_from=2022-01-01", a.url))
        .header("cookie", &admin_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "unbound through A");
    let took = within(Duration::from_secs(10), || {
        let probe = failing_on_b(admin_b.clone());
        async move { probe.await < all_failing }
    })
    .await;
    eprintln!("re-binding through A: B's failing list changed after {took:?} ({all_failing} failing before)");
    assert!(took.is_some_and(|t| t <= WITHIN), "B's list follows A's re-binding within a second");

    // A change to a team through A: its leader leaves, and B lists the team as failing.
    let ids = |page: Value| -> Vec<i64> {
        page["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
    };
    let failing_ids =
        ids(get(&client, &format!("{}/api/v1/teams?unit={COMMUNE}&failing=true", b.url), &admin_b).await.1);
    let passing: Vec<i64> =
        ids(get(&client, &format!("{}/api/v1/teams?unit={COMMUNE}", a.url), &admin_a).await.1)
            .into_iter()
            .filter(|id| !failing_ids.contains(id))
            .collect();
    let failing_now = failing_on_b(admin_b.clone()).await;
    let mut changed = None;
    for id in passing {
        let team = get(&client, &format!("{}/api/v1/teams/{id}", a.url), &admin_a).await.1;
        let Some(leader) =
            team["members"].as_array().and_then(|m| m.iter().find(|m| m["position"] == "leader"))
        else {
            continue;
        };
        let r = client
            .patch(format!(
                "{}/api/v1/members/{}?override_reason=th%E1%BB%AD%20hai%20m%C3%A1y",
                a.url, leader["id"]
            ))
            .header("cookie", &admin_a)
            .json(&json!({"left_on": "2022-12-31", "left_reason": "chuyển công tác"}))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            changed = Some(id);
            break;
        }
    }
    assert!(changed.is_some(), "a leader of a commune team left through A");
    let took = within(Duration::from_secs(10), || {
        let probe = failing_on_b(admin_b.clone());
        async move { probe.await > failing_now }
    })
    .await;
    eprintln!("a leader left through A: B lists the team as failing after {took:?}");
    assert!(took.is_some_and(|t| t <= WITHIN), "B's failing list follows A's change within a second");

    // An instance that dies holding leases loses nothing: rows leased by a process that is
    // gone stay untouched until the lease ends, then the survivor recomputes them. A is
    // killed; the lease it would have left is written as it writes them.
    drop(a);
    let until = (chrono::Utc::now() + chrono::Duration::seconds(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let leased = sqlx::query(
        "UPDATE team_checks SET stale = 1, generation = generation + 1, lease_owner = 'an-instance-that-died', \
         lease_until = $1",
    )
    .bind(&until)
    .execute(&mut db)
    .await
    .unwrap()
    .rows_affected() as i64;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stale(&mut db).await, leased, "no instance takes rows under another's live lease");
    let taken = all_current(&schema, Duration::from_secs(15)).await;
    eprintln!("{leased} rows of a dead instance: recomputed by B {taken:?} after the check at 2 s");
    assert!(taken.is_some(), "B takes the dead instance's rows when the lease ends");

    drop(b);
    drop(db);
    schema.drop().await;
}
