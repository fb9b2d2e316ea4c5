"""A JSON array written as it is made: the same bytes as `json.dumps(rows, indent=2, sort_keys=True,
ensure_ascii=False, allow_nan=False, default=str)` with NaN and infinities as null (the CLI's `--json`), one row at
a time, so a million score rows need the memory of one. Flat values are encoded by the C encoder's pieces (no
per-row indenting encoder, which is what made `score --json` slow); nested values take json.dumps.
Standard library only: interactive commands (forecast-list) import it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring  # the C string encoder when available, ensure_ascii=False
from typing import Any

_FIELD_INDENT = "\n    "  # a row's fields sit at depth 2


def finite(obj: Any) -> Any:
    """NaN and infinities (no value) become None, at any depth, so the output is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def _value(v: Any) -> str:
    """One field's value as json.dumps writes it at depth 2 of an indented array of objects."""
    if v is None:
        return "null"
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if t is float:
        return float.__repr__(v) if math.isfinite(v) else "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    text = json.dumps(finite(v), indent=2, sort_keys=True, default=str, ensure_ascii=False, allow_nan=False)
    return text.replace("\n", _FIELD_INDENT)  # JSON strings hold no raw line breaks


def _row(row: Any) -> str:
    if not isinstance(row, dict):
        return "  " + json.dumps(finite(row), indent=2, sort_keys=True, default=str, ensure_ascii=False,
                                 allow_nan=False).replace("\n", "\n  ")  # fmt: skip
    if not row:
        return "  {}"
    if not all(type(k) is str for k in row):
        return "  " + json.dumps(finite(row), indent=2, sort_keys=True, default=str, ensure_ascii=False,
                                 allow_nan=False).replace("\n", "\n  ")  # fmt: skip
    fields = ",\n    ".join(f"{encode_basestring(k)}: {_value(row[k])}" for k in sorted(row))
    return "  {\n    " + fields + "\n  }"


def write_array(rows: Iterable[Any], write: Callable[[str], Any], batch: int = 2000) -> int:
    """Write `rows` as an indented JSON array (then a line break), `batch` rows per write; the number written."""
    return write_texts(map(_row, rows), write, batch)


def write_texts(texts: Iterable[str], write: Callable[[str], Any], batch: int = 2000) -> int:
    """write_array for rows already written as text (each as _row writes it: "  {...}" indented), for a caller that
    renders a whole column at a time (forecasts.scoring.json_rows)."""
    n = 0
    pending: list[str] = []
    for text in texts:
        pending.append(text)
        n += 1
        if len(pending) >= batch:
            write(("[\n" if n == len(pending) else ",\n") + ",\n".join(pending))
            pending = []
    if pending:
        write(("[\n" if n == len(pending) else ",\n") + ",\n".join(pending))
    write("[]\n" if n == 0 else "\n]\n")
    return n
