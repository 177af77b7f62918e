"""
Stacked denoising autoencoders (SdA-3) on MNIST
===============================================

Three :class:`~skdeepgen.DenoisingAutoencoder` layers of 1000 units are
pretrained greedily on masked MNIST digits, unrolled into a network with a
softmax output and fine-tuned (Vincent et al. 2010), all with the
defaults of :class:`~skdeepgen.SdAClassifier`.  Two splits:

* ``full``: the 60,000 training images, tested on the 10,000 test images
  (published SdA-3: 1.28% test error);
* ``basic``: a split shaped like the MNIST ``basic`` benchmark of Larochelle
  et al. (2007) - 10,000 training images, tested on 50,000 others (here the
  remaining 50,000 of MNIST's training set; published SdA-3: 2.80%).

Run from the command line::

    python examples/sda_mnist.py --data-home ../shared/data/mnist [--split full]

``SKDEEPGEN_QUICK=1`` runs a small version (2,000 training images, smaller
layers, few epochs) in well under two minutes.
"""
# %%
import argparse
import os
import time

import numpy as np

from skdeepgen import SdAClassifier
from skdeepgen.autoencoder import default_sda_layer
from skdeepgen.datasets import load_mnist

QUICK = os.environ.get("SKDEEPGEN_QUICK") == "1"


def load_split(data_home, split):
    """``(X_train, y_train, X_test, y_test)`` as float32 in [0, 1]."""
    X, y = load_mnist(data_home, subset="train", download_if_missing=False)
    X = np.ascontiguousarray(X, dtype=np.float32)
    if split == "basic":
        return X[:10000], y[:10000], X[10000:], y[10000:]
    X_test, y_test = load_mnist(data_home, subset="test", download_if_missing=False)
    return X, y, np.ascontiguousarray(X_test, dtype=np.float32), y_test


# %%
# The recipe: the defaults of SdAClassifier unless overridden here.
def make_classifier(args):
    params = {}
    if any(v is not None for v in (args.pretrain_epochs, args.corruption,
                                   args.pretrain_lr)):
        params["autoencoder"] = _layer(args)
    if args.finetune_epochs is not None:
        params["max_iter"] = args.finetune_epochs
    if args.lr is not None:
        params["learning_rate"] = args.lr
    if args.sizes:
        params["hidden_layer_sizes"] = tuple(args.sizes)
    return SdAClassifier(verbose=1, random_state=args.seed, **params)


def _layer(args):
    """The default pretraining layer with the command line's changes."""
    layer = default_sda_layer()
    if args.pretrain_epochs is not None:
        layer.set_params(max_iter=args.pretrain_epochs)
    if args.corruption is not None:
        layer.set_params(corruption_level=args.corruption)
    if args.pretrain_lr is not None:
        layer.set_params(learning_rate=args.pretrain_lr)
    return layer


def main(argv=None):
    p = argparse.ArgumentParser(description="SdA-3 on MNIST")
    p.add_argument("--data-home", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
        "mnist"))
    p.add_argument("--split", choices=["full", "basic"], default="full")
    p.add_argument("--sizes", type=int, nargs="+")
    p.add_argument("--pretrain-epochs", type=int)
    p.add_argument("--pretrain-lr", type=float)
    p.add_argument("--corruption", type=float)
    p.add_argument("--finetune-epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if QUICK:
        args.sizes = args.sizes or [256, 256, 256]
        args.pretrain_epochs = args.pretrain_epochs or 2
        args.finetune_epochs = args.finetune_epochs or 5
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
    return error


if __name__ == "__main__":
    main()
