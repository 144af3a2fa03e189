//! The one error type the service layer returns, and its single JSON shape on the wire:
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`.
//!
//! Internals (SQL text, driver messages) are logged, never sent to the client. Answers the
//! framework makes before or around a handler (405, timeouts, extractor rejections) are turned
//! into an [`Error`] by `json_errors` in [`crate::api`], so they have this shape too.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one input field, optionally on one row of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field (JSON name or file column) at fault.
    pub field: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
    /// 1-based row number in an uploaded file, as a spreadsheet shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// A stable code for the problem, where there is one (a report check's finding code such
    /// as `ngoai-gioi-han`), so that clients translate codes rather than sentences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), row: None, code: None }
    }

    /// A problem with a stable `code`.
    pub fn coded(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), row: None, code: Some(code.into()) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be read (malformed JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// The request was read but its content is not acceptable.
    #[error("{}", summary(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The write would clash with existing data (duplicate code, closed unit...).
    #[error("{0}")]
    Conflict(String),
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    /// The server is at capacity for this kind of work (document layouts); nothing was done,
    /// the same request can be sent again after `retry_after_secs`.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u64 },
    /// The write would break the team composition rule that applies.
    #[error("{message}")]
    Composition { message: String, findings: Vec<FieldError> },
    /// A report's figures failed their checks (the host's structural ones or the template's
    /// `validate-submission`): one detail per error finding, `field` the indicator's code,
    /// `code` the finding's. Nothing was written.
    #[error("{message}")]
    Submission { message: String, findings: Vec<FieldError> },
    /// The figures raise warnings the submitter has not confirmed (one detail per warning);
    /// nothing was written. Sending them again with the warnings confirmed submits them.
    #[error("{message}")]
    ConfirmationRequired { message: String, findings: Vec<FieldError> },
    /// A report form is closed for the change: past its deadline with no unlock in force, or
    /// the figures were accepted, or the report above was approved. The message says until
    /// when it was open and who can open it again.
    #[error("{0}")]
    Locked(String),
    #[error(transparent)]
    Plugin(#[from] crate::plugins::PluginFailure),
    /// The composition rule could not run on what a write would leave; nothing was written.
    #[error(
        "{0}; nothing was written: give override_reason to write it anyway (the override is recorded in the audit trail)"
    )]
    RuleFailed(crate::plugins::PluginFailure),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// This server cannot do it as set up (no Chromium to print PDFs): nothing was done, and
    /// other ways (another format) still work.
    #[error("{0}")]
    Unavailable(String),
    /// The request ran longer than `server.request_timeout_secs` and was abandoned.
    #[error("{0}")]
    Timeout(String),
    #[error("internal error: {0}")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    let mut parts: Vec<String> = errors
        .iter()
        .take(5)
        .map(|e| match e.row {
            Some(row) => format!("row {row}, {}: {}", e.field, e.message),
            None => format!("{}: {}", e.field, e.message),
        })
        .collect();
    if errors.len() > 5 {
        parts.push(format!("and {} more", errors.len() - 5));
    }
    parts.join("; ")
}

impl Error {
    /// Whether this is the host or the database being busy with other work (503 `busy`):
    /// nothing of the failed statement was written, and the same work can be tried again.
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Busy { .. } => true,
            Error::Database(e) => is_busy(e),
            _ => false,
        }
    }

    /// This error about a part of a request (`roles[1]`): its fields named under `parent`
    /// (`roles[1].role`). Other errors pass unchanged.
    pub fn under(self, parent: &str) -> Self {
        self.rename_fields(|field| Some(format!("{parent}.{field}")))
    }

    /// This error with its validation fields renamed by `rename` (None keeps a name): a web
    /// form's names for a service's fields, or [`Error::under`]. Other errors pass unchanged.
    pub fn rename_fields(self, rename: impl Fn(&str) -> Option<String>) -> Self {
        match self {
            Error::Validation(fields) => Error::Validation(
                fields
                    .into_iter()
                    .map(|mut f| {
                        if let Some(name) = rename(&f.field) {
                            f.field = name;
                        }
                        f
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// A validation error about a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Composition { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Submission { .. } | Error::ConfirmationRequired { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Locked(_) => StatusCode::CONFLICT,
            Error::Plugin(p) => match p {
                crate::plugins::PluginFailure::Invalid(_)
                | crate::plugins::PluginFailure::Incompatible { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                // The rule looked at the input and said no, in its own words (a month given
                // to a quarterly report): the caller can act on it.
                crate::plugins::PluginFailure::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                // The plugin's interface version lacks the hook: the caller must pick another.
                crate::plugins::PluginFailure::Unsupported { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                // Nothing ran: the host is at capacity for plugin work, try again.
                crate::plugins::PluginFailure::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
                // A rule plugin failing is an upstream failure, not the caller's mistake.
                _ => StatusCode::BAD_GATEWAY,
            },
            Error::RuleFailed(_) => StatusCode::BAD_GATEWAY,
            Error::Database(e) if constraint_kind(e).is_some() => StatusCode::CONFLICT,
            Error::Database(e) if is_busy(e) => StatusCode::SERVICE_UNAVAILABLE,
            // The server is the slow party, so not 408 (which blames the client's sending):
            // 503, which every operation declares anyway for a busy database.
            Error::Timeout(_) | Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Validation(_) => "validation_failed",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::TooManyRequests { .. } => "rate_limited",
            Error::Busy { .. } => "busy",
            Error::Conflict(_) => "conflict",
            Error::MethodNotAllowed(_) => "method_not_allowed",
            Error::PayloadTooLarge(_) => "payload_too_large",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::Composition { .. } => "composition_failed",
            Error::Submission { .. } => "submission_invalid",
            Error::ConfirmationRequired { .. } => "confirmation_required",
            Error::Locked(_) => "locked",
            Error::Plugin(
                crate::plugins::PluginFailure::Invalid(_)
                | crate::plugins::PluginFailure::Incompatible { .. },
            ) => "plugin_invalid",
            Error::Plugin(crate::plugins::PluginFailure::Refused { .. }) => "plugin_refused",
            Error::Plugin(crate::plugins::PluginFailure::Unsupported { .. }) => "plugin_unsupported",
            Error::Plugin(crate::plugins::PluginFailure::Busy { .. }) => "busy",
            Error::Plugin(_) | Error::RuleFailed(_) => "plugin_failed",
            Error::Database(e) if constraint_kind(e).is_some() => "conflict",
            Error::Database(e) if is_busy(e) => "busy",
            Error::Timeout(_) => "timeout",
            Error::Unavailable(_) => "unavailable",
            Error::Database(_) | Error::Internal(_) => "internal",
        }
    }
}

/// Constraint violations that reach the database (races between two writers) are conflicts.
fn constraint_kind(e: &sqlx::Error) -> Option<sqlx::error::ErrorKind> {
    match e {
        sqlx::Error::Database(db) => match db.kind() {
            sqlx::error::ErrorKind::Other => None,
            kind => Some(kind),
        },
        _ => None,
    }
}

/// The database stayed locked by other writers for longer than the busy timeout (SQLite's
/// `SQLITE_BUSY`, code 5, and its extended codes such as 517 `BUSY_SNAPSHOT`; PostgreSQL's
/// lock timeout 55P03 and serialization failure 40001), or no pooled connection came free in
/// time. Nothing was written; the same request can be sent again, so it is 503 with
/// `Retry-After`, not an internal error.
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            let sqlite_busy = code.parse::<u32>().is_ok_and(|c| c & 0xff == 5 || c & 0xff == 6);
            sqlite_busy || matches!(code, "55P03" | "40001" | "40P01")
        }
        _ => false,
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: bad_request, unauthorized, forbidden, validation_failed, not_found,
    /// method_not_allowed, conflict, payload_too_large, unsupported_media_type, rate_limited,
    /// composition_failed, submission_invalid, confirmation_required, locked, unavailable,
    /// plugin_invalid, plugin_refused, plugin_failed, busy, timeout,
    /// internal.
    pub code: String,
    pub message: String,
    /// Per-field problems, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

/// Longest error message, field name and field message an answer carries, in characters
/// (what is longer quotes a client's input at length; see [`Error::into_response`]).
const MESSAGE_CHARS: usize = 1_000;
const FIELD_CHARS: usize = 120;
const DETAIL_CHARS: usize = 400;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
            "internal error; the server log has the details".to_string()
        } else if let Error::Database(ref e) = self
            && is_busy(e)
        {
            tracing::warn!(error = %self, "database busy");
            "the database is busy with other changes; nothing was written, try again in a moment".to_string()
        } else if let Error::Database(_) = self {
            tracing::info!(error = %self, "constraint violation");
            "the change conflicts with existing data".to_string()
        } else {
            self.to_string()
        };
        let mut details = match self {
            Error::Validation(ref errors)
            | Error::Composition { findings: ref errors, .. }
            | Error::Submission { findings: ref errors, .. }
            | Error::ConfirmationRequired { findings: ref errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        // Messages quote what was sent ("'…' is not one of …", a field's name); a value or key
        // of thousands of characters is not worth echoing whole, wherever the message was
        // written: each text is cut here, once for every error.
        let message = crate::text::cut(&message, MESSAGE_CHARS);
        for d in &mut details {
            d.field = crate::text::cut(&d.field, FIELD_CHARS);
            d.message = crate::text::cut(&d.message, DETAIL_CHARS);
        }
        let retry_after = match self {
            Error::TooManyRequests { retry_after_secs, .. } | Error::Busy { retry_after_secs, .. } => {
                Some(retry_after_secs)
            }
            Error::Database(ref e) if is_busy(e) => Some(1),
            Error::Plugin(crate::plugins::PluginFailure::Busy { retry_after_secs, .. }) => {
                Some(retry_after_secs)
            }
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code().to_string(), message, details } };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Collects field errors while validating an input, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_503_with_retry_after() {
        let e = Error::Busy { message: "2 documents are being laid out".into(), retry_after_secs: 1 };
        assert_eq!((e.status(), e.code()), (StatusCode::SERVICE_UNAVAILABLE, "busy"));
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "1");
    }
}
