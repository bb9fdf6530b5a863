"""Compatibility: ``harness.kernels`` is the import path of the asv benchmarks, which asv also runs
against older commits; the kernels live in the package :mod:`harness.numerics.kernels`."""

from harness.numerics.kernels import *  # noqa: F401,F403
from harness.numerics.kernels import assign_labels, kmeans_plusplus, lloyd, objective, update_centers  # noqa: F401
