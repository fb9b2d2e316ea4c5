"""Accounts of the team server (forecasts.accounts): roles, scrypt passwords, hashed revocable tokens, comments."""

from __future__ import annotations

import sqlite3

import pytest

from forecasts import accounts
from forecasts.errors import ForecastsError


def test_users_are_people_with_a_role(db, cli):
    assert accounts.add_user(db, "Alice", "curator") == {"name": "Alice", "role": "curator"}
    assert db.conn.execute("SELECT kind FROM forecasters WHERE id = 'Alice'").fetchone() == ("person",)
    for name, role, field in (("alice", "forecaster", "name"), ("bayes", "forecaster", "name"),
                              ("crowd", "forecaster", "name"), ("../x", "forecaster", "name"),
                              ("bob", "king", "role")):  # fmt: skip
        with pytest.raises(ForecastsError, match=f"^{field}: "):
            accounts.add_user(db, name, role)
    assert accounts.may("curator", "resolve") and not accounts.may("forecaster", "resolve")
    assert accounts.may("admin", "users") and not accounts.may("curator", "users")
    result = cli("users", "add", "bayes", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: name: 'bayes' is reserved")


def test_passwords_are_scrypt_hashed_and_checked(db):
    accounts.add_user(db, "bob")
    assert accounts.check_password(db, "bob", "anything") is None  # no password set: no sign-in
    accounts.set_password(db, "bob", "correct horse")
    (stored,) = db.conn.execute("SELECT password_hash FROM users WHERE name = 'bob'").fetchone()
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in stored
    assert accounts.check_password(db, "BOB", "correct horse") == {"name": "bob", "role": "forecaster"}
    assert accounts.check_password(db, "bob", "correct horsE") is None
    assert accounts.check_password(db, "nobody", "correct horse") is None
    with pytest.raises(ForecastsError, match="^password: "):
        accounts.set_password(db, "bob", "short")


def test_tokens_are_shown_once_stored_hashed_and_revocable(db, cli):
    accounts.add_user(db, "carol")
    made = cli("tokens", "create", "carol", "--label", "laptop").stdout.splitlines()
    token = made[-1]  # alone on the last line
    assert token.startswith("fct_") and len(token) > 40
    assert accounts.authenticate(db, token) == {"name": "carol", "role": "forecaster"}
    assert accounts.authenticate(db, token + "x") is None and accounts.authenticate(db, "") is None
    assert token not in str(db.conn.execute("SELECT * FROM tokens").fetchall())
    assert "fct_" not in cli("tokens", "list").stdout
    second = accounts.create_token(db, "carol")["token"]
    cli("tokens", "revoke", "1")
    assert accounts.authenticate(db, token) is None and accounts.authenticate(db, second) is not None
    cli("tokens", "revoke", "--user", "carol")
    assert accounts.authenticate(db, second) is None
    assert [u["tokens"] for u in cli.json("users", "list")] == [0]


def test_users_password_reads_stdin(db, cli, db_path):
    from typer.testing import CliRunner

    from forecasts.cli import app

    accounts.add_user(db, "dan")
    result = CliRunner().invoke(app, ["--db", str(db_path), "users", "password", "dan"], input="a long secret\n")
    assert result.exit_code == 0 and result.stdout == "password set for dan\n"
    assert accounts.check_password(db, "dan", "a long secret") is not None


def test_comments_are_append_only_and_chained(db, questions_dir):
    from forecasts.sync import sync

    sync(db, questions_dir)
    accounts.add_user(db, "erin")
    qid = db.conn.execute("SELECT id FROM questions ORDER BY id").fetchone()[0]
    c = accounts.add_comment(db, qid, "erin", "  first thought  ")
    assert c["body"] == "first thought" and accounts.list_comments(db, qid)[0]["author"] == "erin"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.conn.execute("UPDATE comments SET body = 'edited'")
    assert db.conn.execute("SELECT count(*) FROM ledger_digests WHERE tbl = 'comments'").fetchone() == (1,)
    for body, field in (("", "body"), ("x" * 10_001, "body")):
        with pytest.raises(ForecastsError, match=f"^{field}: "):
            accounts.add_comment(db, qid, "erin", body)
