"""NUTS for our PyMC models: nutpie's sampler on the model's log density, compiled by PyTensor (numba by default).

Why not `pm.sample`: PyMC's own NUTS spends ~30 µs of Python per leapfrog step, and its default C backend builds
~35 modules with g++ on a first run (15 s for one question's model). Why not nutpie's own PyMC path: it recompiles
its numba functions in every process (~9 s). Here PyTensor compiles the log density and its gradient to numba once
(cached on disk under PyTensor's base compile directory: a later process loads it in about a second) and nutpie's
Rust NUTS calls it from Python (~10 µs a gradient). Draws come back on each variable's own scale: PyMC's
transforms (log, log-odds, simplex) are inverted here in numpy, checked against PyMC's in the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit  # scipy comes with PyMC, which every caller of this module imports

from forecasts.bayes.quiet import quiet_pymc

JITTER = 1.0  # initial points: uniform(−1, 1) added on the unconstrained scale, as PyMC's "jitter+adapt_diag"


def _simplex_forward(p: np.ndarray) -> np.ndarray:
    logp = np.log(p)
    return logp[..., :-1] - logp.mean(-1, keepdims=True)


def _simplex_backward(x: np.ndarray) -> np.ndarray:
    full = np.concatenate([x, -x.sum(-1, keepdims=True)], -1)
    e = np.exp(full - full.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


# PyMC transform name → (constrained → unconstrained, unconstrained → constrained); None: no transform.
TRANSFORMS: dict[str | None, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    None: (_identity, _identity),
    "log": (np.log, np.exp),
    "logodds": (logit, expit),
    "simplex": (_simplex_forward, _simplex_backward),
}


@dataclass
class Density:
    """A PyMC model's compiled log density and gradient, with the layout of its flat parameter vector.

    `model` is None for a density written out by hand (forecasts.bayes.categorical_density): its `function` then
    takes new data itself (`function.set_data`)."""

    model: Any
    names: list[str]  # free variables in the order of the flat vector
    transforms: list[str | None]
    function: Any  # each free variable (unconstrained) → (log density, flat gradient)

    def set_data(self, data: Mapping[str, np.ndarray]) -> None:
        """New values for the model's pm.Data (the same shapes): the compiled function reads them at its next call."""
        if self.model is None:
            self.function.set_data(data)
            return
        import pymc as pm

        with self.model:
            pm.set_data(data)


@dataclass
class Sampled:
    """Draws of each free variable on its own scale, shaped (chains, draws, *shape), and the divergence count."""

    draws: dict[str, np.ndarray]
    divergences: int


def compile_density(model: Any, mode: str | None = "NUMBA") -> Density:
    """Compile `model`'s log density and gradient with PyTensor's numba backend (disk-cached after the first run).

    The function takes each free variable separately (not one raveled vector: ~20 fewer graph nodes to compile,
    2.6 s less on the calibration model's first run). The disk cache hits only if the graph is the same from one
    process to the next, as tests/test_nutpie_sampler.py checks for our models (pm.Data of unknown shape can
    break that: PyTensor's broadcast checks then come out in a different order in each process). `mode=None`
    compiles with PyTensor's default C backend instead."""
    quiet_pymc()
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import compile as compile_pymc
    from pymc.pytensorf import rewrite_pregrad

    names, transforms = [], []
    values = model.continuous_value_vars
    for value in values:
        rv = model.values_to_rvs[value]
        transform = model.rvs_to_transforms.get(rv)
        name = getattr(transform, "name", None)
        if name not in TRANSFORMS:
            raise ValueError(f"transform {name!r} of {rv.name} has no numpy inverse here")
        names.append(rv.name)
        transforms.append(name)
    # Inside the model, so a model's check_bounds=False drops its parameter checks from the graph (as
    # Model.logp_dlogp_function builds it: pre-gradient rewrite, gradient of the joint log density).
    with model:
        cost = rewrite_pregrad(model.logp())
        grads = pytensor.grad(cost, values, disconnected_inputs="ignore")
        flat_grad = pt.join(0, *[g.ravel() for g in grads])
        function = compile_pymc(values, [cost, flat_grad], mode=mode)
    function.trust_input = True  # inputs are float64 arrays of the right shapes, made below
    return Density(model, names, transforms, function)


def sample(
    density: Density,
    start: Mapping[str, np.ndarray],
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float = 0.8,
    on_draw: Callable[[], None] | None = None,
) -> Sampled:
    """Run nutpie's NUTS (chains one after another, seeded) from `start` (each free variable on its own scale,
    jittered per chain); `on_draw` is called after every iteration, tuning included, of every chain."""
    import nutpie
    from nutpie.compiled_pyfunc import from_pyfunc

    pairs = list(zip(density.names, density.transforms, strict=True))
    blocks = [TRANSFORMS[t][0](np.asarray(start[n], float)) for n, t in pairs]
    shapes = [b.shape for b in blocks]
    centre = np.concatenate([b.ravel() for b in blocks])
    size = len(centre)
    function = density.function

    cuts = np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1]

    def make_logp() -> Callable:
        def logp(x: np.ndarray, **_shared: Any) -> tuple[float, np.ndarray]:
            parts = np.split(np.asarray(x, dtype=np.float64), cuts)
            value, grad = function(*[part.reshape(shape) for part, shape in zip(parts, shapes, strict=True)])
            return float(value), np.ascontiguousarray(grad, dtype=np.float64)

        return logp

    def make_expand(_seed1: int, _seed2: int, _chain: int) -> Callable:
        def expand(x: np.ndarray, **_shared: Any) -> dict[str, np.ndarray]:
            if on_draw is not None:
                on_draw()
            return {"x": np.array(x, dtype=np.float64)}

        return expand

    def initial_point(chain_seed: int) -> np.ndarray:
        return centre + np.random.default_rng(chain_seed).uniform(-JITTER, JITTER, size)

    compiled = from_pyfunc(size, make_logp, make_expand, [np.dtype("float64")], [(size,)], ["x"],
                           make_initial_point_fn=initial_point)  # fmt: skip
    trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=1, seed=seed, progress_bar=False,
                          save_warmup=False, target_accept=target_accept)  # fmt: skip
    flat = np.asarray(trace.posterior["x"].values, float)  # (chains, draws, size)
    if flat.shape[:2] != (chains, draws):  # nutpie returns what it has when interrupted (Ctrl-C): pass that on
        raise KeyboardInterrupt
    out, offset = {}, 0
    for name, transform, shape in zip(density.names, density.transforms, shapes, strict=True):
        n = int(np.prod(shape))
        block = flat[:, :, offset : offset + n].reshape(*flat.shape[:2], *shape)
        out[name] = TRANSFORMS[transform][1](block)
        offset += n
    divergences = int(np.asarray(trace.sample_stats["diverging"].values).sum())
    return Sampled(out, divergences)
