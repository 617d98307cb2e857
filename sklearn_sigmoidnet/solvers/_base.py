"""The solvers' shared contract: the objective, the result and the stop reasons.

Every solver is called as ``solver(objective, theta, *, max_iter, tol,
callback=None, **its_own_options)`` and returns a :class:`SolverResult`.

- ``objective`` is an :class:`Objective`: the loss and its gradient at a flat
  float64 vector (and the Gauss-Newton normal equations, for the solvers that
  need them);
- ``tol`` is measured in units of ``objective.loss_scale`` (the estimator
  passes the loss of the best constant prediction, so that ``tol`` is a
  fraction of the target's variance); each solver's docstring says which
  quantity it compares with ``tol``;
- ``callback(iteration, theta, loss)`` is called after every completed
  iteration; a true return value stops the solver (``stopped_by="callback"``);
- a ``KeyboardInterrupt`` ends the run with the last completed iterate
  (``stopped_by="interrupted"``).
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Objective", "SolverResult", "STOP_MESSAGES", "Iterations"]

# Why a solver stopped -> the message of its SolverResult; {detail} is the
# solver's own words, {max_iter} and {max_fun} its budgets.
STOP_MESSAGES = {
    "tol": "Converged: {detail}.",
    "max_iter": "The maximum number of iterations (max_iter={max_iter}) was reached.",
    "max_fun": (
        "The maximum number of loss evaluations (max_fun={max_fun}) was reached."
    ),
    "line_search": "The line search could not lower the loss: {detail}.",
    "diverged": "{detail}",
    "interrupted": "Training interrupted by the user (KeyboardInterrupt).",
    "callback": "Stopped by the callback.",
}


class Objective:
    """A smooth function of a flat float64 parameter vector, as solvers see it.

    Parameters
    ----------
    loss_gradient : callable
        ``loss_gradient(theta, gradient) -> loss``: the loss at ``theta``,
        with its gradient written into the float64 array ``gradient``.
    n_parameters : int
        Length of ``theta``.
    loss : callable, default=None
        ``loss(theta) -> loss`` alone (cheaper, for trial steps); by default
        ``loss_gradient`` into a scratch buffer.
    normal_equations : callable, default=None
        ``normal_equations(theta, JtJ, Jtr) -> loss`` for a loss
        ``0.5 ||r(theta)||^2``: fills the upper triangle of the
        Fortran-ordered ``J^T J`` and ``J^T r``. Needed by Levenberg-Marquardt.
    loss_scale : float, default=1.0
        The unit of the solvers' ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> def loss_gradient(theta, gradient):
    ...     gradient[:] = theta - 1.0
    ...     return 0.5 * float((theta - 1.0) @ (theta - 1.0))
    >>> objective = Objective(loss_gradient, n_parameters=2)
    >>> objective.loss(np.zeros(2))
    1.0
    """

    def __init__(
        self,
        loss_gradient,
        *,
        n_parameters,
        loss=None,
        normal_equations=None,
        loss_scale=1.0,
    ):
        self.loss_gradient = loss_gradient
        self.n_parameters = int(n_parameters)
        self._loss = loss
        self.normal_equations = normal_equations
        self.loss_scale = float(loss_scale)

    def loss(self, theta):
        """The loss at ``theta``."""
        if self._loss is not None:
            return self._loss(theta)
        return self.loss_gradient(theta, np.empty(self.n_parameters))


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
        Why the solver stopped (the keys of ``STOP_MESSAGES``).
    message : str
        A human-readable reason.
    notes : list of str
        What the solver changed on its own account and the caller should
        pass on (gradient descent's backed-off learning rate); usually empty.
    state : dict
        What a caller passes back to continue the run where it ended:
        gradient descent's ``learning_rate`` after any halvings; empty for
        the other solvers.
    """

    theta: np.ndarray
    loss: float
    loss_curve: list = field(default_factory=list)
    n_iter: int = 0
    stopped_by: str = "tol"
    message: str = ""
    notes: list = field(default_factory=list)
    state: dict = field(default_factory=dict)

    @property
    def reached_max_iter(self):
        """Whether a budget (``max_iter`` or ``max_fun``) ended the run."""
        return self.stopped_by in ("max_iter", "max_fun")


class Iterations:
    """Bookkeeping shared by the solvers: the loss curve, the callback and the
    result with its message from ``STOP_MESSAGES``."""

    def __init__(self, callback, **budgets):
        self.callback = callback
        self.budgets = budgets
        self.loss_curve = []
        self.notes = []

    @property
    def n_iter(self):
        return len(self.loss_curve)

    def completed(self, theta, loss):
        """Record a completed iteration; True when the callback asks to stop."""
        self.loss_curve.append(float(loss))
        if self.callback is None:
            return False
        return bool(self.callback(self.n_iter, theta, float(loss)))

    def result(self, theta, loss, stopped_by, detail=""):
        message = STOP_MESSAGES[stopped_by].format(detail=detail, **self.budgets)
        return SolverResult(
            theta,
            float(loss),
            self.loss_curve,
            self.n_iter,
            stopped_by,
            message,
            self.notes,
        )
