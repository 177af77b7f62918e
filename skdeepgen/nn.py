"""The one small dense-network engine: forward, backprop, losses.

Used by the fine-tuned stacks (DBN classifiers, deep autoencoders) and by
the coming autoencoder family and VAEs; they train it in the shared epoch
loop (``skdeepgen._training.run_epochs``).
A :class:`DenseNetwork` is a list of fully connected layers
``A_i = f_i(A_{i-1} @ W_i + b_i)`` with weights stored ``(n_in, n_out)``
(scikit-learn's ``MLP.coefs_`` convention), plus an output loss:

``"softmax_cross_entropy"``  softmax output, ``-sum y log p`` (one-hot targets)
``"sigmoid_cross_entropy"``  logistic output, ``-sum y log p + (1-y) log(1-p)``
``"squared_error"``          any output activation, ``1/2 sum (a - y)^2``

Losses are summed over outputs and averaged over samples.  Matrix products go
to BLAS; bias + activation, derivative + bias gradient, and output + loss +
delta are fused Numba passes (``skdeepgen._kernels.nn``).  Updates go through
the shared optimizers of ``skdeepgen._training`` (one fused pass per array),
so SGD/momentum/Nesterov/Adam and weight decay behave the same in every
model.

Two additions serve the autoencoder family: *tied* layers (a decoder whose
weights are the transpose of an encoder's, one trainable array) and
*penalties* on a layer's activations (a sparsity target, a contractive
term), which add their gradient during backpropagation.

The engine has no scikit-learn validation: estimators validate their data
and build networks (e.g. by unrolling pretrained RBMs).
"""
import numpy as np
import scipy.sparse as sp

from ._kernels.nn import (_add_bias_activate, _backprop_activation, _corrupt,
                          _sigmoid_cross_entropy, _softmax_cross_entropy,
                          _squared_error)
__all__ = ["DenseNetwork", "ACTIVATIONS", "LOSSES"]

#: activation name -> kernel code
ACTIVATIONS = {"identity": 0, "logistic": 1, "tanh": 2, "relu": 3, "softmax": 4}
#: loss name -> output activations it supports in a fused kernel
LOSSES = {"softmax_cross_entropy": ("softmax",),
          "sigmoid_cross_entropy": ("logistic",),
          "squared_error": ("identity", "logistic", "tanh", "relu")}


def _place(half, A):
    """Copy ``A`` (dense or scipy.sparse) into ``half`` unless it is already
    there (a buffer that lives in a stack of gradient factors)."""
    if isinstance(A, np.ndarray) and A.ctypes.data == half.ctypes.data:
        return
    half[...] = A.toarray() if sp.issparse(A) else A


def _dot(A, W, out):
    if sp.issparse(A):
        out[...] = A @ W
        return out
    return np.dot(A, W, out=out)


class DenseNetwork:
    """A stack of dense layers with an output loss.

    Parameters
    ----------
    coefs : list of ndarray, each of shape (n_in, n_out)
        Weights (used in place: training updates these arrays).
    intercepts : list of ndarray, each of shape (n_out,)
        Biases (used in place, like ``coefs``).
    activations : list of str
        One per layer, from ``ACTIVATIONS`` ("softmax" only for the output).
    loss : str, default="squared_error"
        One of ``LOSSES``; must suit the output activation.
    noise_std : list of float or None
        Standard deviation of Gaussian noise added to each layer's
        pre-activation in training forward passes (0: none).  Semantic
        hashing uses it before the code sigmoid to force binary codes.
    prefix : str, default=""
        Prefix of the parameter names (``prefix + "coef_{i}"`` /
        ``prefix + "intercept_{i}"``) under which the optimizer keeps their
        state, so that several networks (an encoder and a decoder) can share
        one optimizer.
    tied : dict {int: int} or None
        ``{i: j}``: layer ``i``'s weights are the transpose of layer ``j``'s
        (``coefs[i]`` is ignored but for its shape and becomes the view
        ``coefs[j].T``).  Only ``coef_j`` is a parameter; its gradient sums
        both uses.  A tied autoencoder is ``tied={1: 0}``.
    dropout : list of float or None
        Dropout rate of each layer's *input* in training passes (layer 0:
        the data; Srivastava et al. 2014): each input is zeroed with that
        probability, the others scaled by ``1 / (1 - rate)``, so prediction
        needs no rescaling.  None: no dropout.  See :meth:`set_dropout`.
    penalties : dict {int: callable} or None
        ``{i: penalty}``: a regulariser of layer ``i``'s activations,
        called during backpropagation as ``penalty(A, dA, W)`` with the
        layer's outputs ``A`` (n, m), the gradient of the summed loss w.r.t.
        them ``dA`` (to which it adds its own, in place) and the layer's
        weights ``W``; it returns its value summed over the ``n`` rows and
        an extra gradient for ``W`` (or None).  See
        :mod:`skdeepgen.autoencoder`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.nn import DenseNetwork
    >>> rng = np.random.RandomState(0)
    >>> net = DenseNetwork.initialize([3, 4, 2], ["relu", "softmax"],
    ...                               loss="softmax_cross_entropy", rng=rng)
    >>> net.forward(np.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, coefs, intercepts, activations, loss="squared_error",
                 noise_std=None, prefix="", tied=None, penalties=None, dropout=None):
        if not (len(coefs) == len(intercepts) == len(activations)) or not coefs:
            raise ValueError("coefs, intercepts and activations must be "
                             "non-empty lists of the same length")
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            if W.ndim != 2 or b.shape != (W.shape[1],):
                raise ValueError(f"layer {i}: coef shape {W.shape} and "
                                 f"intercept shape {b.shape} do not match")
            if i and coefs[i - 1].shape[1] != W.shape[0]:
                raise ValueError(f"layer {i} has {W.shape[0]} inputs but layer "
                                 f"{i - 1} has {coefs[i - 1].shape[1]} outputs")
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; choose from "
                                 f"{sorted(ACTIVATIONS)}")
        if "softmax" in activations[:-1]:
            raise ValueError("softmax is only supported as the output activation")
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose from {sorted(LOSSES)}")
        if activations[-1] not in LOSSES[loss]:
            raise ValueError(f"loss {loss!r} needs an output activation in "
                             f"{LOSSES[loss]}, got {activations[-1]!r}")
        self.coefs = list(coefs)
        self.intercepts = list(intercepts)
        self.activations = list(activations)
        self.loss = loss
        self.noise_std = ([0.0] * len(coefs) if noise_std is None
                          else [float(s) for s in noise_std])
        self.prefix = prefix
        self.tied = {int(i): int(j) for i, j in (tied or {}).items()}
        for i, j in self.tied.items():
            if i == j or j in self.tied or self.coefs[i].shape != self.coefs[j].shape[::-1]:
                raise ValueError(f"layer {i} cannot be tied to layer {j}: shapes "
                                 f"{self.coefs[i].shape} and {self.coefs[j].shape}")
        self._tie()
        self.penalties = dict(penalties or {})
        self.set_dropout(dropout)

    def set_dropout(self, rates):
        """Set the dropout rate of each layer's input (None: none)."""
        rates = [0.0] * len(self.coefs) if rates is None else [float(r) for r in rates]
        if len(rates) != len(self.coefs) or not all(0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"dropout needs {len(self.coefs)} rates in [0, 1), "
                             f"got {rates}")
        self.dropout = rates
        self._buffers = {}
        return self

    def _tie(self):
        for i, j in self.tied.items():
            self.coefs[i] = self.coefs[j].T

    # ------------------------------------------------------------ building
    @classmethod
    def initialize(cls, layer_sizes, activations, *, loss="squared_error",
                   rng=None, dtype=np.float64, init="glorot", **kwargs):
        """Random network with ``layer_sizes = [n_in, h1, ..., n_out]``.

        ``init="glorot"``: uniform in ``+-sqrt(6 / (fan_in + fan_out))``
        (times 4 for logistic layers, Glorot & Bengio 2010; scikit-learn's
        MLP); ``init=float``: normal with that standard deviation.
        """
        rng = np.random.RandomState(rng) if not hasattr(rng, "uniform") else rng
        coefs, intercepts = [], []
        for n_in, n_out, act in zip(layer_sizes[:-1], layer_sizes[1:], activations):
            if init == "glorot":
                factor = 2.0 if act == "logistic" else 6.0
                bound = np.sqrt(factor / (n_in + n_out))
                W = rng.uniform(-bound, bound, (n_in, n_out))
            else:
                W = float(init) * rng.standard_normal((n_in, n_out))
            coefs.append(np.ascontiguousarray(W, dtype=dtype))
            intercepts.append(np.zeros(n_out, dtype=dtype))
        return cls(coefs, intercepts, activations, loss=loss, **kwargs)

    @property
    def layer_sizes(self):
        return [self.coefs[0].shape[0]] + [W.shape[1] for W in self.coefs]

    @property
    def dtype(self):
        return self.coefs[0].dtype

    def params(self):
        """dict name -> array of every trainable array (for optimizers, guards)."""
        out = {}
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            if i not in self.tied:
                out[f"{self.prefix}coef_{i}"] = W
            out[f"{self.prefix}intercept_{i}"] = b
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_buffers"] = {}
        return state

    def __setstate__(self, state):
        # pickle and deepcopy copy a transposed view as an array of its own
        self.__dict__.update(state)
        self.__dict__.setdefault("tied", {})
        self.__dict__.setdefault("penalties", {})
        self.__dict__.setdefault("dropout", [0.0] * len(self.coefs))
        self._tie()

    def _tied_users(self):
        """{source layer: [the layers tied to it]}."""
        users = {}
        for i, j in sorted(self.tied.items()):
            users.setdefault(j, []).append(i)
        return users

    def _get_buffers(self, n):
        buf = self._buffers.get(n)
        if buf is None:
            dt = self.dtype
            sizes = self.layer_sizes[1:]
            A, D = [None] * len(sizes), [None] * len(sizes)
            # A tied source's gradient is one product of stacked factors,
            # [in_j; D_i1; ...].T @ [D_j; in_i1; ...] (one pass over the
            # output instead of a product per use and an addition): D_j, D_i
            # and in_i = A_{i-1} live in the stacks, the rest is copied in.
            stacks = {}
            for j, users in self._tied_users().items():
                k = 1 + len(users)
                L = np.empty((k * n, self.coefs[j].shape[0]), dt)
                R = np.empty((k * n, self.coefs[j].shape[1]), dt)
                D[j] = R[:n]
                for t, i in enumerate(users, 1):
                    D[i] = L[t * n:(t + 1) * n]
                    if i > 0 and A[i - 1] is None:
                        A[i - 1] = R[t * n:(t + 1) * n]
                stacks[j] = (L, R, users)
            buf = {"A": [a if a is not None else np.empty((n, m), dt)
                         for a, m in zip(A, sizes)],
                   "D": [d if d is not None else np.empty((n, m), dt)
                         for d, m in zip(D, sizes)],
                   "gW": [np.empty(W.shape, dt) for W in self.coefs],
                   "gb": [np.empty_like(b) for b in self.intercepts],
                   "stacks": stacks,
                   # the inputs of the layers with dropout, as they were dropped
                   "drop": {i: np.empty((n, W.shape[0]), dt)
                            for i, W in enumerate(self.coefs) if self.dropout[i]}}
            self._buffers = {n: buf}  # keep the current batch size only
        return buf

    def input_buffer(self, n):
        """Where to put a training input of ``n`` rows so that a training
        step reads it without a copy (the first layer's slot in its stacked
        gradient factors when it is a tied source), or None."""
        stack = self._get_buffers(n)["stacks"].get(0)
        return None if stack is None else stack[0][:n]

    @staticmethod
    def _held(buf, j, lowest):
        """Whether layer ``j``'s weights are held fixed by ``lowest``: it, or
        (for a tied source) any layer that shares them, lies below it."""
        users = buf["stacks"][j][2] if j in buf["stacks"] else ()
        return min((j, *users)) < lowest

    # ------------------------------------------------------------- forward
    def forward(self, X, *, start=0, layer=None, train=False, seed=0):
        """Outputs of the network, or of layer ``layer`` (0-based, inclusive).

        ``start`` feeds ``X`` into layer ``start`` instead of the first one
        (e.g. the decoder half of an autoencoder).  With ``train=True`` the
        layers' ``noise_std`` is applied (noise streams seeded by ``seed``).
        Returns a new array in the network's dtype.
        """
        last = len(self.coefs) - 1 if layer is None else int(layer)
        A = X
        for i in range(int(start), last + 1):
            W = self.coefs[i]
            Z = np.empty((X.shape[0], W.shape[1]), W.dtype)
            _dot(A, W, Z)
            std = self.noise_std[i] if train else 0.0
            _add_bias_activate(Z, self.intercepts[i], ACTIVATIONS[self.activations[i]],
                               std, int(seed) + i)
            A = Z
        return A

    @staticmethod
    def _dropout_seed(seed, i):
        # a stream of its own, apart from the pre-activation noise's seed + i
        return int(seed) + 0x9E3779B9 + i

    def _layer_input(self, X, buf, i):
        """What layer ``i`` multiplied in the last training pass."""
        if self.dropout[i]:
            return buf["drop"][i]
        return X if i == 0 else buf["A"][i - 1]

    def _forward_train(self, X, seed):
        """Forward pass into the buffers; the output layer is left pre-activation."""
        buf = self._get_buffers(X.shape[0])
        buf["seed"] = int(seed)
        A = X
        n_layers = len(self.coefs)
        for i in range(n_layers):
            Z = buf["A"][i]
            if self.dropout[i]:
                Ad = buf["drop"][i]
                _corrupt(A.toarray() if sp.issparse(A) else A, Ad, 3,
                         self.dropout[i], self._dropout_seed(seed, i))
                A = Ad
            _dot(A, self.coefs[i], Z)
            if i < n_layers - 1:
                _add_bias_activate(Z, self.intercepts[i],
                                   ACTIVATIONS[self.activations[i]],
                                   self.noise_std[i], int(seed) + i)
            elif self.noise_std[i]:
                _add_bias_activate(Z, np.zeros_like(self.intercepts[i]), 0,
                                   self.noise_std[i], int(seed) + i)
            A = Z
        return buf

    # ------------------------------------------------------------ backward
    def _output_loss(self, buf, Y):
        """Output activation + loss + delta (fused). Returns the summed loss."""
        Z, D, gb = buf["A"][-1], buf["D"][-1], buf["gb"][-1]
        b = self.intercepts[-1]
        gb[:] = 0
        if Y.shape != Z.shape:
            raise ValueError(f"targets have shape {Y.shape}, the network "
                             f"outputs {Z.shape}")
        Y = np.ascontiguousarray(Y, dtype=Z.dtype)
        if self.loss == "softmax_cross_entropy":
            return _softmax_cross_entropy(Z, b, Y, D, gb)
        if self.loss == "sigmoid_cross_entropy":
            return _sigmoid_cross_entropy(Z, b, Y, D, gb)
        return _squared_error(Z, b, ACTIVATIONS[self.activations[-1]], Y, D, gb)

    def _backward(self, X, buf, input_grad=False, lowest=0):
        """Backpropagate ``buf["D"][-1]`` (w.r.t. the output pre-activation).

        Fills ``buf["gW"]`` (and ``buf["gb"]`` except the output's, which the
        loss kernel accumulated) with gradients summed over the batch, the
        gradient of a tied layer added to its source's, and
        ``buf["penalty"]`` with the penalties' summed value.  Returns the
        gradient w.r.t. the input when ``input_grad``.  Layers below
        ``lowest`` (held fixed) get no gradients: backpropagation stops there.
        """
        A, D, gW, gb = buf["A"], buf["D"], buf["gW"], buf["gb"]
        stacks = buf["stacks"]
        buf["penalty"] = 0.0
        extra = {}
        for i in range(len(self.coefs) - 1, lowest - 1, -1):
            prev = self._layer_input(X, buf, i)
            if i in self.tied or i in stacks:
                pass  # the stacked product below
            elif sp.issparse(prev):
                gW[i][...] = (prev.T @ D[i])
            else:
                np.dot(prev.T, D[i], out=gW[i])
            if i > lowest:
                np.dot(D[i], self.coefs[i].T, out=D[i - 1])
                self._drop_gradient(D[i - 1], buf, i)
                penalty = self.penalties.get(i - 1)
                if penalty is not None:
                    value, dW = penalty(A[i - 1], D[i - 1], self.coefs[i - 1])
                    buf["penalty"] += value
                    if dW is not None:
                        extra[i - 1] = dW
                gb[i - 1][:] = 0
                _backprop_activation(D[i - 1], A[i - 1],
                                     ACTIVATIONS[self.activations[i - 1]], gb[i - 1])
        n = D[0].shape[0]
        for j, (L, R, users) in stacks.items():
            if self._held(buf, j, lowest):
                continue
            _place(L[:n], self._layer_input(X, buf, j))
            for t, i in enumerate(users, 1):
                _place(R[t * n:(t + 1) * n], self._layer_input(X, buf, i))
            np.dot(L.T, R, out=gW[j])
        for i, dW in extra.items():
            gW[i] += dW
        if input_grad and lowest == 0:
            return self._drop_gradient(D[0] @ self.coefs[0].T, buf, 0)
        return None

    def _drop_gradient(self, G, buf, i):
        """The gradient w.r.t. layer ``i``'s dropped input -> w.r.t. its input
        (the same mask and scale, in place)."""
        if self.dropout[i]:
            _corrupt(G, G, 3, self.dropout[i], self._dropout_seed(buf["seed"], i))
        return G

    def loss_gradient(self, X, Y, *, seed=0, input_grad=False):
        """Mean loss and its gradients on a batch.

        Returns
        -------
        loss : float
            Loss summed over outputs, averaged over the ``n`` samples.
        grads : dict name -> ndarray
            Gradients of the *mean* loss (fresh arrays), named like ``params``.
        dX : ndarray or None
            Gradient of the mean loss w.r.t. ``X`` when ``input_grad``.
        """
        n = X.shape[0]
        buf = self._forward_train(X, seed)
        loss = self._output_loss(buf, Y)
        dX = self._backward(X, buf, input_grad)
        grads = {}
        for i in range(len(self.coefs)):
            if i not in self.tied:
                grads[f"{self.prefix}coef_{i}"] = buf["gW"][i] / n
            grads[f"{self.prefix}intercept_{i}"] = buf["gb"][i] / n
        return (loss + buf["penalty"]) / n, grads, (None if dX is None else dX / n)

    def backward(self, X, grad_output, *, input_grad=False):
        """Gradients for an externally computed loss (VAE-style use).

        Call after ``forward(X, train=True, ...)``-equivalent
        ``train_forward(X, seed)``; ``grad_output`` is the gradient of the
        (summed) loss w.r.t. the network's *output activations*.
        Returns (grads dict of batch sums, dX or None).
        """
        buf = self._get_buffers(X.shape[0])
        D, A, gb = buf["D"], buf["A"], buf["gb"]
        D[-1][...] = grad_output
        gb[-1][:] = 0
        if self.activations[-1] == "softmax":
            raise ValueError("backward through a softmax output needs a fused "
                             "loss; use loss='softmax_cross_entropy'")
        _backprop_activation(D[-1], A[-1], ACTIVATIONS[self.activations[-1]], gb[-1])
        dX = self._backward(X, buf, input_grad)
        grads = {}
        for i in range(len(self.coefs)):
            if i not in self.tied:
                grads[f"{self.prefix}coef_{i}"] = buf["gW"][i]
            grads[f"{self.prefix}intercept_{i}"] = buf["gb"][i]
        return grads, dX

    def train_forward(self, X, seed=0):
        """Training forward pass (noise on) into internal buffers; returns outputs.

        The returned array is a buffer reused by the next call: copy it if
        it must be kept.  Pair with :meth:`backward`.
        """
        buf = self._forward_train(X, seed)
        last = len(self.coefs) - 1
        _add_bias_activate(buf["A"][last], self.intercepts[last],
                           ACTIVATIONS[self.activations[last]], 0.0, 0)
        return buf["A"][last]

    def train_step(self, X, Y, optimizer, seed=0, lowest=0):
        """One minibatch update with ``optimizer``; returns the mean loss.

        Layers below ``lowest`` are held fixed (e.g. ``lowest=len(coefs) - 1``
        trains the output layer alone).
        """
        n = X.shape[0]
        buf = self._forward_train(X, seed)
        loss = self._output_loss(buf, Y)
        self._backward(X, buf, lowest=lowest)
        scale = 1.0 / n
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            if i < lowest:
                continue
            if i not in self.tied and not self._held(buf, i, lowest):
                optimizer.step(f"{self.prefix}coef_{i}", W, buf["gW"][i],
                               grad_scale=scale)
            optimizer.step(f"{self.prefix}intercept_{i}", b, buf["gb"][i],
                           grad_scale=scale, decay=False)
        return (loss + buf["penalty"]) / n

    def compute_loss(self, X, Y, *, batch_size=1000):
        """Mean loss over ``X`` (no noise), in batches."""
        total = 0.0
        n = X.shape[0]
        for start in range(0, n, batch_size):
            sl = slice(start, start + batch_size)
            buf = self._forward_train_clean(X[sl])
            total += self._output_loss(buf, Y[sl])
        return total / n

    def _forward_train_clean(self, X):
        saved = self.noise_std, self.dropout
        self.noise_std = [0.0] * len(saved[0])
        self.dropout = [0.0] * len(saved[1])
        try:
            return self._forward_train(X, 0)
        finally:
            self.noise_std, self.dropout = saved

    def predict(self, X, *, start=0, layer=None, batch_size=2000):
        """``forward`` in batches (bounded memory for large ``X``)."""
        n = X.shape[0]
        if n <= batch_size:
            return self.forward(X, start=start, layer=layer)
        out = None
        for s in range(0, n, batch_size):
            part = self.forward(X[s:s + batch_size], start=start, layer=layer)
            if out is None:
                out = np.empty((n, part.shape[1]), part.dtype)
            out[s:s + part.shape[0]] = part
        return out
