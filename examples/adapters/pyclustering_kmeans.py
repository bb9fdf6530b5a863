"""pyclustering's ``kmeans`` as a kmeans-harness target (docs/wrapping.md, "A library that drops
empty clusters").

pyclustering returns clusters as lists of point indices and *drops* a cluster that empties
(``clusters = [c for c in clusters if len(c) > 0]``), so fewer than k centers can come back: declared
``empty_clusters="drop"``.  It loops ``while maximum_change > tolerance``, so ``tolerance=0`` stops
exactly when no center moves.  It reports no iteration count, so ``converged`` is left out.
Without ``init`` the adapter starts it at k distinct data *values* drawn with
``numpy.random.default_rng(seed)``: pyclustering's ``kmeans_plusplus_initializer`` raises on numpy >= 2
(``numpy.warnings`` is gone; docs/findings.md), and its ``random_center_initializer`` draws distinct
row indices whose values may coincide, which empties a cell that the harness cannot attribute to a
start it never saw (a drop is excused only where a cell must empty).

    kmeans-harness verify examples/adapters/pyclustering_kmeans.py:fit
"""

import numpy as np
from pyclustering.cluster.kmeans import kmeans

import harness

MAX_ITER = 1000


@harness.target(empty_clusters="drop")
def fit(X, k, *, init=None, seed=None):
    data = np.asarray(X, dtype=np.float64)
    if init is None:
        values = np.unique(data, axis=0)
        rng = np.random.default_rng(seed)
        start = values[rng.choice(len(values), size=min(k, len(values)), replace=False)]
        if len(start) < k:  # fewer distinct values than k: some cell must empty (excused)
            start = np.vstack([start, values[rng.choice(len(values), size=k - len(start))]])
    else:
        start = np.asarray(init, dtype=np.float64)
    model = kmeans(data, np.array(start, dtype=np.float64).tolist(), tolerance=0.0, itermax=MAX_ITER, ccore=False)
    model.process()
    labels = np.empty(len(data), dtype=np.int64)
    for index, members in enumerate(model.get_clusters()):
        labels[members] = index
    return {"centers": np.asarray(model.get_centers(), dtype=np.float64), "labels": labels}
