"""Accounts of the team server: users (a registered person with a role), API tokens and web passwords.

A user is a person in `forecasters` (same name), so every row written through the server names its author as
the CLI does. Tokens are random (secrets), shown once, stored only as their SHA-256 and compared with
hmac.compare_digest; passwords use scrypt (memory-hard, in the standard library).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.timeutil import now_utc, to_iso

ROLES = ("forecaster", "curator", "admin")
TOKEN_PREFIX = "fct_"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB per hash: memory-hard, ~50 ms on one core
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ForecastsError(f"role: {role!r} is not a role; allowed: {', '.join(ROLES)}")
    return role


def may(role: str, action: str) -> bool:
    """Whether a role may do an action: forecasters forecast, log evidence and comment; curators also resolve,
    unresolve and sync; admins also manage users."""
    need = {"resolve": "curator", "unresolve": "curator", "sync": "curator", "users": "admin"}.get(action, "forecaster")
    return ROLES.index(role) >= ROLES.index(need)


def add_user(db: Any, name: str, role: str = "forecaster") -> dict[str, Any]:
    """Create an account for a person, registering the forecaster if new (a name taken by the model or an
    aggregate is refused); one account per person."""
    from forecasts.forecasters import check_name, ensure_forecaster, os_user, reserved_kind
    from forecasts.store.db import write_transaction

    check_role(role)
    check_name(name, "name")
    if reserved_kind(name):
        raise ForecastsError(f"name: {name!r} is reserved for the {reserved_kind(name)}; choose another name")
    with write_transaction(db):
        canonical = ensure_forecaster(db, name, "person")
        if db.conn.execute("SELECT 1 FROM users WHERE name = ?", [canonical]).fetchone():
            raise ForecastsError(f"name: {canonical!r} already has an account; see `forecasts users list`")
        db.conn.execute(
            "INSERT INTO users (name, role, created_at, os_user) VALUES (?, ?, ?, ?)",
            [canonical, role, to_iso(now_utc()), os_user()],
        )
    return {"name": canonical, "role": role}


def list_users(db: Any) -> list[dict[str, Any]]:
    """Every account: name, role, whether a password is set, how many valid tokens."""
    sql = (
        "SELECT u.name, u.role, u.created_at, u.password_hash != '' AS has_password, "
        "(SELECT count(*) FROM tokens t WHERE t.user = u.name AND t.revoked_at IS NULL) AS tokens "
        "FROM users u ORDER BY u.name COLLATE NOCASE"
    )
    keys = ("name", "role", "created_at", "has_password", "tokens")
    return [{**dict(zip(keys, r, strict=True)), "has_password": bool(r[3])} for r in db.conn.execute(sql)]


def get_user(db: Any, name: str) -> dict[str, Any]:
    """One account by name (any case), or a one-line error listing the accounts."""
    row = db.conn.execute("SELECT name, role FROM users WHERE name = ? COLLATE NOCASE", [name or ""]).fetchone()
    if row is None:
        known = ", ".join(u["name"] for u in list_users(db)) or "none yet"
        raise ForecastsError(f"user: no account {name!r}; known: {known} (add one with `forecasts users add NAME`)")
    return {"name": row[0], "role": row[1]}


def set_role(db: Any, name: str, role: str) -> dict[str, Any]:
    from forecasts.store.db import write_transaction

    check_role(role)
    user = get_user(db, name)
    with write_transaction(db):
        db.conn.execute("UPDATE users SET role = ? WHERE name = ?", [role, user["name"]])
    return {"name": user["name"], "role": role}


# --- passwords -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """'scrypt$n$r$p$salt$hash' for a password (a fresh random salt)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Whether a password matches a stored scrypt hash (constant-time comparison of the digests)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, UnicodeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def set_password(db: Any, name: str, password: str) -> dict[str, Any]:
    """Set (or replace) a user's web sign-in password."""
    from forecasts.store.db import write_transaction

    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ForecastsError(f"password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    user = get_user(db, name)
    hashed = hash_password(password)
    with write_transaction(db):
        db.conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hashed, user["name"]])
    return {"name": user["name"], "password_set": True}


_DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def check_password(db: Any, name: str, password: str) -> dict[str, Any] | None:
    """The user if name and password match, else None (an unknown name costs one scrypt too: no timing hint)."""
    sql = "SELECT name, role, password_hash FROM users WHERE name = ? COLLATE NOCASE"
    row = db.conn.execute(sql, [name]).fetchone()
    stored = row[2] if row and row[2] else _DUMMY_HASH
    ok = password_matches(password[:MAX_PASSWORD], stored)
    return {"name": row[0], "role": row[1]} if ok and row and row[2] else None


# --- tokens -----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(db: Any, name: str, label: str = "") -> dict[str, Any]:
    """A new API token for a user: returned once, stored only as its hash."""
    from forecasts.store.db import write_transaction
    from forecasts.validation import text

    user = get_user(db, name)
    label = text(label, "label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction(db):
        cur = db.conn.execute(
            "INSERT INTO tokens (user, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
            [user["name"], _token_hash(token), label, to_iso(now_utc())],
        )
    return {"id": int(cur.lastrowid), "user": user["name"], "label": label, "token": token}


def list_tokens(db: Any, name: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their value): id, user, label, created, revoked."""
    where, params = ("WHERE user = ?", [get_user(db, name)["name"]]) if name else ("", [])
    sql = f"SELECT id, user, label, created_at, revoked_at FROM tokens {where} ORDER BY id"
    keys = ("id", "user", "label", "created_at", "revoked_at")
    return [dict(zip(keys, r, strict=True)) for r in db.conn.execute(sql, params)]


def revoke_tokens(db: Any, token_id: int | None = None, name: str | None = None) -> dict[str, Any]:
    """Revoke one token by id, or every valid token of a user; the rows stay (revoked_at set)."""
    from forecasts.store.db import write_transaction

    if (token_id is None) == (name is None):
        raise ForecastsError("token: give a token id or --user NAME (revokes all of that user's tokens)")
    now = to_iso(now_utc())
    with write_transaction(db):
        if token_id is not None:
            row = db.conn.execute("SELECT revoked_at FROM tokens WHERE id = ?", [token_id]).fetchone()
            if row is None:
                raise ForecastsError(f"token: no token #{token_id}; see `forecasts tokens list`")
            ids = [token_id] if row[0] is None else []
        else:
            user = get_user(db, name or "")["name"]
            ids = [r[0] for r in db.conn.execute("SELECT id FROM tokens WHERE user = ? AND revoked_at IS NULL", [user])]
        for i in ids:
            db.conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", [now, i])
    return {"revoked": ids}


def authenticate(db: Any, token: str) -> dict[str, Any] | None:
    """The user a valid (not revoked) token belongs to, else None. The lookup is by the token's hash and the
    stored hash is compared in constant time."""
    if not token or len(token) > 200:
        return None
    wanted = _token_hash(token)
    row = db.conn.execute(
        "SELECT t.token_hash, t.revoked_at, u.name, u.role FROM tokens t JOIN users u ON u.name = t.user "
        "WHERE t.token_hash = ?",
        [wanted],
    ).fetchone()
    if row is None or not hmac.compare_digest(row[0], wanted) or row[1] is not None:
        return None
    return {"name": row[2], "role": row[3]}


# --- comments ---------------------------------------------------------------------------------

MAX_COMMENT = 10_000


def add_comment(db: Any, question_id: str, author: str, body: str) -> dict[str, Any]:
    """Append a comment to a question's thread."""
    from forecasts.questions import get_question
    from forecasts.store.db import write_transaction
    from forecasts.validation import text

    q = get_question(db, question_id)
    body = text(body, "body", required=True).strip()
    if not body:
        raise ForecastsError("body: a comment needs some text")
    if len(body) > MAX_COMMENT:
        raise ForecastsError(f"body: at most {MAX_COMMENT} characters")
    now = to_iso(now_utc())
    with write_transaction(db):
        cur = db.conn.execute(
            "INSERT INTO comments (question_id, author, created_at, body) VALUES (?, ?, ?, ?)",
            [q.id, author, now, body],
        )
    return {"id": int(cur.lastrowid), "question": q.id, "author": author, "created_at": now, "body": body}


def list_comments(db: Any, question_id: str) -> list[dict[str, Any]]:
    """A question's comments, oldest first."""
    sql = "SELECT id, question_id, author, created_at, body FROM comments WHERE question_id = ? ORDER BY id"
    keys = ("id", "question", "author", "created_at", "body")
    return [dict(zip(keys, r, strict=True)) for r in db.conn.execute(sql, [question_id])]
