"""Topic-model kernels: AIS over the topic assignments of LDA documents, and
the tempered word log-normalisers of the replicated softmax's length path."""
import math

import numpy as np

from ._config import inline, jit
from .random import _log_positive, _stream_base, _uniform64
from .units import _exp_nonpositive


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


@inline
def _log_sum_exp(x):
    """``log sum exp(x)`` of a float64 vector (finite entries)."""
    mx = -np.inf
    for j in range(x.shape[0]):
        mx = x[j] if x[j] > mx else mx
    tot = 0.0
    for j in range(x.shape[0]):
        tot += _exp_nonpositive(x[j] - mx)
    return mx + _log_positive(tot)


@jit
def _tempered_log_sum_exp(pre, bias, base_bias, t, out):
    """``out[i] = log sum_j exp((1 - t) base_bias[j] + t (pre[i, j] + bias[j]))``.

    The log normaliser of one word drawn from the geometric mixture of the
    base-rate distribution (``t = 0``) and the replicated softmax's word
    distribution given the hidden states (``t = 1``), per row, in float64.
    """
    n, m = pre.shape
    x = np.empty(m)
    for i in range(n):
        for j in range(m):
            x[j] = (1.0 - t) * base_bias[j] + t * (np.float64(pre[i, j]) + bias[j])
        out[i] = _log_sum_exp(x)


@jit
def _ascend_hidden_states(H, W, b, c, max_sweeps, f_out):
    """Greedy single-flip ascent of ``f(h) = c.h + log sum_w exp(b + W^T h)``
    from each row of ``H`` (binary, changed in place) to a local maximum over
    the hypercube (or ``max_sweeps`` sweeps); ``f_out`` gets ``f`` there.

    ``exp(D f(h))`` is the replicated softmax's weight of the hidden states
    ``h`` for documents of length ``D``: at long lengths the local maxima of
    ``f`` hold its mass.
    """
    n, n_hid = H.shape
    m = W.shape[1]
    a = np.empty(m)
    trial = np.empty(m)
    for i in range(n):
        lin = 0.0
        for j in range(m):
            a[j] = b[j]
        for k in range(n_hid):
            if H[i, k] != 0.0:
                lin += c[k]
                for j in range(m):
                    a[j] += W[k, j]
        f = lin + _log_sum_exp(a)
        for sweep in range(max_sweeps):
            moved = False
            for k in range(n_hid):
                sign = 1.0 - 2.0 * H[i, k]
                for j in range(m):
                    trial[j] = a[j] + sign * W[k, j]
                f_new = lin + sign * c[k] + _log_sum_exp(trial)
                if f_new > f + 1e-12:
                    H[i, k] = 1.0 - H[i, k]
                    lin += sign * c[k]
                    f = f_new
                    for j in range(m):
                        a[j] = trial[j]
                    moved = True
            if not moved:
                break
        f_out[i] = f
