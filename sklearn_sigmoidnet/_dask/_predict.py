"""Predictions on a dask array: lazy, one :class:`NetworkKernel` per chunk."""

from dataclasses import dataclass

import numpy as np

from .._kernel import NetworkKernel
from .._threads import blas_single_threaded
from ._validation import _FINITE, _finiteness, _raise_not_finite

__all__ = ["predict_network", "predict_outputs", "predict_variances"]

_OVERFLOW = (
    "The network's hidden pre-activations X @ W1 overflowed for some rows of X "
    "(largest |X| in the chunk = {:.3g}). Scale X, for example with "
    "sklearn.preprocessing.StandardScaler, before fitting and predicting."
)


def _network_chunk(X, theta, layout, n_threads, estimator_name):
    state = _finiteness(X)
    if state != _FINITE:  # scikit-learn's error, when the chunk is computed
        _raise_not_finite(state, "X", X.dtype, estimator_name)
    with NetworkKernel(X, layout=layout, n_threads=n_threads) as kernel:
        with blas_single_threaded():
            outputs = kernel.predict(theta)
    if not np.all(np.isfinite(outputs)):
        largest = float(np.max(np.abs(X))) if X.size else 0.0
        raise ValueError(_OVERFLOW.format(largest))
    return outputs


def _variances_chunk(X, theta, covariance, layout, n_threads):
    with NetworkKernel(X, layout=layout, n_threads=n_threads) as kernel:
        with blas_single_threaded():
            return kernel.output_variances(theta, covariance)


def predict_network(
    X, theta, layout, *, n_threads=1, estimator_name="SigmoidMLPRegressor"
):
    """The network's outputs ``Yhat`` in (0, 1) on the rows of the dask array
    ``X``, as a lazy dask array of shape (n_samples, n_outputs) in X's dtype.

    A chunk with NaN or inf in X, or whose ``X @ W1`` overflows, raises when
    computed the error the estimator's ``predict`` raises in memory.
    """
    theta = np.asarray(theta, dtype=X.dtype)
    return X.map_blocks(
        _network_chunk,
        theta,
        layout,
        n_threads,
        estimator_name,
        chunks=(X.chunks[0], (layout.n_outputs,)),
        dtype=X.dtype,
    )


def predict_outputs(
    X,
    theta,
    layout,
    mapping,
    *,
    single_output,
    n_threads=1,
    estimator_name="SigmoidMLPRegressor",
):
    """Predictions in y's units, lazily: :func:`predict_network` mapped back
    by ``mapping`` (a :class:`TargetMapping`), float32 for float32 X when
    ``mapping.fits_float32()`` (else float64), raveled for one output, as the
    estimator's in-memory ``predict`` returns them."""
    outputs = predict_network(
        X, theta, layout, n_threads=n_threads, estimator_name=estimator_name
    )
    dtype = np.dtype(np.float64)
    if X.dtype == np.float32 and mapping.fits_float32():
        dtype = np.dtype(np.float32)

    def to_target(block):
        return mapping.to_target(block, out=np.empty(block.shape, dtype=dtype))

    y_pred = outputs.map_blocks(to_target, dtype=dtype)
    return y_pred[:, 0] if single_output else y_pred


def predict_variances(X, theta, covariance, layout, *, n_threads=1):
    """``g^T C g`` per row and output (float64, lazily), ``g`` the gradient of
    the network's outputs with respect to ``theta`` and ``C = covariance`` the
    posterior covariance of the weights: ``kernel.output_variances`` chunk by
    chunk. The covariance enters the graph once (one key), not per chunk.

    The estimator's ``y_std`` is ``sqrt(variances + noise_variance) *
    output_scale``, raveled for one output: elementwise, so lazy too.
    """
    from dask import delayed

    theta = np.asarray(theta, dtype=np.float64)
    if isinstance(covariance, np.ndarray):  # else a structured curvature
        covariance = np.asarray(covariance, dtype=np.float64)
    covariance = delayed(covariance, pure=True)
    return X.map_blocks(
        _variances_chunk,
        theta,
        covariance,
        layout,
        n_threads,
        chunks=(X.chunks[0], (layout.n_outputs,)),
        dtype=np.float64,
    )


def predict_std(X, theta, posterior, layout, mapping, *, n_threads=1):
    """The predictive standard deviation in y's units, lazily:
    ``sqrt(sigma^2 + g^T A^-1 g) * target_units`` per row and output (as
    :meth:`~sklearn_sigmoidnet._posterior.Posterior.predictive_std`)."""
    import dask.array as da

    if posterior.covariance is None:
        posterior.predictive_std(None, theta, mapping)  # raises, saying why
    variances = predict_variances(
        X, theta, posterior.covariance, layout, n_threads=n_threads
    )
    return da.sqrt(variances + posterior.noise_variance) * mapping.target_units


def predict_dask(X, fitted, *, return_std, n_jobs, estimator_name):
    """``predict`` of a dask array: lazy dask arrays, chunk by chunk.

    ``fitted`` is the estimator's :class:`FittedNetwork`; ``n_jobs`` the
    threads of each chunk's kernel (1 when None: the workers run chunks at
    once). ``return_std`` as in memory.
    """
    from ._validation import check_dask_data

    data = check_dask_data(X, estimator_name=estimator_name)
    if data.n_features != fitted.n_features:
        raise ValueError(
            f"X has {data.n_features} features, but {estimator_name} is "
            f"expecting {fitted.n_features} features as input."
        )
    if return_std and fitted.posterior is None:
        fitted.missing_posterior()  # raises, saying why
    n_threads = 1 if n_jobs is None else max(int(n_jobs), 1)
    y_pred = predict_outputs(
        data.X,
        fitted.theta(data.X.dtype),
        fitted.layout,
        fitted.mapping,
        single_output=fitted.single_output,
        n_threads=n_threads,
        estimator_name=estimator_name,
    )
    if not return_std:
        return y_pred
    y_std = predict_std(
        data.X,
        fitted.theta(np.float64),
        fitted.posterior,
        fitted.layout,
        fitted.mapping,
        n_threads=n_threads,
    )
    return y_pred, y_std[:, 0] if fitted.single_output else y_std


@dataclass
class FittedNetwork:
    """What a prediction needs of a fitted estimator (and nothing else)."""

    n_features: int
    layout: object
    mapping: object
    posterior: object
    single_output: bool
    theta: object  # theta(dtype) -> the flat weights
    missing_posterior: object  # raises the error of return_std without one
