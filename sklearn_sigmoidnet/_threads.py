"""How many threads the row-block runner uses, and BLAS limited to one thread.

The runner parallelises over row blocks itself; a threaded BLAS inside each
block would oversubscribe the cores (and its sums would depend on its thread
count), so BLAS is limited to one thread while the kernel runs.
"""

import os
import threading
from contextlib import contextmanager

import threadpoolctl
from joblib import cpu_count
from threadpoolctl import ThreadpoolController

__all__ = ["available_cpus", "effective_n_threads", "blas_single_threaded"]


def available_cpus():
    """CPUs this process may use: CPU affinity and container (cgroup) limits.

    ``os.cpu_count()`` counts the machine's CPUs; joblib's ``cpu_count`` (from
    loky) also honours ``sched_setaffinity``, the cgroup CPU quota that
    Docker and Kubernetes set, and ``LOKY_MAX_CPU_COUNT``.
    """
    return max(1, int(cpu_count(only_physical_cores=False)))


def effective_n_threads(n_jobs):
    """Threads for the row-block runner from the estimator's ``n_jobs``.

    ``None`` means every available CPU, like scikit-learn's OpenMP-based
    estimators, capped by ``OMP_NUM_THREADS`` (which joblib sets in its worker
    processes, so that a parallel grid search does not oversubscribe).
    Negative values count back from the available CPUs, as in joblib
    (``-1``: all of them).

    Examples
    --------
    >>> from sklearn_sigmoidnet._threads import effective_n_threads
    >>> effective_n_threads(3)
    3
    >>> effective_n_threads(-1) == available_cpus()
    True
    """
    n_cpus = available_cpus()
    if n_jobs is None:
        limit = os.environ.get("OMP_NUM_THREADS", "").strip()
        return max(1, min(n_cpus, int(limit))) if limit.isdigit() else n_cpus
    if n_jobs < 0:
        return max(1, n_cpus + 1 + n_jobs)
    return int(n_jobs)


def _release_openblas_control():
    """Let the current thread set OpenBLAS's limits.

    OpenBLAS (without OpenMP) has one process-wide thread pool, and
    threadpoolctl 3.8 lets only one "controlling" thread change its size,
    silently ignoring the others. The limit below may be set by one thread
    and restored by another, so each of them takes control first.
    """
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    if hasattr(controller, "clear_controlling_thread"):
        controller.clear_controlling_thread(force=True)


class _BlasLimit:
    """One process-wide limit of BLAS to a single thread, reference-counted so
    that fits and predictions running at once in several threads set it once
    and restore the original limits once, when the last of them ends,
    whichever threads those are."""

    def __init__(self):
        self._lock = threading.Lock()
        self._controller = None
        self._users = 0
        self._limit = None

    def enter(self):
        with self._lock:
            if self._controller is None:
                self._controller = ThreadpoolController()
            if self._users == 0:
                _release_openblas_control()
                self._limit = self._controller.limit(limits=1, user_api="blas")
                _release_openblas_control()
            self._users += 1

    def exit(self):
        with self._lock:
            self._users -= 1
            if self._users == 0:
                _release_openblas_control()
                self._limit.restore_original_limits()
                _release_openblas_control()
                self._limit = None


_BLAS_LIMIT = _BlasLimit()


@contextmanager
def blas_single_threaded():
    """Limit BLAS to one thread inside the block (re-entrant, thread-safe).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> from sklearn_sigmoidnet._threads import blas_single_threaded
    >>> with blas_single_threaded():
    ...     all(
    ...         info["num_threads"] == 1
    ...         for info in threadpool_info()
    ...         if info["user_api"] == "blas"
    ...     )
    True
    """
    _BLAS_LIMIT.enter()
    try:
        yield
    finally:
        _BLAS_LIMIT.exit()
