"""Plain terminal text for the detail views: lines wrapped to the terminal's width (80 when piped), headings in
bold only on a terminal. No markup language, so what a user typed (a summary with "[brackets]") prints as written.
"""

from __future__ import annotations

import os
import sys
import textwrap

from forecasts.safetext import neutral
from forecasts.termtable import terminal_width


def bold(text: str) -> str:
    """`text` in bold on a colour terminal (not when piped or NO_COLOR is set)."""
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        return f"\033[1m{text}\033[0m"
    return text


def wrapped(text: str, width: int | None = None) -> str:
    """Each line of `text` wrapped at spaces to `width`; an indented line's continuation is indented two more."""
    width = width or terminal_width()
    out = []
    for line in neutral(text or "").split("\n"):  # stored control characters print as escapes
        indent = line[: len(line) - len(line.lstrip(" "))]
        out.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=indent + "  " if indent else "",
                break_on_hyphens=False,
                break_long_words=False,
                drop_whitespace=True,
            )  # fmt: skip
            if line.strip()
            else ""
        )
    return "\n".join(out)
