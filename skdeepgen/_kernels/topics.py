"""Topic-model kernels: AIS over the topic assignments of LDA documents."""
import math

import numpy as np

from ._config import jit
from .random import _stream_base, _uniform64


@jit
def _lda_ais_logw(tokens, doc_ptr, log_phi, alpha, betas, n_runs, seed, logw):
    """Log importance weights of AIS from LDA's prior over topic assignments
    to their posterior, one document at a time (theta integrated out).

    ``p_beta(z) ∝ Polya(z; alpha) prod_n phi[z_n, w_n] ** beta``: each run
    draws ``z`` from the Polya urn (beta = 0), then for every temperature
    adds ``(beta_t - beta_{t-1}) sum_n log phi[z_n, w_n]`` to its log weight
    and makes one Gibbs sweep at ``beta_t``.  ``logw`` (n_docs, n_runs) is
    filled; ``log p(w_d) ~ logmeanexp(logw[d])``.
    """
    K = log_phi.shape[0]
    base = _stream_base(seed)
    n_docs = doc_ptr.shape[0] - 1
    max_len = 0
    for d in range(n_docs):
        max_len = max(max_len, doc_ptr[d + 1] - doc_ptr[d])
    z = np.empty(max_len, dtype=np.int64)
    counts = np.empty(K, dtype=np.float64)
    prob = np.empty(K, dtype=np.float64)
    counter = np.uint64(0)
    for d in range(n_docs):
        w = tokens[doc_ptr[d]:doc_ptr[d + 1]]
        N = w.shape[0]
        for r in range(n_runs):
            counts[:] = 0.0
            for n in range(N):  # the Polya urn: z_n | z_<n
                u = _uniform64(base, counter) * (n + K * alpha)
                counter += np.uint64(1)
                k = 0
                acc = counts[0] + alpha
                while acc <= u and k < K - 1:
                    k += 1
                    acc += counts[k] + alpha
                z[n] = k
                counts[k] += 1.0
            lw = 0.0
            for t in range(1, betas.shape[0]):
                ll = 0.0
                for n in range(N):
                    ll += log_phi[z[n], w[n]]
                lw += (betas[t] - betas[t - 1]) * ll
                beta = betas[t]
                for n in range(N):  # one Gibbs sweep at beta
                    counts[z[n]] -= 1.0
                    top = -math.inf
                    for k in range(K):
                        prob[k] = math.log(counts[k] + alpha) + beta * log_phi[k, w[n]]
                        top = max(top, prob[k])
                    total = 0.0
                    for k in range(K):
                        prob[k] = math.exp(prob[k] - top)
                        total += prob[k]
                    u = _uniform64(base, counter) * total
                    counter += np.uint64(1)
                    k = 0
                    acc = prob[0]
                    while acc <= u and k < K - 1:
                        k += 1
                        acc += prob[k]
                    z[n] = k
                    counts[k] += 1.0
            logw[d, r] = lw
