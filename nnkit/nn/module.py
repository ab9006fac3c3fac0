"""``Module`` and ``Parameter`` (as ``torch.nn.Module`` / ``torch.nn.Parameter``).

A module owns ordered dicts ``_parameters`` (Parameters), ``_buffers`` (non-trained state such
as BatchNorm's running statistics, stored as Tensors) and ``_modules`` (sub-modules). Assigning
``self.weight = Parameter(...)`` or ``self.fc = Linear(...)`` registers it; names in
``named_parameters()`` are the attribute paths joined with dots (``0.weight``, ``fc.bias``).
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from ..tensor import Tensor

__all__ = ["Module", "Parameter"]

#: what ``load_state_dict`` returns, as PyTorch's ``_IncompatibleKeys``
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that is a module's learnable parameter (``requires_grad=True`` by default).

    Book: ch-02-mlp (eq-02-layer)."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __hash__ = object.__hash__


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value))


class Module:
    """Base class of every layer and model: override ``forward``; call the module to run it.

    Book: ch-02-mlp (eq-02-mlp), ch-11-rnn (a model of your own)."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self.__dict__.pop(name, None)
            self._buffers.pop(name, None)
            self._modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self.__dict__.pop(name, None)
            params.pop(name, None)
            self._buffers.pop(name, None)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nnkit.nn.Parameter or None expected)")
            params[name] = None
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(nnkit.nn.Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            self._buffers[name] = _as_buffer(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nnkit.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """Add non-trained state that is saved in ``state_dict`` (e.g. running statistics)."""
        self._buffers[name] = _as_buffer(tensor)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ running
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module and every submodule; one registered twice is listed
        once unless ``remove_duplicate=False``."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, v in get(m).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield mprefix + ("." if mprefix else "") + name, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, Parameter)`` pairs in registration order; a shared (tied) parameter once, under
        its first name, unless ``remove_duplicate=False`` (as PyTorch)."""
        return self._named_members(lambda m: m._parameters, prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this and all children."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset parameter gradients to ``None`` (default, as PyTorch 2.x) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    # ------------------------------------------------------------------ dtype
    def _apply_dtype(self, dtype):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.data.dtype.kind == "f":
                        t.data = t.data.astype(dtype)
                        if t.grad is not None:
                            t.grad = t.grad.astype(dtype)
        return self

    def double(self):
        """Cast floating-point parameters and buffers to float64 (in place, same Parameter objects)."""
        return self._apply_dtype(np.float64)

    def float(self):
        return self._apply_dtype(np.float32)

    def to(self, *args, dtype=None, device=None):
        """Cast floating-point parameters and buffers (``model.to(nnkit.float64)``); a device is
        accepted if it is the CPU (``model.to("cpu")``, ``model.to("cpu", nnkit.float64)``)."""
        from ..tensor import _check_device, _is_device
        for a in args:
            if _is_device(a):
                device = a
            else:
                dtype = a
        _check_device(device)
        return self if dtype is None else self._apply_dtype(np.dtype(dtype))

    def cpu(self):
        """The module itself: nnkit has only the CPU."""
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Ordered ``name -> Tensor`` of parameters and persistent buffers, every name under which
        one is registered (a submodule or parameter used twice, tied weights, appears under both
        names, as in PyTorch). Values are copies (PyTorch shares storage; copying makes
        ``best = model.state_dict()`` a real snapshot)."""
        out = OrderedDict() if destination is None else destination
        for mprefix, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = mprefix + ("." if mprefix else "")
            for store in (m._parameters, m._buffers):
                for name, t in store.items():
                    if t is not None:
                        out[dot + name] = t if keep_vars else Tensor(t.data.copy())
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the existing parameters/buffers (in place, so optimizers keep working).
        With ``strict``, missing or unexpected keys raise; a shape mismatch always raises, before
        anything is copied. Returns ``(missing_keys, unexpected_keys)``, a named tuple as PyTorch's."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
        arrays = {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arrays[k] = arr = np.asarray(v.data if isinstance(v, Tensor) else v)
            if arr.shape != t.data.shape:
                raise ValueError(f"size mismatch for {k}: copying a param with shape {arr.shape} from "
                                 f"checkpoint, the shape in current model is {t.data.shape}")
        for k, arr in arrays.items():
            own[k].data[...] = arr
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            mod = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {mod}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        body = "\n  ".join(lines)
        return f"{self._get_name()}(\n  {body}\n)"

    def __dir__(self):
        return sorted(set(list(super().__dir__()) + list(self._parameters) + list(self._buffers)
                          + list(self._modules)))
