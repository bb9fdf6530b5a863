"""OpenCV's ``cv2.kmeans`` as a kmeans-harness target (docs/wrapping.md, "A label-initialised API").

``cv2.kmeans`` starts from *labels*, not centers (``KMEANS_USE_INITIAL_LABELS``): given ``init``, the
adapter passes the labels of the nearest init center, so OpenCV's first update computes the cell
means of exactly the first assignment of a Lloyd run started at ``init``.  It works in float32,
stops when no center moves (``epsilon=0``: OpenCV stops when the largest squared center shift is
``<= epsilon``), re-seeds an empty cluster with a far point, and reports no iteration count, so
``converged`` is left out: a run that hit ``MAX_ITER`` reads as ``fail``, not ``not-converged``.

    kmeans-harness verify examples/adapters/opencv_kmeans.py:fit
"""

import cv2
import numpy as np

import harness

MAX_ITER = 1000


@harness.target(precision="float32", empty_clusters="relocate")
def fit(X, k, *, init=None, seed=None):
    data = np.ascontiguousarray(X, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, MAX_ITER, 0.0)
    cv2.setRNGSeed(0 if seed is None else int(seed) % 2**31)  # its k-means++ draws from OpenCV's RNG
    if init is None:
        flags, labels = cv2.KMEANS_PP_CENTERS, None
    else:
        start = np.asarray(init, dtype=np.float32)
        sqdist = ((data[:, None, :] - start[None, :, :]) ** 2).sum(axis=2)
        flags, labels = cv2.KMEANS_USE_INITIAL_LABELS, np.argmin(sqdist, axis=1).astype(np.int32)[:, None]
    _, labels, centers = cv2.kmeans(data, k, labels, criteria, 1, flags)
    return {"centers": centers, "labels": labels.ravel()}
