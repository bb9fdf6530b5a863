"""Hypothesis strategies for k-means verification: the paper's mixtures and full cases."""

from harness.cases.case import INIT_KINDS, Case
from strategies.datasets import corner_cases, datasets, make_case
from strategies.mixtures import ball_mixtures, gaussian_mixtures
from strategies.theorems import theorem1_instances, theorem2_instances

__all__ = [
    "Case",
    "INIT_KINDS",
    "ball_mixtures",
    "corner_cases",
    "datasets",
    "gaussian_mixtures",
    "make_case",
    "theorem1_instances",
    "theorem2_instances",
]
