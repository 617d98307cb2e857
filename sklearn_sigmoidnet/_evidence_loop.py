"""One solver run, with the evidence updates of ``alpha="auto"``.

:func:`train_once` runs the plan's solver from ``theta``. With a fixed
penalty that is all. With ``alpha="auto"`` the penalties are re-estimated by
MacKay's evidence (:class:`~._bayes.EvidenceRegulariser`): after every
accepted Levenberg-Marquardt step (MATLAB ``trainbr``'s way), or, for L-BFGS
and gradient descent, after every chunk of ``_AUTO_CHUNK`` iterations at a
fixed penalty.
"""

import numpy as np

from ._bayes import EvidenceRegulariser
from .solvers import (
    STOP_MESSAGES,
    SolverResult,
    gradient_descent,
    lbfgs,
    levenberg_marquardt,
)
from .solvers._gradient_descent import halving_note

__all__ = ["train_once"]

# alpha="auto" with L-BFGS or gradient descent: iterations between two
# evidence updates (a fixed number: a long first chunk at the initial alpha
# overfits before the first update), and the relative change of every group's
# alpha that counts as converged.
_AUTO_CHUNK = 20
_AUTO_RTOL = 1e-2
# ... and at most this many updates (a chunk that cannot move the weights at
# the new alpha ends the loop too).
_AUTO_MAX_UPDATES = 50


def _solve(
    plan,
    objective,
    theta,
    callback,
    max_iter,
    after_step=None,
    momentum=None,
    max_fun=None,
):
    """The plan's solver for ``max_iter`` iterations (and, for L-BFGS,
    ``max_fun`` loss evaluations, the plan's by default) from ``theta``."""
    common = {"max_iter": max_iter, "tol": plan.tol, "callback": callback}
    if plan.solver == "lbfgs":
        max_fun = plan.max_fun if max_fun is None else max_fun
        return lbfgs(objective, theta, max_fun=max_fun, **common)
    if plan.solver == "lm":
        return levenberg_marquardt(objective, theta, after_step=after_step, **common)
    result = gradient_descent(
        objective,
        theta,
        learning_rate=momentum.learning_rate,
        momentum=plan.momentum,
        n_iter_no_change=plan.n_iter_no_change,
        velocity=momentum.velocity,
        loss_ceiling=momentum.loss_ceiling,
        **common,
    )
    momentum.learning_rate = result.state["learning_rate"]
    return result


def _converged(old, new, result):
    """Every penalty moved by less than ``_AUTO_RTOL``, and the chunk
    converged; or the chunk could not move the weights."""
    settled = np.all(np.abs(new - old) <= _AUTO_RTOL * old)
    return (settled and result.stopped_by == "tol") or result.n_iter == 0


def _chunks_with_evidence(plan, objective, theta, callback, regulariser, momentum):
    """L-BFGS or gradient descent in chunks at a fixed penalty, an evidence
    update after each chunk, until the penalties settle (and the chunk
    converged) or ``max_iter`` is spent. Gradient descent's velocity starts
    from zero at each new penalty."""
    curve, n_iter, n_fun, notes = [], 0, 0, []
    start_rate = None if momentum is None else momentum.learning_rate

    def offset_callback(iteration, theta, loss):
        return callback(n_iter + iteration, theta, loss)

    while True:
        budget = min(_AUTO_CHUNK, plan.max_iter - n_iter)
        trained_alpha = regulariser.kernel.alpha
        result = _solve(
            plan,
            objective,
            theta,
            offset_callback,
            budget,
            momentum=momentum,
            max_fun=plan.max_fun - n_fun,  # one budget for all the chunks
        )
        curve += result.loss_curve
        n_iter += result.n_iter
        n_fun += result.state.get("n_fun", 0)
        theta = result.theta
        if result.stopped_by in ("callback", "interrupted", "diverged"):
            break
        old = regulariser.kernel.alpha
        try:
            new = regulariser.update(theta)
        except KeyboardInterrupt:  # as inside a solver: keep the last iterate
            result.stopped_by = "interrupted"
            result.message = STOP_MESSAGES["interrupted"]
            break
        if _settled(result, regulariser, (old, new), n_iter, notes):
            break
        if momentum is not None:
            momentum.velocity[...] = 0.0
        if _spent(plan, result, n_iter, n_fun):
            break
    # the weights and loss are those of the last chunk, at its penalty
    regulariser.kernel.set_alpha(trained_alpha)
    if momentum is not None and momentum.learning_rate < start_rate:
        notes.append(halving_note(start_rate, momentum.learning_rate))
    return SolverResult(
        theta, result.loss, curve, n_iter, result.stopped_by, result.message, notes
    )


def _settled(result, regulariser, penalties, n_iter, notes):
    """Whether the evidence loop ends after an update from ``penalties =
    (old, new)``: the penalties settled, the leave-one-out rule, or the most
    updates. The last two count as converged where only the chunk's own
    budget ended its run (``result.stopped_by`` is set to ``"tol"``)."""
    if _converged(*penalties, result):
        return True
    if regulariser.stalled or len(regulariser.history) >= _AUTO_MAX_UPDATES:
        if not regulariser.stalled:
            notes.append(_updates_note(len(regulariser.history), n_iter))
        if result.reached_max_iter:  # the chunk's budget, not max_iter
            result.stopped_by = "tol"
        return True
    return False


def _spent(plan, result, n_iter, n_fun):
    """Whether the plan's ``max_iter`` or ``max_fun`` is spent (and
    ``result`` says which)."""
    if n_iter >= plan.max_iter:
        result.stopped_by = "max_iter"
        return True
    if n_fun >= plan.max_fun:
        result.stopped_by = "max_fun"
        result.message = STOP_MESSAGES["max_fun"].format(max_fun=plan.max_fun)
        return True
    return False


def _updates_note(n_updates, n_iter):
    return (
        f"alpha='auto' ended after {n_updates} evidence updates ({n_iter} "
        "iterations) before the penalties settled; the weights reached are kept."
    )


def train_once(plan, kernel, objective, theta, callback, momentum):
    """One run from ``theta``: returns ``(SolverResult, regulariser or None)``.

    ``momentum`` is gradient descent's :class:`~._training.MomentumState`
    (updated in place), or None for the other solvers. With ``alpha="auto"``
    the run ends on the evidence's mode of the lowest leave-one-out error
    (its weights and penalties), and stops once that error has stopped
    improving (:attr:`~._bayes.EvidenceRegulariser.stalled`).
    """
    if not plan.penalty.auto:
        result = _solve(
            plan, objective, theta, callback, plan.max_iter, momentum=momentum
        )
        return result, None
    regulariser = EvidenceRegulariser(kernel, plan.layout.n_outputs, kernel.alpha)
    if plan.solver == "lm":  # trainbr: an update after each accepted step

        def stopping(iteration, theta, loss):  # the leave-one-out stopping rule
            return callback(iteration, theta, loss) or regulariser.stalled

        result = _solve(
            plan, objective, theta, stopping, plan.max_iter, regulariser.after_step
        )
        if result.stopped_by == "callback" and regulariser.stalled:
            result.stopped_by = "tol"
            result.message = STOP_MESSAGES["tol"].format(detail=_STALLED)
    else:
        result = _chunks_with_evidence(
            plan, objective, theta, callback, regulariser, momentum
        )
    return _at_best_mode(result, regulariser, objective), regulariser


_STALLED = "the leave-one-out error of the evidence's modes stopped improving"


def _at_best_mode(result, regulariser, objective):
    """End on the mode of the lowest leave-one-out error (its weights and
    penalties), unless the run was interrupted or diverged. Where that mode
    is the last iterate, the run keeps the penalties of its last update, so
    that ``loss_`` is the last entry of the loss curve."""
    best = regulariser.best
    if result.stopped_by in ("interrupted", "diverged") or best is None:
        return result
    if not np.array_equal(best.theta, result.theta):
        result.theta = regulariser.restore_best()
        result.loss = float(objective.loss(result.theta))
    return result
