"""Retrieval by binary codes: Hamming distances and neighbours.

Semantic hashing (Salakhutdinov & Hinton 2009) maps documents to short
binary codes (``DeepAutoencoder(code="binary")``) and retrieves neighbours
by Hamming distance.
"""
import numpy as np
from sklearn.utils import check_array

__all__ = ["hamming_distances", "hamming_neighbors"]


def hamming_distances(A, B):
    """Hamming distances between the rows of two 0/1 code matrices.

    ``d(a, b) = |a| + |b| - 2 a.b`` by one matrix product (exact: the counts
    are small integers, also in float32).

    Parameters
    ----------
    A : array-like of shape (n_a, n_bits), values 0/1
        Codes of the queries, one row each.
    B : array-like of shape (n_b, n_bits), values 0/1
        Codes of the database items, one row each.

    Returns
    -------
    D : ndarray of shape (n_a, n_b), int32
    """
    A = check_array(A, dtype=[np.float32, np.float64], input_name="A")
    B = check_array(B, dtype=[np.float32, np.float64], input_name="B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"codes have {A.shape[1]} and {B.shape[1]} bits")
    for name, M in (("A", A), ("B", B)):
        if not np.all((M == 0) | (M == 1)):
            raise ValueError(f"{name} must contain binary codes (0/1 values); "
                             "threshold them first, e.g. codes > 0.5")
    A32 = A.astype(np.float32)
    B32 = B.astype(np.float32)
    D = A32.sum(1)[:, None] + B32.sum(1)[None, :] - 2 * (A32 @ B32.T)
    return np.rint(D).astype(np.int32)


def hamming_neighbors(query_codes, database_codes, n_neighbors=10, *,
                      max_distance=None):
    """Retrieve database items by Hamming distance to each query's code.

    Parameters
    ----------
    query_codes : array-like of shape (n_queries, n_bits), 0/1
        Binary codes of the queries, e.g. ``DeepAutoencoder(code="binary").transform``.
    database_codes : array-like of shape (n_database, n_bits), 0/1
        Binary codes of the items to retrieve.
    n_neighbors : int or None, default=10
        Neighbours per query (None: rank the whole database).
    max_distance : int or None
        Keep only neighbours within this Hamming ball (semantic hashing's
        "addresses within distance r"); lists then differ in length.

    Returns
    -------
    distances, indices : ndarrays of shape (n_queries, n_neighbors)
        Sorted by distance, ties by database index (a stable sort).  With
        ``max_distance`` both are lists of 1-D arrays.

    See Also
    --------
    hamming_distances : all distances between two sets of codes.
    skdeepgen.dbn.DeepAutoencoder : binary codes with ``code="binary"``.

    References
    ----------
    .. [1] Salakhutdinov, R. & Hinton, G. E. (2009). Semantic hashing.
       International Journal of Approximate Reasoning, 50(7), 969-978.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.retrieval import hamming_neighbors
    >>> db = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 1]])
    >>> d, i = hamming_neighbors([[0, 0, 0]], db, n_neighbors=2)
    >>> d.tolist(), i.tolist()
    ([[1, 2]], [[0, 2]])
    """
    D = hamming_distances(query_codes, database_codes)
    k = D.shape[1] if n_neighbors is None else min(int(n_neighbors), D.shape[1])
    if k < 1:
        raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    dist = np.take_along_axis(D, idx, axis=1)
    if max_distance is None:
        return dist, idx
    keep = [row <= max_distance for row in dist]
    return ([d[m] for d, m in zip(dist, keep)], [i[m] for i, m in zip(idx, keep)])
