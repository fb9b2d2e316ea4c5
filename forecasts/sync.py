"""`forecasts sync`: validate the question, scenario and dependency files under a folder, then record them in one
transaction (questions upserted with their versions, scenario files versioned). Its own module: above the question
and scenario parsers it combines, so neither of those imports the other."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.questions import Question, _from_row, _row, load_questions
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import from_iso, now_utc, to_iso
from forecasts.validation import check_row

FROZEN_ONCE_REFERENCED = ("type", "outcomes", "bin_ends", "numeric")
FROZEN_ONCE_RESOLVED = ("opens_at", "closes_at")


def _shown(q: Question, fld: str) -> str:
    """A field's value as the file would write it, for `(was X)` in a refusal."""
    value = getattr(q, fld)
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, tuple):
        return json.dumps([to_iso(v) if isinstance(v, datetime) else v for v in value])
    return str(value)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _refused_edits(db: Database, questions: list[Question], stored: dict[str, Question]) -> list[str]:
    """Edits that would break rows already referring to a question, as `file: field: problem` lines.

    Changing type/outcomes/bin_ends orphans the outcome names of forecasts, evidence links and resolutions;
    changing opens_at/closes_at of a resolved question silently rescores it; moving them past existing
    forecasts leaves forecasts outside the question's lifetime.
    """
    refs: dict[str, list[str]] = {}
    for table, label in (("forecasts", "forecasts"), ("evidence_links", "evidence"), ("resolutions", "resolutions")):
        for (qid,) in db.conn.execute(f"SELECT DISTINCT question_id FROM {table}"):
            refs.setdefault(qid, []).append(label)
    latest: dict[str, str] = {}
    for qid, action in db.conn.execute("SELECT question_id, action FROM resolutions ORDER BY id"):
        latest[qid] = action
    span = {
        qid: (first, last)
        for qid, first, last in db.conn.execute(
            "SELECT question_id, MIN(made_at), MAX(made_at) FROM forecasts GROUP BY question_id"
        )
    }
    problems: list[str] = []
    for q in questions:
        old = stored.get(q.id)
        if old is None:
            continue
        changed = [f for f in FROZEN_ONCE_REFERENCED + FROZEN_ONCE_RESOLVED if getattr(q, f) != getattr(old, f)]
        for fld in changed:
            if fld in FROZEN_ONCE_REFERENCED and q.id in refs:
                by = _and(refs[q.id])
            elif fld in FROZEN_ONCE_RESOLVED and latest.get(q.id) == "resolve":
                by = "resolutions"
            else:
                continue
            problems.append(
                f"{q.source_file}: {fld}: cannot change once {by} refer to the question (was {_shown(old, fld)})"
            )
        if q.id in span and latest.get(q.id) != "resolve":
            first, last = (from_iso(t) for t in span[q.id])
            if "opens_at" in changed and q.opens_at > first:
                problems.append(
                    f"{q.source_file}: opens_at: must stay on or before the first forecast ({to_iso(first)}) "
                    f"(was {_shown(old, 'opens_at')})"
                )
            if "closes_at" in changed and q.closes_at <= last:
                problems.append(
                    f"{q.source_file}: closes_at: must stay after the latest forecast ({to_iso(last)}) "
                    f"(was {_shown(old, 'closes_at')})"
                )
    return problems


def sync(db: Database, root: Path) -> dict[str, list[str]]:
    """Validate every file under root, then upsert all questions and record new versions of the scenario files
    (forecasts.scenario_versions) in one transaction.

    Nothing is written if any file is malformed or makes an edit that existing rows forbid (see `_refused_edits`).
    """
    from forecasts.scenario_files import load_dependencies, load_scenarios
    from forecasts.scenario_versions import file_texts, record_scenario_files
    from forecasts.versions import material_edits, record_version

    questions = load_questions(root)
    texts = file_texts(root)  # scenario and dependency files are synced too: malformed ones refuse the sync
    load_scenarios(root, questions, texts)
    load_dependencies(root, questions, texts)
    report: dict[str, Any] = {"added": [], "updated": [], "unchanged": [], "not_in_files": []}
    stamp = to_iso(now_utc())
    updates: dict[str, list[str]] = {}
    with write_transaction(db):
        # Read under the write lock: a forecast recorded meanwhile must not slip past the check.
        stored_rows = {r["id"]: r for r in db.query("SELECT * FROM questions")}
        stored = {qid: _from_row(r) for qid, r in stored_rows.items()}
        problems = _refused_edits(db, questions, stored)
        if problems:
            raise ForecastsError("\n".join(problems))
        rows = {}
        for q in questions:
            try:
                rows[q.id] = _row(q, stamp)
                check_row("questions", rows[q.id])
            except ForecastsError as exc:
                raise ForecastsError(f"{q.source_file}: {exc}") from None
        for q in questions:
            if q.id not in stored:
                report["added"].append(q.id)
            elif stored[q.id].content_hash != q.content_hash:
                report["updated"].append(q.id)
            else:
                report["unchanged"].append(q.id)
                continue
            row = rows[q.id]
            db["questions"].upsert(row, pk="id")
            updates[q.id] = record_version(db, row, stored_rows.get(q.id))["changed"]
        report["edited_after_forecasts"] = material_edits(db, {k: v for k, v in updates.items() if v})
        report["scenario_files"] = record_scenario_files(db, root, stamp, texts)
    report["not_in_files"] = sorted(set(stored) - {q.id for q in questions})
    return report
