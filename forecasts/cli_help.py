"""What `--help` adds to each command: an example to copy, and tab completion of question ids and forecaster names.

Kept apart from the commands (forecasts/cli.py) so the skin stays thin: `add_examples(app)` appends an example to
each command's help, and the completion callbacks read the database with one cheap sqlite3 query (no pandas).
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, str] = {
    "sync": "forecasts sync --questions questions",
    "status": "forecasts status --json",
    "forecast": 'forecasts forecast ceasefire-current-lines 12% --by alice --rationale "no talks scheduled"',
    "forecast-list": "forecasts forecast-list --by alice --full",
    "comment": 'forecasts comment talks-start "the envoys meet again on Friday" --by alice',
    "resolve": 'forecasts resolve talks-start 2025-04-to-2025-12 --known-at 2025-05-16 --source "AP, Reuters"',
    "unresolve": 'forecasts unresolve talks-start --note "wrong meeting"',
    "score": "forecasts score --by alice --tag negotiations",
    "leaderboard": "forecasts leaderboard --min-questions 5 --rank-by peer",
    "calibration": "forecasts calibration alice --plot alice.svg",
    "posterior": "forecasts posterior ceasefire-current-lines",
    "skill": "forecasts skill --method advi",
    "aggregate": "forecasts aggregate --method extremized",
    "trust": "forecasts trust --json",
    "scenarios": "forecasts scenarios",
    "weekly": "forecasts weekly --out reports",
    "report": "forecasts report --week 2026-W47",
    "reconstruct": "forecasts reconstruct",
    "export": "forecasts export --format csv --out dump/",
    "import": "forecasts import questions/road-ahead/resolutions.jsonl",
    "import-dataset": "forecasts import-dataset metaculus pro_forecasts_q1.csv",
    "questions list": "forecasts questions list --tag negotiations",
    "questions show": "forecasts questions show ceasefire-current-lines",
    "questions new": "forecasts questions new my-question",
    "evidence add": 'forecasts evidence add nato-renunciation --summary "..." --source TASS --lr 1.5',
    "evidence list": "forecasts evidence list --question ceasefire-current-lines",
    "evidence retract": 'forecasts evidence retract 14 --reason "report withdrawn"',
    "evidence import": "forecasts evidence import questions/road-ahead/evidence.jsonl",
    "forecasters add": "forecasts forecasters add alice --login alice",
    "db check": "forecasts db check",
    "db backup": "forecasts db backup backups/2026-11-24.db",
}


def _name(info: Any) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def add_examples(app: Any) -> None:
    """Append 'Example: ...' to the help of every command that has one in EXAMPLES."""
    groups = [("", app)] + [(g.name + " ", g.typer_instance) for g in app.registered_groups]
    for prefix, group in groups:
        for info in group.registered_commands:
            example = EXAMPLES.get(prefix + _name(info))
            doc = info.help or (info.callback.__doc__ if info.callback else None)
            if example and doc and "Example:" not in doc:
                info.help = f"{doc.rstrip()}\n\nExample: {example}"


def complete_question(incomplete: str) -> list[str]:
    """Question ids starting with what was typed (tab completion; forecasts.completion reads them)."""
    from forecasts.api import question_ids_starting

    return question_ids_starting(incomplete)


def complete_forecaster(incomplete: str) -> list[str]:
    """Registered forecaster names starting with what was typed (tab completion)."""
    from forecasts.api import forecaster_names_starting

    return forecaster_names_starting(incomplete)
