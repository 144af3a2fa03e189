//! `GET /metrics`: off without a token, only for the token's holder, and it counts requests by
//! route template, plugin calls by plugin and outcome, the pool and the findings queue.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::harness::{TestApp, each_backend, each_backend_with, enable};
use crate::teams::team;

const TOKEN: &str = "scrape-token-for-tests-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String, String) {
    let mut req = Request::get("/metrics");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let r = app.anonymous().request(req.body(Body::empty()).unwrap()).await;
    let text = match &r.body {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (r.status.as_u16(), r.content_type().to_string(), text)
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    each_backend(|app| async move {
        let (status, _, _) = scrape(&app, Some("")).await;
        assert_eq!(status, 404, "{}", app.backend);
        assert_eq!(scrape(&app, None).await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn metrics_answer_the_tokens_holder_with_requests_plugins_pool_and_queue() {
    each_backend_with(vec![("metrics.token", TOKEN.to_string())], |app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let t = team(&app, "21835", "2022-06-15").await;
        let r = app.post(&format!("/api/v1/teams/{}/check", t["id"]), json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(app.get("/api/v1/teams?unit=547").await.status, 200);

        for wrong in [None, Some("scrape-token-for-tests-0123456788"), Some("")] {
            assert_eq!(scrape(&app, wrong).await.0, 404, "{}: {wrong:?}", app.backend);
        }
        // The scheme's name in any case (RFC 9110), as for the API's own tokens.
        let lower = Request::get("/metrics").header("authorization", format!("bearer {TOKEN}"));
        assert_eq!(app.anonymous().request(lower.body(Body::empty()).unwrap()).await.status, 200);
        let (status, content_type, text) = scrape(&app, Some(TOKEN)).await;
        assert_eq!(status, 200, "{}", app.backend);
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        for line in [
            r#"sohoa_http_requests_total{method="GET",route="/api/v1/teams",status="200"}"#,
            r#"sohoa_http_requests_total{method="POST",route="/api/v1/teams/{id}/check",status="200"}"#,
            r#"sohoa_http_request_duration_seconds_bucket{method="GET",route="/api/v1/teams",le="0.005"}"#,
            r#"sohoa_plugin_calls_total{plugin="binh-dinh-ke-hoach-77@1.0.0",outcome="ok"}"#,
            r#"sohoa_plugin_fuel_bucket{plugin="binh-dinh-ke-hoach-77@1.0.0",le="100000"}"#,
            r#"sohoa_plugin_memory_bytes_count{plugin="binh-dinh-ke-hoach-77@1.0.0"}"#,
            r#"sohoa_db_connections{state="in_use"}"#,
            "sohoa_findings_stale_teams ",
            "sohoa_plugin_queue_waiting ",
        ] {
            assert!(text.contains(line), "{}: {line} in\n{text}", app.backend);
        }
        let id = t["id"].to_string();
        assert!(!text.contains(&format!("/teams/{id}/")), "routes are templates, never ids");
    })
    .await;
}
