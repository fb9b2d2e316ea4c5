"""Scenario and dependency files: their TOML parsed and checked against the questions into plain dataclasses.
Apart from the scenario model runs (forecasts.scenarios), so sync can check the files without the model."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.questions import ID_PATTERN, Question, load_questions
from forecasts.scenario_versions import DEPENDENCY_FILE, scenario_paths
from forecasts.validation import FileErrors

DIRECTIONS = ("for", "against")
SCENARIO_FIELDS = {"id", "title", "description", "exclusive_group", "conditions", "signposts"}
DEPENDENCY_FIELDS = {"description", "factor", "questions", "anchors", "conditionals"}


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


def _parse_toml(text: str, shown: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ForecastsError(f"{shown}: toml: {exc}") from None


def _outcomes(raw: Any, q: Question | None, fld: str, errs: FileErrors) -> tuple[str, ...]:
    if not (isinstance(raw, list) and raw and all(isinstance(o, str) for o in raw)):
        errs.add(fld, "must be a non-empty list of outcome names")
        return ()
    if q is not None:
        bad = [o for o in raw if o not in q.outcomes]
        if bad:
            errs.add(fld, f"{bad[0]!r} is not an outcome of {q.id}; allowed: {', '.join(q.outcomes)}")
            return ()
    return tuple(dict.fromkeys(raw))


def _question(raw: Any, questions: dict[str, Question], fld: str, errs: FileErrors) -> Question | None:
    if raw not in questions:
        known = ", ".join(sorted(questions)) or "none (no question files)"
        errs.add(fld, f"unknown question {raw!r}; known: {known}")
        return None
    return questions[raw]


def parse_scenario(data: dict, path: str, questions: dict[str, Question]) -> Scenario:
    """Validate one scenario document against the question bank; all problems as `file: field: problem`."""
    errs = FileErrors(path)
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
    errs = FileErrors(path)
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
