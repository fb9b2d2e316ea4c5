"""PyMC posterior runs against the store: load questions and evidence, sample, store the run, record `bayes`.

The model itself (forecasts.bayes.model) is pure; this module feeds it from the database, writes
`posterior_runs` rows and reads them back (`latest_posterior`) for the report. No PyMC import at module level.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from forecasts.bayes.fit_store import check_int
from forecasts.errors import ForecastsError
from forecasts.probabilities import active_links
from forecasts.questions import Question, all_questions, get_question
from forecasts.resolution import resolution_state
from forecasts.store.db import Database, insert_row, write_transaction
from forecasts.timeutil import now_utc, to_iso

MAX_DRAWS = 100_000
BATCH = 32  # questions sampled together in one model (one compiled model per size bucket)


def open_questions(db: Database, at: datetime) -> list[Question]:
    """Questions open at `at` (opened, not closed, not resolved) with a prior: the ones `posterior --all` updates."""
    from forecasts.bayes.record import is_open

    return [q for q in all_questions(db) if q.has_prior and not q.is_numeric and is_open(db, q, at)]


def trust_factors(db: Database, at: datetime, evidence_ids: list[int]) -> tuple[float, dict[int, float]]:
    """The learned evidence-trust scale (forecasts.bayes.trust) as a factor per evidence id (per source if known)."""
    try:
        from forecasts.bayes.trust import evidence_sources, trust_scale
    except ImportError:
        raise ForecastsError("calibrated: the evidence-trust model (forecasts.bayes.trust) is not available") from None
    info = trust_scale(db, known_by=at)
    shared = info.get("scale") if isinstance(info, dict) else None
    if not isinstance(shared, int | float) or not math.isfinite(shared) or shared < 0:
        raise ForecastsError("calibrated: no usable evidence-trust scale yet (see `forecasts trust`)")
    per_source = info.get("per_source") or {}
    sources = evidence_sources(db, evidence_ids)
    return float(shared), {eid: float(per_source.get(sources.get(eid, ""), shared)) for eid in evidence_ids}


def run_posteriors(
    db: Database,
    question_ids: list[str] | None = None,
    at: datetime | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    calibrated: bool = False,
    progress: Callable[[float], None] | None = None,
) -> list[dict[str, Any]]:
    """Sample the PyMC posterior of the named questions (default: every open one) at `at` (default now), store
    each run in `posterior_runs` (one transaction). Runs are not `bayes` forecasts: that track is the fast path's."""
    from forecasts.bayes.model import posterior_batch

    check_int(draws, "draws", 10, MAX_DRAWS)
    check_int(tune, "tune", 0, MAX_DRAWS)
    check_int(chains, "chains", 1, 8)
    check_int(seed, "seed", 0, 2**32 - 1)
    at = at or now_utc()
    questions = [get_question(db, qid) for qid in question_ids] if question_ids else open_questions(db, at)
    for q in questions:
        if not q.has_prior:
            raise ForecastsError(f"question: {q.id!r} has no prior (imported without one); the model skips it")
        if (res := resolution_state(db, q.id)) is not None:
            raise ForecastsError(
                f"question: {q.id!r} is resolved ({res['outcome']}, known {res['known_at']}); "
                "the posterior is for open questions"
            )
    links = active_links(db, at, [q.id for q in questions])
    scale, trust = 1.0, None
    if calibrated:
        scale, trust = trust_factors(db, at, sorted({lk.evidence_id for ls in links.values() for lk in ls}))
    binary = [q for q in questions if q.is_binary]
    batches = [binary[i : i + BATCH] for i in range(0, len(binary), BATCH)]
    categorical = [q for q in questions if not q.is_binary]
    batches += [categorical[i : i + BATCH] for i in range(0, len(categorical), BATCH)]
    results: dict[str, dict[str, Any]] = {}
    total, done = max(len(batches), 1) * chains * (draws + tune), [0]

    def on_draw() -> None:
        done[0] += 1
        if progress is not None and done[0] % 50 == 0:
            progress(done[0] / total)

    for batch in batches:
        for row in posterior_batch(batch, links, at, draws, tune, chains, seed, trust, on_draw):
            results[row["question"]] = row
    if progress is not None:
        progress(1.0)
    ordered = [results[q.id] for q in questions]
    created = to_iso(now_utc())
    with write_transaction(db):
        for q, res in zip(questions, ordered, strict=True):
            res["trust"] = scale
            res["run_id"] = store_run(db, res, created)
            res["title"] = q.title
    return ordered


def store_run(db: Database, res: dict[str, Any], created_at: str) -> int:
    """Insert one posterior run row (inside the caller's transaction); returns its id."""
    extra = {"fast_path": res["fast_path"], "hazard": res.get("hazard")}
    return insert_row(
        db,
        "posterior_runs",
        {
            "question_id": res["question"], "as_of": res["as_of"], "created_at": created_at, "method": res["method"],
            "interval": res["interval"], "draws": res["draws"], "tune": res["tune"], "chains": res["chains"],
            "seed": res["seed"], "trust": res["trust"], "mean": json.dumps(res["mean"]), "lo": json.dumps(res["lo"]),
            "hi": json.dumps(res["hi"]), "contributions": json.dumps(res["contributions"]),
            "evidence_ids": json.dumps(res["evidence_ids"]), "extra": json.dumps(extra),
            "rhat_max": res["rhat_max"], "ess_min": res["ess_min"], "divergences": res["divergences"],
        },
    )  # fmt: skip


def _parse_run(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("mean", "lo", "hi", "contributions", "evidence_ids", "extra"):
        out[key] = json.loads(row[key])
    extra = out.pop("extra")
    out["fast_path"], out["hazard"] = extra.get("fast_path"), extra.get("hazard")
    out["question"] = out.pop("question_id")
    return out


def latest_posterior(db: Database, question_id: str, known_by: datetime | None = None) -> dict[str, Any] | None:
    """The newest stored run of a question created (and describing a moment) by `known_by`, or None."""
    sql = "SELECT * FROM posterior_runs WHERE question_id = ?"
    params: list[Any] = [question_id]
    if known_by is not None:
        sql += " AND created_at <= ? AND as_of <= ?"
        params += [to_iso(known_by), to_iso(known_by)]
    rows = list(db.query(sql + " ORDER BY created_at DESC, id DESC LIMIT 1", params))
    return _parse_run(rows[0]) if rows else None
