"""
Caltech101: sparse codes, spatial pyramid pooling and a linear SVM
==================================================================

Dense patches -> SparseCoder -> spatial pyramid max pooling -> LinearSVC.

The headline experiment of Lee, Battle, Raina & Ng (2007) (sparse coding
47% vs PCA 37% vs raw pixels 16% on the full Caltech101) and of ScSPM (Yang
et al. 2009), as one scikit-learn Pipeline, against:

* raw pixels: each image resized to 32x32, standardised, LinearSVC;
* PCA: the same 32x32 pixels, 100 whitened principal components, LinearSVC;
* PCA codes in the same pyramid: the sparse coder swapped for PCA of the
  patches (absolute-max pooling), to show what sparse coding adds.

Protocol: N training images per class (15 and 30), the rest up to 50 per
class for testing, mean per-class accuracy, repeated random splits.  Every
learned step (dictionary, PCA, SVM) is fitted on the training images of the
split only.  Time per stage is printed, and the time of a full-Caltech101
run (9,144 images in 101 classes) is estimated from the per-image cost.

Run on the 10-class slice::

    python examples/caltech101_sparse_coding.py \
        --data-home ../shared/data/caltech101-mini

and on the full data set (same code) by pointing --data-home at it.

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): one split with 15
training images per class, 64 atoms learned from 5,000 patches in one epoch,
no PCA-codes run.  Needs ``../shared/data/caltech101-mini`` (and pillow);
skipped, with the reason printed, when it is absent.  The figure is the
confusion matrix of the sparse-coding pipeline on the last split.
"""
import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.decomposition import PCA
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from _helpers import SHARED, missing, quick_defaults, save, title
from skdeepgen import SparseCoder
from skdeepgen.datasets import Caltech101Split, load_caltech101
from skdeepgen.feature_extraction import (DensePatchExtractor, PatchEncoder,
                                          SpatialPyramidPooling)

FULL_CALTECH_IMAGES = 9144 - 467  # all images minus BACKGROUND_Google


# %%
# The pipelines
# -------------

def resize_all(images, size=32):
    return np.stack([np.asarray(Image.fromarray(np.asarray(im, np.float32)).resize(
        (size, size), Image.BILINEAR)).ravel() for im in images])


def sparse_pipeline(args, encoder=None, pooling="max"):
    if encoder is None:
        encoder = SparseCoder(n_components=args.n_components, alpha=args.alpha,
                              split_sign=True, max_iter=args.dict_epochs,
                              n_jobs=args.n_jobs, random_state=args.seed)
    return make_pipeline(
        DensePatchExtractor(patch_size=args.patch_size, step=args.step),
        PatchEncoder(encoder, n_fit_patches=args.n_fit_patches,
                     random_state=args.seed),
        SpatialPyramidPooling(levels=(1, 2, 4), pooling=pooling),
        LinearSVC(C=args.C))


def run_staged(pipe, X_train, y_train, X_test, y_test):
    """pipe.fit + pipe.predict, step by step so that each stage is timed."""
    t = {}
    s = time.perf_counter()
    grids = pipe[0].fit(X_train).transform(X_train)  # lazy: no work yet
    pipe[1].fit(grids)
    t["dictionary / encoder fit"] = time.perf_counter() - s
    s = time.perf_counter()
    F_train = pipe[2].fit(None).transform(pipe[1].transform(grids))
    F_test = pipe[:3].transform(X_test)
    t["features (patches+codes+pool)"] = time.perf_counter() - s
    t["features per image"] = t["features (patches+codes+pool)"] / (
        len(X_train) + len(X_test))
    s = time.perf_counter()
    pipe[-1].fit(F_train, y_train)
    pred = pipe[-1].predict(F_test)
    t["svm fit+predict"] = time.perf_counter() - s
    return balanced_accuracy_score(y_test, pred), t, F_train.shape[1], pred


# %%
# Run the protocol
# ----------------

def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data-home", default=str(SHARED / "caltech101-mini"))
    p.add_argument("--n-train", type=int, nargs="+", default=[15, 30])
    p.add_argument("--n-splits", type=int, default=3)
    p.add_argument("--n-components", type=int, default=256)
    p.add_argument("--alpha", type=float, default=3.0)
    p.add_argument("--patch-size", type=int, default=16)
    p.add_argument("--step", type=int, default=8)
    p.add_argument("--n-fit-patches", type=int, default=50_000)
    p.add_argument("--dict-epochs", type=int, default=2)
    p.add_argument("--C", type=float, default=10.0)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-pca-codes", action="store_true")
    quick_defaults(p, n_train=[15], n_splits=1, n_components=64,
                   n_fit_patches=5000, dict_epochs=1, skip_pca_codes=True)
    args = p.parse_args(argv)
    if missing(Path(args.data_home), "Caltech101"):
        return

    s = time.perf_counter()
    data = load_caltech101(args.data_home)
    images, y = data.images, data.target
    load_s = time.perf_counter() - s
    n_classes = len(data.target_names)
    print(f"{len(images)} images, {n_classes} classes, loaded in {load_s:.1f}s "
          f"({1000 * load_s / len(images):.1f} ms/image)")
    pixels = resize_all(images)

    results = {}
    stage_times = []
    for n_train in args.n_train:
        cv = Caltech101Split(n_train=n_train, max_test=50, n_splits=args.n_splits,
                             random_state=args.seed)
        for split, (tr, te) in enumerate(cv.split(images, y)):
            Xtr = [images[i] for i in tr]
            Xte = [images[i] for i in te]
            runs = {
                "raw pixels 32x32": make_pipeline(StandardScaler(),
                                                  LinearSVC(C=0.01)),
                "PCA(100, whiten) of 32x32 pixels": make_pipeline(
                    StandardScaler(), PCA(100, whiten=True, random_state=0),
                    LinearSVC(C=0.01)),
            }
            for name, pipe in runs.items():
                pipe.fit(pixels[tr], y[tr])
                acc = balanced_accuracy_score(y[te], pipe.predict(pixels[te]))
                results.setdefault((name, n_train), []).append(acc)
            if not args.skip_pca_codes:
                name = f"PCA({args.n_components // 4}) patch codes + pyramid"
                acc, _, _, _ = run_staged(sparse_pipeline(
                    args, PCA(args.n_components // 4, random_state=args.seed),
                    pooling="abs_max"), Xtr, y[tr], Xte, y[te])
                results.setdefault((name, n_train), []).append(acc)
            name = (f"SparseCoder({args.n_components}) codes + pyramid max "
                    "pooling")
            acc, t, dim, pred = run_staged(sparse_pipeline(args), Xtr, y[tr],
                                           Xte, y[te])
            last = (y[te], pred, n_train)
            results.setdefault((name, n_train), []).append(acc)
            stage_times.append(t)
            print(f"N={n_train} split {split + 1}: sparse coding {acc:.4f} "
                  f"({dim} features); " + ", ".join(
                      f"{k} {v:.3f}s" for k, v in t.items()), flush=True)

    print(f"\nmean per-class accuracy over {args.n_splits} splits "
          f"({n_classes} classes, test: rest up to 50/class)")
    print(f"{'features':<52} " + " ".join(f"{'N=' + str(n):>15}" for n in args.n_train))
    names = dict.fromkeys(k[0] for k in results)
    for name in names:
        cells = []
        for n in args.n_train:
            v = results[(name, n)]
            cells.append(f"{100 * np.mean(v):6.2f} +- {100 * np.std(v):4.2f}")
        print(f"{name:<52} " + " ".join(f"{c:>15}" for c in cells))

    mean_t = {k: float(np.mean([t[k] for t in stage_times])) for k in stage_times[0]}
    print("\ntime per stage (sparse-coding pipeline, mean over runs):")
    print(f"  load + resize: {1000 * load_s / len(images):.1f} ms/image")
    for k, v in mean_t.items():
        print(f"  {k}: {v * 1000:.1f} ms" if k.endswith("image") else f"  {k}: {v:.1f} s")
    per_image = mean_t["features per image"] + load_s / len(images)
    est = (mean_t["dictionary / encoder fit"] + FULL_CALTECH_IMAGES * per_image
           + mean_t["svm fit+predict"] * (101 / n_classes) ** 2)
    print(f"estimated full Caltech101 run (one split, {FULL_CALTECH_IMAGES} images "
          f"featurised once, 101 classes): {est / 60:.1f} min")
    draw(*last, data.target_names)


# %%
# Confusion matrix
# ----------------

def draw(y_true, y_pred, n_train, names):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    from sklearn.metrics import ConfusionMatrixDisplay
    fig, ax = plt.subplots(figsize=(7, 6.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=names, normalize="true",
        values_format=".2f", xticks_rotation="vertical", colorbar=False, ax=ax)
    ax.set_title(f"sparse codes + pyramid + LinearSVC, N={n_train} per class "
                 "(last split)")
    fig.tight_layout()
    save(fig, "caltech101_confusion.png")


if __name__ == "__main__":
    main()
