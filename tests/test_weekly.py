"""The weekly job: brings `bayes` and `crowd` up to date (idempotently), then writes the report."""

from datetime import UTC, datetime

import pytest

from forecasts.forecasting import submit_forecast
from forecasts.store.db import connect


def test_weekly_records_model_and_crowd_then_reports(cli, make_question, tmp_path):
    folder = make_question("alpha", deadline=True, prior='reference = "r"\nsuccesses = 3\ntrials = 10')
    cli("sync", "--questions", str(folder))
    db = connect(cli.db_path)
    submit_forecast(db, "alpha", 0.2, "alice", made_at=datetime(2025, 1, 1, tzinfo=UTC))
    submit_forecast(db, "alpha", 0.4, "bob", made_at=datetime(2025, 2, 1, tzinfo=UTC))
    out = tmp_path / "reports"
    first = cli.json("weekly", "--week", "2026-W10", "--out", str(out), "--questions", str(folder))
    assert first["model_forecasts"] == 1  # the deadline question's decayed prior, recorded as `bayes`
    assert first["crowd_forecasts"] == 2  # alice alone (0.2), then the median of alice and bob (0.3)
    crowd = [f["probability"] for f in cli.json("forecast-list", "--by", "crowd")]
    assert crowd == pytest.approx([0.2, 0.3])
    assert sorted(p.name for p in out.iterdir()) == ["2026-W10.html", "2026-W10.md"]
    again = cli.json("weekly", "--week", "2026-W10", "--out", str(out), "--questions", str(folder))
    assert (again["model_forecasts"], again["crowd_forecasts"]) == (0, 0)


def test_weekly_bad_input_writes_nothing(cli, make_question, tmp_path):
    cli("sync", "--questions", str(make_question("alpha")))
    for args, message in ((["--week", "2026-48"], "week: '2026-48' is not an ISO week"),
                          (["--crowd", "mode"], "method: 'mode'"),
                          (["--format", "pdf"], "format: 'pdf' is not one of md, html")):  # fmt: skip
        result = cli("weekly", "--out", str(tmp_path / "r"), *args, ok=False)
        assert result.exit_code == 1 and message in result.stderr, result.output
    assert cli.json("forecast-list") == []
    assert not (tmp_path / "r").exists()


def test_main_job_output_is_only_our_own(questions_dir, tmp_path):
    """The README's main job in real processes: no sampler progress logs, BLAS or ArviZ warnings in its output."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "forecasts"
    env_db = ["--db", str(tmp_path / "job.db")]
    evidence = questions_dir / "road-ahead" / "evidence.jsonl"
    outputs = []
    resolutions = questions_dir / "road-ahead" / "resolutions.jsonl"
    for args in (["sync", "--questions", str(questions_dir)], ["import", str(resolutions)],
                 ["evidence", "import", str(evidence)], ["reconstruct"],
                 ["weekly", "--out", str(tmp_path / "reports"), "--questions", str(questions_dir)]):  # fmt: skip
        cmd = [str(exe) if exe.exists() else shutil.which("forecasts"), *env_db, *args]
        fresh = {"XDG_CACHE_HOME": str(tmp_path / "cache")}  # ArviZ's daily notice shows on a fresh cache
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ | fresh)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(proc.stdout + proc.stderr)
    text = "\n".join(outputs)
    assert "report 20" in outputs[-1]
    for noise in ("NUTS", "Sampling", "BLAS", "Warning", "warn("):
        assert noise not in text, text
