"""DBM joint-training epoch: skdeepgen against the same loop in plain NumPy.

MNIST 60,000 x 784 float32, a 784-500-1000 DBM, batch 100: per minibatch a
bottom-up pass and ``--mean-field`` mean-field sweeps for the data, then
``--gibbs`` Gibbs sweeps of 100 persistent chains, the statistics and a
momentum step (the recipe of ``DBM()``).  The NumPy side is what one writes
from the paper: the same products, ``1 / (1 + exp(-x))`` and
``rng.random(...) < p`` for the samples.  Also printed: the "floor", the
time of the epoch's matrix products alone at the same shapes, and the
share of the epoch it takes (the fraction of GEMM throughput reached).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_dbm.py [--data-home ../shared/data/mnist] [--repeats 2]
        [--init examples/output/dbm_mnist_ckpt/dbm.pkl]

skdeepgen's epoch is timed from a pretrained DBM (``--pretrain-epochs`` per
RBM) or a given one (``--init``): products with the chains' binary states
skip their zeros, so its cost depends on how many units are on.
"""
import time

import numpy as np
from threadpoolctl import threadpool_info

from _common import interleaved_best, load_mnist_train, mnist_parser

SIZES = (784, 500, 1000)


def time_skdeepgen(X, bs, n_mf, n_gibbs, init=None, pretrain_epochs=2):
    """An epoch from a pretrained DBM (or the one pickled at ``init``): its
    cost depends on how sparse the chains' states are, and random weights
    make them dense (half the units on), which no trained model has."""
    import pickle
    from skdeepgen import DBM, BernoulliRBM
    kw = dict(hidden_layer_sizes=SIZES[1:], batch_size=bs, n_mean_field=n_mf,
              n_gibbs_steps=n_gibbs, random_state=0)
    rbm = BernoulliRBM(n_iter=pretrain_epochs, method="cd", learning_rate=0.05,
                       momentum=0.9, weight_decay=2e-4)
    DBM(n_iter=1, rbm=rbm.set_params(n_iter=1), **kw).fit(X[:4 * bs])  # compile
    if init:
        with open(init, "rb") as f:
            dbm = pickle.load(f).set_params(n_mean_field=n_mf, n_gibbs_steps=n_gibbs)
    else:
        dbm = DBM(n_iter=0, rbm=rbm.set_params(n_iter=pretrain_epochs), **kw).fit(X)
    density = ", ".join(f"{c.mean():.2f}" for c in dbm.chains_)
    print(f"  (skdeepgen's chains: fraction of units on per layer {density})")
    return lambda: dbm.partial_fit(X)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def time_numpy(X, bs, n_mf, n_gibbs):
    rng = np.random.default_rng(0)
    f32 = np.float32
    d, n1, n2 = SIZES
    W0 = (0.01 * rng.standard_normal((n1, d))).astype(f32)
    W1 = (0.01 * rng.standard_normal((n2, n1))).astype(f32)
    b0, b1, b2 = np.zeros(d, f32), np.zeros(n1, f32), np.zeros(n2, f32)
    vel = [np.zeros_like(a) for a in (W0, W1, b0, b1, b2)]
    chain = [(rng.random((bs, m)) < 0.5).astype(f32) for m in SIZES]
    lr, mom, wd = f32(0.005), f32(0.9), f32(2e-4)

    def epoch():
        for start in range(0, X.shape[0], bs):
            v = X[start:start + bs]
            n = v.shape[0]
            # data: bottom-up start, then mean-field sweeps
            from_v = v @ W0.T + b1
            mu1 = _sigmoid(2 * (v @ W0.T) + b1)
            mu2 = _sigmoid(mu1 @ W1.T + b2)
            for _ in range(n_mf):
                mu1 = _sigmoid(from_v + mu2 @ W1)
                mu2 = _sigmoid(mu1 @ W1.T + b2)
            # model: Gibbs sweeps of the persistent chains
            cv, c1, c2 = (c[:n] for c in chain)
            for _ in range(n_gibbs):
                cv[...] = rng.random(cv.shape, dtype=f32) < _sigmoid(c1 @ W0 + b0)
                c2[...] = rng.random(c2.shape, dtype=f32) < _sigmoid(c1 @ W1.T + b2)
                p1 = _sigmoid(cv @ W0.T + c2 @ W1 + b1)
                c1[...] = rng.random(c1.shape, dtype=f32) < p1
            grads = [(mu1.T @ v - p1.T @ cv) / n, (mu2.T @ mu1 - c2.T @ p1) / n,
                     (v.sum(0) - cv.sum(0)) / n, (mu1.sum(0) - p1.sum(0)) / n,
                     (mu2.sum(0) - c2.sum(0)) / n]
            for i, (p, g) in enumerate(zip((W0, W1, b0, b1, b2), grads)):
                g = g - wd * p if i < 2 else g
                vel[i] = mom * vel[i] + lr * g
                p += vel[i]
    return epoch


def time_floor(X, bs, n_mf, n_gibbs):
    """The epoch's matrix products alone, at the same shapes."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    d, n1, n2 = SIZES
    W0 = rng.random((n1, d), dtype=f32)
    W1 = rng.random((n2, n1), dtype=f32)
    A = {m: rng.random((bs, m), dtype=f32) for m in SIZES}
    S = {m: rng.random((2 * bs, m), dtype=f32) for m in SIZES}
    out = {m: np.empty((bs, m), f32) for m in SIZES}
    G0, G1 = np.empty_like(W0), np.empty_like(W1)

    def epoch():
        for _ in range(0, X.shape[0], bs):
            np.dot(A[d], W0.T, out=out[n1])  # from v (once)
            np.dot(A[d], W0.T, out=out[n1])  # bottom-up start
            np.dot(A[n1], W1.T, out=out[n2])
            for _ in range(n_mf):
                np.dot(A[n2], W1, out=out[n1])
                np.dot(A[n1], W1.T, out=out[n2])
            for _ in range(n_gibbs):
                np.dot(A[n1], W0, out=out[d])
                np.dot(A[n1], W1.T, out=out[n2])
                np.dot(A[d], W0.T, out=out[n1])
                np.dot(A[n2], W1, out=out[n1])
            np.dot(S[n1].T, S[d], out=G0)
            np.dot(S[n2].T, S[n1], out=G1)
    return epoch


def gemm_flops(n, bs, n_mf, n_gibbs):
    d, n1, n2 = SIZES
    per_batch = 2 * bs * (2 * d * n1 + n1 * n2 + n_mf * 2 * n1 * n2
                          + n_gibbs * (2 * d * n1 + 2 * n1 * n2)) + 2 * 2 * bs * (n1 * d + n2 * n1)
    return per_batch * (n // bs)


def main():
    p = mnist_parser(__doc__)
    p.add_argument("--mean-field", type=int, default=10)
    p.add_argument("--gibbs", type=int, default=5)
    p.add_argument("--init", default=None,
                   help="time skdeepgen's epoch from this pickled DBM (e.g. a "
                   "checkpoint of examples/dbm_mnist.py)")
    p.add_argument("--pretrain-epochs", type=int, default=2,
                   help="without --init: epochs of each pretraining RBM")
    p.set_defaults(repeats=2)
    a = p.parse_args()
    X, _ = load_mnist_train(a.data_home, a.n_samples)
    args = (X, a.batch_size, a.mean_field, a.gibbs)
    ours = time_skdeepgen(*args, init=a.init, pretrain_epochs=a.pretrain_epochs)
    # the BLAS pool, not whichever pool threadpoolctl lists first (after a DBM
    # fit, Numba's OpenMP pool comes first and would report its own threads)
    threads = next((p["num_threads"] for p in threadpool_info()
                    if p["user_api"] == "blas"), 0)
    clock = time.process_time if threads == 1 else time.perf_counter
    t = interleaved_best({"skdeepgen": ours, "numpy": time_numpy(*args),
                          "floor": time_floor(*args)}, a.repeats, clock)
    print(f"  BLAS threads: {threads}; times are "
          + ("CPU seconds (one thread: fair on a shared machine)" if threads == 1
             else "wall seconds"))
    flops = gemm_flops(X.shape[0], *args[1:])
    print(f"DBM 784-500-1000 joint-training epoch, {X.shape[0]} images, batch "
          f"{a.batch_size}, {a.mean_field} mean-field sweeps, {a.gibbs} Gibbs "
          f"sweeps ({time.strftime('%Y-%m-%d %H:%M')})")
    print(f"  skdeepgen      {t['skdeepgen']:8.2f} s")
    print(f"  plain NumPy    {t['numpy']:8.2f} s   -> skdeepgen is "
          f"{t['numpy'] / t['skdeepgen']:.2f}x faster")
    print(f"  GEMM floor     {t['floor']:8.2f} s   ({flops / t['floor'] / 1e9:.1f} GFLOP/s)"
          f"   -> epoch / floor: skdeepgen {t['skdeepgen'] / t['floor']:.2f}, NumPy "
          f"{t['numpy'] / t['floor']:.2f} (NumPy reaches {t['floor'] / t['numpy']:.0%} of "
          "GEMM throughput; skdeepgen's products with binary states skip zeros, so "
          "it can go below the dense floor)")


if __name__ == "__main__":
    main()
