//! Content-addressed file storage: a file is named by the SHA-256 of its bytes, so storing the
//! same file twice keeps one copy and a stored file never changes under its name.
//!
//! SQLite instances keep files on disk under `<data_dir>/files/<first two hex digits>/<sha256>`,
//! written to a temporary file in the same directory and renamed into place (a crash leaves
//! either no file or the whole file). PostgreSQL instances keep them in the `blobs` table, which
//! every server of the instance shares and the database's backups include.

use std::path::PathBuf;

use crate::db::{Backend, Db, now};
use crate::error::{Error, Result};

/// Where files go.
#[derive(Debug, Clone)]
pub enum Store {
    /// A directory (SQLite instances).
    Disk(PathBuf),
    /// The database's `blobs` table (PostgreSQL instances).
    Database,
}

impl Store {
    /// The store for an instance: the database's own for PostgreSQL, `<data_dir>/files` for
    /// SQLite.
    pub fn for_instance(db: &Db, data_dir: &std::path::Path) -> Store {
        match db.backend {
            Backend::Postgres => Store::Database,
            Backend::Sqlite => Store::Disk(data_dir.join("files")),
        }
    }

    fn path(dir: &std::path::Path, sha256: &str) -> PathBuf {
        dir.join(&sha256[..2]).join(sha256)
    }

    /// Stores `bytes` and returns their SHA-256 (hex). Errors: the disk's or the database's.
    pub async fn put(&self, db: &Db, bytes: &[u8]) -> Result<String> {
        let sha256 = crate::plugins::registry::sha256_hex(bytes);
        match self {
            Store::Disk(dir) => {
                let path = Self::path(dir, &sha256);
                if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    return Ok(sha256);
                }
                let parent = path.parent().expect("a file under a directory").to_path_buf();
                let bytes = bytes.to_vec();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&parent)?;
                    let mut temp = tempfile::NamedTempFile::new_in(&parent)?;
                    std::io::Write::write_all(&mut temp, &bytes)?;
                    temp.as_file().sync_all()?;
                    temp.persist(&path).map_err(|e| e.error)?;
                    Ok(())
                })
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
                .map_err(|e| Error::Internal(format!("storing a file: {e}")))?;
            }
            Store::Database => {
                sqlx::query(
                    "INSERT INTO blobs (sha256, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&sha256)
                .bind(bytes.to_vec())
                .bind(now())
                .execute(&db.pool)
                .await?;
            }
        }
        Ok(sha256)
    }

    /// The bytes stored under `sha256`. Errors: 500 when they are missing or do not match
    /// their name (the store was damaged).
    pub async fn get(&self, db: &Db, sha256: &str) -> Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Internal(format!("'{sha256}' is not a SHA-256")));
        }
        let bytes = match self {
            Store::Disk(dir) => tokio::fs::read(Self::path(dir, sha256))
                .await
                .map_err(|e| Error::Internal(format!("stored file {sha256}: {e}")))?,
            Store::Database => sqlx::query_scalar::<_, Vec<u8>>("SELECT bytes FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| Error::Internal(format!("stored file {sha256} is missing")))?,
        };
        if crate::plugins::registry::sha256_hex(&bytes) != sha256 {
            return Err(Error::Internal(format!("stored file {sha256} does not match its name")));
        }
        Ok(bytes)
    }
}
