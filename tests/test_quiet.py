"""PyMC's and ArviZ's own notices never reach a user: filtered precisely, before the first import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_arviz_daily_notice_is_filtered_on_a_fresh_cache(tmp_path: Path) -> None:
    """ArviZ warns once a day per cache folder (its message starts with a newline); a fresh one shows it."""
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    bare = subprocess.run([sys.executable, "-c", "import arviz"], env=env, capture_output=True, text=True, timeout=300)
    assert "ArviZ is undergoing a major refactor" in bare.stderr  # the notice is real on a fresh cache ...
    for name, code in (
        ("pymc", "from forecasts.bayes.quiet import quiet_pymc; quiet_pymc(); import arviz, pymc"),
        # categorical posteriors import ArviZ without PyMC
        ("arviz", "import sys; from forecasts.bayes.quiet import quiet_arviz; quiet_arviz(); import arviz; "
                  "assert 'pymc' not in sys.modules"),
    ):  # fmt: skip
        env["XDG_CACHE_HOME"] = str(tmp_path / f"cache-{name}")
        quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert quiet.returncode == 0 and "Warning" not in quiet.stderr, quiet.stderr  # ... and ours never shows it
        assert "font cache" not in quiet.stderr  # nor matplotlib's first-run notice (under ArviZ)
