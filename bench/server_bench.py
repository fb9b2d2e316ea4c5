"""The team server under load: concurrent HTTP clients writing forecasts and evidence on loopback, and a remote
`forecasts forecast` against a local one, measured in the same run.

    .venv/bin/python bench/server_bench.py [--clients 50] [--writes 100] [--runs 5]

Starts `forecasts serve` as its own process over a fresh database (25 binary questions, two clients on each;
one account and token per client); every client alternates forecasts and evidence items on its question (one
HTTP request each, each a transaction).
Prints lost writes (sent and acknowledged but not in the database, or never acknowledged), 5xx replies, p50
and p99 latency, writes per second; then the median wall time of the installed `forecasts forecast` run
locally (--db) and remotely (FORECASTS_SERVER) and their ratio. Goals (issue 23): 0 lost, 0 5xx, at least
300 writes/s on 2 cores, p99 under 250 ms, remote at most 1.5x local.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
SCRIPT = Path(sys.executable).parent / "forecasts"
SHARED = 25  # binary questions the clients write on, two clients each: a question gathers 200 rows in the run


def setup(tmp: Path, clients: int) -> tuple[Path, list[str]]:
    from server_harness import question_files

    from forecasts import accounts
    from forecasts.store.db import connect
    from forecasts.sync import sync

    db_path = tmp / "db" / "forecasts.db"
    db = connect(db_path)
    folder = question_files(tmp / "questions")
    talks = (folder / "talks.toml").read_text(encoding="utf-8")
    for j in range(SHARED):
        (folder / f"bench-{j}.toml").write_text(talks.replace("Will talks start?", f"Bench question {j}?"))
    sync(db, folder)
    tokens = []
    for i in range(clients):
        accounts.add_user(db, f"user{i}")
        tokens.append(accounts.create_token(db, f"user{i}")["token"])
    db.close()
    return db_path, tokens


def start_server(db_path: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("FORECASTS_SERVER", "FORECASTS_TOKEN")}
    proc = subprocess.Popen([str(SCRIPT), "--db", str(db_path), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


def post(url: str, token: str, body: dict) -> tuple[int, float]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0  # no reply (timeout, reset)
    return status, time.perf_counter() - t0


def load(base: str, tokens: list[str], writes: int) -> dict:
    results: list[list[tuple[str, int, float]]] = [[] for _ in tokens]
    barrier = threading.Barrier(len(tokens))

    def client(i: int) -> None:
        barrier.wait()
        for k in range(writes):
            q = f"bench-{i % SHARED}"
            if k % 2 == 0:
                p = round(0.05 + 0.9 * ((i * 7 + k) % 100) / 100, 3)
                kind, body = "forecast", {"question": q, "probability": p, "rationale": f"client {i} write {k}"}
                status, dt = post(f"{base}/api/forecasts", tokens[i], body)
            else:
                kind, body = "evidence", {"questions": [q], "summary": f"client {i} item {k}", "lr": ["1.1"]}
                status, dt = post(f"{base}/api/evidence", tokens[i], body)
            results[i].append((kind, status, dt))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - t0
    flat = [r for rs in results for r in rs]
    return {"wall": wall, "results": flat, "unfinished": sum(t.is_alive() for t in threads)}


def median_run(args: list[str], env: dict, runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([str(SCRIPT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"forecasts {' '.join(args)} failed: {proc.stderr}")
    return statistics.median(times)


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU time from /proc (None off Linux): the server's cost per write, which the
    other processes sharing the cores do not change the way they change latency."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writes", type=int, default=100, help="per client (alternating forecasts and evidence)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each `forecasts forecast` timing")
    args = parser.parse_args()
    from server_harness import free_port

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        db_path, tokens = setup(tmp, args.clients + 1)
        port = free_port()
        server = start_server(db_path, port)
        base = f"http://127.0.0.1:{port}"
        try:
            cpu0, load_before = cpu_seconds(server.pid), os.getloadavg()[0]
            run = load(base, tokens[: args.clients], args.writes)
            cpu1, load_after = cpu_seconds(server.pid), os.getloadavg()[0]
            sent = args.clients * args.writes
            ok = [r for r in run["results"] if r[1] == 201]
            with sqlite3.connect(db_path) as conn:
                # the clients' own rows (an evidence item also records the model's new forecast, not counted)
                stored = conn.execute("SELECT count(*) FROM forecasts WHERE rationale LIKE 'client %'").fetchone()[0]
                stored += conn.execute("SELECT count(*) FROM evidence WHERE summary LIKE 'client %'").fetchone()[0]
            latencies = sorted(r[2] for r in run["results"])
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
            print(f"{args.clients} clients x {args.writes} writes on loopback ({sent} sent, wall {run['wall']:.1f} s)")
            print(
                f"  acknowledged {len(ok)}, stored {stored}, lost {sent - stored} (never acknowledged or not stored: "
                f"{sent - len(ok)} unacknowledged), 5xx {sum(500 <= r[1] < 600 for r in run['results'])}, "
                f"no reply {sum(r[1] == 0 for r in run['results'])}, clients unfinished {run['unfinished']}"
            )
            print(f"  latency p50 {p50:.0f} ms, p99 {p99:.0f} ms; {len(ok) / run['wall']:.0f} writes/s")
            per_write = f"{(cpu1 - cpu0) / sent * 1000:.2f} ms" if cpu0 is not None and cpu1 is not None else "n/a"
            print(f"  server CPU per write {per_write}; load average {load_before:.1f} before, {load_after:.1f} after")
            user = f"user{args.clients}"
            env = {k: v for k, v in os.environ.items() if k not in ("FORECASTS_SERVER", "FORECASTS_TOKEN")}
            local_t = median_run(["--db", str(db_path), "forecast", "talks", "0.3", "--by", user], env, args.runs, tmp)
            remote_env = env | {"FORECASTS_SERVER": base, "FORECASTS_TOKEN": tokens[args.clients]}
            remote_env.pop("FORECASTS_DB", None)
            remote_t = median_run(["forecast", "talks", "0.3"], remote_env, args.runs, tmp)
            print(
                f"  `forecasts forecast` median of {args.runs}: local {local_t * 1000:.0f} ms, remote "
                f"{remote_t * 1000:.0f} ms, ratio {remote_t / local_t:.2f} (goal at most 1.5)"
            )
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
