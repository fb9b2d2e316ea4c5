"""Typing a numeric forecast: `--p10 18 --p50 19.5 --p90 21` (dates as ISO dates), `--below P`, `--above P`
-> the 201-point CDF and the raw input kept beside it. Pure Python (the interactive path imports no numpy)."""

from __future__ import annotations

import re
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.numeric.cdf import cdf_from_percentiles
from forecasts.numeric.scale import Scale

_FLAG = re.compile(r"^--p(\d{1,2})(?:=(.*))?$")


def percentile_args(args: list[str]) -> dict[int, str]:
    """['--p10', '18', '--p90=21'] -> {10: '18', 90: '21'}; anything else is a one-line error."""
    out: dict[int, str] = {}
    i = 0
    while i < len(args):
        m = _FLAG.match(args[i])
        if not m or not 1 <= int(m.group(1)) <= 99:
            raise ForecastsError(f"percentiles: {args[i]!r} is not a percentile flag; use --p1 .. --p99 VALUE")
        pct = int(m.group(1))
        if m.group(2) is not None:
            value = m.group(2)
        elif i + 1 < len(args):
            i += 1
            value = args[i]
        else:
            raise ForecastsError(f"percentiles: --p{pct} needs a value")
        if pct in out:
            raise ForecastsError(f"percentiles: --p{pct} given twice")
        out[pct] = value
        i += 1
    return out


def build_forecast(
    scale: Scale, typed: dict[int, str], below: float | None = None, above: float | None = None
) -> tuple[list[float], dict[str, Any]]:
    """The CDF of a typed percentile table and the input as kept: {"percentiles": {"10": "18", ...}, "below": P,
    "above": P, "method": "metaculus-percentile-table"}."""
    values = {float(p): scale.parse_value(v, f"p{p}") for p, v in typed.items()}
    cdf = cdf_from_percentiles(scale, values, below, above)
    raw: dict[str, Any] = {"method": "metaculus-percentile-table", "percentiles": {str(p): v for p, v in typed.items()}}
    if below is not None:
        raw["below"] = below
    if above is not None:
        raw["above"] = above
    return cdf, raw


def unknown_option(args: list[str]) -> str | None:
    """The first option among `forecast`'s extra arguments that is not a percentile flag (a value after --pNN may
    be negative), for click's usage error; None if there is none."""
    skip = False
    for token in args:
        if skip:
            skip = False
            continue
        m = _FLAG.match(token)
        if m:
            skip = m.group(2) is None
        elif token.startswith("-") and not _NUMBER.match(token):
            return token
    return None


_NUMBER = re.compile(r"^-\d")
