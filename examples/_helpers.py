"""Helpers shared by the example scripts (not an example itself).

Quick mode: ``SKDEEPGEN_QUICK=1`` in the environment (``doc/conf.py`` sets it
for the gallery build) makes every example run in a minute or two on
subsampled data, with fewer epochs and smaller models; options given on the
command line still win.  Full mode (the default from a terminal) runs the
published sizes.
"""
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
OUT = HERE / "output"
QUICK = os.environ.get("SKDEEPGEN_QUICK", "0").strip().lower() not in ("", "0", "false", "no")


def quick_defaults(parser, **defaults):
    """In quick mode, replace ``parser``'s defaults by ``defaults`` and say so."""
    if QUICK:
        parser.set_defaults(**defaults)
        shown = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in defaults.items())
        print(f"QUICK MODE (SKDEEPGEN_QUICK=1): {shown}. These are not the "
              "published results; unset SKDEEPGEN_QUICK for the full run.")
    return parser


def load_mnist_quick(data_home, n_train=None, n_test=None):
    """MNIST as ``(X_train, X_test, y_train, y_test, image_shape)``.

    The first ``n_train`` / ``n_test`` images (all when None).  In quick mode,
    when the IDX files are absent, falls back to scikit-learn's bundled 8x8
    digits (with a printed note); in full mode a missing MNIST is an error.
    """
    from skdeepgen.datasets import fetch_mnist
    try:
        X_train, X_test, y_train, y_test = fetch_mnist(
            data_home, download_if_missing=not QUICK, return_X_y=True)
        shape = (28, 28)
    except FileNotFoundError as exc:
        if not QUICK:
            raise
        from skdeepgen.experiments import DATASETS
        print(f"MNIST not found ({str(exc).split('(')[0].strip()}): quick mode "
              "falls back to scikit-learn's bundled 8x8 digits")
        X_train, X_test, y_train, y_test = DATASETS["digits"].load(None)
        shape = (8, 8)
    return (X_train[:n_train], X_test[:n_test], y_train[:n_train],
            y_test[:n_test], shape)


def save(fig, name):
    """Save ``fig`` to examples/output/NAME (kept open for the gallery)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    fig.savefig(path, dpi=90, bbox_inches="tight")
    print(f"figure -> {path}")
    return path


def missing(path, what):
    """True (after printing why the example stops) when ``path`` is absent."""
    if Path(path).exists():
        return False
    print(f"SKIPPED: {what} not found at {path}. Put the data there or pass "
          "--data-home; see the gallery's introduction.")
    return True


def reconstruction_rows(rows, labels, shape, title):
    """A figure with one row of images per entry of ``rows`` (values in [0, 1])."""
    import matplotlib.pyplot as plt
    n = rows[0].shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0),
                             squeeze=False)
    for r, (imgs, label) in enumerate(zip(rows, labels)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.clip(imgs[c], 0, 1).reshape(shape), cmap="gray",
                      vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    return fig


def title(doc):
    """First line of a module docstring, for argparse (sphinx-gallery empties it)."""
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else None
