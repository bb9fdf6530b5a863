"""How many threads a kernel call uses: one below a work threshold, so that a small problem never
waits on a parallel region's synchronisation; all of them above it.

Holds no kernel.  No result depends on the thread count (every sum is combined in a fixed order), so
this only decides the speed.
"""

from __future__ import annotations

import contextlib
import os

import numba

#: OpenMP's wait policy for numba's threads (libgomp reads ``OMP_WAIT_POLICY`` and
#: ``GOMP_SPINCOUNT`` when it loads, at numba's first parallel region): an idle thread spins
#: ``GOMP_SPINCOUNT`` times (a ``pause`` each: 0.2-0.5 ms in all, by the CPU's pause latency)
#: after a region, then sleeps.
#:
#: - Spinning without end (libgomp's default spins 300,000 times, ``active`` for ever) holds the
#:   core on a loaded machine: measured on the 2-core Intel Xeon with about ten other runnable
#:   processes, 30 iterations, median of 7: at 200000x16x64 1.30-1.40 s passive against
#:   2.13-2.44 s spinning, at 200000x2x8 0.15-0.20 s against 0.48-0.88 s.
#: - Sleeping at once (``passive``) makes every region wake its threads; in a virtual machine an
#:   idle core's wake-up is slow.  Measured on the 2-core AMD EPYC, idle, lloyd 200000x2x8, 30
#:   iterations, a 0.15 s pause before each call, median of 7: passive 0.055 s; spin counts 1,000
#:   0.054, 3,000 0.051, 10,000 0.032, 30,000 0.032; ``active`` 0.032.  On the Intel Xeon, passive
#:   0.046 s against active 0.024 s.
#:
#: So: passive, with 10,000 spins first.  Set when :mod:`harness` is imported, never over the
#: user's own setting of either variable (a user's ``OMP_WAIT_POLICY`` alone keeps libgomp's own
#: spin count for it); it also applies to other libgomp copies that load later in the process
#: (scikit-learn's, faiss's), alike for every bench contender.
OMP_WAIT_POLICY = "passive"
GOMP_SPINCOUNT = "10000"


def brief_spin_openmp_threads() -> None:
    """Set ``OMP_WAIT_POLICY`` and ``GOMP_SPINCOUNT`` unless the user set either (OpenMP reads them
    when it loads)."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["OMP_WAIT_POLICY"] = OMP_WAIT_POLICY
    os.environ["GOMP_SPINCOUNT"] = GOMP_SPINCOUNT


brief_spin_openmp_threads()

#: Below this much work per parallel region (point-center-coordinate terms: n·k·d for an
#: assignment, n·d·trials for a k-means++ step, n·d for an update), a call runs on one thread.
#: A region's cost is a wake-up and a join of every thread; when another process is busy on a
#: core, the join waits until the descheduler lets the late thread run.  Measured on a 2-core
#: Intel Xeon with one busy process pinned to the second core, 30 iterations: Lloyd on
#: 12,000×3×4 took 70 ms with two threads against 4.9 ms with one, on 50 points 3.7 ms against
#: 0.03 ms.  An idle machine gains little from a second thread below this size (a 12,000×3×4
#: iteration is about 0.15 ms on one thread), a loaded one loses up to a scheduler time slice per
#: region.  12,000×3×4 is 144,000; verify's cases (50 to 12,000 points) mostly fall below it.
SERIAL_MAX_WORK = 2**18


def threads_for(work, threads=None) -> int:
    """The thread count for a call with ``work`` terms per parallel region: ``threads`` if given
    (clipped to 1..``NUMBA_NUM_THREADS``), else 1 below ``SERIAL_MAX_WORK``, else the calling
    thread's current numba setting (:func:`numba.get_num_threads`)."""
    if threads is not None:
        return max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    return 1 if work < SERIAL_MAX_WORK else numba.get_num_threads()


@contextlib.contextmanager
def kernel_threads(work, threads=None):
    """Run the body's parallel regions on :func:`threads_for` threads, then restore the calling
    thread's setting (numba's thread count is per calling thread).  Yields the count."""
    previous = numba.get_num_threads()
    wanted = threads_for(work, threads)
    if wanted == previous:
        yield wanted
        return
    numba.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        numba.set_num_threads(previous)
