"""solvers.gradient_descent on problems with known answers (no network)."""

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

from sklearn_sigmoidnet.solvers import gradient_descent

# step sizes stable for each problem (largest curvature: 10, 67 and ~1000)
SETTINGS = {
    "quadratic": (quadratic, dict(learning_rate=0.05, momentum=0.5)),
    "least squares": (linear_least_squares, dict(learning_rate=0.01, momentum=0.5)),
    "rosenbrock": (rosenbrock, dict(learning_rate=1e-3, momentum=0.9)),
}


def _run(problem, options, **kwargs):
    arguments = dict(max_iter=20000, tol=1e-15, n_iter_no_change=30)
    arguments.update(options)
    arguments.update(kwargs)
    obj = arguments.pop("objective", None) or objective(problem)
    return gradient_descent(obj, problem.start, **arguments)


@pytest.mark.parametrize("name", SETTINGS)
def test_reaches_the_known_minimiser_and_stops_on_tol(name):
    make, options = SETTINGS[name]
    problem = make()
    start = problem.start.copy()
    result = _run(problem, options)
    assert result.stopped_by == "tol" and 0 < result.n_iter < 20000
    np.testing.assert_allclose(result.theta, problem.minimiser, atol=1e-6)
    assert result.loss == problem.loss(result.theta) == result.loss_curve[-1]
    assert len(result.loss_curve) == result.n_iter
    assert_message(result, max_iter=20000)
    assert "over the last 30 iterations" in result.message
    np.testing.assert_array_equal(start, problem.start)


def test_a_tol_no_step_can_meet_stops_after_n_iter_no_change():
    make, options = SETTINGS["quadratic"]
    result = _run(make(), options, tol=1e9, n_iter_no_change=4)
    assert result.stopped_by == "tol" and result.n_iter == 4


def test_tol_is_about_the_best_loss_over_the_window():
    """With momentum the loss oscillates; the window's best loss decides."""
    problem = quadratic()
    result = _run(
        problem, dict(learning_rate=0.05, momentum=0.9), tol=1e-6, n_iter_no_change=20
    )
    assert result.stopped_by == "tol"
    curve = np.minimum.accumulate([problem.loss(problem.start)] + result.loss_curve)
    assert curve[-21] - curve[-1] < 1e-6  # the stop's condition
    assert all(  # and no earlier window met it
        curve[i - 20] - curve[i] >= 1e-6 for i in range(20, len(curve) - 1)
    )
    assert np.any(np.diff(result.loss_curve) > 0)  # it did oscillate


def test_max_iter_with_tol_zero():
    make, options = SETTINGS["rosenbrock"]
    result = _run(make(), options, tol=0.0, max_iter=50)
    assert result.stopped_by == "max_iter" and result.reached_max_iter
    assert result.n_iter == 50 == len(result.loss_curve)
    assert_message(result, max_iter=50)


def test_callback_stops_after_its_iteration():
    make, options = SETTINGS["rosenbrock"]
    problem = make()
    recorder = Recorder(stop_at=4)
    result = _run(problem, options, tol=0.0, max_iter=100, callback=recorder)
    assert result.stopped_by == "callback" and result.n_iter == 4
    assert recorder.iterations == [1, 2, 3, 4]
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert result.loss == recorder.losses[-1] == problem.loss(result.theta)
    assert result.loss_curve == recorder.losses
    assert_message(result, max_iter=100)
    plain = _run(problem, options, tol=0.0, max_iter=4)
    np.testing.assert_array_equal(result.theta, plain.theta)


def test_interrupt_before_the_first_loss_reraises():
    make, options = SETTINGS["quadratic"]
    problem = make()
    with pytest.raises(KeyboardInterrupt):
        _run(problem, options, objective=objective(problem, counter=Counter(1)))


@pytest.mark.parametrize("interrupt_at", [2, 3, 20])
def test_interrupt_keeps_the_last_completed_iterate(interrupt_at):
    make, options = SETTINGS["rosenbrock"]
    problem = make()
    recorder = Recorder()
    result = _run(
        problem,
        options,
        tol=0.0,
        callback=recorder,
        objective=objective(problem, counter=Counter(interrupt_at)),
    )
    # one evaluation before the first step, one per step
    assert result.stopped_by == "interrupted"
    assert result.n_iter == interrupt_at - 2 == len(recorder.thetas)
    plain = _run(problem, options, tol=0.0, max_iter=max(result.n_iter, 1))
    if result.n_iter:
        np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
        np.testing.assert_array_equal(result.theta, plain.theta)
        assert result.loss == recorder.losses[-1]
    else:
        np.testing.assert_array_equal(result.theta, problem.start)
        assert result.loss == problem.loss(problem.start)
    assert_message(result, max_iter=20000)


def test_a_huge_learning_rate_diverges_at_once_and_keeps_the_start():
    problem = quadratic()
    result = _run(problem, dict(learning_rate=1e300, momentum=0.0))
    assert result.stopped_by == "diverged" and not result.reached_max_iter
    assert result.n_iter == 0 and result.loss_curve == []
    np.testing.assert_array_equal(result.theta, problem.start)
    assert result.loss == problem.loss(problem.start)
    assert_message(result, max_iter=20000)
    assert "iteration 1" in result.message and "learning_rate" in result.message


def test_a_too_large_learning_rate_is_halved_until_the_loss_falls():
    """Steps that grow geometrically (curvature 10, learning rate 1): each step
    that lifts the loss above the start is undone and the rate halved, down to
    a stable 0.125, which then reaches the minimiser; the note says so."""
    problem = quadratic()
    recorder = Recorder()
    result = _run(
        problem,
        dict(learning_rate=1.0, momentum=0.0),
        tol=0.0,
        max_iter=2000,
        callback=recorder,
    )
    assert result.stopped_by == "max_iter" and result.n_iter == 2000
    np.testing.assert_allclose(result.theta, problem.minimiser, atol=1e-12)
    assert max(recorder.losses) <= problem.loss(problem.start)
    np.testing.assert_array_equal(result.theta, recorder.thetas[-1])
    assert len(result.notes) == 1 and "halved it to 0.125" in result.notes[0]


def test_a_stable_learning_rate_leaves_no_note():
    make, options = SETTINGS["quadratic"]
    assert _run(make(), options).notes == []


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_a_non_finite_region_is_never_entered(value):
    """Rosenbrock where x[0] > 0.5 is non-finite: steps into the region are
    undone with smaller rates, and the run ends at the constrained minimiser
    (0.5, 0.25) on the region's edge, never inside it."""
    make, options = SETTINGS["rosenbrock"]
    problem = make()

    def region(x):
        return value if x[0] > 0.5 else None

    result = _run(
        problem, options, tol=0.0, objective=objective(problem, region=region)
    )
    assert np.all(np.isfinite(result.theta)) and result.theta[0] <= 0.5
    np.testing.assert_allclose(result.theta, [0.5, 0.25], atol=5e-3)
    assert result.loss == problem.loss(result.theta)
    assert "halved" in result.notes[0]


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_tol_is_in_units_of_loss_scale(tol):
    """The loss times 1e6 (and the learning rate divided by 1e6, since steps
    are in the objective's own units) with loss_scale=1e6: the same stop."""
    problem = quadratic()
    plain = _run(problem, dict(learning_rate=0.05, momentum=0.5), tol=tol)
    scaled = _run(
        problem,
        dict(learning_rate=0.05e-6, momentum=0.5),
        tol=tol,
        objective=objective(problem, factor=1e6, loss_scale=1e6),
    )
    assert plain.stopped_by == scaled.stopped_by == "tol"
    assert scaled.n_iter == plain.n_iter
    np.testing.assert_allclose(scaled.theta, plain.theta, rtol=1e-9, atol=1e-12)
    assert scaled.loss == pytest.approx(1e6 * plain.loss, rel=1e-6)


def test_velocity_is_updated_in_place_and_carried():
    problem = quadratic()
    options = dict(learning_rate=0.05, momentum=0.8, n_iter_no_change=5, tol=0.0)
    velocity = np.zeros(problem.n_parameters)
    first = gradient_descent(
        objective(problem), problem.start, max_iter=1, velocity=velocity, **options
    )
    # v = momentum * 0 - learning_rate * gradient(start)
    np.testing.assert_array_equal(velocity, -0.05 * problem.gradient(problem.start))
    np.testing.assert_array_equal(first.theta, problem.start + velocity)
    second = gradient_descent(
        objective(problem), first.theta, max_iter=2, velocity=velocity, **options
    )
    # two calls with the velocity carried are one run of three steps
    whole_velocity = np.zeros(problem.n_parameters)
    whole = gradient_descent(
        objective(problem),
        problem.start,
        max_iter=3,
        velocity=whole_velocity,
        **options,
    )
    np.testing.assert_array_equal(second.theta, whole.theta)
    np.testing.assert_array_equal(velocity, whole_velocity)
    # without a velocity every call starts from rest
    restart = gradient_descent(objective(problem), first.theta, max_iter=2, **options)
    assert not np.array_equal(restart.theta, whole.theta)


def test_the_divergence_message_names_the_rate_reached():
    """A loss that is finite only at the start: every step is undone, and the
    message names the halved rate, not the starting one."""
    from sklearn_sigmoidnet.solvers import Objective
    from sklearn_sigmoidnet.solvers._gradient_descent import MAX_HALVINGS

    def loss_gradient(theta, gradient):
        gradient[...] = 1.0
        return 0.0 if not theta.any() else np.inf

    objective = Objective(loss_gradient, n_parameters=2)
    result = gradient_descent(
        objective,
        np.zeros(2),
        max_iter=5,
        tol=0.0,
        learning_rate=0.5,
        momentum=0.0,
        n_iter_no_change=5,
    )
    assert result.stopped_by == "diverged"
    reached = 0.5 * 0.5 ** (MAX_HALVINGS + 1)
    assert f"halved to {reached:.3g}" in result.message
    assert "0.5)" not in result.message
    np.testing.assert_array_equal(result.theta, 0.0)
