"""The server's hold on the SQLite file: one connection per worker thread (WAL lets reads run beside a write), one
lock that serializes writes inside this process, and one writer thread that runs the requests' writes in arrival
order.

Why a writer thread (measured with bench/server_bench.py, 50 clients): with each write on its own thread-pool
thread, forty threads queued on the lock; the lock is not first-come-first-served, so an unlucky request waited
behind many later ones (the p99), and every hand-over woke threads that fought for the GIL, which the one thread
holding the lock needs back after each of its ~40 SQLite calls. One writer thread fed from a queue serves writes in
the order they arrived, and only it and the event loop share the GIL on the write path.

WAL checkpoints run on a thread of their own (PASSIVE, every CHECKPOINT_EVERY writes) instead of inside the commit
that happens to cross SQLite's 1000-page mark: there a checkpoint's two fsyncs held up every queued write. This
changes no durability: synchronous stays NORMAL in WAL (a commit survives a crash of the server process; the
checkpoint only copies committed pages from the WAL into the database file), and closing the last connection
still checkpoints as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from forecasts.api import ACTING_ACCOUNT, Database, connect

T = TypeVar("T")
CHECKPOINT_EVERY = 200  # writes between two background WAL checkpoints


class Store:
    """Connections to one database file for a multi-threaded server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        connect(path).close()  # migrate once, up front
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecasts-writer")
        self._checkpoints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecasts-checkpoint")
        self._writes = 0

    def _db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, migrate=False)
            db.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpoint thread does it (see above)
        return db

    def _checkpoint(self) -> None:
        self._db().conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

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
                self._writes += 1
                if self._writes % CHECKPOINT_EVERY == 0:
                    self._checkpoints.submit(self._checkpoint)
        finally:
            ACTING_ACCOUNT.reset(token)

    async def in_writer(self, work: Callable[[], T]) -> T:
        """Run `work` (which takes `writing` itself) on the one writer thread, after the writes queued before it."""
        return await asyncio.wrap_future(self._writer.submit(work))
