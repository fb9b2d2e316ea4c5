"""A tiny question pack for the reliability tests: open binary, closed binary, open categorical."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

QUESTIONS = {
    "open-q": """
        title = "Open binary question"
        type = "binary"
        opens_at = 2024-01-01
        closes_at = 2099-01-01
        resolves_by = 2099-02-01
        resolution_criteria = "Yes if it happens."
        [prior]
        probability = 0.3
        note = "test prior"
    """,
    "closed-q": """
        title = "Closed binary question"
        type = "binary"
        opens_at = 2024-01-01
        closes_at = 2025-01-01
        resolves_by = 2025-02-01
        resolution_criteria = "Yes if it happened."
        [prior]
        a = 2
        b = 3
    """,
    "cat-q": """
        title = "When?"
        type = "ordered"
        outcomes = ["early", "middle", "late"]
        opens_at = 2024-01-01
        closes_at = 2099-01-01
        resolves_by = 2099-02-01
        resolution_criteria = "The period in which it happens."
        [prior]
        alpha = [1, 2, 1]
    """,
}


def write_pack(root: Path) -> Path:
    """Write the pack under root/questions and return that directory."""
    qdir = root / "questions"
    qdir.mkdir(parents=True, exist_ok=True)
    for qid, text in QUESTIONS.items():
        (qdir / f"{qid}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return qdir


def dump(db_path: Path) -> str:
    """Every schema statement and row of the database, as SQL text (for before/after comparisons)."""
    conn = sqlite3.connect(str(db_path))
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()
