//! Migrations that correct recorded data, each run over data as it was kept before it.

use serde_json::json;

use crate::harness::each_backend_at_schema;
use crate::teams::team;

#[tokio::test]
async fn migrations_correct_what_was_recorded_before_them() {
    each_backend_at_schema(14, |app| async move {
        app.seed_units().await;
        let dissolved = team(&app, "21835", "2022-06-15").await;
        let active = team(&app, "21835-01", "2022-06-15").await;
        let mut stints = Vec::new();
        for (t, name) in [(&dissolved, "Trần Thị Lan"), (&dissolved, "Đặng Văn Đức"), (&active, "Lê Văn Tâm")] {
            let r = app
                .post(
                    "/api/v1/members",
                    json!({"team_id": t["id"], "full_name": name, "gender": "male", "birth_year": 1990,
                           "position": "member", "affiliation": "commune_leadership", "joined_on": "2022-08-01"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
            stints.push(r.body);
        }
        let r = app
            .patch(
                &format!("/api/v1/teams/{}", dissolved["id"]),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        // As kept before migrations 0015 and 0016: the dissolved team's members still serving
        // (one recorded as joining after the dissolution), a name read in the wrong code page.
        let pool = &app.db.pool;
        sqlx::query("UPDATE memberships SET left_on = NULL, left_reason = NULL").execute(pool).await.unwrap();
        sqlx::query("UPDATE memberships SET joined_on = '2023-02-01' WHERE id = $1")
            .bind(stints[1]["id"].as_i64())
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE people SET full_name = 'Ðặng Văn Ðức', search_key = 'ðang van ðuc' WHERE id = $1")
            .bind(stints[1]["person_id"].as_i64())
            .execute(pool)
            .await
            .unwrap();

        app.db.migrate().await.expect("the later migrations run");

        let stint = |i: usize| format!("/api/v1/members/{}", stints[i]["id"]);
        let ended = app.get(&stint(0)).await.body;
        assert_eq!((ended["left_on"].as_str(), ended["left_reason"].as_str()), (Some("2023-01-01"), Some("Tổ giải thể")));
        let later = app.get(&stint(1)).await.body;
        assert_eq!(later["left_on"], json!(null), "a stint begun after the dissolution is for a person to correct");
        assert_eq!(later["full_name"], "Đặng Văn Đức", "{}", app.backend);
        assert_eq!(app.get(&stint(2)).await.body["left_on"], json!(null), "the active team's member serves on");
        let found = app.get("/api/v1/members?q=dang%20van%20duc&include_left=true").await;
        assert_eq!(found.body["total"], 1, "{}: {:?}", app.backend, found.body);

        let trail = app.get(&format!("/api/v1/audit?entity=member&entity_id={}", stints[0]["id"])).await;
        let newest = &trail.body["items"][0];
        assert_eq!(newest["actor"], "sohoa migration 0016", "{:?}", trail.body);
        assert_eq!((newest["before"]["left_on"].clone(), newest["after"]["left_on"].clone()), (json!(null), json!("2023-01-01")));
        assert_eq!(newest["unit_code"], "21835");
    })
    .await;
}
