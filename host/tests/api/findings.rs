//! Stored findings (`teams::findings`): every kind of change marks what it affects, the
//! refresher makes them current and equal to a live check, and instances never take the same
//! rows.

use serde_json::json;
use sohoa::teams::findings;

use crate::harness::{TestApp, each_backend, enable};
use crate::teams::team;

/// One value of one row: `sql` with `$1` bound to `id`.
async fn value<T>(app: &TestApp, sql: &str, id: i64) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.db.pool).await.unwrap()
}

async fn stale(app: &TestApp, team: i64) -> bool {
    value::<i64>(app, "SELECT stale FROM team_checks WHERE team_id = $1", team).await == 1
}

async fn stored_errors(app: &TestApp, team: i64) -> i64 {
    let today = sohoa::dates::today_iso();
    let c = findings::current(&app.db, &app.plugins, &[team], &today).await.unwrap();
    assert!(!c[&team].is_stale(), "{}: current() computes what is stale", app.backend);
    c[&team].errors
}

/// Error findings of a live check through the API.
async fn live_errors(app: &TestApp, team: i64) -> i64 {
    let r = app.post(&format!("/api/v1/teams/{team}/check"), json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").count() as i64
}

#[tokio::test]
async fn every_change_marks_what_it_affects_and_the_refresher_matches_a_live_check() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let here = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let there = team(&app, "21550", "2022-06-15").await["id"].as_i64().unwrap();
        assert!(stale(&app, here).await && stale(&app, there).await, "a new team has no findings yet");

        let n = findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();
        assert_eq!(n, 2, "{}", app.backend);
        assert!(!stale(&app, here).await && !stale(&app, there).await);
        let before = stored_errors(&app, here).await;
        assert!(before > 0, "an empty team fails Plan 77");
        assert_eq!(before, live_errors(&app, here).await, "{}", app.backend);

        // A member added: that team, and only it, is stale; recomputed, it has fewer errors.
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": here, "full_name": "Trần Thị Lan", "gender": "female", "birth_year": 1990,
                       "position": "leader", "affiliation": "commune_leadership", "joined_on": "2022-06-15"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let member = r.body["id"].as_i64().unwrap();
        assert!(stale(&app, here).await && !stale(&app, there).await, "{}", app.backend);
        assert_eq!(findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap(), 1);
        let after = stored_errors(&app, here).await;
        assert!(after < before, "{before} -> {after}");
        assert_eq!(after, live_errors(&app, here).await);

        // The person's own record changed (their name): their team is stale.
        let person: i64 = value(&app, "SELECT person_id FROM memberships WHERE id = $1", member).await;
        sqlx::query("UPDATE people SET full_name = 'Trần Thị Lan Anh' WHERE id = $1")
            .bind(person)
            .execute(&app.db.pool)
            .await
            .unwrap();
        assert!(stale(&app, here).await && !stale(&app, there).await);
        findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();

        // The team itself changed: stale.
        let r = app.patch(&format!("/api/v1/teams/{here}"), json!({"decision_signer": "Lê Văn Tám"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(stale(&app, here).await && !stale(&app, there).await);
        findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();

        // A binding at Tây Sơn (547) marks Tây Sơn's teams, not Quy Nhơn's; unbinding too.
        let r = app
            .post(
                "/api/v1/units/547/plugins",
                json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0",
                       "effective_from": "2021-01-01", "params": {"min_village_members": 3}}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(stale(&app, here).await && !stale(&app, there).await, "{}", app.backend);
        findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();
        let params: Option<String> =
            value(&app, "SELECT params FROM team_checks WHERE team_id = $1", here).await;
        assert_eq!(
            params.as_deref(),
            Some(r#"{"min_village_members":3}"#),
            "the parameters that produced them"
        );
        let r = app
            .admin()
            .await
            .delete("/api/v1/units/547/plugins?kind=composition&effective_from=2021-01-01")
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(stale(&app, here).await && !stale(&app, there).await);
        findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();

        // A change of the unit tree (a new village) moves the epoch: every row is stale.
        let r = app
            .post(
                "/api/v1/units",
                json!({"code": "21550-09", "name": "Thôn 9", "unit_type": "Thôn", "parent_code": "21550"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap(), 2, "{}", app.backend);
    })
    .await;
}

#[tokio::test]
async fn a_change_during_a_recomputation_is_not_lost_and_instances_never_take_the_same_rows() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let a = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let b = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let c = team(&app, "21550", "2022-06-15").await["id"].as_i64().unwrap();

        // Two instances claim at once: no row goes to both.
        let (one, two) = tokio::join!(findings::claim(&app.db, "one", 2), findings::claim(&app.db, "two", 2));
        let (one, two) = (one.unwrap(), two.unwrap());
        let mut all: Vec<i64> = one.iter().chain(&two).map(|r| r.0).collect();
        all.sort();
        assert_eq!(all, vec![a, b, c], "{}: each row claimed once ({one:?}, {two:?})", app.backend);
        assert!(findings::claim(&app.db, "three", 10).await.unwrap().is_empty(), "all leased");

        // An instance that died: its lease ends and another takes its rows.
        sqlx::query(
            "UPDATE team_checks SET lease_until = '2000-01-01T00:00:00.000Z' WHERE lease_owner = 'one'",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        let taken = findings::claim(&app.db, "three", 10).await.unwrap();
        assert_eq!(taken.len(), one.len(), "{}", app.backend);

        // The team changes while its rule runs: the result is stored, the row stays stale.
        let today = sohoa::dates::today_iso();
        let claimed_a: Vec<(i64, i64)> = taken.iter().chain(&two).filter(|r| r.0 == a).copied().collect();
        assert_eq!(claimed_a.len(), 1);
        let r = app.patch(&format!("/api/v1/teams/{a}"), json!({"decision_signer": "Lê Văn Tám"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(findings::compute(&app.db, &app.plugins, &claimed_a, &today).await.unwrap(), 1);
        assert!(stale(&app, a).await, "{}: the newer change keeps its mark", app.backend);
        let lease: Option<String> =
            value(&app, "SELECT lease_owner FROM team_checks WHERE team_id = $1", a).await;
        assert_eq!(lease, None, "the lease is given back, so the row is taken again");
        // refresh_all takes the rest once their leases end; here they are given back at once.
        sqlx::query("UPDATE team_checks SET lease_owner = NULL, lease_until = NULL")
            .execute(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap(), 3);
        assert!(!stale(&app, a).await && !stale(&app, b).await && !stale(&app, c).await);
    })
    .await;
}
