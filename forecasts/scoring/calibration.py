"""Calibration tables and the Murphy decomposition of the Brier score (pure numpy), plus a small SVG plot.

Forecasts are binned by integer percent (round(100·p), no float edges), unfolded over 0–100%; each
bin reports its count, mean forecast, observed frequency and a Wilson 95% interval. Murphy:
Brier of the bin-mean forecasts = reliability − resolution + uncertainty, exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from forecasts.errors import ForecastsError

Z95 = 1.959963984540054
DEFAULT_WIDTH = 10


def percent_bins(p: np.ndarray, width: int = DEFAULT_WIDTH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin index of each probability by integer percent; returns (bin, bin_lo_pct, bin_hi_pct) per bin index."""
    if not (isinstance(width, int) and 1 <= width <= 50):
        raise ForecastsError(f"width: {width!r} must be a whole number of percent from 1 to 50")
    pct = np.rint(np.asarray(p, dtype=float) * 100.0).astype(np.int64)
    nbins = (100 + width - 1) // width if 100 % width else 100 // width
    nbins = max(nbins, 1)
    b = np.minimum(pct // width, nbins - 1)
    lo = np.arange(nbins) * width
    hi = np.minimum(lo + width - 1, 100)
    hi[-1] = 100
    return b, lo, hi


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (NaN where n = 0)."""
    s, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = s / n
        denom = 1.0 + z * z / n
        centre = (phat + z * z / (2 * n)) / denom
        half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    lo = np.where(s == 0, 0.0, np.clip(centre - half, 0.0, 1.0))  # exact ends where all fail / all succeed
    hi = np.where(s == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def calibration_table(p: np.ndarray, o: np.ndarray, width: int = DEFAULT_WIDTH) -> list[dict[str, Any]]:
    """One row per non-empty percent bin: range, count, mean forecast, observed frequency, Wilson 95% interval."""
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    b, lo, hi = percent_bins(p, width)
    nb = len(lo)
    n = np.bincount(b, minlength=nb)
    hits = np.bincount(b, weights=o, minlength=nb)
    sump = np.bincount(b, weights=p, minlength=nb)
    ci_lo, ci_hi = wilson_interval(hits, n)
    rows = []
    for i in np.flatnonzero(n).tolist():
        rows.append(
            {
                "bin": f"{lo[i]}–{hi[i]}%",
                "bin_lo_pct": int(lo[i]),
                "bin_hi_pct": int(hi[i]),
                "n": int(n[i]),
                "yes": int(round(hits[i])),
                "mean_forecast": float(sump[i] / n[i]),
                "observed": float(hits[i] / n[i]),
                "ci95_low": float(ci_lo[i]),
                "ci95_high": float(ci_hi[i]),
            }
        )
    return rows


def murphy(p: np.ndarray, o: np.ndarray, width: int = DEFAULT_WIDTH) -> dict[str, float]:
    """Brier, and its Murphy decomposition over percent bins: brier_binned = reliability − resolution + uncertainty."""
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    total = len(p)
    if total == 0:
        nan = float("nan")
        keys = ("brier", "brier_binned", "reliability", "resolution", "uncertainty", "base_rate")
        return {"n": 0} | dict.fromkeys(keys, nan)
    b, lo, _ = percent_bins(p, width)
    nb = len(lo)
    n = np.bincount(b, minlength=nb).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        fbar = np.bincount(b, weights=p, minlength=nb) / n
        obar = np.bincount(b, weights=o, minlength=nb) / n
    used = n > 0
    base = float(o.mean())
    rel = float((n[used] * (fbar[used] - obar[used]) ** 2).sum() / total)
    res = float((n[used] * (obar[used] - base) ** 2).sum() / total)
    unc = base * (1.0 - base)
    return {
        "n": total,
        "brier": float(((p - o) ** 2).mean()),
        "brier_binned": float(((fbar[b] - o) ** 2).mean()),
        "reliability": rel,
        "resolution": res,
        "uncertainty": unc,
        "base_rate": base,
    }


# --- plots ---------------------------------------------------------------------------------------


def write_plot(rows: list[dict[str, Any]], path: Path, title: str = "Calibration") -> Path:
    """Write the reliability diagram: .svg by our own code, .png through matplotlib (imported here)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ForecastsError(f"plot: {path.name!r} must end in .svg or .png")
    if path.parent and not path.parent.exists():
        raise ForecastsError(f"plot: directory {path.parent} does not exist")
    if suffix == ".svg":
        from forecasts.report.plots import calibration_svg

        points = [(r["mean_forecast"], r["observed"], r["n"], r["ci95_low"], r["ci95_high"]) for r in rows]
        svg = calibration_svg(title, [(title, points)])
        if not points:  # an empty diagram says why rather than showing bare axes
            svg = svg.replace("</svg>", '<text x="50%" y="50%" text-anchor="middle" font-size="13" fill="#475569">'
                              "No resolved forecasts yet: nothing to plot</text></svg>", 1)  # fmt: skip
        path.write_text(svg + "\n", encoding="utf-8")
        return path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([0, 1], [0, 1], ls="--", color="#bbb")
    if rows:
        x = np.array([r["mean_forecast"] for r in rows])
        y = np.array([r["observed"] for r in rows])
        err = np.array([[r["observed"] - r["ci95_low"] for r in rows], [r["ci95_high"] - r["observed"] for r in rows]])
        ax.errorbar(x, y, yerr=err, fmt="o", color="#1f77b4")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="forecast probability (bin mean)", ylabel="observed frequency (95% CI)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
