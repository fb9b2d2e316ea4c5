"""Bad input on every command: a one-line `Error: field: ...` (exit 1; 2 for typer usage errors), no traceback,
and the database exactly as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from reliability_pack import dump, write_pack
from typer.testing import CliRunner

from forecasts.cli import app
from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence, retract_evidence
from forecasts.forecasters import add_forecasters
from forecasts.resolution import resolve
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import parse_datetime

HUGE = "x" * 1_000_000
SQL = "'; DROP TABLE questions; --"
DONE_Q = """
title = "Resolved early"
type = "binary"
opens_at = 2024-01-01
closes_at = 2099-01-01
resolves_by = 2099-02-01
resolution_criteria = "Yes if it happened."
[prior]
probability = 0.5
note = "test"
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One database shared by every case (each case proves it changed nothing): questions, evidence, resolutions."""
    root = tmp_path_factory.mktemp("bad")
    qdir = write_pack(root)
    (qdir / "done-q.toml").write_text(DONE_Q, encoding="utf-8")
    db_path = root / "bad.db"
    db = connect(db_path)
    sync(db, qdir)
    when = parse_datetime("2024-06-01")
    for i in range(2):
        add_evidence(db, EvidenceItem(summary=f"item {i}", observed_at=when, links=[LinkSpec("open-q", 0.5)]))
    retract_evidence(db, 2, "wrong")
    resolve(db, "done-q", "yes", "2024-06-01")
    add_forecasters(db, ["al", "alice"])
    db.close()
    files = root / "files"
    files.mkdir()
    (files / "latin1.jsonl").write_bytes(b'{"summary": "caf\xe9", "observed_at": "2024-06-01"}\n')
    (files / "latin1.csv").write_bytes(b"question,forecaster,made_at,probability\nopen-q,jos\xe9,2024-06-01,0.3\n")
    (files / "empty.jsonl").write_text("", encoding="utf-8")
    (files / "notes.txt").write_text("hello", encoding="utf-8")
    ev = {"key": "k1", "observed_at": "2024-06-01", "summary": "s", "links": [{"question": "open-q", "lr": 2}]}
    for name, change in {
        "ev_json.jsonl": None,
        "ev_lr.jsonl": {"links": [{"question": "open-q", "lr": "50%"}]},
        "ev_date.jsonl": {"observed_at": "20/01/2025"},
        "ev_huge.jsonl": {"summary": HUGE},
        "ev_q.jsonl": {"links": [{"question": "nope-q", "lr": 2}]},
        "ev_rel.jsonl": {"reliability": 1.5},
    }.items():
        text = '{"key": "k1", "summary": ' if change is None else json.dumps(ev | change)
        (files / name).write_text(text + "\n", encoding="utf-8")
    header = "question,forecaster,made_at,probability\n"
    for name, row in {
        "f_p.csv": "open-q,al,2024-06-01,1.5",
        "f_pct.csv": "open-q,al,2024-06-01,50 %",  # issue 30: 50% is read everywhere; 50 % is not
        "f_q.csv": "nope-q,al,2024-06-01,0.3",
        "f_date.csv": "open-q,al,2025-13-01,0.3",
        "f_closed.csv": "closed-q,al,2025-06-01,0.3",
        "f_resolved.csv": "done-q,al,2024-07-01,0.3",
    }.items():
        (files / name).write_text(header + "open-q,ok,2024-06-01,0.3\n" + row + "\n", encoding="utf-8")
    (files / "r_twice.csv").write_text("question,outcome,known_at\ndone-q,no,2024-06-02\n", encoding="utf-8")
    mixed = files / "mixed"
    mixed.mkdir()
    (mixed / "questions.csv").write_text("id\n", encoding="utf-8")
    (mixed / "forecasts.jsonl").write_text("", encoding="utf-8")
    return {"root": root, "db": db_path, "questions": qdir, "files": files}


def run(env: dict[str, Path], *args: str):
    return CliRunner().invoke(app, ["--db", str(env["db"]), *args])


def assert_refused(env: dict[str, Path], args: list[str], field: str, code: int = 1) -> None:
    before = dump(env["db"])
    result = run(env, *args)
    assert result.exit_code == code, (args, result.exit_code, result.output[-500:])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("Error: "), lines[0]
        assert field in lines[0], (field, lines[0][:300])
        assert len(lines[0]) < 1000  # a huge input is not echoed back in full
    else:
        assert field in result.stderr, result.stderr
    assert dump(env["db"]) == before


def F(env: dict[str, Path], name: str) -> str:  # noqa: N802 - reads like a path constructor in the tables
    return str(env["files"] / name)


PROBABILITIES = ["0", "1", "1.5", "NaN", "nan", "inf", "abc", "0%", "100%", "150%", "%", "nan%", ""]
DATES = ["20/01/2025", "2025-13-01", "2025-01-20T10:00:00+25:00", "2025-01-20T10:00:00 EST", "yesterday", "0001-01-01",
         "9999-12-31"]  # fmt: skip


@pytest.mark.parametrize("p", PROBABILITIES)
def test_forecast_probability(env, p: str) -> None:
    assert_refused(env, ["forecast", "open-q", p, "--by", "al"], "probability")


@pytest.mark.parametrize("p", PROBABILITIES)
def test_categorical_probability(env, p: str) -> None:
    assert_refused(env, ["forecast", "cat-q", f"early={p},middle=0.5,late=0.25", "--by", "al"], "probability")


def test_negative_probability_is_refused_as_out_of_range(env) -> None:
    """Issue 30 changed this on purpose: `-0.1` is the probability (out of range), not an unknown option `-0`."""
    assert_refused(env, ["forecast", "open-q", "-0.1", "--by", "al"], "probability: '-0.1' must be strictly between")
    assert_refused(env, ["forecast", "open-q", "--by", "al", "--", "-0.1"], "probability")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["forecast", "nope-q", "0.3", "--by", "al"], "question"),
        (["forecast", SQL, "0.3", "--by", "al"], "question"),
        (["forecast", "open-q", "0.3", "--by", "bad name"], "by"),
        (["forecast", "open-q", "0.3", "--by", SQL], "by"),
        (["forecast", "open-q", "0.3", "--by", "crowd"], "by"),
        (["forecast", "open-q", "0.3", "--by", ""], "by"),
        (["forecast", "closed-q", "0.3", "--by", "al"], "question"),  # after close
        (["forecast", "done-q", "0.3", "--by", "al"], "question"),  # resolved
        (["forecast", "open-q", "0.3", "--by", "al", "--rationale", HUGE], "rationale"),
        (["forecast", "open-q", HUGE, "--by", "al"], "probability"),
        (["forecast", HUGE, "0.3", "--by", "al"], "question"),
        (["forecast", "cat-q", "early=0.5,middle=0.5,late=0.5", "--by", "al"], "probability"),
        (["forecast", "cat-q", "early=0.2,middle=0.8", "--by", "al"], "probability"),
        (["forecast", "cat-q", "soon=0.2,middle=0.5,late=0.3", "--by", "al"], "probability"),
        (["forecast", "cat-q", "0.3", "--by", "al"], "probability"),
        (["forecast-list", "--by", "nobody"], "forecaster"),
        (["forecast-list", "--question", "nope-q"], "question"),
        (["forecast", "open-q", "0.3", "--by", "nobody"], "by: 'nobody' (from --by) is not a registered forecaster"),
        (["forecast", "open-q", "0.3", "--by", "crowd-median", "--new-forecaster"], "reserved for the aggregate"),
        (["forecast", "open-q", "0.3", "--by", "Bayes"], "by"),
        (["forecasters", "add", "zoe", "AL"], "name: 'AL' is already registered (as 'al')"),
        (["forecasters", "add", "zoe", "zoe"], "name: 'zoe' is already registered"),
        (["forecasters", "add", "bad name"], "name"),
        (["forecasters", "add", HUGE], "name"),
        (["forecasters", "add", SQL], "name"),
        (["resolve", "open-q", "yes", "--by", "nobody"], "by"),
        (["evidence", "retract", "1", "--reason", "r", "--by", "nobody"], "recorded_by"),
    ],
)
def test_forecast_refusals(env, args: list[str], field: str) -> None:
    assert_refused(env, args, field)


def _evidence(*extra: str, question: str = "open-q", observed: str = "2024-06-01") -> list[str]:
    return ["evidence", "add", question, "--summary", "s", "--observed-at", observed, *extra]


@pytest.mark.parametrize("lr", ["0", "-0.1", "NaN", "inf", "abc", "50%", "open-q:yes=2", "other-q=2"])
def test_evidence_lr(env, lr: str) -> None:
    assert_refused(env, _evidence(f"--lr={lr}"), "lr")


@pytest.mark.parametrize("rel", ["1.5", "-0.1", "NaN", "abc", "50%", "G7"])
def test_evidence_reliability(env, rel: str) -> None:
    assert_refused(env, _evidence("--lr", "2", f"--reliability={rel}"), "reliability")


@pytest.mark.parametrize("when", [*DATES, "2098-01-01"])
def test_evidence_dates(env, when: str) -> None:
    assert_refused(env, _evidence("--lr", "2", observed=when), "observed_at")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (_evidence("--lr", "2", question="nope-q"), "question"),
        (_evidence("--lr", "2", question=SQL), "question"),
        (_evidence("--lr", "2", "--summary", HUGE), "summary"),
        (_evidence("--lr", "2", "--summary", "  "), "summary"),
        (_evidence("--lr", "2", "--source", HUGE), "source"),
        (_evidence("--lr", "2", "--by", HUGE), "recorded_by"),
        (_evidence("--lr", "2", "--url", "javascript:alert(1)"), "url"),
        (_evidence("--grade", "very very strong"), "grade"),
        (_evidence("--lr", "2", question="cat-q"), "lr"),
        (_evidence("--lr", "2", "--lr-sd", "-1"), "lr-sd"),
        (_evidence(), "lr"),
        (["evidence", "retract", "999", "--reason", "x"], "evidence"),
        (["evidence", "retract", "2", "--reason", "again"], "evidence"),  # already retracted
        (["evidence", "retract", "1", "--reason", " "], "reason"),
        (["evidence", "retract", "1", "--reason", HUGE], "reason"),
        (_evidence(f"--lr={HUGE}"), "lr"),
        (_evidence("--lr", "2", f"--reliability={HUGE}"), "reliability"),
        (_evidence("--lr", "2", observed=HUGE), "observed_at"),
        (["evidence", "list", "--question", "nope-q"], "question"),
        (["evidence", "import", F.__name__], "file"),  # a missing file
    ],
)
def test_evidence_refusals(env, args: list[str], field: str) -> None:
    assert_refused(env, args, field)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("latin1.jsonl", "not UTF-8"),
        ("ev_json.jsonl", "ev_json.jsonl:1: json"),
        ("ev_lr.jsonl", "ev_lr.jsonl:1: lr"),
        ("ev_date.jsonl", "ev_date.jsonl:1: observed_at"),
        ("ev_huge.jsonl", "ev_huge.jsonl:1: summary"),
        ("ev_q.jsonl", "ev_q.jsonl:1: question"),
        ("ev_rel.jsonl", "ev_rel.jsonl:1: reliability"),
        ("notes.txt", "file"),
    ],
)
def test_evidence_import_files(env, name: str, field: str) -> None:
    assert_refused(env, ["evidence", "import", F(env, name)], field)


def test_evidence_retract_non_integer_is_a_usage_error(env) -> None:
    assert_refused(env, ["evidence", "retract", "abc", "--reason", "x"], "evidence_id", code=2)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["resolve", "done-q", "no"], "question"),  # resolve twice
        (["resolve", "done-q", "yes"], "question"),
        (["resolve", "nope-q", "yes"], "question"),
        (["resolve", SQL, "yes"], "question"),
        (["resolve", "open-q", "maybe"], "outcome"),
        (["resolve", "open-q", SQL], "outcome"),
        (["resolve", "cat-q", "yes"], "outcome"),
        (["resolve", "open-q", "yes", "--known-at", "2098-01-01"], "known_at"),
        (["resolve", "open-q", "yes", "--known-at", "2020-01-01"], "known_at"),  # before the question opened
        (["resolve", "open-q", "yes", "--source", HUGE], "source"),
        (["resolve", "open-q", "yes", "--note", HUGE], "note"),
        (["unresolve", "open-q"], "question"),  # not resolved
        (["unresolve", "nope-q"], "question"),
        (["unresolve", "done-q", "--note", HUGE], "note"),
    ],
)
def test_resolution_refusals(env, args: list[str], field: str) -> None:
    assert_refused(env, args, field)


@pytest.mark.parametrize("when", DATES)
def test_resolve_dates(env, when: str) -> None:
    assert_refused(env, ["resolve", "open-q", "yes", "--known-at", when], "known_at")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["questions", "show", "nope-q"], "question"),
        (["questions", "show", SQL], "question"),
        (["db", "backup", "{db}"], "file"),  # refuses to overwrite (here: the database itself)
        (["db", "backup", "{db}/b.db"], "file"),  # a file where its folder would be (a missing folder is made)
        (["export", "--format", "xml", "--out", "{root}/x"], "format"),
        (["export", "--out", "{db}"], "out"),
        (["import", "{root}/missing.csv"], "file"),
        (["import", "{files}/mixed"], "path"),
        (["import", "{files}/empty.jsonl"], "columns"),
        (["import", "{files}/notes.txt"], "file"),
        (["import", "{files}/latin1.csv"], "not UTF-8"),
        (["import", "{files}/f_p.csv"], "f_p.csv:3: probability"),
        (["import", "{files}/f_pct.csv"], "f_pct.csv:3: probability"),
        (["import", "{files}/f_q.csv"], "f_q.csv:3: question"),
        (["import", "{files}/f_date.csv"], "f_date.csv:3: made_at"),
        (["import", "{files}/f_closed.csv"], "f_closed.csv:3: made_at"),
        (["import", "{files}/f_resolved.csv"], "f_resolved.csv:3: made_at"),
        (["import", "{files}/r_twice.csv"], "r_twice.csv:2: question"),
    ],
)
def test_other_commands(env, args: list[str], field: str) -> None:
    places = {"db": env["db"], "root": env["root"], "files": env["files"]}
    assert_refused(env, [a.format(**places) for a in args], field)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["score", "--by", "nobody"], "forecaster"),
        (["score", "--question", "nope-q"], "question"),
        (["score", "--tag", "no-such-tag"], "tag"),
        (["leaderboard", "--tag", "no-such-tag"], "tag"),
        (["calibration", "nobody"], "forecaster"),
        (["calibration", "nobody", "--plot", "{root}/x.txt"], "forecaster"),
        (["posterior", "nope-q"], "question"),
        (["posterior", SQL], "question"),
        (["posterior"], "question"),
        (["posterior", "open-q", "--draws", "0"], "draws"),
        (["posterior", "done-q"], "question: 'done-q' is resolved (yes"),
        (["posterior", "open-q", "--chains", "0"], "chains"),
        (["report", "--week", "2026-W60"], "week"),
        (["report", "--week", "20/01/2025"], "week"),
        (["report", "--format", "pdf"], "format"),
        (["skill", "--method", "foo"], "method"),
        (["skill", "--draws", "0"], "draws"),
        (["aggregate", "--method", "foo"], "method"),
        (["scenarios", "--as-of", "20/01/2025"], "as_of"),
        (["scenarios", "--as-of", "2025-01-20T10:00:00+25:00"], "as_of"),
        (["scenarios", "--questions", "{root}/nowhere"], "questions"),
        # paths that cannot be written (a file used as a folder) and text that is not UTF-8: no traceback
        (["export", "--out", "{db}/dump"], "path"),
        (["report", "--week", "2025-W10", "--out", "{db}/reports"], "out"),
        (["forecast", "open-q", "0.2", "--by", "alice", "--rationale", "bad \udcff byte"], "text"),
        (["evidence", "add", "open-q", "--summary", "\udcff", "--observed-at", "2025-01-10", "--lr", "2"], "text"),
    ],
)
def test_later_commands(env, args: list[str], field: str) -> None:
    """Scoring, posterior, report, skill, aggregate and scenarios refuse bad input the same way (no sampling runs)."""
    assert_refused(env, [a.format(root=env["root"], db=env["db"]) for a in args], field)


def test_unusable_database_file(env, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    for args in (["status"], ["questions", "list"], ["db", "check"], ["export", "--out", str(tmp_path / "o")]):
        result = CliRunner().invoke(app, ["--db", str(junk), *args])
        assert result.exit_code == 1 and result.stderr.startswith("Error: db: "), (args, result.output)
    assert junk.read_bytes() == b"this is not a database" * 100


# --- question files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace('type = "binary"', 'type = "binary'), "toml"),  # unterminated string
        (lambda t: t.replace("[prior]", "[prior"), "toml"),
        (lambda t: t.replace("closes_at = 2099-01-01", 'closes_at = "2099-13-01"'), "closes_at"),
        (lambda t: t.replace("closes_at = 2099-01-01", 'closes_at = "01/01/2099"'), "closes_at"),
        (lambda t: t.replace("probability = 0.3", "probability = 1.5"), "prior.probability"),
        (lambda t: t.replace("probability = 0.3", "probability = nan"), "prior.probability"),
        (lambda t: t.replace('type = "binary"', 'type = "binary"\ncolour = "red"'), "colour"),
        (lambda t: t.replace('resolution_criteria = "Yes if it happens."', ""), "resolution_criteria"),
        (lambda t: t.replace("Open binary question", SQL), None),  # valid: stored verbatim (checked below)
    ],
)
def test_sync_malformed_files(env, tmp_path: Path, edit, field: str | None) -> None:
    qdir = tmp_path / "questions"
    shutil.copytree(env["questions"], qdir)
    path = qdir / "open-q.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    if field is None:
        return  # the SQL-looking title is exercised in test_sql_looking_strings_are_stored_verbatim
    assert_refused(env, ["sync", "--questions", str(qdir)], field)
    result = run(env, "sync", "--questions", str(qdir))
    assert "open-q.toml" in result.stderr  # the message names the file too


def test_sync_non_utf8_and_missing_dir(env, tmp_path: Path) -> None:
    qdir = tmp_path / "questions"
    shutil.copytree(env["questions"], qdir)
    (qdir / "open-q.toml").write_bytes((qdir / "open-q.toml").read_bytes().replace(b"Open", b"Op\xe9n"))
    assert_refused(env, ["sync", "--questions", str(qdir)], "open-q.toml: file: is not UTF-8")
    assert_refused(env, ["sync", "--questions", str(tmp_path / "nope")], "questions")


# --- SQL-looking text is data -----------------------------------------------------------------------


def test_sql_looking_strings_are_stored_verbatim(tmp_path: Path) -> None:
    qdir = write_pack(tmp_path)
    toml = qdir / "open-q.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Open binary question", SQL), encoding="utf-8")
    db_path = tmp_path / "sql.db"
    cli = CliRunner()

    def ok(*args: str):
        result = cli.invoke(app, ["--db", str(db_path), *args])
        assert result.exit_code == 0, result.output
        return result

    ok("sync", "--questions", str(qdir))
    ok("evidence", "add", "open-q", "--summary", SQL, "--source", SQL, "--observed-at", "2024-06-01", "--lr", "2")
    ok("forecast", "open-q", "0.3", "--by", "al", "--new-forecaster", "--rationale", SQL)
    ok("evidence", "retract", "1", "--reason", SQL)
    ok("resolve", "closed-q", "no", "--known-at", "2024-12-01", "--source", SQL, "--note", SQL)
    db = connect(db_path)
    assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == 3
    assert db.execute("SELECT title FROM questions WHERE id = 'open-q'").fetchone()[0] == SQL
    assert db.execute("SELECT summary, source FROM evidence").fetchone() == (SQL, SQL)
    assert db.execute("SELECT rationale FROM forecasts WHERE forecaster_id = 'al'").fetchone()[0] == SQL
    assert db.execute("SELECT reason FROM evidence_retractions").fetchone()[0] == SQL
    assert db.execute("SELECT source, note FROM resolutions").fetchone() == (SQL, SQL)
    assert SQL in ok("questions", "show", "open-q").stdout
    assert {r["id"]: r["title"] for r in json.loads(ok("status", "--json").stdout)}["open-q"] == SQL
    assert ok("db", "check").exit_code == 0
