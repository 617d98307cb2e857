"""ONNX export: ``import sklearn_sigmoidnet.onnx`` registers a converter with
skl2onnx; onnxruntime's outputs equal ``predict`` (to 1e-5 relative in
float32, or twice predict's own float32 error where that is larger; to
rounding in double) for the estimator alone and in a Pipeline, for
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


def _assert_matches_predict(model, onx, X, rtol):
    """onnxruntime's output equals predict to ``rtol``. In float32, where
    predict's own rounding error (against predict on the same X in float64)
    is larger than ``rtol / 2``, to twice that error: a float32 graph cannot
    round closer to predict than predict is to the exact value (large output
    weights amplify the last bits of the hidden units)."""
    expected = model.predict(X)
    got = _run(onx, X)
    n_outputs = 1 if expected.ndim == 1 else expected.shape[1]
    # skl2onnx's regressors return (n_samples, n_outputs), (n, 1) for 1-d y
    assert got.shape == (X.shape[0], n_outputs)
    assert got.dtype == expected.dtype == X.dtype
    if X.dtype == np.float32:
        exact = model.predict(X.astype(np.float64))
        own_error = np.max(np.abs(expected - exact) / np.abs(exact))
        rtol = max(rtol, 2 * own_error)
        assert rtol <= 1e-4  # float32 rounding, not a different function
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=rtol)


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
