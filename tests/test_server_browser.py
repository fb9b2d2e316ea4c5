"""The team server's pages in a real headless Chromium (Debian's package, driven by playwright; never
`playwright install`): sign in, forecast, log evidence, see the chart change, comment, and another user's
page refuses a write. A missing browser fails the test (.ci/run installs it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from server_harness import XSS, Server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def sign_in(browser, srv: Server, name: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{srv.url}/questions/talks")
    assert page.url.startswith(f"{srv.url}/signin"), page.url  # not signed in: sent to the sign-in form
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", f"{name}-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/talks")
    return context, page


def person_lines(page) -> dict[str, str]:
    return {el.get_attribute("data-forecaster"): el.get_attribute("points")
            for el in page.query_selector_all("#chart polyline.person")}  # fmt: skip


def model_line(page) -> str:
    return page.get_attribute("#chart polyline.model", "points")


def test_sign_in_forecast_log_evidence_and_the_chart_changes(browser, srv):
    context, page = sign_in(browser, srv, "alice")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["fc_session"]["httpOnly"] and cookies["fc_session"]["sameSite"] == "Lax"
    assert page.inner_text("nav .me").startswith("signed in as alice")
    assert "alice" not in person_lines(page)
    model_before, now_before = model_line(page), page.inner_text("#now")

    page.fill("#forecast-form input[name=probability]", "0.35")
    page.fill("#forecast-form textarea[name=rationale]", f"base rate {XSS}")
    page.click("#forecast-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/talks")
    assert "alice" in person_lines(page)  # her step line is drawn
    row = page.inner_text("#forecasts tbody")
    assert "alice" in row and "35.0%" in row and XSS in row  # shown as text, not run
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0

    page.fill("#evidence-form input[name=summary]", "Envoys met in Geneva")
    page.fill("#evidence-form input[name=lr]", "4")
    page.fill("#evidence-form input[name=reliability]", "0.9")
    page.click("#evidence-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/talks")
    assert "Envoys met in Geneva" in page.inner_text("#evidence")
    assert model_line(page) != model_before  # the model's line moved with the evidence
    assert page.inner_text("#now") != now_before

    page.fill("#comment-form textarea[name=body]", "Watch the Geneva talks")
    page.click("#comment-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/talks")
    assert "Watch the Geneva talks" in page.inner_text("#comments")

    # a refused input shows the field and the problem, not a server error
    page.fill("#forecast-form input[name=probability]", "1.5")
    page.click("#forecast-form button[type=submit]")
    assert page.inner_text("#problem").startswith("probability:")
    context.close()


def test_categorical_forecast_and_the_others_line(browser, srv):
    context, page = sign_in(browser, srv, "bob")
    page.goto(f"{srv.url}/questions/colour")
    page.fill("#forecast-form input[name=probability]", "red=0.2,green=0.5,blue=0.3")
    page.click("#forecast-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/colour")
    assert re.search(r"bob\s+red 20\.0%, green 50\.0%, blue 30\.0%", page.inner_text("#forecasts tbody"))
    assert "bob" in person_lines(page)
    page.goto(f"{srv.url}/questions/talks")
    assert "alice" in person_lines(page)  # the crowd is visible on an ordinary question
    context.close()


def test_another_users_page_refuses_a_write(browser, srv):
    context, page = sign_in(browser, srv, "bob")
    page.goto(f"{srv.url}/users/alice")
    assert page.query_selector("#quick-forecast") is None  # no form on someone else's page
    assert "talks" in page.inner_text("#my-forecasts")
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "fc_csrf")
    forged = context.request.post(f"{srv.url}/users/alice/forecast",
                                  form={"csrf": csrf, "question": "talks", "probability": "0.9"})  # fmt: skip
    assert forged.status == 403 and "signed in as" in forged.text()
    page.goto(f"{srv.url}/me")
    assert page.url == f"{srv.url}/users/bob"
    page.fill("#quick-forecast input[name=question]", "talks")
    page.fill("#quick-forecast input[name=probability]", "62%")
    page.click("#quick-forecast button[type=submit]")
    page.wait_for_url(f"{srv.url}/users/bob")
    assert "62.0%" in page.inner_text("#my-forecasts")
    page.goto(f"{srv.url}/questions/talks")
    assert "0.9" not in page.inner_text("#forecasts tbody")
    context.close()


def test_hidden_crowd_until_you_forecast(browser, srv):
    assert srv.json("POST", "/api/forecasts", "carol", {"question": "secret", "probability": 0.7})[0] == 201
    context, page = sign_in(browser, srv, "alice")
    page.goto(f"{srv.url}/questions/secret")
    assert page.query_selector("#crowd-hidden") is not None and person_lines(page) == {}
    page.fill("#forecast-form input[name=probability]", "0.2")
    page.click("#forecast-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/secret")
    assert set(person_lines(page)) == {"alice", "carol"} and page.query_selector("#crowd-hidden") is None
    context.close()


def test_pages_render_leaderboard_reports_and_closing_soon(browser, srv):
    context, page = sign_in(browser, srv, "carol")
    page.goto(f"{srv.url}/")
    assert "Closing soon?" in page.inner_text("#closing-soon")
    page.goto(f"{srv.url}/leaderboard")
    assert page.inner_text("h1") == "Leaderboard"
    page.goto(f"{srv.url}/reports")
    page.click("text=md")
    assert XSS in page.inner_text("#report")
    page.goto(f"{srv.url}/questions/soon")
    page.fill("#resolve-form input[name=outcome]", "yes")  # a curator sees the resolve form
    page.click("#resolve-form button[type=submit]")
    page.wait_for_url(f"{srv.url}/questions/soon")
    assert "Resolved yes" in page.inner_text("main")
    context.close()


def test_no_page_scrolls_sideways_on_a_phone(browser, srv):
    """At 400 px, every page fits the window: wide tables scroll inside their own box, long text wraps."""
    long_url = "https://example.org/" + "_".join(["an_unbroken_path"] * 10)
    assert srv.json("POST", "/api/evidence", "alice", {"questions": ["talks"], "summary": f"See {long_url}",
                                                       "lr": ["2"], "source": "wire"})[0] == 201  # fmt: skip
    context = browser.new_context(viewport={"width": 400, "height": 800},
                                  extra_http_headers={"Authorization": f"Bearer {srv.tokens['carol']}"})  # fmt: skip
    page = context.new_page()
    for path in ("/", "/questions/talks", "/questions/colour", "/questions/when", "/users/alice", "/leaderboard",
                 "/reports"):  # fmt: skip
        page.goto(f"{srv.url}{path}")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, (path, scroll, client)
    context.close()
