//! Candidate curve shapes for the remaining gap, and their least-squares fits.
//!
//! Time `t` is in weeks relative to the last observed date (so observed times are <= 0 and the
//! future is > 0): the present value of every curve is then simply `eval(0)`, and extrapolation
//! never has to pass through large exponents of distant times.
//!
//! Every shape is linear in its level `c` and amplitude `A` once its nonlinear parameters are
//! fixed, so the nonlinear ones are found by a small grid plus local refinement of the profiled
//! residual sum of squares. That is robust (no starting values to guess) and cheap.

/// The shapes the forecast weighs against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// gap = a + b·t
    Linear,
    /// gap = c + A·exp(−k·t): approach to a floor `c` (a plateau short of target when c > tolerance).
    Exponential,
    /// gap = c + A / (1 + exp(k·(t − t0))): an S-curve from c + A down to c.
    Logistic,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Linear, Shape::Exponential, Shape::Logistic];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::Exponential => "exponential",
            Shape::Logistic => "logistic",
        }
    }

    /// Number of curve parameters.
    pub fn n_params(self) -> usize {
        match self {
            Shape::Linear => 2,
            Shape::Exponential => 3,
            Shape::Logistic => 4,
        }
    }
}

/// A curve with its parameters.
///
/// Layouts: Linear `[a, b]`; Exponential `[c, A, ln k]`; Logistic `[c, A, ln k, t0]`.
/// Rates are kept as logarithms so that sampled parameters can never flip a decay into growth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    pub shape: Shape,
    pub params: [f64; 4],
}

impl Curve {
    pub fn eval(&self, t: f64) -> f64 {
        let p = &self.params;
        match self.shape {
            Shape::Linear => p[0] + p[1] * t,
            Shape::Exponential => p[0] + p[1] * exp_basis(p[2].exp(), t),
            Shape::Logistic => p[0] + p[1] * logistic_basis(p[2].exp(), p[3], t),
        }
    }

    /// Gradient of `eval(t)` with respect to the parameters (analytic).
    pub fn grad(&self, t: f64) -> [f64; 4] {
        let p = &self.params;
        match self.shape {
            Shape::Linear => [1.0, t, 0.0, 0.0],
            Shape::Exponential => {
                let k = p[2].exp();
                let e = exp_basis(k, t);
                // d/d(ln k) of A·exp(−k t) = A·e·(−k t)
                [1.0, e, p[1] * e * (-k * t), 0.0]
            }
            Shape::Logistic => {
                let k = p[2].exp();
                let s = logistic_basis(k, p[3], t);
                // s = 1/(1+u), u = exp(k (t − t0)); ds/du = −s²; du = u·(…)
                let ds = -s * (1.0 - s); // = −s²·u
                [1.0, s, p[1] * ds * k * (t - p[3]), p[1] * ds * (-k)]
            }
        }
    }

    /// The level the curve approaches far in the future (None for a line).
    pub fn floor(&self) -> Option<f64> {
        match self.shape {
            Shape::Linear => None,
            Shape::Exponential | Shape::Logistic => Some(self.params[0]),
        }
    }
}

fn exp_basis(k: f64, t: f64) -> f64 {
    (-k * t).exp().min(1e300)
}

fn logistic_basis(k: f64, t0: f64, t: f64) -> f64 {
    let u = (k * (t - t0)).clamp(-700.0, 700.0);
    1.0 / (1.0 + u.exp())
}

/// A least-squares fit of one shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveFit {
    pub curve: Curve,
    pub rss: f64,
}

/// Ordinary least squares of y on [1, b(t)]; returns (c, A, rss).
fn ls_two(b: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = y.len() as f64;
    let mb = b.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let mut sbb = 0.0;
    let mut sby = 0.0;
    for (bi, yi) in b.iter().zip(y) {
        sbb += (bi - mb) * (bi - mb);
        sby += (bi - mb) * (yi - my);
    }
    if sbb <= 0.0 || !sbb.is_finite() {
        return None;
    }
    let a = sby / sbb;
    let c = my - a * mb;
    let rss: f64 = b
        .iter()
        .zip(y)
        .map(|(bi, yi)| {
            let r = yi - c - a * bi;
            r * r
        })
        .sum();
    if !(c.is_finite() && a.is_finite() && rss.is_finite()) {
        return None;
    }
    Some((c, a, rss))
}

/// Straight line by ordinary least squares.
pub fn fit_linear(t: &[f64], y: &[f64]) -> Option<CurveFit> {
    let (a, b, rss) = ls_two(t, y)?;
    Some(CurveFit { curve: Curve { shape: Shape::Linear, params: [a, b, 0.0, 0.0] }, rss })
}

fn span(t: &[f64]) -> f64 {
    let lo = t.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (hi - lo).max(1e-9)
}

/// Profiled RSS of the exponential shape at rate exp(lk).
fn exp_profile(t: &[f64], y: &[f64], lk: f64, buf: &mut Vec<f64>) -> Option<(f64, f64, f64)> {
    let k = lk.exp();
    buf.clear();
    buf.extend(t.iter().map(|&ti| exp_basis(k, ti)));
    ls_two(buf, y)
}

/// Exponential approach to a floor. `None` when the best rate sits at the slow end of the
/// range — the data are then a straight line and the line model already says it better.
pub fn fit_exponential(t: &[f64], y: &[f64]) -> Option<CurveFit> {
    if t.len() < 4 {
        return None;
    }
    let tspan = span(t);
    // Rates from "a tenth of a time constant over the whole span" to "10 time constants":
    // slower is a line; faster is a step near the first readings, which fits a single early
    // drop rather than a shape, and extrapolates as a spurious plateau.
    let lo = (0.1 / tspan).ln();
    let hi = (10.0 / tspan).ln();
    let m = 24;
    let mut buf = Vec::with_capacity(t.len());
    let mut best: Option<(usize, f64)> = None;
    let grid: Vec<f64> = (0..m).map(|i| lo + (hi - lo) * i as f64 / (m - 1) as f64).collect();
    for (i, &lk) in grid.iter().enumerate() {
        if let Some((_, _, rss)) = exp_profile(t, y, lk, &mut buf) {
            if best.is_none_or(|(_, b)| rss < b) {
                best = Some((i, rss));
            }
        }
    }
    let (bi, _) = best?;
    if bi == 0 {
        return None;
    }
    let a = grid[bi - 1];
    let b = grid[(bi + 1).min(m - 1)];
    let lk = golden(a, b, |lk| exp_profile(t, y, lk, &mut buf).map_or(f64::INFINITY, |r| r.2));
    let (c, amp, rss) = exp_profile(t, y, lk, &mut buf)?;
    Some(CurveFit { curve: Curve { shape: Shape::Exponential, params: [c, amp, lk, 0.0] }, rss })
}

fn logistic_profile(t: &[f64], y: &[f64], lk: f64, t0: f64, buf: &mut Vec<f64>) -> Option<(f64, f64, f64)> {
    let k = lk.exp();
    buf.clear();
    buf.extend(t.iter().map(|&ti| logistic_basis(k, t0, ti)));
    ls_two(buf, y)
}

/// S-curve with a free floor and amplitude. Grid over (ln k, t0), then Nelder–Mead.
pub fn fit_logistic(t: &[f64], y: &[f64]) -> Option<CurveFit> {
    if t.len() < 5 {
        return None;
    }
    let tspan = span(t);
    let tmin = t.iter().copied().fold(f64::INFINITY, f64::min);
    let mut buf = Vec::with_capacity(t.len());
    let f = |x: [f64; 2], buf: &mut Vec<f64>| logistic_profile(t, y, x[0], x[1], buf).map_or(f64::INFINITY, |r| r.2);
    let (klo, khi) = ((1.0 / tspan).ln(), (20.0 / tspan).ln());
    // The midpoint may lie well before the data (we see only the tail) or after it
    // (we see only the start of the S).
    let (tlo, thi) = (tmin - 0.5 * tspan, 0.75 * tspan);
    let (nk, nt) = (6, 10);
    let mut best = ([0.0; 2], f64::INFINITY);
    for i in 0..nk {
        let lk = klo + (khi - klo) * i as f64 / (nk - 1) as f64;
        for j in 0..nt {
            let t0 = tlo + (thi - tlo) * j as f64 / (nt - 1) as f64;
            let v = f([lk, t0], &mut buf);
            if v < best.1 {
                best = ([lk, t0], v);
            }
        }
    }
    if !best.1.is_finite() {
        return None;
    }
    let step = [(khi - klo) / (nk - 1) as f64, (thi - tlo) / (nt - 1) as f64];
    let x = nelder_mead(best.0, step, 100, |x| {
        // Keep the search inside a sane box: outside it the S is a line or a step.
        if x[0] < klo - 1.0 || x[0] > khi + 1.0 || x[1] < tlo - tspan || x[1] > thi + tspan {
            f64::INFINITY
        } else {
            f(x, &mut buf)
        }
    });
    let (c, amp, rss) = logistic_profile(t, y, x[0], x[1], &mut buf)?;
    Some(CurveFit { curve: Curve { shape: Shape::Logistic, params: [c, amp, x[0], x[1]] }, rss })
}

/// Golden-section minimisation on [a, b].
fn golden(mut a: f64, mut b: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = f(c);
    let mut fd = f(d);
    for _ in 0..40 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    if fc < fd {
        c
    } else {
        d
    }
}

/// Plain 2-D Nelder–Mead; enough for a profiled two-parameter problem.
fn nelder_mead(x0: [f64; 2], step: [f64; 2], iters: usize, mut f: impl FnMut([f64; 2]) -> f64) -> [f64; 2] {
    let mut s = [x0, [x0[0] + step[0], x0[1]], [x0[0], x0[1] + step[1]]];
    let mut v = [f(s[0]), f(s[1]), f(s[2])];
    for _ in 0..iters {
        // Converged: the simplex values agree to rounding (noiseless data), or the simplex
        // has shrunk below anything that changes a forecast.
        let (vmin, vmax) = (v[0].min(v[1]).min(v[2]), v[0].max(v[1]).max(v[2]));
        let size = (s[1][0] - s[0][0]).abs().max((s[2][0] - s[0][0]).abs())
            + (s[1][1] - s[0][1]).abs().max((s[2][1] - s[0][1]).abs());
        if vmax - vmin <= 1e-9 * vmin.abs() || size < 1e-9 {
            break;
        }
        // order
        let mut idx = [0usize, 1, 2];
        idx.sort_by(|&a, &b| v[a].partial_cmp(&v[b]).unwrap_or(std::cmp::Ordering::Equal));
        s = [s[idx[0]], s[idx[1]], s[idx[2]]];
        v = [v[idx[0]], v[idx[1]], v[idx[2]]];
        let c = [(s[0][0] + s[1][0]) / 2.0, (s[0][1] + s[1][1]) / 2.0];
        let at = |a: f64| [c[0] + a * (s[2][0] - c[0]), c[1] + a * (s[2][1] - c[1])];
        let xr = at(-1.0);
        let fr = f(xr);
        if fr < v[0] {
            let xe = at(-2.0);
            let fe = f(xe);
            if fe < fr {
                s[2] = xe;
                v[2] = fe;
            } else {
                s[2] = xr;
                v[2] = fr;
            }
        } else if fr < v[1] {
            s[2] = xr;
            v[2] = fr;
        } else {
            let xc = at(0.5);
            let fc = f(xc);
            if fc < v[2] {
                s[2] = xc;
                v[2] = fc;
            } else {
                for i in 1..3 {
                    s[i] = [s[0][0] + 0.5 * (s[i][0] - s[0][0]), s[0][1] + 0.5 * (s[i][1] - s[0][1])];
                    v[i] = f(s[i]);
                }
            }
        }
    }
    let mut bi = 0;
    for i in 1..3 {
        if v[i] < v[bi] {
            bi = i;
        }
    }
    s[bi]
}

/// Fit one shape.
pub fn fit(shape: Shape, t: &[f64], y: &[f64]) -> Option<CurveFit> {
    match shape {
        Shape::Linear => fit_linear(t, y),
        Shape::Exponential => fit_exponential(t, y),
        Shape::Logistic => fit_logistic(t, y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        let curves = [
            Curve { shape: Shape::Exponential, params: [0.5, 2.0, (0.3f64).ln(), 0.0] },
            Curve { shape: Shape::Logistic, params: [-0.2, 3.0, (0.5f64).ln(), 1.5] },
        ];
        for c in curves {
            for &t in &[-5.0, -1.0, 0.0, 2.0] {
                let g = c.grad(t);
                for (j, gj) in g.iter().enumerate().take(c.shape.n_params()) {
                    let h = 1e-6;
                    let mut cp = c;
                    cp.params[j] += h;
                    let mut cm = c;
                    cm.params[j] -= h;
                    let fd = (cp.eval(t) - cm.eval(t)) / (2.0 * h);
                    assert!((fd - gj).abs() < 1e-5, "{:?} t={t} j={j}", c.shape);
                }
            }
        }
    }
}
