"""The shipped question pack (questions/road-ahead): it loads, is complete, and its example evidence imports."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forecasts.probabilities import question_probability
from forecasts.questions import get_question, load_questions
from forecasts.store.db import connect
from forecasts.timeutil import now_utc

PACK_DIR = Path(__file__).resolve().parent.parent / "questions" / "road-ahead"
EVIDENCE = PACK_DIR / "evidence.jsonl"
RESOLUTIONS = PACK_DIR / "resolutions.jsonl"
ORIGINAL_IDS = {
    "talks-start", "ceasefire-current-lines", "nato-renunciation", "crimea-recognition", "kursk-exchange",
    "long-range-restrictions", "north-korea-troops-ukraine", "ukraine-army-cap", "russian-withdrawal",
}  # fmt: skip
NEW_IDS = {"general-ceasefire", "putin-zelensky-meeting", "donetsk-withdrawal", "european-troops-ukraine",
           "us-sanctions-relief"}  # fmt: skip
NUMERIC_IDS = {"ukraine-territory-share", "ceasefire-date"}  # issue 27: how much and when
PACK_IDS = ORIGINAL_IDS | NEW_IDS | NUMERIC_IDS
TODAY = datetime(2026, 11, 29, tzinfo=UTC)  # the day the pack was brought up to date
TALKS_OUTCOMES = ["before-2025-04", "2025-04-to-2025-12", "2026", "2027-or-later"]


@pytest.fixture(scope="module")
def pack():
    return {q.id: q for q in load_questions(PACK_DIR.parent) if q.source_file.startswith("questions/road-ahead/")}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in EVIDENCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_pack_syncs_with_every_question(pack_cli, questions_dir):
    listed = {q["id"] for q in pack_cli.json("questions", "list")}
    assert listed >= PACK_IDS
    again = pack_cli.json("sync", "--questions", str(questions_dir))
    assert again["added"] == [] and again["updated"] == [] and set(again["unchanged"]) >= PACK_IDS


def test_pack_has_the_listed_questions(pack):
    assert len(pack) >= 9
    assert set(pack) >= PACK_IDS


def test_talks_start_is_ordered_with_four_bins(pack):
    q = pack["talks-start"]
    assert q.type == "ordered"
    assert list(q.outcomes) == TALKS_OUTCOMES
    probs = q.prior_probabilities()
    assert math.isclose(sum(probs.values()), 1.0)
    assert q.prior["reference"] and q.prior["kind"] == "dirichlet"


def test_every_question_is_resolvable_and_has_a_reasoned_prior(pack):
    for q in pack.values():
        assert len(q.resolution_criteria) > 200, q.id
        assert q.description and q.fine_print, q.id
        assert q.tags, q.id
        assert len(q.prior["reasoning"]) > 100, q.id
        assert q.prior["reference"], q.id
        if q.id in ORIGINAL_IDS or q.id == "ukraine-territory-share":  # the territory series runs from the start
            assert q.opens_at == datetime(2024, 11, 20, tzinfo=UTC), q.id
        else:  # the road ahead as of today: opened when the item first became live, at the latest today
            assert datetime(2024, 11, 20, tzinfo=UTC) < q.opens_at <= TODAY, q.id
            assert q.closes_at > TODAY, q.id
        if q.is_binary:
            assert q.deadline_question, q.id
            assert q.closes_at.year == 2027, q.id
            assert 0.02 < q.prior["mean"] < 0.5, q.id


def test_evidence_records_are_well_formed(records, pack):
    assert records[0]["key"] == "reuters-kremlin-terms-2024-11-20"
    keys = [r["key"] for r in records]
    assert len(set(keys)) == len(keys)
    for rec in records:
        assert rec["url"].startswith(("https://", "http://")), rec["key"]
        assert rec["summary"] and rec["source"] and rec["reliability"], rec["key"]
        assert rec["recorded_by"] == "pack" and rec["links"], rec["key"]
        at = datetime.fromisoformat(rec["observed_at"]).replace(tzinfo=UTC)
        assert at <= TODAY, rec["key"]
        talks = [lk for lk in rec["links"] if lk["question"] == "talks-start"]
        if talks:  # categorical links: one per outcome
            assert sorted(lk["outcome"] for lk in talks) == sorted(TALKS_OUTCOMES), rec["key"]
        for lk in rec["links"]:
            q = pack[lk["question"]]
            assert q.opens_at <= at < q.closes_at, (rec["key"], lk["question"], "outside the question's window")
            if q.is_numeric:  # an observation of the quantity, with its standard error
                assert lk["sd"] > 0 and lk["reasoning"] and "lr" not in lk, (rec["key"], lk["question"])
                continue
            assert 1 / 30 <= lk["lr"] <= 30 and lk["lr_sd"] >= 0 and lk["reasoning"], (rec["key"], lk["question"])
    linked = {lk["question"] for rec in records for lk in rec["links"]}
    # every pack question has evidence but the date question, which has no observation of a date yet
    assert linked == set(pack) - {"ceasefire-date"}


def test_evidence_trail_reaches_into_2026_over_a_year_of_months(records):
    original = [r for r in records if r["observed_at"] <= "2024-11-25" and "value" not in r["links"][0]]
    assert len(original) == 13  # the pack's first trail, kept
    assert len(records) >= 40
    months = {r["observed_at"][:7] for r in records}
    assert len(months) >= 20
    assert min(r["observed_at"] for r in records) == "2024-11-20"
    assert max(r["observed_at"] for r in records) >= "2026-10-01"  # the autumn of 2026 is in the trail
    assert {m for m in months if m >= "2026-06"} >= {"2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}


def test_autumn_items_say_how_they_were_found_and_are_not_graded_as_seen_firsthand(records):
    # June-October 2026 could be reached only through briefs and trackers that relay the outlets: every such item
    # says so in its note, and none claims the top source grade of an outlet's own page.
    autumn = [r for r in records if r["observed_at"] > "2026-06-22" and "value" not in r["links"][0]]
    assert len(autumn) >= 30
    for rec in autumn:
        assert rec.get("note") and len(rec["note"]) > 60, rec["key"]
        assert rec["reliability"][0] in "BC", rec["key"]
        assert rec["key"].endswith(rec["observed_at"]), rec["key"]


def test_resolutions_follow_each_questions_criteria(pack, records):
    rows = [json.loads(line) for line in RESOLUTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows
    by_q = {r["question"]: r for r in rows}
    assert len(by_q) == len(rows)
    for r in rows:
        q = pack[r["question"]]
        known = datetime.fromisoformat(r["known_at"]).replace(tzinfo=UTC)
        assert q.opens_at <= known <= TODAY, r["question"]
        assert r["source"] and "https://" in r["source"] and len(r["note"]) > 100, r["question"]
        assert r["outcome"] in q.outcomes or r["outcome"] in ("ambiguous", "annulled"), r["question"]
        if q.deadline_question and r["outcome"] == "no":
            assert known >= q.closes_at, r["question"]  # a "by date" question resolves no only at its close
        # the resolving event is in the trail, dated the day it became known
        assert any(
            rec["observed_at"] == r["known_at"] and any(lk["question"] == q.id for lk in rec["links"])
            for rec in records
        ), r["question"]
    # talks-start: the bin holding the first in-person meeting of the two governments' delegations (Istanbul,
    # 16 May 2025); the February-March 2025 rounds were US-only or proximity talks and do not count.
    talks = by_q["talks-start"]
    assert (talks["outcome"], talks["known_at"]) == ("2025-04-to-2025-12", "2025-05-16")
    assert "Istanbul" in talks["note"] and "Riyadh" in talks["note"] and "Jeddah" in talks["note"]
    # kursk-exchange's premise is gone but its criteria have no void clause: a "by date" question stays open
    # until its close (it can only resolve no then); long-range-restrictions has one of the two outlets it needs.
    assert "kursk-exchange" not in by_q and "long-range-restrictions" not in by_q
    assert all(r["outcome"] != "no" for r in rows)


def test_resolutions_import_and_show_with_their_source(pack_cli):
    pack_cli("evidence", "import", str(EVIDENCE))
    first = pack_cli.json("import", str(RESOLUTIONS))
    assert first["imported"] >= 1
    assert pack_cli.json("import", str(RESOLUTIONS))["imported"] == 0  # re-running the main job is harmless
    shown = pack_cli("questions", "show", "talks-start").stdout
    assert "resolved" in shown and "2025-04-to-2025-12" in shown and "unn.ua" in " ".join(shown.split())


def test_evidence_imports_once_then_skips(pack_cli, records):
    first = pack_cli.json("evidence", "import", str(EVIDENCE))
    assert first["imported"] == len(records) and first["skipped_existing"] == 0
    second = pack_cli.json("evidence", "import", str(EVIDENCE))
    assert second["imported"] == 0 and second["skipped_existing"] == len(records)
    listed = pack_cli.json("evidence", "list")
    assert len(listed) == len(records)
    n_links = sum(len(r["links"]) for r in records)
    assert sum(len(e["links"]) for e in listed) == n_links
    assert {lk["question"] for e in listed for lk in e["links"]} <= PACK_IDS


def test_status_after_import_is_sensible(pack_cli):
    pack_cli("evidence", "import", str(EVIDENCE))
    rows = {r["id"]: r for r in pack_cli.json("status") if r["id"] in PACK_IDS}
    assert set(rows) == PACK_IDS
    for r in rows.values():
        if r["type"] in ("numeric", "date"):  # a median and interval instead of outcome probabilities
            assert r["numeric"]["now_text"] and (r["evidence_count"] >= 1 or r["id"] == "ceasefire-date"), r["id"]
            continue
        assert math.isclose(sum(r["probabilities"].values()), 1.0, abs_tol=1e-9)
        assert r["evidence_count"] >= 1
        if r["type"] == "binary" and r["state"] == "open":  # deadline decay keeps open ones well below 0.5
            assert 0.001 < r["probabilities"]["yes"] < 0.5, r["id"]
    prior = rows["talks-start"]["prior"]
    # Seen from November 2024 (with all the pack's evidence), Trump's election and Kyiv aiming for 2025
    # move mass from "2027-or-later" to 2025.
    db = connect(pack_cli.db_path)
    q = get_question(db, "talks-start")
    then = question_probability(db, q, datetime(2024, 11, 26, tzinfo=UTC), known_by=now_utc())
    assert then["2025-04-to-2025-12"] > prior["2025-04-to-2025-12"]
    assert then["2027-or-later"] < prior["2027-or-later"]
    # Today, windows that passed without a recorded start have lost their probability.
    now = rows["talks-start"]["probabilities"]
    assert now["before-2025-04"] < 1e-6 and now["2025-04-to-2025-12"] < 1e-6


def test_show_reflows_hard_wrapped_criteria_into_paragraphs(pack_cli):
    from forecasts.cli import prose

    assert prose("a\nb\n\nc\n- x\n- y\n1. z\n2025-01 w") == "a b\n\nc\n- x\n- y\n1. z 2025-01 w"
    lines = [ln.rstrip() for ln in pack_cli("questions", "show", "talks-start").stdout.splitlines()]
    # the file breaks this sentence after "2025-04-01 to" and "meeting by"; shown, it is one paragraph
    assert not any(ln.endswith(("2025-04-01 to", "qualifying meeting by")) for ln in lines), lines
    shown = " ".join(" ".join(lines).split())
    assert '"2025-04-to-2025-12" = 2025-04-01 to 2025-12-31; "2026" = 2026-01-01 to 2026-12-31' in shown


def test_a_resolved_question_is_certain_in_status_and_scenario_signposts(pack_cli):
    pack_cli("resolve", "talks-start", "2025-04-to-2025-12", "--known-at", "2025-05-16")
    status = {r["id"]: r for r in pack_cli.json("status")}["talks-start"]
    assert status["state"] == "resolved" and status["probabilities"]["2025-04-to-2025-12"] == 1.0
    assert sum(status["probabilities"].values()) == 1.0
    shown = {r["id"]: r for r in pack_cli.json("scenarios")}
    talks = next(sp for sp in shown["fast-deal"]["signposts"] if sp.get("question") == "talks-start")
    assert talks["probability"] == 1.0 and talks["movement"] == "up" and talks["signal"] == "toward"


def test_scenario_conditions_are_open_or_settled_consistently(pack):
    import tomllib

    rows = [json.loads(line) for line in RESOLUTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    resolved = {r["question"]: r["outcome"] for r in rows}
    files = sorted((PACK_DIR / "scenarios").glob("*.toml"))
    scenarios = [tomllib.loads(f.read_text(encoding="utf-8")) for f in files if f.name != "dependencies.toml"]
    assert len(scenarios) >= 3
    for sc in scenarios:
        for cond in sc["conditions"]:
            q = pack[cond["question"]]
            if q.id in resolved:  # settled: met (no scenario is silently impossible) and said so
                assert resolved[q.id] in cond["outcomes"], (sc["id"], q.id)
                assert "settled" in sc["description"] and q.id in sc["description"], sc["id"]
            else:  # open: it can still happen
                assert q.closes_at > TODAY, (sc["id"], q.id)
        assert "Status on 2026-11-29" in sc["description"], sc["id"]


def test_the_territory_series_is_monthly_from_november_2024(records):
    """Issue 27: observations of the territory share at least monthly from November 2024 to the newest found."""
    obs = [r for r in records if r["links"][0]["question"] == "ukraine-territory-share"]
    months = sorted({r["observed_at"][:7] for r in obs})
    every = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
    want = [m for m in every if "2024-11" <= m <= "2026-08"]
    assert set(want) <= set(months), sorted(set(want) - set(months))
    values = [r["links"][0]["value"] for r in sorted(obs, key=lambda r: r["observed_at"])]
    assert 18.0 < values[0] < 19.0 and 19.0 < values[-1] < 20.0  # about 18.4% at opening, about 19.4% in August 2026


def test_the_ceasefire_date_agrees_with_the_general_ceasefire_question(pack):
    """Issue 27: the date question's prior mass within its range is general-ceasefire's prior (same event)."""
    from statistics import NormalDist

    date_q, binary = pack["ceasefire-date"], pack["general-ceasefire"]
    assert date_q.type == "date" and date_q.scale.open_upper_bound and date_q.closes_at == binary.closes_at
    mean = float(date_q.prior["mean"])  # stored as Unix seconds
    in_range = NormalDist(mean, float(date_q.prior["sd"])).cdf(date_q.scale.range_max)  # seconds, as stored
    assert abs(in_range - binary.prior["mean"]) < 0.01


def test_the_pack_status_reads_the_date_question_beyond_its_range(pack_cli):
    rows = {r["id"]: r for r in pack_cli.json("status")}
    assert rows["ceasefire-date"]["numeric"]["now_text"].startswith("after 2027-12-31")
    assert rows["ukraine-territory-share"]["numeric"]["now_text"].endswith("%)")
