//! Faults found by using sohoa as its users would (issue 10): concurrent writers on the
//! embedded default, the last administrator, Vietnamese collation, officials' words for the
//! vocabularies, and teams whose commune closes. Each input of the issue is a test here with
//! its right value asserted, on both backends.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::harness::{Client, Reply, TestApp, each_backend};
use crate::teams::team;

/// A new member of `team_id` with a distinct phone.
fn member_body(team_id: &Value, i: usize, name: &str) -> Value {
    json!({"team_id": team_id, "full_name": name, "gender": "Nam", "birth_year": 1990,
           "phone": format!("09000{i:05}"), "position": "Thành viên", "affiliation": "Đoàn Thanh niên",
           "joined_on": "2022-07-01"})
}

fn roster_csv(unit: &str, first_phone: usize, rows: usize) -> Vec<u8> {
    let mut csv = String::from(
        "Mã đơn vị,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,\
         Chức vụ trong tổ,Thành phần,Ngày tham gia\n",
    );
    for i in 0..rows {
        csv.push_str(&format!(
            "{unit},7/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Người nhập {i},Nữ,1995,09100{:05},Thành viên,Hội Phụ nữ,02/07/2022\n",
            first_phone + i
        ));
    }
    csv.into_bytes()
}

/// Fault 1: on SQLite a transaction that read first could not upgrade to a write while another
/// writer was active and answered 500 "database is locked" at once. Every kind of write, 20 at
/// a time, must now succeed or be refused cleanly (409/422), never 5xx.
#[tokio::test]
async fn twenty_concurrent_writes_of_every_kind_never_fail_with_500() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let admin = app.admin().await;
        let first = admin.post("/api/v1/members", member_body(&t["id"], 0, "Nguyễn Văn Đầu")).await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        let member = first.body["id"].clone();
        app.user("dong.thoi", "viewer", Some("547"), None).await;

        let (app_ref, admin_ref, team_id, member_ref) = (&app, &admin, &t["id"], &member);
        let writes =
            (1..=20).map(|i| async move { (i, one_write(app_ref, admin_ref, team_id, member_ref, i).await) });
        for (i, r) in join_all(writes).await {
            let expected: &[u16] = match i % 5 {
                0 => &[201],
                1 => &[200],
                2 => &[201],
                3 => &[200],
                _ => &[401, 429],
            };
            assert!(
                expected.contains(&r.status.as_u16()),
                "{}: write {i} (kind {}) answered {}: {:?}",
                app.backend,
                i % 5,
                r.status,
                r.body
            );
        }
        // Every acknowledged write is there: 4 new members + the first, 4 teams + 1, 4 imports
        // of the same 25 rows into one team (the first creates, the others find them).
        let members: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(members, 1 + 4 + 25, "{}", app.backend);
        assert_eq!(app.count("teams").await, 1 + 4 + 1, "{}", app.backend);
    })
    .await;
}

/// Write number `i` of the concurrent batch; its kind is `i % 5`.
async fn one_write(app: &TestApp, admin: &Client<'_>, team_id: &Value, member: &Value, i: usize) -> Reply {
    match i % 5 {
        0 => admin.post("/api/v1/members", member_body(team_id, i, &format!("Thành viên {i}"))).await,
        1 => admin.patch(&format!("/api/v1/members/{member}"), json!({})).await,
        2 => {
            let body = json!({"unit_code": "21820", "name": format!("Tổ số {i}"), "decision_number": "9/QĐ",
                              "decision_date": "2022-06-15", "decision_signer": "Lê Văn B"});
            admin.post("/api/v1/teams", body).await
        }
        3 => admin.post_bytes("/api/v1/teams/import", "text/csv", roster_csv("21808", 100, 25)).await,
        _ => {
            let body = json!({"username": "dong.thoi", "password": "sai mật khẩu"});
            app.anonymous().post("/api/v1/auth/login", body).await
        }
    }
}

/// Bindings written concurrently by two administrators: all succeed or conflict cleanly.
#[tokio::test]
async fn concurrent_bindings_succeed_or_conflict() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/plugins", "application/wasm", crate::harness::component("binh-dinh-ke-hoach-77")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let admin = app.admin().await;
        let units = ["52", "547", "540", "21835", "21820", "21808", "21550", "21835-01", "21835-02", "21820-01"];
        let writes = (0..20).map(|i| {
            let admin = &admin;
            async move {
                let body = json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0",
                                  "effective_from": format!("2021-01-{:02}", 1 + i / 10)});
                admin.post(&format!("/api/v1/units/{}/plugins", units[i % 10]), body).await
            }
        });
        for r in join_all(writes).await {
            assert!(matches!(r.status.as_u16(), 201 | 409 | 422), "{}: {} {:?}", app.backend, r.status, r.body);
        }
    })
    .await;
}

/// The id of the harness administrator and of its one role.
async fn admin_ids(app: &TestApp) -> (i64, i64) {
    let me = app.get("/api/v1/auth/me").await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    let users = app.get("/api/v1/users").await;
    let admin = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "harness.admin")
        .unwrap()
        .clone();
    (admin["id"].as_i64().unwrap(), admin["roles"][0]["id"].as_i64().unwrap())
}

/// Fault 10: the only provincial administrator could remove their own role (or be
/// deactivated) and lock everyone out of the province.
#[tokio::test]
async fn the_last_administrator_cannot_lock_the_province_out() {
    each_backend(|app| async move {
        app.seed_units().await;
        let (id, role) = admin_ids(&app).await;
        // A second role, so that the province_admin role is not the account's only one.
        let r = app
            .post(&format!("/api/v1/users/{id}/roles"), json!({"role": "viewer", "unit_code": "547"}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app.send_json("DELETE", &format!("/api/v1/users/{id}/roles/{role}"), json!({})).await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains("last active province_admin"),
            "{:?}",
            r.body
        );
        let r = app.patch(&format!("/api/v1/users/{id}"), json!({"active": false})).await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);
        // Still an administrator: the refused changes left nothing behind.
        assert_eq!(app.get("/api/v1/users").await.status, 200);

        // With a second administrator of the province, the first may step down.
        let second = app.user("tinh.admin2", "province_admin", Some("52"), None).await;
        let r = app.send_json("DELETE", &format!("/api/v1/users/{id}/roles/{role}"), json!({})).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        // ...but the second is now the last one.
        let second = app.with_token(&second);
        let users = second.get("/api/v1/users").await;
        let me = users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "tinh.admin2")
            .unwrap()
            .clone();
        let r = second
            .send_json(
                "DELETE",
                &format!("/api/v1/users/{}/roles/{}", me["id"], me["roles"][0]["id"]),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);
    })
    .await;
}

/// Fault 2: a commune closes and its teams must not fall out of the world. A merge hands the
/// teams to the successor from the closing day; lists, counts and member writes follow it on
/// every date; a split must name the heir; a closing without successor keeps no live team.
#[tokio::test]
async fn teams_follow_their_commune_when_it_closes() {
    each_backend(|app| async move {
        app.seed_units().await;
        let binh_tuong = team(&app, "21835", "2022-06-15").await;
        let tay_giang = team(&app, "21820", "2022-06-15").await;
        // A split without an heir for the teams is refused, and changes nothing.
        let r = app
            .post(
                "/api/v1/units/21835/close",
                json!({"effective_on": "2024-01-01", "successors": ["21820", "21808"]}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.fields()),
            (422, vec!["teams_to".to_string()]),
            "{}: {:?}",
            app.backend,
            r.body
        );
        // With no successor at all, a unit that still has teams cannot close.
        let r = app.post("/api/v1/units/21808/close", json!({"effective_on": "2024-01-01"})).await;
        assert_eq!(r.status, 200, "no team there: {:?}", r.body);
        let r = app.post("/api/v1/units/21835/close", json!({"effective_on": "2024-01-01"})).await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);

        // The merge: Bình Tường into Tây Giang from 01/01/2024, its villages moved first.
        for village in ["21835-01", "21835-02"] {
            let r = app
                .patch(
                    &format!("/api/v1/units/{village}"),
                    json!({"parent_code": "21820", "effective_on": "2024-01-01"}),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        let r = app
            .post(
                "/api/v1/units/21835/close",
                json!({"effective_on": "2024-01-01", "successors": ["21820"], "note": "NQ 1/2023"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let moved = app.get(&format!("/api/v1/teams/{}", binh_tuong["id"])).await;
        assert_eq!(moved.body["unit_code"], "21820", "{:?}", moved.body);
        assert_eq!(moved.body["status"], "active");

        let ids = |r: &crate::harness::Reply| -> Vec<i64> {
            r.body["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
        };
        let (bt, tg) = (binh_tuong["id"].as_i64().unwrap(), tay_giang["id"].as_i64().unwrap());
        assert_eq!(ids(&app.get("/api/v1/teams?unit=21835&as_of=2023-12-31").await), [bt]);
        assert_eq!(ids(&app.get("/api/v1/teams?unit=21835&as_of=2024-01-01").await), Vec::<i64>::new());
        assert_eq!(ids(&app.get("/api/v1/teams?unit=21820&as_of=2023-12-31").await), [tg]);
        assert_eq!(ids(&app.get("/api/v1/teams?unit=21820").await), [bt, tg]);
        assert_eq!(app.get("/api/v1/teams?unit=547").await.body["total"], 2, "the district keeps both teams");

        // A member joining after the merge is accepted and counted under Tây Giang.
        let r = app.post("/api/v1/members", member_body(&binh_tuong["id"], 7, "Phan Thị Mai")).await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        let mut body = member_body(&binh_tuong["id"], 8, "Lý Văn Tâm");
        body["joined_on"] = json!("2024-03-01");
        let late = app.post("/api/v1/members", body).await;
        assert_eq!(late.status, 201, "{:?}", late.body);
        let members = app.get("/api/v1/members?unit=21820").await;
        assert_eq!(members.body["total"], 2, "{:?} {:?}", r.body, members.body);
        let unit_547: i64 = sqlx::query_scalar("SELECT id FROM units WHERE code = '547'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        let mut conn = app.db.pool.acquire().await.unwrap();
        let now = sohoa::teams::stats::by_child(&mut conn, unit_547, "2024-06-01").await.unwrap();
        let line = |lines: &[sohoa::teams::stats::Coverage], code: &str| {
            lines.iter().find(|l| l.unit_code == code).map(|l| (l.teams, l.members))
        };
        assert_eq!(line(&now, "21820"), Some((2, 2)), "{}", app.backend);
        assert_eq!(line(&now, "21835"), None, "a closed commune has no line after it closed");
        let then = sohoa::teams::stats::by_child(&mut conn, unit_547, "2023-08-01").await.unwrap();
        assert_eq!(line(&then, "21835"), Some((1, 1)), "{}", app.backend);
        assert_eq!(line(&then, "21820"), Some((1, 0)));
        drop(conn);

        // The move is in the audit trail with its reason.
        let audit = app.get(&format!("/api/v1/audit?entity=team&entity_id={bt}")).await;
        let text = audit.body.to_string();
        assert!(
            text.contains("transfer") && text.contains("closed on 2024-01-01"),
            "{}: {text}",
            app.backend
        );
    })
    .await;
}

/// Fault 2, the other way in: a team left in a unit closed before teams followed their unit
/// (an older database) takes no new stints after the closing day, with a message that says so.
#[tokio::test]
async fn a_team_stranded_in_a_closed_unit_takes_no_new_members() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21808", "2022-06-15").await;
        sqlx::query("UPDATE unit_versions SET valid_to = '2024-01-01' WHERE unit_id = (SELECT id FROM units WHERE code = '21808')")
            .execute(&app.db.pool)
            .await
            .unwrap();
        let mut body = member_body(&t["id"], 9, "Đặng Văn Lợi");
        body["joined_on"] = json!("2024-02-01");
        let r = app.post("/api/v1/members", body.clone()).await;
        assert_eq!((r.status.as_u16(), r.fields()), (422, vec!["joined_on".to_string()]), "{}: {:?}", app.backend, r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("01/01/2024"), "{:?}", r.body);
        body["joined_on"] = json!("2023-02-01");
        assert_eq!(app.post("/api/v1/members", body).await.status, 201, "before the closing it is fine");
    })
    .await;
}

/// Fault 4: Vietnamese names in Vietnamese order everywhere a list is ordered by name.
#[tokio::test]
async fn names_are_listed_in_vietnamese_order() {
    const GIVEN: [&str; 7] = ["Đức", "Dũng", "Ân", "An", "Bình", "Yến", "Ánh"];
    const RIGHT: [&str; 7] = ["An", "Ánh", "Ân", "Bình", "Dũng", "Đức", "Yến"];
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        for (i, name) in GIVEN.iter().enumerate() {
            let r = app.post("/api/v1/members", member_body(&t["id"], 100 + i, &format!("Nguyễn Văn {name}"))).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        let last_words = |items: &Value, key: &str| -> Vec<String> {
            items
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m[key].as_str().unwrap().rsplit(' ').next().unwrap().to_string())
                .collect()
        };
        let detail = app.get(&format!("/api/v1/teams/{}", t["id"])).await;
        assert_eq!(last_words(&detail.body["members"], "full_name"), RIGHT, "{}: team page", app.backend);
        let by_name = app.get("/api/v1/members?unit=547&sort=name").await;
        assert_eq!(last_words(&by_name.body["items"], "full_name"), RIGHT, "{}: /members?sort=name", app.backend);

        for (i, name) in GIVEN.iter().enumerate() {
            let body = json!({"unit_code": "21820", "name": format!("Tổ {name}"), "decision_number": format!("{i}/QĐ"),
                              "decision_date": "2022-06-15", "decision_signer": "Lê Văn B"});
            assert_eq!(app.post("/api/v1/teams", body).await.status, 201);
            let unit = json!({"code": format!("21820-9{i}"), "name": format!("Thôn {name}"), "unit_type": "Thôn", "parent_code": "21820"});
            assert_eq!(app.post("/api/v1/units", unit).await.status, 201);
        }
        let teams = app.get("/api/v1/teams?unit=21820&sort=name").await;
        assert_eq!(last_words(&teams.body["items"], "name"), RIGHT, "{}: teams by name", app.backend);
        let units = app.get("/api/v1/units?parent=21820&sort=name").await;
        let names = last_words(&units.body["items"], "name");
        // "Thôn 1" of the fixture sorts before the letters.
        assert_eq!(names[1..], RIGHT, "{}: units by name {names:?}", app.backend);
    })
    .await;
}

/// Fault 15: a province administrator loads its villages in bulk over the API, within its own
/// scope only; provinces stay with the national registry on the command line.
#[tokio::test]
async fn province_administrators_import_units_in_bulk() {
    each_backend(|app| async move {
        app.seed_units().await;
        let csv = "code,name,type,parent_code\n21820-02,Thôn 2,Thôn,21820\n21820-03,Thôn 3,Thôn,21820\n21820-03-01,Xóm Đông,Xóm,21820-03\n";
        let r = app.post_bytes("/api/v1/units/import?valid_from=01/01/2023", "text/csv", csv.into()).await;
        // A hamlet under a village is not a level sohoa knows: the whole file is refused.
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(app.get("/api/v1/units?parent=21820").await.body["total"], 1, "nothing written");
        let csv = "code,name,type,parent_code\n21820-02,Thôn 2,Thôn,21820\n21820-03,Thôn 3,Thôn,21820\n";
        let r = app.post_bytes("/api/v1/units/import?valid_from=01/01/2023", "text/csv", csv.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["created"], 2);
        let again = app.post_bytes("/api/v1/units/import", "text/csv", csv.into()).await;
        assert_eq!((again.body["created"].as_i64(), again.body["unchanged"].as_i64()), (Some(0), Some(2)));
        assert_eq!(app.get("/api/v1/units?parent=21820&as_of=2022-12-31").await.body["total"], 1, "valid from 2023");
        assert_eq!(app.get("/api/v1/units?parent=21820").await.body["total"], 3);

        // Outside one's scope, or a province: refused, nothing written.
        let officer = app.user("xa.bt", "commune_officer", Some("21835"), None).await;
        let csv = "code,name,type,parent_code\n21820-04,Thôn 4,Thôn,21820\n";
        let r = app.with_token(&officer).post_bytes("/api/v1/units/import", "text/csv", csv.into()).await;
        assert_eq!(r.status, 403, "{}: {:?}", app.backend, r.body);
        let csv = "code,name,type,parent_code\n99,Tỉnh Mới,Tỉnh,\n";
        assert_eq!(app.post_bytes("/api/v1/units/import", "text/csv", csv.into()).await.status, 403);
        assert_eq!(app.post_bytes("/api/v1/units/import", "text/plain", b"x".to_vec()).await.status, 415);
        assert_eq!(app.get("/api/v1/units?parent=21820").await.body["total"], 3);
    })
    .await;
}

/// Fault 2 on the import path: a roster row joining a stranded team after its unit closed is
/// refused with its row number, like POST /members.
#[tokio::test]
async fn an_import_takes_no_stint_after_the_unit_closed() {
    each_backend(|app| async move {
        app.seed_units().await;
        let csv = roster_csv("21808", 500, 1);
        assert_eq!(app.post_bytes("/api/v1/teams/import", "text/csv", csv).await.status, 200);
        // Closed the day after the team's decision (01/07/2022), the day the rows join.
        sqlx::query("UPDATE unit_versions SET valid_to = '2022-07-02' WHERE unit_id = (SELECT id FROM units WHERE code = '21808')")
            .execute(&app.db.pool)
            .await
            .unwrap();
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", roster_csv("21808", 600, 1)).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["errors"][0]["field"], "joined_on", "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["row"], 2, "{:?}", r.body);
    })
    .await;
}

/// What a tester found next (issue 10, fault 2 and 4 follow-ups): a closing must keep teams
/// where they can be seen and moved back; lists about a past date name the unit of that date.
#[tokio::test]
async fn closings_stay_within_reach_and_in_order() {
    each_backend(|app| async move {
        app.seed_units().await;
        let village = team(&app, "21835-01", "2022-06-15").await;
        // A village does not merge into a commune, nor into a unit outside one's scope.
        let r = app
            .post(
                "/api/v1/units/21835-01/close",
                json!({"effective_on": "2024-01-01", "successors": ["21835"]}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.fields()),
            (422, vec!["successors".to_string()]),
            "{}: {:?}",
            app.backend,
            r.body
        );
        let district = app.user("huyen.vh", "district_culture", Some("547"), None).await;
        let r = app
            .with_token(&district)
            .post(
                "/api/v1/units/21835-01/close",
                json!({"effective_on": "2024-01-01", "successors": ["21550"]}),
            )
            .await;
        assert_eq!(r.status, 403, "{}: {:?}", app.backend, r.body);
        // Thôn Phú Thịnh merges into Hòa Hiệp in 2025; Hòa Hiệp cannot close into it earlier.
        let r = app
            .post(
                "/api/v1/units/21835-01/close",
                json!({"effective_on": "2025-01-01", "successors": ["21835-02"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app
            .post(
                "/api/v1/units/21835-02/close",
                json!({"effective_on": "2024-06-01", "successors": ["21820-01"]}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.fields()),
            (422, vec!["effective_on".to_string()]),
            "{}: {:?}",
            app.backend,
            r.body
        );
        // Asked about 2024, the team is named after the village it served then.
        let then = app.get("/api/v1/teams?unit=547&as_of=2024-06-01").await;
        assert_eq!(then.body["items"][0]["unit_code"], "21835-01", "{:?}", then.body);
        let now = app.get("/api/v1/teams?unit=547").await;
        assert_eq!(now.body["items"][0]["unit_code"], "21835-02", "{:?}", now.body);
        let m = app.post("/api/v1/members", member_body(&village["id"], 1, "Ngô Văn Tư")).await;
        assert_eq!(m.status, 201);
        let members = app.get("/api/v1/members?unit=547&as_of=2024-06-01").await;
        assert_eq!(members.body["items"][0]["unit_code"], "21835-01", "{:?}", members.body);

        // A new unit under a closed one is refused, as POST /units refuses it.
        assert_eq!(
            app.post("/api/v1/units/21808/close", json!({"effective_on": "2025-01-01"})).await.status,
            200
        );
        let csv = "code;name;type;parent_code\n21808-09;Khu phố Mới;Khu phố;21808\n";
        let r = app.post_bytes("/api/v1/units/import?valid_from=2025-02-01", "text/csv", csv.into()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert!(r.body.to_string().contains("closed on 2025-01-01"), "{:?}", r.body);
        // ...while a ';'-separated file (Excel's in Vietnamese settings) reads like any other.
        let csv =
            "code;name;type;parent_code\r\n21820-10;Thôn 10;Thôn;21820\r\n21820-02;Thôn 2;Thôn;21820\r\n";
        let r = app.post_bytes("/api/v1/units/import", "text/csv", csv.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let units = app.get("/api/v1/units?parent=21820&sort=name").await;
        let names: Vec<&str> =
            units.body["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Thôn 1", "Thôn 2", "Thôn 10"], "numbers as numbers");
    })
    .await;
}

/// An account keeps at least one role (without one, no administrator could reach it again),
/// and a misspelt field in a JSON body is refused rather than silently ignored.
#[tokio::test]
async fn accounts_keep_a_role_and_misspelt_fields_are_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app
            .post(
                "/api/v1/users",
                json!({"username": "xa.thu", "display_name": "Thử", "password": crate::harness::PASSWORD,
                                          "roles": [{"role": "commune_officer", "unit_code": "21835"}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let uri = format!("/api/v1/users/{}/roles/{}", r.body["id"], r.body["roles"][0]["id"]);
        let removed = app.send_json("DELETE", &uri, json!({})).await;
        assert_eq!(removed.status, 409, "{}: {:?}", app.backend, removed.body);
        assert_eq!(app.get(&format!("/api/v1/users/{}", r.body["id"])).await.status, 200, "still reachable");

        let t = team(&app, "21835", "2022-06-15").await;
        let r = app.patch(&format!("/api/v1/teams/{}", t["id"]), json!({"nmae": "Tổ mới"})).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("nmae"), "{:?}", r.body);
        assert_eq!(app.get(&format!("/api/v1/teams/{}", t["id"])).await.body["name"], t["name"]);
    })
    .await;
}
