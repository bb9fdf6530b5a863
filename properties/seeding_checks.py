"""Checks of a seeding target (``kind="seeding"``: ``fn(X, k, *, seed=None)`` returns k initial
centers in the order chosen): its contract, and the law it samples against the exact law of the
method it declares (plain or greedy k-means++, or uniform distinct rows).

Replay of the statistical check means: the same data (the case) and the same seeds (the
``SEEDING_RUNS`` seeds from the case's ``init_seed`` on); the verdict is then the same.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from scipy import stats

from harness.errors import NotApplicable, PropertyFailure
from harness.numerics import tolerances
from harness.numerics.reference import sqdist_ref
from harness.targets.failures import BadOutput, TargetRaised
from harness.targets.fresh_process import FreshProcess, call_seeding
from harness.theory.models import BallMixture
from strategies.datasets import datasets, make_case

__all__ = [
    "SEEDING_RUNS",
    "check_seeding_contract",
    "check_seeding_distribution",
    "sequence_law",
    "seeding_statistic",
]

#: Seedings drawn per run of the distribution check (seeds init_seed, init_seed + 1, ...).  Fixed,
#: not per profile, so that a replay draws the same seedings.
SEEDING_RUNS = 20_000

#: Cells whose expected count is below this are pooled, so the chi-square law applies.
MIN_EXPECTED = 10.0


def seedings(runner, X, k, seeds):
    """The centers the seeding target returns for each seed, and whether it left X unchanged: in
    this process, or in a fresh interpreter of the spec when the target runs isolated."""
    try:
        if runner.runner.isolated:
            cache = runner.__dict__.setdefault("_fresh_processes", {})
            if "seeding" not in cache:
                cache["seeding"] = FreshProcess(runner.runner.spec, hash_seed=0, timeout=runner.runner.options.timeout)
            return cache["seeding"].seeding(X, k, seeds)
        return call_seeding(runner.target, X, k, seeds)
    except (TargetRaised, BadOutput) as exc:
        raise PropertyFailure(f"the seeding target failed: {exc}") from None


def _not_seeding(runner):
    if runner.target.kind != "seeding":
        raise NotApplicable("a check of seeding targets (kind='seeding')")


def rows_chosen(X, centers, k, precision, rows=None):
    """The index into the distinct rows of X (``rows``, np.unique's order) of each returned center, or
    a PropertyFailure: the centers must be k finite rows of X (up to rounding to the declared precision)."""
    rows = np.unique(X, axis=0) if rows is None else rows
    try:
        C = np.asarray(centers, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PropertyFailure(f"the seeding's centers could not be converted to an array: {exc}") from None
    if C.shape != (k, X.shape[1]):
        raise PropertyFailure(f"a seeding returns k rows: shape (k, d) = ({k}, {X.shape[1]}); got {C.shape}")
    if not np.all(np.isfinite(C)):
        raise PropertyFailure("the seeding's centers hold NaN or infinity")
    D = sqdist_ref(C, rows)
    chosen = np.argmin(D, axis=1)
    u = tolerances.unit_roundoff(precision)
    # a row rounded to the working precision moves by at most u·|x| per coordinate
    allowed = (2 * u * np.abs(rows[chosen]).sum(axis=1)) ** 2 * X.shape[1]
    far = D[np.arange(k), chosen] > allowed
    if np.any(far):
        j = int(np.flatnonzero(far)[0])
        raise PropertyFailure(
            f"center {j} of the seeding is not a row of X: its squared distance to the nearest row is "
            f"{D[j, chosen[j]]:.6g} > {allowed[j]:.3g}",
            center=j,
        )
    return chosen


def check_seeding_contract(case, fit, runner):
    """k finite rows of X, the caller's X unchanged, the same centers for the same seed."""
    _not_seeding(runner)
    X = np.asarray(case.X, dtype=np.float64)
    (first, second), unchanged = seedings(runner, X, case.k, [case.seed, case.seed])
    if not unchanged:
        raise PropertyFailure("the seeding target modified its input X in place")
    rows_chosen(X, first, case.k, runner.target.precision)
    if not np.array_equal(np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)):
        raise PropertyFailure(f"two seedings with seed={case.seed} differ")


def contract_cases(target):
    return datasets(max_points=60, allow_large=False)


check_seeding_contract.cases = contract_cases


# ------------------------------------------------------------------------------------------------
# the exact law of a seeding over the sequences of distinct rows


def _step_law(method, rows, weights, chosen, k, n):
    """P(next distinct row = v | rows ``chosen`` so far), for every distinct row v."""
    m = len(rows)
    if not chosen:
        return weights / n  # the first center is a uniformly drawn row (of n, with multiplicities)
    if method == "random":
        left = weights - np.bincount(chosen, minlength=m)
        return left / left.sum()
    D = sqdist_ref(rows, rows[chosen]).min(axis=1)
    p = weights * D
    p = p / p.sum()
    if method == "plain-k-means++":
        return p
    # greedy: L candidates drawn i.i.d. ∝ D², the one with the lowest potential kept, ties to the
    # first drawn.  With potentials φ sorted, P(winner in the group with φ = φ_g) =
    # P(all ≥ φ_g)^L − P(all > φ_g)^L, shared within the group in proportion to p.
    L = 2 + int(math.log(k))
    to = sqdist_ref(rows, rows)
    phi = (weights[None, :] * np.minimum(D[None, :], to)).sum(axis=1)
    law = np.zeros(m)
    support = np.flatnonzero(p > 0)
    order = support[np.argsort(phi[support], kind="stable")]
    rel = 1e-9 * max(float(np.max(phi[support])), 1e-300)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and phi[order[j + 1]] - phi[order[i]] <= rel:
            j += 1
        group = order[i : j + 1]
        at_least = p[order[i:]].sum()
        above = p[order[j + 1 :]].sum()
        law[group] = (at_least**L - above**L) * p[group] / p[group].sum()
        i = j + 1
    return law


def sequence_law(X, k, method):
    """The exact probability of every sequence of k distinct-row indices (as :func:`rows_chosen`
    numbers them) under ``method``: a dict from tuple to probability (zero ones left out)."""
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), minlength=len(rows)).astype(np.float64)
    n = X.shape[0]
    law = {(): 1.0}
    for _ in range(k):
        nxt = {}
        for prefix, prob in law.items():
            step = _step_law(method, rows, weights, list(prefix), k, n)
            for v in np.flatnonzero(step > 0):
                nxt[prefix + (int(v),)] = prob * float(step[v])
        law = nxt
    return law


def seeding_statistic(sequences, law):
    """Pearson's chi-square of the observed sequences against ``law``, cells with an expected count
    below :data:`MIN_EXPECTED` pooled (with any sequence the law gives probability 0).  Returns
    ``(statistic, degrees of freedom, threshold at the false-alarm rate, details)``."""
    total = len(sequences)
    counts = {}
    for s in sequences:
        counts[s] = counts.get(s, 0) + 1
    big = [s for s, p in law.items() if p * total >= MIN_EXPECTED]
    observed = [counts.get(s, 0) for s in big]
    expected = [law[s] * total for s in big]
    pooled_expected = total - sum(expected)
    pooled_observed = total - sum(observed)
    if pooled_expected > 1e-9 * total:
        observed.append(pooled_observed)
        expected.append(pooled_expected)
    elif pooled_observed:
        # sequences the law forbids (up to rounding): an impossible draw is proof enough
        return math.inf, 0, 0.0, {"impossible_sequences": pooled_observed}
    observed, expected = np.asarray(observed, dtype=np.float64), np.asarray(expected)
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    df = len(expected) - 1
    threshold = float(stats.chi2.isf(tolerances.SEEDING_FALSE_ALARM_RATE, df))
    worst = int(np.argmax((observed - expected) ** 2 / expected))
    cell = "pooled rare sequences" if worst >= len(big) else f"sequence {big[worst]}"
    return (
        statistic,
        df,
        threshold,
        {"cell": cell, "observed": int(observed[worst]), "expected": float(expected[worst])},
    )


def distribution_case():
    """The data of the distribution check: 7 points of one disk, 5 distinct (one row three times,
    at positions 0, 3 and 4, drawn from the sample seed), k = 3, so that every one of the 5·4·3 orders of
    three distinct rows is drawn often enough in SEEDING_RUNS seedings."""
    return make_case(
        BallMixture([[0.0, 0.0]], 1.0), 7, 3, 2029, "none", 0, distinct_points=5, duplicates_order="scattered"
    )


def check_seeding_distribution(case, fit, runner):
    """The sequences of rows a seeding draws follow its declared law (first center uniform over the
    rows, then D² for plain k-means++, the greedy law for greedy, uniform distinct rows for random):
    Pearson's chi-square over SEEDING_RUNS seeds, refused above its (1 − 10^-4) quantile, so a
    correct seeding fails a run of this check with probability ≤ 10^-4 (asymptotic chi-square law;
    every cell's expected count ≥ 10)."""
    _not_seeding(runner)
    X = np.asarray(case.X, dtype=np.float64)
    target = runner.target
    seeds = range(case.seed, case.seed + SEEDING_RUNS)
    centers, _ = seedings(runner, X, case.k, seeds)
    rows = np.unique(X, axis=0)
    sequences = [tuple(int(v) for v in rows_chosen(X, c, case.k, target.precision, rows)) for c in centers]
    law = sequence_law(X, case.k, target.method)
    statistic, df, threshold, worst = seeding_statistic(sequences, law)
    if math.isinf(statistic):
        raise PropertyFailure(
            f"the seedings do not follow {target.method}: {worst['impossible_sequences']} of {SEEDING_RUNS} seedings "
            f"(seeds from {case.seed}) chose a sequence of rows its law gives probability 0 (e.g. a row at "
            "distance 0 from a center already chosen)",
            **worst,
        )
    if statistic > threshold:
        firsts = np.bincount([s[0] for s in sequences], minlength=len(np.unique(X, axis=0))) / len(sequences)
        raise PropertyFailure(
            f"the seedings do not follow {target.method}: chi-square {statistic:.1f} > {threshold:.1f} "
            f"(df {df}, false-alarm rate {tolerances.SEEDING_FALSE_ALARM_RATE:g}) over {SEEDING_RUNS} seeds "
            f"from {case.seed}; worst cell: {worst['cell']} observed {worst['observed']} times, "
            f"expected {worst['expected']:.1f}; "
            f"first-center frequencies per distinct row {np.round(firsts, 3).tolist()}",
            statistic=statistic,
            threshold=threshold,
            df=df,
            **worst,
        )


def distribution_cases(target):
    return st.just(distribution_case())


check_seeding_distribution.cases = distribution_cases
check_seeding_contract.kind = check_seeding_distribution.kind = "seeding"
