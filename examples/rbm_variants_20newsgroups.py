"""
Replicated softmax RBM against LDA on 20 Newsgroups
===================================================

Features and held-out perplexity of a topic model made of an RBM.

2,000 most frequent words (English stop words removed, headers/footers/quotes
stripped), bydate split.  Both models get ``--topics`` latent units:

* ``ReplicatedSoftmaxRBM`` (CD-1, sparse CSR input) -> ``transform`` = p(h|v);
* ``sklearn.decomposition.LatentDirichletAllocation`` (online variational
  Bayes) -> document-topic proportions.

Features -> multinomial logistic regression trained on the training documents,
accuracy on the test documents; and per-word perplexity of ``--n-heldout``
test documents: the RSM's from AIS estimates of log Z_D (one per document
length; AIS tends to underestimate log Z, so this leans optimistic), LDA's
from the plug-in estimate with the document's own inferred topic proportions
(optimistic too) and from scikit-learn's ``perplexity`` (a variational bound
including the global topic term: pessimistic), beside a unigram (base-rate)
model's exact perplexity.

    python examples/rbm_variants_20newsgroups.py [--topics 50] [--epochs 30]

Quick mode (``SKDEEPGEN_QUICK=1``, the gallery build): the first 3,000
training documents, 20 topics, 10 epochs, AIS with 4 runs x 500
temperatures on 50 held-out documents: too little training for the RSM to
beat LDA as it does in the full run (see :doc:`/results`).  Needs
``../shared/data/scikit_learn_data/20news-bydate_py3.pkz``; skipped, with the
reason printed, when it is absent.  The figures: the RSM's learning curve
from ``history_`` and the perplexities side by side.
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
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--n-heldout", type=int, default=200)
    p.add_argument("--ais-runs", type=int, default=16)
    p.add_argument("--ais-betas", type=int, default=3000)
    p.add_argument("--n-train", type=int, default=None,
                   help="first N training documents (default: all)")
    quick_defaults(p, topics=20, epochs=10, n_heldout=50, ais_runs=4,
                   ais_betas=500, n_train=3000)
    args = p.parse_args(argv)
    if missing(DATA / "20news-bydate_py3.pkz", "20 Newsgroups"):
        return
    from sklearn.decomposition import LatentDirichletAllocation

    from skdeepgen import ReplicatedSoftmaxRBM
    from skdeepgen.units import ReplicatedSoftmaxUnits

    X_train, X_test, y_train, y_test = load(2000)
    X_train, y_train = X_train[:args.n_train], y_train[:args.n_train]
    print(f"20 Newsgroups: {X_train.shape[0]} train / {X_test.shape[0]} test documents, "
          f"{X_train.shape[1]} words, {X_train.nnz} non-zeros in train "
          f"(mean length {X_train.sum() / X_train.shape[0]:.0f} words)")

    rsm = ReplicatedSoftmaxRBM(args.topics, n_iter=args.epochs,
                               learning_rate=args.learning_rate, random_state=0)
    t = time.perf_counter()
    rsm.fit(X_train)
    t_rsm = time.perf_counter() - t
    err = rsm.history_["reconstruction_error"]
    print(f"RSM: {t_rsm:.0f} s ({t_rsm / args.epochs:.2f} s/epoch); reconstruction "
          f"error {err[0]:.0f} -> {err[-1]:.0f}")
    lda = LatentDirichletAllocation(args.topics, learning_method="online",
                                    max_iter=10, random_state=0)
    t = time.perf_counter()
    lda.fit(X_train)
    t_lda = time.perf_counter() - t
    print(f"LDA: {t_lda:.0f} s")

    acc_rsm = accuracy(rsm.transform(X_train), y_train, rsm.transform(X_test), y_test)
    acc_lda = accuracy(lda.transform(X_train), y_train, lda.transform(X_test), y_test)

    rng = np.random.RandomState(0)
    idx = np.sort(rng.choice(X_test.shape[0], args.n_heldout, replace=False))
    H = X_test[idx]
    lengths = np.unique(np.asarray(H.sum(axis=1)).ravel())
    t = time.perf_counter()
    res = rsm.estimate_log_partition(lengths=lengths, n_runs=args.ais_runs,
                                     n_betas=args.ais_betas)
    log_z = dict(zip(lengths.tolist(), np.atleast_1d(res.log_z).tolist()))
    t_ais = time.perf_counter() - t
    D = np.asarray(H.sum(axis=1)).ravel()
    ll = -rsm.free_energy(H) - np.array([log_z[d] for d in D])
    ppl_rsm = float(np.exp(-ll.sum() / D.sum()))
    ppl_lda_bound = float(lda.perplexity(X_test))  # sklearn: bound, whole test set
    # plug-in: theta inferred from the document itself, topics normalised
    theta = lda.transform(H)
    beta = lda.components_ / lda.components_.sum(axis=1, keepdims=True)
    Hc = H.tocoo()
    p_w = np.einsum("nk,nk->n", theta[Hc.row], beta[:, Hc.col].T)
    ppl_lda = float(np.exp(-(Hc.data * np.log(p_w)).sum() / H.sum()))
    unigram = ReplicatedSoftmaxUnits().base_rate_bias(X_train)
    ppl_uni = float(np.exp(-(H @ unigram).sum() / D.sum()))
    spread = float(np.max(res.log_z_std))
    print(f"AIS for {lengths.size} document lengths: {args.ais_runs} runs x "
          f"{args.ais_betas} temperatures, {t_ais:.0f} s; largest std of a log Z_D "
          f"{spread:.3f} nats")
    print()
    print(f"{'':30s}{'test accuracy':>15s}{'held-out perplexity':>22s}")
    print(f"{'unigram (base rate)':30s}{'-':>15s}{ppl_uni:>22.0f}")
    print(f"{'LDA, ' + str(args.topics) + ' topics':30s}{acc_lda:>15.3f}"
          f"{ppl_lda:>15.0f} (plug-in theta from the same document)")
    print(f"{'':45s}{ppl_lda_bound:>15.0f} (sklearn perplexity bound, all test docs)")
    print(f"{'RSM, ' + str(args.topics) + ' hidden units':30s}{acc_rsm:>15.3f}"
          f"{ppl_rsm:>16.0f} (AIS)")
    print(f"ratios RSM / LDA: accuracy {acc_rsm / acc_lda:.2f}, perplexity "
          f"{ppl_rsm / ppl_lda:.2f} (lower is better)")
    draw(rsm, {"unigram": ppl_uni, "LDA (plug-in)": ppl_lda,
               "LDA (sklearn bound)": ppl_lda_bound, "RSM (AIS)": ppl_rsm})


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
