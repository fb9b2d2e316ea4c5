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

from forecasts import validation
from forecasts.errors import ForecastsError
from forecasts.store.db import APPEND_ONLY_TABLES, GUARD_TRIGGERS, Database, apply_migrations
from forecasts.store.integrity import DamagedDatabase, db_file, is_corruption, mark_damaged, summary
from forecasts.timeutil import now_utc
from forecasts.validation import VALIDATORS, row_problems, stored_forecasts_valid

MAX_LISTED = 200  # problems listed per check; the count is always exact
SUM_TOLERANCE = 1e-6
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


def check_database(db: Database, integrity: bool = True, migrate: bool = False, values: bool = True) -> dict[str, Any]:
    """Run PRAGMA integrity_check first, then (if the file is sound) foreign_key_check, every stored value by the
    input rules (forecasts.validation) and the domain rules; return every problem found. A damaged file is one
    finding per problem SQLite names, never an exception; `migrate` brings a sound file's schema up to date first;
    `values=False` skips the per-row value rules (the restore has applied them to every row it brings)."""
    rep = _Report()
    if integrity and not _check_integrity(db, rep):
        return _result(db, rep)
    if migrate:
        apply_migrations(db)
    for table, rowid, parent, _fk in db.conn.execute("PRAGMA foreign_key_check"):
        rep.add("error", "foreign_key", table, rowid, f"references a missing row of {parent}")
    _check_triggers(db, rep)
    if values:
        _check_values(db, rep)
    numeric = "numeric" if _has_column(db, "questions", "numeric") else "'{}'"  # before m080: no numeric questions
    questions = {
        r[0]: {"type": r[1], "outcomes": _json_list(r[2]), "opens_at": r[3], "closes_at": r[4], "numeric": r[5]}
        for r in db.conn.execute(f"SELECT id, type, outcomes, opens_at, closes_at, {numeric} FROM questions")
    }
    resolved = _check_resolutions(db, questions, rep)
    _check_forecasts(db, questions, resolved, rep)
    _check_same_instant(db, rep)
    _check_name_case(db, rep)
    heads = _check_chain(db, rep)
    _check_links(db, questions, rep)
    return _result(db, rep, heads)


def check_file(path: str | Path | None) -> dict[str, Any]:
    """`db check` of the file at `path`: a file too damaged to open is a finding (exit 1), not an exception."""
    from forecasts.store.db import connect

    try:
        db = connect(path, migrate=False, create=False)
    except DamagedDatabase as exc:
        rep = _Report()
        rep.add("error", "integrity", "", None, str(exc))
        return {"ok": False, "errors": rep.problems, "warnings": [], "problem_counts": rep.counts, "rows": {}}
    return check_database(db, migrate=True)


def _check_integrity(db: Database, rep: _Report) -> bool:
    """SQLite's own integrity check; a failure (or SQLite refusing to read the file) marks the file damaged for
    this process, so no later write goes ahead."""
    try:
        problems = [msg for (msg,) in db.conn.execute("PRAGMA integrity_check") if msg != "ok"]
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        problems = [str(exc)]
    for msg in problems:
        rep.add("error", "integrity", "", None, f"{summary(msg)} (restore from a `forecasts db backup` copy)")
    if problems:
        mark_damaged(db_file(db.conn), f"integrity check: {summary(problems)}")
    return not problems


def _result(db: Database, rep: _Report, heads: dict[str, str] | None = None) -> dict[str, Any]:
    errors = [p for p in rep.problems if p["severity"] == "error"]
    warnings = [p for p in rep.problems if p["severity"] == "warning"]
    try:
        counts = {t: db.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables(db)}
    except sqlite3.DatabaseError as exc:  # a damaged file: the counts are what could be read
        if not is_corruption(exc):
            raise
        counts = {}
    return {
        "ok": not errors,
        "errors": errors,
        "warnings": warnings,
        "problem_counts": rep.counts,
        "rows": counts,
        "chain_heads": heads or {},
    }


def _json_list(text: Any) -> list:
    """A stored JSON list, or [] when it is not one (that row's own problem is reported by _check_values)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _tables(db: Database) -> list[str]:
    return [t for t in db.table_names() if not t.startswith(("sqlite_", "_"))]


def _check_triggers(db: Database, rep: _Report) -> None:
    triggers = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name, when in GUARD_TRIGGERS.items():
        if name not in triggers:
            table = when.rsplit(" ", 1)[1]
            rep.add("error", "append_only", table, None, f"trigger {name} is missing: rows can be deleted or renamed")
    ledgers = set(APPEND_ONLY_TABLES) | {
        name.rsplit("_no_", 1)[0] for name in triggers if name.endswith(("_no_update", "_no_delete"))
    }
    for table in sorted(ledgers):
        for op in ("update", "delete", "replace"):
            if f"{table}_no_{op}" not in triggers:
                rep.add("error", "append_only", table, None, f"trigger {table}_no_{op} is missing: rows can be altered")


CHECK_BATCH = 50_000  # stored rows read and checked at a time

# Checked with the domain rules below, which know the question a row refers to.
_COVERED_ELSEWHERE = {"forecasts": ("probability", "probabilities"), "evidence_links": ("log_lr",)}


def _check_values(db: Database, rep: _Report) -> None:
    """Every stored row of the record types, by the rules input passes (a made_at of 2025-13-01, an LR of e^1000,
    a prior that is not JSON, a NUL byte, a 1 MB text are errors however they got in)."""
    now = now_utc()
    names = set(_tables(db))
    for table in VALIDATORS:
        if table not in names:
            continue
        cur = db.conn.execute(f'SELECT rowid AS _rowid, * FROM "{table}" ORDER BY rowid')
        cols = [d[0] for d in cur.description]
        while batch := cur.fetchmany(CHECK_BATCH):
            columns = dict(zip(cols, zip(*batch, strict=True), strict=True)) if table == "forecasts" else {}
            if columns and stored_forecasts_valid(columns, now):
                continue  # every row valid, judged by column (a million forecasts: seconds, not a minute)
            for values in batch:
                row = dict(zip(cols, values, strict=True))
                rowid = row.pop("_rowid")
                for fld, problem in row_problems(table, row, now):
                    if fld in _COVERED_ELSEWHERE.get(table, ()):
                        continue
                    check = "timestamp" if fld in TIMESTAMP_COLUMNS.get(table, ()) else "value"
                    rep.add("error", check, table, row.get("id", rowid), problem)


def _check_resolutions(db: Database, questions: dict, rep: _Report) -> dict[str, dict]:
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
            if q["type"] in ("numeric", "date") and _numeric_outcome_ok(q, outcome):
                allowed.add(outcome)
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


def _has_column(db: Database, table: str, column: str) -> bool:
    return any(r[1] == column for r in db.conn.execute(f'PRAGMA table_info("{table}")'))


def _numeric_outcome_ok(q: dict, outcome: str) -> bool:
    """Whether a stored outcome is one the numeric or date question allows (forecasts.numeric.resolve)."""
    from forecasts.numeric.resolve import parse_numeric_outcome
    from forecasts.numeric.scale import Scale

    try:
        return parse_numeric_outcome(Scale.from_spec(json.loads(q["numeric"]), q["type"]), outcome) == outcome
    except (ForecastsError, ValueError, KeyError, TypeError):
        return False


def _numeric_problem(q: dict, p: Any, ps: Any, cdf: str | None) -> str | None:
    """A CDF forecast on a numeric or date question that breaks Metaculus's rules, as `field: problem`."""
    from forecasts.numeric.cdf import check_cdf
    from forecasts.numeric.scale import Scale

    if p is not None or ps is not None or cdf is None:
        return "cdf: a numeric forecast is a CDF (and no probability)"
    try:
        check_cdf(json.loads(cdf), Scale.from_spec(json.loads(q["numeric"]), q["type"]))
    except (ForecastsError, ValueError, TypeError) as exc:
        return str(exc)
    return None


def _check_forecasts(db: Database, questions: dict, resolved: dict, rep: _Report) -> None:
    cdf_col = "cdf" if _has_column(db, "forecasts", "cdf") else "NULL"
    sql = f"SELECT id, question_id, made_at, probability, probabilities, {cdf_col} FROM forecasts ORDER BY id"
    for fid, qid, made_at, p, ps, cdf in db.conn.execute(sql):
        q = questions.get(qid)
        if q is None:
            rep.add("error", "unknown_question", "forecasts", fid, f"question_id: {qid!r} does not exist")
            continue
        if q["type"] in ("numeric", "date"):
            problem = _numeric_problem(q, p, ps, cdf)
            if problem:
                rep.add("error", "probability", "forecasts", fid, problem)
        elif cdf is not None:
            rep.add("error", "probability", "forecasts", fid, f"cdf: a {q['type']} question takes no CDF")
        elif q["type"] == "binary":
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


def _check_chain(db: Database, rep: _Report) -> dict[str, str]:
    """The ledgers' hash chain: every row still matches the digest recorded when it was written."""
    from forecasts.store.ledger import verify_chain

    problems, heads = verify_chain(db)
    for table, row_id, problem in problems:
        rep.add("error", "hash_chain", table, row_id, problem)
    return heads


def _check_name_case(db: Database, rep: _Report) -> None:
    """Forecaster names that differ only in case (possible in a database from before names ignored case): one
    person counted twice by the crowd."""
    sql = """SELECT lower(id), group_concat(id, ', ') FROM (SELECT id FROM forecasters ORDER BY id)
             GROUP BY lower(id) HAVING count(*) > 1 ORDER BY lower(id)"""
    for _low, names in db.conn.execute(sql):
        rep.add("warning", "name_case", "forecasters", None, f"{names}: names that differ only in case")


def _check_same_instant(db: Database, rep: _Report) -> None:
    """Two forecasts of one forecaster on one question at one instant: an error for an aggregate (one method per
    forecaster), a warning for a person (the later row stands). The model records one row per evidence change, so
    several in one second are its normal history."""
    sql = """SELECT f.question_id, f.forecaster_id, f.made_at, count(*), max(f.id), coalesce(fr.kind, '')
             FROM forecasts f LEFT JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE coalesce(fr.kind, '') != 'model'
             GROUP BY f.question_id, f.forecaster_id, f.made_at HAVING count(*) > 1 ORDER BY max(f.id)"""
    for qid, who, made_at, n, last_id, kind in db.conn.execute(sql):
        severity = "error" if kind == "aggregate" else "warning"
        problem = f"{n} forecasts by {who!r} on {qid!r} at {made_at} (one instant, one forecast)"
        rep.add(severity, "same_instant", "forecasts", last_id, problem)


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


def _check_links(db: Database, questions: dict, rep: _Report) -> None:
    sql = "SELECT id, question_id, outcome, log_lr FROM evidence_links ORDER BY id"
    for lid, qid, outcome, log_lr in db.conn.execute(sql):
        q = questions.get(qid)
        if q is None:
            rep.add("error", "unknown_question", "evidence_links", lid, f"question_id: {qid!r} does not exist")
            continue
        if q["type"] == "binary" and outcome is not None:
            rep.add("error", "unknown_outcome", "evidence_links", lid, f"outcome: {outcome!r} on binary {qid!r}")
        if q["type"] in ("numeric", "date"):
            if outcome is not None:
                rep.add("error", "unknown_outcome", "evidence_links", lid, f"outcome: {outcome!r} on numeric {qid!r}")
        elif q["type"] != "binary" and outcome not in q["outcomes"]:
            problem = f"outcome: {outcome!r} not an outcome of {qid!r}"
            rep.add("error", "unknown_outcome", "evidence_links", lid, problem)
        try:
            validation.log_lr(log_lr)
        except ForecastsError as exc:
            rep.add("error", "log_lr", "evidence_links", lid, str(exc))


def backup_database(db: Database, dest: str | Path) -> dict[str, Any]:
    """Copy the live database to a new file with SQLite's online backup API (its folder made if missing); never
    overwrite a file."""
    dest = Path(dest)
    if dest.exists():
        raise ForecastsError(f"file: {dest} already exists; choose a new backup file name")
    try:  # a new backups/ folder is made, as `export --out` makes its folder
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise ForecastsError(f"file: cannot create the directory {dest.parent}") from None
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
