"""Server-rendered pages (Jinja2, autoescaped): sign-in, questions, a question, my page, leaderboard, reports.

Forms post urlencoded bodies with a CSRF field that must match the CSRF cookie (double submit); a request
with a Bearer token carries no ambient credential and needs none."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from forecasts.errors import ForecastsError
from forecasts.server import auth
from forecasts.server import library as lib
from forecasts.server.web import Refused, person_name, question_id, split_error, user_of, write_as

ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True)
)
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'"  # no script runs on our pages


def _pct(p: float | None) -> str:
    return "—" if p is None else f"{100 * p:.1f}%"


def _probs(probs: dict[str, float] | None, binary: bool) -> str:
    if not probs:
        return "—"
    return _pct(probs.get("yes")) if binary else ", ".join(f"{o} {_pct(p)}" for o, p in probs.items())


def _paragraphs(text: str | None) -> list[str]:
    """A question file's wrapped text as paragraphs: blank lines part them, single line breaks are only wrapping."""
    import re

    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


ENV.filters["pct"] = _pct
ENV.filters["probs"] = _probs
ENV.filters["paragraphs"] = _paragraphs


def _csrf(request: Request) -> str:
    token = request.cookies.get(auth.CSRF_COOKIE)
    return token if token and 16 <= len(token) <= 64 else auth.new_csrf()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page, with the CSRF cookie its forms submit set (HttpOnly, SameSite=Lax, Secure behind TLS)."""
    csrf = _csrf(request)
    html = ENV.get_template(template).render(request=request, csrf=csrf, me=getattr(request.state, "user", None), **ctx)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_cookie(auth.CSRF_COOKIE, csrf, httponly=True, samesite="lax", secure=_secure(request), path="/")
    return response


def error_page(request: Request, status: int, field: str, problem: str) -> Response:
    if status == 401 and request.method == "GET" and not getattr(request.state, "by_token", False):
        return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
    return render(request, "error.html", status=status, status_code=status, field=field, problem=problem)


def _user(request: Request) -> dict[str, Any]:
    user = user_of(request, pages=True)
    if user is None:
        raise Refused(401, "session", "sign in first")
    request.state.user = user
    return user


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form (one value per field), CSRF-checked unless the request carries a Bearer token."""
    raw = (await request.body()).decode("utf-8", "replace")
    form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True, max_num_fields=100).items()}
    if auth.bearer(request.headers) is None and not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE),
                                                                 form.get("csrf")):  # fmt: skip
        raise Refused(403, "csrf", "the form's CSRF token is missing or does not match; reload the page")
    return form


def _reading(request: Request, fn: Any) -> Any:
    with request.app.state.ctx.store.reading() as db:
        return fn(db)


# --- sign-in --------------------------------------------------------------------------------------


async def signin(request: Request) -> Response:
    nxt = request.query_params.get("next", "/")
    nxt = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"
    if request.method == "GET":
        return render(request, "signin.html", next=nxt, problem="")
    form = await _form(request)
    ctx = request.app.state.ctx
    name, password = form.get("name", "")[:64], form.get("password", "")
    address = request.client.host if request.client else "?"
    if ctx.limiter.blocked(address, name):
        return render(request, "signin.html", status=429, next=nxt,
                      problem="too many failed sign-ins; wait 15 minutes")  # fmt: skip
    user = await run_in_threadpool(_reading, request, lambda db: lib.check_password(db, name, password))
    if user is None:
        ctx.limiter.failed(address, name)
        return render(request, "signin.html", status=401, next=nxt, problem="unknown name or wrong password")
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, ctx.sessions.make(user["name"]), max_age=auth.SESSION_SECONDS,
                        httponly=True, samesite="lax", secure=_secure(request), path="/")  # fmt: skip
    response.set_cookie(auth.CSRF_COOKIE, auth.new_csrf(), httponly=True, samesite="lax", secure=_secure(request))
    return response


async def signout(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --- reading pages ---------------------------------------------------------------------------------


async def questions(request: Request) -> Response:
    def work() -> dict[str, Any]:
        _user(request)
        rows = _reading(request, lambda db: lib.status(db, request.query_params.get("tag") or None))
        return {"rows": rows, "soon": lib.closing_soon(rows)}

    return render(request, "questions.html", **await run_in_threadpool(work))


async def question(request: Request) -> Response:
    qid = question_id(request.path_params["qid"])

    def work() -> dict[str, Any]:
        user = _user(request)
        detail = _reading(request, lambda db: lib.question_view(db, qid, user["name"]))
        from forecasts.api import history_svg

        if detail["chart"] is None:  # numeric or date: the report's fan chart
            svg = detail["fan"]["chart"]
        else:
            label = f"{qid}: model and each person over the last {detail['chart']['weeks']:g} weeks"
            svg = history_svg(label, detail["chart"])
        return {"d": detail, "q": detail["question"], "svg": svg, "curator": lib.may(user["role"], "resolve")}

    return render(request, "question.html", **await run_in_threadpool(work))


async def person(request: Request) -> Response:
    name = person_name(request.path_params["name"])

    def work() -> dict[str, Any]:
        _user(request)
        return {"p": _reading(request, lambda db: lib.my_page(db, name))}

    return render(request, "person.html", **await run_in_threadpool(work))


async def me(request: Request) -> Response:
    user = await run_in_threadpool(_user, request)
    return RedirectResponse(f"/users/{quote(user['name'])}", status_code=303)


async def leaderboard(request: Request) -> Response:
    def work() -> dict[str, Any]:
        _user(request)
        return {"rows": _reading(request, lambda db: lib.leaderboard(db, None, 1, "relative"))}

    return render(request, "leaderboard.html", **await run_in_threadpool(work))


async def reports(request: Request) -> Response:
    folder = request.app.state.ctx.reports

    def work() -> dict[str, Any]:
        _user(request)
        return {"reports": lib.weekly_reports(folder)}

    return render(request, "reports.html", **await run_in_threadpool(work))


async def report_file(request: Request) -> Response:
    folder = request.app.state.ctx.reports
    await run_in_threadpool(_user, request)
    week, _, fmt = request.path_params["name"].rpartition(".")
    path = lib.weekly_report_file(folder, week, fmt)
    if fmt == "md":  # shown escaped in a page (the markdown may quote what users typed)
        return render(request, "report_md.html", week=week, text=path.read_text(encoding="utf-8"))
    return FileResponse(path, media_type="text/html", headers={"Content-Security-Policy": "script-src 'none'"})


# --- forms ---------------------------------------------------------------------------------------


async def _write(request: Request, action: str, fn: Any, back: str) -> Response:
    """Run a form's write as the signed-in user; a refused input re-shows the page's message, not a 500."""
    form = await _form(request)

    def work() -> Any:
        return write_as(request, _user(request), action, form, fn)

    try:
        await request.app.state.ctx.store.in_writer(work)
    except ForecastsError as exc:
        field, problem = split_error(str(exc))
        return error_page(request, 400, field, problem)
    return RedirectResponse(back, status_code=303)


def _forecast_body(qid: str, form: dict[str, str]) -> dict[str, Any]:
    """The forecast form as the API's body: a probability, or (numeric and date questions) the percentile fields
    that were filled in and the mass below/above."""
    body: dict[str, Any] = {"question": qid, "rationale": form.get("rationale", "")}
    percentiles = {k[1:]: v.strip() for k, v in form.items() if k in ("p10", "p50", "p90") and v.strip()}
    if "probability" in form or not percentiles:
        body["probability"] = form.get("probability", "")
    if percentiles:
        body["percentiles"] = percentiles
    for side in ("below", "above"):
        if form.get(side, "").strip():
            body[side] = form[side].strip()
    return body


async def forecast_form(request: Request) -> Response:
    qid = question_id(request.path_params["qid"])

    def fn(db: Any, user: dict, form: dict) -> Any:
        return lib.forecast(db, user["name"], _forecast_body(qid, form))

    return await _write(request, "forecast", fn, f"/questions/{qid}")


async def person_forecast_form(request: Request) -> Response:
    """The quick-forecast form of a person's own page: only that person may post it."""
    name = person_name(request.path_params["name"])
    form_user = await run_in_threadpool(_user, request)
    if form_user["name"].lower() != name.lower():
        await _form(request)
        raise Refused(403, "by", f"this is {name}'s page; you are signed in as {form_user['name']!r}")
    qid = question_id((await _form(request)).get("question", ""))

    def fn(db: Any, user: dict, form: dict) -> Any:
        return lib.forecast(db, user["name"], _forecast_body(qid, form))

    return await _write(request, "forecast", fn, f"/users/{quote(name)}")


async def evidence_form(request: Request) -> Response:
    qid = question_id(request.path_params["qid"])

    def fn(db: Any, user: dict, form: dict) -> Any:
        lr = form.get("lr", "").strip()
        body = {"questions": [qid], "summary": form.get("summary", ""), "lr": [lr] if lr else [],
                "grade": [form["grade"]] if form.get("grade") and not lr else [], "source": form.get("source", ""),
                "url": form.get("url", ""), "reliability": form.get("reliability") or "1",
                "reasoning": form.get("reasoning", ""), "observed_at": form.get("observed_at", "")}  # fmt: skip
        if form.get("value", "").strip() or form.get("sd", "").strip():  # a numeric question's observation
            body |= {"value": [form.get("value", "").strip()], "sd": [form.get("sd", "").strip()], "lr": []}
        return lib.add_evidence(db, user["name"], body)

    return await _write(request, "evidence", fn, f"/questions/{qid}")


async def comment_form(request: Request) -> Response:
    qid = question_id(request.path_params["qid"])
    return await _write(request, "comment", lambda db, u, f: lib.add_comment(db, qid, u["name"], f.get("body", "")),
                        f"/questions/{qid}")  # fmt: skip


async def resolve_form(request: Request) -> Response:
    qid = question_id(request.path_params["qid"])
    return await _write(request, "resolve", lambda db, u, f: lib.resolve(db, u["name"], qid, {
        "outcome": f.get("outcome", ""), "source": f.get("source", ""), "note": f.get("note", "")}),
        f"/questions/{qid}")  # fmt: skip


ROUTES = [
    Route("/", questions),
    Route("/signin", signin, methods=["GET", "POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/questions/{qid}", question),
    Route("/questions/{qid}/forecast", forecast_form, methods=["POST"]),
    Route("/questions/{qid}/evidence", evidence_form, methods=["POST"]),
    Route("/questions/{qid}/comment", comment_form, methods=["POST"]),
    Route("/questions/{qid}/resolve", resolve_form, methods=["POST"]),
    Route("/me", me),
    Route("/users/{name}", person),
    Route("/users/{name}/forecast", person_forecast_form, methods=["POST"]),
    Route("/leaderboard", leaderboard),
    Route("/reports", reports),
    Route("/reports/{name}", report_file),
]
