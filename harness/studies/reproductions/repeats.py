"""Repeated runs behind every verdict: the seed of each (repeat, method), the mean and spread over
repeats, and how many standard errors of slack a verdict allows.  Pure arithmetic, no I/O.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VERDICT_Z", "mean_sd", "seed_for"]

#: Standard errors of slack in every verdict: |ours − claim| <= Z · standard error.  3 keeps the
#: false-alarm rate of one comparison near 0.3 % if the repeat means are roughly normal.
VERDICT_Z = 3.0


def seed_for(seed: int, *indices: int) -> np.random.SeedSequence:
    """The seed of one (repeat, method, ...) cell: ``SeedSequence([seed, *indices])``."""
    return np.random.SeedSequence([int(seed), *map(int, indices)])


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for a single value)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0
