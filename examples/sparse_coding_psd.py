"""
Predictive sparse decomposition: an encoder that predicts sparse codes
======================================================================

PSD (Kavukcuoglu, Ranzato & LeCun 2008) trains an encoder
``g * tanh(W x + b)`` jointly with the dictionary so that, after training,
features cost one matrix product instead of one Lasso per sample.  On
scikit-learn's digits (or MNIST with --mnist) this script compares, with the
same logistic-regression classifier:

* raw pixels;
* exact sparse codes (``SparseCoder``, Lasso inference);
* PSD's encoder output (``PredictiveSparseDecomposition``, ``inference="encoder"``);
* PSD's dictionary with Lasso inference,

and reports test accuracy, the time to transform the test set, and how close
the encoder's prediction is to the optimal codes.

    python examples/sparse_coding_psd.py [--mnist]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): 128 atoms, 10 epochs.
The figure shows the two dictionaries, the codes of a few test digits
(exact Lasso codes against the encoder's prediction) and PSD's learning
curves from ``history_``.
"""
import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from _helpers import SHARED, quick_defaults, save, title
from skdeepgen import PredictiveSparseDecomposition, SparseCoder
from skdeepgen.experiments import DATASETS
from skdeepgen.plotting import plot_history, plot_tiles


# %%
# Fit both models, compare features and transform times
# -------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--mnist", action="store_true")
    p.add_argument("--data-home", default=str(SHARED / "mnist"))
    p.add_argument("--n-components", type=int, default=256)
    p.add_argument("--alpha", type=float, default=0.3)
    p.add_argument("--max-iter", type=int, default=30)
    quick_defaults(p, n_components=128, max_iter=10)
    args = p.parse_args(argv)
    name = "mnist" if args.mnist else "digits"
    X_train, X_test, y_train, y_test = DATASETS[name].load(args.data_home)
    common = dict(n_components=args.n_components, alpha=args.alpha,
                  max_iter=args.max_iter, batch_size=64, random_state=0)
    models = {
        "SparseCoder (Lasso codes)": SparseCoder(**common),
        "PSD encoder": PredictiveSparseDecomposition(beta=1.0, learning_rate=0.01,
                                                     **common),
    }
    rows = [("raw pixels", X_train, X_test, 0.0, None)]
    for label, model in models.items():
        t = time.perf_counter()
        model.fit(X_train)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        Z_test = model.transform(X_test)
        tr_s = time.perf_counter() - t
        rows.append((label, model.transform(X_train), Z_test, tr_s, fit_s))
        if isinstance(model, PredictiveSparseDecomposition):
            model.set_params(inference="lasso")
            t = time.perf_counter()
            Z_lasso = model.transform(X_test)
            tr_l = time.perf_counter() - t
            rows.append(("PSD dictionary, Lasso codes", model.transform(X_train),
                         Z_lasso, tr_l, fit_s))
            err = np.sum((Z_test - Z_lasso) ** 2) / np.sum(Z_lasso ** 2)
            print(f"PSD: relative squared error of the encoder's codes vs the "
                  f"optimal codes on the test set: {err:.3f}; prediction error "
                  f"per epoch {np.round(model.history_['prediction_error'][::5], 3)}")
    print(f"\n{name}: {len(X_train)} train / {len(X_test)} test")
    print(f"{'features':<32} {'accuracy':>9} {'fit s':>7} {'transform test s':>17}")
    for label, Ztr, Zte, tr_s, fit_s in rows:
        clf = LogisticRegression(C=10.0, max_iter=500).fit(Ztr, y_train)
        acc = clf.score(Zte, y_test)
        fit = "" if fit_s is None else f"{fit_s:.1f}"
        print(f"{label:<32} {acc:>9.4f} {fit:>7} {tr_s:>17.4f}")
    draw(models, rows, DATASETS[name].image_shape)


def draw(models, rows, shape):
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        print("matplotlib not installed: no figure")
        return
    sc, psd = models.values()
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    plot_tiles(sc.components_[:64], shape, ax=axes[0], title="SparseCoder atoms")
    plot_tiles(psd.components_[:64], shape, ax=axes[1], title="PSD atoms")
    save(fig, "sparse_coding_psd_atoms.png")
    Z_enc, Z_lasso = rows[2][2], rows[3][2]
    fig, axes = plt.subplots(3, 1, figsize=(10, 5), sharex=True)
    for i, ax in enumerate(axes):
        ax.plot(Z_lasso[i], label="Lasso codes (PSD dictionary)")
        ax.plot(Z_enc[i], label="encoder prediction", alpha=0.8)
        ax.set_ylabel(f"test digit {i}")
    axes[0].legend(loc="upper right")
    axes[-1].set_xlabel("atom")
    fig.suptitle("PSD: the encoder's codes against the optimal sparse codes")
    save(fig, "sparse_coding_psd_codes.png")
    ax = plot_history(psd, [k for k in ("objective", "prediction_error")
                            if k in psd.history_], title="PSD learning curves")
    ax.set_yscale("log")
    save(ax.figure, "sparse_coding_psd_history.png")


# %%
# Run it
# ------

if __name__ == "__main__":
    main()
