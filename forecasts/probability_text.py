"""Reading a typed probability: `0.12` and `12%` mean the same thing wherever one is written (forecasts.grammar)."""

from __future__ import annotations

import math

from forecasts.grammar import EXAMPLE, probability_text

__all__ = ["EXAMPLE", "read_probability"]


def read_probability(value: str | float) -> float:
    """A number, or text in the one probability grammar (`0.35`, `35%`); NaN for anything else (the caller names
    the field). A float too small to be normal reads as NaN too (it cannot be kept exactly)."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    p = probability_text(value)
    return math.nan if p is None else p
