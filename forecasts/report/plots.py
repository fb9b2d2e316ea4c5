"""Small hand-written SVG plots (no matplotlib): byte-deterministic, self-contained, readable in print.

Every number is written with a fixed format and every label is HTML-escaped, so the same data always
gives the same bytes and user text can never become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape

PALETTE = ("#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#475569")
UP, DOWN, FLAT = "#15803d", "#b91c1c", "#64748b"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
MARKER_GRID = 3.0  # px: evidence markers closer than this merge


def _f(x: float) -> str:
    """Fixed one-decimal coordinates ('-0.0' normalised) so output bytes never depend on float noise."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _time_ticks(start: float, end: float, max_ticks: int = 6) -> list[tuple[float, str]]:
    """Calendar-aligned ticks (days, weeks, months or years) between two epoch times, at most max_ticks."""
    span_days = max((end - start) / 86400.0, 1e-9)
    t0 = datetime.fromtimestamp(start, UTC)
    for days in (1, 2, 7, 14):
        if span_days / days <= max_ticks:
            first = datetime(t0.year, t0.month, t0.day, tzinfo=UTC)
            if days >= 7:
                first -= timedelta(days=first.weekday())
            ticks, t = [], first
            while t.timestamp() <= end:
                if t.timestamp() >= start:
                    ticks.append((t.timestamp(), t.strftime("%Y-%m-%d" if days < 7 else "%d %b %Y")))
                t += timedelta(days=days)
            return ticks
    for months in (1, 2, 3, 6, 12, 24, 60):
        if span_days / (30.44 * months) <= max_ticks:
            ticks, y, m = [], t0.year, ((t0.month - 1) // months) * months + 1 if months < 12 else 1
            while True:
                t = datetime(y, m, 1, tzinfo=UTC)
                if t.timestamp() > end:
                    break
                if t.timestamp() >= start and (months < 12 or y % (months // 12) == 0):
                    ticks.append((t.timestamp(), t.strftime("%b %Y") if months < 12 else str(y)))
                m += months if months < 12 else 12
                while m > 12:
                    m -= 12
                    y += 1
            return ticks
    return []


class _Frame:
    """Maps data coordinates (x in data units, y in [0, 1]) to the plot area of a fixed-size SVG."""

    def __init__(
        self, x0: float, x1: float, width: int = WIDTH, height: int = HEIGHT, y_max: float = 1.0, font: int = 11
    ) -> None:
        self.x0, self.x1 = x0, (x1 if x1 > x0 else x0 + 1.0)
        self.width, self.height, self.y_max, self.font = width, height, y_max, font

    def x(self, v: float) -> float:
        return LEFT + (v - self.x0) / (self.x1 - self.x0) * (self.width - LEFT - RIGHT)

    def y(self, p: float) -> float:
        return TOP + (1.0 - min(max(p / self.y_max, 0.0), 1.0)) * (self.height - TOP - BOTTOM)


def _open(label: str, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" class="plot">',
        f"<title>{escape(label)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _y_axis(fr: _Frame, x_left: float, x_right: float) -> list[str]:
    out = []
    for p in y_ticks(fr.y_max):
        y = _f(fr.y(p))
        out.append(f'<line x1="{_f(x_left)}" y1="{y}" x2="{_f(x_right)}" y2="{y}" stroke="#e2e8f0" stroke-width="1"/>')
        out.append(
            f'<text x="{_f(x_left - 4)}" y="{_f(fr.y(p) + 4)}" font-size="{fr.font}" text-anchor="end" '
            f'fill="#475569">{_pct_tick(p)}</text>'
        )
    return out


def trajectory_svg(
    label: str,
    times: Sequence[float],
    series: Sequence[tuple[str, Sequence[float], Sequence[float] | None, Sequence[float] | None]],
    markers: Sequence[tuple[float, float, int]] = (),
    y_max: float = 1.0,
) -> str:
    """Probability over time: one line per series (name, values, band lo, band hi) with a shaded band,
    and evidence markers (time, probability, direction +1/−1/0). Times are epoch seconds; the axis runs to y_max."""
    fr = _Frame(float(times[0]), float(times[-1]), y_max=y_max, font=14)
    out = _open(label)
    out += _y_axis(fr, LEFT, WIDTH - RIGHT)
    for tx, text in _time_ticks(fr.x0, fr.x1):
        x = _f(fr.x(tx))
        out.append(f'<line x1="{x}" y1="{_f(TOP)}" x2="{x}" y2="{_f(HEIGHT - BOTTOM)}" stroke="#f1f5f9"/>')
        out.append(
            f'<text x="{x}" y="{_f(HEIGHT - BOTTOM + 18)}" font-size="{fr.font}" text-anchor="middle" '
            f'fill="#475569">{escape(text)}</text>'
        )
    for i, (_name, _values, lo, hi) in enumerate(series):
        if lo is None or hi is None:
            continue
        upper = " ".join(f"{_f(fr.x(t))},{_f(fr.y(v))}" for t, v in zip(times, hi, strict=True))
        lower = " ".join(f"{_f(fr.x(t))},{_f(fr.y(v))}" for t, v in zip(reversed(times), reversed(lo), strict=True))
        out.append(f'<polygon points="{upper} {lower}" fill="{color(i)}" fill-opacity="0.15" stroke="none"/>')
    for i, (_name, values, _lo, _hi) in enumerate(series):
        pts = " ".join(f"{_f(fr.x(t))},{_f(fr.y(v))}" for t, v in zip(times, values, strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color(i)}" stroke-width="2"/>')
    seen: set[tuple[int, int]] = set()
    out.append('<g stroke="#ffffff" stroke-width="1">')
    for t, p, direction in markers:
        key = (round(fr.x(t) / MARKER_GRID), direction)
        if key in seen:  # items within a few pixels of time draw as one marker per direction
            continue
        seen.add(key)
        fill = UP if direction > 0 else DOWN if direction < 0 else FLAT
        out.append(f'<circle cx="{_f(key[0] * MARKER_GRID)}" cy="{_f(fr.y(p))}" r="3.5" fill="{fill}"/>')
    out.append("</g>")
    if len(series) > 1:
        for i, (name, *_rest) in enumerate(series):
            x = LEFT + 8 + 150 * (i % 4)
            y = TOP + 14 + 18 * (i // 4)
            out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color(i)}"/>')
            out.append(f'<text x="{x + 16}" y="{y + 1}" font-size="{fr.font}" fill="#1e293b">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def calibration_svg(label: str, series: Sequence[tuple[str, Sequence[tuple[float, ...]]]]) -> str:
    """Calibration: observed frequency against forecast probability per bin, one colour per forecaster,
    marker area growing with the bin's count; the diagonal is perfect calibration. A point is
    (mean forecast, observed, n) or (mean forecast, observed, n, interval low, interval high): a whisker."""
    size = 320
    fr = _Frame(0.0, 1.0, width=size + LEFT, height=size)
    out = _open(label, size + LEFT, size)
    out += _y_axis(fr, LEFT, size + LEFT - RIGHT)
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<text x="{_f(fr.x(p))}" y="{_f(size - BOTTOM + 16)}" font-size="11" text-anchor="middle" '
            f'fill="#475569">{int(p * 100)}%</text>'
        )
    out.append(
        f'<line x1="{_f(fr.x(0))}" y1="{_f(fr.y(0))}" x2="{_f(fr.x(1))}" y2="{_f(fr.y(1))}" '
        'stroke="#94a3b8" stroke-dasharray="4 3"/>'
    )
    for i, (name, points) in enumerate(series):
        pts = sorted(points)
        if len(pts) > 1:
            line = " ".join(f"{_f(fr.x(x))},{_f(fr.y(y))}" for x, y, *_rest in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{color(i)}" stroke-width="1.5"/>')
        for x, y, n, *interval in pts:
            if interval:
                lo, hi = interval
                out.append(
                    f'<line x1="{_f(fr.x(x))}" y1="{_f(fr.y(lo))}" x2="{_f(fr.x(x))}" y2="{_f(fr.y(hi))}" '
                    f'stroke="{color(i)}" stroke-width="1"/>'
                )
            r = min(2.5 + 1.2 * max(n, 1) ** 0.5, 9.0)
            out.append(
                f'<circle cx="{_f(fr.x(x))}" cy="{_f(fr.y(y))}" r="{_f(r)}" fill="{color(i)}" fill-opacity="0.7"/>'
            )
        ly = TOP + 12 + 14 * i
        out.append(f'<rect x="{LEFT + 8}" y="{ly - 8}" width="10" height="10" fill="{color(i)}"/>')
        out.append(f'<text x="{LEFT + 22}" y="{ly + 1}" font-size="11" fill="#1e293b">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


HIST_W, HIST_H = 480, 250
HL, HR, HT, HB = 46, 12, 10, 30
HFONT = 14
MODEL_COLOR, CROWD_COLOR, MANY_COLOR = "#1f5fa8", "#0f172a", "#94a3b8"
PEOPLE_COLORS = PALETTE[1:]


def person_color(i: int, n: int) -> str:
    """A person's line colour: distinct colours for a few people, one grey for a crowd of them."""
    return PEOPLE_COLORS[i % len(PEOPLE_COLORS)] if n <= len(PEOPLE_COLORS) else MANY_COLOR


TICKS = {0.02: 4, 0.05: 5, 0.1: 4, 0.2: 4, 0.3: 3, 0.5: 5, 0.75: 3, 1.0: 4}  # round steps for each axis top


def y_ticks(y_max: float) -> list[float]:
    """Round tick values from 0 to y_max (0.5-point, 1-point, 2.5-point ... steps)."""
    n = TICKS.get(round(y_max, 4), 4)
    return [y_max * k / n for k in range(n + 1)]


def _pct_tick(p: float) -> str:
    text = f"{100 * p:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _steps(fr: _HistFrame, steps: Sequence[Sequence[float]], end: float) -> str:
    pts: list[str] = []
    for i, (t, p) in enumerate(steps):
        if i:
            pts.append(f"{_f(fr.x(t))},{_f(fr.y(steps[i - 1][1]))}")
        pts.append(f"{_f(fr.x(t))},{_f(fr.y(p))}")
    pts.append(f"{_f(fr.x(end))},{_f(fr.y(steps[-1][1]))}")
    return " ".join(pts)


class _HistFrame:
    """Data (epoch seconds, probability in [0, y_max]) to the plot area of the history chart."""

    def __init__(self, x0: float, x1: float, y_max: float) -> None:
        self.x0, self.x1, self.y_max = x0, (x1 if x1 > x0 else x0 + 1.0), y_max

    def x(self, v: float) -> float:
        return HL + (v - self.x0) / (self.x1 - self.x0) * (HIST_W - HL - HR)

    def y(self, p: float) -> float:
        return HT + (1.0 - min(max(p / self.y_max, 0.0), 1.0)) * (HIST_H - HT - HB)


def history_svg(label: str, chart: dict) -> str:
    """The model (line), the crowd (dashed steps) and each person's standing forecast (steps) over the chart's
    window, y-axis scaled to the data, the resolution marked. People's lines carry class="person" and their name."""
    fr = _HistFrame(float(chart["start"]), float(chart["end"]), float(chart["y_max"]))
    out = _open(label, HIST_W, HIST_H)
    for p in y_ticks(fr.y_max):
        y = _f(fr.y(p))
        out.append(f'<line x1="{HL}" y1="{y}" x2="{HIST_W - HR}" y2="{y}" stroke="#e2e8f0" stroke-width="1"/>')
        out.append(f'<text x="{HL - 4}" y="{_f(fr.y(p) + 5)}" font-size="{HFONT}" text-anchor="end" '
                   f'fill="#475569">{_pct_tick(p)}</text>')  # fmt: skip
    for tx, text in _time_ticks(fr.x0, fr.x1, max_ticks=4):
        x = _f(fr.x(tx))
        out.append(f'<line x1="{x}" y1="{HT}" x2="{x}" y2="{HIST_H - HB}" stroke="#f1f5f9"/>')
        out.append(f'<text x="{x}" y="{HIST_H - HB + 18}" font-size="{HFONT}" text-anchor="middle" '
                   f'fill="#475569">{escape(text)}</text>')  # fmt: skip
    people = chart["people"]
    for i, person in enumerate(people):
        name = escape(person["name"])
        out.append(
            f'<polyline class="person" data-forecaster="{name}" points="{_steps(fr, person["steps"], fr.x1)}" '
            f'fill="none" stroke="{person_color(i, len(people))}" stroke-width="1.6"><title>{name}</title></polyline>'
        )
    if chart["crowd"]:
        out.append(
            f'<polyline class="crowd" points="{_steps(fr, chart["crowd"], fr.x1)}" fill="none" '
            f'stroke="{CROWD_COLOR}" stroke-width="2.4" stroke-dasharray="7 4"><title>crowd (median)</title></polyline>'
        )
    model = chart["model"]
    pts = " ".join(f"{_f(fr.x(t))},{_f(fr.y(v))}" for t, v in zip(model["times"], model["values"], strict=True))
    out.append(f'<polyline class="model" points="{pts}" fill="none" stroke="{MODEL_COLOR}" stroke-width="2.6">'
               "<title>model (fast path)</title></polyline>")  # fmt: skip
    res = chart.get("resolution")
    if res is not None:
        x = _f(fr.x(res["at"]))
        out.append(f'<line class="resolution" x1="{x}" y1="{HT}" x2="{x}" y2="{HIST_H - HB}" stroke="#0f172a" '
                   'stroke-width="1.5" stroke-dasharray="2 3"/>')  # fmt: skip
        if res["value"] is not None:
            y = fr.y(res["value"])
            out.append(f'<path d="M{x},{_f(y - 7)} l7,7 l-7,7 l-7,-7 z" fill="#0f172a"/>')
        anchor = "end" if fr.x(res["at"]) > HIST_W / 2 else "start"
        dx = -5 if anchor == "end" else 5
        out.append(f'<text x="{_f(fr.x(res["at"]) + dx)}" y="{HT + 14}" font-size="{HFONT}" text-anchor="{anchor}" '
                   f'fill="#0f172a">resolved {escape(str(res["outcome"]))}</text>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out)


POOL_W, POOL_ROW, POOL_LEFT, POOL_TOP, POOL_BOTTOM = 560, 24, 110, 10, 36
POOL_BEST = "#15803d"


def pooling_svg(label: str, rows: Sequence[tuple[str, float, float, float]], favoured: str = "") -> str:
    """Each crowd pool's mean difference to the median (Brier, lower is better) as a dot with its 95% interval
    as a bar, one row per method, a line at zero; the favoured method in green. Rows: (name, diff, lo, hi).
    The axis is symmetric about zero and scaled to the widest interval."""
    height = POOL_TOP + POOL_ROW * max(len(rows), 1) + POOL_BOTTOM
    reach = max([abs(v) for _n, *vals in rows for v in vals] + [1e-4])
    fr = _Frame(-reach * 1.05, reach * 1.05, width=POOL_W, height=height)

    def x(v: float) -> float:
        return POOL_LEFT + (v - fr.x0) / (fr.x1 - fr.x0) * (POOL_W - POOL_LEFT - RIGHT)

    out = _open(label, POOL_W, height)
    bottom = height - POOL_BOTTOM
    out.append(f'<line x1="{_f(x(0))}" y1="{POOL_TOP}" x2="{_f(x(0))}" y2="{bottom}" stroke="#94a3b8" '
               'stroke-dasharray="4 3"/>')  # fmt: skip
    for v in (-reach, -reach / 2, 0.0, reach / 2, reach):
        out.append(f'<text x="{_f(x(v))}" y="{bottom + 16}" font-size="11" text-anchor="middle" '
                   f'fill="#475569">{v:+.4f}</text>')  # fmt: skip
    out.append(f'<text x="{_f(x(0))}" y="{bottom + 31}" font-size="11" text-anchor="middle" fill="#475569">'
               "Brier difference to the median (below zero: better than the median)</text>")  # fmt: skip
    for i, (name, diff, lo, hi) in enumerate(rows):
        y = POOL_TOP + POOL_ROW * i + POOL_ROW / 2
        ink = POOL_BEST if name == favoured else "#1e293b"
        out.append(f'<text x="{POOL_LEFT - 8}" y="{_f(y + 4)}" font-size="12" text-anchor="end" '
                   f'fill="{ink}">{escape(name)}</text>')  # fmt: skip
        out.append(f'<line x1="{_f(x(lo))}" y1="{_f(y)}" x2="{_f(x(hi))}" y2="{_f(y)}" stroke="{ink}" '
                   'stroke-width="2"/>')  # fmt: skip
        out.append(f'<circle cx="{_f(x(diff))}" cy="{_f(y)}" r="4" fill="{ink}"/>')
    out.append("</svg>")
    return "\n".join(out)
