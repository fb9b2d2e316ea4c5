"""The categorical model's log density and gradient written out by hand: the PyMC model of record
(forecasts.bayes.model._categorical_model) as one small numba function.

Why: PyTensor takes about a minute on a 2-core machine to compile that model's density and gradient to numba
(some 130 nodes: the simplex transform, two log-sum-exps, their gradients, 3-D broadcasting) and about 45 s to C,
against 2-3 s for `import pymc`, so a categorical or ordered question's first posterior after an install was
15-20x that import. One function of plain loops compiles in a few seconds, once: numba keeps it on disk
(`cache=True`, beside this file or under NUMBA_CACHE_DIR), and a call costs a few µs (numpy took ~100 µs, most of
a warm run's sampling). Numba is loaded by ArviZ on every posterior anyway.
tests/test_categorical_density.py checks the value and gradient against PyMC's compiled ones at random points
(padded outcomes, links and questions included) and the posterior against PyMC's density sampled the same way.

The parameters are the PyMC model's free variables on its unconstrained scale, in nutpie_sampler's order: θ
under PyMC's simplex transform (x, K − 1 per question; y = [x, −Σx], θ = softmax(y)) and z. Per question, with
A = Σ_k α_k, S_k = Σ_l r_l (μ_l + σ_l z_l) [link l bears on k], f_k the share of bin k ahead and padded outcomes
masked out (weight e^−1000, exactly as the PyMC graph does):

    log p = ln Γ(A) − Σ_k ln Γ(α_k) + Σ_k (α_k − 1) ln θ_k        Dirichlet(α)
          + ln K + Σ_k ln θ_k                                      the simplex transform's log Jacobian
          + Σ_l (−z_l²/2 − ln √(2π))                               z ~ Normal(0, 1)
          + ln Σ_k θ̃_k f_k e^{S_k} − ln Σ_k ᾱ_k f_k e^{S_k}        the evidence (θ̃, ᾱ: θ and α renormalised
                                                                    over the real outcomes)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numba
import numpy as np

from forecasts.bayes.nutpie_sampler import Density

PAD_OFFSET = 1e3  # padded outcomes' log-weight offset, as in the PyMC model


@numba.njit(cache=True)
def _kernel(x, z, alpha, alpha_sum, mask, offset, log_prior, shift_mean, shift_sd, onehot, grad):
    """The log density (minus its constant) and, into `grad`, its gradient: one question at a time, in loops."""
    nq, nl, nk = onehot.shape
    y, theta, shift = np.empty(nk), np.empty(nk), np.empty(nk)
    real, aw, az = np.empty(nk), np.empty(nk), np.empty(nk)
    total = 0.0
    for q in range(nq):
        last = 0.0
        for k in range(nk - 1):
            y[k] = x[q, k]
            last -= x[q, k]
        y[nk - 1] = last
        top = y.max()
        norm = 0.0
        for k in range(nk):
            theta[k] = np.exp(y[k] - top)
            norm += theta[k]
        log_norm = top + np.log(norm)
        kept = 0.0
        for k in range(nk):
            theta[k] /= norm
            total += alpha[q, k] * (y[k] - log_norm)
            kept += theta[k] * mask[q, k]
            shift[k] = 0.0
        for m in range(nl):
            c = shift_mean[q, m] + shift_sd[q, m] * z[q, m]
            for k in range(nk):
                shift[k] += c * onehot[q, m, k]
        for k in range(nk):
            real[k] = theta[k] * mask[q, k] / kept
            aw[k] = np.log(real[k] + (1.0 - mask[q, k])) + offset[q, k] + shift[k]
            az[k] = log_prior[q, k] + shift[k]
        top_w, top_z = aw.max(), az.max()
        sum_w, sum_z = 0.0, 0.0
        for k in range(nk):
            aw[k] = np.exp(aw[k] - top_w)  # from here on: the softmax weights w and v
            az[k] = np.exp(az[k] - top_z)
            sum_w += aw[k]
            sum_z += az[k]
        total += top_w + np.log(sum_w) - top_z - np.log(sum_z)
        kept_w = 0.0
        for k in range(nk):
            aw[k] /= sum_w
            az[k] /= sum_z
            kept_w += mask[q, k] * aw[k]
        # ∂/∂y: Dirichlet + Jacobian (α − Aθ) and the evidence term, which enters through θ̃ only (its ∂/∂ln θ
        # sums to 0 over k, so it is the same in y); then to x (y_K = −Σ x).
        for k in range(nk):
            y[k] = alpha[q, k] - alpha_sum[q, 0] * theta[k] + mask[q, k] * aw[k] - kept_w * real[k]  # ∂/∂y_k
        for k in range(nk - 1):
            grad[q * (nk - 1) + k] = y[k] - y[nk - 1]
        base = nq * (nk - 1) + q * nl
        for m in range(nl):
            d = 0.0
            for k in range(nk):
                d += onehot[q, m, k] * (aw[k] - az[k])
            grad[base + m] = -z[q, m] + shift_sd[q, m] * d
            total -= 0.5 * z[q, m] * z[q, m]
    return total


class CategoricalDensity:
    """Callable (x, z) → (log density, flat gradient [∂x, ∂z]) for a batch padded to nq × nl links × nk outcomes;
    `set_data` takes the same arrays as the PyMC model's pm.Data (model.sample_categorical makes them)."""

    def __init__(self, nq: int, nl: int, nk: int) -> None:
        self.shape = (nq, nl, nk)
        self.set_data({
            "alpha": np.ones((nq, nk)), "mask": np.ones((nq, nk)), "log_frac": np.zeros((nq, nk)),
            "onehot": np.zeros((nq, nl, nk)), "mu": np.zeros((nq, nl)), "sd": np.zeros((nq, nl)),
            "r": np.zeros((nq, nl)),
        })  # fmt: skip

    def set_data(self, data: Mapping[str, np.ndarray]) -> None:
        """New data of the bucket's shapes; everything that does not depend on the parameters is computed here."""
        nq, nl, nk = self.shape
        d = {name: np.asarray(value, dtype=np.float64) for name, value in data.items()}
        expected = {"alpha": (nq, nk), "mask": (nq, nk), "log_frac": (nq, nk), "onehot": (nq, nl, nk),
                    "mu": (nq, nl), "sd": (nq, nl), "r": (nq, nl)}  # fmt: skip
        for name, shape in expected.items():
            if d[name].shape != shape:
                raise ValueError(f"{name}: shape {d[name].shape}, the bucket's is {shape}")
        alpha, mask = d["alpha"], d["mask"]
        self.alpha, self.mask, self.onehot = alpha, mask, d["onehot"]
        self.alpha_sum = alpha.sum(1, keepdims=True)
        lgamma = np.vectorize(math.lgamma, otypes=[float])
        dirichlet = lgamma(self.alpha_sum).sum() - lgamma(alpha).sum()
        self.constant = float(dirichlet + nq * math.log(nk) - nq * nl * 0.5 * math.log(2 * math.pi))
        self.offset = d["log_frac"] + (mask - 1.0) * PAD_OFFSET  # ln f_k, and e^−1000 for padded outcomes
        prior = alpha * mask / (alpha * mask).sum(1, keepdims=True)
        self.log_prior = np.log(prior + (1.0 - mask)) + self.offset
        self.shift_mean = d["r"] * d["mu"]
        self.shift_sd = d["r"] * d["sd"]

    def __call__(self, x: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.empty(x.size + z.size)
        value = _kernel(x, z, self.alpha, self.alpha_sum, self.mask, self.offset, self.log_prior, self.shift_mean,
                        self.shift_sd, self.onehot, grad)  # fmt: skip
        return self.constant + value, grad


def categorical_density(nq: int, nl: int, nk: int) -> Density:
    """The bucket's density in nutpie_sampler's form (no PyMC model object: `Density.set_data` feeds this one)."""
    return Density(None, ["theta", "z"], ["simplex", None], CategoricalDensity(nq, nl, nk))
