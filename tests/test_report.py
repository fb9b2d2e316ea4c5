"""The weekly report: golden Markdown, byte-identical regeneration, escaping, and rendering in headless Chromium."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from forecasts import evidence as evidence_mod
from forecasts import forecasters as forecasters_mod
from forecasts import forecasting as forecasting_mod
from forecasts import resolution as resolution_mod
from forecasts import sync as sync_mod
from forecasts.bayes.interval import monte_carlo_posterior
from forecasts.errors import ForecastsError
from forecasts.evidence import EvidenceItem, LinkSpec, add_evidence, retract_evidence
from forecasts.forecasting import standing_forecasts, submit_forecast
from forecasts.probabilities import active_links, probability_from_links
from forecasts.questions import all_questions
from forecasts.report import parse_formats, write_report
from forecasts.report import trajectory as tr
from forecasts.report.build import _arrays, build_report, load_links, week_bounds
from forecasts.report.html import e as html_escape
from forecasts.report.html import render_html
from forecasts.report.labels import human
from forecasts.report.markdown import md, render_markdown
from forecasts.report.plots import calibration_svg, pooling_svg, trajectory_svg
from forecasts.store.db import insert_row, write_transaction
from forecasts.sync import sync

GOLDEN = Path(__file__).parent / "golden"
WEEK = "2025-W10"  # Mon 2025-03-03 .. Sun 2025-03-09; as of 2025-03-09T23:59:59Z
XSS = "<script>alert(1)</script> *not bold* [a](b) | pipe"
BAD_URL = "javascript:alert(1)"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

QUESTIONS = {
    "alpha-deal.toml": """
title = "Will the parties sign a deal by the end of 2025?"
deadline_question = true
opens_at = 2025-01-01
closes_at = 2025-12-31
resolves_by = 2026-01-31
resolution_criteria = "Both parties sign."
[prior]
reference = "comparable negotiations"
successes = 3
trials = 10
""",
    "beta-vote.toml": """
title = "Will the vote pass?"
opens_at = 2025-01-01
closes_at = 2025-03-31
resolves_by = 2025-04-15
resolution_criteria = "The vote passes."
[prior]
a = 2
b = 2
""",
    "gamma-when.toml": """
title = "When will talks start?"
type = "ordered"
outcomes = ["h1-2025", "h2-2025", "later"]
bin_ends = [2025-07-01, 2026-01-01]
opens_at = 2025-01-01
closes_at = 2026-12-31
resolves_by = 2027-01-31
resolution_criteria = "Talks start."
[prior]
probabilities = [0.3, 0.3, 0.4]
""",
    "delta-old.toml": """
title = "Will the summit happen in February?"
opens_at = 2025-01-01
closes_at = 2025-03-01
resolves_by = 2025-03-31
resolution_criteria = "The summit happens."
[prior]
probability = 0.5
note = "coin flip"
""",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    """Sets `now` for the library modules that stamp recorded_at, so fixtures have fixed timestamps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def __call__(self, when: str) -> None:
        for mod in (evidence_mod, forecasting_mod, forecasters_mod, resolution_mod, sync_mod):
            stamp = at(when)
            self.monkeypatch.setattr(mod, "now_utc", lambda stamp=stamp: stamp)


def item(summary: str, observed: str, links: list[LinkSpec], **kw) -> EvidenceItem:
    return EvidenceItem(summary=summary, observed_at=at(observed), links=links, **kw)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "questions"
    folder.mkdir()
    for name, text in QUESTIONS.items():
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
    return folder


@pytest.fixture
def world(db, root, monkeypatch):
    """A small deterministic history: evidence before and during 2025-W10, forecasts, a resolution."""
    clock = Clock(monkeypatch)
    clock("2025-01-01T00:00:00")  # the questions were synced before anything was recorded on them
    sync(db, root)
    clock("2025-01-11T09:00:00")
    add_evidence(db, item("Envoys meet for the first time", "2025-01-10", [
        LinkSpec("alpha-deal", math.log(2.0), log_lr_sd=0.3), LinkSpec("gamma-when", math.log(2.0), "h1-2025")],
        source="Wire", url="https://example.org/envoys", reliability=0.8))  # fmt: skip
    clock("2025-01-15T12:00:00")
    submit_forecast(db, "alpha-deal", 0.3, "alice", "base rate", made_at=at("2025-01-15T12:00:00"))
    submit_forecast(db, "delta-old", 0.7, "alice", "likely", made_at=at("2025-01-15T12:00:00"))
    clock("2025-01-20T12:00:00")
    submit_forecast(db, "delta-old", 0.4, "bob", "", made_at=at("2025-01-20T12:00:00"))
    clock("2025-02-20T12:00:00")
    submit_forecast(db, "gamma-when", "h1-2025=0.2,h2-2025=0.3,later=0.5", "bob", "slow", made_at=at("2025-02-20"))
    clock("2025-03-03T08:00:00")
    submit_forecast(db, "beta-vote", 0.6, "alice", "whip count", made_at=at("2025-03-03T08:00:00"))
    clock("2025-03-05T10:00:00")
    add_evidence(db, item("Draft text leaked", "2025-03-04", [
        LinkSpec("alpha-deal", math.log(3.0)), LinkSpec("beta-vote", math.log(0.5), log_lr_sd=0.2)],
        source="Paper", url="https://example.org/draft?a=1&b=2", reliability=0.9))  # fmt: skip
    with write_transaction(db):  # an item typed with markup and a script URL (raw SQL: every write path refuses it)
        eid = db.conn.execute(
            "INSERT INTO evidence (observed_at, recorded_at, summary, source, url, reliability) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ["2025-03-05T00:00:00Z", "2025-03-06T10:00:00Z", XSS, "<b>anon</b>", BAD_URL, 0.5]).lastrowid  # fmt: skip
        insert_row(db, "evidence_links", {"evidence_id": eid, "question_id": "alpha-deal", "log_lr": math.log(0.8)})
    clock("2025-03-06T12:00:00")
    resolution_mod.resolve(db, "delta-old", "yes", known_at="2025-02-25", source="news")
    submit_forecast(db, "alpha-deal", 0.45, "bob", "draft <i>text</i> | changes things", made_at=at("2025-03-06"))
    return db


def later_history(db, monkeypatch) -> None:
    """Things recorded after WEEK: they must not change that week's report."""
    clock = Clock(monkeypatch)
    clock("2025-03-12T10:00:00")
    add_evidence(db, item("Talks collapse", "2025-03-08", [LinkSpec("alpha-deal", math.log(0.2))]))
    retract_evidence(db, 1, "misreported")
    submit_forecast(db, "alpha-deal", 0.1, "alice", "collapse", made_at=at("2025-03-09T12:00:00"))
    resolution_mod.resolve(db, "beta-vote", "no", known_at="2025-03-08")


def test_golden_markdown(world, root, tmp_path):
    text = render_markdown(build_report(world, WEEK, root))
    golden = GOLDEN / "report-2025-W10.md"
    if os.environ.get("FORECASTS_UPDATE_GOLDEN") == "1" or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert text == golden.read_text(encoding="utf-8"), "report changed; FORECASTS_UPDATE_GOLDEN=1 to accept"


def test_report_contents(world, root):
    r = build_report(world, WEEK, root)
    assert r["as_of"] == "2025-03-09T23:59:59Z" and r["week_ago"] == "2025-03-02T23:59:59Z"
    assert [b["id"] for b in r["questions"]] == ["alpha-deal", "beta-vote", "gamma-when"]
    alpha = next(b for b in r["questions"] if b["id"] == "alpha-deal")
    q = next(q for q in all_questions(world) if q.id == "alpha-deal")
    as_of = at("2025-03-09T23:59:59")
    assert alpha["now"]["yes"] == pytest.approx(
        probability_from_links(q, active_links(world, as_of)["alpha-deal"], as_of)["yes"]
    )
    # this week's items: leave-one-out change at the as-of time, and r·ln LR
    draft = next(e for e in alpha["week_evidence"] if e["summary"] == "Draft text leaked")
    assert draft["log_odds"]["yes"] == pytest.approx(0.9 * math.log(3.0))
    logit_now = math.log(alpha["now"]["yes"] / (1 - alpha["now"]["yes"]))
    without = 1 / (1 + math.exp(-(logit_now - 0.9 * math.log(3.0))))
    assert draft["pp"]["yes"] == pytest.approx(100 * (alpha["now"]["yes"] - without))
    assert {e["summary"] for e in alpha["week_evidence"]} == {"Draft text leaked", XSS}  # not the January item
    # the week-ago probability is what was known then
    assert alpha["before"]["yes"] == pytest.approx(
        probability_from_links(
            q, active_links(world, at("2025-03-02T23:59:59"))["alpha-deal"], at("2025-03-02T23:59:59")
        )["yes"]
    )
    # standing forecasts agree with the library's definition; the crowd is the median of people
    standing = standing_forecasts(world, "alpha-deal", as_of)
    assert {f["forecaster"]: f["probabilities"]["yes"] for f in alpha["forecasts"]} == {
        k: v["probability"] for k, v in standing.items()
    }
    assert alpha["crowd"]["probabilities"]["yes"] == pytest.approx((0.3 + 0.45) / 2)
    # alice on alpha: 53 days old (30+ days); bob on gamma: 18 days = 26% of a 68-day life; bob on alpha: 4 days
    assert [(s["question"], s["forecaster"]) for s in r["stale"]] == [("alpha-deal", "alice"), ("gamma-when", "bob")]
    assert [c["id"] for c in r["closing"]] == ["beta-vote"]
    assert [x["id"] for x in r["resolved"]["rows"]] == ["delta-old"]
    # a resolution recorded this week is a move from last week's on-record value to the outcome
    assert [m["id"] for m in r["movers"]] == ["delta-old", "alpha-deal", "beta-vote"]
    assert r["movers"][0]["resolved"]["outcome"] == "yes" and r["movers"][0]["now"] == 1.0
    assert r["movers"][0]["resolved"]["known_this_week"] is False  # known 2025-02-25, recorded this week
    interval = alpha["interval"]
    assert interval["lo"]["yes"] < alpha["now"]["yes"] < interval["hi"]["yes"]


def test_past_week_regenerates_byte_identically(world, root, tmp_path, monkeypatch):
    first = write_report(world, WEEK, "md,html", tmp_path / "a", root)
    later_history(world, monkeypatch)
    second = write_report(world, WEEK, "md,html", tmp_path / "b", root)
    for f1, f2 in zip(first["files"], second["files"], strict=True):
        assert Path(f1).read_bytes() == Path(f2).read_bytes(), f1
    # ... while the following week does see the new history
    nxt = build_report(world, "2025-W11", root)
    assert any(e["summary"] == "Talks collapse" for e in nxt["evidence"])
    assert nxt["retractions"] and nxt["retractions"][0]["evidence_id"] == 1


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_user_text_is_escaped_in_html_and_markdown(world, root):
    data = build_report(world, WEEK, root)
    page = render_html(data)
    parser = _Tags()
    parser.feed(page)
    names = {t for t, _ in parser.tags}
    assert "script" not in names and "b" not in names and "i" not in names
    hrefs = [a.get("href", "") for t, a in parser.tags if t == "a" and "href" in a]
    assert hrefs and all(h.startswith("#") or re.match(r"^https?://", h) for h in hrefs)
    assert not any("javascript" in h.lower() for h in hrefs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "javascript:alert(1)" in page  # shown as text
    assert 'href="https://example.org/draft?a=1&amp;b=2"' in page
    assert not any(v.lower().startswith("on") for _, a in parser.tags for v in a)  # no event handlers
    text = render_markdown(data)
    assert "<script" not in text.lower() and "<b>" not in text and "<i>" not in text
    assert "&lt;script&gt;" in text and "](javascript" not in text and "<javascript" not in text
    assert r"\*not bold\*" in text and r"\[a\](b)" in text and r"\| pipe" in text
    assert md("# heading") == r"\# heading" and md("1. item") == r"1\. item" and md("a\nb") == "a b"


def test_trajectory_matches_fast_path_and_band_contains_it(world):
    as_of = at("2025-03-09T23:59:59")
    links = active_links(world, as_of)
    for q in all_questions(world):
        arrays = _arrays(q, links.get(q.id, []))
        times = np.linspace(q.opens_at.timestamp() - 86400, as_of.timestamp(), 41)
        path = tr.path(q, arrays, times)
        for i in (0, 7, 20, 40):
            ref = probability_from_links(q, links.get(q.id, []), datetime.fromtimestamp(times[i], UTC))
            assert path[i] == pytest.approx([ref[o] for o in q.outcomes], abs=1e-12)
        lo, hi = tr.band(q, arrays, times, draws=4000)
        assert np.all(lo <= hi) and np.all(lo >= 0) and np.all(hi <= 1)
        assert np.all((lo - 0.02 <= path) & (path <= hi + 0.02))
        # the band's end is the report's interval: the same weighted model, other draws
        ref = monte_carlo_posterior(q, links.get(q.id, []), as_of, draws=40_000, seed=3)
        assert lo[-1] == pytest.approx([ref["lo"][o] for o in q.outcomes], abs=0.03)
        assert hi[-1] == pytest.approx([ref["hi"][o] for o in q.outcomes], abs=0.03)


def test_load_links_equals_active_links_now_and_a_week_ago(world, monkeypatch):
    later_history(world, monkeypatch)  # a retraction recorded later must still count a week before it
    for as_of in (at("2025-03-09T23:59:59"), at("2025-03-16T23:59:59")):
        now, prev = load_links(world, as_of, as_of - timedelta(days=7))
        assert dict(now) == dict(active_links(world, as_of))
        assert dict(prev) == dict(active_links(world, as_of - timedelta(days=7)))


def test_svg_plots_are_deterministic_well_formed_and_escape_labels():
    times = [0.0, 86400.0 * 10, 86400.0 * 40]
    args = ("<b>q</b>", times, [("yes", [0.2, 0.5, 0.4], [0.1, 0.3, 0.2], [0.4, 0.7, 0.6])], [(86400.0, 0.5, 1)])
    one, two = trajectory_svg(*args), trajectory_svg(*args)
    assert one == two and "<b>" not in one
    ET.fromstring(one)
    cal = calibration_svg("c", [("<x>", [(0.1, 0.0, 3), (0.9, 1.0, 5)])])
    ET.fromstring(cal)
    assert "&lt;x&gt;" in cal
    # a bin with an interval gets a whisker from its low to its high (plot area 280 px high from y = 12)
    whisker = calibration_svg("c", [("x", [(0.5, 0.5, 3, 0.25, 0.75)])])
    assert '<line x1="198.0" y1="222.0" x2="198.0" y2="82.0"' in whisker


def test_bad_week_and_format_are_user_errors(world, cli):
    with pytest.raises(ForecastsError, match="week"):
        week_bounds("2025-10")
    with pytest.raises(ForecastsError, match="format: 'pdf' is not one of md, html"):
        parse_formats("md,pdf")
    result = cli("report", "--week", "2025-W99", ok=False)
    assert result.exit_code == 1 and "week" in result.output and "Traceback" not in result.output


def test_readme_flow_gives_a_meaningful_report(pack_cli, questions_dir, tmp_path):
    pack_cli("import", str(questions_dir / "road-ahead" / "resolutions.jsonl"))
    pack_cli("evidence", "import", str(questions_dir / "road-ahead" / "evidence.jsonl"))
    pack_cli("reconstruct")
    out = pack_cli.json("report", "--out", str(tmp_path / "reports"), "--questions", str(questions_dir))
    text = Path(out["files"][0]).read_text(encoding="utf-8")
    # the pack's trail is history (observed before this week): counted, not listed as this week's news
    assert out["summary"]["open"] >= 9 and out["summary"]["evidence_this_week"] == 0
    assert out["summary"]["history_recorded_this_week"]["items"] >= 40
    for qid in ("ceasefire-current-lines", "nato-renunciation", "general-ceasefire"):
        assert f"### {qid}:" in text
    # resolved and scored: the model (its replayed history folded into `bayes`, one row) is in the score table
    assert "### talks-start: 2025-04-to-2025-12" in text and "| bayes |" in text
    assert "Evidence logged this week" in text
    assert "What moved, and why" in text and "Evidence logged this week" in text
    assert text.index("## This week in brief") < text.index("## Open questions")
    assert Path(out["files"][1]).read_text(encoding="utf-8").count("<svg") >= 9


def test_html_renders_in_headless_chromium(world, root, tmp_path):
    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    files = write_report(world, WEEK, "html", tmp_path / "reports", root)["files"]
    page = Path(files[0]).resolve()
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
           "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    for heading in ("This week in brief", "Scenarios", "Open questions", "Evidence logged this week",
                    "Closing in the next 30 days", "Stale forecasts", "Resolved this week", "Leaderboard",
                    "Calibration"):  # fmt: skip
        assert f">{heading}</h2>" in dom, heading
    # the briefing is the first screen: the first section, before any detail
    assert re.findall(r"<h2[^>]*>([^<]*)</h2>", dom)[0] == "This week in brief"
    assert dom.index('id="briefing"') < dom.index('id="questions"')
    # each question's chart carries the model, the crowd and one step line per person who forecast it
    data = build_report(world, WEEK, root)
    charted = [(f'id="q-{b["id"]}"', b["id"]) for b in data["questions"]]
    charted += [(f'id="r-{x["id"]}"', x["id"]) for x in data["resolved"]["rows"]]  # resolution marked
    assert len(charted) == 4
    for anchor, qid in charted:
        part = dom[dom.index(anchor) :]
        fig = part[part.index('<figure class="history">') : part.index("</figure>")]
        people = sorted({f["forecaster"] for f in world_forecasts(world, qid) if f["kind"] == "person"})
        drawn = sorted(re.findall(r'<polyline class="person" data-forecaster="([^"]*)"', fig))
        assert drawn == people, (qid, drawn, people)
        assert '<polyline class="model"' in fig
        assert ('<polyline class="crowd"' in fig) == bool(people)
        assert "recorded time" in fig and "observed time" in fig  # the chart says which times it uses
        assert ('class="resolution"' in fig) == (qid == "delta-old")
    assert "<script" not in dom.lower()
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == [], console
    # screenshots at desktop and phone widths: the first screen is drawn, and nothing bleeds past the right edge
    from PIL import Image

    for width in (1280, 400):
        shot = tmp_path / f"shot-{width}.png"
        subprocess.run([*cmd[:-2], "--hide-scrollbars", f"--window-size={width},3000", f"--screenshot={shot}",
                        page.as_uri()], capture_output=True, timeout=60, check=True)  # fmt: skip
        image = Image.open(shot).convert("RGB")
        assert image.size == (width, 3000)
        assert len(image.crop((0, 0, width, 600)).getcolors(1 << 24)) > 20  # text and colour on the first screen
        edge = image.crop((width - 3, 0, width, 3000)).getcolors(1 << 24)
        assert len(edge) == 1, (width, edge[:5])  # the page margin is untouched: no overflow


def test_html_never_scrolls_sideways_at_desktop_or_phone_width(world, root, tmp_path, monkeypatch):
    """No element (the ledger head's one long line included) widens the page past the window."""
    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    from playwright.sync_api import sync_playwright

    Clock(monkeypatch)("2025-03-07T09:00:00")  # a resolution whose source is one long unbroken URL
    long_url = "https://example.org/" + "_".join(["a_long_unbroken_path"] * 12)
    resolution_mod.resolve(world, "beta-vote", "no", known_at="2025-03-07", source=f"Paper ({long_url})")
    page_file = Path(write_report(world, WEEK, "html", tmp_path / "reports", root)["files"][0]).resolve()
    html = page_file.read_text(encoding="utf-8")
    assert "<pre>forecasts-head/1 " in html and long_url in html  # the long lines are there to test
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        try:
            for width in (1280, 400):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                scroll, client = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                assert scroll <= client, (width, scroll, client)
                page.close()
        finally:
            browser.close()


def world_forecasts(db, qid: str) -> list[dict]:
    """Forecasts made and recorded by the end of WEEK on a question, with the forecaster's kind."""
    rows = db.conn.execute(
        "SELECT f.forecaster_id, p.kind FROM forecasts f JOIN forecasters p ON p.id = f.forecaster_id "
        "WHERE f.question_id = ? AND f.made_at <= ? AND f.recorded_at <= ?",
        [qid, "2025-03-09T23:59:59Z", "2025-03-09T23:59:59Z"],
    ).fetchall()
    return [{"forecaster": r[0], "kind": r[1]} for r in rows]


def _run(db, as_of: str, created: str, evidence_ids: list[int]) -> None:
    with write_transaction(db):
        insert_row(db, "posterior_runs", {
            "question_id": "alpha-deal", "as_of": as_of, "created_at": created, "method": "pymc", "draws": 100,
            "seed": 0, "mean": '{"yes": 0.6, "no": 0.4}', "lo": '{"yes": 0.41, "no": 0.2}',
            "hi": '{"yes": 0.8, "no": 0.59}', "evidence_ids": json.dumps(evidence_ids), "rhat_max": 1.004})  # fmt: skip


def test_interval_prefers_a_stored_pymc_run_for_this_week_with_the_same_evidence(world, root):
    _run(world, "2025-03-07T00:00:00Z", "2025-03-07T00:00:00Z", [1, 2])  # misses item 3: not used
    alpha = build_report(world, WEEK, root)["questions"][0]
    assert alpha["interval"]["method"].startswith("Monte Carlo")
    _run(world, "2025-03-07T00:00:00Z", "2025-03-12T00:00:00Z", [1, 2, 3])  # created after the week: not known
    assert build_report(world, WEEK, root)["questions"][0]["interval"]["method"].startswith("Monte Carlo")
    _run(world, "2025-03-08T00:00:00Z", "2025-03-08T00:00:00Z", [1, 2, 3])
    alpha = build_report(world, WEEK, root)["questions"][0]
    assert alpha["interval"]["method"].startswith("PyMC model run #3 as of 2025-03-08T00:00:00Z")
    assert (alpha["interval"]["lo"]["yes"], alpha["interval"]["hi"]["yes"]) == (0.41, 0.8)


def test_report_crowd_is_not_older_than_peoples_forecasts():
    """A `crowd` forecast recorded before someone forecast again is stale: the report takes the median instead."""
    from types import SimpleNamespace

    from forecasts.report.build import _crowd

    q = SimpleNamespace(outcomes=("yes", "no"))

    def row(kind: str, p: float, made: str) -> dict:
        return {"kind": kind, "probability": p, "probabilities": None, "made_at": made}

    standing = {"crowd": row("aggregate", 0.13, "2026-10-20T00:00:00Z"), "alice": row("person", 0.9, "2026-10-01"),
                "bob": row("person", 0.8, "2026-10-10T00:00:00Z")}  # fmt: skip
    assert _crowd(q, standing)["source"] == "crowd forecaster"
    standing["alice"] = row("person", 0.9, "2026-11-28T00:00:00Z")  # alice forecast again after the crowd
    fresh = _crowd(q, standing)
    assert fresh["source"] == "median of people" and fresh["probabilities"]["yes"] == pytest.approx(0.85)


def test_future_weeks_are_refused_and_the_current_week_is_provisional(world, root):
    with pytest.raises(ForecastsError, match=r"^week: 2099-W01 has not started yet"):
        build_report(world, "2099-W01", root)
    current = build_report(world, None, root)
    assert current["provisional"] is True and build_report(world, WEEK, root)["provisional"] is False
    assert "**Provisional:** the week is not over" in render_markdown(current)
    assert "Provisional" not in render_markdown(build_report(world, WEEK, root))


def test_report_names_columns_for_people_scales_axes_and_has_no_negative_zero(world, root):
    data = build_report(world, WEEK, root)
    page, text = render_html(data), render_markdown(data)
    for out in (page, text):
        assert not re.search(r"[-−]0\.0*(?![0-9])", out)  # a value that rounds to zero has no sign
    keys = [c["key"] for c in data["leaderboard"]["table"]["columns"]]  # keys stay in --json; people read names
    assert any(human(k) != k for k in keys)
    for k in keys:
        assert f">{html_escape(human(k))}</abbr>" in page and f">{k}</abbr>" not in page
        assert f"| {md(human(k))} |" in text and f"| `{k}` |" not in text
    alpha = next(b for b in data["questions"] if b["id"] == "alpha-deal")
    chart = alpha["chart"]
    plotted = chart["model"]["values"] + [p for s in chart["people"] for _, p in s["steps"]]
    assert max(plotted) <= chart["y_max"] <= 1.0 and chart["y_max"] < 1.0  # the axis follows the data
    assert chart["start"] >= datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    assert [s["name"] for s in chart["people"]] == ["alice", "bob"]
    assert chart["crowd"][-1][1] == pytest.approx(alpha["crowd"]["probabilities"]["yes"])  # chart and table agree


def test_pooling_chart_places_each_method_and_escapes_names():
    rows = [("median", 0.0, 0.0, 0.0), ("skill", -0.01, -0.02, 0.0), ("<m>", 0.01, 0.0, 0.02)]
    one, two = pooling_svg("<b>pools</b>", rows, "skill"), pooling_svg("<b>pools</b>", rows, "skill")
    assert one == two and "<b>" not in one and "&lt;m&gt;" in one
    ET.fromstring(one)
    # axis +-0.021 (widest interval plus 5%) over x 110..548: zero at 329.0, -0.01 at 224.7, +0.01 at 433.3
    assert '<line x1="329.0" y1="10" x2="329.0" y2="82"' in one
    assert '<circle cx="224.7" cy="46.0" r="4" fill="#15803d"/>' in one  # skill, the favoured: green
    assert '<line x1="120.4" y1="46.0" x2="329.0" y2="46.0" stroke="#15803d"' in one  # its interval
    assert '<circle cx="433.3" cy="70.0" r="4" fill="#1e293b"/>' in one


def test_report_charts_the_pools_once_questions_resolve(world, root):
    report = build_report(world, WEEK, root)
    pool = report["pooling"]
    assert pool["n_questions"] == 1 and len(pool["methods"]) == 8  # delta-old: alice and bob, resolved yes
    median = next(m for m in pool["methods"] if m["method"] == "median")
    assert median["diff"] == 0.0 and pool["favoured"] == "median"
    page = render_html(report)
    assert page.count('<section id="pooling">') == 1 and "Crowd pools, backtested" in page
    assert page.count("<circle") >= 8
    early = build_report(world, "2025-W05", root)  # before delta-old resolved: nothing to backtest, no chart
    assert early["pooling"]["n_questions"] == 0 and 'id="pooling"' not in render_html(early)
