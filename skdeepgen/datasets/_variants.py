"""The MNIST variations and synthetic shape problems of the SdA benchmark table.

Larochelle, Erhan, Courville, Bergstra and Bengio (2007), "An empirical
evaluation of deep architectures on problems with many factors of variation",
ICML, introduced these sets; Vincent et al. (2010, JMLR, "Stacked denoising
autoencoders") report the stacked denoising autoencoder on them.
The published files are not needed: the sets are regenerated here, from the
MNIST IDX files for the digit variants and from scratch for the shapes.
"""
import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._mnist import fetch_mnist

__all__ = ["make_mnist_variant", "digitally_convex", "VARIANT_SIZES"]

#: Published (train, valid, test) sizes; the published training file of each
#: set holds train + valid, the validation set being its last examples.
VARIANT_SIZES = {
    "basic": (10000, 2000, 50000),
    "rot": (10000, 2000, 50000),
    "bg-rand": (10000, 2000, 50000),
    "rect": (1000, 200, 50000),
    "convex": (6000, 2000, 50000),
}
_MNIST_BASED = ("basic", "rot", "bg-rand")
_SIDE = 28
_CHUNK = 4096  # images per vectorised block: bounds the temporary memory

# ------------------------------------------------------------------ digits


def _rotate(images, angles):
    """Rotate (n, 28, 28) images about their centre by ``angles`` (radians,
    counter-clockwise as displayed), bilinear, zeros outside; -> (n, 784).

    Same result as ``scipy.ndimage.rotate(img, degrees, reshape=False,
    order=1, mode="grid-constant")``, for all images at once.
    """
    n = len(images)
    c = (_SIDE - 1) / 2.0
    rows, cols = np.mgrid[0:_SIDE, 0:_SIDE].reshape(2, -1).astype(np.float32) - c
    # a source position is at most c * sqrt(2) from the centre: a ring of
    # zeros that wide keeps every bilinear neighbour inside the array
    pad = int(np.ceil(c * (np.sqrt(2) - 1))) + 2
    side = _SIDE + 2 * pad
    out = np.empty((n, _SIDE * _SIDE), dtype=np.float32)
    for s in range(0, n, _CHUNK):
        flat = np.pad(images[s:s + _CHUNK], ((0, 0), (pad, pad), (pad, pad))).reshape(-1)
        m = len(flat) // side ** 2
        cos = np.cos(angles[s:s + m]).astype(np.float32)[:, None]
        sin = np.sin(angles[s:s + m]).astype(np.float32)[:, None]
        # output pixel -> source position (the inverse rotation)
        src_r = cos * rows + sin * cols + (c + pad)
        src_c = cos * cols - sin * rows + (c + pad)
        r0 = np.floor(src_r)
        c0 = np.floor(src_c)
        wr = src_r - r0
        wc = src_c - c0
        corner = (r0.astype(np.intp) * side + c0.astype(np.intp)
                  + (np.arange(m) * side ** 2)[:, None])
        top = flat[corner] * (1 - wc) + flat[corner + 1] * wc
        bottom = flat[corner + side] * (1 - wc) + flat[corner + side + 1] * wc
        out[s:s + m] = top * (1 - wr) + bottom * wr
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _mnist_pool(data_home, download_if_missing):
    X_tr, X_te, y_tr, y_te = fetch_mnist(data_home, download_if_missing=download_if_missing,
                                     return_X_y=True)
    return np.concatenate([X_tr, X_te]), np.concatenate([y_tr, y_te])


def _make_digits(name, n, rng, data_home, download_if_missing):
    X, y = _mnist_pool(data_home, download_if_missing)
    if n > len(X):
        raise ValueError(f"{name!r}: {n} examples asked for, MNIST has {len(X)}")
    index = rng.permutation(len(X))[:n]
    X, y = X[index], y[index]
    factors = None
    if name == "rot":
        factors = rng.uniform(0.0, 2 * np.pi, size=n)
        X = _rotate(X.reshape(-1, _SIDE, _SIDE), factors)
    elif name == "bg-rand":
        for s in range(0, n, _CHUNK):
            noise = rng.randint(0, 256, size=X[s:s + _CHUNK].shape).astype(np.float32)
            np.maximum(X[s:s + _CHUNK], noise / np.float32(255), out=X[s:s + _CHUNK])
    return X, y, factors, index

# ------------------------------------------------------------------ rect


_RECT_MIN_SIDE = 2   # an outline needs two rows or columns
_RECT_MIN_GAP = 3    # |height - width| >= 3, as published


def _draw_rectangles(top, left, height, width):
    """(n, 784) float32 images: white one-pixel outlines on black."""
    r = np.arange(_SIDE)[None, :, None]
    c = np.arange(_SIDE)[None, None, :]
    t, lft = top[:, None, None], left[:, None, None]
    b, rgt = t + height[:, None, None] - 1, lft + width[:, None, None] - 1
    in_rows = (r >= t) & (r <= b)
    in_cols = (c >= lft) & (c <= rgt)
    outline = (((r == t) | (r == b)) & in_cols) | (((c == lft) | (c == rgt)) & in_rows)
    return outline.reshape(len(top), -1).astype(np.float32)


def _make_rect(n, rng):
    sizes = np.empty((0, 2), dtype=np.intp)
    while len(sizes) < n:  # rejection of near-squares, ~82% accepted
        draw = rng.randint(_RECT_MIN_SIDE, _SIDE + 1, size=(int(1.3 * (n - len(sizes))) + 8, 2))
        sizes = np.concatenate([sizes, draw[np.abs(draw[:, 0] - draw[:, 1]) >= _RECT_MIN_GAP]])
    height, width = sizes[:n].T
    top = rng.randint(0, _SIDE - height + 1)
    left = rng.randint(0, _SIDE - width + 1)
    X = np.empty((n, _SIDE * _SIDE), dtype=np.float32)
    for s in range(0, n, _CHUNK):
        part = slice(s, s + _CHUNK)
        X[part] = _draw_rectangles(top[part], left[part], height[part], width[part])
    y = (height > width).astype(np.int64)
    return X, y, np.stack([top, left, height, width], axis=1)

# ------------------------------------------------------------------ convex


_CONVEX_P, _CONVEX_MIN_PIXELS = 0.195, 19       # as published
_PIECE_P, _PIECE_MIN_PIXELS = 0.03, 10          # published: 0.07 and 10
_PIECES = (2, 4)                                 # pieces of a non-convex set, uniform
_CENTRES = np.arange(_SIDE, dtype=np.float32) + 0.5  # pixel centres, rows and columns alike


def _convex_masks(n, rng, p, min_pixels):
    """n masks (n, 28, 28) bool: the pixel centres inside the intersection of
    K ~ Geometric(p) half-planes around a point ``a`` uniform in the image.

    Each half-plane's boundary line passes through a point uniform in the
    image with a direction uniform in [0, 2 pi); the half-plane is the side
    holding ``a``.  A convex region meets each pixel row in an interval, so
    the intersection is computed as one interval per row.  Regions with
    fewer than ``min_pixels`` pixels are rejected and drawn again.
    """
    out, got = [], 0
    while got < n:
        m = min(_CHUNK, max(64, int(1.3 * (n - got))))
        K = rng.geometric(p, size=m)
        anchor = rng.uniform(0, _SIDE, size=(m, 2)).astype(np.float32)
        owner = np.repeat(np.arange(m), K)
        point = rng.uniform(0, _SIDE, size=(2, len(owner))).astype(np.float32)
        theta = rng.uniform(0, 2 * np.pi, size=len(owner))
        nx, ny = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)
        flip = (anchor[owner, 0] - point[0]) * nx + (anchor[owner, 1] - point[1]) * ny < 0
        nx[flip], ny[flip] = -nx[flip], -ny[flip]
        # row y (one per line below): (x - px) nx + (y - py) ny >= 0, that is
        # x >= limit if nx > 0, x <= limit if nx < 0; a vertical normal, made
        # tiny, keeps all of a row or none of it
        nx[nx == 0] = np.float32(1e-30)
        limit = point[0] - (_CENTRES[:, None] - point[1]) * (ny / nx)
        lower = np.where(nx > 0, limit, -np.inf)
        upper = np.where(nx < 0, limit, np.inf)
        starts = np.concatenate([[0], np.cumsum(K)[:-1]])
        lower = np.maximum.reduceat(lower, starts, axis=1).T
        upper = np.minimum.reduceat(upper, starts, axis=1).T
        mask = (_CENTRES >= lower[:, :, None]) & (_CENTRES <= upper[:, :, None])
        mask = mask[mask.sum((1, 2)) >= min_pixels][:n - got]
        out.append(mask)
        got += len(mask)
    return np.concatenate(out) if out else np.empty((0, _SIDE, _SIDE), dtype=bool)


def _triples():
    """(i, j, y) with i <= y <= j, sorted by y, the interpolation weight of
    row y between rows i and j, and where each y's group starts."""
    i, j, y = np.array([(i, j, y) for y in range(_SIDE) for i in range(y + 1)
                        for j in range(y, _SIDE)]).T
    w = np.where(j > i, (y - i) / np.maximum(j - i, 1), 0.0)
    starts = np.searchsorted(y, np.arange(_SIDE))
    return i, j, w, starts


_TRIPLES = _triples()


def digitally_convex(masks):
    """Whether each binary image is digitally convex: it holds every pixel
    centre lying in the convex hull of its pixel centres.

    Parameters
    ----------
    masks : array of shape (n, 784) or (n, 28, 28), bool
        Binary images, flat or 28x28.

    Returns
    -------
    convex : bool array of shape (n,); an empty image counts as convex.

    Notes
    -----
    Row ``y`` of the hull is the interval between the lower convex envelope
    of the rows' leftmost pixels and the upper concave envelope of their
    rightmost pixels; each envelope at ``y`` is the best interpolation
    between two occupied rows ``i <= y <= j``, all pairs at once.
    """
    masks = np.asarray(masks, dtype=bool).reshape(len(masks), _SIDE, _SIDE)
    # every row and column of a convex image is one run of pixels: a quick
    # test that settles most non-convex images before the hull is needed
    result = _runs_contiguous(masks, 2) & _runs_contiguous(masks, 1)
    todo = np.flatnonzero(result)
    i, j, w, starts = _TRIPLES
    for s in range(0, len(todo), 1024):
        m = masks[todo[s:s + 1024]]
        occupied = m.any(2)
        first = np.where(m, _COLUMNS, _SIDE).min(2).astype(float)
        last = np.where(m, _COLUMNS, -1).max(2).astype(float)
        valid = occupied[:, i] & occupied[:, j]
        right = np.where(valid, last[:, i] * (1 - w) + last[:, j] * w, -np.inf)
        left = np.where(valid, first[:, i] * (1 - w) + first[:, j] * w, np.inf)
        right = np.maximum.reduceat(right, starts, axis=1)
        left = np.minimum.reduceat(left, starts, axis=1)
        with np.errstate(invalid="ignore"):
            in_hull = np.floor(right + 1e-9) - np.ceil(left - 1e-9) + 1
        in_hull = np.where(np.isfinite(in_hull), np.maximum(in_hull, 0), 0)
        result[todo[s:s + 1024]] = (in_hull == m.sum(2)).all(1)
    return result


_COLUMNS = np.arange(_SIDE)


def _runs_contiguous(masks, axis):
    """Whether every row (axis=2) or column (axis=1) holds at most one run."""
    m = np.moveaxis(masks, axis, -1)
    starts = m[..., 0].astype(np.intp) + (m[..., 1:] & ~m[..., :-1]).sum(-1)
    return (starts <= 1).all(1)


def _make_convex(n, rng):
    y = (rng.uniform(size=n) < 0.5).astype(np.int64)
    masks = np.empty((n, _SIDE, _SIDE), dtype=bool)
    masks[y == 1] = _convex_masks(int(y.sum()), rng, _CONVEX_P, _CONVEX_MIN_PIXELS)
    found, need = [], n - int(y.sum())
    while need > 0:
        m = min(_CHUNK, max(64, int(1.3 * need)))
        n_pieces = rng.randint(_PIECES[0], _PIECES[1] + 1, size=m)
        pieces = _convex_masks(int(n_pieces.sum()), rng, _PIECE_P, _PIECE_MIN_PIXELS)
        starts = np.concatenate([[0], np.cumsum(n_pieces)[:-1]])
        union = np.logical_or.reduceat(pieces, starts, axis=0)
        union = union[~digitally_convex(union)][:need]
        found.append(union)
        need -= len(union)
    if found:
        masks[y == 0] = np.concatenate(found)
    return masks.reshape(n, _SIDE * _SIDE).astype(np.float32), y


# ------------------------------------------------------------------ entry


_TARGET_NAMES = {"rect": ["wide", "tall"], "convex": ["non-convex", "convex"]}
_FACTOR_NAMES = {"rot": ["angle"], "rect": ["top", "left", "height", "width"]}
_DESCR = {
    "basic": "MNIST digits re-split 10,000 / 2,000 / 50,000",
    "rot": "MNIST digits rotated by an angle uniform in [0, 2 pi)",
    "bg-rand": "MNIST digits over a background of uniform random pixels",
    "rect": "tall (1) vs wide (0) rectangle outlines",
    "convex": "convex (1) vs non-convex (0) white regions",
}


def make_mnist_variant(name, *, n_train=None, n_valid=None, n_test=None,
                       data_home=None, download_if_missing=True,
                       random_state=0, return_X_y=False):
    """Generate one set of the SdA benchmark table (Larochelle et al. 2007).

    28x28 images, 784 float32 features in [0, 1] (white = 1), split into
    train / valid / test with the published sizes:

    ===========  ======  =====  ======  ==========================
    name         train   valid  test    needs
    ===========  ======  =====  ======  ==========================
    ``basic``    10,000  2,000  50,000  MNIST IDX files
    ``rot``      10,000  2,000  50,000  MNIST IDX files
    ``bg-rand``  10,000  2,000  50,000  MNIST IDX files
    ``rect``      1,000    200  50,000  nothing (synthetic)
    ``convex``    6,000  2,000  50,000  nothing (synthetic)
    ===========  ======  =====  ======  ==========================

    Parameters
    ----------
    name : {"basic", "rot", "bg-rand", "rect", "convex"}
    n_train, n_valid, n_test : int, default=None
        Sizes of the splits; ``None`` takes the published size.  Smaller
        sets are quicker to make (tests, trials); the examples are not a
        prefix of the full set's.
    data_home : str or path, default=None
        Where the MNIST IDX files are, as for :func:`load_mnist` (default:
        ``$SKDEEPGEN_MNIST``, then ``~/scikit_learn_data/mnist``).  Unused
        for ``rect`` and ``convex``.
    download_if_missing : bool, default=True
        Passed to :func:`fetch_mnist`: without the files, download them
        once (``fetch_openml``) and cache them; if that fails too, a
        ``FileNotFoundError`` says where the files were looked for.
    random_state : int, RandomState instance or None, default=0
        The whole set is a function of it.  For the digit variants the
        digits are drawn first, so ``basic``, ``rot`` and ``bg-rand`` made
        with the same integer hold the same digits in the same order.
    return_X_y : bool, default=False
        Return ``(X_train, X_valid, X_test, y_train, y_valid, y_test)``.

    Returns
    -------
    data : Bunch
        ``X_train``, ``X_valid``, ``X_test`` (float32, ``(n, 784)``),
        ``y_train``, ``y_valid``, ``y_test`` (int64), ``target_names``,
        ``image_shape`` ``(28, 28)``, ``name``, ``DESCR``;
        ``factors_train`` / ``_valid`` / ``_test``: the drawn factors of
        variation, columns ``factor_names`` (``rot``: the angle in radians;
        ``rect``: top, left, height, width in pixels; else ``None``);
        for the digit variants ``index_train`` / ``_valid`` / ``_test``:
        the rows of MNIST used, numbering its 60,000 training images first
        and then its 10,000 test images.

    Notes
    -----
    What each set follows, and where it departs from the published files
    (Larochelle et al. 2007, section 4, and its online companion page):

    **basic** - MNIST digits, 10,000 / 2,000 / 50,000, drawn without
    replacement from the 70,000 MNIST images (training and test files
    pooled) by a permutation from ``random_state``.  The published set is
    also a 62,000-digit subset of MNIST, but its exact digits are not
    reproduced here.

    **rot** - the same digits, each rotated about the image centre by an
    angle uniform in [0, 2 pi), as published.  Bilinear interpolation with
    zeros outside the image; the published generator's interpolation is not
    stated.  The angles are in ``factors_*``.

    **bg-rand** - the same digits over a background whose pixels are
    uniform on {0, 1/255, ..., 1} ("generated uniformly between 0 and 255"
    in the paper); a pixel is ``max(digit, background)``, so the digit
    strokes stay white and the noise shows through the background and the
    strokes' soft edges.  The paper does not state how digit and background
    were combined; ``max`` is the choice made here.

    **rect** - a white one-pixel outline of an axis-aligned rectangle on
    black; label 1 when it is taller than wide.  Height and width are
    uniform integers in [2, 28], pairs closer than 3 pixels are rejected
    (so no squares), and the top-left corner is uniform among the positions
    where the whole rectangle fits, as published.  The smallest side (2) is
    a choice made here; the paper does not give one.

    **convex** - one white region; label 1 when it is convex.  As published,
    a convex image is the intersection of K ~ Geometric(0.195) half-planes of
    random location and orientation, rejected below 19 pixels, and a
    non-convex candidate is the union of 2 to 4 (uniform) such sets of at
    least 10 pixels each, kept only when it fails the convexity test.  Two
    choices and one change:

    - Each half-plane's boundary passes through a point uniform in the
      image, with a direction uniform in [0, 2 pi), and keeps the side that
      holds an anchor point drawn uniformly once per set.  Without an
      anchor, K half-planes leave on average 784 / 2**K pixels, so sets of
      many half-planes would nearly always be empty and rejected.
    - The convexity test is exact digital convexity: the image holds every
      pixel centre inside the convex hull of its pixel centres
      (:func:`digitally_convex`); the paper's pairwise test is not spelt out.
    - The pieces of the non-convex sets use Geometric(0.03) instead of the
      published 0.07.  The paper tuned its parameters so that both classes
      have the same mean number of white pixels (otherwise the pixel count
      alone would tell them apart); with this geometry 0.07 gives the
      non-convex class about 355 white pixels against 275, and 0.03 restores
      the balance (about 275 each).

    Labels are fair coin flips, so the classes are balanced on average.

    Examples
    --------
    >>> from skdeepgen.datasets import make_mnist_variant
    >>> data = make_mnist_variant("rect", n_test=1000)
    >>> data.X_train.shape, data.X_valid.shape, data.X_test.shape
    ((1000, 784), (200, 784), (1000, 784))
    >>> data.target_names
    ['wide', 'tall']
    """
    if name not in VARIANT_SIZES:
        raise ValueError(f"name must be one of {sorted(VARIANT_SIZES)}; got {name!r}")
    sizes = [size if n is None else n for n, size in
             zip((n_train, n_valid, n_test), VARIANT_SIZES[name])]
    for label, n in zip(("n_train", "n_valid", "n_test"), sizes):
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{label} must be a non-negative int or None; got {n!r}")
    total = sum(sizes)
    rng = check_random_state(random_state)
    index = None
    if name in _MNIST_BASED:
        X, y, factors, index = _make_digits(name, total, rng, data_home, download_if_missing)
    elif name == "rect":
        X, y, factors = _make_rect(total, rng)
    else:
        X, y = _make_convex(total, rng)
        factors = None
    bounds = np.cumsum([0] + sizes)
    parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    if return_X_y:
        return tuple(X[p] for p in parts) + tuple(y[p] for p in parts)
    out = Bunch(name=name, image_shape=(_SIDE, _SIDE), DESCR=_DESCR[name],
                target_names=_TARGET_NAMES.get(name, [str(d) for d in range(10)]),
                factor_names=_FACTOR_NAMES.get(name))
    for split, p in zip(("train", "valid", "test"), parts):
        out[f"X_{split}"], out[f"y_{split}"] = X[p], y[p]
        out[f"factors_{split}"] = None if factors is None else factors[p]
        if index is not None:
            out[f"index_{split}"] = index[p]
    return out
