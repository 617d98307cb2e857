"""Behaviour of SigmoidMLPRegressor beyond scikit-learn's common checks."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import (
    ParameterLayout,
    SigmoidMLPRegressor,
    glorot_uniform,
    loss_and_gradient,
)

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
no_convergence_warning = pytest.mark.filterwarnings(
    "error::sklearn.exceptions.ConvergenceWarning"
)


def _network(model, X):
    """The fitted network's outputs on the (0, 1) scale, computed directly."""
    Z = expit(X @ model.coefs_[0] + model.intercepts_[0])
    return expit(Z @ model.coefs_[1] + model.intercepts_[1])


def _loss_at_fitted_weights(model, X, y, sample_weight=None):
    W1 = np.vstack([model.coefs_[0], model.intercepts_[0]])
    W2 = np.vstack([model.coefs_[1], model.intercepts_[1]])
    Y_network = model._target_mapping.to_network(np.asarray(y).reshape(len(X), -1))
    loss, _, _ = loss_and_gradient(
        X, Y_network, W1, W2, sample_weight=sample_weight, alpha=model.alpha_
    )
    return loss


@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_learns_friedman(friedman, solver):
    X, y, X_test, y_test = friedman
    model = SigmoidMLPRegressor(
        n_hidden=20, solver=solver, max_iter=500, tol=0, random_state=0
    )
    model.fit(X, y)
    threshold = 0.95 if solver == "lbfgs" else 0.7
    assert model.score(X_test, y_test) > threshold
    assert len(model.loss_curve_) == model.n_iter_ == 500
    assert model.loss_curve_[-1] < model.loss_curve_[0]


@ignore_convergence
def test_fitted_attributes_follow_mlpregressor_layout(friedman):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=7, max_iter=20, random_state=0)
    model.fit(X, y)
    assert [c.shape for c in model.coefs_] == [(10, 7), (7, 1)]
    assert [b.shape for b in model.intercepts_] == [(7,), (1,)]
    assert model.n_features_in_ == 10 and model.n_outputs_ == 1
    assert model.n_iter_ == len(model.loss_curve_) >= 1
    # loss_ is eq. (1) plus the penalty at the final weights, on the network scale
    W1 = np.vstack([model.coefs_[0], model.intercepts_[0]])
    W2 = np.vstack([model.coefs_[1], model.intercepts_[1]])
    Y_network = model._target_mapping.to_network(y.reshape(-1, 1))
    loss, _, _ = loss_and_gradient(X, Y_network, W1, W2, alpha=model.alpha_)
    np.testing.assert_allclose(model.loss_, loss, rtol=1e-10)
    np.testing.assert_allclose(model.loss_curve_[-1], loss, rtol=1e-10)


@ignore_convergence
def test_predict_is_the_network_mapped_back(friedman):
    X, y, X_test, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=5, max_iter=30, random_state=0)
    model.fit(X, y)
    Z = 1 / (1 + np.exp(-(X_test @ model.coefs_[0] + model.intercepts_[0])))
    Yhat = 1 / (1 + np.exp(-(Z @ model.coefs_[1] + model.intercepts_[1])))
    expected = model._target_mapping.to_target(Yhat).ravel()
    np.testing.assert_allclose(model.predict(X_test), expected, rtol=1e-12)


def test_the_initial_weights_are_glorot_uniform(friedman):
    """One iteration of gd from random_state=0 starts at glorot_uniform's
    weights: the first step is -learning_rate times the gradient there."""
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(
        n_hidden=4, solver="gd", max_iter=1, tol=0, momentum=0.0, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    layout = ParameterLayout(10, 4, 1)
    theta0 = glorot_uniform(layout, np.random.RandomState(0))
    W1, W2 = layout.unpack(theta0)
    Y_network = model._target_mapping.to_network(y.reshape(-1, 1))
    _, dW1, dW2 = loss_and_gradient(X, Y_network, W1, W2, alpha=model.alpha_)
    np.testing.assert_allclose(model.coefs_[0], (W1 - 0.5 * dW1)[:-1], rtol=1e-10)
    np.testing.assert_allclose(model.intercepts_[1], (W2 - 0.5 * dW2)[-1], rtol=1e-10)


def test_convergence_warning_when_max_iter_stops_it(friedman):
    X, y, _, _ = friedman
    for solver in ("lbfgs", "gd"):
        with pytest.warns(ConvergenceWarning, match="stopped at max_iter="):
            SigmoidMLPRegressor(n_hidden=5, solver=solver, max_iter=3, tol=0).fit(X, y)


@no_convergence_warning
def test_tol_stops_lbfgs_before_max_iter(friedman):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=5, tol=1e-3, max_iter=1000, random_state=0)
    model.fit(X, y)
    assert model.n_iter_ < 1000


def test_gd_stops_on_tol_after_n_iter_no_change(friedman):
    X, y, _, _ = friedman
    # The loss on the network's scale is at most 0.32 and the target's variance
    # there about 0.03: no step can improve the normalised loss by tol=100.
    model = SigmoidMLPRegressor(
        n_hidden=5,
        solver="gd",
        alpha=1e-4,
        tol=100.0,
        n_iter_no_change=3,
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == 3
    # and with tol=0 every step counts as progress until max_iter
    with pytest.warns(ConvergenceWarning):
        model.set_params(tol=0.0, max_iter=20).fit(X, y)
    assert model.n_iter_ == 20


def test_divergent_learning_rate_keeps_finite_weights(friedman):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(
        n_hidden=5, solver="gd", learning_rate=1e300, momentum=0.0, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="learning_rate"):
        model.fit(X, y)
    for array in model.coefs_ + model.intercepts_:
        assert np.all(np.isfinite(array))
    assert np.all(np.isfinite(model.predict(X)))
    assert model.n_iter_ == len(model.loss_curve_)
    # the weights kept are the last finite ones, and loss_ is their loss
    assert model.loss_ == pytest.approx(_loss_at_fitted_weights(model, X, y), rel=1e-10)
    if model.n_iter_:
        assert model.loss_ == model.loss_curve_[-1]


# ------------------------------------------------------- Levenberg-Marquardt
@ignore_convergence
def test_lm_loss_never_rises_between_accepted_steps(friedman_lm):
    X, y, X_test, y_test = friedman_lm
    model = SigmoidMLPRegressor(
        n_hidden=10, solver="lm", alpha=0, tol=0, max_iter=60, random_state=0
    )
    model.fit(X, y)
    curve = np.array(model.loss_curve_)
    assert len(curve) == model.n_iter_ > 0
    assert np.all(np.diff(curve) <= 0)
    assert model.score(X_test, y_test) > 0.99


def test_lm_warns_when_max_iter_stops_it(friedman_lm):
    X, y, _, _ = friedman_lm
    with pytest.warns(ConvergenceWarning, match="stopped at max_iter="):
        SigmoidMLPRegressor(n_hidden=5, solver="lm", max_iter=3, tol=0).fit(X, y)


@no_convergence_warning
def test_lm_stops_on_tol(friedman_lm):
    X, y, _, _ = friedman_lm
    model = SigmoidMLPRegressor(
        n_hidden=5, solver="lm", tol=1e-2, max_iter=500, random_state=0
    )
    model.fit(X, y)
    assert model.n_iter_ < 500
    assert model.loss_ == pytest.approx(_loss_at_fitted_weights(model, X, y), rel=1e-9)


def test_lm_with_too_many_weights_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(20, 200))
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        SigmoidMLPRegressor(n_hidden=50, solver="lm").fit(X, X[:, 0])


# ---------------------------------------------------------------- targets
@pytest.mark.parametrize(
    "target_range", [(0.0, 0.9), (0.5, 0.5), (0.9, 0.1), "ab", (0.1,)]
)
def test_invalid_target_range(friedman, target_range):
    X, y, _, _ = friedman
    with pytest.raises(ValueError, match="target_range"):
        SigmoidMLPRegressor(target_range=target_range).fit(X, y)


@ignore_convergence
def test_target_range_sets_the_bounds_of_predictions(friedman):
    """Predictions stay within what the sigmoid's (0, 1) maps back to:
    [y_min - range/3, y_max + range/3] with the default target_range."""
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=5, max_iter=20, random_state=0).fit(X, y)
    low, high = model._target_mapping.to_target(np.array([[0.0], [1.0]])).ravel()
    span = y.max() - y.min()
    assert low == pytest.approx(y.min() - span / 3, rel=1e-12)
    assert high == pytest.approx(y.max() + span / 3, rel=1e-12)
    far = model.predict(X * 1e3)  # saturated hidden and output units
    assert np.all((far >= low - 1e-9 * span) & (far <= high + 1e-9 * span))


@ignore_convergence
def test_zero_weight_samples_do_not_move_the_mapping(friedman):
    X, y, _, _ = friedman
    y = y.copy()
    y[0] = 1e6  # an outlier of zero weight
    weights = np.ones_like(y)
    weights[0] = 0
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0)
    model.fit(X, y, sample_weight=weights)
    assert model.target_max_[0] == y[1:].max()
    assert model.target_min_[0] == y[1:].min()
    # nor the fit: it is the fit without the row, bit for bit
    dropped = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0)
    dropped.fit(X[1:], y[1:])
    np.testing.assert_array_equal(model.predict(X), dropped.predict(X))


@ignore_convergence
def test_constant_target():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.full(30, 7.5)
    model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), 7.5, atol=1e-3)


# ----------------------------------------------------------- dtypes, layouts
@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_float32_end_to_end(friedman, solver):
    X, y, X_test, _ = friedman
    X32 = X.astype(np.float32)
    model = SigmoidMLPRegressor(n_hidden=8, solver=solver, random_state=0).fit(X32, y)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    assert model.predict(X_test.astype(np.float32)).dtype == np.float32
    assert model.predict(X_test).dtype == np.float64
    assert model.score(X_test.astype(np.float32), model.predict(X_test)) > 0.9999


@ignore_convergence
@pytest.mark.parametrize("container", [sp.csr_array, sp.csc_matrix])
def test_sparse_matches_dense(container):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6)) * (rng.random((200, 6)) < 0.3)
    y = X @ rng.normal(size=6)
    kwargs = dict(n_hidden=6, max_iter=30, random_state=0)
    dense = SigmoidMLPRegressor(**kwargs).fit(X, y)
    sparse = SigmoidMLPRegressor(**kwargs).fit(container(X), y)
    np.testing.assert_allclose(
        sparse.predict(container(X)), dense.predict(X), rtol=1e-6
    )


@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_memory_layout_of_x_does_not_change_a_bit(friedman, tmp_path, solver):
    """C order, Fortran order, a strided view, a memory-mapped file: the same
    fit and predictions, bit for bit."""
    X, y, X_test, _ = friedman
    wide = np.repeat(X, 2, axis=1)
    path = tmp_path / "X.dat"
    mapped = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mapped[...] = X
    mapped.flush()
    layouts = [
        np.asfortranarray(X),
        wide[:, ::2],
        np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape),
    ]
    kwargs = dict(n_hidden=6, solver=solver, max_iter=15, random_state=0)
    expected = SigmoidMLPRegressor(**kwargs).fit(np.ascontiguousarray(X), y)
    for array in layouts:
        model = SigmoidMLPRegressor(**kwargs).fit(array, y)
        assert model.loss_curve_ == expected.loss_curve_
        np.testing.assert_array_equal(model.predict(X_test), expected.predict(X_test))
        np.testing.assert_array_equal(
            model.predict(np.asfortranarray(X_test)), expected.predict(X_test)
        )


@ignore_convergence
def test_multi_output_shapes():
    X, Y = (
        load_diabetes(return_X_y=True)[0],
        np.random.default_rng(0).normal(size=(442, 3)),
    )
    model = SigmoidMLPRegressor(n_hidden=4, max_iter=10, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (442, 3)
    column = SigmoidMLPRegressor(n_hidden=4, max_iter=10, random_state=0)
    column.fit(X, Y[:, :1])
    assert column.predict(X).shape == (442, 1)
    assert model.coefs_[1].shape == (4, 3) and model.intercepts_[1].shape == (3,)
    # each output is the network's, mapped back with its own range
    expected = model._target_mapping.to_target(_network(model, X))
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(model.target_min_, Y.min(axis=0))
    np.testing.assert_array_equal(model.target_max_, Y.max(axis=0))
    np.testing.assert_allclose(
        column.predict(X),
        column._target_mapping.to_target(_network(column, X)),
        rtol=1e-12,
        atol=1e-13,
    )


# ------------------------------------------------ weights and sample order
@ignore_convergence
def test_weights_equal_repetition_exactly(friedman):
    """Integer weights and repeated rows give bit-identical fits, in any order."""
    X, y, X_test, _ = friedman
    rng = np.random.default_rng(1)
    weights = rng.integers(0, 4, size=X.shape[0])
    X_repeated, y_repeated = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    order = rng.permutation(X_repeated.shape[0])
    kwargs = dict(n_hidden=10, max_iter=150, tol=0, random_state=0)
    weighted = SigmoidMLPRegressor(**kwargs).fit(X, y, sample_weight=weights)
    repeated = SigmoidMLPRegressor(**kwargs).fit(X_repeated[order], y_repeated[order])
    np.testing.assert_array_equal(weighted.predict(X_test), repeated.predict(X_test))


@ignore_convergence
def test_n_jobs_does_not_change_results(friedman):
    X, y, X_test, _ = friedman
    X = np.tile(X, (10, 1))  # several row blocks
    y = np.tile(y, 10) + np.repeat(np.arange(10), 500) * 1e-3
    predictions = []
    for n_jobs in (1, 2, None):
        model = SigmoidMLPRegressor(
            n_hidden=16, max_iter=15, n_jobs=n_jobs, random_state=0
        )
        predictions.append(model.fit(X, y).predict(X_test))
    np.testing.assert_array_equal(predictions[0], predictions[1])
    np.testing.assert_array_equal(predictions[0], predictions[2])


@ignore_convergence
def test_verbose_prints_iterations(friedman, capsys):
    X, y, _, _ = friedman
    for random_state in range(4):
        model = SigmoidMLPRegressor(
            n_hidden=3, max_iter=3, tol=0, verbose=True, random_state=random_state
        )
        model.fit(X, y)
        out = capsys.readouterr().out
        assert "Iteration     1, loss =" in out and "Iteration     3" in out
        # the losses printed are the curve's
        for iteration, loss in enumerate(model.loss_curve_, start=1):
            assert f"Iteration {iteration:5d}, loss = {loss:.8g}, time = " in out
        # the last line: the loss of the weights kept (alpha="auto" keeps the
        # evidence's mode of the lowest leave-one-out error, not always the
        # last iterate's)
        assert f"Stopped after 3 iterations, loss = {model.loss_:.8g}" in out


@ignore_convergence
def test_pipeline_and_grid_search(friedman):
    X, y, X_test, y_test = friedman
    pipeline = make_pipeline(
        StandardScaler(), SigmoidMLPRegressor(alpha=1e-4, max_iter=100, random_state=0)
    )
    search = GridSearchCV(pipeline, {"sigmoidmlpregressor__n_hidden": [2, 16]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"sigmoidmlpregressor__n_hidden": 16}
    assert search.score(X_test, y_test) > 0.9


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SigmoidMLPRegressor().predict(np.zeros((2, 2)))


# ------------------------------------------------- MLPRegressor's expectations
@pytest.mark.parametrize("n_samples", [1, 2, 30])
def test_a_constant_target_is_predicted_exactly(n_samples):
    X = np.random.default_rng(0).normal(size=(n_samples, 3))
    X_new = np.random.default_rng(1).normal(size=(50, 3)) * 10
    for value in (7.5, 17.21, -3e-7):
        model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(
            X, np.full(n_samples, value)
        )
        np.testing.assert_array_equal(model.predict(X_new), value)


def test_a_constant_output_beside_a_varying_one():
    X = np.random.default_rng(2).normal(size=(40, 2))
    Y = np.column_stack([np.full(40, 2.5), X[:, 0]])
    model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X, Y)
    predictions = model.predict(X)
    np.testing.assert_array_equal(predictions[:, 0], 2.5)
    assert np.ptp(predictions[:, 1]) > 0.5


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_n_iter_no_change_may_be_infinite(friedman, solver):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(
        n_hidden=3,
        solver=solver,
        alpha=1e-4,
        n_iter_no_change=np.inf,
        early_stopping=True,
        max_iter=25,
        tol=0,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == 25 and len(model.validation_scores_) == 26


def test_partial_fit_after_early_stopping_forgets_the_old_scores(friedman):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(
        n_hidden=3, early_stopping=True, max_iter=20, random_state=0
    ).fit(X, y)
    assert model.validation_scores_
    model.partial_fit(X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


def test_convergence_warning_names_the_budget_and_the_callers_line(friedman):
    X, y, _, _ = friedman
    with pytest.warns(ConvergenceWarning) as records:
        SigmoidMLPRegressor(n_hidden=3, alpha=1e-4, max_iter=2, tol=0).fit(X, y)
    message = str(records[0].message)
    assert "max_iter=2 iterations" in message and "Raise max_iter" in message
    assert records[0].filename == __file__
    with pytest.warns(ConvergenceWarning, match="max_fun=3 loss evaluations"):
        SigmoidMLPRegressor(n_hidden=3, alpha=1e-4, max_fun=3, tol=0).fit(X, y)
