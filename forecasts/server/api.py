"""The JSON API under /api/: every read and write a team member needs from the CLI (docs/api.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from forecasts.server import library as lib
from forecasts.server.openapi import SCHEMA
from forecasts.server.web import (
    Refused,
    allowed,
    page,
    paging,
    person_name,
    plain,
    question_id,
    require_user,
    row_id,
    write_as,
)


def reply(obj: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(plain(obj), status_code=status)


async def body_of(request: Request) -> dict[str, Any]:
    """The request's JSON object (a malformed body is a 400 naming `body`)."""
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeError):
        raise Refused(400, "body", "must be a JSON object (Content-Type: application/json)") from None
    if not isinstance(body, dict):
        raise Refused(400, "body", "must be a JSON object")
    return body


async def read(request: Request, fn: Callable[..., Any]) -> Any:
    """Authenticate, then run fn(db, user) on a worker thread."""

    def work() -> Any:
        user = require_user(request)
        with request.app.state.ctx.store.reading() as db:
            return fn(db, user)

    return await run_in_threadpool(work)


async def write(request: Request, fn: Callable[..., Any], action: str = "write") -> Any:
    """Authenticate, check the role and that the body writes as its sender, then run fn(db, user, body) under the
    write lock, its rows recorded as written by the user."""
    body = await body_of(request)

    def work() -> Any:
        return write_as(request, require_user(request), action, body, fn)

    return await request.app.state.ctx.store.in_writer(work)


def _tags(request: Request) -> list[str]:
    return request.query_params.getlist("tag")


async def me(request: Request) -> JSONResponse:
    return reply(await read(request, lambda db, u: u))


async def questions(request: Request) -> JSONResponse:
    limit, offset = paging(request)
    rows = await read(request, lambda db, u: lib.status(db, request.query_params.get("tag")))
    return reply(page(rows, limit, offset))


async def question(request: Request) -> JSONResponse:
    qid = question_id(request.path_params["qid"])
    return reply(await read(request, lambda db, u: lib.question_detail(db, qid, u["name"])))


async def forecasts_list(request: Request) -> JSONResponse:
    limit, offset = paging(request)
    qp = request.query_params
    q, by, tag, people = qp.get("question"), qp.get("by"), qp.get("tag"), qp.get("people", "") in ("1", "true")
    if q:
        question_id(q)
    rows, hidden = await read(request, lambda db, u: lib.list_forecasts(db, q, by, u["name"], tag, people))
    return reply(page(rows, limit, offset) | {"hidden": hidden})


async def forecast(request: Request) -> JSONResponse:
    return reply(await write(request, lambda db, u, b: lib.forecast(db, u["name"], b)), 201)


async def evidence_list(request: Request) -> JSONResponse:
    limit, offset = paging(request)
    q = request.query_params.get("question")
    if q:
        question_id(q)
    return reply(page(await read(request, lambda db, u: lib.list_evidence(db, q)), limit, offset))


async def evidence_add(request: Request) -> JSONResponse:
    return reply(await write(request, lambda db, u, b: lib.add_evidence(db, u["name"], b)), 201)


async def evidence_retract(request: Request) -> JSONResponse:
    eid = row_id(request.path_params["eid"], "evidence_id")
    return reply(await write(request, lambda db, u, b: lib.retract_evidence(db, u["name"], eid, b)), 201)


async def resolve(request: Request) -> JSONResponse:
    qid = question_id(request.path_params["qid"])
    return reply(await write(request, lambda db, u, b: lib.resolve(db, u["name"], qid, b), "resolve"), 201)


async def unresolve(request: Request) -> JSONResponse:
    qid = question_id(request.path_params["qid"])
    return reply(await write(request, lambda db, u, b: lib.unresolve(db, u["name"], qid, b), "unresolve"), 201)


async def sync(request: Request) -> JSONResponse:
    return reply(await write(request, lambda db, u, b: lib.sync_files(db, b), "sync"), 201)


async def comments(request: Request) -> JSONResponse:
    qid = question_id(request.path_params["qid"])
    if request.method == "POST":
        return reply(await write(request, lambda db, u, b: lib.add_comment(db, qid, u["name"], b.get("body"))), 201)
    limit, offset = paging(request)
    return reply(page(await read(request, lambda db, u: lib.list_comments(db, qid)), limit, offset))


async def leaderboard(request: Request) -> JSONResponse:
    raw = request.query_params.get("min_questions")
    if raw is not None and not raw.isdigit():
        raise Refused(400, "min_questions", "must be a whole number")
    least = int(raw) if raw is not None else None
    rank_by = request.query_params.get("rank_by", "relative")
    return reply(await read(request, lambda db, u: lib.leaderboard(db, _tags(request), least, rank_by)))


async def scores(request: Request) -> JSONResponse:
    limit, offset = paging(request)
    qp = request.query_params
    rows = await read(request, lambda db, u: lib.scores(db, qp.get("by"), _tags(request), qp.get("question")))
    return reply(page(rows, limit, offset))


async def forecasters(request: Request) -> JSONResponse:
    return reply(await read(request, lambda db, u: lib.forecasters(db)))


async def calibration(request: Request) -> JSONResponse:
    name = person_name(request.path_params["name"])
    return reply(await read(request, lambda db, u: lib.calibration(db, name, _tags(request))))


async def numeric_scores(request: Request) -> JSONResponse:
    return reply(await read(request, lambda db, u: lib.numeric_scores(db)))


async def why_empty(request: Request) -> JSONResponse:
    by = request.query_params.get("by")
    return reply(await read(request, lambda db, u: lib.why_empty(db, by)))


async def reports(request: Request) -> JSONResponse:
    folder = request.app.state.ctx.reports
    return reply(await read(request, lambda db, u: lib.weekly_reports(folder)))


async def users(request: Request) -> JSONResponse:
    if request.method == "POST":
        result = await write(request, lambda db, u, b: lib.add_user(db, b.get("name") or "", b.get("role") or
                                                                     "forecaster"), "users")  # fmt: skip
        return reply(result, 201)

    def listed(db: Any, u: dict[str, Any]) -> Any:
        allowed(u, "users")
        return lib.list_users(db)

    return reply(await read(request, listed))


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(SCHEMA)


ROUTES = [
    Route("/api/openapi.json", openapi),
    Route("/api/me", me),
    Route("/api/questions", questions),
    Route("/api/status", questions),
    Route("/api/questions/{qid}", question),
    Route("/api/questions/{qid}/resolve", resolve, methods=["POST"]),
    Route("/api/questions/{qid}/unresolve", unresolve, methods=["POST"]),
    Route("/api/questions/{qid}/comments", comments, methods=["GET", "POST"]),
    Route("/api/forecasts", forecasts_list, methods=["GET"]),
    Route("/api/forecasts", forecast, methods=["POST"]),
    Route("/api/evidence", evidence_list, methods=["GET"]),
    Route("/api/evidence", evidence_add, methods=["POST"]),
    Route("/api/evidence/{eid}/retract", evidence_retract, methods=["POST"]),
    Route("/api/leaderboard", leaderboard),
    Route("/api/scores", scores),
    Route("/api/reports", reports),
    Route("/api/forecasters", forecasters),
    Route("/api/calibration/{name}", calibration),
    Route("/api/users", users, methods=["GET", "POST"]),
    Route("/api/why-empty", why_empty),
    Route("/api/numeric-scores", numeric_scores),
    Route("/api/sync", sync, methods=["POST"]),
]
