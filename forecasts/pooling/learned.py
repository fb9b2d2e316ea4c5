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
from forecasts.pooling.methods import logit
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


def apply(panel: Panel, fits: Fits, recalibrate: bool) -> np.ndarray:
    """The skill pool (recalibrate=False) or the learned pool at every event row, updated forecast by forecast.

    The pool is expit(d * sum_f w_f x_f / sum_f w_f) over the standing forecasts, x_f = a_f + b_f logit p_f, with
    every fitted quantity from the checkpoint in force at the row. Within a run of one question's rows under
    one checkpoint, each new forecast adds its term and removes the one it replaces, so the sums are running
    sums of those changes (work in proportion to forecasts); where the checkpoint changes mid-question the
    sums restart from the standing forecasts of that row (work in proportion to its forecasters). One compiled
    pass (fit_kernels.pool_rows)."""
    if not panel.n_rows:
        return np.full(0, np.nan)
    c = fits.at(panel.row_t)
    w_max = fits.weight.max(axis=1)  # ratios are what count; keeps sums near 1
    d = fits.d_learned if recalibrate else fits.d_skill
    return kernels.pool_rows(panel.row_q, c, panel.fc_row, panel.fc_who, logit(panel.fc_p), panel.fc_prev,
                             panel.fc_recency, fits.weight, w_max, fits.a, fits.b, d, recalibrate)  # fmt: skip
