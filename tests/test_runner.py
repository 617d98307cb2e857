"""_runner: the block plan and the BlockRunner (threads, waves, in-order sums)."""

import collections
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_sigmoidnet._runner import (
    _MAX_BLOCK_ROWS,
    _PARTIALS_BYTES,
    SUB_ROWS,
    BlockRunner,
    block_bounds,
)


# ---------------------------------------------------------------- block_bounds
@settings(max_examples=200, deadline=None)
@given(
    n_rows=st.integers(1, 3_000_000),
    n_hidden=st.integers(1, 2000),
    itemsize=st.sampled_from([4, 8]),
)
def test_block_bounds_properties(n_rows, n_hidden, itemsize):
    bounds = block_bounds(n_rows, n_hidden, itemsize)
    assert bounds.dtype == np.intp
    assert bounds[0] == 0 and bounds[-1] == n_rows  # every row, once
    sizes = np.diff(bounds)
    assert np.all(sizes > 0)
    # multiples of SUB_ROWS, all of the same size, but the last
    assert np.all(sizes[:-1] % SUB_ROWS == 0)
    assert np.all(sizes[:-1] == sizes[0])
    assert sizes[-1] <= sizes[0]
    assert sizes[0] <= _MAX_BLOCK_ROWS
    # nearly equal: the last block is not a sliver when there are several
    if len(sizes) > 1:
        assert sizes[0] - sizes[-1] < len(sizes) * SUB_ROWS


def test_block_bounds_depend_on_the_shape_and_dtype_alone():
    """The doctest's plan, and no thread count anywhere in the signature."""
    np.testing.assert_array_equal(
        block_bounds(10_000, n_hidden=50, itemsize=8), [0, 2560, 5120, 7680, 10000]
    )
    # about 1 MiB of hidden activations per block
    assert block_bounds(102_400, n_hidden=64, itemsize=8)[1] == 2048
    assert block_bounds(102_400, n_hidden=64, itemsize=4)[1] == 4096
    # nearly equal blocks rather than full ones and a remainder
    np.testing.assert_array_equal(
        np.diff(block_bounds(100_000, n_hidden=64, itemsize=4)), [4032] * 24 + [3232]
    )
    # a small problem is one block
    np.testing.assert_array_equal(block_bounds(100, n_hidden=5, itemsize=8), [0, 100])


def test_a_kernels_blocks_do_not_depend_on_its_threads():
    from sklearn_sigmoidnet import NetworkKernel, ParameterLayout

    X = np.zeros((50_000, 3))
    layout = ParameterLayout(3, 64, 1)
    plans = []
    for n_threads in (1, 2, 3, 8):
        with NetworkKernel(X, layout=layout, n_threads=n_threads) as kernel:
            plans.append(kernel.data.bounds)
    for plan in plans:
        np.testing.assert_array_equal(plan, block_bounds(50_000, 64, 8))


# ------------------------------------------------------------------ the runner
class _Recorder:
    """A block function and a reduce that check the runner's promises."""

    def __init__(self, n_blocks, n_slots, n_workspaces):
        self.calls = collections.Counter()
        self.slots = np.full(max(1, n_slots), -1)
        self.reduced = []
        self.threads = set()
        self.busy = [threading.Lock() for _ in range(n_workspaces)]
        self.errors = []
        self.lock = threading.Lock()

    def function(self, block, workspace, slot):
        if not self.busy[workspace].acquire(blocking=False):
            self.errors.append(f"workspace {workspace} used by two threads at once")
            return
        try:
            with self.lock:
                self.calls[block] += 1
                self.threads.add(threading.get_ident())
            self.slots[slot] = block
            time.sleep(0.0005 * (block % 3))  # uneven blocks
        finally:
            self.busy[workspace].release()

    def reduce(self, block, slot):
        # the slot still holds this block's partial when it is added up
        if self.slots[slot] != block:
            self.errors.append(f"slot {slot} holds {self.slots[slot]}, not {block}")
        self.reduced.append(block)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("n_slots", [1, 2, 3, 7, 40, 100])
def test_every_block_once_and_reduced_in_block_order(n_threads, n_slots):
    n_blocks = 40
    recorder = _Recorder(n_blocks, n_slots, n_threads)
    with BlockRunner(n_threads) as runner:
        for _ in range(2):  # the pool is reused between runs
            recorder.calls.clear()
            recorder.reduced.clear()
            runner.run(
                recorder.function,
                list(range(n_threads)),
                n_blocks=n_blocks,
                n_slots=n_slots,
                reduce=recorder.reduce,
            )
            assert recorder.errors == []
            assert recorder.calls == collections.Counter(range(n_blocks))
            assert recorder.reduced == list(range(n_blocks))
    assert len(recorder.threads) <= n_threads
    if n_threads == 1:
        assert recorder.threads == {threading.get_ident()}


def test_threads_are_limited_by_workspaces_and_blocks():
    recorder = _Recorder(30, 30, 4)
    with BlockRunner(4) as runner:
        runner.run(
            recorder.function, [0, 1], n_blocks=30, n_slots=30, reduce=None
        )  # two workspaces: two threads at most
        assert len(recorder.threads) <= 2
        recorder.threads.clear()
        runner.run(recorder.function, [0, 1, 2, 3], n_blocks=1)
        # one block runs on the calling thread, without the pool
        assert recorder.threads == {threading.get_ident()}
    assert recorder.errors == []


def test_n_slots():
    assert BlockRunner(1).n_slots(100, partial_bytes=8) == 1
    assert BlockRunner(4).n_slots(1, partial_bytes=8) == 1
    runner = BlockRunner(3)
    # memory allows every block of the run in one wave
    assert runner.n_slots(50, partial_bytes=1000) == 50
    # memory allows 4 blocks; at least blocks_per_thread a thread
    assert runner.n_slots(50, partial_bytes=_PARTIALS_BYTES // 4) == 12
    assert runner.n_slots(50, _PARTIALS_BYTES // 4, blocks_per_thread=2) == 6
    assert runner.n_slots(50, _PARTIALS_BYTES // 20) == 20
    assert BlockRunner(0).n_threads == 1


def test_the_docstring_sum_for_every_wave_and_thread_count():
    values = np.arange(10.0)
    for n_threads in (1, 2, 3):
        for n_slots in (1, 3, 10):
            partials, total = np.empty(n_slots), [0.0]

            def work(block, workspace, slot, partials=partials):
                partials[slot] = values[block] ** 2

            def add(block, slot, partials=partials, total=total):
                total[0] += partials[slot]

            with BlockRunner(n_threads) as runner:
                runner.run(work, [None] * 3, n_blocks=10, n_slots=n_slots, reduce=add)
            assert total[0] == 285.0


class _Tracker:
    """Counts the blocks running right now, and every block ever started."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.started = 0

    def enter(self):
        with self.lock:
            self.running += 1
            self.started += 1

    def leave(self):
        with self.lock:
            self.running -= 1


def test_an_error_in_a_helper_thread_propagates_after_the_wave_stops():
    main = threading.get_ident()
    helper_failed = threading.Event()
    tracker = _Tracker()

    def function(block, workspace, slot):
        tracker.enter()
        try:
            if threading.get_ident() != main:
                helper_failed.set()
                raise RuntimeError(f"block {block} failed")
            # the calling thread waits until a helper has failed, then goes on
            assert helper_failed.wait(timeout=30)
            time.sleep(0.001)
        finally:
            tracker.leave()

    with BlockRunner(2) as runner:
        with pytest.raises(RuntimeError, match="failed"):
            runner.run(function, [0, 1], n_blocks=20, n_slots=20)
        assert tracker.running == 0  # no work left running
        started = tracker.started
        time.sleep(0.05)
        assert tracker.started == started  # and none starts later
        # the runner still works after the error
        helper_failed.set()
        seen = []
        runner.run(lambda block, w, s: seen.append(block), [0], n_blocks=3)
        assert seen == [0, 1, 2]


def test_an_error_in_the_calling_thread_waits_for_the_helpers():
    main = threading.get_ident()
    tracker = _Tracker()
    helper_started = threading.Event()
    finished = []

    def function(block, workspace, slot):
        tracker.enter()
        try:
            if threading.get_ident() == main:
                assert helper_started.wait(timeout=30)
                raise ValueError("the calling thread failed")
            helper_started.set()
            time.sleep(0.02)  # still busy when the calling thread fails
            finished.append(block)
        finally:
            tracker.leave()

    with BlockRunner(3) as runner:
        with pytest.raises(ValueError, match="calling thread failed"):
            runner.run(function, [0, 1, 2], n_blocks=6, n_slots=6)
        assert tracker.running == 0
        assert finished  # the helpers' blocks ran to their end


def test_the_callers_errstate_reaches_the_helper_threads():
    states = {}
    lock = threading.Lock()

    def function(block, workspace, slot):
        time.sleep(0.001)
        with lock:
            states.setdefault(threading.get_ident(), []).append(np.geterr())

    with BlockRunner(3) as runner:
        with np.errstate(over="raise", divide="ignore", invalid="warn", under="call"):
            expected = np.geterr()
            runner.run(function, [0, 1, 2], n_blocks=60, n_slots=10)
        assert len(states) > 1  # helpers took part
        for recorded in states.values():
            assert all(state == expected for state in recorded)

        # a helper raises floating-point errors as the caller asked
        def overflow(block, workspace, slot):
            np.float64(1e308) * np.float64(10.0)

        with np.errstate(over="raise"):
            with pytest.raises(FloatingPointError):
                runner.run(overflow, [0, 1, 2], n_blocks=30, n_slots=30)
        with np.errstate(over="ignore"):
            runner.run(overflow, [0, 1, 2], n_blocks=30, n_slots=30)


def test_close_stops_the_pool_and_the_runner_can_run_again():
    runner = BlockRunner(2)
    seen = collections.Counter()
    lock = threading.Lock()

    def function(block, workspace, slot):
        with lock:
            seen[block] += 1

    runner.run(function, [0, 1], n_blocks=10, n_slots=10)
    executor = runner._executor
    assert executor is not None
    runner.close()
    assert runner._executor is None and executor._shutdown
    runner.run(function, [0, 1], n_blocks=10, n_slots=10)
    runner.close()
    assert seen == collections.Counter({block: 2 for block in range(10)})


# ------------------------------------------------- adding up on the workers
def test_blocks_are_added_up_one_at_a_time_on_any_thread():
    """No wave barrier: a helper adds up blocks while the calling thread works,
    never two reduce calls at once, and a block starts only once the block
    ``n_slots`` before it has been added up (its slot is free)."""
    main = threading.get_ident()
    n_slots, n_blocks = 4, 40
    lock = threading.Lock()
    reducing = threading.Lock()
    reduced, reducers, errors = [], set(), []

    def function(block, workspace, slot):
        with lock:
            if block >= n_slots and len(reduced) <= block - n_slots:
                errors.append(f"block {block} started before its slot was free")
        time.sleep(0.01 if threading.get_ident() == main else 0.001)

    def reduce(block, slot):
        if not reducing.acquire(blocking=False):
            errors.append("two reduce calls at once")
            return
        try:
            reducers.add(threading.get_ident())
            time.sleep(0.0005)
            with lock:
                reduced.append(block)
        finally:
            reducing.release()

    with BlockRunner(3) as runner:
        runner.run(
            function, [0, 1, 2], n_blocks=n_blocks, n_slots=n_slots, reduce=reduce
        )
    assert errors == []
    assert reduced == list(range(n_blocks))
    assert reducers - {main}  # helpers added up blocks too


@pytest.mark.parametrize("n_threads", [2, 3])
def test_an_error_in_reduce_stops_the_run(n_threads):
    """Whichever thread adds up the failing block raises; the others stop."""
    tracker = _Tracker()

    def function(block, workspace, slot):
        tracker.enter()
        try:
            time.sleep(0.001)
        finally:
            tracker.leave()

    def reduce(block, slot):
        if block == 5:
            raise ArithmeticError(f"reduce of block {block} failed")

    with BlockRunner(n_threads) as runner:
        workspaces = list(range(n_threads))
        with pytest.raises(ArithmeticError, match="failed"):
            runner.run(function, workspaces, n_blocks=200, n_slots=3, reduce=reduce)
        assert tracker.running == 0
        assert tracker.started < 200  # the other threads stopped early
        seen = []
        runner.run(lambda block, w, s: seen.append(block), [0], n_blocks=3)
        assert seen == [0, 1, 2]
