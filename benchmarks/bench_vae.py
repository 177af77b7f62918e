"""VAE epoch vs the same model in PyTorch on CPU.

MNIST 60,000 x 784 float32, VAE 784-400-20 (encoder 784-400-(2 x 20),
decoder 20-400-784, tanh hidden units, Bernoulli decoder, ELBO with the KL
in closed form), Adam at 1e-3, batch 100, one epoch of shuffled minibatches
on every side.  PyTorch runs a plain training loop (``torch.set_num_threads``
= ``--threads``, 2 by default, the issue's set-up).  Prints seconds per epoch
(best of ``--repeats`` interleaved rounds), the ratio, and each epoch as a
multiple of the "floor": the time of the epoch's matrix products alone, at
the same shapes (forward 4, backward 7: no input gradient of the encoder).

    flock /tmp/skdeepgen-bench.lock python benchmarks/bench_vae.py [--repeats 3]
"""
import os

import numpy as np

from _common import interleaved_best, load_mnist_train, mnist_parser

H, M = 400, 20


def time_skdeepgen(X, bs, threads):
    from skdeepgen import VAE

    def make():
        return VAE(M, hidden_layer_sizes=(H,), activation="tanh",
                   decoder="bernoulli", batch_size=bs, max_iter=1,
                   random_state=0)
    make().fit(X[:2 * bs])  # compile the kernels
    return lambda: make().fit(X)


def time_torch(X, bs, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    Xt = torch.from_numpy(X)
    d = X.shape[1]

    def run():
        torch.manual_seed(0)
        enc = torch.nn.Sequential(torch.nn.Linear(d, H), torch.nn.Tanh(),
                                  torch.nn.Linear(H, 2 * M))
        dec = torch.nn.Sequential(torch.nn.Linear(M, H), torch.nn.Tanh(),
                                  torch.nn.Linear(H, d))
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()),
                               lr=1e-3)
        bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
        perm = torch.randperm(len(Xt))
        for s in range(0, len(Xt), bs):
            x = Xt[perm[s:s + bs]]
            opt.zero_grad()
            mu, lv = enc(x).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
            kl = 0.5 * torch.sum(mu * mu + lv.exp() - lv - 1)
            loss = (bce(dec(z), x) + kl) / x.shape[0]
            loss.backward()
            opt.step()
    return run


def time_floor(n, d, bs):
    rng = np.random.default_rng(0)
    X = rng.random((bs, d), dtype=np.float32)
    W1 = rng.standard_normal((d, H), dtype=np.float32)
    W2 = rng.standard_normal((H, 2 * M), dtype=np.float32)
    V1 = rng.standard_normal((M, H), dtype=np.float32)
    V2 = rng.standard_normal((H, d), dtype=np.float32)
    A = rng.random((bs, H), dtype=np.float32)
    E = np.empty((bs, 2 * M), np.float32)
    Z = rng.random((bs, M), dtype=np.float32)
    O = np.empty((bs, d), np.float32)
    gW1, gW2 = np.empty_like(W1), np.empty_like(W2)
    gV1, gV2 = np.empty_like(V1), np.empty_like(V2)
    dA, dZ = np.empty((bs, H), np.float32), np.empty((bs, M), np.float32)
    nb = -(-n // bs)

    def products():
        for _ in range(nb):
            np.dot(X, W1, out=A)        # encoder forward
            np.dot(A, W2, out=E)
            np.dot(Z, V1, out=A)        # decoder forward
            np.dot(A, V2, out=O)
            np.dot(A.T, O, out=gV2)     # decoder backward
            np.dot(O, V2.T, out=dA)
            np.dot(Z.T, dA, out=gV1)
            np.dot(dA, V1.T, out=dZ)    # to the latent samples
            np.dot(A.T, E, out=gW2)     # encoder backward
            np.dot(E, W2.T, out=dA)
            np.dot(X.T, dA, out=gW1)
    return products


def main(argv=None):
    p = mnist_parser(__doc__)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    X, _ = load_mnist_train(args.data_home, args.n_samples)
    n, d = X.shape
    bs, r = args.batch_size, args.repeats
    print(f"MNIST {n} x {d} float32, VAE {d}-{H}-{M} tanh/Bernoulli, Adam 1e-3, "
          f"batch {bs}, one epoch, best of {r} interleaved rounds; "
          f"{os.cpu_count()} CPUs, torch threads {args.threads}")
    t = interleaved_best({"ours": time_skdeepgen(X, bs, args.threads),
                          "torch": time_torch(X, bs, args.threads),
                          "floor": time_floor(n, d, bs)}, r)
    ours, tch, floor = t["ours"], t["torch"], t["floor"]
    print(f"{'implementation':<36} {'s/epoch':>8} {'x floor':>8}")
    print(f"{'skdeepgen.VAE':<36} {ours:>8.3f} {ours / floor:>8.2f}")
    if tch is None:
        print("PyTorch not installed")
    else:
        print(f"{'PyTorch CPU loop':<36} {tch:>8.3f} {tch / floor:>8.2f}")
        print(f"skdeepgen is {tch / ours:.2f}x faster than PyTorch")
    print(f"floor (the epoch's 11 matrix products): {floor:.3f} s")


if __name__ == "__main__":
    main()
