//! The home page: each office's first actions (Home Affairs' emulation campaign first for
//! Home Affairs, reports for Culture and Information, the commune's teams for a commune), then
//! what needs attention in the user's scope, each count a link to its list. Counts come from
//! indexed queries and stored findings ([`crate::teams::findings`]); lists show the first few.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Signed, WebResult, page};
use crate::api::AppState;
use crate::auth::{Action, Role, Target};
use crate::teams::{findings, stats};

pub fn routes() -> Router<AppState> {
    Router::new().route("/home", get(home))
}

/// A first action on the home page: where it goes and its words.
#[derive(Serialize)]
struct First {
    href: String,
    label: String,
}

/// An emulation campaign the user scores: the unit, and the criteria in force there.
#[derive(Serialize)]
struct Campaign {
    unit_code: String,
    unit_name: String,
    criteria: String,
}

/// How many failing and leaderless teams to list; the counts say how many there are, and
/// link to the whole lists. No page grows with the scope (a province has thousands of teams).
const SHOWN: i64 = 20;
/// How many uncovered units to list; the count says how many there are.
const UNCOVERED_SHOWN: i64 = 20;

/// What the home page shows of a scope, the same for everyone who has it: kept between
/// requests until the data under it changes ([`crate::teams::scope_cache`]; the country's
/// takes 400-500 ms to compute, docs/BENCHMARKS.md).
pub(crate) struct Scope {
    pub(crate) summary: findings::Summary,
    /// What went wrong checking the scope's teams, if anything did.
    check_error: Option<String>,
    failing: Vec<findings::FailingTeam>,
    leaderless: Vec<stats::TeamRef>,
    uncovered: Vec<stats::Uncovered>,
    uncovered_total: i64,
}

impl Scope {
    /// The scope of the `roots` subtrees on `today` (ISO); owned arguments, as the cache may
    /// compute it in a task of its own. Errors: the database's.
    async fn compute(state: AppState, roots: Vec<i64>, today: String) -> crate::error::Result<Scope> {
        let (state, roots, today) = (&state, &roots[..], &today[..]);
        // Stored findings: a few stale teams are checked now, many are left to the background
        // and the page says so; a busy or broken plugin shows its error, not an error page.
        // (Kept with the error until the data changes: the refresher's results change it.)
        let subtree = {
            let mut conn = state.db.pool.acquire().await?;
            crate::units::Subtree::read(&mut conn, roots, today).await?
        };
        // The counts, the short lists and the communes without a team are read at once, each
        // on a connection of its own: the page waits for the slowest, not for their sum
        // (Hà Nội's on PostgreSQL: 23, 14 and 7 ms, docs/BENCHMARKS.md).
        let lists = || async {
            let mut conn = state.db.pool.acquire().await?;
            let failing = findings::failing(&mut conn, &subtree, SHOWN).await?;
            let leaderless = findings::leaderless(&mut conn, &subtree, SHOWN).await?;
            Ok::<_, crate::error::Error>((failing, leaderless))
        };
        let uncovered = async {
            let mut conn = state.db.pool.acquire().await?;
            stats::without_team(&mut conn, &subtree, UNCOVERED_SHOWN).await
        };
        let (found, (mut failing, mut leaderless), (uncovered, uncovered_total)) =
            tokio::try_join!(findings::overview(&state.db, &state.plugins, &subtree), lists(), uncovered)?;
        if found.lists_changed {
            // Teams the overview computed may have been listed as they were before.
            (failing, leaderless) = lists().await?;
        }
        Ok(Scope {
            summary: found.summary,
            check_error: found.error,
            failing,
            leaderless,
            uncovered,
            uncovered_total,
        })
    }
}

async fn home(State(state): State<AppState>, Signed(ctx): Signed) -> Response {
    let built: WebResult = async {
        let principal = ctx.principal();
        let today = crate::dates::today_iso();
        let roots = {
            let mut conn = state.db.pool.acquire().await?;
            principal.roots(&mut conn, Action::TeamsRead, None).await?
        };
        let scope = state
            .scopes
            .home
            .get(&state.db, &roots, &today, {
                let (state, roots, today) = (state.clone(), roots.clone(), today.clone());
                move || Scope::compute(state, roots, today)
            })
            .await?;
        let mut conn = state.db.pool.acquire().await?;
        // Campaigns: the units where this user scores teams and criteria are in force.
        let mut campaigns = Vec::new();
        for a in &principal.assignments {
            let target = Target { unit_id: a.unit_id, team_id: None };
            if !principal.can(&mut conn, Action::CommendationsAssess, target).await? {
                continue;
            }
            let rule = crate::plugins::bindings::resolve(
                &mut conn,
                a.unit_id,
                crate::plugins::Kind::Commendation,
                &today,
            )
            .await?;
            if let Some(rule) = rule
                && !campaigns.iter().any(|c: &Campaign| c.unit_code == a.unit_code)
            {
                campaigns.push(Campaign {
                    unit_code: a.unit_code.clone(),
                    unit_name: a.unit_name.clone(),
                    criteria: rule.plugin.name,
                });
            }
        }
        let firsts = first_actions(&ctx, principal);
        let guidance: Vec<_> = crate::guidance::for_principal(&mut conn, principal)
            .await?
            .iter()
            .filter(|g| g.in_effect)
            .map(|g| super::guidance::shown(&ctx, g))
            .collect();
        drop(conn);
        Ok(page(
            &ctx,
            "home.html",
            "home",
            minijinja::context! {
                failing => &scope.failing, failing_total => scope.summary.failing,
                refreshing => scope.summary.refreshing, leaderless => &scope.leaderless,
                leaderless_total => scope.summary.leaderless, uncovered => &scope.uncovered,
                uncovered_total => scope.uncovered_total, team_total => scope.summary.teams,
                check_error => &scope.check_error, campaigns, firsts, guidance,
                figures_refreshing => scope.refreshing,
            },
        ))
    }
    .await;
    built.unwrap_or_else(|e| e.page(&ctx))
}

/// Each office's first actions, by its roles (a user with several gets each once).
fn first_actions(ctx: &super::Ctx, principal: &crate::auth::Principal) -> Vec<First> {
    let mut out: Vec<First> = Vec::new();
    let mut add = |href: String, key: &str| {
        if !out.iter().any(|f| f.href == href) {
            out.push(First { href, label: ctx.t(key) });
        }
    };
    for a in &principal.assignments {
        match a.role {
            Role::CommuneOfficer => {
                add(format!("/teams?unit={}", a.unit_code), "home.first.commune_teams");
                add(format!("/units/{}/nominations", a.unit_code), "home.first.nominations");
                add(format!("/units/{}", a.unit_code), "home.first.commune_page");
            }
            Role::TeamLeader => {
                if let Some(team) = a.team_id {
                    add(format!("/teams/{team}"), "home.first.my_team");
                }
            }
            Role::DistrictCulture => {
                add("/reports".into(), "home.first.reports");
                add("#failing".into(), "home.first.fix_teams");
                add(format!("/units/{}/guidance", a.unit_code), "home.first.guidance");
                add(format!("/units/{}/management-group", a.unit_code), "home.first.group");
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
            }
            Role::DistrictHomeAffairs => {
                add(format!("/units/{}/campaigns", a.unit_code), "home.first.campaigns");
                add(format!("/units/{}/commendations", a.unit_code), "home.first.campaign");
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
            }
            Role::DistrictLeader => {
                add("/reports".into(), "home.first.reports");
                add(format!("/units/{}/campaigns", a.unit_code), "home.first.campaigns");
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
            }
            Role::DistrictYouthUnion => {
                add(format!("/units/{}/nominations", a.unit_code), "home.first.nominations");
                add(format!("/public/{}", a.unit_code), "home.first.public");
                add(format!("/teams?unit={}", a.unit_code), "home.first.teams");
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
            }
            Role::ProvinceAdmin => {
                add("/plugins".into(), "home.first.rules");
                add("/reports".into(), "home.first.reports");
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
            }
            Role::Viewer => {
                add(format!("/dashboard?unit={}", a.unit_code), "home.first.dashboard");
                add(format!("/teams?unit={}", a.unit_code), "home.first.teams");
            }
        }
    }
    out
}
