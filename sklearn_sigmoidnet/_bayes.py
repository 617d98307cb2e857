"""Bayesian regularisation: MacKay's evidence framework on the Gauss-Newton Hessian.

With weights as repeated rows (``S = sum w``, ``N = S n_outputs`` observations)
and on the network's scale, the data misfit and the weight size are
``E_D = 0.5 sum_i w_i sum_j (Yhat_ij - Y_ij)^2`` and ``E_W = 0.5 ||theta_w||^2``
(``theta_w``: the non-bias weights, the penalised ones). A Gaussian prior of
precision ``a`` on the weights (a flat prior on the biases) and Gaussian noise
of precision ``b`` make the posterior mode the minimum of ``b E_D + a E_W``,
which is the estimator's loss with ``alpha = a / b``. At that mode, with
``H`` the Gauss-Newton Hessian of ``E_D`` and ``A = b H + a D`` (``D`` the
diagonal mask of the penalised weights):

- ``gamma = W - a tr_w(A^-1)``: the effective number of penalised weights,
  ``W`` of them (the biases add one each to the effective number of
  parameters, ``n_effective = gamma + n_biases``);
- the updates ``a = gamma / (2 E_W)`` and ``b = (N - n_effective) / (2 E_D)``;
- the log evidence ``ln p(D | a, b) = -b E_D - a E_W - 0.5 ln det A
  + (W/2) ln a + (N/2) ln(b / 2 pi) + ((P - W)/2) ln 2 pi
  + ln(K!) + K ln 2``: the biases' flat prior is taken with unit density on
  the network's scale, and the last two terms count the ``K! 2^K``
  equivalent networks (hidden units permuted or flipped). Values for
  different ``n_hidden`` on the same data and target mapping are comparable.

The guards keep every update finite: ``n_effective`` at most ``N - 1`` (so
``b`` stays positive), ``a`` and ``b`` between 1e-12 and 1e12, and the
Hessian's Cholesky factorisation with a tiny jitter when ``A`` is singular.
"""

from dataclasses import dataclass
from math import lgamma, log, pi

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

__all__ = ["Evidence", "evidence", "EvidenceRegulariser", "LinAlgError"]

_PRECISION_BOUNDS = (1e-12, 1e12)


@dataclass
class Evidence:
    """The evidence quantities at a posterior mode, and the updated precisions.

    Attributes
    ----------
    weight_precision, noise_precision : float
        The precisions ``a`` and ``b`` the quantities were computed at.
    gamma : float
        Effective number of penalised weights.
    n_effective : float
        ``gamma`` plus the number of unpenalised parameters (biases).
    log_evidence : float
    covariance : ndarray of shape (P, P)
        ``A^-1``, the posterior covariance of the parameters.
    next_weight_precision, next_noise_precision : float
        MacKay's updates.
    """

    weight_precision: float
    noise_precision: float
    gamma: float
    n_effective: float
    log_evidence: float
    covariance: np.ndarray
    next_weight_precision: float
    next_noise_precision: float


def _cholesky(A):
    """Cholesky factor of ``A``, with a growing jitter when it is singular."""
    if not np.all(np.isfinite(A)):
        raise LinAlgError("the Gauss-Newton Hessian is not finite")
    jitter = 0.0
    scale = max(float(np.max(np.diag(A))), 1e-300)
    for _ in range(12):
        try:
            return cho_factor(A + jitter * np.eye(len(A)), lower=True)
        except LinAlgError:
            jitter = scale * (1e-12 if jitter == 0.0 else jitter / scale * 100)
    raise LinAlgError("the Gauss-Newton Hessian is not positive definite")


def evidence(hessian, sse, theta, mask, n_observations, precisions, n_hidden=0):
    """MacKay's evidence quantities and updates at a posterior mode.

    Parameters
    ----------
    hessian : ndarray of shape (P, P)
        Gauss-Newton Hessian ``J^T J`` of ``E_D = 0.5 sse``.
    sse : float
        Sum of squared residuals, ``2 E_D``.
    theta : ndarray of shape (P,)
    mask : ndarray of shape (P,)
        1 for the penalised weights, 0 for the biases.
    n_observations : float
        ``N``.
    precisions : tuple of two floats
        ``(a, b)``, the weight and noise precisions.
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
    ...                   np.ones(1), 200, (1.0, 1.0))
    >>> round(1 / result.next_noise_precision, 2)
    0.26
    """
    a, b = (float(p) for p in precisions)
    mask = np.asarray(mask, dtype=np.float64)
    n_parameters, n_weights = len(theta), float(mask.sum())
    A = b * hessian + np.diag(a * mask)
    factor = _cholesky(A)
    covariance = cho_solve(factor, np.eye(n_parameters))
    gamma = n_weights - a * float(mask @ np.diag(covariance))
    gamma = min(max(gamma, 0.0), n_weights)
    n_effective = min(gamma + (n_parameters - n_weights), n_observations - 1.0)
    n_effective = max(n_effective, 0.0)
    weights_squared = float(np.sum((theta * mask) ** 2))
    low, high = _PRECISION_BOUNDS
    next_a = min(max(gamma / max(weights_squared, 1e-300), low), high)
    next_b = min(max((n_observations - n_effective) / max(sse, 1e-300), low), high)
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor[0]))))
    log_evidence = np.nan  # a flat prior on the weights too (a = 0): improper
    if a > 0 and b > 0:
        log_evidence = (
            -0.5 * b * sse
            - 0.5 * a * weights_squared
            - 0.5 * log_det
            + 0.5 * n_weights * log(a)
            + 0.5 * n_observations * log(b / (2 * pi))
            + 0.5 * (n_parameters - n_weights) * log(2 * pi)
            + lgamma(n_hidden + 1)
            + n_hidden * log(2)
        )
    return Evidence(a, b, gamma, n_effective, log_evidence, covariance, next_a, next_b)


class EvidenceRegulariser:
    """Re-estimates the penalty of a kernel from the evidence (``alpha="auto"``).

    Works on the kernel's loss ``L = (E_D + alpha E_W) / S``: its normal
    equations give ``H = S J^T J - alpha D`` and ``sse = 2 S L - 2 alpha E_W``.
    ``update(theta)`` sets the kernel's ``alpha`` to ``a / b`` of MacKay's
    update and records the history.

    Parameters
    ----------
    kernel : NetworkKernel
    n_outputs : int
    initial_alpha : float
        The penalty ``a / b`` to start from.
    """

    def __init__(self, kernel, n_outputs, initial_alpha):
        self.kernel = kernel
        self.S = kernel.data.weight_sum
        self.n_observations = self.S * n_outputs
        self.mask = kernel.layout.penalty_mask()
        self.n_hidden = kernel.layout.n_hidden
        self.precisions = None
        self.last = None
        self.history = []
        P = kernel.layout.n_parameters
        self._JtJ, self._Jtr = np.empty((P, P)), np.empty(P)
        kernel.set_alpha(initial_alpha)

    def evaluate(self, theta, JtJ, loss):
        """The :class:`Evidence` at ``theta`` from the kernel's normal equations."""
        alpha = self.kernel.alpha
        hessian = self.S * JtJ - alpha * np.diag(self.mask)
        weights_squared = float(np.sum((theta * self.mask) ** 2))
        sse = max(2 * self.S * loss - alpha * weights_squared, 0.0)
        if self.precisions is None:  # b from the residuals, a = alpha b
            b = (self.n_observations - 1.0) / max(sse, 1e-300)
            b = min(max(b, _PRECISION_BOUNDS[0]), _PRECISION_BOUNDS[1])
            self.precisions = (alpha * b, b)
        return evidence(
            hessian,
            sse,
            theta,
            self.mask,
            self.n_observations,
            self.precisions,
            self.n_hidden,
        )

    def update(self, theta, JtJ=None, loss=None):
        """One evidence update at ``theta``; returns the new penalty ``a / b``.

        ``JtJ`` and ``loss`` are the kernel's normal equations at ``theta``
        (computed here when not given).
        """
        if JtJ is None:
            loss = self.kernel.normal_equations(theta, self._JtJ, self._Jtr)
            JtJ = self._JtJ
        try:
            result = self.evaluate(np.asarray(theta), JtJ, loss)
        except LinAlgError:  # a non-finite Hessian (saturated units): keep alpha
            return self.kernel.alpha
        self.last = result
        # (alpha, gamma) of each update; the covariance only of the last
        self.history.append(
            (result.weight_precision / result.noise_precision, result.gamma)
        )
        self.precisions = (result.next_weight_precision, result.next_noise_precision)
        self.kernel.set_alpha(self.precisions[0] / self.precisions[1])
        return self.kernel.alpha

    def after_step(self, theta, JtJ, Jtr, loss):
        """Levenberg-Marquardt's hook: update after an accepted step, and move
        ``JtJ``, ``Jtr`` and the loss to the new penalty (in place)."""
        old = self.kernel.alpha
        new = self.update(theta, JtJ, loss)
        change = (new - old) / self.S
        JtJ[np.diag_indices_from(JtJ)] += change * self.mask
        Jtr += change * self.mask * theta
        return loss + 0.5 * change * float(np.sum((theta * self.mask) ** 2))
