"""JSON from outside (imports, evidence files, JSON cells, published heads) read with bounded nesting and size:
a hostile value is one line naming the field, never a RecursionError or a parse that runs out of memory."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.grammar import too_small

MAX_DEPTH = 32  # deeper than any record we read, shallow enough for Python's parser
MAX_CHARS = 10_000_000  # one JSON text (a line of a .jsonl file, a cell, a head file)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class _Refused(ValueError):
    """A JSON number outside what is read (NaN, an infinity, a number too small for a normal float)."""


def _float(text: str) -> float:
    """A JSON number with a fraction or exponent; `1e-400` (read as 0) and subnormals such as `5e-324` are refused,
    as they are in text (forecasts.grammar): a stated chance never silently becomes 0."""
    x = float(text)
    if not math.isfinite(x):
        raise _Refused(f"the number {text[:40]} is too large for a float")
    if too_small(x) or (x == 0.0 and any(c in "123456789" for c in text.lower().split("e")[0])):
        raise _Refused(f"the number {text[:40]} is too small for a float (a nonzero value below 2.2e-308)")
    return x


def _constant(text: str) -> float:
    raise _Refused(f"{text} is not a JSON number (NaN and Infinity are not read)")


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored)."""
    level = deepest = 0
    for m in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if m.group() in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def loads(text: str, fld: str, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS) -> Any:
    """json.loads with the bounds above; a refusal or a syntax error is a ForecastsError naming `fld`."""
    if len(text) > max_chars:
        raise ForecastsError(f"{fld}: the JSON text is {len(text):,} characters; at most {max_chars:,} are read")
    if "[" in text or "{" in text:
        deep = depth(text)
        if deep > max_depth:
            raise ForecastsError(f"{fld}: JSON nested {deep} levels deep; at most {max_depth} are read")
    try:
        return json.loads(text, parse_float=_float, parse_constant=_constant)
    except _Refused as exc:
        raise ForecastsError(f"{fld}: {exc}") from None
    except json.JSONDecodeError as exc:
        shown = repr(text) if len(text) <= 60 else f"{text[:40]!r}… ({len(text)} characters)"
        raise ForecastsError(
            f"{fld}: {shown} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:  # unreachable after the depth check; kept so no traceback can escape
        raise ForecastsError(f"{fld}: JSON nested too deeply; at most {max_depth} levels are read") from None
