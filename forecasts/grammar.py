"""The one grammar for probabilities written as text, on every path (command arguments, CSV cells, JSON strings,
resolutions), documented in docs/formats.md: ASCII digits, an optional minus (so `-0.1` is out of range, not
unreadable), an optional decimal part, and either a percent sign or a decimal exponent; nothing around it.

Refused everywhere alike: `.5`, `+0.5`, `0.2_5`, non-ASCII digits (Arabic-Indic, full-width), spaces around,
`nan`/`inf`, hex, and numbers too small for a normal float (`1e-400`, subnormals such as `5e-324`), which would
silently read as 0 or lose their precision. Pure standard library: interactive commands import this module.
"""

from __future__ import annotations

import math
import re
import sys

# A number (`0.25`, `1`, `2.5e-06` as exports write small floats), or a percentage (`25%`, `2.5%`).
PROBABILITY_SOURCE = r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?(?:[eE][-+]?[0-9]{1,3}|%)?"
PROBABILITY = re.compile(rf"\A{PROBABILITY_SOURCE}\Z", re.ASCII)
EXAMPLE = "0.35 or 35%"
RULE = "a decimal number like 0.35 or a percentage like 35%"


def too_small(x: float) -> bool:
    """A nonzero value below the smallest normal float: written as 1e-400 or 5e-324, it cannot be kept exactly."""
    return x != 0.0 and abs(x) < sys.float_info.min


def probability_text(text: str) -> float | None:
    """The number a probability text states (a percentage divided by 100), or None when the text is outside the
    grammar, or its value is not finite or is too small for a normal float (the caller names the field)."""
    if not isinstance(text, str) or not PROBABILITY.fullmatch(text):
        return None
    body, scale = (text[:-1], 100.0) if text.endswith("%") else (text, 1.0)
    x = float(body)
    if not math.isfinite(x) or too_small(x) or (x == 0.0 and any(c in "123456789" for c in body.split("e")[0])):
        return None
    return x / scale
