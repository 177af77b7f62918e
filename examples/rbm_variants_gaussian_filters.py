"""Gaussian-Bernoulli RBM on natural image patches and Olivetti faces: filters, stability.

1. 12x12 patches of scikit-learn's two sample photographs, grey, each patch's
   mean removed, standardised per pixel; a 144-100 GaussianBernoulliRBM (unit
   variances, CD-1, learning rate 0.01, sparsity target 0.05) is trained for
   50 epochs (filters saved to examples/output/rbm_variants_patch_filters.png;
   ``--whiten`` adds ZCA whitening).
2. Olivetti faces (64x64 -> 32x32, standardised per pixel), 256 hidden units,
   50 epochs, with learned variances: no divergence, reconstruction error per
   epoch printed, filters (blobs and face parts) and Gibbs samples saved.

    python examples/rbm_variants_gaussian_filters.py [--epochs 50]
"""
import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_olivetti_faces, load_sample_images
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.preprocessing import StandardScaler

from skdeepgen import GaussianBernoulliRBM
from skdeepgen.plotting import plot_tiles

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "scikit_learn_data"
OUT = HERE / "output"


def patches(n_patches, size, whiten=False, seed=0):
    rng = np.random.RandomState(seed)
    images = [img.mean(axis=2) / 255.0 for img in load_sample_images().images]
    P = np.concatenate([extract_patches_2d(img, (size, size),
                                           max_patches=n_patches // 2,
                                           random_state=rng) for img in images])
    P = P.reshape(len(P), -1)
    P -= P.mean(axis=1, keepdims=True)
    if whiten:  # ZCA; eps (the mean eigenvalue) keeps high frequencies in check
        s, U = np.linalg.eigh(P.T @ P / len(P))
        P = P @ (U @ np.diag(1.0 / np.sqrt(s + s.mean())) @ U.T)
    return StandardScaler().fit_transform(P).astype(np.float32)


def report(name, rbm, seconds):
    err = np.asarray(rbm.history_["reconstruction_error"])
    print(f"{name}: {rbm.n_iter_} epochs in {seconds:.1f} s; reconstruction error "
          f"first {err[0]:.2f}, min {err.min():.2f}, last {err[-1]:.2f}, "
          f"max {err.max():.2f}; all finite: {bool(np.all(np.isfinite(err)))}")
    print("   per epoch:", " ".join(f"{e:.1f}" for e in err))


def save(fig, name):
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    fig.savefig(path, dpi=90, bbox_inches="tight")
    print("saved", path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--n-patches", type=int, default=20000)
    p.add_argument("--whiten", action="store_true")
    args = p.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = patches(args.n_patches, 12, whiten=args.whiten)
    rbm = GaussianBernoulliRBM(100, n_iter=args.epochs, learning_rate=0.01,
                               sparsity_target=0.05, random_state=0)
    t = time.perf_counter()
    rbm.fit(X)
    report("patches 144-100", rbm, time.perf_counter() - t)
    fig, ax = plt.subplots(figsize=(7, 7))
    plot_tiles(rbm.components_, (12, 12), ax=ax,
               title="Gaussian-Bernoulli RBM filters, 12x12 image patches")
    save(fig, "rbm_variants_patch_filters.png")

    try:
        faces = fetch_olivetti_faces(data_home=DATA, download_if_missing=False).images
    except OSError as exc:
        print("Olivetti faces not available:", exc)
        return
    F = faces[:, ::2, ::2].reshape(len(faces), -1)
    F = StandardScaler().fit_transform(F).astype(np.float32)
    rbm = GaussianBernoulliRBM(256, n_iter=args.epochs, batch_size=20,
                               learn_variance=True, random_state=0)
    t = time.perf_counter()
    rbm.fit(F)
    report("Olivetti 1024-256 (learned variances)", rbm, time.perf_counter() - t)
    print(f"   learned variances: median {np.median(rbm.variance_):.3f}, "
          f"range [{rbm.variance_.min():.3f}, {rbm.variance_.max():.3f}]")
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    plot_tiles(rbm.components_[:100], (32, 32), ax=axes[0], title="filters")
    plot_tiles(rbm.sample(25, n_steps=1000, random_state=0), (32, 32), ax=axes[1],
               scale="all", title="samples (1000 Gibbs steps, means)")
    save(fig, "rbm_variants_olivetti.png")


if __name__ == "__main__":
    main()
