"""Score 1,000,000 numeric forecasts (201-point CDFs): Metaculus's continuous baseline score and CRPS, against a
numpy lower bound measured in the same run (one pass reading every CDF value: a row-wise sum of squares).

Timed: forecasts.numeric.bulk.batch_scores (both scores in one compiled pass a row; the goal: at most 3x the lower
bound) and, for comparison, the numpy functions it replaces (scores.log_scores_batch and scores.crps_linear, which
read each CDF three or four times). Each is timed right after a run of the floor, in turn, several rounds; the
ratio printed is the median over rounds of (time / that round's floor), so a shared machine's drift cancels. The
load average is printed beside the figures.

Run: python bench/numeric_bench.py [N] [ROUNDS]  (chunks of 50,000 CDFs keep memory near 100 MB)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from forecasts.numeric.scale import Scale
from forecasts.numeric.scores import bucket_index, crps_linear, log_scores_batch

CHUNK = 50_000
SCALE = Scale(0.0, 40.0)


def chunk(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random valid CDFs on a closed 0-40 range, their outcomes and the outcomes' buckets."""
    raw = np.cumsum(rng.uniform(0.05, 1.0, (n, 200)), axis=1)
    cdfs = np.concatenate([np.zeros((n, 1)), raw / raw[:, -1:]], axis=1)
    ys = rng.uniform(0, 40, n)
    buckets = np.array([bucket_index(u) for u in ys / 40])
    return cdfs, ys, buckets


def seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(0)
    cdfs, ys, buckets = chunk(rng, CHUNK)
    zeros = np.zeros(CHUNK, dtype=int)
    reps = total // CHUNK
    t0 = time.perf_counter()
    from forecasts.numeric.bulk import batch_scores

    batch_scores(cdfs[:10], ys[:10], SCALE)
    first = time.perf_counter() - t0
    base, crps = batch_scores(cdfs, ys, SCALE)  # the compiled pass agrees with the numpy functions it replaces
    assert np.allclose(crps, crps_linear(cdfs, ys, 0.0, 40.0), rtol=1e-9, atol=1e-9)
    assert np.allclose(base, log_scores_batch(cdfs, buckets, zeros), rtol=1e-12, atol=1e-9)

    def floor() -> None:
        for _ in range(reps):
            np.einsum("ij,ij->i", cdfs, cdfs)

    timed = {
        "compiled, both scores in one pass (bulk.batch_scores)": lambda: [
            batch_scores(cdfs, ys, SCALE) for _ in range(reps)
        ],
        "numpy baseline log score (log_scores_batch)": lambda: [
            log_scores_batch(cdfs, buckets, zeros) for _ in range(reps)
        ],
        "numpy CRPS (crps_linear)": lambda: [crps_linear(cdfs, ys, 0.0, 40.0) for _ in range(reps)],
    }
    ratios: dict[str, list[float]] = {k: [] for k in timed}
    times: dict[str, list[float]] = {k: [] for k in timed}
    floors = []
    print(f"{reps * CHUNK:,} CDFs of 201 points, chunks of {CHUNK:,}, {rounds} rounds; {load()}", flush=True)
    print(f"  first call of the compiled pass (numba import + compile or cache load): {first:.2f} s")
    for _ in range(rounds):
        for name, fn in timed.items():
            f = seconds(floor)
            t = seconds(fn)
            floors.append(f)
            times[name].append(t)
            ratios[name].append(t / f)
    print(f"  numpy lower bound (one pass, row-wise sum of squares): median {statistics.median(floors):.3f} s")
    for name in timed:
        print(f"  {name}: median {statistics.median(times[name]):.3f} s, "
              f"{statistics.median(ratios[name]):.2f}x the lower bound (min {min(ratios[name]):.2f}x)")  # fmt: skip
    both = [a + b for a, b in zip(ratios[list(timed)[1]], ratios[list(timed)[2]], strict=True)]
    print(f"  numpy, both scores (the path before the compiled one): {statistics.median(both):.2f}x the lower bound")
    print(f"  {load()}")


if __name__ == "__main__":
    main()
