//! The authorization matrix: every route, every role, three targets (own commune, another
//! commune of the same district, another district). A route missing from the table fails.
//!
//! Expected outcomes, one letter per target (own, sibling, other):
//! A = allowed (2xx), F = forbidden (403), H = hidden (404), V = refused row by row (422).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{Client, TestApp, each_backend};
use crate::teams::team;

const ROLES: [&str; 8] = [
    "province_admin",
    "district_culture",
    "district_home_affairs",
    "district_youth_union",
    "district_leader",
    "commune_officer",
    "team_leader",
    "viewer",
];

/// (route, expectations in ROLES order).
const MATRIX: &[(&str, [&str; 8])] = &[
    ("GET /health", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/auth/login", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/auth/logout", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/auth/me", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/auth/tokens", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/auth/tokens", ["AAA", "AAV", "AAV", "AAV", "AAV", "AVV", "AVV", "AAV"]),
    ("DELETE /api/v1/auth/tokens/{id}", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/users", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("POST /api/v1/users", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("GET /api/v1/users/{id}", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("PATCH /api/v1/users/{id}", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("POST /api/v1/users/{id}/roles", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("DELETE /api/v1/users/{id}/roles/{role_id}", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("GET /api/v1/units", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/units", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("GET /api/v1/units/{code}", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("PATCH /api/v1/units/{code}", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("POST /api/v1/units/{code}/close", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("POST /api/v1/units/import", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("GET /api/v1/teams", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/teams", ["AAA", "AAF", "FFF", "FFF", "FFF", "AFF", "FFF", "FFF"]),
    ("GET /api/v1/teams/{id}", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("PATCH /api/v1/teams/{id}", ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"]),
    ("POST /api/v1/teams/import", ["AAA", "AAV", "FFF", "FFF", "FFF", "AVV", "FFF", "FFF"]),
    ("GET /api/v1/teams/export", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/members", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/members", ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "AHH", "FFH"]),
    ("GET /api/v1/members/{id}", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("PATCH /api/v1/members/{id}", ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "AHH", "FFH"]),
    ("GET /api/v1/people/{id}", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("GET /api/v1/audit", ["AAA", "AAA", "FFF", "FFF", "FFF", "AAA", "FFF", "FFF"]),
    ("GET /api/v1/plugins", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/plugins", ["AAA", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("GET /api/v1/plugins/{plugin_id}/{version}", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/units/{code}/plugins", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("POST /api/v1/units/{code}/plugins", ["AAA", "AAF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("DELETE /api/v1/units/{code}/plugins", ["AAA", "AAF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF"]),
    ("POST /api/v1/teams/{id}/check", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("GET /api/v1/units/{code}/reports", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    (
        "POST /api/v1/units/{code}/reports/{template}",
        ["AAA", "AAH", "FFH", "FFH", "AAH", "AHH", "FHH", "FFH"],
    ),
    (
        "POST /api/v1/units/{code}/commendations/assess",
        ["AAA", "AAH", "AAH", "FFH", "FFH", "FHH", "FHH", "FFH"],
    ),
    (
        "GET /api/v1/units/{code}/submissions/{template}/{period}",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    (
        "PUT /api/v1/units/{code}/submissions/{template}/{period}",
        ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"],
    ),
    (
        "POST /api/v1/units/{code}/submissions/{template}/{period}/review",
        ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"],
    ),
    (
        "POST /api/v1/units/{code}/submissions/{template}/{period}/unlock",
        ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"],
    ),
    (
        "GET /api/v1/units/{code}/compiled/{template}/{period}",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    (
        "POST /api/v1/units/{code}/compiled/{template}/{period}",
        ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"],
    ),
    (
        "POST /api/v1/units/{code}/compiled/{template}/{period}/decision",
        ["FFF", "FFH", "FFH", "FFH", "AAH", "AHH", "FHH", "FFH"],
    ),
    (
        "GET /api/v1/units/{code}/compiled/{template}/{period}/document",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    (
        "GET /api/v1/units/{code}/completeness/{template}/{period}",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    (
        "GET /api/v1/units/{code}/submissions/{template}/{period}/xlsx",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    (
        "POST /api/v1/units/{code}/submissions/{template}/{period}/xlsx",
        ["AAA", "AAH", "FFF", "FFF", "FFF", "AHH", "FFF", "FFF"],
    ),
    ("GET /api/v1/units/{code}/campaigns", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("POST /api/v1/units/{code}/campaigns", ["AAA", "FFH", "AAH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    ("GET /api/v1/campaigns/{id}", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("POST /api/v1/campaigns/{id}/evaluate", ["AAA", "FFH", "AAH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    ("POST /api/v1/campaigns/{id}/proposal", ["AAA", "FFH", "AAH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    ("POST /api/v1/campaigns/{id}/proposal/cosign", ["AAA", "AAH", "FFH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    (
        "POST /api/v1/campaigns/{id}/proposal/decision",
        ["FFF", "FFH", "FFH", "FFH", "AAH", "FHH", "FHH", "FFH"],
    ),
    (
        "GET /api/v1/campaigns/{id}/documents/{document}",
        ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"],
    ),
    ("GET /api/v1/units/{code}/nominations", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("POST /api/v1/units/{code}/nominations", ["AAA", "FFH", "FFH", "AAH", "FFH", "FHH", "FHH", "FFH"]),
    ("POST /api/v1/nominations/{id}/answer", ["AAA", "AAH", "FFH", "FFH", "FFH", "AHH", "FHH", "FFH"]),
    ("GET /api/v1/units/{code}/guidance", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    ("POST /api/v1/units/{code}/guidance", ["AAA", "AAH", "FFH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    ("GET /api/v1/guidance", ["AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA", "AAA"]),
    ("GET /api/v1/guidance/{id}/file", ["AAA", "AAH", "HHH", "HHH", "HHH", "AHH", "AHH", "HHH"]),
    ("GET /api/v1/units/{code}/management-group", ["AAA", "AAH", "AAH", "AAH", "AAH", "AHH", "AHH", "AAH"]),
    // At a commune: whoever may manage groups there is told groups are a district's (V).
    ("POST /api/v1/units/{code}/management-group", ["VVV", "VVH", "FFH", "FFH", "FFH", "FHH", "FHH", "FFH"]),
    // A member of the target commune's district group: commune roles do not see the district's.
    ("POST /api/v1/management-group/{id}/end", ["AAA", "AAH", "FFH", "FFH", "FFH", "HHH", "HHH", "FFH"]),
];

/// What each target is: units, a village, a team, a member, a person, a user.
struct Target {
    commune: &'static str,
    /// The commune's district (management groups are at districts).
    district: &'static str,
    village: &'static str,
    team: i64,
    member: i64,
    person: i64,
    user: i64,
}

struct World {
    targets: [Target; 3],
    /// Tokens in ROLES order.
    tokens: Vec<String>,
    team_ids: [i64; 3],
}

async fn world(app: &TestApp) -> World {
    app.seed_units().await;
    let r = app
        .post(
            "/api/v1/units",
            json!({"code": "21550-01", "name": "Khu vực 1", "unit_type": "Khu phố", "parent_code": "21550"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut targets = Vec::new();
    for (i, (commune, village, district)) in
        [("21835", "21835-01", "547"), ("21820", "21820-01", "547"), ("21550", "21550-01", "540")]
            .into_iter()
            .enumerate()
    {
        let t = team(app, commune, "2022-06-15").await;
        let member = app
            .post(
                "/api/v1/members",
                json!({"team_id": t["id"], "full_name": format!("Thành Viên {i}"), "gender": "male", "birth_year": 1990,
                       "phone": format!("090500000{i}"), "position": "leader", "affiliation": "commune_leadership",
                       "joined_on": "2022-06-15"}),
            )
            .await
            .body;
        let user = app
            .post(
                "/api/v1/users",
                json!({"username": format!("target.{i}"), "display_name": "Người xem", "password": crate::harness::PASSWORD,
                       "roles": [{"role": "viewer", "unit_code": commune}]}),
            )
            .await;
        assert_eq!(user.status, 201, "{:?}", user.body);
        targets.push(Target {
            commune,
            district,
            village,
            team: t["id"].as_i64().unwrap(),
            member: member["id"].as_i64().unwrap(),
            person: member["person_id"].as_i64().unwrap(),
            user: user.body["id"].as_i64().unwrap(),
        });
    }
    let installed = app
        .post_bytes("/api/v1/plugins", "application/wasm", crate::harness::component("binh-dinh-ke-hoach-77"))
        .await;
    assert_eq!(installed.status, 201, "{:?}", installed.body);
    // A report template and commendation criteria for the whole province.
    crate::harness::enable(app, "bao-cao-thang-xa", "report").await;
    crate::harness::enable(app, "binh-dinh-thi-dua-cds", "commendation").await;
    let own_team = targets[0].team;
    let mut tokens = Vec::new();
    for role in ROLES {
        let (unit, team) = match role {
            "province_admin" => (Some("52"), None),
            "commune_officer" => (Some("21835"), None),
            "team_leader" => (None, Some(own_team)),
            _ => (Some("547"), None),
        };
        tokens.push(app.user(&format!("m.{role}"), role, unit, team).await);
    }
    let team_ids = [targets[0].team, targets[1].team, targets[2].team];
    World { targets: targets.try_into().ok().unwrap(), tokens, team_ids }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A user made by the administrator for one call (so calls do not disturb each other).
async fn scratch_user(app: &TestApp, t: &Target) -> Value {
    let r = app
        .post(
            "/api/v1/users",
            json!({"username": format!("scratch.{}", unique()), "display_name": "Tạm", "password": crate::harness::PASSWORD,
                   "roles": [{"role": "viewer", "unit_code": t.commune}, {"role": "viewer", "unit_code": t.village}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

/// A young person for the Youth Union to nominate (25 years old).
fn nominee(n: u64) -> Value {
    let born = chrono::Datelike::year(&sohoa::dates::today()) - 25;
    json!({"full_name": format!("Đoàn Viên {n}"), "gender": "female", "birth_year": born, "phone": "0905111222",
           "skills": ["VNeID"]})
}

/// A campaign at the target commune made by the administrator, taken `steps` along: 0 made,
/// 1 evaluated, 2 proposed (the target's team), 3 co-signed (by another account). Its id.
async fn campaign(app: &TestApp, t: &Target, steps: usize) -> i64 {
    let body =
        json!({"name": format!("Chiến dịch {}", unique()), "period": "2022", "template": "bao-cao-thang-xa"});
    let made = app.post(&format!("/api/v1/units/{}/campaigns", t.commune), body).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    if steps >= 1 {
        let r = app.post(&format!("/api/v1/campaigns/{id}/evaluate"), json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    if steps >= 2 {
        let body = json!({"justification": "Tổ dẫn đầu", "lines": [{"kind": "team", "id": t.team, "award": "Giấy khen"}]});
        let r = app.post(&format!("/api/v1/campaigns/{id}/proposal"), body).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    if steps >= 3 {
        let cosigner = app.user(&format!("cosign.{}", unique()), "province_admin", Some("52"), None).await;
        let r = app
            .with_token(&cosigner)
            .post(&format!("/api/v1/campaigns/{id}/proposal/cosign"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    id
}

/// Sends `route` for `target` as `client` and returns the status.
async fn call(app: &TestApp, client: &Client<'_>, route: &str, t: &Target) -> u16 {
    let n = unique();
    let r = match route {
        "GET /health" => client.get("/health").await,
        "POST /api/v1/auth/login" => {
            client.post("/api/v1/auth/login", json!({"username": "m.viewer", "password": crate::harness::PASSWORD})).await
        }
        "POST /api/v1/auth/logout" => {
            // Sign out with a throwaway token, not the one the matrix keeps using.
            let minted = client.post("/api/v1/auth/tokens", json!({"password": crate::harness::PASSWORD, "name": "logout"})).await;
            let token = minted.body["token"].as_str().unwrap().to_string();
            let r = app.with_token(&token).post("/api/v1/auth/logout", json!({})).await;
            assert_eq!(app.with_token(&token).get("/api/v1/auth/me").await.status, 401, "logout revokes");
            r
        }
        "GET /api/v1/auth/me" => client.get("/api/v1/auth/me").await,
        "GET /api/v1/auth/tokens" => client.get("/api/v1/auth/tokens").await,
        "POST /api/v1/auth/tokens" => {
            client.post("/api/v1/auth/tokens", json!({"password": crate::harness::PASSWORD, "name": "matrix", "unit_code": t.commune, "expires_in_days": 1})).await
        }
        "DELETE /api/v1/auth/tokens/{id}" => {
            let minted = client.post("/api/v1/auth/tokens", json!({"password": crate::harness::PASSWORD, "name": "to revoke"})).await;
            client.send_json("DELETE", &format!("/api/v1/auth/tokens/{}", minted.body["id"]), json!({})).await
        }
        "GET /api/v1/users" => client.get("/api/v1/users").await,
        "POST /api/v1/users" => {
            client
                .post(
                    "/api/v1/users",
                    json!({"username": format!("new.{n}"), "display_name": "Mới", "password": crate::harness::PASSWORD,
                           "roles": [{"role": "viewer", "unit_code": t.commune}]}),
                )
                .await
        }
        "GET /api/v1/users/{id}" => client.get(&format!("/api/v1/users/{}", t.user)).await,
        "PATCH /api/v1/users/{id}" => {
            client.patch(&format!("/api/v1/users/{}", t.user), json!({"display_name": format!("Người xem {n}")})).await
        }
        "POST /api/v1/users/{id}/roles" => {
            let user = scratch_user(app, t).await;
            let body = json!({"role": "commune_officer", "unit_code": t.commune});
            client.post(&format!("/api/v1/users/{}/roles", user["id"]), body).await
        }
        "DELETE /api/v1/users/{id}/roles/{role_id}" => {
            let user = scratch_user(app, t).await;
            let uri = format!("/api/v1/users/{}/roles/{}", user["id"], user["roles"][1]["id"]);
            client.send_json("DELETE", &uri, json!({})).await
        }
        "GET /api/v1/units" => client.get(&format!("/api/v1/units?parent={}", t.commune)).await,
        "POST /api/v1/units" => {
            let body = json!({"code": format!("{}-n{n}", t.commune), "name": format!("Thôn Mới {n}"), "unit_type": "Thôn",
                              "parent_code": t.commune});
            client.post("/api/v1/units", body).await
        }
        "POST /api/v1/units/import" => {
            let csv = format!("code,name,type,parent_code\n{}-i{n},Thôn Nhập {n},Thôn,{}\n", t.commune, t.commune);
            client.post_bytes("/api/v1/units/import", "text/csv", csv.into_bytes()).await
        }
        "GET /api/v1/units/{code}" => client.get(&format!("/api/v1/units/{}", t.commune)).await,
        "PATCH /api/v1/units/{code}" => {
            client.patch(&format!("/api/v1/units/{}", t.village), json!({"name": format!("Thôn Đổi Tên {n}")})).await
        }
        "POST /api/v1/units/{code}/close" => {
            let code = format!("{}-c{n}", t.commune);
            let body = json!({"code": code, "name": "Thôn Sắp Đóng", "unit_type": "Thôn", "parent_code": t.commune, "valid_from": "2020-01-01"});
            assert_eq!(app.post("/api/v1/units", body).await.status, 201);
            client.post(&format!("/api/v1/units/{code}/close"), json!({"effective_on": "2024-01-01"})).await
        }
        "GET /api/v1/teams" => client.get(&format!("/api/v1/teams?unit={}", t.commune)).await,
        "POST /api/v1/teams" => {
            let body = json!({"unit_code": t.village, "name": format!("Tổ {n}"), "decision_number": "1/QĐ",
                              "decision_date": "2022-07-01", "decision_signer": "Chủ tịch"});
            client.post("/api/v1/teams", body).await
        }
        "GET /api/v1/teams/{id}" => client.get(&format!("/api/v1/teams/{}", t.team)).await,
        "PATCH /api/v1/teams/{id}" => {
            client.patch(&format!("/api/v1/teams/{}", t.team), json!({"decision_signer": "Nguyễn Văn Hùng"})).await
        }
        "POST /api/v1/teams/import" => {
            let csv = format!(
                "unit_code,team_name,decision_number,decision_date,decision_signer,full_name,gender,birth_year,position,affiliation,joined_on\n\
                 {},Tổ nhập {n},5/QĐ,2022-07-01,Chủ tịch,Người Nhập {n},female,1995,leader,village_head,2022-07-01\n",
                t.village
            );
            client.post_bytes("/api/v1/teams/import", "text/csv", csv.into_bytes()).await
        }
        "GET /api/v1/teams/export" => client.get(&format!("/api/v1/teams/export?unit={}&format=csv", t.commune)).await,
        "GET /api/v1/members" => client.get(&format!("/api/v1/members?unit={}", t.commune)).await,
        "POST /api/v1/members" => {
            let body = json!({"team_id": t.team, "full_name": format!("Người Mới {n}"), "gender": "female", "birth_year": 2000,
                              "position": "member", "affiliation": "youth_union", "joined_on": "2022-08-01"});
            client.post("/api/v1/members", body).await
        }
        "GET /api/v1/members/{id}" => client.get(&format!("/api/v1/members/{}", t.member)).await,
        "PATCH /api/v1/members/{id}" => {
            client.patch(&format!("/api/v1/members/{}", t.member), json!({"skills": ["VNeID"]})).await
        }
        "GET /api/v1/people/{id}" => client.get(&format!("/api/v1/people/{}", t.person)).await,
        "GET /api/v1/audit" => client.get(&format!("/api/v1/audit?unit={}", t.commune)).await,
        "GET /api/v1/plugins" => client.get("/api/v1/plugins").await,
        "POST /api/v1/plugins" => {
            let bytes = crate::harness::component("binh-dinh-ke-hoach-77");
            client.post_bytes("/api/v1/plugins", "application/wasm", bytes).await
        }
        "GET /api/v1/plugins/{plugin_id}/{version}" => client.get("/api/v1/plugins/binh-dinh-ke-hoach-77/1.0.0").await,
        "GET /api/v1/units/{code}/plugins" => client.get(&format!("/api/v1/units/{}/plugins", t.commune)).await,
        "POST /api/v1/units/{code}/plugins" => {
            let body = json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0",
                              "effective_from": format!("2020-01-{:02}", 1 + n % 28)});
            client.post(&format!("/api/v1/units/{}/plugins", t.commune), body).await
        }
        "DELETE /api/v1/units/{code}/plugins" => {
            // A binding to remove, set by the administrator; the role then tries to remove it.
            let from = format!("2019-02-{:02}", 1 + n % 28);
            let body = json!({"kind": "composition", "plugin_id": "binh-dinh-ke-hoach-77", "version": "1.0.0", "effective_from": from});
            assert_eq!(app.post(&format!("/api/v1/units/{}/plugins", t.commune), body).await.status, 201);
            client.delete(&format!("/api/v1/units/{}/plugins?kind=composition&effective_from={from}", t.commune)).await
        }
        "POST /api/v1/teams/{id}/check" => client.post(&format!("/api/v1/teams/{}/check", t.team), json!({})).await,
        "GET /api/v1/units/{code}/reports" => client.get(&format!("/api/v1/units/{}/reports", t.commune)).await,
        "POST /api/v1/units/{code}/reports/{template}" => {
            let uri = format!("/api/v1/units/{}/reports/bao-cao-thang-xa", t.commune);
            client.post(&uri, json!({"period": "2022-07", "issued_on": "2022-08-02"})).await
        }
        "POST /api/v1/units/{code}/commendations/assess" => {
            let body = json!({"period": "2022", "teams": {t.team.to_string(): {"ho_gia_dinh": 100, "ho_duoc_huong_dan": 70}}});
            client.post(&format!("/api/v1/units/{}/commendations/assess", t.commune), body).await
        }
        "GET /api/v1/units/{code}/submissions/{template}/{period}" => client.get(&monthly(t.village, "submissions")).await,
        "PUT /api/v1/units/{code}/submissions/{template}/{period}" => {
            client.send_json("PUT", &monthly(t.village, "submissions"), json!({"figures": {"ho_duoc_huong_dan": 7}})).await
        }
        "POST /api/v1/units/{code}/submissions/{template}/{period}/review" => {
            // Submitted by the administrator, then returned by the role (so the next role finds
            // it submitted again).
            let url = monthly(t.village, "submissions");
            let figures = json!({"figures": {"ho_duoc_huong_dan": 10}, "submit": true});
            assert_eq!(app.send_json("PUT", &url, figures).await.status, 200);
            client.post(&format!("{url}/review"), json!({"decision": "return", "reason": "kiểm tra lại"})).await
        }
        "POST /api/v1/units/{code}/submissions/{template}/{period}/unlock" => {
            // Two months back: past its deadline, so there is something to open.
            let body = json!({"reason": "bổ sung", "open_until": sohoa::dates::today_iso()});
            client.post(&format!("{}/unlock", months_back(t.village, "submissions", 2)), body).await
        }
        "GET /api/v1/units/{code}/compiled/{template}/{period}" => client.get(&monthly(t.commune, "compiled")).await,
        "POST /api/v1/units/{code}/compiled/{template}/{period}" => {
            reopen(app, t).await;
            client.post(&monthly(t.commune, "compiled"), json!({})).await
        }
        "POST /api/v1/units/{code}/compiled/{template}/{period}/decision" => {
            // Compiled afresh by the administrator (sent and returned first when approved).
            let url = monthly(t.commune, "compiled");
            reopen(app, t).await;
            let r = app.post(&url, json!({})).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            client.post(&format!("{url}/decision"), json!({"step": "approve"})).await
        }
        "GET /api/v1/units/{code}/compiled/{template}/{period}/document" => {
            client.get(&format!("{}/document", monthly(t.commune, "compiled"))).await
        }
        "GET /api/v1/units/{code}/submissions/{template}/{period}/xlsx" => {
            client.get(&format!("{}/xlsx", monthly(t.village, "submissions"))).await
        }
        "POST /api/v1/units/{code}/submissions/{template}/{period}/xlsx" => {
            // The form as exported (to the administrator), its one row given a figure.
            let url = format!("{}/xlsx", monthly(t.village, "submissions"));
            reopen(app, t).await;
            let (_, _, bytes) = app.admin().await.get_file(&url).await;
            let file = crate::reporting::filled(&bytes, "ho_duoc_huong_dan", "12");
            client.post_bytes(&url, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file).await
        }
        "GET /api/v1/units/{code}/completeness/{template}/{period}" => {
            client.get(&monthly(t.commune, "completeness")).await
        }
        "GET /api/v1/units/{code}/campaigns" => client.get(&format!("/api/v1/units/{}/campaigns", t.commune)).await,
        "POST /api/v1/units/{code}/campaigns" => {
            let body = json!({"name": format!("Thi đua {n}"), "period": "2022", "template": "bao-cao-thang-xa"});
            client.post(&format!("/api/v1/units/{}/campaigns", t.commune), body).await
        }
        "GET /api/v1/campaigns/{id}" => client.get(&format!("/api/v1/campaigns/{}", campaign(app, t, 0).await)).await,
        "POST /api/v1/campaigns/{id}/evaluate" => {
            client.post(&format!("/api/v1/campaigns/{}/evaluate", campaign(app, t, 0).await), json!({})).await
        }
        "POST /api/v1/campaigns/{id}/proposal" => {
            let id = campaign(app, t, 1).await;
            let body = json!({"justification": "Tổ dẫn đầu", "lines": [{"kind": "team", "id": t.team, "award": "Giấy khen"}]});
            client.post(&format!("/api/v1/campaigns/{id}/proposal"), body).await
        }
        "POST /api/v1/campaigns/{id}/proposal/cosign" => {
            client.post(&format!("/api/v1/campaigns/{}/proposal/cosign", campaign(app, t, 2).await), json!({})).await
        }
        "POST /api/v1/campaigns/{id}/proposal/decision" => {
            let id = campaign(app, t, 3).await;
            let line = app.get(&format!("/api/v1/campaigns/{id}")).await.body["proposal"]["lines"][0]["id"].clone();
            let body = json!({"decision_number": format!("{n}/QĐ-UBND"), "decision_date": sohoa::dates::today_iso(),
                              "lines": [{"line_id": line, "approve": true}]});
            client.post(&format!("/api/v1/campaigns/{id}/proposal/decision"), body).await
        }
        "GET /api/v1/campaigns/{id}/documents/{document}" => {
            client.get(&format!("/api/v1/campaigns/{}/documents/proposal?format=html", campaign(app, t, 2).await)).await
        }
        "GET /api/v1/units/{code}/nominations" => client.get(&format!("/api/v1/units/{}/nominations", t.commune)).await,
        "POST /api/v1/units/{code}/nominations" => {
            client.post(&format!("/api/v1/units/{}/nominations", t.commune), nominee(n)).await
        }
        "POST /api/v1/nominations/{id}/answer" => {
            let made = app.post(&format!("/api/v1/units/{}/nominations", t.commune), nominee(n)).await;
            assert_eq!(made.status, 201, "{:?}", made.body);
            let body = json!({"accept": false, "reason": "chưa cần thêm người"});
            client.post(&format!("/api/v1/nominations/{}/answer", made.body["id"]), body).await
        }
        "GET /api/v1/units/{code}/guidance" => client.get(&format!("/api/v1/units/{}/guidance", t.commune)).await,
        "POST /api/v1/units/{code}/guidance" => {
            let uri = format!("/api/v1/units/{}/guidance?title=H%C6%B0%E1%BB%9Bng%20d%E1%BA%ABn%20{n}&link=https://example.vn/{n}", t.commune);
            client.post_bytes(&uri, "application/octet-stream", Vec::new()).await
        }
        "GET /api/v1/guidance" => client.get("/api/v1/guidance").await,
        "GET /api/v1/guidance/{id}/file" => {
            let uri = format!("/api/v1/units/{}/guidance?title=T%C3%A0i%20li%E1%BB%87u%20{n}&file_name=tai-lieu.pdf", t.commune);
            let made = app.post_bytes(&uri, "application/pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec()).await;
            assert_eq!(made.status, 201, "{:?}", made.body);
            client.get(&format!("/api/v1/guidance/{}/file", made.body["id"])).await
        }
        "GET /api/v1/units/{code}/management-group" => {
            client.get(&format!("/api/v1/units/{}/management-group", t.commune)).await
        }
        "POST /api/v1/units/{code}/management-group" => {
            let body = json!({"full_name": format!("Người Quản Lý {n}"), "title": "Thành viên"});
            client.post(&format!("/api/v1/units/{}/management-group", t.commune), body).await
        }
        "POST /api/v1/management-group/{id}/end" => {
            let body = json!({"full_name": format!("Người Sắp Thôi {n}"), "title": "Thành viên", "from_date": "2022-01-01"});
            let made = app.post(&format!("/api/v1/units/{}/management-group", t.district), body).await;
            assert_eq!(made.status, 201, "{:?}", made.body);
            client.post(&format!("/api/v1/management-group/{}/end", made.body["id"]), json!({"until_date": "2023-01-01"})).await
        }
        other => panic!("the matrix has no request for {other}"),
    };
    assert!(r.status.as_u16() != 500, "{route}: {:?}", r.body);
    r.status.as_u16()
}

/// The monthly report of `unit` for this month under `kind` (submissions, compiled or
/// completeness): open for submissions until 5 days after the month.
fn monthly(unit: &str, kind: &str) -> String {
    use sohoa::periods::{CutOff, Period, PeriodType};
    let month = Period::containing(sohoa::dates::today(), PeriodType::Month, CutOff::Calendar).unwrap().id;
    format!("/api/v1/units/{unit}/{kind}/bao-cao-thang-xa/{month}")
}

/// [`monthly`], `back` months before this one.
fn months_back(unit: &str, kind: &str, back: usize) -> String {
    use sohoa::periods::{CutOff, Period, PeriodType};
    let mut p = Period::containing(sohoa::dates::today(), PeriodType::Month, CutOff::Calendar).unwrap();
    for _ in 0..back {
        p = p.previous(CutOff::Calendar).unwrap();
    }
    format!("/api/v1/units/{unit}/{kind}/bao-cao-thang-xa/{}", p.id)
}

/// Makes the target commune's monthly report changeable again, as the province administrator:
/// an approved report sent and returned, the village's figures returned (none waiting for
/// review, none frozen).
async fn reopen(app: &TestApp, t: &Target) {
    let url = monthly(t.commune, "compiled");
    let status = app.get(&url).await.body["status"].as_str().unwrap_or("").to_string();
    if status == "approved" {
        app.post(&format!("{url}/decision"), json!({"step": "send"})).await;
    }
    if status == "approved" || status == "sent" {
        app.post(&format!("{url}/decision"), json!({"step": "return", "reason": "làm lại"})).await;
    }
    let village = monthly(t.village, "submissions");
    app.post(&format!("{village}/review"), json!({"decision": "return", "reason": "làm lại"})).await;
}

fn outcome(status: u16) -> char {
    match status {
        200..=299 => 'A',
        403 => 'F',
        404 => 'H',
        422 => 'V',
        other => char::from_digit(u32::from(other % 10), 10).unwrap_or('?'),
    }
}

#[tokio::test]
async fn every_route_against_every_role() {
    each_backend(|app| async move {
        let doc = app.anonymous().get("/api/v1/openapi.json").await.body;
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        let listed: BTreeSet<String> = MATRIX.iter().map(|(r, _)| r.to_string()).collect();
        let missing: Vec<_> = routes.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&routes).collect();
        assert!(missing.is_empty(), "routes without a matrix entry: {missing:?}");
        assert!(stale.is_empty(), "matrix entries for routes that do not exist: {stale:?}");
        // The document declares every outcome the matrix expects.
        for (route, expected) in MATRIX {
            let (method, path) = route.split_once(' ').unwrap();
            let responses = &doc["paths"][path][method.to_lowercase()]["responses"];
            for letter in expected.concat().chars() {
                let status = match letter {
                    'F' => "403",
                    'H' => "404",
                    'V' => "422",
                    _ => continue,
                };
                assert!(
                    responses.get(status).is_some(),
                    "{route} can answer {status} but does not declare it"
                );
            }
        }

        let w = world(&app).await;
        let mut failures = Vec::new();
        for (route, expected) in MATRIX {
            for (r, role) in ROLES.iter().enumerate() {
                let client = app.with_token(&w.tokens[r]);
                let mut got = String::new();
                for t in &w.targets {
                    got.push(outcome(call(&app, &client, route, t).await));
                }
                if got != expected[r] {
                    failures.push(format!("{route} as {role}: expected {}, got {got}", expected[r]));
                }
            }
        }
        assert!(failures.is_empty(), "{}: {}", app.backend, failures.join("\n"));

        // Without credentials, everything but health and sign-in is 401.
        for route in routes.iter().filter(|r| !r.ends_with("/health") && !r.ends_with("/auth/login")) {
            let (method, path) = route.split_once(' ').unwrap();
            let path = path
                .replace("{id}", "1")
                .replace("{role_id}", "1")
                .replace("{code}", "52")
                .replace("{plugin_id}", "x")
                .replace("{version}", "1.0.0")
                .replace("{template}", "x")
                .replace("{document}", "proposal");
            let r = app.anonymous().send_json(method, &path, json!({})).await;
            assert_eq!(r.status, 401, "{route} without credentials");
            assert_eq!(r.code(), "unauthorized");
        }

        // Lists hold exactly what each role may see.
        let expect_teams: [&[usize]; 8] =
            [&[0, 1, 2], &[0, 1], &[0, 1], &[0, 1], &[0, 1], &[0], &[0], &[0, 1]];
        for (r, role) in ROLES.iter().enumerate() {
            let client = app.with_token(&w.tokens[r]);
            let listed = client.get("/api/v1/teams?per_page=500").await.body;
            let ids: BTreeSet<i64> =
                listed["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
            for (i, team_id) in w.team_ids.iter().enumerate() {
                assert_eq!(ids.contains(team_id), expect_teams[r].contains(&i), "{role} listing team {i}");
            }
            let members = client.get("/api/v1/members?per_page=500").await.body;
            let seen: BTreeSet<i64> =
                members["items"].as_array().unwrap().iter().map(|m| m["team_id"].as_i64().unwrap()).collect();
            assert!(!seen.is_empty(), "{role} sees some members (the check below would hold vacuously)");
            assert!(seen.iter().all(|t| ids.contains(t)), "{role} sees members only of teams it sees");
        }
    })
    .await;
}

#[tokio::test]
async fn personal_data_only_for_those_who_manage_the_team() {
    each_backend(|app| async move {
        let w = world(&app).await;
        // province_admin, district_culture, home_affairs, youth, leader, commune_officer, team_leader,
        // viewer
        let sees_phone = [true, true, false, false, false, true, true, false];
        for (r, role) in ROLES.iter().enumerate() {
            let client = app.with_token(&w.tokens[r]);
            let m = client.get(&format!("/api/v1/members/{}", w.targets[0].member)).await.body;
            assert_eq!(m["phone"].is_string(), sees_phone[r], "{role}: {m}");
            assert_eq!(m["personal_data_hidden"], !sees_phone[r], "{role}");
            assert_eq!(m["birth_year"].is_number(), sees_phone[r], "{role}");
            let t = client.get(&format!("/api/v1/teams/{}", w.targets[0].team)).await.body;
            assert_eq!(t["members"][0]["phone"].is_string(), sees_phone[r], "{role} via the team");
        }
    })
    .await;
}

#[tokio::test]
async fn commune_officer_of_binh_tuong_cannot_reach_tay_giang() {
    each_backend(|app| async move {
        let w = world(&app).await;
        let officer = app.with_token(&w.tokens[5]);
        let tay_giang = &w.targets[1];
        let listed = officer.get("/api/v1/teams?unit=21820").await;
        assert_eq!(listed.body["total"], 0, "{}: cannot list", app.backend);
        let everything = officer.get("/api/v1/teams?per_page=500").await;
        let items = everything.body["items"].as_array().unwrap();
        assert!(!items.is_empty(), "the officer sees its own commune's team");
        assert!(items.iter().all(|t| t["unit_code"] != "21820"));
        assert_eq!(
            officer.get(&format!("/api/v1/teams/{}", tay_giang.team)).await.status,
            404,
            "cannot read"
        );
        let change =
            officer.patch(&format!("/api/v1/teams/{}", tay_giang.team), json!({"name": "Chiếm"})).await;
        assert_eq!(change.status, 404, "cannot change");
        // Guessing ids: an id that exists elsewhere and one that does not answer the same.
        let missing = officer.get("/api/v1/teams/999999").await;
        let hidden = officer.get(&format!("/api/v1/teams/{}", tay_giang.team)).await;
        assert_eq!(missing.status, hidden.status, "cannot guess");
        assert_eq!(missing.code(), hidden.code());
        assert_eq!(officer.get(&format!("/api/v1/members/{}", tay_giang.member)).await.status, 404);
        assert_eq!(officer.get(&format!("/api/v1/people/{}", tay_giang.person)).await.status, 404);
    })
    .await;
}
