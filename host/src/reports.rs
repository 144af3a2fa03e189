//! Periodic reports: the report template a unit has enabled (a plugin, see
//! [`bindings::templates`]) turns the unit's figures into a document, which
//! [`documents`](crate::documents) lays out as HTML, DOCX or XLSX.
//!
//! Two ways to a report:
//! - **ad hoc** ([`render`]): the caller supplies the figures per child unit with the request;
//!   the host adds what it knows (each child's teams and serving members, from
//!   [`teams::stats`](crate::teams::stats)). Nothing is stored.
//! - **the reporting workflow**, for templates that declare a report form (interface 0.2.0):
//!   each unit of the form's level enters and submits its figures ([`submissions`]), the level
//!   above accepts or returns them, then compiles, approves and sends its report
//!   ([`compiled`]), made from the accepted figures rolled up over the tree as of the period
//!   ([`rollup`], which also counts completeness). Figures can also come in bulk, from the
//!   form exported as a spreadsheet ([`bulk`]). A compiled report keeps a snapshot of its
//!   input, so its documents can be made again byte for byte.

pub mod bulk;
pub mod compiled;
pub mod form;
pub mod rollup;
mod routes;
pub mod submissions;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::documents::{Format, LayoutError, Layouts, Letter};
use crate::error::{Error, Problems, Result};
use crate::periods::{CutOff, Period};
use crate::plugins::types as h;
use crate::plugins::{Runtime, bindings};
use crate::teams::composition::AppliedPlugin;

pub use routes::routes;

/// What to report.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The period: `2022-07` (month), `2022-Q3` (quarter), `2022-H1` (half-year) or `2022`
    /// (year); which ones a template accepts is its own rule.
    pub period: String,
    /// Date of issue, yyyy-mm-dd or dd/mm/yyyy (default today). Teams and members are counted
    /// on this date.
    pub issued_on: Option<String>,
    /// The issuing office, when it is not the template's default.
    pub issuing_office: Option<String>,
    /// Place name of the date line (default: the unit's name without its type, e.g. "Tây Sơn").
    pub place: Option<String>,
    /// Reported figures per child unit code: `{"21880": {"ho_duoc_huong_dan": 1234}}`.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A rendered report: the template that made it and the document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub plugin: AppliedPlugin,
    pub letter: Letter,
    pub fuel: u64,
}

/// The document as structure (the `json` format).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDocument {
    pub plugin: AppliedPlugin,
    pub issuer: String,
    pub number: String,
    pub place_date: String,
    pub title: String,
    pub subject: String,
    /// The document's text, block by block (table cells joined by ` | `).
    pub text: String,
}

impl From<&Rendered> for ReportDocument {
    fn from(r: &Rendered) -> Self {
        ReportDocument {
            plugin: r.plugin.clone(),
            issuer: r.letter.doc.issuer.clone(),
            number: r.letter.doc.number.clone(),
            place_date: r.letter.place_date(),
            title: r.letter.doc.title.clone(),
            subject: r.letter.doc.subject.clone(),
            text: crate::documents::plain_text(&r.letter.doc),
        }
    }
}

/// "Huyện Tây Sơn" gives "Tây Sơn": the date line names the place without its type.
pub(crate) fn place_name(name: &str, unit_type: &str) -> String {
    name.strip_prefix(unit_type).map(str::trim).filter(|s| !s.is_empty()).unwrap_or(name).to_string()
}

/// Renders the report `template` for the unit `code`. Fails with 404 when the template is
/// not enabled there, 422 on unknown units or indicators in `values`, 502 when the plugin fails.
pub async fn render(
    db: &crate::db::Db,
    runtime: &Arc<Runtime>,
    code: &str,
    template: &str,
    request: ReportRequest,
) -> Result<Rendered> {
    // Read with a pooled connection, given back before the plugin runs.
    let mut pooled = db.pool.acquire().await?;
    let conn: &mut AnyConnection = &mut pooled;
    let mut p = Problems::default();
    let issued_on = match request.issued_on.as_deref().filter(|d| !d.trim().is_empty()) {
        None => crate::dates::today(),
        Some(d) => crate::dates::parse(d).unwrap_or_else(|| {
            p.add("issued_on", format!("'{d}' is not a date"));
            crate::dates::today()
        }),
    };
    let date = crate::dates::iso(issued_on);
    let unit_id = crate::units::id_of(conn, code).await?;
    let unit = crate::units::get(conn, code, &date).await?.unit;
    let resolved = bindings::resolve_template(conn, unit_id, template, &date).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "report template '{template}' (it is not enabled for unit '{code}' on {date})"
        ))
    })?;

    let coverage = crate::teams::stats::by_child(conn, unit_id, &date).await?;
    let mut figures = std::collections::HashMap::new();
    for (child, values) in &request.values {
        if !coverage.iter().any(|c| &c.unit_code == child) {
            p.add(format!("values.{child}"), format!("'{child}' is not a unit under '{code}' on {date}"));
        }
        figures.insert(child.clone(), resolved.plugin.figures(&mut p, &format!("values.{child}"), values));
    }
    let form = resolved.plugin.report_form.clone();
    let cut_off = form.as_ref().map_or(CutOff::Calendar, |f| f.cut_off);
    let period = match request.period.trim() {
        "" => {
            p.add("period", "give the period, e.g. 2022-Q3 or 2022-07");
            None
        }
        given => Period::parse(given, cut_off).map_err(|e| p.add("period", e.to_string())).ok(),
    };
    // A template that declares its form reports by one period type: the host refuses the
    // others (a 0.1.0 template refuses them itself).
    if let (Some(form), Some(period)) = (&form, &period)
        && form.period_type != period.period_type
    {
        p.add(
            "period",
            format!("{} reports by {}, not '{}'", template, form.period_type.example(), period.id),
        );
    }
    p.into_result()?;
    let period = period.expect("checked above");

    let rows: Vec<h::UnitRow> = coverage
        .iter()
        .map(|c| {
            let values = figures.remove(&c.unit_code).unwrap_or_default();
            h::UnitRow {
                unit_code: c.unit_code.clone(),
                unit_name: c.unit_name.clone(),
                team_count: c.teams,
                member_count: c.members,
                // Figures typed into the request are not submissions: no status but this.
                status: if values.is_empty() {
                    h::SubmissionStatus::Missing
                } else {
                    h::SubmissionStatus::Entered
                },
                submitted_on: None,
                values,
            }
        })
        .collect();
    let input = h::ReportInput {
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        period,
        issuing_office: request.issuing_office.clone().unwrap_or_default(),
        place: request.place.clone().unwrap_or_else(|| place_name(&unit.name, &unit.unit_type)),
        issued_on,
        totals: form.as_ref().map(|f| self::form::totals(f, &rows)).unwrap_or_default(),
        // Figures typed into the request have no stored previous period to compare with;
        // compiled reports carry it ([`compiled`]).
        previous_totals: vec![],
        rows,
    };
    let place = input.place.clone();
    let call = crate::plugins::prepare(conn, runtime, &resolved.plugin, &resolved.params).await?;
    drop(pooled);
    let (doc, usage) = call
        .call(runtime, move |runtime, loaded, label, params| {
            runtime.render_report(loaded, label, &input, params)
        })
        .await?;
    Ok(Rendered {
        plugin: AppliedPlugin::from(&resolved),
        letter: Letter { doc, place, date: issued_on },
        fuel: usage.fuel,
    })
}

impl Rendered {
    /// The document laid out in `format`, as an HTTP answer: HTML opens in the browser, DOCX and
    /// XLSX download under a name made from the subject. The layout runs on the blocking pool
    /// through `layouts` (at most `documents.layout_concurrency` at once); one that waits
    /// longer than `documents.layout_wait_ms` for its turn answers 503 `busy`.
    pub async fn file_response(self, format: Format, layouts: &Layouts) -> Result<Response> {
        letter_response(self.letter, format, layouts).await
    }
}

/// `letter` laid out in `format`, as an HTTP answer: HTML opens in the browser, DOCX, XLSX and
/// PDF download under a name made from the subject. The layout runs on the blocking pool
/// through `layouts`; one that waits too long for its turn answers 503 `busy`.
pub async fn letter_response(letter: Letter, format: Format, layouts: &Layouts) -> Result<Response> {
    let how = if format == Format::Html { "inline" } else { "attachment" };
    let disposition = format!("{how}; filename=\"{}.{}\"", letter.file_stem(), format.extension());
    let bytes = layouts.render(letter, format).await.map_err(|e| match e {
        LayoutError::Busy { .. } => Error::Busy { message: e.to_string(), retry_after_secs: 1 },
        LayoutError::Unavailable(message) => Error::Unavailable(message),
        LayoutError::Failed(message) => Error::Internal(message),
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            // A laid-out document is self-contained: its own inline styles, nothing else.
            (header::CONTENT_SECURITY_POLICY, crate::api::DOCUMENT_CSP.to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn place_drops_the_unit_type() {
        assert_eq!(super::place_name("Huyện Tây Sơn", "Huyện"), "Tây Sơn");
        assert_eq!(super::place_name("Thị trấn Phú Phong", "Thị trấn"), "Phú Phong");
        assert_eq!(super::place_name("Tây Sơn", "Huyện"), "Tây Sơn");
    }
}
