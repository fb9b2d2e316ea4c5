"""Public datasets' real shapes across their published history (issue 25): ForecastBench resolution sets with a
market once per horizon, two rounds in one database, a 13,512-character background, a market closing in 2525;
PredictionBook duplicates and out-of-window deadlines; every import's counts of rows read, merged and left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forecasts.forecasting import submit_forecast
from forecasts.validation import MAX_TEXT

FB = Path(__file__).resolve().parent / "fixtures" / "forecastbench"
HUMAN = [str(FB / "2024-07-21-human.json"), str(FB / "2024-07-21.ForecastBench.human_super_individual.json")]
HORIZONS = FB / "horizons" / "2024-07-21_resolution_set.json"
ROUNDS = sorted(str(p) for p in (FB / "rounds").glob("*.json"))


def test_market_repeated_per_horizon_with_one_value_is_one_resolution(cli) -> None:
    out = cli.json("import-dataset", "forecastbench", *HUMAN, str(HORIZONS))
    res = out["resolutions"]
    # 9 markets × 4 horizons + 12 dataset (question, date) rows + 2 combination rows, as published on 2025-04-04
    assert res["read"] == 50
    assert res["merged"] == {"a market repeated once per horizon with the same value": 27}
    assert res["left_out"] == {"combination question (not imported)": 2}
    assert res["imported"] == 21 == out["questions"]["imported"]
    assert sum(1 for r in cli.json("status") if r["state"] == "resolved") == 21


def test_market_repeats_that_disagree_are_an_error_naming_both_records(cli, tmp_path: Path) -> None:
    data = json.loads(HORIZONS.read_text())
    rows = data["resolutions"]
    first = next(n for n, r in enumerate(rows) if r["source"] == "infer")
    second = next(n for n, r in enumerate(rows) if n > first and r["id"] == rows[first]["id"])
    rows[second]["resolved_to"] = 0.5
    bad = tmp_path / "2024-07-21_resolution_set.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = cli("import-dataset", "forecastbench", *HUMAN, str(bad), ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {bad}: record {second + 1}: resolved_to: infer/{rows[first]['id']} "
                                     f"resolves to 0.5 here but to {float(rows[first]['resolved_to'])} at record "
                                     f"{first + 1}")  # fmt: skip
    assert cli.json("status") == []


def test_two_rounds_keep_their_own_questions_and_the_market_can_be_followed(cli) -> None:
    out = cli.json("import-dataset", "forecastbench", *ROUNDS)
    # round 2026-07-19: OZs0tAAnsp + ANFCI at 8 dates; round 2026-08-02: those two and yfyPBZNkCMZiffCyICSj
    assert out["questions"]["read"] == 5 and out["questions"]["imported"] == 19
    market = cli.json("questions", "list", "--tag", "manifold/OZs0tAAnsp")
    assert sorted(q["external_id"] for q in market) == ["manifold/OZs0tAAnsp#2026-07-19",
                                                        "manifold/OZs0tAAnsp#2026-08-02"]  # fmt: skip
    again = cli.json("import-dataset", "forecastbench", *ROUNDS)
    assert again["questions"]["imported"] == 0 and again["questions"]["skipped_existing"] == 19


def test_long_background_is_split_into_description_and_fine_print_whole(cli) -> None:
    out = cli.json("import-dataset", "forecastbench", *ROUNDS)
    assert out["questions"]["notes"] == {
        f"background over {MAX_TEXT:,} characters: split into description and fine print": 2}  # fmt: skip
    published = next(q for q in json.loads(Path(ROUNDS[0]).read_text())["questions"] if q["id"] == "OZs0tAAnsp")
    assert len(published["background"]) == 13_512
    qid = next(q["id"] for q in cli.json("questions", "list", "--tag", "manifold/OZs0tAAnsp"))
    q = cli.json("questions", "show", qid)["question"]
    assert len(q["description"]) <= MAX_TEXT and len(q["fine_print"]) <= MAX_TEXT
    head = q["description"].split("\n\n[The background continues")[0]
    rest = q["fine_print"].split("continued from the description:]\n", 1)[1].rsplit("\n\n", 1)[0]
    assert head + rest == published["background"]


def test_market_closing_in_2525_is_imported_and_scored(cli, db) -> None:
    cli.json("import-dataset", "forecastbench", *[p for p in ROUNDS if "resolution" not in p])
    far = next(q for q in cli.json("questions", "list", "--tag", "manifold/yfyPBZNkCMZiffCyICSj"))
    assert far["closes_at"].startswith("2525-01-01")
    submit_forecast(db, far["id"], 0.3, "ann", made_at=datetime(2026, 8, 2, tzinfo=UTC))
    cli.json("import-dataset", "forecastbench", *ROUNDS)
    rows = cli.json("score")
    # resolved to the market's value 0.4617107142 on 2026-08-20 (unresolved market): Brier (0.3 − r)²
    assert [(r["question_id"], r["forecaster_id"]) for r in rows] == [(far["id"], "ann")]
    assert rows[0]["brier"] == pytest.approx((0.3 - 0.46171071420000004) ** 2)
    assert [r["forecaster"] for r in cli.json("leaderboard")] == ["ann"]


# --- PredictionBook ---------------------------------------------------------------------------------------

PB = Path(__file__).resolve().parent / "fixtures" / "predictionbook" / "history_excerpt.csv"


def test_predictionbook_exact_duplicate_rows_are_kept_once_and_counted(cli) -> None:
    out = cli.json("import-dataset", "predictionbook", str(PB))
    assert out["forecasts"]["read"] == 8 and out["forecasts"]["imported"] == 7
    assert out["forecasts"]["merged"] == {"exact duplicate row: kept once": 1}
    glenn = [f for f in cli.json("questions", "show", "387")["forecasts"] if f["forecaster_id"] == "Glenn"]
    assert [f["probability"] for f in glenn] == [0.55]


def test_predictionbook_judged_before_a_deadline_to_come_resolves_after_its_last_forecast(cli) -> None:
    out = cli.json("import-dataset", "predictionbook", str(PB))
    assert out["questions"]["notes"] == {
        "judged before its deadline (still to come): closed one second after the last forecast": 1}  # fmt: skip
    q = cli.json("questions", "show", "22680")["question"]
    assert q["closes_at"] == "2014-06-29T02:55:56Z"
    assert [r["outcome"] for r in cli.json("status") if r["id"] == "22680"] == ["no"]


def test_predictionbook_deadlines_outside_the_years_are_set_aside_and_counted(cli, tmp_path: Path) -> None:
    text = PB.read_text(encoding="utf-8").replace("2009-09-07 12:00:00+00:00", "0139-09-07 12:00:00+00:00")
    bad = tmp_path / "pb.csv"
    bad.write_text(text.replace("2914-12-31 23:00:00+00:00", "9999-12-31 23:00:00+00:00"), encoding="utf-8")
    out = cli.json("import-dataset", "predictionbook", str(bad))
    assert out["questions"]["imported"] == 2
    assert out["questions"]["notes"]["deadline outside the years 1900-2999: closed after the last forecast"] == 2
    assert cli.json("questions", "show", "387")["question"]["closes_at"] == "2009-08-31T03:04:34Z"


def test_predictionbook_and_metaculus_keep_the_last_of_same_second_forecasts(cli, tmp_path: Path) -> None:
    lines = PB.read_text(encoding="utf-8").splitlines()
    lines.insert(5, lines[3].replace(",0.55,", ",0.6,"))  # after his duplicate: the same second, another probability
    pb = tmp_path / "pb.csv"
    pb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli.json("import-dataset", "predictionbook", str(pb))
    assert out["forecasts"]["merged"] == {"exact duplicate row: kept once": 1,
                                          "same user, question and second: the last kept": 1}  # fmt: skip
    glenn = [f for f in cli.json("questions", "show", "387")["forecasts"] if f["forecaster_id"] == "Glenn"]
    assert [f["probability"] for f in glenn] == [0.6]
    # the Metaculus reader: a second forecast by pasta on 35387 in the same second (later by 0.1 s) replaces it
    lines = METACULUS.read_text(encoding="utf-8").splitlines()
    again = lines[1].replace("0.046,,,2025-03-14 22:12:07.763148+00", "0.5,,,2025-03-14 22:12:07.863148+00")
    mc = tmp_path / "metaculus.csv"
    mc.write_text("\n".join([*lines, again.replace("28036612,", "28036613,", 1)]) + "\n", encoding="utf-8")
    out = cli.json("import-dataset", "metaculus", str(mc))
    assert out["forecasts"]["merged"] == {"same forecaster, question and second: the last kept": 1}
    pasta = [f["probability"] for f in cli.json("questions", "show", "35387")["forecasts"]
             if f["forecaster_id"] == "pasta" and f["made_at"] == "2025-03-14T22:12:07Z"]  # fmt: skip
    assert pasta == [0.5]


# --- Metaculus --------------------------------------------------------------------------------------------

METACULUS = Path(__file__).resolve().parent / "fixtures" / "metaculus" / "pro_forecasts_q1_excerpt.csv"
OTHER_TYPES = METACULUS.with_name("pro_forecasts_q1_other_types.csv")


def test_metaculus_rows_of_other_question_types_are_counted_as_left_out(cli) -> None:
    """Binary, numeric and date questions are imported (issue 24); the multiple-choice one is left out and counted."""
    out = cli.json("import-dataset", "metaculus", str(METACULUS), str(OTHER_TYPES))
    assert out["forecasts"]["read"] == 83 + 34 and out["forecasts"]["imported"] == 83 + 16
    assert out["forecasts"]["left_out"] == {
        "on a multiple_choice question (binary, numeric and date questions are imported)": 18,
    }
    assert out["questions"]["read"] == 6 and out["questions"]["imported"] == 5
    assert out["questions"]["left_out"] == {
        "multiple_choice question (binary, numeric and date questions are imported)": 1
    }
    result = cli("import-dataset", "metaculus", str(METACULUS))
    assert "forecasts: 83 read, 0 imported, 83 already present" in result.output


def test_predictionbook_outcome_may_be_ambiguous(cli, tmp_path: Path) -> None:
    text = PB.read_text(encoding="utf-8").replace(",no,2009-09-07", ",ambiguous,2009-09-07")
    pb = tmp_path / "pb.csv"
    pb.write_text(text, encoding="utf-8")
    cli.json("import-dataset", "predictionbook", str(pb))
    assert {r["id"]: r["outcome"] for r in cli.json("status")} == {"387": "ambiguous", "22680": "no"}
    assert {r["question_id"] for r in cli.json("score")} == {"22680"}  # ambiguous questions are not scored


def test_resolution_dated_after_today_is_left_out_and_counted(cli, tmp_path: Path) -> None:
    """One published row (Polymarket, resolved, dated 2026-12-31 in the 2026-03-01 set) was dated after the
    day it was read; such a row waits for its date rather than be refused as known in the future."""
    files = []
    for p in map(Path, ROUNDS):
        copy = tmp_path / p.name
        copy.write_text(p.read_text(encoding="utf-8").replace('"2026-08-20"', '"2999-01-01"'), encoding="utf-8")
        files.append(str(copy))
    out = cli.json("import-dataset", "forecastbench", *files)
    assert out["resolutions"]["imported"] == 3
    assert out["resolutions"]["left_out"] == {"resolution date still to come (import the set again after it)": 2}


def test_errors_inside_a_json_set_name_the_record(cli, tmp_path: Path) -> None:
    """A forecaster twice on one question in one set: the import's own message names records, not lines."""
    data = json.loads(Path(HUMAN[1]).read_text())
    data["forecasts"].insert(3, {**data["forecasts"][0], "forecast": 0.5})
    bad = tmp_path / "forecasts.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = cli("import-dataset", "forecastbench", HUMAN[0], str(bad), ok=False)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith(f"Error: {bad}: record 4: made_at: SbZAVaBSo6 already has a forecast on ")
    assert message.endswith("(record 1)") and "line" not in message
