"""Benchmark the hierarchical skill model: 1,000 forecasters x 500 questions (~100,000 forecasts, seeded).

Prints wall time (model build + compile + sampling), R-hat max, ESS min, divergences and how well the
90% intervals cover the simulated truth. Usage:
    .venv/bin/python bench/skill_bench.py [--method nuts|advi] [--sampler auto|pymc|numba|nutpie]
        [--layout auto|dense|indexed] [--forecasters 1000] [--questions 500] [--per 100]
        [--draws 500] [--tune 500] [--chains 2] [--seed 0] [--centred] [--advi-iterations 10000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from forecasts.bayes.skill import fit_calibration, interval, simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="nuts", choices=["nuts", "advi"])
    ap.add_argument("--sampler", default="auto", choices=["auto", "pymc", "numba", "nutpie", "nutpie-python"])
    ap.add_argument("--layout", default="auto", choices=["auto", "dense", "indexed"])
    ap.add_argument("--forecasters", type=int, default=1000)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--per", type=int, default=100, help="forecasts per forecaster")
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--tune", type=int, default=500)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--centred", action="store_true", help="centred instead of non-centred parameterisation")
    ap.add_argument("--advi-iterations", type=int, default=10_000)
    args = ap.parse_args()

    sim = simulate(args.forecasters, args.questions, args.per, seed=args.seed)
    print(
        f"{args.forecasters} forecasters x {args.questions} questions, {len(sim.outcome):,} forecasts; "
        f"{args.method} ({args.sampler} sampler, {args.layout} layout), {args.chains} chains x "
        f"{args.tune} tune + {args.draws} draws{', centred' if args.centred else ''}; "
        f"{os.cpu_count()} CPUs (shared with other work: "
        f"load average {os.getloadavg()[0]:.1f} at start)"
    )
    start = time.perf_counter()
    fit = fit_calibration(
        sim.forecaster,
        sim.logit_p,
        sim.outcome,
        args.forecasters,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        seed=args.seed,
        method=args.method,
        nuts_sampler=args.sampler,
        layout=args.layout,
        centred=args.centred,
        advi_iterations=args.advi_iterations,
    )
    wall = time.perf_counter() - start
    cover = []
    for est, truth in ((fit.a, sim.a), (fit.b, sim.b)):
        lo, hi = interval(est)
        cover.append(float(np.mean((lo <= truth) & (truth <= hi))))
    rhat = "n/a (ADVI)" if fit.rhat_max is None else f"{fit.rhat_max:.4f}"
    ess = "n/a (ADVI)" if fit.ess_min is None else f"{fit.ess_min:.0f}"
    print(f"sampler used: {fit.method}; wall time {wall:.1f} s (load average now {os.getloadavg()[0]:.1f})")
    print(f"R-hat max {rhat}, ESS min {ess}, divergences {fit.divergences}")
    print(f"90% interval coverage of the true bias a: {cover[0]:.3f}, slope b: {cover[1]:.3f}")


if __name__ == "__main__":
    main()
