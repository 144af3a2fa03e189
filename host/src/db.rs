//! The database: one pool over SQLite (embedded default) or PostgreSQL (scale-out).
//!
//! Both backends run the *same SQL text* through sqlx's `Any` driver, which is why the schema
//! keeps to a common subset: `$N` placeholders (SQLite accepts them too), dates as ISO-8601
//! `TEXT` (`YYYY-MM-DD`, so text order is date order), timestamps as RFC 3339 UTC `TEXT`, flags
//! as integers, and every id a 64-bit integer. Only the DDL differs, so each backend has its
//! own migration directory with the same numbered files.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::config::Settings;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which engine sits behind the pool; only DDL and a few pragmas care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL advisory lock that write transactions hold: this class ("soho" in ASCII)
/// and the hash of the schema, so instances (and test runs) sharing one database in different
/// schemas do not queue behind each other's writers.
const WRITE_LOCK_CLASS: i32 = 0x736f_686f;

/// A cheap-to-clone handle on the connection pool.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Whose turn it is to write, in this process: one permit, handed out first come, first
    /// served (see [`Db::begin_write`]).
    writers: std::sync::Arc<tokio::sync::Semaphore>,
}

/// A write transaction from [`Db::begin_write`]: the transaction (use it as the connection,
/// `&mut *tx`) and this process's writing turn, given back when it ends. Dropped without
/// [`commit`](WriteTx::commit), it rolls back.
pub struct WriteTx {
    // Declared first: dropped (rolled back, connection returned) before the turn passes on.
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: tokio::sync::OwnedSemaphorePermit,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot connect to the database ({url}): {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot refresh the names' collation keys: {0}")]
    SortKeys(sqlx::Error),
}

impl Db {
    /// Connects using the settings, creating the SQLite data directory when needed.
    /// Does not migrate: callers decide (serve and migrate do, tests do it explicitly).
    pub async fn connect(settings: &Settings) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let url = settings.database_url();
        let backend = if url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        if backend == Backend::Sqlite && settings.database.url.is_empty() {
            let dir = &settings.paths.data_dir;
            std::fs::create_dir_all(dir)
                .map_err(|source| DbError::DataDir { path: dir.display().to_string(), source })?;
        }
        let redacted = redact(&url);
        let connect_err = |source| DbError::Connect { url: redacted.clone(), source };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(connect_err)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let busy_timeout_ms = settings.database.busy_timeout_ms;
        let pool = AnyPoolOptions::new()
            .max_connections(settings.database.max_connections)
            .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
            // sqlx pings every connection it takes from the pool, by default. An SQLite
            // connection is a file opened in this process and cannot have gone away, and its
            // ping is a round trip to the connection's worker thread: two per signed-in request
            // (the caller, then the handler), a quarter of a district list's hand-overs
            // (docs/BENCHMARKS.md, eighth run). A PostgreSQL connection can be cut by the
            // server or the network, but under load a connection goes back to work within
            // milliseconds of being returned, and two pings per request were two of its eight
            // round trips (ninth run): one is tried only after lying idle for [`PING_IDLE`].
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= PING_IDLE {
                        // A connection that does not answer is closed and another taken.
                        return Ok(sqlx::Connection::ping(conn).await.is_ok());
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run during a write; foreign keys are off by default in
                        // SQLite; the busy timeout turns lock contention into waiting, not errors.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute(format!("PRAGMA busy_timeout = {busy_timeout_ms}").as_str()).await?;
                    } else {
                        // The data of a sohoa database fits in memory (the national dataset is a
                        // few hundred MB), where PostgreSQL's default cost of a random page (4,
                        // for spinning disks) made it read whole tables rather than look up a
                        // province's 4,067 teams by index (docs/BENCHMARKS.md). 1.1 is the usual
                        // value for SSDs and cached data; a value set by the operator is kept.
                        conn.execute(
                            "SELECT set_config('random_page_cost', '1.1', false) \
                             WHERE current_setting('random_page_cost') = '4'",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Db { pool, backend, writers: std::sync::Arc::new(tokio::sync::Semaphore::new(1)) })
    }

    /// Brings the schema up to date, then the stored collation keys; safe to run at every
    /// start.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        self.refresh_sort_keys().await.map_err(DbError::SortKeys)?;
        Ok(())
    }

    /// Fills the `sort_key` of every name that has none (rows from before the keys existed),
    /// or of every name when [`crate::text::COLLATION_VERSION`] differs from the one that made
    /// the stored keys. SQL cannot compute ICU collation keys, so this runs in Rust, in one
    /// write transaction.
    async fn refresh_sort_keys(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM instance_meta WHERE key = 'collation'")
                .fetch_optional(&mut *tx)
                .await?;
        let all = stored.as_deref() != Some(crate::text::COLLATION_VERSION);
        use crate::text::{person_sort_key, sort_key, unit_sort_key};
        // (table, the name and a second column, how the key is made): the same as on insert.
        type KeyOf = fn(&str, &str) -> String;
        let tables: [(&str, &str, KeyOf); 3] = [
            ("people", "full_name, ''", |name, _| person_sort_key(name)),
            ("teams", "name, ''", |name, _| sort_key(name)),
            ("unit_versions", "name, unit_type", unit_sort_key),
        ];
        for (table, columns, key) in tables {
            let filter = if all { "" } else { " WHERE sort_key = ''" };
            let rows: Vec<(i64, String, String)> =
                sqlx::query_as(&format!("SELECT id, {columns} FROM {table}{filter}"))
                    .fetch_all(&mut *tx)
                    .await?;
            let update = format!("UPDATE {table} SET sort_key = $1 WHERE id = $2");
            for (id, name, second) in rows {
                sqlx::query(&update).bind(key(&name, &second)).bind(id).execute(&mut *tx).await?;
            }
        }
        if all {
            sqlx::query("DELETE FROM instance_meta WHERE key = 'collation'").execute(&mut *tx).await?;
            sqlx::query("INSERT INTO instance_meta (key, value) VALUES ('collation', $1)")
                .bind(crate::text::COLLATION_VERSION)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// Begins a transaction that will write, holding the write lock from its first statement.
    ///
    /// On SQLite this is `BEGIN IMMEDIATE`. A plain (deferred) `BEGIN` takes a read snapshot
    /// first and must upgrade it to write; in WAL mode that upgrade fails at once with
    /// `SQLITE_BUSY` ("database is locked") when another writer committed in between, and the
    /// busy timeout does not help. `IMMEDIATE` takes the write lock up front, so concurrent
    /// writers queue on `busy_timeout` instead.
    ///
    /// On PostgreSQL the transaction takes one transaction-scoped advisory lock, so writers
    /// queue there too. The services check-then-insert (is this person already recorded? does
    /// the team exist?) without a unique key for every such question; under READ COMMITTED two
    /// concurrent roster imports would both find nothing and both insert. One writer at a time
    /// gives both backends the same, simple guarantee; reads never wait for it.
    ///
    /// Every transaction that may write begins here; read-only work uses `pool.acquire()`.
    ///
    /// Within one process, writers first take their turn in a first-come, first-served queue
    /// (a one-permit semaphore), before taking a pooled connection. SQLite's busy handler is
    /// not a queue: waiters sleep and retry, and one that keeps losing to writers that come
    /// back at once failed after `busy_timeout` ("database is locked", a 503 seen once in
    /// 19,000 requests of the mixed-load soak while one writer held the lock most of the
    /// time). Waiting for the turn also holds no connection, so waiting writers cannot empty
    /// the pool. Across processes (a CLI command beside the server; several PostgreSQL
    /// instances) the database's own lock still decides.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = self.writers.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
                    .bind(WRITE_LOCK_CLASS)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// How long a pooled PostgreSQL connection may lie idle before it is tried (a ping) on being
/// taken: connections cut while idle (a server restart, a firewall's idle timeout) are
/// replaced before a request meets them. One cut while in steady use fails the request that
/// meets it, which gets a 503 and may be retried. Test: `db::an_idle_connection_cut_by_the_server_is_replaced`.
pub const PING_IDLE: Duration = Duration::from_secs(1);

/// The highest migration version this program carries for `backend`: a database whose schema
/// is newer was written by a newer sohoa.
pub fn latest_migration(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Now, as stored: RFC 3339 in UTC with second precision.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn tuples_number_parameters_after_those_bound() {
        let mut sql = Sql::new("INSERT INTO t (a, b, c) VALUES ");
        sql.push_tuples(2, 3);
        assert_eq!(sql.text, "INSERT INTO t (a, b, c) VALUES ($1, $2, $3), ($4, $5, $6)");
        let mut sql = Sql::new("X ");
        sql.bind(1).push(" ").push_tuples(1, 2);
        assert_eq!(sql.text, "X $1 ($2, $3)");
    }
}

/// A value bound to a numbered placeholder.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Text(String),
    OptInt(Option<i64>),
    OptText(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::OptInt(v)
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::OptText(v)
    }
}

/// Rows per multi-row INSERT. Not more: SQLite finds each `$N` placeholder's slot by walking
/// the statement's list of names (`sqlite3_bind_parameter_name`), so binding costs grow with
/// the square of the parameters; with 2,000 rows a statement (28,000 parameters) binding took
/// 88% of the time (perf), 1.2 s a statement, and with 100 rows (about 1,000 parameters)
/// still 17% of the national roster import's. 25 rows keep a statement near 250 parameters.
pub const ROWS_PER_STATEMENT: usize = 25;

/// `n` unused ids for `table` (one of `teams`, `people`, `memberships`), for multi-row
/// inserts that must know each row's id: PostgreSQL draws them from the table's sequence
/// (ids a rolled-back transaction drew stay unused, as for any insert); SQLite has no
/// sequence, and takes the ids after the largest, which is what it would assign itself, so
/// call this in the write transaction that inserts them ([`Db::begin_write`]).
/// Errors: the database's.
pub async fn reserve_ids(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    n: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    assert!(matches!(table, "teams" | "people" | "memberships"), "reserve_ids on {table}");
    if n == 0 {
        return Ok(Vec::new());
    }
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query_scalar(&format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
        ))
        .bind(n as i64)
        .fetch_all(&mut *conn)
        .await
    } else {
        let first: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
            .fetch_one(&mut *conn)
            .await?;
        Ok((first..first + n as i64).collect())
    }
}

/// SQL assembled at run time (optional filters) with `$N` placeholders numbered as bound.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    params: Vec<Param>,
    /// Placeholders written by `push_tuples` that still await their value.
    pending: usize,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql { text: text.to_string(), params: Vec::new(), pending: 0 }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        assert_eq!(self.pending, 0, "Sql::bind while push_tuples values are still due");
        self.params.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self
    }

    /// Appends `($k, ...), (...)`: `rows` tuples of `columns` placeholders, numbered after
    /// those bound so far. Supply their values, row by row, with [`Sql::arg`].
    pub fn push_tuples(&mut self, rows: usize, columns: usize) -> &mut Self {
        let first = self.params.len() + self.pending + 1;
        for r in 0..rows {
            self.text.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..columns {
                if c > 0 {
                    self.text.push_str(", ");
                }
                self.text.push('$');
                self.text.push_str(&(first + r * columns + c).to_string());
            }
            self.text.push(')');
        }
        self.pending += rows * columns;
        self
    }

    /// Supplies the value of the next placeholder written by [`Sql::push_tuples`].
    pub fn arg(&mut self, value: impl Into<Param>) -> &mut Self {
        assert!(self.pending > 0, "Sql::arg without a placeholder from push_tuples");
        self.pending -= 1;
        self.params.push(value.into());
        self
    }

    /// `SELECT COUNT(*)` over this query's rows (call it before adding ORDER BY / LIMIT).
    /// Both engines accept a `WITH` clause inside the subquery.
    pub fn count(&self) -> Sql {
        Sql {
            text: format!("SELECT COUNT(*) FROM ({}) AS counted", self.text),
            params: self.params.clone(),
            pending: self.pending,
        }
    }

    fn arguments(&self) -> sqlx::any::AnyArguments<'_> {
        use sqlx::Arguments;
        let mut args = sqlx::any::AnyArguments::default();
        for p in &self.params {
            // Encoding these plain types into AnyArguments cannot fail.
            let added = match p {
                Param::Int(v) => args.add(*v),
                Param::Text(v) => args.add(v.as_str()),
                Param::OptInt(v) => args.add(*v),
                Param::OptText(v) => args.add(v.as_deref()),
            };
            added.expect("binding a plain value");
        }
        args
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        sqlx::query_with(&self.text, self.arguments())
    }

    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, sqlx::Any, T, sqlx::any::AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(&self.text, self.arguments())
    }

    pub fn query_scalar<T>(&self) -> sqlx::query::QueryScalar<'_, sqlx::Any, T, sqlx::any::AnyArguments<'_>>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(&self.text, self.arguments())
    }
}
