"""Export / round-trip import / forecast-data import throughput on a synthetic history (seeded).

    .venv/bin/python bench/interchange_bench.py [--forecasts 200000]

Builds a database with the reliability test pack and N forecasts (bulk SQL, 50 forecasters), then times
`export` (csv and jsonl), `import_data` of the export into a fresh database, a public-format forecasts
CSV import (`import_file`) of the same N rows, and `check_database`. Prints rows/s for each.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    from reliability_pack import write_pack

    from forecasts.interchange.roundtrip import export, import_data, import_file
    from forecasts.store.db import connect, write_transaction
    from forecasts.store.dbtools import check_database
    from forecasts.sync import sync

    parser = argparse.ArgumentParser()
    parser.add_argument("--forecasts", type=int, default=200_000)
    n = parser.parse_args().forecasts
    rng = random.Random(0)
    base = datetime(2024, 1, 2, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = connect(root / "a.db")
        sync(db, write_pack(root))
        stamps = [(base + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]
        rows = [("open-q", f"u{i % 50}", stamps[i], stamps[i], round(rng.uniform(0.01, 0.99), 3)) for i in range(n)]
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO forecasters (id, kind, created_at) VALUES (?, 'person', '2024-01-01T00:00:00Z')",
                [(f"u{i}",) for i in range(50)],
            )
            db.conn.executemany(
                "INSERT INTO forecasts (question_id, forecaster_id, made_at, recorded_at, probability) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        for fmt in ("csv", "jsonl"):
            t = time.perf_counter()
            export(db, root / f"out-{fmt}", fmt)
            dt = time.perf_counter() - t
            print(f"export {fmt:5s}: {n} forecasts in {dt:6.2f} s = {n / dt:9.0f} rows/s")
            fresh = connect(root / f"fresh-{fmt}.db")
            t = time.perf_counter()
            import_data(fresh, root / f"out-{fmt}")
            dt = time.perf_counter() - t
            print(f"import {fmt:5s}: {n} forecasts in {dt:6.2f} s = {n / dt:9.0f} rows/s (incl. domain check)")
            fresh.close()
        path = root / "public.csv"
        path.write_text(
            "question,forecaster,made_at,probability\n" + "".join(f"{r[0]},v{r[1]},{r[2]},{r[4]}\n" for r in rows),
            encoding="utf-8",
        )
        t = time.perf_counter()
        import_file(db, path)
        dt = time.perf_counter() - t
        print(f"import forecast-data csv: {n} rows in {dt:6.2f} s = {n / dt:9.0f} rows/s")
        t = time.perf_counter()
        report = check_database(db)
        dt = time.perf_counter() - t
        print(f"db check: {sum(report['rows'].values())} rows in {dt:6.2f} s (ok={report['ok']})")


if __name__ == "__main__":
    main()
