"""The operating-system account running this process: recorded beside every ledger row (its one home, below the
store and the forecaster registry, so neither imports the other for it)."""

from __future__ import annotations

import functools
import getpass
import os


@functools.cache
def os_user() -> str:
    """The operating-system account running this process (recorded beside every written row)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
