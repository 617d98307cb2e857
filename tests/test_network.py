"""_network: the math of one block, checked through loss_and_gradient against
the loop-by-loop transcription of the seed's equations and central differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import central_differences, reference_loss_and_gradient
from scipy.special import expit

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, loss_and_gradient
from sklearn_sigmoidnet._inputs import BlockData
from sklearn_sigmoidnet._network import (
    CONSTANT_UNIT,
    GradientPartials,
    backward_weights,
    forward_block,
    forward_weights,
    total_loss,
)
from sklearn_sigmoidnet._runner import SUB_ROWS
from sklearn_sigmoidnet._workspace import Workspace


def _problem(seed, n_samples=7, n_features=3, n_hidden=4, n_outputs=1, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    Y = rng.uniform(0.05, 0.95, size=(n_samples, n_outputs))
    W1 = scale * rng.normal(size=(n_features + 1, n_hidden))
    W2 = scale * rng.normal(size=(n_hidden + 1, n_outputs))
    weights = rng.uniform(0.0, 3.0, size=n_samples)
    return X, Y, W1, W2, weights


def _relative_error(actual, expected):
    return np.max(np.abs(actual - expected)) / np.max(np.abs(expected))


def _sigmoid(x):
    return expit(x)


# ---------------------------------------------- against the seed's equations
def test_seed_equations_exactly():
    """Unit weights, one output, alpha=0: eq. (1) and eqs. (7), (9) as written."""
    X, Y, W1, W2, _ = _problem(0)
    y = Y[:, 0]
    loss, dW1, dW2 = loss_and_gradient(X, y, W1, W2[:, 0])
    expected_loss, expected_dW1, expected_dW2 = reference_loss_and_gradient(
        X, y, W1, W2
    )
    assert dW2.shape == (W2.shape[0],)  # a 1-d W2 gives a 1-d gradient
    assert abs(loss - expected_loss) / expected_loss < 1e-12
    assert _relative_error(dW1, expected_dW1) < 1e-10
    assert _relative_error(dW2, expected_dW2[:, 0]) < 1e-10


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("n_features, n_hidden", [(3, 4), (6, 2), (1, 1)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("sparse", [False, True])
def test_against_loop_transcription(
    n_outputs, n_features, n_hidden, weighted, alpha, sparse
):
    X, Y, W1, W2, weights = _problem(
        1, n_features=n_features, n_hidden=n_hidden, n_outputs=n_outputs
    )
    weights = weights if weighted else None
    X_in = sp.csr_array(X) if sparse else X
    loss, dW1, dW2 = loss_and_gradient(
        X_in, Y, W1, W2, sample_weight=weights, alpha=alpha
    )
    expected = reference_loss_and_gradient(X, Y, W1, W2, weights, alpha)
    assert abs(loss - expected[0]) / expected[0] < 1e-12
    assert _relative_error(dW1, expected[1]) < 1e-10
    assert _relative_error(dW2, expected[2]) < 1e-10


@pytest.mark.parametrize("n_features", [3, 40])  # batched sub-blocks, or not
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_sub_blocks_and_rest_against_loop_transcription(
    n_features, n_outputs, weighted
):
    """Blocks of two full sub-blocks and a rest, through both the batched
    (narrow X) and the whole-block products, one and several outputs."""
    X, Y, W1, W2, weights = _problem(
        7,
        n_samples=2 * SUB_ROWS + 5,
        n_features=n_features,
        n_hidden=3,
        n_outputs=n_outputs,
        scale=0.5,
    )
    weights = weights if weighted else None
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.2)
    expected = reference_loss_and_gradient(X, Y, W1, W2, weights, 0.2)
    assert abs(loss - expected[0]) / expected[0] < 1e-12
    assert _relative_error(dW1, expected[1]) < 1e-10
    assert _relative_error(dW2, expected[2]) < 1e-10


def test_saturated_units_against_loop_transcription():
    """Pre-activations of +-50 and more: tanh saturates at exactly +-1, and
    the gradient still matches the seed's (vanishing) one."""
    X, Y, W1, W2, weights = _problem(8, n_samples=9, n_hidden=3, n_outputs=2)
    W1 = W1 * 40
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights)
    expected = reference_loss_and_gradient(X, Y, W1, W2, weights)
    assert abs(loss - expected[0]) / expected[0] < 1e-12
    np.testing.assert_allclose(dW1, expected[1], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dW2, expected[2], rtol=1e-10)


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("scale", [0.3, 3.0])
def test_against_central_differences(n_outputs, scale):
    X, Y, W1, W2, weights = _problem(
        2, n_samples=11, n_features=4, n_hidden=5, n_outputs=n_outputs, scale=scale
    )
    layout = ParameterLayout(4, 5, n_outputs)
    theta = layout.pack(W1, W2)

    def loss_at(theta):
        W1, W2 = layout.unpack(theta)
        return loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.5)[0]

    _, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.5)
    gradient = layout.pack(dW1, dW2)
    numeric = central_differences(loss_at, theta)
    assert _relative_error(gradient, numeric) < 1e-6


def test_float32_is_computed_in_float32():
    X, Y, W1, W2, _ = _problem(3, n_samples=50)
    loss32, dW1_32, dW2_32 = loss_and_gradient(X.astype(np.float32), Y, W1, W2)
    loss64, dW1_64, dW2_64 = loss_and_gradient(X, Y, W1, W2)
    assert dW1_32.dtype == np.float32 and dW2_32.dtype == np.float32
    assert abs(loss32 - loss64) / loss64 < 1e-5
    assert _relative_error(dW1_32, dW1_64) < 1e-4
    assert _relative_error(dW2_32, dW2_64) < 1e-4


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_against_loop_transcription(n_outputs, sparse):
    """float32 through every path (sub-blocks, several outputs, sparse) agrees
    with the float64 transcription to float32's precision."""
    X, Y, W1, W2, weights = _problem(
        9, n_samples=2 * SUB_ROWS + 5, n_hidden=3, n_outputs=n_outputs, scale=0.5
    )
    X32 = X.astype(np.float32)
    X_in = sp.csr_array(X32) if sparse else X32
    loss, dW1, dW2 = loss_and_gradient(X_in, Y, W1, W2, sample_weight=weights)
    assert dW1.dtype == np.float32 and dW2.dtype == np.float32
    expected = reference_loss_and_gradient(X32, Y, W1, W2, weights)
    assert abs(loss - expected[0]) / expected[0] < 1e-5
    assert _relative_error(dW1, expected[1]) < 1e-4
    assert _relative_error(dW2, expected[2]) < 1e-4


def test_shape_mismatch_is_an_error():
    X, Y, W1, W2, _ = _problem(4)
    with pytest.raises(ValueError, match="W1 must have shape"):
        loss_and_gradient(X, Y, W1[:-1], W2)


# -------------------------------------------------------- the constant unit
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_constant_hidden_unit_is_exactly_one(dtype):
    """The kernel's column of ones of [Z, 1] is tanh of _CONSTANT_UNIT."""
    value = np.full(1000, CONSTANT_UNIT, dtype=dtype)
    assert np.all(np.tanh(value) == 1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_forward_block_is_the_network(dtype, sparse):
    """[T, 1] and To = tanh(O/2) from the folded weights are the network's
    (2)-(5): Z = (1 + T)/2, Yhat = (1 + To)/2, and the last hidden column (the
    constant unit) is exactly 1 for every row, whatever X is."""
    rng = np.random.default_rng(10)
    n_rows = 2 * SUB_ROWS + 7
    X = (rng.normal(size=(n_rows, 3)) * 1e3).astype(dtype)  # saturating rows too
    X[:SUB_ROWS] /= 1e3
    layout = ParameterLayout(3, 4, 2)
    theta = rng.normal(size=layout.n_parameters)
    data = BlockData(
        sp.csr_array(X) if sparse else X, None, None, rows=None, n_hidden=4
    )
    workspace = Workspace(
        data.max_block_rows,
        layout,
        data.dtype,
        gathers_inputs=False,
        sparse=sparse,
        batched=data.batched,
    )
    (block,) = data.blocks
    buffers = workspace.buffers(block.n_rows)
    forward_block(
        data.block_inputs(block, buffers),
        buffers,
        *forward_weights(layout, theta, dtype),
    )
    T = buffers.hidden.whole
    assert T.dtype == dtype
    np.testing.assert_array_equal(T[:, -1], 1.0)
    W1, W2 = layout.unpack(theta)
    X64 = X.astype(np.float64)
    Z = _sigmoid(X64 @ W1[:-1] + W1[-1])
    Yhat = _sigmoid(Z @ W2[:-1] + W2[-1])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose((1 + T[:, :-1]) / 2, Z, rtol=rtol, atol=rtol)
    np.testing.assert_allclose((1 + buffers.output) / 2, Yhat, rtol=rtol, atol=rtol)


def test_folded_weights():
    layout = ParameterLayout(2, 3, 2)
    theta = np.arange(1.0, layout.n_parameters + 1)
    W1, W2 = layout.unpack(theta)
    W1_half, W2_half = forward_weights(layout, theta, np.float64)
    np.testing.assert_array_equal(W1_half[:, :-1], W1 / 2)
    np.testing.assert_array_equal(W1_half[:, -1], [0.0, 0.0, CONSTANT_UNIT])
    np.testing.assert_array_equal(W2_half[:-1], W2[:-1] / 4)
    np.testing.assert_allclose(W2_half[-1], W2[-1] / 2 + W2[:-1].sum(axis=0) / 4)
    W1_32, _ = forward_weights(layout, theta, np.float32)
    assert W1_32.dtype == np.float32
    W2_backward = backward_weights(layout, theta, np.float64)
    np.testing.assert_array_equal(W2_backward[:, :-1], W2[:-1].T / 4)
    np.testing.assert_array_equal(W2_backward[:, -1], 0.0)


def test_gradient_partials_add_in_place():
    layout = ParameterLayout(2, 3, 2)
    partials = GradientPartials(layout, np.float64, n_slots=3)
    assert partials.size == GradientPartials.partial_size(layout) == 3 * 4 + 4 * 2
    grad1, grad2 = partials.slots[1]
    assert grad1.shape == (3, 4) and grad2.shape == (4, 2)
    assert np.shares_memory(grad1, partials.partials[1])
    partials.partials[...] = np.arange(3.0)[:, None]
    partials.total[...] = 0.0
    for slot in (0, 1, 2, 1):
        partials.add(slot)
    np.testing.assert_array_equal(partials.total, 4.0)


def test_total_loss_from_partial_sums():
    layout = ParameterLayout(1, 1, 1)
    theta = np.array([2.0, 5.0, 3.0, 7.0])  # W1 = [[2], [5]], W2 = [[3], [7]]
    mask = layout.penalty_mask()
    partial = np.array([4.0, 8.0])  # 4 sum R^2 per block
    # unweighted: 0.5 * (12 / 4) / S; penalty alpha/(2S) (2^2 + 3^2)
    loss = total_loss(partial, theta, mask, weight_sum=3.0, weighted=False, alpha=0.6)
    assert loss == pytest.approx(0.5 * 3.0 / 3.0 + 0.3 / 3.0 * 13.0, rel=1e-15)
    # weighted partials already carry w/S
    loss = total_loss(partial, theta, mask, weight_sum=3.0, weighted=True, alpha=0.0)
    assert loss == pytest.approx(0.5 * 3.0, rel=1e-15)


# Found by review: each of these failed before its fix.
def test_alpha_zero_loss_of_huge_weights_is_finite():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 6))
    Y = rng.uniform(0.2, 0.8, size=(500, 1))
    layout = ParameterLayout(6, 10, 1)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    theta[: layout.size1] *= 1e300  # saturates every hidden unit; finite H
    with NetworkKernel(X, Y, layout=layout, alpha=0.0) as kernel:
        loss, gradient = kernel.loss_gradient(theta)
    W1, W2 = layout.unpack(theta)
    Z = (X @ W1[:-1] + W1[-1] > 0).astype(float)
    Yhat = 1 / (1 + np.exp(-(Z @ W2[:-1] + W2[-1])))
    assert np.all(np.isfinite(gradient))  # passes
    expected = 0.5 * np.mean((Yhat - Y) ** 2)
    assert loss == pytest.approx(expected, rel=1e-12)  # fails: loss is nan
