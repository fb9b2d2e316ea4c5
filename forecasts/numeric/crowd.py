"""The crowd on numeric and date questions, recorded as aggregate forecasters at every change of the people's
standing forecasts: `crowd` (the mean of their CDFs, as Metaculus pools continuous forecasts) and
`crowd-quantiles` (the median of their quantiles)."""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.numeric.cdf import EVAL_LOCS, check_cdf, standardize_cdf
from forecasts.numeric.scale import Scale
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, to_iso

MEAN_OF_CDFS = "crowd"
MEDIAN_OF_QUANTILES = "crowd-quantiles"
LEVELS = [p / 2 for p in range(1, 200)]  # 0.5% .. 99.5%: the quantiles whose median is taken


def mean_cdf(cdfs: list[list[float]]) -> list[float]:
    """Pointwise mean of CDFs (a valid CDF if each one is: every rule is kept by an average)."""
    n = len(cdfs)
    return [round(sum(c[i] for c in cdfs) / n, 10) for i in range(len(cdfs[0]))]


def _valid(cdf: list[float], scale: Scale) -> list[float]:
    try:
        check_cdf(cdf, scale)
        return cdf
    except ForecastsError:
        return standardize_cdf(cdf, scale)


def quantile_table(cdf: list[float]) -> list[float]:
    """cdf.ppf at every level of LEVELS, in one walk along the CDF (the levels rise, so each search starts where
    the previous one stopped): the same values as calling ppf per level, in a hundredth of the time."""
    n = len(cdf)
    lo, hi = cdf[0] * 100, cdf[-1] * 100
    out, i = [], 0
    for percent in LEVELS:
        if percent < lo:
            out.append(0.0)
            continue
        if percent >= hi:
            out.append(1.0)
            continue
        u = 1.0
        while i < n - 1:
            left, right = cdf[i] * 100, cdf[i + 1] * 100
            if left == percent:
                u = i / (n - 1)
                break
            if left < percent < right:
                u = (i + (percent - left) / (right - left)) / (n - 1)
                break
            i += 1
        out.append(u)
    return out


def median_of_quantiles(cdfs: list[list[float]], scale: Scale, tables: list[list[float]] | None = None) -> list[float]:
    """The CDF whose quantiles are the medians of everyone's (Vincentization by the median), with the median mass
    beyond each bound, made valid by the front end's standardisation if needed. `tables`: each CDF's
    quantile_table, if the caller keeps them (a CDF standing through many events is walked once)."""
    tables = tables if tables is not None else [quantile_table(c) for c in cdfs]
    below = statistics.median(c[0] for c in cdfs)
    above = statistics.median(1 - c[-1] for c in cdfs)
    points = [(0.0, below)]
    for j, level in enumerate(LEVELS):
        p = level / 100
        if below < p < 1 - above:
            u = statistics.median(t[j] for t in tables)
            if points[-1][0] < u < 1 and p > points[-1][1]:
                points.append((u, p))
    points.append((1.0, 1 - above))
    cdf = []
    j = 0
    for x in EVAL_LOCS:
        while j < len(points) - 2 and x > points[j + 1][0]:
            j += 1
        (x0, y0), (x1, y1) = points[j], points[j + 1]
        cdf.append(round(y0 + (y1 - y0) * (x - x0) / (x1 - x0), 10))
    return _valid(cdf, scale)


def _people_rows(db: Database, qid: str, known: str) -> list[tuple[str, str, list[float]]]:
    sql = """SELECT f.forecaster_id, f.made_at, f.cdf FROM forecasts f JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE fr.kind = 'person' AND f.question_id = ? AND f.cdf IS NOT NULL AND f.recorded_at <= ?
               AND f.made_at <= ? ORDER BY f.made_at, f.id"""
    return [(who, made, json.loads(cdf)) for who, made, cdf in db.conn.execute(sql, [qid, known, known])]


def _last(db: Database, qid: str, name: str) -> dict[str, tuple[str, list[float]]]:
    row = db.conn.execute(
        "SELECT made_at, cdf FROM forecasts WHERE question_id = ? AND forecaster_id = ? AND cdf IS NOT NULL "
        "ORDER BY made_at DESC, id DESC LIMIT 1",
        [qid, name],
    ).fetchone()
    return {} if row is None else {"made_at": row[0], "cdf": json.loads(row[1])}


def record_numeric_crowd(db: Database, questions: list[Any], known_by: datetime) -> dict[str, Any]:
    """For each numeric question, record both crowds at every instant the people's standing forecasts changed
    after the crowd's last row (inside the caller's transaction)."""
    from forecasts.forecasters import ensure_forecaster
    from forecasts.forecasting import submit_forecast
    from forecasts.resolution import all_resolutions

    known = to_iso(known_by)
    resolved = all_resolutions(db, known_by)
    out: dict[str, Any] = {"recorded": 0, "questions": []}
    for q in questions:
        rows = _people_rows(db, q.id, known)
        if not rows:
            continue
        res = resolved.get(q.id)
        end = min(q.closes_at, from_iso(res["known_at"])) if res else q.closes_at
        recorded = 0
        for name, pool in ((MEAN_OF_CDFS, lambda cs, s: mean_cdf(cs)), (MEDIAN_OF_QUANTILES, median_of_quantiles)):
            ensure_forecaster(db, name, kind="aggregate")
            last = _last(db, q.id, name)
            standing: dict[str, list[float]] = {}
            for i, (who, made, cdf) in enumerate(rows):
                standing[who] = cdf
                if i + 1 < len(rows) and rows[i + 1][1] == made:
                    continue  # several rows at one instant: pool once, after the last
                if from_iso(made) >= end or (last and made <= last["made_at"]):
                    continue
                value = pool(list(standing.values()), q.scale)
                if last and value == last["cdf"]:
                    continue
                how = "mean of CDFs" if name == MEAN_OF_CDFS else "median of quantiles"
                submit_forecast(db, q.id, None, name, rationale=f"{how} of {len(standing)} people's standing forecasts",
                                made_at=from_iso(made), kind="aggregate", backfill=True, cdf=value,
                                numeric_input={"method": how, "people": len(standing)})  # fmt: skip
                last = {"made_at": made, "cdf": value}
                recorded += 1
        out["recorded"] += recorded
        out["questions"].append({"question": q.id, "people": len({r[0] for r in rows}), "recorded": recorded})
    return out
