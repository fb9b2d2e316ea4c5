"""The model as a forecaster: record `bayes` forecasts when a question's posterior changes (no PyMC here).

Evidence added, retracted or imported records the fast-path posterior (the closed-form log-odds update, equal to
the PyMC model's mean where the prior and the likelihood ratios carry no uncertainty) inside the evidence write's
transaction; `record_model_forecasts` records time passing (deadline decay). `forecasts posterior` stores PyMC runs
(intervals, diagnostics) but does not record them as forecasts, so the `bayes` track comes from one estimator and
does not flip between two. A question that is not open (before opens_at, closed or resolved) is skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forecasts.forecasters import MODEL
from forecasts.forecasting import standing_forecasts, submit_forecast
from forecasts.probabilities import active_links, probability_from_links
from forecasts.questions import Question, all_questions, get_question
from forecasts.resolution import resolution_state
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import from_iso, now_utc, to_iso

MOVE_PP = 0.5  # record a time-passing update only when the mean moved by more than this (percentage points)
FAST_NOTE = "fast-path log-odds posterior (equals the PyMC model's mean where prior and ratios carry no uncertainty)"
P_FLOOR = 1e-6


def is_open(db: Database, q: Question, at: datetime) -> bool:
    """True when the question accepts forecasts at `at`: opened, not closed, not resolved."""
    return q.opens_at <= at < q.closes_at and resolution_state(db, q.id) is None


def forecast_value(q: Question, probs: dict[str, float]) -> float | dict[str, float]:
    """What submit_forecast takes: P(yes) for binary, {outcome: p} (kept inside (0, 1), renormalised) otherwise."""
    if q.is_binary:
        return min(max(probs["yes"], P_FLOOR), 1 - P_FLOOR)
    clipped = {o: min(max(probs[o], P_FLOOR), 1 - P_FLOOR) for o in q.outcomes}
    total = sum(clipped.values())
    return {o: p / total for o, p in clipped.items()}


def moved_pp(q: Question, a: dict[str, float], b: dict[str, float]) -> float:
    """Largest change of any outcome's probability between two forecasts, in percentage points."""
    return 100.0 * max(abs(a[o] - b[o]) for o in q.outcomes)


def record_evidence_forecasts(
    db: Database, evidence_by_question: dict[str, list[int]], at: datetime, action: str
) -> list[dict[str, Any]]:
    """After evidence was added/retracted/imported (rows written in this transaction): one `bayes` forecast per
    open question, the fast-path posterior at `at`, citing the evidence ids that caused it."""
    qids = sorted(evidence_by_question)
    if not qids:
        return []
    grouped = active_links(db, at, qids)
    out = []
    with write_transaction(db):
        for qid in qids:
            q = get_question(db, qid)
            if not q.has_prior or not is_open(db, q, at):  # no prior: the model does not forecast it
                continue
            if q.is_numeric:  # the local-level model (forecasts.numeric.record)
                from forecasts.numeric.record import record_numeric_model

                ids = sorted(set(evidence_by_question[qid]))
                out.append(record_numeric_model(db, q, at, ids, f"evidence {', '.join(f'#{i}' for i in ids)} {action}"))
                continue
            probs = probability_from_links(q, grouped.get(qid, []), at)
            ids = sorted(set(evidence_by_question[qid]))
            label = ", ".join(f"#{i}" for i in ids) if len(ids) <= 20 else f"#{ids[0]}…#{ids[-1]} ({len(ids)} items)"
            out.append(
                submit_forecast(
                    db, qid, forecast_value(q, probs), MODEL, rationale=f"evidence {label} {action}: {FAST_NOTE}",
                    made_at=at, kind="model", evidence_ids=ids,
                )
            )  # fmt: skip
    return out


def record_model_forecasts(
    db: Database, at: datetime | None = None, threshold_pp: float = MOVE_PP
) -> list[dict[str, Any]]:
    """Time passing: for every open question, record the fast-path posterior as a `bayes` forecast when it moved
    by more than `threshold_pp` since the last `bayes` forecast (fast path then vs now), or when there is none."""
    at = at or now_utc()
    links = active_links(db, at)
    out = []
    with write_transaction(db):
        for q in all_questions(db):
            if not q.has_prior or not is_open(db, q, at):  # no prior: the model does not forecast it
                continue
            if q.is_numeric:  # time alone does not move the local-level forecast: record it once
                from forecasts.numeric.record import has_model_forecast, record_numeric_model

                if not has_model_forecast(db, q.id):
                    out.append(record_numeric_model(db, q, at, [], f"first record at {to_iso(at)}"))
                continue
            qlinks = links.get(q.id, [])
            now_probs = probability_from_links(q, qlinks, at)
            last = standing_forecasts(db, q.id, at).get(MODEL)
            if last is not None:
                then = from_iso(last["made_at"])
                then_links = active_links(db, from_iso(last["recorded_at"]), [q.id]).get(q.id, [])
                if moved_pp(q, now_probs, probability_from_links(q, then_links, then)) <= threshold_pp:
                    continue
            ids = sorted({lk.evidence_id for lk in qlinks if lk.observed_at <= at})
            out.append(
                submit_forecast(
                    db, q.id, forecast_value(q, now_probs), MODEL, made_at=at, kind="model", evidence_ids=ids,
                    rationale=f"time passing to {to_iso(at)}: {FAST_NOTE}",
                )
            )  # fmt: skip
    return out
