"""The local-level model's closed form: a random walk (with a drift, known or uncertain) observed with noise,
filtered by a two-state Kalman filter; the fast path for interactive commands (pure Python, no numpy).

State (level, drift) on the model's axis (the value itself; its log for a lognormal prior). Between two times
dt days apart: level += drift * dt + N(0, step_sd^2 dt); the drift stays. An observation is level + N(0, sd^2).
The prior gives the level at the question's opening; `drift` and `drift_sd` (per day) the drift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

DAY = 86400.0


@dataclass(frozen=True)
class Observation:
    """A reading of the quantity at a time (Unix seconds), with its standard error, in the question's units."""

    at: float
    value: float
    sd: float


@dataclass(frozen=True)
class Belief:
    """Mean and covariance of (level, drift) at a time."""

    at: float
    mean: tuple[float, float]
    cov: tuple[tuple[float, float], tuple[float, float]]

    @property
    def level_sd(self) -> float:
        return math.sqrt(max(self.cov[0][0], 0.0))


def is_log(prior: dict[str, Any]) -> bool:
    return prior.get("kind") == "lognormal"


def to_axis(prior: dict[str, Any], x: float) -> float:
    """A value in the question's units -> the model's axis (log for a lognormal prior)."""
    return math.log(x) if is_log(prior) else x


def initial(prior: dict[str, Any], at: float) -> Belief:
    """The belief at the question's opening, from its prior (a uniform prior as a normal of the same mean and sd)."""
    kind = prior["kind"]
    if kind == "normal":
        m, s = prior["mean"], prior["sd"]
    elif kind == "lognormal":
        m, s = prior["mu"], prior["sigma"]
    else:
        m, s = (prior["low"] + prior["high"]) / 2, (prior["high"] - prior["low"]) / math.sqrt(12)
    drift, drift_sd = prior.get("drift", 0.0), prior.get("drift_sd", 0.0)
    return Belief(at, (m, drift), ((s * s, 0.0), (0.0, drift_sd * drift_sd)))


def predict(b: Belief, at: float, step_sd: float) -> Belief:
    """Propagate the belief to a later time (no observation)."""
    dt = max(at - b.at, 0.0) / DAY
    (p00, p01), (_, p11) = b.cov
    m = (b.mean[0] + b.mean[1] * dt, b.mean[1])
    q00 = p00 + 2 * dt * p01 + dt * dt * p11 + step_sd * step_sd * dt
    q01 = p01 + dt * p11
    return Belief(at, m, ((q00, q01), (q01, p11)))


def update(b: Belief, y: float, sd: float) -> Belief:
    """Condition the belief on one observation of the level."""
    (p00, p01), (_, p11) = b.cov
    s = p00 + sd * sd
    if s <= 0:
        return b
    k0, k1 = p00 / s, p01 / s
    r = y - b.mean[0]
    m = (b.mean[0] + k0 * r, b.mean[1] + k1 * r)
    c00 = p00 - k0 * p00
    c01 = p01 - k0 * p01
    c11 = p11 - k1 * p01
    return Belief(b.at, m, ((c00, c01), (c01, c11)))


def filtered(prior: dict[str, Any], opens_at: float, observations: Sequence[Observation]) -> Belief:
    """The belief after every observation (in time order) made by now."""
    step_sd = prior.get("step_sd", 0.0)
    b = initial(prior, opens_at)
    for o in sorted(observations, key=lambda o: o.at):
        b = predict(b, max(o.at, b.at), step_sd)
        y, sd = to_axis(prior, o.value), o.sd
        if is_log(prior):  # delta method: the observation's sd on the log axis
            sd = o.sd / o.value
        b = update(b, y, sd)
    return b


def forecast(prior: dict[str, Any], opens_at: float, target: float, observations: Sequence[Observation]) -> NormalDist:
    """The predictive distribution of the level at `target` (on the model's axis)."""
    b = predict(filtered(prior, opens_at, observations), target, prior.get("step_sd", 0.0))
    return NormalDist(b.mean[0], max(b.level_sd, 1e-12))
