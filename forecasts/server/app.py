"""The Starlette app: routes, the 1 MB body limit, errors as JSON (API) or a page, and `run` for `forecasts serve`.

Starlette (with uvicorn) because it is a small, well-kept ASGI toolkit with no magic: plain routes and
responses, sync endpoints on a thread pool, Jinja2 templates; nothing here needs FastAPI's model layer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forecasts.errors import ForecastsError
from forecasts.server import auth
from forecasts.server.store import Store
from forecasts.server.web import Refused, split_error, status_of

MAX_BODY = 1024 * 1024
log = logging.getLogger("forecasts.server")


@dataclass
class Context:
    store: Store
    sessions: auth.Sessions
    limiter: auth.SignInLimiter
    reports: Path


class BodyLimit:
    """ASGI middleware: a request body over MAX_BODY bytes gets 413 before any endpoint reads it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return await _too_large(scope, receive, send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                return await _too_large(scope, receive, send)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(scope: dict, receive: Any, send: Any) -> None:
    response = JSONResponse(_error("body", f"larger than {MAX_BODY} bytes (1 MB)"), status_code=413)
    await response(scope, receive, send)


def _error(field: str, problem: str) -> dict[str, Any]:
    return {"error": {"field": field, "problem": problem, "message": f"{field}: {problem}"}}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _refusal(request: Request, status: int, field: str, problem: str) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(_error(field, problem), status_code=status, headers=headers)
    from forecasts.server.pages import error_page

    return error_page(request, status, field, problem)


async def on_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return _refusal(request, exc.status, exc.field, exc.problem)


async def on_user_error(request: Request, exc: Exception) -> Response:
    field, problem = split_error(str(exc))
    return _refusal(request, status_of(exc), field, problem)  # type: ignore[arg-type]


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    what = {404: "no such page", 405: "method not allowed here"}.get(exc.status_code, str(exc.detail))
    return _refusal(request, exc.status_code, "path", what)


async def on_bug(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s", request.url.path)
    return _refusal(request, 500, "server", "internal error (logged on the server)")


def create_app(db_path: Path, reports: Path | None = None) -> Starlette:
    """The app over one database file (migrated on start); reports: the weekly reports folder."""
    from forecasts.server import api, pages
    from forecasts.server.library import reports_folder

    app = Starlette(
        routes=[*api.ROUTES, *pages.ROUTES],
        exception_handlers={
            Refused: on_refused,
            ForecastsError: on_user_error,
            HTTPException: on_http,
            Exception: on_bug,
        },  # fmt: skip
    )
    app.add_middleware(BodyLimit)
    app.state.ctx = Context(Store(db_path), auth.Sessions(), auth.SignInLimiter(), reports or reports_folder(db_path))
    return app


def run(db: Any, host: str, port: int) -> None:
    """`forecasts serve`: uvicorn on host:port (proxy headers trusted from localhost only)."""
    import sys

    import uvicorn

    from forecasts.api import db_file

    # The writer thread gives up the GIL on each SQLite call and then waits for the event loop to hand it back,
    # up to the switch interval: 1 ms instead of Python's 5 ms (bench/server_bench.py: the writer's p99 per
    # write 9-11 ms → 5-9 ms, its longest 45-85 ms → 17-36 ms, in three runs each at load 3-4).
    sys.setswitchinterval(0.001)

    path = Path(db_file(db.conn))
    db.close()
    app = create_app(path)
    print(json.dumps({"serving": f"http://{host}:{port}/", "db": str(path)}), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1")
