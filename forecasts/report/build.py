"""Gather everything the weekly report shows into plain data, from what was known by the end of the week.

The as-of time is the last second of the ISO week. Evidence, retractions, forecasts and resolutions
recorded after it are ignored, and nothing here reads the clock, so a past week regenerates byte for byte.
Each table is loaded once for the whole report; the maths lives in forecasts.report.trajectory.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import forecasts.report.history as history
import forecasts.report.trajectory as tr
from forecasts.bayes.interval import monte_carlo_posterior
from forecasts.errors import ForecastsError
from forecasts.forecasters import CROWD, MODEL, RECONSTRUCTED
from forecasts.probabilities import Link, probability_from_links
from forecasts.questions import Question, all_questions
from forecasts.report.briefing import briefing
from forecasts.report.recap import history_ids, recap
from forecasts.resolution import UNSCORED, all_resolutions, resolution_history
from forecasts.score_labels import (
    DERIVED_SCORE_FIELDS,
    NUMERIC_LEADERBOARD_FIELDS,
    NUMERIC_SCORE_FIELDS,
    REPORT_NUMERIC_SCORE_FIELDS,
    REPORT_SCORE_FIELDS,
    SCORE_FIELDS,
)
from forecasts.score_labels import described as described_scores
from forecasts.store.db import Database
from forecasts.store.head import ledger_head
from forecasts.timeutil import from_iso, iso_week, now_utc, started_week, to_iso
from forecasts.versions import edits_between

WEEK = timedelta(days=7)
CLOSING_WINDOW = timedelta(days=30)
STALE_SHARE = 0.25  # stale: not updated for more than this share of the question's life so far ...
STALE_MIN_DAYS = 7  # ... and at least a week,
STALE_DAYS = 30  # or for this many days whatever the question's age
TRAJECTORY_POINTS = 121
BAND_DRAWS = 1000
MOVERS = 5
HISTORY_LAG = WEEK  # an item recorded this week but observed this long before the week began is history (backfill)
CALIBRATION_SERIES = 6
TREND_WEEKS = 8
EVIDENCE_STALE_DAYS = 14  # the brief warns when the newest evidence on record is older than this at the week's end


def week_bounds(week: str | None) -> tuple[str, datetime, datetime]:
    """(label, start, as_of): as_of is the last second of the ISO week, so weeks never share a row."""
    label, start, end = iso_week(week)
    return label, start, end - timedelta(seconds=1)


def _records(frame: Any) -> list[dict[str, Any]]:
    """A score table's rows as dicts (values as pandas gives them: the report formats NaN itself)."""
    return [dict(r) for r in frame.to_dict("records")]


def _arrays(q: Question, links: list[Link]) -> tr.LinkArrays:
    """A question's links as sorted numpy columns (active_links already orders them by observed_at)."""
    if not links:
        return tr.LinkArrays.empty()
    index = {o: i for i, o in enumerate(q.outcomes)}
    r = np.fromiter((lk.reliability for lk in links), float, len(links))
    return tr.LinkArrays(
        observed=np.fromiter((lk.observed_at.timestamp() for lk in links), float, len(links)),
        outcome=np.fromiter((0 if q.is_binary else index.get(lk.outcome, 0) for lk in links), int, len(links)),
        shift=r * np.fromiter((lk.log_lr for lk in links), float, len(links)),
        var=(r * np.fromiter((lk.log_lr_sd for lk in links), float, len(links))) ** 2,
        evidence_id=np.fromiter((lk.evidence_id for lk in links), int, len(links)),
    )


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_links(
    db: Database, as_of: datetime, week_ago: datetime
) -> tuple[dict[str, list[Link]], dict[str, list[Link]]]:
    """active_links(db, as_of) and active_links(db, week_ago) from one query (the same rows and order).

    A link counts at a moment when its evidence was recorded by then and not retracted by then; retractions
    are joined once (grouped), not probed per row.
    """
    sql = """
        SELECT l.evidence_id, l.question_id, l.outcome, l.log_lr, l.log_lr_sd,
               e.reliability, e.observed_at, e.recorded_at, e.summary, r.retracted_at
        FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id
        LEFT JOIN (SELECT evidence_id, MIN(recorded_at) AS retracted_at FROM evidence_retractions
                   WHERE recorded_at <= :known GROUP BY evidence_id) r ON r.evidence_id = e.id
        WHERE e.recorded_at <= :known
        ORDER BY e.observed_at, e.id, l.id
    """
    now: dict[str, list[Link]] = defaultdict(list)
    prev: dict[str, list[Link]] = defaultdict(list)
    known, before = to_iso(as_of), to_iso(week_ago)
    parsed: dict[str, datetime] = {}
    for row in db.conn.execute(sql, {"known": known}):
        obs = parsed.get(row[6]) or parsed.setdefault(row[6], _stamp(row[6]))
        rec = parsed.get(row[7]) or parsed.setdefault(row[7], _stamp(row[7]))
        link = Link(row[0], row[1], row[2], row[3], row[4], row[5], obs, rec, row[8])
        if row[9] is None:
            now[row[1]].append(link)
        if row[7] <= before and (row[9] is None or row[9] > before):
            prev[row[1]].append(link)
    return now, prev


def _load_forecasts(db: Database, as_of: datetime) -> list[dict[str, Any]]:
    """Every forecast made and recorded by as_of, oldest first (one query for the whole report)."""
    stamp = to_iso(as_of)
    rows = db.conn.execute(
        """SELECT f.id, f.question_id, f.forecaster_id, f.made_at, f.probability, f.probabilities, f.rationale,
                  COALESCE(p.kind, 'person')
           FROM forecasts f LEFT JOIN forecasters p ON p.id = f.forecaster_id
           WHERE f.made_at <= ? AND f.recorded_at <= ? ORDER BY f.made_at, f.id""",
        [stamp, stamp],
    ).fetchall()
    return [
        {
            "id": r[0],
            "question": r[1],
            "forecaster": r[2],
            "made_at": r[3],
            "probability": r[4],
            "probabilities": json.loads(r[5]) if r[5] else None,
            "rationale": r[6],
            "kind": r[7],
        }
        for r in rows
    ]


def _probs(q: Question, f: dict[str, Any]) -> dict[str, float]:
    if f["probabilities"] is not None:
        return {o: float(f["probabilities"][o]) for o in q.outcomes}
    return {"yes": float(f["probability"]), "no": 1.0 - float(f["probability"])}


def _crowd(q: Question, standing: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The `crowd` forecaster's standing forecast if it is at least as new as every person's, else the median
    of people's standing forecasts (a crowd recorded before someone's newer forecast would be stale)."""
    people_rows = [f for f in standing.values() if f["kind"] == "person"]
    crowd = standing.get(CROWD)
    if crowd is not None and all(crowd["made_at"] >= f["made_at"] for f in people_rows):
        return {"probabilities": _probs(q, crowd), "source": "crowd forecaster", "n": None}
    people = [_probs(q, f) for f in people_rows]
    if not people:
        return None
    med = {o: statistics.median(p[o] for p in people) for o in q.outcomes}
    total = sum(med.values())
    return {"probabilities": {o: v / total for o, v in med.items()}, "source": "median of people", "n": len(people)}


def _interval(db: Database, q: Question, links: list[Link], week_ago: datetime, as_of: datetime) -> dict[str, Any]:
    """The PyMC model's stored run when one describes this week with the same evidence, else seeded Monte Carlo."""
    from forecasts.bayes.runs import latest_posterior

    post = latest_posterior(db, q.id, known_by=as_of)
    if (
        post
        and float(post.get("trust") or 1.0) == 1.0  # a --calibrated run answers another question
        and str(post.get("as_of", "")) > to_iso(week_ago)
        and sorted(set(post.get("evidence_ids") or [])) == sorted({lk.evidence_id for lk in links})
        and all(o in post["lo"] and o in post["hi"] for o in q.outcomes)
    ):
        diag = f"; R-hat max {post['rhat_max']:.3f}" if isinstance(post.get("rhat_max"), float) else ""
        return {
            "mean": {o: float(post["mean"][o]) for o in q.outcomes},
            "lo": {o: float(post["lo"][o]) for o in q.outcomes},
            "hi": {o: float(post["hi"][o]) for o in q.outcomes},
            "method": f"PyMC model run #{post.get('id')} as of {post['as_of']}{diag}",
        }
    mc = monte_carlo_posterior(q, links, as_of, seed=0)
    return mc | {"method": "Monte Carlo of the fast path with its uncertainties (seed 0)"}


def _question_block(
    db: Database,
    q: Question,
    links: list[Link],
    arrays: tr.LinkArrays,
    prev_links: list[Link],
    standing: dict[str, dict[str, Any]],
    week_ago: datetime,
    as_of: datetime,
    rows: list[dict[str, Any]] | None = None,
    prev_q: Question | None = None,
) -> dict[str, Any]:
    now = probability_from_links(q, links, as_of)
    # a week ago: exactly what last week's report showed (the question version and evidence on record then);
    # a question not on record then has no previous value (new, not a move)
    before = probability_from_links(prev_q, prev_links, week_ago) if prev_q and prev_q.opens_at <= week_ago else None
    # the chart's value a week ago: today's evidence placed at observation dates (differs when items were late)
    before_observed = probability_from_links(q, links, week_ago) if before is not None else None
    times = np.linspace(q.opens_at.timestamp(), as_of.timestamp(), TRAJECTORY_POINTS)
    values = tr.path(q, arrays, times)
    lo, hi = tr.band(q, arrays, times, draws=BAND_DRAWS, seed=0)
    used = arrays.observed <= times[-1]
    obs = np.clip(arrays.observed[used], times[0], times[-1])
    at_obs = tr.path(q, arrays, obs) if len(obs) else np.zeros((0, len(q.outcomes)))
    col = np.zeros(len(obs), dtype=int) if q.is_binary else arrays.outcome[used]
    heights = at_obs[np.arange(len(obs)), col] if len(obs) else np.zeros(0)
    signs = np.sign(arrays.shift[used]).astype(int)
    markers = list(zip(obs.tolist(), heights.tolist(), signs.tolist(), strict=True))
    shown = ["yes"] if q.is_binary else list(q.outcomes)
    series = [
        {
            "name": o,
            "values": values[:, k].tolist(),
            "lo": lo[:, k].tolist(),
            "hi": hi[:, k].tolist(),
            "spark": tr.sparkline(values[:, k]),
        }
        for k, o in enumerate(q.outcomes)
        if o in shown
    ]
    forecasts = [
        {
            "forecaster": name,
            "kind": f["kind"],
            "made_at": f["made_at"],
            "probabilities": _probs(q, f),
            "rationale": f["rationale"],
        }
        for name, f in sorted(standing.items())
        if not _superseded(name, standing)
    ]
    return {
        "id": q.id,
        "title": q.title,
        "type": q.type,
        "outcomes": list(q.outcomes),
        "deadline": q.deadline_question,
        "opens_at": to_iso(q.opens_at),
        "closes_at": to_iso(q.closes_at),
        "prior": q.prior_probabilities(),
        "now": now,
        "before": before,
        "before_observed": before_observed,
        "interval": _interval(db, q, links, week_ago, as_of),
        "evidence_count": len({lk.evidence_id for lk in links}),
        "trajectory": {"times": times.tolist(), "series": series, "markers": markers},
        "forecasts": forecasts,
        "crowd": _crowd(q, standing),
        "week_evidence": [],
        "chart": history.chart(q, arrays, rows or [], now, as_of),
    }


def _superseded(name: str, standing: dict[str, dict[str, Any]]) -> bool:
    """One row per forecaster kind: the replay is left out where the live model stands (it is the model's history,
    not a second model), and a `crowd` row older than some person's forecast is left out (the report shows the
    people's median instead, see _crowd)."""
    if name == RECONSTRUCTED:
        return MODEL in standing
    if name == CROWD:
        return any(f["kind"] == "person" and f["made_at"] > standing[name]["made_at"] for f in standing.values())
    return False


def _delta(q_block: dict[str, Any]) -> tuple[str, float] | None:
    """The outcome that moved most this week and by how much (None for questions new this week)."""
    before = q_block["before"]
    if before is None:
        return None
    shown = ["yes"] if q_block["type"] == "binary" else q_block["outcomes"]
    best = max(shown, key=lambda o: (abs(q_block["now"][o] - before[o]), -shown.index(o)))
    return best, q_block["now"][best] - before[best]


def _week_evidence(
    db: Database,
    questions: dict[str, Question],
    arrays: dict[str, tr.LinkArrays],
    links_now: dict[str, list[Link]],
    week_ago: datetime,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Evidence recorded this week (and not retracted by as_of) with each link's log-odds and pp effect.

    History onboarded this week (observed more than HISTORY_LAG before the week began) is not this week's news and
    is left out (see `_history_this_week`)."""
    rows = db.conn.execute(
        """SELECT id, observed_at, recorded_at, summary, source, url, reliability, reliability_grade, recorded_by
           FROM evidence WHERE recorded_at > ? AND recorded_at <= ? AND observed_at > ? ORDER BY observed_at, id""",
        [to_iso(week_ago), to_iso(as_of), to_iso(week_ago - HISTORY_LAG)],
    ).fetchall()
    items = {
        r[0]: {
            "id": r[0],
            "observed_at": r[1],
            "recorded_at": r[2],
            "summary": r[3],
            "source": r[4],
            "url": r[5],
            "reliability": r[6],
            "reliability_grade": r[7],
            "recorded_by": r[8],
            "effects": [],
        }
        for r in rows
    }
    if not items:
        return []
    for qid in sorted(links_now):
        q = questions.get(qid)
        if q is None:
            continue
        week_links = [lk for lk in links_now[qid] if lk.evidence_id in items]
        if not week_links:
            continue
        ids = np.array(sorted({lk.evidence_id for lk in week_links}), dtype=int)
        change = tr.leave_one_out(q, arrays[qid], as_of.timestamp(), ids)
        shown = ["yes"] if q.is_binary else list(q.outcomes)
        effects: dict[int, dict[str, Any]] = {}
        for lk in week_links:
            key = "yes" if q.is_binary else lk.outcome
            eff = effects.setdefault(lk.evidence_id, {"question": qid, "binary": q.is_binary, "lr": {}, "log_odds": {}})
            eff["lr"][key] = math.exp(lk.log_lr)
            eff["log_odds"][key] = lk.reliability * lk.log_lr
        for i, eid in enumerate(ids):
            effects[int(eid)]["pp"] = {o: 100.0 * float(change[i, q.outcomes.index(o)]) for o in shown}
            items[int(eid)]["effects"].append(effects[int(eid)])
    return [it for it in items.values() if it["effects"]]


def _history_this_week(db: Database, week_ago: datetime, as_of: datetime) -> dict[str, Any]:
    """Evidence recorded this week but observed long before it (a history onboarded): counted, not listed as news."""
    row = db.conn.execute(
        "SELECT COUNT(*), MIN(observed_at), MAX(observed_at) FROM evidence "
        "WHERE recorded_at > ? AND recorded_at <= ? AND observed_at <= ?",
        [to_iso(week_ago), to_iso(as_of), to_iso(week_ago - HISTORY_LAG)],
    ).fetchone()
    return {"items": row[0], "first_observed": row[1], "last_observed": row[2]}


def _recorded_late(db: Database, week_ago: datetime, as_of: datetime) -> dict[str, Any]:
    """Evidence recorded this week but observed before the week began: old news, however it is listed."""
    row = db.conn.execute(
        "SELECT COUNT(*), MIN(observed_at), MAX(observed_at) FROM evidence "
        "WHERE recorded_at > ? AND recorded_at <= ? AND observed_at <= ?",
        [to_iso(week_ago), to_iso(as_of), to_iso(week_ago)],
    ).fetchone()
    return {"items": row[0], "first_observed": row[1], "last_observed": row[2]}


def _with_history(
    links_prev: dict[str, list[Link]], links_now: dict[str, list[Link]], week_ago: datetime
) -> dict[str, list[Link]]:
    """The week-ago view plus history recorded this week (observed before the week, lagged): a move is news only."""
    cut = week_ago - HISTORY_LAG
    out: dict[str, list[Link]] = defaultdict(list)
    for qid in set(links_prev) | set(links_now):
        seen = {lk.evidence_id for lk in links_prev.get(qid, [])}
        extra = [lk for lk in links_now.get(qid, []) if lk.recorded_at > week_ago and lk.observed_at <= cut]
        out[qid] = links_prev.get(qid, []) + [lk for lk in extra if lk.evidence_id not in seen]
    return out


def _resolved_moves(
    questions: dict[str, Question],
    questions_prev: dict[str, Question],
    links_prev: dict[str, list[Link]],
    rows: list[dict[str, Any]],
    week_ago: datetime,
) -> list[dict[str, Any]]:
    """Questions resolved (recorded) this week as moves from last week's value to the outcome: a resolution is
    often the week's largest move. A question not on record a week ago has no previous value and is not a move."""
    out = []
    for x in rows:
        prev_q = questions_prev.get(x["id"])
        q = questions[x["id"]]
        if not x["scored"] or prev_q is None or prev_q.opens_at > week_ago:
            continue
        before = probability_from_links(prev_q, links_prev.get(x["id"], []), week_ago)
        outcome = "yes" if q.is_binary else x["outcome"]
        if outcome not in before:
            continue
        now = 1.0 if outcome == x["outcome"] else 0.0 if x["outcome"] in q.outcomes else None
        if now is None:  # a binary question resolved to a probability (a market's value)
            try:
                now = float(x["outcome"])
            except ValueError:
                continue
        out.append({"id": x["id"], "title": x["title"], "outcome": outcome, "before": before[outcome], "now": now,
                    "delta": now - before[outcome], "resolved": {"outcome": x["outcome"], "known_at": x["known_at"],
                                 "known_this_week": bool(x["known_at"]) and x["known_at"] > to_iso(week_ago)},
                    "late_evidence_pp": None})  # fmt: skip
    return out


def _newest_evidence(
    links_now: dict[str, list[Link]], questions: dict[str, Question], as_of: datetime
) -> dict[str, Any] | None:
    """The most recent observation date among the evidence on record (not retracted), and its age at the as-of
    time: a brief with no recent evidence says how old its news is (stale beyond EVIDENCE_STALE_DAYS)."""
    dates = [lk.observed_at for qid, lks in links_now.items() if qid in questions for lk in lks]
    if not dates:
        return None
    newest = max(dates)
    age = (as_of - newest).total_seconds() / 86400.0
    return {"observed_at": to_iso(newest), "age_days": age, "stale": age > EVIDENCE_STALE_DAYS,
            "stale_days": EVIDENCE_STALE_DAYS}  # fmt: skip


def _retractions(db: Database, week_ago: datetime, as_of: datetime) -> list[dict[str, Any]]:
    rows = db.conn.execute(
        """SELECT r.evidence_id, r.recorded_at, r.reason, e.summary FROM evidence_retractions r
           JOIN evidence e ON e.id = r.evidence_id
           WHERE r.recorded_at > ? AND r.recorded_at <= ? ORDER BY r.recorded_at, r.id""",
        [to_iso(week_ago), to_iso(as_of)],
    ).fetchall()
    return [{"evidence_id": r[0], "recorded_at": r[1], "reason": r[2], "summary": r[3]} for r in rows]


def _stale(q: Question, standing: dict[str, dict[str, Any]], as_of: datetime) -> list[dict[str, Any]]:
    life = (as_of - q.opens_at).total_seconds() / 86400.0
    out = []
    for name, f in sorted(standing.items()):
        if f["kind"] != "person":
            continue
        age = (as_of - from_iso(f["made_at"])).total_seconds() / 86400.0
        if age >= STALE_DAYS or (age >= STALE_MIN_DAYS and age > STALE_SHARE * life):
            out.append(
                {
                    "question": q.id,
                    "forecaster": name,
                    "made_at": f["made_at"],
                    "age_days": age,
                    "share_of_life": age / life if life > 0 else 1.0,
                    "probabilities": _probs(q, f),
                }
            )
    return out


def _scenarios(db: Database, as_of: datetime, root: Path) -> dict[str, Any]:
    """Scenario probabilities now and over the last TREND_WEEKS weeks, when scenarios are defined."""
    from forecasts.scenarios import scenario_probabilities, scenario_trend, scenarios_defined

    if not scenarios_defined(db, root, as_of):  # the scenario files synced by then, not the files of today
        return {"available": True, "note": "No scenarios are defined (no scenario files).", "rows": [],
                "trend": []}  # fmt: skip
    try:
        rows = scenario_probabilities(db, known_by=as_of, root=root)
        weeks = [as_of - WEEK * k for k in range(TREND_WEEKS - 1, -1, -1)]
        trend = scenario_trend(db, weeks, root=root) if rows else []
        # last week's report's own scenario values, only if it had scenarios (files synced by then)
        week_ago = as_of - WEEK
        had = bool(rows) and scenarios_defined(db, root, week_ago)
        previous = (
            {r["id"]: float(r["probability"]) for r in scenario_probabilities(db, known_by=week_ago, root=root)}
            if had
            else {}
        )
        shown_weeks = {to_iso(w) for w in weeks if scenarios_defined(db, root, w)}
        trend = [w for w in trend if w["known_by"] in shown_weeks]  # no trend point before scenarios were on record
    except ForecastsError as exc:
        return {"available": True, "note": f"Scenario probabilities could not be computed: {exc}", "rows": [],
                "trend": []}  # fmt: skip
    out = [
        {
            "id": r["id"],
            "title": r.get("title", ""),
            "probability": float(r["probability"]),
            "interval": list(r["interval"]) if r.get("interval") is not None else None,
            "independent": r.get("independent_probability"),
            "previous": previous.get(r["id"]),
            "signposts": [
                {"what": sp.get("question") or ("tag " + str(sp.get("tag", ""))), "direction": sp.get("direction", ""),
                 "movement": sp.get("movement", ""), "signal": sp.get("signal", "")}
                for sp in r.get("signposts", [])
            ],
        }
        for r in rows
    ]  # fmt: skip
    points = [
        (from_iso(w["known_by"]).timestamp(), {s["id"]: float(s["probability"]) for s in w["scenarios"]}) for w in trend
    ]
    series = {r["id"]: [p.get(r["id"], float("nan")) for _, p in points] for r in out}
    return {"available": True, "note": "" if out else "No scenarios are defined.", "rows": out,
            "trend": {"times": [t for t, _ in points], "series": series} if points else []}  # fmt: skip


SCORE_SHOWN = REPORT_SCORE_FIELDS  # score_labels: the same names and labels as `score` and `leaderboard`
CALIBRATION_SHOWN = ("bin", "n", "yes", "mean_forecast", "observed", "ci95_low", "ci95_high")


def _plain(value: Any) -> Any:
    """numpy scalars to Python, NaN to None: values a renderer can format deterministically."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _table(rows: list[dict[str, Any]], shown: tuple[str, ...], described: dict[str, str]) -> dict[str, Any]:
    """A labelled table: the shown columns present in the rows, each with its description."""
    cols = [c for c in shown if any(c in r for r in rows)] if rows else list(shown)
    return {
        "columns": [{"key": c, "label": described.get(c, c)} for c in cols],
        "rows": [{c: _plain(r.get(c)) for c in cols} for r in rows],
    }


def _resolved(
    db: Database,
    questions: dict[str, Question],
    resolutions: dict[str, dict],
    week_ago: datetime,
    as_of: datetime,
) -> dict[str, Any]:
    """Questions whose resolution was recorded this week, with each forecaster's scores on them."""
    week = [r for qid, r in sorted(resolutions.items()) if r["recorded_at"] > to_iso(week_ago) and qid in questions]
    from forecasts.scoring.leaderboard import score_table

    described = described_scores(SCORE_FIELDS | DERIVED_SCORE_FIELDS | NUMERIC_SCORE_FIELDS)
    described["forecaster_id"] = "forecaster"
    out = []
    for r in week:
        scores = None
        if r["outcome"] not in UNSCORED:
            shown = REPORT_NUMERIC_SCORE_FIELDS if questions[r["question_id"]].is_numeric else SCORE_SHOWN
            scores = _table(_records(score_table(db, known_by=as_of, question=r["question_id"])), shown, described)
        out.append(
            {
                "id": r["question_id"],
                "title": questions[r["question_id"]].title,
                "outcome": r["outcome"],
                "known_at": r["known_at"],
                "source": r["source"],
                "scored": r["outcome"] not in UNSCORED,
                "scores": scores,
            }
        )
    note = ""
    record = [r for r in resolution_history(db, since=week_ago, known_by=as_of) if r["question_id"] in questions]
    return {"rows": out, "note": note, "record": record}


def _leaderboard(db: Database, as_of: datetime) -> dict[str, Any]:
    """The leaderboard as of the week's end and the calibration of its top forecasters."""
    from forecasts.scoring.leaderboard import LEADERBOARD_COLUMNS, calibration, leaderboard

    described = dict(LEADERBOARD_COLUMNS)
    rows = _records(leaderboard(db, known_by=as_of))
    if not any(r.get("n_numeric") for r in rows):  # no numeric or date question scored: no empty columns
        described = {k: v for k, v in described.items() if k not in NUMERIC_LEADERBOARD_FIELDS}
    table = _table(rows, tuple(described), described)
    series = []
    for row in rows[:CALIBRATION_SERIES]:
        name = row.get("forecaster")
        if name is None:
            continue
        cal = calibration(db, str(name), known_by=as_of)
        murphy = {k: _plain(v) for k, v in (cal.get("murphy") or {}).items()}
        bins = _table(list(cal.get("table") or []), CALIBRATION_SHOWN, {})
        series.append({"name": str(name), "bins": bins, "murphy": murphy, "n_questions": cal.get("n_questions")})
    note = "" if rows else "No resolved, scored questions yet."
    return {"available": True, "note": note, "table": table if rows else None, "calibration": series}


def build_report(
    db: Database, week: str | None | tuple[str, datetime, datetime] = None, questions_root: str | Path = "questions"
) -> dict[str, Any]:
    """Everything the weekly report shows for ISO `week` (default: the current one; or the week already parsed by
    timeutil.started_week), as plain data.

    `questions_root` is where scenario files live (scenarios are defined in files, not the database)."""
    label, start, end = week if isinstance(week, tuple) else started_week(week)
    as_of = end - timedelta(seconds=1)
    now = now_utc()
    week_ago = as_of - WEEK
    every = all_questions(db, known_by=as_of)
    questions = {q.id: q for q in every if q.opens_at <= as_of and not q.is_numeric}
    numeric = [q for q in every if q.is_numeric]  # numeric and date questions: their own section
    questions_prev = {q.id: q for q in all_questions(db, known_by=week_ago) if not q.is_numeric}
    links_now, links_prev = load_links(db, as_of, week_ago)
    links_late = _with_history(links_prev, links_now, week_ago)  # on record a week ago + history recorded since
    resolutions = all_resolutions(db, as_of)
    forecast_rows = _load_forecasts(db, as_of)
    standing: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    by_question: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in forecast_rows:  # oldest first, so the last one written per forecaster stands
        standing[f["question"]][f["forecaster"]] = f
        by_question[f["question"]].append(f)
    arrays = {qid: _arrays(questions[qid], lks) for qid, lks in links_now.items() if qid in questions}

    open_ids = [qid for qid, q in questions.items() if qid not in resolutions and as_of < q.closes_at]
    blocks = {
        qid: _question_block(
            db,
            questions[qid],
            links_now.get(qid, []),
            arrays.get(qid, tr.LinkArrays.empty()),
            links_prev.get(qid, []),
            standing[qid],
            week_ago,
            as_of,
            by_question[qid],
            questions_prev.get(qid),
        )
        for qid in open_ids
    }
    week_evidence = _week_evidence(db, questions, arrays, links_now, week_ago, as_of)
    for item in week_evidence:
        for eff in item["effects"]:
            if eff["question"] in blocks:
                blocks[eff["question"]]["week_evidence"].append(
                    {"id": item["id"], "summary": item["summary"], "observed_at": item["observed_at"]} | eff
                )
    movers = []
    for b in blocks.values():
        d = _delta(b)
        # time alone (deadline decay, a time window running out) is not a move: the week-ago evidence, now
        q = questions[b["id"]]
        still = probability_from_links(q, links_prev.get(b["id"], []), as_of)
        if d is not None and abs(d[1]) >= 5e-4 and abs(b["now"][d[0]] - still[d[0]]) >= 5e-4:
            late = probability_from_links(q, links_late.get(b["id"], []), as_of)[d[0]] - still[d[0]]
            movers.append({"id": b["id"], "title": b["title"], "outcome": d[0], "before": b["before"][d[0]],
                           "now": b["now"][d[0]], "delta": d[1], "resolved": None,
                           "late_evidence_pp": late if abs(late) >= 5e-4 else None})  # fmt: skip
    # resolutions of numeric questions too (their score table has the numeric columns; no chart or move here)
    resolved = _resolved(db, questions | {q.id: q for q in numeric}, resolutions, week_ago, as_of)
    binary_resolved = [x for x in resolved["rows"] if x["id"] in questions]
    movers += _resolved_moves(questions, questions_prev, links_prev, binary_resolved, week_ago)
    movers.sort(key=lambda m: (-abs(m["delta"]), m["id"]))
    new_this_week = [b["id"] for b in blocks.values() if b["before"] is None and questions[b["id"]].opens_at > week_ago]
    added_this_week = [b["id"] for b in blocks.values() if b["before"] is None and b["id"] not in new_this_week]
    closing = [
        {"id": qid, "title": questions[qid].title, "closes_at": to_iso(questions[qid].closes_at),
         "days_left": (questions[qid].closes_at - as_of).total_seconds() / 86400.0, "now": blocks[qid]["now"],
         "type": questions[qid].type}
        for qid in open_ids
        if questions[qid].closes_at <= as_of + CLOSING_WINDOW
    ]  # fmt: skip
    closing.sort(key=lambda c: (c["closes_at"], c["id"]))
    awaiting = [
        {"id": qid, "title": q.title, "closes_at": to_iso(q.closes_at)}
        for qid, q in questions.items()
        if qid not in resolutions and as_of >= q.closes_at
    ]
    stale = [s for qid in open_ids for s in _stale(questions[qid], standing[qid], as_of)]
    made_this_week = [f for f in forecast_rows if f["made_at"] > to_iso(week_ago)]
    for x in binary_resolved:  # each resolved question's chart, with the resolution marked
        q = questions[x["id"]]
        final = probability_from_links(q, links_now.get(q.id, []), as_of)
        if not q.is_binary and x["outcome"] in q.outcomes:  # follow the outcome that happened
            final = {o: float(o == x["outcome"]) for o in q.outcomes}
        x["chart"] = history.chart(q, arrays.get(q.id, tr.LinkArrays.empty()), by_question[q.id], final, as_of,
                                   resolutions[q.id])  # fmt: skip
    report = {
        "week": label,
        "week_start": to_iso(start),
        "as_of": to_iso(as_of),
        "provisional": as_of > now,  # the week is not over: later records of this week will still change it
        "week_ago": to_iso(week_ago),
        "summary": {
            "questions": len(questions),
            "open": len(open_ids),
            "open_numeric": sum(1 for q in numeric if q.opens_at <= as_of < q.closes_at and q.id not in resolutions),
            "evidence_this_week": len(week_evidence),
            "forecasts_this_week": sum(1 for f in made_this_week if f["kind"] == "person"),
            "model_forecasts_this_week": sum(1 for f in made_this_week if f["kind"] != "person"),
            "resolved_this_week": len(resolved["rows"]),
            "new_this_week": new_this_week,
            "added_this_week": sorted(added_this_week),
            "history_recorded_this_week": _history_this_week(db, week_ago, as_of),
            "history_recap": recap(questions, arrays, sorted(open_ids), history_ids(db, week_ago, as_of, HISTORY_LAG)),
            "evidence_observed_this_week": sum(1 for x in week_evidence if x["observed_at"] > to_iso(week_ago)),
            "evidence_recorded_late": _recorded_late(db, week_ago, as_of),
            "newest_evidence": _newest_evidence(links_now, questions, as_of),
        },
        "movers": movers[:MOVERS],
        "scenarios": _scenarios(db, as_of, Path(questions_root)),
        "questions": [blocks[qid] for qid in sorted(open_ids)],
        "evidence": week_evidence,
        "retractions": _retractions(db, week_ago, as_of),
        "closing": closing,
        "awaiting_resolution": awaiting,
        "stale": stale,
        "stale_rule": (
            f"no update for {STALE_DAYS}+ days, or for more than {int(STALE_SHARE * 100)}% of the question's "
            f"life so far (and at least {STALE_MIN_DAYS} days)"
        ),
        "resolved": resolved,
        "question_edits": [e for e in edits_between(db, week_ago, as_of) if e["question_id"] in questions],
        "leaderboard": _leaderboard(db, as_of),
        "head": ledger_head(db, as_of),  # the ledgers' head over the rows recorded by as_of (docs/publishing.md)
    }
    from forecasts.report.numeric import numeric_blocks

    report["numeric"] = numeric_blocks(db, [q for q in numeric if q.id not in resolutions], week_ago, as_of)
    from forecasts.report.pooling import pooling_block  # which crowd pool the team's own history favours

    report["pooling"] = pooling_block(db, as_of)
    report["briefing"] = briefing(report)
    return report
