"""Question files: load and validate `questions/**/*.toml`, sync them into the store, read them back."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.numeric.spec import NUMERIC_FIELDS, NUMERIC_TYPES, parse_prior, parse_spec
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, parse_datetime, to_iso
from forecasts.validation import ID_PATTERN, OUTCOME_PATTERN, FileErrors
from forecasts.validation import text as checked_text

QUESTION_TYPES = ("binary", "categorical", "ordered")
ALL_TYPES = QUESTION_TYPES + NUMERIC_TYPES  # numeric and date questions: forecasts.numeric
BINARY_OUTCOMES = ("yes", "no")
# Outcome names appear in CLI arguments (`forecast Q a=0.3,b=0.7`, `--lr Q:OUTCOME=2`): no separators or spaces
# (OUTCOME_PATTERN, like ID_PATTERN, lives in forecasts.validation with the other rules).
OUTCOME_CHARS = "letters, digits, '-', '_' and '.'"
KNOWN_FIELDS = {
    "id", "title", "type", "outcomes", "description", "resolution_criteria", "fine_print",
    "tags", "opens_at", "closes_at", "resolves_by", "deadline_question", "prior", "bin_ends",
    "external_id", "source", *NUMERIC_FIELDS,
}  # fmt: skip
NO_PRIOR = "none"  # prior kind of a question imported without one: the model does not forecast it


@dataclass(frozen=True)
class Question:
    """A resolvable question with its prior; binary questions have outcomes ('yes', 'no')."""

    id: str
    title: str
    type: str
    outcomes: tuple[str, ...]
    resolution_criteria: str
    opens_at: datetime
    closes_at: datetime
    resolves_by: datetime
    prior: dict[str, Any]
    description: str = ""
    fine_print: str = ""
    tags: tuple[str, ...] = ()
    deadline_question: bool = False
    source_file: str = ""
    content_hash: str = field(default="", compare=False)
    bin_ends: tuple[datetime, ...] = ()  # "when" questions: end of each outcome's window but the last
    external_id: str = ""  # the id this question has where it came from (an import), kept for joins
    source: str = ""  # where it came from: forecastbench, metaculus, predictionbook, a file's name...
    numeric: dict[str, Any] = field(default_factory=dict, compare=False)  # numeric/date: range, bounds, axis, unit

    @property
    def is_numeric(self) -> bool:
        """A numeric or date question: forecast as a CDF (forecasts.numeric), resolved to a value."""
        return self.type in NUMERIC_TYPES

    @property
    def scale(self) -> Any:
        """The axis of a numeric or date question (forecasts.numeric.scale.Scale)."""
        from forecasts.numeric.scale import Scale

        return Scale.from_spec(self.numeric, self.type)

    @property
    def is_binary(self) -> bool:
        return self.type == "binary"

    @property
    def has_prior(self) -> bool:
        """False for a question imported without a prior: the model (`bayes`) does not forecast it."""
        return self.prior.get("kind") != NO_PRIOR

    def prior_probabilities(self) -> dict[str, float]:
        """Prior mean probability of each outcome (for binary: yes/no)."""
        p = self.prior
        if self.is_binary:
            yes = p["mean"]
            return {"yes": yes, "no": 1.0 - yes}
        alpha = p["alpha"]
        total = sum(alpha)
        return {o: a / total for o, a in zip(self.outcomes, alpha, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO text)."""
        return {
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "outcomes": list(self.outcomes),
            "description": self.description,
            "resolution_criteria": self.resolution_criteria,
            "fine_print": self.fine_print,
            "tags": list(self.tags),
            "opens_at": to_iso(self.opens_at),
            "closes_at": to_iso(self.closes_at),
            "resolves_by": to_iso(self.resolves_by),
            "deadline_question": self.deadline_question,
            "prior": self.prior,
            "source_file": self.source_file,
            "bin_ends": [to_iso(d) for d in self.bin_ends],
            "external_id": self.external_id,
            "source": self.source,
            "has_prior": self.has_prior,
            "numeric": self.numeric,
        }


def _text(data: dict, key: str, errs: FileErrors, required: bool) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        errs.add(key, f"must be a string, got {type(value).__name__}")
        return ""
    try:
        return checked_text(value, key, required)
    except ForecastsError as exc:
        errs.add(key, str(exc).split(": ", 1)[1])
        return ""


def _when(data: dict, key: str, errs: FileErrors) -> datetime | None:
    value = data.get(key)
    if value is None:
        errs.add(key, "is required (a date such as 2025-06-30)")
        return None
    if not isinstance(value, str | date | datetime):
        errs.add(key, f"must be a date such as 2025-06-30, got {value!r}")
        return None
    try:
        return parse_datetime(value, key)
    except ForecastsError:
        errs.add(key, f"{value!r} is not a date; use ISO-8601 such as 2025-06-30")
        return None


def _finite(value: Any) -> bool:
    """A real number: not a bool (TOML `true` is not 1), not inf or nan (they turn probabilities into NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any) -> bool:
    return _finite(value) and value > 0


def _whole(value: Any) -> bool:
    """A whole number that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _beta_prior(raw: dict, errs: FileErrors) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reference": str(raw.get("reference", "")),
        "reasoning": str(raw.get("reasoning", raw.get("note", ""))),
    }
    if "successes" in raw or "trials" in raw:
        s, n = raw.get("successes"), raw.get("trials")
        bad = [k for k, v in (("successes", s), ("trials", n)) if not _whole(v)]
        for key in bad:
            errs.add(f"prior.{key}", f"must be a whole number, got {raw.get(key)!r}")
        if bad:
            return {}
        if not 0 <= s <= n or n <= 0:
            errs.add("prior", "successes and trials must be whole numbers with 0 <= successes <= trials")
            return {}
        if not out["reference"]:
            errs.add("prior.reference", "a base rate needs its reference class")
        out |= {"kind": "beta", "successes": s, "trials": n, "a": 1.0 + s, "b": 1.0 + n - s}
    elif "a" in raw or "b" in raw:
        a, b = raw.get("a"), raw.get("b")
        bad = [k for k, v in (("a", a), ("b", b)) if not _positive(v)]
        for key in bad:
            errs.add(f"prior.{key}", f"must be a finite positive number (Beta parameter), got {raw.get(key)!r}")
        if bad:
            return {}
        out |= {"kind": "beta", "a": float(a), "b": float(b)}
    elif "probability" in raw:
        p = raw["probability"]
        if not (_finite(p) and 0 < p < 1):
            errs.add("prior.probability", f"must be a number strictly between 0 and 1, got {p!r}")
            return {}
        if not out["reasoning"]:
            errs.add("prior.note", "a point prior needs a note saying where it comes from")
        out |= {"kind": "point", "probability": float(p)}
    else:
        errs.add("prior", "give successes+trials (with reference), a+b (Beta), or probability (with note)")
        return {}
    out["mean"] = out["probability"] if out["kind"] == "point" else out["a"] / (out["a"] + out["b"])
    shape = raw.get("hazard_shape")
    if shape is not None:
        if not _positive(shape):
            errs.add("prior.hazard_shape", f"must be finite and positive (Gamma shape of the hazard), got {shape!r}")
        else:
            out["hazard_shape"] = float(shape)
    return out


def _no_prior(raw: dict, outcomes: list[str], errs: FileErrors) -> dict[str, Any]:
    """`prior = {kind = "none"}`: no prior was given (bulk imports); the uniform stands in for display only."""
    for key in sorted(set(raw) - {"kind", "note"}):
        errs.add(f"prior.{key}", "a question without a prior takes no parameters")
    out: dict[str, Any] = {"kind": NO_PRIOR, "reasoning": str(raw.get("note", "")) or "no prior given"}
    if outcomes == list(BINARY_OUTCOMES):
        return out | {"mean": 0.5}
    return out | {"alpha": [1.0] * len(outcomes)}


def _dirichlet_prior(raw: dict, outcomes: list[str], errs: FileErrors) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "dirichlet",
        "reference": str(raw.get("reference", "")),
        "reasoning": str(raw.get("reasoning", raw.get("note", ""))),
    }
    if "alpha" in raw:
        alpha = raw["alpha"]
        if not (isinstance(alpha, list) and all(_positive(a) for a in alpha)):
            errs.add("prior.alpha", "must be a list of finite positive numbers, one per outcome")
            return {}
    elif "counts" in raw:
        counts = raw["counts"]
        if not (isinstance(counts, list) and all(_whole(c) and c >= 0 for c in counts)):
            errs.add("prior.counts", "must be a list of whole numbers >= 0, one per outcome")
            return {}
        alpha = [1.0 + c for c in counts]
    elif "probabilities" in raw:
        probs = raw["probabilities"]
        conc = raw.get("concentration", 10.0)
        if not (isinstance(probs, list) and all(_finite(p) and 0 < p < 1 for p in probs)):
            errs.add("prior.probabilities", "must be a list of numbers strictly between 0 and 1")
            return {}
        if abs(sum(probs) - 1.0) > 1e-6:
            errs.add("prior.probabilities", f"must sum to 1, got {sum(probs):.6g}")
            return {}
        if not _positive(conc):
            errs.add("prior.concentration", f"must be a finite positive number, got {conc!r}")
            return {}
        alpha = [p * float(conc) for p in probs]
    else:
        errs.add("prior", "categorical questions need alpha, counts or probabilities (one per outcome)")
        return {}
    if len(alpha) != len(outcomes):
        errs.add("prior", f"has {len(alpha)} values for {len(outcomes)} outcomes")
        return {}
    out["alpha"] = [float(a) for a in alpha]
    return out


def _bin_ends(
    data: dict, qtype: str, outcomes: list, opens: datetime | None, closes: datetime | None, errs: FileErrors
) -> tuple[datetime, ...]:
    """Validate `bin_ends`: one increasing date per outcome but the last, inside (opens_at, closes_at]."""
    raw = data.get("bin_ends")
    if raw is None:
        return ()
    if qtype != "ordered":
        errs.add("bin_ends", "only ordered questions (time bins of a 'when' question) take bin_ends")
        return ()
    if not isinstance(raw, list) or len(raw) != max(len(outcomes) - 1, 0):
        errs.add(
            "bin_ends", f"must list {max(len(outcomes) - 1, 0)} dates: the end of every outcome's window but the last"
        )
        return ()
    ends = []
    for value in raw:
        try:
            ends.append(parse_datetime(value, "bin_ends"))
        except ForecastsError:
            errs.add("bin_ends", f"{value!r} is not a date; use ISO-8601 such as 2025-06-30")
            return ()
    if any(b <= a for a, b in zip(ends, ends[1:], strict=False)) or (opens and ends[0] <= opens):
        errs.add("bin_ends", "dates must increase and come after opens_at")
        return ()
    if closes and ends[-1] > closes:
        errs.add("bin_ends", "dates must not be after closes_at")
        return ()
    return tuple(ends)


def parse_question(data: dict, path: str) -> Question:
    """Validate one parsed TOML document; raise ForecastsError listing every `file: field: problem`."""
    errs = FileErrors(path)
    for key in sorted(set(data) - KNOWN_FIELDS):
        errs.add(key, f"unknown field; allowed: {', '.join(sorted(KNOWN_FIELDS))}")
    qid = data["id"] if "id" in data else Path(path).stem
    if not (isinstance(qid, str) and ID_PATTERN.match(qid)):
        errs.add("id", f"{qid!r} must be a slug: lowercase letters, digits and '-', max 80 chars")
    qtype = data.get("type", "binary")
    if qtype not in ALL_TYPES:
        errs.add("type", f"{qtype!r} is not one of: {', '.join(ALL_TYPES)}")
    title = _text(data, "title", errs, required=True)
    criteria = _text(data, "resolution_criteria", errs, required=True)
    description = _text(data, "description", errs, required=False)
    fine_print = _text(data, "fine_print", errs, required=False)
    tags = data.get("tags", [])
    if not (isinstance(tags, list) and all(isinstance(t, str) and t for t in tags)):
        errs.add("tags", "must be a list of non-empty strings")
        tags = []
    opens, closes, resolves = (_when(data, k, errs) for k in ("opens_at", "closes_at", "resolves_by"))
    if opens and closes and closes <= opens:
        errs.add("closes_at", "must be after opens_at")
    if closes and resolves and resolves < closes:
        errs.add("resolves_by", "must be on or after closes_at")
    deadline = data.get("deadline_question", False)
    if not isinstance(deadline, bool):
        errs.add("deadline_question", "must be true or false")
    numeric: dict[str, Any] = {}
    outcomes: list = []
    if qtype in NUMERIC_TYPES:
        if "outcomes" in data:
            errs.add("outcomes", f"{qtype} questions resolve to a value, not an outcome name; remove this field")
        if deadline:
            errs.add("deadline_question", "only binary questions can be deadline questions")
        numeric = parse_spec(data, qtype, errs.add)
    elif extra := [k for k in NUMERIC_FIELDS if k in data]:
        errs.add(extra[0], "only numeric and date questions take a range, bounds, scale or unit")
    if qtype in NUMERIC_TYPES:
        pass  # no outcome names: a numeric or date question resolves to a value
    elif qtype == "binary":
        outcomes = list(BINARY_OUTCOMES)
        if "outcomes" in data:
            errs.add("outcomes", "binary questions have the outcomes yes/no; remove this field")
    else:
        outcomes = data.get("outcomes", [])
        if not (isinstance(outcomes, list) and len(outcomes) >= 2 and all(isinstance(o, str) and o for o in outcomes)):
            errs.add("outcomes", "categorical questions need a list of at least two outcome names")
            outcomes = []
        elif len(set(outcomes)) != len(outcomes):
            errs.add("outcomes", "outcome names must be distinct")
        elif bad := [o for o in outcomes if not OUTCOME_PATTERN.match(o)]:
            errs.add("outcomes", f"{', '.join(map(repr, bad))}: outcome names may only use {OUTCOME_CHARS}")
        elif reserved := {"ambiguous", "annulled"} & set(outcomes):
            errs.add("outcomes", f"{sorted(reserved)} are reserved for resolutions")
        if deadline:
            errs.add("deadline_question", "only binary questions can be deadline questions")
    bin_ends = _bin_ends(data, qtype, outcomes, opens, closes, errs)
    raw_prior = data.get("prior")
    prior: dict[str, Any] = {}
    if not isinstance(raw_prior, dict):
        errs.add("prior", "is required: a [prior] table (base rate with reference class, Beta, or point)")
    elif raw_prior.get("kind") == NO_PRIOR and qtype in NUMERIC_TYPES:
        prior = {"kind": NO_PRIOR, "reasoning": str(raw_prior.get("note", "")) or "no prior given"}
    elif raw_prior.get("kind") == NO_PRIOR:
        prior = _no_prior(raw_prior, outcomes, errs)
    elif qtype in NUMERIC_TYPES:
        prior = parse_prior(raw_prior, qtype, numeric, errs.add)
    elif qtype == "binary":
        prior = _beta_prior(raw_prior, errs)
    elif outcomes:
        prior = _dirichlet_prior(raw_prior, outcomes, errs)
    errs.raise_if_any()
    external_id, source = (_text(data, k, errs, required=False) for k in ("external_id", "source"))
    errs.raise_if_any()
    canonical = json.dumps(data, sort_keys=True, default=str)
    return Question(
        id=qid, title=title, type=qtype, outcomes=tuple(outcomes), resolution_criteria=criteria,
        opens_at=opens, closes_at=closes, resolves_by=resolves, prior=prior,
        description=description, fine_print=fine_print, tags=tuple(tags),
        deadline_question=bool(deadline), source_file=path, bin_ends=bin_ends,
        content_hash=hashlib.sha256(canonical.encode()).hexdigest()[:16], external_id=external_id, source=source,
        numeric=numeric,
    )  # fmt: skip


def load_question_file(path: Path, root: Path | None = None) -> Question:
    """Read and validate one question file."""
    shown = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ForecastsError(f"{shown}: file: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ForecastsError(f"{shown}: toml: {exc}") from None
    return parse_question(data, shown)


def question_files(root: Path) -> list[Path]:
    """Every question file under root, in a stable order; scenario files live in `scenarios/`."""
    if not root.exists():
        raise ForecastsError(f"questions: directory {root} does not exist")
    return sorted(p for p in root.rglob("*.toml") if "scenarios" not in p.relative_to(root).parts)


def load_questions(root: Path) -> list[Question]:
    """Load and validate every question file; report all problems at once, load none if any."""
    problems: list[str] = []
    questions: list[Question] = []
    for path in question_files(root):
        try:
            questions.append(load_question_file(path, root.parent))
        except ForecastsError as exc:
            problems.append(str(exc))
    seen: dict[str, str] = {}
    for q in questions:
        if q.id in seen:
            problems.append(f"{q.source_file}: id: {q.id!r} is also used by {seen[q.id]}")
        seen[q.id] = q.source_file
    if problems:
        raise ForecastsError("\n".join(problems))
    return questions


def _row(q: Question, synced_at: str) -> dict[str, Any]:
    d = q.to_dict()
    return {
        **{k: d[k] for k in ("id", "title", "type", "description", "resolution_criteria",
                             "fine_print", "opens_at", "closes_at", "resolves_by", "source_file")},
        "outcomes": json.dumps(d["outcomes"]),
        "tags": json.dumps(d["tags"]),
        "prior": json.dumps(d["prior"], sort_keys=True),
        "deadline_question": int(q.deadline_question),
        "content_hash": q.content_hash,
        "synced_at": synced_at,
        "bin_ends": json.dumps(d["bin_ends"]),
        "external_id": q.external_id,
        "source": q.source,
        "numeric": json.dumps(q.numeric, sort_keys=True),
    }  # fmt: skip


def _from_row(row: dict) -> Question:
    return Question(
        id=row["id"], title=row["title"], type=row["type"], outcomes=tuple(json.loads(row["outcomes"])),
        resolution_criteria=row["resolution_criteria"], opens_at=from_iso(row["opens_at"]),
        closes_at=from_iso(row["closes_at"]), resolves_by=from_iso(row["resolves_by"]),
        prior=json.loads(row["prior"]), description=row["description"], fine_print=row["fine_print"],
        tags=tuple(json.loads(row["tags"])), deadline_question=bool(row["deadline_question"]),
        source_file=row["source_file"], content_hash=row["content_hash"],
        bin_ends=tuple(from_iso(d) for d in json.loads(row.get("bin_ends") or "[]")),
        external_id=row.get("external_id") or "", source=row.get("source") or "",
        numeric=json.loads(row.get("numeric") or "{}"),
    )  # fmt: skip


def all_questions(db: Database, tag: str | None = None, known_by: datetime | None = None) -> list[Question]:
    """Every synced question, ordered by id; optionally only those carrying a tag; with `known_by`, each in the
    version synced by then (questions first synced later are left out)."""
    if known_by is not None:
        from forecasts.versions import rows_as_of

        qs = [_from_row(r) for r in rows_as_of(db, known_by)]
        return [q for q in qs if tag in q.tags] if tag else qs
    qs = [_from_row(r) for r in db.query("SELECT * FROM questions ORDER BY id")]
    return [q for q in qs if tag in q.tags] if tag else qs


def get_question(db: Database, question_id: str, known_by: datetime | None = None) -> Question:
    """One question by id (with `known_by`: in the version synced by then), or a user error suggesting close ids."""
    if known_by is not None:
        from forecasts.versions import rows_as_of

        rows = rows_as_of(db, known_by, question_id)
    else:
        rows = list(db.query("SELECT * FROM questions WHERE id = ?", [question_id]))
    if not rows:
        from forecasts.suggest import did_you_mean

        known = [r["id"] for r in db.query("SELECT id FROM questions ORDER BY id")]
        hint = did_you_mean(question_id, known, "forecasts questions list") if known else (
            "no questions yet: run `forecasts sync`")  # fmt: skip
        raise ForecastsError(f"question: unknown id {question_id!r}; {hint}")
    return _from_row(rows[0])
