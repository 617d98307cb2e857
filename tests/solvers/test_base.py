"""solvers._base: the contract every solver shares."""

import numpy as np
import pytest

import sklearn_sigmoidnet.solvers as solvers
from sklearn_sigmoidnet.solvers import STOP_MESSAGES, Objective, SolverResult
from sklearn_sigmoidnet.solvers._base import Iterations


def test_the_public_names():
    assert set(solvers.__all__) == {
        "DAMPINGS",
        "Objective",
        "STOP_MESSAGES",
        "SolverResult",
        "damping_diagonal",
        "gradient_descent",
        "lbfgs",
        "levenberg_marquardt",
    }
    for name in solvers.__all__:
        assert hasattr(solvers, name)


def test_every_stop_reason_has_a_message():
    assert set(STOP_MESSAGES) == {
        "tol",
        "max_iter",
        "max_fun",
        "line_search",
        "diverged",
        "interrupted",
        "callback",
    }
    for reason, template in STOP_MESSAGES.items():
        message = template.format(detail="DETAIL", max_iter=7, max_fun=9)
        assert message and "{" not in message, reason
    assert "max_iter=7" in STOP_MESSAGES["max_iter"].format(max_iter=7)
    assert "max_fun=9" in STOP_MESSAGES["max_fun"].format(max_fun=9)


def test_objective_loss_defaults_to_loss_gradient_into_scratch():
    seen = []

    def loss_gradient(theta, gradient):
        seen.append(gradient)
        gradient[...] = 2 * theta
        return float(theta @ theta)

    objective = Objective(loss_gradient, n_parameters=3)
    assert objective.loss(np.array([1.0, 2.0, 2.0])) == 9.0
    assert seen[0].shape == (3,) and seen[0].dtype == np.float64
    assert objective.loss_scale == 1.0 and objective.normal_equations is None


def test_objective_with_its_own_loss_and_scale():
    objective = Objective(
        None, n_parameters=np.int64(2), loss=lambda theta: 5.0, loss_scale=np.int32(4)
    )
    assert objective.loss(np.zeros(2)) == 5.0
    assert objective.n_parameters == 2 and type(objective.n_parameters) is int
    assert objective.loss_scale == 4.0 and type(objective.loss_scale) is float


@pytest.mark.parametrize(
    "stopped_by, budget",
    [
        ("tol", False),
        ("max_iter", True),
        ("max_fun", True),
        ("line_search", False),
        ("diverged", False),
        ("interrupted", False),
        ("callback", False),
    ],
)
def test_reached_max_iter_means_a_budget(stopped_by, budget):
    result = SolverResult(np.zeros(1), 0.0, stopped_by=stopped_by)
    assert result.reached_max_iter == budget


def test_solver_result_defaults():
    result = SolverResult(np.ones(2), 3.0)
    assert result.loss_curve == [] and result.n_iter == 0
    assert result.stopped_by == "tol" and result.message == ""
    # the default curve is not shared between results
    result.loss_curve.append(1.0)
    assert SolverResult(np.ones(2), 3.0).loss_curve == []


def test_iterations_record_the_curve_and_ask_the_callback():
    calls = []

    def callback(iteration, theta, loss):
        calls.append((iteration, theta.copy(), loss))
        return "stop" if iteration == 2 else None

    iterations = Iterations(callback, max_iter=5)
    assert iterations.n_iter == 0
    assert iterations.completed(np.array([1.0]), np.float32(0.5)) is False
    assert iterations.completed(np.array([2.0]), 0.25) is True  # truthy: True
    assert iterations.n_iter == 2 and iterations.loss_curve == [0.5, 0.25]
    assert all(type(loss) is float for loss in iterations.loss_curve)
    assert [c[0] for c in calls] == [1, 2] and calls[1][2] == 0.25
    result = iterations.result(np.array([2.0]), 0.25, "max_iter")
    assert result.n_iter == 2 and result.loss_curve == [0.5, 0.25]
    assert result.message == STOP_MESSAGES["max_iter"].format(max_iter=5)
    assert result.message == (
        "The maximum number of iterations (max_iter=5) was reached."
    )


def test_iterations_without_callback_never_stop():
    iterations = Iterations(None, max_iter=3)
    assert not any(iterations.completed(np.zeros(1), 1.0) for _ in range(10))
    result = iterations.result(np.zeros(1), 1.0, "tol", detail="it converged")
    assert result.message == "Converged: it converged."
    assert result.stopped_by == "tol" and result.n_iter == 10
    with pytest.raises(KeyError):
        iterations.result(np.zeros(1), 1.0, "no such reason")
