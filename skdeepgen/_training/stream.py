"""Out-of-core training: rows of a Dask array streamed through the epoch loop.

``fit(X)`` with ``X`` a Dask array (for example ``da.from_zarr(...)`` or
``da.from_array(np.load(path, mmap_mode="r"), chunks=(10_000, -1))``) never
holds more than one buffer of rows in memory.  Each epoch visits the chunks
in a fresh random order and gathers consecutive ones into buffers of at
least ``buffer_rows`` rows; the loop's minibatches are random rows of a
buffer, so that a minibatch mixes rows from several chunks (files written in class order or
in blocks of augmented copies are mixed well enough for SGD).
"""
import numpy as np

__all__ = ["ChunkStream", "is_dask_array", "transform_blocks", "DEFAULT_BUFFER_ROWS"]

#: rows per buffer: 65,536 x 784 float32 is about 200 MB
DEFAULT_BUFFER_ROWS = 65_536


def is_dask_array(X):
    """Whether ``X`` is a Dask array (without importing Dask)."""
    return type(X).__module__.startswith("dask.") and hasattr(X, "chunks") \
        and hasattr(X, "compute")


class ChunkStream:
    """Shuffled buffers of rows of a Dask array ``X`` (and targets ``Y``).

    ``prepare(Xb, Yb)`` turns a raw buffer into what the estimator trains
    on (validation, one-hot targets, ...); it is set by the estimator.
    """

    def __init__(self, X, Y=None, buffer_rows=DEFAULT_BUFFER_ROWS):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D Dask array, got {X.ndim} dimension(s)")
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})  # whole rows per chunk
        if Y is not None and len(Y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(Y)}")
        self.X, self.Y = X, Y
        self.shape = X.shape
        self.dtype = X.dtype
        self.buffer_rows = int(buffer_rows)
        sizes = np.asarray(X.chunks[0], dtype=np.int64)
        self._bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.prepare = None
        self._first = None

    @property
    def n_chunks(self):
        return len(self._bounds) - 1

    def _read(self, chunks):
        """The rows of ``chunks`` in one array, filled a chunk at a time (the
        buffer plus one chunk in memory at the peak)."""
        sizes = [self._bounds[c + 1] - self._bounds[c] for c in chunks]
        Xb = None
        at = 0
        for c, size in zip(chunks, sizes):
            part = np.asarray(self.X[self._bounds[c]:self._bounds[c + 1]].compute())
            if Xb is None:
                Xb = np.empty((sum(sizes), self.shape[1]), dtype=part.dtype)
            Xb[at:at + size] = part
            at += size
            del part
        Yb = None
        if self.Y is not None:
            Yb = np.concatenate([np.asarray(self.Y[self._bounds[c]:self._bounds[c + 1]])
                                 for c in chunks])
        return Xb, Yb

    def _groups(self, order):
        group, rows = [], 0
        for c in order:
            group.append(c)
            rows += self._bounds[c + 1] - self._bounds[c]
            if rows >= self.buffer_rows:
                yield group
                group, rows = [], 0
        if group:
            yield group

    def head(self):
        """The first buffer's rows, in order (to validate and initialise).

        The rows are kept for one :meth:`take_head` (the loop's monitoring
        rows), so that the buffer is read once."""
        self._first = self._read(next(self._groups(range(self.n_chunks))))
        return self._first

    def take_head(self):
        """The first buffer as :meth:`head` read it, released from the stream."""
        first, self._first = self._first, None
        return first if first is not None else self.head()

    def buffers(self, rng):
        """Yield prepared ``(Xb, Yb)`` buffers, chunks in a random order.

        The rows of a buffer are not reordered here: the epoch loop draws
        its minibatches from a fresh permutation of each buffer's rows.
        """
        for group in self._groups(rng.permutation(self.n_chunks)):
            buffer = self._read(group)
            if self.prepare is not None:
                buffer = self.prepare(*buffer)
            yield buffer
            del buffer  # before reading the next: one buffer in memory, not two


def _apply(block, model, method):
    return getattr(model, method)(block)


def transform_blocks(est, X, method="transform"):
    """``est.<method>`` of a Dask array, lazily, chunk of rows by chunk.

    The fitted model enters the task graph once (a single key that every
    worker fetches once), not once per chunk.  The output width and dtype
    come from transforming the first row.
    """
    import dask

    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    probe = getattr(est, method)(X[:1].compute())
    model = dask.delayed(est, pure=True, traverse=False)
    return X.map_blocks(_apply, model, method, dtype=probe.dtype,
                        chunks=(X.chunks[0], (probe.shape[1],)),
                        meta=np.empty((0, probe.shape[1]), dtype=probe.dtype))
