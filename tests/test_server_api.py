"""The team server's JSON API and its security, over real HTTP on a loopback port (tests/server_harness.py)."""

from __future__ import annotations

import re
import socket
import sqlite3
import time
from urllib.parse import quote

import pytest
from server_harness import XSS, Server

from forecasts import accounts
from forecasts.store.db import connect


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


def count(srv: Server, table: str) -> int:
    with sqlite3.connect(srv.db_path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_no_bogus_or_revoked_token_is_401(srv):
    for token in (None, "", "fct_not-a-token", "x" * 500):
        status, body = srv.json("GET", "/api/me", token=token)
        assert status == 401 and body["error"]["field"] == "token", (token, body)
    db = connect(srv.db_path)
    made = accounts.create_token(db, "bob", "to revoke")
    assert srv.json("GET", "/api/me", token=made["token"]) == (200, {"name": "bob", "role": "forecaster"})
    accounts.revoke_tokens(db, made["id"])
    db.close()
    before = count(srv, "forecasts")
    status, body = srv.json("POST", "/api/forecasts", body={"question": "talks", "probability": 0.4},
                            token=made["token"])  # fmt: skip
    assert status == 401 and count(srv, "forecasts") == before
    status, _, _ = srv.call("GET", "/api/me", headers={"Authorization": "Basic YWxpY2U6eA=="})
    assert status == 401


def test_tokens_are_stored_only_as_hashes(srv):
    raw = srv.db_path.read_bytes() + (srv.db_path.parent / "team.db-wal").read_bytes()
    for token in srv.tokens.values():
        assert token.encode() not in raw
        assert token.encode()[4:20] not in raw


def test_forecast_binary_categorical_ordered_as_yourself(srv):
    status, body = srv.json("POST", "/api/forecasts", "alice", {"question": "talks", "probability": "35%",
                                                                "rationale": "base rate"})  # fmt: skip
    assert status == 201 and body["forecaster"] == "alice" and body["probability"] == pytest.approx(0.35)
    assert body["feedback"]["previous"] is None
    status, body = srv.json(
        "POST",
        "/api/forecasts",
        "alice",
        {"question": "colour", "probability": {"red": 0.2, "green": 0.5, "blue": 0.3}},
    )
    assert status == 201 and body["probabilities"] == pytest.approx({"red": 0.2, "green": 0.5, "blue": 0.3})
    status, body = srv.json("POST", "/api/forecasts", "bob", {"question": "when", "probability": "early=0.7,late=0.3"})
    assert status == 201 and body["probabilities"]["early"] == pytest.approx(0.7)
    with sqlite3.connect(srv.db_path) as conn:  # the row records the account, as web:NAME
        assert conn.execute("SELECT forecaster_id, os_user FROM forecasts WHERE id = ?", [body["id"]]).fetchone() == (
            "bob",
            "web:bob",
        )


def test_writing_as_another_user_is_refused(srv):
    before = (count(srv, "forecasts"), count(srv, "evidence"), count(srv, "comments"))
    cases = [
        ("/api/forecasts", {"question": "talks", "probability": 0.5, "by": "alice"}, "by"),
        ("/api/forecasts", {"question": "talks", "probability": 0.5, "forecaster": "carol"}, "forecaster"),
        ("/api/evidence", {"questions": ["talks"], "summary": "x", "lr": ["2"], "recorded_by": "alice"}, "recorded_by"),
        ("/api/questions/talks/comments", {"body": "hi", "author": "alice"}, "author"),
    ]
    for path, body, field in cases:
        status, out = srv.json("POST", path, "bob", body)
        assert status == 403 and out["error"]["field"] == field, (path, out)
    assert (count(srv, "forecasts"), count(srv, "evidence"), count(srv, "comments")) == before
    status, out = srv.json("POST", "/api/forecasts", "bob", {"question": "talks", "probability": 0.5, "by": "BOB"})
    assert status == 201 and out["forecaster"] == "bob"  # naming yourself (any case) is fine


def test_a_forecaster_resolving_is_403_a_curator_may(srv):
    status, out = srv.json("POST", "/api/questions/soon/resolve", "alice", {"outcome": "yes"})
    assert status == 403 and out["error"]["field"] == "role"
    assert srv.json("POST", "/api/questions/soon/unresolve", "bob", {})[0] == 403
    status, out = srv.json("POST", "/api/questions/soon/resolve", "carol", {"outcome": "yes", "note": "seen"})
    assert status == 201 and out["outcome"] == "yes"
    status, out = srv.json("POST", "/api/questions/soon/unresolve", "carol", {"note": "premature"})
    assert status == 201


def test_bad_input_is_a_4xx_naming_the_field(srv):
    cases = [
        ("/api/forecasts", {"question": "talks", "probability": 1.3}, 400, "probability"),
        ("/api/forecasts", {"question": "talks", "probability": True}, 400, "probability"),
        ("/api/forecasts", {"question": "talks", "probability": [1]}, 400, "probability"),
        ("/api/forecasts", {"question": "nope", "probability": 0.3}, 404, "question"),
        ("/api/forecasts", {"question": "colour", "probability": {"red": 0.9}}, 400, "probability"),
        ("/api/forecasts", {"question": "talks", "probability": 0.3, "rationale": 7}, 400, "rationale"),
        ("/api/evidence", {"questions": ["talks"], "summary": "x"}, 400, "lr"),
        ("/api/evidence", {"questions": ["talks"], "summary": "x", "lr": ["2"], "url": "javascript:x"}, 400, "url"),
        ("/api/evidence", {"questions": ["talks"], "summary": "x", "lr": 2, "reliability": "Z9"}, 400, "reliability"),
        ("/api/evidence/99999/retract", {"reason": "x"}, 404, "evidence"),
        ("/api/questions/talks/comments", {"body": ""}, 400, "body"),
    ]
    for path, body, code, field in cases:
        status, out = srv.json("POST", path, "alice", body)
        assert status == code and out["error"]["field"] == field, (path, body, status, out)
        assert out["error"]["message"].startswith(f"{field}: ")
    status, _, text = srv.call("POST", "/api/forecasts", "alice", data=b"{not json")
    assert status == 400 and '"body"' in text
    status, _, text = srv.call("POST", "/api/forecasts", "alice", data=b"[1, 2]")
    assert status == 400


@pytest.mark.parametrize("path", [
    "/api/questions/..%2F..%2Fetc%2Fpasswd", "/api/questions/" + quote("x' OR '1'='1"), "/api/questions/TALKS",
    "/api/questions/" + quote("talks; DROP TABLE forecasts;--"), "/api/evidence?question=" + quote("' OR 1=1--"),
    "/api/forecasts?question=" + quote("../../db"), "/api/evidence/" + quote("1 OR 1=1") + "/retract",
    "/users/" + quote("../alice"), "/users/" + quote("bob' --"), "/questions/" + quote("talks' OR '1'='1"),
    "/reports/" + quote("../db/team.db"), "/reports/" + quote("2026-W01.md/../../x"),
])  # fmt: skip
def test_path_like_and_sql_like_ids_are_refused(srv, path):
    method = "POST" if path.endswith("/retract") else "GET"
    status, _, text = srv.call(method, path, "alice", body={} if method == "POST" else None)
    assert status in (400, 404), (path, status, text[:300])
    assert "SQLite" not in text and "Traceback" not in text
    assert count(srv, "forecasts") > 0  # nothing dropped


def raw_post(srv: Server, path: str, body: bytes, chunked: bool = False) -> bytes:
    """POST over a plain socket (the server answers 413 before the client has sent it all); the response."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {srv.tokens['alice']}\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(head.encode())
        try:
            if chunked:
                for i in range(0, len(body), 65536):
                    part = body[i : i + 65536]
                    s.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                s.sendall(b"0\r\n\r\n")
            else:
                s.sendall(body)
        except OSError:
            pass  # the server closed early: read what it said
        data = b""
        while not data.rstrip().endswith(b"}"):  # the JSON error body closes the response
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_bodies_over_one_megabyte_are_413(srv):
    before = count(srv, "forecasts")
    big = b'{"question": "talks", "probability": 0.3, "rationale": "' + b"a" * (1024 * 1024) + b'"}'
    for chunked in (False, True):  # declared too long, and streamed without a length
        reply = raw_post(srv, "/api/forecasts", big, chunked)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b'"field":"body"' in reply
    assert raw_post(srv, "/questions/talks/comment", b"body=" + b"a" * (1024 * 1024 + 10)).startswith(b"HTTP/1.1 413")
    assert count(srv, "forecasts") == before
    status, _, _ = srv.call("POST", "/api/forecasts", "alice", data=big[:2000] + b'"}')
    assert status == 201  # a large but legal body passes


def test_lists_are_paginated(srv):
    status, first = srv.json("GET", "/api/questions?limit=2", "alice")
    assert status == 200 and len(first["items"]) == 2 and first["total"] == 5 and first["next_offset"] == 2
    status, last = srv.json("GET", "/api/questions?limit=2&offset=4", "alice")
    assert len(last["items"]) == 1 and last["next_offset"] is None
    rest = srv.json("GET", "/api/questions?offset=2", "alice")[1]["items"]
    ids = [q["id"] for q in first["items"] + rest]
    assert sorted(ids) == ["colour", "secret", "soon", "talks", "when"]
    for bad in ("limit=0", "limit=1001", "offset=-1", "limit=abc"):
        status, out = srv.json("GET", f"/api/questions?{bad}", "alice")
        assert status == 400 and out["error"]["field"] in ("limit", "offset")


def test_evidence_add_list_retract_and_the_probability_moves(srv):
    before = srv.json("GET", "/api/questions/talks", "bob")[1]["probabilities"]["yes"]
    status, out = srv.json(
        "POST",
        "/api/evidence",
        "bob",
        {"questions": ["talks"], "summary": "envoys met", "lr": ["3"], "reliability": "B2", "source": "Wire"},
    )
    assert status == 201 and out["changes"][0]["after"]["yes"] > before
    listed = srv.json("GET", "/api/evidence?question=talks", "bob")[1]["items"]
    item = next(e for e in listed if e["id"] == out["evidence_id"])
    assert item["recorded_by"] == "bob" and item["summary"] == "envoys met"
    status, out = srv.json("POST", f"/api/evidence/{item['id']}/retract", "bob", {"reason": "misreported"})
    assert status == 201
    assert srv.json("GET", "/api/questions/talks", "bob")[1]["probabilities"]["yes"] == pytest.approx(before)


def test_hidden_crowd_until_you_forecast(srv):
    assert srv.json("POST", "/api/forecasts", "alice", {"question": "secret", "probability": 0.8})[0] == 201
    shown = srv.json("GET", "/api/questions/secret", "bob")[1]
    assert shown["forecasts"] == [] and shown["crowd_hidden"] is True
    assert srv.json("POST", "/api/forecasts", "bob", {"question": "secret", "probability": 0.3})[0] == 201
    names = {f["forecaster_id"] for f in srv.json("GET", "/api/questions/secret", "bob")[1]["forecasts"]}
    assert names == {"alice", "bob"}


def test_reads_status_leaderboard_scores_reports_users_and_schema(srv):
    assert srv.json("GET", "/api/status", "alice")[0] == 200
    assert srv.json("GET", "/api/leaderboard", "alice") == (200, [])
    assert srv.json("GET", "/api/scores", "alice")[1]["items"] == []
    assert srv.json("GET", "/api/reports", "alice") == (200, [{"week": "2026-W01", "formats": ["md"]}])
    assert srv.json("GET", "/api/users", "alice")[0] == 403  # admins only
    status, schema = srv.json("GET", "/api/openapi.json")
    assert status == 200 and schema["openapi"].startswith("3.")
    assert {"/api/forecasts", "/api/evidence", "/api/questions/{qid}/resolve"} <= set(schema["paths"])


def _session(srv: Server, name: str) -> tuple[str, str]:
    """Sign in through the form; (cookie header, csrf) for further form posts."""
    status, headers, text = srv.call("GET", "/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    jar = f"fc_csrf={csrf}"
    status, headers, _ = srv.call(
        "POST",
        "/signin",
        data=f"csrf={csrf}&name={name}&password={name}-password".encode(),
        headers={"Cookie": jar, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303, status
    session = re.search(r"fc_session=([^;]+)", headers["set-cookie"]).group(1)
    return f"fc_session={session}; fc_csrf={csrf}", csrf


def test_forms_without_their_csrf_token_are_refused(srv):
    cookie, csrf = _session(srv, "alice")
    form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    before = (count(srv, "forecasts"), count(srv, "comments"), count(srv, "evidence"))
    for path, data in (("/questions/talks/forecast", "probability=0.6"), ("/questions/talks/comment", "body=hi"),
                       ("/questions/talks/evidence", "summary=x&lr=2")):  # fmt: skip
        for extra in ("", "&csrf=", "&csrf=wrong-token-wrong-token"):
            status, _, text = srv.call("POST", path, data=(data + extra).encode(), headers=form)
            assert status == 403 and "csrf" in text, (path, extra, status)
    assert (count(srv, "forecasts"), count(srv, "comments"), count(srv, "evidence")) == before
    status, _, _ = srv.call("POST", "/questions/talks/comment", data=f"body=hi&csrf={csrf}".encode(), headers=form)
    assert status == 303 and count(srv, "comments") == before[1] + 1


def test_session_cookie_flags_and_secure_behind_tls(srv):
    status, headers, text = srv.call("GET", "/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    data = f"csrf={csrf}&name=bob&password=bob-password".encode()
    form = {"Cookie": f"fc_csrf={csrf}", "Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = srv.call("POST", "/signin", data=data, headers=form)
    cookie = headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    status, headers, _ = srv.call("POST", "/signin", data=data, headers={**form, "X-Forwarded-Proto": "https"})
    assert status == 303 and "; secure" in headers["set-cookie"].lower()  # behind a TLS proxy on localhost


def test_failed_sign_ins_are_rate_limited(srv):
    status, headers, text = srv.call("GET", "/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    form = {"Cookie": f"fc_csrf={csrf}", "Content-Type": "application/x-www-form-urlencoded"}
    codes = [srv.call("POST", "/signin", data=f"csrf={csrf}&name=carol&password=wrong{i}".encode(), headers=form)[0]
             for i in range(6)]  # fmt: skip
    assert codes[:5] == [401] * 5 and codes[5] == 429
    right = f"csrf={csrf}&name=carol&password=carol-password".encode()
    assert srv.call("POST", "/signin", data=right, headers=form)[0] == 429  # even the right password, for a while


def test_script_in_every_user_text_field_is_escaped_on_every_page(srv):
    body = {"question": "talks", "probability": 0.4, "rationale": XSS}
    assert srv.json("POST", "/api/forecasts", "bob", body)[0] == 201
    assert srv.json("POST", "/api/evidence", "bob", {"questions": ["talks"], "summary": XSS, "lr": ["2"], "source": XSS,
                                                     "reasoning": XSS, "tags": ["x"]})[0] == 201  # fmt: skip
    assert srv.json("POST", "/api/questions/talks/comments", "bob", {"body": XSS})[0] == 201
    pages = [
        "/",
        "/questions/talks",
        "/questions/colour",
        "/users/bob",
        "/users/alice",
        "/leaderboard",
        "/reports",
        "/reports/2026-W01.md",
        "/signin",
        "/questions/nope",
        "/users/nobody",
    ]
    for path in pages:
        status, headers, text = srv.call("GET", path, "alice")
        assert status in (200, 404), (path, status)
        assert "<script" not in text.lower(), path
        assert "script-src 'none'" in headers.get("content-security-policy", "script-src 'none'")
    text = srv.call("GET", "/questions/talks", "alice")[2]
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # criteria, rationale, summary, source, comment
    assert "# week &lt;script&gt;" in srv.call("GET", "/reports/2026-W01.md", "alice")[2]


def test_another_users_page_refuses_a_write(srv):
    cookie, csrf = _session(srv, "alice")
    form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    assert 'id="quick-forecast"' not in srv.call("GET", "/users/bob", headers={"Cookie": cookie})[2]
    assert 'id="quick-forecast"' in srv.call("GET", "/users/alice", headers={"Cookie": cookie})[2]
    before = count(srv, "forecasts")
    data = f"csrf={csrf}&question=talks&probability=0.5".encode()
    status, _, text = srv.call("POST", "/users/bob/forecast", data=data, headers=form)
    assert status == 403 and count(srv, "forecasts") == before
    status, _, _ = srv.call("POST", "/questions/talks/forecast", data=f"csrf={csrf}&probability=0.5&by=bob".encode(),
                            headers=form)  # fmt: skip
    assert status == 403 and count(srv, "forecasts") == before
    status, _, _ = srv.call("POST", "/users/alice/forecast", data=data, headers=form)
    assert status == 303 and count(srv, "forecasts") == before + 1


def test_pages_need_a_session_or_a_token(srv):
    status, headers, _ = srv.call("GET", "/questions/talks")
    assert status == 303 and headers["location"].startswith("/signin")
    assert srv.call("GET", "/questions/talks", token="bogus")[0] == 401
    status, _, text = srv.call("GET", "/", "carol")
    assert status == 200 and 'id="closing-soon"' in text and "Closing soon?" in text


def test_my_page_shows_scores_and_calibration_after_a_resolution(srv):
    assert srv.json("POST", "/api/forecasts", "alice", {"question": "soon", "probability": 0.72})[0] == 201
    time.sleep(1.1)  # timestamps are to the second: the forecast must stand before the truth is known
    assert srv.json("POST", "/api/questions/soon/resolve", "carol", {"outcome": "yes"})[0] == 201
    text = srv.call("GET", "/users/alice", "alice")[2]
    calibration = text[text.index('id="calibration"') :]
    assert "72.0%" in calibration and "100.0%" in calibration  # mean forecast, observed
    scores = text[text.index('id="scores"') : text.index('id="calibration"')]
    assert "soon" in scores and "0.078" in scores  # Brier (1 - 0.72)^2 = 0.0784
    assert srv.json("GET", "/api/scores?by=alice", "alice")[1]["items"][0]["question_id"] == "soon"
    status, calib = srv.json("GET", "/api/calibration/alice", "bob")
    assert status == 200 and calib["n_questions"] == 1 and calib["table"][0]["mean_forecast"] == pytest.approx(0.72)
    assert srv.json("GET", "/api/calibration/nobody", "bob")[0] == 404
    assert srv.json("GET", "/api/calibration/" + quote("x' OR 1=1--"), "bob")[0] == 400
    names = {f["id"]: f["kind"] for f in srv.json("GET", "/api/forecasters", "bob")[1]}
    assert names["alice"] == "person" and names["bayes"] == "model"


def test_forecasts_serve_runs_the_app_over_the_database(tmp_path):
    import json
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from server_harness import free_port, question_files

    from forecasts.sync import sync

    db_path = tmp_path / "db" / "forecasts.db"
    db = connect(db_path)
    sync(db, question_files(tmp_path / "questions"))
    accounts.add_user(db, "alice")
    token = accounts.create_token(db, "alice")["token"]
    db.close()
    port = free_port()
    script = Path(sys.executable).parent / "forecasts"
    env = {k: v for k, v in os.environ.items() if k not in ("FORECASTS_SERVER", "FORECASTS_TOKEN")}
    proc = subprocess.Popen([str(script), "--db", str(db_path), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first = json.loads(proc.stdout.readline())
        assert first == {"serving": f"http://127.0.0.1:{port}/", "db": str(db_path.resolve())}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/questions?limit=1",
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        for _ in range(100):
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    assert json.loads(resp.read())["total"] == 5
                    break
            except ConnectionRefusedError:
                time.sleep(0.1)
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                time.sleep(0.1)
        else:
            raise AssertionError("forecasts serve did not answer")
    finally:
        proc.terminate()
        proc.wait(10)
