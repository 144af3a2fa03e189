//! Locality rules as sandboxed WebAssembly components.
//!
//! - [`runtime`]: one wasmtime Engine; components compiled once (cached on disk by content
//!   hash); a fresh instance per call with fuel, a wall-clock deadline and memory limits; no
//!   imports but logging, so a plugin has no files, network, clock or randomness.
//! - [`registry`]: installing components (validated, stored with their sha256 in the database so
//!   every host instance sees the same set, every version kept).
//! - [`bindings`]: which plugin version applies to which unit, for which kind of rule, from
//!   which date; resolution walks up the unit tree.
//! - [`build`]: the developer tools (new, build, test).
//!
//! The runtime knows nothing of teams or reports: domain modules convert their data to the
//! interface's records (`wit`) and call it.

pub mod bindings;
pub mod build;
pub mod cache;
pub mod registry;
mod routes;
pub mod runtime;

pub use routes::routes;
pub use runtime::{PluginFailure, Runtime};

/// Runs `f` on a plugin version with its parameters (every declared one, defaults filled in)
/// in the runtime's worker pool, loading the component from the database the first time this
/// host instance needs it.
pub async fn call<R: Send + 'static>(
    conn: &mut sqlx::AnyConnection,
    runtime: &std::sync::Arc<Runtime>,
    plugin: &registry::PluginInfo,
    params: &[wit::Param],
    f: impl FnOnce(
        &Runtime,
        &runtime::Loaded,
        &str,
        &[wit::Param],
    ) -> std::result::Result<(R, runtime::Usage), PluginFailure>
    + Send
    + 'static,
) -> crate::error::Result<(R, runtime::Usage)> {
    let sha = plugin.sha256.clone();
    let bytes = match runtime.get(&sha) {
        Some(_) => Vec::new(),
        None => registry::component(conn, &sha).await?,
    };
    let label = format!("{}@{}", plugin.plugin_id, plugin.version);
    let params = params.to_vec();
    Ok(runtime
        .run(move |runtime| {
            let loaded = match runtime.get(&sha) {
                Some(l) => l,
                None => runtime.load(&sha, &bytes)?,
            };
            f(runtime, &loaded, &label, &params)
        })
        .await?)
}

/// The interface versions this host can run.
pub const SUPPORTED_INTERFACES: &[&str] = &["0.1.0"];

/// The bindings of `sdk/wit/plugin.wit`, generated at compile time.
pub mod wit {
    wasmtime::component::bindgen!({
        path: "../sdk/wit",
        world: "plugin",
    });

    pub use self::sohoa::plugin::types::*;
}

/// The three kinds of rule a plugin may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Composition,
    Report,
    Commendation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Composition => "composition",
            Kind::Report => "report",
            Kind::Commendation => "commendation",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Composition, Kind::Report, Kind::Commendation].into_iter().find(|k| k.as_str() == s)
    }

    pub fn from_wit(k: wit::RuleKind) -> Kind {
        match k {
            wit::RuleKind::Composition => Kind::Composition,
            wit::RuleKind::Report => Kind::Report,
            wit::RuleKind::Commendation => Kind::Commendation,
        }
    }
}
