"""What an RBM's ``score`` costs inside ``GridSearchCV``.

``BernoulliRBM.score`` is the mean log-likelihood, so it needs ``log Z``:
annealed importance sampling (100 runs x 10,000 temperatures) whenever
neither layer can be enumerated.  A ``GridSearchCV`` without ``scoring=``
calls it once per fold and candidate.  On scikit-learn's digits (1,797 x 64,
values in [0, 1]) this prints the time of one fit and one ``score``, then a
5-fold search over ``n_components`` in {32, 64} three ways: without
``scoring=`` (AIS), with a reconstruction-error scorer, and as a Pipeline
scored by a classifier's accuracy.

    python benchmarks/bench_gridsearch_score.py
"""
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skdeepgen import BernoulliRBM


def neg_reconstruction_error(est, X, y=None):
    """Minus the mean squared error of one up-down pass (cheap)."""
    return -float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


def search(est, grid, X, y=None, **kw):
    gs = GridSearchCV(est, grid, cv=5, **kw)
    t = time.perf_counter()
    gs.fit(X, y)
    total = time.perf_counter() - t
    r = gs.cv_results_
    return total, float(np.mean(r["mean_fit_time"])), float(np.mean(r["mean_score_time"]))


def main():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rbm = BernoulliRBM(n_components=64, n_iter=10, random_state=0)
    rbm.fit(X[:100])
    rbm.score(X[:10])  # compile the kernels before timing
    t = time.perf_counter()
    rbm.fit(X)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    ll = rbm.score(X)
    score_s = time.perf_counter() - t
    print(f"BernoulliRBM(64, n_iter=10) on digits {X.shape}: fit {fit_s:.2f} s, "
          f"score (AIS) {score_s:.2f} s, mean log-likelihood {ll:.2f}")
    grid = {"n_components": [32, 64]}
    rows = [
        ("no scoring= (score runs AIS)",
         search(BernoulliRBM(n_iter=10, random_state=0), grid, X)),
        ("scoring=neg_reconstruction_error",
         search(BernoulliRBM(n_iter=10, random_state=0), grid, X,
                scoring=neg_reconstruction_error)),
        ("Pipeline(RBM, LogisticRegression), accuracy",
         search(make_pipeline(BernoulliRBM(n_iter=10, random_state=0),
                              LogisticRegression(max_iter=1000)),
                {"bernoullirbm__n_components": [32, 64]}, X, y)),
    ]
    print("GridSearchCV, 2 candidates x 5 folds:")
    print(f"{'':46}{'total s':>9}{'fit s/fold':>12}{'score s/fold':>14}")
    for name, (total, fit, score) in rows:
        print(f"{name:46}{total:>9.1f}{fit:>12.2f}{score:>14.2f}")


if __name__ == "__main__":
    main()
