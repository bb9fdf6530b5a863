"""The paper's generative models: the Stochastic Ball Model (Definition 1) and the spherical Gaussian
Mixture Model (Definition 2), both with equal weights 1/k (eq. (2)).

A mixture knows its parameters, its separations (Section 2.3) and how to sample itself exactly; it
knows nothing of k-means algorithms.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from harness.errors import InvalidArgument

__all__ = ["MIXTURE_KINDS", "BallMixture", "GaussianMixture", "Mixture", "make_mixture", "mixture_from_record"]


def _as_centers(centers) -> np.ndarray:
    if np.iscomplexobj(centers):  # casting would drop the imaginary part silently
        raise InvalidArgument(f"centers: expected real numbers, got dtype {np.asarray(centers).dtype}")
    try:
        arr = np.array(centers, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"centers: expected a (k, d) array of numbers, got {centers!r}") from exc
    if arr.ndim == 1:
        raise InvalidArgument(
            f"centers: expected a 2-D (k, d) array, got shape {arr.shape}; "
            "for one dimension pass a column, e.g. [[-2.0], [0.0], [2.0]]"
        )
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidArgument(f"centers: expected a (k, d) array with k >= 1 and d >= 1, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument("centers: expected finite values, got NaN or infinity")
    arr.setflags(write=False)
    return arr


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{name}: expected a positive number, got {value!r}") from exc
    if not math.isfinite(v) or v <= 0:
        raise InvalidArgument(f"{name}: expected a positive finite number, got {value!r}")
    return v


def _pairwise_distances(centers: np.ndarray) -> np.ndarray:
    diff = centers[:, None, :] - centers[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def _lattice_configuration(k: int, d: int) -> np.ndarray:
    """k points of the integer lattice Z^d nearest the origin (min distance exactly 1)."""
    if d <= 4:
        m = 1
        while (2 * m + 1) ** d < k:
            m += 1
        while True:
            grid = np.array(list(itertools.product(range(-m, m + 1), repeat=d)), dtype=np.float64)
            norms = np.einsum("ij,ij->i", grid, grid)
            inside = grid[norms <= m * m]
            if len(inside) >= k:
                break
            m += 1
        norms = np.einsum("ij,ij->i", inside, inside)
        order = np.lexsort(tuple(inside[:, ::-1].T) + (norms,))
        return inside[order[:k]]
    points = [np.zeros(d)]
    support = 1
    while len(points) < k:
        if support > d:
            raise InvalidArgument(f"k: cannot place {k} separated centers in d={d}")
        for idx in itertools.combinations(range(d), support):
            for signs in itertools.product((1.0, -1.0), repeat=support):
                v = np.zeros(d)
                v[list(idx)] = signs
                points.append(v)
                if len(points) >= k:
                    break
            if len(points) >= k:
                break
        support += 1
    return np.array(points[:k])


def _centers_with_separation(k, d, center_distance_min, separation_ratio_spread, seed):
    """Centers with min pairwise distance exactly Δmin and, if asked, max distance spread·Δmin.

    A compact lattice configuration is rotated at random and scaled; a larger spread is reached by
    moving one end of the farthest pair away along their axis, which lengthens that pair to the
    requested Δmax and shortens no distance (the moved point has the largest projection on that
    axis among all centers, so every distance to it grows) and lengthens none past Δmax (triangle
    inequality).
    """
    if k == 1:
        return np.zeros((1, d))
    if k == 2 and separation_ratio_spread is not None and abs(separation_ratio_spread - 1) > 1e-12:
        raise InvalidArgument(
            "separation_ratio_spread: two clusters have a single distance, so the spread is 1; "
            f"got {separation_ratio_spread!r}"
        )
    rng = np.random.default_rng(seed)
    base = _lattice_configuration(k, d)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    rotation = q * np.sign(np.diag(r))
    centers = base @ rotation.T * center_distance_min
    dist = _pairwise_distances(centers)
    spread0 = dist.max() / center_distance_min
    if separation_ratio_spread is None:
        return centers - centers.mean(axis=0)
    if separation_ratio_spread < spread0 * (1 - 1e-12):
        raise InvalidArgument(
            f"separation_ratio_spread: {separation_ratio_spread!r} is below the smallest spread this "
            f"constructor reaches for k={k}, d={d} ({spread0:.6g}); pass a value >= {spread0:.6g}"
        )
    a, b = np.unravel_index(np.argmax(dist), dist.shape)
    axis = (centers[b] - centers[a]) / dist[a, b]
    centers[b] = centers[a] + axis * separation_ratio_spread * center_distance_min
    return centers - centers.mean(axis=0)


@dataclass(frozen=True, eq=False)
class Mixture:
    """Common part of the two models: ``centers : (k, d)`` are β*_1..β*_k with weights 1/k."""

    centers: np.ndarray

    @property
    def k(self) -> int:
        return self.centers.shape[0]

    @property
    def dim(self) -> int:
        return self.centers.shape[1]

    @property
    def center_distance_max(self) -> float:
        """Δmax = max_{s≠s'} ‖β*_s − β*_s'‖ (Section 2.3); +inf when k = 1."""
        if self.k == 1:
            return math.inf
        return float(_pairwise_distances(self.centers).max())

    @property
    def center_distance_min(self) -> float:
        """Δmin = min_{s≠s'} ‖β*_s − β*_s'‖ (Section 2.3); +inf when k = 1."""
        if self.k == 1:
            return math.inf
        dist = _pairwise_distances(self.centers)
        return float(dist[~np.eye(self.k, dtype=bool)].min())

    @property
    def separation_ratio_max(self) -> float:
        """η_max (Section 2.3)."""
        return self.center_distance_max / self._scale

    @property
    def separation_ratio_min(self) -> float:
        """η_min (Section 2.3)."""
        return self.center_distance_min / self._scale

    @property
    def separation_ratio_spread(self) -> float:
        """η_max / η_min ∈ [1, ∞): 1 when the centers are evenly spaced; 1 for k = 1."""
        return 1.0 if self.k == 1 else self.center_distance_max / self.center_distance_min

    def _labels(self, n: int, rng: np.random.Generator, stratified: bool) -> np.ndarray:
        if stratified:
            counts = np.full(self.k, n // self.k)
            counts[: n % self.k] += 1
            labels = np.repeat(np.arange(self.k), counts)
            rng.shuffle(labels)
            return labels
        return rng.integers(self.k, size=n)

    def sample(self, n: int, seed=None, *, stratified: bool = False):
        """Draw ``n`` points; returns ``X : (n, d) float64`` and ``true_labels : (n,) int64``.

        Reproducible from ``seed`` (anything :func:`numpy.random.default_rng` accepts).  With
        ``stratified=True`` every component gets ⌊n/k⌋ or ⌈n/k⌉ points (the first ``n mod k``
        components get one more), in a random order.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InvalidArgument(f"n: expected a non-negative integer number of points, got {n!r}")
        rng = np.random.default_rng(seed)
        labels = self._labels(int(n), rng, stratified).astype(np.int64)
        X = self.centers[labels] + self._noise(int(n), rng)
        return X, labels

    def to_record(self) -> dict:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class BallMixture(Mixture):
    """Stochastic Ball Model (Definition 1): x ~ unif(B(β*_s, r)) with probability 1/k.

    Parameters
    ----------
    centers : (k, d) array_like
        The true centers β*; the balls must be disjoint (Δmin > 2r).
    radius : float
        r > 0.  η = Δ / r (Section 2.3).
    """

    radius: float = 1.0

    def __init__(self, centers, radius=1.0):
        c = _as_centers(centers)
        r = _positive("radius", radius)
        object.__setattr__(self, "centers", c)
        object.__setattr__(self, "radius", r)
        if self.k > 1 and not self.center_distance_min > 2 * r:
            raise InvalidArgument(
                f"radius: balls of radius {r!r} overlap; the Stochastic Ball Model needs disjoint balls, "
                f"i.e. center_distance_min ({self.center_distance_min:.6g}) > 2 * radius "
                f"(separation_ratio_min > 2)"
            )

    @property
    def _scale(self) -> float:
        return self.radius

    def _noise(self, n, rng):
        d = self.dim
        direction = rng.standard_normal((n, d))
        norms = np.linalg.norm(direction, axis=1, keepdims=True)
        norms[norms == 0] = 1.0  # probability zero; keeps the point at the center
        radii = self.radius * rng.random((n, 1)) ** (1.0 / d)
        return direction / norms * radii

    @property
    def within_cluster_variance(self) -> float:
        """E‖x − β*_s‖² = r² d / (d + 2) for x uniform in a d-ball of radius r."""
        return self.radius**2 * self.dim / (self.dim + 2)

    @classmethod
    def with_separation(
        cls, k, dim, separation_ratio_min, *, separation_ratio_spread=None, radius=1.0, seed=0, offset=0.0
    ):
        """A ball mixture with η_min = ``separation_ratio_min`` (> 2, so the balls are disjoint) and,
        if given, η_max/η_min = ``separation_ratio_spread``; centers are a rotated lattice around
        ``offset`` (a scalar or a (d,) vector).

        Examples
        --------
        >>> from harness.theory.models import BallMixture
        >>> mixture = BallMixture.with_separation(4, 2, 10.0, seed=0)
        >>> mixture.describe()
        'BallMixture(k=4, d=2, radius=1, separation_ratio_min=10, separation_ratio_max=20)'
        >>> spread = BallMixture.with_separation(3, 2, 10.0, separation_ratio_spread=3.0, seed=0)
        >>> round(spread.separation_ratio_min, 9), round(spread.separation_ratio_max, 9)
        (10.0, 30.0)
        """
        k, dim = _check_k_dim(k, dim)
        radius = _positive("radius", radius)
        eta = _positive("separation_ratio_min", separation_ratio_min)
        if k > 1 and eta <= 2:
            raise InvalidArgument(
                f"separation_ratio_min: expected > 2 for disjoint balls, got {separation_ratio_min!r}"
            )
        spread = _check_spread(separation_ratio_spread)
        centers = _centers_with_separation(k, dim, eta * radius, spread, seed)
        return cls(centers + _offset(offset, dim), radius)

    def to_record(self) -> dict:
        return {"model": "ball", "centers": self.centers.tolist(), "radius": self.radius}

    def describe(self) -> str:
        return (
            f"BallMixture(k={self.k}, d={self.dim}, radius={self.radius:.6g}, "
            f"separation_ratio_min={self.separation_ratio_min:.6g}, "
            f"separation_ratio_max={self.separation_ratio_max:.6g})"
        )


@dataclass(frozen=True, eq=False)
class GaussianMixture(Mixture):
    """Spherical Gaussian Mixture Model (Definition 2): x ~ N(β*_s, σ² I) with probability 1/k.

    η = Δ / (σ √min(2k, d)) (Section 2.3).
    """

    sigma: float = 1.0

    def __init__(self, centers, sigma=1.0):
        object.__setattr__(self, "centers", _as_centers(centers))
        object.__setattr__(self, "sigma", _positive("sigma", sigma))

    @property
    def _scale(self) -> float:
        return self.sigma * math.sqrt(min(2 * self.k, self.dim))

    def _noise(self, n, rng):
        return self.sigma * rng.standard_normal((n, self.dim))

    @property
    def within_cluster_variance(self) -> float:
        """E‖x − β*_s‖² = σ² d."""
        return self.sigma**2 * self.dim

    @classmethod
    def with_separation(
        cls, k, dim, separation_ratio_min, *, separation_ratio_spread=None, sigma=1.0, seed=0, offset=0.0
    ):
        """A Gaussian mixture with η_min = ``separation_ratio_min`` and, if given, spread
        η_max/η_min; see :meth:`BallMixture.with_separation`."""
        k, dim = _check_k_dim(k, dim)
        sigma = _positive("sigma", sigma)
        eta = _positive("separation_ratio_min", separation_ratio_min)
        spread = _check_spread(separation_ratio_spread)
        scale = sigma * math.sqrt(min(2 * k, dim))
        centers = _centers_with_separation(k, dim, eta * scale, spread, seed)
        return cls(centers + _offset(offset, dim), sigma)

    def to_record(self) -> dict:
        return {"model": "gaussian", "centers": self.centers.tolist(), "sigma": self.sigma}

    def describe(self) -> str:
        return (
            f"GaussianMixture(k={self.k}, d={self.dim}, sigma={self.sigma:.6g}, "
            f"separation_ratio_min={self.separation_ratio_min:.6g}, "
            f"separation_ratio_max={self.separation_ratio_max:.6g})"
        )


def _check_k_dim(k, dim):
    for name, v in (("k", k), ("dim", dim)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidArgument(f"{name}: expected an integer >= 1, got {v!r}")
    return int(k), int(dim)


def _offset(offset, dim) -> np.ndarray:
    try:
        arr = np.asarray(offset, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"offset: expected a number or a ({dim},) vector, got {offset!r}") from exc
    if arr.shape not in ((), (dim,)):
        raise InvalidArgument(f"offset: expected a number or a ({dim},) vector, got shape {arr.shape}")
    return arr


def _check_spread(spread):
    if spread is None:
        return None
    s = _positive("separation_ratio_spread", spread)
    if s < 1:
        raise InvalidArgument(f"separation_ratio_spread: expected >= 1 (it is η_max/η_min), got {spread!r}")
    return s


def mixture_from_record(record: dict) -> Mixture:
    """Rebuild a mixture from :meth:`Mixture.to_record`."""
    model = record.get("model")
    if model == "ball":
        return BallMixture(record["centers"], record["radius"])
    if model == "gaussian":
        return GaussianMixture(record["centers"], record["sigma"])
    raise InvalidArgument(f"model: expected 'ball' or 'gaussian', got {model!r}")


#: The registry of mixture kinds, by the name a command line, a sweep grid or a case record uses.
MIXTURE_KINDS = {"ball": BallMixture, "gaussian": GaussianMixture}


def make_mixture(kind, *, k, dim, separation_ratio_min, separation_ratio_spread=None, seed=0) -> Mixture:
    """The mixture of kind ``kind`` (a key of :data:`MIXTURE_KINDS`) with ``k`` components in ``dim``
    dimensions and η_min = ``separation_ratio_min`` (``with_separation`` of its class)."""
    if kind not in MIXTURE_KINDS:
        raise InvalidArgument(f"model: expected one of {', '.join(MIXTURE_KINDS)}, got {kind!r}")
    return MIXTURE_KINDS[kind].with_separation(
        k, dim, separation_ratio_min, separation_ratio_spread=separation_ratio_spread, seed=seed
    )
