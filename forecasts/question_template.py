"""`forecasts questions new ID`: a commented question file to fill in (docs/questions.md has every field).

The template leaves `title` and `resolution_criteria` empty on purpose: `forecasts sync` refuses it, naming
those fields, until someone writes them, so a half-written question never reaches the database.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from forecasts.errors import ForecastsError
from forecasts.numeric.spec import NUMERIC_TYPES
from forecasts.questions import ID_PATTERN, QUESTION_TYPES
from forecasts.timeutil import now_utc

HEADER = """\
# A question file (docs/questions.md documents every field). The file name is the id: {qid}.
# Fill in title and resolution_criteria, check the dates and the prior, then run `forecasts sync`.

title = ""                      # required: the question as a reader sees it, ending in "?"
type = "{qtype}"{type_note}
{outcomes}opens_at = {opens}           # forecasts are accepted from this date (UTC)
closes_at = {closes}          # ... until this date; the question's scored lifetime is opens_at..closes_at
resolves_by = {resolves}        # when the outcome should be known (on or after closes_at)
{deadline}tags = []                       # e.g. ["ceasefire", "us-policy"]: filters for lists, reports and scores
description = \"\"\"
Background a forecaster needs: who said what, when, with sources.
\"\"\"
resolution_criteria = \"\"\"
\"\"\"                             # required: exactly what makes each outcome true, and which sources decide
fine_print = \"\"\"
\"\"\"                             # optional: edge cases settled in advance
"""

BINARY_PRIOR = """
[prior]
# A base rate from a reference class: Beta(1 + successes, 1 + trials - successes).
reference = ""                  # required with successes/trials: what was counted
successes = 1
trials = 4
reasoning = \"\"\"
Why this reference class fits, and what it leaves out.
\"\"\"
# Or a Beta directly:      a = 2.0  b = 6.0
# Or a point prior:        probability = 0.2  note = "where it comes from"
# hazard_shape = 2.0       # deadline questions only: Gamma shape of the event rate (default: matched to the Beta)
"""

CATEGORICAL_PRIOR = """
[prior]
# One number per outcome, in the order of `outcomes`: Dirichlet alpha, or counts (alpha = 1 + count),
# or probabilities (summing to 1) with a concentration (default 10).
probabilities = [0.25, 0.25, 0.25, 0.25]
concentration = 10
reference = ""
reasoning = \"\"\"
Why these shares.
\"\"\"
"""


NUMERIC_RANGE = """range_min = 0                   # required: the range the forecast's CDF covers
range_max = 100
open_lower_bound = false        # true: the outcome may fall below range_min (a forecast keeps >= 0.1% there)
open_upper_bound = false        # true: the outcome may fall above range_max
scale = "linear"                # linear, or log (Metaculus's log axis; zero_point outside the range, default 0)
# zero_point = 0
unit = ""                       # shown after values, e.g. "%" or "km2"
"""

NUMERIC_PRIOR = """
[prior]
# The value at closes_at: normal (mean, sd), lognormal (mu, sigma of the log) or uniform (low, high).
distribution = "normal"
mean = 50
sd = 15
reference = ""                  # optional: the base rate or series it comes from
reasoning = \"\"\"
Why this distribution: the trend, the base rate, and what could move it.
\"\"\"
# The model (docs/numeric.md): the value moves by drift a day (uncertain by drift_sd), plus a random walk.
# drift = 0.0
# drift_sd = 0.0
# step_sd = 0.1                 # per square-root day
"""

COMMENT_AT = 32  # the column the template's comments start at

DATE_RANGE = """range_min = {lo}          # required: the dates the forecast's CDF covers
range_max = {hi}
open_lower_bound = false        # true: the date may fall before range_min
open_upper_bound = true         # true: the date may fall after range_max (it may not happen in the range at all)
"""

DATE_PRIOR = """
[prior]
# The date: normal (mean a date, sd in days) or uniform (low, high: dates).
distribution = "normal"
mean = {mean}
sd = 120
reference = ""                  # optional: the base rate or series it comes from
reasoning = \"\"\"
Why this date and spread: comparable cases, the schedule, and what could move it.
\"\"\"
"""


def template(qid: str, qtype: str = "binary") -> str:
    """The commented TOML text of a new question `qid` of type `qtype`, dated from today."""
    if not ID_PATTERN.match(qid):
        raise ForecastsError(f"id: {qid!r} must be a slug: lowercase letters, digits and '-', max 80 chars")
    if qtype not in QUESTION_TYPES + NUMERIC_TYPES:
        raise ForecastsError(f"type: {qtype!r} is not one of: {', '.join(QUESTION_TYPES + NUMERIC_TYPES)}")
    today = now_utc().date()
    closes = today + timedelta(days=365)
    if qtype in NUMERIC_TYPES:
        return _numeric_template(qid, qtype, today, closes)
    binary = qtype == "binary"
    outcomes = (
        ""
        if binary
        else 'outcomes = ["a", "b", "c", "d"]       # names: letters, digits, "-", "_", "."\n'
        + ("# bin_ends = [2026-06-01, 2027-01-01, 2027-06-01]   # \"when\" questions: end of each window but the last\n"
           if qtype == "ordered" else "")
    )  # fmt: skip
    notes = {
        "binary": "                 # binary (yes/no), categorical, or ordered (categories in order)",
        "categorical": "            # binary (yes/no), categorical, or ordered (categories in order)",
        "ordered": "                # binary (yes/no), categorical, or ordered (categories in order)",
    }
    deadline = (
        "deadline_question = false       # true: 'will X happen by closes_at?' (decays while it doesn't)\n"
        if binary
        else ""
    )
    text = HEADER.format(
        qid=qid, qtype=qtype, type_note=notes[qtype], outcomes=outcomes, opens=today, closes=closes,
        resolves=closes + timedelta(days=31), deadline=deadline,
    )  # fmt: skip
    return text + (BINARY_PRIOR if binary else CATEGORICAL_PRIOR)


def _numeric_template(qid: str, qtype: str, today: date, closes: date) -> str:
    """The numeric or date question's file: range, bounds, axis and unit after the type, and a distribution prior
    valid as written (only title and resolution_criteria are left to fill, as in every template)."""
    note = " " * (COMMENT_AT - len(f'type = "{qtype}"')) + "# numeric (a quantity: how much?) or date (a moment: when?)"
    head = HEADER.format(
        qid=qid, qtype=qtype, type_note=note, outcomes="", opens=today, closes=closes,
        resolves=closes + timedelta(days=31), deadline="",
    )  # fmt: skip
    if qtype == "numeric":
        return head.replace("opens_at =", NUMERIC_RANGE + "opens_at =", 1) + NUMERIC_PRIOR
    rng = DATE_RANGE.format(lo=today, hi=today + timedelta(days=730))
    return head.replace("opens_at =", rng + "opens_at =", 1) + DATE_PRIOR.format(mean=today + timedelta(days=365))


def write_template(root: Path, qid: str, qtype: str = "binary") -> Path:
    """Write `root/qid.toml` from the template; never overwrite a file."""
    text = template(qid, qtype)
    path = root / f"{qid}.toml"
    if path.exists():
        raise ForecastsError(f"id: {path} already exists; pick another id or edit that file")
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
