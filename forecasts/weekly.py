"""The weekly job: record what time passing did (the model's deadline decay, the crowd aggregate), then report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecasts.progress import step
from forecasts.store.db import Database
from forecasts.timeutil import now_utc


def run_weekly(
    db: Database,
    week: str | None = None,
    formats: str = "md,html",
    out: str | Path = "reports",
    questions_root: str | Path = "questions",
    crowd_method: str = "median",
) -> dict[str, Any]:
    """Bring the `bayes` and `crowd` forecasters up to date as of now, then write the report for `week`.

    Both recorders are idempotent, so running the job twice adds nothing; the report itself only reads.
    The counts say what this run recorded and why not more: `model_current` open questions already had a
    `bayes` forecast within the move threshold (evidence adds and imports record one), `crowd_questions`
    questions have people's forecasts to pool.
    """
    from forecasts.aggregate import check_method, record_crowd
    from forecasts.bayes.record import is_open, record_model_forecasts
    from forecasts.questions import all_questions
    from forecasts.report import report_options, write_checked_report

    check_method(crowd_method)
    options = report_options(week, formats, out, questions_root)  # every refusal before the first write
    now = now_utc()
    with step("recording the model's forecasts (time decay)"):
        model = record_model_forecasts(db, now)
        open_ids = [q.id for q in all_questions(db) if is_open(db, q, now)]
    with step("recording the crowd's forecasts"):
        crowd = record_crowd(db, crowd_method)
    with step("writing the report"):
        report = write_checked_report(db, options)
    return {
        "model_forecasts": len(model),
        "model_current": len(open_ids) - len(model),
        "crowd_forecasts": crowd["recorded"],
        "crowd_questions": sum(1 for r in crowd["questions"] if r.get("people")),
        **report,
    }
