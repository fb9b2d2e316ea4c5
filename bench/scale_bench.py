"""Platform size: import, score, score --json and leaderboard at 100k, 1M (and 10M) forecasts, each as its own process.

    .venv/bin/python bench/scale_bench.py [--sizes 100000,1000000] [--import-only] [--ten-million]

For each size, writes (seeded, as bench/import_bench.py does) a questions CSV (one question per 100 forecasts, all
resolved), a forecasts CSV (1,000 forecasters) and a resolutions CSV, then runs each step as a child process and
prints its wall time, its peak memory (the child's maximum resident set, from getrusage) and the ratio to the floor
measured in the same run: a child reading the forecasts CSV with the csv module and inserting its raw rows into a bare
table. The floor runs twice, before the import and after the last step, and ratios use the mean of the two (on a
shared machine one floor alone moved by 2x between runs); the load average is printed with each size.
`scoring` is the library's score_table with no output: `score --json` is also shown as a ratio to it.
--ten-million adds 10M forecasts, import only (the floor and the import: about ten minutes on the 2-core machine).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = [str(Path(sys.executable).with_name("forecasts"))]
# Runs a command, then prints its wall seconds and peak RSS (kB): the only child of this small process.
WRAP = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "dt = time.perf_counter() - t\n"
    "if r.returncode: sys.exit(r.stderr[-2000:])\n"
    "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak MB) of `cmd` run as a child process, its output discarded."""
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr}")
    seconds, kb = out.stdout.split()
    return float(seconds), int(kb) / 1024


def write_resolutions(root: Path, n_q: int) -> Path:
    path = root / "resolutions.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "source", "outcome", "known_at"])
        for i in range(n_q):
            w.writerow([f"Q_{i}.Bench", "bench", "yes" if i % 3 else "no", "2025-06-01T00:00:00Z"])
    return path


def floor_child(path: str, root: str) -> None:
    """The floor, in its own process: csv module read + one executemany of the raw rows into a bare table."""
    sys.path.insert(0, str(HERE))
    from import_bench import floor_seconds

    for old in Path(root).glob("floor-*.db*"):  # the floor's own table, from a run before this one
        old.unlink()
    floor_seconds(Path(path), Path(root))


def scoring_child(db_path: str) -> None:
    """Scoring alone (no output), in its own process."""
    from forecasts.scoring.leaderboard import score_table
    from forecasts.store.db import connect

    print(len(score_table(connect(db_path))))


def run_size(n: int, root: Path, import_only: bool = False) -> list[tuple[str, float, float]]:
    sys.path.insert(0, str(HERE))
    from import_bench import write_files

    n_q = max(100, n // 100)
    qpath, fpath = write_files(root, n_q, n)
    rpath = write_resolutions(root, n_q)
    db_path = root / "scale.db"
    env = os.environ | {"FORECASTS_DB": str(db_path)}
    subprocess.run([*CLI, "import", str(qpath)], env=env, check=True, capture_output=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    steps = [("floor: csv read + raw insert", [*me, "--floor", str(fpath), str(root)]),
             ("import", [*CLI, "import", str(fpath)])]  # fmt: skip
    out = [(label, *measure(cmd, env)) for label, cmd in steps]
    if import_only:
        return out + [(f"{steps[0][0]} (again)", *measure(steps[0][1], env))]
    subprocess.run([*CLI, "import", str(rpath)], env=env, check=True, capture_output=True)
    steps = [("scoring (library, no output)", [*me, "--scoring", str(db_path)]),
             ("score", [*CLI, "score"]),
             ("score --json", [*CLI, "score", "--json"]),
             ("leaderboard", [*CLI, "leaderboard"]),
             ("calibration NAME", [*CLI, "calibration", "user_7"]),
             ("forecast-list --json", [*CLI, "forecast-list", "--json"]),
             ("db check", [*CLI, "db", "check", "--json"]),
             ("floor: csv read + raw insert (again)", [*me, "--floor", str(fpath), str(root)])]  # fmt: skip
    out += [(label, *measure(cmd, env)) for label, cmd in steps]
    for p in (qpath, fpath, rpath, db_path):
        p.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--floor", nargs=2)
    parser.add_argument("--scoring")
    parser.add_argument("--import-only", action="store_true", help="Only the floor and the import (for 10M).")
    parser.add_argument("--ten-million", action="store_true", help="Also 10M forecasts, import only.")
    args = parser.parse_args()
    if args.floor:
        return floor_child(*args.floor)
    if args.scoring:
        return scoring_child(args.scoring)
    results = {}
    sizes = [(int(x), args.import_only) for x in args.sizes.split(",")]
    for n, import_only in sizes + ([(10_000_000, True)] if args.ten_million else []):
        before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as tmp:
            rows = run_size(n, Path(tmp), import_only)
        results[n] = rows
        floor = (rows[0][1] + rows[-1][1]) / 2  # the floor before the import and after the last step
        print(f"\n{n:,} forecasts ({max(100, n // 100):,} questions, all resolved; 1,000 forecasters); "
              f"load average {before:.1f} before, {os.getloadavg()[0]:.1f} after")  # fmt: skip
        print(f"{'step':38s} {'seconds':>8s} {'peak MB':>8s} {'x floor':>8s}")
        for label, seconds, mb in rows:
            print(f"{label:38s} {seconds:8.2f} {mb:8.0f} {seconds / floor:7.1f}x")
        if not import_only:
            scoring = next(r[1] for r in rows if r[0].startswith("scoring"))
            json_s = next(r[1] for r in rows if r[0] == "score --json")
            print(f"score --json / scoring alone: {json_s / scoring:.1f}x")
    print(json.dumps({n: [list(r) for r in rows] for n, rows in results.items()}))


if __name__ == "__main__":
    main()
