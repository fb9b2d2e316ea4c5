"""The streaming `--json` writer (forecasts.jsonstream) gives the very bytes of the CLI's json.dumps, batch by batch."""

from __future__ import annotations

import io
import json

import pytest

from forecasts.jsonstream import finite, write_array

NESTED = {"z": 2, "y": [float("inf"), "é"], "x": {}}
CASES = [
    [],
    [{}],
    [
        {
            "b": 1,
            "a": 'x"y\n\u00e9\t\\',
            "c": float("nan"),
            "d": None,
            "e": True,
            "f": 1.0,
            "g": [1, NESTED],
            "h": {"q": {}},
            "i": [],
            "j": -0.0,
            "k": 1e-300,
            "l": 2**70,
            "m": False,
            "n": float("-inf"),
        }
    ],  # fmt: skip
    [1, "a", [1, 2], None],
    [{"a": 1, "b": "two"}] * 5001,
    [{1: "int key"}],
]


@pytest.mark.parametrize("rows", CASES)
def test_same_bytes_as_json_dumps(rows: list) -> None:
    buf = io.StringIO()
    assert write_array(iter(rows), buf.write, batch=7) == len(rows)
    want = json.dumps(finite(rows), indent=2, sort_keys=True, default=str, ensure_ascii=False, allow_nan=False)
    assert buf.getvalue() == want + "\n"


def test_writes_in_batches_not_at_the_end() -> None:
    writes: list[str] = []
    write_array(({"i": i} for i in range(25)), writes.append, batch=10)
    assert len(writes) == 4  # three batches (10, 10, 5) and the closing bracket
    assert json.loads("".join(writes)) == [{"i": i} for i in range(25)]
