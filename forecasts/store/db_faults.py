"""SQLite failures told by their real cause: a full disk, a read-only file or folder, a lock held by another
writer, damage (only when SQLite's quick_check finds it), another I/O error, a path that is not a database.

Classification reads SQLite's extended result codes (`sqlite3.Error.sqlite_errorcode`, Python 3.11), the file
system (free space, permissions) and, before ever calling a file damaged, `PRAGMA quick_check`. Each message
names the file or folder, says that nothing was written and what to do. Pure standard library: interactive
commands import this module.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from forecasts.errors import ForecastsError

# SQLite's primary result codes (the low byte of an extended code).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
NEARLY_FULL = 1 << 20  # bytes: an I/O error with less than this free on the file system is a full disk
DEFAULT_LOCK_TIMEOUT = 60.0  # seconds a writer waits for another writer's lock
LOCK_NOTICE_AFTER = 2.0  # seconds: a writer still waiting then says so on stderr
LOCK_ENV = "FORECASTS_LOCK_TIMEOUT"
_settings: dict[str, float | None] = {"lock_timeout": None}
_read_only: dict[str, str] = {}  # resolved database file → why this process opened it read-only


class DatabaseFault(ForecastsError):
    """An SQLite failure about the file or the machine, not the input (the message names cause and next step)."""


def code(exc: BaseException) -> int | None:
    """SQLite's extended result code of an exception (None when it carries none)."""
    return getattr(exc, "sqlite_errorcode", None)


def primary(exc: BaseException) -> int | None:
    """SQLite's primary result code (SQLITE_IOERR for SQLITE_IOERR_SHMSIZE, ...)."""
    value = code(exc)
    return None if value is None else value & 0xFF


def is_damage_report(exc: BaseException) -> bool:
    """Whether SQLite itself said the file is malformed (SQLITE_CORRUPT); I/O errors and full disks are not."""
    return isinstance(exc, sqlite3.DatabaseError) and primary(exc) == CORRUPT


# --- the lock timeout ----------------------------------------------------------------------------------------


def set_lock_timeout(seconds: float | None) -> None:
    """How long writers wait for another writer's lock (None: FORECASTS_LOCK_TIMEOUT, else 60 s); checked when
    first used, so a bad value is a command's one-line error."""
    _settings["lock_timeout"] = seconds


def lock_timeout() -> float:
    """Seconds a writer waits for the write lock: --lock-timeout, else FORECASTS_LOCK_TIMEOUT, else 60."""
    seconds = _settings["lock_timeout"]
    if seconds is not None:
        if not (0 <= seconds <= 86_400):
            raise ForecastsError("--lock-timeout: must be a number of seconds from 0 to 86400")
        return float(seconds)
    env = os.environ.get(LOCK_ENV, "").strip()
    if not env:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(env)
    except ValueError:
        seconds = -1.0
    if not (0 <= seconds <= 86_400):
        raise ForecastsError(f"{LOCK_ENV}: must be a number of seconds from 0 to 86400, not {env!r}")
    return seconds


def waiting_notice(path: Any, timeout: float) -> str:
    """The stderr line a writer prints once it has waited LOCK_NOTICE_AFTER seconds for the lock."""
    return (
        f"db: another writer holds the lock on {path}; waiting up to {timeout:g} s for it "
        f"(--lock-timeout or {LOCK_ENV} sets how long)"
    )


# --- read-only opening ---------------------------------------------------------------------------------------


def remember_read_only(path: Any, reason: str) -> None:
    """Record that `path` was opened read-only because of `reason` (the fault message writes then get)."""
    _read_only[_key(path)] = reason


def read_only_reason(path: Any) -> str | None:
    """Why this process opened `path` read-only, or None if it did not."""
    return _read_only.get(_key(path)) if _read_only else None


def read_only_uris(path: Path, immutable_first: bool = False) -> list[str]:
    """URIs that open an existing database without writing: `mode=ro`, and `immutable=1` unless a -wal file
    holds commits that immutable reading would miss. Immutable is needed where the WAL index (-shm) cannot be
    created (a read-only folder, a full disk) and comes first for a file we may not write (`immutable_first`),
    so that reading leaves no read-only -wal/-shm files behind to block its owner's next write."""
    base = "file:" + quote(str(path.resolve()), safe="/")
    uris = [f"{base}?mode=ro"]
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        uris.insert(0 if immutable_first else 1, f"{base}?mode=ro&immutable=1")
    return uris


def unwritable(path: Path) -> str | None:
    """The read-only message if the file or its folder plainly cannot be written (permissions, a read-only
    mount); then the database is opened read-only straight away."""
    if not path.exists():
        return None
    if not os.access(path, os.W_OK) or not _writable_folder(path):
        return read_only_message(path)
    return None


def fallback_reason(exc: BaseException, path: Path) -> str | None:
    """If opening `path` for writing failed because of a read-only file or folder or a full disk (reading still
    possible), the message writes will get; else None."""
    kind = primary(exc)
    if kind == FULL or (kind == IOERR and disk_full(path)):
        return full_message(path) if disk_full(path) else size_limit_message(path, exc)
    if kind == READONLY or (kind == CANTOPEN and not _writable_folder(path)):
        return read_only_message(path, exc)
    return None


# --- messages ------------------------------------------------------------------------------------------------


def describe(exc: sqlite3.Error, path: Any, waited: float | None = None) -> str | None:
    """The one-line message for an SQLite failure about the file or the machine; None for anything else (a bug
    in our SQL, a constraint): the caller lets those raise."""
    path = Path(path) if path is not None else None
    kind = primary(exc)
    if kind is None or path is None:
        return None
    reason = read_only_reason(path)
    if reason is not None and kind == READONLY:
        return reason  # opened read-only because of an earlier fault: the write is refused for that cause
    if kind in (BUSY, LOCKED):
        return locked_message(path, lock_timeout() if waited is None else waited)
    if kind == FULL or (kind == IOERR and disk_full(path)):
        return full_message(path) if disk_full(path) else size_limit_message(path, exc)
    if kind == READONLY or (kind == CANTOPEN and not _writable_folder(path)):
        return read_only_message(path, exc)
    if kind == CANTOPEN:
        return f"db: SQLite cannot open {path} ({exc}); check that --db or FORECASTS_DB names a database file"
    if kind == IOERR:
        return (
            f"db: the operating system reported an I/O error on {path} ({_name(exc)}); nothing was written. "
            "This is a disk or file-system problem, not damage found in the file: check the disk and run the "
            "command again; `forecasts db check` verifies the file"
        )
    if kind == CORRUPT:
        return damage_message(path, str(exc))
    if kind == NOTADB:
        return (
            f"db: {path} is not an SQLite database (SQLite: {exc}); check that --db or FORECASTS_DB names "
            "the database file"
        )
    return None


def locked_message(path: Path, waited: float) -> str:
    return (
        f"db: another writer still holds the lock on {path} after {waited:g} s; nothing was written. Run the "
        f"command again when it finishes, or wait longer with --lock-timeout SECONDS ({LOCK_ENV})"
    )


def full_message(path: Path) -> str:
    folder = _existing_folder(path)
    try:
        free = f"{_size(shutil.disk_usage(folder).free)} free"
    except OSError:
        free = "free space unknown"
    return (
        f"db: the disk holding {path} is full ({free} in {folder}); nothing was written. Free some space "
        "there (or move the database and pass --db), then run the command again; "
        "reading commands still work"
    )


def size_limit_message(path: Path, exc: BaseException) -> str:
    """SQLITE_FULL with room on the disk: a limit on the file's size stopped it (a quota, ulimit -f, max_page_count)."""
    folder = _existing_folder(path)
    try:
        free = f"{_size(shutil.disk_usage(folder).free)} is free in {folder}"
    except OSError:
        free = f"{folder} has room"
    return (
        f"db: {path} cannot grow (SQLite: {exc}) though {free}: a size limit on the file (a disk quota, "
        "`ulimit -f`, SQLite's max_page_count) stops it; nothing was written. Raise the limit or move the "
        "database and pass --db, then run the command again"
    )


def read_only_message(path: Path, exc: BaseException | None = None) -> str:
    """Which of the file, its folder or its -wal/-shm files refuses writing, and that reading still works."""
    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        return (
            f"db: cannot create {path}: the folder {folder} is read-only; nothing was written. Make the folder "
            "writable, or pass --db FILE somewhere writable"
        )
    if not os.access(path, os.W_OK):
        what, fix = f"{path} is a read-only file", f"make it writable (chmod u+w {path})"
    elif not _writable_folder(path):
        what = f"the folder {folder} is read-only"
        fix = f"make the folder writable (SQLite writes {path.name}-wal and {path.name}-shm beside the database)"
    else:
        side = [p for p in (path.with_name(path.name + s) for s in ("-wal", "-shm")) if p.exists()]
        locked = [p for p in side if not os.access(p, os.W_OK)]
        if locked:
            what, fix = f"{locked[0]} is read-only", f"make it writable (chmod u+w {locked[0]})"
        else:
            what, fix = f"{path} cannot be written ({exc or 'read-only'})", "check its permissions and mount"
    return (
        f"db: {what}; nothing was written. Reading commands still work; to write, {fix}, or copy the database "
        "somewhere writable and pass --db"
    )


def damage_message(path: Path, what: str) -> str:
    """SQLite reported corruption: called damaged only if quick_check agrees; the restore advice only then."""
    from forecasts.store.integrity import damaged_message

    problems = quick_check(path)
    if problems is None:
        return (
            f"db: SQLite reported damage in {path} ({what}) but cannot check it now; nothing was written. "
            "Run `forecasts db check` to see whether the file is damaged"
        )
    if problems == ["ok"]:
        return (
            f"db: SQLite reported damage while reading {path} ({what}) but its quick_check finds the file intact; "
            "nothing was written. Run the command again; if this repeats, run `forecasts db check`"
        )
    from forecasts.store.integrity import mark_damaged, summary

    mark_damaged(_key(path), f"integrity check: {summary(problems)}")
    return damaged_message(path, f"integrity check: {summary(problems)}")


def quick_check(path: Path) -> list[str] | None:
    """SQLite's quick_check of the file, opened read-only (None when it cannot run: no file, an I/O error)."""
    if not path.exists():
        return None
    for uri in read_only_uris(path):
        try:
            conn = sqlite3.connect(uri, uri=True)
        except sqlite3.Error:
            continue
        try:
            return [row[0] for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.Error as exc:
            if is_damage_report(exc):
                return [str(exc)]
        finally:
            conn.close()
    return None


def missing_message(path: Path) -> str:
    """A reading command named a database that does not exist: none is created."""
    return (
        f"db: {path} does not exist (a reading command creates none); check --db or FORECASTS_DB, or create it "
        "with `forecasts sync` (or pass --create-db)"
    )


def disk_full(path: Path) -> bool:
    """Whether the file system holding `path` has (almost) no space left."""
    try:
        return shutil.disk_usage(_existing_folder(path)).free < NEARLY_FULL
    except OSError:
        return False


def _writable_folder(path: Path) -> bool:
    folder = _existing_folder(path)
    return os.access(folder, os.W_OK | os.X_OK)


def _existing_folder(path: Path) -> Path:
    folder = path.resolve().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _name(exc: BaseException) -> str:
    return getattr(exc, "sqlite_errorname", None) or str(exc)


def _size(n: float) -> str:
    """Bytes for a person: 0 bytes, 8 KB, 1.5 MB."""
    if n < 1024:
        return f"{n:.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            break
    return f"{n:.1f} {unit}" if n < 10 else f"{n:.0f} {unit}"


def _key(path: Any) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def file_error(exc: sqlite3.DatabaseError, path: Any) -> str | None:
    """The one-line message for an SQLite error that is about the file or the machine, not our SQL (None: a bug,
    let it raise); `path` None means the project's default database."""
    if path is None:
        from forecasts.project import default_db_path

        path = default_db_path().resolve()
    return describe(exc, path)
