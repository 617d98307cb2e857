"""Fit and predict on dask arrays: the data-parallel layer (issue 19).

The optimiser runs on the client; each evaluation of the loss, its gradient
or the Gauss-Newton normal equations is one map-reduce over row chunks whose
kernels are persisted on the dask workers (:class:`DaskNetworkKernel`). The
chunks' partial sums are added in chunk order, so a fit gives the same bits
on any number of workers.

What a fit on a dask ``X`` calls, in order:

1. :func:`check_dask_data` (lazy: shapes, chunks, dtypes);
2. :func:`split_validation` (early stopping; lazy);
3. :func:`data_statistics` (one pass: NaN/inf/negative weights, the targets'
   extremes and moments) -> :meth:`DataStatistics.target_mapping` and
   :meth:`DataStatistics.constant_prediction_loss`;
4. :class:`DaskNetworkKernel` on ``to_network(Y, mapping, X.dtype)``;
5. :func:`predict_outputs` / :func:`predict_variances` (lazy) to predict.
"""

from ._kernel import DaskNetworkKernel
from ._predict import (
    FittedNetwork,
    predict_dask,
    predict_network,
    predict_outputs,
    predict_std,
    predict_variances,
)
from ._split import split_validation
from ._validation import (
    DaskData,
    DataStatistics,
    check_dask_data,
    data_statistics,
    is_dask_collection,
    to_network,
)

__all__ = [
    "FittedNetwork",
    "DaskData",
    "DaskNetworkKernel",
    "DataStatistics",
    "check_dask_data",
    "data_statistics",
    "is_dask_collection",
    "predict_dask",
    "predict_network",
    "predict_outputs",
    "predict_std",
    "predict_variances",
    "split_validation",
    "to_network",
]
