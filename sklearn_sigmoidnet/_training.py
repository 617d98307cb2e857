"""The training run: restarts, the evidence loop, ``partial_fit``'s step, the posterior.

:func:`run_training` carries out a :class:`~._plan.FitPlan` on a
:class:`~._problem.TrainingProblem` and returns a :class:`TrainingOutcome`,
which the estimator commits whole. Nothing here sees the estimator: the
callbacks' task object (:class:`~._callbacks.FitTasks`) is the only holder of
it, to hand to scikit-learn.

- Each restart runs the plan's solver from its initial weights, with
  ``alpha="auto"`` re-estimating the penalties (:mod:`._evidence_loop`), the
  :class:`~._monitor.TrainingMonitor` scoring held-out rows, and the best
  restart kept: the best validation score with early stopping, else the
  highest log evidence (``alpha="auto"``) or the lowest loss.
- ``partial_fit`` takes one gradient step, continuing the
  :class:`MomentumState` of earlier calls.
- The :class:`~._posterior.Posterior` is computed at the kept weights.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._evidence_loop import train_once
from ._monitor import TrainingMonitor
from ._posterior import posterior_at
from .exceptions import FitInterruptedWarning
from .solvers import SolverResult, gradient_descent

__all__ = ["FitHistory", "MomentumState", "TrainingOutcome", "run_training"]


@dataclass
class MomentumState:
    """Gradient descent's state, carried from call to call (``warm_start``,
    ``partial_fit``) so that calls continue one run.

    Attributes
    ----------
    velocity : ndarray of shape (n_parameters,)
        Updated in place by the solver.
    loss_ceiling : float
        The loss a step may not exceed: that of the weights training started
        from.
    learning_rate_given : float
        The ``learning_rate`` the state was reached with.
    learning_rate : float
        The rate after any halvings (continued while ``learning_rate`` stays
        the one given).
    """

    velocity: np.ndarray
    loss_ceiling: float
    learning_rate_given: float
    learning_rate: float

    @classmethod
    def start(cls, objective, theta, learning_rate):
        velocity = np.zeros(objective.n_parameters)
        ceiling = float(objective.loss(theta))
        return cls(velocity, ceiling, learning_rate, learning_rate)

    def continued(self, learning_rate):
        """A copy to continue from (a changed ``learning_rate`` starts afresh
        from the new one)."""
        rate = (
            self.learning_rate
            if learning_rate == self.learning_rate_given
            else learning_rate
        )
        return replace(
            self,
            velocity=self.velocity.copy(),
            learning_rate_given=learning_rate,
            learning_rate=rate,
        )


@dataclass
class FitHistory:
    """The curves that ``warm_start`` and ``partial_fit`` continue."""

    loss_curve: list = field(default_factory=list)
    n_iter: int = 0
    validation_scores: object = None  # list of float, or None

    def continued(self, losses, scores):
        """A new history: this one's with ``losses`` (and ``scores``, or None
        without early stopping) appended."""
        if scores is None:
            kept = None
        else:
            kept = (self.validation_scores or []) + list(scores)
        return FitHistory(
            self.loss_curve + list(losses), self.n_iter + len(losses), kept
        )


@dataclass
class TrainingOutcome:
    """What a training run reached: everything the estimator commits.

    Attributes
    ----------
    theta : ndarray
        The kept weights (float64).
    loss : float
        The loss at ``theta`` under ``alpha``.
    alpha : float or ndarray of shape (3,)
        The penalty of ``loss`` (with ``alpha="auto"``, the last one reached).
    history : FitHistory
    best_validation_score : float or None
    penalty_history : list of (alpha, gamma) or None
        The evidence updates of ``alpha="auto"``.
    restart_losses : list of float or None
        None after ``partial_fit``.
    momentum : MomentumState or None
        Gradient descent's state (None after ``lbfgs`` and ``lm``).
    posterior : Posterior or None
        None after ``partial_fit``.
    warnings : list of (category, message)
        To be issued to the caller.
    """

    theta: np.ndarray
    loss: float
    alpha: object
    history: FitHistory
    best_validation_score: object = None
    penalty_history: object = None
    restart_losses: object = None
    momentum: object = None
    posterior: object = None
    warnings: list = field(default_factory=list)


@dataclass
class _Run:
    """One restart's result."""

    theta: np.ndarray
    loss: float
    result: object  # SolverResult
    monitor: TrainingMonitor
    regulariser: object
    alpha: object
    momentum: object


def _monitor(plan, problem):
    return TrainingMonitor(
        problem.held_out,
        problem.layout,
        problem.n_threads,
        verbose=plan.verbose,
        max_iter=plan.max_iter,
        patience=plan.n_iter_no_change,
        tol=plan.tol,
    )


def _one_run(plan, problem, theta, tasks, momentum, scores_go_on, constant=False):
    """One training run from ``theta`` (a restart, or the fitted weights
    continued); ``constant``: stay at the constant prediction."""
    kernel = problem.kernel
    kernel.set_alpha(plan.penalty.initial)  # every restart from the same penalty
    if plan.solver == "gd" and momentum is None:
        momentum = MomentumState.start(problem.objective, theta, plan.learning_rate)
    monitor = _monitor(plan, problem)
    restart = tasks.restart(theta, plan.max_iter)

    def callback(iteration, theta, loss):
        early_stop = monitor(iteration, theta, loss)
        return restart(iteration, theta, loss) or early_stop

    with monitor:
        monitor.start(theta, record=not scores_go_on)
        if constant:
            result, regulariser = _constant_result(problem, theta), None
        else:
            result, regulariser = train_once(
                plan, kernel, problem.objective, theta, callback, momentum
            )
        theta, loss = result.theta, result.loss
        if monitor.best_theta is not None:  # early stopping: the best score's
            if momentum is not None and not np.array_equal(monitor.best_theta, theta):
                momentum.velocity[...] = 0.0  # the last iterate's
            theta = monitor.best_theta
            loss = kernel.loss(theta)
    try:
        restart.end(theta)
    except KeyboardInterrupt:  # in a callback's hook: keep the run, stop the fit
        result.stopped_by = "interrupted"
    alpha = plan.penalty.fixed if regulariser is None else kernel.alpha
    monitor.report(result.n_iter, loss)
    return _Run(theta, loss, result, monitor, regulariser, alpha, momentum)


def _log_evidence(run):
    last = run.regulariser.last  # None if every evidence update failed
    return -np.inf if last is None or np.isnan(last.log_evidence) else last.log_evidence


def _best(plan, runs):
    if plan.early_stopping:
        return max(runs, key=lambda run: run.monitor.best_score)
    if plan.penalty.auto:
        return max(runs, key=_log_evidence)
    return min(runs, key=lambda run: run.loss)


def _restarts(plan, problem, starts, tasks, momentum, scores_go_on, constant):
    """Every restart's run, until the starts are used up or one is interrupted."""
    runs = []
    for theta in starts:
        runs.append(
            _one_run(plan, problem, theta, tasks, momentum, scores_go_on, constant)
        )
        if runs[-1].result.stopped_by == "interrupted":
            break  # Ctrl-C ends the fit, not only this restart
    return runs


# A fixed penalty that bounds the output weights' norm below this moves the
# network's output by at most about that times sqrt(n_hidden), on targets
# spread over 0.6: the fit is the constant prediction (see _forces_constant).
_NEGLIGIBLE_WEIGHT_NORM = 1e-3


def _forces_constant(plan, problem):
    """Whether the fixed penalty forces the network's output to a constant.

    A network beats the constant prediction only if its penalty stays below
    the constant's loss ``L0`` (the objective's unit), so the weights of a
    group penalised by ``alpha_g`` have ``||W_g||^2 <= 2 L0 S / alpha_g``.
    Below ``_NEGLIGIBLE_WEIGHT_NORM`` for the output weights, or for the input
    weights (then the hidden units are constant), the minimiser is the
    constant model to that precision, and the solvers would only fight the
    penalty's curvature (or overflow) to get there: L-BFGS stops with a
    misplaced output bias, Levenberg-Marquardt takes minutes at
    ``alpha=1e300``.
    """
    alpha = plan.penalty.fixed
    if alpha is None:
        return False
    groups = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (3,))
    strongest = max(groups[0], groups[2])  # input weights, output weights
    if strongest == 0.0:
        return False
    S = problem.kernel.data.weight_sum
    with np.errstate(over="ignore", divide="ignore"):
        bound = 2.0 * problem.objective.loss_scale * S / strongest
    return bool(bound <= _NEGLIGIBLE_WEIGHT_NORM**2)


def _constant_start(problem, theta):
    """``theta`` with every penalised parameter and the output weights 0 and
    the output biases at the weighted mean target: the constant prediction,
    a stationary point of the loss for any penalty."""
    kernel = problem.kernel
    theta = np.where(kernel.layout.penalties(kernel.alpha) > 0, 0.0, theta)
    _, W2 = kernel.layout.unpack(theta)
    W2[:-1] = 0.0  # also unpenalised: constant hidden units need none
    mean = np.clip(problem.mean_target(), 1e-12, 1 - 1e-12)
    W2[-1] = np.log(mean / (1.0 - mean))  # Yhat = sigmoid(b2) = mean
    return theta


def _data_can_vary(problem):
    """Whether more than the constant could fit the data at all (a warning
    about the penalty would blame it wrongly for a constant target or a
    single sample)."""
    varies = problem.kernel.n_samples > 1 and not np.all(problem.mapping.constant)
    return bool(varies)


def _constant_warning(plan):
    return (
        UserWarning,
        f"SigmoidMLPRegressor(alpha={plan.penalty.fixed!r}): the penalty bounds "
        f"the output or input weights' norm below {_NEGLIGIBLE_WEIGHT_NORM:g}, so "
        "the fit is the constant prediction (the weighted mean target), without "
        "training. Lower alpha (it is on the network's scale; see the user "
        "guide) to fit the data.",
    )


def _constant_result(problem, theta):
    """The result of a run that stays at the constant prediction ``theta``."""
    loss = float(problem.kernel.loss(theta))
    return SolverResult(theta, loss, [], 0, "tol", "the constant prediction")


def _fit_outcome(plan, problem, starts, tasks, previous):
    """``fit``: the restarts, the best run and its posterior."""
    constant = _forces_constant(plan, problem)
    if constant:
        problem.kernel.set_alpha(plan.penalty.initial)
        starts = (_constant_start(problem, theta) for theta in starts)
    momentum = None
    if plan.continuing and plan.solver == "gd" and previous.momentum is not None:
        momentum = previous.momentum.continued(plan.learning_rate)
    scores_go_on = plan.continuing and previous.history.validation_scores is not None
    runs = _restarts(plan, problem, starts, tasks, momentum, scores_go_on, constant)
    run = _best(plan, runs)
    problem.kernel.set_alpha(run.alpha)
    posterior, interrupted = posterior_at(
        problem.kernel,
        run.theta,
        run.loss,
        n_outputs=plan.layout.n_outputs,
        with_matrix=plan.computes_posterior and run.result.stopped_by != "interrupted",
        why_not=_why_no_matrix(plan, run),
    )
    scores = run.monitor.validation_scores if plan.early_stopping else None
    history = (previous.history if plan.continuing else FitHistory()).continued(
        run.result.loss_curve, scores
    )
    skipped = runs[-1].result.stopped_by == "interrupted" and runs[-1] is not run
    return TrainingOutcome(
        theta=run.theta,
        loss=run.loss,
        alpha=run.alpha,
        history=history,
        best_validation_score=run.monitor.best_score if plan.early_stopping else None,
        penalty_history=None if run.regulariser is None else run.regulariser.history,
        restart_losses=[r.loss for r in runs],
        momentum=run.momentum,
        posterior=posterior,
        warnings=[_constant_warning(plan)] * (constant and _data_can_vary(problem))
        + _warnings(plan, run.result, skipped, interrupted),
    )


def _why_no_matrix(plan, run):
    if run.result.stopped_by == "interrupted":
        return "the fit was interrupted, so it was skipped."
    return plan.budget.describe() + "."


def _step_outcome(plan, problem, theta, previous):
    """``partial_fit``: one gradient step, continuing gradient descent's state."""
    if previous.momentum is not None:
        momentum = previous.momentum.continued(plan.learning_rate)
    else:
        momentum = MomentumState.start(problem.objective, theta, plan.learning_rate)
    result = gradient_descent(
        problem.objective,
        theta,
        max_iter=1,
        tol=0.0,
        learning_rate=momentum.learning_rate,
        momentum=plan.momentum,
        n_iter_no_change=1,
        velocity=momentum.velocity,
        loss_ceiling=momentum.loss_ceiling,
    )
    momentum.learning_rate = result.state["learning_rate"]
    history = (previous.history if plan.continuing else FitHistory()).continued(
        result.loss_curve[-1:], None
    )
    return TrainingOutcome(
        theta=result.theta,
        loss=result.loss,
        alpha=problem.kernel.alpha,
        history=history,
        momentum=momentum,
        warnings=_warnings(plan, result, False, False),
    )


@dataclass
class Previous:
    """What a continued fit carries over from the fitted estimator."""

    history: FitHistory = field(default_factory=FitHistory)
    momentum: object = None


def run_training(plan, problem, starts, tasks, previous):
    """Carry out ``plan`` on ``problem`` from the initial weights ``starts``
    (an iterable, one per restart); ``previous`` is a :class:`Previous`.

    Returns
    -------
    TrainingOutcome
    """
    if plan.incremental:
        return _step_outcome(plan, problem, next(iter(starts)), previous)
    return _fit_outcome(plan, problem, starts, tasks, previous)


def _warnings(plan, result, skipped_restarts, interrupted_posterior):
    """The warnings of a run, as (category, message) pairs."""
    name = f"SigmoidMLPRegressor(solver={plan.solver!r})"
    found = [(ConvergenceWarning, f"{name}: {note}") for note in result.notes]
    if result.reached_max_iter and not plan.incremental:  # partial_fit: 1 step
        found.append((ConvergenceWarning, _budget_message(plan, result, name)))
    elif result.stopped_by == "diverged":
        found.append((ConvergenceWarning, result.message))
    elif result.stopped_by == "interrupted":
        found.append(
            (
                FitInterruptedWarning,
                "Training interrupted by the user: the weights of the last "
                f"completed iteration ({result.n_iter}) are kept.",
            )
        )
    if skipped_restarts:
        found.append(
            (
                FitInterruptedWarning,
                "Training interrupted by the user: the restarts after the "
                "interrupted one were skipped, and the best run is kept.",
            )
        )
    if interrupted_posterior:
        found.append(
            (
                FitInterruptedWarning,
                "Training interrupted by the user while computing the posterior: "
                "the trained weights are kept, without the posterior "
                "(predict(return_std=True) raises; n_effective_parameters_ and "
                "log_evidence_ are NaN).",
            )
        )
    return found


def _budget_message(plan, result, name):
    if result.stopped_by == "max_fun":
        budget, option = f"max_fun={plan.max_fun} loss evaluations", "max_fun"
    else:
        budget, option = f"max_iter={plan.max_iter} iterations", "max_iter"
    return (
        f"{name} stopped at {budget} before the loss settled to tol={plan.tol}. "
        f"Raise {option} to train longer, or raise tol to stop sooner; the "
        "weights reached are kept."
    )
