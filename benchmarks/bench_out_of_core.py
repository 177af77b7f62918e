"""Out-of-core training: a BernoulliRBM fit streamed from disk vs in memory.

MNIST's 60,000 training images enlarged 8x with shifted copies (the image
and its seven shifts by one pixel: right, left, down, up and the diagonals
down-right, up-left, down-left) are written to one ``.npy`` file (480,000
x 784 float32, 1.5 GB).  Each mode runs in its own process so that its peak
resident memory (``ru_maxrss``) is its own:

* ``stream``: ``BernoulliRBM.fit(skdeepgen.parallel.from_npy(path))``, the
  rows streamed in shuffled buffers of chunks;
* ``memory``: ``np.load(path)`` then ``fit``.

Wall and CPU seconds are both reported: on a shared machine the CPU time
of each process is the steadier comparison.

Both at 1x (the first 60,000 rows, the original images) and 8x.  Then the
features of both 8x models feed one logistic regression each (trained on
the 60,000 original training images, tested on MNIST's 10,000).

    python benchmarks/bench_out_of_core.py [--data-home ../shared/data/mnist]
        [--workdir /tmp/skdeepgen-ooc] [--n-iter 3] [--n-components 500]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _common import DEFAULT_MNIST

SHIFTS = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1)]


def shifted(X, dy, dx):
    imgs = X.reshape(-1, 28, 28)
    out = np.zeros_like(imgs)
    ys, yd = (slice(0, 28 - dy), slice(dy, 28)) if dy >= 0 else (slice(-dy, 28), slice(0, 28 + dy))
    xs, xd = (slice(0, 28 - dx), slice(dx, 28)) if dx >= 0 else (slice(-dx, 28), slice(0, 28 + dx))
    out[:, yd, xd] = imgs[:, ys, xs]
    return out.reshape(len(X), 784)


def write_data(data_home, workdir):
    from skdeepgen.datasets import load_mnist

    path = workdir / "mnist8x.npy"
    if path.exists():
        return path
    X = load_mnist(data_home, subset="train", return_X_y=True)[0]
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                    shape=(8 * len(X), 784))
    for k, (dy, dx) in enumerate(SHIFTS):
        out[k * len(X):(k + 1) * len(X)] = shifted(X, dy, dx)
    out.flush()
    del out
    return path


def run_mode(args):
    """One fit in this process; prints a JSON line."""
    import resource

    from skdeepgen import BernoulliRBM
    from skdeepgen.parallel import from_npy

    n_rows = 60_000 * args.scale
    rbm = BernoulliRBM(args.n_components, n_iter=args.n_iter, random_state=0)
    rbm.fit(np.random.RandomState(0).rand(200, 784).astype(np.float32))  # compile
    t = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    if args.mode == "stream":
        X = from_npy(args.path, chunk_rows=10_000)[:n_rows]
    else:
        X = np.load(args.path, mmap_mode="r")[:n_rows].copy()  # in memory
    rbm.fit(X)
    seconds = time.perf_counter() - t
    end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.save:
        import pickle
        with open(args.save, "wb") as f:
            pickle.dump(rbm, f)
    print(json.dumps({"mode": args.mode, "scale": args.scale, "seconds": seconds,
                      "cpu_seconds": cpu_seconds,
                      "us_per_row_epoch": 1e6 * seconds / (n_rows * args.n_iter),
                      "cpu_us_per_row_epoch": 1e6 * cpu_seconds / (n_rows * args.n_iter),
                      "peak_rss_mb": peak_mb}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-home", default=str(DEFAULT_MNIST))
    p.add_argument("--workdir", default="/tmp/skdeepgen-ooc")
    p.add_argument("--n-iter", type=int, default=3)
    p.add_argument("--n-components", type=int, default=500)
    p.add_argument("--mode", choices=["stream", "memory"])
    p.add_argument("--scale", type=int, default=8)
    p.add_argument("--path")
    p.add_argument("--save")
    args = p.parse_args()
    if args.mode:
        return run_mode(args)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = write_data(args.data_home, workdir)
    print(f"data: {path} ({os.path.getsize(path) / 2**30:.2f} GiB)", flush=True)
    results = []
    for scale in (1, 8):
        for mode in ("stream", "memory"):
            cmd = [sys.executable, __file__, "--mode", mode, "--scale", str(scale),
                   "--path", str(path), "--n-iter", str(args.n_iter),
                   "--n-components", str(args.n_components)]
            if scale == 8:
                cmd += ["--save", str(workdir / f"rbm_{mode}.pkl")]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(results[-1], flush=True)

    import pickle

    from sklearn.linear_model import LogisticRegression

    from skdeepgen.datasets import load_mnist

    X_tr, X_te, y_tr, y_te = load_mnist(args.data_home, return_X_y=True)
    errors = {}
    for mode in ("stream", "memory"):
        with open(workdir / f"rbm_{mode}.pkl", "rb") as f:
            rbm = pickle.load(f)
        clf = LogisticRegression(C=1.0, max_iter=300).fit(rbm.transform(X_tr), y_tr)
        errors[mode] = 100 * (1 - clf.score(rbm.transform(X_te), y_te))
    r = {(d["mode"], d["scale"]): d for d in results}
    print()
    print(f"BernoulliRBM({args.n_components}), {args.n_iter} epochs, batch 100, float32")
    print(f"{'':28}{'1x (60,000 rows)':>20}{'8x (480,000 rows)':>20}")
    for mode in ("stream", "memory"):
        print(f"{'peak RSS MB, ' + mode:28}{r[mode, 1]['peak_rss_mb']:>20.0f}"
              f"{r[mode, 8]['peak_rss_mb']:>20.0f}")
    for key in ("us_per_row_epoch", "cpu_us_per_row_epoch"):
        for mode in ("stream", "memory"):
            print(f"{key.replace('_', ' ') + ', ' + mode:28}{r[mode, 1][key]:>20.2f}"
                  f"{r[mode, 8][key]:>20.2f}")
    for key in ("seconds", "cpu_seconds"):
        ratio = r["stream", 8][key] / r["memory", 8][key]
        print(f"streamed / in-memory {key.replace('_', ' ')} at 8x: {ratio:.2f}x")
    print(f"test error of logistic regression on the 8x models' features: "
          f"stream {errors['stream']:.2f}%, memory {errors['memory']:.2f}% "
          f"(difference {errors['stream'] - errors['memory']:+.2f} points)")


if __name__ == "__main__":
    main()
