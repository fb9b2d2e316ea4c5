"""Tamper evidence: the ledgers' hash chain is written with every row, verified by `db check`, carried by
export/import and backups."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest


@pytest.fixture
def ledger(cli, make_question) -> object:
    """Questions, forecasts, evidence (with a retraction) and a contested resolution."""
    make_question("alpha")
    folder = make_question("beta")
    cli("sync", "--questions", str(folder))
    cli("forecasters", "add", "alice", "bob")
    cli("forecast", "alpha", "0.2", "--by", "alice")
    cli("forecast", "alpha", "0.3", "--by", "bob")
    cli("forecast", "beta", "0.6", "--by", "alice")
    eid = cli.json("evidence", "add", "alpha", "beta", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2")
    cli("evidence", "retract", str(eid["evidence_id"]), "--reason", "withdrawn")
    cli("resolve", "beta", "yes", "--source", "wire")
    cli("unresolve", "beta", "--note", "contested")
    return cli


def check_json(cli) -> dict:
    """`db check --json` of a database that fails the check (exit 1)."""
    result = cli("db", "check", "--json", ok=False)
    assert result.exit_code == 1
    return json.loads(result.stdout)


def forecast_id(cli, who: str, question: str) -> int:
    return next(f["id"] for f in cli.json("forecast-list", "--by", who) if f["question_id"] == question)


def test_every_ledger_row_is_chained_and_db_check_verifies(ledger, db_path):
    report = ledger.json("db", "check")
    assert report["ok"] and report["problem_counts"] == {}
    conn = sqlite3.connect(db_path)
    for table in (
        "evidence",
        "evidence_links",
        "evidence_retractions",
        "forecasts",
        "resolutions",
        "question_versions",
    ):
        rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        chained = conn.execute("SELECT count(*) FROM ledger_digests WHERE tbl = ?", [table]).fetchone()[0]
        assert rows > 0 and chained == rows, table
        assert len(report["chain_heads"][table]) == 64


def test_an_edited_forecast_is_named_even_with_the_triggers_put_back(ledger, db_path):
    fid = forecast_id(ledger, "bob", "alpha")
    conn = sqlite3.connect(db_path)
    (trigger_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'forecasts_no_update'").fetchone()
    conn.execute("DROP TRIGGER forecasts_no_update")
    conn.execute("UPDATE forecasts SET probability = 0.9 WHERE id = ?", [fid])
    conn.execute(trigger_sql)  # cover the tracks
    conn.commit()
    result = ledger("db", "check", ok=False)
    assert result.exit_code == 1
    assert f"error: hash_chain: forecasts #{fid}: hash chain broken: the row was changed after it was written" in (
        result.stderr
    )
    assert "FAILED" in result.stdout and "hash_chain 1" in result.stdout
    problems = [p for p in check_json(ledger)["errors"] if p["check"] == "hash_chain"]
    assert [(p["table"], p["id"]) for p in problems] == [("forecasts", fid)]


def test_a_deleted_or_smuggled_row_breaks_the_chain(ledger, db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER resolutions_no_delete")
    last = conn.execute("SELECT max(id) FROM resolutions").fetchone()[0]
    conn.execute("DELETE FROM resolutions WHERE id = ?", [last])
    conn.execute(
        "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
        "VALUES ('alpha', 'alice', '2025-02-01T00:00:00Z', '2025-02-01T00:00:00Z', 0.5)"
    )
    smuggled = conn.execute("SELECT max(id) FROM forecasts").fetchone()[0]
    conn.commit()
    problems = {(p["table"], p["id"]): p["problem"] for p in check_json(ledger)["errors"]}
    assert problems[("resolutions", last)] == "hash chain broken: the row was deleted"
    assert problems[("forecasts", smuggled)].startswith("not in the hash chain")


def test_export_import_and_backup_carry_the_chain(ledger, db_path, tmp_path: Path):
    out = tmp_path / "dump"
    assert ledger.json("export", "--format", "csv", "--out", str(out))["tables"]["ledger_digests"] > 0
    heads = ledger.json("db", "check")["chain_heads"]
    fresh = type(ledger)(tmp_path / "fresh.db")
    fresh("import", str(out))
    assert fresh.json("db", "check")["chain_heads"] == heads
    again = tmp_path / "again"
    fresh("export", "--format", "csv", "--out", str(again))
    assert (again / "ledger_digests.csv").read_bytes() == (out / "ledger_digests.csv").read_bytes()
    # An export from before the chain (no ledger_digests file) is chained on import.
    (out / "ledger_digests.csv").unlink()
    older = type(ledger)(tmp_path / "older.db")
    older("import", str(out))
    assert older.json("db", "check")["chain_heads"] == heads
    # A backup copy verifies on its own.
    backup = tmp_path / "backup.db"
    ledger("db", "backup", str(backup))
    copy = type(ledger)(backup)
    assert copy.json("db", "check")["chain_heads"] == heads


def test_an_export_edited_by_hand_is_refused_on_import(ledger, tmp_path: Path):
    out = tmp_path / "dump"
    ledger("export", "--format", "jsonl", "--out", str(out))
    path = out / "forecasts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"probability": 0.2', '"probability": 0.25')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh = type(ledger)(tmp_path / "fresh.db")
    result = fresh("import", str(out), ok=False)
    assert result.exit_code == 1 and "hash chain broken: the row was changed after it was written" in result.stderr
    assert fresh.json("forecast-list") == []
