//! `limfac log`: record what an engineer reported, right after the meeting.
//!
//! With every required flag it writes one point. With flags missing on an
//! interactive terminal it asks for them (fuzzy pick lists, the note in
//! `$EDITOR` or a line prompt) and then offers to log the next point of the
//! same review, so that a whole meeting is entered in one sitting. Without a
//! terminal it fails naming every missing flag.

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::core::error::UserError;
use crate::core::model::{Metric, Point, ReviewKind};
use crate::core::{plausible, validate};
use crate::render::output::{discard_typed_ahead, num, Output};
use crate::store::{Logged, NewPoint, ReviewChoice, Store};

/// Log what an engineer reported on a metric, with a note
///
/// The point joins that day's review of the same kind and reviewer (created
/// on first use) unless --review names one. Missing flags are asked for when
/// run in a terminal.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac log --metric power/array-output --engineer wang-xm --value 84.5 \\\n      --note 'inverter firmware v2.3 fixed the MPPT oscillation' --blocker 'supplier:transformer lead time 40 weeks'\n  limfac log          (asks for everything, then offers the next point of the same meeting)"
)]
pub struct LogArgs {
    /// PROJECT/METRIC
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::metrics))]
    metric: Option<String>,
    /// Who reported it
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
    engineer: Option<String>,
    /// The measured value
    #[arg(long, allow_hyphen_values = true)]
    value: Option<String>,
    /// What was said (required, non-empty)
    #[arg(long)]
    note: Option<String>,
    /// When it was reported [default: today]
    #[arg(long)]
    date: Option<String>,
    /// Join this review (meeting) by id
    #[arg(long, conflicts_with = "kind")]
    review: Option<i64>,
    /// The kind of meeting: weekly, skip-level or deep-dive [default: weekly]
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,
    /// Who ran the meeting (an engineer handle) [default: the configured reviewer]
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
    reviewer: Option<String>,
    /// CATEGORY:TEXT, e.g. 'power:grid interconnect permit' (repeatable)
    #[arg(long = "blocker")]
    blockers: Vec<String>,
    /// Store a value far outside the metric's readings or bounds without
    /// asking (a tenfold jump, a percentage above 100: usually a typo)
    #[arg(long)]
    force: bool,
}

pub fn run(args: LogArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let today = ctx.clock.today;
    // Validate every given flag before touching the database.
    let metric = args.metric.as_deref().map(|m| validate::metric_ref("--metric", m)).transpose()?;
    let engineer = args.engineer.as_deref().map(|e| validate::handle("--engineer", e)).transpose()?;
    let value = args.value.as_deref().map(|v| validate::number("--value", v)).transpose()?;
    let note = args.note.as_deref().map(|n| validate::entered("--note", n)).transpose()?;
    let date = args.date.as_deref().map(|d| validate::date("--date", d, today)).transpose()?;
    let reviewer = args.reviewer.as_deref().map(|r| validate::handle("--reviewer", r)).transpose()?;
    let reviewer = reviewer.or_else(|| ctx.settings.reviewer.clone());
    let blockers: Vec<(String, String)> =
        args.blockers.iter().map(|b| validate::blocker("--blocker", b)).collect::<Result<_, _>>()?;
    let kind = args.kind.as_deref().map(|k| validate::review_kind("--kind", k)).transpose()?;
    let review = match args.review {
        Some(id) => ReviewChoice::Id(id),
        None => ReviewChoice::Day { kind: kind.unwrap_or(ReviewKind::Weekly), reviewer },
    };

    let missing: Vec<&str> = [
        ("--metric", metric.is_none()),
        ("--engineer", engineer.is_none()),
        ("--value", value.is_none()),
        ("--note", note.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, m)| m.then_some(f))
    .collect();

    let mut store = ctx.open()?;
    // A point joins the meeting it was heard in: with --review, on that
    // meeting's date (which --date, if given, must be).
    let date = match (&review, date) {
        (ReviewChoice::Id(id), date) => {
            let Some(held) = store.review_date(*id)? else {
                return Err(UserError::new(format!("--review {id} does not exist"))
                    .hint("list reviews with: limfac review list")
                    .into());
            };
            if let Some(d) = date.filter(|&d| d != held) {
                return Err(UserError::new(format!("--date {d} is not the date of review {id} ({held})"))
                    .hint("a point joins the meeting it was heard in: leave out --date to use the review's date, or leave out --review to join that day's review")
                    .into());
            }
            held
        }
        (_, date) => date.unwrap_or(today),
    };
    if missing.is_empty() {
        let (project, metric) = metric.expect("checked");
        let value = value.expect("checked");
        let m = store.metric(&project, &metric)?;
        // Names that do not exist are errors whatever the value: said before a question about
        // the value, which `--force` would answer only to meet the name's error next.
        store.engineer(engineer.as_deref().expect("checked"))?;
        if let ReviewChoice::Day { reviewer: Some(r), .. } = &review {
            store.engineer(r)?;
        }
        check_value(&store, &m, value, args.force)?;
        let archived = m.archived || store.project(&project)?.archived;
        let p = NewPoint {
            point: Point {
                date,
                project,
                metric,
                engineer: engineer.expect("checked"),
                value,
                note: note.expect("checked"),
                review: None,
            },
            review,
            blockers,
        };
        let logged = store.log(&p)?;
        confirm(out, &p, &logged);
        if archived {
            out.note(format!(
                "note: {}/{} is archived: the reading is kept, and stays out of forecasts and the report until it is \
                 unarchived",
                p.point.project, p.point.metric
            ));
        }
        return Ok(());
    }
    if !super::interactive() {
        return Err(UserError::new(format!("missing {} (no terminal to ask on)", missing.join(", ")))
            .hint("give every flag, e.g. limfac log --metric P/M --engineer H --value 1 --note '...'")
            .into());
    }
    let given = Given { metric, engineer, value, note, blockers, force: args.force };
    interactive(&mut store, out, ctx, date, review, given)
}

/// Questions a value far outside the metric's readings or bounds (see
/// [`crate::core::plausible`]): confirmed on a terminal, else `--force` needed.
fn check_value(store: &Store, m: &Metric, value: f64, force: bool) -> Result<()> {
    let (earlier, recent) = store.recent_history_of(&m.project, &m.metric, None, plausible::WINDOW)?;
    let recent: Vec<f64> = recent.into_iter().map(|(_, v)| v).collect();
    super::confirm_plausible(plausible::question_recent(m, earlier, &recent, value), "--value", force)
}

fn confirm(out: &Output, new: &NewPoint, logged: &Logged) {
    let p = &new.point;
    let blockers = if logged.opened == 0 { String::new() } else { format!(", {} blocker(s) opened", logged.opened) };
    out.note(format!(
        "logged point {}: {}/{} = {} by {} on {} (review {}{blockers})",
        logged.point,
        p.project,
        p.metric,
        num(p.value),
        p.engineer,
        p.date,
        logged.review
    ));
    for (id, text, since) in &logged.cited_again {
        out.note(format!("blocker {id} '{text}' is already open since {since}: cited again, not opened twice"));
    }
}

/// Flags that were given, so the prompts only ask for the rest.
struct Given {
    metric: Option<(String, String)>,
    engineer: Option<String>,
    value: Option<f64>,
    note: Option<String>,
    blockers: Vec<(String, String)>,
    force: bool,
}

/// One of `items`, chosen with fuzzy search; Esc aborts.
fn pick(theme: &dialoguer::theme::ColorfulTheme, what: &str, items: &[String]) -> Result<usize> {
    // Keys typed ahead (an Enter meant for the last question) choose nothing.
    discard_typed_ahead();
    dialoguer::FuzzySelect::with_theme(theme)
        .with_prompt(format!("{what} (type to search)"))
        .items(items)
        .default(0)
        .interact_opt()
        .map_err(|_| aborted())?
        .ok_or_else(aborted)
}

fn aborted() -> anyhow::Error {
    UserError::new("log aborted; nothing was written for this point").into()
}

fn interactive(
    store: &mut Store,
    out: &Output,
    ctx: &Ctx,
    date: chrono::NaiveDate,
    mut review: ReviewChoice,
    mut given: Given,
) -> Result<()> {
    use dialoguer::{theme::ColorfulTheme, Input};
    let theme = ColorfulTheme::default();
    let metrics = store.metrics(None)?;
    let engineers = store.engineers()?;
    if metrics.is_empty() || engineers.is_empty() {
        return Err(UserError::new("there is nothing to log against yet")
            .hint("add a metric (limfac metric add) and an engineer (limfac engineer add) first")
            .into());
    }
    // Archived work is not offered (a flag may still name it).
    let metrics: Vec<_> = metrics.into_iter().filter(|m| !m.archived).collect();
    loop {
        let (project, metric) = match given.metric.take() {
            Some(m) => m,
            None => {
                let items: Vec<String> = metrics
                    .iter()
                    .map(|m| match &m.name {
                        Some(n) => format!("{}  ({n})", m.key()),
                        None => m.key(),
                    })
                    .collect();
                let i = pick(&theme, "metric", &items)?;
                (metrics[i].project.clone(), metrics[i].metric.clone())
            }
        };
        let engineer = match given.engineer.take() {
            Some(e) => e,
            None => {
                let items: Vec<String> = engineers.iter().map(|e| format!("{}  ({})", e.handle, e.name)).collect();
                let i = pick(&theme, "engineer", &items)?;
                engineers[i].handle.clone()
            }
        };
        let value = match given.value.take() {
            Some(v) => {
                check_value(store, &store.metric(&project, &metric)?, v, given.force)?;
                v
            }
            None => loop {
                let m = store.metric(&project, &metric)?;
                let (earlier, recent) = store.recent_history_of(&project, &metric, None, plausible::WINDOW)?;
                let recent: Vec<f64> = recent.into_iter().map(|(_, v)| v).collect();
                let last = store
                    .last_value(&project, &metric)?
                    .map(|(d, v)| format!("last {} on {d}, ", num(v)))
                    .unwrap_or_default();
                let unit = m.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
                let prompt = format!("value ({last}target {}{unit} {})", num(m.target), m.direction);
                discard_typed_ahead();
                let s: String = Input::with_theme(&theme)
                    .with_prompt(prompt)
                    .validate_with(|s: &String| validate::number("value", s.trim()).map(|_| ()).map_err(|e| e.message))
                    .interact_text()
                    .map_err(|_| aborted())?;
                let v = validate::number("value", s.trim())?;
                // A suspicious value is confirmed, or asked for again.
                match super::confirm_plausible(
                    plausible::question_recent(&m, earlier, &recent, v),
                    "value",
                    given.force,
                ) {
                    Ok(()) => break v,
                    Err(e) => eprintln!("{e:#}"),
                }
            },
        };
        let note = match given.note.take() {
            Some(n) => n,
            None => ask_note(&theme)?,
        };
        let mut blockers = std::mem::take(&mut given.blockers);
        loop {
            let s: String = Input::with_theme(&theme)
                .with_prompt("blocker as CATEGORY:TEXT (empty for none)")
                .allow_empty(true)
                .validate_with(|s: &String| {
                    if s.trim().is_empty() {
                        Ok(())
                    } else {
                        validate::blocker("blocker", s).map(|_| ()).map_err(|e| e.message)
                    }
                })
                .interact_text()
                .map_err(|_| aborted())?;
            if s.trim().is_empty() {
                break;
            }
            blockers.push(validate::blocker("blocker", &s)?);
        }
        let p = NewPoint {
            point: Point { date, project, metric, engineer, value, note, review: None },
            review: review.clone(),
            blockers,
        };
        let logged = store.log(&p)?;
        confirm(out, &p, &logged);
        let (id, rid) = (logged.point, logged.review);
        review = ReviewChoice::Id(rid);
        loop {
            match next_step(&theme) {
                Next::Another => break,
                Next::Done => return Ok(()),
                Next::Undo => {
                    let author = crate::cli::config::author(&ctx.settings);
                    store.retract_point(id, "undone in log right after it was entered", author.as_deref())?;
                    out.note(format!("retracted point {id}: it is kept in its history (limfac point history {id})"));
                }
            }
        }
    }
}

/// What to do after a point is logged.
enum Next {
    Another,
    Undo,
    Done,
}

/// Asks whether to log another point, undo the one just logged, or stop.
/// The answer needs Enter, and keys typed before the question are dropped,
/// so a stray key cannot answer it, nor the answer spill into the next prompt.
fn next_step(theme: &dialoguer::theme::ColorfulTheme) -> Next {
    discard_typed_ahead();
    let answer: Option<String> = dialoguer::Input::with_theme(theme)
        .with_prompt("log another point for this review? [Y/n, u = undo the point just logged]")
        .allow_empty(true)
        .validate_with(|s: &String| match parse_next(s) {
            Some(_) => Ok(()),
            None => Err("answer y, n or u"),
        })
        .interact_text()
        .ok();
    answer.as_deref().and_then(parse_next).unwrap_or(Next::Done)
}

fn parse_next(s: &str) -> Option<Next> {
    match s.trim().to_lowercase().as_str() {
        "" | "y" | "yes" => Some(Next::Another),
        "n" | "no" | "q" | "done" => Some(Next::Done),
        "u" | "undo" => Some(Next::Undo),
        _ => None,
    }
}

/// The note: in `$EDITOR` when set, else on a line. An empty note is asked
/// for again on a line (every point needs one); Escape aborts.
fn ask_note(theme: &dialoguer::theme::ColorfulTheme) -> Result<String> {
    if std::env::var_os("EDITOR").is_some_and(|e| !e.is_empty()) {
        let text = dialoguer::Editor::new().edit("").map_err(|_| aborted())?.unwrap_or_default();
        match validate::entered("note", &text) {
            Ok(n) => return Ok(n),
            Err(_) if text.trim().is_empty() => {
                eprintln!("the note is empty: every point needs one saying what was heard")
            }
            Err(e) => eprintln!("{}", e.message),
        }
    }
    discard_typed_ahead();
    let text = dialoguer::Input::<String>::with_theme(theme)
        .with_prompt("note (what was said)")
        .validate_with(|s: &String| validate::entered("note", s).map(|_| ()).map_err(|e| e.message))
        .interact_text()
        .map_err(|_| aborted())?;
    Ok(validate::entered("note", &text)?)
}
