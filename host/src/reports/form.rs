//! A report form (biểu mẫu) as a report template declares it (interface 0.2.0): the host's
//! own checks of a unit's figures against it, before the template's `validate-submission`
//! judges them, and the roll-up of figures by each indicator's declared aggregation.
//!
//! Finding codes of the structural checks (stable, for clients and fixtures):
//! `chi-tieu-khong-co` (an indicator the form does not have), `khong-phai-so` (not a finite
//! number), `phai-la-so-nguyen` (a count that is negative or not whole),
//! `ngoai-gioi-han` (outside the declared bounds, 0-100 for a percentage, or above
//! [`MAX_FIGURE`](crate::plugins::registry::MAX_FIGURE)), `thieu-chi-tieu` (a required
//! indicator left out). All are errors.

use crate::plugins::registry::MAX_FIGURE;
use crate::plugins::types::{
    Aggregation, IndicatorValue, ReportForm, Severity, SubmissionFinding, UnitRow, ValueType,
};

fn error(code: &str, indicator: &str, message: String) -> SubmissionFinding {
    SubmissionFinding { severity: Severity::Error, code: code.into(), indicator: indicator.into(), message }
}

/// `1.234,5`, as figures read in Viet Nam (up to three decimals, no trailing zeros).
pub(crate) fn shown(v: f64) -> String {
    // Past what a whole number holds, the figure as typed (the SDK's grouping saturates there).
    if !v.is_finite() || v.abs() >= 1e15 {
        return format!("{v}");
    }
    let text = sohoa_sdk::text::decimal(v, 3);
    if text.contains(',') { text.trim_end_matches('0').to_string() } else { text }
}

/// The structural checks of `values` against `form` (see the module's documentation), in the
/// order of the values, then the missing required indicators in the form's order. Messages
/// are in Vietnamese and name the indicator.
pub fn check_figures(form: &ReportForm, values: &[IndicatorValue]) -> Vec<SubmissionFinding> {
    let mut out = Vec::new();
    for v in values {
        let Some(indicator) = form.indicators.iter().find(|i| i.code == v.code) else {
            out.push(error(
                "chi-tieu-khong-co",
                &v.code,
                format!("Biểu mẫu không có chỉ tiêu '{}'.", v.code),
            ));
            continue;
        };
        let name = &indicator.name;
        if !v.value.is_finite() {
            out.push(error("khong-phai-so", &v.code, format!("{name}: phải là một số.")));
            continue;
        }
        if indicator.value_type == ValueType::Count && (v.value < 0.0 || v.value.fract() != 0.0) {
            out.push(error(
                "phai-la-so-nguyen",
                &v.code,
                format!("{name}: phải là số nguyên không âm (đã nhập {}).", shown(v.value)),
            ));
            continue;
        }
        let (mut min, mut max) = (indicator.min, indicator.max);
        if indicator.value_type == ValueType::Percentage {
            min = Some(min.map_or(0.0, |m| m.max(0.0)));
            max = Some(max.map_or(100.0, |m| m.min(100.0)));
        }
        let max = Some(max.map_or(MAX_FIGURE, |m| m.min(MAX_FIGURE)));
        let below = min.filter(|m| v.value < *m);
        let above = max.filter(|m| v.value > *m);
        if let Some(bound) = below {
            out.push(error(
                "ngoai-gioi-han",
                &v.code,
                format!("{name}: không được nhỏ hơn {} (đã nhập {}).", shown(bound), shown(v.value)),
            ));
        } else if let Some(bound) = above {
            out.push(error(
                "ngoai-gioi-han",
                &v.code,
                format!("{name}: không được lớn hơn {} (đã nhập {}).", shown(bound), shown(v.value)),
            ));
        }
    }
    for indicator in form.indicators.iter().filter(|i| i.required) {
        if !values.iter().any(|v| v.code == indicator.code) {
            out.push(error(
                "thieu-chi-tieu",
                &indicator.code,
                format!("{}: chỉ tiêu bắt buộc, chưa nhập.", indicator.name),
            ));
        }
    }
    out
}

/// The report's totals: each indicator of `form` added up over `rows` by its declared
/// aggregation (sum, mean, mean weighted by another indicator, max, min; none is left out).
/// Rows without a figure for an indicator do not count for it; an indicator no row has is
/// left out. Weighted means count the rows having both figures, and are left out when the
/// weights add up to zero.
pub fn totals(form: &ReportForm, rows: &[UnitRow]) -> Vec<IndicatorValue> {
    let value = |row: &UnitRow, code: &str| row.values.iter().find(|v| v.code == code).map(|v| v.value);
    let mut out = Vec::new();
    for indicator in &form.indicators {
        let values: Vec<f64> = rows.iter().filter_map(|r| value(r, &indicator.code)).collect();
        if values.is_empty() {
            continue;
        }
        let total = match &indicator.aggregation {
            Aggregation::Sum => Some(values.iter().sum()),
            Aggregation::Mean => Some(values.iter().sum::<f64>() / values.len() as f64),
            Aggregation::WeightedMean { by } => {
                let pairs: Vec<(f64, f64)> =
                    rows.iter().filter_map(|r| Some((value(r, &indicator.code)?, value(r, by)?))).collect();
                let weight: f64 = pairs.iter().map(|(_, w)| w).sum();
                (weight > 0.0).then(|| pairs.iter().map(|(v, w)| v * w).sum::<f64>() / weight)
            }
            Aggregation::Max => values.iter().copied().reduce(f64::max),
            Aggregation::Min => values.iter().copied().reduce(f64::min),
            Aggregation::None => None,
        };
        if let Some(value) = total {
            out.push(IndicatorValue { code: indicator.code.clone(), value });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::periods::{CutOff, PeriodType};
    use crate::plugins::types::{Indicator, Level, SubmissionStatus};

    fn indicator(code: &str, value_type: ValueType, aggregation: Aggregation) -> Indicator {
        Indicator {
            code: code.into(),
            name: code.to_uppercase(),
            name_en: code.into(),
            unit: String::new(),
            value_type,
            aggregation,
            min: None,
            max: None,
            required: false,
        }
    }

    fn form() -> ReportForm {
        let mut ho = indicator("ho", ValueType::Count, Aggregation::Sum);
        ho.required = true;
        let mut diem = indicator("diem", ValueType::Number, Aggregation::Max);
        (diem.min, diem.max) = (Some(1.0), Some(10.0));
        ReportForm {
            period_type: PeriodType::Quarter,
            level: Level::Commune,
            cut_off: CutOff::Calendar,
            deadline_days: 5,
            indicators: vec![
                ho,
                indicator("ty_le", ValueType::Percentage, Aggregation::WeightedMean { by: "ho".into() }),
                indicator("tb", ValueType::Number, Aggregation::Mean),
                diem,
                indicator("rieng", ValueType::Number, Aggregation::None),
                indicator("it_nhat", ValueType::Number, Aggregation::Min),
            ],
        }
    }

    fn values(pairs: &[(&str, f64)]) -> Vec<IndicatorValue> {
        pairs.iter().map(|(code, value)| IndicatorValue { code: code.to_string(), value: *value }).collect()
    }

    fn codes(found: &[SubmissionFinding]) -> Vec<(String, String)> {
        found.iter().map(|f| (f.code.clone(), f.indicator.clone())).collect()
    }

    #[test]
    fn figures_are_checked_against_the_declared_form() {
        let form = form();
        assert!(check_figures(&form, &values(&[("ho", 12.0), ("ty_le", 100.0), ("diem", 10.0)])).is_empty());
        let found = check_figures(
            &form,
            &values(&[
                ("ho", 12.5),
                ("ty_le", 100.5),
                ("diem", 0.5),
                ("tb", f64::NAN),
                ("la", 1.0),
                ("it_nhat", 2e12),
            ]),
        );
        let pair = |c: &str, i: &str| (c.to_string(), i.to_string());
        assert_eq!(
            codes(&found),
            [
                pair("phai-la-so-nguyen", "ho"),
                pair("ngoai-gioi-han", "ty_le"),
                pair("ngoai-gioi-han", "diem"),
                pair("khong-phai-so", "tb"),
                pair("chi-tieu-khong-co", "la"),
                pair("ngoai-gioi-han", "it_nhat"),
            ]
        );
        assert_eq!(found[1].message, "TY_LE: không được lớn hơn 100 (đã nhập 100,5).");
        assert_eq!(found[2].message, "DIEM: không được nhỏ hơn 1 (đã nhập 0,5).");
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        // A required indicator left out; a negative count.
        let found = check_figures(&form, &values(&[("ty_le", -1.0)]));
        assert_eq!(codes(&found), [pair("ngoai-gioi-han", "ty_le"), pair("thieu-chi-tieu", "ho")]);
        assert_eq!(codes(&check_figures(&form, &values(&[("ho", -3.0)]))), [pair("phai-la-so-nguyen", "ho")]);
    }

    #[test]
    fn totals_follow_each_indicators_aggregation() {
        let row = |pairs: &[(&str, f64)]| UnitRow {
            unit_code: String::new(),
            unit_name: String::new(),
            team_count: 0,
            member_count: 0,
            status: SubmissionStatus::Entered,
            submitted_on: None,
            values: values(pairs),
        };
        let rows = [
            row(&[
                ("ho", 100.0),
                ("ty_le", 50.0),
                ("tb", 1.0),
                ("diem", 3.0),
                ("rieng", 7.0),
                ("it_nhat", 4.0),
            ]),
            row(&[("ho", 300.0), ("ty_le", 90.0), ("tb", 2.0), ("diem", 9.0), ("it_nhat", 2.0)]),
            // A unit without figures counts for nothing.
            row(&[]),
        ];
        let totals = totals(&form(), &rows);
        let got: Vec<(&str, f64)> = totals.iter().map(|v| (v.code.as_str(), v.value)).collect();
        // Weighted by households: (100*50 + 300*90) / 400 = 80, not the plain mean 70.
        assert_eq!(got, [("ho", 400.0), ("ty_le", 80.0), ("tb", 1.5), ("diem", 9.0), ("it_nhat", 2.0)]);
        // Weights of zero give no weighted mean rather than a division by zero.
        let zero = [row(&[("ho", 0.0), ("ty_le", 50.0)])];
        assert_eq!(super::totals(&form(), &zero).iter().map(|v| v.code.as_str()).collect::<Vec<_>>(), ["ho"]);
    }
}
