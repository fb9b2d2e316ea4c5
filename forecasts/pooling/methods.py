"""Pure, vectorised pooling methods for binary questions: each takes a matrix of standing probabilities of yes
(rows = moments, columns = forecasters, NaN = no standing forecast) and returns one pooled probability per row.

Order statistics (median, trimmed, highest-density trimmed, soften-mean, Metaculus's weighted median) sort
each row once; rows with the same number of forecasters are handled together, so there is no per-row loop.
Sources: FRI's aggutils (R/agg.R: trim, hd_trim, soften_mean, neymanAggCalc), Neyman & Roughgarden (2021),
Metaculus (utils/the_math/aggregations.py: RecencyWeighted; utils/the_math/measures.py: weighted_percentile_2d).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

P_CLIP = 1e-3  # log-odds pools clamp p to [0.001, 0.999], as the scores do


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of p clamped to [P_CLIP, 1 - P_CLIP] (NaN stays NaN)."""
    p = np.clip(np.asarray(p, float), P_CLIP, 1 - P_CLIP)
    return np.log(p) - np.log1p(-p)


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse of logit, 1 / (1 + e^-x) (accurate for any x; e^-x overflowing to inf gives 0; NaN stays NaN).
    numpy, not scipy: importing scipy.special costs more than pooling a million forecasts."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


def mean_logit(p: np.ndarray) -> np.ndarray:
    """Mean log-odds of the standing forecasts per row (NaN for a row without any)."""
    x = logit(np.atleast_2d(p))
    n = np.sum(~np.isnan(x), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(x, axis=-1) / n


def counts(p: np.ndarray) -> np.ndarray:
    """Number of standing forecasts per row."""
    return np.sum(~np.isnan(p), axis=-1)


def _by_count(p: np.ndarray, fn: Callable[[np.ndarray, int], np.ndarray], extra: np.ndarray | None = None):
    """Apply fn(sorted rows with n values, n) to the rows grouped by their count n (NaN where n = 0).

    With `extra` (same shape as p), fn gets (values, extra) of each row's n standing cells in column order."""
    p = np.atleast_2d(np.asarray(p, float))
    n = counts(p)
    out = np.full(p.shape[0], np.nan)
    for k in np.unique(n[n > 0]):
        rows = np.flatnonzero(n == k)
        sub = p[rows]
        mask = ~np.isnan(sub)
        vals = sub[mask].reshape(len(rows), int(k))
        if extra is None:
            out[rows] = fn(np.sort(vals, axis=1), int(k))
        else:
            out[rows] = fn(vals, extra[rows][mask].reshape(len(rows), int(k)))  # type: ignore[call-arg]
    return out


def median(p: np.ndarray) -> np.ndarray:
    """Median of the standing probabilities (midpoint for an even count)."""
    return _by_count(p, lambda s, k: 0.5 * (s[:, (k - 1) // 2] + s[:, k // 2]))


def mean(p: np.ndarray) -> np.ndarray:
    """Arithmetic mean of the standing probabilities."""
    p = np.atleast_2d(np.asarray(p, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(p, axis=-1) / counts(p)


def trimmed_mean(p: np.ndarray, trim: float = 0.1) -> np.ndarray:
    """Mean after dropping round(trim * n) forecasts from each end (aggutils `trim`; round half to even, as R)."""

    def fn(s: np.ndarray, k: int) -> np.ndarray:
        cut = int(np.round(trim * k))
        return s[:, cut : k - cut].mean(axis=1) if k - 2 * cut > 0 else 0.5 * (s[:, (k - 1) // 2] + s[:, k // 2])

    return _by_count(p, fn)


def hd_trimmed_mean(p: np.ndarray, trim: float = 0.1) -> np.ndarray:
    """Highest-density trimmed mean (Powell et al. 2022; aggutils `hd_trim`): the mean of the shortest window
    holding n - floor(trim * n) forecasts (the first such window on ties)."""

    def fn(s: np.ndarray, k: int) -> np.ndarray:
        n_in = k - int(np.floor(k * trim))
        starts = np.arange(k - n_in + 1)
        widths = s[:, starts + n_in - 1] - s[:, starts]
        first = np.argmin(widths, axis=1)
        csum = np.concatenate([np.zeros((len(s), 1)), np.cumsum(s, axis=1)], axis=1)
        rows = np.arange(len(s))
        return (csum[rows, first + n_in] - csum[rows, first]) / n_in

    return _by_count(p, fn)


def soften_mean(p: np.ndarray, trim: float = 0.1) -> np.ndarray:
    """aggutils `soften_mean`: if the mean is above 0.5 drop the top trim share, else the bottom, and re-average
    (it pulls toward 0.5: it helps when some forecasters are over-confident)."""

    def fn(s: np.ndarray, k: int) -> np.ndarray:
        top = int(np.floor(k * (1 - trim)))  # R: x[1:floor(n(1-p))]
        low = max(int(np.ceil(k * trim)) - 1, 0)  # R: x[ceiling(n p):n], 1-based
        hi_mean = s[:, :top].mean(axis=1) if top > 0 else s.mean(axis=1)
        return np.where(s.mean(axis=1) > 0.5, hi_mean, s[:, low:].mean(axis=1))

    return _by_count(p, fn)


def geometric_mean_of_odds(p: np.ndarray) -> np.ndarray:
    """Geometric mean of the odds: expit(mean logit p)."""
    return expit(mean_logit(p))


def neyman_factor(n: np.ndarray) -> np.ndarray:
    """Neyman & Roughgarden's extremizing factor d(n) = n(sqrt(3n^2 - 3n + 1) - 2) / (n^2 - n - 1): 1 for one
    forecaster, tending to sqrt(3)."""
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return n * (np.sqrt(3 * n**2 - 3 * n + 1) - 2) / (n**2 - n - 1)


def neyman(p: np.ndarray) -> np.ndarray:
    """Neyman aggregation: the mean log-odds times d(n) (aggutils `neymanAggCalc`)."""
    p = np.atleast_2d(np.asarray(p, float))
    return expit(neyman_factor(counts(p)) * mean_logit(p))


def recency_weights(n: int) -> np.ndarray:
    """Metaculus's recency weights e^(sqrt(k) - sqrt(n)), k = 1..n by the time of each person's latest forecast;
    all equal when n <= 2 (Metaculus returns no weights then)."""
    if n <= 2:
        return np.ones(n)
    return np.exp(np.sqrt(np.arange(n) + 1) - np.sqrt(n))


def weighted_percentile(values: np.ndarray, weights: np.ndarray, percentile: float = 50.0) -> np.ndarray:
    """Metaculus's weighted percentile per row: sort, normalised cumulative weights c, then the midpoint of the
    first value with c >= q and the first with c > q."""
    order = np.argsort(values, axis=1)
    s = np.take_along_axis(values, order, axis=1)
    w = np.take_along_axis(weights, order, axis=1)
    c = np.cumsum(w, axis=1) / np.sum(w, axis=1, keepdims=True)
    q = percentile / 100.0
    right = np.argmax(c > q, axis=1)
    left = np.argmax(c >= q, axis=1)
    rows = np.arange(len(s))
    return 0.5 * (s[rows, left] + s[rows, right])


def metaculus_cp(p: np.ndarray, latest: np.ndarray, percentile: float = 50.0) -> np.ndarray:
    """Metaculus's Community Prediction: the recency-weighted median of the standing forecasts, each person's
    weight set by the order of their latest forecast time (`latest`, same shape as p; ties keep column order)."""
    p = np.atleast_2d(np.asarray(p, float))
    latest = np.atleast_2d(np.asarray(latest, float))

    def fn(vals: np.ndarray, times: np.ndarray) -> np.ndarray:
        k = vals.shape[1]
        rank = np.argsort(np.argsort(times, axis=1, kind="stable"), axis=1, kind="stable")
        return weighted_percentile(vals, recency_weights(k)[rank], percentile)

    return _by_count(p, fn, extra=latest)


def recency_matrix(latest: np.ndarray) -> np.ndarray:
    """Metaculus's recency weight of every standing forecast (0 where none), by the order of latest times."""
    latest = np.atleast_2d(np.asarray(latest, float))
    out = np.zeros(latest.shape)
    n = np.sum(~np.isnan(latest), axis=-1)
    for k in np.unique(n[n > 0]):
        rows = np.flatnonzero(n == k)
        sub = latest[rows]
        mask = ~np.isnan(sub)
        times = sub[mask].reshape(len(rows), int(k))
        rank = np.argsort(np.argsort(times, axis=1, kind="stable"), axis=1, kind="stable")
        block = np.zeros(sub.shape)
        block[mask] = recency_weights(int(k))[rank].ravel()
        out[rows] = block
    return out


def weighted_pool(p: np.ndarray, weights: np.ndarray, a: np.ndarray | float = 0.0, b: np.ndarray | float = 1.0,
                  d: np.ndarray | float = 1.0) -> np.ndarray:  # fmt: skip
    """The learned pool expit(d * sum_f w_f (a_f + b_f logit p_f) / sum_f w_f): recalibrate each forecaster,
    average the log-odds with weights, extremize. w = 1, a = 0, b = 1, d = 1 is the geometric mean of odds."""
    p = np.atleast_2d(np.asarray(p, float))
    x = np.asarray(a, float) + np.asarray(b, float) * logit(p)
    w = np.where(np.isnan(p), 0.0, np.broadcast_to(np.asarray(weights, float), p.shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.nansum(w * np.nan_to_num(x), axis=-1) / w.sum(axis=-1)
    return expit(np.asarray(d, float) * pooled)
