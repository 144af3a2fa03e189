//! Installing plugins: validate the component, read its metadata under the call limits, store
//! it with its sha256. Every version stays; installing the same bytes twice changes nothing,
//! and a version number cannot be reused for different bytes.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::Kind;
use super::runtime::{PluginFailure, Runtime};
use super::types as h;
use crate::audit::{self, Actor, Change};
use crate::db::now;
use crate::error::{Error, Result};

/// A declared parameter, as the API shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ParamSpec {
    pub name: String,
    pub description: String,
    /// integer, number, text or flag.
    #[serde(rename = "type")]
    pub kind: String,
    /// A value of `type`: a number, a string or a boolean.
    pub default: serde_json::Value,
}

/// An installed plugin version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginInfo {
    pub plugin_id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    /// The version of the plugin interface the component was built for, e.g. "0.2.0".
    pub interface_version: String,
    pub kinds: Vec<Kind>,
    pub indicators: Vec<String>,
    pub params: Vec<ParamSpec>,
    /// The report form a report template declares (interface 0.2.0 and later).
    pub report_form: Option<h::ReportForm>,
    pub sha256: String,
    pub size: i64,
    pub installed_at: String,
    pub installed_by: String,
}

impl PluginInfo {
    /// Checks figures sent for this plugin (`field` names them in errors): every code must be
    /// one of the indicators the plugin declared it reads, every value a number, zero or more.
    /// Returns them as the interface's records.
    pub fn figures(
        &self,
        p: &mut crate::error::Problems,
        field: &str,
        values: &std::collections::BTreeMap<String, f64>,
    ) -> Vec<h::IndicatorValue> {
        for (code, value) in values {
            if !self.indicators.contains(code) {
                let known = self.indicators.join(", ");
                p.add(
                    format!("{field}.{code}"),
                    format!("{} reads no indicator '{code}' (it reads: {known})", self.plugin_id),
                );
            } else if !value.is_finite() || *value < 0.0 {
                p.add(format!("{field}.{code}"), "must be a number, zero or more");
            } else if *value > MAX_FIGURE {
                // Past this no count of households or accounts is real, and a plugin turning
                // it into an integer would print i64::MAX instead.
                p.add(format!("{field}.{code}"), "must be at most 1000000000000");
            }
        }
        values.iter().map(|(code, value)| h::IndicatorValue { code: code.clone(), value: *value }).collect()
    }
}

/// The largest figure accepted for an indicator (10^12): larger than any real count of people,
/// households or accounts in the country, and well inside what a plugin can hold exactly.
pub const MAX_FIGURE: f64 = 1e12;

/// What a component says about itself, checked.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub sha256: String,
    /// The interface version it was built for.
    pub interface: &'static str,
    pub meta: h::Metadata,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn param_value_json(v: &h::ParamValue) -> (String, serde_json::Value) {
    match v {
        h::ParamValue::Integer(i) => ("integer".into(), (*i).into()),
        h::ParamValue::Number(n) => {
            ("number".into(), serde_json::Number::from_f64(*n).map(Into::into).unwrap_or_default())
        }
        h::ParamValue::Text(t) => ("text".into(), t.clone().into()),
        h::ParamValue::Flag(b) => ("flag".into(), (*b).into()),
    }
}

fn valid_id(id: &str) -> bool {
    (2..=64).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A semantic version (semver.org 2.0) in its one canonical spelling: `1.2.3`, `1.3.0-rc.1`;
/// `01.0.0` or `1.0.00` are refused rather than stored as versions different from `1.0.0`.
fn valid_version(v: &str) -> bool {
    v.len() <= 64 && semver::Version::parse(v).is_ok_and(|parsed| parsed.to_string() == v)
}

/// Orders plugin versions as semantic versions (0.9.1 < 0.10.0 < 1.0.0-rc.1 < 1.0.0), not as
/// text or install order; a version that does not parse (none should) sorts first.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Err(_), Ok(_)) => std::cmp::Ordering::Less,
        (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// The checks made before compiling: the size limit and the WebAssembly magic. Returns the
/// component's sha256 (hex).
fn precheck(runtime: &Runtime, bytes: &[u8]) -> std::result::Result<String, PluginFailure> {
    if bytes.len() > runtime.limits().max_component_bytes {
        return Err(PluginFailure::Invalid(format!(
            "{} bytes is larger than the {} bytes a component may have",
            bytes.len(),
            runtime.limits().max_component_bytes
        )));
    }
    // The engine would also take WebAssembly text, and explain random bytes as text that is
    // not UTF-8; every binary module or component starts with these four bytes.
    if !bytes.starts_with(b"\0asm") {
        return Err(PluginFailure::Invalid(
            "this is not a WebAssembly component (it does not start with the bytes \\0asm); \
             build the plugin with `sohoa plugin build` and upload the .wasm file it makes"
                .into(),
        ));
    }
    Ok(sha256_hex(bytes))
}

/// Compiles the component and reads its metadata, on the calling thread (the command line's
/// `sohoa plugin test`). Errors: why the component is refused.
pub fn inspect(runtime: &Runtime, bytes: &[u8]) -> std::result::Result<Inspected, PluginFailure> {
    let sha256 = precheck(runtime, bytes)?;
    let loaded = runtime.load(&sha256, bytes)?;
    let described = runtime.metadata(&loaded).and_then(|(meta, _)| validate(meta));
    accept(runtime, sha256, loaded.interface(), described)
}

/// [`inspect`] for an upload to the server: compiled on the compiler thread (once, however
/// many uploads of it arrive; see [`Runtime::compile`]), described on a plugin worker.
/// Errors: why the component is refused; [`PluginFailure::Busy`] when the host is at capacity
/// or the compile takes longer than `plugins.compile_wait_ms`.
pub async fn inspect_upload(
    runtime: &std::sync::Arc<Runtime>,
    bytes: Vec<u8>,
) -> std::result::Result<Inspected, PluginFailure> {
    let sha256 = precheck(runtime, &bytes)?;
    let loaded = runtime.compile(&sha256, bytes).await?;
    let interface = loaded.interface();
    let described =
        runtime.run(move |runtime| runtime.metadata(&loaded)).await.and_then(|(meta, _)| validate(meta));
    accept(runtime, sha256, interface, described)
}

/// A component refused after it compiled leaves nothing behind: no compiled code in memory or
/// in the disk cache.
fn accept(
    runtime: &Runtime,
    sha256: String,
    interface: &'static str,
    described: std::result::Result<h::Metadata, PluginFailure>,
) -> std::result::Result<Inspected, PluginFailure> {
    match described {
        Ok(meta) => Ok(Inspected { sha256, interface, meta }),
        Err(e @ PluginFailure::Busy { .. }) => Err(e),
        Err(e) => {
            runtime.forget(&sha256);
            Err(e)
        }
    }
}

/// A plugin's own text quoted in a refusal: its first 64 characters, so a 10 KB id is not
/// echoed back whole.
fn shown(text: &str) -> String {
    let head: String = text.chars().take(64).collect();
    if head.len() < text.len() { format!("{head}…") } else { head }
}

/// The metadata's own rules: id, canonical semantic version, a name and a kind, distinct
/// parameter names.
fn validate(meta: h::Metadata) -> std::result::Result<h::Metadata, PluginFailure> {
    let bad = |why: String| PluginFailure::Invalid(format!("metadata: {why}"));
    if !valid_id(&meta.id) {
        return Err(bad(format!("id '{}' must be 2-64 lower-case letters, digits or '-'", shown(&meta.id))));
    }
    if !valid_version(&meta.version) {
        return Err(bad(format!(
            "version '{}' must be a semantic version in canonical form, such as 1.2.3 or 1.3.0-rc.1 (no leading zeros)",
            shown(&meta.version)
        )));
    }
    if meta.name.trim().is_empty() || meta.kinds.is_empty() {
        return Err(bad("a name and at least one kind of rule are required".into()));
    }
    let mut names = std::collections::HashSet::new();
    if let Some(p) = meta.params.iter().find(|p| !names.insert(p.name.as_str()) || p.name.is_empty()) {
        return Err(bad(format!("parameter '{}' is empty or declared twice", shown(&p.name))));
    }
    if let Some(form) = &meta.report_form {
        validate_form(&meta, form).map_err(|why| bad(format!("report form: {why}")))?;
    }
    Ok(meta)
}

/// The longest deadline a form may declare, in days after its period: a year.
const MAX_DEADLINE_DAYS: u16 = 366;

/// A declared report form's own rules: only report templates declare one; it is reported by
/// villages, communes or districts; its indicators have distinct codes (the plugin's
/// `indicators` list each), names, sound bounds, and weights that are other indicators of the
/// form; the deadline is at most a year after the period.
fn validate_form(meta: &h::Metadata, form: &h::ReportForm) -> std::result::Result<(), String> {
    if !meta.kinds.contains(&Kind::Report) {
        return Err("only a report template declares one (add the report kind)".into());
    }
    if form.level == h::Level::Province {
        return Err("the reporting level must be village, commune or district".into());
    }
    if form.indicators.is_empty() {
        return Err("it has no indicators".into());
    }
    if form.deadline_days > MAX_DEADLINE_DAYS {
        return Err(format!("deadline_days {} is more than {MAX_DEADLINE_DAYS}", form.deadline_days));
    }
    let mut codes = std::collections::HashSet::new();
    for i in &form.indicators {
        if !valid_indicator_code(&i.code) || !codes.insert(i.code.as_str()) {
            return Err(format!(
                "indicator '{}' must be 1-64 lower-case letters, digits or '_', and declared once",
                i.code
            ));
        }
        if !meta.indicators.contains(&i.code) {
            return Err(format!("indicator '{}' is missing from the plugin's indicators", i.code));
        }
        if i.name.trim().is_empty() {
            return Err(format!("indicator '{}' has no Vietnamese name", i.code));
        }
        let bounds = [i.min, i.max];
        if bounds.iter().flatten().any(|b| !b.is_finite())
            || matches!(bounds, [Some(lo), Some(hi)] if lo > hi)
        {
            return Err(format!("indicator '{}' has bounds that are not numbers or cross", i.code));
        }
    }
    for i in &form.indicators {
        if let h::Aggregation::WeightedMean { by } = &i.aggregation
            && (by == &i.code || !codes.contains(by.as_str()))
        {
            return Err(format!(
                "indicator '{}' is weighted by '{by}', which is not another indicator of the form",
                i.code
            ));
        }
    }
    Ok(())
}

fn valid_indicator_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[derive(sqlx::FromRow)]
struct Row {
    plugin_id: String,
    version: String,
    name: String,
    description: String,
    interface_version: String,
    metadata: String,
    sha256: String,
    size: i64,
    installed_at: String,
    installed_by: String,
}

const COLUMNS: &str = "plugin_id, version, name, description, interface_version, metadata, sha256, size, installed_at, installed_by";

fn info(row: Row) -> PluginInfo {
    #[derive(serde::Deserialize)]
    struct Stored {
        kinds: Vec<Kind>,
        indicators: Vec<String>,
        params: Vec<ParamSpec>,
        #[serde(default)]
        report_form: Option<h::ReportForm>,
    }
    let stored: Stored = serde_json::from_str(&row.metadata).unwrap_or(Stored {
        kinds: vec![],
        indicators: vec![],
        params: vec![],
        report_form: None,
    });
    PluginInfo {
        plugin_id: row.plugin_id,
        version: row.version,
        name: row.name,
        description: row.description,
        interface_version: row.interface_version,
        kinds: stored.kinds,
        indicators: stored.indicators,
        params: stored.params,
        report_form: stored.report_form,
        sha256: row.sha256,
        size: row.size,
        installed_at: row.installed_at,
        installed_by: row.installed_by,
    }
}

/// Stores an inspected component; returns the plugin and whether it was new.
pub async fn store(
    conn: &mut AnyConnection,
    actor: &Actor,
    inspected: &Inspected,
    bytes: &[u8],
) -> Result<(PluginInfo, bool)> {
    let meta = &inspected.meta;
    if let Some(existing) = find(conn, &meta.id, &meta.version).await? {
        if existing.sha256 == inspected.sha256 {
            return Ok((existing, false));
        }
        return Err(Error::Conflict(format!(
            "{}@{} is already installed with different content; give the new build a new version",
            meta.id, meta.version
        )));
    }
    let params: Vec<ParamSpec> = meta
        .params
        .iter()
        .map(|p| {
            let (kind, default) = param_value_json(&p.default_value);
            ParamSpec { name: p.name.clone(), description: p.description.clone(), kind, default }
        })
        .collect();
    let kinds = &meta.kinds;
    let stored = serde_json::json!({
        "kinds": kinds, "indicators": meta.indicators, "params": params, "report_form": meta.report_form,
    });
    sqlx::query(&format!(
        "INSERT INTO plugins ({COLUMNS}, kinds, component) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&meta.id)
    .bind(&meta.version)
    .bind(&meta.name)
    .bind(&meta.description)
    .bind(inspected.interface)
    .bind(stored.to_string())
    .bind(&inspected.sha256)
    .bind(bytes.len() as i64)
    .bind(now())
    .bind(&actor.name)
    .bind(serde_json::to_string(kinds).expect("serialisable"))
    .bind(bytes)
    .execute(&mut *conn)
    .await?;
    let info = find(conn, &meta.id, &meta.version).await?.expect("just inserted");
    let change = Change::new("install", "plugin", format!("{}@{}", meta.id, meta.version), None).after(&info);
    audit::record(conn, actor, change).await?;
    // Other instances compile it ahead of its first call there (on commit).
    crate::changes::send(conn, &crate::changes::Notice::Plugin { sha256: inspected.sha256.clone() }).await?;
    Ok((info, true))
}

pub async fn find(conn: &mut AnyConnection, plugin_id: &str, version: &str) -> Result<Option<PluginInfo>> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM plugins WHERE plugin_id = $1 AND version = $2"))
            .bind(plugin_id)
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(info))
}

/// Whether `version` is a semantic-version pre-release (`1.3.0-rc.1`).
pub fn is_pre_release(version: &str) -> bool {
    semver::Version::parse(version).is_ok_and(|v| !v.pre.is_empty())
}

/// The version a form offers first: the newest release (never a pre-release) of the first
/// plugin, in the order of [`list`], that has one. None when every version is a pre-release.
pub fn default_choice(installed: &[PluginInfo]) -> Option<&PluginInfo> {
    let first = installed.iter().find(|p| !is_pre_release(&p.version))?;
    installed.iter().rfind(|p| p.plugin_id == first.plugin_id && !is_pre_release(&p.version))
}

/// Every installed version, by plugin id, then by semantic version (oldest first).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<PluginInfo>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM plugins ORDER BY plugin_id, id"))
        .fetch_all(&mut *conn)
        .await?;
    let mut plugins: Vec<PluginInfo> = rows.into_iter().map(info).collect();
    plugins.sort_by(|a, b| a.plugin_id.cmp(&b.plugin_id).then_with(|| version_order(&a.version, &b.version)));
    Ok(plugins)
}

/// The stored component bytes of a plugin version (by content hash).
pub async fn component(conn: &mut AnyConnection, sha256: &str) -> Result<Vec<u8>> {
    Ok(sqlx::query_scalar("SELECT component FROM plugins WHERE sha256 = $1 LIMIT 1")
        .bind(sha256)
        .fetch_one(&mut *conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: ids are slugs (no paths, spaces, diacritics or 10 KB), quoted short when refused.
    #[test]
    fn ids_are_slugs_and_refusals_quote_them_short() {
        for good in ["hostile", "binh-dinh-ke-hoach-77", "a1"] {
            assert!(valid_id(good), "{good}");
        }
        let long = "a".repeat(10_000);
        for bad in ["", "a", "../x", "a b", "tổ", "A-B", "x/y", "a\0b", long.as_str()] {
            assert!(!valid_id(bad), "{bad:?}");
        }
        assert_eq!(shown("ngắn"), "ngắn");
        assert_eq!(shown(&long).chars().count(), 65);
    }

    /// Issue 11, fault 7: versions are semantic versions, in one spelling, ordered as such.
    #[test]
    fn versions_are_canonical_semantic_versions_in_semantic_order() {
        for ok in ["1.0.0", "0.10.0", "1.0.0-rc.1", "2.3.4-beta.2+build.7"] {
            assert!(valid_version(ok), "{ok}");
        }
        for bad in ["01.0.0", "1.0.00", "1.0", "v1.0.0", "1.0.0.0", "", "1.0.0-"] {
            assert!(!valid_version(bad), "{bad}");
        }
        let mut versions = ["1.0.0", "0.10.0", "0.9.1", "1.0.0-rc.1", "1.0.0-alpha"];
        versions.sort_by(|a, b| version_order(a, b));
        assert_eq!(versions, ["0.9.1", "0.10.0", "1.0.0-alpha", "1.0.0-rc.1", "1.0.0"]);
    }

    /// Pre-releases are offered but never chosen by default: the newest release is.
    #[test]
    fn the_default_choice_is_the_newest_release() {
        let info = |id: &str, version: &str| PluginInfo {
            plugin_id: id.into(),
            version: version.into(),
            name: String::new(),
            description: String::new(),
            interface_version: "0.1.0".into(),
            kinds: vec![],
            indicators: vec![],
            params: vec![],
            report_form: None,
            sha256: String::new(),
            size: 0,
            installed_at: String::new(),
            installed_by: String::new(),
        };
        let installed = [info("a", "0.9.0"), info("a", "1.0.0"), info("a", "1.1.0-rc.1"), info("b", "2.0.0")];
        assert_eq!(default_choice(&installed).map(|p| p.version.as_str()), Some("1.0.0"));
        let only_pre = [info("a", "1.0.0-rc.1"), info("b", "0.1.0-alpha")];
        assert!(default_choice(&only_pre).is_none());
        assert!(is_pre_release("1.1.0-rc.1") && !is_pre_release("1.1.0"));
    }
}
