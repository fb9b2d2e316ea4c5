"""Learned pools fitted without look-ahead, online: at each checkpoint, from the questions whose outcome was known
by then, each forecaster's shrunk relative Brier (-> weight), per-forecaster recalibration (a, b) and a capped
extremizing factor d. An event at time t uses the newest checkpoint strictly before t; before the first one the
pool is the plain geometric mean of odds (w = 1, a = 0, b = 1, d = 1).

The pools weight each standing forecast by its forecaster's skill weight times an arrival recency weight
e^(sqrt(j) - sqrt(J)), j = the forecast's order among the question's J forecasts: Metaculus's shape, by arrival
rather than by rank among the standing forecasts (which re-ranks every one at every event), so that a forecast's
weight never changes while it stands and the pool updates forecast by forecast (see `apply`). Training uses
each person's last forecast on a resolved question (at its close); recalibration learns from every such
forecast, weights and d only from questions with at least two people (a lone forecaster is no pool, and the
pool applies d only where at least two people stand).

Each checkpoint adds only the questions resolved since the previous one (a chunk), so the whole fit is linear
in the training forecasts:
- relative Brier: cumulative sums per forecaster;
- recalibration and d: Bayesian logistic fits updated chunk by chunk (a Laplace approximation: the previous
  checkpoint's estimate and curvature are the prior for the next chunk, the first prior being the ridge);
- the weight temperature: prequential choice. Each chunk is first pooled with the weights and d of the previous
  checkpoint for every candidate temperature (a true out-of-sample forecast of those questions), its Brier
  added to that temperature's running total; the checkpoint then uses the temperature with the lowest total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasts.pooling import fit_kernels as kernels
from forecasts.pooling.methods import expit, logit
from forecasts.pooling.panel import Panel

SHRINK = 5.0  # pseudo-questions of relative Brier 0 added to each forecaster's record
TEMPERATURES = (0.02, 0.05, 0.1, 0.2, np.inf)  # weight = exp(-relative Brier / T); inf = equal weights
D_CAP = (0.5, 3.0)  # the extremizing factor is fitted, then capped to this range
D_PRIOR = 10.0  # prior precision pulling d toward 1 (few training questions: little extremizing)
RECAL_PRIOR = 5.0  # prior precision pulling each forecaster's (a, b) toward (0, 1)
MAX_CHECKPOINTS = 40
RECAL_STEPS = 1  # Newton steps per chunk (from the previous estimate; its curvature is kept)


@dataclass
class Fits:
    """Checkpoint row 0 is the prior (before any resolution); row c > 0 was fitted at times[c]."""

    times: np.ndarray  # (C+1,)
    weight: np.ndarray  # (C+1, forecasters), skill weights
    a: np.ndarray  # (C+1, forecasters)
    b: np.ndarray  # (C+1, forecasters)
    d_skill: np.ndarray  # (C+1,)
    d_learned: np.ndarray  # (C+1,)
    temperature: np.ndarray  # (C+1,)
    trained_on: np.ndarray  # (C+1,), resolved questions with a crowd behind each checkpoint

    def at(self, t: np.ndarray) -> np.ndarray:
        """Checkpoint index in force at each time (fitted strictly before it)."""
        return np.searchsorted(self.times, t, side="left") - 1


def _training_cells(panel: Panel):
    """(question, forecaster, probability, outcome, relative Brier, recency weight) of each person's last
    forecast on a resolved question (the one standing at its close), in the panel's flat order (so grouped by
    question: the median error per question comes from one pass over each question's few forecasts)."""
    qf = panel.row_q[panel.fc_row]
    sel = panel.fc_last & ~np.isnan(panel.y[qf])
    q, f, p, r = qf[sel], panel.fc_who[sel], panel.fc_p[sel], panel.fc_recency[sel]
    y = panel.y[q]
    return q, f, p, y, kernels.relative_errors(q, (p - y) ** 2, len(panel.end)), r


def fit(panel: Panel, max_checkpoints: int = MAX_CHECKPOINTS, min_crowd: int = 2) -> Fits:
    """Fit the learned pools at up to max_checkpoints resolution times (evenly spaced in resolution order);
    weights and d learn from questions with at least min_crowd people at close (2, or the backtest's filter).
    The chunk-by-chunk updates run compiled (fit_kernels.chunk_loop)."""
    n_f, n_q = panel.n_forecasters, len(panel.end)
    q, f, p, y, diff, recency = _training_cells(panel)
    per_q = np.bincount(q, minlength=n_q)
    crowd = per_q[q] >= max(2, min_crowd)  # weights and d learn only where a crowd is
    known_q = np.unique(panel.known[per_q > 0])  # sorted
    step = max(1, int(np.ceil(len(known_q) / max_checkpoints)))
    times = known_q[step - 1 :: step] if len(known_q) else known_q
    c_n = len(times)
    chunk = np.searchsorted(times, panel.known, side="left")[q]  # in training from checkpoint `chunk` + 1 on
    order, bounds = kernels.chunk_order(chunk, c_n)  # each chunk's forecasts in order, so by question
    temps = np.array(TEMPERATURES, float)
    weight, a_all, b_all, d_skill, d_learned, best, trained = kernels.chunk_loop(
        order, bounds, q, f, logit(p), y, diff, recency, crowd, panel.y, n_f, temps, SHRINK, RECAL_PRIOR, D_PRIOR,
        *D_CAP, RECAL_STEPS)  # fmt: skip
    temp = temps[best]
    return Fits(np.concatenate([[-np.inf], times]), weight, a_all, b_all, d_skill, d_learned, temp, trained)


def _segment_cumsum(d: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Running sums of d restarting at every row where start is True (start[0] must be True). Each restart
    subtracts the previous segment's total, so rounding stays at the scale of one segment, not the history."""
    starts = np.flatnonzero(start)
    d = d.copy()
    if len(starts) > 1:
        d[starts[1:]] -= np.add.reduceat(d, starts)[:-1]
    return np.cumsum(d)


def apply(panel: Panel, fits: Fits, recalibrate: bool) -> np.ndarray:
    """The skill pool (recalibrate=False) or the learned pool at every event row, updated forecast by forecast.

    The pool is expit(d * sum_f w_f x_f / sum_f w_f) over the standing forecasts, x_f = a_f + b_f logit p_f, with
    every fitted quantity from the checkpoint in force at the row. Within a run of one question's rows under
    one checkpoint, each new forecast adds its term and removes the one it replaces, so the sums are running
    sums of those changes (work in proportion to forecasts); where the checkpoint changes mid-question the
    sums restart from the standing forecasts of that row (work in proportion to its forecasters)."""
    n_rows, n_f = panel.n_rows, max(panel.n_forecasters, 1)
    out = np.full(n_rows, np.nan)
    if not n_rows:
        return out
    c = fits.at(panel.row_t)
    wt = fits.weight / fits.weight.max(axis=1, keepdims=True)  # ratios are what count; keeps sums near 1
    wt, at, bt = wt.ravel(), fits.a.ravel(), fits.b.ravel()
    first = np.ones(n_rows, bool)
    first[1:] = panel.row_q[1:] != panel.row_q[:-1]
    restart = np.zeros(n_rows, bool)
    restart[1:] = ~first[1:] & (c[1:] != c[:-1])

    r = panel.fc_row
    idx = c[r] * n_f + panel.fc_who  # a replaced forecast is the same person's, so its fitted values too
    has_prev = panel.fc_prev >= 0
    prev = np.maximum(panel.fc_prev, 0)
    rec = panel.fc_recency
    w, w_old = wt[idx], np.where(has_prev, rec[prev], 0.0)
    x = logit(panel.fc_p)
    x_old = x[prev]
    if recalibrate:
        a, b = at[idx], bt[idx]
        x, x_old = a + b * x, a + b * x_old
    w_old *= w
    w *= rec
    # restart rows get these changes too, but are overwritten below with their whole sums
    d_w = np.bincount(r, w - w_old, n_rows)
    d_wx = np.bincount(r, w * x - w_old * x_old, n_rows)
    d_n = np.bincount(r, ~has_prev, n_rows)
    for g in panel.groups:
        sel = restart[g.rows]
        if not sel.any():
            continue
        rows, fcm = g.rows[sel], g.fc[sel]
        standing = fcm >= 0
        fi = np.where(standing, fcm, 0)
        gidx = c[rows][:, None] * n_f + panel.fc_who[fi]
        gw = np.where(standing, wt[gidx] * rec[fi], 0.0)
        gx = logit(panel.fc_p[fi])
        gx = np.where(standing, at[gidx] + bt[gidx] * gx if recalibrate else gx, 0.0)
        d_w[rows], d_wx[rows], d_n[rows] = gw.sum(axis=1), np.einsum("ij,ij->i", gw, gx), standing.sum(axis=1)
    start = first | restart
    sw, swx = _segment_cumsum(d_w, start), _segment_cumsum(d_wx, start)
    n = _segment_cumsum(d_n, start)
    d = np.where(n >= 1.5, (fits.d_learned if recalibrate else fits.d_skill)[c], 1.0)  # one person: no d
    with np.errstate(invalid="ignore", divide="ignore"):
        return expit(d * swx / sw)
