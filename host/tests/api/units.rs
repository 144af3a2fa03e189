use serde_json::json;

use crate::harness::each_backend;

#[tokio::test]
async fn units_list_get_and_search_without_diacritics() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.get("/api/v1/units?parent=547").await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let codes: Vec<&str> =
            r.body["items"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["21808", "21820", "21835"], "{}", app.backend);
        assert_eq!(r.body["total"], 3);

        let r = app.get("/api/v1/units?q=tay%20son").await;
        assert_eq!(r.body["items"][0]["name"], "Huyện Tây Sơn", "{}", app.backend);
        let r = app.get("/api/v1/units?q=BINH%20TUONG").await;
        assert_eq!(r.body["total"], 1);

        let r = app.get("/api/v1/units/21835-01").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["level"], "village");
        let path: Vec<&str> =
            r.body["path"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
        assert_eq!(path, ["52", "547", "21835"]);
        assert_eq!(r.body["in_effect"], true);

        let r = app.get("/api/v1/units/547").await;
        assert_eq!(r.body["children"], 3);

        let r = app.get("/api/v1/units/99999").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.code(), "not_found");
    })
    .await;
}

#[tokio::test]
async fn subtree_filter_level_filter_pagination_and_stable_sort() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.get("/api/v1/units?unit=547").await;
        assert_eq!(r.body["total"], 7, "{}: Tây Sơn, 3 communes, 3 villages", app.backend);
        let r = app.get("/api/v1/units?unit=547&level=village").await;
        assert_eq!(r.body["total"], 3);

        let mut seen = Vec::new();
        for page in 1..=4 {
            let r = app.get(&format!("/api/v1/units?per_page=3&page={page}&sort=name")).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.body["total"], 10);
            seen.extend(
                r.body["items"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap().to_string()),
            );
        }
        assert_eq!(seen.len(), 10, "pages cover every unit exactly once");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        // Sorting by name follows the proper name (the type word last) in Vietnamese order,
        // numbers as numbers: "Thôn 1", then Bình Định < Bình Tường (đ before t)...
        let all = app.get("/api/v1/units?sort=name").await;
        let names: Vec<&str> =
            all.body["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Thôn 1",
                "Tỉnh Bình Định",
                "Xã Bình Tường",
                "Thôn Hòa Hiệp",
                "Phường Nhơn Bình",
                "Thị trấn Phú Phong",
                "Thôn Phú Thịnh",
                "Thành phố Quy Nhơn",
                "Xã Tây Giang",
                "Huyện Tây Sơn"
            ],
            "{}",
            app.backend
        );
    })
    .await;
}

#[tokio::test]
async fn create_unit_checks_parent_level_and_duplicates() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app
            .post(
                "/api/v1/units",
                json!({"code": "21835-03", "name": "Thôn  Kiên  Long", "unit_type": "Thôn", "parent_code": "21835"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["name"], "Thôn Kiên Long", "white space is collapsed");
        assert_eq!(r.body["level"], "village", "level derived from the type");

        let r = app
            .post("/api/v1/units", json!({"code": "21835-03", "name": "Thôn X", "unit_type": "Thôn", "parent_code": "21835"}))
            .await;
        assert_eq!(r.status, 409);

        let r = app
            .post("/api/v1/units", json!({"code": "x1", "name": "Xã X", "unit_type": "Xã", "parent_code": "21835"}))
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["parent_code"], "a commune cannot sit under a commune");

        let r = app.post("/api/v1/units", json!({"code": "x2", "name": "Xã X", "unit_type": "Xã", "parent_code": "404"})).await;
        assert_eq!(r.status, 422);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("404"));

        let r = app.post("/api/v1/units", json!({"code": "bad code!", "name": "", "unit_type": "Xã", "parent_code": "547"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["code", "name"]);
        assert_eq!(app.count("units").await, 11, "only the valid village was written");
    })
    .await;
}

#[tokio::test]
async fn rename_keeps_history_and_as_of_returns_the_old_name() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app
            .patch(
                "/api/v1/units/21835-02",
                json!({"name": "Thôn Hòa Hiệp Bắc", "effective_on": "01/01/2024"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["valid_from"], "2024-01-01");

        let old = app.get("/api/v1/units/21835-02?as_of=2023-12-31").await;
        assert_eq!(old.body["name"], "Thôn Hòa Hiệp");
        let new = app.get("/api/v1/units/21835-02?as_of=2024-01-01").await;
        assert_eq!(new.body["name"], "Thôn Hòa Hiệp Bắc");
        assert_eq!(new.body["history"].as_array().unwrap().len(), 2);
        assert_eq!(new.body["history"][0]["valid_to"], "2024-01-01");

        // A change dated before the current version began is refused.
        let r = app.patch("/api/v1/units/21835-02", json!({"name": "X", "effective_on": "2023-06-01"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["effective_on"]);

        // A unit cannot move under its own descendant.
        let r = app.patch("/api/v1/units/547", json!({"parent_code": "21835"})).await;
        assert_eq!(r.status, 422);
    })
    .await;
}

#[tokio::test]
async fn merge_closes_a_commune_and_history_stays_readable() {
    each_backend(|app| async move {
        app.seed_units().await;
        // Closing a commune that still has villages is refused: they must move first.
        let r = app.post("/api/v1/units/21820/close", json!({"effective_on": "2025-07-01", "successors": ["21835"]})).await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);

        let r = app.patch("/api/v1/units/21820-01", json!({"parent_code": "21835", "effective_on": "2025-07-01"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app
            .post(
                "/api/v1/units/21820/close",
                json!({"effective_on": "2025-07-01", "successors": ["21835"], "note": "Nghị quyết 1664/NQ-UBTVQH15"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["in_effect"], false);
        assert_eq!(r.body["successors"][0]["code"], "21835");
        assert_eq!(r.body["successors"][0]["kind"], "merge");

        // The tree of 30/06/2025 still has Tây Giang with its village; that of 01/07/2025 does not.
        let before = app.get("/api/v1/units?parent=547&as_of=2025-06-30").await;
        assert_eq!(before.body["total"], 3);
        let after = app.get("/api/v1/units?parent=547&as_of=2025-07-01").await;
        assert_eq!(after.body["total"], 2);
        let village_then = app.get("/api/v1/units/21820-01?as_of=2025-06-30").await;
        assert_eq!(village_then.body["parent_code"], "21820");
        let village_now = app.get("/api/v1/units/21820-01?as_of=2025-07-01").await;
        assert_eq!(village_now.body["parent_code"], "21835");
        let successor = app.get("/api/v1/units/21835").await;
        assert_eq!(successor.body["predecessors"][0]["code"], "21820");
        assert_eq!(successor.body["children"], 3);

        let again = app.post("/api/v1/units/21820/close", json!({"effective_on": "2025-08-01"})).await;
        assert_eq!(again.status, 409, "already closed");
        let changed = app.patch("/api/v1/units/21820", json!({"name": "Xã Tây Giang Mới"})).await;
        assert_eq!(changed.status, 409, "closed units do not change");
    })
    .await;
}

#[tokio::test]
async fn split_records_every_successor() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app
            .post(
                "/api/v1/units/21550/close",
                json!({"effective_on": "2025-07-01", "successors": ["21808", "21835"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let kinds: Vec<&str> =
            r.body["successors"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["split", "split"]);

        let r = app
            .post("/api/v1/units/21808/close", json!({"effective_on": "2025-07-01", "successors": ["404"]}))
            .await;
        assert_eq!(r.status, 422);
        let r = app.post("/api/v1/units/21808/close", json!({"successors": []})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["effective_on"]);
    })
    .await;
}

/// Bad data (a province recorded under one of its own communes) ends the ancestor chain
/// instead of walking it for ever: every scoped request asks for that chain in one query.
#[tokio::test]
async fn a_cycle_in_the_recorded_parents_ends_the_ancestor_chain() {
    each_backend(|app| async move {
        app.seed_units().await;
        sqlx::query(
            "UPDATE unit_versions SET parent_id = (SELECT id FROM units WHERE code = '21835') \
             WHERE unit_id = (SELECT id FROM units WHERE code = '52')",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        let token = app.user("tinh", "province_admin", Some("52"), None).await;
        let r = app.with_token(&token).get("/api/v1/teams?unit=21835").await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let r = app
            .with_token(&token)
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21835", "decision_number": "125/QĐ-UBND", "decision_date": "2022-06-15",
                       "decision_signer": "Nguyễn Văn Hùng"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
    })
    .await;
}
