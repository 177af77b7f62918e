"""Image features: dense patches -> patch codes -> spatial pyramid pooling.

Three scikit-learn transformers that chain into one ``Pipeline`` ending in a
linear classifier::

    make_pipeline(DensePatchExtractor(patch_size=16, step=8),
                  PatchEncoder(SparseCoder(n_components=1024, alpha=0.15,
                                           split_sign=True)),
                  SpatialPyramidPooling(levels=(1, 2, 4), pooling="max"),
                  LinearSVC())

Images have varying sizes, so the data passed between the first three
steps is a sequence with one item per image: a grid of patches
``(rows, cols, patch_dim)``, then a grid of codes ``(rows, cols, n_codes)``.
These sequences are lazy (:class:`ImageSequence`): an image's patches and
codes are computed when the pooling step reaches that image and dropped
after, so memory stays at one image's codes whatever the number of images
(the full Caltech101 with 1,024 atoms would need tens of GB otherwise).
"""
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

__all__ = ["DensePatchExtractor", "PatchEncoder", "SpatialPyramidPooling",
           "ImageSequence", "extract_dense_patches", "pyramid_pool"]


class ImageSequence:
    """A lazy sequence: item ``i`` is ``func(base[i])``, computed on access."""

    def __init__(self, base, func):
        self.base = base
        self.func = func

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if isinstance(i, (list, np.ndarray)):  # scikit-learn's _safe_indexing
            return ImageSequence(_Subset(self.base, np.asarray(i)), self.func)
        return self.func(self.base[i])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class _Subset:
    def __init__(self, base, idx):
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        self.base, self.idx = base, idx

    def __len__(self):
        return len(self.idx)

    def __getitem__(self, i):
        return self.base[int(self.idx[i])]


def _check_image(img, i):
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] in (3, 4):  # colour: average channels
        img = img[:, :, :3].mean(axis=2)
    if img.ndim != 2:
        raise ValueError(f"image {i} has shape {img.shape}; expected a 2-D "
                         "grayscale array (or H x W x 3 colour)")
    if img.dtype.kind not in "fiu":
        raise ValueError(f"image {i} has dtype {img.dtype}; expected numbers")
    if not np.isfinite(img).all():
        raise ValueError(f"image {i} contains NaN or infinity")
    return img


def extract_dense_patches(image, patch_size=16, step=8, normalize="contrast",
                          eps=0.01, dtype=np.float32):
    """All ``patch_size`` x ``patch_size`` patches on a grid of ``step`` pixels.

    Images smaller than a patch are padded (edge values).  ``normalize``:
    ``"none"``; ``"mean"`` removes each patch's mean; ``"contrast"`` also
    divides by ``sqrt(variance + eps)`` (variance over the patch's pixels),
    so that flat patches stay near zero instead of amplifying noise.

    Returns an array of shape ``(rows, cols, patch_size ** 2)``.
    """
    img = np.asarray(image, dtype=dtype)
    h, w = img.shape
    if h < patch_size or w < patch_size:
        img = np.pad(img, ((0, max(0, patch_size - h)), (0, max(0, patch_size - w))),
                     mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(img, (patch_size, patch_size))
    win = win[::step, ::step]
    P = np.array(win, order="C").reshape(win.shape[:2] + (patch_size * patch_size,))
    if normalize in ("mean", "contrast"):
        P -= P.mean(axis=2, keepdims=True)
    if normalize == "contrast":
        P /= np.sqrt((P * P).mean(axis=2, keepdims=True) + dtype(eps))
    return P


class DensePatchExtractor(TransformerMixin, BaseEstimator):
    """Dense grid of square patches from images of any size.

    Parameters
    ----------
    patch_size : int, default=16
        Side of the square patches in pixels.
    step : int, default=8
        Grid spacing in pixels.
    normalize : {"contrast", "mean", "none"}, default="contrast"
        Per-patch normalisation: remove the mean (``"mean"``) and divide by
        ``sqrt(variance + eps)`` (``"contrast"``).
    eps : float, default=0.01
        Added to the patch variance (images in [0, 1]) before dividing.

    Notes
    -----
    ``transform`` takes a sequence of 2-D arrays (grayscale images; colour
    ``H x W x 3`` is averaged) and returns a lazy :class:`ImageSequence` of
    patch grids of shape ``(rows, cols, patch_size ** 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.feature_extraction import DensePatchExtractor
    >>> images = [np.random.RandomState(0).rand(40, 30), np.ones((20, 20))]
    >>> grids = DensePatchExtractor(patch_size=8, step=4).fit_transform(images)
    >>> [g.shape for g in grids]
    [(9, 6, 64), (4, 4, 64)]
    """

    _parameter_constraints = {
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
        "normalize": [StrOptions({"contrast", "mean", "none"})],
        "eps": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, patch_size=16, step=8, normalize="contrast", eps=0.01):
        self.patch_size = patch_size
        self.step = step
        self.normalize = normalize
        self.eps = eps

    def fit(self, X, y=None):
        """Validate the parameters (nothing is learned)."""
        self._validate_params()
        self.n_features_out_ = self.patch_size ** 2
        return self

    def _one(self, item):
        i, img = item
        return extract_dense_patches(_check_image(img, i), self.patch_size,
                                     self.step, self.normalize, self.eps)

    def transform(self, X):
        """Lazy sequence of patch grids, one per image."""
        check_is_fitted(self)
        if isinstance(X, np.ndarray) and X.ndim == 2:
            raise ValueError("X is a single 2-D array; pass a sequence of images "
                             "(a list of 2-D arrays or a 3-D array)")
        return ImageSequence(_Enumerated(X), self._one)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags


class _Enumerated:
    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return i, self.X[i]


class PatchEncoder(TransformerMixin, BaseEstimator):
    """Apply a patch-level transformer to every patch of every image.

    ``fit`` draws ``n_fit_patches`` patches spread evenly over the images
    and fits a clone of ``estimator`` on them (``estimator_``);
    ``transform`` maps each patch grid ``(rows, cols, d)`` to a code grid
    ``(rows, cols, n_codes)`` lazily.

    Parameters
    ----------
    estimator : transformer
        E.g. :class:`skdeepgen.SparseCoder` (with ``split_sign=True`` for max
        pooling), ``PCA``, ``MiniBatchKMeans``...
    n_fit_patches : int, default=100_000
        Patches sampled from the training images to fit the encoder.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the fitting patches.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skdeepgen.feature_extraction import DensePatchExtractor, PatchEncoder
    >>> images = [np.random.RandomState(i).rand(32, 32) for i in range(4)]
    >>> grids = DensePatchExtractor(patch_size=8, step=4).fit_transform(images)
    >>> enc = PatchEncoder(PCA(n_components=5), n_fit_patches=100,
    ...                    random_state=0).fit(grids)
    >>> enc.transform(grids)[0].shape
    (7, 7, 5)
    """

    _parameter_constraints = {
        "estimator": [object],
        "n_fit_patches": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, n_fit_patches=100_000, random_state=None):
        self.estimator = estimator
        self.n_fit_patches = n_fit_patches
        self.random_state = random_state

    def sample_patches(self, grids, n, rng):
        """``n`` patches (rows of a 2-D array) spread evenly over the grids."""
        rng = check_random_state(rng)
        per_image = int(np.ceil(n / max(len(grids), 1)))
        rows = []
        for g in grids:
            flat = g.reshape(-1, g.shape[-1])
            take = min(per_image, len(flat))
            rows.append(flat[rng.choice(len(flat), take, replace=False)])
        P = np.concatenate(rows)
        if len(P) > n:
            P = P[np.sort(rng.choice(len(P), n, replace=False))]
        return np.ascontiguousarray(P)

    def fit(self, X, y=None):
        """Fit ``estimator`` on patches sampled from the grids ``X``."""
        self._validate_params()
        rng = check_random_state(self.random_state)
        P = self.sample_patches(X, self.n_fit_patches, rng)
        self.estimator_ = clone(self.estimator).fit(P)
        return self

    def _one(self, grid):
        r, c, d = grid.shape
        Z = self.estimator_.transform(grid.reshape(r * c, d))
        return np.asarray(Z).reshape(r, c, -1)

    def transform(self, X):
        """Lazy sequence of code grids, one per image."""
        check_is_fitted(self)
        return ImageSequence(X, self._one)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def pyramid_pool(grid, levels=(1, 2, 4), pooling="max"):
    """Pool a code grid ``(rows, cols, k)`` over a spatial pyramid.

    Level ``L`` splits the grid into ``L x L`` cells (as equal as integer
    division allows; an empty cell pools to zeros); the pooled cells of all
    levels are concatenated: ``k * sum(L * L)`` values.
    """
    rows, cols, k = grid.shape
    out = np.zeros((sum(L * L for L in levels), k), dtype=grid.dtype)
    cell = 0
    for L in levels:
        re = (np.arange(L + 1) * rows) // L
        ce = (np.arange(L + 1) * cols) // L
        for a in range(L):
            for b in range(L):
                block = grid[re[a]:re[a + 1], ce[b]:ce[b + 1]]
                if block.size:
                    if pooling == "max":
                        out[cell] = block.max(axis=(0, 1))
                    elif pooling == "abs_max":
                        out[cell] = np.abs(block).max(axis=(0, 1))
                    else:
                        out[cell] = block.mean(axis=(0, 1))
                cell += 1
    return out.ravel()


class SpatialPyramidPooling(TransformerMixin, BaseEstimator):
    """Spatial pyramid pooling of per-image code grids into one vector each.

    Parameters
    ----------
    levels : tuple of int, default=(1, 2, 4)
        Pyramid levels: level ``L`` pools ``L x L`` cells.
    pooling : {"max", "mean", "abs_max"}, default="max"
        ``"max"`` suits non-negative codes (``split_sign=True`` or
        ``positive_code=True``); ``"abs_max"`` is ScSPM's max of absolute
        values for signed codes.
    normalize : {"l2", None}, default="l2"
        Scale each image's pooled vector to unit L2 norm.
    n_jobs : int, default=None
        Threads over images (the patch and coding steps run inside them).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.feature_extraction import SpatialPyramidPooling
    >>> grids = [np.ones((6, 5, 3)), np.zeros((2, 2, 3))]
    >>> SpatialPyramidPooling(levels=(1, 2)).fit_transform(grids).shape
    (2, 15)
    """

    _parameter_constraints = {
        "levels": ["array-like"],
        "pooling": [StrOptions({"max", "mean", "abs_max"})],
        "normalize": [StrOptions({"l2"}), None],
        "n_jobs": [None, Integral],
    }

    def __init__(self, levels=(1, 2, 4), pooling="max", normalize="l2", n_jobs=None):
        self.levels = levels
        self.pooling = pooling
        self.normalize = normalize
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Validate the parameters (nothing is learned)."""
        self._validate_params()
        levels = [int(L) for L in self.levels]
        if not levels or min(levels) < 1:
            raise ValueError(f"levels must be positive integers, got {self.levels}")
        self.n_cells_ = sum(L * L for L in levels)
        return self

    def _one(self, i, X):
        grid = np.asarray(X[i])
        if grid.ndim != 3:
            raise ValueError(f"item {i} has shape {grid.shape}; expected a code "
                             "grid (rows, cols, n_codes)")
        v = pyramid_pool(grid, tuple(int(L) for L in self.levels), self.pooling)
        if self.normalize == "l2":
            v = v / max(float(np.linalg.norm(v)), 1e-12)
        return v

    def transform(self, X):
        """One pooled vector per image: ``(n_images, n_codes * n_cells)``."""
        check_is_fitted(self)
        n = len(X)
        jobs = self.n_jobs or 1
        if jobs == 1 or n < 2:
            rows = [self._one(i, X) for i in range(n)]
        else:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(jobs if jobs > 0 else None) as pool:
                rows = list(pool.map(lambda i: self._one(i, X), range(n)))
        if not rows:
            raise ValueError("no images to pool")
        return np.vstack(rows)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags
