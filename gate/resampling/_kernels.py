"""numba kernels for :mod:`gate.resampling.poisson` (imported only when numba is installed: the ``accel`` extra).

A position's weight is computed exactly as :func:`gate.resampling.poisson.weights` computes it (same ``mix64``
source, same lookup table and thresholds), so the counts equal the numpy path's bit for bit. The
loops are written out by hand on purpose: a helper returning a word's four weights, a generic loop
over tables, or a branch per position each cost 1.5–2× here (measured on the bench's W1/W2 tables).
Compiled on first use and cached next to this file (``cache=True``; NUMBA_CACHE_DIR moves it).
"""

from __future__ import annotations

import numba
import numpy as np

from gate.resampling.poisson import _LANE, AMBIGUOUS, EXTRA, GAMMA, mix64

_mix = numba.njit(inline="always")(mix64)


@numba.njit(nogil=True, cache=True)
def settle(w, u, i, key2, r, n, thresholds):
    """The weight of position ``i`` whose lookup-table entry is ``w`` (resolved from 32 more bits
    of the second stream against its row of ``thresholds`` when ambiguous)."""
    if w != AMBIGUOUS:
        return w
    extra = _mix(key2 + (np.uint64(r) * np.uint64(n) + np.uint64(i)) * GAMMA) >> np.uint64(32)
    value = (u << np.uint64(32)) | extra
    k = 0
    while thresholds[k] <= value:      # the row ends with 2^64 − 1, above every 48-bit value
        k += 1
    return k


@numba.njit(nogil=True, cache=True)
def pair(key, r0, luts, thresholds, bounds, t0, t1, h0, h1):
    """For resamples ``r0 ..`` (one per row of ``h0``/``h1``) add each position's weight into
    ``h0[r, t0[i]]`` and ``h1[r, t1[i]]``. Positions ``bounds[m-1] .. bounds[m]`` weigh Poisson(m)
    (row ``m`` of ``luts``/``thresholds``); every bound is a multiple of 4, so a word's four lanes
    share a row. ``t0`` comes in runs of equal codes (pieces are ordered by the first view's code):
    a run is summed in a register and stored once, instead of chaining read-modify-writes through
    one memory cell (~20% faster; any order stays correct). ``t1`` gets a branch-free scatter (zero
    weights are added too). The branch on ambiguity is taken only when a lane's entry is 255 (the
    others are < 128)."""
    n = bounds[-1]
    words = n // 4
    key2 = key ^ np.uint64(EXTRA)
    for b in range(h0.shape[0]):
        r = r0 + b
        base = key + np.uint64(r) * np.uint64(words) * GAMMA
        a0, a1 = h0[b], h1[b]
        run, total = t0[0] if n else 0, 0       # view 0's current code and its weight so far
        for m in range(1, bounds.size):
            lut, thr = luts[m], thresholds[m]
            for j in range(bounds[m - 1] // 4, bounds[m] // 4):
                z = _mix(base + np.uint64(j) * GAMMA)
                i = 4 * j
                u0, u1, u2, u3 = z & _LANE, (z >> np.uint64(16)) & _LANE, (z >> np.uint64(32)) & _LANE, z >> np.uint64(48)
                w0, w1, w2, w3 = np.int64(lut[u0]), np.int64(lut[u1]), np.int64(lut[u2]), np.int64(lut[u3])
                if (w0 | w1 | w2 | w3) & 128:
                    w0 = settle(w0, u0, i, key2, r, n, thr)
                    w1 = settle(w1, u1, i + 1, key2, r, n, thr)
                    w2 = settle(w2, u2, i + 2, key2, r, n, thr)
                    w3 = settle(w3, u3, i + 3, key2, r, n, thr)
                if t0[i] == run and t0[i + 1] == run and t0[i + 2] == run and t0[i + 3] == run:
                    total += w0 + w1 + w2 + w3
                else:
                    for code, w in ((t0[i], w0), (t0[i + 1], w1), (t0[i + 2], w2), (t0[i + 3], w3)):
                        if code != run:
                            a0[run] += total
                            run, total = code, 0
                        total += w
                a1[t1[i]] += w0
                a1[t1[i + 1]] += w1
                a1[t1[i + 2]] += w2
                a1[t1[i + 3]] += w3
        a0[run] += total


@numba.njit(nogil=True, cache=True)
def single(key, r0, luts, thresholds, bounds, t0, h0):
    """:func:`pair` for one table (a view without a partner)."""
    n = bounds[-1]
    words = n // 4
    key2 = key ^ np.uint64(EXTRA)
    for b in range(h0.shape[0]):
        r = r0 + b
        base = key + np.uint64(r) * np.uint64(words) * GAMMA
        a0 = h0[b]
        for m in range(1, bounds.size):
            lut, thr = luts[m], thresholds[m]
            for j in range(bounds[m - 1] // 4, bounds[m] // 4):
                z = _mix(base + np.uint64(j) * GAMMA)
                for i in range(4 * j, 4 * j + 4):
                    u = (z >> np.uint64(16 * (i - 4 * j))) & _LANE
                    a0[t0[i]] += settle(np.int64(lut[u]), u, i, key2, r, n, thr)


@numba.njit(nogil=True, cache=True)
def rank_sums(pos, neg, out):
    """Per row of a ranking block's per-group counts: ``out[:, r]`` = (P, N, Σ pos·prec,
    Σ pos·(prec + prec_prev), Σ pos·fps, Σ pos·neg), summed left to right exactly as
    :class:`gate.metrics.compiler.RankStats` sums them with ``np.cumsum`` (same floats)."""
    for r in range(pos.shape[0]):
        tps = pos[r, 0] * 0
        fps = tps
        ap = 0.0
        pr = 0.0
        s_fps = tps
        s_neg = tps
        prev = 1.0
        for g in range(pos.shape[1]):
            p, q = pos[r, g], neg[r, g]
            tps += p
            fps += q
            alls = tps + fps
            prec = tps / alls if alls > 0 else 1.0
            pf = float(p)
            ap += pf * prec
            pr += pf * (prec + prev)
            s_fps += p * fps
            s_neg += p * q
            prev = prec
        out[0, r], out[1, r], out[2, r], out[3, r], out[4, r], out[5, r] = tps, fps, ap, pr, s_fps, s_neg
