"""One name, one header and one description per score, shared by score, leaderboard, calibration and the report.

Field names are the stable `--json` keys (docs/scores.md); headers are words naming the convention, so the same
number reads the same wherever it is shown. Nothing here imports numpy or pandas.
"""

from __future__ import annotations

# per question × forecaster (scoring.score_forecasts / `forecasts score`): field -> (header, description)
SCORE_FIELDS: dict[str, tuple[str, str]] = {
    "n_forecasts": ("Forecasts", "forecasts made (count)"),
    "brier": (
        "Brier (time-avg, GJO)",
        "mean Brier over the time your forecasts stood, up to min(close, truth known); Good Judgment Open's mean "
        "daily Brier in continuous time (p−o)² ((p−r)² for a question resolved to a probability r), "
        "binary/ordered 0–1, categorical 0–2, lower is better",
    ),
    "brier_gj": (
        "Brier ×2 (GJO/Fatebook)",
        "the same Brier in Good Judgment Open's and Fatebook's two-sided convention (binary and ordered ×2, 0–2)",
    ),
    "coverage": ("Coverage", "share of [opens, min(close, truth known)) with a standing forecast (0–1)"),
    "relative_brier": (
        "Relative Brier (Fatebook)",
        "∫ over your active time of (your Brier − median of the people's Briers at that instant) ÷ the scored "
        "span; 0 while you have no forecast; negative beats the people (GJ Open accuracy, Fatebook relative)",
    ),
    "relative_brier_gj": (
        "Relative Brier ×2 (Fatebook)",
        "relative Brier in the two-sided ×2 convention, as Fatebook and GJ Open print it",
    ),
    "peer": (
        "Peer (Metaculus)",
        "Metaculus peer score 100·n/(n−1)·ln(p / geometric mean of the people's p), time-averaged over the "
        "scheduled lifetime (0 where you had no forecast; p clamped to [0.001, 0.999]; for a question resolved to a "
        "probability r its expectation under r); higher is better, the people average 0",
    ),
    "peer_close": ("Peer at close (Metaculus)", "Metaculus spot peer score of the forecast standing at close"),
    "coverage_lifetime": (
        "Coverage of lifetime (Metaculus)",
        "share of the scheduled lifetime [opens, close) with a standing forecast (0–1)",
    ),
    "brier_close": ("Brier at close", "Brier of the forecast standing at min(close, truth known), (p−o)²"),
    "brier_fixed_lifetime": (
        "Brier (fixed lifetime)",
        "time-averaged Brier over the whole scheduled lifetime, uninformed forecast (0.25 binary) where none "
        "stood; proper for 'by date' questions, which resolve yes early but no only at the deadline",
    ),
    "log": (
        "Log score (time-avg)",
        "mean −ln p of the outcome while your forecasts stood (p clamped to [0.001, 0.999]; for a question resolved "
        "to a probability r its expectation under r)",
    ),
    "log_close": ("Log score at close", "−ln p of the outcome of the forecast standing at close"),
    "baseline": (
        "Baseline (Metaculus)",
        "Metaculus baseline score 100·(log_K p + 1), time-averaged over the scheduled lifetime (p clamped to "
        "[0.001, 0.999]; for a question resolved to a probability r its expectation under r); higher is better",
    ),
    "baseline_close": ("Baseline at close (Metaculus)", "Metaculus baseline score of the forecast standing at close"),
}

# derived per question × forecaster by leaderboard.score_table (not a kernel column)
DERIVED_SCORE_FIELDS: dict[str, tuple[str, str]] = {
    "relative_brier_own": (
        "Relative Brier (own period)",
        "your Brier minus the people's median Brier over the time your forecasts stood (relative Brier ÷ "
        "coverage): the days before your first forecast are not filled with the people's; negative beats them",
    ),
}

# numeric and date questions' own columns in the same table (forecasts.numeric.board): Brier and CRPS are different
# scales, so a numeric row leaves the Brier columns empty and a yes/no row these
NUMERIC_SCORE_FIELDS: dict[str, tuple[str, str]] = {
    "crps_range": (
        "CRPS ÷ range (time-avg)",
        "continuous ranked probability score of your CDF at the outcome divided by the range width, averaged over "
        "the time your forecasts stood within [opens, min(close, truth known)); 0 is perfect, lower is better",
    ),
    "relative_crps": (
        "Relative CRPS (range-normalised)",
        "∫ over your active time of (your CRPS ÷ range − median of the people's at that instant) ÷ the scored "
        "span, as the relative Brier; 0 while you have no forecast; negative beats the people",
    ),
    "peer_continuous": (
        "Peer (Metaculus continuous, log)",
        "Metaculus continuous peer score 100·n/(n−1)·ln(p / geometric mean of the people's p) ÷ 2, p the CDF's mass "
        "in the outcome's bucket (1 of 200, or beyond a bound), time-averaged over the scheduled lifetime; higher "
        "is better, the people average 0",
    ),
    "peer_continuous_close": (
        "Peer at close (Metaculus continuous, log)",
        "Metaculus continuous spot peer score of the forecast standing at close",
    ),
}

# across questions (leaderboard.leaderboard / `forecasts leaderboard`)
LEADERBOARD_FIELDS: dict[str, tuple[str, str]] = {
    "rank": (
        "Rank",
        "rank by the ranking score (1 = best); people first, then the model and aggregates, so no model ranks "
        "above a person by a head start",
    ),
    "forecaster": ("Forecaster", "forecaster"),
    "kind": ("Kind", "person, model or aggregate (only people form the median and geometric mean)"),
    "n_questions": ("Questions", "resolved yes/no and categorical questions scored (count)"),
    "n_numeric": ("Numeric questions", "resolved numeric and date questions scored (count)"),
    "relative_brier_own": (
        "Relative Brier (own period)",
        "mean relative Brier over the time each forecaster's forecasts stood (the headline; negative beats the people)",
    ),
    "relative_brier": (
        "Relative Brier (Fatebook)",
        "mean relative Brier over the questions (negative beats the people)",
    ),
    "peer": ("Peer (Metaculus)", "mean Metaculus peer score over the questions (higher is better)"),
    "brier": ("Brier (time-avg, GJO)", "mean of the per-question headline Brier (raw: depends on the questions taken)"),
    "brier_adjusted": (
        "Brier (adjusted for difficulty)",
        "a_f + mean(b_q) of the two-way fixed-effects fit Brier_fq = a_f + b_q over all forecasters "
        "(ForecastBench's method): the Brier on an average question",
    ),
    "n_questions_adjusted": (
        "Questions (adjusted)",
        "questions behind the difficulty-adjusted Brier (those some person answered, so their difficulty is known)",
    ),
    "brier_close": ("Brier at close", "mean Brier of the forecast standing at close"),
    "peer_close": ("Peer at close (Metaculus)", "mean Metaculus spot peer score at close"),
    "coverage": ("Coverage", "mean share of the scored spans with a standing forecast (0–1), all questions"),
    "relative_crps": (
        "Relative CRPS (range-normalised)",
        "mean relative CRPS over the numeric and date questions (negative beats the people)",
    ),
    "peer_continuous": (
        "Peer (Metaculus continuous, log)",
        "mean Metaculus continuous peer score over the numeric and date questions (higher is better)",
    ),
    "crps_range": (
        "CRPS ÷ range (time-avg)",
        "mean of the per-question CRPS ÷ range width over the numeric and date questions (raw: depends on the "
        "questions taken)",
    ),
}

RANKINGS = {"own": "relative_brier_own", "relative": "relative_brier", "peer": "peer", "adjusted": "brier_adjusted",
            "crps": "relative_crps", "peer-continuous": "peer_continuous"}

# calibration (Murphy decomposition of the forecasts standing at close, categorical outcomes unfolded)
CALIBRATION_FIELDS: dict[str, tuple[str, str]] = {
    "brier": ("Brier at close (unfolded)", "mean (p−o)² of the forecasts standing at close, one per outcome"),
    "brier_binned": ("Brier of bin means", "the same with each forecast replaced by its bin's mean forecast"),
    "reliability": ("Reliability", "calibration error (lower is better)"),
    "resolution": ("Resolution", "how far the bins' outcomes are from the base rate (higher is better)"),
    "uncertainty": ("Uncertainty", "base rate × (1 − base rate)"),
}

# what the report's table of a resolved question shows, in order (a numeric or date question: the second)
REPORT_SCORE_FIELDS = ("forecaster_id", "n_forecasts", "brier", "coverage", "relative_brier_own", "relative_brier",
                       "peer", "brier_close", "brier_fixed_lifetime")  # fmt: skip
REPORT_NUMERIC_SCORE_FIELDS = ("forecaster_id", "n_forecasts", "crps_range", "coverage", "relative_crps",
                               "peer_continuous", "peer_continuous_close")  # fmt: skip
# the leaderboard's numeric and date columns, left out of the report while no such question is scored
NUMERIC_LEADERBOARD_FIELDS = ("n_numeric", "relative_crps", "peer_continuous", "crps_range")


def header(field: str) -> str:
    """The column header of a score field (the field name itself when it is not a score)."""
    for table in (SCORE_FIELDS, DERIVED_SCORE_FIELDS, NUMERIC_SCORE_FIELDS, LEADERBOARD_FIELDS, CALIBRATION_FIELDS):
        if field in table:
            return table[field][0]
    return field


def described(fields: dict[str, tuple[str, str]]) -> dict[str, str]:
    """field -> "Header: description", the label the report and docs print."""
    return {k: f"{h}: {d}" for k, (h, d) in fields.items()}
