"""Hostile input on the newer surfaces (issue 20): a clear error naming the
argument, or a correct answer, and nothing lost.

Every test checks a value that could be wrong, not only that nothing raised.
The data are small (60 rows, 10 features) so that the file runs in seconds.
"""

import pickle
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

import sklearn_sigmoidnet
from sklearn_sigmoidnet import ParameterLayout, SigmoidMLPRegressor, glorot_uniform
from sklearn_sigmoidnet._kernel import NetworkKernel
from sklearn_sigmoidnet.exceptions import FitInterruptedWarning

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture(scope="module")
def data():
    """Friedman #1 with a little noise, standardised X: 60 rows, 10 features."""
    X, y = make_friedman1(n_samples=60, noise=0.5, random_state=0)
    X = StandardScaler().fit_transform(X)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _model(**kwargs):
    settings = dict(n_hidden=3, alpha=1e-3, solver="lbfgs", max_iter=15)
    settings.update(random_state=0)
    settings.update(kwargs)
    return SigmoidMLPRegressor(**settings)


def _fit(model, X, y, **fit_params):
    """fit with ConvergenceWarning silenced (the budgets here are small)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def _theta(model):
    return np.concatenate([np.ravel(a) for a in (*model.coefs_, *model.intercepts_)])


def _state(model):
    """A deep-enough snapshot of the fitted state."""
    return {
        key: (value.copy() if isinstance(value, np.ndarray) else value)
        for key, value in vars(model).items()
    }


# ------------------------------------------------------------------ 1. alpha
@pytest.mark.parametrize(
    "alpha", [np.array(-1.0), np.array(np.nan), np.array(np.inf)], ids=str
)
def test_alpha_as_a_bad_0d_array_names_alpha(data, alpha):
    X, y = data
    with pytest.raises(ValueError, match="alpha"):
        _model(alpha=alpha).fit(X, y)


@pytest.mark.parametrize(
    "alpha",
    [{"a": 1.0}, ["a", "b", "c"], np.array("auto"), [1.0, 2.0], [[1e-3] * 3]],
    ids=repr,
)
def test_alpha_of_a_wrong_kind_names_alpha(data, alpha):
    X, y = data
    with pytest.raises((ValueError, TypeError), match="alpha"):
        _model(alpha=alpha).fit(X, y)


def test_alpha_as_a_0d_array_fits_like_the_float(data):
    X, y = data
    as_float = _fit(_model(alpha=0.01), X, y)
    as_array = _fit(_model(alpha=np.array(0.01)), X, y)
    np.testing.assert_array_equal(as_array.predict(X), as_float.predict(X))
    assert as_array.loss_curve_ == as_float.loss_curve_
    assert as_array.alpha_ == 0.01


# ----------------------------------------------------- 2. huge finite penalty
@pytest.mark.parametrize(
    "solver, alpha",
    [
        ("lm", 1e300),
        ("lbfgs", 1e50),
        ("gd", 1e50),
        ("lbfgs", [1e-3, 1e-3, 1e300]),
        ("lm", [0.0, 0.0, 1e300]),
        ("gd", [1e-3, 1e-3, 1e50]),
    ],
    ids=str,
)
def test_a_huge_penalty_gives_the_constant_model_at_once(data, solver, alpha):
    X, y = data
    weights = np.linspace(0.5, 2.0, len(y))
    start = time.perf_counter()
    with pytest.warns(UserWarning, match="constant prediction"):
        model = _model(solver=solver, alpha=alpha, max_iter=200).fit(
            X, y, sample_weight=weights
        )
    assert time.perf_counter() - start < 2.0
    mean = np.average(y, weights=weights)
    np.testing.assert_allclose(model.predict(X), mean, rtol=1e-9)
    assert np.all(np.isfinite(model.noise_variance_))


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
@pytest.mark.parametrize("alpha", [1e2, 1e4, 1e6])
def test_a_large_but_sane_penalty_still_fits_the_mean(data, solver, alpha):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "constant" warning
        model = _model(solver=solver, alpha=alpha, max_iter=100).fit(X, y)
    assert model.n_iter_ > 0
    predictions = model.predict(X)
    assert np.ptp(predictions) < 0.05 * np.ptp(y)  # near-constant ...
    np.testing.assert_allclose(predictions.mean(), y.mean(), rtol=1e-4)  # ... mean


# ------------------------------------------------------ 3. hostile weights
def _in_range(weights):
    """The documented rescaling: the weights times a power of two that gives
    a mean weight of about 1 (the largest weight to 2^e, 2^e about
    n / (sum / largest))."""
    largest = weights.max()
    share = np.sum(weights / largest)
    exponent = np.frexp(largest)[1] - np.frexp(len(weights) / share)[1]
    rescaled = np.ldexp(weights, -exponent)
    assert 2.0**-64 <= rescaled.sum() <= 2.0**64
    return rescaled


def _hostile_weights(name, n):
    return {
        "all_1e308": np.full(n, 1e308),
        "all_float_max": np.full(n, np.finfo(np.float64).max),
        "all_1e-300": np.full(n, 1e-300),
        "all_subnormal": np.full(n, 5e-324),
        "half_1e308": np.r_[np.full(n // 2, 1e308), np.ones(n - n // 2)],
        "one_1e308": np.r_[1e308, np.ones(n - 1)],
    }[name]


@pytest.mark.parametrize("solver", ["lbfgs", "lm", "gd"])
@pytest.mark.parametrize("alpha", [1e-3, "auto"])
@pytest.mark.parametrize(
    "name", ["all_1e308", "all_float_max", "all_1e-300", "all_subnormal", "half_1e308"]
)
def test_hostile_weights_are_relative(data, solver, alpha, name):
    """RuntimeWarnings are errors here (pyproject's filterwarnings)."""
    X, y = data
    weights = _hostile_weights(name, len(y))
    model = _fit(
        _model(solver=solver, alpha=alpha, max_iter=10), X, y, sample_weight=weights
    )
    assert np.all(np.isfinite(model.noise_variance_))
    assert model.noise_variance_[0] > 0
    assert model.n_iter_ > 0
    initial = glorot_uniform(ParameterLayout(10, 3, 1), np.random.RandomState(0))
    moved = np.abs(model._theta() - initial)
    assert moved.max() > 1e-3
    rescaled = _fit(
        _model(solver=solver, alpha=alpha, max_iter=10),
        X,
        y,
        sample_weight=_in_range(weights),
    )
    np.testing.assert_array_equal(model.predict(X), rescaled.predict(X))
    assert model.loss_curve_ == rescaled.loss_curve_


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_one_huge_weight_among_ones(data, solver):
    """One row of weight 1e308 among 59 of weight 1: the others weigh 1e-308
    beside it. alpha="auto" trains; a float alpha gives that row's target
    (the weighted mean), with a warning."""
    X, y = data
    weights = _hostile_weights("one_1e308", len(y))
    model = _fit(
        _model(solver=solver, alpha="auto", max_iter=10), X, y, sample_weight=weights
    )
    assert model.n_iter_ > 0 and np.all(np.isfinite(model.noise_variance_))
    rescaled = _fit(
        _model(solver=solver, alpha="auto", max_iter=10),
        X,
        y,
        sample_weight=_in_range(weights),
    )
    np.testing.assert_array_equal(model.predict(X), rescaled.predict(X))
    with pytest.warns(UserWarning, match="constant prediction"):
        fixed = _model(solver=solver, alpha=1e-3).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(fixed.predict(X), y[0], rtol=1e-9)


# -------------------------------------------------- 4. set_params(n_hidden)
def test_set_params_n_hidden_on_a_fitted_model(data):
    X, y = data
    model = _fit(_model(n_hidden=3), X, y)
    predictions, score = model.predict(X), model.score(X, y)
    _, std = model.predict(X, return_std=True)
    model.set_params(n_hidden=5)
    np.testing.assert_array_equal(model.predict(X), predictions)
    np.testing.assert_array_equal(model.predict(X, return_std=True)[1], std)
    assert model.score(X, y) == score
    state = _state(model)
    for attempt in (
        lambda: model.partial_fit(X, y),
        lambda: model.set_params(warm_start=True).fit(X, y),
    ):
        with pytest.raises(ValueError, match=r"n_hidden=5.*3 hidden units") as error:
            attempt()
        assert "warm_start=False" in str(error.value)
        np.testing.assert_array_equal(model.predict(X), predictions)
    assert set(vars(model)) == set(state)
    _fit(model.set_params(warm_start=False), X, y)
    assert model.coefs_[0].shape == (10, 5) and model.coefs_[1].shape == (5, 1)
    fresh = _fit(_model(n_hidden=5), X, y)
    np.testing.assert_array_equal(model.predict(X), fresh.predict(X))


# ---------------------------------------------------------- 5. callbacks
class _Recorder:
    """Reads ``fitted_estimator`` at every iteration's end."""

    def __init__(self, X):
        self.X = X
        self.errors, self.predictions, self.noise = [], [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "iteration" or fitted_estimator is None:
            return False
        self.predictions.append(fitted_estimator.predict(self.X))
        self.noise.append(fitted_estimator.noise_variance_)
        try:
            fitted_estimator.predict(self.X, return_std=True)
        except ValueError as error:
            self.errors.append(str(error))
        else:
            self.errors.append(None)
        return False


@pytest.mark.parametrize(
    "settings", [dict(solver="lbfgs", alpha=1e-3), dict(solver="lm", alpha="auto")]
)
def test_a_callback_mid_fit_never_sees_the_previous_posterior(data, settings):
    pytest.importorskip("sklearn.callback")
    X, y = data
    model = _fit(_model(max_iter=5, **settings), X, y)
    model.predict(X, return_std=True)  # the first fit has a posterior
    recorder = _Recorder(X)
    _fit(model.set_callbacks(recorder), X, 20 * y)
    assert recorder.errors and all(
        error is not None and "mid-fit" in error for error in recorder.errors
    )
    assert all(np.all(np.isnan(noise)) for noise in recorder.noise)
    # the network the callbacks see is in the new fit's units (20 y)
    assert recorder.predictions[-1].mean() == pytest.approx(20 * y.mean(), rel=0.2)
    if settings["solver"] == "lbfgs":  # the last iteration's is the fit's
        np.testing.assert_array_equal(recorder.predictions[-1], model.predict(X))
    _, std = model.predict(X, return_std=True)
    assert np.all(std > 0) and std.mean() > 5 * np.sqrt(
        _fit(_model(max_iter=5, **settings), X, y).noise_variance_[0]
    )


def test_a_model_fitted_with_callbacks_persists(data, tmp_path):
    pytest.importorskip("sklearn.callback")
    sio = pytest.importorskip("skops.io")
    X, y = data
    recorder = _Recorder(X)
    model = _fit(
        _model(alpha="auto", solver="lm", max_iter=5).set_callbacks(recorder), X, y
    )
    predictions, std = model.predict(X, return_std=True)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = sio.load(path, trusted=list(sklearn_sigmoidnet.SKOPS_TRUSTED_TYPES))
    unpickled = pickle.loads(pickle.dumps(model))
    for copy in (loaded, unpickled):
        assert not hasattr(copy, "_skl_callbacks")
        got, got_std = copy.predict(X, return_std=True)
        np.testing.assert_array_equal(got, predictions)
        np.testing.assert_array_equal(got_std, std)
    # the live model keeps its callbacks for the next fit
    assert model._skl_callbacks == [recorder]
    seen = len(recorder.predictions)
    _fit(model, X, y)
    assert len(recorder.predictions) == 2 * seen


# ------------------------------------------------ 6. the auto ConvergenceWarning
def test_the_evidence_loop_warning_names_its_budget(data):
    X, y = data
    with pytest.warns(ConvergenceWarning) as record:
        model = _model(solver="gd", alpha="auto", max_iter=3000).fit(X, y)
    messages = [str(w.message) for w in record if w.category is ConvergenceWarning]
    assert model.n_iter_ < 3000 and len(model.alpha_history_) == 50
    assert not any("max_iter=3000" in message for message in messages)
    assert any(
        "solver='gd'" in message and "50 evidence updates" in message
        for message in messages
    )


@pytest.mark.parametrize("n_hidden", [3, 60])
def test_the_auto_warning_names_the_solver_that_ran(data, n_hidden):
    X, y = data
    with pytest.warns(ConvergenceWarning) as record:
        model = _model(solver="auto", alpha="auto", max_iter=3, n_hidden=n_hidden)
        model.fit(X, y)
    assert model.solver_ == ("lm" if n_hidden == 3 else "lbfgs")
    (message,) = [str(w.message) for w in record if w.category is ConvergenceWarning]
    assert f"solver={model.solver_!r}" in message and "max_iter=3 " in message


# ---------------------------------------------------------------- 7. Ctrl-C
def _raise_on_call(monkeypatch, name, call):
    """NetworkKernel.<name> raises KeyboardInterrupt on its ``call``-th call."""
    original = getattr(NetworkKernel, name)
    calls = [0]

    def interrupted(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(NetworkKernel, name, interrupted)
    return calls


def _check_interrupted(model, reference, X):
    np.testing.assert_array_equal(_theta(model), _theta(reference))
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    assert np.all(np.isfinite(model.noise_variance_))
    with pytest.raises(ValueError, match="interrupted"):
        model.predict(X, return_std=True)


def test_ctrl_c_in_the_posterior_keeps_the_training(data, monkeypatch):
    """A fixed-alpha lbfgs fit forms the Gauss-Newton matrix only for the
    posterior, after training: its first call is interrupted."""
    X, y = data
    reference = _fit(_model(max_iter=10), X, y)
    calls = _raise_on_call(monkeypatch, "normal_equations", 1)
    with pytest.warns(FitInterruptedWarning, match="posterior"):
        model = _fit(_model(max_iter=10), X, y)
    assert calls[0] == 1
    _check_interrupted(model, reference, X)
    assert model.loss_curve_ == reference.loss_curve_
    assert np.isnan(model.log_evidence_) and np.isnan(model.n_effective_parameters_)


def test_ctrl_c_in_an_evidence_update_keeps_the_training(data, monkeypatch):
    """alpha="auto" with lbfgs: the first evidence update (after the first
    chunk of 20 iterations at alpha = 0.01 for every group) is interrupted;
    the weights are those of 20 iterations at that fixed penalty."""
    X, y = data
    reference = _fit(_model(alpha=np.full(3, 1e-2), max_iter=20), X, y)
    _raise_on_call(monkeypatch, "normal_equations", 1)
    with pytest.warns(FitInterruptedWarning, match="interrupted"):
        model = _fit(_model(alpha="auto", max_iter=100), X, y)
    assert model.n_iter_ == 20
    _check_interrupted(model, reference, X)
    np.testing.assert_array_equal(model.alpha_, np.full(3, 1e-2))


def test_ctrl_c_after_the_last_iteration_keeps_it(data):
    """A callback interrupted at the end of the last iteration."""
    pytest.importorskip("sklearn.callback")
    X, y = data

    class InterruptAtLast(_Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "iteration" and context.task_id == 4:
                raise KeyboardInterrupt
            return False

    reference = _fit(_model(max_iter=5, tol=0), X, y)
    model = _model(max_iter=5, tol=0).set_callbacks(InterruptAtLast(X))
    with pytest.warns(FitInterruptedWarning):
        _fit(model, X, y)
    assert model.n_iter_ == 5
    _check_interrupted(model, reference, X)


# -------------------------------------------- 8. a raising fit loses nothing
class _RaisesAt(_Recorder):
    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "iteration" and context.task_id == 1:
            raise RuntimeError("the callback's own error")
        return False


@pytest.mark.parametrize(
    "failure", ["nan_in_X", "wrong_features", "interrupt_first_loss", "callback"]
)
@pytest.mark.parametrize("solver", ["lbfgs", "lm", "gd"])
def test_a_failing_fit_leaves_the_fitted_model_as_it_was(
    data, monkeypatch, failure, solver
):
    X, y = data
    model = _fit(_model(solver=solver, max_iter=5), X, y)
    before, predictions = _state(model), model.predict(X)
    _, std = model.predict(X, return_std=True)
    X_new, error = 3 * X, ValueError
    if failure == "nan_in_X":
        X_new = X_new.copy()
        X_new[3, 2] = np.nan
    elif failure == "wrong_features":
        model.set_params(warm_start=True)
        before["warm_start"] = True
        X_new = X_new[:, :4]
    elif failure == "interrupt_first_loss":
        first = "normal_equations" if solver == "lm" else "loss_gradient"
        _raise_on_call(monkeypatch, first, 1)
        error = KeyboardInterrupt
    else:
        pytest.importorskip("sklearn.callback")
        model.set_callbacks(_RaisesAt(X))
        before["_skl_callbacks"] = model._skl_callbacks
        error = RuntimeError
    with pytest.raises(error):
        model.fit(X_new, 2 * y)
    monkeypatch.undo()
    assert set(vars(model)) == set(before)
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(vars(model)[key], value)
        elif key in ("coefs_", "intercepts_"):
            for got, kept in zip(vars(model)[key], value, strict=True):
                np.testing.assert_array_equal(got, kept)
        elif not key.startswith("_"):
            assert vars(model)[key] == value, key
    np.testing.assert_array_equal(model.predict(X), predictions)
    np.testing.assert_array_equal(model.predict(X, return_std=True)[1], std)


# ====================================================== further: the data
def _bounded(model, predictions):
    """Predictions within [y_min - range/3, y_max + range/3] (the default
    target_range's bound) and finite."""
    low, high = model.target_min_[0], model.target_max_[0]
    span = high - low
    assert np.all(np.isfinite(predictions))
    assert np.all(predictions >= low - span / 3 - 1e-9 * span)
    assert np.all(predictions <= high + span / 3 + 1e-9 * span)


@pytest.mark.parametrize(
    "shape_X, shape_y, match",
    [
        ((0, 10), (0,), "0 sample"),
        ((60, 0), (60,), "0 feature"),
        ((60, 10), (60, 0), "0 feature"),
        ((60, 10), (60, 1, 1), "dim 3"),
        ((60, 10), (59,), "inconsistent numbers of samples"),
    ],
)
def test_empty_or_misshapen_data_is_refused(shape_X, shape_y, match):
    with pytest.raises(ValueError, match=match):
        _model().fit(np.zeros(shape_X), np.zeros(shape_y))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True])
def test_non_finite_X_is_refused_by_fit_and_predict(data, value, sparse):
    X, y = data
    bad = X.copy()
    bad[3, 2] = value
    bad = sp.csr_matrix(bad) if sparse else bad
    match = "Input X contains (NaN|infinity)"
    with pytest.raises(ValueError, match=match):
        _model().fit(bad, y)
    model = _fit(_model(), X, y)
    with pytest.raises(ValueError, match=match):
        model.predict(bad)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_y_is_refused(data, value):
    X, y = data
    bad = y.copy()
    bad[7] = value
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        _model().fit(X, bad)


def test_object_dtypes_of_numbers_fit_like_floats(data):
    X, y = data
    reference = _fit(_model(), X, y).predict(X)
    as_objects = _fit(_model(), X.astype(object), y.astype(object))
    np.testing.assert_array_equal(as_objects.predict(X.astype(object)), reference)
    with pytest.raises(ValueError, match="could not convert string to float"):
        _model().fit(X, np.array(["a"] * len(y), dtype=object))
    with pytest.raises(ValueError, match="could not convert string to float"):
        _model().fit(np.full(X.shape, "a", dtype=object), y)


def test_complex_data_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="Complex data not supported"):
        _model().fit(X + 1j, y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        _model().fit(X, y + 1j)
    model = _fit(_model(), X, y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.predict(X + 1j)


@pytest.mark.parametrize("solver", ["lbfgs", "lm", "gd"])
def test_huge_and_subnormal_X(data, solver):
    """No RuntimeWarning (they are errors here); finite, bounded predictions."""
    X, y = data
    huge = _fit(_model(solver=solver), X * 1e300, y)
    _bounded(huge, huge.predict(X * 1e300))
    tiny = _fit(_model(solver=solver), X * 1e-320, y)
    _bounded(tiny, tiny.predict(X * 1e-320))
    model = _fit(_model(solver=solver), X, y)
    _bounded(model, model.predict(X * 1e300))
    _bounded(model, model.predict(np.full(X.shape, np.finfo(np.float64).max)))


@pytest.mark.parametrize("solver", ["lbfgs", "lm", "gd"])
def test_sparse_explicit_zeros_and_duplicates(data, solver):
    X, y = data
    dense = X.copy()
    dense[:, ::3] = 0.0
    clean = sp.csr_matrix(dense)
    clean.eliminate_zeros()
    # the same matrix with every zero of the dense array stored explicitly
    explicit = sp.csr_matrix(
        (dense.ravel(), np.tile(np.arange(10), 60), np.arange(0, 601, 10)),
        shape=dense.shape,
    )
    assert explicit.nnz == dense.size > clean.nnz
    reference = _fit(_model(solver=solver), clean, y).predict(clean)
    got = _fit(_model(solver=solver), explicit, y)
    np.testing.assert_array_equal(got.predict(explicit), reference)
    np.testing.assert_array_equal(got.predict(clean), reference)
    # duplicated entries (non-canonical CSR): summed, as scipy defines them
    coo = clean.tocoo()
    order = np.argsort(coo.row, kind="stable")
    rows, cols, values = coo.row[order], coo.col[order], coo.data[order]
    counts = np.bincount(rows, minlength=60)
    halves = sp.csr_matrix(
        (
            np.repeat(values / 2, 2),
            np.repeat(cols, 2),
            np.r_[0, np.cumsum(2 * counts)],
        ),
        shape=dense.shape,
    )
    assert not halves.has_canonical_format
    np.testing.assert_array_equal(halves.toarray(), dense)
    duplicated = _fit(_model(solver=solver), halves, y)
    np.testing.assert_allclose(duplicated.predict(clean), reference, rtol=1e-10)
    # and dense X of the same values: the same fit to rounding
    from_dense = _fit(_model(solver=solver), dense, y).predict(dense)
    np.testing.assert_allclose(from_dense, reference, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.float16])
def test_small_dtype_targets_fit_like_float64(data, dtype):
    X, y = data
    small = np.round(y).astype(dtype)
    reference = _fit(_model(), X, small.astype(np.float64))
    got = _fit(_model(), X, small)
    np.testing.assert_array_equal(got.predict(X), reference.predict(X))
    assert got.predict(X).dtype == np.float64
    np.testing.assert_array_equal(got.target_max_, [small.max()])


# ============================================ further: the parameters
@pytest.mark.parametrize(
    "target_range",
    [
        ("a", "b"),
        (0.9, 0.1),
        (0.5, 0.5),
        (0.0, 1.0),
        (-0.1, 0.5),
        (0.1,),
        (0.1, 0.5, 0.9),
        (np.nan, 0.5),
        (0.2j, 0.8),
        (0.1, np.array([0.9])),
        (None, 0.8),
    ],
    ids=repr,
)
def test_nonsense_target_range_is_refused(data, target_range):
    X, y = data
    with pytest.raises(ValueError, match=r"target_range must be two numbers"):
        _model(target_range=target_range).fit(X, y)
    with pytest.raises(ValueError, match=r"target_range"):
        _model(target_range=target_range).partial_fit(X, y)


@pytest.mark.parametrize("target_range", [None, 0.5, [0.2, 0.8], {"low": 0.1}])
def test_target_range_of_another_type_names_it(data, target_range):
    X, y = data
    with pytest.raises(ValueError, match="target_range"):
        _model(target_range=target_range).fit(X, y)


@pytest.mark.parametrize(
    "target_bounds",
    [
        ("a", "b"),
        (10.0, 0.0),
        (5.0, 5.0),
        (np.nan, 1.0),
        (0.0, np.inf),
        (0.0,),
        (0.0, 1.0, 2.0),
        (0.0, [1.0, 2.0]),  # two values for one output
        ({}, 1.0),
    ],
    ids=repr,
)
def test_nonsense_target_bounds_are_refused(data, target_bounds):
    X, y = data
    match = "target_bounds must be"
    with pytest.raises(ValueError, match=match):
        _model(target_bounds=target_bounds).fit(X, y)
    with pytest.raises(ValueError, match=match):
        _model(target_bounds=target_bounds).partial_fit(X, y)


def test_target_bounds_one_per_output(data):
    X, y = data
    Y = np.c_[y, 2 * y]
    model = _fit(_model(target_bounds=([0.0, 0.0], [30.0, 60.0])), X, Y)
    np.testing.assert_array_equal(model.target_min_, [0.0, 0.0])
    np.testing.assert_array_equal(model.target_max_, [30.0, 60.0])
    with pytest.raises(ValueError, match="target_bounds must be"):
        _model(target_bounds=([0.0] * 3, [1.0] * 3)).fit(X, Y)


def test_huge_n_init_with_early_stopping_on_five_rows_fails_at_once(data):
    X, y = data
    start = time.perf_counter()
    with pytest.raises(ValueError, match="validation_fraction=0.1 of 5 samples"):
        _model(n_init=10**9, early_stopping=True).fit(X[:5], y[:5])
    assert time.perf_counter() - start < 1.0


def test_many_restarts_with_early_stopping_on_five_rows(data):
    """n_init=200 on 5 rows, 2 held out: every restart runs; the kept one
    has the best validation score of them all."""
    X, y = data
    model = _fit(
        _model(n_init=200, early_stopping=True, validation_fraction=0.4, max_iter=2),
        X[:5],
        y[:5],
    )
    assert len(model.restart_losses_) == 200
    assert model.best_validation_score_ == max(model.validation_scores_)
    one = _fit(
        _model(n_init=1, early_stopping=True, validation_fraction=0.4, max_iter=2),
        X[:5],
        y[:5],
    )
    assert model.best_validation_score_ >= one.best_validation_score_


@pytest.mark.parametrize(
    "fraction, match",
    [
        (0.0, "validation_fraction"),
        (1.0, "validation_fraction"),
        (-0.1, "validation_fraction"),
        (1.5, "validation_fraction"),
        (np.nan, "validation_fraction"),
        (1e-300, "validation_fraction=1e-300 of 60 samples"),
        (0.01, "validation_fraction=0.01 of 60 samples"),
        (0.99, "validation_fraction=0.99 of 60 samples"),
    ],
)
def test_validation_fraction_extremes(data, fraction, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        _model(early_stopping=True, validation_fraction=fraction).fit(X, y)


def test_validation_fraction_at_the_edges_that_work(data):
    X, y = data
    # 2 of 60 held out, and 58 of 60 held out (2 rows to train on)
    low = _fit(_model(early_stopping=True, validation_fraction=2 / 60), X, y)
    high = _fit(_model(early_stopping=True, validation_fraction=58 / 60), X, y)
    for model in (low, high):
        assert model.best_validation_score_ == max(model.validation_scores_)
        assert np.all(np.isfinite(model.predict(X)))


def test_partial_fit_with_other_outputs_or_features_loses_nothing(data):
    X, y = data
    model = _model().partial_fit(X, y)
    state, predictions = _state(model), model.predict(X)
    attempts = [
        ((X, np.c_[y, y]), "y has 2 outputs, the fitted network has 1"),
        ((X[:, :9], y), "X has 9 features, but SigmoidMLPRegressor is expecting 10"),
        ((np.c_[X, X[:, :1]], y), "X has 11 features"),
    ]
    for args, match in attempts:
        with pytest.raises(ValueError, match=match):
            model.partial_fit(*args)
    assert set(vars(model)) == set(state)
    assert model.loss_curve_ == state["loss_curve_"]
    np.testing.assert_array_equal(model.predict(X), predictions)
    two = _model().partial_fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="y has 1 outputs, the fitted network has 2"):
        two.partial_fit(X, y)


def test_a_model_pickled_mid_fit_predicts_like_it(data):
    """The fitted_estimator a callback sees pickles and round-trips through
    skops; the estimator itself, pickled mid-fit, is still the previous fit."""
    pytest.importorskip("sklearn.callback")
    sio = pytest.importorskip("skops.io")
    X, y = data
    found = {}

    class Pickles(_Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "iteration" and "mid" not in found:
                found["mid"] = pickle.dumps(fitted_estimator)
                found["mid_predictions"] = fitted_estimator.predict(X)
                found["live"] = pickle.dumps(estimator)
            return False

    model = _fit(_model(), X, y)
    previous = model.predict(X)
    _fit(model.set_callbacks(Pickles(X)), X, 2 * y)
    mid = pickle.loads(found["mid"])
    np.testing.assert_array_equal(mid.predict(X), found["mid_predictions"])
    with pytest.raises(ValueError, match="mid-fit"):
        mid.predict(X, return_std=True)
    trusted = list(sklearn_sigmoidnet.SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(sio.dumps(mid), trusted=trusted)
    np.testing.assert_array_equal(loaded.predict(X), found["mid_predictions"])
    live = pickle.loads(found["live"])
    np.testing.assert_array_equal(live.predict(X), previous)
    assert not np.allclose(model.predict(X), previous)


@pytest.mark.parametrize("n_jobs", [-1, -2, -1000, 1, 3, 1000, np.int64(2), None])
def test_n_jobs_values_give_the_same_fit(data, n_jobs):
    X, y = data
    reference = _fit(_model(n_jobs=1), X, y).predict(X)
    np.testing.assert_array_equal(
        _fit(_model(n_jobs=n_jobs), X, y).predict(X), reference
    )


@pytest.mark.parametrize("n_jobs", [0, 2.5, "2", -0.5])
def test_n_jobs_nonsense_names_n_jobs(data, n_jobs):
    X, y = data
    with pytest.raises(ValueError, match="n_jobs"):
        _model(n_jobs=n_jobs).fit(X, y)


def test_clone_and_grid_search_with_array_alphas(data):
    X, y = data
    model = _fit(_model(alpha=np.array([1e-3, 1e-2, 1e-3])), X, y)
    copy = clone(model)
    assert not hasattr(copy, "coefs_")
    np.testing.assert_array_equal(copy.alpha, model.alpha)
    np.testing.assert_array_equal(_fit(copy, X, y).predict(X), model.predict(X))
    # a float penalises the non-bias weights: three penalties with the
    # hidden biases' at 0
    grid = {"alpha": [1e-3, np.array(1e-3), [1e-3, 0.0, 1e-3], "auto"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(_model(), grid, cv=3, error_score="raise").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert scores[0] == scores[1]  # a float and a 0-d array: the same fit
    assert scores[2] == pytest.approx(scores[0], rel=1e-12)  # to rounding
    with pytest.raises(ValueError, match="alpha"):
        GridSearchCV(_model(), {"alpha": [-1.0]}, cv=2, error_score="raise").fit(X, y)


# ============================ defects the attack found (issue 20), fixed
@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
@pytest.mark.parametrize(
    "alpha", [[1e50, 0.0, 0.0], [1e50, 1e50, 0.0]], ids=["inputs", "inputs+biases"]
)
def test_huge_hidden_penalties_give_the_weighted_mean(data, solver, alpha):
    """Huge penalties on the input weights (and hidden biases), none on the
    output weights: the hidden layer is constant, so the model is; its
    constant must be the weighted mean of y (or a clear error)."""
    X, y = data
    model = _fit(_model(solver=solver, alpha=alpha, max_iter=200), X, y)
    predictions = model.predict(X)
    assert np.ptp(predictions) < 1e-9 * np.ptp(y)
    np.testing.assert_allclose(predictions, y.mean(), rtol=1e-9)


def test_auto_warning_after_the_leave_one_out_stall(data):
    """alpha="auto", lbfgs, tol=0: the evidence loop stops when the
    leave-one-out error stalls (340 iterations); no warning may say it
    stopped at max_iter=3000."""
    X, y = data
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = _model(alpha="auto", max_iter=3000, tol=0).fit(X, y)
    assert model.n_iter_ < 3000
    assert not any("max_iter=3000" in str(w.message) for w in record)


@pytest.mark.parametrize("task", ["restart", "fit"])
def test_ctrl_c_in_the_last_hooks_keeps_the_training(data, task):
    """Ctrl-C while a callback ends the restart's or the fit's task (after
    the last iteration): the training is kept, as for any interrupt."""
    pytest.importorskip("sklearn.callback")
    X, y = data

    class InterruptAtEnd(_Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == task:
                raise KeyboardInterrupt
            return False

    reference = _fit(_model(max_iter=5, tol=0), X, y)
    model = _model(max_iter=5, tol=0).set_callbacks(InterruptAtEnd(X))
    try:
        with pytest.warns(FitInterruptedWarning):
            _fit(model, X, y)
    except KeyboardInterrupt:  # not to pytest: it would end the session
        pytest.fail("the interrupt escaped fit, and the training was lost")
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_early_stopping_on_constant_held_out_targets(data):
    """The two held-out rows (seed 0: rows 1 and 18 of 20) have the same
    target: R^2 is 0 at every iteration and the fit silently returns the
    untrained initial weights. A clear error, or trained weights."""
    X, y = data
    y20 = y[:20].copy()
    y20[18] = y20[1]
    model = _model(early_stopping=True, validation_fraction=0.1, max_iter=20)
    try:
        _fit(model, X[:20], y20)
    except ValueError as error:
        assert "validation" in str(error)
        return
    initial = glorot_uniform(ParameterLayout(10, 3, 1), np.random.RandomState(0))
    assert not np.array_equal(model._theta(), initial)
    assert model.loss_ == pytest.approx(min(model.loss_curve_), rel=0.5)


def test_early_stopping_one_weighted_held_out_row(data):
    X, y = data
    weights = np.ones(20)
    weights[1] = 0.0  # held out with row 18 (seed 0): one weighted row left
    model = _model(early_stopping=True, validation_fraction=0.1, max_iter=20)
    try:
        _fit(model, X[:20], y[:20], sample_weight=weights)
    except ValueError as error:
        assert "validation" in str(error)
        return
    initial = glorot_uniform(ParameterLayout(10, 3, 1), np.random.RandomState(0))
    assert not np.array_equal(model._theta(), initial)


@pytest.mark.parametrize("bounds", [(0.0, 1e-320), (-1e308, 1e308)], ids=str)
def test_target_bounds_far_from_y(data, bounds):
    """y in [2.8, 26.4] with target_bounds that cannot resolve it: a clear
    error naming target_bounds (RuntimeWarnings are errors here), or
    predictions in y's range."""
    X, y = data
    try:
        model = _fit(_model(target_bounds=bounds, max_iter=50), X, y)
    except ValueError as error:
        assert "target_bounds" in str(error)
        return
    predictions = model.predict(X)
    assert np.all(np.abs(predictions - y.mean()) < 10 * np.ptp(y))


def test_sparse_y_names_y(data):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=r"\by\b.*(sparse|dense)"):
        _model().fit(X, sp.csr_matrix(y[:, None]))


def test_target_range_of_numeric_strings_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="target_range"):
        _model(target_range=("0.1", "0.9")).fit(X, y)


def test_constant_y_does_not_blame_alpha(data):
    """A constant y is predicted exactly, but the warning tells the user to
    lower alpha=1e-3 to fit the data (as for one row, or one row of
    non-zero weight)."""
    X, y = data
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = _model().fit(X, np.full(len(y), 3.0))
    np.testing.assert_array_equal(model.predict(X), 3.0)
    assert not any("Lower alpha" in str(w.message) for w in record)


def test_the_fit_task_end_sees_the_posterior(data):
    """At the end of the fit's task the posterior is computed: the callback's
    fitted_estimator should have it (not the mid-fit placeholder)."""
    pytest.importorskip("sklearn.callback")
    X, y = data
    seen = {}

    class AtFitEnd(_Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "fit":
                seen["noise"] = fitted_estimator.noise_variance_
                seen["std"] = fitted_estimator.predict(X, return_std=True)[1]
            return False

    model = _fit(
        _model(alpha="auto", solver="lm", max_iter=5).set_callbacks(AtFitEnd(X)), X, y
    )
    np.testing.assert_array_equal(seen["noise"], model.noise_variance_)
    np.testing.assert_array_equal(seen["std"], model.predict(X, return_std=True)[1])
