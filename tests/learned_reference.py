"""The learned pools' fit as straightforward numpy (the fit before its compiled loops, kept verbatim): the
reference tests/test_pooling.py holds forecasts/pooling/learned.fit to, within 1e-9."""

from __future__ import annotations

import numpy as np

from forecasts.pooling.learned import (
    D_CAP,
    D_PRIOR,
    MAX_CHECKPOINTS,
    RECAL_PRIOR,
    RECAL_STEPS,
    SHRINK,
    TEMPERATURES,
    Fits,
)
from forecasts.pooling.methods import expit, logit
from forecasts.pooling.panel import Panel


def _training_cells(panel: Panel):
    """(question, forecaster, probability, outcome, relative Brier, recency weight) of each person's last
    forecast on a resolved question (the one standing at its close), in the panel's flat order."""
    n_q = len(panel.end)
    qf = panel.row_q[panel.fc_row]
    sel = panel.fc_last & ~np.isnan(panel.y[qf])
    q, f, p, r = qf[sel], panel.fc_who[sel], panel.fc_p[sel], panel.fc_recency[sel]
    y = panel.y[q]
    err = (p - y) ** 2
    # the median error per question, from one sort of one key: questions 2 apart, errors in [0, 1] (an order
    # wrong only between errors within ~1e-10 of each other, which moves a median by as little)
    srt = err[np.argsort(2.0 * q + err)]
    n = np.bincount(q, minlength=n_q)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    has = n > 0
    meds = np.full(n_q, np.nan)
    meds[has] = 0.5 * (srt[first[has] + (n[has] - 1) // 2] + srt[first[has] + n[has] // 2])
    return q, f, p, y, err - meds[q], r


def _update_d(z: np.ndarray, y: np.ndarray, mean: float, prec: float) -> tuple[float, float, float]:
    """One online Newton step (a Laplace update) of the extremizing factor's posterior N(mean, 1/prec) with a
    chunk's pooled log-odds z and outcomes y (y ~ expit(d z)), capped; also the chunk's Brier at the prior
    mean, its out-of-sample score. Returns (mean, prec, Brier sum)."""
    if not len(z):
        return mean, prec, 0.0
    s = expit(mean * z)
    brier = float(np.sum((s - y) ** 2))
    prec = prec + float(np.sum(s * (1 - s) * z * z))
    return float(np.clip(mean - np.sum((s - y) * z) / prec, *D_CAP)), prec, brier


def _update_recal(x, y, f, n_f, a, b, h, steps: int = RECAL_STEPS):
    """Laplace update of every forecaster's (a, b) in y ~ expit(a + b x) with a chunk's training forecasts:
    h = (haa, hab, hbb) is the prior precision (the previous posterior's curvature) around the previous
    estimate (a, b), the first prior being the ridge; Newton steps from that estimate. Returns (a, b, h)."""
    a0, b0 = a, b
    for _ in range(steps):
        s = expit(a[f] + b[f] * x)
        r, v = s - y, s * (1 - s)
        haa, hab, hbb = (h[0] + np.bincount(f, v, n_f), h[1] + np.bincount(f, v * x, n_f),
                         h[2] + np.bincount(f, v * x * x, n_f))  # fmt: skip
        ga = np.bincount(f, r, n_f) + h[0] * (a - a0) + h[1] * (b - b0)
        gb = np.bincount(f, r * x, n_f) + h[1] * (a - a0) + h[2] * (b - b0)
        det = haa * hbb - hab**2
        a = np.clip(a - (hbb * ga - hab * gb) / det, -3, 3)
        b = np.clip(b - (haa * gb - hab * ga) / det, 0.0, 3.0)
    return a, b, (haa, hab, hbb)


def _pool_chunk(x: np.ndarray, qloc: np.ndarray, w: np.ndarray, n_q: int) -> np.ndarray:
    """Weighted mean log-odds per question of a chunk (questions numbered 0..n_q-1 within it)."""
    sw = np.bincount(qloc, w, n_q)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(qloc, w * x, n_q) / sw


def fit(panel: Panel, max_checkpoints: int = MAX_CHECKPOINTS, min_crowd: int = 2) -> Fits:
    """Fit the learned pools at up to max_checkpoints resolution times (evenly spaced in resolution order);
    weights and d learn from questions with at least min_crowd people at close (2, or the backtest's filter)."""
    n_f, n_q = panel.n_forecasters, len(panel.end)
    q, f, p, y, diff, recency = _training_cells(panel)
    crowd = np.bincount(q, minlength=n_q)[q] >= max(2, min_crowd)  # weights and d learn only where a crowd is
    known_q = np.unique(panel.known[np.bincount(q, minlength=n_q) > 0])  # sorted
    step = max(1, int(np.ceil(len(known_q) / max_checkpoints)))
    times = known_q[step - 1 :: step] if len(known_q) else known_q
    c_n = len(times)
    chunk = np.searchsorted(times, panel.known[q], side="left")  # in training from checkpoint `chunk` + 1 on
    # each chunk's training forecasts contiguous, by question within it (they come by question: a stable sort
    # of the small chunk numbers, a radix sort as int16, keeps that)
    order = np.argsort(chunk.astype(np.int16), kind="stable")
    q, f, p, y, diff, recency, chunk, crowd = (v[order] for v in (q, f, p, y, diff, recency, chunk, crowd))
    bounds = np.searchsorted(chunk, np.arange(c_n + 1), side="left")
    x = logit(p)
    # each forecaster's summed relative Brier and count of crowd questions by checkpoint: row c holds chunks < c
    cells = (chunk[crowd] + 1) * n_f + f[crowd]
    s_diff = np.cumsum(np.bincount(cells, diff[crowd], (c_n + 2) * n_f).reshape(c_n + 2, n_f)[: c_n + 1], axis=0)
    s_n = np.cumsum(np.bincount(cells, minlength=(c_n + 2) * n_f).reshape(c_n + 2, n_f)[: c_n + 1], axis=0)
    a_all, b_all = np.zeros((c_n + 1, n_f)), np.ones((c_n + 1, n_f))
    d_skill, d_learned, temp = np.ones(c_n + 1), np.ones(c_n + 1), np.full(c_n + 1, np.inf)
    trained = np.zeros(c_n + 1, int)
    a, b = np.zeros(n_f), np.ones(n_f)
    h = (np.full(n_f, RECAL_PRIOR), np.zeros(n_f), np.full(n_f, RECAL_PRIOR))
    d_post = [(1.0, D_PRIOR) for _ in TEMPERATURES]  # per temperature: d's posterior (mean, precision)
    learned_post = (1.0, D_PRIOR)
    total = np.zeros(len(TEMPERATURES))  # prequential Brier of each temperature's pool so far
    best = len(TEMPERATURES) - 1  # equal weights until a crowd question has been seen
    seen = 0
    present, local = np.zeros(n_f, bool), np.zeros(n_f, np.int64)
    for c in range(c_n):
        lo, hi = bounds[c], bounds[c + 1]
        cm = crowd[lo:hi]
        cq, cf, cx, cr = q[lo:hi][cm], f[lo:hi][cm], x[lo:hi][cm], recency[lo:hi][cm]
        new_q = np.ones(len(cq), bool)
        new_q[1:] = cq[1:] != cq[:-1]
        qloc, uq = np.cumsum(new_q) - 1, cq[new_q]
        yq = panel.y[uq]
        rel = s_diff[c][cf] / (s_n[c][cf] + SHRINK)  # the previous checkpoint's records
        xr = a[cf] + b[cf] * cx
        for j, tau in enumerate(TEMPERATURES):  # score the chunk out of sample, then learn from it
            w = cr if np.isinf(tau) else cr * np.exp(-np.clip(rel / tau, -20, 20))
            z = _pool_chunk(cx, qloc, w, len(uq))
            d_mean, d_prec, brier = _update_d(z, yq, *d_post[j])
            d_post[j], total[j] = (d_mean, d_prec), total[j] + brier
            if j == best:
                learned_post = _update_d(_pool_chunk(xr, qloc, w, len(uq)), yq, *learned_post)[:2]
        seen += len(uq)
        if seen:
            best = int(np.argmin(total))
        present[f[lo:hi]] = True  # only this chunk's forecasters change: numbered 0.. without a sort
        uf = np.flatnonzero(present)
        present[uf] = False
        local[uf] = np.arange(len(uf))
        floc = local[f[lo:hi]]
        a_u, b_u, h_u = _update_recal(x[lo:hi], y[lo:hi], floc, len(uf), a[uf], b[uf], tuple(v[uf] for v in h))
        a[uf], b[uf] = a_u, b_u
        for v, new in zip(h, h_u, strict=True):
            v[uf] = new
        trained[c + 1] = seen
        temp[c + 1] = TEMPERATURES[best]
        d_skill[c + 1], d_learned[c + 1] = d_post[best][0], learned_post[0]
        a_all[c + 1], b_all[c + 1] = a, b
    with np.errstate(over="ignore"):
        weight = np.exp(-np.clip(s_diff / (s_n + SHRINK) / temp[:, None], -20, 20))  # T = inf: weight 1
    return Fits(np.concatenate([[-np.inf], times]), weight, a_all, b_all, d_skill, d_learned, temp, trained)
