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
  ``BernoulliRBM().fit(from_npy("big.npy"))`` (or ``da.from_zarr(...)``).
"""
import numpy as np

from ._training.stream import is_dask_array, transform_blocks

__all__ = ["transform", "worker_threads", "from_npy"]


def _read_rows(path, start, stop):
    rows = np.load(path, mmap_mode="r")[start:stop]
    out = np.array(rows)  # a private copy; the file mapping closes here
    del rows
    return out


def from_npy(path, chunk_rows=10_000):
    """A Dask array over the rows of a 2-D ``.npy`` file on disk.

    Each chunk opens the file, copies its rows and closes the mapping, so a
    streamed ``fit`` keeps only its current buffer in memory (a plain
    ``np.load(path, mmap_mode="r")`` keeps every page it has touched
    mapped, which shows as resident memory the size of the file).

    Parameters
    ----------
    path : str or path
        A ``.npy`` file holding a 2-D array.
    chunk_rows : int, default=10_000
        Rows per chunk.

    Returns
    -------
    X : dask.array.Array of shape (n_rows, n_columns)

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skdeepgen.parallel import from_npy
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.arange(12.0).reshape(6, 2))
    >>> X = from_npy(path, chunk_rows=4)
    >>> X.chunks, float(X.sum().compute())
    (((4, 2), (2,)), 66.0)
    """
    import dask
    import dask.array as da

    header = np.load(path, mmap_mode="r")
    shape, dtype = header.shape, header.dtype
    del header
    if len(shape) != 2:
        raise ValueError(f"{path} holds an array of shape {shape}; expected 2-D")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    read = dask.delayed(_read_rows, pure=True)
    blocks = [da.from_delayed(read(str(path), a, min(a + chunk_rows, shape[0])),
                              shape=(min(a + chunk_rows, shape[0]) - a, shape[1]),
                              dtype=dtype)
              for a in range(0, shape[0], chunk_rows)]
    return da.concatenate(blocks, axis=0)


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
