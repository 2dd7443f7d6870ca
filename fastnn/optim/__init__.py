"""Optimizers with PyTorch's update rules and argument checks."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD
