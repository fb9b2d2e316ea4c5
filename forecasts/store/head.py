"""The published head of the ledgers: each hash-chained table's row count, last row id and head digest, and one
digest over them all. Kept outside the database (a report, a git repository, an e-mail), it catches what the
chain inside the file cannot: a cut tail, or a file whose chain was recomputed after an edit.

The head as of a time covers, per table, the leading rows (in id order) recorded by then, so a report's head
depends only on what was recorded by its as-of time. Pure sqlite3 and the standard library.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.store.ledger import CHAINED_TABLES, DIGEST_TABLE, canonical, digest
from forecasts.timeutil import to_iso

FORMAT = "forecasts-head/1"
# When each chained table's row became known (a link is known with its evidence).
_KNOWN_AT = {
    "evidence": ("evidence t", "t.recorded_at"),
    "evidence_links": ("evidence_links t JOIN evidence e ON e.id = t.evidence_id", "e.recorded_at"),
    "evidence_retractions": ("evidence_retractions t", "t.recorded_at"),
    "forecasts": ("forecasts t", "t.recorded_at"),
    "resolutions": ("resolutions t", "t.recorded_at"),
    "question_versions": ("question_versions t", "t.synced_at"),
    "scenario_file_versions": ("scenario_file_versions t", "t.synced_at"),
    "comments": ("comments t", "t.created_at"),
}
_HEX = r"[0-9a-f]{64}"
_ENTRY = re.compile(rf"([a-z_]+)=(\d{{1,12}}),(\d{{1,12}}),({_HEX}|-)")
_LINE = re.compile(rf"{re.escape(FORMAT)} all=({_HEX})((?: [a-z_]+=\d{{1,12}},\d{{1,12}},(?:{_HEX}|-))*)")


def _present(conn: Any) -> list[str]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in CHAINED_TABLES if t in names] if DIGEST_TABLE in names else []


def overall(tables: dict[str, dict[str, Any]]) -> str:
    """One digest over every non-empty table's (name, rows, last id, head): a table added by a later migration
    leaves older heads' overall digest unchanged."""
    items = [[t, v["rows"], v["last_id"], v["digest"]] for t, v in sorted(tables.items()) if v["rows"]]
    return hashlib.sha256(json.dumps([FORMAT, items], separators=(",", ":")).encode()).hexdigest()


def ledger_head(db: Any, as_of: datetime | None = None) -> dict[str, Any]:
    """The head of every chained table (as of `as_of`: the leading rows recorded by then), and the overall digest."""
    conn = db.conn
    stamp = to_iso(as_of) if as_of is not None else None
    tables: dict[str, dict[str, Any]] = {}
    for table in _present(conn):
        source, when = _KNOWN_AT[table]
        cut = None
        if stamp is not None:  # the first row recorded after as_of ends the prefix
            cut = conn.execute(f"SELECT min(t.id) FROM {source} WHERE {when} > ?", [stamp]).fetchone()[0]
        bound, args = ("WHERE id < ?", [cut]) if cut is not None else ("", [])
        rows, last = conn.execute(f'SELECT count(*), max(id) FROM "{table}" {bound}', args).fetchone()
        head = ""
        if last is not None:
            found = conn.execute(
                f"SELECT digest FROM {DIGEST_TABLE} WHERE tbl = ? AND ledger_row = ?", [table, last]
            ).fetchone()
            head = found[0] if found else ""
        tables[table] = {"rows": rows, "last_id": last or 0, "digest": head}
    return {"format": FORMAT, "as_of": stamp, "digest": overall(tables), "tables": tables}


def head_line(head: dict[str, Any]) -> str:
    """The head as one line of plain text (ASCII, no markup characters), what reports carry and `--against` reads."""
    parts = [f"{t}={v['rows']},{v['last_id']},{v['digest'] or '-'}" for t, v in sorted(head["tables"].items())]
    return f"{FORMAT} all={head['digest']} " + " ".join(parts)


def parse_line(text: str) -> dict[str, Any] | None:
    """The head carried in a report's text (Markdown or HTML), or None if it has none."""
    m = _LINE.search(text)
    if not m:
        return None
    tables = {
        name: {"rows": int(rows), "last_id": int(last), "digest": "" if dg == "-" else dg}
        for name, rows, last, dg in _ENTRY.findall(m.group(2))
    }
    return {"format": FORMAT, "digest": m.group(1), "tables": tables}


def read_head(text: str, name: str) -> dict[str, Any]:
    """A published head from a file's text: `db head --json`, `report --json`, or a Markdown/HTML report."""
    from forecasts.safejson import loads

    stripped = text.lstrip()
    if stripped.startswith("{"):
        data = loads(text, "against")
        head = data.get("head", data) if isinstance(data, dict) else None
        return _checked(head, name)
    head = parse_line(text)
    if head is None:
        raise ForecastsError(f"against: {name} carries no ledger head (a `{FORMAT} all=…` line or head JSON)")
    return _checked(head, name)


def _checked(head: Any, name: str) -> dict[str, Any]:
    """A head read from outside: its shape, and its overall digest agreeing with its tables (no typo or edit)."""
    bad = ForecastsError(f"against: {name} is not a ledger head ({FORMAT}: digest and tables)")
    if not isinstance(head, dict) or head.get("format", FORMAT) != FORMAT or not isinstance(head.get("tables"), dict):
        raise bad
    tables: dict[str, dict[str, Any]] = {}
    for table, v in head["tables"].items():
        ok = (
            table in CHAINED_TABLES
            and isinstance(v, dict)
            and all(type(v.get(k)) is int and 0 <= v[k] < 10**12 for k in ("rows", "last_id"))
            and isinstance(v.get("digest"), str)
            and (re.fullmatch(_HEX, v["digest"]) or (v["digest"] == "" and v["rows"] == 0))
        )
        if not ok:
            raise ForecastsError(f"against: {name}: table {str(table)[:40]!r} has no valid rows, last_id and digest")
        tables[table] = {"rows": v["rows"], "last_id": v["last_id"], "digest": v["digest"]}
    if head.get("digest") != overall(tables):
        raise ForecastsError(f"against: {name}: the overall digest does not match its tables (the head was altered)")
    return {"format": FORMAT, "as_of": head.get("as_of"), "digest": head["digest"], "tables": tables}


def check_against(db: Any, head: dict[str, Any]) -> list[str]:
    """Whether the database's chains still pass through a published head: one line per table that does not
    (a cut tail, a rewritten row, a re-chained file), naming the first row that differs. Rows added since pass."""
    conn = db.conn
    present = set(_present(conn))
    failures = []
    for table, want in sorted(head["tables"].items()):
        if want["rows"] == 0:
            continue
        if table not in present:
            failures.append(f"{table}: the table or its chain is missing; the head has {want['rows']} rows")
            continue
        problem = _walk(conn, table, want)
        if problem:
            failures.append(f"{table}: {problem}")
    return failures


def _walk(conn: Any, table: str, want: dict[str, Any]) -> str | None:
    """Recompute the table's chain from its rows up to the head's row count and compare; None if it matches."""
    from forecasts.store.ledger import _spec

    idx, spec = _spec(conn, table)
    sql = (
        f'SELECT t.*, d.digest FROM "{table}" t LEFT JOIN {DIGEST_TABLE} d ON d.tbl = ? AND d.ledger_row = t.id '
        "ORDER BY t.id LIMIT ?"
    )
    prev, n, last, first_bad = "", 0, 0, None
    for row in conn.execute(sql, [table, want["rows"]]):
        n, last = n + 1, row[idx]
        prev = digest(prev, canonical(table, spec, row[:-1]))
        if first_bad is None and row[-1] != prev:
            first_bad = last  # the row whose stored digest no longer matches: changed, or chained outside
    if n < want["rows"]:
        has = f"the head has {want['rows']} rows up to #{want['last_id']}"
        if n == 0:
            return f"no rows remain but {has}: every row was cut"
        return (
            f"the chain ends at row #{last} ({n} rows) but {has}: rows cut from the tail, the first missing one "
            f"after #{last}"
        )
    if last != want["last_id"]:
        return (
            f"row {want['rows']} is #{last} but the head's is #{want['last_id']}: rows removed or inserted, "
            f"the first that differs at or before #{min(last, want['last_id'])}"
        )
    if prev != want["digest"]:
        where = (
            f"first row that differs: #{first_bad}"
            if first_bad is not None
            else f"re-chained: the first row that differs is at or before #{last} (compare an older head to narrow it)"
        )
        return f"the chain through #{last} does not reach the head {want['digest'][:16]}…; {where}"
    return None


def check_file_against(db: Any, path: Any) -> dict[str, Any]:
    """`db check --against FILE`: read the head in FILE (a report or a saved head) and check the chains pass it."""
    from pathlib import Path

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ForecastsError(f"against: cannot read {p}: {exc.strerror or exc}") from None
    if len(data) > 50_000_000:
        raise ForecastsError(f"against: {p} is {len(data):,} bytes; a report or head file is far smaller")
    head = read_head(data.decode("utf-8", errors="replace"), str(p))
    failures = check_against(db, head)
    return {"ok": not failures, "against": str(p), "head": head, "failures": failures}


def head_lines(head: dict[str, Any]) -> list[str]:
    """`db head` for the terminal: per table its rows and last row, then its full digest (lines within 80 columns)."""
    out = [f"ledger head{' as of ' + head['as_of'] if head.get('as_of') else ''}"]
    for t, v in sorted(head["tables"].items()):
        out.append(f"{t:<24}{v['rows']:>10} rows" + (f", last #{v['last_id']}" if v["rows"] else ""))
        if v["rows"]:
            out.append(f"  {v['digest']}")
    out.append(f"all {head['digest']}")
    return out


def save_head(head: dict[str, Any], path: Any) -> dict[str, Any]:
    """Write a head as the JSON `db head --json` prints, to a new file (never overwritten: a published head is kept
    as it was), creating its folder; `db check --against` reads it back."""
    from pathlib import Path

    target = Path(path)
    if target.exists():
        raise ForecastsError(f"out: {target} already exists; a saved head is never overwritten (choose a new name)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as out:
            out.write(json.dumps(head, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise ForecastsError(f"out: cannot write {target} ({exc.strerror or exc})") from None
    return {"file": str(target), "digest": head.get("digest")}
