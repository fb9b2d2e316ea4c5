"""Benchmark: every command at a team's size, as a whole process, as a ratio to its floor in the same run.

    .venv/bin/python bench/team_bench.py [--runs 5] [--cold-runs 1] [--skip-cold] [--only questions,score]

Builds a team-size database in a temporary folder (the shipped pack: `sync`, its evidence, plus a few
dozen forecasts by five people and the real resolution of `talks-start`), then times each command of
the INSTALLED console script (the `forecasts` beside this Python) as a whole process: the median of
--runs runs after one warm-up, each run paired with a run of its floor (A B A B ...), so a ratio holds
while a shared machine's speed drifts. Floors: `python -c "import typer, sqlite3"` for interactive
commands; `python -c "import typer, sqlite3, pandas"` for score and leaderboard; `python -c "import
pymc"` for posterior, scenarios, skill and the README main job. "cold" runs get fresh, empty PyTensor
caches (C and numba) and numba cache (a first run after an install); the cold main job is the README's
main job as written there (sync, resolutions, evidence, reconstruct, weekly) in a fresh folder. The
posterior rows time a binary question, the pack's ordered question (talks-start) and a synthetic
categorical one. Prints a markdown table (for the README).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = str(Path(sys.executable).parent / "forecasts")
FLOORS = {
    "typer": [PY, "-c", "import typer, sqlite3"],
    "pandas": [PY, "-c", "import typer, sqlite3, pandas"],
    "pymc": [PY, "-c", "import pymc"],
}
GOALS = {"typer": "3x", "pandas": "2x", "pymc": "2x", "pymc-cold": "5x", "pandas-cold": "seconds"}
PEOPLE = ("alice", "bob", "chen", "dana", "emeka")
TALKS = ("before-2025-04", "2025-04-to-2025-12", "2026", "2027-or-later")


OUTPUT: list[str] = []  # what the last command printed (stdout + stderr)


def main_job_steps() -> list[list[str]]:
    """The README's main job as written (its first bash block), minus the venv and install: each
    `.venv/bin/forecasts ...` step, run through the installed script beside this Python."""
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    steps = [shlex.split(part) for part in block.replace("\\\n", " ").split("&&")]
    return [[CLI, *step[1:]] for step in steps if step and step[0] == ".venv/bin/forecasts"]


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run one command to completion and return its wall seconds; a failure stops the bench with its output."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    OUTPUT[:] = [proc.stdout + proc.stderr]
    return elapsed


def report_warnings(output: str, always: bool = False) -> None:
    """Print the third-party warnings a command printed (a cold run has a fresh user cache, where ArviZ's daily
    notice would show); with `always`, also say when there were none."""
    noise = [line for line in output.splitlines() if "Warning" in line or "warn(" in line]
    if noise or always:
        print(f"    third-party warnings printed: {len(noise)}", *noise[:3], sep="\n    ", flush=True)


def cold_env(env: dict[str, str], scratch: Path) -> dict[str, str]:
    """The environment of a first run after an install: empty PyTensor caches (its C compile directory and its
    numba cache both live under base_compiledir) and an empty numba cache."""
    cache = Path(tempfile.mkdtemp(prefix="cold-", dir=scratch))
    return env | {
        "PYTENSOR_FLAGS": f"base_compiledir={cache / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(cache / "numba"),
        "XDG_CACHE_HOME": str(cache / "xdg"),  # per-user caches too (ArviZ's once-a-day notice lives there)
    }


BENCH_QUESTION = """title = "Bench-only question (synthetic): did the bench's event happen by 1 June 2025?"
type = "binary"
opens_at = 2024-11-20
closes_at = 2025-06-01
resolves_by = 2025-07-01
tags = ["bench"]
resolution_criteria = "Synthetic, for timing only: resolved no once closed."
[prior]
a = 2.0
b = 6.0
"""

BENCH_CATEGORICAL = """title = "Bench-only categorical question (synthetic): which of three routes is chosen?"
type = "categorical"
outcomes = ["north", "centre", "south"]
opens_at = 2024-11-20
closes_at = 2027-06-01
resolves_by = 2027-07-01
tags = ["bench"]
resolution_criteria = "Synthetic, for timing only (the pack has no categorical question)."
[prior]
probabilities = [0.5, 0.3, 0.2]
concentration = 6
"""


def team_database(work: Path, env: dict[str, str]) -> None:
    """The shipped pack, its evidence, 5 people x 10 questions of forecasts over two years, two resolutions.

    Besides the pack's real resolution of `talks-start`, a synthetic binary question closed in 2025 and resolved
    `no` (a bench fixture, not a claim about the world) gives `skill` resolved binary forecasts to fit. A synthetic
    categorical question with two uncertain evidence items times a categorical posterior (the pack has none), and
    `team-open.db` beside the database is a copy from before the resolutions, for the ordered question's posterior
    (`talks-start`, resolved in the team database)."""
    shutil.copytree(ROOT / "questions", work / "questions")
    (work / "questions" / "bench").mkdir()
    (work / "questions" / "bench" / "bench-closed.toml").write_text(BENCH_QUESTION, encoding="utf-8")
    (work / "questions" / "bench" / "bench-routes.toml").write_text(BENCH_CATEGORICAL, encoding="utf-8")
    run([CLI, "sync"], work, env)
    run([CLI, "evidence", "import", "questions/road-ahead/evidence.jsonl"], work, env)
    for summary, lrs, when in (("bench item: north", ["north=1.8", "south=0.7"], "2025-01-15"),
                               ("bench item: centre", ["centre=1.4"], "2025-03-01")):  # fmt: skip
        lr = [x for pair in lrs for x in ("--lr", f"bench-routes:{pair}")]
        run([CLI, "evidence", "add", "bench-routes", "--summary", summary, *lr, "--lr-sd", "0.3",
             "--observed-at", when, "--source", "bench fixture"], work, env)  # fmt: skip
    import tomllib

    files = {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in (work / "questions" / "road-ahead").glob("*.toml")
    }
    # yes/no and categorical questions: the numeric and date ones take CDFs (docs/numeric.md), not timed here
    opens = {q: str(d["opens_at"])[:10] for q, d in files.items() if d.get("type", "binary") not in ("numeric", "date")}
    binary = sorted(q for q in opens if q != "talks-start")
    dates = ("2024-12-02", "2025-02-03", "2025-04-07", "2025-09-01", "2026-03-02", "2026-09-07")
    rows = []
    for i, person in enumerate(PEOPLE):
        rows.append(["bench-closed", person, f"2025-0{1 + i % 4}-15T09:00:00Z", f"{0.1 + 0.15 * i:.2f}", "", "bench"])
        for j, q in enumerate(binary):
            made = max(dates[(i + j) % len(dates)], opens[q])  # no forecast before a question opened
            rows.append([q, person, f"{made}T09:00:00Z", f"{0.05 + 0.1 * ((i * 3 + j) % 9):.2f}", "", "team bench"])
        talks = [0.1 + 0.05 * i, 0.3, 0.3, 0.3 - 0.05 * i]
        probs = "{" + ", ".join(f'"{o}": {p:.2f}' for o, p in zip(TALKS, talks, strict=True)) + "}"
        rows.append(["talks-start", person, f"2025-0{1 + i % 3}-10T09:00:00Z", "", probs, "team bench"])
    with (work / "team.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["question", "forecaster", "made_at", "probability", "probabilities", "rationale"])
        writer.writerows(rows)
    run([CLI, "import", "team.csv"], work, env)
    shutil.copy(work / "team.db", work.parent / "team-open.db")
    # Formal direct Russia-Ukraine talks opened in Istanbul on 16 May 2025 (AP, Reuters).
    run([CLI, "resolve", "talks-start", "2025-04-to-2025-12", "--known-at", "2025-05-16", "--source", "AP"], work, env)
    run([CLI, "resolve", "bench-closed", "no", "--known-at", "2025-06-02", "--source", "bench fixture"], work, env)
    print(f"team database: {len(rows)} imported forecasts, {len(binary) + 2} questions, 2 resolved", flush=True)


def paired(
    cmd: list[str] | Callable[[int], list[str]],
    floor: list[str],
    cwd: Path,
    env: Callable[[], dict[str, str]],
    floor_env: dict[str, str],
    runs: int,
    warmup: int = 1,
    before: Callable[[int], None] | None = None,
) -> tuple[float, float]:
    """Median seconds of a command and of its floor (always warm), run in turn (A B A B ...) after `warmup` runs."""
    times, floors = [], []
    for i in range(warmup + runs):
        if before:
            before(i)
        t = run(cmd(i) if callable(cmd) else cmd, cwd, env())
        f = run(floor, cwd, floor_env)
        if i >= warmup:
            times.append(t)
            floors.append(f)
    return statistics.median(times), statistics.median(floors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted warm runs of each command (median quoted)")
    parser.add_argument("--heavy-runs", type=int, default=3, help="counted warm runs of the PyMC commands")
    parser.add_argument("--cold-runs", type=int, default=1, help="counted cold runs (each minutes long)")
    parser.add_argument("--skip-cold", action="store_true", help="only warm runs")
    parser.add_argument("--only", default="", help="comma-separated row-name prefixes to run (default all)")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]

    scratch = Path(tempfile.mkdtemp(prefix="team-bench-"))
    work = scratch / "team"
    work.mkdir()
    base = {k: v for k, v in os.environ.items() if k not in ("FORECASTS_DB", "PYTENSOR_FLAGS", "NUMBA_CACHE_DIR")}
    team = base | {"FORECASTS_DB": str(work / "team.db")}  # warm: the user's own caches, filled by the warm-up
    print(f"python {sys.version.split()[0]}, console script {CLI}, {os.cpu_count()} CPUs, scratch {scratch}")
    team_database(work, team)
    shutil.copy(work / "team.db", scratch / "team-fresh.db")  # before any run stored a scenario fit (the cache)
    results: list[tuple[str, str, float, float, float]] = []

    def row(name: str, floor: str, cmd, env=lambda: team, runs: int = args.runs, warmup: int = 1, before=None):
        if only and not any(name.startswith(o) for o in only):
            return
        t, f = paired(cmd, FLOORS[floor.removesuffix("-cold")], work, env, team, runs, warmup, before)
        results.append((name, floor, t, f, t / f))
        print(f"  {name:<34} {t:7.2f} s  floor {f:5.2f} s  {t / f:5.1f}x  (goal {GOALS[floor]})", flush=True)
        report_warnings(OUTPUT[0])  # the last run's output

    lr = ["--lr", "ceasefire-current-lines=1.2", "--observed-at", "2026-11-20", "--source", "bench"]
    unresolve = [CLI, "unresolve", "crimea-recognition", "--note", "bench"]

    def reopen(i: int) -> None:
        if i:
            run(unresolve, work, team)

    row("--help", "typer", [CLI, "--help"])
    row("questions list", "typer", [CLI, "questions", "list"])
    row("questions show", "typer", [CLI, "questions", "show", "ceasefire-current-lines"])
    row("status", "typer", [CLI, "status"])
    row("forecast", "typer", [CLI, "forecast", "ceasefire-current-lines", "0.2", "--by", "alice"])
    row("forecast-list", "typer", [CLI, "forecast-list"])
    row("evidence add", "typer", [CLI, "evidence", "add", "ceasefire-current-lines", "--summary", "bench item", *lr])
    row("evidence list", "typer", [CLI, "evidence", "list"])
    if not only or any("evidence retract".startswith(o) for o in only):
        ids = [
            line.split()[0]
            for line in subprocess.run(
                [PY, "-c", "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("
                 "\"SELECT id FROM evidence WHERE summary = 'bench item' ORDER BY id\")]", str(work / "team.db")],
                capture_output=True, text=True, check=True,
            ).stdout.split()
        ]  # fmt: skip
        if len(ids) >= args.runs + 1:
            row("evidence retract", "typer", lambda i: [CLI, "evidence", "retract", ids[i], "--reason", "bench"])
    row("resolve", "typer", [CLI, "resolve", "crimea-recognition", "annulled", "--source", "bench"], before=reopen)
    if any(name == "resolve" for name, *_ in results):
        run(unresolve, work, team)
    row("forecasters list", "typer", [CLI, "forecasters", "list"])
    row("score", "pandas", [CLI, "score"])
    row("leaderboard", "pandas", [CLI, "leaderboard"])
    heavy = args.heavy_runs
    opened = team | {"FORECASTS_DB": str(scratch / "team-open.db")}  # talks-start not yet resolved
    row("posterior QUESTION", "pymc", [CLI, "posterior", "ceasefire-current-lines"], runs=heavy)
    row("posterior ordered", "pymc", [CLI, "posterior", "talks-start"], env=lambda: opened, runs=heavy)
    row("posterior categorical", "pymc", [CLI, "posterior", "bench-routes"], runs=heavy)
    row("scenarios", "pymc", [CLI, "scenarios"], runs=heavy)
    row("skill", "pymc", [CLI, "skill"], runs=heavy)
    if not args.skip_cold:

        def cold() -> dict[str, str]:
            return cold_env(team, scratch)

        cold_runs = args.cold_runs
        row("score (cold)", "pandas-cold", [CLI, "score"], env=cold, runs=cold_runs, warmup=0)
        row("posterior QUESTION (cold)", "pymc-cold", [CLI, "posterior", "ceasefire-current-lines"], env=cold,
            runs=cold_runs, warmup=0)  # fmt: skip
        row("posterior ordered (cold)", "pymc-cold", [CLI, "posterior", "talks-start"],
            env=lambda: cold_env(opened, scratch), runs=cold_runs, warmup=0)  # fmt: skip
        row("posterior categorical (cold)", "pymc-cold", [CLI, "posterior", "bench-routes"], env=cold,
            runs=cold_runs, warmup=0)  # fmt: skip

        def cold_unfitted() -> dict[str, str]:
            """A cold run on a database with no stored scenario fit, so the fit (and its compile) really runs."""
            copy = Path(tempfile.mkdtemp(prefix="db-", dir=scratch)) / "team.db"
            shutil.copy(scratch / "team-fresh.db", copy)
            return cold_env(team, scratch) | {"FORECASTS_DB": str(copy)}

        row("scenarios (cold)", "pymc-cold", [CLI, "scenarios"], env=cold_unfitted, runs=cold_runs, warmup=0)
        row("skill (cold)", "pymc-cold", [CLI, "skill"], env=cold, runs=cold_runs, warmup=0)
        if not only or any(o.startswith("main job") for o in only):
            times, floors = [], []
            for i in range(cold_runs):
                fresh = scratch / f"main-{i}"
                fresh.mkdir()
                shutil.copytree(ROOT / "questions", fresh / "questions")
                env = cold_env(base, scratch)
                start = time.perf_counter()
                printed = []
                for cmd in main_job_steps():
                    run(cmd, fresh, env)
                    printed.append(OUTPUT[0])
                times.append(time.perf_counter() - start)
                print("".join(f"    | {line}\n" for line in "".join(printed).splitlines()), end="")
                report_warnings("".join(printed), always=True)
                floors.append(run(FLOORS["pymc"], fresh, team))
            t, f = statistics.median(times), statistics.median(floors)
            results.append(("main job (cold)", "pymc-cold", t, f, t / f))
            print(f"  {'main job (cold)':<34} {t:7.2f} s  floor {f:5.2f} s  {t / f:5.1f}x", flush=True)

    names = {"typer": "import typer, sqlite3", "pandas": "import typer, sqlite3, pandas", "pymc": "import pymc"}
    print("\n| command | seconds (median) | floor | floor seconds | ratio | goal |")
    print("|---|---:|---|---:|---:|---:|")
    for name, floor, t, f, ratio in results:
        label = names[floor.removesuffix("-cold")]
        print(f"| `{name}` | {t:.2f} | `{label}` | {f:.2f} | {ratio:.1f}x | {GOALS[floor]} |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
