"""Dense-network engine epoch vs scikit-learn's MLPClassifier and PyTorch.

MNIST 60,000 x 784 float32, network 784-500-500-10 with logistic hidden
units and a softmax output, cross-entropy, minibatch SGD with Nesterov
momentum 0.9, batch 200 (MLPClassifier's default batch), one epoch of
shuffled minibatches on every side.  Prints seconds per epoch (best of
``--repeats``) and ratios.  Run timed benchmarks under the shared lock:

    flock /tmp/skdeepgen-bench.lock python benchmarks/bench_nn.py [--repeats 3]
"""
import argparse
import os
import warnings

import numpy as np

from _common import DEFAULT_MNIST, best_of, load_mnist_train

SIZES = (500, 500)


def time_skdeepgen(X, y, bs, lr, repeats):
    from skdeepgen import DBNClassifier

    def run(n=None):
        Xs, ys = (X, y) if n is None else (X[:n], y[:n])
        # no pretraining: the network engine in the shared epoch loop
        return DBNClassifier(SIZES, pretrain=False, solver="sgd", learning_rate=lr,
                             learning_rate_schedule="constant", momentum=0.9,
                             weight_decay=0.0, batch_size=bs, max_iter=1,
                             random_state=0).fit(Xs, ys)
    run(2 * bs)  # compile the kernels
    return best_of(run, repeats)


def time_sklearn(X, y, bs, lr, repeats):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPClassifier(SIZES, activation="logistic", solver="sgd", batch_size=bs,
                          learning_rate_init=lr, momentum=0.9,
                          nesterovs_momentum=True, alpha=0.0, max_iter=1,
                          random_state=0).fit(X, y)
    return best_of(run, repeats)


def time_torch(X, y, bs, lr, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def run():
        torch.manual_seed(0)
        layers, n_in = [], 784
        for h in SIZES:
            layers += [torch.nn.Linear(n_in, h), torch.nn.Sigmoid()]
            n_in = h
        model = torch.nn.Sequential(*layers, torch.nn.Linear(n_in, 10))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
        loss_fn = torch.nn.CrossEntropyLoss()
        perm = torch.randperm(len(Xt))
        for s in range(0, len(Xt), bs):
            idx = perm[s:s + bs]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return best_of(run, repeats)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-home", default=str(DEFAULT_MNIST))
    p.add_argument("--n-samples", type=int, default=60000)
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--learning-rate", type=float, default=0.1)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    X, y = load_mnist_train(args.data_home, args.n_samples)
    bs, lr, r = args.batch_size, args.learning_rate, args.repeats
    print(f"MNIST {X.shape[0]} x {X.shape[1]} float32, 784-{'-'.join(map(str, SIZES))}"
          f"-10 logistic/softmax, SGD Nesterov 0.9, batch {bs}, one epoch, "
          f"best of {r}; {os.cpu_count()} CPUs")
    ours = time_skdeepgen(X, y, bs, lr, r)
    print(f"skdeepgen DBNClassifier(pretrain=False):   {ours:8.2f} s/epoch")
    sk = time_sklearn(X, y, bs, lr, r)
    print(f"sklearn MLPClassifier:                     {sk:8.2f} s/epoch  "
          f"(skdeepgen is {sk / ours:.2f}x faster)")
    th = time_torch(X, y, bs, lr, r)
    if th is None:
        print("PyTorch not installed")
    else:
        print(f"PyTorch CPU loop:                          {th:8.2f} s/epoch  "
              f"(skdeepgen takes {ours / th:.2f}x PyTorch's time)")


if __name__ == "__main__":
    main()
