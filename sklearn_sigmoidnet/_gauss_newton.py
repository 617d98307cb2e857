"""Gauss-Newton: residuals, Jacobian blocks, ``J^T J`` and ``J^T r``.

The loss (1) is half a sum of squares, ``L = 0.5 ||r||^2``, with residuals
``r_ij = sqrt(w_i/S) (Yhat_ij - Y_ij)`` and, for the penalty, ``sqrt(alpha/S)
theta`` over the non-bias weights. The Jacobian is the chain rule of eqs. (7)
and (9) before the sum over samples (``docs/derivation.md``)::

    dr_ij/dW2[k, j] = sqrt(w_i/S) Yhat_ij (1 - Yhat_ij) [Z, 1]_ik
    dr_ij/dW1[k, l] = sqrt(w_i/S) Yhat_ij (1 - Yhat_ij) W2[l, j]
                      Z_il (1 - Z_il) [X, 1]_ik

:class:`NormalEquations` forms the Jacobian of a few thousand rows at a time
(about 1 MiB each) in reused per-thread buffers and adds ``J_b^T J_b``, which
numpy's ``matmul`` computes with BLAS ``syrk`` (it recognises ``A^T A``) and,
unlike SciPy's BLAS wrappers, without holding Python's lock, so the threads
run at once. Row blocks run on the kernel's runner: each block sums its own
``J^T J``, ``J^T r`` and squared residuals, and the blocks' sums are added in
block order, so the result has the same bits for every thread count.
"""

import numpy as np

from ._network import forward_block, forward_weights

__all__ = ["NormalEquations", "jacobian_block"]

# Rows of Jacobian formed at a time: about this many bytes of float64 (small
# enough that syrk reads it from cache).
_JACOBIAN_BYTES = 2**20


def jacobian_block(
    data, layout, block, buffers, theta, forward, jacobian, *, outputs=False
):
    """Residuals and Jacobian of the rows of ``block``, ordered (sample, output).

    ``forward`` holds the weights of :func:`forward_weights`; ``jacobian`` is
    a buffer of at least ``block.n_rows`` rows, shaped
    ``(rows, n_outputs, n_parameters)``, whose entries off each output's own
    ``W2`` column are zero (they are never written). With ``outputs=True``
    the Jacobian is that of the network's outputs ``dYhat/dtheta`` (no
    ``sqrt(w/S)``) and the residuals are None.
    """
    n_rows, n_in = block.n_rows, layout.n_features + 1
    n_hidden, n_outputs = layout.n_hidden, layout.n_outputs
    inputs = data.block_inputs(block, buffers)
    forward_block(inputs, buffers, *forward)
    inputs = inputs.toarray() if data.sparse else inputs.whole
    T = buffers.hidden.whole[:, :-1]  # without the constant unit
    output = buffers.output
    if outputs:
        scale, residual = data.dtype.type(1.0), None
    elif data.scaled_weight is None:
        scale = data.dtype.type(np.sqrt(1.0 / data.weight_sum))
    else:
        scale = np.sqrt(data.scaled_weight[block.start : block.stop])
    if not outputs:
        # r = sqrt(w/S) (Yhat - Y), 2 (Yhat - Y) = To - (2Y - 1)
        residual = ((output - block.Y) * (0.5 * scale)).reshape(-1)
    # a = sqrt(w/S) Yhat (1 - Yhat) = sqrt(w/S) (1 - To^2)/4                (7)
    a = (1.0 - output * output) * (0.25 * scale)
    _, W2 = layout.unpack(theta)
    J = jacobian[:n_rows]
    J1 = J[:, :, : layout.size1].reshape(n_rows, n_outputs, n_in, n_hidden)
    J2 = J[:, :, layout.size1 :].reshape(n_rows, n_outputs, n_hidden + 1, n_outputs)
    # G_ijl = a_ij W2[l, j] Z_il (1 - Z_il), Z (1 - Z) = (1 - T^2)/4          (9)
    sech2 = (1.0 - T * T) * 0.25
    G = a[:, :, None] * W2[:-1].T.astype(data.dtype)[None, :, :] * sech2[:, None]
    np.einsum("ik,ijl->ijkl", inputs, G, out=J1)  # J1_ijkl = [X, 1]_ik G_ijl
    Z = 0.5 + 0.5 * T
    for j in range(n_outputs):  # dr_ij / dW2[:, j] = a_ij [Z, 1]           (7)
        J2[:, j, :-1, j] = a[:, j, None] * Z
        J2[:, j, -1, j] = a[:, j]
    return residual, J.reshape(n_rows * n_outputs, -1)


def _pieces(start, stop, max_rows):
    """Nearly equal ``(start, stop)`` pieces of at most ``max_rows`` rows."""
    n_pieces = -(-(stop - start) // max_rows)
    bounds = np.linspace(start, stop, n_pieces + 1).round().astype(int)
    return zip(bounds[:-1], bounds[1:], strict=True)


class _JacobianWorkspace:
    """A thread's network buffers and its Jacobian buffers."""

    def __init__(self, network_workspace, rows, layout, dtype):
        self.network = network_workspace
        shape = (rows, layout.n_outputs, layout.n_parameters)
        self.jacobian = np.zeros(shape, dtype=dtype)
        self.jacobian64 = None
        if dtype != np.float64:
            self.jacobian64 = np.empty((rows * layout.n_outputs, shape[2]))


class NormalEquations:
    """``J^T J``, ``J^T r`` and the loss of a kernel, on the kernel's runner.

    The unit of work is a Jacobian block: the rows of a row block of the
    kernel, cut into nearly equal pieces of about 1 MiB of Jacobian. Each writes its own
    ``J_b^T J_b``, ``J_b^T r_b`` and ``r_b^T r_b`` into a slot, and the slots
    are added up in order.

    Parameters
    ----------
    data : BlockData
        The kernel's data.
    layout : ParameterLayout
    runner : BlockRunner
    workspaces : list of Workspace
        The kernel's per-thread network buffers.
    penalty : tuple
        ``(scale, weights)``: the penalty of parameter ``i`` is ``scale *
        weights[i]`` (``alpha / S`` and the 0-1 mask of the penalised weights
        for a float alpha; ``1 / S`` and each parameter's penalty for three).
    """

    def __init__(self, data, layout, runner, workspaces, penalty):
        self.data, self.layout, self.runner = data, layout, runner
        P = layout.n_parameters
        rows = max(1, _JACOBIAN_BYTES // (8 * P * layout.n_outputs))
        self.blocks = [
            data.block(int(start), int(stop))
            for block in data.blocks
            for start, stop in _pieces(block.start, block.stop, rows)
        ]
        rows = max(block.n_rows for block in self.blocks)
        self.workspaces = [
            _JacobianWorkspace(workspace, rows, layout, data.dtype)
            for workspace in workspaces
        ]
        self.n_slots = runner.n_slots(len(self.blocks), 8 * P * (P + 1), 2)
        self.JtJ = np.empty((self.n_slots, P, P))
        self.Jtr = np.empty((self.n_slots, P))
        self.squared = np.empty(self.n_slots)
        # The sum of the slots' J^T J, laid out like them: adding a C-ordered
        # slot into the caller's Fortran-ordered J^T J strides across memory
        # and takes several times as long.
        self.JtJ_total = np.empty((P, P))
        self.penalty = penalty

    def _jacobian(self, block, workspace, theta, forward, outputs=False):
        """Residuals and float64 Jacobian of Jacobian block ``block``."""
        block = self.blocks[block]
        buffers = workspace.network.buffers(block.n_rows)
        residual, jacobian = jacobian_block(
            self.data,
            self.layout,
            block,
            buffers,
            theta,
            forward,
            workspace.jacobian,
            outputs=outputs,
        )
        if workspace.jacobian64 is not None:
            jacobian64 = workspace.jacobian64[: jacobian.shape[0]]
            jacobian64[...] = jacobian
            jacobian = jacobian64
        return residual, jacobian

    def _block(self, block, workspace, slot, theta, forward):
        """``J_b^T J_b``, ``J_b^T r_b`` and ``r_b^T r_b`` into ``slot``."""
        residual, jacobian = self._jacobian(block, workspace, theta, forward)
        np.matmul(jacobian.T, jacobian, out=self.JtJ[slot])  # BLAS syrk
        np.matmul(jacobian.T, residual, out=self.Jtr[slot])
        self.squared[slot] = np.vdot(residual, residual)

    def __call__(self, theta, JtJ, Jtr):
        """Fill ``JtJ`` (float64, both triangles) and ``Jtr``; return the loss
        ``0.5 ||r||^2`` (1), penalty included."""
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        total = self.JtJ_total
        total[...] = 0.0
        Jtr[...] = 0.0
        squared = [0.0]

        def add(block, slot):
            np.add(total, self.JtJ[slot], out=total)
            np.add(Jtr, self.Jtr[slot], out=Jtr)
            squared[0] += float(self.squared[slot])

        self.runner.run(
            lambda block, workspace, slot: self._block(
                block, workspace, slot, theta, forward
            ),
            self.workspaces,
            n_blocks=len(self.blocks),
            n_slots=self.n_slots,
            reduce=add,
        )
        JtJ[...] = total
        alpha_over_S, mask = self.penalty
        penalty = mask.astype(np.float64) * alpha_over_S
        JtJ[np.diag_indices_from(JtJ)] += penalty
        Jtr += penalty * theta
        return 0.5 * squared[0] + 0.5 * float(np.vdot(theta, penalty * theta))

    def residuals_jacobian(self, theta):
        """All residuals and the whole Jacobian, penalty rows included (for
        tests and small problems): ``0.5 ||r||^2`` is the loss."""
        theta = np.asarray(theta)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        residuals, jacobians = [], []
        workspace = self.workspaces[0]
        for block in range(len(self.blocks)):  # copied before the next block
            residual, jacobian = self._jacobian(block, workspace, theta, forward)
            residuals.append(residual.copy())
            jacobians.append(jacobian.astype(self.data.dtype, copy=True))
        alpha_over_S, mask = self.penalty
        if alpha_over_S:
            penalised = np.flatnonzero(mask)
            root = np.sqrt(alpha_over_S * mask[penalised])  # mask: 0-1 or penalties
            residuals.append(root * theta[penalised])
            rows = np.zeros((penalised.size, theta.size), dtype=self.data.dtype)
            rows[np.arange(penalised.size), penalised] = root
            jacobians.append(rows)
        return np.concatenate(residuals), np.vstack(jacobians)

    def output_variances(self, theta, covariance):
        """``g^T C g`` for the gradient ``g = dYhat_ij/dtheta`` of every output
        of every row: shape (n_samples, n_outputs), float64.

        ``covariance`` is a ``(P, P)`` float64 matrix ``C`` (the posterior
        covariance of the weights, for the predictive variance).
        """
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        n_outputs = self.layout.n_outputs
        out = np.empty((self.data.n_samples, n_outputs))

        def work(index, workspace, slot):
            _, jacobian = self._jacobian(index, workspace, theta, forward, True)
            block = self.blocks[index]
            variances = np.einsum("ip,ip->i", jacobian @ covariance, jacobian)
            out[block.start : block.stop] = variances.reshape(-1, n_outputs)

        self.runner.run(work, self.workspaces, n_blocks=len(self.blocks))
        return out
