//! Team pages: members (former ones on request), the findings of the composition rule that
//! applies (named by its title and the unit that set it; plugin ids only on the technical line
//! for administrators), and the member forms: add, correct every field, and record leaving the
//! team with a date and a reason. A change that would break the rule is refused with the
//! plugin's findings and can be saved anyway with a reason (audited), as in the API. Refusals
//! come back filled in (see [`super::forms`]); successes redirect with a message naming the
//! person.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::forms::FormErrors;
use super::{Ctx, Signed, WebResult, check_csrf, page, see_other};
use crate::api::AppState;
use crate::auth::{Action, Target};
use crate::error::Error;
use crate::teams::access;
use crate::teams::{Member, MemberChange, NewMember, composition};
use crate::vocab::{Affiliation, Gender, Position, Vocab};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams", get(team_list))
        .route("/teams/{id}", get(team))
        .route("/teams/{id}/members", post(add_member))
        .route("/members/{id}/edit", get(edit_member))
        .route("/members/{id}", post(save_member))
        .route("/members/{id}/leave", get(leave_form).post(leave))
}

/// Teams per page of the team list.
const LIST_PAGE: i64 = 50;

/// One line of a team list (the team list, a unit's page), with its check.
#[derive(Serialize)]
pub(super) struct TeamLine {
    id: i64,
    name: String,
    unit_name: String,
    members: i64,
    status: &'static str,
    /// passes, fails, no_rule, dissolved or unknown (the rule could not run).
    check: &'static str,
    errors: usize,
}

/// The teams in the user's scope (or under `?unit=`), searchable by name, 50 a page, each with
/// its composition check: a commune officer's "my commune's teams".
async fn team_list(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let mut conn = state.db.pool.acquire().await?;
        let (roots, unit) = match ctx.query("unit").filter(|c| !c.is_empty()) {
            Some(code) => {
                let id = principal.authorize_unit(&mut conn, Action::TeamsRead, &code).await?;
                let unit = crate::units::get(&mut conn, &code, &today).await?.unit;
                (vec![id], Some(minijinja::context! { code => unit.code, name => unit.name }))
            }
            None => (principal.roots(&mut conn, Action::TeamsRead, None).await?, None),
        };
        let q = ctx.query("q").map(|q| q.trim().to_string()).unwrap_or_default();
        let failing = ctx.query("failing").is_some_and(|f| f == "1");
        // The home page's count of teams in scope is of active teams: its card links here so.
        let active_only = ctx.query("status").is_some_and(|s| s == "active");
        // Any number typed into the address is clamped: no page before the first, none past
        // the last (counted below), and no arithmetic overflow on the way.
        let asked: i64 = ctx.query("page").and_then(|p| p.parse().ok()).unwrap_or(1).clamp(1, 1_000_000);
        // The failing list is the stored findings of the whole scope: bring a few stale ones up
        // to date first, as the home page does, and say so when many are still being refreshed.
        let mut refreshing = 0;
        if failing {
            let subtree = crate::units::Subtree::read(&mut conn, &roots, &today).await?;
            drop(conn);
            refreshing = crate::teams::findings::overview(&state.db, &state.plugins, &subtree)
                .await?
                .summary
                .refreshing;
            conn = state.db.pool.acquire().await?;
        }
        let filter = crate::teams::TeamFilter {
            roots: Some(roots),
            as_of: today.clone(),
            status: active_only.then_some(crate::vocab::TeamStatus::Active),
            q: Some(q.clone()).filter(|q| !q.is_empty()),
            sort: Default::default(),
            failing,
        };
        let (_, total) = crate::teams::list(&mut conn, &filter, 0, 0).await?;
        let pages = ((total + LIST_PAGE - 1) / LIST_PAGE).max(1);
        let page_no = asked.min(pages);
        let (teams, _) = crate::teams::list(&mut conn, &filter, LIST_PAGE, (page_no - 1) * LIST_PAGE).await?;
        drop(conn);
        let lines = team_lines(&state, &teams, &today).await;
        Ok(page(
            &ctx,
            "teams.html",
            "teams",
            minijinja::context! { lines, total, q, failing, active_only, refreshing, unit, page_no, pages },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

/// The lines of a team list (a page of it), each with its stored findings; stale ones are
/// computed first ([`crate::teams::findings::current`]); call it holding no connection. A
/// rule that cannot run marks its teams `unknown` rather than failing the page.
pub(super) async fn team_lines(state: &AppState, teams: &[crate::teams::Team], today: &str) -> Vec<TeamLine> {
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let checks = match crate::teams::findings::current(&state.db, &state.plugins, &ids, today).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "stored findings could not be read for a team list");
            Default::default()
        }
    };
    teams
        .iter()
        .map(|t| {
            let check = checks.get(&t.id);
            let errors = check.map_or(0, |c| c.errors as usize);
            TeamLine {
                id: t.id,
                name: t.name.clone(),
                unit_name: t.unit_name.clone(),
                members: t.member_count,
                status: t.status.as_str(),
                // A dissolved team keeps no composition (the rule is not asked when it is
                // dissolved, nor counted among the failing).
                check: match check {
                    _ if t.status == crate::vocab::TeamStatus::Dissolved => "dissolved",
                    None => "unknown",
                    Some(c) if c.failure.is_some() || c.is_stale() => "unknown",
                    Some(c) if c.plugin.is_none() => "no_rule",
                    Some(_) if errors > 0 => "fails",
                    Some(_) => "passes",
                },
                errors,
            }
        })
        .collect()
}

/// What the member forms send (and show again when refused). Every field is text, so that
/// whatever was typed comes back as it was typed.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    birth_year: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    joined_on: String,
    /// Skills, separated by semicolons ("Thương mại điện tử; VNeID").
    #[serde(default)]
    skills: String,
    #[serde(default)]
    left_on: String,
    #[serde(default)]
    left_reason: String,
    #[serde(default)]
    override_reason: String,
}

impl MemberForm {
    /// The form filled with a member's current details, dates as people write them.
    fn of(m: &Member) -> MemberForm {
        MemberForm {
            full_name: m.full_name.clone(),
            gender: m.gender.as_str().into(),
            birth_year: m.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            phone: m.phone.clone().unwrap_or_default(),
            email: m.email.clone().unwrap_or_default(),
            position: m.position.as_str().into(),
            affiliation: m.affiliation.as_str().into(),
            joined_on: vn_date(&m.joined_on),
            skills: m.skills.join("; "),
            left_on: m.left_on.as_deref().map(vn_date).unwrap_or_default(),
            left_reason: m.left_reason.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    /// The year of birth, or the refusal naming what was typed.
    fn birth_year(&self, ctx: &Ctx) -> Result<Option<i64>, FormErrors> {
        match self.birth_year.trim() {
            "" => Ok(None),
            y => y.parse::<i64>().map(Some).map_err(|_| {
                let mut errors = FormErrors::new(ctx.t("form.invalid"));
                let message = super::i18n::problem(ctx.lang, &format!("'{y}' is not a year"));
                errors.field("birth_year", &label(ctx, "birth_year"), message);
                errors
            }),
        }
    }
}

/// The skills typed in one field, split on semicolons (commas may be part of a skill:
/// "Thương mại điện tử (Postmart, Voso)").
fn skills(typed: &str) -> Vec<String> {
    crate::teams::members::split_skills(typed)
}

/// A form field's name for people: `member.<field>` in the dictionary.
fn label(ctx: &Ctx, field: &str) -> String {
    let key = format!("member.{field}");
    if super::i18n::known(&key) { ctx.t(&key) } else { field.to_string() }
}

fn refused(ctx: &Ctx, e: Error) -> WebResult<FormErrors> {
    FormErrors::from_error(ctx, e, |f| label(ctx, f))
}

#[derive(Serialize)]
struct MemberView {
    id: i64,
    full_name: String,
    position: &'static str,
    affiliation: &'static str,
    birth_year: Option<i64>,
    joined_vn: String,
    left_vn: String,
    left_reason: Option<String>,
}

impl From<&Member> for MemberView {
    fn from(m: &Member) -> Self {
        MemberView {
            id: m.id,
            full_name: m.full_name.clone(),
            position: m.position.as_str(),
            affiliation: m.affiliation.as_str(),
            birth_year: m.birth_year,
            joined_vn: vn_date(&m.joined_on),
            left_vn: m.left_on.as_deref().map(vn_date).unwrap_or_default(),
            left_reason: m.left_reason.clone(),
        }
    }
}

fn vn_date(iso: &str) -> String {
    crate::dates::parse(iso).map(crate::dates::display).unwrap_or_else(|| iso.to_string())
}

/// The message after a member form succeeded, naming the person (`?ok=member.added&who=<id>`).
fn notice(ctx: &Ctx, members: &[Member]) -> Option<String> {
    let ok = ctx.query("ok")?;
    let who: i64 = ctx.query("who")?.parse().ok()?;
    let m = members.iter().find(|m| m.id == who)?;
    let key = match ok.as_str() {
        "member.added" => "member.added_named",
        "member.saved" => "member.saved_named",
        "member.left" => "member.left_named",
        _ => return None,
    };
    let date = m.left_on.as_deref().map(vn_date).unwrap_or_default();
    Some(ctx.t(key).replace("{name}", &m.full_name).replace("{date}", &date))
}

async fn team_page(state: &AppState, ctx: &Ctx, id: i64, form: MemberForm, errors: FormErrors) -> WebResult {
    let principal = ctx.principal();
    let today = crate::dates::today_iso();
    let mut conn = state.db.pool.acquire().await?;
    let team = access::authorize_team(&mut conn, principal, Action::TeamsRead, id).await?;
    let mut detail = crate::teams::get(&mut conn, id, true).await?;
    access::redact(&mut conn, principal, &mut detail.members).await?;
    let path = crate::units::get(&mut conn, &team.unit_code, &today).await?.path;
    let trail = super::crumbs(&mut conn, ctx, &path).await?;
    let can_edit = principal
        .can(&mut conn, Action::MembersWrite, Target { unit_id: team.unit_id, team_id: Some(id) })
        .await?;
    let gathered = composition::gather(&mut conn, &state.plugins, &[id], &today).await;
    // The connection goes back to the pool before the plugin runs.
    drop(conn);
    let (check, check_error) = match composition::judge_gathered(gathered, &state.plugins).await {
        Ok(mut c) => (c.pop(), None),
        Err(e) => (None, Some(e.to_string())),
    };
    // The rule in officials' words: its title, and the unit that set it (the team's own unit or
    // one above it, all on the breadcrumb path).
    let rule = check.as_ref().and_then(|c| c.plugin.as_ref()).map(|p| {
        let unit = path
            .iter()
            .map(|u| (u.code.as_str(), u.name.as_str()))
            .chain([(team.unit_code.as_str(), team.unit_name.as_str())])
            .find(|(code, _)| *code == p.bound_at)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| p.bound_at.clone());
        let set_by =
            ctx.t("team.rule_from").replace("{unit}", &unit).replace("{date}", &vn_date(&p.effective_from));
        minijinja::context! {
            name => p.name, set_by,
            technical => format!("{} {} · {} {}", p.plugin_id, p.version, ctx.t("team.bound_at"), p.bound_at),
        }
    });
    let serving = |m: &&Member| m.left_on.as_deref().is_none_or(|d| d > today.as_str());
    let members: Vec<MemberView> = detail.members.iter().filter(serving).map(MemberView::from).collect();
    let former: Vec<MemberView> =
        detail.members.iter().filter(|m| !serving(m)).map(MemberView::from).collect();
    let mut ctx = ctx.clone();
    ctx.notice = notice(&ctx, &detail.members);
    let show_former = ctx.query("former").is_some();
    let team_view = minijinja::context! {
        id => team.id, name => team.name, unit_code => team.unit_code, unit_name => team.unit_name,
        decision_number => team.decision_number, decision_date_vn => vn_date(&team.decision_date),
        decision_signer => team.decision_signer, status => team.status.as_str(),
        status_date_vn => team.status_date.as_deref().map(vn_date), status_reason => team.status_reason,
        // Nobody joins or leaves a dissolved team: its roster is closed history.
        open => team.status != crate::vocab::TeamStatus::Dissolved,
    };
    let status = errors.status();
    let mut response = page(
        &ctx,
        "team.html",
        "units",
        minijinja::context! {
            team => team_view, path => trail, members, former, show_former, can_edit, rule,
            awards => detail.commendations.iter().map(|c| minijinja::context! {
                recipient => c.recipient, award => c.award, decision => c.decision_number,
                date => vn_date(&c.decision_date), campaign => c.campaign_name, campaign_id => c.campaign_id,
                kind => c.kind,
            }).collect::<Vec<_>>(),
            findings => check.map(|c| c.findings).unwrap_or_default(), check_error, form, errors,
            positions => Position::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            affiliations => Affiliation::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            genders => Gender::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn team(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    // Nothing preselected where a wrong default is likely (gender, affiliation); "member" is
    // what nearly everyone added is.
    let form = MemberForm {
        position: "member".into(),
        joined_on: crate::dates::display(crate::dates::today()),
        ..Default::default()
    };
    team_page(&state, &ctx, id, form, FormErrors::default()).await.unwrap_or_else(|e| e.page(&ctx))
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn add_member(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let birth_year = match form.birth_year(&ctx) {
            Ok(y) => y,
            Err(errors) => return team_page(&state, &ctx, id, form.clone(), errors).await,
        };
        let input = NewMember {
            team_id: Some(id),
            full_name: non_empty(&form.full_name),
            gender: non_empty(&form.gender),
            birth_year,
            phone: non_empty(&form.phone),
            email: non_empty(&form.email),
            position: non_empty(&form.position),
            affiliation: non_empty(&form.affiliation),
            joined_on: non_empty(&form.joined_on),
            skills: skills(&form.skills),
            ..Default::default()
        };
        let reason = non_empty(&form.override_reason);
        match access::add_member(&state.db, &state.plugins, ctx.principal(), input, reason.as_deref()).await {
            Ok((m, _)) => Ok(see_other(&format!("/teams/{id}?who={}", m.id), "member.added")),
            Err(e) => {
                let errors = refused(&ctx, e)?;
                team_page(&state, &ctx, id, form.clone(), errors).await
            }
        }
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// The edit page (`template` member_edit.html) or the leave page (member_leave.html).
async fn member_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    template: &str,
    form: Option<MemberForm>,
    errors: FormErrors,
) -> WebResult {
    let principal = ctx.principal();
    let mut conn = state.db.pool.acquire().await?;
    let member = access::visible_member(&mut conn, principal, Action::MembersWrite, id).await?;
    let team = crate::teams::find(&mut conn, member.team_id).await?;
    let form = form.unwrap_or_else(|| MemberForm::of(&member));
    let status = errors.status();
    let mut response = page(
        ctx,
        template,
        "units",
        minijinja::context! {
            member => minijinja::context! {
                id => member.id, full_name => member.full_name, team_id => team.id, team_name => team.name,
                has_left => member.left_on.is_some(), personal_data_hidden => member.personal_data_hidden,
                left_vn => member.left_on.as_deref().map(vn_date).unwrap_or_default(),
            },
            form, errors,
            positions => Position::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            affiliations => Affiliation::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            genders => Gender::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

async fn edit_member(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    member_page(&state, &ctx, id, "member_edit.html", None, FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

async fn save_member(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let birth_year = match form.birth_year(&ctx) {
            Ok(y) => y,
            Err(errors) => {
                return member_page(&state, &ctx, id, "member_edit.html", Some(form.clone()), errors).await;
            }
        };
        let mut conn = state.db.pool.acquire().await?;
        let current = access::visible_member(&mut conn, ctx.principal(), Action::MembersWrite, id).await?;
        drop(conn);
        // An emptied required field is a mistake to point at, not "leave it as it was".
        let mut errors = FormErrors::new(ctx.t("form.invalid"));
        let mut required = vec![
            ("full_name", &form.full_name),
            ("gender", &form.gender),
            ("position", &form.position),
            ("affiliation", &form.affiliation),
            ("joined_on", &form.joined_on),
        ];
        if !current.personal_data_hidden {
            required.insert(2, ("birth_year", &form.birth_year));
        }
        if current.left_on.is_some() && !form.left_on.trim().is_empty() {
            required.push(("left_reason", &form.left_reason));
        }
        for (field, value) in required {
            require(&ctx, &mut errors, field, &label(&ctx, field), value);
        }
        if !errors.problems.is_empty() {
            return member_page(&state, &ctx, id, "member_edit.html", Some(form.clone()), errors).await;
        }
        // Hidden personal data comes back empty: leave it as it is rather than clear it.
        let personal = |typed: &str| (!current.personal_data_hidden).then(|| typed.trim().to_string());
        let change = MemberChange {
            full_name: non_empty(&form.full_name),
            gender: non_empty(&form.gender),
            birth_year: if current.personal_data_hidden { None } else { birth_year },
            // An emptied phone or email field clears it.
            phone: personal(&form.phone),
            email: personal(&form.email),
            position: non_empty(&form.position),
            affiliation: non_empty(&form.affiliation),
            joined_on: non_empty(&form.joined_on),
            skills: Some(skills(&form.skills)),
            // Leaving is its own action; here only a recorded departure can be corrected.
            left_on: current.left_on.is_some().then(|| form.left_on.trim().to_string()),
            left_reason: current.left_on.is_some().then(|| form.left_reason.trim().to_string()),
        };
        apply_change(&state, &ctx, id, "member_edit.html", &form, change, "member.saved").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}

/// "Chưa nhập" beside `field` when nothing was typed in it.
fn require(ctx: &Ctx, errors: &mut FormErrors, field: &str, label: &str, typed: &str) {
    if typed.trim().is_empty() {
        errors.field(field, label, super::i18n::problem(ctx.lang, "is required"));
    }
}

/// Saves a change to a member through the service (the composition rule judges it, an
/// override reason lets a refused change through, audited), then goes back to the team page
/// with `ok_key`'s message naming the member; a refusal shows `template` again, filled in.
async fn apply_change(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    template: &str,
    form: &MemberForm,
    change: MemberChange,
    ok_key: &str,
) -> WebResult {
    let reason = non_empty(&form.override_reason);
    match access::change_member(&state.db, &state.plugins, ctx.principal(), id, change, reason.as_deref())
        .await
    {
        Ok((member, _)) => Ok(see_other(&format!("/teams/{}?who={}", member.team_id, member.id), ok_key)),
        Err(e) => {
            let errors = refused(ctx, e)?;
            member_page(state, ctx, id, template, Some(form.clone()), errors).await
        }
    }
}

async fn leave_form(State(state): State<AppState>, Signed(ctx): Signed, Path(id): Path<i64>) -> Response {
    let form = MemberForm { left_on: crate::dates::display(crate::dates::today()), ..Default::default() };
    member_page(&state, &ctx, id, "member_leave.html", Some(form), FormErrors::default())
        .await
        .unwrap_or_else(|e| e.page(&ctx))
}

/// Records that a member leaves the team on a date, for a reason; they move to the team's
/// former members. The composition rule judges the team without them, as for any change.
async fn leave(
    State(state): State<AppState>,
    Signed(ctx): Signed,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let done: WebResult = async {
        check_csrf(&ctx, &form.csrf)?;
        let mut conn = state.db.pool.acquire().await?;
        let current = access::visible_member(&mut conn, ctx.principal(), Action::MembersWrite, id).await?;
        drop(conn);
        let mut errors = FormErrors::new(ctx.t("form.invalid"));
        if current.left_on.is_some() {
            // Recorded already: a correction is made on the edit page, knowingly.
            let mut errors = FormErrors::new(ctx.t("form.not_saved"));
            errors.note(ctx.t("member.already_left"));
            return member_page(&state, &ctx, id, "member_leave.html", Some(form.clone()), errors).await;
        }
        require(&ctx, &mut errors, "left_on", &ctx.t("member.leave_on"), &form.left_on);
        require(&ctx, &mut errors, "left_reason", &ctx.t("member.left_reason"), &form.left_reason);
        if !errors.problems.is_empty() {
            return member_page(&state, &ctx, id, "member_leave.html", Some(form.clone()), errors).await;
        }
        let change = MemberChange {
            left_on: Some(form.left_on.trim().to_string()),
            left_reason: Some(form.left_reason.trim().to_string()),
            ..Default::default()
        };
        apply_change(&state, &ctx, id, "member_leave.html", &form, change, "member.left").await
    }
    .await;
    done.unwrap_or_else(|e| e.page(&ctx))
}
