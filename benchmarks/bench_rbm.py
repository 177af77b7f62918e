"""BernoulliRBM epoch time vs scikit-learn and PyTorch, side by side.

MNIST 60,000 x 784 float32 -> 500 hidden, batch 100, one epoch of persistent
CD with one Gibbs step on every side (scikit-learn's algorithm).  Prints
seconds per epoch, ratios, and the epoch time as a multiple of the "floor":
the time of the same epoch's matrix products alone, at the same shapes.

    python benchmarks/bench_rbm.py [--data-home ../shared/data/mnist] [--repeats 3]

BLAS note: NumPy's bundled OpenBLAS may pick a conservative kernel on new
CPUs; ``OPENBLAS_CORETYPE=SkylakeX`` (AVX-512 machines) can make float32 GEMM
faster.  Set it for the whole run so both sides use the same setting.
"""
import os

import numpy as np

from _common import interleaved_best, load_mnist_train, mnist_parser



def time_skdeepgen(X, h, bs, repeats):
    from skdeepgen import BernoulliRBM
    BernoulliRBM(h, batch_size=bs, n_iter=1, method="pcd",
                 random_state=0).fit(X[:2 * bs])  # compile
    return lambda: BernoulliRBM(h, batch_size=bs, n_iter=1, method="pcd",
                                learning_rate=0.05, momentum=0.5,
                                random_state=0).fit(X)


def time_sklearn(X, h, bs, repeats):
    from sklearn.neural_network import BernoulliRBM
    return lambda: BernoulliRBM(h, batch_size=bs, n_iter=1, learning_rate=0.05,
                                random_state=0).fit(X)


def time_torch(X, h, bs, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    Xt = torch.from_numpy(X)
    g = torch.Generator().manual_seed(0)

    def epoch():
        d = Xt.shape[1]
        W = 0.01 * torch.randn(h, d, generator=g)
        b = torch.zeros(d)
        c = torch.zeros(h)
        chain = torch.bernoulli(torch.full((bs, h), 0.5), generator=g)
        lr = 0.05
        with torch.no_grad():
            for start in range(0, Xt.shape[0], bs):
                v = Xt[start:start + bs]
                n = v.shape[0]
                hp = torch.sigmoid(v @ W.T + c)
                vn = torch.bernoulli(torch.sigmoid(chain[:n] @ W + b), generator=g)
                hn = torch.sigmoid(vn @ W.T + c)
                chain[:n] = torch.bernoulli(hn, generator=g)
                W += (lr / n) * (hp.T @ v - hn.T @ vn)
                b += (lr / n) * (v.sum(0) - vn.sum(0))
                c += (lr / n) * (hp.sum(0) - hn.sum(0))
    epoch()
    return epoch


def time_floor(n, d, h, bs, repeats, four=False):
    rng = np.random.default_rng(0)
    V = rng.random((bs, d), dtype=np.float32)
    W = rng.standard_normal((h, d), dtype=np.float32)
    H = rng.random((bs, h), dtype=np.float32)
    V2 = rng.random((2 * bs, d), dtype=np.float32)
    H2 = rng.random((2 * bs, h), dtype=np.float32)
    A = np.empty((bs, h), np.float32)
    B = np.empty((bs, d), np.float32)
    G = np.empty((h, d), np.float32)
    nb = -(-n // bs)

    def products():
        for _ in range(nb):
            np.dot(V, W.T, out=A)
            np.dot(H, W, out=B)
            np.dot(V, W.T, out=A)
            if four:
                np.dot(H.T, V, out=G)
            else:
                np.dot(H2.T, V2, out=G)
    return products


def main(argv=None):
    p = mnist_parser(__doc__)
    p.add_argument("--n-components", type=int, default=500)
    args = p.parse_args(argv)
    X, _ = load_mnist_train(args.data_home, args.n_samples)
    n, d = X.shape
    h, bs, r = args.n_components, args.batch_size, args.repeats
    print(f"MNIST {n} x {d} float32 -> {h} hidden, batch {bs}, 1 epoch PCD-1; "
          f"best of {r} interleaved rounds; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    t = interleaved_best({
        "ours": time_skdeepgen(X, h, bs, r), "sklearn": time_sklearn(X, h, bs, r),
        "torch": time_torch(X, h, bs, r), "floor": time_floor(n, d, h, bs, r),
        "floor4": time_floor(n, d, h, bs, r, four=True)}, r)
    ours, skl, tch, floor, floor4 = (t[k] for k in ("ours", "sklearn", "torch",
                                                     "floor", "floor4"))
    print(f"{'implementation':<44} {'s/epoch':>8} {'ours faster by':>15}")
    print(f"{'skdeepgen.BernoulliRBM':<44} {ours:>8.3f} {'':>15}")
    print(f"{'sklearn.neural_network.BernoulliRBM':<44} {skl:>8.3f} {skl / ours:>14.2f}x")
    if tch is None:
        print(f"{'PyTorch CD loop':<44} {'skipped (torch not installed)':>24}")
    else:
        print(f"{'PyTorch PCD-1 loop (same products)':<44} {tch:>8.3f} {tch / ours:>14.2f}x")
    print(f"floor, this epoch's products (3 x 100-row + 1 x 200-row gradient): {floor:.3f} s"
          f" -> skdeepgen at {ours / floor:.2f}x of it")
    print(f"floor, four 100-row products: {floor4:.3f} s -> skdeepgen at {ours / floor4:.2f}x")


if __name__ == "__main__":
    main()
