//! Youth Union nominations: the district Youth Union (Huyện đoàn) proposes a young person with
//! skills to a commune, or to one of its teams; the commune accepts (the person joins the
//! chosen team as an ordinary member affiliated with the Youth Union, through the same guarded
//! write and composition rule as any new member: see [`crate::teams::guarded`]) or declines
//! with a reason. The list per unit shows the outcome and how many days the answer took.
//! Nominations go to communes only: they establish the teams. The district's Culture and
//! Information office, which guides the teams, may answer for a commune as well
//! ([`Action::NominationsAnswer`]), e.g. for one whose officer has no account yet; the audit
//! trail names who answered.
//!
//! A nominee is 16 to 30 years old in the year of the nomination: the age of youth in the Law
//! on Youth 57/2020/QH14, Article 1. Their contacts are personal data: shown to those who may
//! read members' personal data at the commune, and to the Youth Union that nominated them.

mod routes;

use std::sync::Arc;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

pub use routes::routes;

use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal, Target};
use crate::db::{Db, now};
use crate::error::{Error, Problems, Result};
use crate::plugins::Runtime;
use crate::reports::submissions::{allow, reason};
use crate::teams::guarded::{self, Written};
use crate::teams::members::NewMember;
use crate::vocab::Vocab;

/// The youngest and oldest age of youth (Law on Youth 2020, Article 1).
pub const YOUTH_AGES: std::ops::RangeInclusive<i32> = 16..=30;
const MAX_SKILLS: usize = 20;
const MAX_TEXT: usize = 500;

/// A young person to nominate to a unit (the path's commune).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNomination {
    pub full_name: String,
    /// male, female or other (also "Nam", "Nữ").
    pub gender: String,
    pub birth_year: i64,
    /// Vietnamese number: 0xxxxxxxxx or +84xxxxxxxxx.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// E.g. "VNeID", "Dịch vụ công trực tuyến", "Thanh toán số" (at most 20).
    #[serde(default)]
    pub skills: Vec<String>,
    /// A team of the commune (or of its villages) to join; none: the commune chooses.
    pub team_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// The commune's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub accept: bool,
    /// The team the person joins (default: the one nominated for). Accepting only.
    pub team_id: Option<i64>,
    /// Day the person joins (default today). Accepting only.
    pub joined_on: Option<String>,
    /// Why not. Declining only (required then).
    pub reason: Option<String>,
}

/// A nomination as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Nomination {
    pub id: i64,
    /// The Youth Union's unit.
    pub nominating_code: String,
    pub unit_code: String,
    pub unit_name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub full_name: String,
    pub gender: String,
    /// Personal data: null when hidden from the caller.
    pub birth_year: Option<i64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[sqlx(skip)]
    pub skills: Vec<String>,
    #[serde(skip)]
    pub skills_json: String,
    pub note: String,
    /// pending, accepted or declined.
    pub status: String,
    pub decline_reason: Option<String>,
    /// The membership made by accepting.
    pub membership_id: Option<i64>,
    pub nominated_at: String,
    pub nominated_by: String,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
    /// Whole days from the nomination to the answer; none while pending.
    #[sqlx(skip)]
    pub days_to_answer: Option<i64>,
    /// True when the caller may not see the contacts and year of birth.
    #[sqlx(skip)]
    pub personal_data_hidden: bool,
}

const SELECT: &str = "SELECT n.id, nu.code AS nominating_code, u.code AS unit_code, \
     (SELECT v.name FROM unit_versions v WHERE v.unit_id = n.unit_id ORDER BY v.valid_to IS NULL DESC, v.valid_to DESC LIMIT 1) AS unit_name, \
     n.team_id, t.name AS team_name, n.full_name, n.gender, n.birth_year, n.phone, n.email, n.skills AS skills_json, n.note, \
     n.status, n.decline_reason, n.membership_id, n.nominated_at, n.nominated_by, n.answered_at, n.answered_by \
     FROM nominations n JOIN units u ON u.id = n.unit_id JOIN units nu ON nu.id = n.nominating_id \
     LEFT JOIN teams t ON t.id = n.team_id";

/// Calendar days between two stored instants, counted in Viet Nam's days.
fn days_between(from: &str, to: &str) -> Option<i64> {
    let a = crate::dates::day_of_instant(from)?;
    let b = crate::dates::day_of_instant(to)?;
    Some((b - a).num_days())
}

/// Fills the derived fields and hides personal data from callers who may not see it.
async fn finish(
    conn: &mut AnyConnection,
    scope: Option<&Principal>,
    mut n: Nomination,
) -> Result<Nomination> {
    n.skills = serde_json::from_str(&n.skills_json).unwrap_or_default();
    n.days_to_answer = n.answered_at.as_deref().and_then(|a| days_between(&n.nominated_at, a));
    if let Some(principal) = scope {
        let unit_id = crate::units::id_of(conn, &n.unit_code).await?;
        let nominating = crate::units::id_of(conn, &n.nominating_code).await?;
        let target = Target { unit_id, team_id: None };
        let sees = principal.can(conn, Action::PersonalRead, target).await?
            || principal
                .can(conn, Action::NominationsMake, Target { unit_id: nominating, team_id: None })
                .await?;
        if !sees {
            n.birth_year = None;
            n.phone = None;
            n.email = None;
            n.personal_data_hidden = true;
        }
    }
    Ok(n)
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Nomination> {
    sqlx::query_as::<_, Nomination>(&format!("{SELECT} WHERE n.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("nomination {id}")))
}

/// The nominations to unit `code` and to the units below it, and those made by it (a
/// district's Youth Union), newest first.
pub async fn list(
    conn: &mut AnyConnection,
    scope: Option<&Principal>,
    code: &str,
) -> Result<Vec<Nomination>> {
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let rows = sqlx::query_as::<_, Nomination>(&format!("{SELECT} ORDER BY n.nominated_at DESC, n.id DESC"))
        .fetch_all(&mut *conn)
        .await?;
    let today = crate::dates::today_iso();
    let mut out = Vec::new();
    for row in rows {
        let target = crate::units::id_of(conn, &row.unit_code).await?;
        let by = crate::units::id_of(conn, &row.nominating_code).await?;
        let inside =
            crate::units::ancestors_or_self(conn, target, &today).await?.contains(&unit_id) || by == unit_id;
        if inside {
            out.push(finish(conn, scope, row).await?);
        }
    }
    Ok(out)
}

/// The team `team_id` if it serves `unit_id` or a unit below it and is not dissolved (nobody
/// joins a dissolved team, so a nomination to one could never be taken up); a 422 on `field`
/// otherwise.
async fn team_under(conn: &mut AnyConnection, team_id: i64, unit_id: i64, field: &str) -> Result<String> {
    let team = crate::teams::find(conn, team_id)
        .await
        .map_err(|_| Error::field(field, format!("team {team_id} does not exist")))?;
    let today = crate::dates::today_iso();
    if !crate::units::ancestors_or_self(conn, team.unit_id, &today).await?.contains(&unit_id) {
        return Err(Error::field(field, format!("team {team_id} does not serve this commune")));
    }
    if team.status == crate::vocab::TeamStatus::Dissolved {
        let day = team.status_date.as_deref().unwrap_or("an unrecorded day");
        return Err(Error::field(field, format!("the team was dissolved on {day}")));
    }
    Ok(team.name)
}

/// Nominates a young person to unit `code` (see the module docs). The nominating unit is the
/// one where the caller's Youth Union role is held. Errors: 404/403 for the unit; 422 for
/// the person's details (as for a member), an age outside 16-30, a team not of the unit,
/// too many or too long skills.
pub async fn nominate(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    input: NewNomination,
) -> Result<Nomination> {
    let mut tx = db.begin_write().await?;
    let unit_id = crate::units::id_of(&mut tx, code).await?;
    allow(&mut tx, scope, Action::NominationsMake, unit_id, &format!("unit '{code}'")).await?;
    let today = crate::dates::today_iso();
    let chain = crate::units::ancestors_or_self(&mut tx, unit_id, &today).await?;
    // The Youth Union whose role reaches here; from the command line, the unit's district.
    let nominating = match scope {
        Some(principal) => principal
            .assignments
            .iter()
            .filter(|a| crate::auth::grant(a.role, Action::NominationsMake) != crate::auth::Reach::No)
            .map(|a| a.unit_id)
            .find(|u| chain.contains(u))
            .unwrap_or(unit_id),
        None => chain.get(1).copied().unwrap_or(unit_id),
    };
    let mut p = Problems::default();
    // Communes establish the teams and answer nominations; a district, province or village
    // has no one to answer (the QA found nominations to a district left pending for good).
    let level = crate::units::level_of(&mut tx, unit_id).await?;
    if level != crate::units::Level::Commune {
        return Err(Error::field(
            "unit",
            format!("nominations go to a commune, which answers them; '{code}' is a {}", level.as_str()),
        ));
    }
    let person = crate::teams::members::person_fields(
        &mut p,
        Some(&input.full_name),
        Some(&input.gender),
        Some(Ok(input.birth_year)),
        input.phone.as_deref(),
        input.email.as_deref(),
    );
    let age = crate::dates::today().year() - input.birth_year as i32;
    if !YOUTH_AGES.contains(&age) {
        p.add(
            "birth_year",
            format!(
                "a nominee is {} to {} years old (Law on Youth 2020); born {} is {age}",
                YOUTH_AGES.start(),
                YOUTH_AGES.end(),
                input.birth_year
            ),
        );
    }
    let skills: Vec<String> =
        input.skills.iter().map(|s| crate::text::clean(s)).filter(|s| !s.is_empty()).collect();
    if skills.len() > MAX_SKILLS || skills.iter().any(|s| s.chars().count() > 100) {
        p.add("skills", format!("at most {MAX_SKILLS} skills of at most 100 characters"));
    }
    let note = crate::text::clean(&input.note);
    if note.chars().count() > MAX_TEXT {
        p.add("note", format!("at most {MAX_TEXT} characters"));
    }
    if let Some(team_id) = input.team_id
        && let Err(Error::Validation(errors)) = team_under(&mut tx, team_id, unit_id, "team_id").await
    {
        p.0.extend(errors);
    }
    p.into_result()?;
    let stamp = now();
    let skills_json = serde_json::to_string(&skills).map_err(|e| Error::Internal(e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO nominations (nominating_id, unit_id, team_id, full_name, gender, birth_year, phone, email, \
         skills, note, status, nominated_at, nominated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12) RETURNING id",
    )
    .bind(nominating)
    .bind(unit_id)
    .bind(input.team_id)
    .bind(&person.full_name)
    .bind(person.gender.as_str())
    .bind(person.birth_year)
    .bind(&person.phone)
    .bind(&person.email)
    .bind(&skills_json)
    .bind(&note)
    .bind(&stamp)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    // The audit trail keeps who was nominated, not their contacts.
    let after = serde_json::json!({"full_name": person.full_name, "unit": code, "team_id": input.team_id, "skills": skills});
    audit::record(&mut tx, actor, Change::new("nominate", "nomination", id, Some(unit_id)).after(&after))
        .await?;
    let row = load(&mut tx, id).await?;
    tx.commit().await?;
    let mut conn = db.pool.acquire().await?;
    finish(&mut conn, scope, row).await
}

/// Accepts or declines nomination `id` for its commune (see the module docs). Accepting adds
/// the person to the team as a member (position member, affiliation Youth Union) through the
/// team's composition rule: a refusal by the rule answers as adding a member would (422
/// `composition_failed`, 502 `plugin_failed`) and nothing is written. Errors: 404/403 for
/// the nomination's unit; 409 when it was answered already; 422 for a team not of the unit,
/// no team at all, a bad joining day, a decline without a reason.
pub async fn answer(
    db: &Db,
    runtime: &Arc<Runtime>,
    scope: Option<&Principal>,
    actor: &Actor,
    id: i64,
    input: Answer,
) -> Result<Nomination> {
    let mut conn = db.pool.acquire().await?;
    let found = load(&mut conn, id).await?;
    let unit_id = crate::units::id_of(&mut conn, &found.unit_code).await?;
    allow(&mut conn, scope, Action::NominationsAnswer, unit_id, &format!("nomination {id}")).await?;
    drop(conn);
    if !input.accept {
        let why = reason(input.reason.as_deref().unwrap_or(""), "reason", "the nomination is declined")?;
        let mut tx = db.begin_write().await?;
        let row = load(&mut tx, id).await?;
        pending(&row)?;
        sqlx::query(
            "UPDATE nominations SET status = 'declined', decline_reason = $1, answered_at = $2, answered_by = $3 \
             WHERE id = $4",
        )
        .bind(&why)
        .bind(now())
        .bind(&actor.name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut change = Change::new("decline", "nomination", id, Some(unit_id))
            .after(&serde_json::json!({"status": "declined"}));
        change.reason = Some(why);
        audit::record(&mut tx, actor, change).await?;
        let row = load(&mut tx, id).await?;
        tx.commit().await?;
        let mut conn = db.pool.acquire().await?;
        return finish(&mut conn, scope, row).await;
    }
    let team_id = input.team_id.or(found.team_id).ok_or_else(|| {
        Error::field("team_id", "name the team the person joins (the nomination names none)")
    })?;
    // The person joins once nominated, not before: a joining day earlier than the nomination
    // would put them on the roster of a period they were not in.
    let joined_on = match input.joined_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(given) => {
            let day = crate::dates::parse(given)
                .map(crate::dates::iso)
                .ok_or_else(|| Error::field("joined_on", format!("{given} is not a date")))?;
            // The nomination's day in Viet Nam, not the UTC date of its instant.
            let nominated = crate::dates::day_of_instant(&found.nominated_at);
            if let Some(nominated) = nominated.filter(|n| day < crate::dates::iso(*n)) {
                return Err(Error::field(
                    "joined_on",
                    format!("is before the nomination ({})", crate::dates::display(nominated)),
                ));
            }
            Some(day)
        }
    };
    let who = actor.clone();
    let answerer = scope.cloned();
    let judged = guarded::write(db, runtime, actor, None, move |conn| {
        let (actor, joined_on, answerer) = (who.clone(), joined_on.clone(), answerer.clone());
        Box::pin(async move {
            let row = load(conn, id).await?;
            pending(&row)?;
            team_under(conn, team_id, unit_id, "team_id").await?;
            let member = crate::teams::members::create(
                conn,
                &actor,
                NewMember {
                    team_id: Some(team_id),
                    full_name: Some(row.full_name.clone()),
                    gender: Some(row.gender.clone()),
                    birth_year: row.birth_year,
                    phone: row.phone.clone(),
                    email: row.email.clone(),
                    position: Some("member".into()),
                    affiliation: Some("youth_union".into()),
                    skills: serde_json::from_str(&row.skills_json).unwrap_or_default(),
                    joined_on: Some(joined_on.unwrap_or_else(crate::dates::today_iso)),
                    ..Default::default()
                },
                // The commune takes up the nominee: a person matched on another commune's
                // team keeps their record as it is (POST /members holds the same).
                match &answerer {
                    Some(p) => crate::teams::members::Amend::Within(p),
                    None => crate::teams::members::Amend::Anyone,
                },
            )
            .await?;
            sqlx::query(
                "UPDATE nominations SET status = 'accepted', team_id = $1, membership_id = $2, answered_at = $3, \
                 answered_by = $4 WHERE id = $5",
            )
            .bind(team_id)
            .bind(member.id)
            .bind(now())
            .bind(&actor.name)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            let after = serde_json::json!({"status": "accepted", "team_id": team_id, "membership_id": member.id});
            audit::record(conn, &actor, Change::new("accept", "nomination", id, Some(unit_id)).after(&after)).await?;
            Ok(Written::team(member.id, team_id))
        })
    })
    .await?;
    judged.into_result()?;
    let mut conn = db.pool.acquire().await?;
    let row = load(&mut conn, id).await?;
    finish(&mut conn, scope, row).await
}

fn pending(row: &Nomination) -> Result<()> {
    if row.status != "pending" {
        return Err(Error::Conflict(format!(
            "the nomination of {} was {} already",
            row.full_name, row.status
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_to_answer_count_calendar_days() {
        assert_eq!(super::days_between("2022-10-03T08:00:00Z", "2022-10-10T09:00:00Z"), Some(7));
        assert_eq!(super::days_between("2022-10-03", "x"), None);
        // 20:00 UTC on the 3rd is the 4th in Viet Nam: answered on the 4th there, the same day.
        assert_eq!(super::days_between("2022-10-03T20:00:00Z", "2022-10-04T02:00:00Z"), Some(0));
    }
}
