"""Metaculus's continuous forecast: a CDF at 201 evenly spaced locations of the (possibly log) axis.

Built from a percentile table as Metaculus's front end builds it (front_end/src/utils/forecasts/dataset.ts,
generateQuantileContinuousCdf and hydrateQuantiles: piecewise linear in the unscaled location, each typed
point off the 201-point grid replaced by the two grid points on a line of the mean neighbouring slope) and
checked with the back end's rules (questions/serializers/common.py, continuous_cdf validation). Pure Python:
the interactive `forecast` command builds it without numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from forecasts.errors import ForecastsError
from forecasts.numeric.scale import INBOUND_OUTCOME_COUNT, Scale

MIN_STEP = round(0.01 / INBOUND_OUTCOME_COUNT, 9)  # 5e-05: each step of the CDF rises at least this much
MAX_STEP = 0.2  # ... and at most this much (0.2 * 200 / inbound outcome count)
OPEN_BOUND_MIN_MASS = 0.001  # an open bound keeps at least 0.1% outside it
EVAL_LOCS = [i / INBOUND_OUTCOME_COUNT for i in range(INBOUND_OUTCOME_COUNT + 1)]


def _hydrate(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(location, percent) points -> points on the grid only (Metaculus's hydrateQuantiles)."""
    grid = set(EVAL_LOCS)
    out: list[tuple[float, float]] = []
    for i, (x1, y1) in enumerate(points):
        if x1 in grid:
            out.append((x1, y1))
            continue
        if i == 0 or i == len(points) - 1:
            continue
        (x0, y0), (x2, y2) = points[i - 1], points[i + 1]
        m1 = ((y1 - y0) / (x1 - x0) + (y2 - y1) / (x2 - x1)) / 2
        b1 = y1 - m1 * x1
        xe0 = next((x for x in reversed(EVAL_LOCS) if x < x1), 0.0)
        xe1 = next((x for x in EVAL_LOCS if x > x1), 0.0)
        out += [(xe0, m1 * xe0 + b1), (xe1, m1 * xe1 + b1)]
    return out


def cdf_from_percentiles(
    scale: Scale, percentiles: dict[float, float], below: float | None = None, above: float | None = None
) -> list[float]:
    """The 201-point CDF from {percent: value} (values on the question's scale) and, for open bounds, the percent
    of mass below range_min / above range_max (omitted: extrapolated from the two nearest percentiles).

    Raises ForecastsError naming the rule a table breaks (fewer than two percentiles, not increasing, a value
    outside the range, a bound's mass on a closed bound, or a resulting CDF that breaks Metaculus's rules)."""
    if len(percentiles) < 2:
        raise ForecastsError("percentiles: give at least two, e.g. --p10 18 --p90 21")
    for pct in percentiles:
        if not 0 < pct < 100:
            raise ForecastsError(f"percentiles: p{pct:g} must be between p1 and p99")
    order = sorted(percentiles)
    locs = [scale.unscale(percentiles[p]) for p in order]
    for (p, u), (p2, u2) in zip(zip(order, locs, strict=True), zip(order[1:], locs[1:], strict=True), strict=False):
        if not u2 > u:
            raise ForecastsError(
                f"percentiles: must increase with the percentile; p{p2:g} = {scale.show(percentiles[p2])} is not "
                f"above p{p:g} = {scale.show(percentiles[p])}"
            )
    for p, u in zip(order, locs, strict=True):
        if not 0 < u < 1:
            is_open, flag, side = (
                (scale.open_lower_bound, "--below", "lower") if u <= 0 else (scale.open_upper_bound, "--above", "upper")
            )
            hint = (
                f"give the mass beyond the open {side} bound with {flag}" if is_open else f"the {side} bound is closed"
            )
            raise ForecastsError(
                f"p{p:g}: {scale.show(percentiles[p])} is not inside the range ({scale.show(scale.range_min)}, "
                f"{scale.show(scale.range_max)}); {hint}"
            )
    below = _outside(scale.open_lower_bound, below, "below", "lower", order, locs, 0)
    above = _outside(scale.open_upper_bound, above, "above", "upper", order, locs, 1)
    if not below < order[0]:  # the field named is the one at fault (--above 30 with p90 was blamed on below)
        raise ForecastsError(f"below: the mass below the range ({below:g}%) must be under p{order[0]:g}")
    if not 100 - above > order[-1]:
        raise ForecastsError(
            f"above: the mass above the range ({above:g}%) must be under {100 - order[-1]:g}% (p{order[-1]:g} lies "
            "inside the range)"
        )
    points = sorted([(u, p) for p, u in zip(order, locs, strict=True)] + [(0.0, below), (1.0, 100 - above)])
    hydrated = _hydrate(points)
    cdf: list[float] = []
    for loc in EVAL_LOCS:
        cdf.append(_interpolate(hydrated, loc) / 100)
    cdf = [round(x, 10) for x in cdf]
    check_cdf(cdf, scale)
    return cdf


def _outside(
    is_open: bool, given: float | None, name: str, side: str, order: list[float], locs: list[float], end: int
) -> float:
    """Percent of mass beyond one end: 0 for a closed bound; given, or extrapolated, for an open one."""
    if not is_open:
        if given:
            raise ForecastsError(f"{name}: the {side} bound is closed: no mass can lie {name} it")
        return 0.0
    if given is not None:
        if not (math.isfinite(given) and OPEN_BOUND_MIN_MASS * 100 <= given < 100):
            raise ForecastsError(
                f"{name}: {given!r} must be a percent from 0.1 to under 100 (the {side} bound is open)"
            )
        return float(given)
    # not given: the line through the two percentiles nearest this end, continued to it
    i, j = (0, 1) if end == 0 else (-2, -1)
    (u0, p0), (u1, p1) = (locs[i], order[i]), (locs[j], order[j])
    at_end = p0 + (p1 - p0) * (end - u0) / (u1 - u0)
    mass = at_end if end == 0 else 100 - at_end
    return max(OPEN_BOUND_MIN_MASS * 100, round(mass, 6))


def _interpolate(points: list[tuple[float, float]], loc: float) -> float:
    """The piecewise-linear percent at a location (Metaculus's getCdfAt over the hydrated points)."""
    prev = points[0]
    for cur in points[1:]:
        if prev[0] <= loc <= cur[0]:
            if cur[0] == prev[0]:
                raise ForecastsError("percentiles: two percentiles are too close together for a 201-point CDF")
            return prev[1] + (cur[1] - prev[1]) * (loc - prev[0]) / (cur[0] - prev[0])
        prev = cur
    raise ForecastsError("percentiles: the table does not cover the whole range")


def check_cdf(cdf: Sequence[float], scale: Scale, fld: str = "cdf") -> None:
    """Metaculus's rules for a stored CDF, as its back end checks them (values rounded to 10 decimals, steps
    to 9): 201 values; each step rises at least 5e-05 and at most 0.2; a closed bound's end is exactly 0 or 1;
    an open one keeps at least 0.001 outside it."""
    if len(cdf) != INBOUND_OUTCOME_COUNT + 1:
        raise ForecastsError(f"{fld}: must have {INBOUND_OUTCOME_COUNT + 1} values, not {len(cdf)}")
    for x in cdf:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise ForecastsError(f"{fld}: {x!r} is not a finite number")
    c = [round(float(x), 10) for x in cdf]
    for i in range(len(c) - 1):
        step = round(c[i + 1] - c[i], 9)
        if step < MIN_STEP:
            raise ForecastsError(
                f"{fld}: must rise by at least {MIN_STEP:g} at every step (Metaculus's rule); step {i + 1} rises "
                f"{step:.3g}: spread the percentiles or put more mass in the tails"
            )
        if step > MAX_STEP:
            raise ForecastsError(
                f"{fld}: must rise by at most {MAX_STEP:g} at every step (Metaculus's rule); step {i + 1} rises "
                f"{step:.3g}: the percentiles are too close together"
            )
    if scale.open_lower_bound and not c[0] >= OPEN_BOUND_MIN_MASS:
        raise ForecastsError(f"{fld}: the lower bound is open: at least {OPEN_BOUND_MIN_MASS:g} must lie below it")
    if not scale.open_lower_bound and c[0] != 0.0:
        raise ForecastsError(f"{fld}: the lower bound is closed: the CDF must start at exactly 0")
    if scale.open_upper_bound and not c[-1] <= 1 - OPEN_BOUND_MIN_MASS:
        raise ForecastsError(f"{fld}: the upper bound is open: at least {OPEN_BOUND_MIN_MASS:g} must lie above it")
    if not scale.open_upper_bound and c[-1] != 1.0:
        raise ForecastsError(f"{fld}: the upper bound is closed: the CDF must end at exactly 1")


def pmf(cdf: Sequence[float]) -> list[float]:
    """Mass below the range, in each of the 200 buckets, above the range (202 values; Metaculus's get_pmf)."""
    return [cdf[0], *(cdf[i + 1] - cdf[i] for i in range(len(cdf) - 1)), 1 - cdf[-1]]


def ppf(cdf: Sequence[float], percent: float) -> float:
    """The unscaled location where the CDF crosses `percent` (Metaculus's percent_point_function): 0 below the
    range's mass, 1 past it."""
    if percent < cdf[0] * 100:
        return 0.0
    if percent >= cdf[-1] * 100:
        return 1.0
    n = len(cdf)
    for i in range(n - 1):
        left = cdf[i] * 100
        if left == percent:
            return i / (n - 1)
        right = cdf[i + 1] * 100
        if left < percent < right:
            return (i + (percent - left) / (right - left)) / (n - 1)
    return 1.0


def quantile(cdf: Sequence[float], scale: Scale, percent: float) -> float:
    """The value on the question's scale at a percentile of the forecast."""
    return scale.scale(ppf(cdf, percent))


def cdf_at(cdf: Sequence[float], scale: Scale, x: float) -> float:
    """The forecast's probability of an outcome at or below x (linear between grid points; front end getCdfAt)."""
    u = scale.unscale(x)
    if u <= 0:
        return cdf[0]
    if u >= 1:
        return cdf[-1]
    f = u * (len(cdf) - 1)
    lo = math.floor(f)
    w = f - lo
    return cdf[lo] * (1 - w) + cdf[min(lo + 1, len(cdf) - 1)] * w


def summary(cdf: Sequence[float], scale: Scale) -> dict[str, float]:
    """Median and 10-90% interval on the question's scale (dates as Unix seconds)."""
    return {"p10": quantile(cdf, scale, 10), "median": quantile(cdf, scale, 50), "p90": quantile(cdf, scale, 90)}


def standardize_cdf(cdf: Sequence[float], scale: Scale) -> list[float]:
    """Make any increasing CDF a valid Metaculus CDF as its front end does for slider forecasts
    (front_end/src/utils/forecasts/dataset.ts, standardizeCdf): mix 1% of uniform in (keeping 0.1% beyond each
    open bound), cap each step at 0.2 by rescaling the inner mass, round to 10 decimals."""
    lo_open, hi_open = scale.open_lower_bound, scale.open_upper_bound
    n = len(cdf) - 1
    if lo_open and hi_open:
        a, b, c = 0.988, 0.01, 0.001
    elif lo_open:
        a, b, c = 0.989, 0.01, 0.001
    elif hi_open:
        a, b, c = 0.989, 0.01, 0.0
    else:
        a, b, c = 0.99, 0.01, 0.0
    f = [a * x + b * (i / n) + c for i, x in enumerate(cdf)]
    mass = [f[0], *(f[i] - f[i - 1] for i in range(1, len(f))), 1 - f[-1]]
    cap = MAX_STEP * (1 - 1e-6)  # the front end caps at 0.2 exactly; its rescaling can then overshoot the check

    def capped(k: float) -> list[float]:
        return [v if i in (0, len(mass) - 1) else min(cap, k * v) for i, v in enumerate(mass)]

    lo = hi = k = 1.0
    while sum(capped(hi)) < 1:
        hi *= 1.2
    for _ in range(100):
        k = 0.5 * (lo + hi)
        s = sum(capped(k))
        if s < 1:
            lo = k
        else:
            hi = k
        if s == 1 or hi - lo < 2e-5:
            break
    mass = capped(k)
    inner = sum(mass[1:-1])
    factor = (f[-1] - f[0]) / inner
    mass = [v if i in (0, len(mass) - 1) else v * factor for i, v in enumerate(mass)]
    # k is found only to 2e-5, so the rescale can lift a capped step a hair over the cap (a model's narrow CDF
    # was then refused by check_cdf and blocked the evidence that made it): move the excess into the room left
    # below the cap by the other steps, in proportion, which keeps every step within both rules
    over = sum(v - cap for v in mass[1:-1] if v > cap)
    if over > 0:
        room = [cap - v if 0 < i < len(mass) - 1 and v < cap else 0.0 for i, v in enumerate(mass)]
        spare = sum(room)
        mass = [cap if 0 < i < len(mass) - 1 and v >= cap else v + over * r / spare
                for i, (v, r) in enumerate(zip(mass, room, strict=True))]  # fmt: skip
    out, total = [], 0.0
    for v in mass[:-1]:
        total += v
        out.append(round(total, 10))
    return out


def cdf_from_distribution(cdf_at_values: Sequence[float], scale: Scale) -> list[float]:
    """A model's CDF evaluated at the 201 grid values -> a valid Metaculus CDF: a closed bound's mass beyond it is
    cut off and the rest rescaled (front end cdfFromSliders), then standardize_cdf."""
    lower = 0.0 if scale.open_lower_bound else cdf_at_values[0]
    upper = 1.0 if scale.open_upper_bound else cdf_at_values[-1]
    width = upper - lower
    if width <= 1e-12:  # the model puts (nearly) everything beyond a closed bound: a uniform inside
        base = [i / (len(cdf_at_values) - 1) for i in range(len(cdf_at_values))]
    else:
        base = [(x - lower) / width for x in cdf_at_values]
    return standardize_cdf(base, scale)


def grid_values(scale: Scale) -> list[float]:
    """The 201 evaluation points on the question's scale."""
    return [scale.scale(u) for u in EVAL_LOCS]
