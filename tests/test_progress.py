"""Slow steps: silent by default (library use), a line on stderr once shown (the CLI), nested steps inline."""

from __future__ import annotations

import pytest

from forecasts import progress


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(progress._state, "console", None)  # a console bound to this test's captured stderr
    progress.show_on_stderr()
    yield
    progress.show_on_stderr(False)


def test_steps_are_silent_unless_shown(capsys: pytest.CaptureFixture[str]) -> None:
    progress.show_on_stderr(False)
    with progress.step("fitting"):
        progress.note("compiling once")
    assert capsys.readouterr() == ("", "")


def test_a_shown_step_leaves_its_time_when_slow(shown, monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "SHOWN_AFTER", 0.0)
    with progress.step("writing the report"), progress.step("fitting the scenario loadings"):
        progress.note("First run after an install: compiling once")
    err = capsys.readouterr().err
    assert "First run after an install" in err and "writing the report: " in err and err.rstrip().endswith("s")
    assert "fitting the scenario loadings:" not in err  # the nested step named itself on the outer spinner only


def test_a_quick_step_leaves_no_line(shown, capsys) -> None:
    with progress.step("recording the crowd"):
        pass
    assert capsys.readouterr().err == ""


def test_a_long_note_stays_one_line_for_the_terminal_to_wrap(shown, capsys) -> None:
    message = "First run after an install: " + "compiling once, " * 12 + "later runs reuse it."
    progress.note(message)
    assert capsys.readouterr().err == message + "\n"  # rich would otherwise break it at 80 columns mid-sentence


def test_the_pooling_backtest_names_its_step(shown, monkeypatch, capsys, db) -> None:
    """`aggregate --backtest` can compile the learned pools' loops for seconds on a first run: it says what it does."""
    from forecasts.pooling.series import backtest_db

    monkeypatch.setattr(progress, "SHOWN_AFTER", 0.0)
    backtest_db(db)
    assert "backtesting the crowd pools" in capsys.readouterr().err
