"""``nnkit.nn.functional`` (import as ``F``): the operations behind the layers, as
``torch.nn.functional``. This file is only an index: each op lives next to its layer, with its
backward, and with its readable ``<op>_naive`` twin where the fast kernel is not the formula.

===========================================================  ==========================  ====================
ops                                                          file                        explained in
===========================================================  ==========================  ====================
relu, leaky_relu, elu, prelu, sigmoid, tanh, step            nnkit/nn/activation.py      ch-06-activations
softmax, log_softmax                                         nnkit/nn/activation.py      ch-07-losses
linear                                                       nnkit/nn/linear.py          ch-02-mlp
conv2d, conv2d_naive                                         nnkit/nn/conv.py            ch-10-cnn
max_pool2d, max_pool2d_naive, avg_pool2d, avg_pool2d_naive   nnkit/nn/pooling.py         ch-10-cnn
dropout                                                      nnkit/nn/dropout.py         ch-09-regularization
batch_norm, layer_norm                                       nnkit/nn/normalization.py   ch-12-deep-networks
mse_loss, l1_loss, binary_cross_entropy                      nnkit/nn/loss.py            ch-07-losses
binary_cross_entropy_with_logits, cross_entropy, nll_loss    nnkit/nn/loss.py            ch-07-losses
one_hot                                                      nnkit/nn/loss.py            ch-07-losses
gelu                                                         nnkit/nn/activation.py      ch-13-attention
embedding                                                    nnkit/nn/sparse.py          ch-13-attention
scaled_dot_product_attention                                 nnkit/nn/attention.py       ch-13-attention
scaled_dot_product_attention_naive                           nnkit/nn/attention.py       ch-13-attention
===========================================================  ==========================  ====================

Each op's docstring names its chapter and equations (``Book: ch-... (eq-...)``). Where to add a
new op, and what goes with it, is the checklist "Adding an op or a layer" in CONTRIBUTING.md.
"""
from .activation import elu, gelu, leaky_relu, log_softmax, prelu, relu, sigmoid, softmax, step, tanh
from .attention import scaled_dot_product_attention, scaled_dot_product_attention_naive
from .conv import conv2d, conv2d_naive
from .dropout import dropout
from .linear import linear
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss,
                   mse_loss, nll_loss, one_hot)
from .normalization import batch_norm, layer_norm
from .pooling import avg_pool2d, avg_pool2d_naive, max_pool2d, max_pool2d_naive
from .sparse import embedding

__all__ = ["relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "step", "linear", "conv2d", "conv2d_naive", "max_pool2d", "max_pool2d_naive",
           "avg_pool2d", "avg_pool2d_naive", "dropout", "batch_norm", "layer_norm", "mse_loss",
           "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "nll_loss", "one_hot", "gelu", "embedding", "scaled_dot_product_attention",
           "scaled_dot_product_attention_naive"]
