//! Which plugin version applies where: a binding ties a unit's subtree, for one kind of rule,
//! to a plugin version (or to none: disabled) from a date on. To find the rule for a unit on a
//! date, walk from the unit up the tree and take the nearest binding that had begun by then.
//! A change takes effect on the next call: nothing is cached across calls but compiled code.
//!
//! Composition and commendation have one rule per unit. Reports have one per template: each
//! report plugin is its own slot, so a province can enable the communes' monthly report and the
//! districts' quarterly one side by side, and switch one off without touching the other.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::Kind;
use super::registry::{self, ParamSpec, PluginInfo};
use super::types as h;
use crate::audit::{self, Actor, Change};
use crate::db::now;
use crate::error::{Error, Problems, Result};

/// Binding a plugin version to a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBinding {
    pub kind: Kind,
    /// The plugin; leave out (with version) to switch the rule off for the subtree. For
    /// reports, name the template always, and leave out only the version to switch it off.
    pub plugin_id: Option<String>,
    pub version: Option<String>,
    /// First day it applies (default today).
    pub effective_from: Option<String>,
    /// Parameter values by name; absent ones take the plugin's defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Binding {
    pub unit_code: String,
    pub kind: Kind,
    /// None: the rule is switched off for the subtree (for reports: the template named by
    /// plugin_id is).
    pub plugin_id: Option<String>,
    pub version: Option<String>,
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub effective_from: String,
    pub created_at: String,
    pub created_by: String,
}

/// The rule that applies to a unit on a date.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub binding: Binding,
    pub plugin: PluginInfo,
    /// Every declared parameter, defaults filled in.
    pub params: Vec<h::Param>,
}

impl Resolved {
    pub fn label(&self) -> String {
        format!("{}@{}", self.plugin.plugin_id, self.plugin.version)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    unit_code: String,
    kind: String,
    slot: String,
    plugin_id: Option<String>,
    version: Option<String>,
    params: String,
    effective_from: String,
    created_at: String,
    created_by: String,
}

fn binding(row: Row) -> Binding {
    Binding {
        unit_code: row.unit_code,
        kind: Kind::parse(&row.kind).unwrap_or(Kind::Composition),
        plugin_id: row.plugin_id.or(Some(row.slot).filter(|s| !s.is_empty())),
        version: row.version,
        params: serde_json::from_str(&row.params).unwrap_or_default(),
        effective_from: row.effective_from,
        created_at: row.created_at,
        created_by: row.created_by,
    }
}

const SELECT: &str = "SELECT u.code AS unit_code, b.kind, b.slot, p.plugin_id, p.version, b.params, b.effective_from, \
       b.created_at, b.created_by \
     FROM plugin_bindings b JOIN units u ON u.id = b.unit_id LEFT JOIN plugins p ON p.id = b.plugin_ref";

/// Checks values against the declared parameters; returns every parameter, defaults filled.
pub fn params_for(
    specs: &[ParamSpec],
    given: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<h::Param>> {
    let mut p = Problems::default();
    for name in given.keys() {
        if !specs.iter().any(|s| &s.name == name) {
            let known = specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
            p.add(format!("params.{name}"), format!("the plugin has no such parameter (it has: {known})"));
        }
    }
    let mut out = Vec::new();
    for spec in specs {
        let v = given.get(&spec.name).unwrap_or(&spec.default);
        let value = match spec.kind.as_str() {
            "integer" => v.as_i64().map(h::ParamValue::Integer),
            "number" => v.as_f64().map(h::ParamValue::Number),
            "text" => v.as_str().map(|s| h::ParamValue::Text(s.to_string())),
            "flag" => v.as_bool().map(h::ParamValue::Flag),
            _ => None,
        };
        match value {
            Some(value) => out.push(h::Param { name: spec.name.clone(), value }),
            None => p.add(format!("params.{}", spec.name), format!("must be of type {}", spec.kind)),
        }
    }
    p.into_result()?;
    Ok(out)
}

pub async fn bind(
    conn: &mut AnyConnection,
    actor: &Actor,
    unit_code: &str,
    input: NewBinding,
) -> Result<Binding> {
    let unit_id = crate::units::id_of(conn, unit_code).await?;
    let mut p = Problems::default();
    let effective_from = match input.effective_from.as_deref().filter(|d| !d.is_empty()) {
        None => crate::dates::today_iso(),
        Some(d) => match crate::dates::parse(d) {
            Some(d) => crate::dates::iso(d),
            None => {
                p.add("effective_from", format!("'{d}' is not a date"));
                String::new()
            }
        },
    };
    // Reports: the template is the slot, and naming it without a version switches it off.
    let slot = match (input.kind, &input.plugin_id) {
        (Kind::Report, Some(id)) => id.clone(),
        (Kind::Report, None) => {
            p.add("plugin_id", "name the report template (its plugin_id) to enable or switch off");
            String::new()
        }
        _ => String::new(),
    };
    if let Some(d) = crate::dates::parse(&effective_from)
        && !(2000..=2100).contains(&chrono::Datelike::year(&d))
    {
        p.add("effective_from", "must be a day between 2000 and 2100");
    }
    let plugin = match (&input.plugin_id, &input.version) {
        (None, None) => None,
        (Some(id), None) if input.kind == Kind::Report => {
            // Switching off a template that is not one would store a binding nothing reads.
            let offered = registry::list(conn)
                .await?
                .iter()
                .any(|p| &p.plugin_id == id && p.kinds.contains(&Kind::Report));
            if !offered {
                p.add("plugin_id", format!("{id} is not an installed report template"));
            }
            None
        }
        (Some(id), Some(version)) => match registry::find(conn, id, version).await? {
            None => {
                p.add("plugin_id", format!("{id}@{version} is not installed"));
                None
            }
            Some(info) if !info.kinds.contains(&input.kind) => {
                p.add("kind", format!("{id}@{version} offers no {} rule", input.kind.as_str()));
                None
            }
            Some(info) => Some(info),
        },
        _ => {
            p.add("version", "give both plugin_id and version, or neither to switch the rule off");
            None
        }
    };
    if let Some(info) = &plugin
        && let Err(Error::Validation(e)) = params_for(&info.params, &input.params)
    {
        p.0.extend(e);
    }
    // A rule switched off has no plugin to check parameters against: any sent would be
    // stored unchecked and shown as the binding's (helper-20's `{"params": {"a": [1, 2]}}`).
    if input.version.is_none() && !input.params.is_empty() {
        p.add("params", "a rule switched off takes no parameters");
    }
    p.into_result()?;
    let plugin_ref: Option<i64> = match &plugin {
        Some(info) => Some(
            sqlx::query_scalar("SELECT id FROM plugins WHERE plugin_id = $1 AND version = $2")
                .bind(&info.plugin_id)
                .bind(&info.version)
                .fetch_one(&mut *conn)
                .await?,
        ),
        None => None,
    };
    let params = serde_json::Value::Object(input.params.clone()).to_string();
    // The same unit, kind, slot and day: the new binding replaces the old one.
    sqlx::query(
        "INSERT INTO plugin_bindings (unit_id, kind, slot, plugin_ref, params, effective_from, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (unit_id, kind, slot, effective_from) DO UPDATE SET plugin_ref = excluded.plugin_ref, \
           params = excluded.params, created_at = excluded.created_at, created_by = excluded.created_by",
    )
    .bind(unit_id)
    .bind(input.kind.as_str())
    .bind(&slot)
    .bind(plugin_ref)
    .bind(&params)
    .bind(&effective_from)
    .bind(now())
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    let row: Row = sqlx::query_as(&format!(
        "{SELECT} WHERE b.unit_id = $1 AND b.kind = $2 AND b.slot = $3 AND b.effective_from = $4"
    ))
    .bind(unit_id)
    .bind(input.kind.as_str())
    .bind(&slot)
    .bind(&effective_from)
    .fetch_one(&mut *conn)
    .await?;
    let bound = binding(row);
    if input.kind == Kind::Composition {
        crate::teams::findings::mark_under(conn, unit_id).await?;
    }
    let subject = match slot.as_str() {
        "" => format!("{unit_code}/{}", input.kind.as_str()),
        template => format!("{unit_code}/report/{template}"),
    };
    let change = Change::new("bind", "plugin_binding", subject, Some(unit_id)).after(&bound);
    audit::record(conn, actor, change).await?;
    Ok(bound)
}

/// Which binding to remove: the one set at a unit for a kind (and, for reports, a template)
/// from a day.
#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BindingKey {
    pub kind: Kind,
    /// The report template's plugin_id (reports only).
    pub template: Option<String>,
    /// The binding's first day, `yyyy-mm-dd` or `dd/mm/yyyy`.
    pub effective_from: String,
}

/// Removes a binding set at `unit_code` (the undo of [`bind`]): from then on the unit's
/// subtree follows the binding before it, or the nearest one above. Audited as `unbind` with
/// the removed binding. Errors: `NotFound` when no binding has that key; `Validation` for a
/// date that is not one.
pub async fn unbind(
    conn: &mut AnyConnection,
    actor: &Actor,
    unit_code: &str,
    key: &BindingKey,
) -> Result<Binding> {
    let unit_id = crate::units::id_of(conn, unit_code).await?;
    let from = crate::dates::parse(&key.effective_from)
        .map(crate::dates::iso)
        .ok_or_else(|| Error::field("effective_from", format!("'{}' is not a date", key.effective_from)))?;
    let slot =
        if key.kind == Kind::Report { key.template.clone().unwrap_or_default() } else { String::new() };
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE b.unit_id = $1 AND b.kind = $2 AND b.slot = $3 AND b.effective_from = $4"
    ))
    .bind(unit_id)
    .bind(key.kind.as_str())
    .bind(&slot)
    .bind(&from)
    .fetch_optional(&mut *conn)
    .await?;
    let removed = binding(row.ok_or_else(|| {
        Error::NotFound(format!("a {} binding at unit '{unit_code}' from {from}", key.kind.as_str()))
    })?);
    sqlx::query(
        "DELETE FROM plugin_bindings WHERE unit_id = $1 AND kind = $2 AND slot = $3 AND effective_from = $4",
    )
    .bind(unit_id)
    .bind(key.kind.as_str())
    .bind(&slot)
    .bind(&from)
    .execute(&mut *conn)
    .await?;
    if key.kind == Kind::Composition {
        crate::teams::findings::mark_under(conn, unit_id).await?;
    }
    let subject = match slot.as_str() {
        "" => format!("{unit_code}/{}", key.kind.as_str()),
        template => format!("{unit_code}/report/{template}"),
    };
    let change = Change::new("unbind", "plugin_binding", subject, Some(unit_id)).before(Some(&removed));
    audit::record(conn, actor, change).await?;
    Ok(removed)
}

/// Every binding, by unit code, kind and date (newest first): for the administration page.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<Binding>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} ORDER BY u.code, b.kind, b.slot, b.effective_from DESC"))
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(binding).collect())
}

/// The bindings set at one unit, newest first.
pub async fn at_unit(conn: &mut AnyConnection, unit_id: i64) -> Result<Vec<Binding>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE b.unit_id = $1 ORDER BY b.kind, b.effective_from DESC"))
            .bind(unit_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(binding).collect())
}

/// The rule of `kind` that applies to `unit_id` on `date`: the nearest binding up the tree
/// that had begun by then. None when no binding applies or the nearest switches it off. For
/// reports, use [`resolve_template`] or [`templates`].
pub async fn resolve(
    conn: &mut AnyConnection,
    unit_id: i64,
    kind: Kind,
    date: &str,
) -> Result<Option<Resolved>> {
    resolve_slot(conn, unit_id, kind, "", date).await
}

/// The report template `plugin_id` as enabled for `unit_id` on `date` (version, parameters).
pub async fn resolve_template(
    conn: &mut AnyConnection,
    unit_id: i64,
    plugin_id: &str,
    date: &str,
) -> Result<Option<Resolved>> {
    resolve_slot(conn, unit_id, Kind::Report, plugin_id, date).await
}

/// Every report template enabled for `unit_id` on `date`.
pub async fn templates(conn: &mut AnyConnection, unit_id: i64, date: &str) -> Result<Vec<Resolved>> {
    let path = crate::units::ancestors_or_self(conn, unit_id, date).await?;
    let mut q = crate::db::Sql::new(
        "SELECT DISTINCT slot FROM plugin_bindings WHERE kind = 'report' AND slot <> '' AND unit_id IN ",
    );
    q.push_tuples(1, path.len());
    for id in &path {
        q.arg(*id);
    }
    q.push(" ORDER BY slot");
    let slots: Vec<String> = q.query_scalar().fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for slot in slots {
        if let Some(r) = resolve_slot(conn, unit_id, Kind::Report, &slot, date).await? {
            out.push(r);
        }
    }
    Ok(out)
}

async fn resolve_slot(
    conn: &mut AnyConnection,
    unit_id: i64,
    kind: Kind,
    slot: &str,
    date: &str,
) -> Result<Option<Resolved>> {
    for unit in crate::units::ancestors_or_self(conn, unit_id, date).await? {
        let row: Option<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE b.unit_id = $1 AND b.kind = $2 AND b.slot = $3 AND b.effective_from <= $4 \
             ORDER BY b.effective_from DESC LIMIT 1"
        ))
        .bind(unit)
        .bind(kind.as_str())
        .bind(slot)
        .bind(date)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { continue };
        let b = binding(row);
        let (Some(id), Some(version)) = (&b.plugin_id, &b.version) else { return Ok(None) };
        let plugin = registry::find(conn, id, version)
            .await?
            .ok_or_else(|| Error::Internal("bound plugin vanished".into()))?;
        let params = params_for(&plugin.params, &b.params)?;
        return Ok(Some(Resolved { binding: b, plugin, params }));
    }
    Ok(None)
}
