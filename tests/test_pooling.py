"""Pooling methods against published reference values (FRI aggutils, Metaculus), the standing-forecast panel,
learned pools without look-ahead, and the backtest's bootstrap and choice."""

from __future__ import annotations

import learned_reference
import numpy as np
import pytest
from pooling_sim import simulate

from forecasts.pooling import backtest, learned
from forecasts.pooling import methods as m
from forecasts.pooling.panel import build_panel

# FRI aggutils, tests/testthat/test-agg.R: the shared test vector (its functions are scale-free except Neyman).
AGGUTILS = np.array([0.1] * 5 + [0.2] * 5 + [0.4] * 5 + [0.5] * 2 + [0.8, 0.9, 1.0])


def test_aggutils_trimmed_mean_reference_values():
    # "Untrimmed, the mean is .36. Trimmed, it's .31875."; trimming 25% from each end leaves .3.
    assert m.mean(AGGUTILS)[0] == pytest.approx(0.36)
    assert m.trimmed_mean(AGGUTILS)[0] == pytest.approx(0.31875)
    assert round(float(m.trimmed_mean(AGGUTILS)[0]), 2) == 0.32
    assert m.trimmed_mean(AGGUTILS, 0.25)[0] == pytest.approx(0.3)


def test_aggutils_complements_sum_to_one():
    """P(a) + P(not a) = 1 for trim, Neyman and hd_trim (test-agg.R), and for the geometric mean of odds."""
    for fn in (m.trimmed_mean, m.neyman, m.hd_trimmed_mean, m.median, m.geometric_mean_of_odds):
        assert fn(AGGUTILS)[0] + fn(1 - AGGUTILS)[0] == pytest.approx(1.0), fn.__name__
    assert m.geometric_mean_of_odds(np.array([0.7, 0.2, 0.1]))[0] + m.geometric_mean_of_odds(
        np.array([0.3, 0.8, 0.9]))[0] == pytest.approx(1.0)  # fmt: skip
    # the same from odds 3/1, 1/2, 5/2: their geometric mean is 15/4 ** (1/3)
    g = (3.0 * 0.5 * 2.5) ** (1 / 3)
    odds = np.array([3.0, 0.5, 2.5])
    assert m.geometric_mean_of_odds(odds / (1 + odds))[0] == pytest.approx(g / (1 + g))


def test_aggutils_hd_trim_and_soften_by_hand():
    # hd_trim, n = 20, p = 0.1: windows of 18 sorted values; [0.1 .. 0.8] is the narrowest (0.7): mean 5.3 / 18.
    assert m.hd_trimmed_mean(AGGUTILS)[0] == pytest.approx(5.3 / 18)
    # soften_mean: the mean 0.36 < 0.5, so R's x[ceiling(2):20] drops the lowest value: (7.2 - 0.1) / 19.
    assert m.soften_mean(AGGUTILS)[0] == pytest.approx(7.1 / 19)
    assert m.soften_mean(1 - AGGUTILS)[0] == pytest.approx((12.8 - 1.8) / 18)  # mean .64 > .5: x[1:floor(18)]
    spread = [f(AGGUTILS)[0] for f in (m.trimmed_mean, m.hd_trimmed_mean, m.neyman, m.geometric_mean_of_odds)]
    assert max(spread) / min(spread) < 10  # "Highest isn't more than 10x lowest"


def test_neyman_factor_tends_to_sqrt3():
    d = m.neyman_factor(np.array([1, 2, 3, 10_000]))
    assert d[0] == pytest.approx(1.0)
    assert d[1] == pytest.approx(2 * (np.sqrt(7) - 2))
    assert d[2] == pytest.approx(3 * (np.sqrt(19) - 2) / 5)
    assert d[3] == pytest.approx(np.sqrt(3), abs=1e-3)
    p = np.array([[0.7, 0.8]])
    assert m.neyman(p)[0] == pytest.approx(m.expit(d[1] * np.mean(m.logit(p))))


# Metaculus/metaculus, tests/unit/test_utils/test_the_math/test_aggregations.py (test_RecencyWeightedAggregation
# and test_UnweightedAggregation): forecast_values are [P(no), P(yes)], one user each, in start-time order.
METACULUS_RECENCY = [
    # (P(yes) by start time, centers, lower (25th), upper (75th), weighted mean of P(yes) or None)
    ([0.5], 0.5, 0.5, 0.5, None),
    ([0.8, 0.6], 0.7, 0.6, 0.8, None),
    ([0.8, 0.7, 0.6], 0.7, 0.6, 0.7, 0.6764978623159252),
    ([0.8, 0.7, 0.5, 0.6], 0.6, 0.5, 0.7, 0.6196126164947732),
]


@pytest.mark.parametrize(("yes", "center", "lower", "upper", "weighted_mean"), METACULUS_RECENCY)
def test_metaculus_recency_weighted_reference_values(yes, center, lower, upper, weighted_mean):
    p = np.array([yes, [1 - v for v in yes]])  # P(yes) and P(no) rows: both columns of their test
    order = np.tile(np.arange(len(yes), dtype=float), (2, 1))
    assert m.metaculus_cp(p, order).tolist() == pytest.approx([center, 1 - center])
    assert m.metaculus_cp(p, order, 25.0)[0] == pytest.approx(lower)
    assert m.metaculus_cp(p, order, 75.0)[0] == pytest.approx(upper)
    assert m.metaculus_cp(p, order, 25.0)[1] == pytest.approx(1 - upper)  # their P(no) lower bound
    if weighted_mean is not None:
        assert np.average(yes, weights=m.recency_weights(len(yes))) == pytest.approx(weighted_mean)


def test_metaculus_weights_and_unweighted_reference():
    # their histogram for three forecasts carries the weights e^(sqrt(k) - sqrt(3)) of the two older ones
    assert m.recency_weights(3).tolist() == pytest.approx([0.48092170020263214, 0.7277212189012763, 1.0])
    assert m.recency_weights(2).tolist() == [1.0, 1.0]  # Metaculus: no weights for two or fewer
    # unweighted (test_UnweightedAggregation): P(yes) 0.9, 0.7, 0.6 -> center 0.7, bounds 0.6 and 0.9
    yes = np.array([[0.9, 0.7, 0.6]])
    ones = np.ones((1, 3))
    assert m.weighted_percentile(yes, ones, 50.0)[0] == pytest.approx(0.7)
    assert m.weighted_percentile(yes, ones, 25.0)[0] == pytest.approx(0.6)
    assert m.weighted_percentile(yes, ones, 75.0)[0] == pytest.approx(0.9)


def test_recency_matrix_places_metaculus_weights_by_latest_time():
    latest = np.array([[3.0, np.nan, 1.0, 2.0], [5.0, 4.0, np.nan, np.nan]])
    w = m.recency_matrix(latest)
    assert w[0].tolist() == pytest.approx([1.0, 0.0, *m.recency_weights(3)[:2]])
    assert w[1].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_metaculus_order_is_by_latest_forecast_not_column():
    # the same values, the newest forecast now in column 0: it gets the top weight and moves the median
    p = np.array([[0.6, 0.8, 0.7, 0.5]])
    assert m.metaculus_cp(p, np.array([[4.0, 1.0, 2.0, 3.0]]))[0] == pytest.approx(0.6)
    assert m.metaculus_cp(p, np.array([[1.0, 4.0, 3.0, 2.0]]))[0] == pytest.approx(0.7)


def test_row_methods_ignore_missing_and_group_by_count():
    p = np.array([[0.2, np.nan, 0.6, np.nan], [0.1, 0.3, 0.9, 0.5], [np.nan] * 4])
    assert m.median(p)[:2].tolist() == pytest.approx([0.4, 0.4])
    assert np.isnan(m.median(p)[2])
    assert m.trimmed_mean(p)[:2].tolist() == pytest.approx([0.4, 0.45])
    w = np.array([1.0, 1.0, 1.0, 1.0])
    assert m.weighted_pool(p, w)[:2] == pytest.approx(m.geometric_mean_of_odds(p)[:2])


def test_panel_forward_fills_within_a_question_only():
    # q0: f0 .2 @0, f1 .6 @1, f0 .4 @2 and again .45 @2 (later wins); q1: f2 .9 @5; q0 ends at 10
    panel = build_panel(np.array([0, 0, 0, 0, 1]), np.array([0, 1, 0, 0, 2]), np.array([0, 1, 2, 2, 5.0]),
                        np.array([0.2, 0.6, 0.4, 0.45, 0.9]), np.array([10, 8.0]), np.array([1.0, 0.0]),
                        np.array([10, 8.0]))  # fmt: skip
    assert panel.row_q.tolist() == [0, 0, 0, 1]
    assert panel.duration.tolist() == [1, 1, 8, 3]
    assert panel.n_people.tolist() == [2, 1]
    values = backtest.method_values(panel, "median")
    assert values.tolist() == pytest.approx([0.2, 0.4, 0.525, 0.9])
    scores = backtest.question_scores(panel, values)
    assert scores["brier"][0] == pytest.approx((0.8**2 + 0.6**2 + 8 * 0.475**2) / 10)
    assert scores["brier_close"].tolist() == pytest.approx([0.475**2, 0.81])
    # the flat forecasts the learned pools update from: f0's .45 replaced its .2 (the .4 at the same instant lost)
    assert panel.fc_p.tolist() == [0.2, 0.6, 0.45, 0.9] and panel.fc_row.tolist() == [0, 1, 2, 3]
    assert panel.fc_prev.tolist() == [-1, -1, 0, -1] and panel.fc_last.tolist() == [False, True, True, True]
    arrival = np.exp(np.sqrt([1, 2, 3, 1]) - np.sqrt([3, 3, 3, 1]))  # Metaculus's shape by arrival order
    assert panel.fc_recency.tolist() == pytest.approx(arrival.tolist())
    assert panel.groups[-1].fc.tolist() == [[0, -1], [0, 1], [2, 1]]


def test_forecasts_at_or_after_the_end_are_not_pooled():
    panel = build_panel(np.array([0, 0]), np.array([0, 1]), np.array([0.0, 5.0]), np.array([0.3, 0.9]),
                        np.array([5.0]), np.array([1.0]), np.array([5.0]))  # fmt: skip
    assert backtest.method_values(panel, "mean").tolist() == [0.3]


def test_learned_pools_never_look_ahead():
    """Flipping the outcomes known at or after time T changes no pooled value before T."""
    panel = simulate(n_q=300, seed=4)
    cut = 10.0 * 150 + 8  # question 150 resolves at cut
    before = panel.row_t <= cut
    flipped = simulate(n_q=300, seed=4)
    later = flipped.known >= cut
    flipped.y[later] = 1 - flipped.y[later]
    for method in ("skill", "learned"):
        a, b = backtest.method_values(panel, method), backtest.method_values(flipped, method)
        assert np.array_equal(a[before], b[before]), method
        assert not np.allclose(a[~before], b[~before]), method  # the later fits do use the flipped outcomes


def _pool_by_rows(panel, fits, recalibrate: bool) -> np.ndarray:
    """The learned pools computed row by row from the standing-forecast matrices (no running sums)."""
    out = np.full(panel.n_rows, np.nan)
    for g in panel.groups:
        c = fits.at(panel.row_t[g.rows])
        who = np.maximum(g.who, 0)
        w = fits.weight[c[:, None], who] * np.where(g.fc >= 0, panel.fc_recency[np.maximum(g.fc, 0)], 0.0)
        crowd = m.counts(g.p) >= 2
        if recalibrate:
            a, b = fits.a[c[:, None], who], fits.b[c[:, None], who]
            out[g.rows] = m.weighted_pool(g.p, w, a, b, np.where(crowd, fits.d_learned[c], 1.0))
        else:
            out[g.rows] = m.weighted_pool(g.p, w, d=np.where(crowd, fits.d_skill[c], 1.0))
    return out


@pytest.mark.parametrize("recalibrate", [False, True])
@pytest.mark.parametrize("per_q, people", [(9, 15), (60, 40)])  # 40: more standing than the pool's first slots
def test_learned_pool_running_sums_match_a_row_by_row_pool(recalibrate, per_q, people):
    """Updated forecast by forecast (with restarts where a checkpoint changes mid-question), the pool equals
    the pool of every row's standing forecasts; people here update their forecasts and share instants."""
    rng = np.random.default_rng(3)
    n_q = 120
    q = np.repeat(np.arange(n_q), per_q)
    f = rng.integers(0, people, len(q))  # repeats: updates by the same person
    t = q * 5.0 + rng.integers(0, 12, len(q))  # questions overlap; instants shared
    p = rng.uniform(0.02, 0.98, len(q))
    end = np.arange(n_q) * 5.0 + 12
    y = (rng.random(n_q) < 0.4).astype(float)
    panel = build_panel(q, f, t, p, end, y, end.copy(), people)
    fits = learned.fit(panel)
    assert panel.n_people.max() > 16 or people < 16
    c = fits.at(panel.row_t)
    assert np.any((c[1:] != c[:-1]) & (panel.row_q[1:] == panel.row_q[:-1]))  # restarts are exercised
    assert np.any(panel.fc_prev >= 0)
    fast = learned.apply(panel, fits, recalibrate)
    assert fast == pytest.approx(_pool_by_rows(panel, fits, recalibrate), abs=1e-9)


def _updating_panel(seed: int, n_q: int = 150, unresolved: bool = False):
    """Questions overlapping in time, people updating their forecasts and sharing instants; some questions
    unresolved or resolved to a probability when asked."""
    rng = np.random.default_rng(seed)
    per_q = rng.integers(1, 12, n_q)
    q = np.repeat(np.arange(n_q), per_q)
    f = rng.integers(0, 25, len(q))
    t = q * 5.0 + rng.integers(0, 12, len(q))
    p = rng.uniform(0.01, 0.99, len(q))
    end = np.arange(n_q) * 5.0 + 12
    y = (rng.random(n_q) < 0.4).astype(float)
    if unresolved:
        y[rng.random(n_q) < 0.1] = np.nan
        y[rng.random(n_q) < 0.05] = 0.3
    known = np.where(np.isnan(y), np.inf, end + rng.integers(0, 20, n_q))
    return build_panel(q, f, t, p, end, y, known, 25)


@pytest.mark.parametrize("case", ["uneven crowd", "updates", "unresolved, min crowd 3", "few checkpoints"])
def test_compiled_fit_matches_the_numpy_reference(case):
    """The compiled fit (fit_kernels) gives the straightforward numpy fit's every fitted value, and so its
    pools, within 1e-9."""
    panel, kw = {
        "uneven crowd": (simulate(n_q=400, seed=5), {}),
        "updates": (_updating_panel(6), {}),
        "unresolved, min crowd 3": (_updating_panel(7, unresolved=True), {"min_crowd": 3}),
        "few checkpoints": (simulate(n_q=120, seed=8), {"max_checkpoints": 7}),
    }[case]
    fast, ref = learned.fit(panel, **kw), learned_reference.fit(panel, **kw)
    assert len(fast.times) > 5
    assert np.array_equal(fast.times, ref.times) and np.array_equal(fast.trained_on, ref.trained_on)
    assert np.array_equal(fast.temperature, ref.temperature)
    for name in ("weight", "a", "b", "d_skill", "d_learned"):
        assert getattr(fast, name) == pytest.approx(getattr(ref, name), abs=1e-9, rel=1e-9), name
    assert np.ptp(fast.a[-1]) > 0.1 and np.ptp(fast.d_skill) > 0.01  # the fits moved: the comparison has teeth
    for recalibrate in (False, True):
        assert learned.apply(panel, fast, recalibrate) == pytest.approx(learned.apply(panel, ref, recalibrate),
                                                                        abs=1e-9, nan_ok=True)  # fmt: skip


def test_learned_fits_use_past_questions_only():
    panel = simulate(n_q=200, seed=2)
    fits = learned.fit(panel)
    for c in range(1, len(fits.times)):
        assert fits.trained_on[c] == np.sum(panel.known <= fits.times[c])
    assert np.all(fits.at(panel.row_t) < np.searchsorted(fits.times, panel.row_t, side="left"))
    assert np.all((fits.d_skill >= learned.D_CAP[0]) & (fits.d_skill <= learned.D_CAP[1]))


def test_learned_pool_learns_on_an_uneven_crowd():
    """On a crowd where a third see the truth well and half are over-confident, the learned pools, which start
    as the plain geometric mean of odds, end far below it, and below the median over time."""
    panel = simulate()
    result = backtest.run(panel, seed=0)
    rows = {r["method"]: r for r in result["methods"]}
    assert rows["learned"]["brier"] < rows["median"]["brier"] - 0.008
    assert rows["learned"]["brier"] < rows["geometric"]["brier"] - 0.015
    assert rows["skill"]["brier_close"] < rows["geometric"]["brier_close"] - 0.01
    scored = ~np.isnan(panel.y)
    gap = [backtest.question_scores(panel, backtest.method_values(panel, meth))["brier"][scored]
           for meth in ("learned", "geometric")]  # fmt: skip
    lo, hi = backtest.bootstrap_interval((gap[0] - gap[1])[:, None])
    assert hi[0] < 0  # better than the pool it starts from, beyond the noise
    assert result["last_fit"]["temperature"] < np.inf and result["last_fit"]["d_skill"] < 1  # weights, tamed


def test_bootstrap_is_seeded_and_brackets_the_mean():
    rng = np.random.default_rng(0)
    diffs = rng.normal(-0.01, 0.05, (400, 2))
    lo, hi = backtest.bootstrap_interval(diffs, seed=7)
    lo2, hi2 = backtest.bootstrap_interval(diffs, seed=7)
    assert np.array_equal(lo, lo2) and np.array_equal(hi, hi2)
    assert np.all(lo < diffs.mean(axis=0)) and np.all(diffs.mean(axis=0) < hi)
    # the half-width is close to 1.96 standard errors
    assert (hi - lo)[0] / 2 == pytest.approx(1.96 * diffs[:, 0].std() / 20, rel=0.15)


def test_favoured_needs_an_interval_below_zero():
    base = {"n_questions": 50, "brier": 0.2, "diff": 0.0, "diff_lo": 0.0, "diff_hi": 0.0}
    rows = [{**base, "method": "median"}, {**base, "method": "mean", "brier": 0.19, "diff": -0.01,
            "diff_lo": -0.02, "diff_hi": 0.001}]  # fmt: skip
    assert backtest.favoured(rows)[0] == "median"
    rows.append({**base, "method": "neyman", "brier": 0.195, "diff": -0.005, "diff_lo": -0.008, "diff_hi": -0.001})
    assert backtest.favoured(rows)[0] == "neyman"
    few = [{**r, "n_questions": backtest.MIN_QUESTIONS - 1} for r in rows]  # too few for an interval to mean much
    choice, why = backtest.favoured(few)
    assert choice == "median" and "fewer than" in why
