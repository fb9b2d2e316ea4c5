"""A small seeded Metropolis sampler and its diagnostics (rank-normalised split R-hat, bulk ESS), numpy only.

Used for low-dimensional posteriors (the scenario factor loadings) where PyMC's one-time C compile would cost
far more than the fit itself. An adaptive random walk finds the posterior, importance-weighted rounds shape a
heavy-tailed independence proposal, and independence Metropolis–Hastings with it gives the kept draws (its
proposals are evaluated in batches). Diagnostics follow Vehtari et al. (2021), as ArviZ computes them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TARGET_ACCEPT = 0.3
RESHAPE_AT = (0.2, 0.4, 0.6, 0.8)  # fractions of the tuning steps at which the walk takes the draws' shape
DF = 4  # degrees of freedom of the independence proposal (tails heavier than the posterior's)
BATCH = 256  # independence proposals evaluated per call of the log density
WIDEN = 1.3  # proposal scale over the estimated posterior's: fewer sticky states where the t is too thin
ROUNDS = 3  # importance-weighted rounds that shape the independence proposal


def metropolis(
    log_density: Callable[[np.ndarray], np.ndarray],
    init: np.ndarray,
    draws: int,
    tune: int,
    seed: int | list[int],
    thin: int = 1,
) -> tuple[np.ndarray, float]:
    """One chain from `init`: (draws, D) kept draws and the acceptance rate of the kept phase.

    `log_density` maps a batch (B, D) to (B,). Tuning: `tune` steps of a random walk whose step scale adapts
    toward TARGET_ACCEPT (Robbins–Monro on its log) and which, at RESHAPE_AT, takes the shape of the later half
    of its draws so far. Its later half gives a first multivariate t proposal (DF, scale WIDEN × their
    covariance); each of ROUNDS rounds draws `tune` proposals and moves the t to their importance-weighted mean
    and covariance. The kept phase is `draws` × `thin` independence Metropolis–Hastings steps with that t,
    keeping every `thin`-th state; its proposals do not depend on the chain's state, so they are evaluated in
    batches.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(init, dtype=float).copy()
    dim = len(x)
    lp = float(log_density(x[None, :])[0])
    log_scale = np.log(2.38 / np.sqrt(dim))
    chol = np.eye(dim) * 0.5
    history = np.empty((tune, dim))
    reshape = {int(tune * f) for f in RESHAPE_AT}
    for t in range(tune):
        proposal = x + np.exp(log_scale) * (chol @ rng.standard_normal(dim))
        lp_new = float(log_density(proposal[None, :])[0])
        accept = np.log(rng.uniform()) < lp_new - lp
        if accept:
            x, lp = proposal, lp_new
        log_scale += (float(accept) - TARGET_ACCEPT) / (t + 1) ** 0.6
        history[t] = x
        if t + 1 in reshape and t >= 4 * dim:
            chol = _chol(history[(t + 1) // 2 : t + 1])
            log_scale = np.log(2.38 / np.sqrt(dim))
    later = history[tune // 2 :]
    centre, chol = (later.mean(axis=0), _chol(later)) if len(later) > 2 * dim else (x, np.eye(dim))
    for _ in range(ROUNDS):  # importance-weighted moments of the last proposal's draws shape the next one
        proposals = _t_draws(rng, centre, WIDEN * chol, tune)
        log_w = _log_weights(log_density, proposals, centre, WIDEN * chol)
        w = np.exp(log_w - log_w.max())
        w = w / w.sum()
        if 1.0 / np.sum(w**2) < 4 * dim:  # too few effective draws to trust their covariance
            continue
        centre = w @ proposals
        dev = proposals - centre
        chol = np.linalg.cholesky((dev * w[:, None]).T @ dev + 1e-8 * np.eye(dim))
    out, x, lp, rate = _independence(log_density, rng, x, lp, centre, WIDEN * chol, draws * thin)
    return out[thin - 1 :: thin], rate


def _t_draws(rng: np.random.Generator, centre: np.ndarray, chol: np.ndarray, n: int) -> np.ndarray:
    """n draws of the multivariate t (DF) with this centre and scale matrix chol·cholᵀ."""
    z = rng.standard_normal((n, len(centre)))
    return centre + (z @ chol.T) / np.sqrt(rng.chisquare(DF, n) / DF)[:, None]


def _log_q(v: np.ndarray, centre: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Log density of that t, up to a constant, at the rows of v."""
    d2 = np.sum(np.linalg.solve(chol, (v - centre).T) ** 2, axis=0)
    return -0.5 * (DF + len(centre)) * np.log1p(d2 / DF)


def _log_weights(log_density, proposals: np.ndarray, centre: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log target − log proposal of each proposal, the target evaluated in batches of BATCH."""
    n = len(proposals)
    lp = np.concatenate([log_density(proposals[i : i + BATCH]) for i in range(0, n, BATCH)] or [np.empty(0)])
    return lp - _log_q(proposals, centre, chol)


def _independence(log_density, rng, x, lp, centre, chol, steps):
    """`steps` independence Metropolis–Hastings steps with the t proposal: states, last state and log density, rate."""
    proposals = _t_draws(rng, centre, chol, steps)
    weights = _log_weights(log_density, proposals, centre, chol)
    current = lp - float(_log_q(x[None, :], centre, chol)[0])
    u = np.log(rng.uniform(size=steps))
    states = np.empty((steps, len(x)))
    accepted = 0
    for t in range(steps):
        if u[t] < weights[t] - current:
            x, current = proposals[t], weights[t]
            accepted += 1
        states[t] = x
    return states, x, current + float(_log_q(x[None, :], centre, chol)[0]), accepted / max(steps, 1)


def _chol(samples: np.ndarray) -> np.ndarray:
    """Cholesky factor of the samples' covariance (with a small ridge so a stuck walk still gives a proposal)."""
    cov = np.atleast_2d(np.cov(samples, rowvar=False))
    return np.linalg.cholesky(cov + (1e-8 + 1e-4 * np.mean(np.diag(cov))) * np.eye(len(cov)))


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
