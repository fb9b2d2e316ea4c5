"""Each question's fast-path probability as of a moment, from the evidence ledger.

Evidence counts at time t when it was observed by t; with `known_by` (default t) only rows recorded
by then count and only retractions recorded by then remove an item, so any past view is reproducible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from forecasts.bayes.fastpath import bin_remaining_fractions, binary_update, categorical_update, remaining_probability
from forecasts.questions import Question
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso


@dataclass(frozen=True)
class Link:
    """One evidence item's likelihood ratio on one question (and outcome, for categorical)."""

    evidence_id: int
    question_id: str
    outcome: str | None
    log_lr: float
    log_lr_sd: float
    reliability: float
    observed_at: datetime
    recorded_at: datetime
    summary: str


def active_links(db: Database, known_by: datetime, question_ids: list[str] | None = None) -> dict[str, list[Link]]:
    """Links recorded by `known_by` whose evidence was not retracted by then, grouped by question."""
    sql = """
        SELECT l.evidence_id, l.question_id, l.outcome, l.log_lr, l.log_lr_sd,
               e.reliability, e.observed_at, e.recorded_at, e.summary
        FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id
        WHERE e.recorded_at <= :known
          AND NOT EXISTS (SELECT 1 FROM evidence_retractions r
                          WHERE r.evidence_id = e.id AND r.recorded_at <= :known)
    """
    params: dict = {"known": to_iso(known_by)}
    if question_ids is not None:
        marks = ", ".join(f":q{i}" for i in range(len(question_ids)))
        sql += f" AND l.question_id IN ({marks})"
        params |= {f"q{i}": q for i, q in enumerate(question_ids)}
    sql += " ORDER BY e.observed_at, e.id, l.id"
    grouped: dict[str, list[Link]] = defaultdict(list)
    for row in db.conn.execute(sql, params):
        grouped[row[1]].append(
            Link(row[0], row[1], row[2], row[3], row[4], row[5], from_iso(row[6]), from_iso(row[7]), row[8])
        )
    return grouped


def base_probabilities(q: Question, at: datetime) -> dict[str, float]:
    """The prior, decayed for deadline questions by the event-free time elapsed until `at`."""
    prior = q.prior_probabilities()
    if q.deadline_question:
        yes = remaining_probability(prior["yes"], q.opens_at, q.closes_at, at)
        return {"yes": yes, "no": 1.0 - yes}
    if q.bin_ends:
        fractions = bin_remaining_fractions(q.opens_at, q.bin_ends, at)
        mass = [prior[o] * f for o, f in zip(q.outcomes, fractions, strict=True)]
        total = sum(mass)
        return dict(zip(q.outcomes, (m / total for m in mass), strict=True))
    return prior


def probability_from_links(q: Question, links: list[Link], at: datetime) -> dict[str, float]:
    """Fast-path outcome probabilities at `at` from the given links (those observed after `at` ignored)."""
    base = base_probabilities(q, at)
    used = [lk for lk in links if lk.observed_at <= at]
    if q.is_binary:
        yes = binary_update(base["yes"], [lk.log_lr for lk in used], [lk.reliability for lk in used])
        return {"yes": yes, "no": 1.0 - yes}
    index = {o: i for i, o in enumerate(q.outcomes)}
    rows: dict[int, list[float]] = {}
    reliab: dict[int, float] = {}
    for lk in used:
        row = rows.setdefault(lk.evidence_id, [0.0] * len(q.outcomes))
        row[index[lk.outcome]] += lk.log_lr
        reliab[lk.evidence_id] = lk.reliability
    ids = list(rows)
    post = categorical_update([base[o] for o in q.outcomes], [rows[i] for i in ids], [reliab[i] for i in ids])
    return dict(zip(q.outcomes, (float(p) for p in post), strict=True))


def question_probability(db: Database, q: Question, at: datetime, known_by: datetime | None = None) -> dict[str, float]:
    """Fast-path probabilities of one question at `at`, from what was recorded by `known_by`."""
    links = active_links(db, known_by or at, [q.id]).get(q.id, [])
    return probability_from_links(q, links, at)
