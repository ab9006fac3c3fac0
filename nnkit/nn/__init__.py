"""Layers, losses and functional ops (``nnkit.nn``), with PyTorch's names, arguments and
numerics. ``from nnkit.nn import functional as F``.

One file per concern, each holding its ops (with their backward) and then its layers:
``activation.py``, ``linear.py``, ``conv.py``, ``pooling.py``, ``dropout.py``,
``normalization.py``, ``loss.py``, ``rnn.py``, ``sparse.py`` (embeddings), ``attention.py``,
``transformer.py``; ``module.py`` and ``container.py`` are the
``Module`` machinery, ``init.py`` the initialisers, ``functional.py`` the index of the ops.
"""
from . import functional, init
from .module import Module, Parameter
from .container import Sequential, ModuleList, Identity, Flatten
from .linear import Linear, Maxout
from .conv import Conv2d
from .pooling import MaxPool2d, AvgPool2d
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .activation import ReLU, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, Softmax, LogSoftmax, Step, GELU
from .loss import MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss
from .rnn import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
from .sparse import Embedding
from .attention import MultiheadAttention
from .transformer import TransformerEncoderLayer, TransformerEncoder
from . import utils

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "Identity",
           "Flatten", "Linear", "Maxout", "Conv2d", "MaxPool2d", "AvgPool2d", "Dropout",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU", "LeakyReLU", "PReLU", "ELU",
           "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "RNNCell", "LSTMCell", "GRUCell",
           "RNN", "LSTM", "GRU", "GELU", "Embedding", "MultiheadAttention", "TransformerEncoderLayer",
           "TransformerEncoder"]

