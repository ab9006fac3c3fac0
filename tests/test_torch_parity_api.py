"""The PyTorch habits of issue 17 against PyTorch itself (skipped when torch is not installed):
dim errors, max/min(dim), type promotion and dtype errors, resumed optimizers and schedulers,
tied weights, the fixed crashes, and the everyday Tensor API, values and float64 gradients."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import nnkit  # noqa: E402
from nnkit import nn, optim  # noqa: E402
from nnkit.nn import functional as F  # noqa: E402

rng = np.random.default_rng(0)


def both(a, requires_grad=False):
    a = np.asarray(a)
    return (nnkit.tensor(a.copy(), requires_grad=requires_grad),
            torch.tensor(a.copy(), requires_grad=requires_grad))


def t2n(t):
    return t.detach().numpy()


# ------------------------------------------------------------------------------------------ dims
DIMS = {   # (nnkit or torch module, x, dim) -> result; one lambda serves both libraries
    "sum": lambda m, x, d: x.sum(dim=d), "mean": lambda m, x, d: x.mean(d), "max": lambda m, x, d: x.max(d),
    "min": lambda m, x, d: x.min(dim=d), "argmax": lambda m, x, d: x.argmax(d),
    "squeeze": lambda m, x, d: x.squeeze(d), "unsqueeze": lambda m, x, d: x.unsqueeze(d + 1 if d > 0 else d - 1),
    "flatten": lambda m, x, d: x.flatten(d), "transpose": lambda m, x, d: x.transpose(0, d),
    "softmax": lambda m, x, d: x.softmax(d), "log_softmax": lambda m, x, d: x.log_softmax(d),
    "var": lambda m, x, d: x.var(d), "std": lambda m, x, d: x.std(d), "prod": lambda m, x, d: x.prod(d),
    "cumsum": lambda m, x, d: x.cumsum(d), "norm": lambda m, x, d: x.norm(dim=d), "amax": lambda m, x, d: x.amax(d),
    "all": lambda m, x, d: x.all(d), "flip": lambda m, x, d: x.flip(d), "unbind": lambda m, x, d: x.unbind(d),
    "chunk": lambda m, x, d: x.chunk(2, d), "size": lambda m, x, d: x.size(d),
    "cat": lambda m, x, d: m.cat([x, x], d), "stack": lambda m, x, d: m.stack([x, x], d + 1 if d > 0 else d - 1),
    "Flatten": lambda m, x, d: m.nn.Flatten(d)(x),
}


@pytest.mark.parametrize("name", sorted(DIMS))
def test_out_of_range_dims_raise_in_both(name):
    xn, xt = both(rng.standard_normal((2, 3)))
    for d in (2, -3):
        with pytest.raises(IndexError):
            DIMS[name](torch, xt, d)
        with pytest.raises(IndexError, match="Dimension out of range"):
            DIMS[name](nnkit, xn, d)
    a, b = DIMS[name](nnkit, xn, -1), DIMS[name](torch, xt, -1)
    a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u.data if hasattr(u, "data") else u), np.asarray(
            t2n(v) if isinstance(v, torch.Tensor) else v), rtol=1e-6)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_pairs_match(op, keepdim):
    x = np.round(rng.standard_normal((4, 5)), 1)          # ties included
    xn, xt = both(x, requires_grad=True)
    a, b = getattr(xn, op)(1, keepdim), getattr(xt, op)(1, keepdim)
    np.testing.assert_array_equal(a.values.data, t2n(b.values))
    np.testing.assert_array_equal(a.indices.data, t2n(b.indices))
    (va, ia), (vb, ib) = a, b                              # both unpack
    np.testing.assert_array_equal(ia.data, t2n(ib))
    g = rng.standard_normal(va.shape)
    (va * nnkit.tensor(g)).sum().backward()
    (vb * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(xn.grad, t2n(xt.grad))


# ------------------------------------------------------------------------------- type promotion
PROMOTION = [
    "m.tensor([1, 2]) * 0.5", "0.5 * m.tensor([1, 2])", "m.tensor([1, 2]) / m.tensor([2, 3])",
    "m.tensor([1, 2]) / 2", "m.tensor([1.0, 2.0]) * m.tensor([1, 2])",
    "m.tensor([1.0]) + m.tensor(np.float64(2))", "m.tensor(np.array([1], np.int32)) + 3",
    "m.tensor(np.array([1], np.int32)) + m.tensor(np.float64(2))", "m.tensor([1.0]) + m.tensor(np.ones(1))",
    "m.tensor([True]) * 2.5", "m.tensor([True]) + m.tensor([True])", "m.tensor([4]) ** 0.5",
    "m.tensor(3) + 2.5", "m.tensor(np.int32(3)) + 3", "m.tensor([1.0]) * np.float64(2)",
    "m.tensor(np.array([1], np.int32)) * True", "m.tensor(np.array([1.0], np.float16)) + m.tensor(np.float64(1))",
    "m.tensor(np.array([1], np.int32)) + m.tensor(np.array([1], np.int64))",
    "m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5)", "m.cat([m.ones(1), m.tensor(np.ones(1))])",
    "m.stack([m.tensor([1]), m.tensor([1.0])])", "m.tensor([1, 2, 3]).clamp(min=1.5)",
    "m.tensor([1, 2]).exp()", "m.tensor([1, 2]).sigmoid()", "m.tensor([1, 2]).log1p()", "m.tensor([1, -2]).abs()",
    "m.tensor(np.array([1], np.int32)).sum()", "m.tensor([True, True]).sum()", "m.full((2,), 7)",
    "m.full((2,), 7.0)", "m.full((2,), True)", "m.tensor(np.array([1], np.int32)).cumsum(0)",
    "m.tensor(np.array([1, 2], np.int32)).prod()", "m.tensor([1, 2]).square()", "m.arange(3) * 1.5",
]


@pytest.mark.parametrize("expr", PROMOTION)
def test_result_dtypes_match_torch(expr):
    got = eval(expr, {"m": nnkit, "np": np}).dtype
    want = str(eval(expr, {"m": torch, "np": np}).dtype).replace("torch.", "")
    assert got == np.dtype(want), (expr, got, want)


@pytest.mark.parametrize("expr", ["m.tensor([1, 2]).mean()", "m.tensor([1, 2]).var()",
                                  "m.tensor([1, 2]).norm()", "m.ones(2, 3) @ m.tensor(np.ones((3, 2)))",
                                  "(lambda t: t.add_(0.5))(m.tensor([1, 2]))"])
def test_dtype_errors_match_torch(expr):
    with pytest.raises(RuntimeError):
        eval(expr, {"m": torch, "np": np})
    with pytest.raises(RuntimeError):
        eval(expr, {"m": nnkit, "np": np})


@pytest.mark.parametrize("name,args,shape", [("Linear", (3, 2), (4, 3)), ("Conv2d", (1, 2, 3), (1, 1, 5, 5)),
                                            ("BatchNorm1d", (3,), (4, 3)), ("LayerNorm", (3,), (4, 3)),
                                            ("PReLU", (), (4, 3)), ("RNNCell", (3, 2), (4, 3)),
                                            ("RNN", (3, 2), (5, 4, 3)), ("LSTM", (3, 2), (5, 4, 3))])
def test_float64_into_float32_layer_fails_in_both(name, args, shape):
    x = rng.standard_normal(shape)
    with pytest.raises((RuntimeError, ValueError)) as et:
        getattr(torch.nn, name)(*args)(torch.tensor(x))
    with pytest.raises(et.type):
        getattr(nn, name)(*args)(nnkit.tensor(x))


def test_losses_promote_like_torch():
    x32 = rng.standard_normal(4).astype(np.float32)
    y64 = rng.standard_normal(4)
    for fn, tfn in ((F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss),
                    (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits)):
        a, b = fn(nnkit.tensor(x32), y64), tfn(torch.tensor(x32), torch.tensor(y64))
        assert a.dtype == np.dtype(str(b.dtype)[6:])
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy(torch.tensor(x32).sigmoid(), torch.rand(4, dtype=torch.float64))
    with pytest.raises(RuntimeError):
        F.binary_cross_entropy(nnkit.tensor(x32).sigmoid(), rng.uniform(size=4))


# ------------------------------------------------------------------- in-place, resumable state
def test_manual_sgd_idiom_matches_torch():
    w0 = rng.standard_normal(3)
    wn, wt = both(w0, requires_grad=True)
    for w, m in ((wn, nnkit), (wt, torch)):
        for _ in range(3):
            loss = (w * w * m.tensor(np.array([1.0, 2.0, 3.0]))).sum()
            loss.backward()
            with m.no_grad():
                w -= 0.1 * (w.grad if m is nnkit else w.grad)
            w.grad = None
    np.testing.assert_allclose(wn.data, t2n(wt), rtol=1e-12)


OPTIMS = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
          ("Adagrad", dict(lr=0.1, lr_decay=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
          ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01))]
SCHEDS = [("StepLR", dict(step_size=2, gamma=0.5)), ("MultiStepLR", dict(milestones=[1, 3, 3], gamma=0.5)),
          ("ExponentialLR", dict(gamma=0.8)), ("CosineAnnealingLR", dict(T_max=3, eta_min=0.001)),
          ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e)))]


@pytest.mark.parametrize("oname,okw", OPTIMS, ids=[o[0] for o in OPTIMS])
@pytest.mark.parametrize("sname,skw", SCHEDS, ids=[s[0] for s in SCHEDS])
def test_resumed_nnkit_run_follows_torchs_uninterrupted_run(oname, okw, sname, skw):
    p0 = rng.standard_normal((2, 3))
    grads = [rng.standard_normal((2, 3)) for _ in range(8)]
    pt = torch.tensor(p0.copy(), requires_grad=True)
    ot = getattr(torch.optim, oname)([pt], **okw)
    st = getattr(torch.optim.lr_scheduler, sname)(ot, **skw)
    ref = []
    for g in grads:
        pt.grad = torch.tensor(g)
        ot.step()
        st.step()
        ref.append((t2n(pt).copy(), st.get_last_lr()[0]))

    def run(p, o, s, gs):
        out = []
        for g in gs:
            p.grad = g.copy()
            o.step()
            s.step()
            out.append((p.data.copy(), s.get_last_lr()[0]))
        return out
    p = nn.Parameter(p0.copy())
    o = getattr(optim, oname)([p], **okw)
    s = getattr(optim.lr_scheduler, sname)(o, **skw)
    got = run(p, o, s, grads[:3])
    saved = (p.data.copy(), o.state_dict(), s.state_dict())
    p2 = nn.Parameter(saved[0])
    o2 = getattr(optim, oname)([p2], **okw)
    o2.load_state_dict(saved[1])
    s2 = getattr(optim.lr_scheduler, sname)(o2, **skw)     # built after the optimizer was loaded
    s2.load_state_dict(saved[2])
    got += run(p2, o2, s2, grads[3:])
    for (a, la), (b, lb) in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        assert la == pytest.approx(lb, rel=1e-12)


def test_tied_weights_state_dict_keys_match_torch():
    lin, lint = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    assert list(nn.Sequential(lin, nn.Tanh(), lin).state_dict()) == \
        list(torch.nn.Sequential(lint, torch.nn.Tanh(), lint).state_dict())
    m, mt = nn.Sequential(lin, lin), torch.nn.Sequential(lint, lint)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in mt.named_parameters(remove_duplicate=False)]


def test_load_state_dict_return_matches_torch():
    a = nn.Linear(2, 3).load_state_dict({"weight": np.zeros((3, 2)), "extra": np.zeros(1)}, strict=False)
    b = torch.nn.Linear(2, 3).load_state_dict({"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}, strict=False)
    assert (a.missing_keys, a.unexpected_keys) == (b.missing_keys, b.unexpected_keys)


@pytest.mark.parametrize("oname,okw", OPTIMS, ids=[o[0] for o in OPTIMS])
def test_add_param_group_matches_torch(oname, okw):
    a0, b0 = rng.standard_normal(2), rng.standard_normal(3)
    ga, gb = rng.standard_normal(2), rng.standard_normal(3)
    a, b = nn.Parameter(a0.copy()), nn.Parameter(b0.copy())
    at, bt = torch.tensor(a0.copy(), requires_grad=True), torch.tensor(b0.copy(), requires_grad=True)
    o, ot = getattr(optim, oname)([a], **okw), getattr(torch.optim, oname)([at], **okw)
    o.add_param_group({"params": [b], "lr": 0.05})
    ot.add_param_group({"params": [bt], "lr": 0.05})
    for _ in range(3):
        a.grad, b.grad, at.grad, bt.grad = ga.copy(), gb.copy(), torch.tensor(ga), torch.tensor(gb)
        o.step()
        ot.step()
    np.testing.assert_allclose(b.data, t2n(bt), rtol=1e-10)
    np.testing.assert_allclose(a.data, t2n(at), rtol=1e-10)


# ------------------------------------------------------------------------------- fixed crashes
def test_clamp_with_tensor_bounds_matches_torch():
    x, lo, hi = rng.standard_normal(6), rng.standard_normal(6) - 0.5, rng.standard_normal(6) + 0.5
    hi[0] = lo[0] - 1                                        # one place with min > max
    xn, xt = both(x, True)
    ln, lt = both(lo, True)
    hn, ht = both(hi, True)
    yn, yt = xn.clamp(ln, hn), torch.clamp(xt, lt, ht)
    np.testing.assert_array_equal(yn.data, t2n(yt))
    g = rng.standard_normal(6)
    (yn * nnkit.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    for a, b in ((xn, xt), (ln, lt), (hn, ht)):
        np.testing.assert_array_equal(a.grad, t2n(b.grad))


def test_dataloader_of_bare_arrays_matches_torch():
    data = rng.standard_normal((5, 2)).astype(np.float32)

    class Rows:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return data[i]
    for a, b in zip(nnkit.data.DataLoader(Rows(), batch_size=2), torch.utils.data.DataLoader(Rows(), batch_size=2)):
        np.testing.assert_array_equal(a.data, b.numpy())


def test_stack_of_unequal_shapes_fails_in_both():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size"):
        torch.stack([torch.ones(2, 3), torch.ones(3)])
    with pytest.raises(ValueError, match=r"stack expects each tensor to be equal size, but got \(2, 3\)"):
        nnkit.stack([nnkit.ones(2, 3), nnkit.ones(3)])


def test_wrong_grad_shape_is_refused_by_both():
    with pytest.raises(RuntimeError):
        torch.zeros(3, requires_grad=True).grad = torch.ones(4)
    p = nn.Parameter(np.zeros(3))
    p.grad = np.ones(4)
    with pytest.raises(ValueError):
        optim.SGD([p], lr=1.0).step()
    assert p.data.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------------------- everyday API
OPS = {   # (module, x, mask, index) -> tensor; x is (3, 4) float64
    "var": lambda m, x, k, i: x.var(1), "var_biased": lambda m, x, k, i: x.var(unbiased=False),
    "var_correction": lambda m, x, k, i: x.var(0, correction=0, keepdim=True), "std": lambda m, x, k, i: x.std(),
    "std_dim": lambda m, x, k, i: x.std(0, keepdim=True), "clone": lambda m, x, k, i: x.clone() * x,
    "t": lambda m, x, k, i: x.t(), "expand": lambda m, x, k, i: x[:, :1].expand(3, 4) * x,
    "expand_new": lambda m, x, k, i: x[0].expand(2, -1), "repeat": lambda m, x, k, i: x.repeat(2, 1, 2),
    "masked_fill": lambda m, x, k, i: x.masked_fill(k, -1.5), "gather": lambda m, x, k, i: x.gather(1, i),
    "log1p": lambda m, x, k, i: (x * x).log1p(), "square": lambda m, x, k, i: x.square(),
    "flip": lambda m, x, k, i: x.flip((0, 1)) * x, "flip1": lambda m, x, k, i: x.flip(1),
    "cumsum": lambda m, x, k, i: x.cumsum(0), "cumsum1": lambda m, x, k, i: m.cumsum(x, dim=-1),
    "prod": lambda m, x, k, i: x.prod(1), "prod_all": lambda m, x, k, i: x.prod(),
    "prod_keep": lambda m, x, k, i: x.prod(0, keepdim=True),
    "norm": lambda m, x, k, i: x.norm(), "norm_dim": lambda m, x, k, i: x.norm(dim=1, keepdim=True),
    "norm_p1": lambda m, x, k, i: x.norm(p=1), "norm_p3": lambda m, x, k, i: x.norm(3),
    "norm_inf": lambda m, x, k, i: x.norm(float("inf"), dim=0), "amax": lambda m, x, k, i: x.amax((0, 1)),
    "amin": lambda m, x, k, i: x.amin(1), "unbind": lambda m, x, k, i: x.unbind(1)[2] * x.unbind(0)[1][:3],
    "chunk": lambda m, x, k, i: x.chunk(2, 1)[1], "chunk3": lambda m, x, k, i: x.chunk(3, 1)[-1],
    "add_alpha": lambda m, x, k, i: x.add(x * x, alpha=0.5), "sub_alpha": lambda m, x, k, i: x.sub(x.exp(), alpha=2),
    "mul": lambda m, x, k, i: x.mul(x), "pow": lambda m, x, k, i: x.pow(3),
    "matmul": lambda m, x, k, i: x.matmul(x.t()),
    "div": lambda m, x, k, i: x.div(x * x + 1), "clamp_tensor": lambda m, x, k, i: x.clamp(max=x.t()[0][:, None]),
    "all_any": lambda m, x, k, i: x * (x > 0).all(1, keepdim=True) + x * (x > 1).any(),
    "where": lambda m, x, k, i: m.where(k, x, x * x), "to_cpu": lambda m, x, k, i: x.to("cpu") * x.cpu(),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_everyday_api_values_and_gradients_match_torch(name):
    x = np.random.default_rng(3).permutation(12).reshape(3, 4) / 4.0 - 1.3
    mask = np.eye(3, 4, dtype=bool)
    idx = np.array([[0, 0], [3, 1], [2, 2]])
    xn, xt = both(x, True)
    yn = OPS[name](nnkit, xn, nnkit.tensor(mask), nnkit.tensor(idx))
    yt = OPS[name](torch, xt, torch.tensor(mask), torch.tensor(idx))
    np.testing.assert_allclose(yn.data, t2n(yt), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(yn.shape)
    (yn * nnkit.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xn.grad, t2n(xt.grad), rtol=1e-10, atol=1e-12)
    assert nnkit.gradcheck(lambda a: OPS[name](nnkit, a, nnkit.tensor(mask), nnkit.tensor(idx)), xn)


def test_zero_gradients_at_zero_match_torch():
    for f in (lambda z: z.norm(), lambda z: z.std(), lambda z: z.prod()):
        zn, zt = both(np.zeros(3), True)
        f(zn).backward()
        f(zt).backward()
        np.testing.assert_array_equal(zn.grad, t2n(zt.grad))


def test_layer_norm_without_bias_and_unbatched_conv_and_pools_match_torch():
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == \
        [n for n, _ in torch.nn.LayerNorm(4, bias=False).named_parameters()]
    x = rng.standard_normal((2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    for stride, padding in ((1, 1), (2, 0)):
        xn, xt = both(x, True)
        wn, wt = both(w, True)
        yn, yt = F.conv2d(xn, wn, None, stride, padding), TF.conv2d(xt, wt, None, stride, padding)
        assert yn.shape == tuple(yt.shape)
        np.testing.assert_allclose(yn.data, t2n(yt), rtol=1e-10)
        g = rng.standard_normal(yn.shape)
        (yn * nnkit.tensor(g)).sum().backward()
        (yt * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(xn.grad, t2n(xt.grad), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(wn.grad, t2n(wt.grad), rtol=1e-10, atol=1e-12)
    for fn, tfn in ((F.max_pool2d, TF.max_pool2d), (F.avg_pool2d, TF.avg_pool2d)):
        xn, xt = both(x)
        np.testing.assert_allclose(fn(xn, 2).data, t2n(tfn(xt, 2)), rtol=1e-12)


def test_inplace_flags_accepted_as_in_torch():
    x = rng.standard_normal(5)
    for mod, args in (("ReLU", (True,)), ("LeakyReLU", (0.1, True)), ("ELU", (1.0, True))):
        a = getattr(nn, mod)(*args)(nnkit.tensor(x))
        b = getattr(torch.nn, mod)(*args)(torch.tensor(x))
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-12)


def test_the_three_line_change_of_the_pytorch_page_trains_in_both():
    """book/from_nnkit_to_pytorch.md: its training loop runs as nnkit, and as PyTorch with its first
    three lines replaced by the page's second block; both reach > 90 % test accuracy."""
    import os
    import re
    page = open(os.path.join(os.path.dirname(__file__), "..", "book", "from_nnkit_to_pytorch.md"),
                encoding="utf-8").read()
    loop, torch_head = re.findall(r"```python\n(.*?)```", page, re.S)[:2]
    lines = loop.splitlines()
    assert lines[0] == "import nnkit as torch" and len(torch_head.splitlines()) == 3
    for source in (loop, torch_head + "\n".join(lines[3:])):
        scope = {}
        exec(compile(source, "from_nnkit_to_pytorch.md", "exec"), scope)
        assert scope["torch"].__name__ == ("nnkit" if source is loop else "torch")
        assert scope["accuracy"] > 0.9, (scope["torch"].__name__, scope["accuracy"])
