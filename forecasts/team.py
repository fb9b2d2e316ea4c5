"""What the team server shows: a question as one viewer may see it (crowd hidden until they forecast where the
question says so), its chart, questions closing soon, a person's own page and the weekly reports on disk.

Library code (the web layer only renders these dicts); numpy is used by the chart, so the CLI never imports this.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.feedback import HIDE_CROWD_TAG
from forecasts.store.db import Database
from forecasts.timeutil import now_utc, to_iso

CLOSING_SOON_DAYS = 14
WEEK_FILE = r"^\d{4}-W\d{2}\.(md|html)$"


def has_forecast(db: Database, question_id: str, name: str) -> bool:
    row = db.conn.execute(
        "SELECT 1 FROM forecasts WHERE question_id = ? AND forecaster_id = ? LIMIT 1", [question_id, name]
    ).fetchone()
    return row is not None


def crowd_hidden(db: Database, q: Any, viewer: str) -> bool:
    """Whether the others' forecasts are hidden from `viewer`: the question is tagged hide-crowd and they have not
    forecast on it yet."""
    return HIDE_CROWD_TAG in q.tags and not has_forecast(db, q.id, viewer)


def question_chart(db: Database, q: Any, forecasts: list[dict[str, Any]], resolution: dict | None) -> dict[str, Any]:
    """The report's recent-weeks chart data (model, crowd, each person) for one question, as of now."""
    from forecasts.probabilities import active_links, probability_from_links
    from forecasts.report.build import _arrays
    from forecasts.report.history import chart

    now = now_utc()
    links = active_links(db, now, [q.id]).get(q.id, [])
    rows = [{"forecaster": f["forecaster_id"], "kind": f["kind"], "made_at": f["made_at"],
             "probability": f["probability"], "probabilities": f["probabilities"]} for f in forecasts]  # fmt: skip
    return chart(q, _arrays(q, links), rows, probability_from_links(q, links, now), now, resolution)


def visible_detail(db: Database, question_id: str, viewer: str, kinds: bool = False) -> dict[str, Any]:
    """`questions show`'s detail as `viewer` may see it: while the crowd is hidden from them, only their own and
    the model's forecasts (then `crowd_hidden` is true). With `kinds`, each forecast carries its forecaster's kind."""
    from forecasts.questions import get_question
    from forecasts.status import question_detail

    detail = question_detail(db, question_id)
    kind_of = dict(db.conn.execute("SELECT id, kind FROM forecasters").fetchall())
    if crowd_hidden(db, get_question(db, question_id), viewer):
        mine_or_model = (viewer, *(name for name, kind in kind_of.items() if kind == "model"))
        detail["forecasts"] = [f for f in detail["forecasts"] if f["forecaster_id"] in mine_or_model]
        detail["crowd_hidden"] = True
    if kinds:
        for f in detail["forecasts"]:
            f["kind"] = kind_of.get(f["forecaster_id"], "person")
    return detail


def question_view(db: Database, question_id: str, viewer: str) -> dict[str, Any]:
    """The question page: the visible detail, the standing forecasts, the comments and the chart."""
    from forecasts.accounts import list_comments
    from forecasts.questions import get_question
    from forecasts.status import latest_per_forecaster as standing_forecasts

    detail = visible_detail(db, question_id, viewer, kinds=True)
    q = get_question(db, question_id)
    detail["crowd_hidden"] = detail.get("crowd_hidden", False)
    detail["standing"] = standing_forecasts(detail["forecasts"])
    detail["comments"] = list_comments(db, q.id)
    if q.is_numeric:
        from forecasts.numeric.show import observation_text

        detail["fan"] = numeric_view(db, q, detail["forecasts"])
        detail["chart"] = None
        for link in (lk for e in detail["evidence"] for lk in e["links"]):
            if link["question"] == q.id and link.get("value") is not None:  # a date: the date ± days, not seconds
                link["shown"] = observation_text(detail, link).replace("value ", "observed ", 1)
    else:
        detail["chart"] = question_chart(db, q, detail["forecasts"], detail["resolution"])
    return detail


def numeric_view(db: Database, q: Any, forecasts: list[dict[str, Any]]) -> dict[str, Any]:
    """A numeric or date question's page: the report's block as of now (the model's median and 10-90% interval
    now and a week ago, observations, fan chart); each forecast row already reads 'median (p10 to p90)'.

    The fan chart draws only the people whose forecasts `forecasts` holds (hide-crowd applies to it too)."""
    from forecasts.report.numeric import numeric_blocks

    now = now_utc()
    blocks = numeric_blocks(db, [q], now - timedelta(days=7), now, only={f["forecaster_id"] for f in forecasts})
    return blocks[0] if blocks else {"chart": "", "now_text": "—", "week_ago_text": "—", "observations": []}


def closing_soon(rows: list[dict[str, Any]], days: int = CLOSING_SOON_DAYS) -> list[dict[str, Any]]:
    """Open questions (status rows) closing within `days`, soonest first."""
    limit = to_iso(now_utc() + timedelta(days=days))
    return sorted((r for r in rows if r["state"] == "open" and r["closes_at"] <= limit), key=lambda r: r["closes_at"])


def my_page(db: Database, name: str) -> dict[str, Any]:
    """A person's standing forecasts, their scores on resolved questions and their calibration table (the
    forecasts standing at each scored question's close, in percent bins)."""
    from forecasts.forecasting import list_forecasts
    from forecasts.scoring.leaderboard import calibration, records, score_table
    from forecasts.status import latest_per_forecaster as standing_forecasts

    mine = list_forecasts(db, by=name)
    by_question: dict[str, list[dict[str, Any]]] = {}
    for f in mine:
        by_question.setdefault(f["question_id"], []).append(f)
    standing = [standing_forecasts(fs)[-1] for fs in by_question.values()]
    try:
        scores = records(score_table(db, by=name))
        calib = calibration(db, name)["table"]
    except ForecastsError:
        scores, calib = [], []
    return {"name": name, "forecasts": sorted(standing, key=lambda f: f["made_at"], reverse=True),
            "n_forecasts": len(mine), "scores": scores, "calibration": calib}  # fmt: skip


def weekly_reports(folder: Path) -> list[dict[str, Any]]:
    """The weekly reports written to `folder` (newest week first): week and the formats present."""
    import re

    weeks: dict[str, list[str]] = {}
    if folder.is_dir():
        for p in folder.iterdir():
            if re.match(WEEK_FILE, p.name):
                weeks.setdefault(p.stem, []).append(p.suffix[1:])
    return [{"week": w, "formats": sorted(f)} for w, f in sorted(weeks.items(), reverse=True)]


def weekly_report_file(folder: Path, week: str, fmt: str) -> Path:
    """The file of one weekly report; the week and format are checked against a strict pattern (no paths)."""
    import re

    name = f"{week}.{fmt}"
    if not re.match(WEEK_FILE, name):
        raise ForecastsError(f"week: {week!r} must be an ISO week like 2026-W07 (format md or html)")
    path = folder / name
    if not path.is_file():
        raise ForecastsError(f"week: no {fmt} report for {week}")
    return path
