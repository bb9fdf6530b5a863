"""Small and busy (issue 21): Lloyd on small problems while another process keeps one core busy.

A parallel region waits for its slowest thread; when a busy process holds a core, that thread waits
for a time slice, so a tiny fit can take milliseconds instead of microseconds.  The kernels run
small problems on one thread (``kernels.SERIAL_MAX_WORK``).  The goal: with one competing busy
process, lloyd with the default threads takes at most 1.5× its own single-thread time on every
shape from 50×1×1 to 12000×3×4.

asv: ``SmallBusy`` starts the busy process (pinned to the last core) in ``setup`` and stops it in
``teardown``; ``track_busy_ratio`` is the goal's ratio, measured interleaved inside one call.
As a script it prints the table of docs/performance.md (use a fresh ``NUMBA_CACHE_DIR`` after a
kernel edit)::

    python benchmarks/bench_small_busy.py [--repeats 41]
"""

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import time

import numba
import numpy as np

from harness import kernels

try:
    from harness.studies.bench import bench_data
except ImportError:  # the flat package before the layer packages
    from harness.bench import bench_data

SHAPES = ["50x1x1", "200x2x3", "1000x2x4", "3000x3x4", "12000x3x4"]
ITERATIONS = 30
GOAL = 1.5
#: Whether this commit's ``kernels.lloyd`` takes ``threads`` (the old behaviour, all threads at any
#: size, is then measurable beside the new one in the same run).
HAS_THREADS = "threads" in inspect.signature(kernels.lloyd).parameters

_BUSY = "import os\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True:\n    pass\n"


def start_busy():
    """A process spinning on the last core (``python -c 'while True: pass'``, pinned)."""
    cpu = max(os.sched_getaffinity(0))
    proc = subprocess.Popen([sys.executable, "-c", _BUSY.format(cpu=cpu)])
    time.sleep(0.3)  # let it start spinning
    return proc


def stop_busy(proc):
    proc.kill()
    proc.wait()


def shape_data(shape):
    n, d, k = (int(v) for v in shape.split("x"))
    return bench_data(n, d, k)


def fit(X, init, threads=None):
    """``ITERATIONS`` Lloyd iterations: numba's default threads (``None``, the kernels choose), one
    thread (``1``), or all threads whatever the size (``"all"``: the behaviour before the serial
    path)."""
    if threads == "all":
        if HAS_THREADS:
            return kernels.lloyd(X, init, ITERATIONS, threads=numba.config.NUMBA_NUM_THREADS)
        return kernels.lloyd(X, init, ITERATIONS)
    if threads is None:
        return kernels.lloyd(X, init, ITERATIONS)
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return kernels.lloyd(X, init, ITERATIONS)
    finally:
        numba.set_num_threads(previous)


def timed(X, init, threads):
    start = time.perf_counter()
    fit(X, init, threads)
    return time.perf_counter() - start


def medians(X, init, modes, repeats):
    """Median seconds per mode, the modes interleaved in every round (noise hits them alike) and
    their order rotated from round to round: a call right after a parallel one ("all") shares a
    core with its worker thread for OpenMP's brief spin (``GOMP_SPINCOUNT``, about 0.2 ms), so a
    fixed order would charge that to whichever mode comes next (measured at 50x1x1, busy, default
    always after "all": 0.056 ms against 0.034 ms on one thread)."""
    times = {m: [] for m in modes}
    for r in range(repeats):
        for m in modes[r % len(modes) :] + modes[: r % len(modes)]:
            times[m].append(timed(X, init, m))
    return {m: statistics.median(v) for m, v in times.items()}


class SmallBusy:
    """Lloyd, 30 iterations, with a busy process on the last core."""

    params = [SHAPES]
    param_names = ["shape"]
    timeout = 300

    def setup(self, shape):
        self.X, self.init = shape_data(shape)
        fit(self.X, self.init)  # compile or load the kernels before anything is timed
        fit(self.X, self.init, 1)
        self.busy = start_busy()

    def teardown(self, shape):
        stop_busy(self.busy)

    def time_default_threads(self, shape):
        fit(self.X, self.init)

    def time_one_thread(self, shape):
        fit(self.X, self.init, 1)

    def track_busy_ratio(self, shape):
        """Default threads over one thread, both with the busy process (goal ≤ 1.5)."""
        m = medians(self.X, self.init, [None, 1], 21)
        return m[None] / m[1]

    track_busy_ratio.unit = "ratio"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=41, help="interleaved rounds per shape (median)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args(argv)
    shapes = args.shapes.split(",")
    data = {s: shape_data(s) for s in shapes}
    modes = [None, 1] + (["all"] if HAS_THREADS else [])
    for X, init in data.values():
        for m in modes:
            fit(X, init, m)
    print(f"numba threads {numba.get_num_threads()} ({numba.threading_layer()}), {ITERATIONS} iterations, ms")
    head = f"{'shape':<12} {'idle 1 thr':>10} {'idle default':>12} {'busy 1 thr':>10} {'busy default':>12}"
    head += f" {'busy default / 1 thr':>21}"
    if HAS_THREADS:
        head += f" {'busy all threads (before)':>26} {'its ratio':>9}"
    print(head)
    results = {}
    for s in shapes:
        results[s] = {"idle": medians(*data[s], modes, args.repeats)}
    busy = start_busy()
    try:
        for s in shapes:
            results[s]["busy"] = medians(*data[s], modes, args.repeats)
    finally:
        stop_busy(busy)
    worst = 0.0
    for s in shapes:
        idle, loaded = results[s]["idle"], results[s]["busy"]
        ratio = loaded[None] / loaded[1]
        worst = max(worst, ratio)
        line = f"{s:<12} {1e3 * idle[1]:10.3f} {1e3 * idle[None]:12.3f} {1e3 * loaded[1]:10.3f}"
        line += f" {1e3 * loaded[None]:12.3f} {ratio:20.2f}x"
        if HAS_THREADS:
            line += f" {1e3 * loaded['all']:26.3f} {loaded['all'] / loaded[1]:8.2f}x"
        print(line)
    print(f"worst busy default / 1 thread: {worst:.2f}x (goal ≤ {GOAL}x): {'met' if worst <= GOAL else 'NOT met'}")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
