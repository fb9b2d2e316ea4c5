"""The forecasts a scoring reads, straight from SQLite into numpy columns (issue 28: a million rows).

Question and forecaster ids arrive as integer codes into sorted name lists (pandas categoricals), so no column of
a million Python strings is kept and no pandas frame is built from row tuples: the rows go straight into one numpy
array (numpy.fromiter) whose id columns are then turned into codes by dict, and the rows are put in the order
scoring expects (question, forecaster, made_at, id) by one numpy sort instead of SQLite's temporary b-tree. The
per-outcome JSON of categorical and ordered forecasts is read by a second query, only when such a question is in
scope.
"""

from __future__ import annotations

import json
import sqlite3
from itertools import repeat

import numpy as np
import pandas as pd

from forecasts.questions import Question
from forecasts.scoring.constants import BINARY
from forecasts.store.db import Database

SCAN_QUESTIONS = 1000  # from this many questions the forecasts are read by a table scan, not the index
# made_at as whole epoch seconds computed by SQLite (stored text is fixed-width UTC whole seconds, so this is exact);
# unixepoch() (SQLite 3.38) is the same number as strftime('%s') and about a third of a second faster per million
EPOCH = "unixepoch(made_at)" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%s', made_at) AS INTEGER)"
ROW = np.dtype([("q", np.int32), ("f", np.int32), ("t", np.float64), ("p", np.float64), ("seq", np.int64)])
FETCHED = np.dtype([("q", object), ("f", object), ("t", np.float64), ("p", np.float64), ("seq", np.int64)])
COLUMNS = ["seq", "question_id", "forecaster_id", "made_at", "probability", "probabilities"]


def forecast_frame(db: Database, stamp: str, questions: list[Question]) -> pd.DataFrame:
    """Forecasts recorded and made by `stamp` on these questions, ordered by (question, forecaster, made_at, id):
    seq (the row id), question_id and forecaster_id (categoricals over sorted names; every forecaster listed has
    a row), made_at (float epoch seconds), probability (NaN on non-binary rows), probabilities (the outcome-ordered
    list on categorical and ordered rows, else None)."""
    ids = sorted(q.id for q in questions)
    qmap = {qid: i for i, qid in enumerate(ids)}
    names = sorted(name for (name,) in db.conn.execute("SELECT id FROM forecasters"))
    fmap = {name: i for i, name in enumerate(names)}
    # Over many questions a scan beats walking the index with a table lookup per row; for a few the index wins
    scan = "NOT INDEXED" if len(ids) >= SCAN_QUESTIONS else ""
    # every question in scope (a fully resolved history): no per-row IN test (a quarter of the read at 1M rows)
    every = scan and not any(qid not in qmap for (qid,) in db.conn.execute("SELECT id FROM questions"))
    where = "? IS NOT NULL" if every else "question_id IN (SELECT value FROM json_each(?))"
    sql = f"""SELECT question_id, forecaster_id, {EPOCH}, ifnull(probability, -1.0), id FROM forecasts {scan}
              WHERE recorded_at <= ? AND made_at <= ? AND {where}"""
    rows = np.zeros(0, dtype=ROW)
    if ids:  # rows straight into an array (no list of tuples); then the ids to codes by dict, a column at a time
        fetched = np.fromiter(db.conn.execute(sql, [stamp, stamp, json.dumps(ids)]), dtype=FETCHED)
        rows = np.empty(len(fetched), dtype=ROW)
        rows["q"] = np.fromiter(map(qmap.get, fetched["q"], repeat(-1)), dtype=np.int32, count=len(fetched))
        rows["f"] = np.fromiter(map(fmap.__getitem__, fetched["f"]), dtype=np.int32, count=len(fetched))
        for col in ("t", "p", "seq"):
            rows[col] = fetched[col]
        del fetched
        rows = rows[rows["q"] >= 0] if every and (rows["q"] < 0).any() else rows  # (a question added since)
    rows = rows[np.lexsort((rows["seq"], rows["t"], rows["f"], rows["q"]))]
    used = np.zeros(len(names), dtype=bool)
    used[rows["f"]] = True
    fcode = (np.cumsum(used) - 1)[rows["f"]]  # codes over the forecasters with a row, still in name order
    who = [name for name, u in zip(names, used.tolist(), strict=True) if u]
    probability = rows["p"]
    probability[probability < 0] = np.nan  # -1.0: NULL, a categorical or ordered row
    return pd.DataFrame(
        {
            "seq": rows["seq"],
            "question_id": pd.Categorical.from_codes(rows["q"], categories=ids),
            "forecaster_id": pd.Categorical.from_codes(fcode, categories=who),
            "made_at": rows["t"],
            "probability": probability,
            "probabilities": _probabilities(db, stamp, questions, rows["seq"]),
        },
        columns=COLUMNS,
    )


def _probabilities(db: Database, stamp: str, questions: list[Question], seq: np.ndarray) -> np.ndarray:
    """Per row: the outcome-ordered probabilities of a categorical or ordered forecast, else None."""
    out = np.full(len(seq), None, dtype=object)
    outcomes = {q.id: q.outcomes for q in questions if q.type != BINARY}
    if not outcomes or not len(seq):
        return out
    sql = """SELECT id, question_id, probabilities FROM forecasts
             WHERE recorded_at <= ? AND made_at <= ? AND probabilities IS NOT NULL
             AND question_id IN (SELECT value FROM json_each(?))"""
    found = db.conn.execute(sql, [stamp, stamp, json.dumps(sorted(outcomes))]).fetchall()
    if not found:
        return out
    at = pd.Index(seq).get_indexer([i for i, _, _ in found])
    for pos, (_, qid, text) in zip(at.tolist(), found, strict=True):
        if pos >= 0:
            value = json.loads(text)
            out[pos] = [value[o] for o in outcomes[qid]]
    return out
