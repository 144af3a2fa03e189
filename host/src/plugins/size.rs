//! How big a plugin call's input and answer are, and how many elements an answer has, so
//! both are bounded before anything is lowered into a plugin or laid out by the host.
//!
//! Measured on the host's own types ([`super::types`]), the same for every interface version.

use super::runtime::PluginFailure;
use super::types as h;
use crate::config::PluginSettings;

/// What every element of an input or an answer costs in the size accounting besides its text:
/// a team, member, skill, parameter, unit row, indicator value, candidate; a finding, member
/// id, assessment, reason, metadata entry; a document block, table row, cell and recipient.
/// The host's work and memory grow with the elements, not only with their bytes: 100,000
/// empty recipients laid out as DOCX made 15.7 MB (issue 11, fault 3). With it, an answer
/// holds at most `max_output_bytes / ELEMENT_BYTES` elements, whatever their text.
pub const ELEMENT_BYTES: usize = 32;

/// A list of texts: each costs [`ELEMENT_BYTES`] and its length.
pub(super) fn texts_size(items: &[String]) -> usize {
    items.iter().map(|t| ELEMENT_BYTES + t.len()).sum()
}

pub(super) fn indicator_values_size(values: &[h::IndicatorValue]) -> usize {
    values.iter().map(|v| ELEMENT_BYTES + v.code.len()).sum()
}

pub(super) fn value_size(v: &h::ParamValue) -> usize {
    match v {
        h::ParamValue::Text(t) => t.len(),
        _ => 8,
    }
}

pub(super) fn team_size(t: &h::Team) -> usize {
    // A team and a member are records of several fields: twice an element.
    2 * ELEMENT_BYTES
        + t.name.len()
        + t.unit_code.len()
        + t.unit_name.len()
        + t.members
            .iter()
            .map(|m| 2 * ELEMENT_BYTES + m.full_name.len() + texts_size(&m.skills))
            .sum::<usize>()
}

pub(super) fn param_size(p: &h::Param) -> usize {
    ELEMENT_BYTES + p.name.len() + value_size(&p.value)
}

pub(super) fn report_input_size(i: &h::ReportInput) -> usize {
    ELEMENT_BYTES
        + i.unit_code.len()
        + i.unit_name.len()
        + i.period.id.len()
        + i.issuing_office.len()
        + i.place.len()
        + i.rows
            .iter()
            .map(|r| ELEMENT_BYTES + r.unit_code.len() + r.unit_name.len() + indicator_values_size(&r.values))
            .sum::<usize>()
        + indicator_values_size(&i.totals)
        + indicator_values_size(&i.previous_totals)
}

pub(super) fn submission_size(s: &h::Submission) -> usize {
    ELEMENT_BYTES
        + s.unit_code.len()
        + s.unit_name.len()
        + s.period.id.len()
        + indicator_values_size(&s.values)
        + s.previous.as_deref().map_or(0, indicator_values_size)
}

pub(super) fn submission_findings_size(found: &[h::SubmissionFinding]) -> usize {
    found.iter().map(|f| ELEMENT_BYTES + f.code.len() + f.indicator.len() + f.message.len()).sum()
}

pub(super) fn candidate_size(c: &h::Candidate) -> usize {
    ELEMENT_BYTES + c.name.len() + c.unit_code.len() + indicator_values_size(&c.values)
}

pub(super) fn meta_size(m: &h::Metadata) -> usize {
    ELEMENT_BYTES
        + m.id.len()
        + m.version.len()
        + m.name.len()
        + m.description.len()
        + ELEMENT_BYTES * m.kinds.len()
        + texts_size(&m.indicators)
        + m.params
            .iter()
            .map(|p| ELEMENT_BYTES + p.name.len() + p.description.len() + value_size(&p.default_value))
            .sum::<usize>()
        + m.report_form.as_ref().map_or(0, |f| {
            ELEMENT_BYTES
                + f.indicators
                    .iter()
                    .map(|i| {
                        ELEMENT_BYTES
                            + i.code.len()
                            + i.name.len()
                            + i.name_en.len()
                            + i.unit.len()
                            + match &i.aggregation {
                                h::Aggregation::WeightedMean { by } => by.len(),
                                _ => 0,
                            }
                    })
                    .sum::<usize>()
        })
}

pub(super) fn findings_size(findings: &[h::Finding]) -> usize {
    findings
        .iter()
        .map(|f| ELEMENT_BYTES + f.code.len() + f.message.len() + ELEMENT_BYTES * f.member_ids.len())
        .sum()
}

pub(super) fn assessments_size(out: &[h::Assessment]) -> usize {
    out.iter().map(|a| ELEMENT_BYTES + a.award.as_ref().map_or(0, String::len) + texts_size(&a.reasons)).sum()
}

pub(super) fn document_size(d: &h::Document) -> usize {
    let block = |b: &h::Block| {
        ELEMENT_BYTES
            + match b {
                h::Block::Heading(t) | h::Block::Paragraph(t) => t.len(),
                h::Block::Table(t) => {
                    texts_size(&t.header)
                        + t.rows.iter().map(|r| ELEMENT_BYTES + texts_size(r)).sum::<usize>()
                }
                h::Block::Signature(s) => s.authority.len() + s.title.len() + s.name.len(),
                h::Block::Recipients(r) => texts_size(r),
            }
    };
    ELEMENT_BYTES
        + d.issuer.len()
        + d.number.len()
        + d.title.len()
        + d.subject.len()
        + d.blocks.iter().map(block).sum::<usize>()
}

/// Fails when `count` elements of a kind exceed the setting `plugins.<setting>`.
pub(super) fn at_most(
    plugin: &str,
    what: &'static str,
    count: usize,
    limit: usize,
    setting: &'static str,
) -> Result<(), PluginFailure> {
    if count > limit {
        return Err(PluginFailure::TooManyElements { plugin: plugin.into(), what, count, limit, setting });
    }
    Ok(())
}

/// A document's element counts against the caps, before anything lays it out: blocks, rows
/// and cells per table, cells of all tables, recipients of all recipients blocks.
pub(super) fn check_document_counts(
    limits: &PluginSettings,
    plugin: &str,
    d: &h::Document,
) -> Result<(), PluginFailure> {
    at_most(plugin, "document blocks", d.blocks.len(), limits.max_blocks, "max_blocks")?;
    let (mut cells, mut recipients) = (0usize, 0usize);
    for block in &d.blocks {
        match block {
            h::Block::Table(t) => {
                at_most(plugin, "rows in one table", t.rows.len(), limits.max_table_rows, "max_table_rows")?;
                let widest = std::iter::once(&t.header).chain(&t.rows).map(Vec::len).max().unwrap_or(0);
                at_most(
                    plugin,
                    "cells in one table row",
                    widest,
                    limits.max_table_columns,
                    "max_table_columns",
                )?;
                cells += t.header.len() + t.rows.iter().map(Vec::len).sum::<usize>();
            }
            h::Block::Recipients(r) => recipients += r.len(),
            _ => {}
        }
    }
    at_most(plugin, "table cells", cells, limits.max_table_cells, "max_table_cells")?;
    at_most(plugin, "recipients", recipients, limits.max_recipients, "max_recipients")
}

pub(super) fn check_findings_counts(
    limits: &PluginSettings,
    plugin: &str,
    findings: &[h::Finding],
) -> Result<(), PluginFailure> {
    let cap = limits.max_list_items;
    at_most(plugin, "findings", findings.len(), cap, "max_list_items")?;
    let most = findings.iter().map(|f| f.member_ids.len()).max().unwrap_or(0);
    at_most(plugin, "member ids in one finding", most, cap, "max_list_items")
}

pub(super) fn check_assessment_counts(
    limits: &PluginSettings,
    plugin: &str,
    out: &[h::Assessment],
) -> Result<(), PluginFailure> {
    let cap = limits.max_list_items;
    at_most(plugin, "assessments", out.len(), cap, "max_list_items")?;
    let most = out.iter().map(|a| a.reasons.len()).max().unwrap_or(0);
    at_most(plugin, "reasons in one assessment", most, cap, "max_list_items")
}

pub(super) fn check_metadata_counts(
    limits: &PluginSettings,
    plugin: &str,
    m: &h::Metadata,
) -> Result<(), PluginFailure> {
    let cap = limits.max_list_items;
    at_most(plugin, "kinds of rule", m.kinds.len(), cap, "max_list_items")?;
    at_most(plugin, "indicators", m.indicators.len(), cap, "max_list_items")?;
    at_most(plugin, "parameters", m.params.len(), cap, "max_list_items")?;
    let indicators = m.report_form.as_ref().map_or(0, |f| f.indicators.len());
    at_most(plugin, "indicators of the report form", indicators, cap, "max_list_items")
}

pub(super) fn check_submission_counts(
    limits: &PluginSettings,
    plugin: &str,
    found: &[h::SubmissionFinding],
) -> Result<(), PluginFailure> {
    at_most(plugin, "submission findings", found.len(), limits.max_list_items, "max_list_items")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn doc(blocks: Vec<h::Block>) -> h::Document {
        h::Document {
            issuer: String::new(),
            number: String::new(),
            title: String::new(),
            subject: String::new(),
            blocks,
        }
    }

    fn table(columns: usize, rows: usize) -> h::Block {
        h::Block::Table(h::Table {
            header: vec![String::new(); columns],
            rows: vec![vec![String::new(); columns]; rows],
        })
    }

    fn date() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2022, 7, 1).unwrap()
    }

    #[test]
    fn empty_elements_cost_per_element() {
        let e = ELEMENT_BYTES;
        assert_eq!(e, 32);
        // Issue 11, fault 3: one recipients block of 100,000 empty strings.
        let recipients = doc(vec![h::Block::Recipients(vec![String::new(); 100_000])]);
        assert_eq!(document_size(&recipients), 3_200_064);
        assert!(document_size(&recipients) > Settings::defaults().plugins.max_output_bytes);
        // The document, the block, the header's 2 cells, 3 rows of 2 cells; then the texts.
        assert_eq!(document_size(&doc(vec![table(2, 3)])), e + e + 2 * e + 3 * (e + 2 * e));
        let mut signed = doc(vec![h::Block::Paragraph("Kính gửi".into())]);
        signed.issuer = "UBND".into();
        assert_eq!(document_size(&signed), e + 4 + e + "Kính gửi".len());

        let finding = h::Finding {
            team_id: 1,
            severity: h::Severity::Warning,
            code: String::new(),
            message: String::new(),
            member_ids: vec![7, 8],
        };
        assert_eq!(findings_size(&vec![finding; 1000]), 1000 * (e + 2 * e));
        let assessment =
            h::Assessment { candidate_id: 1, score: 0.0, award: None, reasons: vec![String::new(); 3] };
        assert_eq!(assessments_size(&vec![assessment; 10]), 10 * (e + 3 * e));

        let member = h::Member {
            id: 1,
            full_name: String::new(),
            gender: h::Gender::Female,
            age: None,
            position: h::Position::Member,
            affiliation: h::Affiliation::Volunteer,
            skills: vec![String::new(); 3],
            joined_on: date(),
            left_on: None,
        };
        let team = h::Team {
            id: 1,
            name: String::new(),
            unit_code: String::new(),
            unit_name: String::new(),
            kind: h::Level::Village,
            status: h::TeamStatus::Active,
            decision_date: date(),
            members: vec![member; 2],
        };
        assert_eq!(team_size(&team), 2 * e + 2 * (2 * e + 3 * e));
        let param = h::Param { name: String::new(), value: h::ParamValue::Integer(1) };
        assert_eq!(param_size(&param), e + 8);

        let meta = h::Metadata {
            id: String::new(),
            version: String::new(),
            name: String::new(),
            description: String::new(),
            kinds: vec![h::Kind::Report; 2],
            indicators: vec![String::new(); 3],
            params: vec![h::ParamDecl {
                name: String::new(),
                description: String::new(),
                default_value: h::ParamValue::Integer(0),
            }],
            report_form: None,
        };
        assert_eq!(meta_size(&meta), e + 2 * e + 3 * e + (e + 8));
        // A report form: the form, then each indicator and its texts.
        let indicator = h::Indicator {
            code: "ab".into(),
            name: String::new(),
            name_en: String::new(),
            unit: String::new(),
            value_type: h::ValueType::Count,
            aggregation: h::Aggregation::WeightedMean { by: "xyz".into() },
            min: None,
            max: None,
            required: true,
        };
        let form = h::ReportForm {
            period_type: h::PeriodType::Quarter,
            level: h::Level::Commune,
            cut_off: h::CutOff::Calendar,
            deadline_days: 5,
            indicators: vec![indicator; 2],
        };
        let with_form = h::Metadata { report_form: Some(form), ..meta };
        assert_eq!(meta_size(&with_form), e + 2 * e + 3 * e + (e + 8) + e + 2 * (e + 2 + 3));
        let value = h::IndicatorValue { code: String::new(), value: 1.0 };
        let row = h::UnitRow {
            unit_code: String::new(),
            unit_name: String::new(),
            team_count: 0,
            member_count: 0,
            status: h::SubmissionStatus::Entered,
            submitted_on: None,
            values: vec![value.clone()],
        };
        let input = h::ReportInput {
            unit_code: String::new(),
            unit_name: String::new(),
            period: h::Period::parse("2022", h::CutOff::Calendar).unwrap(),
            issuing_office: String::new(),
            place: String::new(),
            issued_on: date(),
            rows: vec![row; 2],
            totals: vec![value.clone()],
            previous_totals: vec![],
        };
        assert_eq!(report_input_size(&input), e + 4 + 2 * (e + e) + e);
        let submission = h::Submission {
            unit_code: String::new(),
            unit_name: String::new(),
            period: input.period.clone(),
            values: vec![value.clone(); 3],
            previous: Some(vec![value.clone()]),
        };
        assert_eq!(submission_size(&submission), e + 4 + 3 * e + e);
        let candidate = h::Candidate {
            id: 1,
            kind: h::CandidateKind::Team,
            name: String::new(),
            unit_code: String::new(),
            values: vec![value; 2],
        };
        assert_eq!(candidate_size(&candidate), e + 2 * e);
    }

    #[test]
    fn element_caps_name_the_plugin_what_and_the_limit() {
        let limits = Settings::defaults().plugins;
        let check = |blocks: Vec<h::Block>| {
            check_document_counts(&limits, "hostile@0.1.0", &doc(blocks)).map_err(|e| e.to_string())
        };
        let cells = |row_widths: &[usize]| {
            let rows = row_widths.iter().map(|&n| vec![String::new(); n]).collect();
            h::Block::Table(h::Table { header: vec![], rows })
        };
        // Every cap reached at once, none passed: 500 blocks, a table of 2000 rows with a row
        // of 32 cells, 20000 cells in all, 100 recipients.
        let at_caps = |extra: Vec<h::Block>| {
            let mut widths = vec![9; 2000];
            widths[0] = 32;
            let mut blocks = vec![
                cells(&widths),
                cells(&[1; 1977]),
                h::Block::Recipients(vec![String::new(); 60]),
                h::Block::Recipients(vec![String::new(); 40]),
            ];
            blocks.extend(std::iter::repeat_n(h::Block::Paragraph(String::new()), 496 - extra.len()));
            blocks.extend(extra);
            blocks
        };
        assert_eq!(check(at_caps(vec![])), Ok(()));
        let message = |count: usize, what: &str, limit: usize, setting: &str| {
            Err(format!(
                "plugin hostile@0.1.0 answered {count} {what}; at most {limit} are accepted (plugins.{setting})"
            ))
        };
        let mut blocks = at_caps(vec![]);
        blocks.push(h::Block::Paragraph(String::new()));
        assert_eq!(check(blocks), message(501, "document blocks", 500, "max_blocks"));
        assert_eq!(
            check(vec![cells(&[1; 2001])]),
            message(2001, "rows in one table", 2000, "max_table_rows")
        );
        assert_eq!(check(vec![table(33, 1)]), message(33, "cells in one table row", 32, "max_table_columns"));
        assert_eq!(
            check(at_caps(vec![cells(&[1])])),
            message(20001, "table cells", 20000, "max_table_cells")
        );
        assert_eq!(
            check(at_caps(vec![h::Block::Recipients(vec![String::new()])])),
            message(101, "recipients", 100, "max_recipients")
        );
        // The hostile plugin's attacks.
        assert_eq!(
            check(vec![h::Block::Recipients(vec![String::new(); 100_000])]),
            message(100_000, "recipients", 100, "max_recipients")
        );
        assert_eq!(check(vec![table(30, 2000)]), message(60_030, "table cells", 20000, "max_table_cells"));

        let finding = |ids: usize| h::Finding {
            team_id: 1,
            severity: h::Severity::Info,
            code: String::new(),
            message: String::new(),
            member_ids: vec![1; ids],
        };
        let findings = |f: Vec<h::Finding>| {
            check_findings_counts(&limits, "hostile@0.1.0", &f).map_err(|e| e.to_string())
        };
        assert_eq!(findings(vec![finding(20_000); 1]), Ok(()));
        assert_eq!(findings(vec![finding(0); 20_001]), message(20_001, "findings", 20_000, "max_list_items"));
        assert_eq!(
            findings(vec![finding(20_001)]),
            message(20_001, "member ids in one finding", 20_000, "max_list_items")
        );
        let assessment = |reasons: usize| h::Assessment {
            candidate_id: 1,
            score: 1.0,
            award: None,
            reasons: vec![String::new(); reasons],
        };
        let assessed = |a: Vec<h::Assessment>| {
            check_assessment_counts(&limits, "hostile@0.1.0", &a).map_err(|e| e.to_string())
        };
        assert_eq!(
            assessed(vec![assessment(20_001)]),
            message(20_001, "reasons in one assessment", 20_000, "max_list_items")
        );
        assert_eq!(
            assessed(vec![assessment(0); 20_001]),
            message(20_001, "assessments", 20_000, "max_list_items")
        );
    }
}
