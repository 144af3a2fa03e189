//! The management group (Tổ quản lý, Ban chỉ đạo) a district's Culture and Information office
//! sets up to guide the teams, and its **focal point** (đầu mối): the one person the province
//! and the communes call. A unit has at most one focal point at a time: naming a new one
//! ends the previous one's role as focal point (they stay in the group).
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
    /// The unit's focal point from `from_date` (the previous one stops being it).
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
    /// The unit's focal point.
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

fn finish(mut m: GroupMember, today: &str) -> GroupMember {
    m.focal_point = m.focal == 1;
    m.current = m.from_date.as_str() <= today && m.until_date.as_deref().is_none_or(|u| u >= today);
    m
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
    for row in rows {
        let id = crate::units::id_of(conn, &row.unit_code).await?;
        if crate::units::ancestors_or_self(conn, id, &today).await?.contains(&unit_id) {
            out.push(finish(row, &today));
        }
    }
    let mut sorted: Vec<GroupMember> = Vec::with_capacity(out.len());
    // Current members before former ones, keeping the order above within each.
    sorted.extend(out.iter().filter(|m| m.current).cloned());
    sorted.extend(out.into_iter().filter(|m| !m.current));
    Ok(sorted)
}

fn date_of(p: &mut Problems, field: &str, given: Option<&str>) -> Option<String> {
    let given = given.map(str::trim).filter(|g| !g.is_empty())?;
    match crate::dates::parse(given) {
        Some(d) => Some(crate::dates::iso(d)),
        None => {
            p.add(field, "not a date (dd/mm/yyyy)");
            None
        }
    }
}

/// Adds someone to unit `code`'s management group. Errors: 404/403 for the unit; 422 for an
/// empty name or title, a phone or email that is not one, bad dates.
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
    if input.focal_point {
        sqlx::query("UPDATE management_group SET focal_point = 0 WHERE unit_id = $1 AND focal_point = 1")
            .bind(unit_id)
            .execute(&mut *tx)
            .await?;
    }
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
    let after = serde_json::json!({"full_name": person.full_name, "title": title, "focal_point": input.focal_point, "from_date": from});
    audit::record(&mut tx, actor, Change::new("create", "management_group", id, Some(unit_id)).after(&after))
        .await?;
    let row = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(finish(row, &today))
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<GroupMember> {
    sqlx::query_as::<_, GroupMember>(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("management group member {id}")))
}

/// Records the last day of group member `id` (a focal point stops being it). Errors: 404/403
/// for their unit; 422 for a date that is not one or is before they joined.
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
    let mut p = Problems::default();
    let until = date_of(&mut p, "until_date", Some(&input.until_date));
    if until.is_none() && p.0.is_empty() {
        p.add("until_date", "give the last day");
    }
    if until.as_deref().is_some_and(|u| u < row.from_date.as_str()) {
        p.add("until_date", "is before they joined");
    }
    p.into_result()?;
    sqlx::query("UPDATE management_group SET until_date = $1, focal_point = 0 WHERE id = $2")
        .bind(&until)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let change = Change::new("end", "management_group", id, Some(unit_id))
        .before(Some(&serde_json::json!({"until_date": row.until_date, "focal_point": row.focal == 1})))
        .after(&serde_json::json!({"until_date": until, "focal_point": false}));
    audit::record(&mut tx, actor, change).await?;
    let row = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(finish(row, &crate::dates::today_iso()))
}
