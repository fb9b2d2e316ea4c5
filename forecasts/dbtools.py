"""Database health: `check` (SQLite integrity plus domain rules) and `backup` (SQLite online backup API).

Problems are errors (data that must not exist: broken pages, dangling references, probabilities out of
range, forecasts after a question closed) or warnings (legitimate but worth knowing, e.g. a forecast
made after the resolution's known_at, which scoring must ignore).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from forecasts.db import APPEND_ONLY_TABLES
from forecasts.errors import ForecastsError

MAX_LISTED = 200  # problems listed per check; the count is always exact
SUM_TOLERANCE = 1e-6
TIMESTAMP_GLOB = "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z"
TIMESTAMP_COLUMNS = {
    "questions": ("opens_at", "closes_at", "resolves_by", "synced_at"),
    "forecasters": ("created_at",),
    "evidence": ("observed_at", "recorded_at"),
    "evidence_retractions": ("recorded_at",),
    "forecasts": ("made_at", "recorded_at"),
    "resolutions": ("known_at", "recorded_at"),
}


class _Report:
    """Collects problems per check, keeping exact counts but listing at most MAX_LISTED of each."""

    def __init__(self) -> None:
        self.problems: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}

    def add(self, severity: str, check: str, table: str, row_id: Any, problem: str) -> None:
        self.counts[check] = self.counts.get(check, 0) + 1
        if self.counts[check] <= MAX_LISTED:
            self.problems.append(
                {"severity": severity, "check": check, "table": table, "id": row_id, "problem": problem}
            )


def check_database(db: sqlite_utils.Database, integrity: bool = True) -> dict[str, Any]:
    """Run PRAGMA integrity_check and foreign_key_check plus the domain rules; return every problem found."""
    rep = _Report()
    if integrity:
        for (msg,) in db.conn.execute("PRAGMA integrity_check"):
            if msg != "ok":
                rep.add("error", "integrity", "", None, msg)
    for table, rowid, parent, _fk in db.conn.execute("PRAGMA foreign_key_check"):
        rep.add("error", "foreign_key", table, rowid, f"references a missing row of {parent}")
    _check_triggers(db, rep)
    _check_timestamps(db, rep)
    questions = {
        r[0]: {"type": r[1], "outcomes": json.loads(r[2]), "opens_at": r[3], "closes_at": r[4]}
        for r in db.conn.execute("SELECT id, type, outcomes, opens_at, closes_at FROM questions")
    }
    resolved = _check_resolutions(db, questions, rep)
    _check_forecasts(db, questions, resolved, rep)
    _check_links(db, questions, rep)
    errors = [p for p in rep.problems if p["severity"] == "error"]
    warnings = [p for p in rep.problems if p["severity"] == "warning"]
    counts = {t: db.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables(db)}
    return {
        "ok": not errors,
        "errors": errors,
        "warnings": warnings,
        "problem_counts": rep.counts,
        "rows": counts,
    }


def _tables(db: sqlite_utils.Database) -> list[str]:
    return [t for t in db.table_names() if not t.startswith(("sqlite_", "_"))]


def _check_triggers(db: sqlite_utils.Database, rep: _Report) -> None:
    triggers = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    ledgers = set(APPEND_ONLY_TABLES) | {
        name.rsplit("_no_", 1)[0] for name in triggers if name.endswith(("_no_update", "_no_delete"))
    }
    for table in sorted(ledgers):
        for op in ("update", "delete", "replace"):
            if f"{table}_no_{op}" not in triggers:
                rep.add("error", "append_only", table, None, f"trigger {table}_no_{op} is missing: rows can be altered")


def _check_timestamps(db: sqlite_utils.Database, rep: _Report) -> None:
    for table, cols in TIMESTAMP_COLUMNS.items():
        for col in cols:
            sql = f'SELECT rowid, "{col}" FROM "{table}" WHERE "{col}" IS NOT NULL AND "{col}" NOT GLOB ?'
            for rowid, value in db.conn.execute(sql, [TIMESTAMP_GLOB]):
                rep.add("error", "timestamp", table, rowid, f"{col}: {value!r} is not a UTC timestamp")


def _check_resolutions(db: sqlite_utils.Database, questions: dict, rep: _Report) -> dict[str, dict]:
    """Resolve/unresolve must alternate per question with allowed outcomes; returns the standing ones."""
    standing: dict[str, dict] = {}
    sql = "SELECT id, question_id, action, outcome, known_at, value FROM resolutions ORDER BY id"
    for rid, qid, action, outcome, known_at, value in db.conn.execute(sql):
        q = questions.get(qid)
        if q is None:
            rep.add("error", "unknown_question", "resolutions", rid, f"question_id: {qid!r} does not exist")
            continue
        if action == "resolve":
            if qid in standing:
                rep.add("error", "resolution_sequence", "resolutions", rid, f"{qid!r} resolved twice without unresolve")
            allowed = set(q["outcomes"]) | {"ambiguous", "annulled"}
            if value is not None and q["type"] == "binary" and outcome == repr(float(value)):
                allowed.add(outcome)  # resolved to a probability: the outcome text is the value
            if outcome not in allowed:
                rep.add("error", "unknown_outcome", "resolutions", rid, f"outcome: {outcome!r} not allowed for {qid!r}")
            if known_at is None:
                rep.add("error", "resolution_sequence", "resolutions", rid, "known_at: missing on a resolution")
            standing[qid] = {"id": rid, "outcome": outcome, "known_at": known_at}
        else:
            if qid not in standing:
                rep.add("error", "resolution_sequence", "resolutions", rid, f"{qid!r} unresolved while not resolved")
            standing.pop(qid, None)
    return standing


def _check_forecasts(db: sqlite_utils.Database, questions: dict, resolved: dict, rep: _Report) -> None:
    sql = "SELECT id, question_id, made_at, probability, probabilities FROM forecasts ORDER BY id"
    for fid, qid, made_at, p, ps in db.conn.execute(sql):
        q = questions.get(qid)
        if q is None:
            rep.add("error", "unknown_question", "forecasts", fid, f"question_id: {qid!r} does not exist")
            continue
        if q["type"] == "binary":
            if ps is not None or p is None or not (isinstance(p, float | int) and math.isfinite(p) and 0 <= p <= 1):
                rep.add("error", "probability", "forecasts", fid, f"probability: {p!r} is not in [0, 1]")
        else:
            problem = _categorical_problem(p, ps, q["outcomes"])
            if problem:
                rep.add("error", "probability", "forecasts", fid, problem)
        if made_at is not None and made_at >= q["closes_at"]:
            rep.add("error", "after_close", "forecasts", fid, f"made_at: {made_at} is after {qid!r} closed")
        if made_at is not None and made_at < q["opens_at"]:
            rep.add("error", "before_open", "forecasts", fid, f"made_at: {made_at} is before {qid!r} opened")
        res = resolved.get(qid)
        if res and res["known_at"] and made_at is not None and made_at >= res["known_at"]:
            rep.add(
                "warning",
                "after_resolution",
                "forecasts",
                fid,
                f"made_at: {made_at} is after {qid!r} was known ({res['known_at']}); it must not be scored",
            )


def _categorical_problem(p: Any, ps: str | None, outcomes: list[str]) -> str | None:
    if p is not None or ps is None:
        return "probabilities: a categorical forecast needs one probability per outcome"
    try:
        probs = json.loads(ps)
    except (TypeError, ValueError):
        return "probabilities: not valid JSON"
    if not isinstance(probs, dict) or set(probs) != set(outcomes):
        return f"probabilities: outcomes must be exactly {', '.join(outcomes)}"
    values = list(probs.values())
    if not all(isinstance(v, float | int) and math.isfinite(v) and 0 <= v <= 1 for v in values):
        return "probabilities: every probability must be in [0, 1]"
    if abs(sum(values) - 1.0) > SUM_TOLERANCE:
        return f"probabilities: sum to {sum(values):.6g}, not 1"
    return None


def _check_links(db: sqlite_utils.Database, questions: dict, rep: _Report) -> None:
    sql = "SELECT id, question_id, outcome, log_lr FROM evidence_links ORDER BY id"
    for lid, qid, outcome, log_lr in db.conn.execute(sql):
        q = questions.get(qid)
        if q is None:
            rep.add("error", "unknown_question", "evidence_links", lid, f"question_id: {qid!r} does not exist")
            continue
        if q["type"] == "binary" and outcome is not None:
            rep.add("error", "unknown_outcome", "evidence_links", lid, f"outcome: {outcome!r} on binary {qid!r}")
        if q["type"] != "binary" and outcome not in q["outcomes"]:
            problem = f"outcome: {outcome!r} not an outcome of {qid!r}"
            rep.add("error", "unknown_outcome", "evidence_links", lid, problem)
        if not (isinstance(log_lr, float | int) and math.isfinite(log_lr)):
            rep.add("error", "log_lr", "evidence_links", lid, f"log_lr: {log_lr!r} is not a finite number")


def backup_database(db: sqlite_utils.Database, dest: str | Path) -> dict[str, Any]:
    """Copy the live database to a new file with SQLite's online backup API; never overwrite a file."""
    dest = Path(dest)
    if dest.exists():
        raise ForecastsError(f"file: {dest} already exists; choose a new backup file name")
    if not dest.parent.is_dir():
        raise ForecastsError(f"file: directory {dest.parent} does not exist")
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(str(partial))
        target.execute("PRAGMA user_version")  # opens the file now: an unwritable folder fails here, by name
    except sqlite3.OperationalError as exc:
        raise ForecastsError(f"file: cannot write {dest}: {exc}") from None
    try:
        db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        ok = target.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {
            t: target.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for (t,) in target.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if not t.startswith(("sqlite_", "_"))
        }
    finally:
        target.close()
    if not ok:
        partial.unlink(missing_ok=True)
        raise ForecastsError(f"file: the backup copy at {partial} failed its integrity check; nothing was written")
    try:
        os.link(partial, dest)  # atomic and refuses to replace a file created meanwhile
    except FileExistsError:
        raise ForecastsError(f"file: {dest} already exists; choose a new backup file name") from None
    except OSError:  # no hard links on this file system: a rename after the check above
        if dest.exists():
            raise ForecastsError(f"file: {dest} already exists; choose a new backup file name") from None
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return {"path": str(dest), "bytes": dest.stat().st_size, "rows": tables}
