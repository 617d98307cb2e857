"""The hand-coded gradient against the seed's equations and finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import central_differences, reference_loss_and_gradient

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, loss_and_gradient


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


def test_shape_mismatch_is_an_error():
    X, Y, W1, W2, _ = _problem(4)
    with pytest.raises(ValueError, match="W1 must have shape"):
        loss_and_gradient(X, Y, W1[:-1], W2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_outputs, weighted", [(2, False), (1, True)])
@pytest.mark.parametrize("one_wave", [True, False])
def test_blocks_and_threads_give_identical_numbers(
    dtype, n_outputs, weighted, one_wave, monkeypatch
):
    """Many row blocks, evaluated by 1, 2 or 3 threads: the same bits.

    Threads take blocks from a shared queue, so which thread evaluates which
    block changes from call to call; repeated calls must not change a bit.
    Without room for all partial gradients at once, blocks go in several
    waves.
    """
    import sklearn_sigmoidnet._runner as runner

    if not one_wave:
        monkeypatch.setattr(runner, "_PARTIALS_BYTES", 1)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80000, 6)).astype(dtype)
    Y = rng.uniform(0.2, 0.8, size=(80000, n_outputs)).astype(dtype)
    weights = rng.uniform(0.0, 2.0, size=80000) if weighted else None
    layout = ParameterLayout(6, 40, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    results = []
    for n_threads in (1, 2, 3):
        with NetworkKernel(
            X, Y, weights, layout=layout, alpha=0.1, n_threads=n_threads
        ) as kernel:
            assert kernel.n_blocks > 12
            for _ in range(3):
                loss, gradient = kernel.loss_gradient(theta)
                predictions = kernel.predict(theta)
                results.append((loss, gradient, predictions))
            if n_threads > 1:
                wave = kernel._gradients.partials.shape[0]
                waves = -(-kernel.n_blocks // wave)
                assert waves == 1 if one_wave else waves > 1
    for loss, gradient, predictions in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(gradient, results[0][1])
        np.testing.assert_array_equal(predictions, results[0][2])
    # and the blocked sum is the one-block answer up to rounding
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.1)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(results[0][0], loss, rtol=rtol)
    np.testing.assert_allclose(
        results[0][1], layout.pack(dW1, dW2), rtol=rtol, atol=rtol * 1e-3
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_constant_hidden_unit_is_exactly_one(dtype):
    """The kernel's column of ones of [Z, 1] is tanh of _CONSTANT_UNIT."""
    from sklearn_sigmoidnet._network import CONSTANT_UNIT

    value = np.full(1000, CONSTANT_UNIT, dtype=dtype)
    assert np.all(np.tanh(value) == 1.0)


def test_gathered_rows_match_materialised_rows(monkeypatch):
    """Training rows gathered block by block give the bits of a copied subset."""
    import sklearn_sigmoidnet._inputs as inputs

    rng = np.random.default_rng(6)
    X = rng.normal(size=(3000, 5))
    rows = rng.permutation(3000)[:2500]
    Y = rng.uniform(0.2, 0.8, size=(2500, 1))
    layout = ParameterLayout(5, 30, 1)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    copied = NetworkKernel(X, Y, layout=layout, rows=rows)
    assert not copied.data.gathers_inputs
    monkeypatch.setattr(inputs, "_COPY_BYTES", 0)
    gathered = NetworkKernel(X, Y, layout=layout, rows=rows)
    assert gathered.data.gathers_inputs
    loss_copied, gradient_copied = copied.loss_gradient(theta)
    loss_gathered, gradient_gathered = gathered.loss_gradient(theta)
    assert loss_copied == loss_gathered
    np.testing.assert_array_equal(gradient_copied, gradient_gathered)
