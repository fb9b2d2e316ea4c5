"""Who is asking: a Bearer token (API and pages) or a signed session cookie (pages); CSRF tokens for forms;
failed sign-ins rate-limited per client address and per name."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

SESSION_COOKIE = "fc_session"
CSRF_COOKIE = "fc_csrf"
SESSION_SECONDS = 7 * 86400
FAILED_LIMIT = 5  # per name
FAILED_LIMIT_ADDRESS = 20  # per client address (a team behind one NAT shares it)
FAILED_WINDOW = 15 * 60


class Sessions:
    """Stateless signed session cookies: `name.expires.hmac` under a key made when the server starts."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _sign(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def make(self, name: str) -> str:
        text = f"{name}.{int(time.time()) + SESSION_SECONDS}"
        return f"{text}.{self._sign(text)}"

    def read(self, cookie: str | None) -> str | None:
        """The signed-in name, if the cookie is genuine and not expired."""
        if not cookie or cookie.count(".") < 2:
            return None
        text, _, sig = cookie.rpartition(".")
        name, _, expires = text.rpartition(".")
        if not hmac.compare_digest(self._sign(text), sig) or not expires.isdigit() or int(expires) < time.time():
            return None
        return name


def bearer(headers: Any) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header ('' if the header is there but malformed)."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, field: str | None) -> bool:
    """Double-submit check: the form's hidden field equals the CSRF cookie (which another site cannot read)."""
    return bool(cookie) and bool(field) and hmac.compare_digest(str(cookie), str(field))


class SignInLimiter:
    """At most FAILED_LIMIT failed sign-ins per FAILED_WINDOW seconds per name (FAILED_LIMIT_ADDRESS per client
    address)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < FAILED_WINDOW]
        self._failures[key] = kept
        return kept

    def blocked(self, address: str, name: str) -> bool:
        now = time.time()
        with self._lock:
            return (len(self._recent(f"ip:{address}", now)) >= FAILED_LIMIT_ADDRESS
                    or len(self._recent(f"name:{name.lower()}", now)) >= FAILED_LIMIT)  # fmt: skip

    def failed(self, address: str, name: str) -> None:
        now = time.time()
        with self._lock:
            if len(self._failures) > 10_000:  # many names tried: forget the ones outside the window
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < FAILED_WINDOW}
            for k in (f"ip:{address}", f"name:{name.lower()}"):
                self._recent(k, now).append(now)
