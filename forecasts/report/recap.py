"""The story of a history recorded this week: how its newest stretch moved the open questions, and which items.

A trail onboarded in one week (the pack's main job, or a team catching up after a gap) is not this week's news,
so it never counts as a move; but its newest months are what a reader has missed. This condenses them: each
open question's probability at both ends of the stretch (fast path, every item at its observation date) and the
history items observed within it that moved it most.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

import forecasts.report.trajectory as tr
from forecasts.questions import Question
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso

SPAN = timedelta(days=120)  # the history's newest four months
TOP_QUESTIONS = 3
TOP_ITEMS = 2


def history_ids(db: Database, week_ago: datetime, as_of: datetime, lag: timedelta) -> dict[int, tuple[str, str]]:
    """Evidence recorded this week but observed at least `lag` before it began: id -> (observed_at, summary)."""
    rows = db.conn.execute(
        "SELECT id, observed_at, summary FROM evidence WHERE recorded_at > ? AND recorded_at <= ? AND observed_at <= ?",
        [to_iso(week_ago), to_iso(as_of), to_iso(week_ago - lag)],
    ).fetchall()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def _without(a: tr.LinkArrays, ids: np.ndarray) -> tr.LinkArrays:
    keep = ~np.isin(a.evidence_id, ids)
    return tr.LinkArrays(a.observed[keep], a.outcome[keep], a.shift[keep], a.var[keep], a.evidence_id[keep])


def _top_outcome(q: Question, start: np.ndarray, end: np.ndarray) -> int:
    return 0 if q.is_binary else int(np.argmax(np.abs(end - start)))


def recap(
    questions: dict[str, Question],
    arrays: dict[str, tr.LinkArrays],
    open_ids: list[str],
    history: dict[int, tuple[str, str]],
) -> dict[str, Any] | None:
    """The stretch [newest history item − SPAN, newest item] and the open questions its items moved most (by
    their joint effect at its end, beside the whole change including time passing); None without a history."""
    if not history:
        return None
    end = max(from_iso(obs) for obs, _ in history.values())
    start = max(end - SPAN, min(from_iso(obs) for obs, _ in history.values()))
    t0, t1 = start.timestamp(), end.timestamp()
    moves = []
    for qid in open_ids:
        q, a = questions[qid], arrays.get(qid)
        if a is None or q.opens_at.timestamp() > t0:
            continue
        in_span = (a.observed > t0) & (a.observed <= t1) & np.isin(a.evidence_id, list(history))
        inside = np.unique(a.evidence_id[in_span])
        p = tr.path(q, a, np.array([t0, t1]))
        without = tr.path(q, _without(a, inside), np.array([t1]))[0]  # the same end with none of the stretch's items
        k = _top_outcome(q, without, p[1])
        why = []
        if len(inside):
            effect = tr.leave_one_out(q, a, t1, inside)[:, k]
            for i in np.argsort(-np.abs(effect), kind="stable")[:TOP_ITEMS]:
                eid = int(inside[i])
                why.append({"id": eid, "observed_at": history[eid][0], "summary": history[eid][1],
                            "pp": 100.0 * float(effect[i])})  # fmt: skip
        moves.append({"id": qid, "title": q.title, "outcome": "yes" if q.is_binary else q.outcomes[k],
                      "start": float(p[0, k]), "end": float(p[1, k]), "evidence": float(p[1, k] - without[k]),
                      "items": len(inside), "why": why})  # fmt: skip
    moves.sort(key=lambda m: (-abs(m["evidence"]), m["id"]))
    in_span = sum(1 for obs, _ in history.values() if from_iso(obs) > start)
    return {
        "items": len(history),
        "first_observed": min(obs for obs, _ in history.values()),
        "last_observed": to_iso(end),
        "span_start": to_iso(start),
        "items_in_span": in_span,
        "moves": moves[:TOP_QUESTIONS],
    }
