"""Render the weekly report data as Markdown; user text is escaped so it can't become markup or links."""

from __future__ import annotations

import re
from typing import Any

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

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LEADING = re.compile(r"^([-+#=])")


def md(text: Any) -> str:
    """Escape user text for Markdown: HTML characters as entities, Markdown punctuation with backslashes,
    and newlines folded, so the text stays one inert table cell or paragraph."""
    s = " ".join(neutral(str(text if text is not None else "")).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _LEADING.sub(r"\\\1", s)
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", s)


def link(label: str, url: str | None) -> str:
    """A Markdown link for http(s) URLs only; anything else is shown as escaped text."""
    if safe_url(url):
        return f"[{md(label)}](<{url}>)"
    return md(label) + (f" ({md(url)})" if url else "")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def labelled_table(t: dict[str, Any]) -> list[str]:
    """A table from another module (columns with descriptions): the rows, then what each column means."""
    keys = [c["key"] for c in t["columns"]]
    rows = [[md(r.get(k)) if isinstance(r.get(k), str) else cell(r.get(k)) for k in keys] for r in t["rows"]]
    out = table([md(human(k)) for k in keys], rows)
    legend = [f"{md(human(c['key']))}: {md(meaning(c['key'], c['label']))}" for c in t["columns"]
              if meaning(c["key"], c["label"]).lower() not in (c["key"], human(c["key"]).lower())]  # fmt: skip
    return out + ([("Columns: " + "; ".join(legend) + "."), ""] if legend else [])


def _history_recap(h: dict[str, Any] | None) -> list[str]:
    """The briefing's paragraph on a history recorded this week: what its newest months did to the open questions."""
    if not h:
        return []
    out = ["", "### The history recorded this week", ""]
    out.append(
        f"{count(h['items'], 'evidence item')} observed {day(h['first_observed'])} to {day(h['last_observed'])} "
        "were recorded this week: history, not this week's news (no move above counts them; the charts place them "
        f"at their observation dates). Its newest stretch, {day(h['span_start'])} to {day(h['last_observed'])} "
        f"({count(h['items_in_span'], 'item')}), moved these open questions most (fast path, every item at its "
        "observation date; the change includes time passing, the share in brackets is the stretch's evidence):"
    )
    out.append("")
    for i, m in enumerate(h["moves"], 1):
        label = "" if m["outcome"] == "yes" else f" ({md(m['outcome'])})"
        change = f"{pp(100 * (m['end'] - m['start']))}; evidence {pp(100 * m['evidence'])}"
        out.append(f"{i}. **{md(m['id'])}**{label}: {pct(m['start'])} → **{pct(m['end'])}** ({change})"
                   f" — {md(m['title'])}")  # fmt: skip
        out += [f"   - \\#{x['id']} ({day(x['observed_at'])}) {md(clip(x['summary']))} ({pp(x['pp'])})"
                for x in m["why"]]  # fmt: skip
        if not m["why"]:
            out.append("   - no item of the stretch bears on it: time passing")
    return out


def _briefing(r: dict[str, Any]) -> list[str]:
    """The first screen: what changed this week and why, scenarios, resolutions, the leaderboard's top."""
    s, br = r["summary"], r["briefing"]
    out = ["## This week in brief", ""]
    out.append(
        f"{open_questions(s)}; {count(s['evidence_this_week'], 'evidence item')} logged; "
        f"{count(s['forecasts_this_week'], 'forecast')} by people ({s['model_forecasts_this_week']} by the "
        f"model/aggregates); {count(s['resolved_this_week'], 'question')} resolved. Probabilities on this page are "
        "as on record at the end of each week (recorded time)."
    )
    out += [""] + [f"- {md(x)}" for x in br.get("facts", [])]
    out += ["", "### What moved, and why", ""]
    if br["movers"]:
        for i, m in enumerate(br["movers"], 1):
            label = "" if m["outcome"] == "yes" else f" ({md(m['outcome'])})"
            out.append(f"{i}. **{md(m['id'])}**{label}: {pct(m['before'])} → **{pct(m['now'])}** "
                       f"({pp(100 * m['delta'])}) — {md(m['title'])}")  # fmt: skip
            out += [f"   - \\#{x['id']} {md(clip(x['summary']))} ({pp(x['pp'])})" for x in m["why"]]
            if m.get("resolved"):
                late = "" if m["resolved"]["known_this_week"] else "; known before this week, only recorded now"
                known = day(m["resolved"]["known_at"])
                out.append(f"   - resolved {md(m['resolved']['outcome'])} (known {known}{late})")
            elif not m["why"]:
                out.append("   - no new evidence on it this week: time passing or a retraction")
            if m["late_evidence_pp"] is not None:
                out.append(f"   - {pp(100 * m['late_evidence_pp'])} of the change comes from evidence observed before "
                           "the week began but recorded only this week")  # fmt: skip
    else:
        out.append("No question moved this week.")
    out += _history_recap(br["history"])
    if s["new_this_week"]:
        out += ["", "Opened this week: " + ", ".join(md(q) for q in s["new_this_week"]) + "."]
    out += ["", "### Scenarios", ""]
    if br["scenarios"]:
        rows = [[f"**{md(x['id'])}** {md(x['title'])}", pct(x["probability"]),
                 "new" if x["change"] is None else pp(100 * x["change"])] for x in br["scenarios"]]  # fmt: skip
        out += table(["Scenario", "Probability", "Change this week"], rows)
    else:
        out += [md(br["scenario_note"]), ""]
    out += ["### Resolved this week", ""]
    out += [f"- **{md(x['id'])}**: {md(x['outcome'])} (known {day(x['known_at'])}"
            f"{'' if x['known_this_week'] else '; known before this week, only recorded now'}) — {md(x['title'])}"
            for x in br["resolved"]] or ["None."]  # fmt: skip
    out += ["", "### Leaderboard (top)", ""]
    if br["leaders"]:
        keys = list(br["leaders"][0]["scores"])
        rows = [[str(x["rank"]), md(x["forecaster"]), str(x["n_questions"]), *[cell(x["scores"][k]) for k in keys]]
                for x in br["leaders"]]  # fmt: skip
        out += table(["Rank", "Forecaster", "Questions", *[md(human(k)) for k in keys]], rows)
    else:
        out += [md(br["leader_note"] or "No scored questions yet."), ""]
    return out


def _scenarios(r: dict[str, Any]) -> list[str]:
    sc = r["scenarios"]
    out = ["## Scenarios", ""]
    if sc["rows"]:
        trend = sc.get("trend") or {}
        rows = []
        for s_ in sc["rows"]:
            iv = s_["interval"]
            series = (trend.get("series") or {}).get(s_["id"], [])
            spark = f"{pct(series[0])} → {pct(series[-1])}" if len(series) > 1 else "—"
            signs = "; ".join(f"{md(x['what'])} {md(x['movement'])} ({md(x['signal'])})" for x in s_["signposts"])
            rows.append(
                [f"**{md(s_['id'])}** {md(s_['title'])}", pct(s_["probability"]),
                 f"{pct(iv[0])} – {pct(iv[1])}" if iv else "—", pct(s_["independent"]), spark, signs]
            )  # fmt: skip
        out += table(
            ["Scenario", "Probability", "90% interval", "If independent", "Trend (8 weeks, recorded)", "Signposts"],
            rows,
        )
    else:
        out += [md(sc["note"]), ""]
    return out


def _question(b: dict[str, Any]) -> list[str]:
    binary = b["type"] == "binary"
    out = [f"### {md(b['id'])}: {md(b['title'])}", ""]
    kind = "binary" + (", deadline question" if b["deadline"] else "") if binary else b["type"]
    out.append(
        f"{kind}; opened {day(b['opens_at'])}, closes {day(b['closes_at'])}; "
        f"{count(b['evidence_count'], 'evidence item')}; prior {probs_text(b['prior'], binary)}."
    )
    out.append("")
    iv = b["interval"]
    rows = []
    for o in ["yes"] if binary else b["outcomes"]:
        before = b["before"][o] if b["before"] else None
        delta = None if before is None else 100 * (b["now"][o] - before)
        rows.append([md(o), pct(b["now"][o]), pct(before), pp(delta), f"{pct(iv['lo'][o])} – {pct(iv['hi'][o])}"])
    out += table(["Outcome", "Now", "A week ago (as recorded then)", "Change", "90% credible interval"], rows)
    out.append(f"Now and a week ago: the fast path from the evidence on record at each time (recorded time). "
               f"Interval: {md(iv['method'])}.")  # fmt: skip
    out.append("")
    for s in b["trajectory"]["series"]:
        name = "" if binary else f"{md(s['name'])} "
        out.append(f"Trajectory {name}since {day(b['opens_at'])} (evidence at its observation date): "
                   f"`{s['spark']}` → {pct(s['values'][-1])}  ")  # fmt: skip
    out.append("")
    if b["week_evidence"]:
        out += ["Evidence logged this week:", ""]
        rows = []
        for e in b["week_evidence"]:
            lrs, logs, pps = effect_texts(e, md)
            rows.append([f"#{e['id']} {md(e['summary'])}", day(e["observed_at"]), lrs, logs, pps])
        out += table(["Evidence", "Observed", "LR", "Log-odds (r·ln LR)", "Moved it (pp)"], rows)
    else:
        out += ["No evidence logged this week.", ""]
    rows = []
    for f in b["forecasts"]:
        who = md(f["forecaster"]) + ("" if f["kind"] == "person" else f" ({md(f['kind'])})")
        rows.append([who, probs_text(f["probabilities"], binary), day(f["made_at"]), md(f["rationale"])])
    crowd = b["crowd"]
    if crowd and crowd["source"] != "crowd forecaster":
        rows.append([f"**crowd** (median of {crowd['n']})", probs_text(crowd["probabilities"], binary), "—", ""])
    if rows:
        out += ["Forecasts standing at the as-of time:", ""]
        out += table(["Forecaster", "P(yes)" if binary else "Probabilities", "Made", "Rationale"], rows)
    else:
        out += ["No forecasts yet.", ""]
    return out


def render_markdown(r: dict[str, Any]) -> str:
    """The whole report as Markdown text (deterministic: no clock, fixed number formats)."""
    out = [
        f"# Weekly forecasting report {r['week']}",
        "",
        f"As of **{r['as_of']}** (end of ISO week {r['week']}, which began {r['week_start']}). "
        "Built only from evidence, forecasts and resolutions recorded by then.",
        "",
    ]
    if r.get("provisional"):
        out += [f"**Provisional:** the week is not over; regenerate after {r['as_of']} for the final report.", ""]
    out += _briefing(r)
    out += _scenarios(r)
    out += ["## Open questions", ""]
    if not r["questions"]:
        out += ["No open questions.", ""]
    for b in r["questions"]:
        out += _question(b)
    if r.get("numeric"):
        from forecasts.report.numeric import markdown_lines

        out += markdown_lines(r["numeric"], md)
    out += ["## Evidence logged this week", "",
            "Items recorded this week (recorded time), in order of observation; Observed is when the news became "
            "known.", ""]  # fmt: skip
    if r["evidence"]:
        rows = []
        for e in r["evidence"]:
            effects = "; ".join(effect_summary(x, md) for x in e["effects"])
            rel = f"{e['reliability']:.2f}" + (f" ({md(e['reliability_grade'])})" if e["reliability_grade"] else "")
            rows.append(
                [f"{e['id']}", day(e["observed_at"]), md(e["summary"]), link(e["source"] or "source", e["url"])
                 if e["url"] else md(e["source"]), rel, effects]
            )  # fmt: skip
        out += table(["#", "Observed", "Summary", "Source", "Reliability", "Effect on each question"], rows)
    else:
        out += ["None.", ""]
    if r["retractions"]:
        out += ["Retracted this week:", ""]
        out += [f"- \\#{x['evidence_id']} {md(x['summary'])} — {md(x['reason'])}" for x in r["retractions"]] + [""]
    out += ["## Closing in the next 30 days", ""]
    if r["closing"]:
        rows = [
            [md(c["id"]), md(c["title"]), day(c["closes_at"]), f"{c['days_left']:.0f}",
             probs_text(c["now"], c["type"] == "binary")]
            for c in r["closing"]
        ]  # fmt: skip
        out += table(["Question", "Title", "Closes", "Days left", "Now"], rows)
    else:
        out += ["None.", ""]
    if r["awaiting_resolution"]:
        out += ["Closed, awaiting resolution: " + ", ".join(md(a["id"]) for a in r["awaiting_resolution"]) + ".", ""]
    out += ["## Stale forecasts", "", f"Stale: {md(r['stale_rule'])}.", ""]
    if r["stale"]:
        rows = [
            [md(s["question"]), md(s["forecaster"]), day(s["made_at"]), f"{s['age_days']:.0f}",
             f"{100 * s['share_of_life']:.0f}%"]
            for s in r["stale"]
        ]  # fmt: skip
        out += table(["Question", "Forecaster", "Last updated", "Age (days)", "Share of life"], rows)
    else:
        out += ["None.", ""]
    if r.get("question_edits"):  # a question's criteria, dates or wording changed: forecasts before were on another
        out += ["## Questions edited this week", ""]
        for x in r["question_edits"]:
            fields = ", ".join(x["changed"])
            out.append(f"- {md(x['question_id'])}: version {x['version']} synced {x['synced_at']} changed {md(fields)}")
        out.append("")
    out += ["## Resolved this week", ""]
    res = r["resolved"]
    if res["rows"]:
        for x in res["rows"]:
            out += [f"### {md(x['id'])}: {md(x['outcome'])}", "", f"{md(x['title'])} (known {day(x['known_at'])}).", ""]
            if not x["scored"]:
                out += ["Not scored (ambiguous or annulled).", ""]
            elif x["scores"] and x["scores"]["rows"]:
                out += labelled_table(x["scores"])
            elif res["note"]:
                out += [md(res["note"]), ""]
            else:
                out += ["No forecasts to score.", ""]
    else:
        out += ["None.", ""]
    if res.get("record"):
        from forecasts.resolution import describe_resolution_row

        out += ["Every resolve and unresolve recorded this week:", ""]
        for x in res["record"]:
            out.append(f"- {md(x['question_id'])}: {md(describe_resolution_row(x, os_account=False))}")
        out.append("")
    lb = r["leaderboard"]
    out += ["## Leaderboard", "", "From resolutions and forecasts recorded by the as-of time.", ""]
    out += labelled_table(lb["table"]) if lb["table"] else [md(lb["note"]), ""]
    out += ["## Calibration", ""]
    calib = lb.get("calibration") or []
    if calib:
        out += [
            "Forecasts standing at each scored question's close, in percent bins (categorical: one per outcome).",
            "",
        ]
        for c in calib:
            m = c["murphy"]
            out += [f"### {md(c['name'])}", ""]
            out += labelled_table(c["bins"]) if c["bins"]["rows"] else ["No scored forecasts.", ""]
            if m.get("n"):
                out += [f"Murphy decomposition over {count(m['n'], 'forecast')}: "
                        f"Brier (binned) {cell(m.get('brier_binned'))} = "
                        f"reliability {cell(m.get('reliability'))} − resolution {cell(m.get('resolution'))} + "
                        f"uncertainty {cell(m.get('uncertainty'))}.", ""]  # fmt: skip
    else:
        out += [md(lb["note"] or "No calibration data yet."), ""]
    if r.get("head"):
        out += _head(r["head"])
    return "\n".join(out).rstrip("\n") + "\n"


def _head(head: dict[str, Any]) -> list[str]:
    """The ledger head as of the report (docs/publishing.md): `forecasts db check --against` this file later."""
    from forecasts.store.head import head_line

    rows = [[t, str(v["rows"]), f"#{v['last_id']}" if v["rows"] else "", f"`{v['digest'][:16]}`" if v["rows"] else ""]
            for t, v in sorted(head["tables"].items())]  # fmt: skip
    return [
        "## Ledger head",
        "",
        "The hash chains' heads over the rows recorded by the as-of time. Keep this file: "
        "`forecasts db check --against` it later shows whether the records still pass through this head.",
        "",
        *table(["Table", "Rows", "Last row", "Head"], rows),
        "```",
        head_line(head),
        "```",
        "",
    ]
