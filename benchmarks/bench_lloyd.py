"""asv benchmarks: speed and solution quality of the built-in Lloyd.

Data are built in ``setup``, which also runs the kernels once so that numba's compile time is
never timed.
"""

import numpy as np

import harness
from harness.models import BallMixture


class Lloyd:
    params = ([10_000, 100_000], [2, 16], [8, 32])
    param_names = ["n", "d", "k"]

    def setup(self, n, d, k):
        mixture = BallMixture.with_separation(k, d, 10.0, seed=0)
        self.X, _ = mixture.sample(n, seed=1)
        self.init = mixture.centers + 0.5
        harness.lloyd(self.X[:100], self.init)  # compile outside the timing

    def time_lloyd_from_perturbed_truth(self, n, d, k):
        harness.lloyd(self.X, self.init)

    def peakmem_lloyd(self, n, d, k):
        harness.lloyd(self.X, self.init)

    def track_objective_ratio_to_truth(self, n, d, k):
        """Quality: the objective of k-means++ then Lloyd over that of the true centers."""
        result = harness.kmeans(self.X, k, seed=0)
        truth = harness.kernels.objective(self.X, np.ascontiguousarray(self.init - 0.5))
        return result.objective / truth

    track_objective_ratio_to_truth.unit = "ratio"
