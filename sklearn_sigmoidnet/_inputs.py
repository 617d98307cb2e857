"""The kernel's data: ``[X, 1]``, targets and weights, cut into row blocks.

:class:`BlockData` holds the samples the kernel trains or predicts on, in the
order given by ``rows`` (the estimator's canonical order), and hands each row
block its ``[X, 1]``:

- sparse X: one CSR matrix with the column of ones appended, sliced per block;
- dense X whose ``[X, 1]`` takes at most 64 MiB, or that is not C-contiguous
  (Fortran-ordered, a strided view): copied once, C-ordered, in kernel order;
- larger C-contiguous X (memory-mapped files among them): gathered block by
  block into the thread's workspace (the same numbers, O(block) memory).

Gathering rows from a C-ordered array reads one stretch of memory a row; from
a Fortran-ordered array it reads one a value, and ``np.take`` would even copy
the whole array first. So layouts other than C order are copied once, and a
fit runs at the same speed whatever the caller's memory layout.
"""

import numpy as np
import scipy.sparse as sp

from ._runner import block_bounds
from ._workspace import Rows

__all__ = ["BlockData", "RowBlock"]

# Up to this size, the inputs [X, 1] are copied once; larger C-ordered inputs
# are gathered block by block.
_COPY_BYTES = 64 * 2**20
# Rows copied at a time, so that a copy needs no full-size temporary.
_CHUNK_ROWS = 1 << 16
# With up to this many input columns, products with [X, 1] go through
# batched sub-blocks (see Rows).
_MAX_BATCHED_INPUTS = 32


class RowBlock:
    """One row block: its bounds and the views of the data it reads.

    Built once per kernel, so that evaluating a block creates no views of the
    data (every Python step of a block holds the interpreter's lock, which the
    other threads wait for). ``inputs`` is None when the block's ``[X, 1]`` is
    sliced (sparse) or gathered at evaluation time.
    """

    __slots__ = ("start", "stop", "n_rows", "inputs", "Y", "weight")

    def __init__(self, start, stop, inputs, Y, weight):
        self.start, self.stop, self.n_rows = start, stop, stop - start
        self.inputs, self.Y, self.weight = inputs, Y, weight


def _copy_rows(X, rows, out):
    """``out[:] = X[rows]`` (or ``X``) a chunk of rows at a time."""
    n_rows = out.shape[0]
    for start in range(0, n_rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_rows)
        out[start:stop] = X[start:stop] if rows is None else X[rows[start:stop]]


class BlockData:
    """Inputs, targets on the tanh scale and weights of the kernel's samples.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float32 or float64; never modified.
    Y : ndarray of shape (n_kernel_samples, n_outputs) or None
        Targets on the network's (0, 1) scale, in kernel order.
    sample_weight : ndarray of shape (n_kernel_samples,) or None
        Non-negative weights in kernel order; None for unit weights.
    rows : ndarray of int or None
        Sample ``k`` of the kernel is row ``rows[k]`` of X.
    n_hidden : int
        Hidden units (the block size depends on it).

    Attributes
    ----------
    Y_tanh : ndarray or None
        ``2 Y - 1``, so that ``2 (Yhat - Y) = To - Y_tanh`` with
        ``To = tanh(O / 2)``.
    scaled_weight : ndarray of shape (n_kernel_samples, 1) or None
        ``w / S`` in the compute dtype; None for unit weights.
    weight_sum : float
        ``S``, the sum of the weights (the number of samples when unweighted).
    blocks : list of RowBlock
    """

    def __init__(self, X, Y, sample_weight, *, rows, n_hidden):
        self.dtype = X.dtype
        self.sparse = sp.issparse(X)
        self.n_features = X.shape[1]
        self.n_samples = X.shape[0] if rows is None else len(rows)
        self._source, self._rows, self.inputs = None, None, None
        if self.sparse:
            X = sp.csr_array(X)
            X = X if rows is None else X[rows]
            # Append the column of ones once; blocks are sliced from it.
            ones = sp.csr_array(np.ones((X.shape[0], 1), dtype=self.dtype))
            self.inputs = sp.hstack([X, ones], format="csr", dtype=self.dtype)
        elif self._holds_copy(X):
            self.inputs = np.empty((self.n_samples, self.n_features + 1), self.dtype)
            _copy_rows(X, rows, self.inputs[:, :-1])
            self.inputs[:, -1] = 1.0
        else:
            self._source = X
            self._rows = None if rows is None else np.asarray(rows)
        self.Y_tanh = None
        if Y is not None:
            Y = np.asarray(Y, dtype=self.dtype)
            self.Y_tanh = 2 * (Y.reshape(-1, 1) if Y.ndim == 1 else Y) - 1
        self.weight_sum = float(self.n_samples)
        self.scaled_weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64)
            self.weight_sum = float(weight.sum())
            self.scaled_weight = (weight / self.weight_sum).astype(self.dtype)[:, None]
        self.batched = not self.sparse and self.n_features < _MAX_BATCHED_INPUTS
        self.bounds = block_bounds(self.n_samples, n_hidden, self.dtype.itemsize)
        self.blocks = [
            self.block(int(start), int(stop))
            for start, stop in zip(self.bounds[:-1], self.bounds[1:], strict=True)
        ]

    def _holds_copy(self, X):
        size = self.n_samples * (self.n_features + 1) * X.itemsize
        return size <= _COPY_BYTES or not X.flags.c_contiguous

    @property
    def gathers_inputs(self):
        """Whether blocks' ``[X, 1]`` are gathered into the workspaces."""
        return self._source is not None

    @property
    def max_block_rows(self):
        return int(np.max(np.diff(self.bounds)))

    def block(self, start, stop):
        """A :class:`RowBlock` for rows ``start:stop`` of the kernel's samples."""
        inputs = None
        if not self.sparse and not self.gathers_inputs:
            inputs = Rows(self.inputs[start:stop], self.batched)
        Y = None if self.Y_tanh is None else self.Y_tanh[start:stop]
        weight = None if self.scaled_weight is None else self.scaled_weight[start:stop]
        return RowBlock(start, stop, inputs, Y, weight)

    def block_inputs(self, block, buffers):
        """The block's ``[X, 1]``: :class:`Rows` when dense, else CSR."""
        if block.inputs is not None:
            return block.inputs
        if self.sparse:
            return self.inputs[block.start : block.stop]
        inputs = buffers.inputs
        if self._rows is None:
            inputs.whole[:, :-1] = self._source[block.start : block.stop]
        else:
            rows = self._rows[block.start : block.stop]
            np.take(self._source, rows, axis=0, out=inputs.whole[:, :-1])
        return inputs

    def dense_block_inputs(self, block, buffers):
        """The block's ``[X, 1]`` as a dense array (for the Jacobian)."""
        inputs = self.block_inputs(block, buffers)
        return inputs.toarray() if self.sparse else inputs.whole
