"""The store of model fits (`skill_runs`): the calibration and evidence-trust models append a fit and read the newest
back; one home for both models, so neither imports the other for it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.store.db import Database, insert_row, write_transaction
from forecasts.timeutil import now_utc, to_iso


def check_int(value: int, fld: str, lo: int, hi: int) -> int:
    """A sampler setting (draws, chains, seed…) as a whole number in [lo, hi], else a one-line error naming it."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ForecastsError(f"{fld}: {value!r} must be a whole number from {lo} to {hi}")
    return value


def store_run(db: Database, model: str, as_of: datetime, result: dict[str, Any], fit_info: dict) -> int:
    """Append one fit to `skill_runs` (model 'calibration' or 'trust')."""
    with write_transaction(db):
        return insert_row(
            db,
            "skill_runs",
            {
                "model": model,
                "as_of": to_iso(as_of),
                "recorded_at": to_iso(now_utc()),
                "method": fit_info.get("method", ""),
                "settings": json.dumps(fit_info.get("settings", {}), sort_keys=True),
                "n_forecasts": int(fit_info.get("n_forecasts", 0)),
                "n_questions": int(fit_info.get("n_questions", 0)),
                "rhat_max": fit_info.get("rhat_max"),
                "ess_min": fit_info.get("ess_min"),
                "divergences": fit_info.get("divergences"),
                "seconds": float(fit_info.get("seconds", 0.0)),
                "summary": json.dumps(result, sort_keys=True),
            },
        )


def latest_run(
    db: Database,
    model: str = "calibration",
    known_by: datetime | None = None,
    as_of_by: datetime | None = None,
) -> dict[str, Any] | None:
    """The newest stored fit recorded by `known_by` (and, optionally, using data only up to `as_of_by`)."""
    sql = "SELECT * FROM skill_runs WHERE model = ? AND recorded_at <= ?"
    params: list = [model, to_iso(known_by or now_utc())]
    if as_of_by is not None:
        sql += " AND as_of <= ?"
        params.append(to_iso(as_of_by))
    rows = list(db.query(sql + " ORDER BY as_of DESC, id DESC LIMIT 1", params))
    if not rows:
        return None
    row = rows[0]
    return row | {"summary": json.loads(row["summary"]), "settings": json.loads(row["settings"])}


def skill_runs(db: Database, model: str = "calibration", known_by: datetime | None = None) -> list[dict]:
    """Every stored fit recorded by `known_by`, oldest first."""
    rows = db.query(
        "SELECT * FROM skill_runs WHERE model = ? AND recorded_at <= ? ORDER BY as_of, id",
        [model, to_iso(known_by or now_utc())],
    )
    return [r | {"summary": json.loads(r["summary"]), "settings": json.loads(r["settings"])} for r in rows]
