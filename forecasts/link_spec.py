"""A requested evidence link, shared by the evidence ledger and the numeric observations it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LinkSpec:
    """A requested link: ln LR for a question (and outcome, for categorical ones)."""

    question_id: str
    log_lr: float
    outcome: str | None = None
    log_lr_sd: float = 0.0
    grade: str = ""
    reasoning: str = ""
    value: Any = None  # numeric/date questions: the observed value (a date as ISO text), with its sd
    value_sd: float | None = None
