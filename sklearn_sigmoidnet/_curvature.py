"""The curvature room: the posterior precision ``A = b H + diag(a)``, full or not.

The evidence (:mod:`._bayes`) and the posterior (:mod:`._posterior`) need four
things of ``A``: the per-group traces ``tr_g(A^-1)`` (for ``gamma``), ``ln det
A`` (the log evidence) and ``g^T A^-1 g`` for the gradients ``g`` of the
outputs of rows (the leverages of the leave-one-out check, and the predictive
variance). They come from one of three forms, chosen by the one cost model
(:attr:`~._plan.GaussNewtonBudget.form`, :func:`curvature_form`):

- **full**: the ``P x P`` Gauss-Newton matrix, its Cholesky factor and
  ``A^-1`` (:func:`cholesky` here, the rest in :func:`~._bayes.evidence`),
  where ``(n_rows + 2 P) P^2`` is at most ``GaussNewtonBudget.ONCE_WORK``;
- **row-space** (:class:`~._row_space.RowSpaceCurvature`), exact, beyond
  that while ``2 (n m)^2 P + (n m)^3`` is at most ``ONCE_WORK`` (far more
  weights than rows);
- **Kronecker-factored** (:class:`KroneckerCurvature`) beyond that: ``A``
  block-diagonal over the layers, the input layer's block KFAC (Martens and
  Grosse 2015; Daxberger et al. 2021, "Laplace Redux"), ``H_11 ~ Q (x) R``
  with ``Q = sum_i w_i x_i x_i^T / S`` and ``R = sum_ij w_i G_ij G_ij^T``,
  and the output layer's blocks exact (one ``(K + 1) x (K + 1)`` block per
  output). Forming it is one pass over the data of about ``n (n_in^2 + m
  K^2)`` multiply-adds (:class:`~._gauss_newton.KroneckerProducts`) and
  memory of one row block; the decompositions cost ``n_in^3 + K^3 + m
  K^3``.

The structured form's accuracy against the full one is measured in
``tests/test_curvature.py`` and stated in ``docs/user_guide/bayesian.md``.
"""

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, eigh, solve_triangular

from ._plan import GaussNewtonBudget

__all__ = ["KroneckerCurvature", "cholesky", "curvature_form"]


def cholesky(A):
    """Cholesky factor of ``A`` (``cho_factor``'s pair), with a growing jitter
    when it is singular."""
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


def curvature_form(kernel):
    """The form of the posterior precision of ``kernel``: ``"full"``,
    ``"row_space"`` or ``"kronecker"``, as :attr:`GaussNewtonBudget.form`
    says for its rows and layout.

    A kernel without the method the form needs (``row_space_jacobian``,
    ``curvature_factors``: dask chunks have neither) uses the full matrix
    wherever it fits in memory (up to ``GaussNewtonBudget.MAX_PARAMETERS``
    weights), and raises beyond.
    """
    layout = kernel.layout
    budget = GaussNewtonBudget(
        kernel.data.n_samples,
        layout.n_parameters,
        layout.n_features,
        layout.n_hidden,
        layout.n_outputs,
    )
    form = budget.form
    needs = {"row_space": "row_space_jacobian", "kronecker": "curvature_factors"}
    if form == "full" or hasattr(kernel, needs[form]):
        return form
    if budget.fits_in_memory:
        return "full"
    P = budget.n_parameters
    raise ValueError(
        f"alpha='auto' and return_std on this kernel form the full {P} x {P} "
        "Gauss-Newton matrix, more than the limit of "
        f"{budget.MAX_PARAMETERS} weights. Use fewer hidden units, in-memory "
        "data, or a float alpha."
    )


def _floored(prior, scale):
    """The prior precisions, floored at ``1e-8 scale`` (a flat prior, or a
    vanishing one, would leave the whitening below undefined)."""
    return np.maximum(prior, 1e-8 * max(scale, 1e-300))


class KroneckerCurvature:
    """The structured posterior precision ``A`` and what the evidence needs of it.

    ``A ~ blockdiag(A_1, A_2,1 .. A_2,m)`` with ``A_1 = b Q (x) R + D_1 (x)
    I_K`` (``D_1`` the prior precision of each row of ``W1``: the input
    weights' and the hidden biases') and ``A_2,j = b H2_j + D_2`` (``D_2``
    of each row of ``W2``, 0 for the output bias). With the eigendecompositions
    ``D_1^-1/2 Q D_1^-1/2 = U diag(lambda) U^T`` and ``R = V diag(mu) V^T``
    and ``E = D_1^-1/2 U``, ``A_1^-1 = (E (x) V) diag(c) (E (x) V)^T`` with
    ``c_pq = 1 / (b lambda_p mu_q + 1)``, ``ln det A_1 = sum_pq ln(1 + b
    lambda_p mu_q) + K sum_k ln D_1,k``.

    Parameters
    ----------
    factors : tuple
        ``(Q, R, H2, sse)`` of :meth:`~._gauss_newton.KroneckerProducts.factors`.
    layout : ParameterLayout
    prior : ndarray of shape (P,)
        Each parameter's prior precision (0 under the flat prior).
    noise_precision : float
        ``b``.

    Attributes
    ----------
    input_basis : ndarray of shape (n_in, n_in)
        ``E``.
    hidden_basis : ndarray of shape (K, K)
        ``V``.
    scales : ndarray of shape (n_in, K)
        ``c``.
    output_inverse_factors : ndarray of shape (m, K + 1, K + 1)
        ``L_j^-1`` with ``A_2,j = L_j L_j^T``.
    diagonal : ndarray of shape (P,)
        The diagonal of ``A^-1``, laid out like ``theta``.
    log_det : float
        ``ln det A``.
    """

    def __init__(self, factors, layout, prior, noise_precision):
        Q, R, H2, _ = factors
        b = float(noise_precision)
        prior1, prior2 = layout.unpack(np.asarray(prior, dtype=np.float64))
        scale = (
            b
            * float(np.max(np.diag(Q), initial=0.0))
            * float(np.max(np.diag(R), initial=0.0))
        )
        d1 = _floored(prior1[:, 0], max(scale, float(prior1.max(initial=0.0))))
        whiten = 1.0 / np.sqrt(d1)
        lam, U = eigh(whiten[:, None] * Q * whiten[None, :])
        mu, V = eigh(R)
        lam, mu = np.maximum(lam, 0.0), np.maximum(mu, 0.0)
        if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(mu))):
            raise LinAlgError("the Gauss-Newton factors are not finite")
        product = b * lam[:, None] * mu[None, :]
        self.input_basis = whiten[:, None] * U
        self.hidden_basis = V
        self.scales = 1.0 / (product + 1.0)
        diagonal1 = self.input_basis**2 @ self.scales @ (V**2).T
        log_det = float(np.sum(np.log1p(product))) + layout.n_hidden * float(
            np.sum(np.log(d1))
        )
        diagonal2, self.output_inverse_factors = [], []
        for H2_j in H2:
            lower = cholesky(b * H2_j + np.diag(prior2[:, 0]))[0]
            lower = np.tril(lower)
            log_det += 2.0 * float(np.sum(np.log(np.diag(lower))))
            inverse = solve_triangular(lower, np.eye(len(lower)), lower=True)
            self.output_inverse_factors.append(inverse)
            diagonal2.append(np.sum(inverse**2, axis=0))
        self.output_inverse_factors = np.array(self.output_inverse_factors)
        self.diagonal = np.concatenate(
            [diagonal1.ravel(), np.column_stack(diagonal2).ravel()]
        )
        self.log_det = log_det

    def covariance(self):
        """The structured ``A^-1`` as a dense ``(P, P)`` matrix (for tests and
        small problems only)."""
        basis = np.kron(self.input_basis, self.hidden_basis)
        block1 = (basis * self.scales.ravel()) @ basis.T
        m = len(self.output_inverse_factors)
        n2 = self.output_inverse_factors.shape[1] * m
        block2 = np.zeros((n2, n2))
        for j, inverse in enumerate(self.output_inverse_factors):
            block2[j::m, j::m] = inverse.T @ inverse
        size1 = len(block1)
        covariance = np.zeros((size1 + n2, size1 + n2))
        covariance[:size1, :size1] = block1
        covariance[size1:, size1:] = block2
        return covariance
