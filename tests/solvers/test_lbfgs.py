"""solvers.lbfgs on problems with known answers (no network involved)."""

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

from sklearn_sigmoidnet.solvers import lbfgs, levenberg_marquardt

PROBLEMS = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "least squares": linear_least_squares,
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_reaches_the_known_minimiser_and_stops_on_tol(name):
    problem = PROBLEMS[name]()
    start = problem.start.copy()
    result = lbfgs(objective(problem), start, max_iter=1000, tol=1e-12)
    assert result.stopped_by == "tol" and 0 < result.n_iter < 1000
    assert not result.reached_max_iter
    np.testing.assert_allclose(result.theta, problem.minimiser, atol=1e-7)
    assert result.loss == pytest.approx(problem.loss(result.theta), rel=1e-12)
    assert result.loss == result.loss_curve[-1]
    assert len(result.loss_curve) == result.n_iter
    assert np.all(np.diff(result.loss_curve) <= 0)  # a descent method
    assert_message(result, max_iter=1000, max_fun=15000)
    assert result.message.startswith("Converged: ")
    np.testing.assert_array_equal(start, problem.start)  # the caller's x0


def test_a_looser_tol_stops_sooner():
    problem = rosenbrock()
    loose = lbfgs(objective(problem), problem.start, max_iter=1000, tol=1e-3)
    tight = lbfgs(objective(problem), problem.start, max_iter=1000, tol=1e-12)
    assert loose.stopped_by == tight.stopped_by == "tol"
    assert loose.n_iter < tight.n_iter
    assert loose.loss > tight.loss


def test_max_iter():
    problem = rosenbrock()
    result = lbfgs(objective(problem), problem.start, max_iter=5, tol=0.0)
    assert result.stopped_by == "max_iter" and result.reached_max_iter
    assert result.n_iter == 5 == len(result.loss_curve)
    assert result.loss == result.loss_curve[-1] == problem.loss(result.theta)
    assert_message(result, max_iter=5, max_fun=15000)
    assert result.message == (
        "The maximum number of iterations (max_iter=5) was reached."
    )


def test_max_fun():
    problem = rosenbrock()
    counter = Counter()
    result = lbfgs(
        objective(problem, counter=counter),
        problem.start,
        max_iter=1000,
        tol=0.0,
        max_fun=10,
    )
    assert result.stopped_by == "max_fun" and result.reached_max_iter
    assert counter.n_calls >= 10 and result.n_iter < 10
    assert result.loss == pytest.approx(problem.loss(result.theta), rel=1e-12)
    assert_message(result, max_iter=1000, max_fun=10)


@pytest.mark.parametrize("max_iter", [3, 50])
def test_state_counts_the_loss_evaluations(max_iter):
    """state["n_fun"] is the number of objective evaluations, so that a
    caller running chunks can keep one max_fun budget."""
    problem = rosenbrock()
    counter = Counter()
    result = lbfgs(
        objective(problem, counter=counter), problem.start, max_iter=max_iter, tol=0
    )
    assert result.state["n_fun"] == counter.n_calls > result.n_iter


def test_callback_stops_after_its_iteration():
    problem = rosenbrock()
    recorder = Recorder(stop_at=3)
    result = lbfgs(
        objective(problem), problem.start, max_iter=100, tol=0.0, callback=recorder
    )
    assert result.stopped_by == "callback" and result.n_iter == 3
    assert recorder.iterations == [1, 2, 3]
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert result.loss == recorder.losses[-1]
    assert result.loss_curve == recorder.losses
    assert result.loss == pytest.approx(problem.loss(result.theta), rel=1e-12)
    assert_message(result, max_iter=100, max_fun=15000)
    # the iterates seen are the ones of an uninterrupted run
    full = Recorder()
    lbfgs(objective(problem), problem.start, max_iter=3, tol=0.0, callback=full)
    for seen, expected in zip(recorder.thetas, full.thetas, strict=True):
        np.testing.assert_array_equal(seen, expected)


def test_a_falsy_callback_never_stops():
    problem = rosenbrock()
    recorder = Recorder()
    result = lbfgs(
        objective(problem), problem.start, max_iter=7, tol=0.0, callback=recorder
    )
    assert result.stopped_by == "max_iter" and recorder.iterations == list(range(1, 8))


def test_interrupt_before_the_first_loss_reraises():
    problem = rosenbrock()
    with pytest.raises(KeyboardInterrupt):
        lbfgs(
            objective(problem, counter=Counter(interrupt_at=1)),
            problem.start,
            max_iter=100,
            tol=0.0,
        )


def test_interrupt_after_the_first_loss_keeps_the_start():
    problem = rosenbrock()
    result = lbfgs(
        objective(problem, counter=Counter(interrupt_at=2)),
        problem.start,
        max_iter=100,
        tol=0.0,
    )
    assert result.stopped_by == "interrupted" and result.n_iter == 0
    np.testing.assert_array_equal(result.theta, problem.start)
    assert result.loss == problem.loss(problem.start)
    assert result.loss_curve == []
    assert_message(result)


@pytest.mark.parametrize("interrupt_at", [5, 12, 30])
def test_interrupt_keeps_the_last_completed_iterate(interrupt_at):
    problem = rosenbrock()
    recorder = Recorder()
    result = lbfgs(
        objective(problem, counter=Counter(interrupt_at=interrupt_at)),
        problem.start,
        max_iter=1000,
        tol=0.0,
        callback=recorder,
    )
    assert result.stopped_by == "interrupted"
    assert 0 < result.n_iter == len(recorder.thetas) < interrupt_at
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert result.loss == recorder.losses[-1] == result.loss_curve[-1]
    # the same point as a run that stopped there by max_iter
    stopped = lbfgs(objective(problem), problem.start, max_iter=result.n_iter, tol=0.0)
    np.testing.assert_array_equal(result.theta, stopped.theta)
    assert result.loss_curve == stopped.loss_curve


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_a_non_finite_region_is_never_returned(value):
    """inf or NaN where x > 0.5: the minimiser (1, 1) is out of reach; the
    solver stops at a finite point, outside the region, lower than the start."""
    problem = rosenbrock()

    def region(x):
        return value if x[0] > 0.5 else None

    result = lbfgs(
        objective(problem, region=region), problem.start, max_iter=500, tol=1e-12
    )
    assert np.all(np.isfinite(result.theta)) and np.isfinite(result.loss)
    assert result.theta[0] <= 0.5
    assert result.loss == pytest.approx(problem.loss(result.theta), rel=1e-12)
    assert result.loss < problem.loss(problem.start)
    assert all(np.isfinite(result.loss_curve))


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_a_non_finite_region_around_the_path(value):
    """A region the first steps may overshoot into, away from the minimiser:
    the solver backs off and still reaches it."""
    problem = quadratic()
    c = problem.minimiser

    def region(x):
        return value if np.abs(x - c).max() > 0.3 and x[0] > c[0] + 0.01 else None

    result = lbfgs(
        objective(problem, region=region), problem.start, max_iter=500, tol=1e-12
    )
    np.testing.assert_allclose(result.theta, c, atol=1e-6)


def test_a_wrong_gradient_ends_in_a_failed_line_search():
    problem = quadratic()
    wrong = objective(problem)
    right = wrong.loss_gradient

    def uphill(x, gradient):
        loss = right(x, gradient)
        gradient *= -1.0
        return loss

    wrong.loss_gradient = uphill
    result = lbfgs(wrong, problem.start, max_iter=100, tol=0.0)
    assert result.stopped_by == "line_search" and not result.reached_max_iter
    assert_message(result, max_iter=100, max_fun=15000)
    assert np.all(np.isfinite(result.theta))
    assert result.loss <= problem.loss(problem.start)


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("tol", [1e-3, 1e-8, 0.0])
def test_tol_is_in_units_of_loss_scale(name, tol):
    """The loss times 1e6 with loss_scale=1e6: the same iterations and the same
    stop as the loss itself with loss_scale=1."""
    problem = PROBLEMS[name]()
    plain = lbfgs(objective(problem), problem.start, max_iter=60, tol=tol)
    scaled = lbfgs(
        objective(problem, factor=1e6, loss_scale=1e6),
        problem.start,
        max_iter=60,
        tol=tol,
    )
    assert scaled.stopped_by == plain.stopped_by
    assert scaled.n_iter == plain.n_iter
    np.testing.assert_allclose(scaled.theta, plain.theta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        np.array(scaled.loss_curve) / 1e6, plain.loss_curve, rtol=1e-9, atol=1e-20
    )
    assert scaled.loss == pytest.approx(1e6 * plain.loss, rel=1e-9, abs=1e-14)


# Found by review: each of these failed before its fix.
def _infinite_left_of_zero(x):
    return np.inf if x[0] < 0 else None  # the start (-1.2, 1) is inside


def test_lbfgs_from_a_non_finite_start_returns_a_finite_theta():
    problem = rosenbrock()
    result = lbfgs(
        objective(problem, region=_infinite_left_of_zero),
        problem.start,
        max_iter=50,
        tol=0.0,
    )
    # fails: theta is None, stopped_by "tol", message "Converged: ..."
    assert result.theta is not None and np.all(np.isfinite(result.theta))


def test_levenberg_marquardt_from_an_infinite_start_returns():
    problem = rosenbrock()
    counter = Counter(interrupt_at=10_000)  # stands in for a timeout
    result = levenberg_marquardt(
        objective(problem, region=_infinite_left_of_zero, counter=counter),
        problem.start,
        max_iter=50,
        tol=0.0,
    )
    # fails: mu = 1e-3 * inf never passes mu_ceiling * inf; the loop runs on
    # (stopped here by the counter's KeyboardInterrupt after 10,000 losses)
    assert result.stopped_by != "interrupted" and counter.n_calls < 10_000
