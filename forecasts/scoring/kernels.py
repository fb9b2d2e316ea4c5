"""Compiled loops (numba) for the sequential parts of scoring large histories: per-run time integrals, the
running median of the people's Briers (relative Brier) and their running log-probability sum (peer score).

One pass over rows sorted by (question, forecaster, made_at, tie-break) writes every score column.
A running median is an order statistic over a set that changes one forecast at a time: no
whole-column numpy expression computes it without materialising every standing set, so it is a
loop; compiled, the whole scoring costs a few numpy passes. Questions are independent and run in
parallel (numba prange over chunks of questions), so results do not depend on the thread count.
Imported only by scoring.score_forecasts for histories of scoring_small.SMALL_ROWS forecasts or more
(smaller ones score in numpy, with the same results), so neither interactive commands nor a team's
`score` load numba. Compiled code is cached on disk (numba `cache=True`) after the first call.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from forecasts.scoring.constants import BINARY, CATEGORICAL, KIND_CODES, LOG_CLAMP, ORDERED

BINARY_KIND, CATEGORICAL_KIND, ORDERED_KIND = KIND_CODES[BINARY], KIND_CODES[CATEGORICAL], KIND_CODES[ORDERED]
LN_CLAMP_LO, LN_CLAMP_HI = float(np.log(LOG_CLAMP[0])), float(np.log(LOG_CLAMP[1]))
LN_2 = float(np.log(2.0))
ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
QUESTIONS_PER_CHUNK = 512  # questions one parallel task scores in turn, sharing scratch buffers


@nb.njit(cache=True, nogil=True)
def binary_row_scores(p: float, y: float) -> tuple[float, float, float, float]:
    """Brier, log and baseline score and ln p of one binary forecast P(yes) = p against y = 1 (yes), 0 (no) or
    the probability r a question resolved to: Brier (p − r)², log, baseline and ln p (the peer score's input)
    their expectation under r. p is clamped to [0.001, 0.999] for all but Brier, so forecasts of exactly 0 or 1
    score finitely. The same rules as scoring.brier_binary, scoring.log_score and scoring.baseline_score (tests
    hold them equal)."""
    ln_yes = min(max(np.log(p), LN_CLAMP_LO), LN_CLAMP_HI) if y != 0.0 else 0.0
    ln_no = min(max(np.log(1.0 - p), LN_CLAMP_LO), LN_CLAMP_HI) if y != 1.0 else 0.0
    ln_p = y * ln_yes + (1.0 - y) * ln_no
    return (p - y) ** 2, -ln_p, 100.0 * (ln_p / LN_2 + 1.0), ln_p


@nb.njit(cache=True, nogil=True)
def sort_state(q: np.ndarray, f: np.ndarray, t: np.ndarray) -> int:
    """0: rows strictly in (question, forecaster, made_at) order; 1: in order with equal keys; 2: out of order."""
    state = 0
    for i in range(1, len(q)):
        if q[i] != q[i - 1]:
            if q[i] < q[i - 1]:
                return 2
        elif f[i] != f[i - 1]:
            if f[i] < f[i - 1]:
                return 2
        elif t[i] < t[i - 1] or not t[i] >= t[i - 1]:  # NaN counts as out of order
            return 2
        elif t[i] == t[i - 1]:
            state = 1
    return state


@nb.njit(cache=True, nogil=True)
def _standing_seconds(t: float, t_next: float, lo: float, hi: float) -> float:
    """Seconds a value set at t and replaced at t_next stands inside the scoring window [lo, hi]."""
    return min(max(t_next, lo), hi) - min(max(t, lo), hi)


@nb.njit(cache=True, nogil=True)
def _scored_run_start(fcode: np.ndarray, t: np.ndarray, r: int, first: int, hi: float) -> bool:
    """Whether row r starts a (question, forecaster) run (the question's rows begin at `first`) that is
    scored: its first forecast came before the window's end hi."""
    return (r == first or fcode[r] != fcode[r - 1]) and t[r] < hi


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
def stable_order(x: np.ndarray, order: np.ndarray, scratch: np.ndarray, budget: int = 16) -> np.ndarray:
    """Stable argsort of finite x into `order` (the same permutation as np.argsort(x, kind="stable")).

    A counting sort into m equal-width buckets over [min, max], then insertion sort, which is linear for
    spread-out values; when insertion would move more than budget·m entries (clustered values) it falls
    back to mergesort. scratch: at least 2m+1 int64s. Returns `order` or, after the fallback, a new array.
    """
    m = len(x)
    if m == 0:
        return order[:0]
    lo, hi = x[0], x[0]
    for i in range(m):
        lo, hi = min(lo, x[i]), max(hi, x[i])
    span = hi - lo
    # (m-1)/span overflows to inf when the span is subnormal (0·inf is NaN, and int(NaN) a wild index): then
    # divide each offset by the span instead, which stays in [0, 1]
    scale = (m - 1) / span if span > 0.0 else 0.0
    exact = scale <= 1e300
    bucket, counts = scratch[:m], scratch[m : 2 * m + 1]
    counts[:] = 0
    for i in range(m):
        t = (x[i] - lo) * scale if exact else (x[i] - lo) / span * (m - 1)
        bucket[i] = min(max(int(t), 0), m - 1)  # monotone in x, so bucket order is value order
        counts[bucket[i] + 1] += 1
    for i in range(m):
        counts[i + 1] += counts[i]
    for i in range(m):
        order[counts[bucket[i]]] = i
        counts[bucket[i]] += 1
    moves = 0
    for i in range(1, m):
        r = order[i]
        v = x[r]
        j = i - 1
        while j >= 0 and x[order[j]] > v:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = r
        moves += i - 1 - j
        if moves > budget * m:
            return np.argsort(x, kind="mergesort")
    return order[:m]


@nb.njit(cache=True, nogil=True)
def _next_alive(words: np.ndarray, p: int) -> tuple[int, int]:
    """Smallest set bit above p (one must exist) and the number of words looked at."""
    i = p + 1
    wi = i >> 6
    word = words[wi] & (ALL_BITS << np.uint64(i & 63))
    looked = 1
    while word == 0:
        wi += 1
        word = words[wi]
        looked += 1
    return (wi << 6) + trailing_zeros(word), looked


@nb.njit(cache=True, nogil=True)
def _prev_alive(words: np.ndarray, p: int) -> tuple[int, int]:
    """Largest set bit below p (one must exist) and the number of words looked at."""
    i = p - 1
    wi = i >> 6
    word = words[wi] & (ALL_BITS >> np.uint64(63 - (i & 63)))
    looked = 1
    while word == 0:
        wi -= 1
        word = words[wi]
        looked += 1
    return (wi << 6) + 63 - leading_zeros(word), looked


@nb.njit(cache=True, nogil=True)
def running_median(
    x: np.ndarray,
    order: np.ndarray,
    replaces: np.ndarray,
    joins: np.ndarray,
    out: np.ndarray,
    ints: np.ndarray,
    budget: int = 8,
) -> None:
    """Median of the standing values after each event of one question, into out (NaN while nobody stands).

    Events are the rows of x taken in `order`; replaces[r] is the row whose value row r replaces (-1 for
    none) and joins[r] says whether row r adds a value at all (False: not a crowd member, and x may be
    anything). Values are ranked once; the standing ones are bits of a bitset over ranks, and a pointer
    hops from standing value to standing value to the lower median (each event moves it by a value or
    two). Should the hops scan more than budget·m words in all (a sparse crowd over very many ranks), a
    Fenwick tree over the ranks redoes the question in O(log m) per event. ints: at least 5m+2 int64s.
    """
    m = len(x)
    rank = ints[:m]
    ranked = out[:m]  # out doubles as the sort key until the medians overwrite it in event order
    for i in range(m):
        ranked[i] = x[i] if joins[i] and np.isfinite(x[i]) else 2.0  # a non-member ranks last, never stands
    vorder = stable_order(ranked, ints[2 * m + 1 : 3 * m + 1], ints[3 * m + 1 : 5 * m + 2])
    for i in range(m):
        rank[vorder[i]] = i
    words = ints[m : m + (m + 63) // 64].view(np.uint64)
    words[:] = 0
    steps, limit = 0, budget * m
    p, below, count = 0, 0, 0  # below: standing ranks under p
    for e in range(m):
        r = order[e]
        if joins[r]:
            if replaces[r] >= 0:
                gone = rank[replaces[r]]
                words[gone >> 6] &= ~(np.uint64(1) << np.uint64(gone & 63))
                below -= gone < p
            else:
                count += 1
            new = rank[r]
            words[new >> 6] |= np.uint64(1) << np.uint64(new & 63)
            below += new < p
        if count == 0:
            out[e] = np.nan
            continue
        k = (count - 1) // 2
        # `below` is the index of the first standing rank at or above p: hop until it is k and p stands
        if (words[p >> 6] >> np.uint64(p & 63)) & np.uint64(1) == 0 and below <= k:
            p, looked = _next_alive(words, p)
            steps += looked
        while below < k:
            p, looked = _next_alive(words, p)
            below += 1
            steps += looked
        while below > k:
            p, looked = _prev_alive(words, p)
            below -= 1
            steps += looked
        lo = x[vorder[p]]
        if count % 2 == 0:
            up, looked = _next_alive(words, p)
            steps += looked
            lo = 0.5 * (lo + x[vorder[up]])
        out[e] = lo
        if steps > limit:
            _fenwick_medians(x, order, replaces, joins, out, vorder, rank, ints[m : 2 * m + 1])
            return


@nb.njit(cache=True, nogil=True)
def _fenwick_medians(
    x: np.ndarray,
    order: np.ndarray,
    replaces: np.ndarray,
    joins: np.ndarray,
    out: np.ndarray,
    vorder: np.ndarray,
    rank: np.ndarray,
    tree: np.ndarray,
) -> None:
    """running_median's guaranteed O(log m) path: standing values counted in a Fenwick tree over ranks."""
    m = len(x)
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
        lo = x[vorder[_kth(tree, top, (count - 1) // 2)]]
        out[e] = lo if count % 2 else 0.5 * (lo + x[vorder[_kth(tree, top, count // 2)]])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _crowd_integrals(
    fcode: np.ndarray,
    t: np.ndarray,
    member: np.ndarray,
    rowb: np.ndarray,
    lnp: np.ndarray,
    lo: float,
    hi: float,
    filler: float,
    out_median: np.ndarray,
    out_peer: np.ndarray,
    out_peer_close: np.ndarray,
    ints: np.ndarray,
    floats: np.ndarray,
) -> None:
    """The people's side of one question's scored runs: ∫ of the median of the standing people's Briers over
    each run's time (out_median), its Metaculus peer integral ∫ n/(n−1)·(ln p − mean of the people's ln p) dt
    (out_peer, ×100 and ÷ lifetime later) and its spot peer score at hi (out_peer_close).

    Events are the rows in made_at order (ties in row order); after each event the people are every member's
    latest forecast. With no person standing the median counts as the uninformed filler Brier and the peer
    score as 0 (so does a lone person). out_* get one value per run whose first forecast came before hi, in
    row order. ints, floats: scratch (9m+3 int64s, 4m+3 floats).
    """
    m = len(t)
    order = stable_order(t, ints[:m], ints[m : 3 * m + 1])
    replaces = ints[3 * m + 1 : 4 * m + 1]
    replaces[0] = -1
    for r in range(1, m):
        replaces[r] = r - 1 if fcode[r] == fcode[r - 1] else -1
    med = floats[:m]
    running_median(rowb, order, replaces, member, med, ints[4 * m + 1 : 9 * m + 3])
    cum_med = floats[m : 2 * m + 1]  # integrals up to event e (before it), and to the end at [m]
    cum_a = floats[2 * m + 1 : 3 * m + 2]  # ∫ n/(n−1) dt
    cum_b = floats[3 * m + 2 : 4 * m + 3]  # ∫ Σ ln p / (n−1) dt
    position = ints[m : 2 * m]
    n, s_ln, n_end, s_end = 0, 0.0, 0, 0.0
    tm, ta, tb = 0.0, 0.0, 0.0
    for e in range(m):
        r = order[e]
        if member[r]:
            if replaces[r] >= 0:
                s_ln -= lnp[replaces[r]]
            else:
                n += 1
            s_ln += lnp[r]
        if t[r] < hi:
            n_end, s_end = n, s_ln
        cum_med[e], cum_a[e], cum_b[e] = tm, ta, tb
        t_next = hi if e == m - 1 else t[order[e + 1]]
        d = _standing_seconds(t[r], t_next, lo, hi)
        if d > 0.0:
            tm += d * (filler if np.isnan(med[e]) else med[e])
            if n > 1:
                ta += d * n / (n - 1.0)
                tb += d * s_ln / (n - 1.0)
        position[r] = e
    cum_med[m], cum_a[m], cum_b[m] = tm, ta, tb
    g, spot, scored = -1, -1, False
    for r in range(m):
        if r == 0 or fcode[r] != fcode[r - 1]:
            scored = _scored_run_start(fcode, t, r, 0, hi)
            if scored:
                g += 1
                out_median[g] = tm - cum_med[position[r]]
                out_peer[g] = -(tb - cum_b[position[r]])
        if not scored:
            continue
        last = r == m - 1 or fcode[r + 1] != fcode[r]
        nxt = m if last else position[r + 1]
        out_peer[g] += lnp[r] * (cum_a[nxt] - cum_a[position[r]])
        if t[r] < hi:
            spot = r
        if last:
            out_peer_close[g] = 100.0 * (lnp[spot] - s_end / n_end) * n_end / (n_end - 1.0) if n_end > 1 else 0.0


@nb.njit(cache=True, nogil=True)
def _chunk_bounds(qstart: np.ndarray, c: int) -> tuple[int, int]:
    """The questions [first, last) of parallel chunk c."""
    nq = len(qstart) - 1
    return c * QUESTIONS_PER_CHUNK, min((c + 1) * QUESTIONS_PER_CHUNK, nq)


@nb.njit(cache=True, parallel=True)
def scored_run_offsets(
    qstart: np.ndarray, qcode: np.ndarray, fcode: np.ndarray, t: np.ndarray, q_clip_end: np.ndarray
) -> np.ndarray:
    """Where each question's scored runs start in score_runs' output (length: questions + 1, last = total).

    A (question, forecaster) run is scored when its first forecast came before min(closes_at, known_at).
    The caller allocates the outputs with numpy, whose large arrays get transparent huge pages: first
    touching 0.8 GB costs about 0.05 s that way against 0.2 s in numba's allocator on our 2-core machine.
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
                kept += _scored_run_start(fcode, t, r, qstart[i], hi)
            runs[i + 1] = kept
    return np.cumsum(runs)


@nb.njit(cache=True, parallel=True, error_model="numpy")
def score_runs(
    qstart: np.ndarray,
    offset: np.ndarray,
    qcode: np.ndarray,
    fcode: np.ndarray,
    t: np.ndarray,
    brier: np.ndarray,
    logs: np.ndarray,
    base: np.ndarray,
    lnps: np.ndarray,
    q_opens: np.ndarray,
    q_clip_end: np.ndarray,
    q_life: np.ndarray,
    q_filler_brier: np.ndarray,
    relative: bool,
    member: np.ndarray,
    pyes: np.ndarray,
    q_kind: np.ndarray,
    q_yes: np.ndarray,
    gq: np.ndarray,
    gf: np.ndarray,
    count: np.ndarray,
    cols: np.ndarray,
) -> None:
    """Every score of every scored (question, forecaster) run of rows sorted by (question, forecaster,
    made_at, tie-break), written at the scored_run_offsets positions: question codes (gq), forecaster
    codes (gf), forecast counts, and the float columns of scoring.FLOAT_FIELDS in order (one row of
    `cols` each).

    Each forecast stands from made_at to the run's next forecast (the last to min(closes_at, known_at)),
    clipped to [opens_at, min(closes_at, known_at)]. Spot scores are those of the last forecast made before
    that end. Questions are rows qstart[i]:qstart[i+1]; per-question arrays (q_*) are indexed by question
    code. Binary rows are scored here from pyes = P(yes) against q_yes (1 yes, 0 no, or the probability r the
    question resolved to: Brier (p − r)², log, baseline and peer their expectation under r); brier, logs, base
    and lnps (ln p of the outcome) hold the row scores of categorical and ordered rows (empty when there are
    none). scoring_small does the same in numpy for small histories (tests hold them equal).
    """
    nq = len(qstart) - 1
    nchunks = (nq + QUESTIONS_PER_CHUNK - 1) // QUESTIONS_PER_CHUNK
    for c in nb.prange(nchunks):
        first_q, last_q = _chunk_bounds(qstart, c)
        longest = 1
        for i in range(first_q, last_q):
            longest = max(longest, qstart[i + 1] - qstart[i])
        ints = np.empty(9 * longest + 3, dtype=np.int64)
        floats = np.empty(4 * longest + 3)
        rows = np.empty((4, longest))  # Brier, log, baseline, ln p of each row of the question
        crowd = np.empty((3, longest))  # per run: ∫ people's median Brier, peer integral, spot peer
        for i in range(first_q, last_q):
            a, b = qstart[i], qstart[i + 1]
            q = qcode[a]
            lo, hi, life = q_opens[q], q_clip_end[q], q_life[q]
            span = hi - lo
            binary, y = q_kind[q] == BINARY_KIND, q_yes[q]
            factor = 1.0 if q_kind[q] == CATEGORICAL_KIND else 2.0  # GJ two-sided: binary and ordered ×2
            for j in range(a, b):
                if binary:
                    rows[0, j - a], rows[1, j - a], rows[2, j - a], rows[3, j - a] = binary_row_scores(pyes[j], y)
                else:
                    rows[0, j - a], rows[1, j - a], rows[2, j - a], rows[3, j - a] = brier[j], logs[j], base[j], lnps[j]
            if relative and offset[i + 1] > offset[i]:
                _crowd_integrals(
                    fcode[a:b], t[a:b], member[a:b], rows[0, : b - a], rows[3, : b - a], lo, hi,
                    q_filler_brier[q], crowd[0], crowd[1], crowd[2], ints, floats,
                )  # fmt: skip
            g = offset[i] - 1
            r = a
            while r < b:
                run_end = r + 1
                while run_end < b and fcode[run_end] == fcode[r]:
                    run_end += 1
                if _scored_run_start(fcode, t, r, a, hi):
                    g += 1
                    active, sb, sl, sbase = 0.0, 0.0, 0.0, 0.0
                    spot_b, spot_l, spot_s = 0.0, 0.0, 0.0
                    for j in range(r, run_end):
                        rb, rl, rs = rows[0, j - a], rows[1, j - a], rows[2, j - a]
                        t_next = hi if j == run_end - 1 else t[j + 1]
                        d = _standing_seconds(t[j], t_next, lo, hi)
                        if d > 0.0:
                            active += d
                            sb += rb * d
                            sl += rl * d
                            sbase += rs * d
                        if t[j] < hi:  # the spot forecast: the last one made before the end
                            spot_b, spot_l, spot_s = rb, rl, rs
                    gq[g], gf[g], count[g] = q, fcode[r], run_end - r
                    k = g - offset[i]
                    _write_scores(
                        cols, g, active, sb, sl, sbase, spot_b, spot_l, spot_s, span, life, factor, q_filler_brier[q],
                        relative, crowd[0, k], crowd[1, k], crowd[2, k],
                    )  # fmt: skip
                r = run_end


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _write_scores(
    cols: np.ndarray,
    g: int,
    active: float,
    sb: float,
    sl: float,
    sbase: float,
    spot_b: float,
    spot_l: float,
    spot_s: float,
    span: float,
    life: float,
    factor: float,
    filler: float,
    relative: bool,
    crowd_median: float,
    peer_integral: float,
    peer_close: float,
) -> None:
    """One run's float columns (scoring.FLOAT_FIELDS order) from its integrals; NaN where undefined."""
    nan = np.nan
    brier = sb / active if active > 0.0 else nan
    rel = (sb - crowd_median) / span if relative and span > 0.0 else nan
    cols[0, g] = brier
    cols[1, g] = factor * brier
    cols[2, g] = active / span if span > 0.0 else nan
    cols[3, g] = rel
    cols[4, g] = factor * rel
    cols[5, g] = 100.0 * peer_integral / life if relative else nan
    cols[6, g] = peer_close if relative else nan
    cols[7, g] = active / life
    cols[8, g] = spot_b
    cols[9, g] = (sb + filler * max(life - active, 0.0)) / life
    cols[10, g] = sl / active if active > 0.0 else nan
    cols[11, g] = spot_l
    cols[12, g] = sbase / life
    cols[13, g] = spot_s
