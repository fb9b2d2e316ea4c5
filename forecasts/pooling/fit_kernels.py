"""Compiled loops (numba) of the learned pools' online fit and of their pool (forecasts/pooling/learned.py), for
millions of forecasts.

The numpy fit spent most of its time not in arithmetic but in passes: a sort of every training forecast for the
per-question median error, a reorder of every training array by checkpoint, and at each of its 40 checkpoints a dozen
gathers and bincounts over that chunk, five times over for the candidate temperatures. Here the median error comes
from one pass over each question's few forecasts (they arrive grouped by question), the chunks are visited through a
counting-sort order, and one pass over a chunk's forecasts both pools it for every temperature and gathers its
records' and recalibration's sums, each forecaster's state in one row (two adjacent cache lines): at a million
forecasts the cost is cache misses on that state more than arithmetic. The arithmetic is the numpy fit's, term for
term; only the order of a few sums differs (a running sum, not numpy's pairwise one), so values agree to rounding
(tests/test_pooling.py holds them within 1e-9 of a straightforward numpy reference). The pool (pool_rows) is the
numpy running sums' arithmetic in one pass, with no per-forecast gathers, bincounts or segment sums between. Not on
any interactive path: numba loads here only.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def relative_errors(q: np.ndarray, err: np.ndarray, n_q: int) -> np.ndarray:
    """err minus its question's median err (the mean of the two middle values for an even count); q is
    non-decreasing (forecasts grouped by question)."""
    n = len(q)
    out = np.empty(n)
    buf = np.empty(64)
    lo = 0
    while lo < n:
        hi = lo + 1
        while hi < n and q[hi] == q[lo]:
            hi += 1
        k = hi - lo
        if k > len(buf):
            buf = np.empty(2 * k)
        for i in range(k):  # insertion sort: a question's forecasts are few
            v = err[lo + i]
            j = i
            while j > 0 and buf[j - 1] > v:
                buf[j] = buf[j - 1]
                j -= 1
            buf[j] = v
        med = 0.5 * (buf[(k - 1) // 2] + buf[k // 2])
        for i in range(lo, hi):
            out[i] = err[i] - med
        lo = hi
    return out


@nb.njit(cache=True, nogil=True)
def chunk_order(chunk: np.ndarray, n_chunks: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable counting sort by chunk number (0..n_chunks): the order and each chunk's bounds in it."""
    counts = np.zeros(n_chunks + 2, np.int64)
    for k in chunk:
        counts[k + 1] += 1
    for k in range(1, n_chunks + 2):
        counts[k] += counts[k - 1]
    bounds = counts.copy()
    pos = counts[:-1].copy()
    order = np.empty(len(chunk), np.int64)
    for i in range(len(chunk)):
        order[pos[chunk[i]]] = i
        pos[chunk[i]] += 1
    return order, bounds


@nb.njit(cache=True, nogil=True, inline="always")
def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def chunk_loop(order, bounds, q, f, x, y, diff, recency, crowd, y_q, n_f: int, temps, shrink: float,
               recal_prior: float, d_prior: float, d_lo: float, d_hi: float, steps: int):  # fmt: skip
    """The checkpoints, one chunk of newly resolved questions at a time: each chunk is pooled out of sample with
    the previous checkpoint's weights, recalibration and d for every candidate temperature (its Brier added to
    that temperature's running total; d's Laplace posterior updated); then its crowd forecasts join their
    forecasters' relative-Brier records and every forecaster in it updates (a, b) by Laplace-Newton steps.
    Returns (weight, a, b, d_skill, d_learned, temperature index, trained_on), row c + 1 fitted after chunk c,
    row 0 the prior. Each forecaster's state and chunk sums are one row of `st`, two adjacent cache lines,
    where separate arrays cost a miss apiece per forecast."""
    n_c = len(bounds) - 2
    n_t = len(temps)
    weight, a_all, b_all = np.ones((n_c + 1, n_f)), np.zeros((n_c + 1, n_f)), np.ones((n_c + 1, n_f))
    d_skill, d_learned = np.ones(n_c + 1), np.ones(n_c + 1)
    best_all = np.full(n_c + 1, n_t - 1)
    trained = np.zeros(n_c + 1, np.int64)
    # per forecaster, one row of two cache lines: a, b, summed relative Brier, crowd questions, haa, hab, hbb;
    # then the chunk's relative Brier sum, sums of r, r x, v, v x, v x x, a and b before it, and 1 + its crowd
    # forecasts in the chunk (0: none in it)
    st = np.zeros((n_f, 16))
    st[:, 1] = 1.0
    st[:, 4] = recal_prior
    st[:, 6] = recal_prior
    d_mean, d_prec = np.ones(n_t), np.full(n_t, d_prior)
    l_mean, l_prec = 1.0, d_prior
    total = np.zeros(n_t)
    best = n_t - 1  # equal weights until a crowd question has been seen
    seen = 0
    sw, swx, wt = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    brier, curv, grad = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    inv_t = np.zeros(n_t)
    for j in range(n_t):
        inv_t[j] = 0.0 if math.isinf(temps[j]) else 1.0 / temps[j]
    who = np.empty(n_f, np.int64)
    for c in range(n_c):
        lo, hi = bounds[c], bounds[c + 1]
        for j in range(n_t):
            brier[j] = curv[j] = grad[j] = 0.0
        l_curv = l_grad = 0.0
        n_uq = 0
        n_who = 0
        i = lo
        while i < hi:  # one question of the chunk at a time (its forecasts are contiguous)
            k = order[i]
            qq, in_crowd = q[k], crowd[k]
            for j in range(n_t):
                sw[j] = swx[j] = 0.0
            lw = lwx = 0.0
            while i < hi and q[order[i]] == qq:
                k = order[i]
                fk, xk = f[k], x[k]
                a, b = st[fk, 0], st[fk, 1]  # the previous checkpoint's
                if in_crowd:  # pooled out of sample with the previous checkpoint's record
                    rel = st[fk, 2] / (st[fk, 3] + shrink)
                    rk = recency[k]
                    for j in range(n_t):
                        w = rk  # T = inf: equal skill weights
                        if inv_t[j] != 0.0:
                            w = rk * math.exp(-min(max(rel * inv_t[j], -20.0), 20.0))
                        wt[j] = w
                        sw[j] += w
                        swx[j] += w * xk
                    wb = wt[best]
                    lw += wb
                    lwx += wb * (a + b * xk)
                # the chunk's own sums (its records and recalibration, applied after the whole chunk is pooled)
                if st[fk, 15] == 0.0:  # first in the chunk: 1 + its crowd forecasts in the chunk
                    st[fk, 15] = 1.0
                    who[n_who] = fk
                    n_who += 1
                    st[fk, 7] = st[fk, 8] = st[fk, 9] = st[fk, 10] = st[fk, 11] = st[fk, 12] = 0.0
                    st[fk, 13], st[fk, 14] = a, b
                if in_crowd:
                    st[fk, 7] += diff[k]
                    st[fk, 15] += 1.0
                s = _expit(a + b * xk)
                r, v = s - y[k], s * (1 - s)
                st[fk, 8] += r
                st[fk, 9] += r * xk
                st[fk, 10] += v
                st[fk, 11] += v * xk
                st[fk, 12] += v * xk * xk
                i += 1
            if not in_crowd:
                continue
            yq = y_q[qq]
            for j in range(n_t):
                z = swx[j] / sw[j]
                s = _expit(d_mean[j] * z)
                brier[j] += (s - yq) ** 2
                curv[j] += s * (1 - s) * z * z
                grad[j] += (s - yq) * z
            z = lwx / lw
            s = _expit(l_mean * z)
            l_curv += s * (1 - s) * z * z
            l_grad += (s - yq) * z
            n_uq += 1
        if n_uq:
            for j in range(n_t):
                total[j] += brier[j]
                d_prec[j] += curv[j]
                d_mean[j] = min(max(d_mean[j] - grad[j] / d_prec[j], d_lo), d_hi)
            l_prec += l_curv
            l_mean = min(max(l_mean - l_grad / l_prec, d_lo), d_hi)
        seen += n_uq
        if seen:
            best = 0
            for j in range(1, n_t):
                if total[j] < total[best]:
                    best = j
        t_inv = inv_t[best]
        for m in range(n_who):  # the chunk joins its forecasters' records
            fk = who[m]
            st[fk, 2] += st[fk, 7]
            st[fk, 3] += st[fk, 15] - 1.0
        # recalibration: Laplace-Newton steps from the previous estimate and curvature (the first step's sums
        # came with the pass above)
        for step in range(steps):
            if step:
                for m in range(n_who):
                    fk = who[m]
                    st[fk, 8] = st[fk, 9] = st[fk, 10] = st[fk, 11] = st[fk, 12] = 0.0
                for i in range(lo, hi):
                    k = order[i]
                    fk, xk = f[k], x[k]
                    s = _expit(st[fk, 0] + st[fk, 1] * xk)
                    r, v = s - y[k], s * (1 - s)
                    st[fk, 8] += r
                    st[fk, 9] += r * xk
                    st[fk, 10] += v
                    st[fk, 11] += v * xk
                    st[fk, 12] += v * xk * xk
            for m in range(n_who):
                fk = who[m]
                a, b, a0, b0 = st[fk, 0], st[fk, 1], st[fk, 13], st[fk, 14]
                haa, hab, hbb = st[fk, 4] + st[fk, 10], st[fk, 5] + st[fk, 11], st[fk, 6] + st[fk, 12]
                ga = st[fk, 8] + st[fk, 4] * (a - a0) + st[fk, 5] * (b - b0)
                gb = st[fk, 9] + st[fk, 5] * (a - a0) + st[fk, 6] * (b - b0)
                det = haa * hbb - hab**2
                st[fk, 0] = min(max(a - (hbb * ga - hab * gb) / det, -3.0), 3.0)
                st[fk, 1] = min(max(b - (haa * gb - hab * ga) / det, 0.0), 3.0)
                if step == steps - 1:  # the posterior curvature is the next chunk's prior
                    st[fk, 4], st[fk, 5], st[fk, 6] = haa, hab, hbb
                    st[fk, 15] = 0.0
        trained[c + 1] = seen
        best_all[c + 1] = best
        d_skill[c + 1], d_learned[c + 1] = d_mean[best], l_mean
        # checkpoint rows: the previous row with this chunk's forecasters changed (every weight if T changed)
        a_all[c + 1] = a_all[c]
        b_all[c + 1] = b_all[c]
        if best_all[c + 1] != best_all[c]:
            for fk in range(n_f):
                weight[c + 1, fk] = _weight(st[fk, 2] / (st[fk, 3] + shrink), t_inv)
        else:
            weight[c + 1] = weight[c]
        for m in range(n_who):
            fk = who[m]
            a_all[c + 1, fk], b_all[c + 1, fk] = st[fk, 0], st[fk, 1]
            weight[c + 1, fk] = _weight(st[fk, 2] / (st[fk, 3] + shrink), t_inv)
    return weight, a_all, b_all, d_skill, d_learned, best_all, trained


@nb.njit(cache=True, nogil=True, inline="always")
def _weight(rel: float, t_inv: float) -> float:
    """A skill weight exp(-relative Brier / T), the exponent capped at 20 either way; 1 for T = inf."""
    return 1.0 if t_inv == 0.0 else math.exp(-min(max(rel * t_inv, -20.0), 20.0))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def pool_rows(row_q, c, fc_row, fc_who, x, fc_prev, recency, weight, w_max, a, b, d, recalibrate: bool):
    """The skill or learned pool at every event row, forecast by forecast: expit(d * sum w x / sum w) over the
    standing forecasts (w = skill weight / its checkpoint's largest x recency weight; x = logit p, recalibrated
    to a + b x if asked), every fitted value from the row's checkpoint c; d only where two or more stand. Each
    new forecast adds its term and removes the one it replaces; at a question's first row and wherever the
    checkpoint changes mid-question the sums start afresh from the standing forecasts (kept in slots: a
    replacing forecast takes its predecessor's slot)."""
    n_rows, n_fc = len(row_q), len(fc_row)
    out = np.empty(n_rows)
    slot = np.empty(n_fc, np.int64)  # each forecast's slot among its question's standing forecasts
    stand = np.empty(16, np.int64)  # the forecast standing in each slot
    n_stand = 0
    sw = swx = 0.0
    j = 0
    for r in range(n_rows):
        fresh = r == 0 or row_q[r] != row_q[r - 1]
        if fresh:
            n_stand = 0
        restart = fresh or c[r] != c[r - 1]
        cr = c[r]
        while j < n_fc and fc_row[j] == r:
            pv = fc_prev[j]
            if pv >= 0:
                s = slot[pv]
            else:
                s = n_stand
                n_stand += 1
                if n_stand > len(stand):
                    bigger = np.empty(2 * len(stand), np.int64)
                    bigger[: len(stand)] = stand
                    stand = bigger
            slot[j] = s
            stand[s] = j
            if not restart:  # add the new term, remove the replaced one (the same person: the same fits)
                fk = fc_who[j]
                wf = weight[cr, fk] / w_max[cr]
                xn, xo = x[j], 0.0
                if recalibrate:
                    xn = a[cr, fk] + b[cr, fk] * xn
                w_new = wf * recency[j]
                sw += w_new
                swx += w_new * xn
                if pv >= 0:
                    xo = x[pv]
                    if recalibrate:
                        xo = a[cr, fk] + b[cr, fk] * xo
                    w_old = wf * recency[pv]
                    sw -= w_old
                    swx -= w_old * xo
            j += 1
        if restart:
            sw = swx = 0.0
            for s in range(n_stand):
                k = stand[s]
                fk = fc_who[k]
                wk = weight[cr, fk] / w_max[cr] * recency[k]
                xk = x[k]
                if recalibrate:
                    xk = a[cr, fk] + b[cr, fk] * xk
                sw += wk
                swx += wk * xk
        dd = d[cr] if n_stand >= 2 else 1.0
        out[r] = 1.0 / (1.0 + math.exp(-dd * swx / sw))
    return out
