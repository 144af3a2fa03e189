//! What one run of a chunk of the import knows of the database, read in a few queries up
//! front and then kept up to date with the run's own writes, so that checking and writing
//! thousands of rows does not ask the database once per row.
//!
//! The import used to ask, row by row, who the person is ([`find_person`]), whether their stint
//! is recorded or overlaps one, the team's status and its unit's closing: about six statements
//! a row, twice per import (check, then write), which made the national roster (348,362 rows)
//! take 264 s, most of it in handing statements to SQLite's worker thread (issue 15, point 2).
//! Here those questions are answered in memory with the same rules: [`Candidate::is`] for
//! people (also what [`find_person`] applies), [`overlapping`] for stints.
//!
//! [`find_person`]: super::super::members::find_person

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::super::members::{Candidate, MembershipFields, PersonFields, Stint, overlapping, split_skills};
use super::super::{UnitClosing, units_closed};
use crate::db::Sql;
use crate::error::Result;
use crate::text;
use crate::vocab::{Affiliation, Position, TeamStatus, Vocab};

/// Teams, stints or name keys per lookup query (bind costs grow with the square of the
/// parameters on SQLite: see [`crate::db::ROWS_PER_STATEMENT`]).
const PER_QUERY: usize = 100;

/// Ids given to people and stints the run adds before the database gives them theirs: above
/// every id on record, so "the smallest id" (the person [`find_person`] picks among several)
/// still prefers people on record, as it does when the new ones are written one by one.
///
/// [`find_person`]: super::super::members::find_person
pub(super) const PROVISIONAL: i64 = 1 << 62;

/// What a recorded stint says besides its days.
struct Terms {
    position: String,
    affiliation: String,
    /// As stored: a JSON array of strings.
    skills: String,
}

#[derive(Default)]
pub(super) struct Known {
    /// Status and status day of the teams on record the chunk names.
    states: HashMap<i64, (TeamStatus, Option<String>)>,
    /// Their units' closings.
    closings: HashMap<i64, UnitClosing>,
    /// Their stints (and those the run adds), by team.
    stints: HashMap<i64, Vec<Stint>>,
    /// The position, affiliation and skills of each stint on record, by stint id.
    terms: HashMap<i64, Terms>,
    /// People on record (and those the run adds) by name (as [`text::same_name`] keys it) and
    /// year of birth: every one [`Candidate::is`] could accept for a row.
    people: HashMap<(String, i64), Vec<Candidate>>,
    /// The people of the recorded stints, by person id, as recorded: what a row describing one
    /// of those stints with the name or year of birth edited is told ([`Known::edited_in_stint`]).
    serving: HashMap<i64, Candidate>,
    /// Provisional ids handed out so far (people, stints).
    next_person: i64,
    next_stint: i64,
}

/// A recorded stint of a team the run touches, with its person as recorded.
#[derive(sqlx::FromRow)]
struct StintRow {
    id: i64,
    team_id: i64,
    person_id: i64,
    joined_on: String,
    left_on: Option<String>,
    position: String,
    affiliation: String,
    skills: String,
    full_name: String,
    gender: String,
    birth_year: i64,
    phone: Option<String>,
    email: Option<String>,
}

impl Known {
    /// Reads what the rows `people` of teams `teams` (those on record) are checked against.
    /// Errors: the database's.
    pub(super) async fn read<'a>(
        conn: &mut AnyConnection,
        teams: &[i64],
        people: impl Iterator<Item = &'a PersonFields>,
    ) -> Result<Known> {
        let mut known = Known { next_person: PROVISIONAL, next_stint: PROVISIONAL, ..Default::default() };
        for part in teams.chunks(PER_QUERY) {
            let mut sql = Sql::new("SELECT id, status, status_date FROM teams WHERE id IN ");
            sql.push_tuples(1, part.len());
            for id in part {
                sql.arg(*id);
            }
            let rows: Vec<(i64, String, Option<String>)> = sql.query_as().fetch_all(&mut *conn).await?;
            for (id, status, day) in rows {
                known.states.insert(id, (TeamStatus::parse(&status).unwrap_or(TeamStatus::Active), day));
            }
            known.closings.extend(units_closed(conn, part).await?);
            let mut sql = Sql::new(
                "SELECT m.id, m.team_id, m.person_id, m.joined_on, m.left_on, m.position, m.affiliation, m.skills, \
                 p.full_name, p.gender, p.birth_year, p.phone, p.email FROM memberships m \
                 JOIN people p ON p.id = m.person_id WHERE m.team_id IN ",
            );
            sql.push_tuples(1, part.len());
            for id in part {
                sql.arg(*id);
            }
            for row in sql.query_as::<StintRow>().fetch_all(&mut *conn).await? {
                let StintRow {
                    id,
                    team_id,
                    person_id,
                    joined_on,
                    left_on,
                    position,
                    affiliation,
                    skills,
                    full_name,
                    gender,
                    birth_year,
                    phone,
                    email,
                } = row;
                let c = Candidate { id: person_id, full_name, gender, birth_year, phone, email };
                known.terms.insert(id, Terms { position, affiliation, skills });
                known.stints.entry(team_id).or_default().push(Stint { id, person_id, joined_on, left_on });
                known.serving.insert(person_id, c);
            }
        }
        let mut keys: Vec<(String, i64)> = people.map(|p| (text::fold(&p.full_name), p.birth_year)).collect();
        keys.sort();
        keys.dedup();
        for part in keys.chunks(PER_QUERY) {
            // A join from the keys, so that both engines look each one up in people_search
            // (SQLite scans the whole index for a row-value IN).
            let mut sql = Sql::new("WITH k(s, y) AS (VALUES ");
            sql.push_tuples(part.len(), 2);
            for (key, year) in part {
                sql.arg(key.as_str()).arg(*year);
            }
            sql.push(
                ") SELECT p.id, p.full_name, p.gender, p.birth_year, p.phone, p.email \
                 FROM k JOIN people p ON p.search_key = k.s AND p.birth_year = k.y",
            );
            for c in sql.query_as::<Candidate>().fetch_all(&mut *conn).await? {
                known.people.entry((text::same_name(&c.full_name), c.birth_year)).or_default().push(c);
            }
        }
        Ok(known)
    }

    /// Status and status day of team `team_id` (active for a team not on record).
    pub(super) fn state(&self, team_id: Option<i64>) -> (TeamStatus, Option<&str>) {
        match team_id.and_then(|id| self.states.get(&id)) {
            Some((status, day)) => (*status, day.as_deref()),
            None => (TeamStatus::Active, None),
        }
    }

    /// (unit code, closing day) when team `team_id`'s unit closed on or before `date`.
    pub(super) fn closed_by(&self, team_id: i64, date: &str) -> Option<(String, String)> {
        self.closings.get(&team_id).and_then(|c| c.on_or_before(date))
    }

    /// The person `f` describes, listed for team `team` (None: a team the run creates has no
    /// one on it yet), as [`find_person`] would find them after the run's writes so far.
    ///
    /// [`find_person`]: super::super::members::find_person
    pub(super) fn find(&self, f: &PersonFields, team: Option<i64>) -> Option<i64> {
        if f.phone.is_none() && f.email.is_none() && team.is_none() {
            return None;
        }
        let stints = team.and_then(|t| self.stints.get(&t)).map(Vec::as_slice).unwrap_or_default();
        self.people
            .get(&(f.name_key.clone(), f.birth_year))?
            .iter()
            .map(|c| (c, stints.iter().any(|s| s.person_id == c.id)))
            .filter(|(c, on_team)| c.is(f, *on_team))
            .min_by_key(|(c, on_team)| (!on_team, c.id))
            .map(|(c, _)| c.id)
    }

    /// Records that the run fills the phone or email person `id` lacked from `f`, as
    /// [`fill_person`](super::super::members::fill_person) does; true when that changes them.
    pub(super) fn fill(&mut self, id: i64, f: &PersonFields) -> bool {
        let people = self.people.get_mut(&(f.name_key.clone(), f.birth_year));
        people.and_then(|p| p.iter_mut().find(|c| c.id == id)).is_some_and(|c| c.fill_from(f))
    }

    /// Whether [`Known::fill`] would change person `id` (`f` has a phone or email they lack).
    pub(super) fn would_fill(&self, id: i64, f: &PersonFields) -> bool {
        self.person(id, f).is_some_and(|c| c.would_fill(f))
    }

    /// Records a person the run adds; returns their provisional id.
    pub(super) fn add_person(&mut self, f: &PersonFields) -> i64 {
        let id = self.next_person;
        self.next_person += 1;
        let c = Candidate {
            id,
            full_name: f.full_name.clone(),
            gender: f.gender.as_str().to_string(),
            birth_year: f.birth_year,
            phone: f.phone.clone(),
            email: f.email.clone(),
        };
        self.people.entry((f.name_key.clone(), f.birth_year)).or_default().push(c);
        id
    }

    /// The person's record as the run leaves it (with what [`Known::fill`] added).
    pub(super) fn person(&self, id: i64, f: &PersonFields) -> Option<&Candidate> {
        self.people.get(&(f.name_key.clone(), f.birth_year))?.iter().find(|c| c.id == id)
    }

    /// Records a stint the run adds.
    pub(super) fn add_stint(&mut self, team_id: i64, person_id: i64, m: &MembershipFields) {
        let id = self.next_stint;
        self.next_stint += 1;
        let stint = Stint { id, person_id, joined_on: m.joined_on.clone(), left_on: m.left_on.clone() };
        self.stints.entry(team_id).or_default().push(stint);
    }

    /// Whether person `person_id` already serves on team `team_id` during the stint `m`
    /// describes.
    pub(super) fn overlaps(&self, team_id: i64, person_id: i64, m: &MembershipFields) -> bool {
        overlapping(&self.stints_of(team_id, person_id), m, None).is_some()
    }

    /// Whether the person's stint on the team starting on `joined_on` is recorded: the same
    /// stint as a row describes, which importing again must find rather than add.
    pub(super) fn same_stint(&self, team_id: i64, person_id: i64, joined_on: &str) -> bool {
        self.stint(team_id, person_id, joined_on).is_some()
    }

    /// The person's stint on the team starting on `joined_on`, recorded or added by the run.
    fn stint(&self, team_id: i64, person_id: i64, joined_on: &str) -> Option<&Stint> {
        let all = self.stints.get(&team_id).map(Vec::as_slice).unwrap_or_default();
        all.iter().find(|s| s.person_id == person_id && s.joined_on == joined_on)
    }

    /// What a row describing the person's recorded stint on the team (the one starting on
    /// `m.joined_on`) says differently from the record: the position, the affiliation, the
    /// skills or a left day (blank skills or a blank left day say nothing: rosters without
    /// those columns are common). As (field, the record's value, the row's value), the values
    /// as a file writes them; empty when the row agrees or describes no recorded stint.
    pub(super) fn differences(
        &self,
        team_id: i64,
        person_id: i64,
        m: &MembershipFields,
    ) -> Vec<(&'static str, String, String)> {
        let Some(stint) = self.stint(team_id, person_id, &m.joined_on) else {
            return Vec::new();
        };
        let Some(Terms { position, affiliation, skills }) = self.terms.get(&stint.id) else {
            return Vec::new();
        };
        let day = |d: &Option<String>| match d.as_deref().and_then(crate::dates::parse) {
            Some(d) => crate::dates::display(d),
            None => "(no left day)".to_string(),
        };
        let mut out = Vec::new();
        let recorded = Position::parse(position);
        if recorded != Some(m.position) {
            let was = recorded.map_or_else(|| position.clone(), |p| p.label_vi().to_string());
            out.push(("position", was, m.position.label_vi().to_string()));
        }
        let recorded = Affiliation::parse(affiliation);
        if recorded != Some(m.affiliation) {
            let was = recorded.map_or_else(|| affiliation.clone(), |a| a.label_vi().to_string());
            out.push(("affiliation", was, m.affiliation.label_vi().to_string()));
        }
        // Compared as sets, as a file lists them (the export joins skills with "; "): the
        // order a roster gives them in says nothing.
        let recorded: Vec<String> = serde_json::from_str(skills).unwrap_or_default();
        let as_set = |skills: &[String]| {
            let mut set = split_skills(&skills.join(";"));
            set.sort();
            set.dedup();
            set
        };
        if !m.skills.is_empty() && as_set(&recorded) != as_set(&m.skills) {
            out.push(("skills", recorded.join("; "), m.skills.join("; ")));
        }
        if m.left_on.is_some() && m.left_on != stint.left_on {
            out.push(("left_on", day(&stint.left_on), day(&m.left_on)));
        }
        out
    }

    /// A person on record serving on team `team_id` in a stint from `joined_on` whose name and
    /// year of birth are `f`'s, when [`Known::find`] did not take `f` for them: the row of that
    /// stint, exported and edited (another gender, phone or email). Importing it would add a
    /// second person to the team under the same name; the caller refuses it with
    /// [`Candidate::differences`].
    pub(super) fn namesake_in_stint(
        &self,
        team_id: i64,
        f: &PersonFields,
        joined_on: &str,
    ) -> Option<&Candidate> {
        let people = self.people.get(&(f.name_key.clone(), f.birth_year))?;
        people.iter().find(|c| self.stint(team_id, c.id, joined_on).is_some())
    }

    /// The person on record serving on team `team_id` in a recorded stint from `joined_on`
    /// whose name is `f`'s but for accents ([`text::fold`]), or whose year of birth differs:
    /// the row of that stint, exported with the name's accents or the year corrected.
    /// [`Known::find`] matches names as [`text::same_name`] keys them (accents kept) and exact
    /// years, so importing it would add a second person to the team; the caller refuses it
    /// naming the difference. Stints the run adds are not looked at: two new people whose names
    /// differ only in accents (An, Ân) are two people.
    pub(super) fn edited_in_stint(
        &self,
        team_id: i64,
        f: &PersonFields,
        joined_on: &str,
    ) -> Option<&Candidate> {
        let name = text::fold(&f.full_name);
        let all = self.stints.get(&team_id).map(Vec::as_slice).unwrap_or_default();
        all.iter()
            .filter(|s| s.id < PROVISIONAL && s.joined_on == joined_on)
            .filter_map(|s| self.serving.get(&s.person_id))
            .find(|c| {
                text::fold(&c.full_name) == name
                    && (text::same_name(&c.full_name) != f.name_key || c.birth_year != f.birth_year)
            })
    }

    fn stints_of(&self, team_id: i64, person_id: i64) -> Vec<Stint> {
        let all = self.stints.get(&team_id).map(Vec::as_slice).unwrap_or_default();
        all.iter().filter(|s| s.person_id == person_id).cloned().collect()
    }
}
