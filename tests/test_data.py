"""_data: the canonical order of the samples, the target mapping and the loss
of the best constant prediction (the unit of tol)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

import sklearn_sigmoidnet._data as data_module
from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet._data import (
    TargetMapping,
    canonical_samples,
    constant_prediction_loss,
)


# ------------------------------------------------------------ canonical order
def test_canonical_samples_merges_and_orders():
    X = np.array([[1.0, 2.0], [0.0, -0.0], [1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    Y = np.array([[0.3], [0.5], [0.3], [0.6], [0.5]])
    rows, weights = canonical_samples(X, Y, None)
    assert sorted(weights) == [1.0, 2.0, 2.0]  # -0.0 and 0.0 are one sample
    permuted = [3, 0, 4, 1, 2]
    rows_permuted, weights_permuted = canonical_samples(X[permuted], Y[permuted], None)
    np.testing.assert_array_equal(X[rows], X[permuted][rows_permuted])
    np.testing.assert_array_equal(weights, weights_permuted)
    # Sparse rows hash differently from dense ones, but just as canonically.
    sparse_rows, sparse_weights = canonical_samples(sp.csr_array(X), Y, None)
    sparse_permuted = canonical_samples(sp.csr_array(X[permuted]), Y[permuted], None)
    np.testing.assert_array_equal(X[sparse_rows], X[permuted][sparse_permuted[0]])
    np.testing.assert_array_equal(sparse_weights, sparse_permuted[1])
    assert sorted(sparse_weights) == [1.0, 2.0, 2.0]
    # different targets are different samples
    rows, weights = canonical_samples(X[:3], np.array([[0.3], [0.5], [0.4]]), None)
    assert len(rows) == 3 and weights is None


def test_canonical_samples_hash_collisions_are_ordered_by_value(monkeypatch):
    monkeypatch.setattr(
        data_module, "_row_hashes", lambda X, Y: np.zeros(len(Y), np.uint64)
    )
    X = np.array([[2.0], [1.0], [2.0], [0.5]])
    Y = np.full((4, 1), 0.5)
    rows, weights = data_module.canonical_samples(X, Y, None)
    np.testing.assert_array_equal(X[rows].ravel(), [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(weights, [1.0, 1.0, 2.0])


def _samples(rows, weights, X, Y):
    """The canonical weighted samples as values (rows index X and Y)."""
    X_rows = X[rows]
    X_rows = X_rows.toarray() if sp.issparse(X_rows) else X_rows
    weights = np.ones(len(rows)) if weights is None else weights
    return np.hstack([X_rows, Y[rows]]), weights


def _data_with_duplicates(seed=0, n_distinct=300, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_distinct, 4)).astype(dtype)
    X[rng.random(X.shape) < 0.3] = 0.0
    Y = rng.uniform(0.2, 0.8, size=(n_distinct, 2)).astype(dtype)
    counts = rng.integers(0, 4, size=n_distinct)  # 0: a dropped sample
    return X, Y, counts


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_and_repeated_rows_in_any_order_are_one_sample(sparse, dtype):
    X, Y, counts = _data_with_duplicates(dtype=dtype)
    container = sp.csr_array if sparse else np.asarray
    weighted = _samples(*canonical_samples(container(X), Y, counts.astype(float)), X, Y)
    X_repeated, Y_repeated = np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0)
    order = np.random.default_rng(1).permutation(len(Y_repeated))
    X_repeated, Y_repeated = X_repeated[order], Y_repeated[order]
    repeated = _samples(
        *canonical_samples(container(X_repeated), Y_repeated, None),
        X_repeated,
        Y_repeated,
    )
    np.testing.assert_array_equal(weighted[0], repeated[0])
    np.testing.assert_array_equal(weighted[1], repeated[1])
    # zero weights are gone, and the weights are the counts
    assert len(weighted[1]) == np.count_nonzero(counts)
    assert weighted[1].sum() == counts.sum()


def test_zero_weights_drop_samples_and_unit_weights_are_none():
    X, Y, counts = _data_with_duplicates()
    weights = (counts > 0).astype(float)  # 0 or 1
    rows, merged = canonical_samples(X, Y, weights)
    assert merged is None  # all distinct, all of weight 1
    np.testing.assert_array_equal(np.sort(rows), np.flatnonzero(counts))
    rows_all, merged_all = canonical_samples(X, Y, np.ones(len(Y)))
    assert merged_all is None and len(rows_all) == len(Y)
    assert rows.dtype == np.int32


def test_the_order_depends_on_values_not_on_input_order():
    X, Y, counts = _data_with_duplicates(seed=3)
    weights = counts + 0.5
    rows, merged = canonical_samples(X, Y, weights)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(Y))
        rows_p, merged_p = canonical_samples(X[order], Y[order], weights[order])
        np.testing.assert_array_equal(X[order][rows_p], X[rows])
        np.testing.assert_array_equal(Y[order][rows_p], Y[rows])
        np.testing.assert_array_equal(merged_p, merged)


def test_chunked_hashing_gives_the_same_order(monkeypatch):
    X, Y, counts = _data_with_duplicates(seed=4)
    X = np.repeat(X, counts, axis=0)
    Y = np.repeat(Y, counts, axis=0)
    expected = canonical_samples(X, Y, None)
    expected_sparse = canonical_samples(sp.csr_array(X), Y, None)
    monkeypatch.setattr(data_module, "_CHUNK_ROWS", 7)
    for result, reference in [
        (canonical_samples(X, Y, None), expected),
        (canonical_samples(sp.csr_array(X), Y, None), expected_sparse),
    ]:
        np.testing.assert_array_equal(result[0], reference[0])
        np.testing.assert_array_equal(result[1], reference[1])


def test_sparse_duplicates_and_explicit_zeros_are_canonicalised_on_a_copy():
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [1.0, 0.0, 2.0]])
    Y = np.full((3, 1), 0.5)
    # row 0 stored as 0.5 + 0.5 at column 0 (duplicate entries), and an
    # explicit zero at column 1
    data = np.array([0.5, 0.5, 0.0, 2.0, 3.0, 1.0, 2.0])
    indices = np.array([0, 0, 1, 2, 1, 0, 2])
    indptr = np.array([0, 4, 5, 7])
    X = sp.csr_array((data, indices, indptr), shape=(3, 3))
    assert not X.has_canonical_format
    rows, weights = canonical_samples(X, Y, None)
    assert len(rows) == 2 and sorted(weights) == [1.0, 2.0]
    # the caller's matrix is untouched
    np.testing.assert_array_equal(X.data, data)
    np.testing.assert_array_equal(X.indices, indices)
    assert not X.has_canonical_format
    np.testing.assert_array_equal(X.toarray(), dense)


# ------------------------------------------------------------- TargetMapping
def test_target_range_maps_y_extremes():
    mapping = TargetMapping.fit(np.array([[3.0], [5.0], [-1.0]]), (0.2, 0.8))
    np.testing.assert_allclose(mapping.to_network([[-1.0], [5.0]]).ravel(), [0.2, 0.8])
    np.testing.assert_allclose(mapping.to_target(mapping.to_network([[3.0]])), [[3.0]])


def test_mapping_per_output_and_zero_weights():
    Y = np.array([[0.0, 10.0], [4.0, 20.0], [100.0, -50.0]])
    mapping = TargetMapping.fit(Y, (0.1, 0.9), sample_weight=np.array([1, 2, 0.0]))
    np.testing.assert_array_equal(mapping.y_min, [0.0, 10.0])
    np.testing.assert_array_equal(mapping.y_max, [4.0, 20.0])
    network = mapping.to_network(Y[:2])
    np.testing.assert_allclose(network, [[0.1, 0.1], [0.9, 0.9]], rtol=1e-15)
    np.testing.assert_allclose(mapping.to_target(network), Y[:2], rtol=1e-15)
    # the zero-weight row maps beyond the range, linearly
    np.testing.assert_allclose(mapping.to_network(Y[2:]), [[20.1, -4.7]], rtol=1e-14)
    # the sigmoid's (0, 1) maps to y_min - range/8 .. y_max + range/8 here
    np.testing.assert_allclose(
        mapping.to_target([[0.0, 0.0], [1.0, 1.0]]),
        [[-0.5, 8.75], [4.5, 21.25]],
        rtol=1e-14,
    )


@pytest.mark.parametrize("value, unit", [(7.5, 7.5), (-3.0, 3.0), (0.0, 1.0)])
def test_a_constant_target_maps_to_the_middle(value, unit):
    mapping = TargetMapping.fit(np.full((4, 1), value), (0.2, 0.8))
    assert mapping.constant.all()
    np.testing.assert_array_equal(mapping.to_network([[value]]), [[0.5]])
    np.testing.assert_allclose(mapping.to_target([[0.5]]), [[value]], atol=1e-15)
    # |y_min| (or 1) is the unit of the network's scale (to_network), and a
    # constant is predicted exactly, whatever the network's output
    np.testing.assert_array_equal(mapping.to_target([[0.8], [0.1]]), [[value], [value]])
    np.testing.assert_allclose(mapping.span, [unit])


def test_tiny_ranges_keep_their_resolution():
    Y = np.array([[1e-310], [3e-310], [2e-310]])  # subnormal numbers
    mapping = TargetMapping.fit(Y, (0.2, 0.8))
    np.testing.assert_allclose(mapping.to_network(Y).ravel(), [0.2, 0.8, 0.5])
    np.testing.assert_allclose(mapping.to_target(mapping.to_network(Y)), Y)
    assert not mapping.fits_float32()


def test_a_range_wider_than_the_largest_float():
    Y = np.array([[-1.5e308], [1.7e308], [0.0]])
    mapping = TargetMapping.fit(Y, (0.2, 0.8))
    np.testing.assert_array_equal(mapping.prescale, [0.5])
    network = mapping.to_network(Y)
    assert np.all(np.isfinite(network))
    np.testing.assert_allclose(network.ravel(), [0.2, 0.8, 0.2 + 0.6 * 1.5 / 3.2])
    np.testing.assert_allclose(mapping.to_target(network), Y, rtol=1e-14)
    # extrapolation past the largest float is clipped, never inf
    beyond = mapping.to_target([[1.0], [0.0]])
    np.testing.assert_array_equal(
        beyond, [[np.finfo(np.float64).max]] + [[-np.finfo(np.float64).max]]
    )


def test_to_target_in_place_and_clipped_to_the_output_dtype():
    mapping = TargetMapping.fit(np.array([[0.0], [3e38]]), (0.2, 0.8))
    Yhat = np.array([[0.2], [0.5], [0.95]], dtype=np.float32)
    out = mapping.to_target(Yhat, out=Yhat)
    assert out is Yhat and out.dtype == np.float32
    assert out[2, 0] == np.finfo(np.float32).max  # 3.75e38 does not fit
    np.testing.assert_allclose(out[:2, 0], [0.0, 1.5e38], rtol=1e-6, atol=1e32)


@pytest.mark.parametrize(
    "Y, fits",
    [
        ([[0.0], [1.0]], True),
        ([[-1e6], [1e6]], True),
        ([[0.0], [1e38]], False),  # 4 x 1e38 is beyond float32
        ([[0.0], [1e-35]], False),  # a range float32 holds only subnormally
        ([[0.0], [1e-30]], True),
        ([[5.0], [5.0]], True),
        ([[1e-39], [1e-39]], False),  # a constant float32 holds only subnormally
    ],
)
def test_fits_float32(Y, fits):
    assert TargetMapping.fit(np.array(Y), (0.2, 0.8)).fits_float32() == fits


def test_to_network_in_float32_in_chunks(monkeypatch):
    rng = np.random.default_rng(5)
    Y = rng.normal(size=(100, 2)) * 1e3
    mapping = TargetMapping.fit(Y, (0.2, 0.8))
    expected = mapping.to_network(Y).astype(np.float32)
    monkeypatch.setattr(data_module, "_CHUNK_ROWS", 7)
    result = mapping.to_network(Y, dtype=np.float32)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(
        mapping.to_target(result), mapping.to_target(expected)
    )


# -------------------------------------------------- constant_prediction_loss
def test_constant_prediction_loss_is_half_the_weighted_variance():
    rng = np.random.default_rng(6)
    Y = rng.uniform(0.2, 0.8, size=(200, 3))
    weights = rng.uniform(0.0, 2.0, size=200)
    mean = weights @ Y / weights.sum()
    expected = 0.5 * np.sum(weights @ (Y - mean) ** 2) / weights.sum()
    loss = constant_prediction_loss(Y, weights, (0.2, 0.8))
    assert loss == pytest.approx(expected, rel=1e-12)
    unweighted = constant_prediction_loss(Y, None, (0.2, 0.8))
    assert unweighted == pytest.approx(0.5 * np.sum(Y.var(axis=0)), rel=1e-12)


def test_constant_prediction_loss_floor():
    Y = np.full((10, 2), 0.5)
    # 1e-12 of the loss of a target spread over the whole range
    expected = 1e-12 * 0.5 * 2 * (0.5 * 0.6) ** 2
    assert constant_prediction_loss(Y, None, (0.2, 0.8)) == pytest.approx(
        expected, rel=1e-15
    )
    # a spread target is far above the floor
    assert constant_prediction_loss(np.array([[0.2], [0.8]]), None, (0.2, 0.8)) == (
        pytest.approx(0.5 * 0.09, rel=1e-12)
    )


def test_constant_prediction_loss_of_equivalent_data_sets_is_the_same_bits(
    monkeypatch,
):
    """Weights and repeated rows, after canonical_samples: the same value to
    the last bit, in chunks or not."""
    X, Y, counts = _data_with_duplicates(seed=7)
    rows, weights = canonical_samples(X, Y, counts.astype(float))
    X_r, Y_r = np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0)
    order = np.random.default_rng(0).permutation(len(Y_r))
    rows_r, weights_r = canonical_samples(X_r[order], Y_r[order], None)
    first = constant_prediction_loss(Y[rows], weights, (0.2, 0.8))
    second = constant_prediction_loss(Y_r[order][rows_r], weights_r, (0.2, 0.8))
    assert first == second
    monkeypatch.setattr(data_module, "_CHUNK_ROWS", 16)
    chunked = constant_prediction_loss(Y[rows], weights, (0.2, 0.8))
    assert chunked == pytest.approx(first, rel=1e-13)


# Found by review: each of these failed before its fix.
def test_fits_float32_of_an_offset_range():
    # float32's spacing at 1.0 is 1.2e-7: the range 1e-9 is not resolved at all
    mapping = TargetMapping.fit(np.array([[1.0], [1.0 + 1e-9]]), (0.2, 0.8))
    assert not mapping.fits_float32()  # fails: True


def test_float32_predictions_keep_an_offset_targets_signal():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    signal = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    y = 1e4 + 1e-3 * signal.astype(np.float64)  # float32 spacing at 1e4: 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SigmoidMLPRegressor(n_hidden=8, random_state=0).fit(X, y)
    as_float64 = model.predict(X.astype(np.float64))
    predictions = model.predict(X)
    assert r2_score(signal, (as_float64 - 1e4) / 1e-3) > 0.99
    # fails: float32 predictions take 5 distinct values, R^2 0.87
    assert r2_score(signal, (predictions.astype(np.float64) - 1e4) / 1e-3) > 0.99
