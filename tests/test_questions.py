"""Question files: validation with `file: field: problem`, all-or-nothing sync, list and show."""

from pathlib import Path

import pytest

from forecasts.errors import ForecastsError
from forecasts.questions import load_questions, parse_question


def test_sync_loads_questions_and_is_idempotent(cli, make_question):
    folder = make_question("alpha")
    make_question("beta", type="categorical", outcomes=["a", "b", "c"], prior="alpha = [1, 2, 1]")
    first = cli.json("sync", "--questions", str(folder))
    assert sorted(first["added"]) == ["alpha", "beta"]
    again = cli.json("sync", "--questions", str(folder))
    assert again["added"] == [] and sorted(again["unchanged"]) == ["alpha", "beta"]
    rows = cli.json("questions", "list")
    by_id = {r["id"]: r for r in rows}
    assert by_id["alpha"]["probabilities"]["yes"] == pytest.approx(0.3)
    assert by_id["beta"]["probabilities"] == pytest.approx({"a": 0.25, "b": 0.5, "c": 0.25})


def test_changed_file_is_reported_as_updated(cli, make_question):
    folder = make_question("alpha")
    cli("sync", "--questions", str(folder))
    make_question("alpha", title="A better title?")
    assert cli.json("sync", "--questions", str(folder))["updated"] == ["alpha"]
    assert cli.json("questions", "show", "alpha")["question"]["title"] == "A better title?"


def test_malformed_file_names_file_and_field_and_loads_nothing(cli, make_question):
    folder = make_question("good")
    bad = make_question("bad", prior="probability = 1.5\nnote = 'x'")
    assert bad == folder
    result = cli("sync", "--questions", str(folder), ok=False)
    assert result.exit_code == 1
    assert "bad.toml: prior.probability: must be a number strictly between 0 and 1" in result.stderr
    assert "Traceback" not in result.output
    assert cli.json("questions", "list") == []  # the good file was not half-loaded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "t"\nopens_at = 2025-01-01\ncloses_at = 2025-02-01\nresolves_by = 2025-03-01\n'
         '[prior]\nprobability = 0.5\nnote = "n"', "resolution_criteria: is required"),
        ('title = "t"\nresolution_criteria = "c"\nopens_at = "someday"\ncloses_at = 2025-02-01\n'
         'resolves_by = 2025-03-01\n[prior]\nprobability = 0.5\nnote = "n"', "opens_at: 'someday' is not a date"),
        ('title = "t"\nresolution_criteria = "c"\nopens_at = 2025-03-01\ncloses_at = 2025-02-01\n'
         'resolves_by = 2025-03-01\n[prior]\nprobability = 0.5\nnote = "n"', "closes_at: must be after opens_at"),
        ('title = "t"\ntype = "poll"\nresolution_criteria = "c"\nopens_at = 2025-01-01\ncloses_at = 2025-02-01\n'
         'resolves_by = 2025-03-01\n[prior]\nprobability = 0.5\nnote = "n"', "type: 'poll' is not one of"),
        ('title = "t"\nresolution_criteria = "c"\nopens_at = 2025-01-01\ncloses_at = 2025-02-01\n'
         'resolves_by = 2025-03-01\n[prior]\nsuccesses = 3\ntrials = 10', "prior.reference: a base rate needs"),
        ('title = "t"\nresolution_criteria = "c"\nopens_at = 2025-01-01\ncloses_at = 2025-02-01\n'
         'resolves_by = 2025-03-01\ncolour = "red"\n[prior]\nprobability = 0.5\nnote = "n"', "colour: unknown field"),
    ],
)  # fmt: skip
def test_validation_messages(text, expected):
    import tomllib

    with pytest.raises(ForecastsError) as err:
        parse_question(tomllib.loads(text), "q.toml")
    assert str(err.value).startswith("q.toml: ")
    assert expected in str(err.value)


def test_base_rate_prior_is_beta_of_successes_and_failures(make_question):
    folder = make_question("rate", prior='reference = "wars"\nsuccesses = 9\ntrials = 40')
    (q,) = load_questions(folder)
    assert (q.prior["a"], q.prior["b"]) == (10.0, 32.0)
    assert q.prior_probabilities()["yes"] == pytest.approx(10 / 42)


def test_invalid_toml_and_duplicate_ids(tmp_path: Path, make_question):
    folder = make_question("one")
    (folder / "broken.toml").write_text("title = ", encoding="utf-8")
    with pytest.raises(ForecastsError, match=r"broken.toml: toml: "):
        load_questions(folder)
    (folder / "broken.toml").write_text('id = "one"\n' + (folder / "one.toml").read_text(), encoding="utf-8")
    with pytest.raises(ForecastsError, match=r"id: 'one' is also used by"):
        load_questions(folder)


def test_show_unknown_question_is_a_one_line_error(cli, make_question):
    cli("sync", "--questions", str(make_question("alpha")))
    result = cli("questions", "show", "nope", ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: question: unknown id 'nope'; known: alpha"


def test_show_prints_criteria_prior_and_probability(cli, make_question):
    cli("sync", "--questions", str(make_question("alpha")))
    out = cli("questions", "show", "alpha").stdout
    assert "Resolution criteria" in out and "30.0%" in out


def test_when_question_bins_decay_and_validate(cli, make_question):
    folder = make_question(
        "when", type="ordered", outcomes=["q1", "q2", "later"], prior="probabilities = [0.2, 0.3, 0.5]",
        opens_at="2025-01-01", closes_at="2025-01-21",
    )  # fmt: skip
    path = folder / "when.toml"
    path.write_text(path.read_text().replace("[prior]", "bin_ends = [2025-01-11, 2025-01-21]\n[prior]"))
    cli("sync", "--questions", str(folder))
    from forecasts.probabilities import question_probability
    from forecasts.questions import get_question
    from forecasts.store.db import connect
    from forecasts.timeutil import parse_datetime

    db = connect(cli.db_path)
    probs = question_probability(db, get_question(db, "when"), parse_datetime("2025-01-06"))
    assert probs == pytest.approx({"q1": 0.1 / 0.9, "q2": 0.3 / 0.9, "later": 0.5 / 0.9})
    path.write_text(path.read_text().replace("bin_ends = [2025-01-11, 2025-01-21]", "bin_ends = [2025-01-11]"))
    result = cli("sync", "--questions", str(folder), ok=False)
    assert "when.toml: bin_ends: must list 2 dates" in result.stderr


def test_sync_refuses_edits_that_break_referring_rows(cli, make_question):
    folder = make_question("cat", type="categorical", outcomes=["a", "b", "c"], prior="alpha = [1, 2, 1]")
    make_question("bin")
    make_question("free", type="categorical", outcomes=["a", "b"], prior="alpha = [1, 1]")
    cli("sync", "--questions", str(folder))
    cli("forecast", "cat", "a=0.2,b=0.5,c=0.3", "--by", "alice", "--new-forecaster")
    cli("evidence", "add", "bin", "--summary", "s", "--observed-at", "2025-01-01", "--lr", "2")
    cli("resolve", "bin", "yes")
    make_question("cat", type="categorical", outcomes=["x", "y", "z"], prior="alpha = [1, 2, 1]", title="New?")
    make_question("bin", closes_at="2031-01-01")
    make_question("free", type="categorical", outcomes=["a", "b", "c"], prior="alpha = [1, 1, 1]")  # no refs
    result = cli("sync", "--questions", str(folder), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        'cat.toml: outcomes: cannot change once forecasts refer to the question (was ["a", "b", "c"])' in result.stderr
    )
    assert "bin.toml: closes_at: cannot change once resolutions refer to the question (was 2030-01-01" in result.stderr
    shown = cli.json("questions", "show", "cat")["question"]
    assert (shown["title"], shown["outcomes"]) == ("Question cat?", ["a", "b", "c"])  # nothing written
    assert cli.json("questions", "show", "free")["question"]["outcomes"] == ["a", "b"]
    make_question("bin", type="categorical", outcomes=["yes", "no"], prior="alpha = [1, 1]")
    result = cli("sync", "--questions", str(folder), ok=False)
    assert "bin.toml: type: cannot change once forecasts, evidence and resolutions refer to" in result.stderr
    # Everything else stays editable: title and prior with references, closes_at once unresolved.
    make_question("cat", type="categorical", outcomes=["a", "b", "c"], prior="alpha = [3, 1, 1]", title="New?")
    cli("unresolve", "bin")
    make_question("bin", closes_at="2031-01-01", title="Later?")
    assert sorted(cli.json("sync", "--questions", str(folder))["updated"]) == ["bin", "cat", "free"]
    assert cli.json("questions", "show", "cat")["question"]["title"] == "New?"
    cli("status")
    assert cli.json("db", "check")["ok"]


def test_sync_refuses_closes_at_before_existing_forecasts(cli, make_question):
    folder = make_question("alpha", opens_at="2024-01-01", closes_at="2030-01-01")
    cli("sync", "--questions", str(folder))
    cli("forecast", "alpha", "0.4", "--by", "alice", "--new-forecaster")
    make_question("alpha", opens_at="2024-01-01", closes_at="2024-06-01")
    result = cli("sync", "--questions", str(folder), ok=False)
    assert "alpha.toml: closes_at: must stay after the latest forecast" in result.stderr
    assert cli.json("questions", "show", "alpha")["question"]["closes_at"].startswith("2030-01-01")


@pytest.mark.parametrize(
    ("prior", "qtype", "expected"),
    [
        ("a = inf\nb = 1", "binary", "prior.a: must be a finite positive number"),
        ("a = 1\nb = nan", "binary", "prior.b: must be a finite positive number"),
        ('reference = "r"\nsuccesses = true\ntrials = 3', "binary", "prior.successes: must be a whole number"),
        ('reference = "r"\nsuccesses = 1\ntrials = false', "binary", "prior.trials: must be a whole number"),
        ('probability = nan\nnote = "n"', "binary", "prior.probability: must be a number strictly between"),
        ('probability = true\nnote = "n"', "binary", "prior.probability: must be a number strictly between"),
        ("a = 1\nb = 1\nhazard_shape = inf", "binary", "prior.hazard_shape: must be finite and positive"),
        ("alpha = [inf, 1]", "categorical", "prior.alpha: must be a list of finite positive numbers"),
        ("alpha = [true, 1]", "categorical", "prior.alpha: must be a list of finite positive numbers"),
        ("counts = [true, 1]", "categorical", "prior.counts: must be a list of whole numbers"),
        ("probabilities = [0.5, nan]", "categorical", "prior.probabilities: must be a list of numbers"),
        ("probabilities = [0.5, 0.5]\nconcentration = inf", "categorical", "prior.concentration: must be a finite"),
        ("probabilities = [0.5, 0.5]\nconcentration = true", "categorical", "prior.concentration: must be a finite"),
    ],
)
def test_prior_numbers_must_be_finite_and_not_booleans(prior, qtype, expected):
    import tomllib

    outcomes = 'outcomes = ["a", "b"]\n' if qtype == "categorical" else ""
    text = (
        f'title = "t"\ntype = "{qtype}"\n{outcomes}resolution_criteria = "c"\nopens_at = 2025-01-01\n'
        f"closes_at = 2025-02-01\nresolves_by = 2025-03-01\n[prior]\n{prior}"
    )
    with pytest.raises(ForecastsError) as err:
        parse_question(tomllib.loads(text), "q.toml")
    assert f"q.toml: {expected}" in str(err.value)


@pytest.mark.parametrize("name", ["a=b", "a,b", "a:b", "a b", "tab\tname", " lead", "ünï"])
def test_outcome_names_must_be_usable_on_the_command_line(make_question, name):
    folder = make_question("cat", type="categorical", outcomes=["ok", name], prior="alpha = [1, 1]")
    with pytest.raises(ForecastsError) as err:
        load_questions(folder)
    message = str(err.value)
    assert message.startswith("qs/cat.toml: outcomes: ") and "\n" not in message
    assert repr(name) in message and "letters, digits, '-', '_' and '.'" in message


def test_slug_outcome_names_are_accepted(make_question):
    outcomes = ["before-2025-04", "Q2_2025", "v1.5", "2027-or-later"]
    (q,) = load_questions(make_question("when", type="categorical", outcomes=outcomes, prior="counts = [0, 1, 2, 3]"))
    assert q.outcomes == tuple(outcomes)
