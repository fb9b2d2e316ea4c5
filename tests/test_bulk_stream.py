"""The streaming bulk import (forecasts.interchange.bulk) read in small chunks: same rows as the per-row path, one
transaction across chunks, a bad row in a later chunk refused whole with its line, and the hash chain intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_real_data import PLAIN, QUESTIONS_CSV, _forecast_rows, _write


@pytest.fixture
def qcli(cli, make_question):
    """A CLI over test_real_data's questions: binary bin-a, bin-b (2024-01-01 to 2024-01-11), bin-open, cat-c."""
    make_question("bin-a", opens_at="2024-01-01", closes_at="2024-01-11")
    make_question("bin-b", opens_at="2024-01-01", closes_at="2024-01-11")
    make_question("bin-open", opens_at="2024-01-01", closes_at="2099-01-01")
    folder = make_question("cat-c", type="categorical", outcomes=["x", "y"], opens_at="2024-01-01",
                           closes_at="2024-01-11", prior="alpha = [1, 1]")  # fmt: skip
    cli("sync", "--questions", str(folder))
    return cli


@pytest.fixture
def chunked(monkeypatch):
    """The column path for tiny files, 7 rows a chunk and 64-byte pre-scan blocks (so chunks and blocks split)."""
    from forecasts.interchange import bulk

    monkeypatch.setattr(bulk, "MIN_ROWS", 10)
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 7)
    monkeypatch.setattr(bulk, "BLOCK", 64)
    return bulk


def test_chunks_give_the_per_row_result_and_a_chain_that_verifies(qcli, tmp_path: Path, chunked, monkeypatch) -> None:
    from conftest import Cli

    from forecasts.store.db import connect

    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    other = Cli(tmp_path / "other.db")
    other("sync", "--questions", str(tmp_path / "qs"))
    other("import", str(tmp_path / "q.csv"))
    f = _write(tmp_path / "f.csv", PLAIN)
    assert chunked.import_forecasts_csv(connect(qcli.db_path), f)["imported"] == 61  # 9 chunks
    monkeypatch.setattr(chunked, "MIN_ROWS", 10**9)
    assert other.json("import", str(f))["imported"] == 61  # the per-row path
    assert _forecast_rows(qcli.db_path) == _forecast_rows(other.db_path)
    assert qcli.json("db", "check")["ok"]
    monkeypatch.setattr(chunked, "MIN_ROWS", 10)
    again = chunked.import_forecasts_csv(connect(qcli.db_path), f)  # every chunk checked against recorded rows
    assert (again["imported"], again["skipped_existing"]) == (0, 61)
    conn = sqlite3.connect(str(qcli.db_path))
    assert conn.execute("SELECT COUNT(*) FROM ledger_digests WHERE tbl = 'forecasts'").fetchone() == (61,)


def test_crlf_file_split_across_blocks_is_read(qcli, tmp_path: Path, chunked) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    f = tmp_path / "f.csv"
    f.write_bytes(PLAIN.replace("\n", "\r\n").encode())
    assert chunked._data_lines(f) == 61
    assert qcli.json("import", str(f))["imported"] == 61
    f.write_bytes(PLAIN.replace("\n", "\r\n").encode().replace(b"\r\n", b"\r", 1))  # a bare CR: per row
    assert chunked._data_lines(f) is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("bin-a,,u1,2024-01-05T00:00:00Z,1.5,", "probability: '1.5' must be a number from 0 to 1"),
        ("nope,,u1,2024-01-05T00:00:00Z,0.5,", "question: unknown id 'nope'"),
        ("bin-a,,u1,2024-01-05T00:00:00Z,5e-324,", "probability:"),  # a subnormal: refused as on the per-row path
        ("bin-a,,u0,2024-01-01T00:00:00Z,0.5,", "made_at: u0 already has a forecast on bin-a"),  # row 2's key
        ("bin-open,,u1,2025-02-29T00:00:00Z,0.5,", "made_at:"),  # not a real day (2025 is not a leap year)
        ("bin-a,,u1,2024-01-05T00:00:00Z,0.5,x\x07", "external_id:"),  # a control character: the row check names it
    ],
)
def test_a_bad_row_in_a_later_chunk_refuses_the_whole_file(qcli, tmp_path: Path, chunked, bad, message) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    f = _write(tmp_path / "f.csv", PLAIN.rsplit("TPk", 1)[0] + bad + "\n")
    result = qcli("import", str(f), ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {f}:62: {message}"), result.stderr
    assert qcli.json("forecast-list") == []  # the 8 chunks before it were rolled back
    assert qcli.json("forecasters", "list") == []


def test_scores_read_by_a_table_scan_equal_those_read_by_the_index(qcli, tmp_path: Path, monkeypatch) -> None:
    from forecasts.scoring import forecast_rows
    from forecasts.scoring import leaderboard as lb
    from forecasts.store.db import connect

    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    qcli("import", str(_write(tmp_path / "f.csv", PLAIN)))
    qcli("import", str(_write(tmp_path / "r.csv", "question,outcome,known_at\nbin-a,yes,2024-01-12T00:00:00Z\n")))
    by_index = lb.score_table(connect(qcli.db_path))
    assert len(by_index) == 7  # u0..u6 on bin-a
    monkeypatch.setattr(forecast_rows, "SCAN_QUESTIONS", 1)
    assert lb.score_table(connect(qcli.db_path)).equals(by_index)


def test_a_leap_day_is_read_and_the_load_brings_back_its_triggers_and_foreign_keys(qcli, tmp_path: Path, chunked):
    from forecasts.store.db import connect

    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    before = sqlite3.connect(str(qcli.db_path)).execute(sql).fetchall()
    assert ("forecasts_no_replace",) in [t[:1] for t in before]
    bad = _write(tmp_path / "bad.csv", PLAIN + "nope,,u1,2024-01-05T00:00:00Z,0.5,\n")
    assert qcli("import", str(bad), ok=False).exit_code == 1
    assert sqlite3.connect(str(qcli.db_path)).execute(sql).fetchall() == before  # rolled back with the rows
    db = connect(qcli.db_path)
    f = _write(tmp_path / "f.csv", PLAIN + "bin-open,,u1,2024-02-29T00:00:00Z,0.5,\n")
    assert chunked.import_forecasts_csv(db, f)["imported"] == 62
    assert db.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert sqlite3.connect(str(qcli.db_path)).execute(sql).fetchall() == before
    with pytest.raises(sqlite3.IntegrityError):  # the guards work again after the load
        db.conn.execute("INSERT OR REPLACE INTO forecasts (id, question_id, forecaster_id, made_at, recorded_at, "
                        "probability) SELECT id, question_id, forecaster_id, made_at, recorded_at, 0.5 FROM forecasts "
                        "LIMIT 1")  # fmt: skip
    assert qcli.json("db", "check")["ok"]


def test_scores_with_every_question_in_scope_are_read_without_the_question_filter(qcli, tmp_path: Path,
                                                                                   monkeypatch) -> None:  # fmt: skip
    from forecasts.scoring import forecast_rows
    from forecasts.scoring import leaderboard as lb
    from forecasts.store.db import connect

    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    qcli("import", str(_write(tmp_path / "f.csv", PLAIN)))
    listed = qcli.json("questions", "list")
    first = {"cat-c": "x", "stock-pick": "tech"}  # the categorical questions' first outcomes
    lines = [f"{q['id']},{first.get(q['id'], 'yes')},2024-12-31T00:00:00Z\n" for q in listed]
    qcli("import", str(_write(tmp_path / "r.csv", "question,outcome,known_at\n" + "".join(lines))))
    by_index = lb.score_table(connect(qcli.db_path))
    assert len(set(by_index["question_id"].astype(str))) == 2 and "bin-a" in set(by_index["question_id"].astype(str))
    assert len(by_index) == 8  # u0..u6 on bin-a, Jane.Doe on the manifold question
    seen = []
    real = forecast_rows.forecast_frame

    def spy(db, stamp, questions):  # the scan without the per-row question filter is the path taken
        sqls = []
        db.conn.set_trace_callback(sqls.append)
        try:
            return real(db, stamp, questions)
        finally:
            db.conn.set_trace_callback(None)
            seen.extend(sqls)

    monkeypatch.setattr(forecast_rows, "SCAN_QUESTIONS", 1)
    monkeypatch.setattr(lb, "forecast_frame", spy)
    assert lb.score_table(connect(qcli.db_path)).equals(by_index)
    scans = [s for s in seen if "NOT INDEXED" in s]
    assert scans and all("json_each" not in s for s in scans)
