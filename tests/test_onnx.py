"""ONNX export: ``import sklearn_sigmoidnet.onnx`` registers a converter with
skl2onnx; onnxruntime's outputs equal ``predict`` (to rounding in double;
in float32, both within a first-order float32 rounding bound of the exact
function) for the estimator alone and in a Pipeline, for
one and several outputs and every solver; bad input gives clear errors."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import skl2onnx
from onnx.checker import check_model
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import sklearn_sigmoidnet.onnx as sigmoidnet_onnx
from sklearn_sigmoidnet import SigmoidMLPRegressor


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _run(onx, X):
    check_model(onx)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    (name,) = [node.name for node in session.get_inputs()]
    outputs = session.run(None, {name: X})
    assert len(outputs) == 1
    return outputs[0]


def _targets(y, n_outputs):
    if n_outputs == 1:
        return y
    # several outputs on different scales, none near zero (relative errors)
    return np.column_stack([y, 1000.0 - 10.0 * y, np.exp(y / 10.0)])[:, :n_outputs]


_UNIT_ROUNDOFF = float(np.finfo(np.float32).eps) / 2


def _affine_input(step, X):
    """The scaler's float64 output and its float32 rounding bound: ``X * a +
    c`` rounds to within ``2 u (|X a| + |c|)`` (``u`` the unit roundoff)."""
    if isinstance(step, StandardScaler):
        a, c = 1.0 / step.scale_, -step.mean_ / step.scale_
    elif isinstance(step, MinMaxScaler):
        a, c = step.scale_, step.min_
    else:
        raise TypeError(f"no rounding bound for {type(step).__name__}")
    return X * a + c, 2 * _UNIT_ROUNDOFF * (np.abs(X * a) + np.abs(c))


def _float32_error_bound(model, X):
    """A first-order bound on ``|f32(model)(X) - model(X)|`` per row and
    output, for any float32 evaluation of the same function (weights rounded
    to float32, dot products of length n in any order: ``(n + 1) u`` times
    the sum of the absolute products; each sigmoid within ``4 u``), doubled
    for the terms of second order."""
    u = _UNIT_ROUNDOFF
    x = np.asarray(X, dtype=np.float64)
    error = np.zeros_like(x)
    steps = model.steps if hasattr(model, "steps") else [(None, model)]
    for _, step in steps[:-1]:
        x, error = _affine_input(step, x)
    network = steps[-1][1]
    (W1, W2), (b1, b2) = network.coefs_, network.intercepts_
    products = np.abs(x) @ np.abs(W1) + np.abs(b1)
    h = x @ W1 + b1
    z = 1.0 / (1.0 + np.exp(-h))
    error_h = (W1.shape[0] + 2) * u * products + error @ np.abs(W1)
    error_z = z * (1 - z) * error_h + 4 * u
    o = z @ W2 + b2
    yhat = 1.0 / (1.0 + np.exp(-o))
    error_o = (W2.shape[0] + 2) * u * (z @ np.abs(W2) + np.abs(b2))
    error_o += error_z @ np.abs(W2)
    error_yhat = yhat * (1 - yhat) * error_o + 4 * u
    low, scale, offset = network._target_mapping.affine_coefficients()
    y = (yhat - low) * scale + offset
    error_y = np.abs(scale) * error_yhat
    error_y += 3 * u * (np.abs((yhat - low) * scale) + np.abs(offset) + np.abs(y))
    return 2 * error_y


def _assert_matches_predict(model, onx, X, rtol):
    """onnxruntime's output equals predict to ``rtol`` in double. In float32
    both are roundings of the exact (float64) function: each is within the
    worst-case float32 rounding bound of it (:func:`_float32_error_bound`,
    30-70 times the largest error seen), and the typical (median) row of the
    two within ``rtol`` of each other. (The largest error of either varies
    with the libraries' float32 kernels: onnxruntime 1.32 reached 2.45 times
    predict's own on one lm fit with three outputs, 1.66e-5.)"""
    expected = model.predict(X)
    got = _run(onx, X)
    n_outputs = 1 if expected.ndim == 1 else expected.shape[1]
    # skl2onnx's regressors return (n_samples, n_outputs), (n, 1) for 1-d y
    assert got.shape == (X.shape[0], n_outputs)
    assert got.dtype == expected.dtype == X.dtype
    got = got.reshape(expected.shape)
    if X.dtype != np.float32:
        np.testing.assert_allclose(got, expected, rtol=rtol)
        return
    exact = model.predict(X.astype(np.float64))
    bound = _float32_error_bound(model, X).reshape(exact.shape)
    assert np.all(np.abs(expected - exact) <= bound)  # the bound holds for predict
    assert np.all(np.abs(got - exact) <= bound)
    assert np.median(np.abs(got - expected) / np.abs(expected)) <= rtol


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_in_a_pipeline(friedman, solver, n_outputs, dtype):
    X, y, X_test, _ = friedman
    # the pipeline scales raw X itself
    X, X_test = (10.0 * X + 3.0).astype(dtype), (10.0 * X_test + 3.0).astype(dtype)
    model = _fit(
        make_pipeline(
            StandardScaler(),
            SigmoidMLPRegressor(n_hidden=12, solver=solver, random_state=0),
        ),
        X,
        _targets(y, n_outputs),
    )
    onx = skl2onnx.to_onnx(model, X[:1])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    _assert_matches_predict(model, onx, X_test, rtol)
    _assert_matches_predict(model, onx, X, rtol)


@pytest.mark.parametrize("alpha", [1e-4, 0.0])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_round_trip_alone(friedman, n_outputs, alpha):
    """Fixed penalties (the pipeline tests use the default, alpha="auto")."""
    X, y, X_test, _ = friedman
    X, X_test = X.astype(np.float32), X_test.astype(np.float32)
    model = _fit(
        SigmoidMLPRegressor(n_hidden=10, alpha=alpha, max_iter=100, random_state=0),
        X,
        _targets(y, n_outputs),
    )
    onx = skl2onnx.to_onnx(model, X[:1])
    _assert_matches_predict(model, onx, X_test, rtol=1e-5)
    # one row at a time works too: the batch dimension is free
    _assert_matches_predict(model, onx, X_test[:1], rtol=1e-5)


def test_other_transformers_and_initial_types(friedman):
    """A MinMaxScaler pipeline, converted from an explicit initial type."""
    X, y, X_test, _ = friedman
    model = _fit(
        make_pipeline(MinMaxScaler(), SigmoidMLPRegressor(n_hidden=8, random_state=0)),
        X,
        y,
    )
    onx = skl2onnx.convert_sklearn(
        model, initial_types=[("features", DoubleTensorType([None, X.shape[1]]))]
    )
    _assert_matches_predict(model, onx, X_test, rtol=1e-12)
    onx = skl2onnx.convert_sklearn(
        model, initial_types=[("features", FloatTensorType([None, X.shape[1]]))]
    )
    _assert_matches_predict(model, onx, X_test.astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize(
    "params, target",
    [
        ({}, "constant"),
        ({"target_bounds": (-10.0, 50.0)}, "friedman"),
        ({"target_range": (0.05, 0.95)}, "friedman"),
        ({}, "large offset"),
    ],
    ids=["constant-y", "target-bounds", "target-range", "large-offset"],
)
def test_target_map_of_every_kind(friedman, params, target):
    """The affine map back to y's units: a constant y (mapped to the middle of
    the range), stated bounds, another range, y far from zero."""
    X, y, X_test, _ = friedman
    y = {
        "constant": np.full_like(y, 7.5),
        "friedman": y,
        "large offset": 1e3 + y,
    }[target]
    model = _fit(SigmoidMLPRegressor(n_hidden=6, random_state=0, **params), X, y)
    onx = skl2onnx.to_onnx(model, X[:1])
    _assert_matches_predict(model, onx, X_test, rtol=1e-12)
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32))
    _assert_matches_predict(model, onx, X_test.astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_bayesian_model_exports_its_mean(friedman, solver):
    """alpha="auto" changes the weights, not the graph: the ONNX output is
    ``predict``'s mean (``return_std`` has no ONNX counterpart)."""
    X, y, X_test, _ = friedman
    model = _fit(
        SigmoidMLPRegressor(
            n_hidden=5, solver=solver, alpha="auto", max_iter=30, random_state=0
        ),
        X,
        y,
    )
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32))
    _assert_matches_predict(model, onx, X_test.astype(np.float32), rtol=1e-5)


def test_target_map_coefficients_are_the_mapping(friedman):
    """y = (Yhat - low) * scale + offset is TargetMapping.to_target."""
    X, y, _, _ = friedman
    Y = np.column_stack([y, -3.0 * y, np.full_like(y, 2.0)])  # one constant
    model = _fit(SigmoidMLPRegressor(n_hidden=4, max_iter=5, random_state=0), X, Y)
    low, scale, offset = sigmoidnet_onnx.target_map_coefficients(model)
    outputs = np.random.default_rng(0).uniform(0.0, 1.0, size=(50, 3))
    np.testing.assert_allclose(
        (outputs - low) * scale + offset,
        model._target_mapping.to_target(outputs),
        rtol=1e-13,
        atol=1e-12,
    )


def test_partial_fit_model(friedman):
    X, y, X_test, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=6, target_bounds=(0.0, 30.0), random_state=0)
    for start in range(0, 500, 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100])
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32))
    _assert_matches_predict(model, onx, X_test.astype(np.float32), rtol=1e-5)


def test_int64_input_is_computed_in_float32(friedman):
    X, y, _, _ = friedman
    X_int = np.round(3 * X).astype(np.int64)
    model = _fit(SigmoidMLPRegressor(n_hidden=4, random_state=0), X_int, y)
    onx = skl2onnx.to_onnx(model, X_int[:1])
    got = _run(onx, X_int)
    assert got.dtype == np.float32
    expected = model.predict(X_int.astype(np.float32))
    np.testing.assert_allclose(got.ravel(), expected, rtol=1e-5)


def test_unfitted_model_is_a_clear_error():
    X = np.zeros((1, 3), dtype=np.float32)
    with pytest.raises(NotFittedError, match="not fitted yet.*nothing to convert"):
        skl2onnx.to_onnx(SigmoidMLPRegressor(), X)
    with pytest.raises(NotFittedError, match="nothing to convert"):
        sigmoidnet_onnx.target_map_coefficients(SigmoidMLPRegressor())


def test_unfitted_model_in_a_fitted_pipeline_is_a_clear_error(friedman):
    X, y, _, _ = friedman
    pipeline = make_pipeline(StandardScaler(), SigmoidMLPRegressor())
    pipeline.steps[0][1].fit(X)
    with pytest.raises(NotFittedError, match="SigmoidMLPRegressor instance is not"):
        skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32))


def test_wrong_number_of_features_is_a_clear_error(friedman):
    X, y, _, _ = friedman
    model = _fit(SigmoidMLPRegressor(n_hidden=4, max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="3 features.*expects 10"):
        skl2onnx.convert_sklearn(
            model, initial_types=[("X", FloatTensorType([None, 3]))]
        )


def test_float32_graph_warns_when_predict_would_keep_float64(friedman):
    """An offset target that float32 cannot resolve: predict returns float64
    for float32 X, so the float32 graph warns; a double graph matches."""
    X, y, X_test, _ = friedman
    y = 1e4 + 1e-3 * y
    model = _fit(SigmoidMLPRegressor(n_hidden=4, random_state=0), X, y)
    assert model.predict(X_test.astype(np.float32)).dtype == np.float64
    with pytest.warns(UserWarning, match="do not fit float32"):
        skl2onnx.to_onnx(model, X[:1].astype(np.float32))
    onx = skl2onnx.to_onnx(model, X[:1])
    _assert_matches_predict(model, onx, X_test, rtol=1e-12)


def test_registered_under_its_alias():
    from skl2onnx._supported_operators import sklearn_operator_name_map

    assert sklearn_operator_name_map[SigmoidMLPRegressor] == sigmoidnet_onnx.ALIAS
