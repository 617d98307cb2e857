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


# ------------------------------------------------ the leave-one-out check
def _skewed_problem(n_rows=600, seed=0):
    """A log-normal target (skewness about 3.5) of a latent size that 8
    heavy-tailed columns measure with noise, and 9 irrelevant columns: the
    data where MacKay's evidence alone ends in an overfit mode."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n_rows)
    counts = np.exp(size[:, None] + 0.5 * rng.normal(size=(n_rows, 8)))
    X = np.column_stack([counts, rng.normal(size=(n_rows, 9))])
    X = (X - X.mean(0)) / X.std(0)
    y = np.exp(size + 0.15 * rng.normal(size=n_rows))
    return X, y


def test_leave_one_out_error_is_the_exact_one_of_a_linear_model():
    """On a linear network-free check: with the kernel replaced by ridge
    regression's algebra, r_i / (1 - h_i) is the residual of the fit without
    row i; here through evidence() and the hat matrix of A = b X^T X + a I."""
    X, y = _linear_problem(seed=10, n=40, p=3)
    a, b = 2.0, 1.5
    A = b * X.T @ X + a * np.eye(3)
    w = np.linalg.solve(A, b * X.T @ y)
    leverage = b * np.einsum("ij,jk,ik->i", X, np.linalg.inv(A), X)
    press = (X @ w - y) / (1 - leverage)
    for i in (0, 17, 39):
        keep = np.arange(40) != i
        Ai = b * X[keep].T @ X[keep] + a * np.eye(3)
        wi = np.linalg.solve(Ai, b * X[keep].T @ y[keep])
        assert press[i] == pytest.approx(X[i] @ wi - y[i], rel=1e-10)
    result = evidence(
        X.T @ X, float(((X @ w - y) ** 2).sum()), w, _groups(np.ones(3)), 40, (a, b)
    )
    # the leverages sum to the effective number of parameters
    assert leverage.sum() == pytest.approx(result.n_effective, rel=1e-10)


def test_leave_one_out_error_reads_the_kernel():
    """leave_one_out_error from the kernel equals the direct computation with
    the full Jacobian: residual / (1 - b w g^T A^-1 g), weighted."""
    from sklearn_sigmoidnet._bayes import leave_one_out_error

    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 3))
    Y = rng.uniform(0.2, 0.8, size=(60, 1))
    weights = rng.integers(1, 3, size=60).astype(float)
    layout = ParameterLayout(3, 4, 1)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.0) as kernel:
        regulariser = EvidenceRegulariser(kernel, 1, 0.0)
        regulariser.precisions = (np.array([0.5]), 20.0)
        P = layout.n_parameters
        JtJ, Jtr = np.empty((P, P)), np.empty(P)
        loss = kernel.normal_equations(theta, JtJ, Jtr)
        result = regulariser.evaluate(theta, JtJ, loss)
        error = leave_one_out_error(kernel, theta, result)
        residuals, jacobian = kernel.residuals_jacobian(theta)
        predictions = kernel.predict(theta)[:, 0]
    # the kernel's residual rows carry sqrt(w / S) (loss (1) is divided by S)
    gradients = jacobian / np.sqrt(weights / weights.sum())[:, None]
    h = (
        20.0
        * weights
        * np.einsum("ij,jk,ik->i", gradients, result.covariance, gradients)
    )
    direct = weights @ ((predictions - Y[:, 0]) / (1 - h)) ** 2 / weights.sum()
    assert error == pytest.approx(direct, rel=1e-8)


def test_skewed_target_ends_on_the_mode_the_held_out_rows_prefer():
    """Failure mode 1 (issue 18): on a skewed target, Levenberg-Marquardt with
    an evidence update per step reaches a mode with gamma ~ 180 of 201 and an
    output-weight penalty near 1e-7, fitting training rows at R^2 0.99 and
    new rows badly. With the leave-one-out check the fit ends on an earlier
    mode: a larger output-weight penalty, fewer effective weights, a lower
    leave-one-out error than the last update's, and good test R^2."""
    from sklearn.metrics import r2_score

    from sklearn_sigmoidnet import SigmoidMLPRegressor

    X, y = _skewed_problem(700)
    train, test = slice(0, 560), slice(560, None)
    model = SigmoidMLPRegressor(solver="lm", random_state=0).fit(X[train], y[train])
    assert model.solver_ == "lm"
    assert model.n_iter_ < 200  # stopped by the rule, not by max_iter
    assert model.alpha_[2] > 1e-5  # the output weights stay penalised
    assert model.n_effective_parameters_ < 0.75 * model._fitted_layout().n_parameters
    assert r2_score(y[test], model.predict(X[test])) > 0.8


def test_near_linear_data_stops_before_max_iter():
    """Failure mode 2: on near-linear data the input- and output-weight
    penalties trade off (the network's near-linear regime leaves the evidence
    flat along a scaling of W1 against W2) and per-step updates ran to
    max_iter. The leave-one-out error stops improving and the loop ends after
    LOO_PATIENCE updates without improvement, on the best one."""
    from sklearn.datasets import load_diabetes

    from sklearn_sigmoidnet import SigmoidMLPRegressor
    from sklearn_sigmoidnet._bayes import LOO_PATIENCE

    X, y = load_diabetes(return_X_y=True)
    model = SigmoidMLPRegressor(solver="lm", random_state=0).fit(X, y)
    assert model.n_iter_ < 100
    assert len(model.alpha_history_) == model.n_iter_  # one update per step
    # the run stopped LOO_PATIENCE updates after its best mode
    assert len(model.alpha_history_) >= LOO_PATIENCE + 1


def test_gamma_near_n_keeps_the_fit_from_interpolating():
    """Failure mode 3: more weights than rows (81 weights, 15 rows), where
    gamma can approach N and the noise estimate (N - gamma) / sse breaks
    down. A leverage near 1 makes that row's leave-one-out residual large, so
    an interpolating mode is never the best and the loop stops before the
    updates drift there. (Without the check, per-step updates passed through
    gamma 14.8 of N = 15 on this seed, 24.9 on seed 13: more effective
    weights than rows, only hidden by the cap of n_effective at N - 1.)"""
    from sklearn_sigmoidnet import SigmoidMLPRegressor

    rng = np.random.default_rng(12)
    X = rng.normal(size=(15, 6))
    y = X[:, 0] + 0.3 * rng.normal(size=15)
    model = SigmoidMLPRegressor(solver="lm", random_state=0).fit(X, y)
    assert model._fitted_layout().n_parameters == 81
    assert model.n_effective_parameters_ < 0.8 * 15
    assert model.noise_variance_[0] > 0.01  # not an interpolation (sse ~ 0)
    assert max(model.gamma_history_) < 0.5 * 15
    assert np.isfinite(model.log_evidence_)
