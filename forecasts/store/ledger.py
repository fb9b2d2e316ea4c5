"""Tamper evidence: a per-table hash chain over the append-only ledgers, kept in `ledger_digests`.

Each ledger row's digest is sha256(previous digest of that table + "\\n" + the row's canonical content): the
table name and every column whose value is not NULL and differs from its default (so a column added later with a
default leaves old digests valid), as compact JSON sorted by column name. Rows are chained when their write
transaction commits (db.write_transaction calls `chain_pending`), so every write path is covered in the same
transaction; a bulk import chains each chunk from the values it inserted (`chain_columns`, the same bytes), and
the commit then finds nothing left. Contents are built a column at a time (`canonical_columns`). Anyone who
drops the triggers and edits a row breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Sequence
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


def canonical_columns(
    table: str, spec: list[tuple[int, str, Any]], columns: dict[str, Sequence], n: int, lead: str = ""
) -> list[bytes]:
    """canonical() of n rows given by column (name -> n values; a column left out holds its default in every row),
    each after `lead`: the same bytes, built a column at a time and joined per row in C.

    A column present in every row (no NULL, no default value) is its values' JSON text, made by a C function over
    the column; the column's key and brackets are fixed text, repeated. Any other column gives per row its
    piece or "" (canonical() leaves NULL and default values out). The `id` column is in every row (never NULL, no
    default), so pieces before it end with a comma and pieces after it start with one: no row needs its own list
    of present columns."""
    unknown = set(columns) - {name for _, name, _ in spec}
    if unknown or "id" not in columns:
        raise ValueError(f"canonical_columns: {table} has no column {sorted(unknown)} or no id given")
    parts: list[str | Iterable[str]] = [lead + "[" + encode_basestring(table) + ",["]
    after_id = False
    for _, name, default in spec:
        if name not in columns:
            continue
        key = "[" + encode_basestring(name) + ","
        if name == "id":
            pre, post, after_id = key, "]", True
        else:
            pre, post = ("," + key, "]") if after_id else (key, "],")
        col = columns[name]
        kinds = set(map(type, col))
        if kinds <= {type(None)}:
            continue  # NULL in every row: left out of every row
        texts = _every_row(col, kinds, default)
        parts += [pre, texts, post] if texts is not None else [_pieces(col, pre, post, default)]
    parts.append("]]")
    merged: list[Iterable[str]] = []  # fixed text next to fixed text joined once, then repeated for every row
    for fixed, group in itertools.groupby(parts, key=lambda p: isinstance(p, str)):
        items = list(group)
        merged += [itertools.repeat("".join(items), n)] if fixed else items  # type: ignore[arg-type]
    return list(map(str.encode, map("".join, zip(*merged, strict=False))))


def _every_row(col: Sequence, kinds: set[type], default: Any) -> Iterable[str] | None:
    """A column's values as JSON text, if every row keeps it (no NULL, none equal to the default); else None."""
    if len(kinds) != 1 or (default is not None and default in col):
        return None
    if kinds == {str}:
        return map(encode_basestring, col)
    if kinds == {int}:
        return map(int.__repr__, col)
    if kinds == {float} and all(map(math.isfinite, col)):
        return map(float.__repr__, col)
    return None


def _pieces(col: Sequence, pre: str, post: str, default: Any) -> Iterable[str]:
    """One column's part of each row's content: `pre + JSON value + post`, or "" where canonical() leaves it out."""
    if set(map(type, col)) <= {str, type(None)}:  # text: each distinct value encoded once
        piece = {v: "" if v is None or v == default else pre + encode_basestring(v) + post for v in set(col)}
        return map(piece.__getitem__, col)
    return [pre + _json_value(v) + post if v is not None and v != default else "" for v in col]


def chain_columns(conn: Any, table: str, spec: list[tuple[int, str, Any]], columns: dict[str, Sequence], n: int,
                  previous: str) -> str:  # fmt: skip
    """Chain n rows just inserted into `table` (given by column, as canonical_columns takes them, ids ascending and
    following the chain's head `previous`): write their digests; the new head. A bulk import calls this per chunk
    with the values it inserted, so the chain is not read back from the table."""
    sha256, out, prev = hashlib.sha256, [], previous.encode()
    for content in canonical_columns(table, spec, columns, n, lead="\n"):  # the digest step: previous + \n + row
        previous = sha256(prev + content).hexdigest()
        out.append(previous)
        prev = previous.encode()
    conn.executemany(
        f"INSERT INTO {DIGEST_TABLE} (tbl, ledger_row, digest) VALUES (?, ?, ?)",
        zip(itertools.repeat(table, n), columns["id"], out, strict=False),
    )
    return previous


def table_spec(conn: Any, table: str) -> list[tuple[int, str, Any]]:
    """A chained table's columns as canonical() takes them: (position, name, default) sorted by name."""
    return _spec(conn, table)[1]


def head(conn: Any, table: str) -> tuple[int, str]:
    """(last chained row id, its digest) of a table's chain; (0, "") before its first row."""
    return _head(conn, table)


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
        _, spec = _spec(conn, table)
        names = [d[0] for d in cur.description]
        rows = first
        while rows:  # a batch at a time: a bulk import's memory stays bounded by a batch
            columns = dict(zip(names, zip(*rows, strict=True), strict=True))
            prev = chain_columns(conn, table, spec, columns, len(rows), prev)
            total += len(rows)
            rows = cur.fetchmany(CHAIN_BATCH)
    return total


def verify_chain(db: Any) -> tuple[list[tuple[str, int | None, str]], dict[str, str]]:
    """(problems as (table, row id, problem), each table's head digest). A row whose content no longer matches
    its digest, a row missing from the chain, and a chained row that was deleted are all problems."""
    conn = db.conn
    problems: list[tuple[str, int | None, str]] = []
    heads: dict[str, str] = {}
    for table in _present(conn):
        _, spec = _spec(conn, table)
        sql = (
            f'SELECT t.*, d.digest FROM "{table}" t LEFT JOIN {DIGEST_TABLE} d ON d.tbl = ? AND d.ledger_row = t.id '
            "ORDER BY t.id"
        )
        prev = ""
        cur = conn.execute(sql, [table])
        names = [d[0] for d in cur.description][:-1]
        sha256 = hashlib.sha256
        while rows := cur.fetchmany(CHAIN_BATCH):  # a batch at a time, each batch's contents built by column
            *values, stored = zip(*rows, strict=True)
            columns = dict(zip(names, values, strict=True))
            contents = canonical_columns(table, spec, columns, len(rows), lead="\n")
            for rid, digest_, content in zip(columns["id"], stored, contents, strict=True):
                if digest_ is None:
                    problems.append(
                        (table, rid, "not in the hash chain: written outside forecasts or its digest removed")
                    )
                    continue
                if sha256(prev.encode() + content).hexdigest() != digest_:
                    problems.append((table, rid, "hash chain broken: the row was changed after it was written"))
                prev = digest_
        missing = conn.execute(
            f'SELECT ledger_row FROM {DIGEST_TABLE} WHERE tbl = ? AND ledger_row NOT IN (SELECT id FROM "{table}") '
            "ORDER BY ledger_row",
            [table],
        )
        problems += [(table, rid, "hash chain broken: the row was deleted") for (rid,) in missing]
        heads[table] = prev
    return problems, heads
