"""Proper scores for forecasts, vectorised over whole columns (design.md "Scoring").

Per-forecast rules (Brier, log, baseline, ordered Brier, RPS) are elementwise numpy functions.
`score_forecasts` turns a forecast history into one row per forecaster × question: each forecast
stands from its made_at until the same forecaster's next forecast, clipped to
[opens_at, min(closes_at, known_at)); every other instant of the scheduled lifetime counts as the
uninformed forecast; sums are taken with np.add.reduceat over (question, forecaster) runs. The crowd
median for relative Brier is a running median: per question (split into chunks of CHUNK events, each
starting from the values standing at its start) the values are ranked once, and two pointers walk
over alive flags to the lower and upper median after each event, stepped in lockstep across all
chunks (a loop over event positions, never over forecasts). Each event moves the median by about one
value, so walks are short; the worst case is O(CHUNK) per event when many values were replaced.

Outcomes are indices into the question's outcome list; binary questions have outcomes (yes, no), so
outcome_index 0 means "yes" and `probability` is P(yes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOG_CLAMP = (0.001, 0.999)
BINARY, CATEGORICAL, ORDERED = "binary", "categorical", "ordered"
CHUNK = 256  # events per lockstep chunk of the running median (bounds its steps and worst-case walks)

SCORE_COLUMNS = {
    "n_forecasts": "forecasts made (count)",
    "brier_time_avg": "time-averaged Brier (binary/ordered 0–1, categorical 0–2; lower is better)",
    "brier_time_avg_gj": "time-averaged Brier, GJ Open/Fatebook convention 2·(p−o)² (binary only, 0–2)",
    "coverage": "share of the scheduled lifetime with a standing forecast (0–1)",
    "brier_active": "mean Brier while a forecast stood (same range as Brier)",
    "relative_brier": "time-averaged Brier minus the crowd median's, while active (negative = better than crowd)",
    "brier_close": "spot Brier of the forecast standing at close (same range as Brier)",
    "log_time_avg": "time-averaged log score −ln p (clamped to [0.001, 0.999]; lower is better)",
    "log_close": "spot log score at close",
    "baseline_time_avg": "time-averaged baseline score 100·(log_K p + 1) (Metaculus; higher is better)",
    "baseline_close": "spot baseline score at close",
}


# --- per-forecast rules -------------------------------------------------------------------------


def brier_binary(p: np.ndarray | float, outcome: np.ndarray | float) -> np.ndarray:
    """(p − o)² with p = P(yes) and o = 1 for yes: 0 (perfect) to 1."""
    return (np.asarray(p, dtype=float) - np.asarray(outcome, dtype=float)) ** 2


def one_hot(outcome_index: np.ndarray | int, k: int) -> np.ndarray:
    """Outcome indices → rows of 0/1 indicators of width k."""
    idx = np.atleast_1d(np.asarray(outcome_index))
    return (idx[:, None] == np.arange(k)[None, :]).astype(float)


def brier_categorical(probs: np.ndarray, outcome_index: np.ndarray | int) -> np.ndarray:
    """Σ_k (p_k − o_k)² over outcomes: 0 to 2."""
    p = np.atleast_2d(np.asarray(probs, dtype=float))
    return ((p - one_hot(outcome_index, p.shape[1])) ** 2).sum(axis=1)


def _cumulative_gap(probs: np.ndarray, outcome_index: np.ndarray | int) -> np.ndarray:
    p = np.atleast_2d(np.asarray(probs, dtype=float))
    o = one_hot(outcome_index, p.shape[1])
    return (np.cumsum(p, axis=1) - np.cumsum(o, axis=1))[:, :-1] ** 2


def rps(probs: np.ndarray, outcome_index: np.ndarray | int) -> np.ndarray:
    """Ranked probability score, unnormalised: Σ over the K−1 cumulative splits of (P_j − O_j)²."""
    return _cumulative_gap(probs, outcome_index).sum(axis=1)


def brier_ordered(probs: np.ndarray, outcome_index: np.ndarray | int) -> np.ndarray:
    """Ordered-categorical Brier (GJ Open): the mean binary Brier over the K−1 cumulative splits, 0 to 1."""
    return _cumulative_gap(probs, outcome_index).mean(axis=1)


def log_score(p_outcome: np.ndarray | float) -> np.ndarray:
    """−ln p of the outcome that happened, p clamped to [0.001, 0.999]: 0.001 to 6.9, lower is better."""
    return -np.log(np.clip(np.asarray(p_outcome, dtype=float), *LOG_CLAMP))


def baseline_score(p_outcome: np.ndarray | float, n_outcomes: np.ndarray | int = 2) -> np.ndarray:
    """Metaculus baseline score 100·(log_K p + 1): 0 for the uniform forecast, 100 for certainty."""
    p = np.asarray(p_outcome, dtype=float)
    return 100.0 * (np.log(p) / np.log(np.asarray(n_outcomes, dtype=float)) + 1.0)


def uninformed_brier(qtype: str, k: int) -> float:
    """Brier of the uniform forecast (the filler before a first forecast): 0.25 binary, (K−1)/K categorical."""
    if qtype == BINARY:
        return 0.25
    uniform = np.full((1, k), 1.0 / k)
    rule = brier_ordered if qtype == ORDERED else brier_categorical
    return float(rule(uniform, 0)[0])


# --- input preparation ---------------------------------------------------------------------------


def to_seconds(values: pd.Series | np.ndarray) -> np.ndarray:
    """Float seconds since the epoch from float seconds or (naive = UTC, or aware) datetime64 values."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float)
    dt = pd.to_datetime(s, utc=True)
    secs = dt.dt.tz_convert(None).to_numpy().astype("datetime64[ns]").astype(np.int64) / 1e9
    return np.where(dt.isna().to_numpy(), np.nan, secs)


def question_arrays(questions: pd.DataFrame) -> pd.DataFrame:
    """Normalise a questions/resolutions frame: id-sorted, times in seconds, clip end, filler scores."""
    q = questions.copy()
    if "question_id" in q.columns:
        q = q.set_index("question_id")
    q = q.sort_index()
    if "type" not in q.columns:
        q["type"] = BINARY
    if "n_outcomes" not in q.columns:
        q["n_outcomes"] = 2
    q["n_outcomes"] = q["n_outcomes"].astype(int)
    for col in ("opens_at", "closes_at"):
        q[col] = to_seconds(q[col])
    q["known_at"] = to_seconds(q["known_at"]) if "known_at" in q.columns else q["closes_at"]
    q["known_at"] = q["known_at"].fillna(q["closes_at"])
    q["clip_end"] = np.minimum(q["closes_at"], q["known_at"])
    q["outcome_index"] = q["outcome_index"].astype(int)
    q["filler_brier"] = [uninformed_brier(t, k) for t, k in zip(q["type"], q["n_outcomes"], strict=True)]
    q["filler_log"] = np.log(q["n_outcomes"].astype(float))
    return q


def _probability_matrix(frame: pd.DataFrame, rows: np.ndarray, k: int, binary: bool) -> np.ndarray:
    """Per-outcome probabilities of the given rows as an (n, k) array (binary: [P(yes), P(no)])."""
    if binary:
        p = frame["probability"].to_numpy(dtype=float)[rows]
        return np.column_stack([p, 1.0 - p])
    col = frame["probabilities"].to_numpy()[rows]
    return np.array([np.asarray(v, dtype=float) for v in col], dtype=float).reshape(len(rows), k)


# --- intervals -----------------------------------------------------------------------------------


def _sort_order(q: np.ndarray, f: np.ndarray, t: np.ndarray, tie: np.ndarray) -> np.ndarray | None:
    """Permutation sorting by (question, forecaster, made_at, tie-break); None when already in that order."""
    if len(q) < 2:
        return None
    dq, df, dt = np.diff(q), np.diff(f), np.diff(t)
    same_qf = (dq == 0) & (df == 0)
    ordered = (dq > 0) | ((dq == 0) & (df > 0)) | (same_qf & (dt > 0))
    if ordered.all():
        return None
    if (ordered | (same_qf & (dt == 0) & (np.diff(tie) >= 0))).all():
        return None
    # (question, forecaster, made_at) packed into one int64 key when exact; equal keys get the tie-break
    qf = q * (int(f.max()) + 1) + f
    order = _stable_order(qf, t)
    sq, st = qf[order], t[order]
    if not ((sq[1:] == sq[:-1]) & (st[1:] == st[:-1])).any():
        return order
    pre = np.argsort(tie, kind="stable")
    return pre[_stable_order(qf[pre], t[pre])]


def _group_starts(*keys: np.ndarray) -> np.ndarray:
    """Start index of every run of equal consecutive key tuples."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    change[:1] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    return np.flatnonzero(change)


def _stable_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """Stable argsort by (major int code, minor float); packs both into one int64 key when exact."""
    if len(major) == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = float(np.min(minor)), float(np.max(minor))
    span = hi - lo
    mbits = int(major.max()).bit_length() if len(major) else 1
    if np.isfinite(span) and span < 2 ** (62 - mbits) and np.array_equal(minor, np.floor(minor)):
        key = (major.astype(np.int64) << (62 - mbits)) | (minor - lo).astype(np.int64)
        return np.argsort(key, kind="stable")
    return np.lexsort((minor, major))


# --- crowd median ---------------------------------------------------------------------------------


def running_median(starts: np.ndarray, x: np.ndarray, prev: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """Median of the standing values after each event, per group of consecutive events.

    Events are in time order within groups beginning at `starts`. prev[i] >= 0: event i replaces event
    prev[i]'s value (same forecaster); -1: a new voice joins; -2: no-op (not a crowd member). Returns
    NaN where nobody stands. Exact (value ties closer than ~1e-11 relative may order arbitrarily).
    """
    chunk = chunk or CHUNK
    n = len(x)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    starts = np.asarray(starts, dtype=np.int64)
    glen = np.diff(np.append(starts, n))
    ng = len(starts)
    g = np.repeat(np.arange(ng), glen)
    idx = np.arange(n, dtype=np.int64)
    member = prev != -2
    xv = np.where(member & (x >= 0) & (x <= 1), x, 1.5)  # non-members (and NaN) rank last, never stand
    # value rank within the group
    vorder = _value_order(g, xv)
    grank = np.empty(n, dtype=np.int64)
    grank[vorder] = idx - starts[g[vorder]]
    has_prev = prev >= 0
    if glen.max() <= chunk:  # one chunk per group: nothing carried, value order is slot order
        nv, cstart, clen, size = ng, starts, glen, glen
        base = np.concatenate(([0], np.cumsum(size + 2)[:-1]))
        slot_of = base[g] + 1 + grank
        alive = np.zeros(int((size + 2).sum()), dtype=np.int8)
        value_at = np.zeros(len(alive))
        value_at[slot_of] = xv
        count = np.zeros(ng, dtype=np.int64)
        pref = None
        ins_flat = np.where(member, slot_of, -1)
        del_flat = np.where(has_prev, slot_of[np.maximum(prev, 0)], -1)
    else:
        # event index at which each value stops standing
        nxt = starts[g] + glen[g]
        nxt[prev[has_prev]] = idx[has_prev]
        # chunks of at most `chunk` events: virtual groups, each starting from the values standing at its start
        e = idx - starts[g]
        nch = (glen + chunk - 1) // chunk
        vbase = np.concatenate(([0], np.cumsum(nch)[:-1]))
        ci = e // chunk
        v = vbase[g] + ci
        nv = int(nch.sum())
        vg = np.repeat(np.arange(ng), nch)
        vci = np.arange(nv) - vbase[vg]
        cstart = starts[vg] + vci * chunk
        clen = np.minimum(chunk, glen[vg] - vci * chunk)
        last_c = np.minimum((nxt - starts[g]) // chunk, nch[g] - 1)
        carry = np.where(member, np.maximum(last_c - ci, 0), 0)
        csrc = np.repeat(idx, carry)
        if len(csrc):
            within = np.arange(len(csrc)) - np.repeat(np.cumsum(carry) - carry, carry)
            cv = v[csrc] + 1 + within
        else:
            cv = np.zeros(0, dtype=np.int64)
        # elements of each virtual group: its own events, then carried standing values
        # own events in (group, value) order, so single-chunk groups are already sorted; timsort merges the rest
        el_v = np.concatenate((v[vorder], cv))
        el_src = np.concatenate((vorder, csrc))
        el_init = np.concatenate((np.zeros(n, dtype=np.int32), np.ones(len(csrc), dtype=np.int32)))
        if len(csrc) == 0 and nv == ng:
            el_order = slice(None)  # one chunk per group: value order is the element order
        else:
            el_order = np.argsort(el_v * int(glen.max()) + grank[el_src], kind="stable")
        el_v, el_src, el_init = el_v[el_order], el_src[el_order], el_init[el_order]
        size = np.bincount(el_v, minlength=nv).astype(np.int64)
        el_start = np.concatenate(([0], np.cumsum(size)[:-1]))
        lrank = np.arange(len(el_v)) - el_start[el_v]
        el_x = xv[el_src]
        own = el_init == 0
        myrank = np.empty(n, dtype=np.int64)
        myrank[el_src[own]] = lrank[own]
        # local rank of the value each event replaces (inside the chunk, or carried into it)
        prank = np.full(n, -1, dtype=np.int64)
        same_chunk = has_prev & (v[np.maximum(prev, 0)] == v)
        prank[same_chunk] = myrank[prev[same_chunk]]
        cross = has_prev & ~same_chunk
        if cross.any():
            ckey = el_v[~own] * n + el_src[~own]
            corder = np.argsort(ckey)
            pos = np.searchsorted(ckey[corder], v[cross] * n + prev[cross])
            prank[cross] = lrank[~own][corder][pos]
        # alive flags per virtual group at flat[base[v] + 1 + local rank]; two pointers per group walk to the
        # lower and upper median (each event moves them by about one alive value, so walks are short)
        base = np.concatenate(([0], np.cumsum(size + 2)[:-1]))
        slot_of = base[el_v] + 1 + lrank
        alive = np.zeros(int((size + 2).sum()), dtype=np.int8)
        alive[slot_of] = el_init
        value_at = np.zeros(len(alive))
        value_at[slot_of] = el_x
        pref = np.cumsum(alive, dtype=np.int64)
        count = np.bincount(el_v, weights=el_init, minlength=nv).astype(np.int64)
        ins_flat = np.full(n, -1, dtype=np.int64)
        ins_flat[el_src[own]] = slot_of[own]
        del_flat = np.where(prank >= 0, base[v] + 1 + prank, -1)
        ins_flat[~member] = -1
    # lockstep over event positions, longest chunks first so the active groups are a prefix
    vo = np.argsort(-clen, kind="stable")
    o_cstart, o_count, neg_clen = cstart[vo], count[vo], -clen[vo]
    targets = np.column_stack(((o_count - 1) // 2, o_count // 2)).ravel()  # lo, hi interleaved
    start_ptr = np.repeat(base[vo] + 1, 2)
    has = np.repeat(o_count > 0, 2)
    if pref is None:
        ptr, below = start_ptr, np.zeros(len(start_ptr), dtype=np.int64)
    else:
        ptr = np.where(has, np.searchsorted(pref, pref[start_ptr - 1] + targets + 1, side="left"), start_ptr)
        below = np.where(has, targets, 0)
    for step in range(int(clen.max())):
        k = int(np.searchsorted(neg_clen, -step, side="left"))  # chunks longer than `step`
        ev = o_cstart[:k] + step
        d, s_ = del_flat[ev], ins_flat[ev]
        rep, mem = d >= 0, s_ >= 0
        alive[d[rep]] = 0
        alive[s_[mem]] = 1
        cnt = o_count[:k] + mem - rep
        o_count[:k] = cnt
        p, b = ptr[: 2 * k], below[: 2 * k]
        d2, s2 = np.repeat(d, 2), np.repeat(s_, 2)
        b -= (d2 >= 0) & (d2 < p)
        b += (s2 >= 0) & (s2 < p)
        tgt = np.column_stack(((cnt - 1) // 2, cnt // 2)).ravel()
        idx = np.flatnonzero(np.repeat(cnt > 0, 2))
        while len(idx):
            pi, bi, ti = p[idx], b[idx], tgt[idx]
            a = alive[pi]
            done = (a == 1) & (bi == ti)
            if done.all():
                break
            up = ~done & (bi + a <= ti)
            down = ~(done | up)
            iu, idn = idx[up], idx[down]
            b[iu] += a[up]
            p[iu] += 1
            p[idn] -= 1
            b[idn] -= alive[p[idn]]
            idx = idx[~done]
        vals = value_at[p]
        out[ev] = np.where(cnt > 0, 0.5 * (vals[0::2] + vals[1::2]), np.nan)
    return out


def _value_order(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Stable order by (group, value), packing both into an int64 key (x in [0, 2) as float bits)."""
    gbits = max(int(g.max()).bit_length(), 1) if len(g) else 1
    if gbits <= 17:
        xb = np.ascontiguousarray(x, dtype=np.float64).view(np.int64) >> 16
        return np.argsort((g.astype(np.int64) << 46) | xb, kind="stable")
    return np.lexsort((x, g))


# --- scoring a history ----------------------------------------------------------------------------


def score_forecasts(
    forecasts: pd.DataFrame, questions: pd.DataFrame, crowd_members: set[str] | None = None, relative: bool = True
) -> pd.DataFrame:
    """One row per (question_id, forecaster_id) with every score of SCORE_COLUMNS; a forecaster whose every
    forecast on a question came at or after min(closes_at, known_at) has no row (nothing of theirs is scored).

    forecasts: question_id, forecaster_id, made_at (float seconds or datetime64), probability (binary
    P(yes)) and/or probabilities (sequence in outcome order), optional seq (tie-break for equal made_at).
    questions: question_id, type, n_outcomes, outcome_index, opens_at, closes_at, known_at; forecasts
    on questions not listed are ignored. crowd_members: who forms the crowd median (default everyone).
    relative=False skips the crowd median (the costly part) and leaves relative_brier NaN.
    """
    qa = question_arrays(questions)
    qcode_all = qa.index.get_indexer(forecasts["question_id"])
    keep = qcode_all >= 0
    fr = forecasts.loc[keep] if not keep.all() else forecasts
    qcode = qcode_all[keep].astype(np.int64)
    fcodes, fnames = pd.factorize(fr["forecaster_id"], sort=True)
    fcode = fcodes.astype(np.int64)
    t = to_seconds(fr["made_at"])
    tie = fr["seq"].to_numpy(dtype=float) if "seq" in fr.columns else _tie_values(fr)
    order = _sort_order(qcode, fcode, t, tie)
    rows = np.arange(len(fr)) if order is None else order
    if order is not None:
        qcode, fcode, t = qcode[order], fcode[order], t[order]
    n = len(qcode)
    opens = qa["opens_at"].to_numpy()[qcode]
    clip_end = qa["clip_end"].to_numpy()[qcode]
    gstart = _group_starts(qcode, fcode)
    is_last = np.zeros(n, dtype=bool)
    if n:
        is_last[gstart[1:] - 1] = True
        is_last[-1] = True
    t_next = np.empty(n)
    t_next[:-1] = t[1:]
    t_next[is_last] = clip_end[is_last]
    # standing duration, clipped to [opens_at, clip_end), computed in place (fresh 10M-row temporaries cost)
    dur = np.clip(t_next, opens, clip_end, out=t_next)
    dur -= np.clip(t, opens, clip_end, out=opens)
    np.maximum(dur, 0.0, out=dur)
    del opens, t_next
    brier, logs, base, crowd_input = _row_scores(fr, rows, qa, qcode)
    # per (question, forecaster) sums
    gq, gf = qcode[gstart], fcode[gstart]
    life = (qa["closes_at"] - qa["opens_at"]).to_numpy()[gq]
    filler_b = qa["filler_brier"].to_numpy()[gq]
    filler_l = qa["filler_log"].to_numpy()[gq]
    if n:
        active = np.add.reduceat(dur, gstart)
        weighted = np.empty(n)
        sb, sl, sbase = (np.add.reduceat(np.multiply(x, dur, out=weighted), gstart) for x in (brier, logs, base))
        del weighted
        before_close = np.add.reduceat(t < clip_end, gstart, dtype=np.int64)
    else:
        active = sb = sl = sbase = np.zeros(0)
        before_close = np.zeros(0, dtype=np.int64)
    idle = np.maximum(life - active, 0.0)
    spot = np.where(before_close > 0, gstart + before_close - 1, 0)
    has_spot = before_close > 0
    binary = (qa["type"].to_numpy() == BINARY)[gq]
    with np.errstate(invalid="ignore", divide="ignore"):
        tavg = (sb + filler_b * idle) / life
        crowd_int = (
            _crowd_integrals(qcode, fcode, t, gstart, crowd_input, qa, fnames, crowd_members)
            if relative
            else np.full(len(gstart), np.nan)
        )
        out = pd.DataFrame(
            {
                # categorical ids: codes we already have, not millions of strings to build (same values)
                "question_id": pd.Categorical.from_codes(gq, categories=qa.index),
                "forecaster_id": pd.Categorical.from_codes(gf, categories=fnames),
                "n_forecasts": np.diff(np.append(gstart, n)),
                "brier_time_avg": tavg,
                "brier_time_avg_gj": np.where(binary, 2.0 * tavg, np.nan),
                "coverage": active / life,
                "brier_active": np.where(active > 0, sb / active, np.nan),
                "relative_brier": (sb - crowd_int) / life,
                "brier_close": np.where(has_spot, brier[spot], np.nan),
                "log_time_avg": (sl + filler_l * idle) / life,
                "log_close": np.where(has_spot, logs[spot], np.nan),
                "baseline_time_avg": sbase / life,
                "baseline_close": np.where(has_spot, base[spot], np.nan),
            },
            copy=False,  # fresh arrays: no need to copy them into one block
        )
    if not has_spot.all():  # only forecasts made once the truth was known (or after close): nothing to score
        out = out[has_spot].reset_index(drop=True)
    return out


def _tie_values(fr: pd.DataFrame) -> np.ndarray:
    """Deterministic tie-break for equal made_at without a seq column: the probability itself."""
    if "probability" in fr.columns:
        return np.nan_to_num(fr["probability"].to_numpy(dtype=float), nan=-1.0)
    return np.zeros(len(fr))


def _row_scores(
    fr: pd.DataFrame, rows: np.ndarray, qa: pd.DataFrame, qcode: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Brier, log and baseline of every (sorted) forecast row, and the per-type inputs of the crowd median."""
    n = len(qcode)
    crowd_input: dict = {}
    if (qa["type"].to_numpy() == BINARY).all():  # decided per question: no per-row gather of the type
        # few passes over whole columns, in place: at 10 million rows every fresh temporary costs page faults
        p = fr["probability"].to_numpy(dtype=float)[rows]
        gap = (qa["outcome_index"].to_numpy() == 0).astype(float)[qcode]  # o: 1 for yes
        np.subtract(p, gap, out=gap)
        np.abs(gap, out=gap)  # |p - o|, so p_outcome = 1 - |p - o|
        brier = np.square(gap)
        ln_p = np.subtract(1.0, gap, out=gap)
        np.log(ln_p, out=ln_p)
        logs = np.clip(ln_p, *np.log(LOG_CLAMP))  # the log score's clamp, applied on the log scale
        np.negative(logs, out=logs)
        base = np.multiply(ln_p, 100.0 / np.log(2.0), out=ln_p)  # 100·(log2 p + 1)
        base += 100.0
        crowd_input["binary"] = (np.ones(n, dtype=bool), p[:, None])
        return brier, logs, base, crowd_input
    brier, logs, base = np.empty(n), np.empty(n), np.empty(n)
    qtype = qa["type"].to_numpy()[qcode]
    k_all = qa["n_outcomes"].to_numpy()[qcode]
    oidx = qa["outcome_index"].to_numpy()[qcode]
    for (typ, k), sel in _type_groups(qtype, k_all):
        probs = _probability_matrix(fr, rows[sel], k, typ == BINARY)
        oi = oidx[sel]
        if typ == BINARY:
            brier[sel] = brier_binary(probs[:, 0], (oi == 0).astype(float))
        elif typ == ORDERED:
            brier[sel] = brier_ordered(probs, oi)
        else:
            brier[sel] = brier_categorical(probs, oi)
        p_out = probs[np.arange(len(oi)), oi]
        logs[sel] = log_score(p_out)
        base[sel] = baseline_score(p_out, k)
        crowd_input[(typ, k)] = (sel, probs[:, :1] if typ == BINARY else probs)
    return brier, logs, base, crowd_input


def _type_groups(qtype: np.ndarray, k: np.ndarray) -> list[tuple[tuple[str, int], np.ndarray]]:
    groups = []
    for typ in (BINARY, CATEGORICAL, ORDERED):
        is_t = qtype == typ
        for kk in np.unique(k[is_t]).tolist():
            groups.append(((typ, int(kk)), is_t & (k == kk)))
    return groups


def _crowd_integrals(
    qcode: np.ndarray,
    fcode: np.ndarray,
    t: np.ndarray,
    gstart: np.ndarray,
    crowd_input: dict,
    qa: pd.DataFrame,
    fnames: pd.Index,
    crowd_members: set[str] | None,
) -> np.ndarray:
    """∫ of the crowd median's Brier over each (question, forecaster) run's active span [first forecast, end)."""
    n = len(qcode)
    result = np.zeros(len(gstart))
    if n == 0:
        return result
    prev = np.arange(n, dtype=np.int64) - 1
    prev[gstart] = -1
    if crowd_members is not None:
        is_member = np.isin(np.asarray(fnames), list(crowd_members))[fcode]
        prev[~is_member] = -2
    group_of_row = np.repeat(np.arange(len(gstart)), np.diff(np.append(gstart, n)))
    for key, (sel, probs) in crowd_input.items():
        rows = np.flatnonzero(sel)
        q, tt = qcode[rows], t[rows]
        ev = _stable_order(q, tt)  # event order: (question, made_at), ties by forecaster
        ev_rows = rows[ev]
        inv = np.full(n, -1, dtype=np.int64)
        inv[ev_rows] = np.arange(len(ev_rows))
        p_ev = prev[ev_rows]
        p_ev = np.where(p_ev >= 0, inv[np.maximum(p_ev, 0)], p_ev)
        qe = qcode[ev_rows]
        qstarts = _group_starts(qe)
        med = np.column_stack([running_median(qstarts, probs[ev, j], p_ev) for j in range(probs.shape[1])])
        typ = "binary" if key == "binary" else key[0]
        oi = qa["outcome_index"].to_numpy()[qe]
        if typ == BINARY:
            cb = (med[:, 0] - (oi == 0)) ** 2
        else:
            med = med / med.sum(axis=1, keepdims=True)
            cb = brier_ordered(med, oi) if typ == ORDERED else brier_categorical(med, oi)
        cb = np.where(np.isnan(cb), qa["filler_brier"].to_numpy()[qe], cb)
        # segments [t_e, t_next) clipped to the scoring window
        opens = qa["opens_at"].to_numpy()[qe]
        clip_end = qa["clip_end"].to_numpy()[qe]
        te = t[ev_rows]
        t_next = np.empty(len(te))
        t_next[:-1] = te[1:]
        last = np.append(qstarts[1:] - 1, len(te) - 1)
        t_next[last] = clip_end[last]
        seg = np.maximum(np.clip(t_next, opens, clip_end) - np.clip(te, opens, clip_end), 0.0) * cb
        total = np.add.reduceat(seg, qstarts)
        csum = np.cumsum(seg)
        before = csum - seg - np.repeat(csum[qstarts] - seg[qstarts], np.diff(np.append(qstarts, len(te))))
        qidx = np.repeat(np.arange(len(qstarts)), np.diff(np.append(qstarts, len(te))))
        first_rows = gstart[sel[gstart]]
        pos = inv[first_rows]
        result[group_of_row[first_rows]] = total[qidx[pos]] - before[pos]
    return result
