//! Operational metrics in the Prometheus text format at `GET /metrics`, through the `metrics`
//! facade and its Prometheus exporter.
//!
//! Off unless `[metrics] token` is set: then a scraper sends `Authorization: Bearer <token>`;
//! any other request gets 404, as if there were no such page (the figures say how busy each
//! route and plugin is, which is nobody else's business). Each host instance answers for
//! itself: scrape every instance, not the load balancer.
//!
//! What is recorded (names are Prometheus conventions: `_total` counters, `_seconds` and
//! `_bytes` units):
//! - `sohoa_http_requests_total{method,route,status}` and
//!   `sohoa_http_request_duration_seconds{method,route}`: every routed request, by its route
//!   template (`/api/v1/teams/{id}`, never the ids themselves);
//! - `sohoa_plugin_calls_total{plugin,outcome}`: `ok` or the failure's kind (`out_of_fuel`,
//!   `timeout`, `memory`, `busy`, …, see `PluginFailure::kind`);
//!   `sohoa_plugin_call_duration_seconds{plugin}`, `sohoa_plugin_fuel{plugin}` (instructions
//!   per call) and `sohoa_plugin_memory_bytes{plugin}` (peak linear memory per call), by
//!   `plugin_id@version`;
//! - `sohoa_plugin_queue_waiting`: plugin calls waiting for a worker;
//! - `sohoa_findings_computed_total{by="refresher"|"page"}`: teams whose findings this
//!   instance recomputed, in the background or for a page (summed over instances, each stale
//!   team once: `tests/instances.rs`);
//! - `sohoa_scope_cache_total{page="home"|"dashboard",outcome="kept"|"computed"|"behind"}`:
//!   scope figures served from what was kept, computed, or (a large scope whose data changed)
//!   kept while one task computes them again (`crate::teams::scope_cache`);
//! - at scrape time: `sohoa_db_connections{state="in_use"|"idle"}` (this instance's pool) and
//!   `sohoa_findings_stale_teams` (the background recomputation's queue, shared by instances).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::api::AppState;

/// Seconds: from a quick indexed read to the request timeout.
const LATENCY_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Instructions: one team's check uses about 20,000; the default budget is 200,000,000.
const FUEL_BUCKETS: &[f64] = &[1e4, 1e5, 1e6, 1e7, 1e8, 2e8];
/// Bytes of linear memory: from one wasm page to the default 64 MiB limit.
const MEMORY_BUCKETS: &[f64] = &[65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0];

/// The process's recorder, installed on first use (every router of the process shares it,
/// as tests build many). None when another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full("sohoa_plugin_fuel".into()), FUEL_BUCKETS)
                })
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_bytes".into()), MEMORY_BUCKETS))
                .map(|b| b.build_recorder());
            let recorder = match recorder {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are off: the recorder could not be built");
                    return None;
                }
            };
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(_) => None,
            }
        })
        .as_ref()
}

/// Installs the recorder (idempotent); call before serving so the first requests count.
pub fn install() {
    let _ = handle();
}

/// Middleware (a route layer) counting and timing every routed request by its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("sohoa_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("sohoa_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Records one plugin call of `plugin` (`id@version`) that took `elapsed`: its outcome, and
/// for a call that ran, the fuel and peak memory it used.
pub fn plugin_call(
    plugin: &str,
    elapsed: Duration,
    outcome: Result<&crate::plugins::runtime::Usage, &crate::plugins::PluginFailure>,
) {
    let plugin = plugin.to_owned();
    let kind = match outcome {
        Ok(usage) => {
            metrics::histogram!("sohoa_plugin_fuel", "plugin" => plugin.clone()).record(usage.fuel as f64);
            metrics::histogram!("sohoa_plugin_memory_bytes", "plugin" => plugin.clone())
                .record(usage.memory as f64);
            "ok"
        }
        Err(failure) => failure.kind(),
    };
    metrics::counter!("sohoa_plugin_calls_total", "plugin" => plugin.clone(), "outcome" => kind).increment(1);
    metrics::histogram!("sohoa_plugin_call_duration_seconds", "plugin" => plugin)
        .record(elapsed.as_secs_f64());
}

/// Tokens are compared by their SHA-256, so the comparison's time says nothing about the token.
fn digest(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// `GET /metrics`: the text exposition format, for a scraper holding `[metrics] token`.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = state.settings.metrics.token.as_str();
    let given = crate::auth::bearer(&headers);
    let allowed = !token.is_empty() && given.is_some_and(|g| digest(g) == digest(token));
    let Some(handle) = handle().filter(|_| allowed) else {
        return crate::error::Error::NotFound("route".into()).into_response();
    };
    let pool = &state.db.pool;
    let (size, idle) = (pool.size() as f64, pool.num_idle() as f64);
    metrics::gauge!("sohoa_db_connections", "state" => "in_use").set(size - idle);
    metrics::gauge!("sohoa_db_connections", "state" => "idle").set(idle);
    if let Ok(mut conn) = pool.acquire().await
        && let Ok(stale) = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM team_checks WHERE stale = 1")
            .fetch_one(&mut *conn)
            .await
    {
        metrics::gauge!("sohoa_findings_stale_teams").set(stale as f64);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        handle.render(),
    )
        .into_response()
}
