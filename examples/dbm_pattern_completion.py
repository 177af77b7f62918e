"""
Pattern completion with a deep Boltzmann machine
================================================

Half of each MNIST test digit (the bottom 14 rows) is hidden, and the model
fills it in: :meth:`skdeepgen.DBM.complete` runs mean field over the missing
pixels and every hidden layer jointly, with the visible half clamped.  The
same is done with a :class:`~skdeepgen.BernoulliRBM` of 500 hidden units
(mean field over the missing pixels and its one hidden layer), and with the
mean training image as a baseline; the mean absolute error on the hidden
pixels is printed for each.

The DBM is the one of ``dbm_mnist.py`` when its checkpoint exists
(``--dbm``), else one is trained here with library defaults (in quick mode:
a small one on a subset).  Saves ``examples/output/dbm_completion.png``.

    python examples/dbm_pattern_completion.py [--dbm examples/output/dbm_mnist_ckpt/dbm.pkl]
    SKDEEPGEN_QUICK=1 python examples/dbm_pattern_completion.py
"""
# %%
# Data, and the models
# --------------------
import argparse
import pickle
from pathlib import Path

import numpy as np

from skdeepgen import DBM, BernoulliRBM

try:
    from _helpers import OUT, QUICK, SHARED, load_mnist_quick, quick_defaults, save
except ImportError:  # sphinx-gallery runs examples from their folder too
    from examples._helpers import (OUT, QUICK, SHARED, load_mnist_quick,
                                   quick_defaults, save)

p = argparse.ArgumentParser(description="DBM pattern completion on MNIST")
p.add_argument("--data-home", default=str(SHARED / "mnist"))
p.add_argument("--dbm", default=str(OUT / "dbm_mnist_ckpt" / "dbm.pkl"),
               help="a fitted DBM (pickle); trained here when absent")
p.add_argument("--n-train", type=int, default=None)
p.add_argument("--n-test", type=int, default=1000)
p.add_argument("--sizes", default=None, help="DBM trained here: hidden layer sizes")
p.add_argument("--epochs", type=int, default=None, help="DBM trained here: epochs")
quick_defaults(p, n_train=3000, n_test=200, sizes="200,300", epochs=10,
               dbm=str(OUT / "dbm_completion_quick.pkl"))
args, _ = p.parse_known_args()

X_train, X_test, _, _, shape = load_mnist_quick(args.data_home, args.n_train,
                                                args.n_test)
X_train = np.ascontiguousarray(X_train, dtype=np.float32)
X_test = np.ascontiguousarray(X_test, dtype=np.float32)

path = Path(args.dbm)
dbm = pickle.loads(path.read_bytes()) if path.exists() else None
if dbm is None or dbm.n_features_in_ != X_train.shape[1]:
    params = {"random_state": 0, "verbose": 1}
    if args.sizes:
        params["hidden_layer_sizes"] = tuple(int(s) for s in args.sizes.split(","))
    if args.epochs:
        params["n_iter"] = args.epochs
    dbm = DBM(**params).fit(X_train)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(dbm))
n_hidden = dbm.components_[0].shape[0]
rbm = BernoulliRBM(n_components=n_hidden, random_state=0).fit(X_train)

# %%
# Hide the bottom half, fill it in
# --------------------------------
missing = np.zeros(shape, bool)
missing[shape[0] // 2:] = True
missing = missing.ravel()
X_masked = X_test.copy()
X_masked[:, missing] = np.nan

dbm_filled = dbm.complete(X_masked)


def rbm_complete(rbm, X, n_iter=30):
    """Mean field over the missing pixels and the RBM's hidden layer."""
    gaps = np.isnan(X)
    V = np.where(gaps, X_train.mean(axis=0), X).astype(X.dtype)
    for _ in range(n_iter):
        V[gaps] = rbm.inverse_transform(rbm.transform(V))[gaps]
    return V


rbm_filled = rbm_complete(rbm, X_masked)
mean_filled = np.where(np.isnan(X_masked), X_train.mean(axis=0), X_masked)

errors = {name: float(np.abs(F[:, missing] - X_test[:, missing]).mean())
          for name, F in [("DBM", dbm_filled), ("RBM", rbm_filled),
                          ("mean image", mean_filled)]}
sizes = "-".join(str(W.shape[0]) for W in dbm.components_)
print(f"mean absolute error on the {missing.sum()} hidden pixels of "
      f"{X_test.shape[0]} test digits:")
for name, e in errors.items():
    label = {"DBM": f"DBM {X_train.shape[1]}-{sizes}",
             "RBM": f"RBM {X_train.shape[1]}-{n_hidden}"}.get(name, name)
    print(f"  {label:<22} {e:.4f}")

# %%
# The figure
# ----------
try:
    from _helpers import reconstruction_rows
except ImportError:
    from examples._helpers import reconstruction_rows
try:
    show = slice(0, 10)
    shown = np.where(np.isnan(X_masked[show]), 0.5, X_masked[show])
    fig = reconstruction_rows(
        [X_test[show], shown, dbm_filled[show], rbm_filled[show]],
        ["original", "bottom half hidden", "DBM", "RBM"], shape,
        "Pattern completion: the hidden half filled in by mean field")
    save(fig, "dbm_completion.png")
except ImportError:
    print("matplotlib is not installed: no figure")
