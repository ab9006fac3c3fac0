"""Recurrent layers (as ``torch.nn``): ``RNNCell``, ``LSTMCell``, ``GRUCell``, ``RNN``, ``LSTM``,
``GRU`` with PyTorch's parameter names, shapes and gate order.

For hidden size H and input x_t, previous state h (and c):

    RNN : h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                  (or relu)
    LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)          (weights (4H, in), order i,f,g,o)
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g);  h' = sigmoid(o) * tanh(c')
    GRU : r, z = sigmoid(split(W_ih x + b_ih + W_hh h + b_hh)[:2])  (weights (3H, in), order r,z,n)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h

Each layer over a whole sequence is ONE graph node: the forward loops over time with NumPy and
the backward is hand-written backpropagation through time (one matmul per step, weight
gradients as one matmul over all steps). A cell is the same op with T = 1.
Not implemented: ``bidirectional``, ``proj_size``; ``dropout`` between layers is supported.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, relu_array, sigmoid_array, stack
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """One layer over a sequence x (T, B, I). Returns a Tensor (T, B, H), or for LSTM
    (T + 1, B, H) whose last row is c_T."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    W_ih, W_hh = w_ih.data, w_hh.data
    dt = np.result_type(x.data, W_ih)
    xp = (x.data.reshape(T * B, -1) @ W_ih.T).reshape(T, B, -1)
    if b_ih is not None:
        xp += b_ih.data
    bhh = b_hh.data if b_hh is not None else None
    if bhh is not None and mode != "GRU":
        xp += bhh
    hs = np.empty((T + 1, B, H), dtype=dt)
    hs[0] = h0.data
    if mode in ("RNN_TANH", "RNN_RELU"):
        for t in range(T):
            z = xp[t] + hs[t] @ W_hh.T
            hs[t + 1] = np.tanh(z) if mode == "RNN_TANH" else relu_array(z)
        data, saved = hs[1:], None
    elif mode == "LSTM":
        cs = np.empty((T + 1, B, H), dtype=dt)
        cs[0] = c0.data
        acts = np.empty((T, B, 4 * H), dtype=dt)     # i, f, g, o after their nonlinearities
        tc = np.empty((T, B, H), dtype=dt)
        for t in range(T):
            gates = xp[t] + hs[t] @ W_hh.T
            a = acts[t]
            a[:, :2 * H] = sigmoid_array(gates[:, :2 * H])
            a[:, 2 * H:3 * H] = np.tanh(gates[:, 2 * H:3 * H])
            a[:, 3 * H:] = sigmoid_array(gates[:, 3 * H:])
            cs[t + 1] = a[:, H:2 * H] * cs[t] + a[:, :H] * a[:, 2 * H:3 * H]
            tc[t] = np.tanh(cs[t + 1])
            hs[t + 1] = a[:, 3 * H:] * tc[t]
        data = np.concatenate([hs[1:], cs[T:]], axis=0)
        saved = (cs, acts, tc)
    else:  # GRU
        rz = np.empty((T, B, 2 * H), dtype=dt)
        ns = np.empty((T, B, H), dtype=dt)
        hn = np.empty((T, B, H), dtype=dt)             # W_hn h + b_hn
        for t in range(T):
            hp = hs[t] @ W_hh.T
            if bhh is not None:
                hp += bhh
            rz[t] = sigmoid_array(xp[t, :, :2 * H] + hp[:, :2 * H])
            hn[t] = hp[:, 2 * H:]
            ns[t] = np.tanh(xp[t, :, 2 * H:] + rz[t, :, :H] * hn[t])
            z = rz[t, :, H:]
            hs[t + 1] = (1 - z) * ns[t] + z * hs[t]
        data, saved = hs[1:], (rz, ns, hn)
    parents = tuple(p for p in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if p is not None)
    out = Tensor._make(data, parents, mode.lower())

    def _backward():
        g = out.grad
        dX = np.empty((T, B, W_ih.shape[0]), dtype=dt)   # d(pre-activation from the input side)
        dH = dX if mode != "GRU" else np.empty((T, B, 3 * H), dtype=dt)  # from the hidden side
        dh = np.zeros((B, H), dtype=dt)
        if mode in ("RNN_TANH", "RNN_RELU"):
            for t in range(T - 1, -1, -1):
                dh = dh + g[t]
                h = hs[t + 1]
                dz = dh * (1 - h * h) if mode == "RNN_TANH" else dh * (h > 0)
                dX[t] = dz
                dh = dz @ W_hh
        elif mode == "LSTM":
            cs, acts, tc = saved
            dc = g[T].astype(dt, copy=True)
            for t in range(T - 1, -1, -1):
                dh = dh + g[t]
                a = acts[t]
                i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                dc = dc + dh * o * (1 - tc[t] * tc[t])
                d = dX[t]
                d[:, :H] = dc * gg * i * (1 - i)
                d[:, H:2 * H] = dc * cs[t] * f * (1 - f)
                d[:, 2 * H:3 * H] = dc * i * (1 - gg * gg)
                d[:, 3 * H:] = dh * tc[t] * o * (1 - o)
                dc = dc * f
                dh = d @ W_hh
        else:
            rz, ns, hn = saved
            for t in range(T - 1, -1, -1):
                dh = dh + g[t]
                r, z, n = rz[t, :, :H], rz[t, :, H:], ns[t]
                dn = dh * (1 - z) * (1 - n * n)
                dzp = dh * (hs[t] - n) * z * (1 - z)
                drp = dn * hn[t] * r * (1 - r)
                dX[t, :, :H], dX[t, :, H:2 * H], dX[t, :, 2 * H:] = drp, dzp, dn
                dH[t, :, :H], dH[t, :, H:2 * H], dH[t, :, 2 * H:] = drp, dzp, dn * r
                dh = dh * z + dH[t] @ W_hh
        G = dX.shape[2]
        if x.requires_grad:
            x._accum_grad((dX.reshape(T * B, G) @ W_ih).reshape(x.shape))
        if h0.requires_grad:
            h0._accum_grad(dh)
        if c0 is not None and c0.requires_grad:
            c0._accum_grad(dc)
        if w_ih.requires_grad:
            F._give(w_ih, dX.reshape(T * B, G).T @ x.data.reshape(T * B, -1))
        if w_hh.requires_grad:
            F._give(w_hh, dH.reshape(T * B, -1).T @ hs[:-1].reshape(T * B, H))
        if b_ih is not None and b_ih.requires_grad:
            F._give(b_ih, dX.sum(axis=(0, 1)))
        if b_hh is not None and b_hh.requires_grad:
            F._give(b_hh, dH.sum(axis=(0, 1)))
    out._backward = _backward
    return out


def _zeros_state(B, H, dtype):
    return Tensor(np.zeros((B, H), dtype=dtype))


# ============================================================================ cells
class _CellBase(Module):
    _mode = ""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        G = _GATES[self._mode] * hidden_size
        self.weight_ih = Parameter(np.empty((G, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((G, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(G, dtype=dtype))
            self.bias_hh = Parameter(np.empty(G, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _prep(self, input, name):
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got input of shape {tuple(x.shape)}")
        batched = x.ndim == 2
        return (x if batched else x.reshape(1, self.input_size)), batched

    def _state(self, s, B, name):
        if s is None:
            return _zeros_state(B, self.hidden_size, self.weight_ih.data.dtype)
        s = s if isinstance(s, Tensor) else Tensor(s)
        if s.ndim == 1:
            s = s.reshape(1, -1)
        if tuple(s.shape) != (B, self.hidden_size):
            raise ValueError(f"{name}: expected hidden state of shape ({B}, {self.hidden_size}), got "
                             f"{tuple(s.shape)}")
        return s

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(_CellBase):
    """One step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity='relu'`` also);
    ``forward(input, hx=None)`` returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._prep(input, "RNNCell")
        h = self._state(hx, x.shape[0], "RNNCell")
        out = _layer(self._mode, x.reshape(1, *x.shape), h, None, self.weight_ih, self.weight_hh,
                     self.bias_ih, self.bias_hh)
        return out.reshape(*x.shape[:1], self.hidden_size) if batched else out.reshape(self.hidden_size)


class LSTMCell(_CellBase):
    """One LSTM step; ``forward(input, hx=None)`` with ``hx = (h, c)`` returns ``(h', c')``."""

    _mode = "LSTM"

    def forward(self, input, hx=None):
        x, batched = self._prep(input, "LSTMCell")
        B = x.shape[0]
        h, c = (None, None) if hx is None else hx
        h, c = self._state(h, B, "LSTMCell"), self._state(c, B, "LSTMCell")
        out = _layer("LSTM", x.reshape(1, *x.shape), h, c, self.weight_ih, self.weight_hh,
                     self.bias_ih, self.bias_hh)
        h1, c1 = out[0], out[1]
        if not batched:
            h1, c1 = h1.reshape(self.hidden_size), c1.reshape(self.hidden_size)
        return h1, c1


class GRUCell(_CellBase):
    """One GRU step; ``forward(input, hx=None)`` returns h'."""

    _mode = "GRU"

    def forward(self, input, hx=None):
        x, batched = self._prep(input, "GRUCell")
        h = self._state(hx, x.shape[0], "GRUCell")
        out = _layer("GRU", x.reshape(1, *x.shape), h, None, self.weight_ih, self.weight_hh,
                     self.bias_ih, self.bias_hh)
        return out.reshape(*x.shape[:1], self.hidden_size) if batched else out.reshape(self.hidden_size)


# ============================================================================ multi-layer sequences
class _RNNBase(Module):
    _mode = ""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32):
        super().__init__()
        if bidirectional:
            raise NotImplementedError(f"{type(self).__name__}: bidirectional is not implemented in nnkit")
        if not (0 <= dropout < 1):
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        G = _GATES[self._mode] * hidden_size
        for k in range(num_layers):
            n_in = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", Parameter(np.empty((G, n_in), dtype=dtype)))
            setattr(self, f"weight_hh_l{k}", Parameter(np.empty((G, hidden_size), dtype=dtype)))
            if bias:
                setattr(self, f"bias_ih_l{k}", Parameter(np.empty(G, dtype=dtype)))
                setattr(self, f"bias_hh_l{k}", Parameter(np.empty(G, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _weights(self, k):
        p = self._parameters
        return (p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"], p.get(f"bias_ih_l{k}"), p.get(f"bias_hh_l{k}"))

    def _prep(self, input):
        name = type(self).__name__
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            lay = "(batch, seq, feature)" if self.batch_first else "(seq, batch, feature)"
            raise ValueError(f"{name}: expected input of shape {lay} with feature size {self.input_size} "
                             f"(or unbatched (seq, {self.input_size})), got input of shape {tuple(x.shape)}")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, batched

    def _state(self, s, B, batched):
        L, H = self.num_layers, self.hidden_size
        if s is None:
            z = Tensor(np.zeros((L, B, H), dtype=self.weight_ih_l0.data.dtype))
            return [z[k] for k in range(L)] if L > 1 else [z.reshape(B, H)]
        s = s if isinstance(s, Tensor) else Tensor(s)
        if not batched and s.ndim == 2:
            s = s.reshape(L, 1, H)
        if tuple(s.shape) != (L, B, H):
            raise ValueError(f"{type(self).__name__}: expected hidden state of shape {(L, B, H)}, got "
                             f"{tuple(s.shape)}")
        return [s[k] for k in range(L)]

    def _out(self, seq, batched):
        if not batched:
            return seq.reshape(seq.shape[0], self.hidden_size)
        return seq.transpose(0, 1) if self.batch_first else seq

    def _final(self, states, batched):
        s = stack(states, 0)
        return s if batched else s.reshape(self.num_layers, self.hidden_size)

    def _between(self, seq, k):
        if self.dropout > 0 and self.training and k < self.num_layers - 1:
            return F.dropout(seq, self.dropout, True)
        return seq

    def forward(self, input, hx=None):
        x, batched = self._prep(input)
        T, B = x.shape[0], x.shape[1]
        hs = self._state(hx, B, batched)
        finals = []
        seq = x
        for k in range(self.num_layers):
            out = _layer(self._mode, seq, hs[k], None, *self._weights(k))
            finals.append(out[T - 1])
            seq = self._between(out, k)
        return self._out(seq, batched), self._final(finals, batched)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s


class RNN(_RNNBase):
    """Elman RNN over a sequence. ``forward(x, h0=None)`` returns ``(output, h_n)``: output
    (T, B, H) (or (B, T, H) with ``batch_first``) = the last layer's h_t for every t;
    h_n (num_layers, B, H)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """LSTM over a sequence. ``forward(x, hx=None)`` with ``hx = (h0, c0)`` returns
    ``(output, (h_n, c_n))``."""

    _mode = "LSTM"

    def forward(self, input, hx=None):
        x, batched = self._prep(input)
        T, B = x.shape[0], x.shape[1]
        h0, c0 = (None, None) if hx is None else hx
        hs, cs = self._state(h0, B, batched), self._state(c0, B, batched)
        fh, fc = [], []
        seq = x
        for k in range(self.num_layers):
            out = _layer("LSTM", seq, hs[k], cs[k], *self._weights(k))
            fh.append(out[T - 1])
            fc.append(out[T])
            seq = self._between(out[:T], k)
        return self._out(seq, batched), (self._final(fh, batched), self._final(fc, batched))


class GRU(_RNNBase):
    """GRU over a sequence. ``forward(x, h0=None)`` returns ``(output, h_n)``."""

    _mode = "GRU"
