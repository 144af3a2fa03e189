//! What a home page or a dashboard shows of a whole scope, kept in memory and served again
//! until the data under it changes.
//!
//! **Why.** The country's home page passes over its 74,422 teams and 10,599 communes: 400-500
//! ms of indexed queries, Hà Nội's 30-37 ms (docs/BENCHMARKS.md). Under 16 connections on 2
//! cores each request waits for the others', and the p99 went to seconds. Yet those figures
//! change only when a team, its members, its placement, its findings or the unit tree change,
//! which is rarely next to how often the pages are read.
//!
//! **When an entry is current.** Every such change passes through `team_checks` (migration
//! 0011's triggers mark a team's row when the team, its memberships, its members' records or
//! its placement change; a binding's change marks its subtree; a refresher stores findings
//! there) or moves `check_epoch` (the unit tree). Migration 0014 counts the changes to
//! `team_checks` in `scope_version`, in the writer's own transaction; [`Version`] is that count
//! with the epoch, read in one query. An entry is kept under (scope, day, version) and served
//! only to a request that read the same version, so:
//!
//! - an officer's next page shows the change they just made (its commit moved the version);
//! - a change by another process (a CLI import on the same SQLite file, another instance on
//!   the same PostgreSQL) is seen by the next request on every instance, with no notice;
//! - an entry computed from data newer than its version (a write landed while it was being
//!   computed) is only served until the next read of the version sees that write.
//!
//! **Cost.** A request reads the version (one row) and, on a hit, nothing else of the scope.
//! Concurrent requests for a missing entry wait for one computation (quick_cache's
//! placeholder), instead of each passing over the scope. Entries of older versions are never
//! served again and give way to newer ones ([`CAPACITY`] entries per cache, least recently
//! used first out).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::AnyConnection;

use crate::db::Db;
use crate::error::Result;

/// Entries kept per cache: a scope's entry is a few KB (counts and three short lists), so a
/// thousand scopes (every district of several provinces, each with its officers) fit in a
/// few MB.
pub const CAPACITY: usize = 1024;

/// A state of the data scope pages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Writes to `team_checks` (SQLite: rows written; PostgreSQL: transactions that wrote).
    pub changes: i64,
    /// The unit tree's epoch (`check_epoch`).
    pub epoch: i64,
}

/// Reads the current [`Version`]. Errors: the database's.
pub async fn version(conn: &mut AnyConnection) -> Result<Version> {
    let (changes, epoch): (i64, i64) = sqlx::query_as(
        "SELECT s.n, e.n FROM scope_version s CROSS JOIN check_epoch e WHERE s.id = 1 AND e.id = 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Version { changes, epoch })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The scope's root units, sorted, without repeats.
    roots: Vec<i64>,
    /// The day the figures are for (ISO).
    day: String,
    version: Version,
}

/// Scope figures of one kind (`V`: what one page computes), by scope, day and [`Version`].
pub struct ScopeCache<V> {
    /// For the metrics: which page's figures.
    page: &'static str,
    entries: quick_cache::sync::Cache<Key, Arc<V>>,
}

impl<V: Send + Sync + 'static> ScopeCache<V> {
    /// An empty cache of the figures of `page` (a label for `sohoa_scope_cache_total`).
    pub fn new(page: &'static str) -> Self {
        ScopeCache { page, entries: quick_cache::sync::Cache::new(CAPACITY) }
    }

    /// The figures of the `roots` subtrees on `day` (ISO) as the data is now: kept ones of
    /// the current [`Version`], or `compute`'s, kept for the next request. Concurrent callers
    /// of one scope and version wait for one `compute`. Errors: the database's, reading the
    /// version; `compute`'s, which is not kept (the next caller computes again).
    pub async fn get<F, Fut>(&self, db: &Db, roots: &[i64], day: &str, compute: F) -> Result<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V>>,
    {
        // Read before computing: what is computed is at least as new as the version it is
        // kept under.
        let version = {
            let mut conn = db.pool.acquire().await?;
            version(&mut conn).await?
        };
        let mut roots = roots.to_vec();
        roots.sort_unstable();
        roots.dedup();
        let key = Key { roots, day: day.to_string(), version };
        let computed = AtomicBool::new(false);
        let value = self
            .entries
            .get_or_insert_async(&key, async {
                computed.store(true, Ordering::Relaxed);
                compute().await.map(Arc::new)
            })
            .await?;
        let outcome = if computed.load(Ordering::Relaxed) { "computed" } else { "kept" };
        metrics::counter!("sohoa_scope_cache_total", "page" => self.page, "outcome" => outcome).increment(1);
        Ok(value)
    }
}

impl<V> std::fmt::Debug for ScopeCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeCache").field("page", &self.page).field("entries", &self.entries.len()).finish()
    }
}
