"""The people's forecasts on binary questions, read from the database into a pooling panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from forecasts.pooling.panel import Panel, build_panel
from forecasts.store.db import Database
from forecasts.timeutil import now_utc, to_iso


def seconds(iso: list[str] | np.ndarray) -> np.ndarray:
    """Seconds since the epoch of fixed-width UTC texts ('2025-01-20T14:30:00Z')."""
    arr = np.asarray(iso, dtype=str)
    if arr.size == 0:
        return np.zeros(0)
    return np.char.rstrip(arr, "Z").astype("datetime64[s]").astype(np.int64).astype(float)


@dataclass
class PanelData:
    """A panel with the names behind its indices."""

    panel: Panel
    question_ids: list[str]
    forecasters: list[str]


def outcome_value(res: dict | None) -> float:
    """1 for yes, 0 for no, r for a probability resolution, NaN for unresolved or void."""
    if not res:
        return np.nan
    if res.get("value") is not None:
        return float(res["value"])
    return {"yes": 1.0, "no": 0.0}.get(str(res.get("outcome")), np.nan)


def load_panel(db: Database, known_by: datetime | None = None, tag: str | None = None) -> PanelData:
    """Every binary question's people forecasts known by `known_by` (recorded and made by then), each question
    scored over [opens_at, min(closes_at, known_at)) and pooled only while it was open and its truth unknown."""
    import json

    from forecasts.resolution import all_resolutions

    known_dt = known_by or now_utc()
    known = to_iso(known_dt)
    sql = "SELECT id, opens_at, closes_at, tags FROM questions WHERE type = 'binary' ORDER BY id"
    questions = [r for r in db.conn.execute(sql) if tag is None or tag in json.loads(r[3])]
    ids = [r[0] for r in questions]
    resolved = all_resolutions(db, known_dt)
    index = {qid: i for i, qid in enumerate(ids)}
    y = np.array([outcome_value(resolved.get(qid)) for qid in ids])
    opens = seconds([r[1] for r in questions])
    closes = seconds([r[2] for r in questions])
    known_at = np.full(len(ids), np.inf)
    done = [i for i, qid in enumerate(ids) if qid in resolved]
    known_at[done] = seconds([resolved[ids[i]]["known_at"] for i in done])
    now = seconds([known])[0]
    end = np.minimum(np.minimum(closes, known_at), now + 1)  # +1: a forecast made at `known` still stands
    y[known_at > now] = np.nan
    sql = """SELECT f.question_id, f.forecaster_id, f.made_at, f.probability
             FROM forecasts f JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE fr.kind = 'person' AND f.probability IS NOT NULL AND f.recorded_at <= ? AND f.made_at <= ?
             ORDER BY f.question_id, f.made_at, f.id"""
    rows = [r for r in db.conn.execute(sql, [known, known]) if r[0] in index]
    names = sorted({r[1] for r in rows})
    who = {n: i for i, n in enumerate(names)}
    q = np.array([index[r[0]] for r in rows], dtype=np.int64)
    f = np.array([who[r[1]] for r in rows], dtype=np.int64)
    t = seconds([r[2] for r in rows])
    p = np.array([r[3] for r in rows], dtype=float)
    if len(q):
        keep = t >= opens[q]
        q, f, t, p = q[keep], f[keep], t[keep], p[keep]
    panel = build_panel(q, f, t, p, end, y, known_at, n_forecasters=len(names))
    return PanelData(panel, ids, names)
