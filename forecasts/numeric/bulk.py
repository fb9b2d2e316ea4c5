"""Scoring many numeric forecasts at once: Metaculus's continuous baseline score and the CRPS of each 201-point CDF
in one compiled pass over its row (numba), for a platform's millions of forecasts.

The numpy versions (scores.log_scores_batch, scores.crps, scores.crps_linear) read every CDF three or four times
(squares, neighbour products, a tail sum, gathers); memory, not arithmetic, bounds them. Here each row is read
once, while it sits in the cache, and the outcome's bucket and segment are found once for both scores. Summation
order differs from numpy's (fastmath reassociation lets the loops vectorise), so results agree to rounding
(tests/test_numeric_maths.py holds them within 1e-9). Not on any interactive path: numba loads here only.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from forecasts.numeric.scale import INBOUND_OUTCOME_COUNT, Scale
from forecasts.numeric.scores import OUTSIDE_BASELINE, grid

FASTMATH = {"reassoc", "contract"}  # reorder sums (vectorise); no "nnan"/"ninf": a zero mass scores -inf


@nb.njit(cache=True, nogil=True, inline="always")
def _baseline(c: np.ndarray, u: float, base_inside: float) -> float:
    """Metaculus's continuous baseline score of one CDF at an outcome at unscaled location u: 100 ln(p / b) / 2,
    p the mass of the outcome's bucket (scores.bucket_index's rule), b the uniform's (0.05 beyond a bound)."""
    inbound = len(c) - 1
    if u < 0:
        p, base = c[0], OUTSIDE_BASELINE
    elif u > 1:
        p, base = 1.0 - c[inbound], OUTSIDE_BASELINE
    else:
        b = inbound if u == 1 else max(int(u * inbound + 1 - 1e-10), 1)
        p, base = c[b] - c[b - 1], base_inside
    return 50.0 * math.log(p / base)


@nb.njit(cache=True, nogil=True, fastmath=FASTMATH)
def _scores_even(
    cdfs: np.ndarray, ys: np.ndarray, us: np.ndarray, lo: float, hi: float, base_inside: float,
    baseline: np.ndarray, crps: np.ndarray,
) -> None:  # fmt: skip
    """Both scores of every row on evenly spaced points of [lo, hi] (a linear or date axis). CRPS =
    ∫ F² + (hi − y) − 2 ∫_y^hi F, each integral exact for F linear between the points: one loop over the row
    (squares and neighbour products), one over the part right of y; y beyond a bound counts as at the bound."""
    n = cdfs.shape[1] - 1
    h = (hi - lo) / n
    for i in range(cdfs.shape[0]):
        c = cdfs[i]
        baseline[i] = _baseline(c, us[i], base_inside)
        y = min(max(ys[i], lo), hi)
        pos = (y - lo) / h
        k = min(int(pos), n - 1)  # the segment holding y
        t = pos - k
        prev = c[0]
        sq = prev * prev
        cross = 0.0
        for j in range(1, n + 1):
            x = c[j]
            sq += x * x
            cross += prev * x
            prev = x
        tail = 0.0
        for j in range(k + 1, n + 1):
            tail += c[j]
        a, b, first, last = c[k], c[k + 1], c[0], c[n]
        int_f2 = h / 3 * (2 * sq - first * first - last * last + cross)
        right = h * (tail - (b + last) / 2)  # ∫ F from the point after y to hi
        part = h * (1 - t) * (a + (b - a) * t + b) / 2  # ∫ F from y to that point
        crps[i] = int_f2 + (hi - y) - 2 * (right + part)


@nb.njit(cache=True, nogil=True, fastmath=FASTMATH)
def _scores_grid(
    cdfs: np.ndarray, ys: np.ndarray, us: np.ndarray, xs: np.ndarray, base_inside: float,
    baseline: np.ndarray, crps: np.ndarray,
) -> None:  # fmt: skip
    """The same on any increasing grid xs (a log axis)."""
    n = len(xs) - 1
    dxs = xs[1:] - xs[:-1]
    for i in range(cdfs.shape[0]):
        c = cdfs[i]
        baseline[i] = _baseline(c, us[i], base_inside)
        y = min(max(ys[i], xs[0]), xs[n])
        k = min(max(np.searchsorted(xs, y, side="right") - 1, 0), n - 1)
        f2 = 0.0
        for j in range(n):
            a, b = c[j], c[j + 1]
            f2 += dxs[j] * (a * a + a * b + b * b)
        tail = 0.0
        for j in range(k + 1, n):
            tail += dxs[j] * (c[j] + c[j + 1])
        x0, x1, a, b = xs[k], xs[k + 1], c[k], c[k + 1]
        m = a + (b - a) * (y - x0) / (x1 - x0)  # F at y
        crps[i] = f2 / 3 + (xs[n] - y) - tail - (x1 - y) * (m + b)


def locations(scale: Scale, values: np.ndarray) -> np.ndarray:
    """Scale.unscale over an array: each value's location on the unscaled axis (0 at range_min, 1 at range_max)."""
    lo, hi, z = scale.range_min, scale.range_max, scale.zero_point
    x = np.asarray(values, dtype=np.float64)
    if z is None:
        return (x - lo) / (hi - lo)
    r = (hi - z) / (lo - z)
    inner = (x - lo) * (r - 1) + (hi - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (np.log(inner) - math.log(hi - lo)) / math.log(r)
    beyond = -np.inf if r > 1 else np.inf
    return np.where(inner > 0, u, beyond)


def batch_scores(cdfs: np.ndarray, values: np.ndarray, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, crps) of many forecasts on questions sharing `scale`: Metaculus's continuous baseline score of
    each row's CDF at its outcome value, and its CRPS on the question's scale (seconds for dates; an outcome beyond
    a bound counts as at the bound). An outcome resolved 'below' / 'above' without a value: pass -inf / +inf."""
    c = np.ascontiguousarray(cdfs, dtype=np.float64)
    ys = np.ascontiguousarray(values, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != INBOUND_OUTCOME_COUNT + 1 or len(ys) != len(c):
        raise ValueError(f"need an (n, {INBOUND_OUTCOME_COUNT + 1}) array of CDFs and n outcomes")
    us = np.ascontiguousarray(locations(scale, ys))
    xs = np.ascontiguousarray(grid(scale), dtype=np.float64)
    open_bounds = int(scale.open_lower_bound) + int(scale.open_upper_bound)
    base_inside = (1 - OUTSIDE_BASELINE * open_bounds) / INBOUND_OUTCOME_COUNT
    baseline, crps = np.empty(len(c)), np.empty(len(c))
    if scale.zero_point is None:
        _scores_even(c, ys, us, float(xs[0]), float(xs[-1]), base_inside, baseline, crps)
    else:
        _scores_grid(c, ys, us, xs, base_inside, baseline, crps)
    return baseline, crps
