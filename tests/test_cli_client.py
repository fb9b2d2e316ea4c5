"""The CLI as a client of a team server: the same output, errors, exit codes and --json as on the local file,
written as the token's user; the remote path imports nothing heavy (tests/server_harness.py serves the API)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from server_harness import Server
from test_cli_imports import HEAVY, imported
from typer.testing import CliRunner

from forecasts.cli import app

SCRIPT = Path(sys.executable).parent / "forecasts"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("client"))
    yield server
    server.stop()


def local(srv: Server, *args: str):
    return CliRunner().invoke(app, ["--db", str(srv.db_path), *args], env={"FORECASTS_SERVER": None})


def remote(srv: Server, *args: str, who: str = "bob", env: dict | None = None):
    env = {"FORECASTS_SERVER": srv.url, "FORECASTS_TOKEN": srv.tokens[who], "FORECASTS_DB": None, **(env or {})}
    return CliRunner().invoke(app, list(args), env=env)


def rounded(obj):
    """Floats to 6 digits: an ordered question's probability drifts with the clock between two calls."""
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v) for v in obj]
    return obj


def test_reads_print_the_same_as_on_the_local_file(srv):
    assert remote(srv, "evidence", "add", "talks", "--summary", "envoys met", "--lr", "3",
                  "--observed-at", "2026-11-01", "--reliability", "B2").exit_code == 0  # fmt: skip
    for args in (["status"], ["questions", "list"], ["questions", "show", "talks"], ["evidence", "list"],
                 ["forecast-list", "--question", "talks"]):  # fmt: skip
        here, there = local(srv, *args), remote(srv, *args)
        assert here.exit_code == there.exit_code == 0, (args, there.output)
        assert there.stdout == here.stdout, args
        there_json, here_json = remote(srv, *args, "--json").stdout, local(srv, *args, "--json").stdout
        assert rounded(json.loads(there_json)) == rounded(json.loads(here_json)), args


def test_forecast_goes_to_the_server_as_the_tokens_user(srv):
    result = remote(srv, "forecast", "talks", "40%", "--rationale", "from my laptop")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()
    assert first[0].startswith("forecast #") and first[0].endswith(": bob on talks: 40.0%")
    assert first[1] == "  your previous: none; crowd: no one else has forecast yet"
    result = remote(srv, "forecast", "colour", "red=0.2,green=0.5,blue=0.3", "--json")
    assert json.loads(result.stdout)["forecaster"] == "bob"
    rows = json.loads(local(srv, "forecast-list", "--by", "bob", "--json").stdout)
    assert [r["rationale"] for r in rows if r["question_id"] == "talks"][-1] == "from my laptop"


def test_errors_are_the_same_line_and_exit_code(srv):
    here = local(srv, "forecast", "talks", "1.5", "--by", "bob")
    there = remote(srv, "forecast", "talks", "1.5")
    assert here.exit_code == there.exit_code == 1
    assert there.stderr == here.stderr and there.stderr.startswith("Error: probability: ")
    result = remote(srv, "forecast", "talks", "0.3", "--by", "alice")
    assert result.exit_code == 1 and result.stderr.startswith("Error: by: you are signed in as 'bob'")
    result = remote(srv, "resolve", "talks", "yes")
    assert result.exit_code == 1 and result.stderr.startswith("Error: role: forecasters may not resolve")
    result = remote(srv, "status", env={"FORECASTS_TOKEN": "fct_bogus"})
    assert result.exit_code == 1 and result.stderr.startswith("Error: token: ")
    result = remote(srv, "status", env={"FORECASTS_SERVER": "http://127.0.0.1:9"})
    assert result.exit_code == 1 and result.stderr.startswith("Error: server: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in result.output


def test_curator_resolves_and_unresolves_remotely(srv):
    result = remote(srv, "resolve", "when", "early", "--source", "seen", who="carol")
    assert result.exit_code == 0 and result.stdout.startswith("resolved when: early (known ")
    result = remote(srv, "unresolve", "when", "--note", "too early", who="carol")
    assert result.exit_code == 0 and result.stdout == "unresolved when (was early)\n"


def test_login_saves_the_server_for_later_commands(srv, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "FORECASTS_SERVER": None, "FORECASTS_TOKEN": None,
           "FORECASTS_DB": None}  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(app, ["login", srv.url, "--token", srv.tokens["alice"]], env=env)
    assert result.exit_code == 0 and result.stdout.startswith(f"logged in to {srv.url} as alice (forecaster)")
    saved = tmp_path / "config" / "forecasts" / "server.json"
    assert json.loads(saved.read_text()) == {"server": srv.url, "token": srv.tokens["alice"]}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    result = runner.invoke(app, ["status", "--json"], env=env)  # no --db: the saved server answers
    assert result.exit_code == 0 and {r["id"] for r in json.loads(result.stdout)} >= {"talks", "colour"}
    result = runner.invoke(app, ["login", srv.url, "--token", "fct_wrong"], env=env)
    assert result.exit_code == 1 and result.stderr.startswith("Error: token: ")


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["questions", "show", "talks"],
        ["forecast", "talks", "0.3"],
        ["evidence", "add", "talks", "--summary", "s", "--lr", "2"],
    ],
    ids=" ".join,
)
def test_remote_commands_import_nothing_heavy(srv, tmp_path, args):
    env = {k: v for k, v in os.environ.items() if k != "FORECASTS_DB"}
    env |= {"FORECASTS_SERVER": srv.url, "FORECASTS_TOKEN": srv.tokens["bob"], "PYTHONPROFILEIMPORTTIME": "1"}
    result = subprocess.run([str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert "forecasts" in names and "urllib" in names
    assert sorted(names & set(HEAVY)) == []
