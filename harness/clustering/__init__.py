"""Layer 3, clustering: the k-means we ship (``kmeans``, ``lloyd``), the initialisers and the
scikit-learn estimator, built on the numerics.  Knows nothing of targets or the paper's models."""
