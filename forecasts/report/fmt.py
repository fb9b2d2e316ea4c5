"""Number and text formatting shared by the Markdown and HTML renderers (fixed formats, so bytes are stable)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from forecasts import numbers
from forecasts.numbers import count, fixed  # noqa: F401 (count: the renderers import it from here)

SAFE_URL = re.compile(r"\Ahttps?://[^\s<>\"'`\\]+\Z", re.IGNORECASE)


def pct(p: float | None) -> str:
    return numbers.pct(p)


def pp(delta: float | None) -> str:
    """A change in percentage points, signed ('+5.8 pp'); 'new' when there was no value a week ago."""
    if delta is None:
        return "new"
    text = f"{delta:+.1f}"
    return ("+0.0" if text == "-0.0" else text) + " pp"


def signed(x: float, digits: int = 2) -> str:
    return numbers.signed(x, digits)


def clip(text: str, limit: int = 110) -> str:
    """Text cut at a word boundary to about `limit` characters, with an ellipsis (for the briefing)."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def open_questions(summary: dict[str, Any]) -> str:
    """The briefing's count of open questions: every type, split when numeric or date questions are among them
    ('15 open questions (13 yes/no or categorical, 2 numeric or date)')."""
    choice, numeric = summary["open"], summary.get("open_numeric", 0)
    if not numeric:
        return count(choice, "open question")
    return f"{count(choice + numeric, 'open question')} ({choice} yes/no or categorical, {numeric} numeric or date)"


def day(iso: str | None) -> str:
    return (iso or "")[:10] or "—"


def probs_text(probs: dict[str, float], binary: bool) -> str:
    if binary:
        return pct(probs["yes"])
    return ", ".join(f"{o} {pct(p)}" for o, p in probs.items())


def lr_text(lr: float) -> str:
    return f"{lr:.3g}" if lr >= 1 else f"1/{1 / lr:.3g}"


def safe_url(url: str | None) -> bool:
    """Only http(s) URLs without whitespace or quoting characters may become links."""
    return bool(url) and bool(SAFE_URL.match(url or ""))


def cell(value: Any) -> str:
    """A value from another module's table, formatted for display (raw text; callers escape)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return fixed(value, 4) if abs(value) < 1000 else fixed(value, 1)
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {cell(v)}" for k, v in value.items())
    return str(value)


def effect_texts(eff: dict[str, Any], esc: Callable[[Any], str]) -> tuple[str, str, str]:
    """(LR, log-odds r·ln LR, percentage-point change) of one item on one question; `esc` escapes outcome names."""
    if eff["binary"]:
        return lr_text(eff["lr"]["yes"]), signed(eff["log_odds"]["yes"]), pp(eff["pp"]["yes"])
    lrs = "; ".join(f"{esc(o)} {lr_text(v)}" for o, v in eff["lr"].items())
    logs = "; ".join(f"{esc(o)} {signed(v)}" for o, v in eff["log_odds"].items())
    pps = "; ".join(f"{esc(o)} {pp(v)}" for o, v in eff["pp"].items())
    return lrs, logs, pps


def effect_summary(eff: dict[str, Any], esc: Callable[[Any], str]) -> str:
    """One item's effect on one question in a line: 'q: +0.41 log-odds, +4.2 pp' (per outcome if categorical)."""
    if eff["binary"]:
        return f"{esc(eff['question'])}: {signed(eff['log_odds']['yes'])} log-odds, {pp(eff['pp']['yes'])}"
    parts = [
        f"{esc(o)} " + (f"{signed(eff['log_odds'][o])} log-odds, " if o in eff["log_odds"] else "") + pp(v)
        for o, v in eff["pp"].items()
    ]
    return f"{esc(eff['question'])}: " + "; ".join(parts)
