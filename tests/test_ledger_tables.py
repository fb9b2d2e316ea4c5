"""The registry of ledger tables (forecasts.store.ledger_tables) agrees with a freshly migrated schema: the tables
it calls append-only carry the triggers, the ones it says record the OS account have the column, and only they do."""

from __future__ import annotations

from forecasts.store.db import OS_USER_TABLES, connect
from forecasts.store.ledger import CHAINED_TABLES
from forecasts.store.ledger_tables import APPEND_ONLY, CHAINED, LEDGER_TABLES, OS_USER


def test_registry_matches_a_fresh_schema(tmp_path):
    db = connect(tmp_path / "f.db")
    tables = set(db.table_names())
    assert {t.name for t in LEDGER_TABLES} <= tables
    guarded = {r[0] for r in db.conn.execute("SELECT tbl_name FROM sqlite_master WHERE name LIKE '%_no_update'")}
    assert guarded == set(APPEND_ONLY)
    with_user = {t for t in tables if any(c[1] == "os_user" for c in db.conn.execute(f'PRAGMA table_info("{t}")'))}
    assert with_user == set(OS_USER)


def test_the_store_and_the_chain_read_the_registry():
    assert OS_USER_TABLES == OS_USER
    assert (
        CHAINED_TABLES
        == CHAINED
        == (
            "evidence",
            "evidence_links",
            "evidence_retractions",
            "forecasts",
            "resolutions",
            "question_versions",
            "scenario_file_versions",
            "comments",
        )
    )  # the order the chain walks them and `db check` reports them
