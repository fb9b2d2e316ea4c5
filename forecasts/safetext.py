"""Control characters in user text: refused at input (only newline and tab may appear; a CRLF line end counts as
a newline), and anything already stored (an older database, an import from before the rule) shown neutralised as
a visible escape such as `\\x1b`, so a summary can never set a terminal's title, hide a hyperlink or smuggle ESC
and BEL bytes into a report."""

from __future__ import annotations

import re

# C0 controls except tab and newline (a carriage return only as part of a CRLF line end: alone it lets a line
# overwrite itself on a terminal), DEL, C1 controls, and the bidirectional overrides and isolates (text that
# displays in another order than it reads).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def control_problem(value: str, fld: str) -> str | None:
    """'field: problem' for the first control character in `value`, or None."""
    m = CONTROL.search(value)
    if m is None:
        return None
    return (
        f"{fld}: contains the control character {escape_char(m.group())} at position {m.start() + 1}; "
        "only newline and tab are allowed"
    )


def escape_char(c: str) -> str:
    """A control character as its visible escape: \\x1b, \\x9b, \\u202e."""
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def neutral(text: str) -> str:
    """`text` with every control character (other than newline and tab) replaced by its visible escape."""
    return CONTROL.sub(lambda m: escape_char(m.group()), text) if CONTROL.search(text) else text


def json_safe(text: str) -> str:
    """JSON text with the control characters JSON leaves raw (DEL, C1, bidi overrides) written as \\uXXXX escapes:
    the same JSON value, inert on a terminal."""
    return CONTROL.sub(lambda m: "\\r" if m.group() == "\r" else f"\\u{ord(m.group()):04x}", text)
