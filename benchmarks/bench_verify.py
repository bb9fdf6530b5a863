"""asv benchmark of the main job: ``kmeans-harness verify lloyd --profile quick``."""

import contextlib
import io
import itertools
import os
import shutil
import tempfile

import numpy as np

import harness


class Verify:
    timeout = 1800  # the quick profile takes minutes on a busy 2-core machine
    # One call is a whole verify run (seconds to minutes): one sample; setup does the warming.
    number = 1
    repeat = 1
    rounds = 1
    warmup_time = 0

    def setup(self):
        # A new --json path for every call: a rerun with an existing report resumes from it (and
        # would time nothing), and the report is written by an atomic replace, which as root turns
        # os.devnull into a regular file.
        self.report_dir = tempfile.mkdtemp(prefix="kmeans-harness-asv-verify-")
        self.calls = itertools.count()
        harness.lloyd(np.arange(20.0).reshape(10, 2), np.zeros((2, 2)))
        # Each check on two cases: numba compiles (or loads from its cache) the kernels that verify
        # uses here, not in the timed call.
        self._verify("--max-examples", "2")

    def _verify(self, *options):
        from harness.cli import main

        report = os.path.join(self.report_dir, f"verify-{next(self.calls)}.json")
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["verify", "lloyd", "--profile", "quick", "--json", report, *options])
        if code != 0:
            raise RuntimeError(f"verify lloyd {' '.join(options)} exited with {code}")

    def teardown(self):
        shutil.rmtree(self.report_dir, ignore_errors=True)

    def time_verify_lloyd_quick(self):
        self._verify()
