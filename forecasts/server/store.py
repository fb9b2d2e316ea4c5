"""The server's hold on the SQLite file: one connection per worker thread (WAL lets reads run beside a write) and
one lock that serializes writes inside this process, so writers queue in order instead of polling SQLite's lock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from forecasts.api import ACTING_ACCOUNT, Database, connect


class Store:
    """Connections to one database file for a multi-threaded server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        connect(path).close()  # migrate once, up front
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def _db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, migrate=False)
        return db

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        yield self._db()

    @contextlib.contextmanager
    def writing(self, account: str) -> Iterator[Database]:
        """The connection, with this process's write lock held and rows recorded as written by `account`."""
        token = ACTING_ACCOUNT.set(account)
        try:
            with self._write_lock:
                yield self._db()
        finally:
            ACTING_ACCOUNT.reset(token)
