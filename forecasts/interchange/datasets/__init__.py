"""Readers for public forecasting datasets: each turns a platform's files into question, forecast and resolution
rows of the `forecasts import` formats, which `load` imports in one transaction (docs/imports.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.interchange.datasets.tally import Tally
from forecasts.store.db import Database, write_transaction

SOURCES = ("forecastbench", "metaculus", "predictionbook")
Rows = list[tuple[int, dict[str, Any]]]


def read_source(source: str, paths: list[Path], tally: Tally | None = None) -> list[tuple[str, Path, Rows]]:
    """(kind, file, rows) batches from one source's files, in the order they must be imported; `tally` counts
    what the reader read, merged and left out."""
    if source == "forecastbench":
        from forecasts.interchange.datasets.forecastbench import read

        return read(paths, tally)
    if source == "metaculus":
        from forecasts.interchange.datasets.metaculus import read

        return read(paths, tally)
    if source == "predictionbook":
        from forecasts.interchange.datasets.predictionbook import read

        return read(paths, tally)
    raise ForecastsError(f"source: {source!r} is not one of {', '.join(SOURCES)}")


def load(db: Database, source: str, paths: list[Path]) -> dict[str, Any]:
    """Import a public dataset's files: questions, then forecasts, then resolutions, all in one transaction.

    Per kind: `read` (records in the files), `rows` (rows the reader made of them), `imported`,
    `skipped_existing`, and `merged`, `left_out`, `notes` ({reason: count}) for what the reader did (issue 25)."""

    if not paths:
        raise ForecastsError("files: give the dataset's files")
    tally = Tally()
    batches = read_source(source, paths, tally)
    out: dict[str, Any] = {"source": source, "files": [str(p) for p in paths]}
    with write_transaction(db):
        for kind, path, rows in batches:
            totals = out.setdefault(kind, {"read": 0, "rows": 0, "imported": 0, "skipped_existing": 0})
            totals["rows"] += len(rows)
            numeric = [row for row in rows if _is_numeric(kind, row[1])]
            if numeric and kind != "resolutions":  # the numeric and date rows' own counts, imported on their own
                rows = [row for row in rows if not _is_numeric(kind, row[1])]
                counts = totals.setdefault("numeric", {"rows": 0, "imported": 0, "skipped_existing": 0})
                counts["rows"] += len(numeric)
                for k, n in _import(db, kind, path, numeric).items():
                    totals[k] += n
                    counts[k] += n
            for k, n in _import(db, kind, path, rows).items():
                totals[k] += n
    for kind in ("questions", "forecasts", "resolutions"):
        counts = tally.kinds.get(kind, {"read": 0, "merged": {}, "left_out": {}, "notes": {}})
        totals = out.setdefault(kind, {"read": 0, "rows": 0, "imported": 0, "skipped_existing": 0})
        totals.update(counts)
    return out


def _is_numeric(kind: str, row: dict[str, Any]) -> bool:
    """A numeric or date question's row (a question of that type, a forecast with a CDF)."""
    return row.get("type") in ("numeric", "date") if kind == "questions" else kind == "forecasts" and "cdf" in row


def _import(db: Database, kind: str, path: Path, rows: Rows) -> dict[str, int]:
    """import_records on one batch: its imported and skipped_existing counts."""
    from forecasts.interchange.roundtrip import import_records

    if not rows:
        return {"imported": 0, "skipped_existing": 0}
    try:
        result = import_records(db, kind, path, rows)
    except ForecastsError as exc:
        raise _in_records(exc, path) if path.suffix.lower() == ".json" else exc from None
    return {k: result[k] for k in ("imported", "skipped_existing")}


def _in_records(exc: ForecastsError, path: Path) -> ForecastsError:
    """The error with JSON positions named as records: `file: record N:`, not `file:N:` or `line N` (a
    JSON set's rows are the records of its list, counted from 1)."""
    text = re.sub(rf"^{re.escape(str(path))}:(\d+):", lambda m: f"{path}: record {m[1]}:", str(exc))
    text = re.sub(r"\bon line (\d+)", r"at record \1", text)
    return ForecastsError(re.sub(r"\bline (\d+)", r"record \1", text))


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The terminal lines of an import's counts: per kind, what was read, imported, merged and left out, and why."""
    lines = []
    for kind in ("questions", "forecasts", "resolutions"):
        if kind not in result:
            continue
        r = result[kind]
        lines.append(f"{kind}: {r['read']} read, {r['imported']} imported, {r['skipped_existing']} already present")
        if r.get("numeric"):
            num = r["numeric"]
            lines.append(
                f"  of them numeric or date: {num['imported']} imported, {num['skipped_existing']} already present"
            )
        for label, key in (("merged", "merged"), ("left out", "left_out"), ("changed", "notes")):
            for reason, n in sorted(r.get(key, {}).items()):
                lines.append(f"  {n} {label}: {reason}")
    return lines
