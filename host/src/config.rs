//! Settings: `config/default.toml` (compiled in), then an optional `--config` file, then
//! `SOHOA__SECTION__KEY` environment variables, then command-line overrides.
//!
//! Every struct denies unknown fields, so a misspelt key fails loudly with its name instead
//! of being silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The defaults, kept in one file that is both documentation and source.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// Error raised when the settings cannot be read or do not fit the schema.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub paths: PathSettings,
    pub api: ApiSettings,
    pub import: ImportSettings,
    pub auth: AuthSettings,
    pub plugins: PluginSettings,
    pub documents: DocumentSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Requests running longer than this are cut off (503 `timeout` on the API).
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Empty for the embedded SQLite file in `paths.data_dir`.
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSettings {
    pub data_dir: PathBuf,
    pub plugin_dir: PathBuf,
    pub shared_data_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    pub default_page_size: u32,
    pub max_page_size: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    pub max_rows: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub session_hours: i64,
    pub token_max_days: i64,
    pub login_window_minutes: i64,
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    pub secure_cookies: bool,
}

/// Limits of every plugin call; see `config/default.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSettings {
    pub fuel: u64,
    pub timeout_ms: u64,
    pub memory_bytes: usize,
    pub table_elements: usize,
    pub stack_bytes: usize,
    /// Bytes of a call's written memory wiped by copying (the rest is unmapped) when its
    /// instance slot is given back; see `config/default.toml`.
    pub keep_resident_bytes: usize,
    pub max_input_bytes: usize,
    pub max_output_bytes: usize,
    /// Log budget of one call: each line costs [`LOG_LINE_BYTES`](crate::plugins::runtime::LOG_LINE_BYTES)
    /// plus its length.
    pub max_log_bytes: usize,
    /// Lines one call may log.
    pub max_log_lines: usize,
    /// Blocks in one document.
    pub max_blocks: usize,
    /// Rows in one table (header excluded).
    pub max_table_rows: usize,
    /// Cells in a table's header or any one row.
    pub max_table_columns: usize,
    /// Cells of all a document's tables, headers included.
    pub max_table_cells: usize,
    /// Recipients of all a document's recipients blocks.
    pub max_recipients: usize,
    /// Items of any other list in an answer (findings, member ids, assessments, reasons,
    /// metadata lists).
    pub max_list_items: usize,
    pub max_component_bytes: usize,
    /// Plugin calls that run at once (threads; 0: one per CPU core). See `plugins::workers`.
    pub workers: u32,
    /// Calls that may wait for a worker; one more is refused at once (503 `busy`).
    pub queue_length: usize,
    /// How long a call may wait for a worker before it gives up (503 `busy`), in ms.
    pub queue_wait_ms: u64,
    /// How long a request waits for its plugin to be compiled before it answers 503 `busy`
    /// (the compile goes on), in ms.
    pub compile_wait_ms: u64,
}

impl PluginSettings {
    /// The number of plugin worker threads: `workers`, or one per CPU core when 0.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        }
    }
}

/// Laying documents out; see `config/default.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettings {
    /// Layouts running at once on the blocking pool.
    pub layout_concurrency: usize,
    /// How long a layout waits for its turn before the answer is 503 `busy`.
    pub layout_wait_ms: u64,
    /// The Chromium program that prints PDFs (a name on PATH or a path); empty: no PDF.
    pub chromium: String,
    /// How long one PDF print may take.
    pub pdf_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// `GET /metrics` ([`crate::metrics`]); see `config/default.toml`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The bearer token a scraper must send; empty (the default) turns `/metrics` off (404).
    pub token: String,
}

impl std::fmt::Debug for MetricsSettings {
    /// Never prints the token (settings are logged at debug level).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &if self.token.is_empty() { "" } else { "…" })
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// Where settings come from, in increasing priority after the compiled-in defaults.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    /// A TOML file given with `--config`; it must exist.
    pub file: Option<&'a Path>,
    /// Read `SOHOA__SECTION__KEY` variables (off in tests that must not see the caller's env).
    pub env: bool,
    /// Dotted keys set last, e.g. `("server.listen", "127.0.0.1:0")` from `--listen`.
    pub overrides: Vec<(&'static str, String)>,
}

impl Settings {
    /// The compiled-in defaults alone.
    pub fn defaults() -> Self {
        Self::load(&Sources::default()).expect("config/default.toml must parse")
    }

    pub fn load(sources: &Sources<'_>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(file) = sources.file {
            if !file.is_file() {
                return Err(ConfigError(format!("configuration file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        if sources.env {
            figment = figment.merge(Env::prefixed("SOHOA__").split("__"));
        }
        for (key, value) in &sources.overrides {
            // Parse like an environment variable would be ("8" is a number, "x" a string).
            let value: figment::value::Value = value.parse().expect("Value::from_str is infallible");
            figment = figment.merge(Serialized::default(key, value));
        }
        let settings: Settings = figment.extract().map_err(|e| {
            // figment's message names the key and the file or variable it came from.
            ConfigError(e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))
        })?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        if self.api.default_page_size == 0 || self.api.max_page_size == 0 {
            return bad("api.default_page_size", "page sizes must be at least 1");
        }
        if self.api.default_page_size > self.api.max_page_size {
            return bad("api.default_page_size", "must not exceed api.max_page_size");
        }
        let a = &self.auth;
        if a.session_hours < 1 || a.token_max_days < 1 || a.login_window_minutes < 1 {
            return bad("auth", "durations must be at least 1");
        }
        if a.max_failures_per_account < 1 || a.max_failures_per_address < 1 {
            return bad("auth", "failure limits must be at least 1");
        }
        let p = &self.plugins;
        if p.fuel == 0 || p.timeout_ms < 10 || p.memory_bytes < 1 << 20 || p.queue_length == 0 {
            return bad(
                "plugins",
                "fuel, timeout_ms (at least 10), memory_bytes (at least 1 MiB) and queue_length must be set",
            );
        }
        if self.documents.layout_concurrency == 0 {
            return bad("documents.layout_concurrency", "must be at least 1");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.server.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes", "must be at least 1024");
        }
        let url = self.database.url.as_str();
        if !(url.is_empty() || url.starts_with("sqlite:") || url.starts_with("postgres")) {
            return bad("database.url", "must be empty (embedded SQLite), sqlite://... or postgres://...");
        }
        Ok(())
    }

    /// The embedded database of the data directory: `<data_dir>/sohoa.db`. Every command,
    /// `sohoa demo` included, opens this one file, so there is one obvious database per data
    /// directory.
    pub fn sqlite_path(&self) -> std::path::PathBuf {
        self.paths.data_dir.join(SQLITE_FILE)
    }

    /// The database URL to connect to, resolving the embedded default.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.sqlite_path().display())
        } else {
            self.database.url.clone()
        }
    }
}

/// The file name of the embedded database inside the data directory.
pub const SQLITE_FILE: &str = "sohoa.db";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn defaults_parse_and_are_sane() {
        let s = Settings::defaults();
        assert_eq!(s.server.listen.port(), 8080);
        assert!(s.database.url.is_empty());
        assert!(s.database_url().starts_with("sqlite://"));
        assert_eq!(s.log.format, LogFormat::Pretty);
    }

    #[test]
    fn file_overrides_defaults_and_unknown_key_is_named() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[api]\nmax_page_size = 100").unwrap();
        let s = Settings::load(&Sources { file: Some(f.path()), ..Default::default() }).unwrap();
        assert_eq!(s.api.max_page_size, 100);
        assert_eq!(s.api.default_page_size, 50);

        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[database]\nurll = \"x\"").unwrap();
        let err =
            Settings::load(&Sources { file: Some(f.path()), ..Default::default() }).unwrap_err().to_string();
        assert!(err.contains("urll"), "{err}");
    }

    #[test]
    fn overrides_win_and_bad_values_are_refused() {
        let s = Settings::load(&Sources {
            overrides: vec![("server.listen", "127.0.0.1:0".into())],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.server.listen.port(), 0);

        let err = Settings::load(&Sources {
            overrides: vec![("api.default_page_size", "0".into())],
            ..Default::default()
        });
        assert!(err.is_err());
        let err = Settings::load(&Sources {
            overrides: vec![("database.url", "mysql://x".into())],
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn missing_config_file_is_an_error() {
        let err = Settings::load(&Sources {
            file: Some(Path::new("/nonexistent/sohoa.toml")),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }
}
