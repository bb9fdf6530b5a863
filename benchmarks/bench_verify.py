"""asv benchmark of the main job: ``kmeans-harness verify lloyd --profile quick``."""

import contextlib
import io
import os

import numpy as np

import harness


class Verify:
    timeout = 1800  # the quick profile takes minutes on a busy 2-core machine

    def setup(self):
        harness.lloyd(np.arange(20.0).reshape(10, 2), np.zeros((2, 2)))  # warm the kernels

    def time_verify_lloyd_quick(self):
        from harness.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["verify", "lloyd", "--profile", "quick", "--json", os.devnull])
        if code != 0:
            raise RuntimeError(f"verify lloyd exited with {code}")
