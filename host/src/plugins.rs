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
//! - [`interface`]: every supported version of the plugin interface, side by side, each
//!   converting between its generated bindings and the host's own [`types`]; [`size`] bounds
//!   what crosses.
//!
//! The runtime knows nothing of teams or reports: domain modules build [`types`] records and
//! call it; no module outside [`interface`] names a generated type.

pub mod bindings;
pub mod build;
pub mod cache;
pub mod interface;
pub mod registry;
mod routes;
pub mod runtime;
mod size;
pub mod types;
pub mod workers;

pub use routes::routes;
pub use runtime::{PluginFailure, Runtime};

/// A plugin version ready to call: made with a database connection (the component's bytes are
/// read from the database when this host instance has not compiled it yet), called without
/// one, so no connection is held while a plugin runs.
#[derive(Clone)]
pub struct Prepared {
    sha256: String,
    /// The component, when it still has to be compiled here.
    bytes: Option<std::sync::Arc<Vec<u8>>>,
    /// "id@version", for messages.
    pub label: String,
    /// Every declared parameter, defaults filled in.
    pub params: Vec<types::Param>,
}

/// Prepares a call of `plugin` with `params`. Errors: the database's.
pub async fn prepare(
    conn: &mut sqlx::AnyConnection,
    runtime: &Runtime,
    plugin: &registry::PluginInfo,
    params: &[types::Param],
) -> crate::error::Result<Prepared> {
    let bytes = match runtime.get(&plugin.sha256) {
        Some(_) => None,
        None => Some(std::sync::Arc::new(registry::component(conn, &plugin.sha256).await?)),
    };
    Ok(Prepared {
        sha256: plugin.sha256.clone(),
        bytes,
        label: format!("{}@{}", plugin.plugin_id, plugin.version),
        params: params.to_vec(),
    })
}

impl Prepared {
    /// Runs `f` (given the runtime, the compiled component, the label and the parameters) on a
    /// plugin worker, compiling the component first if need be. Errors: the plugin's failure
    /// ([`PluginFailure::Busy`] when the host is at capacity).
    pub async fn call<R: Send + 'static>(
        &self,
        runtime: &std::sync::Arc<Runtime>,
        f: impl FnOnce(
            &Runtime,
            &runtime::Loaded,
            &str,
            &[types::Param],
        ) -> Result<(R, runtime::Usage), PluginFailure>
        + Send
        + 'static,
    ) -> Result<(R, runtime::Usage), PluginFailure> {
        let loaded = match (runtime.get(&self.sha256), &self.bytes) {
            (Some(loaded), _) => loaded,
            (None, Some(bytes)) => runtime.compile(&self.sha256, bytes.to_vec()).await?,
            // Compiled when prepared, and dropped since (a refused upload of the same bytes).
            (None, None) => {
                return Err(PluginFailure::Invalid(format!("{} is no longer loaded; try again", self.label)));
            }
        };
        let (label, params) = (self.label.clone(), self.params.clone());
        let started = std::time::Instant::now();
        let result = runtime.run(move |runtime| f(runtime, &loaded, &label, &params)).await;
        crate::observability::plugin_call(&self.label, started.elapsed(), result.as_ref().map(|r| &r.1));
        result
    }
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
}
