//! People and their memberships of teams.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::{past_date, required};
use crate::audit::{self, Actor, Change};
use crate::db::{Sql, now};
use crate::error::{Error, Problems, Result};
use crate::text;
use crate::units;
use crate::vocab::{Affiliation, Gender, Position, TeamStatus, Vocab};

/// A membership, with the person's details.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Member {
    /// The membership id (one person has one per stint on a team).
    pub id: i64,
    pub team_id: i64,
    /// The unit of the team.
    pub unit_code: String,
    #[serde(skip)]
    pub unit_id: i64,
    pub person_id: i64,
    pub full_name: String,
    pub gender: Gender,
    /// Personal data: null when hidden from the caller.
    pub birth_year: Option<i64>,
    /// Personal data: null when hidden from the caller.
    pub phone: Option<String>,
    /// Personal data: null when hidden from the caller.
    pub email: Option<String>,
    /// True when the caller's roles do not include seeing this member's personal data.
    pub personal_data_hidden: bool,
    pub position: Position,
    pub affiliation: Affiliation,
    pub skills: Vec<String>,
    pub joined_on: String,
    /// Last stint day plus one; null while serving.
    pub left_on: Option<String>,
    /// Why the member left, as recorded with `left_on`; null while serving or when not given.
    pub left_reason: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct MemberRow {
    id: i64,
    team_id: i64,
    unit_id: i64,
    unit_code: String,
    person_id: i64,
    full_name: String,
    gender: String,
    birth_year: i64,
    phone: Option<String>,
    email: Option<String>,
    position: String,
    affiliation: String,
    skills: String,
    joined_on: String,
    left_on: Option<String>,
    left_reason: Option<String>,
}

impl MemberRow {
    fn into_member(self) -> Member {
        Member {
            id: self.id,
            team_id: self.team_id,
            unit_code: self.unit_code,
            unit_id: self.unit_id,
            person_id: self.person_id,
            full_name: self.full_name,
            gender: Gender::parse(&self.gender).unwrap_or(Gender::Other),
            birth_year: Some(self.birth_year),
            phone: self.phone,
            email: self.email,
            personal_data_hidden: false,
            position: Position::parse(&self.position).unwrap_or(Position::Member),
            affiliation: Affiliation::parse(&self.affiliation).unwrap_or(Affiliation::Other),
            skills: serde_json::from_str(&self.skills).unwrap_or_default(),
            joined_on: self.joined_on,
            left_on: self.left_on,
            left_reason: self.left_reason,
        }
    }
}

/// Member columns; `unit` and `join` as for the team columns (`t.unit_id`, or the unit the
/// team served on a list's date, [`super::PLACED_UNIT`]).
fn member_select(unit: &str, join: &str) -> String {
    format!(
        "SELECT m.id, m.team_id, {unit} AS unit_id, u.code AS unit_code, m.person_id, p.full_name, \
           p.gender, p.birth_year, p.phone, p.email, m.position, m.affiliation, m.skills, m.joined_on, m.left_on, m.left_reason \
         FROM memberships m JOIN people p ON p.id = m.person_id JOIN teams t ON t.id = m.team_id {join} \
         JOIN units u ON u.id = {unit}"
    )
}

impl Member {
    /// Blanks the personal data (phone, email, year of birth).
    pub fn hide_personal_data(&mut self) {
        self.birth_year = None;
        self.phone = None;
        self.email = None;
        self.personal_data_hidden = true;
    }
}

/// The order of a member list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberSort {
    /// Team by team: leaders, deputies, members (each in Vietnamese name order), then those
    /// who left.
    #[default]
    Team,
    /// By name in Vietnamese order (a ă â b c d đ e ê …, tones after letters), across teams.
    Name,
}

#[derive(Debug, Default, Clone)]
pub struct MemberFilter {
    /// Members of teams in these units' subtrees on `as_of` (None: everywhere).
    pub roots: Option<Vec<i64>>,
    pub as_of: String,
    pub team: Option<i64>,
    pub person: Option<i64>,
    /// Also those who had left by `as_of` (or by today).
    pub include_left: bool,
    pub position: Option<Position>,
    pub affiliation: Option<Affiliation>,
    pub q: Option<String>,
    pub sort: MemberSort,
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &MemberFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Member>, i64)> {
    let date = if f.as_of.is_empty() { crate::dates::today_iso() } else { f.as_of.clone() };
    let mut sql = Sql::default();
    match &f.roots {
        Some(roots) => {
            units::Subtree::read(conn, roots, &date).await?.push_cte(&mut sql);
            sql.push(", ");
        }
        None => {
            sql.push("WITH ");
        }
    }
    super::push_placed_cte(&mut sql, &date);
    sql.push(" ");
    sql.push(&member_select(super::PLACED_UNIT, super::PLACED_JOIN)).push(" WHERE 1 = 1");
    if f.roots.is_some() {
        sql.push(&format!(" AND {}", super::PLACED_IN_SUB));
    }
    if let Some(team) = f.team {
        sql.push(" AND m.team_id = ").bind(team);
    }
    if let Some(person) = f.person {
        sql.push(" AND m.person_id = ").bind(person);
    }
    if !f.include_left {
        sql.push(" AND (m.left_on IS NULL OR m.left_on > ").bind(date.as_str()).push(")");
    }
    if let Some(position) = f.position {
        sql.push(" AND m.position = ").bind(position.as_str());
    }
    if let Some(affiliation) = f.affiliation {
        sql.push(" AND m.affiliation = ").bind(affiliation.as_str());
    }
    if let Some(q) = f.q.as_deref().map(text::fold).filter(|q| !q.is_empty()) {
        sql.push(" AND p.search_key LIKE ").bind(format!("%{}%", text::like_escape(&q))).push(" ESCAPE '\\'");
    }
    let total = sql.count().query_scalar::<i64>().fetch_one(&mut *conn).await?;
    sql.push(match f.sort {
        // Leaders first, then deputies, then members; those who left last.
        MemberSort::Team => {
            " ORDER BY m.team_id, (m.left_on IS NOT NULL), \
               CASE m.position WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, p.sort_key, m.id"
        }
        MemberSort::Name => " ORDER BY p.sort_key, m.team_id, m.id",
    });
    sql.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    let rows = sql.query_as::<MemberRow>().fetch_all(&mut *conn).await?;
    Ok((rows.into_iter().map(MemberRow::into_member).collect(), total))
}

/// Every membership, past and present, of the teams `team_ids`, team by team: one
/// query, for checks over many teams at once (keep `team_ids` to a few hundred, as for
/// [`super::find_many`]). Errors: the database's.
pub async fn of_teams(conn: &mut AnyConnection, team_ids: &[i64]) -> Result<Vec<Member>> {
    // As a team's list orders them ([`MemberSort::Team`]): a rule sees the same team either way.
    let order = "m.team_id, (m.left_on IS NOT NULL), \
                 CASE m.position WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, p.sort_key, m.id";
    select_where_in(conn, "m.team_id", team_ids, order).await
}

/// The memberships whose `column` is one of `values`, ordered by `order`: one query.
async fn select_where_in(
    conn: &mut AnyConnection,
    column: &str,
    values: &[i64],
    order: &str,
) -> Result<Vec<Member>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&member_select("t.unit_id", ""));
    sql.push(" WHERE ").push(column).push(" IN ");
    sql.push_tuples(1, values.len());
    for v in values {
        sql.arg(*v);
    }
    sql.push(" ORDER BY ").push(order);
    Ok(sql
        .query_as::<MemberRow>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(MemberRow::into_member)
        .collect())
}

/// The memberships `ids` that exist, by id: one query (keep `ids` to a few hundred).
/// Errors: the database's.
pub(crate) async fn many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Member>> {
    select_where_in(conn, "m.id", ids, "m.id").await
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Member> {
    let mut sql = Sql::new(&member_select("t.unit_id", ""));
    sql.push(" WHERE m.id = ").bind(id);
    sql.query_as::<MemberRow>()
        .fetch_optional(&mut *conn)
        .await?
        .map(MemberRow::into_member)
        .ok_or_else(|| Error::NotFound(format!("member {id}")))
}

/// A person and every team they have served on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub full_name: String,
    pub gender: Gender,
    pub birth_year: Option<i64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub personal_data_hidden: bool,
    pub memberships: Vec<Member>,
    /// Awards decided for the person, newest first (published names, not personal data).
    pub commendations: Vec<crate::commendations::proposals::Commendation>,
}

impl Person {
    pub fn hide_personal_data(&mut self) {
        self.birth_year = None;
        self.phone = None;
        self.email = None;
        self.personal_data_hidden = true;
    }
}

pub async fn person(conn: &mut AnyConnection, id: i64) -> Result<Person> {
    let filter = MemberFilter { person: Some(id), include_left: true, ..Default::default() };
    let (memberships, _) = list(conn, &filter, i64::MAX, 0).await?;
    #[derive(sqlx::FromRow)]
    struct PersonRow {
        full_name: String,
        gender: String,
        birth_year: i64,
        phone: Option<String>,
        email: Option<String>,
    }
    let row: PersonRow =
        sqlx::query_as("SELECT full_name, gender, birth_year, phone, email FROM people WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("person {id}")))?;
    Ok(Person {
        id,
        full_name: row.full_name,
        gender: Gender::parse(&row.gender).unwrap_or(Gender::Other),
        birth_year: Some(row.birth_year),
        phone: row.phone,
        email: row.email,
        personal_data_hidden: false,
        memberships,
        commendations: crate::commendations::proposals::of_person(conn, id).await?,
    })
}

/// A new membership; either `person_id` of someone already recorded, or their details.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub team_id: Option<i64>,
    /// An existing person (e.g. serving on a second team). Leave the person fields out then.
    pub person_id: Option<i64>,
    pub full_name: Option<String>,
    /// male, female or other (also "Nam", "Nữ").
    pub gender: Option<String>,
    pub birth_year: Option<i64>,
    /// Vietnamese number: 0xxxxxxxxx or +84xxxxxxxxx.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// leader, deputy or member (also "Tổ trưởng", "Tổ phó", "Thành viên").
    pub position: Option<String>,
    /// e.g. youth_union, commune_police, village_head, telecom_postal (or the Vietnamese label).
    pub affiliation: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Day the person joined; not before the team's decision, not in the future.
    pub joined_on: Option<String>,
    pub left_on: Option<String>,
}

/// Person fields after validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PersonFields {
    pub full_name: String,
    /// `text::same_name(&full_name)`, kept with the name: a roster row compares it several
    /// times (the file's key, people on record, the run's own).
    pub name_key: String,
    pub gender: Gender,
    pub birth_year: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Membership fields after validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MembershipFields {
    pub position: Position,
    pub affiliation: Affiliation,
    pub skills: Vec<String>,
    pub joined_on: String,
    pub left_on: Option<String>,
}

/// `0912345678`, `0912 345 678`, `+84 912 345 678` all become `0912345678`.
pub(crate) fn normalise_phone(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let national = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() == 9) {
        format!("0{rest}")
    } else {
        digits
    };
    let ok = national.starts_with('0')
        && (10..=11).contains(&national.len())
        && national.chars().all(|c| c.is_ascii_digit());
    ok.then_some(national)
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
}

pub(crate) fn person_fields(
    p: &mut Problems,
    full_name: Option<&str>,
    gender: Option<&str>,
    // `Err` carries text that is not a number (from a spreadsheet cell).
    birth_year: Option<std::result::Result<i64, &str>>,
    phone: Option<&str>,
    email: Option<&str>,
) -> PersonFields {
    // Without joiners and variation selectors: a name that looks the same is the same name.
    let full_name = text::clean_name(&required(p, "full_name", full_name, 100));
    let gender = match gender.map(str::trim).filter(|g| !g.is_empty()) {
        None => {
            p.add("gender", "is required");
            Gender::Other
        }
        Some(g) => Gender::parse(g).unwrap_or_else(|| {
            p.add("gender", format!("'{g}' is not one of {}", Gender::expected()));
            Gender::Other
        }),
    };
    let this_year = i64::from(chrono::Datelike::year(&crate::dates::today()));
    let birth_year = match birth_year {
        None => {
            p.add("birth_year", "is required");
            0
        }
        Some(Err(raw)) => {
            p.add("birth_year", format!("'{raw}' is not a year"));
            0
        }
        Some(Ok(y)) if !(1900..=this_year).contains(&y) => {
            p.add("birth_year", format!("{y} is not a plausible year of birth (1900-{this_year})"));
            y
        }
        Some(Ok(y)) => y,
    };
    let phone = phone.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| {
        let n = normalise_phone(s);
        if n.is_none() {
            p.add("phone", format!("'{s}' is not a Vietnamese phone number (0xxxxxxxxx or +84xxxxxxxxx)"));
        }
        n
    });
    let email = email.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| {
        let ok = valid_email(s) && s.len() <= 200;
        if !ok {
            p.add("email", format!("'{s}' is not an email address"));
        }
        ok.then(|| s.to_lowercase())
    });
    let name_key = text::same_name(&full_name);
    PersonFields { full_name, name_key, gender, birth_year, phone, email }
}

/// A roster cell (or the web form's field) of skills as a list: split at ';' and line breaks,
/// each cleaned ([`text::clean`]), blanks dropped. The export joins skills with "; "; a comma
/// stays inside a skill ("Thương mại điện tử (Postmart, Voso)").
pub(crate) fn split_skills(cell: &str) -> Vec<String> {
    cell.split([';', '\n']).map(text::clean).filter(|s| !s.is_empty()).collect()
}

pub(crate) fn membership_fields(
    p: &mut Problems,
    position: Option<&str>,
    affiliation: Option<&str>,
    skills: &[String],
    joined_on: Option<&str>,
    left_on: Option<&str>,
) -> MembershipFields {
    fn pick<V: Vocab>(p: &mut Problems, field: &str, value: Option<&str>, fallback: V) -> V {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => {
                p.add(field, format!("is required ({})", V::expected()));
                fallback
            }
            Some(v) => V::parse(v).unwrap_or_else(|| {
                p.add(field, format!("'{}' is not one of {}", text::quoted(v), V::expected()));
                fallback
            }),
        }
    }
    let position = pick(p, "position", position, Position::Member);
    let affiliation = pick(p, "affiliation", affiliation, Affiliation::Other);
    // A skill listed twice ("Zalo; zalo" in a roster's cell) is one skill, kept as first spelt.
    let mut seen = std::collections::HashSet::new();
    let skills: Vec<String> = skills
        .iter()
        .map(|s| text::clean(s))
        .filter(|s| !s.is_empty() && seen.insert(text::same_name(s)))
        .collect();
    if skills.len() > 30 || skills.iter().any(|s| s.chars().count() > 100) {
        p.add("skills", "at most 30 skills of at most 100 characters each");
    }
    let joined_on = past_date(p, "joined_on", joined_on, true).unwrap_or_default();
    let left_on = past_date(p, "left_on", left_on, false);
    if let Some(left) = &left_on
        && !joined_on.is_empty()
        && left.as_str() < joined_on.as_str()
    {
        p.add("left_on", "cannot be before joined_on");
    }
    MembershipFields { position, affiliation, skills, joined_on, left_on }
}

/// The team's establishment date and status, checked before adding or changing members.
pub(crate) async fn team_state(
    conn: &mut AnyConnection,
    team_id: i64,
) -> Result<Option<(String, TeamStatus, Option<String>)>> {
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT decision_date, status, status_date FROM teams WHERE id = $1")
            .bind(team_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(d, s, sd)| (d, TeamStatus::parse(&s).unwrap_or(TeamStatus::Active), sd)))
}

pub(crate) fn check_against_team(
    p: &mut Problems,
    m: &MembershipFields,
    decision_date: &str,
    status: TeamStatus,
    status_date: Option<&str>,
) {
    if !m.joined_on.is_empty() && m.joined_on.as_str() < decision_date {
        p.add("joined_on", format!("is before the team was established ({decision_date})"));
    }
    if status == TeamStatus::Dissolved
        && let Some(end) = status_date
        && m.joined_on.as_str() >= end
    {
        // The day is what is wrong (the team is the one meant): a roster has no team_id column.
        p.add("joined_on", format!("the team was dissolved on {end}"));
    }
}

/// A stint added to a dissolved team after the fact served before its end and left by then
/// (422 on `left_on` otherwise): nobody serves on a team that no longer exists. Only for new
/// stints (`POST /members`, a roster's new row): a recorded one stays as it was recorded.
pub(crate) fn left_by_dissolution(
    p: &mut Problems,
    m: &MembershipFields,
    status: TeamStatus,
    status_date: Option<&str>,
) {
    if status == TeamStatus::Dissolved
        && let Some(end) = status_date
        && m.joined_on.as_str() < end
        && m.left_on.as_deref().is_none_or(|left| left > end)
    {
        p.add(
            "left_on",
            format!("the team was dissolved on {end}: give the day this member left, on or before it"),
        );
    }
}

/// The reason for leaving a dissolution writes for each member it ends ("the team was
/// dissolved"). Recorded data, in Vietnamese like the rest of the record; it also marks the
/// stints whose end follows the dissolution's day when that day is corrected.
pub const DISSOLVED: &str = "Tổ giải thể";

/// Ends the stints a dissolution ends: every member of team `team_id` still serving leaves on
/// `day` (the dissolution's, `yyyy-mm-dd`) with [`DISSOLVED`] as reason, and when the day of an
/// earlier dissolution (`was`) is corrected, the stints that dissolution ended move with it.
/// Each stint changed is audited as a member update. Returns how many changed.
///
/// The caller has checked that nobody joined after `day` and nobody else left after it
/// (`teams::update`): a dissolved team has nobody serving (Quyết định giải thể ends the team).
/// Errors: the database's.
pub(crate) async fn end_at_dissolution(
    conn: &mut AnyConnection,
    actor: &Actor,
    team_id: i64,
    day: &str,
    was: Option<&str>,
) -> Result<usize> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM memberships WHERE team_id = $1 \
           AND (left_on IS NULL OR (left_on = $2 AND left_reason = $3 AND left_on <> $4)) ORDER BY id",
    )
    .bind(team_id)
    .bind(was)
    .bind(DISSOLVED)
    .bind(day)
    .fetch_all(&mut *conn)
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let before = many(conn, &ids).await?;
    let mut sql = Sql::new("UPDATE memberships SET left_on = ");
    sql.bind(day).push(", left_reason = ").bind(DISSOLVED).push(", updated_at = ").bind(now());
    sql.push(" WHERE id IN ").push_tuples(1, ids.len());
    for id in &ids {
        sql.arg(*id);
    }
    sql.query().execute(&mut *conn).await?;
    touch_team(conn, team_id).await?;
    let after = many(conn, &ids).await?;
    for (old, new) in before.iter().zip(&after) {
        debug_assert_eq!(old.id, new.id, "many() answers in id order");
        audit_member(conn, actor, "update", Some(old), new).await?;
    }
    Ok(ids.len())
}

pub(crate) async fn insert_person(conn: &mut AnyConnection, f: &PersonFields) -> Result<i64> {
    let id = crate::db::reserve_ids(conn, "people", 1).await?[0];
    insert_people(conn, &[(id, f)]).await?;
    Ok(id)
}

/// Inserts people with the ids given (from [`crate::db::reserve_ids`]), in multi-row
/// statements. Errors: the database's.
pub(crate) async fn insert_people(conn: &mut AnyConnection, people: &[(i64, &PersonFields)]) -> Result<()> {
    let stamp = now();
    for part in people.chunks(crate::db::ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO people (id, full_name, search_key, gender, birth_year, phone, email, created_at, updated_at, \
             sort_key) VALUES ",
        );
        sql.push_tuples(part.len(), 10);
        for (id, f) in part {
            sql.arg(*id)
                .arg(f.full_name.as_str())
                .arg(text::fold(&f.full_name))
                .arg(f.gender.as_str())
                .arg(f.birth_year)
                .arg(f.phone.clone())
                .arg(f.email.clone())
                .arg(stamp.as_str())
                .arg(stamp.as_str())
                .arg(text::person_sort_key(&f.full_name));
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}
/// Someone already recorded who is surely the person described, or None.
///
/// A match agrees on everything both sides know: the name as [`text::same_name`] compares
/// names (case and spacing aside: "phạm văn bình" is "Phạm Văn Bình"; accents kept: "Nguyễn
/// Văn An" and "Nguyễn Văn Ân" are two names), gender, year of birth, and phone and email wherever both
/// have one. It must also share something that ties the two together: the same phone or email,
/// or a stint on `team` (the same person listed again on their team's roster). So namesakes
/// who share nothing else are never merged, and a household sharing one phone stays several
/// people. Among several matches, the one serving on `team` comes first, then the first
/// recorded (smallest id): a row matching a team member by email and another person by a
/// phone filled in since is still that member, so importing a roster again finds every
/// stint it recorded (a person on three teams with a phone on one, an email on another and
/// both on the third was added to the second team again). Read-only; see [`create`] and [`fill_person`] to
/// record the person.
pub(crate) async fn find_person(
    conn: &mut AnyConnection,
    f: &PersonFields,
    team: Option<i64>,
) -> Result<Option<i64>> {
    if f.phone.is_none() && f.email.is_none() && team.is_none() {
        return Ok(None);
    }
    // The namesakes born the same year (an indexed lookup), each with whether it serves on
    // `team`; which of them is the person is [`Candidate::is`]'s to say.
    let mut sql = Sql::new(
        "SELECT p.id, p.full_name, p.gender, p.birth_year, p.phone, p.email, CAST(CASE WHEN EXISTS \
           (SELECT 1 FROM memberships m WHERE m.person_id = p.id AND m.team_id = ",
    );
    sql.bind(team.unwrap_or(0)).push(") THEN 1 ELSE 0 END AS BIGINT) FROM people p WHERE p.search_key = ");
    sql.bind(text::fold(&f.full_name)).push(" AND p.birth_year = ").bind(f.birth_year);
    // A candidate's columns, then 1 if they serve on `team`.
    type Row = (i64, String, String, i64, Option<String>, Option<String>, i64);
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, full_name, gender, birth_year, phone, email, on_team)| {
            (Candidate { id, full_name, gender, birth_year, phone, email }, on_team == 1)
        })
        .filter(|(c, on_team)| c.is(f, *on_team))
        .min_by_key(|(c, on_team)| (!on_team, c.id))
        .map(|(c, _)| c.id))
}

/// A person on record, as [`find_person`] compares them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Candidate {
    pub id: i64,
    pub full_name: String,
    pub gender: String,
    pub birth_year: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Candidate {
    /// Whether this record is surely the person `f` describes (see [`find_person`]):
    /// `on_team` says whether the record serves on the team `f` is listed for.
    pub(crate) fn is(&self, f: &PersonFields, on_team: bool) -> bool {
        let agrees = |mine: &Option<String>, theirs: &Option<String>| match (mine, theirs) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let shares = |mine: &Option<String>, theirs: &Option<String>| mine.is_some() && mine == theirs;
        text::same_name(&self.full_name) == f.name_key
            && self.gender == f.gender.as_str()
            && self.birth_year == f.birth_year
            && agrees(&self.phone, &f.phone)
            && agrees(&self.email, &f.email)
            && (shares(&self.phone, &f.phone) || shares(&self.email, &f.email) || on_team)
    }

    /// What `f` says differently from this record: the gender, or a phone or email both give
    /// and that differ (a blank says nothing; [`Candidate::fill_from`] fills it). As (field,
    /// the record's value, `f`'s value), as a roster writes them.
    pub(crate) fn differences(&self, f: &PersonFields) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if self.gender != f.gender.as_str() {
            let was =
                Gender::parse(&self.gender).map_or_else(|| self.gender.clone(), |g| g.label_vi().to_string());
            out.push(("gender", was, f.gender.label_vi().to_string()));
        }
        for (field, mine, theirs) in [("phone", &self.phone, &f.phone), ("email", &self.email, &f.email)] {
            if let (Some(mine), Some(theirs)) = (mine, theirs)
                && mine != theirs
            {
                out.push((field, mine.clone(), theirs.clone()));
            }
        }
        out
    }

    /// Whether [`Candidate::fill_from`] would change this record.
    pub(crate) fn would_fill(&self, f: &PersonFields) -> bool {
        (self.phone.is_none() && f.phone.is_some()) || (self.email.is_none() && f.email.is_some())
    }

    /// The record after [`fill_person`] fills the phone or email it lacked from `f`; true when
    /// that changes it.
    pub(crate) fn fill_from(&mut self, f: &PersonFields) -> bool {
        let mut changed = false;
        for (mine, theirs) in [(&mut self.phone, &f.phone), (&mut self.email, &f.email)] {
            if mine.is_none() && theirs.is_some() {
                *mine = theirs.clone();
                changed = true;
            }
        }
        changed
    }
}

/// Fills the phone or email person `id` lacks from `f` (so nothing submitted is dropped);
/// what the record has stays. Errors: the database's.
pub(crate) async fn fill_person(conn: &mut AnyConnection, id: i64, f: &PersonFields) -> Result<()> {
    if f.phone.is_some() || f.email.is_some() {
        sqlx::query(
            "UPDATE people SET phone = COALESCE(phone, $1), email = COALESCE(email, $2), updated_at = $3 \
             WHERE id = $4 AND ((phone IS NULL AND $5 = 1) OR (email IS NULL AND $6 = 1))",
        )
        .bind(f.phone.as_deref())
        .bind(f.email.as_deref())
        .bind(now())
        .bind(id)
        .bind(i64::from(f.phone.is_some()))
        .bind(i64::from(f.email.is_some()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Fails with 409 when the person already serves on the team during the new stint.
pub(crate) async fn check_overlap(
    conn: &mut AnyConnection,
    team_id: i64,
    person_id: i64,
    m: &MembershipFields,
    except: Option<i64>,
) -> Result<()> {
    let existing: Vec<Stint> = sqlx::query_as(
        "SELECT id, person_id, joined_on, left_on FROM memberships WHERE team_id = $1 AND person_id = $2",
    )
    .bind(team_id)
    .bind(person_id)
    .fetch_all(&mut *conn)
    .await?;
    match overlapping(&existing, m, except) {
        None => Ok(()),
        Some(s) => Err(Error::Conflict(format!(
            "this person already serves on team {team_id} from {} (member {})",
            s.joined_on, s.id
        ))),
    }
}

/// A membership as the overlap check reads it (of one team: the caller knows which).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Stint {
    pub id: i64,
    pub person_id: i64,
    pub joined_on: String,
    pub left_on: Option<String>,
}

/// The first of `existing` (one person's stints on one team), other than `except`, that
/// overlaps the stint `m` describes (an open end is the far future; ISO days compare as text).
pub(crate) fn overlapping<'a>(
    existing: &'a [Stint],
    m: &MembershipFields,
    except: Option<i64>,
) -> Option<&'a Stint> {
    let end = m.left_on.as_deref().unwrap_or("9999-12-31");
    existing.iter().filter(|s| Some(s.id) != except).find(|s| {
        let other_end = s.left_on.as_deref().unwrap_or("9999-12-31");
        m.joined_on.as_str() < other_end && s.joined_on.as_str() < end
    })
}

pub(crate) async fn insert_membership(
    conn: &mut AnyConnection,
    team_id: i64,
    person_id: i64,
    m: &MembershipFields,
) -> Result<i64> {
    let id = crate::db::reserve_ids(conn, "memberships", 1).await?[0];
    insert_memberships(conn, &[NewStint { id, team_id, person_id, fields: m }]).await?;
    Ok(id)
}

/// A membership to insert, with its id (from [`crate::db::reserve_ids`]).
pub(crate) struct NewStint<'a> {
    pub id: i64,
    pub team_id: i64,
    pub person_id: i64,
    pub fields: &'a MembershipFields,
}

/// Inserts memberships in multi-row statements. Errors: the database's.
pub(crate) async fn insert_memberships(conn: &mut AnyConnection, stints: &[NewStint<'_>]) -> Result<()> {
    let stamp = now();
    for part in stints.chunks(crate::db::ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO memberships (id, team_id, person_id, position, affiliation, skills, joined_on, left_on, \
             created_at, updated_at) VALUES ",
        );
        sql.push_tuples(part.len(), 10);
        for s in part {
            let m = s.fields;
            sql.arg(s.id)
                .arg(s.team_id)
                .arg(s.person_id)
                .arg(m.position.as_str())
                .arg(m.affiliation.as_str())
                .arg(serde_json::to_string(&m.skills).expect("strings serialise"))
                .arg(m.joined_on.as_str())
                .arg(m.left_on.clone())
                .arg(stamp.as_str())
                .arg(stamp.as_str());
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}
/// Whose record adding a member may amend: a person matched by their details gets the phone or
/// email their record lacked from the new member's ([`fill_person`]).
#[derive(Clone, Copy)]
pub enum Amend<'a> {
    /// Any matched person's (the demo; a nomination accepted by the commune).
    Anyone,
    /// Only a person every one of whose stints is on a team this caller may change members
    /// of: a commune's officer who adds someone matching a person serving in another commune
    /// links them, and writes nothing into that person's record.
    Within(&'a crate::auth::Principal),
}

impl Amend<'_> {
    async fn allows(self, conn: &mut AnyConnection, person_id: i64) -> Result<bool> {
        match self {
            Amend::Anyone => Ok(true),
            Amend::Within(principal) => super::access::may_change_person(conn, principal, person_id).await,
        }
    }
}

/// Adds a member: the person by `person_id`, or the one [`find_person`] matches (amended as
/// `amend` allows), or a new person. Errors: 422 with every problem of the input, 409 when
/// the person already serves on the team then, the database's.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: NewMember,
    amend: Amend<'_>,
) -> Result<Member> {
    let mut p = Problems::default();
    let team = match input.team_id {
        None => {
            p.add("team_id", "is required");
            None
        }
        Some(id) => {
            let state = team_state(conn, id).await?;
            if state.is_none() {
                p.add("team_id", format!("team {id} does not exist"));
            }
            state.map(|s| (id, s))
        }
    };
    let person_given = input.full_name.is_some() || input.gender.is_some() || input.birth_year.is_some();
    let person = match input.person_id {
        Some(pid) if person_given => {
            p.add("person_id", "give either person_id or the person's details, not both");
            Err(pid)
        }
        Some(pid) => {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
                .bind(pid)
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_none() {
                p.add("person_id", format!("person {pid} does not exist"));
            }
            Err(pid)
        }
        None => Ok(person_fields(
            &mut p,
            input.full_name.as_deref(),
            input.gender.as_deref(),
            input.birth_year.map(Ok),
            input.phone.as_deref(),
            input.email.as_deref(),
        )),
    };
    let m = membership_fields(
        &mut p,
        input.position.as_deref(),
        input.affiliation.as_deref(),
        &input.skills,
        input.joined_on.as_deref(),
        input.left_on.as_deref(),
    );
    if let Some((_, (decision_date, status, status_date))) = &team {
        check_against_team(&mut p, &m, decision_date, *status, status_date.as_deref());
        left_by_dissolution(&mut p, &m, *status, status_date.as_deref());
    }
    p.into_result()?;
    let (team_id, _) = team.expect("checked");
    refuse_after_closing(conn, team_id, &m.joined_on).await?;
    let person_id = match person {
        Err(pid) => pid,
        Ok(fields) => match find_person(conn, &fields, Some(team_id)).await? {
            None => insert_person(conn, &fields).await?,
            Some(id) => {
                if amend.allows(conn, id).await? {
                    fill_person(conn, id, &fields).await?;
                }
                id
            }
        },
    };
    check_overlap(conn, team_id, person_id, &m, None).await?;
    let id = insert_membership(conn, team_id, person_id, &m).await?;
    touch_team(conn, team_id).await?;
    let member = get(conn, id).await?;
    audit_member(conn, actor, "create", None, &member).await?;
    Ok(member)
}

/// Refuses (422 on `joined_on`) a stint that starts after the team's unit closed: a team is
/// moved to its unit's successor when the unit closes ([`super::transfer_all`]), so only a
/// team left behind by an older closing gets here, and it must be moved or dissolved first.
pub(crate) async fn refuse_after_closing(
    conn: &mut AnyConnection,
    team_id: i64,
    joined_on: &str,
) -> Result<()> {
    match super::unit_closed_by(conn, team_id, joined_on).await? {
        None => Ok(()),
        Some(closing) => Err(closed_refusal(&closing)),
    }
}

/// The refusal of a stint starting after the team's unit closed: `(code, closing day)` as
/// [`super::unit_closed_by`] gives them. A 422 on `joined_on`.
pub(crate) fn closed_refusal((code, closed): &(String, String)) -> Error {
    Error::field(
        "joined_on",
        format!(
            "the team's unit '{code}' closed on {}; a team serves its unit's successor from that day",
            crate::dates::display(crate::dates::parse(closed).unwrap_or_else(crate::dates::today))
        ),
    )
}

pub(crate) async fn audit_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    before: Option<&Member>,
    after: &Member,
) -> Result<()> {
    let change = Change::new(action, "member", after.id, Some(after.unit_id)).before(before).after(after);
    audit::record(conn, actor, change).await
}

async fn touch_team(conn: &mut AnyConnection, team_id: i64) -> Result<()> {
    sqlx::query("UPDATE teams SET updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(team_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Changes to a membership and its person; absent fields stay. Person fields (name, phone...)
/// are the person's, so they change on every team the person serves on.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    pub full_name: Option<String>,
    pub gender: Option<String>,
    pub birth_year: Option<i64>,
    /// Empty string clears it.
    pub phone: Option<String>,
    /// Empty string clears it.
    pub email: Option<String>,
    pub position: Option<String>,
    pub affiliation: Option<String>,
    pub skills: Option<Vec<String>>,
    pub joined_on: Option<String>,
    /// The day the member left; empty string if they never did.
    pub left_on: Option<String>,
    /// Why they left (at most 500 characters); kept while `left_on` is set, cleared with it.
    pub left_reason: Option<String>,
}

/// Changes a membership and its person. The person's fields (name, gender, year of birth,
/// phone, email) are theirs on every team they serve on: changing them needs `amend` to allow
/// it (403 otherwise; a commune's officer changes the stint, not the record of a person who
/// also serves in another commune). Errors: 422 with every problem of the input, 403, 409
/// when the stint would overlap another, the database's.
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    input: MemberChange,
    amend: Amend<'_>,
) -> Result<Member> {
    let cur = get(conn, id).await?;
    let mut p = Problems::default();
    let or = |new: &Option<String>, old: Option<&str>| new.clone().or(old.map(str::to_string));
    let person = person_fields(
        &mut p,
        or(&input.full_name, Some(&cur.full_name)).as_deref(),
        or(&input.gender, Some(cur.gender.as_str())).as_deref(),
        input.birth_year.or(cur.birth_year).map(Ok),
        or(&input.phone, cur.phone.as_deref()).as_deref(),
        or(&input.email, cur.email.as_deref()).as_deref(),
    );
    let m = membership_fields(
        &mut p,
        or(&input.position, Some(cur.position.as_str())).as_deref(),
        or(&input.affiliation, Some(cur.affiliation.as_str())).as_deref(),
        input.skills.as_ref().unwrap_or(&cur.skills),
        or(&input.joined_on, Some(&cur.joined_on)).as_deref(),
        or(&input.left_on, cur.left_on.as_deref()).as_deref(),
    );
    if let Some((decision_date, status, status_date)) = team_state(conn, cur.team_id).await? {
        // A dissolved team's past members can still be corrected; only new stints are refused.
        let dates_change = m.joined_on != cur.joined_on || m.left_on != cur.left_on;
        let joining = if m.joined_on == cur.joined_on { TeamStatus::Active } else { status };
        check_against_team(&mut p, &m, &decision_date, joining, status_date.as_deref());
        // Nor does a correction reopen a stint the dissolution ended, or end one after it.
        if dates_change {
            left_by_dissolution(&mut p, &m, status, status_date.as_deref());
        }
    }
    if let Some(reason) = &input.left_reason
        && reason.trim().chars().count() > 500
    {
        p.add("left_reason", "must be at most 500 characters");
    }
    p.into_result()?;
    let record_changes = person.full_name != cur.full_name
        || person.gender != cur.gender
        || Some(person.birth_year) != cur.birth_year
        || person.phone != cur.phone
        || person.email != cur.email;
    // A reason belongs to a departure: it goes when the member is back on the team.
    let left_reason = m
        .left_on
        .as_ref()
        .and(input.left_reason.as_deref().map(str::trim).map(str::to_string).or(cur.left_reason.clone()));
    let left_reason = left_reason.filter(|r| !r.is_empty());
    // A change that changes nothing writes nothing (a form sent again, a request retried): no
    // new `updated_at`, no audit entry whose before and after are the same.
    if !record_changes
        && m.position == cur.position
        && m.affiliation == cur.affiliation
        && m.skills == cur.skills
        && m.joined_on == cur.joined_on
        && m.left_on == cur.left_on
        && left_reason == cur.left_reason
    {
        return Ok(cur);
    }
    if record_changes && !amend.allows(conn, cur.person_id).await? {
        return Err(Error::Forbidden(
            "this person also serves on a team your roles do not cover: their name, gender, year of birth, phone \
             and email are changed by an office that covers every team they serve on"
                .into(),
        ));
    }
    if m.joined_on != cur.joined_on {
        refuse_after_closing(conn, cur.team_id, &m.joined_on).await?;
    }
    check_overlap(conn, cur.team_id, cur.person_id, &m, Some(id)).await?;
    let stamp = now();
    sqlx::query(
        "UPDATE people SET full_name = $1, search_key = $2, gender = $3, birth_year = $4, phone = $5, email = $6, \
           updated_at = $7, sort_key = $9 WHERE id = $8",
    )
    .bind(&person.full_name)
    .bind(text::fold(&person.full_name))
    .bind(person.gender.as_str())
    .bind(person.birth_year)
    .bind(person.phone.as_deref())
    .bind(person.email.as_deref())
    .bind(&stamp)
    .bind(cur.person_id)
    .bind(text::person_sort_key(&person.full_name))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE memberships SET position = $1, affiliation = $2, skills = $3, joined_on = $4, left_on = $5, \
           updated_at = $6, left_reason = $8 WHERE id = $7",
    )
    .bind(m.position.as_str())
    .bind(m.affiliation.as_str())
    .bind(serde_json::to_string(&m.skills).expect("strings serialise"))
    .bind(&m.joined_on)
    .bind(m.left_on.as_deref())
    .bind(&stamp)
    .bind(id)
    .bind(left_reason.as_deref())
    .execute(&mut *conn)
    .await?;
    touch_team(conn, cur.team_id).await?;
    let after = get(conn, id).await?;
    audit_member(conn, actor, "update", Some(&cur), &after).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(normalise_phone("0912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(normalise_phone("+84 912.345.678").as_deref(), Some("0912345678"));
        assert_eq!(normalise_phone("84912345678").as_deref(), Some("0912345678"));
        assert_eq!(normalise_phone("12345"), None);
        assert_eq!(normalise_phone("09123abc78"), None);
    }

    #[test]
    fn emails_need_a_domain() {
        assert!(valid_email("an.nguyen@taysonn.gov.vn"));
        assert!(!valid_email("an.nguyen"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.vn"));
    }
}
