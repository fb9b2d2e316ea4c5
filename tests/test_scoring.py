"""Scoring rules pinned to design.md's reference values, plus property tests (propriety, ranges, order)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts.scoring import calibration as cal
from forecasts.scoring import kernels
from forecasts.scoring import scores as scoring
from forecasts.scoring import small as scoring_small

DAY = 86400.0
probs = st.floats(0.001, 0.999, allow_nan=False)
SETTINGS = settings(max_examples=40, deadline=None)


def one_question(outcome_index: int = 0, days: float = 7.0, known: float | None = None, **extra) -> pd.DataFrame:
    row = {"question_id": "q", "type": "binary", "n_outcomes": 2, "outcome_index": outcome_index}
    row |= {"opens_at": 0.0, "closes_at": days * DAY, "known_at": (known if known is not None else days) * DAY}
    return pd.DataFrame([row | extra])


def history(rows: list[tuple[str, float, float]], qid: str = "q") -> pd.DataFrame:
    """(forecaster, made_at in days, P(yes)) rows on one question."""
    return pd.DataFrame(
        {
            "question_id": qid,
            "forecaster_id": [r[0] for r in rows],
            "made_at": [r[1] * DAY for r in rows],
            "probability": [r[2] for r in rows],
        }
    )


def scores(forecasts: pd.DataFrame, questions: pd.DataFrame, **kw) -> pd.DataFrame:
    return scoring.score_forecasts(forecasts, questions, **kw).set_index(["question_id", "forecaster_id"])


# --- reference values (design.md "Scoring") ---------------------------------------------------------


def test_reference_binary_brier_and_log():
    assert scoring.brier_binary(0.271, 0.0) == pytest.approx(0.073441, abs=1e-12)
    assert scoring.log_score(1 - 0.481) == pytest.approx(0.6558514, abs=1e-7)  # 0.481 on "no" = P(yes) 0.519


def test_reference_rps_and_ordered_brier():
    p = [[0.01, 0.32, 0.44, 0.23]]
    assert scoring.rps(p, 2)[0] == pytest.approx(0.1619, abs=1e-12)
    assert scoring.brier_ordered(p, 2)[0] == pytest.approx(0.1619 / 3, abs=1e-12)


def test_reference_baseline_scores():
    assert scoring.baseline_score(0.9) == pytest.approx(84.79969066, abs=1e-7)
    assert scoring.baseline_score(0.1) == pytest.approx(-232.19280949, abs=1e-7)
    whole = scores(history([("a", 0, 0.9)]), one_question(0))
    assert whole.loc[("q", "a"), "baseline"] == pytest.approx(84.79969066, abs=1e-7)
    low = scores(history([("a", 0, 0.1)]), one_question(0))
    assert low.loc[("q", "a"), "baseline"] == pytest.approx(-232.19280949, abs=1e-7)
    half = scores(history([("a", 3.5, 0.9)]), one_question(0)).loc[("q", "a")]
    assert half["baseline"] == pytest.approx(42.39984533, abs=1e-7)
    assert half["coverage"] == pytest.approx(0.5)


def test_reference_time_averaged_brier_seven_day_question():
    row = scores(history([("a", 0, 0.9), ("a", 3, 0.95)]), one_question(0)).loc[("q", "a")]
    assert row["brier"] == pytest.approx(0.0057143, abs=1e-7)
    assert row["brier_gj"] == pytest.approx(0.0114286, abs=1e-7)
    assert row["brier_fixed_lifetime"] == pytest.approx(0.0057143, abs=1e-7)  # whole lifetime covered: the same
    assert row["coverage"] == 1.0
    assert row["brier_close"] == pytest.approx(0.0025)
    assert row["n_forecasts"] == 2


def test_datetime_input_equals_seconds():
    base = pd.Timestamp("2025-01-01", tz="UTC")
    q = one_question(0)
    q_dt = q.assign(opens_at=base, closes_at=base + pd.Timedelta(days=7), known_at=base + pd.Timedelta(days=7))
    f = history([("a", 0, 0.9), ("a", 3, 0.95)])
    f_dt = f.assign(made_at=base + pd.to_timedelta(f["made_at"], unit="s"))
    assert scores(f_dt, q_dt)["brier"].iloc[0] == pytest.approx(0.0057143, abs=1e-7)


def test_early_resolution_headline_and_fixed_lifetime():
    # resolves yes on day 2 of 10: the headline counts the 2 days the forecast stood; the fixed-lifetime Brier
    # fills the remaining 8 days with the 0.25 filler
    row = scores(history([("a", 0, 0.9), ("a", 5, 0.2)]), one_question(0, days=10, known=2)).loc[("q", "a")]
    assert row["brier"] == pytest.approx(0.01)
    assert row["brier_fixed_lifetime"] == pytest.approx((2 * 0.01 + 8 * 0.25) / 10)
    assert row["coverage"] == 1.0
    assert row["coverage_lifetime"] == pytest.approx(0.2)
    assert row["brier_close"] == pytest.approx(0.01)  # the day-5 forecast came after the truth was known


def test_categorical_and_ordered_time_average():
    q = pd.DataFrame(
        [
            {"question_id": "c", "type": "categorical", "n_outcomes": 3, "outcome_index": 1},
            {"question_id": "o", "type": "ordered", "n_outcomes": 4, "outcome_index": 2},
        ]
    ).assign(opens_at=0.0, closes_at=4 * DAY, known_at=4 * DAY)
    f = pd.DataFrame(
        {
            "question_id": ["c", "o"],
            "forecaster_id": "a",
            "made_at": [2 * DAY, 0.0],
            "probability": np.nan,
            "probabilities": [[0.2, 0.7, 0.1], [0.01, 0.32, 0.44, 0.23]],
        }
    )
    out = scores(f, q)
    cat_b = (0.2**2 + 0.3**2 + 0.1**2, 2 / 3)  # forecast Brier, uniform filler (K−1)/K
    assert out.loc[("c", "a"), "brier_fixed_lifetime"] == pytest.approx((cat_b[0] + cat_b[1]) / 2)
    assert out.loc[("c", "a"), "brier"] == pytest.approx(cat_b[0])
    assert out.loc[("o", "a"), "brier"] == pytest.approx(0.1619 / 3)
    assert out.loc[("o", "a"), "brier_gj"] == pytest.approx(2 * 0.1619 / 3)  # GJ's ordered ×2
    assert out.loc[("c", "a"), "log_close"] == pytest.approx(-np.log(0.7))
    assert out.loc[("c", "a"), "baseline_close"] == pytest.approx(100 * (np.log(0.7) / np.log(3) + 1))
    assert out.loc[("c", "a"), "brier_gj"] == out.loc[("c", "a"), "brier"]  # GJ's categorical Brier is Σ (0–2)


# --- properties -------------------------------------------------------------------------------------


@SETTINGS
@given(q=probs, p=probs)
def test_brier_and_log_are_proper(q, p):
    def expected(rule, r):
        return q * rule(r, 1.0) + (1 - q) * rule(r, 0.0)

    def brier(r, o):
        return scoring.brier_binary(r, o)

    def log(r, o):
        return scoring.log_score(r if o else 1 - r)

    assert expected(brier, q) <= expected(brier, p) + 1e-12
    assert expected(log, q) <= expected(log, p) + 1e-12


@SETTINGS
@given(
    q=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
    p=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
)
def test_categorical_and_ordered_brier_are_proper(q, p):
    q, p = np.array(q) / sum(q), np.array(p) / sum(p)
    for rule in (scoring.brier_categorical, scoring.brier_ordered, scoring.rps):
        truth = sum(q[k] * rule(q[None, :], k)[0] for k in range(3))
        other = sum(q[k] * rule(p[None, :], k)[0] for k in range(3))
        assert truth <= other + 1e-12


@SETTINGS
@given(p=st.floats(0.0, 1.0), outcome=st.integers(0, 1))
def test_compiled_binary_row_scores_equal_the_rules(p, outcome):
    b, log, base, ln_p = kernels.binary_row_scores(p, 1.0 - outcome)
    p_outcome = p if outcome == 0 else 1 - p
    assert b == pytest.approx(scoring.brier_binary(p, 1.0 - outcome), abs=1e-15)
    assert log == pytest.approx(scoring.log_score(p_outcome), abs=1e-12)
    assert base == pytest.approx(scoring.baseline_score(p_outcome), abs=1e-9)
    assert ln_p == pytest.approx(np.log(np.clip(p_outcome, 0.001, 0.999)), abs=1e-12)  # the peer score's ln p
    assert np.isfinite(log) and np.isfinite(base)  # 0 and 1 are clamped to [0.001, 0.999], never infinite


@SETTINGS
@given(p=st.floats(0.0, 1.0), r=st.floats(0.0, 1.0))
def test_binary_scores_against_a_resolved_probability_are_expectations(p, r):
    b, log, base, ln_p = kernels.binary_row_scores(p, r)
    b_yes, log_yes, base_yes, ln_yes = kernels.binary_row_scores(p, 1.0)
    b_no, log_no, base_no, ln_no = kernels.binary_row_scores(p, 0.0)
    assert b == pytest.approx((p - r) ** 2, abs=1e-15)  # (p − r)², not the expectation r·(p−1)² + (1−r)·p²
    assert log == pytest.approx(r * log_yes + (1 - r) * log_no, abs=1e-12)
    assert base == pytest.approx(r * base_yes + (1 - r) * base_no, abs=1e-9)
    assert ln_p == pytest.approx(r * ln_yes + (1 - r) * ln_no, abs=1e-12)  # so the peer score is its expectation
    small = scoring_small._binary_rows(np.array([p]), r)  # the numpy path: the same four numbers
    assert [float(x[0]) if np.ndim(x) else float(x) for x in small] == pytest.approx([b, log, base, ln_p], abs=1e-12)


def test_certain_forecasts_score_at_the_documented_clamp():
    assert kernels.binary_row_scores(0.0, 1.0) == (1.0, pytest.approx(-np.log(0.001)), pytest.approx(
        100 * (np.log2(0.001) + 1)), pytest.approx(np.log(0.001)))  # fmt: skip
    assert kernels.binary_row_scores(1.0, 1.0) == (0.0, pytest.approx(-np.log(0.999)), pytest.approx(
        100 * (np.log2(0.999) + 1)), pytest.approx(np.log(0.999)))  # fmt: skip
    assert scoring.baseline_score(0.0) == pytest.approx(100 * (np.log2(0.001) + 1))


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_binary_question_resolved_to_a_probability_scores_p_minus_r_squared(engine):
    # a binary question resolved to r = 0.37 (a market's value): Brier (p − r)², the people's median of those
    q = one_question(0, days=4.0).assign(outcome_value=0.37)
    f = history([("a", 0, 0.9), ("b", 0, 0.3), ("c", 2, 0.5)])
    out = scores(f, q, engine=engine)
    assert out.loc[("q", "a"), "brier"] == pytest.approx((0.9 - 0.37) ** 2, abs=1e-15)
    assert out.loc[("q", "a"), "brier_gj"] == pytest.approx(2 * (0.9 - 0.37) ** 2, abs=1e-15)
    med = (0.53**2 + 0.07**2) / 2, np.median([0.53**2, 0.07**2, 0.13**2])  # days 0–2, then 2–4
    assert out.loc[("q", "c"), "relative_brier"] == pytest.approx((0.13**2 - med[1]) * 2 / 4, abs=1e-15)
    assert out.loc[("q", "a"), "relative_brier"] == pytest.approx(
        ((0.53**2 - med[0]) * 2 + (0.53**2 - med[1]) * 2) / 4, abs=1e-15
    )


def test_uninformed_filler_of_ordered_question_depends_on_outcome():
    # uniform over 4 ordered outcomes: cumulative 1/4, 1/2, 3/4 against the truth's cumulative indicator
    assert scoring.uninformed_brier("ordered", 4, 0) == pytest.approx((0.75**2 + 0.5**2 + 0.25**2) / 3)
    assert scoring.uninformed_brier("ordered", 4, 1) == pytest.approx((0.25**2 + 0.5**2 + 0.25**2) / 3)
    q = pd.DataFrame([{"question_id": "o", "type": "ordered", "n_outcomes": 4, "outcome_index": 1}])
    q = q.assign(opens_at=0.0, closes_at=2 * DAY, known_at=2 * DAY)
    f = pd.DataFrame(
        {"question_id": "o", "forecaster_id": "a", "made_at": [DAY], "probability": np.nan,
         "probabilities": [[0.25, 0.25, 0.25, 0.25]]}
    )  # fmt: skip
    assert scores(f, q).loc[("o", "a"), "brier_fixed_lifetime"] == pytest.approx(0.125)  # filler = the same forecast


@SETTINGS
@given(p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20), o=st.integers(0, 1))
def test_score_ranges(p, o):
    p = np.array(p)
    assert ((scoring.brier_binary(p, o) >= 0) & (scoring.brier_binary(p, o) <= 1)).all()
    lo, hi = -np.log(0.999), -np.log(0.001)
    assert ((scoring.log_score(p) >= lo - 1e-12) & (scoring.log_score(p) <= hi + 1e-12)).all()
    mat = np.column_stack([p, 1 - p])
    assert (scoring.brier_categorical(mat, o) <= 2 + 1e-12).all()
    assert (scoring.brier_ordered(mat, o) <= 1 + 1e-12).all()


def random_history(seed: int, n: int = 60, nq: int = 3, nf: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    qs = pd.DataFrame(
        {
            "question_id": [f"q{i}" for i in range(nq)],
            "type": "binary",
            "n_outcomes": 2,
            "outcome_index": rng.integers(0, 2, nq),
            "opens_at": 0.0,
            "closes_at": 100.0,
            "known_at": rng.choice([100.0, 55.0], nq),
        }
    )
    fs = pd.DataFrame(
        {
            "question_id": rng.choice(qs["question_id"], n),
            "forecaster_id": rng.choice([f"f{i}" for i in range(nf)], n),
            "made_at": rng.integers(-5, 110, n).astype(float),
            "probability": rng.choice([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95], n),
            "seq": np.arange(n),
        }
    )
    return fs, qs


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ranges_of_time_averaged_scores(seed):
    fs, qs = random_history(seed)
    out = scoring.score_forecasts(fs, qs)
    assert out["brier_fixed_lifetime"].between(0, 1).all()
    assert out["coverage"].between(0, 1).all() and out["coverage_lifetime"].between(0, 1).all()
    assert out["relative_brier"].between(-1, 1).all()
    assert (out["brier"].dropna().between(0, 1)).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_invariant_to_row_order(seed, perm_seed):
    fs, qs = random_history(seed)
    fs = fs.drop_duplicates(["question_id", "forecaster_id", "made_at"])  # exact ties are broken by seq
    a = scoring.score_forecasts(fs, qs).sort_values(["question_id", "forecaster_id"]).reset_index(drop=True)
    shuffled = fs.drop(columns="seq").sample(frac=1.0, random_state=perm_seed)
    b = scoring.score_forecasts(shuffled, qs.sample(frac=1.0, random_state=perm_seed))
    b = b.sort_values(["question_id", "forecaster_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(p=st.floats(0.51, 0.999), early=st.floats(0, 3), late=st.floats(3.01, 6.9), outcome=st.integers(0, 1))
def test_late_forecaster_not_flattered(p, early, late, outcome):
    # both report the same informative forecast; the one who waited is scored worse, never better
    p_yes = p if outcome == 0 else 1 - p
    out = scores(history([("early", early, p_yes), ("late", late, p_yes)]), one_question(outcome))
    assert out.loc[("q", "late"), "brier_fixed_lifetime"] > out.loc[("q", "early"), "brier_fixed_lifetime"]
    assert out.loc[("q", "late"), "brier"] == pytest.approx(out.loc[("q", "early"), "brier"])
    # a late *perfect-ish* forecaster still loses to an early good one when they waited long enough
    perfect = 0.999 if outcome == 0 else 0.001
    out2 = scores(history([("early", 0, p_yes), ("late", 6.9, perfect)]), one_question(outcome))
    assert out2.loc[("q", "late"), "brier_fixed_lifetime"] > out2.loc[("q", "early"), "brier_fixed_lifetime"]


def _truth(q: pd.Series) -> float:
    """What a binary question's P(yes) is scored against: its outcome_value r if resolved to one, else 1 or 0."""
    r = q.get("outcome_value", np.nan)
    return float(r) if pd.notna(r) else (1.0 if q.outcome_index == 0 else 0.0)


def naive_relative(fs: pd.DataFrame, qs: pd.DataFrame, members: set[str] | None) -> dict:
    """Relative Brier by brute force over every elementary interval: your Brier minus np.median of the standing
    members' Briers, over your active time, divided by [opens, min(closes, known)); filler (0.5 − o)² with nobody.
    o is 1 (yes), 0 (no) or the probability r in an outcome_value column."""
    out = {}
    qs = qs.set_index("question_id")
    for (qid, fid), mine in fs.groupby(["question_id", "forecaster_id"]):
        q = qs.loc[qid]
        o = _truth(q)
        end = min(q.closes_at, q.known_at)
        if not (mine.made_at < end).any():  # every forecast came once the truth was known: not scored at all
            continue
        crowd = fs[fs.question_id == qid]
        if members is not None:
            crowd = crowd[crowd.forecaster_id.isin(members)]
        cuts = sorted({q.opens_at, end} | {t for t in fs[fs.question_id == qid].made_at if q.opens_at < t < end})
        total = 0.0
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            standing = mine[mine.made_at <= a].sort_values(["made_at", "seq"])
            if standing.empty:
                continue
            now = crowd[crowd.made_at <= a].sort_values(["made_at", "seq"]).groupby("forecaster_id").probability.last()
            crowd_b = np.median((now.to_numpy() - o) ** 2) if len(now) else (0.5 - o) ** 2
            total += ((standing.probability.iloc[-1] - o) ** 2 - crowd_b) * (b - a)
        out[(qid, fid)] = total / (end - q.opens_at)
    return out


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([30, 200]), crowd_only=st.booleans())
def test_relative_brier_matches_brute_force(seed, n, crowd_only):
    fs, qs = random_history(seed, n=n)
    members = {"f0", "f1", "f2"} if crowd_only else None
    out = scores(fs, qs, crowd_members=members)
    for key, rel in naive_relative(fs, qs, members).items():
        assert out.loc[key, "relative_brier"] == pytest.approx(rel, abs=1e-12)


def naive_peer(fs: pd.DataFrame, qs: pd.DataFrame, members: set[str] | None) -> dict:
    """Metaculus peer score by brute force: per elementary interval, 100·n/(n−1)·(ln p − mean of the standing
    members' ln p) with n ≥ 2 members standing, summed over your standing time ÷ the scheduled lifetime; and
    the spot value with the forecasts made before min(closes, known)."""
    out = {}
    qs = qs.set_index("question_id")
    for (qid, fid), mine in fs.groupby(["question_id", "forecaster_id"]):
        q = qs.loc[qid]
        end = min(q.closes_at, q.known_at)
        if not (mine.made_at < end).any():
            continue
        everyone = fs[fs.question_id == qid].sort_values(["made_at", "seq"])
        crowd = everyone if members is None else everyone[everyone.forecaster_id.isin(members)]

        def ln_p(p: float, q=q) -> float:  # the expectation under r of ln p (clamped) of the outcome
            r = _truth(q)
            return float(r * np.log(np.clip(p, 0.001, 0.999)) + (1 - r) * np.log(np.clip(1 - p, 0.001, 0.999)))

        def peer_at(a: float, strict: bool, crowd=crowd, mine=mine) -> float | None:
            pick = (lambda d: d[d.made_at < a]) if strict else (lambda d: d[d.made_at <= a])
            standing = pick(mine.sort_values(["made_at", "seq"]))
            now = pick(crowd).groupby("forecaster_id").probability.last()
            if standing.empty:
                return None
            n = len(now)
            if n < 2:
                return 0.0
            mean_ln = np.mean([ln_p(p) for p in now])
            return 100 * n / (n - 1) * (ln_p(standing.probability.iloc[-1]) - mean_ln)

        cuts = sorted({q.opens_at, end} | {t for t in everyone.made_at if q.opens_at < t < end})
        total = sum((peer_at(a, False) or 0.0) * (b - a) for a, b in zip(cuts[:-1], cuts[1:], strict=True))
        out[(qid, fid)] = (total / (q.closes_at - q.opens_at), peer_at(end, True))
    return out


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([30, 200]), crowd_only=st.booleans())
def test_peer_score_matches_brute_force(seed, n, crowd_only):
    fs, qs = random_history(seed, n=n)
    members = {"f0", "f1", "f2"} if crowd_only else None
    out = scores(fs, qs, crowd_members=members)
    for key, (peer, spot) in naive_peer(fs, qs, members).items():
        assert out.loc[key, "peer"] == pytest.approx(peer, abs=1e-9)
        assert out.loc[key, "peer_close"] == pytest.approx(spot, abs=1e-9)


def resolved_to_probabilities(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """random_history with questions resolved to a probability r (and one to yes/no) and forecasts of exactly
    0 and 1, as imports bring them."""
    fs, qs = random_history(seed, n=n)
    rng = np.random.default_rng(seed + 1)
    qs = qs.assign(outcome_value=[0.37, np.nan, 0.81][: len(qs)])
    certain = rng.random(len(fs)) < 0.2
    fs.loc[certain, "probability"] = rng.choice([0.0, 1.0], int(certain.sum()))
    return fs, qs


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([30, 200]), crowd_only=st.booleans())
def test_probability_resolutions_match_brute_force_in_both_engines(seed, n, crowd_only):
    # Brier (p − r)² in relative Brier's people's Briers too, peer the expectation under r of clamped ln p
    fs, qs = resolved_to_probabilities(seed, n)
    members = {"f0", "f1", "f2"} if crowd_only else None
    tables = [scores(fs, qs, crowd_members=members, engine=engine) for engine in ("numpy", "compiled")]
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=False, rtol=1e-10, atol=1e-10)
    out = tables[1]
    assert np.isfinite(out[["log", "baseline", "peer", "peer_close", "log_close", "baseline_close"]]).all().all()
    for key, rel in naive_relative(fs, qs, members).items():
        assert out.loc[key, "relative_brier"] == pytest.approx(rel, abs=1e-12)
    for key, (peer, spot) in naive_peer(fs, qs, members).items():
        assert out.loc[key, "peer"] == pytest.approx(peer, abs=1e-9)
        assert out.loc[key, "peer_close"] == pytest.approx(spot, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), r=st.floats(0.0, 1.0), engine=st.sampled_from(["numpy", "compiled"]))
def test_log_baseline_and_peer_under_a_resolved_probability_are_expectations(seed, r, engine):
    # r·score(yes) + (1 − r)·score(no) for every log, baseline and peer column; Brier columns are (p − r)²
    fs, qs = resolved_to_probabilities(seed, 120)
    one = {name: qs.assign(outcome_value=value, outcome_index=index)
           for name, value, index in (("r", r, 0), ("yes", np.nan, 0), ("no", np.nan, 1))}  # fmt: skip
    got = {name: scores(fs, q, engine=engine) for name, q in one.items()}
    for col in ("log", "log_close", "baseline", "baseline_close", "peer", "peer_close"):
        want = r * got["yes"][col] + (1 - r) * got["no"][col]
        np.testing.assert_allclose(got["r"][col], want, rtol=1e-9, atol=1e-9)
    alone = history([("a", 0, 0.0), ("a", 3, 0.3), ("b", 3.5, 1.0)])
    out = scores(alone, one_question(0, outcome_value=r), engine=engine)
    a, b = out.loc[("q", "a")], out.loc[("q", "b")]
    assert a["brier_close"] == pytest.approx((0.3 - r) ** 2, abs=1e-15)
    assert a["brier"] == pytest.approx((3 * r**2 + 4 * (0.3 - r) ** 2) / 7, abs=1e-12)
    assert a["brier_fixed_lifetime"] == pytest.approx(a["brier"], abs=1e-12)  # covered the whole lifetime
    # before b's first forecast the uninformed 50% stands, scored against r as well
    assert b["brier_fixed_lifetime"] == pytest.approx(((0.5 - r) ** 2 + (1.0 - r) ** 2) / 2, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.floats(0.01, 0.99)), min_size=1, max_size=40),
    st.sampled_from([0, 32]),
    st.booleans(),
)
def test_running_median_matches_numpy(events, budget, everyone):
    # budget 0 sends every question down the Fenwick path; 32 keeps the pointer walk
    who = np.array([e[0] for e in events])
    x = np.array([e[1] for e in events])
    joins = np.ones(len(x), dtype=bool) if everyone else who != 0  # forecaster 0 is not a crowd member
    last: dict[int, int] = {}
    prev = np.empty(len(events), dtype=np.int64)
    for i, w in enumerate(who.tolist()):
        prev[i] = last.get(w, -1)
        last[w] = i
    got = np.empty(len(x))
    scratch = np.empty(5 * len(x) + 2, dtype=np.int64)
    kernels.running_median(x, np.arange(len(x)), prev, joins, got, scratch, budget)
    for i in range(len(events)):
        standing = {w: x[j] for j, w in enumerate(who[: i + 1].tolist()) if joins[j]}
        want = np.median(list(standing.values())) if standing else np.nan
        assert got[i] == pytest.approx(want, abs=1e-12, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-3, 3).map(float), st.floats(-1e9, 1e9)), min_size=1, max_size=60),
    st.sampled_from([0, 16]),
)
def test_stable_order_is_numpys_stable_argsort(x, budget):
    # ties keep row order; budget 0 forces the mergesort fallback as soon as insertion sort moves anything
    x = np.array(x)
    order = kernels.stable_order(x, np.empty(len(x), dtype=np.int64), np.empty(2 * len(x) + 1, dtype=np.int64), budget)
    assert order.tolist() == np.argsort(x, kind="stable").tolist()


@pytest.mark.parametrize("x", [[0.0, 5e-324, 0.0], [5e-324, 0.0, 1e-323, 5e-324], [-5e-324, 5e-324]])
def test_stable_order_of_a_subnormal_span(x):
    # (m-1)/span overflows to inf for a subnormal span; the bucket index was int(NaN) and the process crashed
    x = np.array(x)
    order = kernels.stable_order(x, np.empty(len(x), dtype=np.int64), np.empty(2 * len(x) + 1, dtype=np.int64), 16)
    assert order.tolist() == np.argsort(x, kind="stable").tolist()


@pytest.mark.parametrize("qtype", ["categorical", "ordered"])
def test_relative_brier_of_categorical_crowd_is_median_of_briers(qtype):
    # the people's side is the median of their Briers (not the Brier of a median forecast), segment by segment
    rule = scoring.brier_ordered if qtype == "ordered" else scoring.brier_categorical
    q = pd.DataFrame([{"question_id": "c", "type": qtype, "n_outcomes": 3, "outcome_index": 1}])
    q = q.assign(opens_at=0.0, closes_at=4 * DAY, known_at=4 * DAY)
    made = {"a": (0, [0.2, 0.7, 0.1]), "b": (1, [0.6, 0.3, 0.1]), "c": (2, [0.1, 0.1, 0.8])}
    f = pd.DataFrame(
        {
            "question_id": "c",
            "forecaster_id": list(made),
            "made_at": [day * DAY for day, _ in made.values()],
            "probability": np.nan,
            "probabilities": [p for _, p in made.values()],
        }
    )
    own = {w: rule(np.array([p]), 1)[0] for w, (_, p) in made.items()}
    segments = [(0, 1, ["a"]), (1, 2, ["a", "b"]), (2, 4, ["a", "b", "c"])]
    crowd = {(start, end): np.median([own[w] for w in who]) for start, end, who in segments}
    for engine in ("numpy", "compiled"):
        out = scores(f, q, engine=engine)
        for name, (day, _) in made.items():
            want = sum((own[name] - cb) * (end - start) for (start, end), cb in crowd.items() if start >= day) / 4
            assert out.loc[("c", name), "relative_brier"] == pytest.approx(want, abs=1e-12)


def mixed_history(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binary, categorical and ordered questions with early resolutions, ties and forecasts outside the window."""
    rng = np.random.default_rng(seed)
    types = [("binary", 2), ("categorical", 3), ("ordered", 4), ("binary", 2), ("categorical", 2)]
    qs = pd.DataFrame(
        {
            "question_id": [f"q{i}" for i in range(len(types))],
            "type": [t for t, _ in types],
            "n_outcomes": [k for _, k in types],
            "outcome_index": [int(rng.integers(0, k)) for _, k in types],
            "opens_at": 0.0,
            "closes_at": 100.0,
            "known_at": rng.choice([100.0, 40.0], len(types)),
        }
    )
    qi = rng.integers(0, len(types), n)
    probs = [rng.dirichlet(np.ones(types[i][1])) for i in qi]
    fs = pd.DataFrame(
        {
            "question_id": qs["question_id"].to_numpy()[qi],
            "forecaster_id": rng.choice([f"f{i}" for i in range(6)], n),
            "made_at": rng.integers(-5, 110, n).astype(float),
            "probability": [p[0] if types[i][0] == "binary" else np.nan for i, p in zip(qi, probs, strict=True)],
            "probabilities": [list(p) for p in probs],
            "seq": np.arange(n),
        }
    )
    return fs, qs


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([1, 20, 150]), crowd_only=st.booleans(), imported=st.booleans())
def test_numpy_path_equals_compiled_kernels(seed, n, crowd_only, imported):
    # small histories score in numpy (no numba import), large ones in the compiled kernels: the same table;
    # imported: a binary question resolved to a probability and forecasts of exactly 0 or 1 (every type)
    fs, qs = mixed_history(seed, n)
    if imported:
        qs["outcome_value"] = [0.37, np.nan, np.nan, np.nan, np.nan]
        certain = np.arange(n) % 3 == 0
        fs.loc[certain, "probability"] = np.where(fs.loc[certain, "probability"].isna(), np.nan, 1.0)
        fs["probabilities"] = [[1.0] + [0.0] * (len(p) - 1) if c else p
                               for p, c in zip(fs["probabilities"], certain, strict=True)]  # fmt: skip
    members = {"f0", "f1", "f2"} if crowd_only else None
    a = scoring.score_forecasts(fs, qs, crowd_members=members, engine="numpy")
    b = scoring.score_forecasts(fs, qs, crowd_members=members, engine="compiled")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(
    ps=st.lists(st.floats(0.01, 0.99), min_size=3, max_size=9).filter(lambda v: len(v) % 2 == 1),
    days=st.lists(st.floats(0, 6), min_size=9, max_size=9),
    outcome=st.integers(0, 1),
)
def test_odd_crowd_peer_scores_sum_to_zero_and_median_relative_is_zero(ps, days, outcome):
    # Metaculus's peer score is centred on the people's mean log score: at every instant the standing people's
    # scores sum to 0, so their time-averages do too. Relative Brier is centred on the median: when everyone
    # stands the whole time, the median person scores exactly 0 and the crowd's relative scores sum to
    # n·(mean − median) of the Briers.
    f = history([(f"p{i}", 0, p) for i, p in enumerate(ps)])
    out = scores(f, one_question(outcome))
    assert out["peer"].sum() == pytest.approx(0.0, abs=1e-9)
    assert np.median(out["relative_brier"]) == pytest.approx(0.0, abs=1e-12)
    briers = (np.array(ps) - (1.0 - outcome)) ** 2
    assert out["relative_brier"].sum() == pytest.approx(len(ps) * (briers.mean() - np.median(briers)), abs=1e-12)
    # staggered arrivals: the peer scores still sum to zero (each instant's do)
    late = history([(f"p{i}", d, p) for i, (p, d) in enumerate(zip(ps, days, strict=False))])
    assert scores(late, one_question(outcome))["peer"].sum() == pytest.approx(0.0, abs=1e-9)


def test_single_forecaster_has_zero_relative_brier_and_crowd_excludes_aggregates():
    out = scores(history([("a", 0, 0.7), ("a", 2, 0.9)]), one_question(0))
    assert out.loc[("q", "a"), "relative_brier"] == pytest.approx(0.0, abs=1e-15)
    f = history([("a", 0, 0.6), ("crowd", 0, 0.9)])
    out = scores(f, one_question(0), crowd_members={"a"})
    assert out.loc[("q", "a"), "relative_brier"] == pytest.approx(0.0, abs=1e-15)
    assert out.loc[("q", "crowd"), "relative_brier"] == pytest.approx(0.01 - 0.16)


def test_categorical_ids_score_like_strings():
    # categorical ids (as the benchmark and notebooks pass them) take the code paths; same table as strings,
    # including a forecast on an unlisted question, an unused category and unsorted forecaster categories
    fs, qs = random_history(3, n=80)
    fs = pd.concat([fs, history([("f1", 0, 0.9)], qid="unlisted").assign(seq=999)], ignore_index=True)

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        out = scoring.score_forecasts(frame, qs).astype({"question_id": str, "forecaster_id": str})
        return out.sort_values(["question_id", "forecaster_id"]).reset_index(drop=True)

    want = table(fs)
    assert "unlisted" not in set(want["question_id"])
    for names in (["f0", "f1", "f2", "f3", "f4", "zz-unused"], ["f4", "f3", "f2", "f1", "f0"]):
        cat = fs.assign(
            question_id=pd.Categorical(fs["question_id"], categories=["q0", "q1", "q2", "unlisted", "q-unused"]),
            forecaster_id=pd.Categorical(fs["forecaster_id"], categories=names),
        )
        pd.testing.assert_frame_equal(table(cat), want)


def test_forecasts_on_unlisted_questions_are_ignored():
    f = pd.concat([history([("a", 0, 0.9)]), history([("a", 0, 0.9)], qid="unresolved")])
    out = scoring.score_forecasts(f, one_question(0))
    assert out["question_id"].tolist() == ["q"]


# --- calibration --------------------------------------------------------------------------------------


def test_integer_percent_bins_have_no_float_edges():
    b, lo, hi = cal.percent_bins(np.array([0.3, 0.29999999999, 0.095, 0.0, 0.999, 1.0, 0.5]), 10)
    assert b.tolist() == [3, 3, 1, 0, 9, 9, 5]
    assert lo.tolist()[:3] == [0, 10, 20] and hi.tolist()[-1] == 100
    assert len(cal.percent_bins(np.array([0.5]), 1)[1]) == 100


def test_wilson_interval_reference():
    lo, hi = cal.wilson_interval(np.array([5]), np.array([10]))
    assert lo[0] == pytest.approx(0.236593, abs=1e-6)
    assert hi[0] == pytest.approx(0.763407, abs=1e-6)


@SETTINGS
@given(
    st.lists(st.tuples(st.floats(0.001, 0.999), st.integers(0, 1)), min_size=1, max_size=80),
    st.sampled_from([1, 5, 10, 20]),
)
def test_murphy_decomposition_is_exact_on_bin_means(pairs, width):
    p = np.array([a for a, _ in pairs])
    o = np.array([b for _, b in pairs], dtype=float)
    m = cal.murphy(p, o, width)
    assert m["brier_binned"] == pytest.approx(m["reliability"] - m["resolution"] + m["uncertainty"], abs=1e-12)
    assert m["brier"] == pytest.approx(((p - o) ** 2).mean())
    rows = cal.calibration_table(p, o, width)
    assert sum(r["n"] for r in rows) == len(p)
    assert all(r["ci95_low"] <= r["observed"] <= r["ci95_high"] for r in rows)


def test_svg_plot_is_deterministic(tmp_path):
    rows = cal.calibration_table(np.array([0.1, 0.15, 0.8, 0.85]), np.array([0.0, 1.0, 1.0, 1.0]))
    a = cal.write_plot(rows, tmp_path / "a.svg", "t").read_text()
    b = cal.write_plot(rows, tmp_path / "b.svg", "t").read_text()
    assert a == b and a.startswith("<svg") and a.count("<circle") == 2
    assert a.count('stroke="#1f5fa8" stroke-width="1"/>') == 2  # one interval whisker per bin


def test_forecasts_made_once_the_truth_was_known_are_not_scored():
    """Early resolution at day 3: bob's only forecast (day 4) has no row; carol forecast at day 1 and day 5."""
    out = scores(
        history([("ann", 0, 0.9), ("bob", 4, 0.99), ("carol", 1, 0.5), ("carol", 5, 0.99)]), one_question(0, known=3)
    )
    assert sorted(out.index.get_level_values("forecaster_id")) == ["ann", "carol"]
    assert out.loc[("q", "carol"), "brier_close"] == pytest.approx(0.25)  # the day-5 forecast is not the spot one


def test_to_seconds_past_2262():
    """Nanosecond datetimes end at 2262-04-11; to_seconds must not wrap around (issue 25)."""
    from forecasts.scoring.scores import to_seconds

    got = to_seconds(pd.Series([pd.Timestamp("2525-01-01", tz="UTC"), pd.Timestamp("2025-01-01", tz="UTC")]))
    assert got.tolist() == [17514144000.0, 1735689600.0]
