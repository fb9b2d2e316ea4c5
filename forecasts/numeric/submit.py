"""Record a typed numeric forecast and describe it: what `forecasts forecast Q --p10 .. --p90 ..` does."""

from __future__ import annotations

from typing import Any

from forecasts.errors import ForecastsError
from forecasts.numeric.cdf import summary
from forecasts.numeric.entry import build_forecast, percentile_args
from forecasts.numeric.scale import NumericQuestion as Question
from forecasts.store.db import Database


def percentile_flags(
    q: Question, probability: str | None, flags: list[str], below: float | None, above: float | None
) -> list[str] | None:
    """The percentile flags of a forecast as typed (`forecast Q --p10 V ..`, or the API's `percentiles`), a
    positional value kept in front for submit_percentiles to refuse by name; None for a probability forecast.
    Percentiles or --below/--above on a question that is not numeric are refused here (the CLI and the server
    share this rule)."""
    extra = [probability, *flags] if probability is not None and (q.is_numeric or flags) else list(flags)
    if not (q.is_numeric or extra or below is not None or above is not None):
        return None
    if not q.is_numeric:
        raise ForecastsError(f"probability: {q.id!r} is {q.type}: percentiles and --below/--above are for numeric")
    return extra


def submit_percentiles(
    db: Database, q: Question, args: list[str], below: float | None, above: float | None, by: str, rationale: str = ""
) -> dict[str, Any]:
    """Build the CDF from the percentile flags and record it (nothing is written if any rule is broken)."""
    from forecasts.forecasting import submit_forecast

    if args and not args[0].startswith("--"):
        raise ForecastsError(
            f"probability: {q.id!r} is a {q.type} question: give percentiles such as --p10 V --p50 V --p90 V, "
            f"not {args[0]!r}"
        )
    cdf, raw = build_forecast(q.scale, percentile_args(args), below, above)
    result = submit_forecast(db, q.id, None, by, rationale, cdf=cdf, numeric_input=raw)
    return result | {"summary": shown_summary(q, cdf)}


def shown_summary(q: Question, cdf: list[float]) -> dict[str, Any]:
    """Median, 10% and 90% of a forecast, as numbers (dates: Unix seconds) and as text, plus the mass outside."""
    s = summary(cdf, q.scale)
    return {**s, "text": {k: q.scale.show(v) for k, v in s.items()}, "below": cdf[0], "above": 1 - cdf[-1]}


def describe(q: Question, result: dict[str, Any]) -> str:
    """One line: who, which question, the median and the 10-90% interval."""
    t = result["summary"]["text"]
    line = f"forecast #{result['id']}: {result['forecaster']} on {q.id}: median {t['median']}"
    line += f" (10-90%: {t['p10']} to {t['p90']})"
    s = result["summary"]
    outside = [f"{s['below']:.1%} below" if q.scale.open_lower_bound else "",
               f"{s['above']:.1%} above" if q.scale.open_upper_bound else ""]  # fmt: skip
    outside = [o for o in outside if o]
    return line + (f"; {', '.join(outside)} the range" if outside else "")
