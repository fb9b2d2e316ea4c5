"""Seeded numpy Monte Carlo of the fast-path model with its uncertainties: posterior mean and 90% interval.

Samples the prior (Beta/Dirichlet; a point prior stays fixed) and each link's ln LR ~ Normal(stated, sd),
then applies the same log-odds update as the fast path. Cheap enough for every question in a report;
the PyMC model (forecasts.bayes.model) is the full treatment.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from forecasts.bayes.fastpath import EPS, bin_remaining_fractions
from forecasts.probabilities import Link
from forecasts.questions import Question
from forecasts.timeutil import days_between

INTERVAL = 0.90


def prior_draws(q: Question, rng: np.random.Generator, draws: int) -> np.ndarray:
    """Draws of a binary question's prior probability π0: Beta(a, b), or fixed for a point prior."""
    if q.prior["kind"] == "point":
        return np.full(draws, q.prior["probability"])
    return rng.beta(q.prior["a"], q.prior["b"], size=draws)


def _remaining(pi0: np.ndarray, q: Question, at: datetime) -> np.ndarray:
    """Deadline decay per draw: 1 − (1 − π0)^((T − t)/(T − t0)), the constant-hazard remaining window."""
    if at <= q.opens_at:
        return pi0
    if at >= q.closes_at:
        return np.full_like(pi0, EPS)
    frac = days_between(at, q.closes_at) / days_between(q.opens_at, q.closes_at)
    return 1.0 - (1.0 - pi0) ** frac


def monte_carlo_posterior(
    q: Question, links: list[Link], at: datetime, draws: int = 4000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """{'mean': {outcome: p}, 'lo': {...}, 'hi': {...}}: the 90% equal-tailed interval of each outcome."""
    rng = np.random.default_rng(seed)
    used = [lk for lk in links if lk.observed_at <= at]
    prior = q.prior
    if q.is_binary:
        pi0 = prior_draws(q, rng, draws)
        base = _remaining(pi0, q, at) if q.deadline_question else pi0
        base = np.clip(base, EPS, 1 - EPS)
        logit = np.log(base / (1 - base))
        if used:
            # Σ r_i (μ_i + sd_i z_i) = Σ r_i μ_i + N(0, Σ (r_i sd_i)²): the same distribution, one normal per draw.
            mu = np.array([lk.log_lr for lk in used])
            sd = np.array([lk.log_lr_sd for lk in used])
            r = np.array([lk.reliability for lk in used])
            logit = logit + float(mu @ r) + math.sqrt(float(np.sum((r * sd) ** 2))) * rng.standard_normal(draws)
        yes = 1.0 / (1.0 + np.exp(-logit))
        samples = np.column_stack([yes, 1.0 - yes])
    else:
        shares = rng.dirichlet(prior["alpha"], size=draws)
        if q.bin_ends:
            shares = shares * bin_remaining_fractions(q.opens_at, q.bin_ends, at)
        logp = np.log(np.clip(shares, EPS, None))
        index = {o: i for i, o in enumerate(q.outcomes)}
        if used:
            # Per outcome, the links' independent normal noises sum to one normal: draws × K normals, not × links.
            k = np.array([index[lk.outcome] for lk in used])
            r = np.array([lk.reliability for lk in used])
            shift = np.bincount(k, r * np.array([lk.log_lr for lk in used]), len(q.outcomes))
            var = np.bincount(k, (r * np.array([lk.log_lr_sd for lk in used])) ** 2, len(q.outcomes))
            logp += shift + np.sqrt(var) * rng.standard_normal((draws, len(q.outcomes)))
        logp -= logp.max(axis=1, keepdims=True)
        samples = np.exp(logp)
        samples /= samples.sum(axis=1, keepdims=True)
    tail = (1 - INTERVAL) / 2
    lo, hi = np.quantile(samples, [tail, 1 - tail], axis=0)
    mean = samples.mean(axis=0)
    return {
        "mean": dict(zip(q.outcomes, map(float, mean), strict=True)),
        "lo": dict(zip(q.outcomes, map(float, lo), strict=True)),
        "hi": dict(zip(q.outcomes, map(float, hi), strict=True)),
    }
