"""PredictionBook-style CSV (one row per forecast: question, user, probability, timestamp, outcome) as import rows.

Columns: question (the prediction's text, required), question_id (PredictionBook's number; else the text is the
id), user, probability (0–1; or `confidence` in percent, as PredictionBook shows it), timestamp, outcome
(yes/no, right/wrong, true/false, 1/0, ambiguous, annulled; empty = unresolved), known_at (the deadline;
optional). A question opens at its first forecast and closes at known_at, or one second after its last forecast if
that is later (people keep predicting until a prediction is judged); it resolves then. Source "predictionbook".

PredictionBook's public history has deadlines from year 139 to 9999 (typos and "never"): a deadline outside the
years we accept (timeutil.YEARS) is set aside, counted, and the question closes one second after its last forecast.
Rows that repeat another exactly (question, user, second, probability) are kept once and counted. Of several
forecasts by one user on one question within one second the last in the file is kept and the others counted as
merged, as the Metaculus reader does. A prediction judged before a deadline still to come (the data has no time of
judgement) closes and resolves one second after its last forecast (counted).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.interchange.datasets.tally import Tally
from forecasts.tabular import read_rows
from forecasts.timeutil import YEARS, now_utc, parse_datetime, source_iso, to_iso

SOURCE = "predictionbook"
OUTCOMES = {"yes": "yes", "right": "yes", "true": "yes", "1": "yes", "no": "no", "wrong": "no", "false": "no",
            "0": "no", "ambiguous": "ambiguous", "annulled": "annulled"}  # fmt: skip
Rows = list[tuple[int, dict[str, Any]]]


def _when(value: Any, fld: str, where: str) -> str:
    try:
        return to_iso(parse_datetime(source_iso(str(value or "")), fld))
    except ForecastsError as exc:
        raise ForecastsError(f"{where}: {exc}") from None


def _deadline(value: Any, where: str, tally: Tally) -> str | None:
    """The deadline, or None (counted) when its year is outside the accepted window; a malformed one is an error."""
    text = str(value).strip()
    year = text[: text.find("-", 1)] if "-" in text[1:] else ""
    if year.isdigit() and not YEARS[0] <= int(year) <= YEARS[1]:
        tally.note("questions", f"deadline outside the years {YEARS[0]}-{YEARS[1]}: closed after the last forecast")
        return None
    return _when(value, "known_at", where)


def read(paths: list[Path], tally: Tally | None = None) -> list[tuple[str, Path, Rows]]:
    """Question, forecast and resolution rows from PredictionBook-style CSV/JSONL files."""
    tally = tally or Tally()
    batches: list[tuple[str, Path, Rows]] = []
    for path in paths:
        columns, records = read_rows(path)
        for col in ("question", "user", "timestamp"):
            if col not in columns:
                raise ForecastsError(f"{path}:1: {col}: required column of a PredictionBook-style file")
        spans: dict[str, dict[str, Any]] = {}
        latest: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
        tally.read("forecasts", len(records))
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
            if r.get("known_at") and span.get("deadline_seen") != r["known_at"]:
                span["deadline_seen"] = r["known_at"]
                span["known"] = _deadline(r["known_at"], where, tally)
            row = {"question": qid, "source": SOURCE, "forecaster": str(r["user"]), "made_at": made, "probability": p}
            key = (qid, row["forecaster"], made)
            if key in latest:
                same = str(latest[key][1]["probability"]) == str(p)
                tally.merged("forecasts", "exact duplicate row: kept once" if same
                             else "same user, question and second: the last kept")  # fmt: skip
            latest[key] = (n, row)
        forecasts = sorted(latest.values(), key=lambda item: item[0])
        questions: Rows = []
        resolutions: Rows = []
        tally.read("questions", len(spans))
        now = to_iso(now_utc())
        tally.read("resolutions", sum(1 for s in spans.values() if s["outcome"]))
        for qid, s in spans.items():
            after_last = to_iso(parse_datetime(s["last"], "timestamp") + timedelta(seconds=1))
            closes = max(s["known"] or after_last, after_last)
            if s["outcome"] and closes > now:  # judged before a deadline still to come: when is not in the data
                tally.note("questions", "judged before its deadline (still to come): closed one second after the "
                                        "last forecast")  # fmt: skip
                closes = after_last
            questions.append((s["n"], {
                "external_id": qid, "source": SOURCE, "title": s["text"], "type": "binary", "opens_at": s["first"],
                "closes_at": closes, "resolution_criteria": "As judged on PredictionBook.", "tags": [SOURCE],
            }))  # fmt: skip
            if s["outcome"]:
                resolutions.append((s["n"], {"question": qid, "outcome": OUTCOMES[s["outcome"]], "known_at": closes}))
        batches += [("questions", path, questions), ("forecasts", path, forecasts), ("resolutions", path, resolutions)]
    return sorted(batches, key=lambda b: ("questions", "forecasts", "resolutions").index(b[0]))
