"""Shared fixtures: a temporary database, a CLI runner bound to it, and a synced copy of the pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecasts.cli import app
from forecasts.store.db import connect

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "questions"


def pytest_configure(config: pytest.Config) -> None:
    """The suite never talks to the tester's own team server: no FORECASTS_SERVER/TOKEN from the shell, and a
    saved `forecasts login` (in $XDG_CONFIG_HOME/forecasts) replaced by an empty config folder of the run's own."""
    import os
    import tempfile

    for name in ("FORECASTS_SERVER", "FORECASTS_TOKEN", "FORECASTS_DB"):
        os.environ.pop(name, None)
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="forecasts-test-config-")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def db(db_path: Path):
    database = connect(db_path)
    yield database
    database.close()


class Cli:
    """Invoke the CLI against the test database; `.json()` parses --json output."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True):
        result = self.runner.invoke(app, ["--db", str(self.db_path), *args])
        if ok and result.exit_code != 0:
            raise AssertionError(f"forecasts {' '.join(args)} failed ({result.exit_code}):\n{result.output}")
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


@pytest.fixture
def questions_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped question pack."""
    dest = tmp_path / "questions"
    shutil.copytree(PACK, dest)
    return dest


@pytest.fixture
def pack_cli(cli: Cli, questions_dir: Path) -> Cli:
    """A CLI whose database holds the shipped pack (questions synced, example evidence not loaded)."""
    cli("sync", "--questions", str(questions_dir))
    return cli


QUESTION_TEMPLATE = """
title = "{title}"
type = "{type}"
{outcomes}
opens_at = {opens_at}
closes_at = {closes_at}
resolves_by = {resolves_by}
deadline_question = {deadline}
tags = {tags}
resolution_criteria = "Resolves by the test's own say-so."

[prior]
{prior}
"""


@pytest.fixture
def make_question(tmp_path: Path):
    """Write a question file into tmp_path/qs (returns that folder); defaults give a binary 0.3 prior."""
    folder = tmp_path / "qs"

    def make(qid: str, **kw) -> Path:
        folder.mkdir(exist_ok=True)
        qtype = kw.get("type", "binary")
        outcomes = f"outcomes = {json.dumps(kw['outcomes'])}" if "outcomes" in kw else ""
        prior = kw.get("prior", 'probability = 0.3\nnote = "test prior"')
        text = QUESTION_TEMPLATE.format(
            title=kw.get("title", f"Question {qid}?"),
            type=qtype,
            outcomes=outcomes,
            opens_at=kw.get("opens_at", "2024-01-01"),
            closes_at=kw.get("closes_at", "2030-01-01"),
            resolves_by=kw.get("resolves_by", kw.get("closes_at", "2030-01-01")),
            deadline=str(kw.get("deadline", False)).lower(),
            tags=json.dumps(kw.get("tags", ["test"])),
            prior=prior,
        )
        (folder / f"{qid}.toml").write_text(text, encoding="utf-8")
        return folder

    return make
