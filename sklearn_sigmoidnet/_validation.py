"""The estimator's input validation: its parameters' forms and the data.

Functions of the face (``_estimator.py``) that read the estimator but write
nothing to it: :func:`validated_fit_data` returns the feature attributes that
scikit-learn's ``validate_data`` would have written, for the commit to write.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._dask import is_dask_collection
from ._data import relative_weights
from ._problem import FitData

__all__ = [
    "FEATURE_ATTRIBUTES",
    "check_continuable",
    "check_same_features",
    "validated_fit_data",
    "validated_target_range",
]

# What validate_data(reset=True) writes; the commit writes it instead.
FEATURE_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def validated_target_range(target_range):
    """``(low, high)`` with ``0 < low < high < 1``."""
    try:
        low, high = (_number(value) for value in target_range)
    except (TypeError, ValueError):
        low = high = np.nan
    if not (0.0 < low < high < 1.0):
        raise ValueError(
            "target_range must be two numbers (low, high) with "
            f"0 < low < high < 1; got {target_range!r}."
        )
    return low, high


def _number(value):
    if isinstance(value, (str, bytes)) or not np.isrealobj(value):
        raise TypeError("not a real number")
    return float(value)


def _validated_arrays(estimator, X, y, reset):
    """scikit-learn's ``validate_data``, its feature attributes taken back:
    ``(X, y, the attributes it wrote)``; the estimator is left as it was."""
    state = estimator.__dict__
    before = {k: state[k] for k in FEATURE_ATTRIBUTES if k in state}
    try:
        # scikit-learn's finiteness check first sums the array, which
        # overflows (a RuntimeWarning) for finite values near the float64
        # limits, then checks element by element: silence only the former.
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                estimator,
                X,
                y,
                reset=reset,
                accept_sparse=("csr", "csc"),
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=True,
            )
    finally:
        found = {k: state.pop(k) for k in FEATURE_ATTRIBUTES if k in state}
        state.update(before)
    return X, y, found


def _check_outputs(estimator, n_outputs):
    if n_outputs != estimator.n_outputs_:
        raise ValueError(
            f"y has {n_outputs} outputs, the fitted network has {estimator.n_outputs_}."
        )


def validated_fit_data(estimator, X, y, sample_weight, *, reset):
    """``(FitData or DaskData, the feature attributes to commit)``.

    ``reset``: a new fit (else the data must match the fitted network).
    Sample weights are made relative (:func:`~._data.relative_weights`).
    """
    if is_dask_collection(X):
        return _validated_dask_data(estimator, X, y, sample_weight, reset)
    if sp.issparse(y):
        raise ValueError(
            f"y is a sparse {type(y).__name__}; SigmoidMLPRegressor needs a dense "
            "y: pass y.toarray()."
        )
    X, y, found = _validated_arrays(estimator, X, y, reset)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    Y = np.asarray(y, dtype=np.float64)
    single_output = Y.ndim == 1
    Y = Y.reshape(-1, 1) if single_output else Y
    if not reset:
        _check_outputs(estimator, Y.shape[1])
    data = FitData(X, Y, relative_weights(sample_weight), single_output)
    return data, found if reset else {}


def _validated_dask_data(estimator, X, y, sample_weight, reset):
    """Dask inputs, checked lazily (their values in the problem's one pass
    over the chunks)."""
    from ._dask import check_dask_data

    name = type(estimator).__name__
    data = check_dask_data(X, y, sample_weight, estimator_name=name)
    features = {"n_features_in_": data.n_features}
    if data.feature_names is not None:
        features["feature_names_in_"] = np.asarray(data.feature_names, dtype=object)
    if reset:
        return data, features
    check_same_features(estimator, data.n_features)
    _check_outputs(estimator, data.n_outputs)
    return data, {}


def check_same_features(estimator, n_features):
    """The fitted network's number of features (what ``validate_data`` checks
    in memory)."""
    if n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )


def check_continuable(estimator):
    """warm_start and partial_fit go on with the fitted network."""
    fitted = estimator.coefs_[0].shape[1]
    if estimator.n_hidden != fitted:
        raise ValueError(
            f"n_hidden={estimator.n_hidden}, but the fitted network has {fitted} "
            "hidden units, and warm_start and partial_fit continue it. Set "
            f"n_hidden={fitted} to continue, or set warm_start=False (a new fit) "
            "before fitting the new size."
        )
