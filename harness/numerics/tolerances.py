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
    Our reference mean (float64, pairwise) errs by ≤ (log2 n_j + 2)·u64·A_j.  So
    τ_j = (1.01·n_j + 4)·u·A_j + (log2 n_j + 2)·u64·A_j.  This is the worst case of naive summation;
    pairwise or float64 accumulation is far more accurate, so the bound is safe for every correct
    implementation, and still 10^6 times smaller than a cluster radius for float64 at n = 10^5.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    u = unit_roundoff(precision)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    amax = np.zeros(k)
    np.maximum.at(amax, labels, np.max(np.abs(X), axis=1))
    return (1.01 * counts + 4) * u * amax + (np.log2(np.maximum(counts, 1)) + 2) * U64 * amax


def objective_tolerance(X, centers, precision: str) -> float:
    """Slack for comparing two objective values G_n (eq. (1)) of a target's solutions.

    Each point's squared distance as the target saw it errs by at most e_i (see
    :func:`label_margins`), so a decrease the target computed may be an increase of at most
    Σ_i 2 e_i in exact arithmetic; our float64 evaluation of G_n adds (log2 n + 2)·u64·G_n.
    """
    m = label_margins(X, centers, precision)
    return float(np.sum(m))
