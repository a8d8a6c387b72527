//! The one place where an error becomes what a user reads (as jj's
//! `command_error`): the store's typed [`StoreError`]s get the flag at fault
//! and hints naming the command that helps; a [`UserError`] already speaks
//! to the user. `main` prints the result as `error: ...` and `hint: ...`
//! lines and exits with status 1.

use crate::core::error::UserError;
use crate::store::{DemoRefusal, Kind, StoreError};

/// The error line (every cause, joined by `: ` as `{:#}` would) and the
/// hints: those of the first error in the chain that has any to give.
pub fn explain(e: &anyhow::Error) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut hints: Option<Vec<String>> = None;
    for cause in e.chain() {
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            let u = for_user(s);
            parts.push(u.message);
            hints.get_or_insert(u.hints);
        } else {
            parts.push(cause.to_string());
            if let Some(u) = cause.downcast_ref::<UserError>() {
                hints.get_or_insert_with(|| u.hints.clone());
            }
        }
    }
    (parts.join(": "), hints.unwrap_or_default())
}

/// A store error as the command line says it.
pub fn for_user(e: &StoreError) -> UserError {
    let said = UserError::new(e.to_string());
    match e {
        StoreError::TooNew { .. } => {
            said.hint("upgrade limfac, or open a backup made by this version; the file was not changed")
        }
        StoreError::ReadOnlyOld { .. } => {
            said.hint("open it once where it can be written (any limfac command upgrades it)")
        }
        StoreError::NotFound { kind, name, closest } => {
            let said = said.maybe_hint(closest.as_ref().map(|c| format!("did you mean '{c}'?")));
            match kind {
                Kind::Project => said.hint("list projects with: limfac project list"),
                Kind::Engineer => said.hint(format!("add them with: limfac engineer add {name} --name NAME")),
                Kind::Metric => said
                    .hint(format!("add it with: limfac metric add {name} --target NUM --direction down|up"))
                    .hint("list metrics with: limfac metric list"),
                Kind::Review => said.hint("list reviews with: limfac review list"),
                Kind::Blocker => said.hint("list open blockers with: limfac blocker list"),
                Kind::Point => said.hint("find a point's id with: limfac point list --metric PROJECT/METRIC"),
            }
        }
        StoreError::AlreadyExists { kind, name } => match kind {
            Kind::Project => said.hint(format!("change it with: limfac project edit {name}")),
            Kind::Engineer => said.hint(format!("change them with: limfac engineer edit {name}")),
            _ => said,
        },
        StoreError::NoReviewToJoin { review } => UserError::new(format!("--review {review} does not exist"))
            .hint("list reviews with: limfac review list"),
        StoreError::WrongReviewDate { review, date, held } => {
            UserError::new(format!("--date {date} is not the date of review {review} ({held})"))
                .hint("a point joins the meeting it was heard in")
        }
        StoreError::SelfDependency { project } => {
            UserError::new(format!("--depends-on '{project}': a project cannot depend on itself"))
        }
        StoreError::Cycle { kind: Kind::Engineer, name, through } => {
            UserError::new(format!("--reports-to '{name}' would make a reporting loop through '{through}'"))
                .hint("an engineer cannot (indirectly) manage their own manager")
        }
        StoreError::Cycle { name, through, .. } => {
            UserError::new(format!("--depends-on '{name}' would make a cycle: '{name}' already depends on '{through}'"))
                .hint("dependencies must form a tree of prerequisites; remove the other edge first")
        }
        StoreError::Retracted { point, .. } => said
            .hint(format!("see what happened with: limfac point history {point}"))
            .hint("log the right reading as a new point with: limfac log"),
        StoreError::ResolvedBeforeOpened { blocker, on, opened } => {
            UserError::new(format!("--date {on} is before blocker {blocker} was opened ({opened})"))
        }
        StoreError::NotEmpty { .. } => said
            .hint("import it into a new file: limfac --db NEW.db import FILE.json")
            .hint("to add readings to this database, import a CSV (limfac export --format csv writes one)"),
        StoreError::UnknownNames { .. } => said.hint("create them first, or import with --create-missing"),
        StoreError::CannotCreateMetric { .. } => {
            said.hint("add target and direction columns, or create it with: limfac metric add")
        }
        StoreError::MetricDiffers { column, metric, .. } => said.hint(format!(
            "an import does not change a metric: change it first with limfac metric edit {metric} --{column} VALUE, or leave the cell empty"
        )),
        StoreError::OutOfBounds { metric, .. } => said.hint(format!(
            "fix the value, widen the bounds with limfac metric edit {metric} --min/--max, or import with --force"
        )),
        StoreError::BlockersDiffer { .. } => {
            said.hint("an import adds readings; add or resolve a blocker with limfac blocker add|resolve")
        }
        StoreError::DemoTarget { refusal, .. } => {
            let said = UserError::new(format!("--db {e}"));
            let new_file = "give the path of a new file instead, e.g. limfac --db demo.db demo";
            match refusal {
                DemoRefusal::Directory => said,
                DemoRefusal::SymbolicLink | DemoRefusal::NotRegular => said.hint(new_file),
                DemoRefusal::NotDemo => said.hint(new_file).hint(
                    "a demo made by a limfac older than this one is not marked as a demo: delete it yourself if you no longer need it",
                ),
            }
        }
        StoreError::Inspect { path, .. } => UserError::new(format!("cannot inspect --db {path}")),
        StoreError::Damaged(what) => UserError::new(format!("{what}; run limfac doctor")),
        StoreError::RowRefused { .. } => said.hint("fix that cell of the file and import it again; nothing was written"),
        StoreError::Foreign { .. }
        | StoreError::Missing { .. }
        | StoreError::AlreadyResolved { .. }
        | StoreError::ArchiveUnchanged { .. } => said,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_gets_its_flag_and_hints_at_the_boundary_only() {
        let e = StoreError::Cycle { kind: Kind::Project, name: "top".into(), through: "power".into() };
        assert!(!e.to_string().contains("--"), "the store names no flag: {e}");
        let (line, hints) = explain(&anyhow::Error::from(e).context("cannot edit project power"));
        assert_eq!(
            line,
            "cannot edit project power: --depends-on 'top' would make a cycle: 'top' already depends on 'power'"
        );
        assert_eq!(hints, ["dependencies must form a tree of prerequisites; remove the other edge first"]);
        let missing = StoreError::NotFound {
            kind: Kind::Metric,
            name: "power/outptu".into(),
            closest: Some("power/output".into()),
        };
        let (line, hints) = explain(&missing.into());
        assert_eq!(line, "metric 'power/outptu' does not exist");
        assert_eq!(hints[0], "did you mean 'power/output'?");
        let (line, hints) = explain(&UserError::new("--value x is not a number").hint("use digits").into());
        assert_eq!((line.as_str(), hints.as_slice()), ("--value x is not a number", &["use digits".to_string()][..]));
    }
}
