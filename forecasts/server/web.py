"""What the API and the pages share: the request's user, refusals as exceptions, id and paging checks."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from forecasts.errors import ForecastsError
from forecasts.server import auth
from forecasts.server import library as lib

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
WRITER_FIELDS = ("by", "forecaster", "forecaster_id", "recorded_by", "author")
MAX_PAGE = 1000


class Refused(Exception):
    """A request refused with an HTTP status, naming the field and the problem."""

    def __init__(self, status: int, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.status, self.field, self.problem = status, field, problem


def split_error(message: str) -> tuple[str, str]:
    """'field: problem' → (field, problem); a message without a field names 'request'."""
    field, sep, problem = message.partition(": ")
    if sep and re.fullmatch(r"[A-Za-z_][\w\[\].-]{0,40}", field):
        return field, problem
    return "request", message


def status_of(exc: ForecastsError) -> int:
    """404 for an id that names nothing, else 400 (a user's input was refused)."""
    field, problem = split_error(str(exc))
    missing = problem.startswith(("unknown", "no ")) or " not found" in problem
    return 404 if missing and field in ("question", "evidence", "evidence_id", "user", "forecaster", "token") else 400


def question_id(value: str) -> str:
    """A question id from a URL: a slug, so a path or SQL text is refused before it reaches anything."""
    if not ID_RE.match(value):
        raise Refused(400, "question", "must be a slug: lowercase letters, digits and '-', at most 80 characters")
    return value


def person_name(value: str) -> str:
    """A forecaster's name from a URL (letters, digits, '.', '_', '-'), so paths and SQL text are refused."""
    if not NAME_RE.match(value):
        raise Refused(400, "name", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def row_id(value: str, field: str) -> int:
    if not (value.isdigit() and len(value) <= 18):
        raise Refused(400, field, "must be a whole number")
    return int(value)


def user_of(request: Request, pages: bool = False) -> dict[str, Any] | None:
    """The signed-in user: a Bearer token (API and pages), else the session cookie (pages only)."""
    ctx = request.app.state.ctx
    token = auth.bearer(request.headers)
    if token is not None:
        request.state.by_token = True
        with ctx.store.reading() as db:
            user = lib.authenticate(db, token)
        if user is None:
            raise Refused(401, "token", "missing, unknown or revoked token")
        return user
    request.state.by_token = False
    if pages:
        name = ctx.sessions.read(request.cookies.get(auth.SESSION_COOKIE))
        if name:
            with ctx.store.reading() as db:
                found = [u for u in lib.list_users(db) if u["name"] == name]
            if found:
                return {"name": found[0]["name"], "role": found[0]["role"]}
    return None


def require_user(request: Request) -> dict[str, Any]:
    user = user_of(request)
    if user is None:
        raise Refused(401, "token", "send Authorization: Bearer TOKEN (create one with `forecasts tokens create`)")
    return user


def as_self(user: dict[str, Any], body: dict[str, Any]) -> None:
    """Nobody writes as someone else: any writer field must name the signed-in user."""
    for key in WRITER_FIELDS:
        value = body.get(key)
        if value not in (None, "") and (not isinstance(value, str) or value.lower() != user["name"].lower()):
            raise Refused(403, key, f"you are signed in as {user['name']!r}; writing as {value!r} is refused")


def write_as(request: Request, user: dict[str, Any], action: str, payload: dict[str, Any], fn: Any) -> Any:
    """The one write step of the API and the forms: the role allows `action`, the payload writes as its sender,
    then fn(db, user, payload) runs under the server's write lock with its rows recorded as written by the user."""
    allowed(user, action)
    as_self(user, payload)
    with request.app.state.ctx.store.writing(user["name"]) as db:
        return fn(db, user, payload)


def allowed(user: dict[str, Any], action: str) -> None:
    if not lib.may(user["role"], action):
        raise Refused(403, "role", f"{user['role']}s may not {action}; ask a curator or an admin")


def paging(request: Request) -> tuple[int, int]:
    """limit (1-1000, default 100) and offset (default 0) from the query string."""
    out = []
    for key, default, low in (("limit", 100, 1), ("offset", 0, 0)):
        raw = request.query_params.get(key, str(default))
        if not raw.isdigit() or not low <= int(raw) <= (MAX_PAGE if key == "limit" else 10**12):
            raise Refused(400, key, f"must be a whole number{' from 1 to 1000' if key == 'limit' else ' >= 0'}")
        out.append(int(raw))
    return out[0], out[1]


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page of a list: items, total, limit, offset and next_offset (None on the last page)."""
    chunk = items[offset : offset + limit]
    nxt = offset + limit if offset + limit < len(items) else None
    return {"items": chunk, "total": len(items), "limit": limit, "offset": offset, "next_offset": nxt}


def plain(obj: Any) -> Any:
    """JSON-ready: datetimes as text (as the CLI's --json prints them), NaN and infinities as null."""
    import json

    from forecasts.api import json_finite

    return json.loads(json.dumps(json_finite(obj), default=str))
