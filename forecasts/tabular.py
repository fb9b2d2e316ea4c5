"""Reading .csv and .jsonl files of records, with line numbers for `file:line: field: problem` errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.safejson import loads

# The csv module refuses fields over 128 KiB, so a long text failed there on CSV but was judged by the text rule
# (forecasts.validation.MAX_TEXT) on every other path; with no field limit CSV meets the same rule, and an
# export's long machine columns (JSON of scenario draws) read back.
CSV_FIELD_LIMIT = 1 << 30


def read_text(path: Path) -> str:
    """A file's UTF-8 text (BOM dropped); a missing, binary or non-UTF-8 file is a user error naming the line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ForecastsError(f"file: {path} does not exist") from None
    except IsADirectoryError:
        raise ForecastsError(f"file: {path} is a directory") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ForecastsError(f"{path}:{line}: file: is not UTF-8 text (byte {exc.start})") from None
    return text.removeprefix("\ufeff")


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """A .csv or .jsonl file → (columns seen, [(line number, record)]); CSV cells stay raw text."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ForecastsError(f"file: {path.name}: format must be .csv or .jsonl")
    text = read_text(path)
    records: list[tuple[int, dict[str, Any]]] = []
    if suffix == ".jsonl":
        columns: list[str] = []
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            rec = loads(line, f"{path}:{n}: json")
            if not isinstance(rec, dict):
                raise ForecastsError(f"{path}:{n}: json: each line must be an object")
            columns.extend(k for k in rec if k not in columns)
            records.append((n, rec))
        return columns, records
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ForecastsError(f"{path}:1: header: the file is empty; the first row must name the columns")
        header = [h.strip() for h in header]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise ForecastsError(f"{path}:1: header: column {dupes[0]!r} appears twice")
        start = reader.line_num + 1
        for row in reader:
            if row:
                if len(row) != len(header):
                    raise ForecastsError(f"{path}:{start}: row: has {len(row)} fields; the header has {len(header)}")
                records.append((start, dict(zip(header, row, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ForecastsError(f"{path}:{reader.line_num}: csv: {exc}") from None
    return header, records
