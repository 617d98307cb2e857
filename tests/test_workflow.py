"""The scikit-learn user's workflow: early stopping, partial_fit, metadata
routing, and grid search on a dask cluster."""

import warnings

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor, loss_and_gradient

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _held_out(n_samples, fraction=0.1, random_state=0):
    """The rows early stopping holds out (see _split_validation)."""
    order = np.random.RandomState(random_state).permutation(n_samples)
    return np.sort(order[: int(np.ceil(fraction * n_samples))])


def _weights(model):
    return [w.copy() for w in model.coefs_ + model.intercepts_]


def _assert_same_weights(first, second):
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ early stopping
def _stops_here(scores, losses, t, patience=5, tol=0.0):
    """Early stopping's rule after iteration ``t``: ``patience`` iterations
    without an improvement of ``tol``, and Prechelt's generalisation loss (the
    validation error's rise above its best, percent) above 5 and above the
    training progress of the last 5 iterations (per mille)."""
    best = np.maximum.accumulate(scores)
    stalled = all(
        not scores[k] >= best[k - 1] + tol for k in range(t - patience + 1, t + 1)
    )
    error, best_error = 1 - scores[t], 1 - best[t]
    generalisation_loss = 100 * (error / best_error - 1)
    strip = np.asarray(losses[max(t - 5, 0) : t])
    progress = 1000 * (strip.mean() / strip.min() - 1)
    return stalled and generalisation_loss > 5 and generalisation_loss > progress


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "solver, settings",
    [("lbfgs", {}), ("lm", {}), ("gd", {"learning_rate": 2.0})],
)
def test_early_stopping_every_solver(noisy, solver, settings):
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=30,
        solver=solver,
        alpha=0.0,
        tol=0.0,
        max_iter=2000,
        early_stopping=True,
        n_iter_no_change=5,
        random_state=0,
        **settings,
    )
    model.fit(X, y)  # not a max_iter stop: a ConvergenceWarning is an error
    scores = model.validation_scores_  # [0]: the initial weights
    assert len(scores) == model.n_iter_ + 1 < 2001
    assert model.best_validation_score_ == max(scores)
    # it stopped at the first iteration where the rule holds, at least
    # n_iter_no_change iterations after the best score
    losses, last = model.loss_curve_, len(scores) - 1
    assert _stops_here(scores, losses, last)
    assert not any(_stops_here(scores, losses, t) for t in range(6, last))
    assert int(np.argmax(scores)) <= last - 5
    # the best weights are the ones kept: rescoring them reproduces the best
    rng = np.random.RandomState(0).permutation(len(y))
    held_out = np.sort(rng[: int(np.ceil(0.1 * len(y)))])
    assert model.score(X[held_out], y[held_out]) == pytest.approx(
        model.best_validation_score_, abs=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_waits_out_an_lbfgs_plateau():
    """The README's Friedman example with 50 hidden units and the defaults:
    L-BFGS's first plateau (a flat, then briefly falling validation score
    while training still gains) does not stop it; it used to end at
    iteration 21 with test R^2 0.70 (0.95 without early stopping)."""
    from sklearn.datasets import make_friedman1
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    model = SigmoidMLPRegressor(n_hidden=50, early_stopping=True, random_state=0)
    model.fit(scaler.transform(X_train), y_train)
    assert model.n_iter_ > 100
    assert model.score(scaler.transform(X_test), y_test) > 0.9


@ignore_convergence
def test_early_stopping_respects_sample_weights(noisy):
    X, y = noisy
    weights = np.ones_like(y)
    weights[::2] = 0.0
    kwargs = dict(n_hidden=5, early_stopping=True, max_iter=50, tol=0, random_state=0)
    model = SigmoidMLPRegressor(**kwargs)
    model.fit(X, y, sample_weight=weights)
    assert len(model.validation_scores_) == model.n_iter_ + 1
    with pytest.raises(ValueError, match="too few samples"):
        SigmoidMLPRegressor(early_stopping=True).fit(X[:10], y[:10])
    # The zero-weight half counts nowhere: the best validation score is the
    # R^2 of the kept weights on the held-out rows of non-zero weight ...
    held_out = _held_out(len(y))
    counted = held_out[weights[held_out] > 0]
    assert 0 < len(counted) < len(held_out)
    assert model.best_validation_score_ == pytest.approx(
        r2_score(y[counted], model.predict(X[counted])), abs=1e-12
    )
    # ... and spoiling those rows (inputs and targets) changes no score, no
    # weight and no loss, to the last bit.
    X_spoiled, y_spoiled = X.copy(), y.copy()
    X_spoiled[::2] *= 50.0
    y_spoiled[::2] = 1e3
    spoiled = SigmoidMLPRegressor(**kwargs).fit(
        X_spoiled, y_spoiled, sample_weight=weights
    )
    assert spoiled.validation_scores_ == model.validation_scores_
    assert spoiled.loss_curve_ == model.loss_curve_
    _assert_same_weights(spoiled, model)


@ignore_convergence
def test_without_early_stopping_there_are_no_validation_scores(noisy):
    X, y = noisy
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=5).fit(X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


@ignore_convergence
def test_verbose_shows_the_validation_score(noisy, capsys):
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=3, max_iter=3, tol=0, early_stopping=True, verbose=True
    )
    model.fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration     1, loss = " in out
    assert "validation score = " in out and "time = " in out
    assert "Stopped after 3 iterations" in out
    for iteration, score in enumerate(model.validation_scores_[1:], start=1):
        assert f"Iteration {iteration:5d}, " in out
        assert f"validation score = {score:.6f}, time = " in out


@ignore_convergence
def test_early_stopping_scores_the_initial_weights_when_the_first_step_fails(noisy):
    """A first step no learning rate can take: the initial weights are scored,
    kept, and both attributes describe them."""
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=5,
        solver="gd",
        learning_rate=1e300,
        alpha=1e-4,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged at iteration 1"):
        model.fit(X, y)
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    assert len(model.validation_scores_) == 1
    assert np.isfinite(model.best_validation_score_)
    assert model.best_validation_score_ == model.validation_scores_[0]
    held_out = _held_out(len(y))
    assert model.score(X[held_out], y[held_out]) == pytest.approx(
        model.best_validation_score_, abs=1e-9
    )
    initial = SigmoidMLPRegressor(n_hidden=5, alpha=1e-4, random_state=0)
    initial.fit(X, y).set_params(learning_rate=1e300)  # same start, 2nd fit moves
    assert model.best_validation_score_ < 0.2 < initial.score(X, y)


# ---------------------------------------------------------------- warm start
@ignore_convergence
def test_warm_start_continues_the_curve_and_the_count(friedman):
    """lbfgs: the second fit starts from the first's weights (its curvature
    pairs afresh); loss_curve_ and n_iter_ go on from the first fit's."""
    X, y, _, _ = friedman
    kwargs = dict(n_hidden=6, max_iter=20, tol=0, random_state=0)
    model = SigmoidMLPRegressor(warm_start=True, **kwargs).fit(X, y)
    first, first_curve = model.loss_, list(model.loss_curve_)
    first_weights = _weights(model)
    model.fit(X, y)
    cold = SigmoidMLPRegressor(**kwargs).fit(X, y)
    assert cold.loss_ == first and cold.loss_curve_ == first_curve
    assert model.n_iter_ == len(model.loss_curve_) == 40
    assert model.loss_curve_[:20] == first_curve
    assert model.loss_curve_[20] < first and model.loss_ < first
    assert not np.array_equal(model.coefs_[0], first_weights[0])


@ignore_convergence
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_warm_start_gd_two_fits_are_one(friedman, momentum):
    """gd carries its velocity: two fits of 5 iterations are one of 10, and
    a partial_fit on the same data is the 11th iteration, to the last bit."""
    X, y, X_test, _ = friedman
    kwargs = dict(
        n_hidden=6, solver="gd", momentum=momentum, alpha=1e-4, tol=0, random_state=0
    )
    twice = SigmoidMLPRegressor(warm_start=True, max_iter=5, **kwargs)
    twice.fit(X, y).fit(X, y)
    once = SigmoidMLPRegressor(max_iter=10, **kwargs).fit(X, y)
    _assert_same_weights(twice, once)
    assert twice.loss_curve_ == once.loss_curve_ and twice.n_iter_ == 10
    twice.partial_fit(X, y)
    eleven = SigmoidMLPRegressor(max_iter=11, **kwargs).fit(X, y)
    _assert_same_weights(twice, eleven)
    assert twice.loss_curve_ == eleven.loss_curve_ and twice.n_iter_ == 11
    np.testing.assert_array_equal(twice.predict(X_test), eleven.predict(X_test))


def test_warm_start_gd_carries_a_halved_learning_rate(friedman):
    """A learning rate gradient descent had to halve: the halved rate carries
    over, so two fits of 25 are still one of 50, and one warning says so."""
    X, y, _, _ = friedman
    kwargs = dict(n_hidden=6, solver="gd", learning_rate=50.0, alpha=1e-4, tol=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        twice = SigmoidMLPRegressor(
            warm_start=True, max_iter=25, random_state=0, **kwargs
        )
        twice.fit(X, y).fit(X, y)
        once = SigmoidMLPRegressor(max_iter=50, random_state=0, **kwargs).fit(X, y)
    _assert_same_weights(twice, once)
    assert twice.loss_curve_ == once.loss_curve_
    halvings = [str(w.message) for w in caught if "halved it to" in str(w.message)]
    assert len(halvings) == 2  # the first fit of twice, and once
    assert halvings[0] == halvings[1]


def test_gd_with_auto_alpha_warns_once_about_a_halved_rate(friedman):
    X, y, _, _ = friedman
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SigmoidMLPRegressor(
            n_hidden=6, solver="gd", learning_rate=50.0, max_iter=100, random_state=0
        ).fit(X, y)
    halvings = [str(w.message) for w in caught if "halved it to" in str(w.message)]
    assert len(halvings) == 1 and "learning_rate=50.0" in halvings[0]


@ignore_convergence
def test_warm_start_continues_the_validation_scores(noisy):
    """Early stopping over warm starts: one score list (the initial weights
    first), the best of all of them kept, its weights the fitted ones."""
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=8,
        alpha=1e-4,
        tol=0,
        max_iter=4,
        early_stopping=True,
        warm_start=True,
        random_state=0,
    )
    model.fit(X, y)
    first = list(model.validation_scores_)
    model.fit(X, y)
    scores = model.validation_scores_
    assert scores[: len(first)] == first
    assert len(scores) == model.n_iter_ + 1 == 9
    assert model.best_validation_score_ == max(scores) > max(first)
    held_out = _held_out(len(y))
    assert model.score(X[held_out], y[held_out]) == pytest.approx(
        model.best_validation_score_, abs=1e-9
    )


@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
def test_warm_start_early_stopping_judges_new_data_on_its_own_rows(noisy, solver):
    """A warm fit on other data (here the targets reversed) starts from
    weights that score badly on the new held-out rows: it is judged against
    that score, not the last fit's best on other rows, so it moves and keeps
    the best of its own scores."""
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=6,
        solver=solver,
        alpha=1e-4,
        max_iter=60,
        early_stopping=True,
        warm_start=True,
        random_state=0,
    )
    model.fit(X, y)
    held_out = _held_out(len(y))
    old_weights = _weights(model)
    start_score = model.score(X[held_out], -y[held_out])  # on the new rows
    assert model.best_validation_score_ > 0.3 > start_score
    model.fit(X, -y)
    assert not np.array_equal(_weights(model)[0], old_weights[0])
    assert model.score(X[held_out], -y[held_out]) == pytest.approx(
        model.best_validation_score_, abs=1e-9
    )
    assert model.best_validation_score_ > start_score
    assert len(model.validation_scores_) == model.n_iter_ + 1


# --------------------------------------------------------------- partial_fit
def test_partial_fit_streams_batches(noisy):
    X, y = noisy
    model = SigmoidMLPRegressor(
        n_hidden=10, target_bounds=(y.min(), y.max()), random_state=0
    )
    for _ in range(30):  # epochs
        for batch in np.array_split(np.arange(len(y)), 4):
            model.partial_fit(X[batch], y[batch])
    assert model.n_iter_ == len(model.loss_curve_) == 120
    assert np.mean(model.loss_curve_[-4:]) < np.mean(model.loss_curve_[:4])
    assert model.score(X, y) > 0.3
    assert model.target_min_[0] == y.min() and model.target_max_[0] == y.max()


def test_partial_fit_fixes_the_mapping_with_its_first_batch(noisy):
    X, y = noisy
    model = SigmoidMLPRegressor(n_hidden=3).partial_fit(X[:50], y[:50])
    first = (model.target_min_.copy(), model.target_max_.copy())
    model.partial_fit(X[50:], y[50:] * 10)  # later values outside the range
    np.testing.assert_array_equal(model.target_min_, first[0])
    np.testing.assert_array_equal(model.target_max_, first[1])
    predictions = model.predict(X)
    assert np.all(np.isfinite(predictions))
    # documented: predictions never leave a third of the range beyond its ends
    span = first[1][0] - first[0][0]
    assert np.all(predictions >= first[0][0] - span / 3 - 1e-9 * span)
    assert np.all(predictions <= first[1][0] + span / 3 + 1e-9 * span)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :3], y)


def _partial_fits(batches, **kwargs):
    model = SigmoidMLPRegressor(n_hidden=6, random_state=0, **kwargs)
    for X, y, weights in batches:
        model.partial_fit(X, y, sample_weight=weights)
    return model


def test_partial_fit_does_not_depend_on_the_order_of_a_batch(noisy):
    X, y = noisy
    rng = np.random.default_rng(0)
    batches = [(X[i : i + 100], y[i : i + 100]) for i in (0, 100, 200)]
    permuted = []
    for X_batch, y_batch in batches:
        order = rng.permutation(len(y_batch))
        permuted.append((X_batch[order], y_batch[order], None))
    first = _partial_fits([(X_batch, y_batch, None) for X_batch, y_batch in batches])
    second = _partial_fits(permuted)
    _assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first._momentum.velocity, second._momentum.velocity)


def test_partial_fit_integer_weights_are_repeated_rows(noisy):
    X, y = noisy
    rng = np.random.default_rng(1)
    weighted, repeated = [], []
    for i in (0, 100, 200):
        X_batch, y_batch = X[i : i + 100], y[i : i + 100]
        counts = rng.integers(1, 4, size=100)
        weighted.append((X_batch, y_batch, counts.astype(float)))
        order = rng.permutation(counts.sum())
        repeated.append(
            (
                np.repeat(X_batch, counts, axis=0)[order],
                np.repeat(y_batch, counts)[order],
                None,
            )
        )
    first, second = _partial_fits(weighted), _partial_fits(repeated)
    _assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_


def test_partial_fit_zero_weight_drops_a_row(noisy):
    X, y = noisy
    weights = np.ones(100)
    weights[[3, 50, 77]] = 0.0
    y_spoiled = y[:100].copy()
    y_spoiled[[3, 50, 77]] = 1e4  # would move the target mapping
    with_zeros = _partial_fits([(X[:100], y_spoiled, weights)] * 3)
    kept = weights > 0
    without = _partial_fits([(X[:100][kept], y[:100][kept], None)] * 3)
    _assert_same_weights(with_zeros, without)
    assert with_zeros.loss_curve_ == without.loss_curve_
    np.testing.assert_array_equal(with_zeros.target_max_, without.target_max_)


def test_partial_fit_loss_is_the_weighted_mean_over_the_batch(noisy):
    X, y = noisy
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=100)
    model = _partial_fits([(X[:100], y[:100], weights)])
    W1 = np.vstack([model.coefs_[0], model.intercepts_[0]])
    W2 = np.vstack([model.coefs_[1], model.intercepts_[1]])
    Y = model._target_mapping.to_network(y[:100].reshape(-1, 1))
    loss, _, _ = loss_and_gradient(
        X[:100], Y, W1, W2, sample_weight=weights, alpha=model.alpha_
    )
    assert model.loss_curve_ == [model.loss_]
    assert model.loss_ == pytest.approx(loss, rel=1e-12)


def test_partial_fit_steps_are_gradient_descent_steps_with_momentum(noisy):
    """Three partial_fit calls on one batch are fit(solver="gd", max_iter=3):
    the velocity carries over between calls."""
    X, y = noisy
    kwargs = dict(n_hidden=6, learning_rate=0.3, momentum=0.7, random_state=0)
    model = SigmoidMLPRegressor(solver="lbfgs", **kwargs)  # solver is ignored
    for _ in range(3):
        model.partial_fit(X, y)
    fitted = SigmoidMLPRegressor(solver="gd", max_iter=3, tol=0.0, **kwargs)
    with pytest.warns(ConvergenceWarning):
        fitted.fit(X, y)
    _assert_same_weights(model, fitted)
    assert model.loss_curve_ == fitted.loss_curve_
    assert model.n_iter_ == fitted.n_iter_ == 3


def test_target_bounds_are_validated(noisy):
    X, y = noisy
    for bounds in [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf), ("a", "b")]:
        with pytest.raises(ValueError, match="target_bounds"):
            SigmoidMLPRegressor(target_bounds=bounds).fit(X, y)


@ignore_convergence
def test_fit_after_partial_fit_starts_afresh(noisy):
    X, y = noisy
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0)
    model.partial_fit(X, y)
    model.fit(X, y)
    fresh = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), fresh.predict(X))


# ---------------------------------------------------------- metadata routing
@ignore_convergence
def test_sample_weight_is_routed_through_pipeline_and_grid_search(noisy):
    X, y = noisy
    weights = np.ones_like(y)
    weights[:100] = 0.0  # these rows must not count
    y_spoiled = y.copy()
    y_spoiled[:100] = 1e3
    with sklearn.config_context(enable_metadata_routing=True):
        regressor = SigmoidMLPRegressor(n_hidden=5, max_iter=30, random_state=0)
        regressor.set_fit_request(sample_weight=True).set_score_request(
            sample_weight=True
        )
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True), regressor
        )
        search = GridSearchCV(
            pipeline, {"sigmoidmlpregressor__alpha": [1e-4, 1e-2]}, cv=KFold(3)
        )
        search.fit(X, y_spoiled, sample_weight=weights)
    model = search.best_estimator_[-1]
    # the outliers had zero weight: they moved neither the target mapping ...
    assert model.target_max_[0] == y[100:].max()
    # ... nor the fit, which predicts the clean data
    assert search.best_estimator_.score(X[100:], y[100:]) > 0.5


# ----------------------------------------------------------- dask cluster
@pytest.mark.slow
@ignore_convergence
def test_grid_search_on_a_dask_cluster_matches_serial(noisy):
    import distributed  # in the test extra: a missing install fails, never skips

    X, y = noisy
    grid = {"n_hidden": [3, 8], "alpha": [1e-4, 1e-2]}
    estimator = SigmoidMLPRegressor(max_iter=40, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            parallel = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert parallel.best_params_ == serial.best_params_


# Found by review: each of these failed before its fix.
def test_partial_fit_does_not_warn_about_max_iter():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=50)
    model = SigmoidMLPRegressor(n_hidden=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.partial_fit(X, y)  # fails: ConvergenceWarning (max_iter=200)
        model.partial_fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_with_early_stopping_keeps_its_held_out_rows():
    """random_state=None: the held-out rows are drawn once, so the scores that
    warm starts append are of the same rows (each fit drew new ones)."""
    from sklearn_sigmoidnet._problem import _split

    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=120)
    model = SigmoidMLPRegressor(
        n_hidden=3, early_stopping=True, warm_start=True, max_iter=3
    )
    seeds = [model.fit(X, y)._split_seed for _ in range(3)]
    assert seeds[0] == seeds[1] == seeds[2]
    # the rows held out are those the seed picks, every time
    data = type("Data", (), {"X": X, "Y": y[:, None], "sample_weight": None})
    (_, _, _), (held_X, _, _) = _split(data, 12, seeds[0])
    # the scores continue over the three fits: the start's, then one an iteration
    assert len(model.validation_scores_) == model.n_iter_ + 1 > 3
    assert held_X.shape == (12, 3)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_warnings_point_at_the_callers_line(tmp_path):
    """Through a Pipeline and a search, a ConvergenceWarning names the line of
    the caller's code, whatever depth the package and scikit-learn add."""
    import warnings

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    model = make_pipeline(StandardScaler(), SigmoidMLPRegressor(max_iter=1))
    for fit in (
        lambda: model.fit(X, y),
        lambda: GridSearchCV(model, {"sigmoidmlpregressor__n_hidden": [2]}, cv=2).fit(
            X, y
        ),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit()
        ours = [w for w in caught if "SigmoidMLPRegressor" in str(w.message)]
        assert ours and {w.filename for w in ours} == {__file__}
