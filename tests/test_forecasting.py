"""Forecasts and resolutions from the CLI: validation, standing forecasts, resolve/unresolve rows."""

from datetime import UTC, datetime

import pytest

from forecasts.errors import ForecastsError
from forecasts.forecasting import standing_forecasts, submit_forecast
from forecasts.store.db import connect


@pytest.fixture
def qcli(cli, make_question):
    make_question("alpha")
    make_question("old", opens_at="2020-01-01", closes_at="2021-01-01")
    folder = make_question("cat", type="ordered", outcomes=["early", "mid", "late"], prior="counts = [1, 1, 1]")
    cli("sync", "--questions", str(folder))
    cli("forecasters", "add", "alice", "bob")
    return cli


def test_binary_and_categorical_forecasts(qcli):
    out = qcli.json("forecast", "alpha", "0.35", "--by", "alice", "--rationale", "base rate")
    assert out["probability"] == 0.35 and out["forecaster"] == "alice"
    out = qcli.json("forecast", "cat", "early=0.2,mid=0.5,late=0.3", "--by", "alice")
    assert out["probabilities"] == pytest.approx({"early": 0.2, "mid": 0.5, "late": 0.3})
    rows = qcli.json("forecast-list", "--by", "alice")
    assert [r["question_id"] for r in rows] == ["alpha", "cat"]
    assert rows[0]["rationale"] == "base rate"


@pytest.mark.parametrize("bad", ["0", "1", "-0.1", "1.5", "NaN", "abc", "0%", "100%", "-5%", "inf"])
def test_probability_must_be_strictly_inside_zero_one(qcli, bad):
    result = qcli("forecast", "alpha", "--by", "alice", "--", bad, ok=False)  # `--` lets "-0.1" be a value
    assert result.exit_code == 1
    if bad in ("NaN", "abc", "inf"):  # outside the one grammar (issue 30 changed this message on purpose)
        assert result.stderr.strip() == (
            f"Error: probability: {bad!r} is not a probability; write a decimal number like 0.35 or a percentage "
            "like 35% (not .5, +0.5, 1e-400 or spaces)"
        )
    else:
        assert result.stderr.strip() == (
            f"Error: probability: {bad!r} must be strictly between 0 and 1, or 0% and 100% (e.g. 0.35 or 35%)"
        )
    assert qcli.json("forecast-list") == []


@pytest.mark.parametrize(
    ("prob", "message"),
    [
        ("early=0.2,mid=0.5", "missing outcomes late"),
        ("early=0.2,mid=0.5,late=0.5", "sum to 1.2"),
        ("early=0.2,soon=0.5,late=0.3", "'soon' is not an outcome"),
        ("0.4", "give OUTCOME=P for each of: early, mid, late"),
    ],
)
def test_categorical_forecast_validation(qcli, prob, message):
    result = qcli("forecast", "cat", prob, "--by", "alice", ok=False)
    assert result.exit_code == 1 and message in result.stderr


def test_forecast_refused_after_close_reserved_names_and_bad_names(qcli):
    assert "closed at 2021-01-01" in qcli("forecast", "old", "0.4", "--by", "alice", ok=False).stderr
    assert "reserved for the model" in qcli("forecast", "alpha", "0.4", "--by", "bayes", ok=False).stderr
    assert "by: 'a b'" in qcli("forecast", "alpha", "0.4", "--by", "a b", ok=False).stderr


def test_resolve_once_then_unresolve_then_resolve_again(qcli):
    qcli("forecast", "alpha", "0.8", "--by", "alice")
    out = qcli.json("resolve", "alpha", "YES", "--known-at", "2025-03-01", "--source", "news")
    assert out["outcome"] == "yes" and out["known_at"] == "2025-03-01T00:00:00Z"
    twice = qcli("resolve", "alpha", "no", ok=False)
    assert twice.exit_code == 1 and "already resolved as 'yes'" in twice.stderr
    refused = qcli("forecast", "alpha", "0.5", "--by", "alice", ok=False)
    assert "is resolved (yes)" in refused.stderr
    assert qcli.json("unresolve", "alpha", "--note", "source retracted")["previous_outcome"] == "yes"
    assert "is not resolved" in qcli("unresolve", "alpha", ok=False).stderr
    qcli("resolve", "alpha", "ambiguous")
    status = {r["id"]: r for r in qcli.json("status")}
    assert status["alpha"]["state"] == "resolved" and status["alpha"]["outcome"] == "ambiguous"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alpha", "maybe"], "outcome: 'maybe' is not allowed for 'alpha'; allowed: yes, no, ambiguous, annulled"),
        (["cat", "EARLY"], "outcome: 'EARLY' is not allowed"),
        (["alpha", "yes", "--known-at", "2999-01-01"], "known_at: 2999-01-01T00:00:00Z is in the future"),
        (["alpha", "yes", "--known-at", "01/02/2025"], "known_at: '01/02/2025' is not a date"),
        (["alpha", "yes", "--known-at", "2025-01-01T00:00:00+25:00"], "known_at: '2025-01-01T00:00:00+25:00'"),
        (["nope", "yes"], "question: unknown id 'nope'"),
    ],
)
def test_resolve_bad_input(qcli, args, message):
    result = qcli("resolve", *args, ok=False)
    assert result.exit_code == 1 and message in result.stderr
    assert "Traceback" not in result.output


def test_standing_forecasts_take_each_forecasters_latest(qcli, db_path):
    db = connect(db_path)
    t = lambda d: datetime(2025, 1, d, tzinfo=UTC)  # noqa: E731
    submit_forecast(db, "alpha", 0.2, "alice", made_at=t(1))
    submit_forecast(db, "alpha", 0.6, "alice", made_at=t(5))
    submit_forecast(db, "alpha", 0.4, "bob", made_at=t(3))
    assert {k: v["probability"] for k, v in standing_forecasts(db, "alpha", t(4), known_by=None).items()} == {
        "alice": 0.2,
        "bob": 0.4,
    }
    assert {k: v["probability"] for k, v in standing_forecasts(db, "alpha", t(6), known_by=None).items()} == {
        "alice": 0.6,
        "bob": 0.4,
    }
    with pytest.raises(ForecastsError, match="made_at: .* is in the future"):
        submit_forecast(db, "alpha", 0.5, "alice", made_at=datetime(2999, 1, 1, tzinfo=UTC))


def test_deadline_question_resolves_no_only_from_its_close(cli, make_question):
    """Deadline ("by date") questions resolve yes early, no only once the date has passed (fixed lifetime)."""
    make_question("by-2030", deadline=True)
    folder = make_question("by-2025", deadline=True, closes_at="2025-01-01")
    cli("sync", "--questions", str(folder))
    refused = cli("resolve", "by-2030", "no", ok=False)
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: known_at: 'by-2030' asks whether the event")
    refused = cli("resolve", "by-2025", "no", "--known-at", "2024-12-31", ok=False)
    assert refused.exit_code == 1 and "resolves no only from then" in refused.stderr
    assert cli.json("status")[0]["state"] != "resolved"
    cli("resolve", "by-2025", "no", "--known-at", "2025-01-02")
    cli("resolve", "by-2030", "yes", "--known-at", "2025-06-01")
    assert {r["id"]: r["outcome"] for r in cli.json("status")} == {"by-2025": "no", "by-2030": "yes"}


def test_resolution_history_in_questions_show_and_the_report(qcli, tmp_path):
    """A contested resolution: resolve, unresolve, resolve again; every row shows who, when, source and note."""
    qcli("forecast", "alpha", "0.8", "--by", "alice")
    qcli(
        "resolve", "alpha", "yes", "--known-at", "2025-03-01", "--source", "wire", "--note", "first call", "--by", "bob"
    )
    qcli("unresolve", "alpha", "--note", "contested", "--by", "alice")
    qcli("resolve", "alpha", "no", "--known-at", "2025-03-02", "--source", "official", "--by", "bob")
    history = qcli.json("questions", "show", "alpha")["resolution_history"]
    assert [(h["action"], h["outcome"], h["recorded_by"], h["source"], h["note"]) for h in history] == [
        ("resolve", "yes", "bob", "wire", "first call"),
        ("unresolve", None, "alice", "", "contested"),
        ("resolve", "no", "bob", "official", ""),
    ]
    shown = qcli("questions", "show", "alpha").stdout
    assert "Resolution history (3)" in shown
    assert "unresolved by alice" in shown and "note: contested" in shown
    assert "resolved yes (known 2025-03-01T00:00:00Z) by bob" in shown and "source: wire" in shown
    out = tmp_path / "reports"
    week = qcli.json("report", "--format", "md", "--out", str(out), "--questions", str(tmp_path / "qs"))["week"]
    text = (out / f"{week}.md").read_text(encoding="utf-8")
    assert "Every resolve and unresolve recorded this week:" in text
    assert text.count("- alpha: ") == 3 and "unresolved by alice; note: contested" in text
