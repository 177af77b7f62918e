"""
Stacked denoising autoencoders (SdA-3) on MNIST
===============================================

Three :class:`~skdeepgen.DenoisingAutoencoder` layers of 1000 units are
pretrained greedily on masked MNIST digits, unrolled into a network with a
softmax output and fine-tuned (Vincent et al. 2010), all with the
defaults of :class:`~skdeepgen.SdAClassifier`.  The splits:

* ``full``: the 60,000 training images, tested on the 10,000 test images
  (published SdA-3: 1.28% test error);
* ``basic``, ``rot``, ``bg-rand``, ``rect``, ``convex``: the benchmark sets
  of Larochelle et al. (2007) as :func:`skdeepgen.datasets.make_mnist_variant`
  generates them, trained on their training split (10,000 images; ``rect``
  1,000, ``convex`` 6,000) and tested on their 50,000 test images
  (published SdA-3: 2.80%, 10.29%, 10.38%, 1.99%, 19.06%).
* ``mnist10k``: the first 10,000 MNIST training images, tested on the
  other 50,000 (the split measured before the generated sets existed).

Run from the command line::

    python examples/sda_mnist.py --data-home ../shared/data/mnist [--split full]

``SKDEEPGEN_QUICK=1`` runs a small version (2,000 training and 2,000 test
images, 3 x 256 units, batches of 20, 3 + 10 epochs) in about a minute.
"""
# %%
import argparse
import os
import time

import numpy as np
from _helpers import SHARED  # sphinx-gallery runs examples without __file__

from skdeepgen import SdAClassifier
from skdeepgen.autoencoder import default_sda_layer
from skdeepgen.datasets import load_mnist, make_mnist_variant

QUICK = os.environ.get("SKDEEPGEN_QUICK") == "1"
VARIANTS = ("basic", "rot", "bg-rand", "rect", "convex")


def load_split(data_home, split):
    """``(X_train, y_train, X_test, y_test)`` as float32 in [0, 1]."""
    if split in VARIANTS:
        Xtr, _, Xte, ytr, _, yte = make_mnist_variant(
            split, data_home=data_home, random_state=0, return_X_y=True)
        return Xtr, ytr, Xte, yte
    X, y = load_mnist(data_home, subset="train", return_X_y=True)
    X = np.ascontiguousarray(X, dtype=np.float32)
    if split == "mnist10k":
        return X[:10000], y[:10000], X[10000:], y[10000:]
    X_test, y_test = load_mnist(data_home, subset="test", return_X_y=True)
    return X, y, np.ascontiguousarray(X_test, dtype=np.float32), y_test


# %%
# The recipe: the defaults of SdAClassifier unless overridden on the command
# line (the pretraining layer is ``default_sda_layer()`` with the changes).
def make_classifier(args):
    layer = default_sda_layer()
    changed = False
    for name, value in (("max_iter", args.pretrain_epochs),
                        ("corruption_level", args.corruption),
                        ("learning_rate", args.pretrain_lr),
                        ("batch_size", args.batch_size)):
        if value is not None:
            layer.set_params(**{name: value})
            changed = True
    params = {"autoencoder": layer} if changed else {}
    for name, value in (("max_iter", args.finetune_epochs),
                        ("learning_rate", args.lr),
                        ("batch_size", args.batch_size),
                        ("dropout", args.dropout),
                        ("input_dropout", args.input_dropout),
                        ("hidden_layer_sizes", args.sizes and tuple(args.sizes))):
        if value is not None:
            params[name] = value
    return SdAClassifier(verbose=1, random_state=args.seed, **params)


def main(argv=None):
    p = argparse.ArgumentParser(description="SdA-3 on MNIST")
    p.add_argument("--data-home", default=str(SHARED / "mnist"))
    p.add_argument("--split", choices=["full", "mnist10k", *VARIANTS], default="full")
    p.add_argument("--sizes", type=int, nargs="+")
    p.add_argument("--pretrain-epochs", type=int)
    p.add_argument("--pretrain-lr", type=float)
    p.add_argument("--corruption", type=float)
    p.add_argument("--finetune-epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int, help="pretraining and fine-tuning")
    p.add_argument("--dropout", type=float, help="fine-tuning: hidden units")
    p.add_argument("--input-dropout", type=float, help="fine-tuning: inputs")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if QUICK:  # 2,000 images: smaller layers and batches, more updates
        args.sizes = args.sizes or [256, 256, 256]
        args.pretrain_epochs = args.pretrain_epochs or 3
        args.pretrain_lr = args.pretrain_lr or 0.05
        args.batch_size = args.batch_size or 20
        args.finetune_epochs = args.finetune_epochs or 10
    X, y, X_test, y_test = load_split(args.data_home, args.split)
    if QUICK:
        X, y, X_test, y_test = X[:2000], y[:2000], X_test[:2000], y_test[:2000]
    clf = make_classifier(args)
    print(clf)
    t0 = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - t0
    error = 1.0 - clf.score(X_test, y_test)
    print(f"split={args.split} train={len(X)} test={len(X_test)}: "
          f"test error {100 * error:.2f}% (fit {seconds:.0f} s)")
    plot(clf, error)
    return error


# %%
# The figure: fine-tuning's learning curve and the first layer's filters
# ----------------------------------------------------------------------
def plot(clf, error):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(pip install matplotlib for the figure)")
        return
    from skdeepgen.plotting import plot_history, plot_tiles

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    plot_history(clf, ["loss"], ax=ax1,
                 title=f"fine-tuning loss (test error {100 * error:.2f}%)")
    filters = clf.dbn_.layers_[0].encoder_layer()[0].T[:100]
    plot_tiles(filters, (28, 28), ax=ax2, title="first-layer filters")
    fig.tight_layout()


if __name__ == "__main__":
    main()
