"""Early stopping on a held-out score."""
import copy

import numpy as np


class EarlyStopping:
    """Track a validation score; say when to stop and remember the best state.

    Parameters
    ----------
    n_iter_no_change : int
        Stop after this many epochs without an improvement of at least ``tol``.
    tol : float
        Minimum improvement.
    greater_is_better : bool
        Whether a higher score is better (log-likelihood) or lower (error).
    """

    def __init__(self, n_iter_no_change=10, tol=1e-4, greater_is_better=False):
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.sign = 1.0 if greater_is_better else -1.0
        self.best_score = -np.inf
        self.best_epoch = None
        self.best_state = None
        self._bad_epochs = 0

    def update(self, score, epoch, state):
        """Record ``score`` (in the model's natural direction); True means stop.

        ``state`` is a dict of arrays copied when the score is the best so far.
        """
        s = self.sign * float(score)
        if s > self.best_score + self.tol:
            self.best_score = s
            self.best_epoch = epoch
            self.best_state = copy.deepcopy(state)
            self._bad_epochs = 0
        else:
            self._bad_epochs += 1
        return self._bad_epochs >= self.n_iter_no_change

    @property
    def best(self):
        return self.sign * self.best_score
