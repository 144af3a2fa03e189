//! HTTP handlers for teams, members, people and roster imports.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::guarded::{self, Written};
use super::{
    ImportOutcome, Member, MemberChange, MemberFilter, NewMember, NewTeam, Person, RosterFormat, Team,
    TeamChange, TeamDetail, TeamFilter, TeamSort,
};
use crate::api::{
    ApiBytes, ApiJson, ApiPath, ApiQuery, AppState, AsOfParams, Binary, Page, PageRequest, as_of,
};
use crate::auth::{Action, Principal, Target};
use crate::error::{Error, ErrorBody, Result};
use crate::vocab::{Affiliation, Position, TeamStatus, Vocab};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team))
        .routes(routes!(import_teams))
        .routes(routes!(export_teams))
        .routes(routes!(check_team))
        .routes(routes!(list_members, create_member))
        .routes(routes!(get_member, update_member))
        .routes(routes!(get_person))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverrideParams {
    /// Proceed although the change breaks the team's composition rule; the reason is audited.
    override_reason: Option<String>,
}

/// Runs the composition rule that applies to the team (its unit's binding, or the nearest
/// ancestor's) and returns the findings, with the plugin name and version.
#[utoipa::path(post, path = "/teams/{id}/check", tag = "teams", params(("id" = i64, Path), AsOfParams),
    responses((status = 200, body = super::composition::CheckResult), (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn check_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AsOfParams>,
) -> Result<ApiJson<super::composition::CheckResult>> {
    let date = as_of(q.as_of.as_deref())?;
    let gathered = {
        let mut conn = state.db.pool.acquire().await?;
        super::access::authorize_team(&mut conn, &principal, Action::TeamsRead, id).await?;
        super::composition::gather(&mut conn, &state.plugins, &[id], &date).await?
    };
    // The connection is back in the pool while the plugin runs.
    let mut results = gathered.judge(&state.plugins).await?;
    Ok(ApiJson(results.pop().ok_or_else(|| Error::Internal("a check gave no result".into()))?))
}

fn vocab<V: Vocab>(field: &str, value: Option<&str>) -> Result<Option<V>> {
    match value {
        None | Some("") => Ok(None),
        Some(v) => V::parse(v)
            .map(Some)
            .ok_or_else(|| Error::BadRequest(format!("{field}: '{v}' is not one of {}", V::expected()))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamListParams {
    /// Teams of this unit and every unit below it (on `as_of`).
    unit: Option<String>,
    /// Date the unit tree is taken on (default: today).
    as_of: Option<String>,
    /// active, suspended or dissolved.
    status: Option<String>,
    /// Name search, ignoring diacritics and case.
    q: Option<String>,
    /// "id" (default), "name" or "unit".
    sort: Option<TeamSort>,
    /// true: only active teams whose composition check, as last computed for today, has an
    /// error finding (what the home page counts); false or absent: no such filter.
    failing: Option<bool>,
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page (default `api.default_page_size`, at most `api.max_page_size`).
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// Lists teams, e.g. `?unit=547` for every team in Tây Sơn district.
#[utoipa::path(get, path = "/teams", tag = "teams", params(TeamListParams),
    responses((status = 200, body = Page<Team>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_teams(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TeamListParams>,
) -> Result<ApiJson<Page<Team>>> {
    let page = PageRequest::new(q.page, q.per_page, &state.settings)?;
    let mut conn = state.db.pool.acquire().await?;
    let filter = TeamFilter {
        roots: Some(principal.roots(&mut conn, Action::TeamsRead, q.unit.as_deref()).await?),
        as_of: as_of(q.as_of.as_deref())?,
        status: vocab::<TeamStatus>("status", q.status.as_deref())?,
        q: q.q,
        sort: q.sort.unwrap_or_default(),
        failing: q.failing.unwrap_or(false),
    };
    let (items, total) = super::list(&mut conn, &filter, page.limit(), page.offset()).await?;
    Ok(ApiJson(page.wrap(items, total)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamGetParams {
    /// Also list members who have left.
    include_left: Option<bool>,
}

/// One team with its members.
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", params(("id" = i64, Path), TeamGetParams),
    responses((status = 200, body = TeamDetail), (status = 404, body = ErrorBody)))]
async fn get_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TeamGetParams>,
) -> Result<ApiJson<TeamDetail>> {
    let mut conn = state.db.pool.acquire().await?;
    super::access::authorize_team(&mut conn, &principal, Action::TeamsRead, id).await?;
    let mut detail = super::get(&mut conn, id, q.include_left.unwrap_or(false)).await?;
    super::access::redact(&mut conn, &principal, &mut detail.members).await?;
    Ok(ApiJson(detail))
}

/// Records a team established by a decision of the commune.
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewTeam>,
) -> Result<(StatusCode, ApiJson<Team>)> {
    let mut tx = state.db.begin_write().await?;
    // An unknown unit is left to the validation, which reports it with the other fields.
    let code = input.unit_code.as_deref().map(str::trim).unwrap_or_default();
    if let Ok(unit_id) = crate::units::id_of(&mut tx, code).await
        && !principal.can(&mut tx, Action::TeamsWrite, Target { unit_id, team_id: None }).await?
    {
        return Err(Error::Forbidden(format!("your roles do not allow setting up teams in unit '{code}'")));
    }
    let team = super::create(&mut tx, &principal.actor(), input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

/// Changes a team's name, decision or status (suspend, reactivate a suspended team, dissolve for good).
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", params(("id" = i64, Path)), request_body = TeamChange,
    responses((status = 200, body = Team), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The team's composition rule (a plugin) failed")))]
async fn update_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(o): ApiQuery<OverrideParams>,
    ApiJson(input): ApiJson<TeamChange>,
) -> Result<(HeaderMap, ApiJson<Team>)> {
    let actor = principal.actor();
    let who = principal.clone();
    let judged =
        guarded::write(&state.db, &state.plugins, &actor, o.override_reason.as_deref(), move |conn| {
            let (principal, input) = (who.clone(), input.clone());
            Box::pin(async move {
                super::access::authorize_team(conn, &principal, Action::TeamsWrite, id).await?;
                // A team left dissolved is not judged (`Written::without_dissolved`).
                let team = super::update(conn, &principal.actor(), id, input).await?;
                Ok(Written::team(team, id))
            })
        })
        .await?;
    let (team, overridden) = judged.into_result()?;
    Ok((warning(&overridden), ApiJson(team)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Write the valid rows and report the others, instead of writing nothing.
    skip_invalid: Option<bool>,
    /// Check and report exactly what the import would do, without writing.
    dry_run: Option<bool>,
    /// Accept teams the import leaves breaking their composition rule; audited per team.
    override_reason: Option<String>,
}

/// Imports a roster (one row per member) sent as the request body: CSV (`text/csv`; UTF-8 or
/// UTF-16 with BOM, separated by `,`, `;` or tab) or Excel
/// (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`). Every bad row is
/// reported with its number; nothing is written unless all rows are valid or `skip_invalid`.
/// Each team the import touches is judged by its composition rule like any other write: a
/// team left with new error findings is listed in `composition`, and nothing is written
/// (422) unless `override_reason` is given. A file without member rows is a 422.
#[utoipa::path(post, path = "/teams/import", tag = "teams", params(ImportParams),
    request_body(content((inline(Binary) = "text/csv"), (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = ImportOutcome), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn import_teams(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ImportParams>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, ApiJson<ImportOutcome>)> {
    let content_type = crate::api::content_type(&headers);
    let format = RosterFormat::from_content_type(&content_type).ok_or_else(|| {
        Error::UnsupportedMediaType(format!(
            "send the roster as text/csv or {} (got '{content_type}')",
            RosterFormat::XLSX_MIME
        ))
    })?;
    let mut conn = state.db.pool.acquire().await?;
    if principal.roots(&mut conn, Action::TeamsWrite, None).await?.is_empty() {
        return Err(Error::Forbidden("your roles do not include managing teams".into()));
    }
    drop(conn);
    let options = super::import::Options {
        skip_invalid: q.skip_invalid.unwrap_or(false),
        dry_run: q.dry_run.unwrap_or(false),
        max_rows: state.settings.import.max_rows,
        override_reason: q.override_reason,
        chunk_rows: None,
    };
    let actor = principal.actor();
    let input = super::import::Input::Bytes(std::sync::Arc::new(body.to_vec()));
    // A large roster is written in chunks, each committed: it goes on to the end whatever
    // becomes of the request, and the answer says so in time.
    let (db, plugins) = (state.db.clone(), state.plugins.clone());
    let work = async move {
        let progress = |_: super::import::Stage, _: usize, _: usize| {};
        super::import_roster(&db, &plugins, &actor, Some(&principal), &input, format, &options, &progress)
            .await
    };
    let outcome = crate::api::run_to_end(&state.settings, "roster import", work, |budget| {
        format!(
            "the roster is taking longer than {budget:.0?}: its import goes on to the end (all of it written, or \
             nothing if a row or team is refused); import the same file again with dry_run=true in a few minutes \
             to see what it did"
        )
    })
    .await?;
    let status = if outcome.refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, ApiJson(outcome)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The teams of this unit and every unit below it (on `as_of`); default: all you may read.
    unit: Option<String>,
    /// Date the unit tree is taken on (default: today).
    as_of: Option<String>,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// Headers and words in the cells: vi (default, "Họ và tên", "Nữ") or en ("full_name", "female").
    headers: Option<super::export::Language>,
}

/// Exports the rosters of a subtree as a file in the layout `POST /teams/import` reads (one row
/// per membership, those who left included), so it imports back unchanged: XLSX (codes and
/// phones as text cells) or CSV (UTF-8 with BOM). Scoped like `GET /teams`; personal data the
/// caller may not see is left blank.
#[utoipa::path(get, path = "/teams/export", tag = "teams", params(ExportParams),
    responses((status = 200, description = "the roster file", content(
                  (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  (String = "text/csv"))),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_teams(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<axum::response::Response> {
    let format = match q.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("xlsx") => RosterFormat::Xlsx,
        Some("csv") => RosterFormat::Csv,
        Some(other) => return Err(Error::BadRequest(format!("format: '{other}' is not one of xlsx, csv"))),
    };
    let language = q.headers.unwrap_or_default();
    let date = as_of(q.as_of.as_deref())?;
    let mut conn = state.db.pool.acquire().await?;
    let roots = principal.roots(&mut conn, Action::TeamsRead, q.unit.as_deref()).await?;
    let rows = super::export::rows(&mut conn, Some(&principal), Some(roots), &date, language).await?;
    super::export::file_response(&rows, format, language, q.unit.as_deref().unwrap_or("tat-ca"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// Members of teams in this unit's subtree (on `as_of`).
    unit: Option<String>,
    team: Option<i64>,
    /// Date for the unit tree and for "still serving" (default: today).
    as_of: Option<String>,
    /// Also members who had left.
    include_left: Option<bool>,
    /// leader, deputy or member.
    position: Option<String>,
    /// e.g. youth_union.
    affiliation: Option<String>,
    /// Name search, ignoring diacritics and case.
    q: Option<String>,
    /// "team" (default: team by team, leaders first) or "name" (Vietnamese order).
    sort: Option<super::members::MemberSort>,
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page (default `api.default_page_size`, at most `api.max_page_size`).
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// Lists members, e.g. every Youth Union member serving in Tây Sơn.
#[utoipa::path(get, path = "/members", tag = "members", params(MemberListParams),
    responses((status = 200, body = Page<Member>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<MemberListParams>,
) -> Result<ApiJson<Page<Member>>> {
    let page = PageRequest::new(q.page, q.per_page, &state.settings)?;
    let mut conn = state.db.pool.acquire().await?;
    let filter = MemberFilter {
        roots: Some(principal.roots(&mut conn, Action::TeamsRead, q.unit.as_deref()).await?),
        as_of: as_of(q.as_of.as_deref())?,
        team: q.team,
        person: None,
        include_left: q.include_left.unwrap_or(false),
        position: vocab::<Position>("position", q.position.as_deref())?,
        affiliation: vocab::<Affiliation>("affiliation", q.affiliation.as_deref())?,
        q: q.q,
        sort: q.sort.unwrap_or_default(),
    };
    let (mut items, total) = super::members::list(&mut conn, &filter, page.limit(), page.offset()).await?;
    super::access::redact(&mut conn, &principal, &mut items).await?;
    Ok(ApiJson(page.wrap(items, total)))
}

/// Adds a member to a team: a new person, or `person_id` of someone already recorded.
#[utoipa::path(post, path = "/members", tag = "members", request_body = NewMember,
    responses((status = 201, body = Member), (status = 404, body = ErrorBody, description = "No such team, or outside your scope"),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The team's composition rule (a plugin) failed")))]
async fn create_member(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(o): ApiQuery<OverrideParams>,
    ApiJson(input): ApiJson<NewMember>,
) -> Result<(StatusCode, HeaderMap, ApiJson<Member>)> {
    let (member, overridden) =
        super::access::add_member(&state.db, &state.plugins, &principal, input, o.override_reason.as_deref())
            .await?;
    Ok((StatusCode::CREATED, warning(&overridden), ApiJson(member)))
}

/// One membership with the person's details.
#[utoipa::path(get, path = "/members/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Member), (status = 404, body = ErrorBody)))]
async fn get_member(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Member>> {
    let mut conn = state.db.pool.acquire().await?;
    let member = super::access::visible_member(&mut conn, &principal, Action::TeamsRead, id).await?;
    let mut members = [member];
    super::access::redact(&mut conn, &principal, &mut members).await?;
    let [member] = members;
    Ok(ApiJson(member))
}

/// Changes a membership (position, dates; `left_on` records leaving) and the person's details.
#[utoipa::path(patch, path = "/members/{id}", tag = "members", params(("id" = i64, Path)), request_body = MemberChange,
    responses((status = 200, body = Member), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "The team's composition rule (a plugin) failed")))]
async fn update_member(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(o): ApiQuery<OverrideParams>,
    ApiJson(input): ApiJson<MemberChange>,
) -> Result<(HeaderMap, ApiJson<Member>)> {
    let (member, overridden) = super::access::change_member(
        &state.db,
        &state.plugins,
        &principal,
        id,
        input,
        o.override_reason.as_deref(),
    )
    .await?;
    Ok((warning(&overridden), ApiJson(member)))
}

/// A person and every team they have served on.
#[utoipa::path(get, path = "/people/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Person), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Person>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(ApiJson(super::access::visible_person(&mut conn, &principal, id).await?))
}

/// The `Warning` header of a write let through by an override although its rule could not
/// run (see [`guarded::rule_failure_warning`]); empty otherwise.
fn warning(overridden: &[guarded::Verdict]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = guarded::rule_failure_warning(overridden) {
        headers.insert(axum::http::header::WARNING, value);
    }
    headers
}
