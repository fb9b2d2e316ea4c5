"""Numeric and date questions in `score` and `leaderboard`: relative CRPS and Metaculus's continuous peer score,
hand-computed on a small question of our own, beside (never mixed into) the yes/no questions' Brier columns.

The question: range 0-10, closed bounds, open 10 days (2025-01-01 to 01-11), resolved 5. alice forecasts the
uniform CDF from day 0; bob from day 5 a CDF linear from 0 at 0 to 0.1 at 4, 0.9 at 6 and 1 at 10 (kinks on the
201-point grid, so the piecewise-linear CDF is exact). By hand:
- CRPS ÷ width: alice (5³ + 5³) / 300 / 10 = 0.083333; bob 2 · (0.025² · 4³/3 + ∫₀¹ (0.1 + 0.4s)² ds) / 10
  = 2 · (0.0133333 + 0.1033333) / 10 = 0.0233333.
- Relative CRPS: days 0-5 alice alone (her own median: 0); days 5-10 the median is 0.0533333, so alice
  +0.03 · 5 / 10 = +0.015 and bob −0.015.
- Peer (Metaculus continuous): the outcome's bucket (100 of 200) holds alice 0.005, bob 0.02; days 5-10 the
  geometric mean is 0.01: alice 100 · 2 · ln(0.5) / 2 = −69.3147 at close, × 5/10 of the lifetime = −34.6574
  time-averaged; bob the opposite.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

QUESTION = """title = "Width of the test quantity on 2025-01-11"
type = "numeric"
opens_at = 2025-01-01
closes_at = 2025-01-11
resolves_by = 2025-02-01
range_min = 0
range_max = 10
resolution_criteria = "The test's own say-so."
[prior]
distribution = "normal"
mean = 5
sd = 2
reasoning = "A test prior."
"""

BINARY = """title = "Test yes/no question?"
type = "binary"
opens_at = 2025-01-01
closes_at = 2025-01-11
resolves_by = 2025-02-01
resolution_criteria = "The test's own say-so."
[prior]
probability = 0.5
note = "test"
"""


def uniform() -> list[float]:
    return [i / 200 for i in range(201)]


def trapezoid() -> list[float]:
    """0 -> 0.1 over grid points 0..80 (x 0..4), -> 0.9 over 80..120 (x 4..6), -> 1 over 120..200."""
    out = []
    for i in range(201):
        if i <= 80:
            out.append(0.1 * i / 80)
        elif i <= 120:
            out.append(0.1 + 0.8 * (i - 80) / 40)
        else:
            out.append(0.9 + 0.1 * (i - 120) / 80)
    return out


@pytest.fixture
def board_cli(cli, tmp_path: Path):
    root = tmp_path / "questions"
    root.mkdir()
    (root / "width.toml").write_text(QUESTION, encoding="utf-8")
    (root / "yesno.toml").write_text(BINARY, encoding="utf-8")
    cli("sync", "--questions", str(root))
    rows = [
        {"question": "width", "forecaster": "alice", "made_at": "2025-01-01T00:00:00Z", "cdf": uniform()},
        {"question": "width", "forecaster": "bob", "made_at": "2025-01-06T00:00:00Z", "cdf": trapezoid()},
    ]
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert cli.json("import", str(path))["imported"] == 2
    cli("resolve", "width", "5", "--known-at", "2025-01-11")
    return cli


def test_score_rows_of_a_numeric_question(board_cli) -> None:
    rows = {r["forecaster_id"]: r for r in board_cli.json("score") if r["question_id"] == "width"}
    assert set(rows) == {"alice", "bob"}
    a, b = rows["alice"], rows["bob"]
    assert a["type"] == "numeric" and a["outcome"] == "5.0" and a["brier"] is None and a["relative_brier"] is None
    assert a["crps_range"] == pytest.approx(0.25 / 3, abs=1e-9) and b["crps_range"] == pytest.approx(0.07 / 3, abs=1e-9)
    assert (a["relative_crps"], b["relative_crps"]) == pytest.approx((0.015, -0.015), abs=1e-9)
    assert a["peer_continuous"] == pytest.approx(50 * math.log(0.5), abs=1e-6)
    assert b["peer_continuous"] == pytest.approx(-50 * math.log(0.5), abs=1e-6)
    assert a["peer_continuous_close"] == pytest.approx(100 * math.log(0.5), abs=1e-6)
    assert a["coverage"] == pytest.approx(1.0) and b["coverage"] == pytest.approx(0.5)
    assert a["n_forecasts"] == 1
    # one number, one name: the same peer score as `numeric-scores`
    same = {r["forecaster"]: r for r in board_cli.json("numeric-scores")["scores"]}
    assert same["bob"]["peer"] == pytest.approx(b["peer_continuous"]) and same["bob"]["spot_peer"] == pytest.approx(
        b["peer_continuous_close"]
    )


def test_leaderboard_takes_numeric_questions_in_their_own_columns(board_cli) -> None:
    rows = {r["forecaster"]: r for r in board_cli.json("leaderboard")}
    assert set(rows) == {"alice", "bob"}  # no yes/no question resolved: only the numeric one puts them here
    a, b = rows["alice"], rows["bob"]
    assert (a["n_questions"], a["n_numeric"]) == (0, 1)
    assert (a["relative_crps"], b["relative_crps"]) == pytest.approx((0.015, -0.015), abs=1e-9)
    assert b["peer_continuous"] == pytest.approx(-50 * math.log(0.5), abs=1e-6)
    assert a["relative_brier_own"] is None and a["brier"] is None  # Brier is never mixed with CRPS
    ranked = board_cli.json("leaderboard", "--rank-by", "crps")
    assert [r["forecaster"] for r in ranked] == ["bob", "alice"]
    assert [r["forecaster"] for r in board_cli.json("leaderboard", "--rank-by", "peer-continuous")] == ["bob", "alice"]
    text = board_cli("leaderboard").output
    assert "Relative CRPS" in text and "bob" in text


def test_numeric_and_binary_rows_side_by_side(board_cli, tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    rows = [{"question": "yesno", "forecaster": w, "made_at": "2025-01-01T00:00:00Z", "probability": p}
            for w, p in (("alice", 0.8), ("bob", 0.4))]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    board_cli("import", str(path))
    board_cli("resolve", "yesno", "yes", "--known-at", "2025-01-11")
    rows = {r["forecaster"]: r for r in board_cli.json("leaderboard")}
    a = rows["alice"]
    assert (a["n_questions"], a["n_numeric"]) == (1, 1)
    assert a["brier"] == pytest.approx(0.04) and a["relative_crps"] == pytest.approx(0.015, abs=1e-9)
    assert rows["bob"]["brier"] == pytest.approx(0.36)
    # the binary means are over the yes/no question alone, the numeric ones over the numeric one alone
    assert a["relative_brier"] == pytest.approx((0.04 - 0.2) / 1)
    score = board_cli.json("score", "--question", "yesno")
    assert {r["forecaster_id"] for r in score} == {"alice", "bob"} and all(r["relative_crps"] is None for r in score)
    text = board_cli("score").output
    assert "width" in text and "Relative CRPS" in text


def test_weekly_report_leaderboard_and_resolution_show_the_numeric_columns(board_cli, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    board_cli("report", "--out", str(out), "--questions", str(tmp_path / "questions"))
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    board = md[md.index("\n## Leaderboard") :]
    assert "Relative CRPS (range-normalised)" in board and "Peer (Metaculus continuous, log)" in board
    assert "-0.015" in board  # bob's relative CRPS
    resolved = md[md.index("\n## Resolved this week") : md.index("\n## Leaderboard")]
    assert "### width: 5\\.0" in resolved and "| alice | 1 | 0.0833 |" in resolved  # forecaster, forecasts, CRPS
    assert "Relative CRPS (range-normalised)" in resolved
    # the brief's leaders: forecasters of numeric questions only count them and show their relative CRPS
    top = md[md.index("### Leaderboard (top)") : md.index("\n## ", md.index("### Leaderboard (top)"))]
    assert "Relative CRPS (range-normalised)" in top and "| bob | 1 |" in top and "-0.015" in top, top


def test_weekly_brief_counts_open_numeric_questions(cli, tmp_path: Path) -> None:
    """The brief's first line counts every open question and splits off the numeric and date ones."""
    root = tmp_path / "questions"
    root.mkdir()
    later = {"2025-01-01": "2025-01-01", "2025-01-11": "2030-01-11", "2025-02-01": "2030-02-01"}
    for name, text in (("width", QUESTION), ("yesno", BINARY)):
        for old, new in later.items():
            text = text.replace(old, new)
        (root / f"{name}.toml").write_text(text, encoding="utf-8")
    cli("sync", "--questions", str(root))
    out = tmp_path / "rep"
    cli("report", "--out", str(out), "--questions", str(root))
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    line = "2 open questions (1 yes/no or categorical, 1 numeric or date);"
    assert line in md and line in html
    assert "## Numeric and date questions" in md and "Width of the test quantity" in md
    cli("resolve", "width", "5")  # resolved before its close: no longer open, nor in the open numeric section
    cli("report", "--out", str(out), "--questions", str(root))
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "1 open question;" in md
    assert "## Numeric and date questions" not in md or "Width of the test quantity on" not in md.split(
        "## Numeric and date questions"
    )[1].split("\n## ")[0]


def test_server_leaderboard_page_shows_the_numeric_columns(board_cli, db_path: Path) -> None:
    """The team server's page renders the same rows (api leaderboard) with the numeric columns when any is scored."""
    from forecasts.server.library import leaderboard
    from forecasts.server.pages import ENV
    from forecasts.store.db import connect

    db = connect(db_path)
    try:
        rows = leaderboard(db, None, 1, "relative")
    finally:
        db.close()
    html = ENV.get_template("leaderboard.html").render(request=None, csrf="x", me=None, rows=rows)
    assert "relative CRPS (range-normalised)" in html and "peer (Metaculus continuous, log)" in html
    assert "-0.0150" in html and "34.7" in html
    plain = ENV.get_template("leaderboard.html").render(request=None, csrf="x", me=None, rows=[])
    assert "CRPS" not in plain


def test_server_person_page_shows_numeric_scores(board_cli, db_path: Path) -> None:
    """A person's page lists their numeric questions with the CRPS columns, not empty Brier cells."""
    from forecasts.server.pages import ENV
    from forecasts.store.db import connect
    from forecasts.team import my_page

    db = connect(db_path)
    try:
        page = my_page(db, "bob")
    finally:
        db.close()
    html = ENV.get_template("person.html").render(request=None, csrf="x", me=None, p=page)
    assert "CRPS ÷ range 0.0233" in html and "CRPS -0.0150" in html and "34.7 continuous" in html


def test_model_alone_is_scored_against_the_uninformed_forecast() -> None:
    """While no person stands, the median is the uninformed forecast's (the uniform CDF): a model alone from day 5
    with bob's CDF scores (0.0233333 − 0.0833333) · 5/10 = −0.03; the people's peer score needs people (0)."""
    import tomllib
    from datetime import datetime

    from forecasts.numeric.board import question_rows
    from forecasts.questions import parse_question

    q = parse_question(tomllib.loads(QUESTION) | {"id": "width"}, "width.toml")
    day5 = datetime.fromisoformat("2025-01-06T00:00:00+00:00").timestamp()
    resolution = {"outcome": "5.0", "known_at": "2025-01-11T00:00:00Z"}
    [row] = question_rows(q, resolution, {"bayes": [(day5, trapezoid())]}, people=set())
    assert row["relative_crps"] == pytest.approx(-0.03, abs=1e-9) and row["coverage"] == pytest.approx(0.5)
    assert row["peer_continuous"] == 0.0 and row["peer_continuous_close"] is None
    rows = question_rows(q, resolution, {"alice": [(day5 - 5 * 86400, uniform())], "bayes": [(day5, trapezoid())]},
                         people={"alice"})  # fmt: skip
    model = next(r for r in rows if r["forecaster_id"] == "bayes")
    assert model["relative_crps"] == pytest.approx(-0.03, abs=1e-9)  # alice's CRPS is the uniform's too
    assert model["peer_continuous"] == 0.0  # one person: no geometric mean of peers (as the binary peer score)


def test_score_and_leaderboard_with_numeric_rows_import_no_pymc(board_cli, db_path: Path) -> None:
    """With a numeric question scored, `score` and `leaderboard` still load neither pymc nor numba nor scipy."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "forecasts"
    env = {k: v for k, v in os.environ.items() if k != "FORECASTS_DB"} | {"PYTHONPROFILEIMPORTTIME": "1"}
    for command in ("score", "leaderboard"):
        r = subprocess.run([str(script), "--db", str(db_path), command], env=env, capture_output=True, text=True,
                           timeout=300)  # fmt: skip
        assert r.returncode == 0 and "Relative CRPS" in r.stdout, r.stderr[-2000:]
        names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in r.stderr.splitlines()
                 if line.startswith("import time:") and line.count("|") == 2}  # fmt: skip
        assert "numpy" in names and not names & {"pymc", "numba", "scipy", "pytensor", "arviz"}, (command, names)
