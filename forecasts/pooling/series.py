"""Crowd series of the pooling library's methods for every binary question, as `aggregate` records them: one
pooled value at each event of the people's forecasts, learned pools using only outcomes known before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from forecasts.pooling import backtest
from forecasts.pooling.data import load_panel
from forecasts.store.db import Database

ENGINE_METHODS = ("mean", "trimmed", "neyman", "metaculus", "skill", "learned", "auto")


def iso(seconds: np.ndarray) -> list[str]:
    """Fixed-width UTC texts of seconds since the epoch."""
    return [f"{s}Z" for s in np.asarray(seconds, np.int64).astype("datetime64[s]").astype(str)]


def choose_auto(panel, seed: int = 0, min_forecasters: int = 1) -> dict[str, Any]:
    """The method the panel's own backtest favours (interval excluding zero), else the median, and why."""
    result = backtest.run(panel, seed=seed, min_forecasters=min_forecasters)
    return {"method": result["favoured"], "why": result["why"], "n_questions": result["n_questions"]}


Series = dict[str, tuple[list[str], list[float], list[str]]]


def crowd_series(db: Database, method: str, known_by: datetime, seed: int = 0,
                 min_forecasters: int = 1) -> tuple[Series, dict]:  # fmt: skip
    """{question id: (event times, pooled values, method used per event)} for binary questions, and facts about
    the run (for `auto`: which method and why)."""
    data = load_panel(db, known_by)
    panel = data.panel
    info: dict[str, Any] = {}
    used = method
    if method == "auto":
        info["auto"] = choose_auto(panel, seed, min_forecasters)
        used = info["auto"]["method"]
    values = backtest.method_values(panel, used)
    label = f"{used} (auto: {info['auto']['why']})" if method == "auto" else used
    out: Series = {}
    bounds = np.searchsorted(panel.row_q, np.arange(len(data.question_ids) + 1))
    for i, qid in enumerate(data.question_ids):
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            out[qid] = (iso(panel.row_t[lo:hi]), [float(v) for v in values[lo:hi]], [label] * (hi - lo))
    return out, info


def backtest_db(db: Database, tag: str | None = None, since: str | None = None, min_forecasters: int = 1,
                seed: int = 0, known_by: datetime | None = None, numeric: bool = True) -> dict[str, Any]:  # fmt: skip
    """The backtest of every method on the database's resolved binary questions (optionally with a tag, known
    since a date, with at least min_forecasters people) and, under `numeric`, of the two numeric pools on the
    resolved numeric and date questions; user errors are one-line ForecastsErrors."""
    from forecasts.errors import ForecastsError
    from forecasts.pooling.data import seconds
    from forecasts.timeutil import now_utc, parse_datetime, to_iso

    if min_forecasters < 1:
        raise ForecastsError(f"min-forecasters: {min_forecasters} must be at least 1")
    start = -np.inf if since is None else seconds([to_iso(parse_datetime(since, "since"))])[0]
    known_dt = known_by or now_utc()
    from forecasts.progress import step

    # the first run after an install compiles the learned pools' loops (numba, cached on disk): say so
    with step("backtesting the crowd pools (a first run compiles for some seconds)"):
        panel = load_panel(db, known_dt, tag).panel
        result = backtest.run(panel, seed=seed, min_forecasters=min_forecasters, since=start)
        if numeric:
            from forecasts.pooling.numeric import numeric_backtest

            result["numeric"] = numeric_backtest(db, known_dt, tag, start, min_forecasters, seed)
    result.update({"known_by": to_iso(known_dt), "tag": tag, "since": since, "min_forecasters": min_forecasters})
    return result
