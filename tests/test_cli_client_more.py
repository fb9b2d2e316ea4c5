"""The CLI as a client for the rest of the ledger commands: numeric and date forecasts, comments, scores,
leaderboard, calibration, forecasters and users read through the server print what the local file prints; a
command that needs the file itself refuses in one line instead of acting on some local file.

A real server on a loopback port (tests/server_harness.py); local runs read the same database file."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from server_harness import Server
from test_cli_client import local, remote, rounded

from forecasts import accounts
from forecasts.store.db import connect

NUMERIC = Path(__file__).parent / "fixtures" / "numeric"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("client-more")
    server = Server(tmp)
    shutil.copytree(NUMERIC, tmp / "numeric", ignore=shutil.ignore_patterns("*.md", "*.jsonl"))
    assert local(server, "sync", "--questions", str(tmp / "numeric")).exit_code == 0
    db = connect(server.db_path)
    accounts.add_user(db, "dana", "admin")
    server.tokens["dana"] = accounts.create_token(db, "dana")["token"]
    db.close()
    yield server
    server.stop()


def same(srv: Server, *args: str, who: str = "bob") -> str:
    """Run a read locally and through the server: the same stdout, exit code 0 and the same --json."""
    here, there = local(srv, *args), remote(srv, *args, who=who)
    assert here.exit_code == there.exit_code == 0, (args, there.output, here.output)
    assert there.stdout == here.stdout, args
    here_json, there_json = local(srv, *args, "--json"), remote(srv, *args, "--json", who=who)
    assert here_json.exit_code == there_json.exit_code == 0, (args, there_json.output)
    assert timeless(json.loads(there_json.stdout)) == timeless(json.loads(here_json.stdout)), args
    return there.stdout


def timeless(obj):
    """rounded(), without `known_by` (the moment of the call: a second may pass between the two)."""
    obj = rounded(obj)
    return {k: v for k, v in obj.items() if k != "known_by"} if isinstance(obj, dict) else obj


@pytest.mark.parametrize(
    "args",
    [
        ["db", "backup", "copy.db"],
        ["db", "check"],
        ["reconstruct"],
        ["weekly", "--out", "reports-here"],
        ["export", "--out", "dump"],
        ["tokens", "list"],
        ["tokens", "create", "bob"],
        ["posterior", "talks"],
        ["forecasters", "add", "zed"],
    ],
    ids=" ".join,
)
def test_a_command_that_needs_the_file_refuses_in_one_line(srv, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = remote(srv, *args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    name = " ".join(args[:2] if args[0] in ("db", "tokens", "forecasters") else args[:1])
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: server: `forecasts {name}` works on a database file, not through a team server")
    assert result.stdout == "" and list(tmp_path.iterdir()) == []  # no local file made or written


def test_empty_score_tables_say_the_same_why(srv):
    assert same(srv, "score").startswith("Nothing to score yet: no question has resolved.")
    assert same(srv, "leaderboard").startswith("Nothing to score yet")
    assert "Nothing to score yet" in same(srv, "calibration", "alice")


def test_numeric_forecast_through_the_server(srv):
    result = remote(srv, "forecast", "territory", "--p10", "18", "--p50", "19.5", "--p90", "21",
                    "--rationale", "maps")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"forecast #\d+: bob on territory: median 19\.5% \(10-90%: 18% to 21%\); [\d.]+% above "
                        r"the range\n", result.stdout), result.stdout  # fmt: skip
    out = json.loads(remote(srv, "forecast", "ceasefire", "--p25", "2025-09-01", "--p75", "2026-03-01",
                            "--json").stdout)  # fmt: skip
    assert out["forecaster"] == "bob" and out["numeric_input"]["percentiles"] == {"25": "2025-09-01",
                                                                                  "75": "2026-03-01"}  # fmt: skip
    assert "description" not in out
    rows = json.loads(local(srv, "forecast-list", "--question", "territory", "--json").stdout)
    assert [(r["forecaster_id"], r["rationale"]) for r in rows] == [("bob", "maps")]


@pytest.mark.parametrize(
    "args",
    [
        ["territory", "--p10", "20", "--p50", "19"],
        ["territory", "--p10", "18"],
        ["territory", "--p10", "-1", "--p90", "21"],
        ["territory", "--p10", "18", "--p90", "21", "--below", "3"],
        ["territory", "--p10", "18", "--p90", "abc"],
        ["territory", "0.3"],
        ["talks", "--p10", "1", "--p90", "2"],
        ["nowhere", "--p10", "1", "--p90", "2"],
    ],
    ids=" ".join,
)
def test_numeric_refusals_are_the_same_line(srv, args):
    here, there = local(srv, "forecast", *args, "--by", "bob"), remote(srv, "forecast", *args)
    assert here.exit_code == there.exit_code == 1
    assert there.stderr == here.stderr and there.stderr.startswith("Error: ")


def test_comments_through_the_server(srv):
    result = remote(srv, "comment", "talks", "the envoys meet on Friday <b>")
    assert result.exit_code == 0 and re.fullmatch(r"comment #\d+: bob on talks\n", result.stdout), result.output
    assert remote(srv, "comment", "talks", "agreed", who="alice").exit_code == 0
    shown = same(srv, "comment", "talks", "--list")
    assert "bob" in shown and "the envoys meet on Friday <b>" in shown and "agreed" in shown
    refused = remote(srv, "comment", "talks", "as someone else", "--by", "alice")
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: by: you are signed in as 'bob'")
    here, there = local(srv, "comment", "talks", "", "--by", "bob"), remote(srv, "comment", "talks", "")
    assert here.exit_code == there.exit_code == 1 and there.stderr == here.stderr


def test_scores_leaderboard_calibration_read_the_same_after_a_resolution(srv):
    for who, p in (("alice", "0.7"), ("bob", "0.2")):
        assert remote(srv, "forecast", "soon", p, who=who).exit_code == 0
    time.sleep(1.1)  # times are kept to the second: a forecast counts when made before the truth was known
    result = remote(srv, "resolve", "soon", "yes", who="carol")
    assert result.exit_code == 0, result.output
    assert "alice" in same(srv, "score")
    same(srv, "score", "--by", "bob")
    assert "alice" in same(srv, "leaderboard")
    same(srv, "leaderboard", "--rank-by", "peer")
    assert "Calibration of alice" in same(srv, "calibration", "alice")
    assert "alice" in same(srv, "forecasters", "list")


def test_users_through_the_server_for_admins(srv):
    result = remote(srv, "users", "add", "erin", "--role", "curator", who="dana")
    assert result.exit_code == 0 and result.stdout == "added user erin (curator)\n"
    assert "erin" in same(srv, "users", "list", who="dana")
    refused = remote(srv, "users", "list")
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: role: forecasters may not")


def test_sync_sends_the_files_read_here(srv, tmp_path):
    folder = tmp_path / "more"
    (folder / "deep").mkdir(parents=True)
    talks = (srv.db_path.parent.parent / "questions" / "talks.toml").read_text(encoding="utf-8")
    (folder / "deep" / "extra.toml").write_text(talks.replace("Will talks start?", "Extra?"), encoding="utf-8")
    refused = remote(srv, "sync", "--questions", str(folder))
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: role: forecasters may not sync")
    result = remote(srv, "sync", "--questions", str(folder), who="carol")
    assert result.exit_code == 0 and result.stdout.startswith(f"synced {folder}: 1 added, 0 updated"), result.output
    assert json.loads(local(srv, "questions", "show", "extra", "--json").stdout)["question"]["title"] == "Extra?"
    same(srv, "sync", "--questions", str(folder), who="carol")  # now unchanged: both print the same
    (folder / "bad.toml").write_text('title = "x"\nbogus = [\n', encoding="utf-8")
    here, there = local(srv, "sync", "--questions", str(folder)), remote(srv, "sync", "--questions", str(folder),
                                                                         who="carol")  # fmt: skip
    assert here.exit_code == there.exit_code == 1
    assert there.stderr == here.stderr and there.stderr.startswith("Error: more/bad.toml: toml: ")
    missing = tmp_path / "nowhere"
    here, there = local(srv, "sync", "--questions", str(missing)), remote(srv, "sync", "--questions", str(missing),
                                                                          who="carol")  # fmt: skip
    assert there.exit_code == 1 and there.stderr == here.stderr


def test_sync_refuses_paths_out_of_its_folder(srv):
    for files in ({"../x.toml": "title = 1"}, {"/etc/x.toml": ""}, {"a/../../x.toml": ""}, {"x.txt": ""},
                  {"a.toml/b.toml": "x", "a.toml": "y"}, {"a.toml": "y", "a.toml/b.toml": "x"}):  # fmt: skip
        status, body = srv.json("POST", "/api/sync", "carol", {"folder": "q", "files": files})
        assert status == 400 and body["error"]["field"] == "files", files
    status, body = srv.json("POST", "/api/sync", "carol", {"folder": "..", "files": {}})
    assert status == 400 and body["error"]["field"] == "folder"


def test_forecast_list_through_the_server_hides_the_crowd_and_filters_as_here(srv):
    from typer.testing import CliRunner

    from forecasts.cli import app

    def as_bob_here(*args: str):
        return CliRunner().invoke(app, ["--db", str(srv.db_path), *args],
                                  env={"FORECASTS_SERVER": None, "FORECASTS_USER": "bob"})  # fmt: skip

    assert remote(srv, "forecast", "secret", "0.8", who="alice").exit_code == 0
    for args in (["--question", "secret"], ["--tag", "hide-crowd"], ["--people"], ["--tag", "hide-crowd", "--full"]):
        here, there = as_bob_here("forecast-list", *args), remote(srv, "forecast-list", *args)
        assert here.exit_code == there.exit_code == 0, (args, there.output)
        assert there.stdout == here.stdout, args
        here_json = json.loads(as_bob_here("forecast-list", *args, "--json").stdout)
        assert json.loads(remote(srv, "forecast-list", *args, "--json").stdout) == here_json, args
    shown = remote(srv, "forecast-list", "--question", "secret")
    assert "1 hidden (tag hide-crowd) until you forecast" in " ".join(shown.stdout.split())
    rows = json.loads(remote(srv, "forecast-list", "--question", "secret", "--json").stdout)
    assert all(r["forecaster_id"] != "alice" for r in rows)
    status, page = srv.json("GET", "/api/forecasts?question=secret", "bob")
    assert status == 200 and page["hidden"] == 1 and all(r["forecaster_id"] != "alice" for r in page["items"])


def test_numeric_scores_read_the_same(srv):
    assert remote(srv, "forecast", "territory", "--p25", "17", "--p75", "20", who="alice").exit_code == 0
    time.sleep(1.1)  # after the forecasts, to the second
    result = remote(srv, "resolve", "territory", "19", who="carol")
    assert result.exit_code == 0, result.output
    shown = same(srv, "numeric-scores")
    assert "territory" in shown and "alice" in shown
