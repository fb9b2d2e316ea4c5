"""The weekly job: record what time passing did (the model's deadline decay, the crowd aggregate), then report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from forecasts.timeutil import now_utc


def run_weekly(
    db: sqlite_utils.Database,
    week: str | None = None,
    formats: str = "md,html",
    out: str | Path = "reports",
    questions_root: str | Path = "questions",
    crowd_method: str = "median",
) -> dict[str, Any]:
    """Bring the `bayes` and `crowd` forecasters up to date as of now, then write the report for `week`.

    Both recorders are idempotent, so running the job twice adds nothing; the report itself only reads.
    """
    from forecasts.aggregate import check_method, record_crowd
    from forecasts.bayes.record import record_model_forecasts
    from forecasts.report import check_out_dir, parse_formats, write_report
    from forecasts.timeutil import started_week

    check_method(crowd_method)
    parse_formats(formats)
    started_week(week)  # every refusal before the first write
    check_out_dir(out)
    model = record_model_forecasts(db, now_utc())
    crowd = record_crowd(db, crowd_method)
    report = write_report(db, week, formats, out, questions_root)
    return {"model_forecasts": len(model), "crowd_forecasts": crowd["recorded"], **report}
