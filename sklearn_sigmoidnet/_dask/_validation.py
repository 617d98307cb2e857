"""Dask inputs: detection, validation and the statistics pass.

Validation is lazy where it can be (shapes, chunks, dtypes); what needs the
values (NaN and inf, negative weights, the targets' extremes) is found in one
pass over the chunks, :func:`data_statistics`, which raises the errors that
scikit-learn's ``validate_data`` raises in memory, with the same text.
"""

import sys
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import _assert_all_finite, check_non_negative

from .._data import TargetMapping
from ._chunks import combine_moments, weighted_moments

__all__ = [
    "DaskData",
    "DataStatistics",
    "check_dask_data",
    "data_statistics",
    "is_dask_collection",
    "to_network",
]

_FINITE, _INFINITE, _NAN = 0, 1, 2


def is_dask_collection(X):
    """Whether ``X`` is a dask collection (array, DataFrame, Series, ...).

    Never imports dask: an object can only be one once dask is imported.
    """
    if "dask" not in sys.modules:
        return False
    from dask.base import is_dask_collection as is_collection

    return bool(is_collection(X))


@dataclass
class DaskData:
    """Validated dask inputs: what the estimator trains or predicts on.

    Attributes
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 or float64; rows in chunks of known sizes, columns in one.
    Y : dask.array.Array of shape (n_samples, n_outputs) or None
        float64, in y's units, chunked like X's rows.
    sample_weight : dask.array.Array of shape (n_samples,) or None
        float64, chunked like X's rows.
    single_output : bool
        Whether y was one-dimensional.
    feature_names : ndarray of str or None
        A dask DataFrame's column names.
    """

    X: object
    Y: object = None
    sample_weight: object = None
    single_output: bool = True
    feature_names: object = None

    @property
    def n_samples(self):
        return int(self.X.shape[0])

    @property
    def y(self):
        """``y`` as given (one-dimensional for a single output)."""
        if self.Y is None:
            return None
        return self.Y[:, 0] if self.single_output else self.Y

    @property
    def n_features(self):
        return int(self.X.shape[1])

    @property
    def n_outputs(self):
        return None if self.Y is None else int(self.Y.shape[1])

    @property
    def row_chunks(self):
        return self.X.chunks[0]


def _as_dask_array(values, name):
    """A dask array from a dask array, DataFrame or Series (feature names
    too, for a DataFrame)."""
    names = None
    if hasattr(values, "to_dask_array"):  # dask DataFrame or Series
        if hasattr(values, "columns"):
            names = np.asarray(values.columns, dtype=object)
        if hasattr(values, "optimize"):
            # dask may merge small partitions (e.g. of a column selection of
            # parquet files) while it computes the lengths: optimise first
            values = values.optimize()
        values = values.to_dask_array(lengths=True)
    if not hasattr(values, "chunks") or not is_dask_collection(values):
        raise TypeError(
            f"{name} must be a dask array or dask DataFrame; got "
            f"{type(values).__name__}."
        )
    if not isinstance(values._meta, np.ndarray):
        raise TypeError(
            f"{name}'s chunks must be numpy arrays; got {type(values._meta).__name__} "
            "(sparse or GPU chunks are not supported on dask)."
        )
    if any(np.isnan(size) for sizes in values.chunks for size in sizes):
        raise ValueError(
            f"{name} has chunks of unknown size (from boolean indexing or a "
            f"DataFrame's to_dask_array()): call {name}.compute_chunk_sizes() on "
            "the dask array, or use to_dask_array(lengths=True) on the dask "
            "DataFrame, before fitting."
        )
    return values, names


def _float_dtype(array, name, allowed):
    """``array`` in a float dtype of ``allowed`` (the first when converting)."""
    if array.dtype in allowed:
        return array
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {array.dtype}.")
    return array.astype(allowed[0])


def check_dask_data(
    X, y=None, sample_weight=None, *, estimator_name="SigmoidMLPRegressor"
):
    """Validate dask inputs lazily: shapes, chunks and dtypes.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Rows in chunks of known sizes, the columns in one chunk. float32 is
        kept, other numeric dtypes become float64.
    y : dask array, dask Series or DataFrame, or ndarray, default=None
        Shape (n_samples,) or (n_samples, n_outputs); rechunked to X's rows.
    sample_weight : dask array, ndarray, float or None
        Shape (n_samples,); rechunked to X's rows.
    estimator_name : str
        Named in the errors, as scikit-learn names the estimator.

    Returns
    -------
    DaskData
        The values are not read: :func:`data_statistics` checks them.
    """
    import dask.array as da

    X, names = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D dask array for X, got {X.ndim}D with shape {X.shape}. "
            "Reshape your data with X.reshape(-1, 1) for a single feature."
        )
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"X's {X.shape[1]} columns are split into {len(X.chunks[1])} chunks; "
            "the columns must be in one chunk (rows chunked only): use "
            "X.rechunk({1: -1})."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        # the same error as scikit-learn's, from an empty array of X's shape
        check_array(np.empty(X.shape), estimator=estimator_name)
    X = _float_dtype(X, "X", (np.float64, np.float32))
    data = DaskData(X, feature_names=names)
    if y is None:
        return data
    if is_dask_collection(y):
        Y, _ = _as_dask_array(y, "y")
    else:
        Y = np.asarray(y)
        rows = X.chunks[0] if Y.ndim and len(Y) == X.shape[0] else -1
        Y = da.from_array(Y, chunks=(rows,) + (-1,) * (Y.ndim - 1))
    if Y.ndim not in (1, 2):
        raise ValueError(f"y must be 1D or 2D; got shape {Y.shape}.")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {Y.shape[0]}]"
        )
    data.single_output = Y.ndim == 1
    Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
    Y = _float_dtype(Y, "y", (np.float64,))
    data.Y = Y.rechunk({0: X.chunks[0], 1: -1})
    if sample_weight is None:
        return data
    if np.ndim(sample_weight) == 0 and not is_dask_collection(sample_weight):
        sample_weight = da.full(X.shape[0], float(sample_weight), chunks=(X.chunks[0],))
    elif is_dask_collection(sample_weight):
        sample_weight, _ = _as_dask_array(sample_weight, "sample_weight")
    else:
        sample_weight = np.asarray(sample_weight)
        rows = X.chunks[0] if sample_weight.shape == (X.shape[0],) else -1
        sample_weight = da.from_array(sample_weight, chunks=rows)
    if sample_weight.ndim != 1:
        raise ValueError("Sample weights must be 1D array or scalar")
    if sample_weight.shape[0] != X.shape[0]:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({X.shape[0]},)!"
        )
    sample_weight = _float_dtype(sample_weight, "sample_weight", (np.float64,))
    data.sample_weight = sample_weight.rechunk({0: X.chunks[0]})
    return data


def to_network(Y, mapping, dtype):
    """The dask targets ``Y`` on the network's scale, lazily, in ``dtype``."""
    return Y.map_blocks(mapping.to_network, dtype, dtype=np.dtype(dtype))


# ------------------------------------------------------------- the one pass
def _finiteness(values):
    if values is None or values.size == 0:
        return _FINITE
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values).all():
            return _FINITE
    return _NAN if np.isnan(values).any() else _INFINITE


def _chunk_statistics(X, Y, weights):
    """Everything the statistics pass wants of one chunk."""
    out = {"X": _finiteness(X), "Y": _finiteness(Y), "w": _finiteness(weights)}
    out["negative"] = weights is not None and bool(np.any(weights < 0))
    if Y is None:
        return out
    n_outputs = Y.shape[1]
    kept = Y if weights is None else Y[weights > 0]
    if kept.shape[0]:
        out["min"], out["max"] = kept.min(axis=0), kept.max(axis=0)
    else:
        out["min"] = np.full(n_outputs, np.inf)
        out["max"] = np.full(n_outputs, -np.inf)
    out["positive"] = int(kept.shape[0])
    finite = out["Y"] == _FINITE and out["w"] == _FINITE and not out["negative"]
    if finite:
        with np.errstate(over="ignore", invalid="ignore"):
            out["moments"] = weighted_moments(Y, weights)
    return out


def _raise_not_finite(state, name, dtype, estimator_name):
    """scikit-learn's error for NaN or inf in ``name``, with its text."""
    bad = np.array([np.nan if state == _NAN else np.inf], dtype=dtype)
    _assert_all_finite(bad, input_name=name, estimator_name=estimator_name)


@dataclass
class DataStatistics:
    """What one pass over a data set found.

    Attributes
    ----------
    n_samples : int
        Rows (of any weight).
    n_positive : int
        Rows of positive weight.
    weight_sum : float
        Sum of the weights, added in chunk order.
    y_min, y_max : ndarray of shape (n_outputs,)
        Extremes of y among the rows of positive weight.
    moments : tuple
        ``(S, mean, M2)`` of y in its units (weighted, in chunk order).
    """

    n_samples: int
    n_positive: int = 0
    weight_sum: float = 0.0
    y_min: object = None
    y_max: object = None
    moments: object = None

    def target_mapping(self, output_range):
        """The :class:`TargetMapping` of ``TargetMapping.fit`` on these rows."""
        return TargetMapping(self.y_min, self.y_max, output_range)

    def constant_prediction_loss(self, mapping, output_range):
        """Loss (1) of the best constant prediction on the network's scale
        under ``mapping`` (the unit of ``tol``), floored as in memory.

        From the moments in y's units: ``M2`` scaled by
        ``1 / mapping.target_units**2``. None when they overflowed (targets
        beyond about 1e154); :meth:`DaskNetworkKernel.constant_prediction_loss`
        computes it on the network's scale.
        """
        total, _, M2 = self.moments
        low, high = output_range
        n_outputs = len(self.y_min)
        floor = 1e-12 * 0.5 * n_outputs * (0.5 * (high - low)) ** 2
        if not total:
            return floor
        with np.errstate(over="ignore", invalid="ignore"):
            squares = float(np.sum(M2 / mapping.target_units**2))
        if not np.isfinite(squares):
            return None
        return max(0.5 * squares / total, floor)


def data_statistics(*datasets, estimator_name="SigmoidMLPRegressor"):
    """One pass over the chunks of every data set (one ``dask.compute``):
    check the values and gather the target statistics, in chunk order.

    Raises the errors of scikit-learn's in-memory validation, with the same
    text: NaN or inf in X, then y, then sample_weight; negative weights;
    weights that are all zero.

    Returns
    -------
    list of DataStatistics
        One per data set (``y_min`` and the rest None without targets).
    """
    import dask
    from dask import delayed

    task = delayed(_chunk_statistics, pure=True)
    per_set = []
    for data in datasets:
        X_parts = data.X.to_delayed().ravel()
        n = len(X_parts)
        Y_parts = [None] * n if data.Y is None else data.Y.to_delayed().ravel()
        w = data.sample_weight
        w_parts = [None] * n if w is None else w.to_delayed().ravel()
        per_set.append(
            [task(x, y, v) for x, y, v in zip(X_parts, Y_parts, w_parts, strict=True)]
        )
    (computed,) = dask.compute(per_set)
    results = []
    for data, chunks in zip(datasets, computed, strict=True):
        for name, key, dtype in (
            ("X", "X", data.X.dtype),
            ("y", "Y", np.float64),
            ("sample_weight", "w", np.float64),
        ):
            state = max(chunk[key] for chunk in chunks)
            if state != _FINITE:
                _raise_not_finite(state, name, dtype, estimator_name)
        if any(chunk["negative"] for chunk in chunks):
            check_non_negative(np.array([-1.0]), "`sample_weight`")
        results.append(_combine(data, chunks))
    return results


def _combine(data, chunks):
    stats = DataStatistics(n_samples=data.n_samples)
    if data.Y is None:
        return stats
    stats.n_positive = sum(chunk["positive"] for chunk in chunks)
    if data.sample_weight is not None and stats.n_positive == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    stats.y_min = np.min([chunk["min"] for chunk in chunks], axis=0)
    stats.y_max = np.max([chunk["max"] for chunk in chunks], axis=0)
    stats.moments = combine_moments(chunk["moments"] for chunk in chunks)
    stats.weight_sum = stats.moments[0]
    return stats
