"""The model's numeric forecast: the local-level fast path's predictive distribution at the question's close,
as a Metaculus CDF (what `status`, `questions show` and the `bayes` forecaster use)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from forecasts.numeric import kalman
from forecasts.numeric.cdf import cdf_from_distribution, grid_values
from forecasts.numeric.kalman import Observation
from forecasts.numeric.scale import NumericQuestion as Question


def predictive(q: Question, observations: Sequence[Observation]) -> NormalDist:
    """The level at the question's close given the observations (model axis: log for a lognormal prior)."""
    return kalman.forecast(q.prior, q.opens_at.timestamp(), q.closes_at.timestamp(), observations)


def model_cdf(q: Question, observations: Sequence[Observation]) -> list[float]:
    """The fast path's forecast as a valid 201-point CDF."""
    dist = predictive(q, observations)
    log = kalman.is_log(q.prior)
    values = []
    for x in grid_values(q.scale):
        if log:
            values.append(0.0 if x <= 0 else dist.cdf(math.log(x)))
        else:
            values.append(dist.cdf(x))
    return cdf_from_distribution(values, q.scale)
