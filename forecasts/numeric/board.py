"""Numeric and date questions' rows in `score` and `leaderboard`: per question × forecaster, a relative CRPS
(time-averaged against the people's median, as our relative Brier) and Metaculus's continuous peer score.

Brier and CRPS are different scales, so these are columns of their own beside the binary ones, never mixed into
them (docs/scores.md). Only forecasters of kind person form the median CRPS and the geometric mean; the model and
aggregates are scored against them. The maths is pure (question_rows); numeric_rows feeds it from the store.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasts.numeric.resolve import outcome_location, outcome_value
from forecasts.numeric.scores import (
    Standing,
    baseline_accuracy,
    bucket_index,
    bucket_mass,
    crps,
    grid,
    peer_accuracy,
    peer_spot,
)
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso

NUMERIC_COLUMNS = ("crps_range", "relative_crps", "peer_continuous", "peer_continuous_close")
INTERVALS_PER_PASS = 512  # instants whose standing sets one numpy pass holds (bounds memory on long histories)


def uninformed_cdf(points: int) -> np.ndarray:
    """The uninformed forecast: uniform over the range on the question's axis (no mass beyond a bound)."""
    return np.linspace(0.0, 1.0, points)


def _median_crps(starts: np.ndarray, ends: np.ndarray, values: np.ndarray, person: np.ndarray,
                 times: np.ndarray, fallback: float) -> np.ndarray:  # fmt: skip
    """At each instant of `times`, the median CRPS of the people standing then (midpoint for an even count);
    `fallback` (the uninformed forecast's) where no person stands."""
    out = np.empty(len(times))
    for lo in range(0, len(times), INTERVALS_PER_PASS):
        t = times[lo : lo + INTERVALS_PER_PASS, None]
        standing = (starts[None, :] <= t) & (ends[None, :] > t) & person[None, :]
        masked = np.where(standing, values[None, :], np.nan)
        some = standing.any(axis=1)
        med = np.full(len(t), fallback)
        if some.any():
            med[some] = np.nanmedian(masked[some], axis=1)
        out[lo : lo + len(t)] = med
    return out


def question_rows(
    q: Any, resolution: dict[str, Any], tracks: dict[str, list[tuple[float, list[float]]]], people: set[str]
) -> list[dict[str, Any]]:
    """One row per forecaster on one resolved numeric or date question, from each one's CDF forecasts (made_at
    seconds, cdf), oldest first.

    relative_crps: ∫ over your active time of (your CRPS ÷ range width − the median of the standing people's,
    you included) dt ÷ the scored span [opens_at, min(closes_at, known_at)); crps_range: your CRPS ÷ width
    averaged over the time your forecasts stood; peer_continuous: Metaculus's continuous peer score, time-averaged
    over the scheduled lifetime; peer_continuous_close: its spot value at the close."""
    scale = q.scale
    outcome = resolution["outcome"]
    u = outcome_location(scale, outcome)
    bucket = bucket_index(u)
    value = outcome_value(scale, outcome)
    y = value if value is not None else (scale.range_min if outcome == "below" else scale.range_max)
    opens, closes = q.opens_at.timestamp(), q.closes_at.timestamp()
    close = min(closes, from_iso(resolution["known_at"]).timestamp())
    span = close - opens
    names = sorted(tracks)
    who, starts, ends, cdfs = [], [], [], []
    for i, name in enumerate(names):
        track = tracks[name]
        for j, (t, cdf) in enumerate(track):
            who.append(i)
            starts.append(t)
            ends.append(track[j + 1][0] if j + 1 < len(track) else close)
            cdfs.append(cdf)
    xs = grid(scale)
    values = crps(np.array(cdfs, dtype=float), np.full(len(cdfs), y), xs) / scale.width if cdfs else np.zeros(0)
    fallback = float(crps(uninformed_cdf(len(xs))[None, :], np.array([y]), xs)[0]) / scale.width
    who_a = np.array(who, dtype=np.int64)
    s = np.clip(np.array(starts, dtype=float), opens, close)
    e = np.clip(np.array(ends, dtype=float), opens, close)
    stood = np.maximum(e - s, 0.0)
    person = np.array([names[i] in people for i in who], dtype=bool)
    # instants where the standing set changes; the median holds between consecutive ones
    times = np.unique(np.concatenate([s, e, [opens, close]]))
    med = _median_crps(s, e, values, person, times[:-1], fallback)
    # ∫ median dt from the first instant to each instant; a forecast's integral is a difference of two of these
    cum = np.concatenate([[0.0], np.cumsum(med * np.diff(times))])
    relative = values * stood - (cum[np.searchsorted(times, e)] - cum[np.searchsorted(times, s)])
    stands = {name: _standings(track, bucket) for name, track in tracks.items()}
    base = [st for name in names if name in people for st in stands[name]]
    open_bounds = int(scale.open_lower_bound) + int(scale.open_upper_bound)
    rows = []
    for i, name in enumerate(names):
        mine = who_a == i
        time_in = float(stood[mine].sum())
        own = stands[name]
        peer = sum(x.score for x in peer_accuracy(own, opens, close, closes, base=base)) if base else 0.0
        spot = peer_spot(own[-1:], close - 1e-9, base=base)[0].score if base and own else None
        lifetime = sum(x.coverage for x in baseline_accuracy(own, bucket, open_bounds, opens, close, closes))
        rows.append({
            "question_id": q.id, "forecaster_id": name, "n_forecasts": int(mine.sum()),
            "coverage": time_in / span if span > 0 else 0.0, "coverage_lifetime": lifetime,
            "crps_range": float(np.sum(values[mine] * stood[mine]) / time_in) if time_in > 0 else np.nan,
            "relative_crps": float(relative[mine].sum() / span) if span > 0 else np.nan,
            "peer_continuous": peer, "peer_continuous_close": spot,
        })  # fmt: skip
    return rows


def _standings(track: list[tuple[float, list[float]]], bucket: int) -> list[Standing]:
    return [
        Standing(t, track[i + 1][0] if i + 1 < len(track) else None, max(bucket_mass(cdf, bucket), 1e-12))
        for i, (t, cdf) in enumerate(track)
    ]


def numeric_forecasts(db: Database, known_by: datetime, ids: list[str]) -> pd.DataFrame:
    """The CDF forecasts on these questions recorded and made by `known_by`, in the order scoring expects, with
    the columns leaderboard.one_model folds the model's replay on (seq, question_id, forecaster_id, made_at)."""
    stamp = to_iso(known_by)
    sql = """SELECT id, question_id, forecaster_id, CAST(strftime('%s', made_at) AS REAL), cdf FROM forecasts
             WHERE cdf IS NOT NULL AND recorded_at <= ? AND made_at <= ?
             AND question_id IN (SELECT value FROM json_each(?)) ORDER BY question_id, forecaster_id, made_at, id"""
    rows = db.conn.execute(sql, [stamp, stamp, json.dumps(ids)]).fetchall() if ids else []
    return pd.DataFrame(rows, columns=["seq", "question_id", "forecaster_id", "made_at", "cdf"])


def numeric_rows(
    frame: pd.DataFrame, questions: list[Any], resolutions: dict[str, dict], people: set[str]
) -> list[dict[str, Any]]:
    """question_rows for every question of `questions` from the forecasts `frame` (numeric_forecasts)."""
    by_question: dict[str, dict[str, list[tuple[float, list[float]]]]] = {}
    for qid, who, made, cdf in zip(frame["question_id"], frame["forecaster_id"], frame["made_at"], frame["cdf"],
                                   strict=True):  # fmt: skip
        by_question.setdefault(qid, {}).setdefault(who, []).append((float(made), json.loads(cdf)))
    rows: list[dict[str, Any]] = []
    for q in questions:
        tracks = by_question.get(q.id)
        if tracks:
            rows.extend(question_rows(q, resolutions[q.id], tracks, people))
    return rows
