"""Layers, losses and functional ops (``nnkit.nn``), with PyTorch's names, arguments and
numerics. ``from nnkit.nn import functional as F``."""
from . import functional, init

functional._tune_allocator()   # reuse freed large arrays instead of page-faulting new ones
from .module import Module, Parameter
from .container import Sequential, ModuleList, Identity, Flatten
from .linear import Linear, Maxout
from .conv import Conv2d
from .pooling import MaxPool2d, AvgPool2d
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .activation import ReLU, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, Softmax, LogSoftmax, Step
from .loss import MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss
from .rnn import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "Identity",
           "Flatten", "Linear", "Maxout", "Conv2d", "MaxPool2d", "AvgPool2d", "Dropout",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU", "LeakyReLU", "PReLU", "ELU",
           "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "RNNCell", "LSTMCell", "GRUCell",
           "RNN", "LSTM", "GRU"]

# Part IV: embeddings, attention and the Transformer encoder (one op next to its module)
from .activation import GELU
from .sparse import Embedding
from .attention import MultiheadAttention
from .transformer import TransformerEncoderLayer, TransformerEncoder

__all__ += ["GELU", "Embedding", "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]
