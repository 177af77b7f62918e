"""
Denoising autoencoder filters at 0%, 25% and 50% masking
========================================================

Three :class:`~skdeepgen.DenoisingAutoencoder` models with 500 code units
are trained on MNIST, identical but for the fraction of masked input
pixels (Vincent et al. 2008, Fig. 3; the Theano tutorial's ``dA``).
Without noise the over-complete-ish code learns filters that look like
noise or single pixels; with 25-50% masking it must predict missing pixels
from their neighbours, and its filters become stroke and blob detectors.

The first 100 filters of each model are saved side by side to
``examples/output/dae_filters.png`` (with matplotlib; otherwise the tile
mosaics go to ``dae_filters.npz``).  Each model's *smoothness*, the mean
correlation of a filter's pixels with their right-hand neighbours, puts a
number on the difference.

    python examples/denoising_autoencoder_filters.py --data-home ../shared/data/mnist

``SKDEEPGEN_QUICK=1``: 2,000 images and 2 epochs (seconds).
"""
# %%
import argparse
import os
import time

import numpy as np

from skdeepgen import DenoisingAutoencoder
from skdeepgen.datasets import load_mnist
from skdeepgen.plotting import tile_images

from _helpers import HERE  # sphinx-gallery runs examples without __file__
QUICK = os.environ.get("SKDEEPGEN_QUICK") == "1"
LEVELS = (0.0, 0.25, 0.5)


def smoothness(filters, shape=(28, 28)):
    """Mean correlation between horizontally neighbouring filter pixels."""
    F = filters.reshape(len(filters), *shape)
    a = F[:, :, :-1].reshape(len(F), -1)
    b = F[:, :, 1:].reshape(len(F), -1)
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    return float(np.mean((a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))))


# %%
# One model per masking level, everything else equal (same seed).
def main(argv=None):
    p = argparse.ArgumentParser(description="DAE filters at 0/25/50% masking")
    p.add_argument("--data-home", default=str(HERE.parents[1] / "shared" / "data" / "mnist"))
    p.add_argument("--n-samples", type=int, default=60000)
    p.add_argument("--n-components", type=int, default=500)
    p.add_argument("--epochs", type=int, default=15)
    args = p.parse_args(argv)
    if QUICK:
        args.n_samples, args.epochs = 2000, 2
    X, _ = load_mnist(args.data_home, subset="train", return_X_y=True)
    X = np.ascontiguousarray(X[:args.n_samples], dtype=np.float32)
    mosaics = {}
    for level in LEVELS:
        t = time.perf_counter()
        # the Theano tutorial's dA: SGD at 0.1 on minibatches of 20
        dae = DenoisingAutoencoder(args.n_components, corruption_level=level,
                                   learning_rate=0.1, momentum=0.5, batch_size=20,
                                   max_iter=args.epochs, random_state=0).fit(X)
        filters = dae.components_[:100]
        mosaics[level] = tile_images(filters, (28, 28), n_cols=10)
        print(f"masking {level:.0%}: reconstruction loss {-dae.score(X[:5000]):.2f}, "
              f"filter smoothness {smoothness(dae.components_):.3f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
    out = HERE / "output"
    out.mkdir(exist_ok=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        np.savez(out / "dae_filters.npz", **{f"masking_{int(100 * k)}": v
                                             for k, v in mosaics.items()})
        print(f"matplotlib not installed: mosaics saved to {out / 'dae_filters.npz'}")
        return
    fig, axes = plt.subplots(1, len(LEVELS), figsize=(4 * len(LEVELS), 4.3))
    for ax, (level, mosaic) in zip(axes, mosaics.items()):
        ax.imshow(mosaic, cmap="gray")
        ax.set_title(f"{level:.0%} masking")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "dae_filters.png", dpi=100)
    print(f"saved {out / 'dae_filters.png'}")


if __name__ == "__main__":
    main()
