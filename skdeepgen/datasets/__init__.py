"""Dataset loaders for standard on-disk formats."""
from ._mnist import load_mnist, read_idx

__all__ = ["load_mnist", "read_idx"]
