"""Backtest of the two numeric crowds on resolved numeric and date questions: the mean of the people's CDFs
(Metaculus's pool, our `crowd`) and the median of their quantiles (`crowd-quantiles`), each recomputed at every
change of the standing forecasts and scored by CRPS on the question's unit range (the CRPS divided by the
range width, so questions of any unit count alike), time-averaged over the scored span and at the close; the
quantile pool's difference to the mean of CDFs with a seeded 95% bootstrap interval over questions.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from forecasts.numeric.crowd import mean_cdf, median_of_quantiles, quantile_table
from forecasts.numeric.resolve import UNSCORED, outcome_value
from forecasts.numeric.scores import crps, grid
from forecasts.pooling.backtest import BOOTSTRAP, MIN_QUESTIONS, bootstrap_interval
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso

METHODS = ("mean_cdf", "median_quantiles")
DESCRIPTIONS = {"mean_cdf": "mean of the CDFs (Metaculus; the `crowd` forecaster)",
                "median_quantiles": "median of the quantiles (the `crowd-quantiles` forecaster)"}  # fmt: skip
SCORE = "CRPS on the unit range (CRPS / range width; lower is better)"


def question_crps(q: Any, rows: list[tuple[str, float, list[float]]], y: float, end: float) -> dict[str, Any] | None:
    """Each pool's time-averaged CRPS (over [first forecast, end)) and CRPS at the close, on the unit range, from
    the people's forecasts (who, seconds, cdf) in time order; None if none was made before the end."""
    rows = [r for r in rows if r[1] < end]
    if not rows:
        return None
    xs = grid(q.scale)
    standing: dict[str, tuple[list[float], list[float]]] = {}  # who -> (cdf, its quantile table)
    times: list[float] = []
    pools: dict[str, list[list[float]]] = {m: [] for m in METHODS}
    for i, (who, t, cdf) in enumerate(rows):
        standing[who] = (cdf, quantile_table(cdf))
        if i + 1 < len(rows) and rows[i + 1][1] == t:
            continue  # several forecasts at one instant: pool once, after the last
        cdfs = [c for c, _t in standing.values()]
        times.append(t)
        pools["mean_cdf"].append(mean_cdf(cdfs))
        pools["median_quantiles"].append(median_of_quantiles(cdfs, q.scale, [t for _c, t in standing.values()]))
    dur = np.diff(np.append(times, end))
    out: dict[str, Any] = {"people": len(standing)}
    for m in METHODS:
        c = crps(np.array(pools[m]), np.full(len(times), y), xs) / q.scale.width
        out[m] = (float(np.sum(c * dur) / np.sum(dur)), float(c[-1]))
    return out


def _people_forecasts(db: Database, qid: str, known: str) -> list[tuple[str, float, list[float]]]:
    sql = """SELECT f.forecaster_id, f.made_at, f.cdf FROM forecasts f JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE fr.kind = 'person' AND f.question_id = ? AND f.cdf IS NOT NULL AND f.recorded_at <= ?
               AND f.made_at <= ? ORDER BY f.made_at, f.id"""
    return [(who, from_iso(made).timestamp(), json.loads(cdf))
            for who, made, cdf in db.conn.execute(sql, [qid, known, known])]  # fmt: skip


def numeric_backtest(db: Database, known_by: datetime, tag: str | None = None, since: float = -np.inf,
                     min_forecasters: int = 1, seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """The two numeric pools over the resolved numeric and date questions (with tag, known since `since` seconds,
    with at least min_forecasters people), and the method the evidence favours (the mean of CDFs unless the
    median of quantiles beats it with an interval excluding zero over at least MIN_QUESTIONS questions)."""
    from forecasts.questions import all_questions
    from forecasts.resolution import all_resolutions

    known = to_iso(known_by)
    resolved = all_resolutions(db, known_by)
    per = []
    for q in all_questions(db, known_by=known_by):
        res = resolved.get(q.id)
        if not q.is_numeric or res is None or res["outcome"] in UNSCORED or (tag and tag not in q.tags):
            continue
        known_at = from_iso(res["known_at"]).timestamp()
        if known_at < since:
            continue
        value = outcome_value(q.scale, res["outcome"])
        y = value if value is not None else (q.scale.range_min if res["outcome"] == "below" else q.scale.range_max)
        end = min(q.closes_at.timestamp(), known_at)
        rows = [r for r in _people_forecasts(db, q.id, known) if r[1] >= q.opens_at.timestamp()]
        scored = question_crps(q, rows, y, end)
        if scored and scored["people"] >= min_forecasters:
            per.append(scored)
    n = len(per)
    methods = []
    if n:
        ta = np.array([[s[m][0] for m in METHODS] for s in per])
        close = np.array([[s[m][1] for m in METHODS] for s in per])
        diffs = np.column_stack([ta - ta[:, :1], close - close[:, :1]])
        lo, hi = bootstrap_interval(diffs, seed)
        k = len(METHODS)
        for j, m in enumerate(METHODS):
            methods.append({
                "method": m, "description": DESCRIPTIONS[m], "n_questions": n,
                "crps": float(ta[:, j].mean()), "crps_close": float(close[:, j].mean()),
                "diff": float(diffs[:, j].mean()), "diff_lo": float(lo[j]), "diff_hi": float(hi[j]),
                "diff_close": float(diffs[:, k + j].mean()), "diff_close_lo": float(lo[k + j]),
                "diff_close_hi": float(hi[k + j]),
            })  # fmt: skip
    favoured, why = "mean_cdf", "no resolved numeric question to backtest: the mean of CDFs by default"
    if n and n < MIN_QUESTIONS:
        why = f"{n} resolved numeric questions, fewer than the {MIN_QUESTIONS} a bootstrap interval needs"
    elif n:
        rival = methods[1]
        if rival["diff_hi"] < 0:
            favoured = rival["method"]
            why = (f"the median of quantiles beats the mean of CDFs by {-rival['diff']:.4f} CRPS (unit range), "
                   f"95% interval [{rival['diff_lo']:.4f}, {rival['diff_hi']:.4f}] excludes zero ({n} questions)")
        else:
            why = "the median of quantiles does not beat the mean of CDFs with a 95% interval excluding zero"
    return {"n_questions": n, "score": SCORE, "seed": seed, "bootstrap": BOOTSTRAP, "methods": methods,
            "favoured": favoured, "why": why}  # fmt: skip
