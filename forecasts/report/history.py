"""Each question's recent history for its chart: the model, the crowd and every person's standing forecast.

A window of the last WINDOW_WEEKS weeks (or the question's whole life if shorter) so this month's work is
readable; people's forecasts and the crowd are step lines at the time each forecast was made, the model is
the fast path with every item known at the as-of time placed at its observation date.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import numpy as np

import forecasts.report.trajectory as tr
from forecasts.questions import Question
from forecasts.timeutil import from_iso

WINDOW_WEEKS = 12
MODEL_POINTS = 97
Y_STEPS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
HEADROOM = 1.15

BASIS = (
    "Model: fast path from the evidence on record at the as-of time, each item placed at its observation date "
    "(observed time). People and crowd: each forecast from the moment it was made, standing until the next "
    "(recorded time); the crowd is the median of the people standing at each moment."
)


def focus_outcome(q: Question, now: dict[str, float]) -> str:
    """The outcome a one-line chart follows: yes for binary questions, else the likeliest outcome now."""
    return "yes" if q.is_binary else max(q.outcomes, key=lambda o: (now[o], -q.outcomes.index(o)))


def _value(q: Question, f: dict[str, Any], outcome: str) -> float:
    if f["probabilities"] is not None:
        return float(f["probabilities"][outcome])
    p = float(f["probability"])
    return p if outcome == "yes" else 1.0 - p


def people_steps(q: Question, forecasts: list[dict[str, Any]], outcome: str) -> dict[str, list[list[float]]]:
    """Each person's forecasts on `outcome` as (time, value) steps, oldest first (forecasts: oldest first)."""
    steps: dict[str, list[list[float]]] = {}
    for f in forecasts:
        if f["kind"] == "person":
            steps.setdefault(f["forecaster"], []).append([from_iso(f["made_at"]).timestamp(), _value(q, f, outcome)])
    return dict(sorted(steps.items()))


def crowd_steps(people: dict[str, list[list[float]]]) -> list[list[float]]:
    """The median of the people's standing forecasts after every change (a step line)."""
    events = sorted((t, name, p) for name, pts in people.items() for t, p in pts)
    standing: dict[str, float] = {}
    out: list[list[float]] = []
    for t, name, p in events:
        standing[name] = p
        value = float(statistics.median(standing.values()))
        if out and out[-1][0] == t:
            out[-1][1] = value
        else:
            out.append([t, value])
    return out


def _clip(steps: list[list[float]], start: float) -> list[list[float]]:
    """Steps from `start` on: the value standing at `start` (if any) becomes the first point."""
    before = [s for s in steps if s[0] <= start]
    after = [s for s in steps if s[0] > start]
    return ([[start, before[-1][1]]] if before else []) + after


def _upto(steps: list[list[float]], end: float) -> list[list[float]]:
    """Steps up to `end` (a forecast made after the resolution was known is not drawn past it)."""
    return [s for s in steps if s[0] <= end]


def y_top(values: list[float]) -> float:
    """The smallest of a few round axis tops that leaves headroom above the data (1.0 at most)."""
    top = max(values, default=0.0) * HEADROOM
    return next((y for y in Y_STEPS if y >= top), 1.0)


def chart(
    q: Question,
    arrays: tr.LinkArrays,
    forecasts: list[dict[str, Any]],
    now: dict[str, float],
    as_of: datetime,
    resolution: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Plain data for the question's recent-weeks chart (epoch seconds, probabilities of the focus outcome)."""
    outcome = focus_outcome(q, now)
    end = as_of.timestamp()
    resolved_at = None
    if resolution is not None and resolution.get("known_at"):
        resolved_at = min(from_iso(resolution["known_at"]).timestamp(), end)
        end = max(resolved_at, q.opens_at.timestamp() + 1.0)  # every line stops at the resolution
    start = max(q.opens_at.timestamp(), end - timedelta(weeks=WINDOW_WEEKS).total_seconds())
    times = np.linspace(start, end, MODEL_POINTS)
    model = tr.path(q, arrays, times)[:, q.outcomes.index(outcome)]
    people = {n: _clip(_upto(s, end), start) for n, s in people_steps(q, forecasts, outcome).items()}
    people = {n: s for n, s in people.items() if s}
    crowd = _clip(_upto(crowd_steps(people_steps(q, forecasts, outcome)), end), start)
    res = None
    if resolved_at is not None:
        value = 1.0 if resolution["outcome"] == outcome else 0.0 if resolution["outcome"] in q.outcomes else None
        res = {"at": resolved_at, "outcome": resolution["outcome"], "value": value}
    plotted = model.tolist() + [p for s in people.values() for _, p in s] + [p for _, p in crowd]
    if res is not None and res["value"] is not None:
        plotted.append(res["value"])
    return {
        "outcome": outcome,
        "start": start,
        "end": end,
        "weeks": round((end - start) / (7 * 86400.0), 1),
        "model": {"times": times.tolist(), "values": model.tolist()},
        "people": [{"name": n, "steps": s} for n, s in people.items()],
        "crowd": crowd,
        "resolution": res,
        "y_max": y_top(plotted),
        "basis": BASIS,
    }
