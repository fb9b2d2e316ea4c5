"""Seeded numpy Monte Carlo of the fast-path model with its uncertainties: posterior mean and 90% interval.

Samples the prior (Beta/Dirichlet; a point prior stays fixed) and each link's ln LR ~ Normal(stated, sd),
applies the same log-odds update as the fast path, and weights each draw by the likelihood of the evidence
(and of the elapsed time bins) relative to its prior average for the same ln LR draw, as the PyMC model
does: the prior is updated by the evidence, the ratios' noise keeps its stated distribution. Cheap enough
for every question in a report; the PyMC model (forecasts.bayes.model) is the full treatment.
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
        weight = np.ones(draws)
        if used:
            # Σ r_i (μ_i + sd_i z_i) = Σ r_i μ_i + N(0, Σ (r_i sd_i)²): the same distribution, one normal per draw.
            mu = np.array([lk.log_lr for lk in used])
            sd = np.array([lk.log_lr_sd for lk in used])
            r = np.array([lk.reliability for lk in used])
            shift = float(mu @ r) + math.sqrt(float(np.sum((r * sd) ** 2))) * rng.standard_normal(draws)
            m = float(base.mean())  # the prior average of the base: the likelihood's normaliser for each shift
            weight = np.exp(
                np.logaddexp(0.0, logit + shift) + np.log1p(-base) - np.logaddexp(np.log1p(-m), np.log(m) + shift)
            )
            logit = logit + shift
        yes = 1.0 / (1.0 + np.exp(-logit))
        samples = np.column_stack([yes, 1.0 - yes])
    else:
        alpha = np.asarray(prior["alpha"], dtype=float)
        shares = rng.dirichlet(alpha, size=draws)
        frac = bin_remaining_fractions(q.opens_at, q.bin_ends, at) if q.bin_ends else np.ones(len(alpha))
        shares = shares * frac
        logp = np.log(np.clip(shares, EPS, None))
        index = {o: i for i, o in enumerate(q.outcomes)}
        shift = np.zeros((draws, len(alpha)))
        if used:
            # Per outcome, the links' independent normal noises sum to one normal: draws × K normals, not × links.
            k = np.array([index[lk.outcome] for lk in used])
            r = np.array([lk.reliability for lk in used])
            shift = np.bincount(k, r * np.array([lk.log_lr for lk in used]), len(q.outcomes))
            var = np.bincount(k, (r * np.array([lk.log_lr_sd for lk in used])) ** 2, len(q.outcomes))
            shift = shift + np.sqrt(var) * rng.standard_normal((draws, len(q.outcomes)))
            logp += shift
        # weight: Σ θ_k f_k e^{S_k} over its prior average Σ (α_k/α₀) f_k e^{S_k} for the same S
        with np.errstate(divide="ignore"):
            log_mean = np.log(alpha / alpha.sum() * frac)
        weight = np.exp(_logsumexp(logp) - _logsumexp(log_mean + shift))
        logp -= logp.max(axis=1, keepdims=True)
        samples = np.exp(logp)
        samples /= samples.sum(axis=1, keepdims=True)
    weight = weight / weight.sum()
    tail = (1 - INTERVAL) / 2
    lo, hi = (np.array([_weighted_quantile(col, weight, t) for col in samples.T]) for t in (tail, 1 - tail))
    mean = weight @ samples
    return {
        "mean": dict(zip(q.outcomes, map(float, mean), strict=True)),
        "lo": dict(zip(q.outcomes, map(float, lo), strict=True)),
        "hi": dict(zip(q.outcomes, map(float, hi), strict=True)),
    }


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(x - top).sum(axis=1))


def _weighted_quantile(values: np.ndarray, weight: np.ndarray, q: float) -> float:
    """The q-quantile of weighted draws (weights summing to 1), interpolated between midpoints of their mass."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weight[order]
    mid = np.cumsum(w) - 0.5 * w
    return float(np.interp(q, mid, v))
