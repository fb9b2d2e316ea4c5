"""Metaculus per-forecast CSV exports (one row per forecast, as Metaculus's data exports and its AI-benchmark
analysis files give them) as import rows.

Columns read: question_id, question_title, post_id, forecaster (username), forecast_id, forecast_timestamp,
probability_yes, resolution, published_at (open), scheduled_close_time, actual_close_time,
scheduled_resolve_time, actual_resolve_time, type. Binary questions only (rows of other types, multiple choice,
numeric, date, ..., are counted and left out per type).
A question opens at published_at and closes at actual_close_time (the window Metaculus scores); it resolves at
actual_resolve_time. Our timestamps have whole seconds: of two or more forecasts by one forecaster on one question
within the same second the last (by timestamp, then file order) is kept and the others counted as merged; the
PredictionBook reader applies the same rule. Ids: question "<question_id>", forecast "<forecast_id>", source
"metaculus".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.interchange.datasets.tally import Tally
from forecasts.tabular import read_rows

SOURCE = "metaculus"
REQUIRED = ("question_id", "question_title", "forecaster", "forecast_timestamp", "probability_yes", "published_at")
Rows = list[tuple[int, dict[str, Any]]]


def read(paths: list[Path], tally: Tally | None = None) -> list[tuple[str, Path, Rows]]:
    """Question, forecast and resolution rows from one or more Metaculus per-forecast CSV files."""
    tally = tally or Tally()
    batches: list[tuple[str, Path, Rows]] = []
    for path in paths:
        columns, records = read_rows(path)
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ForecastsError(f"{path}:1: {missing[0]}: required column of a Metaculus forecast export")
        tally.read("forecasts", len(records))
        binary = [(n, r) for n, r in records if (r.get("type") or "binary") == "binary"]
        other: dict[str, str] = {}
        for _n, r in records:
            if (r.get("type") or "binary") != "binary":
                tally.left_out("forecasts", f"on a {r['type']} question (only binary questions are imported)")
                other[str(r["question_id"]).strip()] = str(r["type"])
        for qtype in other.values():
            tally.left_out("questions", f"{qtype} question (only binary questions are imported)")
        questions: dict[str, tuple[int, dict[str, Any]]] = {}
        resolutions: dict[str, tuple[int, dict[str, Any]]] = {}
        for n, r in binary:
            qid = str(r["question_id"]).strip()
            if qid in questions:
                continue
            closes = r.get("actual_close_time") or r.get("scheduled_close_time")
            questions[qid] = (n, {
                "external_id": qid, "source": SOURCE, "title": r["question_title"], "type": "binary",
                "opens_at": r["published_at"], "closes_at": closes,
                "resolves_by": max(r.get("scheduled_resolve_time") or closes, closes),
                "resolution_criteria": f"As resolved on Metaculus: https://www.metaculus.com/questions/"
                                       f"{r.get('post_id') or qid}/",
                "tags": [SOURCE, *([r["project_title"]] if r.get("project_title") else [])],
            })  # fmt: skip
            outcome = (r.get("resolution") or "").strip().lower()
            if outcome:
                known = r.get("actual_resolve_time") or closes
                resolutions[qid] = (n, {"question": qid, "outcome": outcome, "known_at": known,
                                        "source": "https://www.metaculus.com/"})  # fmt: skip
        latest: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
        for n, r in sorted(binary, key=lambda item: (item[1]["forecast_timestamp"], item[0])):
            row = {
                "question": str(r["question_id"]).strip(), "source": SOURCE, "forecaster": r["forecaster"],
                "made_at": r["forecast_timestamp"], "probability": r["probability_yes"],
                "external_id": str(r.get("forecast_id") or ""),
            }  # fmt: skip
            second = str(r["forecast_timestamp"])[:19]
            if (row["question"], row["forecaster"], second) in latest:
                tally.merged("forecasts", "same forecaster, question and second: the last kept")
            latest[(row["question"], row["forecaster"], second)] = (n, row)
        forecasts = sorted(latest.values(), key=lambda item: item[0])
        tally.read("questions", len(questions) + len(other))
        tally.read("resolutions", len(resolutions))
        batches += [
            ("questions", path, sorted(questions.values(), key=lambda item: item[0])),
            ("forecasts", path, forecasts),
            ("resolutions", path, sorted(resolutions.values(), key=lambda item: item[0])),
        ]
    return sorted(batches, key=lambda b: ("questions", "forecasts", "resolutions").index(b[0]))
