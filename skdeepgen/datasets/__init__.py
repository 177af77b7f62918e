"""Dataset loaders for standard on-disk formats."""
from ._caltech import Caltech101Split, evaluate_caltech101, load_caltech101
from ._mnist import load_mnist, read_idx

__all__ = ["load_mnist", "read_idx", "load_caltech101", "Caltech101Split",
           "evaluate_caltech101"]
