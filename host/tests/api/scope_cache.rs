//! Scope figures kept between requests (`teams::scope_cache`): computed once per state of the
//! data whoever asks, computed again after any change a page shows (through the API, or
//! written by another process straight into the database), and never after a change pages
//! do not show. On PostgreSQL the version moves once per transaction, at its commit, so
//! writers of different teams do not wait on each other.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::json;
use sohoa::teams::scope_cache::{ScopeCache, version};

use crate::harness::{TestApp, each_backend};
use crate::teams::team;

/// Asks `cache` for the scope `roots` and returns the figure served and whether it is being
/// refreshed; `runs` counts computations.
async fn ask_served(
    app: &TestApp,
    cache: &ScopeCache<u32>,
    roots: &[i64],
    runs: &Arc<AtomicU32>,
) -> (u32, bool) {
    let today = sohoa::dates::today_iso();
    let runs = runs.clone();
    let got = cache
        .get(&app.db, roots, &today, move || async move {
            let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
            // Long enough for every concurrent caller to arrive while it runs.
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(n)
        })
        .await
        .unwrap();
    (*got, got.refreshing)
}

/// [`ask_served`]'s figure, which must not be a stale one.
async fn ask(app: &TestApp, cache: &ScopeCache<u32>, roots: &[i64], runs: &Arc<AtomicU32>) -> u32 {
    let (figure, refreshing) = ask_served(app, cache, roots, runs).await;
    assert!(!refreshing, "{}: a small scope is computed for the version read", app.backend);
    figure
}

/// Renames team `id` straight in the database: a change every scope page shows.
async fn touch(app: &TestApp, id: i64) {
    sqlx::query("UPDATE teams SET name = name || '.' WHERE id = $1")
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_scope_is_computed_once_per_state_of_the_data() {
    each_backend(|app| async move {
        app.seed_units().await;
        let first = team(&app, "21835", "2022-06-15").await;
        let cache = ScopeCache::new("test");
        let runs = Arc::new(AtomicU32::new(0));

        // Eight requests at once for a scope nobody has computed: one computation.
        let asks: Vec<_> = (0..8).map(|_| ask(&app, &cache, &[1, 2], &runs)).collect();
        let got = futures::future::join_all(asks).await;
        assert_eq!(got, vec![1; 8], "{}", app.backend);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{}", app.backend);
        // Again, with the roots in another order: the same scope, kept.
        assert_eq!(ask(&app, &cache, &[2, 1, 2], &runs).await, 1);

        // A change through the API (a team renamed): computed again.
        let r = app.patch(&format!("/api/v1/teams/{}", first["id"]), json!({"name": "Tổ Bình Tường"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(ask(&app, &cache, &[1, 2], &runs).await, 2, "{}: a rename", app.backend);

        // Written straight into the database by another process (a CLI import, another
        // instance): a member added. Computed again, with no notice sent.
        let person: i64 = sqlx::query_scalar(
            "INSERT INTO people (full_name, search_key, gender, birth_year, created_at, updated_at) \
             VALUES ('Lê Văn Tám', 'le van tam', 'male', 1980, '2022-06-15', '2022-06-15') RETURNING id",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO memberships (team_id, person_id, position, affiliation, joined_on, created_at, updated_at) \
             VALUES ($1, $2, 'member', 'other', '2022-06-15', '2022-06-15', '2022-06-15')",
        )
        .bind(first["id"].as_i64().unwrap())
        .bind(person)
        .execute(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(ask(&app, &cache, &[1, 2], &runs).await, 3, "{}: a member added", app.backend);

        // The unit tree changed (a commune renamed from a date): computed again.
        sqlx::query("UPDATE unit_versions SET name = name WHERE unit_id = (SELECT id FROM units WHERE code = '21835')")
            .execute(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(ask(&app, &cache, &[1, 2], &runs).await, 4, "{}: the tree", app.backend);

        // A refresher claiming rows changes nothing a page shows: kept.
        sqlx::query("UPDATE team_checks SET lease_owner = 'someone', lease_until = '2099-01-01T00:00:00Z'")
            .execute(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(ask(&app, &cache, &[1, 2], &runs).await, 4, "{}: a claim", app.backend);
        // Another scope is its own entry.
        assert_eq!(ask(&app, &cache, &[3], &runs).await, 5);
    })
    .await;
}

/// PostgreSQL: the version moves once per writing transaction, at its commit. A writer holding
/// the version's row from its first marked team to its commit would make every other writer of
/// teams wait for it (and two writers each holding a team the other wants would deadlock).
#[tokio::test]
async fn writers_of_different_teams_do_not_wait_on_the_scope_version() {
    each_backend(|app| async move {
        if app.backend != "postgres" {
            return;
        }
        app.seed_units().await;
        let one = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let two = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let read = || async {
            let mut conn = app.db.pool.acquire().await.unwrap();
            version(&mut conn).await.unwrap()
        };
        let before = read().await;
        let rename = "UPDATE teams SET name = name || '.' WHERE id = $1";
        let mut a = app.db.pool.begin().await.unwrap();
        sqlx::query(rename).bind(one).execute(&mut *a).await.unwrap();
        sqlx::query(rename).bind(one).execute(&mut *a).await.unwrap();
        // A second writer, while the first is open: it must not wait for it.
        let mut b = app.db.pool.begin().await.unwrap();
        sqlx::query("SET LOCAL lock_timeout = '2s'").execute(&mut *b).await.unwrap();
        sqlx::query(rename).bind(two).execute(&mut *b).await.unwrap();
        b.commit().await.expect("the second writer committed while the first was open");
        let after_b = read().await;
        assert_eq!(after_b.changes, before.changes + 1, "moved once, at the commit");
        a.commit().await.unwrap();
        let after_a = read().await;
        assert_eq!(after_a.changes, after_b.changes + 1, "moved once for two marks of one transaction");
    })
    .await;
}

/// A large scope (the country: a second to compute) whose data changed is served its newest
/// figures at once, marked as being refreshed, while one task computes them again; then the
/// new figures. Many requests meanwhile start one computation, and a failed one is tried again
/// by the next request.
#[tokio::test]
async fn a_large_scope_is_served_its_newest_figures_while_one_task_computes_them_again() {
    each_backend(|app| async move {
        app.seed_units().await;
        let id = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let cache = ScopeCache::new("test").in_background_when(|n: &u32| *n != 0);
        let runs = Arc::new(AtomicU32::new(0));
        // Nothing computed yet: the first request computes, as for any scope.
        assert_eq!(ask_served(&app, &cache, &[1], &runs).await, (1, false), "{}", app.backend);

        touch(&app, id).await;
        // Eight requests at once after the change: all served the newest figures (had any
        // waited for the computation, it would have been served its result).
        let asks: Vec<_> = (0..8).map(|_| ask_served(&app, &cache, &[1], &runs)).collect();
        let got = futures::future::join_all(asks).await;
        assert_eq!(got, vec![(1, true); 8], "{}", app.backend);
        // One computation runs for them all; its figures are served once it ends.
        let fresh = wait_for(&app, &cache, &runs, 2).await;
        assert_eq!(fresh, (2, false), "{}", app.backend);
        assert_eq!(runs.load(Ordering::SeqCst), 2, "{}: one background computation", app.backend);

        // A computation that fails in the background keeps the newest figures served and is
        // tried again by the next request.
        touch(&app, id).await;
        let today = sohoa::dates::today_iso();
        let failing = cache
            .get(&app.db, &[1], &today, || async { Err(sohoa::error::Error::Conflict("broken".into())) })
            .await
            .unwrap();
        assert_eq!((*failing, failing.refreshing), (2, true), "{}", app.backend);
        let fresh = wait_for(&app, &cache, &runs, 3).await;
        assert_eq!(fresh, (3, false), "{}: computed again after the failure", app.backend);
    })
    .await;
}

/// Asks until the figure `want` is served (a background computation has ended), for at most
/// five seconds; returns what was served last.
async fn wait_for(app: &TestApp, cache: &ScopeCache<u32>, runs: &Arc<AtomicU32>, want: u32) -> (u32, bool) {
    let mut served = ask_served(app, cache, &[1], runs).await;
    for _ in 0..50 {
        if served.0 == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        served = ask_served(app, cache, &[1], runs).await;
    }
    served
}

/// PostgreSQL: the host's connections cost a random page at 1.1, the value the scope queries'
/// plans were measured with (`db.rs`; the test database keeps the server's default of 4).
#[tokio::test]
async fn postgres_connections_cost_a_random_page_as_cached_data_does() {
    each_backend(|app| async move {
        if app.backend != "postgres" {
            return;
        }
        let cost: String = sqlx::query_scalar("SELECT current_setting('random_page_cost')")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(cost, "1.1");
    })
    .await;
}
