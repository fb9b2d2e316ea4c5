"""Proper scores for forecasts and for whole forecast histories (design.md "Scoring").

Per-forecast rules (Brier, log, baseline, ordered Brier, RPS) are numpy functions over whole columns.
`score_forecasts` turns a forecast history into one row per forecaster × question (fields and labels:
score_labels.SCORE_FIELDS): each forecast stands from its made_at until the same forecaster's next
forecast, clipped to [opens_at, min(closes_at, known_at)). The sequential parts (per-run time integrals,
the running median of the people's Briers, the people's geometric mean for the peer score) run in numpy
for small histories (scoring_small) and as compiled loops for large ones (scoring_kernels).

Outcomes are indices into the question's outcome list; binary questions have outcomes (yes, no), so
outcome_index 0 means "yes" and `probability` is P(yes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from forecasts.score_labels import SCORE_FIELDS, described
from forecasts.scoring.constants import BINARY, CATEGORICAL, KIND_CODES, LOG_CLAMP, ORDERED

SCORE_COLUMNS = described(SCORE_FIELDS)  # field -> "Header: description" (score_labels: one name per meaning)
FLOAT_FIELDS = [name for name in SCORE_FIELDS if name != "n_forecasts"]  # the kernels' float columns, in order


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
    """Metaculus baseline score 100·(log_K p + 1), p clamped to [0.001, 0.999] as the log score: 0 for the
    uniform forecast, about 100 for certainty."""
    p = np.clip(np.asarray(p_outcome, dtype=float), *LOG_CLAMP)
    return 100.0 * (np.log(p) / np.log(np.asarray(n_outcomes, dtype=float)) + 1.0)


def uninformed_brier(qtype: str, k: int, outcome_index: int = 0) -> float:
    """Brier of the uniform forecast (the filler before a first forecast): 0.25 binary, (K−1)/K categorical;
    for ordered questions it depends on the outcome (a middle outcome is nearer the uniform forecast)."""
    if qtype == BINARY:
        return 0.25
    uniform = np.full((1, k), 1.0 / k)
    rule = brier_ordered if qtype == ORDERED else brier_categorical
    return float(rule(uniform, outcome_index)[0])


# --- input preparation ---------------------------------------------------------------------------


def to_seconds(values: pd.Series | np.ndarray) -> np.ndarray:
    """Float seconds since the epoch from float seconds or (naive = UTC, or aware) datetime64 values.

    Microsecond integers (±290,000 years), never nanoseconds, which overflow after 2262-04-11 (issue 25)."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float)
    dt = pd.to_datetime(s, utc=True)
    secs = dt.dt.tz_convert(None).to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
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
    yes = (q["outcome_index"] == 0).astype(float)
    q["outcome_value"] = q["outcome_value"].fillna(yes).astype(float) if "outcome_value" in q.columns else yes
    q["kind"] = np.select(
        [(q["type"] == name).to_numpy(dtype=bool) for name in KIND_CODES], list(KIND_CODES.values()), -1
    )
    if (q["kind"] < 0).any():
        raise ValueError(f"question type must be one of {', '.join(KIND_CODES)}")
    q["filler_brier"] = _uniform_briers(q)
    return q


def _uniform_briers(q: pd.DataFrame) -> np.ndarray:
    """uninformed_brier of every question: 0.25 for binary ones ((0.5 − r)² for one resolved to a probability
    r), else computed once per distinct (kind, outcomes, outcome index)."""
    kind, k, o = (q[c].to_numpy(dtype=np.int64) for c in ("kind", "n_outcomes", "outcome_index"))
    filler = (0.5 - q["outcome_value"].to_numpy(dtype=float)) ** 2  # 0.25 = uninformed_brier(BINARY, 2) for 1/0
    other = kind != KIND_CODES[BINARY]
    if other.any():
        distinct, inverse = np.unique((kind[other] << 40) | (k[other] << 20) | o[other], return_inverse=True)
        types = {code: name for name, code in KIND_CODES.items()}
        per_key = [
            uninformed_brier(types[key >> 40], (key >> 20) & 0xFFFFF, key & 0xFFFFF) for key in distinct.tolist()
        ]
        filler[other] = np.array(per_key)[inverse]
    return filler


def _probability_matrix(frame: pd.DataFrame, rows: np.ndarray, k: int) -> np.ndarray:
    """Per-outcome probabilities of the given (categorical or ordered) rows as an (n, k) array."""
    col = frame["probabilities"].to_numpy()[rows]
    return np.array([np.asarray(v, dtype=float) for v in col], dtype=float).reshape(len(rows), k)


# --- row order and codes -----------------------------------------------------------------------------------


def _sort_order(
    q: np.ndarray, f: np.ndarray, t: np.ndarray, tie_values: Callable[[], np.ndarray], small: bool = False
) -> np.ndarray | None:
    """Permutation sorting by (question, forecaster, made_at, tie-break); None when already in that order.

    The tie-break values are only computed when equal keys need them. small: check the order in numpy
    rather than with the compiled loop (no numba import).
    """
    if len(q) < 2:
        return None
    if small:
        state = _sort_state_numpy(q, f, t)
    else:
        from forecasts.scoring.kernels import sort_state  # numba, as score_forecasts

        state = sort_state(q, f, t)
    tie = tie_values() if state else None
    if state == 0 or (state == 1 and _ties_in_order(q, f, t, tie)):
        return None
    # (question, forecaster, made_at) packed into one int64 key when exact; equal keys get the tie-break
    qf = q * (int(f.max()) + 1) + f
    order = _stable_order(qf, t)
    sq, st = qf[order], t[order]
    if not ((sq[1:] == sq[:-1]) & (st[1:] == st[:-1])).any():
        return order
    pre = np.argsort(tie, kind="stable")
    return pre[_stable_order(qf[pre], t[pre])]


def _sort_state_numpy(q: np.ndarray, f: np.ndarray, t: np.ndarray) -> int:
    """scoring_kernels.sort_state in numpy: 0 strictly ordered, 1 ordered with equal keys, 2 out of order."""
    dq, df, dt = np.diff(q), np.diff(f), np.diff(t)
    same_q = dq == 0
    same_qf = same_q & (df == 0)
    if (dq < 0).any() or (same_q & (df < 0)).any() or (same_qf & ~(dt >= 0)).any() or np.isnan(t).any():
        return 2
    return int(bool((same_qf & (dt == 0)).any()))


def _ties_in_order(q: np.ndarray, f: np.ndarray, t: np.ndarray, tie: np.ndarray) -> bool:
    """Whether rows with equal (question, forecaster, made_at) are in tie-break order."""
    equal = (np.diff(q) == 0) & (np.diff(f) == 0) & (np.diff(t) == 0)
    return bool((np.diff(tie)[equal] >= 0).all())


def _question_codes(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each forecast's question in the questions index (-1: not listed), as int64; a categorical
    column maps its categories once instead of looking up every row."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        per_category = np.append(index.get_indexer(ids.cat.categories), -1).astype(np.int64)
        return per_category[ids.cat.codes.to_numpy()]  # code -1 (missing) picks the appended -1
    return index.get_indexer(ids).astype(np.int64)


def _forecaster_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes in name order and the names; a categorical column with sorted, all-used categories
    already is that (no 10-million-row factorize)."""
    if isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.is_monotonic_increasing:
        codes = ids.cat.codes.to_numpy()
        if len(codes) and codes.min() >= 0 and (np.bincount(codes, minlength=len(ids.cat.categories)) > 0).all():
            return codes.astype(np.int64), ids.cat.categories
    codes, names = pd.factorize(ids, sort=True)
    return codes.astype(np.int64), names


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


# --- scoring a history ----------------------------------------------------------------------------


def score_forecasts(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    crowd_members: set[str] | None = None,
    relative: bool = True,
    engine: str = "auto",
) -> pd.DataFrame:
    """One row per (question_id, forecaster_id) with every score of SCORE_FIELDS; a forecaster whose every
    forecast on a question came at or after min(closes_at, known_at) has no row (nothing of theirs is scored).

    forecasts: question_id, forecaster_id, made_at (float seconds or datetime64), probability (binary
    P(yes)) and/or probabilities (sequence in outcome order), optional seq (tie-break for equal made_at).
    questions: question_id, type, n_outcomes, outcome_index, opens_at, closes_at, known_at, optional
    outcome_value (a binary question resolved to a probability r: Brier (p − r)² in every Brier column, the
    people's included; log, baseline and peer scores their expectation under r; NaN or absent: 1 for
    outcome_index 0, else 0); forecasts on questions not listed are ignored. crowd_members: the people, who form
    the median Brier and the geometric mean (default everyone); others (the model, aggregates) are scored
    against them. relative=False skips the people's side (the costly part) and leaves relative and peer scores
    NaN. engine: "numpy" (no numba import: small histories), "compiled" (numba kernels) or "auto" (numpy below
    SMALL_ROWS rows).
    """
    from forecasts.scoring import small as scoring_small

    if engine not in ("auto", "numpy", "compiled"):
        raise ValueError("engine must be auto, numpy or compiled")
    small = engine == "numpy" or (engine == "auto" and len(forecasts) < scoring_small.SMALL_ROWS)
    if small:
        kernels = scoring_small
    else:
        from forecasts.scoring import kernels  # numba: loaded only for large histories

        _announce_compile(kernels)

    qa = question_arrays(questions)
    qcode_all = _question_codes(forecasts["question_id"], qa.index)
    keep = qcode_all >= 0
    fr = forecasts.loc[keep] if not keep.all() else forecasts
    qcode = qcode_all[keep] if not keep.all() else qcode_all
    fcode, fnames = _forecaster_codes(fr["forecaster_id"])
    t = to_seconds(fr["made_at"])
    order = _sort_order(qcode, fcode, t, lambda: _tie_values(fr), small)
    rows = slice(None) if order is None else order
    if order is not None:
        qcode, fcode, t = qcode[order], fcode[order], t[order]
    n = len(qcode)
    brier, logs, base, lnps, pyes = _row_scores(fr, rows, qa, qcode)
    qstart = np.concatenate(([0], np.flatnonzero(qcode[1:] != qcode[:-1]) + 1, [n])) if n else np.zeros(1, np.int64)
    member = np.ones(n, dtype=bool)
    if crowd_members is not None:
        member = np.isin(np.asarray(fnames), list(crowd_members))[fcode]
    offset = kernels.scored_run_offsets(qstart, qcode, fcode, t, qa["clip_end"].to_numpy())
    ng = int(offset[-1])
    gq, gf, count = np.empty(ng, dtype=np.int32), np.empty(ng, dtype=np.int32), np.empty(ng, dtype=np.int64)
    cols = np.empty((len(FLOAT_FIELDS), ng))  # the float columns, one row each (numpy pages: see kernels)
    kernels.score_runs(
        qstart,
        offset,
        qcode,
        fcode,
        t,
        brier,
        logs,
        base,
        lnps,
        qa["opens_at"].to_numpy(),
        qa["clip_end"].to_numpy(),
        (qa["closes_at"] - qa["opens_at"]).to_numpy(),
        qa["filler_brier"].to_numpy(),
        relative,
        member,
        pyes,
        qa["kind"].to_numpy(),
        qa["outcome_value"].to_numpy(dtype=float),
        gq,
        gf,
        count,
        cols,
    )
    # the float columns as one block without a copy (cols.T is a view of the kernel's row-per-column output)
    out = pd.DataFrame(cols.T, columns=FLOAT_FIELDS, copy=False)
    out.insert(0, "question_id", pd.Categorical.from_codes(gq, categories=qa.index))  # codes, not strings
    out.insert(1, "forecaster_id", pd.Categorical.from_codes(gf, categories=fnames))
    out.insert(2, "n_forecasts", count)
    return out


def _announce_compile(kernels: object) -> None:
    """Say so on stderr when the compiled kernels are not cached for this source yet: the first large scoring
    after an install or upgrade compiles them (about 20 s on a 2-core machine), once; later runs load them."""
    import sys

    try:  # numba's own check: an index for this very source file (its stamp), with compiled entries
        cached = bool(kernels.score_runs._cache._cache_file._load_index())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a numba without this internal: stay silent rather than fail scoring
        cached = True
    if not cached:
        sys.stderr.write(
            "compiling the scoring kernels for large histories (numba, once after install: about 20 s; "
            "later runs load them from the cache)\n"
        )


def _tie_values(fr: pd.DataFrame) -> np.ndarray:
    """Tie-break for equal made_at: the seq column, else (deterministic) the probability itself."""
    if "seq" in fr.columns:
        return fr["seq"].to_numpy(dtype=float)
    if "probability" in fr.columns:
        return np.nan_to_num(fr["probability"].to_numpy(dtype=float), nan=-1.0)
    return np.zeros(len(fr))


def _row_scores(
    fr: pd.DataFrame, rows: np.ndarray | slice, qa: pd.DataFrame, qcode: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brier, log, baseline and ln p of the outcome of every (sorted) categorical or ordered row, and P(yes)
    of every binary row (which the kernels score themselves). All-binary histories need only P(yes)."""
    n = len(qcode)
    kind = qa["kind"].to_numpy()
    if (kind == KIND_CODES[BINARY]).all():  # decided per question: no per-row gather of the type
        empty = np.zeros(0)
        return empty, empty, empty, empty, fr["probability"].to_numpy(dtype=float)[rows]
    brier, logs, base, lnps = (np.full(n, np.nan) for _ in range(4))
    pyes = np.full(n, np.nan)
    qtype = qa["type"].to_numpy()[qcode]
    k_all = qa["n_outcomes"].to_numpy()[qcode]
    oidx = qa["outcome_index"].to_numpy()[qcode]
    all_rows = np.arange(len(fr))[rows]
    for (typ, k), sel in _type_groups(qtype, k_all):
        if typ == BINARY:
            pyes[sel] = fr["probability"].to_numpy(dtype=float)[all_rows[sel]]
            continue
        probs = _probability_matrix(fr, all_rows[sel], k)
        oi = oidx[sel]
        brier[sel] = brier_ordered(probs, oi) if typ == ORDERED else brier_categorical(probs, oi)
        p_out = probs[np.arange(len(oi)), oi]
        logs[sel] = log_score(p_out)
        base[sel] = baseline_score(p_out, k)
        lnps[sel] = np.log(np.clip(p_out, *LOG_CLAMP))  # the peer score's ln p, clamped as the log score
    return brier, logs, base, lnps, pyes


def _type_groups(qtype: np.ndarray, k: np.ndarray) -> list[tuple[tuple[str, int], np.ndarray]]:
    groups = []
    for typ in (BINARY, CATEGORICAL, ORDERED):
        is_t = qtype == typ
        for kk in np.unique(k[is_t]).tolist():
            groups.append(((typ, int(kk)), is_t & (k == kk)))
    return groups
