"""A small simulated history for the skill/aggregate/trust tests: resolved questions, people, evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence
from forecasts.forecasting import submit_forecast
from forecasts.resolution import resolve
from forecasts.sync import sync

OPENS = datetime(2025, 1, 1, tzinfo=UTC)
CLOSES = datetime(2025, 12, 31, tzinfo=UTC)
KNOWN = datetime(2025, 10, 1, tzinfo=UTC)
OPEN_Q = "open-q"


def write_questions(root: Path, n: int) -> list[str]:
    """n closed binary questions h00.. (prior 0.5) plus one open question."""
    root.mkdir(parents=True, exist_ok=True)
    ids = [f"h{i:02d}" for i in range(n)]
    for qid, closes in [(q, "2025-12-31") for q in ids] + [(OPEN_Q, "2030-12-31")]:
        (root / f"{qid}.toml").write_text(
            f'title = "Question {qid}?"\nopens_at = 2025-01-01\ncloses_at = {closes}\nresolves_by = {closes}\n'
            f'resolution_criteria = "Resolves yes if it happens."\n'
            f'[prior]\nprobability = 0.5\nnote = "coin flip"\n'
        )
    return ids


def build_history(db, root: Path, n_questions: int = 12, seed: int = 3, evidence: bool = False) -> dict:
    """People alice (over-confident), bob (calibrated), carol (timid) forecast twice on each question;
    questions resolve on KNOWN; with `evidence`, each question gets a source-tagged item with LR 4 toward its truth.
    """
    rng = np.random.default_rng(seed)
    ids = write_questions(root, n_questions)
    sync(db, root)
    truth = rng.normal(0, 1.5, n_questions)
    outcomes = rng.random(n_questions) < 1 / (1 + np.exp(-truth))
    slopes = {"alice": 0.5, "bob": 1.0, "carol": 2.0}  # truth = b * logit p
    for i, qid in enumerate(ids):
        for name, b in slopes.items():
            for k, day in enumerate((10, 40)):
                x = truth[i] / b + (0.3 if k == 0 else 0.0)
                p = float(np.clip(1 / (1 + np.exp(-x)), 0.01, 0.99))
                made = OPENS + timedelta(days=day + i, hours=list(slopes).index(name))
                submit_forecast(db, qid, round(p, 4), name, made_at=made)
        if evidence:
            add_evidence(
                db,
                EvidenceItem(
                    summary=f"report on {qid}",
                    observed_at=OPENS + timedelta(days=5),
                    links=[LinkSpec(qid, float(np.log(4.0) if outcomes[i] else -np.log(4.0)))],
                    source="wire" if i % 2 else "blog",
                ),
            )
        resolve(db, qid, "yes" if outcomes[i] else "no", known_at=KNOWN.isoformat())
    return {"ids": ids, "outcomes": outcomes, "truth": truth}
