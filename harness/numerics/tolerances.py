"""Tolerances for the property checks, derived from the target's precision, the data's magnitude
and the cluster sizes.  Every bound is a worst-case floating-point error bound, so a correct
implementation can never exceed it; nothing here is tuned to make a target pass.

Notation: u is the unit roundoff of the target's declared precision (2^-53 for float64, 2^-24 for
float32), u64 = 2^-53, d the dimension, n_j the size of cell j.
"""

from __future__ import annotations

import numpy as np

U64 = float(np.finfo(np.float64).eps) / 2


def unit_roundoff(precision: str) -> float:
    """u = eps / 2 of the declared precision."""
    return float(np.finfo(np.float32 if precision == "float32" else np.float64).eps) / 2


def label_margins(X, centers, precision: str) -> np.ndarray:
    """Per-point margin m_i: a label l_i is accepted as nearest when
    ‖x_i − c_{l_i}‖² − min_j ‖x_i − c_j‖² ≤ m_i.

    Derivation.  A target computes each squared distance with an absolute error e_i and picks the
    smallest computed one, so the true distance of its pick exceeds the true minimum by at most
    2 e_i.  Bound e_i for the least accurate correct method, the expansion
    ‖x‖² − 2⟨x, c⟩ + ‖c‖² in precision u: each of the three inner products of length d carries an
    error ≤ γ_d Σ|a_t b_t| ≤ 1.01·d·u·(‖x‖² + ‖c‖²) (Higham, Accuracy and Stability, eq. (3.5)), the
    two additions u·(‖x‖ + ‖c‖)² ≤ 2u(‖x‖² + ‖c‖²); rounding x to the working precision and
    rounding the returned centers each move ‖x − c‖² by ≤ 2u‖x − c‖·max(‖x‖, ‖c‖) ≤
    2u(‖x‖² + ‖c‖²)·2; centering the data on its mean (as scikit-learn does) adds the same again.
    Altogether e_i ≤ (3.03·d + 12)·u·(‖x_i‖² + C²) with C = max_j ‖c_j‖, and the margin is
    2 e_i ≤ (6.1·d + 24)·u·(‖x_i‖² + C²); we use (8d + 24).
    """
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    d = X.shape[1]
    u = unit_roundoff(precision)
    scale = np.einsum("ij,ij->i", X, X) + float(np.max(np.einsum("ij,ij->i", C, C)))
    return (8 * d + 24) * u * scale + 4 * U64 * scale


def center_tolerances(X, labels, k: int, precision: str) -> np.ndarray:
    """Per-cell tolerance τ_j on max_t |c_jt − mean_t(cell j)| (the Lemma 2 fixed-point condition).

    Derivation.  Summing n_j numbers recursively in precision u errs by at most
    γ_{n_j−1}·Σ|x_it| ≤ 1.01·(n_j − 1)·u·n_j·A_j with A_j = max_{i∈cell j} ‖x_i‖_∞ (Higham eq. (4.4));
    dividing by n_j leaves 1.01·(n_j − 1)·u·A_j.  Rounding the data to the working precision (u·A_j),
    the division, the final rounding of the center and a centering shift (u·A_j each) add 4u·A_j.
    Our reference mean (float64, pairwise) errs by ≤ (log2 n_j + 2)·u64·A_j.  A target that centers
    its data (scikit-learn) sums x − μ̃ instead, with |x_it − μ̃_t| ≤ B_j = max_{i∈cell j} ‖x_i − μ‖∞
    (up to rounding), and rounds the subtraction at that size: a cell near the origin in data whose
    mean is far from it errs by u·|μ|, not u·A_j.  So with M_j = max(A_j, B_j),
    τ_j = (1.01·n_j + 4)·u·M_j + (log2 n_j + 2)·u64·A_j.  This is the worst case of naive summation;
    pairwise or float64 accumulation is far more accurate, so the bound is safe for every correct
    implementation, and still 10^6 times smaller than a cluster radius for float64 at n = 10^5.
    (Until issue 19 the bound used A_j alone, which a centering target can exceed on a cell of
    points near 0 when the data mean is not: 1.1e-15 > 1.5e-16 on 20 copies of a point at 0.04
    with the mean at −9.6.)
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    u = unit_roundoff(precision)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    amax = np.zeros(k)
    np.maximum.at(amax, labels, np.max(np.abs(X), axis=1))
    centered = np.zeros(k)
    if len(X):
        np.maximum.at(centered, labels, np.max(np.abs(X - X.mean(axis=0)), axis=1))
    return (1.01 * counts + 4) * u * np.maximum(amax, centered) + (np.log2(np.maximum(counts, 1)) + 2) * U64 * amax


def objective_tolerance(X, centers, precision: str) -> float:
    """Slack for comparing two objective values G_n (eq. (1)) of a target's solutions.

    Each point's squared distance as the target saw it errs by at most e_i (see
    :func:`label_margins`), so a decrease the target computed may be an increase of at most
    Σ_i 2 e_i in exact arithmetic; our float64 evaluation of G_n adds (log2 n + 2)·u64·G_n.
    """
    m = label_margins(X, centers, precision)
    return float(np.sum(m))


def label_margins_centered(X, centers, precision: str) -> np.ndarray:
    """Per-point label margin for data far from the origin (the ``far_from_origin`` check): quadratic
    only in the spread ‖x − μ‖, ‖c − μ‖ about the data mean μ, linear in the offset ‖μ‖.

    Derivation.  k-means is translation-invariant, so a correct target may compute on any
    translate of the data; what it cannot avoid is rounding its input and its output at the offset.
    Let x̂ = fl(x) (the input in the working precision, |x̂_t − x_t| ≤ u|x_t|) and let the target
    return c = fl(c′ + μ̃) for centers c′ it computed about some μ̃ (μ̃ = 0 for a target that does not
    center; |c_t − (c′_t + μ̃_t)| ≤ u|c_t|).  Then the translate it measures differs from x − c by
    δ with ‖δ‖ ≤ u(‖x‖ + ‖c‖), which moves ‖x − c‖² by at most
    2‖x − c‖·‖δ‖ + ‖δ‖² ≤ 2u·R·(‖x‖ + C) + u²(‖x‖ + C)²  (R = ‖x − μ‖ + C_μ ≥ ‖x − c‖),
    linear in the offset.  On the translate, the least accurate correct form, the expansion
    ‖x′‖² − 2⟨x′, c′⟩ + ‖c′‖² with x′ = x̂ − μ̃, errs as in :func:`label_margins` with ‖x‖, C
    replaced by ‖x′‖, C′; for μ̃ the target's own mean (|μ̃ − μ| ≤ (log2 n + 2)·u·max‖x‖ per coordinate
    even for float32 accumulation in pairs, less than the spread for every case this margin is used
    on, whose spread is at least 2^10 float spacings at the offset) ‖x′‖ ≤ ‖x − μ‖ + ‖μ̃ − μ‖ and
    we bound ‖x′‖² + C′² ≤ 2(‖x − μ‖² + C_μ²) + 4‖μ̃ − μ‖².  The direct form (x − c)² errs by
    (d + 2)·u·‖x − c‖², less.  Our float64 evaluation of ‖x − c‖² adds (d + 2)·u64·R².  A label is
    accepted when its distance exceeds the least by at most twice the error of one distance:
        m_i = 2·[(8d + 24)/2 · u · (2S_i + 4E²) + 2u·R_i·(‖x_i‖ + C) + u²(‖x_i‖ + C)² + (d + 2)·u64·R_i²]
    with S_i = ‖x_i − μ‖² + C_μ², C_μ = max_j ‖c_j − μ‖, C = max_j ‖c_j‖, E = √d·(log2 n + 2)·u·max_i‖x_i‖∞.
    The expansion on *uncentered* data errs by ~u·(‖x‖² + ‖c‖²), quadratic in the offset: at 10^6 in
    float32 that is ~10^5·‖x‖ times this margin, and it is refused.  The center tolerances
    (:func:`center_tolerances`) do not change: they are already linear in the offset (A_j = max |x|),
    being the rounding of a sum of n_j values at the offset, which every float summation costs.
    """
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    n, d = X.shape
    u = unit_roundoff(precision)
    mu = X.mean(axis=0)
    spread_x = np.einsum("ij,ij->i", X - mu, X - mu)
    Cm = C - mu
    c_mu = float(np.sqrt(np.max(np.einsum("ij,ij->i", Cm, Cm))))
    c_abs = float(np.sqrt(np.max(np.einsum("ij,ij->i", C, C))))
    norm_x = np.sqrt(np.einsum("ij,ij->i", X, X))
    mean_error = np.sqrt(d) * (np.log2(max(n, 2)) + 2) * u * float(np.max(np.abs(X)))
    S = spread_x + c_mu**2
    R = np.sqrt(spread_x) + c_mu
    offset_term = 2 * u * R * (norm_x + c_abs) + u**2 * (norm_x + c_abs) ** 2
    quadratic = (8 * d + 24) / 2 * u * (2 * S + 4 * mean_error**2)
    return 2 * (quadratic + offset_term + (d + 2) * U64 * R**2)


def float_spacing(value: float, precision: str) -> float:
    """The spacing of the floating-point numbers of ``precision`` at ``|value|`` (ulp)."""
    dtype = np.float32 if precision == "float32" else np.float64
    return float(np.spacing(dtype(abs(value))))


#: The far-from-origin cases' spread, in float spacings at their offset: below 2^10 spacings the data
#: are hardly representable in the working precision and no check can say anything about them.
FAR_SPREAD_SPACINGS = 2**10


#: The seeding distribution check's false-alarm rate per check run: its chi-square threshold is
#: the (1 − α) quantile of the statistic's asymptotic law (properties.seeding_checks).
SEEDING_FALSE_ALARM_RATE = 1e-4
