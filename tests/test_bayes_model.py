"""The PyMC engine against closed forms, the fast path, a coverage simulation; `bayes` forecasts in the ledger.

Binary checks share one sampled batch (one compiled model) in a module-scoped fixture to keep the file fast.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from forecasts.bayes.interval import monte_carlo_posterior
from forecasts.bayes.model import gamma_rate, posterior_batch
from forecasts.probabilities import Link, probability_from_links
from forecasts.questions import Question

AT = datetime(2026, 6, 1, tzinfo=UTC)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2027, 1, 1, tzinfo=UTC)
DRAWS, TUNE, CHAINS = 2000, 500, 2  # the 90% bounds are tail quantiles: ~2 x 2000 draws keep their noise near 0.007
N_SIM = 36


def question(qid: str, prior: dict, deadline: bool = False, opens: datetime = T0, closes: datetime = T1) -> Question:
    return Question(
        id=qid, title=qid, type="binary", outcomes=("yes", "no"), resolution_criteria="x", opens_at=opens,
        closes_at=closes, resolves_by=closes, prior=prior, deadline_question=deadline,
    )  # fmt: skip


def beta_prior(a: float, b: float, **extra) -> dict:
    return {"kind": "beta", "a": a, "b": b, "mean": a / (a + b)} | extra


def link(eid: int, qid: str, log_lr: float, sd: float = 0.0, r: float = 1.0, outcome: str | None = None) -> Link:
    return Link(eid, qid, outcome, log_lr, sd, r, T0, T0, f"item {eid}")


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def simulated(rng: np.random.Generator) -> tuple[list[Question], dict[str, list[Link]], dict[str, float]]:
    """Questions drawn from the model's own generative story, with the true P(yes) of each.

    The evidence is part of the story: given the true ratios (shift S), a base draw is kept with probability
    P(E | base, S) ∝ base·e^S + 1 − base (rejection), so the truth comes from p(base | data, E, S)."""
    qs, links, truth = [], {}, {}
    for i in range(N_SIM):
        qid = f"sim{i}"
        mus, sds = rng.normal(0, 0.8, 3), rng.uniform(0.1, 0.8, 3)
        true_lr = rng.normal(mus, sds)
        rel = rng.uniform(0.5, 1.0, 3)
        shift = float(rel @ true_lr)
        if i % 2 == 1:
            k, mean = 2.0, float(rng.uniform(0.2, 0.6))
            opens = AT - timedelta(days=int(rng.integers(100, 600)))
            closes = opens + timedelta(days=900)
            beta = gamma_rate(mean, k, 900.0)
            exposure = (AT - opens).days
        while True:
            if i % 2 == 0:  # reference-class base rate: π ~ Beta(2, 5), Binomial data on it
                pi, n = rng.beta(2, 5), int(rng.integers(5, 30))
                s = int(rng.binomial(n, pi))
                base = pi
            else:  # deadline: λ ~ Gamma(k, β); the question survived the exposure without the event
                lam = rng.gamma(k, 1.0 / beta)
                if rng.exponential(1.0 / lam) <= exposure:
                    continue
                base = -math.expm1(-lam * (closes - AT).days)
            if rng.random() < (base * math.exp(shift) + 1 - base) / max(math.exp(shift), 1.0):
                break
        if i % 2 == 0:
            qs.append(question(qid, beta_prior(2 + s, 5 + n - s, successes=s, trials=n)))
        else:
            qs.append(question(qid, beta_prior(mean * 10, (1 - mean) * 10, hazard_shape=k), True, opens, closes))
        links[qid] = [link(1000 * i + j, qid, mus[j], sds[j], rel[j]) for j in range(3)]
        truth[qid] = float(expit(np.log(base / (1 - base)) + shift))
    return qs, links, truth


@pytest.fixture(scope="module")
def binary_batch():
    qs = [
        question("point", {"kind": "point", "probability": 0.3, "mean": 0.3}),
        question("point-deadline", {"kind": "point", "probability": 0.4, "mean": 0.4}, deadline=True),
        question("beta-binomial", beta_prior(1 + 9, 1 + 31, successes=9, trials=40)),
        question("gamma-censored", beta_prior(3, 7, hazard_shape=3.0), deadline=True),
        question("mc-check", beta_prior(4, 6)),
    ]
    links = {
        "point": [link(1, "point", math.log(3), 0, 0.8), link(2, "point", math.log(0.5), 0, 1.0)],
        "point-deadline": [link(3, "point-deadline", math.log(4), 0, 0.6)],
        "mc-check": [link(4, "mc-check", math.log(2), 0.5, 0.9), link(5, "mc-check", math.log(0.7), 0.3, 1.0)],
    }
    sim_qs, sim_links, truth = simulated(np.random.default_rng(11))
    results = posterior_batch(qs + sim_qs, links | sim_links, AT, DRAWS, TUNE, CHAINS, seed=3)
    return {r["question"]: r for r in results}, {q.id: q for q in qs}, links, truth


def test_zero_uncertainty_equals_fast_path(binary_batch):
    res, qs, links, _ = binary_batch
    for qid in ("point", "point-deadline"):
        fast = probability_from_links(qs[qid], links[qid], AT)["yes"]
        assert res[qid]["mean"]["yes"] == pytest.approx(fast, abs=1e-9)
        assert res[qid]["lo"]["yes"] == pytest.approx(fast, abs=1e-9) and res[qid]["hi"]["yes"] == pytest.approx(fast)
    # Hand check of the point case: logit 0.3 + 0.8 ln 3 + ln 0.5.
    assert res["point"]["mean"]["yes"] == pytest.approx(expit(math.log(0.3 / 0.7) + 0.8 * math.log(3) - math.log(2)))
    contrib = {c["evidence_id"]: c for c in res["point"]["contributions"]}
    assert contrib[1]["log_odds"]["yes"] == pytest.approx(0.8 * math.log(3))
    assert contrib[2]["pp"]["yes"] < 0 < contrib[1]["pp"]["yes"]


def test_beta_binomial_matches_closed_form(binary_batch):
    res = binary_batch[0]["beta-binomial"]
    post = stats.beta(1 + 9, 1 + 31)
    assert res["mean"]["yes"] == pytest.approx(post.mean(), abs=0.006)
    assert res["lo"]["yes"] == pytest.approx(post.ppf(0.05), abs=0.012)
    assert res["hi"]["yes"] == pytest.approx(post.ppf(0.95), abs=0.015)
    assert res["rhat_max"] < 1.05 and res["ess_min"] > 200 and res["divergences"] == 0


def test_evidence_updates_an_uncertain_prior_as_the_closed_form_says():
    """P(yes | E) = m·L / (m·L + 1 − m) with m the prior mean (Beta; Gamma after censoring) and L certain;
    categorical: α_k f_k L_k / Σ α_j f_j L_j. PyMC and the report's Monte Carlo both."""
    lr = math.log(10)
    qs = [
        question("beta", beta_prior(4, 6)),
        question("gamma", beta_prior(3, 7, hazard_shape=3.0), deadline=True),
        Question(id="cat", title="c", type="categorical", outcomes=("x", "y"), resolution_criteria="x", opens_at=T0,
                 closes_at=T1, resolves_by=T1, prior={"kind": "dirichlet", "alpha": [1.0, 1.0]}),
    ]  # fmt: skip
    links = {q.id: [link(90 + i, q.id, lr, 0.0, 1.0, "x" if q.id == "cat" else None)] for i, q in enumerate(qs)}
    res = {r["question"]: r for r in posterior_batch(qs, links, AT, DRAWS, TUNE, CHAINS, seed=5)}
    k, total = 3.0, (T1 - T0).days
    beta, s, w = gamma_rate(0.3, k, total), (AT - T0).days, (T1 - AT).days
    m_gamma = 1 - ((beta + s) / (beta + s + w)) ** k
    exact = {"beta": 0.4 * 10 / (0.4 * 10 + 0.6), "gamma": m_gamma * 10 / (m_gamma * 10 + 1 - m_gamma), "cat": 10 / 11}
    for q in qs:
        key = "x" if q.id == "cat" else "yes"
        assert res[q.id]["mean"][key] == pytest.approx(exact[q.id], abs=0.01), q.id
        if q.id != "gamma":  # the report's Monte Carlo decays a Beta prior instead (no Gamma hazard)
            mc = monte_carlo_posterior(q, links[q.id], AT, draws=200_000, seed=2)
            assert mc["mean"][key] == pytest.approx(exact[q.id], abs=0.005)
    assert exact["beta"] == pytest.approx(probability_from_links(qs[0], links["beta"], AT)["yes"])


@pytest.mark.parametrize(("a", "b"), [(10, 32), (2, 2), (1.5, 12), (50, 5)])
def test_hazard_shape_carries_the_reference_class_spread(a, b):
    """Without hazard_shape, the Gamma hazard gives P(event by T) the Beta's mean and variance (9/40 stays 9/40)."""
    from forecasts.bayes.model import matched_hazard_shape

    k, m, days = matched_hazard_shape(a, b), a / (a + b), 900.0
    beta = gamma_rate(m, k, days)
    lam = np.random.default_rng(0).gamma(k, 1 / beta, 400_000)
    p = -np.expm1(-lam * days)
    assert p.mean() == pytest.approx(m, abs=2e-3)
    assert p.var() == pytest.approx(m * (1 - m) / (a + b + 1), rel=0.03)


def test_gamma_exponential_censoring_matches_closed_form(binary_batch):
    res, qs = binary_batch[0]["gamma-censored"], binary_batch[1]
    q = qs["gamma-censored"]
    k, total = 3.0, (T1 - T0).days
    beta = gamma_rate(0.3, k, total)
    assert 1 - (beta / (beta + total)) ** k == pytest.approx(0.3)  # prior predictive P(event by T) = prior mean
    s, w = (AT - q.opens_at).days, (q.closes_at - AT).days
    h = res["hazard"]
    assert h["exposure_days"] == s and h["window_days"] == w and h["prior_rate_days"] == pytest.approx(beta)
    assert h["posterior_mean_per_day"] == pytest.approx(k / (beta + s), rel=0.05)
    assert res["mean"]["yes"] == pytest.approx(1 - ((beta + s) / (beta + s + w)) ** k, abs=0.008)


def test_uncertain_case_agrees_with_numpy_monte_carlo(binary_batch):
    res, qs, links, _ = binary_batch
    mc = monte_carlo_posterior(qs["mc-check"], links["mc-check"], AT, draws=200_000, seed=1)
    for key in ("mean", "lo", "hi"):
        assert res["mc-check"][key]["yes"] == pytest.approx(mc[key]["yes"], abs=0.02)


def test_coverage_of_90_percent_intervals(binary_batch):
    res, _, _, truth = binary_batch
    covered = sum(res[q]["lo"]["yes"] <= p <= res[q]["hi"]["yes"] for q, p in truth.items())
    # Binomial(36, 0.9): P(X <= 27) ≈ 0.03; all 36 happens with probability 0.02.
    assert 28 <= covered <= N_SIM, covered
    assert max(res[q]["rhat_max"] for q in truth) < 1.05


@pytest.fixture(scope="module")
def categorical_case():
    q = Question(
        id="when", title="when", type="ordered", outcomes=("a", "b", "c"), resolution_criteria="x", opens_at=T0,
        closes_at=T1, resolves_by=T1, prior={"kind": "dirichlet", "alpha": [2.0, 3.0, 5.0]},
    )  # fmt: skip
    q0 = Question(
        id="flat", title="flat", type="categorical", outcomes=("x", "y"), resolution_criteria="x", opens_at=T0,
        closes_at=T1, resolves_by=T1, prior={"kind": "dirichlet", "alpha": [1.5, 4.5]},
    )  # fmt: skip
    links = {"when": [link(7, "when", math.log(3), 0.4, 0.8, "a"), link(7, "when", math.log(0.5), 0.0, 0.8, "c")]}
    return [q, q0], links


def test_categorical_dirichlet(categorical_case):
    qs, links = categorical_case
    res = {r["question"]: r for r in posterior_batch(qs, links, AT, DRAWS, TUNE, CHAINS, seed=5)}
    flat = res["flat"]  # no evidence: the Dirichlet marginal Beta(1.5, 4.5)
    assert flat["mean"]["x"] == pytest.approx(0.25, abs=0.012)
    assert flat["hi"]["x"] == pytest.approx(stats.beta(1.5, 4.5).ppf(0.95), abs=0.03)
    mc = monte_carlo_posterior(qs[0], links["when"], AT, draws=200_000, seed=2)
    for o in ("a", "b", "c"):
        assert res["when"]["mean"][o] == pytest.approx(mc["mean"][o], abs=0.02)
    (row,) = res["when"]["contributions"]
    assert row["evidence_id"] == 7 and set(row["log_odds"]) == {"a", "c"}
    assert row["log_odds"]["c"] == pytest.approx(0.8 * math.log(0.5))
    assert row["pp"]["a"] > 0 > row["pp"]["c"] and sum(row["pp"].values()) == pytest.approx(0, abs=1e-9)


def test_fixed_seed_gives_identical_results(categorical_case):
    qs, links = categorical_case
    first = posterior_batch(qs, links, AT, 100, 100, 1, seed=9)
    again = posterior_batch(qs, links, AT, 100, 100, 1, seed=9)
    other = posterior_batch(qs, links, AT, 100, 100, 1, seed=10)
    assert first == again
    assert first[0]["mean"] != other[0]["mean"]


# --- the model as a forecaster, stored runs -------------------------------------------------------------------


def bayes_forecasts(cli, question: str) -> list[dict]:
    return [f for f in cli.json("forecast-list", "--question", question) if f["forecaster_id"] == "bayes"]


def test_evidence_add_and_retract_record_bayes_forecasts(pack_cli):
    q = "ceasefire-current-lines"
    added = pack_cli.json("evidence", "add", q, "talks-start", "--summary", "s", "--observed-at", "2025-01-10",
                          "--lr", f"{q}=3", "--lr", "talks-start:2026=2")  # fmt: skip
    eid = added["evidence_id"]
    (fc,) = bayes_forecasts(pack_cli, q)
    assert fc["evidence_ids"] == [eid] and "fast-path" in fc["rationale"] and "added" in fc["rationale"]
    assert fc["probability"] == pytest.approx(added["changes"][0]["after"]["yes"])
    (cat,) = bayes_forecasts(pack_cli, "talks-start")
    assert cat["probabilities"]["2026"] == pytest.approx(added["changes"][1]["after"]["2026"], abs=1e-5)
    pack_cli("evidence", "retract", str(eid), "--reason", "wrong")
    rows = bayes_forecasts(pack_cli, q)
    assert len(rows) == 2 and rows[1]["evidence_ids"] == [eid] and "retracted" in rows[1]["rationale"]
    assert rows[1]["probability"] == pytest.approx(added["changes"][0]["before"]["yes"])


def test_import_records_and_resolved_questions_are_skipped(pack_cli, questions_dir):
    pack_cli("resolve", "kursk-exchange", "yes")
    imported = pack_cli.json("evidence", "import", str(questions_dir / "road-ahead" / "evidence.jsonl"))
    fcs = [f for f in pack_cli.json("forecast-list", "--by", "bayes")]
    assert {f["question_id"] for f in fcs} and "kursk-exchange" not in {f["question_id"] for f in fcs}
    assert all(set(f["evidence_ids"]) <= set(imported["evidence_ids"]) and f["evidence_ids"] for f in fcs)
    listed = {e["id"]: {lk["question"] for lk in e["links"]} for e in pack_cli.json("evidence", "list")}
    for f in fcs:
        assert {i for i, qs in listed.items() if f["question_id"] in qs} == set(f["evidence_ids"])


def test_time_passing_records_deadline_decay(pack_cli):
    from forecasts.bayes.record import record_model_forecasts
    from forecasts.store.db import connect
    from forecasts.timeutil import now_utc

    db = connect(pack_cli.db_path)
    first = record_model_forecasts(db, datetime(2025, 6, 1, tzinfo=UTC))
    assert {f["question"] for f in first} >= {"ceasefire-current-lines", "talks-start"}
    now = now_utc()
    later = record_model_forecasts(db, now)
    assert "ceasefire-current-lines" in {f["question"] for f in later}  # the deadline decay moved it
    assert record_model_forecasts(db, now) == []  # nothing moved since


def test_posterior_command_stores_run_without_recording(pack_cli):
    from forecasts.bayes.runs import latest_posterior
    from forecasts.store.db import connect

    q = "north-korea-troops-ukraine"
    res = pack_cli.json("posterior", q, "--draws", "200", "--tune", "200", "--seed", "4")
    assert res["interval"] == "90% equal-tailed" and res["lo"]["yes"] < res["mean"]["yes"] < res["hi"]["yes"]
    # `bayes` forecasts come from one estimator (the fast path); a PyMC run is stored, not recorded as a forecast
    db = connect(pack_cli.db_path)
    stored = latest_posterior(db, q)
    assert stored["id"] == res["run_id"] and stored["mean"] == pytest.approx(res["mean"])
    assert stored["seed"] == 4 and stored["draws"] == 200 and stored["rhat_max"] == pytest.approx(res["rhat_max"])
    assert latest_posterior(db, q, datetime(2025, 1, 1, tzinfo=UTC)) is None
    assert bayes_forecasts(pack_cli, q) == []
    text = pack_cli("posterior", q, "--draws", "200", "--tune", "200", "--seed", "4").stdout
    assert "90% equal-tailed" in text and "R-hat" in text
    assert bayes_forecasts(pack_cli, q) == []
    assert "one question id or --all" in pack_cli("posterior", ok=False).output


def test_trust_factors_scale_the_evidence(categorical_case):
    qs, links = categorical_case
    (muted,) = posterior_batch(qs[:1], links, AT, 300, 200, 1, seed=1, trust={7: 0.0})
    assert muted["contributions"][0]["log_odds"] == {"a": 0.0, "c": 0.0}
    assert muted["fast_path"] == pytest.approx({"a": 0.2, "b": 0.3, "c": 0.5})


def test_trust_factors_per_source(pack_cli, monkeypatch):
    import forecasts.bayes.trust as trust
    from forecasts.bayes.runs import trust_factors
    from forecasts.store.db import connect

    q = "ceasefire-current-lines"
    a = pack_cli.json("evidence", "add", q, "--summary", "a", "--observed-at", "2025-01-10", "--lr", "2",
                      "--source", "Reuters")["evidence_id"]  # fmt: skip
    b = pack_cli.json("evidence", "add", q, "--summary", "b", "--observed-at", "2025-01-10", "--lr", "2")["evidence_id"]
    monkeypatch.setattr(trust, "trust_scale", lambda db, known_by=None: {"scale": 0.5, "per_source": {"Reuters": 2.0}})
    assert trust_factors(connect(pack_cli.db_path), AT, [a, b]) == (0.5, {a: 2.0, b: 0.5})


def test_posterior_all_updates_every_open_question(pack_cli, questions_dir):
    from forecasts.bayes.runs import latest_posterior
    from forecasts.store.db import connect

    pack_cli("evidence", "import", str(questions_dir / "road-ahead" / "evidence.jsonl"))
    pack_cli("resolve", "kursk-exchange", "yes")
    out = pack_cli("posterior", "--all", "--draws", "100", "--tune", "100", "--chains", "1").stdout
    files = list((questions_dir / "road-ahead").glob("*.toml"))
    numeric = [f for f in files if re.search(r'^type = "(numeric|date)"', f.read_text(encoding="utf-8"), re.M)]
    # every pack question but kursk-exchange and the numeric and date ones (their model: docs/numeric.md)
    n_open = len(files) - 1 - len(numeric)
    assert f"Posteriors ({n_open} open questions" in out
    db = connect(pack_cli.db_path)
    runs = {q: latest_posterior(db, q) for q in ("talks-start", "ceasefire-current-lines", "kursk-exchange")}
    assert runs["kursk-exchange"] is None
    assert set(runs["talks-start"]["mean"]) == {"before-2025-04", "2025-04-to-2025-12", "2026", "2027-or-later"}
    assert runs["talks-start"]["mean"]["before-2025-04"] == pytest.approx(0, abs=1e-9)  # its time bin has elapsed
    assert runs["ceasefire-current-lines"]["hazard"]["exposure_days"] > 700


def test_report_band_ends_at_the_weighted_interval():
    """The report's trajectory band uses the same evidence-weighted model as its interval (Beta(4,6), LR 10)."""
    from forecasts.report import trajectory as tr

    q = question("band", beta_prior(4, 6))
    lk = [link(1, "band", math.log(10), 0.3, 1.0)]
    arrays = tr.LinkArrays(
        np.array([T0.timestamp()]), np.array([0]), np.array([math.log(10)]), np.array([0.09]), np.array([1])
    )
    lo, hi = tr.band(q, arrays, np.array([AT.timestamp()]), draws=200_000)
    ref = monte_carlo_posterior(q, lk, AT, draws=200_000, seed=4)
    assert lo[0, 0] == pytest.approx(ref["lo"]["yes"], abs=0.004) and hi[0, 0] == pytest.approx(
        ref["hi"]["yes"], abs=0.004
    )
    # unweighted prior draws would put the band's low end well below: the evidence is data on π too
    pi = np.random.default_rng(0).beta(4, 6, 200_000)
    unweighted = expit(np.log(pi / (1 - pi)) + math.log(10) + 0.3 * np.random.default_rng(1).standard_normal(200_000))
    assert np.quantile(unweighted, 0.05) < lo[0, 0] - 0.02
