"""Levenberg-Marquardt on a sum of squares, from its normal equations."""

import numpy as np
from scipy.linalg.lapack import get_lapack_funcs

from ._base import Iterations

__all__ = ["levenberg_marquardt", "DAMPINGS"]

DAMPINGS = ("identity", "marquardt", "hybrid")


def damping_diagonal(diagonal, kind):
    """The diagonal ``D`` of the damping term ``mu D`` from ``diag(J^T J)``.

    ``"identity"``: ``D = 1`` (Levenberg); ``"marquardt"``: ``D = diag(J^T J)``
    (scale-invariant; floored so that dead weights still damp);
    ``"hybrid"``: ``diag(J^T J)`` plus its mean.
    """
    if kind == "identity":
        return np.ones_like(diagonal)
    floor = max(float(diagonal.max()), 1.0) * 1e-12  # dead weights still damp
    if kind == "marquardt":
        return np.maximum(diagonal, floor)
    if kind == "hybrid":
        return diagonal + max(float(diagonal.mean()), floor)
    raise ValueError(f"damping must be one of {DAMPINGS}; got {kind!r}.")


class _DampedSystem:
    """``(J^T J + mu D) step = -J^T r``, solved by Cholesky in reused buffers."""

    def __init__(self, n_parameters, damping):
        self.JtJ = np.zeros((n_parameters, n_parameters), order="F")
        self.Jtr = np.zeros(n_parameters)
        self._system = np.zeros((n_parameters, n_parameters), order="F")
        self._potrf, self._potrs = get_lapack_funcs(("potrf", "potrs"), (self._system,))
        self._diagonal = np.diag_indices(n_parameters)
        self.damping = damping

    def damping_and_scale(self):
        """``D``, and ``J^T J``'s scale in units of D (1 where J^T J vanishes)."""
        diagonal = self.JtJ[self._diagonal].copy()
        D = damping_diagonal(diagonal, self.damping)
        return D, float(diagonal.max() / D.max()) or 1.0

    def solve(self, mu, D):
        """The step at damping ``mu``; None where the system is not positive
        definite."""
        system = self._system
        system[...] = self.JtJ
        system[self._diagonal] += mu * D
        factor, info = self._potrf(system, lower=0, clean=0, overwrite_a=1)
        if info != 0:
            return None
        step, _ = self._potrs(factor, -self.Jtr, lower=0)
        return step


def _damped_step(objective, system, theta, current, mu, nu, mu_ceiling):
    """Raise ``mu`` until a step lowers the loss (Nielsen's rule).

    Returns ``(candidate, new_loss, mu, nu)``, ``candidate`` None when ``mu``
    passed ``mu_ceiling`` times ``J^T J``'s scale without an accepted step.
    """
    D, scale = system.damping_and_scale()
    ceiling = mu_ceiling * scale
    while mu <= ceiling and np.isfinite(mu):  # an infinite ceiling: mu overflows
        step = system.solve(mu, D)
        if step is None:  # not positive definite at this mu
            mu, nu = mu * nu, nu * 2
            continue
        candidate = theta + step
        with np.errstate(over="ignore", invalid="ignore"):
            new = objective.loss(candidate)
            predicted = 0.5 * float(step @ (mu * D * step - system.Jtr))
        if np.isfinite(new) and new < current and predicted > 0:
            gain = (current - new) / predicted
            return candidate, new, mu * max(1 / 3, 1 - (2 * gain - 1) ** 3), 2.0
        mu, nu = mu * nu, nu * 2
    return None, current, mu, nu


def levenberg_marquardt(
    objective,
    theta,
    *,
    max_iter,
    tol,
    callback=None,
    damping="identity",
    mu_ceiling=1e16,
    after_step=None,
):
    """Levenberg-Marquardt on a sum of squares ``L = 0.5 ||r(theta)||^2``.

    Each iteration solves ``(J^T J + mu D) step = -J^T r`` by Cholesky
    (LAPACK ``potrf``/``potrs`` from SciPy) and accepts the step when it
    lowers ``L``; ``mu`` follows Nielsen's rule (shrink after a good step by
    the gain ratio, double-and-growing after a rejected one), starting at
    ``1e-3`` of ``J^T J``'s scale.

    Stops after ``max_iter`` accepted steps; when an accepted step lowers
    ``L / loss_scale`` by less than ``tol`` relative to ``max(., 1)`` (SciPy's
    ``ftol`` test, as in :func:`lbfgs`); or when ``mu`` passes ``mu_ceiling``
    times its scale (no step lowers the loss any more: converged).

    Parameters
    ----------
    objective : Objective
        With ``normal_equations``.
    theta : ndarray of shape (n_parameters,)
    max_iter : int
    tol : float
    callback : callable, default=None
        ``callback(iteration, theta, loss)``; a true value stops the run.
    damping : {"identity", "marquardt", "hybrid"}, default="identity"
        The diagonal ``D`` of the damping term (see :func:`damping_diagonal`).
        ``"identity"`` converged fastest on the networks of the project's
        benchmark (``docs/user_guide/solvers.md``).
    mu_ceiling : float, default=1e16
    after_step : callable, default=None
        ``after_step(theta, JtJ, Jtr, loss) -> loss``, called after every
        accepted step with the normal equations at the new point; it may
        change the objective (Bayesian regularisation re-weights the
        penalty there, trainbr-style), updating ``JtJ`` and ``Jtr`` in place
        and returning the new loss.

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sigmoidnet.solvers import Objective, levenberg_marquardt
    >>> A, b = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.ones(3)
    >>> def normal_equations(theta, JtJ, Jtr):
    ...     r = A @ theta - b
    ...     JtJ[...], Jtr[...] = A.T @ A, A.T @ r
    ...     return 0.5 * float(r @ r)
    >>> objective = Objective(
    ...     None, n_parameters=2, normal_equations=normal_equations,
    ...     loss=lambda theta: 0.5 * float((A @ theta - b) @ (A @ theta - b)))
    >>> result = levenberg_marquardt(objective, np.zeros(2), max_iter=20, tol=0)
    >>> np.allclose(result.theta, np.linalg.lstsq(A, b)[0])
    True
    """
    damping_diagonal(np.ones(1), damping)  # an unknown damping fails here
    theta = np.array(theta, dtype=np.float64)
    system = _DampedSystem(theta.size, damping)
    iterations = Iterations(callback, max_iter=max_iter)
    scale = objective.loss_scale
    current = objective.normal_equations(theta, system.JtJ, system.Jtr)
    if not (np.isfinite(current) and np.all(np.isfinite(np.diag(system.JtJ)))):
        detail = "the loss or its Jacobian is not finite at the starting point"
        return iterations.result(theta, current, "diverged", detail)
    mu, nu = 1e-3 * system.damping_and_scale()[1], 2.0
    try:
        while iterations.n_iter < max_iter:
            candidate, new, mu, nu = _damped_step(
                objective, system, theta, current, mu, nu, mu_ceiling
            )
            if candidate is None:
                detail = "no step lowers the loss any more (the damping reached its "
                return iterations.result(theta, current, "tol", detail + "ceiling)")
            decrease = (current - new) / scale
            relative = decrease / max(current / scale, new / scale, 1)
            current = objective.normal_equations(candidate, system.JtJ, system.Jtr)
            theta = candidate
            if after_step is not None:
                current = after_step(theta, system.JtJ, system.Jtr, current)
            if iterations.completed(theta, current):
                return iterations.result(theta, current, "callback")
            if relative <= tol:
                detail = "the loss decreased by less than tol in one step"
                return iterations.result(theta, current, "tol", detail)
    except KeyboardInterrupt:
        # current is the loss at theta, the last accepted point
        return iterations.result(theta, current, "interrupted")
    return iterations.result(theta, current, "max_iter")
