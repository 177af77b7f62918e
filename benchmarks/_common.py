"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""
import time
from pathlib import Path

import numpy as np

#: ../shared/data/mnist beside the repository
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def load_mnist_train(data_home, n):
    """The first ``n`` MNIST training images (float32, C-contiguous) and labels."""
    from skdeepgen.datasets import load_mnist
    X, y = load_mnist(data_home, subset="train", download_if_missing=False)
    return np.ascontiguousarray(X[:n], dtype=np.float32), y[:n]


def best_of(fn, repeats):
    """Shortest wall time of ``repeats`` calls of ``fn()``."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
