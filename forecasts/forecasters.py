"""Forecasters: people (created on first forecast), the model `bayes` and the aggregate `crowd`."""

from __future__ import annotations

import re

import sqlite_utils

from forecasts.errors import ForecastsError
from forecasts.timeutil import now_utc, to_iso

MODEL = "bayes"
CROWD = "crowd"
RESERVED = {MODEL: "model", CROWD: "aggregate", "bayes-reconstructed": "model"}  # the last: forecasts.reconstruct
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def ensure_forecaster(db: sqlite_utils.Database, name: str, kind: str = "person") -> str:
    """Create the forecaster if new (inside the caller's transaction); people may not take reserved names."""
    if not NAME_PATTERN.match(name or ""):
        raise ForecastsError(
            f"by: {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter/digit"
        )
    if kind == "person" and name in RESERVED:
        raise ForecastsError(f"by: {name!r} is reserved for the {RESERVED[name]}; choose another name")
    db.conn.execute(
        "INSERT OR IGNORE INTO forecasters (id, kind, created_at) VALUES (?, ?, ?)", [name, kind, to_iso(now_utc())]
    )
    return name


def get_forecaster(db: sqlite_utils.Database, name: str) -> dict:
    """One forecaster by name, or a user error listing the known ones."""
    row = db.conn.execute("SELECT id, kind, created_at FROM forecasters WHERE id = ?", [name]).fetchone()
    if row is None:
        known = [r[0] for r in db.conn.execute("SELECT id FROM forecasters ORDER BY id")]
        raise ForecastsError(f"forecaster: unknown name {name!r}; known: {', '.join(known) or 'none yet'}")
    return {"id": row[0], "kind": row[1], "created_at": row[2]}
