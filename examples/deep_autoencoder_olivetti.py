"""
Deep autoencoder on Olivetti faces against PCA
==============================================

A deep autoencoder against PCA with the same code size.

400 faces (40 people x 10), split 300 train / 100 test (stratified by
person).  As in Hinton & Salakhutdinov (2006), who built 165,600 training
images from the 400 faces by rotating, scaling and cropping them, the 300
training faces are augmented: ``--n-augment`` random versions of each
(rotation within +-15 degrees, scale 0.9-1.1, shifts of up to 2 pixels,
mirrored half of the time) besides the face itself and its mirror image,
all downsampled to 32x32; every pixel is standardised.  A smaller net than on MNIST,
1024-512-128-30, is pretrained (Gaussian-Bernoulli RBM at the bottom, as for
real-valued pixels; Bernoulli RBMs above), unrolled with a linear output and
fine-tuned with Adam on the squared error (weight decay 3e-3), with early
stopping on 15% of the training faces.  The test reconstruction error (in
pixel units) is compared with 30-component PCA fit on the same augmented
training faces and with PCA fit on the plain and mirrored faces only (the
copies hurt PCA), and
originals / deep AE / PCA reconstructions are shown (and saved to
examples/output/deep_autoencoder_olivetti.png).

    python examples/deep_autoencoder_olivetti.py [--epochs 100] [--n-augment 120] [--weight-decay 3e-3]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): a 1024-256-64-30
net, 4 transformed copies per face, 3 pretraining and 15 fine-tuning epochs;
so little training leaves the deep autoencoder behind PCA (the full run's
figures are in :doc:`/results`).  Needs the faces in
``../shared/data/scikit_learn_data``; skipped, with the reason printed, when
they are absent.
"""
import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_olivetti_faces
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from _helpers import (OUT, SHARED, missing, quick_defaults,
                      reconstruction_rows, save, title)
from skdeepgen import BernoulliRBM, DeepAutoencoder, GaussianBernoulliRBM

DATA = SHARED / "scikit_learn_data"


def mse(A, B):
    """Mean over rows of the squared error per row."""
    return float(np.mean(np.sum((np.asarray(A, np.float64) - B) ** 2, axis=1)))


def augment(faces64, n_per_face, rng):
    """Random similarity transforms of 64x64 faces, returned at 32x32."""
    from scipy.ndimage import affine_transform
    out = []
    centre = np.array([31.5, 31.5])
    for img in faces64:
        for _ in range(n_per_face):
            angle = np.deg2rad(rng.uniform(-15, 15))
            scale = rng.uniform(0.9, 1.1)
            rot = np.array([[np.cos(angle), -np.sin(angle)],
                            [np.sin(angle), np.cos(angle)]]) / scale
            shift = rng.uniform(-2, 2, size=2)
            offset = centre - rot @ (centre + shift)
            src = img[:, ::-1] if rng.rand() < 0.5 else img
            out.append(affine_transform(src, rot, offset, order=1, mode="nearest"))
    out = np.asarray(out, dtype=np.float32)
    return out.reshape(-1, 32, 2, 32, 2).mean(axis=(2, 4)).reshape(len(out), -1)


# %%
# Augment, pretrain, fine-tune, compare
# -------------------------------------

def main():
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data-home", default=str(DATA))
    p.add_argument("--sizes", default="512,128")
    p.add_argument("--n-components", type=int, default=30)
    p.add_argument("--pretrain-epochs", type=int, default=30)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=3e-3)
    p.add_argument("--n-augment", type=int, default=120,
                   help="random transformed copies per training face")
    p.add_argument("--random-state", type=int, default=0)
    quick_defaults(p, sizes="256,64", n_augment=4, pretrain_epochs=3, epochs=15)
    args = p.parse_args()
    if missing(Path(args.data_home) / "olivetti_py3.pkz", "Olivetti faces"):
        return
    OUT.mkdir(exist_ok=True)
    faces = fetch_olivetti_faces(data_home=args.data_home, download_if_missing=False)
    imgs = faces.images.reshape(-1, 32, 2, 32, 2).mean(axis=(2, 4))  # 32x32
    X = imgs.reshape(len(imgs), -1).astype(np.float32)
    idx_train, idx_test = train_test_split(np.arange(len(X)), test_size=100,
                                           stratify=faces.target, random_state=0)
    X_train, X_test = X[idx_train], X[idx_test]
    mirror = X_train.reshape(-1, 32, 32)[:, :, ::-1].reshape(len(X_train), -1)
    X_aug = np.vstack([X_train, mirror,
                       augment(faces.images[idx_train], args.n_augment,
                               np.random.RandomState(args.random_state))])
    k = args.n_components
    pca = PCA(k, random_state=0).fit(X_aug)
    R_pca = pca.inverse_transform(pca.transform(X_test))
    # PCA is hurt by the transformed copies (its 30 directions then also
    # cover rotations and shifts): also report it fit on the plain faces
    pca_plain = PCA(k, random_state=0).fit(np.vstack([X_train, mirror]))
    e_pca_plain = mse(X_test, pca_plain.inverse_transform(pca_plain.transform(X_test)))
    sizes = tuple(int(s) for s in args.sizes.split(","))
    mu, sd = X_aug.mean(axis=0), X_aug.std(axis=0)
    layers = [GaussianBernoulliRBM(n_iter=args.pretrain_epochs, learning_rate=0.001,
                                   batch_size=args.batch_size)]
    layers += [BernoulliRBM(method="cd", n_iter=args.pretrain_epochs // 2,
                            batch_size=args.batch_size) for _ in sizes]
    ae = DeepAutoencoder(
        sizes, n_components=k, rbm=layers, solver="adam", learning_rate=1e-3,
        max_iter=args.epochs, batch_size=args.batch_size, weight_decay=args.weight_decay,
        early_stopping=True, validation_fraction=0.15, n_iter_no_change=20,
        random_state=args.random_state, verbose=0)
    t = time.perf_counter()
    ae.fit((X_aug - mu) / sd)
    fit_s = time.perf_counter() - t

    def reconstruct(A):
        return ae.inverse_transform(ae.transform((A - mu) / sd)) * sd + mu
    R_ae = reconstruct(X_test)
    e_ae, e_pca = mse(X_test, R_ae), mse(X_test, R_pca)
    e_ae_tr = mse(X_train, reconstruct(X_train))
    e_pca_tr = mse(X_train, pca.inverse_transform(pca.transform(X_train)))
    net = "-".join(map(str, (1024,) + sizes + (k,)))
    print(f"Olivetti 32x32, {len(X_aug)} training faces (mirrored and transformed copies), "
          f"{len(X_test)} test faces; squared error per face")
    print(f"  deep autoencoder {net}: test {e_ae:.3f}  train {e_ae_tr:.3f}  "
          f"(fit {fit_s:.0f} s, best epoch {ae.best_epoch_})")
    print(f"  PCA, {k} components:        test {e_pca:.3f}  train {e_pca_tr:.3f}")
    print(f"  PCA, {k} components, fit on the {2 * len(X_train)} plain and mirrored "
          f"faces only: test {e_pca_plain:.3f}")
    print(f"  ratio PCA / deep AE (test): {e_pca / e_ae:.2f}x "
          f"({e_pca_plain / e_ae:.2f}x against the plain-faces PCA)")
    idx = np.arange(0, 100, 10)
    fig = reconstruction_rows([X_test[idx], R_ae[idx], R_pca[idx]],
                              ["original", "deep AE", f"PCA-{k}"], (32, 32),
                              f"Olivetti test faces: deep AE {e_ae:.2f} vs PCA "
                              f"{e_pca:.2f}")
    save(fig, "deep_autoencoder_olivetti.png")
    from skdeepgen.plotting import plot_history
    ax = plot_history(ae, title="DeepAutoencoder fine-tuning (standardised pixels)")
    save(ax.figure, "deep_autoencoder_olivetti_history.png")

if __name__ == "__main__":
    main()
