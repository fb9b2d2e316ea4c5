"""Score 1,000,000 numeric forecasts (201-point CDFs): Metaculus's continuous baseline score and CRPS, against a
numpy lower bound measured in the same run (one pass reading every CDF value: a row-wise sum of squares).

Run: python bench/numeric_bench.py [N]  (chunks of 50,000 CDFs keep memory near 100 MB)."""

from __future__ import annotations

import sys
import time

import numpy as np

from forecasts.numeric.scores import bucket_index, crps_linear, log_scores_batch

CHUNK = 50_000


def chunk(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random valid CDFs on a closed 0-40 range, their outcomes and the outcomes' buckets."""
    raw = np.cumsum(rng.uniform(0.05, 1.0, (n, 200)), axis=1)
    cdfs = np.concatenate([np.zeros((n, 1)), raw / raw[:, -1:]], axis=1)
    ys = rng.uniform(0, 40, n)
    buckets = np.array([bucket_index(u) for u in ys / 40])
    return cdfs, ys, buckets


def best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(0)
    cdfs, ys, buckets = chunk(rng, CHUNK)
    zeros = np.zeros(CHUNK, dtype=int)
    reps = total // CHUNK
    floor = best_of(lambda: [np.einsum("ij,ij->i", cdfs, cdfs) for _ in range(reps)])
    log = best_of(lambda: [log_scores_batch(cdfs, buckets, zeros) for _ in range(reps)])
    crps = best_of(lambda: [crps_linear(cdfs, ys, 0.0, 40.0) for _ in range(reps)])
    print(f"{reps * CHUNK:,} CDFs of 201 points, in chunks of {CHUNK:,} (best of 3):")
    print(f"  numpy lower bound (one pass, row-wise sum of squares): {floor:.3f} s")
    print(f"  baseline log score: {log:.3f} s  ({log / floor:.2f}x the lower bound)")
    print(f"  CRPS:               {crps:.3f} s  ({crps / floor:.2f}x the lower bound)")
    print(f"  both:               {log + crps:.3f} s  ({(log + crps) / floor:.2f}x the lower bound)")


if __name__ == "__main__":
    main()
