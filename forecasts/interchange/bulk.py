"""A forecasts CSV checked column by column: the fast path of `forecasts import FILE.csv` for large plain files.

The per-row checks in forecasts.interchange.roundtrip stay the rules. This path reads the CSV with pandas' C parser and
applies the same checks to whole columns, but only to plain input: canonical UTC timestamps
(`2025-01-20T14:30:00Z`), binary questions with a number from 0 to 1, known questions and forecasters, one line
per row. Anything else (a problem, or input the per-row path would normalise) returns None and the per-row path
runs, so error messages and results are the same either way; only the time differs.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from forecasts.db import Database
from forecasts.errors import ForecastsError
from forecasts.grammar import PROBABILITY_SOURCE
from forecasts.timeutil import YEARS, now_utc, to_iso

PLAIN_COLUMNS = {"question", "forecaster", "made_at", "probability", "source", "external_id", "rationale"}
MIN_ROWS = 10_000  # below this the per-row path is as quick
ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def import_forecasts_csv(db: Database, path: Path) -> dict[str, Any] | None:
    """Import a plain forecasts CSV with whole-column checks; None when the per-row path must decide."""
    header = _header(path)
    if not header or "forecaster" not in header or not set(header) <= PLAIN_COLUMNS or len(set(header)) < len(header):
        return None
    raw = path.read_bytes()
    if raw.count(b"\n") < MIN_ROWS or b'"' in raw or raw.count(b"\r") != raw.count(b"\r\n"):
        return None  # small files, quoted or multi-line cells: per row
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="c")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    lines = raw.rstrip(b"\r\n").count(b"\n")  # data lines after the header, when none is blank
    if len(df) != lines or df.isna().to_numpy().any() or list(df.columns) != header:
        return None
    return _checked(db, path, df, pd)


def _checked(db: Database, path: Path, df: Any, pd: Any) -> dict[str, Any] | None:
    from forecasts.external import IdMap
    from forecasts.interchange.rows import question_index, row_forecaster, row_question, write_forecasts
    from forecasts.resolution import all_resolutions
    from forecasts.validation import MAX_TEXT

    n = len(df)
    text = {c: df[c] if c in df.columns else pd.Series([""] * n) for c in PLAIN_COLUMNS}
    for c in ("source", "external_id", "rationale"):
        col = text[c]
        if (col.str.len() > MAX_TEXT).any() or col.str.contains("\x00", regex=False).any():
            return None
        if (col != col.str.strip()).any():
            return None
    questions = question_index(db)
    resolved = all_resolutions(db)
    qids, fids = IdMap(db, "questions"), IdMap(db, "forecasters")
    known = {r[0]: r[1] for r in db.conn.execute("SELECT id, kind FROM forecasters")}
    canonical = {name.lower(): name for name in known}  # names are unique regardless of case
    new_forecasters: dict[str, str] = {}
    external: dict[str, tuple[str, str]] = {}
    pairs = pd.MultiIndex.from_arrays([text["source"], text["question"]])
    qmap: dict[tuple[str, str], Any] = {}
    fmap: dict[tuple[str, str], str] = {}
    try:
        for source, q in pairs.unique():
            qmap[(source, q)] = row_question({"question": q}, questions, "", qids, source)
        for source, f in pd.MultiIndex.from_arrays([text["source"], text["forecaster"]]).unique():
            fmap[(source, f)] = row_forecaster(
                {"forecaster": f}, "", source, known, new_forecasters, external, fids, canonical
            )
    except ForecastsError:
        return None
    if any(not q.is_binary for q in qmap.values()):
        return None
    info = pd.DataFrame(
        [(k[0], k[1], q.id, q.opens_at, q.closes_at, (resolved.get(q.id) or {}).get("known_at") or "\uffff")
         for k, q in qmap.items()],
        columns=["source", "question", "qid", "opens", "closes", "known"],
    )  # fmt: skip
    rows = pd.DataFrame({"source": text["source"], "question": text["question"]}).merge(
        info, on=["source", "question"], how="left", sort=False
    )
    sources, qcol = text["source"].tolist(), rows["qid"].tolist()
    names = [fmap[k] for k in zip(sources, text["forecaster"].tolist(), strict=True)]
    made = text["made_at"]
    stamps = pd.to_datetime(made, format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
    if not made.str.fullmatch(ISO_Z).all() or stamps.isna().any():
        return None
    years = stamps.dt.year
    now_iso = to_iso(now_utc())
    if not ((years >= YEARS[0]) & (years <= YEARS[1])).all():
        return None
    made_v, opens, closes, known_at = (x.to_numpy(dtype=object) for x in (made, rows["opens"], rows["closes"],
                                                                               rows["known"]))  # fmt: skip
    if not ((made_v <= now_iso) & (made_v >= opens) & (made_v < closes) & (made_v < known_at)).all():
        return None
    if not text["probability"].str.fullmatch(PROBABILITY_SOURCE, flags=re.ASCII).all():
        return None  # outside the one probability grammar: the per-row path names the line and the rule
    p = pd.to_numeric(text["probability"].str.rstrip("%"), errors="coerce")
    p = p.where(~text["probability"].str.endswith("%"), p / 100.0)
    if p.isna().any() or not ((p >= 0.0) & (p <= 1.0)).all():
        return None
    zero = (p == 0.0).to_numpy()
    if zero.any() and text["probability"][zero].str.lower().str.split("e").str[0].str.contains("[1-9]").any():
        return None  # a positive number too small for a float (1e-400): the per-row path refuses it
    made_list = made.tolist()
    position = {k: i + 2 for i, k in enumerate(zip(qcol, names, made_list, strict=True))}  # file line of each
    if len(position) < n:  # a forecaster with two forecasts on a question at one instant
        return None
    out = list(zip(qcol, names, made_list, [now_iso] * n, p.astype(float).tolist(), [None] * n,
                   text["rationale"].tolist(), text["external_id"].tolist(), sources, [None] * n,
                   strict=True))  # fmt: skip
    return write_forecasts(db, path, out, position.__getitem__, resolved, new_forecasters,
                           external, now_iso)  # fmt: skip
