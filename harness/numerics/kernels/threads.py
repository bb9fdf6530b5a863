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
#: ``GOMP_SPINCOUNT`` when it loads, at numba's first parallel region): ``passive``, an idle thread
#: sleeps at once after a region.
#:
#: - Spinning holds the core on a loaded machine.  On the 2-core Intel Xeon with about ten other
#:   runnable processes, 30 iterations, median of 7: at 200000x16x64 1.30-1.40 s passive against
#:   2.13-2.44 s with libgomp's default spin (300,000 ``pause``), at 200000x2x8 0.15-0.20 s against
#:   0.48-0.88 s.  Even a brief spin costs: on the 2-core AMD EPYC with one other busy process,
#:   lloyd 200000x2x8, two threads against one: 0.050 / 0.049 s passive, 0.078 / 0.053-0.060 s with
#:   ``GOMP_SPINCOUNT=10000``.
#: - Sleeping at once makes every region wake its threads, which in a virtual machine is slow after
#:   an idle spell: on the idle AMD EPYC, lloyd 200000x2x8, 30 iterations, a 0.15 s pause before each
#:   call, median of 7: passive 0.055 s; ``GOMP_SPINCOUNT`` 1,000 0.054, 3,000 0.051, 10,000 0.032;
#:   ``active`` 0.032.  ``kmeans-harness bench`` against oneDAL at 200000x2x8: 2.1-2.2x passive,
#:   3.0-3.4x with 10,000 spins.
#:
#: So passive, which keeps up on a loaded machine; on an idle one set ``GOMP_SPINCOUNT=10000``
#: yourself.  Set when :mod:`harness` is imported, never over the user's own ``OMP_WAIT_POLICY``
#: or ``GOMP_SPINCOUNT``; it also applies to other libgomp copies that load later in the process
#: (scikit-learn's, faiss's), alike for every bench contender.
OMP_WAIT_POLICY = "passive"


def passive_openmp_threads() -> None:
    """Set ``OMP_WAIT_POLICY`` unless the user set it or ``GOMP_SPINCOUNT`` (OpenMP reads them
    when it loads)."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["OMP_WAIT_POLICY"] = OMP_WAIT_POLICY


passive_openmp_threads()

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
