//! Plugin developer tools: `sohoa plugin new`, `build` and `test`.
//!
//! A plugin is a Rust library built for `wasm32-unknown-unknown` (no WASI: the only imports are
//! the interface's own) and turned into a component in-process with `wit-component`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::registry;
use super::runtime::{PluginFailure, Runtime, Usage};
use super::types as h;
use crate::periods::{CutOff, Period};
use crate::vocab::Vocab;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Cargo(String),
    #[error("componentizing {path}: {message}")]
    Componentize { path: String, message: String },
    #[error("{0}")]
    Fixture(String),
    #[error(transparent)]
    Plugin(#[from] PluginFailure),
}

/// Turns a core module built with the SDK into a component.
pub fn componentize(core: &[u8]) -> Result<Vec<u8>, String> {
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(core)
        .and_then(|mut e| e.encode())
        .map_err(|e| format!("{e:#}"))
}

/// Installs the wasm target when rustup has it missing (a newcomer's first build).
fn ensure_target() -> Result<(), BuildError> {
    let listed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match listed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == WASM_TARGET) => Ok(()),
        Ok(_) => {
            let status = Command::new("rustup").args(["target", "add", WASM_TARGET]).status()?;
            if status.success() {
                Ok(())
            } else {
                Err(BuildError::Cargo(format!("rustup target add {WASM_TARGET} failed")))
            }
        }
        // No rustup: let cargo say whether the target is there.
        Err(_) => Ok(()),
    }
}

/// The crate's name from its Cargo.toml.
fn crate_name(dir: &Path) -> Result<String, BuildError> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Package,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let text = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| BuildError::Cargo(format!("{}: {e}", dir.display())))?;
    Ok(manifest.package.name)
}

/// Builds the plugin crate in `dir` and returns the component's path
/// (`<target_dir>/components/<name>.wasm`).
pub fn build(dir: &Path, target_dir: &Path) -> Result<PathBuf, BuildError> {
    ensure_target()?;
    let name = crate_name(dir)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // `cargo rustc --crate-type cdylib`: the crate stays a plain library natively (its unit
    // tests run there) and becomes a WebAssembly module only for the wasm target.
    let output = Command::new(cargo)
        .args([
            "rustc",
            "--lib",
            "--crate-type",
            "cdylib",
            "--profile",
            "plugin",
            "--target",
            WASM_TARGET,
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .output()?;
    if !output.status.success() {
        return Err(BuildError::Cargo(format!(
            "cargo build of {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let core_path =
        target_dir.join(WASM_TARGET).join("plugin").join(format!("{}.wasm", name.replace('-', "_")));
    let core = std::fs::read(&core_path)?;
    let component = componentize(&core)
        .map_err(|message| BuildError::Componentize { path: core_path.display().to_string(), message })?;
    let out_dir = target_dir.join("components");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join(format!("{name}.wasm"));
    std::fs::write(&out, component)?;
    Ok(out)
}

/// Creates a plugin crate from the template, depending on the SDK at `sdk`.
/// Creates a plugin crate at `dest` from the template for `kind` (composition or report).
pub fn new_plugin(dest: &Path, name: &str, sdk: &Path, kind: super::Kind) -> Result<(), BuildError> {
    let (lib, fixture_name, fixture) = match kind {
        super::Kind::Composition => (TEMPLATE_LIB, "composition.toml", TEMPLATE_FIXTURE),
        super::Kind::Report => (TEMPLATE_REPORT_LIB, "report.toml", TEMPLATE_REPORT_FIXTURE),
        super::Kind::Commendation => {
            return Err(BuildError::Cargo(
                "no commendation template yet: start from plugins/binh-dinh-thi-dua-cds".into(),
            ));
        }
    };
    let valid = (2..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        return Err(BuildError::Cargo(format!(
            "'{name}': use lower-case letters, digits and '-', starting with a letter"
        )));
    }
    if dest.exists() {
        return Err(BuildError::Cargo(format!("{} already exists", dest.display())));
    }
    std::fs::create_dir_all(dest.join("src"))?;
    std::fs::create_dir_all(dest.join("fixtures"))?;
    let sdk = std::fs::canonicalize(sdk)?;
    let fill = |t: &str| {
        t.replace("{{name}}", name).replace("{{sdk}}", &sdk.display().to_string().replace('\\', "/"))
    };
    std::fs::write(dest.join("Cargo.toml"), fill(TEMPLATE_CARGO))?;
    std::fs::write(dest.join("src/lib.rs"), fill(lib))?;
    std::fs::write(dest.join("fixtures").join(fixture_name), fill(fixture))?;
    std::fs::write(dest.join("README.md"), fill(TEMPLATE_README))?;
    std::fs::write(dest.join(".gitignore"), "/target\n")?;
    Ok(())
}

const TEMPLATE_CARGO: &str = include_str!("template/Cargo.toml.tmpl");
const TEMPLATE_LIB: &str = include_str!("template/lib.rs.tmpl");
const TEMPLATE_FIXTURE: &str = include_str!("template/composition.toml.tmpl");
const TEMPLATE_REPORT_LIB: &str = include_str!("template/report.rs.tmpl");
const TEMPLATE_REPORT_FIXTURE: &str = include_str!("template/report.toml.tmpl");
const TEMPLATE_README: &str = include_str!("template/README.md.tmpl");

/// A fixture file: cases of input and expected output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// Which hook the case calls (default composition).
    #[serde(default = "default_case_kind")]
    pub kind: String,
    /// yyyy-mm-dd; composition cases.
    pub as_of: Option<String>,
    #[serde(default)]
    pub params: toml::Table,
    /// Composition cases: the teams checked.
    #[serde(rename = "team", default)]
    pub teams: Vec<FixtureTeam>,
    /// Report cases: the data the host would pass.
    pub report: Option<FixtureReport>,
    /// Submission cases (interface 0.2.0): one unit's figures for a period.
    pub submission: Option<FixtureSubmission>,
    /// Commendation cases: the period and the candidates.
    pub period: Option<String>,
    #[serde(rename = "candidate", default)]
    pub candidates: Vec<FixtureCandidate>,
    /// Composition: the finding codes over all teams, in any order. Report: text every one of
    /// which appears in the document. Commendation: `ID=award` (a part of the award's text) or
    /// `ID=-` (no award), one per candidate. Submission: the finding codes, the host's
    /// structural ones and the plugin's, in any order (`code@indicator` to name the indicator
    /// too). Form: facts the declared form must have: `period_type=quarter`, `level=commune`,
    /// `cut_off=decree_09_2019`, `deadline_days=4`, `indicator=CODE`, `required=CODE`,
    /// `aggregation.CODE=sum` (or `weighted_mean:BY`).
    #[serde(default)]
    pub expect: Vec<String>,
    /// The case expects the plugin to refuse, with this text in its message.
    pub expect_error: Option<String>,
}

fn default_case_kind() -> String {
    "composition".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureReport {
    pub unit_code: String,
    pub unit_name: String,
    pub period: String,
    #[serde(default)]
    pub issuing_office: String,
    #[serde(default)]
    pub place: String,
    pub issued_on: String,
    #[serde(rename = "row", default)]
    pub rows: Vec<FixtureRow>,
    /// The previous period's totals.
    #[serde(default)]
    pub previous: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureSubmission {
    #[serde(default = "fixture_unit")]
    pub unit_code: String,
    #[serde(default)]
    pub unit_name: String,
    pub period: String,
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, f64>,
    /// The previous period's figures, when the unit has any.
    pub previous: Option<std::collections::BTreeMap<String, f64>>,
}

fn fixture_unit() -> String {
    "fixture".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRow {
    pub unit_code: String,
    pub unit_name: String,
    #[serde(default)]
    pub teams: u32,
    #[serde(default)]
    pub members: u32,
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, f64>,
    /// on_time, late, missing, returned or entered (default: entered with figures, missing
    /// without).
    pub status: Option<String>,
    /// yyyy-mm-dd.
    pub submitted_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureCandidate {
    pub id: i64,
    /// team or person.
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, f64>,
}

fn indicator_values(values: &std::collections::BTreeMap<String, f64>) -> Vec<h::IndicatorValue> {
    values.iter().map(|(code, value)| h::IndicatorValue { code: code.clone(), value: *value }).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureTeam {
    pub id: i64,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "member", default)]
    pub members: Vec<FixtureMember>,
}

fn default_kind() -> String {
    "commune".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureMember {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    pub position: String,
    pub affiliation: String,
    pub age: Option<u32>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    pub joined_on: Option<String>,
    pub left_on: Option<String>,
}

fn date(s: &str) -> Result<chrono::NaiveDate, BuildError> {
    crate::dates::parse(s).ok_or_else(|| BuildError::Fixture(format!("'{s}' is not a date")))
}

fn period(s: &str, cut_off: CutOff) -> Result<Period, BuildError> {
    Period::parse(s, cut_off).map_err(|e| BuildError::Fixture(e.to_string()))
}

/// A vocabulary word of a fixture (`leader`, `youth_union`, or the Vietnamese label).
fn word<T: Vocab>(value: &str, what: &str) -> Result<T, BuildError> {
    T::parse(value).ok_or_else(|| BuildError::Fixture(format!("unknown {what} '{value}'")))
}

/// A fixture's team as the host would pass it to a plugin.
pub fn fixture_team(t: &FixtureTeam) -> Result<h::Team, BuildError> {
    let kind = match t.kind.as_str() {
        "commune" => h::Level::Commune,
        "village" => h::Level::Village,
        other => return Err(BuildError::Fixture(format!("unknown kind '{other}'"))),
    };
    let mut members = Vec::new();
    for m in &t.members {
        members.push(h::Member {
            id: m.id,
            full_name: if m.name.is_empty() { format!("Thành viên {}", m.id) } else { m.name.clone() },
            gender: word(m.gender.as_deref().unwrap_or("male"), "gender")?,
            age: m.age,
            position: word(&m.position, "position")?,
            affiliation: word(&m.affiliation, "affiliation")?,
            skills: m.skills.clone(),
            joined_on: date(m.joined_on.as_deref().unwrap_or("2022-01-01"))?,
            left_on: m.left_on.as_deref().map(date).transpose()?,
        });
    }
    Ok(h::Team {
        id: t.id,
        name: if t.name.is_empty() { format!("Tổ {}", t.id) } else { t.name.clone() },
        unit_code: format!("fixture-{}", t.id),
        unit_name: "Đơn vị thử".into(),
        kind,
        status: h::TeamStatus::Active,
        decision_date: date("2022-01-01")?,
        members,
    })
}

/// One case's outcome.
#[derive(Debug)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub usage: Usage,
}

/// Runs every `fixtures/*.toml` of the plugin against its component.
pub fn run_fixtures(dir: &Path, component: &[u8], runtime: &Runtime) -> Result<Vec<CaseResult>, BuildError> {
    let inspected = registry::inspect(runtime, component)?;
    let loaded = runtime.load(&inspected.sha256, component)?;
    let label = format!("{}@{}", inspected.meta.id, inspected.meta.version);
    let specs: Vec<registry::ParamSpec> = inspected
        .meta
        .params
        .iter()
        .map(|p| {
            let (kind, default) = registry::param_value_json(&p.default_value);
            registry::ParamSpec { name: p.name.clone(), description: p.description.clone(), kind, default }
        })
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("fixtures"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut results = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let fixtures: FixtureFile =
            toml::from_str(&text).map_err(|e| BuildError::Fixture(format!("{}: {e}", file.display())))?;
        let file_name = file.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
        for case in fixtures.cases {
            let given: serde_json::Map<String, serde_json::Value> = serde_json::to_value(&case.params)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            let params = super::bindings::params_for(&specs, &given)
                .map_err(|e| BuildError::Fixture(format!("{file_name}, {}: {e}", case.name)))?;
            let (passed, detail, usage) =
                match run_case(runtime, &loaded, &inspected, &label, &case, &params)? {
                    Ok((outcome, usage)) => match (&case.expect_error, outcome) {
                        (Some(want), _) => (
                            false,
                            format!("expected the plugin to refuse with '{want}', it answered"),
                            usage,
                        ),
                        (None, Outcome { failures, .. }) if failures.is_empty() => {
                            (true, String::new(), usage)
                        }
                        (None, Outcome { failures, shown }) => {
                            (false, format!("{} ({shown})", failures.join("; ")), usage)
                        }
                    },
                    Err(e) => match &case.expect_error {
                        Some(want) if e.to_string().contains(want.as_str()) => {
                            (true, String::new(), Usage::default())
                        }
                        _ => (false, e.to_string(), Usage::default()),
                    },
                };
            results.push(CaseResult { file: file_name.clone(), name: case.name, passed, detail, usage });
        }
    }
    Ok(results)
}

/// What a case's call gave, measured against its expectations.
struct Outcome {
    /// Expectations not met; empty when the case passes.
    failures: Vec<String>,
    /// The plugin's answer, abridged, to show when the case fails.
    shown: String,
}

/// Calls the hook the case names. The outer error is a malformed fixture; the inner one the
/// plugin's failure (which a case may expect).
fn run_case(
    runtime: &Runtime,
    loaded: &super::runtime::Loaded,
    inspected: &registry::Inspected,
    label: &str,
    case: &Case,
    params: &[h::Param],
) -> Result<Result<(Outcome, Usage), PluginFailure>, BuildError> {
    let form = inspected.meta.report_form.as_ref();
    let cut_off = form.map_or(CutOff::Calendar, |f| f.cut_off);
    let missing =
        |what: &str| BuildError::Fixture(format!("case '{}' ({}) needs {what}", case.name, case.kind));
    match case.kind.as_str() {
        "composition" => {
            let teams = case.teams.iter().map(fixture_team).collect::<Result<Vec<_>, _>>()?;
            let as_of = date(case.as_of.as_deref().ok_or_else(|| missing("as_of"))?)?;
            Ok(runtime.check_teams(loaded, label, &teams, as_of, params).map(|(findings, usage)| {
                let mut got: Vec<String> = findings.iter().map(|f| f.code.clone()).collect();
                let mut want = case.expect.clone();
                got.sort();
                want.sort();
                let failures =
                    if got == want { vec![] } else { vec![format!("expected {want:?}, got {got:?}")] };
                let shown = findings.iter().map(|f| format!("{}: {}", f.code, f.message)).collect::<Vec<_>>();
                (Outcome { failures, shown: shown.join("; ") }, usage)
            }))
        }
        "report" => {
            let r = case.report.as_ref().ok_or_else(|| missing("[case.report]"))?;
            let mut rows = Vec::new();
            for row in &r.rows {
                let values = indicator_values(&row.values);
                let status = match row.status.as_deref() {
                    None if values.is_empty() => h::SubmissionStatus::Missing,
                    None => h::SubmissionStatus::Entered,
                    Some(s) => serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| {
                        BuildError::Fixture(format!(
                            "case '{}': status '{s}' is not on_time, late, missing, returned or entered",
                            case.name
                        ))
                    })?,
                };
                rows.push(h::UnitRow {
                    unit_code: row.unit_code.clone(),
                    unit_name: row.unit_name.clone(),
                    team_count: row.teams,
                    member_count: row.members,
                    status,
                    submitted_on: row.submitted_on.as_deref().map(date).transpose()?,
                    values,
                });
            }
            let input = h::ReportInput {
                unit_code: r.unit_code.clone(),
                unit_name: r.unit_name.clone(),
                period: period(&r.period, cut_off)?,
                issuing_office: r.issuing_office.clone(),
                place: r.place.clone(),
                issued_on: date(&r.issued_on)?,
                totals: form.map(|f| crate::reports::form::totals(f, &rows)).unwrap_or_default(),
                previous_totals: indicator_values(&r.previous),
                rows,
            };
            Ok(runtime.render_report(loaded, label, &input, params).map(|(doc, usage)| {
                let text = crate::documents::plain_text(&doc);
                let failures = case
                    .expect
                    .iter()
                    .filter(|want| !text.contains(want.as_str()))
                    .map(|w| format!("missing '{w}'"))
                    .collect();
                (Outcome { failures, shown: text.replace('\n', " / ") }, usage)
            }))
        }
        "commendation" => {
            let campaign =
                period(case.period.as_deref().ok_or_else(|| missing("period"))?, CutOff::Calendar)?;
            let mut candidates = Vec::new();
            for c in &case.candidates {
                let kind = match c.kind.as_str() {
                    "team" => h::CandidateKind::Team,
                    "person" => h::CandidateKind::Person,
                    other => return Err(BuildError::Fixture(format!("unknown candidate kind '{other}'"))),
                };
                candidates.push(h::Candidate {
                    id: c.id,
                    kind,
                    name: if c.name.is_empty() { format!("Ứng viên {}", c.id) } else { c.name.clone() },
                    unit_code: "fixture".into(),
                    values: indicator_values(&c.values),
                });
            }
            let mut expected = Vec::new();
            for e in &case.expect {
                let (id, award) = e
                    .split_once('=')
                    .and_then(|(id, award)| Some((id.trim().parse::<i64>().ok()?, award.trim().to_string())))
                    .ok_or_else(|| {
                        BuildError::Fixture(format!("case '{}': '{e}' is not ID=award or ID=-", case.name))
                    })?;
                expected.push((id, award));
            }
            Ok(runtime.assess(loaded, label, &candidates, &campaign, params).map(|(out, usage)| {
                let mut failures = Vec::new();
                for (id, want) in &expected {
                    let got = out.iter().find(|a| a.candidate_id == *id);
                    let ok = match (got.and_then(|a| a.award.as_deref()), want.as_str()) {
                        (None, "-") => got.is_some(),
                        (Some(award), want) => want != "-" && award.contains(want),
                        (None, _) => false,
                    };
                    if !ok {
                        let got =
                            got.map(|a| a.award.clone().unwrap_or("-".into())).unwrap_or("nothing".into());
                        failures.push(format!("candidate {id}: expected '{want}', got '{got}'"));
                    }
                }
                let shown = out
                    .iter()
                    .map(|a| format!("{}: {} {:?} {}", a.candidate_id, a.score, a.award, a.reasons.join(" ")))
                    .collect::<Vec<_>>();
                (Outcome { failures, shown: shown.join("; ") }, usage)
            }))
        }
        "submission" => {
            let given = case.submission.as_ref().ok_or_else(|| missing("[case.submission]"))?;
            let form = form.ok_or_else(|| {
                BuildError::Fixture(format!("case '{}': the plugin declares no report form", case.name))
            })?;
            let submission = h::Submission {
                unit_code: given.unit_code.clone(),
                unit_name: if given.unit_name.is_empty() {
                    "Đơn vị thử".into()
                } else {
                    given.unit_name.clone()
                },
                period: period(&given.period, form.cut_off)?,
                values: indicator_values(&given.values),
                previous: given.previous.as_ref().map(indicator_values),
            };
            // What the host would do: its structural checks, then the plugin's judgement.
            let mut found = crate::reports::form::check_figures(form, &submission.values);
            let usage = match runtime.validate_submission(loaded, label, &submission, params) {
                Ok((more, usage)) => {
                    found.extend(more);
                    usage
                }
                Err(e) => return Ok(Err(e)),
            };
            let named = case.expect.iter().any(|e| e.contains('@'));
            let mut got: Vec<String> = found
                .iter()
                .map(|f| if named { format!("{}@{}", f.code, f.indicator) } else { f.code.clone() })
                .collect();
            let mut want = case.expect.clone();
            got.sort();
            want.sort();
            let failures = if got == want { vec![] } else { vec![format!("expected {want:?}, got {got:?}")] };
            let shown = found.iter().map(|f| format!("{} {}: {}", f.severity.as_str(), f.code, f.message));
            Ok(Ok((Outcome { failures, shown: shown.collect::<Vec<_>>().join("; ") }, usage)))
        }
        "form" => {
            let facts = match form {
                Some(f) => form_facts(f),
                None => vec![],
            };
            let failures = case
                .expect
                .iter()
                .filter(|want| !facts.contains(want))
                .map(|w| {
                    if form.is_none() {
                        format!("'{w}': the plugin declares no report form")
                    } else {
                        format!("missing '{w}'")
                    }
                })
                .collect();
            Ok(Ok((Outcome { failures, shown: facts.join(", ") }, Usage::default())))
        }
        other => Err(BuildError::Fixture(format!(
            "case '{}': kind '{other}' is not composition, report, submission, form or commendation",
            case.name
        ))),
    }
}

/// A declared form as the facts a `form` case can expect (see [`Case::expect`]).
fn form_facts(f: &h::ReportForm) -> Vec<String> {
    let mut facts = vec![
        format!("period_type={}", serde_word(&f.period_type)),
        format!("level={}", f.level.as_str()),
        format!("cut_off={}", serde_word(&f.cut_off)),
        format!("deadline_days={}", f.deadline_days),
    ];
    for i in &f.indicators {
        facts.push(format!("indicator={}", i.code));
        if i.required {
            facts.push(format!("required={}", i.code));
        }
        let aggregation = match &i.aggregation {
            h::Aggregation::WeightedMean { by } => format!("weighted_mean:{by}"),
            other => serde_word(other),
        };
        facts.push(format!("aggregation.{}={aggregation}", i.code));
    }
    facts
}

/// The serde name of a unit variant (`quarter`, `decree_09_2019`, `sum`).
fn serde_word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 128, ..Default::default() })]
        /// Issue 16: the fixture reader (`sohoa plugin test`) takes any text: a file parses
        /// or is refused with an error, never a panic.
        #[test]
        fn any_text_is_a_fixture_file_or_an_error(text in "(\\[\\[case\\]\\]\\n|name = \".{0,8}\"\\n|kind = \"[a-z]{0,12}\"\\n|\\[\\[case.teams\\]\\]\\n|id = -?[0-9]{1,20}\\n|.{0,20}\\n){0,12}") {
            let _ = toml::from_str::<FixtureFile>(&text);
        }

        /// Any values in a fixture's team (dates, words, kinds, ages) become the plugin's team
        /// or a `BuildError::Fixture` naming what is wrong; never a panic.
        #[test]
        fn any_fixture_team_converts_or_names_the_problem(
            kind in ".{0,10}|commune|village",
            words in proptest::collection::vec(".{0,12}|leader|member|youth_union|male|female", 4),
            dates in proptest::collection::vec(proptest::option::of(".{0,12}|2022-07-01|01/07/2022|2022-02-30"), 2),
            age in proptest::option::of(proptest::prelude::any::<u32>()),
            id in proptest::prelude::any::<i64>(),
        ) {
            let member = FixtureMember {
                id,
                name: words[0].clone(),
                position: words[1].clone(),
                affiliation: words[2].clone(),
                age,
                gender: Some(words[3].clone()),
                skills: words.clone(),
                joined_on: dates[0].clone(),
                left_on: dates[1].clone(),
            };
            let team = FixtureTeam { id, kind: kind.clone(), name: words[0].clone(), members: vec![member] };
            match fixture_team(&team) {
                Ok(_) => {}
                Err(BuildError::Fixture(message)) => proptest::prop_assert!(!message.is_empty()),
                Err(other) => proptest::prop_assert!(false, "{:?}", other),
            }
        }
    }
}
