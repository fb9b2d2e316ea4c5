"""A numeric question on the team server's pages: the question list gives the model's median and interval and the
question page its fan chart, observations and each forecast's median and interval (it once answered 500)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from server_harness import XSS, Server

from forecasts.evidence import EvidenceItem, add_evidence
from forecasts.link_spec import LinkSpec
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import now_utc


def share_question(folder, today) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "share.toml").write_text(
        f'title = "What share? {XSS}"\ntype = "numeric"\nrange_min = 10\nrange_max = 30\nopen_lower_bound = true\n'
        f'open_upper_bound = true\nunit = "%"\nopens_at = {today - timedelta(days=60)}\n'
        f"closes_at = {today + timedelta(days=300)}\nresolves_by = {today + timedelta(days=330)}\n"
        'description = """Line one of the background\nwrapped here.\n\nA second paragraph."""\n'
        'resolution_criteria = "The share."\n[prior]\ndistribution = "normal"\nmean = 20\nsd = 2\n'
        'reference = "A test."\nreasoning = "A test prior."\n',
        encoding="utf-8",
    )
    (folder / "when.toml").write_text(
        f'title = "When?"\ntype = "date"\nrange_min = {today - timedelta(days=60)}\n'
        f"range_max = {today + timedelta(days=700)}\nopen_upper_bound = true\n"
        f"opens_at = {today - timedelta(days=60)}\ncloses_at = {today + timedelta(days=300)}\n"
        f"resolves_by = {today + timedelta(days=330)}\nresolution_criteria = \"The day.\"\n[prior]\n"
        f'distribution = "normal"\nmean = {today + timedelta(days=200)}\nsd = 100\n'
        'reference = "A test."\nreasoning = "A test prior."\n',
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("numeric-server")
    server = Server(tmp)
    today = now_utc().date()
    share_question(tmp / "more", today)
    db = connect(server.db_path)  # a second writer beside the server, as `forecasts sync` on its machine would be
    sync(db, tmp / "more")
    add_evidence(db, EvidenceItem(summary=f"Map total {XSS}", observed_at=now_utc() - timedelta(days=3),
                                  links=[LinkSpec("share", math.log(1.0), value=21.5, value_sd=0.2)],
                                  source="map", recorded_by="carol"))  # fmt: skip
    db.close()
    yield server
    server.stop()


def test_the_question_list_gives_a_numeric_questions_median_and_interval(srv):
    status, _, page = srv.call("GET", "/", "alice")
    assert status == 200
    row = page[page.index('href="/questions/share"') :]
    row = row[: row.index("</tr>")]
    assert "% to " in row and "—" not in row  # "21.xx% (a% to b%)", not a dash


def test_a_date_questions_observation_reads_as_a_date_and_days(srv):
    day = str(now_utc().date() + timedelta(days=150))
    status, out = srv.json("POST", "/api/evidence", "alice", {"questions": ["when"], "summary": "Envoys' timetable",
                                                             "value": [day], "sd": ["10"]})  # fmt: skip
    assert status == 201, out
    status, _, page = srv.call("GET", "/questions/when", "alice")
    assert status == 200 and f"observed {day} ± 10 days" in page  # not Unix seconds


def test_an_observation_through_the_api_as_evidence_add_value_sd(srv):
    status, out = srv.json("POST", "/api/evidence", "alice", {"questions": ["share"], "summary": "ISW estimate",
                                                             "value": ["21.7"], "sd": ["0.3"]})  # fmt: skip
    assert status == 201, out
    status, rows = srv.json("GET", "/api/evidence?question=share", "alice")
    link = next(e for e in rows["items"] if e["summary"] == "ISW estimate")["links"][0]
    assert (link["value"], link["sd"]) == (21.7, 0.3)
    status, out = srv.json("POST", "/api/evidence", "alice", {"questions": ["share"], "summary": "x",
                                                             "value": ["lots"], "sd": ["0.3"]})  # fmt: skip
    assert status == 400 and out["error"]["field"] == "value", out


def test_the_numeric_question_page_shows_fan_chart_observation_and_forecasts(srv):
    status, body = srv.json("POST", "/api/forecasts", "alice", {"question": "share", "probability": "0.5"})
    assert status == 400 and body["error"]["field"] == "probability"  # a probability is refused on a numeric question
    status, _, page = srv.call("GET", "/questions/share", "alice")
    assert status == 200, page[:500]
    assert "<svg" in page and "Now (model):" in page
    assert "observed 21.5 ± 0.2" in page  # the observation, not a likelihood ratio of 1
    assert XSS not in page and "&lt;script&gt;" in page  # title and summary escaped
    assert "a week ago" in page
    # the file's wrapped lines read as paragraphs: blank lines part them, single line breaks are only wrapping
    assert "<p>Line one of the background wrapped here.</p><p>A second paragraph.</p>" in page


def test_forecasting_a_numeric_question_in_the_browser(srv):
    """Sign in, type a 10th percentile, median and 90th, see the forecast's interval and a line on the fan chart;
    a non-increasing table is refused with the rule's line."""
    from playwright.sync_api import sync_playwright
    from test_server_browser import ARGS, CHROMIUM, sign_in

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context, page = sign_in(browser, srv, "bob")
            page.goto(f"{srv.url}/questions/share")
            assert page.query_selector("#forecast-form input[name=probability]") is None
            page.fill("#forecast-form input[name=p10]", "19")
            page.fill("#forecast-form input[name=p50]", "21")
            page.fill("#forecast-form input[name=p90]", "23.5")
            page.fill("#forecast-form input[name=below]", "2")
            page.fill("#forecast-form textarea[name=rationale]", "map trend")
            page.click("#forecast-form button[type=submit]")
            page.wait_for_url(f"{srv.url}/questions/share")
            row = page.inner_text("#forecasts tbody")
            assert "bob\t21% (19% to 23.5%)\tmap trend" in row, row
            assert "bob" in page.inner_html("#chart")  # his median is drawn on the fan chart
            before = page.inner_text("#now")
            page.fill("#evidence-form input[name=summary]", "Map total for last week")
            page.fill("#evidence-form input[name=value]", "24")
            page.fill("#evidence-form input[name=sd]", "0.1")
            page.fill("#evidence-form input[name=observed_at]", str(now_utc().date() - timedelta(days=1)))
            page.click("#evidence-form button[type=submit]")
            page.wait_for_url(f"{srv.url}/questions/share")
            assert "observed 24 ± 0.1" in page.inner_text("#evidence")
            assert page.inner_text("#now") != before  # the model's median moved with the observation
            page.fill("#forecast-form input[name=p10]", "22")
            page.fill("#forecast-form input[name=p50]", "21")
            page.click("#forecast-form button[type=submit]")
            assert page.inner_text("#problem").startswith("percentiles:"), page.inner_text("#problem")
            context.close()
        finally:
            browser.close()
