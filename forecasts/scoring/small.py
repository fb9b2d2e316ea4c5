"""Scoring of small histories in numpy and plain Python: the same results as scoring_kernels, without numba.

A team's database (hundreds to tens of thousands of forecasts) scores in milliseconds this way, where
loading numba and its compiled kernels costs about a second warm and much longer on a first run after
install. scoring.score_forecasts picks this path below SMALL_ROWS rows; tests hold both paths equal.
"""

from __future__ import annotations

import bisect

import numpy as np

from forecasts.scoring.constants import BINARY, CATEGORICAL, KIND_CODES, LOG_CLAMP

SMALL_ROWS = 200_000  # below it numpy is faster than loading numba and its cached kernels (~1 s; measured:
# 50,000 forecasts 0.23 s, 200,000 0.88 s in numpy)


def scored_run_offsets(qstart: np.ndarray, qcode: np.ndarray, fcode: np.ndarray, t: np.ndarray,
                       q_clip_end: np.ndarray) -> np.ndarray:  # fmt: skip
    """Where each question's scored runs start in the output (length: questions + 1, last = total)."""
    n = len(qcode)
    if n == 0:
        return np.zeros(len(qstart), dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = (qcode[1:] != qcode[:-1]) | (fcode[1:] != fcode[:-1])
    scored = start & (t < q_clip_end[qcode])
    per_q = np.add.reduceat(scored.astype(np.int64), qstart[:-1]) if len(qstart) > 1 else np.zeros(0, np.int64)
    return np.concatenate(([0], np.cumsum(per_q))).astype(np.int64)


def _binary_rows(p: np.ndarray, y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brier, log, baseline and ln p of binary forecasts P(yes) = p against y (1 yes, 0 no, or the probability r
    the question resolved to): scoring_kernels.binary_row_scores over a column."""
    lo, hi = np.log(LOG_CLAMP[0]), np.log(LOG_CLAMP[1])
    with np.errstate(divide="ignore"):
        ln_yes = np.clip(np.log(p), lo, hi) if y != 0.0 else 0.0
        ln_no = np.clip(np.log(1.0 - p), lo, hi) if y != 1.0 else 0.0
    ln_p = y * ln_yes + (1.0 - y) * ln_no
    return (p - y) ** 2, -ln_p, 100.0 * (ln_p / np.log(2.0) + 1.0), ln_p


def _standing(t: np.ndarray, t_next: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(t_next, lo), hi) - np.minimum(np.maximum(t, lo), hi)


PeopleSide = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, float]]


def _people_side(fcode: np.ndarray, t: np.ndarray, member: np.ndarray, rowb: np.ndarray, lnp: np.ndarray,
                 lo: float, hi: float, filler: float) -> PeopleSide:  # fmt: skip
    """Each row's position among the events (made_at order), the prefix integrals before each event (and to the
    end) of the people's median Brier, n/(n−1) and Σ ln p/(n−1), and (n, Σ ln p) of the people at close:
    the conventions of scoring_kernels._crowd_integrals."""
    m = len(t)
    order = np.argsort(t, kind="stable")
    replaces = np.full(m, -1, dtype=np.int64)
    same = np.flatnonzero(fcode[1:] == fcode[:-1]) + 1
    replaces[same] = same - 1
    t_sorted = t[order]
    t_next = np.append(t_sorted[1:], hi)
    d = _standing(t_sorted, t_next, lo, hi)
    standing: list[float] = []
    n, s_ln, n_end, s_end = 0, 0.0, 0, 0.0
    med, a_rate, b_rate = np.empty(m), np.zeros(m), np.zeros(m)
    for e, r in enumerate(order.tolist()):
        if member[r]:
            prev = replaces[r]
            if prev >= 0:
                del standing[bisect.bisect_left(standing, rowb[prev])]
                s_ln -= lnp[prev]
            else:
                n += 1
            bisect.insort(standing, rowb[r])
            s_ln += lnp[r]
        if t[r] < hi:
            n_end, s_end = n, s_ln
        k = len(standing)
        med[e] = filler if k == 0 else (standing[k // 2] if k % 2 else 0.5 * (standing[k // 2 - 1] + standing[k // 2]))
        if n > 1:
            a_rate[e], b_rate[e] = n / (n - 1.0), s_ln / (n - 1.0)
    zero = np.zeros(1)
    cum_med = np.concatenate((zero, np.cumsum(np.where(d > 0, d * med, 0.0))))
    cum_a = np.concatenate((zero, np.cumsum(np.where(d > 0, d * a_rate, 0.0))))
    cum_b = np.concatenate((zero, np.cumsum(np.where(d > 0, d * b_rate, 0.0))))
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    return position, cum_med, cum_a, cum_b, (n_end, s_end)


def score_runs(qstart: np.ndarray, offset: np.ndarray, qcode: np.ndarray, fcode: np.ndarray, t: np.ndarray,
               brier: np.ndarray, logs: np.ndarray, base: np.ndarray, lnps: np.ndarray, q_opens: np.ndarray,
               q_clip_end: np.ndarray, q_life: np.ndarray, q_filler_brier: np.ndarray, relative: bool,
               member: np.ndarray, pyes: np.ndarray, q_kind: np.ndarray, q_yes: np.ndarray, gq: np.ndarray,
               gf: np.ndarray, count: np.ndarray, cols: np.ndarray) -> None:  # fmt: skip
    """scoring_kernels.score_runs in numpy: same arguments, same outputs."""
    for i in range(len(qstart) - 1):
        a, b = int(qstart[i]), int(qstart[i + 1])
        if offset[i + 1] == offset[i]:
            continue
        q = int(qcode[a])
        lo, hi, life = float(q_opens[q]), float(q_clip_end[q]), float(q_life[q])
        span = hi - lo
        factor = 1.0 if q_kind[q] == KIND_CODES[CATEGORICAL] else 2.0
        tq, fq = t[a:b], fcode[a:b]
        if q_kind[q] == KIND_CODES[BINARY]:
            rb, rl, rs, lnp = _binary_rows(pyes[a:b], float(q_yes[q]))
        else:
            rb, rl, rs, lnp = brier[a:b], logs[a:b], base[a:b], lnps[a:b]
        m = b - a
        run_start = np.ones(m, dtype=bool)
        run_start[1:] = fq[1:] != fq[:-1]
        last = np.append(run_start[1:], True)
        t_next = np.where(last, hi, np.append(tq[1:], hi))
        d = _standing(tq, t_next, lo, hi)
        starts = np.flatnonzero(run_start)
        scored = tq[starts] < hi
        per = {name: np.add.reduceat(v, starts)[scored] for name, v in
               (("active", d), ("sb", rb * d), ("sl", rl * d), ("sbase", rs * d))}  # fmt: skip
        # spot: the last row of each run made before hi
        before = np.where(tq < hi, np.arange(m), -1)
        spot = np.maximum.reduceat(before, starts)[scored]
        runs = starts[scored]
        g = slice(int(offset[i]), int(offset[i + 1]))
        gq[g], gf[g] = q, fq[runs]
        count[g] = np.diff(np.append(starts, m))[scored]
        crowd_median = peer_int = peer_close = np.full(len(runs), np.nan)
        if relative:
            position, cum_med, cum_a, cum_b, (n_end, s_end) = _people_side(
                fq, tq, member[a:b], rb, lnp, lo, hi, float(q_filler_brier[q])
            )
            crowd_median = cum_med[m] - cum_med[position[runs]]
            nxt = np.where(last, m, np.append(position[1:], m))
            row_peer = lnp * (cum_a[nxt] - cum_a[position])
            peer_int = np.add.reduceat(row_peer, starts)[scored] - (cum_b[m] - cum_b[position[runs]])
            peer_close = (
                100.0 * (lnp[spot] - s_end / n_end) * n_end / (n_end - 1.0) if n_end > 1 else np.zeros(len(runs))
            )
        _write(cols[:, g], per, rb[spot], rl[spot], rs[spot], span, life, factor, float(q_filler_brier[q]), relative,
               crowd_median, peer_int, peer_close)  # fmt: skip


def _write(cols: np.ndarray, per: dict[str, np.ndarray], spot_b: np.ndarray, spot_l: np.ndarray, spot_s: np.ndarray,
           span: float, life: float, factor: float, filler: float, relative: bool, crowd_median: np.ndarray,
           peer_int: np.ndarray, peer_close: np.ndarray) -> None:  # fmt: skip
    """scoring_kernels._write_scores over a question's runs at once."""
    active, sb = per["active"], per["sb"]
    with np.errstate(invalid="ignore", divide="ignore"):
        brier = np.where(active > 0, sb / active, np.nan)
        rel = (sb - crowd_median) / span if relative and span > 0 else np.full(len(sb), np.nan)
        cols[0], cols[1] = brier, factor * brier
        cols[2] = active / span if span > 0 else np.nan
        cols[3], cols[4] = rel, factor * rel
        cols[5] = 100.0 * peer_int / life if relative else np.nan
        cols[6] = peer_close if relative else np.nan
        cols[7] = active / life
        cols[8] = spot_b
        cols[9] = (sb + filler * np.maximum(life - active, 0.0)) / life
        cols[10] = np.where(active > 0, per["sl"] / active, np.nan)
        cols[11] = spot_l
        cols[12] = per["sbase"] / life
        cols[13] = spot_s
