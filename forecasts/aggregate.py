"""The crowd aggregates: pooled forecasts of the people's standing forecasts, one forecaster per method
(`crowd` for the median, `crowd-geometric`, `crowd-extremized`), so no two methods ever share a forecaster.

Methods: `median` of probabilities (default), `geometric` mean of odds, the binary-only methods of
forecasts.pooling (mean, trimmed, neyman, metaculus, skill, learned, and `auto`: the one the team's own
backtest favours, else the median), and `extremized`: each person's
log-odds recalibrated with their fitted bias a and slope b from a stored skill run, averaged, then
multiplied by an extremizing factor d fitted on resolved questions. A crowd forecast at moment t uses only
a skill run whose data ends by t (no look-ahead); without one it falls back to the median and says so.
Categorical questions: median per outcome (renormalised) or the normalised geometric mean (extremized
falls back to geometric for them: the calibration model is binary).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np

from forecasts.bayes.logodds import expit, logit
from forecasts.errors import ForecastsError
from forecasts.forecasters import CROWD_METHODS, ensure_forecaster
from forecasts.pooling.series import ENGINE_METHODS, crowd_series
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import from_iso, now_utc, to_iso

POOL_METHODS = ("median", "mean", "trimmed", "geometric", "neyman", "metaculus", "skill", "learned", "extremized",
                "auto")  # fmt: skip
CHANGE_TOL = 1e-9
P_CLIP = 1e-3


# --- pure pooling (rows = moments, columns = forecasters; NaN = no standing forecast) ---------------


def pool_median(p: np.ndarray) -> np.ndarray:
    """Median of the standing probabilities of yes, per row (the last axis holds forecasters)."""
    return np.nanmedian(np.asarray(p, float), axis=-1)


def pool_geometric(p: np.ndarray) -> np.ndarray:
    """Geometric mean of the odds, per row: expit(mean logit p)."""
    return expit(np.nanmean(logit(p), axis=-1))


def pool_extremized(p: np.ndarray, a: np.ndarray, b: np.ndarray, d: float) -> np.ndarray:
    """expit(d * mean_f(a_f + b_f * logit p_f)): recalibrate each forecaster, pool log-odds, extremize."""
    recal = np.asarray(a, float) + np.asarray(b, float) * logit(p)
    return expit(d * np.nanmean(recal, axis=-1))


def pool_categorical(p: np.ndarray, method: str) -> np.ndarray:
    """(moments, forecasters, outcomes) → (moments, outcomes): median per outcome or geometric, renormalised."""
    p = np.clip(np.asarray(p, float), P_CLIP, 1 - P_CLIP)
    if method == "median":
        pooled = np.nanmedian(p, axis=1)
    else:
        logp = np.nanmean(np.log(p), axis=1)
        pooled = np.exp(logp - logp.max(axis=-1, keepdims=True))
    return pooled / pooled.sum(axis=-1, keepdims=True)


def check_method(method: str) -> str:
    """A pooling method name, or a one-line user error listing the allowed ones."""
    if method not in POOL_METHODS:
        raise ForecastsError(f"method: {method!r} is not one of {', '.join(POOL_METHODS)}")
    return method


# --- database layer -------------------------------------------------------------------------------


def _people_forecasts(db: Database, known: str):
    import pandas as pd

    sql = """SELECT f.id, f.question_id, f.forecaster_id, f.made_at, f.probability, f.probabilities
             FROM forecasts f JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE fr.kind = 'person' AND f.recorded_at <= ? AND f.made_at <= ? AND f.cdf IS NULL
             ORDER BY f.question_id, f.made_at, f.id"""
    cols = ["id", "question_id", "forecaster_id", "made_at", "probability", "probabilities"]
    return pd.DataFrame(db.conn.execute(sql, [known, known]).fetchall(), columns=cols)


def _crowd_rows(db: Database, name: str) -> dict[str, list[tuple[str, Any]]]:
    import json

    out: dict[str, list[tuple[str, Any]]] = {}
    sql = """SELECT question_id, made_at, probability, probabilities FROM forecasts
             WHERE forecaster_id = ? AND cdf IS NULL ORDER BY made_at, id"""
    for qid, made, p, ps in db.conn.execute(sql, [name]):
        out.setdefault(qid, []).append((made, p if p is not None else json.loads(ps)))
    return out


def _standing_matrix(rows, outcomes: tuple[str, ...] | None):
    """Forward-filled (events × forecasters[× outcomes]) matrix of standing forecasts, one row per distinct made_at."""
    import json

    import pandas as pd

    rows = rows.drop_duplicates(["made_at", "forecaster_id"], keep="last")
    if outcomes is None:
        wide = rows.pivot(index="made_at", columns="forecaster_id", values="probability").sort_index().ffill()
        return list(wide.index), list(wide.columns), wide.to_numpy(float)
    probs = pd.DataFrame([json.loads(s) for s in rows["probabilities"]], index=rows.index)[list(outcomes)]
    mats = []
    for o in outcomes:
        w = rows.assign(v=probs[o]).pivot(index="made_at", columns="forecaster_id", values="v").sort_index().ffill()
        mats.append(w.to_numpy(float))
    return list(w.index), list(w.columns), np.stack(mats, axis=-1)


def _run_params(run: dict, names: list[str]) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Per-forecaster (a, b) means and the extremizing factor from a stored skill run, or None if unusable."""
    summary = run["summary"]
    if not summary.get("extremize"):
        return None
    fitted = {r["forecaster"]: r for r in summary["forecasters"]}
    hyper = summary["hyper"]
    a = np.array([fitted[n]["bias"]["mean"] if n in fitted else hyper["mu_a"] for n in names])
    b = np.array([fitted[n]["slope"]["mean"] if n in fitted else hyper["b_population"] for n in names])
    return a, b, float(summary["extremize"]["d"])


def pooled_series(
    rows, q, method: str, runs: list[dict], end: datetime
) -> tuple[list[str], list[Any], list[str], list[str]]:
    """(event times, pooled values, method used per event, notes) for one question's people forecasts."""
    times, names, mat = _standing_matrix(rows, None if q.is_binary else q.outcomes)
    keep = np.array([(q.opens_at <= from_iso(t) < end) for t in times], dtype=bool)
    times = [t for t, k in zip(times, keep, strict=True) if k]
    mat = mat[keep]
    notes: list[str] = []
    if not times:
        return [], [], [], notes
    if not q.is_binary:
        used = "geometric" if method == "extremized" else method
        if method == "extremized":
            notes.append(f"{q.id}: categorical, extremized falls back to the geometric mean")
        pooled = pool_categorical(mat, used)
        values = [dict(zip(q.outcomes, map(float, row), strict=True)) for row in pooled]
        return times, values, [used] * len(times), notes
    if method == "median":
        return times, list(map(float, pool_median(mat))), ["median"] * len(times), notes
    if method == "geometric":
        return times, list(map(float, pool_geometric(mat))), ["geometric"] * len(times), notes
    # Extremized: each event uses the newest skill run whose data ends by then (no look-ahead). A run is itself an
    # event: from its as-of time the standing forecasts are pooled with it, even if nobody forecasts again.
    run_times = sorted({r["as_of"] for r in runs if times[0] < r["as_of"] and from_iso(r["as_of"]) < end} - set(times))
    if run_times:
        merged = sorted(set(times) | set(run_times))
        mat = mat[np.searchsorted(np.array(times), np.array(merged), side="right") - 1]  # standing at each time
        times = merged
    values = list(map(float, pool_median(mat)))
    used = ["median (fallback: no skill run yet)"] * len(times)
    as_of = np.array([r["as_of"] for r in runs])
    idx = np.searchsorted(as_of, np.array(times), side="right") - 1
    for run_i in np.unique(idx[idx >= 0]):
        params = _run_params(runs[run_i], names)
        if params is None:
            note = runs[run_i]["summary"].get("extremize_note") or "no extremizing factor"
            for j in np.flatnonzero(idx == run_i):
                used[j] = f"median (fallback: skill run #{runs[run_i]['id']}: {note})"
            continue
        a, b, d = params
        sel = np.flatnonzero(idx == run_i)
        ext = pool_extremized(mat[sel], a, b, d)
        for j, v in zip(sel, ext, strict=True):
            values[j] = float(v)
            used[j] = f"extremized (skill run #{runs[run_i]['id']}, d={d:.2f})"
    return times, values, used, notes


def standing_counts(rows, times: list[str]) -> np.ndarray:
    """How many people had a standing forecast at each event time (first forecasts, counted cumulatively)."""
    first = np.sort(rows.groupby("forecaster_id")["made_at"].min().to_numpy().astype(str))
    return np.searchsorted(first, np.array(times, dtype=str), side="right")


def _differs(x: Any, y: Any) -> bool:
    if y is None:
        return True
    if isinstance(x, dict):
        return max(abs(x[k] - y.get(k, math.inf)) for k in x) > CHANGE_TOL
    return abs(x - y) > CHANGE_TOL


def record_crowd(db: Database, method: str = "median", known_by: datetime | None = None) -> dict[str, Any]:
    """Record the method's aggregate forecasts (`crowd`, `crowd-geometric`, `crowd-extremized`) at each change of
    the people's standing forecasts (idempotent; never two rows of one aggregate at one instant).

    Uses forecasts recorded and made by `known_by`; a crowd forecast is written at a moment only while the
    question is open (before closes_at and before the truth was known) and only if the pooled value differs
    from the crowd's standing forecast then.
    """
    from forecasts.bayes.fit_store import skill_runs
    from forecasts.forecasting import submit_forecast
    from forecasts.questions import all_questions
    from forecasts.resolution import all_resolutions

    check_method(method)
    name = CROWD_METHODS[method]
    known_dt = known_by or now_utc()
    known = to_iso(known_dt)
    with write_transaction(db):
        ensure_forecaster(db, name, kind="aggregate")
    people = _people_forecasts(db, known)
    questions = {q.id: q for q in all_questions(db) if not q.is_numeric}  # numeric: forecasts.numeric.crowd
    resolved = all_resolutions(db, known_dt)
    runs = skill_runs(db, "calibration", known_dt) if method == "extremized" else []
    existing = _crowd_rows(db, name)
    engine: dict[str, Any] | None = None
    if method in ENGINE_METHODS:
        engine, info = crowd_series(db, method, known_dt)
    out: dict[str, Any] = {
        "method": method, "forecaster": name, "known_by": known, "recorded": 0, "questions": [], "notes": []
    }  # fmt: skip
    if engine is not None:
        out.update(info)
    if method == "extremized" and not runs:
        out["notes"].append("no skill run stored yet, so the crowd falls back to the median; `forecasts skill` fits "
                            "one once people have forecast yes/no questions that have resolved")  # fmt: skip
    with write_transaction(db):
        for qid, rows in people.groupby("question_id", sort=True):
            if qid not in questions:  # a numeric question: its crowd is recorded by forecasts.numeric.crowd
                continue
            q = questions[qid]
            res = resolved.get(qid)
            end = min(q.closes_at, from_iso(res["known_at"])) if res else q.closes_at
            if engine is None:
                times, values, used, notes = pooled_series(rows, q, method, runs, end)
            elif q.is_binary:
                times, values, used = engine.get(qid, ([], [], []))
                notes = []
            else:
                times, values, used, notes = [], [], [], [f"{qid}: categorical, {method} pools binary questions only"]
            out["notes"].extend(notes)
            crowd = existing.get(qid, [])
            crowd_times = [t for t, _ in crowd]
            recorded = 0
            last_new: tuple[str, Any] | None = None
            counts = np.zeros(len(times), dtype=int) if not times else standing_counts(rows, times)
            for j, (t, v, how) in enumerate(zip(times, values, used, strict=True)):
                i = int(np.searchsorted(crowd_times, t, side="right")) - 1
                standing_existing = crowd[i] if i >= 0 else None
                # The crowd's standing value at t: the later of the existing row and the row just written.
                standing = standing_existing
                if last_new is not None and (standing is None or last_new[0] >= standing[0]):
                    standing = last_new
                if not _differs(v, None if standing is None else standing[1]):
                    continue
                if standing is not None and standing[0] == t:  # one row per instant: the first one stands
                    out["notes"].append(f"{qid}: {name} already recorded at {t}; a later change at that second is not")
                    continue
                submit_forecast(
                    db,
                    qid,
                    v,
                    name,
                    rationale=f"{how} of {counts[j]} people's standing forecasts",
                    made_at=from_iso(t),
                    kind="aggregate",
                    backfill=True,
                )
                last_new = (t, v)
                recorded += 1
            out["recorded"] += recorded
            out["questions"].append(
                {
                    "question": qid,
                    "state": "resolved" if res else ("closed" if known_dt >= q.closes_at else "open"),
                    "people": int(rows["forecaster_id"].nunique()),
                    "crowd": values[-1] if values else None,
                    "method_used": used[-1] if used else None,
                    "recorded": recorded,
                }
            )
        if method == "median":  # numeric and date questions: mean of CDFs and median of quantiles
            from forecasts.numeric.crowd import record_numeric_crowd

            numeric = [q for q in all_questions(db) if q.is_numeric]
            out["numeric"] = record_numeric_crowd(db, numeric, known_dt)
            out["recorded"] += out["numeric"]["recorded"]
    return out
