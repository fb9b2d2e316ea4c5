"""Learned pools fitted without look-ahead: at each checkpoint, from the questions whose outcome was known by
then, each forecaster's shrunk relative Brier (-> weight), per-forecaster recalibration (a, b) and a capped
extremizing factor d. An event at time t uses the newest checkpoint strictly before t; before the first one the
pool is the plain geometric mean of odds (w = 1, a = 0, b = 1, d = 1).

The pools weight each standing forecast by its forecaster's skill weight times Metaculus's recency weight
(the newest forecasts know most). Training uses each person's last forecast on a resolved question (at its
close); recalibration learns from every such forecast, weights and d only from questions with at least two
people (a lone forecaster is no pool, and the pool applies d only where at least two people stand). The
weight temperature is chosen per checkpoint from a small grid by leave-one-question-out Brier, so a
forecaster's weight on a training question never uses that question's own outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasts.pooling.methods import expit, logit, median, recency_matrix
from forecasts.pooling.panel import Panel

SHRINK = 5.0  # pseudo-questions of relative Brier 0 added to each forecaster's record
TEMPERATURES = (0.02, 0.05, 0.1, 0.2, np.inf)  # weight = exp(-relative Brier / T); inf = equal weights
D_CAP = (0.5, 3.0)  # the extremizing factor is fitted, then capped to this range
D_PRIOR = 10.0  # ridge strength pulling d toward 1 (few training questions: little extremizing)
RECAL_PRIOR = 5.0  # ridge strength pulling each forecaster's (a, b) toward (0, 1)
MAX_CHECKPOINTS = 40
WINDOW = 50_000  # the temperature and d are fitted on the newest this-many training forecasts (speed)


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
    """(question, forecaster, probability, outcome, relative Brier, recency weight) of every person's standing
    forecast at a resolved close."""
    qs, fs, ps, rs = [], [], [], []
    resolved_last = np.zeros(panel.n_rows, bool)
    ok = (panel.last_row >= 0) & ~np.isnan(panel.y)
    resolved_last[panel.last_row[ok]] = True
    meds = np.full(len(panel.end), np.nan)
    for g in panel.groups:
        sel = resolved_last[g.rows]
        if not sel.any():
            continue
        p, who, rows = g.p[sel], g.who[sel], g.rows[sel]
        qrow = panel.row_q[rows]
        meds[qrow] = median((p - panel.y[qrow][:, None]) ** 2)
        valid = ~np.isnan(p)
        qs.append(np.broadcast_to(qrow[:, None], p.shape)[valid])
        fs.append(who[valid])
        ps.append(p[valid])
        rs.append(recency_matrix(g.latest[sel])[valid])
    if not qs:
        e = np.zeros(0)
        return e.astype(int), e.astype(int), e, e, e, e
    q, f, p, r = np.concatenate(qs), np.concatenate(fs), np.concatenate(ps), np.concatenate(rs)
    y = panel.y[q]
    return q, f, p, y, (p - y) ** 2 - meds[q], r


def _fit_d(x: np.ndarray, qidx: np.ndarray, w: np.ndarray, y_q: np.ndarray, d: float = 1.0):
    """Pool log-odds x with weights w per question, fit d by Newton on log loss from d, cap it; (d, Brier)."""
    n_q = len(y_q)
    sw = np.bincount(qidx, w, n_q)
    has = sw > 0
    if not has.any():
        return 1.0, np.inf
    pooled = np.bincount(qidx, w * x, n_q)[has] / sw[has]
    yq = y_q[has]
    for _ in range(25):
        s = expit(d * pooled)
        grad = np.sum((s - yq) * pooled) + D_PRIOR * (d - 1)  # not np.dot: BLAS threads thrash a busy machine
        hess = np.sum(s * (1 - s) * pooled**2) + D_PRIOR
        step = grad / hess
        d = float(np.clip(d - step, *D_CAP))
        if abs(step) < 1e-5:
            break
    return d, float(np.mean((expit(d * pooled) - yq) ** 2))


def _recalibrate(x, y, f, n_f, a, b):
    """A few Newton steps of each forecaster's ridge logistic fit y ~ expit(a + b x), from (a, b)."""
    for _ in range(2):  # warm-started from the previous checkpoint's fit
        s = expit(a[f] + b[f] * x)
        r, v = s - y, s * (1 - s)
        ga = np.bincount(f, r, n_f) + RECAL_PRIOR * a
        gb = np.bincount(f, r * x, n_f) + RECAL_PRIOR * (b - 1)
        haa = np.bincount(f, v, n_f) + RECAL_PRIOR
        hab = np.bincount(f, v * x, n_f)
        hbb = np.bincount(f, v * x * x, n_f) + RECAL_PRIOR
        det = haa * hbb - hab**2
        a = np.clip(a - (hbb * ga - hab * gb) / det, -3, 3)
        b = np.clip(b - (haa * gb - hab * ga) / det, 0.0, 3.0)
    return a, b


def fit(panel: Panel, max_checkpoints: int = MAX_CHECKPOINTS, min_crowd: int = 2) -> Fits:
    """Fit the learned pools at up to max_checkpoints resolution times (evenly spaced in resolution order);
    weights and d learn from questions with at least min_crowd people at close (2, or the backtest's filter)."""
    n_f, n_q = panel.n_forecasters, len(panel.end)
    q, f, p, y, diff, recency = _training_cells(panel)
    crowd = np.bincount(q, minlength=n_q)[q] >= max(2, min_crowd)  # weights and d learn only where a crowd is
    known_q = np.sort(np.unique(panel.known[q])) if len(q) else np.zeros(0)
    step = max(1, int(np.ceil(len(known_q) / max_checkpoints)))
    times = known_q[step - 1 :: step] if len(known_q) else known_q
    c_n = len(times)
    chunk = np.searchsorted(times, panel.known[q], side="left")  # in training from checkpoint `chunk` on
    s_diff = np.zeros((c_n + 1, n_f))
    s_n = np.zeros((c_n + 1, n_f))
    np.add.at(s_diff, (chunk, f), diff)
    np.add.at(s_n, (chunk[crowd], f[crowd]), 1.0)
    s_diff, s_n = np.cumsum(s_diff, axis=0)[:c_n], np.cumsum(s_n, axis=0)[:c_n]
    crowd_known = panel.known[np.unique(q[crowd])]
    order = np.argsort(chunk, kind="stable")  # training sets become prefixes
    q, f, p, y, diff, recency, chunk, crowd = (v[order] for v in (q, f, p, y, diff, recency, chunk, crowd))
    ends = np.searchsorted(chunk, np.arange(c_n), side="right")
    cq, cf, cdiff, crec, cchunk = q[crowd], f[crowd], diff[crowd], recency[crowd], chunk[crowd]
    cends = np.searchsorted(cchunk, np.arange(c_n), side="right")
    x = logit(p)
    cx = x[crowd]
    weight = np.ones((c_n + 1, n_f))
    a_all, b_all = np.zeros((c_n + 1, n_f)), np.ones((c_n + 1, n_f))
    d_skill, d_learned, temp = np.ones(c_n + 1), np.ones(c_n + 1), np.full(c_n + 1, np.inf)
    trained = np.zeros(c_n + 1, int)
    a, b = np.zeros(n_f), np.ones(n_f)
    for c in range(c_n):
        a, b = _recalibrate(x[: ends[c]], y[: ends[c]], f[: ends[c]], n_f, a, b)
        m = slice(max(0, cends[c] - WINDOW), cends[c])
        qm, fm, xm, rm = cq[m], cf[m], cx[m], crec[m]
        trained[c + 1] = np.count_nonzero(crowd_known <= times[c])
        rel = s_diff[c] / (s_n[c] + SHRINK)
        loo = (s_diff[c][fm] - cdiff[m]) / (s_n[c][fm] - 1 + SHRINK)
        xr = a[fm] + b[fm] * xm
        best = (np.inf, np.inf, 1.0, 1.0)
        for tau in TEMPERATURES:
            w = rm if np.isinf(tau) else rm * np.exp(-np.clip(loo / tau, -20, 20))
            d, brier = _fit_d(xm, qm, w, panel.y, d_skill[c])
            if brier < best[0]:
                best = (brier, tau, d, w)
        _, tau, d_skill[c + 1], w_best = best
        d_learned[c + 1] = _fit_d(xr, qm, w_best, panel.y, d_learned[c])[0]
        temp[c + 1] = tau
        weight[c + 1] = 1.0 if np.isinf(tau) else np.exp(-np.clip(rel / tau, -20, 20))
        a_all[c + 1], b_all[c + 1] = a, b
    return Fits(np.concatenate([[-np.inf], times]), weight, a_all, b_all, d_skill, d_learned, temp, trained)
