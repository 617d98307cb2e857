"""What runs on the dask workers: one chunk of rows, its cached kernel, and
the partial sums of a chunk that the client adds up in chunk order.

A :class:`ChunkKernel` is the result of a task, held in a worker's memory
for as long as the client holds its future. It wraps the project's own
:class:`~sklearn_sigmoidnet.NetworkKernel` on the chunk's rows (no second
implementation of the math) with ``alpha=0``, and turns the kernel's
normalised results into unnormalised sums by multiplying them by the chunk's
weight sum ``S_c``: ``S_c L_c = 1/2 sum_i w_i ||Yhat_i - Y_i||^2``, and
likewise for the gradient, ``J^T J`` and ``J^T r``. The client divides the sum
of the chunks' partials by ``S`` and adds the penalty.

It pickles as its data (the kernel is rebuilt where it lands), so that dask
may move it to another worker, spill it to disk or recompute it.
"""

import threading

import numpy as np

from .._kernel import NetworkKernel
from .._threads import blas_single_threaded

__all__ = [
    "ChunkKernel",
    "chunk_info",
    "chunk_loss",
    "chunk_loss_gradient",
    "chunk_normal_equations",
    "chunk_residuals",
    "combine_moments",
    "weighted_moments",
]


def weighted_moments(Y, weights):
    """``(S, mean, M2)`` of the rows of ``Y`` (float64): weight sum, weighted
    mean and weighted sum of squared deviations from it, per column."""
    Y = np.asarray(Y, dtype=np.float64)
    total = float(Y.shape[0]) if weights is None else float(np.sum(weights))
    if total == 0:
        zeros = np.zeros(Y.shape[1])
        return 0.0, zeros, zeros.copy()
    if weights is None:
        mean = Y.sum(axis=0) / total
        return total, mean, ((Y - mean) ** 2).sum(axis=0)
    mean = (weights @ Y) / total
    return total, mean, weights @ (Y - mean) ** 2


def combine_moments(parts):
    """The moments of the union of the parts, added in the order given
    (Chan, Golub and LeVeque's pairwise update), so that the result depends
    on the chunking alone."""
    total, mean, M2 = 0.0, None, None
    for part_total, part_mean, part_M2 in parts:
        if part_total == 0:
            continue
        if mean is None:
            total, mean, M2 = part_total, part_mean.copy(), part_M2.copy()
            continue
        new_total = total + part_total
        delta = part_mean - mean
        mean = mean + delta * (part_total / new_total)
        M2 = M2 + part_M2 + delta * delta * (total * part_total / new_total)
        total = new_total
    return total, mean, M2


class ChunkKernel:
    """A chunk's rows of positive weight and the kernel on them (worker side).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    Y : ndarray of shape (n_rows, n_outputs), on the network's scale
    sample_weight : ndarray of shape (n_rows,) or None
        Rows of zero weight are dropped; all-ones weights become None (the
        kernel's unit-weight path, as the estimator's canonical samples).
    layout : ParameterLayout
    n_threads : int
        Threads of the chunk's kernel (within one dask task).
    """

    def __init__(self, X, Y, sample_weight, layout, n_threads=1):
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            kept = sample_weight > 0
            if not kept.all():
                X, Y, sample_weight = X[kept], Y[kept], sample_weight[kept]
            if np.all(sample_weight == 1.0):
                sample_weight = None
        self.layout, self.n_threads = layout, int(n_threads)
        Y = np.asarray(Y)
        self.Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        self.sample_weight = sample_weight
        self.n_samples = int(X.shape[0])
        self.moments = weighted_moments(self.Y, sample_weight)
        self._lock = threading.Lock()
        self._X, self.kernel = X, None
        if self.n_samples:
            self.kernel = NetworkKernel(
                X, self.Y, sample_weight, layout=layout, n_threads=self.n_threads
            )
            if not self.kernel.data.gathers_inputs:
                self._X = None  # the kernel holds [X, 1]; no second copy
        self.weight_sum = self.kernel.data.weight_sum if self.kernel else 0.0

    @property
    def X(self):
        """The chunk's inputs (a view of the kernel's copy when it holds one)."""
        if self._X is not None or self.kernel is None:
            return self._X
        return self.kernel.data.inputs[:, :-1]

    def __getstate__(self):
        return {
            "X": np.ascontiguousarray(self.X),
            "Y": self.Y,
            "sample_weight": self.sample_weight,
            "layout": self.layout,
            "n_threads": self.n_threads,
        }

    def __setstate__(self, state):
        self.__init__(
            state["X"],
            state["Y"],
            state["sample_weight"],
            state["layout"],
            state["n_threads"],
        )

    def __sizeof__(self):
        """Bytes held, for dask's memory accounting."""
        size = self.Y.nbytes
        if self.sample_weight is not None:
            size += self.sample_weight.nbytes
        if self._X is not None:
            size += self._X.nbytes
        if self.kernel is not None and self.kernel.data.inputs is not None:
            size += self.kernel.data.inputs.nbytes
        return int(size)

    def run(self, method, *args):
        """``kernel.method(*args)`` under this chunk's lock (a kernel's
        buffers serve one call at a time) with BLAS on one thread."""
        with self._lock, blas_single_threaded():
            return getattr(self.kernel, method)(*args)

    def close(self):
        if self.kernel is not None:
            self.kernel.close()


def chunk_info(chunk):
    """``(n_samples, weight_sum, moments)`` of a chunk."""
    return chunk.n_samples, chunk.weight_sum, chunk.moments


def chunk_loss_gradient(chunk, theta):
    """``(S_c L_c, S_c grad L_c)``: the chunk's unnormalised loss and
    gradient sums (float64), or None for a chunk without samples."""
    if chunk.kernel is None:
        return None
    gradient = np.empty(chunk.layout.n_parameters)
    loss, gradient = chunk.run("loss_gradient", theta, gradient)
    scale = chunk.weight_sum
    gradient *= scale
    return loss * scale, gradient


def chunk_loss(chunk, theta):
    """``S_c L_c``, or None for a chunk without samples."""
    if chunk.kernel is None:
        return None
    return chunk.run("loss", theta) * chunk.weight_sum


def chunk_normal_equations(chunk, theta):
    """``(S_c L_c, S_c J^T J, S_c J^T r)`` of a chunk (both triangles), or
    None for a chunk without samples."""
    if chunk.kernel is None:
        return None
    P = chunk.layout.n_parameters
    JtJ, Jtr = np.empty((P, P), order="F"), np.empty(P)
    loss = chunk.run("normal_equations", theta, JtJ, Jtr)
    scale = chunk.weight_sum
    JtJ *= scale
    Jtr *= scale
    return loss * scale, JtJ, Jtr


def chunk_residuals(chunk, theta):
    """``sum_i w_i (Y_ij - Yhat_ij)^2`` per output (for the validation R^2),
    or None for a chunk without samples."""
    if chunk.kernel is None:
        return None
    outputs = chunk.run("predict", theta)
    squares = (chunk.Y - outputs.astype(np.float64)) ** 2
    if chunk.sample_weight is None:
        return squares.sum(axis=0)
    return chunk.sample_weight @ squares


def chunk_leave_one_out(chunk, theta, covariance, noise_precision, max_leverage):
    """``sum_ij w_i (r_ij / (1 - h_ij))^2`` of a chunk (the linearised
    leave-one-out error's numerator, see ``_bayes.leave_one_out_error``), or
    None for a chunk without samples."""
    if chunk.kernel is None:
        return None
    outputs = chunk.run("predict", theta).astype(np.float64)
    variances = chunk.run("output_variances", theta, covariance)
    weights = np.ones((chunk.n_samples, 1))
    if chunk.sample_weight is not None:
        weights = chunk.sample_weight[:, None]
    leverage = np.clip(noise_precision * weights * variances, 0.0, max_leverage)
    with np.errstate(over="ignore", invalid="ignore"):
        loo = ((outputs - chunk.Y) / (1.0 - leverage)) ** 2
        return float(np.sum(weights * loo))
