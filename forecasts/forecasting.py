"""Forecasts: a forecaster's probability on a question at a moment; it stands until their next one."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.forecasters import ensure_forecaster, get_forecaster
from forecasts.grammar import PROBABILITY, RULE, too_small
from forecasts.probability_text import EXAMPLE, read_probability
from forecasts.questions import Question, get_question
from forecasts.resolution import resolution_state
from forecasts.store.db import Database, insert_row, write_transaction
from forecasts.timeutil import now_utc, to_iso
from forecasts.validation import text

SUM_TOLERANCE = 0.01


def parse_probability(value: str | float, fld: str = "probability", typed: bool = False, closed: bool = False) -> float:
    """A probability strictly between 0 and 1 (closed=True: also exactly 0 and 1, as imported data may state them;
    the interactive `forecast` command keeps the open interval). Text follows the one grammar of every path
    (forecasts.grammar: `0.35` or `35%`); a number must be finite and not too small for a float. `typed` only
    changes the example in the message."""
    p = read_probability(value)
    if isinstance(value, str) and math.isnan(p):
        small = PROBABILITY.fullmatch(value) and any(c in "123456789" for c in value.lower().split("e")[0])
        if small and abs(float(value.rstrip("%"))) < 1:
            raise ForecastsError(f"{fld}: {value!r} is too small for a float and would be stored as 0; write 0")
        raise ForecastsError(f"{fld}: {value!r} is not a probability; write {RULE} (not .5, +0.5, 1e-400 or spaces)")
    if isinstance(value, float) and too_small(value):
        raise ForecastsError(f"{fld}: {value!r} is too small for a float; write 0")
    if closed and math.isfinite(p) and 0.0 <= p <= 1.0:
        return p
    if not (math.isfinite(p) and 0.0 < p < 1.0):
        if typed:
            raise ForecastsError(f"{fld}: {value!r} must be strictly between 0 and 1, or 0% and 100% (e.g. {EXAMPLE})")
        rule = "from 0 to 1" if closed else "strictly between 0 and 1"
        raise ForecastsError(f"{fld}: {value!r} must be a number {rule} (e.g. 0.35)")
    return p


def written_as_zero(value: str | float) -> bool:
    """Whether a probability that reads as 0.0 was written as zero, not as a positive number too small for a
    float (1e-400): imports accept an exact 0 but do not turn a stated chance into certainty."""
    if not isinstance(value, str):
        return True
    mantissa = value.strip().lower().split("e", 1)[0]
    return not any(c in "123456789" for c in mantissa)


def parse_outcome_probabilities(q: Question, text: str, typed: bool = False) -> dict[str, float]:
    """'outcome=p,outcome=p' for a categorical question: every outcome, each in (0, 1), summing to 1."""
    probs: dict[str, float] = {}
    for part in str(text).split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise ForecastsError(
                f"probability: {q.id!r} is categorical; give OUTCOME=P for each of: {', '.join(q.outcomes)}"
            )
        if name not in q.outcomes:
            raise ForecastsError(
                f"probability: {name!r} is not an outcome of {q.id!r}; allowed: {', '.join(q.outcomes)}"
            )
        if name in probs:
            raise ForecastsError(f"probability: outcome {name!r} given twice")
        probs[name] = parse_probability(value.strip(" "), f"probability[{name}]", typed)  # `a = 0.2, b = 0.8`
    missing = [o for o in q.outcomes if o not in probs]
    if missing:
        raise ForecastsError(f"probability: missing outcomes {', '.join(missing)}")
    total = sum(probs.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ForecastsError(f"probability: outcome probabilities sum to {total:.4g}; they must sum to 1")
    return {o: probs[o] / total for o in q.outcomes}


def submit_forecast(
    db: Database,
    question_id: str,
    probability: str | float | dict[str, float] | None,
    by: str,
    rationale: str = "",
    made_at: datetime | None = None,
    kind: str = "person",
    evidence_ids: list[int] | None = None,
    backfill: bool = False,
    cdf: list[float] | None = None,
    numeric_input: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record a forecast; refuse it on a resolved or closed question, or with a malformed probability.

    A numeric or date question takes `cdf` (201 values, checked with Metaculus's rules) instead of a probability,
    and keeps `numeric_input` (what it was built from, e.g. the percentile table) beside it.

    `backfill` (model/aggregate forecasters only): a resolved question still accepts a forecast made
    before the truth was known, so a computed forecaster can be recorded for moments it missed.
    """
    q = get_question(db, question_id)
    now = now_utc()
    made = made_at or now
    if made > now:
        raise ForecastsError(f"made_at: {to_iso(made)} is in the future")
    if made < q.opens_at:
        raise ForecastsError(
            f"question: {q.id!r} opens at {to_iso(q.opens_at)}; forecasts before then are not accepted"
        )
    if made >= q.closes_at:
        raise ForecastsError(f"question: {q.id!r} closed at {to_iso(q.closes_at)}; forecasts are no longer accepted")
    rationale = text(rationale, "rationale")
    row_cdf = None
    if q.is_numeric:
        from forecasts.numeric.cdf import check_cdf

        if cdf is None:
            raise ForecastsError(f"probability: {q.id!r} is a {q.type} question: give percentiles, e.g. --p10 --p90")
        check_cdf(cdf, q.scale)
        row_p, row_ps, row_cdf = None, None, json.dumps([round(float(x), 10) for x in cdf])
    elif cdf is not None or probability is None:
        raise ForecastsError(f"probability: {q.id!r} is a {q.type} question: give a probability, not percentiles")
    elif q.is_binary:
        # an aggregate of imported forecasts may be exactly 0 or 1 (everyone said so); people type (0, 1)
        row_p, row_ps = parse_probability(probability, typed=True, closed=kind == "aggregate"), None  # type: ignore[arg-type]
    else:
        probs = probability if isinstance(probability, dict) else parse_outcome_probabilities(q, str(probability), True)
        row_p, row_ps = None, json.dumps({o: float(probs[o]) for o in q.outcomes})
    with write_transaction(db):
        state = resolution_state(db, q.id)
        late = state is not None and not (backfill and kind != "person" and to_iso(made) < (state["known_at"] or ""))
        if late:
            raise ForecastsError(
                f"question: {q.id!r} is resolved ({state['outcome']}); forecasts are no longer accepted"
            )
        by = ensure_forecaster(db, by, kind)
        fid = insert_row(
            db,
            "forecasts",
            {
                "question_id": q.id,
                "forecaster_id": by,
                "made_at": to_iso(made),
                "recorded_at": to_iso(now),
                "probability": row_p,
                "probabilities": row_ps,
                "rationale": rationale or "",
                "evidence_ids": json.dumps(sorted(evidence_ids or [])),
                **({"cdf": row_cdf, "numeric_input": json.dumps(numeric_input or {}, sort_keys=True)}
                   if row_cdf is not None else {}),
            },
        )  # fmt: skip
    return {
        "id": fid,
        "question": q.id,
        "forecaster": by,
        "made_at": to_iso(made),
        "probability": row_p,
        "probabilities": json.loads(row_ps) if row_ps else None,
        **({"cdf": json.loads(row_cdf), "numeric_input": numeric_input or {}} if row_cdf is not None else {}),
    }


def list_forecasts(
    db: Database,
    question_id: str | None = None,
    by: str | None = None,
    tag: str | None = None,
    people: bool = False,
) -> list[dict[str, Any]]:
    """Forecast rows, oldest first, optionally for one question, forecaster, question tag, or people only."""
    return list(iter_forecasts(db, question_id, by, tag, people))


def iter_forecasts(
    db: Database,
    question_id: str | None = None,
    by: str | None = None,
    tag: str | None = None,
    people: bool = False,
) -> Iterator[dict[str, Any]]:
    """list_forecasts one row at a time (for output that streams); the question and forecaster are checked now."""
    where, params = [], []
    if tag:
        where.append("question_id IN (SELECT q.id FROM questions q, json_each(q.tags) t WHERE t.value = ?)")
        params.append(tag)
    if people:
        where.append("forecaster_id IN (SELECT id FROM forecasters WHERE kind = 'person')")
    if question_id:
        get_question(db, question_id)
        where.append("question_id = ?")
        params.append(question_id)
    if by:
        where.append("forecaster_id = ?")
        params.append(get_forecaster(db, by)["id"])  # names ignore case: --by Alice lists alice's
    sql = "SELECT * FROM forecasts" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY made_at, id"
    return _decoded(db, db.query(sql, params))


def _decoded(db: Database, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    numeric: dict[str, Question] = {}
    for row in rows:
        row["probabilities"] = json.loads(row["probabilities"]) if row["probabilities"] else None
        row["evidence_ids"] = json.loads(row["evidence_ids"])
        if row.get("cdf") is not None:
            _numeric_fields(db, row, numeric)
        yield row


def _numeric_fields(db: Database, row: dict[str, Any], questions: dict[str, Question]) -> None:
    """A CDF forecast row: parse cdf and numeric_input, add its median and 10-90% interval as text."""
    from forecasts.numeric.status import interval_text

    q = questions.get(row["question_id"]) or questions.setdefault(
        row["question_id"], get_question(db, row["question_id"])
    )
    from forecasts.numeric.cdf import summary

    row["cdf"] = json.loads(row["cdf"])
    row["numeric_input"] = json.loads(row["numeric_input"]) if row.get("numeric_input") else None
    s = summary(row["cdf"], q.scale)
    row["median"], row["interval"] = q.scale.show(s["median"]), interval_text(q, s)


def standing_forecasts(
    db: Database, question_id: str, at: datetime, known_by: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Each forecaster's latest forecast made by `at` (and recorded by `known_by`, if given)."""
    sql = "SELECT * FROM forecasts WHERE question_id = ? AND made_at <= ?"
    params = [question_id, to_iso(at)]
    if known_by is not None:
        sql += " AND recorded_at <= ?"
        params.append(to_iso(known_by))
    latest: dict[str, dict[str, Any]] = {}
    for row in db.query(sql + " ORDER BY made_at, id", params):
        row["probabilities"] = json.loads(row["probabilities"]) if row["probabilities"] else None
        if row.get("cdf") is not None:
            row["cdf"] = json.loads(row["cdf"])
        latest[row["forecaster_id"]] = row
    return latest
