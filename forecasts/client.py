"""The CLI as a client of a team server: FORECASTS_SERVER and FORECASTS_TOKEN (or `forecasts login URL`, saved in
$XDG_CONFIG_HOME/forecasts/server.json) send the commands that read or write the ledger to the server's JSON API
(docs/api.md lists them; the commands that need the file itself refuse, forecasts.cli.refuse_remote).

Standard library only (urllib), so a remote command starts as fast as a local one; a refusal by the server
comes back as the same one-line `Error: field: problem` (a ForecastsError) the local command would print.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from forecasts.errors import ForecastsError

TIMEOUT = 60


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "forecasts" / "server.json"


def _saved() -> dict[str, str]:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ForecastsError(f"server: {path} is not readable JSON; run `forecasts login URL` again") from None
    return data if isinstance(data, dict) else {}


class Client:
    """Calls to one server with one token."""

    def __init__(self, url: str, token: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ForecastsError(f"server: {url!r} must start with http:// or https://")
        self.url, self.token = url.rstrip("/"), token

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The JSON reply; a 4xx/5xx reply raises its `field: problem` as a ForecastsError."""
        import urllib.error
        import urllib.request

        query = {k: v for k, v in (params or {}).items() if v not in (None, [], "")}
        url = self.url + path + ("?" + urlencode(query, doseq=True) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ForecastsError(_message(exc.code, exc.read())) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ForecastsError(f"server: cannot reach {self.url} ({reason})") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)

    def get_all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paginated list, page by page."""
        return self.get_pages(path, **params)[0]

    def get_pages(self, path: str, **params: Any) -> tuple[list[Any], dict[str, Any]]:
        """(every item of a paginated list, the first page without its items: what else the list says)."""
        items: list[Any] = []
        offset: int | None = 0
        first: dict[str, Any] | None = None
        while offset is not None:
            page = self.get(path, **params, limit=1000, offset=offset)
            items.extend(page["items"])
            first = first or {k: v for k, v in page.items() if k != "items"}
            offset = page["next_offset"]
        return items, first or {}

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("POST", path, body=body)

    @staticmethod
    def q(question_id: str) -> str:
        return quote(question_id, safe="")


def question_texts(root: Path) -> dict[str, Any]:
    """The body of a remote `sync`: the folder's name and {path relative to it: text} of every .toml file under it
    (question, scenario and dependency files), read here as the local `sync` reads them."""
    if not root.exists():
        raise ForecastsError(f"questions: directory {root} does not exist")
    name = root.name or root.resolve().name
    files = {}
    for path in sorted(root.rglob("*.toml")):
        rel = path.relative_to(root).as_posix()
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ForecastsError(f"{name}/{rel}: file: is not UTF-8 text") from None
    return {"folder": name, "files": files}


def _message(status: int, raw: bytes) -> str:
    try:
        error = json.loads(raw)["error"]
        # a message that names no field ("questions/x.toml: id: ...", lines of them) is sent whole under `request`
        return error["problem"] if error["field"] == "request" else f"{error['field']}: {error['problem']}"
    except (ValueError, KeyError, TypeError):
        return f"server: HTTP {status}"


def remote(local_db: bool = False) -> Client | None:
    """The team server to use: FORECASTS_SERVER/FORECASTS_TOKEN, else the saved login unless a database file was
    named (--db or FORECASTS_DB), else None (the local file)."""
    url = os.environ.get("FORECASTS_SERVER", "").strip()
    token = os.environ.get("FORECASTS_TOKEN", "").strip()
    if not url and not local_db:
        saved = _saved()
        url, token = saved.get("server", ""), token or saved.get("token", "")
    if not url:
        return None
    if not token:
        raise ForecastsError("token: FORECASTS_SERVER is set but no token; set FORECASTS_TOKEN or `forecasts login`")
    return Client(url, token)


def login(url: str, token: str) -> dict[str, Any]:
    """Check the token against the server (GET /api/me), then save both (file readable by you only)."""
    client = Client(url, token.strip())
    me = client.get("/api/me")
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"server": client.url, "token": client.token}, f)
    return {"server": client.url, "user": me["name"], "role": me["role"], "path": str(path)}
