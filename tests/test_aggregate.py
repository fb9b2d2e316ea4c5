"""The crowd aggregate: pooling reference values, extremizing on simulated data, recording as `crowd`."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import timedelta

import numpy as np
import pytest
from skill_history import CLOSES, KNOWN, OPEN_Q, OPENS, build_history

from forecasts.aggregate import pool_categorical, pool_extremized, pool_geometric, pool_median, record_crowd
from forecasts.bayes.fit_store import store_run
from forecasts.bayes.skill import fit_extremizing
from forecasts.forecasting import list_forecasts, submit_forecast
from forecasts.store.dbtools import check_database
from forecasts.timeutil import from_iso, now_utc, to_iso


def test_median_reference_value():
    assert pool_median(np.array([[0.2, 0.4, 0.9]]))[0] == pytest.approx(0.4)
    # NaN = no standing forecast; rows are independent moments.
    assert pool_median(np.array([[0.2, np.nan, 0.6], [0.1, 0.3, 0.9]])).tolist() == pytest.approx([0.4, 0.3])


def test_geometric_mean_of_odds_reference_value():
    odds = (0.25 * (0.4 / 0.6) * 9.0) ** (1 / 3)  # odds of 0.2, 0.4, 0.9: product 1.5
    assert pool_geometric(np.array([0.2, 0.4, 0.9]))[()] == pytest.approx(odds / (1 + odds))
    assert odds / (1 + odds) == pytest.approx(0.5337, abs=1e-4)


def test_extremized_identity_and_direction():
    p = np.array([[0.7, 0.8], [0.3, 0.2]])
    # a=0, b=1, d=1 is the geometric mean of odds; d > 1 pushes away from 0.5.
    assert pool_extremized(p, np.zeros(2), np.ones(2), 1.0) == pytest.approx(pool_geometric(p))
    ext = pool_extremized(p, np.zeros(2), np.ones(2), 2.0)
    assert ext[0] > pool_geometric(p)[0] and ext[1] < pool_geometric(p)[1]


def test_categorical_pools_sum_to_one():
    p = np.array([[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [np.nan, np.nan, np.nan]]])
    for method in ("median", "geometric"):
        pooled = pool_categorical(p, method)
        assert pooled.sum() == pytest.approx(1.0)
    assert pool_categorical(p, "median")[0] == pytest.approx(np.array([0.4, 0.25, 0.35]))


def test_extremized_beats_median_on_data_from_its_model():
    """Each person's recalibrated log-odds is truth/d plus private noise; the pool needs d to recover the truth."""
    rng = np.random.default_rng(11)
    n_people, n_train, n_test, d_true = 9, 400, 2000, 2.5
    a = rng.normal(0, 0.3, n_people)
    b = np.exp(rng.normal(0, 0.3, n_people))

    def simulate(n):
        theta = rng.normal(0, 2.0, n)
        y = rng.random(n) < 1 / (1 + np.exp(-theta))
        calibrated = theta[:, None] / d_true + rng.normal(0, 0.7, (n, n_people))
        p = 1 / (1 + np.exp(-(calibrated - a) / b))
        return np.clip(p, 0.001, 0.999), y

    p_train, y_train = simulate(n_train)
    recal = (a + b * np.log(p_train / (1 - p_train))).mean(axis=1)
    d, _ = fit_extremizing(recal, y_train)
    assert 1.8 < d < 3.5
    p_test, y_test = simulate(n_test)
    brier_median = np.mean((pool_median(p_test) - y_test) ** 2)
    brier_ext = np.mean((pool_extremized(p_test, a, b, d) - y_test) ** 2)
    assert brier_ext < brier_median - 0.005


@pytest.fixture
def history(db, tmp_path):
    return build_history(db, tmp_path / "questions", n_questions=6)


def crowd_rows(db, qid=None, name="crowd"):
    return [f for f in list_forecasts(db, qid, name)]


def test_record_crowd_median_values_and_idempotent(db, history):
    first = record_crowd(db, "median")
    assert first["recorded"] > 0
    kind = db.conn.execute("SELECT kind FROM forecasters WHERE id = 'crowd'").fetchone()[0]
    assert kind == "aggregate"
    for qid in history["ids"]:
        rows = crowd_rows(db, qid)
        assert rows, qid
        people = [f for f in list_forecasts(db, qid) if not f["forecaster_id"].startswith("crowd")]
        for r in rows:
            made = from_iso(r["made_at"])
            assert OPENS <= made < min(CLOSES, KNOWN)  # only while open
            standing = {}
            for f in people:
                if f["made_at"] <= r["made_at"]:
                    standing[f["forecaster_id"]] = f["probability"]
            assert r["probability"] == pytest.approx(float(np.median(list(standing.values()))))
            assert r["rationale"] == f"median of {len(standing)} people's standing forecasts"
        # Recorded only on changes: consecutive crowd values differ.
        values = [r["probability"] for r in rows]
        assert all(abs(x - y) > 1e-12 for x, y in zip(values, values[1:], strict=False))
    again = record_crowd(db, "median")
    assert again["recorded"] == 0
    assert len(crowd_rows(db)) == first["recorded"]


def test_record_crowd_new_forecast_adds_one(db, history):
    record_crowd(db, "median")
    submit_forecast(db, OPEN_Q, 0.2, "alice")
    submit_forecast(db, OPEN_Q, 0.6, "bob")
    out = record_crowd(db, "geometric")
    (row,) = [q for q in out["questions"] if q["question"] == OPEN_Q]
    assert row["state"] == "open" and row["people"] == 2 and row["recorded"] >= 1
    assert row["crowd"] == pytest.approx(float(pool_geometric(np.array([0.2, 0.6]))))
    assert record_crowd(db, "geometric")["recorded"] == 0


def test_record_crowd_known_by_excludes_later_rows(db, history):
    out = record_crowd(db, "median", known_by=OPENS + timedelta(days=12))
    assert {q["question"] for q in out["questions"]} <= {"h00", "h01", "h02"}
    assert all(r["made_at"] <= to_iso(OPENS + timedelta(days=12)) for r in crowd_rows(db))


def test_extremized_falls_back_to_median_without_a_skill_run(db, history):
    out = record_crowd(db, "extremized")
    assert any("falls back to the median" in n for n in out["notes"])
    assert all(q["method_used"].startswith("median (fallback") for q in out["questions"])


def test_extremized_uses_the_run_valid_at_each_moment(db, history):
    as_of = OPENS + timedelta(days=30)
    summary = {
        "hyper": {"mu_a": 0.0, "b_population": 1.0},
        "extremize": {"d": 2.0, "sd": 0.1, "n_questions": 30},
        "forecasters": [
            {"forecaster": "alice", "bias": {"mean": 0.1}, "slope": {"mean": 0.5}},
            {"forecaster": "bob", "bias": {"mean": 0.0}, "slope": {"mean": 1.0}},
        ],
    }
    store_run(db, "calibration", as_of, summary, {"method": "test"})
    record_crowd(db, "extremized")
    rows = crowd_rows(db, "h00", "crowd-extremized")
    early = [r for r in rows if from_iso(r["made_at"]) < as_of]
    late = [r for r in rows if from_iso(r["made_at"]) >= as_of]
    assert early and late
    assert all(r["rationale"].startswith("median (fallback") for r in early)
    assert all(r["rationale"].startswith("extremized (skill run #") for r in late)
    last = late[-1]
    standing = {}
    for f in list_forecasts(db, "h00"):
        if not f["forecaster_id"].startswith("crowd") and f["made_at"] <= last["made_at"]:
            standing[f["forecaster_id"]] = f["probability"]
    names = sorted(standing)
    a = np.array([{"alice": 0.1}.get(n, 0.0) for n in names])
    b = np.array([{"alice": 0.5}.get(n, 1.0) for n in names])  # carol is unseen: population values
    expect = pool_extremized(np.array([standing[n] for n in names]), a, b, 2.0)
    assert last["probability"] == pytest.approx(float(expect))


def test_a_skill_run_extremizes_the_standing_crowd_without_new_forecasts(db, history):
    """A run stored after everyone's last forecast: the crowd is pooled again at the run's as-of time."""
    last_made = max(f["made_at"] for f in list_forecasts(db, "h00") if not f["forecaster_id"].startswith("crowd"))
    as_of = from_iso(last_made) + timedelta(days=1)
    summary = {
        "hyper": {"mu_a": 0.0, "b_population": 1.0},
        "extremize": {"d": 2.0, "sd": 0.1, "n_questions": 30},
        "forecasters": [{"forecaster": "alice", "bias": {"mean": 0.1}, "slope": {"mean": 0.5}}],
    }
    record_crowd(db, "extremized")
    before = crowd_rows(db, "h00", "crowd-extremized")
    run_id = store_run(db, "calibration", as_of, summary, {"method": "test"})
    record_crowd(db, "extremized")
    added = crowd_rows(db, "h00", "crowd-extremized")[len(before) :]
    assert [from_iso(r["made_at"]) for r in added] == [as_of]
    assert added[0]["rationale"].startswith(f"extremized (skill run #{run_id}")


def test_cli_aggregate_json_and_unknown_method(pack_cli, db_path):
    result = pack_cli("aggregate", "--method", "foo", ok=False)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: method: 'foo' is not one of median, mean, trimmed, geometric, neyman, metaculus, skill, learned, "
        "extremized, auto"
    )
    pack_cli("forecasters", "add", "dana", "eve")
    pack_cli("forecast", "ceasefire-current-lines", "0.3", "--by", "dana")
    pack_cli("forecast", "ceasefire-current-lines", "0.5", "--by", "eve")
    out = pack_cli.json("aggregate")
    assert set(out) >= {"method", "known_by", "recorded", "questions", "notes"}
    (row,) = [q for q in out["questions"] if q["question"] == "ceasefire-current-lines"]
    assert row["people"] == 2 and row["crowd"] == pytest.approx(0.4) and row["recorded"] >= 1
    assert math.isclose(json.loads(json.dumps(row))["crowd"], 0.4)
    assert pack_cli.json("aggregate")["recorded"] == 0
    assert now_utc() >= from_iso(out["known_by"])


INSERT_FORECAST = (
    "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) VALUES (?, ?, ?, ?, ?)"
)


def test_each_method_is_its_own_forecaster_and_never_two_rows_at_one_instant(db, history, db_path):
    """median, then extremized, then geometric: three aggregates, one row per question and instant each."""
    for method in ("median", "extremized", "geometric"):
        record_crowd(db, method)
    kinds = dict(db.conn.execute("SELECT id, kind FROM forecasters WHERE kind = 'aggregate'").fetchall())
    assert kinds == {"crowd": "aggregate", "crowd-geometric": "aggregate", "crowd-extremized": "aggregate"}
    same = "SELECT count(*) FROM forecasts GROUP BY question_id, forecaster_id, made_at HAVING count(*) > 1"
    assert db.conn.execute(same).fetchall() == []
    first = crowd_rows(db, "h00")[0]
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="one forecast per question and instant"):
        conn.execute(INSERT_FORECAST, ["h00", "crowd", first["made_at"], first["recorded_at"], 0.5])
    assert check_database(db)["ok"]


def test_db_check_reports_an_aggregates_duplicate_rows(db, history, db_path):
    record_crowd(db, "median")
    first = crowd_rows(db, "h00")[0]
    conn = sqlite3.connect(db_path)  # an old database: written before the rule existed
    conn.execute("DROP TRIGGER forecasts_one_aggregate_row_per_instant")
    conn.execute(INSERT_FORECAST, ["h00", "crowd", first["made_at"], first["recorded_at"], 0.5])
    conn.commit()
    report = check_database(db)
    (problem,) = [p for p in report["errors"] if p["check"] == "same_instant"]
    assert problem["problem"] == f"2 forecasts by 'crowd' on 'h00' at {first['made_at']} (one instant, one forecast)"
    assert not report["ok"]


def test_cli_aggregate_methods_then_weekly_leave_no_duplicate_rows(pack_cli, questions_dir, tmp_path):
    """The reported sequence: aggregate, aggregate --method extremized, weekly: one forecaster per method."""
    pack_cli("forecasters", "add", "dana", "eve")
    pack_cli("forecast", "ceasefire-current-lines", "0.3", "--by", "dana")
    pack_cli("forecast", "ceasefire-current-lines", "0.5", "--by", "eve")
    assert pack_cli.json("aggregate")["forecaster"] == "crowd"
    assert pack_cli.json("aggregate", "--method", "extremized")["forecaster"] == "crowd-extremized"
    pack_cli("weekly", "--format", "md", "--out", str(tmp_path / "reports"), "--questions", str(questions_dir))
    rows = pack_cli.json("forecast-list", "--question", "ceasefire-current-lines")
    aggregates = [(f["forecaster_id"], f["made_at"]) for f in rows if f["forecaster_id"].startswith("crowd")]
    assert sorted({name for name, _ in aggregates}) == ["crowd", "crowd-extremized"]
    assert len(aggregates) == len(set(aggregates))  # never two rows of one aggregate at one instant
    report = pack_cli.json("db", "check")
    assert report["ok"] and "same_instant" not in report["problem_counts"]
