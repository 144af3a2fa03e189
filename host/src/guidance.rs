//! Guidance documents: the Culture and Information office publishes files (PDF, DOCX, XLSX,
//! PNG, JPEG) or links for the units below it, with a title, an audience (which levels of unit,
//! which roles; empty: everyone) and a validity; the teams in scope see them on their home page.
//!
//! Uploads are judged by their **content**: the bytes must be one of the five types (by magic
//! numbers and, for DOCX and XLSX, their OOXML parts; the `infer` crate), and the file name's
//! extension must be that type's, so a program renamed `.pdf` or a spreadsheet renamed `.docx`
//! is refused. A file name is a name, not a path (no `/`, `\`, `..`, control characters, or
//! leading dot). Files are at most [`MAX_FILE_BYTES`].
//!
//! Files are stored **content-addressed** by SHA-256 ([`store`]): on disk under the data
//! directory for SQLite, in the database (table `blobs`) for PostgreSQL, so that every server
//! of a scaled-out instance reads the same files. They are served as attachments with
//! `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy, never rendered
//! by the browser as a page of ours.

mod routes;
pub mod store;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use utoipa::ToSchema;

pub use routes::routes;
pub use store::Store;

use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal, Role};
use crate::db::{Db, now};
use crate::error::{Error, Problems, Result};
use crate::reports::submissions::allow;
use crate::units::Level;

/// The largest file accepted: 5 MiB, enough for a scanned guidance letter of several pages.
pub const MAX_FILE_BYTES: usize = 5 << 20;
const MAX_TITLE: usize = 300;
const MAX_FILE_NAME: usize = 200;
const MAX_LINK: usize = 2000;

/// The file types accepted: (extension, media type).
pub const TYPES: [(&str, &str); 5] = [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
];

/// What a guidance document is about, apart from its content.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GuidanceMeta {
    /// E.g. "Hướng dẫn cài đặt VNeID mức 2".
    pub title: String,
    /// The uploaded file's name, e.g. `huong-dan-vneid.pdf` (a file; leave out for a link).
    pub file_name: Option<String>,
    /// An https link instead of a file (the body is then empty).
    pub link: Option<String>,
    /// Levels of unit that see it, comma-separated (district, commune, village); empty: all.
    pub levels: Option<String>,
    /// Roles that see it, comma-separated (e.g. team_leader,commune_officer); empty: all.
    pub roles: Option<String>,
    /// First day it is shown (default today), dd/mm/yyyy or yyyy-mm-dd.
    pub valid_from: Option<String>,
    /// Last day it is shown (none: until withdrawn).
    pub valid_until: Option<String>,
}

/// A published guidance document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Guidance {
    pub id: i64,
    /// The publishing unit.
    pub unit_code: String,
    pub unit_name: String,
    pub title: String,
    pub link: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    pub sha256: Option<String>,
    /// Where the file is served: `/api/v1/guidance/{id}/file`.
    pub download: Option<String>,
    pub levels: Vec<String>,
    pub roles: Vec<String>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    /// Whether it is shown today.
    pub in_effect: bool,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    unit_id: i64,
    title: String,
    link: Option<String>,
    sha256: Option<String>,
    media_type: Option<String>,
    file_name: Option<String>,
    size: Option<i64>,
    levels: String,
    roles: String,
    valid_from: String,
    valid_until: Option<String>,
    created_at: String,
    created_by: String,
}

const COLUMNS: &str = "id, unit_id, title, link, sha256, media_type, file_name, size, levels, roles, valid_from, \
     valid_until, created_at, created_by";

impl Row {
    fn levels(&self) -> Vec<String> {
        serde_json::from_str(&self.levels).unwrap_or_default()
    }

    fn roles(&self) -> Vec<String> {
        serde_json::from_str(&self.roles).unwrap_or_default()
    }

    fn in_effect(&self, today: &str) -> bool {
        self.valid_from.as_str() <= today && self.valid_until.as_deref().is_none_or(|u| u >= today)
    }

    /// Whether the audience includes a holder of `role` at a unit of `level`.
    fn addressed_to(&self, level: Level, role: Role) -> bool {
        let (levels, roles) = (self.levels(), self.roles());
        (levels.is_empty() || levels.iter().any(|l| l == level.as_str()))
            && (roles.is_empty() || roles.iter().any(|r| r == role.as_str()))
    }
}

async fn view(conn: &mut AnyConnection, row: Row, today: &str) -> Result<Guidance> {
    Ok(Guidance {
        id: row.id,
        unit_code: crate::units::code_of(conn, row.unit_id).await?,
        unit_name: crate::commendations::campaigns::unit_name(conn, row.unit_id).await?,
        levels: row.levels(),
        roles: row.roles(),
        in_effect: row.in_effect(today),
        download: row.sha256.as_ref().map(|_| format!("/api/v1/guidance/{}/file", row.id)),
        title: row.title,
        link: row.link,
        file_name: row.file_name,
        media_type: row.media_type,
        size: row.size,
        sha256: row.sha256,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

/// The type of `bytes` named `file_name`: its (extension, media type) from [`TYPES`], when the
/// content is of an accepted type and the name's extension is that type's (`.jpeg` for JPEG
/// too). Errors name the field `file`.
pub fn recognise(file_name: &str, bytes: &[u8]) -> Result<(&'static str, &'static str)> {
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let extension = if extension == "jpeg" { "jpg".to_string() } else { extension };
    let found = infer::get(bytes).map(|t| t.mime_type());
    let Some(kind) = TYPES.iter().find(|(_, mime)| Some(*mime) == found) else {
        return Err(Error::field(
            "file",
            format!(
                "the content is {}, not one of PDF, DOCX, XLSX, PNG or JPEG",
                found.unwrap_or("not a recognised type")
            ),
        ));
    };
    if kind.0 != extension {
        return Err(Error::field(
            "file_name",
            format!(
                "the content is {} but the name ends in '.{extension}': name it .{}",
                kind.0.to_uppercase(),
                kind.0
            ),
        ));
    }
    Ok(*kind)
}

/// A file name that is a plain name: not empty, at most 200 characters, no path separators,
/// no `..`, no control characters, not starting with a dot.
pub fn check_file_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_FILE_NAME {
        return Err(format!("give a file name of 1 to {MAX_FILE_NAME} characters"));
    }
    if name.contains(['/', '\\']) || name.contains("..") || name.starts_with('.') {
        return Err("a file name, not a path: no '/', '\\', '..' or leading '.'".into());
    }
    if let Some(c) = crate::text::forbidden_char(name) {
        return Err(crate::text::forbidden_reason(c));
    }
    Ok(())
}

/// A link officials can open: an `https://` address of at most 2,000 characters, as the URL
/// standard parses it, naming a host by name (with a dot: `vneid.gov.vn`) or address, with no
/// user name or password in it (`https://gov.vn@evil.example` shows one site and opens another).
pub fn check_link(link: &str) -> std::result::Result<(), String> {
    let general = || format!("an https:// address of a site, of at most {MAX_LINK} characters");
    if link.len() > MAX_LINK
        || link.chars().any(char::is_whitespace)
        || crate::text::forbidden_char(link).is_some()
    {
        return Err(general());
    }
    let url = url::Url::parse(link).map_err(|_| general())?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) if d.contains('.') && !d.starts_with('.') && !d.ends_with('.') => true,
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        _ => false,
    };
    if url.scheme() != "https" || !host {
        return Err(general());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a link may not hold a user name or password ('…@')".into());
    }
    Ok(())
}

fn list_of<T>(
    p: &mut Problems,
    field: &str,
    given: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    for word in given.unwrap_or("").split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if parse(word).is_none() {
            p.add(field, format!("'{word}' is not known"));
        } else if !out.iter().any(|o: &String| o == word) {
            out.push(word.to_string());
        }
    }
    out
}

fn day(p: &mut Problems, field: &str, given: Option<&str>) -> Option<String> {
    let given = given.map(str::trim).filter(|g| !g.is_empty())?;
    match crate::dates::parse(given) {
        Some(d) => Some(crate::dates::iso(d)),
        None => {
            p.add(field, "not a date (dd/mm/yyyy)");
            None
        }
    }
}

/// Publishes a guidance document at unit `code`: `bytes` is the file (empty for a link).
/// Errors: 404/403 for the unit; 413 for a file over [`MAX_FILE_BYTES`]; 422 for a missing
/// title, a file name that is a path, content of another type than its name says or of no
/// accepted type, a link that is not https, both a file and a link or neither, unknown levels
/// or roles, bad dates.
pub async fn publish(
    db: &Db,
    store: &Store,
    scope: Option<&Principal>,
    actor: &Actor,
    code: &str,
    meta: GuidanceMeta,
    bytes: &[u8],
) -> Result<Guidance> {
    let mut conn = db.pool.acquire().await?;
    let unit_id = crate::units::id_of(&mut conn, code).await?;
    allow(&mut conn, scope, Action::GuidanceManage, unit_id, &format!("unit '{code}'")).await?;
    drop(conn);
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::PayloadTooLarge(format!(
            "the file is {}: guidance files are at most {}",
            crate::api::human_size(bytes.len()),
            crate::api::human_size(MAX_FILE_BYTES)
        )));
    }
    let mut p = Problems::default();
    let title = crate::text::clean(&meta.title);
    // The text as sent: cleaning would turn NEL, VT and FF into spaces.
    if let Some(c) = crate::text::forbidden_char(&meta.title) {
        p.add("title", crate::text::forbidden_reason(c));
    } else if title.is_empty() || title.chars().count() > MAX_TITLE {
        p.add("title", format!("give a title of 1 to {MAX_TITLE} characters"));
    }
    let link = meta.link.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let mut file = None;
    match (link, bytes.is_empty()) {
        (Some(_), false) => p.add("link", "send a file or a link, not both"),
        (None, true) => p.add("file", "send the file as the request body, or give a link"),
        (Some(l), true) => {
            if let Err(message) = check_link(l) {
                p.add("link", message);
            }
        }
        (None, false) => {
            // Forbidden characters judged as sent (cleaning turns NEL into a space), the rest on
            // the cleaned name that is kept.
            let sent = meta.file_name.as_deref().unwrap_or("");
            let name = crate::text::clean(sent);
            let forbidden = crate::text::forbidden_char(sent).map(|c| Err(crate::text::forbidden_reason(c)));
            match forbidden.unwrap_or_else(|| check_file_name(&name)) {
                Err(message) => p.add("file_name", message),
                Ok(()) => match recognise(&name, bytes) {
                    Ok((_, mime)) => file = Some((name, mime)),
                    Err(Error::Validation(errors)) => p.0.extend(errors),
                    Err(e) => return Err(e),
                },
            }
        }
    }
    let levels = list_of(&mut p, "levels", meta.levels.as_deref(), Level::parse);
    let roles = list_of(&mut p, "roles", meta.roles.as_deref(), Role::parse);
    let today = crate::dates::today_iso();
    let valid_from = day(&mut p, "valid_from", meta.valid_from.as_deref()).unwrap_or_else(|| today.clone());
    let valid_until = day(&mut p, "valid_until", meta.valid_until.as_deref());
    if valid_until.as_deref().is_some_and(|u| u < valid_from.as_str()) {
        p.add("valid_until", "is before valid_from");
    }
    p.into_result()?;
    let sha256 = match &file {
        Some(_) => Some(store.put(db, bytes).await?),
        None => None,
    };
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO guidance_documents (unit_id, title, link, sha256, media_type, file_name, size, levels, roles, \
         valid_from, valid_until, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(unit_id)
    .bind(&title)
    .bind(link)
    .bind(&sha256)
    .bind(file.as_ref().map(|f| f.1))
    .bind(file.as_ref().map(|f| f.0.clone()))
    .bind(file.as_ref().map(|_| bytes.len() as i64))
    .bind(serde_json::to_string(&levels).unwrap_or_default())
    .bind(serde_json::to_string(&roles).unwrap_or_default())
    .bind(&valid_from)
    .bind(&valid_until)
    .bind(now())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let after = serde_json::json!({"title": title, "link": link, "sha256": sha256, "levels": levels, "roles": roles,
                                   "valid_from": valid_from, "valid_until": valid_until});
    audit::record(&mut tx, actor, Change::new("publish", "guidance", id, Some(unit_id)).after(&after))
        .await?;
    let row = load(&mut tx, id).await?;
    let shown = view(&mut tx, row, &today).await?;
    tx.commit().await?;
    Ok(shown)
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Row> {
    sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM guidance_documents WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("guidance document {id}")))
}

/// Whether `principal` is in the audience of `row` today: the caller may manage guidance at
/// its unit, or holds a role the audience names at a unit at or below it, of a level it names.
async fn reaches(conn: &mut AnyConnection, principal: &Principal, row: &Row, today: &str) -> Result<bool> {
    let target = crate::auth::Target { unit_id: row.unit_id, team_id: None };
    if principal.can(conn, Action::GuidanceManage, target).await? {
        return Ok(true);
    }
    if !row.in_effect(today) {
        return Ok(false);
    }
    for a in &principal.assignments {
        if !crate::units::ancestors_or_self(conn, a.unit_id, today).await?.contains(&row.unit_id) {
            continue;
        }
        let level = crate::units::version_on(conn, a.unit_id, today).await?.map(|v| v.level());
        if let Some(level) = level
            && row.addressed_to(level, a.role)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The guidance documents `principal` is addressed: in effect today, published at or above
/// the units of their roles for those levels and roles, newest first (and, for those who
/// publish, everything published where they may, in effect or not).
pub async fn for_principal(conn: &mut AnyConnection, principal: &Principal) -> Result<Vec<Guidance>> {
    let today = crate::dates::today_iso();
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM guidance_documents ORDER BY valid_from DESC, id DESC LIMIT 500"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        if reaches(conn, principal, &row, &today).await? {
            out.push(view(conn, row, &today).await?);
        }
    }
    Ok(out)
}

/// The guidance documents published at unit `code` (all of them, in effect or not), for the
/// callers who may read the unit.
pub async fn published_at(
    conn: &mut AnyConnection,
    scope: Option<&Principal>,
    code: &str,
) -> Result<Vec<Guidance>> {
    let unit_id = crate::units::id_of(conn, code).await?;
    allow(conn, scope, Action::TeamsRead, unit_id, &format!("unit '{code}'")).await?;
    let today = crate::dates::today_iso();
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM guidance_documents WHERE unit_id = $1 ORDER BY valid_from DESC, id DESC"
    ))
    .bind(unit_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        out.push(view(conn, row, &today).await?);
    }
    Ok(out)
}

/// A guidance file to download: (file name, media type, bytes). Errors: 404 for an unknown
/// document, a link, or one the caller is not addressed.
pub async fn file(
    db: &Db,
    store: &Store,
    principal: &Principal,
    id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let mut conn = db.pool.acquire().await?;
    let row = load(&mut conn, id).await?;
    let today = crate::dates::today_iso();
    if !reaches(&mut conn, principal, &row, &today).await? {
        return Err(Error::NotFound(format!("guidance document {id}")));
    }
    drop(conn);
    let (Some(sha256), Some(name), Some(mime)) = (row.sha256, row.file_name, row.media_type) else {
        return Err(Error::NotFound(format!("a file of guidance document {id} (it is a link)")));
    };
    let bytes = store.get(db, &sha256).await?;
    Ok((name, mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names_not_paths() {
        assert!(check_file_name("huong-dan VNeID.pdf").is_ok());
        for bad in
            ["../../etc/passwd", "a/b.pdf", "a\\b.pdf", ".htaccess", "", "a\u{0}.pdf", "tai\u{202E}fdp.exe"]
        {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn links_are_https_addresses_of_a_site_without_credentials() {
        for good in ["https://vneid.gov.vn/huong-dan?x=1#a", "https://binhdinh.gov.vn", "https://10.0.0.1/a"]
        {
            assert_eq!(check_link(good), Ok(()), "{good}");
        }
        for bad in [
            "https://",
            "https:///path",
            "https://localhost/x",
            "http://vneid.gov.vn",
            "javascript:alert(1)",
            "https://vneid.gov.vn@evil.example/",
            "https://user:pw@vneid.gov.vn/",
            "https://vneid.gov.vn/a b",
            "https://vneid.gov.vn/\u{202E}",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
        assert!(check_link(&format!("https://a.vn/{}", "x".repeat(2000))).is_err());
    }

    #[test]
    fn the_content_decides_the_type_and_the_name_must_agree() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
        assert_eq!(recognise("a.pdf", pdf).unwrap().0, "pdf");
        assert_eq!(recognise("a.PDF", pdf).unwrap().0, "pdf");
        // A PDF named as a document, a program named as a PDF, text named as a PDF.
        assert!(recognise("a.docx", pdf).is_err());
        assert!(recognise("a.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff").is_err());
        assert!(recognise("a.pdf", b"<html><script>alert(1)</script></html>").is_err());
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        assert_eq!(recognise("a.png", png).unwrap().1, "image/png");
        assert_eq!(recognise("a.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").unwrap().0, "jpg");
    }
}
