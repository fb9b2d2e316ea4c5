"""Reading a typed probability: `0.12` and `12%` mean the same thing wherever a person types one."""

from __future__ import annotations

import math

EXAMPLE = "0.35 or 35%"


def read_probability(value: str | float) -> float:
    """A number, or a number followed by `%` (divided by 100); NaN for anything else (the caller names the field)."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"):
        return math.nan
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 100.0
    try:
        return float(text) / scale
    except ValueError:
        return math.nan
