"""Robustness checks: the same k-means answer whatever the data's offset from the origin, the memory
layout of X, and the interpreter process the target runs in.

``far_from_origin`` brings its own cases (data at 10^6 in both precisions, 10^8 in float64) and
judges labels with the margin of :func:`harness.numerics.tolerances.label_margins_centered`.
``layout_invariance`` hands the target one case as C-ordered, Fortran-ordered, strided and
read-only arrays, built where the target runs.  ``deterministic`` runs the same seed in this
process (or the worker) and, for a target given by spec, in two fresh interpreters spawned with
different explicit ``PYTHONHASHSEED`` values.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from harness.errors import NotApplicable, PropertyFailure
from harness.numerics import tolerances
from harness.targets.fresh_process import LAYOUTS, FreshProcess, call_fit
from harness.theory.models import BallMixture
from properties.checks import NotConverged, answers_differ, contract_arrays, fixed_point_violation
from strategies.datasets import datasets, make_case
from strategies.mixtures import ball_mixtures, gaussian_mixtures

__all__ = [
    "FAR_OFFSETS",
    "HASH_SEEDS",
    "check_deterministic",
    "check_far_from_origin",
    "check_layout_invariance",
    "far_cases",
]

#: Offsets of the far-from-origin cases per precision: 10^6 in both, 10^8 in float64 (kmeans1d's
#: prefix-sum cancellation shows there; see docs/findings.md).
FAR_OFFSETS = {"float32": (1e6,), "float64": (1e6, 1e8)}

#: How a message names each layout of :data:`~harness.targets.fresh_process.LAYOUTS`.
LAYOUT_NAMES = {"C": "C-ordered", "F": "Fortran-ordered", "strided": "strided", "read-only": "read-only"}


def far_mixture(mixture, offset: float, precision: str, direction):
    """``mixture`` scaled up (by a power of two, exactly) until its radius or σ spans at least
    :data:`~harness.numerics.tolerances.FAR_SPREAD_SPACINGS` float spacings at ``offset``, then
    translated by ``offset`` along the unit vector ``direction``."""
    scale = mixture.radius if isinstance(mixture, BallMixture) else mixture.sigma
    needed = tolerances.FAR_SPREAD_SPACINGS * tolerances.float_spacing(offset, precision)
    factor = 2.0 ** max(0, int(np.ceil(np.log2(needed / scale))))
    centers = np.asarray(mixture.centers, dtype=np.float64) * factor + offset * np.asarray(direction)
    return type(mixture)(centers, scale * factor)


def far_cases(target):
    """Cases placed far from the origin for ``target``'s precision (they shrink toward the first
    offset, fewer points, k equal to the number of true clusters)."""
    precision = target.precision
    dims = {"max_dim": target.max_dim} if target.max_dim is not None else {}

    @st.composite
    def build(draw):
        mixture = draw(st.one_of(ball_mixtures(**dims), gaussian_mixtures(**dims)), label="mixture")
        offset = draw(st.sampled_from(FAR_OFFSETS[precision]), label="offset")
        k = max(1, mixture.k + draw(st.sampled_from((0, 1, 2)), label="extra_centers"))
        n = draw(st.integers(max(2 * mixture.k, k), 300), label="n")
        init_kind = draw(st.sampled_from(("k-means++", "none", "fixed-point")), label="init_kind")
        sample_seed = draw(st.integers(0, 2**32 - 1), label="sample_seed")
        init_seed = draw(st.integers(0, 2**32 - 1), label="init_seed")
        direction = np.random.default_rng(sample_seed).standard_normal(mixture.dim)
        direction /= np.linalg.norm(direction) or 1.0
        return make_case(far_mixture(mixture, offset, precision, direction), n, k, sample_seed, init_kind, init_seed)

    return build()


def check_far_from_origin(case, fit, runner):
    """Far from the origin, the answer is a fixed point to the accuracy rounding the data at the
    offset allows: labels within :func:`~harness.numerics.tolerances.label_margins_centered`,
    centers within the usual (already offset-linear) center tolerances."""
    target = runner.target
    if target.claims == "approximate":
        raise NotApplicable("the target claims only an approximate solution")
    if case.init is not None and not target.honours_init:
        raise NotApplicable("the case gives an init, which the target does not honour")
    centers, labels = contract_arrays(case.X, case.k, fit)
    if fit.converged is False:
        raise NotConverged(f"far from the origin the target stopped before converging (n_iter={fit.n_iter})")
    X = np.asarray(case.X, dtype=np.float64)
    offset = float(np.linalg.norm(X.mean(axis=0)))
    bad = fixed_point_violation(X, centers, labels, target.precision, margins=tolerances.label_margins_centered)
    if bad is None:
        return
    message, details = bad
    if "labelled" in message:
        message = (
            f"far from the origin (‖mean‖ = {offset:.3g}) {message}; a label error that grows with the "
            "offset is what the expansion ‖x‖² − 2⟨x, c⟩ + ‖c‖² on uncentered data does: subtract the data "
            "mean before computing distances (or compute ‖x − c‖² directly) and add it back to the centers"
        )
    else:
        message = f"far from the origin (‖mean‖ = {offset:.3g}) {message}"
    raise PropertyFailure(message, offset=offset, **details)


check_far_from_origin.cases = far_cases


def _fresh(runner, key, hash_seed):
    """A :class:`FreshProcess` of the runner's spec, kept on the check's runner for the whole check
    run (started once, closed when the runner goes)."""
    cache = runner.__dict__.setdefault("_fresh_processes", {})
    if key not in cache:
        cache[key] = FreshProcess(runner.runner.spec, hash_seed=hash_seed, timeout=runner.runner.options.timeout)
    return cache[key]


def layout_cases(target):
    """Small ordinary cases (no corner cases, no large ones): a layout bug shows on any data, and
    each case costs four fits."""
    dims = {"max_dim": target.max_dim} if target.max_dim is not None else {}
    return datasets(st.one_of(ball_mixtures(**dims), gaussian_mixtures(**dims)), max_points=200, allow_large=False)


def check_layout_invariance(case, fit, runner):
    """The same case as C-ordered, Fortran-ordered, strided and read-only arrays, in the target's
    declared dtype, gives the same answer up to the declared precision."""
    target = runner.target
    if case.init is not None and target.honours_init:
        init, seed = case.init, case.seed
    elif target.deterministic:
        init, seed = None, case.seed
    else:
        raise NotApplicable("the target neither honours init nor is deterministic: two answers may differ")
    dtype = np.float32 if target.precision == "float32" else np.float64
    X = np.asarray(case.X, dtype=np.float64)
    isolated = runner.runner.isolated
    answers = {}
    for layout in LAYOUTS:
        if isolated:  # built in a fresh process of the spec: pickling would lose strides and flags

            def call(layout=layout):
                return _fresh(runner, "layout", 0).fit(X, case.k, init=init, seed=seed, layout=layout, dtype=dtype)

        else:

            def call(layout=layout):
                return call_fit(target, X, case.k, init=init, seed=seed, layout=layout, dtype=dtype)

        # through the runner's screen: a declared limitation (a raise or a drop where a cell must empty)
        # excuses the case here as it does for the runner's own calls, and anything else is a failure
        where = f"given X as a {LAYOUT_NAMES[layout]} array ({np.dtype(dtype).name}), "
        answers[layout] = runner.screen(X, case.k, init, call, where=where)
    for layout, answer in answers.items():
        try:
            contract_arrays(X, case.k, answer)
        except PropertyFailure as exc:
            raise PropertyFailure(f"given X as a {LAYOUT_NAMES[layout]} array: {exc}") from None
    for layout in LAYOUTS[1:]:
        differ = answers_differ(X, case.k, answers["C"], answers[layout], target.precision, independent=True)
        if differ is not None:
            message, details = differ
            raise PropertyFailure(
                f"X as a {LAYOUT_NAMES[layout]} array gives another answer than X C-ordered: {message}",
                layout=layout,
                **details,
            )


#: The explicit, different ``PYTHONHASHSEED`` values of the two fresh interpreters of the
#: deterministic check (tox and CI set one for the whole run, and children inherit it).
HASH_SEEDS = (1, 2)


#: Cases per check run that also run in the two fresh interpreters, and the largest n among them:
#: randomness that differs between processes shows on any small case with k ≥ 2 (it changes the
#: seeding), and each case costs two more fits, on top of two interpreter starts (≈ 1 s) per run.
CROSS_PROCESS_CASES = 6
CROSS_PROCESS_MAX_POINTS = 2000


def _cross_process_budget(runner, case) -> bool:
    """Whether this case also runs in the fresh interpreters (the first CROSS_PROCESS_CASES cases of
    the check run with 2 ≤ k and n ≤ CROSS_PROCESS_MAX_POINTS)."""
    if case.k < 2 or case.n > CROSS_PROCESS_MAX_POINTS:
        return False
    used = runner.__dict__.get("_cross_process_cases", 0)
    if used >= CROSS_PROCESS_CASES:
        return False
    runner.__dict__["_cross_process_cases"] = used + 1
    return True


def check_deterministic(case, fit, runner):
    """With init=None, the same seed gives the same answer: twice where the target runs, and, for a
    target given by spec, in two fresh interpreters spawned (not forked) with ``PYTHONHASHSEED`` 1
    and 2 (randomness drawn from ``hash()`` of a string, or from anything else that differs between
    processes, shows there).  A target given as a Python object has no spec a fresh interpreter
    could load: it is compared in this process only."""
    target = runner.target
    if not target.deterministic:
        raise NotApplicable("the target does not claim determinism")
    X = np.asarray(case.X, dtype=np.float64)
    first = runner(X, case.k, init=None, seed=case.seed)
    second = runner(X, case.k, init=None, seed=case.seed)
    answers = [("two runs in one process", first, second)]
    if isinstance(runner.runner.spec, str) and _cross_process_budget(runner, case):
        a, b = (_fresh(runner, f"hash-{h}", h) for h in HASH_SEEDS)
        for process in (a, b):
            process.ready()  # both start before either is waited for
        where = "in a fresh interpreter "
        in_a = runner.screen(X, case.k, None, lambda: a.fit(X, case.k, init=None, seed=case.seed), where=where)
        in_b = runner.screen(X, case.k, None, lambda: b.fit(X, case.k, init=None, seed=case.seed), where=where)
        answers.append((f"fresh interpreters with PYTHONHASHSEED={HASH_SEEDS[0]} and {HASH_SEEDS[1]}", in_a, in_b))
        answers.append((f"this process and a fresh interpreter with PYTHONHASHSEED={HASH_SEEDS[0]}", first, in_a))
    for where, one, other in answers:
        differ = answers_differ(X, case.k, one, other, target.precision)
        if differ is not None:
            message, details = differ
            raise PropertyFailure(f"init=None and seed={case.seed}, {where}: {message}", where=where, **details)


check_layout_invariance.cases = layout_cases
