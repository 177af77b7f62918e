"""
Choosing an RBM's hyperparameters without labels
================================================

``GridSearchCV`` without ``scoring`` ranks the candidates by the estimator's
own ``score``.  For an RBM that is the mean log-likelihood of the held-out
fold, ``-F(x) - log Z``, with ``log Z`` estimated by annealed importance
sampling (AIS): no labels are needed.  Here the search chooses
``n_components`` and ``learning_rate`` of a ``BernoulliRBM`` on binarised
MNIST with lowered AIS settings (``ais_params``), and prints what each fold
cost.  Then every candidate is refitted on the whole training subset and
scored on the test images with the default (larger) AIS settings, to check
that the search chose the held-out best.

    python examples/rbm_model_selection.py --data-home ../shared/data/mnist

Full mode (about 10 minutes on one core): the first 30,000 MNIST training
images and the 10,000 test images, binarised once by sampling (seed 0, as
in ``benchmarks/bench_ais.py``); 3 sizes x 2 learning rates, 3 folds, AIS
with 20 runs x 3,000 temperatures in the search and the library's 100 x
10,000 in the check (the measured figures are in :doc:`/results`).  Quick
mode (``SKDEEPGEN_QUICK=1``, the gallery build): scikit-learn's 8x8 digits
binarised at 0.5, tiny models and fewer AIS temperatures.  Saves
``examples/output/rbm_model_selection.png``.
"""
import argparse
import time

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from _helpers import SHARED, quick_defaults, save, title
from skdeepgen import BernoulliRBM


def load(args):
    """Binary training and test images (``--data``: mnist or digits)."""
    if args.data == "digits":
        from sklearn.datasets import load_digits
        X = (load_digits().data / 16.0 > 0.5).astype(np.float32)
        X = X[np.random.RandomState(0).permutation(len(X))]
        return X[:args.n_train], X[args.n_train:][:args.n_test]
    from skdeepgen.datasets import load_mnist, sample_binary
    X_train, X_test, _, _ = load_mnist(args.data_home, return_X_y=True)
    # one fixed stochastic binarisation: the images are binary data
    rng = np.random.RandomState(0)
    X_train, X_test = sample_binary(X_train, rng), sample_binary(X_test, rng)
    return X_train[:args.n_train], X_test[:args.n_test]


def ais_settings(n_runs, n_betas):
    """``ais_params`` from the command line: None keeps the library defaults."""
    if n_runs is None and n_betas is None:
        return None
    return {k: v for k, v in (("n_runs", n_runs), ("n_betas", n_betas)) if v is not None}


def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data", choices=["mnist", "digits"], default="mnist")
    p.add_argument("--data-home", default=str(SHARED / "mnist"))
    p.add_argument("--n-train", type=int, default=30000)
    p.add_argument("--n-test", type=int, default=10000)
    p.add_argument("--n-components", type=int, nargs="+", default=[25, 100, 400])
    p.add_argument("--learning-rate", type=float, nargs="+", default=[0.01, 0.1])
    p.add_argument("--n-iter", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--cv", type=int, default=3)
    p.add_argument("--search-runs", type=int, default=20,
                   help="ais_params of the search: AIS runs")
    p.add_argument("--search-betas", type=int, default=3000,
                   help="ais_params of the search: AIS temperatures")
    p.add_argument("--eval-runs", type=int, default=None,
                   help="AIS runs of the held-out check (default: the library's, 100)")
    p.add_argument("--eval-betas", type=int, default=None,
                   help="AIS temperatures of the held-out check (default: "
                        "the library's, 10,000)")
    quick_defaults(p, data="digits", n_train=1200, n_test=597,
                   n_components=[20, 60], learning_rate=[0.01, 0.1], n_iter=30,
                   batch_size=20, search_runs=10, search_betas=500, eval_runs=50,
                   eval_betas=2000)
    args = p.parse_args(argv)
    X_train, X_test = load(args)
    print(f"{args.data}: {X_train.shape[0]} training / {X_test.shape[0]} test "
          f"images of {X_train.shape[1]} binary pixels")

    # %%
    # The search
    # ----------
    # Persistent CD (``method="pcd"``, the better generative model) with a
    # learning rate decaying linearly to 0.  ``ais_params`` lowers the AIS
    # behind ``score``: every candidate and fold gets its own estimate of
    # ``log Z``.  ``GridSearchCV`` clones the estimator, and the clones keep
    # ``ais_params``.
    search_ais = ais_settings(args.search_runs, args.search_betas)
    eval_ais = ais_settings(args.eval_runs, args.eval_betas)
    rbm = BernoulliRBM(method="pcd", n_iter=args.n_iter, batch_size=args.batch_size,
                       learning_rate_schedule="linear", random_state=0,
                       ais_params=search_ais)
    grid = {"n_components": args.n_components, "learning_rate": args.learning_rate}
    BernoulliRBM(8, n_iter=1).fit(X_train[:200]).score(X_train[:10])  # compile first
    search = GridSearchCV(rbm, grid, cv=args.cv)  # no scoring=: rbm.score
    t = time.perf_counter()
    search.fit(X_train)
    search_s = time.perf_counter() - t
    res = search.cv_results_
    print(f"\nGridSearchCV, {len(res['params'])} candidates x {args.cv} folds, "
          f"ais_params={search_ais}: {search_s:.0f} s")
    print(f"{'n_components':>12} {'learning_rate':>13} {'fit s/fold':>10} "
          f"{'score s/fold':>12} {'CV log-lik':>11} {'std':>5} {'rank':>4}")
    for i, prm in enumerate(res["params"]):
        print(f"{prm['n_components']:>12} {prm['learning_rate']:>13g} "
              f"{res['mean_fit_time'][i]:>10.2f} {res['mean_score_time'][i]:>12.2f} "
              f"{res['mean_test_score'][i]:>11.2f} {res['std_test_score'][i]:>5.2f} "
              f"{res['rank_test_score'][i]:>4}")
    print(f"chosen: {search.best_params_}")

    # %%
    # The check on held-out data
    # --------------------------
    # Every candidate is refitted on the whole training subset (the chosen
    # one is ``search.best_estimator_``, the same fit) and scored on the
    # test images with the larger AIS settings: ``set_params(ais_params=...)``
    # makes ``score`` estimate ``log Z`` again.
    held_out, log_z = [], {}
    for i, prm in enumerate(res["params"]):
        if i == search.best_index_:
            model = search.best_estimator_
            log_z["search"] = model.estimate_log_partition()  # the search's settings
        else:
            model = clone(rbm).set_params(**prm).fit(X_train)
        held_out.append(model.set_params(ais_params=eval_ais).score(X_test))
        if i == search.best_index_:
            log_z["held-out"] = model.estimate_log_partition()  # the cached one
    held_out = np.array(held_out)
    best = int(np.argmax(held_out))
    print(f"\nHeld-out log-likelihood of the {len(X_test)} test images, "
          f"ais_params={eval_ais} (None: 100 runs x 10,000 temperatures)")
    print(f"{'n_components':>12} {'learning_rate':>13} {'CV log-lik':>11} "
          f"{'held-out':>9}")
    for i, prm in enumerate(res["params"]):
        mark = ("  <- chosen" if i == search.best_index_ else "") + \
            ("  <- held-out best" if i == best else "")
        print(f"{prm['n_components']:>12} {prm['learning_rate']:>13g} "
              f"{res['mean_test_score'][i]:>11.2f} {held_out[i]:>9.2f}{mark}")
    runner_up = np.sort(held_out)[-2] if held_out.size > 1 else np.nan
    print(f"the search's choice is the held-out best: {best == search.best_index_} "
          f"(held-out margin over the runner-up {held_out[best] - runner_up:.2f} nats)")

    # %%
    # What the AIS settings cost
    # --------------------------
    # The chosen model's ``log Z`` with the search's settings, the held-out
    # check's, and a third of the search's temperatures.  Fewer temperatures
    # give an estimate that errs low (so the log-likelihood errs high), and
    # more so for sharper models (larger weights): the error is not in the
    # reported spread.  For the search, it must stay small next to the
    # differences between candidates.
    chosen = search.best_estimator_
    fewer = max(args.search_betas // 3, 3)
    log_z["1/3 of the search's temperatures"] = chosen.estimate_log_partition(
        n_runs=args.search_runs, n_betas=fewer)
    print("\nlog Z of the chosen model")
    for name, est in log_z.items():
        print(f"  {name:<34} {est.n_runs:>4} runs x {est.n_betas:>6} temperatures: "
              f"{est.log_z:9.3f} +- {est.log_z_std:.3f}  in {est.seconds:6.2f} s")

    # %%
    # Cross-validated against held-out log-likelihood
    # ------------------------------------------------
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    cv = res["mean_test_score"]
    for i, prm in enumerate(res["params"]):
        ax.errorbar(cv[i], held_out[i], xerr=res["std_test_score"][i], fmt="o",
                    color="tab:red" if i == search.best_index_ else "tab:blue")
        ax.annotate(f"{prm['n_components']}, {prm['learning_rate']:g}",
                    (cv[i], held_out[i]), textcoords="offset points",
                    xytext=(5, -10), fontsize=8)
    lo, hi = min(cv.min(), held_out.min()), max(cv.max(), held_out.max())
    ax.plot([lo, hi], [lo, hi], color="0.7", lw=1, zorder=0)
    ax.set_xlabel(f"{args.cv}-fold CV log-likelihood (search's AIS)")
    ax.set_ylabel("held-out log-likelihood (larger AIS)")
    ax.set_title("each point: n_components, learning_rate (red: chosen)")
    fig.tight_layout()
    save(fig, "rbm_model_selection.png")


if __name__ == "__main__":
    main()
