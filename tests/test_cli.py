"""CLI niceties: --version, completion, one-line usage errors, `12%`, default observation time, `questions new`,
and the previous value and crowd shown after `forecast`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from forecasts import __version__
from forecasts.cli import app
from forecasts.timeutil import from_iso, now_utc


def test_version(cli) -> None:
    result = cli("--version")
    assert result.stdout.strip() == f"forecasts {__version__}"


def test_completion_is_offered(cli) -> None:
    assert "--install-completion" in cli("--help").stdout
    result = cli.runner.invoke(app, ["--show-completion", "bash"], prog_name="forecasts")
    assert result.exit_code == 0
    assert "_FORECASTS_COMPLETE=complete_bash" in result.stdout and "complete -o default" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["forecast"], ["forecast:", "Missing argument"]),
        (["forecast", "q", "0.3", "--by"], ["--by", "requires an argument"]),
        (["forecast", "q", "0.3", "--by", "al", "--bogus"], ["No such option: --bogus"]),
        (["nosuch"], ["No such command 'nosuch'"]),
        (["evidence", "retract", "abc", "--reason", "x"], ["evidence retract:", "evidence_id"]),
        (["posterior", "--draws", "many"], ["posterior:", "--draws"]),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(cli, args: list[str], words: list[str]) -> None:
    result = cli(*args, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    for word in words:
        assert word in lines[0]


def test_percent_and_fraction_are_the_same_forecast(cli, make_question) -> None:
    folder = make_question("alpha")
    make_question("cat", type="categorical", outcomes=["a", "b"], prior="counts = [1, 1]")
    cli("sync", "--questions", str(folder))
    cli("forecasters", "add", "al")
    assert cli.json("forecast", "alpha", "12%", "--by", "al")["probability"] == pytest.approx(0.12)
    assert cli.json("forecast", "alpha", "0.12", "--by", "al")["probability"] == pytest.approx(0.12)
    assert cli.json("forecast", "alpha", "12.5%", "--by", "al")["probability"] == pytest.approx(0.125)
    assert "is not a probability" in cli("forecast", "alpha", " 12.5 % ", "--by", "al", ok=False).stderr  # issue 30
    out = cli.json("forecast", "cat", "a=30%,b=0.7", "--by", "al")
    assert out["probabilities"] == pytest.approx({"a": 0.3, "b": 0.7})


def test_observed_at_defaults_to_now(cli, make_question) -> None:
    cli("sync", "--questions", str(make_question("alpha")))
    before = now_utc()
    out = cli.json("evidence", "add", "alpha", "--summary", "news today", "--lr", "2")
    row = cli.json("evidence", "list")[0]
    assert row["id"] == out["evidence_id"]
    assert before <= from_iso(row["observed_at"]) <= now_utc()


@pytest.mark.parametrize("qtype", ["binary", "categorical", "ordered"])
def test_questions_new_writes_a_template_sync_refuses_until_filled(cli, tmp_path, qtype: str) -> None:
    folder = tmp_path / "qs"
    cli("questions", "new", "my-question", "--type", qtype, "--questions", str(folder))
    path = folder / "my-question.toml"
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["type"] == qtype and "#" in text  # commented
    refused = cli("sync", "--questions", str(folder), ok=False)
    assert refused.exit_code == 1
    assert "title: is required" in refused.stderr and "resolution_criteria: is required" in refused.stderr
    text = text.replace('title = ""', 'title = "Will it?"', 1).replace('reference = ""', 'reference = "coins"', 1)
    text = text.replace('resolution_criteria = """\n"""', 'resolution_criteria = """\nYes if it does.\n"""', 1)
    path.write_text(text, encoding="utf-8")
    cli("sync", "--questions", str(folder))
    shown = cli.json("questions", "show", "my-question")
    assert shown["question"]["title"] == "Will it?" and shown["question"]["type"] == qtype
    again = cli("questions", "new", "my-question", "--questions", str(folder), ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_questions_new_refuses_bad_id_and_type(cli, tmp_path) -> None:
    bad = cli("questions", "new", "Bad Id", "--questions", str(tmp_path), ok=False)
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: id:")
    bad = cli("questions", "new", "ok-id", "--type", "scalar", "--questions", str(tmp_path), ok=False)
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: type:")
    assert not list(tmp_path.glob("*.toml"))


def test_forecast_shows_previous_value_and_crowd(cli, make_question) -> None:
    make_question("alpha")
    cli("sync", "--questions", str(make_question("hidden", tags=["hide-crowd"])))
    cli("forecasters", "add", "al", "bo", "cy")
    first = cli("forecast", "alpha", "0.2", "--by", "al")
    assert "your previous: none; crowd: no one else has forecast yet" in first.stdout
    cli("forecast", "alpha", "30%", "--by", "bo")
    cli("forecast", "alpha", "0.5", "--by", "cy")
    again = cli("forecast", "alpha", "0.25", "--by", "al")
    assert "your previous: 20.0%" in again.stdout
    assert "crowd: 40.0% (median of 2 others)" in again.stdout
    fb = cli.json("forecast", "alpha", "0.3", "--by", "al")["feedback"]
    assert fb["previous"]["yes"] == pytest.approx(0.25) and fb["crowd"]["yes"] == pytest.approx(0.4)
    cli("forecast", "hidden", "0.4", "--by", "bo")
    hidden = cli("forecast", "hidden", "0.2", "--by", "al")
    assert "hidden on this question" in hidden.stdout and "40.0%" not in hidden.stdout


def test_a_reader_that_stops_early_gets_no_error(tmp_path) -> None:
    """`forecasts evidence list --json | head -c 10`: the closed pipe ends the command quietly, exit 0."""
    import os
    import subprocess
    import sys

    from conftest import PACK

    script = Path(sys.executable).parent / "forecasts"
    env = {**os.environ, "FORECASTS_DB": str(tmp_path / "pipe.db")}
    for args in (["sync", "--questions", str(PACK)], ["evidence", "import", str(PACK / "road-ahead/evidence.jsonl")]):
        subprocess.run([str(script), *args], env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.Popen([str(script), "evidence", "list", "--json"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()  # the JSON is ~100 kB, more than a pipe holds: the writer meets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == "", err


def test_questions_show_lists_each_forecasters_standing_forecast_once(cli, make_question) -> None:
    """The full history is `forecast-list --question`; the question's page shows what stands now."""
    cli("sync", "--questions", str(make_question("alpha")))
    cli("forecasters", "add", "al", "bo")
    for p in ("10%", "20%", "30%"):
        cli("forecast", "alpha", p, "--by", "al")
    cli("forecast", "alpha", "40%", "--by", "bo")
    text = cli("questions", "show", "alpha").stdout
    shown = text[text.index("Standing forecasts") :]
    assert "(2 forecasters, 4 forecasts in all" in shown.replace("\n", " ")
    assert "al: 30.0%" in shown and "bo: 40.0%" in shown and "10.0%" not in shown and "20.0%" not in shown
    assert len(cli.json("questions", "show", "alpha")["forecasts"]) == 4  # --json keeps the whole history


def test_questions_show_marks_retracted_items_and_prints_brackets_as_typed(cli, make_question) -> None:
    """The page is plain text: a retracted item says so (rich markup had swallowed "[retracted]" as a style tag),
    and a summary or rationale with square brackets prints verbatim."""
    cli("sync", "--questions", str(make_question("alpha")))
    cli("forecasters", "add", "al")
    cli("evidence", "add", "alpha", "--lr", "2", "--summary", "Talks [per Reuters] resumed", "--source", "x")
    cli("evidence", "add", "alpha", "--lr", "0.5", "--summary", "A rumour, later denied", "--source", "y")
    rumour = next(e["id"] for e in cli.json("evidence", "list") if e["summary"].startswith("A rumour"))
    cli("evidence", "retract", str(rumour), "--reason", "denied")
    cli("forecast", "alpha", "30%", "--by", "al", "--rationale", "[bold]not markup[/bold]")
    text = " ".join(cli("questions", "show", "alpha").stdout.split())  # wrapped lines joined
    assert "Talks [per Reuters] resumed" in text
    assert f"#{rumour} " in text and text.index("[retracted]") > text.index("A rumour, later denied")
    assert "[bold]not markup[/bold]" in text and "\033[" not in text  # no escape codes when not a terminal
