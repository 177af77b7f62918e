"""Plain-Python training machinery shared by every model.

the one epoch loop, minibatches, optimizers and learning-rate schedules,
early stopping, progress/history, random-state plumbing and the divergence
guard.
"""
from .minibatch import iter_minibatches, n_minibatches
from .optimizers import SGD, Adam, make_optimizer, LearningRateSchedule
from .early_stopping import EarlyStopping
from .progress import Progress
from .random import draw_seeds, split_validation
from .guard import DivergenceError, check_finite_params
from .loop import TrainingInterrupted, nested_training, run_epochs

__all__ = [
    "iter_minibatches", "n_minibatches", "SGD", "Adam", "make_optimizer",
    "LearningRateSchedule", "EarlyStopping", "Progress", "draw_seeds",
    "split_validation", "DivergenceError", "check_finite_params",
    "TrainingInterrupted", "nested_training", "run_epochs",
]
