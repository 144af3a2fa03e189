//! The reporting workflow: submissions with their checks and deadlines, review up the tree,
//! compiled reports with their approval, roll-up over the tree as of the period, and documents
//! made again byte for byte.

use serde_json::{Value, json};
use sohoa::periods::{CutOff, Period, PeriodType};

use crate::harness::{TestApp, component, each_backend, each_backend_with, enable};

/// The test template (`plugins/tests/report-template-v*`): communes, calendar quarters, due 10
/// days after the quarter; households guided (required, summed) and a percentage weighted by it.
pub const TEMPLATE: &str = "bao-cao-thu-nghiem";

/// Installs a version of the test template and binds it at the province from `from`.
pub async fn install_template(app: &TestApp, crate_name: &str, from: &str) -> String {
    let r = app.post_bytes("/api/v1/plugins", "application/wasm", component(crate_name)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let version = r.body["version"].as_str().unwrap().to_string();
    let body = json!({"kind": "report", "plugin_id": TEMPLATE, "version": version, "effective_from": from});
    let r = app.post("/api/v1/units/52/plugins", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    version
}

/// The calendar quarter of today: open for submissions until 10 days after it ends.
pub fn this_quarter() -> String {
    Period::containing(sohoa::dates::today(), PeriodType::Quarter, CutOff::Calendar).unwrap().id
}

fn submission(unit: &str, template: &str, period: &str) -> String {
    format!("/api/v1/units/{unit}/submissions/{template}/{period}")
}

fn compiled(unit: &str, template: &str, period: &str) -> String {
    format!("/api/v1/units/{unit}/compiled/{template}/{period}")
}

fn codes(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{}@{}", d["code"].as_str().unwrap_or(""), d["field"].as_str().unwrap()))
        .collect()
}

fn actions(body: &Value) -> Vec<&str> {
    body["timeline"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect()
}

fn in_days(days: i64) -> String {
    sohoa::dates::display(sohoa::dates::today() + chrono::Duration::days(days))
}

#[tokio::test]
async fn a_commune_report_goes_up_is_returned_corrected_accepted_compiled_approved_and_sent() {
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        let xa = app.user("xa.binhtuong", "commune_officer", Some("21835"), None).await;
        let xa = app.with_token(&xa);
        let phu_phong = app.user("xa.phuphong", "commune_officer", Some("21808"), None).await;
        let phu_phong = app.with_token(&phu_phong);
        let vhtt = app.user("vhtt.tayson", "district_culture", Some("547"), None).await;
        let vhtt = app.with_token(&vhtt);
        let lanhdao = app.user("lanhdao.tayson", "district_leader", Some("547"), None).await;
        let lanhdao = app.with_token(&lanhdao);
        let url = submission("21835", TEMPLATE, &q);

        let r = xa.get(&url).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!((r.body["status"].as_str(), r.body["open"].as_bool()), (Some("not_started"), Some(true)));
        assert_eq!(r.body["reviewer_code"], "547");
        let current = xa.get(&submission("21835", TEMPLATE, "current")).await;
        assert_eq!(
            current.body["period"]["id"],
            q.as_str(),
            "current names this quarter: {:?}",
            current.body
        );
        let end = Period::parse(&q, CutOff::Calendar).unwrap().end;
        assert_eq!(r.body["deadline"], sohoa::dates::iso(end + chrono::Duration::days(10)));

        // A draft keeps what is typed; only indicators the form lacks are refused.
        let r = xa.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": 120}})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("draft")), "{:?}", r.body);
        let r = xa.send_json("PUT", &url, json!({"figures": {"khong_co": 1}})).await;
        r.assert_error(422, "validation_failed");
        assert_eq!(codes(&r.body), ["chi-tieu-khong-co@figures.khong_co"]);

        // Submitting runs every check: a percentage over 100 and a missing required figure.
        let r =
            xa.send_json("PUT", &url, json!({"figures": {"ty_le_co_tai_khoan": 140}, "submit": true})).await;
        r.assert_error(422, "submission_invalid");
        assert_eq!(
            codes(&r.body),
            ["ngoai-gioi-han@figures.ty_le_co_tai_khoan", "thieu-chi-tieu@figures.ho_duoc_huong_dan"]
        );
        let r = xa.get(&url).await;
        assert_eq!(r.body["status"], "draft", "a refused submission changes nothing");
        assert_eq!(r.body["figures"], json!({"ho_duoc_huong_dan": 120.0}));

        let r = xa
            .send_json(
                "PUT",
                &url,
                json!({"figures": {"ho_duoc_huong_dan": 120, "ty_le_co_tai_khoan": 50}, "submit": true}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("submitted")), "{:?}", r.body);
        assert_eq!(r.body["late"], false);

        // The commune cannot judge its own figures; the district office can.
        xa.post(&format!("{url}/review"), json!({"decision": "accept"})).await.assert_error(404, "not_found");
        let r = vhtt.post(&format!("{url}/review"), json!({"decision": "return", "reason": "  "})).await;
        r.assert_error(422, "validation_failed");
        let reason = "Số hộ chưa khớp sổ theo dõi của thôn";
        let r = vhtt.post(&format!("{url}/review"), json!({"decision": "return", "reason": reason})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("returned")), "{:?}", r.body);
        assert_eq!(r.body["return_reason"], reason);
        assert_eq!(xa.get(&url).await.body["open"], true, "a return reopens the form");

        let r = xa
            .send_json(
                "PUT",
                &url,
                json!({"figures": {"ho_duoc_huong_dan": 100, "ty_le_co_tai_khoan": 60}, "submit": true}),
            )
            .await;
        assert_eq!(r.body["status"], "submitted", "{:?}", r.body);
        let r = vhtt.post(&format!("{url}/review"), json!({"decision": "accept"})).await;
        assert_eq!(r.body["status"], "accepted", "{:?}", r.body);
        let r = xa.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": 1}})).await;
        r.assert_error(409, "locked");
        assert!(r.message().contains("accepted by Huyện Tây Sơn"), "{}", r.message());

        let other = submission("21808", TEMPLATE, &q);
        let r = phu_phong
            .send_json(
                "PUT",
                &other,
                json!({"figures": {"ho_duoc_huong_dan": 300, "ty_le_co_tai_khoan": 20}, "submit": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        vhtt.post(&format!("{other}/review"), json!({"decision": "accept"})).await;

        // The district compiles from the accepted figures: 100 + 300 households, and the share
        // weighted by households, (100 × 60 + 300 × 20) / 400 = 30.
        let report = compiled("547", TEMPLATE, &q);
        xa.post(&report, json!({})).await.assert_error(404, "not_found");
        let r = vhtt.post(&report, json!({})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("compiled")), "{:?}", r.body);
        assert_eq!(r.body["totals"], json!({"ho_duoc_huong_dan": 400.0, "ty_le_co_tai_khoan": 30.0}));
        let c = &r.body["completeness"];
        assert_eq!(
            (c["expected"].as_u64(), c["received"].as_u64(), c["missing"].as_u64()),
            (Some(3), Some(2), Some(1))
        );
        let lines: Vec<(&str, &str)> = r.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["unit_code"].as_str().unwrap(), l["status"].as_str().unwrap()))
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.contains(&("21820", "missing")) && lines.contains(&("21835", "on_time")), "{lines:?}");
        let doc = vhtt.get(&format!("{report}/document")).await;
        assert_eq!(doc.status, 200, "{:?}", doc.body);
        assert!(
            doc.body["text"].as_str().unwrap().contains("Tổng cộng | 400 | 30\n"),
            "{}",
            doc.body["text"]
        );

        // The leadership approves; then the figures below are frozen.
        let decide = format!("{report}/decision");
        vhtt.post(&decide, json!({"step": "approve"})).await.assert_error(403, "forbidden");
        let r = lanhdao.post(&decide, json!({"step": "approve"})).await;
        assert_eq!(r.body["status"], "approved", "{:?}", r.body);
        let r = vhtt.post(&format!("{url}/review"), json!({"decision": "return", "reason": "sửa lại"})).await;
        r.assert_error(409, "locked");
        vhtt.post(&report, json!({})).await.assert_error(409, "locked");
        lanhdao.post(&decide, json!({"step": "send"})).await.assert_error(403, "forbidden");
        let r = vhtt.post(&decide, json!({"step": "send"})).await;
        assert_eq!(r.body["status"], "sent", "{:?}", r.body);
        vhtt.post(&decide, json!({"step": "send"})).await.assert_error(409, "conflict");

        // Only the province returns it, with a reason; that reopens what is below.
        vhtt.post(&decide, json!({"step": "return", "reason": "x"})).await.assert_error(404, "not_found");
        let r = app
            .admin()
            .await
            .post(&decide, json!({"step": "return", "reason": "Bổ sung số liệu xã Tây Giang"}))
            .await;
        assert_eq!(r.body["status"], "returned", "{:?}", r.body);
        assert_eq!(r.body["return_reason"], "Bổ sung số liệu xã Tây Giang");
        let r = vhtt
            .post(
                &format!("{url}/review"),
                json!({"decision": "return", "reason": "Bổ sung theo yêu cầu của Sở"}),
            )
            .await;
        assert_eq!(r.body["status"], "returned", "{:?}", r.body);

        // Every step is in the audit trail, shown as the timelines.
        assert_eq!(
            actions(&xa.get(&url).await.body),
            ["save", "submit", "return", "submit", "accept", "return"]
        );
        assert_eq!(actions(&vhtt.get(&report).await.body), ["compile", "approve", "send", "return"]);
        let audit = app.get("/api/v1/audit?entity=report_submission").await;
        assert_eq!(audit.status, 200, "{:?}", audit.body);
    })
    .await;
}

#[tokio::test]
async fn past_the_deadline_the_form_is_locked_until_the_district_opens_it_and_the_report_is_late() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        let xa = app.user("xa.binhtuong", "commune_officer", Some("21835"), None).await;
        let xa = app.with_token(&xa);
        let vhtt = app.user("vhtt.tayson", "district_culture", Some("547"), None).await;
        let vhtt = app.with_token(&vhtt);
        let viewer = app.user("xem.tayson", "viewer", Some("547"), None).await;
        let template = "binh-dinh-bao-cao-quy";
        let q2 = submission("21835", template, "2022-Q2");
        let q3 = submission("21835", template, "2022-Q3");

        // Decree 09/2019: the third quarter counts to 14/09/2022, due 4 days later.
        let r = xa.send_json("PUT", &q3, json!({"figures": {"ho_duoc_huong_dan": 100}})).await;
        r.assert_error(409, "locked");
        assert!(r.message().contains("due by 18/09/2022"), "{}", r.message());
        assert!(r.message().contains("Huyện Tây Sơn"), "{}", r.message());
        assert_eq!(app.count("report_submissions").await, 0);
        app.with_token(&viewer)
            .send_json("PUT", &q3, json!({"figures": {}}))
            .await
            .assert_error(403, "forbidden");

        // Opening it again needs a reason and a day from today to 90 days ahead.
        let unlock = |url: &str, body: Value| {
            let (url, vhtt) = (format!("{url}/unlock"), &vhtt);
            async move { vhtt.post(&url, body).await }
        };
        unlock(&q3, json!({"reason": "", "open_until": in_days(3)}))
            .await
            .assert_error(422, "validation_failed");
        unlock(&q3, json!({"reason": "Ốm", "open_until": in_days(-1)}))
            .await
            .assert_error(422, "validation_failed");
        unlock(&q3, json!({"reason": "Ốm", "open_until": in_days(91)}))
            .await
            .assert_error(422, "validation_failed");
        xa.post(&format!("{q3}/unlock"), json!({"reason": "tự mở", "open_until": in_days(3)}))
            .await
            .assert_error(404, "not_found");
        let r = unlock(&q3, json!({"reason": "Cán bộ xã nghỉ ốm", "open_until": in_days(3)})).await;
        assert_eq!((r.status.as_u16(), r.body["open"].as_bool()), (200, Some(true)), "{:?}", r.body);
        let r = unlock(&q2, json!({"reason": "Bổ sung quý II", "open_until": in_days(3)})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);

        // Quarter II, then accepted: the comparison quarter III's check reads.
        let r =
            xa.send_json("PUT", &q2, json!({"figures": {"ho_duoc_huong_dan": 1000}, "submit": true})).await;
        assert_eq!((r.status.as_u16(), r.body["late"].as_bool()), (200, Some(true)), "{:?}", r.body);
        vhtt.post(&format!("{q2}/review"), json!({"decision": "accept"})).await;

        // The template's own error: more VNeID accounts than 4 per household guided.
        let r = xa
            .send_json(
                "PUT",
                &q3,
                json!({"figures": {"ho_duoc_huong_dan": 100, "tk_vneid": 500}, "submit": true}),
            )
            .await;
        r.assert_error(422, "submission_invalid");
        assert_eq!(codes(&r.body), ["vneid-vuot-so-ho@figures.tk_vneid"]);
        // Its warning: households guided fell by more than half since quarter II.
        let figures = json!({"ho_duoc_huong_dan": 100, "tk_vneid": 300});
        let r = xa.send_json("PUT", &q3, json!({"figures": figures, "submit": true})).await;
        r.assert_error(422, "confirmation_required");
        assert_eq!(codes(&r.body), ["giam-manh@figures.ho_duoc_huong_dan"]);
        let r = xa
            .send_json(
                "PUT",
                &q3,
                json!({"figures": figures, "submit": true, "confirm": ["giam-manh@tk_vneid"]}),
            )
            .await;
        r.assert_error(422, "confirmation_required");
        let r = xa
            .send_json(
                "PUT",
                &q3,
                json!({"figures": figures, "submit": true, "confirm": ["giam-manh@ho_duoc_huong_dan"]}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("submitted")), "{:?}", r.body);
        assert_eq!(r.body["late"], true, "submitted through an unlock after the deadline");
        assert_eq!(r.body["confirmed"][0]["code"], "giam-manh");
        assert_eq!(r.body["previous"], json!({"ho_duoc_huong_dan": 1000.0}));
        assert_eq!(actions(&r.body), ["unlock", "submit"]);
    })
    .await;
}

#[tokio::test]
async fn a_stored_report_renders_byte_identical_after_its_template_is_upgraded() {
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        let url = submission("21835", TEMPLATE, &q);
        let r =
            app.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": 75}, "submit": true})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let vhtt = app.user("vhtt.tayson", "district_culture", Some("547"), None).await;
        let r = app.with_token(&vhtt).post(&format!("{url}/review"), json!({"decision": "accept"})).await;
        assert_eq!(r.body["status"], "accepted", "{:?}", r.body);
        let report = compiled("547", TEMPLATE, &q);
        let r = app.post(&report, json!({})).await;
        assert_eq!(r.body["version"], "1.0.0", "{:?}", r.body);

        let mut before = Vec::new();
        for format in ["docx", "xlsx", "html"] {
            let (status, _, bytes) =
                app.admin().await.get_file(&format!("{report}/document?format={format}")).await;
            assert_eq!(status, 200);
            before.push(bytes);
        }
        // A second later (zip entries carry times to the second), with version 2 in force.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(install_template(&app, "report-template-v2", "2021-01-01").await, "2.0.0");
        for (format, bytes) in ["docx", "xlsx", "html"].iter().zip(&before) {
            let (status, _, again) =
                app.admin().await.get_file(&format!("{report}/document?format={format}")).await;
            assert_eq!(status, 200);
            assert!(
                again == *bytes,
                "{format} made again differs ({} and {} bytes)",
                again.len(),
                bytes.len()
            );
        }
        let text = app.get(&format!("{report}/document")).await.body["subject"].as_str().unwrap().to_string();
        assert!(text.ends_with("(mẫu 1.0.0)"), "{text}");

        // A new compilation takes the version now in force for the period.
        let r = app.post(&report, json!({})).await;
        assert_eq!(r.body["version"], "2.0.0", "{:?}", r.body);
        let text = app.get(&format!("{report}/document")).await.body["subject"].as_str().unwrap().to_string();
        assert!(text.ends_with("(mẫu 2.0.0)"), "{text}");
        assert_eq!(actions(&app.get(&report).await.body), ["compile", "compile"]);
    })
    .await;
}

#[tokio::test]
async fn a_unit_outside_the_forms_level_or_a_template_without_a_form_is_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        // A district does not submit a commune form, a commune does not compile it.
        let r = app.send_json("PUT", &submission("547", TEMPLATE, &q), json!({"figures": {}})).await;
        r.assert_error(422, "validation_failed");
        app.post(&compiled("21835", TEMPLATE, &q), json!({})).await.assert_error(422, "validation_failed");
        // A month for a quarterly form; a malformed period; a template not enabled.
        app.get(&submission("21835", TEMPLATE, "2022-07")).await.assert_error(422, "validation_failed");
        app.get(&submission("21835", TEMPLATE, "2022-Q9")).await.assert_error(422, "validation_failed");
        app.get(&submission("21835", "khong-co", &q)).await.assert_error(404, "not_found");
        // Before the binding's first day the template is not in force.
        app.get(&submission("21835", TEMPLATE, "2019-Q4")).await.assert_error(404, "not_found");
        // Nothing compiled yet: no document.
        app.get(&format!("{}/document", compiled("547", TEMPLATE, &q))).await.assert_error(404, "not_found");
        let r = app.get(&compiled("547", TEMPLATE, &q)).await;
        assert_eq!(r.body["status"], "not_compiled", "{:?}", r.body);
        assert_eq!(app.count("report_submissions").await + app.count("compiled_reports").await, 0);
    })
    .await;
}

/// Reports for 2024 add up over 2024's tree (communes under districts), those for 2025-Q3 over
/// the tree after the reform of 01/07/2025 (new communes under the province).
#[tokio::test]
async fn quarters_before_and_after_the_2025_reform_roll_up_over_their_own_trees() {
    use sohoa::audit::Actor;
    use sohoa::units::{self, UnitSource};
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/binh-dinh-2022-with-2025-mapping.json");
    let source = UnitSource::read(&path).expect("the shared Bình Định mapping beside the repository");
    each_backend(move |app| {
        let units = source.units.clone();
        let mapping = source.reform_2025.clone().unwrap();
        async move {
            let mut tx = app.db.begin_write().await.unwrap();
            units::import_units(&mut tx, &Actor::system("test"), &units, None, &|_, _| {}).await.unwrap();
            units::apply_2025_reform(&mut tx, &Actor::system("test"), "52", &mapping).await.unwrap();
            tx.commit().await.unwrap();
            install_template(&app, "report-template-v1", "2020-01-01").await;
            let reviewer = app.user("tinh.duyet", "province_admin", Some("52"), None).await;
            let binh_phu = app.get("/api/v1/units/21835").await.body["successors"][0]["code"]
                .as_str()
                .unwrap()
                .to_string();

            // Reports long past their deadlines: opened, submitted and accepted by the province.
            let report = |unit: String, period: &'static str, households: u32| {
                let (app, reviewer) = (&app, &reviewer);
                async move {
                    let url = submission(&unit, TEMPLATE, period);
                    let r = app
                        .post(
                            &format!("{url}/unlock"),
                            json!({"reason": "nhập bù", "open_until": in_days(1)}),
                        )
                        .await;
                    assert_eq!(r.status, 200, "{unit} {period}: {:?}", r.body);
                    let figures = json!({"figures": {"ho_duoc_huong_dan": households}, "submit": true});
                    let r = app.send_json("PUT", &url, figures).await;
                    assert_eq!(r.status, 200, "{unit} {period}: {:?}", r.body);
                    let r = app
                        .with_token(reviewer)
                        .post(&format!("{url}/review"), json!({"decision": "accept"}))
                        .await;
                    assert_eq!(r.body["status"], "accepted", "{unit} {period}: {:?}", r.body);
                }
            };
            report("21835".into(), "2024-Q4", 10).await;
            report("21841".into(), "2024-Q4", 20).await;
            report("21550".into(), "2024-Q4", 40).await;
            report(binh_phu.clone(), "2025-Q3", 100).await;
            // A 2024 commune does not report for 2025-Q3: it no longer exists then.
            let r =
                app.send_json("PUT", &submission("21841", TEMPLATE, "2025-Q3"), json!({"figures": {}})).await;
            r.assert_error(422, "validation_failed");

            let c = app.get(&format!("/api/v1/units/52/completeness/{TEMPLATE}/2024-Q4")).await;
            assert_eq!(c.status, 200, "{:?}", c.body);
            assert_eq!(
                (c.body["summary"]["expected"].as_u64(), c.body["summary"]["received"].as_u64()),
                (Some(159), Some(3))
            );
            let tay_son =
                c.body["by_child"].as_array().unwrap().iter().find(|d| d["unit_code"] == "547").unwrap();
            assert_eq!(
                (tay_son["summary"]["expected"].as_u64(), tay_son["summary"]["received"].as_u64()),
                (Some(15), Some(2))
            );
            let r = app.post(&compiled("52", TEMPLATE, "2024-Q4"), json!({})).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            assert_eq!(r.body["totals"]["ho_duoc_huong_dan"], 70.0, "2024's three communes, not 2025's");
            let lines = r.body["lines"].as_array().unwrap();
            assert_eq!(lines.len(), 11, "2024's eleven districts");
            let line = lines.iter().find(|l| l["unit_code"] == "547").unwrap();
            assert_eq!(line["figures"]["ho_duoc_huong_dan"], 30.0, "Bình Tường and Vĩnh An under Tây Sơn");

            let c = app.get(&format!("/api/v1/units/52/completeness/{TEMPLATE}/2025-Q3")).await;
            let expected = c.body["summary"]["expected"].as_u64().unwrap();
            assert!((58..159).contains(&expected), "2025's communes: {expected}");
            assert_eq!(c.body["summary"]["received"], 1);
            let r = app.post(&compiled("52", TEMPLATE, "2025-Q3"), json!({})).await;
            assert_eq!(r.body["totals"]["ho_duoc_huong_dan"], 100.0, "{:?}", r.body["totals"]);
            assert_eq!(
                r.body["lines"].as_array().unwrap().len() as u64,
                expected,
                "communes directly under the province"
            );
            // Tây Sơn's own report for 2024-Q4 adds up its two communes.
            let r = app.post(&compiled("547", TEMPLATE, "2024-Q4"), json!({})).await;
            assert_eq!(r.body["totals"]["ho_duoc_huong_dan"], 30.0, "{:?}", r.body);
        }
    })
    .await;
}

/// A workbook as an official would fill it: the exported header, then rows.
fn workbook(header: &[String], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if !v.contains('.') && !v.contains(',') => {
                    sheet.write_number(r as u32 + 1, c as u16, n).unwrap()
                }
                _ => sheet.write_string(r as u32 + 1, c as u16, *v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_district_enters_its_communes_figures_from_a_spreadsheet_row_by_row() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        let q =
            Period::containing(sohoa::dates::today(), PeriodType::Quarter, CutOff::Decree092019).unwrap().id;
        let xlsx = format!("/api/v1/units/547/submissions/binh-dinh-bao-cao-quy/{q}/xlsx");
        let (status, headers, bytes) = app.admin().await.get_file(&xlsx).await;
        assert_eq!(status, 200);
        assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
        // The export: one row per commune of Tây Sơn, the indicators named with their codes.
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Số liệu").unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(&header[..3], ["Mã đơn vị", "Đơn vị", "Tình trạng"]);
        assert!(
            header.contains(&"Hộ gia đình được hướng dẫn (hộ) [ho_duoc_huong_dan]".to_string()),
            "{header:?}"
        );
        let codes: Vec<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
        assert_eq!(codes.len(), 3, "{codes:?}");
        assert!(codes.contains(&"21835".into()) && codes.contains(&"21808".into()));

        // Filled in: a good row with Vietnamese text numbers, a row the rule refuses, a row
        // with a word for a number, a unit from another district, an empty row.
        let col = |code: &str| header.iter().position(|h| h.ends_with(&format!("[{code}]"))).unwrap();
        let mut rows = Vec::new();
        for (unit, households, vneid) in [
            ("21835", "1.234", "2.000"),
            ("21808", "100", "900"),
            ("21820", "một trăm", ""),
            ("21550", "10", ""),
            ("", "", ""),
        ] {
            let mut cells = vec![""; header.len()];
            cells[0] = unit;
            cells[col("ho_duoc_huong_dan")] = households;
            cells[col("tk_vneid")] = vneid;
            rows.push(cells);
        }
        let file = workbook(&header, &rows);
        let r = app
            .post_bytes(
                &format!("{xlsx}?submit=true"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            (r.body["submitted"].as_u64(), r.body["refused"].as_u64()),
            (Some(1), Some(3)),
            "{:?}",
            r.body
        );
        let outcome =
            |row: u64| r.body["rows"].as_array().unwrap().iter().find(|o| o["row"] == row).unwrap().clone();
        assert_eq!(outcome(2)["outcome"], "submitted");
        assert_eq!(outcome(3)["messages"][0]["code"], "vneid-vuot-so-ho");
        assert_eq!(outcome(3)["messages"][0]["row"], 3);
        assert!(
            outcome(4)["messages"][0]["message"].as_str().unwrap().contains("'một trăm' is not a number")
        );
        assert!(outcome(5)["messages"][0]["message"].as_str().unwrap().contains("'21550' is not a unit"));
        assert_eq!(r.body["rows"].as_array().unwrap().len(), 4, "the empty row is no row");

        let saved = app.get(&submission("21835", "binh-dinh-bao-cao-quy", &q)).await;
        assert_eq!(saved.body["status"], "submitted");
        assert_eq!(saved.body["figures"], json!({"ho_duoc_huong_dan": 1234.0, "tk_vneid": 2000.0}));
        assert_eq!(
            app.get(&submission("21808", "binh-dinh-bao-cao-quy", &q)).await.body["status"],
            "not_started"
        );

        // A file with one indicator column: the others keep their figures; a unit on two rows is
        // refused the second time; a row as saved is left alone.
        let short = vec!["Mã đơn vị".to_string(), header[col("ho_duoc_huong_dan")].clone()];
        let file = workbook(&short, &[vec!["21820", "300"], vec!["21820", "301"], vec!["21835", "1.234"]]);
        let r = app.post_bytes(&xlsx, XLSX_TYPE, file).await;
        let outcomes: Vec<&str> =
            r.body["rows"].as_array().unwrap().iter().map(|o| o["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["saved", "refused", "unchanged"], "{:?}", r.body);
        let kept = app.get(&submission("21835", "binh-dinh-bao-cao-quy", &q)).await;
        assert_eq!(kept.body["figures"], json!({"ho_duoc_huong_dan": 1234.0, "tk_vneid": 2000.0}));
        assert_eq!(kept.body["status"], "submitted");

        // Not a workbook; a workbook without the layout.
        let r = app
            .post_bytes(
                &xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b"PK not".to_vec(),
            )
            .await;
        r.assert_error(400, "bad_request");
        let r = app
            .post_bytes(
                &xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                workbook(&["A".into()], &[]),
            )
            .await;
        r.assert_error(422, "validation_failed");
        app.post_bytes(&xlsx, "text/csv", b"a,b".to_vec()).await.assert_error(415, "unsupported_media_type");
    })
    .await;
}

/// An exported form with `value` typed into the `indicator` column of every row.
pub fn filled(exported: &[u8], indicator: &str, value: &str) -> Vec<u8> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(exported.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = header.iter().position(|h| h.ends_with(&format!("[{indicator}]"))).unwrap();
    let cells: Vec<Vec<String>> = rows
        .map(|r| {
            let mut cells: Vec<String> = r.iter().map(|c| c.to_string()).collect();
            cells.resize(header.len(), String::new());
            cells[col] = value.to_string();
            cells
        })
        .collect();
    let cells: Vec<Vec<&str>> = cells.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    workbook(&header, &cells)
}

/// PDF is the HTML layout printed by Chromium: a real PDF when the server has Chromium, a clear
/// 503 `unavailable` when it has not.
/// Tây Sơn's quarterly form as its export lays it out, filled in: the form's URL, its units'
/// codes, and a workbook giving every unit `figure` households (`file(figure)`).
struct FilledForm {
    url: String,
    codes: Vec<String>,
    header: Vec<String>,
}

impl FilledForm {
    async fn exported(app: &TestApp) -> FilledForm {
        enable(app, "binh-dinh-bao-cao-quy", "report").await;
        let q =
            Period::containing(sohoa::dates::today(), PeriodType::Quarter, CutOff::Decree092019).unwrap().id;
        let url = format!("/api/v1/units/547/submissions/binh-dinh-bao-cao-quy/{q}/xlsx");
        let (_, _, bytes) = app.admin().await.get_file(&url).await;
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Số liệu").unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        let codes: Vec<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
        FilledForm { url, codes, header }
    }

    fn file(&self, figure: &str) -> Vec<u8> {
        let col = self.header.iter().position(|h| h.ends_with("[ho_duoc_huong_dan]")).unwrap();
        let rows: Vec<Vec<&str>> = self
            .codes
            .iter()
            .map(|code| {
                let mut cells = vec![""; self.header.len()];
                cells[0] = code;
                cells[col] = figure;
                cells
            })
            .collect();
        workbook(&self.header, &rows)
    }
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A form's rows still going when the request times out go on to the end: each row is saved on
/// its own, and the request was cut off between two rows with some saved while the answer
/// said "abandoned". Here the database's write turn is held past the timeout, so no row can be
/// saved in time; once it is given back, every row is.
#[tokio::test]
async fn a_form_import_past_the_request_timeout_saves_every_row() {
    let overrides = vec![("server.request_timeout_secs", "1".to_string())];
    each_backend_with(overrides, |app| async move {
        app.seed_units().await;
        let form = FilledForm::exported(&app).await;
        let (xlsx, codes, file) = (&form.url, &form.codes, form.file("120"));

        // Another writer holds the turn for 1.5 s: longer than the request may take.
        let held = app.db.begin_write().await.unwrap();
        let release = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            drop(held);
        });
        let r = app.post_bytes(xlsx, XLSX_TYPE, file).await;
        assert_eq!(r.status, 503, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["error"]["code"], "timeout", "{:?}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("goes on to the end"), "{:?}", r.body);
        release.await.unwrap();

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let saved = || async { app.count("report_submissions").await };
        while saved().await < codes.len() as i64 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(saved().await, codes.len() as i64, "{}: every row saved", app.backend);
    })
    .await;
}

/// A row kept busy by another process's write lock (SQLite, past `database.busy_timeout_ms`)
/// is tried again, and when the lock outlasts every try the row is reported "failed" and the
/// next rows are still tried: the import went on after its request and ended at the first busy
/// row, with the remaining rows never tried and nobody told (a helper's trial).
#[tokio::test]
async fn a_form_row_kept_busy_is_tried_again_then_reported_and_the_rest_go_on() {
    use sqlx::Connection;
    let overrides = vec![("database.busy_timeout_ms", "300".to_string())];
    each_backend_with(overrides, |app| async move {
        if app.backend != "sqlite" {
            // PostgreSQL's writers queue on an advisory lock without a timeout.
            return;
        }
        app.seed_units().await;
        let form = FilledForm::exported(&app).await;
        let (xlsx, codes) = (&form.url, &form.codes);
        let (_, _, path): (i64, String, String) =
            sqlx::query_as("PRAGMA database_list").fetch_one(&app.db.pool).await.unwrap();
        let lock = || async {
            let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
            other
        };

        // Held for 450 ms: the first try of the first row gives up after 300 ms, the second
        // gets the lock. Every row saved.
        let mut other = lock().await;
        let release = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(450)).await;
            sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        });
        let r = app.post_bytes(xlsx, XLSX_TYPE, form.file("120")).await;
        release.await.unwrap();
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            (r.body["saved"].as_u64(), r.body["failed"].as_u64()),
            (Some(codes.len() as u64), Some(0)),
            "{:?}",
            r.body
        );

        // Held through the whole import: every row tried three times, then reported.
        let mut other = lock().await;
        let r = app.post_bytes(xlsx, XLSX_TYPE, form.file("130")).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.body["failed"].as_u64(), Some(codes.len() as u64), "{:?}", r.body);
        let rows = r.body["rows"].as_array().unwrap();
        assert!(rows.iter().all(|o| o["outcome"] == "failed"), "{rows:?}");
        assert!(
            rows[0]["messages"][0]["message"].as_str().unwrap().contains("import the file again"),
            "{rows:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_compiled_report_prints_to_pdf_or_says_why_not() {
    let chromium = std::process::Command::new("chromium").arg("--version").output().is_ok();
    each_backend_with(vec![("documents.chromium", "chromium-khong-co".to_string())], |app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        app.post(&compiled("547", TEMPLATE, &q), json!({})).await;
        let r = app.get(&format!("{}/document?format=pdf", compiled("547", TEMPLATE, &q))).await;
        r.assert_error(503, "unavailable");
        assert!(r.message().contains("chromium-khong-co"), "{}", r.message());
    })
    .await;
    if !chromium {
        assert!(std::env::var_os("SOHOA_REQUIRE_BROWSER").is_none(), "chromium is missing");
        return;
    }
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        app.post(&compiled("547", TEMPLATE, &q), json!({})).await;
        let (status, headers, bytes) = app
            .admin()
            .await
            .get_file(&format!("{}/document?format=pdf", compiled("547", TEMPLATE, &q)))
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(bytes.starts_with(b"%PDF") && bytes.len() > 5000, "{} bytes", bytes.len());
    })
    .await;
}

/// What a tester tried on the workflow (issue 13's review), each refused with a clear answer
/// and nothing lost.
#[tokio::test]
async fn the_workflow_holds_against_what_the_field_tried() {
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        let xa = app.user("xa.binhtuong", "commune_officer", Some("21835"), None).await;
        let xa = app.with_token(&xa);
        let vhtt = app.user("vhtt.tayson", "district_culture", Some("547"), None).await;
        let vhtt = app.with_token(&vhtt);
        let lanhdao = app.user("lanhdao.tayson", "district_leader", Some("547"), None).await;
        let lanhdao = app.with_token(&lanhdao);
        let url = submission("21835", TEMPLATE, &q);
        let figures = |n: f64| json!({"figures": {"ho_duoc_huong_dan": n}, "submit": true});

        // A body without figures wipes nothing; figures too large to keep are refused even in a
        // draft; -0 is 0.
        xa.send_json("PUT", &url, json!({"submit": false})).await.assert_error(422, "validation_failed");
        let r = xa.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": 1e20}})).await;
        r.assert_error(422, "validation_failed");
        assert!(r.message().contains("100000000000000000000"), "the figure as typed: {}", r.message());
        let r = xa.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": -0.0}})).await;
        assert_eq!(r.body["figures"]["ho_duoc_huong_dan"].to_string(), "0.0", "{:?}", r.body);
        // A period that has not begun takes no figures.
        let next_year = Period::parse(&q, CutOff::Calendar)
            .unwrap()
            .start
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap()
            + 1;
        let future = submission("21835", TEMPLATE, &format!("{next_year}-Q1"));
        let r = xa.send_json("PUT", &future, figures(5.0)).await;
        r.assert_error(422, "validation_failed");
        assert!(r.message().contains("has not begun"), "{}", r.message());

        // Submitted figures are replaced by submitting again, not withdrawn by a draft.
        assert_eq!(xa.send_json("PUT", &url, figures(100.0)).await.body["status"], "submitted");
        xa.send_json("PUT", &url, json!({"figures": {"ho_duoc_huong_dan": 1}}))
            .await
            .assert_error(409, "conflict");
        // Who entered the figures does not accept them: the district office entered these.
        let other = submission("21808", TEMPLATE, &q);
        assert_eq!(vhtt.send_json("PUT", &other, figures(50.0)).await.status, 200);
        vhtt.post(&format!("{other}/review"), json!({"decision": "accept"}))
            .await
            .assert_error(403, "forbidden");
        // An accept names the submission it read; a newer one is not accepted unread.
        let read = vhtt.get(&url).await.body["submitted_at"].as_str().unwrap().to_string();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(xa.send_json("PUT", &url, figures(120.0)).await.status, 200);
        let stale = json!({"decision": "accept", "submitted_at": read});
        vhtt.post(&format!("{url}/review"), stale).await.assert_error(409, "conflict");
        // The district compiles only when nothing waits for review.
        let report = compiled("547", TEMPLATE, &q);
        let r = vhtt.post(&report, json!({})).await;
        r.assert_error(409, "conflict");
        assert!(r.message().contains("Xã Bình Tường"), "{}", r.message());
        let fresh = vhtt.get(&url).await.body["submitted_at"].clone();
        let r =
            vhtt.post(&format!("{url}/review"), json!({"decision": "accept", "submitted_at": fresh})).await;
        assert_eq!(r.body["status"], "accepted", "{:?}", r.body);
        app.post(&format!("{other}/review"), json!({"decision": "return", "reason": "nhập thay"})).await;
        assert_eq!(vhtt.post(&report, json!({})).await.status, 200);

        // Figures returned after the compile: the report is stale and not approved as it is.
        let r = vhtt
            .post(&format!("{url}/review"), json!({"decision": "return", "reason": "x".repeat(2001)}))
            .await;
        r.assert_error(422, "validation_failed");
        let r = vhtt.post(&format!("{url}/review"), json!({"decision": "return", "reason": "a\u{0}b"})).await;
        r.assert_error(422, "validation_failed");
        vhtt.post(&format!("{url}/review"), json!({"decision": "return", "reason": "Kiểm tra lại"})).await;
        let r = lanhdao.post(&format!("{report}/decision"), json!({"step": "approve"})).await;
        r.assert_error(409, "conflict");
        assert!(r.message().contains("compile it again"), "{}", r.message());
        // The province administers, but does not sign for the district.
        app.post(&format!("{report}/decision"), json!({"step": "approve"}))
            .await
            .assert_error(403, "forbidden");
        // Corrected, accepted, compiled again: approved; then nothing below changes.
        assert_eq!(xa.send_json("PUT", &url, figures(130.0)).await.body["status"], "submitted");
        vhtt.post(&format!("{url}/review"), json!({"decision": "accept"})).await;
        vhtt.post(&report, json!({})).await;
        assert_eq!(
            lanhdao.post(&format!("{report}/decision"), json!({"step": "approve"})).await.body["status"],
            "approved"
        );
        let tay_giang = submission("21820", TEMPLATE, &q);
        app.with_token(&app.user("xa.taygiang", "commune_officer", Some("21820"), None).await)
            .send_json("PUT", &tay_giang, figures(10.0))
            .await
            .assert_error(409, "locked");
        assert_eq!(app.count("report_submissions").await, 2, "nothing written for Tây Giang");
        let frozen = app.get(&tay_giang).await;
        assert_eq!(
            (frozen.body["open"].as_bool(), frozen.body["frozen"].as_bool()),
            (Some(false), Some(true)),
            "{:?}",
            frozen.body
        );
        let document = app.get(&format!("{}/document", compiled("547", TEMPLATE, "current"))).await;
        assert_eq!(document.status, 200, "current names this quarter's compiled report: {:?}", document.body);
    })
    .await;
}

/// After the deadline a returned report stays open through drafts, and unlocks open only what
/// is closed, the latest one deciding.
#[tokio::test]
async fn returned_reports_stay_open_and_unlocks_open_only_what_is_closed() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        let vhtt = app.user("vhtt.tayson", "district_culture", Some("547"), None).await;
        let vhtt = app.with_token(&vhtt);
        let q3 = submission("21835", "binh-dinh-bao-cao-quy", "2022-Q3");
        let current =
            Period::containing(sohoa::dates::today(), PeriodType::Quarter, CutOff::Decree092019).unwrap();
        let open = submission("21835", "binh-dinh-bao-cao-quy", &current.id);
        let unlock = |url: String, days: i64| {
            let vhtt = &vhtt;
            async move {
                vhtt.post(&format!("{url}/unlock"), json!({"reason": "gia hạn", "open_until": in_days(days)}))
                    .await
            }
        };
        unlock(open.clone(), 3).await.assert_error(409, "conflict");
        assert_eq!(unlock(q3.clone(), 10).await.status, 200);
        // A second unlock shortens the first.
        let r = unlock(q3.clone(), 2).await;
        assert_eq!(
            r.body["open_until"],
            sohoa::dates::iso(sohoa::dates::today() + chrono::Duration::days(2)),
            "{:?}",
            r.body
        );
        let r =
            app.send_json("PUT", &q3, json!({"figures": {"ho_duoc_huong_dan": 100}, "submit": true})).await;
        assert_eq!(r.body["status"], "submitted", "{:?}", r.body);
        vhtt.post(&format!("{q3}/review"), json!({"decision": "return", "reason": "sai số hộ"})).await;
        // Close the unlock: the return alone keeps the form open.
        unlock(q3.clone(), 0).await.assert_error(409, "conflict");
        let r = app.send_json("PUT", &q3, json!({"figures": {"ho_duoc_huong_dan": 90}})).await;
        assert_eq!(
            (r.body["status"].as_str(), r.body["open"].as_bool()),
            (Some("returned"), Some(true)),
            "{:?}",
            r.body
        );
        let r =
            app.send_json("PUT", &q3, json!({"figures": {"ho_duoc_huong_dan": 95}, "submit": true})).await;
        assert_eq!(r.body["status"], "submitted", "{:?}", r.body);
        assert_eq!(r.body["late"], true);
    })
    .await;
}

/// Issue 16: a workbook of a few kilobytes with cells in A1 and XFD1048576 made the spreadsheet
/// reader allocate about 550 GB and abort the process. Both uploads that read workbooks (a
/// roster, a district's figures) now refuse any cell beyond their bounds with 413, and the
/// server goes on serving.
#[tokio::test]
async fn a_workbook_with_a_far_cell_is_refused_and_the_server_keeps_serving() {
    each_backend(|app| async move {
        app.seed_units().await;
        enable(&app, "binh-dinh-bao-cao-quy", "report").await;
        let q =
            Period::containing(sohoa::dates::today(), PeriodType::Quarter, CutOff::Decree092019).unwrap().id;
        const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        for (row, column) in [(1_048_575u32, 16_383u16), (1_048_575, 0), (0, 16_383)] {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.write_string(0, 0, "Mã đơn vị").unwrap();
            sheet.write_string(row, column, "x").unwrap();
            let file = book.save_to_buffer().unwrap();
            assert!(file.len() < 10_000);
            for url in [
                "/api/v1/teams/import".to_string(),
                format!("/api/v1/units/547/submissions/binh-dinh-bao-cao-quy/{q}/xlsx"),
            ] {
                let r = app.post_bytes(&url, XLSX, file.clone()).await;
                assert_eq!(r.status, 413, "{url} ({row}, {column}): {:?}", r.body);
                let message = r.body["error"]["message"].as_str().unwrap_or_default().to_string();
                assert!(message.contains(&format!("row {}, column {}", row + 1, column + 1)), "{message}");
            }
        }
        assert_eq!(app.get("/health").await.status, 200);
    })
    .await;
}

/// A report's timeline folds saves in a row by one person into one step, the last, with their
/// count (a draft saved thousands of times reads as one line); another person's save, or any
/// other step, starts a new one.
#[tokio::test]
async fn saves_in_a_row_by_one_person_are_one_step_of_the_timeline() {
    each_backend(|app| async move {
        app.seed_units().await;
        install_template(&app, "report-template-v1", "2020-01-01").await;
        let q = this_quarter();
        let lan = app.user("xa.lan", "commune_officer", Some("21835"), None).await;
        let lan = app.with_token(&lan);
        let hung = app.user("xa.hung", "commune_officer", Some("21835"), None).await;
        let hung = app.with_token(&hung);
        // Two accounts of one commune office often carry its name: still two people.
        sqlx::query(
            "UPDATE users SET display_name = 'UBND xã Bình Tường' WHERE username IN ('xa.lan', 'xa.hung')",
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
        let url = submission("21835", TEMPLATE, &q);
        let at = url.as_str();
        let save = |who: &'static str, n: i64, submit: bool| {
            let client = if who == "lan" { &lan } else { &hung };
            let body =
                json!({"figures": {"ho_duoc_huong_dan": n, "ty_le_co_tai_khoan": 50}, "submit": submit});
            async move {
                let r = client.send_json("PUT", at, body).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
                r.body
            }
        };
        for n in 1..=3 {
            save("lan", n, false).await;
        }
        save("hung", 4, false).await;
        save("lan", 5, false).await;
        save("lan", 6, false).await;
        let answer = save("lan", 7, true).await;
        let steps: Vec<(String, i64)> = answer["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["action"].as_str().unwrap().to_string(), s["times"].as_i64().unwrap()))
            .collect();
        let want: Vec<(String, i64)> = [("save", 3), ("save", 1), ("save", 2), ("submit", 1)]
            .iter()
            .map(|(a, n)| (a.to_string(), *n))
            .collect();
        assert_eq!(steps, want, "{}: {:?}", app.backend, answer["timeline"]);
        // Each folded step carries its last save's time: the timeline is in order.
        let times: Vec<&str> =
            answer["timeline"].as_array().unwrap().iter().map(|s| s["at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        // Read back, the same.
        assert_eq!(lan.get(&url).await.body["timeline"], answer["timeline"], "{}", app.backend);

        // A draft saved thousands of times (a commune's officer, a benchmark): one more step,
        // counted.
        let sql = "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id) \
                   WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
                   SELECT '2099-01-01T00:00:00Z', u.id, u.username, 'save', 'report_submission', CAST(r.id AS TEXT) \
                   FROM n CROSS JOIN users u CROSS JOIN report_submissions r WHERE u.username = 'xa.lan'";
        sqlx::query(sql).execute(&app.db.pool).await.unwrap();
        let timeline = lan.get(&url).await.body["timeline"].clone();
        let last = &timeline.as_array().unwrap().last().unwrap();
        assert_eq!((last["action"].as_str(), last["times"].as_i64()), (Some("save"), Some(3000)), "{}: {timeline:?}", app.backend);
        assert_eq!(timeline.as_array().unwrap().len(), 5, "{}", app.backend);
    })
    .await;
}
