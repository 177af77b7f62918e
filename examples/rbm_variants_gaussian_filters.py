"""
Gaussian-Bernoulli RBM filters on image patches and Olivetti faces
==================================================================

Filters and stability of ``GaussianBernoulliRBM`` on real-valued data.

1. 12x12 patches of scikit-learn's two sample photographs, grey, each patch's
   mean removed and ZCA-whitened (the same patches as
   sparse_coding_gabor_dictionary.py), scaled to unit variance; a 144-100
   GaussianBernoulliRBM (unit variances, CD-1, learning rate 0.05, sparsity
   target 0.05) is trained for 50 epochs.  Filters are saved to
   examples/output/rbm_variants_patch_filters.png (whitened space and back
   in pixel space) and a localisation index is printed: the share of a
   filter's energy inside its best 6x6 window (0.25 for energy spread
   evenly over the 12x12 patch, 1 for a filter confined to 6x6).
   ``--no-whiten`` trains on the standardised raw patches instead.
2. Olivetti faces (64x64 -> 32x32, standardised per pixel), 256 hidden units,
   50 epochs, with learned variances: no divergence, reconstruction error per
   epoch printed, filters (blobs and face parts) and Gibbs samples saved.

    python examples/rbm_variants_gaussian_filters.py [--epochs 50]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): 6,000 patches and 10
epochs.  The Olivetti part reads ``../shared/data/scikit_learn_data`` and is
skipped, with the reason printed, when the faces are absent.
"""
import argparse
import time

import numpy as np
from sklearn.datasets import fetch_olivetti_faces, load_sample_images
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.preprocessing import StandardScaler

from _helpers import SHARED, quick_defaults, title
from _helpers import save as _save
from sparse_coding_gabor_dictionary import whitened_patches
from skdeepgen import GaussianBernoulliRBM
from skdeepgen.plotting import plot_history, plot_tiles

DATA = SHARED / "scikit_learn_data"


# %%
# Helpers: patches, a localisation index, a report
# ------------------------------------------------


def patches(n_patches, size, whiten=True, seed=0):
    """Patches (rows) and the matrix that maps whitened rows back to pixels."""
    if whiten:
        X, dezca = whitened_patches(n_patches, size, seed)
        scale = X.std()
        return (X / scale).astype(np.float32), dezca * scale
    rng = np.random.RandomState(seed)
    images = [img.mean(axis=2) / 255.0 for img in load_sample_images().images]
    P = np.concatenate([extract_patches_2d(img, (size, size),
                                           max_patches=n_patches // 2,
                                           random_state=rng) for img in images])
    P = P.reshape(len(P), -1)
    P -= P.mean(axis=1, keepdims=True)
    return StandardScaler().fit_transform(P).astype(np.float32), None


def localisation(filters, size, window=6):
    """Share of each filter's energy inside its best ``window`` x ``window`` square."""
    E = filters.reshape(-1, size, size) ** 2
    C = np.pad(E.cumsum(axis=1).cumsum(axis=2), ((0, 0), (1, 0), (1, 0)))
    w = window
    boxes = C[:, w:, w:] - C[:, :-w, w:] - C[:, w:, :-w] + C[:, :-w, :-w]
    return boxes.reshape(len(E), -1).max(axis=1) / E.sum(axis=(1, 2))


def report(name, rbm, seconds):
    err = np.asarray(rbm.history_["reconstruction_error"])
    print(f"{name}: {rbm.n_iter_} epochs in {seconds:.1f} s; reconstruction error "
          f"first {err[0]:.2f}, min {err.min():.2f}, last {err[-1]:.2f}, "
          f"max {err.max():.2f}; all finite: {bool(np.all(np.isfinite(err)))}")
    print("   per epoch:", " ".join(f"{e:.1f}" for e in err))


def save(fig, name):
    _save(fig, name)


# %%
# Train on patches, then on faces
# -------------------------------
# Filters in whitened space and back in pixel space; on the faces, filters
# and Gibbs samples, and the reconstruction error per epoch from
# ``history_``.

def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--n-patches", type=int, default=20000)
    p.add_argument("--no-whiten", action="store_true")
    quick_defaults(p, epochs=10, n_patches=6000)
    args = p.parse_args(argv)
    import matplotlib.pyplot as plt

    X, dezca = patches(args.n_patches, 12, whiten=not args.no_whiten)
    rbm = GaussianBernoulliRBM(100, n_iter=args.epochs, learning_rate=0.05,
                               sparsity_target=0.05, random_state=0)
    t = time.perf_counter()
    rbm.fit(X)
    report("patches 144-100", rbm, time.perf_counter() - t)
    rng = np.random.RandomState(0)
    loc = localisation(rbm.components_, 12)
    loc0 = localisation(rng.standard_normal(rbm.components_.shape), 12)
    print(f"   localisation (energy in the best 6x6 window): median "
          f"{np.median(loc):.2f}, {np.mean(loc > 0.5):.0%} of the filters above "
          f"0.5; random filters: median {np.median(loc0):.2f}")
    panels = [(rbm.components_, "filters" + (" (whitened space)" if dezca is not None else ""))]
    if dezca is not None:
        panels.append((rbm.components_ @ dezca, "filters in pixel space"))
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 7))
    for ax, (F, name) in zip(np.atleast_1d(axes), panels):
        plot_tiles(F, (12, 12), ax=ax, title=name)
    fig.suptitle("Gaussian-Bernoulli RBM filters, 12x12 image patches")
    save(fig, "rbm_variants_patch_filters.png")

    try:
        faces = fetch_olivetti_faces(data_home=DATA, download_if_missing=False).images
    except OSError as exc:
        print("SKIPPED the Olivetti part: faces not available:", exc)
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
    ax = plot_history(rbm, ["reconstruction_error"],
                      title="Olivetti faces: reconstruction error per epoch")
    save(ax.figure, "rbm_variants_olivetti_history.png")

if __name__ == "__main__":
    main()
