"""The weekly report's pooling block: every crowd pool's backtest on the team's resolved binary questions, as
of the report's time (no later outcome), for the chart of each method's difference to the median."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forecasts.store.db import Database


def pooling_block(db: Database, as_of: datetime) -> dict[str, Any]:
    """{"n_questions", "methods": [{method, description, diff, diff_lo, diff_hi, ...}], "favoured", "why"};
    n_questions 0 (and no methods) when no resolved binary question has people's forecasts to pool."""
    has = db.conn.execute(
        """SELECT 1 FROM resolutions r JOIN questions q ON q.id = r.question_id
           JOIN forecasts f ON f.question_id = q.id JOIN forecasters fr ON fr.id = f.forecaster_id
           WHERE q.type = 'binary' AND fr.kind = 'person' LIMIT 1"""
    ).fetchone()
    if not has:  # the common small case: no numpy, no backtest
        return {"n_questions": 0, "methods": [], "favoured": "median", "why": "no resolved question to backtest"}
    from forecasts.pooling.series import backtest_db

    result = backtest_db(db, known_by=as_of, numeric=False)  # the chart is of the binary pools
    if not result["n_questions"]:
        return {"n_questions": 0, "methods": [], "favoured": "median", "why": result["why"]}
    keep = ("method", "description", "n_questions", "brier", "brier_close", "diff", "diff_lo", "diff_hi")
    return {"n_questions": result["n_questions"], "methods": [{k: r[k] for k in keep} for r in result["methods"]],
            "favoured": result["favoured"], "why": result["why"], "seed": result["seed"],
            "bootstrap": result["bootstrap"]}  # fmt: skip
