"""Beyond one machine, with Dask (the ``dask`` extra).

Three routes, each on Dask's own machinery rather than a scheduler of ours:

* **Grid search on a cluster**: skdeepgen estimators pickle, so
  ``GridSearchCV`` runs on a ``distributed`` cluster through joblib's Dask
  backend::

      from dask.distributed import Client
      from joblib import parallel_backend

      client = Client(cluster)            # e.g. LocalCluster(n_workers=2)
      with parallel_backend("dask"):
          search.fit(X, y)

  Each worker process compiles (or loads from Numba's disk cache) a kernel
  once, then reuses it for every task.  Dask's nanny starts workers with
  one BLAS/OpenMP thread each (``OPENBLAS_NUM_THREADS=1`` and friends), so
  workers do not oversubscribe cores; :func:`worker_threads` reports what
  each worker really uses.  With a fixed ``random_state`` the scores equal
  those of a local run with one BLAS thread (BLAS rounds differently with
  more threads).
* **Distributed featurisation**: :func:`transform` maps a fitted model (or
  pipeline) over a Dask array, chunk of rows by chunk, or over a Dask bag of
  images; the model is sent to each worker once.
* **Out-of-core training**: ``fit(X)`` with ``X`` a Dask array streams it
  through the epoch loop one shuffled buffer of chunks at a time (every
  minibatch estimator, and the stacks built from them), e.g.
  ``BernoulliRBM().fit(da.from_array(np.load("big.npy", mmap_mode="r"),
  chunks=(10_000, -1)))``.
"""
from ._training.stream import is_dask_array, transform_blocks

__all__ = ["transform", "worker_threads"]


def _apply_partition(items, model, method):
    items = list(items)
    if not items:
        return []
    return list(getattr(model, method)(items))


def transform(estimator, X, *, method="transform"):
    """Apply a fitted estimator to a Dask collection, lazily, in parallel.

    Parameters
    ----------
    estimator : fitted estimator or pipeline
        Anything with ``method`` (``transform``, ``predict``, ...).
    X : dask.array.Array or dask.bag.Bag
        A 2-D array (rows in chunks; columns are gathered into one chunk),
        or a bag whose partitions are lists of samples (e.g. images of
        varying sizes for the Caltech101 pipeline).
    method : str, default="transform"
        The method to apply.

    Returns
    -------
    Y : dask.array.Array or dask.bag.Bag
        For an array: the transformed array, same row chunks.  For a bag: a
        bag of output rows (one per input sample).  Nothing runs until
        ``.compute()`` (or ``.persist()``); the model enters the task graph
        once, so each worker receives it once.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from skdeepgen import BernoulliRBM
    >>> from skdeepgen.parallel import transform
    >>> X = np.random.RandomState(0).rand(100, 16)
    >>> rbm = BernoulliRBM(n_components=4, n_iter=2, random_state=0).fit(X)
    >>> H = transform(rbm, da.from_array(X, chunks=(25, 16)))
    >>> H.shape, bool(np.allclose(H.compute(), rbm.transform(X)))
    ((100, 4), True)
    """
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}")
    if is_dask_array(X):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D Dask array, got {X.ndim} dimension(s)")
        return transform_blocks(estimator, X, method)
    if type(X).__module__.startswith("dask.bag"):
        import dask

        model = dask.delayed(estimator, pure=True, traverse=False)
        return X.map_partitions(_apply_partition, model, method)
    raise TypeError(f"X must be a Dask array or bag, got {type(X).__name__}; "
                    f"for in-memory data call estimator.{method}(X)")


def _threads_here():
    from threadpoolctl import threadpool_info
    import numba

    blas = [int(p["num_threads"]) for p in threadpool_info()
            if p.get("user_api") == "blas"]
    return {"blas": max(blas) if blas else None,
            "numba": int(numba.get_num_threads())}


def worker_threads(client):
    """BLAS and Numba thread counts in each worker of a Dask ``client``.

    Returns
    -------
    threads : dict
        ``{worker address: {"blas": int, "numba": int}}``.  Dask's nanny
        starts workers with one BLAS thread; skdeepgen's Numba kernels run
        on one thread unless an estimator's ``n_jobs`` asks for more.
    """
    return client.run(_threads_here)
