//! The limiting factor: which one metric most holds back the most important
//! work this week (docs/spec.md §4), and how review time should follow it.
//!
//! Each metric's forecast carries simulated completion days, one per path.
//! Combining the i-th path of every metric (metrics are taken as independent)
//! gives each project's completion on that path: the latest of its own
//! metrics and of the projects it depends on. From the paths come the
//! project's completion quantiles, its chance of meeting a deadline, and each
//! metric's *criticality*: the share of paths on which it is the one that
//! finishes last for that project.
//!
//! Pure: plain data in, plain data out.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::core::forecast::{Forecast, Samples, Status};
use crate::core::model::{Metric, Project};

/// One project's simulated outlook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectOutlook {
    pub project: String,
    pub priority: u8,
    pub status: Status,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    /// P(not done within the horizon).
    pub p_never: f64,
    /// The metric (as `PROJECT/METRIC`) most often last to finish.
    pub limiting_metric: Option<String>,
    /// Criticality of the metrics on the project's path (its dependencies'
    /// included) that finish last on some path, highest first: the first
    /// [`CRITICAL_KEPT`] (the limiting factor is chosen from all of them).
    pub criticality: Vec<(String, f64)>,
    pub deadline: Option<NaiveDate>,
    pub p_on_time: Option<f64>,
    /// A deadline exists and P(on time) < 5%: success is not among the outcomes on the current path.
    pub off_path: bool,
    /// Metrics on the path without enough data to forecast: the first
    /// [`UNKNOWN_LISTED`] by position.
    pub unknown_metrics: Vec<String>,
    /// There are more such metrics than listed.
    pub more_unknown: bool,
    /// The project's completion on each simulated path (days after as-of;
    /// `None` = not within the horizon). Empty when nothing can be forecast.
    #[serde(skip)]
    pub samples: Samples,
}

impl ProjectOutlook {
    /// The date by which the project is done with probability `q`, from the joint simulation.
    pub fn quantile(&self, q: f64, as_of: NaiveDate) -> Option<NaiveDate> {
        let mut done: Vec<i32> = self.samples.iter().flatten().collect();
        done.sort_unstable();
        quantile_sorted(&done, self.samples.len(), q, as_of)
    }

    /// P(the project is done on or before `date`), from the joint simulation.
    pub fn p_done_by(&self, as_of: NaiveDate, date: NaiveDate) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let limit = (date - as_of).num_days();
        let hits = self.samples.iter().filter(|d| d.is_some_and(|d| i64::from(d) <= limit)).count();
        Some(hits as f64 / self.samples.len() as f64)
    }
}

/// The organization's limiting factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitingFactor {
    pub project: String,
    pub metric: String,
    pub criticality: f64,
    pub status: Status,
    pub p50: Option<NaiveDate>,
    pub reason: String,
    /// The important project it holds back (may be a project depending on `project`).
    pub holds_back: String,
}

/// A suggested share of next week's review time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    pub project: String,
    pub share: f64,
    pub cadence: Cadence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    TwiceWeekly,
    Weekly,
    EveryOtherWeek,
    Monthly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::TwiceWeekly => "twice-weekly",
            Cadence::Weekly => "weekly",
            Cadence::EveryOtherWeek => "every-other-week",
            Cadence::Monthly => "monthly",
        }
    }
}

/// Everything the limiting-factor analysis found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub projects: Vec<ProjectOutlook>,
    pub limiting_factor: Option<LimitingFactor>,
    /// Position in `projects` by slug.
    #[serde(skip)]
    pub index: HashMap<String, usize>,
}

impl Analysis {
    /// One project's outlook, by slug.
    pub fn project(&self, slug: &str) -> Option<&ProjectOutlook> {
        self.index.get(slug).map(|&i| &self.projects[i])
    }
}

/// When a project that is not the limiting factor is reviewed weekly rather
/// than every other week: its risk is at least this (or it is off track).
pub const DEFAULT_WEEKLY_RISK: f64 = 0.3;

/// Inputs: the projects, the metrics with their forecasts (same order), and
/// each project's active deadline.
pub struct Inputs<'a> {
    pub projects: &'a [Project],
    pub metrics: &'a [Metric],
    pub forecasts: &'a [Forecast],
    pub project_deadlines: &'a HashMap<String, NaiveDate>,
    pub as_of: NaiveDate,
    /// Per metric (same order), how much of its gap is still open: the gap
    /// beyond tolerance at the latest reading over the one at the first
    /// (above 1 when it moved away). Breaks ties between metrics whose
    /// criticality differs by no more than simulation noise.
    pub gap_open: &'a [f64],
}

/// Priorities weigh work steeply: each step up counts four times the one
/// below (priority 1 = 256, priority 5 = 1). The limiting factor is about
/// the most important work: a metric that holds back a priority-1 goal
/// outranks one that alone holds back a priority-4 side project, even when
/// the goal's fate is shared among many metrics.
fn weight(priority: u8) -> f64 {
    4f64.powi(5 - i32::from(priority.clamp(1, 5)))
}

fn offset(as_of: NaiveDate, d: i32) -> Option<NaiveDate> {
    if d >= 0 {
        as_of.checked_add_days(Days::new(d as u64))
    } else {
        as_of.checked_sub_days(Days::new(d.unsigned_abs() as u64))
    }
}

/// The projects as a graph of positions: each one's own metrics and the
/// projects it depends on, and an order in which every project comes after
/// the projects it depends on. Everything that follows a project's whole
/// path (its dependencies, transitively) walks this order once, so the cost
/// grows with projects + dependencies + metrics, not with their product.
#[derive(Debug, Clone)]
pub struct ProjectGraph {
    /// Metric positions of each project.
    pub own: Vec<Vec<usize>>,
    /// Each project's dependencies that come before it in `order` (a
    /// dependency cycle, which the store refuses, is broken where met).
    pub deps: Vec<Vec<usize>>,
    /// Dependencies first.
    pub order: Vec<usize>,
}

impl ProjectGraph {
    pub fn new(projects: &[Project], metrics: &[Metric]) -> ProjectGraph {
        let index: HashMap<&str, usize> = projects.iter().enumerate().map(|(i, p)| (p.slug.as_str(), i)).collect();
        let mut own = vec![Vec::new(); projects.len()];
        for (m, metric) in metrics.iter().enumerate() {
            if let Some(&p) = index.get(metric.project.as_str()) {
                own[p].push(m);
            }
        }
        let all: Vec<Vec<usize>> = projects
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut d: Vec<usize> =
                    p.depends_on.iter().filter_map(|s| index.get(s.as_str()).copied()).filter(|&j| j != i).collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        // Depth-first, iteratively (a 20,000-deep chain must not overflow
        // the stack): a project is placed once all its dependencies are.
        let n = projects.len();
        let mut state = vec![0u8; n]; // 0 unseen, 1 in progress, 2 placed
        let mut rank = vec![usize::MAX; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            let mut stack = vec![(start, 0usize)];
            while let Some((v, i)) = stack.last_mut() {
                let v = *v;
                if let Some(&d) = all[v].get(*i) {
                    *i += 1;
                    if state[d] == 0 {
                        state[d] = 1;
                        stack.push((d, 0));
                    }
                } else {
                    state[v] = 2;
                    rank[v] = order.len();
                    order.push(v);
                    stack.pop();
                }
            }
        }
        // An edge to a project placed later closes a cycle: dropped.
        let deps =
            all.into_iter().enumerate().map(|(v, d)| d.into_iter().filter(|&x| rank[x] < rank[v]).collect()).collect();
        ProjectGraph { own, deps, order }
    }

    /// Project `p` and every project it depends on, transitively (each once).
    pub fn closure(&self, p: usize, seen: &mut [u32], stamp: u32) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![p];
        seen[p] = stamp;
        while let Some(q) = stack.pop() {
            out.push(q);
            for &d in &self.deps[q] {
                if seen[d] != stamp {
                    seen[d] = stamp;
                    stack.push(d);
                }
            }
        }
        out
    }
}

/// A completion day inside the joint simulation: `None` (not within the
/// horizon) as the latest day of all.
const NEVER: i32 = crate::core::forecast::samples::NOT_DONE;

/// Who finishes last for a project on one path: one metric; a few tied (an
/// index into the block's explicit sets); or many tied (an index into the
/// block's large sets, each standing for its members by one drawn among
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    One(u32),
    Tied(u32),
    Many(u32),
}

/// Ties up to this many metrics share a path's blame exactly. Past it (for
/// example hundreds of metrics that never finish within the horizon, deep
/// in a long chain of dependencies), the path's whole blame goes to one of
/// the tied metrics drawn uniformly, with a seed fixed by the project and
/// the path: each keeps the same expected criticality, the result is the
/// same on every run, and the cost no longer grows with the tie.
pub const EXACT_TIES: usize = 64;

/// A large tie: how many metrics it holds (counted once per distinct part;
/// a metric reached through two dependencies of a diamond can count twice)
/// and the one that takes the blame.
#[derive(Debug, Clone, Copy)]
struct ManyTied {
    size: u64,
    drawn: u32,
}

/// Paths simulated together, so that each metric's samples are read in
/// runs rather than one per pass over the organization.
const BLOCK: usize = 16;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Every project's completion on each path and how often each metric was
/// last (see [`analyze`]).
fn simulate(
    inp: &Inputs<'_>,
    graph: &ProjectGraph,
    has_known: &[bool],
    n_paths: usize,
) -> (Vec<Samples>, Vec<Credits>) {
    let np = inp.projects.len();
    let known_own: Vec<Vec<usize>> = graph
        .own
        .iter()
        .map(|ms| ms.iter().copied().filter(|&m| !inp.forecasts[m].samples.is_empty()).collect())
        .collect();
    // Four bytes a path from the start: 4,000 projects' days as `Option<i32>` took 19 MB a date.
    let mut completion: Vec<Samples> =
        (0..np).map(|p| if has_known[p] { Samples::with_capacity(n_paths) } else { Samples::default() }).collect();
    let mut credits: Vec<Credits> = vec![Credits::default(); np];
    let mut latest = vec![0i32; np * BLOCK];
    let mut last = vec![Last::One(0); np * BLOCK];
    // The block's sets of tied metrics, each a range of `tied_members`: one vector for them
    // all (a vector per set was two million allocations a date at scale 10, where the paths
    // that never finish tie).
    let mut tied: Vec<(u32, u32)> = Vec::new();
    let mut tied_members: Vec<u32> = Vec::new();
    let mut many: Vec<ManyTied> = Vec::new();
    let mut sources: Vec<Last> = Vec::new();
    let mut members: Vec<u32> = Vec::new();
    // The block's days of each of a project's own metrics, metric by metric: each metric's
    // samples read as one run (a division for the first only), not one per path.
    let mut own_days: Vec<i32> = Vec::new();
    for start in (0..n_paths).step_by(BLOCK) {
        let width = BLOCK.min(n_paths - start);
        tied.clear();
        tied_members.clear();
        many.clear();
        for &p in &graph.order {
            if !has_known[p] {
                continue;
            }
            let base = p * BLOCK;
            own_days.clear();
            for &m in &known_own[p] {
                let samples = inp.forecasts[m].samples.days();
                let mut i = start % samples.len();
                for _ in 0..width {
                    own_days.push(samples[i]);
                    i += 1;
                    if i == samples.len() {
                        i = 0;
                    }
                }
            }
            for j in 0..width {
                let s = start + j;
                let own_day = |k: usize| own_days[k * width + j];
                let mut day = i32::MIN;
                for k in 0..known_own[p].len() {
                    day = day.max(own_day(k));
                }
                for &d in &graph.deps[p] {
                    if has_known[d] {
                        day = day.max(latest[d * BLOCK + j]);
                    }
                }
                // Who attains it: one shared answer, or a union to build.
                sources.clear();
                for (k, &m) in known_own[p].iter().enumerate() {
                    let d = own_day(k);
                    if d == day {
                        sources.push(Last::One(m as u32));
                    }
                }
                for &d in &graph.deps[p] {
                    if has_known[d] && latest[d * BLOCK + j] == day {
                        sources.push(last[d * BLOCK + j]);
                    }
                }
                let first = sources[0];
                let w = if sources.iter().all(|&x| x == first) {
                    first
                } else {
                    sources.sort_unstable_by_key(|x| match *x {
                        Last::One(m) => (0, m),
                        Last::Tied(i) => (1, i),
                        Last::Many(i) => (2, i),
                    });
                    sources.dedup();
                    members.clear();
                    let mut big = 0u64;
                    for x in &sources {
                        match *x {
                            Last::One(m) => members.push(m),
                            Last::Tied(i) => {
                                let (at, n) = tied[i as usize];
                                members.extend_from_slice(&tied_members[at as usize..(at + n) as usize]);
                            }
                            Last::Many(i) => big += many[i as usize].size,
                        }
                    }
                    members.sort_unstable();
                    members.dedup();
                    let size = big + members.len() as u64;
                    if big == 0 && members.len() == 1 {
                        Last::One(members[0])
                    } else if big == 0 && members.len() <= EXACT_TIES {
                        tied.push((tied_members.len() as u32, members.len() as u32));
                        tied_members.extend_from_slice(&members);
                        Last::Tied(tied.len() as u32 - 1)
                    } else {
                        // One member drawn uniformly: a listed metric, or
                        // within a large part in proportion to its size.
                        let mut r = mix(((p as u64) << 32) ^ s as u64) % size;
                        let drawn = if (r as usize) < members.len() {
                            members[r as usize]
                        } else {
                            r -= members.len() as u64;
                            let mut pick = 0;
                            for x in &sources {
                                if let Last::Many(i) = *x {
                                    let part = many[i as usize];
                                    if r < part.size {
                                        pick = part.drawn;
                                        break;
                                    }
                                    r -= part.size;
                                }
                            }
                            pick
                        };
                        many.push(ManyTied { size, drawn });
                        Last::Many(many.len() as u32 - 1)
                    }
                };
                match w {
                    Last::One(m) => credits[p].add(m, 1.0),
                    Last::Tied(i) => {
                        let (at, n) = tied[i as usize];
                        let set = &tied_members[at as usize..(at + n) as usize];
                        let share = 1.0 / set.len() as f64;
                        for &m in set {
                            credits[p].add(m, share);
                        }
                    }
                    Last::Many(i) => credits[p].add(many[i as usize].drawn, 1.0),
                }
                latest[base + j] = day;
                last[base + j] = w;
                completion[p].push((day != NEVER).then_some(day));
            }
        }
    }
    (completion, credits)
}

/// A project's share of paths on which each metric finished last: a short
/// list while few metrics ever do, a map beyond.
#[derive(Debug, Clone, Default)]
struct Credits {
    few: Vec<(u32, f64)>,
    many: Option<rustc_hash::FxHashMap<u32, f64>>,
}

impl Credits {
    fn add(&mut self, m: u32, x: f64) {
        if let Some(map) = &mut self.many {
            *map.entry(m).or_default() += x;
        } else if let Some(e) = self.few.iter_mut().find(|e| e.0 == m) {
            e.1 += x;
        } else if self.few.len() < 32 {
            self.few.push((m, x));
        } else {
            let mut map: rustc_hash::FxHashMap<u32, f64> = self.few.drain(..).collect();
            map.insert(m, x);
            self.many = Some(map);
        }
    }

    fn into_vec(self) -> Vec<(u32, f64)> {
        match self.many {
            Some(map) => map.into_iter().collect(),
            None => self.few,
        }
    }
}

/// How many metrics without enough data a project lists (the rest are counted).
pub const UNKNOWN_LISTED: usize = 20;

/// Bits for the statuses found on a project's path.
fn status_bit(s: Status) -> u8 {
    match s {
        Status::Diverging => 1,
        Status::Stalled => 2,
        Status::Converging => 4,
        Status::InsufficientData => 8,
        Status::Done => 16,
    }
}

/// [`project_status`] from the bits of the statuses present.
fn status_of_bits(bits: u8) -> Status {
    if bits == 0 {
        return Status::InsufficientData;
    }
    for s in [Status::Diverging, Status::Stalled, Status::Converging, Status::InsufficientData] {
        if bits & status_bit(s) != 0 {
            return s;
        }
    }
    Status::Done
}

/// Runs the joint simulation and names the limiting factor.
///
/// One pass per simulated path over the projects, dependencies first: a
/// project's completion on a path is the latest of its own metrics' and its
/// dependencies' completions, and who finished last is carried up the same
/// way (shared, not recomputed, when one source alone attains the latest
/// day). Ties share the blame, as before; the work is that of the tied sets
/// actually met.
pub fn analyze(inp: &Inputs<'_>) -> Analysis {
    let graph = ProjectGraph::new(inp.projects, inp.metrics);
    let np = inp.projects.len();
    let n_paths = inp.forecasts.iter().map(|f| f.samples.len()).max().unwrap_or(0);
    let known = |m: usize| !inp.forecasts[m].samples.is_empty();

    // Along the order: what is known, the statuses and the metrics without
    // enough data on each project's path.
    let mut has_known = vec![false; np];
    let mut bits = vec![0u8; np];
    let mut unknown: Vec<(Vec<u32>, bool)> = vec![(Vec::new(), false); np];
    for &p in &graph.order {
        let mut k = graph.own[p].iter().any(|&m| known(m));
        let mut b = graph.own[p].iter().fold(0u8, |acc, &m| acc | status_bit(inp.forecasts[m].status));
        let mut list: Vec<u32> = graph.own[p].iter().filter(|&&m| !known(m)).map(|&m| m as u32).collect();
        let mut more = false;
        for &d in &graph.deps[p] {
            k |= has_known[d];
            b |= bits[d];
            list.extend_from_slice(&unknown[d].0);
            more |= unknown[d].1;
        }
        // The first UNKNOWN_LISTED (+1, to know there are more) by position:
        // the smallest of a union are among the smallest of its parts.
        list.sort_unstable();
        list.dedup();
        if list.len() > UNKNOWN_LISTED + 1 {
            list.truncate(UNKNOWN_LISTED + 1);
        }
        more |= list.len() > UNKNOWN_LISTED;
        has_known[p] = k;
        bits[p] = b;
        unknown[p] = (list, more);
    }

    let (completion, mut credits) = simulate(inp, &graph, &has_known, n_paths);

    let mut projects = Vec::with_capacity(np);
    for (pi, (project, completion)) in inp.projects.iter().zip(completion).enumerate() {
        let mut criticality: Vec<(String, f64)> = std::mem::take(&mut credits[pi])
            .into_vec()
            .into_iter()
            .map(|(m, c)| {
                // Rounded: a share of 1,000 paths has no more digits worth showing.
                let share = if n_paths > 0 { c / n_paths as f64 } else { 0.0 };
                (inp.metrics[m as usize].key(), (share * 1e4).round() / 1e4)
            })
            .collect();
        criticality.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let status = status_of_bits(bits[pi]);
        let done = status == Status::Done;
        let deadline = inp.project_deadlines.get(&project.slug).copied();
        let p_never = if completion.is_empty() {
            1.0
        } else {
            completion.iter().filter(|d| d.is_none()).count() as f64 / completion.len() as f64
        };
        let mut sorted: Vec<i32> = completion.iter().flatten().collect();
        sorted.sort_unstable();
        let q = |q: f64| quantile_sorted(&sorted, completion.len(), q, inp.as_of);
        let (list, more) = std::mem::take(&mut unknown[pi]);
        let unknown_metrics: Vec<String> =
            list.iter().take(UNKNOWN_LISTED).map(|&m| inp.metrics[m as usize].key()).collect();
        let mut outlook = ProjectOutlook {
            project: project.slug.clone(),
            priority: project.priority,
            status,
            p10: q(0.1),
            p50: q(0.5),
            p80: q(0.8),
            p_never,
            limiting_metric: if done { None } else { criticality.first().filter(|c| c.1 > 0.0).map(|c| c.0.clone()) },
            criticality,
            deadline,
            p_on_time: None,
            off_path: false,
            unknown_metrics,
            more_unknown: more,
            samples: completion,
        };
        outlook.p_on_time = deadline.and_then(|due| outlook.p_done_by(inp.as_of, due));
        outlook.off_path = crate::core::deadlines::is_off_path(done, outlook.p_on_time);
        projects.push(outlook);
    }
    let limiting_factor = choose(inp, &projects);
    // The limiting factor is chosen: each project keeps only its most
    // critical metrics (deep in a long chain it could list hundreds).
    for p in &mut projects {
        p.criticality.truncate(CRITICAL_KEPT);
        p.criticality.shrink_to_fit();
    }
    let index = projects.iter().enumerate().map(|(i, p)| (p.project.clone(), i)).collect();
    Analysis { projects, limiting_factor, index }
}

/// How many of its most critical metrics a project's outlook keeps once the
/// limiting factor is chosen (which weighs them all).
pub const CRITICAL_KEPT: usize = 10;

/// The date by which a share `q` of `total` paths are done, from the days
/// of the finished ones sorted; None when too many never finish.
fn quantile_sorted(done: &[i32], total: usize, q: f64, as_of: NaiveDate) -> Option<NaiveDate> {
    if total == 0 {
        return None;
    }
    let need = (q * total as f64).ceil().max(1.0) as usize;
    offset(as_of, *done.get(need - 1)?)
}

/// A project's status from its path's metrics: done when all are done;
/// otherwise the worst unfinished one (diverging, then stalled, then
/// converging); insufficient data when nothing can be forecast.
pub fn project_status(statuses: impl Iterator<Item = Status>) -> Status {
    let all: Vec<Status> = statuses.collect();
    if all.is_empty() {
        return Status::InsufficientData;
    }
    for s in [Status::Diverging, Status::Stalled, Status::Converging, Status::InsufficientData] {
        if all.contains(&s) {
            return s;
        }
    }
    Status::Done
}

/// How much a project is at risk: with a deadline, the chance of missing it;
/// without one, how far off (or uncertain) completion is, on a 0–1 scale
/// that reaches 1 at six months out or never.
fn risk(p: &ProjectOutlook, as_of: NaiveDate) -> f64 {
    if p.status == Status::Done {
        return 0.0;
    }
    if let Some(on_time) = p.p_on_time {
        return 1.0 - on_time;
    }
    match p.p80 {
        Some(d) => ((d - as_of).num_days() as f64 / 182.0).clamp(0.05, 1.0),
        None => 1.0,
    }
}

fn is_off_track(s: Status) -> bool {
    matches!(s, Status::Diverging | Status::Stalled)
}

/// How far apart two scores must be, in standard errors of their Monte
/// Carlo estimate, before one is preferred on the score alone: closer than
/// that, the choice is noise and is made on evidence instead.
const TIE_Z: f64 = 2.0;

/// A candidate for the limiting factor: a metric on the path of a project.
struct Candidate<'a> {
    tier: u8,
    score: f64,
    /// Standard error of `score` from the finite number of paths.
    se: f64,
    held: &'a ProjectOutlook,
    metric: usize,
    crit: f64,
}

/// Diverging before stalled before converging: how clearly off track.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Diverging => 3,
        Status::Stalled => 2,
        Status::Converging => 1,
        _ => 0,
    }
}

/// docs/spec.md §4: the metric that most holds back the most important work. A
/// diverging or stalled metric on the path of important work (priority 1–2,
/// or the most important unfinished priority) outranks any converging one;
/// within a tier, priority weight × criticality × risk decides.
///
/// Criticality is estimated from a finite number of simulated paths, so two
/// scores within [`TIE_Z`] standard errors of each other are a tie, and a tie
/// is broken by evidence, the same way every week: diverging before stalled
/// before converging, then the smaller chance of ever finishing, then the
/// larger share of the gap still open, then the more important project, then
/// the name (each compared with room for its own noise). A stalled and a
/// diverging metric that both never finish no longer trade places on
/// simulation noise.
fn choose(inp: &Inputs<'_>, outlooks: &[ProjectOutlook]) -> Option<LimitingFactor> {
    let top_priority = outlooks.iter().filter(|p| p.status != Status::Done).map(|p| p.priority).min()?;
    let important = |prio: u8| prio <= 2.max(top_priority);
    let key_index: HashMap<String, usize> = inp.metrics.iter().enumerate().map(|(i, m)| (m.key(), i)).collect();
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for p in outlooks.iter().filter(|p| p.status != Status::Done) {
        let r = risk(p, inp.as_of);
        let n = p.samples.len().max(1) as f64;
        for (key, crit) in &p.criticality {
            let m = key_index[key];
            let status = inp.forecasts[m].status;
            if status == Status::Done || *crit <= 0.0 {
                continue;
            }
            let k = weight(p.priority) * (0.25 + r);
            candidates.push(Candidate {
                tier: u8::from(is_off_track(status) && important(p.priority)),
                score: k * crit,
                se: k * (crit * (1.0 - crit) / n).max(0.0).sqrt(),
                held: p,
                metric: m,
                crit: *crit,
            });
        }
    }
    let tier = candidates.iter().map(|c| c.tier).max()?;
    candidates.retain(|c| c.tier == tier);
    let best = candidates.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    let (best_score, best_se) = (best.score, best.se);
    // Everything within simulation noise of the best is a tie.
    candidates.retain(|c| best_score - c.score <= TIE_Z * (best_se.powi(2) + c.se.powi(2)).sqrt());
    let gap = |m: usize| inp.gap_open.get(m).copied().filter(|g| g.is_finite()).unwrap_or(0.0);
    let never = |m: usize| inp.forecasts[m].p_never;
    let never_se = |m: usize| {
        let n = inp.forecasts[m].samples.len().max(1) as f64;
        (never(m) * (1.0 - never(m)) / n).max(0.0).sqrt()
    };
    // Compares two estimates, equal when within `tolerance` of each other.
    let near = |a: f64, b: f64, tolerance: f64| {
        if (a - b).abs() <= tolerance {
            std::cmp::Ordering::Equal
        } else {
            a.total_cmp(&b)
        }
    };
    let chosen = candidates.into_iter().max_by(|a, b| {
        let (x, y) = (a.metric, b.metric);
        status_rank(inp.forecasts[x].status)
            .cmp(&status_rank(inp.forecasts[y].status))
            // The less likely ever to finish.
            .then(near(never(x), never(y), TIE_Z * (never_se(x).powi(2) + never_se(y).powi(2)).sqrt()))
            // The farther from its target (a tenth either way is the same).
            .then(near(gap(x), gap(y), 0.1 * gap(x).abs().max(gap(y).abs())))
            // The more important project.
            .then(b.held.priority.cmp(&a.held.priority))
            .then(inp.metrics[y].key().cmp(&inp.metrics[x].key()))
            // One metric holding back several projects: the one it holds back most, then
            // by name, so the choice never depends on the order candidates were listed in.
            .then(a.score.total_cmp(&b.score))
            .then(b.held.project.cmp(&a.held.project))
    })?;
    let (held, m, crit) = (chosen.held, chosen.metric, chosen.crit);
    let metric = &inp.metrics[m];
    let f = &inp.forecasts[m];
    Some(LimitingFactor {
        project: metric.project.clone(),
        metric: metric.metric.clone(),
        criticality: crit,
        status: f.status,
        p50: f.p50,
        reason: reason(metric, f, held, crit),
        holds_back: held.project.clone(),
    })
}

/// One sentence a leader can act on.
fn reason(metric: &Metric, f: &Forecast, held: &ProjectOutlook, crit: f64) -> String {
    let what = match f.status {
        Status::Diverging => "is moving away from its target".to_string(),
        Status::Stalled => "has stalled short of its target".to_string(),
        _ => match f.p50 {
            Some(d) => format!("is converging but slowly, with a 50% date of {d}"),
            None => "is converging too slowly to finish within the horizon".to_string(),
        },
    };
    let holds = if held.project == metric.project {
        format!(
            "it finishes last for {} (priority {}) in {} of simulations",
            held.project,
            held.priority,
            crate::core::format::chance(crit)
        )
    } else {
        format!(
            "it finishes last for {} (priority {}), which depends on {}, in {} of simulations",
            held.project,
            held.priority,
            metric.project,
            crate::core::format::chance(crit)
        )
    };
    let deadline = match (held.deadline, held.p_on_time) {
        (Some(d), Some(p)) => format!(
            ", and {} has a {} chance of meeting its {d} deadline",
            held.project,
            crate::core::format::chance(p)
        ),
        _ => String::new(),
    };
    format!("{} {what}: {holds}{deadline}.", metric.key())
}

/// Review time is shared more gently than blame: priority 1 counts 5×,
/// priority 5 once, so that no unfinished project drops out of sight.
fn attention_weight(priority: u8) -> f64 {
    f64::from(6u8.saturating_sub(priority.clamp(1, 5)))
}

/// Review time follows the limiting factor: its project gets the most and a
/// twice-weekly cadence; work at risk gets weekly reviews; work on track and
/// low risk every other week; finished work monthly.
pub fn attention(analysis: &Analysis, as_of: NaiveDate, weekly_risk: f64) -> Vec<Attention> {
    let outlooks = &analysis.projects;
    let lf = analysis.limiting_factor.as_ref();
    if outlooks.is_empty() {
        return Vec::new();
    }
    let raw: Vec<f64> = outlooks
        .iter()
        .map(|p| if p.status == Status::Done { 0.1 } else { attention_weight(p.priority) * (0.2 + risk(p, as_of)) })
        .collect();
    let mut raw = raw;
    if let Some(lf) = lf {
        if let Some(i) = outlooks.iter().position(|p| p.project == lf.project) {
            let others = raw.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &v)| v).fold(0.0, f64::max);
            // The limiting factor gets the largest share, by a clear margin.
            raw[i] = raw[i].max(others * 1.5).max(1.0);
        }
    }
    let total: f64 = raw.iter().sum();
    let mut out: Vec<Attention> = outlooks
        .iter()
        .zip(&raw)
        .map(|(p, &r)| {
            let cadence = if lf.is_some_and(|lf| lf.project == p.project) {
                Cadence::TwiceWeekly
            } else if p.status == Status::Done {
                Cadence::Monthly
            } else if risk(p, as_of) >= weekly_risk || is_off_track(p.status) || p.off_path {
                Cadence::Weekly
            } else {
                Cadence::EveryOtherWeek
            };
            Attention { project: p.project.clone(), share: r / total, cadence }
        })
        .collect();
    // Rounding for display must still sum to 1: give the remainder to the largest.
    let sum: f64 = out.iter().map(|a| a.share).sum();
    if let Some(big) = out.iter_mut().max_by(|a, b| a.share.total_cmp(&b.share)) {
        big.share += 1.0 - sum;
    }
    out.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.project.cmp(&b.project)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::forecast::{self, MetricSpec, Options};
    use crate::core::model::Direction;
    use rand::{RngExt, SeedableRng};

    /// The analysis as it was before it became near-linear (issue 13 item
    /// 14): the closure of every project and a scan of every metric per
    /// project, kept here as the reference the fast one must agree with.
    mod reference {
        use super::super::*;

        /// A path's completion: days after as-of, `None` = not within the horizon.
        type Day = Option<i32>;

        /// Later of two completions, never (`None`) being the latest.
        fn later(a: Day, b: Day) -> Day {
            match (a, b) {
                (Some(x), Some(y)) => Some(x.max(y)),
                _ => None,
            }
        }

        /// The date by which a share `q` of the paths are done, or None when too
        /// many never finish.
        fn quantile(days: &[Day], q: f64, as_of: NaiveDate) -> Option<NaiveDate> {
            if days.is_empty() {
                return None;
            }
            let mut done: Vec<i32> = days.iter().flatten().copied().collect();
            done.sort_unstable();
            let need = (q * days.len() as f64).ceil().max(1.0) as usize;
            let d = *done.get(need - 1)?;
            offset(as_of, d)
        }

        /// Runs the joint simulation and names the limiting factor.
        pub(super) fn analyze(inp: &Inputs<'_>) -> Analysis {
            let index: HashMap<&str, usize> =
                inp.projects.iter().enumerate().map(|(i, p)| (p.slug.as_str(), i)).collect();
            let n_paths = inp.forecasts.iter().map(|f| f.samples.len()).max().unwrap_or(0);

            // Each project's closure: itself and everything it (transitively) depends on.
            let closures: Vec<Vec<usize>> = (0..inp.projects.len()).map(|i| closure(inp.projects, &index, i)).collect();
            let metrics_of = |p: usize| -> Vec<usize> {
                let slugs: Vec<&str> = closures[p].iter().map(|&q| inp.projects[q].slug.as_str()).collect();
                (0..inp.metrics.len()).filter(|&m| slugs.contains(&inp.metrics[m].project.as_str())).collect()
            };

            let mut projects = Vec::new();
            for (pi, project) in inp.projects.iter().enumerate() {
                let path = metrics_of(pi);
                let known: Vec<usize> =
                    path.iter().copied().filter(|&m| !inp.forecasts[m].samples.is_empty()).collect();
                let unknown_metrics: Vec<String> = path
                    .iter()
                    .filter(|&&m| inp.forecasts[m].samples.is_empty())
                    .map(|&m| inp.metrics[m].key())
                    .collect();
                let mut completion: Vec<Day> = Vec::with_capacity(n_paths);
                let mut last_counts = vec![0.0f64; known.len()];
                if !known.is_empty() {
                    for s in 0..n_paths {
                        let mut latest: Day = Some(i32::MIN);
                        for &m in &known {
                            latest = later(latest, sample(&inp.forecasts[m], s));
                        }
                        completion.push(latest);
                        // Who finished last on this path (ties share the blame).
                        let lasts: Vec<usize> =
                            (0..known.len()).filter(|&k| sample(&inp.forecasts[known[k]], s) == latest).collect();
                        for &k in &lasts {
                            last_counts[k] += 1.0 / lasts.len() as f64;
                        }
                    }
                }
                let mut criticality: Vec<(String, f64)> = known
                    .iter()
                    .zip(&last_counts)
                    .map(|(&m, &c)| {
                        // Rounded: a share of 1,000 paths has no more digits worth showing.
                        let share = if n_paths > 0 { c / n_paths as f64 } else { 0.0 };
                        (inp.metrics[m].key(), (share * 1e4).round() / 1e4)
                    })
                    .collect();
                criticality.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let status = super::project_status(path.iter().map(|&m| inp.forecasts[m].status));
                let done = status == Status::Done;
                let deadline = inp.project_deadlines.get(&project.slug).copied();
                let p_never = if completion.is_empty() {
                    1.0
                } else {
                    completion.iter().filter(|d| d.is_none()).count() as f64 / completion.len() as f64
                };
                projects.push(ProjectOutlook {
                    project: project.slug.clone(),
                    priority: project.priority,
                    status,
                    p10: quantile(&completion, 0.1, inp.as_of),
                    p50: quantile(&completion, 0.5, inp.as_of),
                    p80: quantile(&completion, 0.8, inp.as_of),
                    p_never,
                    limiting_metric: if done {
                        None
                    } else {
                        criticality.first().filter(|c| c.1 > 0.0).map(|c| c.0.clone())
                    },
                    criticality,
                    deadline,
                    p_on_time: None,
                    off_path: false,
                    unknown_metrics,
                    more_unknown: false,
                    samples: completion.into_iter().collect(),
                });
                let last = projects.last_mut().expect("just pushed");
                last.p_on_time = deadline.and_then(|due| last.p_done_by(inp.as_of, due));
                last.off_path = crate::core::deadlines::is_off_path(done, last.p_on_time);
            }
            let limiting_factor = super::choose(inp, &projects);
            Analysis { projects, limiting_factor, index: HashMap::new() }
        }

        fn sample(f: &Forecast, s: usize) -> Day {
            if f.samples.is_empty() {
                return None;
            }
            f.samples.get(s % f.samples.len())
        }

        fn closure(projects: &[Project], index: &HashMap<&str, usize>, start: usize) -> Vec<usize> {
            let mut seen = vec![false; projects.len()];
            let mut stack = vec![start];
            let mut out = Vec::new();
            while let Some(i) = stack.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                out.push(i);
                for d in &projects[i].depends_on {
                    if let Some(&j) = index.get(d.as_str()) {
                        stack.push(j);
                    }
                }
            }
            out
        }
    }

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    /// A forecast with the given status and samples (the rest as for no data).
    fn forecast_with(status: Status, samples: Vec<Option<i32>>) -> Forecast {
        let spec = MetricSpec { target: 0.0, direction: Direction::Down, tolerance: 0.0 };
        let mut f = forecast::forecast(&spec, &[], &Options::new(as_of(), 1));
        f.status = status;
        f.samples = samples.into_iter().collect();
        f
    }

    /// A random organization: a DAG of projects listed in shuffled order,
    /// with duplicate and unknown dependencies, metrics with few distinct
    /// completion days (many ties), never-finishing paths, paths of
    /// different lengths, metrics without data, and deadlines.
    fn random_org(seed: u64) -> (Vec<Project>, Vec<Metric>, Vec<Forecast>, HashMap<String, NaiveDate>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        // At most 19 projects of up to 3 metrics: no tie passes EXACT_TIES.
        let n = rng.random_range(1..20usize);
        let mut slots: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            slots.swap(i, rng.random_range(0..=i));
        }
        let slug = |i: usize| format!("p{i}");
        let mut projects = Vec::new();
        for &i in &slots {
            let mut depends_on: Vec<String> = Vec::new();
            for _ in 0..rng.random_range(0..4usize) {
                if i > 0 {
                    depends_on.push(slug(rng.random_range(0..i)));
                }
            }
            if rng.random_range(0..10) == 0 {
                depends_on.push("nowhere".into());
            }
            projects.push(Project {
                slug: slug(i),
                name: slug(i),
                priority: rng.random_range(1..=5u8),
                owner: None,
                depends_on,
                archived: false,
            });
        }
        let paths = rng.random_range(1..9usize);
        let statuses = [Status::Done, Status::Converging, Status::Stalled, Status::Diverging, Status::InsufficientData];
        let (mut metrics, mut forecasts) = (Vec::new(), Vec::new());
        for i in 0..n + 2 {
            for k in 0..rng.random_range(0..4usize) {
                // Two extra "projects" that do not exist: their metrics are on no path.
                let project = if i < n { slug(i) } else { format!("ghost{i}") };
                metrics.push(metric_to_zero(project, format!("m{k}")));
                let status = statuses[rng.random_range(0..statuses.len())];
                let len = if rng.random_range(0..3) == 0 { paths.div_ceil(2) } else { paths };
                let samples: Vec<Option<i32>> = if status == Status::InsufficientData {
                    Vec::new()
                } else {
                    (0..len).map(|_| (rng.random_range(0..5) > 0).then(|| rng.random_range(-2..4) * 30)).collect()
                };
                forecasts.push(forecast_with(status, samples));
            }
        }
        let mut deadlines = HashMap::new();
        for p in &projects {
            if rng.random_range(0..3) == 0 {
                deadlines.insert(p.slug.clone(), as_of() + chrono::Days::new(rng.random_range(0..120)));
            }
        }
        (projects, metrics, forecasts, deadlines)
    }

    #[test]
    fn the_near_linear_analysis_agrees_with_the_reference_exactly() {
        for seed in 0..3000 {
            let (projects, metrics, forecasts, project_deadlines) = random_org(seed);
            let inp = Inputs {
                projects: &projects,
                metrics: &metrics,
                forecasts: &forecasts,
                project_deadlines: &project_deadlines,
                gap_open: &[],
                as_of: as_of(),
            };
            let fast = analyze(&inp);
            let slow = reference::analyze(&inp);
            assert_eq!(fast.limiting_factor, slow.limiting_factor, "seed {seed}");
            for (f, s) in fast.projects.iter().zip(&slow.projects) {
                let nonzero: Vec<(String, f64)> =
                    s.criticality.iter().filter(|c| c.1 > 0.0).take(CRITICAL_KEPT).cloned().collect();
                let fast_nonzero: Vec<(String, f64)> = f.criticality.iter().filter(|c| c.1 > 0.0).cloned().collect();
                assert_eq!(fast_nonzero, nonzero, "seed {seed} {}", f.project);
                let mut f = f.clone();
                f.criticality = Vec::new();
                let mut s = s.clone();
                s.criticality = Vec::new();
                assert_eq!(f, s, "seed {seed}");
            }
        }
    }

    /// A chain of `n` priority-1 projects, each depending on the one before
    /// and holding one metric `m`, slugs named by `slug`.
    fn chain(n: usize, slug: impl Fn(usize) -> String) -> (Vec<Project>, Vec<Metric>) {
        let projects = (0..n)
            .map(|i| Project {
                slug: slug(i),
                name: format!("p{i}"),
                priority: 1,
                owner: None,
                depends_on: if i > 0 { vec![slug(i - 1)] } else { Vec::new() },
                archived: false,
            })
            .collect();
        let metrics = (0..n).map(|i| metric_to_zero(slug(i), "m".into())).collect();
        (projects, metrics)
    }

    /// A metric falling to 0, done at exactly 0.
    fn metric_to_zero(project: String, metric: String) -> Metric {
        Metric {
            project,
            metric,
            name: None,
            unit: None,
            target: 0.0,
            direction: Direction::Down,
            tolerance: 0.0,
            min: None,
            max: None,
            archived: false,
        }
    }

    /// A chain of 300 projects whose metrics never finish: on every path all
    /// the metrics below a project tie for last. Past EXACT_TIES the blame of
    /// a path goes to one of them drawn uniformly: the shares still sum to 1,
    /// name only metrics on the path, are the same on every run, and follow
    /// the exact split (here: the lower half of the chain holds half).
    #[test]
    fn a_tie_of_hundreds_of_metrics_is_drawn_fairly_and_the_same_every_time() {
        let n = 300;
        let (projects, metrics) = chain(n, |i| format!("p{i:03}"));
        let forecasts: Vec<Forecast> = (0..n).map(|_| forecast_with(Status::Stalled, vec![None; 600])).collect();
        let deadlines = HashMap::new();
        let inp = Inputs {
            projects: &projects,
            metrics: &metrics,
            forecasts: &forecasts,
            project_deadlines: &deadlines,
            gap_open: &[],
            as_of: as_of(),
        };
        let a = analyze(&inp);
        assert_eq!(a, analyze(&inp), "not the same on a second run");
        // The full credits, before the outlook keeps the most critical ten.
        let graph = ProjectGraph::new(&projects, &metrics);
        let (_, credits) = simulate(&inp, &graph, &vec![true; n], 600);
        let top: Vec<(u32, f64)> = credits[n - 1].clone().into_vec();
        let total: f64 = top.iter().map(|c| c.1).sum();
        assert_eq!(total, 600.0, "one blame per path");
        let lower: f64 = top.iter().filter(|c| c.0 < 150).map(|c| c.1).sum::<f64>() / 600.0;
        assert!((0.4..0.6).contains(&lower), "the lower half holds {lower}");
        // Below the threshold the split is exact: 40 tied metrics, 1/40 each.
        let p39 = credits[39].clone().into_vec();
        assert_eq!(p39.len(), 40);
        assert!(p39.iter().all(|c| (c.1 - 600.0 / 40.0).abs() < 1e-9), "{p39:?}");
        assert_eq!(a.project("p039").unwrap().criticality.len(), CRITICAL_KEPT);
        assert!(a
            .projects
            .iter()
            .all(|p| p.limiting_metric.as_deref().is_some_and(|m| m <= format!("{}/m", p.project).as_str())));
    }

    #[test]
    fn a_20000_deep_chain_is_analysed_without_recursion_or_a_closure_per_project() {
        let n = 20_000;
        let (projects, metrics) = chain(n, |i| format!("p{i}"));
        // The deepest metric finishes last on every path: every project's
        // limiting metric is p0/m, carried up the chain, not searched for.
        let forecasts: Vec<Forecast> =
            (0..n).map(|i| forecast_with(Status::Converging, vec![Some(if i == 0 { 400 } else { 10 }); 16])).collect();
        // A watchdog, not a timing assertion: the analysis before issue 13
        // (a closure per project, a scan of every metric per project) did not
        // finish this within the watchdog.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let deadlines = HashMap::new();
            let inp = Inputs {
                projects: &projects,
                metrics: &metrics,
                forecasts: &forecasts,
                project_deadlines: &deadlines,
                gap_open: &[],
                as_of: as_of(),
            };
            let _ = tx.send(analyze(&inp));
        });
        let a = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the analysis of a 20,000-deep chain did not finish within 120 s");
        assert!(a.projects.iter().all(|p| p.limiting_metric.as_deref() == Some("p0/m")));
        assert_eq!(a.projects[n - 1].criticality, vec![("p0/m".to_string(), 1.0)]);
        assert_eq!(a.project("p19999").unwrap().p50, Some(as_of() + chrono::Days::new(400)));
    }
}
