"""Forecasters: registered people, the model `bayes` and one aggregate per pooling method (`crowd`, ...).

Names are unique regardless of case. A person is registered (`forecasters add`) before forecasting under a
name; the default identity comes from FORECASTS_USER, the project's forecasts.toml `user`, or the OS login if
that is a registered name. Every written row also records the OS account that wrote it (`os_user`).
"""

from __future__ import annotations

import os
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.os_account import os_user
from forecasts.timeutil import now_utc, to_iso
from forecasts.validation import NAME_PATTERN, check_row

MODEL = "bayes"
CROWD = "crowd"
CROWD_METHODS = {"median": CROWD, "geometric": "crowd-geometric", "extremized": "crowd-extremized"}
CROWD_METHODS |= {m: f"crowd-{m}" for m in ("mean", "trimmed", "neyman", "metaculus", "skill", "learned", "auto")}
RECONSTRUCTED = "bayes-reconstructed"  # the model replayed over the evidence history (forecasts.reconstruct)
RESERVED = {MODEL: "model", RECONSTRUCTED: "model", **{name: "aggregate" for name in CROWD_METHODS.values()}}
KINDS = ("person", "model", "aggregate")


def reserved_kind(name: str) -> str | None:
    """The kind a built-in name is reserved for (case-insensitive; any `crowd-*` is an aggregate), else None."""
    low = name.lower()
    return RESERVED.get(low) or ("aggregate" if low.startswith(CROWD + "-") else None)


def check_name(name: str, fld: str = "by") -> str:
    """A well-formed forecaster name, or a one-line error naming the field and the rule."""
    if not NAME_PATTERN.match(name or ""):
        raise ForecastsError(
            f"{fld}: {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter/digit"
        )
    return name


def _registered(db: Any, name: str) -> tuple[str, str] | None:
    """(canonical name, kind) of the forecaster registered under `name` in any case, or None."""
    row = db.conn.execute("SELECT id, kind FROM forecasters WHERE id = ? COLLATE NOCASE ORDER BY id", [name]).fetchone()
    return (row[0], row[1]) if row else None


def known_names(db: Any, people: bool = False) -> list[str]:
    """Every registered forecaster name (only people's with `people`: the names --by may take), sorted."""
    where = " WHERE kind = 'person'" if people else ""
    return [r[0] for r in db.conn.execute(f"SELECT id FROM forecasters{where} ORDER BY id COLLATE NOCASE, id")]


def ensure_forecaster(db: Any, name: str, kind: str = "person") -> str:
    """Register the forecaster if new (inside the caller's transaction) and return its canonical name.

    A name already registered in another case is the same forecaster; people may not take built-in names."""
    check_name(name)
    reserved = reserved_kind(name)
    if kind == "person" and reserved:
        raise ForecastsError(f"by: {name!r} is reserved for the {reserved}; choose another name")
    found = _registered(db, name)
    if found is not None:
        if found[1] != kind:
            raise ForecastsError(f"by: {found[0]!r} is registered as a {found[1]}, not a {kind}")
        return found[0]
    row = {"id": name, "kind": kind, "created_at": to_iso(now_utc()), "os_user": os_user()}
    check_row("forecasters", row)
    db.conn.execute("INSERT INTO forecasters (id, kind, created_at, os_user) VALUES (?, ?, ?, ?)", list(row.values()))
    return name


def _login_ok(login: str) -> bool:
    """An operating-system login name: the whole text matches validation.LOGIN_PATTERN (no look-alikes or spaces)."""
    from forecasts.validation import LOGIN_PATTERN

    return bool(LOGIN_PATTERN.fullmatch(login))


def add_forecasters(db: Any, names: list[str], login: str = "") -> dict[str, Any]:
    """`forecasters add`: register people; a name taken in any case is refused, all or nothing. With `login`, the
    one person named is bound to that operating-system login: only it may then write under their name."""
    from forecasts.store.db import write_transaction

    if not names:
        raise ForecastsError("name: give at least one forecaster name")
    if login and (len(names) != 1 or not _login_ok(login)):
        raise ForecastsError(
            f"login: {login!r} must be one login name (no spaces, at most 64 characters) for one person"
        )
    lowered: set[str] = set()
    with write_transaction(db):
        for name in names:
            check_name(name, "name")
            if reserved_kind(name):
                raise ForecastsError(f"name: {name!r} is reserved for the {reserved_kind(name)}; choose another name")
            found = _registered(db, name)
            if found is not None or name.lower() in lowered:
                taken = found[0] if found else name
                raise ForecastsError(f"name: {name!r} is already registered (as {taken!r}); names ignore case")
            lowered.add(name.lower())
            ensure_forecaster(db, name, "person")
            if login:  # the row was inserted just above, in this transaction
                db.conn.execute("UPDATE forecasters SET login = ? WHERE id = ?", [login, name])
    return {"added": list(names), "login": login or None}


def list_forecasters(db: Any) -> list[dict[str, Any]]:
    """Every registered forecaster with its kind, when and by which OS account it was registered."""
    sql = "SELECT id, kind, created_at, os_user, login FROM forecasters ORDER BY kind DESC, id COLLATE NOCASE, id"
    keys = ("id", "kind", "created_at", "os_user", "login")
    return [dict(zip(keys, row, strict=True)) for row in db.conn.execute(sql)]


def get_forecaster(db: Any, name: str) -> dict:
    """One forecaster by name (any case), or a user error listing the known ones."""
    found = _registered(db, name or "")
    if found is None:
        from forecasts.suggest import did_you_mean

        known = known_names(db)
        hint = did_you_mean(name, known, "forecasts forecasters list") if known else "known: none yet"
        raise ForecastsError(f"forecaster: unknown name {name!r}; {hint}")
    row = db.conn.execute("SELECT id, kind, created_at FROM forecasters WHERE id = ?", [found[0]]).fetchone()
    return {"id": row[0], "kind": row[1], "created_at": row[2]}


def default_identity() -> tuple[str, str]:
    """(name, where it came from): FORECASTS_USER, else the project's forecasts.toml `user`, else ("", "")."""
    env = os.environ.get("FORECASTS_USER", "").strip()
    if env:
        return env, "FORECASTS_USER"
    from forecasts.project import project_config

    config, path = project_config()
    user = config.get("user")
    if isinstance(user, str) and user.strip():
        return user.strip(), str(path)
    return "", ""


def _checked_login(db: Any, name: str, fld: str) -> str:
    """The name, if it is not bound to another operating-system login than the one running this command."""
    (login,) = db.conn.execute("SELECT login FROM forecasters WHERE id = ?", [name]).fetchone()
    if login and login != os_user():
        raise ForecastsError(
            f"{fld}: {name!r} is bound to the login {login!r} and this command runs as {os_user()!r}; "
            f"only {login!r} writes as {name!r}"
        )
    return name


def identify(db: Any, by: str | None, new_forecaster: bool = False, required: bool = True, fld: str = "by") -> str:
    """Who is writing: --by, else the default identity, else the OS login if registered; canonical name or ''.

    An unregistered name is refused with the known names listed, unless `new_forecaster` registers it."""
    name, origin = (by or "").strip(), "--by"
    if not name:
        name, origin = default_identity()
    if not name:
        bound = db.conn.execute(
            "SELECT id FROM forecasters WHERE login = ? AND kind = 'person'", [os_user()]
        ).fetchall()
        if len(bound) == 1:
            return bound[0][0]
        login = _registered(db, os_user())
        if login is not None and login[1] == "person":
            return _checked_login(db, login[0], fld)
    if not name:
        if not required:
            return ""
        raise ForecastsError(
            f'{fld}: who is this? give --by NAME, set FORECASTS_USER, or put user = "NAME" in forecasts.toml; '
            f"known: {', '.join(known_names(db, people=True)) or 'none yet'}"
        )
    check_name(name, fld)
    found = _registered(db, name)
    if found is not None:
        if found[1] != "person":
            raise ForecastsError(f"{fld}: {found[0]!r} is reserved for the {found[1]}; choose another name")
        return _checked_login(db, found[0], fld)
    if reserved_kind(name):
        raise ForecastsError(f"{fld}: {name!r} is reserved for the {reserved_kind(name)}; choose another name")
    if new_forecaster:
        from forecasts.store.db import write_transaction

        with write_transaction(db):
            return ensure_forecaster(db, name, "person")
    raise ForecastsError(
        f"{fld}: {name!r} (from {origin}) is not a registered forecaster; known: "
        f"{', '.join(known_names(db, people=True)) or 'none yet'}; register it with `forecasts forecasters add {name}` "
        "or pass --new-forecaster"
    )
