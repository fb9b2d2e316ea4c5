"""Hostile input on every write path: commands, evidence/forecast/resolution files (CSV and JSONL), the whole-database
import (restore), damaged and newer databases. Each refusal is one line naming the field (and file:line for
files), exit 1, no traceback, the database byte for byte as before. Every bad input tried is counted per path and
outcome (printed at the end of the module: run with -s to see the table)."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_pack import dump, write_pack
from typer.testing import CliRunner

from forecasts.cli import app
from forecasts.errors import ForecastsError
from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence, import_evidence, retract_evidence
from forecasts.forecasters import NAME_PATTERN, add_forecasters
from forecasts.forecasting import submit_forecast
from forecasts.interchange.roundtrip import export, import_data
from forecasts.resolution import resolve
from forecasts.store.db import connect
from forecasts.store.dbtools import check_database
from forecasts.sync import sync
from forecasts.timeutil import parse_datetime

HUGE = "x" * 1_000_000  # one megabyte: over the one text rule (10,000 characters) on every path
NUL = "a\x00b"
SQL = "'; DROP TABLE forecasts;--"
FUTURE = "2099-01-01T00:00:00Z"
TRIED: Counter = Counter()  # (path, outcome) → bad inputs tried


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    """Print how many bad inputs each path met and how each ended (the issue's closing note quotes this)."""
    yield
    paths = sorted({p for p, _ in TRIED})
    print("\nhostile inputs tried (path: outcome count):")
    for p in paths:
        print(f"  {p}: " + ", ".join(f"{o} {n}" for (q, o), n in sorted(TRIED.items()) if q == p))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small database (three questions, evidence, a retraction, forecasts, a resolution) and its exports."""
    root = tmp_path_factory.mktemp("hostile")
    qdir = write_pack(root)
    db_path = root / "h.db"
    db = connect(db_path)
    sync(db, qdir)
    add_forecasters(db, ["al", "alice", "bob"])
    when = parse_datetime("2024-06-01")
    for i in range(2):
        add_evidence(db, EvidenceItem(summary=f"item {i}", observed_at=when, links=[LinkSpec("open-q", 0.5)],
                                      url="https://example.org/a"))  # fmt: skip
    add_evidence(db, EvidenceItem(summary="cat", observed_at=when, links=[LinkSpec("cat-q", 0.3, "late")]))
    retract_evidence(db, 2, "wrong")
    submit_forecast(db, "open-q", 0.3, "alice", "first", made_at=parse_datetime("2024-06-02"))
    submit_forecast(db, "cat-q", "early=0.2,middle=0.5,late=0.3", "alice")
    resolve(db, "closed-q", "yes", "2024-12-01", "https://example.org/r")
    for fmt in ("csv", "jsonl"):
        export(db, root / f"export-{fmt}", fmt)
    db.close()
    return {"root": root, "db": db_path, "questions": qdir}


def run(db_path: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db_path), *args])


def refused(path: str, db_path: Path, args: list[str], field: str) -> str:
    """Run a command that must be refused: one line `Error: ... field ...`, exit 1, no traceback, nothing written."""
    before = dump(db_path)
    result = run(db_path, *args)
    lines = result.stderr.strip().splitlines()
    TRIED[(path, "refused" if result.exit_code == 1 else f"exit {result.exit_code}")] += 1
    assert result.exit_code == 1, (args[:4], result.exit_code, result.output[-600:])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert field in lines[0], (field, lines[0][:300])
    assert len(lines[0]) < 1000
    assert dump(db_path) == before
    return lines[0]


def accepted(path: str, db_path: Path, args: list[str]):
    result = run(db_path, *args)
    TRIED[(path, "accepted (valid)")] += 1
    assert result.exit_code == 0, result.output[-600:]
    return result


# --- interactive commands ---------------------------------------------------------------------------------


def _ev(*extra: str, observed: str = "2024-06-01") -> list[str]:
    return ["evidence", "add", "open-q", "--summary", "s", "--observed-at", observed, *extra]


COMMANDS = [
    (["forecast", "open-q", "0.3", "--by", "al", "--rationale", HUGE], "rationale"),
    (["forecast", "open-q", "0.3", "--by", "al", "--rationale", NUL], "rationale"),
    (["forecast", SQL, "0.3", "--by", "al"], "question"),
    (["forecast", "open-q", "1e-400", "--by", "al"], "probability"),
    (["forecast", "open-q", "1e400", "--by", "al"], "probability"),
    (_ev("--lr", "2", "--reliability="), "reliability"),
    (_ev("--lr", "2", "--reliability", " "), "reliability"),
    (_ev("--lr", "1000000000"), "lr"),
    (_ev("--lr", "1e-9"), "lr"),
    (_ev("--lr", "1e400"), "lr"),
    (_ev("--lr", "2", "--lr-sd", "1e9"), "lr-sd"),
    (_ev("--lr", "2", "--url", "javascript:alert(1)"), "url"),
    (_ev("--lr", "2", "--url", "data:text/html,x"), "url"),
    (_ev("--lr", "2", "--url", "https://exa mple.org"), "url"),
    (_ev("--lr", "2", "--url", "http://"), "url"),
    (_ev("--lr", "2", "--summary", NUL), "summary"),
    (_ev("--lr", "2", "--summary", HUGE), "summary"),
    (_ev("--lr", "2", "--tag", NUL), "tags"),
    (_ev("--lr", "2", "--reasoning", HUGE), "reasoning"),
    (_ev("--lr", "2", observed="2025-02-30"), "observed_at"),
    (_ev("--lr", "2", observed="2025-01-01x05:00"), "observed_at"),
    (_ev("--lr", "2", observed=FUTURE), "observed_at"),
    (["evidence", "retract", "9223372036854775808", "--reason", "x"], "evidence"),
    (["evidence", "retract", "99999999999999999999999", "--reason", "x"], "evidence"),
    (["evidence", "retract", "1", "--reason", NUL], "reason"),
    (["resolve", "open-q", "yes", "--known-at", "2025-02-30"], "known_at"),
    (["resolve", "open-q", "yes", "--note", NUL], "note"),
    (["resolve", "open-q", "yes", "--source", HUGE], "source"),
    (["resolve", "open-q", "yes", "--by", NUL], "by"),
    (["report", "--week", "0001-W01"], "week"),
    (["report", "--week", "9999-W01"], "week"),
    (["report", "--week", "9999-W52"], "week"),
    (["weekly", "--week", "0001-W01"], "week"),
    (["weekly", "--week", "9999-W01"], "week"),
    (["weekly", "--week", "2099-W01"], "week"),  # not started: refused before the crowd is recorded
    (["scenarios", "--as-of", "2025-02-30"], "as_of"),
]


@pytest.mark.parametrize(("args", "field"), COMMANDS, ids=[f"{a[0]}-{i}" for i, (a, _) in enumerate(COMMANDS)])
def test_commands_refuse(env, args: list[str], field: str) -> None:
    refused("commands", env["db"], args, field)


def test_report_onto_an_existing_file_stores_nothing(env) -> None:
    target = env["root"] / "a-file"
    target.write_text("keep me", encoding="utf-8")
    for cmd in ("report", "weekly"):
        refused("commands", env["db"], [cmd, "--week", "2025-W10", "--out", str(target)], "out")
        refused("commands", env["db"], [cmd, "--week", "2025-W10", "--out", str(target / "sub")], "out")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_date_with_an_offset_but_no_time_is_midnight_there_on_every_path(tmp_path: Path) -> None:
    """2025-01-01+05:00 is midnight at +05:00, 2024-12-31T19:00:00Z (Python alone reads the offset as 05:00)."""
    db_path = tmp_path / "o.db"
    accepted("commands", db_path, ["sync", "--questions", str(write_pack(tmp_path))])
    accepted("commands", db_path, ["evidence", "add", "open-q", "--summary", "s", "--observed-at", "2025-01-01+05:00",
                                   "--lr", "2"])  # fmt: skip
    ev = tmp_path / "e.jsonl"
    rec = {"summary": "t", "observed_at": "2025-01-01-05:00", "links": [{"question": "open-q", "lr": 2}]}
    ev.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    accepted("evidence-file", db_path, ["evidence", "import", str(ev)])
    f = tmp_path / "f.csv"
    f.write_text("question,forecaster,made_at,probability\nopen-q,al,2025-01-01+05:00,0.3\n", encoding="utf-8")
    accepted("forecast-file", db_path, ["import", str(f)])
    accepted("commands", db_path, ["resolve", "closed-q", "no", "--known-at", "2025-01-01+05:00"])
    conn = sqlite3.connect(str(db_path))
    assert [r[0] for r in conn.execute("SELECT observed_at FROM evidence ORDER BY id")] == [
        "2024-12-31T19:00:00Z", "2025-01-01T05:00:00Z"]  # fmt: skip
    assert (
        conn.execute("SELECT made_at FROM forecasts WHERE forecaster_id = 'al'").fetchone()[0] == "2024-12-31T19:00:00Z"
    )
    assert conn.execute("SELECT known_at FROM resolutions").fetchone()[0] == "2024-12-31T19:00:00Z"
    conn.close()


# --- evidence, forecast and resolution files -------------------------------------------------------------

GOOD_ITEM = {"key": "k1", "observed_at": "2024-06-01", "summary": "s", "source": "", "url": "", "reliability": "0.8",
             "recorded_by": "", "tags": "", "question": "open-q", "outcome": "", "lr": "2", "grade": "", "lr_sd": "",
             "reasoning": ""}  # fmt: skip
EVIDENCE_ROWS = [
    ("summary", NUL), ("summary", HUGE), ("summary", ""), ("url", "javascript:alert(1)"), ("url", "file:///etc"),
    ("reliability", "1.5"), ("reliability", "G7"), ("reliability", True), ("observed_at", "2025-02-30"),
    ("observed_at", FUTURE), ("observed_at", "2025-01-01x05:00"), ("lr", "1000000000"), ("lr", "0"), ("lr", True),
    ("lr", "abc"), ("lr_sd", "-1"), ("lr_sd", True), ("question", SQL), ("reasoning", NUL), ("tags", NUL),
    ("key", NUL), ("source", HUGE), ("recorded_by", NUL),
]  # fmt: skip


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _jsonl_item(rec: dict) -> dict:
    item = {k: rec[k] for k in ("key", "observed_at", "summary", "source", "url", "reliability", "recorded_by")}
    item["tags"] = [rec["tags"]] if rec["tags"] else []
    item["links"] = [{"question": rec["question"], "lr": rec["lr"], "lr_sd": rec["lr_sd"] or None,
                      "reasoning": rec["reasoning"]}]  # fmt: skip
    return item


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(("field", "value"), EVIDENCE_ROWS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(EVIDENCE_ROWS)])
def test_evidence_files_refuse_bad_rows(env, tmp_path: Path, fmt: str, field: str, value) -> None:
    if fmt == "csv" and isinstance(value, bool):
        value = "true"  # a CSV cell is text: 'true' is no number either
    good = GOOD_ITEM | {"key": "k0"}
    bad = GOOD_ITEM | {field: value}
    path = tmp_path / f"e.{fmt}"
    if fmt == "csv":
        path.write_text(_csv_text([good, bad]), encoding="utf-8")
    else:
        path.write_text(json.dumps(_jsonl_item(good)) + "\n" + json.dumps(_jsonl_item(bad)) + "\n", encoding="utf-8")
    shown = {"lr_sd": "lr_sd", "question": "question", "tags": "tags"}.get(field, field)
    message = refused("evidence-file", env["db"], ["evidence", "import", str(path)], shown)
    assert f"e.{fmt}:" in message  # the file (and line) is named


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("empty.csv", "", "header"),
        ("empty.jsonl", "", "rows"),
        ("blank.jsonl", "\n\n", "rows"),
        ("header.csv", "observed_at,summary,question,lr\n", "rows"),
        ("typo.csv", "observed_at,summary,question,lr,reliabilty\n2024-06-01,s,open-q,2,0.2\n", "reliabilty"),
        ("typo-header-only.csv", "observed_at,summary,question,lr,reliabilty\n", "reliabilty"),
        (
            "typo.jsonl",
            '{"observed_at": "2024-06-01", "summary": "s", "reliabilty": 0.2, '
            '"links": [{"question": "open-q", "lr": 2}]}\n',
            "reliabilty",
        ),  # fmt: skip
        (
            "link-typo.jsonl",
            '{"observed_at": "2024-06-01", "summary": "s", "links": [{"question": "open-q", "lr": 2, "lr_sdd": 1}]}\n',
            "lr_sdd",
        ),  # fmt: skip
    ],
)
def test_evidence_files_refuse_unknown_columns_and_empty_files(env, tmp_path: Path, name: str, text: str, field: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    message = refused("evidence-file", env["db"], ["evidence", "import", str(path)], field)
    assert name in message


def test_a_csv_cell_over_the_csv_module_limit_meets_the_text_rule(env, tmp_path: Path) -> None:
    """The csv module's own 128 KiB field limit no longer decides: the summary is refused by the one text rule."""
    path = tmp_path / "big.csv"
    path.write_text(_csv_text([GOOD_ITEM | {"summary": "y" * 200_000}]), encoding="utf-8")
    message = refused("evidence-file", env["db"], ["evidence", "import", str(path)], "summary")
    assert "big.csv:2: summary: is 200000 characters; the limit is 10000" in message


FORECAST_ROWS = [
    ("made_at", "2025-02-30"), ("made_at", FUTURE), ("made_at", "2025-01-01x05:00"), ("probability", True),
    ("probability", "1.5"), ("probability", "1e-400"), ("question", SQL), ("rationale", NUL),
    ("rationale", HUGE), ("kind", "robot"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(("field", "value"), FORECAST_ROWS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(FORECAST_ROWS)])
def test_forecast_files_refuse_bad_rows(env, tmp_path: Path, fmt: str, field: str, value) -> None:
    good = {"question": "open-q", "forecaster": "gjo-1", "made_at": "2024-06-01", "probability": "0.3",
            "rationale": "", "kind": "person"}  # fmt: skip
    bad = good | {"made_at": "2024-06-02", field: value}
    if fmt == "csv" and isinstance(value, bool):
        value = bad[field] = "true"
    path = tmp_path / f"f.{fmt}"
    if fmt == "csv":
        path.write_text(_csv_text([good, bad]), encoding="utf-8")
    else:
        path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    message = refused("forecast-file", env["db"], ["import", str(path)], field)
    assert f"f.{fmt}:" in message


def test_forecast_file_keeps_an_unusable_forecaster_name_as_external_id(env, tmp_path: Path) -> None:
    """Imports take real datasets' user names (docs/imports.md, issue 12): a name not valid here, even SQL-like
    text, is stored under a derived valid name with the original as external_id, bound as a parameter."""
    db_path = tmp_path / "copy.db"
    with sqlite3.connect(env["db"]) as src, sqlite3.connect(db_path) as dst:
        src.backup(dst)
    path = tmp_path / "f.csv"
    path.write_text(_csv_text([{"question": "open-q", "forecaster": SQL, "made_at": "2024-06-02",
                                "probability": "0.3"}]), encoding="utf-8")  # fmt: skip
    accepted("forecast-file", db_path, ["import", str(path)])
    conn = sqlite3.connect(db_path)
    ((name, original),) = conn.execute("SELECT id, external_id FROM forecasters WHERE external_id != ''").fetchall()
    assert NAME_PATTERN.match(name) and original == SQL
    assert conn.execute("SELECT COUNT(*) FROM forecasts WHERE forecaster_id = ?", [name]).fetchone() == (1,)
    conn.close()
    assert run(db_path, "db", "check").exit_code == 0


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("question,forecaster,made_at,probability\n", "rows"),
        ("question,outcome,known_at\n", "rows"),
        ("question,outcome,known_at\nclosed-q,no,2099-01-01\n", "known_at"),
        ('question,outcome,known_at,note\nopen-q,yes,2025-01-01,"a\x00b"\n', "note"),
        (f"question,outcome,known_at,source\nopen-q,yes,2025-01-01,{'z' * 20_000}\n", "source"),
        ("question,outcome,known_at\nopen-q,yes,2025-02-30\n", "known_at"),
        (f'question,outcome,known_at\n"{SQL}",yes,2025-01-01\n', "question"),
        ("question,forecaster,made_at,probability,colour\nopen-q,x,2024-06-01,0.3,red\n", "colour"),
    ],
)
def test_forecast_and_resolution_files_refuse(env, tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    assert "r.csv" in refused("forecast-file", env["db"], ["import", str(path)], field)


# --- the whole-database import (restore) --------------------------------------------------------------

# (table, which row: a column value that picks it or None for the first, field, bad value, field named)
RESTORE_CASES = [
    ("questions", None, "id", SQL, "id"),
    ("questions", None, "title", NUL, "title"),
    ("questions", None, "title", HUGE, "title"),
    ("questions", None, "title", "", "title"),
    ("questions", "closed-q", "closes_at", "2023-01-01T00:00:00Z", "closes_at"),
    ("questions", None, "opens_at", "2025-02-30T00:00:00Z", "opens_at"),
    ("questions", None, "opens_at", "2025-01-01+05:00", "opens_at"),
    ("questions", None, "prior", "not json", "prior"),
    ("questions", None, "prior", '{"kind": "beta", "a": -1, "b": 2, "mean": 0.5}', "prior"),
    ("questions", None, "type", "maybe", "type"),
    ("questions", "open-q", "outcomes", '["yes"]', "outcomes"),
    ("questions", None, "tags", "[1]", "tags"),
    ("questions", None, "deadline_question", 2, "deadline_question"),
    ("forecasters", None, "id", "bad name", "id"),
    ("forecasters", None, "kind", "robot", "kind"),
    ("forecasters", None, "created_at", FUTURE, "created_at"),
    ("evidence", None, "summary", NUL, "summary"),
    ("evidence", None, "summary", HUGE, "summary"),
    ("evidence", None, "url", "javascript:alert(1)", "url"),
    ("evidence", None, "reliability", 1.5, "reliability"),
    ("evidence", None, "tags", "not json", "tags"),
    ("evidence", None, "observed_at", "2025-02-30T00:00:00Z", "observed_at"),
    ("evidence", None, "observed_at", FUTURE, "observed_at"),
    ("evidence", None, "recorded_at", "2025-13-01T00:00:00Z", "recorded_at"),
    ("evidence", None, "key", NUL, "key"),
    ("evidence_links", None, "log_lr", 1000.0, "log_lr"),
    ("evidence_links", None, "log_lr_sd", -1.0, "log_lr_sd"),
    ("evidence_links", None, "question_id", SQL, "question_id"),
    ("evidence_links", None, "outcome", "a b", "outcome"),
    ("evidence_links", None, "reasoning", NUL, "reasoning"),
    ("evidence_retractions", None, "reason", "", "reason"),
    ("evidence_retractions", None, "recorded_at", FUTURE, "recorded_at"),
    ("forecasts", None, "made_at", "2025-02-30T00:00:00Z", "made_at"),
    ("forecasts", None, "made_at", FUTURE, "made_at"),
    ("forecasts", None, "probability", 1.5, "probability"),
    ("forecasts", "cat-q", "probabilities", "not json", "probabilities"),
    ("forecasts", "cat-q", "probabilities", '{"early": 0.9, "middle": 0.5, "late": 0.3}', "probabilities"),
    ("forecasts", None, "rationale", NUL, "rationale"),
    ("forecasts", None, "evidence_ids", "[true]", "evidence_ids"),
    ("forecasts", None, "forecaster_id", SQL, "forecaster_id"),
    ("resolutions", None, "action", "delete", "action"),
    ("resolutions", None, "outcome", "a b", "outcome"),
    ("resolutions", None, "known_at", FUTURE, "known_at"),
    ("resolutions", None, "note", HUGE, "note"),
]


def _mutate_export(src: Path, dest: Path, fmt: str, table: str, pick: str | None, field: str, value) -> int:
    """Copy an export with one field of one row changed; return the changed row's line number."""
    shutil.copytree(src, dest)
    path = dest / f"{table}.{fmt}"
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    index = next(i for i, r in enumerate(rows) if pick is None or pick in (r.get("id"), r.get("question_id")))
    rows[index][field] = value if fmt == "jsonl" else ("\\N" if value is None else str(value))
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return index + 1
    path.write_text(_csv_text(rows), encoding="utf-8")
    return index + 2


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("table", "pick", "field", "value", "named"),
    RESTORE_CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(RESTORE_CASES)],  # fmt: skip
)
def test_restore_refuses_a_bad_row_and_changes_nothing(env, tmp_path, fmt, table, pick, field, value, named) -> None:
    line = _mutate_export(env["root"] / f"export-{fmt}", tmp_path / "dump", fmt, table, pick, field, value)
    fresh = tmp_path / "fresh.db"
    connect(fresh).close()
    message = refused("restore", fresh, ["import", str(tmp_path / "dump")], named)
    assert f"{table}.{fmt}:{line}: {named}" in message, message[:300]


def test_restore_of_a_clean_export_still_round_trips(env, tmp_path: Path) -> None:
    for fmt in ("csv", "jsonl"):
        fresh = tmp_path / f"{fmt}.db"
        accepted("restore", fresh, ["import", str(env["root"] / f"export-{fmt}")])
        assert check_database(connect(fresh))["ok"]


def test_restore_refuses_integers_beyond_sqlite(env, tmp_path: Path) -> None:
    _mutate_export(env["root"] / "export-jsonl", tmp_path / "dump", "jsonl", "forecasts", None, "id", 2**64)
    fresh = tmp_path / "fresh.db"
    connect(fresh).close()
    refused("restore", fresh, ["import", str(tmp_path / "dump")], "id")


HOSTILE_VALUES = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
    | st.sampled_from([NUL, "x" * 10_001, SQL, "2025-02-30T00:00:00Z", FUTURE, "2025-01-01+05:00", "[true]", "{}",
                       "not json", "javascript:alert(1)", "1e999", "-0", "NaN", "", " "])
)  # fmt: skip
TABLES = ("questions", "forecasters", "evidence", "evidence_links", "evidence_retractions", "forecasts", "resolutions")


def _restored_refused_or_clean(work: Path, path: str, case: tuple) -> None:
    """Restore work/dump into a fresh database: refused in one line naming the dump with nothing written, or
    taken and `db check` then finds nothing wrong. Counts the outcome under `path`."""
    fresh = work / "fresh.db"
    connect(fresh).close()
    before = dump(fresh)
    try:
        import_data(connect(fresh), work / "dump")
    except ForecastsError as exc:
        TRIED[(path, "refused")] += 1
        assert f"{work / 'dump'}" in str(exc) and "\n" not in str(exc)
        assert dump(fresh) == before
        return
    TRIED[(path, "accepted, db check ok")] += 1
    report = check_database(connect(fresh))
    assert report["ok"], (*case, report["errors"][:3])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLES), seed=st.integers(0, 10**6), value=HOSTILE_VALUES)
def test_restore_property_refused_or_clean(env, tmp_path_factory, table: str, seed: int, value) -> None:
    """Any one field of any row set to any value: the restore refuses it naming file:line (nothing written), or
    takes it and `db check` then finds nothing wrong. What one path stores, the other accepts."""
    work = tmp_path_factory.mktemp("prop")
    src = env["root"] / "export-jsonl"
    rows = (src / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    field = rng.choice(list(json.loads(rows[0])))
    pick = json.loads(rng.choice(rows))
    key = pick.get("id")
    _mutate_export(src, work / "dump", "jsonl", table, key, field, value)
    _restored_refused_or_clean(work, "restore (property)", (table, field, value))


def _evidence_file_refused_or_clean(db_path: Path, path: Path, label: str, prefix: str, case: tuple) -> None:
    """Import an evidence file: refused in one line starting with `prefix` with nothing written, or taken and
    `db check` then finds nothing wrong. Counts the outcome under `label`."""
    db = connect(db_path)
    before = dump(db_path)
    try:
        import_evidence(db, path)
    except ForecastsError as exc:
        TRIED[(label, "refused")] += 1
        assert str(exc).startswith(prefix) and "\n" not in str(exc)
        assert dump(db_path) == before
        return
    TRIED[(label, "accepted, db check ok")] += 1
    assert check_database(db)["ok"], case


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["observed_at", "summary", "source", "url", "reliability", "recorded_by", "tags", "key",
                              "lr", "lr_sd", "outcome", "reasoning", "grade"]), value=HOSTILE_VALUES)  # fmt: skip
def test_evidence_jsonl_property_refused_or_clean(env, tmp_path_factory, field: str, value) -> None:
    """An evidence JSONL item with one hostile field: refused naming the line, or imported and `db check` clean."""
    work = tmp_path_factory.mktemp("ev")
    db_path = work / "e.db"
    shutil.copy(env["db"], db_path)
    item = {"observed_at": "2024-06-01", "summary": "s", "links": [{"question": "open-q", "lr": 2}]}
    if field in ("lr", "lr_sd", "outcome", "reasoning", "grade"):
        item["links"][0][field] = value
        if field == "grade":
            del item["links"][0]["lr"]
    else:
        item[field] = value
    path = work / "e.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    _evidence_file_refused_or_clean(db_path, path, "evidence-file (property)", f"{path}:1: ", (field, value))


# --- db check validates what is stored ------------------------------------------------------------------


def test_db_check_finds_stored_values_input_would_refuse(env, tmp_path: Path) -> None:
    db_path = tmp_path / "c.db"
    shutil.copy(env["db"], db_path)
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    bad = {
        "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) VALUES "
        "('open-q', 'alice', '2025-13-01T00:00:00Z', '2025-01-01T00:00:00Z', 0.3)": ("timestamp", "made_at"),
        "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) VALUES "
        "('open-q', 'alice', '2025-02-30T00:00:00Z', '2025-01-01T00:00:00Z', 0.3)": ("timestamp", "made_at"),
        "INSERT INTO evidence_links (evidence_id, question_id, log_lr) VALUES (1, 'open-q', 1000)": (
            "log_lr",
            "log_lr",
        ),
        "INSERT INTO evidence (observed_at, recorded_at, summary, reliability, url) VALUES "
        "('2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z', 's', 1, 'javascript:x')": ("value", "url"),
        "INSERT INTO evidence (observed_at, recorded_at, summary, reliability) VALUES "
        "('2099-06-01T00:00:00Z', '2024-06-01T00:00:00Z', 's', 1)": ("timestamp", "observed_at"),
        "UPDATE questions SET prior = 'not json' WHERE id = 'open-q'": ("value", "prior"),
        "UPDATE questions SET title = 'a' || char(0) || 'b' WHERE id = 'cat-q'": ("value", "title"),
    }
    for sql in bad:
        conn.execute(sql)
    conn.close()
    result = run(db_path, "db", "check", "--json")
    TRIED[("db check (stored values)", "reported")] += len(bad)
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = json.loads(result.stdout)["errors"]
    for check, fld in bad.values():
        assert any(e["check"] == check and e["problem"].startswith(fld) for e in errors), (check, fld, errors)


# --- damaged and newer databases ------------------------------------------------------------------------

WRITES = [
    ["forecast", "open-q", "0.4", "--by", "bob"],
    ["evidence", "add", "open-q", "--summary", "s", "--observed-at", "2024-06-01", "--lr", "2"],
    ["resolve", "open-q", "yes"],
    ["evidence", "retract", "1", "--reason", "r"],
    ["aggregate"],
]
READS = [["status"], ["questions", "show", "open-q"], ["evidence", "list"], ["forecast-list"]]


def _damage(src: Path, dest: Path, how: str) -> None:
    """Copy a database and break it: random bytes over a table's or an index's root page, or a zeroed last page."""
    shutil.copy(src, dest)
    conn = sqlite3.connect(str(dest))
    roots = dict(conn.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0"))
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    rng = random.Random(7)
    with dest.open("r+b") as fh:
        if how == "last page":
            fh.seek(dest.stat().st_size - size)
            fh.write(b"\0" * size)
        else:
            fh.seek((roots[how] - 1) * size)
            fh.write(bytes(rng.randrange(256) for _ in range(size)))


@pytest.mark.parametrize("how", ["evidence", "forecasts", "questions", "forecasts_question", "last page"])
def test_damaged_database(env, tmp_path: Path, how: str) -> None:
    """No traceback anywhere; db check reports the damage (exit 1); no write goes through; reads either work or
    say the file is damaged in one line."""
    src = tmp_path / "src.db"
    shutil.copy(env["db"], src)
    conn = sqlite3.connect(str(src), isolation_level=None)
    conn.execute("VACUUM")  # no free pages: the last page holds data
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    copies = [["db", "backup", "{dir}/b.db"], ["export", "--out", "{dir}/e"]]  # reads that write files elsewhere
    for i, args in enumerate([["db", "check"], *WRITES, *READS, *copies]):
        db_path = tmp_path / f"d{i}.db"
        args = [a.format(dir=tmp_path / f"out{i}") for a in args]
        (tmp_path / f"out{i}").mkdir()
        _damage(src, db_path, how)
        before = db_path.read_bytes()
        result = run(db_path, *args)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        if args[:2] == ["db", "check"]:
            outcome = "db check: reported"
            assert result.exit_code == 1 and "integrity" in result.output, result.output[-300:]
        elif args in WRITES:
            outcome = "write: refused"
            assert result.exit_code == 1, (args, result.output[-300:])
            assert result.stderr.startswith(f"Error: db: {db_path} is damaged"), result.stderr
            assert len(result.stderr.strip().splitlines()) == 1
        else:
            outcome = "read: " + ("answered" if result.exit_code == 0 else "refused")
            damaged = result.stderr.startswith(f"Error: db: {db_path} is damaged")
            bad_copy = result.stderr.startswith("Error: file: the backup copy") and "integrity" in result.stderr
            assert result.exit_code == 0 or damaged or bad_copy, result.output[-300:]
            assert result.exit_code == 0 or len(result.stderr.strip().splitlines()) == 1
            if args[0] == "db" and args[1] == "backup":
                assert result.exit_code != 0, "a damaged database was backed up as if sound"
        TRIED[(f"damaged db ({how})", outcome)] += 1
        for suffix in ("-wal", "-shm"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        assert db_path.read_bytes() == before, args  # nothing written


def test_newer_database_is_refused_for_writes_and_reads_warn(env, tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"
    shutil.copy(env["db"], db_path)
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2026-01-01T00:00:00Z')")
    conn.execute("ALTER TABLE forecasts ADD COLUMN confidence REAL")
    conn.close()
    for args in WRITES + [["sync", "--questions", str(env["questions"])]]:
        message = refused("newer db (writes)", db_path, args, "newer forecasts")
        assert "m999_from_the_future" in message and "0.1.0" in message
    for args in READS:
        result = run(db_path, *args)
        TRIED[("newer db (reads)", "warned")] += 1
        assert result.exit_code == 0 and "Warning: db: " in result.stderr and "m999_from_the_future" in result.stderr


def test_questions_and_forecasters_are_not_deleted_or_renamed(env, tmp_path: Path) -> None:
    db_path = tmp_path / "g.db"
    shutil.copy(env["db"], db_path)
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    for sql in ("DELETE FROM questions WHERE id = 'closed-q'", "UPDATE questions SET id = 'x' WHERE id = 'open-q'",
                "DELETE FROM forecasters", "UPDATE forecasters SET kind = 'model' WHERE id = 'alice'",
                "UPDATE forecasters SET id = 'eve' WHERE id = 'alice'"):  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            conn.execute(sql)
        TRIED[("raw SQL on questions/forecasters", "refused")] += 1
    conn.close()
    accepted("commands", db_path, ["sync", "--questions", str(env["questions"])])  # sync still updates questions


# --- question files (sync) ------------------------------------------------------------------------------

SYNC_EDITS = [
    (lambda t: t.replace('title = "Open binary question"', f'title = "{"t" * 20_000}"'), "title"),
    (lambda t: t.replace('title = "Open binary question"', 'title = "a\\u0000b"'), "title"),
    (lambda t: t.replace('resolution_criteria = "Yes if it happens."', 'resolution_criteria = "  "'),
     "resolution_criteria"),
    (lambda t: t.replace('note = "test prior"', f'note = "{"n" * 20_000}"'), "prior.reasoning"),
    (lambda t: t.replace("opens_at = 2024-01-01", 'opens_at = "2024-02-30"'), "opens_at"),
    (lambda t: t.replace("closes_at = 2099-01-01", "closes_at = 2023-01-01"), "closes_at"),
    (lambda t: t.replace("closes_at = 2099-01-01", 'closes_at = "2099-01-01x05:00"'), "closes_at"),
    (lambda t: t.replace('type = "binary"', 'type = "binary"\ntags = ["ok", "a\\u0000"]'), "tags"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "field"), SYNC_EDITS, ids=[f for _, f in SYNC_EDITS])
def test_sync_refuses_hostile_question_files(env, tmp_path: Path, edit, field: str) -> None:
    qdir = tmp_path / "questions"
    shutil.copytree(env["questions"], qdir)
    path = qdir / "open-q.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    message = refused("question files (sync)", env["db"], ["sync", "--questions", str(qdir)], field)
    assert "open-q.toml" in message


def test_sync_reads_a_date_with_an_offset_as_midnight_there(tmp_path: Path) -> None:
    qdir = write_pack(tmp_path)
    path = qdir / "open-q.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("opens_at = 2024-01-01", 'opens_at = "2024-01-01+05:00"'))
    db_path = tmp_path / "s.db"
    accepted("question files (sync)", db_path, ["sync", "--questions", str(qdir)])
    conn = sqlite3.connect(str(db_path))
    assert conn.execute("SELECT opens_at FROM questions WHERE id = 'open-q'").fetchone()[0] == "2023-12-31T19:00:00Z"
    conn.close()


# --- property tests for the CSV forms and forecast files ----------------------------------------------------

CSV_VALUES = HOSTILE_VALUES.map(lambda v: "\\N" if v is None else str(v))  # a CSV cell is text (\N is NULL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLES), seed=st.integers(0, 10**6), value=CSV_VALUES)
def test_restore_csv_property_refused_or_clean(env, tmp_path_factory, table: str, seed: int, value: str) -> None:
    """The CSV restore, one cell of one row replaced: refused naming file:line, or taken and `db check` clean."""
    work = tmp_path_factory.mktemp("propcsv")
    src = env["root"] / "export-csv"
    rows = list(csv.DictReader(io.StringIO((src / f"{table}.csv").read_text(encoding="utf-8"), newline="")))
    rng = random.Random(seed)
    field = rng.choice(list(rows[0]))
    _mutate_export(src, work / "dump", "csv", table, rng.choice(rows).get("id"), field, value)
    _restored_refused_or_clean(work, "restore CSV (property)", (table, field, value))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.sampled_from(["csv", "jsonl"]),
    field=st.sampled_from(["question", "forecaster", "made_at", "probability", "rationale", "kind"]),
    value=HOSTILE_VALUES,
)
def test_forecast_file_property_refused_or_clean(env, tmp_path_factory, fmt: str, field: str, value) -> None:
    """A forecast file row with one hostile field: refused naming the line (nothing written), or imported and
    `db check` clean."""
    work = tmp_path_factory.mktemp("ff")
    db_path = work / "f.db"
    shutil.copy(env["db"], db_path)
    row = {"question": "open-q", "forecaster": "gjo-9", "made_at": "2024-06-03", "probability": 0.3, "rationale": "",
           "kind": "person"} | {field: value}  # fmt: skip
    path = work / f"f.{fmt}"
    if fmt == "csv":
        path.write_text(_csv_text([{k: "" if v is None else str(v) for k, v in row.items()}]), encoding="utf-8")
    else:
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    before = dump(db_path)
    result = run(db_path, "import", str(path))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code != 0:
        TRIED[(f"forecast-file {fmt} (property)", "refused")] += 1
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith(f"Error: {path}:"), lines
        assert dump(db_path) == before
        return
    TRIED[(f"forecast-file {fmt} (property)", "accepted, db check ok")] += 1
    assert check_database(connect(db_path))["ok"], (field, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(list(GOOD_ITEM)), value=CSV_VALUES)
def test_evidence_csv_property_refused_or_clean(env, tmp_path_factory, field: str, value: str) -> None:
    """An evidence CSV row with one hostile cell: refused naming the line, or imported and `db check` clean."""
    work = tmp_path_factory.mktemp("evcsv")
    db_path = work / "e.db"
    shutil.copy(env["db"], db_path)
    path = work / "e.csv"
    path.write_text(_csv_text([GOOD_ITEM | {"key": "p1", field: value}]), encoding="utf-8")
    _evidence_file_refused_or_clean(db_path, path, "evidence-file CSV (property)", f"{path}:", (field, value))


CLI_TEXT = st.text(max_size=40) | st.sampled_from([
    "", " ", "0", "1", "-1", "1e999", "NaN", "true", "B2", "G7", "2025-02-30", "2025-01-01+05:00", "9999-12-31", NUL,
    SQL, "javascript:alert(1)", "https://example.org/x", "x" * 10_001])  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--lr", "--reliability", "--observed-at", "--url", "--summary", "--source",
                               "--lr-sd", "--tag", "--by", "--reasoning"]), value=CLI_TEXT)  # fmt: skip
def test_evidence_add_property_refused_or_clean(env, tmp_path_factory, option: str, value: str) -> None:
    """`evidence add` with one hostile option value: one-line refusal (or a usage error) with nothing written,
    or stored and `db check` clean; never a traceback."""
    db_path = tmp_path_factory.mktemp("cli") / "c.db"
    shutil.copy(env["db"], db_path)
    args = {"--summary": "s", "--observed-at": "2024-06-01", "--lr": "2"} | {option: value}
    before = dump(db_path)
    result = run(db_path, "evidence", "add", "open-q", *[f"{k}={v}" for k, v in args.items()])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        TRIED[("commands: evidence add (property)", "accepted, db check ok")] += 1
        assert check_database(connect(db_path))["ok"], (option, value)
        return
    TRIED[("commands: evidence add (property)", f"refused (exit {result.exit_code})")] += 1
    assert result.exit_code in (1, 2) and dump(db_path) == before
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(probability=st.sampled_from(["0.3", "1e-9", "0.999999", " 0.5 "]) | CLI_TEXT, rationale=CLI_TEXT)
def test_forecast_property_refused_or_clean(env, tmp_path_factory, probability: str, rationale: str) -> None:
    """`forecast` with a hostile probability and rationale: refused in one line with nothing written, or stored
    and `db check` clean."""
    db_path = tmp_path_factory.mktemp("fc") / "c.db"
    shutil.copy(env["db"], db_path)
    before = dump(db_path)
    result = run(db_path, "forecast", "open-q", "--by", "zoe", f"--rationale={rationale}", "--", probability)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        TRIED[("commands: forecast (property)", "accepted, db check ok")] += 1
        assert check_database(connect(db_path))["ok"], (probability, rationale)
        return
    TRIED[("commands: forecast (property)", f"refused (exit {result.exit_code})")] += 1
    assert result.exit_code in (1, 2) and dump(db_path) == before


# --- issue 30: whole strings, control characters, nesting, evidence before opening, one grammar -----------

LOOK_ALIKES = ["\u0430", "\u0435", "\u043e", "\uff41", "\u200b", "\ufeff", "\u0660"]  # Cyrillic а е о, ａ, ZWSP, BOM, ٠
ESCAPES = {
    "osc-title": "x\x1b]0;pwned\x07y",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "csi": "red \x1b[31m text",
    "c1-csi": "a\x9b31mb",
    "bell": "ding\x07",
    "carriage-return": "safe\roverwritten",
    "bidi": "abc\u202edcba",
}


def _mutations(base: str) -> st.SearchStrategy[str]:
    """`base` with a trailing newline, whitespace around it, or one character swapped for / joined by a look-alike."""
    around = st.sampled_from([base + "\n", base + "\r\n", " " + base, base + " ", "\t" + base, base + "\u00a0"])
    swapped = st.tuples(st.integers(0, len(base) - 1), st.sampled_from(LOOK_ALIKES)).map(
        lambda t: base[: t[0]] + t[1] + base[t[0] + 1 :]
    )
    joined = st.tuples(st.integers(0, len(base)), st.sampled_from(LOOK_ALIKES)).map(
        lambda t: base[: t[0]] + t[1] + base[t[0] :]
    )
    return around | swapped | joined


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_id_name_login_and_choice_is_a_whole_string(data) -> None:
    """Each pattern matched with fullmatch/\\Z: a valid value with a newline, whitespace or a look-alike is refused
    by the one validation every path uses (a `$` pattern took `alice\\n` for a second forecaster)."""
    from forecasts import validation
    from forecasts.grammar import probability_text
    from forecasts.timeutil import iso_week

    checks = [
        ("open-q", validation.question_id),
        ("alice", validation.forecaster_name),
        ("alice", validation.login),
        ("late", validation.outcome_name),
        ("2025-W10", iso_week),
        ("2025-06-01", parse_datetime),
    ]
    base, check = data.draw(st.sampled_from(checks))
    bad = data.draw(_mutations(base))
    with pytest.raises(ForecastsError):
        check(bad)
    assert probability_text(data.draw(_mutations("0.25"))) is None  # the probability grammar too
    tag = data.draw(st.sampled_from(["\n", "\r\n", "\t", "\u200b", "\ufeff", "\u202e"]))
    with pytest.raises(ForecastsError):
        validation.tag(data.draw(st.sampled_from([f"kremlin{tag}", f"{tag}kremlin", f"kre{tag}mlin"])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_mutations("alice"), qid=_mutations("newq"))
def test_look_alike_names_and_ids_are_refused_on_the_command_line(env, tmp_path_factory, name: str, qid: str) -> None:
    refused("commands", env["db"], ["forecasters", "add", name], "name")
    refused("commands", env["db"], ["forecasters", "add", "zed", "--login", name], "login")
    refused("commands", env["db"], ["forecast", qid, "0.3", "--by", "al"], "question")
    folder = tmp_path_factory.mktemp("new")
    result = run(env["db"], "questions", "new", qid, "--questions", str(folder))
    assert result.exit_code != 0 and "Traceback" not in result.output and not list(folder.iterdir())


def test_a_name_with_a_line_break_in_a_forecasts_file_is_not_a_second_forecaster(env, tmp_path: Path) -> None:
    for fmt, cell in (("csv", '"alice\n"'), ("csv", " alice"), ("jsonl", "alice\n")):
        path = tmp_path / f"f.{fmt}"
        if fmt == "csv":
            text = f"question,forecaster,made_at,probability\nopen-q,{cell},2024-06-02,0.3\n"
            path.write_text(text, encoding="utf-8")
        else:
            rec = {"question": "open-q", "forecaster": cell, "made_at": "2024-06-02", "probability": 0.3}
            path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
        refused("forecast-file", env["db"], ["import", str(path)], "forecaster")


CONTROL_COMMANDS = [
    (lambda v: _ev("--lr", "2", "--summary", v), "summary"),
    (lambda v: _ev("--lr", "2", "--source", v), "source"),
    (lambda v: _ev("--lr", "2", "--reasoning", v), "reasoning"),
    (lambda v: _ev("--lr", "2", "--tag", v), "tags"),
    (lambda v: ["forecast", "open-q", "0.3", "--by", "al", "--rationale", v], "rationale"),
    (lambda v: ["resolve", "open-q", "yes", "--source", v], "source"),
    (lambda v: ["resolve", "open-q", "yes", "--note", v], "note"),
    (lambda v: ["evidence", "retract", "1", "--reason", v], "reason"),
]


@pytest.mark.parametrize("kind", list(ESCAPES))
@pytest.mark.parametrize(("make", "field"), CONTROL_COMMANDS, ids=[f for _, f in CONTROL_COMMANDS])
def test_control_characters_are_refused_naming_the_field(env, make, field: str, kind: str) -> None:
    line = refused("commands", env["db"], make(ESCAPES[kind]), field)
    assert "control character" in line and "\x1b" not in line and "\x07" not in line and "\x9b" not in line


@pytest.mark.parametrize("kind", ["osc-title", "c1-csi", "carriage-return"])
def test_control_characters_in_files_are_refused(env, tmp_path: Path, kind: str) -> None:
    bad = ESCAPES[kind]
    ev = tmp_path / "e.jsonl"
    ev.write_text(json.dumps(_jsonl_item({**GOOD_ITEM, "summary": bad})) + "\n", encoding="utf-8")
    refused("evidence-file", env["db"], ["evidence", "import", str(ev)], "summary")
    f = tmp_path / "f.jsonl"
    rec = {"question": "open-q", "forecaster": "al", "made_at": "2024-06-02", "probability": 0.3, "rationale": bad}
    f.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    refused("forecast-file", env["db"], ["import", str(f)], "rationale")
    r = tmp_path / "r.jsonl"
    r.write_text(json.dumps({"question": "open-q", "outcome": "yes", "known_at": "2025-01-01", "note": bad}) + "\n",
                 encoding="utf-8")  # fmt: skip
    refused("forecast-file", env["db"], ["import", str(r)], "note")


def test_stored_control_characters_are_shown_neutralised(env, tmp_path: Path) -> None:
    """A summary stored before the rule (an older database) reaches no terminal, Markdown or HTML raw."""
    db_path = tmp_path / "old.db"
    with sqlite3.connect(env["db"]) as src, sqlite3.connect(db_path) as dst:
        src.backup(dst)
    args = ["evidence", "add", "open-q", "--summary", "placeholder", "--lr", "2", "--json"]
    added = json.loads(run(db_path, *args).stdout)
    conn = sqlite3.connect(db_path)  # observed now, so this week's report lists it
    conn.execute("DROP TRIGGER evidence_no_update")
    conn.execute("UPDATE evidence SET summary = ? WHERE id = ?",
                 ["old \x1b]0;pwned\x07 \x9b31m \u202e", added["evidence_id"]])  # fmt: skip
    conn.commit()
    conn.close()
    listed = run(db_path, "evidence", "list").stdout
    out = tmp_path / "reports"
    made = json.loads(run(db_path, "report", "--out", str(out), "--json").stdout)  # this week: the item is in it
    md, html = (Path(f).read_text(encoding="utf-8") for f in made["files"])
    as_json = run(db_path, "evidence", "list", "--json").stdout
    assert json.loads(as_json)[0]["summary"] == "old \x1b]0;pwned\x07 \x9b31m \u202e"  # the same value, escaped
    for text in (listed, md, html, as_json):
        assert not any(c in text for c in "\x1b\x07\x9b\u202e")
    assert "\\x1b" in listed and "\\x9b" in listed and "\\x1b]0;pwned\\x07" in html  # the terminal may wrap it
    assert "\\\\x1b\\]0;pwned\\\\x07" in md  # Markdown escapes the backslash and bracket: it shows as \x1b]0;pwned\x07


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("where", ["evidence-jsonl", "forecast-jsonl", "resolution-jsonl", "json-cell", "head"])
def test_deeply_nested_json_is_one_line_not_a_recursion_error(env, tmp_path: Path, where: str) -> None:
    if where == "evidence-jsonl":
        path, args, field = tmp_path / "e.jsonl", ["evidence", "import"], "json"
        path.write_text('{"summary": "s", "links": ' + DEEP + "}\n", encoding="utf-8")
    elif where == "forecast-jsonl":
        path, args, field = tmp_path / "f.jsonl", ["import"], "nested"
        path.write_text('{"question": "cat-q", "forecaster": "al", "made_at": "2024-06-02", "probabilities": '
                        + DEEP + "}\n", encoding="utf-8")  # fmt: skip
    elif where == "resolution-jsonl":
        path, args, field = tmp_path / "r.jsonl", ["import"], "nested"
        path.write_text('{"question": "open-q", "outcome": ' + DEEP + ', "known_at": "2025-01-01"}\n', encoding="utf-8")
    elif where == "json-cell":
        path, args, field = tmp_path / "e.csv", ["evidence", "import"], "tags"
        row = {**GOOD_ITEM, "tags": "[" * 5000 + "]" * 5000}
        path.write_text(_csv_text([row]), encoding="utf-8")
    else:
        path, args, field = tmp_path / "head.json", ["db", "check", "--against"], "against"
        path.write_text(DEEP, encoding="utf-8")
    line = refused("json", env["db"], [*args, str(path)], field)
    assert "nested" in line


def test_evidence_observed_before_its_question_opened_is_refused(env, tmp_path: Path) -> None:
    line = refused("commands", env["db"], _ev("--lr", "2", observed="2020-01-01"), "observed_at")
    assert "opened at 2024-01-01T00:00:00Z" in line
    ev = tmp_path / "e.jsonl"
    ev.write_text(json.dumps(_jsonl_item({**GOOD_ITEM, "observed_at": "2020-06-01"})) + "\n", encoding="utf-8")
    assert "opened at 2024-01-01T00:00:00Z" in refused("evidence-file", env["db"], ["evidence", "import", str(ev)],
                                                       "observed_at")  # fmt: skip


BAD_PROBABILITIES = ["1e-400", "5e-324", "\u0660.\u0665", "\uff10.\uff15", "0.2_5", ".5", "+0.5", " 0.5", "0.5 ",
                     "0x1p-1"]  # fmt: skip
BAD_DATES = ["20250601", "2025-06-01 12:00", "2025-W23", "2025-06-01t12:00:00z", "2025-06-01T12:00:00+02:00:30",
             "2025-06-01T12:00:00.123456789Z", "\uff12025-06-01", " 2025-06-01"]  # fmt: skip


@pytest.mark.parametrize("value", BAD_PROBABILITIES)
def test_one_probability_grammar_on_every_path(env, tmp_path: Path, value: str) -> None:
    refused("commands", env["db"], ["forecast", "open-q", value, "--by", "al"], "probability")
    refused("commands", env["db"], ["resolve", "open-q", value], "outcome")
    f = tmp_path / "f.csv"
    f.write_text(_csv_text([{"question": "open-q", "forecaster": "al", "made_at": "2024-06-02", "probability": value}]),
                 encoding="utf-8")  # fmt: skip
    refused("forecast-file", env["db"], ["import", str(f)], "probability")
    r = tmp_path / "r.csv"
    r.write_text(_csv_text([{"question": "open-q", "outcome": value, "known_at": "2025-01-01"}]), encoding="utf-8")
    refused("forecast-file", env["db"], ["import", str(r)], "outcome")
    if value in ("1e-400", "5e-324"):  # as JSON numbers, not strings
        j = tmp_path / "f.jsonl"
        j.write_text(f'{{"question": "open-q", "forecaster": "al", "made_at": "2024-06-02", "probability": {value}}}\n',
                     encoding="utf-8")  # fmt: skip
        refused("forecast-file", env["db"], ["import", str(j)], "too small")


@pytest.mark.parametrize("value", BAD_DATES)
def test_one_date_grammar_on_every_path(env, tmp_path: Path, value: str) -> None:
    refused("commands", env["db"], _ev("--lr", "2", observed=value), "observed_at")
    refused("commands", env["db"], ["resolve", "open-q", "yes", "--known-at", value], "known_at")
    f = tmp_path / "f.csv"
    f.write_text(_csv_text([{"question": "open-q", "forecaster": "al", "made_at": value, "probability": "0.3"}]),
                 encoding="utf-8")  # fmt: skip
    refused("forecast-file", env["db"], ["import", str(f)], "made_at")
    ev = tmp_path / "e.jsonl"
    ev.write_text(json.dumps(_jsonl_item({**GOOD_ITEM, "observed_at": value})) + "\n", encoding="utf-8")
    refused("evidence-file", env["db"], ["evidence", "import", str(ev)], "observed_at")


def test_the_forms_the_grammars_keep_are_accepted(tmp_path: Path) -> None:
    db_path = tmp_path / "ok.db"
    accepted("commands", db_path, ["sync", "--questions", str(write_pack(tmp_path))])
    accepted("commands", db_path, ["forecasters", "add", "al"])
    for p in ("0.25", "25%", "2.5e-01"):
        accepted("commands", db_path, ["forecast", "open-q", p, "--by", "al"])
    for d in ("2024-06-01", "2024-06-01T12:00", "2024-06-01T12:00:00.5+02:00", "2024-06-01+05:00"):
        accepted("commands", db_path, _ev("--lr", "2", observed=d))
    accepted("commands", db_path, ["resolve", "closed-q", "37%", "--known-at", "2024-12-01T00:00:00Z"])
