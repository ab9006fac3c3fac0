"""Check backward against central differences: df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
import numpy as np

from .modes import no_grad
from .tensor import Tensor


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """True if the analytic gradients of ``fn(*inputs)`` match numerical ones.

    Floating-point Tensor inputs with ``requires_grad=True`` are checked (plain arrays are treated as
    requiring grad); they are copied to float64 first. Other inputs (integer index arrays, ...) pass
    through. A non-scalar output is reduced to the scalar ``sum(out * v)`` with a fixed random ``v``
    (seeded by ``seed``).
    Passes if ``|analytic - numeric| <= atol + rtol * |numeric|`` everywhere; otherwise raises
    ``AssertionError`` naming the input, the worst element, and both values
    (or returns False with ``raise_exception=False``, like ``torch.autograd.gradcheck``).

    Book: ch-05-autodiff (eq-05-central)."""
    xs, checked = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            x = Tensor(x, requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad:
            x = Tensor(np.array(x.data, dtype=np.float64), requires_grad=True)
            checked.append(i)
        xs.append(x)
    if not checked:
        raise ValueError("gradcheck: no input is a floating-point Tensor with requires_grad=True")

    out = fn(*xs)
    v = np.ones(out.shape) if out.data.size == 1 else np.random.default_rng(seed).standard_normal(out.shape)

    def f():                         # the scalar whose gradient we check, evaluated without a graph
        with no_grad():
            return float(np.sum(np.asarray(fn(*xs).data, dtype=np.float64) * v))

    (out * Tensor(v)).sum().backward()

    for i in checked:
        x = xs[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.copy()
        numeric = np.zeros_like(x.data)
        flat = x.data.reshape(-1)             # a view: perturbing it perturbs x.data
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            f_plus = f()
            flat[j] = orig - eps
            f_minus = f()
            flat[j] = orig
            numeric.reshape(-1)[j] = (f_plus - f_minus) / (2 * eps)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if not (excess <= 0).all():       # also catches NaN
            k = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)), x.shape)
            msg = (f"gradcheck failed for input {i} (shape {x.shape}) at index {tuple(int(t) for t in k)}: "
                   f"analytic {analytic[k]:.6g} vs numeric {numeric[k]:.6g} "
                   f"(|diff| {abs(analytic[k] - numeric[k]):.3g} > atol {atol} + rtol {rtol} * |numeric|)")
            if raise_exception:
                raise AssertionError(msg)
            return False
    return True
