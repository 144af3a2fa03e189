//! Plugin administration: installed versions, bindings per unit, binding a version to a unit,
//! uploading a component, and trying a version on a team before binding it.

use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::{Ctx, Signed, WebError, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::plugins::bindings::{self, NewBinding};
use crate::plugins::{Kind, registry};
use crate::teams::composition;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plugins", get(admin))
        .route("/plugins/bind", post(bind))
        .route("/plugins/preview", post(preview))
        .route("/plugins/upload", post(upload))
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct BindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    kind: String,
    /// `id@version`, or `off`.
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    params: String,
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
}

#[derive(Serialize)]
struct BindingView {
    unit_code: String,
    unit_name: String,
    kind: &'static str,
    plugin_id: Option<String>,
    version: Option<String>,
    from_vn: String,
    params: String,
}

#[derive(Serialize, Default)]
struct Preview {
    team_name: String,
    plugin: String,
    error: Option<String>,
    findings: Vec<composition::Finding>,
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
    error: Option<String>,
    problems: Vec<String>,
    preview: Option<Preview>,
    preview_team: Option<i64>,
}

async fn admin_page(state: &AppState, ctx: &Ctx, extra: Extra) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    enabler(&mut conn, ctx).await?;
    let installed = registry::list(&mut conn).await?;
    let mut form = extra.form;
    if form.plugin.is_empty() {
        // Preselect a release, never a pre-release; with none, nothing is preselected.
        form.plugin = registry::default_choice(&installed)
            .map(|p| format!("{}@{}", p.plugin_id, p.version))
            .unwrap_or_default();
    }
    let plugins: Vec<PluginView> = installed
        .into_iter()
        .map(|p| PluginView {
            pre_release: registry::is_pre_release(&p.version),
            plugin_id: p.plugin_id,
            version: p.version,
            name: p.name,
            kinds: p.kinds.iter().map(|k| k.as_str()).collect(),
            installed_vn: p
                .installed_at
                .get(..10)
                .and_then(crate::dates::parse)
                .map(crate::dates::display)
                .unwrap_or_default(),
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
        let visible = above.contains(&unit_id)
            || principal.can(&mut conn, Action::TeamsRead, Target { unit_id, team_id: None }).await?;
        if !visible {
            continue;
        }
        // One light query for the name; the full detail only for a unit closed since.
        let unit_name = match crate::units::version_on(&mut conn, unit_id, &today).await? {
            Some(v) => v.name,
            None => crate::units::get(&mut conn, &b.unit_code, &today).await?.unit.name,
        };
        views.push(BindingView {
            unit_code: b.unit_code,
            unit_name,
            kind: b.kind.as_str(),
            plugin_id: b.plugin_id,
            version: b.version,
            from_vn: crate::dates::parse(&b.effective_from)
                .map(crate::dates::display)
                .unwrap_or(b.effective_from),
            params: serde_json::Value::Object(b.params).to_string(),
        });
    }
    let can_install = !principal.roots(&mut conn, Action::PluginsInstall, None).await?.is_empty();
    let status = if extra.error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(
        ctx,
        "plugins.html",
        "plugins",
        minijinja::context! {
            plugins, bindings => views, can_install, form,
            form_error => extra.error, form_problems => extra.problems,
            preview => extra.preview, preview_team => extra.preview_team,
            kinds => ["composition", "report", "commendation"],
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

fn blank() -> Extra {
    Extra { form: BindForm::default(), error: None, problems: vec![], preview: None, preview_team: None }
}

async fn admin(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    admin_page(&state, &ctx, blank()).await.unwrap_or_else(|e| e.page(&ctx))
}

/// `name = value` lines as JSON values: whole numbers, decimals, true/false, else text.
fn parse_params(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut out = serde_json::Map::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once('=').ok_or_else(|| format!("'{line}': name = value"))?;
        let value = value.trim();
        let json = if let Ok(i) = value.parse::<i64>() {
            serde_json::Value::from(i)
        } else if let Ok(f) = value.parse::<f64>() {
            serde_json::Value::from(f)
        } else {
            match value {
                "true" | "đúng" | "có" => serde_json::Value::Bool(true),
                "false" | "sai" | "không" => serde_json::Value::Bool(false),
                text => serde_json::Value::from(text.trim_matches('"')),
            }
        };
        out.insert(name.trim().to_string(), json);
    }
    Ok(out)
}

async fn bind(State(state): State<AppState>, Signed(ctx): Signed, Form(form): Form<BindForm>) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let refuse = |error: String, problems: Vec<String>| Extra {
            form: form.clone(),
            error: Some(error),
            problems,
            preview: None,
            preview_team: None,
        };
        let Some(kind) = Kind::parse(&form.kind) else {
            return admin_page(
                &state,
                &ctx,
                refuse(ctx.t("form.invalid"), vec![format!("kind: '{}'", form.kind)]),
            )
            .await;
        };
        let params = match parse_params(&form.params) {
            Ok(p) => p,
            Err(e) => return admin_page(&state, &ctx, refuse(ctx.t("form.invalid"), vec![e])).await,
        };
        let (plugin_id, version) = match form.plugin.split_once('@') {
            Some((id, v)) => (Some(id.to_string()), Some(v.to_string())),
            None if form.plugin == "off" => (None, None),
            // Nothing chosen is not "switch off": that needs the explicit choice.
            None => {
                let problem = format!("{}: {}", ctx.t("plugins.plugin"), ctx.t("plugins.choose_version"));
                return admin_page(&state, &ctx, refuse(ctx.t("form.invalid"), vec![problem])).await;
            }
        };
        let code = form.unit_code.trim().to_string();
        let mut tx = state.db.begin_write().await?;
        let unit_id = match crate::units::id_of(&mut tx, &code).await {
            Ok(id) => id,
            Err(_) => {
                drop(tx);
                let problem = format!("{}: '{code}'", ctx.t("plugins.unit_code"));
                return admin_page(&state, &ctx, refuse(ctx.t("form.invalid"), vec![problem])).await;
            }
        };
        if !ctx.principal().can(&mut tx, Action::PluginsEnable, Target { unit_id, team_id: None }).await? {
            return Err(WebError::App(Error::Forbidden(format!("choosing plugins for unit '{code}'"))));
        }
        let input = NewBinding {
            kind,
            plugin_id,
            version,
            effective_from: Some(form.effective_from.trim().to_string()).filter(|d| !d.is_empty()),
            params,
        };
        match bindings::bind(&mut tx, &ctx.principal().actor(), &code, input).await {
            Ok(_) => {
                tx.commit().await?;
                Ok(see_other("/plugins", "plugins.bound"))
            }
            Err(Error::Validation(fields)) => {
                drop(tx);
                let problems = fields.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                admin_page(&state, &ctx, refuse(ctx.t("form.invalid"), problems)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

#[derive(Deserialize)]
struct PreviewForm {
    csrf: String,
    team_id: String,
    plugin: String,
}

async fn preview(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Form(form): Form<PreviewForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        enabler(&mut conn, &ctx).await?;
        let team_id: i64 =
            form.team_id.trim().parse().map_err(|_| Error::field("team_id", "a team id is a number"))?;
        let team =
            crate::teams::access::authorize_team(&mut conn, ctx.principal(), Action::TeamsRead, team_id)
                .await?;
        let (id, version) =
            form.plugin.split_once('@').ok_or_else(|| Error::field("plugin", "choose a plugin version"))?;
        let info = registry::find(&mut conn, id, version)
            .await?
            .ok_or_else(|| Error::NotFound(format!("plugin {id}@{version}")))?;
        let mut preview = Preview {
            team_name: team.name,
            plugin: format!("{} {}", info.plugin_id, info.version),
            ..Default::default()
        };
        drop(conn);
        match composition::preview(&state.db, &state.plugins, team_id, &info, &today).await {
            Ok(findings) => preview.findings = findings,
            Err(e) => preview.error = Some(e.to_string()),
        }
        admin_page(&state, &ctx, Extra { preview: Some(preview), preview_team: Some(team_id), ..blank() })
            .await
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
                let extra = Extra { error: Some(e.to_string()), ..blank() };
                return admin_page(&state, &ctx, extra).await;
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
    #[test]
    fn parameter_lines() {
        let p = super::parse_params("min_members = 7\nratio = 0.5\nstrict = đúng\nnote = \"Tây Sơn\"\n\n")
            .unwrap();
        assert_eq!(p["min_members"], 7);
        assert_eq!(p["ratio"], 0.5);
        assert_eq!(p["strict"], true);
        assert_eq!(p["note"], "Tây Sơn");
        assert!(super::parse_params("no equals sign").is_err());
    }
}
