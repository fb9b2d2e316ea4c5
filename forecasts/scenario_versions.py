"""Scenario file versions: every synced text of each scenario and dependency file, append-only, so scenario
probabilities "as of" a time use the definitions known then, as question versions do for questions.

`sync` records a version whenever a file under `**/scenarios/` is added, changed or removed (content NULL).
A database that never synced scenario files (made before this table existed) has none: readers then fall back
to the files, as before.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError
from forecasts.timeutil import to_iso

TABLE = "scenario_file_versions"


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


def record_scenario_files(db: Any, root: Path, stamp: str) -> dict[str, list[str]]:
    """Append a version of each scenario file added, changed or removed since the last sync (inside sync's
    transaction); returns the paths by what happened to them."""
    from forecasts.db import insert_row

    texts = file_texts(root)
    stored = _latest(db)
    done: dict[str, list[str]] = {"added": [], "updated": [], "removed": []}
    for path in sorted(set(texts) | set(stored)):
        version, old_text, _ = stored.get(path, (0, None, ""))
        text = texts.get(path)
        if text == old_text:
            continue
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
    return {path: text for path, (_v, text, _h) in sorted(_latest(db, known_by).items()) if text is not None}
