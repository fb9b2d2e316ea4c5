"""Original ids of imported records: a valid id is kept, any other gets a stable slug, and the mapping is stored.

Every imported question, forecaster and forecast can keep `external_id` (its id at the source) and `source`
(the source's name). A question or forecaster is found again by (source, external_id), so importing the same
data twice, or forecasts after their questions, lands on the same rows.
"""

from __future__ import annotations

import hashlib
import re

from forecasts.forecasters import NAME_PATTERN, reserved_kind
from forecasts.questions import ID_PATTERN
from forecasts.store.db import Database

SLUG_BASE = 60  # characters of the readable part of a derived id, before "-" and the 8-character hash


def _digest(source: str, external_id: str) -> str:
    return hashlib.sha256(f"{source}\x1f{external_id}".encode()).hexdigest()[:8]


def _question_base(external_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", external_id.lower()).strip("-")[:SLUG_BASE].strip("-") or "q"


def _forecaster_base(external_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", external_id).strip("-_.")[:40].strip("-_.") or "f"


def question_slug(source: str, external_id: str) -> str:
    """The question id for an external one: itself if a valid slug, else lowercase words joined by '-' plus a hash
    of (source, external_id), e.g. `TPkEjiNb1wVCIGFnPcDD` → `tpkejinb1wvcigfnpcdd-` and 8 hex digits (ids that
    differ only in case stay apart)."""
    if ID_PATTERN.match(external_id):
        return external_id
    return f"{_question_base(external_id)}-{_digest(source, external_id)}"


def forecaster_name(source: str, external_id: str) -> str:
    """The forecaster name for an external one: itself if valid (and not reserved), else a cleaned form + hash."""
    if NAME_PATTERN.match(external_id) and reserved_kind(external_id) is None:
        return external_id
    return f"{_forecaster_base(external_id)}-{_digest(source, external_id)}"


class IdMap:
    """(source, external_id) → our id for questions or forecasters, read once, extended as an import proceeds.
    Forecaster names are taken regardless of case (`Alice` and `alice` are one forecaster)."""

    def __init__(self, db: Database, table: str) -> None:
        self.table = table
        sql = f"SELECT id, source, external_id FROM {table}"
        rows = db.conn.execute(sql).fetchall()
        self._fold = str.lower if table == "forecasters" else str
        self.taken: set[str] = {self._fold(r[0]) for r in rows}
        self.mapped: dict[tuple[str, str], str] = {(r[1], r[2]): r[0] for r in rows if r[2]}
        self._by_external: dict[str, set[str]] | None = None

    def find(self, source: str, external_id: str) -> str | None:
        """Our id for this external one, if it was imported before (or earlier in this import)."""
        return self.mapped.get((source, external_id))

    def find_any(self, external_id: str) -> str | None:
        """Our id for an external id imported from exactly one source (None if none or ambiguous)."""
        if self._by_external is None:
            self._by_external = {}
            for (_, ext), ours in self.mapped.items():
                self._by_external.setdefault(ext, set()).add(ours)
        found = self._by_external.get(external_id, set())
        return next(iter(found)) if len(found) == 1 else None

    def assign(self, source: str, external_id: str) -> str:
        """Our id for this external one: the stored one, else a new stable one not used by another record."""
        found = self.mapped.get((source, external_id))
        if found is not None:
            return found
        questions = self.table == "questions"
        ours = (question_slug if questions else forecaster_name)(source, external_id)
        if self._fold(ours) in self.taken:  # a valid id another record already uses: the hashed form keeps them apart
            base = _question_base(external_id) if questions else _forecaster_base(external_id)
            ours = f"{base}-{_digest(source, external_id)}"
        self.mapped[(source, external_id)] = ours
        self.taken.add(self._fold(ours))
        if self._by_external is not None:
            self._by_external.setdefault(external_id, set()).add(ours)
        return ours
