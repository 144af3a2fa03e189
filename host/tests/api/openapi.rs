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

/// A guidance file is served with the media type of its kind, so the document lists every kind
/// the host accepts (schemathesis once found PDF and DOCX answers documented as octet-stream).
#[test]
fn guidance_files_document_every_media_type_they_are_served_with() {
    let doc = document();
    let content = doc["paths"]["/api/v1/guidance/{id}/file"]["get"]["responses"]["200"]["content"]
        .as_object()
        .expect("the download documents its content");
    let mut documented: Vec<&str> = content.keys().map(String::as_str).collect();
    let mut served: Vec<&str> = sohoa::guidance::TYPES.iter().map(|(_, media)| *media).collect();
    documented.sort_unstable();
    served.sort_unstable();
    assert_eq!(documented, served);
}

/// utoipa names a schema after its type and keeps the last of two types with one name, so a
/// second `Line` silently replaced the first and valid answers no longer matched the document
/// (schemathesis found a campaign's proposal lines checked against a compiled report's). Every
/// type deriving `ToSchema` must have its own name in the document (`#[schema(as = …)]`).
#[test]
fn no_two_schema_types_share_a_name() {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let lines: Vec<&str> = text.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                        continue;
                    }
                    // The attributes after the derive, then the item they belong to.
                    let mut renamed = None;
                    for next in &lines[i + 1..] {
                        let t = next.trim_start();
                        if let Some(rest) = t.strip_prefix("#[schema(as = ") {
                            renamed = Some(rest.trim_end_matches(")]").to_string());
                        }
                        if t.starts_with('#') || t.starts_with("//") {
                            continue;
                        }
                        let words: Vec<&str> = t.split_whitespace().collect();
                        let at = words.iter().position(|w| *w == "struct" || *w == "enum").unwrap();
                        let name = words[at + 1].split(['<', '{', '(']).next().unwrap().to_string();
                        out.push((renamed.unwrap_or(name), path.display().to_string()));
                        break;
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.len() > 40, "{} schema types", found.len());
    found.sort();
    let clashes: Vec<_> = found.windows(2).filter(|w| w[0].0 == w[1].0).collect();
    assert!(clashes.is_empty(), "schema names used twice: {clashes:?}");
    let doc = document();
    assert!(doc["components"]["schemas"].get("ProposalLine").is_some());
    assert!(doc["components"]["schemas"]["Line"]["properties"].get("unit_code").is_some());
}
