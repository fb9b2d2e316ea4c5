"""The README tour's commands, parsed from README.md: what tests/test_readme_tour.py runs on a scratch copy."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "## A five-minute tour", "**Score a real public dataset.**"  # that section needs a network clone


def tour_env(text: str | None = None) -> dict[str, str]:
    """The variables the tour exports (FORECASTS_DB: its scratch database)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    tour = text[text.index(START) : text.index(END)]
    return dict(re.findall(r"^export (\w+)=(\S+)", tour, flags=re.M))


def tour_commands(text: str | None = None) -> list[list[str]]:
    """Every `forecasts ...` command in the tour's bash blocks, continuation lines joined, comments dropped."""
    text = README.read_text(encoding="utf-8") if text is None else text
    tour = text[text.index(START) : text.index(END)]
    out = []
    for block in re.findall(r"```bash\n(.*?)```", tour, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "forecasts":
                out.append(words[1:])
    return out
