"""L-BFGS, from SciPy (``scipy.optimize.minimize(method="L-BFGS-B")``)."""

import numpy as np
from scipy.optimize import minimize

from ._base import Iterations

__all__ = ["lbfgs"]


class _NormalisedFunction:
    """``theta -> (loss, gradient) / loss_scale`` for SciPy, counting calls and
    keeping the best finite point. A non-finite loss or gradient is reported
    as an infinite loss (so the line search backs off) and never kept."""

    def __init__(self, objective):
        self.objective = objective
        self.scale = objective.loss_scale
        self.gradient = np.empty(objective.n_parameters)
        self.n_calls = 0
        self.best_theta, self.best_loss, self.first_loss = None, np.inf, None

    def __call__(self, theta):
        self.n_calls += 1
        loss = self.objective.loss_gradient(theta, self.gradient)
        loss, gradient = loss / self.scale, self.gradient / self.scale
        if self.first_loss is None:
            self.first_loss = loss
        if not (np.isfinite(loss) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros_like(gradient)
        if loss <= self.best_loss:
            self.best_loss, self.best_theta = loss, theta.copy()
        return loss, gradient


def lbfgs(objective, theta, *, max_iter, tol, callback=None, max_fun=15000):
    """Minimise with SciPy's L-BFGS-B (no bounds) on the normalised objective.

    L-BFGS takes scale-free steps; SciPy sees ``loss / loss_scale``, so that
    its tests are fractions of ``loss_scale``: ``tol`` is both ``ftol`` (one
    iteration's relative decrease, ``(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)``)
    and ``gtol`` (the largest entry of the normalised gradient). ``tol=0``
    runs to ``max_iter``. ``max_fun`` bounds the loss evaluations.

    Parameters
    ----------
    objective : Objective
    theta : ndarray of shape (n_parameters,)
        The starting point.
    max_iter : int
    tol : float
    callback : callable, default=None
        ``callback(iteration, theta, loss)``; a true value stops the run.
    max_fun : int, default=15000

    Returns
    -------
    SolverResult
        Losses in the objective's own units; ``state["n_fun"]`` counts the
        loss evaluations (so that a caller running several chunks keeps one
        ``max_fun`` budget).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet.solvers import Objective, lbfgs
    >>> def loss_gradient(theta, gradient):
    ...     gradient[:] = theta - 3.0
    ...     return 0.5 * float((theta - 3.0) @ (theta - 3.0))
    >>> result = lbfgs(Objective(loss_gradient, n_parameters=2), np.zeros(2),
    ...                max_iter=50, tol=1e-10)
    >>> result.theta.round(6), result.stopped_by
    (array([3., 3.]), 'tol')
    """
    function = _NormalisedFunction(objective)
    result = _minimise(function, theta, max_iter, tol, callback, max_fun)
    result.state["n_fun"] = function.n_calls
    return result


def _minimise(function, theta, max_iter, tol, callback, max_fun):
    """:func:`lbfgs`'s run of SciPy on ``function``."""
    scale = function.scale
    iterations = Iterations(callback, max_iter=max_iter, max_fun=max_fun)
    last = {"theta": np.array(theta, dtype=np.float64), "loss": np.inf, "stop": False}

    def scipy_callback(intermediate_result):
        last["theta"][...] = intermediate_result.x
        last["loss"] = float(intermediate_result.fun) * scale
        if iterations.completed(last["theta"].copy(), last["loss"]):
            last["stop"] = True
            raise StopIteration  # SciPy ends the run and keeps this iterate

    try:
        result = minimize(
            function,
            last["theta"].copy(),
            method="L-BFGS-B",
            jac=True,
            callback=scipy_callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "ftol": tol, "gtol": tol},
        )
    except KeyboardInterrupt:
        if not iterations.n_iter:  # no iteration completed: the initial weights
            if function.first_loss is None or not np.isfinite(function.first_loss):
                raise  # not even the initial loss: nothing to keep
            last["loss"] = function.first_loss * scale
        return iterations.result(last["theta"], last["loss"], "interrupted")
    if last["stop"]:
        return iterations.result(last["theta"], last["loss"], "callback")
    theta, loss = result.x, float(result.fun)
    if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
        if function.best_theta is None:  # not one finite point, the start included
            detail = "the loss is not finite at the starting point"
            start = np.array(theta if np.all(np.isfinite(theta)) else last["theta"])
            return iterations.result(start, np.inf, "diverged", detail)
        theta, loss = function.best_theta, function.best_loss
    if result.status == 1:
        stopped_by = "max_fun" if function.n_calls >= max_fun else "max_iter"
    else:
        stopped_by = "tol" if result.status == 0 else "line_search"
    return iterations.result(theta, loss * scale, stopped_by, str(result.message))
