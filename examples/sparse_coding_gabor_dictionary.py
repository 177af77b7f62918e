"""
Sparse coding of natural image patches learns Gabor-like edge detectors
=======================================================================

Olshausen & Field (1996): a sparse code of whitened natural image patches
has localised, oriented, band-pass atoms like the receptive fields of simple
cells in V1.  Patches come from scikit-learn's two sample photographs; they
are mean-removed, ZCA-whitened and scaled to unit mean squared norm, then ``SparseCoder`` learns 144 atoms.

The figure (also saved to examples/output/sparse_coding_gabor_dictionary.png) shows the
atoms (un-whitened back to pixel space) next to the initial dictionary.  The
script also prints an orientation-selectivity index per atom: the share of
the atom's spectral energy inside the best 30-degree orientation wedge
(1/6 for an isotropic atom, near 1 for a Gabor/edge).

    python examples/sparse_coding_gabor_dictionary.py

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): 20,000 patches, 100
atoms, 8 epochs.
"""
import argparse
import time

import numpy as np
from sklearn.datasets import load_sample_images
from sklearn.feature_extraction.image import extract_patches_2d

from _helpers import quick_defaults, save, title
from skdeepgen import SparseCoder
from skdeepgen.plotting import plot_history, plot_tiles


# %%
# Whitened patches and an orientation index
# -----------------------------------------

def whitened_patches(n, size, seed, eps_ratio=0.05):
    # 2x2 block averages: less JPEG noise for the whitening to amplify
    images = [im[:im.shape[0] // 2 * 2, :im.shape[1] // 2 * 2].mean(axis=2)
              .reshape(im.shape[0] // 2, 2, im.shape[1] // 2, 2).mean(axis=(1, 3))
              for im in load_sample_images().images]
    rng = np.random.RandomState(seed)
    per = n // len(images)
    P = np.vstack([extract_patches_2d(im / 255.0, (size, size),
                                      max_patches=per, random_state=rng).reshape(per, -1)
                   for im in images])
    P -= P.mean(axis=1, keepdims=True)
    cov = P.T @ P / len(P)
    evals, evecs = np.linalg.eigh(cov)
    eps = eps_ratio * evals.max()  # damps the noisiest directions
    zca = evecs @ np.diag(1.0 / np.sqrt(evals + eps)) @ evecs.T
    dezca = evecs @ np.diag(np.sqrt(evals + eps)) @ evecs.T
    W = P @ zca
    scale = np.sqrt(np.mean(np.sum(W ** 2, axis=1)))  # mean squared norm 1
    return W / scale, dezca * scale


def orientation_selectivity(atoms, size, n_bins=6):
    F = np.abs(np.fft.fftshift(np.fft.fft2(atoms.reshape(-1, size, size)), axes=(1, 2))) ** 2
    fy, fx = np.mgrid[:size, :size] - size // 2
    angle = np.mod(np.arctan2(fy, fx), np.pi)
    nonzero = (fx != 0) | (fy != 0)
    bins = np.minimum((angle / np.pi * n_bins).astype(int), n_bins - 1)
    energy = np.stack([(F * ((bins == b) & nonzero)).sum(axis=(1, 2))
                       for b in range(n_bins)], axis=1)
    return energy.max(axis=1) / np.maximum(energy.sum(axis=1), 1e-12)


# %%
# Learn the dictionary
# --------------------
# The learned atoms are shown un-whitened (in pixel space) next to the
# initial atoms (random patches); the learning curve is the objective per
# epoch from ``history_``.

def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--n-patches", type=int, default=40_000)
    p.add_argument("--patch-size", type=int, default=12)
    p.add_argument("--n-components", type=int, default=144)
    p.add_argument("--alpha", type=float, default=0.15)
    p.add_argument("--max-iter", type=int, default=10)
    p.add_argument("--eps", type=float, default=0.05,
                   help="whitening regulariser, relative to the top eigenvalue")
    p.add_argument("--seed", type=int, default=0)
    quick_defaults(p, n_patches=20000, n_components=100, max_iter=8)
    args = p.parse_args(argv)
    size = args.patch_size

    X, dezca = whitened_patches(args.n_patches, size, args.seed, args.eps)
    sc = SparseCoder(n_components=args.n_components, alpha=args.alpha,
                     max_iter=args.max_iter, n_jobs=2, random_state=args.seed)
    sc._validate_params()
    sc._reset_state()
    sc._initialize(sc._check_X(X, reset=True), sc._rng)
    D0 = sc.components_.copy()
    t = time.perf_counter()
    sc.fit(X)
    fit_s = time.perf_counter() - t
    codes = sc.transform(X[:5000])
    sel0 = orientation_selectivity(D0 @ dezca, size)
    sel = orientation_selectivity(sc.components_ @ dezca, size)
    print(f"{len(X)} whitened {size}x{size} patches, {args.n_components} atoms, "
          f"alpha={args.alpha}: {args.max_iter} epochs in {fit_s:.1f}s, "
          f"objective {sc.history_['objective'][0]:.4f} -> "
          f"{sc.history_['objective'][-1]:.4f}, {100 * np.mean(codes != 0):.1f}% "
          "non-zero codes")
    print(f"orientation selectivity (1/6 = isotropic): initial atoms median "
          f"{np.median(sel0):.2f}, learned atoms median {np.median(sel):.2f}; "
          f"{np.mean(sel > 0.5):.0%} of learned atoms put over half their energy "
          "in one 30-degree wedge")
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        print("matplotlib not installed: no figure")
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.3))
    plot_tiles(D0 @ dezca, (size, size), ax=axes[0],
               title="initial atoms (random patches)")
    plot_tiles(sc.components_ @ dezca, (size, size), ax=axes[1],
               title="learned atoms (SparseCoder)")
    fig.tight_layout()
    save(fig, "sparse_coding_gabor_dictionary.png")
    ax = plot_history(sc, ["objective"], title="SparseCoder objective per epoch")
    save(ax.figure, "sparse_coding_gabor_dictionary_history.png")


if __name__ == "__main__":
    main()
