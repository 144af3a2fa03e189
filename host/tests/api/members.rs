use serde_json::{Value, json};

use crate::harness::{TestApp, each_backend};
use crate::teams::team;

fn member(team_id: &Value, name: &str, phone: &str) -> Value {
    json!({
        "team_id": team_id, "full_name": name, "gender": "Nữ", "birth_year": 1996, "phone": phone,
        "email": "An.Nguyen@TaySon.gov.vn", "position": "Tổ phó", "affiliation": "Đoàn Thanh niên",
        "skills": ["VNeID", " Dịch vụ công trực tuyến ", "vneid", "Dịch vụ  công trực tuyến"], "joined_on": "20/06/2022"
    })
}

async fn setup(app: &TestApp) -> (Value, Value) {
    app.seed_units().await;
    let commune = team(app, "21835", "2022-06-15").await;
    let village = team(app, "21835-01", "2022-07-01").await;
    (commune, village)
}

#[tokio::test]
async fn add_member_normalises_input() {
    each_backend(|app| async move {
        let (commune, _) = setup(&app).await;
        // NFD input, as old systems send it, is stored as NFC.
        let nfd = "Nguye\u{302}\u{303}n Thi\u{323} An";
        let r = app.post("/api/v1/members", member(&commune["id"], nfd, "+84 905 123 456")).await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["full_name"], "Nguyễn Thị An");
        assert_eq!(r.body["full_name"].as_str().unwrap().chars().count(), 13);
        assert_eq!(r.body["phone"], "0905123456");
        assert_eq!(r.body["email"], "an.nguyen@tayson.gov.vn");
        assert_eq!(r.body["gender"], "female");
        assert_eq!(r.body["position"], "deputy");
        assert_eq!(r.body["affiliation"], "youth_union");
        // Cleaned, and each skill once (as first spelt).
        assert_eq!(r.body["skills"], json!(["VNeID", "Dịch vụ công trực tuyến"]));
        assert_eq!(r.body["joined_on"], "2022-06-20");

        let t = app.get(&format!("/api/v1/teams/{}", commune["id"])).await;
        assert_eq!(t.body["member_count"], 1);
        assert_eq!(t.body["members"][0]["full_name"], "Nguyễn Thị An");
    })
    .await;
}

#[tokio::test]
async fn bad_members_get_field_errors_and_nothing_is_written() {
    each_backend(|app| async move {
        let (commune, _) = setup(&app).await;
        let mut m = member(&commune["id"], "", "0905123456");
        m["joined_on"] = json!("2022-02-30");
        let r = app.post("/api/v1/members", m).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.fields(), ["full_name", "joined_on"]);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("full_name"));

        let mut m = member(&json!(999), "Lê Văn Bình", "12");
        m["birth_year"] = json!(1850);
        m["position"] = json!("captain");
        m["left_on"] = json!("2022-01-01");
        let r = app.post("/api/v1/members", m).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["team_id", "birth_year", "phone", "position", "left_on"]);

        let mut m = member(&commune["id"], "Lê Văn Bình", "0905123456");
        m["joined_on"] = json!("2022-06-01");
        let r = app.post("/api/v1/members", m).await;
        assert_eq!(r.fields(), ["joined_on"], "before the team was established");

        let r =
            app.post("/api/v1/members", json!({"team_id": commune["id"], "birth_year": "nineteen"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["birth_year"], "a type error names its field");

        assert_eq!(app.count("people").await, 0);
        assert_eq!(app.count("memberships").await, 0);
    })
    .await;
}

#[tokio::test]
async fn one_person_serves_on_two_teams_and_history_is_kept() {
    each_backend(|app| async move {
        let (commune, village) = setup(&app).await;
        let first = app.post("/api/v1/members", member(&commune["id"], "Võ Thị Hạnh", "0905111222")).await.body;
        // The same name and phone on another team is the same person.
        let mut m = member(&village["id"], "Võ Thị Hạnh", "0905 111 222");
        m["joined_on"] = json!("2022-07-05");
        let second = app.post("/api/v1/members", m).await;
        assert_eq!(second.status, 201, "{}: {:?}", app.backend, second.body);
        assert_eq!(second.body["person_id"], first["person_id"]);
        assert_eq!(app.count("people").await, 1);

        // Serving twice on the same team at once is refused.
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": commune["id"], "person_id": first["person_id"], "position": "member",
                       "affiliation": "youth_union", "joined_on": "2023-01-01"}),
            )
            .await;
        assert_eq!(r.status, 409);

        // Leaving ends the membership without deleting it.
        let r = app.patch(&format!("/api/v1/members/{}", first["id"]), json!({"left_on": "2023-12-31"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let t = app.get(&format!("/api/v1/teams/{}", commune["id"])).await;
        assert_eq!(t.body["member_count"], 0);
        let t = app.get(&format!("/api/v1/teams/{}?include_left=true", commune["id"])).await;
        assert_eq!(t.body["members"][0]["left_on"], "2023-12-31");

        // And after leaving, a new stint is a new membership.
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": commune["id"], "person_id": first["person_id"], "position": "leader",
                       "affiliation": "commune_leadership", "joined_on": "2024-01-02"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);

        let person = app.get(&format!("/api/v1/people/{}", first["person_id"])).await;
        assert_eq!(person.body["memberships"].as_array().unwrap().len(), 3);
        let r = app
            .post("/api/v1/members", json!({"team_id": commune["id"], "person_id": 4040, "position": "member", "affiliation": "other", "joined_on": "2024-01-02"}))
            .await;
        assert_eq!(r.fields(), ["person_id"]);
    })
    .await;
}

#[tokio::test]
async fn members_filter_by_subtree_and_affiliation() {
    each_backend(|app| async move {
        let (commune, village) = setup(&app).await;
        app.post("/api/v1/members", member(&commune["id"], "Trần Văn Long", "0905000001")).await;
        let mut m = member(&village["id"], "Huỳnh Thị Mai", "0905000002");
        m["affiliation"] = json!("village_head");
        m["position"] = json!("leader");
        m["joined_on"] = json!("2022-07-02");
        app.post("/api/v1/members", m).await;

        let r = app.get("/api/v1/members?unit=21835").await;
        assert_eq!(r.body["total"], 2, "{}", app.backend);
        let r = app.get("/api/v1/members?unit=21835-01").await;
        assert_eq!(r.body["total"], 1);
        let r = app.get("/api/v1/members?affiliation=youth_union").await;
        assert_eq!(r.body["items"][0]["full_name"], "Trần Văn Long");
        let r = app.get("/api/v1/members?q=huynh").await;
        assert_eq!(r.body["total"], 1);
        let r = app.get("/api/v1/members?position=boss").await;
        assert_eq!(r.status, 400);
        let r = app.patch("/api/v1/members/9999", json!({"left_on": "2023-01-01"})).await;
        assert_eq!(r.status, 404);
    })
    .await;
}
