//! A campaign's proposal (Tờ trình đề nghị khen thưởng) and the decision on it (Quyết định
//! khen thưởng), and the commendation records the decision makes.
//!
//! 1. **Propose** (Home Affairs, [`Action::CampaignsManage`]): from the evaluated results, which
//!    candidates, which form of award, and why. With no lines named, every candidate the
//!    criteria recommended is proposed with the recommended award and the criteria's reasons.
//! 2. **Co-sign** (Culture and Information, [`Action::ProposalsCosign`]): by another account
//!    than the one that proposed.
//! 3. **Decide** (the leadership, [`Action::ProposalsDecide`]): every line approved or rejected
//!    (a rejection says why), with the decision's number and date. Approved lines become
//!    commendation records on the team's and the person's record; the campaign closes. An
//!    approved line whose award a higher level gives (a provincial Bằng khen in a district's
//!    campaign, see [`given_above`]) is *forwarded*: the decision proposes it to that level,
//!    and no record is made (audit action `forward`).
//!
//! Every step is audited (entity `proposal`, and `proposal_line` per decided line).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::campaigns::{self, Campaign, CampaignStatus};
use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal};
use crate::dates;
use crate::db::{Db, now};
use crate::error::{Error, Problems, Result};
use crate::reports::submissions::{allow, reason};

/// The longest award name and decision number, in characters.
const MAX_AWARD: usize = 200;
const MAX_NUMBER: usize = 50;
/// The longest justification, in characters.
const MAX_JUSTIFICATION: usize = 4000;

/// One candidate to propose.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposedLine {
    /// team or member.
    pub kind: String,
    /// The team id or membership id, as in the evaluation's results.
    pub id: i64,
    /// The form of award, e.g. "Giấy khen của Chủ tịch UBND huyện"; default: the one the
    /// criteria recommended (required when they recommended none).
    pub award: Option<String>,
    /// Why; default: the criteria's reasons.
    pub justification: Option<String>,
}

/// A proposal to make from a campaign's results.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// The proposal's grounds, printed in the Tờ trình (at most 4,000 characters).
    pub justification: String,
    /// The candidates; none: every candidate the criteria recommended.
    #[serde(default, deserialize_with = "crate::api::records")]
    pub lines: Vec<ProposedLine>,
}

/// pending (not decided), approved or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Approved,
    Rejected,
}

/// One proposed award. (`ProposalLine` in the OpenAPI document: a compiled report has lines too.)
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[schema(as = ProposalLine)]
pub struct Line {
    pub id: i64,
    pub position: i64,
    /// team or member.
    pub kind: String,
    /// The team id or membership id.
    pub subject_id: i64,
    pub name: String,
    pub unit_name: String,
    /// The criteria's score, as text (e.g. "86.3"); none for a candidate not scored.
    pub score: Option<String>,
    pub award: String,
    pub justification: String,
    /// pending, approved or rejected.
    pub outcome: String,
    pub reject_reason: Option<String>,
    /// The award is given by a level above the campaign's unit (see [`given_above`]), e.g. a
    /// provincial Bằng khen in a district's campaign: approving the line proposes it to that
    /// level, and nothing goes on the record until that level decides.
    #[sqlx(skip)]
    pub higher_level: bool,
}

impl Line {
    /// Approved and given at the campaign's own level: on the record from the decision.
    pub fn awarded(&self) -> bool {
        self.outcome == "approved" && !self.higher_level
    }

    /// Approved as a proposal to the level that gives the award.
    pub fn forwarded(&self) -> bool {
        self.outcome == "approved" && self.higher_level
    }
}

/// Whether `award` is given by a level above a unit of `level`, judged from the words naming
/// its giver (the text before any parenthesis, cleaned and without diacritics) as the Law on
/// Emulation and Commendation 06/2022/QH15 assigns them: a Giấy khen by the chairman of a
/// district's or commune's People's Committee; a Bằng khen, a Cờ thi đua, a "cấp tỉnh" title
/// or a Giấy khen of a provincial department (Giám đốc Sở) by the province; the Prime
/// Minister's and ministers' awards, commemorative medals (Kỷ niệm chương), orders, medals and
/// honorary titles by the central level. "Đề nghị Chủ tịch UBND tỉnh tặng Bằng khen" is above
/// a district; "Giấy khen của Chủ tịch UBND huyện (thực hiện Kế hoạch … của UBND tỉnh)" is not.
pub fn given_above(award: &str, level: crate::units::Level) -> bool {
    use crate::units::Level;
    let giver = crate::text::clean(award);
    let giver = giver.split('(').next().unwrap_or("");
    // Words between single spaces, so "so" cannot match inside "chuyen doi so".
    let words: String = crate::text::fold(giver)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .fold(String::from(" "), |acc, w| acc + w + " ");
    let has = |w: &str| words.contains(&format!(" {w} "));
    const CENTRAL: [&str; 9] = [
        "thu tuong",
        "chinh phu",
        "chu tich nuoc",
        "bo truong",
        "huan chuong",
        "huy chuong",
        "ky niem chuong",
        "danh hieu vinh du",
        "toan quoc",
    ];
    const PROVINCE: [&str; 7] = [
        "bang khen",
        "co thi dua",
        "cap tinh",
        "ubnd tinh",
        "uy ban nhan dan tinh",
        "giam doc so",
        "chu tich tinh",
    ];
    // 0 the central level, 1 a province, 2 a district, 3 a commune: the lower, the higher.
    let giver = if CENTRAL.iter().any(|w| has(w)) {
        0
    } else if PROVINCE.iter().any(|w| has(w)) {
        1
    } else {
        2
    };
    let unit = match level {
        Level::Province => 1,
        Level::District => 2,
        Level::Commune | Level::Village => 3,
    };
    giver < unit
}

/// proposed (awaiting the co-signature), cosigned (awaiting the decision) or decided.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Proposal {
    pub id: i64,
    pub status: String,
    pub justification: String,
    pub proposed_at: String,
    pub proposed_by: String,
    pub cosigned_at: Option<String>,
    pub cosigned_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub decision_number: Option<String>,
    /// yyyy-mm-dd.
    pub decision_date: Option<String>,
    #[sqlx(skip)]
    pub lines: Vec<Line>,
}

/// The decision on one line.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDecision {
    pub line_id: i64,
    pub approve: bool,
    /// Required when rejecting (at most 2,000 characters).
    pub reason: Option<String>,
}

/// The leadership's decision on a co-signed proposal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    /// The decision's number and symbol, e.g. "125/QĐ-UBND".
    pub decision_number: String,
    /// dd/mm/yyyy or yyyy-mm-dd; not in the future, not before the proposal.
    pub decision_date: String,
    /// Every line of the proposal, once.
    #[serde(deserialize_with = "crate::api::records")]
    pub lines: Vec<LineDecision>,
}

/// An award on a team's or a person's record.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Commendation {
    pub id: i64,
    /// team or member.
    pub kind: String,
    pub team_id: i64,
    pub membership_id: Option<i64>,
    pub recipient: String,
    pub award: String,
    pub decision_number: String,
    /// yyyy-mm-dd.
    pub decision_date: String,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
}

const PROPOSAL_COLUMNS: &str = "id, status, justification, proposed_at, proposed_by, cosigned_at, cosigned_by, \
     decided_at, decided_by, decision_number, decision_date";
const LINE_COLUMNS: &str =
    "id, position, kind, subject_id, name, unit_name, score, award, justification, outcome, reject_reason";

/// The proposal of campaign `campaign_id`, with its lines in order; none before it is made.
pub async fn of_campaign(conn: &mut AnyConnection, campaign_id: i64) -> Result<Option<Proposal>> {
    let found = sqlx::query_as::<_, Proposal>(&format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE campaign_id = $1"
    ))
    .bind(campaign_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mut proposal) = found else { return Ok(None) };
    let unit_id: i64 = sqlx::query_scalar("SELECT unit_id FROM campaigns WHERE id = $1")
        .bind(campaign_id)
        .fetch_one(&mut *conn)
        .await?;
    let level = crate::units::level_of(conn, unit_id).await?;
    proposal.lines = sqlx::query_as::<_, Line>(&format!(
        "SELECT {LINE_COLUMNS} FROM proposal_lines WHERE proposal_id = $1 ORDER BY position"
    ))
    .bind(proposal.id)
    .fetch_all(&mut *conn)
    .await?;
    for line in &mut proposal.lines {
        line.higher_level = given_above(&line.award, level);
    }
    Ok(Some(proposal))
}

fn text(p: &mut Problems, field: &str, given: &str, max: usize, what: &str) -> String {
    let cleaned = crate::text::clean(given);
    if cleaned.is_empty() {
        p.add(field, format!("give {what}"));
    } else if cleaned.chars().count() > max {
        p.add(field, format!("at most {max} characters"));
    }
    cleaned
}

/// Makes the proposal of campaign `id` from its evaluated results (see the module docs).
/// Errors: 404/403 as for the campaign; 409 before an evaluation, or when a proposal exists;
/// 422 per line for a candidate not in the results, a repeated one, a missing award, and for a
/// missing justification.
pub async fn propose(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    id: i64,
    input: NewProposal,
) -> Result<Campaign> {
    let mut tx = db.begin_write().await?;
    let row = campaigns::load(&mut tx, id).await?;
    allow(&mut tx, scope, Action::CampaignsManage, row.unit_id, &format!("campaign {id}")).await?;
    let evaluation = row.evaluation().ok_or_else(|| {
        Error::Conflict(format!("campaign {id} has not been evaluated: evaluate it before proposing awards"))
    })?;
    if of_campaign(&mut tx, id).await?.is_some() {
        return Err(Error::Conflict(format!("campaign {id} already has a proposal")));
    }
    let mut p = Problems::default();
    let justification = text(&mut p, "justification", &input.justification, MAX_JUSTIFICATION, "the grounds");
    let wanted: Vec<ProposedLine> = if input.lines.is_empty() {
        evaluation
            .results
            .iter()
            .filter(|r| r.verdict.award.is_some())
            .map(|r| ProposedLine {
                kind: r.verdict.kind.clone(),
                id: r.verdict.id,
                award: None,
                justification: None,
            })
            .collect()
    } else {
        input.lines
    };
    if wanted.is_empty() {
        p.add("lines", "the criteria recommended nobody: name the candidates to propose");
    }
    let mut lines = Vec::new();
    for (i, line) in wanted.iter().enumerate() {
        let field = format!("lines.{i}");
        let Some(result) =
            evaluation.results.iter().find(|r| r.verdict.kind == line.kind && r.verdict.id == line.id)
        else {
            p.add(field, format!("no {} {} in the campaign's results", line.kind, line.id));
            continue;
        };
        if wanted[..i].iter().any(|o| o.kind == line.kind && o.id == line.id) {
            p.add(field, format!("{} is proposed twice", result.verdict.name));
            continue;
        }
        let award = line.award.clone().or_else(|| result.verdict.award.clone()).unwrap_or_default();
        let award = text(&mut p, &format!("{field}.award"), &award, MAX_AWARD, "the form of award");
        let why = line.justification.clone().unwrap_or_else(|| result.verdict.reasons.join(" "));
        let why = text(&mut p, &format!("{field}.justification"), &why, MAX_JUSTIFICATION, "the reasons");
        lines.push((result.clone(), award, why));
    }
    p.into_result()?;
    let stamp = now();
    let proposal_id: i64 = sqlx::query_scalar(
        "INSERT INTO proposals (campaign_id, justification, status, proposed_at, proposed_by) \
         VALUES ($1, $2, 'proposed', $3, $4) RETURNING id",
    )
    .bind(id)
    .bind(&justification)
    .bind(&stamp)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    for (position, (result, award, why)) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO proposal_lines (proposal_id, position, kind, subject_id, name, unit_name, score, award, \
             justification) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(proposal_id)
        .bind(position as i64 + 1)
        .bind(&result.verdict.kind)
        .bind(result.verdict.id)
        .bind(&result.verdict.name)
        .bind(&result.verdict.unit_name)
        .bind(result.verdict.score.to_string())
        .bind(award)
        .bind(why)
        .execute(&mut *tx)
        .await?;
    }
    let after = serde_json::json!({
        "campaign": id,
        "lines": lines.iter().map(|(r, award, _)| format!("{}: {award}", r.verdict.name)).collect::<Vec<_>>(),
    });
    audit::record(
        &mut tx,
        actor,
        Change::new("propose", "proposal", proposal_id, Some(row.unit_id)).after(&after),
    )
    .await?;
    let campaign = campaigns::get(&mut tx, None, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

async fn current(conn: &mut AnyConnection, id: i64) -> Result<(campaigns::Row, Proposal)> {
    let row = campaigns::load(conn, id).await?;
    let proposal = of_campaign(conn, id)
        .await?
        .ok_or_else(|| Error::Conflict(format!("campaign {id} has no proposal yet")))?;
    Ok((row, proposal))
}

/// Co-signs the proposal of campaign `id` for Culture and Information. Errors: 404/403 as for
/// the campaign; 409 without a proposal, or when it is not awaiting the co-signature; 403 for
/// the account that proposed it.
pub async fn cosign(db: &Db, scope: Option<&Principal>, actor: &Actor, id: i64) -> Result<Campaign> {
    let mut tx = db.begin_write().await?;
    let row = campaigns::load(&mut tx, id).await?;
    allow(&mut tx, scope, Action::ProposalsCosign, row.unit_id, &format!("campaign {id}")).await?;
    let (row, proposal) = current(&mut tx, row.id).await?;
    if proposal.status != "proposed" {
        return Err(Error::Conflict(format!(
            "the proposal of campaign {id} is {}, not awaiting a co-signature",
            proposal.status
        )));
    }
    if proposal.proposed_by == actor.name {
        return Err(Error::Forbidden(
            "you made this proposal; the Culture and Information office co-signs it".into(),
        ));
    }
    sqlx::query("UPDATE proposals SET status = 'cosigned', cosigned_at = $1, cosigned_by = $2 WHERE id = $3")
        .bind(now())
        .bind(&actor.name)
        .bind(proposal.id)
        .execute(&mut *tx)
        .await?;
    let change = Change::new("cosign", "proposal", proposal.id, Some(row.unit_id))
        .before(Some(&serde_json::json!({"status": "proposed"})))
        .after(&serde_json::json!({"status": "cosigned"}));
    audit::record(&mut tx, actor, change).await?;
    let campaign = campaigns::get(&mut tx, None, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Decides the co-signed proposal of campaign `id` (see the module docs). Errors: 404/403 as
/// for the campaign; 409 when the proposal is not co-signed; 422 for a missing or overlong
/// decision number, a date that is not a date, in the future or before the proposal, a line
/// not decided, decided twice or not of this proposal, a rejection without a reason.
pub async fn decide(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    id: i64,
    input: NewDecision,
) -> Result<Campaign> {
    let mut tx = db.begin_write().await?;
    let row = campaigns::load(&mut tx, id).await?;
    allow(&mut tx, scope, Action::ProposalsDecide, row.unit_id, &format!("campaign {id}")).await?;
    let (row, proposal) = current(&mut tx, row.id).await?;
    if proposal.status != "cosigned" {
        return Err(Error::Conflict(format!(
            "the proposal of campaign {id} is {}: it is decided once co-signed, and once only",
            proposal.status
        )));
    }
    let mut p = Problems::default();
    let number = text(&mut p, "decision_number", &input.decision_number, MAX_NUMBER, "the decision's number");
    let date = match dates::parse(input.decision_date.trim()) {
        None => {
            p.add("decision_date", "not a date (dd/mm/yyyy)");
            None
        }
        Some(d) if d > dates::today() => {
            p.add("decision_date", "is in the future");
            None
        }
        Some(d) if dates::iso(d).as_str() < &proposal.proposed_at[..10.min(proposal.proposed_at.len())] => {
            p.add("decision_date", "is before the proposal was made");
            None
        }
        Some(d) => Some(d),
    };
    let mut decided: Vec<(&Line, bool, Option<String>)> = Vec::new();
    for (i, d) in input.lines.iter().enumerate() {
        let field = format!("lines.{i}");
        let Some(line) = proposal.lines.iter().find(|l| l.id == d.line_id) else {
            p.add(field, format!("line {} is not in this proposal", d.line_id));
            continue;
        };
        if decided.iter().any(|(l, _, _)| l.id == line.id) {
            p.add(field, format!("line {} is decided twice", line.id));
            continue;
        }
        let why = if d.approve {
            None
        } else {
            match reason(
                d.reason.as_deref().unwrap_or(""),
                &format!("{field}.reason"),
                "the award is rejected",
            ) {
                Ok(r) => Some(r),
                Err(Error::Validation(errors)) => {
                    p.0.extend(errors);
                    None
                }
                Err(e) => return Err(e),
            }
        };
        decided.push((line, d.approve, why));
    }
    for line in &proposal.lines {
        if !input.lines.iter().any(|d| d.line_id == line.id) {
            p.add("lines", format!("line {} ({}) is not decided", line.id, line.name));
        }
    }
    p.into_result()?;
    let date = dates::iso(date.expect("checked above"));
    let stamp = now();
    for (line, approve, why) in &decided {
        let outcome = if *approve { "approved" } else { "rejected" };
        sqlx::query("UPDATE proposal_lines SET outcome = $1, reject_reason = $2 WHERE id = $3")
            .bind(outcome)
            .bind(why)
            .bind(line.id)
            .execute(&mut *tx)
            .await?;
        // An award a higher level gives is proposed to it, not put on the record here.
        if *approve && !line.higher_level {
            let (team_id, membership_id, person_id) = if line.kind == "team" {
                (line.subject_id, None, None)
            } else {
                let member = crate::teams::members::get(&mut tx, line.subject_id).await?;
                (member.team_id, Some(member.id), Some(member.person_id))
            };
            sqlx::query(
                "INSERT INTO commendations (kind, team_id, membership_id, person_id, recipient, award, \
                 decision_number, decision_date, campaign_id, line_id, unit_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&line.kind)
            .bind(team_id)
            .bind(membership_id)
            .bind(person_id)
            .bind(&line.name)
            .bind(&line.award)
            .bind(&number)
            .bind(&date)
            .bind(id)
            .bind(line.id)
            .bind(row.unit_id)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        }
        let mut change = Change::new(
            match (*approve, line.higher_level) {
                (true, false) => "approve",
                (true, true) => "forward",
                (false, _) => "reject",
            },
            "proposal_line",
            line.id,
            Some(row.unit_id),
        )
        .after(&serde_json::json!({"name": line.name, "award": line.award, "outcome": outcome}));
        change.reason = why.clone();
        audit::record(&mut tx, actor, change).await?;
    }
    sqlx::query(
        "UPDATE proposals SET status = 'decided', decided_at = $1, decided_by = $2, decision_number = $3, \
         decision_date = $4 WHERE id = $5",
    )
    .bind(&stamp)
    .bind(&actor.name)
    .bind(&number)
    .bind(&date)
    .bind(proposal.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(CampaignStatus::Closed.as_str())
        .bind(&stamp)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let after = serde_json::json!({
        "decision_number": number, "decision_date": date,
        "approved": decided.iter().filter(|d| d.1).count(), "rejected": decided.iter().filter(|d| !d.1).count(),
    });
    audit::record(
        &mut tx,
        actor,
        Change::new("decide", "proposal", proposal.id, Some(row.unit_id)).after(&after),
    )
    .await?;
    let campaign = campaigns::get(&mut tx, None, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

const RECORD_SELECT: &str = "SELECT c.id, c.kind, c.team_id, c.membership_id, c.recipient, c.award, c.decision_number, \
     c.decision_date, c.campaign_id, k.name AS campaign_name FROM commendations c \
     LEFT JOIN campaigns k ON k.id = c.campaign_id";

/// The awards on team `team_id`'s record: the team's own and its members', newest first.
pub async fn of_team(conn: &mut AnyConnection, team_id: i64) -> Result<Vec<Commendation>> {
    Ok(sqlx::query_as::<_, Commendation>(&format!(
        "{RECORD_SELECT} WHERE c.team_id = $1 ORDER BY c.decision_date DESC, c.id"
    ))
    .bind(team_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The awards on person `person_id`'s record, newest first.
pub async fn of_person(conn: &mut AnyConnection, person_id: i64) -> Result<Vec<Commendation>> {
    Ok(sqlx::query_as::<_, Commendation>(&format!(
        "{RECORD_SELECT} WHERE c.person_id = $1 ORDER BY c.decision_date DESC, c.id"
    ))
    .bind(person_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The awards decided for teams and members serving units under `root` (on `date`), newest
/// first: what the public results page publishes.
pub async fn under(conn: &mut AnyConnection, root: i64, date: &str) -> Result<Vec<Commendation>> {
    let mut sql = crate::db::Sql::default();
    crate::units::Subtree::read(conn, &[root], date).await?.push_cte(&mut sql);
    sql.push(&format!(
        "{RECORD_SELECT} JOIN teams t ON t.id = c.team_id WHERE t.unit_id IN (SELECT id FROM sub) \
         ORDER BY c.decision_date DESC, c.id"
    ));
    Ok(sql.query_as::<Commendation>().fetch_all(&mut *conn).await?)
}
