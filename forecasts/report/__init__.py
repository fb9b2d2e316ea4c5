"""The weekly report: build plain data for an ISO week, then render it as Markdown and self-contained HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecasts.db import Database
from forecasts.errors import ForecastsError

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


def write_report(
    db: Database,
    week: str | None = None,
    formats: str = "md,html",
    out: str | Path = "reports",
    questions_root: str | Path = "questions",
) -> dict[str, Any]:
    """Build the report for `week` (default: the current ISO week) and write reports/<week>.<fmt>."""
    from forecasts.report.build import build_report
    from forecasts.report.html import render_html
    from forecasts.report.markdown import render_markdown

    chosen = parse_formats(formats)
    out_dir = check_out_dir(out)
    data = build_report(db, week, questions_root)
    out_dir.mkdir(parents=True, exist_ok=True)
    renderers = {"md": render_markdown, "html": render_html}
    files = []
    for fmt in chosen:
        path = out_dir / f"{data['week']}.{fmt}"
        path.write_text(renderers[fmt](data), encoding="utf-8", newline="\n")
        files.append(str(path))
    head = data["head"]  # the ledgers' head as of the report (docs/publishing.md)
    return {"week": data["week"], "as_of": data["as_of"], "files": files, "summary": data["summary"], "head": head}
