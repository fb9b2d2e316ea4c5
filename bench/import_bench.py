"""Import throughput at a platform's size: questions in bulk and forecast data, all-or-nothing on a bad row.

    .venv/bin/python bench/import_bench.py [--questions 100000] [--forecasts 1000000]

Writes (seeded) a questions CSV (external ids with capitals and '_', so slugs are derived; no priors) and a
forecasts CSV naming questions by their external ids, then times `forecasts import` of each (the library call
the command makes) and prints rows per second beside a floor measured in the same run: reading the same CSV
with the csv module and inserting its raw rows with one executemany into a bare table (no validation). Then
appends one bad row at the end of a copy of the forecasts file and checks the import refuses it naming file,
line and field, and writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def write_files(root: Path, n_q: int, n_f: int) -> tuple[Path, Path]:
    """The questions and forecasts CSVs (seeded); forecasts spread over questions and 1,000 forecasters."""
    rng = random.Random(0)
    qpath, fpath = root / "questions.csv", root / "forecasts.csv"
    with qpath.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["external_id", "source", "title", "opens_at", "closes_at", "resolution_criteria", "tags"])
        for i in range(n_q):
            w.writerow([f"Q_{i}.Bench", "bench", f"Will event {i} happen?", "2024-01-01", "2026-01-01",
                        "Resolves yes if the bench says so.", "bench"])  # fmt: skip
    base = datetime(2024, 1, 2, tzinfo=UTC)
    with fpath.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "source", "forecaster", "made_at", "probability"])
        for i in range(n_f):
            made = (base + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            p = rng.choice((0.0, 1.0)) if i % 5 == 0 else round(rng.uniform(0.01, 0.99), 3)
            w.writerow([f"Q_{rng.randrange(n_q)}.Bench", "bench", f"user_{i % 1000}", made, p])
    return qpath, fpath


def floor_seconds(path: Path, root: Path) -> float:
    """Read a CSV with the csv module and insert its rows raw into a bare table: the I/O + SQLite floor."""
    conn = sqlite3.connect(str(root / f"floor-{path.stem}.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(len(header)))})")
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in header)})", reader)
        conn.execute("COMMIT")
    dt = time.perf_counter() - t
    conn.close()
    return dt


def main() -> None:
    from forecasts.errors import ForecastsError
    from forecasts.interchange.roundtrip import import_path
    from forecasts.store.db import connect

    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--forecasts", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        qpath, fpath = write_files(root, args.questions, args.forecasts)
        db = connect(root / "bench.db")
        for label, path, n in (("questions", qpath, args.questions), ("forecasts", fpath, args.forecasts)):
            floor = floor_seconds(path, root)
            t = time.perf_counter()
            result = import_path(db, path)
            dt = time.perf_counter() - t
            assert result["imported"] == n, result
            print(f"import {label:9s}: {n:9d} rows in {dt:6.2f} s = {n / dt:9.0f} rows/s; floor (csv + raw insert) "
                  f"{floor:5.2f} s = {n / floor:9.0f} rows/s; ratio {dt / floor:5.1f}x")  # fmt: skip
        t = time.perf_counter()
        again = import_path(db, fpath)
        dt = time.perf_counter() - t
        print(f"re-import forecasts: {again['skipped_existing']} already present, {again['imported']} new, {dt:.2f} s")
        bad = root / "bad.csv"
        text = fpath.read_text(encoding="utf-8")
        bad.write_text(text + "Q_1.Bench,bench,user_1,2025-06-01T00:00:00Z,1.5\n", encoding="utf-8")
        before = db.conn.execute("SELECT COUNT(*) FROM forecasts").fetchone()[0]
        t = time.perf_counter()
        try:
            import_path(db, bad)
            raise SystemExit("the bad row was not refused")
        except ForecastsError as exc:
            message = str(exc)
        dt = time.perf_counter() - t
        after = db.conn.execute("SELECT COUNT(*) FROM forecasts").fetchone()[0]
        line = args.forecasts + 2
        assert message.startswith(f"{bad}:{line}: probability:"), message
        assert after == before, (before, after)
        print(f"bad row at line {line}: refused in {dt:.2f} s, nothing written: {message}")


if __name__ == "__main__":
    main()
