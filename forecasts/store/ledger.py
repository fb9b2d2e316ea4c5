"""Tamper evidence: a per-table hash chain over the append-only ledgers, kept in `ledger_digests`.

Each ledger row's digest is sha256(previous digest of that table + "\\n" + the row's canonical content): the
table name and every column whose value is not NULL and differs from its default (so a column added later with a
default leaves old digests valid), as compact JSON sorted by column name. Rows are chained when their write
transaction commits (db.write_transaction calls `chain_pending`), so every write path, bulk imports included, is
covered in the same transaction. Anyone who drops the triggers and edits a row breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

from forecasts.store.ledger_tables import CHAINED as CHAINED_TABLES

DIGEST_TABLE = "ledger_digests"
CHAIN_BATCH = 50_000  # ledger rows read and chained at a time


def _present(conn: Any) -> list[str]:
    """The chained tables this database has (none before the digest table exists)."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in CHAINED_TABLES if t in names] if DIGEST_TABLE in names else []


_LITERAL = re.compile(r"-?\d+(\.\d+)?|'[^']*'")
_literals: dict[str, Any] = {}  # a literal column default's text → its value (the same in every database)


def _default(conn: Any, dflt: str) -> Any:
    """A column default's value; a literal (such as '' or 0) is evaluated once per process,
    so the chain step of a one-row write does not ask SQLite for each default again."""
    if dflt in _literals:
        return _literals[dflt]
    value = conn.execute(f"SELECT {dflt}").fetchone()[0]
    if _LITERAL.fullmatch(dflt):
        _literals[dflt] = value
    return value


def _spec(conn: Any, table: str) -> tuple[int, list[tuple[int, str, Any]]]:
    """(position of `id`, [(position, name, default value)] sorted by name) for a table's columns."""
    cols = []
    for cid, name, _type, _notnull, dflt, _pk in conn.execute(f'PRAGMA table_info("{table}")'):
        cols.append((cid, name, None if dflt is None else _default(conn, dflt)))
    return next(c[0] for c in cols if c[1] == "id"), sorted(cols, key=lambda c: c[1])


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=bytes.hex)


def canonical(table: str, spec: list[tuple[int, str, Any]], row: tuple) -> bytes:
    """A row's canonical content: JSON [table, [[column, value], ...]] over the columns (sorted by name) whose
    value is not NULL and differs from the column's default."""
    pairs = [[name, v] for i, name, d in spec if (v := row[i]) is not None and v != d]
    return _ENCODER.encode([table, pairs]).encode()


def _json_value(v: Any) -> str:
    """A value as _ENCODER writes it (compact, ensure_ascii=False, bytes as hex)."""
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if t is int:
        return int.__repr__(v)
    if t is float and math.isfinite(v):
        return float.__repr__(v)
    return _ENCODER.encode(v)


def canonical_fast(table: str, spec: list[tuple[int, str, Any]]) -> Callable[[tuple], bytes]:
    """canonical() for one table as a function of the row: the same bytes, built from the C encoder's pieces and
    prefixes computed once (three times as quick; the chain of a bulk import is its largest cost)."""
    head = "[" + encode_basestring(table) + ",["
    keys = [(i, "[" + encode_basestring(name) + ",", d) for i, name, d in spec]

    def content(row: tuple) -> bytes:
        pairs = [k + _json_value(v) + "]" for i, k, d in keys if (v := row[i]) is not None and v != d]
        return (head + ",".join(pairs) + "]]").encode()

    return content


def digest(previous: str, content: bytes) -> str:
    """The chain step: sha256 over the previous digest and this row's canonical content."""
    return hashlib.sha256(previous.encode() + b"\n" + content).hexdigest()


def _head(conn: Any, table: str) -> tuple[int, str]:
    row = conn.execute(
        f"SELECT ledger_row, digest FROM {DIGEST_TABLE} WHERE tbl = ? ORDER BY ledger_row DESC LIMIT 1", [table]
    ).fetchone()
    return (row[0], row[1]) if row else (0, "")


def _pending(conn: Any, tables: list[str]) -> list[str]:
    """The tables among `tables` with rows past their chain's head, found in one statement (a write touches one or
    two ledgers; asking each table separately cost two statements per ledger on every write)."""
    if not tables:
        return []
    sql = " UNION ALL ".join(
        f"SELECT {i}, (SELECT max(id) FROM \"{t}\") > "
        f"coalesce((SELECT max(ledger_row) FROM {DIGEST_TABLE} WHERE tbl = ?), 0)"
        for i, t in enumerate(tables)
    )
    return [tables[i] for i, newer in conn.execute(sql, tables) if newer]


def chain_pending(db: Any) -> int:
    """Chain every ledger row written since the last chained one (inside the caller's transaction)."""
    conn = db.conn
    total = 0
    for table in _pending(conn, _present(conn)):
        last_id, prev = _head(conn, table)
        cur = conn.execute(f'SELECT * FROM "{table}" WHERE id > ? ORDER BY id', [last_id])
        first = cur.fetchmany(1)
        if not first:
            continue
        idx, spec = _spec(conn, table)
        sql = f"INSERT INTO {DIGEST_TABLE} (tbl, ledger_row, digest) VALUES (?, ?, ?)"
        content, sha256 = canonical_fast(table, spec), hashlib.sha256
        rows = first
        while rows:  # a batch at a time: a bulk import's memory stays bounded by a batch
            out = []
            for row in rows:
                prev = sha256((prev + "\n").encode() + content(row)).hexdigest()
                out.append((table, row[idx], prev))
            conn.executemany(sql, out)
            total += len(out)
            rows = cur.fetchmany(CHAIN_BATCH)
    return total


def verify_chain(db: Any) -> tuple[list[tuple[str, int | None, str]], dict[str, str]]:
    """(problems as (table, row id, problem), each table's head digest). A row whose content no longer matches
    its digest, a row missing from the chain, and a chained row that was deleted are all problems."""
    conn = db.conn
    problems: list[tuple[str, int | None, str]] = []
    heads: dict[str, str] = {}
    for table in _present(conn):
        idx, spec = _spec(conn, table)
        sql = (
            f'SELECT t.*, d.digest FROM "{table}" t LEFT JOIN {DIGEST_TABLE} d ON d.tbl = ? AND d.ledger_row = t.id '
            "ORDER BY t.id"
        )
        prev = ""
        content = canonical_fast(table, spec)
        for row in conn.execute(sql, [table]):
            stored = row[-1]
            if stored is None:
                problems.append(
                    (table, row[idx], "not in the hash chain: written outside forecasts or its digest removed")
                )
                continue
            if digest(prev, content(row)) != stored:
                problems.append((table, row[idx], "hash chain broken: the row was changed after it was written"))
            prev = stored
        missing = conn.execute(
            f'SELECT ledger_row FROM {DIGEST_TABLE} WHERE tbl = ? AND ledger_row NOT IN (SELECT id FROM "{table}") '
            "ORDER BY ledger_row",
            [table],
        )
        problems += [(table, rid, "hash chain broken: the row was deleted") for (rid,) in missing]
        heads[table] = prev
    return problems, heads
