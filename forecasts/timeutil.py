"""Timezone-aware UTC datetimes, parsed strictly and stored as fixed-width ISO-8601 text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from forecasts.errors import ForecastsError

# Dates and times on every path: YYYY-MM-DD, optionally THH:MM[:SS[.ffffff]], optionally Z or ±HH:MM (a date
# alone may carry an offset: midnight there). ASCII digits, upper-case T and Z, nothing around it. Not accepted:
# 20250601, a space for T, 2025-W23 (weeks are their own grammar), offsets with seconds, more than 6 decimals.
DATE_GRAMMAR = re.compile(
    r"\A\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:\d{2})?\Z", re.ASCII
)
# A public dataset's timestamp (Metaculus: `2025-03-12 22:00:00+00`, PredictionBook: `2011-05-25 04:53:51+00:00`,
# nanoseconds): only dataset adapters read it, and turn it into the grammar above (source_iso).
_SOURCE_STAMP = re.compile(
    r"\A(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}(?::?\d{2})?)?\Z", re.ASCII
)
_ISO_WEEK = re.compile(r"\A(\d{4})-W(\d{2})\Z", re.ASCII)
# A date with an offset but no time ('2025-01-01+05:00'): Python would read the offset as a time of day (05:00).
_DATE_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})([+-]\d{2}:?\d{2}(?::?\d{2})?)$")
_DATE_THEN_MORE = re.compile(r"^\d{4}-\d{2}-\d{2}(.)")
YEARS = (1900, 2999)  # dates a forecasting question can plausibly mention


def now_utc() -> datetime:
    """The current instant, UTC, to the second (what we store)."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_datetime(value: str | datetime | date, field: str = "date") -> datetime:
    """Parse an ISO-8601 date or datetime into an aware UTC datetime; naive values are taken as UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        text = str(value)
        if not DATE_GRAMMAR.fullmatch(text):  # the one date grammar of every path (docs/formats.md)
            raise ForecastsError(
                f"{field}: {value!r} is not a date; use ISO-8601, e.g. 2025-01-20 or 2025-01-20T14:30:00Z"
            )
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dated = _DATE_WITH_OFFSET.match(text)
        if dated:  # midnight at that offset, e.g. 2025-01-01+05:00 is 2024-12-31T19:00:00Z
            text = f"{dated.group(1)}T00:00:00{dated.group(2)}"
        more = _DATE_THEN_MORE.match(text)
        if more and more.group(1) not in "Tt ":  # Python takes any character between date and time
            text = "?"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ForecastsError(
                f"{field}: {value!r} is not a date; use ISO-8601, e.g. 2025-01-20 or 2025-01-20T14:30:00Z"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if not YEARS[0] <= dt.year <= YEARS[1]:  # year 0001 or 9999 is a typo, and near the ends UTC can overflow
        raise ForecastsError(f"{field}: {value!r} is outside the years {YEARS[0]}-{YEARS[1]}; e.g. 2025-01-20")
    return dt.astimezone(UTC)


def source_iso(value: Any) -> Any:
    """A public dataset's timestamp in the one date grammar (a space for T, `+00` for `+00:00`, nanoseconds cut
    to microseconds); anything else unchanged, for the usual check to refuse with file and line."""
    m = _SOURCE_STAMP.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return value
    day, clock, frac, zone = m.groups()
    if zone and zone != "Z":
        zone = zone[:3] + ":" + (zone[3:].lstrip(":") or "00")
    return f"{day}T{clock}{'.' + frac if frac else ''}{zone or ''}"


def to_iso(dt: datetime) -> str:
    """Fixed-width UTC text ('2025-01-20T14:30:00Z') so that string order is time order."""
    u = dt.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"  # %Y: no zero pad


def iso(value: str | datetime | date, field: str = "date") -> str:
    """Normalise any accepted date input to stored text."""
    return to_iso(parse_datetime(value, field))


def from_iso(text: str) -> datetime:
    """Stored text back to an aware datetime (fast path for our fixed 'YYYY-MM-DDTHH:MM:SSZ' form)."""
    if len(text) == 20 and text[-1] == "Z":
        try:
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
        except ValueError:
            pass
    return parse_datetime(text)


def iso_week(value: str | None, field: str = "week") -> tuple[str, datetime, datetime]:
    """An ISO week 'YYYY-Www' (default: the current one) → (label, start, end) in UTC, end exclusive."""
    if value is None:
        y, w, _ = now_utc().isocalendar()
        value = f"{y}-W{w:02d}"
    m = _ISO_WEEK.fullmatch(value)
    if not m:
        raise ForecastsError(f"{field}: {value!r} is not an ISO week; use YYYY-Www, e.g. 2026-W48")
    year, week = int(m.group(1)), int(m.group(2))
    if not YEARS[0] <= year <= YEARS[1]:  # year 1 or 9999: the report's trend weeks would leave the calendar
        raise ForecastsError(f"{field}: {value!r} is outside the years {YEARS[0]}-{YEARS[1]}; e.g. 2026-W48")
    try:
        start_day = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ForecastsError(f"{field}: {value!r}: week must be 01-52 (or 53 in long years)") from None
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC)
    return f"{year}-W{week:02d}", start, start + timedelta(days=7)


def started_week(value: str | None, field: str = "week") -> tuple[str, datetime, datetime]:
    """`iso_week`, refusing a week that has not begun (nothing can be known of it): checked before any write."""
    label, start, end = iso_week(value, field)
    if start > now_utc():
        raise ForecastsError(
            f"{field}: {label} has not started yet (it starts {to_iso(start)}); nothing is known of it"
        )
    return label, start, end


def days_between(start: datetime, end: datetime) -> float:
    """Signed length of [start, end) in days, as a float."""
    return (end - start).total_seconds() / 86400.0
