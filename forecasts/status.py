"""The state of every question at a glance: current probability, prior, evidence count, resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forecasts.probabilities import active_links, probability_from_links
from forecasts.questions import Question, all_questions
from forecasts.resolution import all_resolutions
from forecasts.store.db import Database
from forecasts.timeutil import now_utc, to_iso


def lifecycle_state(q: Question, resolution: dict | None, at: datetime) -> str:
    """upcoming → open → closed (awaiting resolution) → resolved."""
    if resolution:
        return "resolved"
    if at >= q.closes_at:
        return "closed"
    return "open" if at >= q.opens_at else "upcoming"


def settled(q: Question, resolution: dict | None, probs: dict[str, float]) -> dict[str, float]:
    """A resolved question's probabilities are certain (1 for its outcome); ambiguous/annulled ones keep the
    model's, which nothing scores."""
    outcome = resolution["outcome"] if resolution else None
    if resolution and resolution.get("value") is not None:  # resolved to a probability r: P(yes) = r
        return {"yes": float(resolution["value"]), "no": 1.0 - float(resolution["value"])}
    if outcome in q.outcomes:
        return {o: float(o == outcome) for o in q.outcomes}
    return probs


def question_status(db: Database, at: datetime | None = None, tag: str | None = None) -> list[dict[str, Any]]:
    """One row per question: fast-path probabilities now, the prior, #evidence, open/closed/resolved."""
    at = at or now_utc()
    questions = all_questions(db, tag)
    links = active_links(db, at)
    resolved = all_resolutions(db, at)
    rows = []
    for q in questions:
        qlinks = links.get(q.id, [])
        res = resolved.get(q.id)
        state = lifecycle_state(q, res, at)
        if q.is_numeric:
            rows.append(_numeric_row(db, q, res, state, at, qlinks))
            continue
        rows.append(
            {
                "id": q.id,
                "title": q.title,
                "type": q.type,
                "state": state,
                "outcome": res["outcome"] if res else None,
                "prior": q.prior_probabilities(),
                "probabilities": settled(q, res, probability_from_links(q, qlinks, at)),
                "evidence_count": len({lk.evidence_id for lk in qlinks}),
                "closes_at": to_iso(q.closes_at),
                "tags": list(q.tags),
                "has_prior": q.has_prior,  # False: imported without a prior; the model does not forecast it
                "external_id": q.external_id,  # the id at the data's source (imports), for joins
                "source": q.source,
            }
        )
    return rows


def _numeric_row(db: Database, q: Question, res: dict | None, state: str, at: datetime, qlinks: list) -> dict:
    """A numeric or date question's status row: no outcome probabilities; the median and interval instead."""
    from forecasts.numeric.status import numeric_state

    return {
        "id": q.id, "title": q.title, "type": q.type, "state": state, "outcome": res["outcome"] if res else None,
        "prior": {}, "probabilities": {}, "numeric": numeric_state(db, q, at),
        "evidence_count": len({lk.evidence_id for lk in qlinks}), "closes_at": to_iso(q.closes_at),
        "tags": list(q.tags), "has_prior": q.has_prior, "external_id": q.external_id, "source": q.source,
    }  # fmt: skip


def question_detail(
    db: Database, question_id: str, at: datetime | None = None, viewer: str | None = None
) -> dict[str, Any]:
    """Everything about one question: definition, prior, probability now, evidence, forecasts, resolution.

    With `viewer`, the forecasts are those that viewer may see (hide-crowd; `forecasts_hidden` counts the rest)."""
    from forecasts import versions
    from forecasts.evidence import list_evidence
    from forecasts.forecasting import list_forecasts
    from forecasts.questions import get_question
    from forecasts.resolution import resolution_history, resolution_state
    from forecasts.visibility import visible

    at = at or now_utc()
    q = get_question(db, question_id)
    links = active_links(db, at, [q.id]).get(q.id, [])
    res = resolution_state(db, q.id, at)
    state = lifecycle_state(q, res, at)
    if q.is_numeric:
        from forecasts.numeric.status import numeric_state

        numeric = numeric_state(db, q, at)
        prior, probs = {}, {}
    else:
        numeric, prior, probs = None, q.prior_probabilities(), settled(q, res, probability_from_links(q, links, at))
    shown, withheld = list_forecasts(db, q.id), 0
    if viewer is not None:
        shown, withheld = visible(db, shown, viewer)
    return {
        "question": q.to_dict(),
        "state": state,
        "prior": prior,
        "probabilities": probs,
        "numeric": numeric,
        "resolution": res,
        "resolution_history": resolution_history(db, q.id, known_by=at),
        "versions": versions.history(db, q.id, known_by=at),
        "evidence": list_evidence(db, q.id),
        "forecasts": shown,
        "forecasts_hidden": withheld,
    }


def latest_per_forecaster(forecasts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each forecaster's latest forecast (rows oldest first, as list_forecasts gives them), oldest first: what a
    reader of one question wants before the full history (`forecast-list --question`)."""
    latest = {f["forecaster_id"]: f for f in forecasts}
    return sorted(latest.values(), key=lambda f: (f["made_at"], f["id"]))
