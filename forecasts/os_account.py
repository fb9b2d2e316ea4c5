"""The account writing a ledger row: the operating-system account running this process, or the team server's
signed-in account for the request it is serving (its one home, below the store and the forecaster registry, so
neither imports the other for it)."""

from __future__ import annotations

import contextvars
import functools
import getpass
import os

# The account a team server is writing for (forecasts.server): rows it writes record `web:NAME`, not the OS account
# of the server process. Set per request; empty everywhere else.
ACTING_ACCOUNT: contextvars.ContextVar[str] = contextvars.ContextVar("acting_account", default="")


def os_user() -> str:
    """The account writing: the OS account running this process, or `web:NAME` for a team server's request."""
    acting = ACTING_ACCOUNT.get()
    return f"web:{acting}" if acting else _process_user()


@functools.cache
def _process_user() -> str:
    """The operating-system account running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
