"""
Deep Boltzmann machine on MNIST: log-likelihood bound, classifier, samples
==========================================================================

The MNIST experiment of Salakhutdinov & Hinton (2009) with library defaults,
as a new user would run it:

1. ``DBM()`` (784-500-1000): greedy pretraining with the modified RBMs, then
   joint training (mean field for the data, persistent Gibbs chains for the
   model).  Training saves a checkpoint after every epoch and resumes from
   the last one when run again, so an interrupted run loses at most one
   epoch.
2. The variational lower bound on the test log-likelihood, with an AIS
   estimate of log Z (100 runs, 10,000 temperatures), on the test images
   binarised once (seed 0).
3. ``DBMClassifier(pretrain=dbm)``: the network initialised from the DBM,
   whose input is the image and its mean-field posterior ``q(h_2 | x)``,
   fine-tuned with backpropagation; the test error.

Figures (when matplotlib is installed): samples from the persistent chains
(``examples/output/dbm_mnist_samples.png``).  Pattern completion has its own
example (``dbm_pattern_completion.py``).

    python examples/dbm_mnist.py [--checkpoints examples/output/dbm_mnist_ckpt]
    SKDEEPGEN_QUICK=1 python examples/dbm_mnist.py   # a few minutes, small model

The measured figures are in ``doc/results.md``.
"""
# %%
# The data and the run's size
# ---------------------------
import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np

from skdeepgen import DBM, DBMClassifier
from skdeepgen.datasets import sample_binary

try:
    from _helpers import OUT, QUICK, SHARED, load_mnist_quick, quick_defaults, save
except ImportError:  # sphinx-gallery runs examples from their folder too
    from examples._helpers import (OUT, QUICK, SHARED, load_mnist_quick,
                                   quick_defaults, save)

p = argparse.ArgumentParser(description="DBM on MNIST (Salakhutdinov & Hinton 2009)")
p.add_argument("--data-home", default=str(SHARED / "mnist"))
p.add_argument("--checkpoints", default=str(OUT / "dbm_mnist_ckpt"),
               help="directory of the per-epoch checkpoints (resumed when present)")
p.add_argument("--n-train", type=int, default=None)
p.add_argument("--n-test", type=int, default=None)
p.add_argument("--sizes", default=None, help="hidden layer sizes, e.g. 500,1000 "
               "(default: the library's)")
p.add_argument("--epochs", type=int, default=None, help="(default: the library's)")
p.add_argument("--ais-runs", type=int, default=100)
p.add_argument("--ais-betas", type=int, default=10000)
p.add_argument("--finetune-epochs", type=int, default=None,
               help="(default: the library's)")
quick_defaults(p, n_train=2000, n_test=500, sizes="100,200", epochs=5,
               ais_runs=20, ais_betas=500, finetune_epochs=5,
               checkpoints=str(OUT / "dbm_mnist_quick_ckpt"))
args, _ = p.parse_known_args()

X_train, X_test, y_train, y_test, shape = load_mnist_quick(
    args.data_home, args.n_train, args.n_test)
X_train = np.ascontiguousarray(X_train, dtype=np.float32)
X_test = np.ascontiguousarray(X_test, dtype=np.float32)
# the likelihood is of binary images: the test set binarised once
B_test = sample_binary(X_test, random_state=0)
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test images")

# %%
# Joint training with a checkpoint per epoch
# ------------------------------------------
# ``partial_fit`` runs one epoch; its first call pretrains.  The learning
# rate decays over ``n_iter`` epochs across the calls, so the checkpointed
# run is the same training as ``fit``.
params = {"verbose": 1, "random_state": 0}
if args.sizes:
    params["hidden_layer_sizes"] = tuple(int(s) for s in args.sizes.split(","))
if args.epochs is not None:
    params["n_iter"] = args.epochs
ckpt = Path(args.checkpoints)
ckpt.mkdir(parents=True, exist_ok=True)
state = ckpt / "dbm.pkl"
log = ckpt / "log.json"
record = json.loads(log.read_text()) if log.exists() else {"seconds": 0.0}
if state.exists():
    dbm = pickle.loads(state.read_bytes())
    print(f"resumed from {state} after epoch {dbm.n_iter_}")
else:
    dbm = DBM(**params)
while not hasattr(dbm, "n_iter_") or dbm.n_iter_ < dbm.n_iter:
    t0 = time.perf_counter()
    dbm.partial_fit(X_train)
    record["seconds"] += time.perf_counter() - t0
    tmp = state.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(dbm))
    tmp.replace(state)  # atomic: an interrupt never leaves half a checkpoint
    log.write_text(json.dumps(record))
print(f"DBM {dbm.n_features_in_}-{'-'.join(str(W.shape[0]) for W in dbm.components_)}: "
      f"{dbm.n_iter_} epochs, {record['seconds']:.0f} s of training")

# %%
# The test log-likelihood bound
# -----------------------------
if "log_z" not in record:
    t0 = time.perf_counter()
    res = dbm.estimate_log_partition(n_runs=args.ais_runs, n_betas=args.ais_betas)
    record.update(log_z=res.log_z, log_z_low=res.log_z_low, log_z_high=res.log_z_high,
                  ais_seconds=time.perf_counter() - t0)
    record["bound"] = float(dbm.score(B_test))
    log.write_text(json.dumps(record))
print(f"log Z = {record['log_z']:.2f} (AIS, {args.ais_runs} runs x {args.ais_betas} "
      f"temperatures, {record['ais_seconds']:.0f} s; +-3 sigma interval "
      f"[{record['log_z_low']:.2f}, {record['log_z_high']:.2f}])")
print(f"test lower bound on log p(x): {record['bound']:.2f} nats "
      "(published 784-500-1000 DBM: -84.62)")

# %%
# Fine-tuned classifier
# ---------------------
if "test_error" not in record:
    cparams = {"pretrain": dbm, "hidden_layer_sizes": dbm.hidden_layer_sizes,
               "verbose": 1, "random_state": 0}
    if args.finetune_epochs is not None:
        cparams["max_iter"] = args.finetune_epochs
    t0 = time.perf_counter()
    clf = DBMClassifier(**cparams).fit(X_train, y_train)
    record.update(test_error=float(np.mean(clf.predict(X_test) != y_test)),
                  finetune_seconds=time.perf_counter() - t0)
    log.write_text(json.dumps(record))
print(f"DBMClassifier test error: {100 * record['test_error']:.2f}% "
      f"({record['finetune_seconds']:.0f} s of fine-tuning; published 0.95%)")
print(f"total training time: {(record['seconds'] + record['finetune_seconds']) / 60:.1f} "
      "minutes")

# %%
# Samples from the persistent chains
# ----------------------------------
try:
    from skdeepgen.plotting import plot_tiles
except ImportError:  # pragma: no cover
    plot_tiles = None
if plot_tiles is not None:
    try:
        ax = plot_tiles(dbm.sample(100, n_steps=1000 if not QUICK else 100), shape,
                        title="DBM: samples from the persistent chains")
        save(ax.figure, "dbm_mnist_samples.png")
    except ImportError:
        print("matplotlib is not installed: no figure")
