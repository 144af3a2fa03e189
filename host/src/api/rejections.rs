//! What a client is told when a request does not parse: serde's and axum's words, written for
//! the API's users in JSON's and the field's terms.
//!
//! serde names Rust types ("expected i64", "expected struct NewRole", "invalid type: sequence,
//! expected a map"), reports a missing field under its parent, and echoes what was sent whole.
//! A client (often a spreadsheet macro or a form written by a province's IT officer) needs the
//! field to fix, what it must be in JSON, and a short reminder of what was sent. serde gives no
//! structured kind for these, only its messages, whose shapes are stable across serde 1.x
//! (`serde::de::Error`'s provided methods and `Unexpected`'s `Display`); a message of another
//! shape (a custom one from a field's own `Deserialize`) is passed on as it is.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};

use crate::text::quoted;

/// The field (a path such as `roles[0].role`; `body` for the record itself) and the message
/// for serde_json's `message` about the value at `path` (serde_path_to_error's path, `.` at the
/// root). A missing or unknown field is named itself, not its parent record.
pub(crate) fn field_problem(path: &str, message: &str) -> (String, String) {
    let (field, said) = field_problem_in(path, message);
    // A key of thousands of characters is named short, like any quoted value.
    (crate::text::cut(&field, 80), said)
}

fn field_problem_in(path: &str, message: &str) -> (String, String) {
    let message = message.split(" at line ").next().unwrap_or(message);
    let at_root = path.is_empty() || path == ".";
    let here = || if at_root { "body".to_string() } else { path.to_string() };
    // serde_path_to_error's path ends at the record for a missing field, and at the field
    // itself for an unknown one.
    let child = |name: &str| {
        if at_root || path == name {
            name.to_string()
        } else if path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    // An item of a list of records ([`crate::api::records`]): "item 2: role: missing field
    // `role`" is about `roles[1].role`.
    if let Some((item, rest)) = message.strip_prefix("item ").and_then(|m| m.split_once(": "))
        && let Ok(n) = item.parse::<usize>()
    {
        let item = format!("{}[{}]", if at_root { "body" } else { path }, n.saturating_sub(1));
        return match rest.split_once(": ") {
            Some((inner, message)) if !inner.contains(' ') => {
                field_problem_in(&format!("{item}.{inner}"), message)
            }
            _ => field_problem_in(&item, rest),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return (child(backticked(rest).0), "is required".into());
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return (child(backticked(rest).0), "is given more than once".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, tail) = backticked(rest);
        let said = match tail.strip_prefix(", expected ") {
            Some(known) => format!("is not a field here (the fields are {})", listed(known)),
            None => "is not a field here".to_string(),
        };
        return (child(name), said);
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (got, tail) = backticked(rest);
        let said = match tail.strip_prefix(", expected ") {
            Some(known) => format!("must be one of {} (got \"{}\")", listed(known), quoted(got)),
            None => format!("is not an accepted word (got \"{}\")", quoted(got)),
        };
        return (here(), said);
    }
    if let Some(rest) =
        message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))
        && let Some((got, expected)) = rest.rsplit_once(", expected ")
    {
        return (here(), format!("must be {} (got {})", expected_words(expected), got_words(got)));
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return (here(), format!("must be {} (got {got})", expected_words(expected)));
    }
    // serde_json's words for an enum given a list, a number, null or a boolean, in a body that
    // is well-formed JSON.
    if message == "expected ident" || message == "expected value" {
        return (here(), "must be one of the accepted words, as a JSON string".into());
    }
    (here(), message.to_string())
}

/// A query string that does not parse: `invalid query string: per_page: must be a whole
/// number`. axum's text is "Failed to deserialize query string: <path>: <serde's message>".
pub(crate) fn query_problem(rejection: &QueryRejection) -> String {
    let text = rejection.body_text();
    let detail = text.split_once(": ").map_or(text.as_str(), |(_, d)| d);
    // "<path>: <message>", where a parameter's name may itself hold ": " or spaces: the
    // split is where serde's message begins.
    let split = detail
        .match_indices(": ")
        .map(|(at, _)| (&detail[..at], &detail[at + 2..]))
        .find(|(_, message)| SERDE_STARTS.iter().any(|s| message.starts_with(s)));
    let (field, message) = match split.or_else(|| detail.split_once(": ").filter(|(p, _)| !p.contains(' '))) {
        Some((path, message)) => field_problem(path, message),
        None => field_problem(".", detail),
    };
    // What the standard library says of a number that does not parse.
    let message = match message.as_str() {
        "invalid digit found in string" => "must be a whole number".to_string(),
        "cannot parse integer from empty string" => "must be a whole number (it is empty)".to_string(),
        "number too large to fit in target type" => "is too large".to_string(),
        "number too small to fit in target type" => "is too small".to_string(),
        "invalid float literal" => "must be a number".to_string(),
        "provided string was not `true` or `false`" => "must be true or false".to_string(),
        _ => message,
    };
    if field == "body" {
        format!("invalid query string: {message}")
    } else {
        format!("invalid query string: {field}: {message}")
    }
}

/// How serde's and the standard library's messages about a value begin.
const SERDE_STARTS: &[&str] = &[
    "missing field",
    "unknown field",
    "duplicate field",
    "unknown variant",
    "invalid type",
    "invalid value",
    "invalid length",
    "invalid digit",
    "cannot parse",
    "number too",
    "provided string",
    "invalid float",
    "expected ",
];

/// A path segment that does not parse: `invalid path: team id must be a whole number (got
/// "abc")`; axum says "Cannot parse `abc` to a `i64`".
pub(crate) fn path_problem(rejection: &PathRejection) -> String {
    let PathRejection::FailedToDeserializePathParams(e) = rejection else {
        return format!("invalid path: {}", rejection.body_text());
    };
    // A single value is named by its key; one of several numbers by its place, from 1.
    let (what, value, expected) = match e.kind() {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
            (format!("{key} "), value, *expected_type)
        }
        ErrorKind::ParseErrorAtIndex { index, value, expected_type } => {
            (format!("part {} ", index + 1), value, *expected_type)
        }
        ErrorKind::ParseError { value, expected_type } => (String::new(), value, *expected_type),
        _ => return format!("invalid path: {}", e.body_text()),
    };
    // A number of too many digits for its type is a number all the same.
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return format!("invalid path: {what}{} is out of range", quoted(value));
    }
    format!("invalid path: {what}must be {} (got \"{}\")", expected_words(expected), quoted(value))
}

/// The name between backticks at the start of `rest` (after the opening one) and what follows
/// the closing one.
fn backticked(rest: &str) -> (&str, &str) {
    rest.split_once('`').unwrap_or((rest, ""))
}

/// serde's list of names ("one of `a`, `b`", "`a`") as "a, b".
fn listed(known: &str) -> String {
    known.strip_prefix("one of ").unwrap_or(known).replace('`', "")
}

/// What serde expected (a Rust type's name, or its `Visitor::expecting`), in JSON's words.
fn expected_words(expected: &str) -> String {
    let words = match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "f32" | "f64" => "a number",
        "a string" | "a borrowed string" | "a character" | "char" | "alloc::string::String" => "a string",
        "a boolean" | "bool" => "true or false",
        "a map" => "a JSON object",
        // An enum's tag, or a unit variant's name.
        "variant identifier" | "variant index" => "one of the accepted words, as a JSON string",
        "a sequence" => "a JSON list",
        other if other.starts_with("struct ") => "a JSON object",
        other if other.starts_with("tuple") || other.starts_with("an array") => "a JSON list",
        other => return other.to_string(),
    };
    words.to_string()
}

/// What serde found instead (`Unexpected`'s words), as the JSON that was sent.
fn got_words(got: &str) -> String {
    let inner = |prefix: &str, open: char, close: char| {
        got.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(open))
            .and_then(|r| r.strip_suffix(close))
            .map(quoted)
    };
    if let Some(s) = inner("string ", '"', '"') {
        return format!("the string \"{s}\"");
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = inner(prefix, '`', '`') {
            return v;
        }
    }
    if let Some(c) = inner("character ", '`', '`') {
        return format!("the string \"{c}\"");
    }
    match got {
        "null" | "unit value" | "unit" => "null".into(),
        "sequence" => "a list".into(),
        "map" => "an object".into(),
        other => quoted(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(path: &str, message: &str) -> (String, String) {
        field_problem(path, message)
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_string(), message.to_string())
    }

    /// Each shape of serde's messages that a client of the API met (helper-19 sent them):
    /// the field is named, the type is said in JSON's words, what was sent is quoted short.
    #[test]
    fn serdes_words_are_said_in_jsons() {
        assert_eq!(
            said("birth_year", "invalid type: string \"1990\", expected i64 at line 1 column 20"),
            pair("birth_year", "must be a whole number (got the string \"1990\")")
        );
        assert_eq!(
            said("team_id", "invalid type: floating point `1.5`, expected i64"),
            pair("team_id", "must be a whole number (got 1.5)")
        );
        assert_eq!(
            said("active", "invalid type: integer `1`, expected a boolean"),
            pair("active", "must be true or false (got 1)")
        );
        assert_eq!(
            said("roles[0]", "invalid type: sequence, expected a map"),
            pair("roles[0]", "must be a JSON object (got a list)")
        );
        assert_eq!(
            said("roles[0]", "invalid type: integer `5`, expected struct NewRole at line 1 column 3"),
            pair("roles[0]", "must be a JSON object (got 5)")
        );
        assert_eq!(
            said("per_page", "invalid value: integer `-1`, expected u32"),
            pair("per_page", "must be a whole number, 0 or more (got -1)")
        );
        assert_eq!(said(".", "missing field `kind`"), pair("kind", "is required"));
        assert_eq!(said("roles[1]", "missing field `role`"), pair("roles[1].role", "is required"));
        assert_eq!(
            said(".", "unknown field `extra`, expected one of `name`, `decision_number`"),
            pair("extra", "is not a field here (the fields are name, decision_number)")
        );
        assert_eq!(
            said("extra", "unknown field `extra`, expected `name`"),
            pair("extra", "is not a field here (the fields are name)")
        );
        assert_eq!(
            said("roles[0].x", "unknown field `x`, there are no fields"),
            pair("roles[0].x", "is not a field here")
        );
        assert_eq!(
            said("roles[0]", "unknown field `x`, there are no fields"),
            pair("roles[0].x", "is not a field here")
        );
        assert_eq!(
            said("kind", "unknown variant `repot`, expected one of `composition`, `report`"),
            pair("kind", "must be one of composition, report (got \"repot\")")
        );
        assert_eq!(
            said("kind", "expected ident at line 1 column 10"),
            pair("kind", "must be one of the accepted words, as a JSON string")
        );
        assert_eq!(
            said("kind", "expected value at line 1 column 9"),
            pair("kind", "must be one of the accepted words, as a JSON string")
        );
        // An item of a list of records, and a field inside it.
        assert_eq!(said("roles", "item 2: must be a JSON object"), pair("roles[1]", "must be a JSON object"));
        assert_eq!(said("roles", "item 2: missing field `role`"), pair("roles[1].role", "is required"));
        assert_eq!(
            said("roles", "item 1: team_id: invalid type: string \"x\", expected i64"),
            pair("roles[0].team_id", "must be a whole number (got the string \"x\")")
        );
        // A message of its own (a field's `Deserialize`) is passed on; the record is "body".
        assert_eq!(said(".", "must be a list of codes"), pair("body", "must be a list of codes"));
        // What was sent is quoted short, and a name of 3,000 characters too.
        // A key holding a space, a long key: named, cut.
        assert_eq!(
            said("roles", "item 2: unknown field `my field`, expected `role`"),
            pair("roles[1].my field", "is not a field here (the fields are role)")
        );
        let (field, _) =
            said(&"k".repeat(3000), &format!("unknown field `{}`, there are no fields", "k".repeat(3000)));
        assert!(field.chars().count() <= 81, "{field}");
        assert_eq!(
            said("decision", "invalid type: integer `5`, expected variant identifier"),
            pair("decision", "must be one of the accepted words, as a JSON string (got 5)")
        );
        let long = "x".repeat(3000);
        let (field, message) = said("code", &format!("invalid type: string \"{long}\", expected i64"));
        assert_eq!(field, "code");
        assert!(message.chars().count() < 100, "{message}");
        let (field, _) = said(".", &format!("unknown field `{long}`, there are no fields"));
        assert!(field.chars().count() <= 81, "{field}");
    }
}
