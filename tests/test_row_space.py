"""The row-space (Woodbury) form of the posterior against the full matrix, its
Jacobian pass, the one chooser, and fits of far more weights than rows.

Tolerances against the full matrix are set by the conditioning, not by the
form: at random modes (cond(A) at most 5e4, and the two terms of ``g^T A^-1
g`` that cancel at most 40 times the result) the forms agree to 1e-13
(measured), checked at 1e-11; at trained modes the prior precisions are tiny
(alpha down to 5e-6), the cancellation ratio reaches 1e6, and the measured
difference is about 1e-15 times that ratio, checked at 1e-14 times it.
"""

import warnings
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
from _curvature_problems import random_problem as _problem
from scipy.linalg import LinAlgError

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    SigmoidMLPRegressor,
    _bayes,
)
from sklearn_sigmoidnet import _runner as runner_module
from sklearn_sigmoidnet._bayes import (
    EvidenceRegulariser,
    leave_one_out_error,
    row_space_evidence,
)
from sklearn_sigmoidnet._curvature import _floored, curvature_form
from sklearn_sigmoidnet._plan import plan_fit
from sklearn_sigmoidnet._posterior import _from_matrix
from sklearn_sigmoidnet._row_space import RowSpaceCurvature

AUTO = np.array([0.3, 0.02, 0.07])
# n_rows, n_features, n_hidden, n_outputs, weights, alpha: all with n m < P
PROBLEMS = {
    # alpha="auto"'s three groups, the output bias flat: P = 57, n m = 30
    "auto": ((30, 5, 8, 1), False, AUTO),
    # three outputs, weighted: P = 83, n m = 60, three flat output biases
    "auto, 3 outputs, weights": ((20, 4, 10, 3), True, AUTO),
    # a float alpha: the hidden biases flat too (6 flat of P = 36, n m = 30)
    "float alpha, weights": ((30, 5, 5, 1), True, 0.05),
}
B = 300.0  # the noise precision the quantities are computed at


def _prior(layout, alpha, b=B):
    """Each parameter's prior precision ``a = alpha b`` (0: flat)."""
    if np.ndim(alpha):
        return layout.penalties(alpha) * b
    return layout.penalty_mask().astype(np.float64) * alpha * b


def _jacobian(kernel, theta):
    rows = kernel.n_samples * kernel.layout.n_outputs
    J = np.empty((rows, kernel.layout.n_parameters))
    return J, kernel.row_space_jacobian(theta, J)


def _both(kernel, theta, alpha, b=B):
    """The Evidence of the full matrix (which these kernels choose) and of
    the row-space form, at the same theta and precisions ``(alpha b, b)``."""
    regulariser = EvidenceRegulariser(kernel, kernel.layout.n_outputs, alpha)
    assert regulariser.form == "full"
    regulariser.precisions = (np.atleast_1d(alpha) * b, b)
    full = regulariser.evaluate_measured(theta, regulariser.measure(theta))
    J, sse = _jacobian(kernel, theta)
    at = (regulariser.groups, regulariser.n_observations, regulariser.precisions)
    row_space = row_space_evidence(J, sse, theta, *at, kernel.layout.n_hidden)
    return full, row_space, J


def test_jacobian_rows_are_sqrt_w_times_the_output_gradients():
    """Row ``i m + j`` of J is ``sqrt(w_i) dYhat_ij/dtheta`` (the kernel's
    residual Jacobian times sqrt(S)), ``J^T J`` the normal equations' Hessian
    and sse 2 S times the unpenalised loss."""
    X, Y, w, layout, theta = _problem(20, 4, 10, 3, True)
    with NetworkKernel(X, Y, w, layout=layout) as kernel:  # alpha=0
        J, sse = _jacobian(kernel, theta)
        _, residual_jacobian = kernel.residuals_jacobian(theta)
        P = layout.n_parameters
        JtJ, Jtr = np.empty((P, P), order="F"), np.empty(P)
        loss = kernel.normal_equations(theta, JtJ, Jtr)
    S = w.sum()
    np.testing.assert_allclose(J, np.sqrt(S) * residual_jacobian, rtol=1e-14)
    np.testing.assert_allclose(J.T @ J, S * JtJ, rtol=1e-12, atol=1e-14 * S)
    assert sse == pytest.approx(2 * S * loss, rel=1e-14)
    assert sse == pytest.approx(float(w @ ((kernel.predict(theta) - Y) ** 2).sum(1)))


@pytest.mark.parametrize("name", PROBLEMS)
def test_diagonal_log_det_and_forms_equal_the_full_matrix(name):
    """diag(A^-1), ln det A, the dense A^-1 and g^T A^-1 g of every output of
    every row (measured at most 1e-13 apart; checked at 1e-11); the flat
    parameters are the exact Schur block."""
    shape, weights, alpha = PROBLEMS[name]
    X, Y, w, layout, theta = _problem(*shape, weights)
    with NetworkKernel(X, Y, w, layout=layout) as kernel:
        full, row_space, J = _both(kernel, theta, alpha)
        curvature, inverse = row_space.covariance, full.covariance
        variances = kernel.output_variances(theta, curvature)
        expected = kernel.output_variances(theta, inverse)
    prior = _prior(layout, alpha)
    assert len(J) < layout.n_parameters
    np.testing.assert_array_equal(curvature.flat, np.flatnonzero(prior == 0))
    np.testing.assert_allclose(curvature.diagonal, np.diag(inverse), rtol=1e-11)
    A = B * J.T @ J + np.diag(prior)
    assert curvature.log_det == pytest.approx(np.linalg.slogdet(A)[1], abs=1e-10)
    scale = np.abs(inverse).max()
    np.testing.assert_allclose(curvature.covariance(), inverse, atol=1e-11 * scale)
    np.testing.assert_allclose(variances, expected, rtol=1e-11)
    # a block of arbitrary gradients, not only the rows'
    g = np.random.default_rng(1).normal(size=(7, layout.n_parameters))
    forms = curvature.quadratic_forms(g)
    np.testing.assert_allclose(forms, np.einsum("ip,pq,iq->i", g, inverse, g), 1e-11)


@pytest.mark.parametrize("name", PROBLEMS)
def test_evidence_equals_the_full_matrix(name):
    """gamma per group, n_effective, the log evidence, MacKay's next
    precisions and the exact leave-one-out error (1 / (1 - h))."""
    shape, weights, alpha = PROBLEMS[name]
    X, Y, w, layout, theta = _problem(*shape, weights)
    with NetworkKernel(X, Y, w, layout=layout, alpha=alpha) as kernel:
        full, row_space, _ = _both(kernel, theta, alpha)
        loo = leave_one_out_error(kernel, theta, row_space)
        expected_loo = leave_one_out_error(kernel, theta, full)
    assert 0.5 < full.gamma < layout.n_parameters - 0.5  # neither end
    np.testing.assert_allclose(row_space.group_gamma, full.group_gamma, atol=1e-10)
    assert row_space.n_effective == pytest.approx(full.n_effective, abs=1e-10)
    assert row_space.log_evidence == pytest.approx(full.log_evidence, abs=1e-9)
    np.testing.assert_allclose(
        row_space.next_weight_precision, full.next_weight_precision, rtol=1e-10
    )
    assert row_space.next_noise_precision == pytest.approx(
        full.next_noise_precision, rel=1e-12
    )
    assert loo == pytest.approx(expected_loo, rel=1e-11)


def _fit(n_rows, n_hidden, seed=0, **params):
    """Defaults on ``sin(x_0) + x_1 x_2 / 2`` of 10 features, noise 0.3."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 10))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SigmoidMLPRegressor(n_hidden=n_hidden, random_state=seed, **params)
        model.fit(X, y)
    return X, y, model


def test_at_a_trained_mode_the_cancellation_is_bounded():
    """At the mode of an alpha="auto" fit (60 hidden units on 20 rows, alpha
    down to 1e-5) ``sum g^2 / d`` is about 1e6 times ``g^T A^-1 g`` at the
    training rows; the forms differ by about 1e-15 times that ratio (at most
    1e-14 checked), gamma and the log evidence by 1e-9 (1e-7 checked)."""
    X, y, model = _fit(20, 60)
    Y = model._target_mapping.to_network(y.reshape(-1, 1))
    theta, alpha = model._theta(), model.alpha_
    with NetworkKernel(X, Y, layout=model._fitted_layout(), alpha=alpha) as kernel:
        full, row_space, J = _both(kernel, theta, alpha, b=10.0)
        variances = kernel.output_variances(theta, row_space.covariance)
        expected = kernel.output_variances(theta, full.covariance)
    assert alpha.min() < 1e-4
    ratio = (J**2 @ row_space.covariance.inverse_prior) / expected[:, 0]
    assert ratio.max() > 1e5  # the cancellation is there to bound
    error = np.abs(variances[:, 0] / expected[:, 0] - 1)
    assert np.all(error <= 1e-14 * ratio)
    np.testing.assert_allclose(row_space.group_gamma, full.group_gamma, atol=1e-7)
    assert row_space.log_evidence == pytest.approx(full.log_evidence, abs=1e-7)


def test_more_flat_parameters_than_rows_are_floored():
    """A float alpha with 21 flat biases on 10 rows: A is singular, so the
    flat ones are floored at 1e-8 b max ||J_k||^2 (no Schur block), and the
    form is that of the floored A (cond 7e8: 1e-6 checked, 6e-9 measured);
    ln det A would be the floor's, so it is NaN (no log evidence)."""
    X, Y, w, layout, theta = _problem(10, 5, 20, 1, False)
    prior = _prior(layout, 0.05)
    with NetworkKernel(X, Y, layout=layout) as kernel:
        J, _ = _jacobian(kernel, theta)
        curvature = RowSpaceCurvature(J, prior, B)
        floored = _floored(prior, B * float(np.max(np.sum(J**2, axis=0))))
        inverse = np.linalg.inv(B * J.T @ J + np.diag(floored))
        variances = kernel.output_variances(theta, curvature)
        expected = kernel.output_variances(theta, inverse)
    assert np.sum(prior == 0) == 21 and len(curvature.flat) == 0
    np.testing.assert_allclose(curvature.diagonal, np.diag(inverse), rtol=1e-6)
    np.testing.assert_allclose(variances, expected, rtol=1e-6)
    assert np.isnan(curvature.log_det)


def test_tiny_penalties_are_not_floored():
    """Penalties far below the flat parameters' floor (alpha 1e-11 to 1e-9,
    every group: about 1e-4 of the floor) stay exact: gamma per group, the
    log evidence and the variances as the full matrix's (gamma at most n m =
    30, not the 247 that flooring them gave)."""
    X, Y, w, layout, theta = _problem(30, 5, 40, 1, False)
    alpha = np.array([1e-11, 1e-10, 1e-9])
    with NetworkKernel(X, Y, layout=layout, alpha=alpha) as kernel:
        full, row_space, J = _both(kernel, theta, alpha, b=1.0)
        variances = kernel.output_variances(theta, row_space.covariance)
        expected = kernel.output_variances(theta, full.covariance)
    assert np.max(alpha) < 1e-8 * np.max(np.sum(J**2, axis=0))  # below the floor
    assert row_space.gamma <= len(J) + 1e-6
    np.testing.assert_allclose(row_space.group_gamma, full.group_gamma, atol=1e-6)
    assert row_space.log_evidence == pytest.approx(full.log_evidence, abs=1e-5)
    # the full matrix's own conditioning bounds the agreement of the variances
    condition = np.linalg.cond(J.T @ J + np.diag(_prior(layout, alpha, b=1.0)))
    assert condition > 1e10
    np.testing.assert_allclose(variances, expected, rtol=1e-16 * condition)


def test_rows_of_zero_weight_do_not_count_for_the_flat_block():
    """45 of 50 rows of zero weight and a float alpha (11 flat biases): the 5
    weighted rows cannot determine 11 flat parameters, so they are floored
    (no Schur block, whose S would be singular) rather than set by the
    factorisation's jitter; with all 50 rows weighted they are exact."""
    X, Y, _, layout, theta = _problem(50, 4, 10, 1, False)
    prior = _prior(layout, 0.05)
    for weighted, exact in ((5, False), (50, True)):
        w = np.zeros(50)
        w[:weighted] = 1.0
        with NetworkKernel(X, Y, w, layout=layout) as kernel:
            J, _ = _jacobian(kernel, theta)
        curvature = RowSpaceCurvature(J, prior, B)
        assert np.count_nonzero(np.any(J != 0, axis=1)) == weighted
        assert len(curvature.flat) == (11 if exact else 0)
        assert np.isnan(curvature.log_det) != exact


def test_a_non_finite_jacobian_raises_linalg_error():
    """What the regulariser catches to keep its penalties."""
    J = np.ones((3, 8))
    J[1, 2] = np.nan
    with pytest.raises(LinAlgError, match="not finite"):
        RowSpaceCurvature(J, np.r_[np.ones(7), 0.0], 1.0)


@pytest.mark.parametrize(
    "n_rows, n_features, n_hidden, form",
    [
        (400, 5, 5, "full"),
        (20, 10, 500, "row_space"),
        (200, 10, 100, "row_space"),
        (5000, 50, 50, "kronecker"),
    ],
)
def test_the_chooser_on_named_shapes(n_rows, n_features, n_hidden, form):
    """The plan's budget and the kernel's curvature_form agree: one chooser."""
    params = {**SigmoidMLPRegressor(n_hidden=n_hidden).get_params()}
    plan = plan_fit(
        params,
        n_samples=n_rows,
        n_features=n_features,
        n_outputs=1,
        incremental=False,
        continuing=False,
    )
    assert plan.budget.form == form
    layout = ParameterLayout(n_features, n_hidden, 1)
    X = np.zeros((n_rows, n_features))
    with NetworkKernel(X, np.zeros((n_rows, 1)), layout=layout) as kernel:
        assert curvature_form(kernel) == form


def test_kernels_of_chunks_keep_the_full_matrix():
    """A kernel without the row-space Jacobian and the structured products
    (dask's) uses the full matrix up to 4000 weights, and refuses beyond."""

    def chunks(n_rows, n_features, n_hidden):
        layout = ParameterLayout(n_features, n_hidden, 1)
        return SimpleNamespace(layout=layout, data=SimpleNamespace(n_samples=n_rows))

    assert curvature_form(chunks(50, 199, 10)) == "full"  # in memory: row_space
    with pytest.raises(ValueError, match="limit of 4000 weights"):
        curvature_form(chunks(20, 10, 500))
    # a kernel with only one of the two methods gets a form it can compute
    only_structured = chunks(50, 199, 10)
    only_structured.curvature_factors = None
    assert curvature_form(only_structured) == "full"
    only_row_space = chunks(50, 199, 10)
    only_row_space.row_space_jacobian = None
    assert curvature_form(only_row_space) == "row_space"


def test_jacobian_and_curvature_same_bits_for_any_thread_count(monkeypatch):
    """Row blocks of 64 rows (4 of them) on 1 and 2 threads: J, sse, the
    curvature, the leave-one-out error and the variances, bit for bit."""
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 2**14)
    monkeypatch.setattr(runner_module, "_MIN_BLOCK_ROWS", 64)
    X, Y, w, layout, theta = _problem(200, 10, 500, 1, True)
    prior = _prior(layout, AUTO)
    results = []
    for n_threads in (1, 2):
        with NetworkKernel(X, Y, w, layout=layout, n_threads=n_threads) as kernel:
            J, sse = _jacobian(kernel, theta)
            assert kernel.n_threads == n_threads and kernel.n_blocks == 4
            assert len(kernel._normal_equations.blocks) > 2
            curvature = RowSpaceCurvature(J, prior, B)
            evidence = SimpleNamespace(covariance=curvature, noise_precision=B)
            loo = leave_one_out_error(kernel, theta, evidence)
            variances = kernel.output_variances(theta, curvature)
        results.append((J, sse, curvature, loo, variances))
    (J1, s1, c1, l1, v1), (J2, s2, c2, l2, v2) = results
    np.testing.assert_array_equal(J1, J2)
    assert (s1, c1.log_det, l1) == (s2, c2.log_det, l2)
    for name in ("factor", "flat_factor", "flat_inverse_factor", "diagonal"):
        np.testing.assert_array_equal(getattr(c1, name), getattr(c2, name))
    np.testing.assert_array_equal(v1, v2)


@pytest.mark.parametrize("seed", [0, 7])
def test_500_hidden_units_on_20_rows(seed):
    """Defaults, 6,001 weights on 20 rows of noise sigma^2 = 0.09: the
    row-space posterior. noise_variance_ measured 3.9 and 2.1 times 0.09
    (seeds 0 and 7; 0.85-8.2 times over seeds 0-9, as n_hidden=50 with the
    full matrix: 20 rows of a 10-feature function leave misfit in the
    residuals); the Kronecker-factored form gave 65 and 27 times."""
    X, y, model = _fit(20, 500, seed)
    assert isinstance(model._posterior.covariance, RowSpaceCurvature)
    assert 0.5 * 0.09 <= model.noise_variance_[0] <= 5 * 0.09
    assert 1 <= model.n_effective_parameters_ <= 19
    X_new = np.random.default_rng(seed + 100).normal(size=(50, 10))
    for rows in (X, X_new):
        mean, std = model.predict(rows, return_std=True)
        noise = np.sqrt(model.noise_variance_[0])
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
        assert std.min() >= noise - 1e-12 and std.max() > noise


def test_500_hidden_units_estimate_the_noise_of_50_with_the_full_matrix():
    """Seed 0: the row-space evidence on 500 hidden units gives the noise
    variance the full matrix gives on 50 (measured 0.349 and 0.350)."""
    _, _, wide = _fit(20, 500)
    _, _, small = _fit(20, 50)
    assert isinstance(small._posterior.covariance, np.ndarray)
    assert wide.noise_variance_[0] == pytest.approx(small.noise_variance_[0], rel=0.1)


def test_100_hidden_units_on_200_rows_use_the_exact_row_space_posterior():
    """1,201 weights on 200 rows: (n + 2P) P^2 = 3.7e9 rules out the full
    matrix, the row space costs 1e8. The fitted posterior is the full
    matrix's at the same weights (measured 5e-14 apart in the noise, 9e-11 in
    the variances), and the noise variance is near 0.09 (measured 0.082)."""
    X, y, model = _fit(200, 100)
    posterior = model._posterior
    assert isinstance(posterior.covariance, RowSpaceCurvature)
    Y = model._target_mapping.to_network(y.reshape(-1, 1))
    theta, layout = model._theta(), model._fitted_layout()
    with NetworkKernel(X, Y, layout=layout, alpha=model.alpha_) as kernel:
        with mock.patch.object(_bayes, "curvature_form", lambda kernel: "full"):
            full = _from_matrix(kernel, theta, 1)
        variances = kernel.output_variances(theta, posterior.covariance)
        expected = kernel.output_variances(theta, full.covariance)
    assert isinstance(full.covariance, np.ndarray)
    assert posterior.noise_variance == pytest.approx(full.noise_variance, rel=1e-10)
    assert posterior.n_effective == pytest.approx(full.n_effective, abs=1e-8)
    assert posterior.log_evidence == pytest.approx(full.log_evidence, abs=1e-6)
    np.testing.assert_allclose(variances, expected, rtol=1e-8)
    assert 0.5 * 0.09 <= model.noise_variance_[0] <= 2 * 0.09
    _, std = model.predict(X[:20], return_std=True)
    assert np.all(np.isfinite(std)) and np.all(std > 0)
