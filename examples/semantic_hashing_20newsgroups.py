"""
Semantic hashing on 20 Newsgroups: deep binary codes against LSA
================================================================

Deep binary codes against LSA codes for document retrieval.

Documents are bags of the 2,000 most frequent words (headers, footers and
quotes removed), given to the autoencoder as word counts, as in Salakhutdinov
& Hinton (2009): a DeepAutoencoder 2000-500-500-B whose bottom layer is a
ReplicatedSoftmaxRBM (the layers above are BernoulliRBMs) is unrolled and
fine-tuned to reconstruct each document's word distribution through a
softmax, with noise before the code sigmoid so that the B code units become
binary (B = 32 and 128).  The reconstruction targets weight each word by a
power of its idf (``word_weights``, default idf ** 3): without it the codes
spend their bits on frequent, uninformative words (cosine similarity of
tf-idf vectors, which LSA uses, already weighs words by idf ** 2).  Each test document queries the
training set; retrieved documents are relevant when they come from the same
newsgroup.  Precision at the standard recall levels is printed side by side
for

* the deep binary codes (Hamming distance),
* LSA: TruncatedSVD of tf-idf with B real-valued dimensions (cosine), and
* binarised LSA: the same B dimensions thresholded at their median (Hamming),

and the precision-recall curves are drawn (and saved to examples/output/).

    python examples/semantic_hashing_20newsgroups.py [--bits 32 128] [--epochs 20]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): 32 bits only, 3,000
training and 1,000 test documents, 10 + 3 + 3 pretraining and 5 fine-tuning
epochs.  So few updates leave the deep codes far behind LSA (most bits stay
on); the full run's deep codes beat binarised LSA (see :doc:`/results`).
Needs ``../shared/data/scikit_learn_data/20news-bydate_py3.pkz``; skipped,
with the reason printed, when it is absent.
"""
import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_20newsgroups
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from _helpers import OUT, SHARED, missing, quick_defaults, save, title
from skdeepgen import BernoulliRBM, DeepAutoencoder, ReplicatedSoftmaxRBM
from skdeepgen.retrieval import hamming_distances

DATA = SHARED / "scikit_learn_data"
RECALLS = np.array([0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128,
                    0.256, 0.512, 1.0])


# %%
# Precision at recall levels, and the data
# ----------------------------------------

def precision_at_recall(dist_fn, n_queries, y_query, y_db, rng, chunk=500):
    """Mean precision at each recall level; ties broken at random (seeded).

    ``dist_fn(rows)`` returns the distances of queries ``rows`` to every
    database item (smaller is closer).
    """
    out = np.zeros(len(RECALLS))
    counts = np.bincount(y_db, minlength=y_query.max() + 1)
    for start in range(0, n_queries, chunk):
        rows = np.arange(start, min(start + chunk, n_queries))
        D = dist_fn(rows).astype(np.float64)
        D += 1e-6 * rng.uniform(size=D.shape)  # random order within ties
        order = np.argsort(D, axis=1)
        rel = (y_db[order] == y_query[rows, None])
        hits = np.cumsum(rel, axis=1)
        R = counts[y_query[rows]]
        for k, r in enumerate(RECALLS):
            need = np.maximum(1, np.ceil(r * R)).astype(int)
            pos = np.argmax(hits >= need[:, None], axis=1)  # 0-based rank
            out[k] += np.sum(need / (pos + 1))
    return out / n_queries


def load(data_home):
    kw = dict(data_home=data_home, download_if_missing=False,
              remove=("headers", "footers", "quotes"))
    train = fetch_20newsgroups(subset="train", **kw)
    test = fetch_20newsgroups(subset="test", **kw)
    vec = CountVectorizer(max_features=2000, stop_words="english")
    C_train = vec.fit_transform(train.data)
    C_test = vec.transform(test.data)
    keep_tr = np.asarray(C_train.sum(1)).ravel() > 0
    keep_te = np.asarray(C_test.sum(1)).ravel() > 0
    return (C_train[keep_tr], C_test[keep_te], train.target[keep_tr],
            test.target[keep_te])


# %%
# Train the deep autoencoder, compare with LSA
# --------------------------------------------

def main():
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--data-home", default=str(DATA))
    p.add_argument("--bits", type=int, nargs="+", default=[32, 128])
    p.add_argument("--rsm-epochs", type=int, default=100,
                   help="pretraining epochs of the bottom (word-count) RBM")
    p.add_argument("--pretrain-epochs", type=int, default=20,
                   help="pretraining epochs of the RBMs above it")
    p.add_argument("--epochs", type=int, default=20, help="fine-tuning epochs")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--code-noise", type=float, default=6.0)
    p.add_argument("--idf-power", type=float, default=3.0,
                   help="reconstruction targets weight each word by idf ** this "
                        "(0: the plain word distribution)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--n-train", type=int, default=None,
                   help="first N training documents (default: all)")
    p.add_argument("--n-test", type=int, default=None,
                   help="first N test documents (default: all)")
    quick_defaults(p, bits=[32], rsm_epochs=10, pretrain_epochs=3, epochs=5,
                   n_train=3000, n_test=1000)
    args = p.parse_args()
    if missing(Path(args.data_home) / "20news-bydate_py3.pkz", "20 Newsgroups"):
        return
    OUT.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    C_train, C_test, y_train, y_test = load(args.data_home)
    C_train, y_train = C_train[:args.n_train], y_train[:args.n_train]
    C_test, y_test = C_test[:args.n_test], y_test[:args.n_test]
    C_train, C_test = C_train.astype(np.float32), C_test.astype(np.float32)
    tfidf = TfidfTransformer().fit(C_train)
    weights = tfidf.idf_ ** args.idf_power if args.idf_power else None
    T_train, T_test = tfidf.transform(C_train), tfidf.transform(C_test)
    print(f"20 Newsgroups: {len(y_train)} train / {len(y_test)} test documents, "
          f"2000 words ({time.perf_counter() - t0:.1f}s)")
    rng = np.random.RandomState(args.random_state)
    curves = {}
    for bits in args.bits:
        t = time.perf_counter()
        # CD-1 with learned word biases: the settings the results were measured
        # with (the library's defaults since then aim at held-out likelihood)
        rbms = [ReplicatedSoftmaxRBM(n_iter=args.rsm_epochs, learning_rate=1e-3,
                                     batch_size=100, n_gibbs_steps=1,
                                     learn_visible_bias=True)] + [
            BernoulliRBM(method="cd", n_iter=args.pretrain_epochs,
                         learning_rate=0.05, momentum=0.9,
                         batch_size=args.batch_size)] * 2
        ae = DeepAutoencoder(
            (500, 500), n_components=bits, code="binary",
            code_noise_std=args.code_noise, rbm=rbms, word_weights=weights,
            solver="adam", learning_rate=args.learning_rate, max_iter=args.epochs,
            batch_size=args.batch_size, random_state=args.random_state, verbose=1)
        ae.fit(C_train)
        fit_s = time.perf_counter() - t
        H_train, H_test = ae.transform(C_train), ae.transform(C_test)
        deep = precision_at_recall(
            lambda r: hamming_distances(H_test[r], H_train), len(y_test),
            y_test, y_train, rng)
        svd = TruncatedSVD(bits, random_state=args.random_state).fit(T_train)
        L_train = normalize(svd.transform(T_train))
        L_test = normalize(svd.transform(T_test))
        lsa = precision_at_recall(lambda r: -(L_test[r] @ L_train.T), len(y_test),
                                  y_test, y_train, rng)
        med = np.median(svd.transform(T_train), axis=0)
        LB_train = (svd.transform(T_train) > med).astype(np.float32)
        LB_test = (svd.transform(T_test) > med).astype(np.float32)
        lsab = precision_at_recall(
            lambda r: hamming_distances(LB_test[r], LB_train), len(y_test),
            y_test, y_train, rng)
        curves[bits] = (deep, lsa, lsab)
        print(f"\n{bits}-bit codes (deep autoencoder fit in {fit_s:.0f} s; "
              f"{np.mean(H_train):.2f} of the bits are on)")
        print(f"{'recall':>8} {'deep binary':>12} {'LSA (real)':>11} {'LSA binarised':>14}")
        for r, a, b, c in zip(RECALLS, deep, lsa, lsab):
            print(f"{r:>8.3f} {a:>12.3f} {b:>11.3f} {c:>14.3f}")
        wins = np.mean(deep > lsa), np.mean(deep > lsab)
        print(f"deep codes beat real-valued LSA at {wins[0]:.0%} and binarised "
              f"LSA at {wins[1]:.0%} of the recall levels; mean precision "
              f"{deep.mean():.3f} vs {lsa.mean():.3f} / {lsab.mean():.3f}")
    draw(curves)


# %%
# Precision-recall curves
# -----------------------

def draw(curves):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 4),
                             squeeze=False)
    for ax, (bits, (deep, lsa, lsab)) in zip(axes.ravel(), curves.items()):
        ax.semilogx(RECALLS, deep, "o-", label=f"deep {bits}-bit (Hamming)")
        ax.semilogx(RECALLS, lsa, "s-", label=f"LSA {bits}-D (cosine)")
        ax.semilogx(RECALLS, lsab, "^-", label=f"LSA {bits}-bit (Hamming)")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title(f"20 Newsgroups, {bits} bits")
        ax.legend()
    save(fig, f"semantic_hashing_20newsgroups_{'_'.join(map(str, curves))}bits.png")


if __name__ == "__main__":
    main()
