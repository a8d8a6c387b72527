#!/usr/bin/env python3
"""Independent reference values for limfac's forecast tests (tests/it/forecast_reference.rs).

Python 3 standard library only (no numpy), written from the textbook definitions rather than
from the Rust code, so that the Rust tests check against a second implementation:

- Mann-Kendall S, Var(S) with the tie correction, Z with continuity correction, two-sided p.
- Theil-Sen slope (median of pairwise slopes).
- First day on which three noiseless curves (linear, exponential approach, logistic S-curve),
  sampled weekly from 2024-01-01, come within tolerance 0 of target 0.

Run:  python3 scripts/forecast_reference.py
"""

import datetime
import math
import statistics

START = datetime.date(2024, 1, 1)

# A series with ties and a downward drift; t in weeks (uneven spacing on purpose).
MK_T = [0, 1, 2, 3, 5, 6, 7, 9, 10, 12]
MK_Y = [10.0, 9.5, 9.8, 9.5, 8.7, 9.0, 8.1, 8.1, 7.4, 7.9]


def mann_kendall(y):
    n = len(y)
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            d = y[j] - y[i]
            s += (d > 0) - (d < 0)
    var = n * (n - 1) * (2 * n + 5)
    for v in set(y):
        t = y.count(v)
        if t > 1:
            var -= t * (t - 1) * (2 * t + 5)
    var /= 18.0
    if s > 0:
        z = (s - 1) / math.sqrt(var)
    elif s < 0:
        z = (s + 1) / math.sqrt(var)
    else:
        z = 0.0
    p = math.erfc(abs(z) / math.sqrt(2))  # = 2 * (1 - Phi(|z|))
    return s, var, z, p


def theil_sen(t, y):
    slopes = [
        (y[j] - y[i]) / (t[j] - t[i])
        for i in range(len(t))
        for j in range(i + 1, len(t))
        if t[j] != t[i]
    ]
    return statistics.median(slopes)


def first_day(gap, n_obs):
    """First whole day after the last weekly observation with gap(t_weeks) <= 0."""
    last = n_obs - 1
    # Bisection on the continuous crossing, then the first whole day on or after it.
    lo, hi = float(last), float(last) + 1000.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if gap(mid) <= 0:
            hi = mid
        else:
            lo = mid
    day = math.ceil(hi * 7 - 1e-9)
    return START + datetime.timedelta(days=day), hi


CURVES = {
    "linear": lambda t: 100.0 - 3.0 * t,
    "exponential": lambda t: -10.0 + 110.0 * math.exp(-0.1 * t),
    "logistic": lambda t: -5.0 + 100.0 / (1.0 + math.exp(0.3 * (t - 10.0))),
}
N_OBS = 12

if __name__ == "__main__":
    s, var, z, p = mann_kendall(MK_Y)
    print(f"mann_kendall S = {s}")
    print(f"mann_kendall var_s = {var!r}")
    print(f"mann_kendall z = {z!r}")
    print(f"mann_kendall p = {p!r}")
    print(f"theil_sen slope = {theil_sen(MK_T, MK_Y)!r}")
    for name, f in CURVES.items():
        date, t = first_day(f, N_OBS)
        print(f"{name}: crossing at t = {t!r} weeks, first done day {date.isoformat()}")
