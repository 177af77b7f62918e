"""Products ``S @ W`` that skip the zeros of ``S``.

The states of Gibbs chains are binary, and most of them are 0 (MNIST
visibles, the hidden layers of a trained DBM): a product with such a
matrix is a sum of the weight rows its ones select.  Gathering the
non-zeros of a row and adding the selected rows of ``W`` costs
``density * k * m`` multiply-adds per row instead of BLAS's ``k * m``;
callers use it below the density where it wins (``SPARSE_ROWS_MAX_DENSITY``).

The kernel is serial.  A threaded version (rows split over Numba's
threads) was twice as fast as BLAS on two threads in isolation, but made a
denoising-autoencoder epoch slower (1.66 -> 1.76 s with passive OpenMP
waiting, 9.3 s with the default spinning): each call alternates with
multi-threaded BLAS calls, and the two thread pools compete for the cores.
"""
import numpy as np

from ._config import inline, jit

#: measured crossover: above this fraction of non-zeros BLAS wins
SPARSE_ROWS_MAX_DENSITY = 0.25


@jit
def _nonzero_fraction(S):
    """Fraction of non-zero entries of a 2-D array."""
    n, k = S.shape
    count = 0
    for i in range(n):
        for j in range(k):
            count += S[i, j] != 0
    return count / max(n * k, 1)


@inline
def _add_rows(o, W, rows, vals, cnt, accumulate):
    """``o (=|+=) sum_t vals[t] * W[rows[t]]`` for ``t < cnt``, eight rows of
    ``W`` per pass over ``o`` (then 4, 2, 1 for the rest)."""
    m = o.shape[0]
    if not accumulate:
        for c in range(m):
            o[c] = 0
    t = 0
    while t + 8 <= cnt:
        w0, w1, w2, w3 = W[rows[t]], W[rows[t + 1]], W[rows[t + 2]], W[rows[t + 3]]
        w4, w5, w6, w7 = W[rows[t + 4]], W[rows[t + 5]], W[rows[t + 6]], W[rows[t + 7]]
        s0, s1, s2, s3 = vals[t], vals[t + 1], vals[t + 2], vals[t + 3]
        s4, s5, s6, s7 = vals[t + 4], vals[t + 5], vals[t + 6], vals[t + 7]
        for c in range(m):
            o[c] += ((s0 * w0[c] + s1 * w1[c] + s2 * w2[c] + s3 * w3[c])
                     + (s4 * w4[c] + s5 * w5[c] + s6 * w6[c] + s7 * w7[c]))
        t += 8
    if t + 4 <= cnt:
        w0, w1, w2, w3 = W[rows[t]], W[rows[t + 1]], W[rows[t + 2]], W[rows[t + 3]]
        s0, s1, s2, s3 = vals[t], vals[t + 1], vals[t + 2], vals[t + 3]
        for c in range(m):
            o[c] += s0 * w0[c] + s1 * w1[c] + s2 * w2[c] + s3 * w3[c]
        t += 4
    if t + 2 <= cnt:
        w0, w1 = W[rows[t]], W[rows[t + 1]]
        s0, s1 = vals[t], vals[t + 1]
        for c in range(m):
            o[c] += s0 * w0[c] + s1 * w1[c]
        t += 2
    if t < cnt:
        w0 = W[rows[t]]
        s0 = vals[t]
        for c in range(m):
            o[c] += s0 * w0[c]


@jit
def _sparse_rows_dot(S, W, out, accumulate):
    """``out = S @ W`` (``out += S @ W`` when ``accumulate``), visiting only the
    non-zeros of each row of ``S``; ``W`` C-contiguous of shape (k, m)."""
    n, k = S.shape
    idx = np.empty(k, np.int64)
    vals = np.empty(k, S.dtype)
    for i in range(n):
        cnt = 0
        for j in range(k):
            s = S[i, j]
            if s != 0:
                idx[cnt] = j
                vals[cnt] = s
                cnt += 1
        _add_rows(out[i], W, idx, vals, cnt, accumulate)
