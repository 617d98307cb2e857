"""_gauss_newton: the hand-coded Jacobian and the normal equations J^T J, J^T r."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import central_differences

import sklearn_sigmoidnet._gauss_newton as gauss_newton
import sklearn_sigmoidnet._runner as runner_module
from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, loss_and_gradient
from sklearn_sigmoidnet._threads import blas_single_threaded


def _kernel(n_outputs=1, weighted=True, alpha=0.3, sparse=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(9, 3))
    Y = rng.uniform(0.1, 0.9, size=(9, n_outputs))
    weights = rng.uniform(0.2, 2.0, size=9) if weighted else None
    layout = ParameterLayout(3, 4, n_outputs)
    theta = rng.normal(size=layout.n_parameters)
    X_in = sp.csr_array(X) if sparse else X
    kernel = NetworkKernel(X_in, Y, weights, layout=layout, alpha=alpha)
    return kernel, theta, (X, Y, weights, alpha, layout)


def _normal_equations(kernel, theta):
    P = theta.size
    JtJ, Jtr = np.zeros((P, P), order="F"), np.zeros(P)
    loss = kernel.normal_equations(theta, JtJ, Jtr)
    return loss, JtJ, Jtr


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_jacobian_against_finite_differences(n_outputs, weighted, sparse):
    kernel, theta, _ = _kernel(n_outputs, weighted, sparse=sparse)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    assert jacobian.shape == (residuals.size, theta.size)
    numeric = central_differences(lambda t: kernel.residuals_jacobian(t)[0], theta)
    assert np.max(np.abs(jacobian - numeric)) < 1e-8 * max(1.0, np.abs(numeric).max())


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_half_squared_residuals_and_jtr_are_loss_and_gradient(n_outputs):
    kernel, theta, (X, Y, weights, alpha, layout) = _kernel(n_outputs)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=alpha)
    np.testing.assert_allclose(0.5 * residuals @ residuals, loss, rtol=1e-12)
    np.testing.assert_allclose(
        jacobian.T @ residuals, layout.pack(dW1, dW2), rtol=1e-10
    )


def test_residuals_are_ordered_sample_then_output():
    """r_ij = sqrt(w_i/S) (Yhat_ij - Y_ij), then sqrt(alpha/S) theta over the
    penalised weights."""
    kernel, theta, (X, Y, weights, alpha, layout) = _kernel(2)
    residuals, _ = kernel.residuals_jacobian(theta)
    W1, W2 = layout.unpack(theta)
    Z = 1 / (1 + np.exp(-(X @ W1[:-1] + W1[-1])))
    Yhat = 1 / (1 + np.exp(-(Z @ W2[:-1] + W2[-1])))
    S = weights.sum()
    expected = (np.sqrt(weights / S)[:, None] * (Yhat - Y)).ravel()
    np.testing.assert_allclose(residuals[: Y.size], expected, rtol=1e-12)
    mask = layout.penalty_mask().astype(bool)
    np.testing.assert_allclose(
        residuals[Y.size :], np.sqrt(alpha / S) * theta[mask], rtol=1e-14
    )


def test_normal_equations_accumulate_the_whole_jacobian():
    kernel, theta, _ = _kernel(2)
    residuals, jacobian = kernel.residuals_jacobian(theta)
    P = theta.size
    JtJ, Jtr = np.zeros((P, P), order="F"), np.zeros(P)
    loss = kernel.normal_equations(theta, JtJ, Jtr)
    upper = np.triu_indices(P)
    np.testing.assert_allclose(JtJ[upper], (jacobian.T @ jacobian)[upper], rtol=1e-12)
    np.testing.assert_allclose(Jtr, jacobian.T @ residuals, rtol=1e-12)
    np.testing.assert_allclose(loss, 0.5 * residuals @ residuals, rtol=1e-12)
    np.testing.assert_allclose(kernel.loss(theta), loss, rtol=1e-12)


@pytest.fixture(autouse=True)
def blas_as_in_a_fit():
    """BLAS on one thread, as the estimator runs the kernel: OpenBLAS's own
    threads, with the runner's, make small products many times slower."""
    with blas_single_threaded():
        yield


@pytest.fixture
def small_blocks(monkeypatch):
    """Row blocks of 256 rows, each cut into Jacobian blocks of about 100 rows:
    many blocks from a few thousand rows."""
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 2**14)
    monkeypatch.setattr(gauss_newton, "_JACOBIAN_BYTES", 2**17)


def _large_problem(dtype, n_outputs, weighted, sparse=False, n_samples=2000):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(n_samples, 5)).astype(dtype)
    if sparse:
        X = sp.csr_array(X * (rng.random(X.shape) < 0.4))
    Y = rng.uniform(0.2, 0.8, size=(n_samples, n_outputs))
    weights = rng.uniform(0.0, 2.0, size=n_samples) if weighted else None
    layout = ParameterLayout(5, 12, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    return X, Y, weights, layout, theta


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "n_outputs, weighted, sparse",
    [(1, True, False), (2, False, False), (2, True, True)],
)
def test_normal_equations_of_many_jacobian_blocks(
    dtype, n_outputs, weighted, sparse, small_blocks, monkeypatch
):
    """Many row blocks, each cut into Jacobian blocks: J^T J, J^T r and the
    loss are those of the whole Jacobian (from a kernel whose rows are one
    Jacobian block); J^T J has both triangles."""
    X, Y, weights, layout, theta = _large_problem(dtype, n_outputs, weighted, sparse)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.1) as kernel:
        loss, JtJ, Jtr = _normal_equations(kernel, theta)
        assert len(kernel._normal_equations.blocks) > kernel.n_blocks > 2
        kernel_loss = kernel.loss(theta)
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 2**30)
    monkeypatch.setattr(gauss_newton, "_JACOBIAN_BYTES", 2**30)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.1) as whole:
        residuals, jacobian = whole.residuals_jacobian(theta)
        assert len(whole._normal_equations.blocks) == 1
    assert jacobian.dtype == dtype
    jacobian = jacobian.astype(np.float64)
    residuals = residuals.astype(np.float64)
    np.testing.assert_array_equal(JtJ, JtJ.T)
    # float32: the blocks' products round differently from the whole one's
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    JtJ_whole, Jtr_whole = jacobian.T @ jacobian, jacobian.T @ residuals
    np.testing.assert_allclose(
        JtJ, JtJ_whole, rtol=rtol, atol=rtol * 1e-3 * np.abs(JtJ_whole).max()
    )
    np.testing.assert_allclose(
        Jtr, Jtr_whole, rtol=rtol, atol=rtol * 1e-3 * np.abs(Jtr_whole).max()
    )
    np.testing.assert_allclose(loss, 0.5 * residuals @ residuals, rtol=rtol)
    np.testing.assert_allclose(loss, kernel_loss, rtol=1e-5 if rtol > 1e-10 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_outputs, weighted", [(1, True), (2, False)])
@pytest.mark.parametrize("one_wave", [True, False])
def test_normal_equations_bits_for_1_2_3_threads(
    dtype, n_outputs, weighted, one_wave, small_blocks, monkeypatch
):
    """The same bits of J^T J, J^T r and the loss for every thread count, and
    from call to call (threads take Jacobian blocks in any order)."""
    monkeypatch.setattr(runner_module, "_PARTIALS_BYTES", 2**30 if one_wave else 1)
    X, Y, weights, layout, theta = _large_problem(dtype, n_outputs, weighted)
    results = []
    for n_threads in (1, 2, 3):
        with NetworkKernel(
            X, Y, weights, layout=layout, alpha=0.1, n_threads=n_threads
        ) as kernel:
            assert kernel.n_blocks > 3 and kernel.n_threads == n_threads
            for _ in range(2):
                results.append(_normal_equations(kernel, theta))
            equations = kernel._normal_equations
            n_waves = -(-len(equations.blocks) // equations.n_slots)
            if n_threads > 1:
                assert n_waves == 1 if one_wave else n_waves > 1
    for loss, JtJ, Jtr in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(JtJ, results[0][1])
        np.testing.assert_array_equal(Jtr, results[0][2])


def test_jacobian_pieces_are_nearly_equal():
    pieces = list(gauss_newton._pieces(100, 1100, 300))
    assert pieces[0][0] == 100 and pieces[-1][1] == 1100
    sizes = [stop - start for start, stop in pieces]
    assert len(sizes) == 4 and max(sizes) <= 300 and max(sizes) - min(sizes) <= 1
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert list(gauss_newton._pieces(0, 5, 300)) == [(0, 5)]


# Found by review: each of these failed before its fix.
def test_residuals_jacobian_of_several_jacobian_blocks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 10))
    Y = rng.uniform(0.2, 0.8, size=(3000, 1))
    layout = ParameterLayout(10, 8, 1)  # 97 weights: 1351 rows per Jacobian block
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, Y, layout=layout) as kernel:
        residuals, jacobian = kernel.residuals_jacobian(theta)
        assert len(kernel._normal_equations.blocks) == 3
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2)
    np.testing.assert_allclose(0.5 * residuals @ residuals, loss, rtol=1e-12)
    # J^T r is the gradient (docstring: 0.5 ||r||^2 is the loss): fails
    np.testing.assert_allclose(jacobian.T @ residuals, layout.pack(dW1, dW2), rtol=1e-8)
