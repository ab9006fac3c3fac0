"""Recurrent layers (as ``torch.nn``): ``RNNCell``, ``LSTMCell``, ``GRUCell``, ``RNN``, ``LSTM``,
``GRU`` with PyTorch's parameter names, shapes and gate order.

For hidden size H and input x_t, previous state h (and c):

    RNN : h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                  (or relu)
    LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)          (weights (4H, in), order i,f,g,o)
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g);  h' = sigmoid(o) * tanh(c')
    GRU : r, z = sigmoid(split(W_ih x + b_ih + W_hh h + b_hh)[:2])  (weights (3H, in), order r,z,n)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h

One layer over a whole sequence is ONE graph node, computed by its kernel: ``_rnn_layer``,
``_lstm_layer``, ``_gru_layer``. Each loops over time with NumPy in the forward and writes out
backpropagation through time in the backward (one matmul per step); the input-side products of
all steps are one matmul before the loop (``_input_part``), the weight gradients one matmul
after it (``_backward_to_inputs``). A cell is the same kernel with T = 1.
Not implemented: ``bidirectional``, ``proj_size``; ``dropout`` between layers is supported.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, as_tensor, relu_array, sigmoid_array, stack
from . import init
from ._helpers import _check_dtypes
from .dropout import dropout
from .module import Module, Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


# ============================================================================ shared by the kernels
def _input_part(x, w_ih, b_ih, b_hh=None):
    """x_t W_ih^T + b_ih (+ b_hh) for every step at once: (T, B, I) -> (T, B, G), one matmul."""
    T, B, _ = x.shape
    xp = (x.data.reshape(T * B, -1) @ w_ih.data.T).reshape(T, B, -1)
    if b_ih is not None:
        xp += b_ih.data
    if b_hh is not None:
        xp += b_hh.data
    return xp


def _states(s0, T, dt):
    """(T + 1, B, H) array for s_0 .. s_T, with s_0 filled in."""
    s = np.empty((T + 1,) + s0.shape, dtype=dt)
    s[0] = s0.data
    return s


def _backward_to_inputs(x, h0, hs, dX, dH, dh0, w_ih, w_hh, b_ih, b_hh):
    """The gradients that every kernel hands on the same way, from dX (T, B, G) = dL/d(input-side
    pre-activations) and dH = dL/d(hidden-side pre-activations) at every step:
    dx_t = dX_t W_ih, dW_ih = sum_t dX_t^T x_t, dW_hh = sum_t dH_t^T h_{t-1}, db = sum dX (dH)."""
    T, B, G = dX.shape
    dX2 = dX.reshape(T * B, G)
    if x.requires_grad:
        x._accum_grad((dX2 @ w_ih.data).reshape(x.shape), fresh=True)
    h0._accum_grad(dh0)
    if w_ih.requires_grad:
        w_ih._accum_grad(dX2.T @ x.data.reshape(T * B, -1), fresh=True)
    if w_hh.requires_grad:
        w_hh._accum_grad(dH.reshape(T * B, -1).T @ hs[:-1].reshape(T * B, -1), fresh=True)
    if b_ih is not None and b_ih.requires_grad:
        b_ih._accum_grad(dX.sum(axis=(0, 1)), fresh=True)
    if b_hh is not None and b_hh.requires_grad:
        b_hh._accum_grad(dH.sum(axis=(0, 1)), fresh=True)


def _parents(*ts):
    return tuple(t for t in ts if t is not None)


# ============================================================================ the three kernels
def _rnn_layer(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """Elman RNN over x (T, B, I): h_t = phi(z_t), z_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
    (eq-11-rnn, eq-11-torch). Returns h_1 .. h_T, (T, B, H).
    Backward (eq-11-bptt): dh_t = g_t + dz_{t+1} W_hh, dz_t = dh_t * phi'(z_t) with
    phi' = 1 - h_t^2 (tanh) or [h_t > 0] (relu)."""
    T, B, _ = x.shape
    dt, W_hh = np.result_type(x.data, w_ih.data), w_hh.data
    act = np.tanh if nonlinearity == "tanh" else relu_array
    xp = _input_part(x, w_ih, b_ih, b_hh)
    hs = _states(h0, T, dt)
    for t in range(T):
        hs[t + 1] = act(xp[t] + hs[t] @ W_hh.T)
    out = Tensor._make(hs[1:], _parents(x, h0, w_ih, w_hh, b_ih, b_hh), "rnn_" + nonlinearity)

    def _backward():
        g = out.grad
        dZ = np.empty(xp.shape, dtype=dt)
        dh = np.zeros(h0.shape, dtype=dt)
        for t in range(T - 1, -1, -1):
            dh = dh + g[t]                                  # from the output and from step t + 1
            h = hs[t + 1]
            dZ[t] = dh * (1 - h * h) if nonlinearity == "tanh" else dh * (h > 0)
            dh = dZ[t] @ W_hh
        _backward_to_inputs(x, h0, hs, dZ, dZ, dh, w_ih, w_hh, b_ih, b_hh)
    out._backward = _backward
    return out


def _lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """LSTM over x (T, B, I) (eq-11-lstm): with z_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
    split into four blocks of H, i, f, o = sigmoid(z_i, z_f, z_o), g = tanh(z_g),
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).
    Returns (T + 1, B, H): h_1 .. h_T, then c_T (one node gives both to the graph).
    Backward: dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t), and the four gate blocks
    d z = (dc g i (1 - i), dc c_{t-1} f (1 - f), dc i (1 - g^2), dh tanh(c_t) o (1 - o))."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dt, W_hh = np.result_type(x.data, w_ih.data), w_hh.data
    xp = _input_part(x, w_ih, b_ih, b_hh)
    hs, cs = _states(h0, T, dt), _states(c0, T, dt)
    acts = np.empty((T, B, 4 * H), dtype=dt)       # i, f, g, o after their nonlinearities
    tc = np.empty((T, B, H), dtype=dt)             # tanh(c_t)
    for t in range(T):
        z, a = xp[t] + hs[t] @ W_hh.T, acts[t]
        a[:, :2 * H] = sigmoid_array(z[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(z[:, 2 * H:3 * H])
        a[:, 3 * H:] = sigmoid_array(z[:, 3 * H:])
        i, f, g, o = np.split(a, 4, axis=1)
        cs[t + 1] = f * cs[t] + i * g
        tc[t] = np.tanh(cs[t + 1])
        hs[t + 1] = o * tc[t]
    out = Tensor._make(np.concatenate([hs[1:], cs[T:]], axis=0), _parents(x, h0, c0, w_ih, w_hh, b_ih, b_hh),
                       "lstm")

    def _backward():
        gout = out.grad
        dZ = np.empty(xp.shape, dtype=dt)
        dh = np.zeros((B, H), dtype=dt)
        dc = gout[T].astype(dt, copy=True)
        for t in range(T - 1, -1, -1):
            dh = dh + gout[t]
            i, f, g, o = np.split(acts[t], 4, axis=1)
            dc = dc + dh * o * (1 - tc[t] * tc[t])
            d = dZ[t]
            d[:, :H] = dc * g * i * (1 - i)
            d[:, H:2 * H] = dc * cs[t] * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
            d[:, 3 * H:] = dh * tc[t] * o * (1 - o)
            dc = dc * f
            dh = d @ W_hh
        if c0.requires_grad:
            c0._accum_grad(dc)
        _backward_to_inputs(x, h0, hs, dZ, dZ, dh, w_ih, w_hh, b_ih, b_hh)
    out._backward = _backward
    return out


def _gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh):
    """GRU over x (T, B, I) (eq-11-gru): with input part a_t = x_t W_ih^T + b_ih and hidden part
    p_t = h_{t-1} W_hh^T + b_hh, each split into (r, z, n) blocks of H:
    r, z = sigmoid(a_r + p_r, a_z + p_z), n = tanh(a_n + r * p_n), h_t = (1 - z) * n + z * h_{t-1}.
    Returns h_1 .. h_T, (T, B, H). Backward: the input side gets (dr, dz, dn), the hidden side
    (dr, dz, dn * r), because r multiplies only the hidden part of n."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dt, W_hh = np.result_type(x.data, w_ih.data), w_hh.data
    bhh = None if b_hh is None else b_hh.data
    xp = _input_part(x, w_ih, b_ih)
    hs = _states(h0, T, dt)
    rz = np.empty((T, B, 2 * H), dtype=dt)         # r and z after the sigmoid
    ns = np.empty((T, B, H), dtype=dt)             # n
    hn = np.empty((T, B, H), dtype=dt)             # p_n = W_hn h + b_hn
    for t in range(T):
        hp = hs[t] @ W_hh.T
        if bhh is not None:
            hp += bhh
        rz[t] = sigmoid_array(xp[t, :, :2 * H] + hp[:, :2 * H])
        hn[t] = hp[:, 2 * H:]
        ns[t] = np.tanh(xp[t, :, 2 * H:] + rz[t, :, :H] * hn[t])
        z = rz[t, :, H:]
        hs[t + 1] = (1 - z) * ns[t] + z * hs[t]
    out = Tensor._make(hs[1:], _parents(x, h0, w_ih, w_hh, b_ih, b_hh), "gru")

    def _backward():
        g = out.grad
        dX = np.empty(xp.shape, dtype=dt)          # d(input part), blocks r, z, n
        dH = np.empty(xp.shape, dtype=dt)          # d(hidden part)
        dh = np.zeros((B, H), dtype=dt)
        for t in range(T - 1, -1, -1):
            dh = dh + g[t]
            r, z, n = rz[t, :, :H], rz[t, :, H:], ns[t]
            dn = dh * (1 - z) * (1 - n * n)
            dzp = dh * (hs[t] - n) * z * (1 - z)
            drp = dn * hn[t] * r * (1 - r)
            dX[t, :, :H], dX[t, :, H:2 * H], dX[t, :, 2 * H:] = drp, dzp, dn
            dH[t, :, :H], dH[t, :, H:2 * H], dH[t, :, 2 * H:] = drp, dzp, dn * r
            dh = dh * z + dH[t] @ W_hh
        _backward_to_inputs(x, h0, hs, dX, dH, dh, w_ih, w_hh, b_ih, b_hh)
    out._backward = _backward
    return out


# ============================================================================ what the modules share
class _Recurrent(Module):
    """Parameters, their init and the state handling that the six recurrent modules share.
    A subclass says how many gate blocks a weight has (``_gates``) and how to run its kernel
    over a sequence (``_run``); the LSTM's state is the pair (h, c)."""

    _gates = 1
    _lstm = False

    def _add_weights(self, suffix, n_in, dtype, register_none):
        G = self._gates * self.hidden_size
        self.register_parameter("weight_ih" + suffix, Parameter(np.empty((G, n_in), dtype=dtype)))
        self.register_parameter("weight_hh" + suffix, Parameter(np.empty((G, self.hidden_size), dtype=dtype)))
        for name in ("bias_ih" + suffix, "bias_hh" + suffix):
            if self.bias:
                self.register_parameter(name, Parameter(np.empty(G, dtype=dtype)))
            elif register_none:
                self.register_parameter(name, None)

    def _weights(self, suffix=""):
        p = self._parameters
        return (p["weight_ih" + suffix], p["weight_hh" + suffix], p.get("bias_ih" + suffix),
                p.get("bias_hh" + suffix))

    def reset_parameters(self):
        """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _run(self, seq, state, weights):
        """The kernel over ``seq`` (T, B, I) from ``state`` (a tuple: (h,) or (h, c)): returns
        the output sequence (T, B, H) and the final state (a tuple of the same kind)."""
        if self._lstm:
            out = _lstm_layer(seq, state[0], state[1], *weights)
            T = seq.shape[0]
            return out[:T], (out[T - 1], out[T])
        if self._gates == 3:
            out = _gru_layer(seq, state[0], *weights)
        else:
            out = _rnn_layer(seq, state[0], *weights, self.nonlinearity)
        T = seq.shape[0]
        return out, (out.reshape(out.shape[1:]) if T == 1 else out[T - 1],)

    def _state_parts(self, hx):
        """``hx`` as a tuple of states: None for each missing part; (h, c) for the LSTM."""
        if self._lstm:
            return (None, None) if hx is None else tuple(hx)
        return (hx,)

    def _result(self, state):
        return state if self._lstm else state[0]


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")


# ============================================================================ cells
class _Cell(_Recurrent):
    """One step: ``forward(input, hx=None)`` with input (B, I) or (I,)."""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        self._add_weights("", self.input_size, dtype, register_none=True)
        self.reset_parameters()

    def _state(self, s, B, name):
        if s is None:
            return Tensor(np.zeros((B, self.hidden_size), dtype=self.weight_ih.data.dtype))
        s = as_tensor(s)
        if s.ndim == 1:
            s = s.reshape(1, -1)
        if tuple(s.shape) != (B, self.hidden_size):
            raise ValueError(f"{name}: expected hidden state of shape ({B}, {self.hidden_size}), got "
                             f"{tuple(s.shape)}")
        _check_dtypes(name, s, "hidden state", weight_hh=self.weight_hh)
        return s

    def forward(self, input, hx=None):
        name = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got input of shape {tuple(x.shape)}")
        _check_dtypes(name, x, weight_ih=self.weight_ih)
        batched = x.ndim == 2
        x = x if batched else x.reshape(1, self.input_size)
        state = tuple(self._state(s, x.shape[0], name) for s in self._state_parts(hx))
        _, new = self._run(x.reshape(1, *x.shape), state, self._weights())
        if not batched:
            new = tuple(s.reshape(self.hidden_size) for s in new)
        return self._result(new)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(_Cell):
    """One step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity='relu'`` also);
    ``forward(input, hx=None)`` returns h'.

    Book: ch-11-rnn (eq-11-rnn, eq-11-torch)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32):
        _check_nonlinearity("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype)


class LSTMCell(_Cell):
    """One LSTM step; ``forward(input, hx=None)`` with ``hx = (h, c)`` returns ``(h', c')``.

    Book: ch-11-rnn (eq-11-lstm)."""

    _gates, _lstm = 4, True


class GRUCell(_Cell):
    """One GRU step; ``forward(input, hx=None)`` returns h'.

    Book: ch-11-rnn (eq-11-gru)."""

    _gates = 3


# ============================================================================ multi-layer sequences
class _Sequence(_Recurrent):
    """``num_layers`` stacked layers over a whole sequence: ``forward(input, hx=None)`` with input
    (T, B, I) ((B, T, I) if ``batch_first``) or unbatched (T, I); returns (output, h_n) or, for
    the LSTM, (output, (h_n, c_n)); states are (num_layers, B, H)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        if bidirectional:
            raise NotImplementedError(f"{name}: bidirectional is not implemented in nnkit")
        if not (0 <= dropout < 1):
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be >= 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        for k in range(num_layers):
            self._add_weights(f"_l{k}", self.input_size if k == 0 else self.hidden_size, dtype,
                              register_none=False)
        self.reset_parameters()

    def _prep(self, input):
        x = as_tensor(input)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            lay = "(batch, seq, feature)" if self.batch_first else "(seq, batch, feature)"
            raise ValueError(f"{type(self).__name__}: expected input of shape {lay} with feature size "
                             f"{self.input_size} (or unbatched (seq, {self.input_size})), got input of "
                             f"shape {tuple(x.shape)}")
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise ValueError(f"{type(self).__name__} input dtype ({x.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}) (e.g. .float()), or convert "
                             f"model: model.to({x.dtype})")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, batched

    def _layer_states(self, s, B, batched):
        """A given or zero (L, B, H) state as a list of the L layers' (B, H) states."""
        L, H = self.num_layers, self.hidden_size
        if s is None:
            z = Tensor(np.zeros((L, B, H), dtype=self.weight_ih_l0.data.dtype))
            return [z[k] for k in range(L)] if L > 1 else [z.reshape(B, H)]
        s = as_tensor(s)
        if not batched and s.ndim == 2:
            s = s.reshape(L, 1, H)
        if tuple(s.shape) != (L, B, H):
            raise ValueError(f"{type(self).__name__}: expected hidden state of shape {(L, B, H)}, got "
                             f"{tuple(s.shape)}")
        _check_dtypes(type(self).__name__, s, "hidden state", weight_hh_l0=self.weight_hh_l0)
        return [s[k] for k in range(L)]

    def forward(self, input, hx=None):
        x, batched = self._prep(input)
        B = x.shape[1]
        per_layer = list(zip(*(self._layer_states(s, B, batched) for s in self._state_parts(hx))))
        finals, seq = [], x
        for k in range(self.num_layers):
            seq, final = self._run(seq, per_layer[k], self._weights(f"_l{k}"))
            finals.append(final)
            if self.dropout > 0 and self.training and k < self.num_layers - 1:
                seq = dropout(seq, self.dropout, True)
        if not batched:
            seq = seq.reshape(seq.shape[0], self.hidden_size)
        elif self.batch_first:
            seq = seq.transpose(0, 1)
        state = tuple(stack(list(parts), 0) for parts in zip(*finals))
        if not batched:
            state = tuple(s.reshape(self.num_layers, self.hidden_size) for s in state)
        return seq, self._result(state)

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


class RNN(_Sequence):
    """Elman RNN over a sequence. ``forward(x, h0=None)`` returns ``(output, h_n)``: output
    (T, B, H) (or (B, T, H) with ``batch_first``) = the last layer's h_t for every t;
    h_n (num_layers, B, H).

    Book: ch-11-rnn (eq-11-rnn, eq-11-torch, eq-11-bptt)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float32):
        _check_nonlinearity("RNN", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)


class LSTM(_Sequence):
    """LSTM over a sequence. ``forward(x, hx=None)`` with ``hx = (h0, c0)`` returns
    ``(output, (h_n, c_n))``.

    Book: ch-11-rnn (eq-11-lstm)."""

    _gates, _lstm = 4, True


class GRU(_Sequence):
    """GRU over a sequence. ``forward(x, h0=None)`` returns ``(output, h_n)``.

    Book: ch-11-rnn (eq-11-gru)."""

    _gates = 3
