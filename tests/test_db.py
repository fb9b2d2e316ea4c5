"""The store: pragmas, migrations recorded once, FORECASTS_DB, append-only ledgers."""

import sqlite3

import pytest

from forecasts.db import MIGRATIONS, apply_migrations, connect, default_db_path


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
    assert str(default_db_path()) == "db/forecasts.db"


def test_cli_creates_database_on_first_use(cli, db_path):
    assert not db_path.exists()
    assert cli.json("status") == []
    assert db_path.exists()


def test_not_a_database_is_a_clean_error(cli, db_path):
    db_path.write_bytes(b"this is not sqlite" * 100)
    result = cli("status", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: db: ")
