//! `sohoa reports ...`: the reporting workflow from the command line, for administrators and
//! scripts (a province loading a quarter's figures, a district compiling after hours). Each
//! command calls the same service as the API, as the system (no role check: whoever runs the
//! command owns the database), and is recorded in the audit trail as `sohoa reports <command>`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::audit::Actor;
use crate::db::Db;
use crate::reports::bulk::{self, ImportOptions};
use crate::reports::compiled::{self, Decision};
use crate::reports::submissions::{self, Review, SubmissionInput, UnlockInput};

/// Which report: a unit, a template, a period.
#[derive(Debug, Args)]
pub struct Which {
    /// The unit's code (a commune that reports, or the district that compiles).
    #[arg(long, value_name = "CODE")]
    unit: String,
    /// The report template's plugin id, e.g. binh-dinh-bao-cao-quy.
    #[arg(long, value_name = "ID")]
    template: String,
    /// The period: 2022-Q3, 2022-07, 2022-H1 or 2022; `current` (the default) for the one
    /// containing today.
    #[arg(long, value_name = "PERIOD", default_value = "current")]
    period: String,
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Completeness below a unit: each expected report's status, then the counts and rates.
    Status {
        #[command(flatten)]
        which: Which,
    },
    /// Save a unit's figures as a draft, or submit them after every check.
    Submit {
        #[command(flatten)]
        which: Which,
        /// A figure as CODE=VALUE (VALUE as Vietnamese write it: 1.234 or 12,5); repeat.
        #[arg(long = "figure", value_name = "CODE=VALUE")]
        figures: Vec<String>,
        /// Save as a draft instead of submitting.
        #[arg(long)]
        draft: bool,
        /// Confirm a warning, as code@indicator (as the refusal lists them); repeat.
        #[arg(long = "confirm", value_name = "CODE@INDICATOR")]
        confirm: Vec<String>,
    },
    /// Accept a unit's submitted figures, or return them with a reason.
    Review {
        #[command(flatten)]
        which: Which,
        #[arg(long, conflicts_with = "return_reason", required_unless_present = "return_reason")]
        accept: bool,
        /// Return the figures to the unit, saying why.
        #[arg(long = "return", value_name = "REASON")]
        return_reason: Option<String>,
    },
    /// Open a unit's closed form again until a day.
    Unlock {
        #[command(flatten)]
        which: Which,
        /// The last day it stays open (dd/mm/yyyy or yyyy-mm-dd).
        #[arg(long, value_name = "DATE")]
        until: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Compile a unit's report from the accepted figures below it (dated today).
    Compile {
        #[command(flatten)]
        which: Which,
    },
    /// Approve a compiled report.
    Approve {
        #[command(flatten)]
        which: Which,
    },
    /// Send an approved report to the level above.
    Send {
        #[command(flatten)]
        which: Which,
    },
    /// Return a sent report to the unit that sent it, saying why.
    Return {
        #[command(flatten)]
        which: Which,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Write a compiled report's document to FILE (.docx, .xlsx or .html), made again from its
    /// snapshot.
    Document {
        #[command(flatten)]
        which: Which,
        file: PathBuf,
    },
    /// Write the form as an XLSX for bulk entry: one row per unit at or below --unit.
    Export {
        #[command(flatten)]
        which: Which,
        file: PathBuf,
    },
    /// Read a filled form (as `export` writes it) and save each row; --submit to submit them.
    Import {
        #[command(flatten)]
        which: Which,
        file: PathBuf,
        #[arg(long)]
        submit: bool,
        /// Confirm every warning the checks raise (kept with each submission).
        #[arg(long)]
        confirm_warnings: bool,
    },
}

fn actor(command: &str) -> Actor {
    Actor::system(&format!("sohoa reports {command}"))
}

fn figures(given: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, f64>> {
    let mut out = std::collections::BTreeMap::new();
    for f in given {
        let (code, value) = f.split_once('=').ok_or_else(|| {
            anyhow::anyhow!("--figure '{f}': write CODE=VALUE, e.g. ho_duoc_huong_dan=1.234")
        })?;
        let v = crate::text::parse_number(value).ok_or_else(|| {
            anyhow::anyhow!("--figure '{f}': '{value}' is not a number (write 1.234 or 12,5)")
        })?;
        out.insert(code.trim().to_string(), v);
    }
    Ok(out)
}

fn print_submission(v: &submissions::SubmissionView) {
    println!(
        "{} ({}) {}: {}{}; due {}{}",
        v.unit_name,
        v.unit_code,
        v.period.id,
        v.status.as_str(),
        if v.late { " (late)" } else { "" },
        crate::dates::display(v.deadline),
        if v.open { ", open" } else { ", closed" }
    );
    for (code, value) in &v.figures {
        println!("  {code} = {}", crate::reports::form::shown(*value));
    }
}

fn print_report(r: &compiled::ReportView) {
    println!(
        "{} ({}) {}: {} · {}/{} reports received, {} on time, {} late, {} missing",
        r.unit_name,
        r.unit_code,
        r.period.id,
        r.status.as_str(),
        r.completeness.received,
        r.completeness.expected,
        r.completeness.on_time,
        r.completeness.late,
        r.completeness.missing
    );
    for (code, value) in &r.totals {
        println!("  {code} = {}", crate::reports::form::shown(*value));
    }
}

pub async fn run(
    db: &Db,
    settings: &crate::config::Settings,
    command: &ReportsCommand,
) -> anyhow::Result<ExitCode> {
    let runtime = || crate::plugins::Runtime::for_settings(settings);
    let today = crate::dates::today();
    match command {
        ReportsCommand::Status { which } => {
            let c =
                crate::reports::rollup::completeness(db, None, &which.unit, &which.template, &which.period)
                    .await?;
            for u in &c.units {
                println!(
                    "{:<10} {:<28} {}{}",
                    u.report.unit_code,
                    u.report.unit_name,
                    u.report.status.as_str(),
                    if u.report.late { " (late)" } else { "" }
                );
            }
            let s = c.summary;
            println!(
                "{}: {}/{} received ({}%), {} on time ({}%), {} late, {} returned, {} missing; due {}",
                c.period.id,
                s.received,
                s.expected,
                s.completeness_rate,
                s.on_time,
                s.timeliness_rate,
                s.late,
                s.returned,
                s.missing,
                crate::dates::display(c.deadline)
            );
        }
        ReportsCommand::Submit { which, figures: given, draft, confirm } => {
            let input =
                SubmissionInput { figures: figures(given)?, submit: !draft, confirm: confirm.clone() };
            let runtime = runtime()?;
            let v = submissions::save(
                db,
                &runtime,
                None,
                &actor("submit"),
                &which.unit,
                &which.template,
                &which.period,
                input,
                today,
            )
            .await?;
            print_submission(&v);
        }
        ReportsCommand::Review { which, accept: _, return_reason } => {
            let decision = match return_reason {
                Some(reason) => Review::Return { reason: reason.clone() },
                None => Review::Accept { submitted_at: None },
            };
            let v = submissions::review(
                db,
                None,
                &actor("review"),
                &which.unit,
                &which.template,
                &which.period,
                decision,
            )
            .await?;
            print_submission(&v);
        }
        ReportsCommand::Unlock { which, until, reason } => {
            let input = UnlockInput { reason: reason.clone(), open_until: until.clone() };
            let v = submissions::unlock(
                db,
                None,
                &actor("unlock"),
                &which.unit,
                &which.template,
                &which.period,
                input,
                today,
            )
            .await?;
            print_submission(&v);
        }
        ReportsCommand::Compile { which } => {
            let runtime = runtime()?;
            let r = compiled::compile(
                db,
                &runtime,
                None,
                &actor("compile"),
                &which.unit,
                &which.template,
                &which.period,
                today,
            )
            .await?;
            print_report(&r);
        }
        ReportsCommand::Approve { which } => decide(db, which, "approve", Decision::Approve).await?,
        ReportsCommand::Send { which } => decide(db, which, "send", Decision::Send).await?,
        ReportsCommand::Return { which, reason } => {
            decide(db, which, "return", Decision::Return { reason: reason.clone() }).await?
        }
        ReportsCommand::Document { which, file } => {
            let format = format_of(file)?;
            let runtime = runtime()?;
            let rendered =
                compiled::document(db, &runtime, None, &which.unit, &which.template, &which.period).await?;
            let layouts = crate::documents::Layouts::for_settings(&settings.documents);
            let bytes = layouts.render(rendered.letter, format).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(file, bytes)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
            println!("wrote {} ({}@{})", file.display(), rendered.plugin.plugin_id, rendered.plugin.version);
        }
        ReportsCommand::Export { which, file } => {
            let bytes = bulk::export(db, None, &which.unit, &which.template, &which.period).await?;
            std::fs::write(file, bytes)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
            println!("wrote {}", file.display());
        }
        ReportsCommand::Import { which, file, submit, confirm_warnings } => {
            let bytes =
                std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let runtime = runtime()?;
            let options = ImportOptions { submit: *submit, confirm_warnings: *confirm_warnings };
            let outcome = bulk::import(
                db,
                &runtime,
                None,
                &actor("import"),
                &which.unit,
                &which.template,
                &which.period,
                &bytes,
                options,
                today,
            )
            .await?;
            for row in &outcome.rows {
                for m in &row.messages {
                    eprintln!("row {}, {} {}: {}", row.row, row.unit_code, m.field, m.message);
                }
            }
            println!(
                "{} rows submitted, {} saved as drafts, {} refused, {} not saved (database busy)",
                outcome.submitted, outcome.saved, outcome.refused, outcome.failed
            );
            if outcome.refused + outcome.failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide(db: &Db, which: &Which, command: &str, decision: Decision) -> anyhow::Result<()> {
    let r =
        compiled::decide(db, None, &actor(command), &which.unit, &which.template, &which.period, decision)
            .await?;
    print_report(&r);
    Ok(())
}

fn format_of(file: &Path) -> anyhow::Result<crate::documents::Format> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    crate::documents::Format::parse(&ext)
        .ok_or_else(|| anyhow::anyhow!("{}: name the file .docx, .xlsx or .html", file.display()))
}
