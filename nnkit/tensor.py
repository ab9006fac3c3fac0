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

Types and errors follow PyTorch: an op on two operands takes the dtype of PyTorch's type
promotion (``nnkit/dtypes.py``: an int tensor times 0.5 is float32, not NumPy's float64), and a
``dim`` outside [-ndim, ndim - 1] raises ``IndexError`` (NumPy-style wrapping would silently
reduce another dimension).

Differences from PyTorch (each is noted where it occurs):
  * ``backward`` keeps ``.grad`` on intermediate tensors too (the book draws them);
  * ``.grad`` is a NumPy array, not a Tensor (``p.grad.zero_()`` is ``p.grad[...] = 0`` or
    ``p.grad = None``);
  * in-place ops (``x += y``, ``x.add_(y)``, ``x.zero_()``) are allowed only where no graph is
    recorded (under ``no_grad``, or on tensors that do not require grad);
  * ``.numpy()`` works on tensors that require grad (it returns ``.data``);
  * there is one device, the CPU (``.to("cpu")`` and ``.cpu()`` are accepted, CUDA raises).
"""
import numbers
from collections import namedtuple

import numpy as np

from .dtypes import bool_, float16, float32, float64, get_default_dtype, int32, int64, result_type  # noqa: F401
from .modes import _mode

_new = object.__new__

#: what ``max(dim)`` / ``min(dim)`` return, as ``torch.return_types.max`` / ``.min``
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


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


def _dim(dim, ndim):
    """``dim`` as an axis in [0, ndim), checked as PyTorch does: IndexError outside [-ndim, ndim - 1]
    (a 0-d tensor accepts -1 and 0, and gives axis 0)."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (numbers.Integral)):
        raise TypeError(f"dim must be an int, got {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def _dims(dim, ndim):
    """Normalise ``dim`` (None, int, negative int or tuple) to a tuple of axes, or None; each is
    range-checked by ``_dim``. A 0-d tensor has no axis to reduce: ``()``."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(_dim(d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {dims} has a dimension that appears more than once")
    return axes if ndim else ()


def _float_data(x):
    """An integer or bool array as the default float dtype (float32), as PyTorch's exp, log, ... do."""
    return x if x.dtype.kind in "fc" else x.astype(get_default_dtype())


def sigmoid_array(x):
    """Stable logistic on an array. With e = exp(-|x|) <= 1 (it cannot overflow),
    sigma(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0: the numerator is
    max(e, [x >= 0]). (``np.maximum`` rather than ``np.where``: the same values without a
    data-dependent branch, which made ``np.where`` about 10x slower on random signs here.)"""
    x = _float_data(x)
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
            if not node._op and node.grad is not None and node.grad.shape != node.data.shape:
                raise RuntimeError(f"backward: a leaf of shape {node.shape} holds a .grad of shape "
                                   f"{node.grad.shape}; set it to None (or to an array of the leaf's shape)")

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
    device = property(lambda self: "cpu", doc="Always 'cpu' (PyTorch: ``device(type='cpu')``).")

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[_dim(dim, self.ndim)]

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

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
        """Wrap a constant as a non-grad Tensor. A Python scalar takes the dtype of the op's
        result (PyTorch's promotion: float32 * 0.1 stays float32, an int tensor * 0.5 is float32)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool) and self.data.dtype.kind == "f":
            return Tensor(np.asarray(other, dtype=self.data.dtype))
        if isinstance(other, (numbers.Number, np.generic)):
            return Tensor(np.asarray(other, dtype=result_type(self.data, other)))
        return Tensor(_to_array(other))

    def _binary(self, other, fn, op, floating=False):
        """``fn`` on the data of self and ``other``, both cast to the dtype PyTorch's promotion
        gives (``floating``: at least the default float dtype, for true division)."""
        b = self._lift(other)
        a_data, b_data = self.data, b.data
        dtype = a_data.dtype if a_data.dtype == b_data.dtype else result_type(a_data, b_data)
        if floating and dtype.kind not in "fc":
            dtype = get_default_dtype()
        try:
            data = fn(a_data if a_data.dtype == dtype else a_data.astype(dtype),
                      b_data if b_data.dtype == dtype else b_data.astype(dtype))
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
        b, out = self._binary(other, _divide, "div", floating=True)
        def _backward():                                    # d(a/b) = da/b - a db/b^2
            with np.errstate(divide="ignore", invalid="ignore"):
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
        if self.dtype != b.dtype:
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got {self.dtype} and "
                               f"{b.dtype} (cast one with .to(...), e.g. .float(); PyTorch raises this too)")
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

    # method forms, as torch.Tensor.add / mul / ...
    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else alpha * self._lift(other))

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else alpha * self._lift(other))

    def mul(self, other):
        return self * other

    def div(self, other):
        """True division ``self / other`` (integers give float32, as PyTorch)."""
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    # ------------------------------------------------------------------- in place (no graph recorded)
    def _check_inplace(self, other, op):
        """nnkit records no graph for an in-place op, so it is allowed only where none is being
        recorded: under ``no_grad`` (the manual update ``p -= lr * p.grad``), or on tensors that
        need no grad."""
        if _mode.grad_enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            raise RuntimeError(f"{op}: in-place operations on tensors that require grad are allowed only under "
                               "nnkit.no_grad() (e.g. `with nnkit.no_grad(): p -= lr * p.grad`); outside it, "
                               "write `x = x + y` (PyTorch also refuses in-place changes of such a leaf)")

    def _inplace(self, other, fn, op, floating=False):
        """``self.data = fn(self.data, other)`` in place, as PyTorch's ``x += y`` / ``x.add_(y)``: the
        result must keep self's dtype category (an int tensor cannot take ``+= 0.5``)."""
        self._check_inplace(other, op)
        b = other.data if isinstance(other, Tensor) else other
        dtype = result_type(self.data, b)
        if floating and dtype.kind not in "fc":
            dtype = get_default_dtype()
        if dtype.kind != self.data.dtype.kind and not (dtype.kind in "iu" and self.data.dtype.kind in "iu"):
            raise RuntimeError(f"{op}: result type {dtype} can't be cast to the desired output type "
                               f"{self.data.dtype}")
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                fn(self.data, b, out=self.data, casting="unsafe")
        except ValueError:
            raise ValueError(f"{op}: the result of broadcasting shapes {self.shape} and {np.shape(b)} does not fit "
                             f"in the tensor of shape {self.shape}") from None
        return self

    def __iadd__(self, other):
        return self._inplace(other, np.add, "add_")

    def __isub__(self, other):
        return self._inplace(other, np.subtract, "sub_")

    def __imul__(self, other):
        return self._inplace(other, np.multiply, "mul_")

    def __itruediv__(self, other):
        return self._inplace(other, np.true_divide, "div_", floating=True)

    def add_(self, other, *, alpha=1):
        """In place ``self += alpha * other`` (under ``no_grad`` for a tensor that requires grad)."""
        return self._inplace(other if alpha == 1 else alpha * _value(other), np.add, "add_")

    def sub_(self, other, *, alpha=1):
        """In place ``self -= alpha * other`` (under ``no_grad`` for a tensor that requires grad)."""
        return self._inplace(other if alpha == 1 else alpha * _value(other), np.subtract, "sub_")

    def mul_(self, other):
        return self._inplace(other, np.multiply, "mul_")

    def div_(self, other):
        return self._inplace(other, np.true_divide, "div_", floating=True)

    def fill_(self, value):
        """Set every element to ``value`` (cast to self's dtype), in place."""
        self._check_inplace(value, "fill_")
        self.data[...] = _value(value)
        return self

    def zero_(self):
        """Set every element to 0, in place. (PyTorch's ``p.grad.zero_()`` is ``p.grad = None`` or
        ``p.grad[...] = 0`` in nnkit, whose ``.grad`` is an array.)"""
        return self.fill_(0)

    # ------------------------------------------------------------------------------- unary ops
    def __neg__(self):
        out = Tensor._make(-self.data, (self,), "neg")
        def _backward():
            self._accum_grad(-out.grad)
        out._backward = _backward
        return out

    def exp(self):
        with np.errstate(over="ignore"):                 # overflow to inf is the IEEE answer
            out = Tensor._make(np.exp(_float_data(self.data)), (self,), "exp")
        def _backward():
            self._accum_grad(out.grad * out.data)          # d e^x = e^x dx
        out._backward = _backward
        return out

    def log(self):
        with np.errstate(divide="ignore", invalid="ignore"):   # log(0) = -inf, log(-1) = nan, as torch
            out = Tensor._make(np.log(_float_data(self.data)), (self,), "log")
        def _backward():
            with np.errstate(divide="ignore", invalid="ignore"):
                self._accum_grad(out.grad / self.data)     # d ln x = dx / x
        out._backward = _backward
        return out

    def log1p(self):
        """log(1 + x), accurate for small x."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = Tensor._make(np.log1p(_float_data(self.data)), (self,), "log1p")
        def _backward():
            with np.errstate(divide="ignore", invalid="ignore"):
                self._accum_grad(out.grad / (1 + self.data))
        out._backward = _backward
        return out

    def sqrt(self):
        with np.errstate(invalid="ignore"):
            out = Tensor._make(np.sqrt(_float_data(self.data)), (self,), "sqrt")
        def _backward():
            with np.errstate(divide="ignore", invalid="ignore"):
                self._accum_grad(out.grad * 0.5 / out.data)   # d sqrt(x) = dx / (2 sqrt(x))
        out._backward = _backward
        return out

    def square(self):
        """x * x (integers stay integers)."""
        out = Tensor._make(self.data * self.data, (self,), "square")
        def _backward():
            self._accum_grad(out.grad * 2 * self.data, fresh=True)
        out._backward = _backward
        return out

    def abs(self):
        out = Tensor._make(np.abs(self.data), (self,), "abs")
        def _backward():
            self._accum_grad(out.grad * np.sign(self.data))   # sign(0) = 0, as torch
        out._backward = _backward
        return out

    def tanh(self):
        out = Tensor._make(np.tanh(_float_data(self.data)), (self,), "tanh")
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
        """Clip to [min, max] (numbers or tensors, broadcast; where min > max the result is max).
        The gradient goes to ``x`` where min <= x <= max, to a tensor ``min`` where x < min and to a
        tensor ``max`` where x > max (as torch)."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        lo = None if min is None else self._lift(min)
        hi = None if max is None else self._lift(max)
        parts = tuple(t for t in (self, lo, hi) if t is not None)
        y = self.data.astype(result_type(*(t.data for t in parts)), copy=False)
        if lo is not None:
            y = np.maximum(y, lo.data)
        if hi is not None:
            y = np.minimum(y, hi.data)
        out = Tensor._make(y, parts, "clamp")                 # y is a new array (np.maximum/minimum)
        def _backward():                                  # torch's rule, also where min >= max
            g, x = out.grad, self.data
            if lo is not None and hi is not None:
                self._accum_grad(g * ((x >= lo.data) & (x <= hi.data)))
                lo._accum_grad(g * ((x < lo.data) & (lo.data < hi.data)))
                hi._accum_grad(g * ((x > hi.data) | (hi.data < lo.data)))
            elif lo is not None:
                self._accum_grad(g * (x >= lo.data))
                lo._accum_grad(g * (x < lo.data))
            else:
                self._accum_grad(g * (x <= hi.data))
                hi._accum_grad(g * (x > hi.data))
        out._backward = _backward
        return out

    clip = clamp

    def softmax(self, dim=-1):
        """exp(x) / sum exp(x) along ``dim``, computed stably (x - max)."""
        self._need_float("softmax")
        dim = _dim(dim, self.ndim) if self.ndim else None
        x = self.data
        z = x - x.max(axis=dim, keepdims=True)
        e = np.exp(z)
        out = Tensor._make(e / e.sum(axis=dim, keepdims=True), (self,), "softmax")
        def _backward():                                  # dx = s * (g - sum(g * s))
            g, s = out.grad, out.data
            self._accum_grad(s * (g - (g * s).sum(axis=dim, keepdims=True)))
        out._backward = _backward
        return out

    def log_softmax(self, dim=-1):
        """x - logsumexp(x) along ``dim``, computed stably."""
        self._need_float("log_softmax")
        dim = _dim(dim, self.ndim) if self.ndim else None
        x = self.data
        z = x - x.max(axis=dim, keepdims=True)
        out = Tensor._make(z - np.log(np.exp(z).sum(axis=dim, keepdims=True)), (self,), "log_softmax")
        def _backward():                                  # dx = g - softmax * sum(g)
            g = out.grad
            self._accum_grad(g - np.exp(out.data) * g.sum(axis=dim, keepdims=True))
        out._backward = _backward
        return out

    # ---------------------------------------------------------------------------------- reductions
    def _need_float(self, op):
        if self.data.dtype.kind not in "fc":
            raise RuntimeError(f"{op}(): expected a floating point tensor, got dtype {self.data.dtype} "
                               f"(use .float() first, as PyTorch requires)")

    def _reduced_count(self, axes):
        return self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))

    def _expand_back(self, g, axes, keepdim):
        """A reduction's output gradient with the reduced axes put back (size 1), for broadcasting."""
        return g if keepdim or axes is None or not self.ndim else np.expand_dims(g, axes)

    def sum(self, dim=None, keepdim=False, axis=None):
        axes = _dims(dim if axis is None else axis, self.ndim)
        out = Tensor._make(np.sum(self.data, axis=axes, keepdims=keepdim), (self,), "sum")
        def _backward():                                  # every summed element gets the output's gradient
            self._accum_grad(np.broadcast_to(self._expand_back(out.grad, axes, keepdim), self.shape))
        out._backward = _backward
        return out

    def mean(self, dim=None, keepdim=False, axis=None):
        self._need_float("mean")
        axes = _dims(dim if axis is None else axis, self.ndim)
        return self.sum(axes, keepdim) * (1.0 / self._reduced_count(axes))

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Variance sum((x - mean)^2) / (n - correction) over ``dim``; ``correction`` is 1 by default
        (unbiased, as PyTorch; ``unbiased=False`` or ``correction=0`` for the population variance)."""
        return self._var_std(dim, unbiased, keepdim, correction, "var")

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Standard deviation, the square root of ``var`` (unbiased by default, as PyTorch); its
        gradient is 0 where the deviation is 0 (as torch)."""
        return self._var_std(dim, unbiased, keepdim, correction, "std")

    def _var_std(self, dim, unbiased, keepdim, correction, op):
        self._need_float(op)
        axes = _dims(dim, self.ndim)
        x = self.data
        dof = np.asarray(self._reduced_count(axes) - ((1 if unbiased else 0) if correction is None else correction),
                         dtype=x.dtype)
        d = x - x.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):     # n <= correction: inf or nan, as torch
            v = np.asarray((d * d).sum(axis=axes, keepdims=keepdim) / dof, dtype=x.dtype)
        out = Tensor._make(v if op == "var" else np.sqrt(v), (self,), op)
        def _backward():                                  # d var / dx_i = 2 (x_i - mean) / (n - c)
            g = out.grad
            with np.errstate(divide="ignore", invalid="ignore"):
                if op == "std":                           # d std = d var / (2 std)
                    g = np.where(out.data == 0, 0, g / (2 * out.data))
                self._accum_grad(self._expand_back(g, axes, keepdim) * d * (2 / dof))
        out._backward = _backward
        return out

    def prod(self, dim=None, keepdim=False):
        """Product of the elements (or along one ``dim``). Gradient: the product of the others, exact
        when some elements are zero."""
        x = self.data
        if dim is None:
            data = np.prod(x).reshape((1,) * x.ndim) if keepdim else np.asarray(np.prod(x))
            axes = None
        else:
            axes = _dims(dim, self.ndim)
            data = np.asarray(np.prod(x, axis=axes, keepdims=keepdim))
        out = Tensor._make(data, (self,), "prod")
        def _backward():
            if axes is None:
                others = _prod_of_others(x.reshape(-1), -1).reshape(x.shape)
            else:
                others = _prod_of_others(x, axes[0]) if axes else np.ones_like(x)
            self._accum_grad(self._expand_back(out.grad.reshape(data.shape), axes, keepdim) * others)
        out._backward = _backward
        return out

    def cumsum(self, dim):
        """Running sums along ``dim`` (integers give int64, as PyTorch)."""
        d = _dim(dim, self.ndim)
        x = self.data if self.ndim else self.data.reshape(1)
        out = Tensor._make(np.cumsum(x, axis=d).reshape(self.shape), (self,), "cumsum")
        def _backward():                                  # dx_i = sum_{j >= i} g_j: a reversed cumsum
            g = out.grad if self.ndim else out.grad.reshape(1)
            self._accum_grad(np.flip(np.cumsum(np.flip(g, d), axis=d), d).reshape(self.shape))
        out._backward = _backward
        return out

    def norm(self, p="fro", dim=None, keepdim=False):
        """Vector p-norm over all elements or over ``dim``: (sum |x|^p)^(1/p); ``p="fro"`` or 2 is
        the Euclidean norm (gradient x / norm, and 0 at x = 0, as torch), ``inf`` the largest |x|."""
        self._need_float("norm")
        if p in ("fro", 2, 2.0):
            axes = _dims(dim, self.ndim)
            x = self.data
            n = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
            out = Tensor._make(np.asarray(n, dtype=x.dtype), (self,), "norm")
            def _backward():
                nb = self._expand_back(out.data, axes, keepdim)
                with np.errstate(divide="ignore", invalid="ignore"):
                    grad = np.where(nb == 0, 0, self._expand_back(out.grad, axes, keepdim) * x / nb)
                self._accum_grad(grad)
            out._backward = _backward
            return out
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == np.inf:
            return self.abs().amax(() if dim is None else dim, keepdim)
        if p == -np.inf:
            return self.abs().amin(() if dim is None else dim, keepdim)
        if isinstance(p, numbers.Real) and p > 0:
            return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)
        raise ValueError(f"norm: p must be 'fro', inf, -inf or a positive number, got {p!r}")

    def max(self, dim=None, keepdim=False, axis=None):
        """Largest value, over all elements, or along one ``dim``: then, as PyTorch, the pair
        ``(values, indices)`` (a named tuple: ``out.values``, ``out.indices``), so that
        ``_, pred = scores.max(1)`` gives the predicted classes.

        Gradient: ``max()`` splits it evenly between tied maxima; ``max(dim)`` sends it to the
        index NumPy's argmax returns (the first maximum), as torch does.
        """
        return self._extreme(dim if axis is None else axis, keepdim, np.argmax, "max")

    def min(self, dim=None, keepdim=False, axis=None):
        """Smallest value; same conventions as ``max`` (``min(dim)`` returns ``(values, indices)``)."""
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
            out._backward = _backward
            return out
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{op}: dim must be an int, got {dim!r} (amax/amin reduce several dims)")
        d = _dim(dim, x.ndim)
        xd = x if x.ndim else x.reshape(1)
        idx = np.expand_dims(argfn(xd, axis=d), d)
        data = np.take_along_axis(xd, idx, axis=d)
        shape = data.shape if keepdim and x.ndim else data.squeeze(d).shape
        out = Tensor._make(data.reshape(shape), (self,), op)
        def _backward():
            g = np.zeros_like(xd)
            np.put_along_axis(g, idx, out.grad.reshape(idx.shape), axis=d)
            self._accum_grad(g.reshape(x.shape))
        out._backward = _backward
        return (max_result if op == "max" else min_result)(out, Tensor(idx.reshape(shape)))

    def amax(self, dim=(), keepdim=False):
        """Largest value over ``dim`` (one or several dims; all for ``()``); the gradient is split
        evenly between tied maxima, as torch.amax."""
        return self._amax_amin(dim, keepdim, np.max, "amax")

    def amin(self, dim=(), keepdim=False):
        """Smallest value over ``dim``; as ``amax``."""
        return self._amax_amin(dim, keepdim, np.min, "amin")

    def _amax_amin(self, dim, keepdim, fn, op):
        axes = None if dim == () or dim is None else _dims(dim, self.ndim)
        x = self.data
        out = Tensor._make(np.asarray(fn(x, axis=axes, keepdims=keepdim)), (self,), op)
        def _backward():
            ties = x == self._expand_back(out.data, axes, keepdim)
            count = ties.sum(axis=axes, keepdims=True)
            self._accum_grad(ties * (self._expand_back(out.grad, axes, keepdim) / count))
        out._backward = _backward
        return out

    def argmax(self, dim=None, keepdim=False):
        return Tensor(_arg(self.data, np.argmax, dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        return Tensor(_arg(self.data, np.argmin, dim, keepdim))

    def all(self, dim=None, keepdim=False):
        """True where every element (along ``dim``) is nonzero; a bool tensor, no gradient."""
        return Tensor(np.asarray(np.all(self.data, axis=_dims(dim, self.ndim), keepdims=keepdim)))

    def any(self, dim=None, keepdim=False):
        """True where some element (along ``dim``) is nonzero; a bool tensor, no gradient."""
        return Tensor(np.asarray(np.any(self.data, axis=_dims(dim, self.ndim), keepdims=keepdim)))

    # --------------------------------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for input of shape {self.shape} "
                               f"({self.data.size} elements)") from None
        out = Tensor._make(data, (self,), "reshape")
        def _backward():
            self._accum_grad(out.grad.reshape(self.shape))
        out._backward = _backward
        return out

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        if s > e:
            raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after "
                               f"end_dim ({end_dim})")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        axes = _dims(dim, self.ndim)
        if axes is not None:
            axes = tuple(a for a in axes if self.shape[a] == 1)   # torch ignores non-1 dims
        return self.reshape(np.squeeze(self.data, axis=axes).shape)

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: the number of dims {len(dims)} does not match the tensor's {self.ndim}")
        dims = _dims(dims, self.ndim) if self.ndim else ()
        out = Tensor._make(np.transpose(self.data, dims), (self,), "permute")
        def _backward():
            self._accum_grad(np.transpose(out.grad, np.argsort(dims)))
        out._backward = _backward
        return out

    def transpose(self, dim0, dim1):
        if self.ndim == 0:
            _dim(dim0, 0), _dim(dim1, 0)
            return self
        dims = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(dims)

    def t(self):
        """The transpose of a matrix (a tensor of at most 2 dimensions, as torch.Tensor.t)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        """All dimensions reversed (for a matrix, the transpose)."""
        return self.permute(tuple(range(self.ndim))[::-1])

    def expand(self, *sizes):
        """A view broadcast to ``sizes`` (-1 keeps a dimension; new dimensions go in front). The
        gradient sums over the broadcast dimensions."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self.ndim})")
        target = tuple(self.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
        for i, n in enumerate(self.shape):
            if n != 1 and target[lead + i] != n:
                raise RuntimeError(f"expand: the expanded size of the tensor ({target[lead + i]}) must match the "
                                   f"existing size ({n}) at non-singleton dimension {lead + i}. Target sizes: "
                                   f"{list(sizes)}. Tensor sizes: {list(self.shape)}")
        out = Tensor._make(np.broadcast_to(self.data, target), (self,), "expand")
        def _backward():
            self._accum_grad(out.grad)            # _accum_grad sums over the broadcast dimensions
        out._backward = _backward
        return out

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dimension i (as torch.Tensor.repeat, which is
        NumPy's tile, not NumPy's repeat)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if len(sizes) < self.ndim:
            raise RuntimeError("repeat: number of dimensions of repeat dims can not be smaller than number "
                               f"of dimensions of tensor ({len(sizes)} < {self.ndim})")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        out = Tensor._make(np.tile(self.data.reshape(shape), sizes), (self,), "repeat")
        def _backward():                          # sum the copies: (r0, s0, r1, s1, ...) over the r axes
            g = out.grad.reshape(tuple(v for r, s in zip(sizes, shape) for v in (r, s)))
            self._accum_grad(g.sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(self.shape))
        out._backward = _backward
        return out

    def flip(self, dims):
        """Reverse the order of the elements along ``dims`` (an int or a tuple)."""
        axes = _dims(dims, self.ndim)
        out = Tensor._make(np.flip(self.data, axes).copy() if axes else self.data.copy(), (self,), "flip")
        def _backward():
            self._accum_grad(np.flip(out.grad, axes) if axes else out.grad)
        out._backward = _backward
        return out

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of tensors with that dimension removed."""
        d = _dim(dim, self.ndim)
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def chunk(self, chunks, dim=0):
        """Split into ``chunks`` pieces of ceil(n / chunks) along ``dim`` (the last may be smaller,
        and there may be fewer pieces, as torch.chunk)."""
        if chunks < 1:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        step = max(-(-n // chunks), 1)
        return tuple(self[(slice(None),) * d + (slice(i, i + step),)] for i in range(0, max(n, 1), step))

    def clone(self):
        """A copy of the data that stays in the graph (the gradient passes through)."""
        out = Tensor._make(self.data.copy(), (self,), "clone")
        def _backward():
            self._accum_grad(out.grad)
        out._backward = _backward
        return out

    def __getitem__(self, key):
        key = _index_key(key)
        out = Tensor._make(self.data[key], (self,), "index")
        def _backward():
            g = np.zeros_like(self.data)
            if _is_basic_index(key):           # slices and ints: each element at most once
                g[key] = out.grad
            else:                              # np.add.at adds repeated indices twice
                np.add.at(g, key, out.grad)
            self._accum_grad(g, fresh=True)
        out._backward = _backward
        return out

    def gather(self, dim, index):
        """``out[i][j] = self[index[i][j]][j]`` for dim 0 (and likewise for other dims), as
        torch.gather: ``index`` has as many dimensions as self and is no larger in the others."""
        d = _dim(dim, self.ndim)
        idx = np.asarray(index.data if isinstance(index, Tensor) else index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        if idx.ndim != self.ndim or any(i != d and idx.shape[i] > self.shape[i] for i in range(self.ndim)):
            raise RuntimeError(f"gather: index of shape {idx.shape} does not fit input of shape {self.shape} "
                               f"along dims other than {d} (same number of dims, no larger sizes)")
        if idx.size and (idx.min() < 0 or idx.max() >= self.shape[d]):
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise IndexError(f"gather: index {bad} is out of bounds for dimension {d} with size {self.shape[d]}")
        grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
        grids[d] = idx
        where = tuple(grids)
        out = Tensor._make(self.data[where], (self,), "gather")
        def _backward():
            g = np.zeros_like(self.data)
            np.add.at(g, where, out.grad)
            self._accum_grad(g, fresh=True)
        out._backward = _backward
        return out

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` (a bool tensor, broadcast) is True, else self. ``value`` is a
        number or a 0-d tensor (which then gets the gradient of the filled places)."""
        m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}")
        v = self._lift(value)
        if v.ndim:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{v.ndim} dimension(s)")
        out = Tensor._make(np.where(m, v.data.astype(self.dtype), self.data), (self, v), "masked_fill")
        def _backward():
            self._accum_grad(np.where(m, 0, out.grad))
            if v.requires_grad:
                v._accum_grad(np.asarray(np.where(m, out.grad, 0).sum()))
        out._backward = _backward
        return out

    # ------------------------------------------------------------------------- no-grad comparisons
    def __lt__(self, other): return Tensor(self.data < _to_array(other))
    def __le__(self, other): return Tensor(self.data <= _to_array(other))
    def __gt__(self, other): return Tensor(self.data > _to_array(other))
    def __ge__(self, other): return Tensor(self.data >= _to_array(other))
    def __eq__(self, other): return Tensor(self.data == _to_array(other))
    def __ne__(self, other): return Tensor(self.data != _to_array(other))

    # ---------------------------------------------------------------------------- dtypes, device
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        """Cast to a dtype (``x.to(nnkit.float64)``, ``x.to(other_tensor)``), or "move" to the one
        device nnkit has (``x.to("cpu")``, ``x.to("cpu", nnkit.float64)``). Differentiable between
        float dtypes (the gradient is cast back). A CUDA device raises."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _is_device(a):
                device = a
            else:
                dtype = a
        _check_device(device)
        if dtype is None:
            return self.clone() if copy else self
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype and not copy:
            return self
        out = Tensor._make(self.data.astype(dtype), (self,), "cast")
        if dtype.kind not in "fc":
            out.requires_grad, out._prev, out._op = False, (), ""
        def _backward():
            self._accum_grad(out.grad)
        out._backward = _backward
        return out

    def cpu(self):
        """The tensor itself: nnkit has only the CPU."""
        return self

    def cuda(self, *args, **kwargs):
        _check_device("cuda")

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)
    def long(self): return self.to(np.int64)
    def int(self): return self.to(np.int32)
    def bool(self): return self.to(np.bool_)


def _is_device(a):
    return isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta")


def _check_device(device):
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"nnkit runs on the CPU only; device {str(device)!r} is not available "
                           "(use 'cpu', or leave the device out)")


def _value(x):
    """The array (or number) inside ``x``."""
    return x.data if isinstance(x, Tensor) else x


def _divide(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):      # x/0 = inf as in IEEE / torch
        return np.true_divide(a, b)


def _power(a, b):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(a, b)


def _prod_of_others(x, axis):
    """prod_{j != i} x_j along ``axis`` for every i, from the running products to the left and to
    the right of i (exact with zeros, no division)."""
    xm = np.moveaxis(x, axis, -1)
    ones = np.ones_like(xm[..., :1])
    left = np.cumprod(np.concatenate([ones, xm[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(xm, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return np.moveaxis(left * right, -1, axis)


def _arg(x, fn, dim, keepdim):
    if dim is None:
        r = fn(x)
        return r.reshape((1,) * x.ndim) if keepdim else np.asarray(r)
    d = _dim(dim, x.ndim)
    if x.ndim == 0:
        return np.asarray(fn(x))
    return fn(x, axis=d, keepdims=keepdim)


def _index_key(key):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, Tensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _is_basic_index(key):
    """An index of ints, slices, None and Ellipsis only (a view: no element is picked twice)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral)) and not isinstance(k, bool)
               for k in parts)


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


# ============================================================================= tensor, as_tensor, joins
def tensor(data, requires_grad=False, dtype=None):
    """A new leaf Tensor holding a copy of ``data`` (like ``torch.tensor``)."""
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad)


def as_tensor(x, dtype=None):
    """``x`` if it is a Tensor (cast to ``dtype`` if one is given), else a non-grad Tensor of it
    (sharing an array's memory where it can, as ``torch.as_tensor``)."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    return Tensor(x, dtype=dtype)


def _joined(fn, tensors, dim, extra):
    """Tensors to join, in their promoted dtype, and ``dim`` checked (``extra``: stack's new dim)."""
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError(f"{fn}: expected a non-empty list of Tensors")
    d = _dim(dim, ts[0].ndim + extra)
    dtype = ts[0].dtype if all(t.dtype == ts[0].dtype for t in ts) else result_type(*(t.data for t in ts))
    return ts, [t.data if t.dtype == dtype else t.data.astype(dtype) for t in ts], d


def cat(tensors, dim=0):
    """Concatenate along an existing dimension (dtypes promoted as PyTorch does)."""
    ts, arrays, d = _joined("cat", tensors, dim, 0)
    for i, t in enumerate(ts[1:], 1):
        if t.ndim != ts[0].ndim or t.shape[:d] + t.shape[d + 1:] != ts[0].shape[:d] + ts[0].shape[d + 1:]:
            raise ValueError(f"cat: sizes of tensors must match except in dimension {d}: tensor 0 has shape "
                             f"{ts[0].shape}, tensor {i} has shape {t.shape}")
    out = Tensor._make(np.concatenate(arrays, axis=d), tuple(ts), "cat")
    def _backward():
        ends = np.cumsum([t.shape[d] for t in ts])[:-1]
        for t, g in zip(ts, np.split(out.grad, ends, axis=d)):
            t._accum_grad(g)
    out._backward = _backward
    return out


def stack(tensors, dim=0):
    """Join along a new dimension (all tensors of one shape; dtypes promoted as PyTorch does)."""
    ts, arrays, d = _joined("stack", tensors, dim, 1)
    for i, t in enumerate(ts[1:], 1):
        if t.shape != ts[0].shape:
            raise ValueError(f"stack expects each tensor to be equal size, but got {ts[0].shape} at entry 0 "
                             f"and {t.shape} at entry {i}")
    out = Tensor._make(np.stack(arrays, axis=d), tuple(ts), "stack")
    def _backward():
        for i, t in enumerate(ts):
            t._accum_grad(np.take(out.grad, i, axis=d))
    out._backward = _backward
    return out


def where(condition, x, y):
    """``x`` where ``condition`` is true, else ``y`` (broadcasting, dtypes promoted as PyTorch);
    the gradient follows the choice."""
    c = _to_array(condition).astype(bool, copy=False)
    dtype = result_type(x, y)
    x, y = (t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=dtype)) for t in (x, y))
    out = Tensor._make(np.where(c, x.data, y.data).astype(dtype, copy=False), (x, y), "where")
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
