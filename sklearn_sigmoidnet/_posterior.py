"""The Gaussian posterior at the fitted weights: one object.

:func:`posterior_at` computes it at the end of a fit; the estimator stores it
whole (as ``_posterior``) and reads ``noise_variance_``,
``n_effective_parameters_``, ``log_evidence_`` and the predictive standard
deviation of ``predict(return_std=True)`` from it. Everything is on the
network's scale; the target mapping converts to y's units
(:attr:`~._data.TargetMapping.target_units`).
"""

from dataclasses import dataclass

import numpy as np

from ._bayes import EvidenceRegulariser, LinAlgError

__all__ = ["Posterior", "posterior_at"]


@dataclass
class Posterior:
    """The posterior at the fitted weights, on the network's scale.

    Attributes
    ----------
    noise_variance : float
        ``1 / b``: from the residuals and the effective number of parameters.
    n_effective : float
        The effective number of parameters ``gamma`` plus the unpenalised
        biases; NaN where the Gauss-Newton matrix was not computed.
    log_evidence : float
        NaN where the Gauss-Newton matrix was not computed.
    covariance : ndarray of shape (P, P), RowSpaceCurvature, KroneckerCurvature or None
        ``A^-1`` (full), or the row-space or structured curvature, behind the
        predictive variance; None where not computed.
    missing : str
        Why ``covariance`` is None (for ``return_std``'s message); empty when
        it is there.
    """

    noise_variance: float
    n_effective: float
    log_evidence: float
    covariance: object = None
    missing: str = ""

    def noise_variance_in(self, mapping):
        """The noise variance per output in y's units squared (inf where y's
        units overflow)."""
        with np.errstate(over="ignore"):
            return self.noise_variance * mapping.target_units**2

    def predictive_std(self, kernel, theta, mapping):
        """``sqrt(sigma^2 + g^T A^-1 g)`` per row and output, in y's units."""
        if self.covariance is None:
            raise ValueError(
                "return_std=True needs the Gauss-Newton matrix of the fit (the "
                f"posterior covariance), which was not computed: {self.missing}"
            )
        variance = kernel.output_variances(theta, self.covariance)
        return np.sqrt(variance + self.noise_variance) * mapping.target_units


def _residual_noise(kernel, theta, loss, n_outputs):
    """Noise variance from the residuals alone, counting every parameter as
    effective: where the Gauss-Newton matrix is not computed."""
    S, P = kernel.data.weight_sum, kernel.layout.n_parameters
    with np.errstate(over="ignore", invalid="ignore"):
        penalties = kernel.layout.penalties(kernel.alpha)
        penalised = penalties > 0
        penalty = float(penalties[penalised] @ theta[penalised] ** 2)
        sse = max(2 * S * loss - penalty, 0.0)
    return sse / max(S * n_outputs - P, 1.0)


def _from_matrix(kernel, theta, n_outputs):
    """The posterior from the Gauss-Newton matrix at ``theta``, under the
    kernel's penalty ``alpha = a / b``; None where the matrix is not finite.

    ``gamma`` does not depend on ``b`` at a fixed ratio ``a / b``; ``b`` is
    then the residual estimate ``(N - n_effective) / sse``. The full matrix,
    the row-space form or the Kronecker-factored curvature, as the cost model
    says (:func:`~._curvature.curvature_form`).
    """
    regulariser = EvidenceRegulariser(kernel, n_outputs, kernel.alpha)
    measured = regulariser.measure(theta)
    alpha = kernel.alpha
    try:
        regulariser.precisions = (alpha, 1.0)
        first = regulariser.evaluate_measured(theta, measured)
        b = first.next_noise_precision
        regulariser.precisions = (alpha * b, b)
        at_b = regulariser.evaluate_measured(theta, measured)
    except LinAlgError:
        return None
    return Posterior(1.0 / b, first.n_effective, at_b.log_evidence, at_b.covariance)


def posterior_at(kernel, theta, loss, *, n_outputs, with_matrix, why_not=""):
    """The :class:`Posterior` at ``theta`` (loss ``loss``) under the kernel's
    penalty, and whether an interrupt cut its computation short.

    With ``with_matrix`` the Gauss-Newton matrix is formed (noise variance,
    effective parameters, evidence, covariance); otherwise, or where that
    matrix is not finite or a ``KeyboardInterrupt`` stops it, only the
    residual noise variance is kept and ``missing`` says why (``why_not``).
    """
    interrupted = False
    if with_matrix:
        try:
            found = _from_matrix(kernel, theta, n_outputs)
        except KeyboardInterrupt:  # keep the training; skip the posterior
            found, interrupted = None, True
            why_not = "the fit was interrupted while computing it."
        if found is not None:
            return found, False
        why_not = (
            why_not or "the Gauss-Newton matrix at the fitted weights is not finite."
        )
    noise = _residual_noise(kernel, theta, loss, n_outputs)
    return Posterior(noise, np.nan, np.nan, None, why_not), interrupted
