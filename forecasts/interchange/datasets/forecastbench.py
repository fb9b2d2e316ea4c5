"""ForecastBench (forecastbench.org) question, forecast and resolution sets (JSON) as import rows.

A ForecastBench question is (source, id) and, for dataset questions (ACLED, FRED, ...), one of several
resolution dates; each (question, resolution date) becomes one of our binary questions, open from the set's
forecast_due_date (when every forecast in a forecast set is dated) to the resolution date. Market questions
(Manifold, Metaculus, Polymarket, INFER) close when the market closes. Resolutions: `resolved_to` 0 or 1 is no
or yes; anything between (a market not yet resolved, scored against its value on the resolution date, as
ForecastBench does) is a resolution to that probability. Forecasts of exactly 0 or 1 are kept as given.
Combination questions (two ids) are not imported. Ids are kept as external_id ("<source>/<id>", "@<date>" for
dataset questions) with source "forecastbench"; error lines name the file and the record's position in its list.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError

SOURCE = "forecastbench"
MARKETS = ("manifold", "metaculus", "polymarket", "infer")
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


def _key(rec: dict[str, Any], date: str | None) -> str | None:
    """Our external id for a (source, id, resolution date); None for combination questions."""
    if not isinstance(rec.get("id"), str):
        return None
    base = f"{rec.get('source')}/{rec['id']}"
    return base if rec.get("source") in MARKETS else f"{base}@{date}"


def read(paths: list[Path]) -> list[tuple[str, Path, Rows]]:
    """Question, forecast and resolution rows from a question set and any forecast and resolution sets."""
    sets: dict[str, list[tuple[Path, dict[str, Any]]]] = {"questions": [], "forecasts": [], "resolutions": []}
    for path in paths:
        data = _load(path)
        kind = next(k for k in sets if k in data)
        sets[kind].append((path, data))
    if not sets["questions"]:
        raise ForecastsError("files: a ForecastBench question set (the JSON with 'questions') is required")
    qpath, qset = sets["questions"][0]
    due = _date(qset.get("forecast_due_date"))
    if due is None:
        raise ForecastsError(f"{qpath}:1: forecast_due_date: {qset.get('forecast_due_date')!r} is not a date")
    by_id = {(q.get("source"), q.get("id")): (n, q) for n, q in enumerate(qset["questions"], 1)}
    wanted: dict[str, tuple[tuple[str, str], str | None]] = {}  # our external id → (source, id), date
    for fpath, fset in sets["forecasts"]:
        if _date(fset.get("forecast_due_date")) != due:
            raise ForecastsError(f"{fpath}:1: forecast_due_date: {fset.get('forecast_due_date')!r} is not the "
                                 f"question set's {due}")  # fmt: skip
        for f in fset["forecasts"]:
            key = _key(f, _date(f.get("resolution_date")))
            if key is not None:
                wanted.setdefault(key, ((f.get("source"), f.get("id")), _date(f.get("resolution_date"))))
    if not sets["forecasts"]:  # no forecasts: every question at every listed resolution date
        for q in qset["questions"]:
            dates = _dataset_dates(q)
            for date in dates or [None]:
                if (key := _key(q, date)) is not None:
                    wanted[key] = ((q.get("source"), q.get("id")), date)
    resolution_date = {
        _key(r, _date(r.get("resolution_date"))): _date(r.get("resolution_date"))
        for _, rset in sets["resolutions"]
        for r in rset["resolutions"]
    }
    questions: Rows = []
    for key, (qkey, date) in sorted(wanted.items()):
        if qkey not in by_id:
            raise ForecastsError(f"{qpath}:1: questions: {qkey[0]}/{qkey[1]} has forecasts but is not in this set")
        n, q = by_id[qkey]
        questions.append((n, _question(q, key, due, date, resolution_date.get(key), f"{qpath}:{n}")))
    batches: list[tuple[str, Path, Rows]] = [("questions", qpath, questions)]
    for fpath, fset in sets["forecasts"]:
        batches.append(("forecasts", fpath, _forecasts(fset, due)))
    for rpath, rset in sets["resolutions"]:
        batches.append(("resolutions", rpath, _resolutions(rset, wanted)))
    return batches


def _dataset_dates(q: dict[str, Any]) -> list[str]:
    raw = q.get("resolution_dates")
    if isinstance(raw, str) and raw.startswith("["):
        raw = json.loads(raw.replace("'", '"'))
    return [d for d in raw if _date(d)] if isinstance(raw, list) else []


def _question(
    q: dict[str, Any], key: str, due: str, date: str | None, resolved_on: str | None, where: str
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
    return {
        "external_id": key,
        "source": SOURCE,
        "title": text,
        "type": "binary",
        "opens_at": due,
        "closes_at": closes,
        "resolution_criteria": str(q.get("resolution_criteria") or "As resolved in ForecastBench's resolution set."),
        "description": str(q.get("background") or ""),
        "fine_print": f"{q.get('url', '')}".strip(),
        "tags": [SOURCE, source, "market" if market else "dataset"],
    }


def _forecasts(fset: dict[str, Any], due: str) -> Rows:
    rows: Rows = []
    who = f"{fset.get('organization', '')} {fset.get('model', '')}".strip() or SOURCE
    for n, f in enumerate(fset["forecasts"], 1):
        key = _key(f, _date(f.get("resolution_date")))
        if key is None:
            continue  # combination questions are not imported
        rows.append((n, {
            "question": key, "source": SOURCE, "forecaster": str(f.get("user_id") or who), "made_at": due,
            "probability": f.get("forecast"), "rationale": str(f.get("reasoning") or ""),
        }))  # fmt: skip
    return rows


def _resolutions(rset: dict[str, Any], wanted: dict[str, Any]) -> Rows:
    """Resolutions of the imported questions; resolved_to strictly between 0 and 1 is a probability."""
    rows: Rows = []
    for n, r in enumerate(rset["resolutions"], 1):
        key = _key(r, _date(r.get("resolution_date")))
        value = r.get("resolved_to")
        if key not in wanted or not isinstance(value, int | float) or not math.isfinite(value):
            continue
        state = "resolved" if r.get("resolved") else "not resolved: the market's value on this date"
        rows.append((n, {
            "question": key, "outcome": float(value), "known_at": _date(r.get("resolution_date")),
            "source": "ForecastBench resolution set", "note": state,
        }))  # fmt: skip
    return rows
