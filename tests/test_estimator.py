"""Behaviour of SigmoidMLPRegressor beyond scikit-learn's common checks."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor, loss_and_gradient
from sklearn_sigmoidnet._data import TargetMapping, canonical_samples


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=600, noise=0.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X[:500], y[:500], X[500:], y[500:]


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_learns_friedman(friedman, solver):
    X, y, X_test, y_test = friedman
    model = SigmoidMLPRegressor(
        n_hidden=20, solver=solver, max_iter=500, tol=0, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    threshold = 0.95 if solver == "lbfgs" else 0.7
    assert model.score(X_test, y_test) > threshold
    assert len(model.loss_curve_) == model.n_iter_ == 500
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_fitted_attributes_follow_mlpregressor_layout(friedman):
    X, y, _, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=7, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert [c.shape for c in model.coefs_] == [(10, 7), (7, 1)]
    assert [b.shape for b in model.intercepts_] == [(7,), (1,)]
    assert model.n_features_in_ == 10 and model.n_outputs_ == 1
    assert model.n_iter_ == len(model.loss_curve_) >= 1
    # loss_ is eq. (1) plus the penalty at the final weights, on the network scale
    W1 = np.vstack([model.coefs_[0], model.intercepts_[0]])
    W2 = np.vstack([model.coefs_[1], model.intercepts_[1]])
    Y_network = model._target_mapping.to_network(y.reshape(-1, 1))
    loss, _, _ = loss_and_gradient(X, Y_network, W1, W2, alpha=model.alpha)
    np.testing.assert_allclose(model.loss_, loss, rtol=1e-10)
    np.testing.assert_allclose(model.loss_curve_[-1], loss, rtol=1e-10)


def test_predict_is_the_network_mapped_back(friedman):
    X, y, X_test, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=5, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    Z = 1 / (1 + np.exp(-(X_test @ model.coefs_[0] + model.intercepts_[0])))
    Yhat = 1 / (1 + np.exp(-(Z @ model.coefs_[1] + model.intercepts_[1])))
    expected = model._target_mapping.to_target(Yhat).ravel()
    np.testing.assert_allclose(model.predict(X_test), expected, rtol=1e-12)


def test_convergence_warning_when_max_iter_stops_it(friedman):
    X, y, _, _ = friedman
    for solver in ("lbfgs", "gd"):
        with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
            SigmoidMLPRegressor(n_hidden=5, solver=solver, max_iter=3, tol=0).fit(X, y)


def test_tol_stops_lbfgs_before_max_iter(friedman):
    X, y, _, _ = friedman
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
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


@pytest.mark.parametrize(
    "target_range", [(0.0, 0.9), (0.5, 0.5), (0.9, 0.1), "ab", (0.1,)]
)
def test_invalid_target_range(friedman, target_range):
    X, y, _, _ = friedman
    with pytest.raises(ValueError, match="target_range"):
        SigmoidMLPRegressor(target_range=target_range).fit(X, y)


def test_target_range_maps_y_extremes():
    mapping = TargetMapping.fit(np.array([[3.0], [5.0], [-1.0]]), (0.2, 0.8))
    np.testing.assert_allclose(mapping.to_network([[-1.0], [5.0]]).ravel(), [0.2, 0.8])
    np.testing.assert_allclose(mapping.to_target(mapping.to_network([[3.0]])), [[3.0]])


def test_zero_weight_samples_do_not_move_the_mapping(friedman):
    X, y, _, _ = friedman
    y = y.copy()
    y[0] = 1e6  # an outlier of zero weight
    weights = np.ones_like(y)
    weights[0] = 0
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights)
    assert model.target_max_[0] == y[1:].max()
    assert model.target_min_[0] == y[1:].min()


def test_constant_target():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.full(30, 7.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SigmoidMLPRegressor(n_hidden=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), 7.5, atol=1e-3)


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_float32_end_to_end(friedman, solver):
    X, y, X_test, _ = friedman
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SigmoidMLPRegressor(n_hidden=8, solver=solver, random_state=0).fit(
            X32, y
        )
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    assert model.predict(X_test.astype(np.float32)).dtype == np.float32
    assert model.predict(X_test).dtype == np.float64
    assert model.score(X_test.astype(np.float32), model.predict(X_test)) > 0.9999


@pytest.mark.parametrize("container", [sp.csr_array, sp.csc_matrix])
def test_sparse_matches_dense(container):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6)) * (rng.random((200, 6)) < 0.3)
    y = X @ rng.normal(size=6)
    kwargs = dict(n_hidden=6, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = SigmoidMLPRegressor(**kwargs).fit(X, y)
        sparse = SigmoidMLPRegressor(**kwargs).fit(container(X), y)
    np.testing.assert_allclose(
        sparse.predict(container(X)), dense.predict(X), rtol=1e-6
    )


def test_multi_output_shapes():
    X, Y = (
        load_diabetes(return_X_y=True)[0],
        np.random.default_rng(0).normal(size=(442, 3)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SigmoidMLPRegressor(n_hidden=4, max_iter=10, random_state=0).fit(X, Y)
        assert model.predict(X).shape == (442, 3)
        column = SigmoidMLPRegressor(n_hidden=4, max_iter=10, random_state=0)
        column.fit(X, Y[:, :1])
    assert column.predict(X).shape == (442, 1)
    assert model.coefs_[1].shape == (4, 3) and model.intercepts_[1].shape == (3,)


def test_weights_equal_repetition_exactly(friedman):
    """Integer weights and repeated rows give bit-identical fits, in any order."""
    X, y, X_test, _ = friedman
    rng = np.random.default_rng(1)
    weights = rng.integers(0, 4, size=X.shape[0])
    X_repeated, y_repeated = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    order = rng.permutation(X_repeated.shape[0])
    kwargs = dict(n_hidden=10, max_iter=150, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = SigmoidMLPRegressor(**kwargs).fit(X, y, sample_weight=weights)
        repeated = SigmoidMLPRegressor(**kwargs).fit(
            X_repeated[order], y_repeated[order]
        )
    np.testing.assert_array_equal(weighted.predict(X_test), repeated.predict(X_test))


def test_canonical_samples_merges_and_orders():
    X = np.array([[1.0, 2.0], [0.0, -0.0], [1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    Y = np.array([[0.3], [0.5], [0.3], [0.6], [0.5]])
    rows, weights = canonical_samples(X, Y, None)
    assert sorted(weights) == [1.0, 2.0, 2.0]  # -0.0 and 0.0 are one sample
    permuted = [3, 0, 4, 1, 2]
    rows_permuted, weights_permuted = canonical_samples(X[permuted], Y[permuted], None)
    np.testing.assert_array_equal(X[rows], X[permuted][rows_permuted])
    np.testing.assert_array_equal(weights, weights_permuted)
    # Sparse rows hash differently from dense ones, but just as canonically.
    sparse_rows, sparse_weights = canonical_samples(sp.csr_array(X), Y, None)
    sparse_permuted = canonical_samples(sp.csr_array(X[permuted]), Y[permuted], None)
    np.testing.assert_array_equal(X[sparse_rows], X[permuted][sparse_permuted[0]])
    np.testing.assert_array_equal(sparse_weights, sparse_permuted[1])
    assert sorted(sparse_weights) == [1.0, 2.0, 2.0]
    # different targets are different samples
    rows, weights = canonical_samples(X[:3], np.array([[0.3], [0.5], [0.4]]), None)
    assert len(rows) == 3 and weights is None


def test_canonical_samples_hash_collisions_are_ordered_by_value(monkeypatch):
    import sklearn_sigmoidnet._data as data

    monkeypatch.setattr(data, "_row_hashes", lambda X, Y: np.zeros(len(Y), np.uint64))
    X = np.array([[2.0], [1.0], [2.0], [0.5]])
    Y = np.full((4, 1), 0.5)
    rows, weights = data.canonical_samples(X, Y, None)
    np.testing.assert_array_equal(X[rows].ravel(), [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(weights, [1.0, 1.0, 2.0])


def test_warm_start_continues(friedman):
    X, y, _, _ = friedman
    kwargs = dict(n_hidden=6, max_iter=20, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SigmoidMLPRegressor(warm_start=True, **kwargs).fit(X, y)
        first = model.loss_
        model.fit(X, y)
        cold = SigmoidMLPRegressor(**kwargs).fit(X, y)
    assert model.loss_ < first
    assert cold.loss_ == first


def test_n_jobs_does_not_change_results(friedman):
    X, y, X_test, _ = friedman
    X = np.tile(X, (10, 1))  # several row blocks
    y = np.tile(y, 10) + np.repeat(np.arange(10), 500) * 1e-3
    predictions = []
    for n_jobs in (1, 2, None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SigmoidMLPRegressor(
                n_hidden=16, max_iter=15, n_jobs=n_jobs, random_state=0
            )
            predictions.append(model.fit(X, y).predict(X_test))
    np.testing.assert_array_equal(predictions[0], predictions[1])
    np.testing.assert_array_equal(predictions[0], predictions[2])


def test_verbose_prints_iterations(friedman, capsys):
    X, y, _, _ = friedman
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SigmoidMLPRegressor(n_hidden=3, max_iter=3, tol=0, verbose=True).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration     1, loss =" in out and "Iteration     3" in out


def test_pipeline_and_grid_search(friedman):
    X, y, X_test, y_test = friedman
    pipeline = make_pipeline(
        StandardScaler(), SigmoidMLPRegressor(max_iter=100, random_state=0)
    )
    search = GridSearchCV(pipeline, {"sigmoidmlpregressor__n_hidden": [2, 16]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert search.best_params_ == {"sigmoidmlpregressor__n_hidden": 16}
    assert search.score(X_test, y_test) > 0.9


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SigmoidMLPRegressor().predict(np.zeros((2, 2)))
