"""Question versions: sync records each version; "as of" a time uses the version known then, so a question synced
later leaves past weeks' reports unchanged; edits after forecasts are listed by sync, questions show and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forecasts import sync as sync_mod
from forecasts.questions import all_questions, get_question
from forecasts.store.db import connect
from forecasts.timeutil import now_utc


def week_label(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def synced_earlier(cli, make_question, monkeypatch) -> Path:
    """Two questions synced three weeks ago, with a forecast on one."""
    earlier = now_utc() - timedelta(days=21)
    monkeypatch.setattr(sync_mod, "now_utc", lambda: earlier)
    make_question("alpha")
    folder = make_question("beta")
    cli("sync", "--questions", str(folder))
    monkeypatch.undo()
    cli("forecasters", "add", "alice")
    cli("forecast", "alpha", "0.3", "--by", "alice")
    return folder


def report_bytes(cli, week: str, out: Path, folder: Path) -> dict[str, bytes]:
    result = cli.json("report", "--week", week, "--out", str(out), "--questions", str(folder))
    return {Path(f).suffix: Path(f).read_bytes() for f in result["files"]}


def test_a_back_dated_question_synced_now_leaves_last_weeks_report_byte_identical(
    cli, synced_earlier, make_question, tmp_path
):
    last_week = week_label(datetime.now(UTC) - timedelta(days=7))
    before = report_bytes(cli, last_week, tmp_path / "r1", synced_earlier)
    assert "alpha" in before[".md"].decode()
    make_question("gamma", opens_at="2024-06-01")  # opened long ago, but only known from now on
    assert cli.json("sync", "--questions", str(synced_earlier))["added"] == ["gamma"]
    after = report_bytes(cli, last_week, tmp_path / "r2", synced_earlier)
    assert after == before
    this_week = report_bytes(cli, week_label(datetime.now(UTC)), tmp_path / "r3", synced_earlier)
    assert "gamma" in this_week[".md"].decode()


def test_edits_after_forecasts_are_listed_shown_and_reported(cli, synced_earlier, make_question, tmp_path, db_path):
    make_question("alpha", closes_at="2031-01-01")
    text = (synced_earlier / "alpha.toml").read_text(encoding="utf-8")
    (synced_earlier / "alpha.toml").write_text(text.replace("own say-so", "own say-so, or a court's"), "utf-8")
    make_question("beta", title="Renamed beta?")  # no forecasts on beta: an edit, not one to point out
    out = cli("sync", "--questions", str(synced_earlier)).stdout
    assert "edited after forecasts were made: alpha: closes_at, resolution_criteria, resolves_by" in out
    assert "beta" not in out.split("updated", 1)[1]
    report = cli.json("sync", "--questions", str(synced_earlier))
    assert report["edited_after_forecasts"] == {} and report["unchanged"] == ["alpha", "beta"]
    versions = cli.json("questions", "show", "alpha")["versions"]
    assert [(v["version"], v["changed"]) for v in versions] == [
        (1, []),
        (2, ["closes_at", "resolution_criteria", "resolves_by"]),
    ]
    shown = cli("questions", "show", "alpha").stdout
    assert "Versions (2)" in shown and "changed closes_at, resolution_criteria," in shown
    db = connect(db_path)  # as of before the edit, the old version
    old = get_question(db, "alpha", now_utc() - timedelta(days=1))
    assert old.closes_at.year == 2030 and "court" not in old.resolution_criteria
    assert get_question(db, "alpha").closes_at.year == 2031
    assert [q.id for q in all_questions(db, known_by=now_utc() - timedelta(days=30))] == []
    md = report_bytes(cli, week_label(datetime.now(UTC)), tmp_path / "r", synced_earlier)[".md"].decode()
    assert "## Questions edited this week" in md
    assert "- alpha: version 2 synced " in md and "changed closes\\_at, resolution\\_criteria, resolves\\_by" in md
    assert "- beta: version 2" in md and "changed title" in md
