"""Scores of every forecaster on the resolved numeric and date questions, from the store.

Per (question, forecaster): Metaculus's continuous baseline and peer scores, time-averaged over the question's
scheduled lifetime (opens_at to closes_at, cut at the truth's known_at) with their coverage, and spot at the
close; CRPS of the forecast standing at the close, on the question's scale (days for dates) and divided by the
range width; its PIT value. Ambiguous and annulled questions are not scored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from forecasts.numeric.resolve import UNSCORED, outcome_location, outcome_value
from forecasts.numeric.scores import (
    Standing,
    baseline_accuracy,
    baseline_spot,
    bucket_index,
    bucket_mass,
    crps,
    grid,
    peer_accuracy,
    peer_spot,
    pit_calibration,
    pit_values,
)
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, now_utc, to_iso

DAY = 86400.0


def _tracks(db: Database, qid: str, known: str) -> dict[str, list[tuple[float, list[float]]]]:
    """Each forecaster's CDF forecasts on a question, oldest first, as (made_at seconds, cdf)."""
    sql = """SELECT forecaster_id, made_at, cdf FROM forecasts WHERE question_id = ? AND cdf IS NOT NULL
             AND recorded_at <= ? ORDER BY made_at, id"""
    out: dict[str, list[tuple[float, list[float]]]] = {}
    for who, made, cdf in db.conn.execute(sql, [qid, known]):
        out.setdefault(who, []).append((from_iso(made).timestamp(), json.loads(cdf)))
    return out


def _standings(track: list[tuple[float, list[float]]], bucket: int) -> list[Standing]:
    return [
        Standing(t, track[i + 1][0] if i + 1 < len(track) else None, max(bucket_mass(cdf, bucket), 1e-12))
        for i, (t, cdf) in enumerate(track)
    ]


def _sum(scores: list) -> tuple[float, float]:
    return sum(s.score for s in scores), sum(s.coverage for s in scores)


def question_scores(db: Database, q: Any, resolution: dict[str, Any], known_by: datetime) -> list[dict[str, Any]]:
    """One row per forecaster on one resolved numeric or date question."""
    scale = q.scale
    outcome = resolution["outcome"]
    u = outcome_location(scale, outcome)
    bucket = bucket_index(u)
    open_bounds = int(scale.open_lower_bound) + int(scale.open_upper_bound)
    start, end = q.opens_at.timestamp(), q.closes_at.timestamp()
    close = min(end, from_iso(resolution["known_at"]).timestamp())
    tracks = _tracks(db, q.id, to_iso(known_by))
    people = {r[0] for r in db.conn.execute("SELECT id FROM forecasters WHERE kind = 'person'")}
    base = [s for who, tr in tracks.items() if who in people for s in _standings(tr, bucket)]
    value = outcome_value(scale, outcome)
    y = value if value is not None else (scale.range_min if outcome == "below" else scale.range_max)
    xs = grid(scale)
    unit = DAY if scale.is_date else 1.0
    rows = []
    for who, track in sorted(tracks.items()):
        stands = _standings(track, bucket)
        at_close = [cdf for t, cdf in track if t < close]
        b, cov = _sum(baseline_accuracy(stands, bucket, open_bounds, start, close, end))
        p, pcov = _sum(peer_accuracy(stands, start, close, end, base=base or stands)) if base else (0.0, 0.0)
        [spot_b] = [baseline_spot(stands[-1:], bucket, open_bounds, close - 1e-9)[0]] if stands else [None]
        spot_p = peer_spot(stands[-1:], close - 1e-9, base=base)[0] if base and stands else None
        row: dict[str, Any] = {
            "question": q.id, "forecaster": who, "forecasts": len(track), "outcome": outcome,
            "baseline": b, "baseline_coverage": cov, "peer": p, "peer_coverage": pcov,
            "spot_baseline": spot_b.score if spot_b else None, "spot_peer": spot_p.score if spot_p else None,
        }  # fmt: skip
        if at_close:
            last = np.array([at_close[-1]])
            c = float(crps(last, np.array([y]), xs)[0])
            row |= {"crps": c / unit, "crps_unit": "days" if scale.is_date else scale.unit,
                    "crps_range": c / scale.width, "pit": float(pit_values(last, np.array([u]))[0])}  # fmt: skip
        else:
            row |= {"crps": None, "crps_unit": None, "crps_range": None, "pit": None}
        rows.append(row)
    return rows


def numeric_scores(db: Database, known_by: datetime | None = None) -> dict[str, Any]:
    """Every forecaster's scores on every resolved numeric or date question, and each one's PIT calibration."""
    from forecasts.questions import all_questions
    from forecasts.resolution import all_resolutions

    known_by = known_by or now_utc()
    resolved = all_resolutions(db, known_by)
    rows: list[dict[str, Any]] = []
    for q in all_questions(db):
        res = resolved.get(q.id)
        if q.is_numeric and res is not None and res["outcome"] not in UNSCORED:
            rows.extend(question_scores(db, q, res, known_by))
    pits: dict[str, list[float]] = {}
    for r in rows:
        if r["pit"] is not None:
            pits.setdefault(r["forecaster"], []).append(r["pit"])
    calibration = {who: pit_calibration(np.array(v)) for who, v in sorted(pits.items())}
    return {"known_by": to_iso(known_by), "scores": rows, "calibration": calibration}
