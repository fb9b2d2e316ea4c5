"""The public library face: every operation a skin (the command line, the team server, a notebook) needs, in one
module. Operations take a `Database` from `connect` and plain values, return plain data (dicts, lists,
dataclasses), and refuse bad input with one error type, `ForecastsError` ("field: problem").

Names resolve on first use (PEP 562), so `from forecasts.api import submit_forecast` imports only what forecasting
needs: interactive commands stay free of pandas, numpy and PyMC. docs/python.md shows a worked example.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from forecasts.errors import ForecastsError

# public name -> (module, name there); grouped by what a skin does
_FACE: dict[str, tuple[str, str]] = {
    # the store
    "connect": ("forecasts.store.db", "connect"),
    "default_db_path": ("forecasts.store.db", "default_db_path"),
    "backup_database": ("forecasts.store.dbtools", "backup_database"),
    "check_file": ("forecasts.store.dbtools", "check_file"),
    "ledger_head": ("forecasts.store.head", "ledger_head"),
    "head_lines": ("forecasts.store.head", "head_lines"),
    "save_head": ("forecasts.store.head", "save_head"),
    "check_file_against": ("forecasts.store.head", "check_file_against"),
    "file_error": ("forecasts.store.db_faults", "file_error"),
    "newer_warning": ("forecasts.store.integrity", "newer_warning"),
    "set_lock_timeout": ("forecasts.store.db_faults", "set_lock_timeout"),
    # sync and questions
    "sync": ("forecasts.sync", "sync"),
    "all_questions": ("forecasts.questions", "all_questions"),
    "get_question": ("forecasts.questions", "get_question"),
    "question_status": ("forecasts.status", "question_status"),
    "question_detail": ("forecasts.status", "question_detail"),
    "latest_per_forecaster": ("forecasts.status", "latest_per_forecaster"),
    "write_template": ("forecasts.question_template", "write_template"),
    "export_questions": ("forecasts.interchange.questions", "export_questions"),
    # forecasts
    "submit_forecast": ("forecasts.forecasting", "submit_forecast"),
    "list_forecasts": ("forecasts.forecasting", "list_forecasts"),
    "iter_forecasts": ("forecasts.forecasting", "iter_forecasts"),
    "forecast_feedback": ("forecasts.feedback", "forecast_feedback"),
    # evidence
    "EvidenceItem": ("forecasts.evidence", "EvidenceItem"),
    "add_evidence": ("forecasts.evidence", "add_evidence"),
    "parse_link_specs": ("forecasts.evidence", "parse_link_specs"),
    "item_links": ("forecasts.evidence", "item_links"),
    "parse_reliability": ("forecasts.evidence", "parse_reliability"),
    "list_evidence": ("forecasts.evidence", "list_evidence"),
    "retract_evidence": ("forecasts.evidence", "retract_evidence"),
    "import_evidence": ("forecasts.evidence", "import_evidence"),
    # resolution
    "resolve": ("forecasts.resolution", "resolve"),
    "unresolve": ("forecasts.resolution", "unresolve"),
    "describe_resolution_row": ("forecasts.resolution", "describe_resolution_row"),
    # scores
    "score_table": ("forecasts.scoring.leaderboard", "score_table"),
    "records": ("forecasts.scoring.leaderboard", "records"),
    "iter_records": ("forecasts.scoring.leaderboard", "iter_records"),
    "write_json_array": ("forecasts.jsonstream", "write_array"),
    "json_finite": ("forecasts.jsonstream", "finite"),
    "write_json_texts": ("forecasts.jsonstream", "write_texts"),
    "json_rows": ("forecasts.scoring.json_rows", "json_rows"),
    "leaderboard": ("forecasts.scoring.leaderboard", "leaderboard"),
    "calibration": ("forecasts.scoring.leaderboard", "calibration"),
    "write_calibration_plot": ("forecasts.scoring.calibration", "write_plot"),
    # models and the crowd
    "record_crowd": ("forecasts.aggregate", "record_crowd"),
    "backtest_db": ("forecasts.pooling.series", "backtest_db"),
    "run_posteriors": ("forecasts.bayes.runs", "run_posteriors"),
    "reconstruct": ("forecasts.reconstruct", "reconstruct"),
    "skill_report": ("forecasts.bayes.skill", "skill_report"),
    "fit_trust": ("forecasts.bayes.trust", "fit_trust"),
    "scenario_probabilities": ("forecasts.scenarios", "scenario_probabilities"),
    # reports
    "write_report": ("forecasts.report", "write_report"),
    "run_weekly": ("forecasts.weekly", "run_weekly"),
    # import and export
    "export": ("forecasts.interchange.roundtrip", "export"),
    "import_path": ("forecasts.interchange.roundtrip", "import_path"),
    "load_dataset": ("forecasts.interchange.datasets", "load"),
    "dataset_summary": ("forecasts.interchange.datasets", "summary_lines"),
    # forecasters and accounts
    "add_forecasters": ("forecasts.forecasters", "add_forecasters"),
    "list_forecasters": ("forecasts.forecasters", "list_forecasters"),
    "identify": ("forecasts.forecasters", "identify"),
    # plain values a skin parses from text
    "now_utc": ("forecasts.timeutil", "now_utc"),
    "parse_datetime": ("forecasts.timeutil", "parse_datetime"),
    # numeric and date questions
    "unknown_option": ("forecasts.numeric.entry", "unknown_option"),
    "submit_percentiles": ("forecasts.numeric.submit", "submit_percentiles"),
    "percentile_flags": ("forecasts.numeric.submit", "percentile_flags"),
    "describe_numeric_forecast": ("forecasts.numeric.submit", "describe"),
    "observation_specs": ("forecasts.numeric.observe", "observation_specs"),
    "numeric_scores": ("forecasts.numeric.scoring", "numeric_scores"),
    "numeric_batch_scores": ("forecasts.numeric.bulk", "batch_scores"),
    "numeric_lines": ("forecasts.numeric.show", "numeric_lines"),
    "observation_text": ("forecasts.numeric.show", "observation_text"),
    "forecast_text": ("forecasts.numeric.show", "forecast_text"),
    "numeric_score_table": ("forecasts.numeric.show", "score_table"),
    # tab completion and what a viewer may see
    "question_ids_starting": ("forecasts.completion", "question_ids_starting"),
    "forecaster_names_starting": ("forecasts.completion", "forecaster_names_starting"),
    "current_viewer": ("forecasts.visibility", "current_viewer"),
    "why_empty": ("forecasts.empty_states", "why_empty"),
    "visible": ("forecasts.visibility", "visible"),
    "visible_rows": ("forecasts.visibility", "visible_rows"),
    "without_replays": ("forecasts.visibility", "without_replays"),
    # the team server: accounts, comments and what its pages show
    "authenticate": ("forecasts.accounts", "authenticate"),
    "check_password": ("forecasts.accounts", "check_password"),
    "may": ("forecasts.accounts", "may"),
    "add_comment": ("forecasts.accounts", "add_comment"),
    "list_comments": ("forecasts.accounts", "list_comments"),
    "question_view": ("forecasts.team", "question_view"),
    "visible_detail": ("forecasts.team", "visible_detail"),
    "closing_soon": ("forecasts.team", "closing_soon"),
    "my_page": ("forecasts.team", "my_page"),
    "weekly_reports": ("forecasts.team", "weekly_reports"),
    "weekly_report_file": ("forecasts.team", "weekly_report_file"),
    "db_file": ("forecasts.store.integrity", "db_file"),
    "history_svg": ("forecasts.report.plots", "history_svg"),
    "Database": ("forecasts.store.db", "Database"),
    "ACTING_ACCOUNT": ("forecasts.os_account", "ACTING_ACCOUNT"),
    "add_user": ("forecasts.accounts", "add_user"),
    "list_users": ("forecasts.accounts", "list_users"),
    "set_role": ("forecasts.accounts", "set_role"),
    "get_user": ("forecasts.accounts", "get_user"),
    "set_password": ("forecasts.accounts", "set_password"),
    "create_token": ("forecasts.accounts", "create_token"),
    "list_tokens": ("forecasts.accounts", "list_tokens"),
    "revoke_tokens": ("forecasts.accounts", "revoke_tokens"),
}

__all__ = ["ForecastsError", *_FACE]


def __getattr__(name: str) -> Any:
    """Import an operation's module on first use and cache the name here."""
    try:
        module, attr = _FACE[name]
    except KeyError:
        raise AttributeError(f"module 'forecasts.api' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what type checkers and editors see: the same objects, imported eagerly
    pass
