"""The one door from the web layer to the library: every function the server calls, in one place (all through
forecasts.api). Arguments are the JSON values a client sent; results are JSON-ready dicts."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from forecasts.api import (
    add_comment,
    add_user,
    authenticate,
    check_password,
    closing_soon,
    list_comments,
    list_users,
    may,
    my_page,
    question_view,
    visible_detail,
    weekly_report_file,
    weekly_reports,
)
from forecasts.errors import ForecastsError

# accounts and comments, and what pages show: re-exported from forecasts.api for the web layer
__all__ = ["add_comment", "add_user", "authenticate", "check_password", "closing_soon", "list_comments", "list_users",
           "may", "my_page", "question_view", "question_detail", "weekly_report_file", "weekly_reports"]  # fmt: skip
question_detail = visible_detail


def _text(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ForecastsError(f"{key}: must be text, not {type(value).__name__}")
    return value


def _texts(body: dict[str, Any], key: str) -> list[str]:
    """A list of strings; a single string or number counts as a list of one."""
    value = body.get(key)
    if value is None:
        return []
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                              for v in value):  # fmt: skip
        raise ForecastsError(f"{key}: must be a list of text")
    return [str(v) for v in value]


def status(db: Any, tag: str | None = None) -> list[dict[str, Any]]:
    from forecasts.api import question_status

    return question_status(db, tag=tag)


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str):  # a web form's field
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            raise ForecastsError(f"{key}: must be a number (percent of the mass), not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForecastsError(f"{key}: must be a number (percent of the mass)")
    return float(value)


def _percentile_args(body: dict[str, Any]) -> list[str]:
    """`percentiles` as the CLI's flags: a list of its tokens (["--p10", "5", ...]) or an object {"10": 5, ...}."""
    value = body.get("percentiles")
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (f"--p{k}", str(v))]
    return _texts(body, "percentiles")


def forecast(db: Any, user: str, body: dict[str, Any]) -> dict[str, Any]:
    """`forecast` as `user`: probability is a number or percentage text (binary), OUTCOME=P,... text or an
    {outcome: p} object (categorical, ordered); the result carries the same feedback as the CLI's. A numeric or
    date question takes `percentiles` and `below`/`above` as the CLI's flags, and the result its `description`
    (the CLI's line), in the CLI's order of checks so a refusal is the same line."""
    from forecasts.api import forecast_feedback, get_question, percentile_flags, submit_forecast

    qid = _text(body, "question")
    raw = body.get("probability")
    flags, below, above = _percentile_args(body), _number(body, "below"), _number(body, "above")
    q = get_question(db, qid)
    numeric_raw = raw if raw is None or isinstance(raw, str) else str(raw)
    extra = percentile_flags(q, numeric_raw, flags, below, above)
    if extra is not None:
        from forecasts.api import describe_numeric_forecast, submit_percentiles

        result = submit_percentiles(db, q, extra, below, above, user, _text(body, "rationale"))
        return result | {"description": describe_numeric_forecast(q, result)}
    if isinstance(raw, dict):
        if not all(isinstance(k, str) and isinstance(v, int | float | str) and not isinstance(v, bool)
                   for k, v in raw.items()):  # fmt: skip
            raise ForecastsError("probability: an object of OUTCOME: number")
        raw = ",".join(f"{k}={v}" for k, v in raw.items())
    elif isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ForecastsError("probability: a number in (0, 1), a percentage, or OUTCOME=P,... for categorical")
    result = submit_forecast(db, qid, str(raw), user, _text(body, "rationale"))
    result["feedback"] = forecast_feedback(db, get_question(db, qid), user, result["id"])
    return result


def list_forecasts(db: Any, question: str | None, by: str | None, viewer: str, tag: str | None = None,
                   people: bool = False) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """(the forecasts `viewer` may see, how many were withheld): on a question tagged hide-crowd, others' forecasts
    stay hidden until the viewer has forecast, as on the question's page and in the local `forecast-list`."""
    from forecasts.api import list_forecasts as listed
    from forecasts.api import visible

    return visible(db, listed(db, question, by, tag=tag, people=people), viewer)


def add_evidence(db: Any, user: str, body: dict[str, Any]) -> dict[str, Any]:
    """`evidence add` as `user`: the same fields as the CLI's options (lr and grade as lists of its specs)."""
    from forecasts.api import EvidenceItem, add_evidence, item_links, now_utc, parse_datetime, parse_reliability

    lr_sd = body.get("lr_sd")
    if lr_sd is not None and (isinstance(lr_sd, bool) or not isinstance(lr_sd, int | float)):
        raise ForecastsError("lr_sd: must be a number")
    reliability = body.get("reliability", "1")
    if isinstance(reliability, bool) or not isinstance(reliability, int | float | str):
        raise ForecastsError("reliability: 0-1 or an Admiralty grade such as B2")
    rel, rel_grade = parse_reliability(str(reliability))
    observed = _text(body, "observed_at")
    item = EvidenceItem(
        summary=_text(body, "summary"),
        observed_at=parse_datetime(observed, "observed_at") if observed else now_utc(),
        links=item_links(_texts(body, "questions"), _texts(body, "lr"), _texts(body, "grade"), lr_sd,
                         _text(body, "reasoning"), _texts(body, "value"), _texts(body, "sd")),
        source=_text(body, "source"),
        url=_text(body, "url"),
        reliability=rel,
        reliability_grade=rel_grade,
        recorded_by=user,
        tags=_texts(body, "tags"),
    )
    return add_evidence(db, item)


def list_evidence(db: Any, question: str | None) -> list[dict[str, Any]]:
    from forecasts.api import list_evidence as listed

    return listed(db, question)


def retract_evidence(db: Any, user: str, evidence_id: int, body: dict[str, Any]) -> dict[str, Any]:
    from forecasts.api import retract_evidence as retract

    return retract(db, evidence_id, _text(body, "reason"), user)


def resolve(db: Any, user: str, question_id: str, body: dict[str, Any]) -> dict[str, Any]:
    from forecasts.api import resolve as resolve_question

    known = _text(body, "known_at") or None
    return resolve_question(db, question_id, _text(body, "outcome"), known, _text(body, "source"),
                            _text(body, "note"), user)  # fmt: skip


def unresolve(db: Any, user: str, question_id: str, body: dict[str, Any]) -> dict[str, Any]:
    from forecasts.api import unresolve as unresolve_question

    return unresolve_question(db, question_id, _text(body, "note"), user)


def leaderboard(db: Any, tag: list[str] | None, min_questions: int | None, rank_by: str) -> list[dict[str, Any]]:
    from forecasts.api import leaderboard as board
    from forecasts.api import records

    return records(board(db, tag=tag or None, min_questions=min_questions, rank_by=rank_by))


def scores(db: Any, by: str | None, tag: list[str] | None, question: str | None) -> list[dict[str, Any]]:
    from forecasts.api import records, score_table

    return records(score_table(db, by=by, tag=tag or None, question=question))


def forecasters(db: Any) -> list[dict[str, Any]]:
    from forecasts.api import list_forecasters

    return list_forecasters(db)


def calibration(db: Any, name: str, tag: list[str] | None = None) -> dict[str, Any]:
    from forecasts.api import calibration as calibration_of

    return calibration_of(db, name, tag=tag or None)


def numeric_scores(db: Any) -> dict[str, Any]:
    from forecasts.api import numeric_scores as scores

    return scores(db)


def why_empty(db: Any, forecaster: str | None) -> dict[str, str]:
    """The sentence an empty scores table gets (as `score` prints it)."""
    from forecasts.api import why_empty as why

    return {"message": why(db, forecaster)}


def reports_folder(db_path: Path) -> Path:
    """Where the weekly job writes reports: the project's reports/ folder beside db/."""
    return db_path.resolve().parent.parent / "reports"


_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
MAX_FILES = 5000


def _part(value: str, field: str) -> str:
    if not _PART.match(value) or value.endswith("."):
        raise ForecastsError(f"{field}: {value[:100]!r} is not a plain file or folder name (letters, digits, '_', "
                             "'.', '-')")  # fmt: skip
    return value


def sync_files(db: Any, body: dict[str, Any]) -> dict[str, Any]:
    """`sync` of question files read on the client: `folder` (the folder's name, so file names in messages read as
    they would locally) and `files` {path relative to it: text}. They are written to a fresh temporary folder and
    loaded by the one `sync`, so they pass the same checks and nothing is written if any file is refused."""
    from forecasts.api import sync

    folder = _part(_text(body, "folder", "questions"), "folder")
    files = body.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ForecastsError("files: an object of {path relative to the folder: file text}")
    if len(files) > MAX_FILES:
        raise ForecastsError(f"files: at most {MAX_FILES} in one sync")
    with tempfile.TemporaryDirectory(prefix="forecasts-sync-") as tmp:
        root = Path(tmp) / folder
        root.mkdir()
        for rel, text in files.items():
            parts = [_part(p, "files") for p in rel.split("/")]
            if not parts[-1].endswith(".toml"):
                raise ForecastsError(f"files: {rel[:100]!r} is not a .toml file")
            path = root.joinpath(*parts)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError:  # a name used both as a file and as a folder ('a.toml' and 'a.toml/b.toml')
                raise ForecastsError(f"files: {rel[:100]!r} clashes with another file's path") from None
        return sync(db, root)
