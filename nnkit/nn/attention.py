"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention`` (as
``torch.nn.functional.scaled_dot_product_attention`` and ``torch.nn.MultiheadAttention``).

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    A = softmax(Q K^T * scale + M)        (..., L, S), softmax over the keys (last dimension)
    out = A V                             (..., L, Ev)

with ``scale = 1 / sqrt(E)`` by default and M an additive mask (0 where a query may look at a
key, -inf where it may not). The scores and the softmax are one fused graph node
(``_attention``): its forward subtracts each row's maximum before ``exp`` (so large scores
cannot overflow) and its backward is written out,

    dS = A * (dA - sum_j dA_j A_j),   dQ = dS K * scale,   dK = dS^T Q * scale,

so attention costs two batched matmuls forward and four backward, with no Python loop over
positions or heads. ``scaled_dot_product_attention_naive`` builds the same from elementary
Tensor operations (the readable definition, and the test oracle of the fused node).

Masks follow PyTorch, and the two conventions differ:

- ``scaled_dot_product_attention(attn_mask=...)``: a boolean mask says where attention may go
  (True = take part); a float mask is added to the scores.
- ``MultiheadAttention`` (``attn_mask``, ``key_padding_mask``): a boolean mask says where
  attention may *not* go (True = masked out); a float mask is added.

A query whose keys are all masked out has no distribution to take: its weights, its output
and its gradients are zeros, as PyTorch's ``scaled_dot_product_attention`` gives them (PyTorch's
``MultiheadAttention`` gives NaN there with ``need_weights=True`` and in its inference fast
path, zeros otherwise; nnkit gives zeros throughout).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import get_rng
from ..tensor import Tensor, cat
from .dropout import dropout
from . import init
from .linear import Linear, linear
from .module import Module, Parameter

__all__ = [
    "MultiheadAttention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_naive",
]


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _additive_mask(mask, dtype, allow_true, fn):
    """A float array to add to the scores: for a boolean ``mask``, 0 where the mask is
    ``allow_true`` and -inf elsewhere; a float mask as it is (cast to ``dtype``)."""
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        keep = m if allow_true else ~m
        return np.where(keep, 0.0, -np.inf).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a bool or float mask, got dtype {m.dtype}")
    return m.astype(dtype, copy=False)


def _causal_mask(L, S, dtype):
    """0 on and below the diagonal, -inf above: query i sees keys 0..i (PyTorch's ``is_causal``,
    aligned at the top left when L != S)."""
    return np.where(np.tri(L, S, dtype=bool), 0.0, -np.inf).astype(dtype)


def _softmax_rows(scores):
    """Softmax over the last axis, in place, with each row's maximum subtracted first (so no
    exp overflows). A row that is all -inf (every key masked out) gives zeros: its maximum is
    raised to the most negative float, so exp gives 0 everywhere, and its sum of 0 is raised to
    1 (any other row sums to at least 1, from exp(0) at its maximum)."""
    m = scores.max(axis=-1, keepdims=True)
    np.maximum(m, np.finfo(scores.dtype).min, out=m)
    scores -= m
    np.exp(scores, out=scores)
    total = _row_sum(scores)
    np.maximum(total, 1, out=total)
    scores /= total
    return scores


def _row_sum(x):
    """Sum over the last axis as a (..., 1) array, by one matrix-vector product with a vector of
    ones: the same sum as ``x.sum(-1, keepdims=True)`` (up to rounding), about ten times faster
    than NumPy's reduction along a short last axis."""
    n = x.shape[-1]
    return (x.reshape(-1, n) @ np.ones(n, dtype=x.dtype)).reshape(x.shape[:-1] + (1,))


def _check_mask(add, scores_shape, fn):
    try:
        ok = np.broadcast_shapes(add.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fn}: expected attn_mask broadcastable to the scores' shape "
                         f"{tuple(scores_shape)} (..., L, S), got attn_mask of shape {tuple(add.shape)}")


def _attention(q, k, v, mask, scale, dropout_p=0.0, need_weights=False, heads=None, fn="attention"):
    """The fused attention node behind ``scaled_dot_product_attention`` and
    ``MultiheadAttention``. Returns ``(out, weights)``, weights None unless ``need_weights``.

    - ``heads=None``: Tensors q (..., L, E), k (..., S, E), v (..., S, Ev) -> out (..., L, Ev),
      weights (..., L, S); leading dimensions broadcast.
    - ``heads=H``: q (N, L, E), k (N, S, E), v (N, S, Ev) are split into H heads of E / H
      features (views, no copy), out (N, L, Ev) has the heads side by side again, weights
      (N, H, L, S). With ``k = v = None``, q is the packed (N, L, 3 E) output of one projection
      (self-attention): Q, K, V are its three blocks of E columns.

    ``mask`` is an additive float array broadcastable to the scores (or None). The forward is
    two batched matmuls and a softmax; the backward four matmuls. The returned weights are a
    second node over the same arrays (the weights after dropout, as PyTorch returns them)."""
    packed = k is None
    if heads is None:
        Q, K, Vv = q.data, k.data, v.data
    else:
        H = heads
        if packed:
            N, L, E3 = q.shape
            x5 = q.data.reshape(N, L, 3, H, E3 // (3 * H))
            Q, K, Vv = (x5[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        else:
            N, L, _ = q.shape
            S = k.shape[1]
            Q = q.data.reshape(N, L, H, -1).transpose(0, 2, 1, 3)   # (N, H, L, E / H)
            K = k.data.reshape(N, S, H, -1).transpose(0, 2, 1, 3)
            Vv = v.data.reshape(N, S, H, -1).transpose(0, 2, 1, 3)
    Qs = Q * np.asarray(scale, dtype=Q.dtype)              # scale the (smaller) queries
    try:
        scores = np.matmul(Qs, np.swapaxes(K, -1, -2))    # (..., L, S)
    except ValueError:
        raise ValueError(f"{fn}: the batch dimensions of query {tuple(q.shape)} and key "
                         f"{tuple(k.shape)} do not broadcast") from None
    if mask is not None:
        _check_mask(mask, scores.shape, fn)
        scores += mask
    A = _softmax_rows(scores)                            # (..., L, S)
    if dropout_p > 0:
        keep = (get_rng().random(A.shape, dtype=np.float32) >= dropout_p) * A.dtype.type(1 / (1 - dropout_p))
        D = A * keep
    else:
        keep, D = None, A
    try:
        O = np.matmul(D, Vv)                             # (..., L, Ev)
    except ValueError:
        raise ValueError(f"{fn}: the batch dimensions of the weights {tuple(D.shape)} and value "
                         f"{tuple(v.shape)} do not broadcast") from None
    if heads is not None:
        O = O.transpose(0, 2, 1, 3).reshape(N, L, -1)   # (N, L, H * Ev / H)
    parents = (q,) if packed else (q, k, v)

    def scores_backward(dD):
        """dQ, dK (head layout) from the gradient of the (dropped-out) weights."""
        dA = dD * keep if keep is not None else dD
        dS = dA * A
        dS -= A * _row_sum(dS)                           # A * (dA - sum_j dA_j A_j)
        dQ = np.matmul(dS, K)                            # scores = (scale Q) K^T
        dQ *= dQ.dtype.type(scale)
        return dQ, np.matmul(np.swapaxes(dS, -1, -2), Qs)

    def route(dQ, dK, dV):
        """Add the gradients into the parents, undoing the head split."""
        if heads is None:
            for t, g in ((q, dQ), (k, dK), (v, dV)):
                if g is not None:
                    t._accum_grad(g)
            return
        if packed:
            g5 = np.empty((N, L, 3) + Q.shape[1:2] + Q.shape[3:], dtype=dQ.dtype)
            for i, g in enumerate((dQ, dK, dV)):
                if g is None:
                    g5[:, :, i] = 0
                else:
                    g5[:, :, i] = g.transpose(0, 2, 1, 3)
            q._accum_grad(g5.reshape(q.shape))
            return
        for t, g in ((q, dQ), (k, dK), (v, dV)):
            if g is not None:
                t._accum_grad(g.transpose(0, 2, 1, 3).reshape(t.shape))

    out = Tensor._make(O, parents, "attention")

    def _backward():
        g = out.grad
        if heads is not None:
            g = g.reshape(N, L, H, -1).transpose(0, 2, 1, 3)
        dV = np.matmul(np.swapaxes(D, -1, -2), g)
        dQ, dK = scores_backward(np.matmul(g, np.swapaxes(Vv, -1, -2)))
        route(dQ, dK, dV)
    out._backward = _backward
    if not need_weights:
        return out, None
    weights = Tensor._make(D, parents, "attention_weights")

    def _weights_backward():
        dQ, dK = scores_backward(weights.grad)
        route(dQ, dK, None)
    weights._backward = _weights_backward
    return out, weights


def _gqa(query, key, value, fn):
    """Grouped-query attention: repeat each key/value head for its group of query heads
    (dimension -3), as PyTorch's ``enable_gqa=True``."""
    if query.ndim < 3 or key.ndim < 3:
        raise ValueError(f"{fn}: enable_gqa needs a head dimension (..., H, L, E), got query of shape "
                         f"{tuple(query.shape)} and key of shape {tuple(key.shape)}")
    hq, hk = query.shape[-3], key.shape[-3]
    if hq % hk or value.shape[-3] != hk:
        raise ValueError(f"{fn}: with enable_gqa the number of query heads ({hq}) must be a multiple "
                         f"of the key and value heads, got key {tuple(key.shape)} and value "
                         f"{tuple(value.shape)}")
    if hq == hk:
        return key, value
    idx = np.repeat(np.arange(hk), hq // hk)
    sel = (Ellipsis, idx, slice(None), slice(None))
    return key[sel], value[sel]


def _check_value(key, value, fn):
    if value.ndim < 2 or value.shape[-2] != key.shape[-2]:
        raise ValueError(f"{fn}: expected value (..., S, Ev) with the key's S = {key.shape[-2]}, got "
                         f"key of shape {tuple(key.shape)} and value of shape {tuple(value.shape)}")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + M) V, as ``torch.nn.functional.scaled_dot_product_attention``.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    dimensions broadcast. ``attn_mask``: bool (True = the query may look at that key) or float
    (added to the scores), broadcastable to (..., L, S). ``is_causal``: query i sees keys
    0..i. ``scale`` replaces 1/sqrt(E). ``dropout_p``: dropout on the attention weights (applied
    whenever > 0, as in PyTorch; pass 0 in evaluation). ``enable_gqa``: fewer key/value heads than
    query heads (dimension -3). Rows whose keys are all masked out give zeros.

    Book: ch-13-attention (eq-13-attention, eq-13-mask, eq-13-softmax-jac)."""
    fn = "scaled_dot_product_attention"
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    if q.ndim < 2 or k.ndim < 2:
        raise ValueError(f"{fn}: expected query (..., L, E) and key (..., S, E) with at least 2 "
                         f"dimensions, got shapes {tuple(q.shape)} and {tuple(k.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{fn}: expected query and key with the same last dimension E, got "
                         f"query of shape {tuple(q.shape)} and key of shape {tuple(k.shape)}")
    if attn_mask is not None and is_causal:
        raise ValueError(f"{fn}: pass attn_mask or is_causal=True, not both (PyTorch: explicit "
                         "attn_mask should not be set when is_causal=True)")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{fn}: dropout_p must be in [0, 1), got {dropout_p}")
    if enable_gqa:
        k, v = _gqa(q, k, v, fn)
    _check_value(k, v, fn)
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    dt = np.result_type(q.data, k.data)
    if is_causal:
        mask = _causal_mask(L, S, dt)
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, dt, True, fn)
    else:
        mask = None
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    return _attention(q, k, v, mask, scale, dropout_p, fn=fn)[0]


def scaled_dot_product_attention_naive(query, key, value, attn_mask=None, dropout_p=0.0,
                                       is_causal=False, scale=None):
    """The same attention from elementary Tensor operations (matmul, multiply, add, softmax):
    slower and heavier on memory than the fused ``scaled_dot_product_attention``, but each line
    is the formula. A fully masked row gives NaN here (softmax of all -inf), zeros in the fused op.

    Book: ch-13-attention (eq-13-attention, eq-13-mask)."""
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale                     # (..., L, S)
    if is_causal:
        scores = scores + Tensor(_causal_mask(L, S, scores.dtype))
    elif attn_mask is not None:
        scores = scores + Tensor(_additive_mask(attn_mask, scores.dtype, True, "sdpa_naive"))
    weights = scores.softmax(dim=-1)                                # over the keys
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return weights @ v


# ============================================================================= MultiheadAttention
class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017), as ``torch.nn.MultiheadAttention``:

        head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V),   out = concat(head_1, ..., head_h) W^O

    with ``num_heads`` heads of size ``head_dim = embed_dim // num_heads``. Parameters, named as
    PyTorch's: ``in_proj_weight`` (3 E, E) holding W^Q, W^K, W^V stacked (or ``q_proj_weight``,
    ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from E), ``in_proj_bias``
    (3 E), ``out_proj`` (a ``Linear(E, E)``), ``bias_k``/``bias_v`` with ``add_bias_kv``.
    Init as PyTorch: Xavier-uniform projections, zero biases, ``out_proj.weight`` as ``Linear``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``:
    shapes (L, N, E) and (N, L, S) (per head (N, num_heads, L, S) without averaging), or
    (N, L, E) for the output with ``batch_first``; unbatched (L, E) input gives (L, E) and
    (L, S); ``attn_weights`` is None unless ``need_weights``. Boolean masks are True where
    attention is NOT allowed; ``key_padding_mask`` (N, S), ``attn_mask`` (L, S) or
    (N * num_heads, L, S). ``is_causal`` is a hint that ``attn_mask`` is the causal mask, and
    needs it (as PyTorch). The returned weights are those applied to the values (after dropout,
    as PyTorch's).

    Book: ch-13-attention (eq-13-mha, eq-13-mha-params)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, dtype=np.float32):
        super().__init__()
        embed_dim, num_heads = int(embed_dim), int(num_heads)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else int(kdim)
        self.vdim = embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ------------------------------------------------------------------ checks
    def _check_inputs(self, query, key, value, key_padding_mask, attn_mask):
        name = "MultiheadAttention"
        if query.ndim not in (2, 3):
            raise ValueError(f"{name}: expected query of 2 (unbatched: L, E) or 3 dimensions, got "
                             f"shape {tuple(query.shape)}")
        batched = query.ndim == 3
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: expected query, key and value with the same number of "
                             f"dimensions, got shapes {tuple(query.shape)}, {tuple(key.shape)} and "
                             f"{tuple(value.shape)}")
        for t, what, d in ((query, "query", self.embed_dim), (key, "key", self.kdim),
                           (value, "value", self.vdim)):
            if t.shape[-1] != d:
                raise ValueError(f"{name}: expected {what} with last dimension {d}, got {what} of "
                                 f"shape {tuple(t.shape)}")
        sdim = (1 if self.batch_first else 0) if batched else 0
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: expected key and value of the same sequence length and batch, "
                             f"got key {tuple(key.shape)} and value {tuple(value.shape)}")
        if batched:
            bdim = 0 if self.batch_first else 1
            if query.shape[bdim] != key.shape[bdim]:
                raise ValueError(f"{name}: expected query and key with the same batch size, got "
                                 f"query {tuple(query.shape)} and key {tuple(key.shape)}"
                                 f"{' (batch_first=True)' if self.batch_first else ''}")
            N = query.shape[bdim]
        L, S = query.shape[sdim], key.shape[sdim]
        if key_padding_mask is not None:
            want = (N, S) if batched else (S,)
            if tuple(np.shape(key_padding_mask)) != want:
                raise ValueError(f"{name}: expected key_padding_mask of shape {want} (batch, key "
                                 f"length), got {tuple(np.shape(key_padding_mask))}")
        if attn_mask is not None:
            shape = tuple(np.shape(attn_mask))
            h3 = (N * self.num_heads, L, S) if batched else (self.num_heads, L, S)
            if shape not in ((L, S), h3):
                raise ValueError(f"{name}: expected attn_mask of shape {(L, S)} or {h3}, got {shape}")
        return batched, L, S

    # ------------------------------------------------------------------ forward
    def _projections(self, query, key, value):
        """Q = query W_q^T + b_q, K = key W_k^T + b_k, V = value W_v^T + b_v: W_q, W_k, W_v are
        the three row blocks of ``in_proj_weight`` (or the separate ``*_proj_weight``)."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def _mask(self, attn_mask, key_padding_mask, N, L, S, dtype):
        """One additive float mask (N or 1, H or 1, L or 1, S) from the two boolean (True = masked
        out) or float masks, or None."""
        mask = None
        if attn_mask is not None:
            m = _additive_mask(attn_mask, dtype, False, "MultiheadAttention")
            mask = m.reshape(1, 1, L, S) if m.ndim == 2 else m.reshape(N, self.num_heads, L, S)
        if key_padding_mask is not None:
            kp = _additive_mask(key_padding_mask, dtype, False, "MultiheadAttention")
            kp = kp.reshape(N, 1, 1, S)
            mask = kp if mask is None else mask + kp
        return mask

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        query, key, value = _as_tensor(query), _as_tensor(key), _as_tensor(value)
        batched, L, S = self._check_inputs(query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True needs attn_mask, the causal mask "
                             "itself (e.g. nnkit.nn.transformer.generate_square_subsequent_mask(L)); "
                             "is_causal is only a hint, as in PyTorch")
        self_attention = query is key and key is value
        if not batched:                                   # (L, E) -> (1, L, E)
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:                       # (L, N, E) -> (N, L, E)
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, E = query.shape[0], self.embed_dim
        extra = self.bias_k is not None or self.add_zero_attn
        if self_attention and self._qkv_same_embed_dim and not extra:
            # one matmul gives Q, K and V side by side (N, L, 3 E); the attention node splits them
            q = linear(query, self.in_proj_weight, self.in_proj_bias)
            k = v = None
        else:
            q, k, v = self._projections(query, key, value)     # (N, L, E), (N, S, E), (N, S, E)
        mask = self._mask(attn_mask, key_padding_mask, N, L, S, q.dtype)

        if self.bias_k is not None:                      # one more key and value: learned vectors
            ones = Tensor(np.ones((N, 1, 1), dtype=q.dtype))
            k, v = cat([k, self.bias_k * ones], dim=1), cat([v, self.bias_v * ones], dim=1)
            mask = None if mask is None else np.pad(mask, [(0, 0)] * 3 + [(0, 1)])
        if self.add_zero_attn:                           # one more key and value: zeros
            zeros = Tensor(np.zeros((N, 1, E), dtype=q.dtype))
            k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
            mask = None if mask is None else np.pad(mask, [(0, 0)] * 3 + [(0, 1)])

        p = self.dropout if self.training else 0.0
        out, a = _attention(q, k, v, mask, 1.0 / math.sqrt(self.head_dim), p, need_weights,
                            heads=self.num_heads, fn="MultiheadAttention")   # (N, L, E), (N, H, L, S)
        out = self.out_proj(out)

        if not batched:
            out = out.reshape(L, E)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        w = a.mean(dim=1) if average_attn_weights else a
        return out, (w.reshape(w.shape[1:]) if not batched else w)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")
