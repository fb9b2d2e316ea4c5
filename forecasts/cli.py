"""The `forecasts` command: a thin typer layer that parses, calls one library function, prints.

Heavy modules (pymc, arviz, matplotlib, scipy, and the library modules that use them) are imported
inside the commands that need them, so interactive commands stay fast.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from forecasts import cliparams
from forecasts.api import ForecastsError
from forecasts.cli_group import NumberArgsCommand, OneLineErrorGroup, version_callback
from forecasts.cli_help import add_examples, complete_forecaster, complete_question
from forecasts.progress import show_on_stderr as show_steps_on_stderr
from forecasts.safetext import json_safe, neutral

cliparams.install()  # str/int/float/Path options without pydantic: interactive commands start fast

app = typer.Typer(
    cls=OneLineErrorGroup,
    help="Forecasting and scenario tracking: questions, evidence, forecasts, resolutions, scores.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
QuestionArg = Annotated[str, typer.Argument(help="Question id.", autocompletion=complete_question)]
questions_app = typer.Typer(help="Browse the question bank.", no_args_is_help=True)
evidence_app = typer.Typer(help="Log, list, retract and import evidence.", no_args_is_help=True)
app.add_typer(questions_app, name="questions")
app.add_typer(evidence_app, name="evidence")
forecasters_app = typer.Typer(help="Register and list forecasters (names are unique regardless of case).")
app.add_typer(forecasters_app, name="forecasters")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class State:
    db_path: Path | None = None
    create_db: bool = False
    command: str = ""  # the running command's function name (set by user_errors)


# Commands (by function) that may create the database: sync and the writes; a reading command on a missing one
# is refused.
CREATING = {"sync", "questions_new", "evidence_add", "evidence_retract", "evidence_import", "forecasters_add",
            "forecast", "resolve", "unresolve", "aggregate", "weekly", "import_cmd", "import_dataset_cmd"}  # fmt: skip


def db():
    """Open the database named by --db / FORECASTS_DB (default: the project folder's), migrating it; only
    --create-db, sync and the writing commands create a missing one."""
    from forecasts.api import connect, default_db_path

    if State.command not in SERVER_SIDE and server() is not None:
        refuse_remote()
    create = State.create_db or State.command in CREATING
    return connect(State.db_path or default_db_path(State.create_db), create=create)


SERVER_SIDE = {"serve"}  # runs on the server's machine over its file even where a login to it is saved


def refuse_remote() -> None:
    """A command that works on a database file, run where a team server is set: say so rather than act on some
    local file the user did not mean."""
    try:  # typer >= 0.20 carries its own click
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context

    ctx = get_current_context(silent=True)
    path = ctx.command_path.split(" ", 1)[1:] if ctx is not None else [State.command]
    name = " ".join(["forecasts", *path])
    raise ForecastsError(f"server: `{name}` works on a database file, not through a team server; run it on the "
                         "server's machine without FORECASTS_SERVER (a saved login is ignored with --db)")


def server():
    """The team server this command goes to (FORECASTS_SERVER, or `forecasts login` when no --db), or None."""
    from forecasts.client import remote

    return remote(local_db=State.db_path is not None)


@app.callback()
def main(
    db_path: Annotated[
        Path | None,
        typer.Option("--db", envvar="FORECASTS_DB", help="SQLite file (default: db/forecasts.db of the project)."),
    ] = None,
    create_db: Annotated[
        bool, typer.Option("--create-db", help="Create db/forecasts.db here even outside a project folder.")
    ] = False,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            "--lock-timeout",
            envvar="FORECASTS_LOCK_TIMEOUT",
            metavar="SECONDS",
            help="How long a write waits for another writer's lock (default 60).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Forecasting and scenario tracking."""
    State.db_path = db_path
    from forecasts.api import set_lock_timeout

    set_lock_timeout(lock_timeout)
    show_steps_on_stderr()  # slow steps (PyMC compiles and fits, the weekly job) show a spinner on stderr
    State.create_db = create_db


def user_errors(fn: Callable) -> Callable:
    """Turn ForecastsError into 'Error: ...' on stderr and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        State.command = fn.__name__
        try:
            result = fn(*args, **kwargs)
            _schema_warning()
            return result
        except ForecastsError as exc:
            message = str(exc)
        except BrokenPipeError:  # the reader went away (`forecasts status | head`): nothing to say, like cat
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
            raise typer.Exit(0) from None
        except UnicodeError:  # an argument the shell passed as bytes that are not UTF-8 (Python keeps surrogates)
            message = "text: an argument is not valid UTF-8; pass text in UTF-8"
        except OSError as exc:  # a file or folder named on the command line cannot be read or written
            message = f"path: {exc.filename or ''}: {exc.strerror or exc}"
        except sqlite3.DatabaseError as exc:  # a damaged, unopenable or read-only database file; SQL bugs re-raise
            from forecasts.api import file_error

            message = file_error(exc, State.db_path)
            if message is None:
                raise
        except OverflowError:  # a whole number typed beyond what SQLite or a date can hold
            message = "number: a value given is too large (integers up to 2^63-1, years 1900-2999)"
        for line in message.splitlines() or [""]:
            if len(line) > 1000:  # a huge input echoed back: keep the field and the rule, not the megabyte
                line = f"{line[:400]} … {line[-400:]}"
            typer.echo(f"Error: {neutral(line)}", err=True)
        raise typer.Exit(1) from None

    return wrapper


def _schema_warning() -> None:
    """A reading command on a database written by a newer forecasts says so (writes are refused outright)."""
    from forecasts.api import newer_warning

    message = newer_warning(State.db_path)
    if message:
        typer.echo(f"Warning: {message}", err=True)


def emit_json(obj: Any) -> None:
    """Print strict JSON: NaN and infinities (no value) become null, which every JSON reader accepts."""
    from forecasts.api import json_finite

    text = json.dumps(json_finite(obj), indent=2, sort_keys=True, default=str, ensure_ascii=False, allow_nan=False)
    typer.echo(json_safe(text))  # stored C1 or bidi characters as \u escapes: the same JSON, inert on a terminal


def emit_json_rows(rows: Any) -> None:
    """emit_json for a list of rows, written as they come (the same bytes, memory of one row)."""
    from forecasts.api import write_json_array

    write_json_array(rows, functools.partial(typer.echo, nl=False))


def console():
    from rich.console import Console

    return Console(highlight=False)


def pct(p: float | None) -> str:
    from forecasts.numbers import pct as percent

    return percent(p)


def fmt_probs(probs: dict[str, float], binary: bool, sep: str = ", ") -> str:
    if binary:
        return pct(probs["yes"])
    return sep.join(f"{o} {pct(p)}" for o, p in probs.items())


def show_table(columns: list, rows: list[list[str]], title: str = "", caption: str = "") -> None:
    """Print a table that fits the terminal (80 columns when piped): text wraps, ids and numbers never cut."""
    from forecasts.termtable import note, render

    typer.echo(render(columns, rows, title=title))
    if caption:
        typer.echo(note(caption))


def print_changes(changes: list[dict]) -> None:
    for ch in changes:
        before, after = ch["before"], ch["after"]
        binary = set(before) == {"yes", "no"}
        if "numeric_after" in ch:  # numeric/date: the model's median (10% to 90%)
            typer.echo(f"  {ch['question']}: {ch['numeric_before']} → {ch['numeric_after']}")
        elif binary:
            from forecasts.numbers import pp

            delta = pp(after["yes"] - before["yes"])
            typer.echo(f"  {ch['question']}: {pct(before['yes'])} → {pct(after['yes'])} ({delta})")
        else:
            typer.echo(f"  {ch['question']}: {fmt_probs(before, False)} → {fmt_probs(after, False)}")


# --- questions --------------------------------------------------------------------------------


@app.command()
@user_errors
def sync(
    root: Annotated[Path, typer.Option("--questions", help="Folder of question files.")] = Path("questions"),
    as_json: JsonOpt = False,
) -> None:
    """Validate every question and scenario file and load them all (nothing is loaded if any file is malformed)."""
    from forecasts.api import sync as sync_questions
    from forecasts.progress import step

    remote = server()
    with step(f"validating and loading the question files in {root}"):
        if remote:  # read here, checked and loaded there (curators)
            from forecasts.client import question_texts

            report = remote.post("/api/sync", question_texts(root))
        else:
            report = sync_questions(db(), root)
    if as_json:
        return emit_json(report)
    typer.echo(
        f"synced {root}: {len(report['added'])} added, {len(report['updated'])} updated, "
        f"{len(report['unchanged'])} unchanged"
    )
    if report["not_in_files"]:
        typer.echo(f"  in the database but no longer in files (kept): {', '.join(report['not_in_files'])}")
    changed = {what: paths for what, paths in report["scenario_files"].items() if paths}
    if changed:  # scenario files are versioned too: reports as of earlier times keep the definitions known then
        from forecasts.textout import wrapped

        typer.echo(wrapped("  scenario files: " + "; ".join(f"{what} {', '.join(p)}" for what, p in changed.items())))
    for qid, fields in report["edited_after_forecasts"].items():
        typer.echo(
            f"  edited after forecasts were made: {qid}: {', '.join(fields)} (a new version; see questions show)"
        )


@questions_app.command("list")
@user_errors
def questions_list(
    tag: Annotated[str | None, typer.Option(help="Only questions with this tag.")] = None, as_json: JsonOpt = False
) -> None:
    """Every question with its state and current probability."""
    from forecasts.api import question_status

    remote = server()
    rows = remote.get_all("/api/status", tag=tag) if remote else question_status(db(), tag=tag)
    if as_json:
        return emit_json(rows)
    print_status_table(rows, "Questions")


@questions_app.command("new")
@user_errors
def questions_new(
    question_id: Annotated[str, typer.Argument(help="The new question's id (a slug; also its file name).")],
    qtype: Annotated[str, typer.Option("--type", help="binary, categorical, ordered, numeric or date.")] = "binary",
    root: Annotated[Path, typer.Option("--questions", help="Folder to write ID.toml into.")] = Path("questions"),
) -> None:
    """Write a commented question file to fill in (fields: docs/questions.md); `sync` loads it once complete."""
    from forecasts.api import write_template

    path = write_template(root, question_id, qtype)
    typer.echo(f"wrote {path}: fill in title, resolution_criteria and the prior, then run `forecasts sync`")


@questions_app.command("show")
@user_errors
def questions_show(question_id: QuestionArg, as_json: JsonOpt = False) -> None:
    """One question in full: criteria, prior, probability, evidence and forecasts."""
    from forecasts.api import current_viewer, latest_per_forecaster, question_detail

    remote = server()
    if remote:
        detail = remote.get(f"/api/questions/{remote.q(question_id)}")
        detail.setdefault("forecasts_hidden", 0)
    else:
        database = db()
        detail = question_detail(database, question_id, viewer=current_viewer(database))
    if as_json:
        return emit_json(detail)
    from forecasts.textout import bold, wrapped  # plain text: a summary's "[brackets]" print as typed

    q = detail["question"]
    lines: list[str] = []
    say = lines.append
    say(f"{bold(q['id'])}: {q['title']}  ({q['type']}, {detail['state']})")
    say(f"opens {q['opens_at']}  closes {q['closes_at']}  resolves by {q['resolves_by']}")
    if q["deadline_question"]:
        say("deadline question: the probability decays while the event does not happen")
    say(f"tags: {', '.join(q['tags'])}")
    if q.get("external_id") or q.get("source"):
        say(f"source: {q.get('source') or '—'}  external id: {q.get('external_id') or '—'}")
    say(f"\n{bold('Resolution criteria')}\n{prose(q['resolution_criteria'])}")
    if q["fine_print"]:
        say(f"\n{bold('Fine print')}\n{prose(q['fine_print'])}")
    prior = q["prior"]
    if detail.get("numeric"):  # numeric/date: median (10% to 90%) of the model, the prior and each forecast
        from forecasts.api import numeric_lines

        numeric_lines(detail, say, bold, prose)
    else:
        shown = fmt_probs(detail["prior"], q["type"] == "binary") if q.get("has_prior", True) else "—"
        say(f"\n{bold('Prior')} {shown}  {describe_prior(prior)}")
        if prior.get("reasoning") and q.get("has_prior", True):
            say(prose(prior["reasoning"]))
        say(f"\n{bold('Now')} {fmt_probs(detail['probabilities'], q['type'] == 'binary')}")
    if detail["resolution"]:
        r = detail["resolution"]
        say(f"resolved {r['outcome']} (known {r['known_at']}, source {r['source']})")
    if detail["resolution_history"]:
        from forecasts.api import describe_resolution_row

        say(f"\n{bold('Resolution history')} ({len(detail['resolution_history'])})")
        for row in detail["resolution_history"]:
            say(f"  {describe_resolution_row(row)}")
    if len(detail["versions"]) > 1:
        say(f"\n{bold('Versions')} ({len(detail['versions'])})")
        for v in detail["versions"]:
            what = f"changed {', '.join(v['changed'])}" if v["changed"] else "first synced"
            say(f"  v{v['version']} synced {v['synced_at']}: {what}")
    say(f"\n{bold('Evidence')} ({len(detail['evidence'])})")
    for e in detail["evidence"]:
        mark = " [retracted]" if e["retracted"] else ""
        here = [lk for lk in e["links"] if lk["question"] == q["id"]]
        lrs = "LR " + ", ".join(f"{lk['outcome'] + ' ' if lk['outcome'] else ''}{lk['lr']:.3g}" for lk in here)
        if here and "value" in here[0]:  # an observation of a numeric question's quantity
            from forecasts.api import observation_text

            lrs = observation_text(detail, here[0])
        others = lr_lines([lk for lk in e["links"] if lk["question"] != q["id"]])
        also = f"; also {', '.join(others)}" if others else ""
        say(f"  #{e['id']} {e['observed_at'][:10]} {e['summary']} ({lrs}, r={e['reliability']:.2f}{also}){mark}")
    standing = latest_per_forecaster(detail["forecasts"])
    say(f"\n{bold('Standing forecasts')} ({len(standing)} forecasters, {len(detail['forecasts'])} forecasts "
        f"in all: `forecasts forecast-list --question {q['id']}`)")  # fmt: skip
    for f in standing:
        if f.get("cdf") is not None:
            from forecasts.api import forecast_text

            p = forecast_text(detail, f)
        else:
            p = pct(f["probability"]) if f["probability"] is not None else fmt_probs(f["probabilities"], False)
        say(f"  {f['made_at'][:16]} {f['forecaster_id']}: {p}  {f['rationale']}")
    if detail["forecasts_hidden"]:
        say(f"  ({detail['forecasts_hidden']} forecasts by others hidden (tag hide-crowd) until you forecast)")
    typer.echo(wrapped("\n".join(lines)))


@questions_app.command("export")
@user_errors
def questions_export(
    out: Annotated[Path, typer.Argument(help="New .csv or .jsonl file (the format `forecasts import` reads).")],
    as_json: JsonOpt = False,
) -> None:
    """Write every question, one a row, in the bulk format `forecasts import` takes (docs/imports.md)."""
    from forecasts.api import export_questions

    result = export_questions(db(), out)
    if as_json:
        return emit_json(result)
    typer.echo(f"exported {result['questions']} questions to {result['file']}")


def prose(text: str) -> str:
    """Join a question file's hard-wrapped lines into paragraphs, so the terminal wraps them once.

    Blank lines and lines that start a list item ("- ", "* ", "1. ") keep their break."""
    import re

    return re.sub(r"(?<=\S)[ \t]*\n[ \t]*(?!\s|[-*] |\d+\. )", " ", text or "")


def describe_prior(prior: dict) -> str:
    if prior.get("kind") == "none":
        return "no prior (imported without one; the model does not forecast it)"
    if prior.get("kind") == "beta" and "trials" in prior:
        return f"Beta({prior['a']:g}, {prior['b']:g}) from {prior['successes']}/{prior['trials']}: {prior['reference']}"
    if prior.get("kind") == "beta":
        return f"Beta({prior['a']:g}, {prior['b']:g})" + (f": {prior['reference']}" if prior.get("reference") else "")
    if prior.get("kind") == "dirichlet":
        return "Dirichlet(" + ", ".join(f"{a:g}" for a in prior["alpha"]) + ")"
    return "point prior"


def print_status_table(rows: list[dict], title: str) -> None:
    from forecasts.termtable import Column

    columns = [Column("id"), Column("state", 2), Column("now"), Column("evidence", 3, right=True, short="ev"),
               Column("closes", 4), Column("prior", 5), Column("title", 6, wrap=True, min_width=20)]  # fmt: skip
    table = []
    for r in rows:
        binary = r["type"] == "binary"
        if r.get("numeric"):  # numeric/date: median (10% to 90%)
            now, prior = r["outcome"] or r["numeric"]["now_text"], r["numeric"]["prior_text"]
            table.append([r["id"], r["state"], now, str(r["evidence_count"]), r["closes_at"][:10], prior, r["title"]])
            continue
        now = fmt_probs(r["probabilities"], binary, "\n")
        if r["outcome"] and r["outcome"] not in r["probabilities"]:
            now = r["outcome"]  # ambiguous or annulled
        prior = fmt_probs(r["prior"], binary, "\n") if r.get("has_prior", True) else "—"  # imported: no prior
        table.append([r["id"], r["state"], now, str(r["evidence_count"]), r["closes_at"][:10], prior, r["title"]])
    show_table(columns, table, title=f"{title} (model's fast path, now)")


@app.command()
@user_errors
def status(
    tag: Annotated[str | None, typer.Option(help="Only questions with this tag.")] = None, as_json: JsonOpt = False
) -> None:
    """Every question's state and current fast-path probability."""
    from forecasts.api import question_status

    remote = server()
    rows = remote.get_all("/api/status", tag=tag) if remote else question_status(db(), tag=tag)
    if as_json:
        return emit_json(rows)
    print_status_table(rows, "Status")


# --- evidence ---------------------------------------------------------------------------------


@evidence_app.command("add")
@user_errors
def evidence_add(
    questions: Annotated[list[str], typer.Argument(help="Question ids this evidence bears on.")],
    summary: Annotated[str, typer.Option(help="What was observed.")],
    observed_at: Annotated[
        str | None, typer.Option(help="When it became known (ISO-8601, UTC if no zone; default now).")
    ] = None,
    lr: Annotated[
        list[str] | None, typer.Option(help="Likelihood ratio P(E|yes)/P(E|no): N, QUESTION=N or QUESTION:OUTCOME=N.")
    ] = None,
    grade: Annotated[
        list[str] | None,
        typer.Option(help="Verbal grade instead of --lr, e.g. 'strong for' or QUESTION='weak against'."),
    ] = None,
    lr_sd: Annotated[float | None, typer.Option(help="Uncertainty: sd of ln LR (default 0; 0.4 for grades).")] = None,
    value: Annotated[
        list[str] | None, typer.Option(help="Numeric/date question: the observed value, V or QUESTION=V (with --sd).")
    ] = None,
    sd: Annotated[
        list[str] | None, typer.Option(help="Standard error of --value: S or QUESTION=S (dates: days).")
    ] = None,
    source: Annotated[str, typer.Option(help="Who reported it.")] = "",
    url: Annotated[str, typer.Option(help="Link to the source (http/https).")] = "",
    reliability: Annotated[str, typer.Option(help="0-1 or Admiralty grade (A-F, optional 1-6, e.g. B2).")] = "1",
    by: Annotated[str, typer.Option("--by", help="Who is logging it.")] = "",
    reasoning: Annotated[str, typer.Option(help="Why this likelihood ratio.")] = "",
    tag: Annotated[list[str] | None, typer.Option(help="Tags (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Log one evidence item on one or more questions and show each question's before → after."""
    from forecasts.api import (
        EvidenceItem,
        add_evidence,
        identify,
        item_links,
        now_utc,
        parse_datetime,
        parse_reliability,
    )

    remote = server()
    if remote:
        result = remote.post("/api/evidence", {
            "questions": questions, "summary": summary, "observed_at": observed_at, "lr": lr or [],
            "grade": grade or [], "lr_sd": lr_sd, "source": source, "url": url, "reliability": reliability, "by": by,
            "reasoning": reasoning, "tags": tag or [], "value": value or [], "sd": sd or []})  # fmt: skip
        if as_json:
            return emit_json(result)
        typer.echo(f"logged evidence #{result['evidence_id']}")
        return print_changes(result["changes"])
    rel, rel_grade = parse_reliability(reliability)
    item = EvidenceItem(
        summary=summary,
        observed_at=parse_datetime(observed_at, "observed_at") if observed_at is not None else now_utc(),
        links=item_links(questions, lr or [], grade or [], lr_sd, reasoning, value, sd),
        source=source,
        url=url,
        reliability=rel,
        reliability_grade=rel_grade,
        recorded_by="",
        tags=tag or [],
    )
    database = db()
    item.recorded_by = identify(database, by, required=False, fld="recorded_by")
    result = add_evidence(database, item)
    if as_json:
        return emit_json(result)
    typer.echo(f"logged evidence #{result['evidence_id']}")
    print_changes(result["changes"])


@evidence_app.command("list")
@user_errors
def evidence_list(
    question: Annotated[str | None, typer.Option(help="Only evidence linked to this question.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Evidence items, newest observation first, with their links (retracted items marked)."""
    from forecasts.api import list_evidence
    from forecasts.termtable import Column

    remote = server()
    rows = remote.get_all("/api/evidence", question=question) if remote else list_evidence(db(), question)
    if as_json:
        return emit_json(rows)
    columns = [Column("id", right=True), Column("observed", 2), Column("summary", wrap=True, min_width=18),
               Column("likelihood ratios"), Column("r", 3, right=True)]  # fmt: skip
    table = []
    for e in rows:
        links = "\n".join(lr_lines(e["links"]))
        summary = ("[retracted] " if e["retracted"] else "") + e["summary"]
        table.append([str(e["id"]), e["observed_at"][:10], summary, links, f"{e['reliability']:.2f}"])
    show_table(columns, table, title="Evidence (newest observation first; r = source reliability)",
               caption="likelihood ratios: one per outcome, in order, for categorical questions")  # fmt: skip


def condition_lines(question: str, outcomes: list[str], width: int = 30) -> str:
    """`q=a/b` on one line when short, else the question then one outcome per indented line (ids never cut)."""
    line = f"{question}={'/'.join(outcomes)}"
    return line if len(line) <= width else "\n".join([f"{question}=", *(f"  {o}" for o in outcomes)])


def lr_lines(links: list[dict]) -> list[str]:
    """One line per question: `q 1.5`, or `q 0.9/1/1.05` (one per outcome) for a categorical question."""
    grouped: dict[str, list[str]] = {}
    for lk in links:
        grouped.setdefault(lk["question"], []).append(f"{lk['lr']:.3g}")
    return [f"{q} {'/'.join(lrs)}" for q, lrs in grouped.items()]


@evidence_app.command("retract")
@user_errors
def evidence_retract(
    evidence_id: int,
    reason: Annotated[str, typer.Option(help="Why it is retracted.")],
    by: Annotated[str, typer.Option("--by", help="Who retracts it.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Retract an evidence item (a new row; the original stays in the ledger)."""
    from forecasts.api import identify, retract_evidence

    remote = server()
    if remote:
        result = remote.post(f"/api/evidence/{evidence_id}/retract", {"reason": reason, "by": by})
    else:
        database = db()
        who = identify(database, by, required=False, fld="recorded_by")
        result = retract_evidence(database, evidence_id, reason, who)
    if as_json:
        return emit_json(result)
    typer.echo(f"retracted evidence #{evidence_id}")
    print_changes(result["changes"])


@evidence_app.command("import")
@user_errors
def evidence_import(
    path: Annotated[Path, typer.Argument(help="A .csv or .jsonl file of evidence items.")], as_json: JsonOpt = False
) -> None:
    """Import evidence in bulk, all or nothing; items whose key is already logged are skipped."""
    from forecasts.api import import_evidence

    result = import_evidence(db(), path)
    if as_json:
        return emit_json(result)
    typer.echo(
        f"imported {result['imported']} evidence items from {path} ({result['skipped_existing']} already logged)"
    )


# --- forecasters -------------------------------------------------------------------------------


@forecasters_app.command("add")
@user_errors
def forecasters_add(
    names: Annotated[list[str], typer.Argument(help="Names to register (unique regardless of case).")],
    login: Annotated[str, typer.Option(help="Bind the one name to this OS login: only it may write as them.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Register people as forecasters (all or nothing)."""
    from forecasts.api import add_forecasters

    result = add_forecasters(db(), names, login)
    if as_json:
        return emit_json(result)
    typer.echo(f"registered {', '.join(result['added'])}")


@forecasters_app.command("list")
@user_errors
def forecasters_list(as_json: JsonOpt = False) -> None:
    """Registered forecasters: people, the model and the aggregates."""
    from forecasts.api import list_forecasters

    remote = server()
    rows = remote.get("/api/forecasters") if remote else list_forecasters(db())
    if as_json:
        return emit_json(rows)
    for r in rows:
        bound = f"  (login {r['login']})" if r["login"] else ""
        typer.echo(f"{r['id']:<24} {r['kind']:<9} {r['created_at'][:10]}  {r['os_user']}{bound}")


# --- forecasts and resolutions ------------------------------------------------------------------


@app.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@user_errors
def forecast(
    ctx: typer.Context,
    question: QuestionArg,
    probability: Annotated[
        str | None,
        typer.Argument(help="P(yes) in (0,1), OUTCOME=P,... for categorical; numeric/date: --p10 V --p90 V ..."),
    ] = None,
    below: Annotated[float | None, typer.Option(help="Numeric, open lower bound: percent of mass below it.")] = None,
    above: Annotated[float | None, typer.Option(help="Numeric, open upper bound: percent of mass above it.")] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Registered forecaster (default: FORECASTS_USER or forecasts.toml).",
            autocompletion=complete_forecaster,
        ),
    ] = None,
    rationale: Annotated[str, typer.Option(help="Why.")] = "",
    new_forecaster: Annotated[bool, typer.Option("--new-forecaster", help="Register --by if it is new.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Submit a forecast; it stands until your next one on the question."""
    from forecasts.api import (
        forecast_feedback,
        get_question,
        identify,
        percentile_flags,
        submit_forecast,
        unknown_option,
    )
    from forecasts.cli_group import click_exc

    if bogus := unknown_option(ctx.args):  # --pNN pass through; anything else is click's usage error (exit 2)
        raise click_exc.NoSuchOption(bogus, ctx=ctx)
    remote = server()
    if remote:  # the server writes as the token's user; --by naming someone else is refused there
        result = remote.post("/api/forecasts", {"question": question, "probability": probability,
                                                "percentiles": ctx.args, "below": below, "above": above,
                                                "rationale": rationale, "by": by})  # fmt: skip
        if "description" in result:  # a numeric or date question: the server's line, as the local one
            description = result.pop("description")
            return emit_json(result) if as_json else typer.echo(description)
    else:
        database = db()
        q = get_question(database, question)
        extra = percentile_flags(q, probability, ctx.args, below, above)
        if extra is not None:
            from forecasts.api import describe_numeric_forecast as describe
            from forecasts.api import submit_percentiles

            by = identify(database, by, new_forecaster)
            result = submit_percentiles(database, q, extra, below, above, by, rationale)
            return emit_json(result) if as_json else typer.echo(describe(q, result))
        by = identify(database, by, new_forecaster)
        result = submit_forecast(database, question, probability, by, rationale)
        result["feedback"] = forecast_feedback(database, q, by, result["id"])
    if as_json:
        return emit_json(result)
    binary = result["probability"] is not None
    shown = pct(result["probability"]) if binary else fmt_probs(result["probabilities"], False)
    typer.echo(f"forecast #{result['id']}: {result['forecaster']} on {question}: {shown}")
    fb = result["feedback"]
    prev = f"{fmt_probs(fb['previous'], binary)} ({fb['previous_made_at'][:10]})" if fb["previous"] else "none"
    if fb["crowd_hidden"]:
        crowd = "hidden on this question (tag hide-crowd)"
    elif fb["crowd"] is None:
        crowd = "no one else has forecast yet"
    else:
        n = fb["crowd_people"]
        crowd = f"{fmt_probs(fb['crowd'], binary)} (median of {n} other{'s' if n != 1 else ''})"
    typer.echo(f"  your previous: {prev}; crowd: {crowd}")


@app.command()
@user_errors
def comment(
    question: QuestionArg,
    body: Annotated[str | None, typer.Argument(help="The comment (1-10,000 characters); omit it with --list.")] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Registered forecaster (default: FORECASTS_USER or forecasts.toml).",
                     autocompletion=complete_forecaster),
    ] = None,
    show: Annotated[bool, typer.Option("--list", help="Print the question's thread instead, oldest first.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a comment to a question's thread (the one its web page shows), or --list the thread."""
    from forecasts.api import add_comment, get_question, identify, list_comments

    remote = server()
    if show:
        if remote:
            rows = remote.get_all(f"/api/questions/{remote.q(question)}/comments")
        else:
            database = db()
            rows = list_comments(database, get_question(database, question).id)
        if as_json:
            return emit_json(rows)
        from forecasts.textout import wrapped

        for r in rows:
            typer.echo(f"#{r['id']} {r['author']} {r['created_at'][:16]}")
            typer.echo(wrapped("\n".join("  " + line for line in r["body"].splitlines())))
        return typer.echo("no comments yet") if not rows else None
    if body is None:
        raise ForecastsError("body: give the comment's text (or --list to read the thread)")
    if remote:
        result = remote.post(f"/api/questions/{remote.q(question)}/comments", {"body": body, "by": by})
    else:
        database = db()
        result = add_comment(database, question, identify(database, by), body)
    if as_json:
        return emit_json(result)
    typer.echo(f"comment #{result['id']}: {result['author']} on {result['question']}")


@app.command("forecast-list")
@user_errors
def forecast_list(
    question: Annotated[str | None, typer.Option(help="Only this question.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Only this forecaster.", autocompletion=complete_forecaster)
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only questions with this tag.")] = None,
    people: Annotated[bool, typer.Option("--people", help="Only people (not the model or the crowd).")] = False,
    full: Annotated[bool, typer.Option("--full", help="Every outcome and the rationale (several lines each).")] = False,
    include_replays: Annotated[
        bool, typer.Option("--include-replays", help="Also the model's replayed history (bayes-reconstructed).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Forecasts, oldest first: one line each (the likeliest outcome for categorical ones) unless --full."""
    from forecasts.api import current_viewer, list_forecasts, visible, without_replays
    from forecasts.termtable import Column

    remote = server()
    replays = include_replays or (by or "").lower() == "bayes-reconstructed"
    if as_json and not remote:  # written as read, the rows this viewer may see (hide-crowd): memory of one row
        from forecasts.api import iter_forecasts, visible_rows

        database = db()
        rows_in = iter_forecasts(database, question, by, tag=tag, people=people)
        return emit_json_rows(visible_rows(database, rows_in, current_viewer(database), replays))
    hidden = replayed = 0
    if remote:
        rows, more = remote.get_pages("/api/forecasts", question=question, by=by, tag=tag,
                                         people="true" if people else None)
        hidden = more.get("hidden", 0)
    else:
        database = db()
        rows, hidden = visible(database, list_forecasts(database, question, by, tag=tag, people=people),
                               current_viewer(database))  # fmt: skip
    if not replays:
        rows, replayed = without_replays(rows)
    if as_json:  # from a team server: the rows it sent
        return emit_json(rows)
    columns = [Column("id", 1, right=True), Column("made", 2), Column("question"), Column("by"),
               Column("forecast")]  # fmt: skip
    if full:
        columns.append(Column("rationale", 3, wrap=True, min_width=16))
    table = []
    for f in rows:
        if f.get("cdf") is not None:
            shown = f"median {f['median']}"
        elif f["probability"] is not None:
            shown = pct(f["probability"])
        elif full:
            shown = fmt_probs(f["probabilities"], False, "\n")
        else:
            top = max(f["probabilities"], key=f["probabilities"].get)
            shown = f"{top} {pct(f['probabilities'][top])}"
        made = f["made_at"][:16].replace("T", " ") if full else f["made_at"][:10]
        table.append([str(f["id"]), made, f["question_id"], f["forecaster_id"], shown, f["rationale"]])
    caption = "" if full else "categorical: the likeliest outcome; --full for every outcome and the rationale"
    notes = [caption] if caption else []
    if replayed:
        notes.append(f"{replayed} replayed model forecasts left out (--include-replays)")
    if hidden:
        notes.append(f"{hidden} hidden (tag hide-crowd) until you forecast")
    caption = "; ".join(notes)
    show_table(columns, table, title=f"Forecasts ({len(rows)}, oldest first)", caption=caption)


@app.command("numeric-scores")
@user_errors
def numeric_scores_command(as_json: JsonOpt = False) -> None:
    """Scores on resolved numeric and date questions: Metaculus's continuous baseline and peer (time-averaged,
    with coverage, and spot at the close), CRPS, and each forecaster's PIT calibration (docs/scores.md)."""
    from forecasts.api import numeric_score_table as score_table
    from forecasts.api import numeric_scores

    remote = server()
    result = remote.get("/api/numeric-scores") if remote else numeric_scores(db())
    if as_json:
        return emit_json(result)
    columns, rows, caption = score_table(result)
    show_table(columns, rows, title="Numeric and date questions", caption=caption)


@app.command(cls=NumberArgsCommand)  # `resolve Q -0.5`: out of range, not option -0
@user_errors
def resolve(
    question: QuestionArg,
    outcome: Annotated[
        str,
        typer.Argument(
            help="yes/no, an outcome name, ambiguous, annulled, (binary) a probability like 0.37, (numeric) a value, "
            "(date) a date, or below/above an open bound."
        ),
    ],
    known_at: Annotated[str | None, typer.Option(help="When the truth became known (default now).")] = None,
    source: Annotated[str, typer.Option(help="Where the outcome is documented.")] = "",
    note: Annotated[str, typer.Option(help="Anything worth recording.")] = "",
    by: Annotated[str, typer.Option("--by", help="Who records it.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record a question's outcome (once; unresolve first to change it)."""
    from forecasts.api import identify
    from forecasts.api import resolve as resolve_question

    remote = server()
    if remote:
        result = remote.post(f"/api/questions/{remote.q(question)}/resolve", {
            "outcome": outcome, "known_at": known_at, "source": source, "note": note, "by": by})  # fmt: skip
    else:
        database = db()
        who = identify(database, by, required=False)
        result = resolve_question(database, question, outcome, known_at, source, note, who)
    if as_json:
        return emit_json(result)
    typer.echo(f"resolved {question}: {result['outcome']} (known {result['known_at']})")


@app.command()
@user_errors
def unresolve(
    question: QuestionArg,
    note: Annotated[str, typer.Option(help="Why it is reopened.")] = "",
    by: Annotated[str, typer.Option("--by", help="Who reopens it.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Reopen a resolved question (a new row; scores are recomputed without it)."""
    from forecasts.api import identify
    from forecasts.api import unresolve as unresolve_question

    remote = server()
    if remote:
        result = remote.post(f"/api/questions/{remote.q(question)}/unresolve", {"note": note, "by": by})
    else:
        database = db()
        result = unresolve_question(database, question, note, identify(database, by, required=False))
    if as_json:
        return emit_json(result)
    typer.echo(f"unresolved {question} (was {result['previous_outcome']})")


# --- scoring (issue 3): score, leaderboard, calibration ----------------------------------------


SCORE_CAPTION = (
    "Brier (p−o)², lower is better: time-averaged while your forecasts stood (Good Judgment Open); relative = "
    "yours minus the people's median, negative beats them (Fatebook); peer = Metaculus, higher is better; "
    "fixed lifetime fills the scheduled lifetime with 50%; log, baseline and peer take p clamped to [0.001, "
    "0.999]; a question resolved to a probability r scores (p−r)², log/baseline/peer their expectation under r. "
    "Every field: --json, docs/scores.md"
)


NUMERIC_CAPTION = (
    "Numeric and date questions, in columns of their own (CRPS and Brier are different scales): CRPS ÷ the range "
    "width, lower is better; relative = yours minus the people's median, time-averaged as the relative Brier, "
    "negative beats them; peer = Metaculus's continuous log peer score, higher is better. docs/numeric.md"
)


def num(x: float | None, digits: int = 4) -> str:
    from forecasts.numbers import fixed

    return fixed(x, digits)


TagsOpt = Annotated[list[str] | None, typer.Option("--tag", help="Only questions with this tag (repeat: any of them).")]


SCORE_ROWS = 1000  # rows `score` shows in the terminal by default (scores of a million forecasts make no table)


@app.command()
@user_errors
def score(
    by: Annotated[
        str | None, typer.Option("--by", help="Only this forecaster.", autocompletion=complete_forecaster)
    ] = None,
    tag: TagsOpt = None,
    question: Annotated[str | None, typer.Option(help="Only this question.")] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="Rows the table shows (0: all); --json always writes every row.")
    ] = SCORE_ROWS,
    as_json: JsonOpt = False,
) -> None:
    """Scores of every forecaster on every resolved question (ambiguous/annulled are not scored)."""
    from forecasts.api import json_rows, records, score_table, write_json_texts
    from forecasts.score_labels import header
    from forecasts.termtable import Column

    remote = server()
    hidden = 0
    if remote:
        rows = remote.get_all("/api/scores", by=by, tag=tag, question=question)
        if as_json:
            return emit_json_rows(iter(rows))
    else:
        frame = score_table(db(), by=by, tag=tag, question=question)
        if as_json:  # rendered a column at a time, written as it goes (the bytes of emit_json)
            write_json_texts(json_rows(frame), functools.partial(typer.echo, nl=False))
            return None
        hidden = len(frame) - limit if limit and len(frame) > limit else 0
        rows = records(frame.head(limit) if hidden else frame)  # a million rows make no table: only those shown
    if not rows:
        from forecasts.api import why_empty
        from forecasts.textout import wrapped

        return typer.echo(wrapped(remote.get("/api/why-empty", by=by)["message"] if remote else why_empty(db(), by)))
    numeric = [r for r in rows if r["type"] in ("numeric", "date")]
    binary = [r for r in rows if r["type"] not in ("numeric", "date")]
    if binary:
        keys = ["brier", "coverage", "relative_brier_own", "relative_brier", "peer", "brier_fixed_lifetime"]
        priority = {"brier": 0, "coverage": 4, "relative_brier_own": 1, "relative_brier": 3, "peer": 2,
                    "brier_fixed_lifetime": 5}  # fmt: skip
        columns = [Column("question"), Column("forecaster"), Column("outcome", 3),
                   *[Column(header(k), priority[k], right=True) for k in keys]]  # fmt: skip
        table = [[r["question_id"], r["forecaster_id"], str(r["outcome"]),
                  *[num(r[k], 1 if k == "peer" else 3) for k in keys]] for r in binary]  # fmt: skip
        show_table(columns, table, title="Scores on resolved questions", caption=SCORE_CAPTION)
    if numeric:
        keys = ["crps_range", "relative_crps", "peer_continuous", "coverage"]
        columns = [Column("question"), Column("forecaster"), Column("outcome", 4),
                   *[Column(header(k), n, right=True) for n, k in enumerate(keys)]]  # fmt: skip
        table = [[r["question_id"], r["forecaster_id"], str(r["outcome"]),
                  *[num(r[k], 1 if k.startswith("peer") else 3 if k == "coverage" else 4) for k in keys]]
                 for r in numeric]  # fmt: skip
        show_table(columns, table, title="Scores on resolved numeric and date questions", caption=NUMERIC_CAPTION)
    if hidden:
        more = f"{hidden:,} more {'row' if hidden == 1 else 'rows'}"
        typer.echo(f"{more} not shown; use --limit 0 for all, or --json for every row.")


@app.command()
@user_errors
def leaderboard(
    tag: TagsOpt = None,
    min_questions: Annotated[
        int | None,
        typer.Option(help="Leave out forecasters with fewer scored questions (default 1; 5 with --rank-by adjusted)."),
    ] = None,
    rank_by: Annotated[
        str,
        typer.Option(
            help="own (relative Brier over each one's own period), relative (Fatebook), peer "
            "(Metaculus), adjusted (Brier); numeric and date questions: crps (relative CRPS) or peer-continuous."
        ),
    ] = "own",
    at_close: Annotated[bool, typer.Option(help="Show the spot scores at close instead of time-averages.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """People ranked by mean relative Brier over their own forecasting period; the model and aggregates after them."""
    from forecasts.api import leaderboard as board
    from forecasts.api import records
    from forecasts.score_labels import header
    from forecasts.termtable import Column

    remote = server()
    if remote:
        rows = remote.get("/api/leaderboard", tag=tag, min_questions=min_questions, rank_by=rank_by)
    else:
        rows = records(board(db(), tag=tag, min_questions=min_questions, rank_by=rank_by))
    if as_json:
        return emit_json(rows)
    if not rows:
        from forecasts.api import why_empty
        from forecasts.textout import wrapped

        empty = remote.get("/api/why-empty")["message"] if remote else why_empty(db())
        return typer.echo(wrapped(empty if (min_questions or 1) <= 1 else
                          f"No forecaster has {min_questions} scored questions yet (--min-questions)."))  # fmt: skip
    title = f"Leaderboard (means over resolved questions, ranked by {rank_by})"
    binary = [r for r in rows if r["n_questions"]]
    numeric = [r for r in rows if r["n_numeric"]]
    if binary:
        keys = ["relative_brier_own", "relative_brier", "peer_close" if at_close else "peer", "brier_adjusted",
                "brier_close" if at_close else "brier"]  # fmt: skip
        columns = [Column("#", right=True), Column("forecaster"), Column("kind"),
                   Column(header("n_questions"), right=True),
                   *[Column(header(k), n, right=True) for n, k in enumerate(keys)]]  # fmt: skip
        table = [[str(r["rank"]), r["forecaster"], r["kind"], str(r["n_questions"]),
                  *[num(r[k], 1 if k.startswith("peer") else 3) for k in keys]] for r in binary]  # fmt: skip
        show_table(columns, table, title=title + (": yes/no and categorical" if numeric else ""), caption=SCORE_CAPTION)
    if numeric:
        keys = ["relative_crps", "peer_continuous", "crps_range"]
        columns = [Column("#", right=True), Column("forecaster"), Column("kind"),
                   Column(header("n_numeric"), right=True),
                   *[Column(header(k), n, right=True) for n, k in enumerate(keys)]]  # fmt: skip
        table = [[str(r["rank"]), r["forecaster"], r["kind"], str(r["n_numeric"]),
                  *[num(r[k], 1 if k.startswith("peer") else 4) for k in keys]] for r in numeric]  # fmt: skip
        show_table(columns, table, title=title + ": numeric and date", caption=NUMERIC_CAPTION)


@app.command()
@user_errors
def calibration(
    name: Annotated[str, typer.Argument(help="Forecaster name.", autocompletion=complete_forecaster)],
    tag: TagsOpt = None,
    plot: Annotated[Path | None, typer.Option(help="Write a reliability diagram (.svg or .png).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Calibration table (integer-percent bins) and Murphy decomposition of a forecaster's closing forecasts."""
    from forecasts.api import calibration as calibrate
    from forecasts.api import write_calibration_plot as write_plot
    from forecasts.score_labels import header
    from forecasts.termtable import Column, note

    remote = server()
    result = remote.get(f"/api/calibration/{remote.q(name)}", tag=tag) if remote else calibrate(db(), name, tag=tag)
    if not result["table"] and not as_json:
        from forecasts.api import why_empty
        from forecasts.textout import wrapped

        typer.echo(wrapped(remote.get("/api/why-empty", by=name)["message"] if remote else why_empty(db(), name)))
    if plot is not None:
        result["plot"] = str(write_plot(result["table"], plot, f"Calibration: {name}"))
    if as_json:
        return emit_json(result)
    columns = [Column("bin"), Column("n", right=True), Column("mean forecast", right=True),
               Column("observed", right=True), Column("95% interval", 1, right=True)]  # fmt: skip
    table = [[r["bin"], str(r["n"]), pct(r["mean_forecast"]), pct(r["observed"]),
              f"{pct(r['ci95_low'])}–{pct(r['ci95_high'])}"] for r in result["table"]]  # fmt: skip
    title = f"Calibration of {name} ({result['n_questions']} questions, forecasts standing at close)"
    show_table(columns, table, title=title)
    m, sc = result["murphy"], result["scores"]
    typer.echo(note(f"{header('brier')} {num(sc['brier'])}; {header('brier_close')} {num(sc['brier_close'])}; "
                    f"{header('relative_brier')} {num(sc['relative_brier'])} (means over questions)"))  # fmt: skip
    typer.echo(note(f"Murphy: Brier at close, unfolded per outcome {num(m['brier'])}; of bin means "
                    f"{num(m['brier_binned'])} = reliability {num(m['reliability'])} − resolution "
                    f"{num(m['resolution'])} + uncertainty {num(m['uncertainty'])}"))  # fmt: skip
    if result["n_probability_resolved_left_out"]:
        typer.echo(note(f"left out: {result['n_probability_resolved_left_out']} questions resolved to a probability "
                        "(calibration needs yes/no outcomes)"))  # fmt: skip
    if plot is not None:
        typer.echo(f"plot written to {result['plot']}")


# --- bayes (issue 4): posterior ----------------------------------------------------------------


def print_posterior(res: dict) -> None:
    """One PyMC run: mean, 90% interval and fast path per outcome, contributions, diagnostics."""
    from forecasts.termtable import Column, note

    typer.echo(note(f"{res['question']}: {res.get('title', '')}  (as of {res['as_of']})"))
    columns = [Column("outcome"), Column("mean", right=True), Column("90% lo", 1, right=True),
               Column("90% hi", 1, right=True), Column("fast path", 2, right=True)]  # fmt: skip
    rows = [[o, pct(m), pct(res["lo"][o]), pct(res["hi"][o]), pct(res["fast_path"][o])] for o, m in res["mean"].items()]
    title = f"Posterior run #{res['run_id']} ({res['interval']}, {res['chains']}x{res['draws']} draws)"
    show_table(columns, rows, title=title)
    if res.get("hazard"):
        h = res["hazard"]
        typer.echo(note(f"hazard/day: prior mean {h['prior_mean_per_day']:.3g} → posterior "
                        f"{h['posterior_mean_per_day']:.3g} after {h['exposure_days']:.0f} event-free days; "
                        f"{h['window_days']:.0f} days left"))  # fmt: skip
    typer.echo("")
    if res["contributions"]:
        from forecasts.numbers import signed

        columns = [Column("evidence"), Column("summary", 3, wrap=True, min_width=20), Column("log-odds", 1),
                   Column("pp", 2)]  # fmt: skip
        rows = []
        for c in res["contributions"]:
            summary = c["summary"] if len(c["summary"]) <= 80 else c["summary"][:79] + "…"
            rows.append([f"#{c['evidence_id']}", summary,
                         "\n".join(f"{o} {signed(v, 2)}" for o, v in c["log_odds"].items()),
                         "\n".join(f"{o} {signed(v, 1)}" for o, v in c["pp"].items() if o != "no")])  # fmt: skip
        show_table(columns, rows, title="Evidence contributions (mean r·ln LR in log-odds; pp: percentage points "
                   "each outcome would lose without the item)")  # fmt: skip
    else:
        typer.echo("no evidence linked")
    rhat, ess = res["rhat_max"], res["ess_min"]
    typer.echo(f"R-hat max {'—' if rhat is None else f'{rhat:.3f}'}, ESS min {'—' if ess is None else f'{ess:.0f}'}, "
               f"divergences {res['divergences']}, seed {res['seed']}")  # fmt: skip


@app.command()
@user_errors
def posterior(
    question: Annotated[
        str | None, typer.Argument(help="Question id (or --all).", autocompletion=complete_question)
    ] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Every open question, with a progress bar.")] = False,
    draws: Annotated[int, typer.Option(help="Draws per chain after tuning.")] = 1000,
    tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option(help="Chains (run one after another).")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    calibrated: Annotated[bool, typer.Option(help="Scale evidence by the learned trust scale.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Full PyMC posterior: mean, 90% credible interval, each evidence item's contribution, diagnostics; stored."""
    from forecasts.api import run_posteriors

    if (question is None) == (not all_open):
        raise ForecastsError("question: give one question id or --all (not both)")
    if all_open and not as_json:
        from rich.progress import Progress

        show_steps_on_stderr(False)  # the progress bar is the display

        with Progress(console=console()) as bar:
            task = bar.add_task("sampling posteriors", total=1.0)
            results = run_posteriors(db(), None, None, draws, tune, chains, seed, calibrated,
                                     progress=lambda f: bar.update(task, completed=f))  # fmt: skip
    else:
        results = run_posteriors(db(), [question] if question else None, None, draws, tune, chains, seed, calibrated)
    if as_json:
        return emit_json(results if all_open else results[0])
    if not all_open:
        return print_posterior(results[0])
    from forecasts.termtable import Column

    columns = [Column("question"), Column("outcome", 2), Column("mean", right=True), Column("90% interval", 1),
               Column("fast path", 3, right=True), Column("R-hat", 4, right=True),
               Column("ESS", 4, right=True)]  # fmt: skip
    rows = []
    for r in results:
        first = "yes" if "yes" in r["mean"] else max(r["mean"], key=r["mean"].get)  # binary: yes; else the likeliest
        rhat, ess = r["rhat_max"], r["ess_min"]
        rows.append([r["question"], first, pct(r["mean"][first]), f"{pct(r['lo'][first])}–{pct(r['hi'][first])}",
                     pct(r["fast_path"][first]), "—" if rhat is None else f"{rhat:.3f}",
                     "—" if ess is None else f"{ess:.0f}"])  # fmt: skip
    show_table(columns, rows, title=f"Posteriors ({len(results)} open questions, 90% equal-tailed intervals)")


# --- report (issue 5): report ------------------------------------------------------------------


@app.command()
@user_errors
def report(
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www (default: the current week).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: md, html.")] = "md,html",
    out: Annotated[Path, typer.Option("--out", help="Folder to write <week>.md / <week>.html into.")] = Path("reports"),
    root: Annotated[Path, typer.Option("--questions", help="Folder of question/scenario files.")] = Path("questions"),
    as_json: JsonOpt = False,
) -> None:
    """Write the weekly report from what was known by the end of the week (a past week regenerates identically)."""
    from forecasts.api import write_report

    result = write_report(db(), week, fmt, out, root)
    if as_json:
        return emit_json(result)
    typer.echo(f"report {result['week']} (as of {result['as_of']}): {', '.join(result['files'])}")


@app.command()
@user_errors
def weekly(
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www (default: the current week).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: md, html.")] = "md,html",
    out: Annotated[Path, typer.Option("--out", help="Folder to write <week>.md / <week>.html into.")] = Path("reports"),
    root: Annotated[Path, typer.Option("--questions", help="Folder of question/scenario files.")] = Path("questions"),
    crowd: Annotated[str, typer.Option(help="Crowd method (aggregate --method), e.g. median or auto.")] = "median",
    as_json: JsonOpt = False,
) -> None:
    """The weekly job: record the model's time decay and the crowd aggregate as forecasts, then write the report."""
    from forecasts.api import run_weekly

    result = run_weekly(db(), week, fmt, out, root, crowd)
    if as_json:
        return emit_json(result)
    typer.echo(weekly_summary(result))
    typer.echo(f"report {result['week']} (as of {result['as_of']}): {', '.join(result['files'])}")


def weekly_summary(result: dict) -> str:
    """What the weekly job recorded, and why not more (a `bayes` forecast already current, no people to pool)."""
    model = f"{result['model_forecasts']} new bayes forecasts"
    if result.get("model_current"):
        model += f" ({result['model_current']} open questions already had a current one)"
    crowd = f"{result['crowd_forecasts']} new crowd forecasts"
    crowd_questions = result.get("crowd_questions")
    if crowd_questions == 0:
        crowd += " (no person has forecast yet)"
    elif crowd_questions and not result["crowd_forecasts"]:
        crowd += f" ({crowd_questions} questions' crowd already current)"
    return f"recorded {model} and {crowd}"


@app.command()
@user_errors
def reconstruct(as_json: JsonOpt = False) -> None:
    """Replay the evidence history as if logged day by day: the model's past forecasts as `bayes-reconstructed`."""
    from forecasts.api import reconstruct as replay

    result = replay(db())
    if as_json:
        return emit_json(result)
    typer.echo(
        f"{result['forecaster']}: {result['written']} forecasts recorded, {result['corrected']} corrected "
        f"({result['planned']} in the replay of {result['questions']} questions, {result['first']} to {result['last']})"
    )


# --- skill (issue 6): skill, aggregate ---------------------------------------------------------


def _ci(d: dict, digits: int = 2) -> str:
    return f"{d['mean']:.{digits}f} [{d['lo']:.{digits}f}, {d['hi']:.{digits}f}]"


@app.command()
@user_errors
def skill(
    draws: Annotated[int, typer.Option(help="Posterior draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option(help="MCMC chains.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    method: Annotated[str, typer.Option(help="nuts (MCMC) or advi (fast approximation, 20 x tune steps).")] = "nuts",
    as_json: JsonOpt = False,
) -> None:
    """Each forecaster's calibration from resolved questions (hierarchical PyMC model), stored as a run."""
    from forecasts.api import skill_report
    from forecasts.termtable import Column, note

    result = skill_report(db(), draws=draws, tune=tune, chains=chains, seed=seed, method=method)
    if as_json:
        return emit_json(result)
    if not result.get("fitted", True):
        return typer.echo(note(result["reason"]))
    columns = [Column("forecaster"), Column("forecasts (questions)", 3, short="n"), Column("slope b"),
               Column("bias a", 1), Column("expected Brier", 2)]  # fmt: skip
    rows = [[r["forecaster"], f"{r['n_forecasts']} ({r['n_questions']})", _ci(r["slope"]), _ci(r["bias"]),
             _ci(r["expected_brier"], 3)] for r in result["forecasters"]]  # fmt: skip
    show_table(columns, rows, title=f"Skill as of {result['as_of']} (means and 90% intervals; slope b < 1: "
               "over-confident; bias a > 0: says yes too rarely)")  # fmt: skip
    verdicts: dict[str, list[str]] = {}
    for r in result["forecasters"]:  # one line per verdict, naming who it is for (many share one)
        verdicts.setdefault(r["verdict"], []).append(r["forecaster"])
    for verdict, names in verdicts.items():
        typer.echo(note(f"{verdict}: {', '.join(names)}"))
    diag = f"R-hat max {result['rhat_max']:.3f}, ESS min {result['ess_min']:.0f}" if result["rhat_max"] else ""
    typer.echo(note(f"{result['method']}, {result['seconds']:.1f}s {diag}; run #{result['run_id']}"))
    typer.echo(note(f"crowd extremizing factor: {result['extremize'] or result['extremize_note']}"))


@app.command()
@user_errors
def aggregate(
    method: Annotated[str, typer.Option(help="A method of docs/aggregation.md, or auto.")] = "median",
    backtest: Annotated[bool, typer.Option("--backtest", help="Backtest the methods; record nothing.")] = False,
    tag: Annotated[str | None, typer.Option(help="Backtest only questions with this tag.")] = None,
    since: Annotated[str | None, typer.Option(help="Backtest only questions resolved since this date.")] = None,
    min_forecasters: Annotated[int, typer.Option(help="Backtest only questions with this many people.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the backtest's bootstrap.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Record the crowd's pooled forecasts at each change of the people's forecasts (forecaster `crowd` for the
    median, `crowd-<method>` for the others), or with --backtest compare the methods on resolved questions."""
    from forecasts.termtable import Column

    if backtest:
        return _aggregate_backtest(tag, since, min_forecasters, seed, as_json)
    from forecasts.api import record_crowd

    result = record_crowd(db(), method)
    if as_json:
        return emit_json(result)
    columns = [Column("question"), Column("state", 3), Column("people", 2, right=True), Column("crowd now"),
               Column("method used", 4), Column("new", 1, right=True)]  # fmt: skip
    table = []
    for r in result["questions"]:
        crowd = r["crowd"]
        shown = pct(crowd) if isinstance(crowd, float) else (fmt_probs(crowd, False, "\n") if crowd else "—")
        table.append([r["question"], r["state"], str(r["people"]), shown, r["method_used"] or "", str(r["recorded"])])
    show_table(columns, table, title=f"Crowd ({method})")
    numeric = (result.get("numeric") or {}).get("questions") or []
    if numeric:  # numeric and date questions: crowd = the mean of the CDFs, crowd-quantiles = median quantiles
        rows = [[r["question"], str(r["people"]), str(r["recorded"])] for r in numeric]
        show_table([Column("question"), Column("people", 2, right=True), Column("new", 1, right=True)], rows,
                   title="Crowd of numeric and date questions (mean of CDFs; median of quantiles)")  # fmt: skip
    if "auto" in result:
        typer.echo(f"auto: {result['auto']['method']}: {result['auto']['why']}")
    for note in result["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"recorded {result['recorded']} crowd forecasts")


def _aggregate_backtest(tag: str | None, since: str | None, min_forecasters: int, seed: int, as_json: bool) -> None:
    from forecasts.api import backtest_db
    from forecasts.termtable import Column, note

    result = backtest_db(db(), tag, since, min_forecasters, seed)
    if as_json:
        return emit_json(result)
    columns = [Column("method"), Column("Brier", right=True), Column("at close", 2, right=True),
               Column("log loss", 3, right=True), Column("vs median [95%]", 1, right=True)]  # fmt: skip

    def num(x: float | None, fmt: str = ".4f") -> str:
        return "—" if x is None else format(x, fmt)

    rows = [[r["method"], num(r["brier"]), num(r["brier_close"]), num(r["log_loss"]),
             f"{num(r['diff'], '+.4f')} [{num(r['diff_lo'], '+.4f')}, {num(r['diff_hi'], '+.4f')}]"]
            for r in result["methods"]]  # fmt: skip
    show_table(columns, rows, title=f"Pooling backtest over {result['n_questions']} resolved questions "
               "(lower is better; time-averaged unless 'at close')")  # fmt: skip
    typer.echo(note(f"favoured: {result['favoured']}: {result['why']}"))
    nb = result.get("numeric") or {}
    if nb.get("n_questions"):
        columns = [Column("method"), Column("CRPS", right=True), Column("at close", 2, right=True),
                   Column("vs mean of CDFs [95%]", 1, right=True)]  # fmt: skip
        rows = [[r["method"], num(r["crps"]), num(r["crps_close"]),
                 f"{num(r['diff'], '+.4f')} [{num(r['diff_lo'], '+.4f')}, {num(r['diff_hi'], '+.4f')}]"]
                for r in nb["methods"]]  # fmt: skip
        show_table(columns, rows, title=f"Numeric pools over {nb['n_questions']} resolved numeric/date questions "
                   "(CRPS / range width; lower is better; time-averaged unless 'at close')")  # fmt: skip
        typer.echo(note(f"favoured: {nb['favoured']}: {nb['why']}"))


@app.command()
@user_errors
def trust(as_json: JsonOpt = False) -> None:
    """Are the logged likelihood ratios too strong or too weak? A scale on sum r*lnLR from resolved questions."""
    from forecasts.api import fit_trust
    from forecasts.termtable import Column, note

    result = fit_trust(db())
    if as_json:
        return emit_json(result)
    shown = "" if result["lo"] is None else f" [{result['lo']:.2f}, {result['hi']:.2f}]"
    typer.echo(note(f"shared scale k = {result['scale']:.2f}{shown} from {result['n_questions']} resolved questions"))
    typer.echo(note(f"{result['verdict']}  ({result['method']})"))
    if result["sources"]:
        columns = [Column("source", wrap=True, min_width=16), Column("questions", 2, right=True), Column("scale"),
                   Column("verdict", 3, wrap=True, min_width=20)]  # fmt: skip
        rows = [[s["source"], str(s["n_questions"]), f"{s['scale']:.2f} [{s['lo']:.2f}, {s['hi']:.2f}]", s["verdict"]]
                for s in result["sources"]]  # fmt: skip
        show_table(columns, rows, title="Per source (means and 90% intervals)")


# --- scenarios (issue 7): scenarios ------------------------------------------------------------


@app.command()
@user_errors
def scenarios(
    root: Annotated[Path, typer.Option("--questions", help="Folder of question and scenario files.")] = Path(
        "questions"
    ),
    as_of: Annotated[str | None, typer.Option("--as-of", help="As known at this time (ISO-8601; default now).")] = None,
    record: Annotated[bool, typer.Option("--record", help="Also store this result as a scenario run.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Scenario probabilities from the joint model (shared settlement factor), beside the independent product."""
    from forecasts.api import now_utc, parse_datetime, scenario_probabilities
    from forecasts.termtable import Column

    known_by = parse_datetime(as_of, "as_of") if as_of else now_utc()
    rows = scenario_probabilities(db(), known_by, root, record=record)
    if as_json:
        return emit_json(rows)
    columns = [Column("scenario"), Column("P (joint)", right=True), Column("90% interval", 2, right=True),
               Column("P (independent)", 2, right=True, short="P (indep.)"), Column("conditions", 1),
               Column("signposts this week", 4, wrap=True, min_width=10)]  # fmt: skip
    table = []
    for r in rows:
        iv = r["interval"]
        conds = "\n".join(condition_lines(c["question"], c["outcomes"]) for c in r["conditions"])
        signals = [s["signal"] for s in r["signposts"]]
        signs = f"{signals.count('toward')} toward, {signals.count('away')} away"
        span = f"{pct(iv[0])}–{pct(iv[1])}" if iv else "—"
        table.append([r["id"], pct(r["probability"]), span, pct(r["independent_probability"]), conds, signs])
    show_table(columns, table, title="Scenarios")


# --- reliability (issue 7): db check/backup, export, import ------------------------------------

db_app = typer.Typer(help="Check and back up the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("check")
@user_errors
def db_check_cmd(
    strict: Annotated[bool, typer.Option(help="Also fail on warnings.")] = False,
    against: Annotated[
        Path | None, typer.Option(help="A report or saved head (db head --json): the chains must pass through it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """SQLite integrity and foreign keys plus domain rules; exit 1 if anything is wrong."""
    from forecasts.api import check_file

    if server() is not None:  # checks the file itself, without db()
        refuse_remote()
    against_result = None
    if against is not None:  # the published head first (docs/publishing.md): a file it cannot read stops here
        from forecasts.api import check_file_against

        against_result = check_file_against(db(), against)
    report = check_file(State.db_path)  # integrity first, then migrations and the rules
    failed = not report["ok"] or (strict and bool(report["warnings"]))
    if against_result is not None:
        report["against"] = against_result
        failed = failed or not against_result["ok"]
    if as_json:
        emit_json(report)
    else:
        for line in against_result["failures"] if against_result else []:
            typer.echo(f"error: head: {line}", err=True)
        for p in report["errors"] + report["warnings"]:
            where = f"{p['table']} #{p['id']}" if p["id"] is not None else p["table"] or "database"
            typer.echo(f"{p['severity']}: {p['check']}: {where}: {p['problem']}", err=p["severity"] == "error")
        counts = ", ".join(f"{k} {v}" for k, v in report["problem_counts"].items()) or "none"
        passes = f"; passes through the head in {against}" if against_result and against_result["ok"] else ""
        typer.echo(f"{'FAILED' if failed else 'ok'}: {sum(report['rows'].values())} rows checked; problems: {counts}"
                   f"{passes}")  # fmt: skip
    if failed:
        raise typer.Exit(1)


@db_app.command("head")
@user_errors
def db_head_cmd(
    out: Annotated[Path | None, typer.Option(help="Also save the head as JSON in this new file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Each hash-chained table's rows and head digest, and one digest over all: publish it (docs/publishing.md)."""
    from forecasts.api import head_lines, ledger_head, save_head

    head = ledger_head(db())
    if out is not None:
        save_head(head, out)
    if as_json:
        return emit_json(head)
    for line in head_lines(head):
        typer.echo(line)


@db_app.command("backup")
@user_errors
def db_backup_cmd(
    file: Annotated[Path, typer.Argument(help="New file to write (never overwritten).")], as_json: JsonOpt = False
) -> None:
    """Copy the live database with SQLite's online backup API (safe while others write)."""
    from forecasts.api import backup_database

    result = backup_database(db(), file)
    if as_json:
        return emit_json(result)
    typer.echo(f"backed up to {result['path']} ({result['bytes']} bytes, {sum(result['rows'].values())} rows)")


@app.command("export")
@user_errors
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory to write <table>.<format> files into.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    as_json: JsonOpt = False,
) -> None:
    """Export every table, losslessly, as CSV or JSONL (import it again with `forecasts import DIR`)."""
    from forecasts.api import export

    result = export(db(), out, fmt)
    if as_json:
        return emit_json(result)
    typer.echo(f"exported {len(result['tables'])} tables ({sum(result['tables'].values())} rows) to {out}")


@app.command("import")
@user_errors
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help="An export directory, or a questions/forecasts/resolutions .csv/.jsonl file.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Import an export directory or a forecast-data file (docs/formats.md), all or nothing."""
    from forecasts.api import import_path

    result = import_path(db(), path)
    if as_json:
        return emit_json(result)
    if result["kind"] == "export":
        n = sum(t["inserted"] for t in result["tables"].values())
        typer.echo(f"imported {n} rows into {len(result['tables'])} tables from {path}")
    else:
        typer.echo(f"imported {result['imported']} {result['kind']} from {path} ({result['skipped_existing']} present)")


@app.command("import-dataset")
@user_errors
def import_dataset_cmd(
    source: Annotated[str, typer.Argument(help="forecastbench, metaculus or predictionbook.")],
    files: Annotated[list[Path], typer.Argument(help="The dataset's files (docs/imports.md).")],
    as_json: JsonOpt = False,
) -> None:
    """Import a public dataset's questions, forecasts and resolutions in one transaction (docs/imports.md)."""
    from forecasts.api import dataset_summary
    from forecasts.api import load_dataset as load

    result = load(db(), source, files)
    if as_json:
        return emit_json(result)
    for line in dataset_summary(result):
        typer.echo(line)


from forecasts.cli_server import register as _register_server  # noqa: E402 (needs the helpers above)

_register_server(app, user_errors, db, emit_json, server)  # users, tokens, serve, login


add_examples(app)  # every command's --help ends with an example to copy (forecasts/cli_help.py)


def run() -> None:
    """Console-script entry point."""
    sys.exit(app())
