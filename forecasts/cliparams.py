"""Command-line values converted without pydantic, so an interactive command starts near Python's floor.

Typer (0.2x+) converts every parameter through a pydantic TypeAdapter: importing pydantic
and building the adapters costs more than the rest of a command. `install()` gives plain bool, str, int, float and
Path values a direct conversion and hands anything else (other types, path checks, number bounds, malformed
numbers) to typer's own pydantic path, so accepted values and error messages stay typer's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

_INT = re.compile(r"[+-]?\d{1,18}", re.ASCII)
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")


def install() -> None:
    """Route typer's runtime coercion of simple parameters through `FastParam`; a no-op on typers without it."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover - typer without runtime coercion
        return
    _flags_take_no_value(core)
    original = getattr(core, "build_runtime_param", None)
    if FastParam is None or original is None or getattr(original, "forecasts_fast", False):
        return

    def build(descriptor: Any) -> Any:
        leaf = _leaf(descriptor.annotation)
        if leaf is None or descriptor.file_annotation is not None or not _plain(descriptor.parameter_info):
            return original(descriptor)
        return FastParam(descriptor.parameter_info, descriptor.annotation, leaf, lambda: original(descriptor), [])

    build.forecasts_fast = True  # type: ignore[attr-defined]
    core.build_runtime_param = build


def _flags_take_no_value(core: Any) -> None:
    """Help shows no `<bool>` after a flag such as --json (typer's rich help prints one, as if it took a value)."""
    option = getattr(core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "forecasts_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich.forecasts_flags = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


def _leaf(annotation: Any) -> Any:
    """bool, str, int, float or Path (for a list, its item type), else None."""
    if get_origin(annotation) is list:
        args = get_args(annotation)
        annotation = args[0] if len(args) == 1 else None
    return annotation if annotation in (bool, str, int, float, Path) else None


def _plain(info: Any) -> bool:
    """True when the parameter asks for no checks beyond its type (no bounds, parser, path rules)."""
    if any(getattr(info, name, None) is not None for name in ("parser", "min", "max", "path_type", "formats")):
        return False
    if any(getattr(info, name, False) for name in ("clamp", "exists", "resolve_path", "allow_dash", "writable")):
        return False
    return bool(getattr(info, "file_okay", True) and getattr(info, "dir_okay", True))


def _convert(leaf: Any, value: Any) -> Any:
    """The converted value, or NotImplemented where typer's own conversion must decide."""
    if isinstance(value, leaf) and (leaf is bool or not isinstance(value, bool)):
        return value
    if not isinstance(value, str) or leaf is bool:
        return NotImplemented
    if leaf is str:
        return value
    if leaf is int and _INT.fullmatch(value):
        return int(value)
    if leaf is float and _FLOAT.fullmatch(value):
        return float(value)
    if leaf is Path and value:
        return Path(value)
    return NotImplemented


try:
    from typer._coercion import RuntimeParam
except ImportError:  # pragma: no cover - typer without runtime coercion
    FastParam = None
else:

    @dataclass(frozen=True)
    class FastParam(RuntimeParam):
        """Direct conversion of a bool/str/int/float/Path value (or list of them); typer's converter for the rest."""

        leaf: Any
        build_fallback: Callable[[], Any]
        fallback: list  # typer's converter, built on first need

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if get_origin(self.annotation) is list and isinstance(value, list | tuple):
                converted = [_convert(self.leaf, v) for v in value]
                if NotImplemented not in converted:
                    return converted
            else:
                one = _convert(self.leaf, value)
                if one is not NotImplemented:
                    return one
            if not self.fallback:
                self.fallback.append(self.build_fallback())
            return self.fallback[0]._coerce_value(value, param=param, ctx=ctx)
