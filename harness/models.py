"""Public import path of the mixtures (``harness.models``); they live in :mod:`harness.theory.models`."""

from harness.theory.models import *  # noqa: F401,F403
from harness.theory.models import BallMixture, GaussianMixture, Mixture, mixture_from_record  # noqa: F401
