"""Tiles of filters, samples and reconstructions (matplotlib is optional).

``tile_images`` is plain NumPy (usable without matplotlib, e.g. to save a PNG
with Pillow); ``plot_tiles`` and ``plot_history`` draw on a matplotlib axis
(matplotlib's ``ax=`` convention) and import matplotlib only when called.
"""
import numpy as np

__all__ = ["tile_images", "plot_tiles", "plot_history"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib (pip install matplotlib, or "
                          "the 'plot' extra); tile_images works without it") from exc
    return plt


def tile_images(images, image_shape, *, n_cols=None, spacing=1, scale="each",
                fill=np.nan):
    """Arrange flat images (rows) into one 2-D mosaic.

    Parameters
    ----------
    images : array of shape (n_images, height * width)
        E.g. an RBM's ``components_`` (filters) or samples.
    image_shape : (height, width)
        Shape of one image.
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
               scale="each", **imshow_kwargs):
    """Show ``tile_images(images, image_shape)`` on a matplotlib axis.

    Parameters
    ----------
    images : array of shape (n_images, height * width)
        Filters (``components_``), samples or reconstructions, one per row.
    image_shape : (height, width)
        Shape of one image.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure's axis).
    title : str, optional
        Axis title.
    n_cols : int, optional
        Tiles per row (default: about the square root of ``n_images``).
    scale : {"each", "all", None}, default="each"
        As in :func:`tile_images`.
    **imshow_kwargs
        Passed to ``ax.imshow`` (default ``cmap="gray"``,
        ``interpolation="nearest"``).

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    mosaic = tile_images(images, image_shape, n_cols=n_cols, scale=scale)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6 * mosaic.shape[0] / mosaic.shape[1]))
    imshow_kwargs = {"cmap": "gray", "interpolation": "nearest", **imshow_kwargs}
    ax.imshow(np.ma.masked_invalid(mosaic), **imshow_kwargs)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, keys=None, *, ax=None, title=None, **plot_kwargs):
    """Learning curves from a fitted estimator's ``history_``.

    Parameters
    ----------
    history : dict of lists or fitted estimator
        ``est.history_`` (or ``est`` itself): one list per recorded quantity,
        with ``epoch``.
    keys : list of str, optional
        Quantities to draw (default: every numeric one except ``epoch`` and
        ``seconds``; validation curves (``val_*``) are dashed).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure's axis).
    title : str, optional
        Axis title.
    **plot_kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    ax : matplotlib Axes
    """
    history = getattr(history, "history_", history)
    if not isinstance(history, dict) or "epoch" not in history:
        raise ValueError("history must be an estimator's history_ (a dict of "
                         "lists with an 'epoch' entry) or a fitted estimator")
    if keys is None:
        keys = [k for k in history if k not in ("epoch", "seconds")]
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"keys {missing} are not in the history; it has "
                         f"{sorted(history)}")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    epochs = history["epoch"]
    for key in keys:
        values = history[key]
        ax.plot(epochs[-len(values):], values, label=key,
                linestyle="--" if key.startswith("val_") else "-", **plot_kwargs)
    ax.set_xlabel("epoch")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
