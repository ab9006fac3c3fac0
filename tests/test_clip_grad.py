"""nnkit.nn.utils.clip_grad_norm_: values by hand, errors, and parity with PyTorch where installed."""
import math

import numpy as np
import pytest

import nnkit
from nnkit import nn
from nnkit.nn.utils import clip_grad_norm_


def params_with_grads(*grads, dtype=np.float64):
    """Leaf tensors whose .grad is set to the given arrays (copied)."""
    out = []
    for g in grads:
        g = np.asarray(g, dtype=dtype)
        p = nnkit.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = g.copy()
        out.append(p)
    return out


def test_total_2_norm_and_scaling_by_hand():
    # gradients (3, 4) and (12,): total 2-norm sqrt(9 + 16 + 144) = 13
    p, q = params_with_grads([3.0, 4.0], [12.0])
    total = clip_grad_norm_([p, q], max_norm=6.5)
    assert isinstance(total, nnkit.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(13.0, rel=1e-15)
    coef = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(p.grad, [3.0 * coef, 4.0 * coef], rtol=1e-15)
    np.testing.assert_allclose(q.grad, [12.0 * coef], rtol=1e-15)
    new_norm = math.sqrt(float(np.sum(p.grad ** 2) + np.sum(q.grad ** 2)))
    assert new_norm == pytest.approx(6.5, rel=1e-6) and new_norm < 6.5


def test_inside_the_ball_is_unchanged():
    p, q = params_with_grads([[0.3, -0.4]], [0.0, 1.2])
    before = [p.grad.copy(), q.grad.copy()]
    total = clip_grad_norm_((x for x in [p, q]), max_norm=10)      # a generator, as model.parameters()
    assert total.item() == pytest.approx(1.3, rel=1e-15)
    assert np.array_equal(p.grad, before[0]) and np.array_equal(q.grad, before[1])


def test_other_norm_types_by_hand():
    g1, g2 = np.array([1.0, -5.0, 2.0]), np.array([[-3.0, 0.0]])
    for norm_type, expected in [(1, 11.0), (float("inf"), 5.0), (3.0, (1 + 125 + 8 + 27) ** (1 / 3)),
                                (0, 2.0)]:   # 0: as PyTorch, the count of non-zero per-parameter norms
        p, q = params_with_grads(g1, g2)
        total = clip_grad_norm_([p, q], max_norm=1.0, norm_type=norm_type)
        assert total.item() == pytest.approx(expected, rel=1e-13), norm_type
        coef = min(1.0, 1.0 / (expected + 1e-6))
        np.testing.assert_allclose(p.grad, g1 * coef, rtol=1e-13)
        np.testing.assert_allclose(q.grad, g2 * coef, rtol=1e-13)


def test_skips_missing_grads_and_single_tensor():
    p, q = params_with_grads([6.0, 8.0], [1.0])
    q.grad = None
    total = clip_grad_norm_(p, 5.0)                       # one Tensor, not a list
    assert total.item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad, np.array([6.0, 8.0]) * (5.0 / (10.0 + 1e-6)))
    assert clip_grad_norm_([q], 1.0).item() == 0.0        # no gradient at all: norm 0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_keeps_dtype_and_works_on_a_model():
    nnkit.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    x = nnkit.tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))
    (100.0 * model(x) ** 2).sum().backward()
    grads = [p.grad.copy() for p in model.parameters()]
    expected = np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total.dtype == np.float32 and total.item() == pytest.approx(expected, rel=1e-5)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    after = np.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-5)
    for g, p in zip(grads, model.parameters()):            # same direction
        np.testing.assert_allclose(p.grad, g * np.float32(1.0 / (total.item() + 1e-6)), rtol=1e-5)


def test_huge_gradients_do_not_overflow():
    p, = params_with_grads([3e30, 4e30], dtype=np.float32)   # squares overflow float32
    total = clip_grad_norm_([p], 1.0)
    assert np.isfinite(total.item()) and total.item() == pytest.approx(5e30, rel=1e-6)
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-5)


def test_nonfinite_norm():
    p, = params_with_grads([1.0, np.inf])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert p.grad[0] == 1.0                                   # raised before any change
    q, = params_with_grads([1.0, np.nan])
    total = clip_grad_norm_([q], 1.0)                         # default: scaled anyway, as PyTorch
    assert math.isnan(total.item()) and np.all(np.isnan(q.grad))


@pytest.mark.parametrize("kwargs, err", [
    ({"max_norm": -1.0}, ValueError), ({"max_norm": float("nan")}, ValueError),
    ({"max_norm": "1"}, TypeError), ({"max_norm": None}, TypeError),
    ({"max_norm": 1.0, "norm_type": "fro"}, TypeError), ({"max_norm": 1.0, "norm_type": float("nan")}, ValueError),
    ({"max_norm": 1.0, "foreach": "yes"}, TypeError),
])
def test_bad_arguments_raise_before_any_change(kwargs, err):
    p, = params_with_grads([30.0, 40.0])
    with pytest.raises(err, match="clip_grad_norm_"):
        clip_grad_norm_([p], **kwargs)
    assert np.array_equal(p.grad, [30.0, 40.0])


def test_bad_parameters_raise():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        clip_grad_norm_(3.0, 1.0)
    p, = params_with_grads([1.0])
    with pytest.raises(TypeError, match=r"parameters\[1\] must be a Tensor"):
        clip_grad_norm_([p, np.ones(2)], 1.0)


def test_foreach_changes_nothing():
    results = []
    for foreach in (None, True, False):
        p, = params_with_grads([3.0, -4.0])
        results.append((clip_grad_norm_([p], 2.0, foreach=foreach).item(), p.grad.copy()))
    assert all(r[0] == results[0][0] and np.array_equal(r[1], results[0][1]) for r in results)


def test_nn_utils_is_reachable_from_nnkit_nn():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_parity_with_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ours = params_with_grads(*arrays)
    theirs = []
    for a in arrays:
        t = torch.zeros(a.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(a.copy())
        theirs.append(t)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(total_t.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
