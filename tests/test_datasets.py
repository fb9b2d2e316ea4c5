"""Public datasets through the CLI: ForecastBench's published sets, a Metaculus export, PredictionBook data.

The ForecastBench figures are computed here twice: directly from the published JSON files (plain Python, the way
ForecastBench scores a forecast: (p − resolved_to)², resolved_to being a market's value on the resolution date
while it is unresolved) and through `forecasts import-dataset`, `aggregate` and `score`.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FB = FIXTURES / "forecastbench"
FB_FILES = sorted(str(p) for p in FB.glob("*.json"))
MARKETS = ("manifold", "metaculus", "polymarket", "infer")


def _forecastbench_by_hand() -> dict[str, float]:
    """ForecastBench's Brier figures on the fixture, from the published files alone."""
    forecasts = json.loads((FB / "2024-07-21.ForecastBench.human_super_individual.json").read_text())["forecasts"]
    resolutions = json.loads((FB / "2024-07-21_resolution_set.json").read_text())["resolutions"]
    truth = {}
    for r in resolutions:
        key = (r["source"], r["id"]) if r["source"] in MARKETS else (r["source"], r["id"], r["resolution_date"])
        truth[key] = r["resolved_to"]
    per_question: dict[tuple, list[float]] = {}
    for f in forecasts:
        key = (f["source"], f["id"]) if f["source"] in MARKETS else (f["source"], f["id"], f["resolution_date"])
        per_question.setdefault(key, []).append(f["forecast"])
    individual = [(p - truth[k]) ** 2 for k, ps in per_question.items() for p in ps]
    median = {k: (statistics.median(ps) - truth[k]) ** 2 for k, ps in per_question.items()}
    market = [b for k, b in median.items() if k[0] in MARKETS]
    dataset = [b for k, b in median.items() if k[0] not in MARKETS]
    return {
        "individual_mean": statistics.fmean(individual),
        "median_market": statistics.fmean(market),
        "median_dataset": statistics.fmean(dataset),
        "median_overall": (statistics.fmean(market) + statistics.fmean(dataset)) / 2,  # ForecastBench's overall
        "n_forecasts": len(individual),
        "n_questions": len(median),
        "n_by_probability": sum(1 for k, v in truth.items() if k in per_question and 0 < v < 1),
        "n_certain": sum(1 for ps in per_question.values() for p in ps if p in (0, 1)),
    }


@pytest.fixture
def fb_cli(cli):
    out = cli.json("import-dataset", "forecastbench", *FB_FILES)
    return cli, out


def test_forecastbench_sets_import_all_or_nothing_and_idempotently(fb_cli) -> None:
    cli, out = fb_cli
    hand = _forecastbench_by_hand()
    assert out["questions"]["imported"] == hand["n_questions"]
    assert out["forecasts"]["imported"] == hand["n_forecasts"]
    assert hand["n_certain"] > 0  # forecasts of exactly 0 or 1, as in the full set (21%)
    again = cli.json("import-dataset", "forecastbench", *FB_FILES)
    n = hand["n_forecasts"]
    assert again["forecasts"] == {"read": n, "rows": n, "imported": 0, "skipped_existing": n, "merged": {},
                                  "left_out": {}, "notes": {}}  # fmt: skip
    rows = cli.json("status")
    assert sum(1 for r in rows if r["outcome"] not in ("yes", "no")) == hand["n_by_probability"] > 0


def test_forecastbench_brier_figures_are_reproduced_through_the_cli(fb_cli) -> None:
    cli, _ = fb_cli
    hand = _forecastbench_by_hand()
    people = cli.json("score")
    # one forecast per forecaster and question, standing from the due date: its Brier is the mean while it stood
    assert len(people) == hand["n_forecasts"]
    assert statistics.fmean(r["brier"] for r in people) == pytest.approx(hand["individual_mean"], abs=1e-12)
    cli("aggregate", "--method", "median")
    market = [r["brier"] for r in cli.json("score", "--by", "crowd", "--tag", "market")]
    dataset = [r["brier"] for r in cli.json("score", "--by", "crowd", "--tag", "dataset")]
    assert statistics.fmean(market) == pytest.approx(hand["median_market"], abs=1e-12)
    assert statistics.fmean(dataset) == pytest.approx(hand["median_dataset"], abs=1e-12)
    overall = (statistics.fmean(market) + statistics.fmean(dataset)) / 2
    assert overall == pytest.approx(hand["median_overall"], abs=1e-12)


def test_forecastbench_ids_are_kept(fb_cli) -> None:
    cli, _ = fb_cli
    q = next(r for r in cli.json("status") if r["id"].startswith("manifold-tpkejinb1wvcigfnpcdd"))
    detail = cli.json("questions", "show", q["id"])
    assert (detail["question"]["external_id"], detail["question"]["source"]) == (
        "manifold/TPkEjiNb1wVCIGFnPcDD#2024-07-21", "forecastbench")  # fmt: skip
    assert detail["question"]["has_prior"] is False
    users = {f["forecaster_id"] for f in detail["forecasts"]}
    assert "SbZAVaBSo6" in users  # ForecastBench's user ids are valid names: kept as they are


def test_forecastbench_bad_record_names_file_and_position_and_writes_nothing(cli, tmp_path: Path) -> None:
    data = json.loads((FB / "2024-07-21.ForecastBench.human_super_individual.json").read_text())
    data["forecasts"][4]["forecast"] = 1.2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    files = [f for f in FB_FILES if "individual" not in f] + [str(bad)]
    result = cli("import-dataset", "forecastbench", *files, ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {bad}: record 5: probability: 1.2 must be a number from 0 to 1 (e.g. 0.35)"
    assert cli.json("status") == []


# --- Metaculus per-forecast export ------------------------------------------------------------------------

METACULUS = FIXTURES / "metaculus" / "pro_forecasts_q1_excerpt.csv"


def test_metaculus_export_imports_and_scores_the_forecast_standing_at_close(cli) -> None:
    import csv

    out = cli.json("import-dataset", "metaculus", str(METACULUS))
    rows = list(csv.DictReader(METACULUS.open(encoding="utf-8")))
    assert out["questions"]["imported"] == len({r["question_id"] for r in rows})
    assert out["forecasts"]["imported"] + out["forecasts"]["skipped_existing"] <= len(rows)
    assert cli.json("import-dataset", "metaculus", str(METACULUS))["forecasts"]["imported"] == 0
    scores = cli.json("score")
    assert all(s["outcome"] in ("yes", "no") for s in scores)  # the annulled question is not scored
    by_hand = {}
    for r in sorted(rows, key=lambda r: r["forecast_timestamp"]):
        if r["resolution"] in ("yes", "no") and r["forecast_timestamp"] < r["actual_close_time"]:
            o = 1.0 if r["resolution"] == "yes" else 0.0
            by_hand[(r["question_id"], r["forecaster"])] = (float(r["probability_yes"]) - o) ** 2
    got = {(s["question_id"], s["forecaster_id"]): s["brier_close"] for s in scores}
    assert got == pytest.approx(by_hand, abs=1e-12)
    forecasts = cli.json("forecast-list", "--question", "35387")
    assert {f["source"] for f in forecasts} == {"metaculus"} and all(f["external_id"] for f in forecasts)


# --- PredictionBook-style CSV -------------------------------------------------------------------------------

PREDICTIONBOOK = FIXTURES / "predictionbook" / "predictions.csv"


def test_predictionbook_csv_imports_and_time_averages_revisions(cli) -> None:
    from forecasts.timeutil import parse_datetime

    out = cli.json("import-dataset", "predictionbook", str(PREDICTIONBOOK))
    assert (out["questions"]["imported"], out["forecasts"]["imported"], out["resolutions"]["imported"]) == (4, 15, 4)
    gwern = next(s for s in cli.json("score", "--question", "21903"))
    t0, t1, t2 = (parse_datetime(t).timestamp() for t in ("2013-10-30T02:16:35Z", "2013-11-10T23:58:04Z",
                                                          "2014-10-30T02:16:35Z"))  # fmt: skip
    expected = ((0.7 - 1) ** 2 * (t1 - t0) + (0.8 - 1) ** 2 * (t2 - t1)) / (t2 - t0)
    assert gwern["brier"] == pytest.approx(expected, abs=1e-12)
    names = {s["forecaster_id"] for s in cli.json("score", "--question", "2721")}
    assert len(names) == 1 and next(iter(names)).startswith("Ben-Doherty-")  # "Ben Doherty" kept as external_id
