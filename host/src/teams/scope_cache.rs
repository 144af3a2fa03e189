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
//! only to a request that read the same version (save for large scopes, below), so:
//!
//! - an officer's next page shows the change they just made (its commit moved the version);
//! - a change by another process (a CLI import on the same SQLite file, another instance on
//!   the same PostgreSQL) is seen by the next request on every instance, with no notice;
//! - an entry computed from data newer than its version (a write landed while it was being
//!   computed) is only served until the next read of the version sees that write.
//!
//! **Large scopes are refreshed in the background.** The country's figures take about a
//! second to compute (74,422 teams), and where communes edit their teams every second the
//! version moves more often than that: every request would wait for a computation. A cache
//! made with [`ScopeCache::in_background_when`] serves figures that meet its test (the home
//! page's: more than [`BACKGROUND_TEAMS`] active teams) from the newest computation while
//! one task computes them again, and says so ([`Served::refreshing`]; the page shows a note).
//! Smaller scopes (a province, a district, a commune) are always computed for the version
//! read: an officer's next page shows the change they just made.
//!
//! **Cost.** A request reads the version (one row) and, on a hit, nothing else of the scope.
//! Concurrent requests for a missing entry wait for one computation (quick_cache's
//! placeholder), instead of each passing over the scope. Entries of older versions are never
//! served again (save a large scope's newest, while it is refreshed) and give way to newer ones
//! ([`CAPACITY`] entries per cache, least recently used first out).

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::AnyConnection;

use crate::db::Db;
use crate::error::Result;

/// Entries kept per cache: a scope's entry is a few KB (counts and three short lists), so a
/// thousand scopes (every district of several provinces, each with its officers) fit in a
/// few MB.
pub const CAPACITY: usize = 1024;

/// The home page's and the dashboard's test for a scope refreshed in the background: more
/// active teams than the largest province has (Hà Nội: 4,066 of the national dataset's
/// 74,422; its figures take 30-40 ms), so in practice the country and several provinces.
pub const BACKGROUND_TEAMS: i64 = 10_000;

/// A state of the data scope pages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Writes to `team_checks` (SQLite: rows written; PostgreSQL: transactions that wrote).
    pub changes: i64,
    /// The unit tree's epoch (`check_epoch`).
    pub epoch: i64,
}

impl Version {
    /// Whether `self` is a later state of the data than `other` (both counters only grow).
    fn is_after(&self, other: &Version) -> bool {
        (self.epoch, self.changes) > (other.epoch, other.changes)
    }
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

/// One scope on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ScopeKey {
    /// The scope's root units, sorted, without repeats.
    roots: Vec<i64>,
    /// The day the figures are for (ISO).
    day: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scope: ScopeKey,
    version: Version,
}

/// Figures of a scope as [`ScopeCache::get`] serves them.
#[derive(Debug)]
pub struct Served<V> {
    pub figures: Arc<V>,
    /// True when these are the newest figures computed but the data has changed since, and
    /// they are being computed again in the background (large scopes only).
    pub refreshing: bool,
}

impl<V> std::ops::Deref for Served<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.figures
    }
}

/// Scope figures of one kind (`V`: what one page computes), by scope, day and [`Version`].
pub struct ScopeCache<V> {
    /// For the metrics: which page's figures.
    page: &'static str,
    entries: Arc<quick_cache::sync::Cache<Key, Arc<V>>>,
    /// The newest figures computed of each scope, with their version.
    latest: Arc<quick_cache::sync::Cache<ScopeKey, (Version, Arc<V>)>>,
    /// Scopes being computed in the background now: one task each.
    refreshing: Arc<Mutex<HashSet<ScopeKey>>>,
    /// Which figures are served while they are computed again ([`ScopeCache::in_background_when`]).
    in_background: fn(&V) -> bool,
}

impl<V: Send + Sync + 'static> ScopeCache<V> {
    /// An empty cache of the figures of `page` (a label for `sohoa_scope_cache_total`), every
    /// scope computed for the version a request reads.
    pub fn new(page: &'static str) -> Self {
        ScopeCache {
            page,
            entries: Arc::new(quick_cache::sync::Cache::new(CAPACITY)),
            latest: Arc::new(quick_cache::sync::Cache::new(CAPACITY)),
            refreshing: Arc::default(),
            in_background: |_| false,
        }
    }

    /// The cache, serving a scope whose newest figures meet `test` from those figures while
    /// they are computed again in the background, once the data has changed under them.
    pub fn in_background_when(mut self, test: fn(&V) -> bool) -> Self {
        self.in_background = test;
        self
    }

    /// The figures of the `roots` subtrees on `day` (ISO) as the data is now: kept ones of
    /// the current [`Version`], or `compute`'s, kept for the next request. Concurrent callers
    /// of one scope and version wait for one `compute`. A large scope (see
    /// [`ScopeCache::in_background_when`]) whose data has changed is served its newest figures,
    /// marked [`Served::refreshing`], while one task runs `compute`. Errors: the database's,
    /// reading the version; `compute`'s, which is not kept (the next caller computes again;
    /// in the background, it is logged).
    pub async fn get<F, Fut>(&self, db: &Db, roots: &[i64], day: &str, compute: F) -> Result<Served<V>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V>> + Send + 'static,
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
        let key = Key { scope: ScopeKey { roots, day: day.to_string() }, version };
        if let Some(figures) = self.entries.get(&key) {
            self.count("kept");
            return Ok(Served { figures, refreshing: false });
        }
        if let Some((newest, figures)) = self.latest.get(&key.scope)
            && version.is_after(&newest)
            && (self.in_background)(&figures)
        {
            self.refresh_in_background(key, compute);
            self.count("behind");
            return Ok(Served { figures, refreshing: true });
        }
        let computed = AtomicBool::new(false);
        let figures = self
            .entries
            .get_or_insert_async(&key, async {
                computed.store(true, Ordering::Relaxed);
                compute().await.map(Arc::new)
            })
            .await?;
        if computed.load(Ordering::Relaxed) {
            note_latest(&self.latest, &key, &figures);
            self.count("computed");
        } else {
            self.count("kept");
        }
        Ok(Served { figures, refreshing: false })
    }

    /// Starts `compute` for `key` in a task of its own, unless one is running for its scope.
    fn refresh_in_background<F, Fut>(&self, key: Key, compute: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V>> + Send + 'static,
    {
        if !self.refreshing.lock().unwrap_or_else(|e| e.into_inner()).insert(key.scope.clone()) {
            return;
        }
        // Whatever happens to the task (an error, a panic), the scope is free again after it.
        struct Release(Arc<Mutex<HashSet<ScopeKey>>>, ScopeKey);
        impl Drop for Release {
            fn drop(&mut self) {
                self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.1);
            }
        }
        let release = Release(self.refreshing.clone(), key.scope.clone());
        let (entries, latest, page) = (self.entries.clone(), self.latest.clone(), self.page);
        tokio::spawn(async move {
            let _release = release;
            match compute().await {
                Ok(figures) => {
                    let figures = Arc::new(figures);
                    entries.insert(key.clone(), figures.clone());
                    note_latest(&latest, &key, &figures);
                    metrics::counter!("sohoa_scope_cache_total", "page" => page, "outcome" => "computed")
                        .increment(1);
                }
                Err(e) => {
                    tracing::warn!(page, error = %e, "scope figures could not be refreshed in the background")
                }
            }
        });
    }

    fn count(&self, outcome: &'static str) {
        metrics::counter!("sohoa_scope_cache_total", "page" => self.page, "outcome" => outcome).increment(1);
    }
}

/// Records `figures` as the newest of their scope unless newer ones are there already (a slow
/// computation of an older version finishing last).
fn note_latest<V>(latest: &quick_cache::sync::Cache<ScopeKey, (Version, Arc<V>)>, key: &Key, figures: &Arc<V>)
where
    V: Send + Sync + 'static,
{
    let newer_there = latest.get(&key.scope).is_some_and(|(v, _)| v.is_after(&key.version));
    if !newer_there {
        latest.insert(key.scope.clone(), (key.version, figures.clone()));
    }
}

impl<V> std::fmt::Debug for ScopeCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeCache").field("page", &self.page).field("entries", &self.entries.len()).finish()
    }
}
