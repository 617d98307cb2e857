"""_plan: the fit plan's decisions and the one cost model of the Gauss-Newton
matrix, used alike by solver="auto", the posterior and return_std's message."""

import numpy as np
import pytest

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet._plan import (
    INITIAL_AUTO_ALPHA,
    GaussNewtonBudget,
    penalty_setting,
    plan_fit,
)


def _params(**changes):
    return {**SigmoidMLPRegressor().get_params(), **changes}


def test_the_cost_model():
    budget = GaussNewtonBudget(n_rows=5000, n_parameters=200)
    assert budget.work == (5000 + 400) * 200**2
    assert budget.every_step == (budget.work <= 1e8)
    assert budget.once and budget.fits_in_memory
    wide = GaussNewtonBudget(n_rows=10, n_parameters=4001)
    assert not (wide.fits_in_memory or wide.once or wide.every_step)
    assert "4001 weights over 10 rows" in wide.describe()


@pytest.mark.parametrize(
    "alpha, auto, initial",
    [
        ("auto", True, [INITIAL_AUTO_ALPHA] * 3),
        (0.5, False, 0.5),
        (np.array(0.25), False, 0.25),
        ([1.0, 2.0, 3.0], False, [1.0, 2.0, 3.0]),
    ],
)
def test_penalty_setting(alpha, auto, initial):
    setting = penalty_setting(alpha)
    assert setting.auto is auto
    np.testing.assert_array_equal(setting.initial, initial)
    assert (setting.fixed is None) is auto


@pytest.mark.parametrize(
    "alpha",
    [
        np.array(-1.0),
        np.array(np.nan),
        np.array(np.inf),
        -0.1,
        {"a": 1},
        ["a", "b", "c"],
        [1.0, 2.0],
        "other",
        b"auto",
        [[1.0, 2.0, 3.0]],
    ],
)
def test_invalid_alpha_names_alpha(alpha):
    with pytest.raises(ValueError, match="^alpha must be 'auto'") as error:
        penalty_setting(alpha)
    assert repr(alpha)[:10] in str(error.value)


def test_solver_auto_uses_the_budget_of_the_training_rows():
    small = plan_fit(
        _params(),
        n_samples=200,
        n_features=5,
        n_outputs=1,
        incremental=False,
        continuing=False,
    )
    assert small.solver == "lm" and small.budget.n_rows == 200
    held = plan_fit(
        _params(early_stopping=True, validation_fraction=0.25),
        n_samples=200,
        n_features=5,
        n_outputs=1,
        incremental=False,
        continuing=False,
    )
    assert held.n_validation == 50 and held.budget.n_rows == 150
    fixed = plan_fit(
        _params(alpha=1e-3),
        n_samples=200,
        n_features=5,
        n_outputs=1,
        incremental=False,
        continuing=False,
    )
    assert fixed.solver == "lbfgs" and fixed.computes_posterior
    step = plan_fit(
        _params(),
        n_samples=200,
        n_features=5,
        n_outputs=1,
        incremental=True,
        continuing=True,
    )
    assert step.solver == "gd" and not step.computes_posterior


def test_continuing_with_auto_starts_from_the_fitted_penalties():
    previous = np.array([0.1, 0.2, 0.3])
    plan = plan_fit(
        _params(warm_start=True),
        n_samples=50,
        n_features=2,
        n_outputs=1,
        incremental=False,
        continuing=True,
        previous_alpha=previous,
    )
    np.testing.assert_array_equal(plan.penalty.initial, previous)
    assert plan.n_restarts == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "n_rows, form, described",
    [
        (50, "RowSpaceCurvature", "here the row-space form"),
        (800, "KroneckerCurvature", "here the Kronecker-factored curvature"),
    ],
)
def test_return_std_beyond_the_full_matrix_uses_the_structured_posterior(
    n_rows, form, described
):
    """A 2,011-weight fit with a float alpha: the full matrix does not pay (it
    used to refuse return_std with a message stating a third cost model), the
    row-space posterior does on 50 rows and the Kronecker-factored one on 800
    (where the row space costs 3.1e9), by the same budget."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n_rows, 199)), rng.normal(size=n_rows)
    model = SigmoidMLPRegressor(
        n_hidden=10, solver="lbfgs", alpha=1e-3, max_iter=2, random_state=0
    ).fit(X, y)
    budget = GaussNewtonBudget(n_rows, 2011)
    assert not budget.full and budget.posterior_pays
    _, std = model.predict(X, return_std=True)
    assert std.shape == (n_rows,) and np.all(np.isfinite(std)) and np.all(std > 0)
    assert model._posterior.missing == ""
    assert model._posterior.covariance.__class__.__name__ == form
    assert described in budget.describe()
