//! Writes to teams and members that their composition rule judges, without holding the
//! database while the rule runs.
//!
//! A plugin may run for `plugins.timeout_ms` after waiting in its queue, while a write
//! transaction holds a pooled connection and the writers' lock ([`Db::begin_write`]). Judging
//! inside the transaction let a few slow plugins stop every writer and empty the pool (issue
//! 11, fault 1). So a guarded write:
//! 1. **rehearses**: in a write transaction it runs the write in a savepoint, reads the teams
//!    the write touched as their rule sees them after it, rolls the savepoint back, reads them
//!    as they were, and rolls everything back. When no touched team has a rule it commits
//!    instead: there is nothing to judge.
//! 2. **judges**, with no connection held: each rule on its teams before and after; the error
//!    findings the write introduces, or that the rule could not run.
//! 3. **applies**: in a new write transaction it reads the teams, runs the write again and reads
//!    them after. If both are what was judged ([`Subject::shape`]), it settles (without an
//!    override reason it refuses; with one it records the override in the audit trail) and
//!    commits. If another writer changed them meanwhile, it starts again; the last of
//!    [`ATTEMPTS`] keeps its transaction while the rule judges, so it cannot be overtaken.
//!
//! So the write must be repeatable: the same function of the database each time it is called
//! (twice per attempt). A rule that cannot run (a crashing plugin) blocks the write like an
//! error finding, and the same override lets it through (fault 5): a team whose data trips its
//! plugin can still be corrected. A team the write leaves dissolved is not judged (a dissolved
//! team has no composition to keep: [`Written::without_dissolved`]), so dissolving it, or
//! correcting its record or a past member's stint, never waits for, or fails with, its rule.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{AnyConnection, Connection};

use super::composition::{AppliedPlugin, CheckResult, Finding, Gathered, any_rule, gather};
use crate::audit::{self, Actor, Change};
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::plugins::{PluginFailure, Runtime};

/// Rehearse-judge-apply rounds before a write that keeps meeting other writers gives up.
pub const ATTEMPTS: usize = 3;

/// What one run of a guarded write did.
pub struct Written<T> {
    pub value: T,
    /// The teams whose composition the write may have changed (created ones included).
    pub teams: Vec<i64>,
    /// False when the write must not be kept whatever the rules say (a dry run, refused rows).
    pub keep: bool,
}

impl<T> Written<T> {
    /// A write to one team, to keep.
    pub fn team(value: T, team_id: i64) -> Self {
        Written { value, teams: vec![team_id], keep: true }
    }

    /// The teams the write leaves dissolved are not judged: a dissolved team has no
    /// composition to keep, so dissolving one, correcting its record or a past member's
    /// stint never waits for, or fails with, its rule. Read after the write, in its
    /// transaction. Errors: the database's.
    async fn without_dissolved(mut self, conn: &mut AnyConnection) -> Result<Self> {
        if self.teams.is_empty() {
            return Ok(self);
        }
        let mut dissolved = std::collections::HashSet::new();
        for chunk in self.teams.chunks(200) {
            let mut sql = crate::db::Sql::new("SELECT id FROM teams WHERE status = 'dissolved' AND id IN ");
            sql.push_tuples(1, chunk.len());
            for id in chunk {
                sql.arg(*id);
            }
            dissolved.extend(sql.query_scalar::<i64>().fetch_all(&mut *conn).await?);
        }
        self.teams.retain(|id| !dissolved.contains(id));
        Ok(self)
    }
}

/// What a write did to one team's composition, when that blocks it: error findings it
/// introduced, or the rule could not run.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub team_id: i64,
    /// The rule that judged.
    pub plugin: Option<AppliedPlugin>,
    /// Error findings the team did not have before the write.
    pub new_errors: Vec<Finding>,
    /// Why the rule could not run on the team as written, when it could not.
    pub rule_failure: Option<PluginFailure>,
}

/// The outcome of a guarded write.
pub struct Judged<T> {
    /// The write's value: of the committed run when `written`, else of the rehearsal.
    pub value: T,
    /// The teams the write breaks (new error findings, or a rule that could not run); written
    /// anyway only with an override reason.
    pub verdicts: Vec<Verdict>,
    /// Whether the write was committed.
    pub written: bool,
}

impl<T> Judged<T> {
    /// The value when written; otherwise the refusal: 502 `plugin_failed` (naming the plugin)
    /// when a rule could not run, else 422 `composition_failed` with the findings. Both say
    /// that `override_reason` lets the write through.
    pub fn into_result(self) -> Result<(T, Vec<Verdict>)> {
        if self.written {
            return Ok((self.value, self.verdicts));
        }
        if let Some(failure) = self.verdicts.iter().find_map(|v| v.rule_failure.clone()) {
            return Err(Error::RuleFailed(failure));
        }
        let broken = |v: &Verdict| {
            let rule =
                v.plugin.as_ref().map(|p| format!("{}@{}", p.plugin_id, p.version)).unwrap_or_default();
            let messages: Vec<&str> = v.new_errors.iter().map(|f| f.message.as_str()).collect();
            format!("{rule}: {}", messages.join(" "))
        };
        Err(Error::Composition {
            message: format!(
                "the change breaks the composition rule {} (give override_reason to proceed anyway)",
                self.verdicts.iter().map(broken).collect::<Vec<_>>().join("; ")
            ),
            findings: self
                .verdicts
                .iter()
                .flat_map(|v| &v.new_errors)
                .map(|f| FieldError::new(f.code.clone(), f.message.clone()))
                .collect(),
        })
    }
}

/// The override reason given, trimmed, if not blank.
pub fn reason(override_reason: Option<&str>) -> Option<&str> {
    // Spaces or zero-width characters alone are no reason.
    override_reason.map(str::trim).filter(|r| !crate::text::clean(r).is_empty())
}

/// One run of a guarded write: a boxed future, `Send` by its type, so handlers stay `Send`.
/// Write the function as `move |conn| { let x = x.clone(); Box::pin(async move { ... }) }`:
/// it owns what it uses, since it runs more than once.
pub type Run<'c, T> = Pin<Box<dyn Future<Output = Result<Written<T>>> + Send + 'c>>;

/// Runs `write` as described in the module documentation. With blocking verdicts and no
/// `override_reason`, or when `write` says not to keep it, nothing is written and the
/// verdicts are returned (see [`Judged::into_result`]). Errors: the write's own; 503 `busy`
/// when the host is at capacity for plugin work or the teams kept changing.
pub async fn write<T, W>(
    db: &Db,
    runtime: &Arc<Runtime>,
    actor: &Actor,
    override_reason: Option<&str>,
    mut write: W,
) -> Result<Judged<T>>
where
    T: Send,
    W: for<'c> FnMut(&'c mut AnyConnection) -> Run<'c, T> + Send,
{
    let today = crate::dates::today_iso();
    let reason = reason(override_reason);
    for attempt in 1..=ATTEMPTS {
        // The last attempt keeps its transaction while the rule judges, so a write that keeps
        // meeting other writers of its teams still goes through. That holds the write turn
        // for at most one plugin call (plugins.queue_wait_ms + timeout_ms), and only then.
        let last = attempt == ATTEMPTS;
        // 1. Rehearse.
        let mut tx = db.begin_write().await?;
        let mut sp = tx.begin().await?;
        let rehearsed = write(&mut sp).await?.without_dissolved(&mut sp).await?;
        // No rule to judge (asked without reading members, as most writes of a province
        // without a rule are): this run is the write.
        let judged = any_rule(&mut sp, &rehearsed.teams, &today).await?;
        let after =
            if judged { Some(gather(&mut sp, runtime, &rehearsed.teams, &today).await?) } else { None };
        let Some(after) = after.filter(|a| a.subjects.iter().any(|s| s.rule.is_some())) else {
            // Nothing to judge: this run is the write.
            sp.commit().await?;
            if rehearsed.keep {
                tx.commit().await?;
            }
            return Ok(Judged { value: rehearsed.value, verdicts: vec![], written: rehearsed.keep });
        };
        sp.rollback().await?;
        let had_teams = existing(&mut tx, &rehearsed.teams).await?;
        let before = gather(&mut tx, runtime, &had_teams, &today).await?;
        let held = if last {
            Some(tx)
        } else {
            tx.rollback().await?;
            None
        };

        // 2. Judge, holding nothing.
        let verdicts = judge(runtime, &before, &after).await?;
        if !rehearsed.keep || (!verdicts.is_empty() && reason.is_none()) {
            return Ok(Judged { value: rehearsed.value, verdicts, written: false });
        }

        // 3. Apply, if nothing changed meanwhile (in the held transaction nothing can have).
        let mut tx = match held {
            Some(tx) => tx,
            None => db.begin_write().await?,
        };
        let has_teams = existing(&mut tx, &rehearsed.teams).await?;
        let before_now = gather(&mut tx, runtime, &has_teams, &today).await?;
        let applied = write(&mut tx).await?.without_dissolved(&mut tx).await?;
        let after_now = gather(&mut tx, runtime, &applied.teams, &today).await?;
        if !same(&before, &before_now) || !same(&after, &after_now) || !applied.keep {
            tx.rollback().await?;
            continue;
        }
        let verdicts: Vec<Verdict> = verdicts.into_iter().map(|v| renumber(v, &after, &after_now)).collect();
        if let Some(reason) = reason {
            for v in &verdicts {
                record_override(&mut tx, actor, v, reason).await?;
            }
        }
        tx.commit().await?;
        return Ok(Judged { value: applied.value, verdicts, written: true });
    }
    Err(Error::Busy {
        message: format!(
            "the teams changed {ATTEMPTS} times while their composition rule judged the change; nothing was written, try again"
        ),
        retry_after_secs: 1,
    })
}

/// The teams of `ids` that exist (a write may create some), in the order of `ids`.
async fn existing(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<i64>> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(200) {
        found.extend(super::find_many(conn, chunk).await?.into_iter().map(|t| t.id));
    }
    Ok(ids.iter().copied().filter(|id| found.contains(id)).collect())
}

fn same(a: &Gathered, b: &Gathered) -> bool {
    a.subjects.len() == b.subjects.len()
        && a.subjects.iter().zip(&b.subjects).all(|(x, y)| x.shape() == y.shape())
}

/// The verdicts that block: per team after the write, the error findings it did not have
/// before, or that its rule could not run. A team whose rule could not run before the write
/// counts every error after it as new.
async fn judge(runtime: &Arc<Runtime>, before: &Gathered, after: &Gathered) -> Result<Vec<Verdict>> {
    let before_results = before.judge_each(runtime).await?;
    let had: HashMap<i64, BTreeSet<String>> = before
        .subjects
        .iter()
        .zip(&before_results)
        .filter_map(|(s, r)| {
            let codes = r.as_ref().ok()?.error_codes().into_iter().map(str::to_string).collect();
            Some((s.team_id, codes))
        })
        .collect();
    let mut verdicts = Vec::new();
    for (subject, result) in after.subjects.iter().zip(after.judge_each(runtime).await?) {
        let plugin = subject.rule.as_ref().map(AppliedPlugin::from);
        let verdict = match result {
            Err(failure) => {
                Verdict { team_id: subject.team_id, plugin, new_errors: vec![], rule_failure: Some(failure) }
            }
            Ok(CheckResult { findings, .. }) => {
                let old = had.get(&subject.team_id);
                let new_errors: Vec<Finding> = findings
                    .into_iter()
                    .filter(|f| f.severity == "error" && !old.is_some_and(|codes| codes.contains(&f.code)))
                    .collect();
                if new_errors.is_empty() {
                    continue;
                }
                Verdict { team_id: subject.team_id, plugin, new_errors, rule_failure: None }
            }
        };
        verdicts.push(verdict);
    }
    Ok(verdicts)
}

/// A verdict of the rehearsal with the ids of the committed run: a team created by the write
/// may get another id the second time (PostgreSQL's sequences do not roll back), and so may
/// its members. Subjects correspond by position; members by their place in the roster.
fn renumber(mut v: Verdict, judged: &Gathered, applied: &Gathered) -> Verdict {
    let Some(i) = judged.subjects.iter().position(|s| s.team_id == v.team_id) else { return v };
    let (from, to) = (&judged.subjects[i].input, &applied.subjects[i].input);
    let member = |id: i64| {
        from.members.iter().position(|m| m.id == id).and_then(|k| to.members.get(k)).map_or(id, |m| m.id)
    };
    v.team_id = to.id;
    for f in &mut v.new_errors {
        f.team_id = to.id;
        f.member_ids = f.member_ids.iter().map(|&id| member(id)).collect();
    }
    v
}

/// Records that `verdict` was overridden, with the reason, in the audit trail of its team.
async fn record_override(
    conn: &mut AnyConnection,
    actor: &Actor,
    verdict: &Verdict,
    reason: &str,
) -> Result<()> {
    let team = super::find(conn, verdict.team_id).await?;
    let mut change = match &verdict.rule_failure {
        Some(failure) => Change::new("override", "team", verdict.team_id, Some(team.unit_id))
            .after(&serde_json::json!({ "rule_failed": failure.to_string() })),
        None => {
            Change::new("override", "team", verdict.team_id, Some(team.unit_id)).after(&verdict.new_errors)
        }
    };
    change.reason = Some(reason.to_string());
    audit::record(conn, actor, change).await
}

/// The `Warning` header (RFC 9110's 299 "miscellaneous persistent warning") for a write let
/// through by an override although its rule could not run: the response says so and names
/// the plugin. None when every rule ran.
pub fn rule_failure_warning(verdicts: &[Verdict]) -> Option<axum::http::HeaderValue> {
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| v.rule_failure.is_some())
        .filter_map(|v| v.plugin.as_ref().map(|p| format!("{}@{}", p.plugin_id, p.version)))
        .collect();
    if failed.is_empty() {
        return None;
    }
    let text = format!(
        "299 sohoa \"the composition rule {} could not run; written by override (see the audit trail)\"",
        failed.join(", ")
    );
    axum::http::HeaderValue::from_str(&text).ok()
}
