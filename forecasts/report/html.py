"""Render the weekly report as one self-contained HTML file: inline CSS, inline SVG plots, no scripts.

All user text goes through html.escape; URLs become links only when they are plain http(s). A strict
Content-Security-Policy (no scripts, no network) backs that up should anything ever slip through.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any

from forecasts.report import plots
from forecasts.report.fmt import cell, count, day, effect_summary, effect_texts, pct, pp, probs_text, safe_url

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def e(text: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return escape(str(text if text is not None else ""), quote=True)


def link(label: str, url: str | None) -> str:
    if safe_url(url):
        return f'<a href="{e(url)}" rel="noopener noreferrer nofollow">{e(label)}</a>'
    return e(label) + (f' <span class="muted">({e(url)})</span>' if url else "")


def table(header: list[str], rows: list[list[str]], num: set[int] = frozenset()) -> str:
    """A table from already-escaped cells; columns in `num` are right-aligned numbers."""
    head = "".join(f"<th{' class=num' if i in num else ''}>{h}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i in num else "text"}">{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def labelled_table(t: dict[str, Any]) -> str:
    """A table from another module: column keys as headers (their descriptions as tooltips and a legend)."""
    keys = [c["key"] for c in t["columns"]]
    num = {i for i, k in enumerate(keys) if any(isinstance(r.get(k), int | float) for r in t["rows"])}
    head = [f'<abbr title="{e(c["label"])}">{e(c["key"])}</abbr>' for c in t["columns"]]
    out = table(head, [[e(cell(r.get(k))) for k in keys] for r in t["rows"]], num)
    legend = [f"<strong>{e(c['key'])}</strong>: {e(c['label'])}" for c in t["columns"] if c["label"] != c["key"]]
    return out + (f'<p class="legend">{"; ".join(legend)}.</p>' if legend else "")


def _delta_class(delta: float | None) -> str:
    if delta is None or abs(delta) < 0.05:
        return ""
    return ' class="up"' if delta > 0 else ' class="down"'


def _headline(r: dict[str, Any]) -> str:
    s = r["summary"]
    out = ['<section id="headline"><h2>Headline</h2><ul>']
    out.append(
        f"<li>{count(s['open'], 'open question')}; {count(s['evidence_this_week'], 'evidence item')} logged this "
        f"week; {count(s['forecasts_this_week'], 'forecast')} made by people this week "
        f"({s['model_forecasts_this_week']} by the model/aggregates); "
        f"{count(s['resolved_this_week'], 'question')} resolved this week.</li>"
    )
    if r["movers"]:
        out.append("<li>Biggest movers this week (fast path):<ul>")
        for m in r["movers"]:
            label = "" if m["outcome"] == "yes" else f" ({e(m['outcome'])})"
            d = 100 * m["delta"]
            out.append(
                f'<li><a href="#q-{e(m["id"])}"><span class="qid">{e(m["id"])}</span></a>{label}: '
                f"{pct(m['before'])} → {pct(m['now'])} <strong{_delta_class(d)}>({pp(d)})</strong> — "
                f"{e(m['title'])}</li>"
            )
        out.append("</ul></li>")
    else:
        out.append("<li>No question moved this week.</li>")
    if s["new_this_week"]:
        out.append("<li>Opened this week: " + ", ".join(e(q) for q in s["new_this_week"]) + ".</li>")
    out.append("</ul>")
    sc = r["scenarios"]
    out.append('<h3 id="scenarios">Scenarios</h3>')
    if sc["rows"]:
        rows = []
        for s_ in sc["rows"]:
            iv = s_["interval"]
            signs = "<br>".join(f"{e(x['what'])} {e(x['movement'])} ({e(x['signal'])})" for x in s_["signposts"])
            rows.append(
                [f'<strong>{e(s_["id"])}</strong> {e(s_["title"])}', f"<strong>{pct(s_['probability'])}</strong>",
                 f"{pct(iv[0])} – {pct(iv[1])}" if iv else "—", pct(s_["independent"]), signs]
            )  # fmt: skip
        out.append(table(["Scenario", "Probability", "90% interval", "If independent", "Signposts"], rows, {1, 2, 3}))
        trend = sc.get("trend") or {}
        if trend and len(trend["times"]) > 1:
            series = [(sid, vals, None, None) for sid, vals in trend["series"].items()]
            out.append(plots.trajectory_svg("Scenario probabilities over the last weeks", trend["times"], series))
    else:
        out.append(f'<p class="muted">{e(sc["note"])}</p>')
    out.append("</section>")
    return "\n".join(out)


def _trajectory_plot(b: dict[str, Any]) -> str:
    t = b["trajectory"]
    series = [(s["name"], s["values"], s["lo"], s["hi"]) for s in t["series"]]
    label = f"Probability of {b['id']} since {day(b['opens_at'])}: fast path with 90% band and evidence markers"
    return plots.trajectory_svg(label, t["times"], series, t["markers"])


def _question(b: dict[str, Any]) -> str:
    binary = b["type"] == "binary"
    kind = "binary" + (", deadline question" if b["deadline"] else "") if binary else e(b["type"])
    out = [f'<article class="question" id="q-{e(b["id"])}">']
    out.append(f'<h3><span class="qid">{e(b["id"])}</span>: {e(b["title"])}</h3>')
    out.append(
        f'<p class="muted">{kind}; opened {day(b["opens_at"])}, closes {day(b["closes_at"])}; '
        f"{count(b['evidence_count'], 'evidence item')}; prior {e(probs_text(b['prior'], binary))}.</p>"
    )
    iv = b["interval"]
    rows = []
    for o in ["yes"] if binary else b["outcomes"]:
        before = b["before"][o] if b["before"] else None
        delta = None if before is None else 100 * (b["now"][o] - before)
        change = f"<span{_delta_class(delta)}>{pp(delta)}</span>"
        interval = f"{pct(iv['lo'][o])} – {pct(iv['hi'][o])}"
        rows.append([e(o), f"<strong>{pct(b['now'][o])}</strong>", pct(before), change, interval])
    out.append(table(["Outcome", "Now", "A week ago", "Change", "90% credible interval"], rows, {1, 2, 3, 4}))
    out.append(f'<p class="legend">Interval: {e(iv["method"])}.</p>')
    out.append(_trajectory_plot(b))
    out.append(
        '<p class="legend">Line: fast-path probability from the evidence known at the as-of time, placed at '
        "its observation date. Shaded: 90% band. Dots: evidence items (green raised, red lowered).</p>"
    )
    out.append("<h4>Evidence logged this week</h4>")
    if b["week_evidence"]:
        rows = []
        for x in b["week_evidence"]:
            lrs, logs, pps = (t.replace("; ", "<br>") for t in effect_texts(x, e))
            moved = f"<span{_delta_class(x['pp']['yes'])}>{pps}</span>" if x["binary"] else pps
            rows.append([f"#{x['id']} {e(x['summary'])}", day(x["observed_at"]), lrs, logs, moved])
        out.append(table(["Evidence", "Observed", "LR", "Log-odds (r·ln LR)", "Moved it"], rows, {1, 2, 3, 4}))
    else:
        out.append('<p class="muted">No evidence logged this week.</p>')
    out.append("<h4>Forecasts standing at the as-of time</h4>")
    rows = []
    for f in b["forecasts"]:
        who = e(f["forecaster"]) + ("" if f["kind"] == "person" else f" <span class=muted>({e(f['kind'])})</span>")
        rows.append([who, e(probs_text(f["probabilities"], binary)), day(f["made_at"]), e(f["rationale"])])
    crowd = b["crowd"]
    if crowd and crowd["source"] != "crowd forecaster":
        rows.append([f"<strong>crowd</strong> (median of {crowd['n']})", e(probs_text(crowd["probabilities"], binary)),
                     "—", ""])  # fmt: skip
    if rows:
        header = ["Forecaster", "P(yes)" if binary else "Probabilities", "Made", "Rationale"]
        out.append(table(header, rows, {1, 2} if binary else {2}))
    else:
        out.append('<p class="muted">No forecasts yet.</p>')
    out.append("</article>")
    return "\n".join(out)


def _evidence(r: dict[str, Any]) -> str:
    out = ['<section id="evidence"><h2>Evidence logged this week</h2>']
    if r["evidence"]:
        rows = []
        for x in r["evidence"]:
            effects = "<br>".join(effect_summary(f, e) for f in x["effects"])
            rel = f"{x['reliability']:.2f}" + (f" ({e(x['reliability_grade'])})" if x["reliability_grade"] else "")
            source = link(x["source"] or "source", x["url"]) if x["url"] else e(x["source"])
            rows.append([str(x["id"]), day(x["observed_at"]), e(x["summary"]), source, rel, effects])
        header = ["#", "Observed", "Summary", "Source", "Reliability", "Effect on each question"]
        out.append(table(header, rows, {0, 1, 4}))
    else:
        out.append('<p class="muted">None.</p>')
    if r["retractions"]:
        out.append("<h3>Retracted this week</h3><ul>")
        out += [f"<li>#{x['evidence_id']} {e(x['summary'])} — {e(x['reason'])}</li>" for x in r["retractions"]]
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _closing_and_stale(r: dict[str, Any]) -> str:
    out = ['<section id="closing"><h2>Closing in the next 30 days</h2>']
    if r["closing"]:
        rows = [
            [f'<span class="qid">{e(c["id"])}</span>', e(c["title"]), day(c["closes_at"]), f"{c['days_left']:.0f}",
             e(probs_text(c["now"], c["type"] == "binary"))]
            for c in r["closing"]
        ]  # fmt: skip
        out.append(table(["Question", "Title", "Closes", "Days left", "Now"], rows, {2, 3, 4}))
    else:
        out.append('<p class="muted">None.</p>')
    if r["awaiting_resolution"]:
        ids = ", ".join(f'<span class="qid">{e(a["id"])}</span>' for a in r["awaiting_resolution"])
        out.append(f"<p>Closed, awaiting resolution: {ids}.</p>")
    out.append("</section>")
    out.append(f'<section id="stale"><h2>Stale forecasts</h2><p class="legend">Stale: {e(r["stale_rule"])}.</p>')
    if r["stale"]:
        rows = [
            [f'<span class="qid">{e(s["question"])}</span>', e(s["forecaster"]), day(s["made_at"]),
             f"{s['age_days']:.0f}", f"{100 * s['share_of_life']:.0f}%"]
            for s in r["stale"]
        ]  # fmt: skip
        out.append(table(["Question", "Forecaster", "Last updated", "Age (days)", "Share of life"], rows, {2, 3, 4}))
    else:
        out.append('<p class="muted">None.</p>')
    out.append("</section>")
    return "\n".join(out)


def _resolved(r: dict[str, Any]) -> str:
    res = r["resolved"]
    out = ['<section id="resolved"><h2>Resolved this week</h2>']
    if not res["rows"]:
        out.append('<p class="muted">None.</p>')
    for x in res["rows"]:
        out.append(f'<h3><span class="qid">{e(x["id"])}</span>: {e(x["outcome"])}</h3>')
        out.append(f"<p>{e(x['title'])} (known {day(x['known_at'])}).</p>")
        if not x["scored"]:
            out.append('<p class="muted">Not scored (ambiguous or annulled).</p>')
        elif x["scores"] and x["scores"]["rows"]:
            out.append(labelled_table(x["scores"]))
        else:
            out.append(f'<p class="muted">{e(res["note"] or "No forecasts to score.")}</p>')
    out.append("</section>")
    return "\n".join(out)


def _leaderboard(r: dict[str, Any]) -> str:
    lb = r["leaderboard"]
    out = ['<section id="leaderboard"><h2>Leaderboard</h2>']
    out.append(labelled_table(lb["table"]) if lb["table"] else f'<p class="muted">{e(lb["note"])}</p>')
    out.append("</section>")
    out.append('<section id="calibration" class="calibration"><h2>Calibration</h2>')
    calib = lb.get("calibration") or []
    series = []
    for c in calib:
        pts = [
            (float(b["mean_forecast"]), float(b["observed"]), int(b.get("n") or 1), *_interval(b))
            for b in c["bins"]["rows"]
            if isinstance(b.get("mean_forecast"), int | float) and isinstance(b.get("observed"), int | float)
        ]
        if pts:
            series.append((c["name"], pts))
    if series:
        out.append(plots.calibration_svg("Calibration: observed frequency against forecast probability", series))
        out.append(
            '<p class="legend">Forecasts standing at each scored question\'s close, in percent bins (categorical: one '
            "per outcome). Dashed diagonal: perfect calibration. Larger dots: more forecasts; whiskers: 95% "
            "Wilson interval of the observed frequency.</p>"
        )
        for c in calib:
            m = c["murphy"]
            out.append(f"<h3>{e(c['name'])}</h3>")
            if c["bins"]["rows"]:
                out.append(labelled_table(c["bins"]))
            if m.get("n"):
                out.append(
                    f"<p>Murphy decomposition over {count(m['n'], 'forecast')}: "
                    f"Brier (binned) {cell(m.get('brier_binned'))} = "
                    f"reliability {cell(m.get('reliability'))} − resolution {cell(m.get('resolution'))} + "
                    f"uncertainty {cell(m.get('uncertainty'))}.</p>"
                )
    else:
        out.append(f'<p class="muted">{e(lb["note"] or "No calibration data yet.")}</p>')
    out.append("</section>")
    return "\n".join(out)


def render_html(r: dict[str, Any]) -> str:
    """The whole report as one HTML document (deterministic: no clock, no scripts, no external resources)."""
    css = resources.files("forecasts.report").joinpath("style.css").read_text(encoding="utf-8")
    title = f"Weekly forecasting report {r['week']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(title)}</title>",
        f"<style>\n{css}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<header><h1>{e(title)}</h1>",
        f'<p class="asof">As of <strong>{e(r["as_of"])}</strong> (end of ISO week {e(r["week"])}, which began '
        f"{e(r['week_start'])}). Built only from evidence, forecasts and resolutions recorded by then.</p>"
        + (
            f'<p class="asof"><strong>Provisional:</strong> the week is not over; regenerate after {e(r["as_of"])} '
            "for the final report.</p>"
            if r.get("provisional")
            else ""
        )
        + "</header>",
        _headline(r),
        '<section id="questions"><h2>Open questions</h2>',
    ]
    if not r["questions"]:
        parts.append('<p class="muted">No open questions.</p>')
    parts += [_question(b) for b in r["questions"]]
    parts.append("</section>")
    parts += [_evidence(r), _closing_and_stale(r), _resolved(r), _leaderboard(r)]
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _interval(row: dict[str, Any]) -> tuple[float, ...]:
    """A calibration bin's (low, high) interval of the observed frequency, or () when it has none."""
    lo, hi = row.get("ci95_low"), row.get("ci95_high")
    return (float(lo), float(hi)) if isinstance(lo, int | float) and isinstance(hi, int | float) else ()
