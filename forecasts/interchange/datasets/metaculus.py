"""Metaculus per-forecast CSV exports (one row per forecast, as Metaculus's data exports and its AI-benchmark
analysis files give them) as import rows.

Columns read: question_id, question_title, post_id, forecaster (username), forecast_id, forecast_timestamp,
probability_yes, resolution, published_at (open), scheduled_close_time, actual_close_time,
scheduled_resolve_time, actual_resolve_time, type; for numeric and date questions also continuous_cdf, range_min,
range_max, open_lower_bound, open_upper_bound, zero_point (a log axis). Binary, numeric and date questions are
imported; other types (multiple choice, discrete) and CDFs that break Metaculus's current rules (older forecasts
made under other bounds) are left out and counted per type.
A question opens at published_at and closes at actual_close_time (the window Metaculus scores); it resolves at
actual_resolve_time. Our timestamps have whole seconds: of two or more forecasts by one forecaster on one question
within the same second the last (by timestamp, then file order) is kept and the others counted as merged; the
PredictionBook reader applies the same rule. Ids: question "<question_id>", forecast "<forecast_id>", source
"metaculus".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.interchange.datasets.tally import Tally
from forecasts.tabular import read_rows
from forecasts.timeutil import source_iso, to_iso

SOURCE = "metaculus"
STAMPS = ("published_at", "scheduled_close_time", "actual_close_time", "scheduled_resolve_time",
          "actual_resolve_time", "forecast_timestamp")  # fmt: skip
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
        imported_types = ("binary", *NUMERIC)
        binary = [(n, r) for n, r in records if (r.get("type") or "binary") in imported_types]
        for _n, r in binary:  # `2025-03-12 22:00:00+00` → the one date grammar (docs/formats.md)
            r.update({c: source_iso(r[c]) for c in STAMPS if r.get(c)})
        other: dict[str, str] = {}
        for _n, r in records:
            if (r.get("type") or "binary") not in imported_types:
                tally.left_out(
                    "forecasts", f"on a {r['type']} question (binary, numeric and date questions are imported)"
                )
                other[str(r["question_id"]).strip()] = str(r["type"])
        for qtype in other.values():
            tally.left_out("questions", f"{qtype} question (binary, numeric and date questions are imported)")
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
            if r.get("type") in NUMERIC:
                questions[qid][1].update(_numeric_question(r))
            outcome = _outcome(r)
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
            if r.get("type") in NUMERIC:
                del row["probability"]
                row["cdf"] = r.get("continuous_cdf") or ""
                if not _valid_cdf(r):
                    tally.left_out("forecasts", "CDF breaks Metaculus's current rules (made under other bounds)")
                    continue
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


NUMERIC = ("numeric", "date")
BEYOND = {"below_lower_bound": "below", "above_upper_bound": "above"}


def _when(value: Any) -> str:
    """A date question's bound or outcome: Metaculus gives Unix seconds (or ISO text) -> ISO text."""
    try:
        return to_iso(datetime.fromtimestamp(float(value), UTC))
    except (TypeError, ValueError):
        return str(value)


def _numeric_question(r: dict[str, Any]) -> dict[str, Any]:
    """The range, bounds and axis of a numeric or date question row."""
    date = r["type"] == "date"
    out: dict[str, Any] = {
        "type": r["type"],
        "range_min": _when(r["range_min"]) if date else r["range_min"],
        "range_max": _when(r["range_max"]) if date else r["range_max"],
        "open_lower_bound": r.get("open_lower_bound") or "false",
        "open_upper_bound": r.get("open_upper_bound") or "false",
    }
    if r.get("zero_point") not in (None, ""):
        out |= {"scale": "log", "zero_point": r["zero_point"]}
    return out


def _outcome(r: dict[str, Any]) -> str:
    """The stored outcome: binary yes/no as given; numeric below/above for Metaculus's out-of-bounds words."""
    text = (r.get("resolution") or "").strip()
    if r.get("type") not in NUMERIC:
        return text.lower()
    if text.lower() in BEYOND:
        return BEYOND[text.lower()]
    if r["type"] == "date" and text and text.lower() not in ("ambiguous", "annulled"):
        return _when(text)
    return text.lower() if text.lower() in ("ambiguous", "annulled") else text


def _valid_cdf(r: dict[str, Any]) -> bool:
    """Whether a row's CDF meets Metaculus's current rules for its question's bounds (forecasts.numeric.cdf)."""
    from forecasts.numeric.cdf import check_cdf
    from forecasts.numeric.scale import Scale

    def number(v: Any) -> float:
        return (
            float(v) if r["type"] == "numeric" else datetime.fromisoformat(_when(v).replace("Z", "+00:00")).timestamp()
        )

    try:
        scale = Scale(number(r["range_min"]), number(r["range_max"]), str(r.get("open_lower_bound")).lower() == "true",
                      str(r.get("open_upper_bound")).lower() == "true",
                      float(r["zero_point"]) if r.get("zero_point") not in (None, "") else None)  # fmt: skip
        check_cdf(json.loads(r.get("continuous_cdf") or "null"), scale)
    except (ForecastsError, ValueError, TypeError):
        return False
    return True
