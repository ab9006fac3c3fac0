"""Tensor: a NumPy array that remembers how it was computed, and reverse-mode autodiff.

Every op follows one pattern (as in micrograd):

    out = Tensor._make(a.data * b.data, (a, b), "mul")    # forward with NumPy; records parents
    def _backward():                                         # chain rule: dL/da = dL/dout * dout/da
        a._accum_grad(out.grad * b.data)
        b._accum_grad(out.grad * a.data)
    out._backward = _backward
    return out

``Tensor.backward`` sorts the graph topologically (iteratively, so a 10 000-step chain is fine) and
calls every ``_backward`` from the output towards the leaves. ``_accum_grad`` sums a gradient back
over broadcast dimensions, so each op only writes the plain calculus.

Differences from PyTorch (each is noted where it occurs):
  * ``backward`` keeps ``.grad`` on intermediate tensors too (the book draws them);
  * ``max(dim)`` returns only the values (PyTorch returns ``(values, indices)``);
  * ``.numpy()`` works on tensors that require grad (it returns ``.data``).
"""
import numbers

import numpy as np

from .modes import _mode
from .random import get_rng

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

_new = object.__new__


def _to_array(data, dtype=None, copy=False):
    """NumPy array for ``data``: arrays keep their dtype, Python floats/lists become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=copy) if (copy or dtype is not None) else np.asarray(data)
    else:
        arr = np.array(data, dtype=dtype)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)          # PyTorch's default float dtype
    return arr


def _unbroadcast(g, shape):
    """Sum ``g`` over the dimensions that broadcasting added or stretched, giving ``shape``."""
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _dims(dim, ndim):
    """Normalise ``dim`` (None, int, negative int or tuple) to a tuple of axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(d % ndim if ndim else 0 for d in dim)
    return (dim % ndim if ndim else 0,)


def sigmoid_array(x):
    """Stable logistic on an array. With e = exp(-|x|) <= 1 (it cannot overflow),
    sigma(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0: the numerator is
    max(e, [x >= 0]). (``np.maximum`` rather than ``np.where``: the same values without a
    data-dependent branch, which made ``np.where`` about 10x slower on random signs here.)"""
    e = np.exp(-np.abs(x))
    return np.maximum(e, x >= 0) / (1 + e)


def relu_array(x):
    """max(x, 0) on an array. For floats ``np.clip(x, 0, inf)``: the same values (it keeps
    -0.0 and NaN, as ``torch.relu``), and about 3x faster here than ``np.maximum`` with a
    scalar, which NumPy does not vectorise."""
    return np.clip(x, 0, np.inf) if x.dtype.kind == "f" else np.maximum(x, 0)


def topological_order(root, parents=lambda node: node._prev):
    """Every tensor reachable from ``root`` through ``parents(node)``, parents before the nodes computed
    from them. Iterative depth-first post-order, so a graph thousands of ops deep needs no recursion."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in parents(node) if id(p) not in seen)
    return order


class Tensor:
    """An n-d array (``.data``) with an optional gradient (``.grad``, same shape).

    Build one with ``nnkit.tensor(...)``; ``Tensor(data)`` wraps an array without copying.

    Book: ch-05-autodiff (the engine, its source printed), ch-03-graphs (eq-03-chain, eq-03-fanout,
    eq-03-addmul); the activations ch-06-activations, softmax ch-07-losses (eq-07-softmax)."""

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_backward", "label", "__weakref__")
    __array_priority__ = 1000  # so that ndarray * Tensor calls Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None, label=None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating point tensors can require gradients, got dtype {self.data.dtype}")
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._prev = ()
        self._op = ""          # "" marks a leaf
        self._backward = None
        self.label = label

    @staticmethod
    def _make(data, parents, op):
        """Result of an op. It requires grad if grad mode is on and any parent does; only then
        does it remember its parents (for backward and for ``viz.draw_graph``)."""
        out = _new(Tensor)
        out.data, out.grad, out._backward, out.label = data, None, None, None
        if _mode.grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad, out._prev, out._op = True, parents, op
        else:
            out.requires_grad, out._prev, out._op = False, (), ""
        if _mode.anomaly:
            _check_finite(data, op, parents)
        return out

    def _accum_grad(self, g, fresh=False):
        """``self.grad += g``, after summing ``g`` over broadcast dims and casting to our dtype.
        ``fresh=True`` says that ``g`` is a new array nobody else holds: the first gradient then
        keeps it instead of a copy (big activations and weights: one copy saved per step)."""
        if not self.requires_grad:
            return
        if g.shape != self.data.shape:
            g = _unbroadcast(g, self.data.shape)
        if self.grad is None:
            if fresh and type(g) is np.ndarray and g.dtype == self.data.dtype and g.flags.c_contiguous \
                    and g.flags.writeable:
                self.grad = g
            else:
                self.grad = np.array(g, dtype=self.data.dtype).reshape(self.data.shape)
        else:
            self.grad += g

    # ---------------------------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``.

        ``gradient`` is dL/d(self); it may be omitted only for a scalar (it is then 1).
        Leaves accumulate across calls (zero them with ``p.grad = None``). Unlike PyTorch,
        intermediate tensors keep the ``.grad`` of the latest backward (the book draws them).
        Afterwards the graph is freed (closures and parent links dropped) unless ``retain_graph``.

        Book: ch-05-autodiff, ch-03-graphs (eq-03-chain)."""
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad (no input had requires_grad=True, "
                               "or it was computed under no_grad)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs, but the "
                                   f"output has shape {self.shape}; pass gradient= of that shape")
            seed = np.ones_like(self.data)
        else:
            seed = _to_array(gradient)
            if seed.shape != self.data.shape:
                raise ValueError(f"backward: gradient has shape {seed.shape} but the output has shape {self.shape}")

        topo = topological_order(self, lambda node: [p for p in node._prev if p.requires_grad])
        for node in topo:
            if node._op and node._backward is None:
                raise RuntimeError(f"backward: graph already freed at a '{node._op}' node; call backward once per "
                                   "forward, or recompute (or pass retain_graph=True to the first backward)")

        for node in topo:                       # intermediate grads belong to this pass only
            if node._op:
                node.grad = None
        self._accum_grad(seed)
        check = _mode.anomaly
        for node in reversed(topo):             # all of a node's users come before it
            if node.grad is None:
                continue
            if check:
                _check_finite(node.grad, f"backward (gradient w.r.t. {node.label or node._op or 'a leaf'})", (node,))
            if node._backward is not None:
                node._backward()
        if not retain_graph:
            for node in topo:
                if node._op:
                    node._backward, node._prev = None, ()

    # ------------------------------------------------------------------------------ basic access
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    is_leaf = property(lambda self: not self._op, doc="True if not computed by a recorded op.")

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def item(self):
        return self.data.item()

    def numpy(self):
        """The underlying array (shared, not copied). PyTorch refuses this if requires_grad; nnkit allows it."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """A new leaf sharing ``.data``, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = flag
        return self

    def __len__(self):
        return len(self.data)

    def __array__(self, dtype=None, copy=None):        # np.asarray(t), plt.plot(t) see the data
        return self.data if dtype is None else self.data.astype(dtype)

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    # --------------------------------------------------------------------------- elementwise ops
    def _lift(self, other):
        """Wrap a constant as a non-grad Tensor. Python scalars take our float dtype (no upcast)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and self.data.dtype.kind == "f":
            return Tensor(np.asarray(other, dtype=self.data.dtype))
        return Tensor(other)

    def _binary(self, other, fn, op):
        b = self._lift(other)
        try:
            data = fn(self.data, b.data)
        except ValueError:
            raise ValueError(f"{op}: cannot broadcast shapes {self.shape} and {b.shape}") from None
        return b, Tensor._make(data, (self, b), op)

    def __add__(self, other):
        b, out = self._binary(other, np.add, "add")
        def _backward():
            self._accum_grad(out.grad)
            b._accum_grad(out.grad)
        out._backward = _backward
        return out

    def __sub__(self, other):
        b, out = self._binary(other, np.subtract, "sub")
        def _backward():
            self._accum_grad(out.grad)
            b._accum_grad(-out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        b, out = self._binary(other, np.multiply, "mul")
        def _backward():
            self._accum_grad(out.grad * b.data)
            b._accum_grad(out.grad * self.data)
        out._backward = _backward
        return out

    def __truediv__(self, other):
        b, out = self._binary(other, _divide, "div")
        def _backward():                                    # d(a/b) = da/b - a db/b^2
            self._accum_grad(out.grad / b.data)
            if b.requires_grad:
                b._accum_grad(-out.grad * out.data / b.data)
        out._backward = _backward
        return out

    def __pow__(self, other):
        b, out = self._binary(other, _power, "pow")
        def _backward():                                    # d(a^b) = b a^(b-1) da + a^b ln(a) db
            with np.errstate(divide="ignore", invalid="ignore"):
                da = b.data * _power(self.data, b.data - 1)
                self._accum_grad(out.grad * np.where(b.data == 0, 0, da))   # as torch: 0 where b == 0
                if b.requires_grad:
                    db = out.data * np.log(self.data)
                    b._accum_grad(out.grad * np.where((self.data == 0) & (b.data >= 0), 0, db))
        out._backward = _backward
        return out

    def __matmul__(self, other):
        b = self._lift(other)
        a_shape, b_shape = self.shape, b.shape
        if not a_shape or not b_shape:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a_shape} and {b_shape}")
        k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        if a_shape[-1] != k_b:
            raise ValueError(f"matmul: shapes {a_shape} and {b_shape} are not aligned: "
                             f"inner dimensions {a_shape[-1]} != {k_b}")
        try:
            data = self.data @ b.data
        except ValueError:
            raise ValueError(f"matmul: cannot broadcast batch dimensions of shapes {a_shape} and {b_shape}") from None
        out = Tensor._make(data, (self, b), "matmul")
        def _backward():              # C = A B:  dA = dC B^T,  dB = A^T dC  (1-d operands as rows/columns)
            g, A, B = out.grad, self.data, b.data
            if B.ndim == 1:
                g, B = g[..., None], B[:, None]
            if A.ndim == 1:
                g, A = np.expand_dims(g, -2), A[None, :]
            if self.requires_grad:
                gA = g @ np.swapaxes(B, -1, -2)
                self._accum_grad(gA[..., 0, :] if self.ndim == 1 else gA)
            if b.requires_grad:
                gB = np.swapaxes(A, -1, -2) @ g
                b._accum_grad(gB[..., 0] if b.ndim == 1 else gB)
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        return self._lift(other) ** self

    def __rmatmul__(self, other):
        return self._lift(other) @ self

    def __neg__(self):
        out = Tensor._make(-self.data, (self,), "neg")
        def _backward():
            self._accum_grad(-out.grad)
        out._backward = _backward
        return out

    def exp(self):
        with np.errstate(over="ignore"):                 # overflow to inf is the IEEE answer
            out = Tensor._make(np.exp(self.data), (self,), "exp")
        def _backward():
            self._accum_grad(out.grad * out.data)          # d e^x = e^x dx
        out._backward = _backward
        return out

    def log(self):
        with np.errstate(divide="ignore", invalid="ignore"):   # log(0) = -inf, log(-1) = nan, as torch
            out = Tensor._make(np.log(self.data), (self,), "log")
        def _backward():
            with np.errstate(divide="ignore", invalid="ignore"):
                self._accum_grad(out.grad / self.data)     # d ln x = dx / x
        out._backward = _backward
        return out

    def sqrt(self):
        with np.errstate(invalid="ignore"):
            out = Tensor._make(np.sqrt(self.data), (self,), "sqrt")
        def _backward():
            with np.errstate(divide="ignore", invalid="ignore"):
                self._accum_grad(out.grad * 0.5 / out.data)   # d sqrt(x) = dx / (2 sqrt(x))
        out._backward = _backward
        return out

    def abs(self):
        out = Tensor._make(np.abs(self.data), (self,), "abs")
        def _backward():
            self._accum_grad(out.grad * np.sign(self.data))   # sign(0) = 0, as torch
        out._backward = _backward
        return out

    def tanh(self):
        out = Tensor._make(np.tanh(self.data), (self,), "tanh")
        def _backward():
            self._accum_grad(out.grad * (1 - out.data * out.data))
        out._backward = _backward
        return out

    def sigmoid(self):
        out = Tensor._make(sigmoid_array(self.data), (self,), "sigmoid")   # stable, see there
        def _backward():
            self._accum_grad(out.grad * out.data * (1 - out.data))   # sigma' = sigma (1 - sigma)
        out._backward = _backward
        return out

    def relu(self):
        out = Tensor._make(relu_array(self.data), (self,), "relu")
        def _backward():
            self._accum_grad(out.grad * (self.data > 0), fresh=True)
        out._backward = _backward
        return out

    def clamp(self, min=None, max=None):
        """Clip to [min, max]; the gradient passes where min <= x <= max (as torch)."""
        out = Tensor._make(np.clip(self.data, min, max), (self,), "clamp")
        def _backward():
            inside = np.ones(self.shape, dtype=bool)
            if min is not None:
                inside &= self.data >= min
            if max is not None:
                inside &= self.data <= max
            self._accum_grad(out.grad * inside)
        out._backward = _backward
        return out

    clip = clamp

    def softmax(self, dim=-1):
        """exp(x) / sum exp(x) along ``dim``, computed stably (x - max)."""
        z = self.data - self.data.max(axis=dim, keepdims=True)
        e = np.exp(z)
        out = Tensor._make(e / e.sum(axis=dim, keepdims=True), (self,), "softmax")
        def _backward():                                  # dx = s * (g - sum(g * s))
            g, s = out.grad, out.data
            self._accum_grad(s * (g - (g * s).sum(axis=dim, keepdims=True)))
        out._backward = _backward
        return out

    def log_softmax(self, dim=-1):
        """x - logsumexp(x) along ``dim``, computed stably."""
        z = self.data - self.data.max(axis=dim, keepdims=True)
        out = Tensor._make(z - np.log(np.exp(z).sum(axis=dim, keepdims=True)), (self,), "log_softmax")
        def _backward():                                  # dx = g - softmax * sum(g)
            g = out.grad
            self._accum_grad(g - np.exp(out.data) * g.sum(axis=dim, keepdims=True))
        out._backward = _backward
        return out

    # ---------------------------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, axis=None):
        axes = _dims(dim if axis is None else axis, self.ndim)
        out = Tensor._make(np.sum(self.data, axis=axes, keepdims=keepdim), (self,), "sum")
        def _backward():                                  # every summed element gets the output's gradient
            g = out.grad if keepdim or axes is None else np.expand_dims(out.grad, axes)
            self._accum_grad(np.broadcast_to(g, self.shape))
        out._backward = _backward
        return out

    def mean(self, dim=None, keepdim=False, axis=None):
        axes = _dims(dim if axis is None else axis, self.ndim)
        n = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axes, keepdim) * (1.0 / n)

    def max(self, dim=None, keepdim=False, axis=None):
        """Largest value, over all elements or along one ``dim``.

        Gradient: ``max()`` splits it evenly between tied maxima; ``max(dim)`` sends it to the
        index NumPy's argmax returns (the first maximum), as torch does. Unlike torch,
        ``max(dim)`` returns only the values, not ``(values, indices)``; use ``argmax`` for those.
        """
        return self._extreme(dim if axis is None else axis, keepdim, np.argmax, "max")

    def min(self, dim=None, keepdim=False, axis=None):
        """Smallest value; same conventions as ``max``."""
        return self._extreme(dim if axis is None else axis, keepdim, np.argmin, "min")

    def _extreme(self, dim, keepdim, argfn, op):
        x = self.data
        if dim is None:
            data = x.max() if op == "max" else x.min()
            if keepdim:
                data = data.reshape((1,) * x.ndim)
            out = Tensor._make(np.asarray(data), (self,), op)
            def _backward():
                ties = x == data
                self._accum_grad(ties * (out.grad.reshape(()) / ties.sum()))
        else:
            if isinstance(dim, (tuple, list)):
                raise TypeError(f"{op}: dim must be an int, got {dim!r}")
            d = dim % x.ndim if x.ndim else 0
            idx = np.expand_dims(argfn(x, axis=d), d)
            data = np.take_along_axis(x, idx, axis=d)
            out = Tensor._make(data if keepdim else data.squeeze(d), (self,), op)
            def _backward():
                g = np.zeros_like(x)
                np.put_along_axis(g, idx, out.grad if keepdim else np.expand_dims(out.grad, d), axis=d)
                self._accum_grad(g)
        out._backward = _backward
        return out

    def argmax(self, dim=None, keepdim=False):
        return Tensor(_arg(self.data, np.argmax, dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        return Tensor(_arg(self.data, np.argmin, dim, keepdim))

    # --------------------------------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        out = Tensor._make(self.data.reshape(shape), (self,), "reshape")
        def _backward():
            self._accum_grad(out.grad.reshape(self.shape))
        out._backward = _backward
        return out

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def unsqueeze(self, dim):
        return self.reshape(np.expand_dims(self.data, dim).shape)

    def squeeze(self, dim=None):
        axes = _dims(dim, self.ndim)
        if axes is not None:
            axes = tuple(a for a in axes if self.shape[a] == 1)   # torch ignores non-1 dims
        return self.reshape(np.squeeze(self.data, axis=axes).shape)

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = tuple(d % self.ndim for d in dims)
        out = Tensor._make(np.transpose(self.data, dims), (self,), "permute")
        def _backward():
            self._accum_grad(np.transpose(out.grad, np.argsort(dims)))
        out._backward = _backward
        return out

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(dims)

    @property
    def T(self):
        """All dimensions reversed (for a matrix, the transpose)."""
        return self.permute(tuple(range(self.ndim))[::-1])

    def __getitem__(self, key):
        key = _index_key(key)
        out = Tensor._make(self.data[key], (self,), "index")
        def _backward():                       # scatter back; np.add.at adds repeated indices twice
            g = np.zeros_like(self.data)
            np.add.at(g, key, out.grad)
            self._accum_grad(g)
        out._backward = _backward
        return out

    # ------------------------------------------------------------------------- no-grad comparisons
    def __lt__(self, other): return Tensor(self.data < _to_array(other))
    def __le__(self, other): return Tensor(self.data <= _to_array(other))
    def __gt__(self, other): return Tensor(self.data > _to_array(other))
    def __ge__(self, other): return Tensor(self.data >= _to_array(other))
    def __eq__(self, other): return Tensor(self.data == _to_array(other))
    def __ne__(self, other): return Tensor(self.data != _to_array(other))

    # ------------------------------------------------------------------------------------- dtypes
    def to(self, dtype):
        """Cast to ``dtype``; differentiable between float dtypes (grad is cast back)."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        out = Tensor._make(self.data.astype(dtype), (self,), "cast")
        if dtype.kind not in "fc":
            out.requires_grad, out._prev, out._op = False, (), ""
        def _backward():
            self._accum_grad(out.grad)
        out._backward = _backward
        return out

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)
    def long(self): return self.to(np.int64)
    def bool(self): return self.to(np.bool_)


def _divide(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):      # x/0 = inf as in IEEE / torch
        return np.true_divide(a, b)


def _power(a, b):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(a, b)


def _arg(x, fn, dim, keepdim):
    if dim is None:
        r = fn(x)
        return r.reshape((1,) * x.ndim) if keepdim else np.asarray(r)
    return fn(x, axis=dim, keepdims=keepdim)


def _index_key(key):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, Tensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _check_finite(data, op, parents):
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        bad = "NaN" if np.isnan(data).any() else "inf"
        ins = ", ".join(f"{tuple(p.shape)} {_summ(p.data)}" for p in parents)
        raise FloatingPointError(f"anomaly: {op} produced {bad} values; inputs: {ins}")


def _summ(a):
    if a.size <= 6:
        return np.array2string(a, precision=4, separator=", ")
    with np.errstate(all="ignore"):
        return f"(min {np.nanmin(a):.4g}, max {np.nanmax(a):.4g}, finite {bool(np.isfinite(a).all())})"


# =============================================================================== functions and factories
def tensor(data, requires_grad=False, dtype=None):
    """A new leaf Tensor holding a copy of ``data`` (like ``torch.tensor``)."""
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad)


def as_tensor(x, dtype_like=None):
    """``x`` if it is a Tensor, else a non-grad Tensor; a Python scalar takes ``dtype_like``'s float dtype."""
    if isinstance(x, Tensor):
        return x
    if dtype_like is not None:
        return dtype_like._lift(x)
    return Tensor(x)


def _leaf(arr, dtype, requires_grad):
    return Tensor(arr if dtype is None else arr.astype(dtype, copy=False), requires_grad=requires_grad)


def _size(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(size), dtype=dtype or np.float32), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(size), dtype=dtype or np.float32), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    return Tensor(np.full(size, fill_value, dtype=dtype or np.float32), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return Tensor(np.zeros_like(_to_array(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return Tensor(np.ones_like(_to_array(t), dtype=dtype), requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples from nnkit's generator (see ``manual_seed``)."""
    return _leaf(get_rng().standard_normal(_size(size), dtype=np.float32), dtype, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples from nnkit's generator."""
    return _leaf(get_rng().random(_size(size), dtype=np.float32), dtype, requires_grad)


def randint(low, high, size, dtype=None):
    return Tensor(get_rng().integers(low, high, size=size, dtype=dtype or np.int64))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like torch.arange: integer arguments give int64, any float gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else np.float32
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def cat(tensors, dim=0):
    """Concatenate along an existing dimension."""
    ts = [as_tensor(t) for t in tensors]
    out = Tensor._make(np.concatenate([t.data for t in ts], axis=dim), tuple(ts), "cat")
    def _backward():
        ends = np.cumsum([t.shape[dim] for t in ts])[:-1]
        for t, g in zip(ts, np.split(out.grad, ends, axis=dim)):
            t._accum_grad(g)
    out._backward = _backward
    return out


def stack(tensors, dim=0):
    """Join along a new dimension."""
    ts = [as_tensor(t) for t in tensors]
    out = Tensor._make(np.stack([t.data for t in ts], axis=dim), tuple(ts), "stack")
    def _backward():
        for i, t in enumerate(ts):
            t._accum_grad(np.take(out.grad, i, axis=dim))
    out._backward = _backward
    return out


def where(condition, x, y):
    """``x`` where ``condition`` is true, else ``y`` (broadcasting); the gradient follows the choice."""
    c = _to_array(condition).astype(bool, copy=False)
    x = as_tensor(x, y if isinstance(y, Tensor) else None)
    y = as_tensor(y, x)
    out = Tensor._make(np.where(c, x.data, y.data), (x, y), "where")
    def _backward():
        x._accum_grad(np.where(c, out.grad, 0))
        y._accum_grad(np.where(c, 0, out.grad))
    out._backward = _backward
    return out


def matmul(a, b):
    return as_tensor(a) @ b


def function_form(name):
    """``nnkit.<name>(x, ...)``, the function form of the method ``x.<name>(...)`` (as
    ``torch.exp(x)`` is ``x.exp()``); ``nnkit/__init__.py`` gives them their public names."""
    def f(input, *args, **kwargs):
        return getattr(as_tensor(input), name)(*args, **kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``nnkit.{name}(x, ...)`` is ``x.{name}(...)``."
    return f
