"""One registry of the store's record-keeping tables: which are append-only (guarded by triggers), which record
the OS account that wrote each row, and which are hash-chained (forecasts.store.ledger). The store's insert and the
chain read their lists from here, so the three can no longer disagree; tests check it against a fresh schema."""

from __future__ import annotations

from typing import NamedTuple


class LedgerTable(NamedTuple):
    name: str
    append_only: bool  # UPDATE, DELETE and REPLACE are refused by triggers
    os_user: bool  # each row records the operating-system account that wrote it
    chained: bool  # each row is hash-chained in ledger_digests


# In the order the chain walks them (a new table goes last: the digests of existing rows do not move).
LEDGER_TABLES = (
    LedgerTable("evidence", append_only=True, os_user=True, chained=True),
    LedgerTable("evidence_links", append_only=True, os_user=False, chained=True),
    LedgerTable("evidence_retractions", append_only=True, os_user=True, chained=True),
    LedgerTable("forecasts", append_only=True, os_user=True, chained=True),
    LedgerTable("resolutions", append_only=True, os_user=True, chained=True),
    LedgerTable("question_versions", append_only=True, os_user=True, chained=True),
    LedgerTable("scenario_file_versions", append_only=True, os_user=True, chained=True),
    LedgerTable("forecasters", append_only=False, os_user=True, chained=False),  # guarded: never deleted or renamed
    LedgerTable("posterior_runs", append_only=True, os_user=False, chained=False),
    LedgerTable("skill_runs", append_only=True, os_user=False, chained=False),
    LedgerTable("scenario_runs", append_only=True, os_user=False, chained=False),
    LedgerTable("ledger_digests", append_only=True, os_user=False, chained=False),
    LedgerTable("comments", append_only=True, os_user=False, chained=True),  # the team server's threads (m070)
    LedgerTable("users", append_only=False, os_user=True, chained=False),  # accounts: a role may change
)

APPEND_ONLY = tuple(t.name for t in LEDGER_TABLES if t.append_only)
OS_USER = tuple(t.name for t in LEDGER_TABLES if t.os_user)
CHAINED = tuple(t.name for t in LEDGER_TABLES if t.chained)
