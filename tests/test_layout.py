"""_layout: the flat parameter vector and the Glorot-uniform initial weights."""

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor

from sklearn_sigmoidnet import ParameterLayout, glorot_uniform


@pytest.mark.parametrize("shape", [(3, 4, 2), (1, 1, 1), (10, 7, 1)])
def test_sizes_and_shapes(shape):
    n_features, n_hidden, n_outputs = shape
    layout = ParameterLayout(*shape)
    assert layout.shape1 == (n_features + 1, n_hidden)
    assert layout.shape2 == (n_hidden + 1, n_outputs)
    assert layout.size1 == (n_features + 1) * n_hidden
    assert layout.n_parameters == layout.size1 + (n_hidden + 1) * n_outputs


def test_unpack_gives_views_in_order():
    layout = ParameterLayout(n_features=2, n_hidden=3, n_outputs=2)
    theta = np.arange(float(layout.n_parameters))
    W1, W2 = layout.unpack(theta)
    # W1 first, row by row (the bias row last), then W2
    np.testing.assert_array_equal(W1, np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(W2, np.arange(9.0, 17.0).reshape(4, 2))
    W2[-1, 0] = -1.0
    assert theta[-2] == -1.0  # a view, not a copy


def test_pack_is_the_inverse_of_unpack():
    layout = ParameterLayout(n_features=3, n_hidden=2, n_outputs=2)
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=layout.shape1), rng.normal(size=layout.shape2)
    theta = layout.pack(W1, W2)
    assert theta.dtype == np.float64
    unpacked = layout.unpack(theta)
    np.testing.assert_array_equal(unpacked[0], W1)
    np.testing.assert_array_equal(unpacked[1], W2)
    assert not np.shares_memory(theta, W1)
    theta32 = layout.pack(W1, W2, dtype=np.float32)
    assert theta32.dtype == np.float32
    np.testing.assert_array_equal(theta32, theta.astype(np.float32))
    # the dtype follows the inputs when not given
    assert layout.pack(W1.astype(np.float32), W2.astype(np.float32)).dtype == (
        np.float32
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_penalty_mask_spares_the_bias_rows(dtype):
    layout = ParameterLayout(n_features=3, n_hidden=4, n_outputs=2)
    mask = layout.penalty_mask(dtype)
    assert mask.dtype == dtype
    M1, M2 = layout.unpack(mask)
    np.testing.assert_array_equal(M1[:-1], 1.0)
    np.testing.assert_array_equal(M1[-1], 0.0)
    np.testing.assert_array_equal(M2[:-1], 1.0)
    np.testing.assert_array_equal(M2[-1], 0.0)
    assert mask.sum() == 3 * 4 + 4 * 2


def test_glorot_uniform_bounds_and_determinism():
    layout = ParameterLayout(n_features=5, n_hidden=6, n_outputs=3)
    theta = glorot_uniform(layout, np.random.RandomState(0))
    assert theta.dtype == np.float64 and theta.shape == (layout.n_parameters,)
    W1, W2 = layout.unpack(theta)
    assert np.abs(W1).max() <= np.sqrt(2 / (5 + 6))
    assert np.abs(W2).max() <= np.sqrt(2 / (6 + 3))
    # spread over the whole interval, not a constant
    assert np.abs(W1).max() > 0.8 * np.sqrt(2 / (5 + 6))
    again = glorot_uniform(layout, np.random.RandomState(0))
    np.testing.assert_array_equal(theta, again)
    other = glorot_uniform(layout, np.random.RandomState(1))
    assert not np.array_equal(theta, other)


def test_glorot_uniform_is_mlpregressors_logistic_initialisation():
    """The same draws as MLPRegressor(activation="logistic"): coefficients then
    intercepts of each layer, from the same random state."""
    n_features, n_hidden, n_outputs = 4, 3, 2
    layout = ParameterLayout(n_features, n_hidden, n_outputs)
    theta = glorot_uniform(layout, np.random.RandomState(42))
    W1, W2 = layout.unpack(theta)
    mlp = MLPRegressor(activation="logistic")
    mlp._random_state = np.random.RandomState(42)
    coef1, intercept1 = mlp._init_coef(n_features, n_hidden, np.float64)
    coef2, intercept2 = mlp._init_coef(n_hidden, n_outputs, np.float64)
    np.testing.assert_array_equal(W1[:-1], coef1)
    np.testing.assert_array_equal(W1[-1], intercept1)
    np.testing.assert_array_equal(W2[:-1], coef2)
    np.testing.assert_array_equal(W2[-1], intercept2)
