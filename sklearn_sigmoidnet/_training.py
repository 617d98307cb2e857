"""One training run of the network: the solver, with the evidence updates of
``alpha="auto"``, and the posterior at the weights it ends with.

The estimator calls :func:`train` once per restart (``n_init``) and keeps the
best run; :func:`posterior` gives the noise variance, the effective number of
parameters, the log evidence and the covariance for ``predict(return_std=True)``.
"""

from dataclasses import dataclass

import numpy as np

from ._bayes import EvidenceRegulariser, LinAlgError
from .solvers import (
    STOP_MESSAGES,
    SolverResult,
    gradient_descent,
    lbfgs,
    levenberg_marquardt,
)
from .solvers._gradient_descent import halving_note

__all__ = [
    "INITIAL_AUTO_ALPHA",
    "Posterior",
    "hessian_is_affordable",
    "posterior",
    "train",
]

# The penalty alpha = a / b of every group that alpha="auto" starts from (on
# the network's scale, where the targets span target_range).
INITIAL_AUTO_ALPHA = 1e-2
# alpha="auto" with L-BFGS or gradient descent: iterations between two
# evidence updates (a fixed number: a long first chunk at the initial alpha
# overfits before the first update), and the relative change of every group's
# alpha that counts as converged.
_AUTO_CHUNK = 20
_AUTO_RTOL = 1e-2
# ... and at most this many updates (a chunk that cannot move the weights at
# the new alpha ends the loop too).
_AUTO_MAX_UPDATES = 50


def _solver_call(
    estimator, objective, theta, callback, max_iter, after_step=None, gd_state=None
):
    common = {"max_iter": max_iter, "tol": estimator.tol, "callback": callback}
    if estimator.solver_ == "lbfgs":
        return lbfgs(objective, theta, max_fun=estimator.max_fun, **common)
    if estimator.solver_ == "lm":
        return levenberg_marquardt(objective, theta, after_step=after_step, **common)
    # gd_state: the velocity, the loss ceiling and the learning rate reached
    state = dict(gd_state or {})
    learning_rate = state.pop("learning_rate", estimator.learning_rate)
    result = gradient_descent(
        objective,
        theta,
        learning_rate=learning_rate,
        momentum=estimator.momentum,
        n_iter_no_change=estimator.n_iter_no_change,
        **state,
        **common,
    )
    if gd_state is not None:
        gd_state["learning_rate"] = result.state["learning_rate"]
    return result


def _chunks_with_evidence(estimator, objective, theta, callback, regulariser, gd_state):
    """L-BFGS or gradient descent in chunks at a fixed alpha, an evidence
    update after each chunk, until alpha settles (and the chunk converged) or
    ``max_iter`` is spent. Gradient descent's velocity starts from zero at
    each new alpha."""
    curve, n_iter = [], 0
    start_rate = None if gd_state is None else gd_state.get("learning_rate")

    def offset_callback(iteration, theta, loss):
        return callback(n_iter + iteration, theta, loss)

    while True:
        budget = min(_AUTO_CHUNK, estimator.max_iter - n_iter)
        trained_alpha = regulariser.kernel.alpha
        result = _solver_call(
            estimator, objective, theta, offset_callback, budget, gd_state=gd_state
        )
        curve += result.loss_curve
        n_iter += result.n_iter
        theta = result.theta
        if result.stopped_by in ("callback", "interrupted", "diverged"):
            break
        old = regulariser.kernel.alpha
        try:
            new = regulariser.update(theta)
        except KeyboardInterrupt:  # as inside a solver: keep the last iterate
            result = _interrupted(result)
            break
        settled = np.all(np.abs(new - old) <= _AUTO_RTOL * old)
        settled = settled and result.stopped_by == "tol"
        settled |= result.n_iter == 0 or len(regulariser.history) >= _AUTO_MAX_UPDATES
        settled |= regulariser.stalled
        if settled:
            break
        if gd_state is not None:
            gd_state["velocity"][...] = 0.0
        if n_iter >= estimator.max_iter:
            result.stopped_by = "max_iter"
            break
    # the weights and loss are those of the last chunk, at its penalty
    regulariser.kernel.set_alpha(trained_alpha)
    notes = []  # one note for the chunks together (their rate carries over)
    if gd_state is not None:
        start_rate = start_rate or estimator.learning_rate
        if gd_state["learning_rate"] < start_rate:
            notes.append(halving_note(start_rate, gd_state["learning_rate"]))
    return SolverResult(
        theta, result.loss, curve, n_iter, result.stopped_by, result.message, notes
    )


def _interrupted(result):
    result.stopped_by = "interrupted"
    result.message = STOP_MESSAGES["interrupted"]
    return result


def train(estimator, kernel, objective, theta, callback, n_outputs, gd_state=None):
    """One run from ``theta``: returns ``(SolverResult, regulariser or None)``.

    ``gd_state`` is gradient descent's state carried from call to call
    (``velocity``, updated in place, and ``loss_ceiling``), or None.
    """
    if not isinstance(estimator.alpha, str):  # a fixed penalty
        result = _solver_call(
            estimator, objective, theta, callback, estimator.max_iter, gd_state=gd_state
        )
        return result, None
    regulariser = EvidenceRegulariser(kernel, n_outputs, kernel.alpha)
    if estimator.solver_ == "lm":  # trainbr: an update after each accepted step
        after_step = regulariser.after_step

        def stopping(iteration, theta, loss):  # the leave-one-out stopping rule
            return callback(iteration, theta, loss) or regulariser.stalled

        result = _solver_call(
            estimator, objective, theta, stopping, estimator.max_iter, after_step
        )
        if result.stopped_by == "callback" and regulariser.stalled:
            result.stopped_by = "tol"
            result.message = STOP_MESSAGES["tol"].format(detail=_STALLED)
    else:
        result = _chunks_with_evidence(
            estimator, objective, theta, callback, regulariser, gd_state
        )
    return _at_best_mode(result, regulariser, objective), regulariser


_STALLED = "the leave-one-out error of the evidence's modes stopped improving"


def _at_best_mode(result, regulariser, objective):
    """End on the mode of the lowest leave-one-out error (its weights and
    penalties), unless the run was interrupted or diverged."""
    if result.stopped_by in ("interrupted", "diverged"):
        return result
    theta = regulariser.restore_best()
    if theta is not None and not np.array_equal(theta, result.theta):
        result.theta, result.loss = theta, float(objective.loss(theta))
    return result


@dataclass
class Posterior:
    """The Gaussian posterior at the fitted weights, on the network's scale.

    Attributes
    ----------
    noise_variance : float
        ``1 / b``, from the residuals and the effective number of parameters.
    n_effective : float
    log_evidence : float
    covariance : ndarray of shape (P, P)
        Posterior covariance of the parameters, ``A^-1``.
    """

    noise_variance: float
    n_effective: float
    log_evidence: float
    covariance: np.ndarray


def posterior(kernel, theta, n_outputs):
    """The posterior at ``theta`` under the kernel's penalty ``alpha = a / b``,
    or None where the Gauss-Newton Hessian is not finite.

    ``gamma`` does not depend on ``b`` at a fixed ratio ``a / b``; ``b`` is
    then the residual estimate ``(N - n_effective) / sse``.
    """
    regulariser = EvidenceRegulariser(kernel, n_outputs, kernel.alpha)
    P = kernel.layout.n_parameters
    JtJ, Jtr = np.empty((P, P)), np.empty(P)
    loss = kernel.normal_equations(theta, JtJ, Jtr)
    alpha = kernel.alpha
    try:
        regulariser.precisions = (alpha, 1.0)
        first = regulariser.evaluate(theta, JtJ, loss)
        b = first.next_noise_precision
        regulariser.precisions = (alpha * b, b)
        at_b = regulariser.evaluate(theta, JtJ, loss)
    except LinAlgError:
        return None
    return Posterior(1.0 / b, first.n_effective, at_b.log_evidence, at_b.covariance)


def hessian_is_affordable(n_rows, n_parameters, max_parameters, max_flops):
    """Whether the posterior (``n_rows P^2`` work for the Gauss-Newton Hessian,
    ``P^3`` for its inverse, ``P^2`` memory) is computed at the end of a fit
    with a float ``alpha``."""
    work = (n_rows + n_parameters) * n_parameters**2
    return n_parameters <= max_parameters and work <= max_flops
