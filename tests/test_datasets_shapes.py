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
