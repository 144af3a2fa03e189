//! The command line: `sohoa serve | migrate | demo | units import | teams import | teams export |
//! reports ... | openapi`.

mod reports;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::Application;
use crate::audit::Actor;
use crate::config::{Settings, Sources};
use crate::db::Db;
use crate::error::Error;
use crate::teams::{self, RosterFormat};
use crate::units::{self, UnitSource};

#[derive(Debug, Parser)]
#[command(name = "sohoa", version, about = "Community Digital Technology Teams: host service and tools")]
struct Cli {
    /// A TOML file overriding config/default.toml (environment SOHOA__SECTION__KEY overrides both).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder for the SQLite database and caches (paths.data_dir).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve the HTTP API.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Create a fresh demo database (Bình Định, teams for Tây Sơn) and serve it.
    Demo {
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Folder holding binh-dinh-2022-with-2025-mapping.json (paths.shared_data_dir).
        #[arg(long, value_name = "DIR")]
        shared_data: Option<PathBuf>,
        /// Seed the demo database and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Seed this database instead of the data directory's SQLite file: a PostgreSQL URL,
        /// to try several instances on one database (README, "Several instances"). It must
        /// hold no units yet; nothing in it is deleted.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Build the national dataset into the configured database (which must hold no teams):
    /// 63 provinces' 10,599 communes, 74,422 teams, 348,362 members, a year of quarterly
    /// reports. For benchmarks and load tests; see docs/BENCHMARKS.md.
    NationalDataset {
        /// The same seed builds the same dataset.
        #[arg(long, default_value_t = 2023)]
        seed: u64,
        /// Leave out the year of quarterly reports.
        #[arg(long)]
        no_reports: bool,
        /// Folder holding vn-admin-units-2022-04.json (paths.shared_data_dir).
        #[arg(long, value_name = "DIR")]
        shared_data: Option<PathBuf>,
    },
    /// Administrative units.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Teams and members.
    Teams {
        #[command(subcommand)]
        command: TeamsCommand,
    },
    /// Rule plugins: create, build, test, install, bind.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// The reporting workflow: figures, review, unlocks, compiled reports, documents.
    Reports {
        #[command(subcommand)]
        command: reports::ReportsCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Write a backup of the embedded database and its files to FILE (a zip), while the
    /// server runs. PostgreSQL instances use pg_dump (README, "Backups").
    Backup {
        /// The backup file to write (replaced only once the new one is complete).
        file: PathBuf,
    },
    /// Restore a backup made by `sohoa backup` into the data directory (stop the server first).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Replace a database already in the data directory (it is kept beside the restored one).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Create a plugin crate from the template (a working composition check with fixtures).
    New {
        /// The plugin's id: lower-case letters, digits and '-'.
        name: String,
        /// Folder to create it in (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The sohoa-sdk crate to depend on (default: the SDK this host was built from).
        #[arg(long, value_name = "PATH")]
        sdk: Option<PathBuf>,
        /// What the plugin offers: composition (a team check) or report (a report template);
        /// commendation has no template yet, and the command says where to start instead.
        #[arg(long, default_value = "composition", value_parser = ["composition", "report", "commendation"])]
        kind: String,
    },
    /// Build a plugin crate for wasm32-unknown-unknown and turn it into a component.
    Build {
        dir: PathBuf,
        /// Cargo's target folder (default: DIR/target).
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
    },
    /// Run the plugin's fixtures (fixtures/*.toml) against its component, with fuel and memory.
    Test {
        dir: PathBuf,
        /// Use this component instead of building DIR.
        #[arg(long, value_name = "FILE")]
        component: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
    },
    /// Install a component into the database.
    Install { file: PathBuf },
    /// Bind an installed plugin version to a unit's subtree for one kind of rule.
    Bind {
        /// The unit code, e.g. 547.
        #[arg(long)]
        unit: String,
        /// composition, report or commendation.
        #[arg(long, default_value = "composition")]
        kind: String,
        plugin_id: String,
        version: String,
        /// First day it applies (default today).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// A parameter value, NAME=VALUE (repeatable); VALUE is read as JSON when it can be.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account, e.g. `sohoa user create --role province_admin --unit 52 admin`.
    /// The password is asked for (twice), or read from standard input with --password-stdin.
    Create {
        username: String,
        /// province_admin, district_culture, district_home_affairs, district_youth_union,
        /// district_leader, commune_officer, team_leader or viewer.
        #[arg(long)]
        role: String,
        /// Code of the unit the role is held at.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// For a team leader: the team's id.
        #[arg(long, value_name = "ID")]
        team: Option<i64>,
        /// Name shown in the interface (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UnitsCommand {
    /// Import units from the national registry JSON, a province mapping JSON, or CSV
    /// (code,name,type,parent_code[,level]). Repeating an import changes nothing.
    Import {
        file: PathBuf,
        /// With a province mapping file: also apply the 01/07/2025 reform (districts closed,
        /// communes merged), keeping history.
        #[arg(long)]
        apply_2025_reform: bool,
        /// First day the imported units are valid (default: since before our records).
        #[arg(long, value_name = "DATE")]
        valid_from: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TeamsCommand {
    /// Import teams and members from an Excel (.xlsx) or CSV roster, one row per member.
    Import {
        file: PathBuf,
        /// Write the valid rows and report the others, instead of writing nothing.
        #[arg(long)]
        skip_invalid: bool,
        /// Check and report exactly what the import would do, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Accept teams the import leaves breaking their composition rule (audited per team).
        #[arg(long, value_name = "REASON")]
        override_reason: Option<String>,
    },
    /// Export the rosters of a unit's subtree to FILE (.xlsx or .csv), in the layout `teams
    /// import` reads: one row per membership, those who left included.
    Export {
        /// The unit whose teams (and those of every unit below it) are exported.
        #[arg(long, value_name = "CODE")]
        unit: String,
        file: PathBuf,
        /// Headers and words in the cells: vi (default) or en.
        #[arg(long, value_name = "LANG", default_value = "vi")]
        headers: String,
        /// Date the unit tree is taken on (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<Error>() {
                Some(Error::Validation(problems)) => {
                    eprintln!("error: the input is not valid");
                    for p in problems {
                        match p.row {
                            Some(row) => eprintln!("  row {row}, {}: {}", p.field, p.message),
                            None => eprintln!("  {}: {}", p.field, p.message),
                        }
                    }
                }
                _ => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli, overrides: Vec<(&'static str, String)>) -> anyhow::Result<Settings> {
    let mut all = Vec::new();
    if let Some(dir) = &cli.data_dir {
        all.push(("paths.data_dir", dir.display().to_string()));
    }
    all.extend(overrides);
    let settings = Settings::load(&Sources { file: cli.config.as_deref(), env: true, overrides: all })?;
    crate::telemetry::init(&settings.log);
    Ok(settings)
}

/// Connects, migrates, and says on stderr which database it opened: with several data
/// directories about, an import into the wrong one would otherwise go unnoticed.
async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(settings).await?;
    db.migrate().await?;
    let purpose: Option<String> = sqlx::query_scalar("SELECT value FROM instance_meta WHERE key = 'purpose'")
        .fetch_optional(&db.pool)
        .await?;
    let note = if purpose.as_deref() == Some("demo") { " (demo data)" } else { "" };
    eprintln!("database: {}{note}", crate::db::redact(&settings.database_url()));
    Ok(db)
}

/// Refuses to let `sohoa demo` erase a database that it did not make: one that holds units
/// but no `('purpose', 'demo')` mark. A missing or empty file is fine to (re)create.
async fn ensure_demo_may_replace(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let has = |table: &'static str| {
        format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
    };
    let units: i64 = if sqlx::query_scalar::<_, i64>(&has("units")).fetch_one(&mut conn).await? > 0 {
        sqlx::query_scalar("SELECT COUNT(*) FROM units").fetch_one(&mut conn).await?
    } else {
        0
    };
    let demo = sqlx::query_scalar::<_, i64>(&has("instance_meta")).fetch_one(&mut conn).await? > 0
        && sqlx::query_scalar::<_, String>("SELECT value FROM instance_meta WHERE key = 'purpose'")
            .fetch_optional(&mut conn)
            .await?
            .as_deref()
            == Some("demo");
    conn.close().await?;
    if units > 0 && !demo {
        anyhow::bail!(
            "{} holds data that the demo did not make ({units} units); `sohoa demo` would erase it. \
             Run the demo with another --data-dir",
            path.display()
        );
    }
    Ok(())
}

fn listen_override(listen: &Option<String>) -> Vec<(&'static str, String)> {
    listen.iter().map(|l| ("server.listen", l.clone())).collect()
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve { listen } => {
            let settings = settings(&cli, listen_override(listen))?;
            let db = open(&settings).await?;
            Application::bind(settings, db).await?.run().await?;
        }
        Command::NationalDataset { seed, no_reports, shared_data } => {
            national_dataset(&cli, *seed, !*no_reports, shared_data.as_deref()).await?;
        }
        Command::Backup { file } => {
            let settings = settings(&cli, Vec::new())?;
            let done = crate::backup::backup(&settings, file).await?;
            let m = &done.manifest;
            let bytes: u64 = m.entries.iter().map(|e| e.size).sum();
            println!(
                "backed up {} (schema {}, {} guidance file(s), {bytes} bytes) to {}",
                settings.sqlite_path().display(),
                m.schema_version,
                m.entries.len() - 1,
                file.display()
            );
        }
        Command::Restore { file, force } => {
            let settings = settings(&cli, Vec::new())?;
            let done = crate::backup::restore(&settings, file, *force).await?;
            if let Some(kept) = &done.kept {
                println!("the database that was there is kept as {}", kept.display());
            }
            println!(
                "restored {} (taken {}, schema {}, {} guidance file(s)) into {}",
                file.display(),
                done.manifest.created_at,
                done.manifest.schema_version,
                done.manifest.entries.len() - 1,
                settings.paths.data_dir.display()
            );
        }
        Command::Migrate => {
            let settings = settings(&cli, Vec::new())?;
            open(&settings).await?;
            println!("database is up to date");
        }
        Command::Demo { listen, shared_data, no_serve, database_url } => {
            demo(&cli, listen, shared_data.as_deref(), *no_serve, database_url.as_deref()).await?;
        }
        Command::Units { command: UnitsCommand::Import { file, apply_2025_reform, valid_from } } => {
            let settings = settings(&cli, Vec::new())?;
            let db = open(&settings).await?;
            import_units(&db, file, *apply_2025_reform, valid_from.as_deref()).await?;
        }
        Command::Teams { command: TeamsCommand::Import { file, skip_invalid, dry_run, override_reason } } => {
            let settings = settings(&cli, Vec::new())?;
            let db = open(&settings).await?;
            let options = teams::import::Options {
                skip_invalid: *skip_invalid,
                dry_run: *dry_run,
                max_rows: settings.import.max_rows,
                override_reason: override_reason.clone(),
                chunk_rows: None,
            };
            return import_roster(&db, &settings, file, &options).await;
        }
        Command::Reports { command } => {
            let settings = settings(&cli, Vec::new())?;
            let db = open(&settings).await?;
            return reports::run(&db, &settings, command).await;
        }
        Command::Teams { command: TeamsCommand::Export { unit, file, headers, as_of } } => {
            let settings = settings(&cli, Vec::new())?;
            let db = open(&settings).await?;
            export_roster(&db, unit, file, headers, as_of.as_deref()).await?;
        }
        Command::User {
            command: UserCommand::Create { username, role, unit, team, display_name, password_stdin },
        } => {
            let settings = settings(&cli, Vec::new())?;
            let db = open(&settings).await?;
            let secret = read_password(*password_stdin)?;
            let new_role =
                crate::users::NewRole { role: role.clone(), unit_code: unit.clone(), team_id: *team };
            let input = crate::users::NewUser {
                username: Some(username.clone()),
                display_name: Some(display_name.clone().unwrap_or_else(|| username.clone())),
                password: Some(secret),
                roles: vec![new_role.clone()],
            };
            let password = crate::auth::password::Hashed::of(input.password.as_deref().unwrap_or("")).await?;
            let mut tx = db.begin_write().await?;
            let checked = crate::users::check_role(&mut tx, &new_role).await?;
            let actor = Actor::system("sohoa user create");
            let user = crate::users::create(&mut tx, &actor, &input, &password, &[checked]).await?;
            tx.commit().await?;
            println!("created user {} (id {}) as {role}", user.username, user.id);
        }
        Command::Plugin { command } => return plugin_command(&cli, command).await,
        Command::Openapi => {
            println!("{}", crate::api::openapi().to_pretty_json()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn plugin_command(cli: &Cli, command: &PluginCommand) -> anyhow::Result<ExitCode> {
    use crate::plugins::{Kind, bindings, build, registry};
    match command {
        PluginCommand::New { name, dir, sdk, kind } => {
            let dest = dir.clone().unwrap_or_else(|| PathBuf::from(name));
            let sdk =
                sdk.clone().unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk")));
            let kind = crate::plugins::Kind::parse(kind).unwrap_or(crate::plugins::Kind::Composition);
            build::new_plugin(&dest, name, &sdk, kind)?;
            println!("created {} — next: sohoa plugin build {0} && sohoa plugin test {0}", dest.display());
        }
        PluginCommand::Build { dir, target_dir } => {
            let target = target_dir.clone().unwrap_or_else(|| dir.join("target"));
            eprintln!("building {} for {} ...", dir.display(), build::WASM_TARGET);
            let out = build::build(dir, &target)?;
            println!("{}", out.display());
        }
        PluginCommand::Test { dir, component, target_dir } => {
            let path = match component {
                Some(p) => p.clone(),
                None => build::build(dir, &target_dir.clone().unwrap_or_else(|| dir.join("target")))?,
            };
            let bytes = std::fs::read(&path)?;
            let settings = settings(cli, Vec::new())?;
            let runtime = crate::plugins::Runtime::new(settings.plugins.clone(), None)?;
            let results = build::run_fixtures(dir, &bytes, &runtime)?;
            let failed = results.iter().filter(|r| !r.passed).count();
            for r in &results {
                let mark = if r.passed { "ok  " } else { "FAIL" };
                println!(
                    "{mark} {} / {}  (fuel {}, memory {} KiB)",
                    r.file,
                    r.name,
                    r.usage.fuel,
                    r.usage.memory / 1024
                );
                if !r.passed {
                    println!("     {}", r.detail);
                }
            }
            println!("{} passed, {failed} failed", results.len() - failed);
            return Ok(if failed == 0 && !results.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        PluginCommand::Install { file } => {
            let settings = settings(cli, Vec::new())?;
            let db = open(&settings).await?;
            let bytes =
                std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let runtime = crate::plugins::Runtime::for_settings(&settings)?;
            let inspected = registry::inspect(&runtime, &bytes)?;
            let mut tx = db.begin_write().await?;
            let (info, created) =
                registry::store(&mut tx, &Actor::system("sohoa plugin install"), &inspected, &bytes).await?;
            tx.commit().await?;
            let verb = if created { "installed" } else { "already installed" };
            println!(
                "{verb} {}@{} ({}, sha256 {})",
                info.plugin_id,
                info.version,
                info.name,
                &info.sha256[..16]
            );
        }
        PluginCommand::Bind { unit, kind, plugin_id, version, from, params } => {
            let settings = settings(cli, Vec::new())?;
            let db = open(&settings).await?;
            let kind = Kind::parse(kind)
                .ok_or_else(|| anyhow::anyhow!("--kind: composition, report or commendation"))?;
            let mut map = serde_json::Map::new();
            for p in params {
                let (k, v) =
                    p.split_once('=').ok_or_else(|| anyhow::anyhow!("--param {p}: expected NAME=VALUE"))?;
                let value =
                    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
                map.insert(k.to_string(), value);
            }
            let input = bindings::NewBinding {
                kind,
                plugin_id: Some(plugin_id.clone()),
                version: Some(version.clone()),
                effective_from: from.clone(),
                params: map,
            };
            let mut tx = db.begin_write().await?;
            let b = bindings::bind(&mut tx, &Actor::system("sohoa plugin bind"), unit, input).await?;
            tx.commit().await?;
            println!(
                "{plugin_id}@{version} applies to {unit} for {} rules from {}",
                kind.as_str(),
                b.effective_from
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Mật khẩu / password: ")?;
    let second = rpassword::prompt_password("Nhập lại / again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

fn progress_bar(message: &str) -> ProgressBar {
    // Draws only on a terminal; in CI and pipes it stays silent.
    let bar = ProgressBar::new(0);
    bar.set_style(bar_style());
    bar.set_message(message.to_string());
    bar
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed})")
        .expect("a valid template")
        .progress_chars("=> ")
}

/// For a step whose total is not known yet: a count, not a bar (a bar of 0/0 looks full).
fn counter_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg}: {pos} ({elapsed})").expect("a valid template")
}

/// "1 row", "2 rows".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

async fn import_units(db: &Db, file: &Path, reform: bool, valid_from: Option<&str>) -> anyhow::Result<()> {
    let valid_from = match valid_from {
        None => None,
        Some(v) => Some(crate::dates::iso(
            crate::dates::parse(v).ok_or_else(|| anyhow::anyhow!("--valid-from: '{v}' is not a date"))?,
        )),
    };
    let started = std::time::Instant::now();
    let source = UnitSource::read(file)?;
    if reform && source.reform_2025.is_none() {
        anyhow::bail!("--apply-2025-reform needs a province mapping file with after_2025_07_01 entries");
    }
    let bar = progress_bar("importing units");
    let mut tx = db.begin_write().await?;
    let actor = Actor::system("sohoa units import");
    let report =
        units::import_units(&mut tx, &actor, &source.units, valid_from.as_deref(), &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "units: {} created, {} unchanged, {} differing (left as they are) in {:.1}s",
        report.created,
        report.unchanged,
        report.differing.len(),
        started.elapsed().as_secs_f64()
    );
    if !report.differing.is_empty() {
        let shown: Vec<&str> = report.differing.iter().take(20).map(String::as_str).collect();
        println!(
            "  differing codes: {}{}",
            shown.join(", "),
            if report.differing.len() > 20 { ", ..." } else { "" }
        );
    }
    if reform {
        let mapping = source.reform_2025.as_deref().expect("checked above");
        let province = source.reform_province.as_deref().expect("set with the mapping");
        let r = units::apply_2025_reform(&mut tx, &actor, province, mapping).await?;
        if r.already_applied {
            println!("2025 reform: already applied to {province}; nothing changed");
        } else {
            println!(
                "2025 reform ({}): {} communes created, {} merged, {} split, {} kept without mapping, \
                 {} villages moved, {} districts closed on 01/07/2025",
                province,
                r.communes_created,
                r.communes_merged,
                r.communes_split,
                r.communes_kept.len(),
                r.villages_moved,
                r.districts_closed
            );
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn import_roster(
    db: &Db,
    settings: &Settings,
    file: &Path,
    options: &teams::import::Options,
) -> anyhow::Result<ExitCode> {
    let format = RosterFormat::from_path(file)
        .ok_or_else(|| anyhow::anyhow!("{}: expected a .xlsx or .csv file", file.display()))?;
    let runtime = crate::plugins::Runtime::for_settings(settings)?;
    let actor = Actor::system("sohoa teams import");
    // The file is streamed (teams::import::Input::File): a CSV roster of any length.
    let input = teams::import::Input::File(file.to_path_buf());
    let bar = progress_bar("reading");
    let progress = |stage: teams::import::Stage, done: usize, total: usize| {
        let message = match stage {
            teams::import::Stage::Reading => "reading rows",
            teams::import::Stage::Checking => "checking (nothing written yet)",
            teams::import::Stage::Writing => "writing",
        };
        bar.set_message(message);
        if total == 0 {
            bar.set_style(counter_style());
        } else {
            bar.set_style(bar_style());
            bar.set_length(total.max(done) as u64);
        }
        bar.set_position(done as u64);
    };
    let outcome = teams::import_roster(db, &runtime, &actor, None, &input, format, options, &progress).await;
    bar.finish_and_clear();
    let outcome = outcome?;
    for e in &outcome.errors {
        eprintln!("row {}, {}: {}", e.row.unwrap_or(0), e.field, e.message);
    }
    for t in &outcome.composition {
        let rule = t.plugin.as_ref().map(|p| format!("{}@{}", p.plugin_id, p.version)).unwrap_or_default();
        let verdict = if t.accepted { "accepted with the override reason" } else { "refused" };
        eprintln!("team '{}' ({}), rows {:?}: breaks {rule}, {verdict}:", t.team_name, t.unit_code, t.rows);
        for f in &t.findings {
            eprintln!("  {}: {}", f.code, f.message);
        }
        if let Some(failure) = &t.rule_failure {
            eprintln!("  the rule could not run: {failure}");
        }
    }
    if outcome.composition.iter().any(|t| !t.accepted) {
        eprintln!("give --override-reason to import these teams anyway (the reason is audited)");
    }
    // With --skip-invalid, a file whose every row is invalid imports nothing: that is a
    // failure to report, not a success.
    let all_invalid = outcome.rows > 0 && outcome.rows_skipped == outcome.rows;
    let verb = match (outcome.written, options.dry_run) {
        _ if all_invalid => "nothing to import, every row is invalid",
        (true, _) => "imported",
        (false, true) if !outcome.refused => "dry run, nothing written; the import would do",
        _ => "nothing written",
    };
    println!(
        "{verb}: {}; teams {} new, {} existing; members {} new, {} existing; {}",
        count(outcome.rows, "row", "rows"),
        outcome.teams_created,
        outcome.teams_existing,
        outcome.members_created,
        outcome.members_existing,
        count(outcome.rows_skipped, "invalid row", "invalid rows")
    );
    if outcome.people_updated > 0 {
        println!(
            "{} on record given the phone or email they lacked",
            count(outcome.people_updated, "person", "people")
        );
    }
    // The refusals by composition rule are listed above; the summary counts them too (it read
    // "0 invalid rows" alone for an import its rules refused).
    let broken = outcome.composition.iter().filter(|t| !t.accepted).count();
    if broken > 0 {
        println!(
            "{}",
            count(
                broken,
                "team would break its composition rule",
                "teams would break their composition rule"
            )
        );
    }
    Ok(if outcome.refused || all_invalid { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn export_roster(
    db: &Db,
    unit: &str,
    file: &Path,
    headers: &str,
    as_of: Option<&str>,
) -> anyhow::Result<()> {
    use teams::export::Language;
    let format = RosterFormat::from_path(file)
        .ok_or_else(|| anyhow::anyhow!("{}: expected a .xlsx or .csv file name", file.display()))?;
    let language = match headers {
        "vi" => Language::Vi,
        "en" => Language::En,
        other => anyhow::bail!("--headers: '{other}' is not one of vi, en"),
    };
    let date = crate::api::as_of(as_of)?;
    let mut conn = db.pool.acquire().await?;
    let unit_id = units::id_of(&mut conn, unit).await?;
    let rows = teams::export::rows(&mut conn, None, Some(vec![unit_id]), &date, language).await?;
    let bytes = match format {
        RosterFormat::Csv => teams::export::to_csv(&rows, language)?,
        RosterFormat::Xlsx => teams::export::to_xlsx(&rows, language)?,
    };
    std::fs::write(file, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    println!("exported {} member rows of unit {unit} to {}", rows.len(), file.display());
    Ok(())
}

async fn national_dataset(
    cli: &Cli,
    seed: u64,
    reports: bool,
    shared_data: Option<&Path>,
) -> anyhow::Result<()> {
    let overrides =
        shared_data.map(|d| ("paths.shared_data_dir", d.display().to_string())).into_iter().collect();
    let settings = settings(cli, overrides)?;
    let db = open(&settings).await?;
    let runtime = crate::plugins::Runtime::for_settings(&settings)?;
    let target_dir = settings.paths.plugin_dir.join("..").join("target").join("wasm");
    let started = std::time::Instant::now();
    let bar = progress_bar("units");
    let progress = |step: crate::national::Step, done: usize, total: usize| {
        bar.set_message(step.label());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let options = crate::national::Options { seed, reports };
    let built = crate::national::build(
        &db,
        &runtime,
        &settings.paths.shared_data_dir,
        &settings.paths.plugin_dir,
        &target_dir,
        &options,
        &progress,
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "national dataset (seed {seed}) in {:.1}s: {} units ({} communes), {} teams, {} members, {} reports, {} findings",
        started.elapsed().as_secs_f64(),
        built.units,
        built.communes,
        built.teams,
        built.members,
        built.submissions,
        built.findings
    );
    for (step, seconds) in &built.timings {
        println!("  {step:<32} {seconds:>7.1}s");
    }
    println!("accounts (password {}):", crate::national::PASSWORD);
    for (username, name, role, units) in crate::national::ACCOUNTS {
        let units = if *units == "*" { "every province" } else { units };
        println!("  {username:<14} {role:<18} {units:<16} {name}");
    }
    Ok(())
}

async fn demo(
    cli: &Cli,
    listen: &Option<String>,
    shared_data: Option<&Path>,
    no_serve: bool,
    database_url: Option<&str>,
) -> anyhow::Result<()> {
    let base = settings(cli, Vec::new())?;
    // The data directory's one database, so that `sohoa serve`, `teams import` and `user
    // create` with the same --data-dir see the demo's data.
    let path = base.sqlite_path();
    std::fs::create_dir_all(&base.paths.data_dir)?;
    let mut overrides = listen_override(listen);
    let target = match database_url {
        // A database named on purpose: never replaced, only filled when empty (below).
        Some(url) => {
            overrides.push(("database.url", url.to_string()));
            crate::db::redact(url)
        }
        None => {
            ensure_demo_may_replace(&path).await?;
            for suffix in ["", "-wal", "-shm"] {
                let f = PathBuf::from(format!("{}{suffix}", path.display()));
                if f.exists() {
                    std::fs::remove_file(&f)?;
                }
            }
            // Otherwise the demo runs on its own fresh SQLite file, never on a configured server.
            overrides.push(("database.url", format!("sqlite://{}?mode=rwc", path.display())));
            path.display().to_string()
        }
    };
    if let Some(dir) = shared_data {
        overrides.push(("paths.shared_data_dir", dir.display().to_string()));
    }
    let settings = settings(cli, overrides)?;
    let db = open(&settings).await?;
    if database_url.is_some() {
        let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units").fetch_one(&db.pool).await?;
        if units > 0 {
            anyhow::bail!("{target} already holds {units} units; the demo fills only an empty database");
        }
    }
    let started = std::time::Instant::now();
    eprintln!("seeding the demo database {target} ...");
    let runtime = crate::plugins::Runtime::for_settings(&settings)?;
    let target_dir = settings.paths.plugin_dir.join("..").join("target").join("wasm");
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO instance_meta (key, value) VALUES ('purpose', 'demo')")
        .execute(&mut *tx)
        .await?;
    let report = crate::demo::seed(&mut tx, &settings.paths.shared_data_dir).await?;
    let installed = if settings.paths.plugin_dir.is_dir() {
        crate::demo::install_bundled(&mut tx, &runtime, &settings.paths.plugin_dir, &target_dir).await?
    } else {
        eprintln!("no plugin folder at {}: the demo runs without rules", settings.paths.plugin_dir.display());
        Vec::new()
    };
    let bound = crate::demo::bind_bundled(&mut tx, &installed).await?;
    tx.commit().await?;
    for info in &installed {
        eprintln!("plugin {}@{}: {}", info.plugin_id, info.version, info.name);
    }
    if installed.iter().any(|p| p.plugin_id == crate::demo::DEMO_REPORT) {
        let seeded = crate::demo::seed_reports(&db, &runtime).await?;
        eprintln!(
            "{} quarterly reports of Tây Sơn's communes for 2022-Q3 and 2022-Q4; the district's 2022-Q3 report compiled, approved and sent",
            seeded.submissions
        );
        let duties = crate::demo::seed_duties(&db, &runtime, &settings.paths.data_dir).await?;
        eprintln!(
            "emulation campaign {} evaluated from the stored reports, {} award(s) decided; {} Youth Union nominations; {} guidance documents; {} people in management groups",
            duties.campaign_id, duties.awards, duties.nominations, duties.guidance, duties.group
        );
    }
    eprintln!("{bound} plugin binding(s): Bình Định (52) and Đà Nẵng (48) each under their own rules");
    eprintln!(
        "demo ready in {:.1}s: {} units (Bình Định, Đà Nẵng), {} villages, {} teams and {} members in Tây Sơn (code {})",
        started.elapsed().as_secs_f64(),
        report.units,
        report.villages,
        report.teams,
        report.members,
        crate::demo::TAY_SON
    );
    eprintln!("demo accounts (password {}):", crate::demo::DEMO_PASSWORD);
    for (username, role, name) in &report.accounts {
        eprintln!("  {username:<20} {role:<22} {name}");
    }
    if no_serve {
        return Ok(());
    }
    let app = Application::bind(settings, db).await?;
    let base = format!("http://{}", app.local_addr());
    eprintln!(
        "open {base} in a browser and sign in as tayson.vhtt (password {})",
        crate::demo::DEMO_PASSWORD
    );
    eprintln!(
        "or:  curl -c jar -H 'content-type: application/json' -d '{{\"username\":\"tayson.vhtt\",\"password\":\"{}\"}}' {base}/api/v1/auth/login",
        crate::demo::DEMO_PASSWORD
    );
    eprintln!("     curl -b jar '{base}/api/v1/teams?unit={}'", crate::demo::TAY_SON);
    app.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "\
Mã đơn vị,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,Chức vụ trong tổ,Thành phần,Ngày tham gia
21835-01,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Phạm Văn Sơn,Nam,1970,0905111004,Tổ trưởng,Trưởng thôn,01/07/2022
21835-01,3/QĐ-UBND,01/07/2022,Nguyễn Văn Hùng,Trần Thị Lan,Nữ,1997,0905111002,Thành viên,Đoàn Thanh niên,02/07/2022
";

    async fn sohoa(dir: &Path, args: &[&str]) -> ExitCode {
        let mut all = vec!["sohoa".to_string(), "--data-dir".into(), dir.display().to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        run(Cli::parse_from(all)).await.expect("the command runs")
    }

    async fn memberships(dir: &Path) -> i64 {
        let overrides = vec![("paths.data_dir", dir.display().to_string())];
        let settings = Settings::load(&Sources { overrides, ..Default::default() }).unwrap();
        let db = Db::connect(&settings).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships").fetch_one(&db.pool).await.unwrap()
    }

    #[tokio::test]
    async fn teams_import_dry_run_writes_nothing_and_export_imports_back() {
        let dir = tempfile::tempdir().unwrap();
        let units = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/units.csv");
        assert_eq!(sohoa(dir.path(), &["units", "import", units]).await, ExitCode::SUCCESS);
        let roster = dir.path().join("to.csv");
        std::fs::write(&roster, ROSTER.replace(',', ";")).unwrap();
        let roster = roster.to_str().unwrap();

        assert_eq!(sohoa(dir.path(), &["teams", "import", "--dry-run", roster]).await, ExitCode::SUCCESS);
        assert_eq!(memberships(dir.path()).await, 0, "a dry run writes nothing");
        assert_eq!(sohoa(dir.path(), &["teams", "import", roster]).await, ExitCode::SUCCESS);
        assert_eq!(memberships(dir.path()).await, 2);

        let out = dir.path().join("xuat.xlsx");
        let out = out.to_str().unwrap();
        assert_eq!(sohoa(dir.path(), &["teams", "export", "--unit", "21835", out]).await, ExitCode::SUCCESS);
        assert_eq!(sohoa(dir.path(), &["teams", "import", out]).await, ExitCode::SUCCESS);
        assert_eq!(memberships(dir.path()).await, 2, "the export imports back unchanged");
    }
}
