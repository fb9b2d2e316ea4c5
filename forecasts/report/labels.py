"""Human column names for the report's tables: score fields take their header from forecasts.score_labels (one
name per meaning, the convention named, as `score` and `leaderboard` print it); the keys stay in --json."""

from __future__ import annotations

from forecasts.score_labels import header

HUMAN = {
    "forecaster_id": "Forecaster",
    "bin": "Forecast bin",
    "n": "Forecasts",
    "yes": "Happened",
    "mean_forecast": "Mean forecast",
    "observed": "Observed frequency",
    "ci95_low": "95% low",
    "ci95_high": "95% high",
}


def human(key: str) -> str:
    """A column key as a reader-facing name ('relative_brier' → 'Relative Brier (Fatebook)')."""
    named = header(key)
    if named != key:
        return named
    return HUMAN.get(key) or key.replace("_", " ").capitalize()


def meaning(key: str, label: str) -> str:
    """A column's description without its header in front ('Coverage: share of ...' → 'share of ...'), for a
    legend that already names the column."""
    prefix = f"{human(key)}: "
    return label[len(prefix) :] if label.startswith(prefix) else label
