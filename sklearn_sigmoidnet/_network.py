"""The network of the seed document: parameter layout, forward pass, loss and gradient.

This module is the only implementation of the mathematics. Every solver, the
estimator's ``predict`` and the tests go through :class:`NetworkKernel`.

Notation (``docs``: ``shared/seed/backprop_gradient_derivations.md``)::

    H    = [X, 1] W1            (2)  W1: (n_features + 1, n_hidden), last row = bias
    Z    = sigmoid(H)           (3)
    O    = [Z, 1] W2            (4)  W2: (n_hidden + 1, n_outputs), last row = bias
    Yhat = sigmoid(O)           (5)
    L    = 1/(2S) sum_i w_i sum_j (Y_ij - Yhat_ij)^2                         (1)
           + alpha/(2S) (||W1 without bias row||^2 + ||W2 without bias row||^2)

with ``S = sum_i w_i``. The gradient is eqs. (7) and (9) in matrix form::

    delta_O = (w_i / S) (Yhat - Y) Yhat (1 - Yhat)           dL/dO,  eqs. (6)-(7)
    dW2     = [Z, 1]^T delta_O  (+ alpha/S W2 off the bias)          eq. (7)
    delta_H = (delta_O W2^T) Z (1 - Z)                       dL/dH,  eqs. (8)-(9)
    dW1     = [X, 1]^T delta_H  (+ alpha/S W1 off the bias)          eq. (9)

Implementation notes. The sigmoid is evaluated as ``sigmoid(x) = 1/2 + tanh(x/2)/2``
(``numpy.tanh`` is several times cheaper than ``scipy.special.expit``, and never
overflows), so the kernel keeps ``T = tanh(H/2)`` and never forms ``Z``:
``Z = (1 + T)/2`` and ``Z (1 - Z) = (1 - T^2)/4``. The halvings are folded into
small copies of the weights, and the column of ones of ``[Z, 1]`` comes from a
constant hidden unit whose tanh is exactly 1 (``_CONSTANT_UNIT``), so the
output bias rides along in the products. The blocks accumulate ``8 S delta_O``
(``8 delta_O`` with sample weights) and the constant is applied once to the
summed gradient. Rows are processed in blocks whose boundaries depend on the
number of rows alone; every block writes its own partial gradient and the
partials are added in block order, so the result does not depend on how many
threads evaluated the blocks, nor on which thread evaluated which block.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ._layout import ParameterLayout

__all__ = ["ParameterLayout", "NetworkKernel", "loss_and_gradient", "block_bounds"]

# Rows per block: about this many bytes of hidden activations (rows x
# n_hidden). Large enough that the ~15 numpy calls of a block amortise their
# overhead (and the hand-offs of Python's lock between threads), small enough
# that a thread's buffers stay in a 2 MiB L2 cache.
_BLOCK_BYTES = 1024 * 1024
_MIN_BLOCK_ROWS = 256
_MAX_BLOCK_ROWS = 16384
# With several threads, the partial gradients of up to this many bytes of
# blocks (at least 4 per thread) are held before they are added up: the
# threads only wait for each other between such waves of blocks.
_PARTIALS_BYTES = 4 * 2**20
# Up to this size, the training inputs [X, 1] (reordered when asked) are
# copied once; larger inputs are copied or gathered block by block (same
# numbers, O(block) memory).
_COPY_BYTES = 64 * 2**20
# With few input columns, the two products with [X, 1] are skinny, which BLAS
# does slowly; split into sub-blocks of this many rows they go through one
# batched numpy call each, served by OpenBLAS's small-matrix kernels (about 2x
# faster here). Blocks are multiples of it.
_SUB_ROWS = 64
_MAX_BATCHED_INPUTS = 32
# H/2 of a constant hidden unit appended to every block: tanh of it is exactly
# 1.0 in float32 and float64, so [T, 1] (the hidden block with the column of
# ones of eq. (4)) is the output of a single product and tanh, and the output
# bias rides along in the products with [T, 1].
_CONSTANT_UNIT = 64.0


# Inputs or weights of huge magnitude can overflow X W1 (tanh(+-inf) = +-1 is
# harmless; inf - inf gives NaN). The callers check the results instead: the
# solvers treat a non-finite loss as a failed step, predict raises. So the
# kernel does not warn.
def _overflow_is_handled():
    return np.errstate(over="ignore", invalid="ignore")


def block_bounds(n_rows, n_hidden, itemsize):
    """Row-block boundaries, a function of the problem's shape and dtype alone.

    Returns an int array ``bounds`` such that block ``b`` holds rows
    ``bounds[b]:bounds[b + 1]``. The thread count never enters, which is what
    makes the results identical for every ``n_jobs``.
    """
    rows = _BLOCK_BYTES // max(1, n_hidden * itemsize)
    rows = int(min(_MAX_BLOCK_ROWS, max(_MIN_BLOCK_ROWS, rows)))
    n_blocks = max(1, -(-n_rows // rows))
    # Nearly equal blocks, each a multiple of _SUB_ROWS but the last.
    rows = _SUB_ROWS * -(-n_rows // (n_blocks * _SUB_ROWS))
    return np.append(np.arange(0, n_rows, rows), n_rows).astype(np.intp)


def _full_rows(n_rows, batched):
    """Rows of a block that go into batched sub-blocks: a multiple of _SUB_ROWS."""
    return n_rows // _SUB_ROWS * _SUB_ROWS if batched else 0


class _Rows:
    """A 2-D array of rows: whole, and as batched sub-blocks when ``batched``.

    ``batched`` holds the rows up to a multiple of ``_SUB_ROWS`` reshaped to
    ``(n_sub, _SUB_ROWS, columns)`` and ``batched_transposed`` its transposed
    sub-blocks (both None when not batching); ``rest`` holds the rows after
    them (None when there are none).
    """

    __slots__ = ("whole", "batched", "batched_transposed", "rest")

    def __init__(self, array, batched):
        n_full = _full_rows(array.shape[0], batched)
        self.whole = array
        self.batched = (
            array[:n_full].reshape(-1, _SUB_ROWS, array.shape[1]) if n_full else None
        )
        self.batched_transposed = (
            None if self.batched is None else self.batched.transpose(0, 2, 1)
        )
        self.rest = array[n_full:] if n_full < array.shape[0] else None


class _Block:
    """One row block: its bounds and the views of the data it reads.

    Built once per kernel, so that evaluating a block creates no views of the
    data (every Python step of a block holds the interpreter's lock, which the
    other threads wait for).
    """

    __slots__ = ("index", "start", "stop", "n_rows", "inputs", "Y", "weight")

    def __init__(self, index, start, stop, inputs, Y, weight):
        self.index, self.start, self.stop = index, start, stop
        self.n_rows = stop - start
        self.inputs, self.Y, self.weight = inputs, Y, weight


class _Buffers:
    """Views of a workspace's buffers for blocks of ``n_rows`` rows."""

    def __init__(self, workspace, n_rows):
        def rows(array):
            return None if array is None else _Rows(array[:n_rows], workspace.batched)

        self.inputs = rows(workspace.inputs)
        self.scaled_inputs = rows(workspace.scaled_inputs)
        self.hidden = rows(workspace.hidden)
        self.hidden_transposed = self.hidden.whole.T
        self.scratch = None if workspace.scratch is None else workspace.scratch[:n_rows]
        self.output = workspace.output[:n_rows]
        self.residual = workspace.output_delta[:n_rows]
        n_sub = _full_rows(n_rows, workspace.batched) // _SUB_ROWS
        self.sub_partials = workspace.sub_partials[:n_sub]
        self.sub_partials_flat = self.sub_partials.reshape(
            n_sub, self.sub_partials[0].size if n_sub else 0
        )
        self.ones = workspace.ones[:, :n_sub]


class _Workspace:
    """Buffers of one thread, allocated once per kernel and reused."""

    def __init__(self, max_rows, layout, dtype, copy_inputs, sparse, batched):
        n_in = layout.n_features + 1
        n_hidden, n_outputs = layout.n_hidden, layout.n_outputs
        self.batched = batched
        # [X, 1], filled block by block when the inputs are not held whole.
        self.inputs = np.empty((max_rows, n_in), dtype=dtype) if copy_inputs else None
        if copy_inputs:
            self.inputs[:, -1] = 1.0
        self.scaled_inputs = None if sparse else np.empty((max_rows, n_in), dtype=dtype)
        # [T, 1] with T = tanh(H/2), overwritten by 1 - T^2 in the backward
        # pass. The last column is a constant unit (see _CONSTANT_UNIT).
        self.hidden = np.empty((max_rows, n_hidden + 1), dtype=dtype)
        self.scratch = (
            np.empty((max_rows, n_hidden + 1), dtype=dtype)
            if n_outputs > 1 or sparse
            else None
        )
        self.output = np.empty((max_rows, n_outputs), dtype=dtype)
        self.output_delta = np.empty((max_rows, n_outputs), dtype=dtype)
        # Per-sub-block partial products [X, 1]^T delta_H, summed by a product
        # with a row of ones.
        n_sub = _full_rows(max_rows, batched) // _SUB_ROWS
        self.sub_partials = np.empty((n_sub, n_in, n_hidden + 1), dtype=dtype)
        self.ones = np.ones((1, n_sub), dtype=dtype)
        self._buffers = {}

    def buffers(self, n_rows):
        """The views for blocks of ``n_rows`` rows (cached: few sizes occur)."""
        views = self._buffers.get(n_rows)
        if views is None:
            views = self._buffers[n_rows] = _Buffers(self, n_rows)
        return views


class NetworkKernel:
    """Loss, gradient and forward pass of the network on a fixed data set.

    The data are held in the compute dtype (float32 or float64); the weights
    arrive as a flat parameter vector (any float dtype).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Inputs, float32 or float64. ``X`` is never modified.
    Y : ndarray of shape (n_kernel_samples, n_outputs), default=None
        Targets on the network's (0, 1) scale, for the kernel's samples (the
        rows of ``X`` picked by ``rows``). Needed for the loss.
    sample_weight : ndarray of shape (n_kernel_samples,), default=None
        Non-negative weights of the kernel's samples; None means unit weights.
    layout : ParameterLayout
    alpha : float, default=0.0
        L2 penalty, see the module docstring.
    rows : ndarray of int, default=None
        When given, sample ``k`` of the kernel is row ``rows[k]`` of ``X``.
        Used by the estimator to train on a canonical order of the samples.
    n_threads : int, default=1
        Threads that evaluate row blocks concurrently.
    """

    def __init__(
        self,
        X,
        Y=None,
        sample_weight=None,
        *,
        layout,
        alpha=0.0,
        rows=None,
        n_threads=1,
    ):
        self.layout = layout
        self.dtype = X.dtype
        self.sparse = sp.issparse(X)
        self.rows = None
        if self.sparse:
            X = sp.csr_array(X)
            if rows is not None:
                X = X[rows]
            # Append the column of ones once; blocks are sliced from it.
            ones = sp.csr_array(np.ones((X.shape[0], 1), dtype=self.dtype))
            self.inputs = sp.hstack([X, ones], format="csr", dtype=self.dtype)
            self.X = None
            self.n_samples = X.shape[0]
        else:
            self.n_samples = X.shape[0] if rows is None else len(rows)
            if self.n_samples * (X.shape[1] + 1) * X.itemsize <= _COPY_BYTES:
                self.inputs = np.empty((self.n_samples, X.shape[1] + 1), dtype=X.dtype)
                self.inputs[:, :-1] = X if rows is None else np.take(X, rows, axis=0)
                self.inputs[:, -1] = 1.0
                self.X = None
            else:
                self.inputs = None
                self.X = X
                self.rows = None if rows is None else np.asarray(rows)
        if Y is not None:
            Y = np.asarray(Y, dtype=self.dtype)
            if Y.ndim == 1:
                Y = Y.reshape(-1, 1)
            # Targets on the tanh scale: 2 (Yhat - Y) = To - (2 Y - 1).
            self.Y_tanh = 2 * Y - 1
        else:
            self.Y_tanh = None
        if sample_weight is None:
            self.weight_sum = float(self.n_samples)
            self.scaled_weight = None
        else:
            weight = np.asarray(sample_weight, dtype=np.float64)
            self.weight_sum = float(weight.sum())
            self.scaled_weight = (weight / self.weight_sum).astype(self.dtype)[:, None]
        self.alpha = float(alpha)
        self.bounds = block_bounds(self.n_samples, layout.n_hidden, self.dtype.itemsize)
        self.n_blocks = len(self.bounds) - 1
        max_rows = int(np.max(np.diff(self.bounds)))
        self._batched = not self.sparse and layout.n_features < _MAX_BATCHED_INPUTS
        self.n_threads = max(1, min(int(n_threads), self.n_blocks))
        self._workspaces = [
            _Workspace(
                max_rows,
                layout,
                self.dtype,
                copy_inputs=self.X is not None,
                sparse=self.sparse,
                batched=self._batched,
            )
            for _ in range(self.n_threads)
        ]
        self._penalty_mask = layout.penalty_mask(self.dtype)
        # Partial gradients are laid out for [T, 1]: W1's block has the
        # constant unit's column too (n_in x (n_hidden + 1)), dropped at the end.
        self._extended_size1 = (layout.n_features + 1) * (layout.n_hidden + 1)
        partial_size = self._extended_size1 + layout.shape2[0] * layout.n_outputs
        # Block b writes its partial gradient into slot b % wave; the calling
        # thread adds the partials in block order, so the sum is the same for
        # any thread count while memory stays O(wave x n_parameters).
        self._wave_size = (
            1
            if self.n_threads == 1
            else min(
                self.n_blocks,
                max(
                    4 * self.n_threads,
                    _PARTIALS_BYTES // (partial_size * self.dtype.itemsize),
                ),
            )
        )
        self._partial_gradients = np.empty(
            (self._wave_size, partial_size), dtype=self.dtype
        )
        self._slots = [
            self._unpack_partial(partial) for partial in self._partial_gradients
        ]
        self._partial_losses = np.empty(self.n_blocks, dtype=np.float64)
        self._gradient = np.empty(self._partial_gradients.shape[1], dtype=self.dtype)
        bounds = [int(bound) for bound in self.bounds]
        self._blocks = [
            self._make_block(index, bounds[index], bounds[index + 1])
            for index in range(self.n_blocks)
        ]
        self._executor = None

    # ------------------------------------------------------------------ blocks
    def _make_block(self, index, start, stop):
        """A :class:`_Block` for rows ``start:stop`` (``index`` -1: a sub-range)."""
        inputs = None  # sparse or gathered inputs are sliced per evaluation
        if self.X is None and not self.sparse:
            inputs = _Rows(self.inputs[start:stop], self._batched)
        Y = None if self.Y_tanh is None else self.Y_tanh[start:stop]
        weight = None if self.scaled_weight is None else self.scaled_weight[start:stop]
        return _Block(index, start, stop, inputs, Y, weight)

    def _input_block(self, block, buffers):
        """The block's ``[X, 1]``: :class:`_Rows` when dense, else CSR."""
        if block.inputs is not None:
            return block.inputs
        if self.sparse:
            return self.inputs[block.start : block.stop]
        inputs = buffers.inputs
        if self.rows is None:
            inputs.whole[:, :-1] = self.X[block.start : block.stop]
        else:
            rows = self.rows[block.start : block.stop]
            np.take(self.X, rows, axis=0, out=inputs.whole[:, :-1])
        return inputs

    def _forward_block(self, block, workspace, W1_half, W2_half):
        """Fill ``[T, 1]`` and ``To = tanh(O/2)`` for one row block.

        ``W1_half`` and ``W2_half`` come from :meth:`_forward_weights`. Returns
        the block's ``[X, 1]`` and its :class:`_Buffers`, whose ``hidden``
        holds ``[T, 1]`` and ``output`` holds ``To``.
        """
        buffers = workspace.buffers(block.n_rows)
        inputs = self._input_block(block, buffers)
        T = buffers.hidden.whole
        if self.sparse:
            T[...] = inputs @ W1_half  # H/2 = [X, 1] W1 / 2                 eq. (2)
        else:
            self._rows_product(inputs, W1_half, buffers.hidden)  #           eq. (2)
        np.tanh(T, out=T)  # T = tanh(H/2), Z = (1 + T)/2                    eq. (3)
        output = buffers.output
        np.matmul(T, W2_half, out=output)  # O/2 = [Z, 1] W2 / 2             eq. (4)
        np.tanh(output, out=output)  # To = tanh(O/2), Yhat = (1 + To)/2     eq. (5)
        return inputs, buffers

    def _residual_block(self, block, workspace, W1_half, W2_half):
        """Forward pass of a block, its residual and its share of the loss.

        Returns ``([X, 1], buffers, weighted 2R)``: ``buffers.residual`` holds
        ``2R = 2 (Yhat - Y)``, the weighted residual is ``(w/S) 2R`` (``2R``
        itself for unit weights).
        """
        inputs, buffers = self._forward_block(block, workspace, W1_half, W2_half)
        residual = buffers.residual
        # 2R = 2 (Yhat - Y) = To - (2Y - 1)
        np.subtract(buffers.output, block.Y, out=residual)
        weighted = residual if block.weight is None else residual * block.weight
        # 4 sum R^2 (w/S): the squared error of eq. (1), scaled in _total_loss
        self._partial_losses[block.index] = np.vdot(residual, weighted)
        return inputs, buffers, weighted

    def _loss_block(self, block, workspace, W1_half, W2_half):
        self._residual_block(block, workspace, W1_half, W2_half)

    def _loss_gradient_block(self, block, workspace, W1_half, W2_half, W2_backward):
        """Partial gradient of one block, up to the constant factor of
        :meth:`_loss_gradient` (every step below is linear in delta_O)."""
        inputs, buffers, weighted = self._residual_block(
            block, workspace, W1_half, W2_half
        )
        output = buffers.output
        # 8 delta_O = (w/S) 2R 4 Yhat (1 - Yhat), 4 Yhat (1 - Yhat) = 1 - To^2  (7)
        np.square(output, out=output)
        np.subtract(1.0, output, out=output)
        output_delta = np.multiply(weighted, output, out=buffers.residual)
        grad1, grad2 = self._slots[block.index % self._wave_size]
        T = buffers.hidden.whole
        # [T, 1]^T delta_O, turned into [Z, 1]^T delta_O after the sum       eq. (7)
        np.matmul(buffers.hidden_transposed, output_delta, out=grad2)
        # delta_H = (delta_O W2^T) Z (1 - Z), Z (1 - Z) = (1 - T^2)/4         eq. (9)
        sech2 = T  # [T, 1] is not needed any more: overwrite it with 1 - T^2
        np.multiply(T, T, out=sech2)
        np.subtract(1.0, sech2, out=sech2)  # 0 in the constant unit's column
        if W2_backward is None:
            # One output (dense X): delta_O W2^T is an outer product. Scale the narrow
            # [X, 1] by delta_O instead of the hidden block, and the columns of
            # the summed dW1 by W2^T/4 once, at the end.
            scaled_inputs = buffers.scaled_inputs
            np.multiply(inputs.whole, output_delta, out=scaled_inputs.whole)
            # dW1 = [X, 1]^T delta_H                                          eq. (9)
            self._transposed_product(scaled_inputs, buffers, grad1)
            return
        np.matmul(output_delta, W2_backward, out=buffers.scratch)  # delta_O W2^T/4
        sech2 *= buffers.scratch
        # dW1 = [X, 1]^T delta_H                                              eq. (9)
        if self.sparse:
            grad1[...] = inputs.T @ sech2
        else:
            self._transposed_product(inputs, buffers, grad1)

    def _unpack_partial(self, partial):
        """``(dW1 with the constant unit's column, dW2)`` views of a partial."""
        layout = self.layout
        grad1 = partial[: self._extended_size1].reshape(
            layout.n_features + 1, layout.n_hidden + 1
        )
        grad2 = partial[self._extended_size1 :].reshape(layout.shape2)
        return grad1, grad2

    @staticmethod
    def _rows_product(A, B, out):
        """``out = A @ B`` for :class:`_Rows` A and out, batched when A is narrow."""
        if A.batched is not None:
            np.matmul(A.batched, B, out=out.batched)
        if A.rest is not None:
            np.matmul(A.rest, B, out=out.rest)

    @staticmethod
    def _transposed_product(A, buffers, out):
        """``out = A^T [T, 1]`` (``buffers.hidden``) for :class:`_Rows` A.

        When batched, the products of the sub-blocks are summed by one more
        product, with a row of ones.
        """
        B = buffers.hidden
        if A.batched is None:
            np.matmul(A.whole.T, B.whole, out=out)
            return
        np.matmul(A.batched_transposed, B.batched, out=buffers.sub_partials)
        np.matmul(buffers.ones, buffers.sub_partials_flat, out=out.reshape(1, -1))
        if A.rest is not None:
            out += A.rest.T @ B.rest

    def _run_blocks(self, function, *args, reduce=None):
        """Call ``function(block, workspace, *args)`` for every :class:`_Block`.

        With several threads, blocks go out in waves of ``_wave_size``; the
        threads (the calling thread among them) take the blocks of a wave in
        turn from a shared iterator, each with its own workspace, so a thread
        on a faster core takes more of them. After each wave
        ``reduce(block)`` is called for its blocks in block order, on the
        calling thread: the results do not depend on who evaluated what.
        """
        workspaces = self._workspaces
        n_threads = self.n_threads
        if n_threads == 1:
            for block in self._blocks:
                function(block, workspaces[0], *args)
                if reduce is not None:
                    reduce(block)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=n_threads - 1)

        def run(blocks, workspace):
            with _overflow_is_handled():  # numpy's error state is per thread
                # next() on a list iterator is atomic under Python's lock
                for block in blocks:
                    function(block, workspace, *args)

        wave = self._wave_size
        for first in range(0, self.n_blocks, wave):
            wave_blocks = self._blocks[first : first + wave]
            blocks = iter(wave_blocks)
            helpers = [
                self._executor.submit(run, blocks, workspace)
                for workspace in workspaces[1:]
            ]
            try:
                run(blocks, workspaces[0])
            finally:
                # The helpers use the shared buffers: wait for them even when
                # the calling thread failed, then raise their errors.
                for helper in helpers:
                    helper.exception()
            for helper in helpers:
                helper.result()
            if reduce is not None:
                for block in wave_blocks:
                    reduce(block)

    def close(self):
        """Stop the worker threads (if any)."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------- public API
    def _forward_weights(self, theta):
        """Weights of the forward pass on the tanh scale, in the kernel's dtype.

        ``[X, 1] W1' = H/2`` plus a last column equal to ``_CONSTANT_UNIT``,
        whose tanh is exactly 1: the hidden block ``[T, 1]`` comes out of one
        product and one tanh. ``[T, 1] W2' = O/2`` with
        ``W2' = [W2_hidden / 4 ; b2 / 2 + colsum(W2_hidden) / 4]``, since
        ``[Z, 1] W2 = [(1 + T)/2, 1] W2``.
        """
        W1, W2 = self.layout.unpack(theta)
        dtype = self.dtype
        W1_half = np.zeros((W1.shape[0], W1.shape[1] + 1), dtype=dtype)
        np.multiply(W1, 0.5, out=W1_half[:, :-1], casting="unsafe")
        W1_half[-1, -1] = _CONSTANT_UNIT
        W2_half = np.empty(self.layout.shape2, dtype=dtype)
        W2_half[:-1] = W2[:-1] * 0.25
        W2_half[-1] = (W2[-1] + 0.5 * W2[:-1].sum(axis=0)) * 0.5
        return W1_half, W2_half

    def loss_gradient(self, theta, gradient=None):
        """Loss (1) and its gradient (7), (9) at the flat parameters ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_parameters,)
        gradient : ndarray of shape (n_parameters,), default=None
            Written in place when given (any float dtype).

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_parameters,), in the kernel's dtype
            unless ``gradient`` was given.
        """
        with _overflow_is_handled():
            return self._loss_gradient(theta, gradient)

    def _loss_gradient(self, theta, gradient=None):
        layout, dtype = self.layout, self.dtype
        theta = np.asarray(theta)
        W1_half, W2_half = self._forward_weights(theta)
        _, W2 = layout.unpack(theta)
        single_output = layout.n_outputs == 1 and not self.sparse
        # W2^T / 4 (eq. 9); a zero column for the constant unit
        W2_backward = np.zeros((layout.n_outputs, layout.n_hidden + 1), dtype=dtype)
        W2_backward[:, :-1] = (W2[:-1] * 0.25).T
        total = self._gradient
        total[...] = 0.0
        partials = self._partial_gradients
        wave = self._wave_size

        def add_partial(block):
            np.add(total, partials[block.index % wave], out=total)

        if self.n_samples:
            self._run_blocks(
                self._loss_gradient_block,
                W1_half,
                W2_half,
                None if single_output else W2_backward,
                reduce=add_partial,
            )
        # The blocks summed 8 S delta_O (unit weights) or 8 delta_O (weights
        # (w/S) applied per row); the constant is applied here, once.
        scale = 0.125 / self.weight_sum if self.scaled_weight is None else 0.125
        if gradient is None:
            gradient = np.empty(layout.n_parameters, dtype=dtype)
        summed1, summed2 = self._unpack_partial(total)
        grad1, grad2 = layout.unpack(gradient)
        if single_output:
            # the deferred column scaling by W2^T/4                         eq. (9)
            np.multiply(summed1[:, :-1], W2_backward[:, :-1] * scale, out=grad1)
        else:
            np.multiply(summed1[:, :-1], scale, out=grad1)
        np.multiply(summed2, scale, out=grad2)
        # [Z, 1]^T delta_O from [T, 1]^T delta_O, Z = (1 + T)/2             eq. (7)
        grad2[:-1] += grad2[-1]
        grad2[:-1] *= 0.5
        if self.alpha:
            gradient += (self.alpha / self.weight_sum) * (theta * self._penalty_mask)
        return self._total_loss(theta), gradient

    # ----------------------------------------------------- Gauss-Newton (LM)
    def _residual_scale(self, start, stop):
        """sqrt(w_i / S) for the rows of a block, shape (rows, 1)."""
        if self.scaled_weight is None:
            return self.dtype.type(np.sqrt(1.0 / self.weight_sum))
        return np.sqrt(self.scaled_weight[start:stop])

    def _jacobian_block(self, start, stop, workspace, theta, W1_half, W2_half):
        """Residuals and Jacobian of one row block, rows ordered (sample, output).

        ``r_ij = sqrt(w_i/S) (Yhat_ij - Y_ij)``; the Jacobian is the chain rule of
        eqs. (7) and (9) before the sum over samples:
        ``dr_ij/dW2[k, j] = sqrt(w_i/S) Yhat_ij (1 - Yhat_ij) [Z, 1]_ik`` and
        ``dr_ij/dW1[k, l] = sqrt(w_i/S) Yhat_ij (1 - Yhat_ij) W2[l, j]
        Z_il (1 - Z_il) [X, 1]_ik``.
        """
        layout = self.layout
        n_rows = stop - start
        n_in, n_hidden, n_outputs = (
            layout.n_features + 1,
            layout.n_hidden,
            layout.n_outputs,
        )
        block = self._make_block(-1, start, stop)
        inputs, buffers = self._forward_block(block, workspace, W1_half, W2_half)
        inputs = inputs.toarray() if self.sparse else inputs.whole
        T = buffers.hidden.whole[:, :-1]  # without the constant unit
        output = buffers.output
        scale = self._residual_scale(start, stop)
        # r = sqrt(w/S) (Yhat - Y), 2 (Yhat - Y) = To - (2Y - 1)
        residual = (output - self.Y_tanh[start:stop]) * (0.5 * scale)
        # a = sqrt(w/S) Yhat (1 - Yhat) = sqrt(w/S) (1 - To^2)/4           eq. (7)
        a = (1.0 - output * output) * (0.25 * scale)
        _, W2 = layout.unpack(theta)
        jacobian = np.zeros((n_rows, n_outputs, layout.n_parameters), dtype=self.dtype)
        J1 = jacobian[:, :, : layout.size1].reshape(n_rows, n_outputs, n_in, n_hidden)
        J2 = jacobian[:, :, layout.size1 :].reshape(
            n_rows, n_outputs, n_hidden + 1, n_outputs
        )
        # G_ijl = a_ij W2[l, j] Z_il (1 - Z_il), Z (1 - Z) = (1 - T^2)/4      eq. (9)
        sech2 = (1.0 - T * T) * 0.25
        G = a[:, :, None] * W2[:-1].T.astype(self.dtype)[None, :, :] * sech2[:, None]
        np.multiply(inputs[:, None, :, None], G[:, :, None, :], out=J1)
        Z = 0.5 + 0.5 * T
        for j in range(n_outputs):  # dr_ij / dW2[:, j] = a_ij [Z, 1]     eq. (7)
            J2[:, j, :-1, j] = a[:, j, None] * Z
            J2[:, j, -1, j] = a[:, j]
        return residual.reshape(-1), jacobian.reshape(n_rows * n_outputs, -1)

    def residuals_jacobian(self, theta):
        """All residuals and the whole Jacobian (tests and small problems only).

        The penalty adds ``sqrt(alpha/S) theta`` residuals over the non-bias
        weights, so that ``0.5 ||r||^2`` is the loss of :meth:`loss_gradient`.
        """
        theta = np.asarray(theta)
        W1_half, W2_half = self._forward_weights(theta)
        parts = [
            self._jacobian_block(
                self.bounds[b],
                self.bounds[b + 1],
                self._workspaces[0],
                theta,
                W1_half,
                W2_half,
            )
            for b in range(self.n_blocks)
        ]
        residuals = np.concatenate([part[0] for part in parts])
        jacobian = np.vstack([part[1] for part in parts])
        if self.alpha:
            penalised = np.flatnonzero(self._penalty_mask)
            root = np.sqrt(self.alpha / self.weight_sum)
            residuals = np.concatenate([residuals, root * theta[penalised]])
            penalty_rows = np.zeros((penalised.size, theta.size), dtype=self.dtype)
            penalty_rows[np.arange(penalised.size), penalised] = root
            jacobian = np.vstack([jacobian, penalty_rows])
        return residuals, jacobian

    def normal_equations(self, theta, JtJ, Jtr):
        """Accumulate ``J^T J`` and ``J^T r`` over row blocks; return the loss.

        ``JtJ`` (Fortran-ordered, float64, upper triangle filled) and ``Jtr`` are
        overwritten. Each block's Jacobian, ``rows x n_parameters``, is formed
        in turn, so memory is O(P^2 + block x P); ``J^T J`` is added with BLAS
        ``syrk`` from SciPy, the library that then factorises it.
        """
        from scipy.linalg.blas import get_blas_funcs

        theta = np.asarray(theta, dtype=np.float64)
        W1_half, W2_half = self._forward_weights(theta)
        syrk = get_blas_funcs("syrk", dtype=np.float64)
        JtJ[...] = 0.0
        Jtr[...] = 0.0
        squared = 0.0
        with _overflow_is_handled():
            for start, stop in self._jacobian_bounds():
                residual, jacobian = self._jacobian_block(
                    start, stop, self._workspaces[0], theta, W1_half, W2_half
                )
                jacobian = jacobian.astype(np.float64, copy=False)
                # J^T J += J_b^T J_b (upper triangle), in place
                syrk(1.0, jacobian.T, beta=1.0, c=JtJ, trans=0, overwrite_c=1)
                Jtr += jacobian.T @ residual
                squared += float(np.vdot(residual, residual))
            penalty = self._penalty_mask.astype(np.float64) * (
                self.alpha / self.weight_sum
            )
            JtJ[np.diag_indices_from(JtJ)] += penalty
            Jtr += penalty * theta
        return 0.5 * squared + 0.5 * float(np.vdot(theta, penalty * theta))

    def _jacobian_bounds(self):
        """Sub-blocks of the row blocks holding about 4 MiB of Jacobian each."""
        rows = max(
            1, (4 * 2**20) // (8 * self.layout.n_parameters * self.layout.n_outputs)
        )
        for block in range(self.n_blocks):
            start, stop = int(self.bounds[block]), int(self.bounds[block + 1])
            for first in range(start, stop, rows):
                yield first, min(first + rows, stop)

    def loss(self, theta):
        """The loss (1) alone, from a forward pass: for trial steps."""
        theta = np.asarray(theta)
        with _overflow_is_handled():
            W1_half, W2_half = self._forward_weights(theta)
            if self.n_samples:
                self._run_blocks(self._loss_block, W1_half, W2_half)
            return self._total_loss(theta)

    def _total_loss(self, theta):
        """Loss (1) plus penalty from the blocks' partial sums."""
        # The blocks summed (2R)^2 = 4 R^2
        squared_error = 0.25 * float(np.sum(self._partial_losses))
        if self.scaled_weight is None:
            squared_error /= self.weight_sum
        penalised = theta * self._penalty_mask
        penalty = (
            0.5 * self.alpha / self.weight_sum * float(np.vdot(penalised, penalised))
        )
        return 0.5 * squared_error + penalty

    def _predict_block(self, block, workspace, W1_half, W2_half, out):
        _, buffers = self._forward_block(block, workspace, W1_half, W2_half)
        # Yhat = (1 + To)/2                                                 eq. (5)
        predictions = out[block.start : block.stop]
        np.multiply(buffers.output, 0.5, out=predictions)
        predictions += 0.5

    def predict(self, theta, out=None):
        """Network outputs ``Yhat`` in (0, 1), shape (n_samples, n_outputs).

        NaN where X W1 overflowed (inf - inf); the caller checks.
        """
        with _overflow_is_handled():
            return self._predict(theta, out)

    def _predict(self, theta, out=None):
        if out is None:
            out = np.empty((self.n_samples, self.layout.n_outputs), dtype=self.dtype)
        W1_half, W2_half = self._forward_weights(np.asarray(theta))
        if self.n_samples:
            self._run_blocks(self._predict_block, W1_half, W2_half, out)
        return out


def loss_and_gradient(X, Y, W1, W2, *, sample_weight=None, alpha=0.0):
    """Loss (1) of the seed document and its hand-coded gradient (7), (9).

    ``L = 1/(2S) sum_i w_i sum_j (Y_ij - Yhat_ij)^2
    + alpha/(2S) (||W1[:-1]||^2 + ||W2[:-1]||^2)`` with ``S = sum_i w_i``,
    for the network ``H = [X, 1] W1`` (2), ``Z = sigmoid(H)`` (3),
    ``O = [Z, 1] W2`` (4), ``Yhat = sigmoid(O)`` (5). With unit weights, one
    output and ``alpha=0`` this is eq. (1) exactly and the gradient is
    eqs. (7) and (9). The estimator trains through this same code
    (:class:`NetworkKernel`).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs; computed in float32 when X is float32, otherwise float64.
    Y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Targets on the network's own (0, 1) scale.
    W1 : ndarray of shape (n_features + 1, n_hidden)
        Input-to-hidden weights; the last row is the hidden bias.
    W2 : ndarray of shape (n_hidden + 1, n_outputs)
        Hidden-to-output weights; the last row is the output bias. For a
        one-dimensional Y, shape (n_hidden + 1,) is accepted too.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights ``w_i``; None means all ones.
    alpha : float, default=0.0
        L2 penalty on the non-bias weights.

    Returns
    -------
    loss : float
    dW1 : ndarray, shaped like W1
    dW2 : ndarray, shaped like W2

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet import loss_and_gradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(5, 3))
    >>> Y = rng.uniform(0.1, 0.9, size=5)
    >>> W1 = rng.normal(size=(4, 2))
    >>> W2 = rng.normal(size=(3, 1))
    >>> loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2)
    >>> dW1.shape, dW2.shape
    ((4, 2), (3, 1))
    >>> bool(loss > 0)
    True
    """
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype, copy=False) if sp.issparse(X) else np.asarray(X, dtype=dtype)
    Y = np.asarray(Y, dtype=dtype)
    W1 = np.asarray(W1)
    W2 = np.asarray(W2)
    W2_shape = W2.shape
    if W2.ndim == 1:
        W2 = W2.reshape(-1, 1)
    n_outputs = 1 if Y.ndim == 1 else Y.shape[1]
    layout = ParameterLayout(X.shape[1], W1.shape[1], n_outputs)
    if W1.shape != layout.shape1 or W2.shape != layout.shape2:
        raise ValueError(
            f"W1 must have shape {layout.shape1} and W2 {layout.shape2} for X of "
            f"shape {X.shape} and {n_outputs} output(s); got {W1.shape} and "
            f"{W2_shape}."
        )
    kernel = NetworkKernel(X, Y, sample_weight, layout=layout, alpha=alpha)
    loss, gradient = kernel.loss_gradient(layout.pack(W1, W2, dtype=dtype))
    dW1, dW2 = layout.unpack(gradient)
    return loss, dW1.copy(), dW2.reshape(W2_shape).copy()
