"""Bayesian regularisation: MacKay's evidence framework on the Gauss-Newton Hessian.

With weights as repeated rows (``S = sum w``, ``N = S n_outputs`` observations)
and on the network's scale, the data misfit is ``E_D = 0.5 sum_i w_i sum_j
(Yhat_ij - Y_ij)^2``. The parameters fall into groups ``g`` with a Gaussian
prior of precision ``a_g`` each (``alpha="auto"``: the input weights, the
hidden biases and the output weights; a float alpha: one group of every
non-bias weight) and the rest under a flat prior (the output biases). With
Gaussian noise of precision ``b``, the posterior mode minimises ``b E_D +
sum_g a_g E_W,g`` with ``E_W,g = 0.5 ||theta_g||^2``: the estimator's loss
with penalties ``alpha_g = a_g / b``. At that mode, with ``H`` the
Gauss-Newton Hessian of ``E_D`` and ``A = b H + diag(a)`` (``a`` each
parameter's precision, 0 under the flat prior):

- ``gamma_g = W_g - a_g tr_g(A^-1)``: the effective number of the ``W_g``
  weights of group ``g``; ``gamma = sum_g gamma_g``, and each parameter under
  the flat prior adds one to ``n_effective = gamma + n_flat``;
- the updates ``a_g = gamma_g / (2 E_W,g)`` and ``b = (N - n_effective) /
  (2 E_D)``;
- the log evidence ``ln p(D | a, b) = -b E_D - sum_g a_g E_W,g - 0.5 ln det A
  + sum_g (W_g/2) ln a_g + (N/2) ln(b / 2 pi) + (n_flat/2) ln 2 pi + ln(K!)
  + K ln 2``: the flat prior is taken with unit density on the network's
  scale, and the last two terms count the ``K! 2^K`` equivalent networks
  (hidden units permuted or flipped). Values for different ``n_hidden`` on
  the same data and target mapping are comparable.

The guards keep every update finite: ``n_effective`` at most ``N - 1`` (so
``b`` stays positive), every ``a_g`` and ``b`` between 1e-12 and 1e12, and
the Hessian's Cholesky factorisation with a tiny jitter when ``A`` is
singular.

``tr_g(A^-1)``, ``ln det A`` and the leverages come from the full matrix
(:func:`evidence`) or, beyond the cost model's limit, from the exact
row-space form (:func:`row_space_evidence`, far more weights than rows) or
the Kronecker-factored curvature (:func:`structured_evidence`); the cost
model's :attr:`~._plan.GaussNewtonBudget.form` chooses, see
:mod:`._curvature`.
"""

from dataclasses import dataclass
from math import lgamma, log, pi

import numpy as np
from scipy.linalg import LinAlgError, cho_solve

from ._curvature import KroneckerCurvature, cholesky, curvature_form
from ._row_space import RowSpaceCurvature

__all__ = [
    "BestMode",
    "Evidence",
    "evidence",
    "EvidenceRegulariser",
    "LinAlgError",
    "leave_one_out_error",
    "Measurement",
    "row_space_evidence",
    "structured_evidence",
]

_PRECISION_BOUNDS = (1e-12, 1e12)
# The leave-one-out check: an update lowers the best error when it is lower by
# more than this fraction, and the loop stops (``stalled``) after this many
# updates without one.
LOO_RTOL = 1e-3
LOO_PATIENCE = 10
# leverages are clipped below 1 (a row the fit interpolates exactly)
_MAX_LEVERAGE = 1.0 - 1e-9


@dataclass
class Evidence:
    """The evidence quantities at a posterior mode, and the updated precisions.

    Attributes
    ----------
    weight_precision : ndarray of shape (n_groups,)
        The weight precisions ``a_g`` the quantities were computed at.
    noise_precision : float
        The noise precision ``b`` they were computed at.
    gamma : float
        Effective number of penalised weights.
    group_gamma : ndarray of shape (n_groups,)
        The same per group.
    n_effective : float
        ``gamma`` plus the number of unpenalised parameters (biases).
    log_evidence : float
    covariance : ndarray of shape (P, P), RowSpaceCurvature or KroneckerCurvature
        ``A^-1``, the posterior covariance of the parameters (full), or the
        row-space or structured curvature it is read from.
    next_weight_precision : ndarray of shape (n_groups,)
    next_noise_precision : float
        MacKay's updates.
    """

    weight_precision: np.ndarray
    noise_precision: float
    gamma: float
    group_gamma: np.ndarray
    n_effective: float
    log_evidence: float
    covariance: np.ndarray
    next_weight_precision: np.ndarray
    next_noise_precision: float


@dataclass
class BestMode:
    """The mode of the lowest leave-one-out error among the evidence updates.

    Attributes
    ----------
    theta : ndarray of shape (P,)
    alpha : float or ndarray of shape (n_groups,)
        The kernel's penalties ``theta`` was trained at.
    evidence : Evidence
        At ``theta`` and those penalties.
    loo_error : float
        Its leave-one-out error (mean squared, network scale).
    """

    theta: np.ndarray
    alpha: np.ndarray
    evidence: "Evidence"
    loo_error: float


def leave_one_out_error(kernel, theta, result):
    """Linearised leave-one-out error of the mode ``theta``: the weighted mean
    of ``(r_ij / (1 - h_ij))^2`` over the observations (network scale).

    ``r_ij = Yhat_ij - Y_ij`` is the residual and ``h_ij = b w_i g_ij^T A^-1
    g_ij`` the leverage of observation ``ij`` in the penalised least squares
    linearised at ``theta`` (``g_ij`` the gradient of ``Yhat_ij``, ``A`` the
    posterior precision of ``result``): the exact leave-one-out residual of
    that linear model (Allen's PRESS). The leverages sum to ``n_effective``.
    A row the fit bends to (a leverage near 1) gets a large error; NaN where
    the outputs are not finite. Under the Kronecker-factored curvature the
    factor is ``1 + u_ij`` instead of ``1 / (1 - h_ij)``, ``u_ij = b w_i
    g_ij^T C g_ij`` (see :meth:`~._gauss_newton.KroneckerProducts.leave_one_out`);
    under the full matrix and the row-space form (both exact) it is ``1 / (1 -
    h_ij)``, with ``g^T A^-1 g`` from ``kernel.output_variances``.
    """
    if isinstance(result.covariance, KroneckerCurvature):
        return kernel.curvature_leave_one_out(
            theta, result.covariance, result.noise_precision
        )
    if hasattr(kernel, "leave_one_out_error"):  # a kernel of chunks (dask)
        return kernel.leave_one_out_error(
            theta, result.covariance, result.noise_precision, _MAX_LEVERAGE
        )
    data = kernel.data
    Yhat = np.asarray(kernel.predict(theta), dtype=np.float64)
    Y = 0.5 * (np.asarray(data.Y_tanh, dtype=np.float64) + 1.0)
    variances = kernel.output_variances(theta, result.covariance)
    if data.scaled_weight is None:
        weights = np.ones((len(Y), 1))
    else:
        weights = np.asarray(data.scaled_weight, dtype=np.float64) * data.weight_sum
    leverage = np.clip(result.noise_precision * weights * variances, 0.0, _MAX_LEVERAGE)
    with np.errstate(over="ignore", invalid="ignore"):
        loo = ((Yhat - Y) / (1.0 - leverage)) ** 2
        error = float(np.sum(weights * loo)) / (data.weight_sum * Y.shape[1])
    return error if np.isfinite(error) else np.nan


def evidence(hessian, sse, theta, groups, n_observations, precisions, n_hidden=0):
    """MacKay's evidence quantities and updates at a posterior mode.

    Parameters
    ----------
    hessian : ndarray of shape (P, P)
        Gauss-Newton Hessian ``J^T J`` of ``E_D = 0.5 sse``.
    sse : float
        Sum of squared residuals, ``2 E_D``.
    theta : ndarray of shape (P,)
    groups : ndarray of int, shape (P,)
        The prior group of each parameter (``0 .. G-1``), ``-1`` for a flat
        prior.
    n_observations : float
        ``N``.
    precisions : tuple
        ``(a, b)``: the weight precisions (a float, or one per group) and the
        noise precision.
    n_hidden : int, default=0
        ``K``, for the symmetry term of the log evidence.

    Returns
    -------
    Evidence

    Examples
    --------
    A linear model ``y = 2 x`` with noise: ``b`` estimates the noise precision.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 1))
    >>> y = 2 * x[:, 0] + rng.normal(scale=0.5, size=200)
    >>> w = np.linalg.lstsq(x, y)[0]
    >>> result = evidence(x.T @ x, float(((x @ w - y) ** 2).sum()), w,
    ...                   np.zeros(1, dtype=int), 200, (1.0, 1.0))
    >>> round(1 / result.next_noise_precision, 2)
    0.26
    """
    groups, a, b, prior = _priors(groups, precisions)
    A = b * hessian + np.diag(prior)
    factor = cholesky(A)
    covariance = cho_solve(factor, np.eye(len(theta)))
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor[0]))))
    return _quantities(
        (np.diag(covariance), log_det, covariance),
        sse,
        theta,
        groups,
        n_observations,
        (a, b),
        n_hidden,
    )


def _priors(groups, precisions):
    """``groups``, the precisions ``a`` (one per group) and ``b``, and each
    parameter's prior precision (0 under the flat prior)."""
    groups = np.asarray(groups)
    n_groups = int(groups.max()) + 1
    a = np.broadcast_to(np.asarray(precisions[0], dtype=np.float64), n_groups)
    b = float(precisions[1])
    prior = np.where(groups >= 0, a[groups], 0.0)
    return groups, a, b, prior


def structured_evidence(
    factors, theta, groups, n_observations, precisions, layout, n_hidden=0
):
    """:func:`evidence` from the Kronecker-factored curvature.

    ``factors`` are :meth:`~._kernel.NetworkKernel.curvature_factors` at
    ``theta`` (their ``sse`` is ``2 E_D``); ``covariance`` of the result is
    the :class:`~._curvature.KroneckerCurvature`.
    """
    return _curvature_evidence(
        lambda prior, b: KroneckerCurvature(factors, layout, prior, b),
        factors[3],
        theta,
        groups,
        n_observations,
        precisions,
        n_hidden,
    )


def row_space_evidence(
    jacobian, sse, theta, groups, n_observations, precisions, n_hidden=0
):
    """:func:`evidence` from the row-space form of ``A``: exact, for far more
    weights than observations.

    ``jacobian`` is the ``(n m, P)`` ``J`` of
    :meth:`~._kernel.NetworkKernel.row_space_jacobian` at ``theta`` (``J^T J``
    the Gauss-Newton Hessian of ``E_D = 0.5 sse``); ``covariance`` of the
    result is the :class:`~._row_space.RowSpaceCurvature`.

    Examples
    --------
    The linear model of :func:`evidence` with 8 weights on 5 rows: the same
    evidence as from the full matrix.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(5, 8))
    >>> y = x[:, 0] + rng.normal(scale=0.1, size=5)
    >>> w = np.linalg.solve(x.T @ x + 0.1 * np.eye(8), x.T @ y)
    >>> args = (float(((x @ w - y) ** 2).sum()), w, np.zeros(8, dtype=int), 5)
    >>> row_space = row_space_evidence(x, *args, (1.0, 10.0))
    >>> full = evidence(x.T @ x, *args, (1.0, 10.0))
    >>> bool(np.isclose(row_space.gamma, full.gamma))
    True
    >>> bool(np.isclose(row_space.log_evidence, full.log_evidence))
    True
    """
    return _curvature_evidence(
        lambda prior, b: RowSpaceCurvature(jacobian, prior, b),
        sse,
        theta,
        groups,
        n_observations,
        precisions,
        n_hidden,
    )


def _curvature_evidence(
    make_curvature, sse, theta, groups, n_observations, precisions, n_hidden
):
    """The :class:`Evidence` from a curvature object with ``diagonal`` and
    ``log_det`` (the row-space or the Kronecker-factored form), which
    ``make_curvature(prior, b)`` builds from each parameter's prior precision
    and the noise precision."""
    groups, a, b, prior = _priors(groups, precisions)
    curvature = make_curvature(prior, b)
    return _quantities(
        (curvature.diagonal, curvature.log_det, curvature),
        sse,
        theta,
        groups,
        n_observations,
        (a, b),
        n_hidden,
    )


def _quantities(inverse, sse, theta, groups, n_observations, precisions, n_hidden):
    """The :class:`Evidence` from ``inverse = (diag(A^-1), ln det A,
    covariance)``; ``a`` has one precision per group."""
    diagonal, log_det, covariance = inverse
    a, b = precisions
    n_groups = len(a)
    penalised = groups >= 0
    prior = np.where(penalised, a[groups], 0.0)  # each parameter's precision
    n_parameters = len(theta)
    sizes = np.bincount(groups[penalised], minlength=n_groups).astype(float)
    shrunk = np.bincount(  # a_g tr_g(A^-1), per group
        groups[penalised],
        weights=prior[penalised] * diagonal[penalised],
        minlength=n_groups,
    )
    group_gamma = np.clip(sizes - shrunk, 0.0, sizes)
    gamma = float(group_gamma.sum())
    n_flat = n_parameters - float(sizes.sum())
    n_effective = max(min(gamma + n_flat, n_observations - 1.0), 0.0)
    squared = np.bincount(  # 2 E_W per group
        groups[penalised], weights=theta[penalised] ** 2, minlength=n_groups
    )
    low, high = _PRECISION_BOUNDS
    next_a = np.clip(group_gamma / np.maximum(squared, 1e-300), low, high)
    next_b = min(max((n_observations - n_effective) / max(sse, 1e-300), low), high)
    log_evidence = np.nan  # a flat prior on the weights too (a = 0): improper
    if np.all(a > 0) and b > 0:
        log_evidence = (
            -0.5 * b * sse
            - 0.5 * float(a @ squared)
            - 0.5 * log_det
            + 0.5 * float(sizes @ np.log(a))
            + 0.5 * n_observations * log(b / (2 * pi))
            + 0.5 * n_flat * log(2 * pi)
            + lgamma(n_hidden + 1)
            + n_hidden * log(2)
        )
    return Evidence(
        a.copy(),
        b,
        gamma,
        group_gamma,
        n_effective,
        log_evidence,
        covariance,
        next_a,
        next_b,
    )


@dataclass(frozen=True)
class Measurement:
    """One pass over the data at ``theta``: what the evidence of the form
    ``form`` needs (:meth:`EvidenceRegulariser.measure`).

    ``values`` is ``(JtJ, loss)`` of the kernel's normal equations for
    ``"full"``, ``(J, sse)`` of its row-space Jacobian for ``"row_space"``,
    and its Kronecker factors ``(Q, R, H2, sse)`` for ``"kronecker"``.
    """

    form: str
    values: tuple


class EvidenceRegulariser:
    """Re-estimates the penalties of a kernel from the evidence (``alpha="auto"``).

    Each group of ``ParameterLayout.penalty_groups`` (the input weights, the
    hidden biases, the output weights) has a prior precision ``a_g`` of its
    own and the output biases a flat prior, so the kernel's penalties are
    ``alpha_g = a_g / b``. The kernel's loss ``L = (E_D + sum_g alpha_g
    E_W,g) / S`` and its normal equations give ``H = S J^T J - diag(penalty)``
    and ``sse = 2 S L - sum_i penalty_i theta_i^2``. ``update(theta)`` sets
    the kernel's penalties to MacKay's update and records the history.

    Parameters
    ----------
    kernel : NetworkKernel
    n_outputs : int
    initial_alpha : float or ndarray of shape (3,)
        The penalties to start from: one per group, or a float for one prior
        on every non-bias weight (the model of a float ``alpha``, whose
        posterior the estimator computes too).
    patience : int, default=LOO_PATIENCE
        Updates without a lower leave-one-out error after which ``stalled``
        turns true (the evidence loop's stopping rule).

    Every update also checks the mode it was computed at against held-out
    rows: the linearised leave-one-out error (:func:`leave_one_out_error`),
    kept in ``loo_history``. ``best`` is the mode of the lowest one (its
    weights, penalties and :class:`Evidence`); the training loop ends on it.
    """

    def __init__(self, kernel, n_outputs, initial_alpha, patience=LOO_PATIENCE):
        self.kernel = kernel
        self.S = kernel.data.weight_sum
        self.n_observations = self.S * n_outputs
        layout = kernel.layout
        self.grouped = np.ndim(initial_alpha) > 0
        if self.grouped:
            self.groups = layout.penalty_groups()
        else:
            self.groups = np.where(layout.penalty_mask() > 0, 0, -1)
        self.n_hidden = layout.n_hidden
        self.precisions = None
        self.last = None
        self.history = []
        # the leave-one-out check of each mode (see ``check``)
        self.patience = patience
        self.loo_history = []
        self.best = None  # BestMode of the lowest leave-one-out error
        self.stalled = False
        self._since_best = 0
        # "full", "row_space" or "kronecker", as the cost model says (see
        # _curvature)
        self.form = curvature_form(kernel)
        self._JtJ = self._Jtr = self._jacobian = None
        kernel.set_alpha(initial_alpha)

    @property
    def full(self):
        """Whether the evidence uses the full matrix (:attr:`form`)."""
        return self.form == "full"

    def _penalties(self):
        return self.kernel.layout.penalties(self.kernel.alpha)

    def measure(self, theta):
        """The pass over the data at ``theta`` that the evidence of
        :attr:`form` needs, as a :class:`Measurement` (its arrays are reused
        by the next call)."""
        kernel, P = self.kernel, self.kernel.layout.n_parameters
        if self.form == "kronecker":
            return Measurement("kronecker", kernel.curvature_factors(theta))
        if self.form == "row_space":
            if self._jacobian is None:
                rows = kernel.data.n_samples * kernel.layout.n_outputs
                self._jacobian = np.empty((rows, P))
            sse = kernel.row_space_jacobian(theta, self._jacobian)
            return Measurement("row_space", (self._jacobian, sse))
        if self._JtJ is None:
            self._JtJ, self._Jtr = np.empty((P, P)), np.empty(P)
        loss = kernel.normal_equations(theta, self._JtJ, self._Jtr)
        return Measurement("full", (self._JtJ, loss))

    def _start(self, sse):
        if self.precisions is None:  # b from the residuals, a = alpha b
            b = (self.n_observations - 1.0) / max(sse, 1e-300)
            b = min(max(b, _PRECISION_BOUNDS[0]), _PRECISION_BOUNDS[1])
            self.precisions = (np.atleast_1d(self.kernel.alpha) * b, b)

    def evaluate_measured(self, theta, measured):
        """The :class:`Evidence` at ``theta`` from :meth:`measure`'s
        :class:`Measurement`, in its form."""
        if measured.form == "full":
            return self.evaluate(theta, *measured.values)
        sse = measured.values[-1]
        self._start(sse)
        at = (theta, self.groups, self.n_observations, self.precisions)
        if measured.form == "row_space":
            return row_space_evidence(measured.values[0], sse, *at, self.n_hidden)
        layout = self.kernel.layout
        return structured_evidence(measured.values, *at, layout, self.n_hidden)

    def evaluate(self, theta, JtJ, loss):
        """The :class:`Evidence` at ``theta`` from the kernel's normal equations."""
        penalties = self._penalties()
        hessian = self.S * JtJ - np.diag(penalties)
        sse = max(2 * self.S * loss - float(penalties @ theta**2), 0.0)
        self._start(sse)
        return evidence(
            hessian,
            sse,
            theta,
            self.groups,
            self.n_observations,
            self.precisions,
            self.n_hidden,
        )

    def update(self, theta, JtJ=None, loss=None):
        """One evidence update at ``theta``; returns the new penalties
        ``a / b`` (the kernel's ``alpha``).

        ``JtJ`` and ``loss`` are the kernel's normal equations at ``theta``
        (Levenberg-Marquardt's); when not given, :meth:`measure` makes the
        pass of the form the cost model chose (:attr:`form`).
        """
        if JtJ is None:
            measured = self.measure(theta)
        else:
            measured = Measurement("full", (JtJ, loss))
        try:
            result = self.evaluate_measured(np.asarray(theta), measured)
        except LinAlgError:  # a non-finite Hessian (saturated units): keep alpha
            return self.kernel.alpha
        self.last = result
        # (alpha, gamma) of each update; the covariance only of the last
        self.history.append(
            (result.weight_precision / result.noise_precision, result.gamma)
        )
        self.check(np.asarray(theta), result)
        self.precisions = (result.next_weight_precision, result.next_noise_precision)
        alpha = self.precisions[0] / self.precisions[1]
        self.kernel.set_alpha(alpha if self.grouped else float(alpha[0]))
        return self.kernel.alpha

    def check(self, theta, result):
        """The leave-one-out check of the mode ``theta`` (trained at the
        kernel's current penalties, whose :class:`Evidence` is ``result``):
        record its error, keep it in ``best`` if it is the lowest so far by
        more than ``LOO_RTOL``, and count the updates since the best."""
        error = leave_one_out_error(self.kernel, theta, result)
        self.loo_history.append(error)
        if not np.isfinite(error):
            error = np.inf
        if self.best is None or error < self.best.loo_error * (1.0 - LOO_RTOL):
            alpha = np.array(self.kernel.alpha, dtype=np.float64, copy=True)
            self.best = BestMode(theta.copy(), alpha, result, error)
            self._since_best = 0
        else:
            self._since_best += 1
        self.stalled = self._since_best >= self.patience

    def restore_best(self):
        """Set the kernel's penalties to those of ``best`` and ``last`` to its
        :class:`Evidence`; return its weights (None before any check)."""
        if self.best is None:
            return None
        alpha = self.best.alpha
        self.kernel.set_alpha(alpha if self.grouped else float(alpha))
        self.last = self.best.evidence
        return self.best.theta

    def after_step(self, theta, JtJ, Jtr, loss):
        """Levenberg-Marquardt's hook: update after an accepted step, and move
        ``JtJ``, ``Jtr`` and the loss to the new penalties (in place)."""
        old = self._penalties()
        self.update(theta, JtJ, loss)
        change = (self._penalties() - old) / self.S
        JtJ[np.diag_indices_from(JtJ)] += change
        Jtr += change * theta
        return loss + 0.5 * float(change @ theta**2)
