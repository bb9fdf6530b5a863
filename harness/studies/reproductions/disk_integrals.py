"""Exact integrals of the 2-D ball model over disks cut by one line (Example 2's two cells): closed
forms, no quadrature.  Pure functions of centers and radius; no validation (callers own it).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["disk_two_center_integrals"]


def _segment(h, r):
    """Integrals over the disk segment {u > h} of a centred disk of radius r (u along a unit normal):
    area, ∫u, ∫‖x‖² (closed forms of ∫2w, ∫2uw, ∫(2u²w + 2w³/3) with w = √(r² − u²))."""
    h = min(max(h, -r), r)
    w = math.sqrt(max(r * r - h * h, 0.0))
    area = r * r * math.acos(h / r) - h * w

    def i2(u, wu):  # ∫ u²√(r²−u²) du
        return u * (2 * u * u - r * r) * wu / 8 + r**4 / 8 * math.asin(u / r)

    def i3(u, wu):  # ∫ (r²−u²)^{3/2} du
        return u * (5 * r * r - 2 * u * u) * wu / 8 + 3 * r**4 / 8 * math.asin(u / r)

    first = 2.0 / 3.0 * w**3
    second = 2 * (i2(r, 0.0) - i2(h, w)) + 2.0 / 3.0 * (i3(r, 0.0) - i3(h, w))
    return area, first, second


def disk_two_center_integrals(centers_true, radius, b1, b2):
    """Exact cell integrals of the 2-D ball model for two centers (every other center far away).

    Returns ``(mass (2,), first (2, 2), second (2,))``: P(V_i), ∫_{V_i} x f and ∫_{V_i} ‖x − b_i‖² f
    with f the equal-weight mixture of uniform disks.  V_2 = {x·n > c} with n = (b2 − b1)/‖b2 − b1‖.
    """
    a = np.asarray(centers_true, dtype=np.float64)
    b1, b2 = np.asarray(b1, dtype=np.float64), np.asarray(b2, dtype=np.float64)
    k, r = len(a), float(radius)
    n = (b2 - b1) / np.linalg.norm(b2 - b1)
    c = float(n @ (b1 + b2) / 2)
    disk_area = math.pi * r * r
    mass, first, second = np.zeros(2), np.zeros((2, 2)), np.zeros(2)
    for s in a:
        area2, u1, u2 = _segment(c - float(n @ s), r)
        full = (disk_area, np.zeros(2), math.pi * r**4 / 2)
        seg = (area2, u1 * n, u2)
        rest = (disk_area - area2, -u1 * n, full[2] - u2)
        for i, (ar, mom, sec), b in ((0, rest, b1), (1, seg, b2)):
            diff = s - b
            mass[i] += ar
            first[i] += s * ar + mom
            second[i] += sec + 2 * diff @ mom + diff @ diff * ar
    scale = 1.0 / (k * disk_area)
    return mass * scale, first * scale, second * scale
