"""Held-out rows for early stopping, chosen chunk by chunk from a seed."""

import numpy as np
from sklearn.utils import check_random_state

from ._validation import DaskData

__all__ = ["split_validation"]


def _chunk_seed(seed, chunk):
    return np.random.default_rng(np.random.SeedSequence([seed, chunk]))


def _held_out_counts(row_chunks, fraction):
    """Held-out rows per chunk: ``ceil(fraction * n)`` in all (as in memory),
    shared out in proportion to the chunks' sizes (largest remainders first,
    ties to the earlier chunk)."""
    sizes = np.asarray(row_chunks, dtype=np.int64)
    total = int(np.ceil(fraction * sizes.sum()))
    exact = fraction * sizes
    counts = np.minimum(np.floor(exact).astype(np.int64), sizes)
    remainder = exact - counts
    order = np.lexsort((np.arange(len(sizes)), -remainder))
    for chunk in order:
        if counts.sum() >= total:
            break
        if counts[chunk] < sizes[chunk]:
            counts[chunk] += 1
    return counts


def _held_out_mask(n_rows, n_held_out, seed, chunk):
    mask = np.zeros(n_rows, dtype=bool)
    mask[_chunk_seed(seed, chunk).choice(n_rows, n_held_out, replace=False)] = True
    return mask


def _select(block, counts, seed, held_out, block_id=None):
    chunk = block_id[0]
    mask = _held_out_mask(block.shape[0], int(counts[chunk]), seed, chunk)
    return block[mask if held_out else ~mask]


def split_validation(data, fraction, random_state):
    """Hold out ``fraction`` of the rows (early stopping), lazily.

    Each chunk holds out its share of ``ceil(fraction * n_samples)`` rows,
    drawn by a generator seeded with ``(seed, chunk index)``, ``seed`` drawn
    once from ``random_state``: the same rows for the same data, chunking and
    ``random_state``, on any cluster. (Not the rows the in-memory split
    picks, and a different chunking picks different rows.)

    Returns
    -------
    (DaskData, DaskData)
        The training rows and the held-out rows, in their chunks' order,
        with known chunk sizes.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    counts = _held_out_counts(data.row_chunks, fraction)
    sizes = np.asarray(data.row_chunks, dtype=np.int64)
    parts = []
    for held_out in (False, True):
        rows = tuple(int(n) for n in (counts if held_out else sizes - counts))

        def select(array, rows=rows, held_out=held_out):
            if array is None:
                return None
            chunks = (rows,) + array.chunks[1:]
            return array.map_blocks(
                _select, counts, seed, held_out, chunks=chunks, dtype=array.dtype
            )

        parts.append(
            DaskData(
                select(data.X),
                select(data.Y),
                select(data.sample_weight),
                data.single_output,
                data.feature_names,
            )
        )
    return parts[0], parts[1]
