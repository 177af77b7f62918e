"""MNIST test log-likelihood of a VAE / IWAE (Burda et al. 2016 set-up).

784-200-200-50 tanh networks, Bernoulli decoder, Adam, dynamically
binarised training images (all 60,000), test images binarised once with a
fixed seed (``RandomState(0)``).  Training runs one epoch per
``partial_fit`` call and pickles the estimator after each epoch, so a run
can be stopped and resumed (``--resume``); every ``--eval-every`` epochs it
logs the test ELBO (k=1, all 10,000) and the k=100 bound on the first
1,000 test images, and keeps a copy of the checkpoint.  ``--evaluate``
scores a checkpoint with a large k in chunks, printing the running mean.

    python benchmarks/vae_mnist_loglik.py train --k-train 1 --out /tmp/vae1
    python benchmarks/vae_mnist_loglik.py evaluate /tmp/vae1/model.pkl --k 5000
    python benchmarks/vae_mnist_loglik.py evaluate MODEL --k 5000 --start 1000 --n-test 1000
"""
import argparse
import os
import pickle
import shutil
import time

import numpy as np

from _common import DEFAULT_MNIST


def load(data_home):
    from skdeepgen.datasets import load_mnist, sample_binary
    X, _ = load_mnist(data_home, subset="train", return_X_y=True)
    T, _ = load_mnist(data_home, subset="test", return_X_y=True)
    X = np.ascontiguousarray(X, dtype=np.float32)
    T = np.asarray(T, dtype=np.float32)
    T = sample_binary(T, random_state=0)
    return X, T


def bound(vae, T, k, chunk=100, log=None):
    """Mean k-sample bound over ``T`` in chunks (running mean to ``log``)."""
    vae.set_params(n_score_samples=k)
    vals, t0 = [], time.perf_counter()
    for s in range(0, T.shape[0], chunk):
        vals.append(vae.score_samples(T[s:s + chunk]))
        if log is not None:
            done = s + chunk
            log(f"  k={k}: {min(done, T.shape[0])}/{T.shape[0]} rows, running "
                f"mean {np.mean(np.concatenate(vals)):.3f}, "
                f"{time.perf_counter() - t0:.0f} s")
    return float(np.mean(np.concatenate(vals)))


def train(args):
    from skdeepgen import VAE
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "model.pkl")
    logf = open(os.path.join(args.out, "log.txt"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    X, T = load(args.data_home)
    if args.resume and os.path.exists(ckpt):
        with open(ckpt, "rb") as f:
            vae, wall = pickle.load(f)
        log(f"resumed at epoch {vae.n_iter_} ({wall:.0f} s of training so far)")
    else:
        vae = VAE(50, hidden_layer_sizes=(200, 200), activation="tanh",
                  decoder="bernoulli", n_importance_samples=args.k_train,
                  dynamic_binarization=True, learning_rate=args.learning_rate,
                  learning_rate_schedule=args.schedule,
                  batch_size=args.batch_size, max_iter=args.epochs,
                  random_state=args.seed)
        wall = 0.0
        log(f"{vae!r}")
    start = time.perf_counter()
    while getattr(vae, "n_iter_", 0) < args.epochs:
        if wall + time.perf_counter() - start > 60 * args.minutes:
            log("time budget reached")
            break
        t = time.perf_counter()
        vae.partial_fit(X)
        dt = time.perf_counter() - t
        e = vae.n_iter_
        msg = (f"epoch {e}: loss {vae.history_['loss'][-1]:.3f}, {dt:.1f} s, "
               f"total {wall + time.perf_counter() - start:.0f} s")
        if e % args.eval_every == 0:
            elbo = float(np.mean(vae.set_params(n_score_samples=1).score_samples(T)))
            b100 = bound(vae, T[:1000], 100)
            msg += f"; test ELBO {elbo:.3f}, k=100 bound (1000 rows) {b100:.3f}"
        log(msg)
        with open(ckpt + ".tmp", "wb") as f:
            pickle.dump((vae, wall + time.perf_counter() - start), f)
        os.replace(ckpt + ".tmp", ckpt)
        if e % args.eval_every == 0:
            shutil.copy(ckpt, os.path.join(args.out, f"model.epoch{e}.pkl"))


def evaluate(args):
    _, T = load(args.data_home)
    with open(args.checkpoint, "rb") as f:
        vae, wall = pickle.load(f)
    T = T[args.start:args.start + args.n_test]
    print(f"{args.checkpoint}: epoch {vae.n_iter_}, {wall:.0f} s of training; "
          f"k={args.k} on {T.shape[0]} binarised test images from "
          f"{args.start}", flush=True)
    t = time.perf_counter()
    b = bound(vae, T, args.k, chunk=args.chunk,
              log=lambda m: print(m, flush=True))
    print(f"RESULT epoch {vae.n_iter_} k={args.k} n_test={T.shape[0]}: "
          f"{b:.3f} nats ({time.perf_counter() - t:.0f} s)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-home", default=str(DEFAULT_MNIST))
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--out", required=True)
    t.add_argument("--k-train", type=int, default=1)
    t.add_argument("--batch-size", type=int, default=100)
    t.add_argument("--learning-rate", type=float, default=1e-3)
    t.add_argument("--epochs", type=int, default=3280)
    t.add_argument("--schedule", default="constant",
                   help="learning_rate_schedule (\"linear\": down to 0 at --epochs)")
    t.add_argument("--minutes", type=float, default=60.0)
    t.add_argument("--eval-every", type=int, default=5)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resume", action="store_true")
    e = sub.add_parser("evaluate")
    e.add_argument("checkpoint")
    e.add_argument("--k", type=int, default=5000)
    e.add_argument("--n-test", type=int, default=10000)
    e.add_argument("--start", type=int, default=0,
                   help="first test image (split a long evaluation over processes)")
    e.add_argument("--chunk", type=int, default=100)
    args = p.parse_args()
    (train if args.cmd == "train" else evaluate)(args)


if __name__ == "__main__":
    main()
