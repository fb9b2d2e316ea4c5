"""score --json's column renderer (forecasts.scoring.json_rows) writes the bytes of the per-row writer."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from forecasts.jsonstream import write_array, write_texts
from forecasts.scoring.json_rows import _columns, json_rows
from forecasts.scoring.leaderboard import iter_records


def _both(frame: pd.DataFrame, chunk: int) -> tuple[str, str]:
    old, new = io.StringIO(), io.StringIO()
    write_array(iter_records(frame, chunk), old.write)
    write_texts(json_rows(frame, chunk), new.write)
    return old.getvalue(), new.getvalue()


def test_columns_render_the_bytes_of_rows() -> None:
    frame = pd.DataFrame(
        {
            "question_id": ["q-1", 'q"2\\', "é\u2028", "q-4"],
            "brier": [0.1 + 0.2, float("nan"), float("inf"), -0.0],
            "n_forecasts": np.array([1, 2, 3, 2**40], dtype=np.int64),
            "flag": [True, False, True, False],
            "outcome": ["yes", None, "no", "yes"],  # None among text: the per-row path for the chunk
            "a_first": [1e-300, 5e-324, 1.0, 2.5],
        }
    )
    for chunk in (1, 3, 10):
        old, new = _both(frame, chunk)
        assert new == old
    assert _columns(frame.drop(columns="outcome")) is not None  # rendered by column, not per row
    assert _both(frame.drop(columns="outcome"), 10)[0] == _both(frame.drop(columns="outcome"), 10)[1]
    assert _both(frame.iloc[:0], 5) == ("[]\n", "[]\n")
    listed = frame.assign(probabilities=[[0.1, 0.9], None, [1.0], [0.5, 0.5]])  # nested values: per row
    assert _both(listed, 2)[0] == _both(listed, 2)[1]


def test_a_score_table_renders_the_same(cli, make_question, tmp_path) -> None:
    from forecasts.scoring.leaderboard import score_table
    from forecasts.store.db import connect

    cli("sync", "--questions", str(make_question("q1", opens_at="2024-01-01", closes_at="2024-01-11")))
    f = tmp_path / "f.csv"
    f.write_text("question,forecaster,made_at,probability\nq1,al,2024-01-02,0.3\nq1,bo,2024-01-03,0.8\n")
    r = tmp_path / "r.csv"
    r.write_text("question,outcome,known_at\nq1,yes,2024-01-12\n")
    cli("import", str(f))
    cli("import", str(r))
    frame = score_table(connect(cli.db_path))
    assert len(frame) == 2
    old, new = _both(frame, 1)
    assert new == old and '"forecaster_id": "al"' in new
    assert _columns(frame) is not None  # a score table takes the column path
