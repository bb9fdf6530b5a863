"""scikit-learn-intelex's ``KMeans`` declared as an estimator *instance* with non-default parameters
(docs/wrapping.md, "An estimator instance").  The built-in ``sklearnex`` target is the same
configuration written as a function (harness/targets/peers.py).

The harness clones the instance for every call (``get_params``), keeps ``tol=0.0`` and
``max_iter=1000``, and sets ``n_clusters``, ``init``, ``random_state`` and ``n_init=1``;
``converged`` is ``n_iter_ < max_iter``.  sklearnex runs stock scikit-learn instead of oneDAL when
``n_clusters == 1`` or ``n_clusters >= n_samples``: declared, so those cases are not applicable.

    SKLEARNEX_VERBOSE=INFO kmeans-harness verify examples/adapters/sklearnex_kmeans.py:kmeans -v
"""

from sklearnex.cluster import KMeans

import harness

kmeans = harness.target(min_k=2, needs_n_greater_than_k=True, empty_clusters="relocate", name="sklearnex-instance")(
    KMeans(tol=0.0, max_iter=1000)
)
