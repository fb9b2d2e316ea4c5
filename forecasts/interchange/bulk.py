"""A forecasts CSV checked column by column, a chunk at a time: the fast path of `forecasts import FILE.csv` for large
plain files, with memory bounded by a chunk however long the file.

The per-row checks in forecasts.interchange.roundtrip stay the rules. This path reads the CSV with pandas' C parser in
chunks and applies the same checks to whole columns, but only to plain input: canonical UTC timestamps
(`2025-01-20T14:30:00Z`), binary questions with a number from 0 to 1, known questions and forecasters, one line per
row. Anything else (a problem, or input the per-row path would normalise) rolls the transaction back and returns
None, and the per-row path runs, so error messages and results are the same either way; only the time differs. All
chunks are written in one transaction (all or nothing); the hash chain is computed in it as for every write.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.grammar import PROBABILITY_SOURCE
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import YEARS, now_utc, to_iso

PLAIN_COLUMNS = {"question", "forecaster", "made_at", "probability", "source", "external_id", "rationale"}
MIN_ROWS = 10_000  # below this the per-row path is as quick
CHUNK_ROWS = 100_000  # rows read, checked and inserted at a time: bounds the import's memory
BLOCK = 1 << 23  # bytes read at a time by the pre-scan
ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class _PerRow(Exception):
    """Raised inside the transaction when the per-row path must decide (rolls back what was written)."""


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _data_lines(path: Path) -> int | None:
    """Data lines after the header (trailing line breaks aside), read a block at a time; None for quoted cells or
    a bare carriage return (input the per-row path must read)."""
    newlines = trailing = 0
    carry_cr = False  # the last block ended in CR: the next must start with LF
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            if b'"' in block or (carry_cr and not block.startswith(b"\n")):
                return None
            carry_cr = block.endswith(b"\r")
            body = block[:-1] if carry_cr else block
            if body.count(b"\r") != body.count(b"\r\n"):
                return None
            newlines += block.count(b"\n")
            kept = block.rstrip(b"\r\n")
            trailing = trailing + block.count(b"\n") if not kept else block[len(kept) :].count(b"\n")
    return None if carry_cr else newlines - trailing


def import_forecasts_csv(db: Database, path: Path) -> dict[str, Any] | None:
    """Import a plain forecasts CSV with whole-column checks; None when the per-row path must decide."""
    header = _header(path)
    if not header or "forecaster" not in header or not set(header) <= PLAIN_COLUMNS or len(set(header)) < len(header):
        return None
    lines = _data_lines(path)
    if lines is None or lines < MIN_ROWS:
        return None  # small files, quoted or multi-line cells: per row
    import pandas as pd

    try:
        with write_transaction(db):
            return _Import(db, path).run(pd, header, lines)
    except (_PerRow, ValueError, UnicodeDecodeError, pd.errors.ParserError, sqlite3.IntegrityError):
        return None


class _Import:
    """One streaming import: what is known about questions and forecasters, carried from chunk to chunk."""

    def __init__(self, db: Database, path: Path) -> None:
        from forecasts.external import IdMap
        from forecasts.forecasters import os_user
        from forecasts.interchange.rows import question_index
        from forecasts.resolution import all_resolutions

        self.db, self.path = db, path
        self.questions = question_index(db)
        self.resolved = all_resolutions(db)
        self.qids, self.fids = IdMap(db, "questions"), IdMap(db, "forecasters")
        self.known = {r[0]: r[1] for r in db.conn.execute("SELECT id, kind FROM forecasters")}
        self.canonical = {name.lower(): name for name in self.known}  # names are unique regardless of case
        self.new_forecasters: dict[str, str] = {}
        self.external: dict[str, tuple[str, str]] = {}
        self.written: set[str] = set()  # new forecasters already inserted
        self.qmap: dict[tuple[str, str], Any] = {}
        self.fmap: dict[tuple[str, str], str] = {}
        self.now = now_utc()
        self.now_iso = to_iso(self.now)
        self.user = os_user()
        (self.start,) = db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM forecasts").fetchone()
        (self.present,) = db.conn.execute("SELECT COUNT(*) FROM forecasts").fetchone()

    def run(self, pd: Any, header: list[str], lines: int) -> dict[str, Any]:
        from forecasts.interchange.rows import bulk_page_cache, indexes_built_after

        reader = pd.read_csv(self.path, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="c",
                             chunksize=CHUNK_ROWS)  # fmt: skip
        seen = imported = 0
        if self.present:
            self.db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS bulk_keys (q TEXT, f TEXT, m TEXT)")
        with (
            bulk_page_cache(self.db, lines),
            indexes_built_after(self.db, "forecasts", lines if not self.present else 0),
        ):
            for df in reader:
                if df.isna().to_numpy().any() or list(df.columns) != header:
                    raise _PerRow
                imported += self._chunk(pd, df, seen)
                seen += len(df)
        if seen != lines:
            raise _PerRow  # a blank line or a row the parser joined: the per-row path reads it
        dup = self.db.conn.execute(
            "SELECT 1 FROM forecasts WHERE id > ? GROUP BY question_id, forecaster_id, made_at HAVING COUNT(*) > 1 "
            "LIMIT 1",
            [self.start],
        ).fetchone()
        if dup:
            raise _PerRow  # a forecaster with two forecasts on a question at one instant in the file
        if self.present:
            self.db.conn.execute("DROP TABLE temp.bulk_keys")
        return {
            "kind": "forecasts",
            "file": str(self.path),
            "imported": imported,
            "skipped_existing": seen - imported,
            "new_forecasters": sorted(self.new_forecasters),
        }

    def _chunk(self, pd: Any, df: Any, first: int) -> int:
        """Check and insert one chunk (rows `first`.. of the file); the number inserted."""
        from forecasts.interchange.rows import (
            FORECAST_FIELDS,
            FORECASTER_FIELDS,
            checked_record,
            row_forecaster,
            row_question,
        )
        from forecasts.validation import MAX_TEXT, check_forecast_rows

        n = len(df)
        blank = pd.Series([""] * n, index=df.index)
        text = {c: df[c] if c in df.columns else blank for c in PLAIN_COLUMNS}
        for c in ("source", "external_id", "rationale"):
            col = text[c]
            if (col.str.len() > MAX_TEXT).any() or col.str.contains("\x00", regex=False).any():
                raise _PerRow
            if (col != col.str.strip()).any():
                raise _PerRow
        try:
            for source, q in pd.MultiIndex.from_arrays([text["source"], text["question"]]).unique():
                if (source, q) not in self.qmap:
                    self.qmap[(source, q)] = row_question({"question": q}, self.questions, "", self.qids, source)
            for source, f in pd.MultiIndex.from_arrays([text["source"], text["forecaster"]]).unique():
                if (source, f) not in self.fmap:
                    self.fmap[(source, f)] = row_forecaster(
                        {"forecaster": f}, "", source, self.known, self.new_forecasters, self.external, self.fids,
                        self.canonical,
                    )  # fmt: skip
        except ForecastsError:
            raise _PerRow from None
        sources, questions = text["source"].tolist(), text["question"].tolist()
        qinfo = [self.qmap[k] for k in zip(sources, questions, strict=True)]
        if any(not q.is_binary for q in qinfo):
            raise _PerRow
        names = [self.fmap[k] for k in zip(sources, text["forecaster"].tolist(), strict=True)]
        made = text["made_at"]
        stamps = pd.to_datetime(made, format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
        if not made.str.fullmatch(ISO_Z).all() or stamps.isna().any():
            raise _PerRow
        years = stamps.dt.year
        if not ((years >= YEARS[0]) & (years <= YEARS[1])).all():
            raise _PerRow
        made_list = made.tolist()
        for m, q in zip(made_list, qinfo, strict=True):
            known_at = (self.resolved.get(q.id) or {}).get("known_at") or "\uffff"
            if not (m <= self.now_iso and q.opens_at <= m < q.closes_at and m < known_at):
                raise _PerRow
        if not text["probability"].str.fullmatch(PROBABILITY_SOURCE, flags=re.ASCII).all():
            raise _PerRow  # outside the one probability grammar: the per-row path names the line and the rule
        p = pd.to_numeric(text["probability"].str.rstrip("%"), errors="coerce")
        p = p.where(~text["probability"].str.endswith("%"), p / 100.0)
        if p.isna().any() or not ((p >= 0.0) & (p <= 1.0)).all():
            raise _PerRow
        zero = (p == 0.0).to_numpy()
        if zero.any() and text["probability"][zero].str.lower().str.split("e").str[0].str.contains("[1-9]").any():
            raise _PerRow  # a positive number too small for a float (1e-400): the per-row path refuses it
        if ((p > 0.0) & (p < sys.float_info.min)).any():
            raise _PerRow  # a subnormal (5e-324), outside the one probability grammar: the per-row path refuses it
        qcol = [q.id for q in qinfo]
        if pd.MultiIndex.from_arrays([qcol, names, made_list]).has_duplicates:
            raise _PerRow
        out = list(zip(qcol, names, made_list, [self.now_iso] * n, p.astype(float).tolist(), [None] * n,
                       text["rationale"].tolist(), text["external_id"].tolist(), sources, [None] * n,
                       strict=True))  # fmt: skip
        for name in self.new_forecasters.keys() - self.written:
            row = (name, self.new_forecasters[name], self.now_iso, *self.external.get(name, ("", "")))
            checked_record(f"{self.path}", "forecasters", dict(zip(FORECASTER_FIELDS, row, strict=True)), self.now)
            self.db.conn.execute(
                "INSERT OR IGNORE INTO forecasters (id, kind, created_at, source, external_id, os_user) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [*row, self.user],
            )
            self.written.add(name)
        check_forecast_rows(out, FORECAST_FIELDS, self.now, lambda i: f"{self.path}:{first + i + 2}")
        new = self._new(out, first) if self.present else out
        self.db.conn.executemany(
            "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability, probabilities, "
            "rationale, external_id, source, cdf, evidence_ids, os_user) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
            [(*row, self.user) for row in new],
        )
        return len(new)

    def _new(self, out: list[tuple], first: int) -> list[tuple]:
        """The chunk's rows not recorded before this import; one that differs from a recorded one is an error."""
        from forecasts.interchange.rows import conflict

        conn = self.db.conn
        conn.execute("DELETE FROM temp.bulk_keys")
        conn.executemany("INSERT INTO temp.bulk_keys VALUES (?, ?, ?)", [r[:3] for r in out])
        existing: dict[tuple[str, str, str], list[tuple]] = {}
        sql = """SELECT k.q, k.f, k.m, t.probability, t.probabilities, t.cdf FROM temp.bulk_keys k
                 JOIN forecasts t ON t.question_id = k.q AND t.forecaster_id = k.f AND t.made_at = k.m
                 WHERE t.id <= ?"""
        for q, f, m, p, ps, cdf in conn.execute(sql, [self.start]):
            existing.setdefault((q, f, m), []).append((p, ps, cdf))
        if not existing:
            return out
        line = {row[:3]: first + i + 2 for i, row in enumerate(out)}
        return conflict(self.path, out, existing, line.__getitem__)
