"""Questions in bulk: import them from a CSV or JSONL file (one question a row) and export them back.

Columns (docs/imports.md): id or external_id (at least one), source, title, type (binary default), outcomes,
opens_at, closes_at, resolves_by (default closes_at), resolution_criteria, description, fine_print, tags,
deadline_question, bin_ends, prior. Each row is validated by the same rules as a question file
(questions.parse_question); a row without a prior is marked "no prior" and the model does not forecast it.
All rows are checked before anything is written, then written in one transaction; a row identical to a stored
question is skipped (re-importing is harmless), a different one with the same id is an error. Export writes the
same columns, so export → import into a fresh database → export gives the same file.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.external import IdMap
from forecasts.questions import NO_PRIOR, Question, _from_row, _row, all_questions, parse_question
from forecasts.safejson import loads
from forecasts.store.db import Database, write_transaction
from forecasts.timeutil import now_utc, to_iso
from forecasts.validation import check_row
from forecasts.versions import record_first_versions

QUESTION_COLUMNS = (
    "id", "external_id", "source", "title", "type", "outcomes", "opens_at", "closes_at", "resolves_by",
    "resolution_criteria", "description", "fine_print", "tags", "deadline_question", "bin_ends", "prior",
    "range_min", "range_max", "open_lower_bound", "open_upper_bound", "scale", "zero_point", "unit",
)  # fmt: skip
JSON_COLUMNS = ("outcomes", "tags", "bin_ends", "prior")  # JSON text in CSV cells; JSON values in JSONL
COMPARED = ("title", "type", "outcomes", "description", "resolution_criteria", "fine_print", "tags", "opens_at",
            "closes_at", "resolves_by", "deadline_question", "prior", "bin_ends", "external_id", "source",
            "numeric")  # fmt: skip


def is_questions_file(columns: list[str]) -> bool:
    """A file is a questions file when it has a title column (forecast and resolution files have none)."""
    return "title" in columns


def _cell(rec: dict[str, Any], col: str, where: str) -> Any:
    """One field of a row: JSON columns decoded from CSV text, empty cells as absent."""
    value = rec.get(col)
    if value is None or value == "":
        return None
    if col in JSON_COLUMNS and isinstance(value, str):
        if col == "tags" and not value.lstrip().startswith("["):
            return [t.strip(" ") for t in value.split(",") if t.strip(" ")]  # `a, b` as well as ["a", "b"]
        return loads(value, f"{where}: {col}")
    if col in ("deadline_question", "open_lower_bound", "open_upper_bound") and isinstance(value, str):
        flag = value.strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            raise ForecastsError(f"{where}: {col}: {value!r} must be true or false")
        return flag in ("true", "1", "yes")
    if col in ("range_min", "range_max", "zero_point") and isinstance(value, str):
        try:  # a number in a CSV cell (a date question's range stays text: an ISO date)
            return float(value)
        except ValueError:
            return value
    return value


def parse_rows(path: Path, records: list[tuple[int, dict[str, Any]]], ids: IdMap) -> list[tuple[str, Question]]:
    """Every row as a validated Question (id assigned from external_id when absent), or the first problem."""
    out: list[tuple[str, Question]] = []
    seen: dict[str, int] = {}
    for n, rec in records:
        where = f"{path}:{n}"
        data = {c: v for c in QUESTION_COLUMNS if (v := _cell(rec, c, where)) is not None}
        for col in ("id", "external_id", "source"):
            if col in data and not isinstance(data[col], str):
                data[col] = str(data[col]) if isinstance(data[col], int) and not isinstance(data[col], bool) else ""
        if "resolves_by" not in data and "closes_at" in data:
            data["resolves_by"] = data["closes_at"]
        if "prior" not in data:
            data["prior"] = {"kind": NO_PRIOR}
        qid = data.get("id")
        if qid is None:
            if not data.get("external_id"):
                raise ForecastsError(f"{where}: id: give id (a slug) or external_id (any text) for each question")
            qid = ids.assign(data.get("source", ""), data["external_id"])
        data["id"] = qid
        try:
            q = parse_question(data, where)
        except ForecastsError as exc:
            raise ForecastsError(str(exc).split("\n")[0]) from None  # the first problem, on one line
        if q.id in seen:
            raise ForecastsError(f"{where}: id: {q.id!r} is also on line {seen[q.id]}")
        seen[q.id] = n
        out.append((where, q))  # source_file: "FILE:LINE" it was imported from
    return out


def import_questions(
    db: Database, path: Path, columns: list[str], records: list[tuple[int, dict[str, Any]]]
) -> dict[str, Any]:
    """Validate every row, then insert the new questions in one transaction; identical ones are skipped."""
    for col in columns:
        if col not in QUESTION_COLUMNS:
            allowed = ", ".join(QUESTION_COLUMNS)
            raise ForecastsError(f"{path}:1: {col}: unknown column for a questions file; allowed: {allowed}")
    stamp = to_iso(now_utc())
    with write_transaction(db):
        ids = IdMap(db, "questions")
        rows = parse_rows(path, records, ids)
        wanted = json.dumps([q.id for _, q in rows])
        sql = "SELECT * FROM questions WHERE id IN (SELECT value FROM json_each(?))"
        stored = {r["id"]: _from_row(r) for r in db.query(sql, [wanted])}
        new = []
        for where, q in rows:
            old = stored.get(q.id)
            if old is None:
                row = _row(q, stamp)
                try:  # the record type's one validation (forecasts.validation), as on every write path
                    check_row("questions", row)
                except ForecastsError as exc:
                    raise ForecastsError(f"{where}: {exc}") from None
                new.append(row)
                continue
            mine, theirs = _row(q, stamp), _row(old, stamp)
            differ = [c for c in COMPARED if mine[c] != theirs[c]]
            if differ:
                was = str(theirs[differ[0]])[:80]
                raise ForecastsError(
                    f"{where}: {differ[0]}: question {q.id!r} already exists with {was!r}; an import adds questions, "
                    "it does not change them"
                )
        if new:
            cols = list(new[0])
            names = ", ".join(f'"{c}"' for c in cols)
            db.conn.executemany(
                f"INSERT INTO questions ({names}) VALUES ({', '.join('?' for _ in cols)})",
                [tuple(r[c] for c in cols) for r in new],
            )
            record_first_versions(db, new)  # known from now on, as a synced question is (forecasts.versions)
    return {"kind": "questions", "file": str(path), "imported": len(new), "skipped_existing": len(rows) - len(new)}


def prior_input(prior: dict[str, Any], qtype: str = "binary") -> dict[str, Any] | None:
    """The [prior] table that reproduces a stored prior (None for a question without one)."""
    kind = prior.get("kind")
    keep = {k: prior[k] for k in ("reference", "reasoning") if prior.get(k)}
    if kind == NO_PRIOR:
        return None
    if kind in ("normal", "lognormal", "uniform"):  # numeric/date: dates stay Unix seconds, sd back to days
        out = {k: v for k, v in prior.items() if k not in ("kind", "reference", "reasoning")}
        if qtype == "date" and "sd" in out:
            out["sd"] = out["sd"] / 86400.0
        return {"distribution": kind, **out, **keep}
    if kind == "point":
        return {"probability": prior["probability"], **keep}
    if kind == "dirichlet":
        return {"alpha": prior["alpha"], **keep}
    shape = {"hazard_shape": prior["hazard_shape"]} if "hazard_shape" in prior else {}
    if "trials" in prior:
        return {"successes": prior["successes"], "trials": prior["trials"], **keep, **shape}
    return {"a": prior["a"], "b": prior["b"], **keep, **shape}


def question_record(q: Question) -> dict[str, Any]:
    """One question as a row of the bulk format (JSON values; CSV writes them as JSON text)."""
    d = q.to_dict()
    return {
        "id": q.id, "external_id": q.external_id, "source": q.source, "title": q.title, "type": q.type,
        "outcomes": None if q.is_binary else list(q.outcomes), "opens_at": d["opens_at"], "closes_at": d["closes_at"],
        "resolves_by": d["resolves_by"], "resolution_criteria": q.resolution_criteria,
        "description": q.description, "fine_print": q.fine_print, "tags": list(q.tags),
        "deadline_question": q.deadline_question, "bin_ends": d["bin_ends"] or None,
        "prior": prior_input(q.prior, q.type), **_numeric_fields(q),
    }  # fmt: skip


def _numeric_fields(q: Question) -> dict[str, Any]:
    """A numeric or date question's range, bounds, axis and unit as a file gives them (dates as ISO text)."""
    if not q.is_numeric:
        return {}
    spec = q.numeric
    show = (lambda x: to_iso(datetime.fromtimestamp(x, UTC))) if q.type == "date" else (lambda x: x)
    return {"outcomes": None, "range_min": show(spec["range_min"]), "range_max": show(spec["range_max"]),
            "open_lower_bound": spec["open_lower_bound"], "open_upper_bound": spec["open_upper_bound"],
            "scale": spec["scale"], "zero_point": spec["zero_point"], "unit": spec["unit"] or None}  # fmt: skip


def export_questions(db: Database, dest: str | Path) -> dict[str, Any]:
    """Write every question to a new .csv or .jsonl file in the bulk import format, ordered by id."""
    path = Path(dest)
    if path.suffix.lower() not in (".csv", ".jsonl"):
        raise ForecastsError(f"out: {path.name}: must end in .csv or .jsonl")
    if path.exists():
        raise ForecastsError(f"out: {path} already exists")
    rows = [question_record(q) for q in all_questions(db)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        if path.suffix.lower() == ".jsonl":
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(QUESTION_COLUMNS)
            for r in rows:
                writer.writerow([_csv_text(c, r.get(c)) for c in QUESTION_COLUMNS])
    return {"file": str(path), "questions": len(rows)}


def _csv_text(col: str, value: Any) -> str:
    if value is None:
        return ""
    if col in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
