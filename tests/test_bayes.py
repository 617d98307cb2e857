"""The evidence framework (_bayes.py) on problems with known answers."""

import numpy as np
import pytest
from sklearn.linear_model import BayesianRidge

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout
from sklearn_sigmoidnet._bayes import EvidenceRegulariser, evidence


def _linear_problem(seed=0, n=120, p=6, noise=0.7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + noise * rng.normal(size=n)
    return X, y


def _groups(mask):
    """One prior on the parameters where ``mask`` is 1, flat elsewhere."""
    return np.where(np.asarray(mask) > 0, 0, -1)


def _fixed_point(X, y, mask, iterations=500):
    """Iterate MacKay's updates on a linear model to their fixed point."""
    a, b = 1.0, 1.0
    for _ in range(iterations):
        A = b * X.T @ X + np.diag(a * mask)
        w = np.linalg.solve(A, b * X.T @ y)
        result = evidence(
            X.T @ X, float(((X @ w - y) ** 2).sum()), w, _groups(mask), len(y), (a, b)
        )
        a, b = result.next_weight_precision, result.next_noise_precision
    return w, a, b, result


def test_the_evidence_update_is_bayesian_ridges_fixed_point():
    """Reduced to a linear model, the update converges where BayesianRidge does:
    its lambda_ is the weight precision a, its alpha_ the noise precision b."""
    X, y = _linear_problem()
    w, a, b, _ = _fixed_point(X, y, np.ones(X.shape[1]))
    ridge = BayesianRidge(
        fit_intercept=False,
        alpha_1=0.0,
        alpha_2=0.0,
        lambda_1=0.0,
        lambda_2=0.0,
        tol=1e-14,
        max_iter=10_000,
    ).fit(X, y)
    np.testing.assert_allclose(a, ridge.lambda_, rtol=1e-6)
    np.testing.assert_allclose(b, ridge.alpha_, rtol=1e-6)
    np.testing.assert_allclose(w, ridge.coef_, rtol=1e-6)


def test_gamma_is_the_eigenvalue_formula():
    X, y = _linear_problem(seed=1)
    w = np.linalg.lstsq(X, y)[0]
    a, b = 3.0, 0.5
    result = evidence(
        X.T @ X, float(((X @ w - y) ** 2).sum()), w, _groups(np.ones(6)), len(y), (a, b)
    )
    eigenvalues = np.linalg.eigvalsh(b * X.T @ X)
    np.testing.assert_allclose(
        result.gamma, np.sum(eigenvalues / (eigenvalues + a)), rtol=1e-10
    )


def test_unpenalised_parameters_count_one_each():
    X, y = _linear_problem(seed=2)
    mask = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    w = np.linalg.lstsq(X, y)[0]
    result = evidence(
        X.T @ X, float(((X @ w - y) ** 2).sum()), w, _groups(mask), len(y), (2.0, 1.0)
    )
    assert 0 <= result.gamma <= 4
    np.testing.assert_allclose(result.n_effective, result.gamma + 2, rtol=1e-12)


def test_fixed_point_relations_hold_at_convergence():
    X, y = _linear_problem(seed=3)
    mask = np.ones(6)
    w, a, b, result = _fixed_point(X, y, mask)
    E_W = 0.5 * float(w @ w)
    E_D = 0.5 * float(((X @ w - y) ** 2).sum())
    np.testing.assert_allclose(2 * a * E_W, result.gamma, rtol=1e-6)
    np.testing.assert_allclose(2 * b * E_D, len(y) - result.gamma, rtol=1e-6)


def test_guards_keep_every_update_finite():
    """More parameters than observations and a perfect fit: gamma stays within
    the parameters, n_effective below N, both precisions finite and positive."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(5, 20))
    y = rng.normal(size=5)
    w = np.linalg.lstsq(X, y)[0]  # interpolates: sse ~ 0
    result = evidence(
        X.T @ X,
        float(((X @ w - y) ** 2).sum()),
        w,
        _groups(np.ones(20)),
        5,
        (1e-8, 1.0),
    )
    assert 0 <= result.gamma <= 20
    assert result.n_effective <= 4
    for value in (result.next_weight_precision, result.next_noise_precision):
        assert np.isfinite(value) and value > 0


def test_log_evidence_prefers_the_true_linear_model_size():
    """On data from 3 of 6 inputs, dropping a true input lowers the evidence
    more than keeping the 3 useless ones."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 6))
    y = X[:, :3] @ np.array([2.0, -1.0, 1.5]) + 0.5 * rng.normal(size=200)

    def best_log_evidence(columns):
        Xs = X[:, columns]
        return _fixed_point(Xs, y, np.ones(len(columns)), iterations=200)[3]

    assert (
        best_log_evidence([0, 1, 2]).log_evidence
        > best_log_evidence([0, 1]).log_evidence
    )


def test_regulariser_reads_the_kernels_normal_equations():
    """H = S J^T J - alpha D and sse = 2 S L - alpha ||theta_w||^2 from the
    kernel's loss (1), checked against a direct residual computation."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 3))
    Y = rng.uniform(0.2, 0.8, size=(50, 1))
    weights = rng.integers(1, 3, size=50).astype(float)
    layout = ParameterLayout(3, 4, 1)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.3) as kernel:
        regulariser = EvidenceRegulariser(kernel, 1, 0.3)
        P = layout.n_parameters
        JtJ, Jtr = np.empty((P, P)), np.empty(P)
        loss = kernel.normal_equations(theta, JtJ, Jtr)
        result = regulariser.evaluate(theta, JtJ, loss)
        predictions = kernel.predict(theta)
    sse = float(weights @ ((predictions - Y) ** 2).ravel())
    n_observations = weights.sum()
    # b = (N - n_effective) / sse on the first evaluation's residual estimate
    assert result.next_noise_precision == pytest.approx(
        (n_observations - result.n_effective) / sse, rel=1e-9
    )


def test_separate_priors_on_independent_blocks_are_each_blocks_evidence():
    """Two independent linear problems side by side (a block-diagonal
    Hessian), one prior each: every per-group quantity and update equals the
    single-prior evidence of that block alone."""
    X1, y1 = _linear_problem(seed=7, p=4)
    X2, y2 = _linear_problem(seed=8, p=3, noise=0.2)
    w1, w2 = np.linalg.lstsq(X1, y1)[0], np.linalg.lstsq(X2, y2)[0]
    sse1 = float(((X1 @ w1 - y1) ** 2).sum())
    sse2 = float(((X2 @ w2 - y2) ** 2).sum())
    hessian = np.zeros((7, 7))
    hessian[:4, :4], hessian[4:, 4:] = X1.T @ X1, X2.T @ X2
    a, b = np.array([2.0, 0.5]), 1.5
    both = evidence(
        hessian,
        sse1 + sse2,
        np.concatenate([w1, w2]),
        np.array([0, 0, 0, 0, 1, 1, 1]),
        2 * len(y1),
        (a, b),
    )
    for group, (X, w, sse) in enumerate([(X1, w1, sse1), (X2, w2, sse2)]):
        alone = evidence(
            X.T @ X, sse, w, _groups(np.ones(len(w))), len(y1), (a[group], b)
        )
        np.testing.assert_allclose(both.group_gamma[group], alone.gamma, rtol=1e-10)
        np.testing.assert_allclose(
            both.next_weight_precision[group],
            alone.next_weight_precision[0],
            rtol=1e-10,
        )
    np.testing.assert_allclose(both.gamma, both.group_gamma.sum(), rtol=1e-12)


def test_separate_priors_reach_each_groups_fixed_point():
    """Iterated with two priors on a linear model, 2 a_g E_W,g = gamma_g for
    each group and 2 b E_D = N - gamma at the fixed point."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(150, 5))
    y = X @ np.array([3.0, -2.0, 0.1, 0.05, -0.1]) + 0.5 * rng.normal(size=150)
    groups = np.array([0, 0, 1, 1, 1])
    a, b = np.ones(2), 1.0
    for _ in range(2000):
        A = b * X.T @ X + np.diag(a[groups])
        w = np.linalg.solve(A, b * X.T @ y)
        result = evidence(
            X.T @ X, float(((X @ w - y) ** 2).sum()), w, groups, len(y), (a, b)
        )
        a, b = result.next_weight_precision, result.next_noise_precision
    for group in (0, 1):
        E_W = 0.5 * float(w[groups == group] @ w[groups == group])
        np.testing.assert_allclose(
            2 * a[group] * E_W, result.group_gamma[group], rtol=1e-6
        )
    E_D = 0.5 * float(((X @ w - y) ** 2).sum())
    np.testing.assert_allclose(2 * b * E_D, len(y) - result.gamma, rtol=1e-6)
    # the large weights get the weak prior, the small ones the strong one
    assert a[0] < a[1]
