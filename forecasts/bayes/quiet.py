"""Silence PyMC's chatter before importing it: the missing-BLAS warning, ArviZ's refactor notice and the
sampler's progress logs are noise in a command's output (diagnostics are reported by our own code)."""

from __future__ import annotations

import logging
import warnings


def quiet_pymc() -> None:
    """Filter the warnings and logs PyMC, PyTensor and ArviZ print on import and sampling. Idempotent.

    Imports pymc itself: on import it sets its logger to INFO, so the level is lowered afterwards."""
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    # ArviZ's once-a-day notice starts with a newline (the message pattern matches from the start).
    warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning)
    # ArviZ imports matplotlib, which on a fresh install logs that it is building its font cache.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import pymc  # noqa: F401

    logging.getLogger("pymc").setLevel(logging.ERROR)
