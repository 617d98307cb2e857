"""_dask: the data-parallel layer on a 2-worker LocalCluster.

The dask kernel computes each chunk with the project's NetworkKernel and adds
the chunks' partial sums in chunk order on the client: the same numbers as
the in-memory kernel up to rounding (about 1e-16 relative), and the same
bits on 1, 2 or 3 workers. A different chunking groups the sums differently
and differs in the last bits.
"""

import pickle
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    SigmoidMLPRegressor,
    TargetMapping,
    glorot_uniform,
)
from sklearn_sigmoidnet._data import constant_prediction_loss
from sklearn_sigmoidnet._monitor import weighted_r2
from sklearn_sigmoidnet._posterior import posterior_at
from sklearn_sigmoidnet._threads import blas_single_threaded
from sklearn_sigmoidnet.solvers import (
    Objective,
    gradient_descent,
    lbfgs,
    levenberg_marquardt,
)

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn_sigmoidnet._dask import (  # noqa: E402
    DaskNetworkKernel,
    check_dask_data,
    data_statistics,
    is_dask_collection,
    predict_network,
    predict_outputs,
    predict_variances,
    split_validation,
    to_network,
)
from sklearn_sigmoidnet._dask._chunks import ChunkKernel  # noqa: E402

# a 2-worker cluster: about 20-30 s for the module on two shared cores
pytestmark = pytest.mark.slow

OUTPUT_RANGE = (0.2, 0.8)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _set_workers(client, n):
    client.cluster.scale(n)
    client.wait_for_workers(n)
    deadline = time.monotonic() + 30
    while len(client.scheduler_info()["workers"]) != n:
        assert time.monotonic() < deadline, "the cluster did not scale"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def problem():
    """Friedman #1, 1200 x 10, one output, weights, on the network's scale."""
    X, y = make_friedman1(n_samples=1200, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    mapping = TargetMapping.fit(y[:, None], OUTPUT_RANGE)
    return X, y, weights, mapping.to_network(y[:, None])


def _two_outputs(X, y):
    Y = np.column_stack([y, np.sin(X[:, 0])])
    return TargetMapping.fit(Y, OUTPUT_RANGE).to_network(Y)


def _dask(array, chunks):
    return da.from_array(array, chunks=(chunks,) + (-1,) * (array.ndim - 1))


def _results(kernel, theta):
    P = kernel.layout.n_parameters
    JtJ, Jtr = np.empty((P, P), order="F"), np.empty(P)
    with blas_single_threaded():
        loss, gradient = kernel.loss_gradient(theta)
        gradient = np.array(gradient, dtype=np.float64)
        only_loss = kernel.loss(theta)
        gn_loss = kernel.normal_equations(theta, JtJ, Jtr)
    return loss, gradient, only_loss, gn_loss, JtJ, Jtr


def _relative(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_the_workers_import_this_package(client):
    import sklearn_sigmoidnet

    files = client.run(lambda: __import__("sklearn_sigmoidnet").__file__)
    assert set(files.values()) == {sklearn_sigmoidnet.__file__}


def test_is_dask_collection(problem):
    X = problem[0]
    assert is_dask_collection(_dask(X, 100))
    assert not is_dask_collection(X)
    assert not is_dask_collection([[1.0]])


# ------------------------------------------------- the kernel against memory
@pytest.mark.parametrize(
    "alpha", [0.0, 1e-3, np.array([1e-3, 2e-3, 5e-4])], ids=["0", "1e-3", "three"]
)
@pytest.mark.parametrize("weighted, n_outputs", [(False, 1), (True, 1), (True, 2)])
def test_kernel_matches_the_in_memory_kernel(
    client, problem, alpha, weighted, n_outputs
):
    X, y, weights, Y = problem
    Y = Y if n_outputs == 1 else _two_outputs(X, y)
    weights = weights if weighted else None
    layout = ParameterLayout(X.shape[1], 7, n_outputs)
    theta = glorot_uniform(layout, np.random.RandomState(3))
    with NetworkKernel(X, Y, weights, layout=layout, alpha=alpha) as kernel:
        expected = _results(kernel, theta)
        weight_sum = kernel.data.weight_sum
    with DaskNetworkKernel(
        _dask(X, 250),
        _dask(Y, 250),
        None if weights is None else _dask(weights, 250),
        layout=layout,
        alpha=alpha,
        client=client,
    ) as kernel:
        assert kernel.n_chunks == 5 and kernel.n_samples == X.shape[0]
        assert kernel.data.weight_sum == pytest.approx(weight_sum, rel=1e-15)
        got = _results(kernel, theta)
    for name, value, reference in zip(
        ["loss", "gradient", "loss()", "GN loss", "JtJ", "Jtr"],
        got,
        expected,
        strict=True,
    ):
        assert _relative(value, reference) <= 1e-12, name
    np.testing.assert_array_equal(got[4], got[4].T)  # both triangles


def test_float32_kernel_sums_its_chunks_in_float64(client, problem):
    X, _, weights, Y = problem
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    layout = ParameterLayout(X.shape[1], 7, 1)
    theta = glorot_uniform(layout, np.random.RandomState(13))
    with NetworkKernel(X, Y32.astype(np.float64), weights, layout=layout) as kernel:
        exact = _results(kernel, theta)  # float64 on float32's values
    with NetworkKernel(X32, Y32, weights, layout=layout) as kernel:
        in_memory = _results(kernel, theta)
    with DaskNetworkKernel(
        _dask(X32, 250),
        _dask(Y32, 250),
        _dask(weights, 250),
        layout=layout,
        client=client,
    ) as kernel:
        assert kernel.dtype == np.float32
        got = _results(kernel, theta)
    for value, reference, memory in zip(got, exact, in_memory, strict=True):
        assert _relative(value, reference) <= 1e-5
        assert _relative(memory, reference) <= 1e-5


def test_the_same_bits_on_1_2_and_3_workers(client, problem):
    X, y, weights, _ = problem
    Y = _two_outputs(X, y)
    layout = ParameterLayout(X.shape[1], 6, 2)
    theta = glorot_uniform(layout, np.random.RandomState(4))
    results, holders = {}, {}
    try:
        for n_workers in (3, 1, 2):
            _set_workers(client, n_workers)
            with DaskNetworkKernel(
                _dask(X, 100),
                _dask(Y, 100),
                _dask(weights, 100),
                layout=layout,
                alpha=1e-3,
                client=client,
            ) as kernel:
                holders[n_workers] = {
                    worker
                    for workers in client.who_has(kernel._chunks).values()
                    for worker in workers
                }
                results[n_workers] = _results(kernel, theta)
    finally:
        _set_workers(client, 2)
    assert len(holders[3]) == 3 and len(holders[2]) == 2  # the chunks are spread
    for n_workers in (1, 3):
        for value, reference in zip(results[n_workers], results[2], strict=True):
            np.testing.assert_array_equal(value, reference)


def test_other_chunkings_differ_in_rounding_only(client, problem):
    X, _, weights, Y = problem
    layout = ParameterLayout(X.shape[1], 7, 1)
    theta = glorot_uniform(layout, np.random.RandomState(5))
    results = []
    for chunks in (1200, 400, 173):  # ragged chunks too
        with DaskNetworkKernel(
            _dask(X, chunks),
            _dask(Y, chunks),
            _dask(weights, chunks),
            layout=layout,
            client=client,
        ) as kernel:
            results.append(_results(kernel, theta))
    for other in results[1:]:
        for value, reference in zip(other, results[0], strict=True):
            assert _relative(value, reference) <= 1e-13


def test_rows_of_zero_weight_and_empty_chunks_are_dropped(client, problem):
    X, _, weights, Y = problem
    weights = weights.copy()
    weights[200:400] = 0.0  # chunk 1 wholly, and part of chunk 2
    weights[450:460] = 0.0
    kept = weights > 0
    layout = ParameterLayout(X.shape[1], 5, 1)
    theta = glorot_uniform(layout, np.random.RandomState(6))
    with NetworkKernel(X[kept], Y[kept], weights[kept], layout=layout) as kernel:
        expected = _results(kernel, theta)
    X_dask = da.concatenate([_dask(X[:200], 200), _dask(X[200:], 200)])
    with DaskNetworkKernel(
        X_dask, _dask(Y, 200), _dask(weights, 200), layout=layout, client=client
    ) as kernel:
        assert kernel.n_samples == kept.sum()
        assert kernel.chunk_samples[1] == 0
        got = _results(kernel, theta)
    for value, reference in zip(got, expected, strict=True):
        assert _relative(value, reference) <= 1e-12


def test_a_chunk_kernel_pickles_as_its_data(problem):
    X, _, weights, Y = problem
    layout = ParameterLayout(X.shape[1], 5, 1)
    theta = glorot_uniform(layout, np.random.RandomState(7))
    chunk = ChunkKernel(X[:300], Y[:300], weights[:300], layout)
    assert chunk._X is None  # the kernel's copy of [X, 1] is the only one
    assert chunk.__sizeof__() >= X[:300].nbytes
    copy = pickle.loads(pickle.dumps(chunk))
    np.testing.assert_array_equal(copy.X, X[:300])
    a, b = chunk.run("loss_gradient", theta), copy.run("loss_gradient", theta)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


# ---------------------------------------------------------------- solvers
def _objective(kernel, loss_scale):
    """As the estimator builds it."""
    return Objective(
        lambda theta, gradient: kernel.loss_gradient(theta, gradient)[0],
        n_parameters=kernel.layout.n_parameters,
        loss=kernel.loss,
        normal_equations=kernel.normal_equations,
        loss_scale=loss_scale,
    )


SOLVERS = {
    "lbfgs": lambda objective, theta: lbfgs(objective, theta, max_iter=15, tol=0),
    "gd": lambda objective, theta: gradient_descent(
        objective,
        theta,
        max_iter=40,
        tol=0,
        learning_rate=0.5,
        momentum=0.9,
        n_iter_no_change=10,
    ),
    "lm": lambda objective, theta: levenberg_marquardt(
        objective, theta, max_iter=10, tol=0
    ),
}
# Largest relative weight difference from the in-memory kernel's fit,
# measured on this problem (max |dtheta| / max |theta|), without / with
# alpha=1e-3: lbfgs 15 iterations 8e-14 / 2e-14 (30: 2e-11 / 5e-12; 50: 1e-8 /
# 1e-10; by 100 iterations L-BFGS has amplified the last-bit differences of
# the sums to 4e-2 / 3e-4, as between any two orders of summation); gd 40
# iterations 4e-16 / 5e-16 (200: the same); lm 10 iterations 5e-11 / 4e-12
# (100: 3e-8 / 3e-10, the unpenalised J^T J being ill-conditioned).
WEIGHT_RTOL = {"lbfgs": 1e-11, "gd": 1e-13, "lm": 1e-9}


@pytest.mark.parametrize("alpha", [0.0, 1e-3])
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_solvers_on_the_dask_kernel_match_memory(client, problem, solver, alpha):
    X, _, _, Y = problem
    layout = ParameterLayout(X.shape[1], 6, 1)
    theta = glorot_uniform(layout, np.random.RandomState(0))
    reference = constant_prediction_loss(Y, None, OUTPUT_RANGE)
    with NetworkKernel(X, Y, layout=layout, alpha=alpha) as kernel:
        with blas_single_threaded():
            expected = SOLVERS[solver](_objective(kernel, reference), theta)
    with DaskNetworkKernel(
        _dask(X, 300), _dask(Y, 300), layout=layout, alpha=alpha, client=client
    ) as kernel:
        scale = kernel.constant_prediction_loss(OUTPUT_RANGE)
        assert scale == pytest.approx(reference, rel=1e-14)
        got = SOLVERS[solver](_objective(kernel, scale), theta)
    assert got.n_iter == expected.n_iter
    assert _relative(got.theta, expected.theta) <= WEIGHT_RTOL[solver]
    assert got.loss == pytest.approx(expected.loss, rel=WEIGHT_RTOL[solver])


def _posterior(kernel, theta):
    found, interrupted = posterior_at(
        kernel, theta, kernel.loss(theta), n_outputs=1, with_matrix=True
    )
    assert not interrupted
    return found


def test_the_posterior_on_the_dask_kernel(client, problem):
    """The evidence machinery sees only the kernel's interface."""
    X, _, weights, Y = problem
    layout = ParameterLayout(X.shape[1], 4, 1)
    theta = glorot_uniform(layout, np.random.RandomState(8))
    alpha = np.array([1e-2, 1e-3, 1e-2])
    with NetworkKernel(X, Y, weights, layout=layout, alpha=alpha) as kernel:
        expected = _posterior(kernel, theta)
    with DaskNetworkKernel(
        _dask(X, 400),
        _dask(Y, 400),
        _dask(weights, 400),
        layout=layout,
        alpha=alpha,
        client=client,
    ) as kernel:
        got = _posterior(kernel, theta)
    assert got.log_evidence == pytest.approx(expected.log_evidence, rel=1e-10)
    assert got.n_effective == pytest.approx(expected.n_effective, rel=1e-10)
    assert _relative(got.covariance, expected.covariance) <= 1e-9


# ------------------------------------------------------- statistics pass
def test_statistics_match_memory(client, problem):
    X, y, weights, _ = problem
    Y = np.column_stack([y, np.cos(X[:, 1])])
    weights = weights.copy()
    weights[:5] = 0.0
    Y[0] = 1e3  # of zero weight: not an extreme
    data = check_dask_data(_dask(X, 300), _dask(Y, 300), _dask(weights, 300))
    (stats,) = data_statistics(data)
    expected = TargetMapping.fit(Y, OUTPUT_RANGE, weights)
    mapping = stats.target_mapping(OUTPUT_RANGE)
    np.testing.assert_array_equal(mapping.y_min, expected.y_min)
    np.testing.assert_array_equal(mapping.y_max, expected.y_max)
    assert stats.n_positive == 1195 and stats.n_samples == 1200
    assert stats.weight_sum == pytest.approx(weights.sum(), rel=1e-15)
    kept = weights > 0
    Y_network = expected.to_network(Y[kept])
    reference = constant_prediction_loss(Y_network, weights[kept], OUTPUT_RANGE)
    got = stats.constant_prediction_loss(mapping, OUTPUT_RANGE)
    assert got == pytest.approx(reference, rel=1e-13)
    with DaskNetworkKernel(
        data.X,
        to_network(data.Y, mapping, np.float64),
        data.sample_weight,
        layout=ParameterLayout(10, 3, 2),
        client=client,
    ) as kernel:
        in_kernel = kernel.constant_prediction_loss(OUTPUT_RANGE)
    assert in_kernel == pytest.approx(reference, rel=1e-13)


def test_a_constant_target_gets_the_floor(client, problem):
    X = problem[0]
    data = check_dask_data(_dask(X, 300), np.full(len(X), 3.0))
    (stats,) = data_statistics(data)
    mapping = stats.target_mapping(OUTPUT_RANGE)
    Y_network = mapping.to_network(np.full((len(X), 1), 3.0))
    expected = constant_prediction_loss(Y_network, None, OUTPUT_RANGE)
    assert stats.constant_prediction_loss(mapping, OUTPUT_RANGE) == expected


def test_y_and_weights_are_rechunked_like_x(problem):
    X, y, weights, _ = problem
    data = check_dask_data(_dask(X, 300), _dask(y, 170), weights)
    assert data.Y.chunks == ((300,) * 4, (1,)) and data.single_output
    assert data.sample_weight.chunks == ((300,) * 4,)
    assert data.X.dtype == np.float64 and data.Y.dtype == np.float64
    data = check_dask_data(_dask(X.astype(np.float32), 300), _dask(y, 300), 2.0)
    assert data.X.dtype == np.float32
    np.testing.assert_array_equal(data.sample_weight.compute(), np.full(len(y), 2.0))
    data = check_dask_data(_dask(X.astype(int), 300))
    assert data.X.dtype == np.float64


# ------------------------------------------------------------- bad input
def _in_memory_error(X, y, sample_weight=None):
    with pytest.raises(ValueError) as error:
        SigmoidMLPRegressor(max_iter=1).fit(X, y, sample_weight)
    return str(error.value)


@pytest.mark.parametrize(
    "where, value",
    [("X", np.nan), ("X", np.inf), ("y", np.nan), ("y", -np.inf), ("w", np.nan)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_non_finite_values_give_scikit_learns_error(problem, where, value, dtype):
    X, y, weights, _ = problem
    X, y, weights = X.astype(dtype), y.copy(), weights.copy()
    {"X": X[:, 3], "y": y, "w": weights}[where][700] = value
    expected = _in_memory_error(X, y, weights)
    data = check_dask_data(_dask(X, 300), _dask(y, 300), _dask(weights, 300))
    with pytest.raises(ValueError) as error:
        data_statistics(data)
    assert str(error.value) == expected


def test_weights_negative_or_all_zero(problem):
    X, y, weights, _ = problem
    for bad in (np.where(y > 20, -1.0, weights), np.zeros(len(y))):
        expected = _in_memory_error(X, y, bad)
        data = check_dask_data(_dask(X, 300), _dask(y, 300), _dask(bad, 300))
        with pytest.raises(ValueError) as error:
            data_statistics(data)
        assert str(error.value) == expected


def test_bad_shapes_and_chunks(problem):
    X, y, weights, _ = problem
    with pytest.raises(ValueError, match=r"rechunk\(\{1: -1\}\)"):
        check_dask_data(da.from_array(X, chunks=(300, 5)), y)
    unknown = _dask(X, 300)[_dask(y, 300) > 10]
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\).*lengths=True"):
        check_dask_data(unknown)
    expected = _in_memory_error(X, y[:-1])
    with pytest.raises(ValueError) as error:
        check_dask_data(_dask(X, 300), _dask(y[:-1], 300))
    assert str(error.value) == expected
    expected = _in_memory_error(X, y, weights[:-1])
    with pytest.raises(ValueError) as error:
        check_dask_data(_dask(X, 300), y, weights[:-1])
    assert str(error.value) == expected
    expected = _in_memory_error(X[:0], y[:0])
    with pytest.raises(ValueError) as error:
        check_dask_data(_dask(X, 300)[:0], y[:0])
    assert str(error.value) == expected
    with pytest.raises(ValueError, match="must be numeric"):
        check_dask_data(da.from_array(np.array([["a"]], dtype=object), chunks=1))
    with pytest.raises(TypeError, match="dask array"):
        check_dask_data(X)


def test_dask_dataframes(problem):
    dd = pytest.importorskip("dask.dataframe")  # needs pyarrow
    import pandas as pd

    X, y, _, _ = problem
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"x{i}" for i in range(10)]), 4)
    data = check_dask_data(frame, dd.from_pandas(pd.Series(y), 4))
    assert list(data.feature_names) == [f"x{i}" for i in range(10)]
    np.testing.assert_array_equal(data.X.compute(), X)


# --------------------------------------------------------- held-out rows
def test_held_out_rows_are_reproducible(problem):
    X, y, weights, _ = problem
    data = check_dask_data(_dask(X, 250), _dask(y, 250), _dask(weights, 250))
    train, held_out = split_validation(data, 0.1, random_state=0)
    assert held_out.n_samples == 120 and train.n_samples == 1080
    assert sum(held_out.row_chunks) == 120  # known chunk sizes
    again = split_validation(data, 0.1, random_state=0)[1].X.compute()
    np.testing.assert_array_equal(held_out.X.compute(), again)
    other = split_validation(data, 0.1, random_state=1)[1].X.compute()
    assert not np.array_equal(other, again)
    rows = np.vstack([train.X.compute(), held_out.X.compute()])
    assert len({tuple(row) for row in rows}) == 1200  # a partition of the rows
    # X, y and the weights of a row stay together
    index = {tuple(row): i for i, row in enumerate(X)}
    picked = [index[tuple(row)] for row in held_out.X.compute()]
    np.testing.assert_array_equal(held_out.Y.compute()[:, 0], y[picked])
    np.testing.assert_array_equal(held_out.sample_weight.compute(), weights[picked])
    train_stats, held_stats = data_statistics(train, held_out)
    assert held_stats.weight_sum == pytest.approx(weights[picked].sum(), rel=1e-14)


def test_r2_score_of_the_held_out_rows(client, problem):
    X, _, weights, Y = problem
    layout = ParameterLayout(X.shape[1], 5, 1)
    theta = glorot_uniform(layout, np.random.RandomState(9))
    with NetworkKernel(X, layout=layout) as kernel:
        expected = weighted_r2(Y, kernel.predict(theta), weights)
    with DaskNetworkKernel(
        _dask(X, 300), _dask(Y, 300), _dask(weights, 300), layout=layout, client=client
    ) as kernel:
        assert kernel.r2_score(theta) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------- predict
def test_predictions_are_lazy_and_match_memory(client, problem):
    X, y, _, _ = problem
    layout = ParameterLayout(X.shape[1], 5, 2)
    theta = glorot_uniform(layout, np.random.RandomState(10))
    covariance = np.random.RandomState(11).normal(size=(layout.n_parameters,) * 2)
    covariance = covariance @ covariance.T * 1e-3
    with NetworkKernel(X, layout=layout) as kernel:
        outputs = kernel.predict(theta)
        variances = kernel.output_variances(theta, covariance)
    X_dask = _dask(X, 300)
    lazy = predict_network(X_dask, theta, layout)
    assert is_dask_collection(lazy) and lazy.chunks == ((300,) * 4, (2,))
    np.testing.assert_array_equal(lazy.compute(), outputs)  # rows in any chunk
    lazy = predict_variances(X_dask, theta, covariance, layout)
    assert len(lazy.dask) < 20  # the covariance is one key, not one per chunk
    assert _relative(lazy.compute(), variances) <= 1e-12
    mapping = TargetMapping.fit(np.column_stack([y, -y]), OUTPUT_RANGE)
    lazy = predict_outputs(X_dask, theta, layout, mapping, single_output=False)
    np.testing.assert_array_equal(lazy.compute(), mapping.to_target(outputs))
    one = ParameterLayout(X.shape[1], 5, 1)
    theta = glorot_uniform(one, np.random.RandomState(12))
    mapping = TargetMapping.fit(y, OUTPUT_RANGE)
    X32 = X_dask.astype(np.float32)
    lazy = predict_outputs(X32, theta, one, mapping, single_output=True)
    assert lazy.shape == (1200,) and lazy.dtype == np.float32
    assert lazy.compute().dtype == np.float32


def test_an_overflowing_chunk_raises_when_computed(client, problem):
    # (dense BLAS saturates X @ W1 to +-inf rather than NaN, so non-finite
    # weights stand in for the overflow the check is there for)
    X = problem[0]
    layout = ParameterLayout(X.shape[1], 3, 1)
    theta = np.full(layout.n_parameters, np.nan)
    lazy = predict_network(_dask(X, 300), theta, layout)  # no error yet
    with pytest.raises(ValueError, match="overflowed"):
        lazy.compute()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_non_finite_x_raises_scikit_learns_error_when_predicted(client, problem):
    X, y, _, _ = problem
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=2).fit(X, y)
    X = X.copy()
    X[500, 2] = np.nan
    with pytest.raises(ValueError) as error:
        model.predict(X)
    layout = ParameterLayout(X.shape[1], 3, 1)
    lazy = predict_network(_dask(X, 300), model._theta(), layout)
    with pytest.raises(ValueError) as dask_error:
        lazy.compute()
    assert str(dask_error.value) == str(error.value)


# ------------------------------------------------------- the estimator
ESTIMATOR_CASES = [
    # (settings, max relative weight difference from the in-memory fit):
    # the same rows in another order of summation; L-BFGS amplifies the last
    # bits after about 50 iterations, so the runs are short
    (dict(solver="lbfgs", alpha=1e-3, max_iter=15), 1e-12),
    (dict(solver="gd", alpha=1e-3, max_iter=40), 1e-13),
    (dict(solver="lm", alpha=1e-3, max_iter=10), 1e-10),
    (dict(solver="lbfgs", alpha="auto", max_iter=15), 1e-10),
    (dict(solver="lm", alpha="auto", max_iter=10), 1e-10),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("settings, rtol", ESTIMATOR_CASES)
def test_a_fit_on_dask_equals_the_fit_in_memory(client, problem, settings, rtol):
    X, y, weights, _ = problem
    model = SigmoidMLPRegressor(n_hidden=6, random_state=0, **settings)
    on_dask = clone(model).fit(_dask(X, 300), _dask(y, 300), _dask(weights, 300))
    in_memory = clone(model).fit(X, y, weights)
    assert _relative(on_dask._theta(), in_memory._theta()) <= rtol
    assert on_dask.n_iter_ == in_memory.n_iter_
    assert on_dask.solver_ == in_memory.solver_
    np.testing.assert_allclose(on_dask.alpha_, in_memory.alpha_, rtol=1e-8)
    np.testing.assert_allclose(
        on_dask.noise_variance_, in_memory.noise_variance_, rtol=1e-8
    )
    assert on_dask.n_features_in_ == 10 and on_dask.n_outputs_ == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_and_return_std_on_dask_are_lazy(client, problem):
    X, y, _, _ = problem
    model = SigmoidMLPRegressor(n_hidden=5, max_iter=20, random_state=0)
    model.fit(_dask(X, 300), _dask(y, 300))
    y_pred, y_std = model.predict(_dask(X, 250), return_std=True)
    assert is_dask_collection(y_pred) and is_dask_collection(y_std)
    expected, expected_std = model.predict(X, return_std=True)
    np.testing.assert_allclose(y_pred.compute(), expected, rtol=1e-14)
    np.testing.assert_allclose(y_std.compute(), expected_std, rtol=1e-12)
    assert model.score(_dask(X, 250), _dask(y, 250)) == pytest.approx(
        model.score(X, y), rel=1e-12
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_on_dask_is_reproducible(client, problem):
    X, y, _, _ = problem
    model = SigmoidMLPRegressor(
        n_hidden=5, early_stopping=True, max_iter=15, random_state=3
    )
    first = clone(model).fit(_dask(X, 300), _dask(y, 300))
    second = clone(model).fit(_dask(X, 300), _dask(y, 300))
    np.testing.assert_array_equal(first._theta(), second._theta())
    assert first.validation_scores_ == second.validation_scores_
    assert len(first.validation_scores_) == first.n_iter_ + 1
    assert first.best_validation_score_ == max(first.validation_scores_)


def test_a_nan_in_a_chunk_is_the_in_memory_error(client, problem):
    X, y, _, _ = problem
    X = X.copy()
    X[700, 3] = np.nan
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=2)
    with pytest.raises(ValueError) as in_memory:
        clone(model).fit(X, y)
    with pytest.raises(ValueError) as on_dask:
        clone(model).fit(_dask(X, 300), _dask(y, 300))
    assert str(on_dask.value) == str(in_memory.value)
    assert not hasattr(model, "coefs_")


def test_columns_split_over_chunks_say_how_to_rechunk(client, problem):
    X, y, _, _ = problem
    split = da.from_array(X, chunks=(300, 5))
    with pytest.raises(ValueError, match="rechunk"):
        SigmoidMLPRegressor(max_iter=2).fit(split, _dask(y, 300))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_column_selection_of_parquet_files_fits(client, tmp_path):
    """dask fuses small parquet files into fewer partitions when it computes
    the lengths of a column selection: fit optimises the frame first (it
    raised "The number of items in 'lengths' does not match")."""
    import dask.dataframe as dd
    import pandas as pd

    rng = np.random.default_rng(0)
    for part in range(4):
        table = pd.DataFrame(rng.normal(size=(500, 4)), columns=["a", "b", "c", "y"])
        table.to_parquet(tmp_path / f"part-{part}.parquet")
    frame = dd.read_parquet(tmp_path / "*.parquet")
    model = SigmoidMLPRegressor(n_hidden=3, max_iter=2, random_state=0)
    model.fit(frame[["a", "b", "c"]], frame["y"])
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    whole = pd.concat(pd.read_parquet(p) for p in sorted(tmp_path.iterdir()))
    assert np.isfinite(model.predict(whole[["a", "b", "c"]])).all()
