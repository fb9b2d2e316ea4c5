"""Scenarios: named combinations of question outcomes with signposts, and their probabilities from the joint model.

Files live in `questions/**/scenarios/`: one scenario a `*.toml` file, plus `dependencies.toml` with the elicited
inputs of the joint model (each question's loading direction on a shared "settlement" factor, optional fixed
loadings, anchor marginals and conditional probabilities). Maths lives in forecasts.bayes.joint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from forecasts.errors import ForecastsError
from forecasts.questions import Question, load_questions
from forecasts.scenario_files import Dependencies, Scenario, load_dependencies, load_scenarios, scenario_files
from forecasts.store.db import Database

FIT_SETTINGS = {"draws": 300, "tune": 300, "chains": 2, "keep": 100, "version": 2}  # 2: numpy Metropolis
DRAWS = 20_000
SIGNPOST_DAYS = 7
MIN_RESOLVED = 1e-4  # floor on a resolved outcome's pre-resolution probability
STEADY = 0.005  # |change| below half a percentage point counts as no movement

_FIT_MEMO: dict[str, dict[str, Any]] = {}  # in-process cache of fits by dependency hash


# --- the joint model ------------------------------------------------------------------------------


def _mask(q: Question, outcomes: tuple[str, ...]) -> np.ndarray:
    return np.array([o in outcomes for o in q.outcomes])


def _model_questions(deps: Dependencies, scenarios: list[Scenario]) -> list[str]:
    ids = set(deps.signs) | {c.question for s in scenarios for c in s.conditions}
    return sorted(ids)


def _anchor(q: Question, deps: Dependencies) -> list[float]:
    if q.id in deps.anchors:
        return deps.anchors[q.id]
    prior = q.prior_probabilities()
    return [prior[o] for o in q.outcomes]


def dependency_hash(deps: Dependencies, bank: dict[str, Question], order: list[str]) -> str:
    """Cache key of a fit: the elicited inputs, the anchor marginals they were elicited against, fit settings."""
    payload = {
        "order": order,
        "signs": deps.signs,
        "fixed": deps.fixed,
        "anchors": {q: _anchor(bank[q], deps) for q in order},
        "conditionals": [c.__dict__ for c in deps.conditionals],
        "fit": FIT_SETTINGS,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()[:20]


def _fit(deps: Dependencies, bank: dict[str, Question], order: list[str], seed: int) -> dict[str, Any]:
    """Fit loadings (numpy Metropolis) for the questions in `order`; loadings keyed by question id."""
    from forecasts.bayes.joint import build_problem, fit_loadings

    index = {q: i for i, q in enumerate(order)}
    anchors = [np.array(_anchor(bank[q], deps)) for q in order]
    conds = [
        (
            index[c.question],
            _mask(bank[c.question], c.outcomes),
            index[c.given],
            _mask(bank[c.given], c.given_outcomes),
            c.probability,
            c.sd,
        )  # fmt: skip
        for c in deps.conditionals
    ]
    signs = [deps.signs.get(q, 1.0) for q in order]
    fixed = [deps.fixed.get(q, np.nan if q in deps.signs else 0.0) for q in order]
    settings = {k: v for k, v in FIT_SETTINGS.items() if k != "version"}
    fit = fit_loadings(build_problem(anchors, conds, signs, fixed), seed=seed, **settings)
    return {
        "loadings": {q: float(v) for q, v in zip(order, fit["mean"], strict=True)},
        "loading_draws": [{q: float(v) for q, v in zip(order, row, strict=True)} for row in fit["draws"]],
        "diagnostics": {
            "rhat": {order[i]: v for i, v in fit["rhat"].items()},
            "ess": {order[i]: v for i, v in fit["ess"].items()},
        },
    }


def cached_fit(db: Database, deps: Dependencies, bank: dict[str, Question], order: list[str]) -> dict:
    """The fitted loadings for these inputs: from scenario_runs, else this process, else a new fit.

    `fresh` says the database holds no run with them yet (the caller records one, which is the cache).
    """
    key = dependency_hash(deps, bank, order)
    row = db.conn.execute(
        "SELECT loadings, loading_draws, diagnostics FROM scenario_runs WHERE dependency_hash = ? ORDER BY id LIMIT 1",
        [key],
    ).fetchone()
    if row:
        fit = {"loadings": json.loads(row[0]), "loading_draws": json.loads(row[1]), "diagnostics": json.loads(row[2])}
    else:
        fit = _FIT_MEMO.get(key) or _fit(deps, bank, order, seed=0)
    _FIT_MEMO[key] = fit
    return {**fit, "hash": key, "fresh": row is None}


@dataclass
class _Context:
    scenarios: list[Scenario]
    bank: dict[str, Question]
    order: list[str]
    fit: dict[str, Any]
    deps: Dependencies = field(default_factory=lambda: Dependencies())


def scenarios_defined(db: Database, root: Path, known_by: datetime) -> bool:
    """Whether any scenario file was known by `known_by` (its synced versions; the files, for a database that
    never synced one)."""
    from forecasts.scenario_versions import is_dependency_file, texts_as_of

    texts = texts_as_of(db, known_by)
    if texts is None:
        return root.exists() and bool(scenario_files(root))
    return any(not is_dependency_file(path) for path in texts)


def _context(db: Database, root: Path, known_by: datetime | None = None) -> _Context:
    """Scenarios, dependencies and questions as known by `known_by` (the versions synced by then), so a report as
    of a past time is unchanged by later edits; a database that never synced scenario files reads the files."""
    from forecasts.questions import all_questions
    from forecasts.scenario_versions import texts_as_of
    from forecasts.timeutil import now_utc

    at = known_by or now_utc()
    texts = texts_as_of(db, at)
    questions = load_questions(root) if texts is None else all_questions(db, known_by=at)
    bank = {q.id: q for q in questions}
    scenarios = load_scenarios(root, questions, texts)
    deps = load_dependencies(root, questions, texts)
    order = _model_questions(deps, scenarios)
    known = {r[0] for r in db.conn.execute("SELECT id FROM questions")}
    missing = [q for q in order if q not in known]
    if missing:
        raise ForecastsError(f"questions: {missing[0]} is not in the database; run `forecasts sync` first")
    fit = cached_fit(db, deps, bank, order) if scenarios else {}
    return _Context(scenarios, bank, order, fit, deps)


def _state(
    db: Database, ctx: _Context, known_by: datetime, now: dict[str, dict[str, float]]
) -> dict[str, dict[str, Any]]:
    """Each model question's marginal at known_by, and its outcome if resolved (pre-resolution marginal then)."""
    from forecasts.probabilities import question_probability
    from forecasts.resolution import UNSCORED, all_resolutions
    from forecasts.timeutil import from_iso

    resolutions = all_resolutions(db, known_by)
    out = {}
    for qid in ctx.order:
        q = ctx.bank[qid]
        probs = now[qid]
        res = resolutions.get(qid)
        outcome = res["outcome"] if res and res["outcome"] not in UNSCORED and res.get("value") is None else None
        if outcome is not None:
            known_at = from_iso(res["known_at"]) if res["known_at"] else known_by
            before = min(known_at, known_by, q.closes_at) - timedelta(seconds=1)
            probs = question_probability(db, q, max(before, q.opens_at), known_by)
            if probs[outcome] < MIN_RESOLVED:  # an outcome deemed impossible happened: keep it conditionable
                probs = {o: (p + MIN_RESOLVED * (o == outcome)) / (1 + MIN_RESOLVED) for o, p in probs.items()}
        out[qid] = {"probabilities": probs, "outcome": outcome}
    return out


def _evidence_by_tag(db: Database, since: datetime, known_by: datetime) -> list[dict[str, Any]]:
    from forecasts.timeutil import to_iso

    sql = """
        SELECT e.id, e.summary, e.observed_at, e.tags FROM evidence e
        WHERE e.observed_at > :since AND e.observed_at <= :known AND e.recorded_at <= :known
          AND NOT EXISTS (SELECT 1 FROM evidence_retractions r WHERE r.evidence_id = e.id AND r.recorded_at <= :known)
        ORDER BY e.observed_at, e.id
    """
    rows = db.conn.execute(sql, {"since": to_iso(since), "known": to_iso(known_by)}).fetchall()
    return [{"id": r[0], "summary": r[1], "observed_at": r[2], "tags": json.loads(r[3])} for r in rows]


def _signal(direction: str, moved: int) -> str:
    if moved == 0:
        return "steady"
    return "toward" if (moved > 0) == (direction == "for") else "away"


def _signposts(
    s: Scenario, now: dict[str, dict], before: dict[str, dict], evidence: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each signpost with its movement over the last week and whether that points toward the scenario."""
    out = []
    for sp in s.signposts:
        row: dict[str, Any] = {"direction": sp.direction, "note": sp.note}
        if sp.question:
            p_now = sum(now[sp.question][o] for o in sp.outcomes)
            p_then = sum(before[sp.question][o] for o in sp.outcomes)
            change = p_now - p_then
            moved = 0 if abs(change) < STEADY else (1 if change > 0 else -1)
            movement = {0: "flat", 1: "up", -1: "down"}[moved]
            row |= {"question": sp.question, "outcomes": list(sp.outcomes), "probability": p_now, "change": change}
        else:
            items = [e for e in evidence if sp.tag in e["tags"]]
            moved = 1 if items else 0
            movement = f"{len(items)} new" if items else "none new"
            row |= {"tag": sp.tag, "new_evidence": [{"id": e["id"], "summary": e["summary"]} for e in items]}
        row |= {"movement": movement, "signal": _signal(sp.direction, moved)}
        out.append(row)
    return out


def _condition_probability(state: dict[str, Any], outcomes: tuple[str, ...]) -> float:
    """P(the question's outcome is one of `outcomes`): 1 or 0 once resolved, its current probability before."""
    if state["outcome"] is not None:
        return float(state["outcome"] in outcomes)
    return float(sum(state["probabilities"][o] for o in outcomes))


def _evaluate(
    db: Database, ctx: _Context, known_by: datetime, seed: int, probs_cache: dict | None = None
) -> list[dict[str, Any]]:
    from forecasts.bayes.joint import independent_probability, joint_shares
    from forecasts.status import question_status

    cache = probs_cache if probs_cache is not None else {}

    def probabilities_at(at: datetime) -> dict[str, dict[str, float]]:
        if at not in cache:
            cache[at] = {r["id"]: r["probabilities"] for r in question_status(db, at=at)}
        return cache[at]

    now = probabilities_at(known_by)
    state = _state(db, ctx, known_by, now)
    index = {q: i for i, q in enumerate(ctx.order)}
    marginals = [np.array([state[q]["probabilities"][o] for o in ctx.bank[q].outcomes]) for q in ctx.order]
    resolved = {index[q]: ctx.bank[q].outcomes.index(st["outcome"]) for q, st in state.items() if st["outcome"]}
    conds = [
        [(index[c.question], _mask(ctx.bank[c.question], c.outcomes)) for c in s.conditions] for s in ctx.scenarios
    ]
    draws = np.array([[d[q] for q in ctx.order] for d in ctx.fit["loading_draws"]])
    shares = joint_shares(marginals, draws, conds, resolved, n=DRAWS, seed=seed)
    fixed_marginals = [
        np.eye(len(m))[resolved[i]] if i in resolved else m for i, m in enumerate(marginals)
    ]  # independent view: resolved questions are certain
    before = probabilities_at(known_by - timedelta(days=SIGNPOST_DAYS))
    evidence = _evidence_by_tag(db, known_by - timedelta(days=SIGNPOST_DAYS), known_by)
    results = []
    for j, s in enumerate(ctx.scenarios):
        interval = shares["interval"]
        results.append(
            {
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "exclusive_group": s.exclusive_group,
                "probability": float(shares["probability"][j]),
                "exact_probability": float(shares["exact"][j]),
                "independent_probability": independent_probability(fixed_marginals, conds[j]),
                "interval": [float(interval[j, 0]), float(interval[j, 1])] if interval is not None else None,
                "conditions": [
                    {
                        "question": c.question,
                        "outcomes": list(c.outcomes),
                        "probability": _condition_probability(state[c.question], c.outcomes),
                        "resolved": state[c.question]["outcome"],
                    }
                    for c in s.conditions
                ],
                "signposts": _signposts(s, now, before, evidence),
            }
        )
    return results


def scenario_probabilities(
    db: Database, known_by: datetime, root: Path = Path("questions"), seed: int = 0, record: bool = False
) -> list[dict[str, Any]]:
    """Every scenario's joint-model probability as of known_by (with the independent product, interval, signposts).

    The loading fit is cached by the dependency file's hash (the sampler runs only when it changed); a fresh fit, or
    `record=True`, appends a row to scenario_runs.
    """
    ctx = _context(db, root, known_by)
    if not ctx.scenarios:
        return []
    results = _evaluate(db, ctx, known_by, seed)
    if ctx.fit["fresh"] or record:
        _record(db, ctx, known_by, seed, results)
    return results


def scenario_trend(
    db: Database, weeks: list[datetime], root: Path = Path("questions"), seed: int = 0
) -> list[dict[str, Any]]:
    """scenario_probabilities at each as-of time (same seed: common random numbers make the trend smooth), with the
    scenario definitions known at the latest of them (a trend of today's scenarios over the past weeks)."""
    from forecasts.timeutil import to_iso

    ctx = _context(db, root, max(weeks) if weeks else None)
    if not ctx.scenarios:
        return [{"known_by": to_iso(w), "scenarios": []} for w in weeks]
    cache: dict = {}
    out = [{"known_by": to_iso(w), "scenarios": _evaluate(db, ctx, w, seed, cache)} for w in weeks]
    if ctx.fit["fresh"] and weeks:
        _record(db, ctx, weeks[-1], seed, out[-1]["scenarios"])
    return out


def _record(db: Database, ctx: _Context, known_by: datetime, seed: int, results: list[dict]) -> int:
    from forecasts.store.db import insert_row, write_transaction
    from forecasts.timeutil import now_utc, to_iso

    row = {
        "recorded_at": to_iso(now_utc()),
        "known_by": to_iso(known_by),
        "dependency_hash": ctx.fit["hash"],
        "seed": seed,
        "loadings": json.dumps(ctx.fit["loadings"], sort_keys=True),
        "loading_draws": json.dumps(ctx.fit["loading_draws"]),
        "diagnostics": json.dumps(ctx.fit["diagnostics"], sort_keys=True),
        "scenarios": json.dumps(
            [{k: r[k] for k in ("id", "probability", "independent_probability", "interval")} for r in results]
        ),
    }
    with write_transaction(db):
        return insert_row(db, "scenario_runs", row)


def loadings_report(db: Database, root: Path = Path("questions")) -> dict[str, Any]:
    """The fitted loadings with diagnostics, and each elicited conditional beside the one the fit implies."""
    from forecasts.bayes.joint import build_problem, implied_conditionals

    ctx = _context(db, root)
    deps = ctx.deps
    ctx.fit = ctx.fit or cached_fit(db, deps, ctx.bank, ctx.order)
    index = {q: i for i, q in enumerate(ctx.order)}
    anchors = [np.array(_anchor(ctx.bank[q], deps)) for q in ctx.order]
    conds = [
        (
            index[c.question],
            _mask(ctx.bank[c.question], c.outcomes),
            index[c.given],
            _mask(ctx.bank[c.given], c.given_outcomes),
            c.probability,
            c.sd,
        )  # fmt: skip
        for c in deps.conditionals
    ]
    implied = []
    if conds:
        problem = build_problem(anchors, conds, [1.0] * len(ctx.order), [0.0] * len(ctx.order))
        implied = implied_conditionals(problem, np.array([ctx.fit["loadings"][q] for q in ctx.order])).tolist()
    return {
        "loadings": ctx.fit["loadings"],
        "diagnostics": ctx.fit["diagnostics"],
        "conditionals": [{**c.__dict__, "implied": p} for c, p in zip(deps.conditionals, implied, strict=True)],
    }
