"""The top-level click group: usage mistakes print as one line `Error: ...` with exit code 2.

Click and typer print a usage block (or a rich box) and a hint; the README promises one line a script
can read, so the group's `main` reformats every click exception before exiting.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x vendors click as typer._click; older typer uses click itself
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc


def one_line(exc: click_exc.ClickException) -> str:
    """The exception's message on one line, naming the subcommand and where to find its usage."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click_exc.UsageError) and ctx is not None:
        path = ctx.command_path
        sub = path.partition(" ")[2]
        prefix = f"{sub}: " if sub else ""
        return f"Error: {prefix}{message} (see '{path} --help')"
    return f"Error: {message}"


class OneLineErrorGroup(TyperGroup):
    """A TyperGroup whose usage errors are one line on stderr with exit 2 (other click errors: their own code)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click_exc.ClickException as exc:
            typer.echo(one_line(exc), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def version_callback(value: bool) -> None:
    """--version: print the installed version and stop."""
    if value:
        from forecasts import __version__

        typer.echo(f"forecasts {__version__}")
        raise typer.Exit(0)


class NumberArgsCommand(typer.core.TyperCommand):
    """A command whose arguments may be negative numbers (`forecast Q -0.1` is then out of range, not the unknown
    option `-0`); any other unknown option is still refused as `No such option`."""

    NEGATIVE = ("-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9", "-.")

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        known = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if arg.startswith("-") and not arg.startswith(self.NEGATIVE) and name not in known:
                raise click_exc.NoSuchOption(name, ctx=ctx)
        ctx.ignore_unknown_options = True  # what is left over is a negative number: an argument
        return super().parse_args(ctx, args)
