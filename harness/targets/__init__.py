"""Layer 4, targets: any k-means implementation plugged in by name, its declaration, the built-in
peers, and the one runner that calls it (in-process or in a worker process).

Knows nothing of Hypothesis, the property suite or the command line.
"""

from harness.targets.declaration import (
    BUILTINS,
    CLAIMS,
    DEFAULT_DECLARATION,
    PRECISIONS,
    Fit,
    Target,
    builtin_names,
    load_target,
    normalise_output,
    target,
)

__all__ = [
    "BUILTINS",
    "CLAIMS",
    "DEFAULT_DECLARATION",
    "PRECISIONS",
    "Fit",
    "Target",
    "builtin_names",
    "load_target",
    "normalise_output",
    "target",
]
