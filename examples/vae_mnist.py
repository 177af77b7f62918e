"""
Variational autoencoder on MNIST: test log-likelihood, samples, latent space
============================================================================

The IWAE paper's MNIST set-up (Burda et al. 2016): a 784-200-200-50 VAE with
tanh hidden units and a Bernoulli decoder, trained with Adam on dynamically
binarised training images (a fresh binary draw of every grey-level image in
every minibatch), scored on binarised test images by the importance-weighted
bound with ``k`` posterior samples (``k=5000`` in the paper; ``k=1`` is the
ELBO).  ``--k-train 5`` trains the same model as an IWAE.

Saves ``examples/output/vae_mnist_samples.png`` (decoder means of 100 draws
from the prior) and ``examples/output/vae_mnist_latent.png`` (the test
images' posterior means, reduced to two dimensions by PCA, coloured by
digit) when matplotlib is installed.

    python examples/vae_mnist.py [--epochs 140] [--k-train 1] [--k 5000] [--n-test 10000]
    SKDEEPGEN_QUICK=1 python examples/vae_mnist.py   # under 2 minutes

The full recipe's measured figures (and the resumable script behind them,
``benchmarks/vae_mnist_loglik.py``) are in ``doc/results.md``.
"""
# %%
# Set-up: the data and the run's size
# ------------------------------------
import argparse
import os
import time
from pathlib import Path

import numpy as np

from skdeepgen import VAE
from skdeepgen.datasets import load_mnist, sample_binary

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
DATA = HERE.parents[1] / "shared" / "data" / "mnist"
OUT = HERE / "output"
QUICK = os.environ.get("SKDEEPGEN_QUICK") == "1"

p = argparse.ArgumentParser(description="VAE / IWAE on MNIST")
p.add_argument("--data-home", default=str(DATA))
p.add_argument("--epochs", type=int, default=5 if QUICK else 140)
p.add_argument("--n-train", type=int, default=5000 if QUICK else 60000)
p.add_argument("--k-train", type=int, default=1,
               help="importance samples in the training objective (1: VAE)")
p.add_argument("--k", type=int, default=100 if QUICK else 5000,
               help="importance samples of the test bound")
p.add_argument("--n-test", type=int, default=500 if QUICK else 10000)
args, _ = p.parse_known_args()

try:
    X_train, X_test, y_train, y_test = load_mnist(args.data_home, return_X_y=True)
    shape = (28, 28)
except FileNotFoundError:
    if not QUICK:
        raise
    # the gallery without ../shared/data: scikit-learn's bundled 8x8 digits
    from skdeepgen.experiments import DATASETS
    print("MNIST not found: quick mode falls back to scikit-learn's 8x8 digits")
    X_train, X_test, y_train, y_test = DATASETS["digits"].load(None)
    shape = (8, 8)
X_train = np.ascontiguousarray(X_train[:args.n_train], dtype=np.float32)
# the test images are binarised once, with a fixed seed
T = np.asarray(X_test[:args.n_test], dtype=np.float32)
T = sample_binary(T, random_state=0)
y_test = y_test[:args.n_test]

# %%
# Training: dynamic binarisation, Adam, the ELBO (or the IWAE bound)
# ------------------------------------------------------------------
vae = VAE(50, hidden_layer_sizes=(200, 200), activation="tanh",
          decoder="bernoulli", n_importance_samples=args.k_train,
          dynamic_binarization=True, learning_rate=1e-3, batch_size=100,
          max_iter=args.epochs, verbose=1, random_state=0)
t0 = time.perf_counter()
vae.fit(X_train)
train_s = time.perf_counter() - t0
print(f"{'IWAE k=%d' % args.k_train if args.k_train > 1 else 'VAE'} "
      f"784-200-200-50, {vae.n_iter_} epochs on {len(X_train)} images: "
      f"{train_s:.0f} s")

# %%
# Test log-likelihood: the importance-weighted bound
# --------------------------------------------------
# ``score`` is the mean bound with ``n_score_samples`` samples per image,
# computed in log space and in bounded blocks.
for k in sorted({1, args.k}):
    t0 = time.perf_counter()
    ll = vae.set_params(n_score_samples=k).score(T)
    print(f"test bound, k={k:>5}, {len(T)} binarised images: {ll:8.2f} nats "
          f"({time.perf_counter() - t0:.0f} s)")
print("published (Burda et al. 2016, k=5000): VAE -86.76, IWAE (k=50) -84.78")

# %%
# Figures: samples from the prior, and the latent space
# -----------------------------------------------------
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib not installed: no figures")

if plt is not None:
    from sklearn.decomposition import PCA

    from skdeepgen.plotting import plot_tiles
    OUT.mkdir(exist_ok=True)
    ax = plot_tiles(vae.sample(100, random_state=0), shape, n_cols=10,
                    scale=None, cmap="gray_r", title="VAE samples (decoder means)")
    ax.figure.savefig(OUT / "vae_mnist_samples.png", dpi=80, bbox_inches="tight")
    Z2 = PCA(2, random_state=0).fit_transform(vae.transform(T))
    fig, ax = plt.subplots(figsize=(6, 5))
    sc = ax.scatter(Z2[:, 0], Z2[:, 1], c=y_test, cmap="tab10", s=4)
    fig.colorbar(sc, ax=ax, label="digit")
    ax.set_title("posterior means of the test images (PCA of 50 dims)")
    fig.savefig(OUT / "vae_mnist_latent.png", dpi=80, bbox_inches="tight")
    print(f"saved {OUT / 'vae_mnist_samples.png'} and {OUT / 'vae_mnist_latent.png'}")
