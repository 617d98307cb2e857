"""Training-set preparation: a canonical order of the samples, and the target mapping.

Canonical order. L-BFGS on this non-convex loss amplifies rounding: two fits
whose loss differs only in the order of a sum drift apart within a hundred
iterations. So the estimator trains on a canonical form of the weighted data
set: samples with zero weight are dropped, identical samples (same row of X
and same target) are merged into one sample carrying the sum of their weights,
and the distinct samples are put in an order that depends on their values
alone. Two data sets that describe the same weighted sample (a weighted data
set and the same data with rows repeated, in any order) then give the very same
arithmetic, bit for bit. The order comes from a 32-bit hash of each row (a few
vectorised passes and one in-place sort of 8-byte keys), with equal hashes
ordered by the values themselves, so it never depends on the order the rows
came in.
"""

import numpy as np
import scipy.sparse as sp

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)
# Rows hashed at a time, so that temporaries stay small whatever n_samples is.
_CHUNK_ROWS = 1 << 16


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
    """A 32-bit hash of each sample (row of X and row of Y), in chunks of rows.

    Collisions are expected on large data and are harmless: samples with
    equal hashes are ordered (and merged) by their values.
    """
    n_samples = Y.shape[0]
    hashes = np.empty(n_samples, dtype=np.uint32)
    if sp.issparse(X):
        X = sp.csr_array(X)
        if not X.has_canonical_format:
            X = X.copy()  # never change the caller's matrix
            X.sum_duplicates()
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        chunk = np.full(stop - start, 0x2545F4914F6CDD1D, dtype=np.uint64)
        if sp.issparse(X):
            part = X[start:stop]
            nonzero = part.data != 0
            entry = _mix(
                part.indices[nonzero].astype(np.uint64) + np.uint64(1),
                _bits(part.data[nonzero]),
            )
            entry = _mix(entry, np.uint64(0x632BE59BD9B4E019))
            # A wrapping sum does not depend on the order of the stored entries.
            row_of_entry = np.repeat(np.arange(stop - start), np.diff(part.indptr))
            np.add.at(chunk, row_of_entry[nonzero], entry)
        else:
            for column in range(X.shape[1]):
                _mix(chunk, _bits(X[start:stop, column]))
        for column in range(Y.shape[1]):
            _mix(chunk, _bits(Y[start:stop, column]))
        hashes[start:stop] = chunk >> np.uint64(32)
    return hashes


def _dense_rows(X, Y, indices):
    """Rows ``indices`` of [X, Y] as a dense float64 array (for tie-breaking)."""
    X_part = X[indices]
    X_part = X_part.toarray() if sp.issparse(X_part) else X_part
    return np.hstack([X_part, Y[indices]]).astype(np.float64) + 0.0


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

    Notes
    -----
    Memory: one uint64 key per sample (the 32-bit hash above the sample's
    index, sorted in place) and the int32 result, about 12 bytes a sample.
    """
    n_samples = Y.shape[0]
    index_type = np.int32 if n_samples < 2**31 else np.int64
    keys = _row_hashes(X, Y).astype(np.uint64)
    keys <<= np.uint64(32)
    rows = np.empty(n_samples, dtype=index_type)
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        keys[start:stop] |= np.arange(start, stop, dtype=np.uint64)
    keys.sort()  # by hash, then index: the keys are unique, no stability needed
    for start in range(0, n_samples, _CHUNK_ROWS):
        rows[start : start + _CHUNK_ROWS] = keys[start : start + _CHUNK_ROWS] & (
            np.uint64(0xFFFFFFFF)
        )
    hashes = keys.view(np.uint32)[1 if np.little_endian else 0 :: 2]
    if sample_weight is not None:
        kept = sample_weight[rows] > 0
        rows, hashes = rows[kept], hashes[kept]
    else:
        hashes = np.ascontiguousarray(hashes)  # 4 bytes a sample; frees the keys
    del keys
    same_hash = hashes[1:] == hashes[:-1]
    if not same_hash.any():
        if sample_weight is None:
            return rows, None
        weights = np.asarray(sample_weight, dtype=np.float64)[rows]
        return rows, None if np.all(weights == 1.0) else weights
    # Runs of equal hashes: order them by value (their order so far follows
    # the input) and merge the identical samples in them.
    in_run = np.zeros(rows.shape[0], dtype=bool)
    in_run[1:] |= same_hash
    in_run[:-1] |= same_hash
    positions = np.flatnonzero(in_run)
    values = _dense_rows(X, Y, rows[positions])
    run_hashes = hashes[positions]
    keys = [values[:, j] for j in range(values.shape[1] - 1, -1, -1)]
    by_value = np.lexsort(keys + [run_hashes])
    rows[positions] = rows[positions][by_value]
    values = values[by_value]
    duplicate = np.all(values[1:] == values[:-1], axis=1)
    duplicate &= run_hashes[1:] == run_hashes[:-1]
    if sample_weight is None and not duplicate.any():
        return rows, None  # only hash collisions, now ordered by value
    weight = (
        np.ones(rows.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)[rows]
    )
    if duplicate.any():
        first_of_group = np.ones(rows.shape[0], dtype=bool)
        first_of_group[positions[1:][duplicate]] = False
        starts = np.flatnonzero(first_of_group)
        weight = np.add.reduceat(weight, starts)
        rows = rows[starts]
    return rows, None if np.all(weight == 1.0) else weight


class TargetMapping:
    """Affine map between y's units and the network's output range.

    ``y`` is mapped to ``[low, high]`` inside the sigmoid's (0, 1) range, from
    ``y_min`` and ``y_max``, the smallest and largest target among the samples
    of non-zero weight. Built to keep every float64 target's signal:

    - ``y`` is measured from ``y_min`` and divided by ``y_max - y_min``, so
      tiny ranges (even of subnormal numbers) keep their resolution;
    - when ``y_max - y_min`` overflows (a range wider than about 1.8e308),
      the map works on ``y / 2`` instead;
    - a constant target maps to the middle of the range, with ``|y_min|`` (or
      1 for zero) as its unit;
    - predictions beyond the largest float of the output dtype are clipped to
      it, never turned into inf.

    Examples
    --------
    >>> mapping = TargetMapping.fit(np.array([[0.0], [10.0]]), (0.2, 0.8))
    >>> mapping.to_network(np.array([[0.0], [5.0], [10.0]])).ravel()
    array([0.2, 0.5, 0.8])
    >>> mapping.to_target(np.array([[0.8]])).ravel()
    array([10.])
    """

    def __init__(self, y_min, y_max, output_range):
        self.y_min = np.asarray(y_min, dtype=np.float64)
        self.y_max = np.asarray(y_max, dtype=np.float64)
        low, high = output_range
        self.low, self.width = float(low), float(high) - float(low)
        with np.errstate(over="ignore"):
            span = self.y_max - self.y_min
        # Work on y/2 where the range itself overflows.
        self.prescale = np.where(np.isfinite(span), 1.0, 0.5)
        span = self.y_max * self.prescale - self.y_min * self.prescale
        self.constant = span == 0
        unit = np.where(self.y_min == 0, 1.0, np.abs(self.y_min) * self.prescale)
        self.span = np.where(self.constant, unit, span)
        self.u_offset = np.where(self.constant, 0.5, 0.0)

    @property
    def target_units(self):
        """y's units per unit of the network's output, one per output.

        The factor between the two scales: a loss or a penalty on the
        network's scale times ``target_units**2`` is in y's units squared.
        inf where y's range overflows float64.

        Examples
        --------
        >>> TargetMapping.fit(np.array([[0.0], [6.0]]), (0.2, 0.8)).target_units
        array([10.])
        """
        with np.errstate(over="ignore"):
            return self.span / (self.width * self.prescale)

    def affine_coefficients(self):
        """``(low, scale, offset)`` with ``y = (Yhat - low) * scale + offset``.

        The map of :meth:`to_target` as one affine function per output (before
        its clipping to the output dtype): ``scale`` is :attr:`target_units`,
        0 for a constant target (predicted exactly), and ``offset`` the
        prediction at ``Yhat = low``. inf where y's range overflows.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            scale = np.where(self.constant, 0.0, self.target_units)
            offset = np.where(
                self.constant,
                self.y_min,
                self.y_min - self.u_offset * self.span / self.prescale,
            )
        return self.low, scale, offset

    @classmethod
    def fit(cls, Y, output_range, sample_weight=None):
        """The mapping of targets ``Y`` (shape (n_samples,) or (n_samples,
        n_outputs)) into ``output_range``, from the extremes of the samples of
        non-zero weight."""
        Y = np.asarray(Y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if sample_weight is not None:
            Y = Y[sample_weight > 0]
        return cls(Y.min(axis=0), Y.max(axis=0), output_range)

    def to_network(self, Y, dtype=np.float64):
        """Targets in y's units to the network's (0, 1) scale, as ``dtype``.

        Computed in float64 a chunk of rows at a time, so that a float32
        result needs no full-size float64 temporary.
        """
        Y = np.asarray(Y)
        out = np.empty(Y.shape, dtype=dtype)
        origin = self.y_min * self.prescale
        for start in range(0, Y.shape[0], _CHUNK_ROWS):
            chunk = np.asarray(Y[start : start + _CHUNK_ROWS], dtype=np.float64)
            u = self.u_offset + (chunk * self.prescale - origin) / self.span
            out[start : start + _CHUNK_ROWS] = self.low + self.width * u
        return out

    def to_target(self, Yhat, out=None):
        """Network outputs back to y's units, a chunk of rows at a time.

        Written into ``out`` (which may be ``Yhat`` itself); float64 if None.
        Values beyond the largest float of ``out``'s dtype are clipped to it.
        """
        Yhat = np.asarray(Yhat)
        if out is None:
            out = np.empty(Yhat.shape, dtype=np.float64)
        largest = np.finfo(out.dtype).max
        origin = self.y_min * self.prescale
        for start in range(0, Yhat.shape[0], _CHUNK_ROWS):
            chunk = np.asarray(Yhat[start : start + _CHUNK_ROWS], dtype=np.float64)
            u = (chunk - self.low) / self.width - self.u_offset
            with np.errstate(over="ignore"):
                y = (origin + u * self.span) / self.prescale
            # a constant target is predicted exactly, whatever the network says
            y = np.where(self.constant, self.y_min, y)
            out[start : start + _CHUNK_ROWS] = np.clip(y, -largest, largest)
        return out

    def fits_float32(self):
        """Whether float32 can hold predictions in y's units without losing them.

        False when y reaches beyond float32's range, or when y's range (or a
        constant y) is so small that float32 would resolve it only in
        subnormal numbers or not at all.
        """
        info = np.finfo(np.float32)
        extreme = max(np.max(np.abs(self.y_min)), np.max(np.abs(self.y_max)))
        resolution = np.min(self.span / self.prescale)
        # float32's spacing near the largest |y| must resolve y's range to
        # 1 part in 2^16 (an offset target such as 1e4 + 1e-3 s would not)
        spacing = extreme * float(info.eps)
        return bool(
            extreme * 4 < info.max
            and resolution >= info.tiny * 2**24
            and spacing <= resolution * 2.0**-16
        )


def constant_prediction_loss(Y, weights, output_range):
    """Loss (1) of the best constant prediction (the weighted mean).

    The unit of ``tol``. Floored at 1e-12 of the loss of a target spread over
    the whole ``output_range``, so that a constant target is fitted to near
    machine precision rather than stopping at once. Computed in float64 a
    chunk at a time, on the canonical samples in their order, so that
    equivalent weighted data sets give the same value to the last bit.
    """
    n_samples, n_outputs = Y.shape
    chunks = range(0, n_samples, _CHUNK_ROWS)

    def weighted_sum(values, start):
        if weights is None:
            return values.sum(axis=0)
        return weights[start : start + _CHUNK_ROWS] @ values

    total = float(n_samples) if weights is None else float(weights.sum())
    mean = sum(
        weighted_sum(np.asarray(Y[i : i + _CHUNK_ROWS], dtype=np.float64), i)
        for i in chunks
    )
    mean = mean / total
    squares = sum(
        weighted_sum(
            (np.asarray(Y[i : i + _CHUNK_ROWS], dtype=np.float64) - mean) ** 2, i
        ).sum()
        for i in chunks
    )
    low, high = output_range
    floor = 1e-12 * 0.5 * n_outputs * (0.5 * (high - low)) ** 2
    return max(0.5 * float(squares) / total, floor)


def target_mapping(Y, sample_weight, *, output_range, bounds=None):
    """The :class:`TargetMapping` of a fit: from ``bounds`` (``(y_min,
    y_max)``, one value or one per output) when given, else from the extremes
    of ``Y`` among the samples of non-zero weight."""
    if bounds is None:
        return TargetMapping.fit(Y, output_range, sample_weight)
    n_outputs = Y.shape[1]
    try:
        low, high = (
            np.broadcast_to(np.asarray(b, dtype=np.float64), (n_outputs,))
            for b in bounds
        )
    except (TypeError, ValueError):
        low = high = np.full(n_outputs, np.nan)
    finite = np.all(np.isfinite(low)) and np.all(np.isfinite(high))
    if not finite or np.any(low >= high):
        raise ValueError(
            "target_bounds must be (y_min, y_max) with y_min < y_max, "
            f"finite, one value or one per output; got {bounds!r}."
        )
    mapping = TargetMapping(low.copy(), high.copy(), output_range)
    _check_resolves(mapping, Y, sample_weight, bounds)
    return mapping


def _check_resolves(mapping, Y, sample_weight, bounds):
    """``target_bounds`` must map y into the sigmoid's (0, 1) and resolve it:
    y's range at least 1e-9 of ``target_range``."""
    if sample_weight is not None:
        Y = Y[sample_weight > 0]
    with np.errstate(all="ignore"):
        U = mapping.to_network(Y)
        inside = bool(np.all(np.isfinite(U)) and np.all((U > 0) & (U < 1)))
        spread = np.ptp(U, axis=0) if len(U) else np.zeros(1)
        varied = np.ptp(Y, axis=0) > 0 if len(Y) else np.zeros(1, dtype=bool)
    resolved = not np.any(varied & (spread < 1e-9 * mapping.width))
    if not (inside and resolved):
        problem = "reaches beyond" if not inside else "is too narrow a part of"
        raise ValueError(
            f"target_bounds={bounds!r}: y (from {np.min(Y):.6g} to {np.max(Y):.6g}) "
            f"{problem} what the bounds map into the sigmoid's (0, 1). Give "
            "bounds around y's range, or target_bounds=None (y's own extremes)."
        )


# Sample weights whose sum lies outside [2^-64, 2^64] are rescaled (see
# relative_weights).
_WEIGHT_SUM_RANGE = (2.0**-64, 2.0**64)


def relative_weights(sample_weight):
    """``sample_weight`` rescaled by a power of two where its sum is not
    finite or lies outside ``[2^-64, 2^64]``; otherwise unchanged.

    The data term of the loss is a weighted mean, so rescaling by a power of
    two changes no bit of it; the sum ``S`` that divides the penalty and that
    ``alpha="auto"`` counts as observations changes, from a sum that
    overflows or means nothing to about one per row (the mean weight becomes
    about 1). Weights too small to matter beside the largest one may become 0.

    Examples
    --------
    >>> relative_weights(np.array([1e308, 1e308, 0.0])).round(3)
    array([1.113, 1.113, 0.   ])
    >>> relative_weights(np.array([1.0, 2.0]))  # a sum in range: unchanged
    array([1., 2.])
    """
    if sample_weight is None:
        return None
    low, high = _WEIGHT_SUM_RANGE
    largest = float(np.max(sample_weight, initial=0.0))
    if largest == 0.0:
        return sample_weight
    with np.errstate(over="ignore"):
        total = float(np.sum(sample_weight / largest)) * largest
    if low <= total <= high:
        return sample_weight
    # largest weight to 2^e with 2^e about n / (sum / largest): mean weight ~1
    n_rows = len(sample_weight)
    share = float(np.sum(sample_weight / largest))  # in [1, n_rows]
    exponent = np.frexp(largest)[1] - np.frexp(n_rows / share)[1]
    return np.ldexp(sample_weight, -exponent)
