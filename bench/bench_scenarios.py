"""Time scenario_probabilities / scenario_trend on the shipped pack (fit cached after the first call)."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from forecasts.evidence import import_evidence
from forecasts.scenarios import scenario_probabilities, scenario_trend
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import now_utc


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "questions"
        shutil.copytree(Path("questions"), root)
        db = connect(Path(tmp) / "bench.db")
        sync(db, root)
        import_evidence(db, root / "road-ahead" / "evidence.jsonl")
        now = now_utc()
        t0 = time.perf_counter()
        scenario_probabilities(db, now, root)
        t1 = time.perf_counter()
        scenario_probabilities(db, now, root)
        t2 = time.perf_counter()
        weeks = [now - timedelta(weeks=k) for k in range(9, -1, -1)]
        scenario_trend(db, weeks, root)
        t3 = time.perf_counter()
        print(f"first call (PyMC fit unless cached in this process): {t1 - t0:.2f} s")
        print(f"cached call: {t2 - t1:.2f} s")
        print(f"scenario_trend over 10 weeks: {t3 - t2:.2f} s")


if __name__ == "__main__":
    main()
