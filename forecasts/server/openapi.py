"""The API's OpenAPI 3.1 description (hand-written: the routes are few and the schema stays readable)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "Refused: {error: {field, problem, message}}", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}  # fmt: skip
_PAGED = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
]
_QID = {"name": "qid", "in": "path", "required": True,
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"}}  # fmt: skip


def _op(summary: str, params: list[dict] | None = None, body: dict | None = None, paged: bool = False,
        ok: str = "200") -> dict[str, Any]:  # fmt: skip
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": (params or []) + (_PAGED if paged else []),
        "responses": {
            ok: {"description": "OK" + (" (a page: items, total, limit, offset, next_offset)" if paged else "")},
            "400": _ERROR,
            "401": _ERROR,
            "403": _ERROR,
            "404": _ERROR,
            "413": _ERROR,
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_S, _N = {"type": "string"}, {"type": "number"}
_LIST = {"type": "array", "items": _S}
_Q = {"name": "question", "in": "query", "schema": _S}
_TAG = {"name": "tag", "in": "query", "schema": _S}

SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "forecasts team server",
        "version": "1",
        "description": "Authorization: Bearer TOKEN on every call (forecasts tokens create NAME). See docs/api.md.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _obj(error=_obj(field=_S, problem=_S, message=_S))},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/me": {"get": _op("The signed-in user (name, role)")},
        "/api/questions": {"get": _op("Questions with state and current probabilities", [_TAG], paged=True)},
        "/api/status": {"get": _op("Same as /api/questions", [_TAG], paged=True)},
        "/api/questions/{qid}": {"get": _op("One question in full (questions show --json)", [_QID])},
        "/api/questions/{qid}/resolve": {
            "post": _op("Resolve (curator)", [_QID], _obj(outcome=_S, known_at=_S, source=_S, note=_S, by=_S), ok="201")
        },
        "/api/questions/{qid}/unresolve": {"post": _op("Unresolve (curator)", [_QID], _obj(note=_S, by=_S), ok="201")},
        "/api/questions/{qid}/comments": {
            "get": _op("The comment thread", [_QID], paged=True),
            "post": _op("Add a comment", [_QID], _obj(body=_S), ok="201"),
        },
        "/api/forecasts": {
            "get": _op(
                "Forecasts, oldest first, as you may see them (the page's `hidden`: others' withheld by hide-crowd)",
                [_Q, _TAG, {"name": "by", "in": "query", "schema": _S},
                 {"name": "people", "in": "query", "schema": {"type": "boolean"}}],
                paged=True,
            ),
            "post": _op(
                "Forecast as yourself",
                None,
                _obj(
                    question=_S,
                    probability={"oneOf": [_N, _S, {"type": "object", "additionalProperties": _N}]},
                    percentiles={"oneOf": [_LIST, {"type": "object", "additionalProperties": {"oneOf": [_N, _S]}}]},
                    below=_N,
                    above=_N,
                    rationale=_S,
                    by=_S,
                ),
                ok="201",
            ),
        },
        "/api/evidence": {
            "get": _op("Evidence, newest observation first", [_Q], paged=True),
            "post": _op(
                "Log evidence as yourself (fields as `evidence add`)",
                None,
                _obj(
                    questions=_LIST,
                    summary=_S,
                    observed_at=_S,
                    lr=_LIST,
                    grade=_LIST,
                    lr_sd=_N,
                    source=_S,
                    url=_S,
                    reliability=_S,
                    reasoning=_S,
                    tags=_LIST,
                    by=_S,
                ),
                ok="201",
            ),
        },
        "/api/evidence/{eid}/retract": {
            "post": _op(
                "Retract evidence",
                [{"name": "eid", "in": "path", "required": True, "schema": {"type": "integer"}}],
                _obj(reason=_S),
                ok="201",
            )
        },
        "/api/leaderboard": {
            "get": _op(
                "Leaderboard",
                [
                    _TAG,
                    {"name": "min_questions", "in": "query", "schema": {"type": "integer"}},
                    {"name": "rank_by", "in": "query",
                     "schema": {"enum": ["own", "relative", "peer", "adjusted", "crps", "peer-continuous"]}},
                ],
            )
        },
        "/api/scores": {
            "get": _op(
                "Scores on resolved questions", [_TAG, _Q, {"name": "by", "in": "query", "schema": _S}], paged=True
            )
        },
        "/api/forecasters": {"get": _op("Registered forecasters (forecasters list --json)")},
        "/api/calibration/{name}": {
            "get": _op(
                "A forecaster's calibration (calibration NAME --json)",
                [{"name": "name", "in": "path", "required": True, "schema": _S}, _TAG],
            )
        },
        "/api/numeric-scores": {"get": _op("Scores on resolved numeric and date questions (numeric-scores --json)")},
        "/api/why-empty": {
            "get": _op("Why a scores table is empty: {message}", [{"name": "by", "in": "query", "schema": _S}])
        },
        "/api/sync": {
            "post": _op(
                "Load question files read on the client (curator; sync --json)",
                None,
                _obj(folder=_S, files={"type": "object", "additionalProperties": _S}),
                ok="201",
            )
        },
        "/api/reports": {"get": _op("Weekly reports on the server (week, formats)")},
        "/api/users": {
            "get": _op("Accounts (admin)"),
            "post": _op(
                "Add an account (admin)",
                None,
                _obj(name=_S, role={"enum": ["forecaster", "curator", "admin"]}),
                ok="201",
            ),
        },
    },
}
