"""Shared fixtures: a temporary database, a CLI runner bound to it, and a synced copy of the pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecasts.cli import app
from forecasts.db import connect

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "questions"


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
