//! Change notices between host instances that share one PostgreSQL database.
//!
//! Several `sohoa serve` processes may run on one PostgreSQL database behind any load
//! balancer (README, "Several instances"). Everything that decides an answer lives in the
//! database, so every instance answers the same at once: sessions, sign-in failures,
//! bindings (resolved on every call), installed plugins (found by content hash) and stale
//! findings (marked by triggers in the writer's transaction). What an instance keeps for
//! itself is only work done ahead: compiled plugin components, the background refresher
//! that recomputes stale findings, and scope pages' figures (`teams::scope_cache`, which need
//! no notice: each request reads the database's change count). Notices let that work start at
//! once on every instance:
//!
//! - [`Notice::Plugin`]: a component was installed. Each instance compiles it before its first
//!   call, so the first check after an install through another instance does not wait for a
//!   compile (or get "still being compiled" for a big component).
//! - [`Notice::Findings`]: findings were marked stale (a change to a team, its members, its
//!   placement, a binding, the day or the unit tree). Each refresher looks for work now
//!   instead of at its next poll.
//!
//! They travel by PostgreSQL's LISTEN/NOTIFY on one channel per schema, `sohoa_<hashtext of
//! the schema>`, so instances (and test runs) in different schemas of one database do not
//! hear each other. A notice is sent inside the writing transaction: PostgreSQL delivers it
//! when the transaction commits and drops it when it rolls back, so no instance acts on data
//! it cannot see yet. Triggers send the findings notice (migration 0012), so no write path can
//! forget it; [`send`] sends the others.
//!
//! A notice is a hint, never the only way: when the listening connection drops, notices sent
//! meanwhile are lost, so on reconnecting the listener wakes every subscriber as if findings
//! had changed; refreshers still poll (slowly) and a component not compiled ahead is compiled
//! on its first call. On SQLite there is one instance and nothing to send.
//!
//! Test: `tests/instances.rs` starts two instances on one schema and checks each point within
//! one second.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::db::{Backend, Db};
use crate::error::Result;
use crate::plugins::Runtime;

/// A change another instance may act on ahead of its next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Findings were marked stale somewhere.
    Findings,
    /// The component with this sha256 (64 lowercase hex digits) was installed.
    Plugin { sha256: String },
}

impl Notice {
    /// The NOTIFY payload: `findings` or `plugin:<sha256>` (PostgreSQL allows 8,000 bytes).
    pub fn payload(&self) -> String {
        match self {
            Notice::Findings => "findings".into(),
            Notice::Plugin { sha256 } => format!("plugin:{sha256}"),
        }
    }

    /// The notice a payload names; None for anything else (a newer host's notice).
    pub fn parse(payload: &str) -> Option<Notice> {
        match payload.split_once(':') {
            None if payload == "findings" => Some(Notice::Findings),
            Some(("plugin", sha)) if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(Notice::Plugin { sha256: sha.to_ascii_lowercase() })
            }
            _ => None,
        }
    }
}

/// The channel of the connection's schema: the same expression as in migration 0012's
/// trigger, so both name one channel.
const CHANNEL_SQL: &str = "SELECT 'sohoa_' || hashtext(current_schema())::text";

/// Notices from the other instances (and this one), for whoever subscribes.
#[derive(Debug, Clone)]
pub struct Changes {
    sender: broadcast::Sender<Notice>,
    listening: bool,
}

/// Notices a slow subscriber may fall behind by before it is told it lagged (it then acts as
/// if findings had changed).
const CAPACITY: usize = 256;

impl Changes {
    /// No notices: one instance (SQLite), or a test that wants none.
    pub fn none() -> Changes {
        Changes { sender: broadcast::channel(CAPACITY).0, listening: false }
    }

    /// Listens on PostgreSQL for the notices of every instance on this schema (its own
    /// included); on SQLite, [`Changes::none`]. `url` is the database URL the pool uses (the
    /// listener needs its own connection). Errors: the database's, when the first connection
    /// or LISTEN fails; later drops are reconnected in the background.
    pub async fn listen(db: &Db, url: &str) -> Result<Changes> {
        if db.backend != Backend::Postgres {
            return Ok(Changes::none());
        }
        let channel: String = sqlx::query_scalar(CHANNEL_SQL).fetch_one(&db.pool).await?;
        let mut listener = PgListener::connect(url).await?;
        listener.listen(&channel).await?;
        let (sender, _) = broadcast::channel(CAPACITY);
        let out = sender.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match Notice::parse(n.payload()) {
                        Some(notice) => {
                            let _ = out.send(notice);
                        }
                        None => tracing::debug!(payload = n.payload(), "an unknown change notice; ignored"),
                    },
                    // The connection dropped and the next call reconnects: whatever was sent
                    // meanwhile is lost, so have everyone look.
                    Ok(None) => {
                        tracing::warn!("the change-notice connection dropped; reconnecting");
                        let _ = out.send(Notice::Findings);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "change notices: cannot reconnect; trying again in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        tracing::info!(%channel, "listening for other instances' changes");
        Ok(Changes { sender, listening: true })
    }

    /// A receiver of the notices from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// True when notices come from the database (PostgreSQL): pollers may then poll slowly.
    pub fn listening(&self) -> bool {
        self.listening
    }
}

/// Sends `notice` to every instance when the transaction on `conn` commits (nothing if it
/// rolls back). On SQLite, nothing. Errors: the database's.
pub async fn send(conn: &mut AnyConnection, notice: &Notice) -> Result<()> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    sqlx::query(&format!("SELECT pg_notify(({CHANNEL_SQL}), $1)"))
        .bind(notice.payload())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Compiles each component installed through any instance as soon as it is announced, until
/// the notices end. A failure is logged: the first call compiles it again and reports it.
pub async fn compile_installed(db: Db, runtime: Arc<Runtime>, changes: Changes) {
    let mut notices = changes.subscribe();
    loop {
        let sha256 = match notices.recv().await {
            Ok(Notice::Plugin { sha256 }) => sha256,
            Ok(Notice::Findings) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if runtime.get(&sha256).is_some() {
            continue;
        }
        let bytes = match db.pool.acquire().await {
            Ok(mut conn) => crate::plugins::registry::component(&mut conn, &sha256).await,
            Err(e) => Err(e.into()),
        };
        let outcome = match bytes {
            Ok(bytes) => match runtime.compile(&sha256, bytes).await {
                // Waiting was cut short; the compile goes on and the first call finds it.
                Ok(_) | Err(crate::plugins::PluginFailure::Busy { .. }) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => tracing::info!(sha256 = &sha256[..12], "compiling a plugin announced by an instance"),
            Err(e) => {
                tracing::warn!(sha256 = &sha256[..12], error = %e, "could not compile an announced plugin ahead")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_strangers_are_ignored() {
        let sha = "ab".repeat(32);
        for notice in [Notice::Findings, Notice::Plugin { sha256: sha.clone() }] {
            assert_eq!(Notice::parse(&notice.payload()), Some(notice));
        }
        for stranger in ["", "findings:", "plugin:", "plugin:xyz", &format!("plugin:{sha}0"), "bindings"] {
            assert_eq!(Notice::parse(stranger), None, "{stranger:?}");
        }
    }
}
