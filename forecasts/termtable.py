"""Terminal tables that fit the width: text columns wrap, ids and numbers are never cut, and columns are
abbreviated or dropped by priority when even that is not enough.

Plain text (no box drawing), so piped output is as readable as the terminal and stays within 80 columns.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from dataclasses import dataclass

from forecasts.safetext import neutral

GAP = 2  # spaces between columns
PIPED_WIDTH = 80


@dataclass(frozen=True)
class Column:
    """One column: `priority` 0 is never dropped (ids); higher numbers are dropped first.

    `wrap` columns (free text) may be narrowed to `min_width` and wrap onto several lines; other cells
    (ids, numbers, dates) always print whole. `short` is the header used when space is tight."""

    header: str
    priority: int = 0
    wrap: bool = False
    min_width: int = 12
    right: bool = False
    short: str | None = None


def terminal_width() -> int:
    """COLUMNS if set, else the terminal's width, else 80 (output piped to a file or another program)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    return PIPED_WIDTH


def _natural(col: Column, cells: list[str], header: str) -> int:
    """A column's width: its longest cell line, and its header's longest word (headers wrap at spaces, so a
    worded score header such as 'Relative Brier (Fatebook)' stacks over a narrow number column)."""
    longest = max((len(line) for c in cells for line in c.splitlines() or [""]), default=0)
    return max(longest, max((len(w) for w in header.split()), default=0) if not col.wrap else 0, 1)


def layout(columns: list[Column], rows: list[list[str]], width: int) -> tuple[list[int], list[str], list[int]]:
    """(kept column indexes, their headers, their widths) so the table fits `width` if at all possible."""
    keep = list(range(len(columns)))
    while True:
        headers = [columns[i].header for i in keep]
        cells = [[r[i] for r in rows] for i in keep]
        widths = [_natural(columns[i], c, h) for i, c, h in zip(keep, cells, headers, strict=True)]

        def total(ws: list[int]) -> int:
            return sum(ws) + GAP * (len(ws) - 1)

        for k, i in enumerate(keep):  # wrapped text: as wide as its header's longest word at least
            if columns[i].wrap:
                widths[k] = max(widths[k], max((len(w) for w in headers[k].split()), default=1))
        excess = total(widths) - width
        wraps = [k for k, i in enumerate(keep) if columns[i].wrap]
        while excess > 0 and wraps:  # narrow the widest wrapping column, one character at a time
            k = max(wraps, key=lambda k: widths[k] - columns[keep[k]].min_width)
            floor = max(columns[keep[k]].min_width, max((len(w) for w in headers[k].split()), default=1))
            if widths[k] <= floor:
                break
            widths[k] -= 1
            excess -= 1
        for k, i in enumerate(keep):  # then shorter headers where the header is what makes a column wide
            col = columns[i]
            if excess > 0 and col.short and not col.wrap:
                narrower = _natural(col, cells[k], col.short)
                excess -= widths[k] - narrower
                headers[k], widths[k] = col.short, narrower
        droppable = [i for i in keep if columns[i].priority > 0]
        if excess <= 0 or not droppable:
            return keep, headers, widths
        keep.remove(max(droppable, key=lambda i: (columns[i].priority, i)))


def _lines(text: str, width: int, wrap: bool) -> list[str]:
    text = neutral(text)  # a stored control character prints as its escape, never reaches the terminal
    if not wrap:
        return text.splitlines() or [""]
    out: list[str] = []
    for para in text.splitlines() or [""]:
        out.extend(textwrap.wrap(para, width, break_long_words=True, break_on_hyphens=False) or [""])
    return out


def render(columns: list[Column], rows: list[list[str]], width: int | None = None, title: str = "") -> str:
    """The table as text no wider than `width` (default: the terminal's), plus a note naming dropped columns."""
    width = width or terminal_width()
    keep, headers, widths = layout(columns, rows, width)
    out: list[str] = []
    if title:
        out.extend(textwrap.wrap(title, width) or [""])

    def emit(cells: list[str], wraps: list[bool]) -> None:
        parts = [_lines(c, w, wr) for c, w, wr in zip(cells, widths, wraps, strict=True)]
        for n in range(max(len(p) for p in parts)):
            line = []
            for k, p in enumerate(parts):
                text = p[n] if n < len(p) else ""
                line.append(text.rjust(widths[k]) if columns[keep[k]].right else text.ljust(widths[k]))
            out.append((" " * GAP).join(line).rstrip())

    emit(headers, [True] * len(keep))
    out.append((" " * GAP).join("─" * w for w in widths))
    for r in rows:
        emit([r[i] for i in keep], [columns[i].wrap for i in keep])
    dropped = [columns[i].header for i in range(len(columns)) if i not in keep]
    if dropped:
        note = f"(not shown at {width} columns: {', '.join(dropped)}; widen the terminal or use --json)"
        out.extend(textwrap.wrap(note, width))
    return "\n".join(out)


def note(text: str, width: int | None = None) -> str:
    """A caption or footnote wrapped to the table width."""
    return "\n".join(textwrap.wrap(text, width or terminal_width()))
