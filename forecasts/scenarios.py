"""Scenarios: named combinations of question outcomes with signposts, and their probabilities from the joint model.

Files live in `questions/**/scenarios/`: one scenario a `*.toml` file, plus `dependencies.toml` with the elicited
inputs of the joint model (each question's loading direction on a shared "settlement" factor, optional fixed
loadings, anchor marginals and conditional probabilities). Maths lives in forecasts.bayes.joint.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from forecasts.db import Database
from forecasts.errors import ForecastsError
from forecasts.questions import ID_PATTERN, Question, load_questions
from forecasts.scenario_versions import DEPENDENCY_FILE, scenario_paths

DIRECTIONS = ("for", "against")
SCENARIO_FIELDS = {"id", "title", "description", "exclusive_group", "conditions", "signposts"}
DEPENDENCY_FIELDS = {"description", "factor", "questions", "anchors", "conditionals"}
FIT_SETTINGS = {"draws": 300, "tune": 300, "chains": 2, "keep": 100, "version": 2}  # 2: numpy Metropolis
DRAWS = 20_000
SIGNPOST_DAYS = 7
MIN_RESOLVED = 1e-4  # floor on a resolved outcome's pre-resolution probability
STEADY = 0.005  # |change| below half a percentage point counts as no movement

_FIT_MEMO: dict[str, dict[str, Any]] = {}  # in-process cache of fits by dependency hash


@dataclass(frozen=True)
class Condition:
    """The scenario needs `question` to resolve to one of `outcomes`."""

    question: str
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Signpost:
    """A question (outcomes whose probability rising) or evidence tag (new items) that favours or disfavours."""

    direction: str
    note: str
    question: str | None = None
    outcomes: tuple[str, ...] = ()
    tag: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    description: str
    conditions: tuple[Condition, ...]
    signposts: tuple[Signpost, ...] = ()
    exclusive_group: str | None = None
    source_file: str = ""


@dataclass(frozen=True)
class Conditional:
    """Elicited P(question in outcomes | given in given_outcomes), with its uncertainty and reasoning."""

    question: str
    outcomes: tuple[str, ...]
    given: str
    given_outcomes: tuple[str, ...]
    probability: float
    sd: float
    reasoning: str


@dataclass(frozen=True)
class Dependencies:
    """Inputs of the joint model: loading signs, fixed loadings, anchor marginals, elicited conditionals."""

    signs: dict[str, float] = field(default_factory=dict)
    fixed: dict[str, float] = field(default_factory=dict)
    anchors: dict[str, list[float]] = field(default_factory=dict)
    conditionals: tuple[Conditional, ...] = ()
    factor: str = "settlement"
    source_file: str = ""


class _Errs:
    def __init__(self, path: str) -> None:
        self.path, self.lines = path, []

    def add(self, fld: str, problem: str) -> None:
        self.lines.append(f"{self.path}: {fld}: {problem}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ForecastsError("\n".join(self.lines))


def _parse_toml(text: str, shown: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ForecastsError(f"{shown}: toml: {exc}") from None


def _outcomes(raw: Any, q: Question | None, fld: str, errs: _Errs) -> tuple[str, ...]:
    if not (isinstance(raw, list) and raw and all(isinstance(o, str) for o in raw)):
        errs.add(fld, "must be a non-empty list of outcome names")
        return ()
    if q is not None:
        bad = [o for o in raw if o not in q.outcomes]
        if bad:
            errs.add(fld, f"{bad[0]!r} is not an outcome of {q.id}; allowed: {', '.join(q.outcomes)}")
            return ()
    return tuple(dict.fromkeys(raw))


def _question(raw: Any, questions: dict[str, Question], fld: str, errs: _Errs) -> Question | None:
    if raw not in questions:
        known = ", ".join(sorted(questions)) or "none (no question files)"
        errs.add(fld, f"unknown question {raw!r}; known: {known}")
        return None
    return questions[raw]


def parse_scenario(data: dict, path: str, questions: dict[str, Question]) -> Scenario:
    """Validate one scenario document against the question bank; all problems as `file: field: problem`."""
    errs = _Errs(path)
    for key in sorted(set(data) - SCENARIO_FIELDS):
        errs.add(key, f"unknown field; allowed: {', '.join(sorted(SCENARIO_FIELDS))}")
    sid = data.get("id", Path(path).stem)
    if not (isinstance(sid, str) and ID_PATTERN.match(sid)):
        errs.add("id", f"{sid!r} must be a slug: lowercase letters, digits and '-'")
    title = data.get("title")
    if not (isinstance(title, str) and title.strip()):
        errs.add("title", "is required and must not be empty")
    description = data.get("description", "")
    if not isinstance(description, str):
        errs.add("description", "must be a string")
    group = data.get("exclusive_group")
    if group is not None and not (isinstance(group, str) and group.strip()):
        errs.add("exclusive_group", "must be a non-empty string naming the group")
    conditions: list[Condition] = []
    raw_conditions = data.get("conditions")
    if not (isinstance(raw_conditions, list) and raw_conditions):
        errs.add("conditions", "is required: a list of {question, outcomes} tables (all must hold)")
        raw_conditions = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_conditions):
        fld = f"conditions[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"question", "outcomes"}:
            errs.add(fld, "must be a table with exactly the fields question, outcomes")
            continue
        q = _question(raw.get("question"), questions, f"{fld}.question", errs)
        outs = _outcomes(raw.get("outcomes"), q, f"{fld}.outcomes", errs)
        if q is None or not outs:
            continue
        if q.id in seen:
            errs.add(f"{fld}.question", f"{q.id} appears twice; list all its allowed outcomes in one condition")
        seen.add(q.id)
        conditions.append(Condition(q.id, outs))
    signposts: list[Signpost] = []
    raw_signposts = data.get("signposts", [])
    if not isinstance(raw_signposts, list):
        errs.add("signposts", "must be a list of tables")
        raw_signposts = []
    for i, raw in enumerate(raw_signposts):
        fld = f"signposts[{i}]"
        if not isinstance(raw, dict):
            errs.add(fld, "must be a table")
            continue
        extra = set(raw) - {"question", "outcomes", "tag", "direction", "note"}
        if extra:
            errs.add(f"{fld}.{sorted(extra)[0]}", "unknown field; allowed: question, outcomes, tag, direction, note")
        direction = raw.get("direction")
        if direction not in DIRECTIONS:
            errs.add(f"{fld}.direction", f"{direction!r} is not one of: {', '.join(DIRECTIONS)}")
        note = raw.get("note", "")
        if not isinstance(note, str):
            errs.add(f"{fld}.note", "must be a string")
            note = ""
        if ("question" in raw) == ("tag" in raw):
            errs.add(fld, "give exactly one of question (a question id) or tag (an evidence tag)")
            continue
        if "tag" in raw:
            if not (isinstance(raw["tag"], str) and raw["tag"].strip()):
                errs.add(f"{fld}.tag", "must be a non-empty string")
                continue
            signposts.append(Signpost(str(direction), note.strip(), tag=raw["tag"].strip()))
            continue
        q = _question(raw.get("question"), questions, f"{fld}.question", errs)
        if q is None:
            continue
        if "outcomes" in raw:
            outs = _outcomes(raw["outcomes"], q, f"{fld}.outcomes", errs)
        elif q.is_binary:
            outs = ("yes",)
        else:
            errs.add(f"{fld}.outcomes", f"{q.id} is {q.type}: name the outcomes whose rise is the signal")
            outs = ()
        if outs:
            signposts.append(Signpost(str(direction), note.strip(), question=q.id, outcomes=outs))
    errs.raise_if_any()
    return Scenario(
        id=sid, title=title.strip(), description=description.strip(), conditions=tuple(conditions),
        signposts=tuple(signposts), exclusive_group=group.strip() if group else None, source_file=path,
    )  # fmt: skip


def disjoint(a: Scenario, b: Scenario) -> bool:
    """True when no combination of outcomes satisfies both: some shared question has disjoint outcome sets."""
    mine = {c.question: set(c.outcomes) for c in a.conditions}
    return any(c.question in mine and not (mine[c.question] & set(c.outcomes)) for c in b.conditions)


def scenario_files(root: Path) -> list[Path]:
    """Every scenario file under root (`**/scenarios/*.toml` except the dependency file), in a stable order."""
    if not root.exists():
        raise ForecastsError(f"questions: directory {root} does not exist")
    return [p for p in scenario_paths(root) if p.name != DEPENDENCY_FILE]


def _texts(root: Path, texts: dict[str, str] | None) -> list[tuple[str, str, bool]]:
    """(shown path, text, is the dependency file) of each scenario and dependency file: the given versions, else
    the files under root, in path order."""
    from forecasts.scenario_versions import file_texts, is_dependency_file

    if texts is None:
        if not root.exists():
            raise ForecastsError(f"questions: directory {root} does not exist")
        texts = file_texts(root)
    prefix = f"{root.name}/" if root.name else ""  # names as error messages show them: questions/…/x.toml
    ordered = sorted(texts, key=lambda p: Path(p).parts)
    return [(prefix + path, texts[path], is_dependency_file(path)) for path in ordered]


def load_scenarios(
    root: Path, questions: list[Question] | None = None, texts: dict[str, str] | None = None
) -> list[Scenario]:
    """Load and validate every scenario (from `texts`, {path under root: text}, when given: a version known at
    some time); check ids are unique and exclusive groups are really disjoint."""
    bank = {q.id: q for q in (questions if questions is not None else load_questions(root))}
    problems: list[str] = []
    scenarios: list[Scenario] = []
    for shown, text, dependency in _texts(root, texts):
        if dependency:
            continue
        try:
            scenarios.append(parse_scenario(_parse_toml(text, shown), shown, bank))
        except ForecastsError as exc:
            problems.append(str(exc))
    seen: dict[str, str] = {}
    for s in scenarios:
        if s.id in seen:
            problems.append(f"{s.source_file}: id: {s.id!r} is also used by {seen[s.id]}")
        seen[s.id] = s.source_file
    for i, a in enumerate(scenarios):
        for b in scenarios[i + 1 :]:
            if a.exclusive_group and a.exclusive_group == b.exclusive_group and not disjoint(a, b):
                problems.append(
                    f"{b.source_file}: exclusive_group: {b.id!r} and {a.id!r} are both in {a.exclusive_group!r} "
                    "but can hold together; give them a shared question with non-overlapping outcomes"
                )
    if problems:
        raise ForecastsError("\n".join(problems))
    return scenarios


def _probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1


def parse_dependencies(data: dict, path: str, questions: dict[str, Question]) -> Dependencies:
    """Validate the joint-model inputs against the question bank."""
    errs = _Errs(path)
    for key in sorted(set(data) - DEPENDENCY_FIELDS):
        errs.add(key, f"unknown field; allowed: {', '.join(sorted(DEPENDENCY_FIELDS))}")
    factor = data.get("factor", {})
    name = factor.get("name", "settlement") if isinstance(factor, dict) else "settlement"
    signs: dict[str, float] = {}
    fixed: dict[str, float] = {}
    raw_questions = data.get("questions", [])
    if not isinstance(raw_questions, list):
        errs.add("questions", "must be a list of {id, direction, loading?, reasoning} tables")
        raw_questions = []
    for i, raw in enumerate(raw_questions):
        fld = f"questions[{i}]"
        if not isinstance(raw, dict):
            errs.add(fld, "must be a table")
            continue
        extra = set(raw) - {"id", "direction", "loading", "reasoning"}
        if extra:
            errs.add(f"{fld}.{sorted(extra)[0]}", "unknown field; allowed: id, direction, loading, reasoning")
        q = _question(raw.get("id"), questions, f"{fld}.id", errs)
        direction = raw.get("direction")
        if direction not in DIRECTIONS:
            errs.add(f"{fld}.direction", f"{direction!r} is not one of: {', '.join(DIRECTIONS)}")
        if q is None or direction not in DIRECTIONS:
            continue
        if q.id in signs:
            errs.add(f"{fld}.id", f"{q.id} is listed twice")
        signs[q.id] = 1.0 if direction == "for" else -1.0
        if "loading" in raw:
            lo = raw["loading"]
            if not (isinstance(lo, int | float) and not isinstance(lo, bool) and 0 <= lo <= 0.95):
                errs.add(f"{fld}.loading", f"must be a number from 0 to 0.95 (its strength), got {lo!r}")
            else:
                fixed[q.id] = signs[q.id] * float(lo)
    anchors: dict[str, list[float]] = {}
    raw_anchors = data.get("anchors", {})
    if not isinstance(raw_anchors, dict):
        errs.add("anchors", "must be a table of question = P(yes) or [one probability per outcome]")
        raw_anchors = {}
    for qid, value in raw_anchors.items():
        q = _question(qid, questions, f"anchors.{qid}", errs)
        if q is None:
            continue
        if q.is_binary and _probability(value):
            anchors[qid] = [float(value), 1.0 - float(value)]
        elif (
            isinstance(value, list) and len(value) == len(q.outcomes) and all(_probability(v) for v in value)
            and abs(sum(value) - 1) < 1e-6
        ):  # fmt: skip
            anchors[qid] = [float(v) for v in value]
        else:
            want = "P(yes) strictly between 0 and 1" if q.is_binary else f"{len(q.outcomes)} probabilities summing to 1"
            errs.add(f"anchors.{qid}", f"must be {want}, got {value!r}")
    conditionals: list[Conditional] = []
    raw_conds = data.get("conditionals", [])
    if not isinstance(raw_conds, list):
        errs.add("conditionals", "must be a list of tables")
        raw_conds = []
    allowed = {"question", "outcomes", "given", "given_outcomes", "probability", "sd", "reasoning"}
    for i, raw in enumerate(raw_conds):
        fld = f"conditionals[{i}]"
        if not isinstance(raw, dict):
            errs.add(fld, "must be a table")
            continue
        extra = set(raw) - allowed
        if extra:
            errs.add(f"{fld}.{sorted(extra)[0]}", f"unknown field; allowed: {', '.join(sorted(allowed))}")
        q = _question(raw.get("question"), questions, f"{fld}.question", errs)
        g = _question(raw.get("given"), questions, f"{fld}.given", errs)
        outs = _outcomes(raw.get("outcomes", ["yes"] if q and q.is_binary else None), q, f"{fld}.outcomes", errs)
        gouts = _outcomes(
            raw.get("given_outcomes", ["yes"] if g and g.is_binary else None), g, f"{fld}.given_outcomes", errs
        )
        prob, sd = raw.get("probability"), raw.get("sd", 0.05)
        if not _probability(prob):
            errs.add(f"{fld}.probability", f"must be a number strictly between 0 and 1, got {prob!r}")
        if not _probability(sd):
            errs.add(f"{fld}.sd", f"must be a number strictly between 0 and 1 (probability units), got {sd!r}")
        for ref, fname in ((q, "question"), (g, "given")):
            if ref is not None and ref.id not in signs:
                errs.add(f"{fld}.{fname}", f"{ref.id} is not in [[questions]]; add it with its direction")
        if q is not None and g is not None and q.id == g.id:
            errs.add(f"{fld}.given", "must be a different question from question")
        if q and g and outs and gouts and _probability(prob) and _probability(sd):
            reasoning = raw.get("reasoning", "")
            conditionals.append(Conditional(q.id, outs, g.id, gouts, float(prob), float(sd), str(reasoning).strip()))
    for qid in signs:
        if qid not in fixed and not any(qid in (c.question, c.given) for c in conditionals):
            errs.add("questions", f"{qid} has neither a loading nor any conditional to fit it from")
    errs.raise_if_any()
    return Dependencies(signs, fixed, anchors, tuple(conditionals), str(name), path)


def load_dependencies(
    root: Path, questions: list[Question] | None = None, texts: dict[str, str] | None = None
) -> Dependencies:
    """The joint-model inputs from every `scenarios/dependencies.toml` under root, or in `texts` when given
    (merged; none → independent)."""
    bank = {q.id: q for q in (questions if questions is not None else load_questions(root))}
    merged = Dependencies()
    if texts is None and not root.exists():
        return merged
    for shown, text, dependency in _texts(root, texts):
        if not dependency:
            continue
        dep = parse_dependencies(_parse_toml(text, shown), shown, bank)
        clash = set(dep.signs) & set(merged.signs)
        if clash:
            raise ForecastsError(f"{shown}: questions: {sorted(clash)[0]} is already in {merged.source_file}")
        merged = Dependencies(
            {**merged.signs, **dep.signs}, {**merged.fixed, **dep.fixed}, {**merged.anchors, **dep.anchors},
            merged.conditionals + dep.conditionals, dep.factor, merged.source_file or shown,
        )  # fmt: skip
    return merged


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
    from forecasts.db import insert_row, write_transaction
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
