"""A new team's empty tables say why they are empty and what to do next; trust says which resolved questions it
cannot learn from."""

from __future__ import annotations

from conftest import PACK

from forecasts.bayes.trust import fit_trust
from forecasts.store.db import connect

ROAD = PACK / "road-ahead"


def test_empty_scores_say_what_to_do(pack_cli, tmp_path):
    pack_cli("forecasters", "add", "zed")
    for args in (("score",), ("leaderboard",), ("calibration", "zed")):
        out = pack_cli(*args).stdout
        assert "Nothing to score yet: no question has resolved" in out and "forecasts resolve" in out, args
        assert max(len(line) for line in out.splitlines()) <= 80
    assert pack_cli.json("score") == []  # scripts still get the plain empty list
    pack_cli("import", str(ROAD / "resolutions.jsonl"))
    out = " ".join(pack_cli("score", "--by", "zed").stdout.split())
    assert "1 question resolved (talks-start)" in out and "zed made no forecast" in out
    svg = tmp_path / "z.svg"
    pack_cli("calibration", "zed", "--plot", str(svg))
    assert "nothing to plot" in svg.read_text(encoding="utf-8")


def test_trust_names_the_resolved_questions_it_cannot_use(pack_cli):
    pack_cli("import", str(ROAD / "resolutions.jsonl"))
    pack_cli("evidence", "import", str(ROAD / "evidence.jsonl"))
    result = fit_trust(connect(pack_cli.db_path), store=False)
    assert result["n_questions"] == 0
    assert "talks-start (13 items), resolved but not yes/no" in result["verdict"]
