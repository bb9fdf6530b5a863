"""Layer 3, theory: the paper's models and mathematics (mixtures, population k-means, certificates,
the theorems' bounds and structure).  Knows nothing of targets, Hypothesis or the command line."""
