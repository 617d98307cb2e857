"""The network kernel: loss, gradient, predictions and normal equations on a data set.

:class:`NetworkKernel` wires the rooms together: the data cut into row blocks
(:mod:`._inputs`), the per-thread buffers (:mod:`._workspace`), the runner
(:mod:`._runner`), the network's math per block (:mod:`._network`) and
Gauss-Newton (:mod:`._gauss_newton`). Every solver, the estimator's
``predict`` and :func:`loss_and_gradient` go through it.
"""

from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from ._gauss_newton import KroneckerProducts, NormalEquations
from ._inputs import BlockData
from ._layout import ParameterLayout, penalty_terms
from ._network import (
    GradientPartials,
    backward_weights,
    finish_gradient,
    forward_block,
    forward_weights,
    multi_output_gradient_block,
    output_delta,
    residual_block,
    single_output_gradient_block,
    total_loss,
)
from ._row_space import RowSpaceCurvature
from ._runner import BlockRunner
from ._threads import blas_single_threaded
from ._workspace import Workspace

__all__ = ["NetworkKernel", "loss_and_gradient"]


@contextmanager
def _overflow_is_handled():
    """BLAS on one thread (the runner parallelises over blocks itself; a fit
    has set this already, which makes it cheap), and no overflow warnings:
    inputs or weights of huge magnitude can overflow X W1 (tanh(+-inf) = +-1
    is harmless; inf - inf gives NaN), and the callers check the results
    instead (the solvers treat a non-finite loss as a failed step, predict
    raises)."""
    with blas_single_threaded(), np.errstate(over="ignore", invalid="ignore"):
        yield


class NetworkKernel:
    """Loss, gradient and forward pass of the network on a fixed data set.

    The data are held in the compute dtype (float32 or float64); the weights
    arrive as a flat parameter vector (any float dtype). Use it as a context
    manager, or call :meth:`close`, to stop its threads.

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
    alpha : float or ndarray of shape (3,), default=0.0
        L2 penalty ``alpha/(2S) (||W1[:-1]||^2 + ||W2[:-1]||^2)``; or, as
        ``alpha="auto"`` fits it, one penalty each for the input weights
        ``W1[:-1]``, the hidden biases ``W1[-1]`` and the output weights
        ``W2[:-1]`` (``alpha_`` of a fitted estimator).
    rows : ndarray of int, default=None
        When given, sample ``k`` of the kernel is row ``rows[k]`` of ``X``.
    n_threads : int, default=1
        Threads that evaluate row blocks concurrently; the results are the
        same, bit for bit, for every value.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet import NetworkKernel, ParameterLayout
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(100, 3)), rng.uniform(0.2, 0.8, size=(100, 1))
    >>> layout = ParameterLayout(n_features=3, n_hidden=5, n_outputs=1)
    >>> theta = rng.normal(size=layout.n_parameters)
    >>> with NetworkKernel(X, Y, layout=layout, n_threads=2) as kernel:
    ...     loss, gradient = kernel.loss_gradient(theta)
    >>> gradient.shape
    (26,)
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
        self.data = data = BlockData(
            X, Y, sample_weight, rows=rows, n_hidden=layout.n_hidden
        )
        self.dtype, self.n_samples = data.dtype, data.n_samples
        self.runner = BlockRunner(min(n_threads, len(data.blocks)))
        self._workspaces = [
            Workspace(
                data.max_block_rows,
                layout,
                self.dtype,
                gathers_inputs=data.gathers_inputs,
                sparse=data.sparse,
                batched=data.batched,
            )
            for _ in range(self.runner.n_threads)
        ]
        self._mask = layout.penalty_mask(self.dtype)
        self.set_alpha(alpha)
        self._single_output = layout.n_outputs == 1 and not data.sparse
        self._partial_losses = np.empty(len(data.blocks), dtype=np.float64)
        self._gradients = None  # GradientPartials, made on first use
        self._normal_equations = None  # NormalEquations, made on first use
        self._kronecker = None  # KroneckerProducts, made on first use

    def set_alpha(self, alpha):
        """Change the L2 penalty (Bayesian regularisation updates it): a float
        on every non-bias weight, or one per group of
        ``ParameterLayout.penalty_groups`` (an array of three)."""
        self.alpha, self._penalty_scale, self._penalty = penalty_terms(
            self.layout, alpha, self.data.weight_sum, self._mask, self.dtype
        )
        if getattr(self, "_normal_equations", None) is not None:
            self._normal_equations.penalty = self._penalty

    @property
    def n_blocks(self):
        return len(self.data.blocks)

    @property
    def n_threads(self):
        return self.runner.n_threads

    # ----------------------------------------------------------- per block
    def _residual(self, block_index, workspace, weights):
        """Forward pass and residual of a block; records its partial loss."""
        block = self.data.blocks[block_index]
        buffers = workspace.buffers(block.n_rows)
        inputs = self.data.block_inputs(block, buffers)
        forward_block(inputs, buffers, *weights)
        weighted, partial_loss = residual_block(block, buffers)
        self._partial_losses[block_index] = partial_loss
        return inputs, buffers, weighted

    def _loss_gradient_block(self, block_index, workspace, slot, weights, W2_backward):
        inputs, buffers, weighted = self._residual(block_index, workspace, weights)
        delta = output_delta(buffers, weighted)
        slot = self._gradients.slots[slot]
        if self._single_output:
            single_output_gradient_block(inputs, buffers, delta, slot)
        else:
            multi_output_gradient_block(inputs, buffers, delta, slot, W2_backward)

    def _predict_block(self, block_index, workspace, weights, out):
        block = self.data.blocks[block_index]
        buffers = workspace.buffers(block.n_rows)
        forward_block(self.data.block_inputs(block, buffers), buffers, *weights)
        predictions = out[block.start : block.stop]
        np.multiply(buffers.output, 0.5, out=predictions)  # Yhat = (1 + To)/2  (5)
        predictions += 0.5

    # ---------------------------------------------------------- public API
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
        theta = np.asarray(theta)
        if self._gradients is None:
            size = GradientPartials.partial_size(self.layout) * self.dtype.itemsize
            n_slots = self.runner.n_slots(self.n_blocks, size)
            self._gradients = GradientPartials(self.layout, self.dtype, n_slots)
        partials = self._gradients
        partials.total[...] = 0.0
        with _overflow_is_handled():
            weights = forward_weights(self.layout, theta, self.dtype)
            W2_backward = backward_weights(self.layout, theta, self.dtype)
            if self.n_samples:
                self.runner.run(
                    lambda block, workspace, slot: self._loss_gradient_block(
                        block, workspace, slot, weights, W2_backward
                    ),
                    self._workspaces,
                    n_blocks=self.n_blocks,
                    n_slots=partials.partials.shape[0],
                    reduce=lambda block, slot: partials.add(slot),
                )
            if gradient is None:
                gradient = np.empty(self.layout.n_parameters, dtype=self.dtype)
            weighted = self.data.scaled_weight is not None
            finish_gradient(
                partials,
                theta,
                gradient,
                scale=0.125 if weighted else 0.125 / self.data.weight_sum,
                W2_backward=W2_backward if self._single_output else None,
                penalty=self._penalty,
            )
        return self._total_loss(theta), gradient

    def loss(self, theta):
        """The loss (1) alone, from a forward pass: for trial steps."""
        theta = np.asarray(theta)
        with _overflow_is_handled():
            weights = forward_weights(self.layout, theta, self.dtype)
            if self.n_samples:
                self.runner.run(
                    lambda block, workspace, slot: self._residual(
                        block, workspace, weights
                    ),
                    self._workspaces,
                    n_blocks=self.n_blocks,
                )
            return self._total_loss(theta)

    def _total_loss(self, theta):
        return total_loss(
            self._partial_losses,
            theta,
            self._penalty[1],
            weight_sum=self.data.weight_sum,
            weighted=self.data.scaled_weight is not None,
            alpha=self._penalty_scale,
        )

    def predict(self, theta, out=None):
        """Network outputs ``Yhat`` in (0, 1), shape (n_samples, n_outputs).

        NaN where X W1 overflowed (inf - inf); the caller checks.
        """
        if out is None:
            out = np.empty((self.n_samples, self.layout.n_outputs), dtype=self.dtype)
        with _overflow_is_handled():
            weights = forward_weights(self.layout, np.asarray(theta), self.dtype)
            if self.n_samples:
                self.runner.run(
                    lambda block, workspace, slot: self._predict_block(
                        block, workspace, weights, out
                    ),
                    self._workspaces,
                    n_blocks=self.n_blocks,
                )
        return out

    def _gauss_newton(self):
        if self._normal_equations is None:
            self._normal_equations = NormalEquations(
                self.data, self.layout, self.runner, self._workspaces, self._penalty
            )
        return self._normal_equations

    def normal_equations(self, theta, JtJ, Jtr):
        """Fill ``J^T J`` (both triangles) and ``J^T r``; return the loss.

        ``JtJ`` is a Fortran-ordered float64 ``(P, P)`` array and ``Jtr`` a
        float64 ``(P,)`` array, both overwritten. Memory beyond them is
        O(threads x (P^2 + 4 MiB)); see :mod:`._gauss_newton`.
        """
        with _overflow_is_handled():
            return self._gauss_newton()(theta, JtJ, Jtr)

    def residuals_jacobian(self, theta):
        """All residuals and the whole Jacobian (tests and small problems only).

        The penalty adds ``sqrt(alpha/S) theta`` residuals over the non-bias
        weights, so that ``0.5 ||r||^2`` is the loss of :meth:`loss_gradient`.
        """
        with _overflow_is_handled():
            return self._gauss_newton().residuals_jacobian(theta)

    def row_space_jacobian(self, theta, out):
        """Fill ``out`` (float64, ``(n_samples n_outputs, P)``) with the
        Jacobian ``sqrt(w_i) dYhat_ij/dtheta`` of the row-space form
        (:class:`~._row_space.RowSpaceCurvature`), block by block on the
        runner (the same bits for every thread count); return ``sse = sum_i
        w_i ||Yhat_i - Y_i||^2``. Memory beyond ``out``: one Jacobian block a
        thread (:meth:`~._gauss_newton.NormalEquations.row_space_jacobian`).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_sigmoidnet import NetworkKernel, ParameterLayout
        >>> rng = np.random.default_rng(0)
        >>> X, Y = rng.normal(size=(5, 3)), rng.uniform(0.2, 0.8, size=(5, 1))
        >>> layout = ParameterLayout(n_features=3, n_hidden=40, n_outputs=1)
        >>> J = np.empty((5, layout.n_parameters))
        >>> with NetworkKernel(X, Y, layout=layout) as kernel:
        ...     sse = kernel.row_space_jacobian(np.zeros(layout.n_parameters), J)
        >>> J.shape, round(sse, 6) == round(float(np.sum((0.5 - Y) ** 2)), 6)
        ((5, 201), True)
        """
        with _overflow_is_handled():
            return self._gauss_newton().row_space_jacobian(theta, out)

    def output_variances(self, theta, covariance):
        """``g^T C g`` for the gradients ``g`` of the outputs ``Yhat`` with
        respect to ``theta``, one per row and output (predictive variance).

        ``covariance`` is a ``(P, P)`` float64 matrix, a
        :class:`~._row_space.RowSpaceCurvature` (memory of one Jacobian block
        beyond the result), or a :class:`~._curvature.KroneckerCurvature`
        (memory of one row block)."""
        with _overflow_is_handled():
            if isinstance(covariance, (np.ndarray, RowSpaceCurvature)):
                return self._gauss_newton().output_variances(theta, covariance)
            return self._kronecker_products().output_variances(theta, covariance)

    def _kronecker_products(self):
        if self._kronecker is None:
            self._kronecker = KroneckerProducts(
                self.data, self.layout, self.runner, self._workspaces
            )
        return self._kronecker

    def curvature_factors(self, theta):
        """The Kronecker factors ``(Q, R, H2, sse)`` of the Gauss-Newton matrix
        at ``theta`` (:class:`~._gauss_newton.KroneckerProducts`): one pass,
        memory of one row block."""
        with _overflow_is_handled():
            return self._kronecker_products().factors(theta)

    def curvature_leave_one_out(self, theta, curvature, noise_precision):
        """The linearised leave-one-out error of ``theta`` under a
        :class:`~._curvature.KroneckerCurvature`, block by block
        (:meth:`~._gauss_newton.KroneckerProducts.leave_one_out`)."""
        with _overflow_is_handled():
            return self._kronecker_products().leave_one_out(
                theta, curvature, noise_precision
            )

    def close(self):
        """Stop the worker threads (if any)."""
        self.runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def loss_and_gradient(X, Y, W1, W2, *, sample_weight=None, alpha=0.0):
    """Loss (1) of the network and its hand-coded gradient (7), (9).

    ``L = 1/(2S) sum_i w_i sum_j (Y_ij - Yhat_ij)^2
    + alpha/(2S) (||W1[:-1]||^2 + ||W2[:-1]||^2)`` with ``S = sum_i w_i``,
    for the network ``H = [X, 1] W1`` (2), ``Z = sigmoid(H)`` (3),
    ``O = [Z, 1] W2`` (4), ``Yhat = sigmoid(O)`` (5) (``docs/derivation.md``).
    With unit weights, one output and ``alpha=0`` this is eq. (1) exactly
    and the gradient is eqs. (7) and (9). The estimator trains through this
    same code (:class:`NetworkKernel`).

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
    alpha : float or ndarray of shape (3,), default=0.0
        L2 penalty on the non-bias weights; or one each for the input
        weights, the hidden biases and the output weights (the ``alpha_`` of
        an estimator fitted with ``alpha="auto"``).

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
    >>> round(loss, 4)
    0.0412
    """
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype, copy=False) if sp.issparse(X) else np.asarray(X, dtype=dtype)
    Y = np.asarray(Y, dtype=dtype)
    W1, W2 = np.asarray(W1), np.asarray(W2)
    W2_shape = W2.shape
    W2 = W2.reshape(-1, 1) if W2.ndim == 1 else W2
    n_outputs = 1 if Y.ndim == 1 else Y.shape[1]
    layout = ParameterLayout(X.shape[1], W1.shape[1], n_outputs)
    if W1.shape != layout.shape1 or W2.shape != layout.shape2:
        raise ValueError(
            f"W1 must have shape {layout.shape1} and W2 {layout.shape2} for X of "
            f"shape {X.shape} and {n_outputs} output(s); got {W1.shape} and "
            f"{W2_shape}."
        )
    with NetworkKernel(X, Y, sample_weight, layout=layout, alpha=alpha) as kernel:
        loss, gradient = kernel.loss_gradient(layout.pack(W1, W2, dtype=dtype))
    dW1, dW2 = layout.unpack(gradient)
    return loss, dW1.copy(), dW2.reshape(W2_shape).copy()
