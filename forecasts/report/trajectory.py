"""Pure numpy maths behind the report: fast-path trajectories, credible bands and leave-one-out effects.

Works on arrays of one question's links (observation time, outcome index, r·ln LR, (r·sd)²) sorted by
observation time, so a trajectory is a cumulative sum looked up with searchsorted, not a loop over time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasts.bayes.fastpath import EPS
from forecasts.bayes.interval import (
    evidence_weight_binary,
    evidence_weight_categorical,
    prior_draws,
    weighted_quantiles,
)
from forecasts.questions import Question

BAND = 0.90


@dataclass(frozen=True)
class LinkArrays:
    """One question's links as columns, sorted by observation time (epoch seconds)."""

    observed: np.ndarray  # float seconds
    outcome: np.ndarray  # int index into q.outcomes (0 for binary)
    shift: np.ndarray  # r · ln LR
    var: np.ndarray  # (r · sd of ln LR)²
    evidence_id: np.ndarray  # int

    @classmethod
    def empty(cls) -> LinkArrays:
        z = np.zeros(0)
        return cls(z, z.astype(int), z, z, z.astype(int))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1.0 - EPS)
    return np.log(p / (1.0 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, float)))


def _softmax(logp: np.ndarray, axis: int = -1) -> np.ndarray:
    logp = logp - logp.max(axis=axis, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=axis, keepdims=True)


def _decay(pi0: np.ndarray, q: Question, times: np.ndarray) -> np.ndarray:
    """Constant-hazard remaining-window probability 1 − (1 − π0)^((T − t)/(T − t0)), broadcast over π0 × times."""
    t0, t_end = q.opens_at.timestamp(), q.closes_at.timestamp()
    frac = np.clip((t_end - times) / (t_end - t0), 0.0, 1.0)
    yes = 1.0 - (1.0 - np.clip(pi0, EPS, 1 - EPS)) ** frac
    yes = np.where(times <= t0, np.clip(pi0, EPS, 1 - EPS), yes)
    return np.clip(np.where(times >= t_end, EPS, yes), EPS, 1 - EPS)


def _bin_fractions(q: Question, times: np.ndarray) -> np.ndarray:
    """Share of each time bin of a "when" question still ahead at each time: (len(times), K); ones without bins."""
    k_out = len(q.outcomes)
    out = np.ones((len(times), k_out))
    if not getattr(q, "bin_ends", ()):
        return out
    starts = [q.opens_at.timestamp(), *(e.timestamp() for e in q.bin_ends)]
    for k, end in enumerate(q.bin_ends):
        end_t = end.timestamp()
        out[:, k] = np.clip((end_t - np.maximum(times, starts[k])) / (end_t - starts[k]), 0.0, 1.0)
    return out


def _cumulative(links: LinkArrays, times: np.ndarray, k: int, values: np.ndarray) -> np.ndarray:
    """Σ values of outcome k's links observed by each time: shape (len(times),)."""
    mask = links.outcome == k
    obs, vals = links.observed[mask], values[mask]
    cum = np.concatenate([[0.0], np.cumsum(vals)])
    return cum[np.searchsorted(obs, times, side="right")]


def path(q: Question, links: LinkArrays, times: np.ndarray) -> np.ndarray:
    """Fast-path probabilities at each time: shape (len(times), n_outcomes), using links observed by then."""
    if q.is_binary:
        pi0 = q.prior_probabilities()["yes"]
        base = _decay(np.array(pi0), q, times) if q.deadline_question else np.full(len(times), pi0)
        yes = _expit(_logit(base) + _cumulative(links, times, 0, links.shift))
        return np.column_stack([yes, 1.0 - yes])
    prior = np.array([q.prior_probabilities()[o] for o in q.outcomes])
    mass = prior[None, :] * _bin_fractions(q, times)
    base = mass / mass.sum(axis=1, keepdims=True)
    logp = np.log(np.clip(base, EPS, None)) + np.column_stack(
        [_cumulative(links, times, k, links.shift) for k in range(len(q.outcomes))]
    )
    return _softmax(logp, axis=1)


def band(q: Question, links: LinkArrays, times: np.ndarray, draws: int = 2000, seed: int = 0) -> np.ndarray:
    """90% equal-tailed band of each outcome at each time: shape (2, len(times), n_outcomes) = (lo, hi).

    Exact marginals of the Monte Carlo model (prior draws; each ln LR ~ Normal(stated, sd)): at time t the
    evidence noise is Normal(0, Σ (r·sd)²) over the links observed by t, and each draw is weighted by the
    likelihood of that evidence (forecasts.bayes.interval), as the interval in the report is.
    """
    rng = np.random.default_rng(seed)
    tail = (1 - BAND) / 2
    prior = q.prior
    if q.is_binary:
        pi0 = prior_draws(q, rng, draws)
        if q.deadline_question:
            base = _decay(pi0[:, None], q, times[None, :])
        else:
            base = np.repeat(pi0[:, None], len(times), axis=1)
        shift = _cumulative(links, times, 0, links.shift)
        sd = np.sqrt(_cumulative(links, times, 0, links.var))
        z = rng.standard_normal(draws)[:, None]
        total = shift[None, :] + sd[None, :] * z  # (D, N)
        yes = _expit(_logit(base) + total)
        lo, hi = weighted_quantiles(yes, evidence_weight_binary(base, total), (tail, 1 - tail))
        return np.stack([np.column_stack([lo, 1 - hi]), np.column_stack([hi, 1 - lo])])
    k_out = len(q.outcomes)
    alpha = np.asarray(prior["alpha"], dtype=float)
    frac = _bin_fractions(q, times)  # (N, K)
    shares = rng.dirichlet(alpha, size=draws)[:, None, :] * frac[None, :, :]
    logp0 = np.log(np.clip(shares, EPS, None))  # (D, N, K)
    shift = np.column_stack([_cumulative(links, times, k, links.shift) for k in range(k_out)])  # (N, K)
    sd = np.sqrt(np.column_stack([_cumulative(links, times, k, links.var) for k in range(k_out)]))
    z = rng.standard_normal((draws, k_out))
    total = shift[None, :, :] + sd[None, :, :] * z[:, None, :]  # (D, N, K)
    samples = _softmax(logp0 + total, axis=2)
    log_mean = np.log(np.clip(alpha / alpha.sum() * frac, EPS, None))[None, :, :]
    weight = evidence_weight_categorical(logp0, log_mean, total)  # (D, N)
    lo, hi = weighted_quantiles(samples, weight[:, :, None], (tail, 1 - tail))
    return np.stack([lo, hi])


def leave_one_out(q: Question, links: LinkArrays, at: float, evidence_ids: np.ndarray) -> np.ndarray:
    """Change in each outcome's probability at `at` due to each evidence item: p(all) − p(all but it).

    Returns shape (len(evidence_ids), n_outcomes), in probability units (× 100 for percentage points).
    """
    now = path(q, links, np.array([at]))[0]
    used = links.observed <= at
    k_out = len(q.outcomes)
    ids = np.asarray(evidence_ids, dtype=int)
    contrib = np.zeros((len(ids), k_out))
    sel = used & np.isin(links.evidence_id, ids)
    order = np.argsort(ids, kind="stable")
    rows = order[np.searchsorted(ids[order], links.evidence_id[sel])]
    cols = np.zeros(int(sel.sum()), dtype=int) if q.is_binary else links.outcome[sel]
    np.add.at(contrib, (rows, cols), links.shift[sel])
    if q.is_binary:
        without = _expit(_logit(np.array([now[0]])) - contrib[:, 0])
        return np.column_stack([now[0] - without, without - now[0]])
    logp = np.log(np.clip(now, EPS, None))[None, :] - contrib
    return now[None, :] - _softmax(logp, axis=1)


def sparkline(values: np.ndarray, width: int = 24) -> str:
    """A text sparkline of probabilities in [0, 1] (for Markdown), resampled to `width` characters."""
    blocks = "▁▂▃▄▅▆▇█"
    if len(values) == 0:
        return ""
    idx = np.linspace(0, len(values) - 1, min(width, len(values))).round().astype(int)
    levels = np.clip((np.asarray(values)[idx] * len(blocks)).astype(int), 0, len(blocks) - 1)
    return "".join(blocks[i] for i in levels)
