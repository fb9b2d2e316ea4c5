"""Log-odds and its inverse on numpy arrays: the one logit/expit the models (skill, trust) and the crowd pools share."""

from __future__ import annotations

import numpy as np

P_CLIP = 1e-3  # probabilities are clipped to [0.001, 0.999] before taking log-odds (as the log score does)


def logit(p: np.ndarray, clip: float = P_CLIP) -> np.ndarray:
    """Log-odds of clipped probabilities, vectorised."""
    p = np.clip(np.asarray(p, float), clip, 1 - clip)
    return np.log(p) - np.log1p(-p)


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse of logit, numerically stable, vectorised."""
    x = np.asarray(x, float)
    return np.exp(-np.logaddexp(0.0, -x))
