//! Rule administration: installed versions, bindings per unit, binding a version to a unit,
//! removing a binding, uploading a component, and trying a version on a team.
//!
//! A binding changes what every team below the unit is judged by, so it is never saved in one
//! step: the form (unit picked by name, rule picked from a list grouped by kind, so a plugin
//! can only be bound for a kind it offers) leads to a confirmation page with the plugin's
//! parameters as typed fields (with the plugin's own descriptions) and the impact, e.g. "105
//! tổ: 4 chưa đạt → 0", computed by running the chosen version on the unit's teams. Only the
//! confirmation saves. Removing a binding is confirmed the same way, showing what applies
//! after. Both are audited by the service ([`bindings::bind`], [`bindings::unbind`]).

use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;

use super::forms::FormErrors;
use super::{Ctx, Signed, WebError, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::plugins::bindings::{self, BindingKey, NewBinding};
use crate::plugins::registry::{ParamSpec, PluginInfo};
use crate::plugins::{Kind, registry};
use crate::teams::{TeamFilter, composition};
use crate::units::{UnitFilter, UnitSort};
use crate::vocab::TeamStatus;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plugins", get(admin))
        .route("/plugins/bind", post(bind))
        .route("/plugins/unbind", post(unbind))
        .route("/plugins/preview", post(preview))
        .route("/plugins/upload", post(upload))
}

/// Teams listed by name in an impact preview whose result changes; the counts cover them all.
const CHANGES_SHOWN: usize = 20;

/// The binding form and its confirmation: fixed fields, and `param.<name>` per parameter.
#[derive(Debug, Default, Clone, Serialize)]
struct BindForm {
    csrf: String,
    /// A unit's name (as typed or chosen from the list) or its official code.
    unit: String,
    /// `<kind>:<plugin_id>@<version>`, `<kind>:off`, or `report:<plugin_id>:off`.
    choice: String,
    effective_from: String,
    /// `yes` saves; anything else shows the confirmation with the impact.
    confirm: String,
    /// Parameter values as typed, by name.
    params: Vec<(String, String)>,
}

impl BindForm {
    fn read(fields: Vec<(String, String)>) -> BindForm {
        let mut form = BindForm::default();
        for (name, value) in fields {
            match name.as_str() {
                "csrf" => form.csrf = value,
                "unit" => form.unit = value.trim().to_string(),
                "choice" => form.choice = value,
                "effective_from" => form.effective_from = value.trim().to_string(),
                "confirm" => form.confirm = value,
                other => {
                    if let Some(param) = other.strip_prefix("param.") {
                        form.params.push((param.to_string(), value.trim().to_string()));
                    }
                }
            }
        }
        form
    }

    fn typed(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What a binding form chose: the kind, and the plugin version (None: switch off).
struct Choice {
    kind: Kind,
    /// For reports, the template switched off when `version` is None.
    plugin_id: Option<String>,
    version: Option<String>,
}

fn parse_choice(choice: &str) -> Option<Choice> {
    let (kind, rest) = choice.split_once(':')?;
    let kind = Kind::parse(kind)?;
    if rest == "off" && kind != Kind::Report {
        return Some(Choice { kind, plugin_id: None, version: None });
    }
    if let Some(template) = rest.strip_suffix(":off").filter(|_| kind == Kind::Report) {
        return Some(Choice { kind, plugin_id: Some(template.to_string()), version: None });
    }
    let (id, version) = rest.split_once('@')?;
    Some(Choice { kind, plugin_id: Some(id.to_string()), version: Some(version.to_string()) })
}

#[derive(Serialize)]
struct PluginView {
    plugin_id: String,
    version: String,
    /// A pre-release (1.3.0-rc.1): offered, labelled, never preselected.
    pre_release: bool,
    name: String,
    kinds: Vec<&'static str>,
    installed_vn: String,
    /// The plugin interface version it was built for ("0.1.0", "0.2.0").
    interface_version: String,
}

#[derive(Serialize)]
struct BindingView {
    unit_code: String,
    unit_name: String,
    kind: &'static str,
    template: String,
    rule: Option<String>,
    technical: String,
    from_vn: String,
    effective_from: String,
    /// "description: value" of each parameter given; empty: the plugin's defaults.
    params: Vec<String>,
    can_remove: bool,
}

/// One choice of the rule list: grouped by kind, named by title and version.
#[derive(Serialize)]
struct OptionView {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct GroupView {
    kind: &'static str,
    options: Vec<OptionView>,
}

#[derive(Serialize, Default)]
struct Preview {
    team_name: String,
    plugin: String,
    error: Option<String>,
    findings: Vec<composition::Finding>,
    /// Teams matching what was typed, when it named more than one.
    candidates: Vec<TeamChoice>,
    /// More teams matched than are listed.
    more: bool,
}

#[derive(Serialize)]
struct TeamChoice {
    id: i64,
    name: String,
    unit_name: String,
}

/// Refuses users who may not choose plugins anywhere.
async fn enabler(conn: &mut sqlx::AnyConnection, ctx: &Ctx) -> WebResult<()> {
    if ctx.principal().roots(conn, Action::PluginsEnable, None).await?.is_empty() {
        return Err(WebError::App(Error::Forbidden("choosing plugins".into())));
    }
    Ok(())
}

struct Extra {
    form: BindForm,
    errors: FormErrors,
    preview: Option<Preview>,
    preview_team: String,
    /// The rule chosen for the trial (`id@version`), kept selected.
    trial_choice: String,
}

fn blank() -> Extra {
    Extra {
        form: BindForm::default(),
        errors: FormErrors::default(),
        preview: None,
        preview_team: String::new(),
        trial_choice: String::new(),
    }
}

/// Teams offered to choose from when a trial's name matches several.
const TRIAL_CANDIDATES: i64 = 20;

fn plugin_label(p: &PluginInfo, ctx: &Ctx) -> String {
    let pre = if registry::is_pre_release(&p.version) {
        format!(" ({})", ctx.t("plugins.pre_release"))
    } else {
        String::new()
    };
    format!("{} — {} {}{pre}", p.name, ctx.t("version"), p.version)
}

/// The rule list, grouped by kind: only plugins offering that kind, then the way to switch it
/// off. Report templates are switched off one by one.
fn groups(ctx: &Ctx, installed: &[PluginInfo]) -> Vec<GroupView> {
    [Kind::Composition, Kind::Report, Kind::Commendation]
        .into_iter()
        .map(|kind| {
            let offering: Vec<&PluginInfo> = installed.iter().filter(|p| p.kinds.contains(&kind)).collect();
            let mut options: Vec<OptionView> = offering
                .iter()
                .map(|p| OptionView {
                    value: format!("{}:{}@{}", kind.as_str(), p.plugin_id, p.version),
                    label: plugin_label(p, ctx),
                })
                .collect();
            if kind == Kind::Report {
                let mut templates: Vec<&PluginInfo> = offering.clone();
                templates.dedup_by(|a, b| a.plugin_id == b.plugin_id);
                for p in templates {
                    options.push(OptionView {
                        value: format!("report:{}:off", p.plugin_id),
                        label: format!("{}: {}", ctx.t("plugins.switch_off_template"), p.name),
                    });
                }
            } else {
                options.push(OptionView {
                    value: format!("{}:off", kind.as_str()),
                    label: ctx.t(&format!("plugins.switch_off.{}", kind.as_str())),
                });
            }
            GroupView { kind: kind.as_str(), options }
        })
        .collect()
}

/// "description: value" for each parameter given (values as people write them).
fn params_shown(
    specs: &[ParamSpec],
    given: &serde_json::Map<String, serde_json::Value>,
    ctx: &Ctx,
) -> Vec<String> {
    given
        .iter()
        .map(|(name, value)| {
            let label =
                specs.iter().find(|s| &s.name == name).map_or(name.as_str(), |s| s.description.as_str());
            let value = match value {
                serde_json::Value::Bool(true) => ctx.t("yes"),
                serde_json::Value::Bool(false) => ctx.t("no"),
                serde_json::Value::Number(n) => {
                    n.as_f64().map(|f| sohoa_sdk::text::decimal(f, 2)).unwrap_or_else(|| n.to_string())
                }
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{label}: {value}")
        })
        .collect()
}

async fn admin_page(state: &AppState, ctx: &Ctx, extra: Extra) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    enabler(&mut conn, ctx).await?;
    let installed = registry::list(&mut conn).await?;
    let mut form = extra.form;
    if form.choice.is_empty() {
        // Preselect a release of a composition rule, never a pre-release; with none, nothing.
        form.choice = registry::default_choice(&installed)
            .filter(|p| p.kinds.contains(&Kind::Composition))
            .map(|p| format!("composition:{}@{}", p.plugin_id, p.version))
            .unwrap_or_default();
    }
    let plugins: Vec<PluginView> = installed
        .iter()
        .map(|p| PluginView {
            pre_release: registry::is_pre_release(&p.version),
            plugin_id: p.plugin_id.clone(),
            version: p.version.clone(),
            name: p.name.clone(),
            kinds: p.kinds.iter().map(|k| k.as_str()).collect(),
            installed_vn: crate::dates::display_instant(&p.installed_at).unwrap_or_default(),
            interface_version: p.interface_version.clone(),
        })
        .collect();
    // The bindings that matter to this user: in the units they may read, and above them.
    let roots = principal.roots(&mut conn, Action::TeamsRead, None).await?;
    let mut above = Vec::new();
    for root in &roots {
        above.extend(crate::units::ancestors_or_self(&mut conn, *root, &today).await?);
    }
    let mut views = Vec::new();
    for b in bindings::all(&mut conn).await? {
        let unit_id = crate::units::id_of(&mut conn, &b.unit_code).await?;
        let target = Target { unit_id, team_id: None };
        let visible = above.contains(&unit_id) || principal.can(&mut conn, Action::TeamsRead, target).await?;
        if !visible {
            continue;
        }
        // One light query for the name; the full detail only for a unit closed since.
        let unit_name = match crate::units::version_on(&mut conn, unit_id, &today).await? {
            Some(v) => v.name,
            None => crate::units::get(&mut conn, &b.unit_code, &today).await?.unit.name,
        };
        let plugin = installed
            .iter()
            .find(|p| Some(&p.plugin_id) == b.plugin_id.as_ref() && Some(&p.version) == b.version.as_ref());
        let template =
            if b.kind == Kind::Report { b.plugin_id.clone().unwrap_or_default() } else { String::new() };
        // A report template switched off is named by its title too.
        let switched_off = b
            .plugin_id
            .as_ref()
            .and_then(|id| installed.iter().find(|p| &p.plugin_id == id))
            .map(|p| format!("{}: {}", ctx.t("plugins.switched_off"), p.name));
        views.push(BindingView {
            unit_code: b.unit_code,
            unit_name,
            kind: b.kind.as_str(),
            rule: plugin.map(|p| plugin_label(p, ctx)).or(switched_off),
            technical: match (&b.plugin_id, &b.version) {
                (Some(id), Some(v)) => format!("{id} {v}"),
                (Some(id), None) => id.clone(),
                _ => String::new(),
            },
            template,
            from_vn: crate::dates::parse(&b.effective_from).map(crate::dates::display).unwrap_or_default(),
            effective_from: b.effective_from,
            params: params_shown(plugin.map_or(&[][..], |p| &p.params), &b.params, ctx),
            can_remove: principal.can(&mut conn, Action::PluginsEnable, target).await?,
        });
    }
    // Units offered by name: those the user may bind at, down to districts.
    let mut unit_names = Vec::new();
    for root in principal.roots(&mut conn, Action::PluginsEnable, None).await? {
        let code = crate::units::code_of(&mut conn, root).await?;
        unit_names.push(crate::units::get(&mut conn, &code, &today).await?.unit.name);
        let filter = UnitFilter {
            as_of: today.clone(),
            parent: Some(code),
            sort: UnitSort::Name,
            ..Default::default()
        };
        unit_names
            .extend(crate::units::list(&mut conn, &filter, 500, 0).await?.0.into_iter().map(|u| u.name));
    }
    let can_install = !principal.roots(&mut conn, Action::PluginsInstall, None).await?.is_empty();
    let status = extra.errors.status();
    let mut response = page(
        ctx,
        "plugins.html",
        "plugins",
        minijinja::context! {
            plugins, bindings => views, can_install, form, unit_names,
            groups => groups(ctx, &installed), errors => extra.errors,
            preview => extra.preview, preview_team => extra.preview_team, trial_choice => extra.trial_choice,
            trial_plugins => installed.iter().filter(|p| p.kinds.contains(&Kind::Composition))
                .map(|p| OptionView { value: format!("{}@{}", p.plugin_id, p.version), label: plugin_label(p, ctx) })
                .collect::<Vec<_>>(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn admin(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    admin_page(&state, &ctx, blank()).await.unwrap_or_else(|e| e.page(&ctx))
}

/// A unit the user may bind rules at, from its name (diacritics optional, with or without
/// "Huyện", "Xã"…) or its official code. Errors are the words for the form's unit field.
async fn find_unit(
    conn: &mut sqlx::AnyConnection,
    ctx: &Ctx,
    typed: &str,
) -> WebResult<Result<(i64, String, String), String>> {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    if typed.is_empty() {
        return Ok(Err(super::i18n::problem(ctx.lang, "is required")));
    }
    let mut found = Vec::new();
    // An official code: digits, and for villages a dash (21811-01).
    if typed.starts_with(|c: char| c.is_ascii_digit())
        && typed.chars().all(|c| c.is_ascii_digit() || c == '-')
        && let Ok(id) = crate::units::id_of(conn, typed).await
    {
        let u = crate::units::get(conn, typed, &today).await?.unit;
        found.push((id, u.code, u.name));
    } else {
        for root in principal.roots(conn, Action::PluginsEnable, None).await? {
            let code = crate::units::code_of(conn, root).await?;
            let filter = UnitFilter {
                as_of: today.clone(),
                subtree: Some(code),
                q: Some(typed.to_string()),
                sort: UnitSort::Name,
                ..Default::default()
            };
            for u in crate::units::list(conn, &filter, 50, 0).await?.0 {
                found.push((crate::units::id_of(conn, &u.code).await?, u.code, u.name));
            }
        }
        // "Tây Sơn" means Huyện Tây Sơn when that is the only unit so named, not every unit
        // whose name contains the words.
        let key = crate::text::fold(typed);
        let exact: Vec<_> = found
            .iter()
            .filter(|(_, _, name)| {
                let n = crate::text::fold(name);
                n == key || n.ends_with(&format!(" {key}"))
            })
            .cloned()
            .collect();
        if !exact.is_empty() {
            found = exact;
        }
    }
    match found.as_slice() {
        [] => Ok(Err(ctx.t("plugins.unit_not_found").replace("{typed}", typed))),
        [(id, code, name)] => {
            if !principal.can(conn, Action::PluginsEnable, Target { unit_id: *id, team_id: None }).await? {
                return Ok(Err(ctx.t("plugins.unit_not_yours").replace("{unit}", name)));
            }
            Ok(Ok((*id, code.clone(), name.clone())))
        }
        many => {
            let names: Vec<String> =
                many.iter().take(8).map(|(_, code, name)| format!("{name} ({code})")).collect();
            Ok(Err(ctx
                .t("plugins.unit_ambiguous")
                .replace("{typed}", typed)
                .replace("{names}", &names.join("; "))))
        }
    }
}

/// Typed parameter values as JSON by the plugin's declarations; problems go to `errors`.
fn read_params(
    ctx: &Ctx,
    specs: &[ParamSpec],
    form: &BindForm,
    errors: &mut FormErrors,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for spec in specs {
        let Some(typed) = form.typed(&spec.name) else { continue };
        let field = format!("param.{}", spec.name);
        let value = match spec.kind.as_str() {
            // As people write numbers (1.000 is a thousand); a whole number only.
            "integer" => crate::text::parse_number(typed)
                .filter(|n| n.fract() == 0.0 && n.abs() < 1e15)
                .map(|n| serde_json::Value::from(n as i64)),
            "number" => crate::text::parse_number(typed).map(serde_json::Value::from),
            "flag" => match typed {
                "true" => Some(serde_json::Value::Bool(true)),
                "false" => Some(serde_json::Value::Bool(false)),
                _ => None,
            },
            _ => Some(serde_json::Value::from(typed)),
        };
        match value {
            // Only values that differ from the default are stored: the plugin's next version
            // may improve a default the province never chose.
            Some(v) if v == spec.default => {}
            Some(v) => {
                out.insert(spec.name.clone(), v);
            }
            None => {
                let message = ctx.t(&format!("plugins.param_type.{}", spec.kind));
                errors.field(&field, &spec.description, format!("'{typed}' {message}"));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct ParamField {
    name: String,
    description: String,
    kind: String,
    value: String,
}

/// The parameter fields of the confirmation, filled with what was typed or the defaults.
fn param_fields(specs: &[ParamSpec], form: &BindForm) -> Vec<ParamField> {
    specs
        .iter()
        .map(|s| ParamField {
            name: s.name.clone(),
            description: s.description.clone(),
            kind: s.kind.clone(),
            value: form.typed(&s.name).map(str::to_string).unwrap_or_else(|| match &s.default {
                serde_json::Value::String(t) => t.clone(),
                serde_json::Value::Number(n) => {
                    n.as_f64().map(|f| sohoa_sdk::text::decimal(f, 2)).unwrap_or_else(|| n.to_string())
                }
                serde_json::Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            }),
        })
        .collect()
}

/// What a binding would do to the teams below the unit, today.
#[derive(Serialize, Default)]
struct Impact {
    teams: usize,
    failing_now: usize,
    failing_after: usize,
    /// The rule in force now, by title.
    current: Option<String>,
    /// Teams whose result changes: (name, passes now, passes after).
    changes: Vec<(String, bool, bool)>,
    more_changes: usize,
    /// Why the chosen version could not be run on the teams.
    error: Option<String>,
    /// A binding set at this unit for this kind (and template) from the same day, which saving
    /// replaces (its rule's title, or "off").
    replaces: Option<String>,
}

async fn impact(
    state: &AppState,
    ctx: &Ctx,
    unit_id: i64,
    choice: &Choice,
    plugin: Option<&PluginInfo>,
    params: &serde_json::Map<String, serde_json::Value>,
) -> WebResult<Impact> {
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    let mut impact = Impact::default();
    if choice.kind != Kind::Composition {
        let current = match (&choice.kind, &choice.plugin_id) {
            (Kind::Report, Some(t)) => bindings::resolve_template(&mut conn, unit_id, t, &today).await?,
            (kind, _) => bindings::resolve(&mut conn, unit_id, *kind, &today).await?,
        };
        impact.current = current.map(|r| plugin_label(&r.plugin, ctx));
        return Ok(impact);
    }
    let current = bindings::resolve(&mut conn, unit_id, Kind::Composition, &today).await?;
    impact.current = current.map(|r| plugin_label(&r.plugin, ctx));
    let filter = TeamFilter {
        roots: Some(vec![unit_id]),
        as_of: today.clone(),
        status: Some(TeamStatus::Active),
        q: None,
        sort: Default::default(),
        failing: false,
    };
    let (teams, _) = crate::teams::list(&mut conn, &filter, i64::MAX, 0).await?;
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    impact.teams = ids.len();
    let gathered = composition::gather(&mut conn, &state.plugins, &ids, &today).await;
    drop(conn);
    let fails = |findings: &[composition::Finding]| findings.iter().any(|f| f.severity == "error");
    let now: Vec<bool> = match composition::judge_gathered(gathered, &state.plugins).await {
        Ok(checks) => checks.iter().map(|c| fails(&c.findings)).collect(),
        Err(e) => {
            impact.error = Some(e.to_string());
            return Ok(impact);
        }
    };
    let after: Vec<bool> = match plugin {
        None => vec![false; ids.len()],
        Some(info) => match composition::preview(&state.db, &state.plugins, &ids, info, params, &today).await
        {
            Ok(found) => found.iter().map(|f| fails(f)).collect(),
            Err(e) => {
                impact.error = Some(if ctx.technical() { e.to_string() } else { ctx.t("home.check_failed") });
                return Ok(impact);
            }
        },
    };
    impact.failing_now = now.iter().filter(|f| **f).count();
    impact.failing_after = after.iter().filter(|f| **f).count();
    for ((team, before), after) in teams.iter().zip(&now).zip(&after) {
        if before != after {
            if impact.changes.len() < CHANGES_SHOWN {
                impact.changes.push((format!("{} ({})", team.name, team.unit_name), !before, !after));
            } else {
                impact.more_changes += 1;
            }
        }
    }
    Ok(impact)
}

async fn bind(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = BindForm::read(fields);
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let mut errors = FormErrors::new(ctx.t("plugins.not_bound"));
        let mut conn = state.db.pool.acquire().await?;
        enabler(&mut conn, &ctx).await?;
        let unit = match find_unit(&mut conn, &ctx, &form.unit).await? {
            Ok(u) => Some(u),
            Err(message) => {
                errors.field("unit", &ctx.t("plugins.unit"), message);
                None
            }
        };
        let choice = parse_choice(&form.choice);
        let plugin = match &choice {
            None => {
                errors.field("choice", &ctx.t("plugins.rule"), ctx.t("plugins.choose_version"));
                None
            }
            Some(Choice { kind, plugin_id: Some(id), version: Some(v) }) => {
                let found = registry::find(&mut conn, id, v).await?;
                match &found {
                    None => {
                        let message = format!("{id} {v}: {}", ctx.t("plugins.not_installed"));
                        errors.field("choice", &ctx.t("plugins.rule"), message);
                    }
                    Some(p) if !p.kinds.contains(kind) => {
                        errors.field("choice", &ctx.t("plugins.rule"), ctx.t("plugins.wrong_kind"));
                    }
                    Some(_) => {}
                }
                found.filter(|p| p.kinds.contains(kind))
            }
            Some(_) => None,
        };
        drop(conn);
        let effective_from = if form.effective_from.is_empty() {
            crate::dates::today_iso()
        } else {
            match crate::dates::parse(&form.effective_from) {
                Some(d) => crate::dates::iso(d),
                None => {
                    let message = super::i18n::problem(
                        ctx.lang,
                        &format!("{} is not a valid date", form.effective_from),
                    );
                    errors.field("effective_from", &ctx.t("plugins.from"), message);
                    String::new()
                }
            }
        };
        let params = read_params(&ctx, plugin.as_ref().map_or(&[][..], |p| &p.params), &form, &mut errors);
        // Parameters are typed on the confirmation, so their problems are shown there; the
        // rest belong to the first form.
        let on_confirmation = errors.fields.keys().all(|f| f.starts_with("param."));
        let (Some((unit_id, code, unit_name)), Some(choice)) = (unit, choice) else {
            return admin_page(&state, &ctx, Extra { form: form.clone(), errors, ..blank() }).await;
        };
        if !errors.problems.is_empty() {
            if on_confirmation {
                return confirm_page(
                    &ctx,
                    &form,
                    &code,
                    &unit_name,
                    &choice,
                    plugin.as_ref(),
                    &effective_from,
                    None,
                    errors,
                );
            }
            return admin_page(&state, &ctx, Extra { form: form.clone(), errors, ..blank() }).await;
        }
        if form.confirm != "yes" {
            let mut impact = impact(&state, &ctx, unit_id, &choice, plugin.as_ref(), &params).await?;
            let mut conn = state.db.pool.acquire().await?;
            let same_day = bindings::at_unit(&mut conn, unit_id).await?.into_iter().find(|b| {
                b.kind == choice.kind
                    && b.effective_from == effective_from
                    && (choice.kind != Kind::Report || b.plugin_id == choice.plugin_id)
            });
            if let Some(b) = same_day {
                let rule = match (&b.plugin_id, &b.version) {
                    (Some(id), Some(v)) => {
                        registry::find(&mut conn, id, v).await?.map(|p| plugin_label(&p, &ctx))
                    }
                    _ => None,
                };
                impact.replaces = Some(rule.unwrap_or_else(|| ctx.t("plugins.off")));
            }
            drop(conn);
            return confirm_page(
                &ctx,
                &form,
                &code,
                &unit_name,
                &choice,
                plugin.as_ref(),
                &effective_from,
                Some(impact),
                FormErrors::default(),
            );
        }
        let input = NewBinding {
            kind: choice.kind,
            plugin_id: choice.plugin_id.clone(),
            version: choice.version.clone(),
            effective_from: Some(effective_from.clone()),
            params,
        };
        let mut tx = state.db.begin_write().await?;
        match bindings::bind(&mut tx, &ctx.principal().actor(), &code, input).await {
            Ok(_) => {
                tx.commit().await?;
                Ok(see_other("/plugins", "plugins.bound"))
            }
            Err(Error::Validation(fields)) => {
                drop(tx);
                let mut errors = FormErrors::new(ctx.t("plugins.not_bound"));
                for f in fields {
                    let name = f.field.replace("params.", "param.");
                    errors.field(&name, &name, super::i18n::problem(ctx.lang, &f.message));
                }
                confirm_page(
                    &ctx,
                    &form,
                    &code,
                    &unit_name,
                    &choice,
                    plugin.as_ref(),
                    &effective_from,
                    None,
                    errors,
                )
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[allow(clippy::too_many_arguments)]
fn confirm_page(
    ctx: &Ctx,
    form: &BindForm,
    code: &str,
    unit_name: &str,
    choice: &Choice,
    plugin: Option<&PluginInfo>,
    effective_from: &str,
    impact: Option<Impact>,
    errors: FormErrors,
) -> WebResult {
    let rule = match (plugin, &choice.plugin_id) {
        (Some(p), _) => plugin_label(p, ctx),
        (None, Some(template)) => format!("{}: {template}", ctx.t("plugins.switch_off_template")),
        (None, None) => ctx.t(&format!("plugins.switch_off.{}", choice.kind.as_str())),
    };
    let status = errors.status();
    let mut response = page(
        ctx,
        "plugins_confirm.html",
        "plugins",
        minijinja::context! {
            form, code, unit_name, rule, kind => choice.kind.as_str(), errors, impact,
            from_vn => crate::dates::parse(effective_from).map(crate::dates::display).unwrap_or_default(),
            params => param_fields(plugin.map_or(&[][..], |p| &p.params), form),
            technical => plugin.map(|p| format!("{} {} · sha256 {}", p.plugin_id, p.version, &p.sha256[..12.min(p.sha256.len())])),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// Removing a binding: first what applies after, then (with `confirm=yes`) the removal.
async fn unbind(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let done: WebResult = async {
        check_csrf(&ctx, &get("csrf"))?;
        let code = get("unit_code");
        let Some(kind) = Kind::parse(&get("kind")) else {
            return Ok(see_other("/plugins", "plugins.already_removed"));
        };
        let template = Some(get("template")).filter(|t| !t.is_empty());
        let key = BindingKey { kind, template: template.clone(), effective_from: get("effective_from") };
        let today = crate::dates::today_iso();
        let mut tx = state.db.begin_write().await?;
        let unit_id = crate::units::id_of(&mut tx, &code).await?;
        if !ctx.principal().can(&mut tx, Action::PluginsEnable, Target { unit_id, team_id: None }).await? {
            return Err(WebError::App(Error::Forbidden(format!("choosing plugins for unit '{code}'"))));
        }
        let removed = match bindings::unbind(&mut tx, &ctx.principal().actor(), &code, &key).await {
            Ok(removed) => removed,
            // Removed already (a second click, another tab): say so on the rules page.
            Err(Error::NotFound(_)) => return Ok(see_other("/plugins", "plugins.already_removed")),
            Err(e) => return Err(e.into()),
        };
        if get("confirm") == "yes" {
            tx.commit().await?;
            return Ok(see_other("/plugins", "plugins.unbound"));
        }
        // What would apply once it is gone, read inside the transaction, which is then undone.
        let after = match &template {
            Some(t) => bindings::resolve_template(&mut tx, unit_id, t, &today).await?,
            None => bindings::resolve(&mut tx, unit_id, kind, &today).await?,
        };
        let after_unit = match &after {
            Some(r) => crate::units::get(&mut tx, &r.binding.unit_code, &today).await?.unit.name,
            None => String::new(),
        };
        let unit_name = crate::units::get(&mut tx, &code, &today).await?.unit.name;
        let removed_rule = match (&removed.plugin_id, &removed.version) {
            (Some(id), Some(v)) => registry::find(&mut tx, id, v).await?.map(|p| plugin_label(&p, &ctx)),
            _ => None,
        };
        tx.rollback().await?;
        Ok(page(
            &ctx,
            "plugins_unbind.html",
            "plugins",
            minijinja::context! {
                unit_code => code, unit_name, kind => kind.as_str(), template => template.unwrap_or_default(),
                effective_from => key.effective_from,
                from_vn => crate::dates::parse(&removed.effective_from).map(crate::dates::display).unwrap_or_default(),
                removed_rule, after => after.map(|r| plugin_label(&r.plugin, &ctx)), after_unit,
            },
        ))
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// Trying a version on one team, picked by name (or number); several matches are offered to
/// choose from.
async fn preview(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    };
    let done: WebResult = async {
        check_csrf(&ctx, &get("csrf"))?;
        let typed = get("team");
        let chosen = get("plugin");
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        enabler(&mut conn, &ctx).await?;
        let roots = ctx.principal().roots(&mut conn, Action::TeamsRead, None).await?;
        let filter = TeamFilter {
            roots: Some(roots),
            as_of: today.clone(),
            status: None,
            q: Some(typed.clone()).filter(|q| !q.is_empty()),
            sort: Default::default(),
            failing: false,
        };
        // Anything short of a team and a rule to run comes back as a message in the trial
        // box, with what was typed and chosen kept.
        let refuse = |message: String, candidates: Vec<TeamChoice>, more: bool| Extra {
            preview: Some(Preview { error: Some(message), candidates, more, ..Default::default() }),
            preview_team: typed.clone(),
            trial_choice: chosen.clone(),
            ..blank()
        };
        let info = match chosen.split_once('@') {
            Some((id, version)) => {
                registry::find(&mut conn, id, version).await?.filter(|p| p.kinds.contains(&Kind::Composition))
            }
            None => None,
        };
        let Some(info) = info else {
            drop(conn);
            return admin_page(&state, &ctx, refuse(ctx.t("plugins.choose_rule"), vec![], false)).await;
        };
        if typed.is_empty() {
            drop(conn);
            return admin_page(&state, &ctx, refuse(ctx.t("plugins.type_team"), vec![], false)).await;
        }
        let team = match typed.parse::<i64>() {
            Ok(id) => crate::teams::access::authorize_team(&mut conn, ctx.principal(), Action::TeamsRead, id)
                .await
                .ok(),
            Err(_) => {
                let (found, total) = crate::teams::list(&mut conn, &filter, TRIAL_CANDIDATES, 0).await?;
                if found.len() == 1 {
                    found.into_iter().next()
                } else if found.is_empty() {
                    None
                } else {
                    drop(conn);
                    let candidates = found
                        .into_iter()
                        .map(|t| TeamChoice { id: t.id, name: t.name, unit_name: t.unit_name })
                        .collect();
                    let extra = refuse(ctx.t("plugins.team_choose"), candidates, total > TRIAL_CANDIDATES);
                    return admin_page(&state, &ctx, extra).await;
                }
            }
        };
        let Some(team) = team else {
            drop(conn);
            let message = ctx.t("plugins.team_not_found").replace("{typed}", &typed);
            return admin_page(&state, &ctx, refuse(message, vec![], false)).await;
        };
        drop(conn);
        let mut preview =
            Preview { team_name: team.name.clone(), plugin: plugin_label(&info, &ctx), ..Default::default() };
        match composition::preview(&state.db, &state.plugins, &[team.id], &info, &Default::default(), &today)
            .await
        {
            Ok(mut findings) => preview.findings = findings.pop().unwrap_or_default(),
            Err(e) => {
                preview.error = Some(if ctx.technical() { e.to_string() } else { ctx.t("home.check_failed") })
            }
        }
        let extra = Extra {
            preview: Some(preview),
            preview_team: team.name,
            trial_choice: chosen.clone(),
            ..blank()
        };
        admin_page(&state, &ctx, extra).await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

async fn upload(State(state): State<AppState>, Signed(ctx): Signed, mut multipart: Multipart) -> Response {
    let done: WebResult = async {
        let mut csrf = String::new();
        let mut bytes = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| Error::BadRequest(e.body_text()))? {
            match field.name() {
                Some("csrf") => csrf = field.text().await.map_err(|e| Error::BadRequest(e.body_text()))?,
                Some("component") => {
                    bytes = field.bytes().await.map_err(|e| Error::BadRequest(e.body_text()))?.to_vec()
                }
                _ => {}
            }
        }
        check_csrf(&ctx, &csrf)?;
        let principal = ctx.principal();
        let mut conn = state.db.pool.acquire().await?;
        if principal.roots(&mut conn, Action::PluginsInstall, None).await?.is_empty() {
            return Err(WebError::App(Error::Forbidden("installing plugins".into())));
        }
        drop(conn);
        let inspected = match registry::inspect_upload(&state.plugins, bytes.clone()).await {
            Ok(i) => i,
            Err(e) => {
                let mut errors = FormErrors::new(ctx.t("plugins.not_installed_upload"));
                errors.field("component", &ctx.t("plugins.file"), e.to_string());
                return admin_page(&state, &ctx, Extra { errors, ..blank() }).await;
            }
        };
        let mut tx = state.db.begin_write().await?;
        registry::store(&mut tx, &principal.actor(), &inspected, &bytes).await?;
        tx.commit().await?;
        Ok(see_other("/plugins", "plugins.uploaded"))
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_name_the_kind_and_the_version() {
        let c = parse_choice("composition:binh-dinh-ke-hoach-77@1.0.0").unwrap();
        assert_eq!(
            (c.kind, c.plugin_id.as_deref(), c.version.as_deref()),
            (Kind::Composition, Some("binh-dinh-ke-hoach-77"), Some("1.0.0"))
        );
        let off = parse_choice("commendation:off").unwrap();
        assert_eq!((off.kind, off.plugin_id, off.version), (Kind::Commendation, None, None));
        let template_off = parse_choice("report:bao-cao-thang-xa:off").unwrap();
        assert_eq!(
            (template_off.plugin_id.as_deref(), template_off.version),
            (Some("bao-cao-thang-xa"), None)
        );
        for bad in ["", "composition", "nothing:x@1", "composition:x", "report:off"] {
            assert!(
                parse_choice(bad).is_none()
                    || bad == "report:off" && parse_choice(bad).unwrap().version.is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn parameters_read_by_their_declared_type() {
        let specs = vec![
            ParamSpec {
                name: "toi_thieu".into(),
                description: "Số thành viên tối thiểu".into(),
                kind: "integer".into(),
                default: 5.into(),
            },
            ParamSpec {
                name: "ty_le".into(),
                description: "Tỷ lệ".into(),
                kind: "number".into(),
                default: 0.5.into(),
            },
            ParamSpec {
                name: "bat_buoc".into(),
                description: "Bắt buộc".into(),
                kind: "flag".into(),
                default: false.into(),
            },
        ];
        let ctx = Ctx { lang: super::super::Lang::Vi, path: "/".into(), ..Default::default() };
        let form = BindForm {
            params: vec![
                ("toi_thieu".into(), "7".into()),
                ("ty_le".into(), "0,5".into()),
                ("bat_buoc".into(), "true".into()),
            ],
            ..Default::default()
        };
        let mut errors = FormErrors::default();
        let p = read_params(&ctx, &specs, &form, &mut errors);
        assert!(errors.problems.is_empty());
        assert_eq!(p["toi_thieu"], 7);
        assert!(!p.contains_key("ty_le"), "the default is not stored as a choice");
        assert_eq!(p["bat_buoc"], true);
        let form = BindForm { params: vec![("toi_thieu".into(), "bảy".into())], ..Default::default() };
        read_params(&ctx, &specs, &form, &mut errors);
        assert!(errors.fields["param.toi_thieu"].contains("bảy"));
    }
}
