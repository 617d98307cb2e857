"""The row-space (Woodbury) form of the posterior precision, for ``n m << P``.

With ``J`` the ``(n m, P)`` Jacobian of the outputs, each row scaled by
``sqrt(w_i)`` (so that ``H = J^T J``), ``A = b J^T J + diag(a)`` has rank
``n m`` beyond its diagonal. Everything the evidence and the posterior need of
``A`` then follows from one ``(n m) x (n m)`` matrix: ``C = b^-1 I + J D^-1
J^T`` (``D = diag(a)``) and its Cholesky factor ``C = L L^T``:

- ``A^-1 = D^-1 - D^-1 J^T C^-1 J D^-1`` (Woodbury), so ``g^T A^-1 g =
  sum_k g_k^2 / d_k - ||V^T g||^2`` with ``V = D^-1 J^T L^-T``;
- ``ln det A = ln det D + n m ln b + ln det C`` (the determinant lemma).

It is exact, not an approximation: it agrees with the full matrix to rounding
(``tests/test_row_space.py``). Forming ``J`` costs a pass over the data;
``C`` and ``V`` cost about ``2 (n m)^2 P + (n m)^3`` multiply-adds and ``J``
and ``V`` take ``n m P`` doubles each (:class:`~._plan.GaussNewtonBudget`
chooses the form).

The parameters under the flat prior (``a_k = 0``: the output biases, and the
hidden biases with a float ``alpha``) have no ``D^-1``. While there are at
most as many as the rows of non-zero weight, they are treated exactly, by
the Schur complement of their block (:class:`RowSpaceCurvature`); beyond
that (a float ``alpha`` with more hidden units than observations) ``A`` is
singular in exact arithmetic, and they are floored at a tiny precision, as
the Kronecker-factored form floors them (:func:`~._curvature._floored`):
``ln det A`` (and so the log evidence) then has no value and is NaN.
"""

import numpy as np
from scipy.linalg import solve_triangular

from ._curvature import _floored, cholesky

__all__ = ["RowSpaceCurvature"]


class RowSpaceCurvature:
    """``A = b J^T J + diag(a)`` in its row space: diagonal, log determinant and
    quadratic forms of ``A^-1``, exact.

    The parameters split into the penalised ones (``p``, precision ``d_p =
    a``) and the flat block (``f``: the ``F`` parameters of zero precision,
    when ``F`` is at most the rows of non-zero weight; else none, and the
    flat ones join ``p`` at the floor ``1e-8 b max_k ||J_k||^2``). With
    ``M = b^-1 I + J_p D_p^-1 J_p^T = L L^T``, ``V = D_p^-1 J_p^T L^-T``,
    ``W = L^-1 J_f`` and the Schur complement of the flat block, ``S = J_f^T
    M^-1 J_f = W^T W = R R^T``:

    - ``g^T A^-1 g = sum_p g_p^2 / d_p - ||V^T g_p||^2 + ||R^-1 (W^T V^T g_p
      - g_f)||^2``;
    - ``ln det A = sum_p ln d_p + n m ln b + ln det M + ln det S``.

    The Schur complement keeps the flat block exact and stable: flooring it
    at ``1e-8`` instead puts eigenvalues ``1e8`` times the data's into ``M``
    and costs about 8 of the 16 digits wherever a gradient touches an output
    bias (every output's): measured, ``g^T A^-1 g`` 2e-8 from the full
    matrix's where the Schur block gives 2e-14. The first two terms of ``g^T
    A^-1 g`` cancel where the data determine ``g`` (at training rows): their
    difference, clipped at 0, carries a relative error of about ``1e-16``
    times the ratio of ``sum_p g_p^2 / d_p`` to the result (measured against
    the full matrix: 1e-13 at random modes, ratio 40; 1e-9 at trained modes
    with penalties down to 1e-5, ratio 1e6; 1e-7 for 500 hidden units on 20
    rows, ratio 5e7). The flat block adds ``(n m)^2 F + P n m F``.

    Parameters
    ----------
    jacobian : ndarray of shape (n m, P)
        ``J``: ``sqrt(w_i) dYhat_ij / dtheta``, rows ordered (sample, output)
        (:meth:`~._kernel.NetworkKernel.row_space_jacobian`); not modified.
    prior : ndarray of shape (P,)
        Each parameter's prior precision ``a`` (0 under the flat prior).
    noise_precision : float
        ``b``.

    Attributes
    ----------
    ==========================  ==============  ===============================
    attribute                   shape           holds
    ==========================  ==============  ===============================
    ``inverse_prior``           (P,)            ``1 / d_p``; 0 on the flat block
    ``factor``                  (P, n m)        ``V``; rows of the flat block 0
    ``flat``                    (F,)            the flat block's indices
    ``flat_factor``             (n m, F)        ``W = L^-1 J_f``
    ``flat_inverse_factor``     (F, F)          ``R^-1``, ``S = R R^T``
    ``diagonal``                (P,)            ``diag(A^-1)``
    ``log_det``                 float           ``ln det A``
    ==========================  ==============  ===============================

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> J = rng.normal(size=(4, 10))
    >>> prior = np.r_[np.full(9, 0.5), 0.0]  # the last one flat
    >>> curvature = RowSpaceCurvature(J, prior, 2.0)
    >>> A = 2.0 * J.T @ J + np.diag(prior)
    >>> bool(np.allclose(curvature.diagonal, np.diag(np.linalg.inv(A))))
    True
    >>> bool(np.isclose(curvature.log_det, np.linalg.slogdet(A)[1]))
    True
    """

    def __init__(self, jacobian, prior, noise_precision):
        b = float(noise_precision)
        J = np.asarray(jacobian, dtype=np.float64)
        prior = np.asarray(prior, dtype=np.float64)
        n_rows = J.shape[0]
        flat = np.flatnonzero(prior == 0.0)
        # rows of zero weight are zero rows of J: they determine nothing
        floored = len(flat) > np.count_nonzero(np.any(J != 0.0, axis=1))
        if floored:  # A is singular: floor them (no flat block)
            flat = flat[:0]
        scale = b * float(np.max(np.einsum("ij,ij->j", J, J), initial=0.0))
        # only the flat priors: a penalised one, however small, is exact
        d = np.where(prior > 0.0, prior, _floored(prior, scale))
        root = 1.0 / np.sqrt(d)
        root[flat] = 0.0
        B = np.empty(J.shape, order="F")  # J D_p^-1/2, then L^-1 J D_p^-1/2
        np.multiply(J, root, out=B)
        M = B @ B.T  # BLAS syrk
        M[np.diag_indices_from(M)] += 1.0 / b
        lower, log_det_M = _lower_factor(M)
        B = solve_triangular(lower, B, lower=True, overwrite_b=True, check_finite=False)
        self.inverse_prior = root * root
        self.factor = B.T  # V, C-ordered (P, n m): B's own memory
        self.factor *= root[:, None]
        self.flat = flat
        self.flat_factor = solve_triangular(lower, J[:, flat], lower=True)
        schur, log_det_S = _lower_factor(self.flat_factor.T @ self.flat_factor)
        self.flat_inverse_factor = solve_triangular(
            schur, np.eye(len(flat)), lower=True
        )
        log_det_D = float(np.sum(np.log(np.delete(d, flat))))
        # with floored flat priors, ln det A depends on the floor: no value
        log_det = log_det_D + n_rows * np.log(b) + log_det_M + log_det_S
        self.log_det = np.nan if floored else float(log_det)
        T = self._flat_rows()
        diagonal = self.inverse_prior - np.einsum("ij,ij->i", self.factor, self.factor)
        self.diagonal = np.maximum(diagonal, 0.0) + np.einsum("ij,ij->i", T, T)

    def _flat_rows(self):
        """``T = (V W - E_f) R^-T`` of shape (P, F), ``E_f`` the flat block's
        columns of the identity: ``A^-1 = diag(1 / d_p) - V V^T + T T^T``."""
        T = self.factor @ self.flat_factor
        T[self.flat, np.arange(len(self.flat))] -= 1.0
        return T @ self.flat_inverse_factor.T

    def quadratic_forms(self, gradients):
        """``g^T A^-1 g`` for each row ``g`` of ``gradients``: ``n m`` (plus
        ``F``) multiply-adds per weight and row.

        Parameters
        ----------
        gradients : ndarray of shape (r, P)

        Returns
        -------
        ndarray of shape (r,)
            ``g^T A^-1 g`` of each row, float64 (0 where rounding would
            make it negative).
        """
        gradients = np.asarray(gradients, dtype=np.float64)
        s = gradients @ self.factor
        forms = np.square(gradients) @ self.inverse_prior
        forms -= np.einsum("ij,ij->i", s, s)
        np.maximum(forms, 0.0, out=forms)  # the cancellation's rounding
        if len(self.flat):
            t = s @ self.flat_factor - gradients[:, self.flat]
            t = t @ self.flat_inverse_factor.T
            forms += np.einsum("ij,ij->i", t, t)
        return forms

    def covariance(self):
        """``A^-1`` as a dense ``(P, P)`` matrix (for tests and small problems
        only)."""
        T = self._flat_rows()
        return np.diag(self.inverse_prior) - self.factor @ self.factor.T + T @ T.T


def _lower_factor(matrix):
    """The lower Cholesky factor of ``matrix`` (:func:`~._curvature.cholesky`:
    a growing jitter where it is singular) and ``ln det matrix``; empty for an
    empty matrix."""
    if not len(matrix):
        return np.empty((0, 0)), 0.0
    lower = np.tril(cholesky(matrix)[0])
    return lower, 2.0 * float(np.sum(np.log(np.diag(lower))))
