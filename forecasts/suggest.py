"""'Did you mean' for a mistyped id or name: the close matches (difflib), not the whole list."""

from __future__ import annotations

import difflib

SHOWN = 3  # close matches offered
LISTED = 8  # a known list this short is shown whole when nothing is close


def did_you_mean(typed: str, known: list[str], listing: str) -> str:
    """'did you mean a or b?' when something is close, else the list if short, else where to find it."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(typed.lower(), list(lowered), n=SHOWN, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower().startswith(typed.lower()[:4])][:SHOWN] if len(typed) >= 4 else []
    if close:
        return "did you mean " + " or ".join(repr(lowered.get(c, c)) for c in close) + "?"
    if len(known) <= LISTED:
        return f"known: {', '.join(known)}"
    return f"{len(known)} known; see `{listing}`"
