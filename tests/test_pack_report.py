"""The main job on a fresh database: this week's report is a briefing on this week, not on the imported history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forecasts.forecasters import MODEL
from forecasts.reconstruct import RECONSTRUCTED
from forecasts.report.build import build_report
from forecasts.store.db import connect
from forecasts.timeutil import now_utc, to_iso

PACK = Path(__file__).resolve().parent.parent / "questions" / "road-ahead"
EVIDENCE = PACK / "evidence.jsonl"
RESOLUTIONS = PACK / "resolutions.jsonl"


def _main_job(pack_cli, questions_dir: Path) -> None:
    """The README's main job minus `weekly` (whose scenario fit is slow); scenarios are not under test here."""
    pack_cli("import", str(RESOLUTIONS))
    pack_cli("evidence", "import", str(EVIDENCE))
    pack_cli("reconstruct")
    shutil.rmtree(questions_dir / "road-ahead" / "scenarios")


def test_history_is_not_this_weeks_news_and_the_model_is_scored(pack_cli, questions_dir):
    _main_job(pack_cli, questions_dir)
    n_items = sum(1 for line in EVIDENCE.read_text(encoding="utf-8").splitlines() if line.strip())
    data = build_report(connect(pack_cli.db_path), None, questions_dir)
    assert data["evidence"] == []  # nothing in the trail was observed this week
    assert data["summary"]["evidence_this_week"] == 0
    assert data["summary"]["history_recorded_this_week"]["items"] == n_items
    assert data["movers"] == []  # importing history and time passing are not moves
    assert all(q["week_evidence"] == [] for q in data["questions"])
    resolved = {r["id"]: r for r in data["resolved"]["rows"]}
    assert "talks-start" in resolved
    scored = {row["forecaster_id"] for row in resolved["talks-start"]["scores"]["rows"]}
    # one model row: the replay is the model's history, scored as `bayes` (it stands in before the live model's
    # first forecast on a question), not a second forecaster beside it
    assert MODEL in scored and RECONSTRUCTED not in scored
    board = {row["forecaster"] for row in data["leaderboard"]["table"]["rows"]}
    assert MODEL in board and RECONSTRUCTED not in board
    check = pack_cli.json("db", "check")  # no forecast recorded after a truth was known, nothing else amiss
    assert check["ok"] and check["errors"] == [] and check["warnings"] == [], check


def test_an_item_observed_this_week_is_news_and_moves_its_question(pack_cli, questions_dir):
    _main_job(pack_cli, questions_dir)
    today = to_iso(now_utc())
    pack_cli("evidence", "add", "general-ceasefire", "--summary", "test: both governments announce a ceasefire date",
             "--source", "test", "--observed-at", today, "--lr", "10")  # fmt: skip
    data = build_report(connect(pack_cli.db_path), None, questions_dir)
    assert [e["summary"] for e in data["evidence"]] == ["test: both governments announce a ceasefire date"]
    # the pack was synced this week, so a week ago nothing was on record: the question is new, not a move
    # (last week's report showed no value to move from); the item is this week's news on it all the same
    assert data["movers"] == []
    block = {b["id"]: b for b in data["questions"]}["general-ceasefire"]
    assert block["before"] is None and [x["summary"] for x in block["week_evidence"]] == [
        "test: both governments announce a ceasefire date"
    ]
    assert block["now"]["yes"] > 0.5
    assert "general-ceasefire" in data["summary"]["added_this_week"]
    assert data["summary"]["evidence_observed_this_week"] == 1
    assert json.dumps(data["summary"]["history_recorded_this_week"])  # plain data


def test_the_briefing_tells_the_story_of_the_history_s_newest_months(pack_cli, questions_dir):
    from forecasts.probabilities import probability_from_links
    from forecasts.questions import get_question
    from forecasts.report.build import load_links
    from forecasts.report.markdown import render_markdown
    from forecasts.timeutil import from_iso

    _main_job(pack_cli, questions_dir)
    n_items = sum(1 for line in EVIDENCE.read_text(encoding="utf-8").splitlines() if line.strip())
    db = connect(pack_cli.db_path)
    data = build_report(db, None, questions_dir)
    h = data["briefing"]["history"]
    assert h["items"] == n_items
    assert h["first_observed"].startswith("2024-11-20") and h["last_observed"].startswith("2026-10-10")
    assert h["span_start"].startswith("2026-06-12")  # the trail's newest four months: the summer and autumn of 2026
    # ranked by what the stretch's own items did; the autumn's stalled talks put the general ceasefire first
    assert [abs(m["evidence"]) for m in h["moves"]] == sorted((abs(m["evidence"]) for m in h["moves"]), reverse=True)
    top = h["moves"][0]
    assert top["id"] == "general-ceasefire" and top["evidence"] < -0.03 and top["end"] < top["start"]
    # each figure agrees with the fast path computed independently: all links, and all but the stretch's items
    as_of, week_ago = from_iso(data["as_of"]), from_iso(data["week_ago"])
    links = load_links(db, as_of, week_ago)[0]
    start, end = from_iso(h["span_start"]), from_iso(h["last_observed"])
    for m in h["moves"]:
        q = get_question(db, m["id"])
        lks = links[m["id"]]
        stretch = {lk.evidence_id for lk in lks if start < lk.observed_at <= end}
        assert m["items"] == len(stretch) and {x["id"] for x in m["why"]} <= stretch
        with_all = probability_from_links(q, lks, end)[m["outcome"]]
        without = probability_from_links(q, [lk for lk in lks if lk.evidence_id not in stretch], end)[m["outcome"]]
        assert abs(m["start"] - probability_from_links(q, lks, start)[m["outcome"]]) < 1e-9
        assert abs(m["end"] - with_all) < 1e-9 and abs(m["evidence"] - (with_all - without)) < 1e-9
    shown = render_markdown(data)
    brief = shown[shown.index("## This week in brief") : shown.index("### Scenarios")]
    assert "### The history recorded this week" in brief and "**general-ceasefire**" in brief
    assert f"{n_items} evidence items observed 2024-11-20 to 2026-10-10" in brief


def test_no_history_recorded_no_recap():
    from forecasts.report.recap import recap

    assert recap({}, {}, [], {}) is None  # a week with only news (or nothing) has no history paragraph
