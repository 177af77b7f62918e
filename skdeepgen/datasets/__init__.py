"""Dataset loaders for standard on-disk formats, and the SdA benchmark sets."""
from ._caltech import Caltech101Split, evaluate_caltech101, load_caltech101
from ._mnist import fetch_mnist, load_mnist, read_idx, sample_binary
from ._variants import digitally_convex, make_mnist_variant

__all__ = ["load_mnist", "fetch_mnist", "read_idx", "sample_binary", "load_caltech101",
           "Caltech101Split", "evaluate_caltech101", "make_mnist_variant",
           "digitally_convex"]
