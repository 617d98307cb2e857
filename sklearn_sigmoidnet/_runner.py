"""The block plan and the runner: row blocks on threads, added up in block order.

The rows of a data set are cut into blocks whose boundaries depend on the
problem's shape and dtype alone (:func:`block_bounds`). A :class:`BlockRunner`
calls a function on every block, on several threads, each with its own
workspace; every block writes its own partial result into a slot, and the
calling thread adds the partials up in block order (``reduce``). So a sum over
rows has the same bits for every thread count, and whichever thread took
which block.
"""

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
# blocks are held before they are added up: the threads wait for each other
# only between such waves of blocks.
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


class BlockRunner:
    """Call a function on every row block, on up to ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
        Threads at most; a run uses no more threads than it has blocks or
        workspaces.

    Notes
    -----
    With several threads the blocks go out in waves of ``wave_size``; the
    threads (the calling one among them) take the blocks of a wave in turn
    from a shared iterator, so a thread on a faster core takes more of them.
    Block ``b`` writes into slot ``b % wave_size``, and after each wave
    ``reduce(b, slot)`` is called for its blocks in block order, on the calling
    thread. The helper threads run under the calling thread's numpy error
    state (``np.errstate`` is per thread).

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
    ...     runner.run(work, [None, None], n_blocks=10, wave_size=3, reduce=add)
    >>> float(total[0])
    285.0
    """

    def __init__(self, n_threads):
        self.n_threads = max(1, int(n_threads))
        self._executor = None

    def wave_size(self, n_blocks, partial_bytes, blocks_per_thread=4):
        """Blocks per wave: ``_PARTIALS_BYTES`` of partials, and at least
        ``blocks_per_thread`` blocks a thread (1 with a single thread)."""
        if min(self.n_threads, n_blocks) == 1:
            return 1
        by_memory = _PARTIALS_BYTES // max(1, int(partial_bytes))
        return min(n_blocks, max(blocks_per_thread * self.n_threads, by_memory))

    def run(self, function, workspaces, *, n_blocks, wave_size=1, reduce=None):
        """``function(block, workspace, slot)`` for blocks ``0 .. n_blocks - 1``,
        then ``reduce(block, slot)`` in block order (see the class notes).

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
        wave_size = max(1, wave_size)
        error_state = np.geterr()

        def work(blocks, workspace):
            # next() on a range iterator is atomic under Python's lock
            with np.errstate(**error_state):
                for block in blocks:
                    function(block, workspace, block % wave_size)

        for first in range(0, n_blocks, wave_size):
            wave = range(first, min(first + wave_size, n_blocks))
            blocks = iter(wave)
            helpers = [
                self._executor.submit(work, blocks, workspace)
                for workspace in workspaces[1:n_threads]
            ]
            try:
                work(blocks, workspaces[0])
            finally:
                # The helpers use the shared buffers: wait for them even when
                # the calling thread failed, then raise their errors.
                for helper in helpers:
                    helper.exception()
            for helper in helpers:
                helper.result()
            if reduce is not None:
                for block in wave:
                    reduce(block, block % wave_size)

    def close(self):
        """Stop the helper threads (if any); the runner can still be used."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
