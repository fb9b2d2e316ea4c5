"""Human column names for the report's score tables, each naming its convention (the keys stay in --json)."""

from __future__ import annotations

HUMAN = {
    "rank": "Rank",
    "forecaster": "Forecaster",
    "forecaster_id": "Forecaster",
    "kind": "Kind",
    "n_questions": "Questions",
    "n_forecasts": "Forecasts",
    "brier_time_avg": "Brier, time-avg (0–1)",
    "brier_time_avg_gj": "Brier, time-avg (GJ ×2, 0–2)",
    "coverage": "Coverage (0–1)",
    "brier_active": "Brier while active",
    "relative_brier": "Brier vs crowd",
    "brier_close": "Brier at close",
    "log_time_avg": "Log score, time-avg",
    "log_close": "Log score at close",
    "baseline_time_avg": "Baseline, time-avg (Metaculus)",
    "baseline_close": "Baseline at close (Metaculus)",
    "bin": "Forecast bin",
    "n": "Forecasts",
    "yes": "Happened",
    "mean_forecast": "Mean forecast",
    "observed": "Observed frequency",
    "ci95_low": "95% low",
    "ci95_high": "95% high",
}


def human(key: str) -> str:
    """A column key as a reader-facing name ('brier_time_avg' → 'Brier, time-avg (0–1)')."""
    return HUMAN.get(key) or key.replace("_", " ").capitalize()
