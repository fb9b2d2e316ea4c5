"""The evidence ledger: log items with likelihood ratios on one or more questions, retract, import.

Verbal grades map to likelihood ratios on a fixed scale (GRADES); source reliability is a number in
[0, 1] or a NATO Admiralty code (source A–F, information 1–6; e.g. "B2" = 0.8 × 0.8).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts import validation
from forecasts.bayes.record import record_evidence_forecasts
from forecasts.errors import ForecastsError
from forecasts.link_spec import LinkSpec
from forecasts.probabilities import active_links, probability_from_links
from forecasts.questions import Question, get_question
from forecasts.store.db import Database, insert_row, write_transaction
from forecasts.tabular import read_rows
from forecasts.timeutil import now_utc, parse_datetime, to_iso

# Likelihood ratio P(E|yes)/P(E|no) for each verbal grade ("... against" is the reciprocal).
GRADE_LR = {"neutral": 1.0, "weak": 1.5, "moderate": 3.0, "strong": 10.0, "very strong": 30.0}
GRADE_LOG_SD = 0.4  # a verbal grade is imprecise: sd of its ln LR
GRADES = {"neutral": 1.0} | {
    f"{name} {d}": (lr if d == "for" else 1.0 / lr)
    for name, lr in GRADE_LR.items()
    if name != "neutral"
    for d in ("for", "against")
}
SOURCE_GRADES = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
INFO_GRADES = {"1": 1.0, "2": 0.8, "3": 0.6, "4": 0.4, "5": 0.2, "6": 0.5}
LINK_FIELDS = ("question", "outcome", "lr", "grade", "lr_sd", "reasoning", "value", "sd")
ITEM_FIELDS = ("observed_at", "summary", "source", "url", "reliability", "recorded_by", "tags", "note")  # besides key
_SPEC = re.compile(r"\A(?:(?P<q>[a-z0-9][a-z0-9-]*)(?::(?P<o>[^=]+))?=)?(?P<v>.+)\Z")


@dataclass
class EvidenceItem:
    """A validated evidence item ready to be written."""

    summary: str
    observed_at: datetime
    links: list[LinkSpec]
    source: str = ""
    url: str = ""
    reliability: float = 1.0
    reliability_grade: str = ""
    recorded_by: str = ""
    tags: list[str] = field(default_factory=list)
    key: str | None = None
    note: str = ""  # the analyst's provenance note (which page says what, why this date)


def parse_reliability(value: str | float | None) -> tuple[float, str]:
    """A number in [0, 1] or an Admiralty code (A–F, optionally with 1–6) → (reliability, grade).

    None means not given (full weight); an empty text is refused (`--reliability=` is a slip, not a weight)."""
    if value is None:
        return 1.0, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().upper()
        m = re.fullmatch(r"([A-F])([1-6])?", text)
        if m:
            r = SOURCE_GRADES[m.group(1)] * (INFO_GRADES[m.group(2)] if m.group(2) else 1.0)
            return r, text
        try:
            number = float(text)
        except ValueError:
            number = math.nan
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise ForecastsError(
            f"reliability: {value!r} must be a number from 0 to 1 or an Admiralty grade A-F with optional 1-6 (e.g. B2)"
        )
    return number, ""


def parse_lr(value: str | float, fld: str = "lr") -> float:
    """A likelihood ratio: a finite number > 0 within the allowed range (not a bool) → its natural log."""
    return validation.lr(value, fld)


def parse_grade(value: str, fld: str = "grade") -> float:
    """A verbal grade → ln LR on the documented scale."""
    key = " ".join(str(value).lower().split())
    if key not in GRADES:
        raise ForecastsError(f"{fld}: {value!r} is not a grade; allowed: {', '.join(GRADES)}")
    return math.log(GRADES[key])


def item_links(
    question_ids: list[str], lrs: list[str], grades: list[str], lr_sd: float | None = None, reasoning: str = "",
    values: list[str] | None = None, sds: list[str] | None = None,
) -> list[LinkSpec]:
    """Every link of one item as typed (`evidence add` or the API): observations (`--value`/`--sd`) of numeric
    and date questions, then likelihood ratios (`--lr`/`--grade`) for the questions left."""
    observed, rest = [], question_ids
    if values or sds:
        from forecasts.numeric.observe import observation_specs

        observed, rest = observation_specs(question_ids, values or [], sds or [], reasoning)
    return observed + (parse_link_specs(rest, lrs, grades, lr_sd, reasoning) if rest else [])


def parse_link_specs(
    question_ids: list[str], lrs: list[str], grades: list[str], lr_sd: float | None = None, reasoning: str = ""
) -> list[LinkSpec]:
    """Turn CLI `--lr`/`--grade` values (`3`, `q=3`, `q:outcome=3`, `q=strong for`) into link specs."""
    if lr_sd is not None:
        validation.log_lr_sd(lr_sd, "lr-sd")
    if not question_ids:
        raise ForecastsError("questions: name at least one question id")
    specs: list[LinkSpec] = []
    general: list[tuple[float, float, str]] = []
    for kind, values in (("lr", lrs), ("grade", grades)):
        for raw in values:
            m = _SPEC.match(raw.strip())
            if not m:
                raise ForecastsError(f"{kind}: {raw!r}: use VALUE, QUESTION=VALUE or QUESTION:OUTCOME=VALUE")
            value = m.group("v").strip()
            if kind == "lr":
                log_lr, sd, grade = parse_lr(value), (lr_sd or 0.0), ""
            else:
                log_lr, sd, grade = parse_grade(value), (GRADE_LOG_SD if lr_sd is None else lr_sd), value
            if m.group("q") is None:
                general.append((log_lr, sd, grade))
                continue
            if m.group("q") not in question_ids:
                raise ForecastsError(f"{kind}: {raw!r} names {m.group('q')!r}, which is not among the questions given")
            specs.append(LinkSpec(m.group("q"), log_lr, m.group("o"), sd, grade, reasoning))
    if len(general) > 1:
        raise ForecastsError("lr: give one plain --lr/--grade for all questions, or QUESTION=VALUE for each")
    covered = {s.question_id for s in specs}
    for qid in question_ids:
        if qid not in covered:
            if not general:
                raise ForecastsError(
                    f"lr: no likelihood ratio for {qid!r}; give --lr {qid}=NUMBER or --grade {qid}=GRADE"
                )
            log_lr, sd, grade = general[0]
            specs.append(LinkSpec(qid, log_lr, None, sd, grade, reasoning))
    return specs


def _check_text(value: Any, fld: str, required: bool = False) -> str:
    return validation.text(value, fld, required)


def _check_tags(value: Any) -> list[str]:
    """Tags: a list of text (or one text with `;` between tags); each passes the text rules, blanks dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(";")  # `a; b`: the spaces around each tag are the separator's
    if not isinstance(value, list):
        raise ForecastsError(f'tags: {value!r} must be a list of text, e.g. ["kremlin", "terms"] (or text like a;b)')
    tags = [tag.strip(" ") if isinstance(tag, str) else tag for tag in value]  # spaces only: a newline is refused
    return [validation.tag(tag, f"tags[{i}]") for i, tag in enumerate(tags) if tag != ""]


def _check_url(url: str) -> str:
    return validation.url(url)


def _validate_links(db: Database, links: list[LinkSpec]) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    seen: set[tuple[str, str | None]] = set()
    for spec in links:
        q = questions.get(spec.question_id) or get_question(db, spec.question_id)
        questions[q.id] = q
        if q.is_numeric or spec.value is not None:
            from forecasts.numeric.observe import check_observation

            check_observation(q, spec)
            if (q.id, None) in seen:
                raise ForecastsError(f"value: {q.id} is given twice")
            seen.add((q.id, None))
            continue
        if q.is_binary and spec.outcome is not None:
            raise ForecastsError(f"lr: {q.id!r} is binary; give its ratio without an outcome")
        if not q.is_binary:
            if spec.outcome is None:
                raise ForecastsError(
                    f"lr: {q.id!r} is categorical; give one ratio per outcome as {q.id}:OUTCOME=NUMBER "
                    f"(outcomes: {', '.join(q.outcomes)})"
                )
            if spec.outcome not in q.outcomes:
                raise ForecastsError(
                    f"lr: {spec.outcome!r} is not an outcome of {q.id!r}; allowed: {', '.join(q.outcomes)}"
                )
        if (q.id, spec.outcome) in seen:
            raise ForecastsError(f"lr: {q.id}{':' + spec.outcome if spec.outcome else ''} is given twice")
        seen.add((q.id, spec.outcome))
        validation.log_lr(spec.log_lr, "lr")
        validation.log_lr_sd(spec.log_lr_sd, "lr_sd")
    return questions


def _write_item(db: Database, item: EvidenceItem, recorded_at: str) -> int:
    evidence_id = insert_row(
        db,
        "evidence",
        {
            "key": item.key,
            "observed_at": to_iso(item.observed_at),
            "recorded_at": recorded_at,
            "summary": item.summary,
            "source": item.source,
            "url": item.url,
            "reliability": item.reliability,
            "reliability_grade": item.reliability_grade,
            "recorded_by": item.recorded_by,
            "tags": json.dumps(item.tags),
            "note": item.note,
        },
    )
    for spec in item.links:
        insert_row(
            db,
            "evidence_links",
            {
                "evidence_id": evidence_id,
                "question_id": spec.question_id,
                "outcome": spec.outcome,
                "log_lr": spec.log_lr,
                "log_lr_sd": spec.log_lr_sd,
                "grade": spec.grade,
                "reasoning": spec.reasoning,
                **({"value": spec.value, "value_sd": spec.value_sd} if spec.value is not None else {}),
            },
        )
    return evidence_id


def validate_item(db: Database, item: EvidenceItem, now: datetime) -> EvidenceItem:
    """Check every field of an item; raise a one-line ForecastsError on the first problem."""
    item.summary = _check_text(item.summary, "summary", required=True)
    item.key = None if item.key is None else _check_text(item.key, "key", required=True)
    item.source = _check_text(item.source, "source")
    item.url = _check_url(item.url)
    item.recorded_by = _check_text(item.recorded_by, "recorded_by")
    item.note = _check_text(item.note, "note")
    item.tags = _check_tags(item.tags)
    item.links = [replace(spec, reasoning=_check_text(spec.reasoning, "reasoning")) for spec in item.links]
    if item.observed_at > now:
        raise ForecastsError(f"observed_at: {to_iso(item.observed_at)} is in the future")
    if not item.links:
        raise ForecastsError("links: an evidence item needs at least one question link")
    questions = _validate_links(db, item.links)
    for q in questions.values():
        if item.observed_at < q.opens_at:  # news from before a question opened belongs in its prior
            raise ForecastsError(
                f"observed_at: {to_iso(item.observed_at)} is before {q.id!r} opened at {to_iso(q.opens_at)}; "
                "evidence from before a question opens belongs in its prior"
            )
    if any(q.is_numeric for q in questions.values()):
        from forecasts.numeric.observe import stored_links

        item.links = stored_links(questions, item.links)
    return item


def add_evidence(db: Database, item: EvidenceItem) -> dict[str, Any]:
    """Log one evidence item; return its id and each linked question's before → after probability."""
    now = now_utc()
    validate_item(db, item, now)
    qids = sorted({s.question_id for s in item.links})
    with write_transaction(db):
        evidence_id = _write_item(db, item, to_iso(now))
        record_evidence_forecasts(db, {qid: [evidence_id] for qid in qids}, now, "added")
    return {"evidence_id": evidence_id, "changes": _changes(db, qids, evidence_id, now)}


def _changes(db: Database, qids: list[str], evidence_id: int, now: datetime) -> list[dict[str, Any]]:
    """Before (without the item) → after (with it) fast-path probabilities, now, for each question."""
    grouped = active_links(db, now, qids)
    out = []
    for qid in qids:
        q = get_question(db, qid)
        if q.is_numeric:
            from forecasts.numeric.record import change

            out.append(change(db, q, evidence_id, now))
            continue
        links = grouped.get(qid, [])
        after = probability_from_links(q, links, now)
        before = probability_from_links(q, [lk for lk in links if lk.evidence_id != evidence_id], now)
        out.append({"question": qid, "title": q.title, "before": before, "after": after})
    return out


def retract_evidence(db: Database, evidence_id: int, reason: str, recorded_by: str = "") -> dict[str, Any]:
    """Retract an item with a new row; the original stays in the ledger. Returns the probability changes."""
    if not validation.fits_rowid(evidence_id):  # 2^63 and up cannot be an id (nor be asked of SQLite)
        raise ForecastsError(f"evidence: unknown id {evidence_id}; see `forecasts evidence list`")
    row = db.conn.execute("SELECT id FROM evidence WHERE id = ?", [evidence_id]).fetchone()
    if row is None:
        raise ForecastsError(f"evidence: unknown id {evidence_id}; see `forecasts evidence list`")
    if db.conn.execute("SELECT 1 FROM evidence_retractions WHERE evidence_id = ?", [evidence_id]).fetchone():
        raise ForecastsError(f"evidence: item {evidence_id} is already retracted")
    reason = _check_text(reason, "reason", required=True)
    recorded_by = _check_text(recorded_by, "recorded_by")
    now = now_utc()
    qids = sorted(
        {r[0] for r in db.conn.execute("SELECT question_id FROM evidence_links WHERE evidence_id = ?", [evidence_id])}
    )
    rows_before = _changes(db, qids, evidence_id, now)
    before = {c["question"]: c["after"] for c in rows_before}
    numeric_before = {c["question"]: c["numeric_after"] for c in rows_before if "numeric_after" in c}
    with write_transaction(db):
        insert_row(
            db,
            "evidence_retractions",
            {"evidence_id": evidence_id, "recorded_at": to_iso(now), "reason": reason, "recorded_by": recorded_by},
        )
        record_evidence_forecasts(db, {qid: [evidence_id] for qid in qids}, now, "retracted")
    after_rows = {c["question"]: c for c in _changes(db, qids, evidence_id, now)}
    after = {qid: c["before"] for qid, c in after_rows.items()}
    changes = [{"question": q, "before": before[q], "after": after[q]} for q in qids]
    for ch in changes:  # numeric/date questions: the model's median (interval) without the item now
        if "numeric_before" in after_rows[ch["question"]]:
            ch["numeric_before"], ch["numeric_after"] = numeric_before[ch["question"]], after_rows[ch["question"]][
                "numeric_before"]  # fmt: skip
    return {"evidence_id": evidence_id, "changes": changes}


def list_evidence(db: Database, question_id: str | None = None, include_retracted: bool = True) -> list[dict[str, Any]]:
    """Evidence items (newest observation first) with their links and retraction state."""
    if question_id is not None:
        get_question(db, question_id)
    rows = list(db.query("SELECT * FROM evidence ORDER BY observed_at DESC, id DESC"))
    links: dict[int, list[dict]] = {}
    for lk in db.query("SELECT * FROM evidence_links ORDER BY id"):
        links.setdefault(lk["evidence_id"], []).append(
            {
                "question": lk["question_id"],
                "outcome": lk["outcome"],
                "lr": math.exp(lk["log_lr"]),
                "log_lr": lk["log_lr"],
                "log_lr_sd": lk["log_lr_sd"],
                "grade": lk["grade"],
                "reasoning": lk["reasoning"],
                **({"value": lk["value"], "sd": lk["value_sd"]} if lk.get("value") is not None else {}),
            }
        )
    retracted = {r["evidence_id"]: r for r in db.query("SELECT * FROM evidence_retractions")}
    out = []
    for row in rows:
        item_links = links.get(row["id"], [])
        if question_id and not any(lk["question"] == question_id for lk in item_links):
            continue
        if not include_retracted and row["id"] in retracted:
            continue
        r = retracted.get(row["id"])
        out.append(
            row
            | {
                "tags": json.loads(row["tags"]),
                "links": item_links,
                "retracted": r is not None,
                "retraction": None if r is None else {k: r[k] for k in ("recorded_at", "reason", "recorded_by")},
            }
        )
    return out


# --- bulk import ------------------------------------------------------------------------------


def _item_from_record(rec: dict[str, Any], where: str) -> EvidenceItem:
    try:
        raw_links = rec.get("links")
        if raw_links is None:  # flat row: one link
            raw_links = [{k: rec.get(k) for k in LINK_FIELDS}]
        if not isinstance(raw_links, list) or not raw_links:
            raise ForecastsError("links: must be a non-empty list")
        links = [_link_from_record(lk) for lk in raw_links]
        reliability, grade = parse_reliability(None if rec.get("reliability") == "" else rec.get("reliability"))
        tags = _check_tags(rec.get("tags"))
        if rec.get("observed_at") in (None, ""):
            raise ForecastsError("observed_at: is required")
        return EvidenceItem(
            summary=rec.get("summary") or "",
            observed_at=parse_datetime(rec["observed_at"], "observed_at"),
            links=links,
            source=rec.get("source") or "",
            url=rec.get("url") or "",
            reliability=reliability,
            reliability_grade=grade,
            recorded_by=rec.get("recorded_by") or "",
            tags=tags,
            key=(str(rec["key"]) if rec.get("key") not in (None, "") else None),
            note=rec.get("note") or "",
        )
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def _link_from_record(lk: dict[str, Any]) -> LinkSpec:
    if not isinstance(lk, dict) or not lk.get("question"):
        raise ForecastsError("question: each link needs a question id")
    has_lr, has_grade = lk.get("lr") not in (None, ""), lk.get("grade") not in (None, "")
    if lk.get("value") not in (None, ""):  # an observation of a numeric question's quantity
        from forecasts.numeric.observe import link_from_record

        return link_from_record(lk, LINK_FIELDS, _check_text(lk.get("reasoning"), "reasoning"))
    if has_lr == has_grade:
        raise ForecastsError(f"lr: link to {lk['question']!r} needs exactly one of lr or grade")
    unknown = [k for k in lk if k not in LINK_FIELDS]
    if unknown:
        raise ForecastsError(f"{unknown[0]}: unknown link field; allowed: {', '.join(LINK_FIELDS)}")
    sd_raw = lk.get("lr_sd")
    if sd_raw in (None, ""):
        sd = 0.0 if has_lr else GRADE_LOG_SD
    else:
        try:
            sd = math.nan if isinstance(sd_raw, bool) else float(sd_raw)
        except (TypeError, ValueError, OverflowError):
            sd = math.nan
        sd = validation.log_lr_sd(sd if math.isfinite(sd) else sd_raw, "lr_sd")
    log_lr = parse_lr(lk["lr"]) if has_lr else parse_grade(lk["grade"])
    return LinkSpec(
        question_id=str(lk["question"]),
        log_lr=log_lr,
        outcome=(lk.get("outcome") or None),
        log_lr_sd=sd,
        grade=("" if has_lr else str(lk["grade"])),
        reasoning=_check_text(lk.get("reasoning"), "reasoning"),
    )


def _item_cells(rec: dict[str, Any]) -> dict[str, Any]:
    """A CSV row's item-level cells, trimmed (tags as a list), for comparing rows that share a key."""
    cells: dict[str, Any] = {f: (rec.get(f) or "").strip() for f in ITEM_FIELDS}
    cells["tags"] = [t.strip() for t in cells["tags"].split(";") if t.strip()]
    return cells


def read_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Rows of a .jsonl or .csv file as (location, record).

    CSV rows sharing a key form one item with one link per row; they must repeat the same item-level
    values (summary, reliability, ...), else the later row is an error rather than silently ignored.
    """
    columns, rows = read_rows(path)
    allowed = ("key", "links", *ITEM_FIELDS, *LINK_FIELDS)
    header = [(1, dict.fromkeys(columns))] if path.suffix.lower() == ".csv" else []
    for n, rec in [*header, *rows]:  # a CSV header (line 1), then each JSONL object
        unknown = [k for k in rec if k not in allowed]
        if unknown:
            raise ForecastsError(f"{path}:{n}: {unknown[0]}: unknown column; allowed: {', '.join(allowed)}")
    if not rows:
        raise ForecastsError(f"{path}: rows: the file holds no evidence items")
    if path.suffix.lower() == ".jsonl":
        return [(f"{path}:{n}", rec) for n, rec in rows]
    grouped: dict[str, tuple[str, dict[str, Any]]] = {}
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, rec in rows:
        key = rec.get("key") or f"__row{n}"
        link = {k: rec.get(k) for k in LINK_FIELDS}
        cells = _item_cells(rec)
        if key not in grouped:
            grouped[key] = (f"{path}:{n}", {**rec, "links": []})
            first[key] = (n, cells)
        else:
            line, seen = first[key]
            for fld in ITEM_FIELDS:
                if cells[fld] != seen[fld]:
                    raise ForecastsError(f"{path}:{n}: {fld}: differs from line {line} for key {key}")
        grouped[key][1]["links"].append(link)
    return list(grouped.values())


def import_evidence(db: Database, path: Path) -> dict[str, Any]:
    """Validate every item of a file, then write them all in one transaction (keys already logged are skipped)."""
    now = now_utc()
    items = []
    keys_in_file: set[str] = set()
    for where, rec in read_records(path):
        item = _item_from_record(rec, where)
        try:
            validate_item(db, item, now)
        except ForecastsError as exc:
            raise ForecastsError(f"{where}: {exc}") from None
        if item.key is not None:
            if item.key in keys_in_file:
                raise ForecastsError(f"{where}: key: {item.key!r} appears twice in the file")
            keys_in_file.add(item.key)
        items.append(item)
    existing = {r[0] for r in db.conn.execute("SELECT key FROM evidence WHERE key IS NOT NULL")}
    new = [it for it in items if it.key is None or it.key not in existing]
    stamp = to_iso(now)
    with write_transaction(db):
        ids = [_write_item(db, it, stamp) for it in new]
        caused: dict[str, list[int]] = {}
        for eid, it in zip(ids, new, strict=True):
            for spec in it.links:
                caused.setdefault(spec.question_id, []).append(eid)
        record_evidence_forecasts(db, caused, now, "imported")
    return {"imported": len(ids), "skipped_existing": len(items) - len(new), "evidence_ids": ids}
