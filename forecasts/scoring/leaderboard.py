"""Scores from the store: load what was known by `known_by`, score it with forecasts.scoring, summarise.

Only questions resolved (not ambiguous/annulled) by `known_by` are scored, so an unresolve removes
their scores. The median Brier (relative Brier) and the geometric mean (peer score) are taken over
people only: the model (`bayes`, reconstructions) and aggregates (`crowd`) are scored against them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasts.errors import ForecastsError
from forecasts.forecasters import MODEL, RECONSTRUCTED, get_forecaster
from forecasts.numeric.spec import NUMERIC_TYPES
from forecasts.questions import Question, all_questions, get_question
from forecasts.resolution import UNSCORED, all_resolutions
from forecasts.score_labels import LEADERBOARD_FIELDS, NUMERIC_SCORE_FIELDS, described
from forecasts.scoring import calibration as cal
from forecasts.scoring import fixed_effects
from forecasts.scoring import scores as scoring
from forecasts.scoring.forecast_rows import forecast_frame
from forecasts.store.db import Database
from forecasts.timeutil import from_iso, now_utc, to_iso

LEADERBOARD_COLUMNS = described(LEADERBOARD_FIELDS)  # field -> "Header: description" (score_labels)
RANK_ORDER = {"own": ("relative_brier_own", True), "relative": ("relative_brier", True), "peer": ("peer", False),
              "adjusted": ("brier_adjusted", True), "crps": ("relative_crps", True),
              "peer-continuous": ("peer_continuous", False)}  # fmt: skip
NUMERIC_RANKINGS = ("crps", "peer-continuous")
# default --min-questions per ranking: the adjusted Brier of a forecaster with one or two questions is mostly their
# questions' difficulty estimate (it can be negative), so a ranking by it needs a few questions (issue 25)
DEFAULT_MIN_QUESTIONS = {"own": 1, "relative": 1, "peer": 1, "adjusted": 5, "crps": 1, "peer-continuous": 1}


def _tag_list(tag: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if tag is None:
        return []
    return [tag] if isinstance(tag, str) else list(tag)


def _check_tag(db: Database, tag: str | list[str] | tuple[str, ...] | None) -> None:
    wanted = _tag_list(tag)
    if not wanted:
        return
    tags = sorted({t for q in all_questions(db) for t in q.tags})
    for t in wanted:
        if t not in tags:
            raise ForecastsError(f"tag: unknown tag {t!r}; known: {', '.join(tags) or 'none yet'}")


def scored_questions(
    db: Database,
    known_by: datetime,
    tag: str | list[str] | tuple[str, ...] | None = None,
    question: str | None = None,
) -> tuple[list[Question], dict[str, dict]]:
    """Yes/no and categorical questions resolved with a scorable outcome by `known_by` (optionally carrying any of
    the tags / one question)."""
    qs, resolutions = resolved_questions(db, known_by, tag, question)
    return [q for q in qs if not q.is_numeric], resolutions


def resolved_questions(
    db: Database,
    known_by: datetime,
    tag: str | list[str] | tuple[str, ...] | None = None,
    question: str | None = None,
) -> tuple[list[Question], dict[str, dict]]:
    """Questions of every type (numeric and date ones too) resolved with a scorable outcome by `known_by`."""
    resolutions = {
        qid: r for qid, r in all_resolutions(db, known_by).items() if r["outcome"] not in UNSCORED and r["known_at"]
    }
    wanted = set(_tag_list(tag))
    qs = [get_question(db, question, known_by)] if question else all_questions(db, known_by=known_by)
    if wanted:
        qs = [q for q in qs if wanted & set(q.tags)]
    return [q for q in qs if q.id in resolutions], resolutions


def load_frames(
    db: Database, known_by: datetime, questions: list[Question], resolutions: dict[str, dict]
) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """The forecasts and questions frames scoring.score_forecasts takes, and the crowd's members."""
    qrows = []
    for q in questions:
        r = resolutions[q.id]
        value = r.get("value")  # a binary question resolved to a probability r: scored against r
        qrows.append(
            {
                "question_id": q.id,
                "type": q.type,
                "n_outcomes": len(q.outcomes),
                "outcome_index": 0 if value is not None else q.outcomes.index(r["outcome"]),
                "outcome_value": float("nan") if value is None else float(value),
                "outcome": r["outcome"],
                "opens_at": q.opens_at.timestamp(),  # float seconds: nanoseconds end at 2262 (issue 25)
                "closes_at": q.closes_at.timestamp(),
                "known_at": from_iso(r["known_at"]).timestamp(),
            }
        )
    qframe = pd.DataFrame(
        qrows,
        columns=[
            "question_id",
            "type",
            "n_outcomes",
            "outcome_index",
            "outcome_value",
            "outcome",
            "opens_at",
            "closes_at",
            "known_at",
        ],
    )
    return forecast_frame(db, to_iso(known_by), questions), qframe, people(db)


def one_model(fframe: pd.DataFrame) -> pd.DataFrame:
    """One model row per question: the replay (`bayes-reconstructed`) stands in for `bayes` before the live model's
    first forecast on the question, and is relabelled `bayes`; the replay's rows after it are dropped. The model is
    `bayes` in every combined table (the replay is its history onboarded late, not a second forecaster)."""
    replay = fframe["forecaster_id"] == RECONSTRUCTED
    if not replay.any():
        return fframe
    live = fframe[fframe["forecaster_id"] == MODEL].groupby("question_id", observed=True)["made_at"].min()
    qid = fframe["question_id"]
    if isinstance(qid.dtype, pd.CategoricalDtype):  # per category, then gathered by code (load_frames' columns)
        per_question = np.append(live.reindex(qid.cat.categories).to_numpy(dtype=float), np.nan)
        first_live = pd.Series(per_question[qid.cat.codes.to_numpy()], index=fframe.index)
    else:
        first_live = qid.map(live).astype(float)
    keep = ~replay | first_live.isna() | (fframe["made_at"] < first_live)
    out = fframe[keep].copy()
    out["forecaster_id"] = _relabelled(out["forecaster_id"], RECONSTRUCTED, MODEL)
    return out.sort_values(["question_id", "forecaster_id", "made_at", "seq"], kind="stable").reset_index(drop=True)


def _relabelled(who: pd.Series, old: str, new: str) -> pd.Series:
    """`who` with `old` renamed `new`; a categorical keeps sorted categories (its code order is name order)."""
    if not isinstance(who.dtype, pd.CategoricalDtype):
        return who.where(who != old, new)
    cats = [str(c) for c in who.cat.categories]
    names = sorted((set(cats) - {old}) | {new})
    where = {name: i for i, name in enumerate(names)}
    recode = np.array([where[new if c == old else c] for c in cats] + [-1], dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(recode[who.cat.codes.to_numpy()], categories=names), index=who.index)


def people(db: Database) -> set[str]:
    """Forecasters of kind person: they alone form the median Brier and the geometric mean (the model and
    aggregates are scored against them, never counted in them)."""
    return {name for (name,) in db.conn.execute("SELECT id FROM forecasters WHERE kind = 'person'")}


def score_table(
    db: Database,
    known_by: datetime | None = None,
    by: str | None = None,
    tag: str | list[str] | tuple[str, ...] | None = None,
    question: str | None = None,
    replays: bool | None = None,
    details: bool = True,
) -> pd.DataFrame:
    """One row per forecaster × resolved question with every score (fields: score_labels.SCORE_FIELDS and
    DERIVED_SCORE_FIELDS). Unless `replays` (default: only when `by` names the replay), the model's replay is
    folded into `bayes` (one_model), so every table has one model row. details=False (the leaderboard, which
    shows neither) leaves out the outcome and known_at columns and gives `type` as a categorical: at a million
    rows those were a million-string column each (issue 28)."""
    known_by = known_by or now_utc()
    if by is not None:
        by = get_forecaster(db, by)["id"]  # the registered name, whatever case was typed
    if replays is None:
        replays = by == RECONSTRUCTED
    _check_tag(db, tag)
    every, resolutions = resolved_questions(db, known_by, tag, question)
    questions = [q for q in every if not q.is_numeric]
    fframe, qframe, crowd = load_frames(db, known_by, questions, resolutions)
    if not replays:
        fframe = one_model(fframe)
    table = scoring.score_forecasts(fframe, qframe, crowd_members=crowd)
    with np.errstate(invalid="ignore", divide="ignore"):
        cover = table["coverage"].to_numpy(dtype=float)
        own = np.where(cover > 0, table["relative_brier"].to_numpy(dtype=float) / np.where(cover > 0, cover, 1), np.nan)
    table.insert(table.columns.get_loc("relative_brier"), "relative_brier_own", own)
    meta = qframe.set_index("question_id")
    if details:
        table.insert(2, "type", meta["type"].reindex(table["question_id"]).to_numpy())
        table.insert(3, "outcome", meta["outcome"].reindex(table["question_id"]).to_numpy())
        known_iso = pd.Series({qid: r["known_at"] for qid, r in resolutions.items()}, dtype=object)
        table.insert(4, "known_at", known_iso.reindex(table["question_id"]).to_numpy())
    else:  # per question, gathered by the question codes score_forecasts returns
        qid = table["question_id"].cat
        kinds = meta["type"].reindex(qid.categories)
        table.insert(2, "type", pd.Categorical(kinds.to_numpy())[qid.codes.to_numpy()])
    table = _with_numeric(db, known_by, table, [q for q in every if q.is_numeric], resolutions, crowd, replays)
    if by is not None:
        table = table[table["forecaster_id"] == by]
    return table.sort_values(["question_id", "forecaster_id"]).reset_index(drop=True)


def _with_numeric(
    db: Database, known_by: datetime, table: pd.DataFrame, questions: list[Question], resolutions: dict[str, dict],
    members: set[str], replays: bool,
) -> pd.DataFrame:  # fmt: skip
    """The score table with the numeric and date questions' rows appended (their own columns, NUMERIC_SCORE_FIELDS;
    the Brier columns empty) and those columns empty on the other rows. forecasts.numeric.board is loaded only
    when a numeric question is resolved."""
    for c in NUMERIC_SCORE_FIELDS:  # in place: assign() would copy a platform's table
        table[c] = np.nan
    if not questions:
        return table
    from forecasts.numeric.board import numeric_forecasts, numeric_rows

    frame = numeric_forecasts(db, known_by, [q.id for q in questions])
    if not replays:
        frame = one_model(frame)
    rows = numeric_rows(frame, questions, resolutions, members)
    extra = pd.DataFrame(rows, columns=["question_id", "forecaster_id", "n_forecasts", "coverage",
                                        "coverage_lifetime", *NUMERIC_SCORE_FIELDS])  # fmt: skip
    kinds = {q.id: q.type for q in questions}
    extra.insert(2, "type", [kinds[qid] for qid in extra["question_id"]])
    extra.insert(3, "outcome", [resolutions[qid]["outcome"] for qid in extra["question_id"]])
    extra.insert(4, "known_at", [resolutions[qid]["known_at"] for qid in extra["question_id"]])
    if table.empty:
        return extra.reindex(columns=table.columns)
    return pd.concat([table, extra.reindex(columns=table.columns)], ignore_index=True)


def leaderboard(
    db: Database,
    known_by: datetime | None = None,
    tag: str | list[str] | tuple[str, ...] | None = None,
    min_questions: int | None = None,
    rank_by: str = "own",
) -> pd.DataFrame:
    """Per forecaster with at least `min_questions` scored questions (default DEFAULT_MIN_QUESTIONS[rank_by]):
    means over their questions and the difficulty-adjusted Brier (fields: LEADERBOARD_FIELDS), ranked by mean
    relative Brier over each one's own period (or `rank_by` relative / peer / adjusted); people first, then the
    model and aggregates, so a model's head start never ranks it above a person. Means of per-question relative
    and peer scores are comparable across question sets."""
    if rank_by not in RANK_ORDER:
        raise ForecastsError(f"rank-by: {rank_by!r} must be one of {', '.join(RANK_ORDER)}")
    if min_questions is None:
        min_questions = DEFAULT_MIN_QUESTIONS[rank_by]
    if min_questions < 1:
        raise ForecastsError(f"min-questions: {min_questions} must be at least 1")
    full = score_table(db, known_by, tag=tag, details=False)
    numeric = full["type"].isin(NUMERIC_TYPES).to_numpy(dtype=bool)
    any_numeric = bool(numeric.any())
    table = full[~numeric] if any_numeric else full  # Brier, relative Brier, peer: yes/no and categorical questions
    kinds = dict(db.conn.execute("SELECT id, kind FROM forecasters").fetchall())
    fcat = table["forecaster_id"].astype("category")  # integer codes: np.unique over strings was most of the time
    names = fcat.cat.categories.astype(str)
    who = fcat.cat.codes.to_numpy()
    person = np.array([kinds.get(w, "person") == "person" for w in names], dtype=bool)
    coded = fixed_effects.adjusted_brier(
        who, table["question_id"].astype("category").cat.codes.to_numpy(), table["brier"].to_numpy(),
        person[who] if len(names) else np.zeros(len(who), dtype=bool),
    )  # fmt: skip
    adjusted = {names[c]: v for c, v in coded.items()}
    grouped = full.groupby("forecaster_id", sort=True, observed=True)  # means skip the other kind's empty cells
    means = ("relative_brier_own", "relative_brier", "peer", "brier", "brier_close", "peer_close", "coverage",
             "relative_crps", "peer_continuous", "crps_range")  # fmt: skip
    sizes = grouped.size()
    n_numeric = np.zeros(len(sizes), dtype=int)
    if any_numeric:  # an extra grouping only when some numeric or date question is scored
        n_numeric = pd.Series(numeric).groupby(full["forecaster_id"].to_numpy()).sum().reindex(sizes.index).to_numpy()
    board = pd.DataFrame(
        {
            "forecaster": sizes.index.astype(str),
            "n_questions": sizes.to_numpy() - n_numeric,
            "n_numeric": n_numeric,
            **{col: grouped[col].mean().to_numpy() for col in means},
        }
    )
    board["brier_adjusted"] = [adjusted.get(f, (np.nan, 0))[0] for f in board["forecaster"]]
    board["n_questions_adjusted"] = [adjusted.get(f, (np.nan, 0))[1] for f in board["forecaster"]]
    board.insert(1, "kind", [kinds.get(f, "person") for f in board["forecaster"]])
    board = board[_questions_behind(board, rank_by) >= min_questions]
    key, ascending = RANK_ORDER[rank_by]
    board = board.assign(_apart=board["kind"] != "person")
    board = board.sort_values(["_apart", key, "forecaster"], ascending=[True, ascending, True], kind="stable",
                              na_position="last").drop(columns="_apart")  # fmt: skip
    board = board.reset_index(drop=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board[list(LEADERBOARD_COLUMNS)]


def _questions_behind(board: pd.DataFrame, rank_by: str) -> pd.Series:
    """The questions --min-questions counts: those behind the ranking score (yes/no and categorical for
    adjusted, numeric and date for crps and peer-continuous), all scored questions for the others."""
    if rank_by == "adjusted":
        return board["n_questions"]
    if rank_by in NUMERIC_RANKINGS:
        return board["n_numeric"]
    return board["n_questions"] + board["n_numeric"]


def calibration(
    db: Database,
    name: str,
    known_by: datetime | None = None,
    tag: str | list[str] | tuple[str, ...] | None = None,
    width: int = cal.DEFAULT_WIDTH,
) -> dict[str, Any]:
    """A forecaster's calibration on the forecasts standing at each scored question's close.

    Categorical questions count once per outcome (p_k vs whether k happened). Returns the bin table,
    the Murphy decomposition overall and per tag, and `scores`: the same per-question means `score` and
    `leaderboard` show (headline Brier, Brier at close, relative Brier), so one name means one number.
    Questions resolved to a probability are left out of the table and Murphy (a bin's observed frequency needs
    yes/no outcomes; n_probability_resolved_left_out counts those forecast) but not out of `scores`.
    """
    known_by = known_by or now_utc()
    name = get_forecaster(db, name)["id"]  # the registered name, whatever case was typed
    _check_tag(db, tag)
    questions, resolutions = scored_questions(db, known_by, tag)
    # only the questions this forecaster forecast: a question's scores depend on its own forecasts alone, so this
    # gives the same numbers as scoring everyone (issue 25: 3.5 s a call on 63k forecasts)
    theirs = _forecast_questions(db, name, known_by)
    questions = [q for q in questions if q.id in theirs]
    fframe, qframe, members = load_frames(db, known_by, questions, resolutions)
    if name != RECONSTRUCTED:
        fframe = one_model(fframe)  # `bayes` is the model with its replayed history, as in every table
    by_value = [q.id for q in questions if resolutions[q.id].get("value") is not None]
    left_out = _forecast_on(db, name, by_value, known_by)
    questions = [q for q in questions if resolutions[q.id].get("value") is None]
    mine = fframe[(fframe["forecaster_id"] == name) & ~fframe["question_id"].isin(by_value)]
    p, o, qids = closing_forecasts(mine, qframe)
    tags = {q.id: q.tags for q in questions}
    by_tag = []
    for t in sorted({t for qid in set(qids.tolist()) for t in tags[qid]}):
        sel = np.array([t in tags[qid] for qid in qids], dtype=bool)
        by_tag.append({"tag": t, **_clean(cal.murphy(p[sel], o[sel], width))})
    return {
        "forecaster": name,
        "known_by": to_iso(known_by),
        "tag": tag,
        "bin_width_pct": width,
        "n_questions": len(set(qids.tolist())),
        "n_probability_resolved_left_out": left_out,
        "table": cal.calibration_table(p, o, width),
        "murphy": _clean(cal.murphy(p, o, width)),
        "by_tag": by_tag,
        "scores": _clean(_mean_scores(scoring.score_forecasts(fframe, qframe, crowd_members=members), name)),
    }


def _forecast_questions(db: Database, name: str, known_by: datetime) -> set[str]:
    """Ids of the questions on which `name` had a forecast recorded and made by `known_by`."""
    stamp = to_iso(known_by)
    sql = "SELECT DISTINCT question_id FROM forecasts WHERE forecaster_id = ? AND recorded_at <= ? AND made_at <= ?"
    return {qid for (qid,) in db.conn.execute(sql, [name, stamp, stamp])}


def _mean_scores(table: pd.DataFrame, name: str) -> dict[str, float]:
    """A forecaster's means over questions of the scores the leaderboard averages."""
    mine = table[table["forecaster_id"].astype(str) == name]
    return {col: float(mine[col].mean()) if len(mine) else float("nan")
            for col in ("brier", "brier_close", "relative_brier", "peer")}  # fmt: skip


def _forecast_on(db: Database, name: str, question_ids: list[str], known_by: datetime) -> int:
    """How many of these questions the forecaster forecast (recorded by known_by)."""
    if not question_ids:
        return 0
    sql = """SELECT COUNT(DISTINCT question_id) FROM forecasts WHERE forecaster_id = ? AND recorded_at <= ?
             AND question_id IN (SELECT value FROM json_each(?))"""
    return int(db.conn.execute(sql, [name, to_iso(known_by), json.dumps(question_ids)]).fetchone()[0])


def closing_forecasts(fframe: pd.DataFrame, qframe: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, o, question_id) of the forecast standing at each question's close (min(closes_at, known_at)), unfolded."""
    if fframe.empty:
        return np.zeros(0), np.zeros(0), np.array([], dtype=object)
    q = qframe.set_index("question_id")
    end = np.minimum(scoring.to_seconds(q["closes_at"]), scoring.to_seconds(q["known_at"]))
    end_s = pd.Series(end, index=q.index)
    made = scoring.to_seconds(fframe["made_at"])
    standing = fframe[made < end_s.reindex(fframe["question_id"]).to_numpy()]
    last = standing.groupby("question_id", sort=True).tail(1)  # rows arrive ordered by made_at, id
    ps, os_, ids = [], [], []
    for qid, prob, probs in zip(last["question_id"], last["probability"], last["probabilities"], strict=True):
        oi = int(q.at[qid, "outcome_index"])
        if q.at[qid, "type"] == scoring.BINARY:
            ps.append(prob)
            os_.append(1.0 if oi == 0 else 0.0)
            ids.append(qid)
        else:
            ps.extend(probs)
            os_.extend(1.0 if k == oi else 0.0 for k in range(len(probs)))
            ids.extend([qid] * len(probs))
    return np.asarray(ps, dtype=float), np.asarray(os_, dtype=float), np.asarray(ids, dtype=object)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: numpy scalars to Python, NaN to None."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def iter_records(frame: pd.DataFrame, chunk: int = 20_000) -> Iterator[dict[str, Any]]:
    """records() a chunk at a time: a streaming writer holds one chunk's dicts, not the frame's."""
    for start in range(0, len(frame), chunk):
        yield from records(frame.iloc[start : start + chunk])


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in d.items()}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
