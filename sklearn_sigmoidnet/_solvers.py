"""Solvers. Each takes an objective ``theta -> (loss, gradient)`` on a flat float64
vector and returns a :class:`SolverResult`; none knows about the network.

Every solver calls ``callback(iteration, theta, loss)`` after each completed
iteration, when given; a true return value stops it (``stopped_by="callback"``).
The estimator uses it for progress lines and early stopping.

The objective the estimator hands over is the loss of eq. (1) divided by the
loss of the best constant prediction, so that ``tol`` is a fraction of the
target's variance (see the estimator's ``tol``).
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

__all__ = ["SolverResult", "lbfgs", "gradient_descent", "levenberg_marquardt"]


@dataclass
class SolverResult:
    """What every solver returns.

    Attributes
    ----------
    theta : ndarray
        The final parameters (always finite).
    loss : float
        Objective at ``theta``.
    loss_curve : list of float
        Objective after each iteration (one entry per iteration).
    n_iter : int
        Iterations done.
    stopped_by : {"tol", "max_iter", "max_fun", "line_search", "diverged", \
            "interrupted", "callback"}
        Why the solver stopped.
    message : str
        A human-readable reason.
    """

    theta: np.ndarray
    loss: float
    loss_curve: list = field(default_factory=list)
    n_iter: int = 0
    stopped_by: str = "tol"
    message: str = ""

    @property
    def reached_max_iter(self):
        return self.stopped_by in ("max_iter", "max_fun")


class _FiniteGuard:
    """Wrap an objective so that a non-finite loss or gradient is reported to
    the solver as a very large loss (so a line search backs off) and is never
    accepted as a result."""

    def __init__(self, objective):
        self.objective = objective
        self.n_calls = 0
        self.best_theta = None
        self.best_loss = np.inf
        self.first_loss = None

    def __call__(self, theta):
        self.n_calls += 1
        loss, gradient = self.objective(theta)
        if self.first_loss is None:
            self.first_loss = loss
        if not (np.isfinite(loss) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros_like(gradient)
        if loss <= self.best_loss:
            self.best_loss = loss
            self.best_theta = theta.copy()
        return loss, gradient


def lbfgs(objective, theta, *, max_iter, max_fun, tol, callback=None):
    """Minimise with SciPy's L-BFGS-B (``jac=True``), no bounds.

    ``tol`` is passed as both ``ftol`` (the relative decrease of the objective
    in one iteration, ``(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)``) and ``gtol``
    (the largest gradient entry). The objective is normalised to be of order
    one at the start, so both tests are meaningful; ``tol=0`` runs to
    ``max_iter``.
    """
    guard = _FiniteGuard(objective)
    loss_curve = []
    theta = np.array(theta, dtype=np.float64)
    last = {"theta": theta.copy(), "loss": np.inf, "stopped": False}

    def scipy_callback(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        last["theta"][...] = intermediate_result.x
        last["loss"] = loss_curve[-1]
        if callback is not None and callback(
            len(loss_curve), last["theta"], last["loss"]
        ):
            last["stopped"] = True
            raise StopIteration  # SciPy ends the run and keeps this iterate

    try:
        result = minimize(
            guard,
            theta,
            method="L-BFGS-B",
            jac=True,
            callback=scipy_callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "ftol": tol, "gtol": tol},
        )
    except KeyboardInterrupt:
        if not loss_curve:  # no iteration completed: the initial weights
            if guard.first_loss is None or not np.isfinite(guard.first_loss):
                raise  # not even the initial loss: nothing to keep
            last["loss"] = guard.first_loss
        return SolverResult(
            last["theta"],
            last["loss"],
            loss_curve,
            len(loss_curve),
            "interrupted",
            "Training interrupted by the user (KeyboardInterrupt).",
        )
    if last["stopped"]:
        return SolverResult(
            last["theta"],
            last["loss"],
            loss_curve,
            len(loss_curve),
            "callback",
            "Stopped by the callback.",
        )
    theta, loss = result.x, float(result.fun)
    if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
        theta, loss = guard.best_theta, guard.best_loss
    message = str(result.message)
    if result.status == 1:
        stopped_by = "max_fun" if guard.n_calls >= max_fun else "max_iter"
    elif result.status == 0:
        stopped_by = "tol"
    else:
        stopped_by = "line_search"
    return SolverResult(theta, loss, loss_curve, int(result.nit), stopped_by, message)


def gradient_descent(
    objective,
    theta,
    *,
    learning_rate,
    momentum,
    max_iter,
    tol,
    n_iter_no_change,
    callback=None,
    velocity=None,
):
    """Full-batch gradient descent with heavy-ball momentum.

    ``v <- momentum * v - learning_rate * gradient``, ``theta <- theta + v``.
    Stops when the best objective so far has improved by less than ``tol``
    over the last ``n_iter_no_change`` iterations (so ``tol=0`` never stops
    early, however momentum makes single steps oscillate), or after
    ``max_iter`` iterations. A step that makes the objective or the gradient
    non-finite is undone and ends the run with ``stopped_by="diverged"``.
    ``velocity``, when given, is the starting velocity and is updated in
    place (``partial_fit`` carries it from batch to batch).
    """
    theta = np.array(theta, dtype=np.float64)
    if velocity is None:
        velocity = np.zeros_like(theta)
    loss_curve = []
    loss, gradient = objective(theta)
    best_losses = [loss]  # the best loss before the first step and after each
    stopped_by, message = "max_iter", "Maximum number of iterations reached."
    n_iter = 0
    try:
        # Steps may overflow; a non-finite candidate is caught below.
        with np.errstate(over="ignore", invalid="ignore"):
            for iteration in range(1, max_iter + 1):
                velocity *= momentum
                velocity -= learning_rate * gradient
                candidate = theta + velocity
                new_loss, new_gradient = objective(candidate)
                if not (
                    np.isfinite(new_loss)
                    and np.all(np.isfinite(new_gradient))
                    and np.all(np.isfinite(candidate))
                ):
                    stopped_by = "diverged"
                    message = (
                        f"Gradient descent diverged at iteration {iteration}: the "
                        "loss became non-finite. The last finite weights are kept; "
                        f"lower learning_rate (now {learning_rate}) or momentum "
                        f"(now {momentum})."
                    )
                    break
                theta, loss, gradient = candidate, float(new_loss), new_gradient
                n_iter = iteration
                loss_curve.append(loss)
                if callback is not None and callback(iteration, theta, loss):
                    stopped_by, message = "callback", "Stopped by the callback."
                    break
                best_losses.append(min(best_losses[-1], loss))
                window = best_losses[-1 - n_iter_no_change :]
                if len(window) > n_iter_no_change and window[0] - window[-1] < tol:
                    stopped_by = "tol"
                    message = (
                        f"The best loss improved by less than tol={tol} over the "
                        f"last {n_iter_no_change} iterations."
                    )
                    break
    except KeyboardInterrupt:
        stopped_by = "interrupted"
        message = "Training interrupted by the user (KeyboardInterrupt)."
    return SolverResult(theta, float(loss), loss_curve, n_iter, stopped_by, message)


def _damping(diagonal, kind):
    """The diagonal D of the damping term mu D."""
    if kind == "identity":
        return np.ones_like(diagonal)
    floor = max(float(diagonal.max()), 1.0) * 1e-12  # dead weights still damp
    if kind == "marquardt":
        return np.maximum(diagonal, floor)
    if kind == "hybrid":
        return diagonal + max(float(diagonal.mean()), floor)
    raise ValueError(f"unknown damping {kind!r}")


def levenberg_marquardt(
    normal_equations,
    loss,
    theta,
    *,
    max_iter,
    tol,
    reference_loss=1.0,
    damping="identity",
    mu_ceiling=1e16,
    callback=None,
):
    """Levenberg-Marquardt on a sum of squares ``L = 0.5 ||r(theta)||^2``.

    ``normal_equations(theta, JtJ, Jtr)`` fills ``J^T J`` (upper triangle) and
    ``J^T r`` and returns ``L``; ``loss(theta)`` returns ``L`` alone. Each
    iteration solves ``(J^T J + mu D) delta = -J^T r`` by Cholesky (LAPACK
    ``potrf``/``potrs`` from SciPy, in one reused buffer) and accepts the step
    when it lowers ``L``; ``mu`` follows Nielsen's rule (shrink after a good
    step by the gain ratio, double-and-growing after a rejected one).

    Stops after ``max_iter`` accepted steps; when an accepted step lowers
    ``L / reference_loss`` by less than ``tol`` relative to ``max(., 1)``
    (SciPy's ``ftol`` test, the same as ``lbfgs``); or when ``mu`` passes
    ``mu_ceiling`` times its scale (no step lowers the loss any more).
    """
    from scipy.linalg.lapack import get_lapack_funcs

    theta = np.array(theta, dtype=np.float64)
    n_parameters = theta.size
    JtJ = np.zeros((n_parameters, n_parameters), order="F")
    system = np.zeros((n_parameters, n_parameters), order="F")
    Jtr = np.zeros(n_parameters)
    potrf, potrs = get_lapack_funcs(("potrf", "potrs"), (system,))
    current = normal_equations(theta, JtJ, Jtr)
    loss_curve = []
    diagonal_index = np.diag_indices(n_parameters)

    def damping_and_scale():
        """D, and J^T J's scale in units of D (1 where J^T J vanishes)."""
        diagonal = JtJ[diagonal_index].copy()
        D = _damping(diagonal, damping)
        return D, float(diagonal.max() / D.max()) or 1.0

    # Nielsen's start: mu = 1e-3 of J^T J's scale, in units of D.
    mu, nu = 1e-3 * damping_and_scale()[1], 2.0
    stopped_by, message = "max_iter", "Maximum number of iterations reached."
    n_iter = 0
    try:
        while n_iter < max_iter:
            D, scale = damping_and_scale()
            accepted = False
            while mu <= mu_ceiling * scale:
                system[...] = JtJ
                system[diagonal_index] += mu * D
                factor, info = potrf(system, lower=0, clean=0, overwrite_a=1)
                if info != 0:  # not positive definite at this mu
                    mu, nu = mu * nu, nu * 2
                    continue
                step, info = potrs(factor, -Jtr, lower=0)
                candidate = theta + step
                with np.errstate(over="ignore", invalid="ignore"):
                    new = loss(candidate)
                predicted = 0.5 * float(step @ (mu * D * step - Jtr))
                if np.isfinite(new) and new < current and predicted > 0:
                    gain = (current - new) / predicted
                    mu *= max(1 / 3, 1 - (2 * gain - 1) ** 3)
                    nu = 2.0
                    accepted = True
                    break
                mu, nu = mu * nu, nu * 2
            if not accepted:
                stopped_by = "tol"
                message = (
                    "No step lowers the loss any more (the damping reached its "
                    "ceiling): converged."
                )
                break
            decrease = (current - new) / reference_loss
            relative = decrease / max(current / reference_loss, new / reference_loss, 1)
            current = normal_equations(candidate, JtJ, Jtr)
            theta = candidate
            n_iter += 1
            loss_curve.append(float(current))
            if callback is not None and callback(n_iter, theta, current):
                stopped_by, message = "callback", "Stopped by the callback."
                break
            if relative <= tol:
                stopped_by = "tol"
                message = f"The loss decreased by less than tol={tol} in one step."
                break
    except KeyboardInterrupt:
        stopped_by = "interrupted"
        message = "Training interrupted by the user (KeyboardInterrupt)."
        # current is the loss at theta, the last accepted point
    return SolverResult(theta, float(current), loss_curve, n_iter, stopped_by, message)
