"""One validation per record type, in stored form: every write path (commands, file imports, the restore) and
`db check` apply the same rules, so a row one path refuses no other path can store.

Each `check_<table>` takes a row as stored (timestamps as 'YYYY-MM-DDTHH:MM:SSZ', JSON columns as text) and raises
ForecastsError('field: problem') on the first problem. Columns a validator does not know (added by later
migrations) are left alone; a column missing from the row is skipped (the schema's NOT NULL and defaults apply).
Pure Python on purpose: interactive commands import this module, so no pandas or numpy.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.safejson import loads
from forecasts.safetext import CONTROL, control_problem
from forecasts.timeutil import YEARS, now_utc

MAX_TAG = 200  # characters in one tag
MAX_TEXT = 10_000  # characters in any text a person writes (summary, rationale, title, ...) on every path
MAX_LR = 1e6  # a single item moving the odds by more than a million to one is a typo
MAX_ABS_LOG_LR = math.log(MAX_LR)
MAX_LOG_LR_SD = 10.0
MAX_ROWID = 2**63 - 1  # SQLite's INTEGER range: a larger id cannot exist and cannot even be asked for
STORED_SUM_TOLERANCE = 1e-6  # stored categorical probabilities are normalised
QUESTION_TYPES = ("binary", "categorical", "ordered", "numeric", "date")
NUMERIC_TYPES = ("numeric", "date")
BINARY_OUTCOMES = ("yes", "no")
UNSCORED = ("ambiguous", "annulled")
FORECASTER_KINDS = ("person", "model", "aggregate")
ID_PATTERN = re.compile(r"\A[a-z0-9][a-z0-9-]{0,79}\Z")
OUTCOME_PATTERN = re.compile(r"\A[A-Za-z0-9._-]+\Z")
NAME_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
LOGIN_PATTERN = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.@\\-]{0,63}\Z")
_STORED_TS = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z", re.ASCII)
_URL = re.compile(r"\Ahttps?://[^\s/?#]+[^\s]*\Z", re.IGNORECASE)


class FileErrors:
    """Collects `file: field: problem` lines so one run reports every mistake in a file (questions, scenarios)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, fld: str, problem: str) -> None:
        self.lines.append(f"{self.path}: {fld}: {problem}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ForecastsError("\n".join(self.lines))


def _shown(value: Any) -> str:
    """A value for an error message, cut short: a 1 MB input is not echoed back."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text)} characters)"


# --- values -----------------------------------------------------------------------------------------


def text(value: Any, fld: str, required: bool = False) -> str:
    """Free text: at most MAX_TEXT characters, no control characters but newline and tab (forecasts.safetext);
    stripped. The one text rule of every path."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ForecastsError(f"{fld}: must be text, not {_shown(value)}")
    if "\x00" in value:
        raise ForecastsError(f"{fld}: must not contain NUL characters")
    if len(value) > MAX_TEXT:
        raise ForecastsError(f"{fld}: is {len(value)} characters; the limit is {MAX_TEXT}")
    problem = control_problem(value, fld)
    if problem:
        raise ForecastsError(problem)
    value = value.strip()
    if required and not value:
        raise ForecastsError(f"{fld}: is required and must not be empty")
    return value


def number(value: Any, fld: str) -> float:
    """A finite real number given as a number (JSON `true` is not 1, NaN and infinities are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ForecastsError(f"{fld}: {_shown(value)} must be a finite number")
    return float(value)


def stored_timestamp(value: Any, fld: str, now: datetime | None = None) -> datetime:
    """A stored timestamp: exactly 'YYYY-MM-DDTHH:MM:SSZ', a real date in the allowed years, not after `now`."""
    if not isinstance(value, str) or not _STORED_TS.match(value):
        raise ForecastsError(f"{fld}: {_shown(value)} is not a UTC timestamp like 2025-01-20T14:30:00Z")
    try:
        dt = datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise ForecastsError(f"{fld}: {value!r} is not a real date and time") from None
    if not YEARS[0] <= dt.year <= YEARS[1]:
        raise ForecastsError(f"{fld}: {value!r} is outside the years {YEARS[0]}-{YEARS[1]}")
    if now is not None and dt > now:
        raise ForecastsError(f"{fld}: {value} is in the future")
    return dt


def probability(value: Any, fld: str = "probability", closed: bool = False) -> float:
    """A stored probability: a number strictly between 0 and 1; closed=True also allows exactly 0 and 1 (a
    stored forecast may be certain: imported data states them; a probability resolution may be 0 to 1)."""
    p = number(value, fld)
    if closed and 0.0 <= p <= 1.0:
        return p
    if not 0.0 < p < 1.0:
        rule = "from 0 to 1" if closed else "strictly between 0 and 1"
        raise ForecastsError(f"{fld}: {_shown(value)} must be {rule}")
    return p


def log_lr(value: Any, fld: str = "log_lr") -> float:
    """ln of a likelihood ratio, within ±ln(MAX_LR)."""
    x = number(value, fld)
    if abs(x) > MAX_ABS_LOG_LR:
        raise ForecastsError(
            f"{fld}: {_shown(value)} is beyond ±{MAX_ABS_LOG_LR:.4g} (a likelihood ratio between 1/{MAX_LR:,.0f} "
            f"and {MAX_LR:,.0f})"
        )
    return x


def lr(value: Any, fld: str = "lr") -> float:
    """A likelihood ratio as typed or read (number or numeric text, not a bool) → its natural log."""
    if isinstance(value, bool):
        x = math.nan
    else:
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            x = math.nan
    if not (math.isfinite(x) and x > 0):
        raise ForecastsError(
            f"{fld}: {_shown(value)} must be a likelihood ratio, a number greater than 0 (e.g. 3 or 0.5)"
        )
    if not 1 / MAX_LR <= x <= MAX_LR:
        raise ForecastsError(f"{fld}: {_shown(value)} must be between 1/{MAX_LR:,.0f} and {MAX_LR:,.0f}")
    return math.log(x)


def log_lr_sd(value: Any, fld: str = "log_lr_sd") -> float:
    """The uncertainty of an ln LR: a finite number from 0 to MAX_LOG_LR_SD."""
    sd = number(value, fld)
    if not 0.0 <= sd <= MAX_LOG_LR_SD:
        raise ForecastsError(f"{fld}: {_shown(value)} must be a number from 0 to {MAX_LOG_LR_SD:g} (sd of ln LR)")
    return sd


def reliability(value: Any, fld: str = "reliability") -> float:
    """A stored source reliability: a number from 0 to 1."""
    r = number(value, fld)
    if not 0.0 <= r <= 1.0:
        raise ForecastsError(f"{fld}: {_shown(value)} must be a number from 0 to 1")
    return r


def url(value: Any, fld: str = "url") -> str:
    """Empty, or an http(s) address without spaces or control characters (no javascript:, data:, file:)."""
    value = text(value, fld)
    if value and (not _URL.match(value) or any(ord(c) < 32 or ord(c) == 127 for c in value)):
        raise ForecastsError(f"{fld}: {_shown(value)} must start with http:// or https:// (an address without spaces)")
    return value


def row_id(value: Any, fld: str) -> int:
    """A row id: a whole number from 1 to 2^63-1 (larger ones do not fit SQLite)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROWID:
        raise ForecastsError(f"{fld}: {_shown(value)} is not an id (a whole number from 1 to {MAX_ROWID})")
    return value


def json_text(value: Any, fld: str, kind: type) -> Any:
    """A JSON column: text that parses to a `kind` (list or dict)."""
    if not isinstance(value, str):
        raise ForecastsError(f"{fld}: {_shown(value)} must be JSON text")
    parsed = loads(value, fld)
    if not isinstance(parsed, kind):
        name = "a list" if kind is list else "an object"
        raise ForecastsError(f"{fld}: {_shown(value)} must be a JSON {name}")
    return parsed


def bare(value: Any, fld: str) -> Any:
    """An id, name or choice given as text must be the whole text: no space, tab or newline around it."""
    if isinstance(value, str) and value != value.strip():
        raise ForecastsError(f"{fld}: {_shown(value)} has spaces or a line break around it; give the value alone")
    return value


def login(value: Any, fld: str = "login") -> str:
    """An operating-system login: 1-64 ASCII letters, digits, '_', '.', '-', '@' or backslash (DOMAIN\\user)."""
    if not (isinstance(value, str) and LOGIN_PATTERN.fullmatch(value)):
        raise ForecastsError(
            f"{fld}: {_shown(value)} must be a login: 1-64 ASCII letters, digits, '_', '.', '-', '@' or '\\'"
        )
    return value


def question_id(value: Any, fld: str = "question_id") -> str:
    if not (isinstance(value, str) and ID_PATTERN.match(value)):
        raise ForecastsError(f"{fld}: {_shown(value)} must be a slug: lowercase letters, digits and '-', max 80 chars")
    return value


def forecaster_name(value: Any, fld: str = "forecaster_id") -> str:
    if not (isinstance(value, str) and NAME_PATTERN.match(value)):
        raise ForecastsError(f"{fld}: {_shown(value)} must be 1-64 letters, digits, '.', '_' or '-'")
    return value


def outcome_name(value: Any, fld: str = "outcome") -> str:
    if not (isinstance(value, str) and OUTCOME_PATTERN.match(value) and len(value) <= 200):
        raise ForecastsError(f"{fld}: {_shown(value)} must be an outcome name (letters, digits, '-', '_' and '.')")
    return value


def _choice(value: Any, fld: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ForecastsError(f"{fld}: {_shown(value)} is not one of {', '.join(allowed)}")
    return value


def _texts(row: dict[str, Any], fields: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    for fld in fields:
        if fld in row:
            text(row[fld], fld, required=fld in required)


def _stamps(row: dict[str, Any], fields: tuple[str, ...], now: datetime | None) -> dict[str, datetime]:
    return {fld: stored_timestamp(row[fld], fld, now) for fld in fields if fld in row and row[fld] is not None}


def tag(value: Any, fld: str = "tag") -> str:
    """A tag: one line of text, at most MAX_TAG characters, no control or invisible (format) characters, nothing
    around it (a tag may be any language's words: Metaculus project titles are tags)."""
    text(value, fld, required=True)
    bare(value, fld)
    if len(value) > MAX_TAG or "\n" in value or "\t" in value or any(unicodedata.category(c) == "Cf" for c in value):
        raise ForecastsError(
            f"{fld}: {_shown(value)} must be one line of at most {MAX_TAG} visible characters (no tab, newline or "
            "zero-width character)"
        )
    return value


def _tag_list(value: Any, fld: str = "tags") -> list[str]:
    tags = json_text(value, fld, list)
    for i, t in enumerate(tags):
        tag(t, f"{fld}[{i}]")
    return tags


# --- records ----------------------------------------------------------------------------------------


def check_question(row: dict[str, Any], now: datetime | None = None) -> None:
    """A question row: slug id, texts, type and outcomes, lifetime in order, prior and bin ends that fit them."""
    if "id" in row:
        question_id(row["id"], "id")
    _texts(row, ("title", "resolution_criteria", "description", "fine_print", "source_file", "content_hash",
                 "external_id", "source"), required=("title", "resolution_criteria"))  # fmt: skip
    qtype = _choice(row["type"], "type", QUESTION_TYPES) if "type" in row else None
    outcomes: list[str] | None = None
    if "outcomes" in row:
        outcomes = json_text(row["outcomes"], "outcomes", list)
        for i, o in enumerate(outcomes):
            outcome_name(o, f"outcomes[{i}]")
        if len(set(outcomes)) != len(outcomes) or set(outcomes) & set(UNSCORED):
            raise ForecastsError("outcomes: must be distinct names, not ambiguous or annulled")
        if qtype == "binary" and tuple(outcomes) != BINARY_OUTCOMES:
            raise ForecastsError(f"outcomes: a binary question has the outcomes yes, no, not {_shown(outcomes)}")
        if qtype in NUMERIC_TYPES and outcomes:
            raise ForecastsError(f"outcomes: a {qtype} question has no outcome names, not {_shown(outcomes)}")
        if qtype and qtype != "binary" and qtype not in NUMERIC_TYPES and len(outcomes) < 2:
            raise ForecastsError("outcomes: a categorical question needs at least two outcomes")
    if "tags" in row:
        _tag_list(row["tags"])
    when = _stamps(row, ("opens_at", "closes_at", "resolves_by"), None) | _stamps(row, ("synced_at",), now)
    if "opens_at" in when and "closes_at" in when and when["closes_at"] <= when["opens_at"]:
        raise ForecastsError(f"closes_at: {row['closes_at']} must be after opens_at ({row['opens_at']})")
    if "closes_at" in when and "resolves_by" in when and when["resolves_by"] < when["closes_at"]:
        raise ForecastsError(f"resolves_by: {row['resolves_by']} must be on or after closes_at ({row['closes_at']})")
    if "deadline_question" in row:
        if row["deadline_question"] not in (0, 1) or isinstance(row["deadline_question"], float):
            raise ForecastsError(f"deadline_question: {_shown(row['deadline_question'])} must be 0 or 1")
        if row["deadline_question"] == 1 and qtype not in (None, "binary"):
            raise ForecastsError("deadline_question: only binary questions can be deadline questions")
    if "numeric" in row and row["numeric"] is not None:
        spec = json_text(row["numeric"], "numeric", dict)
        if qtype in NUMERIC_TYPES or (qtype is None and spec):
            from forecasts.numeric.spec import check_stored_spec

            check_stored_spec(spec)
        elif spec:
            raise ForecastsError("numeric: only numeric and date questions have a range")
    elif qtype in NUMERIC_TYPES and "numeric" in row:
        raise ForecastsError("numeric: a numeric or date question needs its range")
    if "prior" in row:
        _check_prior(json_text(row["prior"], "prior", dict), qtype, outcomes)
    if "bin_ends" in row and row["bin_ends"] is not None:
        ends = [stored_timestamp(v, "bin_ends") for v in json_text(row["bin_ends"], "bin_ends", list)]
        if ends:
            if qtype not in (None, "ordered"):
                raise ForecastsError("bin_ends: only ordered questions take bin_ends")
            if outcomes is not None and len(ends) != len(outcomes) - 1:
                raise ForecastsError(f"bin_ends: must list {len(outcomes) - 1} dates, one per outcome but the last")
            if any(b <= a for a, b in zip(ends, ends[1:], strict=False)):
                raise ForecastsError("bin_ends: dates must increase")
            if ("opens_at" in when and ends[0] <= when["opens_at"]) or (
                "closes_at" in when and ends[-1] > when["closes_at"]
            ):
                raise ForecastsError("bin_ends: dates must lie after opens_at and not after closes_at")


def _check_prior(prior: dict[str, Any], qtype: str | None, outcomes: list[str] | None) -> None:
    """The stored prior: Beta or point for binary questions (mean in (0, 1)), Dirichlet alpha otherwise; kind
    "none" (a question imported without a prior) keeps a uniform mean or alpha for display."""
    kind = prior.get("kind")
    for fld in ("reference", "reasoning"):
        if fld in prior:
            text(prior[fld], f"prior.{fld}")
    if qtype in NUMERIC_TYPES or (qtype is None and kind in ("normal", "lognormal", "uniform")):
        _choice(kind, "prior.kind", ("normal", "lognormal", "uniform", "none"))
        for key, value in prior.items():
            if key not in ("kind", "reference", "reasoning"):
                number(value, f"prior.{key}")
        return
    if qtype == "binary" or (qtype is None and kind in ("beta", "point")):
        _choice(kind, "prior.kind", ("beta", "point", "none"))
        if kind == "beta":
            for fld in ("a", "b"):
                if number(prior.get(fld), f"prior.{fld}") <= 0:
                    raise ForecastsError(f"prior.{fld}: {_shown(prior[fld])} must be positive")
        elif kind == "point":
            probability(prior.get("probability"), "prior.probability")
        probability(prior.get("mean"), "prior.mean")
        if "hazard_shape" in prior and number(prior["hazard_shape"], "prior.hazard_shape") <= 0:
            raise ForecastsError("prior.hazard_shape: must be positive")
        return
    _choice(kind, "prior.kind", ("dirichlet", "none"))
    alpha = prior.get("alpha")
    if not isinstance(alpha, list) or not all(number(a, "prior.alpha") > 0 for a in alpha):
        raise ForecastsError("prior.alpha: must be a list of positive numbers, one per outcome")
    if outcomes is not None and len(alpha) != len(outcomes):
        raise ForecastsError(f"prior.alpha: has {len(alpha)} values for {len(outcomes)} outcomes")


def check_forecaster(row: dict[str, Any], now: datetime | None = None) -> None:
    """A forecaster row: a name, a kind, a creation time."""
    if "id" in row:
        forecaster_name(row["id"], "id")
    if "kind" in row:
        _choice(row["kind"], "kind", FORECASTER_KINDS)
    _texts(row, ("external_id", "source"))
    if row.get("login"):
        login(row["login"])
    _stamps(row, ("created_at",), now)


def check_evidence(row: dict[str, Any], now: datetime | None = None) -> None:
    """An evidence item: texts, an http(s) URL, reliability in [0, 1], tags, observed and recorded by now."""
    if "id" in row and row["id"] is not None:
        row_id(row["id"], "id")
    if row.get("key") is not None:
        text(row["key"], "key", required=True)
    _texts(row, ("summary", "source", "reliability_grade", "recorded_by", "note"), required=("summary",))
    if "url" in row:
        url(row["url"])
    if "reliability" in row:
        reliability(row["reliability"])
    if "tags" in row:
        _tag_list(row["tags"])
    _stamps(row, ("observed_at", "recorded_at"), now)


def check_evidence_link(row: dict[str, Any], now: datetime | None = None) -> None:
    """A link: an item, a question, an outcome name (or none), ln LR within bounds, sd >= 0."""
    for fld in ("id", "evidence_id"):
        if row.get(fld) is not None or fld == "evidence_id" and fld in row:
            row_id(row[fld], fld)
    if "question_id" in row:
        question_id(row["question_id"])
    if row.get("outcome") is not None:
        outcome_name(row["outcome"])
    if "log_lr" in row:
        log_lr(row["log_lr"])
    if "log_lr_sd" in row:
        log_lr_sd(row["log_lr_sd"])
    if row.get("value") is not None:
        number(row["value"], "value")
        if row.get("value_sd") is None or number(row["value_sd"], "value_sd") <= 0:
            raise ForecastsError("value_sd: an observation needs a positive standard error")
        if row.get("outcome") is not None or row.get("log_lr", 0.0) != 0.0:
            raise ForecastsError("value: an observation carries no outcome and a log_lr of 0")
    elif row.get("value_sd") is not None:
        raise ForecastsError("value_sd: only an observation (a link with a value) has one")
    _texts(row, ("grade", "reasoning"))


def check_retraction(row: dict[str, Any], now: datetime | None = None) -> None:
    """A retraction: which item, why, when."""
    for fld in ("id", "evidence_id"):
        if row.get(fld) is not None or fld == "evidence_id" and fld in row:
            row_id(row[fld], fld)
    _texts(row, ("reason", "recorded_by"), required=("reason",))
    _stamps(row, ("recorded_at",), now)


def check_forecast(row: dict[str, Any], now: datetime | None = None) -> None:
    """A forecast: question, forecaster, made and recorded by now, one probability from 0 to 1 (imported data
    may be certain; the interactive `forecast` asks for (0, 1)) or a normalised JSON object."""
    if row.get("id") is not None:
        row_id(row["id"], "id")
    if "question_id" in row:
        question_id(row["question_id"])
    if "forecaster_id" in row:
        forecaster_name(row["forecaster_id"])
    _stamps(row, ("made_at", "recorded_at"), now)
    p, ps, cdf = row.get("probability"), row.get("probabilities"), row.get("cdf")
    given = sum(v is not None for v in (p, ps, cdf))
    if ("probability" in row or "probabilities" in row or "cdf" in row) and given != 1:
        raise ForecastsError(
            "probability: give one of probability (binary), probabilities (categorical) or cdf (numeric)"
        )
    if cdf is not None:
        values = json_text(cdf, "cdf", list)
        if len(values) != 201 or not all(0.0 <= number(v, "cdf") <= 1.0 for v in values):
            raise ForecastsError("cdf: must be a JSON list of 201 numbers from 0 to 1")
        if any(b < a for a, b in zip(values, values[1:], strict=False)):
            raise ForecastsError("cdf: must not decrease")
    if row.get("numeric_input") is not None:
        json_text(row["numeric_input"], "numeric_input", dict)
    if p is not None:
        probability(p, closed=True)
    if ps is not None:
        probs = json_text(ps, "probabilities", dict)
        for o, v in probs.items():
            outcome_name(o, "probabilities")
            probability(v, f"probabilities[{o}]", closed=True)
        if len(probs) < 2 or abs(sum(probs.values()) - 1.0) > STORED_SUM_TOLERANCE:
            raise ForecastsError(f"probabilities: sum to {sum(probs.values()):.6g}, not 1 ({len(probs)} outcomes)")
    _texts(row, ("rationale", "external_id", "source"))
    if "evidence_ids" in row:
        for i, eid in enumerate(json_text(row["evidence_ids"], "evidence_ids", list)):
            row_id(eid, f"evidence_ids[{i}]")


def check_resolution(row: dict[str, Any], now: datetime | None = None) -> None:
    """A resolution row: resolve (an outcome known at a time; a binary question's may be a probability r,
    stored as `value` with the outcome its text) or unresolve (neither)."""
    if row.get("id") is not None:
        row_id(row["id"], "id")
    if "question_id" in row:
        question_id(row["question_id"])
    action = _choice(row["action"], "action", ("resolve", "unresolve")) if "action" in row else None
    when = _stamps(row, ("known_at", "recorded_at"), now)
    if action == "resolve":
        if not (isinstance(row.get("outcome"), str) and _STORED_TS.match(row["outcome"])):  # a date question's date
            outcome_name(row.get("outcome"))
        if "known_at" not in when:
            raise ForecastsError("known_at: is required on a resolution")
        if row.get("value") is not None:
            r = probability(row["value"], "value", closed=True)
            if row.get("outcome") != repr(r):
                raise ForecastsError(f"value: {_shown(row['value'])} must be the outcome {_shown(row.get('outcome'))}")
    elif action == "unresolve" and any(row.get(f) is not None for f in ("outcome", "known_at", "value")):
        raise ForecastsError("outcome: an unresolve row has no outcome or known_at")
    _texts(row, ("source", "note", "recorded_by"))


VALIDATORS: dict[str, Callable[[dict[str, Any], datetime | None], None]] = {
    "questions": check_question,
    "forecasters": check_forecaster,
    "evidence": check_evidence,
    "evidence_links": check_evidence_link,
    "evidence_retractions": check_retraction,
    "forecasts": check_forecast,
    "resolutions": check_resolution,
}


def check_row(table: str, row: dict[str, Any], now: datetime | None = None) -> None:
    """Validate a row about to be stored in `table` (tables without rules pass); `now` bounds its timestamps."""
    check = VALIDATORS.get(table)
    if check is not None:
        check(row, now_utc() if now is None else now)


def row_problems(table: str, row: dict[str, Any], now: datetime) -> list[tuple[str, str]]:
    """Every problem of a stored row as (field, 'field: problem'), for `db check`: after each problem the field
    is set aside and the row checked again, so one bad field does not hide another."""
    row = dict(row)
    found: list[tuple[str, str]] = []
    while row:
        try:
            check_row(table, row, now)
            return found
        except ForecastsError as exc:
            message = str(exc)
        fld = _FIELD.match(message)
        name = fld.group(1) if fld else ""
        found.append((name, message))
        if name not in row:
            return found
        del row[name]
    return found


_FIELD = re.compile(r"^([A-Za-z_]\w*)")


def fits_rowid(value: int) -> bool:
    """Whether an integer typed as an id can exist in SQLite at all."""
    return 1 <= value <= MAX_ROWID


# --- many forecast rows at once -------------------------------------------------------------------------

# A canonical UTC timestamp of a real day (29 February checked apart: leap years), ASCII digits only.
_REAL_TS = (
    r"[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-9]))T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)
_TS_RUN = re.compile(rf"(?:{_REAL_TS}\n)*", re.ASCII)
_LEAP_DAY = re.compile(r"([0-9]{4})-02-29T", re.ASCII)


def check_forecast_rows(rows: list[tuple], fields: tuple[str, ...], now: datetime, where: Callable[[int], str]) -> None:
    """check_forecast on every row, a column at a time: see check_forecast_columns."""
    if rows:
        check_forecast_columns(dict(zip(fields, zip(*rows, strict=True), strict=True)), now, where)


def check_forecast_columns(cols: dict[str, Sequence], now: datetime, where: Callable[[int], str]) -> None:
    """check_forecast on every row of forecasts given by column (name -> values, all of one length), a column at a
    time (values shared by many rows checked once, timestamps by one regex over the column): a bulk import's
    validation without a dict or a tuple per row. The column checks only say "all valid"; on anything else the
    rows are checked one by one, so the first bad row gets its usual message."""
    try:
        if cols and _columns_valid(cols, now):
            return
    except ForecastsError:
        pass
    fields = list(cols)
    for i, row in enumerate(zip(*cols.values(), strict=True)):
        try:
            check_forecast(dict(zip(fields, row, strict=True)), now)
        except ForecastsError as exc:
            raise ForecastsError(f"{where(i)}: {exc}") from None


def stored_forecasts_valid(cols: dict[str, Sequence], now: datetime) -> bool:
    """Whether every stored forecast row (every column, as `db check` reads the table) passes check_forecast,
    judged by column; False when not sure (then check row by row, which names each problem)."""
    cols = {k: v for k, v in cols.items() if k not in ("_rowid", "os_user")}  # os_user: not a forecast rule
    ids = cols.pop("id", ())
    if not all(type(i) is int for i in ids) or (ids and (min(ids) < 1 or max(ids) > MAX_ROWID)):
        return False
    if set(cols.pop("evidence_ids", ())) - {"[]"} or any(v is not None for v in cols.pop("numeric_input", ())):
        return False  # evidence links or numeric input: row by row
    try:
        return bool(cols) and _columns_valid(cols, now)
    except ForecastsError:
        return False


def _columns_valid(cols: dict[str, tuple], now: datetime) -> bool:
    """Whether every forecast row is valid, judged by column (False: not sure, check row by row)."""
    simple = {"question_id", "forecaster_id", "made_at", "recorded_at", "probability", "probabilities", "rationale",
              "external_id", "source", "cdf"}  # fmt: skip
    if not set(cols) <= simple or any(v is not None for v in (*cols.get("probabilities", ()), *cols.get("cdf", ()))):
        return False
    for v in set(cols.get("question_id", ())):
        question_id(v)
    for v in set(cols.get("forecaster_id", ())):
        forecaster_name(v)
    for fld in ("made_at", "recorded_at"):
        if fld in cols and not stamps_valid(cols[fld], now):
            return False
    ps = cols.get("probability", ())
    if not ps or not all(type(p) is float for p in ps) or not math.isfinite(sum(ps)) or min(ps) < 0 or max(ps) > 1:
        return False  # a categorical row, or a problem: row by row
    for fld in ("rationale", "external_id", "source"):
        values = set(cols.get(fld, ()))
        if not all(type(v) is str for v in values) or any("\x00" in v or len(v) > MAX_TEXT for v in values):
            return False
        if any(CONTROL.search(v) for v in values):
            return False  # a control character: the row check names the field
    return True


def stamps_valid(values: Sequence, now: datetime) -> bool:
    """Canonical UTC timestamps, real dates, in the allowed years, none after `now` (one regex over the distinct
    values joined, each exactly one line of 20 characters: no datetime per value)."""
    unique = set(values)
    try:
        joined = "\n".join(unique) + "\n"
    except TypeError:
        return False  # not all text
    if len(joined) != 21 * len(unique) or not _TS_RUN.fullmatch(joined):
        return False
    if "-02-29T" in joined and any(not calendar.isleap(int(y)) for y in _LEAP_DAY.findall(joined)):
        return False
    lo, hi = min(unique), max(unique)
    return int(lo[:4]) >= YEARS[0] and int(hi[:4]) <= YEARS[1] and hi <= now.strftime("%Y-%m-%dT%H:%M:%SZ")
