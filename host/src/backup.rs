//! Backup and restore of an embedded (SQLite) instance: `sohoa backup FILE`, `sohoa restore FILE`.
//!
//! A backup is one zip file:
//! - `sohoa.db`: a consistent copy of the database taken while the server runs, with SQLite's
//!   `VACUUM INTO` (one read transaction: every write committed before it starts is in, none
//!   after; writers are not blocked). Plugins (their components), accounts, audit, reports and
//!   everything else live in the database, so they come with it.
//! - `files/<xx>/<sha256>`: every guidance file the copied database refers to (the SQLite
//!   instance's file store, [`crate::guidance::Store`]). Files are copied after the database,
//!   and the store writes a file before the row naming it, so every file the copy names exists.
//! - `manifest.json` ([`Manifest`]): the format, sohoa's version, the schema version and each
//!   entry's size and SHA-256.
//!
//! The compiled-code cache (`plugin-cache/`) is not included: it is rebuilt from the components.
//!
//! Restoring checks everything before it touches the data directory: entry names (only the
//! names above, so a crafted archive cannot write outside the directory), sizes and SHA-256
//! against the manifest, `PRAGMA integrity_check` on the database, and a schema no newer than
//! this program knows. Only then does the database move into place; a database already there is
//! kept beside it as `sohoa.db.before-restore-<time>` (with its `-wal` and `-shm`), and only with
//! `--force`. Stop the server before restoring.
//!
//! PostgreSQL instances are backed up with `pg_dump` and restored with `pg_restore` (README,
//! "Backups"): their files are in the database's `blobs` table and go with it.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::config::{SQLITE_FILE, Settings};
use crate::db::{Backend, Db};

/// The version of the archive's layout; restore refuses others.
pub const FORMAT: u32 = 1;

const MANIFEST: &str = "manifest.json";

/// What a backup holds, stored as `manifest.json` inside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The sohoa version that wrote it (Cargo's package version).
    pub sohoa_version: String,
    /// When the copy was taken, RFC 3339 UTC.
    pub created_at: String,
    /// The highest migration applied to the copied database.
    pub schema_version: i64,
    /// Every other entry of the archive, the database first.
    pub entries: Vec<Entry>,
}

/// One file in a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// `sohoa.db` or `files/<xx>/<sha256>`.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// What a backup or restore did, for the command's last line.
#[derive(Debug, Clone)]
pub struct Summary {
    pub manifest: Manifest,
    /// Where the database that was replaced now is (restore with `--force` only).
    pub kept: Option<PathBuf>,
}

/// Why a backup or restore did not happen. Nothing was changed in the data directory.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this instance runs on PostgreSQL: back it up with pg_dump and restore with pg_restore (README, \"Backups\")"
    )]
    Postgres,
    #[error("there is no database at {0} to back up")]
    NoDatabase(String),
    #[error(
        "{0} already holds a database; stop the server and pass --force to replace it (the current one is kept beside it)"
    )]
    Exists(String),
    #[error("{file} is not a sohoa backup: {reason}")]
    NotABackup { file: String, reason: String },
    #[error("{file} is damaged: {reason}")]
    Damaged { file: String, reason: String },
    #[error(
        "{file} was made by a newer sohoa (schema {found}, this program knows up to {known}); restore it with that version"
    )]
    Newer { file: String, found: i64, known: i64 },
    #[error("the guidance file {0} that the database names is missing from the file store")]
    MissingFile(String),
    #[error("{0}")]
    Io(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> BackupError {
    BackupError::Io(format!("{what}: {e}"))
}

/// Writes a backup of the running (or stopped) embedded instance to `file`, replacing it
/// atomically only once the new backup is complete. Errors: [`BackupError::Postgres`],
/// [`BackupError::NoDatabase`], a copy failing its integrity check ([`BackupError::Damaged`]),
/// a guidance file missing from the store, and the disk's own.
pub async fn backup(settings: &Settings, file: &Path) -> Result<Summary, BackupError> {
    if !settings.database.url.is_empty() && !settings.database.url.starts_with("sqlite:") {
        return Err(BackupError::Postgres);
    }
    let live = settings.sqlite_path();
    if settings.database.url.is_empty() && !live.exists() {
        return Err(BackupError::NoDatabase(live.display().to_string()));
    }
    let db = Db::connect(settings).await.map_err(|e| io("opening the database", e))?;
    if db.backend != Backend::Sqlite {
        return Err(BackupError::Postgres);
    }
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Everything is built beside the target and renamed over it at the end.
    let staging = tempfile::Builder::new()
        .prefix(".sohoa-backup-")
        .tempdir_in(&parent)
        .map_err(|e| io(parent.display(), e))?;
    let copy = staging.path().join(SQLITE_FILE);
    let created_at = crate::db::now();
    sqlx::query("VACUUM INTO $1").bind(copy.display().to_string()).execute(&db.pool).await?;
    db.pool.close().await;

    let (schema_version, files) = inspect(&copy)
        .await
        .map_err(|reason| BackupError::Damaged { file: live.display().to_string(), reason })?;
    let store = settings.paths.data_dir.join("files");
    let mut sources = vec![(SQLITE_FILE.to_string(), copy.clone())];
    for sha in files {
        let path = store.join(&sha[..2]).join(&sha);
        if !path.is_file() {
            return Err(BackupError::MissingFile(sha));
        }
        sources.push((format!("files/{}/{sha}", &sha[..2]), path));
    }

    let archive = staging.path().join("backup.zip");
    let file_out = File::create(&archive).map_err(|e| io(archive.display(), e))?;
    let mut zip = zip::ZipWriter::new(file_out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut entries = Vec::new();
    for (name, path) in &sources {
        zip.start_file(name.as_str(), options).map_err(|e| io(name, e))?;
        let mut input = File::open(path).map_err(|e| io(path.display(), e))?;
        let (size, sha256) = copy_hashing(&mut input, &mut zip).map_err(|e| io(path.display(), e))?;
        entries.push(Entry { path: name.clone(), size, sha256 });
    }
    let manifest = Manifest {
        format: FORMAT,
        sohoa_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at,
        schema_version,
        entries,
    };
    zip.start_file(MANIFEST, options).map_err(|e| io(MANIFEST, e))?;
    let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    zip.write_all(&text).map_err(|e| io(MANIFEST, e))?;
    let written = zip.finish().map_err(|e| io(archive.display(), e))?;
    written.sync_all().map_err(|e| io(archive.display(), e))?;
    drop(written);
    std::fs::rename(&archive, file).map_err(|e| io(file.display(), e))?;
    if let Ok(dir) = File::open(&parent) {
        let _ = dir.sync_all();
    }
    Ok(Summary { manifest, kept: None })
}

/// Restores `file` into the configured data directory. Without `force` a data directory that
/// already holds a database is refused ([`BackupError::Exists`]); with it, that database is kept
/// beside the restored one. Errors: [`BackupError::Postgres`], [`BackupError::NotABackup`] (not
/// a zip, no manifest, another format, an entry that is not a database or a stored file),
/// [`BackupError::Damaged`] (a size or SHA-256 that differs from the manifest, an entry the
/// manifest does not list, a failed integrity check), [`BackupError::Newer`], the disk's own.
/// On any error the data directory is as it was.
pub async fn restore(settings: &Settings, file: &Path, force: bool) -> Result<Summary, BackupError> {
    if !settings.database.url.is_empty() {
        // A configured URL is PostgreSQL, or an SQLite file outside the data directory, which
        // restore would not know how to replace safely.
        return Err(if settings.database.url.starts_with("sqlite:") {
            BackupError::Io(
                "restore writes <data_dir>/sohoa.db; unset database.url and pass --data-dir".into(),
            )
        } else {
            BackupError::Postgres
        });
    }
    let name = file.display().to_string();
    let not_a_backup = |reason: String| BackupError::NotABackup { file: name.clone(), reason };
    let damaged = |reason: String| BackupError::Damaged { file: name.clone(), reason };
    let data_dir = settings.paths.data_dir.clone();
    let target = settings.sqlite_path();
    if target.exists() && !force {
        return Err(BackupError::Exists(data_dir.display().to_string()));
    }
    let input = File::open(file).map_err(|e| io(&name, e))?;
    let mut zip = zip::ZipArchive::new(input).map_err(|e| not_a_backup(e.to_string()))?;
    let manifest: Manifest = {
        let mut entry = zip.by_name(MANIFEST).map_err(|_| not_a_backup(format!("it has no {MANIFEST}")))?;
        let mut text = Vec::new();
        entry.by_ref().take(1 << 20).read_to_end(&mut text).map_err(|e| damaged(e.to_string()))?;
        serde_json::from_slice(&text).map_err(|e| not_a_backup(format!("{MANIFEST}: {e}")))?
    };
    if manifest.format != FORMAT {
        return Err(not_a_backup(format!("format {} (this program reads {FORMAT})", manifest.format)));
    }
    let known = crate::db::latest_migration(Backend::Sqlite);
    if manifest.schema_version > known {
        return Err(BackupError::Newer { file: name.clone(), found: manifest.schema_version, known });
    }
    // Every entry of the archive must be listed, and every listed entry must be there.
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| damaged(e.to_string()))?;
        let entry_name = entry.name().to_string();
        if entry_name != MANIFEST && !manifest.entries.iter().any(|e| e.path == entry_name) {
            return Err(damaged(format!("{entry_name} is not in its manifest")));
        }
    }
    if manifest.entries.first().map(|e| e.path.as_str()) != Some(SQLITE_FILE) {
        return Err(not_a_backup(format!("its manifest does not start with {SQLITE_FILE}")));
    }

    std::fs::create_dir_all(&data_dir).map_err(|e| io(data_dir.display(), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".sohoa-restore-")
        .tempdir_in(&data_dir)
        .map_err(|e| io(data_dir.display(), e))?;
    let mut staged = Vec::new();
    for entry in &manifest.entries {
        let relative = entry_path(&entry.path).ok_or_else(|| {
            not_a_backup(format!("'{}' is neither {SQLITE_FILE} nor a stored file", entry.path))
        })?;
        let mut reader =
            zip.by_name(&entry.path).map_err(|_| damaged(format!("{} is missing", entry.path)))?;
        let out_path = staging.path().join(&relative);
        if let Some(dir) = out_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir.display(), e))?;
        }
        let mut out = File::create(&out_path).map_err(|e| io(out_path.display(), e))?;
        // Read at most one byte past the declared size: a lying entry cannot fill the disk.
        let (size, sha256) = copy_hashing(&mut reader.by_ref().take(entry.size + 1), &mut out)
            .map_err(|e| damaged(format!("{}: {e}", entry.path)))?;
        if size != entry.size || sha256 != entry.sha256 {
            return Err(damaged(format!("{} does not match its manifest (size or SHA-256)", entry.path)));
        }
        out.sync_all().map_err(|e| io(out_path.display(), e))?;
        staged.push((relative, out_path));
    }
    let copy = staging.path().join(SQLITE_FILE);
    let (schema_version, files) = inspect(&copy).await.map_err(&damaged)?;
    if schema_version != manifest.schema_version {
        return Err(damaged(format!(
            "its database is at schema {schema_version}, its manifest says {}",
            manifest.schema_version
        )));
    }
    for sha in &files {
        if !staged.iter().any(|(relative, _)| relative.ends_with(sha)) {
            return Err(damaged(format!("the guidance file {sha} that its database names is not in it")));
        }
    }

    // Checked: now move into place. The old database (and its WAL) is kept, never deleted.
    let kept = if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = data_dir.join(format!("{SQLITE_FILE}.before-restore-{stamp}"));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", target.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", kept.display()));
                std::fs::rename(&from, &to).map_err(|e| io(from.display(), e))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    for (relative, path) in staged.iter().skip(1) {
        let to = data_dir.join(relative);
        if to.exists() {
            continue; // content-addressed: the same name is the same bytes
        }
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir.display(), e))?;
        }
        std::fs::rename(path, &to).map_err(|e| io(to.display(), e))?;
    }
    std::fs::rename(&copy, &target).map_err(|e| io(target.display(), e))?;
    if let Ok(dir) = File::open(&data_dir) {
        let _ = dir.sync_all();
    }
    Ok(Summary { manifest, kept })
}

/// The path inside the data directory of an archive entry: `sohoa.db` or
/// `files/<xx>/<64 hex digits>` whose directory is the name's first two digits. None for
/// anything else (`..`, absolute paths, other names).
fn entry_path(name: &str) -> Option<PathBuf> {
    if name == SQLITE_FILE {
        return Some(PathBuf::from(SQLITE_FILE));
    }
    let mut parts = name.split('/');
    let (Some("files"), Some(dir), Some(sha), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (sha.len() == 64 && hex(sha) && dir == &sha[..2]).then(|| Path::new("files").join(dir).join(sha))
}

/// Checks a database copy (`PRAGMA integrity_check`, foreign keys) and returns its schema
/// version and the SHA-256 of every guidance file it names. Errors: what is wrong, as text.
async fn inspect(path: &Path) -> Result<(i64, Vec<String>), String> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.map_err(|e| e.to_string())?;
    let check: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.map_err(|e| e.to_string())?;
    if check != ["ok"] {
        return Err(format!("integrity check: {}", check.join("; ")));
    }
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((table,)) = broken.first() {
        return Err(format!("foreign key check: a row of {table} refers to a missing row"));
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| format!("not a sohoa database ({e})"))?;
    let files: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM guidance_documents WHERE sha256 IS NOT NULL")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())?;
    if let Some(bad) =
        files.iter().find(|s| entry_path(&format!("files/{}/{s}", s.get(..2).unwrap_or(""))).is_none())
    {
        return Err(format!("a guidance document names '{bad}', which is not a SHA-256"));
    }
    Ok((version.unwrap_or(0), files))
}

/// Copies all of `input` to `output`; returns the bytes copied and their SHA-256 (hex).
fn copy_hashing(input: &mut impl Read, output: &mut impl Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n])?;
        total += n as u64;
    }
    let digest = hasher.finalize();
    Ok((total, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_database_and_stored_files_are_restored() {
        let sha = "ab".repeat(32);
        assert_eq!(entry_path("sohoa.db"), Some(PathBuf::from("sohoa.db")));
        assert_eq!(entry_path(&format!("files/ab/{sha}")), Some(Path::new("files").join("ab").join(&sha)));
        for bad in [
            "../sohoa.db".to_string(),
            "/etc/passwd".into(),
            format!("files/cd/{sha}"),
            format!("files/ab/../{sha}"),
            format!("files/ab/{sha}/x"),
            "files/ab/ab".into(),
            format!("files/AB/{}", "AB".repeat(32)),
            "plugin-cache.key".into(),
            "sohoa.db-wal".into(),
        ] {
            assert_eq!(entry_path(&bad), None, "{bad}");
        }
    }
}
