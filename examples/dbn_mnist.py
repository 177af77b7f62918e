"""
DBN on MNIST: greedy pretraining, fine-tuning, test error
=========================================================

784-500-500-2000 sigmoid DBN pretrained with CD-1 (one BernoulliRBM per
layer), unrolled with a 10-way softmax and fine-tuned by backpropagation
(Nesterov SGD, linear learning-rate decay) on the 60,000 training images;
test error on the 10,000 test images.  Generated digits: see
:ref:`sphx_glr_auto_examples_dbn_mnist_samples.py`.

    python examples/dbn_mnist.py [--pretrain-epochs 10] [--finetune-epochs 40] [--lr 0.3]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): a 784-256-256-512 net
on the first 3,000 training and 2,000 test images, 3 pretraining and 8
fine-tuning epochs (falls back to the 8x8 digits without
``../shared/data/mnist``).  The figures: the fine-tuning learning curves from
``history_`` and the confusion matrix on the test images.
"""
import argparse
import pickle
import time

from _helpers import OUT, SHARED, load_mnist_quick, quick_defaults, save, title
from skdeepgen import BernoulliRBM, DBNClassifier


# %%
# Pretrain and fine-tune
# ----------------------
# ``DBNClassifier`` pretrains the stack greedily (one ``BernoulliRBM`` per
# layer), then fine-tunes the unrolled network like scikit-learn's
# ``MLPClassifier``.

def main():
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data-home", default=str(SHARED / "mnist"))
    p.add_argument("--sizes", default="500,500,2000")
    p.add_argument("--pretrain-epochs", type=int, default=10)
    p.add_argument("--pretrain-lr", type=float, default=0.05)
    p.add_argument("--finetune-epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=0.3)
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--n-test", type=int, default=None,
                   help="first N test images (default: all)")
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--pretrained", default=None,
                   help="pickle of a fitted DBNClassifier whose pretrained DBN "
                        "is reused (skips pretraining; add its time yourself)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--out", default=None,
                   help="where to pickle the fitted classifier "
                        "(default: examples/output/dbn_mnist[_refit].pkl)")
    quick_defaults(p, sizes="256,256,512", pretrain_epochs=3, finetune_epochs=8,
                   n_train=3000, n_test=2000)
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)

    X_train, X_test, y_train, y_test, _ = load_mnist_quick(
        args.data_home, args.n_train, args.n_test)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    rbm = BernoulliRBM(method="cd", n_iter=args.pretrain_epochs,
                       learning_rate=args.pretrain_lr, momentum=0.9,
                       weight_decay=2e-4, batch_size=100)
    pretrain = True
    if args.pretrained:
        with open(args.pretrained, "rb") as f:
            pretrain = pickle.load(f).dbn_
    clf = DBNClassifier(sizes, rbm=rbm, pretrain=pretrain, solver="sgd",
                        learning_rate=args.lr,
                        momentum=0.9, learning_rate_schedule="linear",
                        weight_decay=args.weight_decay, batch_size=100,
                        max_iter=args.finetune_epochs, verbose=2,
                        random_state=args.random_state)
    t0 = time.perf_counter()
    clf.fit(X_train, y_train)
    total = time.perf_counter() - t0
    pre_s = total - sum(clf.history_["seconds"])
    err = 1.0 - clf.score(X_test, y_test)
    print(f"\nDBNClassifier {X_train.shape[1]}-{'-'.join(map(str, sizes))}-10 on "
          f"{len(X_train)} training images")
    print(f"pretraining {args.pretrain_epochs} epochs/layer: {pre_s:.0f} s; "
          f"fine-tuning {clf.n_iter_} epochs: {total - pre_s:.0f} s; "
          f"total {total:.0f} s ({total / 60:.1f} min)")
    print(f"TEST ERROR: {100 * err:.2f}% ({int(round(err * len(y_test)))} / "
          f"{len(y_test)})")
    out = args.out or OUT / f"dbn_mnist{'_refit' if args.pretrained else ''}.pkl"
    with open(out, "wb") as f:
        pickle.dump(clf, f)
    draw(clf, X_test, y_test)


# %%
# Learning curves and confusion matrix
# ------------------------------------

def draw(clf, X_test, y_test):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    from sklearn.metrics import ConfusionMatrixDisplay

    from skdeepgen.plotting import plot_history
    ax = plot_history(clf, title="DBNClassifier fine-tuning")
    save(ax.figure, "dbn_mnist_history.png")
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax,
                                          colorbar=False)
    ax.set_title("DBNClassifier: test confusion matrix")
    fig.tight_layout()
    save(fig, "dbn_mnist_confusion.png")


if __name__ == "__main__":
    main()
