//! `limfac point`: list readings, correct one, retract one, see its history.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::core::error::UserError;
use crate::core::validate;
use crate::render::output::{num, table, Output, StreamedTable};
use crate::store::{Action, Amendment, Correction, ListedPoint, PointFilter, Store, StoredPoint};

/// Readings: list them, correct a slip, retract a mistake, see the history
///
/// A correction is a new fact, never an overwrite: the reading as first
/// logged stays in the database and in `point history`, with every
/// amendment and retraction, why, who (the configured reviewer, else your
/// user name) and when. Forecasts, reports and charts use the corrected
/// record; a retracted reading (and a blocker only it cited) is left out of
/// them.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac point list --metric power/array-output --from 2026-11-01\n  limfac point amend 42 --value 289 --reason 'typed 2890: a slipped digit'\n  limfac point retract 43 --reason 'logged against the wrong metric'\n  limfac point history 42"
)]
pub struct PointArgs {
    #[command(subcommand)]
    cmd: PointCmd,
}

#[derive(Debug, Subcommand)]
enum PointCmd {
    /// List readings as they stand now, with their ids
    List {
        /// Only this project's readings
        #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        project: Option<String>,
        /// Only this metric's readings (PROJECT/METRIC)
        #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::metrics))]
        metric: Option<String>,
        /// Only what this engineer reported
        #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        engineer: Option<String>,
        /// Only what was heard in this review
        #[arg(long)]
        review: Option<i64>,
        /// Dated on or after this day
        #[arg(long)]
        from: Option<String>,
        /// Dated on or before this day
        #[arg(long)]
        to: Option<String>,
        /// Also list retracted readings
        #[arg(long)]
        retracted: bool,
        #[arg(long)]
        json: bool,
    },
    /// Correct a reading: its value, note, date or engineer (the original is kept)
    Amend {
        /// The point's id (see `limfac point list`)
        id: i64,
        /// The right value
        #[arg(long, allow_hyphen_values = true)]
        value: Option<String>,
        /// The right note
        #[arg(long)]
        note: Option<String>,
        /// The right date
        #[arg(long)]
        date: Option<String>,
        /// Who really reported it
        #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        engineer: Option<String>,
        /// Why (required: kept in the history)
        #[arg(long)]
        reason: String,
        /// Store a value far outside the metric's readings or bounds without asking
        #[arg(long)]
        force: bool,
    },
    /// Withdraw a reading logged by mistake (it stays in the history)
    Retract {
        /// The point's id (see `limfac point list`)
        id: i64,
        /// Why (required: kept in the history)
        #[arg(long)]
        reason: String,
    },
    /// A reading as first logged, every correction (why, who, when), and now
    History {
        /// The point's id
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: PointArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let today = ctx.clock.today;
    match args.cmd {
        PointCmd::List { project, metric, engineer, review, from, to, retracted, json } => {
            let filter = PointFilter {
                project: project.map(|p| validate::slug("--project", &p)).transpose()?,
                metric: metric.map(|m| validate::metric_ref("--metric", &m)).transpose()?,
                engineer: engineer.map(|e| validate::handle("--engineer", &e)).transpose()?,
                review,
                from: from.map(|d| validate::date("--from", &d, today)).transpose()?,
                to: to.map(|d| validate::future_date("--to", &d, today)).transpose()?,
                include_retracted: retracted,
            };
            if let (Some(f), Some(t)) = (filter.from, filter.to) {
                if f > t {
                    crate::user_bail!("--from {f} is after --to {t}");
                }
            }
            let store = ctx.open_read()?;
            if json {
                return list_json(&store, &filter, out);
            }
            list_table(&store, &filter, out)
        }
        PointCmd::Amend { id, value, note, date, engineer, reason, force } => {
            let amendment = Amendment {
                value: value.map(|v| validate::number("--value", &v)).transpose()?,
                note: note.map(|n| validate::entered("--note", &n)).transpose()?,
                date: date.map(|d| validate::date("--date", &d, today)).transpose()?,
                engineer: engineer.map(|e| validate::handle("--engineer", &e)).transpose()?,
            };
            let reason = validate::entered("--reason", &reason)?;
            if amendment.is_empty() {
                return Err(UserError::new(format!("point amend {id}: nothing to change"))
                    .hint("give the right --value, --note, --date or --engineer")
                    .into());
            }
            let mut store = ctx.open()?;
            let before = store.point_history(id)?;
            let Some(now) = before.current.clone() else {
                return Err(UserError::new(format!("point {id} was retracted; it can no longer be changed"))
                    .hint(format!("see what happened with: limfac point history {id}"))
                    .into());
            };
            // An engineer who does not exist is an error whatever the value (as in `log`).
            if let Some(e) = &amendment.engineer {
                store.engineer(e)?;
            }
            if let Some(v) = amendment.value {
                let metric = store.metric(&now.point.project, &now.point.metric)?;
                let (earlier, recent) = store.recent_history_of(
                    &now.point.project,
                    &now.point.metric,
                    Some(id),
                    crate::core::plausible::WINDOW,
                )?;
                let recent: Vec<f64> = recent.into_iter().map(|(_, v)| v).collect();
                let question = crate::core::plausible::question_recent(&metric, earlier, &recent, v);
                super::confirm_plausible(question, "--value", force)?;
            }
            let unchanged = amendment.value.is_none_or(|v| v == now.point.value)
                && amendment.note.as_ref().is_none_or(|n| *n == now.point.note)
                && amendment.date.is_none_or(|d| d == now.point.date)
                && amendment.engineer.as_ref().is_none_or(|e| *e == now.point.engineer);
            if unchanged {
                return Err(UserError::new(format!("point amend {id}: the point already reads so"))
                    .hint(format!("see it with: limfac point history {id}"))
                    .into());
            }
            store.amend_point(id, &amendment, &reason, crate::cli::config::author(&ctx.settings).as_deref())?;
            out.note(format!("amended point {id} ({}): {}", key(&now), changes(&now, &amendment)));
            Ok(())
        }
        PointCmd::Retract { id, reason } => {
            let reason = validate::entered("--reason", &reason)?;
            let mut store = ctx.open()?;
            let before = store.point_history(id)?;
            store.retract_point(id, &reason, crate::cli::config::author(&ctx.settings).as_deref())?;
            let p = &before.original;
            let blockers = if p.blockers.is_empty() {
                String::new()
            } else {
                format!(" and the {} blocker(s) it cited", p.blockers.len())
            };
            out.note(format!(
                "retracted point {id} ({} = {} by {} on {}){blockers}: left out of forecasts, reports and charts, \
                 kept in its history (limfac point history {id})",
                key(p),
                num(before.current.as_ref().map_or(p.point.value, |c| c.point.value)),
                p.point.engineer,
                p.point.date
            ));
            Ok(())
        }
        PointCmd::History { id, json } => {
            let store = ctx.open_read()?;
            let h = store.point_history(id)?;
            if json {
                return out.json(&h);
            }
            let p = &h.original;
            out.line(format!(
                "point {id}: {} by {}{}",
                key(p),
                p.point.engineer,
                p.point.review.map(|r| format!(", review {r}")).unwrap_or_default()
            ))?;
            out.line(format!("  logged      {}  value {}  note {:?}", p.point.date, num(p.point.value), p.point.note))?;
            for c in &h.corrections {
                out.line(describe(c))?;
            }
            match &h.current {
                Some(_) if h.corrections.is_empty() => out.line("  no corrections")?,
                Some(now) => out.line(format!(
                    "  now         {}  value {}  by {}  note {:?}",
                    now.point.date,
                    num(now.point.value),
                    now.point.engineer,
                    now.point.note
                ))?,
                None => out.line("  now         retracted: left out of forecasts, reports and charts")?,
            }
            Ok(())
        }
    }
}

fn key(p: &StoredPoint) -> String {
    format!("{}/{}", p.point.project, p.point.metric)
}

/// A note on one table line: its first line, cut short.
/// A listing longer than this is streamed rather than laid out in memory by comfy-table
/// (see [`StreamedTable`]): the same layout outside a terminal, without fitting the notes to
/// a terminal's width.
const TABLE_IN_MEMORY: usize = 10_000;

const LIST_HEADER: [&str; 8] = ["id", "date", "metric", "engineer", "value", "note", "review", "corrected"];

fn list_row(l: &ListedPoint) -> Vec<String> {
    let p = &l.point;
    vec![
        p.id.to_string(),
        p.point.date.to_string(),
        format!("{}/{}", p.point.project, p.point.metric),
        p.point.engineer.clone(),
        num(p.point.value),
        short_note(&p.point.note),
        p.point.review.map(|r| r.to_string()).unwrap_or_default(),
        match (l.retracted, l.amended) {
            (true, _) => "retracted".to_string(),
            (false, true) => "amended".to_string(),
            _ => String::new(),
        },
    ]
}

/// `point list` as a table: up to [`TABLE_IN_MEMORY`] rows as any other table; more are
/// measured in one pass and written in a second, so that memory stays flat however many.
fn list_table(store: &Store, filter: &PointFilter, out: &mut Output) -> Result<()> {
    // Both passes read one snapshot of the database.
    store.begin_snapshot()?;
    let mut streamed = StreamedTable::new(&LIST_HEADER);
    let mut first: Vec<Vec<String>> = Vec::new();
    let mut count = 0usize;
    store.list_points_each(filter, &mut |l| {
        let row = list_row(&l);
        streamed.measure(&row);
        count += 1;
        if count <= TABLE_IN_MEMORY {
            first.push(row);
        } else {
            first.clear();
        }
        Ok(())
    })?;
    if count <= TABLE_IN_MEMORY {
        let mut t = table(LIST_HEADER);
        for row in first {
            t.add_row(row);
        }
        out.table(&t)?;
        if count == 0 {
            out.note("no readings match");
        }
        return Ok(());
    }
    streamed.header(out, &LIST_HEADER)?;
    store.list_points_each(filter, &mut |l| Ok(streamed.row(out, &list_row(&l))?))?;
    Ok(())
}

/// `point list --json`: the array written as the points are read.
fn list_json(store: &Store, filter: &PointFilter, out: &mut Output) -> Result<()> {
    struct Points<'a> {
        store: &'a Store,
        filter: &'a PointFilter,
        /// Why reading the points stopped, when it was not the output.
        failed: std::cell::RefCell<Option<anyhow::Error>>,
    }
    impl serde::Serialize for Points<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut seq = s.serialize_seq(None)?;
            let mut written: std::result::Result<(), S::Error> = Ok(());
            let read = self.store.list_points_each(self.filter, &mut |l| match seq.serialize_element(&l) {
                Ok(()) => Ok(()),
                Err(e) => {
                    written = Err(e);
                    anyhow::bail!("the output failed")
                }
            });
            written?;
            if let Err(e) = read {
                *self.failed.borrow_mut() = Some(e);
                return Err(S::Error::custom("cannot read the points"));
            }
            seq.end()
        }
    }
    store.begin_snapshot()?;
    let points = Points { store, filter, failed: Default::default() };
    let written = out.json(&points);
    match points.failed.into_inner() {
        Some(e) => Err(e),
        None => written,
    }
}

fn short_note(note: &str) -> String {
    let first = note.lines().next().unwrap_or_default();
    let cut: String = first.chars().take(60).collect();
    if cut.len() < note.len() {
        format!("{}…", cut.trim_end())
    } else {
        cut
    }
}

/// What an amendment changes, as `field old → new`.
fn changes(now: &StoredPoint, a: &Amendment) -> String {
    let mut parts = Vec::new();
    if let Some(v) = a.value {
        parts.push(format!("value {} → {}", num(now.point.value), num(v)));
    }
    if let Some(d) = a.date {
        parts.push(format!("date {} → {d}", now.point.date));
    }
    if let Some(e) = &a.engineer {
        parts.push(format!("engineer {} → {e}", now.point.engineer));
    }
    if let Some(n) = &a.note {
        parts.push(format!("note {:?} → {n:?}", short_note(&now.point.note)));
    }
    parts.join(", ")
}

/// One line of `point history`.
fn describe(c: &Correction) -> String {
    let who = c.by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
    let what = match c.action {
        Action::Retract => String::new(),
        Action::Amend => {
            let mut parts = Vec::new();
            if let Some(v) = c.value {
                parts.push(format!("value {}", num(v)));
            }
            if let Some(d) = c.date {
                parts.push(format!("date {d}"));
            }
            if let Some(e) = &c.engineer {
                parts.push(format!("engineer {e}"));
            }
            if let Some(n) = &c.note {
                parts.push(format!("note {n:?}"));
            }
            format!(" {}", parts.join(", "))
        }
    };
    let label = match c.action {
        Action::Amend => "amended",
        Action::Retract => "retracted",
    };
    format!("  {label:<11} {}{who}:{what} — reason: {:?}", c.at, c.reason)
}
