//! A quarterly report template for tests, in two versions built from this one source
//! (`report-template-v1` and `report-template-v2` differ only in [`VERSION`]): proof that a
//! stored report renders with the version that compiled it after the template is upgraded, and
//! that a new compilation takes the new version. Form: communes report a count (households
//! guided, required, summed) and a percentage (share of households with an account, mean
//! weighted by households) each calendar quarter, 10 days after its end.

use sohoa_sdk::document::DocumentBuilder;
use sohoa_sdk::text::decimal;
use sohoa_sdk::*;

pub struct Template;

impl Plugin for Template {
    fn metadata() -> Metadata {
        Metadata {
            id: "bao-cao-thu-nghiem".into(),
            version: super::VERSION.into(),
            name: format!("Báo cáo quý thử nghiệm, mẫu {}", super::VERSION),
            description: "Mẫu báo cáo dùng trong kiểm thử.".into(),
            kinds: vec![RuleKind::Report],
            indicators: vec!["ho_duoc_huong_dan".into(), "ty_le_co_tai_khoan".into()],
            params: vec![],
            report_form: Some(ReportForm {
                period_type: PeriodType::Quarter,
                level: UnitLevel::Commune,
                cut_off: CutOff::Calendar,
                deadline_days: 10,
                indicators: vec![
                    Indicator::count("ho_duoc_huong_dan", "Hộ được hướng dẫn", "households guided", "hộ")
                        .required(),
                    Indicator {
                        value_type: ValueType::Percentage,
                        aggregation: Aggregation::WeightedMean("ho_duoc_huong_dan".into()),
                        ..Indicator::count(
                            "ty_le_co_tai_khoan",
                            "Tỷ lệ hộ có tài khoản",
                            "share with an account",
                            "%",
                        )
                    },
                ],
            }),
        }
    }

    fn render_report(input: ReportInput, _params: Vec<Param>) -> Result<Document, PluginError> {
        let mut rows = Vec::new();
        for row in &input.rows {
            rows.push(vec![
                row.unit_name.clone(),
                row.value("ho_duoc_huong_dan").map_or("-".into(), |v| decimal(v, 0)),
                row.value("ty_le_co_tai_khoan").map_or("-".into(), |v| decimal(v, 1)),
            ]);
        }
        let total = |code: &str, places| input.total(code).map_or("-".to_string(), |v| decimal(v, places));
        rows.push(vec!["Tổng cộng".into(), total("ho_duoc_huong_dan", 0), total("ty_le_co_tai_khoan", 1)]);
        Ok(DocumentBuilder::new(
            &format!("UBND {}", input.unit_name.to_uppercase()),
            "Số:      /BC-TN",
            "BÁO CÁO",
            &format!("Kết quả {} (mẫu {})", input.period.vietnamese(), super::VERSION),
        )
        .paragraph(&format!(
            "{}/{} đơn vị đã gửi số liệu.",
            input.rows.iter().filter(|r| r.reported()).count(),
            input.rows.len()
        ))
        .table(&["Đơn vị", "Hộ được hướng dẫn", "Tỷ lệ có tài khoản (%)"], rows)
        .signature("CHỦ TỊCH", "", "")
        .build())
    }
}
