"""Log-likelihoods of RBMs: exact log Z for tiny models, AIS for real ones.

Everything here is written against the unit-type interface
(:mod:`skdeepgen.units`), so it serves every RBM variant (Bernoulli,
Gaussian, softmax, replicated softmax visibles; Bernoulli or NReLU hiddens)
and, later, the top RBM of a DBN or the layers of a DBM.

An RBM is described by ``W`` (n_hidden, n_visible), visible biases ``b``,
hidden biases ``c`` and its two unit types; the joint is

    p(v, h) ∝ exp(-E_vis(v; b) + v W^T h + s(v) c . h - E_hid(h))

where ``E_vis`` is the visible unit type's ``bias_energy`` and ``s(v)`` its
``hidden_bias_scale`` (the document length for replicated softmax, else 1).

``exact_log_partition``
    log Z by enumerating the smaller discrete layer (at most 2**20 states)
    and marginalising the other one analytically with ``log_partition``.
``annealed_importance_sampling``
    Salakhutdinov & Murray (2008): anneal from a *base-rate* model (no
    weights, visible biases fitted to the data's marginals, same hidden
    units) to the RBM through ``n_betas`` intermediate distributions
    ``p_beta(v) ∝ exp(-(1 - beta) E_A(v) - beta E_B(v)) * prod_j Z_j(beta)``,
    with one block-Gibbs transition per temperature, ``n_runs`` independent
    runs, and the spread of the estimate (``log_z_std`` and the ±3 sigma
    interval ``log(Z ± 3 sigma)`` of the paper).
``replicated_softmax_length_ais``
    The replicated softmax's ``log Z_D`` for every document length from one
    AIS run over the length (an inverse temperature of the hidden states),
    with the best hidden configurations (``rsm_hidden_modes``) summed
    exactly.

Variational autoencoders (:class:`~skdeepgen.VAE`) are scored by the
importance-weighted bound of Burda et al. (2016):

``importance_weighted_bound``
    ``log (1/k) sum_s p(x, z_s) / q(z_s | x)``, ``z_s ~ q(z | x)``, a lower
    bound on ``log p(x)`` that rises with ``k`` (``k = 1``: the ELBO)
    towards it.  Computed in log space and in blocks of rows and samples,
    so memory stays bounded for any ``k``.
"""
import hashlib
import itertools
import math
import time
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state

from ._kernels.vae import (_bernoulli_log_lik, _bernoulli_log_lik_grad32,
                           _gaussian_log_lik, _log_mean_exp, _row_keys,
                           _sample_latent)
from ._training.random import draw_seeds
from .units import ReplicatedSoftmaxUnits, layer_input

__all__ = ["AISResult", "ais_schedule", "annealed_importance_sampling",
           "decoder_log_likelihood", "exact_log_partition", "free_energy",
           "hidden_input", "importance_weighted_bound", "lda_log_likelihood",
           "effective_sample_size", "length_path_grid", "log_z_over_lengths",
           "n_states", "replicated_softmax_length_ais", "rsm_hidden_modes",
           "rbm_log_likelihood"]


def hidden_input(V, W, c, visible):
    """Hidden pre-activations including (scaled) hidden biases, float64."""
    pre = np.empty((V.shape[0], W.shape[0]))
    pre += layer_input(pre, [(V, W.T)], c, visible.hidden_bias_scale)  # + what is left
    return pre


def free_energy(V, W, b, c, visible, hidden):
    """``F(v) = -log sum_h exp(-E(v, h))`` per row (visible bound to ``V``)."""
    zeros = np.zeros(W.shape[0])
    return (visible.bias_energy(V, b)
            - hidden.log_partition(hidden_input(V, W, c, visible), zeros))


def _as64(W, b, c):
    return (np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64),
            np.asarray(c, dtype=np.float64))


def n_states(units, n_units):
    """Number of joint states of a layer, or None when it cannot be enumerated."""
    count = units.n_states(n_units) if units.discrete else None
    return count if count is not None and count <= 2 ** 20 else None


def exact_log_partition(W, b, c, visible, hidden, *, chunk=8192):
    """Exact ``log Z`` by enumerating the smaller discrete layer.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_visible)
        Weights, one row per hidden unit (an RBM's ``components_``).
    b, c : visible and hidden biases
        Visible and hidden biases.
    visible, hidden : Units
        Replicated softmax visibles must be bound to one document length
        (``ReplicatedSoftmaxUnits(lengths=D)``): Z depends on ``D``.
    chunk : int
        States processed at a time (bounds memory).

    Returns
    -------
    float
    """
    W, b, c = _as64(W, b, c)
    n_hid, n_vis = W.shape
    n_h = n_states(hidden, n_hid)
    n_v = n_states(visible, n_vis)
    scale = visible.hidden_bias_scale
    if scale is not None and np.ndim(scale) != 0:
        raise ValueError("exact_log_partition needs one document length (a scalar)")
    if n_h is None and n_v is None:
        raise ValueError(
            f"neither layer can be enumerated ({hidden!r} with {n_hid} units, "
            f"{visible!r} with {n_vis} units); exact log Z needs a discrete layer "
            "with at most 2**20 states. Use annealed_importance_sampling.")
    terms = []
    if n_h is not None and (n_v is None or n_h <= n_v):
        H = hidden.states(n_hid)
        c_eff = c * (1.0 if scale is None else float(scale))
        for s in range(0, H.shape[0], chunk):
            Hs = H[s:s + chunk]
            terms.append(-hidden.bias_energy(Hs, c_eff)
                         + visible.log_partition(np.ascontiguousarray(Hs @ W), b))
    else:
        V = visible.states(n_vis)
        zeros = np.zeros(n_hid)
        for s in range(0, V.shape[0], chunk):
            Vs = V[s:s + chunk]
            terms.append(-visible.bias_energy(Vs, b)
                         + hidden.log_partition(hidden_input(Vs, W, c, visible), zeros))
    return float(logsumexp(np.concatenate(terms)))


def ais_schedule(n_betas):
    """Inverse temperatures 0 = beta_0 < ... < beta_K = 1 (``n_betas`` = K).

    The proportions of Salakhutdinov & Murray (2008): 500 steps on [0, 0.5),
    4,000 on [0.5, 0.9) and 10,000 on [0.9, 1] for K = 14,500, scaled to K.
    """
    n_betas = int(n_betas)
    if n_betas < 3:
        raise ValueError(f"n_betas={n_betas}: AIS needs at least 3 temperatures")
    k1 = max(1, round(n_betas * 500 / 14500))
    k2 = max(1, round(n_betas * 4000 / 14500))
    k3 = n_betas - k1 - k2
    return np.concatenate([np.linspace(0.0, 0.5, k1, endpoint=False),
                           np.linspace(0.5, 0.9, k2, endpoint=False),
                           np.linspace(0.9, 1.0, k3 + 1)])


@dataclass
class AISResult:
    """Outcome of :func:`annealed_importance_sampling`.

    ``log_z`` is ``log mean(w) + log Z_base``; ``log_z_std`` the standard
    error of ``log_z`` (delta method, ``std(w) / (sqrt(n_runs) mean(w))``);
    ``log_z_low``/``log_z_high`` the paper's ``log(Z ± 3 sigma)`` interval
    (``-inf`` when ``3 sigma >= Z``).  With ``lengths`` (replicated softmax)
    each of these is an array with one entry per length.  ``ess`` is the
    effective number of runs (:func:`effective_sample_size`), when computed.
    """

    log_z: object
    log_z_std: object
    log_z_low: object
    log_z_high: object
    log_z_base: object
    log_weights: np.ndarray = field(repr=False)
    n_runs: int = 0
    n_betas: int = 0  # 0 runs / temperatures: an exact value
    seconds: float = 0.0
    lengths: object = None
    ess: object = None

    @classmethod
    def exact(cls, log_z):
        """An exactly known ``log_z``: zero spread, no runs."""
        return cls(log_z, 0.0, log_z, log_z, log_z, np.zeros(0))


class LogZCacheMixin:
    """The log Z of a fitted energy model, cached until its parameters change.

    For estimators with ``_learned_params()`` (the RBMs and the DBM) and an
    ``ais_params`` parameter: the parameters' hash, ``ais_params`` and the
    seed key a dict that ``estimate_log_partition`` fills and
    ``score_samples`` reads, so an expensive AIS estimate is made once per
    fitted state and AIS setting.
    """

    _parameter_constraints = {"ais_params": [None, dict]}
    #: AIS settings of ``score`` when ``ais_params`` does not set them
    _ais_defaults = {"n_runs": 100, "n_betas": 10000}

    def _validate_params(self):
        super()._validate_params()
        self._ais_params()

    def _ais_params(self):
        """``ais_params`` checked, as a dict (empty for None)."""
        params = {} if self.ais_params is None else dict(self.ais_params)
        unknown = sorted(set(params) - set(self._ais_defaults))
        if unknown:
            raise ValueError(
                f"ais_params has unknown key(s) {unknown} for "
                f"{type(self).__name__}; the keys are {sorted(self._ais_defaults)} "
                f"(defaults {self._ais_defaults})")
        for key, value in params.items():
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"ais_params[{key!r}] must be a positive integer; "
                                 f"got {value!r}")
        return params

    def _ais_given(self, n_runs=None, n_betas=None):
        """The AIS settings asked for, without the defaults: ``ais_params``,
        overridden by the arguments that are not None."""
        explicit = {k: v for k, v in (("n_runs", n_runs), ("n_betas", n_betas))
                    if v is not None}
        return {**self._ais_params(), **explicit}

    def _int_seed(self):
        """``random_state`` if an int, else 0: seeds of deterministic scores."""
        return self.random_state if isinstance(self.random_state, Integral) else 0

    def _param_key(self):
        h = hashlib.blake2b(digest_size=16)
        for a in self._learned_params().values():
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def _log_z_cache_for_params(self):
        """The log Z cache (a dict), emptied whenever the parameters,
        ``ais_params`` or the seed change."""
        key = (self._param_key(), sorted(self._ais_params().items()), self._int_seed())
        if getattr(self, "_log_z_cache", (None,))[0] != key:
            self._log_z_cache = (key, {})
        return self._log_z_cache[1]


def _summarise(logw):
    """(log mean w, std of log mean w, log(mean - 3 se), log(mean + 3 se)) per row."""
    logw = np.atleast_2d(logw)
    R = logw.shape[1]
    m = logw.max(axis=1, keepdims=True)
    w = np.exp(logw - m)
    mean = w.mean(axis=1)
    se = w.std(axis=1, ddof=1) / np.sqrt(R) if R > 1 else np.zeros_like(mean)
    with np.errstate(divide="ignore"):
        low = np.log(np.maximum(mean - 3 * se, 0.0)) + m[:, 0]
    return (np.log(mean) + m[:, 0], se / mean, low, np.log(mean + 3 * se) + m[:, 0])


def annealed_importance_sampling(W, b, c, visible, hidden, *, base_bias=None,
                                 n_runs=100, n_betas=10000, betas=None,
                                 lengths=None, random_state=None,
                                 max_rows=4096):
    """Estimate ``log Z`` of an RBM by annealed importance sampling.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_visible)
        Weights, one row per hidden unit (an RBM's ``components_``).
    b, c : ndarray
        Visible and hidden biases.
    visible, hidden : Units
        Unit types of the two layers (:mod:`skdeepgen.units`).
    base_bias : ndarray of shape (n_visible,), optional
        Visible biases of the base-rate model; ``visible.base_rate_bias(X)``
        on the training data is the usual choice.  Default: ``b`` (the
        model's own biases without weights).
    n_runs : int, default=100
        Independent AIS runs (importance weights).
    n_betas : int, default=10000
        Number of intermediate temperatures (ignored when ``betas`` given).
    betas : array, optional
        Increasing inverse temperatures from 0 to 1.
    lengths : array of int, optional
        Replicated softmax visibles: document lengths for which to estimate
        ``log Z_D`` (one estimate per length, ``n_runs`` runs each).
    random_state : int, RandomState or None
        Seeds the AIS chains.
    max_rows : int
        Chains advanced together (lengths are processed in groups).

    Returns
    -------
    AISResult

    See Also
    --------
    exact_log_partition : exact log Z of small models (to check AIS against).
    skdeepgen.rbm.BernoulliRBM.estimate_log_partition : AIS for a fitted RBM.

    References
    ----------
    .. [1] Neal, R. M. (2001). Annealed importance sampling. Statistics and
       Computing, 11(2), 125-139.
    .. [2] Salakhutdinov, R. & Murray, I. (2008). On the quantitative analysis of
       deep belief networks. ICML.
    """
    t0 = time.perf_counter()
    W, b, c = _as64(W, b, c)
    bA = b if base_bias is None else np.asarray(base_bias, dtype=np.float64)
    if bA.shape != b.shape:
        raise ValueError(f"base_bias has shape {bA.shape}, expected {b.shape}")
    betas = ais_schedule(n_betas) if betas is None else np.asarray(betas, float)
    if betas[0] != 0 or betas[-1] != 1 or np.any(np.diff(betas) <= 0):
        raise ValueError("betas must increase strictly from 0 to 1")
    rng = check_random_state(random_state)
    n_runs = int(n_runs)
    if isinstance(visible, ReplicatedSoftmaxUnits):
        scalar = lengths is None
        if scalar:
            if visible.lengths is None or np.ndim(visible.lengths) != 0:
                raise ValueError("replicated softmax visibles: pass `lengths`, "
                                 "the document lengths to estimate log Z for")
            lengths = [visible.lengths]
        lengths = np.asarray(lengths, dtype=np.float64).ravel()
        groups_per_batch = max(1, max_rows // n_runs)
        logw, logz0 = [], []
        for s in range(0, lengths.size, groups_per_batch):
            L = np.repeat(lengths[s:s + groups_per_batch], n_runs)
            lw, lz = _ais_runs(W, b, c, bA, ReplicatedSoftmaxUnits(L), hidden,
                               betas, L.size, rng)
            logw.append(lw.reshape(-1, n_runs))
            logz0.append(lz.reshape(-1, n_runs)[:, 0])
        logw = np.concatenate(logw)
        logz0 = np.concatenate(logz0)
        lz, std, lo, hi = _summarise(logw)
        out = [lz + logz0, std, lo + logz0, hi + logz0, logz0]
        if scalar:
            out, logw, lengths = [float(x[0]) for x in out], logw[0], float(lengths[0])
        return AISResult(*out, logw, n_runs, betas.size - 1,
                         time.perf_counter() - t0, lengths)
    logw, logz0 = _ais_runs(W, b, c, bA, visible, hidden, betas, n_runs, rng)
    lz, std, lo, hi = (float(x[0]) for x in _summarise(logw))
    z0 = float(logz0[0])
    return AISResult(lz + z0, std, lo + z0, hi + z0, z0, logw, n_runs,
                     betas.size - 1, time.perf_counter() - t0)


def _ais_runs(W, b, c, bA, vis, hid, betas, n, rng):
    """``n`` AIS chains; returns (log weights, log Z_base) per chain."""
    n_hid, n_vis = W.shape
    K = betas.size - 1
    seeds = draw_seeds(rng, 2 * K + 1)
    zeros_h = np.zeros(n_hid)
    zv = np.zeros((n, n_vis))
    log_z0 = vis.log_partition(zv, bA) + hid.log_partition(np.zeros((n, n_hid)), zeros_h)
    v = vis.sample(zv, bA, seeds[0])
    logw = np.zeros(n)
    pre_v = np.empty((n, n_vis))
    scaled = np.empty((n, n_hid))
    for k in range(1, K + 1):
        beta, prev = betas[k], betas[k - 1]
        eA = vis.bias_energy(v, bA)
        eB = vis.bias_energy(v, b)
        pre = hidden_input(v, W, c, vis)
        np.multiply(pre, prev, out=scaled)
        lp_prev = -(1 - prev) * eA - prev * eB + hid.log_partition(scaled, zeros_h)
        np.multiply(pre, beta, out=scaled)
        lp_k = -(1 - beta) * eA - beta * eB + hid.log_partition(scaled, zeros_h)
        logw += lp_k - lp_prev
        if k == K:
            break
        # one block-Gibbs transition leaving p_beta invariant
        h = hid.sample(scaled, zeros_h, seeds[2 * k - 1])
        np.dot(h, W, out=pre_v)
        pre_v *= beta
        v = vis.sample(pre_v, (1 - beta) * bA + beta * b, seeds[2 * k])
    return logw, log_z0


def length_path_grid(max_length, *, n_dense=64, growth=1 / 32):
    """Document lengths visited by :func:`replicated_softmax_length_ais`.

    Every length from 0 to ``n_dense``, then lengths growing by about
    ``growth`` of themselves per step (at least one word) up to
    ``max_length``, which ends the grid.
    """
    max_length = int(max_length)
    if max_length < 0:
        raise ValueError(f"max_length={max_length}: lengths are non-negative")
    grid = list(range(min(n_dense, max_length) + 1))
    while grid[-1] < max_length:
        grid.append(min(max_length, grid[-1] + max(1, int(grid[-1] * growth))))
    return np.asarray(grid, dtype=np.int64)


def replicated_softmax_length_ais(W, b, c, lengths, *, base_bias=None,
                                  n_runs=100, n_betas=50, min_ess=None,
                                  max_runs=None, n_modes=16, mode_radius=2,
                                  random_state=None, max_rows=1024):
    """``log Z_D`` of a replicated-softmax RBM (Bernoulli hiddens) for every
    document length ``D`` in ``lengths``, by one AIS run over the length.

    With the words summed out, the hidden states of documents of length
    ``D`` follow ``p_D(h) ∝ exp(D f(h))``, ``f(h) = c.h + logsumexp(b +
    W^T h)``: the length is an inverse temperature, ``D = 0`` is the uniform
    distribution (``log Z_0 = n_hidden log 2``) and every length on the way to
    ``max(lengths)`` is an intermediate distribution of the same annealing
    run, whose partial importance weights estimate its ``Z_D``.  Words are
    added one grid step at a time (``k`` words), each annealed in from the
    base-rate word distribution ``b_A``: between lengths ``D`` and ``D + k``
    the runs visit ``p(h) ∝ exp(D f(h)) g_t(h)^k`` with ``g_t(h) =
    exp(t c.h) sum_w exp((1 - t) b_A[w] + t (b + W^T h)[w])``, ``t`` rising
    from 0 to 1, and make one block-Gibbs transition at each ``t`` (``D``
    words from the model, ``k`` from the tempered distribution, then the
    hiddens).  The importance weights use the words-summed-out densities
    (Rao-Blackwellised).  The cost is that of one AIS run at the longest
    length; every shorter length comes free.  The runs visit the lengths of
    :func:`length_path_grid` and those asked for, and each of these gets its
    own estimate (no interpolation).

    At long lengths ``p_D(h)`` concentrates on the best local maxima
    (modes) of ``f``, and the runs, frozen in whatever mode they were in at
    a few dozen words, may never reach a mode that only takes over later
    (e.g. all hiddens off, when the word biases alone favour a few words).
    So the best modes are searched for first (:func:`rsm_hidden_modes`, also
    from the states of an independent pilot run at its longest lengths), the
    states within Hamming distance ``mode_radius`` of them are summed
    exactly, and a run's weight counts only when its state is outside those
    balls: each run's weight is ``exact part + w_r 1[h_r outside]``, still
    unbiased.  Mass near modes that neither the search nor the runs reach is
    missed, and the spread cannot show it.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_words)
    b, c : ndarray
        Visible (word) and hidden biases; the hidden biases are multiplied
        by the document length.
    lengths : array-like of int
        Document lengths to estimate ``log Z_D`` for (repeats allowed).
    base_bias : ndarray of shape (n_words,), optional
        Log word probabilities of the base-rate (unigram) distribution words
        are annealed in from (default ``b``).
    n_runs : int, default=100
        Independent runs (importance weights), or runs per batch with
        ``min_ess``.
    n_betas : int, default=50
        Temperatures ``t`` of the first word; a step from ``D`` to ``D + k``
        gets ``ceil(n_betas k / (D + k))`` of them.
    min_ess : float, optional
        Add batches of ``n_runs`` runs until the effective number of runs
        (:func:`effective_sample_size`) at every length asked for reaches
        ``min_ess``, or ``max_runs`` runs have been made.
    max_runs : int, optional
        Most runs made with ``min_ess`` (default ``10 * n_runs``).
    n_modes : int, default=16
        Local maxima of ``f`` whose neighbourhoods are summed exactly (0: none).
    mode_radius : int, default=2
        Hamming radius of those neighbourhoods, lowered until they hold at
        most ``2**(n_hidden - 16)`` states (small models: no modes).
    random_state : int, RandomState or None
    max_rows : int
        Runs advanced together.

    Returns
    -------
    AISResult
        One entry per visited length (``lengths``: the grid, which includes
        every length asked for); ``log_weights`` has shape (n_lengths,
        n_runs) and ``ess`` is the effective number of runs per length.
    """
    from ._kernels.topics import _tempered_log_sum_exp

    t0 = time.perf_counter()
    W, b, c = _as64(W, b, c)
    bA = b if base_bias is None else np.asarray(base_bias, dtype=np.float64)
    if bA.shape != b.shape:
        raise ValueError(f"base_bias has shape {bA.shape}, expected {b.shape}")
    lengths = np.asarray(lengths, dtype=np.float64).ravel()
    if lengths.size == 0 or np.any(lengths < 0) or np.any(lengths != np.round(lengths)):
        raise ValueError("lengths must be non-negative integers (at least one)")
    grid = np.union1d(length_path_grid(lengths.max()), lengths.astype(np.int64))
    n_runs, n_betas = int(n_runs), int(n_betas)
    if n_runs < 1 or n_betas < 1:
        raise ValueError(f"n_runs={n_runs}, n_betas={n_betas}: need at least 1")
    max_runs = 10 * n_runs if max_runs is None else int(max_runs)
    rng = check_random_state(random_state)
    n_hid = W.shape[0]
    steps = [(D0, D1 - D0, np.linspace(0.0, 1.0, 1 + int(np.ceil(n_betas * (D1 - D0) / D1))))
             for D0, D1 in zip(grid[:-1], grid[1:])]
    n_temps = sum(ts.size - 1 for _, _, ts in steps)
    log_z0 = n_hid * np.log(2.0)
    # balls small beside the state space (small models: none), so that short
    # documents, whose mass is spread out, are left to the runs
    radius = int(mode_radius)
    while radius >= 0 and n_modes * sum(
            math.comb(n_hid, r) for r in range(radius + 1)) > 2.0 ** (n_hid - 16):
        radius -= 1
    modes = np.zeros((0, n_hid))
    if n_modes and radius >= 0:
        # a pilot run (independent of the estimate's runs) climbs towards the
        # modes that matter at long lengths: its states seed the search
        snaps = set(np.searchsorted(grid, grid[-1] / 2.0 ** np.arange(4)).tolist())
        _, pilot = _length_path_runs(W, b, c, bA, steps, n_runs, rng, max_rows,
                                     modes, -1, snapshots=snaps)
        modes = rsm_hidden_modes(W, b, c, n_modes, starts=pilot, random_state=rng)
    ball = _hamming_ball(modes, radius)
    f_ball = np.empty(ball.shape[0])
    _tempered_log_sum_exp(ball @ W, b, b, 1.0, f_ball)
    f_ball += ball @ c
    # log of the exact part, relative to Z_0 = 2 ** n_hidden
    exact = logsumexp(grid[:, None] * f_ball[None, :], axis=1) - log_z0 \
        if ball.size else np.full(grid.size, -np.inf)

    def batch(R):
        lw = _length_path_runs(W, b, c, bA, steps, R, rng, max_rows, modes, radius)
        return np.logaddexp(lw, exact[:, None])

    wanted = np.searchsorted(grid, lengths)
    logw = batch(n_runs)
    while (min_ess is not None and logw.shape[1] < max_runs
           and effective_sample_size(logw[wanted]).min() < min_ess):
        logw = np.hstack([logw, batch(min(n_runs, max_runs - logw.shape[1]))])
    lz, std, lo, hi = _summarise(logw)
    return AISResult(lz + log_z0, std, lo + log_z0, hi + log_z0,
                     np.full(grid.size, log_z0), logw, logw.shape[1], n_temps,
                     time.perf_counter() - t0, grid, effective_sample_size(logw))


def rsm_hidden_modes(W, b, c, n_modes=16, *, starts=None, n_random=64,
                     random_state=None):
    """The best local maxima of ``f(h) = c.h + logsumexp(b + W^T h)`` found
    by greedy single-flip ascent, best first.

    ``exp(D f(h))`` is a replicated-softmax RBM's weight of the hidden states
    ``h`` for documents of length ``D``, so these hold ``Z_D`` at long
    lengths.  The ascents start from all hiddens off, from the hidden states
    of each one-word document repeated (``W[:, w] + c > 0``), from
    ``n_random`` uniform draws and from ``starts`` (binary states, e.g.
    samples of long documents' hidden states).

    Returns
    -------
    modes : ndarray of shape (n_found, n_hidden), n_found <= n_modes
    """
    from ._kernels.topics import _ascend_hidden_states

    W, b, c = _as64(W, b, c)
    rng = check_random_state(random_state)
    starts = np.vstack([np.zeros((1, W.shape[0])), (W.T + c > 0),
                        rng.uniform(size=(n_random, W.shape[0])) < 0.5]
                       + ([] if starts is None else [np.asarray(starts) > 0.5]))
    H = np.unique(starts.astype(np.float64), axis=0)
    f = np.empty(H.shape[0])
    _ascend_hidden_states(H, W, b, c, 100, f)
    H, first = np.unique(H, axis=0, return_index=True)
    return H[np.argsort(-f[first], kind="stable")[:n_modes]]


def _hamming_ball(centres, radius):
    """Distinct binary states within Hamming distance ``radius`` of a centre."""
    n = centres.shape[1]
    states = [centres]
    for r in range(1, radius + 1):
        for flip in itertools.combinations(range(n), r):
            s = centres.copy()
            s[:, flip] = 1 - s[:, flip]
            states.append(s)
    return np.unique(np.vstack(states), axis=0) if centres.size else centres


def _length_path_runs(W, b, c, bA, steps, n_runs, rng, max_rows, modes, radius,
                      snapshots=()):
    """Log weights (n_grid, n_runs) of ``log Z_D - n_hidden log 2`` along the
    length path ``steps`` ((D, k, temperatures) per grid step); ``-inf`` where
    the run's state is within Hamming distance ``radius`` of ``modes``.  With
    ``snapshots`` (grid indices), also the runs' hidden states there."""
    from ._kernels.topics import _tempered_log_sum_exp
    from .units import BernoulliUnits

    n_hid, n_vis = W.shape
    hid = BernoulliUnits()
    lz_base = float(logsumexp(bA))
    n_temps = sum(ts.size - 1 for _, _, ts in steps)
    logw = np.empty((len(steps) + 1, n_runs))
    zeros_h = np.zeros(n_hid)
    states = []

    def outside(h, lw):
        near = (h @ (1 - modes).T + (1 - h) @ modes.T <= radius).any(axis=1)
        return np.where(near, -np.inf, lw)

    for r0 in range(0, n_runs, max_rows):
        R = min(max_rows, n_runs - r0)
        seeds = draw_seeds(rng, 1 + 3 * n_temps)
        h = hid.sample(np.zeros((R, n_hid)), zeros_h, seeds[0])
        lw = np.zeros(R)
        logw[0, r0:r0 + R] = outside(h, lw)
        pre = np.empty((R, n_vis))
        v, u = np.empty((R, n_vis)), np.empty((R, n_vis))
        g_old, g_new = np.empty(R), np.empty(R)
        pre_h = np.empty((R, n_hid))
        s = 1
        for i, (D0, k, ts) in enumerate(steps):
            lw += k * lz_base  # exp(D0 f) g_0^k = exp(D0 f) Z_A^k
            L0, Lk = np.full(R, float(D0)), np.full(R, float(k))
            for t_prev, t in zip(ts[:-1], ts[1:]):
                np.dot(h, W, out=pre)
                _tempered_log_sum_exp(pre, b, bA, t_prev, g_old)
                _tempered_log_sum_exp(pre, b, bA, t, g_new)
                lw += k * ((t - t_prev) * (h @ c) + g_new - g_old)
                # one block-Gibbs transition at t: D0 model words, k tempered ones
                ReplicatedSoftmaxUnits(L0).sample(pre, b, seeds[s], out=v)
                pre *= t
                ReplicatedSoftmaxUnits(Lk).sample(pre, (1 - t) * bA + t * b,
                                                  seeds[s + 1], out=u)
                v += t * u
                np.dot(v, W.T, out=pre_h)
                pre_h += (D0 + t * k) * c
                h = hid.sample(pre_h, zeros_h, seeds[s + 2])
                s += 3
            logw[i + 1, r0:r0 + R] = outside(h, lw)
            if i + 1 in snapshots:
                states.append(h.copy())
    return (logw, np.vstack(states)) if snapshots else logw


def effective_sample_size(log_weights):
    """Kish's effective number of importance weights, ``(sum w)^2 / sum w^2``,
    along the last axis."""
    lw = np.asarray(log_weights, dtype=np.float64)
    w = np.exp(lw - lw.max(axis=-1, keepdims=True))
    return w.sum(axis=-1) ** 2 / (w ** 2).sum(axis=-1)


def rbm_log_likelihood(V, W, b, c, visible, hidden, log_z):
    """``log p(v) = -F(v) - log Z`` per row; ``log_z`` a float or one per row."""
    return -free_energy(V, W, b, c, visible, hidden) - np.asarray(log_z)


def log_z_over_lengths(lengths, estimate, n_grid=24):
    """``log Z_D`` of a replicated-softmax RBM for many document lengths from
    at most ``n_grid`` estimates.

    ``log Z_D = log sum_h exp(D f(h))`` (the hidden biases are scaled by
    ``D``) is a log-sum-exp of functions linear in ``D``: smooth, convex and
    asymptotically linear.  With more distinct lengths than ``n_grid`` it is
    estimated on a geometric grid spanning them (endpoints included) and
    interpolated by a shape-preserving cubic (PCHIP); a length 0 (empty
    documents) is estimated as a grid point of its own.

    Parameters
    ----------
    lengths : array-like of int
        Document lengths (repeats allowed).
    estimate : callable
        ``estimate(Ds)`` -> array of ``log Z_D`` for a sorted array of
        distinct lengths (exact enumeration or AIS).
    n_grid : int, default=24
        At most this many calls' worth of lengths are estimated.

    Returns
    -------
    log_z : ndarray of shape (n_distinct,)
        For ``np.unique(lengths)``, in that order.
    """
    from scipy.interpolate import PchipInterpolator

    D = np.unique(np.asarray(lengths, dtype=np.float64))
    if D.size <= n_grid:
        return np.asarray(estimate(D), dtype=np.float64)
    positive = D[D > 0]
    grid = np.unique(np.round(np.geomspace(positive[0], positive[-1], n_grid)))
    grid = np.union1d(grid, D[D == 0])
    values = np.asarray(estimate(grid), dtype=np.float64)
    return PchipInterpolator(grid, values)(D)


def lda_log_likelihood(lda, X, *, n_runs=10, n_betas=200, random_state=None):
    """Held-out log-likelihood of documents under a fitted LDA, by AIS.

    Estimates ``log p(w_d) = log sum_z p(z | alpha) prod_n phi[z_n, w_n]``
    for each document of ``X`` under scikit-learn's
    :class:`~sklearn.decomposition.LatentDirichletAllocation`, with the
    topic proportions integrated out (Polya urn) and annealed importance
    sampling from the prior over topic assignments to their posterior (one
    Gibbs sweep per temperature; Wallach et al. 2009 compare estimators of
    this quantity).  ``phi`` is the posterior mean of the topics
    (``components_`` normalised) and ``alpha`` the fitted
    ``doc_topic_prior_``.  This is the document likelihood that
    :meth:`ReplicatedSoftmaxRBM.score_samples` estimates, so the two
    models' perplexities compare like for like; scikit-learn's own
    ``score``/``perplexity`` give the variational bound (pessimistic).

    AIS estimates are stochastic lower bounds in expectation: more
    ``n_betas`` tighten them.

    Parameters
    ----------
    lda : fitted LatentDirichletAllocation
    X : {array-like, sparse matrix} of shape (n_documents, n_words)
        Word counts, with the vocabulary ``lda`` was fitted on.
    n_runs : int, default=10
        AIS runs per document (averaged in probability).
    n_betas : int, default=200
        Temperatures, evenly spaced on [0, 1].
    random_state : int, RandomState instance or None, default=None
        Seed of the runs.

    Returns
    -------
    log_p : ndarray of shape (n_documents,)
        Natural-log probabilities of each document's word sequence;
        perplexity is ``exp(-log_p.sum() / X.sum())``.

    References
    ----------
    Wallach, Murray, Salakhutdinov & Mimno (2009), Evaluation methods for
    topic models, ICML.  Salakhutdinov & Hinton (2009), Replicated softmax.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import LatentDirichletAllocation
    >>> from skdeepgen.evaluation import lda_log_likelihood
    >>> X = np.random.RandomState(0).poisson(1.0, (30, 8))
    >>> lda = LatentDirichletAllocation(2, random_state=0).fit(X)
    >>> lda_log_likelihood(lda, X[:3], random_state=0).shape
    (3,)
    """
    import scipy.sparse as sp

    from ._kernels.topics import _lda_ais_logw

    topics = np.asarray(lda.components_, dtype=np.float64)
    X = sp.csr_matrix(X)
    if X.shape[1] != topics.shape[1]:
        raise ValueError(f"X has {X.shape[1]} words; the LDA was fitted on "
                         f"{topics.shape[1]}")
    counts = X.data
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("X must hold non-negative integer word counts")
    log_phi = np.log(topics / topics.sum(axis=1, keepdims=True))
    tokens = np.repeat(X.indices, counts.astype(np.int64)).astype(np.int64)
    lengths = np.asarray(X.sum(axis=1), dtype=np.int64).ravel()
    doc_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    seed = int(draw_seeds(check_random_state(random_state)))
    logw = np.empty((X.shape[0], int(n_runs)))
    _lda_ais_logw(tokens, doc_ptr, log_phi, float(lda.doc_topic_prior_),
                  np.linspace(0.0, 1.0, int(n_betas) + 1), int(n_runs), seed, logw)
    return logsumexp(logw, axis=1) - np.log(n_runs)

# ------------------------------------------------------------------ VAEs
def decoder_log_likelihood(out, X, n_samples, log_var=None, delta=None):
    """``log p(x | z)`` of each latent sample (fused, one pass).

    Parameters
    ----------
    out : ndarray of shape (n * n_samples, n_features)
        Decoder outputs for the latent samples (row ``i * n_samples + s`` is
        sample ``s`` of row ``i``): Bernoulli logits, or Gaussian means.
    X : ndarray of shape (n, n_features)
        The data, in ``out``'s dtype.
    n_samples : int
    log_var : ndarray of shape (n_features,) or None
        Per-feature log variances of a Gaussian decoder; None: Bernoulli.
    delta : ndarray like ``out`` or None
        If given, filled with the gradient of ``-log p(x | z)`` w.r.t. ``out``
        (training: a float32 Bernoulli decoder then computes each term in
        float32, the sums in float64).

    Returns
    -------
    ndarray of shape (n, n_samples), float64
    """
    ll = np.empty((X.shape[0], n_samples))
    grad = delta is not None
    D = delta if grad else np.empty((0, 0), out.dtype)
    if log_var is None and grad and out.dtype == np.float32:
        _bernoulli_log_lik_grad32(out, X, n_samples, D, ll)  # training
    elif log_var is None:
        _bernoulli_log_lik(out, X, n_samples, grad, D, ll)
    else:
        _gaussian_log_lik(out, X, n_samples, log_var, grad, D, ll)
    return ll


def importance_weighted_bound(encoder, decoder, X, *, n_samples=1,
                              decoder_log_var=None, seed=0,
                              max_elements=2 ** 22):
    """Importance-weighted lower bound on ``log p(x)`` per row (Burda et al. 2016).

    ``log (1/k) sum_s exp(log p(x | z_s) + log p(z_s) - log q(z_s | x))``
    with ``k = n_samples`` reparameterised draws ``z_s`` of the diagonal
    Gaussian posterior, a standard normal prior, and the max-shifted
    log-sum-exp.  ``k = 1`` is a one-sample estimate of the ELBO; the bound's
    expectation rises with ``k`` towards ``log p(x)``.  Rows and samples go
    in blocks of at most ``max_elements`` decoder outputs, so memory stays
    bounded (``k = 5000`` on MNIST needs about 30 MB in float64).

    The noise of a row is a function of ``seed`` and the row's values
    (counter-based normals), so a row's bound does not depend on the rows
    scored with it, and sample ``s`` is the same for every ``k > s``.

    Parameters
    ----------
    encoder : DenseNetwork
        ``X -> [mu | log variance]`` (2 x n_latent identity outputs).
    decoder : DenseNetwork
        ``z ->`` Bernoulli logits, or Gaussian means (identity outputs).
    X : ndarray of shape (n, n_features)
        In the networks' dtype.
    n_samples : int, default=1
        ``k``.
    decoder_log_var : ndarray of shape (n_features,) or None
        Per-feature log variances of a Gaussian decoder; None: Bernoulli.
    seed : int, default=0
    max_elements : int, default=2**22
        Decoder outputs (rows x samples x features) computed at a time.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    n, d = X.shape
    m = encoder.layer_sizes[-1] // 2
    k = int(n_samples)
    per_row = max(1, max_elements // (d * k))
    s_block = max(1, min(k, max_elements // d))
    bound = np.empty(n)
    for start in range(0, n, per_row):
        Xc = np.ascontiguousarray(X[start:start + per_row])
        nc = Xc.shape[0]
        H = encoder.forward(Xc)
        keys = np.empty(nc, np.uint64)
        _row_keys(Xc, seed, True, keys)
        logw = np.empty((nc, k))
        for s0 in range(0, k, s_block):
            ks = min(s_block, k - s0)
            eps = np.empty((nc * ks, m), H.dtype)
            Z = np.empty_like(eps)
            lpq = np.empty((nc, ks))
            _sample_latent(H, keys, s0, ks, eps, Z, lpq)
            out = decoder.forward(Z)
            logw[:, s0:s0 + ks] = lpq + decoder_log_likelihood(
                out, Xc, ks, decoder_log_var)
        _log_mean_exp(logw, bound[start:start + nc], np.empty((0, 0)))
    return bound
