"""Observations of a numeric question's quantity: evidence links carrying a value and its standard error."""

from __future__ import annotations

from datetime import datetime

from forecasts.numeric.kalman import Observation
from forecasts.numeric.scale import NumericQuestion as Question
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso


def observations_for(db: Database, q: Question, known_by: datetime) -> list[Observation]:
    """Links to `q` with a value, recorded by `known_by` and not retracted by then, in time order."""
    cols = {r[1] for r in db.conn.execute("PRAGMA table_info(evidence_links)")}
    if "value" not in cols:
        return []
    sql = """
        SELECT e.observed_at, l.value, l.value_sd FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id
        WHERE l.question_id = ? AND l.value IS NOT NULL AND e.recorded_at <= ?
          AND NOT EXISTS (SELECT 1 FROM evidence_retractions r WHERE r.evidence_id = e.id AND r.recorded_at <= ?)
        ORDER BY e.observed_at, e.id, l.id"""
    known = to_iso(known_by)
    return [
        Observation(from_iso(at).timestamp(), float(v), float(sd))
        for at, v, sd in db.conn.execute(sql, [q.id, known, known])
    ]
