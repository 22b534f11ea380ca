"""Query-major arrays: rows grouped by query into contiguous segments, and sorting within segments.

A *segment* is the run of rows of one query; ``offsets`` (length ``q + 1``) holds where each starts, so
query ``i`` owns rows ``offsets[i]:offsets[i + 1]`` (an empty segment is a query without rows).

:func:`segment_argsort` sorts every segment at once. A single flat sort of 10^7 rows by (query, key)
is slow (``np.lexsort`` makes two passes over the whole array); sorting the rows of a matrix with one
segment per row is about five times faster. Segments of one length share a matrix; with many distinct
lengths, segments are bucketed by ``ceil(log2(length))`` and padded, which at most doubles the cells.
"""

from __future__ import annotations

import numpy as np

CELLS_PER_BLOCK = 1 << 22   # matrix cells sorted per call: bounds the temporary memory
MAX_EXACT_LENGTHS = 64      # up to this many distinct lengths: one matrix per length, no padding


def offsets_from_codes(codes: np.ndarray, n_segments: int) -> np.ndarray:
    """Segment offsets from each row's segment code (``0..n_segments-1``): where each segment's rows
    start once the rows are grouped by code (the rows themselves need not be sorted yet)."""
    counts = np.bincount(codes, minlength=n_segments)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


def segment_of_rows(offsets: np.ndarray) -> np.ndarray:
    """The segment index of every row: ``[0, 0, 1, 3, 3, ...]`` for ``offsets`` ``[0, 2, 3, 3, 5, ...]``."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def segment_of(at: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The segment index of each of the ascending rows ``at`` (one search per segment, not per row)."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(np.searchsorted(at, offsets)))


def reverse_within(offsets: np.ndarray) -> np.ndarray:
    """The permutation that reverses the order of the rows inside every segment."""
    seg = segment_of_rows(offsets)
    return offsets[seg] + offsets[seg + 1] - 1 - np.arange(len(seg))


def segment_argsort(keys: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A permutation that sorts ``keys`` ascending inside every segment (rows stay in their segment;
    equal keys come in no particular order). ``keys`` may be numbers or text (numpy unicode).

    Segments are sorted as the rows of a matrix, one matrix per length when there are few distinct
    lengths (the usual case: every query retrieves its top 100), else one per power-of-two class of
    lengths, left-padded with the smallest value of the dtype (``-inf``, the minimum integer, the empty
    string): a stable row-wise sort keeps the padding in front of any equal real key, so the last
    ``length`` cells of each sorted row are the segment's rows in order. Without padding the row-wise
    sort need not be stable, and numpy's default sort is 2-4 times faster than its stable one.
    """
    lengths = np.diff(offsets)
    order = np.arange(len(keys))
    sortable = lengths > 1
    distinct = np.unique(lengths[sortable])
    classes = lengths if len(distinct) <= MAX_EXACT_LENGTHS else np.frexp(np.maximum(lengths - 1, 0))[1]
    for cls in np.unique(classes[sortable]):
        segs = np.flatnonzero(sortable & (classes == cls))
        width = int(lengths[segs].max())
        step = max(1, CELLS_PER_BLOCK // width)
        for lo in range(0, len(segs), step):
            block = segs[lo:lo + step]
            _sort_block(keys, offsets[block], lengths[block], width, order)
    return order


def _sort_block(keys: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int,
                order: np.ndarray) -> None:
    """Sort the segments starting at ``starts`` (each at most ``width`` long) into ``order``.

    Equal lengths need no padding (and adjacent segments no copy: the rows are a reshaped slice). Else
    cell ``(r, pad_r + t)`` of the matrix holds row ``starts[r] + t`` (``pad_r = width - lengths[r]``);
    after the row-wise sort the same cell holds the column of the t-th smallest key of the segment.
    """
    if (lengths == width).all():
        first, last = int(starts[0]), int(starts[-1]) + width
        if last - first == len(starts) * width:
            ranked = np.argsort(keys[first:last].reshape(-1, width), axis=1)
            order[first:last] = (ranked + starts[:, None]).ravel()
            return
        source = starts[:, None] + np.arange(width)
        ranked = np.argsort(keys[source], axis=1)
        order[source] = np.take_along_axis(source, ranked, axis=1)
        return
    pad = width - lengths
    row = np.repeat(np.arange(len(starts)), lengths)
    within = np.arange(len(row)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    source = starts[row] + within
    cell = row * width + pad[row] + within
    matrix = _filled((len(starts), width), keys.dtype)
    matrix.ravel()[cell] = keys[source]
    ranked = np.argsort(matrix, axis=1, kind="stable")
    order[source] = starts[row] + ranked.ravel()[cell] - pad[row]


def _filled(shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """A matrix of the smallest value of ``dtype``: padding that sorts first (``-inf``, the minimum
    integer, the empty string: zero bytes, much faster than ``np.full`` for text)."""
    if dtype.kind == "f":
        return np.full(shape, -np.inf, dtype)
    if dtype.kind in "iu":
        return np.full(shape, np.iinfo(dtype).min, dtype)
    if dtype.kind in "US":
        return np.zeros(shape, dtype)
    raise TypeError(f"cannot sort segments of {dtype}")
