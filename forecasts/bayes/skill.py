"""Forecaster skill from resolved questions: a hierarchical linear-in-log-odds calibration model (PyMC).

For forecaster f and forecast p on a resolved binary question, logit P(yes) = a_f + b_f * logit(p), with
a_f ~ Normal(mu_a, sigma_a) and log b_f ~ Normal(mu_b, sigma_b) (non-centred). b < 1: over-confident
(the truth is less extreme than the forecasts); a > 0: the forecaster says "yes" too rarely. The data
is each forecaster's LAST forecast standing before the truth was known (min(closes_at, known_at)).
Pure functions take arrays; `skill_report` loads as of `known_by` and stores the fit in `skill_runs`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from forecasts.bayes.fit_store import check_int, store_run
from forecasts.bayes.logodds import expit, logit
from forecasts.bayes.quiet import arviz_in_numpy, quiet_pymc
from forecasts.errors import ForecastsError
from forecasts.numbers import count
from forecasts.progress import pymc_step
from forecasts.store.db import Database
from forecasts.timeutil import now_utc, to_iso

INTERVAL = 0.90
MIN_QUESTIONS = 8  # fewer resolved questions than this: "not enough data yet"
MIN_QUESTIONS_EXTREMIZE = 20  # resolved questions with >= 2 people needed to fit the crowd's extremizing factor
P_CLIP = 1e-3  # forecasts are clipped to [0.001, 0.999] before taking log-odds (as the log score does)
METHODS = ("nuts", "advi")
FITTED_KINDS = ("person", "model")  # forecaster kinds in the pooled calibration fit
SAMPLERS = ("auto", "pymc", "numba", "nutpie", "nutpie-python")
NUTPIE_FROM = 20_000  # forecasts from which "auto" picks nutpie: its ~5 s numba compile pays for itself


# --- pure: data and simulation --------------------------------------------------------------------


@dataclass
class Simulation:
    """Simulated forecasters with known calibration, for tests and the benchmark."""

    forecaster: np.ndarray  # int index per forecast
    question: np.ndarray  # int index per forecast
    logit_p: np.ndarray
    outcome: np.ndarray  # 0/1
    a: np.ndarray  # true bias per forecaster
    b: np.ndarray  # true slope per forecaster
    truth_logit: np.ndarray  # true log-odds per question


def simulate(
    n_forecasters: int,
    n_questions: int,
    per_forecaster: int,
    seed: int = 0,
    mu_a: float = 0.0,
    sigma_a: float = 0.3,
    mu_b: float = -0.1,
    sigma_b: float = 0.3,
    truth_sd: float = 1.5,
) -> Simulation:
    """Forecasters who each answer `per_forecaster` random questions; stated logit p = (truth - a) / b, y ~ truth."""
    rng = np.random.default_rng(seed)
    a = rng.normal(mu_a, sigma_a, n_forecasters)
    b = np.exp(rng.normal(mu_b, sigma_b, n_forecasters))
    truth = rng.normal(0.0, truth_sd, n_questions)
    y = (rng.random(n_questions) < expit(truth)).astype(np.int8)
    k = min(per_forecaster, n_questions)
    # Each forecaster picks k distinct questions (argsort of random keys: vectorised sampling without replacement).
    qidx = np.argsort(rng.random((n_forecasters, n_questions)), axis=1)[:, :k].ravel()
    fidx = np.repeat(np.arange(n_forecasters), k)
    # Stated log-odds map back to the truth through the forecaster's miscalibration: truth = a + b * x.
    x = np.clip((truth[qidx] - a[fidx]) / b[fidx], logit(P_CLIP), logit(1 - P_CLIP))
    y_obs = y[qidx]
    return Simulation(fidx, qidx, x, y_obs, a, b, truth)


# --- pure: model and fit --------------------------------------------------------------------------


def dense_layout(forecaster: np.ndarray, *columns: np.ndarray, max_padding: float = 3.0):
    """Rows = forecasters, padded columns = their forecasts, plus a 0/1 mask; None if padding would exceed the limit.

    Lets the likelihood broadcast a[:, None] + b[:, None] * X with no gather/scatter (much faster gradients).
    """
    forecaster = np.asarray(forecaster, dtype=np.int64)
    n_f = int(forecaster.max()) + 1 if len(forecaster) else 0
    counts = np.bincount(forecaster, minlength=n_f)
    width = int(counts.max()) if len(counts) else 0
    if n_f * width > max_padding * max(len(forecaster), 1):
        return None
    order = np.argsort(forecaster, kind="stable")
    rows = forecaster[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    cols = np.arange(len(rows)) - starts[rows]
    mask = np.zeros((n_f, width))
    mask[rows, cols] = 1.0
    out = []
    for col in columns:
        dense = np.zeros((n_f, width))
        dense[rows, cols] = np.asarray(col, float)[order]
        out.append(dense)
    return mask, out


def build_model(
    forecaster: np.ndarray,
    logit_p: np.ndarray,
    outcome: np.ndarray,
    n_forecasters: int,
    layout: str = "auto",
    centred: bool = False,
):
    """The hierarchical calibration model (non-centred), vectorised over all forecasts.

    layout "dense" pads each forecaster's forecasts into a row (masked Bernoulli log-likelihood); "indexed"
    gathers a[forecaster]; "auto" picks dense unless padding would triple the data.
    """
    import pymc as pm
    import pytensor.tensor as pt

    forecaster = np.asarray(forecaster, dtype=np.int64)
    x = np.asarray(logit_p, float)
    y = np.asarray(outcome, dtype=np.int8)
    dense = None
    if layout in ("auto", "dense") and len(forecaster) and int(forecaster.max()) + 1 == n_forecasters:
        dense = dense_layout(forecaster, x, y, max_padding=3.0 if layout == "auto" else math.inf)
    # Data as pm.Data and the forecaster count as a symbolic size, so the compiled graph is the same for any data:
    # the numba cache (forecasts.bayes.nutpie_sampler) then hits after new resolutions too.
    with pm.Model(check_bounds=False) as model:  # inputs are validated before: no parameter checks to compile
        if dense is not None:
            mask, (xd, yd) = dense
            mask, xd, yd = pm.Data("mask", mask), pm.Data("x", xd), pm.Data("outcome", yd)
            size = xd.shape[0]
        else:
            f_idx, xi = pm.Data("forecaster", forecaster), pm.Data("x", x)
            size = pm.Data("n_forecasters", np.int64(n_forecasters))
        mu_a = pm.Normal("mu_a", 0.0, 1.0)
        sigma_a = pm.HalfNormal("sigma_a", 0.5)
        mu_b = pm.Normal("mu_b", 0.0, 0.5)  # log slope: 0 means b = 1 (calibrated)
        sigma_b = pm.HalfNormal("sigma_b", 0.5)
        if centred:  # better geometry when every forecaster has many forecasts
            a = pm.Normal("a", mu_a, sigma_a, shape=(size,))
            log_b = pm.Normal("log_b", mu_b, sigma_b, shape=(size,))
            b = pm.Deterministic("b", pm.math.exp(log_b))
        else:
            z_a = pm.Normal("z_a", 0.0, 1.0, shape=(size,))
            z_b = pm.Normal("z_b", 0.0, 1.0, shape=(size,))
            a = pm.Deterministic("a", mu_a + sigma_a * z_a)
            b = pm.Deterministic("b", pm.math.exp(mu_b + sigma_b * z_b))
        if dense is not None:
            eta = a[:, None] + b[:, None] * xd
            # Bernoulli log-likelihood on the logit scale: y * eta - log(1 + e^eta), padding masked out.
            pm.Potential("y", pt.sum(mask * (yd * eta - pt.softplus(eta))))
        else:
            pm.Bernoulli("y", logit_p=a[f_idx] + b[f_idx] * xi, observed=pm.Data("outcome", y))
    return model


@dataclass
class Fit:
    """Posterior draws of every forecaster's bias a and slope b, hyperparameters, and diagnostics."""

    a: np.ndarray  # (draws, forecasters)
    b: np.ndarray
    hyper: dict[str, np.ndarray]  # mu_a, sigma_a, mu_b, sigma_b draws
    method: str
    rhat_max: float | None
    ess_min: float | None
    divergences: int | None
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)


def fit_calibration(
    forecaster: np.ndarray,
    logit_p: np.ndarray,
    outcome: np.ndarray,
    n_forecasters: int,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    method: str = "nuts",
    nuts_sampler: str = "auto",
    target_accept: float | None = None,
    cores: int | None = None,
    layout: str = "auto",
    centred: bool = False,
    advi_iterations: int = 10_000,
) -> Fit:
    """Sample the calibration model (NUTS, or ADVI as a fast approximation) and return draws + diagnostics."""
    quiet_pymc()
    import arviz as az
    import pymc as pm

    if method not in METHODS:
        raise ForecastsError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if len(outcome) == 0:
        raise ForecastsError("skill: no resolved binary forecasts yet; resolve some questions first")
    if nuts_sampler not in SAMPLERS:
        raise ForecastsError(f"sampler: {nuts_sampler!r} is not one of {', '.join(SAMPLERS)}")
    if nuts_sampler == "auto":
        nuts_sampler = pick_sampler(len(outcome))
    if target_accept is None:  # large fits (nutpie) sample cleanly at the usual 0.8 and take half the steps
        target_accept = 0.8 if nuts_sampler == "nutpie" else 0.9
    start = time.perf_counter()
    model = build_model(forecaster, logit_p, outcome, n_forecasters, layout, centred)
    # "numba": PyMC's own NUTS with the log-density compiled by numba instead of C (faster per gradient).
    compile_kwargs = {"mode": "NUMBA"} if nuts_sampler == "numba" else None
    names = ["a", "b", "mu_a", "sigma_a", "mu_b", "sigma_b"]
    div = None
    with model, pymc_step(f"fitting forecaster calibration (PyMC {method}, {len(outcome)} forecasts)"):
        if method == "nuts" and nuts_sampler == "nutpie-python":
            post, div = _sample_nutpie_python(model, n_forecasters, draws, tune, chains, seed, target_accept, centred)
        elif method == "nuts":
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores or min(chains, 2),
                random_seed=seed,
                target_accept=target_accept,
                progressbar=False,
                compute_convergence_checks=False,
                nuts_sampler="pymc" if nuts_sampler == "numba" else nuts_sampler,
                compile_kwargs=compile_kwargs,
                var_names=names,
            )
            post = {k: idata.posterior[k].values for k in names}
            div = int(idata.sample_stats["diverging"].sum())
        else:
            approx = pm.fit(n=advi_iterations, method="advi", random_seed=seed, progressbar=False)
            idata = approx.sample(draws, random_seed=seed)
            post = {k: idata.posterior[k].values for k in names}
    rhat = ess = None
    if method == "nuts":
        with arviz_in_numpy():
            data = az.convert_to_dataset({k: np.asarray(v, float) for k, v in post.items()})
            rhat_all, ess_all = az.rhat(data), az.ess(data)
        rhat = float(np.nanmax([float(rhat_all[v].max()) for v in names]))
        ess = float(np.nanmin([float(ess_all[v].min()) for v in names]))

    def flat(name: str) -> np.ndarray:
        arr = np.asarray(post[name], float)
        return arr.reshape(-1, *arr.shape[2:])

    return Fit(
        a=flat("a"),
        b=flat("b"),
        hyper={k: flat(k) for k in ("mu_a", "sigma_a", "mu_b", "sigma_b")},
        method=method if method == "advi" else f"nuts/{nuts_sampler}",
        rhat_max=rhat,
        ess_min=ess,
        divergences=div,
        seconds=time.perf_counter() - start,
        settings={"draws": draws, "tune": tune, "chains": chains, "seed": seed, "layout": layout, "centred": centred},
    )


def _sample_nutpie_python(
    model, n_forecasters: int, draws: int, tune: int, chains: int, seed: int, target_accept: float, centred: bool
) -> tuple[dict[str, np.ndarray], int]:
    """NUTS by nutpie on the model's numba-compiled density (forecasts.bayes.nutpie_sampler): no worker processes
    and, after the first run, no compile. Returns (chains, draws, ...) arrays of a, b and the hyperparameters."""
    from forecasts.bayes import nutpie_sampler

    zeros = np.zeros(n_forecasters)
    start = {"mu_a": 0.0, "sigma_a": 0.4, "mu_b": 0.0, "sigma_b": 0.4}  # the HalfNormal(0.5) means ≈ 0.4
    start |= {"a": zeros, "log_b": zeros} if centred else {"z_a": zeros, "z_b": zeros}
    density = nutpie_sampler.compile_density(model)
    sampled = nutpie_sampler.sample(density, start, draws, tune, chains, seed, target_accept)
    d = sampled.draws
    hyper = {k: d[k] for k in ("mu_a", "sigma_a", "mu_b", "sigma_b")}
    if centred:
        a, b = d["a"], np.exp(d["log_b"])
    else:  # the model's Deterministics, from the same draws
        a = hyper["mu_a"][..., None] + hyper["sigma_a"][..., None] * d["z_a"]
        b = np.exp(hyper["mu_b"][..., None] + hyper["sigma_b"][..., None] * d["z_b"])
    return {"a": a, "b": b} | hyper, sampled.divergences


def pick_sampler(n_forecasts: int) -> str:
    """nutpie (Rust NUTS on a numba-compiled gradient: 234 s -> 79 s on bench/skill_bench.py) for large fits;
    below NUTPIE_FROM forecasts, where that compile (~9 s in every process) costs more than it saves,
    "nutpie-python": the same NUTS calling PyTensor's disk-cached numba gradient from Python."""
    return "nutpie" if n_forecasts >= NUTPIE_FROM else "nutpie-python"


def interval(draws: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed 90% interval along an axis."""
    tail = (1 - INTERVAL) / 2
    lo, hi = np.quantile(draws, [tail, 1 - tail], axis=axis)
    return lo, hi


def expected_brier_draws(a: np.ndarray, b: np.ndarray, forecaster: np.ndarray, logit_p: np.ndarray) -> np.ndarray:
    """(draws, forecasters) posterior-predictive expected Brier of each forecaster's own forecasts.

    For a forecast p whose calibrated probability under a draw is q, E[(p - y)^2] = q(1-p)^2 + (1-q)p^2;
    averaged over that forecaster's forecasts (Rao-Blackwellised: no outcome noise added per draw).
    """
    forecaster = np.asarray(forecaster, dtype=np.int64)
    order = np.argsort(forecaster, kind="stable")
    f_sorted = forecaster[order]
    x = np.asarray(logit_p, float)[order]
    p = expit(x)
    present, starts, counts = np.unique(f_sorted, return_index=True, return_counts=True)
    out = np.full(a.shape, np.nan)
    # Chunk over draws to keep memory bounded at 100k forecasts; sums per forecaster via reduceat (no row loop).
    step = max(1, 4_000_000 // max(len(x), 1))
    for s in range(0, a.shape[0], step):
        q = expit(a[s : s + step, f_sorted] + b[s : s + step, f_sorted] * x)
        e = q * (1 - p) ** 2 + (1 - q) * p**2
        out[s : s + step, present] = np.add.reduceat(e, starts, axis=1) / counts
    return out


def verdict(b_lo: float, b_hi: float, a_lo: float, a_hi: float, n_questions: int) -> str:
    """Plain-language reading of a forecaster's calibration intervals."""
    if n_questions < MIN_QUESTIONS:
        return f"not enough data yet ({count(n_questions, 'resolved question')}; need {MIN_QUESTIONS})"
    parts = []
    if b_hi < 1:
        parts.append("over-confident (forecasts too extreme)")
    elif b_lo > 1:
        parts.append("under-confident (forecasts too timid)")
    if a_lo > 0:
        parts.append("biased toward no (says yes too rarely)")
    elif a_hi < 0:
        parts.append("biased toward yes (says yes too often)")
    return "; ".join(parts) if parts else "well calibrated (no clear over/under-confidence or bias)"


def summarise(
    fit: Fit, names: list[str], forecaster: np.ndarray, logit_p: np.ndarray, question: np.ndarray
) -> list[dict[str, Any]]:
    """One row per forecaster: slope b, bias a, expected Brier (means and 90% intervals), counts, verdict."""
    forecaster = np.asarray(forecaster, dtype=np.int64)
    n_f = len(names)
    n_fc = np.bincount(forecaster, minlength=n_f)
    pairs = np.unique(np.stack([forecaster, np.asarray(question, dtype=np.int64)]), axis=1)
    n_q = np.bincount(pairs[0], minlength=n_f)
    eb = expected_brier_draws(fit.a, fit.b, forecaster, logit_p)
    a_lo, a_hi = interval(fit.a)
    b_lo, b_hi = interval(fit.b)
    e_lo, e_hi = interval(eb)
    rows = []
    for i, name in enumerate(names):
        rows.append(
            {
                "forecaster": name,
                "n_forecasts": int(n_fc[i]),
                "n_questions": int(n_q[i]),
                "slope": {"mean": float(fit.b[:, i].mean()), "lo": float(b_lo[i]), "hi": float(b_hi[i])},
                "bias": {"mean": float(fit.a[:, i].mean()), "lo": float(a_lo[i]), "hi": float(a_hi[i])},
                "expected_brier": {"mean": float(eb[:, i].mean()), "lo": float(e_lo[i]), "hi": float(e_hi[i])},
                "verdict": verdict(float(b_lo[i]), float(b_hi[i]), float(a_lo[i]), float(a_hi[i]), int(n_q[i])),
            }
        )
    return rows


def hyper_summary(fit: Fit) -> dict[str, float]:
    """Posterior means of the population parameters (what an unseen forecaster is expected to be)."""
    return {k: float(v.mean()) for k, v in fit.hyper.items()} | {
        "b_population": float(np.exp(fit.hyper["mu_b"]).mean())
    }


# --- database layer -------------------------------------------------------------------------------


def resolved_binary_forecasts(db: Database, known_by: datetime | None = None, kinds: tuple[str, ...] | None = None):
    """Each forecaster's last binary forecast before the truth was known, on questions resolved yes/no by `known_by`.

    Returns a DataFrame (question_id, forecaster_id, probability, made_at, outcome, closes_at, known_at).
    """
    import pandas as pd

    known = to_iso(known_by or now_utc())
    sql = """
        WITH res AS (
            SELECT r.* FROM resolutions r
            WHERE r.recorded_at <= :known AND r.id = (
                SELECT MAX(id) FROM resolutions r2 WHERE r2.question_id = r.question_id AND r2.recorded_at <= :known)
        ), fc AS (
            SELECT f.question_id, f.forecaster_id, f.probability, f.made_at, f.id, res.outcome, q.closes_at,
                   res.known_at, fr.kind,
                   ROW_NUMBER() OVER (PARTITION BY f.question_id, f.forecaster_id
                                      ORDER BY f.made_at DESC, f.id DESC) AS rn
            FROM forecasts f
            JOIN res ON res.question_id = f.question_id AND res.action = 'resolve' AND res.outcome IN ('yes', 'no')
            JOIN questions q ON q.id = f.question_id AND q.type = 'binary'
            JOIN forecasters fr ON fr.id = f.forecaster_id
            WHERE f.recorded_at <= :known AND f.probability IS NOT NULL
              AND f.made_at < MIN(q.closes_at, res.known_at)
        )
        SELECT question_id, forecaster_id, probability, made_at, outcome, closes_at, known_at, kind
        FROM fc WHERE rn = 1 ORDER BY forecaster_id, question_id
    """
    df = pd.DataFrame(
        db.conn.execute(sql, {"known": known}).fetchall(),
        columns=["question_id", "forecaster_id", "probability", "made_at", "outcome", "closes_at", "known_at", "kind"],
    )
    if kinds is not None:
        df = df[df["kind"].isin(kinds)].reset_index(drop=True)
    return df


def encode(df) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DataFrame of forecasts → (forecaster names, question ids, forecaster idx, question idx, logit p, outcome)."""
    import pandas as pd

    f_codes, f_names = pd.factorize(df["forecaster_id"], sort=True)
    q_codes, q_names = pd.factorize(df["question_id"], sort=True)
    y = (df["outcome"].to_numpy() == "yes").astype(np.int8)
    return list(f_names), list(q_names), f_codes, q_codes, logit(df["probability"].to_numpy(float)), y


def fit_extremizing(pooled_logit: np.ndarray, outcome: np.ndarray, prior_mean: float = 1.0, prior_sd: float = 1.0):
    """MAP of d in P(yes) = expit(d * pooled log-odds) (Newton, Normal prior on d); returns (d, sd)."""
    x = np.asarray(pooled_logit, float)
    y = np.asarray(outcome, float)
    d = prior_mean
    for _ in range(50):
        q = expit(d * x)
        grad = np.sum((y - q) * x) - (d - prior_mean) / prior_sd**2
        hess = -np.sum(q * (1 - q) * x * x) - 1 / prior_sd**2
        step = grad / hess
        d -= step
        if abs(step) < 1e-10:
            break
    return float(d), float(math.sqrt(-1 / hess))


def crowd_extremizing(df, a_mean: dict[str, float], b_mean: dict[str, float], default_ab: tuple[float, float]):
    """Fit the crowd's extremizing factor on resolved questions with >= 2 people; None if too few questions."""
    people = df[df["kind"] == "person"]
    if people.empty:
        return None, 0
    a = people["forecaster_id"].map(a_mean).fillna(default_ab[0]).to_numpy(float)
    b = people["forecaster_id"].map(b_mean).fillna(default_ab[1]).to_numpy(float)
    recal = a + b * logit(people["probability"].to_numpy(float))
    grouped = (
        people.assign(recal=recal)
        .groupby("question_id")
        .agg(m=("recal", "mean"), n=("recal", "size"), outcome=("outcome", "first"))
    )
    grouped = grouped[grouped["n"] >= 2]
    if len(grouped) < MIN_QUESTIONS_EXTREMIZE:
        return None, len(grouped)
    d, sd = fit_extremizing(grouped["m"].to_numpy(), (grouped["outcome"] == "yes").to_numpy())
    return {"d": d, "sd": sd, "n_questions": len(grouped)}, len(grouped)


NOTHING_TO_FIT = (
    "nothing to fit yet: skill learns calibration from forecasts on resolved yes/no questions, and none are on "
    "record; forecast binary questions (`forecasts forecast QUESTION 30%`), resolve them as they settle "
    "(`forecasts resolve QUESTION yes|no`), then run `forecasts skill` again"
)


def skill_report(
    db: Database,
    known_by: datetime | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 0,
    method: str = "nuts",
    store: bool = True,
) -> dict[str, Any]:
    """Fit the calibration model on what was resolved by `known_by`, store the run, return the table.

    NUTS: `chains` x (`tune` + `draws`); ADVI: 20 x `tune` optimisation steps, then `draws` draws.
    """
    if method not in METHODS:
        raise ForecastsError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if value < 1:
            raise ForecastsError(f"{name}: {value} must be at least 1")
    check_int(seed, "seed", 0, 2**32 - 1)
    as_of = known_by or now_utc()
    # people and the model; aggregates (crowd) are functions of people's forecasts and would count them twice
    df = resolved_binary_forecasts(db, as_of, kinds=FITTED_KINDS)
    if df.empty:  # an empty state, not a mistake: say what the fit needs and what to do next
        return {"fitted": False, "as_of": to_iso(as_of), "forecasters": [], "run_id": None, "reason": NOTHING_TO_FIT}
    names, qids, f_idx, q_idx, x, y = encode(df)
    fit = fit_calibration(
        f_idx,
        x,
        y,
        len(names),
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        method=method,
        advi_iterations=20 * tune,
    )
    rows = summarise(fit, names, f_idx, x, q_idx)
    kinds = dict(zip(df["forecaster_id"], df["kind"], strict=False))
    for row in rows:
        row["kind"] = kinds[row["forecaster"]]
    hyper = hyper_summary(fit)
    a_mean = {r["forecaster"]: r["bias"]["mean"] for r in rows}
    b_mean = {r["forecaster"]: r["slope"]["mean"] for r in rows}
    extremize, n_ext = crowd_extremizing(df, a_mean, b_mean, (hyper["mu_a"], hyper["b_population"]))
    result: dict[str, Any] = {
        "as_of": to_iso(as_of),
        "method": fit.method,
        "interval": INTERVAL,
        "data": "each forecaster's last forecast before min(closes_at, known_at) on questions resolved yes/no",
        "n_forecasts": len(df),
        "n_questions": len(qids),
        "n_forecasters": len(names),
        "rhat_max": fit.rhat_max,
        "ess_min": fit.ess_min,
        "divergences": fit.divergences,
        "seconds": round(fit.seconds, 3),
        "hyper": hyper,
        "extremize": extremize,
        "extremize_note": None
        if extremize
        else f"{count(n_ext, 'resolved question')} with >= 2 people; the extremized crowd needs "
        f"{MIN_QUESTIONS_EXTREMIZE}",
        "forecasters": rows,
    }
    if store:
        info = {
            "method": fit.method,
            "settings": fit.settings,
            "n_forecasts": len(df),
            "n_questions": len(qids),
            "rhat_max": fit.rhat_max,
            "ess_min": fit.ess_min,
            "divergences": fit.divergences,
            "seconds": fit.seconds,
        }
        result["run_id"] = store_run(db, "calibration", as_of, result, info)
    return result
