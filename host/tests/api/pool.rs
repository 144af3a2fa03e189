//! The database pool when the database server cuts its connections.

use crate::harness::each_backend;

/// A server restart or a firewall's idle timeout cuts the pool's connections while they lie
/// idle. Connections are no longer tried on every use (two round trips of eight in a district
/// list on PostgreSQL, docs/BENCHMARKS.md ninth run), only after lying idle for
/// `db::PING_IDLE`: every request after the cut still finds a working connection.
#[tokio::test]
async fn an_idle_connection_cut_by_the_server_is_replaced() {
    each_backend(|app| async move {
        app.seed_units().await;
        let Ok(url) = std::env::var("SOHOA_TEST_POSTGRES_URL") else { return };
        if app.backend != "postgres" {
            return; // An SQLite connection is a file opened in this process.
        }
        // Every connection the pool holds, at once, and each one's server process; then back
        // to the pool, idle.
        let mut held = Vec::new();
        let mut pids = Vec::new();
        for _ in 0..app.db.pool.size().max(4) {
            let mut conn = app.db.pool.acquire().await.unwrap();
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *conn).await.unwrap();
            pids.push(pid);
            held.push(conn);
        }
        drop(held);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Cut them all, from a connection of the test's own.
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
        for pid in &pids {
            let cut: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
                .bind(*pid)
                .fetch_one(&mut admin)
                .await
                .unwrap();
            assert!(cut, "{pid}");
        }
        tokio::time::sleep(sohoa::db::PING_IDLE + std::time::Duration::from_millis(300)).await;
        for i in 0..2 * pids.len() {
            let r = app.get("/api/v1/teams?unit=547").await;
            assert_eq!(r.status, 200, "request {i} after the cut: {:?}", r.body);
        }
    })
    .await;
}
