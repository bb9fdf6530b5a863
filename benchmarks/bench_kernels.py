"""asv benchmarks of the numba kernels, one class per concern, on the goal shapes.

``setup`` builds the data and calls each kernel once on a slice, so numba's compilation (or cache
load) is never timed.  Data: an overlapping Gaussian mixture (η_min = 1), k-means++ init.
"""

import numpy as np

from harness import kernels

from .common import SHAPES, data


class Assign:
    params = [SHAPES]
    param_names = ["shape"]

    def setup(self, shape):
        self.X, self.centers = data(shape)
        kernels.assign_labels(self.X[:100], self.centers)

    def time_assign_labels(self, shape):
        kernels.assign_labels(self.X, self.centers)


class Update:
    params = [SHAPES]
    param_names = ["shape"]

    def setup(self, shape):
        self.X, self.centers = data(shape)
        self.labels, _ = kernels.assign_labels(self.X, self.centers)
        kernels.update_centers(self.X[:100], self.labels[:100], self.centers)

    def time_update_centers(self, shape):
        kernels.update_centers(self.X, self.labels, self.centers)


class Lloyd:
    """30 Lloyd iterations from the same k-means++ init (the ``bench`` command's fixed-iteration mode)."""

    params = [SHAPES, ["float64", "float32"]]
    param_names = ["shape", "dtype"]
    timeout = 600

    def setup(self, shape, dtype):
        X, init = data(shape)
        self.X = X.astype(dtype)
        self.init = init.astype(dtype)
        kernels.lloyd(self.X[:1000], self.init, 2)

    def time_lloyd_30_iterations(self, shape, dtype):
        kernels.lloyd(self.X, self.init, 30)

    def peakmem_lloyd_30_iterations(self, shape, dtype):
        kernels.lloyd(self.X, self.init, 30)


class KMeansPlusPlus:
    params = [SHAPES, [False, True]]
    param_names = ["shape", "greedy"]
    timeout = 600

    def setup(self, shape, greedy):
        self.X, init = data(shape)
        self.k = init.shape[0]
        kernels.kmeans_plusplus(self.X[:1000], 3, np.random.default_rng(0), greedy=greedy)

    def time_kmeans_plusplus(self, shape, greedy):
        kernels.kmeans_plusplus(self.X, self.k, np.random.default_rng(0), greedy=greedy)
