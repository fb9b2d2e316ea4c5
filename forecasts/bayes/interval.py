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

from forecasts.bayes.fastpath import EPS, bin_remaining_fractions, evidence_log_likelihood
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
            weight = evidence_weight_binary(base, shift)
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
        log_mean = np.log(np.clip(alpha / alpha.sum() * frac, EPS, None))  # clipped as the draws' log mass is
        weight = evidence_weight_categorical(logp, log_mean, shift)
        logp = logp + shift
        logp -= logp.max(axis=1, keepdims=True)
        samples = np.exp(logp)
        samples /= samples.sum(axis=1, keepdims=True)
    weight = weight / weight.sum()
    tail = (1 - INTERVAL) / 2
    lo, hi = weighted_quantiles(samples, weight[:, None], (tail, 1 - tail))
    mean = weight @ samples
    return {
        "mean": dict(zip(q.outcomes, map(float, mean), strict=True)),
        "lo": dict(zip(q.outcomes, map(float, lo), strict=True)),
        "hi": dict(zip(q.outcomes, map(float, hi), strict=True)),
    }


def weighted_quantiles(samples: np.ndarray, weight: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles over axis 0 of weighted draws: (len(qs), ...). `weight` broadcasts against `samples` (e.g. one
    weight per draw as (D, 1)) and need not be normalised. Each draw holds its weight's share of the mass,
    centred on it; values between draws are interpolated.
    """
    order = np.argsort(samples, axis=0, kind="stable")
    v = np.take_along_axis(samples, order, axis=0)
    w = np.take_along_axis(np.broadcast_to(weight, samples.shape), order, axis=0)
    w = w / w.sum(axis=0, keepdims=True)
    mid = np.cumsum(w, axis=0) - 0.5 * w
    out = []
    for q in qs:
        i = np.clip((mid < q).sum(axis=0, keepdims=True), 1, len(v) - 1)
        m0, m1 = np.take_along_axis(mid, i - 1, 0), np.take_along_axis(mid, i, 0)
        v0, v1 = np.take_along_axis(v, i - 1, 0), np.take_along_axis(v, i, 0)
        frac = np.clip((q - m0) / np.where(m1 > m0, m1 - m0, 1.0), 0.0, 1.0)
        out.append((v0 + frac * (v1 - v0))[0])
    return np.array(out)


def evidence_weight_binary(base: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """P(E | base, S) over its average across the base draws (axis 0) for the same S: the ln LR noise keeps its
    stated distribution while the prior is updated by the evidence (as in the PyMC model)."""
    m = np.clip(base, EPS, 1 - EPS).mean(axis=0, keepdims=True)
    return np.exp(evidence_log_likelihood(np, base, shift) - evidence_log_likelihood(np, m, shift))


def evidence_weight_categorical(log_mass: np.ndarray, log_mean_mass: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Σ_k θ_k f_k e^{S_k} over its prior average Σ_k (α_k/α₀) f_k e^{S_k} for the same S (outcomes: last axis)."""
    return np.exp(_logsumexp_last(log_mass + shift) - _logsumexp_last(log_mean_mass + shift))


def _logsumexp_last(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return top[..., 0] + np.log(np.exp(x - top).sum(axis=-1))
