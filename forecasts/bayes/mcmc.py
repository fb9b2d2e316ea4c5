"""A small seeded random-walk Metropolis sampler and its diagnostics (rank-normalised split R-hat, bulk ESS).

Used for low-dimensional posteriors (the scenario factor loadings) where PyMC's one-time C compile would cost
far more than the fit itself. Diagnostics follow Vehtari et al. (2021), as ArviZ computes them. Numpy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TARGET_ACCEPT = 0.3


def metropolis(
    log_density: Callable[[np.ndarray], float],
    init: np.ndarray,
    draws: int,
    tune: int,
    seed: int | list[int],
    thin: int = 1,
) -> tuple[np.ndarray, float]:
    """One chain of adaptive random-walk Metropolis from `init`: (draws, D) kept draws and their acceptance rate.

    Each kept draw is the state after `thin` further steps (so `thin` × `draws` steps after tuning).
    During `tune` the step scale adapts toward TARGET_ACCEPT (Robbins–Monro on its log) and, from half-way, the
    proposal takes the shape of the covariance of the tuning draws so far; the kept draws use a fixed proposal.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(init, dtype=float).copy()
    dim = len(x)
    lp = log_density(x)
    log_scale = np.log(2.38 / np.sqrt(dim))
    chol = np.eye(dim) * 0.5
    history = np.empty((tune, dim))
    out = np.empty((draws, dim))
    accepted = 0
    for t in range(tune + draws * thin):
        proposal = x + np.exp(log_scale) * (chol @ rng.standard_normal(dim))
        lp_new = log_density(proposal)
        accept = np.log(rng.uniform()) < lp_new - lp
        if accept:
            x, lp = proposal, lp_new
        if t < tune:
            log_scale += (float(accept) - TARGET_ACCEPT) / (t + 1) ** 0.6
            history[t] = x
            if t + 1 == tune // 2 and t >= 2 * dim:
                cov = np.atleast_2d(np.cov(history[tune // 4 : t + 1], rowvar=False))
                chol = np.linalg.cholesky(cov + 1e-8 * np.eye(dim))
                log_scale = np.log(2.38 / np.sqrt(dim))
        else:
            accepted += int(accept)
            if (t - tune + 1) % thin == 0:
                out[(t - tune) // thin] = x
    return out, accepted / max(draws * thin, 1)


def _split(chains: np.ndarray) -> np.ndarray:
    """(chains, draws) → (2·chains, draws // 2): each chain's first and last half as separate chains."""
    half = chains.shape[1] // 2
    return np.concatenate([chains[:, :half], chains[:, chains.shape[1] - half :]])


def _z_scale(a: np.ndarray) -> np.ndarray:
    """Rank-normalise: normal quantiles of the pooled (average) ranks."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    rank = rankdata(a, method="average").reshape(a.shape)
    return ndtri((rank - 0.375) / (a.size + 0.25))


def _rhat(a: np.ndarray) -> float:
    n = a.shape[1]
    between = n * np.var(a.mean(axis=1), ddof=1)
    within = np.mean(np.var(a, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n))


def rhat(chains: np.ndarray) -> float:
    """Rank-normalised split R-hat of (chains, draws) samples: the larger of the bulk and folded (tail) values."""
    split = _split(np.asarray(chains, dtype=float))
    folded = np.abs(split - np.median(split))
    return max(_rhat(_z_scale(split)), _rhat(_z_scale(folded)))


def _autocov(a: np.ndarray) -> np.ndarray:
    """Autocovariance of each row at every lag (FFT, biased: divided by n)."""
    n = a.shape[1]
    centred = a - a.mean(axis=1, keepdims=True)
    f = np.fft.rfft(centred, n=2 * n, axis=1)
    return np.fft.irfft(f * np.conjugate(f), n=2 * n, axis=1)[:, :n] / n


def _ess(a: np.ndarray) -> float:
    """Multi-chain ESS with Geyer's initial positive and monotone sequences."""
    m, n = a.shape
    if np.ptp(a) < np.finfo(float).resolution:
        return float(a.size)
    acov = _autocov(a)
    mean_var = acov[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n + (np.var(a.mean(axis=1), ddof=1) if m > 1 else 0.0)
    rho = np.zeros(n)
    rho[0], even = 1.0, 1.0
    odd = rho[1] = 1.0 - (mean_var - acov[:, 1].mean()) / var_plus
    t = 1
    while t < n - 3 and even + odd > 0.0:
        even = 1.0 - (mean_var - acov[:, t + 1].mean()) / var_plus
        odd = 1.0 - (mean_var - acov[:, t + 2].mean()) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        rho[max_t + 1] = even
    t = 1
    while t <= max_t - 2:  # monotone: pair sums may not increase
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * rho[: max_t + 1].sum() + rho[max_t + 1 : max_t + 2].sum()
    return float(a.size / max(tau, 1 / np.log10(a.size)))


def ess_bulk(chains: np.ndarray) -> float:
    """Bulk effective sample size of (chains, draws) samples: ESS of the rank-normalised split chains."""
    return _ess(_z_scale(_split(np.asarray(chains, dtype=float))))
