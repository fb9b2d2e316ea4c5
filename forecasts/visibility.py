"""Who may see which forecasts: `hide-crowd` honoured on every path that lists forecasts, and replays kept apart.

On a question tagged `hide-crowd`, someone who has not forecast it yet sees no other person's or aggregate's
forecast (nor rationale), only the model's; the viewer is the current identity (FORECASTS_USER, forecasts.toml
`user`, or the registered OS login), never a `--by` filter. Pure Python over sqlite3: interactive commands use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.feedback import HIDE_CROWD_TAG
from forecasts.forecasters import RECONSTRUCTED, identify
from forecasts.store.db import Database


def current_viewer(db: Database) -> str:
    """The current identity's registered name, or '' when none can be told (then every hidden crowd stays hidden)."""
    try:
        return identify(db, None, required=False)
    except ForecastsError:  # an unregistered FORECASTS_USER: nobody known, so nothing hidden is shown
        return ""


def hidden_questions(db: Database, viewer: str) -> set[str]:
    """Questions tagged hide-crowd on which `viewer` has made no forecast yet (all of them for an unknown viewer)."""
    sql = "SELECT q.id FROM questions q, json_each(q.tags) t WHERE t.value = ?"
    tagged = {r[0] for r in db.conn.execute(sql, [HIDE_CROWD_TAG])}
    if not tagged or not viewer:
        return tagged
    mine = {r[0] for r in db.conn.execute("SELECT DISTINCT question_id FROM forecasts WHERE forecaster_id = ?",
                                          [viewer])}  # fmt: skip
    return tagged - mine


def visible(db: Database, rows: list[dict[str, Any]], viewer: str) -> tuple[list[dict[str, Any]], int]:
    """(the rows `viewer` may see, how many were withheld): on a hidden question only their own and the model's."""
    hidden = hidden_questions(db, viewer)
    if not hidden:
        return rows, 0
    kinds = dict(db.conn.execute("SELECT id, kind FROM forecasters").fetchall())
    keep = [r for r in rows if r["question_id"] not in hidden or r["forecaster_id"] == viewer
            or kinds.get(r["forecaster_id"]) == "model"]  # fmt: skip
    return keep, len(rows) - len(keep)


def visible_rows(
    db: Database, rows: Iterable[dict[str, Any]], viewer: str, replays: bool = True
) -> Iterator[dict[str, Any]]:
    """`visible` (and, unless `replays`, `without_replays`) one row at a time, for output that streams: the
    viewer's hidden questions (a small set) are read first, then each row is kept or left out as it comes."""
    hidden = hidden_questions(db, viewer)
    kinds = dict(db.conn.execute("SELECT id, kind FROM forecasters").fetchall()) if hidden else {}
    for r in rows:
        if not replays and r["forecaster_id"] == RECONSTRUCTED:
            continue
        if r["question_id"] in hidden and r["forecaster_id"] != viewer and kinds.get(r["forecaster_id"]) != "model":
            continue
        yield r


def without_replays(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """(rows without the model's replayed history, how many were left out): listings show it on request only."""
    keep = [r for r in rows if r["forecaster_id"] != RECONSTRUCTED]
    return keep, len(rows) - len(keep)
