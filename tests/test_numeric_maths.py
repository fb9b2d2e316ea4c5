"""Numeric and date questions: the axis, the 201-point CDF and the scores reproduce Metaculus's own test values.

Reference values are copied from Metaculus/metaculus (BSD-2-Clause): tests/unit/test_utils/test_the_math/
test_formulas.py (bucket indices, log-axis locations, quartiles from a CDF) and tests/unit/test_scoring/
test_score_math.py (continuous baseline scores, geometric means, peer coverage); the CDF rules come from
questions/serializers/common.py and the percentile-table builder from front_end/src/utils/forecasts/dataset.ts.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from forecasts.errors import ForecastsError
from forecasts.numeric import kalman
from forecasts.numeric.cdf import (
    MAX_STEP,
    MIN_STEP,
    cdf_from_percentiles,
    check_cdf,
    pmf,
    ppf,
    quantile,
    standardize_cdf,
)
from forecasts.numeric.scale import Scale
from forecasts.numeric.scores import (
    Standing,
    baseline_accuracy,
    baseline_spot,
    crps,
    geometric_means,
    grid,
    log_scores_batch,
    outcome_bucket,
    peer_accuracy,
    peer_spot,
    pit_calibration,
    pit_values,
)

NUMERIC = Scale(0, 200)  # test_formulas.py numeric_details
LOG = Scale(1, 1e10, zero_point=0)  # logarithmic_details
DATE = Scale(datetime(2020, 1, 1, tzinfo=UTC).timestamp(), datetime(2020, 12, 31, tzinfo=UTC).timestamp(), is_date=True)
DAY = 86400.0


def bucket(scale: Scale, text: str) -> int:
    return outcome_bucket(scale, text if text in ("below", "above") else scale.parse_value(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("below", 0), ("-2", 0), ("-0.001", 0), ("0", 1), ("0.001", 1), ("0.999", 1), ("1", 1), ("1.001", 2),
     ("1.999", 2), ("2.0", 2), ("100", 100), ("100.001", 101), ("199.001", 200), ("200", 200), ("200.001", 201),
     ("above", 201)],
)  # fmt: skip
def test_bucket_index_numeric(text: str, expected: int) -> None:
    """test_formulas.py::test_string_location_to_bucket_index, numeric rows."""
    assert bucket(NUMERIC, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2019-12-31", 0), ("2020-01-01", 1), ("2020-01-02", 1), ("2020-01-03", 2), ("2020-06-30", 100),
     ("2020-12-29", 199), ("2020-12-30", 200), ("2020-12-31", 200), ("2021-01-01", 201)],
)  # fmt: skip
def test_bucket_index_date(text: str, expected: int) -> None:
    """test_formulas.py::test_string_location_to_bucket_index, date rows (UTC here; Metaculus's test uses naive)."""
    assert bucket(DATE, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("0.999", 0), ("1", 1), ("1e5", 100), ("1e10", 200), ("10000000001", 201)]
)
def test_bucket_index_log(text: str, expected: int) -> None:
    """test_formulas.py::test_string_location_to_bucket_index, logarithmic rows."""
    assert bucket(LOG, text) == expected


@pytest.mark.parametrize(("u", "expected"), [(0, 1e0), (0.1, 1e1), (0.2, 1e2), (0.5, 1e5), (1, 1e10)])
def test_log_axis(u: float, expected: float) -> None:
    """test_formulas.py::test_unscaled_location_to_scaled_location (log rows), and back."""
    assert round(LOG.scale(u), 7) == expected
    assert LOG.unscale(expected) == pytest.approx(u, abs=1e-12)


@pytest.mark.parametrize(
    ("cdf", "expected"),
    [([0, 0.5, 1], [50, 100, 150]), ([0] * 200 + [1], [199.25, 199.50, 199.75]),
     (list(np.linspace(0, 1, 201)), [50, 100, 150])],
)  # fmt: skip
def test_quartiles_from_cdf(cdf: list[float], expected: list[float]) -> None:
    """test_formulas.py::test_get_scaled_quartiles_from_cdf."""
    assert [round(quantile(cdf, NUMERIC, p), 7) for p in (25, 50, 75)] == expected


def test_ppf_docstring_values() -> None:
    """utils/the_math/measures.py percent_point_function's documented example."""
    assert [ppf([0.1, 0.5, 0.9], p) for p in (10, 50, 90)] == [0.0, 0.5, 1.0]


def f(v: float, s: float = 0, e: float | None = None) -> Standing:
    return Standing(s * DAY, None if e is None else e * DAY, v)


@pytest.mark.parametrize(
    ("cdf", "where", "expected"),
    [
        (list(np.linspace(0, 1, 201)), (150, 0), 0.0),
        (list(np.linspace(0.05, 0.95, 201)), (150, 2), 0.0),
        ([0, math.e / 2, 1], (1, 0), 50.0),
        ([0, 1 / (math.e * 2), 1], (1, 0), -50.0),
    ],
)
def test_continuous_baseline_matches_metaculus(cdf: list[float], where: tuple[int, int], expected: float) -> None:
    """test_score_math.py::test_evaluate_forecasts_baseline_accuracy and ..._spot_forecast, numeric rows
    (where = the resolution bucket and the number of open bounds)."""
    b, ob = where
    p = pmf(cdf)[b]
    buckets = len(cdf) + 1
    [acc] = baseline_accuracy([f(p)], b, ob, 0, 10 * DAY, 10 * DAY, buckets)
    [spot] = baseline_spot([f(p)], b, ob, 10 * DAY, buckets)
    assert round(acc.score, 8) == round(expected, 8) and acc.coverage == 1
    assert round(spot.score, 8) == round(expected, 8)
    assert log_scores_batch(np.array([cdf]), np.array([b]), np.array([ob]))[0] == pytest.approx(expected, abs=1e-8)


def test_baseline_coverage_rows() -> None:
    """test_score_math.py coverage rows: a forecast from day 3 covers 0.7; ending on day 3, 0.3; early close."""
    p = math.e / 2 / 100
    assert [s.coverage for s in baseline_accuracy([f(p, 3), f(p, e=3), f(p, 5, 8)], 1, 0, 0, 10 * DAY, 10 * DAY)] == [
        pytest.approx(0.7), pytest.approx(0.3), pytest.approx(0.3)]  # fmt: skip
    assert baseline_accuracy([f(p, 5)], 1, 0, 0, 5 * DAY, 10 * DAY)[0].coverage == 0


def test_geometric_mean_of_numeric_forecasts() -> None:
    """test_score_math.py::test_get_geometric_means, numeric row: pmf [0.36342412, 0.18171206, 0.18171206, 0.2]."""
    cdfs = [[0.2, 0.5, 0.8], [0.4, 0.6, 0.8], [0.6, 0.7, 0.8]]
    expected = [0.36342412, 0.18171206, 0.18171206, 0.2]
    for b, want in enumerate(expected):
        [gm] = geometric_means([f(pmf(c)[b]) for c in cdfs])
        assert round(gm.p, 8) == want and gm.n == 3


def test_peer_scores_match_metaculus_coverage_and_maths() -> None:
    """test_score_math.py::test_evaluate_forecasts_peer_accuracy: coverage of [F(e=5), F(s=5), F(s=2)] is
    0.5, 0.5, 0.8; two forecasters p=0.1 and 0.9 score ±100 ln 9 (halved for continuous questions)."""
    cov = peer_accuracy([f(0.5, e=5), f(0.5, 5), f(0.5, 2)], 0, 10 * DAY, 10 * DAY)
    assert [round(s.coverage, 8) for s in cov] == [0.5, 0.5, 0.8]
    a, b = peer_accuracy([f(0.1), f(0.9)], 0, 10 * DAY, 10 * DAY)
    assert a.score == pytest.approx(100 * math.log(0.1 / 0.9) / 2) and b.score == pytest.approx(50 * math.log(9))
    three = peer_accuracy([f(0.1), f(0.5), f(0.9, 5)], 0, 10 * DAY, 10 * DAY, continuous=False)
    gm = math.sqrt(0.5 * 0.9)
    assert three[0].score == pytest.approx(100 * (0.5 * math.log(0.1 / 0.5) + 0.5 * math.log(0.1 / gm)))
    assert three[2].score == pytest.approx(100 * 0.5 * math.log(0.9 / math.sqrt(0.05))) and three[2].coverage == 0.5
    spot = peer_spot([f(0.1), f(0.9)], 10 * DAY)
    assert spot[1].score == pytest.approx(50 * math.log(9))


# --- the percentile table and Metaculus's CDF rules ------------------------------------------------------------


def test_percentile_table_passes_through_the_typed_values() -> None:
    """The hydrated table (Metaculus's hydrateQuantiles) keeps each typed percentile exactly."""
    scale = Scale(0, 40, open_upper_bound=True)
    cdf = cdf_from_percentiles(scale, {10: 18.0, 50: 19.5, 90: 21.0})
    check_cdf(cdf, scale)
    assert cdf[0] == 0.0 and cdf[-1] <= 0.999
    assert [round(quantile(cdf, scale, p), 9) for p in (10, 50, 90)] == [18.0, 19.5, 21.0]


def test_percentile_on_grid_is_kept_as_is() -> None:
    """A percentile on a grid point stays a knot: closed range 0-200, p50 at 100 gives cdf[100] = 0.5 exactly,
    piecewise linear to 0 and 1 at the ends."""
    cdf = cdf_from_percentiles(NUMERIC, {25: 50.0, 50: 100.0, 75: 150.0})
    assert cdf[0] == 0 and cdf[50] == 0.25 and cdf[100] == 0.5 and cdf[150] == 0.75 and cdf[200] == 1
    assert cdf[25] == pytest.approx(0.125)


def test_log_axis_table_is_linear_in_the_location() -> None:
    """On a log axis, the table is piecewise linear in the unscaled location (front end: on the log axis)."""
    cdf = cdf_from_percentiles(LOG, {25: 1e2, 50: 1e5, 75: 1e7})  # locations 0.2, 0.5, 0.7: all grid points
    assert cdf[40] == 0.25 and cdf[100] == 0.5 and cdf[140] == 0.75
    assert cdf[20] == pytest.approx(0.125)


def test_date_percentiles() -> None:
    scale = Scale(DATE.range_min, DATE.range_max, open_upper_bound=True, is_date=True)
    cdf = cdf_from_percentiles(scale, {25: scale.parse_value("2020-04-01"), 75: scale.parse_value("2020-09-01")},
                               above=10)  # fmt: skip
    assert cdf[-1] == pytest.approx(0.9)
    assert scale.show(quantile(cdf, scale, 25)) == "2020-04-01"


@pytest.mark.parametrize(
    ("table", "kwargs", "rule"),
    [
        ({50: 19.0}, {}, "at least two"),
        ({10: 20.0, 50: 19.0}, {}, "must increase"),
        ({10: -1.0, 90: 21.0}, {}, "lower bound is closed"),
        ({10: 18.0, 11: 18.001}, {}, "at most 0.2"),
        ({10: 18.0, 90: 21.0}, {"below": 5}, "closed"),
        ({10: 18.0, 90: 21.0}, {"above": 0.01}, "from 0.1"),
    ],
)
def test_table_refusals_name_the_rule(table: dict, kwargs: dict, rule: str) -> None:
    scale = Scale(0, 40, open_upper_bound=True)
    with pytest.raises(ForecastsError, match=rule):
        cdf_from_percentiles(scale, table, **kwargs)


def test_check_cdf_rules() -> None:
    """questions/serializers/common.py: min step 0.01/200 = 5e-05, max step 0.2, open ends >= 0.001 from 0/1,
    closed ends exactly 0 and 1."""
    assert MIN_STEP == 5e-05 and MAX_STEP == 0.2
    closed, both_open = Scale(0, 1), Scale(0, 1, open_lower_bound=True, open_upper_bound=True)
    good = [i / 200 for i in range(201)]
    check_cdf(good, closed)
    flat = good[:100] + [good[99] + 4e-5] + [x + 4e-5 for x in good[101:]]
    with pytest.raises(ForecastsError, match="at least 5e-05"):
        check_cdf(flat, closed)
    with pytest.raises(ForecastsError, match="start at exactly 0"):
        check_cdf([x * 0.99 + 0.005 for x in good], closed)
    with pytest.raises(ForecastsError, match="at least 0.001 must lie below"):
        check_cdf([x * 0.99 + 0.0005 for x in good], both_open)
    check_cdf([x * 0.99 + 0.005 for x in good], both_open)
    with pytest.raises(ForecastsError, match="201 values"):
        check_cdf(good[:-1], closed)


def test_standardize_makes_any_cdf_valid() -> None:
    """The front end's standardizeCdf: a step CDF (all mass in one bucket) comes out within every rule."""
    for scale in (Scale(0, 1), Scale(0, 1, open_lower_bound=True, open_upper_bound=True)):
        step = [0.0] * 100 + [1.0] * 101
        out = standardize_cdf(step, scale)
        check_cdf(out, scale)
        assert max(b - a for a, b in zip(out, out[1:], strict=False)) <= 0.2 + 1e-9


# --- CRPS and PIT --------------------------------------------------------------------------------------------


def test_crps_matches_numeric_integration() -> None:
    scale = Scale(0, 40)
    cdf = np.array(cdf_from_percentiles(scale, {10: 18.0, 50: 19.5, 90: 21.0}))
    xs = grid(scale)
    fine = np.linspace(0, 40, 400_001)
    for y in (10.0, 19.3, 19.5, 25.0):
        heavi = (fine >= y).astype(float)
        want = np.trapezoid((np.interp(fine, xs, cdf) - heavi) ** 2, fine)
        assert crps(cdf[None, :], np.array([y]), xs)[0] == pytest.approx(want, rel=1e-4)


def test_crps_is_zero_for_a_point_forecast_at_the_outcome_and_proper() -> None:
    scale = Scale(0, 1)
    xs = grid(scale)
    point = np.where(xs >= 0.5, 1.0, 0.0)  # all mass in the bucket just below 0.5, spread linearly over it
    assert crps(point[None, :], np.array([0.5]), xs)[0] == pytest.approx((1 / 200) / 3)
    assert crps(point[None, :], np.array([0.25]), xs)[0] == pytest.approx((0.495 - 0.25) + (1 / 200) / 3)
    # propriety: against outcomes drawn from a forecast, that forecast scores better than a shifted one
    rng = np.random.default_rng(1)
    ys = rng.uniform(0.3, 0.7, 2000)
    truth = np.clip((xs - 0.3) / 0.4, 0, 1)
    shifted = np.clip((xs - 0.4) / 0.4, 0, 1)
    assert crps(np.tile(truth, (2000, 1)), ys, xs).mean() < crps(np.tile(shifted, (2000, 1)), ys, xs).mean()


def test_pit_is_uniform_for_calibrated_forecasts() -> None:
    rng = np.random.default_rng(0)
    u = np.linspace(0, 1, 201)
    cdf = np.tile(u, (500, 1))  # uniform forecasts
    pits = pit_values(cdf, rng.uniform(0, 1, 500))
    good = pit_calibration(pits)
    bad = pit_calibration(pit_values(cdf, rng.uniform(0.4, 0.6, 500)))
    assert sum(good["histogram"]) == 500 and good["ks_pvalue"] > 0.01 and bad["ks_pvalue"] < 1e-6


# --- the local-level model's closed form ---------------------------------------------------------------------


def test_kalman_random_walk_known_values() -> None:
    """Prior N(10, 2^2); one reading 12 +- 1 at the start: posterior mean 10 + 4/5 * 2 = 11.6, var 0.8; then
    100 days of a walk with step sd 0.1 per sqrt(day) and drift 0.01/day: mean 12.6, var 0.8 + 1."""
    prior = {"kind": "normal", "mean": 10.0, "sd": 2.0, "step_sd": 0.1, "drift": 0.01}
    dist = kalman.forecast(prior, 0.0, 100 * DAY, [kalman.Observation(0.0, 12.0, 1.0)])
    assert dist.mean == pytest.approx(12.6) and dist.variance == pytest.approx(1.8)


def test_kalman_uncertain_drift_learns_the_trend() -> None:
    """Readings rising 0.1 a day teach an uncertain drift its slope."""
    prior = {"kind": "normal", "mean": 0.0, "sd": 1.0, "drift": 0.0, "drift_sd": 1.0, "step_sd": 0.01}
    obs = [kalman.Observation(d * DAY, 0.1 * d, 0.05) for d in range(30)]
    b = kalman.filtered(prior, 0.0, obs)
    assert b.mean[1] == pytest.approx(0.1, abs=0.01)


def test_fast_linear_crps_equals_the_general_one() -> None:
    from forecasts.numeric.scores import crps_linear

    rng = np.random.default_rng(3)
    raw = np.cumsum(rng.uniform(0.001, 1, (200, 201)), axis=1)
    cdfs = raw / raw[:, -1:] * rng.uniform(0.9, 1, (200, 1))
    ys = rng.uniform(-5, 45, 200)  # some beyond the range
    scale = Scale(0, 40)
    assert np.allclose(crps_linear(cdfs, ys, 0, 40), crps(cdfs, ys, grid(scale)), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("lo_open", [False, True])
@pytest.mark.parametrize("hi_open", [False, True])
def test_a_narrow_model_cdf_is_always_made_valid(lo_open, hi_open):
    """The model's CDF (a normal evaluated on the grid) passes Metaculus's rules however narrow: the cap's
    bisection used to leave steps of 0.2000001 (5 of 180 of these cases), and the evidence that made such a CDF
    was refused with it."""
    from statistics import NormalDist

    from forecasts.numeric.cdf import cdf_from_distribution, grid_values

    scale = Scale(10, 30, lo_open, hi_open)
    for sd in (0.001, 0.01, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3):
        for mu in (10.0, 15.03, 20.0, 21.61, 29.9):
            dist = NormalDist(mu, sd)
            check_cdf(cdf_from_distribution([dist.cdf(x) for x in grid_values(scale)], scale), scale)


@pytest.mark.parametrize(
    "scale",
    [Scale(0, 40), Scale(0, 40, open_lower_bound=True, open_upper_bound=True), Scale(1, 1000, zero_point=0.0),
     Scale(1.7e9, 1.8e9, open_upper_bound=True, is_date=True), Scale(5, 50, zero_point=60.0, open_lower_bound=True)],
)  # fmt: skip
def test_compiled_batch_scores_equal_the_numpy_ones(scale: Scale) -> None:
    """forecasts.numeric.bulk (one compiled pass a row, for the bench's million) gives the baseline score and the
    CRPS of scores.log_scores_batch / scores.crps, outcomes beyond the bounds and on grid points included."""
    from forecasts.numeric.bulk import batch_scores, locations
    from forecasts.numeric.scores import bucket_index, log_scores_batch

    rng = np.random.default_rng(5)
    raw = np.cumsum(rng.uniform(0.001, 1, (300, 201)), axis=1)
    lo_mass = 0.02 if scale.open_lower_bound else 0.0
    hi_mass = 0.03 if scale.open_upper_bound else 0.0
    cdfs = lo_mass + (raw - raw[:, :1]) / (raw[:, -1:] - raw[:, :1]) * (1 - lo_mass - hi_mass)
    us = np.concatenate([rng.uniform(-0.2, 1.2, 290), [0.0, 1.0, 0.5, 0.005, 0.995, 1 / 3, -0.5, 1.5, 0.25, 0.75]])
    us = np.clip(us, -np.inf if scale.open_lower_bound else 0, np.inf if scale.open_upper_bound else 1)
    ys = np.array([scale.scale(float(u)) for u in us])
    if scale.zero_point is not None:  # a log axis can put u beyond the range where no value lies: keep real ones
        ys = np.where(np.isfinite(ys), ys, scale.range_max)
    # resolved 'below' / 'above' without a value (beyond an open bound), else at the closed bound
    ys[-2:] = [-np.inf if scale.open_lower_bound else scale.range_min, np.inf if scale.open_upper_bound else
               scale.range_max]  # fmt: skip
    baseline, crps_values = batch_scores(cdfs, ys, scale)
    locs = locations(scale, ys)
    assert np.allclose(locs[:-2], [scale.unscale(float(y)) for y in ys[:-2]], rtol=0, atol=1e-9)
    buckets = np.array([bucket_index(float(u)) for u in locs])
    opens = np.full(len(ys), int(scale.open_lower_bound) + int(scale.open_upper_bound))
    assert np.allclose(baseline, log_scores_batch(cdfs, buckets, opens), rtol=1e-12, atol=1e-9)
    clipped = np.clip(ys, scale.range_min, scale.range_max)
    expected = crps(cdfs, clipped, grid(scale))
    assert np.allclose(crps_values, expected, rtol=1e-9, atol=1e-9 * scale.width)


def test_a_date_read_back_a_millisecond_short_shows_as_typed() -> None:
    """`forecast --p10 2027-09-01` on a date question: the percentile read back from the CDF (rounded to 10
    decimals) was 1819756799.9986, and showed as 2027-08-31."""
    day = Scale(1.7e9, 1.9e9, is_date=True)
    assert day.show(1819756799.9986188) == "2027-09-01" and day.show(1819756800.0009742) == "2027-09-01"
    assert day.show(1819756800 - 3600) == "2027-08-31"
