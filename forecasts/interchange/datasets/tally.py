"""What a dataset reader did with the records it read: per kind, how many it read, merged and left out, and why.

`load` adds what the import then did (imported, already present), so every row is accounted for (issue 25).
"""

from __future__ import annotations

from typing import Any


class Tally:
    """Counts per kind (questions, forecasts, resolutions): read, merged {reason: n}, left_out {reason: n}, notes."""

    def __init__(self) -> None:
        self.kinds: dict[str, dict[str, Any]] = {}

    def _kind(self, kind: str) -> dict[str, Any]:
        return self.kinds.setdefault(kind, {"read": 0, "merged": {}, "left_out": {}, "notes": {}})

    def read(self, kind: str, n: int = 1) -> None:
        """Records of this kind read from the files."""
        self._kind(kind)["read"] += n

    def merged(self, kind: str, reason: str, n: int = 1) -> None:
        """Records folded into another one (an agreeing repeat, an exact duplicate, ...)."""
        counts = self._kind(kind)["merged"]
        counts[reason] = counts.get(reason, 0) + n

    def left_out(self, kind: str, reason: str, n: int = 1) -> None:
        """Records not imported, with the reason."""
        counts = self._kind(kind)["left_out"]
        counts[reason] = counts.get(reason, 0) + n

    def note(self, kind: str, reason: str, n: int = 1) -> None:
        """Records imported with a change (a long text split, a date moved), with the rule applied."""
        counts = self._kind(kind)["notes"]
        counts[reason] = counts.get(reason, 0) + n
