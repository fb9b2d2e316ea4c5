"""The numpy Metropolis sampler and its diagnostics (rank-normalised split R-hat, bulk ESS) on known targets."""

from __future__ import annotations

import numpy as np
import pytest

from forecasts.bayes.mcmc import ess_bulk, metropolis, rhat


def test_rhat_near_one_for_iid_chains_and_large_for_shifted_ones() -> None:
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((4, 500))
    assert rhat(iid) < 1.01
    shifted = iid + np.array([[0.0], [0.0], [1.0], [1.0]])
    assert rhat(shifted) > 1.1  # half the chains one sd off: flagged


def test_ess_is_about_the_sample_size_for_iid_and_smaller_for_correlated_draws() -> None:
    rng = np.random.default_rng(1)
    iid = rng.standard_normal((2, 1000))
    assert 1600 < ess_bulk(iid) < 2400
    ar = np.zeros((2, 1000))  # AR(1) with φ = 0.9: ESS ≈ n·(1 − φ)/(1 + φ) ≈ 105
    for t in range(1, 1000):
        ar[:, t] = 0.9 * ar[:, t - 1] + rng.standard_normal(2)
    assert 50 < ess_bulk(ar) < 200


def test_diagnostics_match_arviz() -> None:
    """Same definitions as ArviZ (Vehtari et al. 2021), checked against it on correlated chains."""
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.standard_normal((3, 400)), axis=1) * 0.1 + rng.standard_normal((3, 400))
    assert rhat(x) == pytest.approx(float(az.rhat(x)), rel=1e-9)
    assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-9)


def test_metropolis_samples_a_correlated_normal() -> None:
    """Mean, covariance and R-hat of a strongly correlated normal; the same seed repeats the chain."""
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    prec = np.linalg.inv(cov)
    mean = np.array([1.0, -2.0])

    def log_density(x: np.ndarray) -> np.ndarray:  # a batch (B, 2) → (B,)
        d = x - mean
        return -0.5 * np.einsum("bi,ij,bj->b", d, prec, d)

    chains = np.array([metropolis(log_density, np.zeros(2), 2000, 1000, seed=[7, c], thin=2)[0] for c in range(2)])
    flat = chains.reshape(-1, 2)
    np.testing.assert_allclose(flat.mean(axis=0), mean, atol=0.15)
    np.testing.assert_allclose(np.cov(flat, rowvar=False), cov, atol=0.15)
    assert max(rhat(chains[:, :, i]) for i in range(2)) < 1.05
    again = metropolis(log_density, np.zeros(2), 2000, 1000, seed=[7, 0], thin=2)[0]
    np.testing.assert_array_equal(again, chains[0])
