"""The Kronecker-factored curvature against the full Gauss-Newton matrix."""

import warnings

import numpy as np
import pytest
from _curvature_problems import random_problem as _problem
from scipy.linalg import block_diag

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, SigmoidMLPRegressor
from sklearn_sigmoidnet._bayes import (
    EvidenceRegulariser,
    leave_one_out_error,
    structured_evidence,
)
from sklearn_sigmoidnet._curvature import KroneckerCurvature, curvature_form
from sklearn_sigmoidnet._plan import GaussNewtonBudget


def _output_jacobian(kernel, theta):
    """dYhat_ij/dtheta for every row and output, (n, m, P), from the kernel's
    residual Jacobian without the penalty (r = sqrt(w/S) (Yhat - Y))."""
    _, J = kernel.residuals_jacobian(theta)
    n, m = kernel.n_samples, kernel.layout.n_outputs
    J = J[: n * m].reshape(n, m, -1).astype(np.float64)
    data = kernel.data
    scaled = np.full(n, 1.0 / data.weight_sum)  # w / S
    if data.scaled_weight is not None:
        scaled = data.scaled_weight[:, 0].astype(np.float64)
    return J / np.sqrt(scaled)[:, None, None]


@pytest.mark.parametrize("n_outputs, weights", [(1, False), (2, True)])
def test_factors_are_the_kronecker_factors_of_the_gradients(n_outputs, weights):
    """Q = sum w x x^T / S and R = sum w G G^T from the exact gradients
    g_ij = [x_i (x) G_ij, ...] (G_ij is the bias row of the input-layer part,
    x_i = [X, 1]_i); H2 and sse exact; 1e-12 relative."""
    X, Y, w, layout, theta = _problem(n_outputs=n_outputs, weights=weights)
    with NetworkKernel(X, Y, w, layout=layout) as kernel:
        Q, R, H2, sse = kernel.curvature_factors(theta)
        g = _output_jacobian(kernel, theta)
        Yhat = kernel.predict(theta)
    weight = np.ones(len(X)) if w is None else w
    S = weight.sum()
    x = np.column_stack([X, np.ones(len(X))])
    n_in, K = layout.shape1
    G = g[:, :, : layout.size1].reshape(len(X), n_outputs, n_in, K)[:, :, -1, :]
    np.testing.assert_allclose(Q, (x.T * weight) @ x / S, rtol=1e-12)
    expected_R = np.einsum("i,ijk,ijl->kl", weight, G, G)
    np.testing.assert_allclose(R, expected_R, rtol=1e-12, atol=1e-15)
    for j in range(n_outputs):
        g2 = g[:, j, layout.size1 :][:, j::n_outputs]  # W2[:, j]
        np.testing.assert_allclose(H2[j], (g2.T * weight) @ g2, rtol=1e-12, atol=1e-15)
    assert sse == pytest.approx(float(np.sum(weight[:, None] * (Yhat - Y) ** 2)))


def test_factors_and_products_same_bits_for_any_thread_count():
    X, Y, w, layout, theta = _problem(n_rows=6000, n_hidden=50, weights=True)
    prior = layout.penalties(np.array([0.1, 0.01, 0.05]))
    results = []
    for n_threads in (1, 2):
        with NetworkKernel(X, Y, w, layout=layout, n_threads=n_threads) as kernel:
            assert kernel.n_blocks > 1
            factors = kernel.curvature_factors(theta)
            curvature = KroneckerCurvature(factors, layout, prior, 300.0)
            loo = kernel.curvature_leave_one_out(theta, curvature, 300.0)
            variances = kernel.output_variances(theta, curvature)
        results.append((factors, curvature.log_det, loo, variances))
    (f1, d1, l1, v1), (f2, d2, l2, v2) = results
    for a, b in zip(f1[:3], f2[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert (f1[3], d1, l1) == (f2[3], d2, l2)
    np.testing.assert_array_equal(v1, v2)


def _structured_matrix(factors, layout, prior, b):
    """A = blockdiag(b Q (x) R + D1 (x) I, b H2_j + D2 ...) in theta's order."""
    Q, R, H2, _ = factors
    prior1, prior2 = layout.unpack(prior)
    A1 = b * np.kron(Q, R) + np.diag(prior1.ravel())
    m = layout.n_outputs
    n2 = H2.shape[1] * m
    A2 = np.zeros((n2, n2))
    for j in range(m):
        A2[j::m, j::m] = b * H2[j] + np.diag(prior2[:, j])
    return block_diag(A1, A2)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_structured_inverse_diagonal_log_det_and_variances(n_outputs):
    """The eigen-factored diag(A^-1), ln det A and g^T A^-1 g against the
    dense inverse of the same structured A (1e-9 relative)."""
    X, Y, w, layout, theta = _problem(n_outputs=n_outputs, weights=True)
    prior = layout.penalties(np.array([0.3, 0.02, 0.07]))
    with NetworkKernel(X, Y, w, layout=layout) as kernel:
        factors = kernel.curvature_factors(theta)
        curvature = KroneckerCurvature(factors, layout, prior, 50.0)
        A = _structured_matrix(factors, layout, prior, 50.0)
        inverse = np.linalg.inv(A)
        variances = kernel.output_variances(theta, curvature)
        dense = kernel.output_variances(theta, inverse)
    np.testing.assert_allclose(curvature.diagonal, np.diag(inverse), rtol=1e-9)
    np.testing.assert_allclose(curvature.covariance(), inverse, rtol=1e-7, atol=1e-12)
    assert curvature.log_det == pytest.approx(np.linalg.slogdet(A)[1], rel=1e-10)
    np.testing.assert_allclose(variances, dense, rtol=1e-9)


def test_float32_factors_match_float64():
    X, Y, w, layout, theta = _problem(n_rows=2000, weights=True)
    with NetworkKernel(X, Y, w, layout=layout) as kernel:
        f64 = kernel.curvature_factors(theta)
    with NetworkKernel(X.astype(np.float32), Y, w, layout=layout) as kernel:
        f32 = kernel.curvature_factors(theta)
    for a, b in zip(f64[:3], f32[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6 * np.abs(a).max())
    assert f32[3] == pytest.approx(f64[3], rel=1e-5)


def _trained(n_rows, n_features, n_hidden, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SigmoidMLPRegressor(
            n_hidden=n_hidden, alpha="auto", max_iter=300, random_state=0
        ).fit(X, y)
    Y = model._target_mapping.to_network(y.reshape(-1, 1))
    return X, Y, model


@pytest.mark.parametrize("shape", [(400, 5, 5), (1000, 10, 20)])
def test_structured_evidence_against_the_full_matrix_at_a_trained_mode(shape):
    """The stated accuracy (docs/user_guide/bayesian.md) at the modes of
    alpha="auto" fits: the structured n_effective within 30% of the full one
    (measured +22% and +21%: ignoring the cross-layer blocks overstates
    gamma), the noise precision b within 3%, the per-row predictive variances
    within a factor of 0.9-2.2 for 90% of the rows (median 1.0-1.5), and the
    leave-one-out error within 30%."""
    X, Y, model = _trained(*shape)
    layout = ParameterLayout(shape[1], shape[2], 1)
    theta = model._theta()
    with NetworkKernel(X, Y, layout=layout, alpha=model.alpha_) as kernel:
        regulariser = EvidenceRegulariser(kernel, 1, model.alpha_)
        assert regulariser.full  # small: the full matrix is what fits use
        full = regulariser.evaluate_measured(theta, regulariser.measure(theta))
        factors = kernel.curvature_factors(theta)
        structured = structured_evidence(
            factors,
            theta,
            regulariser.groups,
            regulariser.n_observations,
            regulariser.precisions,
            layout,
            shape[2],
        )
        ratio = kernel.output_variances(theta, structured.covariance) / (
            kernel.output_variances(theta, full.covariance)
        )
        loo_full = leave_one_out_error(kernel, theta, full)
        loo_structured = leave_one_out_error(kernel, theta, structured)
    assert structured.n_effective == pytest.approx(full.n_effective, rel=0.3)
    assert structured.n_effective > full.n_effective  # the known direction
    assert structured.next_noise_precision == pytest.approx(
        full.next_noise_precision, rel=0.03
    )
    low, median, high = np.percentile(ratio, [5, 50, 95])
    assert 0.9 <= low and 1.0 <= median <= 1.5 and high <= 2.2
    assert loo_structured == pytest.approx(loo_full, rel=0.3)


def test_the_cost_model_chooses_full_or_structured():
    """One chooser: full up to (n + 2P) P^2 = 2.5e9 and 4000 weights; beyond,
    the row-space form while 2 (n m)^2 P + (n m)^3 is at most 2.5e9 and 4 n m
    P at most 4000^2; else the Kronecker-factored curvature, whose pass is far
    cheaper there."""
    small = GaussNewtonBudget(400, 36, 5, 5, 1)
    large = GaussNewtonBudget(5000, 2601, 50, 50, 1)
    wide = GaussNewtonBudget(20, 6001, 10, 500, 1)
    assert (small.form, wide.form, large.form) == ("full", "row_space", "kronecker")
    assert small.full and not large.full and not wide.full
    assert wide.row_space_work == 2 * 20**2 * 6001 + 20**3
    # on 5000 rows both the memory (four arrays of n m P) and the work rule
    # the row space out; on 1500 the work alone
    assert not large.row_space_fits_in_memory and large.row_space_work > 2.5e9
    medium = GaussNewtonBudget(1500, 2601, 50, 50, 1)
    assert medium.row_space_fits_in_memory and medium.row_space_work > 2.5e9
    assert medium.form == "kronecker"
    # n m rows: 400 rows pay with one output (1.98e9), not with two (8.8e9)
    assert GaussNewtonBudget(400, 6001, 10, 500, 1).form == "row_space"
    assert GaussNewtonBudget(400, 6502, 10, 500, 2).form == "kronecker"
    # the memory: four J of 10 rows and 500,000 weights are more than 4000^2
    many = GaussNewtonBudget(10, 500_501, 999, 500, 1)
    assert many.row_space_work < 2.5e9 and many.form == "kronecker"
    assert not large.every_step and not wide.every_step  # never lm there
    assert large.structured_work < large.work / 100
    # with a float alpha the posterior is computed while its form pays
    assert large.posterior_pays and wide.posterior_pays
    assert not GaussNewtonBudget(2_000_000, 601, 10, 50, 1).posterior_pays
    assert "here the row-space form" in wide.describe()
    assert "here the Kronecker-factored curvature" in large.describe()
    X, Y, w, layout, theta = _problem(n_rows=20, n_features=10, n_hidden=500)
    with NetworkKernel(X, Y, layout=layout) as kernel:
        assert curvature_form(kernel) == "row_space"
    X, Y, w, layout, theta = _problem(n_rows=5000, n_features=50, n_hidden=50)
    with NetworkKernel(X, Y, layout=layout) as kernel:
        assert curvature_form(kernel) == "kronecker"
    X, Y, w, layout, theta = _problem()
    with NetworkKernel(X, Y, layout=layout) as kernel:
        assert curvature_form(kernel) == "full"
