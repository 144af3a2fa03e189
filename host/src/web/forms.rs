//! Refused forms, the way officials expect them (the error summary pattern of the GOV.UK design
//! system): the page comes back with everything typed still in the fields, a summary at the top
//! takes the focus (`autofocus` on a `tabindex="-1"` box, no script needed) and links to each
//! field at fault, and each such field carries `aria-invalid` and `aria-describedby` pointing
//! at its own message. Success is always a redirect (post/redirect/get), so F5 never resubmits.
//!
//! Templates use the macros of `forms.html`: `f.attrs(errors, "name")` inside the input's tag and
//! `f.message(errors, "name")` after it; `base.html` draws the summary for any page given
//! `errors`.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;

use super::{Ctx, WebError, WebResult, i18n};
use crate::error::Error;

/// Why a form was refused: a summary for the top of the page and a message per field.
#[derive(Debug, Default, Serialize)]
pub struct FormErrors {
    /// What happened, in the user's language ("Chưa lưu được: …"); None when nothing was
    /// refused.
    pub heading: Option<String>,
    /// Every problem, in the order the fields come, for the summary.
    pub problems: Vec<Problem>,
    /// Form field name → its message, to mark the fields.
    pub fields: BTreeMap<String, String>,
    /// The refusal may be overridden with a reason (a composition rule that breaks or cannot
    /// run), which the page then asks for.
    pub needs_override: bool,
}

/// One line of the error summary; `field` makes it a link to that field (`#f-<field>`).
#[derive(Debug, Serialize)]
pub struct Problem {
    pub field: Option<String>,
    pub text: String,
}

impl FormErrors {
    /// A refusal headed by `heading`, with no problem listed yet.
    pub fn new(heading: impl Into<String>) -> Self {
        FormErrors { heading: Some(heading.into()), ..Default::default() }
    }

    /// Adds a problem with the form field `field`, shown as "label: message".
    pub fn field(&mut self, field: &str, label: &str, message: impl Into<String>) -> &mut Self {
        let message = message.into();
        self.problems.push(Problem { field: Some(field.to_string()), text: format!("{label}: {message}") });
        self.fields.entry(field.to_string()).or_insert(message);
        self
    }

    /// Adds a problem with the form field `field` that has no words for people, shown as the
    /// message alone.
    pub fn unlabelled(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        let message = message.into();
        self.problems.push(Problem { field: Some(field.to_string()), text: message.clone() });
        self.fields.entry(field.to_string()).or_insert(message);
        self
    }

    /// Adds a problem that belongs to no one field (a finding of the composition rule).
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.problems.push(Problem { field: None, text: text.into() });
        self
    }

    pub fn is_refusal(&self) -> bool {
        self.heading.is_some()
    }

    /// 422 for a refused form, so that tests and tools see it was not saved; 200 otherwise.
    pub fn status(&self) -> StatusCode {
        if self.is_refusal() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }
    }

    /// The words for a service's refusal of a form. `label` names a form field for people
    /// (`member.full_name` → "Họ và tên"). Validation errors go to their fields; a broken
    /// composition rule lists its findings and asks for an override reason; a rule that could
    /// not run says so in Vietnamese (its technical cause only to administrators); a busy
    /// server asks to try again. Anything else (not found, forbidden, a fault) is not a refusal
    /// of the form and is passed on as an error page.
    pub fn from_error(ctx: &Ctx, e: Error, label: impl Fn(&str) -> String) -> WebResult<FormErrors> {
        let mut errors = FormErrors::default();
        match e {
            Error::Validation(fields) => {
                errors.heading = Some(ctx.t("form.invalid"));
                for f in fields {
                    let (name, message) = (label(&f.field), i18n::problem(ctx.lang, &f.message));
                    // A field the label function has no words for (the team a member is added
                    // to comes from the page's address) gets back the service's name for it:
                    // its problem is told on its own, not as "team_id: ...", and still marks
                    // the field when the form has one.
                    if is_code(&name) {
                        errors.unlabelled(&f.field, message);
                    } else {
                        errors.field(&f.field, &name, message);
                    }
                }
            }
            Error::Composition { findings, .. } => {
                errors.heading = Some(ctx.t("form.breaks_rule"));
                for f in findings {
                    errors.note(f.message);
                }
                errors.needs_override = true;
            }
            Error::RuleFailed(failure) => {
                errors.heading = Some(ctx.t("form.rule_failed"));
                if ctx.technical() {
                    errors.note(format!("{}: {failure}", ctx.t("technical_detail")));
                }
                errors.needs_override = true;
            }
            Error::Busy { .. } => {
                errors.heading = Some(ctx.t("form.busy"));
            }
            Error::Conflict(m) | Error::BadRequest(m) => {
                errors.heading = Some(ctx.t("form.not_saved"));
                errors.note(i18n::problem(ctx.lang, &m));
            }
            other => return Err(WebError::App(other)),
        }
        Ok(errors)
    }
}

/// Whether `label` is a service's field name (`team_id`, `member.team_id`) rather than words
/// for people: a label function gives one back for a field it has no words for.
fn is_code(label: &str) -> bool {
    !label.is_empty()
        && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// The service's validation error with its field names as the form names them (`rename`
/// returns the form's name, or None to keep the service's): a service speaks of
/// `values.<unit>.<indicator>`, the report form of `v.<unit>.<indicator>`. Other errors pass
/// unchanged.
pub fn rename_fields(e: Error, rename: impl Fn(&str) -> Option<String>) -> Error {
    e.rename_fields(rename)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;
    use crate::web::Lang;

    fn ctx() -> Ctx {
        Ctx { lang: Lang::Vi, path: "/".into(), ..Default::default() }
    }

    #[test]
    fn validation_errors_mark_their_fields_in_vietnamese() {
        let e = Error::Validation(vec![
            FieldError::new("full_name", "is required"),
            FieldError::new("birth_year", "1850 is not a plausible year of birth (1900-2026)"),
        ]);
        let errors = FormErrors::from_error(&ctx(), e, |f| format!("<{f}>")).unwrap();
        assert_eq!(errors.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.fields["full_name"], "chưa nhập (bắt buộc)");
        assert_eq!(errors.problems[0].text, "<full_name>: chưa nhập (bắt buộc)");
        assert_eq!(errors.problems[1].field.as_deref(), Some("birth_year"));
        assert!(!errors.needs_override);
    }

    #[test]
    fn a_field_the_form_does_not_show_is_told_without_its_code() {
        let e = Error::Validation(vec![
            FieldError::new("team_id", "the team was dissolved on 2026-11-20"),
            FieldError::new("full_name", "is required"),
        ]);
        let label = |f: &str| if f == "full_name" { "Họ và tên".to_string() } else { f.to_string() };
        let errors = FormErrors::from_error(&ctx(), e, label).unwrap();
        let texts: Vec<_> = errors.problems.iter().map(|p| (p.field.as_deref(), p.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (Some("team_id"), "tổ đã giải thể ngày 20/11/2026: không thêm thành viên từ ngày đó"),
                (Some("full_name"), "Họ và tên: chưa nhập (bắt buộc)")
            ]
        );
    }

    #[test]
    fn faults_that_are_not_refusals_pass_on() {
        assert!(FormErrors::from_error(&ctx(), Error::NotFound("team 3".into()), |f| f.into()).is_err());
        assert!(!FormErrors::default().is_refusal());
        assert_eq!(FormErrors::default().status(), StatusCode::OK);
    }
}
