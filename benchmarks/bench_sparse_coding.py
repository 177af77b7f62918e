"""Sparse coding speed, side by side: skdeepgen vs scikit-learn vs SPAMS.

100,000 random 8x8 MNIST patches (mean removed, unit norm; blank patches
skipped), 256 atoms, alpha giving about 5% non-zero codes.

* encoding 10,000 held-out patches on a fixed dictionary:
  ``skdeepgen.sparse_coding.sparse_encode`` vs scikit-learn
  ``SparseCoder(transform_algorithm="lasso_cd")`` vs ``spams.lasso``;
* one pass of dictionary learning over the 100,000 patches:
  ``skdeepgen.SparseCoder(max_iter=1)`` vs ``MiniBatchDictionaryLearning``
  (``max_iter=1``) vs ``spams.trainDL`` (``iter = n / batch``), each
  dictionary then scored by the same objective on the held-out patches.

Run timed (other benchmarks must not overlap)::

    flock /tmp/skdeepgen-bench.lock python benchmarks/bench_sparse_coding.py \
        --data-home ../shared/data/mnist
"""
import argparse
import os
import time

# SPAMS uses OpenMP; with the default (spinning) wait policy its threads
# busy-wait for each other and, on a shared 2-core machine, one pass of
# trainDL with 2 threads took 80 s instead of 0.5 s.  Passive waiting is the
# fair setting here (it must be set before the OpenMP runtime starts).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdeepgen.sparse_coding import _objective_rows, sparse_encode


def mnist_patches(data_home, n, size=8, seed=0):
    from skdeepgen.datasets import load_mnist

    X_train, _, _, _ = load_mnist(data_home, return_X_y=True)
    imgs = X_train.reshape(-1, 28, 28)
    rng = np.random.RandomState(seed)
    out = []
    while sum(len(o) for o in out) < n:
        m = 2 * n
        i = rng.randint(0, len(imgs), m)
        r = rng.randint(0, 28 - size + 1, m)
        c = rng.randint(0, 28 - size + 1, m)
        idx = (i[:, None, None], r[:, None, None] + np.arange(size)[None, :, None],
               c[:, None, None] + np.arange(size)[None, None, :])
        P = imgs[idx].reshape(m, -1).astype(np.float64)
        P -= P.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(P, axis=1)
        keep = norm > 0.5  # skip blank / nearly blank patches
        out.append(P[keep] / norm[keep, None])
    return np.ascontiguousarray(np.vstack(out)[:n])


def timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def objective(X, D, alpha):

    D = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-12)
    A = sparse_encode(X, D, alpha=alpha, tol=1e-6, n_jobs=2)
    return float(np.mean(_objective_rows(X, A, D, alpha))), float(np.mean(A != 0))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-home", default="../shared/data/mnist")
    p.add_argument("--n-train", type=int, default=100_000)
    p.add_argument("--n-encode", type=int, default=10_000)
    p.add_argument("--n-components", type=int, default=256)
    p.add_argument("--alpha", type=float, default=0.07)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-sklearn-dl", action="store_true")
    args = p.parse_args(argv)

    from sklearn.decomposition import MiniBatchDictionaryLearning
    from sklearn.decomposition import SparseCoder as SkSparseCoder

    from skdeepgen import SparseCoder

    # scikit-learn's Lasso warns for many rows at its default tolerance
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    try:
        import spams
    except ImportError:  # pragma: no cover - depends on the machine
        spams = None
    X_all = mnist_patches(args.data_home, args.n_train + args.n_encode)
    X, X_test = X_all[:args.n_train], X_all[args.n_train:]
    k, alpha, nj = args.n_components, args.alpha, args.n_jobs
    print(f"{len(X)} training / {len(X_test)} held-out 8x8 MNIST patches "
          f"(mean removed, unit norm), {k} atoms, alpha={alpha}; each method "
          f"with 1 and {nj} threads, ratios to skdeepgen at the same count")

    # ---------------------------------------------------- dictionary learning
    print("\n== one pass of dictionary learning ==")
    rows = []  # (name, threads, seconds, objective, nnz)
    D_ours = None
    for threads in sorted({1, nj}):
        ours_fit = SparseCoder(n_components=k, alpha=alpha, max_iter=1,
                               batch_size=args.batch_size, n_jobs=threads,
                               random_state=0)
        ours_fit.fit(X[:2 * args.batch_size])  # JIT warm-up (cached on disk)
        t, _ = timed(lambda: ours_fit.fit(X))
        D_ours = ours_fit.components_ if D_ours is None else D_ours
        rows.append(("skdeepgen SparseCoder", threads, t,
                     *objective(X_test, ours_fit.components_, alpha)))
    if spams is not None:
        Xf = np.asfortranarray(X.T)
        for threads in sorted({1, nj}):
            t, Ds = timed(lambda: spams.trainDL(
                Xf, K=k, lambda1=alpha, mode=2, iter=len(X) // args.batch_size,
                batchsize=args.batch_size, numThreads=threads, verbose=False))
            rows.append(("spams.trainDL", threads, t,
                         *objective(X_test, np.asarray(Ds).T, alpha)))
    else:
        print("spams not installed: spams.trainDL skipped")
    if not args.skip_sklearn_dl:
        # scikit-learn with 1 thread (BLAS limited too), and with its own
        # parallelism on all threads: n_jobs for the encoding, BLAS as shipped
        for threads in sorted({1, nj}):
            sk = MiniBatchDictionaryLearning(
                n_components=k, alpha=alpha, max_iter=1,
                batch_size=args.batch_size, fit_algorithm="cd",
                n_jobs=None if threads == 1 else threads, random_state=0)
            with threadpool_limits(limits=1 if threads == 1 else None):
                t, _ = timed(lambda: sk.fit(X))
            rows.append(("sklearn MiniBatchDictionaryLearning", threads, t,
                         *objective(X_test, sk.components_, alpha)))
    report(rows, "held-out objective")

    # --------------------------------------------------------------- encoding
    print(f"\n== encoding {len(X_test)} patches on the learned dictionary ==")
    D = D_ours.astype(np.float64)

    def stats(codes):  # objective and density of codes computed by a peer
        return (float(np.mean(_objective_rows(X_test, codes, D, alpha))),
                float(np.mean(codes != 0)))

    rows = []
    sparse_encode(X_test[:100], D, alpha=alpha)  # warm-up
    for threads in sorted({1, nj}):
        t, A = timed(lambda: sparse_encode(X_test, D, alpha=alpha, tol=1e-4,
                                           n_jobs=threads), args.repeat)
        rows.append(("skdeepgen sparse_encode", threads, t, *stats(A)))
    if spams is not None:
        Xf, Df = np.asfortranarray(X_test.T), np.asfortranarray(D.T)
        for threads in sorted({1, nj}):
            t, As = timed(lambda: spams.lasso(Xf, D=Df, lambda1=alpha, mode=2,
                                              numThreads=threads), args.repeat)
            rows.append(("spams.lasso", threads, t, *stats(np.asarray(As.toarray()).T)))
    for threads in sorted({1, nj}):
        sk = SkSparseCoder(dictionary=D, transform_algorithm="lasso_cd",
                           transform_alpha=alpha,
                           n_jobs=None if threads == 1 else threads)
        t, Ask = timed(lambda: sk.transform(X_test), 1)
        rows.append(("sklearn SparseCoder(lasso_cd)", threads, t, *stats(Ask)))
    report(rows, "objective")


def report(rows, what):
    """Seconds, and the ratio to skdeepgen with the same number of threads."""
    ours = {r[1]: r[2] for r in rows if r[0].startswith("skdeepgen")}
    print(f"{'method':<38} {'threads':>7} {'seconds':>8} {'/ ours':>7} "
          f"{what:>19} {'nnz %':>6}")
    for name, threads, t, obj, nnz in rows:
        print(f"{name:<38} {threads:>7} {t:>8.3f} {t / ours[threads]:>6.2f}x "
              f"{obj:>19.6f} {100 * nnz:>6.2f}")


if __name__ == "__main__":
    main()
