"""Joint model of linked questions: a Gaussian copula with one shared latent factor (the "settlement").

Each question q has a latent z_q = −λ_q·F + sqrt(1 − λ_q²)·ε_q with F, ε_q ~ N(0, 1) independent, so z_q ~ N(0, 1)
and corr(z_i, z_j) = λ_i·λ_j. Outcome k of q (in file order; binary: yes, no) happens when t_k <= z_q < t_{k+1},
with cut points t from the question's marginal probabilities: the joint reproduces every marginal by construction.
A positive loading means a high settlement factor F makes the first outcome (yes, or the earliest bin) likelier.
Loadings are fitted by a seeded numpy Metropolis sampler to elicited conditional probabilities (Gauss–Hermite
quadrature over F); scenario probabilities are seeded, vectorised Monte Carlo shares of joint draws.
Pure maths: no database here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_LOADING = 0.95  # |λ| bound: keeps sqrt(1 − λ²) away from 0
BIG = 50.0  # stands in for ±inf cut points inside the quadrature
N_NODES = 32  # Gauss–Hermite nodes over F
INTERVAL = 0.90
THIN = 4  # sampler steps per kept loading draw (and tuning steps per `tune`)

Condition = tuple[int, np.ndarray]  # (question index, boolean mask over that question's outcomes)


def cut_points(probs: Sequence[float]) -> np.ndarray:
    """Latent cut points (−inf, t_1, …, t_{K−1}, +inf) with P(t_k <= z < t_{k+1}) = p_k for z ~ N(0, 1)."""
    from scipy.special import ndtri

    p = np.clip(np.asarray(probs, dtype=float), 0.0, None)
    cum = np.cumsum(p / p.sum())[:-1]
    inner = ndtri(np.clip(cum, 1e-15, 1 - 1e-15))
    return np.concatenate([[-np.inf], inner, [np.inf]])


def _normals(n: int, q: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal((n, q))


def independent_probability(marginals: Sequence[np.ndarray], conditions: Sequence[Condition]) -> float:
    """The product of marginals: what the scenario's probability would be if the questions were independent."""
    return float(np.prod([float(np.asarray(marginals[q])[mask].sum()) for q, mask in conditions]))


def _cells_given_f(cuts: np.ndarray, lam: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """P(outcome k | F = node) of one question for each loading draw: (M, K, J). cuts: (K+1,) or (M, K+1)."""
    from scipy.special import ndtr

    s = np.sqrt(1.0 - lam**2)[:, None, None]
    arg = (np.clip(np.atleast_2d(cuts), -BIG, BIG)[:, :, None] + lam[:, None, None] * nodes[None, None, :]) / s
    c = ndtr(arg)
    return c[:, 1:, :] - c[:, :-1, :]


def conditioned_cuts(marginals: Sequence[np.ndarray], lam: np.ndarray, resolved: dict[int, int]) -> list[np.ndarray]:
    """Cut points (M, K+1) per question so that, given the resolved outcomes, every open question keeps its marginal.

    A resolution moves the shared factor F (its pre-resolution marginal makes the observed outcome evidence about F);
    with fixed cut points the other questions would move with it, away from their own current probabilities, and a
    scenario could come out likelier than one of its conditions. Solving each cut point on the conditioned
    distribution of F (bisection, vectorised over loading draws) keeps the joint coherent with every marginal.
    Resolved questions keep their pre-resolution cut points.
    """
    from scipy.special import ndtr

    m = lam.shape[0]
    cuts = [np.tile(cut_points(p), (m, 1)) for p in marginals]
    if not resolved:
        return cuts
    x, w = _nodes()
    post = np.tile(w, (m, 1))
    for q, o in resolved.items():
        post = post * _cells_given_f(cuts[q], lam[:, q], x)[:, o, :]
    post /= post.sum(axis=1, keepdims=True)  # (M, J): F's distribution given the resolutions
    for q, p in enumerate(marginals):
        if q in resolved:
            continue
        p = np.clip(np.asarray(p, dtype=float), 0.0, None)
        target = np.clip(np.cumsum(p / p.sum())[:-1], 1e-15, 1 - 1e-15)  # (K−1,)
        s = np.sqrt(1.0 - lam[:, q] ** 2)[:, None, None]
        shift = lam[:, q][:, None, None] * x[None, None, :]
        lo = np.full((m, len(target)), -BIG)
        hi = np.full((m, len(target)), BIG)
        for _ in range(64):  # P(z < t) under the conditioned F is increasing in t
            mid = 0.5 * (lo + hi)
            below = (ndtr((mid[:, :, None] + shift) / s) * post[:, None, :]).sum(axis=2) < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        inner = 0.5 * (lo + hi)
        cuts[q] = np.concatenate([np.full((m, 1), -np.inf), inner, np.full((m, 1), np.inf)], axis=1)
    return cuts


def scenario_quadrature(
    marginals: Sequence[np.ndarray],
    loadings: np.ndarray,
    scenarios: Sequence[Sequence[Condition]],
    resolved: dict[int, int] | None = None,
) -> np.ndarray:
    """Exact scenario probabilities (M loading draws × S scenarios) by Gauss–Hermite quadrature over F.

    Given F the questions are independent, so P(scenario | F) is a product over its conditions.
    """
    resolved = resolved or {}
    lam = np.clip(np.atleast_2d(np.asarray(loadings, dtype=float)), -0.999, 0.999)
    x, w = _nodes()
    cuts = conditioned_cuts(marginals, lam, resolved)
    cells = [_cells_given_f(cuts[q], lam[:, q], x) for q in range(len(marginals))]
    evidence = np.ones((lam.shape[0], len(x)))
    for q, o in resolved.items():
        evidence = evidence * cells[q][:, o, :]
    out = np.zeros((lam.shape[0], len(scenarios)))
    for j, conds in enumerate(scenarios):
        joint = evidence.copy()
        for q, mask in conds:
            if q in resolved:
                joint = joint * float(np.asarray(mask, dtype=bool)[resolved[q]])
            else:
                joint = joint * cells[q][:, np.asarray(mask, dtype=bool), :].sum(axis=1)
        out[:, j] = (joint * w).sum(axis=1) / (evidence * w).sum(axis=1)
    return out


def joint_shares(
    marginals: Sequence[np.ndarray],
    loadings: np.ndarray,
    scenarios: Sequence[Sequence[Condition]],
    resolved: dict[int, int] | None = None,
    n: int = 20_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Monte Carlo share of joint draws satisfying each scenario (a conjunction of conditions).

    `loadings` is (Q,) or (M, Q) posterior draws; draw i uses loading row i mod M, so the share integrates over
    the loadings' uncertainty. Resolved questions (index → outcome index) are conditioned on by weighting each
    draw with P(z_r in its outcome's interval | F), their marginals being the pre-resolution probabilities; the
    open questions' cut points are solved on that conditioned F (conditioned_cuts), so they keep their marginals.
    Also returns the joint-implied marginal of every question, the exact (quadrature) probability and, for
    several loading draws, the 90% interval of the probability over them.
    """
    from scipy.special import ndtr

    resolved = resolved or {}
    lam = np.clip(np.atleast_2d(np.asarray(loadings, dtype=float)), -0.999, 0.999)
    m, nq = lam.shape
    draw = np.arange(n) % m
    cuts = [c[draw] for c in conditioned_cuts(marginals, lam, resolved)]  # (n, K+1) each
    f, eps = _normals(n, nq, seed)
    rows = lam[draw]  # (n, Q)
    s = np.sqrt(1.0 - rows**2)
    z = eps * s - f[:, None] * rows
    k = np.empty((n, nq), dtype=np.intp)
    weight = np.ones(n)
    for q in range(nq):
        if q in resolved:
            o = resolved[q]
            shift = rows[:, q] * f
            weight *= ndtr((cuts[q][:, o + 1] + shift) / s[:, q]) - ndtr((cuts[q][:, o] + shift) / s[:, q])
            k[:, q] = o
        else:  # outcome = how many inner cut points lie at or below z
            k[:, q] = (z[:, q, None] >= cuts[q][:, 1:-1]).sum(axis=1)
    total = weight.sum()
    probs = np.zeros(len(scenarios))
    for j, conds in enumerate(scenarios):
        ok = np.ones(n, dtype=bool)
        for q, mask in conds:
            ok &= np.asarray(mask, dtype=bool)[k[:, q]]
        probs[j] = weight[ok].sum() / total
    implied = [np.bincount(k[:, q], weights=weight, minlength=len(marginals[q])) / total for q in range(nq)]
    exact = scenario_quadrature(marginals, lam, scenarios, resolved)
    tail = (1 - INTERVAL) / 2
    interval = np.quantile(exact, [tail, 1 - tail], axis=0).T if m > 1 else None
    return {"probability": probs, "exact": exact.mean(axis=0), "interval": interval, "implied_marginals": implied}


# --- elicited conditionals -------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionalProblem:
    """Elicited P(target in A | given in B) against anchor marginals, as padded arrays (C conditionals, Q questions)."""

    target: np.ndarray  # (C,) question index
    given: np.ndarray  # (C,)
    target_cuts: np.ndarray  # (C, K+1), ±BIG for ±inf
    target_mask: np.ndarray  # (C, K) float 0/1
    given_cuts: np.ndarray
    given_mask: np.ndarray
    given_mass: np.ndarray  # (C,) anchor P(given in B)
    observed: np.ndarray  # (C,) elicited conditional probability
    sd: np.ndarray  # (C,) its uncertainty (probability units)
    signs: np.ndarray  # (Q,) +1 / −1: direction of each question's loading
    fixed: np.ndarray  # (Q,) given loading, NaN where it is to be fitted


def _padded(cuts: np.ndarray, mask: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.clip(cuts, -BIG, BIG)
    pad = width - (len(c) - 1)
    return np.concatenate([c, np.full(pad, BIG)]), np.concatenate([np.asarray(mask, dtype=float), np.zeros(pad)])


def build_problem(
    anchors: Sequence[np.ndarray],
    conditionals: Sequence[tuple[int, np.ndarray, int, np.ndarray, float, float]],
    signs: Sequence[float],
    fixed: Sequence[float],
) -> ConditionalProblem:
    """Arrays for the fit from anchor marginals and (target, mask, given, mask, probability, sd) tuples."""
    width = max(len(a) for a in anchors)
    rows_t, rows_g = [], []
    for t, tm, g, gm, _, _ in conditionals:
        rows_t.append(_padded(cut_points(anchors[t]), tm, width))
        rows_g.append(_padded(cut_points(anchors[g]), gm, width))
    empty = np.zeros((0, width + 1)), np.zeros((0, width))
    tc, tmk = (np.array([r[0] for r in rows_t]), np.array([r[1] for r in rows_t])) if rows_t else empty
    gc, gmk = (np.array([r[0] for r in rows_g]), np.array([r[1] for r in rows_g])) if rows_g else empty
    return ConditionalProblem(
        target=np.array([c[0] for c in conditionals], dtype=int),
        given=np.array([c[2] for c in conditionals], dtype=int),
        target_cuts=tc,
        target_mask=tmk,
        given_cuts=gc,
        given_mask=gmk,
        given_mass=np.array([float(np.asarray(anchors[c[2]])[np.asarray(c[3], bool)].sum()) for c in conditionals]),
        observed=np.array([c[4] for c in conditionals], dtype=float),
        sd=np.array([c[5] for c in conditionals], dtype=float),
        signs=np.asarray(signs, dtype=float),
        fixed=np.asarray(fixed, dtype=float),
    )


@functools.cache
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes and weights over F (cached, read-only: the sampler evaluates thousands of fits)."""
    x, w = np.polynomial.hermite_e.hermegauss(N_NODES)
    w = w / w.sum()
    x.flags.writeable = w.flags.writeable = False
    return x, w


def _set_given_f(cdf: Callable, xp, cuts, mask, lam, nodes):
    """P(z in the masked outcomes | F = node) for each conditional: (..., C, J) for loadings lam (..., C)."""
    s = xp.sqrt(1.0 - lam**2)[..., None, None]
    arg = (cuts[:, :, None] + lam[..., None, None] * nodes[None, None, :]) / s
    cell = cdf(arg[..., 1:, :]) - cdf(arg[..., :-1, :])
    return (cell * mask[:, :, None]).sum(axis=-2)


def _implied(problem: ConditionalProblem, lam, cdf: Callable, xp):
    """Implied conditionals (..., C) for loadings lam (..., Q): leading axes are a batch of loading vectors."""
    x, w = _nodes()
    pa = _set_given_f(cdf, xp, problem.target_cuts, problem.target_mask, lam[..., problem.target], x)
    pb = _set_given_f(cdf, xp, problem.given_cuts, problem.given_mask, lam[..., problem.given], x)
    return (pa * pb * w).sum(axis=-1) / problem.given_mass


def implied_conditionals(problem: ConditionalProblem, loadings: np.ndarray) -> np.ndarray:
    """P(target in A | given in B) under the copula with these loadings (quadrature, numpy)."""
    from scipy.special import ndtr

    return np.asarray(_implied(problem, np.asarray(loadings, dtype=float), ndtr, np))


def fit_loadings(
    problem: ConditionalProblem, draws: int = 300, tune: int = 300, chains: int = 2, seed: int = 0, keep: int = 100
) -> dict:
    """Fit the free loadings (|λ| ~ Uniform(0, 0.95), sign from the file; elicited ~ Normal(implied, sd)).

    Sampled (forecasts.bayes.mcmc) on logit(|λ| / 0.95) with its Jacobian: `chains` chains from prior draws,
    seeded from `seed`, each tuned then keeping `draws` (every THIN-th step). Returns the posterior mean, `keep`
    thinned draws (for intervals), rank-normalised split R-hat and bulk ESS of each free loading.
    """
    from scipy.special import ndtr

    from forecasts.bayes.mcmc import ess_bulk, metropolis, rhat
    from forecasts.progress import step

    free = np.flatnonzero(np.isnan(problem.fixed))
    base = np.nan_to_num(problem.fixed, nan=0.0)
    if len(free) == 0 or len(problem.observed) == 0:
        return {"mean": base, "draws": base[None, :], "rhat": {}, "ess": {}}
    signs = problem.signs[free]

    def log_density(u: np.ndarray) -> np.ndarray:
        """Log posterior (up to a constant) of a batch u (B, F) of logit(|λ| / MAX_LOADING): (B,)."""
        lam = np.tile(base, (len(u), 1))
        lam[:, free] = signs * MAX_LOADING / (1.0 + np.exp(-u))
        resid = (problem.observed - _implied(problem, lam, ndtr, np)) / problem.sd
        log_jacobian = -np.logaddexp(0.0, u) - np.logaddexp(0.0, -u)  # d s/du ∝ sigmoid(u)·(1 − sigmoid(u))
        return -0.5 * (resid**2).sum(axis=1) + log_jacobian.sum(axis=1)

    rng = np.random.default_rng(seed)
    starts = rng.uniform(0.05, 0.95, size=(chains, len(free)))
    samples = np.empty((chains, draws, len(free)))
    with step(f"fitting the scenario factor loadings (Metropolis, {chains} chains × {draws} draws)"):
        for c in range(chains):
            u0 = np.log(starts[c] / (1.0 - starts[c]))
            samples[c], _ = metropolis(log_density, u0, draws, tune * THIN, seed=[seed, c], thin=THIN)
    strength = MAX_LOADING / (1.0 + np.exp(-samples))  # (chains, draws, F)
    all_draws = np.tile(base, (chains * draws, 1))
    all_draws[:, free] = signs * strength.reshape(-1, len(free))
    pick = np.linspace(0, len(all_draws) - 1, min(keep, len(all_draws))).astype(int)
    mean = base.copy()  # fixed loadings exactly as given
    mean[free] = all_draws[:, free].mean(axis=0)
    return {
        "mean": mean,
        "draws": all_draws[pick],
        "rhat": {int(q): rhat(strength[:, :, i]) for i, q in enumerate(free)},
        "ess": {int(q): ess_bulk(strength[:, :, i]) for i, q in enumerate(free)},
    }
