"""solvers.levenberg_marquardt on problems with known answers (no network)."""

import numpy as np
import pytest
from _problems import (
    Counter,
    Recorder,
    assert_message,
    linear_least_squares,
    objective,
    quadratic,
    rosenbrock,
)

from sklearn_sigmoidnet.solvers import (
    DAMPINGS,
    Objective,
    damping_diagonal,
    levenberg_marquardt,
)

PROBLEMS = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "least squares": linear_least_squares,
}


@pytest.mark.parametrize("damping", DAMPINGS)
@pytest.mark.parametrize("name", PROBLEMS)
def test_every_damping_reaches_the_known_minimiser(name, damping):
    problem = PROBLEMS[name]()
    start = problem.start.copy()
    result = levenberg_marquardt(
        objective(problem), start, max_iter=500, tol=1e-14, damping=damping
    )
    assert result.stopped_by == "tol" and 0 < result.n_iter < 500
    np.testing.assert_allclose(result.theta, problem.minimiser, rtol=1e-7, atol=1e-8)
    assert result.loss == problem.loss(result.theta) == result.loss_curve[-1]
    assert len(result.loss_curve) == result.n_iter
    # every accepted step lowers the loss
    assert np.all(np.diff([problem.loss(problem.start)] + result.loss_curve) < 0)
    assert_message(result, max_iter=500)
    np.testing.assert_array_equal(start, problem.start)


@pytest.mark.parametrize("damping", DAMPINGS)
def test_least_squares_answer_is_numpys(damping):
    problem = linear_least_squares(m=50, n=6, seed=3)
    result = levenberg_marquardt(
        objective(problem), problem.start, max_iter=100, tol=0.0, damping=damping
    )
    expected, residual, _, _ = np.linalg.lstsq(problem.A, problem.b, rcond=None)
    # x is determined to about sqrt(machine epsilon) by a loss at its minimum
    np.testing.assert_allclose(result.theta, expected, rtol=1e-8, atol=1e-10)
    assert result.loss == pytest.approx(0.5 * residual[0], rel=1e-12)
    # with tol=0 it stops when no step lowers the loss any more
    assert result.stopped_by == "tol" and "ceiling" in result.message


@pytest.mark.parametrize("damping", DAMPINGS)
def test_a_rank_deficient_least_squares_problem(damping):
    """J^T J singular (two equal columns): the damped system stays positive
    definite and the least-squares loss is reached."""
    problem = linear_least_squares(m=20, n=3, seed=4)
    A = np.hstack([problem.A, problem.A[:, :1]])
    b = problem.b

    def normal_equations(x, JtJ, Jtr):
        JtJ[...], Jtr[...] = A.T @ A, A.T @ (A @ x - b)
        return 0.5 * float((A @ x - b) @ (A @ x - b))

    obj = Objective(
        None,
        n_parameters=4,
        normal_equations=normal_equations,
        loss=lambda x: 0.5 * float((A @ x - b) @ (A @ x - b)),
    )
    result = levenberg_marquardt(
        obj, np.zeros(4), max_iter=200, tol=0.0, damping=damping
    )
    minimum = 0.5 * np.linalg.lstsq(A, b, rcond=None)[1].sum()
    if minimum == 0:  # lstsq reports no residual for rank-deficient A
        r = A @ np.linalg.lstsq(A, b, rcond=None)[0] - b
        minimum = 0.5 * float(r @ r)
    assert result.loss == pytest.approx(minimum, rel=1e-10)


def test_only_the_upper_triangle_of_jtj_is_read():
    problem = rosenbrock()
    full = levenberg_marquardt(objective(problem), problem.start, max_iter=100, tol=0)
    spoiled = objective(problem)
    fill = spoiled.normal_equations

    def upper_only(x, JtJ, Jtr):
        loss = fill(x, JtJ, Jtr)
        JtJ[np.tril_indices_from(JtJ, -1)] = np.nan
        return loss

    spoiled.normal_equations = upper_only
    result = levenberg_marquardt(spoiled, problem.start, max_iter=100, tol=0)
    np.testing.assert_array_equal(result.theta, full.theta)
    assert result.loss_curve == full.loss_curve


def test_a_looser_tol_stops_sooner():
    problem = rosenbrock()
    loose = levenberg_marquardt(
        objective(problem), problem.start, max_iter=500, tol=1e-2
    )
    tight = levenberg_marquardt(
        objective(problem), problem.start, max_iter=500, tol=1e-14
    )
    assert loose.stopped_by == tight.stopped_by == "tol"
    assert loose.n_iter < tight.n_iter and loose.loss > tight.loss
    assert "less than tol in one step" in loose.message


def test_max_iter():
    problem = rosenbrock()
    result = levenberg_marquardt(objective(problem), problem.start, max_iter=3, tol=0)
    assert result.stopped_by == "max_iter" and result.reached_max_iter
    assert result.n_iter == 3 == len(result.loss_curve)
    assert result.loss == problem.loss(result.theta)
    assert_message(result, max_iter=3)


def test_callback_stops_after_its_iteration():
    problem = rosenbrock()
    recorder = Recorder(stop_at=2)
    result = levenberg_marquardt(
        objective(problem), problem.start, max_iter=100, tol=0, callback=recorder
    )
    assert result.stopped_by == "callback" and result.n_iter == 2
    assert recorder.iterations == [1, 2]
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert result.loss == recorder.losses[-1] == problem.loss(result.theta)
    assert result.loss_curve == recorder.losses
    assert_message(result, max_iter=100)
    plain = levenberg_marquardt(objective(problem), problem.start, max_iter=2, tol=0)
    np.testing.assert_array_equal(result.theta, plain.theta)


def test_interrupt_before_the_first_loss_reraises():
    problem = rosenbrock()
    with pytest.raises(KeyboardInterrupt):
        levenberg_marquardt(
            objective(problem, counter=Counter(1)), problem.start, max_iter=10, tol=0
        )


@pytest.mark.parametrize("interrupt_at", [2, 3, 8, 20])
def test_interrupt_keeps_the_last_accepted_iterate(interrupt_at):
    problem = rosenbrock()
    recorder = Recorder()
    result = levenberg_marquardt(
        objective(problem, counter=Counter(interrupt_at)),
        problem.start,
        max_iter=100,
        tol=0,
        callback=recorder,
    )
    assert result.stopped_by == "interrupted"
    assert result.n_iter == len(recorder.thetas) < interrupt_at
    assert_message(result, max_iter=100)
    if not result.n_iter:
        np.testing.assert_array_equal(result.theta, problem.start)
        assert result.loss == problem.loss(problem.start)
        return
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert result.loss == recorder.losses[-1] == problem.loss(result.theta)
    plain = levenberg_marquardt(
        objective(problem), problem.start, max_iter=result.n_iter, tol=0
    )
    np.testing.assert_array_equal(result.theta, plain.theta)


@pytest.mark.parametrize("damping", DAMPINGS)
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_a_non_finite_region_is_never_returned(value, damping):
    problem = rosenbrock()

    def region(x):
        return value if x[0] > 0.5 else None

    result = levenberg_marquardt(
        objective(problem, region=region),
        problem.start,
        max_iter=500,
        tol=1e-12,
        damping=damping,
    )
    assert np.all(np.isfinite(result.theta)) and result.theta[0] <= 0.5
    assert result.loss == problem.loss(result.theta)
    assert result.loss < problem.loss(problem.start)
    assert all(np.isfinite(result.loss_curve))


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("tol", [1e-3, 1e-10])
def test_tol_is_in_units_of_loss_scale(name, tol):
    problem = PROBLEMS[name]()
    plain = levenberg_marquardt(objective(problem), problem.start, max_iter=60, tol=tol)
    scaled = levenberg_marquardt(
        objective(problem, factor=1e6, loss_scale=1e6),
        problem.start,
        max_iter=60,
        tol=tol,
    )
    assert scaled.stopped_by == plain.stopped_by
    assert scaled.n_iter == plain.n_iter
    np.testing.assert_allclose(scaled.theta, plain.theta, rtol=1e-8, atol=1e-12)
    assert scaled.loss == pytest.approx(1e6 * plain.loss, rel=1e-6, abs=1e-12)


def test_an_unknown_damping_is_refused_before_any_evaluation():
    problem = rosenbrock()
    counter = Counter()
    with pytest.raises(ValueError, match="damping must be one of") as error:
        levenberg_marquardt(
            objective(problem, counter=counter),
            problem.start,
            max_iter=10,
            tol=0,
            damping="levenberg",
        )
    for name in ("identity", "marquardt", "hybrid", "levenberg"):
        assert name in str(error.value)
    assert counter.n_calls == 0


def test_damping_diagonals():
    diagonal = np.array([4.0, 0.0, 1.0, 1e-20])
    np.testing.assert_array_equal(damping_diagonal(diagonal, "identity"), 1.0)
    # marquardt: diag(J^T J), floored at 1e-12 of its largest entry (or of 1)
    np.testing.assert_array_equal(
        damping_diagonal(diagonal, "marquardt"), [4.0, 4e-12, 1.0, 4e-12]
    )
    np.testing.assert_array_equal(
        damping_diagonal(np.array([1e-3, 0.0]), "marquardt"), [1e-3, 1e-12]
    )
    # hybrid: diag(J^T J) plus its mean
    np.testing.assert_allclose(
        damping_diagonal(diagonal, "hybrid"), diagonal + diagonal.mean(), rtol=1e-15
    )
    np.testing.assert_array_equal(damping_diagonal(np.zeros(2), "hybrid"), 1e-12)
    with pytest.raises(ValueError, match="identity"):
        damping_diagonal(diagonal, "Identity")


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


def test_a_lower_mu_ceiling_gives_up_sooner():
    problem = rosenbrock()
    counter_low, counter_high = Counter(), Counter()
    low = levenberg_marquardt(
        objective(problem, counter=counter_low),
        problem.minimiser,  # nothing to gain: every step is rejected
        max_iter=10,
        tol=0,
        mu_ceiling=1e2,
    )
    high = levenberg_marquardt(
        objective(problem, counter=counter_high),
        problem.minimiser,
        max_iter=10,
        tol=0,
    )
    assert low.n_iter == high.n_iter == 0
    assert low.stopped_by == high.stopped_by == "tol"
    assert "ceiling" in low.message
    assert counter_low.n_calls < counter_high.n_calls


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
