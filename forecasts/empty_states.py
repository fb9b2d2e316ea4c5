"""What to say when a scores or calibration table is empty: why, and what to do next (plain sqlite3, no pandas)."""

from __future__ import annotations

from forecasts.resolution import UNSCORED, all_resolutions
from forecasts.store.db import Database


def _resolved(db: Database) -> list[str]:
    """Questions standing resolved to a scorable outcome (not ambiguous or annulled)."""
    return sorted(q for q, r in all_resolutions(db).items() if r["outcome"] not in UNSCORED)


def why_empty(db: Database, forecaster: str | None = None) -> str:
    """One or two sentences for an empty scores table: no resolution yet, or no forecast made before one."""
    resolved = _resolved(db)
    if not resolved:
        return ("Nothing to score yet: no question has resolved. Scores appear once one does: "
                "`forecasts resolve QUESTION OUTCOME --known-at DATE`.")  # fmt: skip
    who = forecaster or "anyone"
    return (f"Nothing to score yet: {len(resolved)} question{'' if len(resolved) == 1 else 's'} resolved "
            f"({', '.join(resolved[:5])}{', …' if len(resolved) > 5 else ''}), but {who} made no forecast on "
            "them before the truth was known (later forecasts are kept, never scored). Forecast open questions "
            "(`forecasts questions list`) and scores follow as they resolve.")  # fmt: skip
