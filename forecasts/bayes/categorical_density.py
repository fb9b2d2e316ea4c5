"""The categorical model's log density and gradient written out in numpy: the PyMC model of record
(forecasts.bayes.model._categorical_model), evaluated without compiling anything.

Why: PyTensor takes about a minute on a 2-core machine to compile that model's density and gradient to numba
(some 130 nodes: the simplex transform, two log-sum-exps, their gradients, 3-D broadcasting) and about 45 s to C,
against 2-3 s for `import pymc`, so a categorical or ordered question's first posterior after an install was
15-20x that import. These few numpy lines cost nothing to build, so the first run is as fast as any other.
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

import numpy as np

from forecasts.bayes.nutpie_sampler import Density

PAD_OFFSET = 1e3  # padded outcomes' log-weight offset, as in the PyMC model


def _log_softmax_parts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise log-sum-exp of `a` (Q × K) and the softmax weights (its gradient)."""
    top = a.max(1, keepdims=True)
    e = np.exp(a - top)
    total = e.sum(1, keepdims=True)
    return (top + np.log(total))[:, 0], e / total


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
        alpha, mask = self.alpha, self.mask
        y = np.concatenate([x, -x.sum(1, keepdims=True)], 1)
        log_norm, theta = _log_softmax_parts(y)
        log_theta = y - log_norm[:, None]
        shift = np.einsum("ql,qlk->qk", self.shift_mean + self.shift_sd * z, self.onehot)
        kept = theta * mask
        real = kept / kept.sum(1, keepdims=True)
        with np.errstate(divide="ignore"):  # a real outcome whose θ underflowed: −inf, as in the PyMC graph
            lw, w = _log_softmax_parts(np.log(real + (1.0 - mask)) + self.offset + shift)
        lz, v = _log_softmax_parts(self.log_prior + shift)
        value = self.constant + float((alpha * log_theta).sum() - 0.5 * (z * z).sum() + (lw - lz).sum())
        # ∂/∂ln θ of the evidence term (θ enters through θ̃ only); through θ = softmax(y) it is the same in y, as
        # it sums to 0 over k (Σ θ̃ = 1); then to x (y_K = −Σ x).
        d_log_theta = mask * w - (mask * w).sum(1, keepdims=True) * real
        g_y = alpha - self.alpha_sum * theta + d_log_theta
        g_x = g_y[:, :-1] - g_y[:, -1:]
        g_z = -z + self.shift_sd * np.einsum("qlk,qk->ql", self.onehot, w - v)
        return value, np.concatenate([g_x.ravel(), g_z.ravel()])


def categorical_density(nq: int, nl: int, nk: int) -> Density:
    """The bucket's density in nutpie_sampler's form (no PyMC model object: `Density.set_data` feeds this one)."""
    return Density(None, ["theta", "z"], ["simplex", None], CategoricalDensity(nq, nl, nk))
