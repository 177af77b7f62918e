"""Greedy layer-wise stacks of layer estimators, and their unrolling.

A *layer estimator* is any fitted transformer that offers a dense-layer view
of itself (RBMs today, autoencoders next):

``encoder_layer(dtype)``
    ``(coef, intercept, activation)`` of the feed-forward layer that
    computes ``transform``
``encoder_input(X)``
    ``X`` as that layer's network input (a replicated-softmax RBM appends
    document lengths)
``decoder_layer(dtype)``
    the layer that maps codes back (``inverse_transform``)

:class:`LayerStack` trains such layers greedily, each on the features of the
one below (Hinton, Osindero & Teh 2006; Bengio et al. 2007), and
:func:`unroll` turns a fitted stack into the layers of a
:class:`~skdeepgen.nn.DenseNetwork` for fine-tuning.
"""
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin,
                          TransformerMixin, clone)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (assert_all_finite, check_array, check_is_fitted,
                                      validate_data)

from ._training import draw_seeds, nested_training
from ._training.stream import ChunkStream, is_dask_array, transform_blocks
from .base import TransactionMixin, transactional

__all__ = ["LayerStack", "unroll", "mirror", "check_sizes", "in_unit_range"]


def check_sizes(sizes, name="hidden_layer_sizes"):
    """``sizes`` as a list of positive ints, or a clear error."""
    sizes = [sizes] if np.isscalar(sizes) else list(np.asarray(sizes).ravel())
    if not sizes or any(not isinstance(s, (Integral, np.integer)) or s < 1
                        for s in sizes):
        raise ValueError(f"{name} must be a non-empty sequence of positive "
                         f"integers, got {sizes!r}")
    return [int(s) for s in sizes]


#: the unsigned integer of a float's bits, and the bits of 1.0
_BITS = {np.dtype(np.float32): (np.uint32, 0x3F800000),
         np.dtype(np.float64): (np.uint64, 0x3FF0000000000000)}


def _proven_unit(data):
    """Whether one integer pass proves every value of the float array ``data``
    finite and in [0, 1]: read as unsigned integers, the bits of +0.0 ... 1.0
    are exactly those <= the bits of 1.0 (NaN, infinities and anything with
    the sign bit lie above).  An empty array is proven (no value to check);
    False means "not proven" (-0.0 is not)."""
    if data.size == 0:
        return True
    kind = _BITS.get(data.dtype)
    if kind is None or not (data.flags.c_contiguous or data.flags.f_contiguous):
        return False
    return bool(data.ravel(order="K").view(kind[0]).max() <= kind[1])


def in_unit_range(X):
    """Whether every value of ``X`` (dense or sparse) lies in [0, 1]."""
    data = X.data if sp.issparse(X) else X
    if _proven_unit(data):
        return True
    return bool(data.min() >= 0 and data.max() <= 1)


def validate_finite(est, X, reset, **kwargs):
    """``validate_data`` whose check for NaN and infinities is, for data in
    [0, 1] (pixels, probabilities), the one integer pass of
    :func:`in_unit_range` (half the time of scikit-learn's sum); other data
    get scikit-learn's check and its error."""
    return validate_unit(est, X, reset, **kwargs)[0]


def validate_unit(est, X, reset, **kwargs):
    """:func:`validate_finite` that also returns what its pass learned:
    ``(X, True)`` when it proved every value in [0, 1] (as
    :func:`in_unit_range` says of no stored values), ``(X, None)`` when
    that is not known (ask :func:`in_unit_range`), so that a model choosing
    its loss from the data range does not read the data twice."""
    X = validate_data(est, X, reset=reset, ensure_all_finite=False, **kwargs)
    data = X.data if sp.issparse(X) else X
    if _proven_unit(data):
        return X, True
    assert_all_finite(data, input_name="X", estimator_name=type(est).__name__)
    return X, None


def check_codes(est, X, units="units"):
    """Codes given to a fitted model's ``inverse_transform``: a float32/float64
    array of ``est.n_components`` columns (``units`` names them in the error)."""
    C = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    if C.shape[1] != est.n_components:
        raise ValueError(f"X has {C.shape[1]} columns, but {type(est).__name__} "
                         f"has n_components={est.n_components} {units}")
    return C


def check_input(est, X, reset):
    """``validate_data`` for a stack's input (dense or CSR, float32/float64):
    the one data check of the stacks and of the networks built on them."""
    return validate_finite(est, X, reset, accept_sparse="csr",
                           dtype=[np.float64, np.float32])


def unroll(layers, dtype):
    """Encoder layers ``(coefs, intercepts, activations)`` of fitted layers,
    bottom to top: layer ``i`` computes ``layers[i].transform``."""
    coefs, intercepts, acts = [], [], []
    for est in layers:
        W, b, act = est.encoder_layer(dtype)
        coefs.append(W)
        intercepts.append(b)
        acts.append(act)
    return coefs, intercepts, acts


def mirror(layers, dtype):
    """Decoder layers of fitted layers, top to bottom (the generative
    direction: layer ``i`` computes ``layers[i].inverse_transform``)."""
    coefs, intercepts, acts = [], [], []
    for est in reversed(layers):
        W, b, act = est.decoder_layer(dtype)
        coefs.append(W)
        intercepts.append(b)
        acts.append(act)
    return coefs, intercepts, acts


class LayerStack(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TransactionMixin,
                 BaseEstimator):
    """Base class of greedy layer-wise stacks (not public on its own).

    A subclass names its layer parameter and default layers through
    :meth:`_layer_templates`.  ``fit`` trains each layer on the features
    (``transform``) of the one below; an interrupt (Ctrl-C) during any layer
    cancels the whole call, since a partial stack is not the model asked for.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "transform_layers": [StrOptions({"top", "all"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes, *, transform_layers, verbose, random_state):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.transform_layers = transform_layers
        self.verbose = verbose
        self.random_state = random_state

    def _layer_templates(self, X, n_layers):  # pragma: no cover - abstract
        """Unfitted layer estimators, one per layer (clones are fitted)."""
        raise NotImplementedError

    _check_X = check_input

    def _make_layers(self, X, rng):
        """Clones of the templates with their sizes and seeds set."""
        sizes = check_sizes(self.hidden_layer_sizes)
        templates = self._layer_templates(X, len(sizes))
        if len(templates) != len(sizes):
            raise ValueError(
                f"{type(self).__name__}: {len(templates)} layer estimators are "
                f"given but hidden_layer_sizes has {len(sizes)} layers; give "
                "one per layer")
        layers = []
        for size, template, seed in zip(sizes, templates, draw_seeds(rng, len(sizes))):
            if not hasattr(template, "encoder_layer"):
                raise TypeError(
                    f"{type(self).__name__}: {template!r} is not a layer "
                    "estimator (it has no dense-layer view, encoder_layer)")
            est = clone(template).set_params(n_components=size,
                                             random_state=int(seed % 2**31))
            if self.verbose > 1 and "verbose" in est.get_params():
                est.set_params(verbose=self.verbose - 1)
            layers.append(est)
        return layers

    @transactional
    def fit(self, X, y=None):
        """Greedy layer-wise training on ``X``.

        Each layer is fit on the features (``transform``) of the one below.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted stack.
        """
        self._validate_params()
        if is_dask_array(X):  # stream every layer; the one below transforms lazily
            head = self._check_X(ChunkStream(X).head()[0], reset=True)
            self.layers_ = self._make_layers(head, check_random_state(self.random_state))
        else:
            X = self._check_X(X, reset=True)
            self.layers_ = self._make_layers(X, check_random_state(self.random_state))
        H = X
        with nested_training():
            for i, est in enumerate(self.layers_):
                est.fit(H)
                if self.verbose:
                    monitor = getattr(est, "_monitor", None)
                    last = est.history_.get(monitor, [float("nan")])[-1]
                    print(f"[{type(self).__name__}] layer {i + 1}/{len(self.layers_)} "
                          f"({H.shape[1]} -> {est.n_components}): {est.n_iter_} "
                          f"epochs, {monitor} {last:.4g}", flush=True)
                if i < len(self.layers_) - 1:
                    H = transform_blocks(est, H) if is_dask_array(H) else est.transform(H)
        self.n_iter_ = [est.n_iter_ for est in self.layers_]
        return self

    @transactional
    def partial_fit(self, X, y=None):
        """One pass of every layer over ``X`` (bottom-up), for streaming data.

        Unlike ``fit`` the layers learn together: each layer's
        ``partial_fit`` sees the current features of the layer below.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated stack.
        """
        first = not hasattr(self, "layers_")
        if first:
            self._validate_params()
        X = self._check_X(X, reset=first)
        if first:
            self._rng = check_random_state(self.random_state)
            self.layers_ = self._make_layers(X, self._rng)
        H = X
        with nested_training():
            for i, est in enumerate(self.layers_):
                est.partial_fit(H)
                if i < len(self.layers_) - 1:
                    H = est.transform(H)
        self.n_iter_ = [est.n_iter_ for est in self.layers_]
        return self

    def transform(self, X):
        """Top-layer (or all layers') features, by a deterministic up-pass.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        H : ndarray of shape (n_samples, n_features_out)
            In ``X``'s dtype.
        """
        check_is_fitted(self)
        H = self._check_X(X, reset=False)
        outputs = []
        for est in self.layers_:
            H = est.transform(H)
            outputs.append(H)
        return np.hstack(outputs) if self.transform_layers == "all" else H

    @property
    def _n_features_out(self):
        sizes = [est.n_components for est in self.layers_]
        return sum(sizes) if self.transform_layers == "all" else sizes[-1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
