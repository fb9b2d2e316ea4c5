"""The people's standing forecasts on binary questions as matrices, ready for vectorised pooling.

A panel holds one row per event (a moment at which some person on a question forecast), grouped by how many
forecasters the question has (widths rounded up to a power of two, so padding stays small); each row holds
the standing probability of every forecaster on that question (NaN before their first forecast), the time
of their latest forecast (for Metaculus's recency order), the forecaster's global index (for learned weights)
and the standing forecast's index in the panel's flat list of forecasts, which the learned pools update from
forecast by forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Group:
    """Rows of the questions with forecaster widths in one power-of-two class."""

    rows: np.ndarray  # global event-row index of each matrix row
    p: np.ndarray  # (rows, width) standing probabilities, NaN = none
    latest: np.ndarray  # (rows, width) time of each standing forecast
    who: np.ndarray  # (rows, width) global forecaster index, -1 = padding
    fc: np.ndarray  # (rows, width) index of each standing forecast in the panel's flat fc_* arrays, -1 = none


@dataclass
class Panel:
    """Event rows of every question (time-ordered within a question) and per-question facts."""

    row_q: np.ndarray  # question index of each event row
    row_t: np.ndarray  # event time (seconds since the epoch)
    duration: np.ndarray  # seconds until the next event of the question, or until its end
    last_row: np.ndarray  # per question: its last event row (-1 if it has none)
    end: np.ndarray  # per question: end of the scored span (seconds)
    y: np.ndarray  # per question: outcome (1 yes, 0 no, r for a probability resolution; NaN unresolved)
    known: np.ndarray  # per question: when the outcome became known (inf if unresolved)
    n_people: np.ndarray  # per question: distinct people with a scored forecast
    n_forecasters: int
    groups: list[Group] = field(default_factory=list)
    # every forecast (one per person and event row), in event-row order: for pools updated forecast by forecast
    fc_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # its event row
    fc_who: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # its forecaster
    fc_p: np.ndarray = field(default_factory=lambda: np.zeros(0))  # its probability
    fc_prev: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # the one it replaces (-1: none)
    fc_recency: np.ndarray = field(default_factory=lambda: np.zeros(0))  # arrival recency weight (below)
    fc_last: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # the person's last on the question

    @property
    def n_rows(self) -> int:
        return len(self.row_q)


def build_panel(q: np.ndarray, f: np.ndarray, t: np.ndarray, p: np.ndarray, end: np.ndarray, y: np.ndarray,
                known: np.ndarray, n_forecasters: int | None = None) -> Panel:  # fmt: skip
    """Panel from flat forecasts (question index, forecaster index, time, probability), given in time order
    within a question (ties: later wins); forecasts at or after their question's end are dropped."""
    q, f = np.asarray(q, np.int64), np.asarray(f, np.int64)
    t, p = np.asarray(t, float), np.asarray(p, float)
    end, y, known = np.asarray(end, float), np.asarray(y, float), np.asarray(known, float)
    n_q = len(end)
    n_f = int(n_forecasters if n_forecasters is not None else (f.max() + 1 if len(f) else 0))
    keep = t < end[q]
    q, f, t, p = q[keep], f[keep], t[keep], p[keep]
    order = np.lexsort((np.arange(len(q)), t, q))
    q, f, t, p = q[order], f[order], t[order], p[order]
    new = np.ones(len(q), bool)
    new[1:] = (q[1:] != q[:-1]) | (t[1:] != t[:-1])
    row = np.cumsum(new) - 1
    row_q, row_t = q[new], t[new]
    n_rows = len(row_q)
    # one cell per (row, forecaster): the later of duplicates at one instant wins
    dup_free = np.ones(len(q), bool)
    if len(q):
        key = row * (n_f + 1) + f
        _, first_idx = np.unique(key[::-1], return_index=True)
        dup_free = np.zeros(len(q), bool)
        dup_free[len(q) - 1 - first_idx] = True
    q, f, t, p, row = q[dup_free], f[dup_free], t[dup_free], p[dup_free], row[dup_free]
    # local column of each forecaster within its question
    pair = q * (n_f + 1) + f
    pairs, inv = np.unique(pair, return_inverse=True)
    pair_q = pairs // (n_f + 1)
    q_first_pair = np.searchsorted(pair_q, np.arange(n_q))
    col = inv - q_first_pair[q]
    width = np.bincount(pair_q, minlength=n_q)
    # durations, last rows
    nxt = np.empty(n_rows)
    if n_rows:
        same = np.zeros(n_rows, bool)
        same[:-1] = row_q[1:] == row_q[:-1]
        nxt[:-1] = row_t[1:]
        nxt[~same] = end[row_q[~same]]
        duration = np.where(same, nxt, end[row_q]) - row_t
    else:
        duration = nxt
    last_row = np.full(n_q, -1)
    last_row[row_q] = np.arange(n_rows)  # the last assignment per question wins
    first_row = np.full(n_q, -1)
    first_row[row_q[::-1]] = np.arange(n_rows)[::-1]
    by_pair = np.argsort(inv, kind="stable")  # each person's forecasts on a question, in time order
    prev = np.full(len(p), -1)
    last = np.ones(len(p), bool)
    if len(p):
        same = inv[by_pair][1:] == inv[by_pair][:-1]
        prev[by_pair[1:][same]] = by_pair[:-1][same]
        last[by_pair[:-1][same]] = False
    arrival = np.arange(len(q)) - np.searchsorted(q, q, side="left") + 1.0
    recency = np.exp(np.sqrt(arrival) - np.sqrt(np.bincount(q, minlength=n_q)[q]))
    panel = Panel(row_q, row_t, duration, last_row, end, y, known, width, n_f, [], row, f, p, prev, recency, last)
    wclass = np.where(width > 0, np.ceil(np.log2(np.maximum(width, 1))).astype(int), -1)
    row_class = wclass[row_q]
    for c in np.unique(wclass[wclass >= 0]):
        w = 1 << int(c)
        rows = np.flatnonzero(row_class == c)
        local = np.full(n_rows, -1)
        local[rows] = np.arange(len(rows))
        cell = row_class[row] == c
        lr, lc = local[row[cell]], col[cell]
        src = np.full((len(rows), w), -1)
        src[lr, lc] = lr
        val = np.full((len(rows), w), np.nan)
        val[lr, lc] = p[cell]
        idx = np.full((len(rows), w), -1)
        idx[lr, lc] = np.flatnonzero(cell)
        src = np.maximum.accumulate(src, axis=0)
        start = local[first_row[row_q[rows]]]
        valid = src >= start[:, None]
        cols = np.broadcast_to(np.arange(w), src.shape)
        safe = np.where(valid, src, 0)
        pm = np.where(valid, val[safe, cols], np.nan)
        latest = np.where(valid, row_t[rows][safe], np.nan)
        class_q = np.flatnonzero(wclass == c)
        local_q = np.full(n_q, -1)
        local_q[class_q] = np.arange(len(class_q))
        qcols = np.full((len(class_q), w), -1)
        in_class = wclass[pair_q] == c
        pos = (np.arange(len(pairs)) - q_first_pair[pair_q])[in_class]
        qcols[local_q[pair_q[in_class]], pos] = pairs[in_class] % (n_f + 1)
        fcm = np.where(valid, idx[safe, cols], -1)
        panel.groups.append(Group(rows, pm, latest, qcols[local_q[row_q[rows]]], fcm))
    return panel


def pooled(panel: Panel, fn) -> np.ndarray:
    """Apply a pooling function fn(group) -> values per matrix row to every group: one value per event row."""
    out = np.full(panel.n_rows, np.nan)
    for g in panel.groups:
        out[g.rows] = fn(g)
    return out
