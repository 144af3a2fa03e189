//! Test harness: every test body runs against each available backend, on a database of its
//! own that is removed afterwards (also when the test panics).
//!
//! SQLite always (a file in a temporary directory). PostgreSQL when `SOHOA_TEST_POSTGRES_URL`
//! names a server (`.ci/run` sets it): each run gets a fresh schema, dropped at the end.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use sohoa::api::{AppState, router};
use sohoa::config::{Settings, Sources};
use sohoa::db::Db;
use sqlx::Connection;
use tower::ServiceExt;

pub const POSTGRES_ENV: &str = "SOHOA_TEST_POSTGRES_URL";

/// A running application on a fresh database.
pub struct TestApp {
    pub router: Router,
    pub db: Db,
    /// The plugin engine the router uses (for calling the host's services directly).
    pub plugins: Arc<sohoa::plugins::Runtime>,
    /// The harness's own provincial administrator, made on first use.
    admin: tokio::sync::Mutex<Option<String>>,
    /// "sqlite" or "postgres", to label assertion messages.
    pub backend: &'static str,
}

/// A response, decoded.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The response's Content-Type ("" when there is none).
    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The error message of an error reply.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// Asserts the documented error shape: this status, JSON, this code, a message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:?}", self.body);
        assert_eq!(self.content_type(), "application/json", "{status} {code}: {:?}", self.body);
        assert_eq!(self.code(), code, "{:?}", self.body);
        assert!(!self.message().is_empty(), "{:?}", self.body);
    }

    /// The fields named in a validation error.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| d.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    }
}

/// Sends requests with one identity (a bearer token), or none.
pub struct Client<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl<'a> Client<'a> {
    pub fn app(&self) -> &'a TestApp {
        self.app
    }

    pub async fn request(&self, mut req: Request<Body>) -> Reply {
        if let Some(token) = &self.token
            && !req.headers().contains_key(header::AUTHORIZATION)
        {
            req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        }
        let response = self.app.router.clone().oneshot(req).await.expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("a body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn send_json(&self, method: &str, uri: &str, body: Value) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.request(req).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.send_json("POST", uri, body).await
    }

    pub async fn patch(&self, uri: &str, body: Value) -> Reply {
        self.send_json("PATCH", uri, body).await
    }

    pub async fn delete(&self, uri: &str) -> Reply {
        self.request(Request::delete(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn post_bytes(&self, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req =
            Request::post(uri).header(header::CONTENT_TYPE, content_type).body(Body::from(body)).unwrap();
        self.request(req).await
    }

    /// GETs and keeps the answer as bytes, with its headers (files: XLSX, CSV).
    pub async fn get_file(&self, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::get(uri);
        if let Some(token) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = self.app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
        (status, headers, bytes)
    }

    /// POSTs JSON and keeps the answer as bytes, with its headers (files: DOCX, XLSX).
    pub async fn post_for_file(
        &self,
        uri: &str,
        body: Value,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response =
            self.app.router.clone().oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
        (status, headers, bytes)
    }
}

/// The password of every account the tests make.
pub const PASSWORD: &str = "Kiểm-thử đủ mạnh 2026";

impl TestApp {
    /// A client without credentials.
    pub fn anonymous(&self) -> Client<'_> {
        Client { app: self, token: None }
    }

    /// A client holding `token`.
    pub fn with_token(&self, token: &str) -> Client<'_> {
        Client { app: self, token: Some(token.to_string()) }
    }

    /// The harness administrator: province_admin of the first province in the database.
    pub async fn admin(&self) -> Client<'_> {
        let mut cached = self.admin.lock().await;
        if cached.is_none() {
            let province: Option<String> = sqlx::query_scalar(
                "SELECT MIN(u.code) FROM units u JOIN unit_versions v ON v.unit_id = u.id WHERE v.level = 'province'",
            )
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
            if let Some(code) = province {
                *cached = Some(self.user("harness.admin", "province_admin", Some(&code), None).await);
            }
        }
        Client { app: self, token: cached.clone() }
    }

    /// Creates a user holding one role and returns a live API token for them.
    pub async fn user(&self, username: &str, role: &str, unit: Option<&str>, team: Option<i64>) -> String {
        let password = sohoa::auth::password::Hashed::of(PASSWORD).await.unwrap();
        let mut tx = self.db.begin_write().await.unwrap();
        let role =
            sohoa::users::NewRole { role: role.into(), unit_code: unit.map(str::to_string), team_id: team };
        let checked = sohoa::users::check_role(&mut tx, &role).await.unwrap();
        let input = sohoa::users::NewUser {
            username: Some(username.into()),
            display_name: Some(format!("Người dùng {username}")),
            password: Some(PASSWORD.into()),
            roles: vec![role],
        };
        let actor = sohoa::audit::Actor::system("test harness");
        let user = sohoa::users::create(&mut tx, &actor, &input, &password, &[checked]).await.unwrap();
        let limits = sohoa::auth::sessions::Limits::default();
        let (_, token) =
            sohoa::auth::sessions::issue(&mut tx, user.id, "token", "test", limits, 3600).await.unwrap();
        tx.commit().await.unwrap();
        token
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        self.admin().await.request(req).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.admin().await.get(uri).await
    }

    pub async fn send_json(&self, method: &str, uri: &str, body: Value) -> Reply {
        self.admin().await.send_json(method, uri, body).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.admin().await.post(uri, body).await
    }

    pub async fn patch(&self, uri: &str, body: Value) -> Reply {
        self.admin().await.patch(uri, body).await
    }

    pub async fn post_bytes(&self, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.admin().await.post_bytes(uri, content_type, body).await
    }

    /// Rows in a table, to prove that a refused write left nothing behind.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&self.db.pool).await.unwrap()
    }

    /// Loads the small unit tree of `fixtures/units.csv` (Bình Định, two districts).
    pub async fn seed_units(&self) {
        let source = sohoa::units::UnitSource::from_csv(include_bytes!("../fixtures/units.csv")).unwrap();
        let mut tx = self.db.begin_write().await.unwrap();
        let actor = sohoa::audit::Actor::system("test harness");
        sohoa::units::import_units(&mut tx, &actor, &source.units, None, &|_, _| {}).await.unwrap();
        tx.commit().await.unwrap();
    }
}

fn settings(overrides: Vec<(&'static str, String)>) -> Settings {
    Settings::load(&Sources { overrides, ..Default::default() }).expect("test settings")
}

async fn start(settings: Settings, backend: &'static str, schema: Option<i64>) -> TestApp {
    let db = Db::connect(&settings).await.expect("connect");
    match schema {
        None => db.migrate().await.expect("migrate"),
        Some(version) => migrate_to(&db, backend, version).await,
    }
    let plugins = sohoa::plugins::Runtime::for_settings(&settings).expect("plugin runtime");
    let layouts = Arc::new(sohoa::documents::Layouts::for_settings(&settings.documents));
    let router = router(AppState {
        db: db.clone(),
        settings: Arc::new(settings),
        plugins: plugins.clone(),
        layouts,
        scopes: Default::default(),
    });
    TestApp { router, db, plugins, admin: Default::default(), backend }
}

/// Runs `body` on SQLite, then on PostgreSQL when configured.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_backend_with(Vec::new(), body).await
}

/// [`each_backend`] with setting overrides, e.g. a small body limit.
pub async fn each_backend_with<F, Fut>(overrides: Vec<(&'static str, String)>, body: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_backend_at(overrides, None, body).await
}

/// [`each_backend`] on a database that migration `version` left (the later ones not run):
/// the test records data as it was kept then, runs `app.db.migrate()` and checks what the
/// later migrations made of it. The app's code is today's: use it only where the schema
/// it touches has not changed since.
pub async fn each_backend_at_schema<F, Fut>(version: i64, body: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_backend_at(Vec::new(), Some(version), body).await
}

/// Runs the migrations up to `version` from copies of their files: the same files, so the
/// checksums `Db::migrate` later compares are the ones it expects.
async fn migrate_to(db: &Db, backend: &str, version: i64) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let number: i64 = name.split('_').next().unwrap().parse().unwrap();
        if number <= version {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.expect("the migrations read");
    migrator.run(&db.pool).await.expect("migrate to the version asked for");
}

async fn each_backend_at<F, Fut>(overrides: Vec<(&'static str, String)>, version: Option<i64>, body: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = overrides.clone();
    sqlite.push(("paths.data_dir", dir.path().display().to_string()));
    let app = start(settings(sqlite), "sqlite", version).await;
    let pool = app.db.pool.clone();
    let outcome = tokio::spawn(body(app)).await;
    pool.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }

    let Ok(server) = std::env::var(POSTGRES_ENV) else { return };
    let schema = format!("sohoa_test_{}_{}", chrono::Utc::now().timestamp(), uuid::Uuid::new_v4().simple());
    let mut admin =
        sqlx::PgConnection::connect(&server).await.expect("connect to the PostgreSQL test server");
    sweep_stale_schemas(&mut admin).await;
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.unwrap();
    let sep = if server.contains('?') { '&' } else { '?' };
    let mut pg = overrides;
    pg.push(("database.url", format!("{server}{sep}options[search_path]={schema}")));
    // The plugin cache and any other file go to a temporary directory, never the source tree.
    let pg_dir = tempfile::tempdir().unwrap();
    pg.push(("paths.data_dir", pg_dir.path().display().to_string()));
    let app = start(settings(pg), "postgres", version).await;
    let pool = app.db.pool.clone();
    let outcome = tokio::spawn(body(app)).await;
    pool.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut admin).await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Drops schemas left by test runs that were killed more than an hour ago.
async fn sweep_stale_schemas(admin: &mut sqlx::PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'sohoa\\_test\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    for name in names {
        let stamp = name.split('_').nth(2).and_then(|s| s.parse::<i64>().ok());
        if stamp.is_some_and(|s| s < cutoff) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut *admin).await;
        }
    }
}

/// Components of the repository's plugins, built once per test run (the first call builds;
/// `cargo` needs the wasm32-unknown-unknown target, which the build installs if missing).
/// Installs a bundled plugin (version 1.0.0) and binds it at the province (52) for `kind`, from
/// 01/01/2020, as the harness administrator.
pub async fn enable(app: &TestApp, plugin: &str, kind: &str) {
    let r = app.post_bytes("/api/v1/plugins", "application/wasm", component(plugin)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let body = serde_json::json!({"kind": kind, "plugin_id": plugin, "version": r.body["version"].clone(), "effective_from": "2020-01-01"});
    let r = app.post("/api/v1/units/52/plugins", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

pub fn component(name: &str) -> Vec<u8> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(bytes) = built.get(name) {
        return bytes.clone();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = ["plugins", "plugins/tests"]
        .iter()
        .map(|d| root.join(d).join(name))
        .find(|d| d.join("Cargo.toml").is_file());
    let dir = dir.unwrap_or_else(|| panic!("no plugin crate named {name}"));
    let path = sohoa::plugins::build::build(&dir, &root.join("target").join("wasm")).expect("plugin builds");
    let bytes = std::fs::read(path).unwrap();
    built.insert(name.to_string(), bytes.clone());
    bytes
}

/// Installs the hostile test plugin (`plugins/tests/hostile`); installed already is fine.
pub async fn install_hostile(app: &TestApp) {
    let r = app.post_bytes("/api/v1/plugins", "application/wasm", component("hostile")).await;
    assert!(r.status == 201 || r.status == 200, "{:?}", r.body);
}

/// Binds the hostile plugin's composition rule, in `mode`, to `unit` from 2022.
pub async fn bind_hostile(app: &TestApp, unit: &str, mode: &str) {
    let r = app
        .post(
            &format!("/api/v1/units/{unit}/plugins"),
            serde_json::json!({"kind": "composition", "plugin_id": "hostile", "version": "0.1.0", "effective_from": "2022-01-01", "params": {"mode": mode}}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}
