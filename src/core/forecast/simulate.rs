//! Monte Carlo of future gap paths, and their first passage within tolerance.
//!
//! Each path draws a model — a basis with its rate (and midpoint) fixed, and a noise split q —
//! by its posterior weight (prior × prequential score), a noise scale from its
//! scaled-inverse-χ² posterior, and the two coefficients from their GLS covariance scaled by
//! that same draw (so they are Student-t: wider for small samples). When the forecast is
//! conditioned on reaching the target, the coefficient that decides it (a line's slope, a
//! curve's floor) is drawn from its truncated distribution and the other from its conditional.
//! The present level is drawn from its filtered distribution given the coefficients. The path
//! then follows the curve's future increments plus an accumulating random walk. Rates are
//! never sampled (they are fixed per model), so a draw cannot move a curve's rate far from
//! what the readings support and blow its increments up.
//!
//! Measurement noise is deliberately left out of the passage test: "done" is when the true
//! value reaches the target, not when one lucky reading does.
//!
//! Time runs on a grid in days relative to `as_of`: weekly steps within half a year (where
//! dates matter most and the chart's fan lives), four-weekly to a year, eight-weekly beyond.
//! Between grid nodes the Brownian-bridge crossing probability catches paths that dip below
//! tolerance and come back, so the coarse steps do not bias completion late.

use rand::rngs::{StdRng, Xoshiro256PlusPlus};
use rand::{RngExt, SeedableRng};
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use super::models::{Curve, Shape};
use super::noise::Component;

/// One family of dynamics (a shape) with its grid of (basis, q) models and their weights.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The family's curve for the chart: the least-squares fit when there is one, else the
    /// heaviest model's estimate.
    pub curve: Curve,
    /// The models of this family; `weight`s of all models of all families sum to 1.
    pub models: Vec<(Component, f64)>,
    /// Total weight of the family.
    pub weight: f64,
    /// Observed span in weeks.
    pub span_weeks: f64,
}

impl Candidate {
    /// The heaviest model of the family.
    pub fn best(&self) -> Option<&Component> {
        self.models.iter().max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal)).map(|m| &m.0)
    }

    /// The central curve: the heaviest model at its estimate.
    pub fn central(&self) -> Curve {
        self.best().map_or(self.curve, Component::mean_curve)
    }

    /// Posterior-mean share of the variance over the observed span that is process noise.
    pub fn process_share(&self) -> f64 {
        if self.weight <= 0.0 {
            return 0.0;
        }
        self.models
            .iter()
            .map(|(c, w)| {
                let pv = c.q * self.span_weeks;
                w * pv / (pv + 1.0)
            })
            .sum::<f64>()
            / self.weight
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
    /// Draws are conditioned on reaching the target (see [`condition_on_reaching`]).
    pub conditioned: bool,
}

/// Which coefficient a draw is conditioned on, and its bound (coefficient < bound).
#[derive(Clone, Copy)]
struct Constraint {
    coef: usize,
    bound: f64,
}

/// Unit-σ² covariance of β from its Cholesky factor.
fn cov(c: &Component) -> [[f64; 2]; 2] {
    let l = &c.chol;
    [[l[0][0] * l[0][0], l[0][0] * l[1][0]], [l[0][0] * l[1][0], l[1][0] * l[1][0] + l[1][1] * l[1][1]]]
}

/// The condition under which a model's curve reaches the target: a line must slope toward
/// it, a decaying curve must have its floor below the tolerance.
fn constraint(c: &Component, tol: f64) -> Constraint {
    match c.basis.shape {
        Shape::Linear => Constraint { coef: 1, bound: 0.0 },
        Shape::Exponential | Shape::Logistic => Constraint { coef: 0, bound: tol },
    }
}

/// Posterior probability (normal approximation) that a model's curve reaches the target.
pub fn p_reaches(c: &Component, tol: f64) -> f64 {
    let k = constraint(c, tol);
    let sd = (c.rss / c.dof).sqrt() * cov(c)[k.coef][k.coef].sqrt();
    let z = (k.bound - c.beta[k.coef]) / sd;
    if z.is_finite() {
        super::trend::normal_cdf(z)
    } else if c.beta[k.coef] < k.bound {
        1.0
    } else {
        0.0
    }
}

/// Below this posterior probability that the dynamics reach the target at all, the readings
/// are taken to show a plateau (or a turn away) and the forecast is left unconditioned.
pub const P_REACH_MIN: f64 = 0.02;

/// Posterior probability that the dynamics reach the target: the models' weights times their
/// probabilities of reaching it.
pub fn p_reach_total(cands: &[Candidate], tol: f64) -> f64 {
    let p: f64 = cands.iter().flat_map(|c| c.models.iter()).map(|(m, w)| w * p_reaches(m, tol)).sum();
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Conditions the model weights on "the dynamics reach the target" (each model's weight
/// times its probability of reaching it); returns false, changing nothing, when that
/// probability is below [`P_REACH_MIN`] overall: the readings then say "plateau" clearly.
///
/// Why: the trend test has already established movement toward the target. Under that, a
/// curve whose floor lies just short of the target is mostly an artefact of extrapolating a
/// bend years ahead from a few months of readings (the floor of an exponential fit swings
/// by the whole gap as its rate moves within its uncertainty); left in, such curves turned
/// "arrives in 8 months" into "never within 3 years" on a large share of converging
/// histories. A floor clearly above the target still wins: that is a plateau.
pub fn condition_on_reaching(cands: &mut [Candidate], tol: f64) -> bool {
    let total: f64 = cands.iter().flat_map(|c| c.models.iter()).map(|(m, w)| w * p_reaches(m, tol)).sum();
    if total.is_nan() || total < P_REACH_MIN {
        return false;
    }
    for c in cands.iter_mut() {
        for (m, w) in c.models.iter_mut() {
            *w *= p_reaches(m, tol) / total;
        }
        c.weight = c.models.iter().map(|m| m.1).sum();
    }
    true
}

/// Standard normal conditioned on z < a.
fn truncated_normal(rng: &mut StdRng, a: f64) -> f64 {
    if !a.is_finite() {
        return if a > 0.0 { rng.sample(StandardNormal) } else { 0.0 };
    }
    if a > -0.5 {
        loop {
            let z: f64 = rng.sample(StandardNormal);
            if z < a {
                return z;
            }
        }
    }
    // Tail beyond |a| by exponential rejection (Robert 1995).
    let m = -a;
    let alpha = 0.5 * (m + (m * m + 4.0).sqrt());
    loop {
        let u: f64 = rng.random::<f64>().max(1e-300);
        let x = m - u.ln() / alpha;
        let v: f64 = rng.random();
        if v <= (-(x - alpha) * (x - alpha) / 2.0).exp() {
            return -x;
        }
    }
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

/// `bvals`: the model's basis b(t) at each grid node (node 0 is the last reading, t = 0).
fn make_draw(c: &Component, rng: &mut StdRng, bvals: &[f64], cons: Option<Constraint>) -> Draw {
    let chi: f64 = ChiSquared::new(c.dof).map(|d| d.sample(rng)).unwrap_or(c.dof);
    // σ² | y ~ rss / χ²(dof): the same factor widens coefficients, level and process noise,
    // which makes each of them Student-t.
    let s2 = c.rss / chi.max(1e-3 * c.dof);
    let s = s2.sqrt();
    let beta = match cons {
        None => {
            let z0: f64 = rng.sample(StandardNormal);
            let z1: f64 = rng.sample(StandardNormal);
            [c.beta[0] + s * c.chol[0][0] * z0, c.beta[1] + s * (c.chol[1][0] * z0 + c.chol[1][1] * z1)]
        }
        Some(k) => {
            // Draw the constrained coefficient from its truncated marginal, the other from
            // its conditional given it.
            let inv = cov(c);
            let (j, o) = (k.coef, 1 - k.coef);
            let sd_j = s * inv[j][j].sqrt();
            let zj = truncated_normal(rng, (k.bound - c.beta[j]) / sd_j);
            let bj = c.beta[j] + sd_j * zj;
            let cond_var = (inv[o][o] - inv[o][j] * inv[o][j] / inv[j][j]).max(0.0);
            let zo: f64 = rng.sample(StandardNormal);
            let bo = c.beta[o] + inv[o][j] / inv[j][j] * (bj - c.beta[j]) + s * cond_var.sqrt() * zo;
            let mut b = [0.0; 2];
            b[j] = bj;
            b[o] = bo;
            b
        }
    };
    let level_mean = beta[0] + beta[1] * bvals[0] + c.a_r - c.a_j[0] * beta[0] - c.a_j[1] * beta[1];
    let mut inc = Vec::with_capacity(bvals.len());
    inc.push(0.0);
    for w in bvals.windows(2) {
        let d = beta[1] * (w[1] - w[0]);
        inc.push(if d.is_finite() { d } else { 0.0 });
    }
    let mut reach = vec![0.0; inc.len()];
    for j in (0..inc.len().saturating_sub(1)).rev() {
        reach[j] = (inc[j + 1] + reach[j + 1]).min(0.0);
    }
    Draw {
        reach,
        level_mean: if level_mean.is_finite() { level_mean } else { c.mean_curve().eval(0.0) },
        level_sd: (c.p_n * s2).sqrt(),
        psd: (c.q * s2).sqrt(),
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
    let models: Vec<&(Component, f64)> = inp.candidates.iter().flat_map(|c| c.models.iter()).collect();
    let model_w: Vec<f64> = models.iter().map(|m| m.1).collect();
    // The basis on the grid, evaluated once per model drawn (heavy models are drawn often).
    let mut bvals: Vec<Option<Vec<f64>>> = vec![None; models.len()];
    let pool: Vec<Draw> = (0..n_pool)
        .map(|_| {
            let i = pick(&model_w, rng.random::<f64>());
            let c = &models[i].0;
            let bv = bvals[i].get_or_insert_with(|| weeks.iter().map(|w| c.basis.eval(*w)).collect());
            make_draw(c, &mut rng, bv, inp.conditioned.then(|| constraint(c, inp.tol)))
        })
        .collect();
    let fan_nodes: Vec<usize> = (0..nodes.len()).filter(|&j| nodes[j] >= 0 && nodes[j] <= inp.fan_end).collect();
    // No fan wanted (fan_end < 0): no path needs to run past its first passage.
    let fan_paths = if fan_nodes.is_empty() { 0 } else { n.min(256) };
    let last_fan_node = fan_nodes.last().copied().unwrap_or(0);
    let mut fan_vals: Vec<Vec<f64>> = vec![Vec::with_capacity(fan_paths); nodes.len()];
    let mut samples = Vec::with_capacity(n);
    let tol = inp.tol;
    for path in 0..n {
        let d = &pool[path % n_pool];
        // Each path has its own stream, so that stopping a path early (no fan
        // wanted) cannot change any other path: the dates are the same with
        // or without the fan.
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(inp.seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(path as u64 + 1));
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
