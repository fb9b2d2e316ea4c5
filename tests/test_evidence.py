"""The evidence ledger: before → after on add, several questions per item, grades, retraction, imports."""

import json
import math
import sqlite3

import pytest

from forecasts.errors import ForecastsError
from forecasts.evidence import retract_evidence
from forecasts.store.db import connect


@pytest.fixture
def qcli(cli, make_question):
    make_question("alpha")  # point prior 0.3, open 2024-2030
    make_question("beta")
    folder = make_question("cat", type="categorical", outcomes=["a", "b", "c"], prior="alpha = [5, 3, 2]")
    cli("sync", "--questions", str(folder))
    return cli


def add(cli, *args):
    return cli.json("evidence", "add", *args, "--summary", "s", "--observed-at", "2025-01-02")


def test_add_shows_before_and_after_matching_hand_computed_log_odds(qcli):
    out = add(qcli, "alpha", "--lr", "3")
    (change,) = out["changes"]
    assert change["before"]["yes"] == pytest.approx(0.3)
    assert change["after"]["yes"] == pytest.approx(0.9 / 1.6)  # odds 3/7 × 3 = 9/7
    # Admiralty B2 = 0.8 × 0.8 = 0.64 discounts ln 3 toward no information
    out = add(qcli, "beta", "--lr", "3", "--reliability", "B2")
    expected = 1 / (1 + math.exp(-(math.log(0.3 / 0.7) + 0.64 * math.log(3))))
    assert out["changes"][0]["after"]["yes"] == pytest.approx(expected)


def test_cli_prints_before_arrow_after(qcli):
    result = qcli("evidence", "add", "alpha", "--lr", "3", "--summary", "s", "--observed-at", "2025-01-02")
    assert "alpha: 30.0% → 56.2% (+26.2 pp)" in result.stdout


def test_one_item_on_several_questions_with_own_ratios_and_a_grade(qcli):
    out = add(qcli, "alpha", "beta", "cat", "--lr", "alpha=3", "--lr", "cat:b=2", "--grade", "beta=strong against")
    changes = {c["question"]: c for c in out["changes"]}
    assert changes["alpha"]["after"]["yes"] == pytest.approx(0.5625)
    assert changes["beta"]["after"]["yes"] == pytest.approx(0.03 / (0.03 + 0.7))  # LR 1/10
    assert changes["cat"]["after"] == pytest.approx({"a": 0.5 / 1.3, "b": 0.6 / 1.3, "c": 0.2 / 1.3})
    (item,) = qcli.json("evidence", "list", "--question", "beta")
    beta_link = next(lk for lk in item["links"] if lk["question"] == "beta")
    assert beta_link["grade"] == "strong against"
    assert beta_link["log_lr_sd"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alpha", "--lr", "0"], "lr: '0' must be a likelihood ratio"),
        (["alpha", "--lr", "abc"], "lr: 'abc' must be a likelihood ratio"),
        (["alpha", "beta", "--lr", "alpha=2"], "lr: no likelihood ratio for 'beta'"),
        (["cat", "--lr", "2"], "lr: 'cat' is categorical"),
        (["cat", "--lr", "cat:z=2"], "lr: 'z' is not an outcome of 'cat'"),
        (["alpha", "--grade", "huge for"], "grade: 'huge for' is not a grade; allowed: neutral, weak for"),
        (["alpha", "--lr", "2", "--reliability", "G7"], "reliability: 'G7' must be a number from 0 to 1"),
        (["nope", "--lr", "2"], "question: unknown id 'nope'"),
        (["alpha", "--lr", "2", "--url", "javascript:alert(1)"], "url: 'javascript:alert(1)' must start with http"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(qcli, args, message):
    result = qcli("evidence", "add", *args, "--summary", "s", "--observed-at", "2025-01-02", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert qcli.json("evidence", "list") == []


def test_bad_and_future_dates(qcli):
    for when, message in (("20/01/2025", "observed_at: '20/01/2025' is not a date"), ("2999-01-01", "in the future")):
        result = qcli("evidence", "add", "alpha", "--lr", "2", "--summary", "s", "--observed-at", when, ok=False)
        assert result.exit_code == 1 and message in result.stderr


def test_retract_restores_probability_and_keeps_the_row(qcli):
    eid = add(qcli, "alpha", "--lr", "3")["evidence_id"]
    out = qcli.json("evidence", "retract", str(eid), "--reason", "misreported")
    assert out["changes"][0]["before"]["yes"] == pytest.approx(0.5625)
    assert out["changes"][0]["after"]["yes"] == pytest.approx(0.3)
    (item,) = qcli.json("evidence", "list")
    assert item["retracted"] and item["retraction"]["reason"] == "misreported"
    again = qcli("evidence", "retract", str(eid), "--reason", "x", ok=False)
    assert again.exit_code == 1 and "already retracted" in again.stderr
    assert "unknown id 999" in qcli("evidence", "retract", "999", "--reason", "x", ok=False).stderr


def test_ledgers_are_append_only(qcli, db_path):
    add(qcli, "alpha", "--lr", "3")
    db = connect(db_path)
    for sql in ("UPDATE evidence SET summary = 'x'", "DELETE FROM evidence_links", "DELETE FROM evidence"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute(sql)


def test_jsonl_import_is_idempotent_by_key(qcli, tmp_path):
    path = tmp_path / "e.jsonl"
    rows = [
        {"key": "k1", "observed_at": "2025-01-01", "summary": "one", "reliability": "A",
         "links": [{"question": "alpha", "lr": 2}, {"question": "cat", "outcome": "a", "grade": "weak for"}]},
        {"key": "k2", "observed_at": "2025-01-03T12:00:00+02:00", "summary": "two",
         "links": [{"question": "beta", "lr": 0.5}]},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert qcli.json("evidence", "import", str(path))["imported"] == 2
    again = qcli.json("evidence", "import", str(path))
    assert again == {"imported": 0, "skipped_existing": 2, "evidence_ids": []}
    items = {e["key"]: e for e in qcli.json("evidence", "list")}
    assert items["k2"]["observed_at"] == "2025-01-03T10:00:00Z"  # converted to UTC
    assert len(items["k1"]["links"]) == 2


def test_csv_import_is_atomic(qcli, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(
        "key,observed_at,summary,question,lr,grade\n"
        "k1,2025-01-01,first,alpha,2,\n"
        "k1,2025-01-01,first,beta,3,\n"
        "k2,2025-01-02,second,alpha,-1,\n",
        encoding="utf-8",
    )
    result = qcli("evidence", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert "e.csv:4: lr: '-1' must be a likelihood ratio" in result.stderr
    assert qcli.json("evidence", "list") == []
    path.write_text(path.read_text().replace(",-1,", ",0.5,"), encoding="utf-8")
    assert qcli.json("evidence", "import", str(path))["imported"] == 2
    first = next(e for e in qcli.json("evidence", "list") if e["key"] == "k1")
    assert [lk["question"] for lk in first["links"]] == ["alpha", "beta"]


def _item(**extra):
    """One JSONL evidence record on alpha, with extra (or replaced) fields."""
    rec = {"key": "k1", "observed_at": "2025-01-01", "summary": "s", "links": [{"question": "alpha", "lr": 2}]}
    return rec | extra


@pytest.mark.parametrize(
    ("rec", "message"),
    [
        (_item(tags=5), "e.jsonl:2: tags: 5 must be a list of text"),
        (_item(tags={"a": 1}), "e.jsonl:2: tags: {'a': 1} must be a list of text"),
        (_item(tags=False), "e.jsonl:2: tags: False must be a list of text"),
        (_item(tags=["ok", 7]), "e.jsonl:2: tags[1]: must be text"),
        (_item(tags=["a\x00b"]), "e.jsonl:2: tags[0]: must not contain NUL"),
        (_item(tags=["x" * 10_001]), "e.jsonl:2: tags[0]: is 10001 characters; the limit is 10000"),
        (_item(links=[{"question": "alpha", "lr": 2, "reasoning": "a\x00b"}]), "e.jsonl:2: reasoning: must not"),
        (_item(links=[{"question": "alpha", "lr": 2, "reasoning": 5}]), "e.jsonl:2: reasoning: must be text"),
        (_item(links=[{"question": "alpha", "lr": 2, "reasoning": "r" * 10_001}]), "e.jsonl:2: reasoning: is 10001"),
    ],
)
def test_import_checks_tags_and_reasoning_like_other_text(qcli, tmp_path, rec, message):
    path = tmp_path / "e.jsonl"
    good = _item(key="k0", tags=["fine"])
    path.write_text(json.dumps(good) + "\n" + json.dumps(rec) + "\n", encoding="utf-8")
    result = qcli("evidence", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # no traceback
    assert qcli.json("evidence", "list") == []


def test_tags_are_trimmed_and_blank_tags_dropped(qcli, tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(_item(tags=[" a ", "", "b"])) + "\n" + json.dumps(_item(key="k2", tags="c; ;d")) + "\n")
    qcli("evidence", "import", str(path))
    assert {e["key"]: e["tags"] for e in qcli.json("evidence", "list")} == {"k1": ["a", "b"], "k2": ["c", "d"]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--tag", "x" * 10_001], "tags[0]: is 10001 characters"), (["--reasoning", "r" * 10_001], "reasoning: is 10001")],
)
def test_add_checks_tags_and_reasoning(qcli, extra, message):
    result = qcli(
        "evidence", "add", "alpha", "--lr", "2", "--summary", "s", "--observed-at", "2025-01-02", *extra, ok=False
    )
    assert result.exit_code == 1 and message in result.stderr
    assert qcli.json("evidence", "list") == []


CSV_HEAD = "key,observed_at,summary,source,url,reliability,recorded_by,tags,question,lr\n"
CSV_ROW = "k1,2025-01-01,first,Reuters,https://example.org,B2,ann,a;b,alpha,2\n"


@pytest.mark.parametrize(
    ("field", "second"),
    [
        ("observed_at", "k1,2025-01-02,first,Reuters,https://example.org,B2,ann,a;b,beta,3"),
        ("summary", "k1,2025-01-01,other,Reuters,https://example.org,B2,ann,a;b,beta,3"),
        ("source", "k1,2025-01-01,first,AP,https://example.org,B2,ann,a;b,beta,3"),
        ("url", "k1,2025-01-01,first,Reuters,https://example.com,B2,ann,a;b,beta,3"),
        ("reliability", "k1,2025-01-01,first,Reuters,https://example.org,A,ann,a;b,beta,3"),
        ("recorded_by", "k1,2025-01-01,first,Reuters,https://example.org,B2,bob,a;b,beta,3"),
        ("tags", "k1,2025-01-01,first,Reuters,https://example.org,B2,ann,a,beta,3"),
        ("summary", "k1,2025-01-01,,Reuters,https://example.org,B2,ann,a;b,beta,3"),  # blank is a difference too
    ],
)
def test_csv_rows_sharing_a_key_must_agree_on_item_fields(qcli, tmp_path, field, second):
    path = tmp_path / "e.csv"
    path.write_text(CSV_HEAD + CSV_ROW + second + "\n", encoding="utf-8")
    result = qcli("evidence", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert f"e.csv:3: {field}: differs from line 2 for key k1" in result.stderr
    assert qcli.json("evidence", "list") == []
    # the same values (spacing around cells and tags aside) make one item with two links
    path.write_text(CSV_HEAD + CSV_ROW + "k1,2025-01-01, first ,Reuters,https://example.org,B2,ann,a; b,beta,3\n")
    assert qcli.json("evidence", "import", str(path))["imported"] == 1
    (item,) = qcli.json("evidence", "list")
    assert item["summary"] == "first" and item["reliability"] == pytest.approx(0.64)
    assert [lk["question"] for lk in item["links"]] == ["alpha", "beta"]


def test_retract_checks_recorded_by(qcli, db_path):
    eid = add(qcli, "alpha", "--lr", "3")["evidence_id"]
    result = qcli("evidence", "retract", str(eid), "--reason", "wrong", "--by", "x" * 10_001, ok=False)
    assert result.exit_code == 1 and "recorded_by: 'xxxx" in result.stderr and "must be 1-64 letters" in result.stderr
    db = connect(db_path)
    with pytest.raises(ForecastsError, match="recorded_by: must not contain NUL"):
        retract_evidence(db, eid, "wrong", "a\x00b")
    assert not qcli.json("evidence", "list")[0]["retracted"]
    assert (
        "'carol' (from --by) is not a registered forecaster"
        in qcli("evidence", "retract", str(eid), "--reason", "wrong", "--by", "carol", ok=False).stderr
    )
    qcli("forecasters", "add", "carol")
    qcli("evidence", "retract", str(eid), "--reason", "wrong", "--by", " Carol ")
    assert qcli.json("evidence", "list")[0]["retraction"]["recorded_by"] == "carol"
