"""
Replicated softmax RBM against LDA on 20 Newsgroups
===================================================

Features and held-out perplexity of a topic model made of an RBM, beside
LDA scored by the same kind of estimator, a unigram model and the
published figures.

2,000 most frequent words (English stop words removed, headers/footers/quotes
stripped), bydate split.  Both models get ``--topics`` latent units:

* ``ReplicatedSoftmaxRBM`` with the library's defaults (CD-5, 30 epochs,
  minibatches of 50, word biases held at the corpus frequencies) ->
  ``transform`` = p(h|v);
* ``sklearn.decomposition.LatentDirichletAllocation`` (batch variational
  Bayes, 20 iterations) -> document-topic proportions.

Features -> multinomial logistic regression trained on the training
documents, accuracy on the test documents.  Held-out perplexity of the first
``--n-heldout`` test documents: the RSM's by AIS over the document length
(``perplexity(..., return_interval=True)``: the band is three standard
errors of the AIS estimate), LDA's by AIS over its topic assignments
(``skdeepgen.evaluation.lda_log_likelihood``, ``--lda-runs`` x
``--lda-betas``), the unigram model's exactly.  AIS estimates of log Z (RSM)
err low and of log p (LDA) err low too, so the RSM figure leans optimistic
and LDA's pessimistic: more LDA temperatures lower LDA's figure (results:
897 with 200, 812 with 1,000).

    python examples/rbm_variants_20newsgroups.py [--topics 50] [--lda-betas 1000]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): the first 3,000
training documents, 20 topics, 10 epochs, 100 held-out documents, LDA AIS
with 50 temperatures: not the published comparison (see :doc:`/results`).
Needs ``../shared/data/scikit_learn_data/20news-bydate_py3.pkz``; skipped,
with the reason printed, when it is absent.  The figures: the RSM's learning
curve from ``history_`` and the perplexities side by side.
"""
import argparse
import time

import numpy as np
import scipy.sparse as sp

from _helpers import SHARED, missing, quick_defaults, save, title

DATA = SHARED / "scikit_learn_data"


# %%
# Data and a classifier on features
# ---------------------------------


def load(n_words):
    from sklearn.datasets import fetch_20newsgroups
    from sklearn.feature_extraction.text import CountVectorizer
    kw = dict(data_home=DATA, download_if_missing=False,
              remove=("headers", "footers", "quotes"))
    train = fetch_20newsgroups(subset="train", **kw)
    test = fetch_20newsgroups(subset="test", **kw)
    vec = CountVectorizer(max_features=n_words, stop_words="english")
    X_train = vec.fit_transform(train.data).astype(np.float64)
    X_test = vec.transform(test.data).astype(np.float64)
    keep_tr = np.asarray(X_train.sum(axis=1)).ravel() > 0
    keep_te = np.asarray(X_test.sum(axis=1)).ravel() > 0
    return (sp.csr_matrix(X_train[keep_tr]), sp.csr_matrix(X_test[keep_te]),
            train.target[keep_tr], test.target[keep_te])


def accuracy(F_train, y_train, F_test, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return clf.fit(F_train, y_train).score(F_test, y_test)


# %%
# Fit both topic models, compare
# ------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=title(__doc__))
    p.add_argument("--topics", type=int, default=50)
    p.add_argument("--epochs", type=int, default=None,
                   help="RSM epochs (default: the library's)")
    p.add_argument("--n-heldout", type=int, default=500)
    p.add_argument("--lda-runs", type=int, default=10)
    p.add_argument("--lda-betas", type=int, default=200)
    p.add_argument("--n-train", type=int, default=None,
                   help="first N training documents (default: all)")
    quick_defaults(p, topics=20, epochs=10, n_heldout=100, lda_betas=50,
                   n_train=3000)
    args = p.parse_args(argv)
    if missing(DATA / "20news-bydate_py3.pkz", "20 Newsgroups"):
        return
    from sklearn.decomposition import LatentDirichletAllocation

    from skdeepgen import ReplicatedSoftmaxRBM
    from skdeepgen.evaluation import lda_log_likelihood
    from skdeepgen.units import ReplicatedSoftmaxUnits

    X_train, X_test, y_train, y_test = load(2000)
    X_train, y_train = X_train[:args.n_train], y_train[:args.n_train]
    print(f"20 Newsgroups: {X_train.shape[0]} train / {X_test.shape[0]} test documents, "
          f"{X_train.shape[1]} words, {X_train.nnz} non-zeros in train "
          f"(mean length {X_train.sum() / X_train.shape[0]:.0f} words)")

    epochs = {} if args.epochs is None else {"n_iter": args.epochs}
    rsm = ReplicatedSoftmaxRBM(args.topics, random_state=0, **epochs)
    t = time.perf_counter()
    rsm.fit(X_train)
    t_rsm = time.perf_counter() - t
    err = rsm.history_["reconstruction_error"]
    print(f"RSM: fit {t_rsm:.0f} s ({rsm.n_iter_} epochs, CD-{rsm.n_gibbs_steps}); "
          f"reconstruction error {err[0]:.0f} -> {err[-1]:.0f}")
    lda = LatentDirichletAllocation(args.topics, learning_method="batch",
                                    max_iter=20, random_state=0)
    t = time.perf_counter()
    lda.fit(X_train)
    print(f"LDA: fit {time.perf_counter() - t:.0f} s")

    acc_rsm = accuracy(rsm.transform(X_train), y_train, rsm.transform(X_test), y_test)
    acc_lda = accuracy(lda.transform(X_train), y_train, lda.transform(X_test), y_test)

    H = X_test[:args.n_heldout]
    n_words = H.sum()
    t = time.perf_counter()
    ppl_rsm, low, high = rsm.perplexity(H, return_interval=True)
    t_rsm_score = time.perf_counter() - t
    t = time.perf_counter()
    log_p = lda_log_likelihood(lda, H, n_runs=args.lda_runs, n_betas=args.lda_betas,
                               random_state=0)
    t_lda_score = time.perf_counter() - t
    ppl_lda = float(np.exp(-log_p.sum() / n_words))
    unigram = ReplicatedSoftmaxUnits().base_rate_bias(X_train)
    ppl_uni = float(np.exp(-(H @ unigram).sum() / n_words))
    print(f"held-out: the first {H.shape[0]} test documents, {n_words:.0f} words")
    print()
    print(f"{'':24s}{'test accuracy':>14s}{'perplexity':>12s}  estimate")
    print(f"{'unigram (base rate)':24s}{'-':>14s}{ppl_uni:>12.0f}  exact")
    print(f"{'LDA, ' + str(args.topics) + ' topics':24s}{acc_lda:>14.3f}"
          f"{ppl_lda:>12.0f}  AIS over topic assignments, {args.lda_runs} runs x "
          f"{args.lda_betas} temperatures, {t_lda_score:.0f} s")
    print(f"{'RSM, ' + str(args.topics) + ' hidden units':24s}{acc_rsm:>14.3f}"
          f"{ppl_rsm:>12.0f}  AIS over document lengths, {t_rsm_score:.0f} s; "
          f"3-sigma band [{low:.0f}, {high:.0f}]")
    print(f"{'published (S&H 2009)':24s}{'':>14s}{'':>12s}  LDA-50 1,091, RSM-50 953 "
          "(other preprocessing: not comparable in level)")
    print(f"ratios RSM / LDA: accuracy {acc_rsm / acc_lda:.2f}, perplexity "
          f"{ppl_rsm / ppl_lda:.2f} (lower is better)")
    draw(rsm, {"unigram": ppl_uni, "LDA (AIS)": ppl_lda, "RSM (AIS)": ppl_rsm})


# %%
# Learning curve and perplexities
# -------------------------------

def draw(rsm, perplexities):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure")
        return
    from skdeepgen.plotting import plot_history
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_history(rsm, ["reconstruction_error"], ax=axes[0],
                 title="ReplicatedSoftmaxRBM reconstruction error")
    names = list(perplexities)
    axes[1].barh(names, [perplexities[n] for n in names])
    axes[1].set_xlabel("held-out perplexity per word (lower is better)")
    fig.tight_layout()
    save(fig, "rbm_variants_20newsgroups.png")

if __name__ == "__main__":
    main()
