"""Training-set preparation: a canonical order of the samples, and the target mapping.

Canonical order. L-BFGS on this non-convex loss amplifies rounding: two fits
whose loss differs only in the order of a sum drift apart within a hundred
iterations. So the estimator trains on a canonical form of the weighted data
set: samples with zero weight are dropped, identical samples (same row of X
and same target) are merged into one sample carrying the sum of their weights,
and the distinct samples are put in an order that depends on their values
alone. Two data sets that describe the same weighted sample (a weighted data
set and the same data with rows repeated, in any order) then give the very same
arithmetic, bit for bit. The order comes from a 64-bit hash of each row (a few
vectorised passes and one argsort), with ties broken by the values themselves,
so it never depends on the order the rows came in.
"""

import numpy as np
import scipy.sparse as sp

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)


def _mix(hash_values, column):
    """Fold one column of unsigned integers into the running row hashes."""
    hash_values ^= column
    hash_values *= _MULTIPLIER
    hash_values ^= hash_values >> _SHIFT
    return hash_values


def _bits(values):
    """Bit pattern of float values as uint64, with -0.0 folded into +0.0."""
    values = np.ascontiguousarray(values) + values.dtype.type(0.0)
    unsigned = np.uint32 if values.dtype == np.float32 else np.uint64
    return values.view(unsigned).astype(np.uint64, copy=False)


def _row_hashes(X, Y):
    n_samples = Y.shape[0]
    hashes = np.full(n_samples, 0x2545F4914F6CDD1D, dtype=np.uint64)
    if sp.issparse(X):
        X = sp.csr_array(X)
        if not X.has_canonical_format:
            X = X.copy()  # never change the caller's matrix
            X.sum_duplicates()
        row_of_entry = np.repeat(np.arange(n_samples), np.diff(X.indptr))
        nonzero = X.data != 0
        entry = _mix(
            X.indices[nonzero].astype(np.uint64) + np.uint64(1),
            _bits(X.data[nonzero]),
        )
        entry = _mix(entry, np.uint64(0x632BE59BD9B4E019))
        # A wrapping sum is independent of the order of the stored entries.
        np.add.at(hashes, row_of_entry[nonzero], entry)
    else:
        for column in range(X.shape[1]):
            _mix(hashes, _bits(X[:, column]))
    for column in range(Y.shape[1]):
        _mix(hashes, _bits(Y[:, column]))
    return hashes


def _dense_rows(X, Y, indices):
    """Rows ``indices`` of [X, Y] as a dense float64 array (for tie-breaking)."""
    X_part = X[indices]
    X_part = X_part.toarray() if sp.issparse(X_part) else X_part
    rows = np.hstack([X_part, Y[indices]]).astype(np.float64)
    return rows + 0.0  # -0.0 == +0.0 already; this keeps lexsort consistent


def canonical_samples(X, Y, sample_weight):
    """Merge identical samples and order them canonically.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    rows : ndarray of int
        Index into X of one representative per distinct sample, in canonical
        order. Samples with zero weight are left out.
    weights : ndarray of float64 or None
        Summed weight of each distinct sample; None when every weight is 1.
    """
    n_samples = Y.shape[0]
    if sample_weight is None:
        kept = np.arange(n_samples)
        weight = np.ones(n_samples)
    else:
        kept = np.flatnonzero(sample_weight > 0)
        weight = np.asarray(sample_weight, dtype=np.float64)
    hashes = _row_hashes(X, Y)[kept]
    order = np.argsort(hashes, kind="stable")
    rows = kept[order]
    sorted_hashes = hashes[order]
    same_hash = sorted_hashes[1:] == sorted_hashes[:-1]
    first_of_group = np.ones(rows.shape[0], dtype=bool)
    if same_hash.any():
        # Positions in runs of equal hashes: candidates for merging (and, in
        # the rare case of a collision, for ordering by value).
        in_run = np.zeros(rows.shape[0], dtype=bool)
        in_run[1:] |= same_hash
        in_run[:-1] |= same_hash
        positions = np.flatnonzero(in_run)
        values = _dense_rows(X, Y, rows[positions])
        keys = [values[:, j] for j in range(values.shape[1] - 1, -1, -1)]
        by_value = np.lexsort(keys + [sorted_hashes[positions]])
        rows[positions] = rows[positions][by_value]
        values = values[by_value]
        equal = np.all(values[1:] == values[:-1], axis=1) & (
            sorted_hashes[positions][1:] == sorted_hashes[positions][:-1]
        )
        first_of_group[positions[1:][equal]] = False
    starts = np.flatnonzero(first_of_group)
    merged = np.add.reduceat(weight[rows], starts) if rows.size else weight[:0]
    rows = rows[starts]
    if sample_weight is None and rows.shape[0] == n_samples:
        return rows, None
    if np.all(merged == 1.0):
        return rows, None
    return rows, merged


class TargetMapping:
    """Affine map between y's units and the network's output range.

    ``y`` is mapped to ``[low, high]`` inside the sigmoid's (0, 1) range, from
    the smallest and largest target among the samples of non-zero weight.
    A constant target maps to the middle of the range. Computed in float64
    with half-ranges, so targets near the float64 limits do not overflow.

    Examples
    --------
    >>> mapping = TargetMapping.fit(np.array([[0.0], [10.0]]), (0.2, 0.8))
    >>> mapping.to_network(np.array([[0.0], [5.0], [10.0]])).ravel()
    array([0.2, 0.5, 0.8])
    >>> mapping.to_target(np.array([[0.8]])).ravel()
    array([10.])
    """

    def __init__(self, center, half_range, output_range):
        self.center = center
        self.half_range = half_range
        low, high = output_range
        self.output_center = 0.5 * (low + high)
        self.output_half_width = 0.5 * (high - low)

    @classmethod
    def fit(cls, Y, output_range, sample_weight=None):
        Y = np.asarray(Y, dtype=np.float64)
        if sample_weight is not None:
            Y = Y[sample_weight > 0]
        low, high = Y.min(axis=0), Y.max(axis=0)
        center = 0.5 * low + 0.5 * high
        half_range = 0.5 * high - 0.5 * low
        half_range[half_range == 0] = 1.0
        return cls(center, half_range, output_range)

    def to_network(self, Y):
        """Targets in y's units to the network's (0, 1) scale (float64)."""
        standardized = (np.asarray(Y, dtype=np.float64) - self.center) / self.half_range
        return self.output_center + self.output_half_width * standardized

    def to_target(self, Yhat):
        """Network outputs back to y's units (float64)."""
        standardized = (np.asarray(Yhat, dtype=np.float64) - self.output_center) / (
            self.output_half_width
        )
        return self.center + standardized * self.half_range
