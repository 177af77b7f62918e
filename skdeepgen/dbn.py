"""Deep belief nets: greedy RBM stacks, fine-tuned classifiers, deep autoencoders.

``DBN`` trains a stack of RBMs greedily, layer by layer (Hinton, Osindero &
Teh 2006), through the stacking module (:mod:`skdeepgen.stacking`): each RBM
models the hidden activities of the one below.  The layers are ordinary RBM
estimators (``BernoulliRBM`` by default; any RBM variant per layer), so unit
types, CD/PCD, epochs and learning rates are configured by passing RBM
instances.

``DBNClassifier`` unrolls the pretrained stack into a feed-forward network,
adds a softmax output and fine-tunes everything with backpropagation
("pretraining + gentle backprop"); ``DeepAutoencoder`` unrolls it into an
encoder and a mirrored decoder and fine-tunes the reconstruction (Hinton &
Salakhutdinov 2006), optionally with a binary, noise-forced code layer for
semantic hashing (Salakhutdinov & Hinton 2009; retrieval in
:mod:`skdeepgen.retrieval`).  Both are :mod:`skdeepgen.finetuning` networks
on a ``DBN``.
"""
import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ._training import draw_seeds
from .finetuning import StackAutoencoder, StackClassifier
from .rbm import BernoulliRBM, GaussianBernoulliRBM
from .stacking import LayerStack, in_unit_range

__all__ = ["DBN", "DBNClassifier", "DeepAutoencoder"]

_RBM_CONSTRAINT = {"rbm": [None, list, tuple, HasMethods(["fit", "transform"])]}


class DBN(LayerStack):
    """Deep belief net: a stack of RBMs trained greedily, layer by layer.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 500, 2000)
        Hidden units of each layer, bottom to top (scikit-learn's MLP
        convention: the input size is not included).
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Layer configuration.  One estimator is a template cloned for every
        layer; a list gives one per layer (e.g. a Gaussian-visible RBM at the
        bottom).  ``n_components`` and ``random_state`` are set by the DBN;
        every other parameter (unit types, ``method`` CD/PCD, ``n_iter``,
        ``learning_rate``...) is the layer's own.  None: the recipe behind
        the published MNIST figure, ``BernoulliRBM(method="cd", n_iter=10,
        learning_rate=0.05, momentum=0.9, weight_decay=2e-4, batch_size=100)``
        for every layer, except that real-valued input (values outside
        [0, 1]) gets a bottom layer that models it,
        ``GaussianBernoulliRBM(n_iter=10)`` (unit variances: standardise X,
        e.g. with ``StandardScaler``).
    transform_layers : {"top", "all"}, default="top"
        ``transform`` returns the top layer's features, or all hidden
        layers' features concatenated.
    verbose : int, default=0
        1: one line per layer; 2: also the layers' own epoch progress.
    random_state : int, RandomState instance or None, default=None
        Seeds every layer (bit-for-bit reproducible for a fixed value).

    Attributes
    ----------
    layers_ : list of fitted RBMs, bottom to top.
    rbms_ : list of fitted RBMs
        The same list (the name used by DBN papers).
    n_iter_ : list of int
        Epochs trained per layer.
    n_features_in_ : int

    See Also
    --------
    DBNClassifier : pretraining followed by supervised fine-tuning.
    DeepAutoencoder : pretraining followed by fine-tuning of the reconstruction.
    skdeepgen.stacking.LayerStack : the greedy training of any layer estimator.

    References
    ----------
    .. [1] Hinton, G. E., Osindero, S. & Teh, Y.-W. (2006). A fast learning
       algorithm for deep belief nets. Neural Computation, 18(7), 1527-1554.
    .. [2] Salakhutdinov, R. & Murray, I. (2008). On the quantitative analysis of
       deep belief networks. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import BernoulliRBM, DBN
    >>> X = (np.random.RandomState(0).uniform(size=(50, 8)) < 0.3).astype(float)
    >>> dbn = DBN((6, 4), rbm=BernoulliRBM(n_iter=3), random_state=0).fit(X)
    >>> dbn.transform(X).shape
    (50, 4)
    >>> dbn.sample(3, n_steps=10).shape
    (3, 8)
    """

    _parameter_constraints = {**LayerStack._parameter_constraints, **_RBM_CONSTRAINT}

    def __init__(self, hidden_layer_sizes=(500, 500, 2000), *, rbm=None,
                 transform_layers="top", verbose=0, random_state=None):
        super().__init__(hidden_layer_sizes, transform_layers=transform_layers,
                         verbose=verbose, random_state=random_state)
        self.rbm = rbm

    def _layer_templates(self, X, n_layers):
        if isinstance(self.rbm, (list, tuple)):
            return list(self.rbm)
        if self.rbm is not None:
            return [self.rbm] * n_layers
        layer = BernoulliRBM(method="cd", n_iter=10, learning_rate=0.05,
                             momentum=0.9, weight_decay=2e-4, batch_size=100)
        bottom = layer if in_unit_range(X) else GaussianBernoulliRBM(n_iter=10)
        return [bottom] + [layer] * (n_layers - 1)

    @property
    def rbms_(self):
        return self.layers_

    def sample(self, n_samples=1, *, n_steps=1000, init=None, down_pass="sample",
               random_state=None):
        """Generate data: Gibbs sampling in the top RBM, then a down-pass.

        The top RBM's chains run for ``n_steps``; their binary visible states
        (the penultimate layer) are propagated down through the lower RBMs'
        generative (top-down) conditionals, and the visible *means* of the
        bottom layer are returned.

        Parameters
        ----------
        n_samples : int
            Number of chains (ignored when ``init`` is given).
        n_steps : int
            Gibbs steps in the top-level RBM.
        init : array-like of shape (n_chains, n_features_in_), optional
            Data whose deterministic up-pass starts the top-level chains
            (default: chains start from the top RBM's visible biases).
        down_pass : {"sample", "mean"}, default="sample"
            Sample every intermediate layer on the way down (the generative
            model) or propagate means (smoother images).
        random_state : int, RandomState or None
            Seed for the chains (default: the estimator's ``random_state``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        if down_pass not in ("sample", "mean"):
            raise ValueError(f"down_pass must be 'sample' or 'mean', got {down_pass!r}")
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        top = self.layers_[-1]
        start = None
        if init is not None:
            H = self._check_X(init, reset=False)
            for est in self.layers_[:-1]:
                H = est.transform(H)
            H = H.toarray() if sp.issparse(H) else H
            start = np.asarray(H, dtype=top.components_.dtype)
            n_samples = start.shape[0]
        if len(self.layers_) == 1:
            return top.sample(n_samples, n_steps=n_steps, init=start,
                              random_state=rng, return_mean=True)
        h = top.sample(n_samples, n_steps=n_steps, init=start, random_state=rng,
                       return_mean=down_pass == "mean")
        for i in range(len(self.layers_) - 2, -1, -1):
            est = self.layers_[i]
            W = est.components_
            pre = np.ascontiguousarray(h.astype(W.dtype, copy=False) @ W)
            if i == 0 or down_pass == "mean":
                h = est.visible_units.mean(pre, est.intercept_visible_)
            else:
                h = est.visible_units.sample(pre, est.intercept_visible_,
                                             draw_seeds(rng))
        return h


class _DBNPretrained:
    """The stack of the DBN-based networks: a :class:`DBN` of ``rbm`` layers."""

    def _make_stack(self, sizes, seed):
        return DBN(sizes, rbm=self.rbm, verbose=self.verbose, random_state=seed)


class DBNClassifier(_DBNPretrained, StackClassifier):
    """DBN pretraining + softmax output, fine-tuned with backpropagation.

    The greedy RBM stack (see :class:`DBN`) initialises a sigmoid network
    ``n_features -> hidden_layer_sizes -> n_classes``; the softmax layer
    starts small and everything is fine-tuned on the cross-entropy with
    minibatch SGD (Nesterov momentum) or Adam, the "pretraining + gentle
    backprop" recipe of Hinton & Salakhutdinov (2006).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 500, 2000)
        Hidden units of each layer, bottom to top (the input and output sizes
        are not included, as in :class:`~sklearn.neural_network.MLPClassifier`).
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Layer configuration for pretraining (see :class:`DBN`; None is the
        MNIST recipe, with a Gaussian bottom layer for real-valued input,
        which should then be standardised).
    pretrain : bool or fitted DBN, default=True
        False skips pretraining (Glorot-initialised network; an ablation);
        a fitted :class:`DBN` with matching sizes is used (copied) instead of
        pretraining, e.g. to fine-tune one pretrained stack several ways.
    solver : {"sgd", "adam"}, default="sgd"
    learning_rate : float, default=0.3
        Fine-tuning step size for the mean minibatch gradient.
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="linear"
        ``"linear"`` decays to 0 over ``max_iter`` epochs.
    momentum : float, default=0.9
        Nesterov momentum (``solver="sgd"``).
    weight_decay : float, default=1e-5
        L2 penalty on the weights (not the biases).
    batch_size : int, default=100
        Examples per minibatch.
    max_iter : int, default=40
        Fine-tuning epochs (0: pretrained weights + a softmax never trained).
        The defaults are the recipe of ``examples/dbn_mnist.py`` (1.26% test
        error on MNIST with ``hidden_layer_sizes=(500, 500, 2000)``, see
        ``doc/results.md``), tuned for tens of thousands of samples; a few
        hundred samples want a smaller stack and more updates, e.g.
        ``DBNClassifier((50, 50), batch_size=10)``.
    dropout, input_dropout : float, default=0.0
        Fine-tuning with dropout (Srivastava et al. 2014) of the hidden units
        and of the inputs: the rate at which each is zeroed in a minibatch
        (the others scaled up by ``1 / (1 - rate)``; prediction uses all).
    output_only_epochs : int, default=0
        Fine-tuning epochs, at the start, that train the softmax layer alone
        (see :class:`~skdeepgen.DBMClassifier`); 0: the figure above was
        measured without them.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` (also from
        pretraining), stop when the validation error stops improving and
        keep the best epoch's weights.
    validation_fraction : float, default=0.1
        Share of the training data held out as the validation set for early
        stopping (only with ``early_stopping=True``).
    n_iter_no_change : int, default=5
        Epochs without an improvement larger than ``tol`` after which early
        stopping ends training.
    tol : float, default=1e-4
        Smallest improvement of the monitored score that counts as one
        (early stopping).
    verbose : int, default=0
        Progress output: one line per epoch (scores, seconds, ETA) when
        positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the minibatch order and every random number;
        a fixed value gives bit-for-bit identical results.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dbn_ : DBN or None
        The pretrained stack (before fine-tuning).
    network_ : skdeepgen.nn.DenseNetwork
        The fine-tuned network; ``coefs_`` / ``intercepts_`` are its arrays
        (shapes ``(n_in, n_out)``, as in scikit-learn's MLP).
    n_iter_ : int
        Fine-tuning epochs run.
    best_epoch_ : int
        With early stopping: the epoch whose weights were kept.
    history_ : dict of lists
        ``loss`` (training cross-entropy), ``val_loss``/``val_error`` or
        ``error`` (training error), ``seconds`` per epoch.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : the same network without pretraining.
    DBN : the pretrained stack alone.

    References
    ----------
    .. [1] Hinton, G. E., Osindero, S. & Teh, Y.-W. (2006). A fast learning
       algorithm for deep belief nets. Neural Computation, 18(7), 1527-1554.
    .. [2] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786), 504-507.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import BernoulliRBM, DBNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> rbm = BernoulliRBM(n_iter=10, batch_size=10, learning_rate=0.1, method="cd")
    >>> clf = DBNClassifier((64, 64), rbm=rbm, learning_rate=0.3, batch_size=20,
    ...                     max_iter=8, random_state=0).fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    _parameter_constraints = {**StackClassifier._parameter_constraints,
                              **_RBM_CONSTRAINT}

    def __init__(self, hidden_layer_sizes=(500, 500, 2000), *, rbm=None,
                 pretrain=True, solver="sgd", learning_rate=0.3,
                 learning_rate_schedule="linear", momentum=0.9,
                 weight_decay=1e-5, batch_size=100, max_iter=40,
                 dropout=0.0, input_dropout=0.0, output_only_epochs=0,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            hidden_layer_sizes, pretrain=pretrain, solver=solver,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            dropout=dropout, input_dropout=input_dropout,
            output_only_epochs=output_only_epochs,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.rbm = rbm


class DeepAutoencoder(_DBNPretrained, StackAutoencoder):
    """Deep autoencoder: an unrolled RBM stack fine-tuned on the reconstruction.

    ``n_features -> hidden_layer_sizes -> n_components`` is pretrained as a
    DBN, unrolled into an encoder and the mirrored decoder (the decoder
    starts from the transposed RBM weights and visible biases) and the whole
    network is fine-tuned by backpropagation of the reconstruction error
    (Hinton & Salakhutdinov 2006).

    With ``code="binary"`` the code layer is logistic, Gaussian noise of
    standard deviation ``code_noise_std`` is added to its input during
    fine-tuning (which drives the code units to saturate), and ``transform``
    returns thresholded 0/1 codes: semantic hashing (Salakhutdinov & Hinton
    2009); see :func:`hamming_neighbors`.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(1000, 500, 250)
        Encoder hidden layers (the decoder mirrors them).
    n_components : int, default=30
        Size of the code layer.
    code : {"linear", "binary"}, default="linear"
    code_noise_std : float, default=4.0
        Noise before the code sigmoid while fine-tuning (``code="binary"``).
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Pretraining configuration for the ``len(hidden_layer_sizes) + 1``
        RBMs (see :class:`DBN`; None gives real-valued input a Gaussian
        bottom layer, and the reconstruction then uses the squared error).
    pretrain : bool or fitted DBN, default=True
        As in :class:`DBNClassifier` (the DBN has ``n_components`` on top).
    loss : {"auto", "cross_entropy", "squared_error"}, default="auto"
        Reconstruction loss: cross-entropy for data in [0, 1] with
        logistic outputs; squared error with linear outputs.  ``"auto"``
        picks cross-entropy when X lies in [0, 1] and the bottom RBM has
        Bernoulli visible units (or there is no pretraining), squared error
        otherwise.  With a :class:`ReplicatedSoftmaxRBM` at the bottom, X is
        word counts: the encoder is the unrolled RSM (document lengths enter
        as an extra input carrying its length-scaled hidden biases) and the
        decoder ends in a softmax over words trained with the multinomial
        cross-entropy against each document's word distribution
        (Salakhutdinov & Hinton 2009).
    word_weights : None, "idf" or array of shape (n_features,), default=None
        Word-count input only: the reconstruction target of a document is
        its counts times these weights, normalised to sum to one.  None:
        the plain word distribution; ``"idf"``: scikit-learn's smoothed
        inverse document frequency of the training data, so that the code
        must describe the rare, topical words rather than the common ones
        (this helps retrieval, see ``examples/semantic_hashing_20newsgroups.py``).
    solver : {"sgd", "adam"}, default="adam"
    learning_rate : float, default=1e-3
        Step size for the mean gradient over a minibatch.
    learning_rate_schedule : str, default="constant"
        How the learning rate changes across epochs: ``"constant"``,
        ``"invscaling"``, ``"exponential"`` or ``"linear"`` (decays to 0 over
        ``max_iter`` epochs).
    momentum : float, default=0.9
        Momentum of the parameter updates.
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    batch_size : int, default=100
        Examples per minibatch.
    max_iter : int, default=20
        Fine-tuning epochs.
    early_stopping : bool, default=False
        Stop when the loss on a held-out ``validation_fraction`` stops
        improving (best weights are kept).
    validation_fraction : float, default=0.1
        Share of the training data held out as the validation set for early
        stopping (only with ``early_stopping=True``).
    n_iter_no_change : int, default=5
        Epochs without an improvement larger than ``tol`` after which early
        stopping ends training.
    tol : float, default=1e-4
        Smallest improvement of the monitored score that counts as one
        (early stopping).
    verbose : int, default=0
        Progress output: one line per epoch (scores, seconds, ETA) when
        positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the minibatch order and every random number;
        a fixed value gives bit-for-bit identical results.

    Attributes
    ----------
    dbn_ : DBN or None
        The pretrained stack.
    network_ : skdeepgen.nn.DenseNetwork
        Encoder layers ``0 .. n_encoder_layers_ - 1``, then the decoder.
    n_encoder_layers_ : int
    word_weights_ : ndarray of shape (n_features,) or None
        The weights of the word-count reconstruction targets.
    n_iter_ : int
    history_ : dict of lists

    See Also
    --------
    sklearn.decomposition.PCA : the linear baseline.
    skdeepgen.retrieval.hamming_neighbors : retrieval with binary codes.
    DBN : the pretrained stack alone.

    References
    ----------
    .. [1] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786), 504-507.
    .. [2] Salakhutdinov, R. & Hinton, G. E. (2009). Semantic hashing.
       International Journal of Approximate Reasoning, 50(7), 969-978.
    .. [3] Salakhutdinov, R. & Hinton, G. E. (2009). Replicated softmax: an
       undirected topic model. NIPS.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import BernoulliRBM, DeepAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = DeepAutoencoder((32,), n_components=8, rbm=BernoulliRBM(n_iter=3),
    ...                      max_iter=5, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.inverse_transform(ae.transform(X)).shape
    ((1797, 8), (1797, 64))
    """

    _parameter_constraints = {**StackAutoencoder._parameter_constraints,
                              **_RBM_CONSTRAINT}

    def __init__(self, hidden_layer_sizes=(1000, 500, 250), n_components=30, *,
                 code="linear", code_noise_std=4.0, rbm=None, pretrain=True,
                 loss="auto", word_weights=None, solver="adam", learning_rate=1e-3,
                 learning_rate_schedule="constant", momentum=0.9,
                 weight_decay=0.0, batch_size=100, max_iter=20,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            hidden_layer_sizes, pretrain=pretrain, solver=solver,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.n_components = n_components
        self.code = code
        self.code_noise_std = code_noise_std
        self.rbm = rbm
        self.loss = loss
        self.word_weights = word_weights

