"""Benchmark the pooling backtest: a PredictionBook-sized history (63,000 forecasts, seeded simulation, or a real
PredictionBook-style CSV) through the database and `aggregate --backtest`, and 1 million forecasts through the
in-memory backtest against a numpy floor measured in the same run.

The floor is the least work any backtest of these forecasts does: order them by question and time (one
lexsort) and score each one once (one time-weighted bincount). Usage:
    .venv/bin/python bench/aggregate_bench.py [--forecasts 63000] [--million 1000000] [--csv FILE] [--seed 0]
        [--repeats 5] [--skip-database]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from forecasts.pooling import backtest, learned
from forecasts.pooling.panel import build_panel


def simulate(n_forecasts: int, seed: int = 0):
    """Flat forecasts shaped like PredictionBook's: most questions have one or two people, a few have dozens;
    a third of the people see the truth well, half are over-confident; questions resolve one after another."""
    rng = np.random.default_rng(seed)
    n_people = max(50, n_forecasts // 20)
    noise = np.where(rng.random(n_people) < 1 / 3, 0.4, 1.8)
    slope = np.where(rng.random(n_people) < 0.5, 1.0, 1.8)
    per_q = np.minimum(1 + rng.geometric(0.3, size=n_forecasts // 3), 80)
    per_q = per_q[np.cumsum(per_q) <= n_forecasts]
    n_q = len(per_q)
    q = np.repeat(np.arange(n_q), per_q)
    theta = rng.normal(0, 1.5, n_q)
    y = (rng.random(n_q) < 1 / (1 + np.exp(-theta))).astype(float)
    f = rng.integers(0, n_people, len(q))
    x = slope[f] * (theta[q] + rng.normal(0, 1, len(q)) * noise[f])
    p = np.clip(np.round(1 / (1 + np.exp(-x)), 2), 0.01, 0.99)
    opens = np.arange(n_q) * 3600.0 * 6
    t = opens[q] + rng.random(len(q)) * 3600 * 24 * 5
    end = opens + 3600 * 24 * 5 + 1
    return q, f, t, p, end, y, n_people


def write_csv(path: Path, q, f, t, p, end, y) -> None:
    """The simulated history as a PredictionBook-style CSV (the `predictionbook` reader's format)."""
    start = datetime(2010, 1, 1, tzinfo=UTC)
    stamp = [(start + timedelta(seconds=int(s))).isoformat() for s in t]
    known = [(start + timedelta(seconds=int(s))).isoformat() for s in end]
    seen = set()
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["question_id", "question", "user", "probability", "timestamp", "outcome", "known_at"])
        for i in range(len(q)):
            key = (q[i], f[i], stamp[i])
            if key in seen:
                continue
            seen.add(key)
            out.writerow([q[i], f"Event {q[i]}", f"u{f[i]}", p[i], stamp[i], "right" if y[q[i]] else "wrong",
                          known[q[i]]])  # fmt: skip


def floor(q, t, p, end, y) -> float:
    """Seconds of the numpy floor: one lexsort and one time-weighted score of every forecast."""
    start = time.perf_counter()
    order = np.lexsort((t, q))
    qs, ts, ps = q[order], t[order], p[order]
    nxt = np.append(ts[1:], 0.0)
    last = np.append(qs[1:] != qs[:-1], True)
    dur = np.where(last, end[qs], nxt) - ts
    np.bincount(qs, dur * (ps - y[qs]) ** 2, len(end)) / np.bincount(qs, dur, len(end))
    return time.perf_counter() - start


def through_database(args) -> None:
    from forecasts.pooling.series import backtest_db
    from forecasts.store.db import connect

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.csv) if args.csv else Path(tmp) / "history.csv"
        if not args.csv:
            q, f, t, p, end, y, _ = simulate(args.forecasts, args.seed)
            write_csv(path, q, f, t, p, end, y)
        from typer.testing import CliRunner

        from forecasts.cli import app

        db_path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        res = CliRunner().invoke(app, ["--db", str(db_path), "--create-db", "import-dataset", "predictionbook",
                                       str(path)])  # fmt: skip
        assert res.exit_code == 0, res.output
        imported = time.perf_counter() - start
        db = connect(db_path)
        n = db.conn.execute("SELECT count(*) FROM forecasts").fetchone()[0]
        for min_f in (1, 3):
            start = time.perf_counter()
            result = backtest_db(db, min_forecasters=min_f)
            took = time.perf_counter() - start
            print(f"database backtest, {n:,} forecasts, min {min_f} forecasters, {result['n_questions']:,} "
                  f"questions: {took:.2f} s (goal < 10 s; import took {imported:.1f} s, not counted)")  # fmt: skip
            for r in result["methods"]:
                print(
                    f"  {r['method']:10s} Brier {r['brier']:.4f}  at close {r['brier_close']:.4f}  "
                    f"log {r['log_loss']:.4f}  vs median {r['diff']:+.4f} [{r['diff_lo']:+.4f}, {r['diff_hi']:+.4f}]"
                )
            print(f"  favoured: {result['favoured']}: {result['why']}")


def paired(fn, floor_fn, repeats: int) -> tuple[float, float]:
    """Least seconds of fn and of the floor over `repeats` alternating runs of each: the two minima come from
    the same minutes of a shared machine, so their ratio does not drift with other people's load."""
    ts, fs = [], []
    for _ in range(repeats):
        for fun, out in ((floor_fn, fs), (fn, ts)):
            start = time.perf_counter()
            fun()
            out.append(time.perf_counter() - start)
    return min(ts), min(fs)


def in_memory(n: int, seed: int, repeats: int) -> None:
    q, f, t, p, end, y, n_people = simulate(n, seed)

    def floor_fn():
        floor(q, t, p, end, y)

    start = time.perf_counter()
    panel = build_panel(q, f, t, p, end, y, end.copy(), n_people)
    built = time.perf_counter() - start
    print(f"in memory, {len(q):,} forecasts on {len(end):,} questions, {panel.n_rows:,} events; each time the best "
          f"of {repeats}, beside the best of {repeats} numpy floors run alternately with it")  # fmt: skip
    _, floor_s = paired(lambda: None, floor_fn, repeats)
    print(f"  panel {built:.2f} s (one build; {built / floor_s:.1f}x a floor of {floor_s:.3f} s)")
    for method in backtest.METHODS:  # learned pools: their fit included (method_values fits when not given one)
        took, floor_s = paired(lambda m=method: backtest.question_scores(panel, backtest.method_values(panel, m)),
                               floor_fn, repeats)  # fmt: skip
        what = "fit + pool + score" if method in backtest.LEARNED else "pool + score"
        print(f"  {method:10s} {what} {took:.3f} s, floor {floor_s:.3f} s: {took / floor_s:.1f}x "
              f"(load {os.getloadavg()[0]:.1f})")  # fmt: skip
    fit_s, floor_s = paired(lambda: learned.fit(panel), floor_fn, repeats)
    print(f"  (the learned fit alone {fit_s:.3f} s, floor {floor_s:.3f} s: {fit_s / floor_s:.1f}x)")
    start = time.perf_counter()
    backtest.run(panel)
    took = time.perf_counter() - start
    print(f"  whole backtest (8 methods, fits, bootstrap) {took:.2f} s, panel included "
          f"{(took + built) / floor_s:.1f}x floor")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forecasts", type=int, default=63_000)
    ap.add_argument("--million", type=int, default=1_000_000)
    ap.add_argument("--csv", help="a real PredictionBook-style CSV instead of the simulated history")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-database", action="store_true", help="only the in-memory million")
    ap.add_argument("--repeats", type=int, default=5, help="timings are the best of this many runs")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs (shared: load average {os.getloadavg()[0]:.1f} at start)")
    if not args.skip_database:
        through_database(args)
    in_memory(args.million, args.seed, args.repeats)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
