"""Question kinds and the log-score clamp as every scoring path sees them: below scoring, its compiled kernels and
its small-data path, so the kernels import no module that imports them. Pure Python."""

from __future__ import annotations

LOG_CLAMP = (0.001, 0.999)
BINARY, CATEGORICAL, ORDERED = "binary", "categorical", "ordered"
KIND_CODES = {BINARY: 0, CATEGORICAL: 1, ORDERED: 2}  # question types as the compiled kernels see them
