"""A numeric or date question's resolution: a value (a date), 'below' or 'above' an open bound, or
ambiguous/annulled. Stored as text in resolutions.outcome: a number as Python writes it (no '+'), a date as a
UTC timestamp, or the word."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.numeric.scale import Scale
from forecasts.timeutil import parse_datetime, to_iso

BEYOND = ("below", "above")
UNSCORED = ("ambiguous", "annulled")


def stored_number(x: float) -> str:
    """A value as resolution text (outcome names allow no '+')."""
    return repr(float(x)).replace("e+", "e")


def parse_numeric_outcome(scale: Scale, text: Any, qid: str = "") -> str:
    """The outcome text to store for what a person typed; refuses a value beyond a closed bound."""
    raw = text if isinstance(text, str) else repr(text)
    word = raw.strip().lower()
    if word in UNSCORED:
        return word
    rng = f"{scale.show(scale.range_min)} to {scale.show(scale.range_max)}"
    if word in BEYOND:
        is_open = scale.open_lower_bound if word == "below" else scale.open_upper_bound
        if not is_open:
            side = "lower" if word == "below" else "upper"
            raise ForecastsError(f"outcome: {qid!r} has a closed {side} bound; it resolves to a value in {rng}")
        return word
    kind = "date (e.g. 2027-03-01)" if scale.is_date else "number"
    try:
        x = parse_datetime(raw.strip(), "outcome").timestamp() if scale.is_date else float(raw)
    except (ForecastsError, ValueError):
        x = math.nan
    if isinstance(text, bool) or not math.isfinite(x):
        raise ForecastsError(
            f"outcome: {raw!r} is not allowed for {qid!r}; give a {kind}, below/above for an open bound, "
            "ambiguous or annulled"
        )
    if (x < scale.range_min and not scale.open_lower_bound) or (x > scale.range_max and not scale.open_upper_bound):
        raise ForecastsError(f"outcome: {raw!r} is outside the closed range {rng} of {qid!r}")
    return to_iso(datetime.fromtimestamp(x, UTC)) if scale.is_date else stored_number(x)


def outcome_value(scale: Scale, outcome: str) -> float | None:
    """The resolved value on the question's scale (dates: Unix seconds); None for below/above/unscored."""
    if outcome in BEYOND or outcome in UNSCORED:
        return None
    return parse_datetime(outcome).timestamp() if scale.is_date else float(outcome)


def outcome_location(scale: Scale, outcome: str) -> float:
    """The outcome's unscaled location: -1 below the range, 2 above (Metaculus's convention), else unscale(x)."""
    if outcome == "below":
        return -1.0
    if outcome == "above":
        return 2.0
    value = outcome_value(scale, outcome)
    if value is None:
        raise ValueError(f"{outcome!r} has no location")
    return scale.unscale(value)
