"""The store: pragmas, migrations recorded once, FORECASTS_DB, append-only ledgers."""

import sqlite3

import pytest

from forecasts.cli import app
from forecasts.store.db import MIGRATIONS, apply_migrations, connect, default_db_path


def test_pragmas_and_migrations(db_path):
    db = connect(db_path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    names = [r[0] for r in db.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [name for name, _ in MIGRATIONS]
    assert apply_migrations(db) == []  # idempotent
    db.close()
    assert connect(db_path).conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
            "VALUES ('nope', 'nobody', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 0.5)"
        )


def test_forecasts_db_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv("FORECASTS_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("FORECASTS_DB")
    (tmp_path / "questions").mkdir()
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == tmp_path.resolve() / "db" / "forecasts.db"


def test_reads_never_create_the_database_writes_and_create_db_do(cli, db_path):
    """A mistyped --db for a reading command is a one-line error naming it and the command that creates one."""
    result = cli("status", ok=False)
    assert result.exit_code == 1 and not db_path.exists()
    assert result.stderr == (f"Error: db: {db_path} does not exist (a reading command creates none); check --db or "
                             "FORECASTS_DB, or create it with `forecasts sync` (or pass --create-db)\n")  # fmt: skip
    assert cli.runner.invoke(app, ["--db", str(db_path), "--create-db", "status", "--json"]).stdout.strip() == "[]"
    assert db_path.exists()
    db_path.unlink()
    cli("forecasters", "add", "ann")  # a write creates it
    assert cli.json("forecasters", "list")[0]["id"] == "ann"


def test_not_a_database_is_a_clean_error(cli, db_path):
    db_path.write_bytes(b"this is not sqlite" * 100)
    result = cli("status", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: db: ")


def test_replace_and_upsert_cannot_rewrite_a_ledger_row(pack_cli, db_path):
    """INSERT OR REPLACE deletes without firing DELETE triggers: the ledgers refuse it (and upserts) outright."""
    pack_cli("evidence", "add", "nato-renunciation", "--summary", "s", "--observed-at", "2025-01-10", "--lr", "2")
    pack_cli("forecast", "nato-renunciation", "0.2", "--by", "alice", "--new-forecaster")
    pack_cli("resolve", "kursk-exchange", "yes", "--known-at", "2025-06-01")
    db = connect(db_path)
    cols = "id, question_id, forecaster_id, made_at, recorded_at, probability, probabilities, rationale"
    attempts = [
        f"REPLACE INTO forecasts ({cols}) SELECT {cols.replace('probability,', '0.99,')} FROM forecasts",
        "INSERT OR REPLACE INTO resolutions SELECT * FROM resolutions",
        "INSERT INTO forecasts SELECT * FROM forecasts WHERE true ON CONFLICT(id) DO UPDATE SET probability = 0.99",
        "INSERT OR REPLACE INTO evidence (id, observed_at, recorded_at, summary) "
        "SELECT id, observed_at, recorded_at, 'rewritten' FROM evidence",
    ]
    before = [db.conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("forecasts", "resolutions")]
    assert db.conn.execute("SELECT count(*) FROM evidence").fetchone()[0] > 0
    for sql in attempts:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute(sql)
    key_sql = (
        "INSERT OR REPLACE INTO evidence (key, observed_at, recorded_at, summary, reliability) VALUES (?, ?, ?, ?, 1)"
    )
    db.conn.execute(key_sql, ["k1", "x", "x", "a"])
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: evidence.id"):  # a key clash too
        db.conn.execute(key_sql, ["k1", "x", "x", "b"])
    after = [db.conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("forecasts", "resolutions")]
    assert after == before
    assert db.conn.execute("SELECT count(*) FROM evidence WHERE summary = 'rewritten'").fetchone()[0] == 0
