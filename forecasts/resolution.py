"""Resolutions: record an outcome (append-only), unresolve with a new row, read the current state.

A binary question may also resolve to a probability r (a market's value at close): stored as outcome "r"
with `value` r; Brier scores it (p − r)², log and baseline scores take their expectation under r, and
calibration leaves it out (design.md, "Scoring")."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.grammar import probability_text
from forecasts.questions import Question, get_question
from forecasts.store.db import Database, insert_row, write_transaction
from forecasts.timeutil import now_utc, parse_datetime, to_iso
from forecasts.validation import UNSCORED, bare, text


def _short_text(value: str | None, fld: str) -> str:
    """Free text a user typed: the one text rule (forecasts.validation.text)."""
    return text(value, fld)


def resolution_state(db: Database, question_id: str, known_by: datetime | None = None) -> dict[str, Any] | None:
    """The standing resolution (latest row recorded by `known_by`), or None if open/unresolved."""
    sql = "SELECT * FROM resolutions WHERE question_id = ?"
    params: list = [question_id]
    if known_by is not None:
        sql += " AND recorded_at <= ?"
        params.append(to_iso(known_by))
    rows = list(db.query(sql + " ORDER BY id DESC LIMIT 1", params))
    if not rows or rows[0]["action"] == "unresolve":
        return None
    return rows[0]


def all_resolutions(db: Database, known_by: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Standing resolutions of every resolved question, keyed by question id."""
    sql = "SELECT * FROM resolutions"
    params: list = []
    if known_by is not None:
        sql += " WHERE recorded_at <= ?"
        params.append(to_iso(known_by))
    latest: dict[str, dict[str, Any]] = {}
    for row in db.query(sql + " ORDER BY id", params):
        latest[row["question_id"]] = row
    return {q: r for q, r in latest.items() if r["action"] == "resolve"}


HISTORY_FIELDS = ("id", "question_id", "action", "outcome", "known_at", "recorded_at", "source", "note",
                  "recorded_by", "os_user")  # fmt: skip


def resolution_history(
    db: Database,
    question_id: str | None = None,
    since: datetime | None = None,
    known_by: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every resolve and unresolve row (who, when, source, note), oldest first; optionally one question's, or
    those recorded in (since, known_by]."""
    where, params = [], []
    if question_id is not None:
        where.append("question_id = ?")
        params.append(question_id)
    if since is not None:
        where.append("recorded_at > ?")
        params.append(to_iso(since))
    if known_by is not None:
        where.append("recorded_at <= ?")
        params.append(to_iso(known_by))
    sql = f"SELECT {', '.join(HISTORY_FIELDS)} FROM resolutions"
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [dict(zip(HISTORY_FIELDS, row, strict=True)) for row in db.conn.execute(sql, params)]


def describe_resolution_row(row: dict[str, Any], os_account: bool = True) -> str:
    """One line for a resolve/unresolve row: when recorded, what, who (and the OS account), source and note."""
    what = f"resolved {row['outcome']} (known {row['known_at']})" if row["action"] == "resolve" else "unresolved"
    text = f"{row['recorded_at']} {what}" + (f" by {row['recorded_by']}" if row["recorded_by"] else "")
    text += f" [{row['os_user']}]" if os_account and row.get("os_user") else ""
    if row["source"]:
        text += f"; source: {row['source']}"
    if row["note"]:
        text += f"; note: {row['note']}"
    return text


def parse_outcome(q: Question, text: Any) -> tuple[str, float | None]:
    """An outcome as stored: (outcome text, value). A binary question may resolve to a probability r in [0, 1]
    (a market's value at close): "0.37" is stored with value 0.37; 0 and 1 are the outcomes no and yes."""
    if isinstance(text, bool):
        raise ForecastsError(f"outcome: {text!r} is not allowed for {q.id!r}")
    if q.is_numeric:
        from forecasts.numeric.resolve import parse_numeric_outcome

        return parse_numeric_outcome(q.scale, text, q.id), None
    if isinstance(text, int | float):
        text = repr(float(text))
    if isinstance(text, str):
        bare(text, "outcome")  # the whole text is the choice: `yes\n` or ` 0.5` is refused, not trimmed
    outcome = (text or "") if isinstance(text, str) else ""
    if q.is_binary:
        outcome = outcome.lower()
        r = _number(outcome)
        if r is not None:
            if not (math.isfinite(r) and 0.0 <= r <= 1.0):
                raise ForecastsError(f"outcome: {text!r} is not a probability; a binary question resolves to yes, "
                                     "no, ambiguous, annulled or a probability from 0 to 1 (e.g. 0.37)")  # fmt: skip
            if r in (0.0, 1.0):
                return ("yes" if r == 1.0 else "no"), None
            return repr(r), r
    allowed = [*q.outcomes, *UNSCORED]
    if outcome not in allowed:
        extra = " or a probability from 0 to 1" if q.is_binary else ""
        raise ForecastsError(f"outcome: {outcome!r} is not allowed for {q.id!r}; allowed: {', '.join(allowed)}{extra}")
    return outcome, None


def _number(text: str) -> float | None:
    """The text as a probability in the one grammar of every path (forecasts.grammar: `0.37`, `37%`), else None
    (`1e-400`, `.5` or `+0.5` is then not an allowed outcome, the same refusal as in a file)."""
    if not text or not (text[0].isdigit() or text[0] in "+-."):
        return None
    return probability_text(text)


def check_deadline_no(q: Question, outcome: str, known: datetime) -> None:
    """A "by date" question can resolve yes early but no only at its close: before then the event may still
    happen (and scoring would cut the lifetime short). A voided question resolves ambiguous or annulled."""
    if q.deadline_question and outcome == "no" and known < q.closes_at:
        raise ForecastsError(
            f"known_at: {q.id!r} asks whether the event happens by {to_iso(q.closes_at)}, so it resolves no only "
            f"from then (known_at {to_iso(known)}); use ambiguous or annulled for a voided question"
        )


def resolve(
    db: Database,
    question_id: str,
    outcome: str,
    known_at: str | None = None,
    source: str = "",
    note: str = "",
    recorded_by: str = "",
) -> dict[str, Any]:
    """Record the outcome of a question; refuse an unknown outcome, a future date, or a second resolution."""
    q = get_question(db, question_id)
    outcome, value = parse_outcome(q, outcome)
    source, note = _short_text(source, "source"), _short_text(note, "note")
    recorded_by = _short_text(recorded_by, "by")
    now = now_utc()
    known = parse_datetime(known_at, "known_at") if known_at else now
    if known > now:
        raise ForecastsError(f"known_at: {to_iso(known)} is in the future")
    if known < q.opens_at:
        raise ForecastsError(f"known_at: {to_iso(known)} is before the question opened ({to_iso(q.opens_at)})")
    check_deadline_no(q, outcome, known)
    with write_transaction(db):
        current = resolution_state(db, q.id)
        if current is not None:
            raise ForecastsError(
                f"question: {q.id!r} is already resolved as {current['outcome']!r}; run `forecasts unresolve` first"
            )
        rid = insert_row(
            db,
            "resolutions",
            {
                "question_id": q.id,
                "action": "resolve",
                "outcome": outcome,
                "known_at": to_iso(known),
                "recorded_at": to_iso(now),
                "source": source or "",
                "note": note or "",
                "recorded_by": recorded_by or "",
                **({"value": value} if value is not None else {}),
            },
        )
    return {
        "id": rid,
        "question": q.id,
        "outcome": outcome,
        "value": value,
        "known_at": to_iso(known),
        "scored": outcome not in UNSCORED,
    }


def unresolve(db: Database, question_id: str, note: str = "", recorded_by: str = "") -> dict[str, Any]:
    """Reopen a resolved question with a new row; its scores disappear until it is resolved again."""
    q = get_question(db, question_id)
    note, recorded_by = _short_text(note, "note"), _short_text(recorded_by, "by")
    now = now_utc()
    with write_transaction(db):
        current = resolution_state(db, q.id)
        if current is None:
            raise ForecastsError(f"question: {q.id!r} is not resolved, so it cannot be unresolved")
        rid = insert_row(
            db,
            "resolutions",
            {
                "question_id": q.id,
                "action": "unresolve",
                "outcome": None,
                "known_at": None,
                "recorded_at": to_iso(now),
                "source": "",
                "note": note or "",
                "recorded_by": recorded_by or "",
            },
        )
    return {"id": rid, "question": q.id, "previous_outcome": current["outcome"]}
