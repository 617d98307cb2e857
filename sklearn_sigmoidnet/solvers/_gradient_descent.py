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
):
    """Gradient descent with momentum on the objective in its own units.

    ``v <- momentum * v - learning_rate * gradient``, ``theta <- theta + v``.
    Stops when the best loss so far has improved by less than
    ``tol * loss_scale`` over the last ``n_iter_no_change`` iterations (so
    ``tol=0`` never stops early, however momentum makes single steps
    oscillate), or after ``max_iter`` iterations. A step that makes the loss
    or the gradient non-finite is undone and ends the run
    (``stopped_by="diverged"``), with the velocity set to zero.

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
    best_losses = [loss]  # the best loss before the first step and after each
    try:
        # Steps may overflow; a non-finite candidate is caught below.
        with np.errstate(over="ignore", invalid="ignore"):
            for iteration in range(1, max_iter + 1):
                velocity *= momentum
                velocity -= learning_rate * gradient
                candidate = theta + velocity
                new_loss = objective.loss_gradient(candidate, gradient)
                if not _all_finite(new_loss, gradient, candidate):
                    velocity[...] = 0.0
                    detail = (
                        f"Gradient descent diverged at iteration {iteration}: the "
                        "loss became non-finite. The last finite weights are kept; "
                        f"lower learning_rate (now {learning_rate}) or momentum "
                        f"(now {momentum})."
                    )
                    return iterations.result(theta, loss, "diverged", detail)
                theta, loss = candidate, float(new_loss)
                if iterations.completed(theta, loss):
                    return iterations.result(theta, loss, "callback")
                best_losses.append(min(best_losses[-1], loss))
                window = best_losses[-1 - min(n_iter_no_change, iteration) :]
                if len(window) > n_iter_no_change and window[0] - window[-1] < tol:
                    detail = (
                        f"the best loss improved by less than tol over the last "
                        f"{n_iter_no_change} iterations"
                    )
                    return iterations.result(theta, loss, "tol", detail)
    except KeyboardInterrupt:
        return iterations.result(theta, loss, "interrupted")
    return iterations.result(theta, loss, "max_iter")
