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

__all__ = ["KroneckerProducts", "NormalEquations", "jacobian_block"]

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
        # the slots' J^T J, J^T r and r^T r and their sum: (P, P) each, made
        # on the first call (the row-space Jacobian and the variances need
        # none of them)
        self.JtJ = self.Jtr = self.squared = self.JtJ_total = None
        self.penalty = penalty

    def _allocate(self):
        P = self.layout.n_parameters
        self.JtJ = np.empty((self.n_slots, P, P))
        self.Jtr = np.empty((self.n_slots, P))
        self.squared = np.empty(self.n_slots)
        # The sum of the slots' J^T J, laid out like them: adding a C-ordered
        # slot into the caller's Fortran-ordered J^T J strides across memory
        # and takes several times as long.
        self.JtJ_total = np.empty((P, P))

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
        if self.JtJ_total is None:
            self._allocate()
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

    def row_space_jacobian(self, theta, out):
        """Fill ``out``, a float64 ``(n_samples n_outputs, P)`` array, with
        ``J = sqrt(w_i) dYhat_ij/dtheta`` (rows ordered (sample, output), no
        penalty rows: ``J^T J`` is the Gauss-Newton Hessian of ``E_D``); return
        ``sse = sum_i w_i ||Yhat_i - Y_i||^2``.

        Each Jacobian block writes its own rows and its own sum of squares,
        added in block order: the same bits for every thread count.
        """
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        m, root_S = self.layout.n_outputs, np.sqrt(self.data.weight_sum)
        squared = np.empty(len(self.blocks))

        def work(index, workspace, slot):
            residual, jacobian = self._jacobian(index, workspace, theta, forward)
            block = self.blocks[index]
            # sqrt(S) sqrt(w/S) dYhat/dtheta
            np.multiply(jacobian, root_S, out=out[block.start * m : block.stop * m])
            squared[index] = np.sum(np.square(residual, dtype=np.float64))

        self.runner.run(work, self.workspaces, n_blocks=len(self.blocks))
        return self.data.weight_sum * float(np.sum(squared))

    def output_variances(self, theta, covariance):
        """``g^T C g`` for the gradient ``g = dYhat_ij/dtheta`` of every output
        of every row: shape (n_samples, n_outputs), float64.

        ``covariance`` is a ``(P, P)`` float64 matrix ``C`` (the posterior
        covariance of the weights, for the predictive variance), or a
        :class:`~._row_space.RowSpaceCurvature` (its quadratic forms).
        """
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        n_outputs = self.layout.n_outputs
        out = np.empty((self.data.n_samples, n_outputs))

        def work(index, workspace, slot):
            _, jacobian = self._jacobian(index, workspace, theta, forward, True)
            block = self.blocks[index]
            if isinstance(covariance, np.ndarray):
                variances = np.einsum("ip,ip->i", jacobian @ covariance, jacobian)
            else:
                variances = covariance.quadratic_forms(jacobian)
            out[block.start : block.stop] = variances.reshape(-1, n_outputs)

        self.runner.run(work, self.workspaces, n_blocks=len(self.blocks))
        return out


class _FactorWorkspace:
    """A thread's network buffers and the float64 buffers of the structured
    curvature's products (one row block each; see :class:`KroneckerProducts`)."""

    def __init__(self, network_workspace, rows, layout):
        n_in, K, m = layout.n_features + 1, layout.n_hidden, layout.n_outputs
        self.network = network_workspace
        self.inputs = np.empty((rows, n_in))
        self.weighted = np.empty((rows, n_in))
        self.slope = np.empty((rows, m))
        self.hidden = np.empty((rows, K + 1))
        self.G = np.empty((rows, m, K))
        self.rotated_inputs = np.empty((rows, n_in))
        self.rotated_G = np.empty((rows, m, K))
        self.rotated_hidden = np.empty((rows, K + 1))
        self.variances = np.empty((rows, m))


class KroneckerProducts:
    """The per-block products of the structured (Kronecker-factored) curvature.

    The gradient of output ``j`` of row ``i`` is ``g_ij = [x_i (x) G_ij,
    a_ij [Z_i, 1] e_j]`` (``x_i = [X, 1]_i``, ``a_ij = Yhat_ij (1 -
    Yhat_ij)``, ``G_ijl = a_ij W2[l, j] Z_il (1 - Z_il)``), so with weights
    ``w_i`` and ``S = sum w``:

    - :meth:`factors` sums ``Q = sum_i w_i x_i x_i^T / S``, ``R = sum_ij w_i
      G_ij G_ij^T`` (the Kronecker factors of the input layer's block, ``H_11
      ~ Q (x) R``), the output layer's exact blocks ``H2_j = sum_i w_i
      a_ij^2 [Z_i, 1] [Z_i, 1]^T`` and ``sse = sum_i w_i ||Yhat_i - Y_i||^2``:
      one pass of about ``n (n_in^2 + m K^2)`` multiply-adds;
    - :meth:`output_variances` and :meth:`leave_one_out` evaluate ``g_ij^T C
      g_ij`` for a :class:`~._curvature.KroneckerCurvature` ``C``.

    The unit of work is a piece of a row block of the kernel (about 1 MiB of
    the buffers below). Each piece's sums go into a slot and the slots are
    added in order,
    so the results have the same bits for every thread count. Buffers of a
    thread (float64 whatever the data's dtype: the factors are eigen- and
    Cholesky-decomposed, and float32 sums of squares lose the small
    eigenvalues; ``r`` rows of a block, ``n_in = n_features + 1``):

    ==================  ==================  ====================================
    buffer              shape               holds
    ==================  ==================  ====================================
    ``inputs``          (r, n_in)           ``x_i = [X, 1]_i``
    ``weighted``        (r, n_in)           ``w_i x_i``
    ``slope``           (r, m)              ``a_ij = Yhat_ij (1 - Yhat_ij)``
    ``hidden``          (r, K + 1)          ``[Z_i, 1]``
    ``G``               (r, m, K)           ``G_ij``
    ``rotated_inputs``  (r, n_in)           ``x_i^T E`` (squared in place)
    ``rotated_G``       (r, m, K)           ``G_ij^T V`` (squared in place)
    ``rotated_hidden``  (r, K + 1)          ``L_j^-1 [Z_i, 1]``
    ``variances``       (r, m)              ``g_ij^T C g_ij``
    ==================  ==================  ====================================

    Parameters
    ----------
    data : BlockData
    layout : ParameterLayout
    runner : BlockRunner
    workspaces : list of Workspace
        The kernel's per-thread network buffers.
    """

    def __init__(self, data, layout, runner, workspaces):
        self.data, self.layout, self.runner = data, layout, runner
        n_in, K, m = layout.n_features + 1, layout.n_hidden, layout.n_outputs
        # the kernel's row blocks cut into pieces of about 1 MiB of buffers
        width = 3 * n_in + 2 * m * K + 2 * (K + 1) + 2 * m + K
        rows = max(1, _JACOBIAN_BYTES // (8 * width))
        self.blocks = [
            data.block(int(start), int(stop))
            for block in data.blocks
            for start, stop in _pieces(block.start, block.stop, rows)
        ]
        rows = max(block.n_rows for block in self.blocks)
        self.workspaces = [
            _FactorWorkspace(workspace, rows, layout) for workspace in workspaces
        ]
        self.sizes = (n_in * n_in, K * K, m * (K + 1) ** 2, 1)
        n_blocks = len(self.blocks)
        self.n_slots = runner.n_slots(n_blocks, 8 * sum(self.sizes), 2)
        self.slots = np.empty((self.n_slots, sum(self.sizes)))

    def _block(self, index, workspace, theta, forward):
        """Forward pass of row block ``index``: fills ``inputs``, ``slope``,
        ``hidden`` and ``G``; returns the rows, ``2 (Yhat - Y)`` and the
        weights (None for unit weights)."""
        data, layout = self.data, self.layout
        block = self.blocks[index]
        n = block.n_rows
        buffers = workspace.network.buffers(n)
        inputs = data.block_inputs(block, buffers)
        forward_block(inputs, buffers, *forward)
        x = workspace.inputs[:n]
        x[...] = inputs.toarray() if data.sparse else inputs.whole
        T = buffers.hidden.whole[:, :-1]
        output = buffers.output
        slope = workspace.slope[:n]
        np.multiply(output, output, out=slope)
        np.subtract(1.0, slope, out=slope)
        slope *= 0.25  # Yhat (1 - Yhat) = (1 - To^2) / 4                       (7)
        hidden = workspace.hidden[:n]
        np.multiply(T, 0.5, out=hidden[:, :-1])
        hidden[:, :-1] += 0.5  # Z = (1 + T) / 2                                 (3)
        hidden[:, -1] = 1.0
        _, W2 = layout.unpack(theta)
        G = workspace.G[:n]
        np.multiply(slope[:, :, None], W2[:-1].T[None, :, :], out=G)
        G *= ((1.0 - T * T) * 0.25)[:, None, :]  # Z (1 - Z) = (1 - T^2)/4    (9)
        twice_residual = None if block.Y is None else output - block.Y  # 2 (Yhat - Y)
        weight = None
        if data.scaled_weight is not None:
            weight = block.weight.astype(np.float64) * data.weight_sum
        return n, twice_residual, weight

    def _factor_block(self, index, workspace, slot, theta, forward):
        """One block's ``Q S``, ``R``, ``H2_j`` and ``sse`` into ``slot``."""
        n, twice_residual, weight = self._block(index, workspace, theta, forward)
        x, G = workspace.inputs[:n], workspace.G[:n]
        hidden, slope = workspace.hidden[:n], workspace.slope[:n]
        Q, R, H2, sse = np.split(self.slots[slot], np.cumsum(self.sizes)[:-1])
        weighted = workspace.weighted[:n]
        K, m = self.layout.n_hidden, self.layout.n_outputs
        if weight is None:
            weighted[...] = x
        else:
            np.multiply(x, weight, out=weighted)
        np.matmul(weighted.T, x, out=Q.reshape(len(x.T), -1))
        R = R.reshape(K, K)
        R[...] = 0.0
        H2 = H2.reshape(m, K + 1, K + 1)
        for j in range(m):
            if weight is None:
                R += G[:, j].T @ G[:, j]
                scale = slope[:, j] ** 2
            else:
                R += G[:, j].T @ (G[:, j] * weight)
                scale = slope[:, j] ** 2 * weight[:, 0]
            H2[j] = hidden.T @ (hidden * scale[:, None])
        squared = 0.25 * np.square(twice_residual, dtype=np.float64)
        sse[0] = np.sum(squared if weight is None else squared * weight)

    def factors(self, theta):
        """``(Q, R, H2, sse)`` at ``theta`` (see the class docstring)."""
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        total = np.zeros(self.slots.shape[1])

        def add(block, slot):
            np.add(total, self.slots[slot], out=total)

        self.runner.run(
            lambda block, workspace, slot: self._factor_block(
                block, workspace, slot, theta, forward
            ),
            self.workspaces,
            n_blocks=len(self.blocks),
            n_slots=self.n_slots,
            reduce=add,
        )
        layout = self.layout
        n_in, K, m = layout.n_features + 1, layout.n_hidden, layout.n_outputs
        Q, R, H2, sse = np.split(total, np.cumsum(self.sizes)[:-1])
        S = self.data.weight_sum
        Q = Q.reshape(n_in, n_in) / (S if S else 1.0)
        return Q, R.reshape(K, K), H2.reshape(m, K + 1, K + 1), float(sse[0])

    def _variance_block(self, index, workspace, theta, forward, curvature):
        """``g_ij^T C g_ij`` of a block into ``variances``: the input layer's
        ``sum_pq (x^T E)_p^2 C_pq (G^T V)_q^2`` plus the output layer's
        ``a_ij^2 ||L_j^-1 [Z_i, 1]||^2``."""
        n, twice_residual, weight = self._block(index, workspace, theta, forward)
        rotated = workspace.rotated_inputs[:n]
        np.matmul(workspace.inputs[:n], curvature.input_basis, out=rotated)
        np.square(rotated, out=rotated)
        G = workspace.rotated_G[:n]
        np.matmul(workspace.G[:n], curvature.hidden_basis, out=G)
        np.square(G, out=G)
        variances = workspace.variances[:n]
        np.einsum("ik,ijk->ij", rotated @ curvature.scales, G, out=variances)
        hidden, slope = workspace.hidden[:n], workspace.slope[:n]
        rotated_hidden = workspace.rotated_hidden[:n]
        for j, inverse_factor in enumerate(curvature.output_inverse_factors):
            np.matmul(hidden, inverse_factor.T, out=rotated_hidden)
            np.square(rotated_hidden, out=rotated_hidden)
            variances[:, j] += slope[:, j] ** 2 * rotated_hidden.sum(axis=1)
        return variances, twice_residual, weight

    def output_variances(self, theta, curvature):
        """``g^T C g`` of every row and output: shape (n_samples, n_outputs)."""
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        out = np.empty((self.data.n_samples, self.layout.n_outputs))

        def work(index, workspace, slot):
            variances, _, _ = self._variance_block(
                index, workspace, theta, forward, curvature
            )
            block = self.blocks[index]
            out[block.start : block.stop] = variances

        self.runner.run(work, self.workspaces, n_blocks=len(self.blocks))
        return out

    def leave_one_out(self, theta, curvature, noise_precision):
        """``sum_ij w_i ((1 + u_ij) r_ij)^2 / N`` with ``u_ij = b w_i g_ij^T C
        g_ij``, block by block (memory of one block); NaN where not finite.

        ``1 + u`` is the exact ``1 / (1 - h)`` when ``C`` is the posterior
        covariance without the row (``A_-i^-1``); the structured ``C``
        approximates it (and ``A^-1``, which differ by one row), and unlike
        ``1 / (1 - h)`` with ``h`` from an approximate ``C``, never blows up
        where an approximate leverage reaches 1.
        """
        theta = np.asarray(theta, dtype=np.float64)
        forward = forward_weights(self.layout, theta, self.data.dtype)
        sums = np.empty(self.n_slots)
        total = [0.0]

        def work(index, workspace, slot):
            variances, twice_residual, weight = self._variance_block(
                index, workspace, theta, forward, curvature
            )
            w = 1.0 if weight is None else weight
            factor = 1.0 + noise_precision * w * variances
            loo = (0.5 * twice_residual * factor) ** 2
            sums[slot] = float(np.sum(w * loo))

        def add(block, slot):
            total[0] += sums[slot]

        with np.errstate(over="ignore", invalid="ignore"):
            self.runner.run(
                work,
                self.workspaces,
                n_blocks=len(self.blocks),
                n_slots=self.n_slots,
                reduce=add,
            )
        error = total[0] / (self.data.weight_sum * self.layout.n_outputs)
        return error if np.isfinite(error) else np.nan
