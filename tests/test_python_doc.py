"""docs/python.md's worked example runs as written against a temporary folder, and prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import REPO


def _example() -> str:
    text = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_the_python_page_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the example's mkdtemp lands in pytest's folder
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_example(), "docs/python.md", "exec"), {"__name__": "python_doc"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "['rain']"
    assert lines[1] == "0.31 -> 0.58"  # Beta(10, 22) prior mean 0.3125, times a likelihood ratio of 3
    assert lines[2].startswith("probability: ")
    briers = dict(line.split() for line in lines[3:])
    assert briers == {"ana": "0.09", "ben": "0.64"}  # (1 - 0.7)² and (1 - 0.2)² over the time they stood
    assert len(list(tmp_path.rglob("forecasts.db"))) == 1
