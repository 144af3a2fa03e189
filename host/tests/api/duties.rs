//! The other offices' duties: emulation campaigns evaluated from stored reports, their
//! proposal, co-signature and decision; Youth Union nominations; guidance documents; the
//! management group.

use serde_json::{Value, json};

use crate::harness::{TestApp, bind_hostile, each_backend, enable, install_hostile};
use crate::reporting::{TEMPLATE, install_template, this_quarter};
use crate::teams::team;

fn submission(unit: &str, period: &str) -> String {
    format!("/api/v1/units/{unit}/submissions/{TEMPLATE}/{period}")
}

/// Tây Sơn's three communes, each with a team, figures for this quarter submitted and
/// accepted (households guided: Bình Tường 300, Tây Giang 120, Phú Phong 60), and the Bình
/// Định criteria enabled. Returns the team ids in that order.
async fn reported(app: &TestApp) -> [i64; 3] {
    app.seed_units().await;
    install_template(app, "report-template-v1", "2020-01-01").await;
    enable(app, "binh-dinh-thi-dua-cds", "commendation").await;
    let q = this_quarter();
    let reviewer = app.user("duties.review", "district_culture", Some("547"), None).await;
    let mut ids = Vec::new();
    for (unit, guided) in [("21835", 300), ("21820", 120), ("21808", 60)] {
        ids.push(team(app, unit, "2022-06-15").await["id"].as_i64().unwrap());
        let r = app
            .send_json(
                "PUT",
                &submission(unit, &q),
                json!({"figures": {"ho_duoc_huong_dan": guided}, "submit": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let r = app
            .with_token(&reviewer)
            .post(&format!("{}/review", submission(unit, &q)), json!({"decision": "accept"}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    ids.try_into().unwrap()
}

fn results(campaign: &Value) -> Vec<(i64, f64)> {
    campaign["evaluation"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["score"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_campaign_ranks_teams_from_accepted_reports_and_its_decision_lands_on_their_records() {
    each_backend(|app| async move {
        let [first, second, third] = reported(&app).await;
        let home = app.user("duties.noivu", "district_home_affairs", Some("547"), None).await;
        let culture = app.user("duties.vhtt", "district_culture", Some("547"), None).await;
        let leader = app.user("duties.lanhdao", "district_leader", Some("547"), None).await;
        let (home, culture, leader) = (app.with_token(&home), app.with_token(&culture), app.with_token(&leader));
        let q = this_quarter();
        let body = json!({"name": "Thi đua quý", "period": q, "template": TEMPLATE,
                          "base_figures": {"21835": {"ho_gia_dinh": 400}, "21820": {"ho_gia_dinh": 400}, "21808": {"ho_gia_dinh": 400}}});
        // Only Home Affairs organises; a base figure for a unit elsewhere is refused.
        culture.post("/api/v1/units/547/campaigns", body.clone()).await.assert_error(403, "forbidden");
        let mut wrong = body.clone();
        wrong["base_figures"]["21550"] = json!({"ho_gia_dinh": 10});
        let r = home.post("/api/v1/units/547/campaigns", wrong).await;
        r.assert_error(422, "validation_failed");
        assert!(r.fields().contains(&"base_figures.21550".to_string()), "{:?}", r.body);
        // Indicator codes as plugins name them, and a handful per unit.
        let mut named = body.clone();
        named["base_figures"]["21835"] = json!({"Hộ gia đình": 10});
        let many: serde_json::Map<String, Value> = (0..21).map(|i| (format!("chi_so_{i}"), json!(1))).collect();
        named["base_figures"]["21820"] = Value::Object(many);
        let r = home.post("/api/v1/units/547/campaigns", named).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), vec!["base_figures.21820".to_string(), "base_figures.21835".to_string()], "{:?}", r.body);
        // A campaign of next year is opened, but there is nothing to evaluate yet.
        let next_year = (chrono::Datelike::year(&sohoa::dates::today()) + 1).to_string();
        let later = home
            .post("/api/v1/units/547/campaigns", json!({"name": "Thi đua năm sau", "period": next_year, "template": TEMPLATE}))
            .await;
        assert_eq!(later.status, 201, "{:?}", later.body);
        home.post(&format!("/api/v1/campaigns/{}/evaluate", later.body["id"]), json!({})).await.assert_error(409, "conflict");
        let made = home.post("/api/v1/units/547/campaigns", body.clone()).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        assert_eq!(made.body["status"], "open");
        home.post("/api/v1/units/547/campaigns", body).await.assert_error(409, "conflict");
        let id = made.body["id"].as_i64().unwrap();
        let url = format!("/api/v1/campaigns/{id}");

        // Evaluated from the stored figures: 75, 30 and 15 households guided per 100 against a
        // target of 60 score 40, 20 and 10 of the weight 40; no period is due yet.
        let evaluated = home.post(&format!("{url}/evaluate"), json!({})).await;
        assert_eq!(evaluated.status, 200, "{:?}", evaluated.body);
        assert_eq!(results(&evaluated.body), [(first, 40.0), (second, 20.0), (third, 10.0)]);
        let top = &evaluated.body["evaluation"]["results"][0];
        assert_eq!(top["rank"], 1);
        assert_eq!(top["figures"]["ho_duoc_huong_dan"], 300.0);
        assert_eq!(top["figures"]["ho_gia_dinh"], 400.0);
        assert_eq!(top["figures"]["bao_cao_phai_nop"], 0.0);
        let installed = app.get("/api/v1/plugins/binh-dinh-thi-dua-cds/1.0.0").await.body;
        assert_eq!(evaluated.body["evaluation"]["sha256"], installed["sha256"]);
        assert_eq!(evaluated.body["evaluation"]["periods"], json!([q]));
        assert_eq!(evaluated.body["status"], "evaluating");

        // Nobody reached the threshold, so the candidates are named, each with an award.
        let r = home.post(&format!("{url}/proposal"), json!({"justification": "Dẫn đầu"})).await;
        r.assert_error(422, "validation_failed");
        let lines = json!([{"kind": "team", "id": first, "award": "Giấy khen của Chủ tịch UBND huyện"},
                           {"kind": "team", "id": second, "award": "Giấy khen của Chủ tịch UBND huyện"},
                           {"kind": "team", "id": 999999}]);
        let r = home.post(&format!("{url}/proposal"), json!({"justification": "Dẫn đầu", "lines": lines})).await;
        r.assert_error(422, "validation_failed");
        assert!(r.fields().contains(&"lines.2".to_string()), "{:?}", r.body);
        // The third is proposed for an award the province gives.
        let lines = json!([{"kind": "team", "id": first, "award": "Giấy khen của Chủ tịch UBND huyện"},
                           {"kind": "team", "id": second, "award": "Giấy khen của Chủ tịch UBND huyện"},
                           {"kind": "team", "id": third, "award": "Đề nghị Chủ tịch UBND tỉnh tặng Bằng khen"}]);
        let proposed = home.post(&format!("{url}/proposal"), json!({"justification": "Dẫn đầu huyện", "lines": lines})).await;
        assert_eq!(proposed.status, 200, "{:?}", proposed.body);
        assert_eq!(proposed.body["proposal"]["status"], "proposed");
        let higher: Vec<bool> = proposed.body["proposal"]["lines"].as_array().unwrap().iter().map(|l| l["higher_level"] == true).collect();
        assert_eq!(higher, [false, false, true], "{:?}", proposed.body);
        // The results a proposal was made from are kept.
        home.post(&format!("{url}/evaluate"), json!({})).await.assert_error(409, "conflict");

        // Culture and Information co-signs; the leadership decides each line.
        home.post(&format!("{url}/proposal/cosign"), json!({})).await.assert_error(403, "forbidden");
        leader.post(&format!("{url}/proposal/decision"), json!({"decision_number": "1/QĐ", "decision_date": sohoa::dates::today_iso(), "lines": []}))
            .await
            .assert_error(409, "conflict");
        assert_eq!(culture.post(&format!("{url}/proposal/cosign"), json!({})).await.status, 200);
        culture.post(&format!("{url}/proposal/cosign"), json!({})).await.assert_error(409, "conflict");
        let line_ids: Vec<i64> = app.get(&url).await.body["proposal"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect();
        let today = sohoa::dates::today_iso();
        let tomorrow = sohoa::dates::iso(sohoa::dates::today() + chrono::Duration::days(1));
        for (body, field) in [
            (json!({"decision_number": "125/QĐ-UBND", "decision_date": today, "lines": [{"line_id": line_ids[0], "approve": true}]}), "lines"),
            (json!({"decision_number": "125/QĐ-UBND", "decision_date": today,
                    "lines": [{"line_id": line_ids[0], "approve": true}, {"line_id": line_ids[1], "approve": false}]}), "lines.1.reason"),
            (json!({"decision_number": "125/QĐ-UBND", "decision_date": tomorrow,
                    "lines": [{"line_id": line_ids[0], "approve": true}, {"line_id": line_ids[1], "approve": true}]}), "decision_date"),
            (json!({"decision_number": " ", "decision_date": today,
                    "lines": [{"line_id": line_ids[0], "approve": true}, {"line_id": line_ids[1], "approve": true}]}), "decision_number"),
        ] {
            let r = leader.post(&format!("{url}/proposal/decision"), body).await;
            r.assert_error(422, "validation_failed");
            assert!(r.fields().contains(&field.to_string()), "{field}: {:?}", r.body);
        }
        assert_eq!(app.count("commendations").await, 0, "a refused decision records nothing");
        culture
            .post(&format!("{url}/proposal/decision"), json!({"decision_number": "1", "decision_date": today, "lines": []}))
            .await
            .assert_error(403, "forbidden");
        let decision = json!({"decision_number": "125/QĐ-UBND", "decision_date": today,
            "lines": [{"line_id": line_ids[0], "approve": true},
                      {"line_id": line_ids[1], "approve": false, "reason": "Đã được khen cùng thành tích"},
                      {"line_id": line_ids[2], "approve": true}]});
        let decided = leader.post(&format!("{url}/proposal/decision"), decision.clone()).await;
        assert_eq!(decided.status, 200, "{:?}", decided.body);
        assert_eq!(decided.body["status"], "closed");
        let outcomes: Vec<&str> =
            decided.body["proposal"]["lines"].as_array().unwrap().iter().map(|l| l["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["approved", "rejected", "approved"]);
        assert_eq!(decided.body["proposal"]["lines"][1]["reject_reason"], "Đã được khen cùng thành tích");
        leader.post(&format!("{url}/proposal/decision"), decision).await.assert_error(409, "conflict");

        // The award is on the first team's record, not on the second's.
        let awarded = app.get(&format!("/api/v1/teams/{first}")).await.body;
        assert_eq!(awarded["commendations"][0]["decision_number"], "125/QĐ-UBND", "{awarded}");
        assert_eq!(awarded["commendations"][0]["award"], "Giấy khen của Chủ tịch UBND huyện");
        assert_eq!(app.get(&format!("/api/v1/teams/{second}")).await.body["commendations"], json!([]));
        // A district does not give a provincial Bằng khen: the approved line is forwarded, and
        // nothing is on the third team's record until the province decides.
        assert_eq!(app.get(&format!("/api/v1/teams/{third}")).await.body["commendations"], json!([]));
        assert_eq!(app.count("commendations").await, 1);

        // The proposal and the decision as documents, made again identical.
        let (status, _, html) = app.admin().await.get_file(&format!("{url}/documents/proposal?format=html")).await;
        assert_eq!(status, 200);
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("TỜ TRÌNH") && html.contains("Dẫn đầu huyện"), "{html}");
        let (_, headers, decision_html) = app.admin().await.get_file(&format!("{url}/documents/decision?format=html")).await;
        // A document opened in the browser keeps its own inline styles and loads nothing else.
        assert_eq!(headers["content-security-policy"], sohoa::api::DOCUMENT_CSP);
        let decision_html = String::from_utf8(decision_html).unwrap();
        assert!(decision_html.contains("QUYẾT ĐỊNH") && decision_html.contains("Số: 125&#x2f;QĐ-UBND"), "{decision_html}");
        assert!(decision_html.contains("Khen thưởng 1 tập thể"), "one approved line: {decision_html}");
        assert!(
            decision_html.contains("Điều 2. Đề nghị cấp có thẩm quyền xét tặng") && decision_html.contains("Điều 3. Quyết định này"),
            "the forwarded line has its own article: {decision_html}"
        );
        let docx = format!("{url}/documents/decision?format=docx");
        let (_, _, once) = app.admin().await.get_file(&docx).await;
        let (_, _, again) = app.admin().await.get_file(&docx).await;
        assert!(once.starts_with(b"PK") && once == again, "the DOCX is a file, the same each time");
        let audit = app.get("/api/v1/audit?unit=547&per_page=200").await.body;
        let steps: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| matches!(e["entity"].as_str(), Some("campaign" | "proposal" | "proposal_line")))
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for step in ["create", "evaluate", "propose", "cosign", "approve", "reject", "forward", "decide"] {
            assert!(steps.contains(&step), "{step} audited: {steps:?}");
        }
    })
    .await;
}

fn born(age: i32) -> i32 {
    chrono::Datelike::year(&sohoa::dates::today()) - age
}

#[tokio::test]
async fn an_accepted_nomination_makes_a_member_through_the_teams_rule() {
    each_backend(|app| async move {
        app.seed_units().await;
        let own = team(&app, "21835", "2022-06-15").await["id"].as_i64().unwrap();
        let elsewhere = team(&app, "21820", "2022-06-15").await["id"].as_i64().unwrap();
        let gone = team(&app, "21835-01", "2022-06-15").await["id"].as_i64().unwrap();
        let r = app
            .patch(
                &format!("/api/v1/teams/{gone}"),
                json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập thôn"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let youth = app.user("n.doan", "district_youth_union", Some("547"), None).await;
        let commune = app.user("n.xa", "commune_officer", Some("21835"), None).await;
        let viewer = app.user("n.xem", "viewer", Some("547"), None).await;
        let (youth, commune, viewer) = (app.with_token(&youth), app.with_token(&commune), app.with_token(&viewer));
        let person = |age: i32, team: Option<i64>| {
            json!({"full_name": "Đặng Thu Trang", "gender": "Nữ", "birth_year": born(age), "phone": "0905123789",
                   "email": "trang@example.vn", "skills": ["VNeID", "Dịch vụ công"], "team_id": team})
        };
        for (body, field) in [
            (person(40, Some(own)), "birth_year"),
            (person(14, Some(own)), "birth_year"),
            (person(25, Some(elsewhere)), "team_id"),
            // Nobody joins a dissolved team: a nomination to one could never be taken up.
            (person(25, Some(gone)), "team_id"),
            (json!({"full_name": "A", "gender": "female", "birth_year": born(25), "phone": "12345"}), "phone"),
        ] {
            let r = youth.post("/api/v1/units/21835/nominations", body).await;
            r.assert_error(422, "validation_failed");
            assert!(r.fields().contains(&field.to_string()), "{field}: {:?}", r.body);
        }
        // Only a commune answers nominations: none go to the district itself or to a village.
        for unit in ["547", "21835-01"] {
            let r = youth.post(&format!("/api/v1/units/{unit}/nominations"), person(25, None)).await;
            r.assert_error(422, "validation_failed");
            assert_eq!(r.fields(), vec!["unit".to_string()], "{unit}: {:?}", r.body);
        }
        commune.post("/api/v1/units/21835/nominations", person(25, Some(own))).await.assert_error(403, "forbidden");
        let made = youth.post("/api/v1/units/21835/nominations", person(25, Some(own))).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        assert_eq!(made.body["status"], "pending");
        assert_eq!(made.body["nominating_code"], "547");
        let id = made.body["id"].as_i64().unwrap();
        // Contacts are personal data: the Youth Union that nominated and the commune see them.
        let seen = viewer.get("/api/v1/units/547/nominations").await.body;
        assert_eq!((seen[0]["phone"].clone(), seen[0]["personal_data_hidden"].clone()), (Value::Null, json!(true)));
        assert_eq!(youth.get("/api/v1/units/547/nominations").await.body[0]["phone"], "0905123789");
        assert_eq!(commune.get("/api/v1/units/21835/nominations").await.body[0]["phone"], "0905123789");

        let answer = format!("/api/v1/nominations/{id}/answer");
        let r = commune.post(&answer, json!({"accept": false})).await;
        r.assert_error(422, "validation_failed");
        let members = app.count("memberships").await;
        // Nobody joins before being nominated.
        let r = commune.post(&answer, json!({"accept": true, "joined_on": "01/01/2023"})).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), vec!["joined_on".to_string()], "{:?}", r.body);
        let accepted = commune.post(&answer, json!({"accept": true})).await;
        assert_eq!(accepted.status, 200, "{:?}", accepted.body);
        assert_eq!(accepted.body["status"], "accepted");
        assert_eq!(accepted.body["days_to_answer"], 0);
        assert_eq!(app.count("memberships").await, members + 1);
        let member = app.get(&format!("/api/v1/members/{}", accepted.body["membership_id"])).await.body;
        assert_eq!((member["team_id"].as_i64(), member["affiliation"].as_str()), (Some(own), Some("youth_union")));
        assert_eq!(member["position"], "member");
        assert_eq!(member["skills"], json!(["VNeID", "Dịch vụ công"]));
        commune.post(&answer, json!({"accept": true})).await.assert_error(409, "conflict");

        // The team's composition rule judges the new member: a rule that cannot run refuses,
        // and the nomination waits.
        install_hostile(&app).await;
        bind_hostile(&app, "21835", "fail").await;
        let second = youth.post("/api/v1/units/21835/nominations", person(22, None)).await;
        assert_eq!(second.status, 201, "{:?}", second.body);
        let answer = format!("/api/v1/nominations/{}/answer", second.body["id"]);
        commune.post(&answer, json!({"accept": true})).await.assert_error(422, "validation_failed");
        let refused = commune.post(&answer, json!({"accept": true, "team_id": own})).await;
        refused.assert_error(502, "plugin_failed");
        assert_eq!(app.count("memberships").await, members + 1, "nothing written");
        let listed = youth.get("/api/v1/units/21835/nominations").await.body;
        let waiting = listed.as_array().unwrap().iter().find(|n| n["id"] == second.body["id"]).unwrap();
        assert_eq!(waiting["status"], "pending");
        // A reason of zero-width characters only is no reason.
        let r = commune.post(&answer, json!({"accept": false, "reason": "\u{200B}\u{FEFF} \u{2060}"})).await;
        r.assert_error(422, "validation_failed");
        let declined = commune.post(&answer, json!({"accept": false, "reason": "Đang học xa nhà"})).await;
        assert_eq!(declined.body["status"], "declined", "{:?}", declined.body);
        assert_eq!(declined.body["decline_reason"], "Đang học xa nhà");
    })
    .await;
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn guidance(title: &str, name: &str) -> String {
    format!("/api/v1/units/547/guidance?title={title}&file_name={name}")
}

#[tokio::test]
async fn guidance_uploads_are_judged_by_their_content_and_served_safely() {
    each_backend(|app| async move {
        app.seed_units().await;
        let culture = app.user("g.vhtt", "district_culture", Some("547"), None).await;
        let commune = app.user("g.xa", "commune_officer", Some("21835"), None).await;
        let elsewhere = app.user("g.khac", "commune_officer", Some("21550"), None).await;
        let (culture, commune, elsewhere) =
            (app.with_token(&culture), app.with_token(&commune), app.with_token(&elsewhere));
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
        let refused: [(String, Vec<u8>, &str); 6] = [
            (guidance("a", "chuong-trinh.pdf"), exe, "file"),
            (guidance("a", "trang.pdf"), b"<html><script>alert(1)</script></html>".to_vec(), "file"),
            (guidance("a", "van-ban.docx"), PDF.to_vec(), "file_name"),
            (guidance("a", "..%2F..%2Fetc%2Fhuong-dan.pdf"), PDF.to_vec(), "file_name"),
            (guidance("a", "..%5Chuong-dan.pdf"), PDF.to_vec(), "file_name"),
            ("/api/v1/units/547/guidance?title=a&link=http://example.vn/x".to_string(), Vec::new(), "link"),
        ];
        for (uri, bytes, field) in refused {
            let r = culture.post_bytes(&uri, "application/pdf", bytes).await;
            r.assert_error(422, "validation_failed");
            assert!(r.fields().contains(&field.to_string()), "{uri}: {:?}", r.body);
        }
        let mut big = PDF.to_vec();
        big.resize(5 * 1024 * 1024 + 1, b' ');
        culture.post_bytes(&guidance("a", "lon.pdf"), "application/pdf", big).await.assert_error(413, "payload_too_large");
        assert_eq!(app.count("guidance_documents").await, 0, "nothing kept");
        let own = "/api/v1/units/21835/guidance?title=a&file_name=x.pdf";
        commune.post_bytes(own, "application/pdf", PDF.to_vec()).await.assert_error(403, "forbidden");

        let published = culture.post_bytes(&guidance("H%C6%B0%E1%BB%9Bng%20d%E1%BA%ABn", "H%C6%B0%E1%BB%9Bng%20d%E1%BA%ABn%20VNeID.pdf"), "application/pdf", PDF.to_vec()).await;
        assert_eq!(published.status, 201, "{:?}", published.body);
        assert_eq!(published.body["media_type"], "application/pdf");
        let id = published.body["id"].as_i64().unwrap();
        // The same file twice is stored once, under its SHA-256.
        let again = culture.post_bytes(&guidance("B%E1%BA%A3n%20sao", "ban-sao.pdf"), "application/pdf", PDF.to_vec()).await;
        assert_eq!(again.body["sha256"], published.body["sha256"]);
        // Addressed to team leaders only: the commune's officer does not see it.
        let leaders = culture
            .post_bytes("/api/v1/units/547/guidance?title=Cho%20t%E1%BB%95%20tr%C6%B0%E1%BB%9Fng&link=https://example.vn/tt&roles=team_leader", "application/octet-stream", Vec::new())
            .await;
        assert_eq!(leaders.status, 201, "{:?}", leaders.body);

        let mine = commune.get("/api/v1/guidance").await.body;
        let titles: Vec<&str> = mine.as_array().unwrap().iter().map(|g| g["title"].as_str().unwrap()).collect();
        assert!(titles.contains(&"Hướng dẫn") && !titles.contains(&"Cho tổ trưởng"), "{titles:?}");
        let (status, headers, bytes) = {
            let token = app.user("g.xa2", "commune_officer", Some("21835"), None).await;
            app.with_token(&token).get_file(&format!("/api/v1/guidance/{id}/file")).await
        };
        assert_eq!(status, 200);
        assert_eq!(bytes, PDF);
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''H%C6%B0%E1%BB%9Bng"), "{disposition}");
        elsewhere.get(&format!("/api/v1/guidance/{id}/file")).await.assert_error(404, "not_found");
        assert!(elsewhere.get("/api/v1/guidance").await.body.as_array().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_district_keeps_one_focal_point_and_the_province_sees_them_all() {
    each_backend(|app| async move {
        app.seed_units().await;
        let culture = app.user("m.vhtt", "district_culture", Some("547"), None).await;
        let culture = app.with_token(&culture);
        let add = |name: &str, focal: bool| {
            json!({"full_name": name, "title": "Tổ trưởng", "office": "Phòng VH-TT", "phone": "0256385210",
                   "focal_point": focal, "from_date": "01/08/2022"})
        };
        let first = culture.post("/api/v1/units/547/management-group", add("Nguyễn Thị Nhung", true)).await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        assert_eq!(first.body["focal_point"], true);
        let second = culture.post("/api/v1/units/547/management-group", add("Trần Văn Quang", true)).await;
        assert_eq!(second.status, 201);
        culture
            .post("/api/v1/units/540/management-group", add("Lê Văn Khác", true))
            .await
            .assert_error(404, "not_found");
        assert_eq!(
            app.post("/api/v1/units/540/management-group", add("Lê Thị Quy Nhơn", true)).await.status,
            201
        );
        let mut bad = add("X", false);
        bad["phone"] = json!("12");
        bad["from_date"] = json!("31/02/2022");
        let r = culture.post("/api/v1/units/547/management-group", bad).await;
        r.assert_error(422, "validation_failed");
        assert!(r.fields().contains(&"phone".to_string()) && r.fields().contains(&"from_date".to_string()));

        let all = app.get("/api/v1/units/52/management-group").await.body;
        let focal: Vec<(&str, &str)> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["focal_point"] == true)
            .map(|m| (m["unit_code"].as_str().unwrap(), m["full_name"].as_str().unwrap()))
            .collect();
        assert_eq!(focal, [("540", "Lê Thị Quy Nhơn"), ("547", "Trần Văn Quang")], "one per district");
        // Days outside 2000 to a year ahead, and groups at a commune, are refused.
        for day in ["01/01/1800", "01/01/2999"] {
            let r = culture
                .post(
                    "/api/v1/units/547/management-group",
                    json!({"full_name": "Y", "title": "Tổ viên", "from_date": day}),
                )
                .await;
            r.assert_error(422, "validation_failed");
            assert_eq!(r.fields(), vec!["from_date".to_string()], "{day}: {:?}", r.body);
        }
        let r = culture.post("/api/v1/units/21835/management-group", add("Z", false)).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.fields(), vec!["unit".to_string()], "{:?}", r.body);

        // A handover planned for next month changes nothing today; the audit trail names the
        // focal point it follows.
        let next_month = sohoa::dates::display(sohoa::dates::today() + chrono::Days::new(30));
        let mut planned = add("Phạm Thị Lan", true);
        planned["from_date"] = json!(next_month);
        let planned = culture.post("/api/v1/units/547/management-group", planned).await;
        assert_eq!(planned.status, 201, "{:?}", planned.body);
        assert_eq!(
            (&planned.body["named_focal_point"], &planned.body["focal_point"]),
            (&json!(true), &json!(false))
        );
        let today: Vec<Value> =
            culture.get("/api/v1/units/547/management-group").await.body.as_array().unwrap().clone();
        assert_eq!(today[0]["full_name"], "Trần Văn Quang", "still the focal point, listed first");
        assert_eq!(today.iter().filter(|m| m["focal_point"] == true).count(), 1);
        let trail: String = sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE entity = 'management_group' AND entity_id = $1",
        )
        .bind(planned.body["id"].as_i64().unwrap().to_string())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert!(trail.contains("\"focal_point_before\":\"Trần Văn Quang\""), "{trail}");
        // The whole record, as written.
        for part in ["\"office\":\"Phòng VH-TT\"", "\"phone\":\"0256385210\"", "\"until_date\":null"] {
            assert!(trail.contains(part), "{part}: {trail}");
        }

        let end = format!("/api/v1/management-group/{}/end", second.body["id"]);
        culture.post(&end, json!({"until_date": "2022-01-01"})).await.assert_error(422, "validation_failed");
        let ended = culture.post(&end, json!({"until_date": "2023-06-30"})).await;
        assert_eq!(
            (ended.body["current"].clone(), ended.body["focal_point"].clone()),
            (json!(false), json!(false))
        );
        // Ended once; the one they followed does not become focal point again.
        culture.post(&end, json!({"until_date": "2023-07-30"})).await.assert_error(409, "conflict");
        let now: Vec<Value> =
            culture.get("/api/v1/units/547/management-group").await.body.as_array().unwrap().clone();
        assert!(now.iter().all(|m| m["focal_point"] == false), "the post is vacant: {now:?}");
    })
    .await;
}
