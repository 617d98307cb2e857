"""Property-based tests (hypothesis): the gradient and the estimator's contract."""

import numpy as np
import pytest
from _reference import central_differences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_sigmoidnet import ParameterLayout, SigmoidMLPRegressor, loss_and_gradient

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# derandomize: the same examples on every run, so CI is not a lottery
SETTINGS = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def networks(draw):
    n_samples = draw(st.integers(1, 8))
    n_features = draw(st.integers(1, 4))
    n_hidden = draw(st.integers(1, 4))
    n_outputs = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    weight_scale = draw(st.sampled_from([0.1, 1.0, 3.0]))
    alpha = draw(st.floats(0.0, 2.0))
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    Y = rng.uniform(0.05, 0.95, size=(n_samples, n_outputs))
    layout = ParameterLayout(n_features, n_hidden, n_outputs)
    theta = weight_scale * rng.normal(size=layout.n_parameters)
    weights = rng.uniform(0.0, 3.0, size=n_samples) if weighted else None
    if weights is not None:
        weights[rng.integers(n_samples)] += 0.5  # at least one positive weight
    return X, Y, layout, theta, weights, alpha


def _loss(X, Y, layout, theta, weights, alpha):
    W1, W2 = layout.unpack(theta)
    return loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=alpha)


@SETTINGS
@given(networks())
def test_gradient_matches_central_differences(network):
    X, Y, layout, theta, weights, alpha = network
    _, dW1, dW2 = _loss(X, Y, layout, theta, weights, alpha)
    gradient = layout.pack(dW1, dW2)
    numeric = central_differences(
        lambda theta: _loss(X, Y, layout, theta, weights, alpha)[0], theta
    )
    scale = max(np.max(np.abs(numeric)), 1e-8)
    assert np.max(np.abs(gradient - numeric)) / scale < 1e-5


@SETTINGS
@given(networks())
def test_float32_agrees_with_float64(network):
    X, Y, layout, theta, weights, alpha = network
    loss64, dW1_64, dW2_64 = _loss(X, Y, layout, theta, weights, alpha)
    loss32, dW1_32, dW2_32 = _loss(
        X.astype(np.float32), Y, layout, theta, weights, alpha
    )
    assert dW1_32.dtype == np.float32
    assert abs(loss32 - loss64) <= 1e-5 * max(loss64, 1e-3)
    gradient64 = layout.pack(dW1_64, dW2_64)
    gradient32 = layout.pack(dW1_32, dW2_32, dtype=np.float64)
    scale = max(np.max(np.abs(gradient64)), 1e-6)
    assert np.max(np.abs(gradient32 - gradient64)) / scale < 1e-4


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n_samples=st.integers(1, 30),
    n_features=st.integers(1, 4),
    n_hidden=st.integers(1, 6),
    dtype=st.sampled_from([np.float64, np.float32]),
    solver=st.sampled_from(["lbfgs", "gd", "lm"]),
    alpha=st.sampled_from([0.0, 1e-4, 10.0]),
    x_scale=st.sampled_from([1e-300, 1.0, 1e30, 1e300]),
    y_scale=st.sampled_from([1e-300, 1e-5, 1.0, 1e300]),
    zero_weights=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fit_predict_is_finite_or_a_documented_error(
    n_samples,
    n_features,
    n_hidden,
    dtype,
    solver,
    alpha,
    x_scale,
    y_scale,
    zero_weights,
    seed,
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * x_scale
    if dtype == np.float32 and x_scale > 1e30:
        x_scale = 1e30  # 1e300 is not a float32; validation would reject inf
        X = rng.normal(size=(n_samples, n_features)) * x_scale
    X = X.astype(dtype)
    y = rng.normal(size=n_samples) * y_scale
    weights = rng.integers(0, 3, size=n_samples).astype(float) if zero_weights else None
    model = SigmoidMLPRegressor(
        n_hidden=n_hidden, solver=solver, alpha=alpha, max_iter=15, random_state=0
    )
    try:
        model.fit(X, y, sample_weight=weights)
    except ValueError as error:  # documented: all-zero weights
        assert weights is not None and not weights.any()
        assert "zero" in str(error)
        return
    for array in model.coefs_ + model.intercepts_:
        assert np.all(np.isfinite(array))
    predictions = model.predict(X)
    assert np.all(np.isfinite(predictions))
    # and within what the output sigmoid's (0, 1) maps back to (with the
    # default target_range: a third of y's range beyond either end)
    low, high = model._target_mapping.to_target(np.array([[0.0], [1.0]])).ravel()
    # a constant target is predicted exactly (issue: MLPRegressor's users)
    assert low == high if model._target_mapping.constant.all() else low < high
    slack = 1e-6 * (abs(low) + abs(high))  # rounding, float32 predictions
    assert np.all(predictions >= low - slack) and np.all(predictions <= high + slack)
    kept = y if weights is None else y[weights > 0]
    assert low <= kept.min() and kept.max() <= high
