"""Concurrent writers on one database: throughput and worst lock wait, polling BEGIN IMMEDIATE vs SQLite's handler.

    .venv/bin/python bench/concurrency_bench.py [--workers 8] [--items 300]

Each worker logs `items` evidence items and `items` forecasts through the library (one transaction each), on
its own question. Run once with the default (forecasts.db polls BEGIN IMMEDIATE every 0.5-3 ms) and once with
SQLite's own busy handler (which backs off to 100 ms sleeps); prints wall time, writes/s and the slowest write.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def _plain_begin(conn: sqlite3.Connection, path: str = "") -> None:
    conn.execute("BEGIN IMMEDIATE")


def _worker(db_path: str, worker: int, n: int, sqlite_handler: bool) -> tuple[float, float]:
    import forecasts.store.db as fdb
    from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence
    from forecasts.forecasting import submit_forecast
    from forecasts.timeutil import parse_datetime

    if sqlite_handler:
        fdb._begin_immediate = _plain_begin
    db = fdb.connect(db_path)
    when = parse_datetime("2025-01-01")
    slowest = 0.0
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        add_evidence(db, EvidenceItem(summary=f"{worker}/{i}", observed_at=when, links=[LinkSpec(f"q{worker}", 0.01)]))
        submit_forecast(db, f"q{worker}", 0.3, f"w{worker}")
        slowest = max(slowest, time.perf_counter() - t0)
    return time.perf_counter() - start, slowest


def run(workers: int, items: int, sqlite_handler: bool) -> None:
    from reliability_pack import QUESTIONS

    from forecasts.store.db import connect
    from forecasts.sync import sync

    with tempfile.TemporaryDirectory() as tmp:
        qdir = Path(tmp) / "questions"
        qdir.mkdir()
        import textwrap

        for w in range(workers):
            (qdir / f"q{w}.toml").write_text(textwrap.dedent(QUESTIONS["open-q"]), encoding="utf-8")
        db_path = str(Path(tmp) / "bench.db")
        db = connect(db_path)
        sync(db, qdir)
        db.close()
        t0 = time.perf_counter()
        with mp.get_context("spawn").Pool(workers) as pool:
            results = pool.starmap(_worker, [(db_path, w, items, sqlite_handler) for w in range(workers)])
        wall = time.perf_counter() - t0
        writes = workers * items * 2
        label = "SQLite busy handler" if sqlite_handler else "polling BEGIN IMMEDIATE"
        print(
            f"{label:26s} {workers} workers x {items} items: wall {wall:6.2f} s, {writes / wall:7.1f} writes/s, "
            f"slowest item {max(s for _, s in results) * 1000:7.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    for handler in (False, True):
        run(args.workers, args.items, handler)


if __name__ == "__main__":
    main()
