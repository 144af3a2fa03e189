//! Commendation criteria: scores, awards and reasons for teams and members under a unit.

use serde_json::json;

use crate::harness::{each_backend, enable};
use crate::teams::team;

const ASSESS: &str = "/api/v1/units/547/commendations/assess";

#[tokio::test]
async fn teams_and_members_are_ranked_with_reasons() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-thi-dua-cds", "commendation").await;
        let strong = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let weak = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let m = app
            .post("/api/v1/members", json!({"team_id": strong, "full_name": "Trần Thị Hoa", "gender": "female", "birth_year": 1996,
                                           "position": "leader", "affiliation": "youth_union", "joined_on": "2022-07-01"}))
            .await
            .body;
        let body = json!({
            "period": "2022",
            "teams": {
                strong.to_string(): {"ho_gia_dinh": 200, "ho_duoc_huong_dan": 130, "tk_vneid": 110, "ho_so_dvc_truc_tuyen": 44,
                                     "bao_cao_phai_nop": 4, "bao_cao_dung_han": 4},
                weak.to_string(): {"ho_gia_dinh": 300, "ho_duoc_huong_dan": 30}
            },
            // The membership's id equals the strong team's (asserted below): they must not be
            // confused.
            "members": {m["id"].to_string(): {"ho_duoc_huong_dan": 48, "luot_tuyen_truyen": 4}}
        });
        assert_eq!(m["id"].as_i64(), Some(strong), "the test needs a membership id equal to a team id");
        let r = app.post(ASSESS, body).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["plugin"]["plugin_id"], "binh-dinh-thi-dua-cds");
        let v = r.body["verdicts"].as_array().unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!((v[0]["kind"].as_str(), v[0]["id"].as_i64()), (Some("team"), Some(strong)));
        assert_eq!(v[0]["name"], "Tổ công nghệ số cộng đồng xã Bình Tường");
        assert_eq!(v[0]["score"], 100.0);
        assert_eq!(v[0]["award"], "Đề nghị Chủ tịch UBND tỉnh tặng Bằng khen");
        assert_eq!(v[1]["id"].as_i64(), Some(weak));
        assert!(v[1]["award"].is_null());
        let why = v[1]["reasons"].as_array().unwrap().last().unwrap().as_str().unwrap();
        assert!(why.contains("dưới ngưỡng Giấy khen 75"), "{why}");
        assert_eq!((v[2]["kind"].as_str(), v[2]["name"].as_str()), (Some("member"), Some("Trần Thị Hoa")));
        assert_eq!(v[2]["award"], "Giấy khen của Chủ tịch UBND huyện");
    })
    .await;
}

#[tokio::test]
async fn unknown_candidates_and_figures_are_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-thi-dua-cds", "commendation").await;
        let elsewhere = team(&app, "21550", "2022-06-15").await["id"].as_i64().unwrap();
        let here = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let body = json!({"period": "2022", "teams": {elsewhere.to_string(): {}, here.to_string(): {"diem_cong": 5}, "999999": {}}});
        let r = app.post(ASSESS, body).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let mut fields = r.fields();
        fields.sort();
        let mut want = vec![format!("teams.{elsewhere}"), format!("teams.{here}.diem_cong"), "teams.999999".to_string()];
        want.sort();
        assert_eq!(fields, want);
        assert_eq!(app.post(ASSESS, json!({"period": "2022"})).await.fields(), ["teams"]);
        // Parameters the criteria refuse (weights not adding up to 100): the plugin's own words.
        let bad = json!({"kind": "commendation", "plugin_id": "binh-dinh-thi-dua-cds", "version": "1.0.0",
                         "effective_from": "2021-01-01", "params": {"trong_so_huong_dan": 50.0}});
        assert_eq!(app.post("/api/v1/units/547/plugins", bad).await.status, 201);
        let r = app.post(ASSESS, json!({"period": "2022", "teams": {here.to_string(): {"ho_gia_dinh": 10}}})).await;
        assert_eq!(r.code(), "plugin_refused", "{:?}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("tổng các trọng số phải bằng 100"));
        // No criteria where none are enabled.
        let off = json!({"kind": "commendation", "effective_from": "2021-06-01"});
        assert_eq!(app.post("/api/v1/units/547/plugins", off).await.status, 201);
        let r = app.post(ASSESS, json!({"period": "2022", "teams": {here.to_string(): {}}})).await;
        assert_eq!(r.status, 404);
    })
    .await;
}
