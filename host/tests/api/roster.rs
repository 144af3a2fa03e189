//! Roster import from CSV and Excel, through the API.

use rust_xlsxwriter::Workbook;

use crate::harness::each_backend;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const GOOD: &str = "\
Mã đơn vị,Tên tổ,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,Email,Chức vụ trong tổ,Thành phần,Kỹ năng,Ngày tham gia,Ngày rời tổ
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng,Nam,1975,0905111001,,Tổ trưởng,Lãnh đạo UBND xã,,15/06/2022,
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Trần Thị Lan,Nữ,1997,0905111002,lan@example.vn,Tổ phó,Đoàn Thanh niên,VNeID; Dịch vụ công,15/06/2022,
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Lê Văn Tài,Nam,1988,0905111003,,Thành viên,Công an xã,,15/06/2022,
21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Phạm Văn Sơn,Nam,1970,0905111004,,Tổ trưởng,Trưởng thôn,,01/07/2022,
21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Trần Thị Lan,Nữ,1997,0905111002,,Thành viên,Đoàn Thanh niên,,02/07/2022,
";

#[tokio::test]
async fn csv_roster_imports_and_a_second_import_changes_nothing() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv; charset=utf-8", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["written"], true);
        assert_eq!(r.body["teams_created"], 2);
        assert_eq!(r.body["members_created"], 5);
        assert_eq!(app.count("people").await, 4, "Trần Thị Lan serves on both teams");
        // Each team and membership the import wrote is in the audit trail, as the API shows it.
        for (entity, n) in [("team", 2), ("member", 5)] {
            let trail = app.get(&format!("/api/v1/audit?entity={entity}")).await;
            let items = trail.body["items"].as_array().unwrap();
            assert_eq!(items.len(), n, "{}: {entity}: {:?}", app.backend, trail.body);
            assert!(items.iter().all(|i| i["action"] == "import" && i["before"].is_null()), "{items:?}");
            assert!(items.iter().all(|i| i["entity_id"] == i["after"]["id"].to_string().as_str()));
        }

        let again = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(again.status, 200, "{:?}", again.body);
        assert_eq!(again.body["teams_created"], 0);
        assert_eq!(again.body["teams_existing"], 2);
        assert_eq!(again.body["members_created"], 0);
        assert_eq!(again.body["members_existing"], 5);
        assert_eq!(app.count("memberships").await, 5);

        let teams = app.get("/api/v1/teams?unit=21835&sort=unit").await;
        assert_eq!(teams.body["items"][0]["name"], "Tổ công nghệ số cộng đồng xã Bình Tường");
        assert_eq!(teams.body["items"][0]["member_count"], 3);
        assert_eq!(teams.body["items"][1]["name"], "Tổ CNSCĐ thôn Phú Thịnh");
    })
    .await;
}

const BAD: &str = "\
unit_code,team_name,decision_number,decision_date,decision_signer,full_name,gender,birth_year,phone,email,position,affiliation,skills,joined_on,left_on
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng,male,1975,0905111001,,leader,commune_leadership,,2022-06-15,
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,,female,1997,0905111002,,deputy,youth_union,,2022-06-15,
21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Lê Văn Tài,male,19x8,0905111003,,member,commune_police,,2022-06-45,
547,,1/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Phạm Văn Sơn,male,1970,,,leader,village_head,,2022-07-01,

99999,,1/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Võ Văn An,male,1970,,,leader,village_head,,2022-07-01,
";

#[tokio::test]
async fn bad_rows_are_reported_by_number_and_nothing_is_written() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", BAD.into()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["written"], false);
        let errors = r.body["errors"].as_array().unwrap();
        let rows: Vec<(u64, &str)> =
            errors.iter().map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap())).collect();
        assert_eq!(
            rows,
            [(3, "full_name"), (4, "birth_year"), (4, "joined_on"), (5, "unit_code"), (7, "unit_code")],
            "row numbers as the spreadsheet shows them; the blank row 6 is skipped"
        );
        assert_eq!(app.count("teams").await, 0);
        assert_eq!(app.count("people").await, 0);

        let dry = app
            .post_bytes("/api/v1/teams/import?dry_run=true&skip_invalid=true", "text/csv", BAD.into())
            .await;
        assert_eq!(dry.status, 200);
        assert_eq!(dry.body["written"], false);
        assert_eq!(app.count("teams").await, 0);

        let r = app.post_bytes("/api/v1/teams/import?skip_invalid=true", "text/csv", BAD.into()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["written"], true);
        assert_eq!(r.body["members_created"], 1);
        assert_eq!(r.body["rows_skipped"], 4);
        assert_eq!(app.count("memberships").await, 1);
    })
    .await;
}

#[tokio::test]
async fn excel_roster_with_date_cells_and_numeric_phones() {
    each_backend(|app| async move {
        app.seed_units().await;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let header = [
            "Mã đơn vị",
            "Số quyết định",
            "Ngày quyết định",
            "Người ký",
            "Họ và tên",
            "Giới tính",
            "Năm sinh",
            "Số điện thoại",
            "Chức vụ trong tổ",
            "Thành phần",
            "Ngày tham gia",
        ];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2022, 6, 15).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_string(1, 0, "21820").unwrap();
        sheet.write_string(1, 1, "7/QĐ-UBND").unwrap();
        sheet.write_datetime_with_format(1, 2, &date, &fmt).unwrap();
        sheet.write_string(1, 3, "Đặng Văn Phúc").unwrap();
        sheet.write_string(1, 4, "Đặng Thị Yến").unwrap();
        sheet.write_string(1, 5, "Nữ").unwrap();
        sheet.write_number(1, 6, 1999).unwrap();
        sheet.write_number(1, 7, 905123456).unwrap();
        sheet.write_string(1, 8, "Tổ trưởng").unwrap();
        sheet.write_string(1, 9, "Công chức Văn hóa - Xã hội").unwrap();
        sheet.write_datetime_with_format(1, 10, &date, &fmt).unwrap();
        // Row 3: a member with an impossible year.
        for c in 0..11u16 {
            sheet.write_string(2, c, "").unwrap();
        }
        sheet.write_string(2, 0, "21820").unwrap();
        sheet.write_string(2, 1, "7/QĐ-UBND").unwrap();
        sheet.write_datetime_with_format(2, 2, &date, &fmt).unwrap();
        sheet.write_string(2, 3, "Đặng Văn Phúc").unwrap();
        sheet.write_string(2, 4, "Bùi Văn Nam").unwrap();
        sheet.write_string(2, 5, "Nam").unwrap();
        sheet.write_number(2, 6, 2150).unwrap();
        sheet.write_string(2, 8, "Thành viên").unwrap();
        sheet.write_string(2, 9, "Tình nguyện viên").unwrap();
        sheet.write_datetime_with_format(2, 10, &date, &fmt).unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let r = app.post_bytes("/api/v1/teams/import", XLSX, bytes.clone()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["errors"][0]["row"], 3, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "birth_year");

        let r = app.post_bytes("/api/v1/teams/import?skip_invalid=true", XLSX, bytes).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let m = app.get("/api/v1/members?unit=21820").await;
        assert_eq!(m.body["items"][0]["phone"], "0905123456", "Excel's number regains its leading zero");
        assert_eq!(m.body["items"][0]["joined_on"], "2022-06-15");
        assert_eq!(m.body["items"][0]["affiliation"], "cultural_social_officer");

        let r = app.post_bytes("/api/v1/teams/import", XLSX, b"not a zip".to_vec()).await;
        assert_eq!(r.status, 400);
        let r = app.post_bytes("/api/v1/teams/import", "application/pdf", b"%PDF".to_vec()).await;
        assert_eq!(r.status, 415);
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", b"name,phone\nA,1\n".to_vec()).await;
        assert_eq!(r.status, 400);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("unit_code"));
    })
    .await;
}

/// `csv` (comma-separated, no quoted cells) with another separator, quoting cells that hold it.
fn with_separator(csv: &str, sep: char) -> String {
    let line = |l: &str| {
        l.split(',')
            .map(|c| if c.contains(sep) { format!("\"{c}\"") } else { c.to_string() })
            .collect::<Vec<_>>()
            .join(&sep.to_string())
    };
    csv.lines().map(line).map(|l| l + "\r\n").collect()
}

#[tokio::test]
async fn csv_dialects_spreadsheets_write_are_read() {
    each_backend(|app| async move {
        app.seed_units().await;
        // Excel in Vietnamese (and many other) settings separates columns with ';'.
        let semicolon = with_separator(GOOD, ';');
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", semicolon.clone().into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["teams_created"], 2);
        assert_eq!(r.body["members_created"], 5);
        let m = app.get("/api/v1/members?unit=21835&q=lan").await;
        assert_eq!(
            m.body["items"][0]["skills"],
            serde_json::json!(["VNeID", "Dịch vụ công"]),
            "a quoted ';' stays in its cell"
        );

        // The same roster in the other dialects reads the same: every member found, none added.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(GOOD.as_bytes());
        let tab = with_separator(GOOD, '\t').into_bytes();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(semicolon.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16_be = vec![0xFE, 0xFF];
        utf16_be.extend(GOOD.encode_utf16().flat_map(u16::to_be_bytes));
        for (dialect, bytes) in
            [("UTF-8 BOM", bom), ("tab", tab), ("UTF-16LE", utf16), ("UTF-16BE", utf16_be)]
        {
            let r = app.post_bytes("/api/v1/teams/import", "text/csv", bytes).await;
            assert_eq!(r.status, 200, "{dialect}: {:?}", r.body);
            assert_eq!(
                (r.body["members_existing"].as_u64(), r.body["members_created"].as_u64()),
                (Some(5), Some(0)),
                "{dialect}"
            );
        }
        assert_eq!(app.count("memberships").await, 5);

        // Windows-1258 ("Mã đơn vị" in a legacy code page) is not UTF-8: say what is expected.
        let legacy = b"M\xE3 \xF0\xF5n v\xEB,T\xEAn t\xF4\n21835,x\n".to_vec();
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", legacy).await;
        assert_eq!(r.status, 400, "{:?}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("not UTF-8") && message.contains("CSV UTF-8"), "{message}");
        // A header that no separator makes sense of names the separators tried.
        let r =
            app.post_bytes("/api/v1/teams/import", "text/csv", b"ho ten|gioi tinh\nA|Nam\n".to_vec()).await;
        assert_eq!(r.status, 400);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("unit_code") && message.contains("';'") && message.contains("UTF-8"),
            "{message}"
        );
    })
    .await;
}

fn header_only_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in GOOD.lines().next().unwrap().split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_roster_without_member_rows_is_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = format!("{}\n\n", GOOD.lines().next().unwrap());
        for (kind, content_type, bytes) in
            [("csv", "text/csv", header.into_bytes()), ("xlsx", XLSX, header_only_xlsx())]
        {
            let r = app.post_bytes("/api/v1/teams/import", content_type, bytes.clone()).await;
            assert_eq!(r.status, 422, "{kind} on {}: {:?}", app.backend, r.body);
            assert_eq!(r.code(), "validation_failed");
            assert!(r.body["error"]["message"].as_str().unwrap().contains("no member rows"), "{:?}", r.body);
            let r = app.post_bytes("/api/v1/teams/import?dry_run=true", content_type, bytes).await;
            assert_eq!(r.status, 422, "a dry run says so too");
        }
    })
    .await;
}

#[tokio::test]
async fn a_dry_run_reports_exactly_what_the_import_does() {
    each_backend(|app| async move {
        app.seed_units().await;
        app.admin().await;
        let audit_before = app.count("audit_log").await;
        let dry = app.post_bytes("/api/v1/teams/import?dry_run=true", "text/csv", GOOD.into()).await;
        assert_eq!(dry.status, 200, "{}: {:?}", app.backend, dry.body);
        assert_eq!(dry.body["written"], false);
        assert_eq!(
            (app.count("teams").await, app.count("people").await, app.count("memberships").await),
            (0, 0, 0)
        );
        assert_eq!(app.count("audit_log").await, audit_before, "a dry run leaves no trace");

        let real = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(real.status, 200, "{:?}", real.body);
        assert_eq!(real.body["written"], true);
        for field in
            ["rows", "teams_created", "teams_existing", "members_created", "members_existing", "rows_skipped"]
        {
            assert_eq!(dry.body[field], real.body[field], "{field}");
        }
        assert_eq!(real.body["teams_created"], 2);
        assert_eq!(real.body["members_created"], 5);

        let again = app.post_bytes("/api/v1/teams/import?dry_run=true", "text/csv", GOOD.into()).await;
        assert_eq!(
            (again.body["members_created"].as_u64(), again.body["members_existing"].as_u64()),
            (Some(0), Some(5))
        );
    })
    .await;
}

const HOUSEHOLD: &str = "\
unit_code,team_name,decision_number,decision_date,decision_signer,full_name,gender,birth_year,phone,email,position,affiliation,skills,joined_on,left_on
21835-02,,5/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Nguyễn Văn An,Nam,1990,0900000081,,Tổ trưởng,Trưởng thôn,,01/07/2022,
21835-02,,5/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Nguyễn Văn Ân,Nữ,1975,0900000081,,Thành viên,Hội Liên hiệp Phụ nữ,,01/07/2022,
21835-02,,5/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Nguyễn Văn An,Nam,1991,0900000081,,Thành viên,Đoàn Thanh niên,,01/07/2022,
";

#[tokio::test]
async fn people_sharing_a_phone_are_not_merged() {
    each_backend(|app| async move {
        app.seed_units().await;
        let commune = crate::teams::team(&app, "21835", "2022-06-15").await;
        let village = crate::teams::team(&app, "21835-01", "2022-07-01").await;
        let an = serde_json::json!({"team_id": commune["id"], "full_name": "Nguyễn Văn An", "gender": "Nam", "birth_year": 1990,
            "phone": "0900000081", "position": "Thành viên", "affiliation": "Đoàn Thanh niên", "joined_on": "2022-07-01"});
        let first = app.post("/api/v1/members", an).await;
        assert_eq!(first.status, 201, "{}: {:?}", app.backend, first.body);
        // Ân is another name, and another person, although the household shares the phone.
        let an_hat = serde_json::json!({"team_id": village["id"], "full_name": "Nguyễn Văn Ân", "gender": "Nữ", "birth_year": 1975,
            "phone": "0900000081", "position": "Thành viên", "affiliation": "Hội Liên hiệp Phụ nữ", "joined_on": "2022-07-02"});
        let second = app.post("/api/v1/members", an_hat).await;
        assert_eq!(second.status, 201, "{:?}", second.body);
        assert_ne!(second.body["person_id"], first.body["person_id"]);
        assert_eq!(second.body["full_name"], "Nguyễn Văn Ân");
        assert_eq!(second.body["gender"], "female");
        assert_eq!(second.body["birth_year"], 1975);
        assert_eq!(app.count("people").await, 2);

        // The import matches exactly the same way: An (1990) and Ân are found, An born 1991 is new.
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", HOUSEHOLD.into()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["members_created"], 3);
        assert_eq!(app.count("people").await, 3);
        let team = app.get("/api/v1/teams?unit=21835-02").await.body["items"][0]["id"].clone();
        let members = app.get(&format!("/api/v1/teams/{team}")).await.body["members"].clone();
        let person = |name: &str, year: i64| {
            members.as_array().unwrap().iter().find(|m| m["full_name"] == name && m["birth_year"] == year).unwrap()["person_id"].clone()
        };
        assert_eq!(person("Nguyễn Văn An", 1990), first.body["person_id"]);
        assert_eq!(person("Nguyễn Văn Ân", 1975), second.body["person_id"]);
        assert_ne!(person("Nguyễn Văn An", 1991), first.body["person_id"]);
        let again = app.post_bytes("/api/v1/teams/import", "text/csv", HOUSEHOLD.into()).await;
        assert_eq!(again.body["members_existing"], 3, "{:?}", again.body);
        assert_eq!(app.count("people").await, 3);
    })
    .await;
}

/// A village roster of `n` members: a village head leading, then Youth Union members.
fn village_roster(from: usize, to: usize) -> String {
    let mut csv = GOOD.lines().next().unwrap().to_string() + "\n";
    for i in from..=to {
        let (position, affiliation) = if i == 1 {
            ("Tổ trưởng", "Trưởng thôn")
        } else {
            ("Thành viên", "Đoàn Thanh niên")
        };
        csv += &format!(
            "21835-01,,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Thành viên Số {i},Nam,1990,09051110{i:02},,{position},{affiliation},,01/07/2022,\n"
        );
    }
    csv
}

#[tokio::test]
async fn an_import_is_judged_by_the_composition_rule_like_any_write() {
    each_backend(|app| async move {
        app.seed_units().await;
        // Tuyên Quang's rule: at most 5 members in a village team.
        crate::harness::enable(&app, "tuyen-quang-2025", "composition").await;
        let six = village_roster(1, 6);
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", six.clone().into_bytes()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        assert_eq!((r.body["written"].as_bool(), r.body["refused"].as_bool()), (Some(false), Some(true)));
        let failing = &r.body["composition"][0];
        assert_eq!(failing["findings"][0]["code"], "qua-nhieu-thanh-vien", "{:?}", r.body);
        assert_eq!(failing["plugin"]["plugin_id"], "tuyen-quang-2025");
        assert_eq!(failing["team_id"], serde_json::Value::Null, "a team the import would create");
        assert_eq!(failing["rows"], serde_json::json!([2, 3, 4, 5, 6, 7]));
        assert_eq!(failing["accepted"], false);
        assert_eq!((app.count("teams").await, app.count("memberships").await), (0, 0));
        let dry =
            app.post_bytes("/api/v1/teams/import?dry_run=true", "text/csv", six.clone().into_bytes()).await;
        assert_eq!(dry.status, 422, "the dry run says the import would be refused");
        // The same teams, rows and findings (ids aside: a team that was never kept has none).
        let gist = |body: &serde_json::Value| {
            body["composition"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t["rows"].clone(), t["findings"][0]["code"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(gist(&dry.body), gist(&r.body));

        // Five are fine; a sixth added by a later import to the existing team is refused too.
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", village_roster(1, 5).into_bytes()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["composition"], serde_json::json!([]));
        let sixth = village_roster(6, 6);
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", sixth.clone().into_bytes()).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let team_id = r.body["composition"][0]["team_id"].as_i64().expect("the existing team");
        assert_eq!(app.count("memberships").await, 5);

        // Accepted with a reason, which the audit trail keeps.
        let uri = "/api/v1/teams/import?override_reason=Th%C3%B4n%20%C4%91%C3%B4ng%20d%C3%A2n";
        let r = app.post_bytes(uri, "text/csv", sixth.into_bytes()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["written"], true);
        assert_eq!(r.body["composition"][0]["accepted"], true);
        assert_eq!(app.count("memberships").await, 6);
        let trail = app.get(&format!("/api/v1/audit?entity=team&entity_id={team_id}")).await;
        let overridden = trail.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "override")
            .expect("an override row")
            .clone();
        assert_eq!(overridden["reason"], "Thôn đông dân");
    })
    .await;
}

#[tokio::test]
async fn a_numeric_unit_code_cell_reads_as_the_five_digit_code() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post("/api/v1/units", serde_json::json!({"code": "00123", "name": "Xã Thử Nghiệm", "unit_type": "Xã", "parent_code": "547"})).await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in GOOD.lines().next().unwrap().split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        // Typed as 00123 into a number cell formatted 00000: Excel stores 123.
        let padded = rust_xlsxwriter::Format::new().set_num_format("00000");
        sheet.write_number_with_format(1, 0, 123, &padded).unwrap();
        for (c, v) in [(2, "1/QĐ-UBND"), (3, "15/06/2022"), (4, "Lê Văn Ký"), (5, "Lê Thị Hoa"), (6, "Nữ"), (7, "1990"), (10, "Tổ trưởng"), (11, "Lãnh đạo UBND xã"), (13, "15/06/2022")] {
            sheet.write_string(1, c, v).unwrap();
        }
        let r = app.post_bytes("/api/v1/teams/import", XLSX, book.save_to_buffer().unwrap()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let teams = app.get("/api/v1/teams?unit=00123").await;
        assert_eq!(teams.body["total"], 1, "{:?}", teams.body);
        assert_eq!(teams.body["items"][0]["unit_code"], "00123");

        // A short code that is also a district's (547, Tây Sơn) is still the commune's: no team
        // serves a district (it was refused as "not a district").
        let r = app.post("/api/v1/units", serde_json::json!({"code": "00547", "name": "Xã Trùng Mã", "unit_type": "Xã", "parent_code": "547"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let csv = format!(
            "{}\n547,,2/QĐ-UBND,15/06/2022,Lê Văn Ký,Lê Thị Hồng,Nữ,1991,,,Tổ trưởng,Lãnh đạo UBND xã,,15/06/2022,\n",
            GOOD.lines().next().unwrap()
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.into_bytes()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let teams = app.get("/api/v1/teams?unit=00547").await;
        assert_eq!(teams.body["total"], 1, "{:?}", teams.body);
    })
    .await;
}

/// Rows of a person who left a team and joined it again (two stints, as an export lists them)
/// import as two stints of one person, and again as nothing new; rows whose periods overlap
/// are refused, naming the earlier row (the second row was refused as "already listed").
#[tokio::test]
async fn a_person_who_left_and_rejoined_imports_as_two_stints() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = GOOD.lines().next().unwrap();
        let row = |joined: &str, left: &str| {
            format!("21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Lê Văn Tài,Nam,1988,0905111003,,Thành viên,Công an xã,,{joined},{left}\n")
        };
        let rejoined = format!("{header}\n{}{}", row("15/06/2022", "31/12/2022"), row("01/03/2023", ""));
        for (round, (created, existing)) in [(2, 0), (0, 2)].into_iter().enumerate() {
            let r = app.post_bytes("/api/v1/teams/import", "text/csv", rejoined.clone().into_bytes()).await;
            assert_eq!(r.status, 200, "{} round {round}: {:?}", app.backend, r.body);
            assert_eq!((r.body["members_created"].as_u64(), r.body["members_existing"].as_u64()), (Some(created), Some(existing)));
        }
        assert_eq!((app.count("people").await, app.count("memberships").await), (1, 2));

        let overlapping = format!("{header}\n{}{}", row("15/06/2022", "31/12/2022"), row("01/12/2022", ""));
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", overlapping.into_bytes()).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let errors = r.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["row"], 3);
        assert!(errors[0]["message"].as_str().unwrap().contains("on row 2, over an overlapping period"), "{errors:?}");
    })
    .await;
}

/// One person on three teams, with a phone on the first, an email on the second and both on
/// the third: the first import records two people (the second row shares nothing with the
/// first) and fills the first one's email from the third row. Importing again must find each
/// row's stint: the second row is the person serving on that team, though its email now
/// also matches the first person (it was added to the second team again).
#[tokio::test]
async fn a_roster_imported_again_finds_the_person_serving_on_the_team() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = GOOD.lines().next().unwrap();
        let row = |team: &str, phone: &str, email: &str| {
            format!("21835,{team},1/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Phạm Thị Xuyên,Nữ,1990,{phone},{email},Thành viên,Đoàn Thanh niên,,15/06/2022,\n")
        };
        let csv = format!(
            "{header}\n{}{}{}",
            row("Tổ A", "0905000001", ""),
            row("Tổ B", "", "xuyen@example.vn"),
            row("Tổ C", "0905000001", "xuyen@example.vn")
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.clone().into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["members_created"], 3);
        let again = app.post_bytes("/api/v1/teams/import", "text/csv", csv.into_bytes()).await;
        assert_eq!(again.status, 200, "{:?}", again.body);
        assert_eq!((again.body["members_created"].as_u64(), again.body["members_existing"].as_u64()), (Some(0), Some(3)));
        assert_eq!(app.count("memberships").await, 3);

        // A phone added on the second team's row fills the record that lacked one, and the
        // audit trail says so (it was written with no audit row).
        let filled = format!("{header}\n{}", row("Tổ B", "0905000002", "xuyen@example.vn"));
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", filled.into_bytes()).await;
        assert_eq!((r.status.as_u16(), r.body["members_existing"].as_u64()), (200, Some(1)), "{:?}", r.body);
        assert_eq!(r.body["people_updated"], 1, "{:?}", r.body);
        let trail = app.get("/api/v1/audit?entity=person").await;
        let items = trail.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{:?}", trail.body);
        assert_eq!(items[0]["before"]["phone"], serde_json::Value::Null);
        assert_eq!(items[0]["after"]["phone"], "0905000002");
    })
    .await;
}

/// Rows in each table an import writes (teams, people, memberships, audit_log), to prove that
/// one wrote nothing.
async fn written(app: &crate::harness::TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["teams", "people", "memberships", "audit_log"] {
        counts.push(app.count(table).await);
    }
    counts
}

#[tokio::test]
async fn an_exported_roster_imports_back_unchanged() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        // One member has left: the export keeps the stint and its end.
        let member = app.get("/api/v1/members?unit=21835&q=tai").await.body["items"][0]["id"].clone();
        let r = app
            .patch(&format!("/api/v1/members/{member}"), serde_json::json!({"left_on": "2023-03-31"}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let admin = app.admin().await;

        let (status, headers, csv) = admin.get_file("/api/v1/teams/export?unit=21835&format=csv").await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
        assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
        assert!(headers[axum::http::header::CONTENT_DISPOSITION].to_str().unwrap().contains(".csv"));
        let text = std::str::from_utf8(&csv).unwrap().strip_prefix('\u{feff}').expect("a BOM for Excel");
        assert_eq!(
            text.lines().next().unwrap(),
            GOOD.lines().next().unwrap(),
            "Vietnamese headers, the import's layout"
        );
        assert_eq!(text.lines().count(), 6);
        assert!(text.contains(",0905111001,"), "phones keep their zero");
        assert!(text.contains("31/03/2023"));

        let (status, headers, xlsx) = admin.get_file("/api/v1/teams/export?unit=21835").await;
        assert_eq!(status, 200);
        assert_eq!(headers[axum::http::header::CONTENT_TYPE], XLSX);
        {
            use calamine::{Data, Reader};
            let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.clone())).unwrap();
            let range = book.worksheet_range_at(0).unwrap().unwrap();
            assert_eq!(range.get((0, 0)), Some(&Data::String("Mã đơn vị".into())));
            assert_eq!(range.get((1, 0)), Some(&Data::String("21835".into())), "codes are text cells");
            assert_eq!(range.get((1, 8)), Some(&Data::String("0905111001".into())), "phones are text cells");
        }

        let before = written(&app).await;
        for (kind, content_type, bytes) in [("csv", "text/csv", csv.clone()), ("xlsx", XLSX, xlsx)] {
            let r = app.post_bytes("/api/v1/teams/import", content_type, bytes).await;
            assert_eq!(r.status, 200, "{kind}: {:?}", r.body);
            assert_eq!(r.body["teams_existing"], 2, "{kind}");
            assert_eq!(r.body["members_existing"], 5, "{kind}: {:?}", r.body);
            assert_eq!(
                (r.body["teams_created"].as_u64(), r.body["members_created"].as_u64()),
                (Some(0), Some(0)),
                "{kind}"
            );
            let after = written(&app).await;
            assert_eq!(after, before, "{kind}: importing the export changes nothing");
        }
        let (_, _, again) = admin.get_file("/api/v1/teams/export?unit=21835&format=csv").await;
        assert_eq!(again, csv, "the same export after the round trip");

        let (_, _, english) = admin.get_file("/api/v1/teams/export?unit=21835&format=csv&headers=en").await;
        let english = String::from_utf8(english).unwrap();
        assert!(english.trim_start_matches('\u{feff}').starts_with("unit_code,team_name,decision_number"));
        assert!(english.contains(",female,") && english.contains(",leader,"));

        // Personal data only for those who may see it; the scope is GET /teams's.
        let token = app.user("tayson.xem", "viewer", Some("547"), None).await;
        let viewer = app.with_token(&token);
        let (status, _, seen) = viewer.get_file("/api/v1/teams/export?unit=21835&format=csv").await;
        assert_eq!(status, 200);
        let seen = String::from_utf8(seen).unwrap();
        assert_eq!(seen.lines().count(), 6);
        assert!(
            !seen.contains("0905111001") && !seen.contains("1997") && !seen.contains("lan@example.vn"),
            "{seen}"
        );
        let token = app.user("quynhon.xem", "viewer", Some("540"), None).await;
        let (_, _, other) = app.with_token(&token).get_file("/api/v1/teams/export?format=csv").await;
        assert_eq!(
            String::from_utf8(other).unwrap().lines().count(),
            1,
            "another district's viewer gets the header only"
        );
        let (status, _, _) = admin.get_file("/api/v1/teams/export?format=pdf").await;
        assert_eq!(status, 400);
    })
    .await;
}

/// An import adds; it never changes a recorded membership or person. A row of a recorded stint
/// that says another position, affiliation, skills or left day (an edited export) was counted
/// "existing" and the change it asked for silently left undone; one that says another phone or
/// gender for the person added a second person of the same name to the team. Each is refused
/// naming both values. A blank left day or skills cell says nothing (the first roster has none
/// for a member who has left since), and a recorded skill holding a comma reads back as the
/// export writes it.
#[tokio::test]
async fn an_edited_export_is_refused_naming_what_it_would_change() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let member = app.get("/api/v1/members?unit=21835&q=tai").await.body["items"][0]["id"].clone();
        let r = app
            .patch(
                &format!("/api/v1/members/{member}"),
                serde_json::json!({"left_on": "2023-03-31", "skills": ["Tin học văn phòng, Excel"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let before = written(&app).await;

        // The first roster again: Lê Văn Tài's blank left day and skills say nothing.
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!((r.status.as_u16(), r.body["members_existing"].as_u64()), (200, Some(5)), "{:?}", r.body);
        // Tài's skill as the export writes it (a comma stays inside a skill), and Lan's two
        // skills in another order: the same skills.
        let exported = GOOD
            .replace("Thành viên,Công an xã,,", "Thành viên,Công an xã,\"Tin học văn phòng, Excel\",")
            .replace("VNeID; Dịch vụ công", "Dịch vụ công ;VNeID");
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", exported.into_bytes()).await;
        assert_eq!((r.status.as_u16(), r.body["members_existing"].as_u64()), (200, Some(5)), "{:?}", r.body);

        // Edited: Hùng's phone, Lan's skills, Tài made deputy, Phạm Văn Sơn leaving, and Lan
        // given as a man on the second team.
        let edited = GOOD
            .replace(
                "Nguyễn Văn Hùng,Nam,1975,0905111001,,Tổ trưởng,Lãnh đạo UBND xã,,",
                "Nguyễn Văn Hùng,Nam,1975,0905999001,,Tổ trưởng,Lãnh đạo UBND xã,VNeID,",
            )
            .replace("VNeID; Dịch vụ công", "VNeID; Chữ ký số")
            .replace("Lê Văn Tài,Nam,1988,0905111003,,Thành viên,", "Lê Văn Tài,Nam,1988,0905111003,,Tổ phó,")
            .replace("Trưởng thôn,,01/07/2022,", "Trưởng thôn,,01/07/2022,01/01/2024")
            .replace(
                "Trần Thị Lan,Nữ,1997,0905111002,,Thành viên",
                "Trần Thị Lan,Nam,1997,0905111002,,Thành viên",
            );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", edited.into_bytes()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        let errors = r.body["errors"].as_array().unwrap();
        let error = |row: u64, field: &str| {
            errors
                .iter()
                .find(|e| e["row"] == row && e["field"] == field)
                .unwrap_or_else(|| panic!("row {row} {field}: {errors:?}"))["message"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let phone = error(2, "phone");
        assert!(phone.contains("'0905111001'") && phone.contains("'0905999001'"), "{phone}");
        // The same row's stint differs too: every difference is named at once.
        let skills = error(2, "skills");
        assert!(skills.contains("''") && skills.contains("'VNeID'"), "{skills}");
        let skills = error(3, "skills");
        assert!(
            skills.contains("'VNeID; Dịch vụ công'") && skills.contains("'VNeID; Chữ ký số'"),
            "{skills}"
        );
        let position = error(4, "position");
        assert!(position.contains("'Thành viên'") && position.contains("'Tổ phó'"), "{position}");
        let left = error(5, "left_on");
        assert!(left.contains("'(no left day)'") && left.contains("'01/01/2024'"), "{left}");
        let gender = error(6, "gender");
        assert!(
            gender.contains("'Nữ'") && gender.contains("'Nam'") && gender.contains("Trần Thị Lan"),
            "{gender}"
        );
        assert_eq!(errors.len(), 6, "{errors:?}");

        let moved = GOOD.replace("Công an xã,,15/06/2022,", "Công an xã,,15/06/2022,30/04/2023");
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", moved.into_bytes()).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("'31/03/2023'") && message.contains("'30/04/2023'"), "{message}");

        let after = written(&app).await;
        assert_eq!(after, before, "{}: nothing written", app.backend);
    })
    .await;
}

/// A recorded stint's row with the person's name corrected in case or accents, or their year
/// of birth changed (an edited export), added a second person of that name to the team: the
/// exact match did not see the person on record. Each is refused naming both values, while two
/// new people whose names differ only in accents (An, Ân) joining the same day are two people.
#[tokio::test]
async fn a_recorded_row_with_the_name_or_year_edited_is_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let header = GOOD.lines().next().unwrap();
        let joining = format!(
            "{header}\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Nguyễn Văn An,Nam,1990,,,Thành viên,Khác,,05/07/2022,\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Nguyễn Văn Ân,Nam,1990,,,Thành viên,Khác,,05/07/2022,\n"
        );
        for created in [2, 0] {
            let r = app.post_bytes("/api/v1/teams/import", "text/csv", joining.clone().into_bytes()).await;
            assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
            assert_eq!(r.body["members_created"].as_u64(), Some(created), "{:?}", r.body);
        }
        let before = written(&app).await;

        // The name in another case is the same name: that row is the recorded stint, found.
        let edited = GOOD
            .replace("Nguyễn Văn Hùng,Nam,1975", "NGUYỄN VĂN HÙNG,Nam,1975")
            .replace("Trần Thị Lan,Nữ,1997,0905111002,lan@example.vn", "Tran Thi Lan,Nữ,1997,0905111002,lan@example.vn")
            .replace("Lê Văn Tài,Nam,1988", "Lê Văn Tài,Nam,1989");
        for dry in [true, false] {
            let url = format!("/api/v1/teams/import{}", if dry { "?dry_run=true" } else { "" });
            let r = app.post_bytes(&url, "text/csv", edited.clone().into_bytes()).await;
            assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
            let errors = r.body["errors"].as_array().unwrap();
            let said = |row: u64, field: &str| {
                errors
                    .iter()
                    .find(|e| e["row"] == row && e["field"] == field)
                    .and_then(|e| e["message"].as_str())
                    .unwrap_or_else(|| panic!("row {row} {field}: {errors:?}"))
                    .to_string()
            };
            let name = said(3, "full_name");
            assert!(name.contains("'Trần Thị Lan'") && name.contains("'Tran Thi Lan'"), "{name}");
            let year = said(4, "birth_year");
            assert!(year.contains("'1988'") && year.contains("'1989'") && year.contains("Lê Văn Tài"), "{year}");
            assert_eq!(errors.len(), 2, "{errors:?}");
        }
        assert_eq!(written(&app).await, before, "{}: nothing written", app.backend);
    })
    .await;
}

/// A name written in another case or spacing is the same name, for people as for teams
/// (accents kept: An and Ân stay two): two rows of one file giving "Phạm Văn Bình" and "phạm
/// văn bình" with one phone are one person on two teams; importing the roster again in capitals
/// finds every person and stint; `POST /members` with the name lower-cased finds the person on
/// record too. The recorded spelling is kept.
#[tokio::test]
async fn a_name_written_in_another_case_is_the_same_person() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = GOOD.lines().next().unwrap();
        let roster = format!(
            "{header}\n\
             21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Phạm Văn Bình,Nam,1980,0905222001,,Tổ trưởng,Lãnh đạo UBND xã,,15/06/2022,\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,phạm  văn bình,Nam,1980,0905222001,,Thành viên,Khác,,01/07/2022,\n"
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", roster.clone().into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["members_created"].as_u64(), Some(2), "{:?}", r.body);
        assert_eq!(app.count("people").await, 1, "{}: one person on two teams", app.backend);
        let name: String = sqlx::query_scalar("SELECT full_name FROM people").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(name, "Phạm Văn Bình", "the first spelling is kept");

        // The same roster in capitals: nothing new.
        let before = written(&app).await;
        let shouted = roster.replace("Phạm Văn Bình", "PHẠM VĂN BÌNH").replace("phạm  văn bình", "PHẠM VĂN BÌNH");
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", shouted.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["members_created"].as_u64(), Some(0), "{:?}", r.body);
        assert_eq!(written(&app).await, before, "{}: nothing written", app.backend);

        // Through the API, lower-cased, joining a third team with the same phone: the same person.
        let team = app
            .post(
                "/api/v1/teams",
                serde_json::json!({"unit_code": "21820", "name": "Tổ Một", "decision_number": "1/QĐ", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn A"}),
            )
            .await;
        assert_eq!(team.status, 201, "{:?}", team.body);
        let member = serde_json::json!({"team_id": team.body["id"], "full_name": "phạm văn bình", "gender": "male",
            "birth_year": 1980, "phone": "0905222001", "position": "member", "affiliation": "volunteer", "joined_on": "2022-07-01"});
        let r = app.post("/api/v1/members", member).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(app.count("people").await, 1, "{}: still one person", app.backend);
        // Accents are the name: Phạm Văn Bính is someone else.
        let member = serde_json::json!({"team_id": team.body["id"], "full_name": "Phạm Văn Bính", "gender": "male",
            "birth_year": 1980, "phone": "0905222001", "position": "member", "affiliation": "volunteer", "joined_on": "2022-07-01"});
        let r = app.post("/api/v1/members", member).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(app.count("people").await, 2, "{}: Bính is another person", app.backend);
    })
    .await;
}

/// Adding a member who matches a person serving in another commune links them (one person),
/// but a commune officer writes nothing into that person's record: the email they give is not
/// filled in where the record has none. An officer covering every team of the person may.
#[tokio::test]
async fn an_officer_writes_nothing_into_the_record_of_a_person_serving_elsewhere() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = GOOD.lines().next().unwrap();
        // Võ Hữu Nam leads a team of commune 21808, with a phone and no email.
        let roster = format!(
            "{header}\n21808,,5/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Võ Hữu Nam,Nam,1976,0356111359,,Tổ trưởng,Lãnh đạo UBND xã,,15/06/2022,\n"
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", roster.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let email = || async {
            sqlx::query_scalar::<_, Option<String>>("SELECT email FROM people WHERE full_name = 'Võ Hữu Nam'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap()
        };
        let team = |code: &'static str, name: &'static str| {
            serde_json::json!({"unit_code": code, "name": name, "decision_number": "1/QĐ", "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn A"})
        };
        let other = app.post("/api/v1/teams", team("21835", "Tổ Một")).await.body["id"].clone();
        let officer = app.user("xa.mot", "commune_officer", Some("21835"), None).await;
        let nam = |team_id: &serde_json::Value, email: &str| {
            serde_json::json!({"team_id": team_id, "full_name": "võ hữu nam", "gender": "male", "birth_year": 1976, "phone": "0356111359",
                   "email": email, "position": "member", "affiliation": "volunteer", "joined_on": "2022-07-01"})
        };
        let linked = app.with_token(&officer).post("/api/v1/members", nam(&other, "attacker@evil.example")).await;
        assert_eq!(linked.status, 201, "{:?}", linked.body);
        let linked = linked.body;
        let first_team = app.get("/api/v1/teams?unit=21808").await.body["items"][0]["id"].clone();
        assert_eq!(app.count("people").await, 1, "{}: the same person, linked", app.backend);
        assert_eq!(email().await, None, "{}: nothing written into the other commune's record", app.backend);
        // Nor by the commune's roster naming him with an email.
        let roster = format!(
            "{header}\n21835,Tổ Ba,3/QĐ,15/06/2022,Nguyễn Văn A,Võ Hữu Nam,Nam,1976,0356111359,attacker@evil.example,Thành viên,Khác,,01/08/2022,\n"
        );
        let r = app.with_token(&officer).post_bytes("/api/v1/teams/import", "text/csv", roster.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!((app.count("people").await, r.body["people_updated"].as_i64()), (1, Some(0)), "{:?}", r.body);
        assert_eq!(email().await, None, "{}: nothing imported into the other commune's record", app.backend);
        // Nor by editing the stint the officer's commune has: the stint is theirs to change,
        // the person's record is not.
        let stint = format!("/api/v1/members/{}", linked["id"]);
        let officer_client = app.with_token(&officer);
        for change in [
            serde_json::json!({"email": "attacker@evil.example"}),
            serde_json::json!({"phone": "0912777999"}),
            serde_json::json!({"full_name": "Võ Hữu Nam Đổi"}),
        ] {
            officer_client.patch(&stint, change.clone()).await.assert_error(403, "forbidden");
        }
        let r = officer_client.patch(&stint, serde_json::json!({"skills": ["VNeID"], "phone": "0356 111 359"})).await;
        assert_eq!(r.status, 200, "the stint's own fields, and the phone as recorded: {:?}", r.body);
        assert_eq!(email().await, None);
        // Nor by taking up the Youth Union's nomination of someone serving there.
        let young = serde_json::json!({"team_id": first_team, "full_name": "Đinh Thị Trẻ", "gender": "female", "birth_year": 2000,
            "phone": "0912777100", "position": "member", "affiliation": "youth_union", "joined_on": "2022-07-01"});
        assert_eq!(app.post("/api/v1/members", young).await.status, 201);
        let youth = app.user("doan.huyen", "district_youth_union", Some("547"), None).await;
        let nominated = app
            .with_token(&youth)
            .post("/api/v1/units/21835/nominations", serde_json::json!({"full_name": "Đinh Thị Trẻ", "gender": "Nữ",
                "birth_year": 2000, "phone": "0912777100", "email": "sneak@evil.example", "team_id": other}))
            .await;
        assert_eq!(nominated.status, 201, "{:?}", nominated.body);
        let answer = format!("/api/v1/nominations/{}/answer", nominated.body["id"]);
        let r = officer_client.post(&answer, serde_json::json!({"accept": true})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let young_email: Option<String> =
            sqlx::query_scalar("SELECT email FROM people WHERE full_name = 'Đinh Thị Trẻ'").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(young_email, None, "{}: the nominee's record in the other commune is as it was", app.backend);
        // The province's administrator covers both teams: what they give fills the record in.
        let third = app.post("/api/v1/teams", team("21835", "Tổ Hai")).await.body["id"].clone();
        let r = app.post("/api/v1/members", nam(&third, "nam@example.vn")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(email().await.as_deref(), Some("nam@example.vn"));
    })
    .await;
}

/// A roster adding someone to a dissolved team is held to what `POST /members` holds: they
/// served before its end and left by then. Its recorded members import back as they are.
#[tokio::test]
async fn a_roster_adding_to_a_dissolved_team_gives_a_left_day() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let village = app.get("/api/v1/teams?unit=21835-01").await.body["items"][0]["id"].clone();
        let r = app
            .patch(
                &format!("/api/v1/teams/{village}"),
                serde_json::json!({"status": "dissolved", "status_date": "2023-01-01", "status_reason": "Sáp nhập thôn"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let header = GOOD.lines().next().unwrap();
        let late = |left: &str| {
            format!(
                "{header}\n21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Đỗ Văn Muộn,Nam,1985,0905333001,,Thành viên,Khác,,01/08/2022,{left}\n"
            )
        };
        for left in ["", "15/02/2023"] {
            let r = app.post_bytes("/api/v1/teams/import", "text/csv", late(left).into_bytes()).await;
            assert_eq!(r.status, 422, "{}: left '{left}': {:?}", app.backend, r.body);
            assert_eq!(r.body["errors"][0]["field"], "left_on", "{:?}", r.body);
        }
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", late("31/12/2022").into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: the recorded members as they were: {:?}", app.backend, r.body);
    })
    .await;
}

/// Two people of one name (in any case) joining a team the same day, told apart by gender
/// and phone: the file imports, and imports again changing nothing (the second row was taken
/// for an edit of the first person's stint and refused).
#[tokio::test]
async fn namesakes_joining_together_import_again_unchanged() {
    each_backend(|app| async move {
        app.seed_units().await;
        let header = GOOD.lines().next().unwrap();
        let roster = format!(
            "{header}\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Phạm Văn Sơn,Nam,1970,0905111004,,Tổ trưởng,Trưởng thôn,,01/07/2022,\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Hà Minh Anh,Nam,1995,0911888003,,Thành viên,Khác,,04/07/2022,\n\
             21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,HÀ MINH ANH,Nữ,1995,0911888004,,Thành viên,Khác,,04/07/2022,\n"
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", roster.clone().into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["members_created"].as_u64(), Some(3), "{:?}", r.body);
        let before = written(&app).await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", roster.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!(r.body["members_created"].as_u64(), Some(0), "{:?}", r.body);
        assert_eq!(written(&app).await, before, "{}: nothing written", app.backend);
    })
    .await;
}

/// A roster of many teams (issue 15: the national roster in one file) is streamed from its
/// file and done in chunks of whole teams: every chunk is checked before the first is
/// written, so a bad row in the last chunk leaves nothing written, a dry run writes nothing
/// and counts what the import does, and the written outcome is what one write would give
/// (a person on two teams in two chunks is one person). A file on disk is not held to the
/// upload's row limit; the same rows uploaded are.
#[tokio::test]
async fn a_roster_in_chunks_is_checked_whole_before_anything_is_written() {
    use sohoa::teams::import::{Input, Options, Stage, import_roster};
    each_backend(|app| async move {
        app.seed_units().await;
        let dir = tempfile::tempdir().unwrap();
        let run = |text: String, options: Options| {
            let path = dir.path().join(format!("roster-{}.csv", uuid_like(&text)));
            std::fs::write(&path, &text).unwrap();
            let (db, plugins) = (app.db.clone(), app.plugins.clone());
            async move {
                let stages = std::sync::Mutex::new(Vec::new());
                let progress = |stage: Stage, done: usize, total: usize| stages.lock().unwrap().push((stage, done, total));
                let actor = sohoa::audit::Actor::system("test");
                let outcome =
                    import_roster(&db, &plugins, &actor, None, &Input::File(path), sohoa::teams::RosterFormat::Csv, &options, &progress)
                        .await;
                (outcome, stages.into_inner().unwrap())
            }
        };
        // Two rows per chunk: GOOD's first team (3 rows) is a chunk, its second another.
        let small = || Options { chunk_rows: Some(2), max_rows: 3, ..Default::default() };
        let bad_last = format!(
            "{GOOD}21808,Tổ thôn cuối,4/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Võ Văn Cuối,Nam,19x0,,,Tổ trưởng,Trưởng thôn,,01/07/2022,\n"
        );
        let (outcome, _) = run(bad_last, small()).await;
        let outcome = outcome.unwrap();
        assert!(outcome.refused && !outcome.written, "{}: {outcome:?}", app.backend);
        assert_eq!(outcome.errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![Some(7)]);
        assert_eq!((app.count("teams").await, app.count("memberships").await), (0, 0), "nothing of the good chunks");

        let (dry, stages) = run(GOOD.to_string(), Options { dry_run: true, ..small() }).await;
        let dry = dry.unwrap();
        assert!(!dry.written && !dry.refused);
        assert_eq!((dry.teams_created, dry.members_created), (2, 5));
        assert_eq!(app.count("teams").await, 0);
        assert!(stages.contains(&(Stage::Checking, 5, 5)), "{stages:?}");

        let (written, stages) = run(GOOD.to_string(), small()).await;
        let written = written.unwrap();
        assert!(written.written && !written.refused, "{written:?}");
        assert_eq!((written.rows, written.teams_created, written.members_created), (5, 2, 5));
        assert_eq!(stages.last(), Some(&(Stage::Writing, 5, 5)), "{stages:?}");
        assert_eq!(app.count("people").await, 4, "Trần Thị Lan, on both teams in two chunks, is one person");
        let (again, _) = run(GOOD.to_string(), small()).await;
        let again = again.unwrap();
        assert_eq!((again.teams_existing, again.members_existing, again.members_created), (2, 5, 0));

        // Uploaded, the same five rows are over a limit of three.
        let input = Input::Bytes(std::sync::Arc::new(GOOD.as_bytes().to_vec()));
        let actor = sohoa::audit::Actor::system("test");
        let err = import_roster(&app.db, &app.plugins, &actor, None, &input, sohoa::teams::RosterFormat::Csv, &small(), &|_, _, _| {})
            .await
            .unwrap_err();
        assert!(matches!(err, sohoa::error::Error::PayloadTooLarge(_)), "{err:?}");
    })
    .await;
}

/// A roster in chunks whose last chunk breaks its teams' composition rule: the check pass runs
/// the rule on that chunk (a chunk no rule judges is only checked, not rehearsed), so the
/// import is refused with the rule's findings and nothing is written, not the first chunk
/// written and the second refused.
#[tokio::test]
async fn a_roster_in_chunks_is_judged_by_its_rules_before_anything_is_written() {
    use sohoa::teams::import::{Input, Options, import_roster};
    each_backend(|app| async move {
        app.seed_units().await;
        // Tuyên Quang's rule: at most 5 members in a village team.
        crate::harness::enable(&app, "tuyen-quang-2025", "composition").await;
        let commune: Vec<&str> = GOOD.lines().take(4).collect();
        let village: Vec<String> = village_roster(1, 6).lines().skip(1).map(str::to_string).collect();
        let csv = format!("{}\n{}\n", commune.join("\n"), village.join("\n"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, csv).unwrap();
        let actor = sohoa::audit::Actor::system("test");
        let options = Options { chunk_rows: Some(3), ..Default::default() };
        let outcome = import_roster(
            &app.db,
            &app.plugins,
            &actor,
            None,
            &Input::File(path),
            sohoa::teams::RosterFormat::Csv,
            &options,
            &|_, _, _| {},
        )
        .await
        .unwrap();
        assert!(outcome.refused && !outcome.written, "{}: {outcome:?}", app.backend);
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        let codes: Vec<(&[usize], &str)> =
            outcome.composition.iter().map(|t| (t.rows.as_slice(), t.findings[0].code.as_str())).collect();
        assert_eq!(codes, vec![(&[5, 6, 7, 8, 9, 10][..], "qua-nhieu-thanh-vien")]);
        assert_eq!(
            (app.count("teams").await, app.count("memberships").await),
            (0, 0),
            "nothing of the first chunk"
        );
    })
    .await;
}

/// An upload that outlasts the request timeout is not cut off between two of its chunks
/// (it was: a 15,000-row roster answered 503 with 1,000 teams written, and retries wrote a
/// few more each): the import goes on to the end in its own task, and the answer says so.
#[tokio::test]
async fn an_upload_past_the_request_timeout_is_imported_whole() {
    // 1 s: the handler answers after 667 ms, before the server's own timeout; the import takes
    // about 2 s on these machines (it was cut off after 1 s, part of it written).
    let overrides = vec![("server.request_timeout_secs", "1".to_string())];
    crate::harness::each_backend_with(overrides, |app| async move {
        app.seed_units().await;
        let (teams, members): (i64, i64) = (250, 20);
        let mut csv = GOOD.lines().next().unwrap().to_string() + "\n";
        for t in 0..teams {
            for m in 0..members {
                csv += &format!(
                    "21835,Tổ số {t},{t}/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Thành viên Số {t} {m},Nam,1990,09{t:04}{m:04},,Thành viên,Đoàn Thanh niên,,15/06/2022,\n"
                );
            }
        }
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.into_bytes()).await;
        // A fast machine may finish in time; a slow one answers that the import goes on.
        if r.status == 503 {
            assert_eq!(r.body["error"]["code"], "timeout", "{}: {:?}", app.backend, r.body);
            assert!(r.body["error"]["message"].as_str().unwrap().contains("goes on to the end"), "{:?}", r.body);
        } else {
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while app.count("memberships").await < teams * members && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert_eq!((app.count("teams").await, app.count("memberships").await), (teams, teams * members), "{}", app.backend);
    })
    .await;
}

/// Another process holding SQLite's write lock past the busy timeout (a second import, the
/// server) stops a chunked import between chunks: the error says how many chunks were written
/// and to import again (it was a bare "database is locked"), and importing again finishes.
/// SQLite only: PostgreSQL's writers queue on an advisory lock without a timeout.
#[tokio::test]
async fn a_chunk_kept_busy_by_another_process_says_how_far_the_import_got() {
    use sohoa::teams::import::{Input, Options, import_roster};
    use sqlx::Connection;
    let overrides = vec![("database.busy_timeout_ms", "300".to_string())];
    crate::harness::each_backend_with(overrides, |app| async move {
        if app.backend != "sqlite" {
            return;
        }
        app.seed_units().await;
        let (_, _, file): (i64, String, String) =
            sqlx::query_as("PRAGMA database_list").fetch_one(&app.db.pool).await.unwrap();
        let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{file}")).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, GOOD).unwrap();
        let actor = sohoa::audit::Actor::system("test");
        let options = Options { chunk_rows: Some(2), ..Default::default() };
        let input = Input::File(path);
        let run = || {
            import_roster(
                &app.db,
                &app.plugins,
                &actor,
                None,
                &input,
                sohoa::teams::RosterFormat::Csv,
                &options,
                &|_, _, _| {},
            )
        };
        let err = run().await.unwrap_err();
        assert!(err.is_busy(), "{err:?}");
        assert!(err.to_string().contains("0 of 2 chunks of teams were written"), "{err}");
        assert!(err.to_string().contains("import the file again to finish"), "{err}");

        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        let done = run().await.unwrap();
        assert!(done.written, "{done:?}");
        assert_eq!((app.count("teams").await, app.count("memberships").await), (2, 5));
    })
    .await;
}

/// A file name per content, so the runs above do not overwrite a file still being read.
fn uuid_like(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Rows of one team that disagree on its decision name the field that differs and the first
/// row's value (all three were reported as "decision_number" before).
#[tokio::test]
async fn a_team_whose_rows_disagree_names_the_field_that_differs() {
    each_backend(|app| async move {
        app.seed_units().await;
        let csv = GOOD.replacen(
            "21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Trần Thị Lan",
            "21835,,12/QĐ-UBND,16/06/2022,Nguyễn Văn Hùng,Trần Thị Lan",
            1,
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", csv.into_bytes()).await;
        assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
        let errors = r.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0]["row"].as_u64(), errors[0]["field"].as_str()),
            (Some(3), Some("decision_date"))
        );
        assert!(
            errors[0]["message"].as_str().unwrap().contains("row 2, which has '15/06/2022'"),
            "{errors:?}"
        );
        assert_eq!(app.count("teams").await, 0);

        // The odd row first: the team's decision is the one most rows give, and only the odd
        // row is left out (the first row used to set it, and the two others were dropped).
        let csv = GOOD.replacen(
            "21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng",
            "21835,,12/QĐ-UBND,16/06/2022,Nguyễn Văn Hùng,Nguyễn Văn Hùng",
            1,
        );
        let r = app.post_bytes("/api/v1/teams/import?skip_invalid=true", "text/csv", csv.into_bytes()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let errors = r.body["errors"].as_array().unwrap();
        assert_eq!(
            errors.iter().map(|e| (e["row"].as_u64(), e["field"].as_str())).collect::<Vec<_>>(),
            [(Some(2), Some("decision_date"))],
            "{errors:?}"
        );
        assert!(
            errors[0]["message"].as_str().unwrap().contains("row 3, which has '15/06/2022'"),
            "{errors:?}"
        );
        assert_eq!((r.body["rows_skipped"].as_u64(), r.body["members_created"].as_u64()), (Some(1), Some(4)));
        let teams = app.get("/api/v1/teams?unit=21835&sort=unit").await;
        assert_eq!(teams.body["items"][0]["decision_date"], "2022-06-15", "{:?}", teams.body);
    })
    .await;
}

/// Two more ways an edited file asked for a change an import does not make: a recorded stint's
/// row given the phone of another person of the same name and year of birth (taken for that
/// person, it added them to the team), and two rows filling one person's missing email with two
/// different addresses (the second was taken for someone new). Both refused; nothing written.
#[tokio::test]
async fn a_row_taken_for_a_namesake_or_filling_two_emails_is_refused() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        // Another Lê Văn Tài born in 1988, with his own phone, on the village's team.
        let header = GOOD.lines().next().unwrap();
        let namesake = format!(
            "{header}\n21835-01,Tổ CNSCĐ thôn Phú Thịnh,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Lê Văn Tài,Nam,1988,0905999888,,Thành viên,Khác,,03/07/2022,\n"
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", namesake.into_bytes()).await;
        assert_eq!((r.status.as_u16(), r.body["members_created"].as_u64()), (200, Some(1)), "{:?}", r.body);
        let before = written(&app).await;

        // Row 4 (the first Tài's stint) given the second Tài's phone; Phạm Văn Sơn (no email on
        // record) given one email on his row and another on a new row for the commune's team.
        let edited = format!(
            "{}21835,,12/QĐ-UBND,15/06/2022,Nguyễn Văn Hùng,Phạm Văn Sơn,Nam,1970,0905111004,son.b@example.vn,Thành viên,Trưởng thôn,,01/08/2022,\n",
            GOOD.replace("Lê Văn Tài,Nam,1988,0905111003,", "Lê Văn Tài,Nam,1988,0905999888,")
                .replace("Phạm Văn Sơn,Nam,1970,0905111004,,", "Phạm Văn Sơn,Nam,1970,0905111004,son.a@example.vn,")
        );
        for dry in [true, false] {
            let url = format!("/api/v1/teams/import{}", if dry { "?dry_run=true" } else { "" });
            let r = app.post_bytes(&url, "text/csv", edited.clone().into_bytes()).await;
            assert_eq!(r.status, 422, "{}: {:?}", app.backend, r.body);
            let errors = r.body["errors"].as_array().unwrap();
            let said = |row: u64, field: &str| {
                errors
                    .iter()
                    .find(|e| e["row"] == row && e["field"] == field)
                    .map(|e| e["message"].as_str().unwrap().to_string())
            };
            let phone = said(4, "phone").unwrap_or_else(|| panic!("row 4 phone: {errors:?}"));
            assert!(phone.contains("'0905111003'") && phone.contains("'0905999888'"), "{phone}");
            // One of the two rows (rows are checked team by team) is refused, naming the other.
            let email = said(5, "email").or_else(|| said(7, "email")).unwrap_or_else(|| panic!("email: {errors:?}"));
            assert!(
                (email.contains("row 5") || email.contains("row 7"))
                    && email.contains("'son.a@example.vn'")
                    && email.contains("'son.b@example.vn'"),
                "{email}"
            );
            assert_eq!(errors.len(), 2, "{errors:?}");
        }
        assert_eq!(written(&app).await, before, "{}: nothing written", app.backend);
    })
    .await;
}

/// Two team names of one unit that differ only in case or spacing name one team,
/// against the record and within a file, through the import and the API alike (a helper's
/// find: an exported roster with "thôn" written in lower case made a second team with the
/// same decision and the same leader).
#[tokio::test]
async fn a_team_name_written_in_another_case_is_the_same_team() {
    each_backend(|app| async move {
        app.seed_units().await;
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", GOOD.into()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        let teams = app.count("teams").await;
        let people = app.count("people").await;
        let again = GOOD.replace("Tổ CNSCĐ thôn Phú Thịnh", "tổ cnscđ  THÔN phú thịnh");
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", again.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!((r.body["teams_created"].as_u64(), r.body["members_created"].as_u64()), (Some(0), Some(0)));
        assert_eq!((app.count("teams").await, app.count("people").await), (teams, people));

        // Within one file: one new team, written two ways.
        let header = GOOD.lines().next().unwrap();
        let new = format!(
            "{header}\n\
             21835-02,Tổ CNSCĐ thôn Hòa Hiệp,4/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Võ Văn Bảy,Nam,1980,,,Tổ trưởng,Trưởng thôn,,01/07/2022,\n\
             21835-02,tổ cnscđ thôn hòa hiệp,4/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Võ Thị Tám,Nữ,1985,,,Thành viên,Khác,,01/07/2022,\n"
        );
        let r = app.post_bytes("/api/v1/teams/import", "text/csv", new.into_bytes()).await;
        assert_eq!(r.status, 200, "{}: {:?}", app.backend, r.body);
        assert_eq!((r.body["teams_created"].as_u64(), r.body["members_created"].as_u64()), (Some(1), Some(2)));

        // The API: a new team, or a renamed one, named as another of its unit is refused.
        let r = app
            .post(
                "/api/v1/teams",
                serde_json::json!({"unit_code": "21835-01", "name": "TỔ CNSCĐ THÔN PHÚ THỊNH", "decision_number": "9/QĐ-UBND",
                       "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn Hùng"}),
            )
            .await;
        assert_eq!(r.status, 409, "{}: {:?}", app.backend, r.body);
        let r = app
            .post(
                "/api/v1/teams",
                serde_json::json!({"unit_code": "21835-01", "name": "Tổ thứ hai", "decision_number": "9/QĐ-UBND",
                       "decision_date": "2022-06-15", "decision_signer": "Nguyễn Văn Hùng"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}: {:?}", app.backend, r.body);
        let renamed = serde_json::json!({"name": "tổ CNSCĐ thôn Phú Thịnh"});
        let r = app.patch(&format!("/api/v1/teams/{}", r.body["id"]), renamed).await;
        assert_eq!(r.status, 409, "{}: a rename {:?}", app.backend, r.body);
    })
    .await;
}
