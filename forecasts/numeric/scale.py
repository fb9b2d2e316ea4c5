"""The question's axis: a value (or a date as Unix seconds) <-> Metaculus's unscaled location in [0, 1].

Metaculus (utils/the_math/formulas.py: unscaled_location_to_scaled_location and its inverse; front_end
src/utils/math.ts: nominalLocationToCdfLocation) puts a log axis through `zero_point`:
x = min + (max - min) * (r**u - 1) / (r - 1) with r = (max - zero_point) / (min - zero_point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from forecasts.errors import ForecastsError
from forecasts.timeutil import parse_datetime, to_iso

INBOUND_OUTCOME_COUNT = 200  # Metaculus's default: the CDF has 201 points
CDF_POINTS = INBOUND_OUTCOME_COUNT + 1


@dataclass(frozen=True)
class Scale:
    """The range of a numeric or date question (dates as Unix seconds) and how its axis is drawn."""

    range_min: float
    range_max: float
    open_lower_bound: bool = False
    open_upper_bound: bool = False
    zero_point: float | None = None  # set: a log axis (Metaculus's convention)
    is_date: bool = False
    unit: str = ""

    @classmethod
    def from_spec(cls, spec: dict[str, Any], qtype: str) -> Scale:
        """From a question's stored `numeric` spec (see forecasts.numeric.spec)."""
        return cls(
            range_min=float(spec["range_min"]), range_max=float(spec["range_max"]),
            open_lower_bound=bool(spec.get("open_lower_bound")), open_upper_bound=bool(spec.get("open_upper_bound")),
            zero_point=None if spec.get("zero_point") is None else float(spec["zero_point"]),
            is_date=qtype == "date", unit=str(spec.get("unit", "")),
        )  # fmt: skip

    @property
    def width(self) -> float:
        return self.range_max - self.range_min

    def unscale(self, x: float) -> float:
        """A value on the question's scale -> its location (0 at range_min, 1 at range_max; outside for beyond)."""
        lo, hi, z = self.range_min, self.range_max, self.zero_point
        if z is None:
            return (x - lo) / (hi - lo)
        if x == z:  # as the front end: avoid log(0)
            return -1e-7 if z < lo else 1 + 1e-7
        r = (hi - z) / (lo - z)
        inner = (x - lo) * (r - 1) + (hi - lo)
        if inner <= 0:
            return -math.inf if r > 1 else math.inf
        return (math.log(inner) - math.log(hi - lo)) / math.log(r)

    def scale(self, u: float) -> float:
        """A location in [0, 1] (or beyond) -> the value on the question's scale."""
        lo, hi, z = self.range_min, self.range_max, self.zero_point
        if z is None:
            return lo + (hi - lo) * u
        r = (hi - z) / (lo - z)
        return lo + (hi - lo) * (r**u - 1) / (r - 1)

    def parse_value(self, text: str | float, fld: str = "value") -> float:
        """A typed value: a number, or for a date question an ISO date (-> Unix seconds)."""
        if self.is_date:
            if isinstance(text, int | float) and not isinstance(text, bool):
                return float(text)
            return parse_datetime(str(text), fld).timestamp()
        try:
            x = math.nan if isinstance(text, bool) else float(text)
        except (TypeError, ValueError):
            x = math.nan
        if not math.isfinite(x):
            raise ForecastsError(f"{fld}: {text!r} must be a finite number{self.unit_note}")
        return x

    @property
    def unit_note(self) -> str:
        return f" (in {self.unit})" if self.unit else ""

    def show(self, x: float) -> str:
        """A value as a person reads it: a date (YYYY-MM-DD) or a number to 4 significant figures plus unit."""
        if self.is_date:  # to the nearest second: a typed 2027-09-01 read back from the CDF may be 1 ms short of it
            return to_iso(datetime.fromtimestamp(round(x), UTC))[:10]
        text = f"{x:.4g}"
        return f"{text} {self.unit}".rstrip() if self.unit and self.unit != "%" else text + (self.unit or "")


class NumericQuestion(Protocol):
    """What the numeric modules read of a question (forecasts.questions.Question has it; no import, no cycle)."""

    id: str
    type: str
    prior: dict[str, Any]
    opens_at: datetime
    closes_at: datetime

    @property
    def scale(self) -> Scale: ...

    @property
    def has_prior(self) -> bool: ...
