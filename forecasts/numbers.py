"""Fixed number formats for people (terminal and report): never `-0.0`, `—` for no value."""

from __future__ import annotations

import math

NONE = "—"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fixed(x: float | None, digits: int = 2) -> str:
    """`x` with `digits` decimals; a value that rounds to zero prints without a minus sign."""
    if _missing(x):
        return NONE
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed(x: float | None, digits: int = 2) -> str:
    """`x` with an explicit sign; zero (and anything that rounds to it) is `+0.00`, never `-0.00`."""
    if _missing(x):
        return NONE
    text = f"{x:+.{digits}f}"
    return "+" + text[1:] if text.startswith("-") and float(text) == 0 else text


def pct(p: float | None, digits: int = 1) -> str:
    """A probability as a percentage: 0.123 → `12.3%`."""
    return NONE if _missing(p) else f"{fixed(100 * p, digits)}%"  # type: ignore[operator]


def pp(delta: float | None, digits: int = 1) -> str:
    """A change of probability in percentage points, signed: `+5.8 pp` (input in probability units)."""
    return NONE if _missing(delta) else f"{signed(100 * delta, digits)} pp"  # type: ignore[operator]


def count(n: int, noun: str) -> str:
    """'1 forecast', '3 forecasts'."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
