"""Layer 4, targets: any k-means implementation plugged in by name, its declaration, the built-in
peers, and the one runner that calls it (in-process or in a worker process).

Knows nothing of Hypothesis, the property suite or the command line.
"""

from harness.targets.declaration import CLAIMS, DEFAULT_DECLARATION, PRECISIONS, Target, target
from harness.targets.fit import Fit, normalise_output
from harness.targets.loader import load_target
from harness.targets.options import RunOptions
from harness.targets.registry import BUILTINS, builtin_names
from harness.targets.runner import Runner

__all__ = [
    "BUILTINS",
    "CLAIMS",
    "DEFAULT_DECLARATION",
    "PRECISIONS",
    "Fit",
    "RunOptions",
    "Runner",
    "Target",
    "builtin_names",
    "load_target",
    "normalise_output",
    "target",
]
