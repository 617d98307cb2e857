"""_kernel: NetworkKernel wires data, workspaces, runner and math. The numbers
do not depend on threads, blocks, waves, gathered or copied rows, or memory
layout: every such test compares bits."""

import numpy as np
import pytest
import scipy.sparse as sp

import sklearn_sigmoidnet._inputs as inputs_module
import sklearn_sigmoidnet._runner as runner_module
from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, loss_and_gradient
from sklearn_sigmoidnet._runner import block_bounds
from sklearn_sigmoidnet._threads import blas_single_threaded


@pytest.fixture
def blas_as_in_a_fit():
    """BLAS on one thread, as the estimator runs the kernel."""
    with blas_single_threaded():
        yield


def _results(kernel, theta):
    loss, gradient = kernel.loss_gradient(theta)
    return loss, gradient.copy(), kernel.predict(theta).copy()


def _assert_same_bits(results, expected):
    for (loss, gradient, predictions), name in zip(
        results, [repr(i) for i in range(len(results))], strict=True
    ):
        assert loss == expected[0], name
        np.testing.assert_array_equal(gradient, expected[1], err_msg=name)
        np.testing.assert_array_equal(predictions, expected[2], err_msg=name)


# ------------------------------------------------------------------- threads
@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_outputs, weighted", [(2, False), (1, True)])
@pytest.mark.parametrize("one_wave", [True, False])
def test_blocks_and_threads_give_identical_numbers(
    dtype, n_outputs, weighted, one_wave, monkeypatch
):
    """Many row blocks, evaluated by 1, 2 or 3 threads: the same bits.

    Threads take blocks from a shared queue, so which thread evaluates which
    block changes from call to call; repeated calls must not change a bit.
    Without room for all partial gradients at once, blocks go in several
    waves.
    """
    if not one_wave:
        monkeypatch.setattr(runner_module, "_PARTIALS_BYTES", 1)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80000, 6)).astype(dtype)
    Y = rng.uniform(0.2, 0.8, size=(80000, n_outputs)).astype(dtype)
    weights = rng.uniform(0.0, 2.0, size=80000) if weighted else None
    layout = ParameterLayout(6, 40, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    results = []
    for n_threads in (1, 2, 3):
        with NetworkKernel(
            X, Y, weights, layout=layout, alpha=0.1, n_threads=n_threads
        ) as kernel:
            assert kernel.n_blocks > 12
            for _ in range(3):
                loss, gradient = kernel.loss_gradient(theta)
                predictions = kernel.predict(theta)
                results.append((loss, gradient, predictions))
            if n_threads > 1:
                wave = kernel._gradients.partials.shape[0]
                waves = -(-kernel.n_blocks // wave)
                assert waves == 1 if one_wave else waves > 1
    for loss, gradient, predictions in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(gradient, results[0][1])
        np.testing.assert_array_equal(predictions, results[0][2])
    # and the blocked sum is the one-block answer up to rounding
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.1)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(results[0][0], loss, rtol=rtol)
    np.testing.assert_allclose(
        results[0][1], layout.pack(dW1, dW2), rtol=rtol, atol=rtol * 1e-3
    )


def _many_blocks_problem(dtype, n_outputs, weighted, sparse=False, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5000, 6)).astype(dtype)
    if sparse:
        X = sp.csr_array(X * (rng.random(X.shape) < 0.5))
    Y = rng.uniform(0.2, 0.8, size=(5000, n_outputs))
    weights = rng.uniform(0.0, 2.0, size=5000) if weighted else None
    layout = ParameterLayout(6, 10, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    return X, Y, weights, layout, theta


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "n_outputs, weighted, sparse",
    [(1, False, False), (1, True, False), (3, False, False), (2, True, True)],
)
@pytest.mark.parametrize("partials_bytes", [2**30, 1])
def test_threads_and_waves_give_identical_numbers_quickly(
    dtype, n_outputs, weighted, sparse, partials_bytes, monkeypatch, blas_as_in_a_fit
):
    """The quick loop's version of the test above: 256-row blocks (a small
    _BLOCK_BYTES), one wave or a wave per block, 1, 2 and 3 threads, every
    path of the kernel (one output, several, weights, sparse)."""
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(runner_module, "_PARTIALS_BYTES", partials_bytes)
    X, Y, weights, layout, theta = _many_blocks_problem(
        dtype, n_outputs, weighted, sparse
    )
    results = []
    for n_threads in (1, 2, 3):
        with NetworkKernel(
            X, Y, weights, layout=layout, alpha=0.1, n_threads=n_threads
        ) as kernel:
            assert kernel.n_blocks == 20 and kernel.n_threads == n_threads
            for _ in range(3):
                results.append(_results(kernel, theta))
            wave = kernel._gradients.partials.shape[0]
            if n_threads == 1:
                assert wave == 1
            elif partials_bytes == 1:
                assert wave == 4 * n_threads  # blocks_per_thread a thread
            else:
                assert wave == kernel.n_blocks
    _assert_same_bits(results, results[0])
    W1, W2 = layout.unpack(theta)
    loss, dW1, dW2 = loss_and_gradient(X, Y, W1, W2, sample_weight=weights, alpha=0.1)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(results[0][0], loss, rtol=rtol)
    np.testing.assert_allclose(
        results[0][1], layout.pack(dW1, dW2), rtol=rtol, atol=rtol * 1e-3
    )


def test_more_threads_than_blocks():
    X, Y, weights, layout, theta = _many_blocks_problem(np.float64, 1, False)
    with NetworkKernel(X[:100], Y[:100], layout=layout, n_threads=8) as kernel:
        assert kernel.n_blocks == 1 and kernel.n_threads == 1
        assert len(kernel._workspaces) == 1


# -------------------------------------------------- gathered and copied rows
def test_gathered_rows_match_materialised_rows(monkeypatch):
    """Training rows gathered block by block give the bits of a copied subset."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3000, 5))
    rows = rng.permutation(3000)[:2500]
    Y = rng.uniform(0.2, 0.8, size=(2500, 1))
    layout = ParameterLayout(5, 30, 1)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    copied = NetworkKernel(X, Y, layout=layout, rows=rows)
    assert not copied.data.gathers_inputs
    monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    gathered = NetworkKernel(X, Y, layout=layout, rows=rows)
    assert gathered.data.gathers_inputs
    loss_copied, gradient_copied = copied.loss_gradient(theta)
    loss_gathered, gradient_gathered = gathered.loss_gradient(theta)
    assert loss_copied == loss_gathered
    np.testing.assert_array_equal(gradient_copied, gradient_gathered)


@pytest.mark.parametrize("gathered", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_rows_are_the_subset_they_pick(monkeypatch, gathered, n_outputs):
    """A kernel on rows of X is the kernel on X[rows], bit for bit."""
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 1)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(1500, 4))
    rows = rng.permutation(1500)[:1200]
    Y = rng.uniform(0.2, 0.8, size=(1200, n_outputs))
    weights = rng.uniform(0.5, 1.5, size=1200)
    layout = ParameterLayout(4, 6, n_outputs)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X[rows], Y, weights, layout=layout, n_threads=2) as subset:
        expected = _results(subset, theta)
    if gathered:
        monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    with NetworkKernel(X, Y, weights, layout=layout, rows=rows, n_threads=2) as kernel:
        assert kernel.data.gathers_inputs == gathered
        assert kernel.n_samples == 1200 and kernel.n_blocks > 1
        _assert_same_bits([_results(kernel, theta)], expected)


# ------------------------------------------------------------ memory layouts
def _strided(X):
    """X as every other column of a wider array: neither C nor F contiguous."""
    wide = np.repeat(X, 2, axis=1)
    wide[:, 1::2] = np.nan  # never read
    return wide[:, ::2]


@pytest.mark.parametrize("gathered", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_rows", [False, True])
def test_memory_layout_does_not_change_a_bit(
    tmp_path, monkeypatch, gathered, dtype, with_rows
):
    """C order, Fortran order, a strided view and memory-mapped files (C and
    Fortran order): the same loss, gradient and predictions, bit for bit, on
    the copy path and on the gathered one."""
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 1)  # several blocks
    rng = np.random.default_rng(8)
    X = rng.normal(size=(1300, 5)).astype(dtype)
    rows = rng.permutation(1300)[:1000] if with_rows else None
    n_kernel = 1000 if with_rows else 1300
    Y = rng.uniform(0.2, 0.8, size=(n_kernel, 1))
    layout = ParameterLayout(5, 7, 1)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, Y, layout=layout, rows=rows, n_threads=2) as reference:
        assert not reference.data.gathers_inputs and reference.n_blocks > 1
        expected = _results(reference, theta)
    for order in ("C", "F"):
        path = tmp_path / f"X_{order}.dat"
        written = np.memmap(path, dtype=dtype, mode="w+", shape=X.shape, order=order)
        written[...] = X
        written.flush()
        del written
    layouts = {
        "C": X.copy(),
        "F": np.asfortranarray(X),
        "strided": _strided(X),
        "memmap": np.memmap(tmp_path / "X_C.dat", dtype=dtype, mode="r", shape=X.shape),
        "memmap F": np.memmap(
            tmp_path / "X_F.dat", dtype=dtype, mode="r", shape=X.shape, order="F"
        ),
    }
    if gathered:
        monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    for name, array in layouts.items():
        np.testing.assert_array_equal(array, X)
        with NetworkKernel(array, Y, layout=layout, rows=rows, n_threads=2) as kernel:
            # only C-ordered inputs are gathered; others are one C-ordered copy
            assert kernel.data.gathers_inputs == (
                gathered and array.flags.c_contiguous
            ), name
            _assert_same_bits([_results(kernel, theta)], expected)


def test_fortran_x_is_held_as_one_c_ordered_copy(monkeypatch):
    monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    rng = np.random.default_rng(9)
    X = np.asfortranarray(rng.normal(size=(500, 4)))
    layout = ParameterLayout(4, 3, 1)
    with NetworkKernel(X, layout=layout) as kernel:
        assert not kernel.data.gathers_inputs
        assert kernel.data.inputs.flags.c_contiguous
        assert kernel.data.inputs.shape == (500, 5)
        np.testing.assert_array_equal(kernel.data.inputs[:, :-1], X)


# ------------------------------------------------------------- the interface
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_alone_is_the_loss_of_loss_gradient(dtype, weighted, monkeypatch):
    monkeypatch.setattr(runner_module, "_BLOCK_BYTES", 1)
    X, Y, weights, layout, theta = _many_blocks_problem(dtype, 2, weighted)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.3, n_threads=2) as k:
        assert k.loss(theta) == k.loss_gradient(theta)[0]
        other = theta * 0.5
        assert k.loss(other) == k.loss_gradient(other)[0]
        assert k.loss(theta) != k.loss(other)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_is_the_network(dtype):
    rng = np.random.default_rng(10)
    X = rng.normal(size=(300, 3)).astype(dtype)
    layout = ParameterLayout(3, 5, 2)
    theta = rng.normal(size=layout.n_parameters)
    with NetworkKernel(X, layout=layout) as kernel:
        predictions = kernel.predict(theta)
        out = np.empty((300, 2), dtype=dtype)
        assert kernel.predict(theta, out=out) is out
    assert predictions.dtype == dtype and predictions.shape == (300, 2)
    np.testing.assert_array_equal(out, predictions)
    W1, W2 = layout.unpack(theta)
    Z = 1 / (1 + np.exp(-(X.astype(np.float64) @ W1[:-1] + W1[-1])))
    Yhat = 1 / (1 + np.exp(-(Z @ W2[:-1] + W2[-1])))
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(predictions, Yhat, rtol=rtol)


def test_gradient_is_written_into_the_given_array():
    X, Y, weights, layout, theta = _many_blocks_problem(np.float32, 1, True)
    with NetworkKernel(X, Y, weights, layout=layout) as kernel:
        loss32, gradient32 = kernel.loss_gradient(theta)
        assert gradient32.dtype == np.float32
        out = np.full(layout.n_parameters, np.nan)
        loss, gradient = kernel.loss_gradient(theta, out)
    assert gradient is out and gradient.dtype == np.float64
    assert loss == loss32
    # the last steps (scaling, W2's bias fold-in) then run in float64
    np.testing.assert_allclose(out, gradient32, rtol=1e-6)


def test_sparse_and_dense_give_the_same_numbers():
    X, Y, weights, layout, theta = _many_blocks_problem(np.float64, 1, True)
    X = X * (np.random.default_rng(0).random(X.shape) < 0.3)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.2) as dense:
        expected = _results(dense, theta)
    for container in (sp.csr_array, sp.csc_matrix):
        with NetworkKernel(
            container(X), Y, weights, layout=layout, alpha=0.2
        ) as sparse:
            loss, gradient, predictions = _results(sparse, theta)
        np.testing.assert_allclose(loss, expected[0], rtol=1e-12)
        np.testing.assert_allclose(gradient, expected[1], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(predictions, expected[2], rtol=1e-12)


def test_the_kernel_never_writes_its_inputs():
    X, Y, weights, layout, theta = _many_blocks_problem(np.float64, 2, True)
    arrays = [X.copy(), Y.copy(), weights.copy(), theta.copy()]
    for array in arrays:
        array.flags.writeable = False
    with NetworkKernel(*arrays[:3], layout=layout, alpha=0.1, n_threads=2) as kernel:
        _results(kernel, arrays[3])
        kernel.loss(arrays[3])
        P = layout.n_parameters
        kernel.normal_equations(arrays[3], np.zeros((P, P), order="F"), np.zeros(P))
    for array, original in zip(arrays, [X, Y, weights, theta], strict=True):
        np.testing.assert_array_equal(array, original)


def test_context_manager_stops_the_threads_and_the_kernel_still_works():
    X, Y, weights, layout, theta = _many_blocks_problem(np.float64, 1, False)
    with NetworkKernel(X, Y, layout=layout, n_threads=2) as kernel:
        before = _results(kernel, theta)
        assert kernel.runner._executor is not None or kernel.n_blocks == 1
    assert kernel.runner._executor is None
    _assert_same_bits([_results(kernel, theta)], before)  # restarts its pool
    kernel.close()
    assert kernel.runner._executor is None


def test_huge_weights_give_no_warning():
    """Overflow is the callers' to check: the kernel does not warn (pytest
    turns RuntimeWarnings into errors). Saturated hidden units (huge W1) give
    a finite loss, that of the network with Z = 0 or 1; huge output weights
    may give inf - inf = NaN."""
    X, Y, weights, layout, theta = _many_blocks_problem(np.float64, 1, False)
    huge_W1 = theta.copy()
    huge_W1[: layout.size1] *= 1e100
    with NetworkKernel(X, Y, layout=layout, alpha=0.0) as kernel:
        loss, gradient = kernel.loss_gradient(huge_W1)
        W1, W2 = layout.unpack(huge_W1)
        Z = (X @ W1[:-1] + W1[-1] > 0).astype(float)  # saturated units
        Yhat = 1 / (1 + np.exp(-(Z @ W2[:-1] + W2[-1])))
        assert loss == pytest.approx(0.5 * np.mean((Yhat - Y) ** 2), rel=1e-12)
        assert np.all(np.isfinite(gradient))
        assert kernel.loss(huge_W1) == loss
        kernel.loss_gradient(theta * 1e300)  # NaN or not: no warning
        kernel.predict(theta * 1e300)


# Found by review: each of these failed before its fix.
def test_block_bounds_of_no_rows():
    bounds = block_bounds(0, 5, 8)  # fails: ZeroDivisionError
    assert bounds[0] == 0 and bounds[-1] == 0


def test_predict_on_no_rows():
    layout = ParameterLayout(3, 4, 1)
    theta = np.zeros(layout.n_parameters)
    with NetworkKernel(np.zeros((0, 3)), layout=layout) as kernel:  # fails
        assert kernel.predict(theta).shape == (0, 1)
