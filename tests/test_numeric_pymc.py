"""The local-level model in PyMC agrees with its closed form (Kalman) where no parameter is uncertain."""

from __future__ import annotations

import numpy as np
import pytest

from forecasts.numeric import kalman
from forecasts.numeric.pymc_model import sample_level

DAY = kalman.DAY


@pytest.mark.slow
def test_pymc_mean_equals_kalman_mean() -> None:
    prior = {"kind": "normal", "mean": 19.0, "sd": 2.0, "drift": 0.002, "step_sd": 0.05}
    obs = [kalman.Observation(10 * DAY, 18.2, 0.2), kalman.Observation(160 * DAY, 18.6, 0.2)]
    target = 900 * DAY
    exact = kalman.forecast(prior, 0.0, target, obs)
    draws = sample_level(prior, 0.0, target, obs, draws=1500, tune=1000, chains=2, seed=7)
    mc_se = draws.std() / np.sqrt(len(draws)) * 3  # generous: draws are autocorrelated
    assert abs(draws.mean() - exact.mean) < max(4 * mc_se, 0.02)
    assert draws.std() == pytest.approx(exact.stdev, rel=0.1)
