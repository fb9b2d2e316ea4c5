"""Export/import round trips byte for byte; forecast-data files import atomically with file:line errors."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_pack import dump, write_pack

from forecasts.errors import ForecastsError
from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence, import_evidence, retract_evidence
from forecasts.forecasting import submit_forecast
from forecasts.interchange.roundtrip import (
    _csv_cell,
    _from_csv,
    data_tables,
    export,
    import_data,
    import_file,
    import_path,
)
from forecasts.resolution import resolve, unresolve
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import parse_datetime

TRICKY = ["\\N", "\\back\\slash", 'quote " and, comma', "line\nbreak\r\nCRLF", "unicode ✓ \u2028 sep", "", " pad "]


def _populate(db, tmp_path: Path) -> None:
    """Questions, evidence (binary and categorical links), a retraction, forecasts, resolve → unresolve → resolve."""
    sync(db, write_pack(tmp_path))
    when = parse_datetime("2024-06-01T12:00:00Z")
    for i, text in enumerate(TRICKY):
        add_evidence(
            db,
            EvidenceItem(
                summary=f"item {i} {text}",
                observed_at=when,
                links=[LinkSpec("open-q", 0.1 + 0.2 * i), LinkSpec("cat-q", -0.3, outcome="late", log_lr_sd=0.4)],
                source=text,
                reliability=0.1 + 0.2,
                tags=["a", " ".join(text.splitlines())],  # a tag is one line (issue 30); texts keep their breaks
            ),
        )
    retract_evidence(db, 2, "duplicate report", "carol")
    submit_forecast(db, "open-q", 0.1 + 0.2, "alice", rationale=TRICKY[3])
    submit_forecast(db, "open-q", "0.7", "bob", rationale="'; DROP TABLE questions; --")
    submit_forecast(db, "cat-q", {"early": 0.2, "middle": 0.5, "late": 0.3}, "alice")
    submit_forecast(db, "closed-q", 0.4, "bob", made_at=parse_datetime("2024-03-01"))
    resolve(db, "closed-q", "yes", "2024-12-01", "source", "first")
    unresolve(db, "closed-q", "wrong source")
    resolve(db, "closed-q", "no", "2024-12-15", "better source", "second")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_round_trip_is_byte_identical(tmp_path: Path, fmt: str) -> None:
    db = connect(tmp_path / "a.db")
    _populate(db, tmp_path)
    first = export(db, tmp_path / "out1", fmt)
    assert first["tables"]["evidence"] == len(TRICKY)
    assert first["tables"]["resolutions"] == 3
    assert first["tables"]["evidence_retractions"] == 1
    names = {t.name for t in data_tables(db)}
    assert {"questions", "forecasters", "evidence", "evidence_links", "forecasts", "resolutions"} <= names
    assert {p.stem for p in (tmp_path / "out1").iterdir()} == names

    fresh = connect(tmp_path / "b.db")
    result = import_data(fresh, tmp_path / "out1")
    n_forecasts = db.execute("SELECT count(*) FROM forecasts").fetchone()[0]  # people's and the model's
    assert result["tables"]["forecasts"] == {"inserted": n_forecasts, "already_present": 0}
    export(fresh, tmp_path / "out2", fmt)
    for p in sorted((tmp_path / "out1").iterdir()):
        assert p.read_bytes() == (tmp_path / "out2" / p.name).read_bytes(), p.name
    # the databases hold the same rows, not just the same files
    data = [line for line in dump(tmp_path / "a.db").splitlines() if "_migrations" not in line]
    again = [line for line in dump(tmp_path / "b.db").splitlines() if "_migrations" not in line]
    assert data == again
    # importing the same export again is harmless: every row is already present
    again_result = import_data(fresh, tmp_path / "out1")
    assert all(t["inserted"] == 0 for t in again_result["tables"].values())


def test_csv_marks_null_and_escapes_backslashes(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.db")
    _populate(db, tmp_path)
    export(db, tmp_path / "out", "csv")
    text = (tmp_path / "out" / "evidence.csv").read_text(encoding="utf-8")
    assert "\\\\N" in text and "\\\\back\\slash" in text
    links = (tmp_path / "out" / "evidence_links.csv").read_text(encoding="utf-8").splitlines()
    assert links[1].split(",")[3] == "\\N"  # a binary link has outcome NULL


def test_export_refuses_to_overwrite_and_bad_format(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.db")
    export(db, tmp_path / "out", "jsonl")
    with pytest.raises(ForecastsError, match="already exists"):
        export(db, tmp_path / "out", "jsonl")
    with pytest.raises(ForecastsError, match="format: 'xml' is not one of csv, jsonl"):
        export(db, tmp_path / "x", "xml")


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        ("forecasts", ",0.7,", ",1.5,", r"probability: 1.5 must be from 0 to 1"),
        ("forecasts", ",0.7,", ",abc,", r"probability: 'abc' is not a number"),
        ("forecasts", "open-q,bob", "nope-q,bob", r"question_id: 'nope-q' does not exist in questions"),
        ("forecasts", '""middle"": 0.5', '""middle"": 0.3', r"probabilities: sum to 0.8, not 1"),
        ("forecasts", "rationale", "rationael", r"rationael: not a column of forecasts"),
        ("resolutions", ",no,", ",maybe,", r"outcome: 'maybe' not allowed for 'closed-q'"),
    ],
)
def test_bad_export_files_abort_everything(tmp_path: Path, table: str, old: str, new: str, message: str) -> None:
    db = connect(tmp_path / "a.db")
    _populate(db, tmp_path)
    export(db, tmp_path / "out", "csv")
    path = tmp_path / "out" / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1  # physical line (some rationales span several lines)
    fresh_path = tmp_path / "fresh.db"
    connect(fresh_path).close()
    before = dump(fresh_path)
    with pytest.raises(ForecastsError, match=rf"{table}\.csv:{line}: {message}"):
        import_data(connect(fresh_path), tmp_path / "out")
    assert dump(fresh_path) == before


def test_import_conflicting_row_and_unknown_table(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.db")
    _populate(db, tmp_path)
    export(db, tmp_path / "out", "jsonl")
    other = connect(tmp_path / "b.db")
    sync(other, write_pack(tmp_path / "b"))
    submit_forecast(other, "open-q", 0.9, "zed")
    before = dump(tmp_path / "b.db")
    with pytest.raises(ForecastsError, match=r"forecasts.jsonl:1: \w+: forecasts row id=1 already exists here"):
        import_data(other, tmp_path / "out")
    assert dump(tmp_path / "b.db") == before
    (tmp_path / "out" / "nonsense.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(ForecastsError, match=r"nonsense.jsonl: table: 'nonsense' does not exist"):
        import_data(connect(tmp_path / "c.db"), tmp_path / "out")


# --- public forecast data -------------------------------------------------------------------------


@pytest.fixture
def pack_db(tmp_path: Path):
    db = connect(tmp_path / "p.db")
    sync(db, write_pack(tmp_path))
    return db


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_forecast_and_resolution_files(tmp_path: Path, pack_db) -> None:
    f = _write(
        tmp_path / "f.csv",
        "question,forecaster,made_at,probability,probabilities,rationale\n"
        "closed-q,gjo-user1,2024-02-01,0.2,,early\n"
        "closed-q,gjo-user1,2024-06-01T10:00:00+02:00,0.35,,\n"
        'cat-q,gjo-user2,2024-05-01,,"{""early"": 0.5, ""middle"": 0.25, ""late"": 0.25}",\n',
    )
    result = import_path(pack_db, f)
    assert result == {
        "kind": "forecasts",
        "file": str(f),
        "imported": 3,
        "skipped_existing": 0,
        "new_forecasters": ["gjo-user1", "gjo-user2"],
    }
    rows = list(pack_db.query("SELECT made_at, probability, probabilities FROM forecasts ORDER BY id"))
    assert rows[1]["made_at"] == "2024-06-01T08:00:00Z"  # offsets converted to UTC
    assert json.loads(rows[2]["probabilities"]) == {"early": 0.5, "middle": 0.25, "late": 0.25}
    assert import_file(pack_db, f)["skipped_existing"] == 3  # re-import is harmless
    r = _write(
        tmp_path / "r.jsonl",
        '{"question": "closed-q", "outcome": "YES", "known_at": "2024-12-20", "source": "https://example.org"}\n',
    )
    assert import_file(pack_db, r)["imported"] == 1
    assert pack_db.execute("SELECT outcome, known_at FROM resolutions").fetchall() == [("yes", "2024-12-20T00:00:00Z")]
    assert import_file(pack_db, r)["skipped_existing"] == 1
    late = _write(tmp_path / "late.jsonl", '{"question": "closed-q", "forecaster": "x", "made_at": "2024-12-21", '
                  '"probability": 0.9}\n')  # fmt: skip
    with pytest.raises(ForecastsError, match=r"late.jsonl:1: made_at: .* after 'closed-q' was resolved"):
        import_file(pack_db, late)


HEADER = "question,forecaster,made_at,probability\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("nope,al,2024-02-01,0.3", r"f.csv:3: question: unknown id 'nope'"),
        ("open-q,al,2024-02-01,1.0000001", r"f.csv:3: probability: '1.0000001' must be a number from 0 to 1"),
        ("open-q,al,2024-02-01,1.5", r"f.csv:3: probability: '1.5' must be"),
        ("open-q,al,2024-02-01,-0.1", r"f.csv:3: probability: '-0.1' must be"),
        ("open-q,al,2024-02-01,NaN", r"f.csv:3: probability: 'NaN' is not a probability"),  # issue 30: grammar message
        ("open-q,al,2024-02-01,.5", r"f.csv:3: probability: '.5' is not a probability"),  # issue 30: 50% is read
        ("open-q,al,20/01/2025,0.3", r"f.csv:3: made_at: '20/01/2025' is not a date"),
        ("open-q,al,2025-13-01,0.3", r"f.csv:3: made_at: '2025-13-01' is not a date"),
        ("open-q,al,2025-01-01T00:00:00+25:00,0.3", r"f.csv:3: made_at: .* is not a date"),
        ("open-q,al,2098-01-01,0.3", r"f.csv:3: made_at: 2098-01-01T00:00:00Z is in the future"),
        ("closed-q,al,2025-03-01,0.3", r"f.csv:3: made_at: 2025-03-01T00:00:00Z is after 'closed-q' closed"),
        ("closed-q,al,2023-03-01,0.3", r"f.csv:3: made_at: .* is before 'closed-q' opened"),
        ("open-q,,2024-02-01,0.3", r"f.csv:3: forecaster: is required"),
        ("open-q," + "x" * 201 + ",2024-02-01,0.3", r"f.csv:3: forecaster: must be at most 200 characters"),
        ("open-q,crowd,2024-02-01,0.3", r"f.csv:3: forecaster: 'crowd' is reserved"),
        ("cat-q,al,2024-02-01,0.3", r"f.csv:3: probability: 'cat-q' is categorical"),
        ("open-q,al,2024-02-01,0.3\nopen-q,al,2024-02-01,0.4", r"f.csv:4: made_at: al already has a forecast"),
    ],
)
def test_bad_forecast_rows_write_nothing(tmp_path: Path, pack_db, row: str, message: str) -> None:
    before = dump(tmp_path / "p.db")
    path = _write(tmp_path / "f.csv", HEADER + "open-q,ok,2024-02-01,0.3\n" + row + "\n")
    with pytest.raises(ForecastsError, match=message):
        import_file(pack_db, path)
    assert dump(tmp_path / "p.db") == before


def test_bad_resolution_and_format_files(tmp_path: Path, pack_db) -> None:
    cases = {
        "a.csv": (
            "question,outcome,known_at\nclosed-q,maybe,2024-12-01\n",
            r"a.csv:2: outcome: 'maybe' is not allowed",
        ),
        "b.csv": ("question,outcome,known_at\nclosed-q,no,01/12/2024\n", r"b.csv:2: known_at: '01/12/2024' is not"),
        "c.csv": ("question,outcome\nclosed-q,no\n", r"c.csv:1: columns: need question, forecaster"),
        "d.csv": (HEADER.replace("probability", "probabilty"), r"d.csv:1: probabilty: unknown column"),
        "e.jsonl": ('{"question": "open-q",\n', r"e.jsonl:1: json: "),
        "f.txt": ("x", r"format must be .csv or .jsonl"),
        "g.csv": (
            "question,outcome,known_at\nclosed-q,no,2024-12-01\nclosed-q,yes,2024-12-02\n",
            r"g.csv:3: question: 'closed-q' is already resolved on line 2",
        ),
    }
    before = dump(tmp_path / "p.db")
    for name, (text, message) in cases.items():
        with pytest.raises(ForecastsError, match=message):
            import_file(pack_db, _write(tmp_path / name, text))
    (tmp_path / "latin1.csv").write_bytes((HEADER + "open-q,jos\xe9,2024-02-01,0.3\n").encode("latin-1"))
    with pytest.raises(ForecastsError, match=r"latin1.csv:2: file: is not UTF-8"):
        import_file(pack_db, tmp_path / "latin1.csv")
    assert dump(tmp_path / "p.db") == before


def test_import_into_a_database_with_the_same_questions_synced(tmp_path: Path) -> None:
    """The usual move to a new machine: sync the question files, then import the data."""
    db = connect(tmp_path / "a.db")
    _populate(db, tmp_path)
    export(db, tmp_path / "out", "csv")
    time.sleep(1.1)  # the second machine syncs in another second (this test used to pass only within one)
    other = connect(tmp_path / "b.db")
    sync(other, write_pack(tmp_path / "b"))  # synced_at differs: a bookkeeping stamp, not a conflict
    result = import_data(other, tmp_path / "out")
    assert result["tables"]["questions"] == {"inserted": 0, "already_present": 3}
    assert result["tables"]["evidence"] == {"inserted": len(TRICKY), "already_present": 0}
    count = "SELECT count(*) FROM forecasts"
    assert other.execute(count).fetchone() == db.execute(count).fetchone()


def test_cli_round_trip(tmp_path: Path, cli) -> None:
    cli("sync", "--questions", str(write_pack(tmp_path)))
    cli("forecast", "open-q", "0.25", "--by", "alice", "--new-forecaster")
    cli("forecast", "cat-q", "early=0.2,middle=0.5,late=0.3", "--by", "alice")
    out = cli.json("export", "--format", "jsonl", "--out", str(tmp_path / "e1"))
    assert out["tables"]["forecasts"] >= 2
    cli.db_path = tmp_path / "second.db"
    assert "imported" in cli("import", str(tmp_path / "e1")).stdout
    cli("export", "--format", "jsonl", "--out", str(tmp_path / "e2"))
    for p in (tmp_path / "e1").iterdir():
        assert p.read_bytes() == (tmp_path / "e2" / p.name).read_bytes()
    data = tmp_path / "gjo.csv"
    data.write_text("question,forecaster,made_at,probability\nclosed-q,gjo-1,2024-03-01,0.6\n", encoding="utf-8")
    assert cli.json("import", str(data))["imported"] == 1
    assert cli.json("import", str(data))["skipped_existing"] == 1


def test_jsonl_strings_may_hold_unicode_line_separators(tmp_path: Path, pack_db) -> None:
    """JSON allows raw U+2028/U+2029 inside strings: a JSONL reader must split on newlines only (U+0085, a C1
    control character, is refused since issue 30)."""
    summary = "first\u2028second\u2029third"
    ev = tmp_path / "ev.jsonl"
    rec = {"observed_at": "2024-06-01", "summary": summary, "links": [{"question": "closed-q", "lr": 2}]}
    ev.write_text(json.dumps(rec, ensure_ascii=False) + "\r\n", encoding="utf-8")
    assert import_evidence(pack_db, ev)["imported"] == 1
    assert pack_db.execute("SELECT summary FROM evidence").fetchone()[0] == summary
    f = tmp_path / "f.jsonl"
    rec = {"question": "closed-q", "forecaster": "x", "made_at": "2024-03-01", "probability": 0.2, "rationale": summary}
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    assert import_file(pack_db, f)["imported"] == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.text() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False), max_size=6))
def test_csv_cells_round_trip(values: list) -> None:
    """Any text (backslashes, \\N, CR, LF, NUL, unicode), integer, float or NULL survives CSV write → read."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow([_csv_cell(v, "t") for v in ["x", *values]])
    (row,) = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    affinity = ["text" if isinstance(v, str) else "real" if isinstance(v, float) else "integer" for v in values]
    back = [_from_csv(cell, aff) for cell, aff in zip(row[1:], affinity, strict=True)]
    assert back == values
    assert [type(b) for b in back] == [type(v) for v in values]


def test_a_recorded_forecast_cannot_be_changed_by_a_later_import(tmp_path: Path, pack_db) -> None:
    """Same forecaster, question and made_at as a recorded forecast: identical → skipped, different → refused."""
    first = _write(
        tmp_path / "first.csv",
        "question,forecaster,made_at,probability,probabilities\n"
        "open-q,gjo-1,2024-02-01T09:00:00Z,0.22,\n"
        'cat-q,gjo-1,2024-02-01,,"{""early"": 0.2, ""middle"": 0.5, ""late"": 0.3}"\n',
    )
    assert import_file(pack_db, first)["imported"] == 2
    before = dump(tmp_path / "p.db")
    cases = {
        "p.csv": (
            HEADER + "open-q,gjo-2,2024-02-01,0.3\nopen-q,gjo-1,2024-02-01T10:00:00+01:00,0.4\n",  # same instant
            r"p.csv:3: probability: gjo-1 already has a forecast on open-q at 2024-02-01T09:00:00Z with 0.22; "
            r"this row says 0.4",
        ),
        "c.jsonl": (
            '{"question": "cat-q", "forecaster": "gjo-1", "made_at": "2024-02-01", '
            '"probabilities": {"early": 0.5, "middle": 0.2, "late": 0.3}}\n',
            r"c.jsonl:1: probabilities: gjo-1 already has a forecast on cat-q at 2024-02-01T00:00:00Z with "
            r"\{early: 0.2, middle: 0.5, late: 0.3\}; this row says \{early: 0.5, middle: 0.2, late: 0.3\}",
        ),
    }
    for name, (text, message) in cases.items():
        with pytest.raises(ForecastsError, match=message):
            import_file(pack_db, _write(tmp_path / name, text))
        assert dump(tmp_path / "p.db") == before  # nothing written, not even gjo-2's forecast
    again = import_file(pack_db, _write(tmp_path / "again.csv", HEADER + "open-q,gjo-1,2024-02-01T09:00:00Z,0.22\n"))
    assert again["skipped_existing"] == 1 and again["imported"] == 0
    # another forecaster, or the same one at another moment, is a new forecast
    other = _write(
        tmp_path / "other.csv", HEADER + "open-q,gjo-2,2024-02-01T09:00:00Z,0.4\nopen-q,gjo-1,2024-02-02,0.4\n"
    )
    assert import_file(pack_db, other)["imported"] == 2


def test_imported_resolution_of_a_deadline_question_says_no_only_after_its_close(pack_cli, tmp_path: Path) -> None:
    early = _write(tmp_path / "early.csv", "question,outcome,known_at\nnorth-korea-troops-ukraine,no,2025-03-01\n")
    refused = pack_cli("import", str(early), ok=False)
    assert refused.exit_code == 1
    assert (
        refused.stderr.startswith("Error: ") and "early.csv:2: known_at: 'north-korea-troops-ukraine'" in refused.stderr
    )
    assert pack_cli.json("status")[5]["state"] == "open"
    yes = _write(tmp_path / "yes.csv", "question,outcome,known_at\nnorth-korea-troops-ukraine,yes,2025-03-01\n")
    pack_cli("import", str(yes))
    assert {r["id"]: r["outcome"] for r in pack_cli.json("status")}["north-korea-troops-ukraine"] == "yes"
