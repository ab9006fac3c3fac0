"""``TransformerEncoderLayer`` and ``TransformerEncoder`` (as ``torch.nn``), and the causal mask.

One encoder layer is self-attention and a two-layer MLP, each wrapped in a residual connection
and a layer norm. Post-norm (``norm_first=False``, the original Transformer and PyTorch's
default) normalises after each residual sum; pre-norm (``norm_first=True``) normalises the input
of each branch and leaves the residual path x -> x + ... untouched:

    post-norm:  x = norm1(x + SA(x));        x = norm2(x + FF(x))
    pre-norm:   x = x + SA(norm1(x));        x = x + FF(norm2(x))

with SA(x) = dropout1(self_attn(x, x, x)) and FF(x) = dropout2(linear2(dropout(act(linear1(x))))).
Everything is built from nnkit layers (``MultiheadAttention``, ``Linear``, ``LayerNorm``,
``Dropout``), so autodiff takes care of the backward.
"""
from __future__ import annotations

import copy

import numpy as np

from . import functional as F
from .activation import gelu
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz, dtype=np.float32):
    """The causal mask for ``sz`` positions as a float array: 0 on and below the diagonal, -inf
    above, so position i attends to positions 0..i. PyTorch has it as the static method
    ``torch.nn.Transformer.generate_square_subsequent_mask``."""
    return np.triu(np.full((sz, sz), -np.inf, dtype=dtype), 1)


def _activation(activation):
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return gelu
    raise ValueError(f"TransformerEncoderLayer: activation should be 'relu', 'gelu' or a callable, "
                     f"got {activation!r}")


class TransformerEncoderLayer(Module):
    """Self-attention + feed-forward block with residual connections and layer norm, as
    ``torch.nn.TransformerEncoderLayer`` (see the module docstring for the two orders).

    Submodules named as PyTorch's: ``self_attn`` (``MultiheadAttention(d_model, nhead)``),
    ``linear1`` (d_model -> dim_feedforward), ``dropout``, ``linear2`` (back to d_model),
    ``norm1``, ``norm2``, ``dropout1``, ``dropout2``. ``forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)``; ``src`` is (S, N, E), or (N, S, E) with
    ``batch_first``, or unbatched (S, E). Masks as ``MultiheadAttention``'s (boolean: True =
    masked out). Without PyTorch's fused "fast path" for inference, which computes the same.

    Book: ch-13-attention (eq-13-postnorm, eq-13-prenorm)."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 dtype=np.float32):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)
        self.batch_first = batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def extra_repr(self):
        return f"norm_first={self.norm_first}"


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies: every layer starts
    from the same weights, as in PyTorch), then ``norm`` if given. Submodules ``layers.0``, ...,
    ``layers.{num_layers - 1}`` and ``norm``. ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)`` passes the masks to every layer; ``is_causal=True``
    is a hint that ``mask`` is the causal mask and, as in PyTorch, needs it (ValueError without). Accepts and
    ignores PyTorch's ``enable_nested_tensor`` and ``mask_check`` (nnkit has no nested tensors).

    Book: ch-13-attention (eq-13-prenorm)."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        if int(num_layers) < 1:
            raise ValueError(f"TransformerEncoder: num_layers must be at least 1, got {num_layers}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(int(num_layers))])
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        if is_causal and mask is None:
            # PyTorch raises too (its MultiheadAttention: "Need attn_mask if specifying the
            # is_causal hint"); without the error the stack would silently see the future
            raise ValueError("TransformerEncoder: is_causal=True needs mask, the causal mask itself "
                             "(e.g. nnkit.nn.transformer.generate_square_subsequent_mask(S)); "
                             "is_causal is only a hint, as in PyTorch")
        x = src
        causal = bool(is_causal)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=causal)
        if self.norm is not None:
            x = self.norm(x)
        return x
