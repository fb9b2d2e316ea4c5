"""Silence PyMC's chatter before importing it: the missing-BLAS warning, ArviZ's refactor notice and the
sampler's progress logs are noise in a command's output (diagnostics are reported by our own code)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator


def quiet_arviz() -> None:
    """Filter the warnings and logs PyTensor and ArviZ print on import, without importing PyMC (a categorical
    posterior does not need it: forecasts.bayes.categorical_density). Idempotent."""
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    # ArviZ's once-a-day notice starts with a newline (the message pattern matches from the start).
    warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning)
    # ArviZ imports matplotlib, which on a fresh install logs that it is building its font cache.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def quiet_pymc() -> None:
    """Filter the warnings and logs PyMC, PyTensor and ArviZ print on import and sampling. Idempotent.

    Imports pymc itself: on import it sets its logger to INFO, so the level is lowered afterwards."""
    quiet_arviz()
    import pymc  # noqa: F401

    logging.getLogger("pymc").setLevel(logging.ERROR)


@contextlib.contextmanager
def arviz_in_numpy() -> Iterator[None]:
    """ArviZ's diagnostics computed with numpy for the block: its numba variants are compiled afresh in every
    process (~0.3 s), longer than a few thousand draws take in numpy. The caller's setting is restored after."""
    from arviz.utils import Numba

    before = Numba.numba_flag
    Numba.numba_flag = False
    try:
        yield
    finally:
        Numba.numba_flag = before
