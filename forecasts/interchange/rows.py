"""Checked forecast rows, shared by every import path (interchange's row-by-row import and bulk_forecasts'
column-by-column one): the row's question and forecaster, the question index, and the one transaction that writes
forecast rows with their new forecasters. Below both importers, so neither imports the other's helpers."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts import validation
from forecasts.errors import ForecastsError
from forecasts.external import IdMap
from forecasts.forecasters import NAME_PATTERN, os_user, reserved_kind
from forecasts.questions import Question
from forecasts.resolution import all_resolutions
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import now_utc

FORECASTER_KINDS = ("person", "model", "aggregate")


FORECAST_FIELDS = ("question_id", "forecaster_id", "made_at", "recorded_at", "probability", "probabilities",
                   "rationale", "external_id", "source", "cdf")  # fmt: skip


FORECASTER_FIELDS = ("id", "kind", "created_at", "source", "external_id")


BULK_ROWS = 50_000  # from this many rows an import enlarges the page cache and may rebuild the forecasts index


def record_text(rec: dict[str, Any], fld: str, where: str, required: bool = False) -> str:
    try:
        return validation.text(rec.get(fld), fld, required)
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def bare_cell(rec: dict[str, Any], fld: str, where: str) -> None:
    """An id or name cell is the whole cell: `eve\\n` or ` eve` is refused, not quietly made `eve`."""
    try:
        validation.bare(rec.get(fld), fld)
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}".removeprefix(": ")) from None


def checked_record(where: str, table: str, row: dict[str, Any], now: datetime) -> None:
    """The record type's one validation (forecasts.validation), with the file and line in front."""
    try:
        validation.check_row(table, row, now)
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def row_question(
    rec: dict[str, Any], questions: dict[str, Question], where: str, ids: IdMap | None = None, source: str = ""
) -> Question:
    """The row's question: our id, or (with ids) the external id of a question imported from `source`."""
    qid = record_text(rec, "question", where, required=True)
    bare_cell(rec, "question", where)
    if qid not in questions and ids is not None:
        qid = ids.find(source, qid) or ids.find_any(qid) or qid
    if qid not in questions:
        raise ForecastsError(f"{where}: question: unknown id {qid!r}; sync the question files first")
    return questions[qid]


@dataclass(frozen=True)
class QuestionInfo:
    """What a forecast row is checked against, read for every question in one query (no prior or dates parsed)."""

    id: str
    type: str
    outcomes: tuple[str, ...]
    opens_at: str  # stored fixed-width UTC text: string order is time order
    closes_at: str
    numeric: str = "{}"  # numeric/date questions: the range spec (JSON)

    @property
    def is_binary(self) -> bool:
        return self.type == "binary"

    @property
    def is_numeric(self) -> bool:
        return self.type in ("numeric", "date")


def question_index(db: Database) -> dict[str, QuestionInfo]:
    """Every question's id, type, outcomes and lifetime (fast: 100,000 questions in a fraction of a second)."""
    rows = db.conn.execute("SELECT id, type, outcomes, opens_at, closes_at, numeric FROM questions")
    return {r[0]: QuestionInfo(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5]) for r in rows}


@contextlib.contextmanager
def bulk_page_cache(db: Database, rows: int, kib: int = 262_144) -> Iterator[None]:
    """A page cache big enough for the forecasts index while a large import writes (up to `kib`, 256 MB by default,
    only as used): with SQLite's default 2 MB, inserting 400,000 forecasts in file order took 12.4 s against 7.5 s.
    SQLite's sorter (CREATE INDEX) may hold as much again in memory: a caller that keeps no index up to date while
    it inserts passes less."""
    if rows < BULK_ROWS:
        yield
        return
    (before,) = db.conn.execute("PRAGMA cache_size").fetchone()
    db.conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(before)}")


@contextlib.contextmanager
def indexes_built_after(db: Database, table: str, rows: int) -> Iterator[None]:
    """For a bulk insert at least as large as the table: drop its indexes, insert, build them again (in the same
    transaction). Building an index by sorting once beats inserting into it row by row: 400,000 forecasts took
    16.7 s with the index kept and 10.4 s rebuilt, on a loaded machine."""
    (present,) = db.conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
    if rows < BULK_ROWS or rows < present:
        yield
        return
    sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
    indexes = db.conn.execute(sql, [table]).fetchall()
    for name, _ in indexes:
        db.conn.execute(f'DROP INDEX "{name}"')
    yield  # on an error the caller's transaction rolls back, which brings the indexes back
    for _, create in indexes:
        db.conn.execute(create)


def write_forecasts(
    db: Database,
    path: Path,
    rows: list[tuple],
    line_of: Callable[[tuple[str, str, str]], int],
    resolved: dict[str, dict[str, Any]],
    new_forecasters: dict[str, str],
    external: dict[str, tuple[str, str]],
    now_iso: str,
) -> dict[str, Any]:
    """Write checked forecast rows (question, forecaster, made_at, recorded_at, p, ps, rationale, external_id,
    source) and their new forecasters in one transaction, skipping rows already recorded identically. Every row
    first passes its record type's one validation (forecasts.validation), as on every write path."""
    now = now_utc()
    forecasters = [(name, kind, now_iso, *external.get(name, ("", ""))) for name, kind in new_forecasters.items()]
    for row in forecasters:
        checked_record(f"{path}", "forecasters", dict(zip(FORECASTER_FIELDS, row, strict=True)), now)
    validation.check_forecast_rows(rows, FORECAST_FIELDS, now, lambda i: f"{path}:{line_of(rows[i][:3])}")
    user = os_user()
    with write_transaction(db), bulk_page_cache(db, len(rows)):
        if all_resolutions(db) != resolved:
            raise ForecastsError(f"{path}: resolutions changed while importing; run the import again")
        new = _new_forecasts(db, path, rows, line_of)  # read under the write lock: no import can slip in between
        db.conn.executemany(
            "INSERT OR IGNORE INTO forecasters (id, kind, created_at, source, external_id, os_user) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(*row, user) for row in forecasters],
        )
        with indexes_built_after(db, "forecasts", len(new)):
            db.conn.executemany(
                "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability, probabilities, "
                "rationale, external_id, source, cdf, evidence_ids, os_user) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
                [(*row, user) for row in new],
            )
    return {
        "kind": "forecasts",
        "file": str(path),
        "imported": len(new),
        "skipped_existing": len(rows) - len(new),
        "new_forecasters": sorted(new_forecasters),
    }


def row_forecaster(
    rec: dict[str, Any],
    where: str,
    source: str,
    known: dict[str, str],
    new_forecasters: dict[str, str],
    external: dict[str, tuple[str, str]],
    fids: IdMap,
    canonical: dict[str, str],
) -> str:
    """The row's forecaster name (derived from the original when that is not a valid name, or with a source;
    a name registered in another case is that forecaster), registering a new one; refuses reserved names and a
    kind that contradicts the recorded one. `canonical` maps lowercased names to registered ones."""
    original = record_text(rec, "forecaster", where, required=True)
    bare_cell(rec, "forecaster", where)
    name = original
    if source or not NAME_PATTERN.match(original):  # kept as external_id; a valid name stays the name
        if len(original) > 200:
            raise ForecastsError(f"{where}: forecaster: must be at most 200 characters")
        name = fids.assign(source, original)
        if name not in known:
            external[name] = (source, original)
    name = canonical.setdefault(name.lower(), name)  # names are unique regardless of case
    kind = record_text(rec, "kind", where) or known.get(name) or new_forecasters.get(name) or "person"
    if kind not in FORECASTER_KINDS:
        raise ForecastsError(f"{where}: kind: {kind!r} is not one of {', '.join(FORECASTER_KINDS)}")
    if kind == "person" and reserved_kind(name):
        raise ForecastsError(f"{where}: forecaster: {name!r} is reserved for the {reserved_kind(name)}")
    if known.get(name, new_forecasters.get(name, kind)) != kind:
        raise ForecastsError(f"{where}: kind: {name!r} is already a {known.get(name) or new_forecasters[name]}")
    if name not in known and name not in new_forecasters:  # a new forecaster passes the forecaster validation
        checked_record(where, "forecasters", {"id": name, "kind": kind}, now_utc())
    if name not in known:
        new_forecasters[name] = kind
    return name


def _same_probabilities(a: tuple, b: tuple) -> bool:
    """Whether two (probability, probabilities JSON[, cdf JSON]) tuples state the same forecast."""
    if a[2:] != b[2:] and json.loads(a[2] or "null") != json.loads(b[2] or "null"):
        return False
    return a[0] == b[0] and (
        a[1] == b[1] or (a[1] is not None and b[1] is not None and json.loads(a[1]) == json.loads(b[1]))
    )


def _shown(stated: tuple) -> str:
    """A forecast's probabilities for an error message: `0.22` or `{a: 0.1, b: 0.9}` (a CDF: its middle value)."""
    p, ps = stated[:2]
    if len(stated) > 2 and stated[2] is not None:
        return f"a CDF with cdf[100] = {json.loads(stated[2])[100]:.6g}"
    if ps is None:
        return repr(p) if p is not None else "none"
    return "{" + ", ".join(f"{o}: {v:.6g}" for o, v in json.loads(ps).items()) + "}"


def _new_forecasts(
    db: Database, path: Path, rows: list[tuple], line_of: Callable[[tuple[str, str, str]], int]
) -> list[tuple]:
    """The rows not yet recorded; one whose forecaster already has a different forecast at that made_at is an error.

    A forecast is identified by (question, forecaster, made_at): an identical one is a repeat import and is
    skipped, a different one would give the forecaster two forecasts at the same moment, so it is refused.
    """
    existing: dict[tuple[str, str, str], list[tuple]] = {}
    sql = """SELECT question_id, forecaster_id, made_at, probability, probabilities, cdf FROM forecasts
             WHERE question_id IN (SELECT value FROM json_each(?))"""
    for q, f, made, p, ps, cdf in db.conn.execute(sql, [json.dumps(sorted({r[0] for r in rows}))]):
        existing.setdefault((q, f, made), []).append((p, ps, cdf))
    return conflict(path, rows, existing, line_of)


def conflict(
    path: Path,
    rows: list[tuple],
    existing: dict[tuple[str, str, str], list[tuple]],
    line_of: Callable[[tuple[str, str, str]], int],
) -> list[tuple]:
    """The rows not among `existing` (recorded forecasts by key); a row that states another forecast is an error."""
    new = []
    for row in rows:
        key, stated = row[:3], (row[4], row[5], row[9] if len(row) > 9 else None)
        recorded = existing.get(key)
        if recorded is None:
            new.append(row)
        elif not any(_same_probabilities(stated, old) for old in recorded):
            fld = "probability" if stated[1] is None else "probabilities"
            raise ForecastsError(
                f"{path}:{line_of(key)}: {fld}: {key[1]} already has a forecast on {key[0]} at {key[2]} "
                f"with {_shown(recorded[0])}; this row says {_shown(stated)}; forecasts are append-only: "
                "give a revision a later made_at"
            )
    return new
