//! The OpenAPI document describes the API: every reference resolves, every operation declares
//! the statuses the shared machinery can answer, public operations say so. (`.ci/fuzz-openapi.sh`
//! checks the document against the running server.)

use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(sohoa::api::openapi()).expect("the document serialises")
}

/// Every operation: (label, operation object).
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
    }
    ops
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<_> = found
        .into_iter()
        .filter(|r| {
            let Some(name) = r.strip_prefix("#/components/schemas/") else { return true };
            doc["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

#[test]
fn every_operation_declares_the_statuses_it_can_answer() {
    let doc = document();
    let ops = operations(&doc);
    assert!(ops.len() > 30, "{} operations", ops.len());
    let public = ["GET /health", "POST /api/v1/auth/login"];
    let mut missing = Vec::new();
    for (label, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        let body = op.get("requestBody").is_some();
        let params = op["parameters"].as_array().is_some_and(|p| !p.is_empty());
        let mut expected = vec!["500", "503"];
        if body {
            expected.extend(["400", "413", "415", "422"]);
        }
        if params {
            expected.push("400");
        }
        if public.contains(&label.as_str()) {
            assert_eq!(op["security"], serde_json::json!([]), "{label} is public");
        } else {
            assert!(op.get("security").is_none(), "{label} keeps the document's security");
            expected.push("401");
        }
        for status in expected {
            if !responses.contains_key(status) {
                missing.push(format!("{label}: {status}"));
            }
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let content = &response["content"];
                assert!(content.get("application/json").is_some(), "{label} {status} is JSON: {response}");
            }
        }
    }
    assert!(missing.is_empty(), "undeclared statuses:\n{}", missing.join("\n"));
    assert!(doc["security"].as_array().is_some_and(|s| !s.is_empty()), "signing in is the default");
}

#[test]
fn pages_start_at_one_and_defaults_are_any_value() {
    let doc = document();
    let mut pages = 0;
    for (label, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["name"] == "page" || p["name"] == "per_page" {
                pages += 1;
                assert_eq!(p["schema"]["minimum"], 1, "{label}: {p}");
            }
        }
    }
    assert!(pages >= 8, "every list has page and per_page ({pages})");
    let default = &doc["components"]["schemas"]["ParamSpec"]["properties"]["default"];
    assert!(
        default.get("type").is_none_or(|t| t != "object"),
        "a default is a number, text or flag: {default}"
    );
}

#[test]
fn files_are_bytes_not_arrays_of_numbers() {
    let doc = document();
    let mut files = 0;
    for (label, op) in operations(&doc) {
        let bodies = std::iter::once(&op["requestBody"]).chain(op["responses"].as_object().unwrap().values());
        for content in bodies.filter_map(|b| b["content"].as_object()) {
            for (media, m) in content {
                if !media.contains("json") && !media.starts_with("text/") {
                    files += 1;
                    assert_eq!(m["schema"]["type"], "string", "{label} {media}: {m}");
                    assert_eq!(m["schema"]["format"], "binary", "{label} {media}: {m}");
                }
            }
        }
    }
    assert!(files >= 5, "components, spreadsheets and documents ({files})");
}
