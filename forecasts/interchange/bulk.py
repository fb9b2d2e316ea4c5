"""A forecasts CSV checked column by column, a chunk at a time: the fast path of `forecasts import FILE.csv` for large
plain files, with memory bounded by a chunk however long the file.

The per-row checks in forecasts.interchange.roundtrip stay the rules. This path reads the CSV with the csv module
in chunks, turns each chunk into columns and applies the same checks to whole columns (a value shared by many rows
checked once), but only to plain input: canonical UTC timestamps (`2025-01-20T14:30:00Z`), binary questions with
a probability in the one grammar, known questions and forecasters, one line per row. Anything else (a problem, or
input the per-row path would normalise) rolls the transaction back and returns None, and the per-row path runs, so
error messages and results are the same either way; only the time differs. All chunks are written in one
transaction (all or nothing). Each chunk is inserted with explicit ids and hash-chained from the values it
inserted (forecasts.store.ledger.chain_columns: the same bytes as reading the rows back); the per-row foreign-key
checks and insert triggers, which repeat what was checked here, are off for the load (forecasts.store.bulk_load).
"""

from __future__ import annotations

import csv
import itertools
import operator
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import now_utc, to_iso

PLAIN_COLUMNS = {"question", "forecaster", "made_at", "probability", "source", "external_id", "rationale"}
TEXT_COLUMNS = ("source", "external_id", "rationale")
MIN_ROWS = 10_000  # below this the per-row path is as quick
CHUNK_ROWS = 100_000  # rows read, checked and inserted at a time: bounds the import's memory
BLOCK = 1 << 23  # bytes read at a time by the pre-scan
CACHE_KIB = 65_536  # SQLite's page cache (and sorter) for a load into an empty table, whose index is built after
INSERT = (
    "INSERT INTO forecasts (id, question_id, forecaster_id, made_at, recorded_at, probability, rationale, "
    "external_id, source, os_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


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
    from forecasts.store.bulk_load import foreign_keys_off

    try:
        with foreign_keys_off(db), write_transaction(db):
            return _Import(db, path).run(header, lines)
    except (_PerRow, ValueError, UnicodeDecodeError, csv.Error, sqlite3.IntegrityError):
        return None


def _columns(lines: list[str], width: int) -> list[list[str]]:
    """A chunk of CSV lines as its columns. The pre-scan found no quote and no bare carriage return in the file, so
    the csv module would split each line at its commas: so does this, a whole chunk at once (one split, then a
    slice per column), after checking every line has the header's number of cells."""
    if any(c != width - 1 for c in map(operator.methodcaller("count", ","), lines)):
        raise _PerRow  # a blank line or a row with more or fewer cells: the per-row path names it
    text = "".join(lines)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    cells = text.removesuffix("\n").replace("\n", ",").split(",")
    return [cells[i::width] for i in range(width)]


def _distinct(sources: Sequence[str], cells: Sequence[str]) -> set[tuple[str, str]]:
    """The distinct (source, cell) pairs of a chunk (quick when the chunk has one source)."""
    distinct = set(sources)
    if len(distinct) == 1:
        (source,) = distinct
        return {(source, cell) for cell in set(cells)}
    return set(zip(sources, cells, strict=True))


def _lookup(found: dict[tuple[str, str], str], sources: Sequence[str], cells: Sequence[str]) -> list[str]:
    """Each row's (source, cell) looked up in `found`; by the cell alone when the chunk has one source (often)."""
    distinct = set(sources)
    if len(distinct) == 1:
        (source,) = distinct
        by_cell = {cell: found[(source, cell)] for cell in set(cells)}
        return list(map(by_cell.__getitem__, cells))
    return list(map(found.__getitem__, zip(sources, cells, strict=True)))


class _Import:
    """One streaming import: what is known about questions and forecasters, carried from chunk to chunk."""

    def __init__(self, db: Database, path: Path) -> None:
        from forecasts.external import IdMap
        from forecasts.forecasters import os_user
        from forecasts.interchange.rows import question_index
        from forecasts.resolution import all_resolutions
        from forecasts.store.ledger import chain_pending, head, table_spec

        self.db, self.path = db, path
        self.questions = question_index(db)
        self.resolved = all_resolutions(db)
        self.qids, self.fids = IdMap(db, "questions"), IdMap(db, "forecasters")
        self.known = {r[0]: r[1] for r in db.conn.execute("SELECT id, kind FROM forecasters")}
        self.canonical = {name.lower(): name for name in self.known}  # names are unique regardless of case
        self.new_forecasters: dict[str, str] = {}
        self.external: dict[str, tuple[str, str]] = {}
        self.written: set[str] = set()  # new forecasters already inserted
        self.qmap: dict[tuple[str, str], Any] = {}  # (source, question cell) -> the question's QuestionInfo
        self.qid: dict[tuple[str, str], str] = {}  # (source, question cell) -> the question's id
        self.fmap: dict[tuple[str, str], str] = {}  # (source, forecaster cell) -> the forecaster's name
        self.now = now_utc()
        self.now_iso = to_iso(self.now)
        self.user = os_user()
        (self.start,) = db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM forecasts").fetchone()
        (self.present,) = db.conn.execute("SELECT COUNT(*) FROM forecasts").fetchone()
        chain_pending(db)  # rows written outside forecasts since the last write join the chain first, as ever
        self.spec = table_spec(db.conn, "forecasts")
        chained, self.previous = head(db.conn, "forecasts")
        self.next_id = max(self.start, chained) + 1

    def run(self, header: list[str], lines: int) -> dict[str, Any]:
        from forecasts.interchange.rows import bulk_page_cache, indexes_built_after
        from forecasts.store.bulk_load import insert_triggers_suspended
        from forecasts.store.ledger import DIGEST_TABLE

        seen = imported = 0
        if self.present:
            self.db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS bulk_keys (q TEXT, f TEXT, m TEXT)")
        with (
            self.path.open(encoding="utf-8-sig", newline="") as fh,
            bulk_page_cache(self.db, lines, CACHE_KIB if not self.present else 262_144),
            indexes_built_after(self.db, "forecasts", lines if not self.present else 0),
            insert_triggers_suspended(self.db, ("forecasts", DIGEST_TABLE)),
        ):
            if next(fh, "").rstrip("\r\n").split(",") != header:
                raise _PerRow  # spaces around a column name: the per-row path reads it
            while chunk := list(itertools.islice(fh, min(CHUNK_ROWS, lines - seen))):  # trailing blank lines unread
                imported += self._chunk(header, _columns(chunk, len(header)), len(chunk), seen)
                seen += len(chunk)
        if seen != lines:
            raise _PerRow  # a row the reader joined or split: the per-row path reads it
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

    def _chunk(self, header: list[str], columns: list[list[str]], n: int, first: int) -> int:
        """Check and insert one chunk (rows `first`.. of the file, by column); the number inserted. Any problem
        sends the whole file to the per-row path, which names the first bad row as always."""
        from forecasts.validation import MAX_TEXT, check_forecast_columns

        cols = dict(zip(header, columns, strict=True))
        blank = ("",) * n
        text = {c: cols.get(c, blank) for c in TEXT_COLUMNS}
        for col in text.values():
            if any(len(v) > MAX_TEXT or "\x00" in v or v != v.strip() for v in set(col)):
                raise _PerRow
        sources = text["source"]
        self._resolve(sources, cols["question"], cols["forecaster"])
        qcol = _lookup(self.qid, sources, cols["question"])
        names = _lookup(self.fmap, sources, cols["forecaster"])
        made = cols["made_at"]
        checked = {"question_id": qcol, "forecaster_id": names, "made_at": made, "recorded_at": (self.now_iso,) * n,
                   "probability": self._probabilities(cols["probability"]), "rationale": text["rationale"],
                   "external_id": text["external_id"], "source": sources}  # fmt: skip
        try:  # the one forecast validation, by column (made_at canonical: the windows below compare it as text)
            check_forecast_columns(checked, self.now, lambda i: f"{self.path}:{first + i + 2}")
        except ForecastsError:
            raise _PerRow from None
        if not self._in_windows(qcol, made):
            raise _PerRow
        self._write_forecasters()
        if self.present:
            checked = self._new(checked, first)
        return self._insert(checked)

    def _resolve(self, sources: Sequence[str], questions: Sequence[str], forecasters: Sequence[str]) -> None:
        """The question and forecaster of each distinct (source, cell) not met before; only binary questions."""
        from forecasts.interchange.rows import row_forecaster, row_question

        qkeys = _distinct(sources, questions)
        try:
            for source, q in qkeys - self.qmap.keys():
                self.qmap[(source, q)] = row_question({"question": q}, self.questions, "", self.qids, source)
                self.qid[(source, q)] = self.qmap[(source, q)].id
            for source, f in _distinct(sources, forecasters) - self.fmap.keys():
                self.fmap[(source, f)] = row_forecaster(
                    {"forecaster": f}, "", source, self.known, self.new_forecasters, self.external, self.fids,
                    self.canonical,
                )  # fmt: skip
        except ForecastsError:
            raise _PerRow from None
        if not all(self.qmap[k].is_binary for k in qkeys):
            raise _PerRow

    def _in_windows(self, qcol: list[str], made: tuple[str, ...]) -> bool:
        """Whether every forecast was made while its question was open and before its outcome was known (canonical
        timestamps compare as text), compared by numpy a whole column at a time."""
        import numpy as np

        code = {q: i for i, q in enumerate(set(qcol))}  # each row's question as a small integer, no sort
        rows = np.fromiter(map(code.__getitem__, qcol), dtype=np.intp, count=len(qcol))
        infos = [self.questions[q] for q in code]
        opens = np.array([q.opens_at for q in infos])
        closes = np.array([q.closes_at for q in infos])
        known = np.array([(self.resolved.get(q.id) or {}).get("known_at") or "\uffff" for q in infos])
        at = np.array(made)
        return bool(((opens[rows] <= at) & (at < closes[rows]) & (at < known[rows])).all())

    def _probabilities(self, column: tuple[str, ...]) -> list[float]:
        """Each row's probability, read once per distinct text by the per-row path's rule (the one grammar, from 0
        to 1, an exact 0 written as zero); any other text sends the file to the per-row path."""
        from forecasts.forecasting import written_as_zero
        from forecasts.grammar import probability_text

        value = {}
        for text in set(column):
            x = probability_text(text)
            if x is None or not (sys.float_info.min <= x <= 1.0 or (x == 0.0 and written_as_zero(text))):
                raise _PerRow  # outside the one probability grammar: the per-row path names the line and the rule
            value[text] = x
        return list(map(value.__getitem__, column))

    def _write_forecasters(self) -> None:
        """Insert the forecasters this chunk met for the first time (each through the forecaster validation)."""
        from forecasts.interchange.rows import FORECASTER_FIELDS, checked_record

        for name in self.new_forecasters.keys() - self.written:
            row = (name, self.new_forecasters[name], self.now_iso, *self.external.get(name, ("", "")))
            checked_record(f"{self.path}", "forecasters", dict(zip(FORECASTER_FIELDS, row, strict=True)), self.now)
            self.db.conn.execute(
                "INSERT OR IGNORE INTO forecasters (id, kind, created_at, source, external_id, os_user) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [*row, self.user],
            )
            self.written.add(name)

    def _insert(self, checked: dict[str, Any]) -> int:
        """Insert checked rows (by column) with the next ids and chain them from the values inserted."""
        from forecasts.store.ledger import chain_columns

        n = len(checked["made_at"])
        if not n:
            return 0
        ids = range(self.next_id, self.next_id + n)
        columns = {"id": ids, **checked, "os_user": (self.user,) * n}
        names = ("id", "question_id", "forecaster_id", "made_at", "recorded_at", "probability", "rationale",
                 "external_id", "source", "os_user")  # fmt: skip
        self.db.conn.executemany(INSERT, zip(*(columns[c] for c in names), strict=True))
        self.previous = chain_columns(self.db.conn, "forecasts", self.spec, columns, n, self.previous)
        self.next_id += n
        return n

    def _new(self, checked: dict[str, Any], first: int) -> dict[str, Any]:
        """The chunk's rows not recorded before this import; one that differs from a recorded one is an error."""
        from forecasts.interchange.rows import FORECAST_FIELDS, conflict

        n = len(checked["made_at"])
        blank = (None,) * n
        out = list(zip(*(checked.get(f, blank) for f in FORECAST_FIELDS), strict=True))
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
            return checked
        line = {row[:3]: first + i + 2 for i, row in enumerate(out)}
        new = conflict(self.path, out, existing, line.__getitem__)
        columns = list(zip(*new, strict=True)) if new else [()] * len(FORECAST_FIELDS)
        return {f: c for f, c in zip(FORECAST_FIELDS, columns, strict=True) if f in checked}
