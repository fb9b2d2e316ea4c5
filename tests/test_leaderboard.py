"""Scores, leaderboard and calibration through the store and the CLI (as-of views, resolutions, bad input)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from forecasts.forecasting import submit_forecast
from forecasts.resolution import resolve, unresolve
from forecasts.scoring.leaderboard import calibration, leaderboard, score_table

T0 = datetime(2025, 1, 6, tzinfo=UTC)

QUESTION = """title = "Test question {qid}"
type = "{qtype}"
{outcomes}opens_at = {opens}
closes_at = {closes}
resolves_by = {closes}
tags = {tags}
resolution_criteria = "Resolves by fiat in the test."

[prior]
{prior}
"""


def write_question(root: Path, qid: str, days: int = 7, tags: str = '["test"]', outcomes: list | None = None) -> None:
    opens, closes = T0.date().isoformat(), (T0 + timedelta(days=days)).date().isoformat()
    if outcomes:
        text = QUESTION.format(
            qid=qid, qtype="ordered", outcomes=f"outcomes = {outcomes!r}\n".replace("'", '"'), opens=opens,
            closes=closes, tags=tags, prior=f"alpha = {[1] * len(outcomes)}",
        )  # fmt: skip
    else:
        text = QUESTION.format(
            qid=qid, qtype="binary", outcomes="", opens=opens, closes=closes, tags=tags,
            prior='probability = 0.5\nnote = "coin"',
        )  # fmt: skip
    (root / f"{qid}.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def scored(cli, db, tmp_path):
    """Three 7-day questions from 2025-01-06: 'week' (yes), 'other' (no), 'grid' (ordered, '2')."""
    root = tmp_path / "qs"
    root.mkdir()
    write_question(root, "week")
    write_question(root, "other", tags='["test", "extra"]')
    write_question(root, "grid", outcomes=["1", "2", "3", "4"])
    cli("sync", "--questions", str(root))
    submit_forecast(db, "week", 0.9, "ann", made_at=T0)
    submit_forecast(db, "week", 0.95, "ann", made_at=T0 + timedelta(days=3))
    submit_forecast(db, "week", 0.3, "bob", made_at=T0 + timedelta(days=5))
    submit_forecast(db, "other", 0.2, "ann", made_at=T0 + timedelta(days=1))
    submit_forecast(db, "other", 0.6, "bob", made_at=T0 + timedelta(days=1))
    submit_forecast(db, "grid", {"1": 0.01, "2": 0.32, "3": 0.44, "4": 0.23}, "ann", made_at=T0)
    cli("resolve", "week", "yes", "--known-at", "2025-01-13")
    cli("resolve", "other", "no", "--known-at", "2025-01-13")
    cli("resolve", "grid", "3", "--known-at", "2025-01-13")
    return cli


def rows_by(rows: list[dict]) -> dict:
    return {(r["question_id"], r["forecaster_id"]): r for r in rows}


def test_score_json_through_the_store_matches_reference(scored):
    rows = rows_by(scored.json("score"))
    ann = rows[("week", "ann")]
    assert ann["brier"] == pytest.approx(0.0057143, abs=1e-7)
    assert ann["brier_gj"] == pytest.approx(0.0114286, abs=1e-7)
    assert ann["coverage"] == 1.0 and ann["outcome"] == "yes"
    assert rows[("grid", "ann")]["brier"] == pytest.approx(0.1619 / 3)
    bob = rows[("week", "bob")]  # late: 5 of 7 days without a forecast
    assert bob["brier"] == pytest.approx(0.49)
    assert bob["brier_fixed_lifetime"] == pytest.approx((5 * 0.25 + 2 * 0.49) / 7)
    assert bob["coverage"] == pytest.approx(2 / 7)
    # days 5–7: the people's Briers are 0.0025 (ann) and 0.49 (bob), median 0.24625; days 0–5 ann alone
    assert bob["relative_brier"] == pytest.approx(2 * (0.49 - 0.24625) / 7)
    assert ann["relative_brier"] == pytest.approx(2 * (0.0025 - 0.24625) / 7)
    assert ann["peer"] == pytest.approx(-bob["peer"])  # two people: opposite peer scores


def test_score_filters(scored):
    assert {r["forecaster_id"] for r in scored.json("score", "--by", "bob")} == {"bob"}
    assert {r["question_id"] for r in scored.json("score", "--tag", "extra")} == {"other"}
    assert {r["forecaster_id"] for r in scored.json("score", "--question", "week")} == {"ann", "bob"}
    text = scored("score").stdout
    assert "0.006" in text and "lower is better" in text and "Relative" in text and "Fatebook" in text
    assert {r["question_id"] for r in scored.json("score", "--tag", "extra", "--tag", "test")} == {
        "week",
        "other",
        "grid",
    }


def test_leaderboard_ranks_and_labels(scored):
    board = scored.json("leaderboard")
    assert [r["forecaster"] for r in board] == ["ann", "bob"]
    assert board[0]["rank"] == 1 and board[0]["n_questions"] == 3 and board[1]["n_questions"] == 2
    assert set(board[0]) >= {"brier", "relative_brier", "peer", "brier_adjusted", "coverage", "kind"}
    assert scored.json("leaderboard", "--tag", "extra")[0]["n_questions"] == 1
    assert [r["forecaster"] for r in scored.json("leaderboard", "--min-questions", "3")] == ["ann"]
    assert [r["forecaster"] for r in scored.json("leaderboard", "--rank-by", "peer")] == ["ann", "bob"]
    text = scored("leaderboard").stdout
    assert "Relative" in text and "Fatebook" in text and "people's median" in text


def test_ambiguous_excluded_and_unresolve_removes_scores(scored, db):
    unresolve(db, "other")
    assert "other" not in {r["question_id"] for r in scored.json("score")}
    resolve(db, "other", "ambiguous", known_at="2025-01-13")
    assert "other" not in {r["question_id"] for r in scored.json("score")}
    assert {r["forecaster"]: r["n_questions"] for r in scored.json("leaderboard")} == {"ann": 2, "bob": 1}
    empty = scored.json("calibration", "ann", "--tag", "extra")  # nothing scored under this tag any more
    assert empty["n_questions"] == 0 and empty["table"] == [] and empty["murphy"]["brier"] is None


def test_as_of_view_ignores_later_resolutions(scored, db):
    before = datetime(2025, 2, 1, tzinfo=UTC)  # the resolutions were recorded "now", long after this
    assert score_table(db, known_by=before).empty
    assert leaderboard(db, known_by=before).empty
    assert len(score_table(db)) == 5
    assert score_table(db).equals(score_table(db))  # deterministic


def test_calibration_json_and_plots(scored, tmp_path):
    result = scored.json("calibration", "ann")
    assert result["n_questions"] == 3
    assert sum(r["n"] for r in result["table"]) == 2 + 4  # two binary + four unfolded ordered outcomes
    m = result["murphy"]
    assert m["brier_binned"] == pytest.approx(m["reliability"] - m["resolution"] + m["uncertainty"])
    assert {t["tag"] for t in result["by_tag"]} == {"test", "extra"}
    svg = tmp_path / "cal.svg"
    scored("calibration", "ann", "--plot", str(svg))
    first = svg.read_text()
    scored("calibration", "ann", "--plot", str(svg))
    assert first == svg.read_text() and first.startswith("<svg")
    png = tmp_path / "cal.png"
    scored("calibration", "ann", "--tag", "test", "--plot", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert calibration(scored_db(scored), "bob")["n_questions"] == 2


def scored_db(cli):
    from forecasts.store.db import connect

    return connect(cli.db_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "--by", "nobody"), "forecaster: unknown name 'nobody'"),
        (("score", "--tag", "nope"), "tag: unknown tag 'nope'"),
        (("score", "--question", "nope"), "question: unknown id 'nope'"),
        (("leaderboard", "--tag", "nope"), "tag: unknown tag 'nope'"),
        (("calibration", "nobody"), "forecaster: unknown name 'nobody'"),
        (("calibration", "ann", "--plot", "x.gif"), "plot: 'x.gif' must end in .svg or .png"),
    ],
)
def test_bad_input_is_a_one_line_error(scored, args, message):
    result = scored(*args, ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert message in result.output and "Traceback" not in result.output


def test_pack_questions_score_after_resolution(pack_cli, db):
    week_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
    submit_forecast(db, "ceasefire-current-lines", 0.3, "ann", made_at=week_ago)
    pack_cli("forecast", "ceasefire-current-lines", "0.6", "--by", "bob", "--new-forecaster")
    assert pack_cli.json("score") == []
    pack_cli("resolve", "ceasefire-current-lines", "yes")  # a deadline question resolves no only at its close
    rows = rows_by(pack_cli.json("score"))
    # bob forecast moments before the truth became known (known_at = now): scored only if that was an earlier
    # second (timestamps are whole seconds), and then with a negligible share of the lifetime
    assert ("ceasefire-current-lines", "ann") in rows and set(rows) <= {
        ("ceasefire-current-lines", n) for n in ["ann", "bob"]
    }
    assert rows.get(("ceasefire-current-lines", "bob"), {"coverage": 0.0})["coverage"] < 1e-5
    ann = rows[("ceasefire-current-lines", "ann")]
    assert ann["brier"] == pytest.approx(0.49)  # the headline: the Brier while the forecast stood
    # a forecast standing a week of a 2.6-year question: the fixed-lifetime Brier is almost all 0.25 filler
    assert ann["coverage_lifetime"] == pytest.approx(7 / 952, rel=1e-3)
    assert ann["brier_fixed_lifetime"] == pytest.approx(0.25 + ann["coverage_lifetime"] * (0.49 - 0.25), rel=1e-3)


# --- a fair leaderboard ----------------------------------------------------------------------------------


@pytest.fixture
def uneven(cli, db, tmp_path):
    """Two easy and two hard questions (all resolve yes); 'lucky' answers only the easy ones, worse than the
    median there; ann and bob answer all four; the model `bayes` answers the easy ones almost perfectly."""
    root = tmp_path / "qs"
    root.mkdir()
    for qid in ("easy1", "easy2", "hard1", "hard2"):
        write_question(root, qid, tags='["hard"]' if qid.startswith("hard") else '["easy"]')
    cli("sync", "--questions", str(root))
    made = {"easy": {"ann": 0.95, "bob": 0.9, "lucky": 0.85}, "hard": {"ann": 0.5, "bob": 0.4}}
    for qid in ("easy1", "easy2", "hard1", "hard2"):
        for who, p in made[qid[:4]].items():
            submit_forecast(db, qid, p, who, made_at=T0)
        if qid.startswith("easy"):
            submit_forecast(db, qid, 0.999, "bayes", made_at=T0, kind="model")
        cli("resolve", qid, "yes", "--known-at", "2025-01-13")
    return cli


def test_leaderboard_ranks_by_relative_brier_not_raw_brier(uneven):
    board = {r["forecaster"]: r for r in uneven.json("leaderboard")}
    people = [r["forecaster"] for r in uneven.json("leaderboard") if r["kind"] == "person"]
    assert people == ["ann", "lucky", "bob"]  # raw mean Brier would put lucky first
    assert board["lucky"]["brier"] < board["ann"]["brier"]
    # easy: Briers 0.0025, 0.01, 0.0225 (median 0.01); hard: 0.25, 0.36 (median 0.305)
    assert board["ann"]["relative_brier"] == pytest.approx((2 * -0.0075 + 2 * -0.055) / 4)
    assert board["lucky"]["relative_brier"] == pytest.approx(0.0125)
    assert board["ann"]["brier_adjusted"] < board["lucky"]["brier_adjusted"]
    ranked = uneven.json("leaderboard", "--rank-by", "adjusted", "--min-questions", "1")
    adjusted = [r["forecaster"] for r in ranked if r["kind"] == "person"]
    assert adjusted == ["ann", "lucky", "bob"]
    assert board["ann"]["n_questions"] == 4 and board["lucky"]["n_questions"] == 2
    assert board["ann"]["n_questions_adjusted"] == 4 and board["bayes"]["n_questions_adjusted"] == 2


def test_model_is_scored_against_people_never_counted_among_them(uneven):
    rows = {(r["question_id"], r["forecaster_id"]): r for r in uneven.json("score")}
    assert rows[("easy1", "ann")]["relative_brier"] == pytest.approx(0.0025 - 0.01)  # median of 3 people only
    assert rows[("easy1", "bayes")]["relative_brier"] == pytest.approx(0.001**2 - 0.01)
    gm = (0.95 * 0.9 * 0.85) ** (1 / 3)
    assert rows[("easy1", "bayes")]["peer"] == pytest.approx(100 * 1.5 * np.log(0.999 / gm))
    peers = [rows[("easy1", w)]["peer"] for w in ("ann", "bob", "lucky")]
    assert sum(peers) == pytest.approx(0.0, abs=1e-9)  # the people's peer scores sum to zero
    model = [r for r in uneven.json("leaderboard") if r["forecaster"] == "bayes"]
    assert model[0]["kind"] == "model" and model[0]["n_questions"] == 2


def test_min_questions_tags_and_scores_at_close(uneven):
    assert {r["forecaster"] for r in uneven.json("leaderboard", "--min-questions", "3")} == {"ann", "bob"}
    assert {r["n_questions"] for r in uneven.json("leaderboard", "--tag", "hard")} == {2}
    both = {r["forecaster"]: r["n_questions"] for r in uneven.json("leaderboard", "--tag", "hard", "--tag", "easy")}
    assert both == {"ann": 4, "bob": 4, "lucky": 2, "bayes": 2}
    rows = uneven.json("score", "--by", "bob")
    bob = next(r for r in uneven.json("leaderboard") if r["forecaster"] == "bob")
    assert bob["peer_close"] == pytest.approx(np.mean([r["peer_close"] for r in rows]))
    assert bob["brier_close"] == pytest.approx(np.mean([r["brier_close"] for r in rows]))
    at_close = uneven("leaderboard", "--at-close").stdout  # headers wrap at spaces: look for their words
    assert "close" in at_close and "close" not in uneven("leaderboard").stdout.split("Relative")[0]
    assert at_close != uneven("leaderboard").stdout
    bad = uneven("leaderboard", "--rank-by", "raw", ok=False)
    assert bad.exit_code == 1 and "rank-by: 'raw' must be one of own, relative, peer, adjusted" in bad.output


def test_calibration_reports_the_leaderboards_numbers(uneven):
    cal = uneven.json("calibration", "ann")["scores"]
    ann = next(r for r in uneven.json("leaderboard") if r["forecaster"] == "ann")
    for field in ("brier", "brier_close", "relative_brier", "peer"):
        assert cal[field] == pytest.approx(ann[field], abs=1e-12)
    assert "Brier (time-avg, GJO)" in uneven("calibration", "ann").stdout


def test_team_size_scoring_does_not_load_numba(scored):
    # a team's database scores in numpy: neither score nor leaderboard loads numba or the compiled kernels
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom forecasts.cli import app\n"
        f"for cmd in (['score'], ['leaderboard'], ['calibration', 'ann']):\n"
        f"    assert CliRunner().invoke(app, ['--db', {str(scored.db_path)!r}, *cmd, '--json']).exit_code == 0\n"
        "print(sorted(m for m in ('numba', 'forecasts.scoring.kernels') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and out.stderr == ""


def test_score_and_calibration_take_a_name_in_any_case(scored):
    assert scored.json("score", "--by", "BOB") == scored.json("score", "--by", "bob") != []
    assert scored.json("calibration", "Bob")["scores"] == scored.json("calibration", "bob")["scores"]


def test_question_closing_in_2525_is_scored_everywhere(cli, db, tmp_path):
    """Issue 25: close dates after 2262-04-11 overflowed nanoseconds and the question vanished from the scores."""
    root = tmp_path / "qs"
    root.mkdir()
    write_question(root, "far", days=(datetime(2525, 1, 1, tzinfo=UTC) - T0).days)
    write_question(root, "near")
    cli("sync", "--questions", str(root))
    for qid in ("far", "near"):
        for n, who in enumerate(("ann", "bob", "cy", "dee", "eve")):
            submit_forecast(db, qid, 0.6 + 0.05 * n, who, made_at=T0 + timedelta(days=1))
        cli("resolve", qid, "yes", "--known-at", "2025-01-13")
    rows = rows_by(cli.json("score"))
    assert {q for q, _ in rows} == {"far", "near"}
    # resolved early at the same instant: the same forecasts on both score the same
    assert rows[("far", "ann")]["brier"] == pytest.approx(rows[("near", "ann")]["brier"])
    assert rows[("far", "ann")]["brier"] == pytest.approx(0.16)
    board = {r["forecaster"]: r for r in cli.json("leaderboard")}
    assert board["ann"]["n_questions"] == 2
    assert calibration(db, "ann")["n_questions"] == 2


def test_adjusted_ranking_leaves_out_forecasters_with_few_questions_by_default(scored):
    """Issue 25: --rank-by adjusted defaults to at least 5 questions; relative keeps everyone with one."""
    assert scored.json("leaderboard", "--rank-by", "adjusted") == []
    assert len(scored.json("leaderboard")) == 2
    assert len(scored.json("leaderboard", "--rank-by", "adjusted", "--min-questions", "1")) == 2


def test_calibration_of_one_forecaster_equals_scoring_everyone(scored, db):
    """calibration NAME scores only that forecaster's questions; its scores match the leaderboard's means."""
    board = {r["forecaster"]: r for r in scored.json("leaderboard")}
    for name in ("ann", "bob"):
        got = calibration(db, name)["scores"]
        assert got["relative_brier"] == pytest.approx(board[name]["relative_brier"])
        assert got["brier"] == pytest.approx(board[name]["brier"])
