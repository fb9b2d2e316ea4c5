"""Eight processes logging evidence and forecasts into one database at once lose nothing and never lock out."""

from __future__ import annotations

import multiprocessing as mp
import textwrap
from pathlib import Path

from forecasts.store.db import connect
from forecasts.store.dbtools import backup_database
from forecasts.sync import sync

WORKERS = 8
PER_WORKER = 500
SPREAD = 5  # questions per worker: each item's before → after reads all links of its question, so fewer per question

QUESTION = textwrap.dedent(
    """
    title = "Will the concurrency test pass?"
    type = "binary"
    opens_at = 2024-01-01
    closes_at = 2099-01-01
    resolves_by = 2099-02-01
    resolution_criteria = "Yes if every row arrives."
    [prior]
    probability = 0.5
    note = "test"
    """
)


def _worker(db_path: str, worker: int, n: int) -> int:
    """Log n evidence items and n forecasts through the library, one transaction each."""
    from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence
    from forecasts.forecasting import submit_forecast
    from forecasts.timeutil import parse_datetime

    db = connect(db_path)
    when = parse_datetime("2025-01-01")
    for i in range(n):
        item = EvidenceItem(
            summary=f"worker {worker} item {i}",
            observed_at=when,
            links=[LinkSpec(question_id=f"conc-{worker}-{i % SPREAD}", log_lr=0.01)],
            recorded_by=f"w{worker}",
        )
        add_evidence(db, item)
        qid = f"conc-{worker}-{i % SPREAD}"
        submit_forecast(db, qid, 0.5 + (i % 40) / 100, f"w{worker}", rationale=f"{worker}/{i}")
    db.close()
    return worker


def test_eight_writers_lose_nothing(tmp_path: Path) -> None:
    qdir = tmp_path / "questions"
    qdir.mkdir()
    for w in range(WORKERS):  # own questions per worker keep the per-item before → after cheap; the lock is shared
        for k in range(SPREAD):
            (qdir / f"conc-{w}-{k}.toml").write_text(QUESTION, encoding="utf-8")
    db_path = tmp_path / "conc.db"
    db = connect(db_path)
    sync(db, qdir)
    db.close()

    ctx = mp.get_context("spawn")
    backups = []
    with ctx.Pool(WORKERS) as pool:
        pending = pool.starmap_async(_worker, [(str(db_path), w, PER_WORKER) for w in range(WORKERS)])
        live = connect(db_path)
        while not pending.ready() and len(backups) < 3:  # online backups while the writers run
            pending.wait(1.0)
            backups.append(backup_database(live, tmp_path / f"backup-{len(backups)}.db"))
        live.close()
        done = pending.get()
    assert sorted(done) == list(range(WORKERS))
    assert backups
    for b in backups:  # each copy is a consistent snapshot: every evidence item with its link
        copy = connect(b["path"], migrate=False)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n_evidence = copy.execute("SELECT count(*) FROM evidence").fetchone()[0]
        assert copy.execute("SELECT count(*) FROM evidence_links").fetchone()[0] == n_evidence
        copy.close()

    db = connect(db_path)
    total = WORKERS * PER_WORKER
    assert db.execute("SELECT count(*) FROM evidence").fetchone()[0] == total
    assert db.execute("SELECT count(*) FROM evidence_links").fetchone()[0] == total
    assert db.execute("SELECT count(DISTINCT summary) FROM evidence").fetchone()[0] == total
    people = "SELECT {} FROM forecasts JOIN forecasters f ON f.id = forecaster_id WHERE f.kind = 'person'"
    assert db.execute(people.format("count(*)")).fetchone()[0] == total
    assert db.execute(people.format("count(DISTINCT rationale)")).fetchone()[0] == total
    per_worker = dict(db.execute(people.format("forecaster_id, count(*)") + " GROUP BY forecaster_id").fetchall())
    assert per_worker == {f"w{w}": PER_WORKER for w in range(WORKERS)}
    # the model's forecast for each item is written in the item's own transaction: none or one per item
    model = db.execute("SELECT count(*) FROM forecasts WHERE forecaster_id = 'bayes'").fetchone()[0]
    assert model in (0, total)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
