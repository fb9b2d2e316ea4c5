"""Identity: registered forecasters unique regardless of case, a default identity, the OS account on every row,
and the project's database found by walking up from the working directory."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecasts.cli import app


@pytest.fixture
def qcli(cli, make_question):
    folder = make_question("alpha")
    cli("sync", "--questions", str(folder))
    return cli


def test_names_are_unique_regardless_of_case(qcli, db_path):
    assert qcli.json("forecasters", "add", "alice", "bob") == {"added": ["alice", "bob"], "login": None}
    refused = qcli("forecasters", "add", "carol", "Alice", ok=False)
    assert refused.exit_code == 1 and "'Alice' is already registered (as 'alice')" in refused.stderr
    assert "carol" not in {r["id"] for r in qcli.json("forecasters", "list")}  # all or nothing
    assert qcli.json("forecast", "alpha", "0.3", "--by", "ALICE")["forecaster"] == "alice"
    assert [f["forecaster_id"] for f in qcli.json("forecast-list", "--by", "Alice")] == ["alice"]
    people = [r["id"] for r in qcli.json("forecasters", "list") if r["kind"] == "person"]
    assert people == ["alice", "bob"]
    conn = sqlite3.connect(db_path)  # the rule holds in the database too, whoever writes
    with pytest.raises(sqlite3.IntegrityError, match="another case"):
        conn.execute("INSERT INTO forecasters (id, kind, created_at) VALUES ('Bob', 'person', '2025-01-01T00:00:00Z')")


def test_unknown_by_is_refused_with_the_known_names(qcli):
    qcli("forecasters", "add", "alice", "bob")
    refused = qcli("forecast", "alpha", "0.3", "--by", "Alicia", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: by: 'Alicia' (from --by) is not a registered forecaster; known: alice, bob; register it with "
        "`forecasts forecasters add Alicia` or pass --new-forecaster"
    ]
    assert qcli.json("forecast-list") == []
    assert qcli.json("forecast", "alpha", "0.3", "--by", "Alicia", "--new-forecaster")["forecaster"] == "Alicia"
    for name, kind in (("crowd", "aggregate"), ("Crowd-Geometric", "aggregate"), ("BAYES", "model")):
        out = qcli("forecast", "alpha", "0.3", "--by", name, "--new-forecaster", ok=False)
        assert f"reserved for the {kind}" in out.stderr
        assert qcli("forecasters", "add", name, ok=False).exit_code == 1
    qcli("evidence", "add", "alpha", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2", "--by", "alicia ")
    assert qcli.json("evidence", "list")[0]["recorded_by"] == "Alicia"
    evidence = ["evidence", "add", "alpha", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2"]
    assert "recorded_by: 'zed'" in qcli(*evidence, "--by", "zed", ok=False).stderr


def test_default_identity_from_environment_and_project_config(qcli, tmp_path, monkeypatch):
    qcli("forecasters", "add", "alice", "bob")
    monkeypatch.delenv("FORECASTS_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    missing = qcli("forecast", "alpha", "0.3", ok=False)
    assert "by: who is this? give --by NAME, set FORECASTS_USER" in missing.stderr
    (tmp_path / "forecasts.toml").write_text('user = "Bob"\n', encoding="utf-8")
    assert qcli.json("forecast", "alpha", "0.3")["forecaster"] == "bob"
    monkeypatch.setenv("FORECASTS_USER", "alice")
    assert qcli.json("forecast", "alpha", "0.35")["forecaster"] == "alice"
    assert qcli.json("forecast", "alpha", "0.4", "--by", "bob")["forecaster"] == "bob"  # --by wins
    monkeypatch.setenv("FORECASTS_USER", "mallory")
    assert (
        "'mallory' (from FORECASTS_USER) is not a registered forecaster"
        in qcli("forecast", "alpha", "0.3", ok=False).stderr
    )


def test_every_written_row_records_the_os_account(qcli, db_path):
    qcli("forecasters", "add", "alice")
    qcli("forecast", "alpha", "0.3", "--by", "alice")
    eid = qcli.json("evidence", "add", "alpha", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2")
    qcli("evidence", "retract", str(eid["evidence_id"]), "--reason", "wrong", "--by", "alice")
    qcli("resolve", "alpha", "yes", "--by", "alice")
    qcli("unresolve", "alpha")
    conn = sqlite3.connect(db_path)
    me = getpass.getuser()
    for table in ("forecasters", "evidence", "evidence_retractions", "forecasts", "resolutions", "question_versions"):
        users = {r[0] for r in conn.execute(f"SELECT os_user FROM {table}")}
        assert users == {me}, table
    who = conn.execute("SELECT recorded_by FROM resolutions ORDER BY id").fetchall()
    assert who == [("alice",), ("",)]
    assert qcli.json("forecasters", "list")[0]["os_user"] == me


def test_default_database_is_the_project_folders(tmp_path: Path, monkeypatch, make_question) -> None:
    """Walk up to the folder holding questions/ (or forecasts.toml); outside a project, refuse to create one."""
    monkeypatch.delenv("FORECASTS_DB", raising=False)
    runner = CliRunner()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    refused = runner.invoke(app, ["status"])
    assert refused.exit_code == 1 and "is not inside a forecasts project" in refused.stderr
    assert not (outside / "db").exists()
    assert runner.invoke(app, ["--create-db", "status"]).exit_code == 0
    assert (outside / "db" / "forecasts.db").exists()
    project = tmp_path / "project"
    (project / "questions").mkdir(parents=True)
    (project / "reports" / "2025").mkdir(parents=True)
    monkeypatch.chdir(project / "reports" / "2025")
    missing = runner.invoke(app, ["status"])  # a reading command creates no database, even in a project
    assert missing.exit_code == 1 and "does not exist" in missing.stderr and not (project / "db").exists()
    write = ["forecasters", "add", "pat"]  # a writing command creates it
    assert runner.invoke(app, write).exit_code == 0
    assert (project / "db" / "forecasts.db").exists() and not (project / "reports" / "2025" / "db").exists()
    (project / "forecasts.toml").write_text('db = "ledger.db"\n', encoding="utf-8")
    assert runner.invoke(app, write).exit_code == 0
    assert (project / "ledger.db").exists()
    (project / "forecasts.toml").unlink()  # a pyproject.toml with [tool.forecasts] marks a project too
    other = tmp_path / "other"
    (other / "src").mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.forecasts]\ndb = "data/f.db"\n', "utf-8")
    monkeypatch.chdir(other / "src")
    assert runner.invoke(app, write).exit_code == 0
    assert (other / "data" / "f.db").exists()
    explicit = tmp_path / "explicit.db"
    assert runner.invoke(app, ["--db", str(explicit), *write]).exit_code == 0 and explicit.exists()


def test_the_login_name_is_the_default_identity_when_registered(qcli, tmp_path, monkeypatch):
    from forecasts.forecasters import NAME_PATTERN, os_user

    monkeypatch.delenv("FORECASTS_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    login = os_user()
    assert NAME_PATTERN.match(login), login  # the test machine's login is a usable forecaster name
    assert "who is this?" in qcli("forecast", "alpha", "0.3", ok=False).stderr
    qcli("forecasters", "add", login)
    assert qcli.json("forecast", "alpha", "0.3")["forecaster"] == login


def test_db_check_warns_of_names_differing_only_in_case(qcli, db_path):
    qcli("forecasters", "add", "alice")
    conn = sqlite3.connect(db_path)  # a database from before names ignored case
    conn.execute("DROP TRIGGER forecasters_unique_nocase")
    conn.execute("INSERT INTO forecasters (id, kind, created_at) VALUES ('Alice', 'person', '2025-01-01T00:00:00Z')")
    conn.commit()
    report = qcli.json("db", "check")
    assert [w["problem"] for w in report["warnings"] if w["check"] == "name_case"] == [
        "Alice, alice: names that differ only in case"
    ]
    assert qcli("db", "check", "--strict", ok=False).exit_code == 1


def test_a_person_bound_to_a_login_is_written_only_by_it(qcli, tmp_path, monkeypatch):
    from forecasts.forecasters import os_user

    monkeypatch.delenv("FORECASTS_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    me = os_user()
    qcli("forecasters", "add", "alice", "--login", "alice-login")
    qcli("forecasters", "add", "bob", "--login", me)
    refused = qcli("forecast", "alpha", "0.3", "--by", "Alice", ok=False)
    assert refused.stderr.strip() == (
        f"Error: by: 'alice' is bound to the login 'alice-login' and this command runs as {me!r}; "
        "only 'alice-login' writes as 'alice'"
    )
    assert qcli.json("forecast", "alpha", "0.3")["forecaster"] == "bob"  # the login's own name is the default
    assert {f["forecaster_id"] for f in qcli.json("forecast-list")} == {"bob"}  # nothing written as alice
    assert {r["id"]: r["login"] for r in qcli.json("forecasters", "list")}["alice"] == "alice-login"
    assert "login: 'a b'" in qcli("forecasters", "add", "carol", "--login", "a b", ok=False).stderr
    assert "for one person" in qcli("forecasters", "add", "carol", "dave", "--login", "x", ok=False).stderr


def test_unknown_by_lists_only_the_names_by_can_take(qcli):
    qcli("forecasters", "add", "alice")
    qcli("evidence", "add", "alpha", "--summary", "news", "--lr", "2")  # registers the model, `bayes`
    assert "bayes" in {r["id"] for r in qcli.json("forecasters", "list")}
    refused = qcli("forecast", "alpha", "0.3", "--by", "zed", ok=False)
    assert "known: alice; register it" in refused.stderr  # not the model or an aggregate: --by cannot be them
