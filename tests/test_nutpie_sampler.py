"""nutpie on PyTensor-compiled PyMC densities: PyMC's transforms inverted right, a closed form recovered, the same
seed giving the same draws, and the models' numba graphs identical from one process to the next (else the disk
cache that makes later runs fast would never hit)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from forecasts.bayes import nutpie_sampler

GRAPH_KEY = """
import hashlib, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key
from forecasts.bayes.model import _binary_model, _categorical_model
from forecasts.bayes.nutpie_sampler import compile_density
nq, nl = 4, 8
from forecasts.bayes.skill import build_model, simulate

def key(model):
    graph = compile_density(model).function.maker.fgraph
    keys = "".join(str(numba_funcify_and_cache_key(n.op, node=n)[1]) for n in graph.toposort())
    return hashlib.sha256(keys.encode()).hexdigest()

for modes in [(2,), (0, 1), (0, 1, 2)]:
    print(modes, key(_binary_model(nq, nl, modes)))
for n_f, per in ((5, 10), (7, 6)):  # other data, other sizes: the same calibration graph
    sim = simulate(n_f, 20, per, seed=n_f)
    print("skill", key(build_model(sim.forecaster, sim.logit_p, sim.outcome, n_f)))
# The categorical model of record (its data statically shaped; sampled through its numpy twin, the tests' oracle).
print("categorical", key(_categorical_model(nq, nl, 3)))
"""


@pytest.mark.parametrize(
    ("name", "value"),
    [("log", np.array([0.2, 3.0])), ("logodds", np.array([0.01, 0.5, 0.97])), ("simplex", np.array([[0.2, 0.3, 0.5]]))],
)
def test_numpy_transforms_equal_pymcs(name: str, value: np.ndarray) -> None:
    from pymc.distributions import transforms

    transform = {"log": transforms.log, "logodds": transforms.logodds, "simplex": transforms.simplex}[name]
    forward, backward = nutpie_sampler.TRANSFORMS[name]
    assert forward(value) == pytest.approx(transform.forward(value).eval(), abs=1e-12)
    x = forward(value)
    assert backward(x) == pytest.approx(transform.backward(x).eval(), abs=1e-12)
    assert backward(x) == pytest.approx(value, abs=1e-12)


def _beta_binomial_model():
    import pymc as pm

    with pm.Model(check_bounds=False) as model:
        p = pm.Beta("p", 2.0, 3.0)
        pm.Potential("data", 7 * pm.math.log(p) + 3 * pm.math.log(1 - p))  # 7 successes in 10: Beta(9, 6)
        pm.Normal("z", 0.0, 1.0, shape=3)
    return model


def test_beta_binomial_posterior_matches_the_closed_form_and_repeats_with_its_seed() -> None:
    density = nutpie_sampler.compile_density(_beta_binomial_model())
    first = nutpie_sampler.sample(density, {"p": 0.4, "z": np.zeros(3)}, draws=2000, tune=500, chains=2, seed=5)
    p = first.draws["p"]
    assert p.shape == (2, 2000) and first.draws["z"].shape == (2, 2000, 3)
    assert p.mean() == pytest.approx(9 / 15, abs=0.01)
    assert p.var() == pytest.approx(9 * 6 / (15**2 * 16), rel=0.1)
    assert first.draws["z"].std() == pytest.approx(1.0, abs=0.05)
    assert first.divergences == 0
    again = nutpie_sampler.sample(density, {"p": 0.4, "z": np.zeros(3)}, draws=2000, tune=500, chains=2, seed=5)
    np.testing.assert_array_equal(again.draws["p"], p)
    other = nutpie_sampler.sample(density, {"p": 0.4, "z": np.zeros(3)}, draws=2000, tune=500, chains=2, seed=6)
    assert not np.array_equal(other.draws["p"], p)


def test_on_draw_is_called_for_every_iteration_of_every_chain() -> None:
    density = nutpie_sampler.compile_density(_beta_binomial_model())
    calls = []
    nutpie_sampler.sample(density, {"p": 0.4, "z": np.zeros(3)}, 50, 30, 2, 0, on_draw=lambda: calls.append(1))
    assert len(calls) == 2 * (50 + 30)


def test_a_transform_without_a_numpy_inverse_is_refused() -> None:
    import pymc as pm

    with pm.Model() as model:
        pm.Uniform("u", 0.0, 2.0)  # an interval transform: not in TRANSFORMS
    with pytest.raises(ValueError, match="interval"):
        nutpie_sampler.compile_density(model)


def test_model_graphs_are_the_same_in_every_process_and_for_any_calibration_data() -> None:
    runs = [
        subprocess.run([sys.executable, "-c", GRAPH_KEY], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    lines = runs[0].splitlines()
    assert len(lines) == 6 and len(set(lines[:3] + lines[5:])) == 4
    assert lines[3] == lines[4]  # new resolutions do not recompile the calibration model
    assert runs[0] == runs[1]
