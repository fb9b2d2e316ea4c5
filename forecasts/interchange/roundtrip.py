"""Data in and out: full exports of every table, lossless round-trip imports, and public forecast data.

Full export (`forecasts export --format csv|jsonl --out DIR`)
    One file per table, `<table>.csv` or `<table>.jsonl`, for every table in the schema (questions,
    forecasters, evidence, evidence_links, evidence_retractions, forecasts, resolutions and any later
    ones; SQLite internals and `_migrations` are skipped), rows in storage (rowid) order, columns in schema
    order, all read from one consistent snapshot. CSV (RFC 4180): a header row, UTF-8, CRLF line ends; SQL NULL is
    written `\\N`, and a text value starting with a backslash gets one more backslash (so `\\N` the
    text is `\\\\N`); floats are written in Python's shortest round-trip form. JSONL: one object per
    row, keys in column order, NULL as null.

Round-trip import (`forecasts import DIR`)
    Reads such a directory into an empty or compatible database in one transaction: a row whose primary
    key already exists must be identical (bookkeeping stamps `synced_at`/`created_at` aside) and is then
    skipped; anything else is inserted with its original ids. The first problem aborts the whole import
    with `file:line: field: problem` and nothing is written. Export → import into a fresh database →
    export gives byte-identical files.

Forecast data (`forecasts import FILE.csv|FILE.jsonl`) — for scoring real forecasting histories
    Forecasts file, one forecast per row:
        question      id of a synced question (required)
        forecaster    name: letters, digits, '.', '_', '-' (required; created if new)
        made_at       ISO-8601 date or datetime, UTC if no offset (required; may be in the past, but not
                      before the question opened, not at/after its close, not at/after a recorded
                      resolution's known_at, and not in the future)
        probability   P(yes) from 0 to 1 (exactly 0 or 1 kept as given), for binary questions
        probabilities JSON object {outcome: p} for categorical/ordered questions, every outcome, each in
                      (0, 1), summing to 1 (within 0.01; stored normalised)
        rationale     optional text
        kind          optional: person (default), model or aggregate
    Resolutions file, one question per row:
        question, outcome (yes/no, an outcome name, ambiguous or annulled; for a binary question also a
        probability r from 0 to 1, a market's value: Brier (p − r)²), known_at (ISO-8601, required),
        source, note, recorded_by (optional)
    The kind of file is recognised from its columns (a `forecaster` column → forecasts; `outcome` and
    `known_at` → resolutions). Every row is validated before anything is written; the first problem
    gives one line `file:line: field: problem` and nothing is written. Rows identical to ones already
    recorded (same question, forecaster, made_at and probabilities; or the same resolution) are skipped,
    so re-importing a file is harmless; a forecaster's forecast at a made_at already recorded with other
    probabilities is an error (forecasts are append-only). See docs/formats.md.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts import validation
from forecasts.errors import ForecastsError
from forecasts.external import IdMap
from forecasts.forecasters import os_user
from forecasts.forecasting import SUM_TOLERANCE, parse_probability, written_as_zero
from forecasts.grammar import probability_text
from forecasts.interchange.questions import import_questions, is_questions_file
from forecasts.interchange.rows import (
    bare_cell,
    checked_record,
    question_index,
    record_text,
    row_forecaster,
    row_question,
    write_forecasts,
)
from forecasts.questions import Question, all_questions
from forecasts.resolution import all_resolutions, check_deadline_no, parse_outcome
from forecasts.store.db import Database, write_transaction
from forecasts.store.dbtools import check_database
from forecasts.store.ledger import DIGEST_TABLE, chain_pending
from forecasts.tabular import read_rows
from forecasts.timeutil import YEARS, now_utc, parse_datetime, to_iso

FORMATS = ("csv", "jsonl")
NULL = "\\N"
BOOKKEEPING = {"synced_at", "created_at"}  # stamps that may differ between compatible databases
FORECAST_COLUMNS = (
    "question", "forecaster", "made_at", "probability", "probabilities", "rationale", "kind", "external_id", "source",
    "cdf",
)  # fmt: skip
RESOLUTION_COLUMNS = ("question", "outcome", "known_at", "source", "note", "recorded_by")


# --- schema discovery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TableInfo:
    """What export/import need to know about one table."""

    name: str
    columns: tuple[str, ...]
    affinity: dict[str, str]
    required: frozenset[str]  # NOT NULL without a default
    pks: tuple[str, ...]  # empty for plain rowid tables
    fks: dict[str, tuple[str, str]]  # column → (table, column)
    without_rowid: bool = False


def _affinity(decl: str) -> str:
    """SQLite's column-affinity rules applied to a declared type."""
    d = (decl or "").upper()
    if "INT" in d:
        return "integer"
    if any(s in d for s in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in d or not d:
        return "blob"
    if any(s in d for s in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def data_tables(db: Database) -> list[TableInfo]:
    """Every user table (no SQLite internals, `_migrations`, virtual or shadow tables), parents first."""
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
    virtual = [r[0] for r in db.conn.execute(sql)]
    names = [
        t
        for t in db.table_names()
        if not t.startswith(("sqlite_", "_")) and t not in virtual and not any(t.startswith(v + "_") for v in virtual)
    ]
    infos = {}
    for name in names:
        table = db[name]
        cols = table.columns
        pks = tuple(table.pks) if table.pks != ["rowid"] else ()
        infos[name] = TableInfo(
            name=name,
            columns=tuple(c.name for c in cols),
            affinity={c.name: _affinity(c.type) for c in cols},
            required=frozenset(c.name for c in cols if c.notnull and c.default_value is None and not c.is_pk),
            pks=pks,
            fks={fk.column: (fk.other_table, fk.other_column) for fk in table.foreign_keys},
            without_rowid=table.schema.upper().replace(" ", "").endswith("WITHOUTROWID"),
        )
    ordered: list[TableInfo] = []
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...] = ()) -> None:
        if name in done or name in stack or name not in infos:
            return
        for parent, _ in infos[name].fks.values():
            visit(parent, (*stack, name))
        done.add(name)
        ordered.append(infos[name])

    for name in sorted(infos):
        visit(name)
    return ordered


def _check_format(fmt: str) -> str:
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise ForecastsError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


# --- export -------------------------------------------------------------------------------------


def _csv_cell(value: Any, where: str) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        return "\\" + value if value.startswith("\\") else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForecastsError(f"{where}: {type(value).__name__} values cannot be exported")
    return repr(value)


def export(db: Database, dest_dir: str | Path, fmt: str = "csv") -> dict[str, Any]:
    """Write every table as <table>.csv or <table>.jsonl in dest_dir from one snapshot; refuse to overwrite."""
    fmt = _check_format(fmt)
    dest = Path(dest_dir)
    if dest.exists() and not dest.is_dir():
        raise ForecastsError(f"out: {dest} exists and is not a directory")
    tables = data_tables(db)
    clash = [str(dest / f"{t.name}.{fmt}") for t in tables if (dest / f"{t.name}.{fmt}").exists()]
    if clash:
        raise ForecastsError(f"out: {clash[0]} already exists; export into a new or empty directory")
    dest.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    own_tx = not db.conn.in_transaction
    if own_tx:
        db.conn.execute("BEGIN")  # one read snapshot for every table
    try:
        for t in tables:
            order = ", ".join(f'"{c}"' for c in t.pks) if t.without_rowid else "rowid"  # insertion order kept
            cols = ", ".join(f'"{c}"' for c in t.columns)
            cursor = db.conn.execute(f'SELECT {cols} FROM "{t.name}" ORDER BY {order}')
            counts[t.name] = _write_table(dest / f"{t.name}.{fmt}", fmt, t, cursor)
    finally:
        if own_tx:
            db.conn.execute("COMMIT")
    return {"format": fmt, "directory": str(dest), "tables": counts}


def _write_table(path: Path, fmt: str, t: TableInfo, rows: Any) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            writer = csv.writer(fh, lineterminator="\r\n")  # RFC 4180; also makes a lone \r in a value get quoted
            writer.writerow(t.columns)
            for row in rows:
                n += 1
                writer.writerow([_csv_cell(v, f"{t.name}:{n}") for v in row])
        else:
            for row in rows:
                n += 1
                for v in row:
                    if isinstance(v, bytes):
                        raise ForecastsError(f"{t.name}:{n}: bytes values cannot be exported")
                fh.write(json.dumps(dict(zip(t.columns, row, strict=True)), ensure_ascii=False) + "\n")
    return n


# --- reading files --------------------------------------------------------------------------------


def _from_csv(value: str, affinity: str) -> Any:
    if value == NULL:
        return None
    if value.startswith("\\\\"):
        return value[1:]
    if affinity == "text":
        return value
    for conv in (int, float):
        try:
            return conv(value)
        except ValueError:
            pass
    if affinity == "blob":
        return value
    raise ValueError(f"{value!r} is not a number")


def _typed_record(t: TableInfo, rec: dict[str, Any], fmt: str, where: str) -> dict[str, Any]:
    out = {}
    for col, value in rec.items():
        if col not in t.affinity:
            raise ForecastsError(f"{where}: {col}: not a column of {t.name}; columns: {', '.join(t.columns)}")
        aff = t.affinity[col]
        if fmt == "csv":
            try:
                value = _from_csv(value, aff)
            except ValueError as exc:
                raise ForecastsError(f"{where}: {col}: {exc}") from None
        elif value is not None:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if aff == "text" and not isinstance(value, str):
                raise ForecastsError(f"{where}: {col}: {value!r} must be text")
            if aff in ("integer", "real", "numeric") and not numeric:
                raise ForecastsError(f"{where}: {col}: {value!r} is not a number")
            if isinstance(value, list | dict | bool):
                raise ForecastsError(f"{where}: {col}: {value!r} must be a number, text or null")
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ForecastsError(f"{where}: {col}: {value} does not fit SQLite's 64-bit integers")
        out[col] = value
    return out


# --- round-trip import ----------------------------------------------------------------------------


def _diagnose(db: Database, t: TableInfo, row: dict[str, Any], exc: sqlite3.IntegrityError) -> str:
    """Turn an SQLite constraint failure on one row into `field: problem`."""
    msg = str(exc)
    if "FOREIGN KEY" in msg:
        for col, (parent, pcol) in t.fks.items():
            value = row.get(col)
            if value is not None:
                sql = f'SELECT 1 FROM "{parent}" WHERE "{pcol}" = ?'
                if db.conn.execute(sql, [value]).fetchone() is None:
                    return f"{col}: {value!r} does not exist in {parent}"
        return f"row: {msg}"
    m = re.match(r"(NOT NULL|UNIQUE) constraint failed: ([\w.]+)", msg)
    if m:
        col = m.group(2).split(",")[0].split(".")[-1]
        if m.group(1) == "NOT NULL":
            return f"{col}: is required"
        return f"{col}: {row.get(col)!r} already exists in {t.name}"
    m = re.match(r"CHECK constraint failed: (.*)", msg)
    if m:
        col = next((c for c in re.findall(r"\w+", m.group(1)) if c in t.affinity), "row")
        return f"{col}: {row.get(col)!r} violates {m.group(1).strip()}"
    return f"row: {msg}"


def import_data(db: Database, path: str | Path) -> dict[str, Any]:
    """Read an export directory into this database in one transaction: all rows or none."""
    src = Path(path)
    if not src.is_dir():
        raise ForecastsError(f"path: {src} is not a directory")
    files = sorted(p for p in src.iterdir() if p.suffix.lower() in (".csv", ".jsonl") and p.is_file())
    formats = {p.suffix.lower()[1:] for p in files}
    if not files:
        raise ForecastsError(f"path: {src} holds no .csv or .jsonl table files")
    if len(formats) > 1:
        raise ForecastsError(f"path: {src} mixes .csv and .jsonl files; keep one format per export")
    fmt = formats.pop()
    tables = data_tables(db)
    by_name = {t.name: t for t in tables}
    for p in files:
        if p.stem not in by_name:
            raise ForecastsError(f"{p}: table: {p.stem!r} does not exist in this database; known: {', '.join(by_name)}")
    parsed: dict[str, tuple[Path, list[tuple[str, dict[str, Any]]]]] = {}
    now = now_utc()
    for p in files:
        t = by_name[p.stem]
        columns, records = read_rows(p)
        for col in columns:
            if col not in t.affinity:
                raise ForecastsError(f"{p}:1: {col}: not a column of {t.name}; columns: {', '.join(t.columns)}")
        rows = [(f"{p}:{n}", _typed_record(t, rec, fmt, f"{p}:{n}")) for n, rec in records]
        for where, row in rows:  # the same rules as every other path: a bad row refuses the whole restore
            try:
                validation.check_row(t.name, row, now)
            except ForecastsError as exc:
                raise ForecastsError(f"{where}: {exc}") from None
        parsed[t.name] = (p, rows)
    summary: dict[str, dict[str, int]] = {}
    where_of: dict[tuple[str, Any], str] = {}
    restamped: set[tuple[str, Any]] = set()  # ledger rows this database holds with other bookkeeping stamps
    with write_transaction(db):
        before = _error_keys(db)
        for t in sorted(tables, key=lambda t: t.name == DIGEST_TABLE):  # the digests after the rows they chain
            if t.name not in parsed:
                continue
            rows = parsed[t.name][1]
            if t.pks and db.conn.execute(f'SELECT 1 FROM "{t.name}" LIMIT 1').fetchone() is not None:
                rows = [(where, row) for where, row in rows if not _existing_same(db, t, row, where, restamped)]
            _insert_rows(db, t, rows)
            summary[t.name] = {"inserted": len(rows), "already_present": len(parsed[t.name][1]) - len(rows)}
            if len(t.pks) == 1:
                where_of |= {(t.name, row.get(t.pks[0])): where for where, row in rows}
        chain_pending(db)  # an export without ledger_digests (older version): chain its rows here
        report = check_database(db, integrity=False, values=False)  # values: checked row by row above
        for prob in report["errors"]:
            if (prob["check"], prob["table"], prob["id"], prob["problem"]) not in before:
                where = where_of.get((prob["table"], prob["id"]), str(parsed.get(prob["table"], (src,))[0]))
                raise ForecastsError(f"{where}: {prob['problem']}")
    return {"format": fmt, "directory": str(src), "tables": summary}


def _insert_rows(db: Database, t: TableInfo, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Insert in bulk (runs of rows with the same columns); on a constraint failure, name the row and field."""
    start = 0
    while start < len(rows):
        cols = tuple(rows[start][1])
        end = start
        while end < len(rows) and tuple(rows[end][1]) == cols:
            end += 1
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{t.name}" ({names}) VALUES ({", ".join("?" for _ in cols)})'
        db.conn.execute("SAVEPOINT import_rows")
        try:
            db.conn.executemany(sql, (tuple(row.values()) for _, row in rows[start:end]))
        except sqlite3.IntegrityError:
            db.conn.execute("ROLLBACK TO import_rows")
            for where, row in rows[start:end]:  # again one by one, to find the row that fails
                try:
                    db.conn.execute(sql, tuple(row.values()))
                except sqlite3.IntegrityError as exc:
                    raise ForecastsError(f"{where}: {_diagnose(db, t, row, exc)}") from None
            raise
        finally:
            db.conn.execute("RELEASE import_rows")
        start = end


def _error_keys(db: Database) -> set[tuple]:
    errors = check_database(db, integrity=False, values=False)["errors"]
    return {(p["check"], p["table"], p["id"], p["problem"]) for p in errors}


def _existing_same(
    db: Database, t: TableInfo, row: dict[str, Any], where: str, restamped: set[tuple[str, Any]]
) -> bool:
    """True if a row with this primary key exists and matches; an error if it exists and differs.

    A ledger row this database already holds with other bookkeeping stamps (the same question files synced on
    another machine, in another second) keeps its own digest: the chain digests cover synced_at, so the export's
    digest of that row is the other machine's, not a conflict (noted in `restamped`)."""
    if any(row.get(k) is None for k in t.pks):
        return False
    cond = " AND ".join(f'"{k}" = ?' for k in t.pks)
    cur = db.conn.execute(f'SELECT * FROM "{t.name}" WHERE {cond}', [row[k] for k in t.pks])
    found = cur.fetchone()
    if found is None:
        return False
    existing = dict(zip([d[0] for d in cur.description], found, strict=True))
    ledger_row = (existing.get("tbl"), existing.get("ledger_row"))
    if t.name == DIGEST_TABLE and ledger_row == (row.get("tbl"), row.get("ledger_row")) and ledger_row in restamped:
        return True
    if any(existing.get(col) != value for col, value in row.items() if col in BOOKKEEPING):
        restamped.add((t.name, existing.get("id")))
    for col, value in row.items():
        if col not in BOOKKEEPING and existing.get(col) != value:
            key = ", ".join(f"{k}={row[k]!r}" for k in t.pks)
            raise ForecastsError(
                f"{where}: {col}: {t.name} row {key} already exists here with {existing.get(col)!r}, not {value!r}"
            )
    return True


# --- public forecast data -------------------------------------------------------------------------


def import_path(db: Database, path: str | Path) -> dict[str, Any]:
    """`forecasts import PATH`: a directory is a full round-trip import, a file is forecast/resolution data."""
    p = Path(path)
    if p.is_dir():
        return {"kind": "export"} | import_data(db, p)
    return import_file(db, p)


def import_file(db: Database, path: str | Path) -> dict[str, Any]:
    """Validate every row of a forecasts or resolutions file, then write them all in one transaction."""
    p = Path(path)
    from forecasts.interchange.bulk import import_forecasts_csv

    if p.suffix.lower() == ".csv" and (fast := import_forecasts_csv(db, p)) is not None:
        return fast  # a large, plain forecasts CSV checked column by column (same rules, same result)
    columns, records = read_rows(p)
    if not columns:
        raise ForecastsError(f"{p}:1: columns: the file is empty; it needs a header (CSV) or rows (JSONL)")
    if is_questions_file(columns):
        return import_questions(db, p, columns, records)
    if "forecaster" in columns:
        kind, allowed = "forecasts", FORECAST_COLUMNS
    elif "outcome" in columns and "known_at" in columns:
        kind, allowed = "resolutions", RESOLUTION_COLUMNS
    else:
        raise ForecastsError(
            f"{p}:1: columns: need question, forecaster, made_at, probability|probabilities (forecasts) "
            "or question, outcome, known_at (resolutions)"
        )
    for col in columns:
        if col not in allowed:
            raise ForecastsError(f"{p}:1: {col}: unknown column for a {kind} file; allowed: {', '.join(allowed)}")
    if not records:
        raise ForecastsError(f"{p}: rows: the file has a header but no {kind}")
    if kind == "forecasts":
        return _import_forecasts(db, p, records, question_index(db))
    return _import_resolutions(db, p, records, {q.id: q for q in all_questions(db)})


def import_records(db: Database, kind: str, path: Path, records: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Import rows of one kind ("questions", "forecasts" or "resolutions") made in memory (by a dataset reader)
    as if read from `path`; inside the caller's transaction this is part of it."""
    if kind == "questions":
        columns = sorted({c for _, rec in records for c in rec})
        return import_questions(db, path, columns, records)
    if kind == "forecasts":
        return _import_forecasts(db, path, records, question_index(db))
    return _import_resolutions(db, path, records, {q.id: q for q in all_questions(db)})


def _when(rec: dict[str, Any], fld: str, where: str) -> datetime:
    raw = rec.get(fld)
    if raw in (None, ""):
        raise ForecastsError(f"{where}: {fld}: is required (ISO-8601, e.g. 2025-01-20T14:30:00Z)")
    if not isinstance(raw, str):
        raise ForecastsError(f"{where}: {fld}: {raw!r} must be an ISO-8601 date text")
    try:
        return parse_datetime(raw, fld)
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def _stated(rec: dict[str, Any], q: Any, where: str) -> tuple[float | None, str | None, str | None]:
    """(probability, probabilities JSON, cdf JSON) of a row: a numeric or date question takes only a `cdf` (a JSON
    list of 201 values, checked with Metaculus's rules), other questions never one."""
    cdf = rec.get("cdf")
    if getattr(q, "is_numeric", False):
        from forecasts.numeric.cdf import check_cdf
        from forecasts.numeric.scale import Scale

        try:
            if rec.get("probability") not in (None, "") or rec.get("probabilities") not in (None, ""):
                raise ForecastsError(f"probability: {q.id!r} is a {q.type} question: give its cdf")
            if cdf in (None, ""):
                raise ForecastsError(f"cdf: required for {q.id!r}: a JSON list of 201 values")
            values = json.loads(cdf) if isinstance(cdf, str) else cdf
            if not isinstance(values, list):
                raise ForecastsError("cdf: must be a JSON list of 201 numbers")
            numeric = q.numeric if isinstance(q.numeric, dict) else json.loads(q.numeric)
            check_cdf(values, Scale.from_spec(numeric, q.type))
        except (ValueError, TypeError):
            raise ForecastsError(f"{where}: cdf: {str(cdf)[:60]!r} is not a JSON list of numbers") from None
        except ForecastsError as exc:
            raise ForecastsError(f"{where}: {exc}") from None
        return None, None, json.dumps([round(float(x), 10) for x in values])
    if cdf not in (None, ""):
        raise ForecastsError(f"{where}: cdf: {q.id!r} is a {q.type} question; give probability or probabilities")
    return (*_probabilities(rec, q, where), None)


def _probabilities(rec: dict[str, Any], q: Any, where: str) -> tuple[float | None, str | None]:
    p, ps = rec.get("probability"), rec.get("probabilities")
    if q.is_binary and ps in (None, "") and isinstance(p, str | float | int) and not isinstance(p, bool):
        # the common case, a plain number from 0 to 1 in the one grammar (NaN fails the comparison); else the full
        # check below, which names the problem
        value = probability_text(p) if isinstance(p, str) else float(p)
        if value is not None and (sys.float_info.min <= value <= 1.0 or (value == 0.0 and written_as_zero(p))):
            return value, None
    p = None if p == "" else p
    ps = None if ps == "" else ps
    try:
        if q.is_binary:
            if ps is not None:
                raise ForecastsError(f"probabilities: {q.id!r} is binary; give probability (P(yes))")
            if p is None:
                raise ForecastsError("probability: is required for a binary question")
            if isinstance(p, bool):
                raise ForecastsError(f"probability: {p!r} must be a number from 0 to 1")
            return parse_probability(p, closed=True), None
        if p is not None:
            raise ForecastsError(f"probability: {q.id!r} is categorical; give probabilities as {{outcome: p}}")
        if isinstance(ps, str):
            try:
                ps = json.loads(ps)
            except json.JSONDecodeError:
                raise ForecastsError(f"probabilities: {ps!r} is not a JSON object {{outcome: p}}") from None
        if not isinstance(ps, dict):
            raise ForecastsError(f"probabilities: required for {q.id!r}: a JSON object {{outcome: p}}")
        unknown = [o for o in ps if o not in q.outcomes]
        if unknown:
            raise ForecastsError(f"probabilities: {unknown[0]!r} is not an outcome of {q.id!r}")
        missing = [o for o in q.outcomes if o not in ps]
        if missing:
            raise ForecastsError(f"probabilities: missing outcomes {', '.join(missing)}")
        probs = {}
        for o in q.outcomes:
            if isinstance(ps[o], bool):
                raise ForecastsError(f"probabilities[{o}]: {ps[o]!r} must be a number from 0 to 1")
            probs[o] = parse_probability(ps[o], f"probabilities[{o}]", closed=True)
        total = sum(probs.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ForecastsError(f"probabilities: sum to {total:.4g}; they must sum to 1")
        return None, json.dumps({o: probs[o] / total for o in q.outcomes})
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def _iso_when(rec: dict[str, Any], fld: str, where: str) -> str:
    """A date field as stored text; canonical `YYYY-MM-DDTHH:MM:SSZ` input is checked without a full parse."""
    raw = rec.get(fld)
    if isinstance(raw, str) and len(raw) == 20 and raw[10] == "T" and raw[19] == "Z":
        try:
            if YEARS[0] <= datetime.fromisoformat(raw[:19]).year <= YEARS[1]:
                return raw
        except ValueError:
            pass
    return to_iso(_when(rec, fld, where))


def _import_forecasts(
    db: Database, path: Path, records: list[tuple[int, dict[str, Any]]], questions: dict[str, Any]
) -> dict[str, Any]:
    now = now_utc()
    now_iso = to_iso(now)
    resolved = all_resolutions(db)
    known = {r[0]: r[1] for r in db.conn.execute("SELECT id, kind FROM forecasters")}
    canonical = {name.lower(): name for name in known}  # names are unique regardless of case
    new_forecasters: dict[str, str] = {}
    external: dict[str, tuple[str, str]] = {}  # new forecaster → (source, original id)
    qids, fids = IdMap(db, "questions"), IdMap(db, "forecasters")
    rows: list[tuple] = []
    seen: dict[tuple[str, str, str], int] = {}
    spath = str(path)
    by_question: dict[tuple[str, ...], tuple[Any, str, str, str | None]] = {}  # checks done once per question
    by_forecaster: dict[tuple[str, ...], str] = {}
    for n, rec in records:
        where = f"{spath}:{n}"
        source = record_text(rec, "source", where) if "source" in rec else ""
        qkey = (source, str(rec.get("question")), type(rec.get("question")).__name__)  # hashable whatever JSON gave
        found = by_question.get(qkey)
        if found is None:
            q = row_question(rec, questions, where, qids, source)
            res = resolved.get(q.id)
            opens, closes = (x if isinstance(x, str) else to_iso(x) for x in (q.opens_at, q.closes_at))
            found = by_question[qkey] = (q, opens, closes, res["known_at"] if res else None)
        q, opens, closes, known_at = found
        fkey = (source, *(f"{type(rec.get(k)).__name__}:{rec.get(k)}" for k in ("forecaster", "kind")))
        name = by_forecaster.get(fkey)
        if name is None:
            name = by_forecaster[fkey] = row_forecaster(
                rec, where, source, known, new_forecasters, external, fids, canonical
            )
        made_iso = _iso_when(rec, "made_at", where)
        if made_iso > now_iso:
            raise ForecastsError(f"{where}: made_at: {made_iso} is in the future")
        if made_iso < opens:
            raise ForecastsError(f"{where}: made_at: {made_iso} is before {q.id!r} opened ({opens})")
        if made_iso >= closes:
            raise ForecastsError(f"{where}: made_at: {made_iso} is after {q.id!r} closed ({closes})")
        if known_at and made_iso >= known_at:
            raise ForecastsError(f"{where}: made_at: {made_iso} is after {q.id!r} was resolved (known_at {known_at})")
        p, ps, cdf = _stated(rec, q, where)
        rationale = record_text(rec, "rationale", where) if rec.get("rationale") else ""
        ext_id = record_text(rec, "external_id", where) if rec.get("external_id") else ""
        key = (q.id, name, made_iso)
        if key in seen:
            raise ForecastsError(
                f"{where}: made_at: {name} already has a forecast on {q.id} at {key[2]} (line {seen[key]})"
            )
        seen[key] = n
        rows.append((q.id, name, made_iso, now_iso, p, ps, rationale, ext_id, source, cdf))
    return write_forecasts(db, path, rows, seen.__getitem__, resolved, new_forecasters, external, now_iso)


def _import_resolutions(
    db: Database, path: Path, records: list[tuple[int, dict[str, Any]]], questions: dict[str, Question]
) -> dict[str, Any]:
    now = now_utc()
    resolved = all_resolutions(db)
    rows: list[tuple] = []
    seen: dict[str, int] = {}
    skipped = 0
    qids = IdMap(db, "questions")
    for n, rec in records:
        where = f"{path}:{n}"
        q = row_question(rec, questions, where, qids)
        raw = rec.get("outcome")
        if not (isinstance(raw, int | float) and not isinstance(raw, bool)):
            raw = record_text(rec, "outcome", where, required=True)
            bare_cell(rec, "outcome", where)
        try:
            outcome, value = parse_outcome(q, raw)
        except ForecastsError as exc:
            raise ForecastsError(f"{where}: {exc}") from None
        known_at = _when(rec, "known_at", where)
        if known_at > now:
            raise ForecastsError(f"{where}: known_at: {to_iso(known_at)} is in the future")
        if known_at < q.opens_at:
            raise ForecastsError(f"{where}: known_at: {to_iso(known_at)} is before {q.id!r} opened")
        try:
            check_deadline_no(q, outcome, known_at)
        except ForecastsError as exc:
            raise ForecastsError(f"{where}: {exc}") from None
        source, note, by = (record_text(rec, f, where) for f in ("source", "note", "recorded_by"))
        if q.id in seen:
            raise ForecastsError(f"{where}: question: {q.id!r} is already resolved on line {seen[q.id]}")
        seen[q.id] = n
        current = resolved.get(q.id)
        if current is not None:
            if current["outcome"] == outcome and current["known_at"] == to_iso(known_at):
                skipped += 1
                continue
            raise ForecastsError(
                f"{where}: question: {q.id!r} is already resolved as {current['outcome']!r}; "
                "run `forecasts unresolve` first"
            )
        row = (q.id, outcome, to_iso(known_at), to_iso(now), source, note, by, value)
        checked_record(
            where,
            "resolutions",
            dict(
                zip(
                    ("question_id", "outcome", "known_at", "recorded_at", "source", "note", "recorded_by", "value"),
                    row,
                    strict=True,
                )
            )
            | {"action": "resolve"},
            now,
        )
        rows.append(row)
    with write_transaction(db):
        if all_resolutions(db) != resolved:
            raise ForecastsError(f"{path}: resolutions changed while importing; run the import again")
        db.conn.executemany(
            "INSERT INTO resolutions (question_id, action, outcome, known_at, recorded_at, source, note, recorded_by, "
            "value, os_user) VALUES (?, 'resolve', ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, os_user()) for row in rows],
        )
    return {"kind": "resolutions", "file": str(path), "imported": len(rows), "skipped_existing": skipped}
