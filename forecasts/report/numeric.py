"""The weekly report's numeric and date questions: the model's median and 10-90% interval now and a week ago,
each person's standing forecast, the observations, and (HTML) a fan chart over time.

The model's track is the local-level fast path re-run on the observations recorded by each moment (the question's
opening, each observation, a week ago, now), so a past week's report never uses later records."""

from __future__ import annotations

import json
from datetime import UTC as _UTC
from datetime import datetime
from html import escape
from typing import Any

from forecasts.numeric.cdf import summary
from forecasts.numeric.model import model_cdf
from forecasts.numeric.status import interval_text, observations
from forecasts.report.plots import PALETTE, _f, _open, _time_ticks
from forecasts.store.db import Database
from forecasts.timeutil import to_iso

W, H, L, R, T, B = 640, 240, 64, 12, 12, 28


def _forecasts(db: Database, qid: str, as_of: datetime) -> dict[str, list[tuple[float, list[float]]]]:
    sql = """SELECT f.forecaster_id, f.made_at, f.cdf FROM forecasts f JOIN forecasters fr ON fr.id = f.forecaster_id
             WHERE f.question_id = ? AND f.cdf IS NOT NULL AND fr.kind = 'person' AND f.made_at <= ?
               AND f.recorded_at <= ? ORDER BY f.made_at, f.id"""
    out: dict[str, list[tuple[float, list[float]]]] = {}
    stamp = to_iso(as_of)
    for who, made, cdf in db.conn.execute(sql, [qid, stamp, stamp]):
        out.setdefault(who, []).append((datetime.fromisoformat(made[:-1] + "+00:00").timestamp(), json.loads(cdf)))
    return out


def numeric_blocks(
    db: Database, questions: list[Any], week_ago: datetime, as_of: datetime, only: set[str] | None = None
) -> list[dict[str, Any]]:
    """One block per open numeric or date question known by `as_of` (with `only`, only those people's forecasts)."""
    blocks = []
    for q in questions:
        if not q.has_prior or q.opens_at > as_of or as_of >= q.closes_at:
            continue
        obs = observations(db, q, as_of)
        then = summary(model_cdf(q, observations(db, q, week_ago)), q.scale) if week_ago >= q.opens_at else None
        now = summary(model_cdf(q, obs), q.scale)
        moments = sorted({q.opens_at.timestamp(), *(o.at for o in obs if o.at >= q.opens_at.timestamp()),
                          week_ago.timestamp() if week_ago >= q.opens_at else q.opens_at.timestamp(),
                          as_of.timestamp()})  # fmt: skip
        track = [{"at": t, **summary(model_cdf(q, [o for o in obs if o.at <= t]), q.scale)} for t in moments]
        people = {
            who: [{"at": t, **summary(cdf, q.scale)} for t, cdf in rows]
            for who, rows in sorted(_forecasts(db, q.id, as_of).items())
            if only is None or who in only
        }
        blocks.append({
            "id": q.id, "title": q.title, "type": q.type, "unit": q.scale.unit, "closes_at": to_iso(q.closes_at),
            "now": now, "now_text": interval_text(q, now), "week_ago": then,
            "week_ago_text": interval_text(q, then) if then else "—",
            "people": {who: {**rows[-1], "text": interval_text(q, rows[-1])} for who, rows in people.items()},
            "observations": [{"at": o.at, "value": o.value, "sd": o.sd, "text": q.scale.show(o.value)} for o in obs],
            "chart": _fan_svg(q, track, people, obs, as_of),
        })  # fmt: skip
    return blocks


def _fan_svg(q: Any, track: list[dict], people: dict[str, list[dict]], obs: list, as_of: datetime) -> str:
    """The model's median and 10-90% band over time, each person's median, the observations with ±1 sd."""
    x0, x1 = q.opens_at.timestamp(), max(as_of.timestamp(), q.opens_at.timestamp() + 86400)
    values = [v for p in track for v in (p["p10"], p["p90"])]
    values += [v for rows in people.values() for p in rows for v in (p["p10"], p["p90"])]
    values += [v for o in obs for v in (o.value - o.sd, o.value + o.sd)]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(t: float) -> str:
        return _f(L + (t - x0) / (x1 - x0) * (W - L - R))

    def y(v: float) -> str:
        return _f(T + (1 - (v - lo) / (hi - lo)) * (H - T - B))

    label = f"{q.title}: the model's median and 10-90% interval of the value at the close, over time"
    out = _open(label, W, H)
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<line x1="{L}" y1="{y(v)}" x2="{W - R}" y2="{y(v)}" stroke="#e2e8f0" stroke-width="1"/>')
        out.append(f'<text x="{L - 4}" y="{_f(float(y(v)) + 4)}" font-size="11" text-anchor="end" fill="#475569">'
                   f"{escape(q.scale.show(v))}</text>")  # fmt: skip
    for t, text in _time_ticks(x0, x1):
        out.append(f'<text x="{x(t)}" y="{H - 8}" font-size="11" text-anchor="middle" fill="#475569">'
                   f"{escape(text)}</text>")  # fmt: skip
    steps = []  # the model's forecast stands until the next moment: a step band
    for i, p in enumerate(track):
        end = track[i + 1]["at"] if i + 1 < len(track) else x1
        steps.append((p["at"], end, p))
    upper = " ".join(f"{x(a)},{y(p['p90'])} {x(b)},{y(p['p90'])}" for a, b, p in steps)
    lower = " ".join(f"{x(b)},{y(p['p10'])} {x(a)},{y(p['p10'])}" for a, b, p in reversed(steps))
    out.append(f'<polygon points="{upper} {lower}" fill="#1f5fa8" fill-opacity="0.18" stroke="none"/>')
    median = " ".join(f"{x(a)},{y(p['median'])} {x(b)},{y(p['median'])}" for a, b, p in steps)
    out.append(f'<polyline points="{median}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for i, (who, rows) in enumerate(people.items()):
        colour = PALETTE[(i + 1) % len(PALETTE)]
        pts = " ".join(f"{x(p['at'])},{y(p['median'])}" for p in rows)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3">'
                   f"<title>{escape(who)}</title></polyline>")  # fmt: skip
        for p in rows:
            out.append(f'<line x1="{x(p["at"])}" y1="{y(p["p10"])}" x2="{x(p["at"])}" y2="{y(p["p90"])}" '
                       f'stroke="{colour}" stroke-width="1"/>')  # fmt: skip
    for o in obs:
        out.append(f'<line x1="{x(o.at)}" y1="{y(o.value - o.sd)}" x2="{x(o.at)}" y2="{y(o.value + o.sd)}" '
                   'stroke="#111827" stroke-width="1"/>')  # fmt: skip
        out.append(f'<circle cx="{x(o.at)}" cy="{y(o.value)}" r="3" fill="#111827"/>')
    out.append("</svg>")
    return "\n".join(out)


def markdown_lines(blocks: list[dict[str, Any]], md: Any) -> list[str]:
    """The section as Markdown."""
    if not blocks:
        return []
    out = ["## Numeric and date questions", "",
           "The model's median and 10-90% interval of the value at the close (local-level fast path).", ""]  # fmt: skip
    for b in blocks:
        out += [f"### {md(b['title'])} (`{b['id']}`)", "",
                f"- Model now: {md(b['now_text'])}; a week ago: {md(b['week_ago_text'])}"]  # fmt: skip
        out += [f"- {md(who)}: {md(p['text'])}" for who, p in b["people"].items()]
        if b["observations"]:
            shown = ", ".join(f"{md(o['text'])} on {to_iso(datetime.fromtimestamp(o['at'], tz=_UTC))[:10]}"
                              for o in b["observations"][-5:])  # fmt: skip
            out.append(f"- Observations ({len(b['observations'])}, latest last): {shown}")
        out.append("")
    return out


def html_section(blocks: list[dict[str, Any]]) -> str:
    """The section as HTML, with each question's fan chart."""
    if not blocks:
        return ""
    parts = ['<section id="numeric"><h2>Numeric and date questions</h2>',
             "<p>The model's median and 10-90% interval of the value at the close (local-level fast path); "
             "dashed lines: each person's median, with their 10-90% interval; dots: observations ±1 sd."
             "</p>"]  # fmt: skip
    for b in blocks:
        rows = "".join(f"<li>{escape(who)}: {escape(p['text'])}</li>" for who, p in b["people"].items())
        parts.append(
            f'<article class="question"><h3>{escape(b["title"])} <code>{escape(b["id"])}</code></h3>'
            f"<p>Model now: <strong>{escape(b['now_text'])}</strong>; a week ago: {escape(b['week_ago_text'])}; "
            f"{len(b['observations'])} observation{'s' if len(b['observations']) != 1 else ''}.</p>"
            f"<ul>{rows}</ul><figure>{b['chart']}</figure></article>"
        )
    parts.append("</section>")
    return "\n".join(parts)
