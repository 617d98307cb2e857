"""The block plan and the runner: row blocks on threads, added up in block order.

The rows of a data set are cut into blocks whose boundaries depend on the
problem's shape and dtype alone (:func:`block_bounds`). A :class:`BlockRunner`
calls a function on every block, on several threads, each with its own
workspace; every block writes its own partial result into a slot, and the
partials are added up in block order (``reduce``), one at a time, by whichever
thread is free when the next one is ready. So a sum over rows has the same
bits for every thread count, and whichever thread took or added which block.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["block_bounds", "BlockRunner", "SUB_ROWS"]

# Rows per block: about this many bytes of hidden activations (rows x
# n_hidden). Large enough that the ~15 numpy calls of a block amortise their
# overhead (and the hand-offs of Python's lock between threads), small enough
# that a thread's buffers stay in a 2 MiB L2 cache.
_BLOCK_BYTES = 1024 * 1024
_MIN_BLOCK_ROWS = 256
_MAX_BLOCK_ROWS = 16384
# Blocks are multiples of this many rows (but the last): the kernel splits
# them into batched sub-blocks of SUB_ROWS rows (see _workspace.py).
SUB_ROWS = 64
# With several threads, the partial results of up to this many bytes of
# blocks are held before they are added up: a thread waits only when the
# blocks it could start would overwrite a partial not yet added.
_PARTIALS_BYTES = 4 * 2**20


def block_bounds(n_rows, n_hidden, itemsize):
    """Row-block boundaries, a function of the problem's shape and dtype alone.

    Returns an int array ``bounds`` such that block ``b`` holds rows
    ``bounds[b]:bounds[b + 1]``. The thread count never enters, which is what
    makes the results identical for every ``n_jobs``.

    Examples
    --------
    >>> block_bounds(10_000, n_hidden=50, itemsize=8)
    array([    0,  2560,  5120,  7680, 10000])
    """
    if n_rows == 0:
        return np.zeros(2, dtype=np.intp)  # one empty block
    rows = _BLOCK_BYTES // max(1, n_hidden * itemsize)
    rows = int(min(_MAX_BLOCK_ROWS, max(_MIN_BLOCK_ROWS, rows)))
    n_blocks = max(1, -(-n_rows // rows))
    # Nearly equal blocks, each a multiple of SUB_ROWS but the last.
    rows = SUB_ROWS * -(-n_rows // (n_blocks * SUB_ROWS))
    return np.append(np.arange(0, n_rows, rows), n_rows).astype(np.intp)


class _InOrderRun:
    """One run on several threads: hands out the blocks in order, starts block
    ``b`` only once block ``b - window`` is added up (its slot is free), and
    adds up the finished blocks in block order, one thread at a time.

    Every thread calls :meth:`work`; an error in one stops the others at
    their next block.
    """

    def __init__(self, function, reduce, n_blocks, window):
        self.function, self.reduce = function, reduce
        self.n_blocks, self.window = n_blocks, window
        self._condition = threading.Condition()
        self._next = 0  # the next block to hand out
        self._reduced = 0  # blocks added up so far: 0 .. _reduced - 1
        self._finished = bytearray(n_blocks)
        self._reducing = False  # whether a thread is adding up blocks
        self._failed = False

    def work(self, workspace):
        """Take blocks until none is left; add up those that are ready."""
        try:
            while (block := self._take()) is not None:
                self.function(block, workspace, block % self.window)
                if self.reduce is not None and self._finish(block):
                    self._add_ready()
        except BaseException:
            with self._condition:
                self._failed = True
                self._condition.notify_all()
            raise

    def _take(self):
        """The next block once its slot is free; None when none is left or a
        thread failed."""
        with self._condition:
            if self._failed or self._next == self.n_blocks:
                return None
            block, self._next = self._next, self._next + 1
            if self.reduce is not None:
                self._condition.wait_for(
                    lambda: self._failed or self._reduced > block - self.window
                )
            return None if self._failed else block

    def _finish(self, block):
        """Mark ``block`` finished; True when this thread is to add up the
        ready blocks (no other thread is adding up)."""
        with self._condition:
            self._finished[block] = 1
            if self._reducing:
                return False  # the thread adding up will reach this block
            self._reducing = True
            return True

    def _add_ready(self):
        """Add up blocks in order while the next one is finished."""
        block = None
        while True:
            with self._condition:
                if block is not None:
                    self._reduced += 1
                    self._condition.notify_all()
                block = self._reduced
                if self._failed or block == self.n_blocks or not self._finished[block]:
                    self._reducing = False
                    return
            self.reduce(block, block % self.window)


class BlockRunner:
    """Call a function on every row block, on up to ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
        Threads at most; a run uses no more threads than it has blocks or
        workspaces.

    Notes
    -----
    With several threads, the threads (the calling one among them) take the
    blocks in turn, in block order, so a thread on a faster core takes more
    of them. Block ``b`` writes into slot ``b % n_slots`` and may start
    only once block ``b - n_slots`` has been added up: at most
    ``n_slots`` partials are held at a time. ``reduce(b, slot)`` is called
    for the blocks in block order, one call at a time, by the thread that
    finished block ``b`` or by one adding up the blocks before it, while
    the other threads go on with later blocks: no thread waits for the
    others between blocks. The helper threads run under the calling
    thread's numpy error state (``np.errstate`` is per thread).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.arange(10.0)
    >>> partials, total = np.empty(3), [0.0]
    >>> def work(block, workspace, slot):
    ...     partials[slot] = values[block] ** 2
    >>> def add(block, slot):
    ...     total[0] += partials[slot]
    >>> with BlockRunner(n_threads=2) as runner:
    ...     runner.run(work, [None, None], n_blocks=10, n_slots=3, reduce=add)
    >>> float(total[0])
    285.0
    """

    def __init__(self, n_threads):
        self.n_threads = max(1, int(n_threads))
        self._executor = None

    def n_slots(self, n_blocks, partial_bytes, blocks_per_thread=4):
        """Partials held at a time: ``_PARTIALS_BYTES`` of them, and at least
        ``blocks_per_thread`` a thread (1 with a single thread)."""
        if min(self.n_threads, n_blocks) == 1:
            return 1
        by_memory = _PARTIALS_BYTES // max(1, int(partial_bytes))
        return min(n_blocks, max(blocks_per_thread * self.n_threads, by_memory))

    def run(self, function, workspaces, *, n_blocks, n_slots=1, reduce=None):
        """``function(block, workspace, slot)`` for blocks ``0 .. n_blocks - 1``,
        and ``reduce(block, slot)`` in block order (see the class notes).

        ``workspaces`` holds one workspace per thread; a run uses
        ``min(n_threads, len(workspaces), n_blocks)`` threads.
        """
        n_threads = min(self.n_threads, len(workspaces), n_blocks)
        if n_threads == 1:
            for block in range(n_blocks):
                function(block, workspaces[0], 0)
                if reduce is not None:
                    reduce(block, 0)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.n_threads - 1)
        run = _InOrderRun(function, reduce, n_blocks, max(1, n_slots))
        error_state = np.geterr()

        def work(workspace):
            with np.errstate(**error_state):
                run.work(workspace)

        helpers = [
            self._executor.submit(work, workspace)
            for workspace in workspaces[1:n_threads]
        ]
        try:
            run.work(workspaces[0])
        finally:
            # The helpers use the shared buffers: wait for them even when
            # the calling thread failed, then raise their errors.
            for helper in helpers:
                helper.exception()
        for helper in helpers:
            helper.result()

    def close(self):
        """Stop the helper threads (if any); the runner can still be used."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
