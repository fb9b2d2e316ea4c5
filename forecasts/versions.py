"""Question versions: every synced content of a question, append-only, so "as of" a time uses the version known then.

`sync` appends a version whenever a question is added or its file changes (content hash, synced_at, the fields
that changed). A question synced after a moment does not exist as of that moment; an edit to the criteria, fine
print or dates after forecasts were made is listed by `sync`, shown by `questions show` and in that week's report.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from forecasts.timeutil import to_iso

# Edits that change what a forecast was about: listed by sync when forecasts already exist.
MATERIAL = ("resolution_criteria", "fine_print", "opens_at", "closes_at", "resolves_by", "deadline_question",
            "bin_ends", "outcomes", "type")  # fmt: skip
NOT_CONTENT = ("synced_at", "content_hash")


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in NOT_CONTENT}


def record_version(db: Any, row: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Append a version of a question (inside sync's transaction); returns the fields changed since `previous`."""
    from forecasts.store.db import insert_row

    content = _content(row)
    old = _content(previous) if previous is not None else None
    changed = [] if old is None else sorted(k for k in set(content) | set(old) if old.get(k) != content.get(k))
    number = db.conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM question_versions WHERE question_id = ?", [row["id"]]
    ).fetchone()[0]
    insert_row(
        db,
        "question_versions",
        {
            "question_id": row["id"],
            "version": number,
            "content_hash": row["content_hash"],
            "synced_at": row["synced_at"],
            "content": json.dumps(content, sort_keys=True, ensure_ascii=False),
            "changed": json.dumps(changed),
        },
    )
    return {"version": number, "changed": changed}


def record_first_versions(db: Any, rows: list[dict[str, Any]]) -> None:
    """Version 1 of questions new to the database, in one statement (a bulk import of many thousand questions),
    so they are known from their sync as every synced question is."""
    from forecasts.forecasters import os_user

    db.conn.executemany(
        "INSERT INTO question_versions (question_id, version, content_hash, synced_at, content, changed, os_user) "
        "VALUES (?, 1, ?, ?, ?, '[]', ?)",
        [(r["id"], r["content_hash"], r["synced_at"], json.dumps(_content(r), sort_keys=True, ensure_ascii=False),
          os_user()) for r in rows],
    )  # fmt: skip


def rows_as_of(db: Any, known_by: datetime, question_id: str | None = None) -> list[dict[str, Any]]:
    """Question rows (as the questions table holds them) in the version known by `known_by`, ordered by id;
    questions first synced later are left out."""
    sql = """SELECT v.question_id, v.content, v.content_hash, v.synced_at FROM question_versions v
             WHERE v.id = (SELECT w.id FROM question_versions w WHERE w.question_id = v.question_id
                           AND w.synced_at <= :known ORDER BY w.version DESC LIMIT 1)"""
    params: dict[str, Any] = {"known": to_iso(known_by)}
    if question_id is not None:
        sql += " AND v.question_id = :qid"
        params["qid"] = question_id
    out = []
    for _qid, content, content_hash, synced_at in db.conn.execute(sql + " ORDER BY v.question_id", params):
        out.append(json.loads(content) | {"content_hash": content_hash, "synced_at": synced_at})
    return out


def history(db: Any, question_id: str, known_by: datetime | None = None) -> list[dict[str, Any]]:
    """Every version of one question: number, when synced, content hash, fields changed, by which OS account."""
    sql = """SELECT version, synced_at, content_hash, changed, os_user FROM question_versions
             WHERE question_id = ?"""
    params: list[Any] = [question_id]
    if known_by is not None:
        sql += " AND synced_at <= ?"
        params.append(to_iso(known_by))
    keys = ("version", "synced_at", "content_hash", "changed", "os_user")
    rows = [dict(zip(keys, r, strict=True)) for r in db.conn.execute(sql + " ORDER BY version", params)]
    for r in rows:
        r["changed"] = json.loads(r["changed"])
    return rows


def edits_between(db: Any, since: datetime, known_by: datetime) -> list[dict[str, Any]]:
    """Versions after a question's first synced in (since, known_by], with the fields they changed."""
    sql = """SELECT question_id, version, synced_at, changed FROM question_versions
             WHERE version > 1 AND synced_at > ? AND synced_at <= ? ORDER BY synced_at, id"""
    keys = ("question_id", "version", "synced_at", "changed")
    rows = [dict(zip(keys, r, strict=True)) for r in db.conn.execute(sql, [to_iso(since), to_iso(known_by)])]
    for r in rows:
        r["changed"] = json.loads(r["changed"])
    return rows


def material_edits(db: Any, updates: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of the questions just updated (id → fields changed), those with forecasts whose criteria, fine print, dates
    or outcomes changed: what `sync` must point out."""
    out = {}
    for qid, changed in sorted(updates.items()):
        material = [f for f in changed if f in MATERIAL]
        if material and db.conn.execute("SELECT 1 FROM forecasts WHERE question_id = ? LIMIT 1", [qid]).fetchone():
            out[qid] = material
    return out
