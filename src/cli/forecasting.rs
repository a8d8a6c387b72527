//! Every metric's forecast as of a date, and the organization's calibration, through the
//! database's caches (see `store::cache`): what was computed before and is still valid is
//! read back, the rest is computed — reading only the readings of the metrics that need it —
//! and kept for the next run. The results are exactly those of the pure core on the whole
//! snapshot (`analysis::outlook`, `analysis::org_calibration`): the cache changes how much is
//! computed, never what.
//!
//! A weekly report run twice forecasts nothing the second time; after a week of new readings
//! it forecasts this week (last week's forecasts are still valid: nothing new is dated on or
//! before last week's date) and re-scores the calibration's replayed forecasts without
//! replaying them again.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rayon::prelude::*;

use crate::core::analysis::{self, OrgCalibration, Outlook, Seen};
use crate::core::forecast::replay::{self, MetricHistory, ReplayCase};
use crate::core::forecast::{self, timing::Features, Forecast, Options, Reading, ENGINE};
use crate::core::model::{Metric, Snapshot};
use crate::store::codec::{self, FittedEntry};
use crate::store::{CacheWriter, Changes, Marks, NewForecast, NewReplay, Overlays, SnapshotIds, Store, StoredReading};

/// Metrics whose readings are read and forecast together: bounds memory on ten million readings.
const CHUNK: usize = 256;

/// From this many metrics on, `Forecaster::readings` gathers their rows in id order
/// (`Store::readings_gathered`) instead of reading metric after metric.
const GATHER_MIN: usize = 32;

/// Up to this many readings in the database, a cold run that needs most metrics reads them
/// in passes over the point table (see `SCAN_PASS`).
const SCAN_MAX_READINGS: i64 = 3_000_000;

/// Metrics whose readings one pass over the point table collects (a multiple of `CHUNK`).
const SCAN_PASS: usize = 8 * CHUNK;

/// About how many metric forecasts (one metric as of one date, with its simulated paths: about
/// 4.2 KB with what the analysis makes of them, measured with heaptrack on a fever chart over
/// 20,000 metrics) `Forecaster::outlooks_each` holds at once: about 170 MB. Fewer would
/// read the readings of a cold run more often (a pass over ten million readings per group).
const OUTLOOK_METRIC_DATES: usize = 40_000;

/// A cached entry validated against more readings than this since it was written gets its
/// marks brought forward, so that the next run's check reads fewer.
const REMARK_AFTER: i64 = 20_000;

/// What a command loaded: a snapshot (with or without its observations), the database ids of
/// its metrics and engineers, and the marks it was read at (all from one read transaction).
pub struct Loaded {
    pub snapshot: Snapshot,
    pub ids: SnapshotIds,
    pub marks: Marks,
    /// The snapshot holds every one of its metrics' observations.
    pub with_points: bool,
    /// The snapshot holds every live metric (not a command's part of them).
    pub complete: bool,
}

impl Loaded {
    /// One project's or metric's part of the snapshot, its readings included.
    pub fn scoped(store: &Store, scope: Option<(&str, Option<&str>)>) -> Result<Loaded> {
        store.read(|| {
            let marks = store.marks()?;
            let (snapshot, ids) = store.snapshot_with_ids(scope)?;
            Ok(Loaded { snapshot, ids, marks, with_points: true, complete: scope.is_none() })
        })
    }

    /// What the drift of `PROJECT` or `PROJECT/METRIC` (`forecast --history`, `chart
    /// --history`) forecasts: a metric alone, with its readings; a project the metrics on its
    /// path (its own and those of every project it depends on), whose forecasts alone decide
    /// its dates, rather than the whole organization's at every week asked (twelve weeks of a
    /// project took 13 s and 138 MB over 2,000 metrics).
    pub fn for_drift(store: &Store, project: &str, metric: Option<&str>) -> Result<Loaded> {
        if let Some(m) = metric {
            return Loaded::scoped(store, Some((project, Some(m))));
        }
        let all = Loaded::without_points(store)?;
        let s = &all.snapshot;
        let Some(p) = s.project_index(project) else { return Ok(all) };
        let graph = crate::core::limiting::ProjectGraph::new(&s.projects, &s.metrics);
        let mut keep = vec![false; s.metrics.len()];
        for q in graph.closure(p, &mut vec![0; s.projects.len()], 1) {
            for &m in &graph.own[q] {
                keep[m] = true;
            }
        }
        Ok(all.restrict(&keep))
    }

    /// What a project's dashboard (`chart PROJECT`) draws: the metrics on its path, as
    /// [`Loaded::for_drift`], with their readings (its charts draw its own metrics' readings).
    /// Every reading of the organization took 730 MB over ten million readings.
    pub fn for_dashboard(store: &Store, project: &str) -> Result<Loaded> {
        store.read(|| {
            let mut loaded = Loaded::for_drift(store, project, None)?;
            let engineers: rustc_hash::FxHashMap<i64, u32> =
                loaded.ids.engineers.iter().enumerate().map(|(i, id)| (*id, i as u32)).collect();
            // Each reading with its engineer's position (`readings_gathered` resolves them).
            let series = store.readings_gathered(&loaded.ids.metrics, &engineers, &store.corrections_folded()?)?;
            let observations = series
                .into_iter()
                .enumerate()
                .flat_map(|(m, readings)| {
                    readings.into_iter().map(move |(engineer, date, value)| crate::core::model::Observation {
                        metric: m as u32,
                        engineer,
                        date,
                        value,
                    })
                })
                .collect();
            loaded.snapshot.observations = observations;
            loaded.with_points = true;
            Ok(loaded)
        })
    }

    /// Everything but the readings, which are read per metric when a forecast needs them.
    pub fn without_points(store: &Store) -> Result<Loaded> {
        store.read(|| {
            let marks = store.marks()?;
            let (snapshot, ids) = store.snapshot_without_points()?;
            Ok(Loaded { snapshot, ids, marks, with_points: false, complete: true })
        })
    }

    /// Keeps only the metrics marked in `keep` (see `model::restrict_metrics`).
    pub fn restrict(self, keep: &[bool]) -> Loaded {
        let metrics = self.ids.metrics.iter().zip(keep).filter(|(_, k)| **k).map(|(id, _)| *id).collect();
        Loaded {
            snapshot: crate::core::model::restrict_metrics(self.snapshot, keep),
            ids: SnapshotIds { metrics, engineers: self.ids.engineers },
            complete: self.complete && keep.iter().all(|k| *k),
            ..self
        }
    }
}

/// Forecasts and calibrations of one loaded snapshot, through the caches.
pub struct Forecaster<'a> {
    store: &'a Store,
    loaded: &'a Loaded,
    horizon: i64,
    today: NaiveDate,
    engineer_index: rustc_hash::FxHashMap<i64, u32>,
    overlays: OnceCell<Overlays>,
    changes: RefCell<HashMap<Marks, Arc<Changes>>>,
    calibrations: RefCell<HashMap<NaiveDate, (Arc<OrgCalibration>, String)>>,
    definitions: OnceCell<String>,
    /// Replayed features found or computed in this run, by (metric id, origin): a report's
    /// two dates share most of their origins.
    replayed: RefCell<HashMap<(i64, NaiveDate), Option<Features>>>,
    /// Readings read in this run (for the calibration, or by a pass over the point table that
    /// the calibration can use too), by metric id.
    histories: RefCell<HashMap<i64, Series>>,
    /// The first dates of every metric read for a calibration in this run, and up to when.
    first_dates: RefCell<Option<(NaiveDate, FirstDates)>>,
    writer: CacheWriter,
}

/// One metric's forecast as of a date, with what the analysis reads of its readings.
type Computed = (Forecast, Seen);

/// Each metric's first few distinct dates (see `Forecaster::first_dates`).
type FirstDates = Vec<Vec<NaiveDate>>;

/// One metric's readings, all dates, as (engineer's snapshot position, date, value), in order.
type Series = Arc<Vec<(u32, NaiveDate, f64)>>;

/// A cached forecast whose fit is still valid, for metric `i` (a snapshot position).
struct ValidEntry {
    i: usize,
    row: crate::store::CachedForecast,
    entry: FittedEntry,
    seen: Seen,
}

/// A metric fit as of the `a`-th date asked, not yet dated, with its encoding for the cache.
struct Fit {
    i: usize,
    a: usize,
    fitted: forecast::Fitted,
    seen: Seen,
    bytes: Vec<u8>,
}

impl<'a> Forecaster<'a> {
    pub fn new(store: &'a Store, loaded: &'a Loaded, horizon: i64) -> Forecaster<'a> {
        let engineer_index = loaded.ids.engineers.iter().enumerate().map(|(i, id)| (*id, i as u32)).collect();
        Forecaster {
            store,
            loaded,
            horizon,
            today: store.clock().today,
            engineer_index,
            overlays: OnceCell::new(),
            changes: Default::default(),
            calibrations: Default::default(),
            definitions: OnceCell::new(),
            replayed: Default::default(),
            histories: Default::default(),
            first_dates: Default::default(),
            writer: CacheWriter::new(store.path()),
        }
    }

    fn snapshot(&self) -> &Snapshot {
        &self.loaded.snapshot
    }

    /// The outlook as of `as_of`: with the value fans and the fitted curves charts draw when
    /// `fan`, without either otherwise (a report over 20,000 metrics held 160 MB of curves
    /// that nothing drew).
    pub fn outlook(&self, as_of: NaiveDate, fan: bool) -> Result<Outlook> {
        Ok(self.outlooks(&[(as_of, fan)])?.pop().expect("one asked"))
    }

    /// Metric `i`'s forecast as of `as_of` with its value fan and fitted curve, for its chart,
    /// through the cache: the others are not forecast again with theirs. Dated with this
    /// run's calibration of that date.
    fn with_fan(&self, as_of: NaiveDate, i: usize) -> Result<Forecast> {
        let s = self.snapshot();
        // `model::restrict_metrics` to metric i, without copying the other metrics' readings.
        let one = Loaded {
            snapshot: Snapshot {
                projects: s.projects.clone(),
                engineers: s.engineers.clone(),
                metrics: vec![s.metrics[i].clone()],
                observations: s
                    .observations_of(i)
                    .iter()
                    .map(|o| crate::core::model::Observation { metric: 0, ..*o })
                    .collect(),
                blockers: s.blockers.clone(),
                deadlines: s.deadlines.clone(),
            },
            ids: SnapshotIds {
                metrics: vec![self.loaded.ids.metrics[i]],
                engineers: self.loaded.ids.engineers.clone(),
            },
            marks: self.loaded.marks,
            with_points: self.loaded.with_points,
            complete: false,
        };
        let child = Forecaster::new(self.store, &one, self.horizon);
        child.calibrations.borrow_mut().insert(as_of, self.calibration_with_digest(as_of)?);
        let mut all = child.forecasts(&[(as_of, true)])?;
        Ok(all.pop().and_then(|mut v| v.pop()).context("one metric forecast")?.0)
    }

    /// What metric `i`'s chart as of `as_of` draws: its forecast with the value fan
    /// ([`Forecaster::with_fan`]) and its readings (from the snapshot when it holds them,
    /// else read for this metric alone).
    pub fn charted(&self, as_of: NaiveDate, i: usize) -> Result<(Forecast, Vec<crate::core::model::Observation>)> {
        let forecast = self.with_fan(as_of, i)?;
        let series = self.readings(&[i])?.pop().context("one metric's readings")?;
        let metric = i as u32;
        let observations = series
            .iter()
            .map(|&(engineer, date, value)| crate::core::model::Observation { metric, engineer, date, value })
            .collect();
        Ok((forecast, observations))
    }

    /// Outlooks as of each date asked, computing what is not cached in one pass.
    pub fn outlooks(&self, asks: &[(NaiveDate, bool)]) -> Result<Vec<Outlook>> {
        let all = self.forecasts(asks)?;
        let cals: Vec<Arc<OrgCalibration>> = asks.iter().map(|&(d, _)| self.calibration(d)).collect::<Result<_>>()?;
        // The limiting-factor analysis of each date (most of a warm report's time), in parallel.
        let snapshot = self.snapshot();
        Ok(asks
            .par_iter()
            .zip(all)
            .zip(cals)
            .map(|((&(as_of, _), computed), cal)| {
                let (forecasts, seen): (Vec<Forecast>, Vec<Seen>) = computed.into_iter().unzip();
                analysis::outlook_with(snapshot, as_of, forecasts, seen, &cal)
            })
            .collect())
    }

    /// [`Forecaster::outlooks`], each handed to `each` in the order asked and dropped before
    /// the next few are computed: a few dates at a time (as many as keep about
    /// `OUTLOOK_METRIC_DATES` metric forecasts in memory), so that a fever chart's five dates
    /// over 20,000 metrics do not hold five dates of simulated paths at once. Over a small
    /// organization that is every date in one pass, as `outlooks`.
    pub fn outlooks_each(&self, asks: &[(NaiveDate, bool)], each: &mut dyn FnMut(Outlook) -> Result<()>) -> Result<()> {
        let at_once = (OUTLOOK_METRIC_DATES / self.snapshot().metrics.len().max(1)).max(1);
        for group in asks.chunks(at_once) {
            for o in self.outlooks(group)? {
                each(o)?;
            }
        }
        Ok(())
    }

    /// The forecast views as of `as_of` (no limiting-factor analysis).
    pub fn views(&self, as_of: NaiveDate) -> Result<Vec<analysis::MetricView>> {
        let (forecasts, _): (Vec<Forecast>, Vec<Seen>) =
            self.forecasts(&[(as_of, false)])?.pop().expect("one asked").into_iter().unzip();
        Ok(analysis::views(self.snapshot(), as_of, &forecasts))
    }

    /// When each scope that has a deadline got done as of `as_of` (what `deadline list`, `ics`
    /// and `calibration` resolve deadlines with): [`Forecaster::done_dates`] of the metrics that
    /// decide those scopes.
    pub fn deadline_done_dates(&self, as_of: NaiveDate) -> Result<HashMap<String, NaiveDate>> {
        let s = self.snapshot();
        let keep = analysis::metrics_deciding(s, s.deadlines.iter().map(|d| (d.project.as_str(), d.metric.as_deref())));
        self.done_dates(as_of, &keep)
    }

    /// When each scope got done as of `as_of` (`analysis::done_dates_from`), working out the
    /// metrics marked in `keep` only (`analysis::metrics_deciding`) and reading their readings
    /// a chunk at a time: `deadline list` over ten million readings held every one of them
    /// (730 MB) to resolve forty deadlines.
    pub fn done_dates(&self, as_of: NaiveDate, keep: &[bool]) -> Result<HashMap<String, NaiveDate>> {
        let s = self.snapshot();
        let todo: Vec<usize> = (0..s.metrics.len()).filter(|&i| keep.get(i).copied().unwrap_or(false)).collect();
        // As `forecasts` reads them: passes over the point table for most metrics of a
        // database of modest size, else each chunk through the index.
        let scan = !self.loaded.with_points
            && todo.len() * 2 > s.metrics.len()
            && self.loaded.marks.point <= SCAN_MAX_READINGS;
        let mut metric_done = vec![None; s.metrics.len()];
        for chunk in todo.chunks(if scan { SCAN_PASS } else { CHUNK }) {
            let series: Vec<Series> = if scan {
                let ids: Vec<i64> = chunk.iter().map(|&i| self.loaded.ids.metrics[i]).collect();
                self.store
                    .readings_scan(&ids, &self.engineer_index, self.overlays()?, self.loaded.marks.point)?
                    .into_iter()
                    .map(Arc::new)
                    .collect()
            } else {
                self.readings(chunk)?
            };
            for (&i, r) in chunk.iter().zip(series) {
                metric_done[i] = Some(analysis::metric_done(&s.metrics[i], r.iter().map(|&(_, d, v)| (d, v)), as_of));
            }
        }
        Ok(analysis::done_dates_from(s, &metric_done))
    }

    /// What was added since `marks`, read once per run; None when `marks` are ahead of this
    /// snapshot (written by a process that saw readings this one does not).
    fn changes(&self, marks: Marks) -> Result<Option<Arc<Changes>>> {
        let now = self.loaded.marks;
        if marks.point > now.point || marks.correction > now.correction {
            return Ok(None);
        }
        if marks == now {
            return Ok(Some(Arc::new(Changes::default())));
        }
        if let Some(c) = self.changes.borrow().get(&marks) {
            return Ok(Some(c.clone()));
        }
        let c = Arc::new(self.store.changes_since(marks)?);
        self.changes.borrow_mut().insert(marks, c.clone());
        Ok(Some(c))
    }

    fn overlays(&self) -> Result<&Overlays> {
        if let Some(o) = self.overlays.get() {
            return Ok(o);
        }
        let o = self.store.corrections_folded()?;
        Ok(self.overlays.get_or_init(|| o))
    }

    /// The readings of metrics `idx` (snapshot positions), all dates, as (engineer, date, value).
    fn readings(&self, idx: &[usize]) -> Result<Vec<Series>> {
        if self.loaded.with_points {
            let s = self.snapshot();
            return Ok(idx
                .iter()
                .map(|&i| Arc::new(s.observations_of(i).iter().map(|o| (o.engineer, o.date, o.value)).collect()))
                .collect());
        }
        let ids: Vec<i64> = idx.iter().map(|&i| self.loaded.ids.metrics[i]).collect();
        if ids.len() >= GATHER_MIN {
            // A chunk's rows read in id order rather than metric by metric: the week-later
            // report over ten million readings took 14.9 s reading metric by metric, 11.3 s so.
            let read = self.store.readings_gathered(&ids, &self.engineer_index, self.overlays()?)?;
            return Ok(read.into_iter().map(Arc::new).collect());
        }
        let stored = self.store.readings_of(&ids, self.overlays()?)?;
        self.positions(stored)
    }

    /// Stored readings with their engineers as snapshot positions.
    fn positions(&self, stored: Vec<Vec<StoredReading>>) -> Result<Vec<Series>> {
        stored
            .into_iter()
            .map(|v| {
                v.into_iter()
                    .map(|r: StoredReading| {
                        let e = self.engineer_index.get(&r.engineer_id).copied().ok_or_else(|| {
                            anyhow::anyhow!(
                                "a data point names engineer id {}, which does not exist; run limfac doctor",
                                r.engineer_id
                            )
                        })?;
                        Ok((e, r.date, r.value))
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(Arc::new)
            })
            .collect()
    }

    /// Every metric's forecast (and what the analysis reads of its readings) as of each date
    /// asked, `(as_of, fan)`, in snapshot order.
    ///
    /// What the cache holds is found first; the rest is fit a chunk of metrics at a time on
    /// the thread pool while this thread reads the next chunk's readings. The calibration of
    /// each date (which reads the database too) is worked out on this thread while the first
    /// chunk is fit: only dating a forecast needs it, fitting does not.
    pub fn forecasts(&self, asks: &[(NaiveDate, bool)]) -> Result<Vec<Vec<Computed>>> {
        let metrics = &self.snapshot().metrics;
        let n = metrics.len();
        let inputs: Vec<String> = metrics.iter().map(|m| inputs(m, self.horizon)).collect();
        let mut results: Vec<Vec<Option<Computed>>> = (0..asks.len()).map(|_| (0..n).map(|_| None).collect()).collect();
        // Per ask: cached entries whose fit is still valid (whether their dates are too depends
        // on the calibration), and which metrics miss.
        let mut valid: Vec<Vec<ValidEntry>> = Vec::with_capacity(asks.len());
        let mut missing: Vec<Vec<bool>> = Vec::with_capacity(asks.len());
        let position: HashMap<i64, usize> =
            self.loaded.ids.metrics.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        for &(as_of, fan) in asks {
            // A command that shows part of the organization looks up its own metrics only.
            let only = (!self.loaded.complete).then_some(self.loaded.ids.metrics.as_slice());
            let rows = self.store.cached_forecasts(as_of, u8::from(fan), ENGINE, only)?;
            let mut found = Vec::new();
            let mut miss = vec![true; n];
            for row in rows {
                let Some(&i) = position.get(&row.metric_id) else { continue };
                if row.inputs != inputs[i] {
                    continue;
                }
                let Some(changes) = self.changes(row.marks)? else { continue };
                if !changes.unchanged(row.metric_id, as_of) {
                    continue;
                }
                let Some(mut entry) = codec::decode_fitted(&row.fitted) else { continue };
                let Some(seen) = self.seen_of(&entry) else { continue };
                if !fan {
                    entry.fitted.forecast.curve = Vec::new();
                }
                miss[i] = false;
                // Decoded: the encoded fit is not needed again (a warm report over 20,000
                // metrics would hold 56 MB of them until the calibration is known).
                let row = crate::store::CachedForecast { fitted: Vec::new(), ..row };
                found.push(ValidEntry { i, row, entry, seen });
            }
            missing.push(miss);
            valid.push(found);
        }

        // What is missing, a chunk of metrics at a time: their readings read once for every
        // date asked, fit in parallel.
        let todo: Vec<usize> = (0..n).filter(|&i| missing.iter().any(|m| m[i])).collect();
        let (loaded, horizon, missing_ref, inputs_ref) = (self.loaded, self.horizon, &missing, &inputs);
        let fit = |chunk: &[usize], readings: Vec<Series>| -> Vec<Fit> {
            let jobs: Vec<(usize, usize)> = chunk
                .iter()
                .enumerate()
                .flat_map(|(c, &i)| (0..asks.len()).filter(move |&a| missing_ref[a][i]).map(move |a| (c, a)))
                .collect();
            jobs.par_iter()
                .map(|&(c, a)| {
                    let i = chunk[c];
                    let (as_of, fan) = asks[a];
                    let m = &metrics[i];
                    let upto: Vec<(u32, NaiveDate, f64)> =
                        readings[c].iter().copied().filter(|(_, d, _)| *d <= as_of).collect();
                    let series: Vec<Reading> = upto.iter().map(|&(_, date, value)| Reading { date, value }).collect();
                    let fitted = forecast::fit(&analysis::spec(m), &series, &options(m, as_of, fan, horizon));
                    let seen = analysis::seen_from(m, upto.iter().copied());
                    let entry = FittedEntry {
                        fitted,
                        gap_open: seen.gap_open,
                        heard: seen.heard.iter().map(|&(e, d)| (loaded.ids.engineers[e as usize], d)).collect(),
                    };
                    let bytes = codec::encode_fitted(&entry);
                    Fit { i, a, fitted: entry.fitted, seen, bytes }
                })
                .collect()
        };
        // Fits dated with their date's calibration, and the cache rows to write.
        let date =
            |fits: Vec<Fit>, cals: &[(Arc<OrgCalibration>, String)]| -> Vec<(usize, usize, Computed, NewForecast)> {
                fits.into_par_iter()
                    .map(|Fit { i, a, fitted, seen, bytes }| {
                        let (as_of, fan) = asks[a];
                        let (cal, digest) = &cals[a];
                        let dated = fitted.dating.is_some();
                        let mut f = fitted.finish(&options(&metrics[i], as_of, fan, horizon), &cal.calibration);
                        let row = NewForecast {
                            metric_id: loaded.ids.metrics[i],
                            inputs: inputs_ref[i].clone(),
                            marks: loaded.marks,
                            fitted: Some(bytes),
                            calibration: dated.then(|| digest.clone()),
                            dated: dated.then(|| codec::encode_dated(&f)),
                        };
                        if !fan {
                            // Charts only (see `outlook`); the cache keeps it.
                            f.curve = Vec::new();
                        }
                        (i, a, (f, seen), row)
                    })
                    .collect()
            };
        // Most metrics of a database of modest size: sequential passes over the readings,
        // each collecting the next SCAN_PASS metrics' readings, beat seeking each reading
        // through the index (a third of the CPU time of a cold run over a million readings);
        // beyond that size, each chunk's (`Forecaster::readings`: memory stays bounded).
        let scan = !self.loaded.with_points && todo.len() * 2 > n && self.loaded.marks.point <= SCAN_MAX_READINGS;
        // The first chunk is fit while this thread works out the calibration, which takes
        // about as long as fitting two chunks when their readings are already at hand.
        let first = if scan { 2 * CHUNK } else { CHUNK }.min(todo.len());
        let chunks: Vec<&[usize]> =
            std::iter::once(&todo[..first]).chain(todo[first..].chunks(CHUNK)).filter(|c| !c.is_empty()).collect();
        let mut scanned: std::collections::VecDeque<Series> = Default::default();
        // Metrics whose scanned readings the calibration may read: taken back once it is worked
        // out, so that each chunk's readings are freed once it is fit.
        let lent: RefCell<Vec<i64>> = RefCell::default();
        let mut scanned_upto = 0;
        let mut read_chunk = |c: &[usize]| -> Result<Vec<Series>> {
            if !scan {
                return self.readings(c);
            }
            if scanned.len() < c.len() {
                let pass = &todo[scanned_upto..(scanned_upto + SCAN_PASS).min(todo.len())];
                let ids: Vec<i64> = pass.iter().map(|&i| self.loaded.ids.metrics[i]).collect();
                let read =
                    self.store.readings_scan(&ids, &self.engineer_index, self.overlays()?, self.loaded.marks.point)?;
                // The calibration (worked out while the first chunk is fit, before any later
                // pass is read) reads the first pass's readings from here rather than from
                // the database again.
                let lend = scanned_upto == 0;
                let mut memo = self.histories.borrow_mut();
                for (id, series) in ids.into_iter().zip(read) {
                    let series = Arc::new(series);
                    if lend {
                        memo.insert(id, series.clone());
                        lent.borrow_mut().push(id);
                    }
                    scanned.push_back(series);
                }
                scanned_upto += pass.len();
                // The scan's working copies (twice the size of what it returns) are freed by
                // now: give their pages back before the forecasts fill memory again.
                crate::platform::memory::release_freed();
            }
            Ok(scanned.drain(..c.len()).collect())
        };
        let mut next = match chunks.first() {
            Some(c) => Some(read_chunk(c)?),
            None => None,
        };
        let mut cals: Option<Vec<(Arc<OrgCalibration>, String)>> = None;
        let mut rows: Vec<Vec<NewForecast>> = (0..asks.len()).map(|_| Vec::new()).collect();
        // Each chunk's new cache rows are queued as soon as they are made (the queue keeps
        // them aside in a temporary file past a few MB, see `store::cache`), not held here.
        let mut queued = vec![false; asks.len()];
        let mut queue_rows = |rows: &mut [Vec<NewForecast>]| {
            for (a, rows) in rows.iter_mut().enumerate().filter(|(_, r)| !r.is_empty()) {
                let (as_of, fan) = asks[a];
                self.writer.forecasts(as_of, u8::from(fan), ENGINE, std::mem::take(rows), self.today);
                queued[a] = true;
            }
        };
        for (k, chunk) in chunks.iter().enumerate() {
            let readings = next.take().expect("read ahead");
            let known = cals.as_deref();
            let (done, worked_out, read) = std::thread::scope(|scope| {
                let worker = scope.spawn(|| {
                    let fits = fit(chunk, readings);
                    match known {
                        Some(c) => Ok(date(fits, c)),
                        None => Err(fits),
                    }
                });
                let worked_out = known.is_none().then(|| self.calibrations_for(asks));
                let read = chunks.get(k + 1).map(|c| read_chunk(c)).transpose();
                (worker.join(), worked_out, read)
            });
            let done = done.unwrap_or_else(|e| std::panic::resume_unwind(e));
            if let Some(c) = worked_out {
                cals = Some(c?);
                let mut memo = self.histories.borrow_mut();
                for id in lent.borrow_mut().drain(..) {
                    memo.remove(&id);
                }
            }
            next = read?;
            let done = match done {
                Ok(done) => done,
                Err(fits) => date(fits, cals.as_deref().expect("worked out with the first chunk")),
            };
            for (i, a, computed, row) in done {
                results[a][i] = Some(computed);
                rows[a].push(row);
            }
            queue_rows(&mut rows);
        }
        let cals = match cals {
            Some(c) => c,
            None => self.calibrations_for(asks)?,
        };

        // The cached entries: their dates as cached when made with this calibration, else
        // dated again (the fit is still valid) and written back.
        for (a, found) in valid.into_iter().enumerate() {
            let (as_of, fan) = asks[a];
            let (cal, digest) = &cals[a];
            for ValidEntry { i, row, entry, seen } in found {
                let stale_marks = self.loaded.marks.point - row.marks.point > REMARK_AFTER;
                let cached = match (&entry.fitted.dating, &row.calibration, &row.dated) {
                    (None, ..) => Some(entry.fitted.forecast.clone()),
                    (Some(_), Some(c), Some(d)) if c == digest => codec::decode_dated(d, &entry.fitted),
                    _ => None,
                };
                let forecast = match cached {
                    Some(f) => {
                        if stale_marks {
                            rows[a].push(NewForecast {
                                metric_id: row.metric_id,
                                inputs: row.inputs,
                                marks: self.loaded.marks,
                                fitted: None,
                                calibration: row.calibration,
                                dated: row.dated,
                            });
                        }
                        f
                    }
                    None => {
                        let f = entry.fitted.finish(&options(&metrics[i], as_of, fan, self.horizon), &cal.calibration);
                        rows[a].push(NewForecast {
                            metric_id: row.metric_id,
                            inputs: row.inputs,
                            marks: if stale_marks { self.loaded.marks } else { row.marks },
                            fitted: None,
                            calibration: Some(digest.clone()),
                            dated: Some(codec::encode_dated(&f)),
                        });
                        f
                    }
                };
                results[a][i] = Some((forecast, seen));
            }
        }
        queue_rows(&mut rows);
        for (a, &(as_of, fan)) in asks.iter().enumerate() {
            let variant = u8::from(fan);
            if !queued[a]
                && self.store.forecast_cache_used(as_of, variant)?.as_deref()
                    != Some(&crate::store::iso_date(self.today))
            {
                self.writer.used(as_of, variant, self.today);
            }
        }
        Ok(results.into_iter().map(|r| r.into_iter().map(|c| c.expect("every metric computed")).collect()).collect())
    }

    /// The calibration of each date asked, latest first (the earlier dates' replays reuse
    /// what the latest one read), in the order asked.
    fn calibrations_for(&self, asks: &[(NaiveDate, bool)]) -> Result<Vec<(Arc<OrgCalibration>, String)>> {
        let mut order: Vec<usize> = (0..asks.len()).collect();
        order.sort_by_key(|&a| std::cmp::Reverse(asks[a].0));
        let mut cals: Vec<Option<(Arc<OrgCalibration>, String)>> = vec![None; asks.len()];
        for a in order {
            cals[a] = Some(self.calibration_with_digest(asks[a].0)?);
        }
        Ok(cals.into_iter().map(|c| c.expect("every date worked out")).collect())
    }

    /// A cached entry's [`Seen`], its engineers as snapshot positions (None: one unknown).
    fn seen_of(&self, e: &FittedEntry) -> Option<Seen> {
        let heard = e.heard.iter().map(|(id, d)| Some((*self.engineer_index.get(id)?, *d))).collect::<Option<_>>()?;
        Some(Seen { gap_open: e.gap_open, heard })
    }

    /// The organization's calibration as of `as_of`.
    pub fn calibration(&self, as_of: NaiveDate) -> Result<Arc<OrgCalibration>> {
        Ok(self.calibration_with_digest(as_of)?.0)
    }

    /// The calibration as of `as_of` and a digest of it (what cached dates were made with).
    fn calibration_with_digest(&self, as_of: NaiveDate) -> Result<(Arc<OrgCalibration>, String)> {
        if let Some(c) = self.calibrations.borrow().get(&as_of) {
            return Ok(c.clone());
        }
        let definitions = self.definitions()?;
        let mut found = None;
        if let Some((version, body)) = self.store.cached_calibration(as_of, ENGINE)? {
            if let Some(marks) = parse_version(&version, definitions) {
                if let Some(changes) = self.changes(marks)? {
                    if changes.none_upto(as_of) {
                        found = serde_json::from_str::<OrgCalibration>(&body).ok();
                    }
                }
            }
        }
        let cal = match found {
            Some(c) => c,
            None => {
                let c = self.replay_calibration(as_of)?;
                if let Ok(body) = serde_json::to_string(&c) {
                    let version =
                        format!("{}|{}|{}", self.loaded.marks.point, self.loaded.marks.correction, definitions);
                    self.writer.calibration(as_of, ENGINE, &version, &body);
                }
                c
            }
        };
        let digest =
            format!("{:016x}", forecast::seed_for(&serde_json::to_string(&cal.calibration).unwrap_or_default()));
        let entry = (Arc::new(cal), digest);
        self.calibrations.borrow_mut().insert(as_of, entry.clone());
        Ok(entry)
    }

    /// What the calibration depends on besides the readings: the engine's horizon and every
    /// live metric's definition (see `Store::definitions_digest`).
    fn definitions(&self) -> Result<&str> {
        if let Some(d) = self.definitions.get() {
            return Ok(d);
        }
        let d = format!("h{}:{}", self.horizon, self.store.definitions_digest()?);
        Ok(self.definitions.get_or_init(|| d))
    }

    /// Up to `MIN_DATES + 1` first dates of each of `metrics` (every live metric) dated on or
    /// before `as_of`. Read once a run: an earlier date's are the later date's that fall on or
    /// before it (they are the earliest dates, so none is missing).
    fn first_dates(&self, metrics: &[i64], as_of: NaiveDate) -> Result<Vec<Vec<NaiveDate>>> {
        let keep =
            |all: &[Vec<NaiveDate>]| all.iter().map(|d| d.iter().copied().filter(|d| *d <= as_of).collect()).collect();
        if let Some((upto, all)) = &*self.first_dates.borrow() {
            if *upto >= as_of && all.len() == metrics.len() {
                return Ok(keep(all));
            }
        }
        let all = self.store.first_dates(metrics, as_of, forecast::MIN_DATES + 1, self.overlays()?)?;
        let got = keep(&all);
        *self.first_dates.borrow_mut() = Some((as_of, all));
        Ok(got)
    }

    /// The calibration as of `as_of` from the organization's replayed history, replaying only
    /// what is not cached: equal to `analysis::org_calibration` on the whole snapshot.
    fn replay_calibration(&self, as_of: NaiveDate) -> Result<OrgCalibration> {
        // The calibration reads every live metric, whatever part of the organization the
        // command shows.
        let reloaded = if self.loaded.complete { None } else { Some(Loaded::without_points(self.store)?) };
        let source = reloaded.as_ref().unwrap_or(self.loaded);
        let (snapshot, ids) = (&source.snapshot, &source.ids);
        // Each metric's first dates up to as_of: which origins it offers, and whether it exists
        // yet on that day.
        let first: Vec<Vec<NaiveDate>> = if source.with_points {
            (0..snapshot.metrics.len())
                .map(|i| {
                    let mut d: Vec<NaiveDate> = Vec::new();
                    for o in snapshot.observations_of(i).iter().filter(|o| o.date <= as_of) {
                        if d.last() != Some(&o.date) {
                            d.push(o.date);
                            if d.len() > forecast::MIN_DATES {
                                break;
                            }
                        }
                    }
                    d
                })
                .collect()
        } else {
            self.first_dates(&ids.metrics, as_of)?
        };
        let mut candidates: Vec<(u64, usize, NaiveDate)> = Vec::new();
        let mut known = 0;
        for (i, m) in snapshot.metrics.iter().enumerate() {
            let dates = &first[i];
            if !dates.is_empty() {
                known += 1;
            }
            let before: Vec<NaiveDate> = dates.iter().copied().filter(|d| *d < as_of).collect();
            if let Some(&ready) = before.get(forecast::MIN_DATES - 1) {
                let key = m.key();
                candidates.extend(replay::origin_candidates(&key, before[0], ready, as_of).map(|(h, o)| (h, i, o)));
            }
        }
        let chosen = replay::choose(candidates);

        // The chosen metrics' histories.
        let mut metrics: Vec<usize> = chosen.iter().map(|(i, _)| *i).collect();
        metrics.sort_unstable();
        metrics.dedup();
        let histories: HashMap<usize, MetricHistory> = {
            let readings: Vec<Arc<Vec<Reading>>> = match source.with_points {
                true => metrics
                    .iter()
                    .map(|&i| {
                        Arc::new(
                            snapshot
                                .observations_of(i)
                                .iter()
                                .map(|o| Reading { date: o.date, value: o.value })
                                .collect(),
                        )
                    })
                    .collect(),
                false => {
                    let unread: Vec<i64> = metrics
                        .iter()
                        .map(|&i| ids.metrics[i])
                        .filter(|id| !self.histories.borrow().contains_key(id))
                        .collect();
                    let read = self.store.readings_of(&unread, self.overlays()?)?;
                    let mut memo = self.histories.borrow_mut();
                    for (id, v) in unread.into_iter().zip(read) {
                        // The calibration never looks at who reported a reading, and a command
                        // that shows part of the organization may not know every engineer.
                        let who =
                            |r: &StoredReading| self.engineer_index.get(&r.engineer_id).copied().unwrap_or(u32::MAX);
                        memo.insert(id, Arc::new(v.iter().map(|r| (who(r), r.date, r.value)).collect()));
                    }
                    metrics
                        .iter()
                        .map(|&i| {
                            Arc::new(
                                memo[&ids.metrics[i]].iter().map(|&(_, date, value)| Reading { date, value }).collect(),
                            )
                        })
                        .collect()
                }
            };
            metrics
                .iter()
                .zip(readings)
                .map(|(&i, readings)| {
                    let m = &snapshot.metrics[i];
                    (i, MetricHistory { key: m.key(), spec: analysis::spec(m), readings: readings.to_vec() })
                })
                .collect()
        };

        // Their replayed features: found earlier in this run, else cached when still valid
        // (they depend on the readings up to the origin only), else replayed now and kept.
        // Valid entries checked against many readings added since get their marks brought
        // forward (the next run's check reads fewer).
        let mut cached: HashMap<(usize, NaiveDate), Option<Features>> = HashMap::new();
        {
            let memo = self.replayed.borrow();
            for &(i, origin) in &chosen {
                if let Some(f) = memo.get(&(ids.metrics[i], origin)) {
                    cached.insert((i, origin), *f);
                }
            }
        }
        let mut remarked: Vec<NewReplay> = Vec::new();
        let mut lookup: Vec<usize> =
            chosen.iter().filter(|(i, o)| !cached.contains_key(&(*i, *o))).map(|(i, _)| *i).collect();
        lookup.sort_unstable();
        lookup.dedup();
        for &i in &lookup {
            let id = ids.metrics[i];
            let inputs = inputs(&snapshot.metrics[i], self.horizon);
            for row in self.store.cached_replays(id, ENGINE)? {
                if row.inputs != inputs {
                    continue;
                }
                let Some(changes) = self.changes(row.marks)? else { continue };
                if !changes.unchanged(id, row.origin) {
                    continue;
                }
                if let Some(f) = codec::decode_features(&row.features) {
                    cached.insert((i, row.origin), f);
                    if self.loaded.marks.point - row.marks.point > REMARK_AFTER {
                        remarked.push(NewReplay {
                            metric_id: id,
                            origin: row.origin,
                            inputs: row.inputs.clone(),
                            marks: self.loaded.marks,
                            features: row.features.clone(),
                        });
                    }
                }
            }
        }
        let (horizon, marks) = (self.horizon, self.loaded.marks);
        let features: Vec<(Option<Features>, Option<NewReplay>)> = chosen
            .par_iter()
            .map(|&(i, origin)| match cached.get(&(i, origin)) {
                Some(f) => (*f, None),
                None => {
                    let f = replay::features_at(&histories[&i], origin, horizon);
                    let row = NewReplay {
                        metric_id: ids.metrics[i],
                        origin,
                        inputs: inputs(&snapshot.metrics[i], horizon),
                        marks,
                        features: codec::encode_features(&f),
                    };
                    (f, Some(row))
                }
            })
            .collect();
        {
            let mut memo = self.replayed.borrow_mut();
            for (&(i, origin), (f, _)) in chosen.iter().zip(&features) {
                memo.insert((ids.metrics[i], origin), *f);
            }
        }
        let cases: Vec<ReplayCase> = chosen
            .iter()
            .zip(&features)
            .filter_map(|(&(i, origin), (f, _))| replay::outcome(&histories[&i], origin, (*f)?, as_of))
            .collect();
        let mut new: Vec<NewReplay> = features.into_iter().filter_map(|(_, r)| r).collect();
        new.extend(remarked);
        if !new.is_empty() {
            self.writer.replays(ENGINE, new, as_of);
        }
        let (calibration, record) = replay::correct(forecast::Calibration::shipped(), &cases, known, as_of);
        Ok(OrgCalibration { calibration, record })
    }
}

/// The marks of a cached calibration's version written for these definitions.
fn parse_version(version: &str, definitions: &str) -> Option<Marks> {
    let mut parts = version.splitn(3, '|');
    let point = parts.next()?.parse().ok()?;
    let correction = parts.next()?.parse().ok()?;
    (parts.next()? == definitions).then_some(Marks { point, correction })
}

/// The organization's calibration as of `as_of` through the caches (a command that needs
/// nothing else of a `Forecaster`).
pub fn calibration_of(store: &Store, loaded: &Loaded, horizon: i64, as_of: NaiveDate) -> Result<Arc<OrgCalibration>> {
    Forecaster::new(store, loaded, horizon).calibration(as_of)
}

/// The options a metric is forecast with (as `analysis::forecast_all` sets them).
fn options(m: &Metric, as_of: NaiveDate, fan: bool, horizon: i64) -> Options {
    let mut opts = Options::new(as_of, forecast::seed_for(&m.key()));
    opts.horizon_days = horizon;
    opts.fan = fan;
    opts
}

/// What a metric's forecast depends on besides its readings and the calibration.
fn inputs(m: &Metric, horizon: i64) -> String {
    format!(
        "{}|{:016x}|{}|{:016x}|h{}|n{}",
        m.key(),
        m.target.to_bits(),
        m.direction,
        m.tolerance.to_bits(),
        horizon,
        forecast::DEFAULT_N_SIMS
    )
}
