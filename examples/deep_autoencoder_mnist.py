"""Deep autoencoder 784-1000-500-250-30 on MNIST vs 30-component PCA.

The RBM stack is pretrained greedily (CD-1), unrolled into encoder and
decoder, and fine-tuned on the cross-entropy reconstruction error with Adam
(Hinton & Salakhutdinov 2006 used conjugate gradients).  The code layer is
linear.  Prints the mean squared reconstruction error per test image for the
deep autoencoder and PCA, and saves originals / deep AE / PCA reconstructions
to examples/output/deep_autoencoder_mnist.png.

    python examples/deep_autoencoder_mnist.py [--pretrain-epochs 10] [--epochs 15]
"""
import argparse
import pickle
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from skdeepgen import BernoulliRBM, DeepAutoencoder
from skdeepgen.datasets import load_mnist

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "mnist"
OUT = HERE / "output"


def save_rows(rows, labels, path, shape, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = rows[0].shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0))
    for r, (imgs, label) in enumerate(zip(rows, labels)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.clip(imgs[c], 0, 1).reshape(shape), cmap="gray", vmin=0,
                      vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def mse(A, B):
    return float(np.mean(np.sum((np.asarray(A, np.float64) - B) ** 2, axis=1)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-home", default=str(DATA))
    p.add_argument("--pretrain-epochs", type=int, default=10)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--random-state", type=int, default=0)
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)
    X_train, X_test, _, _ = load_mnist(args.data_home, return_X_y=True)
    X_train = X_train[:args.n_train]

    t = time.perf_counter()
    pca = PCA(30, random_state=0).fit(X_train)
    R_pca = pca.inverse_transform(pca.transform(X_test))
    print(f"PCA-30 fit in {time.perf_counter() - t:.1f}s")

    rbm = BernoulliRBM(method="cd", n_iter=args.pretrain_epochs, learning_rate=0.05,
                       momentum=0.9, weight_decay=2e-4, batch_size=100)
    ae = DeepAutoencoder((1000, 500, 250), n_components=30, rbm=rbm,
                         solver="adam", learning_rate=1e-3, max_iter=args.epochs,
                         batch_size=100, verbose=2, random_state=args.random_state)
    t = time.perf_counter()
    ae.fit(X_train)
    fit_s = time.perf_counter() - t
    R_ae = ae.inverse_transform(ae.transform(X_test))
    e_ae, e_pca = mse(X_test, R_ae), mse(X_test, R_pca)
    print(f"\nMNIST test set ({len(X_test)} images), squared error per image:")
    print(f"  deep autoencoder 784-1000-500-250-30: {e_ae:.3f}  "
          f"(fit {fit_s:.0f} s on {len(X_train)} images)")
    print(f"  PCA, 30 components:                   {e_pca:.3f}")
    print(f"  ratio PCA / deep AE:                  {e_pca / e_ae:.2f}x")
    with open(OUT / "deep_autoencoder_mnist.pkl", "wb") as f:
        pickle.dump(ae, f)
    idx = np.arange(0, 2000, 200)
    save_rows([X_test[idx], R_ae[idx], R_pca[idx]],
              ["original", "deep AE", "PCA-30"],
              OUT / "deep_autoencoder_mnist.png", (28, 28),
              f"MNIST test digits: deep AE {e_ae:.2f} vs PCA {e_pca:.2f} "
              "squared error per image")
    print(f"figure -> {OUT / 'deep_autoencoder_mnist.png'}")


if __name__ == "__main__":
    main()
