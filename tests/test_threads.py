"""_threads: the runner's thread count and BLAS limited to one thread."""

import os
import subprocess
import sys
import threading

import joblib
import numpy  # noqa: F401
import pytest
import scipy.linalg  # noqa: F401
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_sigmoidnet._threads as threads_module
from sklearn_sigmoidnet._threads import (
    available_cpus,
    blas_single_threaded,
    effective_n_threads,
)


# ------------------------------------------------------------- available_cpus
def test_available_cpus_is_joblibs_count():
    assert available_cpus() == joblib.cpu_count(only_physical_cores=False)
    assert available_cpus() >= 1


@pytest.mark.parametrize("joblib_says, expected", [(3, 3), (1, 1), (0, 1), (-2, 1)])
def test_available_cpus_uses_joblibs_cpu_count(monkeypatch, joblib_says, expected):
    calls = []

    def cpu_count(only_physical_cores=False):
        calls.append(only_physical_cores)
        return joblib_says

    monkeypatch.setattr(threads_module, "cpu_count", cpu_count)
    assert available_cpus() == expected
    assert calls == [False]  # logical CPUs: the threads are not SIMD-bound


def test_available_cpus_honours_loky_max_cpu_count(monkeypatch):
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "1")
    assert available_cpus() == 1
    assert effective_n_threads(None) == 1


def test_available_cpus_honours_cpu_affinity():
    """A process pinned to one CPU gets one thread (checked in a child process,
    so that this one keeps its CPUs)."""
    assert hasattr(os, "sched_setaffinity")  # Linux, as CI
    # the module alone (not the package, which imports scikit-learn: slow)
    code = (
        "import importlib.util, os;"
        "os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]});"
        "spec = importlib.util.spec_from_file_location('t', "
        f"{threads_module.__file__!r});"
        "module = importlib.util.module_from_spec(spec);"
        "spec.loader.exec_module(module);"
        "print(module.available_cpus(), module.effective_n_threads(None),"
        " module.effective_n_threads(-1))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",)}
    environment.pop("LOKY_MAX_CPU_COUNT", None)
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout
    assert output.split() == ["1", "1", "1"]


# -------------------------------------------------------- effective_n_threads
@pytest.fixture
def six_cpus(monkeypatch):
    monkeypatch.setattr(threads_module, "cpu_count", lambda **kwargs: 6)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_none_uses_every_available_cpu(six_cpus):
    assert effective_n_threads(None) == 6


@pytest.mark.parametrize(
    "omp, expected",
    [("1", 1), ("4", 4), (" 2 ", 2), ("6", 6), ("64", 6), ("0", 1), ("", 6)],
)
def test_none_is_capped_by_omp_num_threads(six_cpus, monkeypatch, omp, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert effective_n_threads(None) == expected


@pytest.mark.parametrize("omp", ["abc", "2,1", "-3", "1.5"])
def test_unreadable_omp_num_threads_is_ignored(six_cpus, monkeypatch, omp):
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert effective_n_threads(None) == 6


@pytest.mark.parametrize("n_jobs, expected", [(-1, 6), (-2, 5), (-6, 1), (-100, 1)])
def test_negative_n_jobs_count_back_from_the_cpus(
    six_cpus, monkeypatch, n_jobs, expected
):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # caps None only
    assert effective_n_threads(n_jobs) == expected


@pytest.mark.parametrize("n_jobs", [1, 2, 6, 13])
def test_positive_n_jobs_are_taken_as_given(six_cpus, monkeypatch, n_jobs):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # caps None only
    assert effective_n_threads(n_jobs) == n_jobs
    assert type(effective_n_threads(n_jobs)) is int


# ------------------------------------------------------- blas_single_threaded
def _blas_threads():
    return [
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    ]


@pytest.fixture
def two_blas_threads():
    """BLAS at two threads for the test (whatever the machine's default), the
    original limits restored afterwards."""

    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert before and all(n == 2 for n in before)
        yield before


def test_blas_is_single_threaded_inside_and_restored_after(two_blas_threads):
    with blas_single_threaded():
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == two_blas_threads
    assert threads_module._BLAS_LIMIT._users == 0


def test_blas_limit_is_restored_after_an_exception(two_blas_threads):
    with pytest.raises(ZeroDivisionError):
        with blas_single_threaded():
            1 / 0  # noqa: B018
    assert _blas_threads() == two_blas_threads


def test_blas_limit_is_reentrant(two_blas_threads):
    with blas_single_threaded():
        with blas_single_threaded():
            assert all(n == 1 for n in _blas_threads())
        # the inner exit must not restore the limits of the outer block
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == two_blas_threads


def test_blas_limit_from_four_threads_at_once(two_blas_threads):
    """Four threads entering and leaving at once while the calling thread holds
    the limit: BLAS stays at one thread throughout, the count of users goes
    back to one, and the original limits come back when the last one ends."""
    barrier = threading.Barrier(4)
    inside, errors = [], []

    def work():
        try:
            for _ in range(5):
                with blas_single_threaded():
                    barrier.wait(timeout=30)  # all four inside at once
                    inside.append(_blas_threads())
                    barrier.wait(timeout=30)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    with blas_single_threaded():
        workers = [threading.Thread(target=work) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert errors == []
        assert len(inside) == 20
        assert all(all(n == 1 for n in counts) for counts in inside)
        assert threads_module._BLAS_LIMIT._users == 1
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == two_blas_threads
    assert threads_module._BLAS_LIMIT._users == 0


# Found by review: each of these failed before its fix.
def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_blas_is_limited_in_a_thread_after_the_main_thread_used_it():
    with threadpool_limits(limits=2, user_api="blas"):
        with blas_single_threaded():  # e.g. a fit on the main thread
            pass
        seen = []

        def work():
            with blas_single_threaded():  # e.g. a predict in a worker thread
                seen.append(_blas_threads())

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        assert all(n == 1 for n in seen[0])  # fails: [2, 2]


def test_blas_limits_are_restored_when_a_thread_leaves_last():
    with threadpool_limits(limits=2, user_api="blas"):
        entered, release = threading.Event(), threading.Event()

        def work():
            with blas_single_threaded():
                entered.set()
                release.wait(timeout=30)

        worker = threading.Thread(target=work)
        with blas_single_threaded():
            worker.start()
            entered.wait(timeout=30)
        release.set()
        worker.join()
        assert all(n == 2 for n in _blas_threads())  # fails: BLAS stuck at 1
