"""The main job on a fresh database: this week's report is a briefing on this week, not on the imported history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forecasts.db import connect
from forecasts.forecasters import MODEL
from forecasts.reconstruct import RECONSTRUCTED
from forecasts.report.build import build_report
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
