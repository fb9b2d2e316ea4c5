"""Forecasters: people (created on first forecast), the model `bayes` and the aggregate `crowd`."""

from __future__ import annotations

from forecasts.db import Database
from forecasts.errors import ForecastsError
from forecasts.timeutil import now_utc, to_iso
from forecasts.validation import NAME_PATTERN, check_row

MODEL = "bayes"
CROWD = "crowd"
RESERVED = {MODEL: "model", CROWD: "aggregate"}


def ensure_forecaster(db: Database, name: str, kind: str = "person") -> str:
    """Create the forecaster if new (inside the caller's transaction); people may not take reserved names."""
    if not NAME_PATTERN.match(name or ""):
        raise ForecastsError(
            f"by: {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter/digit"
        )
    if kind == "person" and name in RESERVED:
        raise ForecastsError(f"by: {name!r} is reserved for the {RESERVED[name]}; choose another name")
    row = {"id": name, "kind": kind, "created_at": to_iso(now_utc())}
    check_row("forecasters", row)
    db.conn.execute("INSERT OR IGNORE INTO forecasters (id, kind, created_at) VALUES (?, ?, ?)", list(row.values()))
    return name


def get_forecaster(db: Database, name: str) -> dict:
    """One forecaster by name, or a user error listing the known ones."""
    row = db.conn.execute("SELECT id, kind, created_at FROM forecasters WHERE id = ?", [name]).fetchone()
    if row is None:
        known = [r[0] for r in db.conn.execute("SELECT id FROM forecasters ORDER BY id")]
        raise ForecastsError(f"forecaster: unknown name {name!r}; known: {', '.join(known) or 'none yet'}")
    return {"id": row[0], "kind": row[1], "created_at": row[2]}
