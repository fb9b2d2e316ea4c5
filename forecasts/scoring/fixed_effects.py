"""Difficulty-adjusted Brier: the two-way fixed-effects fit Brier_fq = a_f + b_q that ForecastBench ranks by.

People who answered different questions are compared on one scale: b_q measures how hard question q
was, a_f how good forecaster f is on an average question. Pure numpy (alternating least squares on the
observed pairs, which is exact for this additive model); forecastingresearch/forecastbench fits the same
model with pyfixest (src/leaderboard/main.py, two_way_fixed_effects).
"""

from __future__ import annotations

import numpy as np


def fit(
    f: np.ndarray, q: np.ndarray, y: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares a (per forecaster code) and b (per question code) of y ≈ a[f] + b[q], with mean(b) = 0.

    f, q: integer codes from 0; every code present. Codes of disconnected groups of forecasters and
    questions are identified only up to a shift within each group (the fit keeps b's overall mean at 0).
    """
    f, q, y = np.asarray(f), np.asarray(q), np.asarray(y, dtype=float)
    nf, nq = int(f.max()) + 1 if len(f) else 0, int(q.max()) + 1 if len(q) else 0
    count_f = np.bincount(f, minlength=nf).astype(float)
    count_q = np.bincount(q, minlength=nq).astype(float)
    a, b = np.zeros(nf), np.zeros(nq)
    for _ in range(max_iter):
        a_new = np.bincount(f, weights=y - b[q], minlength=nf) / count_f
        b_new = np.bincount(q, weights=y - a_new[f], minlength=nq) / count_q
        shift = b_new.mean() if nq else 0.0
        a_new, b_new = a_new + shift, b_new - shift
        done = np.max(np.abs(a_new - a), initial=0.0) < tol and np.max(np.abs(b_new - b), initial=0.0) < tol
        a, b = a_new, b_new
        if done:
            break
    return a, b


def adjusted_brier(
    forecaster: np.ndarray, question: np.ndarray, brier: np.ndarray, in_fit: np.ndarray
) -> dict[object, tuple[float, int]]:
    """Per forecaster: (mean over their questions of Brier_fq − b_q, plus mean(b); questions behind it).

    The fit uses the rows with in_fit (the people); everyone, the model and aggregates included, is then
    scored against those question effects, as ForecastBench scores every model. For a forecaster in the
    fit this equals a_f + mean(b). Questions nobody in the fit answered have no effect and are left out.
    """
    forecaster, question, brier = np.asarray(forecaster), np.asarray(question), np.asarray(brier, dtype=float)
    ok = np.isfinite(brier)
    fit_rows = ok & np.asarray(in_fit, dtype=bool)
    if not fit_rows.any():
        return {}
    qnames, qcode = np.unique(question[fit_rows], return_inverse=True)
    fnames, fcode = np.unique(forecaster[fit_rows], return_inverse=True)
    _, b = fit(fcode, qcode, brier[fit_rows])
    qo, fo, bo = question[ok], forecaster[ok], brier[ok]
    pos = np.minimum(np.searchsorted(qnames, qo), len(qnames) - 1)
    has = qnames[pos] == qo  # questions with an effect (answered by someone in the fit)
    names, code = np.unique(fo[has], return_inverse=True)
    residual = bo[has] - b[pos[has]]
    mean_b = float(np.mean(b))  # 0 by construction; kept explicit so the formula reads as the design's
    order = np.argsort(code, kind="stable")  # each forecaster's rows together, in row order (same means as before)
    bounds = np.searchsorted(code[order], np.arange(len(names) + 1))
    grouped = residual[order]
    out = {who: grouped[bounds[i] : bounds[i + 1]] for i, who in enumerate(names.tolist())}
    return {who: (float(np.mean(v)) + mean_b, len(v)) for who, v in out.items()}
