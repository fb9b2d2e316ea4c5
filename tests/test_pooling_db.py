"""The pooling methods end to end: a PredictionBook-style history imported, backtested from the CLI, each method
recorded as its own crowd series, and that series scoring exactly what the backtest said."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

START = datetime(2020, 1, 1, tzinfo=UTC)


def write_history(path, n_q: int = 80, seed: int = 5) -> None:
    """Question i opens on day 3 i, six of twelve people forecast a few hours apart (one of them twice), and
    it is judged on day 3 i + 2: later questions can learn from earlier ones."""
    rng = np.random.default_rng(seed)
    noise = np.where(np.arange(12) < 4, 0.3, 2.0)
    slope = np.where(np.arange(12) % 2 == 0, 1.0, 2.0)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["question_id", "question", "user", "probability", "timestamp", "outcome", "known_at"])
        for i in range(n_q):
            theta = rng.normal(0, 1.5)
            outcome = "right" if rng.random() < 1 / (1 + np.exp(-theta)) else "wrong"
            day = START + timedelta(days=3 * i)
            people = rng.choice(12, 6, replace=False)
            for k, w in enumerate([*people, people[0]]):
                p = 1 / (1 + np.exp(-slope[w] * (theta + rng.normal(0, noise[w]))))
                when = day + timedelta(hours=k)
                out.writerow([i, f"Event {i}?", f"person{w}", f"{p:.4f}", when.isoformat(), outcome,
                              (day + timedelta(days=2)).isoformat()])  # fmt: skip


@pytest.fixture
def history(cli, tmp_path):
    path = tmp_path / "pb.csv"
    write_history(path)
    cli("import-dataset", "predictionbook", str(path))
    return path


def test_backtest_json_fields_and_determinism(cli, history):
    out = cli.json("aggregate", "--backtest", "--min-forecasters", "3")
    assert out["n_questions"] == 80 and out["min_forecasters"] == 3 and out["seed"] == 0
    rows = {r["method"]: r for r in out["methods"]}
    assert set(rows) == {"median", "mean", "trimmed", "geometric", "neyman", "metaculus", "skill", "learned"}
    assert rows["median"]["diff"] == 0.0
    for r in rows.values():
        assert r["n_questions"] == 80
        assert r["diff_lo"] <= r["diff"] <= r["diff_hi"]
        assert r["diff_close_lo"] <= r["diff_close"] <= r["diff_close_hi"]
        assert r["brier_close"] - rows["median"]["brier_close"] == pytest.approx(r["diff_close"])
        assert 0 < r["brier"] < 0.5 and 0 < r["brier_close"] < 0.5 and r["log_loss"] > 0
    assert out["favoured"] in rows and out["why"]
    again = cli.json("aggregate", "--backtest", "--min-forecasters", "3")
    assert {**again, "known_by": None} == {**out, "known_by": None}  # seeded: the same answer
    assert cli.json("aggregate", "--backtest", "--min-forecasters", "7")["n_questions"] == 0
    assert cli.json("aggregate", "--backtest", "--since", "2020-05-01")["n_questions"] == 80 - 40
    assert cli.json("aggregate", "--backtest", "--tag", "nothing-has-it")["n_questions"] == 0


def test_backtest_table_fits_80_columns(cli, history):
    out = cli("aggregate", "--backtest").stdout
    assert "metaculus" in out and "favoured:" in out
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("method", ["metaculus", "learned", "trimmed"])
def test_recorded_series_scores_what_the_backtest_says(cli, history, method):
    backtest = {r["method"]: r for r in cli.json("aggregate", "--backtest")["methods"]}[method]
    recorded = cli.json("aggregate", "--method", method)
    assert recorded["forecaster"] == f"crowd-{method}" and recorded["recorded"] > 80
    scores = [r for r in cli.json("score") if r["forecaster_id"] == f"crowd-{method}"]
    assert len(scores) == 80
    assert np.mean([r["brier"] for r in scores]) == pytest.approx(backtest["brier"], abs=1e-6)
    assert np.mean([r["brier_close"] for r in scores]) == pytest.approx(backtest["brier_close"], abs=1e-6)
    assert cli.json("aggregate", "--method", method)["recorded"] == 0  # idempotent


def test_auto_says_which_method_and_why(cli, history):
    bt = cli.json("aggregate", "--backtest")
    out = cli.json("aggregate", "--method", "auto")
    assert out["forecaster"] == "crowd-auto"
    assert out["auto"]["method"] == bt["favoured"] and out["auto"]["why"] == bt["why"]
    assert all(q["method_used"].startswith(f"{bt['favoured']} (auto: ") for q in out["questions"])


def test_backtest_bad_input_is_one_line(cli, history):
    for args, field in [(["--since", "soon"], "since"), (["--min-forecasters", "0"], "min-forecasters")]:
        result = cli("aggregate", "--backtest", *args, ok=False)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {field}:") and len(result.output.strip().splitlines()) == 1
    result = cli("aggregate", "--method", "mode", ok=False)
    assert result.exit_code == 1 and "auto" in result.output


def test_predictionbook_history_excerpt_backtests(cli):
    """Real PredictionBook rows (niplav/iqisa's collection): ambiguous and open questions are not scored, and
    the median's Brier at close is the median of each person's last forecast, scored by hand."""
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "predictionbook" / "iqisa_excerpt.csv"
    cli("import-dataset", "predictionbook", str(path))
    out = cli.json("aggregate", "--backtest", "--min-forecasters", "3")
    assert out["n_questions"] == 5
    rows = {r["method"]: r for r in out["methods"]}
    # last forecasts: q7 (yes) .3 .4 .4 .6 .9 .9; q183 (yes) .8 .85 .85 .9; q66 (no) .3 .5 .54 .8;
    # q345 (no) 0 .12 .35 (gwern's 0 came after the deadline: the question closes after it); q378 (no) .15 .22 .31 .9
    by_hand = [0.5**2, 0.15**2, 0.52**2, 0.12**2, 0.265**2]
    assert rows["median"]["brier_close"] == pytest.approx(np.mean(by_hand))
    assert cli.json("aggregate", "--backtest", "--min-forecasters", "6")["n_questions"] == 1  # q7 only
