"""
Beyond one machine with Dask
============================

The three routes of :mod:`skdeepgen.parallel`, on a two-worker
``distributed.LocalCluster`` (a real cluster's ``Client`` works the same):

1. **out-of-core training**: a ``BernoulliRBM`` fitted from a ``.npy`` file
   on disk, streamed in shuffled buffers, against the same fit in memory;
2. **distributed featurisation**: ``transform`` of the fitted model over a
   Dask array, chunk by chunk on the workers;
3. **grid search on the cluster**: ``GridSearchCV`` of an RBM + logistic
   regression pipeline under ``joblib.parallel_backend("dask")``, against
   ``n_jobs=1``.

    python examples/dask_scaling.py --data-home ../shared/data/mnist

Full mode: MNIST (20,000 training images for the search, 8 candidates x 3
folds).  Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): scikit-learn's
bundled 8x8 digits and smaller models.  Needs the ``dask`` extra.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from _helpers import SHARED, load_mnist_quick, quick_defaults, save, title
from skdeepgen import BernoulliRBM


def feature_accuracy(rbm, X_train, X_test, y_train, y_test):
    clf = LogisticRegression(max_iter=300).fit(rbm.transform(X_train), y_train)
    return clf.score(rbm.transform(X_test), y_test)


def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data-home", default=str(SHARED / "mnist"))
    p.add_argument("--n-train", type=int, default=20000)
    p.add_argument("--n-iter", type=int, default=5)
    p.add_argument("--n-components", type=int, nargs="+", default=[128, 256])
    p.add_argument("--learning-rate", type=float, nargs="+",
                   default=[0.01, 0.02, 0.05, 0.1])
    p.add_argument("--n-workers", type=int, default=2)
    p.add_argument("--local-threads", type=int, default=1,
                   help="BLAS threads of the n_jobs=1 search: 1 (default) rounds "
                   "as the one-thread workers do, so the scores are identical; 0 "
                   "leaves the machine's default, as a user's n_jobs=1 run would")
    quick_defaults(p, n_train=1200, n_iter=5, n_components=[32, 64])
    args = p.parse_args(argv)

    from dask.distributed import Client, LocalCluster
    from joblib import parallel_backend
    from threadpoolctl import threadpool_limits

    from skdeepgen.parallel import from_npy, transform, worker_threads

    X_train, X_test, y_train, y_test, shape = load_mnist_quick(
        args.data_home, args.n_train)

    # %%
    # 1. Out-of-core training
    # -----------------------
    # The training images go to a ``.npy`` file; ``from_npy`` gives a Dask
    # array over it and ``fit`` streams it.  The in-memory fit is the
    # reference.
    folder = Path(tempfile.mkdtemp())
    np.save(folder / "train.npy", X_train)
    X_disk = from_npy(folder / "train.npy", chunk_rows=max(len(X_train) // 8, 1))
    rbm_kw = dict(n_components=args.n_components[-1], n_iter=args.n_iter,
                  random_state=0)
    BernoulliRBM(**rbm_kw).fit(X_train[:50])  # compile (or load) the kernels first
    timings = {}
    t = time.perf_counter()
    streamed = BernoulliRBM(**rbm_kw).fit(X_disk)
    timings["fit, streamed from disk"] = time.perf_counter() - t
    t = time.perf_counter()
    in_memory = BernoulliRBM(**rbm_kw).fit(X_train)
    timings["fit, in memory"] = time.perf_counter() - t
    for name, model in (("streamed", streamed), ("in memory", in_memory)):
        acc = feature_accuracy(model, X_train, X_test, y_train, y_test)
        print(f"features of the RBM fitted {name}: test accuracy {acc:.4f}")

    # %%
    # 2 and 3. On a two-worker cluster
    # --------------------------------
    # ``transform`` sends the model to each worker once; the grid search
    # runs one fit per task.  Workers run one BLAS thread each.
    search = GridSearchCV(
        make_pipeline(BernoulliRBM(n_iter=args.n_iter, random_state=0),
                      LogisticRegression(max_iter=300)),
        {"bernoullirbm__n_components": args.n_components,
         "bernoullirbm__learning_rate": args.learning_rate}, cv=3)
    n_fits = 3 * len(args.n_components) * len(args.learning_rate)
    with LocalCluster(n_workers=args.n_workers, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        print("threads per worker:", worker_threads(client))
        H = transform(streamed, X_disk)
        t = time.perf_counter()
        H = H.compute()
        timings["transform on the cluster"] = time.perf_counter() - t
        print(f"transform on the cluster: {H.shape}, equal to local: "
              f"{np.allclose(H, streamed.transform(X_train), rtol=1e-5)}")
        t = time.perf_counter()
        with parallel_backend("dask"):
            search.set_params(n_jobs=-1).fit(X_train, y_train)
        timings[f"grid search, {args.n_workers} workers"] = time.perf_counter() - t
    cluster_scores = search.cv_results_["mean_test_score"]
    t = time.perf_counter()
    with threadpool_limits(args.local_threads or None):  # 1: as on the workers
        search.set_params(n_jobs=1).fit(X_train, y_train)
    timings["grid search, n_jobs=1"] = time.perf_counter() - t
    ratio = timings["grid search, n_jobs=1"] / timings[f"grid search, {args.n_workers} workers"]
    diff = np.max(np.abs(cluster_scores - search.cv_results_["mean_test_score"]))
    print(f"grid search of {n_fits} fits: {ratio:.2f}x faster on the cluster; "
          f"largest score difference from n_jobs=1: {diff:.2g}; best "
          f"{search.best_params_} ({search.best_score_:.4f})")
    for name, s in timings.items():
        print(f"{name:<32} {s:8.2f} s")

    # %%
    # The timings
    # -----------
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.barh(list(timings), list(timings.values()), color="tab:blue")
    ax.set_xlabel("seconds")
    ax.set_title(f"{len(X_train)} training images, {args.n_workers} workers")
    fig.tight_layout()
    save(fig, "dask_scaling.png")


if __name__ == "__main__":
    main()
