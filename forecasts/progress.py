"""Progress of slow steps (PyMC compiles and fits, the weekly job): the library names a step, the CLI shows it.

Library code wraps a step that can take seconds in `with step("fitting ..."):`; by default nothing is shown
(tests, notebooks). The CLI calls `show_on_stderr()` once, after which each step shows a rich spinner with its
elapsed time on stderr while it runs and, if it took over two seconds, a line with its time once done, so a
first run that compiles for a minute says so instead of sitting silent. rich is imported only when a step starts.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

SHOWN_AFTER = 2.0  # seconds: a step that took longer leaves a line on stderr
_state: dict[str, Any] = {"show": False, "console": None, "status": None, "announced": False}


def show_on_stderr(enabled: bool = True) -> None:
    """Show steps on stderr from now on (the CLI); False hides them again."""
    _state["show"] = enabled


def note(message: str) -> None:
    """A one-line notice on stderr (when steps are shown), e.g. that a one-time compile is about to start."""
    if _state["show"]:
        _console().print(f"[dim]{message}[/dim]", soft_wrap=True)  # one line: the terminal wraps it, not rich


@contextlib.contextmanager
def step(label: str) -> Iterator[None]:
    """Show `label` with a spinner and elapsed time while the block runs; a nested step replaces the text."""
    if not _state["show"]:
        yield
        return
    outer = _state["status"]
    if outer is not None:  # nested: name the inner step on the outer spinner, then restore it
        outer_text = outer.status
        outer.update(f"{outer_text.removesuffix(' …')}: {label} …")
        try:
            yield
        finally:
            outer.update(outer_text)
        return
    console = _console()
    start = time.perf_counter()
    status = console.status(f"{label} …") if console.is_terminal else contextlib.nullcontext()
    with status:
        _state["status"] = status if console.is_terminal else _Quiet()
        try:
            yield
        finally:
            _state["status"] = None
    elapsed = time.perf_counter() - start
    if elapsed >= SHOWN_AFTER:
        console.print(f"[dim]{label}: {elapsed:.1f} s[/dim]")


class _Quiet:
    """Stands in for the spinner when stderr is not a terminal: nested steps have nothing to update."""

    status = ""

    def update(self, text: str) -> None:
        self.status = text


@contextlib.contextmanager
def pymc_step(label: str) -> Iterator[None]:
    """A PyMC build/compile/sample step; the first in a process with an empty PyTensor cache announces the compile."""
    if _state["show"] and not _state["announced"] and pytensor_cache_is_cold():
        _state["announced"] = True
        note(
            "First run after an install: PyTensor compiles the model once (10-20 s here, longer on a slow "
            "machine); later runs load it from its cache."
        )
    with step(label):
        yield


def _console() -> Any:
    if _state["console"] is None:
        from rich.console import Console

        _state["console"] = Console(stderr=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))
    return _state["console"]


def pytensor_cache_is_cold() -> bool:
    """True when PyTensor has compiled nothing yet: no numba functions in its cache and no C modules in its compile
    directory (the first run after an install; our models compile to numba, or to C where noted)."""
    from pytensor import config

    return not _has_entries(config.base_compiledir / "numba", ".nbi") and not _has_entries(
        config.compiledir, "tmp", prefix=True
    )


def _has_entries(folder: Any, marker: str, prefix: bool = False) -> bool:
    """Whether `folder` holds an entry whose name ends with (or, with prefix, starts with) `marker`."""
    try:
        with os.scandir(folder) as entries:
            return any(e.name.startswith(marker) if prefix else e.name.endswith(marker) for e in entries)
    except OSError:
        return False
