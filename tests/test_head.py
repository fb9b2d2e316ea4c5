"""The published ledger head (issue 30): `db head`, the head every report carries as of its time, and
`db check --against` catching a cut tail, a rewritten row and a re-chained file while rows added since pass."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from forecasts.store.db import connect
from forecasts.store.head import head_line, ledger_head, overall, parse_line
from forecasts.store.ledger import DIGEST_TABLE, _spec, canonical, digest
from forecasts.timeutil import parse_datetime


@pytest.fixture
def ledger(cli, make_question) -> object:
    make_question("alpha")
    folder = make_question("beta")
    cli("sync", "--questions", str(folder))
    cli("forecasters", "add", "alice", "bob")
    cli("forecast", "alpha", "0.2", "--by", "alice")
    cli("forecast", "alpha", "0.3", "--by", "bob")
    cli("forecast", "beta", "0.6", "--by", "alice")
    cli("evidence", "add", "alpha", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2")
    return cli


def saved_head(cli, tmp_path: Path) -> Path:
    path = tmp_path / "head.json"
    path.write_text(cli("db", "head", "--json").stdout, encoding="utf-8")
    return path


def drop_guards(conn: sqlite3.Connection, *tables: str) -> list[str]:
    """Drop the append-only triggers of `tables` (returns their SQL, to put back and cover the tracks)."""
    marks = " OR ".join("name LIKE ?" for _ in tables)
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND ({marks})",
                         [f"{t}_no_%" for t in tables]).fetchall()  # fmt: skip
    for name, _sql in found:
        conn.execute(f"DROP TRIGGER {name}")
    return [sql for _name, sql in found]


def rechain(db_path: Path, table: str, row_id: int, column: str, value) -> None:
    """What a careful forger does: drop the guards, edit a row, recompute that table's whole chain, put them back."""
    conn = sqlite3.connect(db_path)
    guards = drop_guards(conn, table, DIGEST_TABLE)
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [value, row_id])
    idx, spec = _spec(conn, table)
    prev = ""
    for row in conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall():
        prev = digest(prev, canonical(table, spec, row))
        conn.execute(f"UPDATE {DIGEST_TABLE} SET digest = ? WHERE tbl = ? AND ledger_row = ?", [prev, table, row[idx]])
    for sql in guards:
        conn.execute(sql)
    conn.commit()


def test_db_head_lists_every_chained_table_and_one_digest(ledger, db_path):
    head = ledger.json("db", "head")
    assert head["tables"]["forecasts"]["rows"] == 4 and head["tables"]["evidence"]["rows"] == 1
    assert head["tables"]["resolutions"] == {"rows": 0, "last_id": 0, "digest": ""}
    assert head["digest"] == overall(head["tables"]) and len(head["digest"]) == 64
    stored = (
        sqlite3.connect(db_path)
        .execute("SELECT digest FROM ledger_digests WHERE tbl = 'forecasts' ORDER BY ledger_row DESC LIMIT 1")
        .fetchone()[0]
    )
    assert head["tables"]["forecasts"]["digest"] == stored
    text = ledger("db", "head").stdout
    assert stored in text and head["digest"] in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_rows_added_since_pass_and_a_cut_tail_fails(ledger, db_path, tmp_path):
    path = saved_head(ledger, tmp_path)
    ledger("forecast", "beta", "0.7", "--by", "bob")
    assert "passes through the head" in ledger("db", "check", "--against", str(path)).stdout
    conn = sqlite3.connect(db_path)  # cut the tail: the newest two forecasts and their digests
    guards = drop_guards(conn, "forecasts", DIGEST_TABLE)
    conn.execute("DELETE FROM forecasts WHERE id >= 3")
    conn.execute(f"DELETE FROM {DIGEST_TABLE} WHERE tbl = 'forecasts' AND ledger_row >= 3")
    for sql in guards:
        conn.execute(sql)
    conn.commit()
    assert ledger("db", "check").exit_code == 0  # the chain inside the file cannot see it
    result = ledger("db", "check", "--against", str(path), ok=False)
    assert result.exit_code == 1
    lines = [x for x in result.stderr.splitlines() if x.startswith("error: head:")]
    assert lines == [
        "error: head: forecasts: the chain ends at row #2 (2 rows) but the head has 4 rows up to #4: rows cut from "
        "the tail, the first missing one after #2"
    ]


def test_a_rechained_file_fails_and_a_rewritten_row_is_named(ledger, db_path, tmp_path):
    path = saved_head(ledger, tmp_path)
    rechain(db_path, "forecasts", 2, "probability", 0.9)
    assert ledger("db", "check").exit_code == 0  # re-chained: consistent inside
    result = ledger("db", "check", "--against", str(path), ok=False)
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error: head:")]
    assert line.startswith("error: head: forecasts: the chain through #4 does not reach the head")
    assert "re-chained" in line
    conn = sqlite3.connect(db_path)  # a plain edit (no re-chaining) is named exactly
    drop_guards(conn, "evidence")
    conn.execute("UPDATE evidence SET summary = 'forged' WHERE id = 1")
    conn.commit()
    result = ledger("db", "check", "--against", str(path), ok=False)
    assert "error: head: evidence: the chain through #1 does not reach the head" in result.stderr
    assert "first row that differs: #1" in result.stderr


def test_reports_carry_the_head_as_of_their_time_and_check_against_them(ledger, db_path, tmp_path):
    out = tmp_path / "reports"
    week = ledger.json("report", "--out", str(out))
    assert week["head"] == ledger.json("db", "head") | {"as_of": week["as_of"]}
    md, html = Path(week["files"][0]), Path(week["files"][1])
    assert head_line(week["head"]) in md.read_text() and head_line(week["head"]) in html.read_text()
    assert parse_line(md.read_text()) == {k: week["head"][k] for k in ("format", "digest", "tables")}
    rep_json = tmp_path / "report.json"
    rep_json.write_text(json.dumps(week), encoding="utf-8")
    for f in (md, html, rep_json):
        assert ledger("db", "check", "--against", str(f)).exit_code == 0
    rechain(db_path, "forecasts", 1, "probability", 0.5)
    for f in (md, html, rep_json):
        result = ledger("db", "check", "--against", str(f), ok=False)
        assert result.exit_code == 1 and "error: head: forecasts:" in result.stderr


def test_a_past_weeks_head_depends_only_on_rows_recorded_by_then(ledger, db_path, tmp_path):
    db = connect(db_path)
    now = ledger_head(db)
    before = ledger_head(db, parse_datetime("2000-01-01"))
    assert all(v["rows"] == 0 for v in before["tables"].values())
    later = ledger_head(db, parse_datetime("2999-01-01"))
    assert later["tables"] == now["tables"] and later["digest"] == now["digest"]
    ledger("forecast", "beta", "0.1", "--by", "bob")  # recorded after: an earlier as-of head is unchanged
    assert ledger_head(connect(db_path), parse_datetime("2000-01-01")) == before


@pytest.mark.parametrize(
    "text",
    ["{}", '{"format": "x", "tables": {}}', "[1]", "no head here", '{"digest": "00", "tables": {"evil": {}}}'],
)
def test_a_file_without_a_valid_head_is_one_line(ledger, tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = ledger("db", "check", "--against", str(path), ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: against:") and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_altered_head_is_refused(ledger, tmp_path):
    path = saved_head(ledger, tmp_path)
    head = json.loads(path.read_text())
    head["tables"]["forecasts"]["rows"] = 2  # someone trims the published head to match a cut database
    path.write_text(json.dumps(head))
    result = ledger("db", "check", "--against", str(path), ok=False)
    assert "overall digest does not match its tables" in result.stderr


def test_the_head_of_an_old_report_catches_a_cut_tail(ledger, db_path, tmp_path):
    """The issue's closing condition: a report written earlier catches the newest rows cut from the database."""
    week = ledger.json("report", "--out", str(tmp_path / "reports"))
    ledger("forecast", "beta", "0.45", "--by", "bob")  # recorded after the report: passes
    for f in week["files"]:
        assert ledger("db", "check", "--against", f).exit_code == 0
    conn = sqlite3.connect(db_path)
    guards = drop_guards(conn, "evidence_links", DIGEST_TABLE)
    conn.execute("DELETE FROM evidence_links")  # the newest (only) link and its digest: the chain inside stays valid
    conn.execute(f"DELETE FROM {DIGEST_TABLE} WHERE tbl = 'evidence_links'")
    for sql in guards:
        conn.execute(sql)
    conn.commit()
    for f in week["files"]:
        result = ledger("db", "check", "--against", f, ok=False)
        lines = [x for x in result.stderr.splitlines() if x.startswith("error: head:")]
        assert result.exit_code == 1 and lines == [
            "error: head: evidence_links: no rows remain but the head has 1 rows up to #1: every row was cut"
        ]


def test_db_head_out_saves_the_head_once_and_check_reads_it(ledger, tmp_path):
    """`db head --out FILE` writes the same JSON as --json into a new folder; the file is never overwritten."""
    path = tmp_path / "heads" / "now.json"
    ledger("db", "head", "--out", str(path))
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(ledger("db", "head", "--json").stdout)
    ledger("forecast", "beta", "0.7", "--by", "bob")
    assert "passes through the head" in ledger("db", "check", "--against", str(path)).stdout
    before = path.read_bytes()
    again = ledger("db", "head", "--out", str(path), ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr and path.read_bytes() == before
