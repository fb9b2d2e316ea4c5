"""The installed `forecasts` script runs interactive commands without loading the scientific stack.

Each command runs as its own process of the console script beside this Python, with PYTHONPROFILEIMPORTTIME,
so the check sees exactly what a user's shell runs (typer's pydantic coercion and sqlite-utils' pandas import
included), not what an in-process test runner happens to have loaded already.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PACK = Path(__file__).resolve().parent.parent / "questions"
SCRIPT = Path(sys.executable).parent / "forecasts"
# The scientific stack, plus sqlite-utils (it imports pandas) and pydantic (typer's slow coercion path).
HEAVY = ("pandas", "numpy", "numba", "pymc", "arviz", "scipy", "matplotlib", "sqlite_utils", "pydantic")
Q = "ceasefire-current-lines"


def forecasts(tmp: Path, *args: str, profile: bool = False) -> subprocess.CompletedProcess:
    """Run the installed script in `tmp` against tmp/team.db; with `profile`, stderr lists every import."""
    assert SCRIPT.exists(), f"no console script at {SCRIPT}: install the package (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if k not in ("FORECASTS_DB", "PYTHONPROFILEIMPORTTIME")}
    env["FORECASTS_DB"] = str(tmp / "team.db")
    if profile:
        env["PYTHONPROFILEIMPORTTIME"] = "1"
    result = subprocess.run([str(SCRIPT), *args], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"forecasts {' '.join(args)}: {result.stdout[-500:]} {result.stderr[-2000:]}"
    return result


def imported(stderr: str) -> set[str]:
    """Top-level package names from `-X importtime` lines ("import time: self | cumulative | name")."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("team")
    forecasts(tmp, "sync", "--questions", str(PACK))
    forecasts(tmp, "evidence", "import", str(PACK / "road-ahead" / "evidence.jsonl"))
    forecasts(tmp, "forecasters", "add", "alice")
    return tmp


INTERACTIVE = [
    ["questions", "list"],
    ["questions", "show", Q],
    ["status"],
    ["forecast", Q, "0.3", "--by", "alice", "--rationale", "talks stalled"],
    ["forecast-list"],
    ["evidence", "add", Q, "--summary", "s", "--observed-at", "2025-01-10", "--lr", "2", "--reliability", "B2"],
    ["evidence", "list", "--question", Q],
    ["evidence", "retract", "1", "--reason", "withdrawn"],
    ["resolve", "crimea-recognition", "annulled", "--source", "test"],
    ["unresolve", "crimea-recognition", "--note", "test"],
    ["status", "--json"],
    ["forecasters", "list"],
]


@pytest.mark.parametrize("args", INTERACTIVE, ids=" ".join)
def test_interactive_command_imports_nothing_heavy(team: Path, args: list[str]) -> None:
    result = forecasts(team, *args, profile=True)
    names = imported(result.stderr)
    assert "forecasts" in names and "typer" in names  # the profile is real: it saw the command's own imports
    assert sorted(names & set(HEAVY)) == [], f"forecasts {' '.join(args)} imported {sorted(names & set(HEAVY))}"


def test_python_dash_m_runs_the_same_command(team: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FORECASTS_DB"} | {"FORECASTS_DB": str(team / "team.db")}
    run = subprocess.run([sys.executable, "-m", "forecasts", "questions", "show", Q, "--json"], cwd=team, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f'"id": "{Q}"' in run.stdout
    usage = subprocess.run([sys.executable, "-m", "forecasts", "--help"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0 and "Usage: forecasts" in usage.stdout


def test_weekly_fits_scenarios_without_pymc(tmp_path: Path) -> None:
    """The README main job's `weekly` on the shipped pack fits the scenario loadings (numpy) with no PyMC compile."""
    forecasts(tmp_path, "sync", "--questions", str(PACK))
    forecasts(tmp_path, "evidence", "import", str(PACK / "road-ahead" / "evidence.jsonl"))
    out = tmp_path / "reports"
    result = forecasts(tmp_path, "weekly", "--out", str(out), "--questions", str(PACK), profile=True)
    names = imported(result.stderr)
    assert "forecasts" in names and "numpy" in names  # the profile saw the job's own imports
    assert "forecasts.bayes.mcmc" in result.stderr  # the scenario fit ran in this process
    assert sorted(names & {"pymc", "pytensor", "arviz"}) == []
    assert "fast-deal" in "".join(p.read_text() for p in out.glob("*.md"))


def test_pymc_commands_show_no_third_party_warning_on_a_fresh_user_cache(tmp_path: Path) -> None:
    """ArviZ prints its refactor notice once a day per user cache; `posterior` and `skill` import PyMC (hence
    ArviZ) only after filtering it, so a first run shows our own progress lines and nothing else."""
    forecasts(tmp_path, "sync", "--questions", str(PACK))
    forecasts(tmp_path, "evidence", "import", str(PACK / "road-ahead" / "evidence.jsonl"))
    forecasts(tmp_path, "forecasters", "add", "alice")
    forecasts(tmp_path, "forecast", "kursk-exchange", "0.2", "--by", "alice")
    time.sleep(1.1)  # timestamps are whole seconds: a forecast in the second the truth became known is not scored
    forecasts(tmp_path, "resolve", "kursk-exchange", "yes", "--source", "test")
    env = {k: v for k, v in os.environ.items() if k != "FORECASTS_DB"}
    env |= {"FORECASTS_DB": str(tmp_path / "team.db"), "XDG_CACHE_HOME": str(tmp_path / "fresh-cache")}
    for args in (["posterior", Q, "--draws", "100", "--tune", "100"], ["skill", "--draws", "100", "--tune", "100"]):
        run = subprocess.run([str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert "Warning" not in run.stderr and "warn(" not in run.stderr, run.stderr
