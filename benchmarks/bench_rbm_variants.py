"""Epoch time of every RBM variant beside BernoulliRBM at equal sizes; RSM memory.

All models: 784 visible columns, 500 hidden units, batch 100, one epoch of
CD-1 over 10,000 rows (best of ``--repeats`` interleaved rounds):

* BernoulliRBM on binarised MNIST (the reference, ratio 1.00);
* GaussianBernoulliRBM on standardised MNIST (unit and learned variances,
  Bernoulli and NReLU hiddens);
* CategoricalRBM: 196 variables x 4 categories = 784 one-hot columns, 20%
  missing;
* ReplicatedSoftmaxRBM: 784-word vocabulary, sparse CSR counts (the MNIST
  pixel intensities / 8 rounded, ~100 words per document).

Then the replicated softmax's peak traced memory for one epoch + transform on
sparse corpora of growing size (50,000-word vocabulary) beside the size of the
dense matrix it never builds.

    python benchmarks/bench_rbm_variants.py [--rows 10000] [--repeats 2]
"""
import argparse
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from _common import interleaved_best

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data" / "mnist"


def fit_fn(make, X):
    """A callable fitting a fresh estimator on ``X`` (compiled beforehand)."""
    make().fit(X[:200])
    return lambda: make().fit(X)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-home", default=str(DEFAULT_DATA))
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    from sklearn.preprocessing import StandardScaler

    from skdeepgen import (BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM,
                           ReplicatedSoftmaxRBM)
    from skdeepgen.datasets import load_mnist

    X, _ = load_mnist(args.data_home, subset="train", return_X_y=True)
    X = X[:args.rows]
    rng = np.random.RandomState(0)
    Xb = (X > 0.5).astype(np.float32)
    Xg = StandardScaler().fit_transform(X).astype(np.float32)
    Xc = np.floor(X[:, :196] * 3.999).astype(np.float32)  # 4 categories
    Xc[rng.uniform(size=Xc.shape) < 0.2] = np.nan
    Xr = sp.csr_matrix(np.round(X * 255 / 8 / 4).astype(np.float32))
    common = dict(n_iter=1, batch_size=100, n_gibbs_steps=1, random_state=0)
    rows = [
        ("BernoulliRBM (CD-1)", Xb, lambda: BernoulliRBM(500, method="cd", **common)),
        ("BernoulliRBM (PCD-1)", Xb, lambda: BernoulliRBM(500, method="pcd", **common)),
        ("GaussianBernoulliRBM", Xg, lambda: GaussianBernoulliRBM(500, **common)),
        ("GaussianBernoulliRBM learn_variance", Xg,
         lambda: GaussianBernoulliRBM(500, learn_variance=True, **common)),
        ("GaussianBernoulliRBM hidden=nrelu", Xg,
         lambda: GaussianBernoulliRBM(500, hidden="nrelu", **common)),
        ("CategoricalRBM 196x4, 20% missing", Xc, lambda: CategoricalRBM(500, **common)),
        ("ReplicatedSoftmaxRBM (CSR counts)", Xr,
         lambda: ReplicatedSoftmaxRBM(500, **common)),
    ]
    print(f"one epoch, {args.rows} rows, 784 visible columns -> 500 hidden, batch 100, "
          f"best of {args.repeats}")
    # repeats interleaved, so that a slow phase of a shared machine is spread
    # over every model instead of hitting whichever runs during it
    best = interleaved_best({name: fit_fn(make, data) for name, data, make in rows},
                            args.repeats)
    ref = best[rows[0][0]]
    for name, t in best.items():
        print(f"  {name:40s} {t:7.2f} s   {t / ref:5.2f}x BernoulliRBM (CD-1)")

    print("\nReplicatedSoftmaxRBM memory (1 epoch + transform), vocabulary 50,000, "
          "20 distinct words per document, batch 100")
    for n in (2000, 8000, 32000):
        r = np.repeat(np.arange(n), 20)
        cols = rng.randint(0, 50000, r.size)
        C = sp.csr_matrix((np.ones(r.size), (r, cols)), shape=(n, 50000))
        ReplicatedSoftmaxRBM(50, n_iter=1, n_gibbs_steps=1, random_state=0).fit(C[:200])
        tracemalloc.start()
        m = ReplicatedSoftmaxRBM(50, n_iter=1, n_gibbs_steps=1, random_state=0).fit(C)
        m.transform(C)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        nnz_mb = (C.data.nbytes + C.indices.nbytes + C.indptr.nbytes) / 1e6
        print(f"  {n:6d} docs: CSR {nnz_mb:7.1f} MB, peak traced {peak / 1e6:7.1f} MB, "
              f"dense would be {n * 50000 * 8 / 1e9:6.2f} GB")


if __name__ == "__main__":
    main()
