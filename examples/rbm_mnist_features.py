"""RBM features -> logistic regression on MNIST (the seeds' classic).

Trains ``BernoulliRBM(n_components=1000, n_iter=20)`` (every other
parameter at its default: CD-1) on the 60,000 MNIST training images and
classifies the 10,000 test images with a logistic regression on the hidden
probabilities, next to raw pixels.  ``--method pcd`` uses persistent CD
(scikit-learn's algorithm) instead (2026-11-23: CD 1.94%, PCD 2.05%).

    python examples/rbm_mnist_features.py --data-home ../shared/data/mnist

Measured on this project's 2-core machine: see the closing notes of the
foundation issue and ``doc/results.md``.  Saves the first 100 filters to
``examples/output/rbm_mnist_filters.png`` when matplotlib is installed.
"""
import argparse
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skdeepgen import BernoulliRBM
from skdeepgen.datasets import load_mnist

HERE = Path(__file__).resolve().parent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-home", default=str(HERE.parents[1] / "shared" / "data" / "mnist"))
    p.add_argument("--n-components", type=int, default=1000)
    p.add_argument("--n-iter", type=int, default=20)
    p.add_argument("--method", default=None, choices=["cd", "pcd"],
                   help="default: the library's (cd)")
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--skip-raw", action="store_true")
    args = p.parse_args(argv)

    X_train, X_test, y_train, y_test = load_mnist(args.data_home, return_X_y=True)
    rows = []
    if not args.skip_raw:
        t = time.perf_counter()
        raw = LogisticRegression(C=args.C, max_iter=500).fit(X_train, y_train)
        rows.append(("raw pixels", 1 - raw.score(X_test, y_test), time.perf_counter() - t))
    rbm = BernoulliRBM(n_components=args.n_components, n_iter=args.n_iter,
                       random_state=0, verbose=1)
    if args.method:
        rbm.set_params(method=args.method)
    model = make_pipeline(rbm, LogisticRegression(C=args.C, max_iter=500))
    t = time.perf_counter()
    model.fit(X_train, y_train)
    rows.append((f"BernoulliRBM({args.n_components}, {rbm.method}, {args.n_iter} epochs)",
                 1 - model.score(X_test, y_test), time.perf_counter() - t))
    print(f"\n{'features':<44} {'test error %':>12} {'fit s':>8}")
    for name, err, sec in rows:
        print(f"{name:<44} {100 * err:>12.2f} {sec:>8.0f}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    from skdeepgen.plotting import plot_tiles
    out = HERE / "output"
    out.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 6))
    plot_tiles(model[0].components_[:100], (28, 28), ax=ax, title="RBM filters")
    fig.savefig(out / "rbm_mnist_filters.png", dpi=100)
    print(f"saved {out / 'rbm_mnist_filters.png'}")


if __name__ == "__main__":
    main()
