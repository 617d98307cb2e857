"""Solvers that see only an objective: L-BFGS, gradient descent, Levenberg-Marquardt.

They share one contract (:mod:`._base`): ``solver(objective, theta, *,
max_iter, tol, callback=None, **options) -> SolverResult``, with ``tol`` in
units of ``objective.loss_scale``. None of them knows about the network; the
estimator hands them an :class:`Objective` built on the network kernel.
"""

from ._base import STOP_MESSAGES, Objective, SolverResult
from ._gradient_descent import gradient_descent
from ._lbfgs import lbfgs
from ._levenberg_marquardt import DAMPINGS, damping_diagonal, levenberg_marquardt

__all__ = [
    "DAMPINGS",
    "Objective",
    "STOP_MESSAGES",
    "SolverResult",
    "damping_diagonal",
    "gradient_descent",
    "lbfgs",
    "levenberg_marquardt",
]
