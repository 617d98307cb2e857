"""Hostile and extreme input: a clear error or a finite, correct answer.

pytest turns every RuntimeWarning into an error (pyproject.toml), so each test
here also checks that no overflow or invalid-value warning escapes.
"""

import pickle
import threading
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_sigmoidnet._kernel as kernel_module
from sklearn_sigmoidnet import (
    ParameterLayout,
    SigmoidMLPRegressor,
    glorot_uniform,
    loss_and_gradient,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_samples=60, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    return X, y


def _loss_of(model, X, y):
    """Loss (1) plus penalty of the fitted weights, on the network's scale."""
    layout = ParameterLayout(X.shape[1], model.n_hidden, 1)
    W1, W2 = layout.unpack(model._theta())
    Y = model._target_mapping.to_network(y.reshape(-1, 1))
    return loss_and_gradient(X, Y, W1, W2, alpha=model.alpha_)[0]


def _assert_finite_model(model, X):
    for array in model.coefs_ + model.intercepts_:
        assert np.all(np.isfinite(array))
    predictions = model.predict(X)
    assert np.all(np.isfinite(predictions))
    return predictions


# ----------------------------------------------------------- invalid input
@pytest.mark.parametrize("where", ["X", "y", "sample_weight"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_rejected(where, value):
    X, y = _data()
    weights = np.ones_like(y)
    {"X": X[:, 0], "y": y, "sample_weight": weights}[where][3] = value
    with pytest.raises(ValueError, match="NaN|infinity|finite"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, y, sample_weight=weights)


def test_negative_weights_are_rejected():
    X, y = _data()
    weights = np.ones_like(y)
    weights[0] = -1
    with pytest.raises(ValueError, match="[Nn]egative"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, y, sample_weight=weights)


def test_all_zero_weights_are_rejected():
    X, y = _data()
    with pytest.raises(ValueError, match="zero"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, y, sample_weight=np.zeros_like(y))


def test_weight_count_mismatch_is_rejected():
    X, y = _data()
    with pytest.raises(ValueError, match="sample_weight"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, y, sample_weight=np.ones(3))


def test_string_data_is_rejected():
    X = np.array([["a", "b"], ["c", "d"]], dtype=object)
    with pytest.raises(ValueError, match="could not convert|string"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, [1.0, 2.0])
    X, _ = _data()
    with pytest.raises(ValueError, match="could not convert|string|numeric"):
        SigmoidMLPRegressor(n_hidden=2).fit(X, np.array(["a"] * len(X), dtype=object))


def test_numeric_object_data_is_accepted():
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=2, max_iter=5).fit(X.astype(object), y)
    _assert_finite_model(model, X)
    # object arrays of floats are those floats: the same fit, bit for bit
    model.set_params(random_state=0).fit(X.astype(object), y)
    floats = SigmoidMLPRegressor(n_hidden=2, max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), floats.predict(X))


@pytest.mark.parametrize("shape", [(0, 3), (5, 0)])
def test_empty_input_is_rejected(shape):
    with pytest.raises(ValueError, match="0 sample|0 feature"):
        SigmoidMLPRegressor(n_hidden=2).fit(np.zeros(shape), np.zeros(shape[0]))


def test_wrong_feature_count_at_predict():
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=2, max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_hidden", 0),
        ("n_hidden", 2.5),
        ("solver", "adam"),
        ("alpha", -1.0),
        ("learning_rate", 0.0),
        ("momentum", 1.0),
        ("max_iter", 0),
        ("max_fun", 0),
        ("tol", -1e-3),
        ("n_iter_no_change", 0),
        ("n_jobs", "all"),
        ("n_jobs", 0),
        ("target_range", [0.2, 0.8]),
        ("random_state", "seed"),
    ],
)
def test_invalid_parameters_name_the_parameter(name, value):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=name):
        SigmoidMLPRegressor(**{name: value}).fit(X, y)


# ------------------------------------------------------- extreme magnitudes
@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
def test_huge_inputs_give_a_finite_model(solver):
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=4, solver=solver, random_state=0)
    model = model.fit(X * 1e300, y)
    predictions = _assert_finite_model(model, X * 1e300)
    # Saturated hidden units leave the best constant: predictions near the mean.
    assert abs(predictions.mean() - y.mean()) < y.std()


def test_overflowing_predict_raises_a_clear_error():
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=4, max_iter=20, random_state=0).fit(X, y)
    X_hostile = np.array([[1e308, 1e308, 0.0], [1.0, 2.0, 3.0]])
    model.coefs_[0][0] = 10.0  # 1e308 * 10 - 1e308 * 10 = inf - inf = NaN
    model.coefs_[0][1] = -10.0
    # Dense BLAS fuses multiply-adds and saturates to +-inf (tanh: +-1), so the
    # dense answer is finite; SciPy's sparse product rounds each product first.
    assert np.all(np.isfinite(model.predict(X_hostile)))
    with pytest.raises(ValueError, match="overflowed.*StandardScaler"):
        model.predict(sp.csr_array(X_hostile))


@pytest.mark.parametrize("scale", [1e306, 1e-300, 1e-310])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_extreme_target_scales_keep_the_signal(scale, dtype, solver):
    X, y = _data(n_samples=200)
    model = SigmoidMLPRegressor(n_hidden=8, solver=solver, random_state=0)
    model = model.fit(X.astype(dtype), y * scale)
    predictions = _assert_finite_model(model, X.astype(dtype))
    assert predictions.dtype == (np.float64 if scale > 1e30 or scale < 1e-30 else dtype)
    # R^2 on y / scale: sklearn's r2_score would overflow squaring 1e306.
    assert r2_score(y, predictions / scale) > 0.9


def test_target_range_wider_than_the_largest_float():
    X, y = _data(n_samples=200)
    y = y / np.abs(y).max() * 1.7e308  # y_max - y_min overflows
    model = SigmoidMLPRegressor(n_hidden=8, random_state=0).fit(X, y)
    predictions = _assert_finite_model(model, X)
    assert r2_score(y / 1.7e308, predictions / 1.7e308) > 0.9
    # Extrapolation past the largest float is clipped, never inf.
    assert np.all(np.abs(predictions) <= np.finfo(np.float64).max)


def test_constant_feature_single_sample_and_wide_network():
    X, y = _data(n_samples=5)
    X[:, 1] = 3.0
    # a small fixed penalty: alpha="auto" would rightly not interpolate 5 rows
    wide = SigmoidMLPRegressor(n_hidden=50, alpha=1e-4, random_state=0).fit(X, y)
    predictions = _assert_finite_model(wide, X)
    assert r2_score(y, predictions) > 0.99  # 50 units fit 5 samples
    single = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X[:1], y[:1])
    predictions = _assert_finite_model(single, X)
    np.testing.assert_allclose(predictions, y[0], rtol=1e-6)  # a constant target


@pytest.mark.parametrize("value", [1e-300, 1e300, -3.0])
def test_constant_target_of_any_magnitude(value):
    X, _ = _data()
    y = np.full(X.shape[0], value)
    model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), value, rtol=1e-4)


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize("learning_rate", [1e3, 1e30, 1e300])
def test_gd_with_any_step_keeps_finite_weights(learning_rate):
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=5, solver="gd", learning_rate=learning_rate)
    model = model.fit(X, y)
    _assert_finite_model(model, X)
    assert len(model.loss_curve_) == model.n_iter_
    # loss_ is the loss of the weights kept, the last finite ones
    assert model.loss_ == pytest.approx(_loss_of(model, X, y), rel=1e-10)
    assert np.all(np.isfinite(model.loss_curve_))


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
@pytest.mark.parametrize("interrupt_at", [0, 1, 8])
def test_keyboard_interrupt_keeps_the_last_weights(monkeypatch, solver, interrupt_at):
    X, y = _data()
    calls = {"n": 0}

    def interrupting(method):
        def wrapper(self, *args):
            calls["n"] += 1
            if calls["n"] > interrupt_at:
                raise KeyboardInterrupt
            return method(self, *args)

        return wrapper

    for name in ("loss_gradient", "loss", "normal_equations"):
        method = getattr(kernel_module.NetworkKernel, name)
        monkeypatch.setattr(kernel_module.NetworkKernel, name, interrupting(method))
    model = SigmoidMLPRegressor(n_hidden=4, solver=solver, max_iter=50, random_state=0)
    # gd evaluates the starting loss twice: once for the loss its steps may
    # not exceed (kept for warm_start), once in the solver
    initial_evaluations = 2 if solver == "gd" else 1
    if interrupt_at < initial_evaluations:  # no initial loss: the interrupt goes on
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
        assert not hasattr(model, "coefs_")
        return
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    _assert_finite_model(model, X)
    assert model.n_iter_ == len(model.loss_curve_) < interrupt_at + 1
    assert np.isfinite(model.loss_)
    # the weights kept are those of the last completed iteration: the weights
    # of a run stopped there by max_iter (or the initial ones)
    monkeypatch.undo()
    if model.n_iter_:
        stopped = SigmoidMLPRegressor(
            n_hidden=4, solver=solver, max_iter=model.n_iter_, tol=0, random_state=0
        ).fit(X, y)
        np.testing.assert_array_equal(model.predict(X), stopped.predict(X))
        assert model.loss_curve_ == stopped.loss_curve_[: model.n_iter_]
    else:
        theta = glorot_uniform(ParameterLayout(3, 4, 1), np.random.RandomState(0))
        np.testing.assert_array_equal(model._theta(), theta)
    assert model.loss_ == pytest.approx(_loss_of(model, X, y), rel=1e-10)


# ---------------------------------------------------------------- concurrency
def test_concurrent_predictions_are_identical():
    X, y = _data(n_samples=3000)
    model = SigmoidMLPRegressor(n_hidden=16, max_iter=20, random_state=0).fit(X, y)
    expected = model.predict(X)
    results = [None] * 8

    def work(index):
        for _ in range(3):
            results[index] = model.predict(X)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("sparse", [False, True])
def test_fit_leaves_the_callers_arrays_alone(sparse):
    X, y = _data()
    X[0] = -0.0  # canonical hashing folds -0.0; the caller's array keeps it
    weights = np.arange(len(y), dtype=float) % 3
    X_in = sp.csr_array(X) if sparse else X.copy()
    y_in, weights_in = y.copy(), weights.copy()
    for array in ([X_in.data] if sparse else [X_in]) + [y_in, weights_in]:
        array.flags.writeable = False
    SigmoidMLPRegressor(n_hidden=3, max_iter=5).fit(
        X_in,
        y_in,
        sample_weight=weights_in,
    )
    np.testing.assert_array_equal(X_in.toarray() if sparse else X_in, X)
    if not sparse:  # (a sparse matrix does not store -0.0 in the first place)
        assert np.signbit(X_in[0]).all()
    np.testing.assert_array_equal(y_in, y)
    np.testing.assert_array_equal(weights_in, weights)


# ---------------------------------------------------------------- persistence
def test_pickle_and_joblib_round_trips(tmp_path):
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=5, max_iter=20, random_state=0).fit(X, y)
    expected = model.predict(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X), expected)


@pytest.mark.parametrize("learning_rate", [20.0, 1e4])
def test_gd_backs_off_a_learning_rate_that_raises_the_loss(learning_rate):
    """Standardised diabetes with a learning rate 40x to 20,000x the default:
    steps that lift the loss above the start are undone and the rate halved,
    so the model is fitted (not constant at the edge of the target range) and
    a warning names the learning rate that works."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SigmoidMLPRegressor(
        solver="gd", learning_rate=learning_rate, alpha=1e-4, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    notes = [str(w.message) for w in caught if "halved it to" in str(w.message)]
    assert len(notes) == 1 and f"learning_rate={learning_rate}" in notes[0]
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert model.score(X, y) > 0.45
    assert np.ptp(model.predict(X)) > 100  # not a constant prediction


def test_a_fit_that_raises_leaves_the_fitted_model_as_it_was():
    """Bad input to a second fit (another feature count, and a NaN): the
    error, and the first fit intact, n_features_in_ included."""
    X, y = _data()
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = dict(vars(model))
    bad = np.hstack([X, X])
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y)
    assert vars(model).keys() == before.keys() and model.n_features_in_ == X.shape[1]
    for name, value in before.items():
        assert vars(model)[name] is value
