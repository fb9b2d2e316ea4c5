"""Scenario file versions: every synced text of each scenario and dependency file, append-only, so scenario
probabilities "as of" a time use the definitions known then, as question versions do for questions.

`sync` records a version whenever a file under `**/scenarios/` is added, changed or removed (content NULL; a
file counts as removed only when the folder it sat in, under the synced folder, is still there: syncing another
folder removes nothing). A database that never synced scenario files has none: readers then fall back to the
files, as before. For a time before this database kept scenario versions (it was upgraded) but when questions
were already known, the first versions it recorded stand in: the best record there is of those files.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.timeutil import from_iso, to_iso

TABLE = "scenario_file_versions"
MIGRATION = "m060_scenario_file_versions"
DEPENDENCY_FILE = "dependencies.toml"


def is_dependency_file(path: str) -> bool:
    """Whether a path (relative to the questions folder) is a `scenarios/dependencies.toml`."""
    parts = Path(path).parts
    return len(parts) >= 2 and parts[-2:] == ("scenarios", DEPENDENCY_FILE)


def scenario_paths(root: Path) -> list[Path]:
    """Every scenario and dependency file under root (`**/scenarios/*.toml`), in a stable order."""
    return sorted(root.rglob("scenarios/*.toml")) if root.exists() else []


def file_texts(root: Path) -> dict[str, str]:
    """{path relative to root: text} of every scenario and dependency file under root."""
    texts = {}
    for path in scenario_paths(root):
        key = path.relative_to(root).as_posix()
        try:
            texts[key] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ForecastsError(f"{root.name}/{key}: file: is not UTF-8 text") from None
    return texts


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _latest(db: Any, known_by: datetime | None = None) -> dict[str, tuple[int, str | None, str]]:
    """{path: (version, text or None if removed, content hash)} of each path's newest version (known by then)."""
    sql = f"""SELECT v.path, v.version, v.content, v.content_hash FROM {TABLE} v
              WHERE v.version = (SELECT max(w.version) FROM {TABLE} w WHERE w.path = v.path
                                 {"AND w.synced_at <= :known" if known_by is not None else ""})"""
    params = {"known": to_iso(known_by)} if known_by is not None else {}
    return {path: (version, text, digest) for path, version, text, digest in db.conn.execute(sql, params)}


def record_scenario_files(db: Any, root: Path, stamp: str, texts: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Append a version of each scenario file added, changed or removed since the last sync (inside sync's
    transaction); `texts` are the files as sync validated them. Returns the paths by what happened to them."""
    from forecasts.store.db import insert_row

    texts = file_texts(root) if texts is None else texts
    stored = _latest(db)
    done: dict[str, list[str]] = {"added": [], "updated": [], "removed": []}
    for path in sorted(set(texts) | set(stored)):
        version, old_text, _ = stored.get(path, (0, None, ""))
        text = texts.get(path)
        if text == old_text or (text is None and not (root / Path(path).parts[0]).is_dir()):
            continue  # unchanged, or from another folder's sync (its top folder is not in this tree)
        digest = "" if text is None else _hash(text)
        insert_row(db, TABLE, {"path": path, "version": version + 1, "content_hash": digest, "synced_at": stamp,
                               "content": text})  # fmt: skip
        done["removed" if text is None else "updated" if old_text is not None else "added"].append(path)
    return done


def texts_as_of(db: Any, known_by: datetime) -> dict[str, str] | None:
    """{path: text} of the scenario files known by `known_by` (removed ones left out); None when this database
    has never synced a scenario file (the caller reads the files instead)."""
    if not db.conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone():
        return None
    latest = _latest(db, known_by)
    if not latest and _before_versioning(db, known_by):
        first = db.conn.execute(f"SELECT min(synced_at) FROM {TABLE}").fetchone()[0]
        latest = _latest(db, from_iso(first))
    return {path: text for path, (_v, text, _h) in sorted(latest.items()) if text is not None}


def _before_versioning(db: Any, known_by: datetime) -> bool:
    """Whether `known_by` falls before this database kept scenario versions while it already knew questions."""
    row = db.conn.execute("SELECT applied_at FROM _migrations WHERE name = ?", [MIGRATION]).fetchone()
    if row is None or to_iso(known_by) >= row[0]:
        return False
    known = db.conn.execute("SELECT 1 FROM question_versions WHERE synced_at <= ? LIMIT 1", [to_iso(known_by)])
    return known.fetchone() is not None
