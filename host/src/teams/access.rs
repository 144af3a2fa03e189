//! Who may see and change which teams and members, applied: the checks every handler (API and
//! web pages) runs before reading or writing, and member writes guarded by the composition rule.

use std::sync::Arc;

use sqlx::AnyConnection;

use super::guarded::{self, Verdict, Written};
use super::{Member, MemberChange, NewMember, Person};
use crate::auth::{Action, Principal, Target};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::plugins::Runtime;

/// Hides personal data the caller may not see, deciding once per team.
pub(crate) async fn redact(
    conn: &mut AnyConnection,
    principal: &Principal,
    members: &mut [Member],
) -> Result<()> {
    let mut allowed: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
    for m in members.iter_mut() {
        let may = match allowed.get(&m.team_id) {
            Some(may) => *may,
            None => {
                let target = Target { unit_id: m.unit_id, team_id: Some(m.team_id) };
                let may = principal.can(conn, Action::PersonalRead, target).await?;
                allowed.insert(m.team_id, may);
                may
            }
        };
        if !may {
            m.hide_personal_data();
        }
    }
    Ok(())
}

/// 404 unless the caller can read the team, 403 unless they may also do `action` on it.
pub(crate) async fn authorize_team(
    conn: &mut AnyConnection,
    principal: &Principal,
    action: Action,
    team_id: i64,
) -> Result<super::Team> {
    let hidden = || Error::NotFound(format!("team {team_id}"));
    let team = super::find(conn, team_id).await.map_err(|_| hidden())?;
    let target = Target { unit_id: team.unit_id, team_id: Some(team.id) };
    principal.authorize(conn, action, target, &format!("team {team_id}")).await?;
    Ok(team)
}

/// 404 unless the caller can read the member's team, 403 unless they may also do `action`.
pub(crate) async fn visible_member(
    conn: &mut AnyConnection,
    principal: &Principal,
    action: Action,
    id: i64,
) -> Result<Member> {
    let member = super::members::get(conn, id).await?;
    let target = Target { unit_id: member.unit_id, team_id: Some(member.team_id) };
    principal.authorize(conn, action, target, &format!("member {id}")).await?;
    Ok(member)
}

/// A person the caller can see: one who serves or served on a team the caller can read.
pub(crate) async fn visible_person(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: i64,
) -> Result<Person> {
    let mut person = super::members::person(conn, id).await?;
    let mut visible = Vec::new();
    for m in std::mem::take(&mut person.memberships) {
        let target = Target { unit_id: m.unit_id, team_id: Some(m.team_id) };
        if principal.can(conn, Action::TeamsRead, target).await? {
            visible.push(m);
        }
    }
    if visible.is_empty() {
        return Err(Error::NotFound(format!("person {id}")));
    }
    redact(conn, principal, &mut visible).await?;
    if visible.iter().all(|m| m.personal_data_hidden) {
        person.hide_personal_data();
    }
    person.memberships = visible;
    Ok(person)
}

/// Whether `principal` may change members of every team person `id` has a stint on (and so
/// amend the person's record). Errors: the database's.
pub(crate) async fn may_change_person(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: i64,
) -> Result<bool> {
    let person = super::members::person(conn, id).await?;
    for m in &person.memberships {
        let target = Target { unit_id: m.unit_id, team_id: Some(m.team_id) };
        if !principal.can(conn, Action::MembersWrite, target).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Adds a member, refusing (422 `composition_failed`) a change that breaks the team's
/// composition rule, and (502 `plugin_failed`) one the rule cannot judge, unless
/// `override_reason` is given; see [`guarded`]. Returns the member and the verdicts let
/// through by the override.
pub(crate) async fn add_member(
    db: &Db,
    runtime: &Arc<Runtime>,
    principal: &Principal,
    input: NewMember,
    override_reason: Option<&str>,
) -> Result<(Member, Vec<Verdict>)> {
    let actor = principal.actor();
    let (who, input) = (principal.clone(), input);
    let judged = guarded::write(db, runtime, &actor, override_reason, move |conn| {
        let (principal, input) = (who.clone(), input.clone());
        Box::pin(async move {
            // A team that does not exist is a validation error; one the caller cannot see is
            // hidden.
            let mut teams = Vec::new();
            if let Some(team_id) = input.team_id
                && super::find(conn, team_id).await.is_ok()
            {
                authorize_team(conn, &principal, Action::MembersWrite, team_id).await?;
                teams.push(team_id);
            }
            if let Some(person_id) = input.person_id
                && visible_person(conn, &principal, person_id).await.is_err()
            {
                return Err(Error::field("person_id", format!("person {person_id} does not exist")));
            }
            let amend = super::members::Amend::Within(&principal);
            let member = super::members::create(conn, &principal.actor(), input, amend).await?;
            Ok(Written { value: member, teams, keep: true })
        })
    })
    .await?;
    judged.into_result()
}

/// Changes a membership and the person's details, guarded like [`add_member`].
pub(crate) async fn change_member(
    db: &Db,
    runtime: &Arc<Runtime>,
    principal: &Principal,
    id: i64,
    input: MemberChange,
    override_reason: Option<&str>,
) -> Result<(Member, Vec<Verdict>)> {
    let actor = principal.actor();
    let (who, input) = (principal.clone(), input);
    let judged = guarded::write(db, runtime, &actor, override_reason, move |conn| {
        let (principal, input) = (who.clone(), input.clone());
        Box::pin(async move {
            let current = visible_member(conn, &principal, Action::MembersWrite, id).await?;
            let amend = super::members::Amend::Within(&principal);
            let member = super::members::update(conn, &principal.actor(), id, input, amend).await?;
            Ok(Written::team(member, current.team_id))
        })
    })
    .await?;
    judged.into_result()
}
