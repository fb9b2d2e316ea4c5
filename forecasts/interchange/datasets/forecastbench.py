"""ForecastBench (forecastbench.org) question, forecast and resolution sets (JSON) as import rows.

A ForecastBench question is (source, id) and, for dataset questions (ACLED, FRED, ...), one of several
resolution dates; each (question, resolution date) of each round (a question set's forecast_due_date) becomes one
of our binary questions, open from the round's due date (when every forecast in a forecast set is dated) to the
resolution date. Market questions (Manifold, Metaculus, Polymarket, INFER) close when the market closes.
External ids are per round, `<source>/<id>[@<resolution date>]#<due date>`, and every question is tagged
`<source>/<id>`, so a market asked in several rounds can be followed across them. Several rounds import together:
each forecast and resolution set goes with the question set of its due date.
Resolutions: `resolved_to` 0 or 1 is no or yes; anything between (a market not yet resolved, scored against its
value on the resolution date, as ForecastBench does) is a resolution to that probability. A market listed once
per horizon with the same value is one resolution (the first row; the rest counted as merged); different values
are an error naming both records; a row dated after today (a market resolved before its listed date) is left
out, counted, until that date. Forecasts of exactly 0 or 1 are kept as given. Combination questions (two ids)
are counted and left out. A background longer than the text limit is split: the description holds its start and
says so, the fine print the rest. Error positions are the record's place (1-based) in the file's JSON list.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.interchange.datasets.tally import Tally
from forecasts.timeutil import now_utc, to_iso
from forecasts.validation import MAX_TEXT

SOURCE = "forecastbench"
MARKETS = ("manifold", "metaculus", "polymarket", "infer")
SPLIT_NOTE = "\n\n[The background continues in the fine print.]"
REST_NOTE = "[Background, continued from the description:]\n"
CUT_NOTE = "\n[Background cut at the text limit; the full text is at the question's URL.]"
Rows = list[tuple[int, dict[str, Any]]]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ForecastsError(f"file: {path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ForecastsError(f"{path}:1: json: not a ForecastBench JSON file ({exc})") from None
    if not isinstance(data, dict) or not ({"questions", "forecasts", "resolutions"} & set(data)):
        raise ForecastsError(f"{path}:1: json: expected a question set, forecast set or resolution set object")
    return data


def _date(value: Any) -> str | None:
    """A YYYY-MM-DD or ISO datetime text, else None ('N/A', null)."""
    return value if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() else None


def _combination(rec: dict[str, Any]) -> bool:
    """A combination question: a list of ids (or its text, "['a', 'b']", as some resolution sets write it)."""
    rid = rec.get("id")
    return not isinstance(rid, str) or rid.startswith("[")


def _key(rec: dict[str, Any], date: str | None, due: str) -> str | None:
    """Our external id for a (source, id, resolution date) in the round due `due`; None for combinations."""
    if _combination(rec):
        return None
    base = f"{rec.get('source')}/{rec['id']}"
    return f"{base}#{due}" if rec.get("source") in MARKETS else f"{base}@{date}#{due}"


def read(paths: list[Path], tally: Tally | None = None) -> list[tuple[str, Path, Rows]]:
    """Question, forecast and resolution rows from question sets and any forecast and resolution sets, by round."""
    tally = tally or Tally()
    sets: dict[str, list[tuple[Path, dict[str, Any]]]] = {"questions": [], "forecasts": [], "resolutions": []}
    for path in paths:
        data = _load(path)
        kind = next(k for k in sets if k in data)
        sets[kind].append((path, data))
    if not sets["questions"]:
        raise ForecastsError("files: a ForecastBench question set (the JSON with 'questions') is required")
    rounds: dict[str, tuple[Path, dict[str, Any]]] = {}
    for qpath, qset in sets["questions"]:
        due = _date(qset.get("forecast_due_date"))
        if due is None:
            raise ForecastsError(f"{qpath}:1: forecast_due_date: {qset.get('forecast_due_date')!r} is not a date")
        if due in rounds:
            raise ForecastsError(f"{qpath}:1: forecast_due_date: {due} is also the round of {rounds[due][0]}")
        rounds[due] = (qpath, qset)
    by_round: dict[str, dict[str, list]] = {due: {"forecasts": [], "resolutions": []} for due in rounds}
    for kind in ("forecasts", "resolutions"):
        for fpath, fset in sets[kind]:
            due = _date(fset.get("forecast_due_date"))
            if due not in rounds:
                raise ForecastsError(f"{fpath}:1: forecast_due_date: {fset.get('forecast_due_date')!r} is not the "
                                     f"due date of a question set given ({', '.join(sorted(rounds))})")  # fmt: skip
            by_round[due][kind].append((fpath, fset))
    batches: list[tuple[str, Path, Rows]] = []
    for due in sorted(rounds):
        batches += _round(due, *rounds[due], by_round[due]["forecasts"], by_round[due]["resolutions"], tally)
    return sorted(batches, key=lambda b: ("questions", "forecasts", "resolutions").index(b[0]))


def _round(
    due: str, qpath: Path, qset: dict[str, Any], fsets: list, rsets: list, tally: Tally
) -> list[tuple[str, Path, Rows]]:
    """The rows of one round: its question set with the forecast and resolution sets of the same due date."""
    tally.read("questions", len(qset["questions"]))
    by_id = {(q.get("source"), q.get("id")): (n, q) for n, q in enumerate(qset["questions"], 1)}
    wanted: dict[str, tuple[tuple[str, str], str | None]] = {}  # our external id → (source, id), date
    for _fpath, fset in fsets:
        for f in fset["forecasts"]:
            key = _key(f, _date(f.get("resolution_date")), due)
            if key is not None:
                wanted.setdefault(key, ((f.get("source"), f.get("id")), _date(f.get("resolution_date"))))
    if not fsets:  # no forecasts: every question at every listed resolution date
        for q in qset["questions"]:
            for date in _dataset_dates(q) or [None]:
                if (key := _key(q, date, due)) is not None:
                    wanted[key] = ((q.get("source"), q.get("id")), date)
    resolutions = [_resolutions(rpath, rset, wanted, due, tally) for rpath, rset in rsets]
    resolution_date = {row["question"]: row["known_at"] for rows in resolutions for _, row in rows}
    questions: Rows = []
    for key, (qkey, date) in sorted(wanted.items()):
        if qkey not in by_id:
            raise ForecastsError(f"{qpath}:1: questions: {qkey[0]}/{qkey[1]} has forecasts but is not in this set")
        n, q = by_id[qkey]
        questions.append((n, _question(q, key, due, date, resolution_date.get(key), f"{qpath}:{n}", tally)))
    asked = {qkey for qkey, _ in wanted.values()}
    if len(asked) < len(by_id):
        tally.left_out("questions", "no forecast on it in the forecast sets given", len(by_id) - len(asked))
    batches: list[tuple[str, Path, Rows]] = [("questions", qpath, questions)]
    for fpath, fset in fsets:
        batches.append(("forecasts", fpath, _forecasts(fset, due, tally)))
    for (rpath, _), rows in zip(rsets, resolutions, strict=True):
        batches.append(("resolutions", rpath, rows))
    return batches


def _dataset_dates(q: dict[str, Any]) -> list[str]:
    raw = q.get("resolution_dates")
    if isinstance(raw, str) and raw.startswith("["):
        raw = json.loads(raw.replace("'", '"'))
    return [d for d in raw if _date(d)] if isinstance(raw, list) else []


def _background(q: dict[str, Any], url: str, tally: Tally) -> tuple[str, str]:
    """(description, fine print): a background over the text limit is split between them, with notes saying so."""
    text = str(q.get("background") or "")
    if len(text) <= MAX_TEXT:
        return text, url
    tally.note("questions", f"background over {MAX_TEXT:,} characters: split into description and fine print")
    head = MAX_TEXT - len(SPLIT_NOTE)
    room = MAX_TEXT - len(REST_NOTE) - len(url) - 2
    rest = text[head:]
    if len(rest) > room:
        rest = rest[: room - len(CUT_NOTE)] + CUT_NOTE
    return text[:head] + SPLIT_NOTE, f"{REST_NOTE}{rest}\n\n{url}".strip()


def _question(
    q: dict[str, Any], key: str, due: str, date: str | None, resolved_on: str | None, where: str, tally: Tally
) -> dict[str, Any]:
    """One of our question rows for a ForecastBench question (at one resolution date for dataset questions)."""
    source = str(q.get("source"))
    market = source in MARKETS
    closes = _date(q.get("market_info_close_datetime")) if market else date
    closes = closes or resolved_on
    if closes is None:
        raise ForecastsError(f"{where}: market_info_close_datetime: {source}/{q.get('id')} has no close date "
                             "(and no resolution in the files given)")  # fmt: skip
    text = str(q.get("question") or "").replace("{forecast_due_date}", due).replace("{resolution_date}", date or "")
    description, fine_print = _background(q, f"{q.get('url', '')}".strip(), tally)
    return {
        "external_id": key,
        "source": SOURCE,
        "title": text,
        "type": "binary",
        "opens_at": due,
        "closes_at": closes,
        "resolution_criteria": str(q.get("resolution_criteria") or "As resolved in ForecastBench's resolution set."),
        "description": description,
        "fine_print": fine_print,
        "tags": [SOURCE, source, "market" if market else "dataset", f"{source}/{q.get('id')}"],
    }


def _forecasts(fset: dict[str, Any], due: str, tally: Tally) -> Rows:
    rows: Rows = []
    who = f"{fset.get('organization', '')} {fset.get('model', '')}".strip() or SOURCE
    tally.read("forecasts", len(fset["forecasts"]))
    for n, f in enumerate(fset["forecasts"], 1):
        key = _key(f, _date(f.get("resolution_date")), due)
        if key is None:
            tally.left_out("forecasts", "combination question (not imported)")
            continue
        rows.append((n, {
            "question": key, "source": SOURCE, "forecaster": str(f.get("user_id") or who), "made_at": due,
            "probability": f.get("forecast"), "rationale": str(f.get("reasoning") or ""),
        }))  # fmt: skip
    return rows


def _resolutions(path: Path, rset: dict[str, Any], wanted: dict[str, Any], due: str, tally: Tally) -> Rows:
    """Resolutions of the imported questions; resolved_to strictly between 0 and 1 is a probability. A market's
    repeated rows (one per horizon) that agree are one resolution; disagreeing ones are an error naming both."""
    rows: dict[str, tuple[int, dict[str, Any]]] = {}
    now = to_iso(now_utc())
    tally.read("resolutions", len(rset["resolutions"]))
    for n, r in enumerate(rset["resolutions"], 1):
        key = _key(r, _date(r.get("resolution_date")), due)
        value = r.get("resolved_to")
        if key is None:
            tally.left_out("resolutions", "combination question (not imported)")
            continue
        if key not in wanted:
            tally.left_out("resolutions", "question not imported (not in the sets given, or no forecast on it)")
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            tally.left_out("resolutions", "resolved_to is not a number")
            continue
        if (_date(r.get("resolution_date")) or "") > now:
            tally.left_out("resolutions", "resolution date still to come (import the set again after it)")
            continue
        if key in rows:
            first_n, first = rows[key]
            if first["outcome"] != float(value):
                raise ForecastsError(f"{path}: record {n}: resolved_to: {r.get('source')}/{r.get('id')} resolves to "
                                     f"{value} here but to {first['outcome']} at record {first_n}")  # fmt: skip
            tally.merged("resolutions", "a market repeated once per horizon with the same value")
            continue
        state = "resolved" if r.get("resolved") else "not resolved: the market's value on this date"
        rows[key] = (n, {
            "question": key, "outcome": float(value), "known_at": _date(r.get("resolution_date")),
            "source": "ForecastBench resolution set", "note": state,
        })  # fmt: skip
    return sorted(rows.values(), key=lambda item: item[0])
