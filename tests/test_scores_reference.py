"""Platforms' own reference values through the CLI: import a history, resolve, `score --json`.

Sources (read from the platforms' repositories):
- Fatebook, github.com/Sage-Future/fatebook, pages/api/debug_scoring_test.ts (lib/_scoring.ts): a 7-day
  question resolving yes; relative Brier in the two-sided ×2 convention.
- Metaculus, github.com/Metaculus/metaculus, tests/unit/test_scoring/test_score_math.py (scoring/score_math.py):
  peer and baseline scores on a 10-day question, each forecast by a different user, outcome "yes".
- design.md "Scoring": the project's own reference values.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

OPENS = date(2025, 1, 6)
ABS = 1e-8  # Metaculus rounds to 8 decimals


def when(day: float) -> str:
    """ISO time `day` days after OPENS (UTC)."""
    seconds = round(day * 86400)
    d, s = divmod(seconds, 86400)
    return f"{OPENS + timedelta(days=d)}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}Z"


def run_history(cli, make_question, tmp_path: Path, questions: dict, forecasts: list, resolutions: dict) -> dict:
    """Sync `questions` (id -> (days, outcomes or None)), import forecasts [(qid, who, day, p)] and resolutions
    {qid: (outcome, known day)}, and return `score --json` keyed by (question, forecaster)."""
    for qid, (days, outcomes) in questions.items():
        kw = {"opens_at": str(OPENS), "closes_at": str(OPENS + timedelta(days=days))}
        if outcomes:
            kw |= {"type": "categorical", "outcomes": outcomes, "prior": f"alpha = {[1] * len(outcomes)}"}
        make_question(qid, **kw)
    cli("sync", "--questions", str(tmp_path / "qs"))
    lines = []
    for qid, who, day, p in forecasts:
        row = {"question": qid, "forecaster": who, "made_at": when(day)}
        if isinstance(p, dict):
            row["probabilities"] = p
        else:
            row["probability"] = p
        lines.append(json.dumps(row))
    (tmp_path / "forecasts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("import", str(tmp_path / "forecasts.jsonl"))
    res = [json.dumps({"question": q, "outcome": o, "known_at": when(d)}) for q, (o, d) in resolutions.items()]
    (tmp_path / "resolutions.jsonl").write_text("\n".join(res) + "\n", encoding="utf-8")
    cli("import", str(tmp_path / "resolutions.jsonl"))
    return {(r["question_id"], r["forecaster_id"]): r for r in cli.json("score")}


# --- Fatebook ------------------------------------------------------------------------------------------


def test_fatebook_relative_brier_three_forecasters(cli, make_question, tmp_path):
    rows = run_history(
        cli, make_question, tmp_path, {"cubs": (7, None)},
        [("cubs", "u1", 0, 0.9), ("cubs", "u1", 3, 0.95), ("cubs", "u2", 0, 0.25), ("cubs", "u2", 2, 0.2),
         ("cubs", "u3", 5, 0.99)],
        {"cubs": ("yes", 7)},
    )  # fmt: skip
    # Fatebook's expected values (floatEquality): -0.43, 0.7943, -0.00137, in the ×2 convention
    assert rows[("cubs", "u1")]["relative_brier_gj"] == pytest.approx(-0.43, abs=1e-12)
    assert rows[("cubs", "u2")]["relative_brier_gj"] == pytest.approx(5.56 / 7, abs=1e-12)
    assert rows[("cubs", "u2")]["relative_brier_gj"] == pytest.approx(0.7943, abs=1e-4)
    assert rows[("cubs", "u3")]["relative_brier_gj"] == pytest.approx(-0.0096 / 7, abs=1e-12)
    assert rows[("cubs", "u3")]["relative_brier_gj"] == pytest.approx(-0.00137, abs=1e-5)
    assert rows[("cubs", "u1")]["relative_brier"] == pytest.approx(-0.43 / 2, abs=1e-12)  # (p − o)² convention
    # the single-forecaster case of the same file: absolute Brier 0.0114 (×2) = design.md's 0.0057143
    assert rows[("cubs", "u1")]["brier_gj"] == pytest.approx(0.0114286, abs=1e-7)
    assert rows[("cubs", "u1")]["brier"] == pytest.approx(0.0057143, abs=1e-7)
    assert rows[("cubs", "u3")]["coverage"] == pytest.approx(2 / 7)


def test_two_forecasters_relative_to_the_median_of_their_briers(cli, make_question, tmp_path):
    # the issue's case: 0.1 and 0.9 on a yes; Briers 0.81 and 0.01, median 0.41: ±0.40 (the Brier of the median
    # forecast, 0.25, would give +0.56 / −0.24)
    rows = run_history(cli, make_question, tmp_path, {"pair": (7, None)},
                       [("pair", "lo", 0, 0.1), ("pair", "hi", 0, 0.9)], {"pair": ("yes", 7)})  # fmt: skip
    assert rows[("pair", "lo")]["relative_brier"] == pytest.approx(0.40, abs=1e-12)
    assert rows[("pair", "hi")]["relative_brier"] == pytest.approx(-0.40, abs=1e-12)


def test_fatebook_part_day_question(cli, make_question, tmp_path):
    # a question open 0.7 days (to the second: 60,480 s), one forecast of 0.9 from day 0.2: Brier ×2 0.02
    make_question("quick", opens_at=str(OPENS), closes_at=str(OPENS + timedelta(days=7)))
    rows = run_history(cli, make_question, tmp_path, {}, [("quick", "u1", 0.2, 0.9)], {"quick": ("yes", 0.7)})
    assert rows[("quick", "u1")]["brier_gj"] == pytest.approx(0.02, abs=1e-12)
    assert rows[("quick", "u1")]["coverage"] == pytest.approx(0.5 / 0.7)


def test_fatebook_part_day_revision_is_scored_in_continuous_time(cli, make_question, tmp_path):
    # Fatebook averages the *probability* within a day before scoring it (0.3·0.9 + 0.7·0.95 → 0.00845); the
    # headline Brier is the time-average of the Briers (design.md: continuous time), so 0.3·0.02 + 0.7·0.005
    make_question("quick", opens_at=str(OPENS), closes_at=str(OPENS + timedelta(days=7)))
    rows = run_history(
        cli, make_question, tmp_path, {}, [("quick", "u1", 0, 0.9), ("quick", "u1", 0.21, 0.95)],
        {"quick": ("yes", 0.7)},
    )  # fmt: skip
    assert rows[("quick", "u1")]["brier_gj"] == pytest.approx(0.3 * 0.02 + 0.7 * 0.005, abs=1e-12)


# --- Metaculus -----------------------------------------------------------------------------------------


def gmean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


PEER_CASES = {
    "two-far": ([0.1, 0.9], [100 * np.log(0.1 / 0.9), 100 * np.log(0.9 / 0.1)]),
    "two-near": ([0.4, 0.6], [100 * np.log(0.4 / 0.6), 100 * np.log(0.6 / 0.4)]),
    "three": ([0.1, 0.5, 0.9], [100 * np.log(0.1 / gmean([0.5, 0.9])), 100 * np.log(0.5 / gmean([0.1, 0.9])),
                                100 * np.log(0.9 / gmean([0.1, 0.5]))]),
    "four": ([0.1, 0.3, 0.6, 0.9], [100 * np.log(p / gmean([x for x in [0.1, 0.3, 0.6, 0.9] if x != p]))
                                    for p in [0.1, 0.3, 0.6, 0.9]]),
    "alone": ([0.9], [0.0]),
    "same": ([0.9, 0.9], [0.0, 0.0]),
}  # fmt: skip


def test_metaculus_peer_scores(cli, make_question, tmp_path):
    forecasts = [(qid, f"u{i}", 0, p) for qid, (ps, _) in PEER_CASES.items() for i, p in enumerate(ps)]
    # the staggered case: the third forecaster arrives on day 5 of 10
    forecasts += [("late", "u0", 0, 0.1), ("late", "u1", 0, 0.5), ("late", "u2", 5, 0.9)]
    questions = {qid: (10, None) for qid in [*PEER_CASES, "late"]}
    rows = run_history(cli, make_question, tmp_path, questions, forecasts, {q: ("yes", 10) for q in questions})
    for qid, (_, want) in PEER_CASES.items():
        for i, w in enumerate(want):
            row = rows[(qid, f"u{i}")]
            assert row["peer"] == pytest.approx(w, abs=ABS), (qid, i)
            assert row["peer_close"] == pytest.approx(w, abs=ABS), (qid, i)  # nobody moved: spot = average
            assert row["coverage_lifetime"] == 1.0
    late = {i: rows[("late", f"u{i}")] for i in range(3)}
    assert late[0]["peer"] == pytest.approx(
        100 * (0.5 * np.log(0.1 / 0.5) + 0.5 * np.log(0.1 / gmean([0.5, 0.9]))), abs=ABS
    )
    assert late[1]["peer"] == pytest.approx(
        100 * (0.5 * np.log(0.5 / 0.1) + 0.5 * np.log(0.5 / gmean([0.1, 0.9]))), abs=ABS
    )
    assert late[2]["peer"] == pytest.approx(100 * 0.5 * np.log(0.9 / gmean([0.1, 0.5])), abs=ABS)
    assert late[2]["coverage_lifetime"] == pytest.approx(0.5)
    # spot peer at close: everyone standing then
    for i, p in enumerate([0.1, 0.5, 0.9]):
        others = [x for x in [0.1, 0.5, 0.9] if x != p]
        assert late[i]["peer_close"] == pytest.approx(100 * np.log(p / gmean(others)), abs=ABS)


def test_metaculus_baseline_and_coverage(cli, make_question, tmp_path):
    forecasts = [("whole", "u0", 0, 0.9), ("low", "u0", 0, 0.1), ("half", "u0", 5, 0.9),
                 ("fifty", "u0", 0, 2 ** -0.5), ("minus", "u0", 0, 2 ** -1.5),
                 ("cover", "u0", 1, 0.5), ("cover", "u1", 7, 0.5), ("early", "u0", 0, 0.5)]  # fmt: skip
    questions = {q: (10, None) for q, *_ in forecasts}
    resolved = {q: ("yes", 5 if q == "early" else 10) for q in questions}
    rows = run_history(cli, make_question, tmp_path, questions, forecasts, resolved)
    assert rows[("whole", "u0")]["baseline"] == pytest.approx(84.79969066, abs=ABS)
    assert rows[("low", "u0")]["baseline"] == pytest.approx(-232.19280949, abs=ABS)
    assert rows[("half", "u0")]["baseline"] == pytest.approx(84.79969066 / 2, abs=ABS)
    assert rows[("half", "u0")]["coverage_lifetime"] == pytest.approx(0.5)
    assert rows[("half", "u0")]["baseline_close"] == pytest.approx(84.79969066, abs=ABS)
    assert rows[("fifty", "u0")]["baseline"] == pytest.approx(50, abs=ABS)
    assert rows[("minus", "u0")]["baseline"] == pytest.approx(-50, abs=ABS)
    assert rows[("cover", "u0")]["coverage_lifetime"] == pytest.approx(0.9)
    assert rows[("cover", "u1")]["coverage_lifetime"] == pytest.approx(0.3)
    assert rows[("early", "u0")]["coverage_lifetime"] == pytest.approx(0.5)  # resolved on day 5 of 10
    assert rows[("early", "u0")]["coverage"] == 1.0  # of the scored span [opens, known_at)


def test_metaculus_multiple_choice(cli, make_question, tmp_path):
    # Metaculus's multiple-choice cases without their "None reads from Other" placeholder: three options
    a = [1 / 3, 1 - np.e**0.25 / 3 - 1 / 3, np.e**0.25 / 3]
    b = [1 / 3, 1 / 3, 1 / 3]
    base = [1 / 3, 1 - 3**-0.5 - 1 / 3, 3**-0.5]
    names = ["x", "y", "other"]
    forecasts = [
        (q, who, 0, dict(zip(names, p, strict=True))) for q in ("first", "last") for who, p in (("a", a), ("b", b))
    ]
    forecasts += [(q, "c", 0, dict(zip(names, base, strict=True))) for q in ("base0", "base2")]
    questions = {q: (10, names) for q in ("first", "last", "base0", "base2")}
    resolved = {"first": ("x", 10), "last": ("other", 10), "base0": ("x", 10), "base2": ("other", 10)}
    rows = run_history(cli, make_question, tmp_path, questions, forecasts, resolved)
    assert rows[("first", "a")]["peer"] == pytest.approx(0, abs=ABS)
    assert rows[("first", "b")]["peer"] == pytest.approx(0, abs=ABS)
    assert rows[("last", "a")]["peer"] == pytest.approx(25, abs=1e-6)  # probabilities stored normalised
    assert rows[("last", "b")]["peer"] == pytest.approx(-25, abs=1e-6)
    assert rows[("base0", "c")]["baseline"] == pytest.approx(0, abs=1e-6)
    assert rows[("base2", "c")]["baseline"] == pytest.approx(50, abs=1e-6)


# --- design.md -----------------------------------------------------------------------------------------


def test_design_reference_values_through_the_cli(cli, make_question, tmp_path):
    make_question("grid", opens_at=str(OPENS), closes_at=str(OPENS + timedelta(days=7)), type="ordered",
                  outcomes=["1", "2", "3", "4"], prior="alpha = [1, 1, 1, 1]")  # fmt: skip
    grid = {"1": 0.01, "2": 0.32, "3": 0.44, "4": 0.23}
    rows = run_history(
        cli, make_question, tmp_path, {"brier": (7, None), "log": (7, None), "week": (7, None)},
        [("brier", "a", 0, 0.271), ("log", "a", 0, 0.481), ("week", "a", 0, 0.9), ("week", "a", 3, 0.95),
         ("grid", "a", 0, grid)],
        {"brier": ("no", 7), "log": ("no", 7), "week": ("yes", 7), "grid": ("3", 7)},
    )  # fmt: skip
    assert rows[("brier", "a")]["brier"] == pytest.approx(0.073441, abs=1e-12)
    assert rows[("log", "a")]["log"] == pytest.approx(0.6558514, abs=1e-7)
    assert rows[("week", "a")]["brier"] == pytest.approx(0.0057143, abs=1e-7)
    assert rows[("week", "a")]["brier_gj"] == pytest.approx(0.0114286, abs=1e-7)
    assert rows[("grid", "a")]["brier"] == pytest.approx(0.1619 / 3, abs=1e-12)  # RPS 0.1619 over K−1 splits
    assert rows[("grid", "a")]["brier_gj"] == pytest.approx(2 * 0.1619 / 3, abs=1e-12)  # GJ two-sided ×2


def test_early_resolution_headline_ignores_the_time_after_the_truth(cli, make_question, tmp_path):
    # the issue's case: resolved on day 35 of 167; 85% on the right answer from day 0
    rows = run_history(cli, make_question, tmp_path, {"early": (167, None)}, [("early", "a", 0, 0.85)],
                       {"early": ("yes", 35)})  # fmt: skip
    row = rows[("early", "a")]
    assert row["brier"] == pytest.approx(0.0225, abs=1e-12) and row["coverage"] == 1.0
    assert row["brier_fixed_lifetime"] == pytest.approx((35 * 0.0225 + 132 * 0.25) / 167, abs=1e-12)


def test_issue_case_categorical_early_resolution(cli, make_question, tmp_path):
    # five outcomes, resolved on day 35 of 167; 85% on the right answer from day 0, the rest spread evenly
    names = ["a", "b", "c", "d", "e"]
    p = {"a": 0.85, "b": 0.0375, "c": 0.0375, "d": 0.0375, "e": 0.0375}
    rows = run_history(cli, make_question, tmp_path, {"cat": (167, names)}, [("cat", "x", 0, p)], {"cat": ("a", 35)})
    own = 0.15**2 + 4 * 0.0375**2
    row = rows[("cat", "x")]
    assert row["brier"] == pytest.approx(own, abs=1e-12) and row["coverage"] == 1.0
    assert row["brier_gj"] == pytest.approx(own, abs=1e-12)  # GJ's categorical Brier is already the sum
    assert row["brier_fixed_lifetime"] == pytest.approx((35 * own + 132 * 0.8) / 167, abs=1e-12)
    assert row["coverage_lifetime"] == pytest.approx(35 / 167)
