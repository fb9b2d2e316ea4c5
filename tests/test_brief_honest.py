"""The brief tells the week right: news apart from old records, the age of the newest evidence, comparisons only
with what last week's report showed, resolutions among the moves, and charts that stop at resolution."""

from __future__ import annotations

from test_report import WEEK, at, later_history, root, world  # noqa: F401  (fixtures)

from forecasts.report.briefing import _scenario_change
from forecasts.report.build import EVIDENCE_STALE_DAYS, build_report
from forecasts.report.markdown import render_markdown


def test_a_week_ago_is_what_last_weeks_report_showed(world, root, monkeypatch):  # noqa: F811
    later_history(world, monkeypatch)  # recorded in W11: an item observed in W10, a retraction, a resolution
    w10 = {b["id"]: b for b in build_report(world, WEEK, root)["questions"]}
    w11 = build_report(world, "2025-W11", root)
    shown = {b["id"]: b for b in w11["questions"]}
    assert shown, "W11 has open questions"
    for qid, b in shown.items():
        assert b["before"] == w10[qid]["now"], qid  # the "a week ago" column equals W10's own "now"


def test_evidence_recorded_late_is_not_this_weeks_news(world, root, monkeypatch):  # noqa: F811
    later_history(world, monkeypatch)
    r = build_report(world, "2025-W11", root)
    s = r["summary"]
    assert s["evidence_observed_this_week"] == 0  # "Talks collapse" was observed 2025-03-08, in W10
    assert s["evidence_recorded_late"]["items"] == 1
    assert s["evidence_recorded_late"]["last_observed"].startswith("2025-03-08")
    facts = r["briefing"]["facts"]
    assert facts[0].startswith("Became known this week: 0 evidence items")
    assert any(f.startswith("Only recorded this week") and "observed before the week" in f for f in facts)
    text = render_markdown(r)
    assert "Only recorded this week (old news" in text.split("### What moved")[0]
    # beta-vote's resolution was known in W10 and recorded in W11: listed as such, and as a move
    res = {x["id"]: x for x in r["briefing"]["resolved"]}
    assert res["beta-vote"]["known_at"].startswith("2025-03-08") and res["beta-vote"]["known_this_week"] is False
    assert "known before this week, only recorded now" in text
    moved = {m["id"]: m for m in r["movers"]}
    assert moved["beta-vote"]["resolved"]["outcome"] == "no" and moved["beta-vote"]["now"] == 0.0
    w10 = {b["id"]: b for b in build_report(world, WEEK, root)["questions"]}
    assert moved["beta-vote"]["before"] == w10["beta-vote"]["now"]["yes"]


def test_the_brief_says_how_old_the_newest_evidence_is(world, root):  # noqa: F811
    fresh = build_report(world, WEEK, root)["summary"]["newest_evidence"]
    assert fresh["observed_at"].startswith("2025-03-05") and 4 < fresh["age_days"] < 5 and not fresh["stale"]
    old = build_report(world, "2025-W13", root)  # nothing logged for three weeks
    newest = old["summary"]["newest_evidence"]
    assert newest["age_days"] > EVIDENCE_STALE_DAYS and newest["stale"]
    assert any("Warning: stale" in f for f in old["briefing"]["facts"])
    assert "Warning: stale" in render_markdown(old)


def test_a_question_not_on_record_a_week_ago_is_new_not_a_move(world, root):  # noqa: F811
    r = build_report(world, "2025-W01", root)  # synced 2025-01-01, in W01: nothing on record the week before
    assert all(b["before"] is None for b in r["questions"]) and r["movers"] == []
    assert set(r["summary"]["added_this_week"]) | set(r["summary"]["new_this_week"]) == {
        b["id"] for b in r["questions"]
    }


def test_scenario_change_only_against_a_week_that_had_scenarios():
    assert _scenario_change({"probability": 0.05, "previous": None}) is None  # shown as "new"
    assert abs(_scenario_change({"probability": 0.05, "previous": 0.04}) - 0.01) < 1e-12


def test_resolved_question_chart_stops_at_resolution(world, root):  # noqa: F811
    r = build_report(world, WEEK, root)
    row = {x["id"]: x for x in r["resolved"]["rows"]}["delta-old"]
    chart, known = row["chart"], at("2025-02-25").timestamp()
    assert chart["end"] == known and chart["resolution"]["at"] == known
    assert max(chart["model"]["times"]) <= known
    assert all(t <= known for p in chart["people"] for t, _ in p["steps"])
    assert all(t <= known for t, _ in chart["crowd"])
