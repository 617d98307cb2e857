"""_workspace: Rows (whole and batched sub-blocks), per-thread buffers and views."""

import numpy as np
import pytest

from sklearn_sigmoidnet import ParameterLayout
from sklearn_sigmoidnet._runner import SUB_ROWS
from sklearn_sigmoidnet._workspace import Rows, Workspace


@pytest.mark.parametrize("n_rows", [1, SUB_ROWS - 1, SUB_ROWS, 3 * SUB_ROWS + 5])
def test_rows_split_into_sub_blocks_and_a_rest(n_rows):
    array = np.arange(n_rows * 3.0).reshape(n_rows, 3)
    rows = Rows(array, batched=True)
    n_full = n_rows // SUB_ROWS * SUB_ROWS
    assert rows.whole is array
    if n_full:
        assert rows.batched.shape == (n_full // SUB_ROWS, SUB_ROWS, 3)
        np.testing.assert_array_equal(rows.batched.reshape(-1, 3), array[:n_full])
        np.testing.assert_array_equal(
            rows.batched_transposed, rows.batched.transpose(0, 2, 1)
        )
        assert np.shares_memory(rows.batched, array)
        assert np.shares_memory(rows.batched_transposed, array)
    else:
        assert rows.batched is None and rows.batched_transposed is None
    if n_full < n_rows:
        np.testing.assert_array_equal(rows.rest, array[n_full:])
        assert np.shares_memory(rows.rest, array)
    else:
        assert rows.rest is None


def test_unbatched_rows_are_all_rest():
    array = np.ones((3 * SUB_ROWS, 4))
    rows = Rows(array, batched=False)
    assert rows.batched is None and rows.batched_transposed is None
    assert rows.rest.shape == array.shape and np.shares_memory(rows.rest, array)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "gathers, sparse, batched, n_outputs",
    [
        (False, False, True, 1),
        (True, False, True, 2),
        (True, False, False, 1),
        (False, True, False, 1),
    ],
)
def test_workspace_buffers(dtype, gathers, sparse, batched, n_outputs):
    layout = ParameterLayout(n_features=5, n_hidden=7, n_outputs=n_outputs)
    max_rows = 2 * SUB_ROWS + 10
    workspace = Workspace(
        max_rows, layout, dtype, gathers_inputs=gathers, sparse=sparse, batched=batched
    )
    assert workspace.hidden.shape == (max_rows, 8) and workspace.hidden.dtype == dtype
    assert workspace.output.shape == (max_rows, n_outputs)
    assert workspace.residual.shape == workspace.output_delta.shape
    if gathers:
        assert workspace.inputs.shape == (max_rows, 6)
        np.testing.assert_array_equal(workspace.inputs[:, -1], 1.0)  # [X, 1]
    else:
        assert workspace.inputs is None
    # sparse X is never scaled; the scratch block serves multi-output and sparse
    assert (workspace.scaled_inputs is None) == sparse
    assert (workspace.scratch is not None) == (n_outputs > 1 or sparse)
    n_sub = 2 if batched else 0
    assert workspace.sub_partials.shape == (n_sub, 6, 8)
    np.testing.assert_array_equal(workspace.ones, np.ones((1, n_sub)))


def test_block_buffers_are_views_of_the_first_rows_and_cached():
    layout = ParameterLayout(n_features=3, n_hidden=4, n_outputs=2)
    workspace = Workspace(
        300, layout, np.float64, gathers_inputs=True, sparse=False, batched=True
    )
    buffers = workspace.buffers(2 * SUB_ROWS + 3)
    assert workspace.buffers(2 * SUB_ROWS + 3) is buffers
    assert workspace.buffers(10) is not buffers
    assert buffers.hidden.whole.shape == (2 * SUB_ROWS + 3, 5)
    assert buffers.hidden.batched.shape == (2, SUB_ROWS, 5)
    assert buffers.hidden.rest.shape == (3, 5)
    assert buffers.hidden_transposed.base is not None
    np.testing.assert_array_equal(buffers.hidden_transposed, buffers.hidden.whole.T)
    for view, buffer in [
        (buffers.inputs.whole, workspace.inputs),
        (buffers.scaled_inputs.whole, workspace.scaled_inputs),
        (buffers.hidden.whole, workspace.hidden),
        (buffers.scratch, workspace.scratch),
        (buffers.output, workspace.output),
        (buffers.residual, workspace.residual),
        (buffers.output_delta, workspace.output_delta),
    ]:
        assert view.shape[0] == 2 * SUB_ROWS + 3
        assert np.shares_memory(view, buffer)
        assert (
            view.__array_interface__["data"][0]
            == (buffer.__array_interface__["data"][0])
        )  # the first rows
    assert buffers.sub_partials.shape == (2, 4, 5)
    assert buffers.sub_partials_flat.shape == (2, 20)
    assert np.shares_memory(buffers.sub_partials_flat, buffers.sub_partials)
    assert buffers.ones.shape == (1, 2)
    small = workspace.buffers(10)  # no full sub-block
    assert small.hidden.batched is None and small.sub_partials.shape[0] == 0
    assert small.sub_partials_flat.shape == (0, 0) and small.ones.shape == (1, 0)


def test_a_batched_product_over_sub_blocks_is_the_whole_product():
    """What the kernel relies on: summing the sub-blocks' A_s^T B_s with a row
    of ones gives A^T B (up to rounding) for the rows in sub-blocks."""
    rng = np.random.default_rng(0)
    layout = ParameterLayout(n_features=3, n_hidden=4, n_outputs=1)
    workspace = Workspace(
        3 * SUB_ROWS,
        layout,
        np.float64,
        gathers_inputs=True,
        sparse=False,
        batched=True,
    )
    buffers = workspace.buffers(3 * SUB_ROWS)
    buffers.inputs.whole[:, :-1] = rng.normal(size=(3 * SUB_ROWS, 3))
    buffers.hidden.whole[...] = rng.normal(size=(3 * SUB_ROWS, 5))
    np.matmul(
        buffers.inputs.batched_transposed,
        buffers.hidden.batched,
        out=buffers.sub_partials,
    )
    out = np.empty((4, 5))
    np.matmul(buffers.ones, buffers.sub_partials_flat, out=out.reshape(1, -1))
    np.testing.assert_allclose(
        out, buffers.inputs.whole.T @ buffers.hidden.whole, rtol=1e-12, atol=1e-12
    )
