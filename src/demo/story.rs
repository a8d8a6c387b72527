//! The built-in demo dataset: a space-compute company whose limiting factor
//! moves from **power** to **chips** over 24 weeks of weekly reviews.
//!
//! Everything here is pure: [`dataset`] builds values in memory and never
//! touches files, the database or the terminal. The numbers come from smooth
//! curves (one per metric, written as the remaining gap to the target) read
//! with measurement noise from a fixed-seed generator, so the same `today`
//! always gives the same data, and a different `today` only shifts the dates.
//!
//! The story the forecasting engine should see:
//!
//! * weeks 0–11: power is the limiting factor. The array is stuck behind a
//!   grid interconnect permit and a 40-week transformer lead time; power
//!   metrics creep. Power gets a deep-dive every week (reviewed twice a week).
//! * weeks 9–12: the permit lands, a refurbished transformer arrives and the
//!   inverter firmware is fixed; power converges fast and is done by ~week 18.
//! * week 12 on: chips. Lot 7 brings a yield excursion, the wafer supplier caps
//!   starts and slips lot 9, and defect density flattens on a CMP particle
//!   floor short of its target. Chips gets the deep-dives from week 13.
//! * off the critical path, ground-station latency diverges as traffic grows.

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::core::model::{Direction, Engineer, Metric, Point, Project, ReviewKind};

/// The seed of the demo's generator: fixed, so the demo is reproducible.
pub const SEED: u64 = 42;

/// Number of weeks between the first and the last weekly review.
pub const WEEKS: u32 = 24;

/// The last week in which power is the limiting factor (deep-dives on power
/// run in weeks 1..=POWER_PERIOD_END, on chips afterwards).
pub const POWER_PERIOD_END: u32 = 12;

/// One reading, with how and by whom it was heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoPoint {
    /// The reading; `review` is always `None` (the loader assigns reviews).
    pub point: Point,
    pub kind: ReviewKind,
    pub reviewer: String,
    /// `(category, text)` of the blockers opened with this point.
    pub blockers: Vec<(String, String)>,
}

/// A blocker (opened with some [`DemoPoint`]) that was later resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoBlockerResolution {
    pub project: String,
    pub category: String,
    pub text: String,
    pub resolved: NaiveDate,
}

/// When a deadline is due: the forecast's p50 at the time it is set, or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemoDue {
    P50,
    Date(NaiveDate),
}

/// A deadline as set on `set_on`; later ones on the same scope are slips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoDeadline {
    pub project: String,
    /// `None` for a deadline on the whole project.
    pub metric: Option<String>,
    pub set_on: NaiveDate,
    pub due: DemoDue,
    pub reason: String,
}

/// The whole demo organization and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub projects: Vec<Project>,
    pub engineers: Vec<Engineer>,
    pub metrics: Vec<Metric>,
    /// Handle of the leader running the reviews (top of the org chart).
    pub reviewer: String,
    /// Sorted by date.
    pub points: Vec<DemoPoint>,
    pub resolutions: Vec<DemoBlockerResolution>,
    /// In the order they are set (later ones on the same scope are slips).
    pub deadlines: Vec<DemoDeadline>,
}

// ---------------------------------------------------------------------------
// The organization
// ---------------------------------------------------------------------------

const REVIEWER: &str = "elena-vasquez";

/// (slug, name, priority, owner, depends_on)
type ProjectRow = (&'static str, &'static str, u8, &'static str, &'static [&'static str]);

const PROJECTS: &[ProjectRow] = &[
    ("orbital-compute", "Orbital compute constellation", 1, "kofi-mensah", &["power", "chips", "launch", "thermal"]),
    ("power", "Solar array and power system", 2, "priya-r", &[]),
    ("chips", "Rad-tolerant AI accelerator", 2, "wang-xm", &["fab"]),
    ("launch", "Launch cadence and payload integration", 2, "jose-muller", &[]),
    ("thermal", "Radiators and thermal control", 3, "priya-r", &["power"]),
    ("fab", "Wafer fab bring-up", 3, "wang-xm", &[]),
    ("ground-station", "Ground stations and downlink", 4, "jose-muller", &[]),
];

/// (handle, name, reports_to)
const ENGINEERS: &[(&str, &str, Option<&str>)] = &[
    (REVIEWER, "Elena Vásquez", None),
    ("priya-r", "Priya Raghunathan", Some(REVIEWER)),
    ("wang-xm", "王小明", Some(REVIEWER)),
    ("jose-muller", "José Müller", Some(REVIEWER)),
    ("kofi-mensah", "Kofi Mensah", Some(REVIEWER)),
    ("zoe-odegard", "Zoë Ødegård", Some("priya-r")),
    ("amaru-quispe", "Amaru Quispe", Some("priya-r")),
    ("sakura-ito", "伊藤さくら", Some("priya-r")),
    ("li-na", "李娜", Some("wang-xm")),
    ("dmitri-volkov", "Дмитрий Волков", Some("wang-xm")),
    ("ana-lima", "Ana Lima", Some("wang-xm")),
    ("tomasz-nowak", "Tomasz Nowak", Some("jose-muller")),
    ("fatima-elidrissi", "Fatima Zahra El Idrissi", Some("jose-muller")),
    ("noa-levi", "Noa Levi", Some("kofi-mensah")),
    ("ines-garcia", "Inés García", Some("kofi-mensah")),
];

/// How a metric's true gap to its target evolves, in weeks since the first review.
///
/// The gap is piecewise linear through `keys` (week, gap), then approaches
/// `floor` exponentially with time constant `tau` weeks after the last key
/// (`tau = INFINITY` holds the last key). A negative floor means the metric
/// ends up past its target; a positive one is a plateau short of it.
struct Shape {
    keys: &'static [(f64, f64)],
    tau: f64,
    floor: f64,
}

impl Shape {
    fn gap(&self, t: f64) -> f64 {
        let (t_last, g_last) = self.keys[self.keys.len() - 1];
        if t >= t_last {
            if self.tau.is_infinite() {
                return g_last;
            }
            return self.floor + (g_last - self.floor) * (-(t - t_last) / self.tau).exp();
        }
        let (t0, g0) = self.keys[0];
        if t <= t0 {
            return g0;
        }
        for pair in self.keys.windows(2) {
            let ((ta, ga), (tb, gb)) = (pair[0], pair[1]);
            if t <= tb {
                return ga + (gb - ga) * (t - ta) / (tb - ta);
            }
        }
        g_last
    }

    /// The week at which the scripted (piecewise) part ends.
    fn knee(&self) -> f64 {
        self.keys[self.keys.len() - 1].0
    }
}

struct MetricSpec {
    project: &'static str,
    metric: &'static str,
    name: &'static str,
    unit: &'static str,
    target: f64,
    direction: Direction,
    tolerance: f64,
    /// Decimals the readings are reported with.
    decimals: usize,
    /// Measurement noise: standard deviation `noise_abs + noise_rel * |gap|`.
    noise_abs: f64,
    noise_rel: f64,
    min: f64,
    max: f64,
    /// The engineer doing the work (two levels below the reviewer).
    ic: &'static str,
    /// Their lead (one level below the reviewer).
    lead: &'static str,
    shape: Shape,
}

impl MetricSpec {
    fn key(&self) -> String {
        format!("{}/{}", self.project, self.metric)
    }

    fn mean_gap(&self, t: f64) -> f64 {
        self.shape.gap(t)
    }

    fn diverges(&self) -> bool {
        let n = self.shape.keys.len();
        n >= 2 && self.shape.keys[n - 1].1 > self.shape.keys[0].1
    }
}

const INF: f64 = f64::INFINITY;

fn metric_specs() -> Vec<MetricSpec> {
    use Direction::{Down, Up};
    vec![
        // --- power: slow behind the permit and the transformer, then fast.
        MetricSpec {
            project: "power",
            metric: "array-output-kw",
            name: "Ground test array output",
            unit: "kW",
            target: 120.0,
            direction: Up,
            tolerance: 2.0,
            decimals: 1,
            noise_abs: 0.5,
            noise_rel: 0.012,
            min: 0.0,
            max: 130.0,
            ic: "amaru-quispe",
            lead: "priya-r",
            shape: Shape { keys: &[(0.0, 100.0), (11.0, 83.5)], tau: 1.8, floor: -0.6 },
        },
        MetricSpec {
            project: "power",
            metric: "cost-per-watt",
            name: "Array cost per watt",
            unit: "$/W",
            target: 2.0,
            direction: Down,
            tolerance: 0.1,
            decimals: 2,
            noise_abs: 0.03,
            noise_rel: 0.02,
            min: 0.5,
            max: 20.0,
            ic: "amaru-quispe",
            lead: "priya-r",
            shape: Shape { keys: &[(0.0, 4.5), (10.0, 3.7)], tau: 1.6, floor: -0.06 },
        },
        MetricSpec {
            project: "power",
            metric: "bus-efficiency-pct",
            name: "Power bus conversion efficiency",
            unit: "%",
            target: 97.0,
            direction: Up,
            tolerance: 0.5,
            decimals: 1,
            noise_abs: 0.1,
            noise_rel: 0.03,
            min: 0.0,
            max: 100.0,
            ic: "zoe-odegard",
            lead: "priya-r",
            shape: Shape { keys: &[(0.0, 6.0), (9.0, 5.1)], tau: 1.5, floor: -0.2 },
        },
        // --- chips: decent start, lot 7 excursion, then slow or stuck.
        MetricSpec {
            project: "chips",
            metric: "yield-pct",
            name: "Test-vehicle die yield",
            unit: "%",
            target: 90.0,
            direction: Up,
            tolerance: 1.0,
            decimals: 1,
            noise_abs: 1.0,
            noise_rel: 0.02,
            min: 0.0,
            max: 100.0,
            ic: "li-na",
            lead: "wang-xm",
            shape: Shape {
                keys: &[
                    (0.0, 55.0),
                    (11.0, 26.4),
                    (12.0, 36.0),
                    (13.0, 40.0),
                    (14.0, 35.0),
                    (15.0, 31.0),
                    (16.0, 28.0),
                ],
                tau: 30.0,
                floor: 0.0,
            },
        },
        MetricSpec {
            project: "chips",
            metric: "defect-density",
            name: "Killer defect density",
            unit: "defects/cm²",
            target: 0.10,
            direction: Down,
            tolerance: 0.01,
            decimals: 3,
            noise_abs: 0.006,
            noise_rel: 0.0,
            min: 0.0,
            max: 5.0,
            ic: "dmitri-volkov",
            lead: "wang-xm",
            // Falls steadily, then flattens on the CMP particle floor at 0.24.
            shape: Shape { keys: &[(0.0, 0.8), (12.0, 0.35)], tau: 2.0, floor: 0.14 },
        },
        MetricSpec {
            project: "chips",
            metric: "wafer-starts-per-week",
            name: "Wafer starts",
            unit: "wafers/wk",
            target: 400.0,
            direction: Up,
            tolerance: 10.0,
            decimals: 0,
            noise_abs: 5.0,
            noise_rel: 0.0,
            min: 0.0,
            max: 1000.0,
            ic: "ana-lima",
            lead: "wang-xm",
            shape: Shape { keys: &[(0.0, 340.0), (8.0, 244.0), (24.0, 196.0)], tau: INF, floor: 0.0 },
        },
        MetricSpec {
            project: "chips",
            metric: "tops-per-watt",
            name: "Accelerator efficiency",
            unit: "TOPS/W",
            target: 50.0,
            direction: Up,
            tolerance: 1.0,
            decimals: 1,
            noise_abs: 0.4,
            noise_rel: 0.01,
            min: 0.0,
            max: 200.0,
            ic: "li-na",
            lead: "wang-xm",
            shape: Shape { keys: &[(0.0, 38.0)], tau: 12.0, floor: 0.0 },
        },
        // --- launch
        MetricSpec {
            project: "launch",
            metric: "turnaround-days",
            name: "Booster turnaround",
            unit: "days",
            target: 14.0,
            direction: Down,
            tolerance: 0.0,
            decimals: 1,
            noise_abs: 0.35,
            noise_rel: 0.03,
            min: 1.0,
            max: 120.0,
            ic: "tomasz-nowak",
            lead: "jose-muller",
            shape: Shape { keys: &[(0.0, 28.0)], tau: 5.5, floor: -1.6 },
        },
        MetricSpec {
            project: "launch",
            metric: "payload-integration-hours",
            name: "Payload integration time",
            unit: "h",
            target: 36.0,
            direction: Down,
            tolerance: 2.0,
            decimals: 0,
            noise_abs: 2.0,
            noise_rel: 0.03,
            min: 1.0,
            max: 500.0,
            ic: "tomasz-nowak",
            lead: "jose-muller",
            shape: Shape { keys: &[(0.0, 94.0)], tau: 8.0, floor: -1.0 },
        },
        // --- thermal
        MetricSpec {
            project: "thermal",
            metric: "radiator-rejection-kw",
            name: "Radiator heat rejection",
            unit: "kW",
            target: 130.0,
            direction: Up,
            tolerance: 3.0,
            decimals: 1,
            noise_abs: 0.8,
            noise_rel: 0.02,
            min: 0.0,
            max: 200.0,
            ic: "sakura-ito",
            lead: "priya-r",
            shape: Shape { keys: &[(0.0, 70.0), (6.0, 50.0)], tau: 4.5, floor: -1.5 },
        },
        MetricSpec {
            project: "thermal",
            metric: "radiator-mass-kg-per-kw",
            name: "Radiator specific mass",
            unit: "kg/kW",
            target: 4.0,
            direction: Down,
            tolerance: 0.2,
            decimals: 2,
            noise_abs: 0.05,
            noise_rel: 0.02,
            min: 0.5,
            max: 50.0,
            ic: "sakura-ito",
            lead: "priya-r",
            shape: Shape { keys: &[(0.0, 7.0)], tau: 7.0, floor: 0.0 },
        },
        // --- orbital compute (the goal)
        MetricSpec {
            project: "orbital-compute",
            metric: "tflops-per-kg",
            name: "Compute per kilogram on orbit",
            unit: "TFLOPS/kg",
            target: 25.0,
            direction: Up,
            tolerance: 0.5,
            decimals: 2,
            noise_abs: 0.12,
            noise_rel: 0.03,
            min: 0.0,
            max: 100.0,
            ic: "noa-levi",
            lead: "kofi-mensah",
            shape: Shape { keys: &[(0.0, 22.0), (4.0, 19.0), (10.0, 12.0), (16.0, 5.0)], tau: 3.0, floor: -0.4 },
        },
        MetricSpec {
            project: "orbital-compute",
            metric: "sim-uptime-pct",
            name: "Testbed cluster uptime",
            unit: "%",
            target: 99.5,
            direction: Up,
            tolerance: 0.2,
            decimals: 2,
            noise_abs: 0.04,
            noise_rel: 0.05,
            min: 0.0,
            max: 100.0,
            ic: "ines-garcia",
            lead: "kofi-mensah",
            shape: Shape { keys: &[(0.0, 7.5)], tau: 4.5, floor: -0.15 },
        },
        // --- ground station: latency diverges, availability converges.
        MetricSpec {
            project: "ground-station",
            metric: "downlink-latency-ms",
            name: "Downlink latency p95",
            unit: "ms",
            target: 40.0,
            direction: Down,
            tolerance: 2.0,
            decimals: 0,
            noise_abs: 1.5,
            noise_rel: 0.0,
            min: 1.0,
            max: 1000.0,
            ic: "fatima-elidrissi",
            lead: "jose-muller",
            shape: Shape { keys: &[(0.0, 24.0), (5.0, 20.0), (24.0, 52.0)], tau: INF, floor: 0.0 },
        },
        MetricSpec {
            project: "ground-station",
            metric: "antenna-availability-pct",
            name: "Antenna availability",
            unit: "%",
            target: 99.0,
            direction: Up,
            tolerance: 0.5,
            decimals: 2,
            noise_abs: 0.08,
            noise_rel: 0.04,
            min: 0.0,
            max: 100.0,
            ic: "fatima-elidrissi",
            lead: "jose-muller",
            shape: Shape { keys: &[(0.0, 6.0)], tau: 4.0, floor: -0.3 },
        },
        // --- fab
        MetricSpec {
            project: "fab",
            metric: "tools-qualified",
            name: "Process tools qualified",
            unit: "tools",
            target: 24.0,
            direction: Up,
            tolerance: 0.0,
            decimals: 0,
            noise_abs: 0.0,
            noise_rel: 0.0,
            min: 0.0,
            max: 24.0,
            ic: "ana-lima",
            lead: "wang-xm",
            shape: Shape {
                keys: &[(0.0, 18.0), (3.0, 17.0), (6.0, 12.0), (9.0, 10.0), (12.0, 6.0), (15.0, 3.0), (18.0, 0.0)],
                tau: INF,
                floor: 0.0,
            },
        },
        MetricSpec {
            project: "fab",
            metric: "cycle-time-days",
            name: "Fab cycle time",
            unit: "days",
            target: 45.0,
            direction: Down,
            tolerance: 2.0,
            decimals: 1,
            noise_abs: 0.8,
            noise_rel: 0.03,
            min: 1.0,
            max: 365.0,
            ic: "ana-lima",
            lead: "wang-xm",
            shape: Shape { keys: &[(0.0, 50.0)], tau: 9.0, floor: 0.0 },
        },
    ]
}

// ---------------------------------------------------------------------------
// Blockers, scripted events and deadlines (weeks count from the first review)
// ---------------------------------------------------------------------------

struct BlockerSpec {
    metric: &'static str,
    week: u32,
    category: &'static str,
    text: &'static str,
    resolved_week: Option<u32>,
}

const fn blocker(
    metric: &'static str,
    week: u32,
    category: &'static str,
    text: &'static str,
    resolved_week: Option<u32>,
) -> BlockerSpec {
    BlockerSpec { metric, week, category, text, resolved_week }
}

const BLOCKERS: &[BlockerSpec] = &[
    blocker("fab/tools-qualified", 1, "permits", "fab occupancy permit waiting on fire marshal sign-off", Some(5)),
    blocker(
        "power/array-output-kw",
        1,
        "permits",
        "grid interconnect permit for the ground test array still with the utility",
        Some(10),
    ),
    blocker("power/array-output-kw", 2, "supplier", "step-up transformer lead time 40 weeks", Some(11)),
    blocker(
        "power/bus-efficiency-pct",
        3,
        "power",
        "MPPT oscillation on string inverters under partial shade",
        Some(9),
    ),
    blocker("fab/tools-qualified", 3, "supplier", "EUV scanner install slipped two weeks", Some(8)),
    blocker("power/cost-per-watt", 4, "supplier", "cell supplier won't quote below 5 $/W under a 2 MW order", Some(10)),
    blocker("thermal/radiator-rejection-kw", 4, "design", "loop heat pipe supplier failed qualification", Some(14)),
    blocker("power/array-output-kw", 5, "test", "array deployment hinge binding in thermal vac below -40 C", Some(12)),
    blocker("launch/turnaround-days", 5, "supplier", "second-stage recovery barge in drydock", Some(9)),
    blocker("power/array-output-kw", 6, "people", "only one HV-qualified technician on the power team", Some(13)),
    blocker("power/array-output-kw", 7, "power", "test array capped at 40 kW by the temporary genset feed", Some(11)),
    blocker(
        "chips/wafer-starts-per-week",
        8,
        "supplier",
        "wafer supplier allocating only 150 starts a week through Q3",
        None,
    ),
    blocker(
        "orbital-compute/tflops-per-kg",
        9,
        "chips",
        "testbed stuck on v1.1 accelerator boards until chips ships v1.2",
        Some(13),
    ),
    blocker(
        "ground-station/downlink-latency-ms",
        10,
        "supplier",
        "Svalbard backhaul fiber shared with a research lab, saturated at peak",
        None,
    ),
    blocker("chips/yield-pct", 12, "chips", "lot 7 yield excursion: metal-2 shorts on edge die", Some(16)),
    blocker("chips/yield-pct", 14, "test", "probe card cracked mid-lot, replacement in 6 weeks", Some(20)),
    blocker("chips/wafer-starts-per-week", 14, "supplier", "wafer supplier slipped lot 9", None),
    blocker("chips/yield-pct", 15, "people", "yield team two engineers short after the transfers", None),
    blocker("power/cost-per-watt", 15, "supplier", "spare inverter boards on 12-week backorder", None),
    blocker(
        "chips/defect-density",
        17,
        "chips",
        "defect density stuck near 0.25: particles from the CMP pad conditioner",
        None,
    ),
    blocker(
        "chips/yield-pct",
        18,
        "design",
        "SRAM redundancy fuses don't cover the failing column, needs a respin",
        None,
    ),
    blocker("chips/tops-per-watt", 19, "chips", "rad-hard package failed qual at 100 krad", None),
];

/// Sentences that belong to one moment of the story: used once, in the first
/// note on `metric` in or after `week`.
const EVENTS: &[(&str, u32, &str)] = &[
    ("fab/tools-qualified", 5, "Fire marshal signed the occupancy permit; tool hookups restart Monday."),
    ("launch/turnaround-days", 9, "Recovery barge is back from drydock, first flow with it next week."),
    (
        "power/bus-efficiency-pct",
        9,
        "String inverter firmware v2.3 fixed the MPPT oscillation; efficiency stepped up overnight.",
    ),
    ("power/array-output-kw", 10, "The utility signed the grid interconnect permit on Friday."),
    ("power/cost-per-watt", 10, "Signed the 2 MW cell order; the volume price applies from the next shipment."),
    (
        "power/array-output-kw",
        11,
        "Refurbished 2.5 MVA transformer arrived from Nevada and passed the oil test; energizing Wednesday.",
    ),
    (
        "ground-station/downlink-latency-ms",
        10,
        "Three new customers onboarded; the shared Svalbard fiber saturates every evening.",
    ),
    (
        "chips/wafer-starts-per-week",
        8,
        "Wafer supplier capped us at 150 starts a week through Q3, no matter what we pay.",
    ),
    ("chips/yield-pct", 12, "Lot 7 wafers back from probe and yield fell off a cliff: metal-2 shorts on the edge die."),
    ("orbital-compute/tflops-per-kg", 13, "v1.2 accelerator boards are in the testbed."),
    ("thermal/radiator-rejection-kw", 14, "Loop heat pipes from the second supplier passed qualification."),
    (
        "chips/wafer-starts-per-week",
        14,
        "Wafer supplier slipped lot 9 by three weeks; they blame a furnace requalification.",
    ),
    ("chips/yield-pct", 16, "Root cause for lot 7 is a contaminated slurry batch; lots on fresh slurry look normal."),
    (
        "chips/defect-density",
        17,
        "It is flattening around 0.25; what is left is particles from the CMP pad conditioner.",
    ),
    ("power/array-output-kw", 18, "All 48 strings at nameplate. Calling the array done."),
    ("fab/tools-qualified", 18, "Last of the 24 tools qualified; the fab is in sustaining."),
    ("chips/yield-pct", 20, "New probe card installed, the test backlog is gone; yield is what it is."),
];

enum Due {
    P50,
    /// Week of the due date, counted like the reviews (may be after today).
    Week(u32),
}

/// (set in week, project, metric, due, reason), in the order they are set.
const DEADLINES: &[(u32, &str, Option<&str>, Due, &str)] = &[
    (2, "power", Some("array-output-kw"), Due::Week(12), "Array at 120 kW in time for the thermal vac campaign"),
    (3, "launch", Some("turnaround-days"), Due::Week(16), "Two-week turnaround to support a monthly cadence"),
    (
        4,
        "chips",
        Some("yield-pct"),
        Due::Week(20),
        "v2 accelerator tape-out needs production yield on the test vehicle",
    ),
    (5, "chips", None, Due::Week(22), "Chips ready for the first flight build"),
    (6, "power", None, Due::P50, "First 50% date for the flight power system"),
    (6, "fab", Some("tools-qualified"), Due::P50, "All 24 process tools qualified"),
    (8, "orbital-compute", None, Due::P50, "First end-to-end date for the demo constellation"),
    (8, "ground-station", Some("downlink-latency-ms"), Due::Week(20), "Customer SLA of 40 ms p95 goes live"),
    (10, "thermal", Some("radiator-rejection-kw"), Due::P50, "Radiators sized for the full 120 kW array"),
    (
        11,
        "power",
        Some("array-output-kw"),
        Due::Week(18),
        "Transformer arrived; six weeks of commissioning to nameplate",
    ),
    (14, "chips", None, Due::Week(30), "Wafer supplier slipped lot 9"),
    (18, "orbital-compute", None, Due::Week(50), "Reset after power landed; chips is now the long pole"),
    (
        21,
        "chips",
        None,
        Due::Week(40),
        "Lot 7 yield excursion and the CMP particle floor; waiting on the new pad conditioner",
    ),
    (21, "chips", Some("defect-density"), Due::Week(34), "Pad conditioner installed and the floor broken below 0.15"),
    (22, "chips", Some("yield-pct"), Due::Week(44), "Lot 9 slipped again and lot 10 repeated the edge-die shorts"),
];

// ---------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Early,
    Converging,
    Excursion,
    Late,
    Diverging,
    Done,
}

fn phase(spec: &MetricSpec, t: f64) -> Phase {
    if spec.mean_gap(t) <= spec.tolerance {
        return Phase::Done;
    }
    match spec.project {
        "power" if t < spec.shape.knee() => Phase::Early,
        "chips" if t < 12.0 => Phase::Early,
        "chips" if t < 16.0 => Phase::Excursion,
        "chips" => Phase::Late,
        _ if spec.diverges() && t > 5.0 => Phase::Diverging,
        _ => Phase::Converging,
    }
}

/// The sentences an engineer may say about metric `key` in `phase`: the
/// metric's own pool when it has one, else its project's, else a generic one.
fn pool(key: &str, project: &str, phase: Phase) -> &'static [&'static str] {
    use Phase::*;
    match (key, phase) {
        ("power/array-output-kw", Early) => &[
            "Utility still sitting on the grid interconnect permit; the test array is on the temporary genset feed.",
            "Transformer vendor confirmed the 40-week lead time, no pull-in without a second order.",
            "Half the strings sit idle until the interconnect is energized.",
            "Utility asked for another load-flow study before they sign.",
            "Night shift reran the IV curves: same picture, we're capped by the feed, not the cells.",
            "Looking at a refurbished 2.5 MVA transformer from a decommissioned plant in Nevada.",
            "Priced a temporary tie-in; the utility says no until the study closes.",
            "Deployment hinge still binds in thermal vac below -40 C.",
            "Only Zoë can sign off HV work, so every change queues behind her.",
            "Added four strings on the genset side; that's all the feed will take.",
        ],
        ("power/array-output-kw", Converging) => &[
            "Refurbished transformer energized, strings coming online in blocks of eight.",
            "Interconnect is live; commissioning the second feeder this week.",
            "Curve is doing what we hoped since the permit landed.",
            "Hinge fix held through three thermal vac cycles.",
            "Burn-in on the new HV harness is clean so far.",
            "Second HV tech certified, so we run two crews now.",
            "Last blocks of strings wait on combiner box punch-list items.",
        ],
        ("power/cost-per-watt", Early) => &[
            "Cell supplier still won't go below 5 $/W without a 2 MW commitment.",
            "Cell coupons from the second supplier passed incoming inspection; their quote is 8% lower.",
            "Racking redesign saves a little steel, not enough to move the number.",
            "Finance wants the interconnect signed before we commit to the volume order.",
            "Labour is a third of the cost while we install by hand.",
            "Freight from the cell fab doubled with the port delays.",
        ],
        ("power/cost-per-watt", Converging) => &[
            "Volume pricing from the cell supplier kicked in with the 2 MW order.",
            "Second supplier qualified, so we finally have leverage on price.",
            "Pre-wired string harnesses cut install labour almost in half.",
            "Racking now arrives pre-assembled from the vendor.",
            "Spreading the transformer over the full array helps the per-watt number.",
        ],
        ("power/bus-efficiency-pct", Early) => &[
            "MPPT hunting on strings 4 and 9 again under partial shade.",
            "Inverter vendor reproduced the MPPT oscillation in their lab; firmware fix promised.",
            "Losses are mostly in the DC-DC stage at low load.",
            "Swapped the shunt resistors: the measurement itself was off by 0.3 points.",
            "Bench bus at 400 V instead of 300 V; fewer resistive losses.",
            "Beta firmware v2.2 made the oscillation rarer, not gone.",
        ],
        ("power/bus-efficiency-pct", Converging) => &[
            "Inverter firmware v2.3 is on every string now, no MPPT oscillation since.",
            "GaN stage on the DC-DC converter is worth about half a point.",
            "Tuned the MPPT step size; tracking settles in under a second now.",
            "No thermal derating at noon anymore with the new heat sinks.",
            "Closing out the last items on the loss waterfall.",
        ],
        ("chips/yield-pct", Early) => &[
            "Lot 5 wafers back from probe, parametrics look normal.",
            "Tweaked the litho dose on the via layer, small gain.",
            "Yield learning is on the curve we planned for.",
            "Lot 6 split on anneal temperature, the hotter leg wins.",
            "Top yield detractor is still via opens on metal-1.",
            "Edge die drag the average down; the wafer centre is already above 70%.",
        ],
        ("chips/yield-pct", Excursion) => &[
            "Lot 7 wafers back from probe: metal-2 shorts all over the edge die.",
            "Excursion traced to a contaminated slurry batch at the CMP step.",
            "Quarantined lots 7 and 8 until the slurry root cause is closed.",
            "Probe card cracked mid-lot, lost two days of test.",
            "Re-running lot 7 splits with the old slurry to confirm the root cause.",
            "Edge exclusion widened to 4 mm as a stopgap while we chase the shorts.",
        ],
        ("chips/yield-pct", Late) => &[
            "Lot 10 looks like lot 9: better, but not the step we need.",
            "Redundancy fuses don't cover the failing SRAM column; the fix needs a respin.",
            "Yield team is two engineers short since the transfers.",
            "Edge die still lose three points to the metal-2 shorts.",
            "Every lot waits on the wafer supplier; we learn once a month instead of once a week.",
            "Splitting lot 11 across both CMP tools to see if the shorts are tool-specific.",
        ],
        ("chips/defect-density", Early) => &[
            "Defect Pareto is led by particles on metal-1; CMP is the suspect.",
            "New brush clean after CMP, fewer particles on the inspection map.",
            "Inspection tool recalibrated, so lots are comparable now.",
            "Scratches on lot 5 traced to a worn pad; replaced.",
            "Filter change on the slurry line took out a class of small defects.",
        ],
        ("chips/defect-density", Excursion) => &[
            "The slurry contamination shows up as a defect spike on the inspection maps too.",
            "Excluding lots 7 and 8 from the trend until the slurry root cause is closed.",
            "Particle adders at CMP are back to baseline with fresh slurry.",
            "Review SEM says the shorts are particles, not litho.",
        ],
        ("chips/defect-density", Late) => &[
            "We won't get under the CMP particle floor without the new pad conditioner.",
            "Pad conditioner quote is 14 weeks; asked the vendor for a loaner.",
            "Same particle signature every lot: what is left all comes from CMP.",
            "Tried a slower conditioner sweep, no change in the floor.",
            "Splitting lot 11 across both CMP tools to see if the floor is tool-specific.",
            "The easy defects are gone; what's left needs new hardware.",
        ],
        ("chips/wafer-starts-per-week", Early) => &[
            "Wafer supplier only confirms a week at a time.",
            "Second substrate source sent samples, qualification starts next week.",
            "Ramping starts as fast as the supplier ships.",
            "Litho has spare capacity; the constraint is incoming wafers.",
            "Pulled in two engineering lots to use the slack.",
        ],
        ("chips/wafer-starts-per-week", Excursion | Late) => &[
            "Supplier allocation is still 150; the rest come from second-source samples.",
            "Lot 9 slipped again at the wafer supplier, now promised in four weeks.",
            "Second substrate source still in qualification, 20 wafers a week at most.",
            "Asked the supplier for a firm Q4 allocation, no answer yet.",
            "Every start we lose at the supplier is a week of yield learning lost.",
            "Held back starts on the quarantined slurry route for a few days.",
        ],
        ("chips/tops-per-watt", Early) => &[
            "Clock gating on the matrix units landed, good for a few TOPS/W.",
            "Voltage scaling on the test chip works down to 0.65 V.",
            "Compiler now fuses the attention kernels; fewer SRAM round trips.",
            "Measured on the bench at 45 C; will repeat at orbit temperature.",
            "Test vehicle v1.2 taped out; masks due in three weeks.",
        ],
        ("chips/tops-per-watt", Excursion | Late) => &[
            "Rad-hard package failed qual at 100 krad, re-running with the thicker lid.",
            "The thicker lid costs efficiency: hotter die, more leakage.",
            "Can't characterize new silicon until lots clear the yield problems.",
            "Sparse kernels help on the benchmark but not on the flight workload.",
            "Leakage at orbit temperature eats what the new voltage tables gained.",
            "Waiting on lot 9 silicon for the next efficiency step.",
        ],
        ("ground-station/downlink-latency-ms", Converging) => &[
            "Tuned the router buffers, a few ms better.",
            "Moved bulk telemetry off the shared link.",
            "Fine off-peak, spikes in the evening.",
        ],
        ("launch/turnaround-days", Converging) => &[
            "Borescope inspection down to one shift with the new fixture.",
            "Pad refurbishment crew moved to two shifts.",
            "Engine inspection is now the long task in the flow.",
            "Landing leg refurb now runs in parallel with the engine checks.",
            "Booster B7 came back hot on one engine; swapped it instead of repairing.",
            "Weather held us a day, but the flow itself was clean.",
        ],
        ("launch/payload-integration-hours", Converging) => &[
            "Integration checklist cut from 212 to 140 steps.",
            "Fairing encapsulation rehearsed twice, saved six hours.",
            "Moved the propellant loading rehearsal off the critical path.",
            "Dispenser fit check now happens at the factory, not on the pad.",
            "Second clean tent up, so two payload stacks can be worked at once.",
            "Harness mistakes cost us a shift again; adding a go/no-go gauge.",
        ],
        ("thermal/radiator-rejection-kw", Converging) => &[
            "Coating emissivity measured 0.91, up from 0.86.",
            "Thermal model now matches the vac chamber within 2 C.",
            "Sizing the radiators for the full 120 kW array.",
            "Heat pipe fill ratio tuned; the cold-start problem is gone.",
            "Pump loop flow up 15% with the new impeller.",
            "Added the fourth deployable panel to the test article.",
        ],
        ("thermal/radiator-mass-kg-per-kw", Converging) => &[
            "New radiator panels with thinner face sheets passed vibe.",
            "Deployable panel hinge reuses the fix from the power team.",
            "Titanium manifolds: heavier parts, but fewer of them.",
            "Honeycomb core down to 6 mm with no loss in stiffness.",
            "Dropped a redundant pump from the loop after the FMEA review.",
            "Mass model now built from weighed parts instead of CAD.",
        ],
        ("orbital-compute/tflops-per-kg", Converging) => &[
            "Structure mass down after the chassis redesign.",
            "Lighter cold plates on the compute sleds.",
            "Waiting on chips for the next real jump; the rest is tuning.",
            "Compiler scheduling change is worth a few percent on the flight workload.",
            "Shielding mass re-optimized against the new radiation model.",
            "Harness mass down after merging the power and data looms.",
        ],
        ("orbital-compute/sim-uptime-pct", Converging) => &[
            "Testbed cluster ran the 72-hour soak without a reboot.",
            "Checkpointing across nodes now survives a simulated SEU storm.",
            "Scheduler now pins jobs away from the hot boards.",
            "Memory scrubbing interval halved, no measurable cost.",
            "Lost one node to a flaky backplane connector, replaced.",
            "Watchdog restarts down to one a day across the cluster.",
        ],
        ("fab/tools-qualified", Converging) => &[
            "Etch tool qualified Thursday.",
            "EUV scanner is in acceptance testing.",
            "Two tools waiting on facilities water hookups.",
            "CVD chamber passed its particle qual on the second try.",
            "Implanter vendor sent a field engineer for the final qual.",
            "Metrology tools all qualified; process tools are what's left.",
        ],
        ("fab/cycle-time-days", Converging) => &[
            "Cycle time down with the second metrology tool online.",
            "Hot lots cut the queue at litho.",
            "Cleanroom passed ISO 5 recertification.",
            "The furnaces are the long wait now.",
            "Dispatching by due date instead of first-in-first-out.",
            "Lost a day to a facilities power dip, otherwise clean.",
        ],
        _ => project_pool(project, phase),
    }
}

fn project_pool(project: &str, phase: Phase) -> &'static [&'static str] {
    use Phase::*;
    match (project, phase) {
        ("launch", Converging) => &[
            "Weather held us a day, but the flow itself was clean.",
            "Range conflicts pushed us a day; nothing technical.",
        ],
        ("ground-station", Converging) => &[
            "Antenna 3 back from bearing replacement.",
            "Rain-fade mitigation is in and working.",
            "Both dishes up all week apart from planned maintenance.",
            "Spare LNA on site now, swap time under an hour.",
            "Heaters on the feed horns stopped the icing outages.",
        ],
        ("ground-station", Diverging) => &[
            "Backhaul fiber from the Svalbard site is shared with a research lab; latency spikes at peak.",
            "Traffic up 30% since the new customers onboarded.",
            "Carrier says the extra wavelength is Q4 at the earliest.",
            "Routing through the Tromsø PoP helped for a day, then the queues came back.",
            "A little worse every week; we need our own fiber or a second site.",
            "Jitter is fine, it's the queueing at the landing station.",
            "Compression on the telemetry stream bought us nothing measurable.",
        ],
        (_, Done) => &[
            "Holding at spec; we only look at it every other week now.",
            "Nothing new, steady for another week.",
            "Inside tolerance again, no action.",
            "Stable; moved one person over to help chips.",
            "At target. Watching it, not working it.",
            "Same as last time, which is the point.",
            "No change; the team is writing up the procedure so it stays this way.",
        ],
        _ => &[
            "Progress as planned, nothing blocking this week.",
            "Moving in the right direction, slower than I'd like.",
            "Raw data is in the team folder if you want it.",
        ],
    }
}

/// Ways to open a note with the reading; `{v}` is the value with its unit,
/// `{d}` the change since that engineer's team last reported.
fn lead_in(i: usize, v: &str, d: &str) -> String {
    match i {
        0 => format!("{v} this week, {d} vs last reading."),
        1 => format!("Reading is {v}."),
        2 => format!("{v} ({d})."),
        3 => format!("Came in at {v}; {d} week on week."),
        4 => format!("Latest number {v}."),
        5 => format!("We're at {v}, {d}."),
        6 => format!("{v} on this morning's pull."),
        7 => format!("Measured {v}, {d} since the last review."),
        _ => format!("Number is {v}, {d}."),
    }
}

const LEAD_INS: usize = 9;

fn with_unit(value: f64, spec: &MetricSpec) -> String {
    let v = format!("{:.*}", spec.decimals, value);
    match spec.unit {
        "%" => format!("{v}%"),
        "$/W" => format!("${v}/W"),
        u => format!("{v} {u}"),
    }
}

fn delta_text(value: f64, prev: f64, spec: &MetricSpec) -> String {
    let d = value - prev;
    let step = 10f64.powi(-(spec.decimals as i32));
    if d.abs() < step / 2.0 {
        "flat".to_string()
    } else if d > 0.0 {
        format!("+{:.*}", spec.decimals, d)
    } else {
        format!("{:.*}", spec.decimals, d)
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

fn round_to(x: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

struct Generator {
    rng: StdRng,
    specs: Vec<MetricSpec>,
    /// Every reading so far per metric, as (date, value).
    history: Vec<Vec<(NaiveDate, f64)>>,
    blocker_attached: Vec<bool>,
    event_used: Vec<bool>,
    points: Vec<DemoPoint>,
}

impl Generator {
    fn reading(&mut self, i: usize, t: f64) -> f64 {
        let spec = &self.specs[i];
        let gap = spec.mean_gap(t);
        let sd = spec.noise_abs + spec.noise_rel * gap.abs();
        let z: f64 = self.rng.sample(StandardNormal);
        let value = spec.direction.value_from_gap(gap + sd * z, spec.target);
        round_to(value.clamp(spec.min, spec.max), spec.decimals)
    }

    fn note(&mut self, i: usize, week: u32, t: f64, date: NaiveDate, value: f64) -> String {
        let spec = &self.specs[i];
        let key = spec.key();
        let v = with_unit(value, spec);
        // Compared with the last reading heard on an earlier day.
        let prev = self.history[i].iter().rev().find(|(d, _)| *d < date).map(|(_, v)| *v);
        let i_lead = self.rng.random_range(0..LEAD_INS);
        let opening = match prev {
            Some(prev) => lead_in(i_lead, &v, &delta_text(value, prev, spec)),
            None => format!("Baseline reading: {v}."),
        };

        let event = EVENTS
            .iter()
            .enumerate()
            .find(|(k, (m, w, _))| !self.event_used[*k] && *m == key && *w <= week)
            .map(|(k, (_, _, text))| (k, *text));
        let sentences = pool(&key, spec.project, phase(spec, t));
        let first = match event {
            Some((k, text)) => {
                self.event_used[k] = true;
                text
            }
            None => sentences[self.rng.random_range(0..sentences.len())],
        };
        let mut note = format!("{opening} {first}");
        if self.rng.random_bool(0.35) {
            let second = sentences[self.rng.random_range(0..sentences.len())];
            if second != first && note.len() + second.len() < 298 {
                note.push(' ');
                note.push_str(second);
            }
        }
        note
    }

    fn blockers_for(&mut self, i: usize, week: u32) -> Vec<(String, String)> {
        let key = self.specs[i].key();
        let mut out = Vec::new();
        for (k, b) in BLOCKERS.iter().enumerate() {
            if !self.blocker_attached[k] && b.metric == key && b.week <= week {
                self.blocker_attached[k] = true;
                out.push((b.category.to_string(), b.text.to_string()));
            }
        }
        out
    }

    fn push(&mut self, i: usize, week: u32, t: f64, date: NaiveDate, kind: ReviewKind, engineer: &str) {
        let value = self.reading(i, t);
        let note = self.note(i, week, t, date, value);
        let blockers = self.blockers_for(i, week);
        self.history[i].push((date, value));
        let spec = &self.specs[i];
        self.points.push(DemoPoint {
            point: Point {
                date,
                project: spec.project.to_string(),
                metric: spec.metric.to_string(),
                engineer: engineer.to_string(),
                value,
                note,
                review: None,
            },
            kind,
            reviewer: REVIEWER.to_string(),
            blockers,
        });
    }
}

/// The project whose metrics are the limiting factor in `week`.
fn limiting_project(week: u32) -> &'static str {
    if week <= POWER_PERIOD_END {
        "power"
    } else {
        "chips"
    }
}

/// Whether something scripted (a blocker or an event) happens on metric `key` in `week`.
fn scripted(key: &str, week: u32) -> bool {
    BLOCKERS.iter().any(|b| b.metric == key && b.week == week) || EVENTS.iter().any(|(m, w, _)| *m == key && *w == week)
}

/// The demo organization and 24 weeks of its reviews, as of `today`.
///
/// Weekly reviews are held on Mondays; the last one is the Monday on or just
/// before `today`, the first 24 weeks earlier. Every fourth week the review is
/// a skip-level, where the engineers two levels down report. The limiting
/// factor (power until week 12, chips after) also gets a Thursday deep-dive
/// every week and is often reported by both the lead and the engineer.
/// Deterministic: the same `today` gives identical data, and a different
/// `today` shifts the dates while keeping values and notes identical.
pub fn dataset(today: NaiveDate) -> Dataset {
    let anchor = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let monday = |week: u32| anchor - Duration::weeks(i64::from(WEEKS - week));

    let specs = metric_specs();
    let n = specs.len();
    let mut g = Generator {
        rng: StdRng::seed_from_u64(SEED),
        specs,
        history: vec![Vec::new(); n],
        blocker_attached: vec![false; BLOCKERS.len()],
        event_used: vec![false; EVENTS.len()],
        points: Vec::new(),
    };

    for week in 0..=WEEKS {
        let date = monday(week);
        let t = f64::from(week);
        let kind = if week % 4 == 3 { ReviewKind::SkipLevel } else { ReviewKind::Weekly };
        let limiting = limiting_project(week);
        for i in 0..n {
            let (project, key, ic, lead) = {
                let s = &g.specs[i];
                (s.project, s.key(), s.ic, s.lead)
            };
            let is_scripted = scripted(&key, week);
            // Teams that are done see little of the reviewer: every other week.
            let done_before = week > 0 && {
                let s = &g.specs[i];
                s.mean_gap(t - 1.0) <= s.tolerance
            };
            if done_before && week % 2 == 1 && !is_scripted {
                continue;
            }
            // Meetings run long and some metrics get skipped.
            if project != limiting && !is_scripted && week > 0 && week < WEEKS && g.rng.random_bool(0.07) {
                continue;
            }
            let reporters: Vec<&str> = match kind {
                ReviewKind::SkipLevel => vec![ic],
                _ if project == limiting && week.is_multiple_of(2) => vec![lead, ic],
                _ if (week as usize + i).is_multiple_of(3) => vec![ic],
                _ => vec![lead],
            };
            for who in reporters {
                g.push(i, week, t, date, kind, who);
            }
        }
        // The limiting factor is reviewed twice a week: a Thursday deep-dive.
        if (1..WEEKS).contains(&week) {
            let date = date + Duration::days(3);
            let t = t + 3.0 / 7.0;
            for i in 0..n {
                if g.specs[i].project == limiting {
                    let ic = g.specs[i].ic;
                    g.push(i, week, t, date, ReviewKind::DeepDive, ic);
                }
            }
        }
    }

    let mut points = g.points;
    points.sort_by_key(|p| p.point.date);

    let projects = PROJECTS
        .iter()
        .map(|(slug, name, priority, owner, deps)| Project {
            slug: slug.to_string(),
            name: name.to_string(),
            priority: *priority,
            owner: Some(owner.to_string()),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            archived: false,
        })
        .collect();
    let engineers = ENGINEERS
        .iter()
        .map(|(handle, name, boss)| Engineer {
            handle: handle.to_string(),
            name: name.to_string(),
            reports_to: boss.map(str::to_string),
        })
        .collect();
    let metrics = g
        .specs
        .iter()
        .map(|s| Metric {
            project: s.project.to_string(),
            metric: s.metric.to_string(),
            name: Some(s.name.to_string()),
            unit: Some(s.unit.to_string()),
            target: s.target,
            direction: s.direction,
            tolerance: s.tolerance,
            // Percentages have physical bounds: charts never project past 100%.
            min: (s.unit == "%").then_some(0.0),
            max: (s.unit == "%").then_some(100.0),
            archived: false,
        })
        .collect();
    let resolutions = BLOCKERS
        .iter()
        .filter_map(|b| {
            let week = b.resolved_week?;
            let (project, _) = b.metric.split_once('/')?;
            Some(DemoBlockerResolution {
                project: project.to_string(),
                category: b.category.to_string(),
                text: b.text.to_string(),
                resolved: monday(week),
            })
        })
        .collect();
    let deadlines = DEADLINES
        .iter()
        .map(|(week, project, metric, due, reason)| DemoDeadline {
            project: project.to_string(),
            metric: metric.map(str::to_string),
            set_on: monday(*week),
            due: match due {
                Due::P50 => DemoDue::P50,
                Due::Week(w) => DemoDue::Date(anchor + Duration::weeks(i64::from(*w) - i64::from(WEEKS))),
            },
            reason: reason.to_string(),
        })
        .collect();

    Dataset { projects, engineers, metrics, reviewer: REVIEWER.to_string(), points, resolutions, deadlines }
}
