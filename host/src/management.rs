//! The management group (Tổ quản lý, Ban chỉ đạo) a district's Culture and Information office
//! sets up to guide the teams, and its **focal point** (đầu mối): the one person the province
//! and the communes call. A unit has at most one focal point on a day: of the people named
//! focal point who are in the group that day, the one named from the latest day. Naming a new
//! one from a day hands over on that day (the previous one stays in the group), so a handover
//! planned for next month changes nothing today; when the focal point leaves the group, the
//! post is vacant until someone is named. The audit trail records who was focal point when
//! the next one was named.
//!
//! Management groups belong to a district or a province (the province's own steering group,
//! and after the 2025 reform, when provinces have no districts, the one guiding the teams).
//! Their dates lie from 2000 to a year ahead.
//!
//! These are officials' work contacts, shown to the signed-in users who may read the unit; the
//! public results page shows none of them.

mod routes;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

pub use routes::routes;

use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal};
use crate::db::{Db, now};
use crate::error::{Error, Problems, Result};
use crate::reports::submissions::allow;

/// Someone joining a unit's management group.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupMember {
    pub full_name: String,
    /// Their position in the group, e.g. "Tổ trưởng", "Thành viên".
    pub title: String,
    /// Their office, e.g. "Phòng Văn hóa và Thông tin".
    #[serde(default)]
    pub office: String,
    /// Vietnamese number: 0xxxxxxxxx or +84xxxxxxxxx.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Named the unit's focal point from `from_date` (the previous one stops being it that day).
    #[serde(default)]
    pub focal_point: bool,
    /// dd/mm/yyyy or yyyy-mm-dd (default today).
    pub from_date: Option<String>,
    pub until_date: Option<String>,
}

/// Ending someone's place in the group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupEnd {
    /// The last day in the group, dd/mm/yyyy or yyyy-mm-dd; not before they joined.
    pub until_date: String,
}

/// A member of a unit's management group.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct GroupMember {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub full_name: String,
    pub title: String,
    pub office: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(skip)]
    pub focal: i64,
    /// Named the unit's focal point from `from_date`.
    #[sqlx(skip)]
    pub named_focal_point: bool,
    /// The unit's focal point today (named, in the group, and not yet followed by another).
    #[sqlx(skip)]
    pub focal_point: bool,
    pub from_date: String,
    pub until_date: Option<String>,
    /// In the group today.
    #[sqlx(skip)]
    pub current: bool,
}

const SELECT: &str = "SELECT g.id, u.code AS unit_code, \
     (SELECT v.name FROM unit_versions v WHERE v.unit_id = g.unit_id ORDER BY v.valid_to IS NULL DESC, v.valid_to DESC LIMIT 1) AS unit_name, \
     g.full_name, g.title, g.office, g.phone, g.email, g.focal_point AS focal, g.from_date, g.until_date \
     FROM management_group g JOIN units u ON u.id = g.unit_id";

/// `m` with its day-dependent flags set; `focal` is the unit's focal point today ([`focal_on`]).
fn finish(mut m: GroupMember, today: &str, focal: Option<i64>) -> GroupMember {
    m.named_focal_point = m.focal == 1;
    m.focal_point = focal == Some(m.id);
    m.current = m.from_date.as_str() <= today && m.until_date.as_deref().is_none_or(|u| u >= today);
    m
}

/// The id of unit `unit_id`'s focal point on `day` (yyyy-mm-dd): the person last named focal
/// point from that day or before, if they are still in the group that day. Someone followed
/// by a newer focal point does not become it again when the newer one leaves: the post is
/// then vacant until someone is named.
async fn focal_on(conn: &mut AnyConnection, unit_id: i64, day: &str) -> Result<Option<i64>> {
    let latest: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, until_date FROM management_group WHERE unit_id = $1 AND focal_point = 1 AND from_date <= $2 \
         ORDER BY from_date DESC, id DESC LIMIT 1",
    )
    .bind(unit_id)
    .bind(day)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(latest.filter(|(_, until)| until.as_deref().is_none_or(|u| u >= day)).map(|(id, _)| id))
}

/// The management groups at unit `code` and below (a province sees every district's), the
/// units in code order, the focal point first, then by name; people who left are included
/// with `current: false`.
pub async fn list(
    conn: &mut AnyConnection,
    scope: Option<&Principal>,
    code: &str,
) -> Result<Vec<GroupMember>> {
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let today = crate::dates::today_iso();
    let rows = sqlx::query_as::<_, GroupMember>(&format!(
        "{SELECT} ORDER BY u.code, g.focal_point DESC, g.full_name, g.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    let mut focal_of = std::collections::HashMap::new();
    for row in rows {
        let id = crate::units::id_of(conn, &row.unit_code).await?;
        if crate::units::ancestors_or_self(conn, id, &today).await?.contains(&unit_id) {
            // One look-up per unit, not per row.
            let focal = match focal_of.get(&id) {
                Some(focal) => *focal,
                None => {
                    let focal = focal_on(conn, id, &today).await?;
                    focal_of.insert(id, focal);
                    focal
                }
            };
            out.push(finish(row, &today, focal));
        }
    }
    // Each unit's focal point first (the query orders by unit, then named focal points first).
    out.sort_by(|a, b| a.unit_code.cmp(&b.unit_code).then(b.focal_point.cmp(&a.focal_point)));
    let mut sorted: Vec<GroupMember> = Vec::with_capacity(out.len());
    // Current members before former ones, keeping the order above within each.
    sorted.extend(out.iter().filter(|m| m.current).cloned());
    sorted.extend(out.into_iter().filter(|m| !m.current));
    Ok(sorted)
}

/// A day from 2000 to a year from today, as yyyy-mm-dd; a problem on `field` otherwise.
fn date_of(p: &mut Problems, field: &str, given: Option<&str>) -> Option<String> {
    let given = given.map(str::trim).filter(|g| !g.is_empty())?;
    let today = crate::dates::today();
    let latest = today.checked_add_months(chrono::Months::new(12)).unwrap_or(today);
    match crate::dates::parse(given) {
        Some(d) if chrono::Datelike::year(&d) >= 2000 && d <= latest => Some(crate::dates::iso(d)),
        Some(_) => {
            let latest = crate::dates::display(latest);
            p.add(field, format!("must be a day from 01/01/2000 to {latest}"));
            None
        }
        None => {
            p.add(field, "not a date (dd/mm/yyyy)");
            None
        }
    }
}

/// Adds someone to unit `code`'s management group. Errors: 404/403 for the unit; 422 for a
/// unit that is not a district or province, an empty name or title, a phone or email that is
/// not one, dates that are not days from 2000 to a year ahead or end before they start.
pub async fn add(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    input: NewGroupMember,
) -> Result<GroupMember> {
    let mut tx = db.begin_write().await?;
    let unit_id = crate::units::id_of(&mut tx, code).await?;
    allow(&mut tx, scope, Action::GroupManage, unit_id, &format!("unit '{code}'")).await?;
    let level = crate::units::level_of(&mut tx, unit_id).await?;
    if !matches!(level, crate::units::Level::District | crate::units::Level::Province) {
        return Err(Error::field(
            "unit",
            format!(
                "a management group belongs to a district or a province; '{code}' is a {}",
                level.as_str()
            ),
        ));
    }
    let mut p = Problems::default();
    // Names, phone and email are checked as a member's are (the year of birth is not asked).
    let person = crate::teams::members::person_fields(
        &mut p,
        Some(&input.full_name),
        Some("other"),
        Some(Ok(1990)),
        input.phone.as_deref(),
        input.email.as_deref(),
    );
    let title = crate::text::clean(&input.title);
    if title.is_empty() || title.chars().count() > 100 {
        p.add("title", "give their position in the group (at most 100 characters)");
    }
    let office = crate::text::clean(&input.office);
    if office.chars().count() > 200 {
        p.add("office", "at most 200 characters");
    }
    let today = crate::dates::today_iso();
    let from = date_of(&mut p, "from_date", input.from_date.as_deref()).unwrap_or_else(|| today.clone());
    let until = date_of(&mut p, "until_date", input.until_date.as_deref());
    if until.as_deref().is_some_and(|u| u < from.as_str()) {
        p.add("until_date", "is before from_date");
    }
    p.into_result()?;
    // Who is focal point on the new one's first day, for the audit trail of the handover.
    let previous = if input.focal_point { focal_on(&mut tx, unit_id, &from).await? } else { None };
    let replaces = match previous {
        Some(id) => Some(load(&mut tx, id).await?.full_name),
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO management_group (unit_id, full_name, title, office, phone, email, focal_point, from_date, \
         until_date, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(unit_id)
    .bind(&person.full_name)
    .bind(&title)
    .bind(&office)
    .bind(&person.phone)
    .bind(&person.email)
    .bind(i64::from(input.focal_point))
    .bind(&from)
    .bind(&until)
    .bind(now())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    // Everything recorded, as written (the office, contacts and last day included).
    let after = serde_json::json!({"full_name": person.full_name, "title": title, "office": office,
                                   "phone": person.phone, "email": person.email, "focal_point": input.focal_point,
                                   "from_date": from, "until_date": until, "focal_point_before": replaces});
    audit::record(&mut tx, actor, Change::new("create", "management_group", id, Some(unit_id)).after(&after))
        .await?;
    let row = load(&mut tx, id).await?;
    let focal = focal_on(&mut tx, unit_id, &today).await?;
    tx.commit().await?;
    Ok(finish(row, &today, focal))
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<GroupMember> {
    sqlx::query_as::<_, GroupMember>(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("management group member {id}")))
}

/// Records the last day of group member `id` (a focal point stops being it after that day).
/// Errors: 404/403 for their unit; 409 when their last day is recorded already; 422 for a date
/// that is not one or is before they joined.
pub async fn end(
    db: &Db,
    scope: Option<&Principal>,
    actor: &Actor,
    id: i64,
    input: GroupEnd,
) -> Result<GroupMember> {
    let mut tx = db.begin_write().await?;
    let row = load(&mut tx, id).await?;
    let unit_id = crate::units::id_of(&mut tx, &row.unit_code).await?;
    allow(&mut tx, scope, Action::GroupManage, unit_id, &format!("management group member {id}")).await?;
    if let Some(last) = &row.until_date {
        return Err(Error::Conflict(format!(
            "{}'s last day in the group is recorded already ({})",
            row.full_name,
            crate::dates::parse(last).map(crate::dates::display).unwrap_or_else(|| last.clone())
        )));
    }
    let mut p = Problems::default();
    let until = date_of(&mut p, "until_date", Some(&input.until_date));
    if until.is_none() && p.0.is_empty() {
        p.add("until_date", "give the last day");
    }
    if until.as_deref().is_some_and(|u| u < row.from_date.as_str()) {
        p.add("until_date", "is before they joined");
    }
    p.into_result()?;
    sqlx::query("UPDATE management_group SET until_date = $1 WHERE id = $2")
        .bind(&until)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let change = Change::new("end", "management_group", id, Some(unit_id))
        .before(Some(&serde_json::json!({"until_date": row.until_date, "focal_point": row.focal == 1})))
        .after(&serde_json::json!({"until_date": until}));
    audit::record(&mut tx, actor, change).await?;
    let row = load(&mut tx, id).await?;
    let today = crate::dates::today_iso();
    let focal = focal_on(&mut tx, unit_id, &today).await?;
    tx.commit().await?;
    Ok(finish(row, &today, focal))
}
