"""Benchmark: the weekly report over 100 questions and 100,000 evidence links (seeded synthetic database).

Usage: .venv/bin/python bench/report_bench.py [--questions 100] [--links 100000]
Prints the seconds spent building the data and rendering Markdown + HTML (target: < 15 s in total).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from forecasts.report.build import build_report, week_bounds
from forecasts.report.html import render_html
from forecasts.report.markdown import render_markdown
from forecasts.store.db import connect, write_transaction
from forecasts.sync import sync
from forecasts.timeutil import to_iso

WEEK = "2026-W20"
RESOLVED = 20


def write_questions(root: Path, n: int, rng: np.random.Generator) -> list[tuple[str, list[str] | None]]:
    """n question files: 80% binary (half of them deadline questions), 20% four-outcome categorical."""
    root.mkdir(parents=True)
    out = []
    _, _, as_of = week_bounds(WEEK)
    for i in range(n):
        qid = f"q{i:03d}"
        close = as_of + timedelta(days=int(rng.integers(5, 400)))
        common = (
            f'title = "Synthetic question {i}?"\nopens_at = 2025-01-01\ncloses_at = {close.date()}\n'
            f'resolves_by = {close.date()}\nresolution_criteria = "Synthetic."\n'
        )
        if i % 5 == 4:
            outcomes = ["a", "b", "c", "d"]
            text = (
                common
                + 'type = "categorical"\noutcomes = ["a", "b", "c", "d"]\n[prior]\nalpha = [2.0, 3.0, 3.0, 2.0]\n'
            )
        else:
            outcomes = None
            deadline = "true" if i % 2 else "false"
            text = (
                common
                + f'deadline_question = {deadline}\n[prior]\nreference = "synthetic"\nsuccesses = 3\ntrials = 10\n'
            )
        (root / f"{qid}.toml").write_text(text, encoding="utf-8")
        out.append((qid, outcomes))
    for i in range(RESOLVED):  # closed before the report's week; resolved before it or during it
        close = as_of - timedelta(days=int(rng.integers(2, 60)))
        text = (
            f'title = "Synthetic resolved question {i}?"\nopens_at = 2025-01-01\ncloses_at = {close.date()}\n'
            f'resolves_by = {close.date()}\nresolution_criteria = "Synthetic."\n[prior]\na = 2\nb = 2\n'
        )
        (root / f"r{i:03d}.toml").write_text(text, encoding="utf-8")
    return out


def fill(db, questions: list[tuple[str, list[str] | None]], n_links: int, rng: np.random.Generator) -> None:
    """Evidence (two links per item, 5% recorded this week, 1% retracted), forecasts by 20 people, resolutions."""
    start, as_of = datetime(2025, 1, 1, tzinfo=UTC), week_bounds(WEEK)[2]
    span = (as_of - start).total_seconds()
    n_items = n_links // 2
    observed = np.sort(rng.uniform(0, span * 0.99, n_items))
    lag = rng.uniform(0, 3 * 86400, n_items)
    this_week = rng.random(n_items) < 0.05
    recorded = np.where(
        this_week, span - rng.uniform(60, 6 * 86400, n_items), np.minimum(observed + lag, span - 7 * 86400)
    )
    observed = np.minimum(observed, recorded)
    stamp = lambda s: to_iso(start + timedelta(seconds=float(s)))  # noqa: E731
    ev_rows, link_rows = [], []
    for i in range(n_items):
        ev_rows.append((i + 1, stamp(observed[i]), stamp(recorded[i]), f"Synthetic item {i} <b>", "bench",
                        "https://example.org/x", float(rng.uniform(0.4, 1.0))))  # fmt: skip
        for qi in rng.choice(len(questions), 2, replace=False):
            qid, outcomes = questions[qi]
            outcome = None if outcomes is None else outcomes[int(rng.integers(len(outcomes)))]
            link_rows.append((i + 1, qid, outcome, float(rng.normal(0, 0.3)), float(rng.uniform(0, 0.4))))
    stamp_now = to_iso(as_of)
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO evidence (id, observed_at, recorded_at, summary, source, url, reliability)"
            " VALUES (?,?,?,?,?,?,?)",
            ev_rows,
        )
        db.conn.executemany(
            "INSERT INTO evidence_links (evidence_id, question_id, outcome, log_lr, log_lr_sd) VALUES (?,?,?,?,?)",
            link_rows,
        )
        retracted = rng.choice(n_items, n_items // 100, replace=False) + 1
        db.conn.executemany(
            "INSERT INTO evidence_retractions (evidence_id, recorded_at, reason) VALUES (?, ?, 'bench')",
            [(int(e), stamp_now) for e in retracted],
        )
        people = [f"p{j:02d}" for j in range(20)]
        db.conn.executemany(
            "INSERT INTO forecasters (id, kind, created_at) VALUES (?, 'person', '2025-01-01T00:00:00Z')",
            [(p,) for p in people],
        )
        rows = []
        for qid, outcomes in questions:
            for p in people:
                for s in np.sort(rng.uniform(0, span, 5)):
                    if outcomes is None:
                        rows.append((qid, p, stamp(s), stamp(s), float(rng.uniform(0.05, 0.95)), None))
                    else:
                        w = rng.dirichlet([2, 2, 2, 2])
                        rows.append(
                            (qid, p, stamp(s), stamp(s), None, json.dumps(dict(zip(outcomes, w.tolist(), strict=True))))
                        )
        for i in range(RESOLVED):
            qid = f"r{i:03d}"
            close = db.conn.execute("SELECT closes_at FROM questions WHERE id = ?", [qid]).fetchone()[0]
            close_s = (datetime.fromisoformat(close.replace("Z", "+00:00")) - start).total_seconds()
            for p in people:
                for s in np.sort(rng.uniform(0, close_s, 5)):
                    rows.append((qid, p, stamp(s), stamp(s), float(rng.uniform(0.05, 0.95)), None))
            recorded = stamp(span - rng.uniform(3600, 6 * 86400)) if i % 2 else close
            db.conn.execute(
                "INSERT INTO resolutions (question_id, action, outcome, known_at, recorded_at) VALUES (?,?,?,?,?)",
                [qid, "resolve", "yes" if rng.random() < 0.5 else "no", close, recorded],
            )
        db.conn.executemany(
            "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability, probabilities)"
            " VALUES (?,?,?,?,?,?)",
            rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--links", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "questions"
        questions = write_questions(root, args.questions, rng)
        db = connect(Path(tmp) / "bench.db")
        sync(db, root)
        t0 = time.perf_counter()
        fill(db, questions, args.links, rng)
        took = time.perf_counter() - t0
        print(f"setup: {args.questions} open + {RESOLVED} resolved questions, {args.links} links in {took:.2f} s")
        t0, c0 = time.perf_counter(), time.process_time()
        data = build_report(db, WEEK, questions_root=root)
        t1 = time.perf_counter()
        md_text = render_markdown(data)
        t2 = time.perf_counter()
        html_text = render_html(data)
        t3 = time.perf_counter()
        print(f"build: {t1 - t0:.2f} s; markdown: {t2 - t1:.2f} s; html: {t3 - t2:.2f} s")
        cpu = time.process_time() - c0
        print(f"total report: {t3 - t0:.2f} s wall, {cpu:.2f} s CPU (target < 15 s)")
        print(f"sizes: md {len(md_text) / 1e6:.2f} MB, html {len(html_text) / 1e6:.2f} MB; "
              f"{len(data['questions'])} open questions, {len(data['evidence'])} items logged this week")  # fmt: skip


if __name__ == "__main__":
    main()
