"""Fault suite: each test makes its fault for real and checks the message names the real cause, the exit code, that
the database dump is unchanged, and that the same command succeeds once the fault is gone.

Faults: a full file system (a small tmpfs mounted here: CI and this sandbox run as root), a read-only file and a
read-only folder (enforced on root by running the command with every capability dropped via util-linux
`setpriv`, so the permission bits count), a second connection holding the write lock, a size limit
(`PRAGMA max_page_count`), a database path that does not exist, and SQLite error codes that are not damage.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecasts.cli import app
from forecasts.forecasters import add_forecasters
from forecasts.store import db_faults
from forecasts.store.db import connect, write_transaction
from forecasts.sync import sync

REPO = Path(__file__).resolve().parent.parent
QUESTION = "us-sanctions-relief"  # an open binary question of the shipped pack
NO_CAPS = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]  # root without CAP_DAC_OVERRIDE: modes count


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the shipped pack and one forecaster, checkpointed (no -wal file)."""
    path = tmp_path_factory.mktemp("template") / "f.db"
    db = connect(path)
    sync(db, REPO / "questions")
    add_forecasters(db, ["ann"])
    db.close()
    return path


def dump(path: Path) -> list[str]:
    """The database as SQL, read without writing anything (immutable: no -wal/-shm files created)."""
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"file:{path}?{mode}", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def added(before: list[str], after: list[str], table: str) -> int:
    """How many rows of `table` the dump gained; nothing of `before` may be missing from `after`."""
    assert not set(before) - set(after), "rows were lost"
    return sum(line.startswith(f'INSERT INTO "{table}"') for line in set(after) - set(before))


def run(db_path: Path, *args: str, caps: bool = True, env: dict[str, str] | None = None):
    """The CLI in a child process (without root's capabilities unless `caps`): (exit code, stdout, stderr)."""
    cmd = [sys.executable, "-m", "forecasts", "--db", str(db_path), *args]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(cmd if caps else [*NO_CAPS, *cmd], capture_output=True, text=True, env=full_env, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def invoke(db_path: Path, *args: str):
    result = CliRunner().invoke(app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output, result.output
    return result


# --- a full disk -----------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for this test (needs root, as in CI)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True)
    assert done.returncode == 0, f"cannot mount a tmpfs (the fault suite needs root): {done.stderr}"
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system holding `folder` until at most `leave` bytes are free; the padding file is returned."""
    pad = folder / "pad"
    with pad.open("wb") as fh:
        try:
            while shutil.disk_usage(folder).free > leave:
                fh.write(b"\0" * min(4096, max(1, shutil.disk_usage(folder).free - leave)))
                fh.flush()
        except OSError:
            pass
    return pad


def test_full_disk_reads_work_writes_say_full_and_nothing_is_lost(template: Path, small_disk: Path) -> None:
    db_path = small_disk / "f.db"
    shutil.copy(template, db_path)
    pad = fill(small_disk)
    before = dump(db_path)

    status = invoke(db_path, "status", "--json")  # read-only opening: reads still work on a full disk
    assert status.exit_code == 0, status.output
    assert QUESTION in status.stdout and "damaged" not in status.output

    refused = invoke(db_path, "forecast", QUESTION, "0.3", "--by", "ann")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: db: the disk holding {db_path} is full (0 bytes free in {small_disk}); nothing was written. Free "
        "some space there (or move the database and pass --db), then run the command again; reading commands "
        "still work\n"
    )
    assert dump(db_path) == before

    pad.unlink()  # the fault is gone: the same command succeeds
    done = invoke(db_path, "forecast", QUESTION, "0.3", "--by", "ann")
    assert done.exit_code == 0, done.output
    assert added(before, dump(db_path), "forecasts") == 1


def test_disk_filling_up_during_a_write_refuses_it_whole(template: Path, small_disk: Path) -> None:
    """Room to open and start writing, not for the whole write: SQLITE_FULL mid-transaction, all rolled back."""
    db_path = small_disk / "f.db"
    shutil.copy(template, db_path)
    invoke(db_path, "status")  # opened once (WAL files in place) before space runs short
    pad = fill(small_disk, leave=32 * 1024)
    before = dump(db_path)
    names = [f"analyst-{i:05d}-with-a-long-name" for i in range(600)]

    refused = invoke(db_path, "forecasters", "add", *names)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: db: the disk holding {db_path} is full (")
    assert "nothing was written" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert dump(db_path) == before

    pad.unlink()
    done = invoke(db_path, "forecasters", "add", *names)
    assert done.exit_code == 0, done.output
    assert added(before, dump(db_path), "forecasters") == len(names)


def test_size_limit_is_not_a_full_disk(template: Path, tmp_path: Path) -> None:
    """`PRAGMA max_page_count` makes SQLITE_FULL with the disk far from full: said as a size limit."""
    db_path = tmp_path / "f.db"
    shutil.copy(template, db_path)
    before = dump(db_path)
    db = connect(db_path)
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(db_faults.DatabaseFault) as caught:
        add_forecasters(db, [f"analyst-{i:05d}" for i in range(300)])
    message = str(caught.value)
    assert message.startswith(f"db: {db_path} cannot grow (SQLite: database or disk is full) though ")
    assert "size limit" in message and "nothing was written" in message and "damaged" not in message
    db.close()
    assert dump(db_path) == before
    db = connect(db_path)  # a new connection has no limit: the same write succeeds
    add_forecasters(db, [f"analyst-{i:05d}" for i in range(300)])
    db.close()
    assert added(before, dump(db_path), "forecasters") == 300


# --- read-only file and folder ------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_file_or_folder_reads_work_writes_name_it(template: Path, tmp_path: Path, what: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    db_path = folder / "f.db"
    shutil.copy(template, db_path)
    before = dump(db_path)
    locked = db_path if what == "file" else folder
    locked.chmod(0o444 if what == "file" else 0o555)
    try:
        code, out, err = run(db_path, "status", "--json", caps=False)
        assert code == 0 and QUESTION in out, err
        assert sorted(p.name for p in folder.iterdir()) == ["f.db"]  # reading left no read-only -wal/-shm behind

        code, out, err = run(db_path, "forecast", QUESTION, "0.3", "--by", "ann", caps=False)
        assert code == 1
        if what == "file":
            head, fix = f"{db_path} is a read-only file", f"make it writable (chmod u+w {db_path})"
        else:
            head = f"the folder {folder} is read-only"
            fix = "make the folder writable (SQLite writes f.db-wal and f.db-shm beside the database)"
        assert err == (
            f"Error: db: {head}; nothing was written. Reading commands still work; to write, {fix}, or copy the "
            "database somewhere writable and pass --db\n"
        )
        assert dump(db_path) == before
    finally:
        locked.chmod(0o644 if what == "file" else 0o755)
    code, out, err = run(db_path, "forecast", QUESTION, "0.3", "--by", "ann", caps=False)  # the fault is gone
    assert code == 0, err
    assert added(before, dump(db_path), "forecasts") == 1


def test_permissions_are_really_enforced_without_capabilities(tmp_path: Path) -> None:
    """The read-only tests mean something: without capabilities even root cannot write a 0444 file."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0o444)
    denied = subprocess.run([*NO_CAPS, sys.executable, "-c", f"open({str(probe)!r}, 'a')"], capture_output=True)
    assert denied.returncode != 0 and b"PermissionError" in denied.stderr


# --- a lock held by another writer --------------------------------------------------------------------------


def test_lock_held_by_another_writer_waits_saying_so_then_refuses(template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "f.db"
    shutil.copy(template, db_path)
    before = dump(db_path)
    holder = sqlite3.connect(str(db_path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a second connection holds the write lock
    try:
        code, out, err = run(db_path, "--lock-timeout", "2.5", "forecast", QUESTION, "0.3", "--by", "ann")
        assert code == 1
        assert err.splitlines() == [
            f"db: another writer holds the lock on {db_path}; waiting up to 2.5 s for it (--lock-timeout or "
            "FORECASTS_LOCK_TIMEOUT sets how long)",
            f"Error: db: another writer still holds the lock on {db_path} after 2.5 s; nothing was written. Run the "
            "command again when it finishes, or wait longer with --lock-timeout SECONDS (FORECASTS_LOCK_TIMEOUT)",
        ]
        code, out, err = run(db_path, "forecast", QUESTION, "0.3", "--by", "ann",
                             env={"FORECASTS_LOCK_TIMEOUT": "0.2"})  # fmt: skip
        assert code == 1 and err.startswith("Error: db: another writer still holds the lock") and "0.2 s" in err
        assert "waiting" not in err  # under two seconds: no notice
        assert dump(db_path) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    code, out, err = run(db_path, "forecast", QUESTION, "0.3", "--by", "ann")
    assert code == 0 and err == "", err
    assert added(before, dump(db_path), "forecasts") == 1


def test_lock_timeout_must_be_seconds(template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "f.db"
    shutil.copy(template, db_path)
    bad = invoke(db_path, "--lock-timeout", "-1", "status")
    assert bad.exit_code == 1 and bad.stderr == "Error: --lock-timeout: must be a number of seconds from 0 to 86400\n"


# --- a path that does not exist -----------------------------------------------------------------------------


def test_mistyped_path_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "f.db"
    for args in (["status"], ["questions", "list"], ["score"], ["forecast-list"], ["db", "check"]):
        result = CliRunner().invoke(app, args, env={"FORECASTS_DB": str(missing)})
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == (
            f"Error: db: {missing} does not exist (a reading command creates none); check --db or FORECASTS_DB, "
            "or create it with `forecasts sync` (or pass --create-db)\n"
        )
        assert not missing.parent.exists()
    env = {"FORECASTS_DB": str(missing)}
    created = CliRunner().invoke(app, ["sync", "--questions", str(REPO / "questions")], env=env)
    assert created.exit_code == 0 and missing.exists()


# --- error codes that are not damage ------------------------------------------------------------------------


def _error(code: int, name: str, text: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorcode, exc.sqlite_errorname = code, name
    return exc


def test_io_error_with_space_left_is_said_as_such_not_damage(template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "f.db"
    shutil.copy(template, db_path)
    message = db_faults.describe(_error(266, "SQLITE_IOERR_READ", "disk I/O error"), db_path)
    assert message == (
        f"db: the operating system reported an I/O error on {db_path} (SQLITE_IOERR_READ); nothing was written. "
        "This is a disk or file-system problem, not damage found in the file: check the disk and run the command "
        "again; `forecasts db check` verifies the file"
    )


def test_corruption_report_on_an_intact_file_is_not_called_damage(template: Path, tmp_path: Path) -> None:
    """SQLITE_CORRUPT alone does not make a file damaged: quick_check decides, and only then the restore advice."""
    db_path = tmp_path / "f.db"
    shutil.copy(template, db_path)
    message = db_faults.describe(_error(11, "SQLITE_CORRUPT", "database disk image is malformed"), db_path)
    assert "quick_check finds the file intact" in message and "Restore" not in message
    db = connect(db_path)
    with write_transaction(db):  # and writes are not refused afterwards
        add_forecasters(db, ["bo"])
    db.close()
