"""Layer 2, numerics: the numba kernels, their plain-numpy references, the derived tolerances and
input validation.  Knows nothing of mixtures, targets or Hypothesis."""
