"""A real team server for tests: uvicorn on a free loopback port in a thread, over a fresh database with a few
questions (binary, categorical, ordered, one tagged hide-crowd, one closing soon) and three accounts."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from forecasts import accounts
from forecasts.store.db import connect
from forecasts.sync import sync
from forecasts.timeutil import now_utc

XSS = "<script>alert(1)</script>"


def question_files(folder: Path) -> Path:
    """Question files that are open now (dates relative to today); returns the folder."""
    today = now_utc().date()
    opens, closes, soon = today - timedelta(days=60), today + timedelta(days=300), today + timedelta(days=5)
    resolves = today + timedelta(days=330)
    common = f"opens_at = {opens}\nresolves_by = {resolves}\n"
    files = {
        "talks.toml": f'title = "Will talks start?"\n{common}closes_at = {closes}\nresolution_criteria = '
                      f'"Talks start. {XSS}"\n[prior]\na = 2\nb = 3\n',
        "colour.toml": f'title = "Which colour?"\ntype = "categorical"\noutcomes = ["red", "green", "blue"]\n{common}'
                       f'closes_at = {closes}\nresolution_criteria = "The colour."\n[prior]\nalpha = [1, 2, 1]\n',
        "when.toml": f'title = "When?"\ntype = "ordered"\noutcomes = ["early", "late"]\n'
                     f"bin_ends = [{today + timedelta(days=200)}]\n{common}closes_at = {closes}\n"
                     'resolution_criteria = "When it happens."\n[prior]\nprobabilities = [0.4, 0.6]\n',
        "secret.toml": f'title = "Hidden crowd?"\ntags = ["hide-crowd"]\n{common}closes_at = {closes}\n'
                       'resolution_criteria = "Yes if so."\n[prior]\na = 1\nb = 1\n',
        "soon.toml": f'title = "Closing soon?"\n{common}closes_at = {soon}\nresolution_criteria = "Soon."\n'
                     "[prior]\na = 1\nb = 1\n",
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The app served by uvicorn in a thread; `call` makes real HTTP requests to it."""

    def __init__(self, tmp: Path) -> None:
        import uvicorn

        from forecasts.server.app import create_app

        self.db_path = tmp / "db" / "team.db"
        db = connect(self.db_path)
        sync(db, question_files(tmp / "questions"))
        self.tokens: dict[str, str] = {}
        for name, role in (("alice", "forecaster"), ("bob", "forecaster"), ("carol", "curator")):
            accounts.add_user(db, name, role)
            accounts.set_password(db, name, f"{name}-password")
            self.tokens[name] = accounts.create_token(db, name)["token"]
        db.close()
        (tmp / "reports").mkdir()
        (tmp / "reports" / "2026-W01.md").write_text(f"# week {XSS}\n", encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(self.db_path, tmp / "reports"), host="127.0.0.1", port=self.port,
                                log_level="warning")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def call(self, method: str, path: str, who: str | None = None, body: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict, str]:  # fmt: skip
        """(status, headers, text) of one request; `who` sends that user's Bearer token."""
        hdrs = dict(headers or {})
        token = token if token is not None else (self.tokens[who] if who else None)
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()

    def json(self, method: str, path: str, who: str | None = None, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, _, text = self.call(method, path, who, body, **kw)
        return status, json.loads(text)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
