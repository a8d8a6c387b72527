//! The reference data sets, tuned-on and checked parts apart, shared by the calibration
//! script, the evaluation example and the calibration tests (included with `#[path]`).
//!
//! - `synthetic-tune` / `synthetic-check`: [`limfac::core::forecast::synthetic`] with seeds 1 and 2.
//! - `rhino-tune` / `rhino-check`: Rhino's test262 areas (tests/data/progress-rhino, MPL-2.0
//!   derived counts), split by a hash of the series id.
//! - `musa-tune` / `musa-check`: Musa/DACS defect discovery (tests/data/musa-dacs, MIT).
//! - `srm-other-check`: Tomcat 5 bugs and printer test faults (MIT), never tuned on.

#![allow(dead_code)]

use limfac::core::forecast::evaluate::{parse_progress_csv, split, History};
use limfac::core::forecast::synthetic;

fn read(dir: &str, file: &str, family: &str) -> Vec<History> {
    let path = format!("{}/tests/data/{dir}/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_progress_csv(&text, family).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rhino() -> (Vec<History>, Vec<History>) {
    let mut all = read("progress-rhino", "finished.csv", "finished");
    all.extend(read("progress-rhino", "flat.csv", "flat"));
    split(all, 0.5)
}

fn musa() -> (Vec<History>, Vec<History>) {
    split(read("musa-dacs", "data.csv", "defects"), 0.5)
}

/// The sets a method may be tuned on.
pub fn tuning(per_family: usize) -> Vec<(String, Vec<History>)> {
    vec![
        ("synthetic-tune".into(), synthetic::histories(1, per_family)),
        ("rhino-tune".into(), rhino().0),
        ("musa-tune".into(), musa().0),
    ]
}

/// The sets only checked.
pub fn checking(per_family: usize) -> Vec<(String, Vec<History>)> {
    let mut other = read("tomcat5-bugs", "data.csv", "tomcat");
    other.extend(read("printer-test-faults", "data.csv", "printer"));
    vec![
        ("synthetic-check".into(), synthetic::histories(2, per_family)),
        ("rhino-check".into(), rhino().1),
        ("musa-check".into(), musa().1),
        ("srm-other-check".into(), other),
    ]
}
