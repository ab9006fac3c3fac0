"""nnkit.nn.functional: float64 gradient checks, shapes, error messages, naive == fast."""
import numpy as np
import pytest

import nnkit
from nnkit import gradcheck
from nnkit.nn import functional as F

rng = np.random.default_rng(0)


def T(a):
    return nnkit.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def r(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("fn", [F.relu, F.sigmoid, F.tanh, lambda x: F.leaky_relu(x, 0.1),
                                lambda x: F.elu(x, 1.3), lambda x: F.softmax(x, dim=1),
                                lambda x: F.log_softmax(x, dim=0)])
def test_activation_gradcheck(fn):
    x = r(3, 4)
    x[np.abs(x) < 1e-3] = 0.5                  # keep away from kinks
    assert gradcheck(fn, T(x))


def test_prelu_gradcheck():
    x = r(2, 3, 4)
    x[np.abs(x) < 1e-3] = 0.5
    assert gradcheck(F.prelu, T(x), T([0.1, 0.2, 0.3]))
    assert gradcheck(F.prelu, T(x), T([0.25]))


def test_linear_gradcheck_and_shape():
    assert gradcheck(F.linear, T(r(4, 3)), T(r(2, 3)), T(r(2)))
    assert gradcheck(F.linear, T(r(2, 4, 3)), T(r(2, 3)))
    assert F.linear(T(r(5, 7, 3)), T(r(2, 3))).shape == (5, 7, 2)
    with pytest.raises(ValueError, match="expected input with last dimension 3"):
        F.linear(T(r(4, 5)), T(r(2, 3)))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((2, 1), (0, 1))])
def test_conv2d_gradcheck(stride, padding):
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding),
                     T(r(2, 2, 5, 4)), T(r(3, 2, 3, 2)), T(r(3)))


def _assert_conv2d_matches_naive(x, w, b, stride, padding):
    """conv2d and the loop version conv2d_naive agree: output, and dx, dW, db for a random
    output gradient."""
    xs, ws, bs = T(x), T(w), T(b)
    xn, wn, bn = T(x), T(w), T(b)
    y = F.conv2d(xs, ws, bs, stride, padding)
    yn = F.conv2d_naive(xn, wn, bn, stride, padding)
    np.testing.assert_allclose(y.data, yn.data, rtol=1e-12, atol=1e-12)
    g = r(*y.shape)
    (y * nnkit.Tensor(g)).sum().backward()
    (yn * nnkit.Tensor(g)).sum().backward()
    for a, b_ in ((xs, xn), (ws, wn), (bs, bn)):
        np.testing.assert_allclose(a.grad, b_.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2), ((1, 2), (1, 0))])
def test_conv2d_naive_equals_fast(stride, padding):
    x, w, b = r(2, 3, 7, 6), r(4, 3, 3, 3), r(4)
    _assert_conv2d_matches_naive(x, w, b, stride, padding)


@pytest.mark.parametrize("kernel,padding,n", [((3, 3), 1, 3), ((3, 3), 0, 1), ((2, 3), (2, 1), 2),
                                             ((1, 1), 0, 2), ((5, 4), (2, 0), 2), ((3, 3), 2, 1),
                                             ((1, 1), 1, 2), ((2, 2), (3, 1), 2), ((3, 2), (0, 2), 1)])
def test_conv2d_stride1_strip_path_equals_naive(kernel, padding, n):
    """Stride 1 goes through _conv2d_strip (flat strip of images with shared zero padding):
    values, dx, dW, db; including padding wider than kernel - 1 (frame widened to the output)."""
    x, w, b = r(n, 3, 6, 7), r(4, 3, *kernel), r(4)
    _assert_conv2d_matches_naive(x, w, b, 1, padding)
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, 1, padding),
                     T(r(n, 2, 5, 4)), T(r(3, 2, *kernel)), T(r(3)))


def test_conv2d_stride1_no_input_grad_and_float32():
    """The first layer's input needs no gradient: only dW and db are computed; float32 stays
    float32 and matches the float64 result."""
    x = rng.standard_normal((4, 1, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    xt = nnkit.Tensor(x)
    wt = nnkit.Tensor(w, requires_grad=True)
    y = F.conv2d(xt, wt, padding=1)
    assert y.dtype == np.float32 and y.shape == (4, 5, 9, 9)
    g = r(*y.shape)
    (y * nnkit.Tensor(g.astype(np.float32))).sum().backward()
    assert xt.grad is None and wt.grad.dtype == np.float32
    w64 = T(w.astype(np.float64))
    y64 = F.conv2d_naive(nnkit.Tensor(x.astype(np.float64)), w64, padding=1)
    (y64 * nnkit.Tensor(g)).sum().backward()
    np.testing.assert_allclose(y.data, y64.data, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(wt.grad, w64.grad, rtol=1e-4, atol=1e-3)


def test_conv2d_stride1_grad_of_some_inputs_only():
    """Only the bias (or only the weight) requires grad: the others get none, values as naive."""
    x, w, b = r(2, 3, 5, 5), r(4, 3, 3, 3), r(4)
    for needs in ((False, False, True), (False, True, False), (True, False, False)):
        ts = [nnkit.Tensor(a, requires_grad=q) for a, q in zip((x, w, b), needs)]
        tn = [nnkit.Tensor(a, requires_grad=q) for a, q in zip((x, w, b), needs)]
        y, yn = F.conv2d(*ts, padding=1), F.conv2d_naive(*tn, padding=1)
        g = nnkit.Tensor(r(*y.shape))
        (y * g).sum().backward()
        (yn * g).sum().backward()
        for a, a_n, q in zip(ts, tn, needs):
            assert (a.grad is not None) == q
            if q:
                np.testing.assert_allclose(a.grad, a_n.grad, rtol=1e-10, atol=1e-12)


def test_conv2d_output_shape_and_float32():
    x = nnkit.Tensor(rng.standard_normal((2, 3, 28, 28)).astype(np.float32))
    w = nnkit.Tensor(rng.standard_normal((8, 3, 5, 5)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=2)
    assert y.shape == (2, 8, 14, 14) and y.dtype == np.float32
    y.sum().backward()
    assert w.grad.dtype == np.float32


def test_conv2d_errors():
    with pytest.raises(ValueError, match=r"expected input with 3 channels \(weight shape \(8, 3, 3, 3\)\), "
                                         r"got input of shape \(2, 1, 28, 28\)"):
        F.conv2d(T(np.zeros((2, 1, 28, 28))), T(np.zeros((8, 3, 3, 3))))
    with pytest.raises(ValueError, match="kernel size .* larger than the padded input"):
        F.conv2d(T(np.zeros((1, 1, 2, 2))), T(np.zeros((1, 1, 3, 3))))
    with pytest.raises(ValueError, match="4-D input"):             # (C, H, W) is an unbatched input now
        F.conv2d(T(np.zeros((4, 4))), T(np.zeros((1, 1, 3, 3))))


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), (2, 1, 0), ((3, 2), (2, 1), (1, 1))])
def test_pool_gradcheck(k, s, p):
    x = rng.permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) / 7.0      # distinct values: no ties
    assert gradcheck(lambda a: F.max_pool2d(a, k, s, p), T(x))
    assert gradcheck(lambda a: F.avg_pool2d(a, k, s, p), T(x))


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), (2, 1, 0), (3, 3, 1)])
def test_max_pool_naive_equals_fast(k, s, p):
    x = r(2, 3, 7, 8)
    a, b = T(x), T(x)
    y, yn = F.max_pool2d(a, k, s, p), F.max_pool2d_naive(b, k, s, p)
    np.testing.assert_array_equal(y.data, yn.data)
    g = r(*y.shape)
    (y * nnkit.Tensor(g)).sum().backward()
    (yn * nnkit.Tensor(g)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad)


def test_max_pool_ties_go_to_first_and_3d_input():
    x = T(np.ones((1, 2, 2)))
    y = F.max_pool2d(x, 2)
    y.sum().backward()
    assert y.shape == (1, 1, 1)
    np.testing.assert_array_equal(x.grad, [[[1, 0], [0, 0]]])


@pytest.mark.parametrize("shape", [(3, 4, 6, 8), (5, 4, 2), (2, 3, 7, 8)])
def test_max_pool_2x2_ties_equal_naive(shape):
    """2x2 / stride 2 (the _max_pool_2x2 fast path for even sizes): with many ties (values in
    {0, 1, 2}, as after a ReLU) the gradient goes to the first maximum in row-major window
    order, exactly as the naive loop and PyTorch; float32 routes the same way."""
    x = rng.integers(0, 3, shape).astype(np.float64)
    a, b = T(x), T(x)
    y, yn = F.max_pool2d(a, 2), F.max_pool2d_naive(b, 2)
    np.testing.assert_array_equal(y.data, yn.data)
    g = r(*y.shape)
    (y * nnkit.Tensor(g)).sum().backward()
    (yn * nnkit.Tensor(g)).sum().backward()
    np.testing.assert_array_equal(a.grad, b.grad)
    x32 = nnkit.Tensor(x.astype(np.float32), requires_grad=True)
    y32 = F.max_pool2d(x32, 2)
    (y32 * nnkit.Tensor(g.astype(np.float32))).sum().backward()
    assert y32.dtype == np.float32 and x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad, a.grad.astype(np.float32))


def test_pool_errors():
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.max_pool2d(T(np.zeros((1, 1, 2, 2))), 3)
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(T(np.zeros((1, 1, 6, 6))), 2, padding=2)


def test_dropout():
    nnkit.manual_seed(0)
    x = T(np.ones((200, 100)))
    y = F.dropout(x, 0.3, True)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)
    assert F.dropout(x, 0.3, training=False) is x
    for p in (1.5, 1.0, -0.1):
        with pytest.raises(ValueError, match=f"p must be in \\[0, 1\\), got {p}"):
            F.dropout(x, p)


def test_batch_norm_gradcheck_and_running_stats():
    x, w, b = T(r(6, 3, 2)), T(r(3)), T(r(3))
    rm, rv = np.zeros(3), np.ones(3)
    assert gradcheck(lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True), x, w, b)
    assert gradcheck(lambda a, c, d: F.batch_norm(a, rm + 0.1, rv + 0.5, c, d, training=False), x, w, b)
    F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
    xd = x.data
    mean, var_u = xd.mean(axis=(0, 2)), xd.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(rm, 0.1 * mean)
    np.testing.assert_allclose(rv, 0.9 + 0.1 * var_u)
    with pytest.raises(ValueError, match="expected input with 4 channels"):
        F.batch_norm(T(r(5, 4)), None, None, T(r(3)), None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(T(r(1, 3)), None, None, training=True)


def test_layer_norm_gradcheck():
    assert gradcheck(lambda a, c, d: F.layer_norm(a, (3, 4), c, d), T(r(2, 3, 4)), T(r(3, 4)), T(r(3, 4)))
    assert gradcheck(lambda a: F.layer_norm(a, 4), T(r(5, 4)))
    with pytest.raises(ValueError, match="trailing shape"):
        F.layer_norm(T(r(2, 5)), 4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_gradchecks(reduction):
    x, y = T(r(4, 3)), T(r(4, 3))
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    d = r(4, 3)
    assert gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), T(d + 0.5 * np.sign(d)), y)
    tgt = rng.integers(0, 2, (4, 3)).astype(np.float64)
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, tgt, reduction=reduction), x)
    p = rng.uniform(0.1, 0.9, (4, 3))
    assert gradcheck(lambda a: F.binary_cross_entropy(a, tgt, reduction=reduction), T(p))
    t = np.array([0, 2, 1, 2])
    assert gradcheck(lambda a: F.cross_entropy(a, t, reduction=reduction), x)
    assert gradcheck(lambda a: F.cross_entropy(a, t, reduction=reduction, label_smoothing=0.1,
                                               weight=nnkit.Tensor([1.0, 2.0, 0.5])), x)
    assert gradcheck(lambda a: F.nll_loss(a, t, reduction=reduction, ignore_index=1), x)
    t2 = rng.integers(0, 3, (2, 4))
    assert gradcheck(lambda a: F.cross_entropy(a, t2, reduction=reduction), T(r(2, 3, 4)))


def test_loss_shapes():
    x = T(r(4, 3))
    assert F.cross_entropy(x, [0, 1, 2, 0]).shape == ()
    assert F.cross_entropy(x, [0, 1, 2, 0], reduction="none").shape == (4,)
    assert F.mse_loss(x, x.data, reduction="none").shape == (4, 3)


def test_loss_errors():
    x = T(r(4, 10))
    with pytest.raises(ValueError, match="cross_entropy: target 12 out of range for 10 classes"):
        F.cross_entropy(x, [1, 12, 0, 0])
    with pytest.raises(ValueError, match="out of range"):
        F.nll_loss(x, [1, -3, 0, 0])
    with pytest.raises(ValueError, match="expected target of shape"):
        F.cross_entropy(x, [1, 2])
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(x, np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match="target of the input's shape"):
        F.mse_loss(T(r(4, 1)), T(r(4)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(T([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")


def test_stable_losses_no_warnings():
    big = T([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 3.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
        ce = F.cross_entropy(big, [1, 1])
        ce.backward()
        bce = F.binary_cross_entropy_with_logits(T([1e4, -1e4, 0.0]), [0.0, 1.0, 1.0])
        bce.backward()
        b2 = F.binary_cross_entropy(T([0.0, 1.0]), [1.0, 0.0])
    assert np.isfinite(ce.data) and np.isfinite(bce.data)
    np.testing.assert_allclose(ce.data, 1000.0)
    np.testing.assert_allclose(b2.data, 100.0)
    np.testing.assert_allclose(F.log_softmax(big, dim=1).data[0], [0, -2000, -1000])


def test_step_and_one_hot():
    np.testing.assert_array_equal(F.step(T([-1.0, 0.0, 2.0])).data, [0, 1, 1])
    np.testing.assert_array_equal(F.one_hot(np.array([0, 2]), 3).data, [[1, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize("k,s,p,cip", [(2, None, 0, True), (3, 2, 1, True), (3, 2, 1, False),
                                       ((3, 2), (1, 2), (1, 1), False), (2, 1, 0, True)])
def test_avg_pool_naive_equals_fast(k, s, p, cip):
    """avg_pool2d (a sum over kernel offsets) and the loop version agree: value and gradient."""
    x = r(2, 3, 7, 6)
    a, b = T(x), T(x)
    y, yn = F.avg_pool2d(a, k, s, p, cip), F.avg_pool2d_naive(b, k, s, p, cip)
    np.testing.assert_allclose(y.data, yn.data, rtol=1e-12, atol=1e-14)
    g = r(*y.shape)
    (y * nnkit.Tensor(g)).sum().backward()
    (yn * nnkit.Tensor(g)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda t: F.avg_pool2d_naive(t, k, s, p, cip), T(r(1, 2, 5, 4)))


def test_functional_is_an_index_of_the_layer_files():
    """F's docstring lists every op once, with the file it lives in (never functional.py) and a
    chapter label; each op really is defined there."""
    import re
    rows = re.findall(r"^([\w, ]+?)\s{2,}nnkit/nn/(\w+)\.py\s+(ch-[\w-]+)$", F.__doc__, re.M)
    listed = {n: mod for names, mod, _ in rows for n in re.findall(r"\w+", names)}
    assert sorted(listed) == sorted(F.__all__)
    for name in F.__all__:
        assert getattr(F, name).__module__ == f"nnkit.nn.{listed[name]}", name
