"""Closed-form log-odds updating and deadline decay: cheap enough for every interactive command.

logit P(yes | E1..En) = logit(base) + sum_i r_i * ln LR_i, where base is the prior (or, for a
deadline question, the prior's remaining-window probability under a constant hazard).
Plain Python on purpose: interactive commands use it and must not import numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from forecasts.timeutil import days_between

EPS = 1e-9


def clamp(p: float, eps: float = EPS) -> float:
    """Keep a probability strictly inside (0, 1) so log-odds stay finite."""
    return min(max(p, eps), 1.0 - eps)


def logit(p: float) -> float:
    p = clamp(p)
    return math.log(p / (1.0 - p))


def expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def hazard_rate(pi0: float, opens_at: datetime, closes_at: datetime) -> float:
    """Constant daily hazard λ = −ln(1 − π0)/(T − t0) that gives the event probability π0 by T."""
    return -math.log(1.0 - clamp(pi0)) / days_between(opens_at, closes_at)


def remaining_probability(pi0: float, opens_at: datetime, closes_at: datetime, at: datetime) -> float:
    """P(event in [at, T) | no event before at) = 1 − exp(−λ (T − at)); π0 before the window opens."""
    if at <= opens_at:
        return clamp(pi0)
    if at >= closes_at:
        return EPS
    lam = hazard_rate(pi0, opens_at, closes_at)
    return clamp(1.0 - math.exp(-lam * days_between(at, closes_at)))


def bin_remaining_fractions(opens_at: datetime, bin_ends: Sequence[datetime], at: datetime) -> list[float]:
    """Share of each time bin of a "when" question still ahead at `at` (the last bin is open-ended).

    Without a resolution, the event did not happen in the elapsed part of a bin, so that part's
    probability is removed (uniform hazard within a bin) before renormalising.
    """
    starts = [opens_at, *bin_ends]
    out = [1.0] * (len(bin_ends) + 1)
    for k, end in enumerate(bin_ends):
        length = days_between(starts[k], end)
        out[k] = min(max(days_between(max(at, starts[k]), end) / length, 0.0), 1.0)
    return out


def binary_update(base: float, log_lrs: Sequence[float], reliabilities: Sequence[float]) -> float:
    """Posterior P(yes) from a base probability and reliability-discounted log likelihood ratios."""
    shift = math.fsum(float(x) * float(r) for x, r in zip(log_lrs, reliabilities, strict=True))
    return expit(logit(base) + shift)


def categorical_update(
    prior: Sequence[float], log_lr_matrix: Sequence[Sequence[float]], reliabilities: Sequence[float]
) -> list[float]:
    """Posterior outcome probabilities: log p_k ∝ log prior_k + Σ_i r_i ln LR_ik (softmax).

    log_lr_matrix has one row per evidence item and one column per outcome (0 = no information).
    """
    rows = [[float(x) for x in row] for row in log_lr_matrix]
    logp = [
        math.log(max(float(p), EPS)) + math.fsum(float(r) * row[k] for r, row in zip(reliabilities, rows, strict=True))
        for k, p in enumerate(prior)
    ]
    top = max(logp)
    p = [math.exp(x - top) for x in logp]
    total = math.fsum(p)
    return [x / total for x in p]


def evidence_log_likelihood(xp: Any, base: Any, shift: Any) -> Any:
    """ln P(E | base, S) up to a constant: ln(base·e^S + 1 − base), base kept inside (EPS, 1 − EPS).

    `xp` is numpy or pytensor.tensor (the PyMC model and the report's Monte Carlo share it). Weighting prior draws
    by this over its prior average for the same S makes P(yes | E) = m·L / (m·L + 1 − m) when the ratio L = e^S
    is certain (m: the prior mean): the fast path, and the closed form of the Beta and Gamma cases.
    """
    b = xp.clip(base, EPS, 1 - EPS)
    return xp.log1p(-b) + xp.logaddexp(0.0, xp.log(b) - xp.log1p(-b) + shift)
