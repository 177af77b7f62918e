"""Plain NumPy references for every Numba kernel (tests compare the two).

Other modules append their references here.
"""
import numpy as np

# ---------------------------------------------------------------- random
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix64(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def stream_base(seed):
    g = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        return mix64(np.uint64(seed) * g + g)


def uniform64(seed, counters):
    base = stream_base(seed)
    with np.errstate(over="ignore"):
        z = mix64(base + np.asarray(counters, dtype=np.uint64))
    return (z >> np.uint64(11)).astype(np.float64) / 9007199254740992.0


# ----------------------------------------------------------------- units
def sigmoid_sample(pre, bias, prob_scale, seed):
    """Reference for _kernels.units._sigmoid_sample: (probs*scale, samples)."""
    p = 1.0 / (1.0 + np.exp(-(pre.astype(np.float64) + bias)))
    n, m = pre.shape
    u = uniform64(seed, np.arange(n * m)).reshape(n, m)
    return prob_scale * p, (u < p).astype(np.float64)


def softplus_rowsum(pre, bias):
    return np.logaddexp(0, pre.astype(np.float64) + bias).sum(axis=1)


# ------------------------------------------------------------ optimizers
def momentum_step(param, grad, velocity, lr, momentum, weight_decay, grad_scale,
                  nesterov):
    g = grad_scale * grad + weight_decay * param
    v = momentum * velocity - lr * g
    if nesterov:
        return param + momentum * v - lr * g, v
    return param + v, v


def adam_step(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay, grad_scale):
    g = grad_scale * grad + weight_decay * param
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return param - lr_t * m / (np.sqrt(v) + eps), m, v


# ---------------------------------------------------------- sparse coding
def lasso_cd_gram(G, C, alpha, positive=False, n_sweeps=5000, tol=1e-14):
    """Plain cyclic coordinate descent on 1/2 a.T G a - c.T a + alpha |a|_1."""
    G = np.asarray(G, dtype=np.float64)
    A = np.zeros(C.shape, dtype=np.float64)
    for s, c in enumerate(np.asarray(C, dtype=np.float64)):
        a = A[s]
        for _ in range(n_sweeps):
            biggest = 0.0
            for j in range(len(c)):
                if G[j, j] <= 0:
                    continue
                z = c[j] - G[j] @ a + G[j, j] * a[j]
                new = np.sign(z) * max(abs(z) - alpha, 0.0) / G[j, j]
                if positive:
                    new = max(z - alpha, 0.0) / G[j, j]
                biggest = max(biggest, abs(new - a[j]))
                a[j] = new
            if biggest <= tol:
                break
    return A


def update_dict(D, A, B, candidates, tol):
    """Mairal et al. (2009) Algorithm 2, one pass over the atoms (rows)."""
    D = np.array(D, dtype=np.float64)
    for j in range(D.shape[0]):
        if A[j, j] <= tol:
            D[j] = candidates[j]
            continue
        u = D[j] + (B[j] - A[j] @ D) / A[j, j]
        D[j] = u / max(1.0, np.linalg.norm(u))
    return D


# ------------------------------------------------------- dense network (nn)
def normal64(seed, counters):
    """Reference for _kernels.random._normal64 (Box-Muller on 2c, 2c+1)."""
    c = np.asarray(counters, dtype=np.uint64)
    u1 = uniform64(seed, 2 * c)
    u2 = uniform64(seed, 2 * c + np.uint64(1))
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2 * np.pi * u2)


def activate(Z, kind):
    """kind: 0 identity, 1 logistic, 2 tanh, 3 relu, 4 softmax (rows)."""
    Z = np.asarray(Z, dtype=np.float64)
    if kind == 1:
        return 1.0 / (1.0 + np.exp(-Z))
    if kind == 2:
        return np.tanh(Z)
    if kind == 3:
        return np.maximum(Z, 0.0)
    if kind == 4:
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
    return Z


def add_bias_activate(Z, b, kind, noise_std, seed):
    """Reference for _kernels.nn._add_bias_activate."""
    n, m = Z.shape
    noise = noise_std * normal64(seed, np.arange(n * m)).reshape(n, m) if noise_std else 0.0
    return activate(Z.astype(np.float64) + noise + b, kind)


def activation_derivative(A, kind):
    A = np.asarray(A, dtype=np.float64)
    return {0: np.ones_like(A), 1: A * (1 - A), 2: 1 - A * A,
            3: (A > 0).astype(np.float64)}[kind]


def backprop_activation(D, A, kind):
    """Reference for _kernels.nn._backprop_activation: (D * f'(A), column sums)."""
    out = D * activation_derivative(A, kind)
    return out, out.sum(axis=0)


def softmax_cross_entropy(Z, b, Y):
    """Reference: (P, P * sum(Y) - Y, summed loss -sum Y log P)."""
    P = activate(Z.astype(np.float64) + b, 4)
    return P, P * Y.sum(axis=1, keepdims=True) - Y, float(-(Y * np.log(P)).sum())


def sigmoid_cross_entropy(Z, b, Y):
    """Reference: (P, P - Y, summed loss -y log p - (1-y) log(1-p))."""
    z = Z.astype(np.float64) + b
    P = activate(z, 1)
    return P, P - Y, float((np.logaddexp(0, z) - Y * z).sum())


def squared_error(Z, b, kind, Y):
    """Reference: (A, (A - Y) f'(A), summed 1/2 (A - Y)^2)."""
    A = activate(Z.astype(np.float64) + b, kind)
    R = A - Y
    return A, R * activation_derivative(A, kind), float(0.5 * (R * R).sum())


# ------------------------------------------------- unit types (RBM variants)
def gaussian_sample(pre, bias, var, seed):
    """Reference for _kernels.units._gaussian_sample: (means, samples)."""
    n, m = pre.shape
    mu = bias + var * pre.astype(np.float64)
    z = normal64(seed, np.arange(n * m)).reshape(n, m)
    return mu, mu + np.sqrt(var) * z


def nrelu_sample(pre, bias, seed):
    """Reference for _kernels.units._nrelu_sample: (max(0, x), noisy samples)."""
    n, m = pre.shape
    x = pre.astype(np.float64) + bias
    z = normal64(seed, np.arange(n * m)).reshape(n, m)
    return np.maximum(x, 0), np.maximum(x + np.sqrt(1 / (1 + np.exp(-x))) * z, 0)


def softmax_sample(pre, bias, K, mask, seed):
    """Reference for _kernels.units._softmax_sample: (probabilities, one-hot)."""
    n, m = pre.shape
    G = m // K
    x = (pre.astype(np.float64) + bias).reshape(n, G, K)
    p = np.exp(x - x.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    u = uniform64(seed, np.arange(n * G)).reshape(n, G)
    pick = np.minimum((np.cumsum(p, axis=2) <= u[..., None]).sum(axis=2), K - 1)
    s = np.zeros_like(p)
    np.put_along_axis(s, pick[..., None], 1.0, axis=2)
    if mask is not None:
        p = p * mask[..., None]
        s = s * mask[..., None]
    return p.reshape(n, m), s.reshape(n, m)


def multinomial_sample(pre, bias, lengths, seed):
    """Reference for _kernels.units._multinomial_sample: (expected counts, counts)."""
    n, m = pre.shape
    x = pre.astype(np.float64) + bias
    e = np.exp(x - x.max(axis=1, keepdims=True))
    cum = np.cumsum(e, axis=1)
    tot = cum[:, -1:]
    counts = np.zeros((n, m))
    counter = 0
    for i in range(n):
        # D draws in sorted order from D + 1 exponential spacings
        D = int(lengths[i])
        S = np.cumsum(-np.log(1.0 - uniform64(seed, np.arange(counter, counter + D + 1))))
        counter += D + 1
        t = S[:D] * (tot[i, 0] / S[D])
        idx = np.minimum(np.searchsorted(cum[i], t, side="right"), m - 1)
        np.add.at(counts[i], idx, 1.0)
    return lengths[:, None] * e / tot, counts


def stepped_softplus_rowsum(pre, bias):
    """Reference for _kernels.units._stepped_softplus_rowsum (2000 terms)."""
    x = pre.astype(np.float64) + bias
    return sum(np.logaddexp(0, x - k + 0.5).sum(axis=1) for k in range(1, 2001))


# ----------------------------------------------------- variational autoencoder
def sample_latent(H, keys, offset, K):
    """Reference for _kernels.vae._sample_latent: (eps, Z, log p(z) - log q(z|x))
    with full Gaussian densities (not the simplified sum)."""
    n, m2 = H.shape
    m = m2 // 2
    mu, lv = H[:, :m].astype(np.float64), H[:, m:].astype(np.float64)
    eps = np.stack([normal64(np.uint64(k), (offset + np.arange(K))[:, None] * m
                             + np.arange(m)) for k in keys])  # (n, K, m)
    Z = mu[:, None] + np.exp(0.5 * lv)[:, None] * eps
    log_p = -0.5 * (Z ** 2 + np.log(2 * np.pi)).sum(axis=2)
    log_q = -0.5 * (((Z - mu[:, None]) ** 2) / np.exp(lv)[:, None]
                    + lv[:, None] + np.log(2 * np.pi)).sum(axis=2)
    return eps.reshape(n * K, m), Z.reshape(n * K, m), log_p - log_q


def binarize(X, seed):
    u = uniform64(seed, np.arange(X.size)).reshape(X.shape)
    return (u < X).astype(np.float64)


def bernoulli_log_lik(L, X, K):
    """(log p(x | z) per (row, sample), gradient of -log p w.r.t. the logits)."""
    L = L.astype(np.float64).reshape(X.shape[0], K, -1)
    x = X.astype(np.float64)[:, None]
    p = 1 / (1 + np.exp(-L))
    ll = (x * L - np.logaddexp(0, L)).sum(axis=2)
    return ll, (p - x).reshape(-1, X.shape[1])


def gaussian_log_lik(M, X, K, log_var):
    M = M.astype(np.float64).reshape(X.shape[0], K, -1)
    var = np.exp(log_var.astype(np.float64))
    diff = M - X.astype(np.float64)[:, None]
    ll = -0.5 * (diff ** 2 / var + np.log(2 * np.pi * var)).sum(axis=2)
    return ll, (diff / var).reshape(-1, X.shape[1])


def log_mean_exp(logw):
    """Naive ``log(mean(exp(logw)))`` (underflows for large negative logw)
    and the normalised weights."""
    w = np.exp(logw)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(w.mean(axis=1)), w / w.sum(axis=1, keepdims=True)


def posterior_grad(H, eps, GZ, weights, analytic_kl):
    """Gradient of the negative objective w.r.t. [mu | lv] by the chain rule."""
    n, K = weights.shape
    m = H.shape[1] // 2
    mu, lv = H[:, :m].astype(np.float64), H[:, m:].astype(np.float64)
    sd = np.exp(0.5 * lv)
    e = eps.astype(np.float64).reshape(n, K, m)
    z = mu[:, None] + sd[:, None] * e
    g = GZ.astype(np.float64).reshape(n, K, m)
    if not analytic_kl:
        g = g + weights[:, :, None] * z
    g_mu = g.sum(axis=1)
    g_lv = 0.5 * sd * (g * e).sum(axis=1)
    if analytic_kl:
        return np.hstack([g_mu + mu, g_lv + 0.5 * (sd ** 2 - 1)])
    return np.hstack([g_mu, g_lv - 0.5])

# ----------------------------------------------------------- autoencoders
def corrupt(X, kind, level, seed):
    """Reference for _kernels.nn._corrupt (0 masking, 1 Gaussian, 2 salt-and-pepper)."""
    n, m = X.shape
    X = X.astype(np.float64)
    if kind == 1:
        return X + level * normal64(seed, np.arange(n * m)).reshape(n, m)
    u = uniform64(seed, np.arange(n * m)).reshape(n, m)
    if kind == 0:
        return np.where(u >= level, X, 0.0)
    return np.where(u >= level, X, np.where(u < 0.5 * level, 0.0, 1.0))


def tempered_log_sum_exp(pre, bias, base_bias, t):
    """Row-wise log-sum-exp of ``(1 - t) base_bias + t (pre + bias)``."""
    from scipy.special import logsumexp
    return logsumexp((1 - t) * base_bias + t * (pre.astype(np.float64) + bias), axis=1)


def ascend_hidden_states(H, W, b, c, max_sweeps):
    """Greedy single-flip ascent of ``c.h + logsumexp(b + W^T h)`` per row."""
    from scipy.special import logsumexp
    H = H.copy()
    f = lambda h: h @ c + logsumexp(b + h @ W)  # noqa: E731
    out = np.empty(H.shape[0])
    for i, h in enumerate(H):
        best = f(h)
        for _ in range(max_sweeps):
            moved = False
            for k in range(h.size):
                h[k] = 1 - h[k]
                new = f(h)
                if new > best + 1e-12:
                    best, moved = new, True
                else:
                    h[k] = 1 - h[k]
            if not moved:
                break
        out[i] = best
    return H, out


def sparse_rows_dot(S, W, out, accumulate):
    """``S @ W`` row by row over the non-zeros of ``S`` (``+= out`` when accumulating)."""
    res = np.stack([S[i, S[i] != 0] @ W[S[i] != 0] for i in range(S.shape[0])])
    return out + res if accumulate else res
