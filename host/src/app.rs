//! Running the server: bind, announce the URL, serve until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::api::{AppState, router};
use crate::config::Settings;
use crate::db::Db;

/// A bound server, ready to run. Binding first lets callers learn the port (port 0).
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn bind(settings: Settings, db: Db) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.server.listen).await?;
        let plugins = crate::plugins::Runtime::for_settings(&settings).map_err(std::io::Error::other)?;
        Ok(Application {
            listener,
            state: AppState {
                db,
                layouts: Arc::new(crate::documents::Layouts::for_settings(&settings.documents)),
                settings: Arc::new(settings),
                plugins,
                scopes: Default::default(),
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until the process is asked to stop (SIGTERM or Ctrl-C). Then it takes no new
    /// connections, lets the requests in flight finish (each is bounded by
    /// `server.request_timeout_secs`, and the whole drain by that plus 5 s, so a client that
    /// never finishes its request cannot hold the exit), and closes the database pool, which
    /// checkpoints SQLite's write-ahead log. Writes run inside requests, so nothing is left
    /// half-done by a clean stop. Test: `resilience::sigterm_finishes_requests_in_flight_then_exits`.
    pub async fn run(self) -> std::io::Result<()> {
        let url = format!("http://{}", self.local_addr());
        tracing::info!(%url, "listening");
        // Scripts and tests read this line to find the port.
        println!("sohoa listening on {url}");
        let db = self.state.db.clone();
        // Findings are recomputed in the background while the server runs; on shutdown the
        // batch in hand is finished (its rows are leased, so a kill loses nothing either).
        // Other instances on the same PostgreSQL database announce installs and stale
        // findings; without the notices everything still works, only later.
        let changes = match crate::changes::Changes::listen(&db, &self.state.settings.database_url()).await {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other instances' changes; polling instead");
                crate::changes::Changes::none()
            }
        };
        tokio::spawn(crate::changes::compile_installed(
            db.clone(),
            self.state.plugins.clone(),
            changes.clone(),
        ));
        let (stop_refresher, stop) = tokio::sync::watch::channel(false);
        let refresher = tokio::spawn(
            crate::teams::findings::Refresher::new(db.clone(), self.state.plugins.clone(), changes).run(stop),
        );
        let grace = Duration::from_secs(self.state.settings.server.request_timeout_secs + 5);
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown().await;
            let _ = stopping.send(());
        };
        // The peer address feeds the per-address sign-in limit.
        let service = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(self.listener, service).with_graceful_shutdown(signal);
        let deadline = async move {
            if stopped.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            served = serve => served,
            _ = deadline => {
                tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; exiting");
                Ok(())
            }
        };
        let _ = stop_refresher.send(true);
        if tokio::time::timeout(grace, refresher).await.is_err() {
            tracing::warn!("the findings refresher did not finish its batch in the grace period");
        }
        db.pool.close().await;
        tracing::info!("stopped");
        served
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
