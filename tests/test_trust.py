"""Evidence trust: the scale on summed log likelihood ratios, its storage, and the calibrated probability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skill_history import KNOWN, OPENS, build_history

from forecasts.bayes.trust import (
    calibrated_probability,
    evidence_sources,
    fit_scale,
    fit_trust,
    trust_scale,
    trust_verdict,
)
from forecasts.probabilities import active_links, probability_from_links
from forecasts.questions import get_question
from forecasts.timeutil import now_utc


def simulate(k_true: np.ndarray, n: int, seed: int):
    rng = np.random.default_rng(seed)
    offset = rng.normal(0, 0.5, n)
    shifts = rng.normal(0, 1.5, (n, len(k_true)))
    y = rng.random(n) < 1 / (1 + np.exp(-(offset + shifts @ k_true)))
    return offset, shifts, y


def test_shared_scale_recovered_with_interval():
    covered = 0
    for seed in range(20):
        offset, shifts, y = simulate(np.array([0.6]), 400, seed)
        fit = fit_scale(offset, shifts, y)
        covered += fit["k_lo"] <= 0.6 <= fit["k_hi"]
    assert covered >= 15  # a 90% interval: about 18 of 20


def test_overstrong_ratios_are_flagged():
    offset, shifts, y = simulate(np.array([0.4]), 2000, 1)
    fit = fit_scale(offset, shifts, y)
    assert fit["k_hi"] < 1
    assert trust_verdict(fit["k_lo"], fit["k_hi"]) == "logged likelihood ratios are too strong: shrink them"
    assert trust_verdict(1.2, 1.5).endswith("too weak: strengthen them")
    assert trust_verdict(0.8, 1.3) == "consistent with the ratios as logged"


def test_per_source_scales_are_ordered():
    offset, shifts, y = simulate(np.array([0.5, 1.6]), 3000, 2)
    fit = fit_scale(offset, shifts, y)
    low, high = fit["sources"]
    # Shrinkage toward the shared scale pulls both inward a little.
    assert abs(low["k"] - 0.5) < 0.2 and abs(high["k"] - 1.6) < 0.25
    assert low["k"] < fit["k"] < high["k"]


@pytest.fixture
def history(db, tmp_path):
    return build_history(db, tmp_path / "questions", n_questions=8, evidence=True)


def test_fit_trust_stores_and_trust_scale_reads_it(db, history):
    result = fit_trust(db)
    assert result["n_questions"] == 8
    # Evidence always pointed at the truth with LR 4: the ratios look too weak, k > 1.
    assert result["scale"] > 1
    assert {s["source"] for s in result["sources"]} == {"wire", "blog"}
    stored = trust_scale(db)
    assert stored["run_id"] == result["run_id"]
    assert stored["scale"] == pytest.approx(result["scale"])
    # As of before the resolutions were recorded nothing is known: scale 1, not stored.
    early = trust_scale(db, known_by=OPENS)
    assert early["scale"] == 1.0 and early["n_questions"] == 0 and "not enough data" in early["verdict"]


def test_calibrated_probability(db, history):
    q = get_question(db, "h00")
    links = active_links(db, now_utc())["h00"]
    assert len(links) == 1
    plain = probability_from_links(q, links, KNOWN)
    assert calibrated_probability(q, links, KNOWN, 1.0) == pytest.approx(plain)
    assert calibrated_probability(q, links, KNOWN, 0.0)["yes"] == pytest.approx(0.5)
    doubled = calibrated_probability(q, links, KNOWN, 2.0)["yes"]
    lr = math.exp(links[0].log_lr)
    assert doubled == pytest.approx(lr**2 / (1 + lr**2))
    sources = evidence_sources(db)
    per = {"scale": 1.0, "per_source": {sources[links[0].evidence_id]: 0.5}}
    assert calibrated_probability(q, links, KNOWN, per, sources)["yes"] == pytest.approx(
        math.sqrt(lr) / (1 + math.sqrt(lr))
    )
    # Without the sources map the shared scale applies.
    assert calibrated_probability(q, links, KNOWN, per) == pytest.approx(plain)


def test_cli_trust_json(cli, db, history):
    out = cli.json("trust")
    assert set(out) >= {"scale", "lo", "hi", "n_questions", "sources", "per_source", "verdict", "method", "run_id"}
    assert out["n_questions"] == 8 and out["lo"] < out["scale"] < out["hi"]
    text = cli("trust").output
    assert "shared scale k =" in text and "wire" in text
