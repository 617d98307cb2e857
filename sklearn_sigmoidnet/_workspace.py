"""Per-thread buffers of the network kernel, allocated once and reused.

A :class:`Workspace` belongs to one thread of the runner and holds the
buffers of its largest block; :meth:`Workspace.buffers` hands out views of
them for blocks of a given number of rows. What each buffer holds, and at
what scale, is tabulated in :mod:`sklearn_sigmoidnet._network`.
"""

import numpy as np

from ._runner import SUB_ROWS

__all__ = ["Rows", "Workspace", "BlockBuffers"]


def _full_rows(n_rows, batched):
    """Rows of a block that go into batched sub-blocks: a multiple of SUB_ROWS."""
    return n_rows // SUB_ROWS * SUB_ROWS if batched else 0


class Rows:
    """A 2-D array of rows: whole, and as batched sub-blocks when ``batched``.

    With few input columns the products with ``[X, 1]`` are skinny, which BLAS
    does slowly; split into sub-blocks of ``SUB_ROWS`` rows they go through
    one batched numpy call each, served by OpenBLAS's small-matrix kernels.

    ``batched`` holds the rows up to a multiple of ``SUB_ROWS`` reshaped to
    ``(n_sub, SUB_ROWS, columns)`` and ``batched_transposed`` its transposed
    sub-blocks (both None when not batching); ``rest`` holds the rows after
    them (None when there are none).
    """

    __slots__ = ("whole", "batched", "batched_transposed", "rest")

    def __init__(self, array, batched):
        n_full = _full_rows(array.shape[0], batched)
        self.whole = array
        self.batched = (
            array[:n_full].reshape(-1, SUB_ROWS, array.shape[1]) if n_full else None
        )
        self.batched_transposed = (
            None if self.batched is None else self.batched.transpose(0, 2, 1)
        )
        self.rest = array[n_full:] if n_full < array.shape[0] else None


class BlockBuffers:
    """Views of a workspace's buffers for a block of ``n_rows`` rows."""

    def __init__(self, workspace, n_rows):
        def rows(array):
            return None if array is None else Rows(array[:n_rows], workspace.batched)

        self.inputs = rows(workspace.inputs)
        self.scaled_inputs = rows(workspace.scaled_inputs)
        self.hidden = rows(workspace.hidden)
        self.hidden_transposed = self.hidden.whole.T
        self.scratch = None if workspace.scratch is None else workspace.scratch[:n_rows]
        self.output = workspace.output[:n_rows]
        self.residual = workspace.residual[:n_rows]
        self.output_delta = workspace.output_delta[:n_rows]
        n_sub = _full_rows(n_rows, workspace.batched) // SUB_ROWS
        self.sub_partials = workspace.sub_partials[:n_sub]
        self.sub_partials_flat = self.sub_partials.reshape(
            n_sub, self.sub_partials[0].size if n_sub else 0
        )
        self.ones = workspace.ones[:, :n_sub]


class Workspace:
    """The buffers of one thread for blocks of up to ``max_rows`` rows.

    Parameters
    ----------
    max_rows : int
        Rows of the largest block.
    layout : ParameterLayout
    dtype : numpy dtype
        The kernel's compute dtype.
    gathers_inputs : bool
        Whether blocks' ``[X, 1]`` are gathered into this workspace (inputs
        not held whole by the kernel).
    sparse : bool
        Whether X is sparse (no scaled copy of the inputs; a scratch block).
    batched : bool
        Whether products with ``[X, 1]`` go through batched sub-blocks.
    """

    def __init__(self, max_rows, layout, dtype, *, gathers_inputs, sparse, batched):
        n_in = layout.n_features + 1
        n_hidden, n_outputs = layout.n_hidden, layout.n_outputs
        self.batched = batched
        self.inputs = None
        if gathers_inputs:
            self.inputs = np.empty((max_rows, n_in), dtype=dtype)
            self.inputs[:, -1] = 1.0
        self.scaled_inputs = None if sparse else np.empty((max_rows, n_in), dtype=dtype)
        self.hidden = np.empty((max_rows, n_hidden + 1), dtype=dtype)
        self.scratch = None
        if n_outputs > 1 or sparse:
            self.scratch = np.empty((max_rows, n_hidden + 1), dtype=dtype)
        self.output = np.empty((max_rows, n_outputs), dtype=dtype)
        self.residual = np.empty((max_rows, n_outputs), dtype=dtype)
        self.output_delta = np.empty((max_rows, n_outputs), dtype=dtype)
        n_sub = _full_rows(max_rows, batched) // SUB_ROWS
        self.sub_partials = np.empty((n_sub, n_in, n_hidden + 1), dtype=dtype)
        self.ones = np.ones((1, n_sub), dtype=dtype)
        self._views = {}

    def buffers(self, n_rows):
        """The :class:`BlockBuffers` for ``n_rows`` rows (cached: few sizes occur)."""
        views = self._views.get(n_rows)
        if views is None:
            views = self._views[n_rows] = BlockBuffers(self, n_rows)
        return views
