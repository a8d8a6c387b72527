//! The calibration in use: the timing model's parameters per verdict, and a correction of its
//! probability levels per verdict learned from how past forecasts fared.
//!
//! A correction maps a nominal level τ (0.5 for p50) to the level of the timing model's
//! distribution that has been reached by the truth τ of the time: if, in the replayed history,
//! the truth fell before the model's own median only 30% of the time, the corrected p50 is the
//! model's 63rd percentile, say. This is quantile recalibration (Kuleshov et al., 2018); with
//! the levels estimated from held-out forecasts it is a conformal correction.

use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::timing::{self, Features, Params};
use super::{Forecast, Options, Status};

/// A monotone map of probability levels, nominal → model level, as knots of a piecewise-linear
/// function through (0, 0) and (1, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelMap {
    /// (nominal, model) pairs, increasing in both, strictly inside (0, 1).
    pub knots: Vec<(f64, f64)>,
}

impl LevelMap {
    pub fn identity() -> LevelMap {
        LevelMap { knots: Vec::new() }
    }

    fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        std::iter::once((0.0, 0.0)).chain(self.knots.iter().copied()).chain(std::iter::once((1.0, 1.0)))
    }

    /// The model level to read for nominal level `tau`.
    pub fn to_model(&self, tau: f64) -> f64 {
        interpolate(self.points(), tau)
    }

    /// The nominal level of model level `m` (the inverse map).
    pub fn to_nominal(&self, m: f64) -> f64 {
        interpolate(self.points().map(|(a, b)| (b, a)), m)
    }
}

fn interpolate(points: impl Iterator<Item = (f64, f64)>, x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    let mut prev = (0.0, 0.0);
    for (a, b) in points {
        if x <= a {
            let w = if a > prev.0 { (x - prev.0) / (a - prev.0) } else { 1.0 };
            return prev.1 + w * (b - prev.1);
        }
        prev = (a, b);
    }
    1.0
}

/// Parameters and level correction for one kind of forecast: one verdict, on metrics that
/// count items or on other metrics (the two move differently: counts sit still and jump).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictModel {
    pub status: Status,
    pub counts: bool,
    pub params: Params,
    pub levels: LevelMap,
}

/// Everything that turns features into dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub models: Vec<VerdictModel>,
}

/// The verdicts that carry dates.
pub const DATED: [Status; 3] = [Status::Converging, Status::Stalled, Status::Diverging];

impl Calibration {
    /// Gott's rule for every kind, no correction: the neutral starting point.
    pub fn lindy() -> Calibration {
        let models = DATED
            .iter()
            .flat_map(|&status| {
                [false, true].map(|counts| VerdictModel {
                    status,
                    counts,
                    params: Params::LINDY,
                    levels: LevelMap::identity(),
                })
            })
            .collect();
        Calibration { models }
    }

    /// The calibration shipped with limfac (see [`super::defaults`]).
    pub fn shipped() -> &'static Calibration {
        static SHIPPED: std::sync::OnceLock<Calibration> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(super::defaults::calibration)
    }

    /// The model for a verdict and kind of metric.
    pub fn model(&self, status: Status, counts: bool) -> Option<&VerdictModel> {
        self.models.iter().find(|m| m.status == status && m.counts == counts)
    }

    pub fn model_mut(&mut self, status: Status, counts: bool) -> Option<&mut VerdictModel> {
        self.models.iter_mut().find(|m| m.status == status && m.counts == counts)
    }

    /// The model that dates these features.
    pub fn model_for(&self, f: &Features) -> Option<&VerdictModel> {
        self.model(f.status, f.count_like)
    }

    /// P(done within `weeks` after as-of), corrected.
    pub fn cdf(&self, f: &Features, weeks: f64) -> f64 {
        self.model_for(f).map_or(0.0, |v| v.levels.to_nominal(timing::cdf(&v.params, f, weeks)))
    }

    /// Remaining weeks at nominal level `tau`, corrected; None beyond any finite time.
    pub fn quantile_weeks(&self, f: &Features, tau: f64) -> Option<f64> {
        let v = self.model_for(f)?;
        timing::quantile(&v.params, f, v.levels.to_model(tau))
    }

    /// Sets the forecast's quantiles, P(never) and simulated completion days from the timing
    /// model for these features.
    pub fn apply(&self, f: &Features, opts: &Options, fc: &mut Forecast) {
        let horizon = opts.horizon_days.max(1);
        let day = |weeks: f64| -> Option<i64> {
            let d = (weeks * 7.0).ceil().max(1.0);
            (d <= horizon as f64).then_some(d as i64)
        };
        let date = |weeks: Option<f64>| -> Option<NaiveDate> {
            day(weeks?).and_then(|d| opts.as_of.checked_add_signed(Duration::try_days(d)?))
        };
        // `quantile_weeks` with the law worked out once for all the levels below.
        let model = self.model_for(f).map(|v| (v, timing::law(&v.params, f)));
        let quantile_weeks = |tau: f64| model.as_ref().and_then(|(v, law)| law.quantile(v.levels.to_model(tau)));
        fc.p10 = date(quantile_weeks(0.1));
        fc.p50 = date(quantile_weeks(0.5));
        fc.p80 = date(quantile_weeks(0.8));
        fc.p90 = date(quantile_weeks(0.9));
        fc.p_never = 1.0 - self.cdf(f, horizon as f64 / 7.0);
        // Stratified levels in a shuffled order: the samples' own quantiles agree with the
        // exact ones to 1/n, and each path index still gets an unrelated level (the limiting
        // factor pairs paths of different metrics by index).
        let n = opts.n_sims.max(1);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(opts.seed ^ 0xA5A5_5A5A_0F0F_F0F0));
        fc.samples = order
            .into_iter()
            .map(|k| {
                let tau = (k as f64 + 0.5) / n as f64;
                quantile_weeks(tau).and_then(day).map(|d| d as i32)
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_maps_interpolate_and_invert() {
        let m = LevelMap { knots: vec![(0.5, 0.7)] };
        assert!((m.to_model(0.5) - 0.7).abs() < 1e-12);
        assert!((m.to_model(0.25) - 0.35).abs() < 1e-12);
        assert!((m.to_nominal(0.7) - 0.5).abs() < 1e-12);
        assert!((m.to_nominal(0.85) - 0.75).abs() < 1e-12);
        let id = LevelMap::identity();
        assert_eq!(id.to_model(0.3), 0.3);
    }
}
