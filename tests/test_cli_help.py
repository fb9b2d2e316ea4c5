"""--help has examples and no value placeholder after flags; ids and names tab-complete; typos get suggestions."""

from __future__ import annotations

import os
import subprocess
import sys

from forecasts.cli_help import EXAMPLES
from forecasts.suggest import did_you_mean


def test_help_shows_an_example_and_flags_take_no_value(cli):
    out = cli("forecast", "--help").stdout
    assert "Example: forecasts forecast ceasefire-current-lines 12%" in " ".join(out.split())
    assert "<bool>" not in out and "--json" in out
    assert "<str>" in out  # options that take a value still say so
    for command in ("leaderboard", "weekly", "score"):
        text = cli(command, "--help").stdout
        assert "<bool>" not in text and "Example:" in text, command


def test_every_example_names_its_command():
    for command, example in EXAMPLES.items():
        assert example.startswith("forecasts " + command), command


def _complete(db_path, words: str) -> list[str]:
    cword = str(len(words.split()) - 1)
    env = dict(os.environ, _FORECASTS_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=cword,
               FORECASTS_DB=str(db_path))  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "forecasts"], env=env, capture_output=True, text=True, check=False)
    return out.stdout.split()


def test_question_ids_and_names_tab_complete(pack_cli):
    pack_cli("forecasters", "add", "alice", "albert")
    assert _complete(pack_cli.db_path, "forecasts forecast ceasefire-c") == ["ceasefire-current-lines"]
    assert _complete(pack_cli.db_path, "forecasts forecast cea") == ["ceasefire-current-lines", "ceasefire-date"]
    assert _complete(pack_cli.db_path, "forecasts questions show talks") == ["talks-start"]
    assert _complete(pack_cli.db_path, "forecasts calibration al") == ["albert", "alice"]
    assert _complete(pack_cli.db_path, "forecasts forecast-list --by ali") == ["alice"]


def test_a_typo_gets_did_you_mean_not_the_whole_list(pack_cli):
    err = pack_cli("questions", "show", "ceasfire-current-lines", ok=False).stderr.strip()
    assert err == (
        "Error: question: unknown id 'ceasfire-current-lines'; did you mean 'ceasefire-current-lines' or "
        "'ceasefire-date'?"
    )
    far = pack_cli("questions", "show", "zzz", ok=False).stderr.strip()
    assert far == "Error: question: unknown id 'zzz'; 16 known; see `forecasts questions list`"
    assert did_you_mean("Alise", ["alice", "bob"], "x") == "did you mean 'alice'?"
    assert did_you_mean("q", ["alice", "bob"], "x") == "known: alice, bob"
