"""Every command of the README tour succeeds on a fresh clone, in its own scratch database, and leaves the main
job's database exactly as it was."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from readme_tour import README, tour_commands, tour_env
from typer.testing import CliRunner

from forecasts.cli import app

REPO = README.parent
PACK = REPO / "questions" / "road-ahead"


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_the_tour_is_parsed_from_the_readme():
    cmds = tour_commands()
    assert ["sync"] in cmds and len(cmds) > 25
    assert any(c[:2] == ["evidence", "retract"] for c in cmds) and any(c[0] == "unresolve" for c in cmds)
    assert tour_env() == {"FORECASTS_DB": "db/tour.db"}


@pytest.mark.slow
def test_every_tour_command_succeeds_and_the_main_record_is_unchanged(tmp_path, monkeypatch):
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "questions", clone / "questions")
    monkeypatch.chdir(clone)
    monkeypatch.delenv("FORECASTS_DB", raising=False)
    monkeypatch.delenv("FORECASTS_USER", raising=False)
    runner = CliRunner()

    def run(*args: str) -> None:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, f"forecasts {' '.join(args)} failed ({result.exit_code}):\n{result.output}"

    # the main job (minus weekly, whose report the tour must not touch either: it writes reports/tour)
    run("sync")
    run("import", "questions/road-ahead/resolutions.jsonl")
    run("evidence", "import", "questions/road-ahead/evidence.jsonl")
    run("reconstruct")
    main = clone / "db" / "forecasts.db"
    before = dump(main)
    for key, value in tour_env().items():
        monkeypatch.setenv(key, value)
    for cmd in tour_commands():
        run(*cmd)
    assert dump(main) == before  # nothing the tour did reached the main job's record
    assert (clone / "db" / "tour.db").exists()
    assert not [p for p in (clone / "reports").glob("*.md")]  # the tour's report went to reports/tour
