"""Layers, losses and functional ops (``nnkit.nn``), with PyTorch's names, arguments and
numerics. ``from nnkit.nn import functional as F``.

One file per concern, each holding its ops (with their backward) and then its layers:
``activation.py``, ``linear.py``, ``conv.py``, ``pooling.py``, ``dropout.py``,
``normalization.py``, ``loss.py``, ``rnn.py``; ``module.py`` and ``container.py`` are the
``Module`` machinery, ``init.py`` the initialisers, ``functional.py`` the index of the ops.
"""
from .._allocator import tune_allocator

tune_allocator()   # reuse freed large arrays instead of page-faulting new ones (see nnkit/_allocator.py)

from . import functional, init  # noqa: E402
from .module import Module, Parameter  # noqa: E402
from .container import Sequential, ModuleList, Identity, Flatten  # noqa: E402
from .linear import Linear, Maxout  # noqa: E402
from .conv import Conv2d  # noqa: E402
from .pooling import MaxPool2d, AvgPool2d  # noqa: E402
from .dropout import Dropout  # noqa: E402
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: E402
from .activation import ReLU, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, Softmax, LogSoftmax, Step  # noqa: E402
from .loss import MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss  # noqa: E402
from .rnn import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU  # noqa: E402

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "Identity",
           "Flatten", "Linear", "Maxout", "Conv2d", "MaxPool2d", "AvgPool2d", "Dropout",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU", "LeakyReLU", "PReLU", "ELU",
           "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "RNNCell", "LSTMCell", "GRUCell",
           "RNN", "LSTM", "GRU"]
