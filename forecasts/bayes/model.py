"""The full Bayesian model (PyMC): prior uncertainty, uncertain likelihood ratios, deadline hazards, diagnostics.

Binary questions: π0 ~ Beta(a, b) (a reference-class base rate enters as Beta(1, 1) plus its Binomial data);
deadline questions instead put λ ~ Gamma(k, β) on the event hazard, with β chosen so the prior predictive
P(event by T) equals the prior mean, and the event-free time (t − t0) as right-censored exposure
(a Potential of −λ·exposure); the base is then the remaining-window probability 1 − exp(−λ (T − t)).
Each link's ln LR ~ Normal(stated, stated sd) (non-centred; sd 0 is a constant), discounted by reliability r:
logit P(yes) = logit(base) + Σ r_i ln LR_i. The evidence is also data on the base: each draw is weighted by
P(E | base, S) ∝ base·e^S + 1 − base (S = Σ r_i ln LR_i) over its prior average for the same S, so an uncertain
prior is updated by the evidence (exactly m·L/(m·L + 1 − m) when the ratios are certain) while the ratios' noise
keeps its stated distribution. Categorical: θ ~ Dirichlet(α), log P_k ∝ log θ_k + Σ r_i ln LR_ik
("when" questions with bin_ends first drop the elapsed share of each bin, as the fast path does; padded outcomes
are renormalised away, which leaves the real outcomes Dirichlet(α) by the aggregation property), weighted likewise
by Σ_k θ_k f_k e^{S_k} (f_k: the share of bin k still ahead), so elapsed bins and evidence update θ.
A point prior has no uncertainty: fixed π0, and for deadline questions the fast path's constant hazard
λ0 = −ln(1 − π0)/(T − t0). The hazard shape k is prior["hazard_shape"] if given, else the k whose prior predictive
P(event by T) has the Beta's variance as well as its mean (matched_hazard_shape), so a reference class of 9/40 is
as informative on the hazard as it is on π0.

Speed: questions are sampled together in one vectorised model whose inputs are pm.Data padded to size
buckets (questions and links to powers of two, at least 8 links; binary models hold only the kinds of base
probability present), so a model's log density is compiled once per bucket per process and reused with new data.
Sampling is nutpie's NUTS on that density: the binary model's compiled by PyTensor's numba backend, whose disk cache
makes a later process skip the compile (forecasts.bayes.nutpie_sampler); the categorical model's written out by hand
as one numba function (forecasts.bayes.categorical_density, checked against the PyMC model's in the tests), which
compiles in seconds, is cached on disk too and needs no PyMC import. pymc/arviz are imported inside functions.
Questions sampled together share the NUTS step size, so a fixed seed reproduces a result for the same batch
(`posterior Q` twice), not across batches (`posterior Q` vs `posterior --all`). Diagnostics (R-hat max, ESS min
of bulk and tail) cover each question's P, its prior parameter and its total evidence shift; divergences are
counted over the whole batch.
Intervals are 90% equal-tailed (5% and 95% quantiles of the draws), as in forecasts.bayes.interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from forecasts.bayes.fastpath import EPS, bin_remaining_fractions, evidence_log_likelihood
from forecasts.probabilities import Link, probability_from_links
from forecasts.questions import Question
from forecasts.timeutil import days_between, to_iso

INTERVAL = 0.90
INTERVAL_KIND = "90% equal-tailed"
METHOD = "pymc-nutpie"  # the PyMC model, sampled by nutpie (forecasts.bayes.nutpie_sampler)
TARGET_ACCEPT = 0.9
DEFAULT_HAZARD_SHAPE = 2.0
MIN_LINK_BUCKET = 8
FIXED, BETA, GAMMA = 0, 1, 2  # how a binary question's base probability is modelled


def bucket(n: int, minimum: int = 1) -> int:
    """Smallest power of two >= max(n, minimum): padded sizes so a compiled model is reused."""
    size = max(minimum, 1)
    while size < n:
        size *= 2
    return size


def matched_hazard_shape(a: float, b: float) -> float:
    """Gamma shape k whose π0 = 1 − e^(−λD) (λ ~ Gamma(k, gamma_rate(mean, k, D))) has Beta(a, b)'s mean and variance.

    With c = (1 − m)^(1/k): E[(1 − π0)²] = (c/(2 − c))^k, so Var(k) = (c/(2 − c))^k − (1 − m)², free of D; it falls
    from m(1 − m) (k → 0) to 0 (k → ∞), and the Beta's m(1 − m)/(a + b + 1) lies in between: bisection on ln k.
    """
    m = a / (a + b)
    target = m * (1 - m) / (a + b + 1)
    lo, hi = math.log(1e-3), math.log(1e5)
    for _ in range(100):
        k = math.exp(0.5 * (lo + hi))
        c = (1 - m) ** (1 / k)
        var = (c / (2 - c)) ** k - (1 - m) ** 2
        lo, hi = (0.5 * (lo + hi), hi) if var > target else (lo, 0.5 * (lo + hi))
    return math.exp(0.5 * (lo + hi))


def gamma_rate(pi0: float, shape: float, window_days: float) -> float:
    """Rate β of a Gamma(k, β) hazard with prior predictive P(event within window) = π0: 1 − (β/(β+D))^k = π0."""
    c = (1.0 - min(max(pi0, EPS), 1 - EPS)) ** (1.0 / shape)
    return window_days * c / (1.0 - c)


# --- inputs: questions + links → padded arrays (pure numpy) -------------------------------------------------


@dataclass
class BinaryInputs:
    """Per-question arrays of a batch of binary questions (length Q) and their links (Q × L, padded)."""

    mode: np.ndarray  # FIXED / BETA / GAMMA
    p_fixed: np.ndarray  # base probability when FIXED (point prior, or point-prior deadline decay)
    a: np.ndarray
    b: np.ndarray
    successes: np.ndarray  # reference-class Binomial data on π0 (0 if none)
    trials: np.ndarray
    k: np.ndarray  # Gamma shape of the hazard (per day)
    beta: np.ndarray  # Gamma rate of the hazard (days)
    exposure: np.ndarray  # event-free days observed, t − t0
    window: np.ndarray  # days left, T − t
    prior_mean: np.ndarray  # E[base] before the evidence (Beta mean, or Gamma predictive after the censoring)
    mu: np.ndarray  # ln LR stated, Q × L
    sd: np.ndarray
    r: np.ndarray  # reliability (× trust scale), 0 for padding
    evidence: list[list[int]] = field(default_factory=list)  # evidence id of each real link, per question

    @property
    def n(self) -> int:
        return len(self.mode)


@dataclass
class CategoricalInputs:
    """A batch of categorical questions: Dirichlet α (Q × K, padded outcomes masked) and per-outcome links."""

    alpha: np.ndarray
    mask: np.ndarray  # True for real outcomes
    frac: np.ndarray  # share of each outcome's time bin still ahead (1 unless the question has bin_ends)
    mu: np.ndarray  # Q × L
    sd: np.ndarray
    r: np.ndarray
    outcome: np.ndarray  # outcome index of each link
    evidence: list[list[int]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.alpha)


def _pad(rows: Sequence[Sequence[float]], width: int, fill: float = 0.0) -> np.ndarray:
    out = np.full((len(rows), width), fill, dtype=float)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def binary_inputs(questions: Sequence[Question], links: Sequence[Sequence[Link]], at: datetime) -> BinaryInputs:
    """Model inputs for binary questions at `at` (links observed after `at` ignored)."""
    cols: dict[str, list[float]] = {
        k: [] for k in ("mode", "p_fixed", "a", "b", "s", "n", "k", "beta", "exp", "win", "m")
    }
    mus, sds, rs, evs = [], [], [], []
    for q, qlinks in zip(questions, links, strict=True):
        prior = q.prior
        point = prior["kind"] == "point"
        total = days_between(q.opens_at, q.closes_at)
        exposure = min(max(days_between(q.opens_at, at), 0.0), total)
        window = max(days_between(max(at, q.opens_at), q.closes_at), 0.0)
        k = float(prior.get("hazard_shape", DEFAULT_HAZARD_SHAPE))
        if q.deadline_question and not point and "hazard_shape" not in prior:
            k = matched_hazard_shape(prior["a"], prior["b"])
        a, b, s, n = 1.0, 1.0, 0.0, 0.0
        if not point:
            s, n = float(prior.get("successes", 0)), float(prior.get("trials", 0))
            a, b = prior["a"] - s, prior["b"] - (n - s)  # base-rate counts become Binomial data on π0
        mode, p_fixed, beta = FIXED, float(prior["mean"]), 1.0
        if q.deadline_question:
            if point:  # constant hazard λ0 = −ln(1 − π0)/(T − t0): the fast path's decay
                p_fixed = -math.expm1(math.log1p(-min(max(p_fixed, EPS), 1 - EPS)) * window / total)
            else:
                mode, beta = GAMMA, gamma_rate(prior["mean"], k, total)
                s = n = 0.0
        elif not point:
            mode = BETA
        if mode == GAMMA:  # predictive P(event in the window) under the censored posterior Gamma(k, β + exposure)
            mean = -math.expm1(k * math.log1p(-window / (beta + exposure + window)))
        else:
            mean = (a + s) / (a + b + n) if mode == BETA else p_fixed
        for key, value in zip(cols, (mode, p_fixed, a, b, s, n, k, beta, exposure, window, mean), strict=True):
            cols[key].append(value)
        used = [lk for lk in qlinks if lk.observed_at <= at]
        mus.append([lk.log_lr for lk in used])
        sds.append([lk.log_lr_sd for lk in used])
        rs.append([lk.reliability for lk in used])
        evs.append([lk.evidence_id for lk in used])
    width = max([len(m) for m in mus] + [0])
    arr = {k: np.asarray(v, float) for k, v in cols.items()}
    return BinaryInputs(
        mode=arr["mode"].astype(int), p_fixed=arr["p_fixed"], a=arr["a"], b=arr["b"], successes=arr["s"],
        trials=arr["n"], k=arr["k"], beta=arr["beta"], exposure=arr["exp"], window=arr["win"], prior_mean=arr["m"],
        mu=_pad(mus, width), sd=_pad(sds, width), r=_pad(rs, width), evidence=evs,
    )  # fmt: skip


def categorical_inputs(
    questions: Sequence[Question], links: Sequence[Sequence[Link]], at: datetime
) -> CategoricalInputs:
    """Model inputs for categorical questions at `at`: one padded row of links per question."""
    kmax = max(len(q.outcomes) for q in questions)
    alpha = _pad([q.prior["alpha"] for q in questions], kmax, 1.0)
    # "When" questions: the elapsed part of each time bin lost its share (as in the fast path).
    frac = _pad([bin_remaining_fractions(q.opens_at, q.bin_ends, at) if q.bin_ends else np.ones(len(q.outcomes))
                 for q in questions], kmax, 1.0)  # fmt: skip
    mask = _pad([[1.0] * len(q.outcomes) for q in questions], kmax) > 0
    mus, sds, rs, idx, evs = [], [], [], [], []
    for q, qlinks in zip(questions, links, strict=True):
        used = [lk for lk in qlinks if lk.observed_at <= at]
        index = {o: i for i, o in enumerate(q.outcomes)}
        mus.append([lk.log_lr for lk in used])
        sds.append([lk.log_lr_sd for lk in used])
        rs.append([lk.reliability for lk in used])
        idx.append([index[lk.outcome] for lk in used])
        evs.append([lk.evidence_id for lk in used])
    width = max([len(m) for m in mus] + [0])
    return CategoricalInputs(
        alpha=alpha, mask=mask, frac=frac, mu=_pad(mus, width), sd=_pad(sds, width), r=_pad(rs, width),
        outcome=_pad(idx, width).astype(int), evidence=evs,
    )  # fmt: skip


# --- the PyMC models, compiled once per bucket ---------------------------------------------------------------

_CACHE: dict[tuple, Any] = {}


def _binary_model(nq: int, nl: int, modes: tuple[int, ...] = (FIXED, BETA, GAMMA)):
    """The vectorised binary model for nq questions × nl links (all inputs are pm.Data).

    `modes`: the kinds of base probability present in the batch; π0 and λ (and their terms) exist only when some
    question needs them, so a batch of deadline questions compiles a smaller graph (a shorter first-run compile).
    """
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model(check_bounds=False) as model:  # inputs are validated before; no parameter checks to compile
        d = {
            name: pm.Data(name, np.ones(shape))
            for name, shape in [
                ("mode", nq), ("p_fixed", nq), ("a", nq), ("b", nq), ("successes", nq), ("trials", nq),
                ("k", nq), ("beta", nq), ("exposure", nq), ("window", nq), ("prior_mean", nq),
                ("mu", (nq, nl)), ("sd", (nq, nl)), ("r", (nq, nl)),
            ]
        }  # fmt: skip
        z = pm.Normal("z", 0.0, 1.0, shape=(nq, nl))
        base = d["p_fixed"]
        if GAMMA in modes:
            lam = pm.Gamma("lam", alpha=d["k"], beta=d["beta"], shape=nq)
            gamma = pt.eq(d["mode"], GAMMA)
            # The event-free exposure is right-censored data on λ.
            pm.Potential("censored", -pt.sum(pt.switch(gamma, lam * d["exposure"], 0.0)))
            base = pt.switch(gamma, -pt.expm1(-lam * d["window"]), base)
        if BETA in modes:
            pi0 = pm.Beta("pi0", alpha=d["a"], beta=d["b"], shape=nq)
            # Reference-class data on π0 (Binomial kernel).
            pm.Potential(
                "base_rate",
                pt.sum(d["successes"] * pt.log(pi0) + (d["trials"] - d["successes"]) * pt.log1p(-pi0)),
            )
            base = pt.switch(pt.eq(d["mode"], BETA), pi0, base)
        # The evidence is data on the base probability too: P(E | base, S) ∝ base·e^S + 1 − base. Divided by its
        # average over the prior of the base, so the ln LR noise keeps its stated distribution (fastpath docstring).
        shift = pt.sum(d["r"] * (d["mu"] + d["sd"] * z), axis=1)
        lik = evidence_log_likelihood(pt, base, shift) - evidence_log_likelihood(pt, d["prior_mean"], shift)
        pm.Potential("evidence", pt.sum(lik))
    return model


def _categorical_model(nq: int, nl: int, nk: int):
    """The vectorised categorical model: Dirichlet θ per question (padded outcomes masked later), link noise z.

    The model of record: posteriors sample its hand-written twin (forecasts.bayes.categorical_density), which
    tests/test_categorical_density.py holds to this model's log density, gradient and posterior."""
    import pymc as pm
    import pytensor.tensor as pt

    def data(name: str, shape: tuple[int, ...], fill: float):
        # A static shape (the bucket's): without it PyTensor adds broadcast-check nodes whose operands come out
        # in a different order in each process, so the compiled graph's numba cache key would never repeat.
        return pm.Data(name, np.full(shape, fill), shape=shape)

    with pm.Model(check_bounds=False) as model:  # inputs are validated before; no parameter checks to compile
        alpha = data("alpha", (nq, nk), 1.0)
        mask = data("mask", (nq, nk), 1.0)
        log_frac = data("log_frac", (nq, nk), 0.0)  # ln of each bin's share still ahead
        onehot = data("onehot", (nq, nl, nk), 0.0)  # link → its outcome (0 rows for padding)
        mu, sd, r = (data(name, (nq, nl), 0.0) for name in ("mu", "sd", "r"))
        theta = pm.Dirichlet("theta", a=alpha, shape=(nq, nk))
        z = pm.Normal("z", 0.0, 1.0, shape=(nq, nl))
        # Evidence and elapsed time bins are data on θ: P(data | θ, S) ∝ Σ_k θ_k f_k e^{S_k} over the real
        # outcomes, divided by its prior average (α-weighted) for the same S, as in the binary model.
        shift = pt.sum((r * (mu + sd * z))[:, :, None] * onehot, axis=1)  # (nq, nk)
        real = theta * mask / pt.sum(theta * mask, axis=1, keepdims=True)
        prior = alpha * mask / pt.sum(alpha * mask, axis=1, keepdims=True)
        off = (mask - 1.0) * 1e3  # padded outcomes: weight e^-1000
        lw = pt.logsumexp(pt.log(real + (1.0 - mask)) + off + log_frac + shift, axis=1)
        lz = pt.logsumexp(pt.log(prior + (1.0 - mask)) + off + log_frac + shift, axis=1)
        pm.Potential("evidence", pt.sum(lw - lz))
    return model


def _compiled(key: tuple):
    """The bucket's density, built on first use in a process and then reused: the binary model compiled by
    PyTensor to numba (disk-cached), the categorical model's written out as one numba function (disk-cached too)."""
    if key not in _CACHE:
        if key[0] == "binary":
            from forecasts.bayes.nutpie_sampler import compile_density

            _CACHE[key] = compile_density(_binary_model(*key[1:]))
        else:
            from forecasts.bayes.categorical_density import categorical_density

            _CACHE[key] = categorical_density(*key[1:])
    return _CACHE[key]


def _sample(key: tuple, data: dict[str, np.ndarray], start: dict[str, np.ndarray], draws: int, tune: int,
            chains: int, seed: int, on_draw=None):  # fmt: skip
    """Set the bucket model's data and draw with nutpie (forecasts.bayes.nutpie_sampler); returns its Sampled."""
    from forecasts.bayes.quiet import quiet_arviz, quiet_pymc

    compiles = key[0] == "binary"  # the categorical density needs no PyMC and no PyTensor compile
    (quiet_pymc if compiles else quiet_arviz)()  # before the first import of PyMC and ArviZ (which warns on import)
    from forecasts.bayes import nutpie_sampler
    from forecasts.progress import pymc_step, step

    label = f"PyMC posterior: {'compiling, ' if compiles and key not in _CACHE else ''}{chains} × {tune + draws} steps"
    with pymc_step(label) if compiles else step(label):
        density = _compiled(key)
        density.set_data(data)
        return nutpie_sampler.sample(density, start, draws, tune, chains, seed, TARGET_ACCEPT, on_draw)


def _padded(x: np.ndarray, nq: int, nl: int | None = None, fill: float = 0.0) -> np.ndarray:
    shape = (nq,) if x.ndim == 1 else (nq, nl if nl is not None else x.shape[1])
    out = np.full(shape, fill, dtype=float)
    out[tuple(slice(0, s) for s in x.shape)] = x
    return out


# --- draws of the quantities of interest (pure numpy) -------------------------------------------------------


def binary_draws(inp: BinaryInputs, pi0: np.ndarray, lam: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per draw (leading axes) and question: base logit, each link's r·ln LR, and P(yes)."""
    q, n_links = inp.n, inp.mu.shape[1]
    pi0, lam, z = pi0[..., :q], lam[..., :q], z[..., :q, :n_links]
    base = np.where(inp.mode == BETA, pi0, np.where(inp.mode == GAMMA, -np.expm1(-lam * inp.window), inp.p_fixed))
    base = np.clip(base, EPS, 1 - EPS)
    base_logit = np.log(base) - np.log1p(-base)
    contrib = inp.r * (inp.mu + inp.sd * z)
    total = base_logit + contrib.sum(-1)
    return {"base_logit": base_logit, "contrib": contrib, "total": total, "p": 1.0 / (1.0 + np.exp(-total))}


def categorical_draws(inp: CategoricalInputs, theta: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per draw and question: each link's r·ln LR, the log weights of the outcomes, and their probabilities."""
    q, nk, n_links = inp.alpha.shape[0], inp.alpha.shape[1], inp.mu.shape[1]
    theta, z = theta[..., :q, :nk], z[..., :q, :n_links]
    contrib = inp.r * (inp.mu + inp.sd * z)
    onehot = np.eye(nk)[inp.outcome] * (inp.r > 0)[..., None]  # Q × L × K
    with np.errstate(divide="ignore"):
        logw = np.log(np.clip(theta, 1e-300, None) * inp.frac) + np.einsum("...ql,qlk->...qk", contrib, onehot)
    logw = np.where(inp.mask, logw, -np.inf)
    p = np.exp(logw - logw.max(-1, keepdims=True))
    return {"contrib": contrib, "logw": logw, "onehot": onehot, "p": p / p.sum(-1, keepdims=True)}


def _softmax(logw: np.ndarray) -> np.ndarray:
    p = np.exp(logw - logw.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


# --- diagnostics ----------------------------------------------------------------------------------------------


def _diagnostics(arrays: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R-hat max and ESS min per question over the kept quantities; arrays is (chains, draws, Q, M)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        return _diagnose(arrays, keep)


def _diagnose(arrays: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import arviz as az

    from forecasts.bayes.quiet import arviz_in_numpy

    with arviz_in_numpy():
        return _diagnose_arviz(az, arrays, keep)


def _diagnose_arviz(az: Any, arrays: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ds = az.convert_to_dataset({"x": arrays})
    warnings.simplefilter("ignore", RuntimeWarning)  # constant quantities (no uncertainty) have no R-hat
    rhat = np.asarray(az.rhat(ds)["x"].values, float)
    ess = np.minimum(
        np.asarray(az.ess(ds, method="bulk")["x"].values, float),
        np.asarray(az.ess(ds, method="tail")["x"].values, float),
    )
    rhat = np.where(keep & np.isfinite(rhat), rhat, np.nan)
    ess = np.where(keep & np.isfinite(ess), ess, np.nan)
    return np.nanmax(rhat, axis=1), np.nanmin(ess, axis=1)


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


# --- public API -----------------------------------------------------------------------------------------------


def sample_binary(
    inp: BinaryInputs, draws: int = 1000, tune: int = 1000, chains: int = 2, seed: int = 0, on_draw=None
) -> dict[str, Any]:
    """Sample a binary batch; returns draws (flattened over chains) and per-question diagnostics."""
    nq, nl = bucket(inp.n), bucket(inp.mu.shape[1], MIN_LINK_BUCKET)
    modes = tuple(sorted({int(m) for m in inp.mode}))
    fill_mode = float(modes[0])  # padding rows take a mode already present, so they add no model terms
    data = {
        "mode": _padded(inp.mode.astype(float), nq, fill=fill_mode), "p_fixed": _padded(inp.p_fixed, nq, fill=0.5),
        "a": _padded(inp.a, nq, fill=1.0), "b": _padded(inp.b, nq, fill=1.0),
        "successes": _padded(inp.successes, nq), "trials": _padded(inp.trials, nq),
        "k": _padded(inp.k, nq, fill=1.0), "beta": _padded(inp.beta, nq, fill=1.0),
        "exposure": _padded(inp.exposure, nq), "window": _padded(inp.window, nq),
        "prior_mean": _padded(inp.prior_mean, nq, fill=0.5),
        "mu": _padded(inp.mu, nq, nl), "sd": _padded(inp.sd, nq, nl), "r": _padded(inp.r, nq, nl),
    }  # fmt: skip
    start = {  # each variable's prior mean (PyMC's default start), jittered per chain by the sampler
        "z": np.zeros((nq, nl)),
        "pi0": data["a"] / (data["a"] + data["b"]),
        "lam": data["k"] / data["beta"],
    }
    sampled = _sample(("binary", nq, nl, modes), data, start, draws, tune, chains, seed, on_draw)
    z = sampled.draws["z"]
    absent = np.full(z.shape[:3], 0.5)  # a variable the batch's model does not have (no question of its kind)
    pi0, lam = sampled.draws.get("pi0", absent), sampled.draws.get("lam", absent)
    d = binary_draws(inp, pi0, lam, z)
    q = inp.n
    # Diagnose what each question's answer depends on: P(yes), its prior parameter, its total evidence shift.
    arrays = np.stack([d["p"], pi0[..., :q], lam[..., :q], d["contrib"].sum(-1)], -1)
    keep = np.column_stack([np.ones(q, bool), inp.mode == BETA, inp.mode == GAMMA, ((inp.sd > 0) & (inp.r > 0)).any(1)])
    rhat, ess = _diagnostics(arrays, keep)
    flat = {k: v.reshape(v.shape[0] * v.shape[1], *v.shape[2:]) for k, v in d.items()}
    flat["lam"] = lam.reshape(-1, lam.shape[-1])[:, :q]
    return {"draws": flat, "rhat": rhat, "ess": ess, "divergences": sampled.divergences}


def categorical_data(inp: CategoricalInputs) -> tuple[tuple, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The batch's size bucket, its data padded to it (the categorical model's pm.Data) and the start point."""
    nq, nl, nk = bucket(inp.n), bucket(inp.mu.shape[1], MIN_LINK_BUCKET), inp.alpha.shape[1]
    onehot = np.zeros((nq, nl, nk))
    onehot[: inp.n, : inp.mu.shape[1]] = np.eye(nk)[inp.outcome] * (inp.r > 0)[..., None]
    data = {
        "alpha": _padded(inp.alpha, nq, fill=1.0), "mask": _padded(inp.mask.astype(float), nq, fill=1.0),
        "log_frac": _padded(np.log(np.maximum(inp.frac, 1e-300)), nq), "onehot": onehot,
        "mu": _padded(inp.mu, nq, nl), "sd": _padded(inp.sd, nq, nl), "r": _padded(inp.r, nq, nl),
    }  # fmt: skip
    start = {"theta": data["alpha"] / data["alpha"].sum(1, keepdims=True), "z": np.zeros((nq, nl))}
    return ("categorical", nq, nl, nk), data, start


def sample_categorical(
    inp: CategoricalInputs, draws: int = 1000, tune: int = 1000, chains: int = 2, seed: int = 0, on_draw=None
) -> dict[str, Any]:
    """Sample a categorical batch; returns draws (flattened over chains) and per-question diagnostics."""
    key, data, start = categorical_data(inp)
    sampled = _sample(key, data, start, draws, tune, chains, seed, on_draw)
    theta, z = sampled.draws["theta"], sampled.draws["z"]
    d = categorical_draws(inp, theta, z)
    shift = np.einsum("...ql,qlk->...qk", d["contrib"], d["onehot"])  # each outcome's total evidence shift
    arrays = np.concatenate([d["p"], shift], -1)
    uncertain = np.einsum("ql,qlk->qk", ((inp.sd > 0) & (inp.r > 0)).astype(float), d["onehot"]) > 0
    keep = np.column_stack([inp.mask, uncertain])
    rhat, ess = _diagnostics(arrays, keep)
    flat = {k: v.reshape(v.shape[0] * v.shape[1], *v.shape[2:]) for k, v in d.items() if k != "onehot"}
    flat["onehot"] = d["onehot"]
    return {"draws": flat, "rhat": rhat, "ess": ess, "divergences": sampled.divergences}


def _summary(samples: np.ndarray, outcomes: Sequence[str]) -> dict[str, dict[str, float]]:
    """Mean and 90% equal-tailed interval of each outcome's probability; samples is draws × K."""
    tail = (1 - INTERVAL) / 2
    lo, hi = np.quantile(samples, [tail, 1 - tail], axis=0)
    return {
        "mean": dict(zip(outcomes, map(float, samples.mean(0)), strict=True)),
        "lo": dict(zip(outcomes, map(float, lo), strict=True)),
        "hi": dict(zip(outcomes, map(float, hi), strict=True)),
    }


def _binary_result(q: Question, links: list[Link], inp: BinaryInputs, res: dict, i: int) -> dict[str, Any]:
    d = res["draws"]
    n = len(inp.evidence[i])
    p = d["p"][:, i]
    out = _summary(np.column_stack([p, 1 - p]), q.outcomes)
    contrib = d["contrib"][:, i, :n]
    # Leave-one-out on the same draws: how much P(yes) would drop without the item.
    without = 1.0 / (1.0 + np.exp(-(d["total"][:, i, None] - contrib)))
    pp = 100.0 * (p.mean() - without.mean(0))
    summaries = {lk.evidence_id: lk.summary for lk in links}
    out["contributions"] = [
        {
            "evidence_id": eid, "summary": summaries.get(eid, ""),
            "log_odds": {"yes": float(contrib[:, j].mean())}, "pp": {"yes": float(pp[j]), "no": float(-pp[j])},
        }
        for j, eid in enumerate(inp.evidence[i])
    ]  # fmt: skip
    if inp.mode[i] == GAMMA:
        out["hazard"] = {
            "shape": float(inp.k[i]), "prior_rate_days": float(inp.beta[i]),
            "prior_mean_per_day": float(inp.k[i] / inp.beta[i]), "exposure_days": float(inp.exposure[i]),
            "window_days": float(inp.window[i]), "posterior_mean_per_day": float(d["lam"][:, i].mean()),
        }  # fmt: skip
    return out


def _categorical_result(q: Question, links: list[Link], inp: CategoricalInputs, res: dict, i: int) -> dict[str, Any]:
    d = res["draws"]
    k = len(q.outcomes)
    p = d["p"][:, i, :k]
    out = _summary(p, q.outcomes)
    n = len(inp.evidence[i])
    contrib = d["contrib"][:, i, :n]  # draws × links
    onehot = d["onehot"][i, :n, :k]  # links × K
    summaries = {lk.evidence_id: lk.summary for lk in links}
    rows = []
    for eid in dict.fromkeys(inp.evidence[i]):  # one row per evidence item, links of the same item together
        sel = np.array([e == eid for e in inp.evidence[i]])
        shift = contrib[:, sel] @ onehot[sel]  # draws × K: the item's shift of each outcome's log weight
        without = _softmax(d["logw"][:, i, :k] - shift)
        pp = 100.0 * (p.mean(0) - without.mean(0))
        hits = onehot[sel].any(0)
        rows.append(
            {
                "evidence_id": eid, "summary": summaries.get(eid, ""),
                "log_odds": {o: float(s) for o, s, hit in zip(q.outcomes, shift.mean(0), hits, strict=True) if hit},
                "pp": dict(zip(q.outcomes, map(float, pp), strict=True)),
            }
        )  # fmt: skip
    out["contributions"] = rows
    return out


def posterior_batch(
    questions: Sequence[Question],
    links: dict[str, list[Link]],
    at: datetime,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    trust: Mapping[int, float] | None = None,
    on_draw: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Full posteriors of many questions at `at` (binary ones sampled together, categorical ones together).

    Each result: mean/lo/hi per outcome (90% equal-tailed), fast_path, contributions (mean r·ln LR in
    log-odds and leave-one-out percentage points), rhat_max, ess_min, divergences (of the whole batch).
    `trust`: evidence id → factor on its ln LR (the learned evidence-trust scale; missing ids keep 1).
    `on_draw` is called after every MCMC iteration (tuning included) of every chain, for progress bars.
    """
    if trust:
        links = {
            qid: [replace(lk, log_lr=lk.log_lr * trust.get(lk.evidence_id, 1.0),
                          log_lr_sd=lk.log_lr_sd * trust.get(lk.evidence_id, 1.0)) for lk in qlinks]
            for qid, qlinks in links.items()
        }  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    groups = [[q for q in questions if q.is_binary], [q for q in questions if not q.is_binary]]
    for group, make, sampler, result in (
        (groups[0], binary_inputs, sample_binary, _binary_result),
        (groups[1], categorical_inputs, sample_categorical, _categorical_result),
    ):
        if not group:
            continue
        qlinks = [links.get(q.id, []) for q in group]
        inp = make(group, qlinks, at)
        res = sampler(inp, draws=draws, tune=tune, chains=chains, seed=seed, on_draw=on_draw)
        for i, q in enumerate(group):
            row = result(q, qlinks[i], inp, res, i)
            out[q.id] = {
                "question": q.id, "as_of": to_iso(at), "method": METHOD, "interval": INTERVAL_KIND,
                "draws": draws, "tune": tune, "chains": chains, "seed": seed, "calibrated": bool(trust),
                "fast_path": probability_from_links(q, qlinks[i], at),
                "evidence_ids": sorted(set(inp.evidence[i])),
                "rhat_max": _num(res["rhat"][i]), "ess_min": _num(res["ess"][i]), "divergences": res["divergences"],
            } | row  # fmt: skip
    return [out[q.id] for q in questions]
