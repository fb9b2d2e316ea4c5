"""Benchmark: `calibration NAME` (one forecaster's questions scored) against scoring everyone, in the same run.

    .venv/bin/python bench/calibration_bench.py [--questions 1000] [--forecasters 200] [--per 300] [--runs 3]

Builds a seeded PredictionBook-style history (each forecaster forecasts `--per` random questions once or twice,
every question resolved) in a temporary database through `import-dataset predictionbook`, then times, median of
--runs: `leaderboard.calibration` for one forecaster, and `leaderboard.score_table` (scoring every forecaster on
every question: what calibration did before issue 25). Prints both and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from forecasts.interchange.datasets import load
from forecasts.scoring.leaderboard import calibration, score_table
from forecasts.store.db import connect


def history(path: Path, nq: int, nf: int, per: int, seed: int) -> int:
    """Write the seeded CSV; return its number of forecasts."""
    rng = np.random.default_rng(seed)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["question_id", "question", "user", "probability", "timestamp", "outcome", "known_at"])
        outcome = rng.random(nq) < 0.4
        for f in range(nf):
            for q in rng.choice(nq, size=min(per, nq), replace=False):
                for k in range(1 + int(rng.random() < 0.1)):
                    day = 1 + int(q % 300) + k
                    stamp = f"2021-{1 + day // 28 % 12:02d}-{1 + day % 28:02d} {f // 60 % 24:02d}:{f % 60:02d}:00+00:00"
                    p = round(float(rng.beta(2, 2)), 3)
                    w.writerow([q + 1, f"Question {q + 1}", f"user{f}", p, stamp, "yes" if outcome[q] else "no",
                                "2022-06-01 00:00:00+00:00"])  # fmt: skip
                    rows += 1
    return rows


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--forecasters", type=int, default=200)
    ap.add_argument("--per", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        n = history(path, args.questions, args.forecasters, args.per, args.seed)
        db = connect(Path(tmp) / "bench.db")
        load(db, "predictionbook", [path])
        calibration(db, "user0")  # warm-up (numba compile)
        one = timed(lambda: calibration(db, "user0"), args.runs)
        everyone = timed(lambda: score_table(db), args.runs)
        print(f"{n} forecasts, {args.questions} questions, {args.forecasters} forecasters ({args.per} questions each)")
        print(f"calibration user0: {one:.3f} s; scoring everyone: {everyone:.3f} s; ratio {one / everyone:.2f}")


if __name__ == "__main__":
    main()
