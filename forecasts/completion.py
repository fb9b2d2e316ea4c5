"""Names for tab completion, read with one cheap read-only sqlite3 query (no pandas, never creating a database):
question ids and forecaster names starting with what was typed."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def _database() -> Path | None:
    """The database a command would use: FORECASTS_DB, else db/forecasts.db found by walking up (never created)."""
    env = os.environ.get("FORECASTS_DB")
    if env:
        return Path(env) if Path(env).exists() else None
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / "db" / "forecasts.db"
        if candidate.exists():
            return candidate
    return None


def _names(sql: str, incomplete: str) -> list[str]:
    path = _database()
    if path is None:
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [r[0] for r in conn.execute(sql, [incomplete + "%"])]
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def question_ids_starting(incomplete: str) -> list[str]:
    """Question ids starting with what was typed (tab completion)."""
    return _names("SELECT id FROM questions WHERE id LIKE ? ORDER BY id", incomplete)


def forecaster_names_starting(incomplete: str) -> list[str]:
    """Registered forecaster names starting with what was typed (tab completion)."""
    return _names("SELECT id FROM forecasters WHERE id LIKE ? ORDER BY id", incomplete)
