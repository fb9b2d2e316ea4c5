"""CLI commands of the team server: `users`, `tokens`, `serve` and `login` (registered from forecasts.cli)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

users_app = typer.Typer(help="Accounts of the team server (forecaster, curator or admin).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the team server (shown once; only a hash is stored).",
                         no_args_is_help=True)  # fmt: skip
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer, user_errors, db, emit_json, server) -> None:  # noqa: C901 (one place registers all)
    """Add the commands to the main app; `user_errors`, `db`, `emit_json` and `server` (the team server the command
    goes to, or None) are the CLI's own helpers. `users add` and `users list` go to a team server when one is set
    (admins); tokens and passwords are made on the server's machine (`db()` refuses them through a server)."""
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")

    @users_app.command("add")
    @user_errors
    def users_add(
        name: str,
        role: Annotated[str, typer.Option(help="forecaster, curator or admin.")] = "forecaster",
        as_json: JsonOpt = False,
    ) -> None:
        """Create an account (registers the forecaster if new)."""
        from forecasts.api import add_user

        remote = server()
        result = remote.post("/api/users", {"name": name, "role": role}) if remote else add_user(db(), name, role)
        if as_json:
            return emit_json(result)
        typer.echo(f"added user {result['name']} ({result['role']})")

    @users_app.command("list")
    @user_errors
    def users_list(as_json: JsonOpt = False) -> None:
        """Every account with its role, whether it has a password and how many valid tokens."""
        from forecasts.api import list_users
        from forecasts.termtable import Column, render

        remote = server()
        rows = remote.get("/api/users") if remote else list_users(db())
        if as_json:
            return emit_json(rows)
        columns = [Column("name"), Column("role"), Column("password"), Column("tokens", right=True),
                   Column("created", 2)]  # fmt: skip
        table = [[u["name"], u["role"], "yes" if u["has_password"] else "no", str(u["tokens"]), u["created_at"][:10]]
                 for u in rows]  # fmt: skip
        typer.echo(render(columns, table, title="Users"))

    @users_app.command("role")
    @user_errors
    def users_role(name: str, role: str, as_json: JsonOpt = False) -> None:
        """Change a user's role."""
        from forecasts.api import set_role

        result = set_role(db(), name, role)
        if as_json:
            return emit_json(result)
        typer.echo(f"{result['name']} is now {result['role']}")

    @users_app.command("password")
    @user_errors
    def users_password(name: str) -> None:
        """Set a user's web sign-in password (read from a prompt, or from stdin when piped)."""
        from forecasts.api import get_user, set_password

        database = db()
        get_user(database, name)
        if sys.stdin.isatty():
            import getpass

            password = getpass.getpass("password: ")
            if getpass.getpass("again: ") != password:
                from forecasts.api import ForecastsError

                raise ForecastsError("password: the two entries differ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        result = set_password(database, name, password)
        typer.echo(f"password set for {result['name']}")

    @tokens_app.command("create")
    @user_errors
    def tokens_create(
        name: str, label: Annotated[str, typer.Option(help="What this token is for (e.g. laptop).")] = ""
    ) -> None:
        """Create an API token for a user; it is printed once, alone on the last line."""
        from forecasts.api import create_token

        result = create_token(db(), name, label)
        typer.echo(f"token #{result['id']} for {result['user']} (store it now; it is not shown again):")
        typer.echo(result["token"])

    @tokens_app.command("list")
    @user_errors
    def tokens_list(user: Annotated[str | None, typer.Option(help="Only this user's.")] = None,
                    as_json: JsonOpt = False) -> None:  # fmt: skip
        """Tokens (id, user, label, created, revoked); never their value."""
        from forecasts.api import list_tokens
        from forecasts.termtable import Column, render

        rows = list_tokens(db(), user)
        if as_json:
            return emit_json(rows)
        columns = [Column("id", right=True), Column("user"), Column("label", 2), Column("created"), Column("revoked")]
        table = [[str(t["id"]), t["user"], t["label"], t["created_at"][:16], (t["revoked_at"] or "")[:16]]
                 for t in rows]  # fmt: skip
        typer.echo(render(columns, table, title="Tokens"))

    @tokens_app.command("revoke")
    @user_errors
    def tokens_revoke(
        token_id: Annotated[int | None, typer.Argument(help="The token's id (tokens list).")] = None,
        user: Annotated[str | None, typer.Option(help="Revoke every token of this user.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Revoke a token (or all of a user's); requests with it get 401 from then on."""
        from forecasts.api import revoke_tokens

        result = revoke_tokens(db(), token_id, user)
        if as_json:
            return emit_json(result)
        typer.echo(f"revoked {len(result['revoked'])} token(s){': #' if result['revoked'] else ''}"
                   + ", #".join(str(i) for i in result["revoked"]))  # fmt: skip

    @app.command()
    @user_errors
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on (put TLS in a reverse proxy).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    ) -> None:
        """Run the team server (JSON API under /api/, web pages) over this database; one process owns the file."""
        from forecasts.server.app import run

        run(db(), host, port)

    @app.command()
    @user_errors
    def login(
        url: Annotated[str, typer.Argument(help="The team server, e.g. https://forecasts.example.org")],
        token: Annotated[str | None, typer.Option(help="API token (default: read from a prompt or stdin).")] = None,
    ) -> None:
        """Store the server and your token in your config, so commands go to the server."""
        from forecasts.client import login as client_login

        if token is None:
            if sys.stdin.isatty():
                import getpass

                token = getpass.getpass("token: ")
            else:
                token = sys.stdin.readline().strip()
        result = client_login(url, token)
        typer.echo(f"logged in to {result['server']} as {result['user']} ({result['role']}); saved {result['path']}")
