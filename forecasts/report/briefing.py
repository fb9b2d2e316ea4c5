"""The report's first screen: what changed this week and why, scenarios, resolutions and the leaderboard's top,
condensed from the detail sections' data so the two always agree."""

from __future__ import annotations

import math
from typing import Any

TOP_MOVERS = 3
WHY_ITEMS = 3
TOP_LEADERS = 3
LEADER_SCORES = ("relative_brier_own", "brier", "relative_crps")  # shown beside each leader when present (the
# numeric column only once a numeric or date question is scored: a forecaster of only those has no Brier)


def _why(block: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    """This week's evidence on the question, largest effect on `outcome` first."""
    items = [x for x in block["week_evidence"] if outcome in x.get("pp", {})]
    items.sort(key=lambda x: (-abs(x["pp"][outcome]), x["id"]))
    return [{"id": x["id"], "summary": x["summary"], "pp": x["pp"][outcome]} for x in items[:WHY_ITEMS]]


def _scenario_change(row: dict[str, Any]) -> float | None:
    """The change from last week's report's own value; None when last week had no scenario (new, not a move)."""
    prev = row.get("previous")
    if not isinstance(prev, float) or math.isnan(prev):
        return None
    return row["probability"] - prev


def _day(stamp: str) -> str:
    return stamp[:10]


def _days(x: float) -> str:
    n = int(x)
    return f"{n} day" if n == 1 else f"{n} days"


def _facts(r: dict[str, Any], resolved: list[dict[str, Any]]) -> list[str]:
    """Plain sentences (the renderers escape them) that keep what became known this week apart from what was only
    recorded this week, and say how old the newest evidence is."""
    s, week_ago = r["summary"], r["week_ago"]
    out = []
    observed = s.get("evidence_observed_this_week", 0)
    hist = s.get("evidence_recorded_late") or {}
    earlier = int(hist.get("items") or 0)
    known = [x for x in resolved if x["known_this_week"]]
    late = [x for x in resolved if not x["known_this_week"]]
    out.append(
        f"Became known this week: {observed} evidence item{'' if observed == 1 else 's'} observed in the week; "
        f"{len(known)} resolution{'' if len(known) == 1 else 's'} known in the week."
    )
    if earlier or late:
        parts = []
        if earlier:
            span = f", observed {_day(hist['first_observed'])} to {_day(hist['last_observed'])}"
            parts.append(f"{earlier} evidence item{'' if earlier == 1 else 's'} observed before the week{span}")
        if late:
            parts.append(f"{len(late)} resolution{'' if len(late) == 1 else 's'} known earlier ("
                         + ", ".join(f"{x['id']} on {_day(x['known_at'])}" for x in late) + ")")  # fmt: skip
        out.append("Only recorded this week (old news, not this week's events): " + "; ".join(parts) + ".")
    newest = s.get("newest_evidence")
    if newest is None:
        out.append("No evidence is on record yet.")
    else:
        age = f"{_days(newest['age_days'])} before the week's end"
        text = f"Newest evidence on record: observed {_day(newest['observed_at'])}, {age}."
        if newest["stale"]:
            text += (f" Warning: stale (older than {newest['stale_days']} days); the probabilities here rest on old "
                     "news — log recent evidence before acting on them.")  # fmt: skip
        out.append(text)
    if week_ago and s.get("added_this_week"):
        out.append("Not on record a week ago (shown as new, not as moves): " + ", ".join(s["added_this_week"]) + ".")
    return out


def briefing(r: dict[str, Any]) -> dict[str, Any]:
    """Plain data for the first screen, from the built report `r`."""
    blocks = {b["id"]: b for b in r["questions"]}
    movers = []
    for m in r["movers"][:TOP_MOVERS]:
        b = blocks.get(m["id"])
        why = _why(b, m["outcome"]) if b is not None else []
        movers.append(m | {"why": why})
    sc = r["scenarios"]
    scenarios = [
        {"id": s["id"], "title": s["title"], "probability": s["probability"], "change": _scenario_change(s)}
        for s in sc["rows"]
    ]
    lb = r["leaderboard"]
    leaders = []
    if lb.get("table"):
        keys = [c["key"] for c in lb["table"]["columns"]]
        shown = [k for k in LEADER_SCORES if k in keys]
        for row in lb["table"]["rows"][:TOP_LEADERS]:
            leaders.append(
                {"rank": row.get("rank"), "forecaster": row.get("forecaster"),
                 "n_questions": (row.get("n_questions") or 0) + (row.get("n_numeric") or 0),
                 "scores": {k: row.get(k) for k in shown}}
            )  # fmt: skip
    resolved = [
        {"id": x["id"], "title": x["title"], "outcome": x["outcome"], "known_at": x["known_at"],
         "known_this_week": bool(x["known_at"]) and x["known_at"] > r["week_ago"]}
        for x in r["resolved"]["rows"]
    ]  # fmt: skip
    return {
        "facts": _facts(r, resolved),
        "movers": movers,
        "scenarios": scenarios,
        "scenario_note": sc["note"],
        "resolved": resolved,
        "leaders": leaders,
        "leader_note": lb.get("note", ""),
        "history": r["summary"]["history_recap"],
    }
