//! The web pages without a browser: sign-in, CSRF, scopes, form errors, the language switch.
//! (tests/browser.rs drives the same pages in Chromium.)

use serde_json::json;
use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::{PASSWORD, TestApp, each_backend, enable};
use crate::teams::team;

/// A browser: keeps cookies, sends forms with the CSRF token it was given.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    /// The form token of the last page with a form.
    token: Option<String>,
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser { app, cookies: BTreeMap::new(), token: None }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let req = req.header(header::COOKIE, cookie).header(header::HOST, "sohoa.test").body(body).unwrap();
        let response = self.app.router.clone().oneshot(req).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body =
            String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        if let Some(rest) = body.split("name=\"csrf\" value=\"").nth(1) {
            self.token = rest.split('"').next().map(str::to_string);
        }
        Page { status, location, body }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    /// The form token of the last page that had a form, as a browser would post it; before
    /// any, the CSRF cookie (what the sign-in form carries).
    fn csrf(&self) -> String {
        self.token.clone().unwrap_or_else(|| self.cookies.get("sohoa_csrf").cloned().unwrap_or_default())
    }

    /// Posts a form with this browser's CSRF token (unless the form sets `csrf` itself).
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(path, fields, None).await
    }

    async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Page {
        let csrf = self.csrf();
        let mut pairs: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf", &csrf));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", sohoa::web::urlencode(k), sohoa::web::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            req = req.header(header::ORIGIN, origin);
        }
        self.send(req, Body::from(body)).await
    }

    async fn sign_in(&mut self, username: &str) {
        self.get("/login").await;
        let p =
            self.post("/login", &[("username", username), ("password", PASSWORD), ("next", "/home")]).await;
        assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/home"), "{}", p.body);
        // As a browser follows the redirect: the page carries the session's form token.
        self.get("/home").await;
    }
}

#[tokio::test]
async fn pages_need_signing_in_and_forms_need_their_token() {
    each_backend(|app| async move {
        app.seed_units().await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        let p = b.get("/home").await;
        assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/login?next=/home"));
        let p = b.get("/login").await;
        assert!(p.body.contains("<html lang=\"vi\">") && p.body.contains("Đăng nhập sohoa"), "{}", p.body);
        assert_eq!(b.csrf().len(), 64, "the browser got a CSRF token");

        // No token, a wrong token, another site's form: refused, nothing signed in.
        for csrf in ["", "0000"] {
            let p = b.post("/login", &[("csrf", csrf), ("username", "vhtt"), ("password", PASSWORD)]).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN);
            assert!(p.body.contains("Biểu mẫu đã hết hạn"));
        }
        let p = b
            .post_from(
                "/login",
                &[("username", "vhtt"), ("password", PASSWORD)],
                Some("https://evil.example"),
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(!b.cookies.contains_key("sohoa_session"));

        let p = b.post("/login", &[("username", "vhtt"), ("password", "sai-mat-khau")]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains("Tên đăng nhập hoặc mật khẩu không đúng.") && p.body.contains("value=\"vhtt\"")
        );

        // Signing in never redirects off the site.
        let p = b
            .post(
                "/login",
                &[("username", "vhtt"), ("password", PASSWORD), ("next", "https://evil.example/")],
            )
            .await;
        assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/home"));
        let home = b.get("/home").await;
        assert!(home.body.contains("Xin chào"));
        // Signed in, the form token is bound to the session: it is not the cookie's, and it is
        // worth nothing in another session, even one from the same browser cookie.
        let token = b.csrf();
        assert_eq!(token.len(), 64);
        assert_ne!(token, b.cookies["sohoa_csrf"]);
        let mut other = Browser::new(&app);
        other.cookies.insert("sohoa_csrf".into(), b.cookies["sohoa_csrf"].clone());
        other.sign_in("vhtt").await;
        other.get("/home").await;
        assert_ne!(other.csrf(), token, "each session its own token");
        let p = other.post("/logout", &[("csrf", token.as_str())]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "another session's token is refused");
        let p = other.post("/logout", &[("csrf", other.cookies["sohoa_csrf"].clone().as_str())]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "the cookie's value is no longer the token");
        // Villages without a team name their commune ("Thôn 1" repeats from commune to commune).
        assert!(
            home.body.contains("Thôn Phú Thịnh</a> <span class=\"muted\">· Xã Bình Tường</span>"),
            "{}",
            home.body
        );
        // The same session works for the API.
        let session = b.cookies["sohoa_session"].clone();
        let me = app
            .router
            .clone()
            .oneshot(
                Request::get("/api/v1/auth/me")
                    .header(header::COOKIE, format!("sohoa_session={session}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);

        // Signing out needs the token too, and ends the session.
        assert_eq!(b.post("/logout", &[("csrf", "x")]).await.status, StatusCode::FORBIDDEN);
        let p = b.post("/logout", &[]).await;
        assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/login?ok=signed_out"));
        assert!(b.get("/login?ok=signed_out").await.body.contains("Đã đăng xuất."));
        b.cookies.insert("sohoa_session".into(), session);
        assert_eq!(b.get("/home").await.status, StatusCode::SEE_OTHER, "the old session is revoked");
    })
    .await;
}

#[tokio::test]
async fn pages_show_only_what_the_role_may_see() {
    each_backend(|app| async move {
        app.seed_units().await;
        let other = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let own = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("binhtuong", "commune_officer", Some("21835"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("binhtuong").await;
        assert_eq!(b.get(&format!("/teams/{own}")).await.status, StatusCode::OK);
        for path in [format!("/teams/{other}"), "/units/21820".to_string(), "/teams/999999".to_string()] {
            let p = b.get(&path).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
            assert!(p.body.contains("Không tìm thấy"), "{path}: an HTML page in Vietnamese");
        }
        let p = b.get("/plugins").await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("Không có quyền"));
        let p = b
            .post("/plugins/bind", &[("unit", "21835"), ("choice", "composition:off"), ("confirm", "yes")])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("plugin_bindings").await, 0);
        let p = b
            .post(&format!("/teams/{other}/members"), &[("full_name", "Kẻ Lạ"), ("birth_year", "1990")])
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        // Searching finds only units in scope, without diacritics.
        let p = b.get("/units?q=thon%20hoa%20hiep").await;
        assert!(p.body.contains("Thôn Hòa Hiệp"));
        // Out of scope: the search page answers, and it does not list Tây Giang.
        let p = b.get("/units?q=tay%20giang").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("<html") && !p.body.contains("Xã Tây Giang"), "{}", p.body);
        // Unknown pages are pages; unknown API routes stay JSON.
        let p = b.get("/khong-co").await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert!(p.body.contains("<html"));
        // Its sign-out form carries the browser's token, so signing out from it works.
        assert!(p.body.contains(&format!("name=\"csrf\" value=\"{}\"", b.csrf())), "{}", p.body);
        let p = b.get("/api/v1/khong-co").await;
        assert!(p.body.starts_with("{\"error\""));
    })
    .await;
}

#[tokio::test]
async fn member_forms_explain_refusals_and_keep_what_was_typed() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let village = team(&app, "21835-01", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let path = format!("/teams/{village}/members");
        let before = app.count("memberships").await;

        let p = b
            .post(
                &path,
                &[
                    ("full_name", "Nguyễn Văn Bình"),
                    ("gender", "male"),
                    ("birth_year", "một chín chín"),
                    ("position", "leader"),
                    ("affiliation", "village_head"),
                    ("joined_on", "01/07/2022"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("Chưa lưu được")
                && p.body.contains("Năm sinh")
                && p.body.contains("value=\"Nguyễn Văn Bình\"")
        );

        let p = b
            .post(
                &path,
                &[
                    ("full_name", ""),
                    ("gender", "male"),
                    ("birth_year", "1980"),
                    ("position", "leader"),
                    ("affiliation", "village_head"),
                    ("joined_on", "01/07/2022"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("Họ và tên: chưa nhập (bắt buộc)"),
            "the field and the problem in Vietnamese: {}",
            p.body
        );
        assert_eq!(app.count("memberships").await, before, "nothing written");

        // A 15-year-old breaks Plan 77: refused with the plugin's words, then saved with a reason.
        let young = (chrono::Utc::now().format("%Y").to_string().parse::<i64>().unwrap() - 15).to_string();
        let add = [
            ("full_name", "Trần Văn Nhỏ"),
            ("gender", "male"),
            ("birth_year", young.as_str()),
            ("position", "member"),
            ("affiliation", "youth_union"),
            ("joined_on", "01/07/2022"),
        ];
        let p = b.post(&path, &add).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("thay đổi này làm tổ không đạt quy tắc") && p.body.contains("16 tuổi"),
            "{}",
            p.body
        );
        assert!(p.body.contains("name=\"override_reason\""));
        assert_eq!(app.count("memberships").await, before);
        let mut with_reason = add.to_vec();
        with_reason.push(("override_reason", "Học sinh giỏi tin học, có cha mẹ đồng ý"));
        let p = b.post(&path, &with_reason).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(
            p.location.starts_with(&format!("/teams/{village}?who="))
                && p.location.ends_with("&ok=member.added"),
            "post/redirect/get to the team page, naming the member: {}",
            p.location
        );
        assert_eq!(app.count("memberships").await, before + 1);
        let overrides: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'override'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(overrides, 1, "the override is audited");
        let p = b.get(&p.location).await;
        assert!(p.body.contains("Đã thêm Trần Văn Nhỏ vào tổ."), "{}", p.body);
        assert!(p.body.contains("Bình Định — Kế hoạch 77"), "the rule is named by its title");
        // Its id and version only on the technical line, for those who administer rules.
        let technical = p.body.split("class=\"tech\"").nth(1).unwrap_or_default();
        assert!(technical.starts_with(">Chi tiết kỹ thuật: binh-dinh-ke-hoach-77 1.0.0"), "{technical}");
    })
    .await;
}

#[tokio::test]
async fn english_on_request() {
    each_backend(|app| async move {
        let mut b = Browser::new(&app);
        let p = b.get("/lang/en?next=/login").await;
        assert_eq!(p.location, "/login");
        assert_eq!(b.cookies["sohoa_lang"], "en");
        let p = b.get("/login").await;
        assert!(p.body.contains("<html lang=\"en\">") && p.body.contains("Sign in to sohoa"));
        b.get("/lang/vi?next=/login").await;
        assert!(b.get("/login").await.body.contains("Đăng nhập sohoa"));
        // The switch keeps the page, its query included.
        app.seed_units().await;
        let own = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("vhtt", "district_culture", Some("547"), None).await;
        b.sign_in("vhtt").await;
        let page = b.get(&format!("/teams/{own}?former=1")).await;
        let link = page
            .body
            .split("href=\"/lang/en?next=")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#x2f;", "/");
        let p = b.get(&format!("/lang/en?next={link}")).await;
        assert_eq!(p.location, format!("/teams/{own}?former=1"));
    })
    .await;
}

/// The `<section>` of `page` labelled by the heading `id`.
fn section_of(page: &str, id: &str) -> String {
    let start = page.find(&format!("aria-labelledby=\"{id}\"")).unwrap();
    page[start..].split("</section>").next().unwrap().to_string()
}

#[tokio::test]
async fn home_and_dashboard_show_what_needs_attention() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        // A commune team with nobody on it: no leader, too few members.
        let empty = team(&app, "21835", "2022-06-15").await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let home = b.get("/home").await.body;
        let section = |id: &str| section_of(&home, id);
        let failing = section("failing");
        assert!(failing.contains(&format!("/teams/{}", empty["id"])), "{failing}");
        assert!(
            !failing.contains("binh-dinh-ke-hoach-77"),
            "officials read findings, not plugin ids: {failing}"
        );
        assert!(section("leaderless").contains("Tổ công nghệ số cộng đồng xã Bình Tường"));
        assert!(home.contains("href=\"#leaderless\"><div class=\"stat\">1<"), "one leaderless team counted");
        // Leaderless is stored with the findings: a leader joining takes the team off the
        // list at the next load, and a leader leaving puts it back.
        let r = app
            .post(
                "/api/v1/members",
                json!({"team_id": empty["id"], "full_name": "Trần Thị Lan", "gender": "female", "birth_year": 1990,
                       "position": "leader", "affiliation": "commune_leadership", "joined_on": "2022-06-15"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let home = b.get("/home").await.body;
        let leaderless = section_of(&home, "leaderless");
        assert!(!leaderless.contains("xã Bình Tường"), "{leaderless}");
        let r = app
            .patch(
                &format!("/api/v1/members/{}?override_reason=Chuy%E1%BB%83n%20c%C3%B4ng%20t%C3%A1c", r.body["id"]),
                json!({"left_on": "2023-01-01"}),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
        let home = b.get("/home").await.body;
        assert!(home.contains("Tổ công nghệ số cộng đồng xã Bình Tường"), "the leader left: listed again");
        assert!(home.contains("href=\"#leaderless\"><div class=\"stat\">1<"), "and counted again");
        // Every commune and village of the district but Bình Tường has no team.
        let uncovered = section("uncovered");
        for name in ["Thị trấn Phú Phong", "Xã Tây Giang", "Thôn Phú Thịnh", "Thôn 1"] {
            assert!(uncovered.contains(name), "{name} in {uncovered}");
        }
        assert!(!uncovered.contains(">Xã Bình Tường<"));
        assert!(
            uncovered.contains("Thôn Phú Thịnh</a> <span class=\"muted\">· Xã Bình Tường</span>"),
            "a village is named with its commune: {uncovered}"
        );
        assert!(!uncovered.contains("Phường Nhơn Bình"), "outside the district");

        let dash = b.get("/dashboard?unit=547").await;
        assert_eq!(dash.status, StatusCode::OK);
        assert!(dash.body.contains("<svg") && dash.body.contains("Xã Bình Tường"));
        assert!(dash.body.contains("0% (0&#x2f;2)"), "Bình Tường's villages have no team yet: {}", dash.body);
        assert_eq!(
            b.get("/dashboard?unit=540").await.status,
            StatusCode::NOT_FOUND,
            "another district is hidden"
        );
    })
    .await;
}

#[tokio::test]
async fn a_large_scope_is_refreshed_in_the_background_and_the_pages_say_so() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let first = team(&app, "21835", "2022-06-15").await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let home = b.get("/home").await.body;
        assert!(home.contains(&format!("/teams/{}", first["id"])), "a few stale teams are checked at once");
        assert!(!home.contains("Đang cập nhật kết quả kiểm tra"), "{home}");

        // More new teams than a page checks itself (they come in with a roster import, say).
        let more = sohoa::teams::findings::INLINE_LIMIT + 5;
        let unit: i64 = sqlx::query_scalar("SELECT id FROM units WHERE code = '21820'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        for i in 0..more {
            sqlx::query(
                "INSERT INTO teams (unit_id, name, search_key, decision_number, decision_date, decision_signer, \
                   created_at, updated_at) VALUES ($1, $2, $2, '1/QĐ-UBND', '2022-06-15', 'Lê Văn Tám', '2022-06-15', '2022-06-15')",
            )
            .bind(unit)
            .bind(format!("Tổ số {i:03}"))
            .execute(&app.db.pool)
            .await
            .unwrap();
        }
        let home = b.get("/home").await.body;
        assert!(
            home.contains(&format!("Đang cập nhật kết quả kiểm tra của {more} tổ")),
            "{}: {home}",
            app.backend
        );
        let dash = b.get("/dashboard?unit=547").await.body;
        assert!(dash.contains(&format!("Đang cập nhật kết quả kiểm tra của {more} tổ")), "{dash}");
        let list = b.get("/teams?failing=1").await.body;
        assert!(list.contains(&format!("Đang cập nhật kết quả kiểm tra của {more} tổ")), "{list}");

        // The background's work, done here at once: every empty team fails Plan 77.
        sohoa::teams::findings::refresh_all(&app.db, &app.plugins, "test").await.unwrap();
        let home = b.get("/home").await.body;
        assert!(!home.contains("Đang cập nhật kết quả kiểm tra"), "{home}");
        let total = more + 1;
        assert!(
            home.contains(&format!("<a class=\"card\" href=\"#failing\"><div class=\"stat\">{total}</div>")),
            "the failing card counts every failing team"
        );
        let listed = home.split("aria-labelledby=\"failing\"").nth(1).unwrap().split("</section>").next().unwrap();
        assert_eq!(listed.matches("<li>").count(), 20, "the page lists 20, not {total}");
        assert!(listed.contains(&format!("Còn nữa: {}", total - 20)) && listed.contains("/teams?failing=1"));
        let all = b.get("/teams?failing=1").await.body;
        assert!(all.contains(&format!("{total} tổ")) && !all.contains("Đang cập nhật"), "{all}");

        // A dissolved team is asked to meet no rule: the list and the home page count alike.
        let r = app
            .patch(
                &format!("/api/v1/teams/{}", first["id"]),
                serde_json::json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let left = total - 1;
        let home = b.get("/home").await.body;
        assert!(home.contains(&format!("href=\"#failing\"><div class=\"stat\">{left}</div>")), "{home}");
        assert!(b.get("/teams?failing=1").await.body.contains(&format!("{left} tổ")));
        let api = app.get("/api/v1/teams?failing=true&per_page=1").await;
        assert_eq!(api.body["total"], left, "{:?}", api.body);
    })
    .await;
}

#[tokio::test]
async fn reports_from_the_web_form() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        team(&app, "21835", "2022-06-15").await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        app.user("noivu", "district_home_affairs", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        assert!(b.get("/units/547").await.body.contains("/units/547/report?template=binh-dinh-bao-cao-quy"));
        // A unit that has closed says so, names its successor, and offers no new report.
        let link = "/units/21808/report?template=binh-dinh-bao-cao-quy";
        assert!(b.get("/units/21808").await.body.contains(link), "offered while the town exists");
        let r = app
            .post(
                "/api/v1/units/21808/close",
                serde_json::json!({"effective_on": "2024-01-01", "successors": ["21820"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let mut closed = b.get("/units/21808").await;
        assert_eq!(closed.status, StatusCode::OK);
        closed.body = closed.body.replace("&#x2f;", "/");
        assert!(closed.body.contains("<h1>Thị trấn Phú Phong</h1>"), "its own type word");
        assert!(closed.body.contains("Đơn vị này không còn từ ngày 01/01/2024"), "{}", closed.body);
        assert!(closed.body.contains("<a href=\"/units/21820\">Xã Tây Giang</a>"), "{}", closed.body);
        assert!(!closed.body.contains(link), "no new report for a closed unit");
        let form = b.get("/units/547/report?template=binh-dinh-bao-cao-quy").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.body.contains("name=\"v.21835.ho_duoc_huong_dan\"")
                && form.body.contains("Hộ gia đình được hướng dẫn"),
            "{}",
            form.body
        );

        let fields = [
            ("template", "binh-dinh-bao-cao-quy"),
            ("period", "2022-Q3"),
            ("issued_on", "05/10/2022"),
            ("format", "html"),
            ("v.21835.ho_duoc_huong_dan", "1.234"),
            ("v.21808.tk_vneid", ""),
        ];
        let p = b.post("/units/547/report", &fields).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("1.234") && p.body.contains("Nơi nhận:"));

        let mut bad = fields.to_vec();
        bad.push(("v.21835.tk_vneid", "nhiều lắm"));
        let p = b.post("/units/547/report", &bad).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("nhiều lắm"));
        let mut month = fields.to_vec();
        month[1] = ("period", "2022-07");
        let p = b.post("/units/547/report", &month).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("mẫu báo cáo này lập theo quý (ví dụ 2022-Q3)"),
            "the declared form's period type"
        );

        // Home Affairs reads the district but does not issue its reports.
        let mut h = Browser::new(&app);
        h.sign_in("noivu").await;
        assert!(!h.get("/units/547").await.body.contains("/report?template="));
        assert_eq!(
            h.get("/units/547/report?template=binh-dinh-bao-cao-quy").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(h.post("/units/547/report", &fields).await.status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn home_affairs_assesses_teams_on_the_campaign_page() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-thi-dua-cds", "commendation").await;
        let strong = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let weak = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("noivu", "district_home_affairs", Some("547"), None).await;
        app.user("xem", "viewer", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("noivu").await;
        assert!(b.get("/units/547").await.body.contains("/units/547/commendations"));
        let page = b.get("/units/547/commendations").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("name=\"t.{strong}.ho_gia_dinh\"")), "{}", page.body);

        let s = |k: &str| format!("t.{strong}.{k}");
        let (a, b2, c, d, e, f) = (
            s("ho_gia_dinh"),
            s("ho_duoc_huong_dan"),
            s("tk_vneid"),
            s("ho_so_dvc_truc_tuyen"),
            s("bao_cao_phai_nop"),
            s("bao_cao_dung_han"),
        );
        let weak_households = format!("t.{weak}.ho_gia_dinh");
        let fields = [
            ("period", "2022"),
            (a.as_str(), "200"),
            (b2.as_str(), "130"),
            (c.as_str(), "110"),
            (d.as_str(), "44"),
            (e.as_str(), "4"),
            (f.as_str(), "4"),
            (weak_households.as_str(), "1.300"),
        ];
        let p = b.post("/units/547/commendations", &fields).await;
        assert_eq!(p.status, StatusCode::OK);
        let results = p
            .body
            .split("id=\"results\"")
            .nth(1)
            .expect("results shown")
            .split("</section>")
            .next()
            .unwrap()
            .to_string();
        let first = results.find("xã Bình Tường").unwrap();
        let second = results.find("xã Tây Giang").unwrap();
        assert!(first < second, "ranked best first");
        assert!(
            results.contains("Đề nghị Chủ tịch UBND tỉnh tặng Bằng khen")
                && results.contains("Không đề xuất")
        );
        assert!(results.contains("dưới ngưỡng Giấy khen 75"), "reasons in Vietnamese");
        assert!(p.body.contains("value=\"1.300\""), "what was typed stays");

        let mut bad = fields.to_vec();
        bad[1] = (a.as_str(), "hai trăm");
        assert_eq!(b.post("/units/547/commendations", &bad).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let nothing = b.post("/units/547/commendations", &[("period", "2022")]).await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nothing.body.contains("chưa nhập kết quả của tổ nào"), "{}", nothing.body);

        let mut v = Browser::new(&app);
        v.sign_in("xem").await;
        assert!(!v.get("/units/547").await.body.contains("/commendations"));
        assert_eq!(v.get("/units/547/commendations").await.status, StatusCode::FORBIDDEN);
        assert_eq!(v.post("/units/547/commendations", &fields).await.status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn leaving_a_team_keeps_the_person_the_date_and_the_reason() {
    each_backend(|app| async move {
        app.seed_units().await;
        let own = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("binhtuong", "commune_officer", Some("21835"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("binhtuong").await;
        let add = [
            ("full_name", "Lê Thị Mai"),
            ("gender", "female"),
            ("birth_year", "1995"),
            ("email", "mai.le@binhtuong.gov.vn"),
            ("position", "member"),
            ("affiliation", "youth_union"),
            ("joined_on", "01/07/2022"),
        ];
        let p = b.post(&format!("/teams/{own}/members"), &add).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let member: i64 = p.location.split("who=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        assert!(b.get(&p.location).await.body.contains("Đã thêm Lê Thị Mai vào tổ."));

        // The add form preselects neither gender nor affiliation.
        let form = b.get(&format!("/teams/{own}")).await.body;
        let add_form = form.split("id=\"add-member\"").nth(1).unwrap();
        assert!(!add_form.contains("value=\"male\" selected") && !add_form.contains("value=\"commune_leadership\" selected"));

        // A reason is required, and the form keeps the date typed.
        let leave = format!("/members/{member}/leave");
        assert_eq!(b.get(&leave).await.status, StatusCode::OK);
        let p = b.post(&leave, &[("left_on", "15/08/2022"), ("left_reason", "  ")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("id=\"f-left_reason\"") && p.body.contains("aria-invalid=\"true\" aria-describedby=\"e-left_reason\""), "{}", p.body);
        assert!(p.body.contains("value=\"15&#x2f;08&#x2f;2022\"") && p.body.contains("autofocus"));
        // A day before she joined is refused beside the date, in Vietnamese.
        let p = b.post(&leave, &[("left_on", "15/06/2022"), ("left_reason", "Chuyển công tác")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("không được trước ngày tham gia") && p.body.contains("value=\"Chuyển công tác\""), "{}", p.body);

        let p = b.post(&leave, &[("left_on", "15/08/2022"), ("left_reason", "Chuyển công tác")]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let page = b.get(&p.location).await.body;
        assert!(page.contains("Đã ghi nhận Lê Thị Mai rời tổ từ ngày 15&#x2f;08&#x2f;2022."), "{page}");
        let serving = page.split("id=\"members\"").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(!serving.contains("Lê Thị Mai"), "no longer among the serving members");
        let former = b.get(&format!("/teams/{own}?former=1")).await.body;
        let former = former.split("id=\"former\"").nth(1).unwrap();
        assert!(former.contains("Lê Thị Mai") && former.contains("15&#x2f;08&#x2f;2022") && former.contains("Chuyển công tác"));

        // The API shows the reason, and the audit trail has the change.
        let r = app.get(&format!("/api/v1/members/{member}")).await;
        assert_eq!(r.body["left_reason"], "Chuyển công tác", "{:?}", r.body);
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'member' AND action = 'update' AND after_json LIKE '%Chuyển công tác%'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(audited, 1);

        // Every field can be corrected, and a correction keeps the reason.
        let edit = b.get(&format!("/members/{member}/edit")).await.body;
        for field in ["gender", "birth_year", "email", "skills", "joined_on", "left_on", "left_reason"] {
            assert!(edit.contains(&format!("name=\"{field}\"")), "{field} is editable");
        }
        let p = b
            .post(
                &format!("/members/{member}"),
                &[
                    ("full_name", "Lê Thị Mai"),
                    ("gender", "female"),
                    ("birth_year", "1996"),
                    ("email", ""),
                    ("phone", ""),
                    ("position", "member"),
                    ("affiliation", "youth_union"),
                    ("joined_on", "01/07/2022"),
                    ("skills", "VNeID; Thương mại điện tử (Postmart, Voso)"),
                    ("left_on", "15/08/2022"),
                    ("left_reason", "Chuyển công tác"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let r = app.get(&format!("/api/v1/members/{member}")).await;
        assert_eq!((r.body["birth_year"].as_i64(), r.body["email"].is_null()), (Some(1996), true), "{:?}", r.body);
        assert_eq!(r.body["left_reason"], "Chuyển công tác");
        assert_eq!(r.body["skills"], serde_json::json!(["VNeID", "Thương mại điện tử (Postmart, Voso)"]));
    })
    .await;
}

#[tokio::test]
async fn a_binding_shows_its_impact_before_it_is_saved_and_can_be_undone() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        let r = app
            .post_bytes("/api/v1/plugins", "application/wasm", crate::harness::component("tuyen-quang-2025"))
            .await;
        assert_eq!(r.status, 201);
        // One commune team with nobody on it: failing under Plan 77.
        team(&app, "21835", "2022-06-15").await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let page = b.get("/plugins").await.body;
        // Each kind offers only the plugins that have it.
        let composition =
            page.split("label=\"Thành phần tổ\"").nth(1).unwrap().split("</optgroup>").next().unwrap();
        assert!(
            composition.contains("composition:tuyen-quang-2025@1.0.0") && !composition.contains("bao-cao")
        );
        let before = app.count("plugin_bindings").await;

        // A name that is not a unit, and one outside the district: refused beside the field.
        let p = b
            .post("/plugins/bind", &[("unit", "Không Có"), ("choice", "composition:tuyen-quang-2025@1.0.0")])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("không tìm thấy đơn vị &#x27;Không Có&#x27;")
                && p.body.contains("aria-describedby=\"e-unit\""),
            "{}",
            p.body
        );
        let p = b
            .post(
                "/plugins/bind",
                &[("unit", "Tỉnh Bình Định"), ("choice", "composition:off"), ("confirm", "yes")],
            )
            .await;
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the province is not the district's to change"
        );
        assert_eq!(app.count("plugin_bindings").await, before);

        // By name: the impact, and nothing saved yet.
        let p = b
            .post("/plugins/bind", &[("unit", "tay son"), ("choice", "composition:tuyen-quang-2025@1.0.0")])
            .await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(
            p.body.contains("Huyện Tây Sơn") && p.body.contains("1 tổ</strong>: 1 chưa đạt →"),
            "{}",
            p.body
        );
        assert!(p.body.contains("name=\"param.max_commune_members\""), "parameters as typed fields");
        assert_eq!(app.count("plugin_bindings").await, before, "seeing the impact saves nothing");
        // A parameter that is not a number comes back beside its field.
        let p = b
            .post(
                "/plugins/bind",
                &[
                    ("unit", "547"),
                    ("choice", "composition:tuyen-quang-2025@1.0.0"),
                    ("param.max_commune_members", "mười"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("aria-describedby=\"e-param.max_commune_members\""), "{}", p.body);
        assert_eq!(app.count("plugin_bindings").await, before);

        let p = b
            .post(
                "/plugins/bind",
                &[
                    ("unit", "547"),
                    ("choice", "composition:tuyen-quang-2025@1.0.0"),
                    ("effective_from", "01/01/2021"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(
            (p.status, p.location.as_str()),
            (StatusCode::SEE_OTHER, "/plugins?ok=plugins.bound"),
            "{}",
            p.body
        );
        assert_eq!(app.count("plugin_bindings").await, before + 1);
        // Binding again from the same day says what it replaces before anything is saved.
        let p = b
            .post(
                "/plugins/bind",
                &[("unit", "547"), ("choice", "composition:off"), ("effective_from", "01/01/2021")],
            )
            .await;
        assert!(p.body.contains("thay thế quy tắc đó") && p.body.contains("Tuyên Quang 2025"), "{}", p.body);
        assert_eq!(app.count("plugin_bindings").await, before + 1);

        // Undo: first what applies after, then the removal, audited.
        let key = [
            ("unit_code", "547"),
            ("kind", "composition"),
            ("template", ""),
            ("effective_from", "2021-01-01"),
        ];
        let p = b.post("/plugins/unbind", &key).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains("Sau khi gỡ, áp dụng")
                && p.body.contains("Kế hoạch 77")
                && p.body.contains("Tỉnh Bình Định"),
            "{}",
            p.body
        );
        assert_eq!(app.count("plugin_bindings").await, before + 1, "the confirmation removes nothing");
        let mut confirmed = key.to_vec();
        confirmed.push(("confirm", "yes"));
        let p = b.post("/plugins/unbind", &confirmed).await;
        assert_eq!(p.location, "/plugins?ok=plugins.unbound");
        assert_eq!(app.count("plugin_bindings").await, before);
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'unbind'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(audited, 1);
        // Removing it again (a second click): back to the rules page, saying so.
        assert_eq!(
            b.post("/plugins/unbind", &confirmed).await.location,
            "/plugins?ok=plugins.already_removed"
        );
    })
    .await;
}

/// What a tester broke on the first version of these pages, kept broken-proof.
#[tokio::test]
async fn hostile_and_mistaken_requests_get_pages_not_faults() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-ke-hoach-77", "composition").await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        let own = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;

        // The language switch and the sign-in never send the browser to another site, and a
        // newline in `next` is not a server fault.
        for next in
            ["/%09/evil.example", "/%0A/evil.example", "/%0D%0ASet-Cookie:x=1", "//evil.example", "/%5Cevil"]
        {
            let p = b.get(&format!("/lang/vi?next={next}")).await;
            assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/home"), "{next}");
        }
        let p = b.get("/lang/vi?next=/units%3Fq%3Dt%C3%A2y%20s%C6%A1n").await;
        assert_eq!(p.location, "/units?q=t%C3%A2y%20s%C6%A1n", "a search keeps its words");

        // Addresses that do not parse are Vietnamese pages, not framework text.
        for path in ["/teams/abc", "/members/abc/edit", "/teams/99999999999999999999", "/units/547/report"] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
            assert!(p.body.contains("<html") && p.body.contains("Không tìm thấy"), "{path}: {}", p.body);
        }
        let p = b.get(&format!("/teams/{own}/members")).await;
        assert_eq!(p.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(p.body.contains("chỉ mở từ biểu mẫu"), "{}", p.body);
        // Any page number: no overflow, no page past the last.
        for page in ["9223372036854775807", "-5", "5"] {
            let p = b.get(&format!("/teams?page={page}")).await;
            assert_eq!(p.status, StatusCode::OK, "page {page}");
            assert!(
                p.body.contains("Tổ công nghệ số cộng đồng xã Bình Tường"),
                "page {page} shows the last page"
            );
        }

        // A form field holding a direction override is refused by a page that names it, and
        // nothing is saved.
        let members = app.count("memberships").await;
        let p = b
            .post(
                &format!("/teams/{own}/members"),
                &[("full_name", "Võ \u{202E}Văn Nam"), ("gender", "male")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("full_name") && p.body.contains("(U+202E), không được phép"), "{}", p.body);
        assert_eq!(app.count("memberships").await, members);
        // Refused before any page's handler: the sign-in form does not judge names.
        let p = b.post("/login", &[("username", "vhtt\u{202E}"), ("password", "x")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("username") && p.body.contains("U+202E"), "{}", p.body);

        // A member form with its required fields emptied is refused, not "saved" unchanged.
        let add = [
            ("full_name", "Võ Văn Nam"),
            ("gender", "male"),
            ("birth_year", "1988"),
            ("position", "leader"),
            ("affiliation", "commune_leadership"),
            ("joined_on", "01/07/2022"),
        ];
        let p = b.post(&format!("/teams/{own}/members"), &add).await;
        let member: i64 =
            p.location.split("who=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        let empty = [
            ("full_name", ""),
            ("gender", ""),
            ("birth_year", ""),
            ("position", ""),
            ("affiliation", ""),
            ("joined_on", ""),
        ];
        let p = b.post(&format!("/members/{member}"), &empty).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("Họ và tên: chưa nhập") && p.body.contains("aria-describedby=\"e-birth_year\""),
            "{}",
            p.body
        );
        // Leaving twice: the second is refused and points to the edit page.
        let leave = format!("/members/{member}/leave");
        let override_reason = ("override_reason", "Tổ sẽ bầu tổ trưởng mới");
        let p =
            b.post(&leave, &[("left_on", "01/09/2022"), ("left_reason", "Nghỉ hưu"), override_reason]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let p = b.post(&leave, &[("left_on", "01/10/2022"), ("left_reason", "Khác")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("đã rời tổ") && p.body.contains(&format!("/members/{member}/edit")));
        let r = app.get(&format!("/api/v1/members/{member}")).await;
        assert_eq!(
            (r.body["left_on"].as_str(), r.body["left_reason"].as_str()),
            (Some("2022-09-01"), Some("Nghỉ hưu"))
        );

        // Report periods and dates that cannot be: refused beside their fields, figures kept.
        let report = |year: &'static str, issued: &'static str, figure: &'static str| {
            vec![
                ("template", "binh-dinh-bao-cao-quy"),
                ("period_part", "Q1"),
                ("period_year", year),
                ("issued_on", issued),
                ("format", "html"),
                ("v.21835.ho_duoc_huong_dan", figure),
            ]
        };
        for (year, issued, figure, field) in [
            ("2099", "", "12", "e-period_part"),
            ("0000", "", "12", "e-period_part"),
            ("2022", "01/01/2030", "12", "e-issued_on"),
            ("2022", "01/01/2019", "12", "e-issued_on"),
            ("2022", "", "99999999999999999999", "e-v.21835.ho_duoc_huong_dan"),
        ] {
            let p = b.post("/units/547/report", &report(year, issued, figure)).await;
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{year} {issued} {figure}: {}", p.body);
            assert!(
                p.body.contains(&format!("id=\"{field}\"")),
                "{year} {issued} {figure}: {field} in {}",
                p.body
            );
            assert!(p.body.contains(&format!("value=\"{figure}\"")), "the figure is kept");
        }

        // Bindings: a template that is not one, a plugin for a kind it lacks, a second removal.
        let before = app.count("plugin_bindings").await;
        let p = b
            .post("/plugins/bind", &[("unit", "547"), ("choice", "report:khong-co:off"), ("confirm", "yes")])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        let p = b
            .post("/plugins/bind", &[("unit", "547"), ("choice", "composition:binh-dinh-bao-cao-quy@1.1.0")])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "refused at the first step");
        assert!(p.body.contains("aria-describedby=\"e-choice\""));
        assert_eq!(app.count("plugin_bindings").await, before);
        let gone = [
            ("unit_code", "547"),
            ("kind", "composition"),
            ("template", ""),
            ("effective_from", "2021-01-01"),
            ("confirm", "yes"),
        ];
        let p = b.post("/plugins/unbind", &gone).await;
        assert_eq!(p.location, "/plugins?ok=plugins.already_removed");
    })
    .await;
}

/// A dissolved team's page says since when and why, and offers no one to join or leave it
/// (a helper's find: it still offered both).
#[tokio::test]
async fn a_dissolved_teams_page_says_when_and_why_and_adds_nobody() {
    each_backend(|app| async move {
        app.seed_units().await;
        let t = team(&app, "21835", "2022-06-15").await;
        let uri = format!("/teams/{}", t["id"]);
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        assert!(b.get(&uri).await.body.contains("id=\"add-member\""), "an active team takes members");
        let r = app
            .patch(
                &format!("/api/v1/teams/{}", t["id"]),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập thôn"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let page = b.get(&uri).await.body;
        assert!(page.contains("Đã giải thể 01&#x2f;01&#x2f;2023: Sáp nhập thôn"), "{page}");
        assert!(!page.contains("id=\"add-member\""), "{page}");
        // Its composition is not judged any more, on its page or in a list.
        assert!(page.contains("Tổ đã giải thể: thành phần tổ không còn được kiểm tra."), "{page}");
        assert!(!page.contains("class=\"finding"), "{page}");
        let list = b.get("/teams?unit=21835").await.body;
        assert!(!list.contains("badge error") && !list.contains("Chưa có quy tắc thành phần"), "{list}");
        // The form sent from a page opened before: refused in words, not with the API's field.
        let add = [
            ("full_name", "Lê Thị Mai"),
            ("gender", "female"),
            ("birth_year", "1995"),
            ("position", "member"),
            ("affiliation", "youth_union"),
            ("joined_on", "01/02/2023"),
        ];
        let p = b.post(&format!("/teams/{}/members", t["id"]), &add).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("tổ đã giải thể ngày 01&#x2f;01&#x2f;2023"), "{}", p.body);
        assert!(!p.body.contains("team_id:"), "{}", p.body);
    })
    .await;
}

/// The home page's count of teams in scope (active ones) is the count of the list its card
/// opens (a helper's find: the card said 516 and the list it opened 546, dissolved teams
/// included).
#[tokio::test]
async fn the_home_pages_team_count_is_the_count_of_the_list_it_opens() {
    each_backend(|app| async move {
        app.seed_units().await;
        team(&app, "21835", "2022-06-15").await;
        let gone = team(&app, "21820", "2022-06-15").await;
        let r = app
            .patch(
                &format!("/api/v1/teams/{}", gone["id"]),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let home = b.get("/home").await.body;
        assert!(home.contains("href=\"/teams?status=active\"><div class=\"stat\">1<"), "{home}");
        let list = b.get("/teams?status=active").await.body;
        assert!(list.contains("<p class=\"muted\">1 tổ</p>"), "{list}");
        assert!(!list.contains(&format!("/teams/{}\"", gone["id"])), "{list}");
        let all = b.get("/teams").await.body;
        assert!(all.contains("<p class=\"muted\">2 tổ</p>"), "{all}");
    })
    .await;
}

/// The management group's page asks for the days it records (a helper's find): the add form
/// has a last day, and "Thôi tham gia" opens a page asking for the last day (today written in),
/// instead of ending the membership today unasked. A day refused there keeps what was typed
/// and links the summary to its field.
#[tokio::test]
async fn the_management_group_asks_for_the_last_day() {
    each_backend(|app| async move {
        app.seed_units().await;
        app.user("vhtt", "district_culture", Some("547"), None).await;
        let mut b = Browser::new(&app);
        b.sign_in("vhtt").await;
        let group = "/units/547/management-group";
        let list = b.get(group).await.body;
        assert!(list.contains("name=\"until_date\""), "the add form asks for a last day: {list}");
        let add = [
            ("full_name", "Nguyễn Thị Nhung"),
            ("title", "Tổ trưởng"),
            ("from_date", "01/08/2022"),
            ("until_date", "31/12/2022"),
        ];
        let p = b.post(group, &add).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let list = b.get(group).await.body;
        assert!(
            list.contains("01&#x2f;08&#x2f;2022 – 31&#x2f;12&#x2f;2022"),
            "the last day was kept: {list}"
        );

        let p = b
            .post(
                group,
                &[("full_name", "Trần Văn Quang"), ("title", "Tổ viên"), ("from_date", "01/01/2023")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM management_group WHERE full_name = 'Trần Văn Quang'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let end = format!("{group}/{id}/end");
        let list = b.get(group).await.body;
        assert!(list.contains(&format!("href=\"{end}\"")), "ending opens a page: {list}");
        let asked = b.get(&end).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let today = sohoa::dates::display(sohoa::dates::today()).replace('/', "&#x2f;");
        assert!(asked.body.contains(&format!("name=\"until_date\" value=\"{today}\"")), "{}", asked.body);

        for (typed, said) in [("", "chưa nhập ngày thôi tham gia"), ("31/02/2023", "không phải ngày hợp lệ")]
        {
            let p = b.post(&end, &[("until_date", typed)]).await;
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}: {}", p.body);
            assert!(p.body.contains(said), "{typed}: {}", p.body);
            assert!(
                p.body.contains("href=\"#f-until_date\"") && p.body.contains("id=\"f-until_date\""),
                "{}",
                p.body
            );
            let kept = format!("name=\"until_date\" value=\"{}\"", typed.replace('/', "&#x2f;"));
            assert!(p.body.contains(&kept), "{typed} is kept: {}", p.body);
        }
        let still: Option<String> =
            sqlx::query_scalar("SELECT until_date FROM management_group WHERE id = $1")
                .bind(id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(still, None, "nothing recorded by a refused day");
        let p = b.post(&end, &[("until_date", "30/06/2023")]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(p.location.starts_with(&format!("{group}?")), "{}", p.location);
        let list = b.get(group).await.body;
        assert!(list.contains("01&#x2f;01&#x2f;2023 – 30&#x2f;06&#x2f;2023"), "{list}");
        // Ended already: the page says so, and a second post is told so (not "not found").
        let again = b.get(&end).await;
        assert!(again.body.contains("Đã ghi ngày cuối cùng tham gia: 30&#x2f;06&#x2f;2023"), "{}", again.body);
        assert!(!again.body.contains("name=\"until_date\""), "no form: {}", again.body);
        let p = b.post(&end, &[("until_date", "01/07/2023")]).await;
        assert!(p.body.contains("30&#x2f;06&#x2f;2023"), "{}", p.body);

        // Not through another district's address (a province administrator may manage both);
        // a role that may not manage the group gets no form; a commune has no group to add to.
        let other: i64 = sqlx::query_scalar(
            "INSERT INTO management_group (unit_id, full_name, title, office, focal_point, from_date, created_at, created_by) \
             SELECT id, 'Lê Thị Quy', 'Tổ viên', '', 0, '2022-08-01', '2022-08-01T00:00:00Z', 'test' FROM units WHERE code = '540' RETURNING id",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        app.user("tinh", "province_admin", Some("52"), None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in("tinh").await;
        let wrong = format!("{group}/{other}/end");
        assert_eq!(admin.get(&wrong).await.status, StatusCode::NOT_FOUND);
        admin.get(&format!("/units/540/management-group/{other}/end")).await;
        let p = admin.post(&wrong, &[("until_date", "01/07/2023")]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.body);
        let still: Option<String> = sqlx::query_scalar("SELECT until_date FROM management_group WHERE id = $1")
            .bind(other)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(still, None, "nothing recorded through another district's address");
        app.user("xem", "viewer", Some("547"), None).await;
        let mut viewer = Browser::new(&app);
        viewer.sign_in("xem").await;
        let open: i64 = sqlx::query_scalar(
            "SELECT id FROM management_group WHERE full_name = 'Nguyễn Thị Nhung'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(viewer.get(&format!("{group}/{open}/end")).await.status, StatusCode::FORBIDDEN);
        let commune = b.get("/units/21835/management-group").await;
        assert_eq!(commune.status, StatusCode::OK);
        assert!(!commune.body.contains("name=\"full_name\""), "no add form at a commune: {}", commune.body);
    })
    .await;
}
