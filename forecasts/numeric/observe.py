"""Evidence on a numeric or date question is an observation of its quantity: a link with `value` and `sd` (the
question's units; for a date question the value is an ISO date and sd is in days) instead of a likelihood ratio."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from forecasts.errors import ForecastsError

DAY = 86400.0


def _sd(raw: Any) -> float:
    try:
        sd = math.nan if isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError, OverflowError):
        sd = math.nan
    if not (math.isfinite(sd) and sd > 0):
        raise ForecastsError(f"sd: {raw!r} must be a positive number (the observation's standard error)")
    return sd


def link_from_record(lk: dict[str, Any], fields: tuple[str, ...], reasoning: str) -> Any:
    """An imported observation link: question, value, sd, reasoning (no lr, grade or outcome)."""
    from forecasts.link_spec import LinkSpec

    unknown = [k for k in lk if k not in fields]
    if unknown:
        raise ForecastsError(f"{unknown[0]}: unknown link field; allowed: {', '.join(fields)}")
    for key in ("lr", "grade", "lr_sd", "outcome"):
        if lk.get(key) not in (None, ""):
            raise ForecastsError(f"{key}: an observation (value) of {lk['question']!r} takes no {key}")
    if lk.get("sd") in (None, ""):
        raise ForecastsError(f"sd: the observation of {lk['question']!r} needs its standard error")
    return LinkSpec(question_id=str(lk["question"]), log_lr=0.0, value=lk["value"], value_sd=_sd(lk["sd"]),
                    reasoning=reasoning)  # fmt: skip


def check_observation(q: Any, spec: Any) -> None:
    """A link to a numeric question must be an observation, and an observation needs a numeric question."""
    if not q.is_numeric:
        raise ForecastsError(f"value: {q.id!r} is {q.type}: an observed value is for numeric and date questions")
    if spec.value is None:
        raise ForecastsError(f"value: {q.id!r} is a {q.type} question: give the observed value and its sd")
    if spec.outcome is not None or spec.log_lr != 0.0:
        raise ForecastsError(f"lr: an observation of {q.id!r} takes no likelihood ratio or outcome")
    q.scale.parse_value(spec.value, "value")
    _sd(spec.value_sd)


def stored_links(questions: dict[str, Any], links: list[Any]) -> list[Any]:
    """Observation links as stored: the value on the question's scale (dates: Unix seconds, sd in seconds)."""
    out = []
    for spec in links:
        q = questions[spec.question_id]
        if q.is_numeric and isinstance(spec.value, str | int | float) and not isinstance(spec.value, bool):
            value = q.scale.parse_value(spec.value, "value")
            sd = _sd(spec.value_sd) * (DAY if q.scale.is_date else 1.0)
            spec = replace(spec, value=value, value_sd=sd)
        out.append(spec)
    return out


def observation_specs(
    question_ids: list[str], values: list[str], sds: list[str], reasoning: str = ""
) -> tuple[list[Any], list[str]]:
    """CLI `--value Q=V` (repeatable) and `--sd S` or `--sd Q=S` -> observation links, and the question ids left
    for `--lr`/`--grade`."""
    from forecasts.link_spec import LinkSpec

    def pairs(raw: list[str], fld: str) -> dict[str | None, str]:
        out: dict[str | None, str] = {}
        for item in raw:
            qid, sep, v = item.partition("=")
            key = qid.strip() if sep else None
            if key is not None and key not in question_ids:
                raise ForecastsError(f"{fld}: {item!r} names {key!r}, which is not among the questions given")
            out[key] = (v if sep else qid).strip()
        return out

    given, errors = pairs(values, "value"), pairs(sds, "sd")
    if None in given:
        if len(question_ids) != 1:
            raise ForecastsError("value: with several questions, give --value QUESTION=VALUE for each")
        given = {question_ids[0]: given.pop(None)}
    specs = []
    for qid, value in given.items():
        sd = errors.get(qid, errors.get(None))
        if sd is None:
            raise ForecastsError(f"sd: the observation of {qid!r} needs its standard error: --sd {qid}=SD")
        specs.append(LinkSpec(question_id=qid, log_lr=0.0, value=value, value_sd=_sd(sd), reasoning=reasoning))
    return specs, [q for q in question_ids if q not in given]
