"""PredictionBook-style CSV (one row per forecast: question, user, probability, timestamp, outcome) as import rows.

Columns: question (the prediction's text, required), question_id (PredictionBook's number; else the text is the
id), user, probability (0–1; or `confidence` in percent, as PredictionBook shows it), timestamp, outcome
(yes/no, right/wrong, true/false, 1/0; empty = unresolved), known_at (the deadline; optional). A question opens
at its first forecast and closes at known_at, or one second after its last forecast if that is later (people
keep predicting until a prediction is judged); it resolves then. Source "predictionbook".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.tabular import read_rows
from forecasts.timeutil import parse_datetime, source_iso, to_iso

SOURCE = "predictionbook"
OUTCOMES = {"yes": "yes", "right": "yes", "true": "yes", "1": "yes", "no": "no", "wrong": "no", "false": "no",
            "0": "no"}  # fmt: skip
Rows = list[tuple[int, dict[str, Any]]]


def _when(value: Any, fld: str, where: str) -> str:
    try:
        return to_iso(parse_datetime(source_iso(str(value or "")), fld))
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def read(paths: list[Path]) -> list[tuple[str, Path, Rows]]:
    """Question, forecast and resolution rows from PredictionBook-style CSV/JSONL files."""
    batches: list[tuple[str, Path, Rows]] = []
    for path in paths:
        columns, records = read_rows(path)
        for col in ("question", "user", "timestamp"):
            if col not in columns:
                raise ForecastsError(f"{path}:1: {col}: required column of a PredictionBook-style file")
        spans: dict[str, dict[str, Any]] = {}
        forecasts: Rows = []
        for n, r in records:
            where = f"{path}:{n}"
            qid = str(r.get("question_id") or "").strip() or str(r["question"]).strip()
            made = _when(r.get("timestamp"), "timestamp", where)
            p = r.get("probability")
            if (p is None or p == "") and r.get("confidence") not in (None, ""):
                try:
                    p = float(r["confidence"]) / 100.0
                except ValueError:
                    raise ForecastsError(f"{where}: confidence: {r['confidence']!r} is not a percentage") from None
            outcome = str(r.get("outcome") or "").strip().lower()
            if outcome and outcome not in OUTCOMES:
                raise ForecastsError(f"{where}: outcome: {outcome!r} is not one of {', '.join(OUTCOMES)} or empty")
            span = spans.setdefault(qid, {"n": n, "text": str(r["question"]).strip(), "first": made, "last": made,
                                          "known": None, "outcome": outcome})  # fmt: skip
            span["first"], span["last"] = min(span["first"], made), max(span["last"], made)
            if r.get("known_at"):
                span["known"] = _when(r["known_at"], "known_at", where)
            forecasts.append((n, {"question": qid, "source": SOURCE, "forecaster": str(r["user"]), "made_at": made,
                                  "probability": p}))  # fmt: skip
        questions: Rows = []
        resolutions: Rows = []
        for qid, s in spans.items():
            after_last = to_iso(parse_datetime(s["last"], "timestamp") + timedelta(seconds=1))
            closes = max(s["known"] or after_last, after_last)
            questions.append((s["n"], {
                "external_id": qid, "source": SOURCE, "title": s["text"], "type": "binary", "opens_at": s["first"],
                "closes_at": closes, "resolution_criteria": "As judged on PredictionBook.", "tags": [SOURCE],
            }))  # fmt: skip
            if s["outcome"]:
                resolutions.append((s["n"], {"question": qid, "outcome": OUTCOMES[s["outcome"]], "known_at": closes}))
        batches += [("questions", path, questions), ("forecasts", path, forecasts), ("resolutions", path, resolutions)]
    return sorted(batches, key=lambda b: ("questions", "forecasts", "resolutions").index(b[0]))
