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
