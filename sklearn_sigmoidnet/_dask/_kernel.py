"""The data-parallel kernel: the optimiser on the client, one map-reduce over
row chunks persisted on the dask workers per evaluation (the pattern of
dask-ml's generalised linear models).

:class:`DaskNetworkKernel` has :class:`~sklearn_sigmoidnet.NetworkKernel`'s
interface (``loss_gradient``, ``loss``, ``normal_equations``, ``set_alpha``,
``alpha``, ``layout``, ``n_samples``, ``data.weight_sum``, ``close``), so that
the solvers and the evidence updates run on it unchanged. Each chunk's
kernel is built once, on a worker, and kept there (a
:class:`~._chunks.ChunkKernel` behind a future); a call ships only ``theta``
and gets back one partial sum per chunk, which the client adds **in chunk
order**, whichever worker finished first. So the results are the same, bit
for bit, for every number of workers and of threads per worker; a different
chunking adds the same terms in a different grouping and differs in the last
bits (about 1e-16 relative), as the in-memory kernel's block sums do.
"""

import uuid
from types import SimpleNamespace

import numpy as np

from .._layout import penalty_terms
from ._chunks import (
    ChunkKernel,
    chunk_info,
    chunk_leave_one_out,
    chunk_loss,
    chunk_loss_gradient,
    chunk_normal_equations,
    chunk_residuals,
    combine_moments,
)

__all__ = ["DaskNetworkKernel"]


def _default_client(client):
    if client is not None:
        return client
    from distributed import default_client

    return default_client()


class DaskNetworkKernel:
    """Loss, gradient and normal equations of the network on a dask array.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64, rows in chunks, the columns in one chunk (see
        :func:`check_dask_data`).
    Y : dask.array.Array of shape (n_samples, n_outputs)
        Targets on the network's (0, 1) scale (:func:`to_network`), chunked
        like X's rows.
    sample_weight : dask.array.Array of shape (n_samples,), default=None
        Non-negative weights, chunked like X's rows; None for unit weights.
        Rows of zero weight are dropped on the workers.
    layout : ParameterLayout
    alpha : float or ndarray of shape (3,), default=0.0
        The L2 penalty, as for :class:`~sklearn_sigmoidnet.NetworkKernel`.
    n_threads : int, default=1
        Threads of each chunk's kernel on its worker.
    client : distributed.Client, default=None
        The client of the cluster; the default client when None.

    Notes
    -----
    The chunks' kernels stay in the workers' memory until :meth:`close` (or
    the end of a ``with`` block): about the size of ``[X, 1]`` plus Y.
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight=None,
        *,
        layout,
        alpha=0.0,
        n_threads=1,
        client=None,
    ):
        from dask import delayed

        self.client = client = _default_client(client)
        self.layout = layout
        self.dtype = np.dtype(X.dtype)
        self._name = f"sigmoidnet-{uuid.uuid4().hex[:12]}"
        self._calls = 0
        X_parts = X.to_delayed().ravel()
        Y_parts = Y.rechunk({0: X.chunks[0], 1: -1}).to_delayed().ravel()
        if sample_weight is None:
            w_parts = [None] * len(X_parts)
        else:
            w_parts = sample_weight.rechunk({0: X.chunks[0]}).to_delayed().ravel()
        build = delayed(ChunkKernel, pure=True)
        chunks = [
            build(x, y, w, layout, n_threads, dask_key_name=f"{self._name}-chunk-{i}")
            for i, (x, y, w) in enumerate(zip(X_parts, Y_parts, w_parts, strict=True))
        ]
        self._chunks = client.compute(chunks)
        infos = client.gather(
            client.map(
                chunk_info,
                self._chunks,
                key=[f"{self._name}-info-{i}" for i in range(len(chunks))],
            )
        )
        self.n_chunks = len(infos)
        self.chunk_samples = [info[0] for info in infos]
        self.n_samples = int(sum(self.chunk_samples))
        weight_sum = 0.0
        for info in infos:  # in chunk order
            weight_sum += info[1]
        #: the network-scale targets' (weight sum, mean, M2), in chunk order
        self.moments = combine_moments(info[2] for info in infos)
        self.data = SimpleNamespace(
            weight_sum=weight_sum, n_samples=self.n_samples, dtype=self.dtype
        )
        self._mask = layout.penalty_mask(self.dtype)
        self.set_alpha(alpha)

    # ------------------------------------------------------------- penalty
    def set_alpha(self, alpha):
        """Change the L2 penalty: a float on every non-bias weight, or one per
        group of ``ParameterLayout.penalty_groups`` (an array of three).
        Client-side only: the chunks' kernels have none."""
        self.alpha, self._penalty_scale, self._penalty = penalty_terms(
            self.layout, alpha, self.data.weight_sum, self._mask, self.dtype
        )

    def _penalty_loss(self, theta):
        """The penalty's share of the loss, as NetworkKernel computes it."""
        if not self._penalty_scale:
            return 0.0
        penalised = theta * self._penalty[1]
        S = self.data.weight_sum
        return 0.5 * self._penalty_scale / S * float(np.vdot(penalised, theta))

    # ----------------------------------------------------------- map-reduce
    def _map(self, function, *args):
        """``function(chunk, *args)`` on every chunk; the results in chunk
        order (None for chunks without samples left out)."""
        self._calls += 1
        keys = [
            f"{self._name}-{function.__name__}-{self._calls}-{i}"
            for i in range(self.n_chunks)
        ]
        # one batched message for all the chunks (a loop of submits costs
        # a few ms more per chunk)
        futures = self.client.map(
            function,
            self._chunks,
            *([arg] * self.n_chunks for arg in args),
            key=keys,
            pure=False,
        )
        try:
            results = self.client.gather(futures)
        finally:
            for future in futures:
                future.release()
        return [result for result in results if result is not None]

    def loss_gradient(self, theta, gradient=None):
        """Loss (1) and its gradient at the flat parameters ``theta``.

        The gradient is float64 unless ``gradient`` is given (written in
        place); the chunks' float32 gradients are summed in float64.
        """
        theta = np.asarray(theta)
        squared, summed = 0.0, np.zeros(self.layout.n_parameters)
        for part_loss, part_gradient in self._map(chunk_loss_gradient, theta):
            squared += part_loss
            np.add(summed, part_gradient, out=summed)
        S = self.data.weight_sum
        if gradient is None:
            gradient = np.empty(self.layout.n_parameters, dtype=self.dtype)
        np.divide(summed, S, out=gradient, casting="unsafe")
        penalty_scale, penalty_weights = self._penalty
        if penalty_scale:
            gradient += penalty_scale * (theta * penalty_weights)
        return squared / S + self._penalty_loss(theta), gradient

    def loss(self, theta):
        """The loss (1) alone (for trial steps)."""
        theta = np.asarray(theta)
        squared = 0.0
        for part in self._map(chunk_loss, theta):
            squared += part
        return squared / self.data.weight_sum + self._penalty_loss(theta)

    def normal_equations(self, theta, JtJ, Jtr):
        """Fill ``J^T J`` (both triangles) and ``J^T r``; return the loss.

        ``JtJ`` is a Fortran-ordered float64 ``(P, P)`` array and ``Jtr`` a
        float64 ``(P,)`` array, both overwritten. Each chunk sends back a
        ``(P, P)`` float64 partial (8 P^2 bytes).
        """
        theta = np.asarray(theta, dtype=np.float64)
        JtJ[...] = 0.0
        Jtr[...] = 0.0
        squared = 0.0
        for part_loss, part_JtJ, part_Jtr in self._map(chunk_normal_equations, theta):
            squared += part_loss
            np.add(JtJ, part_JtJ, out=JtJ)
            np.add(Jtr, part_Jtr, out=Jtr)
        S = self.data.weight_sum
        JtJ /= S
        Jtr /= S
        alpha_over_S, weights = self._penalty
        penalty = weights.astype(np.float64) * alpha_over_S
        JtJ[np.diag_indices_from(JtJ)] += penalty
        Jtr += penalty * theta
        return squared / S + 0.5 * float(np.vdot(theta, penalty * theta))

    def constant_prediction_loss(self, output_range):
        """Loss (1) of the best constant prediction on the kernel's targets
        (the unit of ``tol``), floored as
        :func:`~sklearn_sigmoidnet._data.constant_prediction_loss` is."""
        total, _, M2 = self.moments
        low, high = output_range
        floor = 1e-12 * 0.5 * self.layout.n_outputs * (0.5 * (high - low)) ** 2
        if not total:
            return floor
        return max(0.5 * float(np.sum(M2)) / total, floor)

    def leave_one_out_error(self, theta, covariance, noise_precision, max_leverage):
        """The linearised leave-one-out error of the mode ``theta`` (as
        ``_bayes.leave_one_out_error`` computes it in memory), chunk by chunk:
        the covariance goes to the workers once per call."""
        shared = self.client.scatter(np.asarray(covariance), broadcast=True)
        total = 0.0
        for part in self._map(
            chunk_leave_one_out,
            np.asarray(theta),
            shared,
            noise_precision,
            max_leverage,
        ):
            total += part
        error = total / (self.data.weight_sum * self.layout.n_outputs)
        return error if np.isfinite(error) else np.nan

    def r2_score(self, theta):
        """R^2 of the network's outputs on the kernel's targets, averaged over
        the outputs (what early stopping scores the held-out rows with; the
        affine target map does not change it)."""
        residual = np.zeros(self.layout.n_outputs)
        for part in self._map(chunk_residuals, np.asarray(theta)):
            residual += part
        total = self.moments[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(total > 0, 1 - residual / total, (residual == 0) * 1.0)
        return float(np.mean(scores))

    # ------------------------------------------------------------ lifetime
    def close(self):
        """Release the chunks' kernels on the workers."""
        chunks, self._chunks = self._chunks, []
        for future in chunks:
            future.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
