//! Reports: the enabled template writes, the host counts and lays out (Decree 30/2020).

use serde_json::json;

use crate::harness::{TestApp, each_backend, enable};
use crate::teams::team;

async fn member(app: &TestApp, team_id: &serde_json::Value, name: &str, position: &str) {
    let body = json!({"team_id": team_id, "full_name": name, "gender": "female", "birth_year": 1995,
                      "position": position, "affiliation": "youth_union", "joined_on": "2022-07-01"});
    let r = app.post("/api/v1/members", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

const QUARTERLY: &str = "/api/v1/units/547/reports/binh-dinh-bao-cao-quy";

fn q3(values: serde_json::Value) -> serde_json::Value {
    json!({"period": "2022-Q3", "issued_on": "05/10/2022", "values": values})
}

#[tokio::test]
async fn the_quarterly_report_counts_teams_and_reads_in_every_format() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        enable(&app, "bao-cao-thang-xa", "report").await;
        let commune = team(&app, "21835", "2022-06-15").await;
        member(&app, &commune["id"], "Nguyễn Thị Lan", "leader").await;
        member(&app, &commune["id"], "Trần Thị Mai", "member").await;
        let village = team(&app, "21835-01", "2022-07-01").await;
        member(&app, &village["id"], "Lê Thị Hoa", "leader").await;

        // Both templates are enabled below the province.
        let listed = app.get("/api/v1/units/547/reports").await.body;
        let ids: Vec<&str> =
            listed.as_array().unwrap().iter().map(|t| t["plugin_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["bao-cao-thang-xa", "binh-dinh-bao-cao-quy"], "{}", app.backend);

        let r = app.post(QUARTERLY, q3(json!({"21835": {"ho_duoc_huong_dan": 1234, "tk_vneid": 800}}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["plugin"]["plugin_id"], "binh-dinh-bao-cao-quy");
        assert_eq!(r.body["place_date"], "Tây Sơn, ngày 05 tháng 10 năm 2022");
        assert_eq!(r.body["subject"], "Kết quả hoạt động của Tổ công nghệ số cộng đồng quý III năm 2022");
        let text = r.body["text"].as_str().unwrap();
        // Bình Tường: its commune team and one village team, three members; 1.234 in Vietnamese.
        assert!(text.contains("| Xã Bình Tường | 2 | 3 | 1.234 | 800 | - | - | -"), "{text}");
        assert!(text.contains("| Tổng cộng | 2 | 3 | 1.234 | 800 | 0 | 0 | 0"), "{text}");
        assert!(text.contains("có 1/3 đơn vị cấp xã đã thành lập"), "{text}");

        let (status, headers, html) =
            app.admin().await.post_for_file(&format!("{QUARTERLY}?format=html"), q3(json!({}))).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
                && html.contains("Độc lập - Tự do - Hạnh phúc")
        );
        assert!(html.contains("Nơi nhận:") && html.contains("Tây Sơn, ngày 05 tháng 10 năm 2022"));

        let (status, headers, docx) =
            app.admin().await.post_for_file(&format!("{QUARTERLY}?format=docx"), q3(json!({}))).await;
        assert_eq!(status, 200);
        assert!(headers["content-disposition"].to_str().unwrap().contains("quy-iii-nam-2022.docx"));
        let doc = docx_rs::read_docx(&docx).expect("a DOCX docx-rs can read back").json();
        for words in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "PHÒNG VĂN HÓA VÀ THÔNG TIN",
            "Số:      /BC-VHTT",
            "Nơi nhận:",
            "TRƯỞNG PHÒNG",
            "Times New Roman",
        ] {
            assert!(doc.contains(words), "{words} in the DOCX");
        }

        let (status, _, xlsx) = app
            .admin()
            .await
            .post_for_file(
                &format!("{QUARTERLY}?format=xlsx"),
                q3(json!({"21835": {"ho_duoc_huong_dan": 1234}})),
            )
            .await;
        assert_eq!(status, 200);
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX calamine can read");
        let sheet = book.worksheet_range("Báo cáo").unwrap();
        let numbers: Vec<f64> = sheet
            .cells()
            .filter_map(|(_, _, c)| match c {
                calamine::Data::Float(f) => Some(*f),
                _ => None,
            })
            .collect();
        assert!(numbers.contains(&1234.0), "figures are numbers in the spreadsheet: {numbers:?}");

        // The commune's monthly report lists its villages.
        let r = app
            .post(
                "/api/v1/units/21835/reports/bao-cao-thang-xa",
                json!({"period": "2022-07", "issued_on": "2022-08-02"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let text = r.body["text"].as_str().unwrap();
        assert!(text.starts_with("UBND XÃ BÌNH TƯỜNG"), "{text}");
        assert!(text.contains("| Thôn Phú Thịnh | 1 |") && text.contains("| Thôn Hòa Hiệp | 0 |"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn bad_report_requests_are_refused_clearly() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        // A unit that is not under the district, and an indicator the template does not read.
        let r = app.post(QUARTERLY, q3(json!({"21550": {"ho_duoc_huong_dan": 1}, "21835": {"so_ho": 3}}))).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.fields(), ["values.21550", "values.21835.so_ho"]);
        let r = app.post(QUARTERLY, q3(json!({"21835": {"tk_vneid": -5}}))).await;
        assert_eq!(r.fields(), ["values.21835.tk_vneid"]);
        // A month is not a quarter: the template's declared form says so (interface 0.2.0),
        // and periods are written one way.
        let r = app.post(QUARTERLY, json!({"period": "2022-07"})).await;
        assert_eq!(r.fields(), ["period"], "{:?}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("reports by quarter (e.g. 2022-Q3)"));
        let r = app.post(QUARTERLY, json!({"period": "2022-q3"})).await;
        assert!(r.body["error"]["message"].as_str().unwrap().contains("is not a period"), "{:?}", r.body);
        let r = app.post(QUARTERLY, json!({"period": "2022-Q3", "issued_on": "31/02/2022"})).await;
        assert_eq!(r.fields(), ["issued_on"]);
        let r = app.post(&format!("{QUARTERLY}?format=odt"), q3(json!({}))).await;
        assert_eq!(r.status, 400);
        let r = app.post("/api/v1/units/547/reports/khong-co-mau-nay", q3(json!({}))).await;
        assert_eq!(r.status, 404);
        // Switching the template off for the district: no longer offered there.
        let off = app.post("/api/v1/units/547/plugins", json!({"kind": "report", "plugin_id": "binh-dinh-bao-cao-quy", "effective_from": "2022-01-01"})).await;
        assert_eq!(off.status, 201, "{:?}", off.body);
        assert_eq!(app.post(QUARTERLY, q3(json!({}))).await.status, 404);
        assert_eq!(app.get("/api/v1/units/547/reports").await.body, json!([]));
        // A report binding must name its template.
        let r = app.post("/api/v1/units/547/plugins", json!({"kind": "report"})).await;
        assert_eq!(r.fields(), ["plugin_id"]);
    })
    .await;
}
