"""Forecaster skill: parameter recovery of the hierarchical calibration model, summaries, verdicts, storage, CLI."""

from __future__ import annotations

import numpy as np
import pytest
from skill_history import build_history

from forecasts.bayes.fit_store import latest_run
from forecasts.bayes.skill import (
    MIN_QUESTIONS,
    dense_layout,
    expected_brier_draws,
    fit_calibration,
    interval,
    pick_sampler,
    resolved_binary_forecasts,
    simulate,
    skill_report,
    summarise,
    verdict,
)

N_FORECASTERS = 24


@pytest.fixture(scope="module")
def recovery():
    """24 simulated forecasters, 40 forecasts each from a pool of 2,000 questions; 2 chains x 500 tune + 1000 draws."""
    sim = simulate(N_FORECASTERS, 2000, 40, seed=5)
    fit = fit_calibration(sim.forecaster, sim.logit_p, sim.outcome, N_FORECASTERS, draws=1000, tune=500, seed=5)
    return sim, fit


def test_parameter_recovery(recovery):
    sim, fit = recovery
    hits = []
    for est, truth in ((fit.a, sim.a), (fit.b, sim.b)):
        lo, hi = interval(est)
        hits.extend((lo <= truth) & (truth <= hi))
    assert np.mean(hits) >= 0.75  # 90% intervals over 48 parameters
    assert fit.rhat_max < 1.01
    assert fit.ess_min > 100
    assert fit.divergences == 0
    # The posterior means track the truth.
    assert np.corrcoef(fit.b.mean(axis=0), sim.b)[0, 1] > 0.6


def test_every_sampler_gives_the_same_posterior_and_each_is_seeded(recovery):
    """ "auto" picks nutpie on PyTensor's cached numba gradient for team-size fits and nutpie's own compiled path for
    large ones; both match PyMC's own NUTS (within Monte Carlo error), and a seed reproduces each exactly."""
    sim, fit = recovery

    def run(sampler: str):
        return fit_calibration(sim.forecaster, sim.logit_p, sim.outcome, N_FORECASTERS, draws=1000, tune=500, seed=5,
                               nuts_sampler=sampler)  # fmt: skip

    fast, again, reference, python_again = run("nutpie"), run("nutpie"), run("pymc"), run("nutpie-python")
    assert fit.method == "nuts/nutpie-python" and fast.method == "nuts/nutpie" and reference.method == "nuts/pymc"
    assert fast.rhat_max < 1.01 and fast.divergences == 0
    np.testing.assert_array_equal(fast.b, again.b)
    np.testing.assert_array_equal(fit.b, python_again.b)
    for other in (fast, fit):
        se = np.sqrt(reference.b.var(axis=0) / 200 + other.b.var(axis=0) / 200)  # ESS well above 200 per parameter
        assert np.all(np.abs(other.b.mean(axis=0) - reference.b.mean(axis=0)) < 4 * se)
        se = np.sqrt(reference.a.var(axis=0) / 200 + other.a.var(axis=0) / 200)
        assert np.all(np.abs(other.a.mean(axis=0) - reference.a.mean(axis=0)) < 4 * se)
    assert pick_sampler(100_000) == "nutpie" and pick_sampler(960) == "nutpie-python"


def test_summary_rows(recovery):
    sim, fit = recovery
    names = [f"f{i:02d}" for i in range(N_FORECASTERS)]
    rows = summarise(fit, names, sim.forecaster, sim.logit_p, sim.question)
    assert [r["forecaster"] for r in rows] == names
    for r in rows:
        assert r["n_forecasts"] == 40 and r["n_questions"] == 40
        for key in ("slope", "bias", "expected_brier"):
            assert r[key]["lo"] <= r[key]["mean"] <= r[key]["hi"]
        assert 0 < r["expected_brier"]["mean"] < 0.25
    worst = int(np.argmin(sim.b))
    if fit.b[:, worst].max() < 1:
        assert rows[worst]["verdict"].startswith("over-confident")


def test_expected_brier_of_a_calibrated_forecaster():
    """a=0, b=1: the truth is p itself, so E[(p - y)^2] = p(1 - p) averaged."""
    p = np.array([0.1, 0.5, 0.8, 0.3])
    x = np.log(p / (1 - p))
    eb = expected_brier_draws(np.zeros((3, 2)), np.ones((3, 2)), np.array([0, 0, 1, 1]), x)
    assert eb[:, 0] == pytest.approx(np.full(3, (0.09 + 0.25) / 2))
    assert eb[:, 1] == pytest.approx(np.full(3, (0.16 + 0.21) / 2))


def test_dense_layout_pads_rows():
    mask, (x,) = dense_layout(np.array([1, 0, 1, 1]), np.array([10.0, 20.0, 30.0, 40.0]))
    assert mask.tolist() == [[1, 0, 0], [1, 1, 1]]
    assert x.tolist() == [[20, 0, 0], [10, 30, 40]]
    assert dense_layout(np.array([0] * 10 + [1, 2, 3]), np.zeros(13), max_padding=2.0) is None


def test_verdicts():
    assert verdict(0.5, 0.9, -0.2, 0.2, 30) == "over-confident (forecasts too extreme)"
    assert verdict(1.1, 1.6, -0.2, 0.2, 30) == "under-confident (forecasts too timid)"
    assert verdict(0.8, 1.2, 0.1, 0.5, 30) == "biased toward no (says yes too rarely)"
    assert verdict(0.5, 0.9, -0.6, -0.1, 30) == (
        "over-confident (forecasts too extreme); biased toward yes (says yes too often)"
    )
    assert verdict(0.8, 1.2, -0.2, 0.2, 30).startswith("well calibrated")
    assert verdict(0.1, 0.2, -1, -0.5, MIN_QUESTIONS - 1).startswith("not enough data yet")


@pytest.fixture
def history(db, tmp_path):
    return build_history(db, tmp_path / "questions", n_questions=10)


def test_loader_takes_last_forecast_before_the_truth(db, history):
    df = resolved_binary_forecasts(db)
    assert len(df) == 10 * 3  # three people, one row per question each
    assert set(df["outcome"]) <= {"yes", "no"}
    assert (df["made_at"] < df["known_at"]).all()
    # The second forecast (day 40) is the one kept.
    assert df.groupby("question_id")["made_at"].min().str.startswith("2025-02").all()
    from forecasts.timeutil import from_iso

    assert resolved_binary_forecasts(db, known_by=from_iso("2025-06-01T00:00:00Z")).empty


def test_skill_report_stores_run_and_cli_json(db, cli, history):
    result = skill_report(db, draws=100, tune=100, chains=1, seed=1, method="advi")
    run = latest_run(db)
    assert run["id"] == result["run_id"] and run["method"] == "advi"
    assert run["summary"]["forecasters"][0]["forecaster"] == "alice"
    assert result["n_questions"] == 10 and result["n_forecasters"] == 3
    assert result["extremize"] is None and "needs" in result["extremize_note"]
    by = {r["forecaster"]: r for r in result["forecasters"]}
    assert by["alice"]["slope"]["mean"] < by["carol"]["slope"]["mean"]  # alice over-, carol under-confident
    out = cli.json("skill", "--draws", "100", "--tune", "100", "--method", "advi")
    assert set(out) >= {"forecasters", "as_of", "method", "rhat_max", "ess_min", "divergences", "run_id", "hyper"}
    row = out["forecasters"][0]
    assert set(row) >= {"forecaster", "n_forecasts", "n_questions", "slope", "bias", "expected_brier", "verdict"}
    assert set(row["slope"]) == {"mean", "lo", "hi"}
    bad = cli("skill", "--method", "gibbs", ok=False)
    assert bad.exit_code == 1 and bad.output.strip() == "Error: method: 'gibbs' is not one of nuts, advi"


def test_skill_without_resolved_questions_says_what_it_needs(cli, db):  # db: an empty database exists
    # an empty state, not a user mistake (was exit 1): a new team learns what to do next, and nothing is stored
    out = cli("skill")
    assert "nothing to fit yet" in out.stdout and "forecasts resolve" in out.stdout
    data = cli.json("skill")
    assert data["fitted"] is False and data["forecasters"] == [] and data["run_id"] is None


def test_skill_runs_are_append_only(db):
    import sqlite3
    from datetime import UTC, datetime

    from forecasts.bayes.fit_store import store_run

    run_id = store_run(db, "calibration", datetime(2025, 1, 1, tzinfo=UTC), {"forecasters": []}, {"method": "test"})
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.conn.execute("UPDATE skill_runs SET method = 'x' WHERE id = ?", [run_id])
    assert latest_run(db, known_by=datetime(2024, 1, 1, tzinfo=UTC)) is None  # recorded after that moment


def test_the_crowd_is_not_pooled_with_the_people_it_summarises(db, history):
    """The crowd is a function of people's forecasts: fitting it too would count their outcomes twice."""
    from forecasts.aggregate import record_crowd

    before = skill_report(db, draws=100, tune=100, chains=1, seed=1, method="advi", store=False)
    assert record_crowd(db, "median")["recorded"] > 0
    after = skill_report(db, draws=100, tune=100, chains=1, seed=1, method="advi", store=False)
    assert after["n_forecasts"] == before["n_forecasts"] and after["n_forecasters"] == 3
    assert "crowd" not in {r["forecaster"] for r in after["forecasters"]}


def test_a_seed_out_of_range_is_a_one_line_error(cli, db) -> None:  # db: an empty database exists
    result = cli("skill", "--seed", "-1", ok=False)
    assert result.exit_code == 1 and "seed: -1 must be a whole number from 0 to 4294967295" in result.output
    assert "Traceback" not in result.output
