"""Compiled loops (numba) for the sequential parts of scoring: per-run time integrals and the crowd's running median.

One pass over rows sorted by (question, forecaster, made_at, tie-break) writes every score column.
A running median is an order statistic over a set that changes one forecast at a time: no
whole-column numpy expression computes it without materialising every standing set, so it is a
loop; compiled, the whole scoring costs a few numpy passes. Questions are independent and run in
parallel (numba prange over chunks of questions), so results do not depend on the thread count.
Imported only by scoring.score_forecasts, so interactive commands never load numba. Compiled code
is cached on disk (numba `cache=True`) after the first call.
"""

from __future__ import annotations

import numba as nb
import numpy as np

BINARY_KIND, CATEGORICAL_KIND, ORDERED_KIND = 0, 1, 2
N_FLOAT_COLUMNS = 10  # scoring.SCORE_COLUMNS after n_forecasts, in that order
QUESTIONS_PER_CHUNK = 512  # questions one parallel task scores in turn, sharing scratch buffers


@nb.njit(cache=True, nogil=True)
def _kth(tree: np.ndarray, top: int, k: int) -> int:
    """0-based rank of the (k+1)-th present value in a Fenwick tree of counts (top: largest power of 2 <= size)."""
    m = len(tree) - 1
    pos, rem, step = 0, k + 1, top
    while step > 0:
        nxt = pos + step
        if nxt <= m and tree[nxt] < rem:
            pos = nxt
            rem -= tree[nxt]
        step >>= 1
    return pos


@nb.njit(cache=True, nogil=True)
def _fenwick_add(tree: np.ndarray, rank: int, delta: int) -> None:
    i = rank + 1
    m = len(tree) - 1
    while i <= m:
        tree[i] += delta
        i += i & -i


@nb.njit(cache=True, nogil=True)
def _bits(m: int) -> int:
    """Bits needed to store 0..m-1."""
    s = 1
    while (1 << s) < m:
        s += 1
    return s


@nb.njit(cache=True, nogil=True)
def time_order(t: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Stable argsort of made_at: integer seconds (as stored) sort as packed int64 keys, others by mergesort.

    keys: scratch of at least len(t) int64s; the result may be a view of it.
    """
    m = len(t)
    s = _bits(m)
    lo, hi = t[0], t[0]
    integral = True
    for i in range(m):
        lo, hi = min(lo, t[i]), max(hi, t[i])
        integral = integral and t[i] == np.floor(t[i])
    if not (integral and hi - lo < 2.0 ** (62 - s)):
        return np.argsort(t, kind="mergesort")
    k = keys[:m]
    for i in range(m):
        k[i] = (np.int64(t[i] - lo) << s) | i
    k.sort()
    mask = (np.int64(1) << s) - 1
    for i in range(m):
        k[i] &= mask
    return k


@nb.njit(cache=True, nogil=True)
def running_median(
    x: np.ndarray, order: np.ndarray, replaces: np.ndarray, joins: np.ndarray, out: np.ndarray, scratch: np.ndarray
) -> None:
    """Median of the standing values after each event of one question, into out (NaN while nobody stands).

    Events are the rows of x (values in [0, 1]) taken in `order`; replaces[r] is the row whose value row r
    replaces (-1 for none) and joins[r] says whether row r adds a value at all (False: not a crowd member).
    Standing values are counted in a Fenwick tree over value ranks, so each event costs O(log m). Ranks
    come from sorting float bits packed with the row number: values within 2^bits(m) ulps of each other
    may rank in either order, which moves the median by at most that much. scratch: 3m+1 int64s.
    """
    m = len(x)
    s = _bits(m)
    keys, rank, tree = scratch[:m], scratch[m : 2 * m], scratch[2 * m : 3 * m + 1]
    floats = keys.view(np.float64)
    for i in range(m):
        floats[i] = x[i] if joins[i] and x[i] >= 0.0 and x[i] <= 1.0 else 1.5  # never joins: ranks last
    high = ~((np.int64(1) << s) - 1)
    for i in range(m):
        keys[i] = (keys[i] & high) | i  # non-negative floats order as their bit patterns
    keys.sort()
    mask = (np.int64(1) << s) - 1
    for i in range(m):
        keys[i] &= mask  # now the row of each rank
        rank[keys[i]] = i
    tree[:] = 0
    top = 1
    while top * 2 <= m:
        top *= 2
    count = 0
    for e in range(m):
        r = order[e]
        if joins[r]:
            if replaces[r] >= 0:
                _fenwick_add(tree, rank[replaces[r]], -1)
            else:
                count += 1
            _fenwick_add(tree, rank[r], 1)
        if count == 0:
            out[e] = np.nan
            continue
        lo = x[keys[_kth(tree, top, (count - 1) // 2)]]
        out[e] = lo if count % 2 else 0.5 * (lo + x[keys[_kth(tree, top, count // 2)]])


@nb.njit(cache=True, nogil=True)
def _crowd_brier(med: np.ndarray, kind: int, outcome: int) -> float:
    """Brier of the crowd's (renormalised) median forecast; NaN while nobody stands."""
    if np.isnan(med[0]):
        return np.nan
    if kind == BINARY_KIND:
        o = 1.0 if outcome == 0 else 0.0
        return (med[0] - o) ** 2
    k = len(med)
    total = 0.0
    for j in range(k):
        total += med[j]
    score, cum_m, cum_o = 0.0, 0.0, 0.0
    for j in range(k):
        o = 1.0 if j == outcome else 0.0
        if kind == CATEGORICAL_KIND:
            score += (med[j] / total - o) ** 2
        elif j < k - 1:
            cum_m += med[j] / total
            cum_o += o
            score += (cum_m - cum_o) ** 2
    return score if kind == CATEGORICAL_KIND else score / (k - 1)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _crowd_integrals(
    fcode: np.ndarray,
    t: np.ndarray,
    member: np.ndarray,
    values: np.ndarray,
    kind: int,
    outcome: int,
    lo: float,
    hi: float,
    filler: float,
    out: np.ndarray,
    ints: np.ndarray,
    floats: np.ndarray,
) -> None:
    """∫ of the crowd median's Brier over [first forecast, end) of each scored run of one question's rows.

    Events are the rows in made_at order (ties in row order); after each event the crowd is every
    member's latest value; its median (per outcome column of `values`, renormalised) stands until the
    next event. Nobody standing counts as the uninformed filler Brier. out gets one value per run whose
    first forecast came before `hi`, in row order. ints, floats: scratch (6m+1 int64s, (k+1)m floats).
    """
    m, k = values.shape
    order = time_order(t, ints[:m])
    replaces = ints[m : 2 * m]
    replaces[0] = -1
    for r in range(1, m):
        replaces[r] = r - 1 if fcode[r] == fcode[r - 1] else -1
    med = floats[: m * k].reshape((k, m))
    for j in range(k):
        running_median(values[:, j], order, replaces, member, med[j], ints[2 * m : 5 * m + 1])
    before = floats[m * k : m * (k + 1)]
    position = ints[2 * m : 3 * m]
    point = np.empty(k)
    total = 0.0
    for e in range(m):
        before[e] = total
        t_next = hi if e == m - 1 else t[order[e + 1]]
        d = min(max(t_next, lo), hi) - min(max(t[order[e]], lo), hi)
        if d > 0.0:
            for j in range(k):
                point[j] = med[j, e]
            cb = _crowd_brier(point, kind, outcome)
            total += d * (filler if np.isnan(cb) else cb)
        position[order[e]] = e
    g = 0
    for r in range(m):
        if (r == 0 or fcode[r] != fcode[r - 1]) and t[r] < hi:
            out[g] = total - before[position[r]]
            g += 1


@nb.njit(cache=True, nogil=True)
def _chunk_bounds(qstart: np.ndarray, c: int) -> tuple[int, int]:
    nq = len(qstart) - 1
    return c * QUESTIONS_PER_CHUNK, min((c + 1) * QUESTIONS_PER_CHUNK, nq)


@nb.njit(cache=True, parallel=True, error_model="numpy")
def score_runs(
    qstart: np.ndarray,
    qcode: np.ndarray,
    fcode: np.ndarray,
    t: np.ndarray,
    brier: np.ndarray,
    logs: np.ndarray,
    base: np.ndarray,
    q_opens: np.ndarray,
    q_clip_end: np.ndarray,
    q_life: np.ndarray,
    q_filler_brier: np.ndarray,
    q_filler_log: np.ndarray,
    q_binary: np.ndarray,
    relative: bool,
    member: np.ndarray,
    values: np.ndarray,
    q_ncols: np.ndarray,
    q_kind: np.ndarray,
    q_outcome: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every score of every scored (question, forecaster) run of rows sorted by (question, forecaster,
    made_at, tie-break): question codes, forecaster codes, forecast counts, and the float columns of
    scoring.SCORE_COLUMNS in order (one row of `cols` each).

    Each forecast stands from made_at to the run's next forecast (the last to min(closes_at, known_at)),
    clipped to [opens_at, min(closes_at, known_at)]; the rest of the scheduled lifetime counts as the
    uninformed filler. A run whose first forecast came at or after that end is not scored. Spot scores
    are those of the last forecast made before it. Questions are rows qstart[i]:qstart[i+1]; per-question
    arrays (q_*) are indexed by question code.
    """
    nq = len(qstart) - 1
    nchunks = (nq + QUESTIONS_PER_CHUNK - 1) // QUESTIONS_PER_CHUNK
    runs = np.zeros(nq + 1, dtype=np.int64)
    for c in nb.prange(nchunks):
        first_q, last_q = _chunk_bounds(qstart, c)
        for i in range(first_q, last_q):
            hi = q_clip_end[qcode[qstart[i]]]
            kept = 0
            for r in range(qstart[i], qstart[i + 1]):
                kept += (r == qstart[i] or fcode[r] != fcode[r - 1]) and t[r] < hi
            runs[i + 1] = kept
    offset = np.cumsum(runs)
    ng = offset[-1]
    gq = np.empty(ng, dtype=np.int32)
    gf = np.empty(ng, dtype=np.int32)
    count = np.zeros(ng, dtype=np.int64)
    cols = np.empty((N_FLOAT_COLUMNS, ng))
    for c in nb.prange(nchunks):
        first_q, last_q = _chunk_bounds(qstart, c)
        longest = 1
        for i in range(first_q, last_q):
            longest = max(longest, qstart[i + 1] - qstart[i])
        k_max = 1
        for i in range(first_q, last_q):
            k_max = max(k_max, q_ncols[qcode[qstart[i]]])
        ints = np.empty(6 * longest + 1, dtype=np.int64)
        floats = np.empty((k_max + 1) * longest)
        crowd = np.empty(longest)
        for i in range(first_q, last_q):
            a, b = qstart[i], qstart[i + 1]
            q = qcode[a]
            lo, hi, life = q_opens[q], q_clip_end[q], q_life[q]
            if relative and offset[i + 1] > offset[i]:
                _crowd_integrals(
                    fcode[a:b], t[a:b], member[a:b], values[a:b, : q_ncols[q]], q_kind[q], q_outcome[q],
                    lo, hi, q_filler_brier[q], crowd, ints, floats,
                )  # fmt: skip
            g = offset[i] - 1
            r = a
            while r < b:
                run_end = r + 1
                while run_end < b and fcode[run_end] == fcode[r]:
                    run_end += 1
                if t[r] < hi:  # the run's first forecast came before the end: scored
                    g += 1
                    active, sb, sl, sbase = 0.0, 0.0, 0.0, 0.0
                    spot = r
                    for j in range(r, run_end):
                        t_next = hi if j == run_end - 1 else t[j + 1]
                        d = min(max(t_next, lo), hi) - min(max(t[j], lo), hi)
                        if d > 0.0:
                            active += d
                            sb += brier[j] * d
                            sl += logs[j] * d
                            sbase += base[j] * d
                        if t[j] < hi:
                            spot = j
                    idle = max(life - active, 0.0)
                    gq[g], gf[g], count[g] = q, fcode[r], run_end - r
                    tavg = (sb + q_filler_brier[q] * idle) / life
                    cols[0, g] = tavg
                    cols[1, g] = 2.0 * tavg if q_binary[q] else np.nan
                    cols[2, g] = active / life
                    cols[3, g] = sb / active if active > 0.0 else np.nan
                    cols[4, g] = (sb - crowd[g - offset[i]]) / life if relative else np.nan
                    cols[5, g] = brier[spot]
                    cols[6, g] = (sl + q_filler_log[q] * idle) / life
                    cols[7, g] = logs[spot]
                    cols[8, g] = sbase / life
                    cols[9, g] = base[spot]
                r = run_end
    return gq, gf, count, cols
