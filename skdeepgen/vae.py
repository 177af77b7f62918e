"""Variational autoencoders and importance-weighted autoencoders.

:class:`VAE` (Kingma & Welling 2014): an encoder network maps ``x`` to a
diagonal Gaussian posterior ``q(z | x) = N(mu(x), diag(exp(lv(x))))``, a
decoder network maps ``z`` to a Bernoulli (logits) or Gaussian (means, one
learned variance per feature) likelihood ``p(x | z)``, and the prior is
``N(0, I)``.  Both networks are :class:`~skdeepgen.nn.DenseNetwork`\\ s
trained together by one Adam optimizer in the shared epoch loop, through
the reparameterisation ``z = mu + exp(lv / 2) eps`` with ``eps`` from the
kernels' counter-based generator.  With ``n_importance_samples = K > 1``
the objective is the importance-weighted bound of Burda et al. (2016)
(the IWAE); the bound itself lives in :mod:`skdeepgen.evaluation`.
"""
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._kernels.vae import _binarize, _log_mean_exp, _posterior_grad, _row_keys, _sample_latent
from ._training import draw_seeds
from .base import OPTIMIZER_CONSTRAINTS, BaseMinibatchEstimator
from .evaluation import decoder_log_likelihood, importance_weighted_bound
from .nn import DenseNetwork
from .stacking import check_codes, check_sizes, in_unit_range, validate_unit

__all__ = ["VAE"]

_NO_WEIGHTS = np.empty((0, 0))


class VAE(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseMinibatchEstimator):
    """Variational autoencoder (Kingma & Welling 2014), optionally trained as
    an importance-weighted autoencoder (IWAE, Burda et al. 2016).

    The encoder ``x -> h_1 -> ... -> [mu | log variance]`` and the decoder
    ``z -> h_L -> ... -> h_1 -> x`` are dense networks with
    ``hidden_layer_sizes`` (mirrored in the decoder) and ``activation``.
    The posterior is a diagonal Gaussian, the prior a standard normal.
    Training maximises the ELBO (``n_importance_samples=1``, with the KL term
    in closed form) or the ``K``-sample importance-weighted bound (``K > 1``),
    with Adam, one minibatch at a time; the noise of every minibatch is drawn
    from the counter-based generator seeded by the epoch loop, so a fixed
    ``random_state`` gives the same model bit for bit.

    One stochastic layer only: a second one (the IWAE paper's two-layer
    model) would need a second posterior and prior network pair with their
    own reparameterised sampling and KL terms, beyond the one-network
    encoder/decoder shape the engine offers; for MNIST it gains about 1-2
    nats (Burda et al. 2016, table 1), less than the cost of training it
    here.

    Parameters
    ----------
    n_components : int, default=50
        Number of latent dimensions.
    hidden_layer_sizes : array-like of int, default=(200, 200)
        Hidden layers of the encoder (the decoder mirrors them).
    activation : {"tanh", "relu", "logistic"}, default="tanh"
        Hidden units of both networks.
    decoder : {"auto", "bernoulli", "gaussian"}, default="auto"
        Likelihood ``p(x | z)``: Bernoulli (sigmoid of the decoder output;
        needs ``X`` in [0, 1], read as probabilities: the cross-entropy) or
        Gaussian (decoder output = mean, one learned variance per feature).
        ``"auto"``: Bernoulli when ``X`` lies in [0, 1], else Gaussian.
    n_importance_samples : int, default=1
        ``K``, latent samples per data point in the training objective:
        1 is the VAE (ELBO with the KL in closed form), ``K > 1`` the IWAE
        bound (each step costs about ``K`` decoder passes).
    dynamic_binarization : bool, default=False
        Bernoulli decoder only: train on binary images drawn afresh for each
        minibatch, ``x_b ~ Bernoulli(x)`` (grey levels read as
        probabilities), as in the IWAE paper's MNIST set-up.  Regularises
        and matches a test set binarised the same way.  ``transform``,
        ``score`` etc. use ``X`` as given.
    n_score_samples : int, default=100
        ``k`` of the importance-weighted bound reported by
        :meth:`score_samples` / :meth:`score` (1: the ELBO; the paper's
        test figures use 5000).
    learning_rate : float, default=1e-3
        Adam step size.
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="constant"
        Learning rate per epoch (see ``skdeepgen._training.LearningRateSchedule``).
    weight_decay : float, default=0.0
        L2 penalty on the weights (not the biases).
    batch_size : int, default=100
    max_iter : int, default=100
        Epochs of ``fit``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the
        validation ELBO has not risen by ``tol`` for ``n_iter_no_change``
        epochs; the best epoch's parameters are kept.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    encoder_ : DenseNetwork
        ``X -> [mu | log variance]`` (``2 * n_components`` outputs).
    decoder_ : DenseNetwork
        ``z ->`` logits (Bernoulli) or means (Gaussian).
    decoder_log_var_ : ndarray of shape (n_features,) or None
        Per-feature log variance of the Gaussian decoder.
    likelihood_ : {"bernoulli", "gaussian"}
    n_iter_ : int
        Epochs run.
    history_ : dict
        Per epoch: ``loss`` (mean negative training objective per minibatch),
        ``elbo`` (mean ELBO of 500 training rows, or ``val_elbo`` on the
        validation set with early stopping), ``seconds``.
    best_epoch_ : int
        With early stopping: the epoch whose parameters were kept.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features,)
        Defined only when ``X`` has feature names that are all strings.

    Notes
    -----
    The defaults are the MNIST recipe measured in ``doc/results.md``: the
    IWAE paper's 784-200-200-50 tanh architecture, Adam at 1e-3, and batch
    100 rather than the paper's 20 (an epoch of batch 20 took about 10x as
    long on this project's 2-core machine: the products are too small for
    BLAS to run at speed).  The published-figure run adds
    ``max_iter=900, learning_rate_schedule="linear",
    dynamic_binarization=True``: -86.59 nats at k=5000 on all 10,000
    binarised test images (the paper's VAE: -86.76 after 3,280 epochs), in
    about 45 minutes of one core.  The defaults keep ``max_iter=100`` and a
    constant rate so that a fit takes minutes, not most of an hour: at 140
    epochs of a constant rate the same model reached -89.5 nats.
    ``dynamic_binarization`` is off by default because it only
    applies to [0, 1] data with a Bernoulli decoder; the MNIST recipe turns
    it on.

    References
    ----------
    Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR.

    Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance weighted
    autoencoders. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import VAE
    >>> X = (np.random.RandomState(0).uniform(size=(100, 8)) < 0.3).astype(float)
    >>> vae = VAE(n_components=2, hidden_layer_sizes=(16,), max_iter=5,
    ...           random_state=0).fit(X)
    >>> vae.transform(X).shape
    (100, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 8)
    >>> bool(vae.score(X) < 0)
    True
    """

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        **OPTIMIZER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"tanh", "relu", "logistic"})],
        "decoder": [StrOptions({"auto", "bernoulli", "gaussian"})],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "dynamic_binarization": ["boolean"],
        "n_score_samples": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
    }
    _parameter_constraints.pop("momentum")
    _epochs_param = "max_iter"
    _monitor = "elbo"
    _monitor_greater_is_better = True
    _divergence_hint = ("Lower learning_rate (a Gaussian decoder on unscaled "
                        "data also wants standardised X).")

    def __init__(self, n_components=50, *, hidden_layer_sizes=(200, 200),
                 activation="tanh", decoder="auto", n_importance_samples=1,
                 dynamic_binarization=False, n_score_samples=100,
                 learning_rate=1e-3, learning_rate_schedule="constant",
                 weight_decay=0.0, batch_size=100, max_iter=100,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, verbose=0, random_state=None):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.decoder = decoder
        self.n_importance_samples = n_importance_samples
        self.dynamic_binarization = dynamic_binarization
        self.n_score_samples = n_score_samples
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.max_iter = max_iter

    # -------------------------------------------------------------- data
    def _validate(self, X, reset):
        X, unit = validate_unit(self, X, reset, dtype=[np.float64, np.float32],
                                order="C")
        if (not reset and getattr(self, "likelihood_", None) == "bernoulli"
                and not unit):
            self._check_unit_range(X)
        return X, unit

    def _check_X(self, X, reset):
        return self._validate(X, reset)[0]

    def _check_data(self, X, y, reset):
        X, unit = self._validate(X, reset)
        if reset:
            self._unit_range = unit  # for _likelihood, called next by _initialize
        return X, None

    def _check_unit_range(self, X):
        if not in_unit_range(X):
            raise ValueError(
                "the Bernoulli decoder needs X in [0, 1] (probabilities), but "
                f"X ranges over [{X.min():g}, {X.max():g}]; scale X (e.g. "
                "MinMaxScaler) or use decoder='gaussian'")

    def _likelihood(self, X):
        # what _check_data's pass over X proved (one flag, read once)
        unit = self.__dict__.pop("_unit_range", None)
        if self.decoder == "auto":
            return "bernoulli" if unit or in_unit_range(X) else "gaussian"
        if self.decoder == "bernoulli" and not unit:
            self._check_unit_range(X)
        return self.decoder

    # ----------------------------------------------------------- set-up
    def _initialize(self, X, rng):
        self.likelihood_ = self._likelihood(X)
        if self.dynamic_binarization and self.likelihood_ != "bernoulli":
            raise ValueError("dynamic_binarization=True samples binary images "
                             "from [0, 1] data for a Bernoulli decoder; use "
                             "decoder='bernoulli' with X in [0, 1]")
        sizes = check_sizes(self.hidden_layer_sizes)
        d, m, dt, act = X.shape[1], int(self.n_components), X.dtype, self.activation
        L = len(sizes)
        self.encoder_ = DenseNetwork.initialize(
            [d] + sizes + [2 * m], [act] * L + ["identity"], rng=rng, dtype=dt,
            prefix="encoder_")
        self.decoder_ = DenseNetwork.initialize(
            [m] + sizes[::-1] + [d], [act] * L + ["identity"], rng=rng, dtype=dt,
            prefix="decoder_")
        # the decoder's output bias starts at the data's mean (logit or value)
        mean = np.asarray(X.mean(axis=0), dtype=np.float64)
        if self.likelihood_ == "bernoulli":
            p = np.clip(mean, 1e-3, 1 - 1e-3)
            self.decoder_.intercepts[-1][:] = np.log(p / (1 - p))
            self.decoder_log_var_ = None
        else:
            self.decoder_.intercepts[-1][:] = mean
            var = np.asarray(X.var(axis=0), dtype=np.float64)
            self.decoder_log_var_ = np.log(np.maximum(var, 1e-2)).astype(dt)
        self._score_seed = int(draw_seeds(rng))
        self._optimizer = self._make_optimizer(
            "adam", self.learning_rate_schedule, weight_decay=self.weight_decay)

    def _learned_params(self):
        params = {**self.encoder_.params(), **self.decoder_.params()}
        if self.decoder_log_var_ is not None:
            params["decoder_log_var"] = self.decoder_log_var_
        return params

    # ------------------------------------------------------------ training
    def _fit_minibatch(self, Xb, Yb, seed):
        loss, grads = self._loss_gradient(Xb, seed)
        opt, scale = self._optimizer, 1.0 / Xb.shape[0]
        for name, param in self._learned_params().items():
            opt.step(name, param, grads[name], grad_scale=scale,
                     decay="coef" in name)
        return loss

    def _loss_gradient(self, X, seed, noise=None):
        """Mean negative objective on a batch and its gradients (batch sums).

        ``noise`` (tests): fixed ``eps`` of shape (n * K, n_components)
        instead of the generator's.  Dynamic binarisation is applied here.
        """
        n, K, m = X.shape[0], int(self.n_importance_samples), int(self.n_components)
        if self.dynamic_binarization:
            Xs = np.empty_like(X)
            _binarize(X, seed, Xs)
            X = Xs
        enc, dec = self.encoder_, self.decoder_
        H = enc.train_forward(X, seed)
        eps = np.empty((n * K, m), X.dtype)
        Z = np.empty_like(eps)
        lpq = np.empty((n, K))
        keys = np.empty(n, np.uint64)
        _row_keys(X, seed, False, keys)
        _sample_latent(H, keys, 0, K, eps, Z, lpq)
        if noise is not None:  # the same computation with given eps
            eps[...] = noise
            mu, lv = H[:, :m].astype(np.float64), H[:, m:].astype(np.float64)
            e = noise.reshape(n, K, m)
            z = mu[:, None] + np.exp(0.5 * lv)[:, None] * e
            Z[...] = z.reshape(n * K, m)
            lpq[...] = 0.5 * (e * e - z * z + lv[:, None]).sum(axis=2)
        out = dec.train_forward(Z, seed)
        D = np.empty_like(out)
        ll = decoder_log_likelihood(out, X, K, self.decoder_log_var_, D)
        analytic = K == 1
        weights = np.ones((n, 1)) if analytic else np.empty((n, K))
        if not analytic:
            bound = np.empty(n)
            _log_mean_exp(ll + lpq, bound, weights)
        grads = {}
        w = weights.reshape(-1, 1)
        if self.decoder_log_var_ is not None:
            # d(-log p)/d log v_j = (1 - v_j D_j^2) / 2, D = (mu - x) / v
            v = np.exp(self.decoder_log_var_.astype(np.float64))
            g = 0.5 * (w.sum() - v * np.sum(w * np.square(D, dtype=np.float64), axis=0))
            grads["decoder_log_var"] = g.astype(D.dtype)
        if not analytic:
            D *= w.astype(D.dtype)
        g_dec, GZ = dec.backward(Z, D, input_grad=True)
        G = np.empty_like(H)
        # with the KL in closed form (the VAE), the kernel also returns it
        kl = _posterior_grad(H, eps, Z, GZ, weights, analytic, G)
        loss = (kl - ll.sum()) / n if analytic else -bound.mean()
        g_enc, _ = enc.backward(X, G)
        grads.update(g_dec)
        grads.update(g_enc)
        return float(loss), grads

    def _epoch_scores(self, X, Y, held_out):
        return {"elbo": float(np.mean(self._bound(X, 1)))}

    # ---------------------------------------------------------- inference
    def _bound(self, X, k):
        X = np.ascontiguousarray(X, dtype=self.encoder_.dtype)
        return importance_weighted_bound(
            self.encoder_, self.decoder_, X, n_samples=k,
            decoder_log_var=self.decoder_log_var_, seed=self._score_seed)

    def transform(self, X):
        """Posterior means ``mu(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            In ``X``'s dtype.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        H = self.encoder_.predict(X.astype(self.encoder_.dtype, copy=False))
        return np.ascontiguousarray(H[:, :self.n_components], dtype=X.dtype)

    def _decode(self, Z):
        out = self.decoder_.predict(np.ascontiguousarray(Z, dtype=self.decoder_.dtype))
        if self.likelihood_ == "bernoulli":
            with np.errstate(over="ignore"):
                out = 1.0 / (1.0 + np.exp(-out))
        return out

    def inverse_transform(self, X):
        """Decoder means ``E[x | z]`` (Bernoulli probabilities or Gaussian means).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_codes(self, X, "latent dimensions")
        return self._decode(Z).astype(Z.dtype, copy=False)

    def sample(self, n_samples=1, *, random_state=None):
        """Draw from the model: ``z ~ N(0, I)``, then the decoder mean.

        Returns the mean ``E[x | z]`` (grey-level images for a Bernoulli
        decoder, the usual picture of VAE samples), not a draw of ``x``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        Z = rng.standard_normal((int(n_samples), self.n_components))
        return self._decode(Z)

    def score_samples(self, X):
        """Importance-weighted bound on ``log p(x)`` per sample, in nats.

        ``k = n_score_samples`` posterior samples per row (1: the ELBO);
        computed in log space and in bounded blocks
        (:func:`skdeepgen.evaluation.importance_weighted_bound`).  The noise
        of a row depends only on the fitted model and the row's values, so
        a row's score is the same in any batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        log_p : ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return self._bound(X, int(self.n_score_samples))

    def score(self, X, y=None):
        """Mean importance-weighted bound (``n_score_samples``) on ``log p(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
