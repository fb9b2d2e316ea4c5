"""Out-of-sample backtest of the pooling methods: every method's crowd series over the resolved questions,
scored as the people are (time-averaged Brier, Brier at close, time-averaged log loss), the difference to the
median with a seeded 95% bootstrap interval over questions, and the method the evidence favours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasts.pooling import methods as m
from forecasts.pooling.learned import Fits, apply, fit
from forecasts.pooling.panel import Panel, pooled

METHODS = ("median", "mean", "trimmed", "geometric", "neyman", "metaculus", "skill", "learned")
LEARNED = ("skill", "learned")
DESCRIPTIONS = {
    "median": "median of the standing probabilities",
    "mean": "mean of the standing probabilities",
    "trimmed": "mean after trimming 10% from each end (FRI aggutils)",
    "geometric": "geometric mean of odds",
    "neyman": "mean log-odds extremized by Neyman's d(n) -> sqrt(3)",
    "metaculus": "Metaculus Community Prediction: recency-weighted median",
    "skill": "skill- and recency-weighted geometric mean of odds, fitted capped extremizing",
    "learned": "skill and recency weights + per-forecaster recalibration + fitted capped extremizing",
}
BOOTSTRAP = 2000
MIN_QUESTIONS = 20  # fewer: a bootstrap over questions cannot show the noise (one question: a zero-width interval)
LOG_CLIP = 1e-3


def method_values(panel: Panel, method: str, fits: Fits | None = None) -> np.ndarray:
    """The method's pooled probability of yes at every event row of the panel."""
    simple = {"median": m.median, "mean": m.mean, "trimmed": m.trimmed_mean, "geometric": m.geometric_mean_of_odds,
              "neyman": m.neyman}  # fmt: skip
    if method in simple:
        return pooled(panel, lambda g: simple[method](g.p))
    if method == "metaculus":
        return pooled(panel, lambda g: m.metaculus_cp(g.p, g.latest))
    if method not in LEARNED:
        raise ValueError(method)
    fits = fits if fits is not None else fit(panel)

    return apply(panel, fits, recalibrate=method == "learned")


def question_scores(panel: Panel, values: np.ndarray) -> dict[str, np.ndarray]:
    """Per question (NaN if unresolved or without forecasts): time-averaged Brier, Brier at close and
    time-averaged log loss -ln p(outcome) (p clamped to [0.001, 0.999]; a probability resolution r takes its
    expectation)."""
    n_q = len(panel.end)
    y = panel.y[panel.row_q]
    v = np.clip(values, 0.0, 1.0)
    dur = panel.duration
    vc = np.clip(v, LOG_CLIP, 1 - LOG_CLIP)
    loss = -(y * np.log(vc) + (1 - y) * np.log1p(-vc))
    span = np.bincount(panel.row_q, dur, n_q)
    with np.errstate(invalid="ignore", divide="ignore"):
        brier = np.bincount(panel.row_q, dur * (v - y) ** 2, n_q) / span
        log = np.bincount(panel.row_q, dur * loss, n_q) / span
    close = np.full(n_q, np.nan)
    has = panel.last_row >= 0
    close[has] = (v[panel.last_row[has]] - panel.y[has]) ** 2
    return {"brier": brier, "brier_close": close, "log_loss": log}


def bootstrap_interval(diffs: np.ndarray, seed: int = 0, n: int = BOOTSTRAP) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile interval of the mean of each column of diffs (questions x methods), resampling questions
    with one seeded set of draws shared by every method."""
    n_q = diffs.shape[0]
    if n_q == 0:
        nan = np.full(diffs.shape[1], np.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    means = np.empty((n, diffs.shape[1]))
    for lo in range(0, n, 100):  # in blocks of 100 resamples: a (100 x questions) count matrix at a time
        k = min(100, n - lo)
        draws = rng.integers(0, n_q, size=(k, n_q))
        flat = (draws + n_q * np.arange(k)[:, None]).ravel()
        counts = np.bincount(flat, minlength=k * n_q).reshape(k, n_q).astype(float)
        means[lo : lo + k] = counts @ diffs / n_q
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0)


def favoured(rows: list[dict[str, Any]]) -> tuple[str, str]:
    """The method with the lowest time-averaged Brier among those whose interval to the median lies wholly
    below zero, given at least MIN_QUESTIONS questions; else the median. Returns (method, why)."""
    if not rows or not rows[0]["n_questions"]:
        return "median", "no resolved question to backtest: the median by default"
    if rows[0]["n_questions"] < MIN_QUESTIONS:
        return "median", (f"{rows[0]['n_questions']} resolved questions, fewer than the {MIN_QUESTIONS} a bootstrap "
                          "interval needs: the median by default")  # fmt: skip
    better = [r for r in rows if r["method"] != "median" and r["diff_hi"] is not None and r["diff_hi"] < 0]
    if not better:
        return "median", "no method beats the median with a 95% interval excluding zero"
    best = min(better, key=lambda r: r["brier"])
    return best["method"], (
        f"{best['method']} beats the median by {-best['diff']:.4f} Brier, 95% interval "
        f"[{best['diff_lo']:.4f}, {best['diff_hi']:.4f}] excludes zero ({best['n_questions']} questions)"
    )


def run(panel: Panel, methods: tuple[str, ...] = METHODS, seed: int = 0, min_forecasters: int = 1,
        since: float = -np.inf) -> dict[str, Any]:  # fmt: skip
    """Backtest the methods on the panel's resolved questions (with >= min_forecasters people, known since)."""
    fits = fit(panel, min_crowd=min_forecasters) if any(x in LEARNED for x in methods) else None
    scored = (~np.isnan(panel.y)) & (panel.last_row >= 0) & (panel.n_people >= min_forecasters)
    scored &= panel.known >= since
    per = {meth: question_scores(panel, method_values(panel, meth, fits)) for meth in methods}
    base = per["median"] if "median" in per else question_scores(panel, method_values(panel, "median"))
    qs = np.flatnonzero(scored)
    cols = [per[meth][key][qs] - base[key][qs] for key in ("brier", "brier_close") for meth in methods]
    both = np.column_stack(cols) if len(qs) else np.zeros((0, 2 * len(methods)))
    lo_all, hi_all = bootstrap_interval(both, seed)  # one set of resamples for both scores
    k = len(methods)
    diffs, lo, hi = both[:, :k], lo_all[:k], hi_all[:k]
    close_diffs, close_lo, close_hi = both[:, k:], lo_all[k:], hi_all[k:]
    rows = []
    for j, meth in enumerate(methods):
        s = per[meth]
        empty = len(qs) == 0
        rows.append({
            "method": meth, "description": DESCRIPTIONS[meth], "n_questions": int(len(qs)),
            "brier": None if empty else float(np.mean(s["brier"][qs])),
            "brier_close": None if empty else float(np.mean(s["brier_close"][qs])),
            "log_loss": None if empty else float(np.mean(s["log_loss"][qs])),
            "diff": None if empty else float(np.mean(diffs[:, j])),
            "diff_lo": None if empty else float(lo[j]), "diff_hi": None if empty else float(hi[j]),
            "diff_close": None if empty else float(np.mean(close_diffs[:, j])),
            "diff_close_lo": None if empty else float(close_lo[j]),
            "diff_close_hi": None if empty else float(close_hi[j]),
        })  # fmt: skip
    choice, why = favoured(rows)
    out: dict[str, Any] = {"n_questions": int(len(qs)), "seed": seed, "bootstrap": BOOTSTRAP, "methods": rows,
                           "favoured": choice, "why": why}  # fmt: skip
    if fits is not None:
        out["checkpoints"] = int(len(fits.times) - 1)
        out["last_fit"] = {"trained_on": int(fits.trained_on[-1]), "temperature": float(fits.temperature[-1]),
                           "d_skill": float(fits.d_skill[-1]), "d_learned": float(fits.d_learned[-1])}  # fmt: skip
    return out
