"""Render the weekly report as one self-contained HTML file: inline CSS, inline SVG plots, no scripts.

All user text goes through html.escape; URLs become links only when they are plain http(s). A strict
Content-Security-Policy (no scripts, no network) backs that up should anything ever slip through.
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from typing import Any

import forecasts.report.plots as plots
from forecasts.report.fmt import (
    cell,
    clip,
    count,
    day,
    effect_summary,
    effect_texts,
    open_questions,
    pct,
    pp,
    probs_text,
    safe_url,
)
from forecasts.report.labels import human, meaning
from forecasts.safetext import neutral

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def e(text: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return escape(neutral(str(text if text is not None else "")), quote=True)


def link(label: str, url: str | None) -> str:
    if safe_url(url):
        return f'<a href="{e(url)}" rel="noopener noreferrer nofollow">{e(label)}</a>'
    return e(label) + (f' <span class="muted">({e(url)})</span>' if url else "")


def table(header: list[str], rows: list[list[str]], num: set[int] = frozenset()) -> str:
    """A table from already-escaped cells; columns in `num` are right-aligned numbers."""
    head = "".join(f"<th{' class=num' if i in num else ''}>{h}</th>" for i, h in enumerate(header))
    labels = [re.sub(r"<[^>]*>", "", h) for h in header]  # on a phone each cell is shown with its column name
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in num else "text"}" data-label="{labels[i]}">{c}</td>' for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def labelled_table(t: dict[str, Any]) -> str:
    """A table from another module: human column names (their descriptions as tooltips and a legend)."""
    keys = [c["key"] for c in t["columns"]]
    num = {i for i, k in enumerate(keys) if any(isinstance(r.get(k), int | float) for r in t["rows"])}
    head = [f'<abbr title="{e(meaning(c["key"], c["label"]))}">{e(human(c["key"]))}</abbr>' for c in t["columns"]]
    out = table(head, [[e(cell(r.get(k))) for k in keys] for r in t["rows"]], num)
    legend = [f"<strong>{e(human(c['key']))}</strong>: {e(meaning(c['key'], c['label']))}" for c in t["columns"]
              if meaning(c["key"], c["label"]).lower() not in (c["key"], human(c["key"]).lower())]  # fmt: skip
    return out + (f'<p class="legend">{"; ".join(legend)}.</p>' if legend else "")


def _delta_class(delta: float | None) -> str:
    if delta is None or abs(delta) < 0.05:
        return ""
    return ' class="up"' if delta > 0 else ' class="down"'


def _history_recap(h: dict[str, Any] | None) -> list[str]:
    """The briefing's paragraph on a history recorded this week: what its newest months did to the open questions."""
    if not h:
        return []
    out = ["<h3>The history recorded this week</h3>"]
    out.append(
        f"<p>{count(h['items'], 'evidence item')} observed {day(h['first_observed'])} to {day(h['last_observed'])} "
        "were recorded this week: history, not this week's news (no move above counts them; the charts place them "
        f"at their observation dates). Its newest stretch, {day(h['span_start'])} to {day(h['last_observed'])} "
        f"({count(h['items_in_span'], 'item')}), moved these open questions most (fast path, every item at its "
        "observation date; the change includes time passing, the share in brackets is the stretch's evidence):</p>"
    )
    out.append('<ol class="movers">')
    for m in h["moves"]:
        label = "" if m["outcome"] == "yes" else f" ({e(m['outcome'])})"
        d = 100 * (m["end"] - m["start"])
        out.append(
            f'<li><a href="#q-{e(m["id"])}"><span class="qid">{e(m["id"])}</span></a>{label}: {pct(m["start"])} → '
            f"<strong>{pct(m['end'])}</strong> <strong{_delta_class(d)}>({pp(d)})</strong> "
            f"(evidence {pp(100 * m['evidence'])}) — {e(m['title'])}"
        )
        if m["why"]:
            out.append("<ul>" + "".join(
                f"<li>#{x['id']} ({day(x['observed_at'])}) {e(clip(x['summary']))} "
                f"<span{_delta_class(x['pp'])}>({pp(x['pp'])})</span></li>" for x in m["why"]) + "</ul>")  # fmt: skip
        else:
            out.append('<p class="muted">No item of the stretch bears on it: time passing.</p>')
        out.append("</li>")
    out.append("</ol>")
    return out


def _briefing(r: dict[str, Any]) -> str:
    """The first screen: what changed this week and why, scenarios, resolutions, the leaderboard's top."""
    s, br = r["summary"], r["briefing"]
    out = ['<section id="briefing"><h2>This week in brief</h2>']
    out.append(
        f"<p>{open_questions(s)}; {count(s['evidence_this_week'], 'evidence item')} logged; "
        f"{count(s['forecasts_this_week'], 'forecast')} by people "
        f"({s['model_forecasts_this_week']} by the model/aggregates); "
        f"{count(s['resolved_this_week'], 'question')} resolved.</p>"
    )
    if br.get("facts"):
        out.append('<ul class="facts">' + "".join(f"<li>{e(x)}</li>" for x in br["facts"]) + "</ul>")
    out.append("<h3>What moved, and why</h3>")
    if br["movers"]:
        out.append('<ol class="movers">')
        for m in br["movers"]:
            label = "" if m["outcome"] == "yes" else f" ({e(m['outcome'])})"
            d = 100 * m["delta"]
            out.append(
                f'<li><a href="#q-{e(m["id"])}"><span class="qid">{e(m["id"])}</span></a>{label}: '
                f"{pct(m['before'])} → <strong>{pct(m['now'])}</strong> <strong{_delta_class(d)}>({pp(d)})</strong>"
                f" — {e(m['title'])}"
            )
            if m["why"]:
                out.append("<ul>" + "".join(
                    f"<li>#{x['id']} {e(clip(x['summary']))} <span{_delta_class(x['pp'])}>({pp(x['pp'])})</span></li>"
                    for x in m["why"]) + "</ul>")  # fmt: skip
            if m.get("resolved"):
                late = "" if m["resolved"]["known_this_week"] else "; known before this week, only recorded now"
                out.append(f'<p class="muted">Resolved {e(m["resolved"]["outcome"])} (known '
                           f'{day(m["resolved"]["known_at"])}{late}).</p>')  # fmt: skip
            elif not m["why"]:
                out.append('<p class="muted">No new evidence on it this week: the change is time passing '
                           "(a deadline question's window shrinking) or a retraction.</p>")  # fmt: skip
            if m["late_evidence_pp"] is not None:
                out.append(f'<p class="legend">{pp(100 * m["late_evidence_pp"])} of the change comes from evidence '
                           "observed before the week began but recorded only this week (the charts, which place "
                           "evidence at its observation date, show that part earlier).</p>")  # fmt: skip
            out.append("</li>")
        out.append("</ol>")
    else:
        out.append('<p class="muted">No question moved this week.</p>')
    out += _history_recap(br["history"])
    if s["new_this_week"]:
        out.append("<p>Opened this week: " + ", ".join(f'<span class="qid">{e(q)}</span>' for q in s["new_this_week"])
                   + ".</p>")  # fmt: skip
    out.append("<h3>Scenarios</h3>")
    if br["scenarios"]:
        rows = [[f'<a href="#scenarios">{e(x["id"])}</a> {e(x["title"])}', f"<strong>{pct(x['probability'])}</strong>",
                 "new" if x["change"] is None else pp(100 * x["change"])] for x in br["scenarios"]]  # fmt: skip
        out.append(table(["Scenario", "Probability", "Change this week"], rows, {1, 2}))
    else:
        out.append(f'<p class="muted">{e(br["scenario_note"])}</p>')
    out.append("<h3>Resolved this week</h3>")
    if br["resolved"]:
        items = [
            f'<li><a href="#r-{e(x["id"])}"><span class="qid">{e(x["id"])}</span></a>: '
            f"<strong>{e(x['outcome'])}</strong> (known {day(x['known_at'])}"
            f"{'' if x['known_this_week'] else '; known before this week, only recorded now'}) — {e(x['title'])}</li>"
            for x in br["resolved"]
        ]
        out.append("<ul>" + "".join(items) + "</ul>")
    else:
        out.append('<p class="muted">None.</p>')
    out.append("<h3>Leaderboard (top)</h3>")
    if br["leaders"]:
        keys = list(br["leaders"][0]["scores"])
        rows = [[str(x["rank"]), e(x["forecaster"]), str(x["n_questions"]), *[e(cell(x["scores"][k])) for k in keys]]
                for x in br["leaders"]]  # fmt: skip
        out.append(table(["Rank", "Forecaster", "Questions", *[e(human(k)) for k in keys]], rows,
                         {0, 2, *range(3, 3 + len(keys))}))  # fmt: skip
        out.append('<p class="legend"><a href="#leaderboard">Full leaderboard</a> (lower Brier is better; '
                   "relative Brier below 0 beats the people's median).</p>")  # fmt: skip
    else:
        out.append(f'<p class="muted">{e(br["leader_note"] or "No scored questions yet.")}</p>')
    out.append(
        '<p class="legend">Probabilities and changes on this page are as on record at the end of each week '
        "(recorded time): the fast path from the evidence recorded by then.</p>"
    )
    out.append("</section>")
    return "\n".join(out)


def _scenarios(r: dict[str, Any]) -> str:
    sc = r["scenarios"]
    out = ['<section id="scenarios"><h2>Scenarios</h2>']
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
            top = max((v for vals in trend["series"].values() for v in vals if v == v), default=1.0)
            out.append(plots.trajectory_svg("Scenario probabilities, end of each of the last weeks", trend["times"],
                                            series, y_max=_axis_top(top)))  # fmt: skip
            out.append('<p class="legend">Each point: the scenario probabilities from what was on record at the end '
                       "of that week (recorded time); the axis is scaled to the data.</p>")  # fmt: skip
    else:
        out.append(f'<p class="muted">{e(sc["note"])}</p>')
    out.append("</section>")
    return "\n".join(out)


def _axis_top(value: float) -> float:
    from forecasts.report.history import y_top

    return y_top([value])


def _chart_legend(chart: dict[str, Any]) -> str:
    """A key to the history chart in HTML (readable on a phone, where SVG text shrinks)."""
    keys = [f'<li><span class="swatch" style="border-color:{plots.MODEL_COLOR}"></span>model</li>']
    if chart["crowd"]:
        keys.append(f'<li><span class="swatch dashed" style="border-color:{plots.CROWD_COLOR}"></span>crowd (median '
                    f"of people) {pct(chart['crowd'][-1][1])}</li>")  # fmt: skip
    n = len(chart["people"])
    for i, person in enumerate(chart["people"]):
        keys.append(f'<li><span class="swatch thin" style="border-color:{plots.person_color(i, n)}"></span>'
                    f"{e(person['name'])} {pct(person['steps'][-1][1])}</li>")  # fmt: skip
    if chart.get("resolution"):
        keys.append(f"<li>◆ resolved {e(chart['resolution']['outcome'])}</li>")
    return '<ul class="chart-key">' + "".join(keys) + "</ul>"


def _history(b: dict[str, Any], what: str) -> str:
    """The recent-weeks chart of the model, the crowd and each person, its key and its time basis."""
    c = b["chart"]
    target = "" if c["outcome"] == "yes" else f" ({c['outcome']})"
    label = f"{what}{target}: model, crowd and each person over the last {c['weeks']:g} weeks"
    return (
        f'<figure class="history">{plots.history_svg(label, c)}'
        f"<figcaption>{e(label)}.{_chart_legend(c)}"
        f'<span class="legend">{e(c["basis"])} The axis is scaled to the data.</span></figcaption></figure>'
    )


def _trajectory_plot(b: dict[str, Any]) -> str:
    t = b["trajectory"]
    series = [(s["name"], s["values"], s["lo"], s["hi"]) for s in t["series"]]
    label = f"Full history of {b['id']} since {day(b['opens_at'])}: fast path with 90% band and evidence markers"
    top = _axis_top(max((v for s in t["series"] for v in s["hi"]), default=1.0))
    return plots.trajectory_svg(label, t["times"], series, t["markers"], y_max=top)


def _head(head: dict[str, Any]) -> str:
    """The ledger head as of the report (docs/publishing.md): `forecasts db check --against` this file later."""
    from forecasts.store.head import head_line

    rows = ""
    for t, v in sorted(head["tables"].items()):
        last, short = (f"#{v['last_id']}", v["digest"][:16]) if v["rows"] else ("", "")
        rows += f"<tr><td>{e(t)}</td><td>{v['rows']}</td><td>{last}</td><td><code>{e(short)}</code></td></tr>"
    return (
        '<section id="ledger-head"><h2>Ledger head</h2><p class="legend">The hash chains\' heads over the rows '
        "recorded by the as-of time. Keep this file: <code>forecasts db check --against</code> it later shows whether "
        'the records still pass through this head.</p><div class="scroll"><table><thead><tr><th>Table</th>'
        f"<th>Rows</th><th>Last row</th><th>Head</th></tr></thead><tbody>{rows}</tbody></table></div>"
        f"<pre>{e(head_line(head))}</pre></section>"
    )


def _full_histories(r: dict[str, Any]) -> str:
    """Every open question's whole history in a grid of small charts (one section away from its detail)."""
    out = ['<section id="histories"><h2>Full histories</h2>']
    out.append(
        '<p class="legend">Fast-path probability since each question opened, from the evidence on record at the '
        "as-of time placed at its observation date (observed time). Shaded: 90% band. Dots: evidence items "
        "(green raised, red lowered). Axes scaled to the data.</p>"
    )
    out.append('<div class="grid">')
    for b in r["questions"]:
        out.append(f'<figure class="full-history" id="h-{e(b["id"])}">{_trajectory_plot(b)}'
                   f'<figcaption><a href="#q-{e(b["id"])}"><span class="qid">{e(b["id"])}</span></a></figcaption>'
                   "</figure>")  # fmt: skip
    out.append("</div></section>")
    return "\n".join(out)


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
    late = []
    for o in ["yes"] if binary else b["outcomes"]:
        before = b["before"][o] if b["before"] else None
        delta = None if before is None else 100 * (b["now"][o] - before)
        change = f"<span{_delta_class(delta)}>{pp(delta)}</span>"
        interval = f"{pct(iv['lo'][o])} – {pct(iv['hi'][o])}"
        rows.append([e(o), f"<strong>{pct(b['now'][o])}</strong>", pct(before), change, interval])
        seen = (b.get("before_observed") or {}).get(o)
        if before is not None and seen is not None and abs(seen - before) >= 5e-4:
            late.append(f"{'' if binary else e(o) + ' '}{pct(seen)}")
    out.append(table(["Outcome", "Now", "A week ago (as recorded then)", "Change", "90% credible interval"], rows,
                     {1, 2, 3, 4}))  # fmt: skip
    out.append(f'<p class="legend">Now and a week ago: the fast path from the evidence on record at each time '
               f"(recorded time). Interval: {e(iv['method'])}.</p>")  # fmt: skip
    if late:
        out.append(
            f'<p class="legend">The charts place evidence at its observation date: on that basis a week ago was '
            f"{', '.join(late)}, because some items observed earlier were recorded only this week.</p>"
        )
    out.append(_history(b, f"Probability of {b['id']}"))
    out.append(f'<p class="legend"><a href="#h-{e(b["id"])}">Full history since {day(b["opens_at"])}</a></p>')
    out.append("<h4>Evidence logged this week</h4>")
    if b["week_evidence"]:
        rows = []
        for x in b["week_evidence"]:
            lrs, logs, pps = (t.replace("; ", "<br>") for t in effect_texts(x, e))
            moved = f"<span{_delta_class(x['pp']['yes'])}>{pps}</span>" if x["binary"] else pps
            item = f'<a href="#e-{x["id"]}">#{x["id"]}</a> {e(clip(x["summary"], 90))}'
            rows.append([item, day(x["observed_at"]), lrs, logs, moved])
        out.append(table(["Evidence", "Observed", "LR", "Log-odds (r·ln LR)", "Moved it"], rows, {1, 2, 3, 4}))
    else:
        out.append('<p class="muted">No evidence logged this week.</p>')
    out.append("<h4>Forecasts standing at the as-of time</h4>")
    out.append('<p class="legend">Each forecaster\'s latest forecast made and recorded by the as-of time.</p>')
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
    out = ['<section id="evidence"><h2>Evidence logged this week</h2>',
           '<p class="legend">Items recorded this week (recorded time), in order of observation; "Observed" is '
           "when the news became known. Effects: each item's change to the probability now.</p>"]  # fmt: skip
    if r["evidence"]:
        rows = []
        for x in r["evidence"]:
            effects = "<br>".join(effect_summary(f, e) for f in x["effects"])
            rel = f"{x['reliability']:.2f}" + (f" ({e(x['reliability_grade'])})" if x["reliability_grade"] else "")
            source = link(x["source"] or "source", x["url"]) if x["url"] else e(x["source"])
            anchor = f'<span id="e-{x["id"]}">{x["id"]}</span>'
            rows.append([anchor, day(x["observed_at"]), e(x["summary"]), source, rel, effects])
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


def _edits(r: dict[str, Any]) -> str:
    """Questions whose file changed this week (a new version): forecasts before the edit were on other terms."""
    out = ['<section id="edits"><h2>Questions edited this week</h2><ul>']
    for x in r["question_edits"]:
        fields = ", ".join(x["changed"])
        out.append(
            f"<li>{e(x['question_id'])}: version {x['version']} synced {e(x['synced_at'])} changed {e(fields)}</li>"
        )
    out.append("</ul></section>")
    return "\n".join(out)


def _resolved(r: dict[str, Any]) -> str:
    res = r["resolved"]
    out = ['<section id="resolved"><h2>Resolved this week</h2>',
           '<p class="legend">Resolutions recorded this week; scores from the forecasts made and recorded by '
           "the as-of time, each forecast counted for the time it stood (made time).</p>"]  # fmt: skip
    if not res["rows"]:
        out.append('<p class="muted">None.</p>')
    for x in res["rows"]:
        out.append(f'<h3 id="r-{e(x["id"])}"><span class="qid">{e(x["id"])}</span>: {e(x["outcome"])}</h3>')
        out.append(f"<p>{e(x['title'])} (known {day(x['known_at'])}).</p>")
        if x.get("chart"):
            out.append(_history(x, f"Probability of {x['id']}"))
        if not x["scored"]:
            out.append('<p class="muted">Not scored (ambiguous or annulled).</p>')
        elif x["scores"] and x["scores"]["rows"]:
            out.append(labelled_table(x["scores"]))
        else:
            out.append(f'<p class="muted">{e(res["note"] or "No forecasts to score.")}</p>')
    if res.get("record"):
        from forecasts.resolution import describe_resolution_row

        out.append("<p>Every resolve and unresolve recorded this week:</p><ul>")
        for x in res["record"]:
            out.append(f"<li>{e(x['question_id'])}: {e(describe_resolution_row(x, os_account=False))}</li>")
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _leaderboard(r: dict[str, Any]) -> str:
    lb = r["leaderboard"]
    out = ['<section id="leaderboard"><h2>Leaderboard</h2>',
           '<p class="legend">From resolutions and forecasts recorded by the as-of time.</p>']  # fmt: skip
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


def _pooling(r: dict[str, Any]) -> str:
    """Which crowd pool would have served the team: each method's difference to the median with its interval
    (only when there are resolved questions to backtest)."""
    pool = r.get("pooling") or {}
    if not pool.get("n_questions"):
        return ""
    rows = [(m["method"], m["diff"], m["diff_lo"], m["diff_hi"]) for m in pool["methods"]]
    out = ['<section id="pooling"><h2>Crowd pools, backtested</h2>',
           plots.pooling_svg("Each crowd pool's Brier difference to the median, with its 95% interval", rows,
                             pool["favoured"]),
           '<p class="legend">Every pool of the people\'s forecasts, as <code>forecasts aggregate --backtest</code> '
           f"scores it on {count(pool['n_questions'], 'resolved binary question')} (time-averaged Brier, lower is "
           f"better): dot, the mean difference to the median; bar, its 95% bootstrap interval over questions "
           f"({pool['bootstrap']} resamples, seed {pool['seed']}). Learned pools use only outcomes known before "
           "each instant they pool.</p>",
           f"<p>Favoured: <strong>{e(pool['favoured'])}</strong>: {e(pool['why'])}.</p>",
           "</section>"]  # fmt: skip
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
        _briefing(r),
        _scenarios(r),
        '<section id="questions"><h2>Open questions</h2>',
    ]
    if not r["questions"]:
        parts.append('<p class="muted">No open questions.</p>')
    parts += [_question(b) for b in r["questions"]]
    parts.append("</section>")
    if r.get("numeric"):
        from forecasts.report.numeric import html_section

        parts.append(html_section(r["numeric"]))
    parts += [_evidence(r), _closing_and_stale(r)] + ([_edits(r)] if r.get("question_edits") else [])
    parts += [_resolved(r), _leaderboard(r), _pooling(r), _full_histories(r)]
    parts += [_head(r["head"])] if r.get("head") else []
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _interval(row: dict[str, Any]) -> tuple[float, ...]:
    """A calibration bin's (low, high) interval of the observed frequency, or () when it has none."""
    lo, hi = row.get("ci95_low"), row.get("ci95_high")
    return (float(lo), float(hi)) if isinstance(lo, int | float) and isinstance(hi, int | float) else ()
