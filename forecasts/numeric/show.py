"""Plain-text lines of a numeric or date question for `questions show`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forecasts.numeric.cdf import summary
from forecasts.numeric.scale import Scale


def _scale(detail: dict[str, Any]) -> Scale:
    q = detail["question"]
    return Scale.from_spec(q["numeric"], q["type"])


def _interval(scale: Scale, s: dict[str, float]) -> str:
    return f"{scale.show(s['median'])} ({scale.show(s['p10'])} to {scale.show(s['p90'])})"


def describe_range(q: dict[str, Any]) -> str:
    """'range 0% to 40% (upper bound open), linear axis'."""
    scale = Scale.from_spec(q["numeric"], q["type"])
    opened = [side for side, flag in (("lower", scale.open_lower_bound), ("upper", scale.open_upper_bound)) if flag]
    bounds = f" ({' and '.join(opened)} bound{'s' if len(opened) > 1 else ''} open)" if opened else " (closed)"
    axis = f"log axis, zero point {scale.zero_point:g}" if scale.zero_point is not None else "linear axis"
    return f"range {scale.show(scale.range_min)} to {scale.show(scale.range_max)}{bounds}, {axis}"


def numeric_lines(detail: dict[str, Any], say: Callable[[str], None], bold: Callable, prose: Callable) -> None:
    """Range, prior, and the model's median and 10-90% interval now."""
    q, n = detail["question"], detail["numeric"]
    prior = q["prior"]
    say(describe_range(q))
    params = ", ".join(f"{k} {v:g}" for k, v in prior.items() if isinstance(v, float))
    say(f"\n{bold('Prior')} {n['prior_text']}  ({prior.get('kind')}{': ' + params if params else ''})")
    if prior.get("reasoning") and q.get("has_prior", True):
        say(prose(prior["reasoning"]))
    say(f"\n{bold('Now')} {n['now_text']}  (model's fast path: median and 10-90% interval; "
        f"{n['observations']} observation{'s' if n['observations'] != 1 else ''})")  # fmt: skip


def forecast_text(detail: dict[str, Any], f: dict[str, Any]) -> str:
    """A standing forecast's median and 10-90% interval."""
    scale = _scale(detail)
    return _interval(scale, summary(f["cdf"], scale))


def score_table(result: dict[str, Any]) -> tuple[list, list[list[str]], str]:
    """Columns, rows and caption of `numeric-scores`: one row per question and forecaster."""
    from forecasts.termtable import Column

    def num(x: float | None, fmt: str = "{:.1f}") -> str:
        return "—" if x is None else fmt.format(x)

    columns = [Column("question"), Column("by"), Column("baseline", right=True), Column("peer", right=True),
               Column("cover", right=True), Column("crps/range", right=True), Column("pit", right=True)]  # fmt: skip
    rows = [[r["question"], r["forecaster"], num(r["baseline"]), num(r["peer"]), num(r["baseline_coverage"], "{:.0%}"),
             num(r["crps_range"], "{:.4f}"), num(r["pit"], "{:.2f}")] for r in result["scores"]]  # fmt: skip
    cal = "; ".join(f"{who}: PIT KS {c['ks_statistic']:.2f} (n {c['n']})" for who, c in result["calibration"].items())
    caption = ("baseline and peer: Metaculus's continuous log scores, time-averaged over the lifetime (higher is "
               "better; cover = share of the lifetime); crps/range: CRPS at the close over the range width (lower "
               "is better). " + (cal or "No resolved numeric question yet."))  # fmt: skip
    return columns, rows, caption


def observation_text(detail: dict[str, Any], link: dict[str, Any]) -> str:
    """'value 18.2 ± 0.2' (a date question: the date ± days)."""
    scale = _scale(detail)
    sd = f"{link['sd'] / 86400:.3g} days" if scale.is_date else f"{link['sd']:.3g}"
    value = scale.show(link["value"]) if scale.is_date else f"{link['value']:.6g}"
    return f"value {value} ± {sd}"
