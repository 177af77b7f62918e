"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""
import time
from pathlib import Path

import numpy as np

#: ../shared/data/mnist beside the repository
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def load_mnist_train(data_home, n):
    """The first ``n`` MNIST training images (float32, C-contiguous) and labels."""
    from skdeepgen.datasets import load_mnist
    X, y = load_mnist(data_home, subset="train", return_X_y=True)
    return np.ascontiguousarray(X[:n], dtype=np.float32), y[:n]


def mnist_parser(doc, batch_size=100):
    """The options every MNIST epoch benchmark takes (``--data-home``,
    ``--n-samples``, ``--batch-size``, ``--repeats``); scripts add their own."""
    import argparse

    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--data-home", default=str(DEFAULT_MNIST))
    p.add_argument("--n-samples", type=int, default=60000)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--repeats", type=int, default=3)
    return p


def best_of(fn, repeats, clock=time.perf_counter):
    """Shortest time of ``repeats`` calls of ``fn()`` (wall time by default;
    ``time.process_time`` gives CPU time, a fairer measure of single-threaded
    work on a machine shared with other jobs)."""
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def interleaved_best(fns, repeats, clock=time.perf_counter):
    """Best time of each callable, running them in turn ``repeats`` times.

    Interleaving spreads slow phases of a shared machine over every side
    instead of penalising whichever implementation ran during them.
    """
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            if fn is not None:
                best[name] = min(best[name], best_of(fn, 1, clock))
    return {name: (None if fns[name] is None else t) for name, t in best.items()}
