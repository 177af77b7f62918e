"""Denoising autoencoder epoch vs scikit-learn's MLPRegressor and PyTorch.

MNIST 60,000 x 784 float32 -> 500 logistic code units, batch 100, one epoch
of shuffled minibatches, SGD with Nesterov momentum 0.9 on every side:

* skdeepgen ``DenoisingAutoencoder``: tied weights, 25% masking noise,
  logistic output, cross-entropy (Vincent et al. 2008);
* the same model in PyTorch on CPU (2 threads), written as a plain loop;
* scikit-learn's ``MLPRegressor`` fit X -> X (untied, linear output,
  squared error, no noise: what it can express), next to the same
  configuration of skdeepgen's ``Autoencoder`` (``tied_weights=False,
  loss="squared_error"``);
* the floor: the epoch's five matrix products per minibatch alone (forward
  encoder and decoder, the two weight gradients, the code layer's delta),
  through NumPy's BLAS (the OpenBLAS that skdeepgen uses) and through
  ``torch.mm`` (the MKL that PyTorch's wheel uses): PyTorch's epoch stands
  on the second, ours on the first, so their ratio bounds what any amount
  of work around the products can win.

Prints seconds per epoch (best of ``--repeats`` interleaved rounds) and
ratios.  Run timed benchmarks under the shared lock:

    flock /tmp/skdeepgen-bench.lock python benchmarks/bench_autoencoder.py [--repeats 3]
"""
import os
import warnings

import numpy as np

from _common import interleaved_best, load_mnist_train, mnist_parser

LR, MOMENTUM, LEVEL = 0.01, 0.9, 0.25


def time_skdeepgen(X, h, bs, **params):
    from skdeepgen import Autoencoder, DenoisingAutoencoder
    cls = DenoisingAutoencoder if not params else Autoencoder

    def make():
        kw = dict(batch_size=bs, max_iter=1, learning_rate=LR, momentum=MOMENTUM,
                  random_state=0, **params)
        if cls is DenoisingAutoencoder:
            kw["corruption_level"] = LEVEL
        return cls(h, **kw)
    make().fit(X[:2 * bs])  # compile the kernels
    return lambda: make().fit(X)


def time_sklearn(X, h, bs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPRegressor(hidden_layer_sizes=(h,), activation="logistic", solver="sgd", batch_size=bs,
                         learning_rate_init=LR, momentum=MOMENTUM,
                         nesterovs_momentum=True, alpha=0.0, max_iter=1,
                         random_state=0).fit(X, X)
    return run


def time_torch(X, h, bs, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    Xt = torch.from_numpy(X)
    d = X.shape[1]

    def epoch():
        torch.manual_seed(0)
        bound = 4 * np.sqrt(6 / (d + h))
        W = torch.empty(d, h).uniform_(-bound, bound).requires_grad_()
        b = torch.zeros(h, requires_grad=True)
        c = torch.zeros(d, requires_grad=True)
        opt = torch.optim.SGD([W, b, c], lr=LR, momentum=MOMENTUM, nesterov=True)
        perm = torch.randperm(len(Xt))
        for s in range(0, len(Xt), bs):
            x = Xt[perm[s:s + bs]]
            x_tilde = x * (torch.rand_like(x) >= LEVEL)
            code = torch.sigmoid(x_tilde @ W + b)
            logits = code @ W.T + c
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, x, reduction="sum") / x.shape[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
    epoch()
    return epoch


def _floor_arrays(d, h, bs):
    """Operands and outputs of the floor's products (float32, seeded)."""
    rng = np.random.default_rng(0)
    return (rng.random((bs, d), dtype=np.float32),           # X
            rng.standard_normal((d, h), dtype=np.float32),   # W
            rng.random((bs, h), dtype=np.float32),           # H
            np.empty((bs, d), np.float32),                   # R
            np.empty((h, d), np.float32),                    # G1
            np.empty((d, h), np.float32))                    # G0


def _floor(dot, arrays, n, bs):
    """The epoch's five products per minibatch through ``dot(A, B, out=C)``."""
    X, W, H, R, G1, G0 = arrays
    nb = -(-n // bs)

    def products():
        for _ in range(nb):
            dot(X, W, out=H)      # encoder
            dot(H, W.T, out=R)    # decoder
            dot(H.T, R, out=G1)   # decoder weight gradient
            dot(R, W, out=H)      # code layer delta
            dot(X.T, H, out=G0)   # encoder weight gradient
    return products


def time_floor(n, d, h, bs):
    return _floor(np.dot, _floor_arrays(d, h, bs), n, bs)


def time_torch_floor(n, d, h, bs, threads):
    """The same products through ``torch.mm`` (PyTorch's BLAS)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return _floor(torch.mm, [torch.from_numpy(a) for a in _floor_arrays(d, h, bs)],
                  n, bs)


def main(argv=None):
    p = mnist_parser(__doc__)
    p.add_argument("--n-components", type=int, default=500)
    p.add_argument("--torch-threads", type=int, default=2)
    args = p.parse_args(argv)
    X, _ = load_mnist_train(args.data_home, args.n_samples)
    n, d = X.shape
    h, bs, r = args.n_components, args.batch_size, args.repeats
    print(f"MNIST {n} x {d} float32 -> {h} logistic, batch {bs}, 1 epoch, SGD "
          f"Nesterov {MOMENTUM}; best of {r} interleaved rounds; "
          f"{os.cpu_count()} CPUs, PyTorch on {args.torch_threads} threads")
    t = interleaved_best({
        "dae": time_skdeepgen(X, h, bs),
        "ae_mlp": time_skdeepgen(X, h, bs, tied_weights=False, loss="squared_error"),
        "sklearn": time_sklearn(X, h, bs),
        "torch": time_torch(X, h, bs, args.torch_threads),
        "floor": time_floor(n, d, h, bs),
        "torch_floor": time_torch_floor(n, d, h, bs, args.torch_threads)}, r)
    dae, ae, skl, tch, floor, tfloor = (t[k] for k in ("dae", "ae_mlp", "sklearn", "torch",
                                                        "floor", "torch_floor"))
    print(f"{'implementation':<58} {'s/epoch':>8} {'ours faster by':>15}")
    print(f"{'skdeepgen DenoisingAutoencoder (tied, masking, CE)':<58} {dae:>8.3f}")
    if tch is None:
        print(f"{'PyTorch':<58} {'skipped (torch not installed)':>24}")
    else:
        print(f"{'PyTorch, same model (plain loop)':<58} {tch:>8.3f} {tch / dae:>14.2f}x")
    print(f"{'sklearn MLPRegressor X->X (untied, linear out, squared)':<58} {skl:>8.3f}"
          f" {skl / dae:>14.2f}x")
    print(f"{'skdeepgen Autoencoder, MLPRegressor configuration':<58} {ae:>8.3f}"
          f" {skl / ae:>14.2f}x (vs MLPRegressor)")
    print(f"floor, the epoch's 5 x {n // bs} products alone: {floor:.3f} s -> the "
          f"denoising epoch at {dae / floor:.2f}x of it ({floor / dae:.0%} of its time "
          "in the products)")
    if tfloor is not None:
        print(f"the same products through torch.mm (PyTorch's BLAS): {tfloor:.3f} s, "
              f"{floor / tfloor:.2f}x faster than NumPy's; PyTorch's epoch is at "
              f"{tch / tfloor:.2f}x its floor, ours at {dae / floor:.2f}x ours; 1.3x "
              f"faster than PyTorch needs our epoch <= {tch / 1.3:.3f} s = "
              f"{tch / 1.3 / floor:.2f}x our floor")


if __name__ == "__main__":
    main()
