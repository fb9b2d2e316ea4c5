"""The numeric pools' backtest (mean of CDFs, median of quantiles, scored by CRPS on the unit range) on small
hand-made questions, and against the crowds `aggregate` records and `numeric-scores` scores."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_numeric_cli import ncli, past_forecast  # noqa: F401 (ncli: the numeric questions' fixture)

from forecasts.numeric.cdf import ppf
from forecasts.numeric.crowd import LEVELS, quantile_table
from forecasts.numeric.scale import Scale
from forecasts.pooling.numeric import question_crps

UNIFORM = [i / 200 for i in range(201)]
# 98% of the mass evenly on the lower half of the range, 2% on the upper half (a valid CDF: every step rises)
LOW = [0.98 * i / 100 if i <= 100 else 0.98 + 0.02 * (i - 100) / 100 for i in range(201)]
Q = SimpleNamespace(scale=Scale(0.0, 10.0))


def test_one_uniform_forecast_scores_a_twelfth_of_the_range():
    # CRPS of the uniform at the middle of [0, 1]: int_0^.5 u^2 + int_.5^1 (1 - u)^2 = 1/12, in both pools
    out = question_crps(Q, [("a", 0.0, UNIFORM)], 5.0, 10.0)
    assert out["people"] == 1
    for method in ("mean_cdf", "median_quantiles"):
        assert out[method] == pytest.approx((1 / 12, 1 / 12), abs=1e-9)


def test_pools_are_time_averaged_over_the_standing_forecasts():
    # a alone for [0, 5), then a and b: the mean of CDFs is 1.48 u below the middle, 0.52 u + 0.48 above it:
    # CRPS at the middle = 1.48^2 / 24 + 0.52^2 / 24 = 0.1025333...; time-averaged with a's 1/12 for half the span
    out = question_crps(Q, [("a", 0.0, UNIFORM), ("b", 5.0, LOW)], 5.0, 10.0)
    close = (1.48**2 + 0.52**2) / 24
    assert out["mean_cdf"] == pytest.approx((0.5 / 12 + 0.5 * close, close), abs=1e-9)
    assert out["median_quantiles"][1] != pytest.approx(close, abs=1e-3)  # a different pool once two stand
    assert out["median_quantiles"][0] == pytest.approx(0.5 / 12 + 0.5 * out["median_quantiles"][1], abs=1e-9)
    # forecasts at or after the end are not pooled; none before it: nothing to score
    assert question_crps(Q, [("a", 0.0, UNIFORM), ("b", 10.0, LOW)], 5.0, 10.0)["mean_cdf"][1] == pytest.approx(1 / 12)
    assert question_crps(Q, [("a", 10.0, UNIFORM)], 5.0, 10.0) is None


def test_quantile_table_equals_ppf_level_by_level():
    rng = np.random.default_rng(0)
    for k in range(50):
        steps = rng.random(200) * (rng.random(200) < 0.7)  # plateaus too
        c = np.concatenate([[0.0], np.cumsum(steps)])
        c = np.round(np.minimum(c / c[-1] * rng.uniform(0.8, 1.0) + rng.uniform(0, 0.1), 1.0), 4).tolist()
        assert quantile_table(c) == [ppf(c, level) for level in LEVELS], k


def test_backtest_of_numeric_pools_matches_the_recorded_crowds(ncli, db_path):  # noqa: F811
    """aggregate --backtest's numeric CRPS at close equals numeric-scores' crps_range of the `crowd` and
    `crowd-quantiles` series that `aggregate` records (two independent paths)."""
    ncli("forecasters", "add", "bob")
    past_forecast(db_path, "alice", "2025-05-01", {10: "18", 50: "19.5", 90: "21"})
    past_forecast(db_path, "bob", "2025-06-01", {10: "17", 50: "18", 90: "25"})
    ncli("resolve", "territory", "19.3")
    out = ncli.json("aggregate", "--backtest")["numeric"]
    assert out["n_questions"] == 1 and out["favoured"] == "mean_cdf" and "fewer than" in out["why"]
    rows = {r["method"]: r for r in out["methods"]}
    ncli("aggregate")
    scores = {r["forecaster"]: r for r in ncli.json("numeric-scores")["scores"]}
    assert rows["mean_cdf"]["crps_close"] == pytest.approx(scores["crowd"]["crps_range"], abs=1e-9)
    assert rows["median_quantiles"]["crps_close"] == pytest.approx(scores["crowd-quantiles"]["crps_range"], abs=1e-9)
    assert rows["median_quantiles"]["diff_close"] == pytest.approx(
        scores["crowd-quantiles"]["crps_range"] - scores["crowd"]["crps_range"], abs=1e-9
    )
    assert ncli.json("aggregate", "--backtest", "--min-forecasters", "3")["numeric"]["n_questions"] == 0
    text = ncli("aggregate", "--backtest").stdout
    assert "Numeric pools over 1 resolved" in text and "median_quantiles" in text
    assert max(len(line) for line in text.splitlines()) <= 80
