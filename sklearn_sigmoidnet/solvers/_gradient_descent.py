"""Full-batch gradient descent with heavy-ball momentum."""

import numpy as np

from ._base import Iterations

__all__ = ["gradient_descent"]


def _all_finite(loss, gradient, theta):
    return (
        np.isfinite(loss)
        and np.all(np.isfinite(gradient))
        and np.all(np.isfinite(theta))
    )


# A step that raises the loss above the run's starting loss (or makes it
# non-finite) is undone and the learning rate halved; after this many
# halvings in a row the run ends as diverged.
MAX_HALVINGS = 60


def _acceptable(loss, gradient, theta, ceiling):
    """Whether a step's result may be kept: finite, and not above the start."""
    return _all_finite(loss, gradient, theta) and loss <= ceiling


def gradient_descent(
    objective,
    theta,
    *,
    max_iter,
    tol,
    callback=None,
    learning_rate,
    momentum,
    n_iter_no_change,
    velocity=None,
    loss_ceiling=None,
):
    """Gradient descent with momentum on the objective in its own units.

    ``v <- momentum * v - learning_rate * gradient``, ``theta <- theta + v``.
    Stops when the best loss so far has improved by less than
    ``tol * loss_scale`` over the last ``n_iter_no_change`` iterations (so
    ``tol=0`` never stops early, however momentum makes single steps
    oscillate), or after ``max_iter`` iterations.

    A step that makes the loss or its gradient non-finite, or raises the loss
    above its value at the start of the run (or above ``loss_ceiling``, when
    that is higher), is undone: the velocity is set
    to zero, the learning rate halved for the rest of the run (said in
    ``notes``) and the step tried again. After ``MAX_HALVINGS`` halvings in a
    row the run ends with the last accepted weights
    (``stopped_by="diverged"``). So the loss never ends above where it began.

    Parameters
    ----------
    objective : Objective
    theta : ndarray of shape (n_parameters,)
    max_iter : int
    tol : float
    callback : callable, default=None
        ``callback(iteration, theta, loss)``; a true value stops the run.
    learning_rate : float
    momentum : float
        In [0, 1).
    n_iter_no_change : int or inf
        ``np.inf``: the rule never stops the run.
    velocity : ndarray of shape (n_parameters,), default=None
        The starting velocity, updated in place (so that a caller can carry
        it from call to call); zeros when None.
    loss_ceiling : float, default=None
        A caller that continues a run in several calls passes the first
        call's starting loss, so that the calls together undo the same steps
        as one run would.

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet.solvers import Objective, gradient_descent
    >>> def loss_gradient(theta, gradient):
    ...     gradient[:] = theta - 3.0
    ...     return 0.5 * float((theta - 3.0) @ (theta - 3.0))
    >>> result = gradient_descent(
    ...     Objective(loss_gradient, n_parameters=1), np.zeros(1), max_iter=500,
    ...     tol=0, learning_rate=0.1, momentum=0.5, n_iter_no_change=10)
    >>> result.theta.round(6), result.stopped_by
    (array([3.]), 'max_iter')
    """
    theta = np.array(theta, dtype=np.float64)
    velocity = np.zeros_like(theta) if velocity is None else velocity
    tol = tol * objective.loss_scale
    iterations = Iterations(callback, max_iter=max_iter)
    gradient = np.empty(objective.n_parameters)
    loss = objective.loss_gradient(theta, gradient)
    ceiling = loss if loss_ceiling is None else max(loss, loss_ceiling)
    best_losses = [loss]  # the best loss before the first step and after each
    step = _StepSize(learning_rate, iterations.notes)
    try:
        # Steps may overflow; a non-finite candidate is caught below.
        with np.errstate(over="ignore", invalid="ignore"):
            while iterations.n_iter < max_iter:
                velocity *= momentum
                velocity -= step.rate * gradient
                candidate = theta + velocity
                new_loss = objective.loss_gradient(candidate, gradient)
                if not _acceptable(new_loss, gradient, candidate, ceiling):
                    velocity[...] = 0.0
                    if not step.halve():
                        detail = _diverged(iterations.n_iter + 1, step.rate)
                        return step.result(iterations, theta, loss, "diverged", detail)
                    objective.loss_gradient(theta, gradient)  # back at theta
                    continue
                step.accepted()
                theta, loss = candidate, float(new_loss)
                if iterations.completed(theta, loss):
                    return step.result(iterations, theta, loss, "callback")
                best_losses.append(min(best_losses[-1], loss))
                n_iter = iterations.n_iter
                window = best_losses[-1 - min(n_iter_no_change, n_iter) :]
                if len(window) > n_iter_no_change and window[0] - window[-1] < tol:
                    detail = (
                        f"the best loss improved by less than tol over the last "
                        f"{n_iter_no_change} iterations"
                    )
                    return step.result(iterations, theta, loss, "tol", detail)
    except KeyboardInterrupt:
        return step.result(iterations, theta, loss, "interrupted")
    return step.result(iterations, theta, loss, "max_iter")


def _diverged(iteration, reached):
    return (
        f"Gradient descent diverged at iteration {iteration}: {MAX_HALVINGS} "
        "halvings of the learning rate still gave a non-finite loss or one "
        "above the starting loss. The last accepted weights are kept; lower "
        f"learning_rate (halved to {reached:.3g}) or momentum."
    )


class _StepSize:
    """The learning rate of a run: halved when a step is undone."""

    def __init__(self, learning_rate, notes):
        self.initial = self.rate = learning_rate
        self.in_a_row = 0
        self.notes = notes

    def halve(self):
        """Halve the rate; False once ``MAX_HALVINGS`` in a row are spent."""
        self.in_a_row += 1
        self.rate *= 0.5
        return self.in_a_row <= MAX_HALVINGS

    def accepted(self):
        self.in_a_row = 0

    def result(self, iterations, theta, loss, stopped_by, detail=""):
        """The run's result, with a note when the rate had to be lowered and
        the rate reached in its ``state``."""
        if self.rate < self.initial and stopped_by != "diverged":
            self.notes.append(halving_note(self.initial, self.rate))
        result = iterations.result(theta, loss, stopped_by, detail)
        result.state["learning_rate"] = self.rate
        return result


def halving_note(learning_rate, reached):
    """The note of a run whose ``learning_rate`` was halved to ``reached``."""
    return (
        f"learning_rate={learning_rate} raised the loss above its starting "
        "value (or made it non-finite), so gradient descent halved it to "
        f"{reached:.6g}; a learning_rate of at most that avoids the undone steps."
    )
