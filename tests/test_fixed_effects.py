"""Two-way fixed effects (ForecastBench's difficulty-adjusted Brier): exact on additive data, any design."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts.scoring import fixed_effects


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), nf=st.integers(2, 8), nq=st.integers(2, 12))
def test_additive_briers_give_back_each_forecasters_level(seed, nf, nq):
    # Brier_fq = a_f + b_q exactly, each forecaster answering a different (connected) subset of questions
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.05, 0.3, nf), rng.uniform(-0.05, 0.2, nq)
    pairs = {(f, f % nq) for f in range(nf)} | {(0, q) for q in range(nq)}  # forecaster 0 links everything
    pairs |= {(int(f), int(q)) for f, q in zip(rng.integers(0, nf, 3 * nf), rng.integers(0, nq, 3 * nf), strict=True)}
    f, q = np.array(sorted(pairs)).T
    adjusted = fixed_effects.adjusted_brier(f, q, a[f] + b[q], np.ones(len(f), dtype=bool))
    for who in range(nf):
        assert adjusted[who][0] == pytest.approx(a[who] + b.mean(), abs=1e-9)
        assert adjusted[who][1] == int((f == who).sum())


def test_balanced_design_equals_plain_means_and_outsiders_use_the_peoples_effects():
    brier = np.array([[0.1, 0.3], [0.2, 0.5]])  # 2 people × 2 questions, every pair answered
    f, q = np.repeat([0, 1], 2), np.tile([0, 1], 2)
    adjusted = fixed_effects.adjusted_brier(f, q, brier.ravel(), np.ones(4, dtype=bool))
    assert adjusted[0][0] == pytest.approx(0.2) and adjusted[1][0] == pytest.approx(0.35)
    # a model (not in the fit) answering only question 0 with 0.0: scored against that question's effect
    f2, q2 = np.append(f, 9), np.append(q, 0)
    y2, fit2 = np.append(brier.ravel(), 0.0), np.append(np.ones(4, dtype=bool), False)
    out = fixed_effects.adjusted_brier(f2, q2, y2, fit2)
    b0 = 0.15 - 0.275  # question 0's mean Brier minus the grand mean: its effect with mean(b) = 0
    assert out[9] == (pytest.approx(0.0 - b0), 1)
    assert out[0][0] == pytest.approx(0.2)  # the model leaves the people's fit unchanged
