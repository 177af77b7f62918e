"""Tiles of filters, samples and reconstructions (matplotlib is optional).

``tile_images`` is plain NumPy (usable without matplotlib, e.g. to save a PNG
with Pillow); ``plot_tiles`` draws the tiling on a matplotlib axis and
imports matplotlib only when called.
"""
import numpy as np

__all__ = ["tile_images", "plot_tiles"]


def tile_images(images, image_shape, *, n_cols=None, spacing=1, scale="each",
                fill=np.nan):
    """Arrange flat images (rows) into one 2-D mosaic.

    Parameters
    ----------
    images : array of shape (n_images, height * width)
        E.g. an RBM's ``components_`` (filters) or samples.
    image_shape : (height, width)
    n_cols : int, optional
        Tiles per row (default: about the square root of ``n_images``).
    spacing : int
        Pixels between tiles (filled with ``fill``).
    scale : {"each", "all", None}
        Rescale every tile to [0, 1] on its own (filters), all with one range
        (samples), or not at all.

    Returns
    -------
    mosaic : ndarray of shape (rows * (height + spacing) - spacing,
        n_cols * (width + spacing) - spacing)
    """
    X = np.asarray(images, dtype=np.float64)
    h, w = image_shape
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(f"images must have shape (n_images, {h * w}) for "
                         f"image_shape={image_shape}; got {X.shape}")
    n = X.shape[0]
    n_cols = int(n_cols or np.ceil(np.sqrt(n)))
    n_rows = int(np.ceil(n / n_cols))
    if scale == "each":
        lo = X.min(axis=1, keepdims=True)
        span = X.max(axis=1, keepdims=True) - lo
        X = (X - lo) / np.where(span > 0, span, 1.0)
    elif scale == "all":
        lo, span = X.min(), X.max() - X.min()
        X = (X - lo) / (span if span > 0 else 1.0)
    elif scale is not None:
        raise ValueError(f"scale={scale!r}; use 'each', 'all' or None")
    out = np.full((n_rows * (h + spacing) - spacing, n_cols * (w + spacing) - spacing),
                  fill, dtype=np.float64)
    for k in range(n):
        r, c = divmod(k, n_cols)
        out[r * (h + spacing):r * (h + spacing) + h,
            c * (w + spacing):c * (w + spacing) + w] = X[k].reshape(h, w)
    return out


def plot_tiles(images, image_shape, *, ax=None, title=None, n_cols=None,
               scale="each", cmap="gray"):
    """Show ``tile_images(images, image_shape)`` on a matplotlib axis.

    Returns
    -------
    ax : matplotlib Axes
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plot_tiles needs matplotlib (pip install matplotlib); "
                          "tile_images works without it") from exc
    mosaic = tile_images(images, image_shape, n_cols=n_cols, scale=scale)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6 * mosaic.shape[0] / mosaic.shape[1]))
    ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
