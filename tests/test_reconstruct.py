"""`forecasts reconstruct`: the model's replayed track equals logging the pack's items one by one in date order."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from forecasts.bayes.record import forecast_value, record_model_forecasts
from forecasts.evidence import _item_from_record, add_evidence
from forecasts.questions import all_questions
from forecasts.reconstruct import MARK, RECONSTRUCTED, plan, week_ends
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import from_iso, now_utc, parse_datetime, to_iso

PACK = Path(__file__).resolve().parent.parent / "questions" / "road-ahead"
EVIDENCE = PACK / "evidence.jsonl"
RESOLUTIONS = PACK / "resolutions.jsonl"


def _track(db, forecaster: str) -> dict[tuple[str, str], dict[str, float]]:
    """The value standing at each (question, made_at) of one forecaster: the last row written there."""
    out = {}
    for qid, made, p, ps, cdf in db.conn.execute(
        "SELECT question_id, made_at, probability, probabilities, cdf FROM forecasts WHERE forecaster_id = ? "
        "ORDER BY id",
        [forecaster],
    ):
        if cdf is not None:  # a numeric question's model: the local-level model's CDF
            out[(qid, made)] = {"cdf": json.loads(cdf)}
            continue
        out[(qid, made)] = {"yes": p} if p is not None else json.loads(ps)
    return out


def _log_one_by_one(db, monkeypatch, records: list[dict]) -> None:
    """Replay history by hand: each item added on its observed_at and the weekly job at every Monday, clock faked."""
    items = sorted(enumerate(records), key=lambda ir: (parse_datetime(ir[1]["observed_at"]), ir[0]))
    start = parse_datetime(items[0][1]["observed_at"])
    events = [(parse_datetime(r["observed_at"]), 0, i) for i, r in items]
    events += [(t, 1, 0) for t in week_ends(start, now_utc())]
    events.sort()
    for at, kind, i in events:
        for mod in ("forecasts.evidence", "forecasts.forecasting", "forecasts.forecasters"):
            monkeypatch.setattr(f"{mod}.now_utc", lambda at=at: at)
        if kind == 0:
            add_evidence(db, _item_from_record(records[i], f"record {i}"))
        else:
            record_model_forecasts(db, at=at)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in EVIDENCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_reconstruction_equals_logging_items_one_by_one(pack_cli, questions_dir, tmp_path, monkeypatch, records):
    pack_cli("evidence", "import", str(EVIDENCE))
    result = pack_cli.json("reconstruct")
    assert result["forecaster"] == RECONSTRUCTED and result["written"] > len(records)
    replayed = _track(connect(pack_cli.db_path), RECONSTRUCTED)

    by_hand = connect(tmp_path / "by-hand.db")
    sync(by_hand, questions_dir)
    _log_one_by_one(by_hand, monkeypatch, records)
    logged = _track(by_hand, "bayes")

    # a numeric question without observations (the date question): the replay starts its track at the opening,
    # the live model first writes it at the next weekly run; the value is the same prior either way
    silent = {"ceasefire-date"} - {lk["question"] for r in records for lk in r["links"]}
    for qid in silent:
        first_replayed = min(k for k in replayed if k[0] == qid)
        first_logged = min(k for k in logged if k[0] == qid)
        assert replayed.pop(first_replayed)["cdf"] == pytest.approx(logged.pop(first_logged)["cdf"], abs=1e-12)
    assert replayed.keys() == logged.keys()
    for key, value in logged.items():
        assert replayed[key].keys() == value.keys(), key
        for outcome, p in value.items():
            assert replayed[key][outcome] == pytest.approx(p, abs=1e-12), (key, outcome)
    # every item that bears on an open question produced a forecast on its observed_at
    db = connect(pack_cli.db_path)
    windows = {r[0]: (r[1], r[2]) for r in db.conn.execute("SELECT id, opens_at, closes_at FROM questions")}
    for rec in records:
        at = to_iso(parse_datetime(rec["observed_at"]))
        for lk in rec["links"]:
            opens, closes = windows[lk["question"]]
            if opens <= at < closes:
                assert (lk["question"], at) in replayed, (rec["key"], lk["question"])


def test_reconstruction_is_separate_idempotent_and_stops_when_the_truth_is_known(pack_cli, records):
    pack_cli("evidence", "import", str(EVIDENCE))
    pack_cli("import", str(RESOLUTIONS))
    db = connect(pack_cli.db_path)
    live_before = db.conn.execute("SELECT COUNT(*) FROM forecasts WHERE forecaster_id = 'bayes'").fetchone()[0]
    first = pack_cli.json("reconstruct")
    again = pack_cli.json("reconstruct")
    assert first["written"] > 0 and again["written"] == 0 and again["corrected"] == 0
    # the territory series has two observations on some days: one row stands there, and a second run adds none
    assert first["numeric"]["written"] > 0 and again["numeric"]["written"] == 0
    live_after = db.conn.execute("SELECT COUNT(*) FROM forecasts WHERE forecaster_id = 'bayes'").fetchone()[0]
    assert live_after == live_before  # the live model's rows are untouched
    rows = db.conn.execute(
        "SELECT f.question_id, f.made_at, f.rationale, k.kind FROM forecasts f JOIN forecasters k "
        "ON k.id = f.forecaster_id WHERE f.forecaster_id = ?",
        [RECONSTRUCTED],
    ).fetchall()
    assert rows and all(r[2].startswith(MARK) and r[3] == "model" for r in rows)
    known = {r["question"]: r["known_at"] for r in map(json.loads, RESOLUTIONS.read_text().splitlines())}
    for qid, made, _, _ in rows:
        if qid in known:
            assert made < to_iso(parse_datetime(known[qid])), (qid, made)
    scored = {r["question_id"] for r in pack_cli.json("score", "--by", RECONSTRUCTED)}
    assert scored == set(known)


def test_a_changed_history_is_corrected_with_new_rows(pack_cli):
    pack_cli("evidence", "import", str(EVIDENCE))
    pack_cli("reconstruct")
    db = connect(pack_cli.db_path)
    n_before = db.conn.execute("SELECT COUNT(*) FROM forecasts WHERE forecaster_id = ?", [RECONSTRUCTED]).fetchone()[0]
    eid = db.conn.execute("SELECT id FROM evidence WHERE key = 'wsj-atacms-blocked-2025-08-23'").fetchone()[0]
    pack_cli("evidence", "retract", str(eid), "--reason", "test: report withdrawn")
    fixed = pack_cli.json("reconstruct")
    assert fixed["written"] + fixed["corrected"] > 0
    n_after = db.conn.execute("SELECT COUNT(*) FROM forecasts WHERE forecaster_id = ?", [RECONSTRUCTED]).fetchone()[0]
    assert n_after == n_before + fixed["written"] + fixed["corrected"]  # appended, nothing edited
    track = _track(db, RECONSTRUCTED)
    wanted = {(p.question, to_iso(p.made_at)): p for p in plan(db)}
    questions = {q.id: q for q in all_questions(db)}
    for key, p in wanted.items():
        value = forecast_value(questions[p.question], p.probs)
        ref = {"yes": value} if isinstance(value, float) else value
        assert track[key].keys() == ref.keys(), key
        for outcome, got in track[key].items():
            assert got == pytest.approx(ref[outcome], abs=1e-12), (key, outcome)
    lrr = sorted((made, v["yes"]) for (q, made), v in track.items() if q == "long-range-restrictions")
    assert lrr[-1][1] < 0.25  # without the WSJ item the question is back near its decayed prior
    assert all(from_iso(made) < datetime.fromisoformat("2027-06-30T00:00:00+00:00") for made, _ in lrr)
