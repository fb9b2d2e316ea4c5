"""Time the PyMC posterior of 20 questions x 50 evidence links (half deadline questions) and report R-hat/ESS.

Run: .venv/bin/python bench/posterior_bench.py [--draws 1000] [--tune 1000] [--chains 2]
The first call builds and compiles the model for its size bucket; the second reuses it with new data,
which is what `forecasts posterior --all` does for every further batch in the same process.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np

from forecasts.probabilities import Link
from forecasts.questions import Question

T0, T1, AT = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 6, 30, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)


def batch(n_questions: int, n_links: int, seed: int) -> tuple[list[Question], dict[str, list[Link]]]:
    """Synthetic questions (Beta base rates; every other one a deadline question) with uncertain links."""
    rng = np.random.default_rng(seed)
    qs, links = [], {}
    for i in range(n_questions):
        s, n = int(rng.integers(1, 10)), int(rng.integers(10, 40))
        prior = {"kind": "beta", "a": 1.0 + s, "b": 1.0 + n - s, "successes": s, "trials": n, "mean": (1 + s) / (2 + n)}
        q = Question(
            id=f"q{i}", title=f"q{i}", type="binary", outcomes=("yes", "no"), resolution_criteria="x",
            opens_at=T0, closes_at=T1, resolves_by=T1, prior=prior, deadline_question=i % 2 == 0,
        )  # fmt: skip
        qs.append(q)
        mu, sd, r = rng.normal(0, 0.3, n_links), rng.choice([0.0, 0.2, 0.4], n_links), rng.uniform(0.3, 1, n_links)
        links[q.id] = [Link(i * 1000 + j, q.id, None, mu[j], sd[j], r[j], T0, T0, "") for j in range(n_links)]
    return qs, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--links", type=int, default=50)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    args = parser.parse_args()

    start = time.perf_counter()
    import arviz  # noqa: F401  (import time reported separately from sampling)
    import pymc  # noqa: F401

    from forecasts.bayes.model import posterior_batch

    print(f"import pymc/arviz: {time.perf_counter() - start:.1f} s")
    for label, seed in (("first run (build + compile)", 1), ("second run (compiled model reused)", 2)):
        qs, links = batch(args.questions, args.links, seed)
        start, cpu = time.perf_counter(), time.process_time()
        results = posterior_batch(qs, links, AT, args.draws, args.tune, args.chains, seed=seed)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        rhat = max(r["rhat_max"] for r in results if r["rhat_max"] is not None)
        ess = min(r["ess_min"] for r in results if r["ess_min"] is not None)
        print(
            f"{label}: {args.questions} questions x {args.links} links, {args.chains} chains x "
            f"({args.tune} tune + {args.draws} draws): {elapsed:.1f} s wall, {cpu:.1f} s CPU; "
            f"R-hat max {rhat:.3f}, ESS min {ess:.0f}, "
            f"divergences {results[0]['divergences']}"
        )


if __name__ == "__main__":
    main()
