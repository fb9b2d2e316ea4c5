"""The report's first screen: what changed this week and why, scenarios, resolutions and the leaderboard's top,
condensed from the detail sections' data so the two always agree."""

from __future__ import annotations

import math
from typing import Any

TOP_MOVERS = 3
WHY_ITEMS = 3
TOP_LEADERS = 3
LEADER_SCORES = ("relative_brier", "brier")  # shown beside each leader when present


def _why(block: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    """This week's evidence on the question, largest effect on `outcome` first."""
    items = [x for x in block["week_evidence"] if outcome in x.get("pp", {})]
    items.sort(key=lambda x: (-abs(x["pp"][outcome]), x["id"]))
    return [{"id": x["id"], "summary": x["summary"], "pp": x["pp"][outcome]} for x in items[:WHY_ITEMS]]


def _scenario_change(sc: dict[str, Any], sid: str) -> float | None:
    series = ((sc.get("trend") or {}).get("series") or {}).get(sid) or []
    if len(series) < 2 or any(not isinstance(v, float) or math.isnan(v) for v in series[-2:]):
        return None
    return series[-1] - series[-2]


def briefing(r: dict[str, Any]) -> dict[str, Any]:
    """Plain data for the first screen, from the built report `r`."""
    blocks = {b["id"]: b for b in r["questions"]}
    movers = []
    for m in r["movers"][:TOP_MOVERS]:
        b = blocks[m["id"]]
        late = b.get("before_observed")
        hindsight = None if late is None or b["before"] is None else late[m["outcome"]] - b["before"][m["outcome"]]
        late_pp = hindsight if hindsight is not None and abs(hindsight) >= 5e-4 else None
        movers.append(m | {"why": _why(b, m["outcome"]), "late_evidence_pp": late_pp})
    sc = r["scenarios"]
    scenarios = [
        {"id": s["id"], "title": s["title"], "probability": s["probability"], "change": _scenario_change(sc, s["id"])}
        for s in sc["rows"]
    ]
    lb = r["leaderboard"]
    leaders = []
    if lb.get("table"):
        keys = [c["key"] for c in lb["table"]["columns"]]
        shown = [k for k in LEADER_SCORES if k in keys]
        for row in lb["table"]["rows"][:TOP_LEADERS]:
            leaders.append(
                {"rank": row.get("rank"), "forecaster": row.get("forecaster"), "n_questions": row.get("n_questions"),
                 "scores": {k: row.get(k) for k in shown}}
            )  # fmt: skip
    return {
        "movers": movers,
        "scenarios": scenarios,
        "scenario_note": sc["note"],
        "resolved": [
            {"id": x["id"], "title": x["title"], "outcome": x["outcome"], "known_at": x["known_at"]}
            for x in r["resolved"]["rows"]
        ],  # fmt: skip
        "leaders": leaders,
        "leader_note": lb.get("note", ""),
        "history": r["summary"]["history_recap"],
    }
