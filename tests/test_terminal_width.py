"""Every table command fits 80 columns (COLUMNS=80, as when piped) on the shipped pack with a team's forecasts,
without cutting a question id, a forecaster's name or a number; and no negative zero anywhere."""

from __future__ import annotations

import re
import time

import pytest

from forecasts.cli import app
from forecasts.numbers import fixed, pct, pp, signed
from forecasts.termtable import Column, render

PEOPLE = ["alice", "bob", "carol-with-a-long-name", "dmitri.k"]
WIDTH = 80


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory):
    """The shipped pack with its example evidence, four people's forecasts and one resolved question."""
    import shutil

    from conftest import PACK, Cli

    root = tmp_path_factory.mktemp("team")
    shutil.copytree(PACK, root / "questions")
    cli = Cli(root / "team.db")
    cli("sync", "--questions", str(root / "questions"))
    cli("forecasters", "add", *PEOPLE)
    cli("evidence", "import", str(root / "questions" / "road-ahead" / "evidence.jsonl"))
    listed = cli.json("questions", "list")
    ids, kinds = [r["id"] for r in listed], {r["id"]: r["type"] for r in listed}
    for n, who in enumerate(PEOPLE):
        for qid in ids:
            if kinds[qid] == "numeric":
                cli("forecast", qid, "--p10", f"{19 + n / 10}", "--p90", f"{21 + n / 10}", "--by", who)
            elif kinds[qid] == "date":
                cli("forecast", qid, "--p10", f"2026-0{n + 3}-01", "--p90", "2027-06-01", "--by", who)
            elif qid == "talks-start":
                probs = f"before-2025-04=1%,2025-04-to-2025-12=1%,2026={10 + n}%,2027-or-later={88 - n}%"
                cli("forecast", qid, probs, "--by", who, "--rationale", "A rationale that has to wrap. " * 5)
            else:
                cli("forecast", qid, f"{5 + 7 * n}%", "--by", who, "--rationale", "short")
    time.sleep(1.1)  # timestamps are whole seconds: a forecast in the second the truth became known is not scored
    cli("resolve", "ceasefire-current-lines", "yes", "--source", "test")
    return cli, ids


def fits(output: str) -> list[str]:
    lines = output.splitlines()
    too_long = [line for line in lines if len(line) > WIDTH]
    assert not too_long, too_long
    assert not re.search(r"[-−]0\.0*(?![0-9])", output)  # no negative zero
    return lines


def at_80(cli, *args: str) -> str:
    """A command's output at COLUMNS=80, after checking it succeeded and every line fits."""
    result = cli.runner.invoke(app, ["--db", str(cli.db_path), *args], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    fits(result.stdout)
    return result.stdout


def words(output: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", output))


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["questions", "list"],
        ["evidence", "list"],
        ["forecast-list"],
        ["forecast-list", "--full"],
        ["forecast-list", "--people", "--tag", "negotiations"],
        ["aggregate"],
    ],
)
def test_question_tables_fit_80_columns_with_every_id_whole(team, args: list[str]) -> None:
    cli, ids = team
    stdout = at_80(cli, *args)
    found = words(stdout)
    if args[0] in ("status", "questions", "aggregate"):
        assert set(ids) <= found
    if args[0] == "evidence":
        linked = {lk["question"] for e in cli.json("evidence", "list") for lk in e["links"]}
        assert linked <= found
    if args[0] == "forecast-list":
        listed = cli.json(*args) if "--full" not in args else cli.json("forecast-list")
        assert {f["question_id"] for f in listed} <= found
        assert {f["forecaster_id"] for f in listed} <= found
        assert {str(f["id"]) for f in listed} <= found
    if args == ["forecast-list"]:
        assert len(stdout.splitlines()) <= len(cli.json("forecast-list")) + 6  # one line per forecast


SCORE_COMMANDS = [["score"], ["leaderboard"], ["calibration", "alice"], ["questions", "show", "talks-start"]]


@pytest.mark.parametrize("args", SCORE_COMMANDS)
def test_score_tables_fit_80_columns(team, args: list[str]) -> None:
    cli, _ = team
    stdout = at_80(cli, *args)
    found = words(stdout)
    if args[0] in ("score", "leaderboard"):  # every person forecast before the resolution's second (see team)
        scored = {r["forecaster_id"] for r in cli.json("score")}
        assert set(PEOPLE) <= scored and scored <= found
    if args[0] == "score":
        assert "ceasefire-current-lines" in found
        for row in cli.json("score"):
            assert fixed(row["relative_brier_own"], 3) in stdout  # the headline whole, never folded
    if args[0] == "leaderboard":
        for row in cli.json("leaderboard"):
            assert fixed(row["relative_brier_own"], 3) in stdout  # the ranking score whole, never folded


def test_questions_show_names_the_question_of_every_likelihood_ratio(team) -> None:
    cli, _ = team
    out = cli("questions", "show", "talks-start").stdout
    item = next(e for e in cli.json("evidence", "list", "--question", "talks-start") if len(e["links"]) > 4)
    others = {lk["question"] for lk in item["links"]} - {"talks-start"}
    text = " ".join(out.split())
    start = text.index(f"#{item['id']} ")
    block = text[start : text.find(" #", start + 2)]
    assert "also" in block and all(q in block for q in others)


def test_render_wraps_text_drops_by_priority_and_never_cuts_ids() -> None:
    cols = [Column("id"), Column("value", right=True), Column("extra", 2), Column("notes", 1, wrap=True, min_width=10)]
    rows = [["a-very-long-question-identifier-indeed", "12.3%", "x" * 30, "word " * 30]]
    out = render(cols, rows, width=60)
    assert all(len(line) <= 60 for line in out.splitlines())
    assert "a-very-long-question-identifier-indeed" in out and "12.3%" in out
    assert "not shown at 60 columns: extra;" in " ".join(out.split())  # the dropped column is named
    assert out.count("word") == 30  # wrapped, nothing lost


def test_no_negative_zero() -> None:
    assert fixed(-0.0001, 3) == "0.000" and signed(-0.0001) == "+0.00" and signed(-0.02) == "-0.02"
    assert pct(-1e-9) == "0.0%" and pp(-1e-6) == "+0.0 pp" and pp(0.058) == "+5.8 pp"


@pytest.mark.slow
def test_scenarios_table_fits_80_columns_with_every_question_id_whole(team, tmp_path_factory) -> None:
    cli, _ = team
    root = cli.db_path.parent / "questions"
    stdout = at_80(cli, "scenarios", "--questions", str(root))
    rows = cli.json("scenarios", "--questions", str(root))
    found = words(stdout)
    assert {r["id"] for r in rows} <= found
    assert {c["question"] for r in rows for c in r["conditions"]} <= found


def test_pymc_command_tables_fit_80_columns_with_ids_and_intervals_whole(team) -> None:
    """posterior (one question and --all), skill and trust: every question id, evidence id, name and interval whole."""
    cli, _ = team
    settings = ["--draws", "200", "--tune", "200"]

    one = at_80(cli, "posterior", "nato-renunciation", *settings)
    stored = cli.json("posterior", "nato-renunciation", *settings)
    assert stored["contributions"] and all(f"#{c['evidence_id']} " in one for c in stored["contributions"])
    percent = r"<?\d+(\.\d)?%"  # a run is at a new instant (deadline questions decay), so match the shape
    assert re.search(rf"^yes +{percent} +{percent} +{percent} +{percent}$", one, re.M)
    every = at_80(cli, "posterior", "--all", *settings)
    rows = cli.json("posterior", "--all", *settings)
    for r in rows:  # each question on one line with its mean and its interval whole
        assert re.search(rf"^{re.escape(r['question'])} +\S+ +{percent} +{percent}–{percent} ", every, re.M), r
    # (the check that numbers stay whole and on one line is the regex: a folded cell would break the line)
    skill = at_80(cli, "skill", *settings)
    fitted = cli.json("skill", *settings)
    for r in fitted["forecasters"]:
        s = r["slope"]
        assert r["forecaster"] in words(skill)
        assert f"{s['mean']:.2f} [{s['lo']:.2f}, {s['hi']:.2f}]" in skill  # the interval on one line, never split
        assert r["verdict"].split(" (")[0] in skill
    at_80(cli, "trust")
