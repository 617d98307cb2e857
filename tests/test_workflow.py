"""The scikit-learn user's workflow: early stopping, partial_fit, metadata
routing, progress lines, the command line, and grid search on a dask cluster."""

import warnings

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet.__main__ import main


@pytest.fixture(scope="module")
def noisy():
    X, y = make_friedman1(n_samples=400, noise=3.0, random_state=0)
    return StandardScaler().fit_transform(X), y


def _quiet_fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)


# ------------------------------------------------------------ early stopping
@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
def test_early_stopping_every_solver(noisy, solver):
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
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # not a max_iter stop
        model.fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ < 2000
    assert model.best_validation_score_ == max(scores)
    # stopped n_iter_no_change iterations after the best score
    assert int(np.argmax(scores)) == len(scores) - 1 - 5
    # the best weights are the ones kept: rescoring them reproduces the best
    rng = np.random.RandomState(0).permutation(len(y))
    held_out = np.sort(rng[: int(np.ceil(0.1 * len(y)))])
    assert model.score(X[held_out], y[held_out]) == pytest.approx(
        model.best_validation_score_, abs=1e-9
    )


def test_early_stopping_respects_sample_weights(noisy):
    X, y = noisy
    weights = np.ones_like(y)
    weights[::2] = 0.0
    model = SigmoidMLPRegressor(
        n_hidden=5, early_stopping=True, max_iter=50, tol=0, random_state=0
    )
    _quiet_fit(model, X, y, sample_weight=weights)
    assert len(model.validation_scores_) == model.n_iter_
    with pytest.raises(ValueError, match="too few samples"):
        SigmoidMLPRegressor(early_stopping=True).fit(X[:10], y[:10])


def test_without_early_stopping_there_are_no_validation_scores(noisy):
    X, y = noisy
    model = _quiet_fit(SigmoidMLPRegressor(n_hidden=3, max_iter=5), X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


def test_verbose_shows_the_validation_score(noisy, capsys):
    X, y = noisy
    _quiet_fit(
        SigmoidMLPRegressor(
            n_hidden=3, max_iter=3, tol=0, early_stopping=True, verbose=True
        ),
        X,
        y,
    )
    out = capsys.readouterr().out
    assert "Iteration     1, loss = " in out
    assert "validation score = " in out and "time = " in out
    assert "Stopped after 3 iterations" in out


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
    assert np.all(np.isfinite(model.predict(X)))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :3], y)


def test_target_bounds_are_validated(noisy):
    X, y = noisy
    for bounds in [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf), ("a", "b")]:
        with pytest.raises(ValueError, match="target_bounds"):
            SigmoidMLPRegressor(target_bounds=bounds).fit(X, y)


def test_fit_after_partial_fit_starts_afresh(noisy):
    X, y = noisy
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0)
    model.partial_fit(X, y)
    _quiet_fit(model, X, y)
    fresh = _quiet_fit(
        SigmoidMLPRegressor(n_hidden=3, max_iter=5, random_state=0), X, y
    )
    np.testing.assert_array_equal(model.predict(X), fresh.predict(X))


# ---------------------------------------------------------- metadata routing
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X, y_spoiled, sample_weight=weights)
    model = search.best_estimator_[-1]
    # the outliers had zero weight: they moved neither the target mapping ...
    assert model.target_max_[0] == y[100:].max()
    # ... nor the fit, which predicts the clean data
    assert search.best_estimator_.score(X[100:], y[100:]) > 0.5


# --------------------------------------------------------------- command line
def _write_csv(path, X, y, extra=None):
    header = [f"x{j}" for j in range(X.shape[1])] + ["target"]
    lines = [",".join(header + ([extra[0]] if extra else []))]
    for i, (row, value) in enumerate(zip(X, y, strict=True)):
        cells = [repr(float(v)) for v in row] + [repr(float(value))]
        if extra:
            cells.append(extra[1](i))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def test_cli_demo_runs(capsys):
    assert main(["--max-iter", "5"]) == 0
    out = capsys.readouterr().out
    assert "diabetes" in out and "Friedman" in out and "MLPRegressor" in out


def test_cli_fits_a_csv_saves_and_plots(tmp_path, capsys, noisy):
    X, y = noisy
    csv_path = tmp_path / "mine.csv"
    _write_csv(csv_path, X[:200], y[:200])
    model_path = tmp_path / "model.joblib"
    plot_path = tmp_path / "loss.png"
    try:
        import matplotlib  # noqa: F401

        has_matplotlib = True
    except ImportError:
        has_matplotlib = False
    arguments = ["--csv", str(csv_path), "--target", "target", "--cv", "3"]
    arguments += ["--max-iter", "30", "--save", str(model_path)]
    arguments += ["--plot", str(plot_path)]
    code = main(arguments)
    out, err = capsys.readouterr()
    assert "mean R2" in out and "SigmoidMLPRegressor" in out and "MLPRegressor" in out
    pipeline = joblib.load(model_path)
    assert pipeline.predict(X[:5]).shape == (5,)
    if has_matplotlib:
        assert code == 0 and plot_path.stat().st_size > 0
    else:
        assert code == 2 and "matplotlib is not installed" in err


def test_cli_names_a_non_numeric_column(tmp_path, capsys, noisy):
    X, y = noisy
    csv_path = tmp_path / "bad.csv"
    _write_csv(csv_path, X[:20], y[:20], extra=("city", lambda i: f"town{i}"))
    assert main(["--csv", str(csv_path), "--target", "target"]) == 2
    assert "column 'city' is not numeric" in capsys.readouterr().err
    assert main(["--csv", str(csv_path), "--target", "price"]) == 2
    assert "no column 'price'" in capsys.readouterr().err


def test_cli_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ["--csv", "--target", "--save", "--plot", "--cv", "--n-hidden"]:
        assert option in out


# ----------------------------------------------------------- dask cluster
def test_grid_search_on_a_dask_cluster_matches_serial(noisy):
    import distributed  # in the test extra: a missing install fails, never skips

    X, y = noisy
    grid = {"n_hidden": [3, 8], "alpha": [1e-4, 1e-2]}
    estimator = SigmoidMLPRegressor(max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
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
