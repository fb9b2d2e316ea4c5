"""The column chain encoding (ledger.canonical_columns) writes the very bytes of ledger.canonical, so digests made
before it still verify; and check_forecast_rows (validation by column) agrees with check_forecast row by row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forecasts.errors import ForecastsError
from forecasts.interchange.rows import FORECAST_FIELDS
from forecasts.store.ledger import canonical, canonical_columns
from forecasts.validation import check_forecast, check_forecast_rows

SPEC = [(0, "a", None), (1, "b", "[]"), (2, "c", 0), (3, "d", ""), (4, "é", None)]
ROWS = [
    (1, "[]", 0, "", None),
    ('x"\\\n\t\u2028é\x01', "[1]", 1.5, "y", b"\x00\xff"),
    (2**70, -0.0, float("nan"), float("inf"), 1e-310),
    (True, 0.1 + 0.2, -7, "0", "𝄞"),
]


@pytest.mark.parametrize("row", ROWS)
def test_column_encoding_of_one_row_gives_the_same_bytes(row: tuple) -> None:
    spec = sorted([(5, "id", None), *SPEC], key=lambda c: c[1])
    columns = {name: [(*row, 7)[i]] for i, name, _ in spec}
    assert canonical_columns("forecasts", spec, columns, 1) == [canonical("forecasts", spec, (*row, 7))]


NOW = datetime(2025, 1, 1, tzinfo=UTC)
GOOD = ("q-1", "alice", "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", 0.25, None, "why", "", "", None)
BAD = [
    ("q-1", "alice", "2024-02-30T00:00:00Z", *GOOD[3:]),  # not a real date
    ("q-1", "alice", "2026-01-01T00:00:00Z", *GOOD[3:]),  # after now
    ("q-1", "alice", "2024-01-01 00:00:00", *GOOD[3:]),  # not canonical
    (*GOOD[:4], 1.5, *GOOD[5:]),
    (*GOOD[:4], float("nan"), *GOOD[5:]),
    (*GOOD[:4], None, *GOOD[5:]),  # neither probability nor probabilities
    (*GOOD[:6], "a\x00b", *GOOD[7:]),
    (*GOOD[:6], "a\x1b]0;title\x07", *GOOD[7:]),  # a terminal escape in the rationale (issue 30)
    ("Q 1", *GOOD[1:]),
    (*GOOD[:1], "bad name!", *GOOD[2:]),
]


@pytest.mark.parametrize("bad", BAD)
def test_column_check_names_the_first_bad_row_like_the_row_check(bad: tuple) -> None:
    with pytest.raises(ForecastsError) as want:
        check_forecast(dict(zip(FORECAST_FIELDS, bad, strict=True)), NOW)
    with pytest.raises(ForecastsError) as got:
        check_forecast_rows([GOOD, GOOD, bad, bad], FORECAST_FIELDS, NOW, lambda i: f"f.csv:{i + 2}")
    assert str(got.value) == f"f.csv:4: {want.value}"


def test_column_check_passes_valid_rows() -> None:
    rows = [GOOD, (*GOOD[:4], 0.0, *GOOD[5:]), (*GOOD[:4], 1.0, *GOOD[5:])]
    check_forecast_rows(rows, FORECAST_FIELDS, NOW, str)
    check_forecast_rows([], FORECAST_FIELDS, NOW, str)


def test_column_encoding_gives_the_same_bytes_as_each_row() -> None:
    spec = sorted([(5, "id", None), *SPEC], key=lambda c: c[1])
    rows = [(*row, i) for i, row in enumerate([*ROWS, ("a", "[]", 0.0, "", None), (None, None, None, None, None)])]
    columns = {name: [row[i] for row in rows] for i, name, _ in spec}
    assert canonical_columns("forecasts", spec, columns, len(rows)) == [canonical("forecasts", spec, r) for r in rows]
    partial = {k: v for k, v in columns.items() if k in ("id", "c", "é")}  # columns left out hold their defaults
    defaults = [tuple(r[i] if name in partial else d for i, name, d in sorted(spec)) for r in rows]
    want = [canonical("forecasts", spec, r) for r in defaults]
    assert canonical_columns("forecasts", spec, partial, len(rows)) == want


@pytest.mark.parametrize(
    ("stamp", "valid"),
    [("2024-02-29T00:00:00Z", True), ("2000-02-29T23:59:59Z", True), ("2023-02-29T00:00:00Z", False),
     ("1900-02-29T00:00:00Z", False), ("2024-04-31T00:00:00Z", False), ("2024-01-01T24:00:00Z", False),
     ("2024-01-01T00:00:60Z", False), ("٢٠٢٤-01-01T00:00:00Z", False),
     ("2024-01-01T00:00:00Z\n2024-01-01T00:00:00Z", False)],
)  # fmt: skip
def test_the_column_timestamp_check_knows_real_days(stamp: str, valid: bool) -> None:
    from forecasts.validation import stamps_valid

    assert stamps_valid(["2024-01-01T00:00:00Z", stamp], NOW) is valid


@pytest.mark.parametrize("bad", BAD)
def test_the_stored_column_check_says_valid_only_when_every_row_is(bad: tuple) -> None:
    from forecasts.validation import stored_forecasts_valid

    def stored(rows: list[tuple]) -> dict:
        extra = {"_rowid": range(1, len(rows) + 1), "id": list(range(1, len(rows) + 1)),
                 "evidence_ids": ["[]"] * len(rows), "os_user": ["me"] * len(rows), "numeric_input": [None] * len(rows)}
        return {**dict(zip(FORECAST_FIELDS, zip(*rows, strict=True), strict=True)), **extra}  # fmt: skip

    assert stored_forecasts_valid(stored([GOOD, GOOD]), NOW)
    assert not stored_forecasts_valid(stored([GOOD, bad]), NOW)
    assert not stored_forecasts_valid({**stored([GOOD]), "id": [0]}, NOW)
    assert not stored_forecasts_valid({**stored([GOOD]), "evidence_ids": ["[1]"]}, NOW)  # row by row decides
