"""_inputs: [X, 1], targets and weights per row block; copied, sparse or gathered.

Memory layout must not matter: C order, Fortran order, a strided view and a
memory-mapped file give every block the same ``[X, 1]``, bit for bit, whether
the inputs are copied once or gathered block by block.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import sklearn_sigmoidnet._inputs as inputs_module
from sklearn_sigmoidnet import ParameterLayout
from sklearn_sigmoidnet._inputs import BlockData
from sklearn_sigmoidnet._runner import block_bounds
from sklearn_sigmoidnet._workspace import Workspace

N_HIDDEN = 512  # 256-row blocks in float64: several blocks from few rows


def _workspace(data, n_outputs=1):
    layout = ParameterLayout(data.n_features, N_HIDDEN, n_outputs)
    return Workspace(
        data.max_block_rows,
        layout,
        data.dtype,
        gathers_inputs=data.gathers_inputs,
        sparse=data.sparse,
        batched=data.batched,
    )


def _block_inputs(data):
    """Every block's [X, 1], as dense copies."""
    workspace = _workspace(data)
    return [
        np.array(data.dense_block_inputs(block, workspace.buffers(block.n_rows)))
        for block in data.blocks
    ]


def _expected_inputs(X, rows):
    X = X if rows is None else X[rows]
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1100, 5))
    rows = rng.permutation(1100)[:1000]
    return X, rows


def _strided(X):
    """A view of a wider array holding X in every other column: neither C- nor
    Fortran-contiguous. (``np.hstack([X, X])[:, ::2]`` would be X's columns
    permuted, not X.)"""
    wide = np.repeat(X, 2, axis=1)
    wide[:, 1::2] = np.nan  # the columns in between must never be read
    return wide[:, ::2]


def _layouts(X, tmp_path):
    """The same values in C order, Fortran order, a strided view and memmaps."""
    c_map = np.memmap(tmp_path / "c.dat", dtype=X.dtype, mode="w+", shape=X.shape)
    c_map[...] = X
    c_map.flush()
    f_map = np.memmap(
        tmp_path / "f.dat", dtype=X.dtype, mode="w+", shape=X.shape, order="F"
    )
    f_map[...] = X
    f_map.flush()
    layouts = {
        "C": np.ascontiguousarray(X),
        "F": np.asfortranarray(X),
        "strided": _strided(X),
        "memmap": np.memmap(tmp_path / "c.dat", dtype=X.dtype, mode="r", shape=X.shape),
        "memmap F": np.memmap(
            tmp_path / "f.dat", dtype=X.dtype, mode="r", shape=X.shape, order="F"
        ),
    }
    assert not layouts["strided"].flags.c_contiguous
    assert not layouts["strided"].flags.f_contiguous
    assert layouts["memmap F"].flags.f_contiguous
    for array in layouts.values():
        np.testing.assert_array_equal(array, X)
    return layouts


@pytest.mark.parametrize("gathered", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_rows", [False, True])
def test_every_memory_layout_gives_the_same_block_inputs(
    problem, tmp_path, monkeypatch, gathered, dtype, with_rows
):
    X, rows = problem
    X = X.astype(dtype)
    rows = rows if with_rows else None
    if gathered:
        monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    expected = _expected_inputs(X, rows)
    for name, array in _layouts(X, tmp_path).items():
        data = BlockData(array, None, None, rows=rows, n_hidden=N_HIDDEN)
        assert len(data.blocks) > 1
        # only C-ordered inputs are gathered: other layouts are copied once
        assert data.gathers_inputs == (gathered and array.flags.c_contiguous), name
        blocks = _block_inputs(data)
        np.testing.assert_array_equal(np.vstack(blocks), expected, err_msg=name)
        assert all(block.dtype == dtype for block in blocks)


@pytest.mark.parametrize("order", ["F", "strided"])
def test_a_non_c_contiguous_x_is_held_as_one_c_ordered_copy(
    problem, monkeypatch, order
):
    X, rows = problem
    X = np.asfortranarray(X) if order == "F" else _strided(X)
    monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    data = BlockData(X, None, None, rows=rows, n_hidden=N_HIDDEN)
    assert not data.gathers_inputs
    assert data.inputs.flags.c_contiguous and data.inputs.shape == (1000, 6)
    assert not np.shares_memory(data.inputs, X)
    np.testing.assert_array_equal(data.inputs, _expected_inputs(np.asarray(X), rows))
    # each block reads a view of that one copy: no copy per block
    for block in data.blocks:
        assert np.shares_memory(block.inputs.whole, data.inputs)


def test_gathering_reads_the_callers_array_without_copying_it(problem, monkeypatch):
    X, rows = problem
    monkeypatch.setattr(inputs_module, "_COPY_BYTES", 0)
    data = BlockData(X, None, None, rows=rows, n_hidden=N_HIDDEN)
    assert data.gathers_inputs and data.inputs is None
    assert data._source is X
    assert all(block.inputs is None for block in data.blocks)
    workspace = _workspace(data)
    for block in data.blocks:
        buffers = workspace.buffers(block.n_rows)
        gathered = data.block_inputs(block, buffers)
        assert gathered is buffers.inputs  # the thread's own buffer
        np.testing.assert_array_equal(
            gathered.whole, _expected_inputs(X, rows[block.start : block.stop])
        )


def test_copy_threshold(problem):
    X, _ = problem
    size = X.shape[0] * (X.shape[1] + 1) * X.itemsize
    small = BlockData(X, None, None, rows=None, n_hidden=N_HIDDEN)
    assert not small.gathers_inputs and size <= inputs_module._COPY_BYTES
    import unittest.mock

    with unittest.mock.patch.object(inputs_module, "_COPY_BYTES", size):
        assert not BlockData(X, None, None, rows=None, n_hidden=5).gathers_inputs
    with unittest.mock.patch.object(inputs_module, "_COPY_BYTES", size - 1):
        assert BlockData(X, None, None, rows=None, n_hidden=5).gathers_inputs


def test_copies_in_chunks_give_the_same_copy(problem, monkeypatch):
    X, rows = problem
    whole = BlockData(np.asfortranarray(X), None, None, rows=rows, n_hidden=N_HIDDEN)
    monkeypatch.setattr(inputs_module, "_CHUNK_ROWS", 7)
    chunked = BlockData(np.asfortranarray(X), None, None, rows=rows, n_hidden=N_HIDDEN)
    np.testing.assert_array_equal(chunked.inputs, whole.inputs)


@pytest.mark.parametrize("container", [sp.csr_array, sp.csc_matrix, sp.coo_array])
def test_sparse_inputs_have_the_column_of_ones_appended(problem, container):
    X, rows = problem
    X = X * (np.random.default_rng(1).random(X.shape) < 0.3)
    data = BlockData(container(X), None, None, rows=rows, n_hidden=N_HIDDEN)
    assert data.sparse and not data.batched and not data.gathers_inputs
    assert sp.issparse(data.inputs) and data.inputs.format == "csr"
    np.testing.assert_array_equal(data.inputs.toarray(), _expected_inputs(X, rows))
    workspace = _workspace(data)
    for block in data.blocks:
        block_inputs = data.block_inputs(block, workspace.buffers(block.n_rows))
        assert sp.issparse(block_inputs)
    np.testing.assert_array_equal(np.vstack(_block_inputs(data)), data.inputs.toarray())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_targets_weights_and_blocks(dtype):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(700, 3)).astype(dtype)
    Y = rng.uniform(0.1, 0.9, size=(700, 2))
    weights = rng.uniform(0.0, 2.0, size=700)
    data = BlockData(X, Y, weights, rows=None, n_hidden=N_HIDDEN)
    assert data.dtype == dtype and data.n_samples == 700 and data.n_features == 3
    # targets on the tanh scale, in the compute dtype
    assert data.Y_tanh.dtype == dtype
    np.testing.assert_array_equal(data.Y_tanh, 2 * Y.astype(dtype) - 1)
    # weights divided by their sum (computed in float64), then cast
    assert data.weight_sum == float(weights.sum())
    assert data.scaled_weight.dtype == dtype and data.scaled_weight.shape == (700, 1)
    np.testing.assert_array_equal(
        data.scaled_weight[:, 0], (weights / weights.sum()).astype(dtype)
    )
    np.testing.assert_array_equal(
        data.bounds, block_bounds(700, N_HIDDEN, np.dtype(dtype).itemsize)
    )
    assert data.max_block_rows == np.max(np.diff(data.bounds))
    for block, start, stop in zip(
        data.blocks, data.bounds[:-1], data.bounds[1:], strict=True
    ):
        assert (block.start, block.stop, block.n_rows) == (start, stop, stop - start)
        np.testing.assert_array_equal(block.Y, data.Y_tanh[start:stop])
        np.testing.assert_array_equal(block.weight, data.scaled_weight[start:stop])
    # a one-dimensional Y is one output; no weights are unit weights
    data = BlockData(X, Y[:, 0], None, rows=None, n_hidden=N_HIDDEN)
    assert data.Y_tanh.shape == (700, 1)
    assert data.scaled_weight is None and data.weight_sum == 700.0
    assert all(block.weight is None for block in data.blocks)
    # no Y at all (predictions)
    data = BlockData(X, None, None, rows=None, n_hidden=N_HIDDEN)
    assert data.Y_tanh is None and all(block.Y is None for block in data.blocks)


def test_rows_pick_the_kernels_samples(problem):
    X, rows = problem
    data = BlockData(X, None, None, rows=rows[:10], n_hidden=5)
    assert data.n_samples == 10
    np.testing.assert_array_equal(data.inputs[:, :-1], X[rows[:10]])


@pytest.mark.parametrize("n_features, batched", [(1, True), (31, True), (32, False)])
def test_narrow_inputs_are_batched(n_features, batched):
    X = np.zeros((10, n_features))
    assert BlockData(X, None, None, rows=None, n_hidden=3).batched == batched
    assert not BlockData(sp.csr_array(X), None, None, rows=None, n_hidden=3).batched


def test_the_callers_arrays_are_never_written(problem, monkeypatch):
    X, rows = problem
    X = X.copy()
    X.flags.writeable = False
    for copy_bytes in (inputs_module._COPY_BYTES, 0):
        monkeypatch.setattr(inputs_module, "_COPY_BYTES", copy_bytes)
        for array in (X, np.asfortranarray(X)):
            array.flags.writeable = False
            data = BlockData(array, None, None, rows=rows, n_hidden=N_HIDDEN)
            _block_inputs(data)  # would raise writing into a read-only array
