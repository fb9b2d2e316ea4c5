"""Style is part of the suite: ruff must pass on the package, tests and benchmarks."""

import subprocess
import sys

from conftest import REPO


def test_ruff_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "forecasts", "tests", "bench"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
