use serde_json::{Value, json};

use crate::harness::{TestApp, each_backend};

pub async fn team(app: &TestApp, unit: &str, date: &str) -> Value {
    let r = app
        .post(
            "/api/v1/teams",
            json!({"unit_code": unit, "decision_number": "125/QĐ-UBND", "decision_date": date, "decision_signer": "Nguyễn Văn Hùng"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
    r.body
}

#[tokio::test]
async fn create_team_with_default_name_and_read_it_back() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "15/06/2022").await;
        assert_eq!(t["name"], "Tổ công nghệ số cộng đồng xã Bình Tường", "{}", app.backend);
        assert_eq!(t["decision_date"], "2022-06-15", "dd/mm/yyyy input, ISO output");
        assert_eq!(t["kind"], "commune");
        assert_eq!(t["status"], "active");
        let v = team(&app, "21835-01", "2022-07-01").await;
        assert_eq!(v["kind"], "village");
        assert_eq!(v["name"], "Tổ công nghệ số cộng đồng thôn Phú Thịnh, xã Bình Tường");

        let r = app.get(&format!("/api/v1/teams/{}", t["id"])).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["unit_name"], "Xã Bình Tường");
        assert_eq!(r.body["members"], json!([]));
        assert_eq!(app.get("/api/v1/teams/9999").await.status, 404);
    })
    .await;
}

#[tokio::test]
async fn team_validation_names_each_field_and_writes_nothing() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post("/api/v1/teams", json!({"unit_code": "547", "decision_date": "31/02/2022"})).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.code(), "validation_failed");
        assert_eq!(r.fields(), ["decision_number", "decision_date", "decision_signer", "unit_code"]);
        assert!(r.body["error"]["details"][3]["message"].as_str().unwrap().contains("not a district"));

        let r = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "00000", "decision_number": "1", "decision_date": "2099-01-01", "decision_signer": "A"}),
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.fields(), ["decision_date", "unit_code"], "future date and unknown unit");
        assert_eq!(app.count("teams").await, 0);

        team(&app, "21835", "2022-06-15").await;
        let dup = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21835", "decision_number": "9", "decision_date": "2022-06-20", "decision_signer": "B"}),
            )
            .await;
        assert_eq!(dup.status, 409);
        assert_eq!(dup.code(), "conflict");
        assert_eq!(app.count("teams").await, 1);
    })
    .await;
}

#[tokio::test]
async fn teams_filter_by_subtree_status_and_name() {
    each_backend(|app| async move {
        app.seed_units().await;
        team(&app, "21835", "2022-06-15").await;
        team(&app, "21835-01", "2022-07-01").await;
        team(&app, "21820", "2022-06-16").await;
        let quy_nhon = team(&app, "21550", "2022-06-17").await;

        let r = app.get("/api/v1/teams?unit=547").await;
        assert_eq!(r.body["total"], 3, "{}: the district's communes and villages", app.backend);
        let r = app.get("/api/v1/teams?unit=21835").await;
        assert_eq!(r.body["total"], 2);
        let r = app.get("/api/v1/teams?unit=52&sort=unit").await;
        let units: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|t| t["unit_code"].as_str().unwrap()).collect();
        assert_eq!(units, ["21550", "21820", "21835", "21835-01"]);
        let r = app.get("/api/v1/teams?q=binh%20tuong").await;
        assert_eq!(r.body["total"], 2);

        let r = app
            .patch(
                &format!("/api/v1/teams/{}", quy_nhon["id"]),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập vào tổ khác"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["status"], "dissolved");
        let r = app.get("/api/v1/teams?status=dissolved").await;
        assert_eq!(r.body["total"], 1);
        let r = app.get("/api/v1/teams?status=gone").await;
        assert_eq!(r.status, 400);
        let r = app.get("/api/v1/teams?unit=404").await;
        assert_eq!(r.status, 404);
    })
    .await;
}

#[tokio::test]
async fn dissolving_needs_a_date_and_reason() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let uri = format!("/api/v1/teams/{}", t["id"]);
        let r = app.patch(&uri, json!({"status": "dissolved"})).await;
        assert_eq!(r.status, 422, "{}", app.backend);
        assert_eq!(r.fields(), ["status_date", "status_reason"]);
        let r = app
            .patch(&uri, json!({"status": "suspended", "status_date": "2021-01-01", "status_reason": "x"}))
            .await;
        assert_eq!(r.fields(), ["status_date"], "before the team existed");
        let r = app
            .patch(
                &uri,
                json!({"status": "suspended", "status_date": "2023-01-01", "status_reason": "Thiếu người"}),
            )
            .await;
        assert_eq!(r.status, 200);
        let r = app.patch(&uri, json!({"status": "active"})).await;
        assert_eq!(r.body["status_date"], json!(null), "reactivating clears the status date");
        let r = app.get(&uri).await;
        assert_eq!(r.body["status"], "active");
    })
    .await;
}

#[tokio::test]
async fn a_dissolved_team_stays_dissolved() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let uri = format!("/api/v1/teams/{}", t["id"]);
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": t["id"], "full_name": "Trần Thị Lan", "gender": "female", "birth_year": 1990,
                       "position": "leader", "affiliation": "commune_leadership", "joined_on": "2022-08-01"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        // Not dissolved before someone joined it.
        let r = app
            .patch(
                &uri,
                json!({"status": "dissolved", "status_date": "2022-07-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.fields(), ["status_date"]);
        let r = app
            .patch(
                &uri,
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for back in [
            json!({"status": "active"}),
            json!({"status": "suspended", "status_date": "2023-02-01", "status_reason": "Thiếu người"}),
        ] {
            let r = app.patch(&uri, back.clone()).await;
            assert_eq!(r.status, 422, "{}: {back} on a dissolved team: {:?}", app.backend, r.body);
            assert_eq!(r.fields(), ["status"]);
            let message = r.body["error"]["details"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("dissolved on 2023-01-01"), "{message}");
        }
        // Its record can still be corrected: the day and the reason.
        let r = app.patch(&uri, json!({"status_date": "2023-01-02", "status_reason": "Sáp nhập thôn"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app.get(&uri).await;
        assert_eq!(
            (r.body["status"].as_str(), r.body["status_date"].as_str()),
            (Some("dissolved"), Some("2023-01-02"))
        );
        assert_eq!(app.get("/api/v1/teams?status=active").await.body["total"], 0);
        // Nor corrected to before it.
        let r = app.patch(&uri, json!({"status_date": "2022-07-01"})).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["status_date".to_string()]), "{:?}", r.body);
        // The status sent again as it is keeps its day and reason; a word that is no status is
        // one problem, not also a revival.
        let r = app.patch(&uri, json!({"status": "dissolved"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            (r.body["status_date"].as_str(), r.body["status_reason"].as_str()),
            (Some("2023-01-02"), Some("Sáp nhập thôn"))
        );
        let r = app.patch(&uri, json!({"status": ""})).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["status".to_string()]), "{:?}", r.body);

        // A team recorded before this rule with its day before a member joined can still be
        // renamed (the day is not what changes); correcting the day is held to the rule.
        sqlx::query("UPDATE teams SET status_date = '2022-07-01' WHERE id = $1")
            .bind(t["id"].as_i64().unwrap())
            .execute(&app.db.pool)
            .await
            .unwrap();
        let r = app.patch(&uri, json!({"name": "Tổ thôn Phú Thịnh (cũ)"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app.patch(&uri, json!({"status": "dissolved", "status_date": "2022-07-01"})).await;
        assert_eq!(r.status, 200, "the recorded day sent again as it is: {:?}", r.body);
        let r = app.patch(&uri, json!({"status_date": "2022-07-02"})).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert!(r.fields().iter().all(|f| f == "status_date"), "{:?}", r.body);
        assert!(r.body.to_string().contains("is before a member joined the team on 2022-08-01"), "{:?}", r.body);
        // Someone who served before the end is recorded with the day they left, by the end.
        let earlier = |left_on: Option<&str>| {
            json!({"team_id": t["id"], "full_name": "Lê Văn Cũ", "gender": "male", "birth_year": 1980, "phone": "0905000111",
                   "position": "member", "affiliation": "volunteer", "joined_on": "2022-06-20", "left_on": left_on})
        };
        let r = app.post("/api/v1/members", earlier(None)).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["left_on".to_string()]), "{:?}", r.body);
        let r = app.post("/api/v1/members", earlier(Some("2022-08-15"))).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["left_on".to_string()]), "{:?}", r.body);
        let r = app.post("/api/v1/members", earlier(Some("2022-06-30"))).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        // A team set up again in the unit is told why its name is taken and what to do.
        let again = app
            .post(
                "/api/v1/teams",
                json!({"unit_code": "21835", "name": "Tổ thôn Phú Thịnh (cũ)", "decision_number": "9/QĐ",
                       "decision_date": "2024-01-02", "decision_signer": "Nguyễn Văn A"}),
            )
            .await;
        again.assert_error(409, "conflict");
        assert!(again.message().contains("dissolved on 2022-07-01: give the new team a name of its own"), "{}", again.message());
        // Nor is its decision day moved past a member's first day (2022-06-20, the late one).
        let r = app.patch(&uri, json!({"decision_date": "2022-09-01"})).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert!(r.fields().contains(&"decision_date".to_string()), "{:?}", r.body);
        assert!(r.body.to_string().contains("is after a member joined the team on 2022-06-20"), "{:?}", r.body);
    })
    .await;
}

/// Adds a member to team `t` (joined on `joined`, left on `left` with `reason` if given).
async fn member(app: &TestApp, t: &Value, name: &str, joined: &str, left: Option<(&str, &str)>) -> Value {
    let mut body = json!({"team_id": t["id"], "full_name": name, "gender": "female", "birth_year": 1990,
                          "position": "member", "affiliation": "commune_leadership", "joined_on": joined});
    if let Some((day, _)) = left {
        body["left_on"] = json!(day);
    }
    let r = app.post("/api/v1/members", body).await;
    assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
    let Some((_, reason)) = left else { return r.body };
    let r = app.patch(&format!("/api/v1/members/{}", r.body["id"]), json!({"left_reason": reason})).await;
    assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
    r.body
}

#[tokio::test]
async fn dissolving_a_team_ends_every_stint_still_open() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let uri = format!("/api/v1/teams/{}", t["id"]);
        let serving = member(&app, &t, "Trần Thị Lan", "2022-08-01", None).await;
        let moved =
            member(&app, &t, "Lê Thị Hoa", "2022-08-01", Some(("2022-10-01", "Chuyển công tác"))).await;
        let late = member(&app, &t, "Phạm Thị Mai", "2022-08-01", Some(("2022-12-15", "Xin thôi"))).await;
        let stint = |m: &Value| format!("/api/v1/members/{}", m["id"]);
        let left = |r: &Value| {
            (r["left_on"].as_str().map(str::to_string), r["left_reason"].as_str().map(str::to_string))
        };
        let day = |d: &str| (Some(d.to_string()), Some("Tổ giải thể".to_string()));

        // Not dissolved before a recorded departure: that member's record is for a person to
        // correct, not for the dissolution to shorten.
        let r = app
            .patch(
                &uri,
                json!({"status": "dissolved", "status_date": "2022-12-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["status_date".to_string()]), "{:?}", r.body);
        assert!(
            r.body["error"]["details"][0]["message"].as_str().unwrap().contains("2022-12-15"),
            "{:?}",
            r.body
        );
        assert_eq!(
            left(&app.get(&stint(&serving)).await.body),
            (None, None),
            "a refused write changes nothing"
        );

        let r = app
            .patch(
                &uri,
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(left(&app.get(&stint(&serving)).await.body), day("2023-01-01"), "{}", app.backend);
        let recorded = |d: &str, why: &str| (Some(d.to_string()), Some(why.to_string()));
        assert_eq!(left(&app.get(&stint(&moved)).await.body), recorded("2022-10-01", "Chuyển công tác"));
        assert_eq!(left(&app.get(&stint(&late)).await.body), recorded("2022-12-15", "Xin thôi"));
        let listed = app.get(&format!("/api/v1/members?team={}", t["id"])).await;
        assert_eq!(listed.body["total"], 0, "nobody serves on a dissolved team: {:?}", listed.body);
        // The audit trail says who ended the stint, and what it was before.
        let trail = app.get(&format!("/api/v1/audit?entity=member&entity_id={}", serving["id"])).await;
        let newest = &trail.body["items"][0];
        assert_eq!((newest["action"].as_str(), newest["before"]["left_on"].as_str()), (Some("update"), None));
        assert_eq!(newest["after"]["left_on"], "2023-01-01", "{:?}", trail.body);

        // A corrected day moves the stints the dissolution ended, and only those.
        for corrected in ["2023-01-05", "2022-12-20"] {
            let r = app.patch(&uri, json!({"status_date": corrected})).await;
            assert_eq!(r.status, 200, "{corrected}: {:?}", r.body);
            assert_eq!(left(&app.get(&stint(&serving)).await.body), day(corrected), "{}", app.backend);
            assert_eq!(left(&app.get(&stint(&late)).await.body), recorded("2022-12-15", "Xin thôi"));
        }
        let r = app.patch(&uri, json!({"status_date": "2022-12-10"})).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["status_date".to_string()]), "{:?}", r.body);
        assert_eq!(left(&app.get(&stint(&serving)).await.body), day("2022-12-20"));
        // A dissolved team's record is corrected without its rule: one that cannot run
        // (bound since) does not hold the correction up.
        crate::harness::install_hostile(&app).await;
        crate::harness::bind_hostile(&app, "21835", "fail").await;
        let r = app.patch(&uri, json!({"status_date": "2022-12-21", "status_reason": "Sáp nhập thôn"})).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(left(&app.get(&stint(&serving)).await.body), day("2022-12-21"));
        // A stint the dissolution ended is not reopened by a correction, nor ended after it.
        for reopen in [json!({"left_on": ""}), json!({"left_on": "2023-02-01"})] {
            let r = app.patch(&stint(&serving), reopen.clone()).await;
            assert_eq!(
                (r.status.as_u16(), r.fields()),
                (422, vec!["left_on".to_string()]),
                "{reopen}: {:?}",
                r.body
            );
        }
        let r =
            app.patch(&stint(&serving), json!({"left_on": "2022-12-01", "left_reason": "Chuyển đi"})).await;
        assert_eq!(r.status, 200, "an earlier day, with its reason: {:?}", r.body);
        // The dissolution's audit row counts the members the team has after it: none.
        let trail = app.get(&format!("/api/v1/audit?entity=team&entity_id={}&per_page=100", t["id"])).await;
        let dissolved = trail.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["before"]["status"] == "active" && e["after"]["status"] == "dissolved")
            .cloned();
        assert_eq!(dissolved.map(|e| e["after"]["member_count"].clone()), Some(json!(0)), "{:?}", trail.body);
    })
    .await;
}

/// A PATCH that changes nothing (a form sent again, a retried request) writes nothing: the
/// record's `updated_at` stays and the audit trail gains no entry whose before and after are
/// the same; for an active team, a member, and a dissolved team sent its own day and reason.
#[tokio::test]
async fn a_change_that_changes_nothing_writes_nothing() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let uri = format!("/api/v1/teams/{}", t["id"]);
        let m = member(&app, &t, "Trần Thị Lan", "2022-08-01", None).await;
        let stint = format!("/api/v1/members/{}", m["id"]);
        let entries = |entity: &'static str, id: Value| {
            let app = &app;
            async move {
                let trail =
                    app.get(&format!("/api/v1/audit?entity={entity}&entity_id={id}&per_page=100")).await;
                assert_eq!(trail.status, 200, "{:?}", trail.body);
                trail.body["total"].as_i64().unwrap()
            }
        };
        let (team_entries, member_entries) =
            (entries("team", t["id"].clone()).await, entries("member", m["id"].clone()).await);
        let before = app.get(&uri).await.body;

        for same in [
            json!({}),
            json!({"name": t["name"], "decision_number": t["decision_number"], "status": "active"}),
        ] {
            let r = app.patch(&uri, same.clone()).await;
            assert_eq!(r.status, 200, "{same}: {:?}", r.body);
            assert_eq!(r.body["updated_at"], before["updated_at"], "{same}");
        }
        assert_eq!(
            entries("team", t["id"].clone()).await,
            team_entries,
            "{}: no entry for nothing",
            app.backend
        );
        let r = app
            .patch(
                &stint,
                json!({"position": "member", "joined_on": "2022-08-01", "full_name": "Trần Thị Lan"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(entries("member", m["id"].clone()).await, member_entries, "{}", app.backend);

        // A real change is still written, once.
        let r = app.patch(&uri, json!({"decision_signer": "Nguyễn Văn Bình"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(entries("team", t["id"].clone()).await, team_entries + 1);

        let dissolve =
            json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"});
        assert_eq!(app.patch(&uri, dissolve.clone()).await.status, 200);
        let (team_entries, member_entries) =
            (entries("team", t["id"].clone()).await, entries("member", m["id"].clone()).await);
        let r = app.patch(&uri, dissolve).await;
        assert_eq!(r.status, 200, "the dissolution sent again: {:?}", r.body);
        assert_eq!(entries("team", t["id"].clone()).await, team_entries, "{}", app.backend);
        assert_eq!(entries("member", m["id"].clone()).await, member_entries, "{}", app.backend);
    })
    .await;
}

/// A list read a page at a time is the whole list, in each order, with the same total on every
/// page; a page past the end is empty and still says the total. (The page and its count are
/// read in one query since the ninth benchmark run; a page past the end has no row to carry
/// the count and is counted apart.)
#[tokio::test]
async fn a_team_list_read_page_by_page_is_the_whole_list() {
    each_backend(|app| async move {
        app.seed_units().await;
        for unit in ["21835", "21835-01", "21835-02", "21820", "21820-01", "21808"] {
            team(&app, unit, "2022-06-15").await;
        }
        let outside = team(&app, "21550", "2022-06-15").await;
        let ids = |v: &serde_json::Value| -> Vec<i64> {
            v["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
        };
        for sort in ["id", "name", "unit"] {
            let whole = app.get(&format!("/api/v1/teams?unit=547&sort={sort}&per_page=500")).await;
            assert_eq!((whole.status.as_u16(), whole.body["total"].as_i64()), (200, Some(6)), "{sort}");
            let mut paged = Vec::new();
            for page in 1..=4 {
                let r = app.get(&format!("/api/v1/teams?unit=547&sort={sort}&per_page=2&page={page}")).await;
                assert_eq!(r.body["total"], 6, "{}: {sort}, page {page}: {:?}", app.backend, r.body);
                assert_eq!(ids(&r.body).len(), if page <= 3 { 2 } else { 0 }, "{sort}, page {page}");
                paged.extend(ids(&r.body));
            }
            assert_eq!(paged, ids(&whole.body), "{}: {sort}", app.backend);
            assert!(!paged.contains(&outside["id"].as_i64().unwrap()));
        }
        let by_unit = app.get("/api/v1/teams?unit=547&sort=unit&per_page=500").await;
        let codes: Vec<&str> = by_unit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["unit_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["21808", "21820", "21820-01", "21835", "21835-01", "21835-02"]);
        // A filter that keeps nothing, on the first page and past it.
        for page in [1, 2] {
            let r = app.get(&format!("/api/v1/teams?unit=547&q=không%20có&page={page}")).await;
            assert_eq!((r.body["total"].as_i64(), ids(&r.body).len()), (Some(0), 0), "page {page}");
        }
    })
    .await;
}
