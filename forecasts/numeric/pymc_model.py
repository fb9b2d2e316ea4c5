"""The local-level model in PyMC: the same random walk (with a drift, possibly uncertain) and noisy observations
as the Kalman fast path (forecasts.numeric.kalman), sampled, so uncertain parameters can be added later; where
no parameter is uncertain its posterior mean of the value at the close equals the fast path's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from forecasts.numeric.kalman import DAY, Observation, initial, to_axis


def sample_level(
    prior: dict[str, Any], opens_at: float, target: float, observations: Sequence[Observation],
    draws: int = 2000, tune: int = 1000, chains: int = 2, seed: int = 0,
) -> Any:  # fmt: skip
    """Posterior draws of the level at `target` (model axis) as a numpy array."""
    import numpy as np
    import pymc as pm

    b0 = initial(prior, opens_at)
    obs = sorted(observations, key=lambda o: o.at)
    times = [opens_at] + [max(o.at, opens_at) for o in obs] + [max(target, opens_at)]
    gaps = np.diff(np.array(times)) / DAY
    step_sd = prior.get("step_sd", 0.0)
    with pm.Model():
        level0 = pm.Normal("level0", b0.mean[0], math.sqrt(b0.cov[0][0]))
        drift_sd = math.sqrt(b0.cov[1][1])
        drift = pm.Normal("drift", b0.mean[1], drift_sd) if drift_sd > 0 else b0.mean[1]
        scale = step_sd * np.sqrt(np.maximum(gaps, 1e-12))
        if step_sd > 0:
            shocks = pm.Normal("shocks", 0.0, 1.0, shape=len(gaps))
            path = level0 + pm.math.cumsum(drift * gaps + shocks * scale)
        else:
            path = level0 + pm.math.cumsum(drift * gaps + 0.0 * scale)
        if obs:
            y = np.array([to_axis(prior, o.value) for o in obs])
            sd = np.array([o.sd / o.value if prior.get("kind") == "lognormal" else o.sd for o in obs])
            pm.Normal("y", path[:-1], sd, observed=y)
        pm.Deterministic("target", path[-1])
        trace = pm.sample(draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed, progressbar=False,
                          compute_convergence_checks=False)  # fmt: skip
    return trace.posterior["target"].values.reshape(-1)
