"""Tensor basics: construction and dtypes, backward mechanics, grad mode, errors, warnings, anomalies."""
import warnings

import numpy as np
import pytest

import nnkit
from nnkit import Tensor


# ---------------------------------------------------------------------------------------- dtypes
def test_python_data_becomes_float32_and_arrays_keep_dtype():
    assert nnkit.tensor(1.5).dtype == np.float32
    assert nnkit.tensor([1.0, 2.0]).dtype == np.float32
    assert nnkit.tensor([[1, 2]]).dtype == np.int64                 # integer data stays integer
    assert nnkit.tensor(np.arange(3)).dtype == np.int64
    assert nnkit.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert nnkit.tensor([1, 2], dtype=nnkit.float64).dtype == np.float64
    assert nnkit.tensor(np.ones(2), dtype=np.float32).dtype == np.float32


def test_ops_do_not_upcast_float32():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 0.1, 0.1 * x, x + 1e-8, 2.5 - x, x / 3.0, 1.0 / x, x ** 2.0, 2.0 ** x, x.mean(),
              x.sigmoid(), nnkit.where(x.data > 1, x, 0.5), x.clamp(0.5, 1.5)):
        assert y.dtype == np.float32, y
    y = (x * 0.1).sum()
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def test_gradient_cast_to_input_dtype():
    a = nnkit.tensor([1.0, 2.0], requires_grad=True)                # float32
    b = nnkit.tensor(np.array([3.0, 4.0]), requires_grad=True)      # float64
    (a * b).sum().backward()                                         # NumPy promotes the product to float64
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [3, 4])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating point.*int64"):
        nnkit.tensor([1, 2], requires_grad=True)


def test_tensor_copies_but_Tensor_wraps():
    a = np.zeros(3, dtype=np.float32)
    t, w = nnkit.tensor(a), Tensor(a)
    a[0] = 7
    assert t.data[0] == 0 and w.data[0] == 7


def test_data_is_assignable_and_basic_accessors():
    p = nnkit.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert p.shape == (1, 3) and p.ndim == 2 and p.size() == (1, 3) and p.size(1) == 3 and p.numel() == 3
    p.data = np.ones((1, 3), dtype=np.float32)
    (p * 2).sum().backward()
    np.testing.assert_allclose(p.grad, [[2, 2, 2]])
    assert nnkit.tensor([[4.0]]).item() == 4.0
    assert p.numpy() is p.data and len(p) == 1
    d = p.detach()
    assert d.data is p.data and not d.requires_grad and d.is_leaf


def test_repr_like_torch():
    assert repr(nnkit.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(nnkit.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(nnkit.tensor(2.0, dtype=np.float64)) == "tensor(2., dtype=float64)"


def test_factories():
    assert nnkit.zeros(2, 3).shape == (2, 3) and nnkit.zeros((2, 3)).dtype == np.float32
    assert nnkit.ones(4, dtype=nnkit.float64).dtype == np.float64
    assert nnkit.ones(2, requires_grad=True).requires_grad
    assert nnkit.arange(5).dtype == np.int64 and nnkit.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(nnkit.arange(2, 8, 2).data, [2, 4, 6])
    assert nnkit.zeros_like(nnkit.ones(2, 2)).shape == (2, 2)
    assert nnkit.ones_like(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert nnkit.randn(3, 4).dtype == np.float32 and nnkit.rand(5).data.max() < 1
    assert nnkit.full((2,), 7.0).data.tolist() == [7.0, 7.0]


def test_manual_seed_reproducible_and_generator_accessor():
    nnkit.manual_seed(123)
    a = nnkit.randn(5).data.copy()
    u = nnkit.get_rng().random()
    nnkit.manual_seed(123)
    np.testing.assert_array_equal(nnkit.randn(5).data, a)
    assert nnkit.get_rng().random() == u
    assert isinstance(nnkit.get_rng(), np.random.Generator)
    nnkit.manual_seed(124)
    assert not np.array_equal(nnkit.randn(5).data, a)


# ---------------------------------------------------------------------------------------- backward
def test_backward_non_scalar_needs_gradient():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2,\)"):
        y.backward()
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [3, 30])


def test_backward_gradient_shape_checked():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2).backward(gradient=np.ones(3))


def test_gradients_accumulate_until_zeroed():
    x = nnkit.tensor(3.0, requires_grad=True)
    (x * x).backward()
    (x * x).backward()
    assert x.grad == pytest.approx(12.0)
    x.grad = None
    (x * x).backward()
    assert x.grad == pytest.approx(6.0)


def test_backward_from_non_grad_tensor_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (nnkit.tensor([1.0]) * 2).sum().backward()


def test_second_backward_through_freed_graph_raises():
    x = nnkit.tensor(2.0, requires_grad=True)
    y = (x * 3).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="graph already freed.*call backward once per forward"):
        y.backward()
    h = x * 3                                     # a freed shared subgraph, reached from another output
    a, b = h.sin() if hasattr(h, "sin") else h.tanh(), h.exp()
    a.backward()
    with pytest.raises(RuntimeError, match="graph already freed"):
        b.backward()


def test_retain_graph_allows_second_backward_without_double_counting():
    x = nnkit.tensor(2.0, requires_grad=True)
    h = x * 3
    y = h * h
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(36.0) and h.grad == pytest.approx(12.0)
    y.backward()
    assert x.grad == pytest.approx(72.0)          # leaf accumulates
    assert h.grad == pytest.approx(12.0)          # intermediate grad is this pass's, not a running sum
    assert y._prev == () and y._backward is None  # freed after the last pass


def test_intermediate_grads_are_kept():
    x = nnkit.tensor(-2.0, requires_grad=True)
    q = x + 5.0
    f = q * -4.0
    f.backward()
    assert q.grad == pytest.approx(-4.0) and f.grad == pytest.approx(1.0)


def test_backward_on_leaf_itself():
    x = nnkit.tensor(1.0, requires_grad=True)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_deep_chain_has_no_recursion_limit():
    x = nnkit.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(10000):
        y = y + 1.0
    y.backward()
    assert x.grad == pytest.approx(1.0) and y.item() == pytest.approx(10000.5)


def test_rnn_unrolled_1000_steps():
    nnkit.manual_seed(0)
    W = (nnkit.randn(4, 4) * 0.3).requires_grad_()
    h = nnkit.zeros(1, 4)
    xs = nnkit.randn(1000, 1, 4)
    for t in range(1000):
        h = (h @ W + xs[t]).tanh()
    h.sum().backward()
    assert W.grad.shape == (4, 4) and np.isfinite(W.grad).all() and np.abs(W.grad).sum() > 0


def test_diamond_graph_uses_each_path():
    x = nnkit.tensor(2.0, requires_grad=True)
    a = x * 3
    b = x.exp()
    (a * b + a).backward()                       # d/dx (3x e^x + 3x) = 3e^x + 3x e^x + 3
    assert x.grad == pytest.approx(3 * np.exp(2) + 6 * np.exp(2) + 3, rel=1e-5)


def test_constants_get_no_grad():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    c = nnkit.tensor([5.0, 6.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


# ---------------------------------------------------------------------------------------- grad mode
def test_no_grad_records_nothing():
    x = nnkit.tensor([1.0], requires_grad=True)
    with nnkit.no_grad():
        assert not nnkit.is_grad_enabled()
        y = x * 2
    assert nnkit.is_grad_enabled()
    assert not y.requires_grad and y._prev == () and y.is_leaf

    @nnkit.no_grad()
    def f(t):
        return t.exp()
    assert not f(x).requires_grad and (x.exp()).requires_grad
    with nnkit.no_grad():
        with nnkit.enable_grad():
            assert (x * 1).requires_grad


def test_no_grad_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with nnkit.no_grad():
            1 / 0
    assert nnkit.is_grad_enabled()


# ------------------------------------------------------------------------------------------ errors
def test_matmul_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned: "
                                         r"inner dimensions 3 != 4"):
        nnkit.ones(2, 3) @ nnkit.ones(4, 5)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(2,\)"):
        nnkit.ones(3) @ nnkit.ones(2)


def test_broadcast_error_names_shapes():
    with pytest.raises(ValueError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        nnkit.ones(2, 3) + nnkit.ones(4)
    with pytest.raises(ValueError, match=r"mul: cannot broadcast shapes \(2,\) and \(3,\)"):
        nnkit.ones(2) * np.ones(3)


def test_anomaly_detection_names_op_and_inputs():
    x = nnkit.tensor([0.0, 1.0], requires_grad=True)
    assert not nnkit.is_anomaly_enabled()
    y = x.log()                                              # off: -inf is returned quietly
    assert y.data[0] == -np.inf
    with nnkit.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"log produced inf.*\(2,\) \[0., 1.\]"):
            x.log()
        with pytest.raises(FloatingPointError, match="div produced"):
            nnkit.tensor([1.0]) / nnkit.tensor([0.0])
    nnkit.set_anomaly_detection(True)
    try:
        z = nnkit.tensor(0.0, requires_grad=True)
        with pytest.raises(FloatingPointError, match="backward"):
            z.sqrt().backward()                              # forward fine (0), gradient inf
    finally:
        nnkit.set_anomaly_detection(False)
    assert not nnkit.is_anomaly_enabled()


# ------------------------------------------------------------------------------ no RuntimeWarnings
def test_no_runtime_warnings_on_extreme_inputs():
    x = nnkit.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        np.testing.assert_allclose(s.data, [0, 0, 0.5, 1, 1], atol=1e-20)
        sm = x.softmax(dim=0)
        lsm = x.log_softmax(dim=0)
        e = x.exp()
        lg = nnkit.tensor([0.0, 1.0], requires_grad=True).log()
        assert np.isfinite(sm.data).all() and np.isfinite(lsm.data).all()
        assert e.data[-1] == np.inf and lg.data[0] == -np.inf
        (s.sum() + sm[4] + lsm[0]).backward()
        assert np.isfinite(x.grad).all()
        np.testing.assert_allclose(lsm.data[0], -2000.0, rtol=1e-6)
        nnkit.tensor([1.0]) / nnkit.tensor([0.0])
        nnkit.tensor([0.0], requires_grad=True) ** 0.5
        nnkit.tensor([-1.0]).sqrt()


def test_comparisons_return_bool_tensors():
    x = nnkit.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).data.tolist() == [False, True, True]
    assert (x == 2).data.dtype == np.bool_
    assert (x <= nnkit.tensor([1.0, 1.0, 5.0])).data.tolist() == [True, False, True]
    assert len({x, x}) == 1                                   # hashable by identity


def test_cast_is_differentiable():
    x = nnkit.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]
    assert x.long().dtype == np.int64 and not x.long().requires_grad


def test_numpy_interop_and_python_scalars():
    t = nnkit.tensor([[1.0, 2.0]], requires_grad=True)
    assert np.asarray(t) is t.data
    y = np.ones((1, 2)) * t                                    # ndarray on the left defers to Tensor
    assert isinstance(y, Tensor) and y.requires_grad
    s = nnkit.tensor(2.5)
    assert float(s) == 2.5 and int(s) == 2 and bool(s) and not bool(nnkit.tensor(0.0))
    assert [v.item() for v in nnkit.tensor([3.0, 4.0])] == [3.0, 4.0]


# ------------------------------------------------------------------ special values: relu, sigmoid
def test_relu_special_values_and_dtypes():
    v = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1.0, 2.0, 1e-45, -1e-45]
    for dt in (np.float32, np.float64):
        y = nnkit.tensor(np.array(v, dtype=dt)).relu().data
        assert y.dtype == dt
        np.testing.assert_array_equal(y, np.array([np.nan, 0, np.inf, 0, 0, 0, 2, 1e-45, 0], dtype=dt))
        assert np.signbit(y[3]) and not np.signbit(y[4])           # -0.0 stays -0.0, as torch.relu
    yi = nnkit.tensor([-3, 0, 4]).relu().data                       # integers keep their dtype
    assert yi.dtype == np.int64 and yi.tolist() == [0, 0, 4]


def test_sigmoid_matches_both_branches_of_the_stable_formula():
    x = np.array([-1000, -88, -30, -1, -1e-8, -0.0, 0.0, 1e-8, 1, 30, 88, 1000, np.nan], dtype=np.float32)
    e = np.exp(-np.abs(x))
    ref = np.where(x >= 0, 1 / (1 + e), e / (1 + e))              # the textbook two-branch form
    s = nnkit.tensor(x).sigmoid().data
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s, ref)                         # bit for bit, NaN in place of NaN
    assert s[2] > 0 and s[0] == 0 and s[-2] == 1                  # e/(1+e) keeps tiny values
