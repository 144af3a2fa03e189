//! Running plugin components safely.
//!
//! Why it is built this way (measured on these machines with wasmtime 48, see
//! docs/BENCHMARKS.md): a fresh instance with its first call costs about 40 µs in a release
//! build, so every call gets a fresh instance from an `InstancePre` and no state survives
//! between calls; plugins are core modules componentized without WASI, so there is
//! nothing ambient to lock down. The pooling allocator keeps instantiation cheap and bounds
//! memory up front. Limits per call:
//! - fuel (an instruction budget) against busy loops,
//! - an epoch deadline (wall clock) against anything fuel does not see,
//! - linear memory and table size (growth past them traps),
//! - wasm stack (deep recursion traps),
//! - input, output and log sizes, where every element (a block, row, cell, recipient, list
//!   item, finding, member id, reason...) costs [`ELEMENT_BYTES`] besides its text and every
//!   log line [`LOG_LINE_BYTES`] besides its bytes, so many empty things are not free;
//! - element counts of an answer (blocks, table rows and cells, recipients, list items),
//!   checked before the host does anything with it.
//!
//! Every failure becomes a [`PluginFailure`] naming the plugin and version; the host goes on.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use wasmtime::component::Component;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, Trap,
};

use super::interface::{Hook, Linkers, Pre};
use super::size::*;
use super::types as h;
use super::workers::{Refusal, WorkQueue};
use crate::config::PluginSettings;

/// Why a plugin call or install did not give a result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginFailure {
    #[error("plugin {plugin} used up its instruction budget ({fuel} units)")]
    OutOfFuel { plugin: String, fuel: u64 },
    #[error("plugin {plugin} ran longer than {millis} ms and was stopped")]
    Timeout { plugin: String, millis: u64 },
    #[error("plugin {plugin} tried to use more than {bytes} bytes of memory")]
    MemoryLimit { plugin: String, bytes: usize },
    #[error("plugin {plugin} overflowed its stack (too deep a recursion)")]
    StackOverflow { plugin: String },
    #[error("plugin {plugin} crashed: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin {plugin} answered {size} bytes; at most {limit} are accepted")]
    OutputTooLarge { plugin: String, size: usize, limit: usize },
    #[error("the input for plugin {plugin} is {size} bytes; at most {limit} may be sent")]
    InputTooLarge { plugin: String, size: usize, limit: usize },
    #[error("plugin {plugin} answered {count} {what}; at most {limit} are accepted (plugins.{setting})")]
    TooManyElements { plugin: String, what: &'static str, count: usize, limit: usize, setting: &'static str },
    #[error("plugin {plugin} refused: {message}")]
    Refused { plugin: String, message: String },
    #[error("not a usable plugin component: {0}")]
    Invalid(String),
    #[error("the component implements sohoa:plugin@{found}; this host supports {supported}")]
    Incompatible { found: String, supported: String },
    /// The plugin's interface version predates the hook asked for.
    #[error(
        "plugin {plugin} is built for interface {interface}, which has no {what} (added in {since}); install a version of it built with a newer SDK"
    )]
    Unsupported { plugin: String, interface: &'static str, what: &'static str, since: &'static str },
    /// The host is at capacity for plugin work (the queue is full, the call waited too long
    /// for a worker, or the component is still being compiled): nothing ran, nothing was
    /// written; the same request may be sent again after `retry_after_secs`.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u64 },
}

impl PluginFailure {
    /// A short, stable name of the kind of failure: the `outcome` label of
    /// `sohoa_plugin_calls_total` (see [`crate::observability`]).
    pub fn kind(&self) -> &'static str {
        match self {
            PluginFailure::OutOfFuel { .. } => "out_of_fuel",
            PluginFailure::Timeout { .. } => "timeout",
            PluginFailure::MemoryLimit { .. } => "memory",
            PluginFailure::StackOverflow { .. } => "stack",
            PluginFailure::Trap { .. } => "trap",
            PluginFailure::OutputTooLarge { .. } => "output_too_large",
            PluginFailure::InputTooLarge { .. } => "input_too_large",
            PluginFailure::TooManyElements { .. } => "too_many_elements",
            PluginFailure::Refused { .. } => "refused",
            PluginFailure::Invalid(_) => "invalid",
            PluginFailure::Incompatible { .. } => "incompatible",
            PluginFailure::Unsupported { .. } => "unsupported",
            PluginFailure::Busy { .. } => "busy",
        }
    }
}

/// What a call used, for `sohoa plugin test` and the logs.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Usage {
    pub fuel: u64,
    /// Peak linear memory, in bytes.
    pub memory: usize,
}

/// Per-call state: the limits and the log budget.
pub struct CallState {
    limits: StoreLimits,
    plugin: String,
    log: LogBudget,
    peak_memory: usize,
}

/// What one line of a plugin's log costs on top of its bytes: a line is not free even when
/// it is empty (issue 11, fault 4).
pub const LOG_LINE_BYTES: usize = 64;

/// What a call may still log: bytes (each line costing [`LOG_LINE_BYTES`] plus its length)
/// and lines.
struct LogBudget {
    bytes_left: usize,
    lines_left: usize,
    truncated: bool,
}

impl LogBudget {
    fn new(limits: &PluginSettings) -> Self {
        LogBudget { bytes_left: limits.max_log_bytes, lines_left: limits.max_log_lines, truncated: false }
    }

    /// Takes a line of `len` bytes from the budget; false (and nothing taken) when it does
    /// not fit.
    fn take(&mut self, len: usize) -> bool {
        let cost = LOG_LINE_BYTES.saturating_add(len);
        if self.lines_left == 0 || cost > self.bytes_left {
            return false;
        }
        self.lines_left -= 1;
        self.bytes_left -= cost;
        true
    }
}

/// A plugin's log message as it may appear in the host's log: on one line, with nothing that
/// could make it look like more than one line or like the host's own text. Escaped as
/// `\n`, `\r`, `\t`, `\\` and `\u{..}`: every C0 and C1 control character and DEL, the
/// Unicode line and paragraph separators (U+2028, U+2029), and the bidirectional marks,
/// embeddings, overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E,
/// U+2066-U+2069), plus the byte order mark. Everything else, Vietnamese letters and
/// combining marks included, is kept as it is.
pub fn escape_log_message(message: &str) -> std::borrow::Cow<'_, str> {
    fn escaped(c: char) -> bool {
        c == '\\'
            || c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    }
    if !message.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 16);
    for c in message.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if escaped(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Enforces the limits through `StoreLimits` and remembers the largest memory asked for.
impl wasmtime::ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.peak_memory = self.peak_memory.max(desired);
        self.limits.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// A plugin's log level, whatever its interface version.
#[derive(Debug, Clone, Copy)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl CallState {
    /// One line of the plugin's log, if its budget allows: each line costs
    /// [`LOG_LINE_BYTES`] plus its length against `max_log_bytes`, at most `max_log_lines`
    /// lines are written, and the message is a field escaped by [`escape_log_message`],
    /// last on its line after the host's time, level, target and the plugin's name.
    pub fn log_line(&mut self, level: LogLevel, message: String) {
        if !self.log.take(message.len()) {
            if !self.log.truncated {
                tracing::warn!(plugin = %self.plugin, "plugin log budget used up (plugins.max_log_bytes or max_log_lines); further lines dropped");
                self.log.truncated = true;
            }
            return;
        }
        let plugin = self.plugin.as_str();
        let message = escape_log_message(&message);
        match level {
            LogLevel::Debug => tracing::debug!(target: "sohoa::plugin", plugin, message = %message),
            LogLevel::Info => tracing::info!(target: "sohoa::plugin", plugin, message = %message),
            LogLevel::Warn => tracing::warn!(target: "sohoa::plugin", plugin, message = %message),
            LogLevel::Error => tracing::error!(target: "sohoa::plugin", plugin, message = %message),
        }
    }
}

/// A compiled component, ready to instantiate.
pub struct Loaded {
    /// Pre-instantiated in the interface version the component was built for.
    pre: Pre,
    /// The content hash's prefix: names the component in errors before its metadata is read
    /// (later calls pass "id@version" explicitly).
    pub label: String,
}

impl Loaded {
    /// The interface version the component was built for, e.g. "0.2.0".
    pub fn interface(&self) -> &'static str {
        self.pre.version()
    }
}

/// A compile's outcome, as the requests waiting on it receive it.
type Compiled = Result<Arc<Loaded>, PluginFailure>;

/// The plugin engine; one per process, shared by every request.
pub struct Runtime {
    engine: Engine,
    linkers: Linkers,
    limits: PluginSettings,
    cache_dir: Option<PathBuf>,
    loaded: Mutex<HashMap<String, Arc<Loaded>>>,
    /// Calls: a few worker threads behind a bounded queue (see [`super::workers`]).
    calls: WorkQueue,
    /// Compiles, one at a time on their own thread, so a big component never holds a call
    /// worker, and each component is compiled once however many requests want it.
    compiler: Mutex<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    /// Components being compiled: every request for one waits on the same compile.
    compiling: Mutex<HashMap<String, watch::Receiver<Option<Compiled>>>>,
    /// Components compiled from their bytes (not read from the disk cache) since start.
    compiled: std::sync::atomic::AtomicUsize,
}

const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Core instances (and tables) one plugin component may create.
const CORE_INSTANCES_PER_PLUGIN: u32 = 8;

impl Runtime {
    pub fn new(limits: PluginSettings, cache_dir: Option<PathBuf>) -> Result<Self, PluginFailure> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(limits.stack_bytes);
        // One core per compile: a big component must not take every core from the requests.
        config.parallel_compilation(false);
        // A component made by wit-component instantiates a few core modules (the plugin, plus
        // shim and fixup modules for its imports), each with its own tables: size the pool per
        // component instance, not per core instance.
        // A slot per worker, and one for synchronous callers (`sohoa plugin test`).
        let slots = limits.worker_count() as u32 + 1;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(slots)
            .total_core_instances(slots * CORE_INSTANCES_PER_PLUGIN)
            .total_memories(slots * 2)
            .total_tables(slots * CORE_INSTANCES_PER_PLUGIN)
            .max_memory_size(limits.memory_bytes)
            .table_elements(limits.table_elements)
            // What a call wrote is wiped by copying, not unmapped, so the next call in the slot
            // does not fault it in again page by page (plugins.keep_resident_bytes).
            .linear_memory_keep_resident(limits.keep_resident_bytes)
            .table_keep_resident(limits.keep_resident_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| PluginFailure::Invalid(format!("engine: {e}")))?;
        let linkers = Linkers::new(&engine).map_err(|e| PluginFailure::Invalid(format!("linker: {e}")))?;
        // The wall clock for deadlines: a tick every 5 ms while the engine lives.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("sohoa-plugin-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| PluginFailure::Invalid(format!("epoch thread: {e}")))?;
        if let Some(dir) = &cache_dir {
            let _ = std::fs::create_dir_all(dir);
        }
        let calls = WorkQueue::new(
            "sohoa-plugin",
            limits.worker_count(),
            limits.queue_length,
            Duration::from_millis(limits.queue_wait_ms),
            true,
        )
        .map_err(|e| PluginFailure::Invalid(format!("plugin workers: {e}")))?;
        let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("sohoa-plugin-compiler".into())
            .spawn(move || {
                while let Ok(job) = receiver.recv() {
                    job();
                }
            })
            .map_err(|e| PluginFailure::Invalid(format!("compiler thread: {e}")))?;
        Ok(Runtime {
            engine,
            linkers,
            limits,
            cache_dir,
            loaded: Mutex::new(HashMap::new()),
            calls,
            compiler: Mutex::new(sender),
            compiling: Mutex::new(HashMap::new()),
            compiled: Default::default(),
        })
    }

    /// The runtime for these settings, caching compiled code in `<data_dir>/plugin-cache`.
    pub fn for_settings(settings: &crate::config::Settings) -> Result<Arc<Self>, PluginFailure> {
        let cache = settings.paths.data_dir.join("plugin-cache");
        Ok(Arc::new(Runtime::new(settings.plugins.clone(), Some(cache))?))
    }

    /// Runs plugin work from async code on a plugin worker (see [`super::workers`]). Fails
    /// with [`PluginFailure::Busy`] when the queue is full or `f` did not start within
    /// `plugins.queue_wait_ms`; then `f` never runs.
    pub async fn run<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Runtime) -> Result<R, PluginFailure> + Send + 'static,
    ) -> Result<R, PluginFailure> {
        let runtime = self.clone();
        match self.calls.run(move || f(&runtime)).await {
            Ok(result) => result,
            Err(Refusal::QueueFull { capacity }) => Err(self.busy(format!(
                "the server is at capacity for plugin work ({capacity} calls already wait); nothing was done, try again in a moment"
            ))),
            Err(Refusal::Waited { waited }) => Err(self.busy(format!(
                "no plugin worker came free within {} ms; nothing was done, try again in a moment",
                waited.as_millis()
            ))),
            Err(Refusal::Lost) => Err(PluginFailure::Invalid("the plugin call was lost (see the server log)".into())),
        }
    }

    /// A `Busy` failure, retry after about one call's deadline.
    fn busy(&self, message: String) -> PluginFailure {
        PluginFailure::Busy { message, retry_after_secs: self.limits.timeout_ms.div_ceil(1000).max(1) }
    }

    /// The compiled component with this content hash: from memory, else compiled (or read
    /// from the disk cache) on the compiler thread. Concurrent requests for one component
    /// share one compile. A caller waits at most `plugins.compile_wait_ms`, then gets
    /// [`PluginFailure::Busy`] ("still being compiled"); the compile goes on and the next
    /// request finds it done. A compile cannot be interrupted inside the process: its bound
    /// is the component size (`plugins.max_component_bytes`) and this one thread.
    pub async fn compile(
        self: &Arc<Self>,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> Result<Arc<Loaded>, PluginFailure> {
        if let Some(loaded) = self.get(sha256) {
            return Ok(loaded);
        }
        let mut done = {
            let mut compiling = self.compiling.lock().expect("not poisoned");
            match compiling.get(sha256) {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    compiling.insert(sha256.to_string(), rx.clone());
                    let (runtime, sha) = (self.clone(), sha256.to_string());
                    let job = Box::new(move || {
                        let result = runtime.load(&sha, &bytes);
                        runtime.compiling.lock().expect("not poisoned").remove(&sha);
                        let _ = tx.send(Some(result));
                    });
                    if self.compiler.lock().expect("not poisoned").send(job).is_err() {
                        compiling.remove(sha256);
                        return Err(PluginFailure::Invalid("the compiler thread is gone".into()));
                    }
                    rx
                }
            }
        };
        let wait = Duration::from_millis(self.limits.compile_wait_ms);
        match tokio::time::timeout(wait, done.wait_for(Option::is_some)).await {
            Ok(Ok(result)) => result.clone().expect("waited for Some"),
            Ok(Err(_)) => Err(PluginFailure::Invalid("the compile was lost (see the server log)".into())),
            Err(_) => Err(PluginFailure::Busy {
                message: format!(
                    "the plugin component (sha256 {}) is still being compiled after {} ms; try again in a few seconds",
                    &sha256[..12.min(sha256.len())],
                    wait.as_millis()
                ),
                retry_after_secs: 5,
            }),
        }
    }

    /// Drops a component from memory and from the disk cache: an upload refused after it was
    /// compiled (its metadata was invalid) leaves nothing behind.
    pub fn forget(&self, sha256: &str) {
        self.loaded.lock().expect("not poisoned").remove(sha256);
        if let Some(dir) = &self.cache_dir {
            super::cache::Entry::new(dir, sha256, self.engine_key()).remove();
        }
    }

    /// How many components this runtime compiled from their bytes (not from the disk cache).
    pub fn compiled(&self) -> usize {
        self.compiled.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn limits(&self) -> &PluginSettings {
        &self.limits
    }

    fn engine_key(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        h.finish()
    }

    /// The compiled component with this content hash, if it is already loaded.
    pub fn get(&self, sha256: &str) -> Option<Arc<Loaded>> {
        self.loaded.lock().expect("not poisoned").get(sha256).cloned()
    }

    /// Compiles (or fetches from memory or disk) the component with this content hash, after
    /// checking that it is a component of a supported interface importing nothing else.
    pub fn load(&self, sha256: &str, bytes: &[u8]) -> Result<Arc<Loaded>, PluginFailure> {
        if let Some(l) = self.loaded.lock().expect("not poisoned").get(sha256) {
            return Ok(l.clone());
        }
        let cache =
            self.cache_dir.as_ref().map(|dir| super::cache::Entry::new(dir, sha256, self.engine_key()));
        let component = match cache.as_ref().and_then(|entry| entry.read()) {
            // SAFETY: `read` returns the bytes only when their keyed hash (HMAC-SHA256 with this
            // installation's key, over the component's sha256, this engine's hash and the
            // bytes) matches the tag written with them: they are what `Component::serialize`
            // of this engine produced for this component, not something put there since.
            Some(artifact) => unsafe { Component::deserialize(&self.engine, &artifact) }.ok(),
            None => None,
        };
        let fresh = component.is_none();
        let component = match component {
            Some(c) => c,
            None => Component::new(&self.engine, bytes).inspect(|_| {
                self.compiled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }).map_err(|e| {
                let hint = if wasmparser_is_core_module(bytes) {
                    " (this is a core module: build it with `sohoa plugin build`, which makes a component)"
                } else {
                    ""
                };
                PluginFailure::Invalid(format!("{}{hint}", e.root_cause()))
            })?,
        };
        let version = check_interface(&self.engine, &component)?;
        let pre = self
            .linkers
            .prepare(&component, &version)
            .map_err(|e| PluginFailure::Invalid(format!("{e:#}")))?;
        // Cached only once every check passed: a refused upload leaves nothing behind.
        if fresh && let (Some(entry), Ok(serialized)) = (&cache, component.serialize()) {
            entry.write(&serialized);
        }
        let loaded = Arc::new(Loaded { pre, label: format!("sha256:{}", &sha256[..12.min(sha256.len())]) });
        self.loaded.lock().expect("not poisoned").insert(sha256.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// Runs `f` on a fresh instance under the call limits.
    fn call<R>(
        &self,
        loaded: &Loaded,
        label: &str,
        f: impl FnOnce(&super::interface::Instance, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<(R, Usage), PluginFailure> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory_bytes)
            .table_elements(self.limits.table_elements)
            .instances(CORE_INSTANCES_PER_PLUGIN as usize)
            .memories(2)
            .tables(CORE_INSTANCES_PER_PLUGIN as usize)
            .trap_on_grow_failure(true)
            .build();
        let state = CallState {
            limits,
            plugin: label.to_string(),
            log: LogBudget::new(&self.limits),
            peak_memory: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s);
        store.set_fuel(self.limits.fuel).expect("fuel is enabled");
        let ticks = (self.limits.timeout_ms / EPOCH_TICK.as_millis() as u64).max(1);
        store.set_epoch_deadline(ticks);
        let result = loaded.pre.instantiate(&mut store).and_then(|plugin| f(&plugin, &mut store));
        let fuel = self.limits.fuel - store.get_fuel().unwrap_or(0);
        let usage = Usage { fuel, memory: store.data().peak_memory };
        result.map(|r| (r, usage)).map_err(|e| self.classify(label, e))
    }

    fn classify(&self, plugin: &str, e: wasmtime::Error) -> PluginFailure {
        let plugin = plugin.to_string();
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => PluginFailure::OutOfFuel { plugin, fuel: self.limits.fuel },
            Some(Trap::Interrupt) => PluginFailure::Timeout { plugin, millis: self.limits.timeout_ms },
            Some(Trap::StackOverflow) => PluginFailure::StackOverflow { plugin },
            Some(Trap::UnreachableCodeReached) => {
                PluginFailure::Trap { plugin, message: "it panicked (reached unreachable code)".into() }
            }
            // Rust and C guests keep their stack in linear memory: running off its end is the
            // usual way a deep recursion ends there, before the engine's own stack limit.
            Some(Trap::MemoryOutOfBounds) => PluginFailure::Trap {
                plugin,
                message: "out-of-bounds memory access (for Rust plugins usually the stack overflowing: too deep a recursion)"
                    .into(),
            },
            Some(trap) => PluginFailure::Trap { plugin, message: trap.to_string() },
            None => {
                let text = format!("{e:#}");
                // StoreLimits with trap_on_grow_failure: "forcing trap when growing memory to N bytes".
                if text.contains("growing memory") || text.contains("memory minimum size") {
                    PluginFailure::MemoryLimit { plugin, bytes: self.limits.memory_bytes }
                } else {
                    PluginFailure::Trap { plugin, message: text }
                }
            }
        }
    }

    /// The plugin's metadata, whatever its interface version (a 0.1.0 plugin declares no
    /// report form).
    pub fn metadata(&self, loaded: &Loaded) -> Result<(h::Metadata, Usage), PluginFailure> {
        let (meta, usage) = self.call(loaded, &loaded.label, |p, s| p.describe(s))?;
        check_metadata_counts(&self.limits, &loaded.label, &meta)?;
        self.check_output(&loaded.label, meta_size(&meta))?;
        Ok((meta, usage))
    }

    /// Fails with [`PluginFailure::Unsupported`] when the component's interface version
    /// predates `hook`.
    fn require(&self, loaded: &Loaded, label: &str, hook: Hook) -> Result<(), PluginFailure> {
        if loaded.pre.offers(hook) {
            return Ok(());
        }
        Err(PluginFailure::Unsupported {
            plugin: label.into(),
            interface: loaded.pre.version(),
            what: hook.label(),
            since: hook.since(),
        })
    }

    /// Composition check of many teams in one call, on `as_of`.
    pub fn check_teams(
        &self,
        loaded: &Loaded,
        label: &str,
        teams: &[h::Team],
        as_of: chrono::NaiveDate,
        params: &[h::Param],
    ) -> Result<(Vec<h::Finding>, Usage), PluginFailure> {
        let size: usize =
            teams.iter().map(team_size).sum::<usize>() + params.iter().map(param_size).sum::<usize>();
        self.check_input(label, size)?;
        let (result, usage) = self.call(loaded, label, |p, s| p.check_teams(s, teams, as_of, params))?;
        let findings = result.map_err(|e| refused(label, e))?;
        check_findings_counts(&self.limits, label, &findings)?;
        self.check_output(label, findings_size(&findings))?;
        Ok((findings, usage))
    }

    /// Report template.
    pub fn render_report(
        &self,
        loaded: &Loaded,
        label: &str,
        input: &h::ReportInput,
        params: &[h::Param],
    ) -> Result<(h::Document, Usage), PluginFailure> {
        self.check_input(label, report_input_size(input) + params.iter().map(param_size).sum::<usize>())?;
        let (result, usage) = self.call(loaded, label, |p, s| p.render_report(s, input, params))?;
        let doc = result.map_err(|e| refused(label, e))?;
        check_document_counts(&self.limits, label, &doc)?;
        self.check_output(label, document_size(&doc))?;
        Ok((doc, usage))
    }

    /// A report template's judgement of one unit's figures for a period (interface 0.2.0 and
    /// later; [`PluginFailure::Unsupported`] for older plugins, before anything runs).
    pub fn validate_submission(
        &self,
        loaded: &Loaded,
        label: &str,
        submission: &h::Submission,
        params: &[h::Param],
    ) -> Result<(Vec<h::SubmissionFinding>, Usage), PluginFailure> {
        self.require(loaded, label, Hook::ValidateSubmission)?;
        self.check_input(label, submission_size(submission) + params.iter().map(param_size).sum::<usize>())?;
        let (result, usage) =
            self.call(loaded, label, |p, s| p.validate_submission(s, submission, params))?;
        let found = result.map_err(|e| refused(label, e))?;
        check_submission_counts(&self.limits, label, &found)?;
        self.check_output(label, submission_findings_size(&found))?;
        Ok((found, usage))
    }

    /// Commendation criteria over `candidates` for the campaign `period`.
    pub fn assess(
        &self,
        loaded: &Loaded,
        label: &str,
        candidates: &[h::Candidate],
        period: &h::Period,
        params: &[h::Param],
    ) -> Result<(Vec<h::Assessment>, Usage), PluginFailure> {
        let size = candidates.iter().map(candidate_size).sum::<usize>()
            + period.id.len()
            + params.iter().map(param_size).sum::<usize>();
        self.check_input(label, size)?;
        let (result, usage) = self.call(loaded, label, |p, s| p.assess(s, candidates, period, params))?;
        let out = result.map_err(|e| refused(label, e))?;
        check_assessment_counts(&self.limits, label, &out)?;
        self.check_output(label, assessments_size(&out))?;
        Ok((out, usage))
    }

    fn check_input(&self, plugin: &str, size: usize) -> Result<(), PluginFailure> {
        if size > self.limits.max_input_bytes {
            return Err(PluginFailure::InputTooLarge {
                plugin: plugin.into(),
                size,
                limit: self.limits.max_input_bytes,
            });
        }
        Ok(())
    }

    fn check_output(&self, plugin: &str, size: usize) -> Result<(), PluginFailure> {
        if size > self.limits.max_output_bytes {
            return Err(PluginFailure::OutputTooLarge {
                plugin: plugin.into(),
                size,
                limit: self.limits.max_output_bytes,
            });
        }
        Ok(())
    }
}

fn refused(plugin: &str, e: h::PluginError) -> PluginFailure {
    let message = match e {
        h::PluginError::InvalidParams(m) => format!("invalid parameters: {m}"),
        h::PluginError::Unsupported(m) => format!("not supported: {m}"),
        h::PluginError::Failed(m) => m,
    };
    PluginFailure::Refused { plugin: plugin.into(), message }
}

/// A core module starts with the magic and version 1; a component with layer 1.
fn wasmparser_is_core_module(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] == [1, 0, 0, 0]
}

/// The component must export `sohoa:plugin/rules` of a supported version and import nothing
/// but `sohoa:plugin/host` and `sohoa:plugin/types` of that version. Returns the version.
fn check_interface(engine: &Engine, component: &Component) -> Result<String, PluginFailure> {
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(name, _)| name.to_string()).collect();
    let found = exports.iter().find_map(|name| name.strip_prefix("sohoa:plugin/rules@")).map(str::to_string);
    let supported = super::interface::SUPPORTED.join(", ");
    let Some(version) = found else {
        return Err(PluginFailure::Invalid(format!(
            "it does not export sohoa:plugin/rules (exports: {}); build it with the sohoa SDK",
            if exports.is_empty() { "nothing".to_string() } else { exports.join(", ") }
        )));
    };
    if !super::interface::SUPPORTED.contains(&version.as_str()) {
        return Err(PluginFailure::Incompatible { found: version, supported });
    }
    for (name, _) in ty.imports(engine) {
        let allowed = [format!("sohoa:plugin/host@{version}"), format!("sohoa:plugin/types@{version}")];
        if !allowed.iter().any(|a| a == name) {
            return Err(PluginFailure::Invalid(format!(
                "it imports {name}, which plugins are not given (no files, network, clock or environment)"
            )));
        }
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use std::io::Write;

    /// A log writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The lines `f` logs, in the server's human-readable format (without colours).
    fn logged(f: impl FnOnce()) -> Vec<String> {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::fmt().compact().with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap().lines().map(str::to_string).collect()
    }

    fn call_state(limits: &PluginSettings) -> CallState {
        CallState {
            limits: StoreLimitsBuilder::new().build(),
            plugin: "hostile@0.1.0".into(),
            log: LogBudget::new(limits),
            peak_memory: 0,
        }
    }

    #[test]
    fn log_messages_are_escaped_onto_one_line_and_vietnamese_is_kept() {
        assert_eq!(escape_log_message("Đã kiểm tra Tổ công nghệ số"), "Đã kiểm tra Tổ công nghệ số");
        // Combining marks (text typed in NFD) are letters too.
        assert_eq!(escape_log_message("Tô\u{302}\u{309}"), "Tô\u{302}\u{309}");
        assert!(matches!(escape_log_message("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(escape_log_message("ok\n2026 INFO x"), "ok\\n2026 INFO x");
        assert_eq!(escape_log_message("a\r\tb\\n"), "a\\r\\tb\\\\n");
        assert_eq!(
            escape_log_message("\u{1b}[31mred\u{7f}\u{85}\u{9b}"),
            "\\u{1b}[31mred\\u{7f}\\u{85}\\u{9b}"
        );
        assert_eq!(escape_log_message("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
        assert_eq!(
            escape_log_message("\u{202e}gnp.exe\u{202c}\u{2066}\u{2069}\u{200f}\u{61c}\u{feff}"),
            "\\u{202e}gnp.exe\\u{202c}\\u{2066}\\u{2069}\\u{200f}\\u{61c}\\u{feff}"
        );
    }

    #[test]
    fn empty_log_lines_cost_and_lines_are_capped() {
        let mut limits = Settings::defaults().plugins;
        // The line cap: 200 lines of the default 16384 bytes, then one warning.
        let mut state = call_state(&limits);
        let lines = logged(|| (0..100_000).for_each(|_| state.log_line(LogLevel::Info, String::new())));
        assert_eq!(lines.len(), limits.max_log_lines + 1, "{:?}", &lines[lines.len().saturating_sub(3)..]);
        assert!(lines.last().unwrap().contains("plugin log budget used up"));
        // The byte budget alone: an empty line still costs LOG_LINE_BYTES.
        limits.max_log_lines = usize::MAX;
        let mut state = call_state(&limits);
        let lines = logged(|| (0..100_000).for_each(|_| state.log_line(LogLevel::Info, String::new())));
        assert_eq!(lines.len(), limits.max_log_bytes / LOG_LINE_BYTES + 1);
        // Text counts too: 36 bytes + 64 per line.
        let mut state = call_state(&limits);
        let lines = logged(|| (0..100_000).for_each(|_| state.log_line(LogLevel::Warn, "x".repeat(36))));
        assert_eq!(lines.len(), limits.max_log_bytes / (LOG_LINE_BYTES + 36) + 1);
    }

    #[test]
    fn a_plugin_message_cannot_forge_a_log_line() {
        let limits = Settings::defaults().plugins;
        let mut state = call_state(&limits);
        let forged = "2026-11-30T00:00:00Z  INFO sohoa: forged";
        let lines = logged(|| {
            state.log_line(LogLevel::Info, format!("ok\n{forged}"));
            state.log_line(LogLevel::Error, format!("ok\r{forged}\u{2028}{forged}\u{85}{forged}"));
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        for line in &lines {
            assert!(!line.starts_with(forged), "{line}");
        }
        // The host's prefix and the plugin's name, then the message, last on its line.
        let prefix = "sohoa::plugin: plugin=\"hostile@0.1.0\"";
        assert!(lines[0].ends_with(&format!(" INFO {prefix} ok\\n{forged}")), "{}", lines[0]);
        let escaped = format!("ok\\r{forged}\\u{{2028}}{forged}\\u{{85}}{forged}");
        assert!(lines[1].ends_with(&format!("ERROR {prefix} {escaped}")), "{}", lines[1]);
    }
}
