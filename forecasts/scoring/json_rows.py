"""A score frame's rows as the text `--json` writes, a column at a time: the same bytes as
jsonstream.write_array(leaderboard.iter_records(frame)), without a dict and a call per value (950,000 score rows of
35 fields were most of `score --json`'s time). Float, integer, boolean and all-text columns are rendered by C
functions over the column and joined per row; a chunk with any other column takes the per-row path."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

import numpy as np
import pandas as pd

from forecasts.jsonstream import _row
from forecasts.scoring.leaderboard import records


def json_rows(frame: pd.DataFrame, chunk: int = 20_000) -> Iterator[str]:
    """Each row of `frame` as jsonstream writes it ("  {" ... "  }", keys sorted), `chunk` rows at a time."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        texts = _columns(part)
        yield from texts if texts is not None else map(_row, records(part))


def _columns(part: pd.DataFrame) -> Iterable[str] | None:
    """The chunk's rows rendered by column; None when a column needs the per-row path."""
    keys = list(part.columns)
    if not keys or not all(type(k) is str for k in keys) or len(set(keys)) < len(keys):
        return None
    pieces: list[str | Iterable[str]] = ["  {\n    "]
    for i, key in enumerate(sorted(keys)):
        values = _values(part[key])
        if values is None:
            return None
        pieces += [("" if i == 0 else ",\n    ") + encode_basestring(key) + ": ", values]
    pieces.append("\n  }")
    merged: list[Iterable[str]] = []
    for fixed, group in itertools.groupby(pieces, key=lambda p: isinstance(p, str)):
        items = list(group)
        merged += [itertools.repeat("".join(items), len(part))] if fixed else items  # type: ignore[arg-type]
    return map("".join, zip(*merged, strict=False))


def _values(column: pd.Series) -> list[str] | None:
    """A column's values as JSON text (NaN and infinities null), or None for a kind rendered per row."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind == "f":
        array = column.to_numpy()
        texts = list(map(float.__repr__, array.tolist()))
        for i in np.flatnonzero(~np.isfinite(array)).tolist():
            texts[i] = "null"
        return texts
    if kind in ("i", "u"):
        return list(map(int.__repr__, column.tolist()))
    if kind == "b":
        return ["true" if v else "false" for v in column.tolist()]
    if kind in ("O", ""):  # object or pandas' own string column: text only (None, NaN or anything else: per row)
        values = column.tolist()
        if set(map(type, values)) == {str}:
            return list(map(encode_basestring, values))
    return None
