"""Damaged and newer databases: SQLite corruption becomes a one-line user error naming the file, and no write proceeds
on a database that failed its integrity check in this process or whose schema is newer than this package.

Before the first write of a process to a database file, SQLite's `quick_check` runs once (milliseconds for a
team's database): a damaged table then stops a write that would not itself have touched the broken pages.
Pure sqlite3 and the standard library: interactive commands import this module.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from forecasts import __version__
from forecasts.errors import ForecastsError

# SQLite's damage reports (SQLITE_CORRUPT, SQLITE_NOTADB) by message, for errors without a result code. An I/O
# error or a full disk is not damage (forecasts.store.db_faults tells those apart by SQLite's extended result codes).
CORRUPTION = ("malformed", "not a database", "database corrupt", "file is encrypted")
_damaged: dict[str, str] = {}  # database file → what was found, for this process
_checked: set[str] = set()  # database files whose quick_check passed in this process
_newer: dict[str, str] = {}  # database file → the refusal naming both schema versions


class DamagedDatabase(ForecastsError):
    """SQLite found the file damaged (the message names it and says what to do)."""


def db_file(conn: sqlite3.Connection) -> str:
    """The main database file of a connection (':memory:' for an in-memory one)."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "?"
    name = (row[2] if row else "") or ""
    return _resolved_name(name) if name else ":memory:"


def is_corruption(exc: BaseException) -> bool:
    """Whether an exception is SQLite reporting a damaged file (not a failing disk, not a bug in our SQL)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    return any(s in str(exc).lower() for s in CORRUPTION)


def damaged_message(path: Any, what: str) -> str:
    """The one line a damaged database gets: the file, what SQLite said, and what to do."""
    return (
        f"db: {path} is damaged ({summary(what)}); nothing was written. Restore it from a copy made with "
        "`forecasts db backup`; `forecasts db check` lists the damage"
    )


def summary(what: str | list[str]) -> str:
    """SQLite's integrity report (several lines, a '*** in database main ***' header) as one short phrase."""
    text = " ".join(what) if isinstance(what, list) else what
    text = " ".join(text.replace("*** in database main ***", "").split())
    return text if len(text) <= 200 else text[:200] + "…"


def mark_damaged(path: str, what: str) -> None:
    """Remember, for this process, that a database file is damaged: later writes to it are refused."""
    _damaged[str(path)] = what
    _checked.discard(str(path))


def newer_schema(conn: sqlite3.Connection, recorded: set[str], known: list[str]) -> str | None:
    """If the database records migrations this package does not know, remember and return the refusal text."""
    unknown = sorted(recorded - set(known))
    if not unknown:
        return None
    path = db_file(conn)
    _newer[path] = (
        f"db: {path} was written by a newer forecasts (its schema has migration {unknown[-1]}"
        f"{f' and {len(unknown) - 1} more' if len(unknown) > 1 else ''}; installed forecasts {__version__} knows "
        f"up to {known[-1]}); upgrade forecasts before writing to it"
    )
    return _newer[path]


def before_write(conn: sqlite3.Connection) -> None:
    """Refuse a write to a newer or damaged database; the first write of a process runs quick_check first."""
    path = db_file(conn)
    if path in _newer:
        raise ForecastsError(_newer[path])
    if path in _damaged:
        raise DamagedDatabase(damaged_message(path, _damaged[path]))
    if path in _checked or path == ":memory:":
        return
    try:
        problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        problems = [str(exc)]
    if problems != ["ok"]:
        mark_damaged(path, f"integrity check: {summary(problems)}")
        raise DamagedDatabase(damaged_message(path, _damaged[path]))
    _checked.add(path)


@functools.lru_cache(maxsize=64)
def _resolved_name(name: str) -> str:
    """_resolved for SQLite's name of an open file, remembered: every write asks twice, and resolving walks the
    path with a system call per folder."""
    return _resolved(name)


def _resolved(path: Any) -> str:
    from forecasts.project import default_db_path

    try:
        return str(Path(path if path is not None else default_db_path()).resolve())
    except OSError:
        return str(path)


def newer_warning(path: Any) -> str | None:
    """The newer-schema text for the database file at `path` if one was opened in this process, else None."""
    return _newer.get(_resolved(path)) if _newer else None
