"""A simulated crowd of uneven skill for the pooling tests: a third of the people see the truth well, half of
everyone is over-confident; questions resolve one after another, so learned pools have a past to learn from."""

from __future__ import annotations

import numpy as np

from forecasts.pooling.panel import Panel, build_panel


def simulate(n_q: int = 600, n_people: int = 30, per_q: int = 6, seed: int = 1) -> Panel:
    """Question i opens at 10 i, gets per_q forecasts one second apart, resolves at 10 i + 8."""
    rng = np.random.default_rng(seed)
    noise = np.where(np.arange(n_people) < n_people // 3, 0.3, 2.0)
    slope = np.where(np.arange(n_people) % 2 == 0, 1.0, 2.0)
    theta = rng.normal(0, 1.5, n_q)
    y = (rng.random(n_q) < 1 / (1 + np.exp(-theta))).astype(float)
    q, f, t, p = [], [], [], []
    for i in range(n_q):
        for k, w in enumerate(rng.choice(n_people, per_q, replace=False)):
            x = slope[w] * (theta[i] + rng.normal(0, noise[w]))
            q.append(i)
            f.append(w)
            t.append(i * 10.0 + k)
            p.append(1 / (1 + np.exp(-x)))
    end = np.arange(n_q) * 10.0 + 8
    return build_panel(np.array(q), np.array(f), np.array(t), np.array(p), end, y, end.copy(), n_people)
