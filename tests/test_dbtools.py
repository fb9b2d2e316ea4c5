"""`db check` finds every kind of damage, `db backup` copies safely, a killed import changes nothing, FKs exist."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from reliability_pack import dump, write_pack

from forecasts.errors import ForecastsError
from forecasts.evidence import import_evidence
from forecasts.forecasting import submit_forecast
from forecasts.interchange.roundtrip import data_tables
from forecasts.resolution import resolve
from forecasts.store.db import connect
from forecasts.store.dbtools import backup_database, check_database
from forecasts.sync import sync
from forecasts.timeutil import parse_datetime

FORECASTS_BIN = Path(sys.executable).with_name("forecasts")


@pytest.fixture
def pack_db(tmp_path: Path):
    db = connect(tmp_path / "p.db")
    sync(db, write_pack(tmp_path))
    yield db
    db.close()


def _raw(path: Path) -> sqlite3.Connection:
    """A connection without foreign keys or triggers' protection, to damage the database on purpose."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def test_clean_database_passes(pack_db, cli) -> None:
    submit_forecast(pack_db, "open-q", 0.4, "alice")
    submit_forecast(pack_db, "cat-q", "early=0.2,middle=0.5,late=0.3", "alice")
    report = check_database(pack_db)
    assert report["ok"] and report["errors"] == [] and report["warnings"] == []
    assert report["rows"]["forecasts"] >= 2


def test_check_finds_every_kind_of_damage(tmp_path: Path, pack_db) -> None:
    submit_forecast(pack_db, "closed-q", 0.4, "alice", made_at=parse_datetime("2024-06-01"))
    submit_forecast(pack_db, "cat-q", "early=0.2,middle=0.5,late=0.3", "alice")
    resolve(pack_db, "closed-q", "yes", "2024-05-01")  # back-dated: the forecast above came after known_at
    conn = _raw(tmp_path / "p.db")
    conn.execute("DROP TRIGGER forecasts_no_update")
    conn.execute("""UPDATE forecasts SET probabilities = '{"early": 0.2, "middle": 0.2, "late": 0.3}' WHERE id = 2""")
    conn.execute(
        "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
        "VALUES ('ghost-q', 'alice', '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z', 0.5)"
    )
    conn.execute(
        "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
        "VALUES ('closed-q', 'alice', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z', 0.5)"
    )
    conn.execute(
        "INSERT INTO evidence (observed_at, recorded_at, summary, reliability) "
        "VALUES ('2024-06-01', '2024-06-01T00:00:00Z', 'bad date', 1)"
    )
    conn.execute(
        "INSERT INTO evidence_links (evidence_id, question_id, outcome, log_lr) VALUES (1, 'cat-q', 'never', 1)"
    )
    conn.execute(
        "INSERT INTO evidence_links (evidence_id, question_id, outcome, log_lr) VALUES (1, 'open-q', 'yes', 1)"
    )
    conn.execute("INSERT INTO resolutions (question_id, action, recorded_at) VALUES ('open-q', 'unresolve', 'x')")
    conn.close()
    report = check_database(connect(tmp_path / "p.db"))
    assert not report["ok"]
    found = {(p["check"], p["table"], p["id"]) for p in report["errors"]}
    assert ("append_only", "forecasts", None) in found
    assert ("probability", "forecasts", 2) in found
    assert ("foreign_key", "forecasts", 3) in found and ("unknown_question", "forecasts", 3) in found
    assert ("after_close", "forecasts", 4) in found
    assert ("timestamp", "evidence", 1) in found
    assert ("unknown_outcome", "evidence_links", 1) in found and ("unknown_outcome", "evidence_links", 2) in found
    assert ("resolution_sequence", "resolutions", 2) in found and ("timestamp", "resolutions", 2) in found
    assert [(w["check"], w["id"]) for w in report["warnings"]] == [("after_resolution", 1), ("after_resolution", 4)]
    assert report["problem_counts"]["probability"] == 1


def test_check_cli_exit_codes(tmp_path: Path, cli) -> None:
    cli("sync", "--questions", str(write_pack(tmp_path)))
    assert json.loads(cli("db", "check", "--json").stdout)["ok"] is True
    assert "ok: " in cli("db", "check").stdout
    conn = _raw(cli.db_path)
    conn.execute("DROP TRIGGER resolutions_no_delete")
    conn.close()
    result = cli("db", "check", ok=False)
    assert result.exit_code == 1
    assert "trigger resolutions_no_delete is missing" in result.stderr
    assert json.loads(cli("db", "check", "--json", ok=False).stdout)["ok"] is False


def test_backup_copies_and_never_overwrites(tmp_path: Path, pack_db, cli) -> None:
    submit_forecast(pack_db, "open-q", 0.4, "alice")
    result = backup_database(pack_db, tmp_path / "b.db")
    assert result["rows"]["forecasts"] == 1 and result["bytes"] > 0
    assert dump(tmp_path / "b.db") == dump(tmp_path / "p.db")
    with pytest.raises(ForecastsError, match=r"file: .*b.db already exists"):
        backup_database(pack_db, tmp_path / "b.db")
    # a missing folder is made (the README's `db backup backups/DATE.db` on a fresh clone); a file in the way is not
    assert backup_database(pack_db, tmp_path / "nowhere" / "c.db")["bytes"] > 0
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ForecastsError, match=r"file: cannot create the directory"):
        backup_database(pack_db, tmp_path / "afile" / "c.db")
    cli.db_path = tmp_path / "p.db"
    assert "backed up to" in cli("db", "backup", str(tmp_path / "c.db")).stdout
    assert cli("db", "backup", str(tmp_path / "c.db"), ok=False).stderr.startswith("Error: file: ")
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_every_link_column_has_a_foreign_key(pack_db) -> None:
    """Datasette links rows through foreign keys: every *_id column must declare one."""
    expected = {
        ("evidence_links", "evidence_id"): "evidence",
        ("evidence_links", "question_id"): "questions",
        ("evidence_retractions", "evidence_id"): "evidence",
        ("forecasts", "question_id"): "questions",
        ("forecasts", "forecaster_id"): "forecasters",
        ("resolutions", "question_id"): "questions",
    }
    for (table, column), parent in expected.items():
        fks = {fk.column: fk.other_table for fk in pack_db[table].foreign_keys}
        assert fks.get(column) == parent, (table, column)
    for t in data_tables(pack_db):  # tables added later by other modules too
        fks = {fk.column for fk in pack_db[t.name].foreign_keys}
        for column in t.columns:
            if column.endswith("_id") and column != "external_id":  # external_id: an id at the data's source
                assert column in fks, f"{t.name}.{column} has no foreign key"


# --- crash safety ---------------------------------------------------------------------------------


def _write_lock_held(path: Path) -> bool:
    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _kill_while_writing(db_path: Path, *args: str) -> None:
    """Run `forecasts --db DB ARGS`; SIGKILL it once its write transaction has spilled > 1 MB into the WAL."""
    wal = db_path.with_name(db_path.name + "-wal")
    proc = subprocess.Popen(
        [str(FORECASTS_BIN), "--db", str(db_path), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not (wal.exists() and wal.stat().st_size > 1_000_000 and _write_lock_held(db_path)):
        assert proc.poll() is None, f"the import finished before it could be killed: {proc.stderr.read()!r}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


def _crash_import(db_path: Path, rows_after_commit: str, expected: int, *args: str) -> None:
    """Kill the import mid-write and check the database is exactly as before. Should the kill land just after
    the commit (a race the polling cannot exclude), the import must be whole, never partial; then retry."""
    pristine = db_path.with_name("pristine.db")
    shutil.copy(db_path, pristine)
    before = dump(db_path)
    for _ in range(3):
        _kill_while_writing(db_path, *args)
        if dump(db_path) == before:
            return
        conn = sqlite3.connect(str(db_path))
        assert conn.execute(rows_after_commit).fetchone()[0] == expected, "a killed import left part of its rows"
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        shutil.copy(pristine, db_path)
    pytest.fail("the import always committed before the kill: make the file bigger")


def test_killed_evidence_import_changes_nothing(tmp_path: Path, pack_db) -> None:
    submit_forecast(pack_db, "open-q", 0.4, "alice")
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(20_000):  # on the closed question: no model forecast per item, just the ledger rows
            rec = {"key": f"k{i}", "observed_at": "2024-06-01", "summary": f"{'x' * 300} {i}",
                   "links": [{"question": "closed-q", "lr": 1.1}]}  # fmt: skip
            fh.write(json.dumps(rec) + "\n")
    pack_db.close()
    db_path = tmp_path / "p.db"
    _crash_import(db_path, "SELECT count(*) FROM evidence", 20_000, "evidence", "import", str(path))
    db = connect(db_path)
    assert check_database(db)["ok"]
    submit_forecast(db, "open-q", 0.5, "alice")  # still writable: no stale lock
    assert db.execute("SELECT count(*) FROM forecasts").fetchone()[0] == 2


def test_killed_forecast_import_changes_nothing(tmp_path: Path, pack_db) -> None:
    path = tmp_path / "big.csv"
    base = datetime(2024, 1, 2, tzinfo=UTC)
    rows = (f"open-q,u{i % 50},{(base + timedelta(minutes=i)):%Y-%m-%dT%H:%M:%SZ},0.{1 + i % 8}" for i in range(60_000))
    path.write_text("question,forecaster,made_at,probability\n" + "\n".join(rows) + "\n", encoding="utf-8")
    pack_db.close()
    db_path = tmp_path / "p.db"
    _crash_import(db_path, "SELECT count(*) FROM forecasts", 60_000, "import", str(path))
    assert check_database(connect(db_path))["ok"]


def test_large_evidence_import_on_an_open_question(tmp_path: Path, pack_db) -> None:
    """Thousands of items in one import: one model forecast citing them all (its rationale stays short)."""
    path = tmp_path / "many.jsonl"
    recs = (
        {"observed_at": "2024-06-01", "summary": f"s{i}", "links": [{"question": "open-q", "lr": 1.001}]}
        for i in range(3000)
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert import_evidence(pack_db, path)["imported"] == 3000
    rows = pack_db.execute("SELECT rationale, evidence_ids FROM forecasts WHERE forecaster_id = 'bayes'").fetchall()
    assert len(rows) == 1 and len(json.loads(rows[0][1])) == 3000 and len(rows[0][0]) < 1000
