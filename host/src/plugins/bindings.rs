//! Which plugin version applies where: a binding ties a unit's subtree, for one kind of rule,
//! to a plugin version (or to none: disabled) from a date on. To find the rule for a unit on a
//! date, walk from the unit up the tree and take the nearest binding that had begun by then.
//! A change takes effect on the next call: nothing is cached across calls but compiled code.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::registry::{self, ParamSpec, PluginInfo};
use super::{Kind, wit};
use crate::audit::{self, Actor, Change};
use crate::db::now;
use crate::error::{Error, Problems, Result};

/// Binding a plugin version to a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewBinding {
    pub kind: Kind,
    /// The plugin; leave out (with version) to switch the rule off for the subtree.
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
    /// None: the rule is switched off for the subtree.
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
    pub params: Vec<wit::Param>,
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
        plugin_id: row.plugin_id,
        version: row.version,
        params: serde_json::from_str(&row.params).unwrap_or_default(),
        effective_from: row.effective_from,
        created_at: row.created_at,
        created_by: row.created_by,
    }
}

const SELECT: &str = "SELECT u.code AS unit_code, b.kind, p.plugin_id, p.version, b.params, b.effective_from, \
       b.created_at, b.created_by \
     FROM plugin_bindings b JOIN units u ON u.id = b.unit_id LEFT JOIN plugins p ON p.id = b.plugin_ref";

/// Checks values against the declared parameters; returns every parameter, defaults filled.
pub fn params_for(
    specs: &[ParamSpec],
    given: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<wit::Param>> {
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
            "integer" => v.as_i64().map(wit::ParamValue::Integer),
            "number" => v.as_f64().map(wit::ParamValue::Number),
            "text" => v.as_str().map(|s| wit::ParamValue::Text(s.to_string())),
            "flag" => v.as_bool().map(wit::ParamValue::Flag),
            _ => None,
        };
        match value {
            Some(value) => out.push(wit::Param { name: spec.name.clone(), value }),
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
        None => crate::dates::iso(crate::dates::today()),
        Some(d) => match crate::dates::parse(d) {
            Some(d) => crate::dates::iso(d),
            None => {
                p.add("effective_from", format!("'{d}' is not a date"));
                String::new()
            }
        },
    };
    let plugin = match (&input.plugin_id, &input.version) {
        (None, None) => None,
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
    // The same unit, kind and day: the new binding replaces the old one.
    sqlx::query(
        "INSERT INTO plugin_bindings (unit_id, kind, plugin_ref, params, effective_from, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (unit_id, kind, effective_from) DO UPDATE SET plugin_ref = excluded.plugin_ref, \
           params = excluded.params, created_at = excluded.created_at, created_by = excluded.created_by",
    )
    .bind(unit_id)
    .bind(input.kind.as_str())
    .bind(plugin_ref)
    .bind(&params)
    .bind(&effective_from)
    .bind(now())
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    let row: Row =
        sqlx::query_as(&format!("{SELECT} WHERE b.unit_id = $1 AND b.kind = $2 AND b.effective_from = $3"))
            .bind(unit_id)
            .bind(input.kind.as_str())
            .bind(&effective_from)
            .fetch_one(&mut *conn)
            .await?;
    let bound = binding(row);
    let change =
        Change::new("bind", "plugin_binding", format!("{unit_code}/{}", input.kind.as_str()), Some(unit_id))
            .after(&bound);
    audit::record(conn, actor, change).await?;
    Ok(bound)
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
/// that had begun by then. None when no binding applies or the nearest switches it off.
pub async fn resolve(
    conn: &mut AnyConnection,
    unit_id: i64,
    kind: Kind,
    date: &str,
) -> Result<Option<Resolved>> {
    for unit in crate::units::ancestors_or_self(conn, unit_id, date).await? {
        let row: Option<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE b.unit_id = $1 AND b.kind = $2 AND b.effective_from <= $3 ORDER BY b.effective_from DESC LIMIT 1"
        ))
        .bind(unit)
        .bind(kind.as_str())
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
