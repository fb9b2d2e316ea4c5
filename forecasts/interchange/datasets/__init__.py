"""Readers for public forecasting datasets: each turns a platform's files into question, forecast and resolution
rows of the `forecasts import` formats, which `load` imports in one transaction (docs/imports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecasts.db import Database, write_transaction
from forecasts.errors import ForecastsError

SOURCES = ("forecastbench", "metaculus", "predictionbook")
Rows = list[tuple[int, dict[str, Any]]]


def read_source(source: str, paths: list[Path]) -> list[tuple[str, Path, Rows]]:
    """(kind, file, rows) batches from one source's files, in the order they must be imported."""
    if source == "forecastbench":
        from forecasts.interchange.datasets.forecastbench import read

        return read(paths)
    if source == "metaculus":
        from forecasts.interchange.datasets.metaculus import read

        return read(paths)
    if source == "predictionbook":
        from forecasts.interchange.datasets.predictionbook import read

        return read(paths)
    raise ForecastsError(f"source: {source!r} is not one of {', '.join(SOURCES)}")


def load(db: Database, source: str, paths: list[Path]) -> dict[str, Any]:
    """Import a public dataset's files: questions, then forecasts, then resolutions, all in one transaction."""
    from forecasts.interchange.roundtrip import import_records

    if not paths:
        raise ForecastsError("files: give the dataset's files")
    batches = read_source(source, paths)
    out: dict[str, Any] = {"source": source, "files": [str(p) for p in paths]}
    with write_transaction(db):
        for kind, path, rows in batches:
            if kind == "left_out":  # rows a reader could not import, by reason
                for _n, counts in rows:
                    for why, n in counts.items():
                        out.setdefault("left_out", {})[why] = out.get("left_out", {}).get(why, 0) + n
                continue
            if rows:
                result = import_records(db, kind, path, rows)
                totals = out.setdefault(kind, {"imported": 0, "skipped_existing": 0})
                for k in totals:
                    totals[k] += result[k]
    return out
