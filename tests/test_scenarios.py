"""Scenarios: file validation, the Gaussian-copula joint model (closed forms, coherence), the PyMC loading fit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from forecasts.bayes import joint
from forecasts.errors import ForecastsError
from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence
from forecasts.resolution import resolve
from forecasts.scenario_files import load_dependencies, load_scenarios
from forecasts.scenarios import loadings_report, scenario_probabilities, scenario_trend
from forecasts.sync import sync
from forecasts.timeutil import now_utc

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "questions"
YES = np.array([True, False])
NO = ~YES


def _question(qid: str, prior: str, kind: str = "binary", outcomes: str = "") -> str:
    return textwrap.dedent(
        f"""
        id = "{qid}"
        title = "Question {qid}?"
        type = "{kind}"
        {outcomes}
        opens_at = 2024-01-01
        closes_at = 2030-01-01
        resolves_by = 2030-02-01
        resolution_criteria = "Resolves as stated."
        [prior]
        {prior}
        note = "test"
        """
    )


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A small bank: binary a (0.3), b (0.6), ordered c (0.2/0.3/0.5), with a scenarios folder."""
    root = tmp_path / "questions"
    (root / "mini" / "scenarios").mkdir(parents=True)
    (root / "mini" / "a.toml").write_text(_question("a", "probability = 0.3"))
    (root / "mini" / "b.toml").write_text(_question("b", "probability = 0.6"))
    (root / "mini" / "c.toml").write_text(
        _question("c", "probabilities = [0.2, 0.3, 0.5]", "ordered", 'outcomes = ["early", "mid", "late"]')
    )
    return root


def _write(root: Path, name: str, text: str) -> None:
    (root / "mini" / "scenarios" / name).write_text(textwrap.dedent(text))


GOOD = """
    id = "{id}"
    title = "Scenario {id}"
    exclusive_group = "g"
    [[conditions]]
    question = "a"
    outcomes = ["{a}"]
    [[conditions]]
    question = "c"
    outcomes = ["early", "mid"]
    [[signposts]]
    question = "b"
    direction = "for"
    note = "b rising helps"
    [[signposts]]
    tag = "talks"
    direction = "against"
"""

DEPS = """
    [[questions]]
    id = "a"
    direction = "for"
    loading = 0.7
    [[questions]]
    id = "b"
    direction = "for"
    loading = 0.5
    [[questions]]
    id = "c"
    direction = "for"
    loading = 0.6
    [[conditionals]]
    question = "a"
    given = "c"
    given_outcomes = ["early"]
    probability = 0.55
    sd = 0.03
    [[conditionals]]
    question = "a"
    given = "b"
    probability = 0.38
    sd = 0.03
"""


# --- file validation ------------------------------------------------------------------------------


def test_shipped_scenarios_validate_and_are_exclusive() -> None:
    scenarios = {s.id: s for s in load_scenarios(PACK)}
    assert {"fast-deal", "frozen-conflict", "escalation"} <= set(scenarios)
    assert {scenarios[k].exclusive_group for k in ("fast-deal", "frozen-conflict", "escalation")} == {"endgame"}
    deps = load_dependencies(PACK)
    assert deps.signs["north-korea-troops-ukraine"] == -1.0 and deps.signs["ceasefire-current-lines"] == 1.0
    assert len(deps.conditionals) >= 5 and all(c.reasoning for c in deps.conditionals)


def test_good_files_load(mini: Path) -> None:
    _write(mini, "x.toml", GOOD.format(id="x", a="yes"))
    _write(mini, "y.toml", GOOD.format(id="y", a="no"))
    _write(mini, "dependencies.toml", DEPS)
    scenarios = load_scenarios(mini)
    assert [s.id for s in scenarios] == ["x", "y"]
    assert scenarios[0].conditions[1].outcomes == ("early", "mid")
    assert scenarios[0].signposts[1].tag == "talks"
    deps = load_dependencies(mini)
    assert deps.fixed == {"a": 0.7, "b": 0.5, "c": 0.6} and deps.anchors == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.format(id="x", a="yes").replace('question = "a"', 'question = "nope"'),
            "conditions[0].question: unknown",
        ),
        (GOOD.format(id="x", a="maybe"), "conditions[0].outcomes: 'maybe' is not an outcome of a; allowed: yes, no"),
        (GOOD.format(id="x", a="yes").replace('direction = "for"', 'direction = "up"'), "signposts[0].direction"),
        (GOOD.format(id="x", a="yes").replace('title = "Scenario x"', ""), "title: is required"),
        (GOOD.format(id="x", a="yes") + "\ncolour = 1\n", "colour: unknown field"),
        ("id = 'x'\ntitle = 'x'\n", "conditions: is required"),
        ("id = 'x\n", "toml:"),
    ],
)
def test_scenario_errors_name_file_and_field(mini: Path, text: str, message: str) -> None:
    _write(mini, "x.toml", text)
    with pytest.raises(ForecastsError) as err:
        load_scenarios(mini)
    assert message in str(err.value)
    assert str(err.value).startswith("questions/mini/scenarios/x.toml: ")


def test_overlapping_exclusive_scenarios_rejected(mini: Path) -> None:
    _write(mini, "x.toml", GOOD.format(id="x", a="yes"))
    _write(mini, "y.toml", GOOD.format(id="y", a="yes").replace('["early", "mid"]', '["mid", "late"]'))
    with pytest.raises(ForecastsError, match="exclusive_group: 'y' and 'x' are both in 'g' but can hold together"):
        load_scenarios(mini)
    # different groups (or none) may overlap
    _write(mini, "y.toml", GOOD.format(id="y", a="yes").replace('exclusive_group = "g"', ""))
    assert len(load_scenarios(mini)) == 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("loading = 0.5", "loading = 1.5"), "questions[1].loading: must be a number from 0 to 0.95"),
        (('id = "c"', 'id = "zzz"'), "questions[2].id: unknown question 'zzz'"),
        (('given_outcomes = ["early"]', 'given_outcomes = ["never"]'), "conditionals[0].given_outcomes: 'never'"),
        (("probability = 0.55", "probability = 1.2"), "conditionals[0].probability: must be a number strictly"),
        (('direction = "for"\n    loading', 'direction = "sideways"\n    loading'), "questions[0].direction"),
    ],
)
def test_dependency_errors(mini: Path, edit: tuple[str, str], message: str) -> None:
    _write(mini, "dependencies.toml", DEPS.replace(*edit))
    with pytest.raises(ForecastsError, match=r"dependencies\.toml: ") as err:
        load_dependencies(mini)
    assert message in str(err.value)


def test_conditional_needs_listed_question(mini: Path) -> None:
    _write(
        mini,
        "dependencies.toml",
        DEPS.replace('[[questions]]\n    id = "b"\n    direction = "for"\n    loading = 0.5', ""),
    )
    with pytest.raises(ForecastsError, match=r"conditionals\[1\]\.given: b is not in \[\[questions\]\]"):
        load_dependencies(mini)


# --- the joint model (pure) ---------------------------------------------------------------------------

MARGINALS = [np.array([0.3, 0.7]), np.array([0.6, 0.4]), np.array([0.2, 0.3, 0.5])]
SCEN = [
    [(0, YES), (2, np.array([True, True, False]))],
    [(0, NO), (1, YES)],
    [(0, YES), (1, NO), (2, ~np.array([1, 0, 0], bool))],
]


def test_zero_loading_is_product_of_marginals() -> None:
    n = 200_000
    out = joint.joint_shares(MARGINALS, np.zeros(3), SCEN, n=n, seed=3)
    for j, conds in enumerate(SCEN):
        ind = joint.independent_probability(MARGINALS, conds)
        assert abs(out["probability"][j] - ind) < 4 * np.sqrt(ind * (1 - ind) / n)
        assert out["exact"][j] == pytest.approx(ind, abs=1e-9)


def test_joint_reproduces_every_marginal() -> None:
    n = 200_000
    loadings = np.array([[0.9, -0.7, 0.6], [0.5, -0.2, 0.8]])
    out = joint.joint_shares(MARGINALS, loadings, SCEN, n=n, seed=1)
    for p, implied in zip(MARGINALS, out["implied_marginals"], strict=True):
        np.testing.assert_allclose(implied, p, atol=4 * np.sqrt(0.25 / n))
    assert not np.allclose(out["probability"], [joint.independent_probability(MARGINALS, c) for c in SCEN], atol=0.01)


def test_bivariate_normal_orthant_closed_form() -> None:
    from scipy.stats import multivariate_normal

    p1, p2, l1, l2 = 0.3, 0.6, 0.8, 0.7
    rho = l1 * l2
    cuts = [joint.cut_points([p1, 1 - p1])[1], joint.cut_points([p2, 1 - p2])[1]]
    reference = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf(cuts)
    n = 200_000
    out = joint.joint_shares(
        [np.array([p1, 1 - p1]), np.array([p2, 1 - p2])], np.array([l1, l2]), [[(0, YES), (1, YES)]], n=n, seed=5
    )
    assert abs(out["probability"][0] - reference) < 4 * np.sqrt(reference * (1 - reference) / n)
    assert out["exact"][0] == pytest.approx(reference, abs=2e-4)
    assert out["probability"][0] > p1 * p2 + 0.05  # positively dependent: well above the product


def test_exclusive_scenarios_sum_at_most_one() -> None:
    exclusive = [[(0, YES), (1, YES)], [(0, YES), (1, NO)], [(0, NO)]]  # a partition: sums to exactly 1
    out = joint.joint_shares(MARGINALS, np.array([0.9, 0.9, 0.1]), exclusive, n=10_000, seed=0)
    assert out["probability"].sum() == pytest.approx(1.0, abs=1e-12)
    assert out["exact"].sum() == pytest.approx(1.0, abs=1e-9)


def test_resolved_question_is_conditioned_on_and_open_marginals_stay() -> None:
    """A resolution settles its own conditions; the open questions keep their own probabilities (coherence)."""
    margs = [np.array([0.3, 0.7]), np.array([0.6, 0.4])]
    out = joint.joint_shares(margs, np.array([0.8, 0.7]), [[(1, YES)], [(0, NO), (1, YES)]], {0: 0}, n=200_000, seed=2)
    assert out["exact"][0] == pytest.approx(0.6, abs=1e-9)  # P(b) stays b's own probability
    assert abs(out["probability"][0] - 0.6) < 0.01
    assert out["probability"][1] == 0.0 and out["exact"][1] == 0.0  # needs a = no, which is settled otherwise


def test_scenarios_stay_coherent_with_open_marginals_after_a_resolution() -> None:
    """No scenario is likelier than any of its open conditions; a partition of the open outcomes sums to 1;
    the dependence between open questions survives (positive loadings: P(b and c) > P(b) P(c))."""
    margs = [np.array([0.2, 0.8]), np.array([0.377, 0.623]), np.array([0.1, 0.5, 0.4])]
    lam = np.array([[0.9, 0.8, 0.7], [0.85, 0.75, 0.6]])
    mid = np.array([False, True, False])
    scen = [[(1, YES), (2, mid)], [(1, YES), (2, ~mid)], [(1, NO)], [(0, YES), (1, YES)]]
    out = joint.joint_shares(margs, lam, scen, {0: 0}, n=200_000, seed=3)
    exact = out["exact"]
    assert exact[0] + exact[1] == pytest.approx(0.377, abs=1e-9) and exact[2] == pytest.approx(0.623, abs=1e-9)
    assert exact[3] == pytest.approx(0.377, abs=1e-9)  # a resolved yes: the scenario is b's own probability
    assert exact[0] <= 0.377 and exact[0] <= 0.5 and exact[0] > 0.377 * 0.5
    implied = out["implied_marginals"]
    assert implied[1][0] == pytest.approx(0.377, abs=0.01) and implied[2] == pytest.approx(margs[2], abs=0.01)
    assert abs(out["probability"].sum() - exact.sum()) < 0.02


def test_same_seed_same_output_different_seed_differs() -> None:
    args = (MARGINALS, np.array([[0.5, 0.4, 0.3], [0.6, 0.2, 0.1]]), SCEN)
    a, b = joint.joint_shares(*args, seed=7), joint.joint_shares(*args, seed=7)
    np.testing.assert_array_equal(a["probability"], b["probability"])
    assert not np.array_equal(a["probability"], joint.joint_shares(*args, seed=8)["probability"])


@pytest.fixture(scope="module")
def recovered() -> tuple[np.ndarray, dict]:
    """Conditionals generated from known loadings, then fitted by the sampler (few draws)."""
    true = np.array([0.8, 0.6, -0.5, 0.3])
    anchors = [np.array([0.3, 0.7]), np.array([0.5, 0.5]), np.array([0.4, 0.6]), np.array([0.2, 0.3, 0.5])]
    first = [YES, YES, YES, np.array([True, True, False])]
    conds = [
        (a, first[a], b, m, 0.5, 0.02) for a in range(4) for b in range(4) if a != b for m in (first[b], ~first[b])
    ]
    signs, free = np.sign(true), [np.nan] * 4
    observed = joint.implied_conditionals(joint.build_problem(anchors, conds, signs, free), true)
    conds = [c[:4] + (float(o), 0.02) for c, o in zip(conds, observed, strict=True)]
    return true, joint.fit_loadings(joint.build_problem(anchors, conds, signs, free), draws=150, tune=150, seed=1)


def test_sampler_recovers_known_loadings(recovered: tuple[np.ndarray, dict]) -> None:
    true, fit = recovered
    np.testing.assert_allclose(fit["mean"], true, atol=0.06)
    assert all(r < 1.1 for r in fit["rhat"].values()) and all(e > 20 for e in fit["ess"].values())
    assert fit["draws"].shape == (100, 4) and np.all(np.sign(fit["draws"]) == np.sign(true))
    assert np.all(np.abs(fit["draws"]) < joint.MAX_LOADING)


def test_sampler_recovers_a_fitted_loading_beside_a_fixed_one() -> None:
    """One free loading, one fixed: the free one comes back from conditionals simulated with small sd."""
    true = np.array([0.7, -0.4])
    anchors = [np.array([0.3, 0.7]), np.array([0.6, 0.4])]
    conds = [(0, YES, 1, m, 0.5, 0.01) for m in (YES, ~YES)] + [(1, YES, 0, m, 0.5, 0.01) for m in (YES, ~YES)]
    signs, fixed = [1.0, -1.0], [np.nan, -0.4]
    observed = joint.implied_conditionals(joint.build_problem(anchors, conds, signs, fixed), true)
    conds = [c[:4] + (float(o), 0.01) for c, o in zip(conds, observed, strict=True)]
    fit = joint.fit_loadings(joint.build_problem(anchors, conds, signs, fixed), seed=3)
    assert abs(fit["mean"][0] - 0.7) < 0.03 and fit["mean"][1] == -0.4 and set(fit["rhat"]) == {0}
    lo, hi = np.quantile(fit["draws"][:, 0], [0.02, 0.98])
    assert lo < 0.7 < hi and hi - lo < 0.2


def test_sampler_same_seed_same_draws() -> None:
    true = np.array([0.6, 0.5])
    anchors = [np.array([0.4, 0.6]), np.array([0.5, 0.5])]
    conds = [(0, YES, 1, YES, 0.5, 0.05), (1, YES, 0, ~YES, 0.5, 0.05)]
    observed = joint.implied_conditionals(joint.build_problem(anchors, conds, [1, 1], [np.nan] * 2), true)
    conds = [c[:4] + (float(o), 0.05) for c, o in zip(conds, observed, strict=True)]
    problem = joint.build_problem(anchors, conds, [1, 1], [np.nan] * 2)
    a, b = (joint.fit_loadings(problem, draws=100, tune=100, seed=5) for _ in range(2))
    np.testing.assert_array_equal(a["draws"], b["draws"])
    assert a["rhat"] == b["rhat"] and a["ess"] == b["ess"]
    other = joint.fit_loadings(problem, draws=100, tune=100, seed=6)
    assert not np.array_equal(a["draws"], other["draws"])


def test_fixed_loadings_need_no_fit() -> None:
    problem = joint.build_problem([np.array([0.5, 0.5])] * 2, [], [1, -1], [0.4, -0.3])
    fit = joint.fit_loadings(problem)
    np.testing.assert_array_equal(fit["mean"], [0.4, -0.3])


# --- with the database ---------------------------------------------------------------------------------


@pytest.fixture
def mini_db(db, mini: Path):
    _write(mini, "x.toml", GOOD.format(id="x", a="yes"))
    _write(mini, "y.toml", GOOD.format(id="y", a="no"))
    _write(mini, "dependencies.toml", DEPS)
    sync(db, mini)
    return db


def test_scenario_probabilities_from_db(mini_db, mini: Path) -> None:
    now = now_utc()
    rows = scenario_probabilities(mini_db, now, mini)
    assert [r["id"] for r in rows] == ["x", "y"]
    x = rows[0]
    assert x["independent_probability"] == pytest.approx(0.3 * 0.5)
    assert x["probability"] > x["independent_probability"] + 0.03  # a and c both load on the factor
    assert x["interval"] is None and abs(x["exact_probability"] - x["probability"]) < 0.01  # fixed loadings
    assert sum(r["probability"] for r in rows) <= 1.0
    assert [c["probability"] for c in x["conditions"]] == pytest.approx([0.3, 0.5])
    assert x["signposts"][0] | {"change": 0} == {
        "direction": "for", "note": "b rising helps", "question": "b", "outcomes": ["yes"], "probability": 0.6,
        "change": 0, "movement": "flat", "signal": "steady",
    }  # fmt: skip
    assert mini_db["scenario_runs"].count == 1  # the fit is stored: the cache
    again = scenario_probabilities(mini_db, now, mini)
    assert again == rows and mini_db["scenario_runs"].count == 1


def test_signposts_move_and_resolution_conditions(mini_db, mini: Path) -> None:
    now = now_utc()
    item = EvidenceItem(
        summary="b up", observed_at=now - timedelta(days=1), links=[LinkSpec("b", float(np.log(4)))], tags=["talks"]
    )
    add_evidence(mini_db, item)
    later = now_utc() + timedelta(seconds=1)
    x = scenario_probabilities(mini_db, later, mini)[0]
    sp_b, sp_tag = x["signposts"]
    assert sp_b["movement"] == "up" and sp_b["signal"] == "toward" and sp_b["probability"] == pytest.approx(6 / 7)
    assert (
        sp_tag["movement"] == "1 new" and sp_tag["signal"] == "away" and sp_tag["new_evidence"][0]["summary"] == "b up"
    )
    resolve(mini_db, "a", "yes")
    rows = scenario_probabilities(mini_db, now_utc() + timedelta(seconds=2), mini)
    x, y = rows
    assert y["probability"] == 0.0 and y["independent_probability"] == 0.0
    assert x["conditions"][0]["resolved"] == "yes" and x["conditions"][0]["probability"] == 1.0
    assert x["independent_probability"] == pytest.approx(0.5)
    # a settled yes: what is left is c, whose own probability (0.5) the joint keeps
    assert x["exact_probability"] == pytest.approx(0.5, abs=1e-9) and abs(x["probability"] - 0.5) < 0.02
    assert x["probability"] <= min(c["probability"] for c in x["conditions"]) + 0.02
    trend = scenario_trend(mini_db, [now - timedelta(days=7), later], mini)
    assert [len(t["scenarios"]) for t in trend] == [2, 2] and trend[1]["scenarios"][0] == scenario_probabilities(
        mini_db, later, mini
    )[0]


def test_no_scenario_files_means_no_scenarios(db, mini: Path) -> None:
    sync(db, mini)
    assert scenario_probabilities(db, now_utc(), mini) == []
    assert scenario_trend(db, [now_utc()], mini)[0]["scenarios"] == []


def test_loadings_report_compares_elicited_and_implied(mini_db, mini: Path) -> None:
    report = loadings_report(mini_db, mini)
    assert report["loadings"] == {"a": 0.7, "b": 0.5, "c": 0.6}
    first = report["conditionals"][0]
    assert first["question"] == "a" and first["given"] == "c" and 0.3 < first["implied"] < 1


@pytest.fixture
def pack_synced_in_2024(cli, questions_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped pack, synced on 1 December 2024 (so "as of" January 2025 knows its questions and scenarios)."""
    import forecasts.sync as sync_mod

    monkeypatch.setattr(sync_mod, "now_utc", lambda: datetime(2024, 12, 1, tzinfo=UTC))
    cli("sync", "--questions", str(questions_dir))
    monkeypatch.undo()
    return cli


def test_cli_scenarios_json_on_shipped_pack(pack_synced_in_2024, questions_dir: Path, db_path: Path) -> None:
    pack_cli = pack_synced_in_2024
    rows = pack_cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2025-01-15")
    by_id = {r["id"]: r for r in rows}
    assert {"fast-deal", "frozen-conflict", "escalation"} <= set(by_id)
    assert sum(by_id[k]["probability"] for k in ("fast-deal", "frozen-conflict", "escalation")) <= 1.0
    fast = by_id["fast-deal"]
    assert fast["probability"] > 2 * fast["independent_probability"]  # linked questions: the product understates it
    assert fast["interval"][0] < fast["exact_probability"] < fast["interval"][1]  # over the fitted loadings' draws
    assert abs(fast["probability"] - fast["exact_probability"]) < 0.01
    table = pack_cli("scenarios", "--questions", str(questions_dir)).stdout
    assert "(joint)" in table and "fast-deal" in table  # the header "P (joint)" wraps at its space
    # a second process reuses the stored fit (and no process imports pymc)
    code = (
        "import sys; from pathlib import Path; from forecasts.store.db import connect; "
        "from forecasts.scenarios import scenario_probabilities; from forecasts.timeutil import now_utc; "
        f"rows = scenario_probabilities(connect({str(db_path)!r}), now_utc(), Path({str(questions_dir)!r})); "
        "print(len(rows), 'pymc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "False" and int(out[0]) == len(rows)


def test_cli_scenarios_reports_bad_files(pack_cli, questions_dir: Path) -> None:
    bad = questions_dir / "road-ahead" / "scenarios" / "bad.toml"
    bad.write_text('id = "bad"\ntitle = "Bad"\n[[conditions]]\nquestion = "nope"\noutcomes = ["yes"]\n')
    result = pack_cli("sync", "--questions", str(questions_dir), ok=False)  # scenario files load with the questions
    assert result.exit_code == 1 and "conditions[0].question: unknown question 'nope'" in result.output
    assert "fast-deal" in {r["id"] for r in pack_cli.json("scenarios", "--questions", str(questions_dir))}
    assert "Traceback" not in result.output


def test_scenarios_as_of_a_time_use_the_files_synced_by_then(pack_synced_in_2024, questions_dir: Path) -> None:
    """Scenario files are versioned at sync like questions: an edit synced later leaves an earlier as-of answer
    unchanged (the report for that week regenerates the same bytes), and a time before any sync knows none."""
    cli = pack_synced_in_2024
    before = cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2025-01-15")
    fast = questions_dir / "road-ahead" / "scenarios" / "fast-deal.toml"
    fast.write_text(fast.read_text(encoding="utf-8").replace('title = "', 'title = "Renamed: ', 1), encoding="utf-8")
    out = cli("sync", "--questions", str(questions_dir)).stdout
    assert "scenario files: updated road-ahead/scenarios/fast-deal.toml" in out
    assert cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2025-01-15") == before
    now = {r["id"]: r for r in cli.json("scenarios", "--questions", str(questions_dir))}
    assert now["fast-deal"]["title"].startswith("Renamed: ")
    assert cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2024-11-30") == []
    fast.unlink()
    assert "removed road-ahead/scenarios/fast-deal.toml" in cli("sync", "--questions", str(questions_dir)).stdout
    assert "fast-deal" not in {r["id"] for r in cli.json("scenarios", "--questions", str(questions_dir))}
    assert cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2025-01-15") == before


def test_scenario_file_versions_are_a_chained_append_only_ledger(pack_synced_in_2024, db_path: Path) -> None:
    import sqlite3

    cli = pack_synced_in_2024
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT count(*) FROM scenario_file_versions").fetchone()[0]
    chained = conn.execute("SELECT count(*) FROM ledger_digests WHERE tbl = 'scenario_file_versions'").fetchone()[0]
    assert rows == 4 and chained == rows  # the pack's three scenarios and its dependency file
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE scenario_file_versions SET content = 'x' WHERE id = 1")
    conn.execute("DROP TRIGGER scenario_file_versions_no_update")
    conn.execute("UPDATE scenario_file_versions SET content = replace(content, 'Fast', 'Slow') WHERE id = 3")
    conn.commit()
    result = cli("db", "check", ok=False)
    assert result.exit_code == 1 and "scenario_file_versions #3: hash chain broken" in result.stderr


def test_an_upgraded_database_keeps_its_scenarios_for_weeks_before_it_versioned_them(
    cli, questions_dir: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Questions synced in December 2024 by a version without scenario versions; the upgrade (March 2025) records
    the files: as of January 2025 they stand in (the best record of them), instead of no scenarios at all."""
    import shutil
    import sqlite3

    import forecasts.sync as sync_mod

    scenarios_dir = questions_dir / "road-ahead" / "scenarios"
    kept = questions_dir.parent / "kept-scenarios"
    shutil.move(scenarios_dir, kept)
    monkeypatch.setattr(sync_mod, "now_utc", lambda: datetime(2024, 12, 1, tzinfo=UTC))
    cli("sync", "--questions", str(questions_dir))
    conn = sqlite3.connect(db_path)  # the scenario-version migration ran at the upgrade, in March 2025
    conn.execute("UPDATE _migrations SET applied_at = '2025-03-01T00:00:00Z' WHERE name = ?",
                 ["m060_scenario_file_versions"])  # fmt: skip
    conn.commit()
    shutil.move(kept, scenarios_dir)
    monkeypatch.setattr(sync_mod, "now_utc", lambda: datetime(2025, 3, 1, tzinfo=UTC))
    cli("sync", "--questions", str(questions_dir))
    monkeypatch.undo()
    january = cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2025-01-15")
    assert {r["id"] for r in january} == {"fast-deal", "frozen-conflict", "escalation"}
    assert cli.json("scenarios", "--questions", str(questions_dir), "--as-of", "2024-11-15") == []  # nothing known


def test_syncing_another_folder_removes_no_scenario_file(pack_synced_in_2024, questions_dir: Path, make_question):
    cli = pack_synced_in_2024
    other = make_question("alpha")
    assert cli.json("sync", "--questions", str(other))["scenario_files"] == {"added": [], "updated": [], "removed": []}
    assert "fast-deal" in {r["id"] for r in cli.json("scenarios", "--questions", str(questions_dir))}


def test_dependencies_load_from_a_relative_questions_folder(questions_dir: Path, monkeypatch) -> None:
    """`--questions .` (run inside the folder): the dependency file is found by its path, not its shown name."""
    from forecasts.scenario_files import load_dependencies

    absolute = load_dependencies(questions_dir)
    monkeypatch.chdir(questions_dir)
    relative = load_dependencies(Path("."))
    assert absolute.signs and relative.signs == absolute.signs and relative.conditionals == absolute.conditionals


def test_the_report_knows_scenarios_by_what_was_synced_then(pack_synced_in_2024, questions_dir: Path, db) -> None:
    import shutil

    from forecasts.scenarios import scenarios_defined

    shutil.rmtree(questions_dir / "road-ahead" / "scenarios")
    out = pack_synced_in_2024("sync", "--questions", str(questions_dir)).stdout
    assert "scenario files: removed road-ahead/scenarios/dependencies.toml" in " ".join(out.split())
    assert scenarios_defined(db, questions_dir, datetime(2025, 1, 15, tzinfo=UTC))  # a past week still has them
    assert not scenarios_defined(db, questions_dir, now_utc())
