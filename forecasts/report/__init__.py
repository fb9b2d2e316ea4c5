"""The weekly report: build plain data for an ISO week, then render it as Markdown and self-contained HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.store.db import Database
from forecasts.timeutil import started_week

FORMATS = ("md", "html")


def parse_formats(text: str) -> list[str]:
    """'md,html' → ['md', 'html']; a user error names the allowed formats."""
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ForecastsError(f"format: {','.join(bad) or text!r} is not one of {', '.join(FORMATS)} (comma-separated)")
    return list(dict.fromkeys(formats))


def check_out_dir(out: str | Path) -> Path:
    """The report folder: an existing folder, or one that can be created (refused before anything is stored)."""
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ForecastsError(f"out: {out_dir} exists and is not a folder; give a folder for the report files")
    parent = out_dir
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise ForecastsError(f"out: {parent} is a file, so {out_dir} cannot be created as a folder")
    return out_dir


@dataclass(frozen=True)
class ReportOptions:
    """A report request checked once, before anything is stored or written: the ISO week as parsed (label, start,
    end), the formats, the output folder and the folder of scenario files."""

    week: tuple[str, datetime, datetime]
    formats: list[str]
    out: Path
    questions_root: Path


def report_options(
    week: str | None = None,
    formats: str = "md,html",
    out: str | Path = "reports",
    questions_root: str | Path = "questions",
) -> ReportOptions:
    """Check every report option (formats, folder, a week that has begun) into one ReportOptions."""
    chosen = parse_formats(formats)
    out_dir = check_out_dir(out)
    return ReportOptions(started_week(week), chosen, out_dir, Path(questions_root))


def write_report(
    db: Database,
    week: str | None = None,
    formats: str = "md,html",
    out: str | Path = "reports",
    questions_root: str | Path = "questions",
) -> dict[str, Any]:
    """Build the report for `week` (default: the current ISO week) and write reports/<week>.<fmt>."""
    return write_checked_report(db, report_options(week, formats, out, questions_root))


def write_checked_report(db: Database, options: ReportOptions) -> dict[str, Any]:
    """Build and write the report for options already checked by `report_options`."""
    from forecasts.report.build import build_report
    from forecasts.report.html import render_html
    from forecasts.report.markdown import render_markdown

    data = build_report(db, options.week, options.questions_root)
    options.out.mkdir(parents=True, exist_ok=True)
    renderers = {"md": render_markdown, "html": render_html}
    files = []
    for fmt in options.formats:
        path = options.out / f"{data['week']}.{fmt}"
        path.write_text(renderers[fmt](data), encoding="utf-8", newline="\n")
        files.append(str(path))
    head = data["head"]  # the ledgers' head as of the report (docs/publishing.md)
    return {"week": data["week"], "as_of": data["as_of"], "files": files, "summary": data["summary"], "head": head}
