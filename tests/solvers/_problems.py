"""Problems with known answers for the solver tests, independent of the network.

Each problem is a sum of squares ``L = 0.5 ||r(x)||^2`` (so that every solver,
Levenberg-Marquardt included, can run on it), with its known minimiser.
``objective(problem, factor=..., loss_scale=...)`` multiplies the loss by
``factor`` (and the gradient, ``J^T J`` and ``J^T r`` with it).
"""

import re

import numpy as np

from sklearn_sigmoidnet.solvers import STOP_MESSAGES, Objective


class Problem:
    """``residuals(x) -> r`` and ``jacobian(x) -> J``, with the minimiser."""

    def __init__(self, residuals, jacobian, n_parameters, minimiser, start):
        self.residuals, self.jacobian = residuals, jacobian
        self.n_parameters = n_parameters
        self.minimiser, self.start = np.asarray(minimiser), np.asarray(start)

    def loss(self, x):
        r = self.residuals(x)
        return 0.5 * float(r @ r)

    def gradient(self, x):
        return self.jacobian(x).T @ self.residuals(x)


def quadratic(n=5, seed=0, condition=10.0):
    """``0.5 (x - c)^T A (x - c)``, A = L L^T symmetric positive definite with
    the given condition number: r = L^T (x - c)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.geomspace(1.0, condition, n)) @ Q.T
    L = np.linalg.cholesky(A)
    c = rng.normal(size=n)
    problem = Problem(
        lambda x: L.T @ (x - c), lambda x: L.T, n, minimiser=c, start=np.zeros(n)
    )
    problem.A = A
    return problem


def rosenbrock():
    """``(1 - x)^2 + 100 (y - x^2)^2`` from (-1.2, 1); minimiser (1, 1)."""
    root2, root200 = np.sqrt(2.0), np.sqrt(200.0)
    return Problem(
        lambda v: np.array([root2 * (1 - v[0]), root200 * (v[1] - v[0] ** 2)]),
        lambda v: np.array([[-root2, 0.0], [-2 * root200 * v[0], root200]]),
        2,
        minimiser=[1.0, 1.0],
        start=[-1.2, 1.0],
    )


def linear_least_squares(m=30, n=4, seed=0):
    """``0.5 ||A x - b||^2``, an inconsistent system: minimiser lstsq(A, b)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    b = rng.normal(size=m)
    problem = Problem(
        lambda x: A @ x - b,
        lambda x: A,
        n,
        minimiser=np.linalg.lstsq(A, b, rcond=None)[0],
        start=np.zeros(n),
    )
    problem.A, problem.b = A, b
    return problem


class Counter:
    """Counts the objective's evaluations (any of its three functions) and
    raises KeyboardInterrupt at evaluation number ``interrupt_at`` (1-based)."""

    def __init__(self, interrupt_at=None):
        self.interrupt_at = interrupt_at
        self.n_calls = 0

    def __call__(self):
        self.n_calls += 1
        if self.interrupt_at is not None and self.n_calls >= self.interrupt_at:
            raise KeyboardInterrupt


def objective(problem, *, factor=1.0, loss_scale=1.0, counter=None, region=None):
    """An Objective for ``factor * problem.loss``.

    ``region(x) -> value or None``: where it gives a value (inf or NaN), the
    loss (and gradient, and normal equations) is that value instead.
    """
    counter = counter if counter is not None else Counter()

    def special(x):
        return None if region is None else region(x)

    def loss_gradient(x, gradient):
        counter()
        value = special(x)
        if value is not None:
            gradient[...] = value
            return value
        gradient[...] = factor * problem.gradient(x)
        return factor * problem.loss(x)

    def loss(x):
        counter()
        value = special(x)
        return value if value is not None else factor * problem.loss(x)

    def normal_equations(x, JtJ, Jtr):
        counter()
        value = special(x)
        if value is not None:
            JtJ[...], Jtr[...] = value, value
            return value
        J = problem.jacobian(x)
        JtJ[...] = factor * (J.T @ J)
        Jtr[...] = factor * (J.T @ problem.residuals(x))
        return factor * problem.loss(x)

    result = Objective(
        loss_gradient,
        n_parameters=problem.n_parameters,
        loss=loss,
        normal_equations=normal_equations,
        loss_scale=loss_scale,
    )
    result.counter = counter
    return result


class Recorder:
    """A callback that keeps copies of what it saw; stops at ``stop_at``."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.iterations, self.thetas, self.losses = [], [], []

    def __call__(self, iteration, theta, loss):
        self.iterations.append(iteration)
        self.thetas.append(np.array(theta, copy=True))
        self.losses.append(loss)
        return self.stop_at is not None and iteration >= self.stop_at


def assert_message(result, **budgets):
    """``result.message`` is ``STOP_MESSAGES[result.stopped_by]``, its
    ``{detail}`` filled with the solver's words and the budgets with theirs."""
    template = STOP_MESSAGES[result.stopped_by]
    parts = template.split("{detail}")
    pattern = "(.*)".join(re.escape(part.format(**budgets)) for part in parts)
    match = re.fullmatch(pattern, result.message, flags=re.DOTALL)
    assert match is not None, (result.message, template)
    for detail in match.groups():
        assert detail.strip(), "an empty {detail}"
