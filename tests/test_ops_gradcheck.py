"""Every op's backward checked against central differences in float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nnkit
from nnkit import gradcheck

SETTINGS = settings(max_examples=30, deadline=None)


def T(a):
    return nnkit.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def rnd(*shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


# ------------------------------------------------------------------------- the checker itself can fail
def test_gradcheck_catches_a_wrong_backward():
    def bad_square(x):
        out = nnkit.Tensor._make(x.data ** 2, (x,), "bad")
        def _backward():
            x._accum_grad(out.grad * x.data)          # missing factor 2
        out._backward = _backward
        return out
    x = T([[1.0, 2.0], [3.0, -4.0]])
    with pytest.raises(AssertionError, match=r"input 0 .*index \(1, 1\): analytic -4 vs numeric -8"):
        gradcheck(lambda a: bad_square(a).sum(), x)
    assert gradcheck(lambda a: bad_square(a).sum(), x, raise_exception=False) is False


def test_gradcheck_casts_to_float64_and_leaves_inputs_alone():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    assert gradcheck(lambda a: (seen.append(a.dtype), a * a)[1], x)
    assert seen[0] == np.float64 and x.dtype == np.float32 and x.grad is None


# -------------------------------------------------------------------- elementwise binary, broadcasting
shapes_pair = st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)),
                               ((4, 1, 3), (2, 1)), ((1,), (2, 2)), ((), (2, 3)), ((2, 3), ())])


@SETTINGS
@given(shapes_pair, st.sampled_from(["add", "sub", "mul", "div", "pow"]), st.integers(0, 10**6))
def test_binary_ops_broadcast_both_ways(shapes, op, seed):
    sa, sb = shapes
    a = rnd(*sa, seed=seed, low=0.5, high=2.0)            # positive bases for pow, nonzero divisors
    b = rnd(*sb, seed=seed + 1, low=0.5, high=2.0)
    if op in ("add", "sub", "mul"):
        a, b = a * np.sign(rnd(*sa, seed=seed + 2)), b * np.sign(rnd(*sb, seed=seed + 3))
    f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
         "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}[op]
    assert gradcheck(f, T(a), T(b))
    out = f(T(a), T(b))
    assert out.shape == np.broadcast_shapes(np.shape(a), np.shape(b))


@pytest.mark.parametrize("f", [lambda x: 2.0 + x, lambda x: 2.0 - x, lambda x: 3.0 * x, lambda x: 1.5 / x,
                               lambda x: 2.0 ** x, lambda x: x ** 3, lambda x: x ** -0.5, lambda x: -x,
                               lambda x: x - 1, lambda x: x / 4])
def test_scalar_and_reflected_forms(f):
    assert gradcheck(f, T(rnd(2, 3, low=0.5, high=2)))


def test_reflected_numpy_array_operand():
    x = T(rnd(2, 3, low=0.5))
    c = rnd(2, 3, seed=5)
    assert gradcheck(lambda a: c * a + c / a - c, x)
    assert isinstance(c * x, nnkit.Tensor)


def test_reused_tensor_accumulates():
    x = T(rnd(3, 4))
    assert gradcheck(lambda a: a * a + a, x)
    y = nnkit.tensor([1.0, -2.0], requires_grad=True)
    (y * y + y).sum().backward()
    np.testing.assert_allclose(y.grad, [3.0, -3.0])


# ---------------------------------------------------------------------------------- elementwise unary
UNARY = {
    "exp": (lambda x: x.exp(), -3, 3), "log": (lambda x: x.log(), 0.1, 3), "sqrt": (lambda x: x.sqrt(), 0.1, 3),
    "abs": (lambda x: x.abs(), -3, 3), "tanh": (lambda x: x.tanh(), -3, 3), "sigmoid": (lambda x: x.sigmoid(), -6, 6),
    "relu": (lambda x: x.relu(), -3, 3), "clamp": (lambda x: x.clamp(-0.5, 0.7), -2, 2),
    "clamp_min": (lambda x: nnkit.clamp(x, min=0.2), -2, 2), "clip_max": (lambda x: x.clip(max=0.1), -2, 2),
    "softmax": (lambda x: x.softmax(dim=-1), -3, 3), "log_softmax": (lambda x: nnkit.log_softmax(x, 0), -3, 3),
}


@SETTINGS
@given(st.sampled_from(sorted(UNARY)), hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), st.integers(0, 10**6))
def test_unary_ops(name, shape, seed):
    f, lo, hi = UNARY[name]
    x = rnd(*shape, seed=seed, low=lo, high=hi)
    if name in ("abs", "relu", "clamp", "clamp_min", "clip_max"):   # stay away from the kinks
        kinks = {"abs": [0], "relu": [0], "clamp": [-0.5, 0.7], "clamp_min": [0.2], "clip_max": [0.1]}[name]
        for k in kinks:
            x = np.where(np.abs(x - k) < 1e-3, k + 0.01, x)
    assert gradcheck(f, T(x))


def test_module_level_functions_match_methods():
    x = T(rnd(2, 3, low=0.2))
    for name in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"):
        np.testing.assert_allclose(getattr(nnkit, name)(x).data, getattr(x, name)().data)


# -------------------------------------------------------------------------------------- reductions
@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data(), st.booleans(),
       st.sampled_from(["sum", "mean"]))
def test_sum_mean_dims(shape, data, keepdim, op):
    nd = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                              st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple)))
    x = rnd(*shape, seed=data.draw(st.integers(0, 10**6)))
    f = lambda a: getattr(a, op)(dim=dim, keepdim=keepdim)
    assert gradcheck(f, T(x))
    axis = dim if dim is None or isinstance(dim, tuple) else dim
    np.testing.assert_allclose(f(T(x)).data, getattr(np, op)(x, axis=axis, keepdims=keepdim))


def test_axis_alias():
    x = T(rnd(2, 3))
    np.testing.assert_allclose(x.sum(axis=1).data, x.data.sum(axis=1))
    np.testing.assert_allclose(x.mean(axis=-1, keepdim=True).data, x.data.mean(axis=-1, keepdims=True))


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), st.data(), st.booleans())
def test_max_min_without_ties(shape, data, keepdim):
    nd = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    x = np.random.default_rng(data.draw(st.integers(0, 10**6))).permutation(int(np.prod(shape))).reshape(shape)
    x = x.astype(np.float64) * 0.1                       # distinct values, far apart: no ties
    for op in ("max", "min"):
        def f(a):                                        # max(dim) is the pair (values, indices)
            out = getattr(a, op)(dim=dim, keepdim=keepdim)
            return out if dim is None else out.values
        assert gradcheck(f, T(x))
        np.testing.assert_allclose(f(T(x)).data, getattr(np, op)(x, axis=dim, keepdims=keepdim))


def test_max_ties_follow_torch():
    x = nnkit.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()                                   # full max: split evenly among ties
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.max(dim=1).values.sum().backward()                 # max(dim): all to the returned (first) index
    np.testing.assert_allclose(x.grad, [[0, 1, 0], [1, 0, 0]])
    assert x.argmax(dim=1).tolist() == [1, 0]


# ------------------------------------------------------------------------------------ matmul
@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                                   ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,))])
def test_matmul_shapes(sa, sb):
    a, b = rnd(*sa, seed=1), rnd(*sb, seed=2)
    assert gradcheck(lambda x, y: x @ y, T(a), T(b))
    assert gradcheck(lambda x, y: nnkit.matmul(x, y), T(a), T(b))
    np.testing.assert_allclose((T(a) @ T(b)).data, a @ b)


def test_rmatmul_with_array():
    w = rnd(3, 2)
    assert gradcheck(lambda x: w @ x, T(rnd(2, 4)))


# ------------------------------------------------------------------------------------ shape ops
@pytest.mark.parametrize("f", [
    lambda x: x.reshape(4, 6), lambda x: x.reshape((-1,)), lambda x: x.view(2, 12), lambda x: x.flatten(),
    lambda x: x.flatten(1), lambda x: x.transpose(0, 2), lambda x: x.transpose(-1, -2), lambda x: x.T,
    lambda x: x.permute(2, 0, 1), lambda x: x.permute((1, 2, 0)), lambda x: x.unsqueeze(1).squeeze(1),
    lambda x: nnkit.reshape(x, (3, 8)), lambda x: x[:, 1:, ::2], lambda x: x[1], lambda x: x[..., -1],
    lambda x: x[None, 0, :, 1], lambda x: x[[0, 1, 1]], lambda x: x[:, [2, 0, 2, 2]],
    lambda x: x[np.array([1, 0]), np.array([2, 2])], lambda x: x[x.data > 0], lambda x: x[nnkit.tensor([1, 1])],
])
def test_shape_and_indexing(f):
    x = rnd(2, 3, 4, seed=3)
    assert gradcheck(f, T(x))


def test_index_scatter_adds_repeats():
    x = nnkit.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 2, 2, 2]].sum().backward()
    np.testing.assert_allclose(x.grad, [1, 0, 3])


def test_shape_ops_values():
    x = nnkit.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, np.transpose(x.data, (2, 0, 1)))
    np.testing.assert_array_equal(x.T.data, x.data.T)
    assert x.flatten(1).shape == (2, 12)
    assert x.transpose(0, -1).shape == (4, 3, 2)


# ------------------------------------------------------------------------------ cat, stack, where
def test_cat_stack_where():
    a, b, c = rnd(2, 3, seed=1), rnd(4, 3, seed=2), rnd(2, 3, seed=3)
    assert gradcheck(lambda x, y: nnkit.cat([x, y], dim=0), T(a), T(b))
    assert gradcheck(lambda x, y: nnkit.cat((x, y.T), dim=-1), T(a), T(rnd(4, 2, seed=7)))
    assert gradcheck(lambda x, y: nnkit.stack([x, y, x], dim=1), T(a), T(c))
    assert gradcheck(lambda x, y: nnkit.stack([x, y], dim=-1), T(a), T(c))
    cond = a > 0
    assert gradcheck(lambda x, y: nnkit.where(cond, x, y), T(a), T(c))
    assert gradcheck(lambda x, y: nnkit.where(nnkit.tensor(cond), x, y), T(a), T(rnd(3, seed=9)))  # broadcast
    assert gradcheck(lambda x: nnkit.where(cond, x, 0.0), T(a))
    np.testing.assert_allclose(nnkit.where(cond, T(a), T(c)).data, np.where(cond, a, c))


# ------------------------------------------------------------------------------- composite / deep
def test_composite_mlp_like_expression():
    x, w1, b1, w2 = rnd(5, 3, seed=1), rnd(3, 4, seed=2), rnd(4, seed=3), rnd(4, 2, seed=4)
    def f(x, w1, b1, w2):
        h = (x @ w1 + b1).tanh()
        return (h @ w2).log_softmax(dim=1).mean() + (w1 * w1).sum() * 0.01
    assert gradcheck(f, T(x), T(w1), T(b1), T(w2))


def test_integer_index_input_passes_through():
    idx = np.array([2, 0, 1])
    x = T(rnd(3, 4))
    assert gradcheck(lambda a, i: a[np.arange(3), i].sum(), x, idx)
