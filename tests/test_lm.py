"""Levenberg-Marquardt: the hand-coded Jacobian and the solver's behaviour."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import central_differences
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    SigmoidMLPRegressor,
    loss_and_gradient,
)
from sklearn_sigmoidnet.solvers import Objective, levenberg_marquardt


def _kernel(n_outputs=1, weighted=True, alpha=0.3, sparse=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(9, 3))
    Y = rng.uniform(0.1, 0.9, size=(9, n_outputs))
    weights = rng.uniform(0.2, 2.0, size=9) if weighted else None
    layout = ParameterLayout(3, 4, n_outputs)
    theta = rng.normal(size=layout.n_parameters)
    X_in = sp.csr_array(X) if sparse else X
    kernel = NetworkKernel(X_in, Y, weights, layout=layout, alpha=alpha)
    return kernel, theta, (X, Y, weights, alpha, layout)


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_jacobian_against_finite_differences(n_outputs, weighted, sparse):
    kernel, theta, _ = _kernel(n_outputs, weighted, sparse=sparse)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    assert jacobian.shape == (residuals.size, theta.size)
    numeric = central_differences(lambda t: kernel.residuals_jacobian(t)[0], theta)
    assert np.max(np.abs(jacobian - numeric)) < 1e-8 * max(1.0, np.abs(numeric).max())


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_half_squared_residuals_and_jtr_are_loss_and_gradient(n_outputs):
    kernel, theta, (X, Y, weights, alpha, layout) = _kernel(n_outputs)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=alpha)
    np.testing.assert_allclose(0.5 * residuals @ residuals, loss, rtol=1e-12)
    np.testing.assert_allclose(
        jacobian.T @ residuals, layout.pack(dW1, dW2), rtol=1e-10
    )


def test_normal_equations_accumulate_the_whole_jacobian():
    kernel, theta, _ = _kernel(2)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    P = theta.size
    JtJ, Jtr = np.zeros((P, P), order="F"), np.zeros(P)
    loss = kernel.normal_equations(theta, JtJ, Jtr)
    upper = np.triu_indices(P)
    np.testing.assert_allclose(JtJ[upper], (jacobian.T @ jacobian)[upper], rtol=1e-12)
    np.testing.assert_allclose(Jtr, jacobian.T @ residuals, rtol=1e-12)
    np.testing.assert_allclose(loss, 0.5 * residuals @ residuals, rtol=1e-12)
    np.testing.assert_allclose(kernel.loss(theta), loss, rtol=1e-12)


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=700, noise=0.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X[:500], y[:500], X[500:], y[500:]


def test_loss_never_rises_between_accepted_steps(friedman):
    X, y, X_test, y_test = friedman
    model = SigmoidMLPRegressor(
        n_hidden=10, solver="lm", alpha=0, tol=0, max_iter=60, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    curve = np.array(model.loss_curve_)
    assert len(curve) == model.n_iter_ > 0
    assert np.all(np.diff(curve) <= 0)
    assert model.score(X_test, y_test) > 0.99


def test_solver_stops_on_tol_and_on_max_iter(friedman):
    X, y, _, _ = friedman
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        SigmoidMLPRegressor(n_hidden=5, solver="lm", max_iter=3, tol=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SigmoidMLPRegressor(
            n_hidden=5, solver="lm", tol=1e-2, max_iter=500, random_state=0
        )
        model.fit(X, y)
    assert model.n_iter_ < 500


def test_mu_ceiling_stops_a_converged_problem():
    # A quadratic with its minimum at theta = 1: once there, no step helps.
    def normal_equations(theta, JtJ, Jtr):
        JtJ[...] = np.eye(theta.size)
        Jtr[...] = theta - 1
        return 0.5 * float((theta - 1) @ (theta - 1))

    def loss(theta):
        return 0.5 * float((theta - 1) @ (theta - 1))

    objective = Objective(
        None, n_parameters=3, loss=loss, normal_equations=normal_equations
    )
    result = levenberg_marquardt(objective, np.zeros(3), max_iter=100, tol=0)
    np.testing.assert_allclose(result.theta, 1.0)
    assert result.stopped_by == "tol" and result.n_iter < 100


def test_too_many_weights_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(20, 200))
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        SigmoidMLPRegressor(n_hidden=50, solver="lm").fit(X, X[:, 0])


def test_a_vanishing_jacobian_stops_cleanly():
    # J = 0 (every unit saturated): no step can help; the solver must stop,
    # not loop on a zero damping.
    def normal_equations(theta, JtJ, Jtr):
        JtJ[...] = 0.0
        Jtr[...] = 0.0
        return 1.0

    objective = Objective(
        None, n_parameters=4, loss=lambda theta: 1.0, normal_equations=normal_equations
    )
    result = levenberg_marquardt(objective, np.zeros(4), max_iter=10, tol=0)
    assert result.stopped_by == "tol" and result.n_iter == 0
    np.testing.assert_array_equal(result.theta, 0.0)
