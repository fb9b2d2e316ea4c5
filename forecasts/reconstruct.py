"""The model's track record on a history onboarded late: replay it as if it had been logged day by day.

An evidence history imported today (a question pack's trail) gives the live `bayes` forecaster nothing before today.
`reconstruct` records, under the separate forecaster `bayes-reconstructed` (kind "model", every rationale starting
"reconstructed:"), what the model would have recorded had the team logged each item on its `observed_at` and run
the weekly job at every week's end: per question, at each linked item the fast-path posterior from the items up to
and including it (what `evidence add` records), and at each Monday 00:00 UTC the time decay when it moved by more
than MOVE_PP since the last record (what `record_model_forecasts` records). Items observed at the same instant are
replayed in ledger (id) order; at a week's end the items observed then come first. A question's replay stops at its
close and at its resolution's known_at (no forecast once the truth was known). Rows are never edited: a re-run adds
only what differs from the standing reconstructed track (so it is idempotent, and a changed history is corrected
with new rows). Fast path only: no PyMC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from forecasts.bayes.record import FAST_NOTE, MOVE_PP, forecast_value, moved_pp
from forecasts.errors import ForecastsError
from forecasts.forecasters import RECONSTRUCTED
from forecasts.forecasting import submit_forecast
from forecasts.probabilities import Link, active_links, probability_from_links
from forecasts.questions import Question, all_questions
from forecasts.resolution import all_resolutions
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import from_iso, now_utc, to_iso

MARK = "reconstructed:"
WEEK = timedelta(days=7)
SAME = 1e-12  # probabilities this close count as the same forecast


@dataclass(frozen=True)
class Planned:
    """One forecast of the replay: question, moment, outcome probabilities (unclipped) and what caused it."""

    question: str
    made_at: datetime
    probs: dict[str, float]
    evidence_ids: tuple[int, ...]
    rationale: str


def week_ends(start: datetime, end: datetime) -> list[datetime]:
    """Every Monday 00:00 UTC strictly after `start` and strictly before `end` (the weekly job's moments)."""
    first = (start + timedelta(days=7 - start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    t = first
    while t < end:
        if t > start:
            out.append(t)
        t += WEEK
    return out


def _question_plan(q: Question, links: list[Link], stop: datetime) -> list[Planned]:
    """The replay of one question: its items in (observed_at, id) order and the weekly steps, until `stop`."""
    order = sorted({(lk.observed_at, lk.evidence_id) for lk in links})
    events = [(t, 0, eid) for t, eid in order if q.opens_at <= t < stop]
    events += [(t, 1, 0) for t in week_ends(q.opens_at, stop)]
    events.sort()
    out: list[Planned] = []
    last: dict[str, float] | None = None
    for at, kind, eid in events:
        known = [lk for lk in links if (lk.observed_at, lk.evidence_id) <= ((at, eid) if kind == 0 else (at, 1 << 62))]
        probs = probability_from_links(q, known, at)
        ids = tuple(sorted({lk.evidence_id for lk in known}))
        if kind == 0:
            why = f"{MARK} evidence #{eid} observed {to_iso(at)}, replayed as if logged that day; {FAST_NOTE}"
            out.append(Planned(q.id, at, probs, (eid,), why))
        elif last is None or moved_pp(q, probs, last) > MOVE_PP:
            why = f"{MARK} weekly time step to {to_iso(at)}, replayed; {FAST_NOTE}"
            out.append(Planned(q.id, at, probs, ids, why))
        else:
            continue
        last = probs
    return out


def plan(db: Database, now: datetime | None = None) -> list[Planned]:
    """The whole replay from the ledger as it stands (retracted items left out), oldest first."""
    now = now or now_utc()
    links = active_links(db, now)
    resolutions = all_resolutions(db, now)
    out: list[Planned] = []
    for q in all_questions(db):
        if q.is_numeric:  # the local-level model's track: forecasts.numeric.record
            continue
        stop = min(q.closes_at, now)
        res = resolutions.get(q.id)
        if res is not None and res["known_at"]:
            stop = min(stop, from_iso(res["known_at"]))
        out.extend(_question_plan(q, links.get(q.id, []), stop))
    out.sort(key=lambda p: (p.made_at, p.question))
    return out


def _standing_rows(db: Database) -> dict[tuple[str, str], dict[str, float]]:
    """The reconstructed forecaster's recorded value at each (question, made_at): the last row written there."""
    rows = db.conn.execute(
        "SELECT question_id, made_at, probability, probabilities FROM forecasts WHERE forecaster_id = ? "
        "AND cdf IS NULL ORDER BY id",
        [RECONSTRUCTED],
    ).fetchall()
    out: dict[tuple[str, str], dict[str, float]] = {}
    for qid, made, p, ps in rows:
        out[(qid, made)] = {"yes": p, "no": 1.0 - p} if p is not None else json.loads(ps)
    return out


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= SAME for k in a)


def _check_forecaster(db: Database) -> None:
    row = db.conn.execute("SELECT kind FROM forecasters WHERE id = ?", [RECONSTRUCTED]).fetchone()
    if row is not None and row[0] != "model":
        raise ForecastsError(f"forecaster: {RECONSTRUCTED!r} exists as a {row[0]}, so the replay cannot use it")


def reconstruct(db: Database) -> dict[str, Any]:
    """Record the replayed track as `bayes-reconstructed` in one transaction; rows already standing are skipped.

    A standing reconstructed value that the replay no longer has (the history changed) gets a correcting row at the
    same moment carrying the replay's value then, so the stored track equals the replay at every instant."""
    now = now_utc()
    _check_forecaster(db)
    planned = plan(db, now)
    questions = {q.id: q for q in all_questions(db)}
    standing = _standing_rows(db)
    wanted = {(p.question, to_iso(p.made_at)): p for p in planned}
    written = corrected = 0
    with write_transaction(db):
        for key, p in wanted.items():
            have = standing.get(key)
            value = forecast_value(questions[p.question], p.probs)
            as_probs = {"yes": value, "no": 1.0 - value} if isinstance(value, float) else value
            if have is not None and _same(have, as_probs):
                continue
            submit_forecast(db, p.question, value, RECONSTRUCTED, rationale=p.rationale, made_at=p.made_at,
                            kind="model", evidence_ids=list(p.evidence_ids), backfill=True)  # fmt: skip
            written += 1
        by_question: dict[str, list[Planned]] = {}
        for p in planned:
            by_question.setdefault(p.question, []).append(p)
        for (qid, made), have in sorted(standing.items()):
            if (qid, made) in wanted or qid not in questions:
                continue
            at = from_iso(made)
            before = [p for p in by_question.get(qid, []) if p.made_at <= at]
            if not before:
                continue  # before the replay's first record: nothing to say (the stale row stays the earliest)
            value = forecast_value(questions[qid], before[-1].probs)
            as_probs = {"yes": value, "no": 1.0 - value} if isinstance(value, float) else value
            if _same(have, as_probs):
                continue
            submit_forecast(db, qid, value, RECONSTRUCTED, made_at=at, kind="model", backfill=True,
                            rationale=f"{MARK} correction: the replayed history no longer records a forecast here",
                            evidence_ids=list(before[-1].evidence_ids))  # fmt: skip
            corrected += 1
        from forecasts.numeric.record import reconstruct_numeric

        numeric = reconstruct_numeric(db, list(questions.values()), now)
    return {
        "forecaster": RECONSTRUCTED,
        "planned": len(planned),
        "written": written,
        "corrected": corrected,
        "questions": len({p.question for p in planned}),
        "numeric": numeric,
        "first": to_iso(planned[0].made_at) if planned else None,
        "last": to_iso(planned[-1].made_at) if planned else None,
    }
