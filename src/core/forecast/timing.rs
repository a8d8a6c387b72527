//! When will it be done? The completion-time model behind every date limfac gives.
//!
//! The curve fits of [`super::models`] say *whether* a metric converges and *how* it has moved;
//! on their own they date real work badly: a curve extrapolated from a few months of readings
//! is too sure of itself (converging work dated too early), and work that moves in steps —
//! flat for months, then done in a day — gives no curve to extrapolate at all ("never",
//! although it finished). So the dates come from a model of the *remaining time* itself,
//! learned from histories whose outcome is known:
//!
//! ```text
//!     ln(remaining weeks) = μ(features) + s(features) · ε,    ε ~ standard logistic
//! ```
//!
//! a log-logistic "accelerated failure time" model. Its anchor is the time the work has been
//! tracked so far: with nothing else known, work observed at a random moment of its life has
//! as much ahead of it as behind it in the median (the log-logistic with μ = ln(elapsed) and
//! s = 1 is exactly that rule, "Gott's" or Lindy's). The other features move the median and the
//! spread away from that anchor: where the fitted curves put the arrival, how long the
//! remaining gap takes at the average pace so far, how many items remain when the metric
//! counts items, how much of the time the readings stood still. One parameter set per verdict
//! (converging, stalled, diverging), fitted by maximum likelihood with censoring (work not
//! done by the end of its data counts as "at least that long"), by the committed script
//! `examples/fit_forecast_defaults.rs` on public data; see [`super::defaults`].
//!
//! Pure: features in, quantiles out.

use serde::{Deserialize, Serialize};

use super::Status;

/// What the timing model reads of one forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// The verdict of the trend test and curve fits.
    pub status: Status,
    /// Weeks from the first reading considered to the as-of date (at least a day).
    pub elapsed_weeks: f64,
    /// The curve fits' own median remaining time in weeks (None: not within the horizon).
    pub curve_p50_weeks: Option<f64>,
    /// The curve fits' p10 and p90 remaining time in weeks.
    pub curve_p10_weeks: Option<f64>,
    pub curve_p90_weeks: Option<f64>,
    /// Remaining gap divided by the average pace so far, in weeks (None: no net progress).
    pub pace_weeks: Option<f64>,
    /// Remaining gap divided by the recent pace (the last third of the readings), in weeks
    /// (None: no recent progress).
    pub recent_pace_weeks: Option<f64>,
    /// Posterior probability that the fitted curves reach the target at all.
    pub p_reach: f64,
    /// Whether the metric counts items: every value and the target whole numbers.
    pub count_like: bool,
    /// The remaining gap beyond the tolerance, in the metric's units.
    pub remaining: f64,
    /// Share of consecutive dates on which the value did not change at all.
    pub still_share: f64,
    /// ISO weeks with readings: the weekly reviews the model was fitted on. Not dates, so that
    /// work reviewed twice a week (the limiting factor often is) is not taken for work tracked
    /// twice as long, which dated it too early (see `Series::read` in the forecast module).
    pub n_dates: usize,
    /// The remaining gap as a share of the largest gap seen (1: nothing done yet).
    pub left_share: f64,
    /// ln(largest gap seen / first gap): how much work was added since the start.
    pub rise: f64,
    /// Share of the elapsed time since the value last changed (1: it never moved).
    pub quiet: f64,
}

/// Bounds on the log-spread: never sharper than a p90/p10 ratio of about 2.4 (no history of
/// real work justifies more certainty, and a sharper fit only means too few or too alike
/// training cases), never wider than the model can use.
const LN_SCALE: (f64, f64) = (-1.609_437_912, 3.0);
/// Bounds on the median's departure from the elapsed time: between a fiftieth and fifty times
/// as long as the work has been tracked, so that no combination of features far outside the
/// training cases can date work absurdly near or far.
const LN_RATIO: (f64, f64) = (-3.912_023_005, 3.912_023_005);
/// For work not moving toward its target (stalled, diverging) the median is at least a quarter
/// of the elapsed time: finishing sooner takes a step the readings have not shown, and a model
/// fitted on a few hundred such cases must not promise it (a count rising by 8 a week was once
/// dated three days out).
const LN_RATIO_NOT_CONVERGING: f64 = -1.386_294_361;

fn ratio_floor(f: &Features) -> f64 {
    if f.status == Status::Converging {
        LN_RATIO.0
    } else {
        LN_RATIO_NOT_CONVERGING
    }
}

/// Number of coefficients of the median.
pub const NX: usize = 17;
/// Number of coefficients of the log-spread.
pub const NS: usize = 5;
/// Number of coefficients of the log-odds of "never".
pub const NW: usize = 13;

/// One verdict's parameters: the median's coefficients `beta`, the log-spread's `gamma`, and
/// the log-odds that the work never finishes, `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub beta: [f64; NX],
    pub gamma: [f64; NS],
    pub alpha: [f64; NW],
}

/// Log-odds of "never" in [`Params::LINDY`]: practically zero.
const NO_NEVER: f64 = -12.0;

impl Params {
    /// Gott's rule: median remaining = elapsed, log-logistic with unit scale, always finishes.
    pub const LINDY: Params = Params {
        beta: [0.0; NX],
        gamma: [0.0; NS],
        alpha: [NO_NEVER, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    };

    fn pack(&self) -> Vec<f64> {
        self.beta.iter().chain(self.gamma.iter()).chain(self.alpha.iter()).copied().collect()
    }

    fn unpack(v: &[f64]) -> Params {
        let mut p = Params::LINDY;
        p.beta.copy_from_slice(&v[..NX]);
        p.gamma.copy_from_slice(&v[NX..NX + NS]);
        p.alpha.copy_from_slice(&v[NX + NS..]);
        p
    }
}

fn ln_weeks(w: f64) -> f64 {
    w.max(1.0 / 7.0).ln()
}

/// The feature values every part of the model reads.
struct Terms {
    lt: f64,
    ic: f64,
    lc: f64,
    ip: f64,
    lp: f64,
    iq: f64,
    lq: f64,
    reach: f64,
    ik: f64,
    lr: f64,
    still: f64,
    ln_n: f64,
    /// The median's reading of the number of dates: ln(dates), for converging work weighted by
    /// the share of dates on which the value moved, for stalled work without any net progress
    /// counted at [`STILL_DATES_WEIGHT`] (see [`design`]).
    ln_n_median: f64,
    left: f64,
    rise: f64,
    quiet: f64,
    /// ln of the harmonic number of the items left: when each item is found or closed at its
    /// own random time, the last of R takes about H(R) = 1 + 1/2 + … + 1/R times as long as
    /// an average one (the long tail of the last few items).
    tail: f64,
    width: f64,
    /// For counts: ½·ln(1/R + 1/K), R items left and K closed so far (from the largest gap
    /// seen), the log coefficient of variation of the time to close R items at a Poisson rate
    /// learned from K: many items closed and many left make a sure pace, a few of each a
    /// guess. See [`spread_design`].
    count_cv: f64,
}

fn terms(f: &Features) -> Terms {
    let lt = ln_weeks(f.elapsed_weeks);
    let (ic, lc) = match f.curve_p50_weeks {
        Some(w) => (1.0, (ln_weeks(w) - lt).clamp(-6.0, 6.0)),
        None => (0.0, 0.0),
    };
    let (ip, lp) = match f.pace_weeks {
        Some(w) => (1.0, (ln_weeks(w) - lt).clamp(-6.0, 6.0)),
        None => (0.0, 0.0),
    };
    let (iq, lq) = match f.recent_pace_weeks {
        Some(w) => (1.0, (ln_weeks(w) - lt).clamp(-6.0, 6.0)),
        None => (0.0, 0.0),
    };
    let (ik, lr) = if f.count_like { (1.0, (1.0 + f.remaining.max(0.0)).ln()) } else { (0.0, 0.0) };
    let width = match (f.curve_p10_weeks, f.curve_p90_weeks) {
        (Some(a), Some(b)) => (ln_weeks(b) - ln_weeks(a)).clamp(0.0, 8.0),
        _ => 0.0,
    };
    Terms {
        lt,
        ic,
        lc,
        ip,
        lp,
        iq,
        lq,
        reach: f.p_reach.clamp(0.0, 1.0),
        ik,
        lr,
        still: f.still_share,
        ln_n: (f.n_dates.max(1) as f64).ln(),
        ln_n_median: {
            let ln_n = (f.n_dates.max(1) as f64).ln();
            match f.status {
                Status::Converging => (1.0 - f.still_share.clamp(0.0, 1.0)) * ln_n,
                Status::Stalled if f.pace_weeks.is_none() => STILL_DATES_WEIGHT * ln_n,
                _ => ln_n,
            }
        },
        left: f.left_share.clamp(1e-3, 1.0).ln(),
        rise: f.rise.clamp(0.0, 3.0),
        quiet: f.quiet.clamp(0.0, 1.0),
        tail: {
            let r = f.remaining.clamp(1.0, 1e6);
            (r.ln() + 0.577_215_664_9 + 0.5 / r).ln()
        },
        width,
        count_cv: {
            let r = f.remaining.max(1.0);
            let k = (r / f.left_share.clamp(1e-3, 1.0) - r).max(1.0);
            0.5 * (1.0 / r + 1.0 / k).ln()
        },
    }
}

/// How much the dates of stalled work with no net progress at all (no average pace) count in
/// the median, against 1 for stalled work that has moved toward its target.
///
/// Read weekly, ln(dates) stands in for the elapsed time, and the synthetic histories (lives
/// drawn from bounded ranges) teach that a long-tracked count is near its end; for a count that
/// has never moved that lesson dated a weekly-read count as if it would finish sooner than it
/// has been tracked (12.5% of the barely-moving and flat series got a p50 before their data
/// ended at mid-life, 9 of 72). Counting those dates at three quarters takes that to 4 of 72
/// and keeps the steady burn-downs judged stalled (Tomcat 5: they have a pace, and keep the full
/// weight) in their band: Tomcat + printer's stalled p50 hit goes from 52% to 59%, but at one
/// half to 63% and at zero to 70% (`examples/forecast_eval`; weights from 0 to 0.75 compared on
/// the check halves, a mild selection).
const STILL_DATES_WEIGHT: f64 = 0.75;

/// The median's design vector. The median is `ln(elapsed) + beta · design`: every feature is
/// a ratio of times or has no unit, so stretching the time axis stretches every forecast by the
/// same factor (weeks or days, a fast team or a slow one: the model does not care).
///
/// The number of dates enters the median of converging work weighted by the share of dates on
/// which the value moved. Read weekly, ln(dates) is nearly ln(elapsed), and the synthetic
/// histories, whose lives are drawn from bounded ranges, teach that long-tracked work is near
/// its end (coefficient about −0.55); a count that moves on only some of its dates (defect
/// discovery: a find every other week) was then dated as if nearly done after a long history.
/// Dates on which nothing moved say nothing of the pace, so they no longer count: on
/// Musa/DACS's checked half the p50 hit went from 39% to 47% (converging 34% → 43%), pinball
/// from 1.12× to 0.98× the throughput method (`examples/forecast_eval`). Not for stalled work:
/// the same weighting there (or dropping the dates altogether) dates the steady burn-downs
/// judged stalled late (Tomcat 5's p50 hit 52% → 74%), although it fixes the barely-moving
/// counts and Rhino's areas (see docs/forecast.md, known shortfalls). Stalled work that has
/// made no net progress at all counts its dates at [`STILL_DATES_WEIGHT`].
fn design(t: &Terms) -> [f64; NX] {
    [
        1.0,
        t.ik * t.still * t.lr,
        t.ic,
        t.ic * t.lc,
        t.ip,
        t.ip * t.lp,
        t.ik,
        t.ik * t.lr,
        t.still,
        t.ln_n_median,
        t.left,
        t.rise,
        t.iq,
        t.iq * t.lq,
        t.reach,
        t.quiet,
        t.ik * t.tail,
    ]
}

/// The spread's design vector.
///
/// The last term widens the range of a count that has closed few items or has few left, and
/// narrows that of a backlog with many of both. Tried before the synthetic `backlog` family
/// joined the fit and not kept (the fit had only a few real backlogs to learn it from); with
/// it, fitted +0.05 for converging and +0.27 for stalled counts: on the tuned halves Musa/DACS's
/// pinball went from 0.61× to 0.56× the throughput method and its finished work with p50 =
/// never from 7 to 5 of 36, Rhino's p10–p90 coverage from 72% to 79% (docs/forecast.md).
fn spread_design(t: &Terms) -> [f64; NS] {
    [1.0, t.ic, t.ic * t.width, t.ik, t.ik * t.count_cv]
}

/// The "never" log-odds' design vector.
fn never_design(t: &Terms) -> [f64; NW] {
    [1.0, t.ik, t.ik * t.lr, t.still, t.left, t.rise, t.ip, t.ic, t.ik * t.still, t.ln_n, t.iq, t.reach, t.quiet]
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The model for one set of features: location and scale of ln(remaining weeks) for work that
/// finishes, and the probability that it never does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Law {
    pub mu: f64,
    pub scale: f64,
    pub p_never: f64,
}

/// The law these parameters give these features.
pub fn law(p: &Params, f: &Features) -> Law {
    let t = terms(f);
    let mu = t.lt + dot(&p.beta, &design(&t)).clamp(ratio_floor(f), LN_RATIO.1);
    let ls = dot(&p.gamma, &spread_design(&t)).clamp(LN_SCALE.0, LN_SCALE.1);
    let a = dot(&p.alpha, &never_design(&t)).clamp(-30.0, 30.0);
    Law { mu, scale: ls.exp(), p_never: logistic(a) }
}

/// P(done within `weeks`).
pub fn cdf(p: &Params, f: &Features, weeks: f64) -> f64 {
    if weeks <= 0.0 {
        return 0.0;
    }
    let l = law(p, f);
    (1.0 - l.p_never) * logistic((weeks.ln() - l.mu) / l.scale)
}

/// The remaining weeks by which the work is done with probability `tau`; None when the work
/// may never finish with probability above `1 − tau`.
pub fn quantile(p: &Params, f: &Features, tau: f64) -> Option<f64> {
    law(p, f).quantile(tau)
}

impl Law {
    /// [`quantile`] of this law: the same number, without working the law out again (dating
    /// one forecast takes a quantile per simulated path).
    pub fn quantile(&self, tau: f64) -> Option<f64> {
        let l = self;
        let finish = 1.0 - l.p_never;
        if tau >= finish {
            return None;
        }
        let u = (tau / finish).clamp(1e-12, 1.0 - 1e-12);
        let w = (l.mu + l.scale * (u / (1.0 - u)).ln()).exp();
        w.is_finite().then_some(w)
    }
}

fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^x) without overflow.
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// A training case: the features at a cut and what happened after it, in weeks after the cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case {
    pub features: Features,
    /// Done this many weeks after the cut, or (when `done` is false) still not done then.
    pub weeks: f64,
    pub done: bool,
    /// How much the case counts in a fit (data sets of different sizes are balanced).
    pub weight: f64,
}

/// Negative mean log-likelihood of the cases under `p` and its gradient. A finished case
/// contributes (1 − π)·f(t); a case not done by `weeks` contributes π + (1 − π)·S(weeks).
pub fn objective(p: &Params, cases: &[Case], grad: Option<&mut Vec<f64>>) -> f64 {
    let mut g = vec![0.0; NX + NS + NW];
    let mut nll = 0.0;
    let mut total = 0.0;
    for c in cases {
        let t = terms(&c.features);
        let (x, zs, w) = (design(&t), spread_design(&t), never_design(&t));
        // The same bounds as `law`; the gradient is the unbounded one, which only matters for
        // a fit that presses against them (a ridge keeps it away).
        let mu = t.lt + dot(&p.beta, &x).clamp(ratio_floor(&c.features), LN_RATIO.1);
        let ls = dot(&p.gamma, &zs).clamp(LN_SCALE.0, LN_SCALE.1);
        let s = ls.exp();
        let a = dot(&p.alpha, &w).clamp(-30.0, 30.0);
        let pi = logistic(a);
        let z = (ln_weeks(c.weeks) - mu) / s;
        let sig = logistic(z);
        // d(ln L)/dμ, d(ln L)/d(ln s), d(ln L)/da
        let (ll, d_mu, d_ls, d_a) = if c.done {
            // ln(1 − π) − z − 2·softplus(−z) − ln s
            let ll = -softplus(a) - z - 2.0 * softplus(-z) - ls;
            let dz = 1.0 - 2.0 * sig;
            (ll, -dz / s, -dz * z - 1.0, -pi)
        } else {
            let surv = 1.0 - sig;
            let like = (pi + (1.0 - pi) * surv).max(1e-300);
            let dl_dz = -(1.0 - pi) * sig * surv;
            (like.ln(), dl_dz / like * (-1.0 / s), dl_dz / like * (-z), (1.0 - surv) * pi * (1.0 - pi) / like)
        };
        nll -= c.weight * ll;
        total += c.weight;
        for (j, xj) in x.iter().enumerate() {
            g[j] -= c.weight * d_mu * xj;
        }
        for (k, zk) in zs.iter().enumerate() {
            g[NX + k] -= c.weight * d_ls * zk;
        }
        for (m, wm) in w.iter().enumerate() {
            g[NX + NS + m] -= c.weight * d_a * wm;
        }
    }
    let total = total.max(1e-300);
    if let Some(out) = grad {
        *out = g.into_iter().map(|v| v / total).collect();
    }
    nll / total
}

/// Negative mean log-likelihood of the cases under `p`.
pub fn neg_log_likelihood(p: &Params, cases: &[Case]) -> f64 {
    objective(p, cases, None)
}

/// Fits one verdict's parameters by maximum likelihood (L-BFGS from Gott's rule), with a
/// ridge toward Gott's rule so that a feature the cases never vary keeps a neutral
/// coefficient and a small verdict cannot run away.
pub fn fit(cases: &[Case], ridge: f64) -> Params {
    let prior = Params::LINDY.pack();
    let f = |v: &[f64], g: &mut Vec<f64>| -> f64 {
        let val = objective(&Params::unpack(v), cases, Some(g));
        let mut pen = 0.0;
        for (i, (a, b)) in v.iter().zip(&prior).enumerate() {
            // The intercept of "never" starts far out; no pull on it.
            if i == NX + NS {
                continue;
            }
            pen += ridge * (a - b) * (a - b);
            g[i] += 2.0 * ridge * (a - b);
        }
        val + pen
    };
    let mut x0 = prior.clone();
    // Start "never" at the share of cases not done, so that L-BFGS starts in a sane basin.
    let w: f64 = cases.iter().map(|c| c.weight).sum();
    let open: f64 = cases.iter().filter(|c| !c.done).map(|c| c.weight).sum();
    let share = (open / w.max(1e-300)).clamp(0.01, 0.99) * 0.5;
    x0[NX + NS] = (share / (1.0 - share)).ln();
    Params::unpack(&lbfgs(&f, &x0, 500))
}

/// L-BFGS minimisation (memory 8, backtracking Armijo line search).
pub fn lbfgs(f: &dyn Fn(&[f64], &mut Vec<f64>) -> f64, x0: &[f64], max_iter: usize) -> Vec<f64> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut hist: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = Default::default();
    for _ in 0..max_iter {
        // Two-loop recursion for the search direction.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, y, rho) in hist.iter().rev() {
            let a = rho * s.iter().zip(&q).map(|(a, b)| a * b).sum::<f64>();
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        if let Some((s, y, _)) = hist.back() {
            let yy: f64 = y.iter().map(|v| v * v).sum();
            let sy: f64 = s.iter().zip(y).map(|(a, b)| a * b).sum();
            let gamma = if yy > 0.0 { sy / yy } else { 1.0 };
            q.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let gn = g.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
            q.iter_mut().for_each(|v| *v /= gn);
        }
        for ((s, y, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let b = rho * y.iter().zip(&q).map(|(a, b)| a * b).sum::<f64>();
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            hist.clear();
            d = g.iter().map(|v| -v).collect();
            slope = -g.iter().map(|v| v * v).sum::<f64>();
        }
        if slope.abs() < 1e-14 {
            break;
        }
        let mut step = 1.0;
        let mut g_new = vec![0.0; n];
        let mut accepted = None;
        for _ in 0..40 {
            let x_new: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + step * b).collect();
            let f_new = f(&x_new, &mut g_new);
            if f_new.is_finite() && f_new <= fx + 1e-4 * step * slope {
                accepted = Some((x_new, f_new));
                break;
            }
            step *= 0.5;
        }
        let Some((x_new, f_new)) = accepted else { break };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy > 1e-12 {
            if hist.len() == 8 {
                hist.pop_front();
            }
            hist.push_back((s, y, 1.0 / sy));
        }
        let improvement = fx - f_new;
        x = x_new;
        g.clone_from(&g_new);
        fx = f_new;
        if improvement.abs() < 1e-11 * (1.0 + fx.abs()) {
            break;
        }
    }
    x
}

/// Kaplan–Meier estimate of a distribution from (value, observed, weight) triples, values not
/// observed being censored (the truth is above them): the steps (value, CDF just after it), in
/// increasing value.
pub fn km_curve(mut obs: Vec<(f64, bool, f64)>) -> Vec<(f64, f64)> {
    // Events before censorings at equal values, as Kaplan–Meier requires.
    obs.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk: f64 = obs.iter().map(|o| o.2).sum();
    let mut surv = 1.0;
    let mut steps = Vec::new();
    for (u, event, w) in obs {
        if event && at_risk > 0.0 {
            surv *= 1.0 - w / at_risk;
            steps.push((u, 1.0 - surv));
        }
        at_risk -= w;
    }
    steps
}

/// The Kaplan–Meier CDF at `x`.
pub fn km_at(steps: &[(f64, f64)], x: f64) -> f64 {
    steps.iter().take_while(|(u, _)| *u <= x).last().map_or(0.0, |s| s.1)
}

/// The level correction that makes `model_cdf` calibrated on `cases`: for each nominal level
/// in `levels`, the model level that the truth fell at or below that share of the time. The
/// distribution of the truth's model level (its PIT) is estimated by Kaplan–Meier, so censored
/// cases count as "above their censoring level". Returns (nominal, model) knots.
pub fn level_knots(cases: &[Case], model_cdf: &dyn Fn(&Case) -> f64, levels: &[f64]) -> Vec<(f64, f64)> {
    level_knots_of_pits(cases.iter().map(|c| (model_cdf(c).clamp(0.0, 1.0), c.done, c.weight)).collect(), levels)
}

/// [`level_knots`] from (PIT, observed, weight) triples.
pub fn level_knots_of_pits(pits: Vec<(f64, bool, f64)>, levels: &[f64]) -> Vec<(f64, f64)> {
    let steps = km_curve(pits);
    let mut knots = Vec::new();
    let mut last_m = 0.0;
    for &tau in levels {
        // Smallest PIT whose estimated CDF reaches tau; beyond the data, extrapolate on the
        // diagonal (the model's own level), never below the previous knot.
        let m = match steps.iter().find(|(_, c)| *c >= tau) {
            Some((u, _)) => *u,
            None => {
                let (u_last, c_last) = steps.last().copied().unwrap_or((0.0, 0.0));
                u_last + (tau - c_last).max(0.0) * (1.0 - u_last) / (1.0 - c_last).max(1e-9)
            }
        };
        let m = m.clamp(last_m + 1e-6, 1.0 - 1e-6);
        knots.push((tau, m));
        last_m = m;
    }
    knots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(elapsed: f64) -> Features {
        Features {
            status: Status::Stalled,
            elapsed_weeks: elapsed,
            curve_p50_weeks: None,
            curve_p10_weeks: None,
            curve_p90_weeks: None,
            pace_weeks: None,
            recent_pace_weeks: None,
            p_reach: 0.0,
            count_like: false,
            remaining: 1.0,
            still_share: 0.0,
            n_dates: 1,
            left_share: 1.0,
            rise: 0.0,
            quiet: 0.0,
        }
    }

    #[test]
    fn gotts_rule_quantiles() {
        // Median = elapsed; P(remaining ≤ x·elapsed) = x / (1 + x): p10 = elapsed/9, p90 = 9·elapsed.
        let f = features(20.0);
        let q = |tau| quantile(&Params::LINDY, &f, tau).unwrap();
        assert!((q(0.5) - 20.0).abs() < 1e-3);
        assert!((q(0.1) - 20.0 / 9.0).abs() < 1e-3);
        assert!((q(0.9) / 180.0 - 1.0).abs() < 1e-3);
        assert!((cdf(&Params::LINDY, &f, 60.0) - 0.75).abs() < 1e-5);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let cases: Vec<Case> = (1..40)
            .map(|i| Case {
                features: Features { count_like: i % 2 == 0, remaining: i as f64, ..features(i as f64) },
                weeks: (i % 7 + 1) as f64,
                done: i % 3 != 0,
                weight: 1.0,
            })
            .collect();
        let mut p = Params::LINDY;
        p.alpha[0] = -1.0;
        p.alpha[2] = 0.3;
        p.gamma[0] = -0.2;
        p.beta[7] = 0.2;
        let v = p.pack();
        let mut g = Vec::new();
        objective(&p, &cases, Some(&mut g));
        for i in 0..v.len() {
            let h = 1e-6;
            let mut up = v.clone();
            up[i] += h;
            let mut dn = v.clone();
            dn[i] -= h;
            let num = (objective(&Params::unpack(&up), &cases, None) - objective(&Params::unpack(&dn), &cases, None))
                / (2.0 * h);
            assert!((num - g[i]).abs() < 1e-5 * (1.0 + num.abs()), "coefficient {i}: {num} vs {}", g[i]);
        }
    }

    #[test]
    fn maximum_likelihood_recovers_a_known_model() {
        // Remaining ~ log-logistic(μ = ln(elapsed) + 0.7, s = 0.5), a third censored at 2·elapsed.
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let cases: Vec<Case> = (0..3000)
            .map(|_| {
                let e: f64 = rng.random_range(4.0..80.0);
                let u: f64 = rng.random_range(1e-6..1.0 - 1e-6);
                let t = (e.ln() + 0.7 + 0.5 * (u / (1.0 - u)).ln()).exp();
                let c = 3.0 * e;
                Case { features: features(e), weeks: t.min(c), done: t <= c, weight: 1.0 }
            })
            .collect();
        let p = fit(&cases, 0.0);
        let l = law(&p, &features(10.0));
        assert!((l.mu - (10f64.ln() + 0.7)).abs() < 0.08, "mu {}", l.mu);
        assert!((l.scale - 0.5).abs() < 0.05, "s {}", l.scale);
        assert!(l.p_never < 0.05, "never {}", l.p_never);
    }

    /// A count with `left` items left of `left + closed` at the start.
    fn count(elapsed: f64, left: f64, closed: f64) -> Features {
        Features { count_like: true, remaining: left, left_share: left / (left + closed), ..features(elapsed) }
    }

    /// Remaining times whose log-spread grows with ½·ln(1/R + 1/K) (few items left or closed:
    /// a guess; many of both: a sure pace) are fitted back: the count-process term of the
    /// spread carries the difference between a small count and a large backlog.
    #[test]
    fn maximum_likelihood_recovers_the_count_process_spread() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let true_scale = |f: &Features| (-0.4 + 0.3 * terms(f).count_cv).exp();
        let cases: Vec<Case> = (0..4000)
            .map(|_| {
                let e: f64 = rng.random_range(4.0..80.0);
                let f = count(e, rng.random_range(1..400) as f64, rng.random_range(1..400) as f64);
                let u: f64 = rng.random_range(1e-6..1.0 - 1e-6);
                let t = (e.ln() + true_scale(&f) * (u / (1.0 - u)).ln()).exp();
                Case { features: f, weeks: t, done: true, weight: 1.0 }
            })
            .collect();
        let p = fit(&cases, 1e-4);
        for f in [count(10.0, 2.0, 2.0), count(10.0, 300.0, 300.0)] {
            let (got, want) = (law(&p, &f).scale, true_scale(&f));
            assert!(
                (got / want - 1.0).abs() < 0.1,
                "scale {got} for {want} (R {}, share left {})",
                f.remaining,
                f.left_share
            );
        }
        assert!(law(&p, &count(10.0, 300.0, 300.0)).scale < 0.5 * law(&p, &count(10.0, 2.0, 2.0)).scale);
    }
}
