"""The fields of a numeric or date question file: range, bounds, axis, unit and the prior distribution.

Checked at load with `file: field: problem` lines (forecasts.questions collects them); stored as JSON in
questions.numeric (dates as Unix seconds, so the maths needs no date parsing)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.timeutil import parse_datetime

NUMERIC_TYPES = ("numeric", "date")
NUMERIC_FIELDS = ("range_min", "range_max", "open_lower_bound", "open_upper_bound", "scale", "zero_point", "unit")
SCALES = ("linear", "log")
DISTRIBUTIONS = {"normal": ("mean", "sd"), "lognormal": ("mu", "sigma"), "uniform": ("low", "high")}
MODEL_KEYS = ("drift", "drift_sd", "step_sd")  # the local-level model's parameters (forecasts.numeric.kalman)


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _bound(value: Any, qtype: str, fld: str, add: Any) -> float | None:
    if value is None:
        add(fld, "is required for numeric and date questions")
        return None
    if qtype == "date":
        if not isinstance(value, str | date | datetime):
            add(fld, f"must be a date such as 2027-06-30, got {value!r}")
            return None
        try:
            return parse_datetime(value, fld).timestamp()
        except ForecastsError:
            add(fld, f"{value!r} is not a date; use ISO-8601 such as 2027-06-30")
            return None
    if not _finite(value):
        add(fld, f"must be a finite number, got {value!r}")
        return None
    return float(value)


def parse_spec(data: dict, qtype: str, add: Any) -> dict[str, Any]:
    """The numeric spec of a question file; `add(field, problem)` records each mistake."""
    lo = _bound(data.get("range_min"), qtype, "range_min", add)
    hi = _bound(data.get("range_max"), qtype, "range_max", add)
    if lo is not None and hi is not None and not hi > lo:
        add("range_max", "must be greater than range_min")
    spec: dict[str, Any] = {"range_min": lo, "range_max": hi}
    for key in ("open_lower_bound", "open_upper_bound"):
        value = data.get(key, False)
        if not isinstance(value, bool):
            add(key, "must be true or false")
        spec[key] = bool(value)
    axis = data.get("scale", "linear")
    if axis not in SCALES:
        add("scale", f"{axis!r} is not one of: {', '.join(SCALES)}")
    zero = data.get("zero_point")
    if axis == "log":
        if qtype == "date":
            add("scale", "date questions take a linear axis")
        zero = 0.0 if zero is None else zero
        if not _finite(zero):
            add("zero_point", f"must be a finite number, got {zero!r}")
        elif lo is not None and hi is not None and lo <= zero <= hi:
            add("zero_point", f"must lie outside the range [{lo:g}, {hi:g}] (the log axis is 0 there)")
        spec["zero_point"] = float(zero) if _finite(zero) else None
    else:
        if zero is not None:
            add("zero_point", 'only a log axis takes a zero_point (scale = "log")')
        spec["zero_point"] = None
    spec["scale"] = axis
    unit = data.get("unit", "")
    if not isinstance(unit, str) or len(unit) > 40:
        add("unit", "must be a short text such as '%' or 'km2'")
        unit = ""
    spec["unit"] = unit
    return spec


def parse_prior(raw: dict, qtype: str, spec: dict[str, Any], add: Any) -> dict[str, Any]:
    """A numeric prior: a distribution with its parameters (dates: the mean as a date, sd in days), plus the
    reference and reasoning, and optional local-level model keys (drift, drift_sd, step_sd per day)."""
    kind = raw.get("distribution")
    out: dict[str, Any] = {"reference": str(raw.get("reference", "")),
                           "reasoning": str(raw.get("reasoning", raw.get("note", "")))}  # fmt: skip
    if kind not in DISTRIBUTIONS:
        add("prior.distribution", f"{kind!r} is not one of: {', '.join(DISTRIBUTIONS)}")
        return {}
    out["kind"] = kind
    for key in DISTRIBUTIONS[kind]:
        value = raw.get(key)
        if qtype == "date" and key in ("mean", "low", "high") and isinstance(value, str | date | datetime):
            try:
                value = parse_datetime(value, f"prior.{key}").timestamp()
            except ForecastsError:
                add(f"prior.{key}", f"{value!r} is not a date")
                return {}
        elif qtype == "date" and key == "sd" and _finite(value):
            value = float(value) * 86400.0  # typed in days
        if not _finite(value):
            add(f"prior.{key}", f"must be a finite number, got {value!r}")
            return {}
        out[key] = float(value)
    if kind in ("normal",) and out["sd"] <= 0:
        add("prior.sd", "must be positive")
    if kind == "lognormal" and out["sigma"] <= 0:
        add("prior.sigma", "must be positive")
    if kind == "uniform" and not out["high"] > out["low"]:
        add("prior.high", "must be greater than low")
    for key in MODEL_KEYS:
        if key in raw:
            value = raw[key]
            if not _finite(value) or (key != "drift" and value < 0):
                add(f"prior.{key}", f"must be a finite number{'' if key == 'drift' else ' >= 0'}, got {value!r}")
            else:
                out[key] = float(value)
    unknown = set(raw) - {"distribution", "reference", "reasoning", "note", *DISTRIBUTIONS[kind], *MODEL_KEYS}
    for key in sorted(unknown):
        add(f"prior.{key}", f"unknown for a {kind} prior; allowed: {', '.join(DISTRIBUTIONS[kind] + MODEL_KEYS)}")
    if not out["reasoning"]:
        add("prior.reasoning", "a numeric prior needs its reasoning")
    return out


def check_stored_spec(spec: dict[str, Any]) -> None:
    """A stored spec (questions.numeric): finite increasing range, booleans, a zero point outside the range."""
    lo, hi = spec.get("range_min"), spec.get("range_max")
    if not (_finite(lo) and _finite(hi) and hi > lo):
        raise ForecastsError("numeric: range_min and range_max must be finite with range_max > range_min")
    for key in ("open_lower_bound", "open_upper_bound"):
        if not isinstance(spec.get(key), bool):
            raise ForecastsError(f"numeric.{key}: must be true or false")
    zero = spec.get("zero_point")
    if zero is not None and (not _finite(zero) or lo <= zero <= hi):
        raise ForecastsError("numeric.zero_point: must be a finite number outside the range")


def prior_quantile(prior: dict[str, Any], percent: float) -> float:
    """A percentile of the prior distribution (statistics.NormalDist: pure Python)."""
    from statistics import NormalDist

    q = percent / 100
    if prior["kind"] == "normal":
        return NormalDist(prior["mean"], prior["sd"]).inv_cdf(q)
    if prior["kind"] == "lognormal":
        return math.exp(NormalDist(prior["mu"], prior["sigma"]).inv_cdf(q))
    return prior["low"] + (prior["high"] - prior["low"]) * q
