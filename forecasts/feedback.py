"""What a forecaster sees right after forecasting: their previous value and the crowd's (median of the others).

A question tagged `hide-crowd` keeps the crowd out of this view, so a team can forecast independently
before anchoring on each other. Pure Python (no numpy): this runs on every interactive `forecast`.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from forecasts.questions import Question
from forecasts.store.db import Database

HIDE_CROWD_TAG = "hide-crowd"


def _probs(q: Question, row: tuple) -> dict[str, float]:
    if row[1] is not None:
        return {o: float(v) for o, v in json.loads(row[1]).items()}
    return {"yes": float(row[0]), "no": 1.0 - float(row[0])}


def crowd_median(q: Question, standing: list[dict[str, float]]) -> dict[str, float] | None:
    """Per-outcome median of the standing forecasts, renormalised to sum to 1 (None without any)."""
    if not standing:
        return None
    med = {o: statistics.median(p[o] for p in standing) for o in q.outcomes}
    total = sum(med.values())
    return {o: v / total for o, v in med.items()}


def forecast_feedback(db: Database, q: Question, by: str, forecast_id: int) -> dict[str, Any]:
    """Your forecast before `forecast_id` and the other people's median standing now (or why it is hidden)."""
    prev = db.conn.execute(
        "SELECT probability, probabilities, made_at FROM forecasts WHERE question_id = ? AND forecaster_id = ? "
        "AND id < ? ORDER BY made_at DESC, id DESC LIMIT 1",
        [q.id, by, forecast_id],
    ).fetchone()
    out: dict[str, Any] = {
        "previous": _probs(q, prev) if prev else None,
        "previous_made_at": prev[2] if prev else None,
        "crowd": None,
        "crowd_people": 0,
        "crowd_hidden": HIDE_CROWD_TAG in q.tags,
    }
    if out["crowd_hidden"]:
        return out
    rows = db.conn.execute(
        """SELECT f.forecaster_id, f.probability, f.probabilities FROM forecasts f
           JOIN forecasters p ON p.id = f.forecaster_id
           WHERE f.question_id = ? AND p.kind = 'person' AND f.forecaster_id != ?
           ORDER BY f.made_at, f.id""",
        [q.id, by],
    ).fetchall()
    latest = {r[0]: _probs(q, (r[1], r[2])) for r in rows}
    out["crowd"] = crowd_median(q, list(latest.values()))
    out["crowd_people"] = len(latest)
    return out
