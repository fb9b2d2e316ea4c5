"""Interactive commands stay light: they never load pymc, pytensor, arviz, matplotlib, scipy or numba."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pymc", "pytensor", "arviz", "matplotlib", "scipy", "numba")
PACK = Path(__file__).resolve().parent.parent / "questions"

# Runs each command in one fresh interpreter and reports, after each, which heavy modules are loaded.
SCRIPT = """
import json, sys
from typer.testing import CliRunner
from forecasts.cli import app
heavy, commands = json.loads(sys.argv[1]), json.loads(sys.argv[2])
runner, report = CliRunner(), []
for args in commands:
    result = runner.invoke(app, args)
    loaded = sorted(m for m in heavy if m in sys.modules)
    report.append({"args": args, "exit": result.exit_code, "output": result.output[-400:], "loaded": loaded})
print(json.dumps(report))
"""


def test_interactive_commands_do_not_import_heavy_modules(tmp_path: Path) -> None:
    db = str(tmp_path / "imports.db")
    q = "ceasefire-current-lines"
    commands = [
        ["--db", db, "sync", "--questions", str(PACK)],
        ["--db", db, "questions", "list"],
        ["--db", db, "questions", "show", q],
        ["--db", db, "evidence", "add", q, "--summary", "s", "--observed-at", "2025-01-10", "--lr", "2"],
        ["--db", db, "forecasters", "add", "alice"],
        ["--db", db, "forecast", q, "0.3", "--by", "alice"],
        ["--db", db, "status"],
        ["--db", db, "resolve", q, "yes"],
    ]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(HEAVY), json.dumps(commands)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert len(report) == len(commands)
    for row in report:
        assert row["exit"] == 0, row
        assert row["loaded"] == [], f"forecasts {' '.join(row['args'][2:])} loaded {row['loaded']}"
