"""Values and gradients agree with PyTorch (optional: skipped when torch is not installed)."""
import numpy as np
import pytest

import nnkit

torch = pytest.importorskip("torch")

CASES = {
    "add_bcast": (lambda m, a, b: a + b, [(2, 3), (3,)]),
    "sub_bcast": (lambda m, a, b: a - b, [(2, 1), (1, 3)]),
    "mul_bcast": (lambda m, a, b: a * b, [(4, 1, 3), (2, 1)]),
    "div": (lambda m, a, b: a / (b * b + 1), [(2, 3), (2, 3)]),
    "pow": (lambda m, a, b: (a * a + 0.5) ** b, [(3,), (3,)]),
    "rops": (lambda m, a: 2.0 / (a * a + 1) - 3.0 * a + 1.5 ** a, [(5,)]),
    "matmul": (lambda m, a, b: a @ b, [(5, 2, 3), (3, 4)]),
    "matvec": (lambda m, a, b: a @ b, [(2, 3), (3,)]),
    "unary": (lambda m, a: m.exp(a).log() + m.sqrt(a * a + 1) + m.abs(a) + m.tanh(a) + m.sigmoid(a)
              + m.relu(a) + m.clamp(a, -0.5, 0.5), [(3, 4)]),
    "sum_mean": (lambda m, a: a.sum(dim=(0, -1), keepdim=True) * a.mean(dim=1, keepdim=True), [(2, 3, 4)]),
    "max_dim": (lambda m, a: a.max(dim=-1, keepdim=True)[0], [(3, 5)]),
    "max_all": (lambda m, a: a.max() * a, [(3, 5)]),
    "softmax": (lambda m, a: a.softmax(dim=1) * a.log_softmax(dim=0), [(3, 4)]),
    "shape": (lambda m, a: a.reshape(4, 6).T.permute(1, 0).transpose(0, 1).flatten()[::3], [(2, 3, 4)]),
    "index": (lambda m, a: a[1:, ::2] * 2 + a[[0, 0, 1]][:, :2].sum(), [(2, 3)]),
    "cat_stack_where": (lambda m, a, b: m.stack([m.cat([a, b], dim=0), m.where(a > 0, b, a * 2).repeat(2, 1)
                                                 if m is torch else m.cat([m.where(a > 0, b, a * 2)] * 2, dim=0)],
                                                dim=-1), [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parity(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    xs = [nnkit.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(nnkit, *xs), fn(torch, *ts)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = rng.standard_normal(out.shape)
    out.backward(gradient=v)
    ref.backward(gradient=torch.tensor(v))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_float32_default_dtype_matches_torch():
    assert nnkit.tensor([1.0]).dtype == np.dtype(str(torch.tensor([1.0]).dtype).replace("torch.", ""))
    assert (nnkit.tensor([1.0]) * 0.1).dtype == np.float32 == np.dtype(str((torch.tensor([1.0]) * 0.1).dtype)[6:])
