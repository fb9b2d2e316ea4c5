"""Scores of continuous forecasts: Metaculus's continuous log scores (baseline and peer, spot and time-averaged
with coverage), CRPS, and PIT calibration.

Metaculus's rules (scoring/score_math.py, utils/the_math/formulas.py): the outcome falls in one of 202 buckets
(0: below the range, 1..200 inside, 201: above); a forecast's pmf is its CDF's steps with the mass outside at the
ends. Baseline = 100 * ln(p / b) / 2 with b = 0.05 outside and (1 - 0.05 * open bounds) / 200 inside; peer =
100 * n/(n-1) * ln(p / geometric mean of everyone's p) / 2. Time-averaged scores weight each forecast by the part
of the question's lifetime it stood (its coverage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecasts.numeric.scale import INBOUND_OUTCOME_COUNT, Scale

OUTSIDE_BASELINE = 0.05  # Metaculus's baseline mass for an outcome beyond an open bound


def bucket_index(u: float, inbound: int = INBOUND_OUTCOME_COUNT) -> int:
    """The bucket an outcome at unscaled location u falls in (Metaculus's unscaled_location_to_bucket_index)."""
    if u < 0:
        return 0
    if u > 1:
        return inbound + 1
    if u == 1:
        return inbound
    return max(int(u * inbound + 1 - 1e-10), 1)


def outcome_bucket(scale: Scale, outcome: str | float) -> int:
    """Bucket of a stored numeric outcome: 'below', 'above', or a value on the question's scale."""
    if outcome == "below":
        return 0
    if outcome == "above":
        return INBOUND_OUTCOME_COUNT + 1
    return bucket_index(scale.unscale(float(outcome)))


def bucket_mass(cdf: Sequence[float], bucket: int) -> float:
    """The forecast's probability of the outcome's bucket (its pmf there)."""
    if bucket == 0:
        return cdf[0]
    if bucket == len(cdf):
        return 1 - cdf[-1]
    return cdf[bucket] - cdf[bucket - 1]


def baseline_value(p: float, bucket: int, open_bounds: int, buckets: int = INBOUND_OUTCOME_COUNT + 2) -> float:
    """Metaculus's continuous baseline score of a forecast giving p to the outcome's bucket."""
    base = OUTSIDE_BASELINE if bucket in (0, buckets - 1) else (1 - OUTSIDE_BASELINE * open_bounds) / (buckets - 2)
    return 100 * math.log(p / base) / 2


@dataclass(frozen=True)
class Standing:
    """One forecast as scoring sees it: when it stood (end None: until the close) and its p at the outcome."""

    start: float
    end: float | None
    p: float


@dataclass(frozen=True)
class Score:
    score: float
    coverage: float = 0.0


def _window(f: Standing, horizon_start: float, actual_close: float) -> tuple[float, float]:
    """Where a standing forecast counts: from its start (not before the horizon) to its end or the close."""
    return max(f.start, horizon_start), actual_close if f.end is None else min(f.end, actual_close)


def baseline_accuracy(
    forecasts: Sequence[Standing], bucket: int, open_bounds: int, horizon_start: float, actual_close: float,
    horizon_end: float, buckets: int = INBOUND_OUTCOME_COUNT + 2,
) -> list[Score]:  # fmt: skip
    """Time-averaged baseline score per forecast (evaluate_forecasts_baseline_accuracy)."""
    total = horizon_end - horizon_start
    out = []
    for f in forecasts:
        start, end = _window(f, horizon_start, actual_close)
        if end - start <= 0:
            out.append(Score(0.0))
            continue
        coverage = (end - start) / total
        out.append(Score(baseline_value(f.p, bucket, open_bounds, buckets) * coverage, coverage))
    return out


def baseline_spot(
    forecasts: Sequence[Standing], bucket: int, open_bounds: int, at: float, buckets: int = INBOUND_OUTCOME_COUNT + 2
) -> list[Score]:
    """Spot baseline score: the forecast standing at `at` (evaluate_forecasts_baseline_spot_forecast)."""
    out = []
    for f in forecasts:
        end = math.inf if f.end is None else f.end
        if f.start <= at < end:
            out.append(Score(baseline_value(f.p, bucket, open_bounds, buckets), 1.0))
        else:
            out.append(Score(0.0))
    return out


@dataclass
class Mean:
    """The geometric mean of the standing forecasts' p at one instant, and how many there were (0 if one)."""

    timestamp: float
    p: float
    n: int


def geometric_means(forecasts: Sequence[Standing]) -> list[Mean]:
    """At every start and end, the geometric mean of the p of the forecasts then standing (get_geometric_means)."""
    times = sorted({f.start for f in forecasts} | {f.end for f in forecasts if f.end is not None})
    out = []
    for t in times:
        ps = [f.p for f in forecasts if f.start <= t and (f.end is None or f.end > t)]
        if not ps:
            continue
        gm = math.exp(sum(math.log(p) for p in ps) / len(ps))
        out.append(Mean(t, gm, len(ps) if len(ps) > 1 else 0))
    return out


def _peer_value(p: float, gm: Mean, continuous: bool) -> float:
    if gm.n == 0:
        return 0.0
    value = 100 * (gm.n / (gm.n - 1)) * math.log(p / gm.p)
    return value / 2 if continuous else value


def peer_accuracy(
    forecasts: Sequence[Standing], horizon_start: float, actual_close: float, horizon_end: float,
    base: Sequence[Standing] | None = None, continuous: bool = True,
) -> list[Score]:  # fmt: skip
    """Time-averaged peer score per forecast against everyone's geometric mean (evaluate_forecasts_peer_accuracy)."""
    means = geometric_means(base or forecasts)
    for gm in means:
        gm.timestamp = max(gm.timestamp, horizon_start)
    total = horizon_end - horizon_start
    times = [gm.timestamp for gm in means if gm.timestamp < actual_close] + [actual_close]
    out = []
    for f in forecasts:
        start, end = _window(f, horizon_start, actual_close)
        if end - start <= 0:
            out.append(Score(0.0))
            continue
        interval = [_peer_value(f.p, gm, continuous) if start <= gm.timestamp < end else None for gm in means]
        score = coverage = 0.0
        for i in range(len(times) - 1):
            if interval[i] is None:
                continue
            span = times[i + 1] - times[i]
            score += interval[i] * span / total
            coverage += span / total
        out.append(Score(score, coverage))
    return out


def peer_spot(
    forecasts: Sequence[Standing], at: float, base: Sequence[Standing] | None = None, continuous: bool = True
) -> list[Score]:
    """Spot peer score at `at` against the latest geometric mean before it (evaluate_forecasts_peer_spot_forecast)."""
    means = geometric_means(base or forecasts)
    gm = next((m for m in reversed(means) if m.timestamp < at), None)
    if gm is None:
        return [Score(0.0)] * len(forecasts)
    out = []
    for f in forecasts:
        end = math.inf if f.end is None else f.end
        out.append(Score(_peer_value(f.p, gm, continuous), 1.0) if f.start <= at < end else Score(0.0))
    return out


# --- CRPS and PIT (vectorised over many forecasts) ------------------------------------------------------------


def grid(scale: Scale, points: int = INBOUND_OUTCOME_COUNT + 1) -> np.ndarray:
    """The CDF's evaluation points on the question's scale."""
    u = np.linspace(0.0, 1.0, points)
    if scale.zero_point is None:
        return scale.range_min + scale.width * u
    return np.array([scale.scale(float(x)) for x in u])


def crps(cdfs: np.ndarray, outcomes: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """CRPS of each row's CDF (on the grid xs, linear between points) at its outcome, integrated over the range:
    an outcome beyond a bound counts as at the bound. Units: the question's (seconds for dates)."""
    cdfs = np.atleast_2d(np.asarray(cdfs, dtype=float))
    y = np.clip(np.asarray(outcomes, dtype=float), xs[0], xs[-1])[:, None]
    a, b = cdfs[:, :-1], cdfs[:, 1:]
    left, right = xs[:-1][None, :], xs[1:][None, :]
    dx = right - left
    below = dx * (a * a + a * b + b * b) / 3  # segment left of y: integrate F^2
    ga, gb = 1 - a, 1 - b
    above = dx * (ga * ga + ga * gb + gb * gb) / 3  # segment right of y: integrate (1 - F)^2
    is_left = right <= y
    is_right = left >= y
    total = np.where(is_left, below, 0.0).sum(axis=1) + np.where(is_right, above, 0.0).sum(axis=1)
    # the segment holding y, split at y
    k = np.clip(np.searchsorted(xs, y[:, 0], side="right") - 1, 0, len(xs) - 2)
    rows = np.arange(len(cdfs))
    x0, x1 = xs[k], xs[k + 1]
    a0, b0 = cdfs[rows, k], cdfs[rows, k + 1]
    yy = y[:, 0]
    inside = (yy > x0) & (yy < x1)
    c = a0 + (b0 - a0) * (yy - x0) / (x1 - x0)
    part = (yy - x0) * (a0 * a0 + a0 * c + c * c) / 3 + (x1 - yy) * (
        (1 - c) ** 2 + (1 - c) * (1 - b0) + (1 - b0) ** 2
    ) / 3
    return total + np.where(inside, part, 0.0)


def pit_values(cdfs: np.ndarray, outcomes_u: np.ndarray) -> np.ndarray:
    """Probability integral transform: each forecast's CDF at its outcome's unscaled location (below the range:
    the mass below; above: the mass up to the upper bound)."""
    cdfs = np.atleast_2d(np.asarray(cdfs, dtype=float))
    u = np.clip(np.asarray(outcomes_u, dtype=float), 0.0, 1.0)
    f = u * (cdfs.shape[1] - 1)
    lo = np.minimum(np.floor(f).astype(int), cdfs.shape[1] - 2)
    w = f - lo
    rows = np.arange(len(cdfs))
    return cdfs[rows, lo] * (1 - w) + cdfs[rows, lo + 1] * w


def pit_calibration(pits: np.ndarray, bins: int = 10) -> dict[str, object]:
    """A PIT histogram (counts in equal bins of [0, 1]) and its uniformity: the Kolmogorov-Smirnov distance to
    the uniform and its p-value (calibrated forecasts give uniform PIT values)."""
    from scipy.stats import kstest

    pits = np.asarray(pits, dtype=float)
    counts, _ = np.histogram(pits, bins=bins, range=(0.0, 1.0))
    if len(pits) == 0:
        return {"n": 0, "histogram": counts.tolist(), "ks_statistic": None, "ks_pvalue": None}
    test = kstest(pits, "uniform")
    return {"n": int(len(pits)), "histogram": counts.tolist(), "ks_statistic": float(test.statistic),
            "ks_pvalue": float(test.pvalue)}  # fmt: skip


def log_scores_batch(cdfs: np.ndarray, buckets: np.ndarray, open_bounds: np.ndarray) -> np.ndarray:
    """Metaculus's baseline score for many forecasts at once (each row's CDF, its outcome's bucket)."""
    cdfs = np.atleast_2d(np.asarray(cdfs, dtype=float))
    n = cdfs.shape[1]
    rows = np.arange(len(cdfs))
    b = np.asarray(buckets)
    hi = cdfs[rows, np.clip(b, 0, n - 1)]
    lo = cdfs[rows, np.clip(b - 1, 0, n - 1)]
    p = np.where(b == 0, cdfs[:, 0], np.where(b == n, 1 - cdfs[:, -1], hi - lo))
    base = np.where((b == 0) | (b == n), OUTSIDE_BASELINE, (1 - OUTSIDE_BASELINE * np.asarray(open_bounds)) / (n - 1))
    return 100 * np.log(p / base) / 2


def crps_linear(cdfs: np.ndarray, outcomes: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """`crps` on a linear axis (evenly spaced points) in three passes over the CDFs, for scoring many at once:
    CRPS = int F^2 + (hi - y) - 2 int_y^hi F, each integral exact for F linear between the points."""
    c = np.asarray(cdfs, dtype=float)
    n = c.shape[1] - 1
    h = (hi - lo) / n
    y = np.clip(np.asarray(outcomes, dtype=float), lo, hi)
    sq = 2 * np.einsum("ij,ij->i", c, c) - c[:, 0] ** 2 - c[:, -1] ** 2 + np.einsum("ij,ij->i", c[:, :-1], c[:, 1:])
    int_f2 = h / 3 * sq
    k = np.clip(np.floor((y - lo) / h).astype(np.int64), 0, n - 1)
    t = (y - lo) / h - k
    rows = np.arange(len(c))
    a, b = c[rows, k], c[rows, k + 1]
    # one pass: reduceat over [row start, k+1) and [k+1, row end) gives each row's sum right of y's segment
    c = np.ascontiguousarray(c)
    starts = rows * (n + 1)
    sums = np.add.reduceat(c.ravel(), np.stack([starts, starts + k + 1], axis=1).ravel())
    right = h * (sums[1::2] - (b + c[:, -1]) / 2)  # int from the point after y to hi
    part = h * (1 - t) * (a + (b - a) * t + b) / 2  # int from y to that point
    return int_f2 + (hi - y) - 2 * (right + part)
