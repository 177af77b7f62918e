"""Products ``S @ W`` that skip the zeros of ``S``.

The states of Gibbs chains are binary, and most of them are 0 (MNIST
visibles, the hidden layers of a trained DBM): a product with such a
matrix is a sum of the weight rows its ones select.  Gathering the
non-zeros of a row and adding the selected rows of ``W`` costs
``density * k * m`` multiply-adds per row instead of BLAS's ``k * m``;
callers use it below the density where it wins (``SPARSE_ROWS_MAX_DENSITY``).
"""
import numpy as np

from ._config import jit

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


@jit
def _sparse_rows_dot(S, W, out, accumulate):
    """``out = S @ W`` (``out += S @ W`` when ``accumulate``), visiting only the
    non-zeros of each row of ``S``; ``W`` C-contiguous of shape (k, m)."""
    n, k = S.shape
    m = W.shape[1]
    idx = np.empty(k, np.int64)
    for i in range(n):
        cnt = 0
        for j in range(k):
            if S[i, j] != 0:
                idx[cnt] = j
                cnt += 1
        o = out[i]
        if not accumulate:
            for c in range(m):
                o[c] = 0
        t = 0
        while t + 4 <= cnt:  # four weight rows per pass over the output row
            j0, j1, j2, j3 = idx[t], idx[t + 1], idx[t + 2], idx[t + 3]
            s0, s1, s2, s3 = S[i, j0], S[i, j1], S[i, j2], S[i, j3]
            w0, w1, w2, w3 = W[j0], W[j1], W[j2], W[j3]
            for c in range(m):
                o[c] += s0 * w0[c] + s1 * w1[c] + s2 * w2[c] + s3 * w3[c]
            t += 4
        while t < cnt:
            j0 = idx[t]
            s0 = S[i, j0]
            w0 = W[j0]
            for c in range(m):
                o[c] += s0 * w0[c]
            t += 1
