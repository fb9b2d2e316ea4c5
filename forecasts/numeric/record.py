"""The model (`bayes`) on numeric and date questions: its fast-path CDF recorded when observations arrive, once
at the start, and replayed as `bayes-reconstructed` by `reconstruct`.

The local-level model forecasts the value at the question's close; time passing alone does not move that forecast
(the walk's spread from the last observation to the close is fixed), so only observations and the first record do.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from forecasts.numeric.cdf import summary
from forecasts.numeric.kalman import Observation
from forecasts.numeric.model import model_cdf
from forecasts.numeric.scale import NumericQuestion
from forecasts.numeric.status import interval_text, observations
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso

NOTE = "local-level model, closed-form Kalman fast path (equals the PyMC model's mean where no parameter is uncertain)"
MARK = "reconstructed:"
SAME = 1e-9


def record_numeric_model(
    db: Database, q: NumericQuestion, at: datetime, evidence_ids: list[int], rationale: str
) -> dict[str, Any]:
    """Record the model's CDF at `at` from the observations recorded by then (inside the caller's transaction)."""
    from forecasts.forecasters import MODEL
    from forecasts.forecasting import submit_forecast

    obs = observations(db, q, at)
    cdf = model_cdf(q, obs)
    return submit_forecast(db, q.id, None, MODEL, rationale=f"{rationale}: {NOTE}", made_at=at, kind="model",
                           evidence_ids=evidence_ids, cdf=cdf,
                           numeric_input={"method": "local-level-kalman", "observations": len(obs)})  # fmt: skip


def has_model_forecast(db: Database, qid: str) -> bool:
    from forecasts.forecasters import MODEL

    row = db.conn.execute("SELECT 1 FROM forecasts WHERE question_id = ? AND forecaster_id = ?", [qid, MODEL])
    return row.fetchone() is not None


def change(db: Database, q: NumericQuestion, evidence_id: int, at: datetime) -> dict[str, Any]:
    """Before (without the item) and after: the model's median and 10-90% interval, for `evidence add`."""
    obs = observations(db, q, at)
    ids = [r[0] for r in db.conn.execute(
        """SELECT e.observed_at FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id
           WHERE l.evidence_id = ? AND l.question_id = ?""", [evidence_id, q.id])]  # fmt: skip
    mine = {from_iso(t).timestamp() for t in ids}
    own = [o for o in obs if o.at in mine]
    rest = [o for o in obs if o not in own]
    after = summary(model_cdf(q, obs), q.scale)
    before = summary(model_cdf(q, rest), q.scale)
    return {"question": q.id, "title": getattr(q, "title", ""), "before": {}, "after": {},
            "numeric_before": interval_text(q, before), "numeric_after": interval_text(q, after)}  # fmt: skip


def replay(q: NumericQuestion, obs_by_item: list[tuple[datetime, int, Observation]], stop: datetime) -> list[tuple]:
    """The model's track on one question: (made_at, cdf, evidence ids, rationale) at its opening and at each
    observation's observed_at, until `stop`."""
    out = [(q.opens_at, model_cdf(q, []), (), f"{MARK} the prior at the question's opening")]
    seen: list[Observation] = []
    for at, eid, o in sorted(obs_by_item, key=lambda x: (x[0], x[1])):
        if not q.opens_at <= at < stop:
            continue
        seen.append(o)
        why = f"{MARK} observation #{eid} observed {to_iso(at)}, replayed as if logged that day"
        out.append((at, model_cdf(q, list(seen)), (eid,), why))
    return out


def reconstruct_numeric(db: Database, questions: list[Any], now: datetime) -> dict[str, int]:
    """Record the replay of every numeric question with a prior as `bayes-reconstructed` where it differs from the
    standing reconstructed row (idempotent; inside the caller's transaction)."""
    from forecasts.forecasters import RECONSTRUCTED
    from forecasts.forecasting import submit_forecast
    from forecasts.resolution import all_resolutions

    resolutions = all_resolutions(db, now)
    written = planned = 0
    for q in questions:
        if not q.is_numeric or not q.has_prior:
            continue
        stop = min(q.closes_at, now)
        res = resolutions.get(q.id)
        if res is not None and res["known_at"]:
            stop = min(stop, from_iso(res["known_at"]))
        sql = """SELECT e.observed_at, e.id, l.value, l.value_sd FROM evidence_links l
                 JOIN evidence e ON e.id = l.evidence_id WHERE l.question_id = ? AND l.value IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM evidence_retractions r WHERE r.evidence_id = e.id)"""
        items = [(from_iso(t), eid, Observation(from_iso(t).timestamp(), v, sd))
                 for t, eid, v, sd in db.conn.execute(sql, [q.id])]  # fmt: skip
        standing = {made: json.loads(cdf) for made, cdf in db.conn.execute(
            "SELECT made_at, cdf FROM forecasts WHERE forecaster_id = ? AND question_id = ? AND cdf IS NOT NULL "
            "ORDER BY id", [RECONSTRUCTED, q.id])}  # fmt: skip
        points: dict[datetime, tuple[Any, list, str]] = {}
        for at, cdf, ids, why in replay(q, items, stop):  # observations at one instant: the last row there stands
            earlier = points.get(at)
            points[at] = (cdf, sorted({*(earlier[1] if earlier else ()), *ids}), why)
        for at, (cdf, ids, why) in points.items():
            planned += 1
            have = standing.get(to_iso(at))
            if have is not None and max(abs(a - b) for a, b in zip(have, cdf, strict=True)) <= SAME:
                continue
            submit_forecast(db, q.id, None, RECONSTRUCTED, rationale=f"{why}; {NOTE}", made_at=at, kind="model",
                            evidence_ids=list(ids), backfill=True, cdf=cdf,
                            numeric_input={"method": "local-level-kalman", "replay": True})  # fmt: skip
            written += 1
    return {"planned": planned, "written": written}
