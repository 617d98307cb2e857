"""The network's mathematics on one row block: forward pass, loss and gradient.

The model and its derivation are in ``docs/derivation.md``; equation numbers
in the comments refer to it::

    H    = [X, 1] W1            (2)  W1: (n_features + 1, n_hidden), last row = bias
    Z    = sigmoid(H)           (3)
    O    = [Z, 1] W2            (4)  W2: (n_hidden + 1, n_outputs), last row = bias
    Yhat = sigmoid(O)           (5)
    L    = 1/(2S) sum_i w_i sum_j (Y_ij - Yhat_ij)^2                         (1)
           + alpha/(2S) (||W1 without bias row||^2 + ||W2 without bias row||^2)
    dL/dW2 = [Z, 1]^T delta_O,  delta_O = (w/S) (Yhat - Y) Yhat (1 - Yhat)    (7)
    dL/dW1 = [X, 1]^T delta_H,  delta_H = (delta_O W2^T) Z (1 - Z)            (9)

The sigmoid is evaluated as ``sigmoid(x) = 1/2 + tanh(x/2)/2`` (``numpy.tanh``
is several times cheaper than ``scipy.special.expit`` and never overflows), so
the kernel keeps ``T = tanh(H/2)`` and never forms ``Z``. The halvings are
folded into small copies of the weights (:func:`forward_weights`), and a
constant hidden unit whose tanh is exactly 1 (``CONSTANT_UNIT``) supplies the
column of ones of ``[Z, 1]``, so the output bias rides along in the products.
Every step of a block is linear in ``delta_O``, so the blocks accumulate
``8 S delta_O`` and the constant is applied once, to the summed gradient
(:func:`finish_gradient`).

Buffers of a block (:class:`~sklearn_sigmoidnet._workspace.BlockBuffers`),
``R = Yhat - Y``, ``w`` the sample weights and ``S`` their sum:

=================  ====================================  =========================
buffer             holds                                 after
=================  ====================================  =========================
``hidden``         ``[T, 1]``, ``T = tanh(H/2)``         :func:`forward_block`
``hidden``         ``1 - [T, 1]^2 = 4 [Z(1 - Z), 0]``    :func:`_hidden_derivative`
``output``         ``To = tanh(O/2)``; Yhat = (1 + To)/2  :func:`forward_block`
``output``         ``1 - To^2 = 4 Yhat (1 - Yhat)``      :func:`output_delta`
``residual``       ``2R = To - (2Y - 1)``                :func:`residual_block`
(weighted)         ``2R`` (unit weights), ``(w/S) 2R``   :func:`residual_block`
``output_delta``   ``8 S delta_O`` (unit weights),       :func:`output_delta`
                   ``8 delta_O`` (weights)
``scaled_inputs``  ``[X, 1] * 8 S delta_O`` (one         single-output gradient
                   output; ``8 delta_O`` with weights)
``scratch``        ``8 S delta_O W2^T / 4`` (``8 delta_O``  multi-output gradient
                   with weights)
partial loss       ``4 sum_i R_i^2`` (unit weights),     :func:`residual_block`
                   ``4 sum_i (w_i/S) R_i^2`` (weights)
partial ``dW2``    ``[T, 1]^T 8 S delta_O``              gradient blocks
partial ``dW1``    ``[X, 1]^T 8 S delta_H'``; one output:  gradient blocks
                   ``delta_H'`` lacks the factor W2^T/4
=================  ====================================  =========================
"""

import numpy as np

from ._workspace import Rows

__all__ = [
    "CONSTANT_UNIT",
    "GradientPartials",
    "forward_weights",
    "backward_weights",
    "forward_block",
    "residual_block",
    "output_delta",
    "single_output_gradient_block",
    "multi_output_gradient_block",
    "finish_gradient",
    "total_loss",
]

# H/2 of a constant hidden unit appended to every block: tanh of it is exactly
# 1.0 in float32 and float64, so [T, 1] (the hidden block with the column of
# ones of eq. (4)) is the output of a single product and tanh.
CONSTANT_UNIT = 64.0


def forward_weights(layout, theta, dtype):
    """Weights of the forward pass on the tanh scale, in the kernel's dtype.

    ``[X, 1] W1' = H/2`` plus a last column equal to ``CONSTANT_UNIT``, whose
    tanh is exactly 1, so the hidden block ``[T, 1]`` comes out of one product
    and one tanh. ``[T, 1] W2' = O/2`` with
    ``W2' = [W2_hidden / 4 ; b2 / 2 + colsum(W2_hidden) / 4]``, since
    ``[Z, 1] W2 = [(1 + T)/2, 1] W2``.
    """
    W1, W2 = layout.unpack(theta)
    W1_half = np.zeros((W1.shape[0], W1.shape[1] + 1), dtype=dtype)
    np.multiply(W1, 0.5, out=W1_half[:, :-1], casting="unsafe")
    W1_half[-1, -1] = CONSTANT_UNIT
    W2_half = np.empty(layout.shape2, dtype=dtype)
    W2_half[:-1] = W2[:-1] * 0.25
    W2_half[-1] = (W2[-1] + 0.5 * W2[:-1].sum(axis=0)) * 0.5
    return W1_half, W2_half


def backward_weights(layout, theta, dtype):
    """``W2^T / 4`` without the bias, and a zero column for the constant unit:
    ``delta_O W2^T Z (1 - Z) = (delta_O W2^T / 4) (1 - T^2)``           (9)"""
    _, W2 = layout.unpack(theta)
    W2_backward = np.zeros((layout.n_outputs, layout.n_hidden + 1), dtype=dtype)
    W2_backward[:, :-1] = (W2[:-1] * 0.25).T
    return W2_backward


class GradientPartials:
    """The partial gradients of the blocks in flight (one slot each), and their sum.

    A partial is laid out for ``[T, 1]``: W1's part has the constant unit's
    column too (``(n_features + 1) x (n_hidden + 1)``), dropped at the end,
    followed by W2's part.
    """

    def __init__(self, layout, dtype, n_slots):
        self.layout = layout
        self.size1 = (layout.n_features + 1) * (layout.n_hidden + 1)
        self.size = self.partial_size(layout)
        self.partials = np.empty((n_slots, self.size), dtype=dtype)
        self.slots = [self.unpack(partial) for partial in self.partials]
        self.total = np.empty(self.size, dtype=dtype)

    @staticmethod
    def partial_size(layout):
        """Entries of one partial gradient."""
        n_hidden = layout.n_hidden + 1
        return (layout.n_features + 1) * n_hidden + n_hidden * layout.n_outputs

    def unpack(self, partial):
        """``(dW1 with the constant unit's column, dW2)`` views of a partial."""
        layout = self.layout
        grad1 = partial[: self.size1].reshape(layout.n_features + 1, -1)
        return grad1, partial[self.size1 :].reshape(layout.shape2)

    def add(self, slot):
        """Add the partial in ``slot`` to the total (called in block order)."""
        np.add(self.total, self.partials[slot], out=self.total)


def _rows_product(A, B, out):
    """``out = A @ B`` for :class:`Rows` A and out, batched when A is narrow."""
    if A.batched is not None:
        np.matmul(A.batched, B, out=out.batched)
    if A.rest is not None:
        np.matmul(A.rest, B, out=out.rest)


def _transposed_product(A, buffers, out):
    """``out = A^T [T, 1]`` (``buffers.hidden``) for :class:`Rows` A.

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


def forward_block(inputs, buffers, W1_half, W2_half):
    """Fill ``hidden`` with ``[T, 1]`` and ``output`` with ``To = tanh(O/2)``.

    ``inputs`` is the block's ``[X, 1]`` (:class:`Rows`, or CSR when sparse);
    the weights come from :func:`forward_weights`.
    """
    T = buffers.hidden.whole
    if isinstance(inputs, Rows):
        _rows_product(inputs, W1_half, buffers.hidden)  # H/2 = [X, 1] W1/2   (2)
    else:
        T[...] = inputs @ W1_half  # H/2 = [X, 1] W1 / 2 (sparse)             (2)
    np.tanh(T, out=T)  # T = tanh(H/2), Z = (1 + T)/2                          (3)
    output = buffers.output
    np.matmul(T, W2_half, out=output)  # O/2 = [Z, 1] W2 / 2                   (4)
    np.tanh(output, out=output)  # To = tanh(O/2), Yhat = (1 + To)/2           (5)


def residual_block(block, buffers):
    """``2R`` into ``residual``; returns the weighted ``2R`` and the block's
    partial loss ``4 sum R^2`` (times ``w/S`` with weights)              (1)"""
    residual = buffers.residual
    np.subtract(buffers.output, block.Y, out=residual)  # 2R = To - (2Y - 1)
    weighted = residual if block.weight is None else residual * block.weight
    return weighted, np.vdot(residual, weighted)


def output_delta(buffers, weighted):
    """``8 S delta_O`` (``8 delta_O`` with weights) into ``output_delta``.

    ``8 delta_O = (w/S) 2R 4 Yhat (1 - Yhat)``, ``4 Yhat (1 - Yhat) = 1 - To^2`` (7)
    """
    output = buffers.output
    np.square(output, out=output)
    np.subtract(1.0, output, out=output)
    return np.multiply(weighted, output, out=buffers.output_delta)


def _hidden_derivative(buffers):
    """Overwrite ``[T, 1]`` with ``1 - [T, 1]^2 = 4 Z (1 - Z)`` (0 for the
    constant unit)                                                        (9)"""
    T = buffers.hidden.whole
    np.multiply(T, T, out=T)
    np.subtract(1.0, T, out=T)


def single_output_gradient_block(inputs, buffers, delta, slot):
    """Partial gradient of a block with one output and dense X.

    ``delta_O W2^T`` is then an outer product: the narrow ``[X, 1]`` is scaled
    by ``delta_O`` instead of the hidden block, and :func:`finish_gradient`
    scales the columns of the summed dW1 by ``W2^T / 4`` once.
    """
    grad1, grad2 = slot
    # [T, 1]^T delta_O, turned into [Z, 1]^T delta_O after the sum           (7)
    np.matmul(buffers.hidden_transposed, delta, out=grad2)
    _hidden_derivative(buffers)
    scaled_inputs = buffers.scaled_inputs
    np.multiply(inputs.whole, delta, out=scaled_inputs.whole)
    _transposed_product(scaled_inputs, buffers, grad1)  # dW1 = [X, 1]^T delta_H (9)


def multi_output_gradient_block(inputs, buffers, delta, slot, W2_backward):
    """Partial gradient of a block with several outputs, or sparse X."""
    grad1, grad2 = slot
    # [T, 1]^T delta_O, turned into [Z, 1]^T delta_O after the sum           (7)
    np.matmul(buffers.hidden_transposed, delta, out=grad2)
    _hidden_derivative(buffers)
    sech2 = buffers.hidden.whole
    np.matmul(delta, W2_backward, out=buffers.scratch)  # delta_O W2^T / 4
    sech2 *= buffers.scratch  # delta_H = (delta_O W2^T) Z (1 - Z)            (9)
    if isinstance(inputs, Rows):
        _transposed_product(inputs, buffers, grad1)  # dW1 = [X, 1]^T delta_H   (9)
    else:
        grad1[...] = inputs.T @ sech2  # dW1 = [X, 1]^T delta_H (sparse)      (9)


def finish_gradient(partials, theta, gradient, *, scale, W2_backward, penalty):
    """The gradient from the summed partials, into ``gradient``.

    ``scale`` is ``0.125 / S`` (unit weights) or ``0.125`` (weights): the
    blocks summed ``8 S delta_O`` or ``8 delta_O``. ``W2_backward`` is given on
    the single-output path, whose dW1 columns still lack ``W2^T / 4``.
    ``penalty`` is ``(alpha / S, mask of the penalised weights)``.
    """
    layout = partials.layout
    summed1, summed2 = partials.unpack(partials.total)
    grad1, grad2 = layout.unpack(gradient)
    if W2_backward is not None:
        # the deferred column scaling by W2^T/4                              (9)
        np.multiply(summed1[:, :-1], W2_backward[:, :-1] * scale, out=grad1)
    else:
        np.multiply(summed1[:, :-1], scale, out=grad1)
    np.multiply(summed2, scale, out=grad2)
    # [Z, 1]^T delta_O from [T, 1]^T delta_O, Z = (1 + T)/2                  (7)
    grad2[:-1] += grad2[-1]
    grad2[:-1] *= 0.5
    penalty_scale, penalty_weights = penalty  # (alpha/S, 0-1 mask) or (1/S, penalties)
    if penalty_scale:
        gradient += penalty_scale * (theta * penalty_weights)
    return gradient


def total_loss(partial_losses, theta, penalty_weights, *, weight_sum, weighted, alpha):
    """Loss (1) plus the penalty from the blocks' partial sums ``4 sum R^2``."""
    squared_error = 0.25 * float(np.sum(partial_losses))
    if not weighted:
        squared_error /= weight_sum
    penalty = 0.0
    if alpha:  # (0 * inf would be NaN for weights whose squares overflow)
        # penalty_weights: the 0-1 mask (alpha a float), or each parameter's
        # penalty (alpha = 1)
        penalised = theta * penalty_weights
        penalty = 0.5 * alpha / weight_sum * float(np.vdot(penalised, theta))
    return 0.5 * squared_error + penalty
