"""What a bulk load of already checked rows may switch off for its one transaction, and brings back before it ends.

SQLite checks each inserted row's foreign keys and runs each BEFORE INSERT trigger once per row. For a bulk import
whose rows were checked by column beforehand (their questions and forecasters exist, their keys are new, their ids
follow the table's largest), those per-row checks repeat work already done and, measured on 500,000 forecasts, made
the insert two to three times slower. Both helpers are for that one caller shape and nothing else:

- `foreign_keys_off`: foreign-key enforcement off around the transaction (SQLite ignores the pragma inside one);
- `insert_triggers_suspended`: the tables' BEFORE INSERT triggers dropped inside the transaction and created again
  from their stored SQL before it commits. An error rolls the transaction back, triggers included; other
  connections never see the schema without them (the write lock is held, readers keep their snapshot).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def foreign_keys_off(db: Any) -> Iterator[None]:
    """Foreign-key enforcement off for what runs inside (a no-op if a transaction is already open)."""
    (before,) = db.conn.execute("PRAGMA foreign_keys").fetchone()
    if db.conn.in_transaction or not before:
        yield
        return
    db.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def insert_triggers_suspended(db: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """Inside the caller's write transaction: drop the tables' BEFORE INSERT triggers, create them again after."""
    if not db.conn.in_transaction:
        raise RuntimeError("insert_triggers_suspended runs inside a write transaction")
    marks = ",".join("?" for _ in tables)
    sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks}) AND sql IS NOT NULL"
    triggers = [(name, create) for name, create in db.conn.execute(sql, tables) if _before_insert(create)]
    for name, _ in triggers:
        db.conn.execute(f'DROP TRIGGER "{name}"')
    yield  # on an error the caller's transaction rolls back, which brings the triggers back
    for _, create in triggers:
        db.conn.execute(create)


def _before_insert(create: str) -> bool:
    """Whether a CREATE TRIGGER statement fires before an insert."""
    head = " ".join(create.upper().split()).split(" ON ", 1)[0]
    return head.endswith("BEFORE INSERT")
