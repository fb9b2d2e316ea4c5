"""The headline comparison of people reflects the period each one forecast; the model is one row, after people."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forecasts.forecasters import MODEL, RECONSTRUCTED
from forecasts.forecasting import submit_forecast
from forecasts.resolution import resolve
from forecasts.scoring.leaderboard import leaderboard, score_table
from forecasts.sync import sync

QUESTION = """
title = "Will it happen by mid-April?"
opens_at = 2025-01-01
closes_at = 2025-04-11
resolves_by = 2025-05-01
resolution_criteria = "It happens."
[prior]
probability = 0.5
note = "coin flip"
"""


def day(n: int) -> datetime:
    return datetime.fromtimestamp(datetime(2025, 1, 1, tzinfo=UTC).timestamp() + n * 86400, UTC)


@pytest.fixture
def scored(db, tmp_path: Path):
    root = tmp_path / "questions"
    root.mkdir()
    (root / "q.toml").write_text(QUESTION.lstrip(), encoding="utf-8")
    sync(db, root)
    submit_forecast(db, "q", 0.5, "alice", made_at=day(0))  # the whole 100 days at 0.5: Brier 0.25
    submit_forecast(db, "q", 0.1, "bob", made_at=day(90))  # the last 10 days at 0.1: Brier 0.81
    submit_forecast(db, "q", 0.99, RECONSTRUCTED, made_at=day(0), kind="model")  # a replay's head start
    submit_forecast(db, "q", 0.2, MODEL, made_at=day(95), kind="model")  # the live model from day 95
    resolve(db, "q", "yes", known_at="2025-04-11")
    return db


def test_relative_brier_over_each_ones_own_period(scored):
    rows = {r["forecaster_id"]: r for r in score_table(scored).to_dict("records")}
    bob = rows["bob"]
    assert bob["brier"] == pytest.approx(0.81) and bob["coverage"] == pytest.approx(0.1)
    # days 90-100: people's median of 0.25 and 0.81 is 0.53, so bob is 0.28 worse over his own period, while the
    # Fatebook convention (days before his first forecast count as 0) dilutes it tenfold
    assert bob["relative_brier_own"] == pytest.approx(0.28)
    assert bob["relative_brier"] == pytest.approx(0.028)
    assert rows["alice"]["relative_brier_own"] == pytest.approx(rows["alice"]["relative_brier"])


def test_one_model_row_and_people_ranked_first(scored):
    rows = score_table(scored)
    assert sorted(rows["forecaster_id"].astype(str)) == ["alice", "bayes", "bob"]  # the replay folded into bayes
    model = rows[rows["forecaster_id"] == MODEL].iloc[0]
    assert model["n_forecasts"] == 2  # the replay's forecast before day 95, then the live one
    assert 0.0 < model["brier"] < 0.25  # mostly the replay's 0.99
    board = leaderboard(scored)
    assert list(board["forecaster"]) == ["alice", "bob", "bayes"]  # bayes scores best but is not ranked above people
    assert list(board["kind"]) == ["person", "person", "model"]
    replay = score_table(scored, by=RECONSTRUCTED)  # asked for by name, the replay is still there on its own
    assert list(replay["forecaster_id"].astype(str)) == [RECONSTRUCTED]
