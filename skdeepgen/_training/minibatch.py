"""Minibatch iteration."""
import numpy as np


def n_minibatches(n_samples, batch_size):
    return max(1, -(-n_samples // batch_size))


def iter_minibatches(n_samples, batch_size, rng=None, shuffle=True):
    """Yield index arrays (shuffled) or slices (in order) covering ``n_samples``.

    The last batch may be smaller.  With ``shuffle`` a fresh permutation is
    drawn from ``rng`` (a ``numpy.random.RandomState``) on every call, i.e.
    once per epoch.
    """
    batch_size = max(1, min(int(batch_size), n_samples))
    if shuffle:
        order = rng.permutation(n_samples)
        for start in range(0, n_samples, batch_size):
            yield np.sort(order[start:start + batch_size])
    else:
        for start in range(0, n_samples, batch_size):
            yield slice(start, min(start + batch_size, n_samples))
