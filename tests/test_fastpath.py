"""The closed-form update against hand-computed log-odds values."""

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasts.bayes.fastpath import binary_update, categorical_update, expit, logit, remaining_probability


def test_binary_update_matches_hand_computed_log_odds():
    # logit(0.3) + 1.0*ln 3 + 0.5*ln 0.5 = -0.8472979 + 1.0986123 - 0.3465736 = -0.0952592
    p = binary_update(0.3, [math.log(3), math.log(0.5)], [1.0, 0.5])
    assert p == pytest.approx(expit(-0.0952592), abs=1e-7)
    assert p == pytest.approx(0.4762038, abs=1e-6)


def test_no_evidence_returns_prior_and_zero_reliability_is_no_information():
    assert binary_update(0.27, [], []) == pytest.approx(0.27)
    assert binary_update(0.27, [math.log(50)], [0.0]) == pytest.approx(0.27)


def test_deadline_decay_constant_hazard():
    t0, t_end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 11, tzinfo=UTC)  # 100 days
    half = datetime(2025, 2, 20, tzinfo=UTC)  # day 50
    # λ = ln 2 / 100; remaining 50 days: 1 - exp(-λ·50) = 1 - 0.5**0.5
    assert remaining_probability(0.5, t0, t_end, half) == pytest.approx(1 - 0.5**0.5, abs=1e-9)
    assert remaining_probability(0.5, t0, t_end, t0) == pytest.approx(0.5)
    assert remaining_probability(0.5, t0, t_end, t_end) < 1e-6


def test_categorical_update_hand_computed():
    post = categorical_update([0.5, 0.3, 0.2], np.array([[0.0, math.log(2), 0.0]]), [1.0])
    assert post == pytest.approx([0.5 / 1.3, 0.6 / 1.3, 0.2 / 1.3])


@given(st.floats(0.001, 0.999), st.lists(st.tuples(st.floats(-5, 5), st.floats(0, 1)), max_size=20))
def test_update_is_order_invariant_and_additive_in_log_odds(prior, items):
    lrs, rs = [x for x, _ in items], [r for _, r in items]
    forward = binary_update(prior, lrs, rs)
    backward = binary_update(prior, lrs[::-1], rs[::-1])
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-12)
    expected = logit(prior) + sum(x * r for x, r in items)
    assert logit(forward) == pytest.approx(expected, abs=1e-6) or abs(expected) > 20


def test_time_bins_lose_their_elapsed_share():
    from forecasts.bayes.fastpath import bin_remaining_fractions

    t = lambda d: datetime(2025, 1, d, tzinfo=UTC)  # noqa: E731
    # bins [1, 11), [11, 21), [21, ∞): at day 6 half of the first bin has passed without the event
    assert list(bin_remaining_fractions(t(1), [t(11), t(21)], t(6))) == pytest.approx([0.5, 1.0, 1.0])
    assert list(bin_remaining_fractions(t(1), [t(11), t(21)], t(16))) == pytest.approx([0.0, 0.5, 1.0])
