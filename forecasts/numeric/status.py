"""What `status` and `questions show` say about a numeric or date question: the model's median and 10-90%
interval now (fast path), the prior's, and each standing forecast's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from forecasts.numeric.cdf import summary
from forecasts.numeric.kalman import Observation
from forecasts.numeric.scale import NumericQuestion as Question
from forecasts.store.db import Database


def observations(db: Database, q: Question, known_by: datetime) -> list[Observation]:
    """The readings of a numeric question's quantity recorded by `known_by` (not retracted)."""
    from forecasts.numeric.evidence import observations_for

    return observations_for(db, q, known_by)


def interval_text(q: Question, s: dict[str, float]) -> str:
    """'19.5% (18%-21%)': the median and 10-90% interval as a person reads them; a quantile in the mass beyond an
    open bound reads 'after 2027-12-31' (dates) or 'above 25%', not the bound itself."""
    scale = q.scale

    def show(x: float) -> str:
        if scale.open_upper_bound and x >= scale.range_max:
            return f"{'after' if scale.is_date else 'above'} {scale.show(scale.range_max)}"
        if scale.open_lower_bound and x <= scale.range_min:
            return f"{'before' if scale.is_date else 'below'} {scale.show(scale.range_min)}"
        return scale.show(x)

    return f"{show(s['median'])} ({show(s['p10'])} to {show(s['p90'])})"


def numeric_state(db: Database, q: Question, at: datetime) -> dict[str, Any]:
    """The model's (fast path) median and 10-90% interval at `at` and the prior's, as numbers and text."""
    from forecasts.numeric.model import model_cdf

    obs = observations(db, q, at) if q.has_prior else []
    out: dict[str, Any] = {"unit": q.scale.unit, "observations": len(obs)}
    if q.has_prior:
        now = summary(model_cdf(q, obs), q.scale)
        prior = summary(model_cdf(q, []), q.scale)
        out |= {"now": now, "now_text": interval_text(q, now), "prior": prior, "prior_text": interval_text(q, prior)}
    else:
        out |= {"now": None, "now_text": "—", "prior": None, "prior_text": "—"}
    return out


def forecast_text(q: Question, row: dict[str, Any]) -> str:
    """A stored numeric forecast as 'median (p10 to p90)'."""
    cdf = row["cdf"] if isinstance(row["cdf"], list) else json.loads(row["cdf"])
    return interval_text(q, summary(cdf, q.scale))
