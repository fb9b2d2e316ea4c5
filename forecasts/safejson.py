"""JSON from outside (imports, evidence files, JSON cells, published heads) read with bounded nesting and size:
a hostile value is one line naming the field, never a RecursionError or a parse that runs out of memory."""

from __future__ import annotations

import json
import re
from typing import Any

from forecasts.errors import ForecastsError

MAX_DEPTH = 32  # deeper than any record we read, shallow enough for Python's parser
MAX_CHARS = 10_000_000  # one JSON text (a line of a .jsonl file, a cell, a head file)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ForecastsError(f"{fld}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # unreachable after the depth check; kept so no traceback can escape
        raise ForecastsError(f"{fld}: JSON nested too deeply; at most {max_depth} levels are read") from None
