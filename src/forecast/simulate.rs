//! Monte Carlo of future gap paths, and their first passage within tolerance.
//!
//! Each path draws a curve shape (by its evidence weight), a noise split q (by its restricted
//! likelihood), a noise scale from its scaled-inverse-χ² posterior, and curve parameters from
//! their GLS covariance scaled by that same draw (so parameters are Student-t: wider for small
//! samples). The present level is drawn from its filtered distribution given those parameters.
//! The path then follows the curve's future increments plus an accumulating random walk.
//!
//! Measurement noise is deliberately left out of the passage test: "done" is when the true
//! value reaches the target, not when one lucky reading does.
//!
//! Time runs on a grid in days relative to `as_of`: weekly steps within half a year (where
//! dates matter most and the chart's fan lives), four-weekly to a year, eight-weekly beyond.
//! Between grid nodes the Brownian-bridge crossing probability catches paths that dip below
//! tolerance and come back, so the coarse steps do not bias completion late.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use super::models::{Curve, Shape};
use super::noise::NoiseFit;

/// A fitted shape with its noise fits over the q grid and its evidence weight.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub curve: Curve,
    pub noise: Vec<NoiseFit>,
    /// Normalised weights over `noise` (restricted likelihood).
    pub q_weights: Vec<f64>,
    /// Normalised AICc weight among candidates.
    pub weight: f64,
    /// Residual degrees of freedom for the Student-t widening.
    pub dof: f64,
    /// Observed span in weeks, for keeping sampled rates sane.
    pub span_weeks: f64,
}

impl Candidate {
    /// Index of the most likely q.
    pub fn best_q(&self) -> usize {
        let mut bi = 0;
        for (i, w) in self.q_weights.iter().enumerate() {
            if *w > self.q_weights[bi] {
                bi = i;
            }
        }
        bi
    }

    /// The central curve: least squares plus the GLS correction at the most likely q.
    pub fn central(&self) -> Curve {
        let nf = &self.noise[self.best_q()];
        let mut c = self.curve;
        for j in 0..c.shape.n_params() {
            c.params[j] += nf.delta[j];
        }
        c
    }

    /// Posterior-mean share of the variance over the observed span that is process noise.
    pub fn process_share(&self) -> f64 {
        self.noise
            .iter()
            .zip(&self.q_weights)
            .map(|(nf, w)| {
                let pv = nf.q * self.span_weeks;
                w * pv / (pv + 1.0)
            })
            .sum()
    }
}

/// Simulation inputs.
pub struct SimInput<'a> {
    pub candidates: &'a [Candidate],
    /// Tolerance in (scaled) gap units.
    pub tol: f64,
    /// Days from as_of to the last observed date (<= 0).
    pub d0: i64,
    pub horizon_days: i64,
    pub n_sims: usize,
    pub seed: u64,
    /// Days after as_of up to which the value fan is recorded.
    pub fan_end: i64,
}

/// Simulation outputs.
pub struct SimOutput {
    /// Completion day relative to as_of, per path.
    pub samples: Vec<Option<i32>>,
    /// (day relative to as_of, p10, p50, p90) of the latent gap at each grid node in [0, fan_end].
    pub fan: Vec<(i64, [f64; 3])>,
}

/// Grid nodes in days relative to as_of: starts at `d0`, weekly within ±26 weeks, four-weekly
/// to a year, eight-weekly beyond, ends at the horizon.
pub fn grid(d0: i64, horizon: i64) -> Vec<i64> {
    let mut g = vec![d0];
    let mut x = d0;
    while x < horizon {
        let next = if x < -182 {
            (x + 28).min(-182)
        } else if x < 182 {
            // Next multiple of 7 strictly after x, so fan dates land exactly on nodes.
            (x.div_euclid(7) + 1) * 7
        } else if x < 364 {
            x + 28
        } else {
            x + 56
        };
        x = next.min(horizon);
        g.push(x);
    }
    g
}

struct Draw {
    level_mean: f64,
    level_sd: f64,
    /// Process-noise sd per sqrt(week).
    psd: f64,
    /// Curve increment over each grid step (index 0 unused).
    inc: Vec<f64>,
    /// Lowest the curve alone goes, relative to node j, at any later node: a path that cannot
    /// reach tolerance even with a 7-sigma random-walk excursion is stopped early.
    reach: Vec<f64>,
}

fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    // Rounding: fall back to the last positive weight.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

fn make_draw(c: &Candidate, rng: &mut StdRng, weeks: &[f64]) -> Draw {
    let nf = &c.noise[pick(&c.q_weights, rng.random::<f64>())];
    let p = c.curve.shape.n_params();
    let chi: f64 = ChiSquared::new(c.dof).map(|d| d.sample(rng)).unwrap_or(c.dof);
    // σ² ~ scaled inverse χ²: the same factor widens parameters, level and process noise,
    // which makes each of them Student-t with `dof` degrees of freedom.
    let s2 = nf.sigma2 * c.dof / chi.max(1e-3);
    let s = s2.sqrt();
    let mut z = [0.0f64; 4];
    for zi in z.iter_mut().take(p) {
        *zi = rng.sample(StandardNormal);
    }
    let mut delta = nf.delta;
    for (i, di) in delta.iter_mut().enumerate().take(p) {
        let acc: f64 = z.iter().zip(&nf.chol[i]).take(i + 1).map(|(zk, l)| zk * l).sum();
        *di += s * acc;
    }
    let mut theta = c.curve;
    for (j, d) in delta.iter().enumerate().take(p) {
        theta.params[j] += d;
    }
    // Keep rates and midpoints in a range where the shape means something; beyond it a sample
    // from the Gaussian approximation is an artefact, not a plausible curve.
    if matches!(theta.shape, Shape::Exponential | Shape::Logistic) {
        let lo = (0.02 / c.span_weeks).ln();
        let hi = (100.0 / c.span_weeks).ln();
        theta.params[2] = theta.params[2].clamp(lo, hi);
    }
    if theta.shape == Shape::Logistic {
        let sp = c.span_weeks;
        theta.params[3] = theta.params[3].clamp(-3.0 * sp, 3.0 * sp);
    }
    let g0 = c.curve.grad(0.0);
    let mut level_mean = c.curve.eval(0.0) + nf.a_r;
    for j in 0..p {
        level_mean += (g0[j] - nf.a_j[j]) * delta[j];
    }
    let mut inc = Vec::with_capacity(weeks.len());
    inc.push(0.0);
    let mut prev = theta.eval(weeks[0]);
    for &w in &weeks[1..] {
        let v = theta.eval(w);
        let d = v - prev;
        inc.push(if d.is_finite() { d } else { 0.0 });
        prev = v;
    }
    let mut reach = vec![0.0; inc.len()];
    for j in (0..inc.len().saturating_sub(1)).rev() {
        reach[j] = (inc[j + 1] + reach[j + 1]).min(0.0);
    }
    Draw {
        reach,
        level_mean: if level_mean.is_finite() { level_mean } else { c.curve.eval(0.0) },
        level_sd: (nf.p_n * s2).sqrt(),
        psd: (nf.q * s2).sqrt(),
        inc,
    }
}

/// Run the simulation.
pub fn simulate(inp: &SimInput) -> SimOutput {
    let nodes = grid(inp.d0, inp.horizon_days);
    // Weeks since the last observed date, for evaluating curves.
    let weeks: Vec<f64> = nodes.iter().map(|&d| (d - inp.d0) as f64 / 7.0).collect();
    let mut rng = StdRng::seed_from_u64(inp.seed);
    let n = inp.n_sims.max(1);
    // Parameter draws are shared by a few paths each: evaluating a curve on the grid costs more
    // than a path step, and 250 parameter draws already resolve the parameter spread.
    let n_pool = n.min(250);
    let cand_w: Vec<f64> = inp.candidates.iter().map(|c| c.weight).collect();
    let pool: Vec<Draw> = (0..n_pool)
        .map(|_| {
            let c = &inp.candidates[pick(&cand_w, rng.random::<f64>())];
            make_draw(c, &mut rng, &weeks)
        })
        .collect();
    let fan_paths = n.min(256);
    let fan_nodes: Vec<usize> = (0..nodes.len()).filter(|&j| nodes[j] >= 0 && nodes[j] <= inp.fan_end).collect();
    let last_fan_node = fan_nodes.last().copied().unwrap_or(0);
    let mut fan_vals: Vec<Vec<f64>> = vec![Vec::with_capacity(fan_paths); nodes.len()];
    let mut samples = Vec::with_capacity(n);
    let tol = inp.tol;
    for path in 0..n {
        let d = &pool[path % n_pool];
        let z: f64 = rng.sample(StandardNormal);
        let mut g = d.level_mean + d.level_sd * z;
        let record = path < fan_paths;
        let mut done: Option<f64> = if g <= tol { Some(nodes[0] as f64) } else { None };
        if record {
            fan_vals[0].push(g);
        }
        let end = *nodes.last().unwrap_or(&0);
        for j in 1..nodes.len() {
            if done.is_some() && (!record || j > last_fan_node) {
                break;
            }
            if done.is_none() && (!record || j > last_fan_node) {
                // Hopeless: even the curve's lowest point ahead plus a 7-sigma dip of the
                // random walk (probability ~1e-12) stays above tolerance.
                let rem_w = (end - nodes[j - 1]) as f64 / 7.0;
                if g + d.reach[j - 1] - 7.0 * d.psd * rem_w.sqrt() > tol {
                    break;
                }
            }
            let dt_days = (nodes[j] - nodes[j - 1]) as f64;
            let dt_w = dt_days / 7.0;
            let step_sd = d.psd * dt_w.sqrt();
            let zz: f64 = if step_sd > 0.0 { rng.sample(StandardNormal) } else { 0.0 };
            let gn = g + d.inc[j] + step_sd * zz;
            if done.is_none() {
                if gn <= tol {
                    // Linear interpolation inside the step: exact for a straight segment.
                    let frac = ((g - tol) / (g - gn)).clamp(0.0, 1.0);
                    done = Some(nodes[j - 1] as f64 + frac * dt_days);
                } else if step_sd > 0.0 {
                    // Both ends above tolerance: Brownian-bridge probability of a dip between.
                    let x = 2.0 * (g - tol) * (gn - tol) / (step_sd * step_sd);
                    if x < 30.0 && rng.random::<f64>() < (-x).exp() {
                        done = Some(nodes[j - 1] as f64 + 0.5 * dt_days);
                    }
                }
            }
            if record {
                fan_vals[j].push(gn);
            }
            g = gn;
        }
        samples.push(done.map(|x| {
            let day = (x - 1e-9).ceil();
            day.clamp(i32::MIN as f64, inp.horizon_days as f64) as i32
        }));
    }
    let fan = fan_nodes
        .iter()
        .filter_map(|&j| {
            let v = &mut fan_vals[j];
            (!v.is_empty()).then(|| (nodes[j], quantiles3(v)))
        })
        .collect();
    SimOutput { samples, fan }
}

/// p10, p50, p90 of a sample (reorders it).
fn quantiles3(v: &mut [f64]) -> [f64; 3] {
    let cmp = |a: &f64, b: &f64| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal);
    let n = v.len();
    let mut out = [0.0; 3];
    for (o, q) in out.iter_mut().zip([0.1, 0.5, 0.9]) {
        let k = ((q * (n as f64 - 1.0)).round() as usize).min(n - 1);
        let (_, x, _) = v.select_nth_unstable_by(k, cmp);
        *o = *x;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_weekly_near_as_of_and_ends_at_horizon() {
        let g = grid(0, 1095);
        assert_eq!(&g[..3], &[0, 7, 14]);
        assert!(g.contains(&182));
        assert_eq!(*g.last().unwrap(), 1095);
        assert!(g.windows(2).all(|w| w[1] > w[0]));
        let g = grid(-400, 100);
        assert_eq!(g[0], -400);
        assert!(g.contains(&0) && g.contains(&-7));
        assert!(g.windows(2).all(|w| w[1] > w[0]));
    }
}
