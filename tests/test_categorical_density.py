"""The categorical model's hand-written density (one numba function) against the PyMC model of record: the same
log density and gradient at random points (padded outcomes, links and questions, an elapsed time bin), the same
posterior when both are sampled by nutpie (the PyMC one compiled by PyTensor, the path categorical posteriors took
before), and no PyMC or PyTensor on a categorical posterior's path (so no PyTensor compile on a first run)."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest

from forecasts.bayes import nutpie_sampler
from forecasts.bayes.categorical_density import categorical_density
from forecasts.bayes.model import _categorical_model, categorical_data, categorical_draws, categorical_inputs
from forecasts.probabilities import Link
from forecasts.questions import Question

T0, T1 = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
AT = datetime(2025, 9, 1, tzinfo=UTC)


def _question(qid: str, qtype: str, alpha: list[float], bin_ends: tuple[datetime, ...] | None = None) -> Question:
    outcomes = tuple(f"o{k}" for k in range(len(alpha)))
    return Question(id=qid, title=qid, type=qtype, outcomes=outcomes, resolution_criteria="x", opens_at=T0,
                    closes_at=T1, resolves_by=T1, prior={"kind": "dirichlet", "alpha": alpha},
                    bin_ends=bin_ends)  # fmt: skip


def _link(eid: int, qid: str, outcome: str, lr: float, sd: float, r: float) -> Link:
    return Link(eid, qid, outcome, math.log(lr), sd, r, T0, T0, f"item {eid}")


@pytest.fixture(scope="module")
def batch():
    """Three questions (bucket: 4 questions, 8 links, 3 outcomes): an ordered one whose first bin has elapsed,
    a two-outcome one (one padded outcome) with uncertain links, one with no evidence; one padded question."""
    bins = (datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    qs = [
        _question("when", "ordered", [2.0, 3.0, 5.0], bins),
        _question("pair", "categorical", [1.5, 2.5]),
        _question("none", "categorical", [1.0, 1.0, 2.0]),
    ]  # fmt: skip
    links = [
        [_link(1, "when", "o1", 3.0, 0.4, 0.8), _link(1, "when", "o2", 0.5, 0.0, 0.8),
         _link(2, "when", "o0", 2.0, 0.6, 1.0)],
        [_link(3, "pair", "o0", 4.0, 0.8, 0.6), _link(4, "pair", "o1", 1.5, 0.3, 1.0)],
        [],
    ]  # fmt: skip
    inp = categorical_inputs(qs, links, AT)
    key, data, start = categorical_data(inp)
    assert key == ("categorical", 4, 8, 3) and data["log_frac"][0, 0] < -600  # the elapsed bin: f = 1e-300
    pymc_density = nutpie_sampler.compile_density(_categorical_model(*key[1:]))
    pymc_density.set_data(data)
    own_density = categorical_density(*key[1:])
    own_density.set_data(data)
    return inp, start, pymc_density, own_density


def test_log_density_and_gradient_equal_pymcs_at_random_points(batch) -> None:
    _, _, pymc_density, own_density = batch
    rng = np.random.default_rng(3)
    for _ in range(25):
        x, z = rng.normal(0, 1.5, (4, 2)), rng.normal(0, 1.2, (4, 8))
        value, grad = pymc_density.function(x, z)
        mine, my_grad = own_density.function(x, z)
        assert mine == pytest.approx(float(value), rel=1e-10, abs=1e-10)
        np.testing.assert_allclose(my_grad, grad, rtol=1e-9, atol=1e-9)
    # The gradient is the derivative of the value (finite differences), not just the same formula twice.
    x, z = rng.normal(0, 1, (4, 2)), rng.normal(0, 1, (4, 8))
    flat = np.concatenate([x.ravel(), z.ravel()])
    _, grad = own_density.function(x, z)
    for i in (0, 3, 7, 8, 12, 20):
        step = np.zeros_like(flat)
        step[i] = 1e-6
        up = own_density.function((flat + step)[:8].reshape(4, 2), (flat + step)[8:].reshape(4, 8))[0]
        down = own_density.function((flat - step)[:8].reshape(4, 2), (flat - step)[8:].reshape(4, 8))[0]
        assert (up - down) / 2e-6 == pytest.approx(grad[i], abs=1e-6)


def test_wrong_data_shapes_are_refused(batch) -> None:
    _, _, _, own_density = batch
    with pytest.raises(ValueError, match="alpha"):
        own_density.set_data({"alpha": np.ones((2, 3))})


def test_posterior_equals_the_pymc_density_sampled_the_same_way_within_monte_carlo_error(batch) -> None:
    import arviz as az

    inp, start, pymc_density, own_density = batch
    means, errors = [], []
    for density, seed in ((pymc_density, 11), (own_density, 12)):
        sampled = nutpie_sampler.sample(density, start, draws=2000, tune=600, chains=2, seed=seed, target_accept=0.9)
        assert sampled.divergences == 0
        p = categorical_draws(inp, sampled.draws["theta"], sampled.draws["z"])["p"]  # chains × draws × Q × K
        real = p[..., inp.mask]  # chains × draws × 8 real outcomes: when o0-o2, pair o0-o1, none o0-o2
        ess = np.asarray(az.ess(az.convert_to_dataset({"p": real}))["p"].values, float)
        means.append(real.mean((0, 1)))
        errors.append(real.std((0, 1)) / np.sqrt(ess))
    se = np.hypot(*errors)
    assert np.all(np.abs(means[0] - means[1]) <= 4 * se + 1e-12), (means, se)  # the elapsed bin: 0 in both
    assert se.max() < 0.01  # tight enough for the comparison to mean something
    # Evidence moved the answer: the ordered question's elapsed first bin has next to nothing left.
    assert means[1][0] < 0.01 and means[1][3] > 0.375 + 0.05  # pair o0: prior mean 1.5/4, a ratio of 4 for it


NO_PYTENSOR = """
import sys
from datetime import UTC, datetime
from forecasts.bayes.model import posterior_batch
from forecasts.probabilities import Link
from forecasts.questions import Question
t0, t1 = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
q = Question(id="c", title="c", type="categorical", outcomes=("a", "b", "c"), resolution_criteria="x",
             opens_at=t0, closes_at=t1, resolves_by=t1, prior={"kind": "dirichlet", "alpha": [1.0, 2.0, 3.0]})
links = {"c": [Link(1, "c", "a", 0.7, 0.3, 1.0, t0, t0, "s")]}
(res,) = posterior_batch([q], links, datetime(2026, 1, 1, tzinfo=UTC), draws=200, tune=200, chains=2)
print(res["method"], round(res["mean"]["a"], 1), sorted(m for m in ("pytensor", "pymc") if m in sys.modules))
"""


def test_a_categorical_posterior_needs_no_pymc_or_pytensor() -> None:
    out = subprocess.run([sys.executable, "-c", NO_PYTENSOR], capture_output=True, text=True, check=True).stdout
    method, mean, loaded = out.split(" ", 2)
    assert method == "pymc-nutpie" and 0.1 < float(mean) < 0.6
    assert loaded.strip() == "[]"  # no PyTensor graph to build or compile, no PyMC import
