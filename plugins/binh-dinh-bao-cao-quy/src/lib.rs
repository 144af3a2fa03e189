//! Bình Định: báo cáo quý của Phòng Văn hóa và Thông tin cấp huyện về kết quả hoạt động của
//! Tổ công nghệ số cộng đồng (Kế hoạch 77/KH-UBND ngày 27/5/2022 của UBND tỉnh giao phòng
//! "định kỳ tổng hợp, báo cáo ... cho UBND huyện và Sở Thông tin và Truyền thông").
//!
//! The plugin writes the words and the table; the host lays the document out per Decree 30/2020
//! (national title, motto, issuer, number, place and date, signature, recipients).

use sohoa_sdk::document::DocumentBuilder;
use sohoa_sdk::text::{decimal, in_sentence, number};
use sohoa_sdk::*;

pub struct BaoCaoQuy;

/// Every indicator this template can show: code, column heading, unit in the text.
const INDICATORS: &[(&str, &str)] = &[
    ("thanh_vien_tap_huan", "Thành viên được tập huấn"),
    ("ho_duoc_huong_dan", "Hộ gia đình được hướng dẫn"),
    ("tk_vneid", "Tài khoản VNeID kích hoạt"),
    ("tk_dvc", "Tài khoản Cổng DVC quốc gia"),
    ("ho_so_dvc_truc_tuyen", "Hồ sơ DVC trực tuyến"),
    ("tk_thanh_toan", "Tài khoản thanh toán điện tử"),
    ("tk_tmdt", "Tài khoản/gian hàng TMĐT"),
    ("luot_tuyen_truyen", "Lượt tuyên truyền"),
];

const DEFAULT_COLUMNS: &str = "ho_duoc_huong_dan,tk_vneid,tk_dvc,ho_so_dvc_truc_tuyen,tk_thanh_toan";

fn text_param(name: &str, description: &str, default: &str) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        description: description.into(),
        default_value: ParamValue::Text(default.into()),
    }
}

impl Plugin for BaoCaoQuy {
    fn metadata() -> Metadata {
        Metadata {
            id: "binh-dinh-bao-cao-quy".into(),
            version: "1.1.0".into(),
            name: "Bình Định — Báo cáo quý về Tổ công nghệ số cộng đồng (cấp huyện)".into(),
            description: "Báo cáo kết quả hoạt động của Tổ CNSCĐ theo quý của Phòng Văn hóa và Thông tin \
                          gửi UBND huyện và Sở Thông tin và Truyền thông, bảng chỉ tiêu theo từng xã."
                .into(),
            kinds: vec![RuleKind::Report],
            indicators: INDICATORS.iter().map(|(code, _)| code.to_string()).collect(),
            params: vec![
                text_param(
                    "co_quan",
                    "Tên cơ quan ban hành (dòng dưới của tên cơ quan)",
                    "Phòng Văn hóa và Thông tin",
                ),
                text_param("ky_hieu", "Ký hiệu văn bản, sau \"Số: .../\"", "BC-VHTT"),
                text_param(
                    "chi_tieu",
                    "Các chỉ tiêu hiện trong bảng, mã cách nhau bởi dấu phẩy",
                    DEFAULT_COLUMNS,
                ),
                text_param(
                    "can_cu",
                    "Căn cứ mở đầu báo cáo",
                    "Thực hiện Kế hoạch số 77/KH-UBND ngày 27/5/2022 của UBND tỉnh Bình Định về việc triển khai Tổ công nghệ số cộng đồng trên địa bàn tỉnh",
                ),
                text_param(
                    "kien_nghi",
                    "Nội dung phần đề xuất, kiến nghị",
                    "Đề nghị Sở Thông tin và Truyền thông tiếp tục tổ chức tập huấn kỹ năng số cho thành viên Tổ công nghệ số cộng đồng; hỗ trợ thiết bị, tài liệu tuyên truyền cho các tổ ở thôn, làng vùng sâu, vùng xa.",
                ),
                text_param("chuc_vu_ky", "Chức vụ người ký", "TRƯỞNG PHÒNG"),
                ParamSpec {
                    name: "ky_thay".into(),
                    description: "Cấp phó ký thay (KT. TRƯỞNG PHÒNG / PHÓ TRƯỞNG PHÒNG)".into(),
                    default_value: ParamValue::Flag(false),
                },
                text_param("nguoi_ky", "Họ và tên người ký", ""),
                ParamSpec {
                    name: "vneid_toi_da_moi_ho".into(),
                    description:
                        "Số tài khoản VNeID kích hoạt tối đa cho mỗi hộ được hướng dẫn (vượt là số liệu sai)"
                            .into(),
                    default_value: ParamValue::Integer(4),
                },
                ParamSpec {
                    name: "giam_canh_bao".into(),
                    description:
                        "Chỉ tiêu giảm quá bao nhiêu phần trăm so với quý trước thì hỏi lại người nhập".into(),
                    default_value: ParamValue::Integer(50),
                },
            ],
            report_form: Some(report_form()),
        }
    }

    fn validate_submission(
        submission: Submission,
        params: Vec<Param>,
    ) -> Result<Vec<SubmissionFinding>, PluginError> {
        validate(&submission, &params)
    }

    fn render_report(input: ReportInput, params: Vec<Param>) -> Result<Document, PluginError> {
        let p = Params(&params);
        let period = &input.period;
        if period.period_type != PeriodType::Quarter {
            return Err(PluginError::Failed(format!(
                "báo cáo quý cần kỳ là một quý (ví dụ 2022-Q3), không phải '{}'",
                period.id
            )));
        }
        let columns = columns(&p.text("chi_tieu")?)?;
        let office = if input.issuing_office.trim().is_empty() {
            p.text("co_quan")?
        } else {
            input.issuing_office.clone()
        };
        let district = in_sentence(&input.unit_name);
        let issuer = format!("UBND {}\n{}", input.unit_name.to_uppercase(), office.to_uppercase());
        let subject = format!("Kết quả hoạt động của Tổ công nghệ số cộng đồng {}", period.vietnamese());
        let mut doc =
            DocumentBuilder::new(&issuer, &format!("Số:      /{}", p.text("ky_hieu")?), "BÁO CÁO", &subject);

        let units = input.rows.len();
        let with_team = input.rows.iter().filter(|r| r.team_count > 0).count();
        let teams: u32 = input.rows.iter().map(|r| r.team_count).sum();
        let members: u32 = input.rows.iter().map(|r| r.member_count).sum();

        doc = doc
            .paragraph(&format!(
                "{}, {} báo cáo kết quả hoạt động của Tổ công nghệ số cộng đồng trên địa bàn {} {} như sau:",
                p.text("can_cu")?,
                office,
                district,
                period.vietnamese()
            ))
            .heading("I. TÌNH HÌNH TỔ CHỨC")
            .paragraph(&format!(
                "Toàn {} có {}/{} đơn vị cấp xã đã thành lập Tổ công nghệ số cộng đồng, với tổng số {} tổ và {} thành viên.",
                district,
                with_team,
                units,
                number(teams.into()),
                number(members.into())
            ));
        let missing: Vec<&str> =
            input.rows.iter().filter(|r| r.team_count == 0).map(|r| r.unit_name.as_str()).collect();
        if !missing.is_empty() {
            doc = doc.paragraph(&format!("Đơn vị chưa thành lập Tổ: {}.", missing.join(", ")));
        }

        doc = doc.heading("II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU");
        let mut header = vec!["TT", "Đơn vị", "Số Tổ", "Số thành viên"];
        header.extend(columns.iter().map(|(_, label)| *label));
        let mut rows = Vec::new();
        let mut totals = vec![0f64; columns.len()];
        for (i, row) in input.rows.iter().enumerate() {
            let mut line = vec![
                (i + 1).to_string(),
                row.unit_name.clone(),
                number(row.team_count.into()),
                number(row.member_count.into()),
            ];
            for (c, (code, _)) in columns.iter().enumerate() {
                match row.value(code) {
                    Some(v) => {
                        totals[c] += v;
                        line.push(decimal(v, 1));
                    }
                    None => line.push("-".into()),
                }
            }
            rows.push(line);
        }
        let mut total = vec![String::new(), "Tổng cộng".into(), number(teams.into()), number(members.into())];
        total.extend(totals.iter().map(|t| decimal(*t, 1)));
        rows.push(total);
        doc = doc.table(&header, rows);

        let reported = input.rows.iter().filter(|r| r.reported()).count();
        let mut progress = format!("{reported}/{} đơn vị cấp xã đã gửi số liệu trong kỳ", input.rows.len());
        if let (Some(now), Some(before)) =
            (input.total("ho_duoc_huong_dan"), input.previous_total("ho_duoc_huong_dan"))
            && before > 0.0
        {
            let change = (now - before) / before * 100.0;
            let word = if change >= 0.0 { "tăng" } else { "giảm" };
            progress.push_str(&format!(
                "; số hộ gia đình được hướng dẫn {word} {}% so với quý trước",
                decimal(change.abs(), 1)
            ));
        }
        doc = doc.paragraph(&format!("{progress}."));
        let silent: Vec<&str> =
            input.rows.iter().filter(|r| r.values.is_empty()).map(|r| r.unit_name.as_str()).collect();
        if !silent.is_empty() {
            doc = doc.paragraph(&format!(
                "Đơn vị chưa gửi số liệu trong kỳ (ký hiệu \"-\"): {}.",
                silent.join(", ")
            ));
        }
        if let Some(best) = input
            .rows
            .iter()
            .filter_map(|r| r.value("ho_duoc_huong_dan").map(|v| (r, v)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(_, v)| *v > 0.0)
        {
            doc = doc.paragraph(&format!(
                "Đơn vị dẫn đầu về số hộ gia đình được hướng dẫn: {} ({} hộ).",
                best.0.unit_name,
                decimal(best.1, 0)
            ));
        }

        let (authority, title) = if p.flag("ky_thay")? {
            (format!("KT. {}", p.text("chuc_vu_ky")?), format!("PHÓ {}", p.text("chuc_vu_ky")?))
        } else {
            (p.text("chuc_vu_ky")?, String::new())
        };
        Ok(doc
            .heading("III. ĐỀ XUẤT, KIẾN NGHỊ")
            .paragraph(&p.text("kien_nghi")?)
            .recipients(&[
                &format!("UBND {} (b/c);", district),
                "Sở Thông tin và Truyền thông (b/c);",
                "Lưu: VT.",
            ])
            .signature(&authority, &title, &p.text("nguoi_ky")?)
            .build())
    }
}

/// The form: each commune's figures for a quarter, counted as Decree 09/2019/NĐ-CP counts
/// (15th of the month before the quarter to the 14th of its last month), due 4 days later (the
/// 18th). Households guided is required.
fn report_form() -> ReportForm {
    const UNITS: &[(&str, &str)] = &[
        ("người", "members trained"),
        ("hộ", "households guided"),
        ("tài khoản", "VNeID accounts activated"),
        ("tài khoản", "national public service portal accounts"),
        ("hồ sơ", "online public service files"),
        ("tài khoản", "electronic payment accounts"),
        ("tài khoản", "e-commerce accounts or shops"),
        ("lượt", "outreach sessions"),
    ];
    ReportForm {
        period_type: PeriodType::Quarter,
        level: UnitLevel::Commune,
        cut_off: CutOff::AdministrativeRegime,
        deadline_days: 4,
        indicators: INDICATORS
            .iter()
            .zip(UNITS)
            .map(|((code, name), (unit, en))| {
                let indicator = Indicator::count(code, name, en, unit);
                if *code == "ho_duoc_huong_dan" { indicator.required() } else { indicator }
            })
            .collect(),
    }
}

/// Bình Định's own checks of a commune's quarterly figures: more VNeID accounts than
/// `vneid_toi_da_moi_ho` per household guided is an error (the figures are wrong); an
/// indicator falling by more than `giam_canh_bao` percent since the last quarter is a warning.
fn validate(submission: &Submission, params: &[Param]) -> Result<Vec<SubmissionFinding>, PluginError> {
    let p = Params(params);
    let per_household = p.integer("vneid_toi_da_moi_ho")?;
    let drop = p.integer("giam_canh_bao")?;
    if per_household < 1 || !(1..=100).contains(&drop) {
        return Err(PluginError::InvalidParams(
            "vneid_toi_da_moi_ho phải từ 1 trở lên, giam_canh_bao từ 1 đến 100".into(),
        ));
    }
    let mut found = Vec::new();
    if let (Some(vneid), Some(guided)) = (submission.value("tk_vneid"), submission.value("ho_duoc_huong_dan"))
        && vneid > guided * per_household as f64
    {
        found.push(SubmissionFinding::error(
            "tk_vneid",
            "vneid-vuot-so-ho",
            format!(
                "Tài khoản VNeID kích hoạt ({}) vượt quá {per_household} tài khoản cho mỗi hộ được hướng dẫn ({} hộ).",
                decimal(vneid, 0),
                decimal(guided, 0)
            ),
        ));
    }
    for (code, name) in INDICATORS {
        if let (Some(now), Some(before)) = (submission.value(code), submission.previous_value(code))
            && before > 0.0
            && now < before * (100 - drop) as f64 / 100.0
        {
            found.push(SubmissionFinding::warning(
                code,
                "giam-manh",
                format!(
                    "{name}: {} so với {} quý trước, giảm hơn {drop}%. Đề nghị kiểm tra lại trước khi gửi.",
                    decimal(now, 0),
                    decimal(before, 0)
                ),
            ));
        }
    }
    Ok(found)
}

/// The columns the `chi_tieu` parameter asks for, in its order.
fn columns(spec: &str) -> Result<Vec<(&'static str, &'static str)>, PluginError> {
    let mut out = Vec::new();
    for code in spec.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match INDICATORS.iter().find(|(c, _)| *c == code) {
            Some(found) => out.push(*found),
            None => {
                let known: Vec<&str> = INDICATORS.iter().map(|(c, _)| *c).collect();
                return Err(PluginError::InvalidParams(format!(
                    "chỉ tiêu '{code}' không có trong mẫu báo cáo (có: {})",
                    known.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

register_plugin!(BaoCaoQuy);

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, name: &str, teams: u32, members: u32, values: &[(&str, f64)]) -> UnitRow {
        UnitRow {
            unit_code: code.into(),
            unit_name: name.into(),
            team_count: teams,
            member_count: members,
            status: if values.is_empty() { SubmissionStatus::Missing } else { SubmissionStatus::Entered },
            submitted_on: None,
            values: values.iter().map(|(c, v)| IndicatorValue { code: c.to_string(), value: *v }).collect(),
        }
    }

    fn params() -> Vec<Param> {
        BaoCaoQuy::metadata()
            .params
            .into_iter()
            .map(|s| Param { name: s.name, value: s.default_value })
            .collect()
    }

    fn input(period: &str) -> ReportInput {
        ReportInput {
            unit_code: "547".into(),
            unit_name: "Huyện Tây Sơn".into(),
            period: Period::calendar(period).unwrap(),
            issuing_office: String::new(),
            place: "Tây Sơn".into(),
            issued_on: Date::new(2022, 10, 5),
            rows: vec![
                row(
                    "21808",
                    "Thị trấn Phú Phong",
                    9,
                    45,
                    &[("ho_duoc_huong_dan", 1234.0), ("tk_vneid", 800.0)],
                ),
                row("21835", "Xã Bình Tường", 12, 60, &[("ho_duoc_huong_dan", 950.0)]),
                row("21841", "Xã Vĩnh An", 0, 0, &[]),
            ],
            totals: vec![IndicatorValue { code: "ho_duoc_huong_dan".into(), value: 2184.0 }],
            previous_totals: vec![IndicatorValue { code: "ho_duoc_huong_dan".into(), value: 1950.0 }],
        }
    }

    fn text(doc: &Document) -> String {
        let mut out = vec![doc.issuer.clone(), doc.number.clone(), doc.title.clone(), doc.subject.clone()];
        for b in &doc.blocks {
            match b {
                Block::Heading(t) | Block::Paragraph(t) => out.push(t.clone()),
                Block::Table(t) => out.extend(t.rows.iter().map(|r| r.join(" | "))),
                Block::Signature(s) => out.push(format!("{} {} {}", s.authority, s.title, s.name)),
                Block::Recipients(r) => out.extend(r.iter().cloned()),
            }
        }
        out.join("\n")
    }

    #[test]
    fn quarterly_report_has_totals_and_vietnamese_numbers() {
        let doc = BaoCaoQuy::render_report(input("2022-Q3"), params()).unwrap();
        let t = text(&doc);
        assert!(doc.issuer.starts_with("UBND HUYỆN TÂY SƠN\nPHÒNG VĂN HÓA"), "{}", doc.issuer);
        assert!(doc.subject.ends_with("quý III năm 2022"));
        assert!(t.contains("2/3 đơn vị cấp xã"), "{t}");
        assert!(t.contains(" | Tổng cộng | 21 | 105 | 2.184 | 800"), "{t}");
        assert!(t.contains("Đơn vị chưa thành lập Tổ: Xã Vĩnh An."), "{t}");
        assert!(t.contains("Thị trấn Phú Phong (1.234 hộ)"), "{t}");
        // (2184 - 1950) / 1950 = 12%.
        assert!(
            t.contains("2/3 đơn vị cấp xã đã gửi số liệu trong kỳ; số hộ gia đình được hướng dẫn tăng 12% so với quý trước."),
            "{t}"
        );
    }

    #[test]
    fn submissions_are_judged_by_the_provinces_rules() {
        let submission = |values: &[(&str, f64)], previous: Option<&[(&str, f64)]>| Submission {
            unit_code: "21835".into(),
            unit_name: "Xã Bình Tường".into(),
            period: Period::calendar("2022-Q3").unwrap(),
            values: values.iter().map(|(c, v)| IndicatorValue { code: c.to_string(), value: *v }).collect(),
            previous: previous
                .map(|p| p.iter().map(|(c, v)| IndicatorValue { code: c.to_string(), value: *v }).collect()),
        };
        let codes = |s: Submission| {
            validate(&s, &params())
                .unwrap()
                .into_iter()
                .map(|f| format!("{}@{}", f.code, f.indicator))
                .collect::<Vec<_>>()
        };
        assert!(codes(submission(&[("ho_duoc_huong_dan", 100.0), ("tk_vneid", 400.0)], None)).is_empty());
        assert_eq!(
            codes(submission(
                &[("ho_duoc_huong_dan", 100.0), ("tk_vneid", 401.0)],
                Some(&[("ho_duoc_huong_dan", 201.0)])
            )),
            ["vneid-vuot-so-ho@tk_vneid", "giam-manh@ho_duoc_huong_dan"]
        );
        // Exactly half is not "more than half".
        assert!(
            codes(submission(&[("ho_duoc_huong_dan", 100.0)], Some(&[("ho_duoc_huong_dan", 200.0)])))
                .is_empty()
        );
    }

    #[test]
    fn a_month_is_not_a_quarter_and_unknown_columns_are_refused() {
        assert!(matches!(BaoCaoQuy::render_report(input("2022-07"), params()), Err(PluginError::Failed(_))));
        let mut p = params();
        p.iter_mut().find(|p| p.name == "chi_tieu").unwrap().value =
            ParamValue::Text("so_ho,tk_vneid".into());
        assert!(matches!(BaoCaoQuy::render_report(input("2022-Q3"), p), Err(PluginError::InvalidParams(_))));
    }
}
