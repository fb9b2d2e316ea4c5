"""Real forecast data in: certain (0/1) forecasts, resolution to a probability, original ids, questions in bulk."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from forecasts.store.db import MIGRATIONS, apply_migrations, connect


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def qcli(cli, make_question):
    """A CLI over binary questions bin-a, bin-b (2024-01-01 to 2024-01-11), bin-open (open) and categorical cat-c."""
    make_question("bin-a", opens_at="2024-01-01", closes_at="2024-01-11")
    make_question("bin-b", opens_at="2024-01-01", closes_at="2024-01-11")
    make_question("bin-open", opens_at="2024-01-01", closes_at="2099-01-01")
    folder = make_question("cat-c", type="categorical", outcomes=["x", "y"], opens_at="2024-01-01",
                           closes_at="2024-01-11", prior="alpha = [1, 1]")  # fmt: skip
    cli("sync", "--questions", str(folder))
    return cli


# --- 1. forecasts of exactly 0 and 1 --------------------------------------------------------------------


def test_imported_zero_and_one_forecasts_are_stored_as_given_and_scored(qcli, tmp_path: Path) -> None:
    f = _write(tmp_path / "f.csv", "question,forecaster,made_at,probability\n"
               "bin-a,al,2024-01-01,1\nbin-a,bo,2024-01-01,0\nbin-b,al,2024-01-01,0.0\n")  # fmt: skip
    assert qcli.json("import", str(f))["imported"] == 3
    rows = qcli.json("forecast-list")
    assert sorted(r["probability"] for r in rows) == [0.0, 0.0, 1.0]
    r = _write(tmp_path / "r.csv", "question,outcome,known_at\nbin-a,yes,2024-01-11\nbin-b,yes,2024-01-11\n")
    qcli("import", str(r))
    scores = {(s["question_id"], s["forecaster_id"]): s for s in qcli.json("score")}
    for col in ("brier", "brier_fixed_lifetime"):  # over the whole lifetime both Briers are the forecast's
        assert scores[("bin-a", "al")][col] == 0.0  # exact, not clamped
        assert scores[("bin-a", "bo")][col] == 1.0
    assert scores[("bin-b", "al")]["brier_close"] == 1.0
    # log, baseline and peer: p clamped to [0.001, 0.999], so finite
    assert scores[("bin-a", "bo")]["log"] == pytest.approx(-math.log(0.001))
    assert scores[("bin-a", "al")]["log"] == pytest.approx(-math.log(0.999))
    assert scores[("bin-a", "bo")]["baseline"] == pytest.approx(100 * (math.log2(0.001) + 1))
    assert scores[("bin-a", "bo")]["peer"] == pytest.approx(100 * (math.log(0.001) - math.log(0.999)))
    assert "clamped to [0.001, 0.999]" in " ".join(qcli("score").output.split())
    shown = qcli("score", "--limit", "2").output  # the table shows a page; --json has every row
    assert "1 more row not shown; use --limit 0 for all, or --json for every row." in shown
    assert ("bin-a" in shown, "bin-b" in shown) == (True, False)
    assert "more rows" not in qcli("score", "--limit", "0").output


def test_imported_categorical_forecast_may_hold_zero(qcli, tmp_path: Path) -> None:
    f = _write(tmp_path / "f.jsonl", '{"question": "cat-c", "forecaster": "al", "made_at": "2024-01-02", '
               '"probabilities": {"x": 1, "y": 0}}\n')  # fmt: skip
    assert qcli.json("import", str(f))["imported"] == 1
    assert qcli.json("db", "check")["ok"]


def test_interactive_forecast_keeps_the_open_interval(qcli) -> None:
    qcli("forecasters", "add", "al")
    for bad in ("0", "1"):
        result = qcli("forecast", "bin-open", bad, "--by", "al", ok=False)
        assert result.exit_code == 1
        assert "strictly between 0 and 1" in result.stderr


def test_migration_widens_the_check_and_keeps_rows_indexes_and_triggers(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = connect(path, migrate=False)
    db.conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in MIGRATIONS:
        if name.startswith("m030_"):
            break
        fn(db)
        db.conn.execute("INSERT INTO _migrations VALUES (?, 'x')", [name])
    db.conn.execute("INSERT INTO questions (id, title, type, outcomes, resolution_criteria, opens_at, closes_at, "
                    "resolves_by, prior, synced_at) VALUES ('q', 't', 'binary', '[\"yes\",\"no\"]', 'c', "
                    "'2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '{}', 'x')")  # fmt: skip
    db.conn.execute("INSERT INTO forecasters (id, kind, created_at) VALUES ('al', 'person', 'x')")
    db.conn.execute("INSERT INTO forecasts (id, question_id, forecaster_id, made_at, recorded_at, probability) "
                    "VALUES (7, 'q', 'al', '2024-02-01T00:00:00Z', 'x', 0.25)")  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
                        "VALUES ('q', 'al', '2024-02-02T00:00:00Z', 'x', 1.0)")  # fmt: skip
    before = sorted(r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'forecasts'"))
    applied = apply_migrations(db)
    assert "m030_forecasts_allow_certainty" in applied
    after = sorted(r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'forecasts'"))
    assert after == before  # indexes and append-only triggers are back
    assert db.conn.execute("SELECT id, probability FROM forecasts").fetchall() == [(7, 0.25)]
    db.conn.execute("INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
                    "VALUES ('q', 'al', '2024-02-02T00:00:00Z', 'x', 1.0)")  # fmt: skip
    for bad in ("UPDATE forecasts SET probability = 0.5", "INSERT INTO forecasts (question_id, forecaster_id, "
                "made_at, recorded_at, probability) VALUES ('q', 'al', '2024-02-03T00:00:00Z', 'x', 1.5)"):  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError):
            db.conn.execute(bad)


# --- 2. resolution to a probability ---------------------------------------------------------------------


def test_resolve_to_a_probability_from_the_cli_scores_against_it(qcli, tmp_path: Path) -> None:
    f = _write(tmp_path / "f.csv", "question,forecaster,made_at,probability\n"
               "bin-a,al,2024-01-01,0.9\nbin-a,bo,2024-01-01,0.2\nbin-b,al,2024-01-01,0.7\n")  # fmt: skip
    qcli("import", str(f))
    out = qcli.json("resolve", "bin-a", "0.37", "--known-at", "2024-01-11", "--source", "market close")
    assert (out["outcome"], out["value"], out["scored"]) == ("0.37", 0.37, True)
    assert qcli.json("resolve", "bin-b", "1", "--known-at", "2024-01-11")["outcome"] == "yes"  # 1 is plain yes
    scores = {(s["question_id"], s["forecaster_id"]): s for s in qcli.json("score")}
    al, bo = scores[("bin-a", "al")], scores[("bin-a", "bo")]
    for col in ("brier", "brier_fixed_lifetime"):  # al stood the whole lifetime
        assert al[col] == pytest.approx((0.9 - 0.37) ** 2, abs=1e-15)
    assert bo["brier_close"] == pytest.approx((0.2 - 0.37) ** 2, abs=1e-15)
    assert al["log"] == pytest.approx(-(0.37 * math.log(0.9) + 0.63 * math.log(0.1)))
    assert al["baseline"] == pytest.approx(100 * (0.37 * (math.log2(0.9) + 1) + 0.63 * (math.log2(0.1) + 1)))
    # relative Brier (Fatebook): minus the median of the people's Briers, each against r: of two, their midpoint
    assert al["relative_brier"] == pytest.approx((0.9 - 0.37) ** 2 - ((0.9 - 0.37) ** 2 + (0.2 - 0.37) ** 2) / 2)
    # peer (Metaculus), two people: 100·2·(ln p − mean ln p) = 100·(ln p_al − ln p_bo), each ln p its expectation
    ln_al, ln_bo = (0.37 * math.log(p) + 0.63 * math.log(1 - p) for p in (0.9, 0.2))
    assert al["peer"] == pytest.approx(100 * (ln_al - ln_bo)) and al["peer_close"] == pytest.approx(al["peer"])
    assert al["outcome"] == "0.37"
    cal = qcli.json("calibration", "al")
    assert (cal["n_questions"], cal["n_probability_resolved_left_out"]) == (1, 1)  # only bin-b is calibrated
    assert cal["murphy"]["brier"] == pytest.approx((0.7 - 1) ** 2)
    # the per-question means stay the leaderboard's, bin-a included
    assert cal["scores"]["brier"] == pytest.approx(((0.9 - 0.37) ** 2 + (0.7 - 1) ** 2) / 2)
    assert "left out: 1 questions resolved to a probability" in qcli("calibration", "al").output
    status = {r["id"]: r for r in qcli.json("status")}
    assert status["bin-a"]["probabilities"] == {"yes": 0.37, "no": pytest.approx(0.63)}
    assert qcli.json("db", "check")["ok"]


@pytest.mark.parametrize("bad", ["1.5", "1.0000001", "nan", ".37", "1e-400", "maybe"])  # issue 30: 37% is read
def test_resolving_to_a_bad_number_is_refused_naming_the_field(qcli, bad: str) -> None:
    result = qcli("resolve", "bin-a", bad, "--known-at", "2024-01-11", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: outcome:") and len(result.stderr.splitlines()) == 1
    assert qcli.json("status")[0]["outcome"] is None


def test_categorical_question_cannot_resolve_to_a_number(qcli) -> None:
    result = qcli("resolve", "cat-c", "0.4", "--known-at", "2024-01-11", ok=False)
    assert "outcome: '0.4' is not allowed for 'cat-c'" in result.stderr


def test_resolution_import_takes_a_number_in_the_outcome_column(qcli, tmp_path: Path) -> None:
    r = _write(tmp_path / "r.jsonl", '{"question": "bin-a", "outcome": 0.5472511391, "known_at": "2024-01-11"}\n'
               '{"question": "bin-b", "outcome": "0.25", "known_at": "2024-01-11"}\n')  # fmt: skip
    assert qcli.json("import", str(r))["imported"] == 2
    assert qcli.json("import", str(r))["skipped_existing"] == 2  # idempotent
    rows = qcli.json("status")
    assert {x["id"]: x["outcome"] for x in rows}["bin-a"] == "0.5472511391"
    bad = _write(tmp_path / "bad.csv", "question,outcome,known_at\ncat-c,x,2024-01-11\nbin-open,2,2024-01-11\n")
    result = qcli("import", str(bad), ok=False)
    assert f"{bad}:3: outcome: '2' is not a probability" in result.stderr
    assert {x["id"]: x["outcome"] for x in qcli.json("status")}["cat-c"] is None  # nothing written


def test_probability_resolution_survives_export_and_reimport(qcli, tmp_path: Path) -> None:
    qcli("resolve", "bin-a", "0.37", "--known-at", "2024-01-11")
    qcli("export", "--out", str(tmp_path / "dump"))
    text = (tmp_path / "dump" / "resolutions.csv").read_text(encoding="utf-8")
    assert "0.37" in text and "value" in text.splitlines()[0]
    from conftest import Cli

    other = Cli(tmp_path / "other.db")
    other("import", str(tmp_path / "dump"))
    assert {x["id"]: x["probabilities"] for x in other.json("status")}["bin-a"]["yes"] == 0.37


# --- 3. original ids ------------------------------------------------------------------------------------

QUESTIONS_CSV = (
    "external_id,source,title,type,outcomes,opens_at,closes_at,resolution_criteria,tags,prior\n"
    "TPkEjiNb1wVCIGFnPcDD,manifold,Will 2024 be hotter than 2023?,binary,,2024-01-01,2024-12-31,"
    'Per the market.,"climate, markets",\n'
    "tpkejinb1wvcigfnpcdd,manifold,Same letters other case?,binary,,2024-01-01,2024-12-31,Per the market.,,"
    '"{""probability"": 0.3, ""note"": ""base rate""}"\n'
    "WYNN_TPR.2025,yfinance,Will WYNN close above TPR?,binary,,2024-01-01,2024-12-31,Per Yahoo.,,\n"
    'stock-pick,yfinance,Which sector leads?,categorical,"[""tech"", ""energy""]",2024-01-01,2024-12-31,'
    "Per index.,,\n"
)


def test_questions_keep_their_original_ids_and_get_stable_slugs(qcli, tmp_path: Path) -> None:
    f = _write(tmp_path / "q.csv", QUESTIONS_CSV)
    assert qcli.json("import", str(f))["imported"] == 4
    rows = {q["id"]: q for q in qcli.json("questions", "list")}
    mapped = {}
    for qid in rows:
        detail = qcli.json("questions", "show", qid)["question"]
        if detail["source"]:
            mapped[(detail["source"], detail["external_id"])] = qid
    assert mapped[("manifold", "tpkejinb1wvcigfnpcdd")] == "tpkejinb1wvcigfnpcdd"  # valid: kept as is
    upper = mapped[("manifold", "TPkEjiNb1wVCIGFnPcDD")]
    assert upper.startswith("tpkejinb1wvcigfnpcdd-") and upper != "tpkejinb1wvcigfnpcdd"  # case kept apart
    assert mapped[("yfinance", "WYNN_TPR.2025")].startswith("wynn-tpr-2025-")
    assert mapped[("yfinance", "stock-pick")] == "stock-pick"
    shown = qcli("questions", "show", upper).output
    assert "external id: TPkEjiNb1wVCIGFnPcDD" in shown and "source: manifold" in shown
    assert "no prior" in shown
    # the mapping is stable: a second database derives the same ids, and re-importing adds nothing
    assert qcli.json("import", str(f))["skipped_existing"] == 4
    from conftest import Cli

    other = Cli(tmp_path / "other.db")
    other("import", str(f))
    assert {q["id"] for q in other.json("questions", "list")} == set(rows) - {"bin-a", "bin-b", "bin-open", "cat-c"}


def test_forecasts_and_forecasters_keep_original_ids(qcli, tmp_path: Path) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    f = _write(tmp_path / "f.csv", "question,forecaster,made_at,probability,external_id,source\n"
               "TPkEjiNb1wVCIGFnPcDD,Jane Doe,2024-02-01,0.7,fc-1,manifold\n"
               "TPkEjiNb1wVCIGFnPcDD,bob,2024-02-01,0.6,fc-2,manifold\n")  # fmt: skip
    out = qcli.json("import", str(f))
    assert out["imported"] == 2
    jane = next(n for n in out["new_forecasters"] if n.startswith("Jane-Doe-"))
    rows = qcli.json("forecast-list", "--by", jane)
    assert (rows[0]["external_id"], rows[0]["source"]) == ("fc-1", "manifold")
    assert rows[0]["question_id"].startswith("tpkejinb1wvcigfnpcdd-")
    assert qcli.json("import", str(f))["skipped_existing"] == 2  # the same names are derived again


# --- 4. questions in bulk -------------------------------------------------------------------------------


def test_questions_without_prior_are_not_forecast_by_the_model(qcli, tmp_path: Path) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    detail = qcli.json("questions", "show", "stock-pick")["question"]
    assert detail["has_prior"] is False and detail["prior"]["kind"] == "none"
    from forecasts.bayes.record import record_model_forecasts
    from forecasts.store.db import connect
    from forecasts.timeutil import parse_datetime

    db = connect(qcli.db_path)
    made = record_model_forecasts(db, parse_datetime("2024-06-01"))
    assert {m["question"] for m in made} == {"tpkejinb1wvcigfnpcdd", "bin-open"}  # the open ones with a prior


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_question_export_reimport_round_trips(qcli, tmp_path: Path, fmt: str) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    first = tmp_path / f"one.{fmt}"
    assert qcli.json("questions", "export", str(first))["questions"] == 8  # 4 from the fixture + 4 imported
    from conftest import Cli

    other = Cli(tmp_path / "other.db")
    assert other.json("import", str(first))["imported"] == 8
    second = tmp_path / f"two.{fmt}"
    other("questions", "export", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert qcli.json("import", str(second))["skipped_existing"] == 8


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",,T?,binary,,2024-01-01,2024-12-31,C.,,", "id: give id (a slug) or external_id"),
        ("x1,s,T?,binary,,2024-01-01,2023-12-31,C.,,", "closes_at: must be after opens_at"),
        ("x1,s,T?,trinary,,2024-01-01,2024-12-31,C.,,", "type: 'trinary' is not one of"),
        ("x1,s,,binary,,2024-01-01,2024-12-31,C.,,", "title: is required"),
        ("x1,s,T?,binary,,2024-01-01,2024-12-31,,,", "resolution_criteria: is required"),
        ("x1,s,T?,binary,,2024-01-01,2024-12-31,C.,,{bad", "prior: '{bad' is not valid JSON"),
        ('x1,s,T?,binary,,2024-01-01,2024-12-31,C.,,"{""probability"": 2}"', "prior.probability: must be"),
        ("x1,s,T?,categorical,,2024-01-01,2024-12-31,C.,,", "outcomes: categorical questions need"),
    ],
)
def test_bad_question_row_names_file_line_field_and_writes_nothing(qcli, tmp_path: Path, row: str, message: str):
    f = _write(tmp_path / "q.csv", QUESTIONS_CSV + row + "\n")
    before = qcli.json("questions", "list")
    result = qcli("import", str(f), ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {f}:6: ") and message in lines[0], lines
    assert qcli.json("questions", "list") == before


def test_question_import_refuses_to_change_a_stored_question(qcli, tmp_path: Path) -> None:
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    changed = _write(tmp_path / "q2.csv", QUESTIONS_CSV.replace("Which sector leads?", "Which sector wins?"))
    result = qcli("import", str(changed), ok=False)
    assert f"{changed}:5: title: question 'stock-pick' already exists with 'Which sector leads?'" in result.stderr


# --- 6. large imports: the column-wise path gives the per-row path's result ----------------------------------


def _forecast_rows(db_path: Path) -> list[tuple]:
    conn = sqlite3.connect(str(db_path))
    rows = conn.execute("SELECT id, question_id, forecaster_id, made_at, probability, probabilities, rationale, "
                        "external_id, source FROM forecasts ORDER BY id").fetchall()  # fmt: skip
    names = conn.execute("SELECT id, kind, source, external_id FROM forecasters ORDER BY id").fetchall()
    conn.close()
    return rows + names


PLAIN = (
    "question,source,forecaster,made_at,probability,external_id\n"
    + "".join(f"bin-a,,u{i % 7},2024-01-0{1 + i % 9}T00:00:{i // 9:02d}Z,{(i % 11) / 10},x{i}\n" for i in range(60))
    + "TPkEjiNb1wVCIGFnPcDD,manifold,Jane.Doe,2024-02-01T00:00:00Z,1,\n"
)


def test_large_csv_takes_the_column_path_with_the_same_result(qcli, tmp_path: Path, monkeypatch) -> None:
    from conftest import Cli

    from forecasts.interchange import bulk as bulk_forecasts
    from forecasts.store.db import connect

    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    other = Cli(tmp_path / "other.db")
    other("sync", "--questions", str(tmp_path / "qs"))
    other("import", str(tmp_path / "q.csv"))
    f = _write(tmp_path / "f.csv", PLAIN)
    monkeypatch.setattr(bulk_forecasts, "MIN_ROWS", 10)
    assert bulk_forecasts.import_forecasts_csv(connect(qcli.db_path), f)["imported"] == 61  # the column path
    monkeypatch.setattr(bulk_forecasts, "MIN_ROWS", 10**9)
    assert other.json("import", str(f))["imported"] == 61  # the per-row path
    assert _forecast_rows(qcli.db_path) == _forecast_rows(other.db_path)
    monkeypatch.setattr(bulk_forecasts, "MIN_ROWS", 10)
    assert qcli.json("import", str(f))["skipped_existing"] == 61


def test_bulk_insert_rebuilds_the_forecast_indexes(qcli, tmp_path: Path, monkeypatch) -> None:
    from forecasts.interchange import rows as rows_mod

    def indexes() -> list[tuple]:
        conn = sqlite3.connect(str(qcli.db_path))
        sql = "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'forecasts' AND type = 'index' ORDER BY name"
        rows = conn.execute(sql).fetchall()
        conn.close()
        return rows

    before = indexes()
    assert before  # the (question, forecaster, made_at) index
    monkeypatch.setattr(rows_mod, "BULK_ROWS", 10)
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    qcli("import", str(_write(tmp_path / "f.csv", PLAIN)))
    assert indexes() == before
    assert qcli.json("db", "check")["ok"]
    assert len(qcli.json("forecast-list", "--question", "bin-a")) == 60


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("bin-a,,u1,2024-01-05T00:00:00Z,1.5,", "probability: '1.5' must be a number from 0 to 1"),
        ("bin-a,,u1,2024-01-05,0.5,", None),  # not canonical, but valid: the per-row path takes it
        ("nope,,u1,2024-01-05T00:00:00Z,0.5,", "question: unknown id 'nope'"),
        ("bin-a,,u1,2024-02-30T00:00:00Z,0.5,", "made_at: '2024-02-30T00:00:00Z' is not a date"),
        ("bin-a,,u1,2024-01-11T00:00:00Z,0.5,", "made_at: 2024-01-11T00:00:00Z is after 'bin-a' closed"),
        ("bin-a,,u0,2024-01-01T00:00:00Z,0.5,", "made_at: u0 already has a forecast on bin-a"),
        ("cat-c,,u1,2024-01-05T00:00:00Z,0.5,", "probability: 'cat-c' is categorical"),
    ],
)
def test_large_csv_with_a_bad_row_gets_the_per_row_message(qcli, tmp_path: Path, monkeypatch, bad, message) -> None:
    from forecasts.interchange import bulk as bulk_forecasts

    monkeypatch.setattr(bulk_forecasts, "MIN_ROWS", 10)
    f = _write(tmp_path / "f.csv", PLAIN.rsplit("TPk", 1)[0] + bad + "\n")
    result = qcli("import", str(f), ok=False)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {f}:62: {message}"), result.stderr
    assert qcli.json("forecast-list") == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": ["bin-a"], "forecaster": "al", "made_at": "2024-01-02", "probability": 0.5}', "question: must"),
        ('{"question": "bin-a", "forecaster": {"x": 1}, "made_at": "2024-01-02", "probability": 0.5}', "forecaster:"),
        ('{"question": "bin-a", "forecaster": "al", "kind": [1], "made_at": "2024-01-02", "probability": 1}', "kind:"),
    ],
)
def test_json_values_of_the_wrong_type_are_refused_not_crashed(qcli, tmp_path: Path, line: str, message: str) -> None:
    result = qcli("import", str(_write(tmp_path / "f.jsonl", line + "\n")), ok=False)
    assert result.exit_code == 1 and f"f.jsonl:1: {message}" in result.stderr, result.output


def test_questions_imported_in_bulk_are_versioned_like_synced_ones(qcli, tmp_path, db) -> None:
    """Each imported question gets version 1 (known from its import), so as-of reads (score, the report) see it."""
    qcli("import", str(_write(tmp_path / "q.csv", QUESTIONS_CSV)))
    imported = [q["id"] for q in qcli.json("questions", "list") if q.get("source")]
    versions = dict(db.conn.execute("SELECT question_id, version FROM question_versions").fetchall())
    assert imported and all(versions.get(qid) == 1 for qid in imported)
    assert qcli.json("score", "--question", imported[0]) == []  # found as of now (unresolved: no rows)
    assert qcli.json("db", "check")["ok"]
