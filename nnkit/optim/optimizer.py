"""``Optimizer``: the base class of all optimizers (as ``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts, each with ``'params'`` and the group's
hyper-parameters, filled in from ``defaults``) and a per-parameter ``state`` (``state[p]`` is a
dict, e.g. the momentum buffer). ``step()`` updates ``p.data`` in place from ``p.grad`` with
NumPy (no graph is recorded); parameters whose ``grad`` is ``None`` are skipped.
"""
from __future__ import annotations

import copy

import numpy as np

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _grad_array(p):
    g = p.grad
    if g is None or isinstance(g, np.ndarray):
        return g
    return np.asarray(g.data)  # a Tensor-valued grad


class _ParamState(dict):
    """``state[p]``: per-parameter dicts keyed by the parameter's identity (works even when
    the Tensor class makes ``==`` elementwise). Missing entries are created empty."""

    def _key(self, p):
        return p if isinstance(p, int) else id(p)

    def __getitem__(self, p):
        k = self._key(p)
        if not dict.__contains__(self, k):
            dict.__setitem__(self, k, {})
        return dict.__getitem__(self, k)

    def __setitem__(self, p, value):
        dict.__setitem__(self, self._key(p), value)

    def __contains__(self, p):
        return dict.__contains__(self, self._key(p))

    def get(self, p, default=None):
        return dict.get(self, self._key(p), default)


class Optimizer:
    """Base class. ``params``: an iterable of Parameters, or of dicts (parameter groups) with
    ``'params'`` and per-group options that override ``defaults``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = _ParamState()
        self.param_groups = []
        if hasattr(params, "data") and hasattr(params, "grad"):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'``); missing options come from ``defaults``."""
        group = dict(param_group)
        params = group["params"]
        params = [params] if hasattr(params, "grad") else list(params)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to ``None`` (default, as PyTorch) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    if isinstance(p.grad, np.ndarray):
                        p.grad[...] = 0
                    else:
                        p.grad = np.zeros_like(p.data)

    def _params_with_grad(self):
        """(group, parameter, gradient) for every parameter that has a gradient, after checking
        all of them: a wrongly shaped ``.grad`` raises before any parameter has moved."""
        todo = []
        for k, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                g = _grad_array(p)
                if g is None:
                    continue
                if g.shape != p.data.shape:
                    raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} does not match "
                                     f"parameter {i} of group {k}, of shape {p.data.shape} (no parameter "
                                     "was updated)")
                todo.append((group, p, g))
        return todo

    def step(self, closure=None):
        """Update the parameters once. ``closure`` (optional) re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            from ..modes import enable_grad
            with enable_grad():
                loss = closure()
        for group, p, g in self._params_with_grad():
            self._update(p, -g if group.get("maximize") else g, self.state[p], group)
        return loss

    def _update(self, p, grad, state, group):  # pragma: no cover - abstract
        """Move ``p.data`` one step along ``grad`` (already negated for ``maximize=True``)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- (de)serialisation
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}`` with
        parameters numbered in order across groups (PyTorch's layout); arrays are copied."""
        index, groups, n = {}, [], 0
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index[id(p)] = n
                ids.append(n)
                n += 1
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
        state = {index[k]: {n_: (v.copy() if isinstance(v, np.ndarray) else copy.copy(v))
                            for n_, v in s.items()}
                 for k, s in dict.items(self.state) if k in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and state saved by ``state_dict`` (same parameter layout)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, "
                             f"optimizer has {len(self.param_groups)}")
        for saved, mine in zip(groups, self.param_groups):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 "the size of optimizer's group")
        params = [p for g in self.param_groups for p in g["params"]]
        for i, s in state_dict["state"].items():
            for k, v in s.items():
                if isinstance(v, np.ndarray) and v.ndim and v.shape != params[int(i)].data.shape:
                    raise ValueError(f"loaded state dict has {k!r} of shape {v.shape} for parameter {i}, whose "
                                     f"shape is {params[int(i)].data.shape}")
        self.state = _ParamState()
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: (np.array(v, dtype=p.data.dtype) if isinstance(v, np.ndarray) and v.ndim
                                 else copy.copy(v)) for k, v in s.items()}
        for saved, mine in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = v

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)
