"""hide-crowd keeps others' forecasts from someone who has not forecast, on every listing; replays listed on request."""

from __future__ import annotations

import pytest

SECRET = "bo-secret-rationale"


@pytest.fixture
def hidden(cli, make_question, monkeypatch):
    make_question("open-one")
    cli("sync", "--questions", str(make_question("hidden", tags=["hide-crowd"])))
    cli("forecasters", "add", "al", "bo")
    monkeypatch.setenv("FORECASTS_USER", "bo")
    cli("forecast", "hidden", "0.4", "--rationale", SECRET)
    cli("forecast", "open-one", "0.6", "--rationale", "bo on the open one")
    monkeypatch.setenv("FORECASTS_USER", "al")  # al has not forecast `hidden` yet
    return cli


def test_questions_show_hides_others_until_you_forecast(hidden):
    shown = hidden("questions", "show", "hidden").stdout
    assert SECRET not in shown and "40.0%" not in shown and "hidden (tag hide-crowd)" in shown
    detail = hidden.json("questions", "show", "hidden")
    assert detail["forecasts"] == [] and detail["forecasts_hidden"] == 1
    hidden("forecast", "hidden", "0.1")  # once al has forecast, the others are shown
    assert SECRET in hidden("questions", "show", "hidden").stdout


def test_forecast_list_hides_others_on_hidden_questions_only(hidden):
    rows = hidden.json("forecast-list")
    assert [(r["question_id"], r["forecaster_id"]) for r in rows] == [("open-one", "bo")]
    full = hidden("forecast-list", "--full", "--by", "bo").stdout  # a --by filter is not an identity
    assert SECRET not in full and "1 hidden (tag hide-crowd)" in full


def test_the_owner_sees_their_own(hidden, monkeypatch):
    monkeypatch.setenv("FORECASTS_USER", "bo")
    assert SECRET in hidden("forecast-list", "--full").stdout


def test_unknown_viewer_sees_no_hidden_crowd(hidden, monkeypatch):
    monkeypatch.delenv("FORECASTS_USER")
    monkeypatch.setenv("FORECASTS_USER", "nobody-registered")
    assert all(r["question_id"] != "hidden" for r in hidden.json("forecast-list"))


def test_forecast_list_leaves_replays_out_unless_asked(cli, make_question):
    cli("sync", "--questions", str(make_question("q1")))
    cli("evidence", "add", "q1", "--summary", "s", "--source", "x", "--observed-at", "2026-01-02", "--lr", "2")
    cli("reconstruct")
    default = {r["forecaster_id"] for r in cli.json("forecast-list")}
    assert "bayes-reconstructed" not in default and "bayes" in default
    assert "bayes-reconstructed" in {r["forecaster_id"] for r in cli.json("forecast-list", "--include-replays")}
    assert {r["forecaster_id"] for r in cli.json("forecast-list", "--by", "bayes-reconstructed")} == {
        "bayes-reconstructed"
    }
    assert "replayed model forecasts left out" in cli("forecast-list").stdout


def test_forecast_list_json_is_written_as_read_with_the_bytes_of_one_document(hidden, monkeypatch):
    import json

    import forecasts.visibility as visibility

    seen = []
    original = visibility.visible_rows

    def counted(*args, **kwargs):  # the CLI takes rows one by one from the stream, never a list of them
        for row in original(*args, **kwargs):
            seen.append(row["id"])
            yield row

    import forecasts.api

    monkeypatch.setattr(forecasts.api, "visible_rows", counted, raising=False)  # the face caches a name once used
    monkeypatch.setenv("FORECASTS_USER", "bo")  # bo sees both of their forecasts
    out = hidden("forecast-list", "--json").stdout
    rows = json.loads(out)
    assert [r["id"] for r in rows] == seen and len(seen) == 2
    assert out.rstrip("\n") == json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False)
