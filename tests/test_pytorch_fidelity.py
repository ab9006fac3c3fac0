"""Where a PyTorch habit used to give a silent wrong answer, a crash or a missing method in nnkit
(issue 17): each behaviour checked here by hand; tests/test_torch_parity_api.py checks the same
against PyTorch where it is installed."""
import copy
import pickle

import numpy as np
import pytest

import nnkit
from nnkit import gradcheck, nn, optim
from nnkit.data import DataLoader, Dataset, TensorDataset
from nnkit.nn import functional as F

rng = np.random.default_rng(0)


def T(a):
    return nnkit.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------------ dims out of range raise
DIM_OPS = {
    "sum": lambda x, d: x.sum(dim=d), "mean": lambda x, d: x.mean(d), "max": lambda x, d: x.max(d),
    "min": lambda x, d: x.min(dim=d), "argmax": lambda x, d: x.argmax(d), "argmin": lambda x, d: x.argmin(d),
    "squeeze": lambda x, d: x.squeeze(d), "flatten_start": lambda x, d: x.flatten(d),
    "flatten_end": lambda x, d: x.flatten(0, d), "transpose": lambda x, d: x.transpose(0, d),
    "permute": lambda x, d: x.permute(0, d), "softmax": lambda x, d: x.softmax(d),
    "log_softmax": lambda x, d: x.log_softmax(d), "F.softmax": lambda x, d: F.softmax(x, d),
    "var": lambda x, d: x.var(d), "std": lambda x, d: x.std(d), "prod": lambda x, d: x.prod(d),
    "cumsum": lambda x, d: x.cumsum(d), "norm": lambda x, d: x.norm(dim=d), "amax": lambda x, d: x.amax(d),
    "all": lambda x, d: x.all(d), "any": lambda x, d: x.any(d), "flip": lambda x, d: x.flip(d),
    "unbind": lambda x, d: x.unbind(d), "chunk": lambda x, d: x.chunk(2, d), "size": lambda x, d: x.size(d),
    "cat": lambda x, d: nnkit.cat([x, x], d), "gather": lambda x, d: x.gather(d, np.zeros((2, 3), np.int64)),
    "Flatten": lambda x, d: nn.Flatten(d)(x), "sum_tuple": lambda x, d: x.sum(dim=(0, d)),
}


@pytest.mark.parametrize("name", sorted(DIM_OPS))
@pytest.mark.parametrize("bad", [2, -3, 7])
def test_dim_out_of_range_raises_index_error(name, bad):
    """A 2-D tensor takes dims -2..1; anything else is an IndexError (it used to wrap around:
    x.sum(dim=2) summed dim 0)."""
    x = nnkit.tensor(rng.standard_normal((2, 3)))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                                         rf"but got {bad}\)"):
        DIM_OPS[name](x, bad)
    DIM_OPS[name](x, -1)                                      # the last valid dim works


def test_dim_range_of_unsqueeze_and_stack_is_one_wider():
    x = nnkit.ones(2, 3)
    assert x.unsqueeze(2).shape == (2, 3, 1) and x.unsqueeze(-3).shape == (1, 2, 3)
    assert nnkit.stack([x, x], dim=2).shape == (2, 3, 2) and nnkit.stack([x, x], -3).shape == (2, 2, 3)
    for f in (lambda: x.unsqueeze(3), lambda: nnkit.stack([x, x], 3), lambda: x.unsqueeze(-4)):
        with pytest.raises(IndexError, match=r"range of \[-3, 2\]"):
            f()


def test_zero_dim_tensor_takes_dim_0_and_minus_1():
    s = nnkit.tensor(3.0, requires_grad=True)
    assert s.sum(0).item() == 3.0 and s.mean(-1).item() == 3.0 and s.max(0).values.item() == 3.0
    assert s.max(0).indices.item() == 0 and s.argmax(0).item() == 0
    with pytest.raises(IndexError, match=r"range of \[-1, 0\]"):
        s.sum(1)


# ---------------------------------------------------------------- max(dim) / min(dim): (values, indices)
def test_max_min_dim_return_values_and_indices():
    x = nnkit.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    out = x.max(1)
    assert out.values.tolist() == [5.0, 7.0] and out.indices.tolist() == [1, 0]
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == np.int64
    _, pred = x.max(1)                                      # the accuracy idiom gets the classes
    assert pred.tolist() == [1, 0]
    assert x.min(0).values.tolist() == [1.0, 0.0, 2.0] and x.min(0).indices.tolist() == [0, 1, 0]
    kv = x.max(1, keepdim=True)
    assert kv.values.shape == (2, 1) and kv.indices.shape == (2, 1)
    assert isinstance(x.max(), nnkit.Tensor) and x.max().item() == 7.0    # no dim: one tensor
    assert nnkit.max(x, 1).indices.tolist() == [1, 0]
    assert repr(out).startswith("max(values=tensor([5., 7.]), indices=tensor([1, 0]))")


def test_max_values_carry_the_gradient():
    x = T([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x.max(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    assert not x.max(1).indices.requires_grad


# ------------------------------------------------------------------------------ dtype promotion
PROMOTION = [   # (a, b, expected) with a, b built by the lambdas below; expectations are PyTorch's
    ("int64 * 0.5", lambda: nnkit.tensor([1, 2]) * 0.5, np.float32),
    ("0.5 * int64", lambda: 0.5 * nnkit.tensor([1, 2]), np.float32),
    ("int64 / int64", lambda: nnkit.tensor([1, 2]) / nnkit.tensor([2, 3]), np.float32),
    ("int64 / 2", lambda: nnkit.tensor([1, 2]) / 2, np.float32),
    ("float32 * int64 tensor", lambda: nnkit.tensor([1.0, 2.0]) * nnkit.tensor([1, 2]), np.float32),
    ("float32 + 0-d float64", lambda: nnkit.tensor([1.0]) + nnkit.tensor(np.float64(2)), np.float32),
    ("int32 + 3", lambda: nnkit.tensor(np.array([1], np.int32)) + 3, np.int32),
    ("int32 + 0-d float64", lambda: nnkit.tensor(np.array([1], np.int32)) + nnkit.tensor(np.float64(2)),
     np.float64),
    ("float32 + float64 tensor", lambda: nnkit.tensor([1.0]) + nnkit.tensor(np.ones(1)), np.float64),
    ("bool * 2.5", lambda: nnkit.tensor([True]) * 2.5, np.float32),
    ("bool + bool", lambda: nnkit.tensor([True]) + nnkit.tensor([True]), np.bool_),
    ("int ** 0.5", lambda: nnkit.tensor([4]) ** 0.5, np.float32),
    ("0-d int64 + 2.5", lambda: nnkit.tensor(3) + 2.5, np.float32),
    ("0-d int32 + 3", lambda: nnkit.tensor(np.int32(3)) + 3, np.int32),
    ("float32 * np.float64", lambda: nnkit.tensor([1.0]) * np.float64(2), np.float32),
    ("where int, 0.5", lambda: nnkit.where(np.array([True, False]), nnkit.tensor([1, 2]), 0.5), np.float32),
    ("cat float32, float64", lambda: nnkit.cat([nnkit.ones(1), nnkit.tensor(np.ones(1))]), np.float64),
    ("stack int, float", lambda: nnkit.stack([nnkit.tensor([1]), nnkit.tensor([1.0])]), np.float32),
    ("clamp int, 1.5", lambda: nnkit.tensor([1, 2, 3]).clamp(min=1.5), np.float32),
    ("exp(int)", lambda: nnkit.tensor([1, 2]).exp(), np.float32),
    ("sigmoid(int)", lambda: nnkit.tensor([1, 2]).sigmoid(), np.float32),
    ("abs(int)", lambda: nnkit.tensor([1, -2]).abs(), np.int64),
    ("sum(int32)", lambda: nnkit.tensor(np.array([1], np.int32)).sum(), np.int64),
    ("sum(bool)", lambda: nnkit.tensor([True, True]).sum(), np.int64),
    ("full(7)", lambda: nnkit.full((2,), 7), np.int64),
    ("full(7.0)", lambda: nnkit.full((2,), 7.0), np.float32),
]


@pytest.mark.parametrize("name,make,expected", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_type_promotion_is_pytorchs(name, make, expected):
    assert make().dtype == np.dtype(expected)


def test_values_are_computed_in_the_promoted_dtype():
    out = nnkit.tensor([1, 2, 3]) / 2
    np.testing.assert_array_equal(out.data, np.array([0.5, 1.0, 1.5], np.float32))
    assert nnkit.result_type(nnkit.tensor([1, 2]), 0.5) == np.float32
    assert nnkit.promote_types(nnkit.int64, nnkit.float32) == np.float32        # NumPy: float64


@pytest.mark.parametrize("op", ["mean", "var", "std", "norm", "softmax", "log_softmax"])
def test_float_only_reductions_refuse_integers(op):
    with pytest.raises(RuntimeError, match="floating point"):
        getattr(nnkit.tensor([1, 2, 3]), op)()


LAYERS = [
    ("Linear", lambda: nn.Linear(3, 2), (4, 3)),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3), (1, 1, 5, 5)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), (4, 3)),
    ("LayerNorm", lambda: nn.LayerNorm(3), (4, 3)),
    ("PReLU", lambda: nn.PReLU(), (4, 3)),
    ("RNNCell", lambda: nn.RNNCell(3, 2), (4, 3)),
    ("LSTMCell", lambda: nn.LSTMCell(3, 2), (4, 3)),
    ("GRUCell", lambda: nn.GRUCell(3, 2), (4, 3)),
]


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[x[0] for x in LAYERS])
def test_float64_input_into_float32_layer_raises(name, make, shape):
    """PyTorch's dtype error instead of a silent float64 computation; .float() or .double() fixes it."""
    layer, x = make(), rng.standard_normal(shape)
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        layer(nnkit.tensor(x))
    out = layer(nnkit.tensor(x).float())
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float32
    out = layer.double()(nnkit.tensor(x))
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float64


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_float64_input_into_float32_rnn_raises_value_error(cls):
    with pytest.raises(ValueError, match=r"input dtype \(float64\) does not match weight dtype \(float32\)"):
        getattr(nn, cls)(3, 2)(nnkit.tensor(rng.standard_normal((5, 4, 3))))


def test_matmul_of_two_dtypes_raises():
    with pytest.raises(RuntimeError, match="same dtype"):
        nnkit.ones(2, 3) @ nnkit.tensor(np.ones((3, 2)))
    assert (nnkit.ones(2, 3) @ nnkit.ones(3, 2)).dtype == np.float32


def test_loss_dtypes_follow_pytorch():
    x32 = nnkit.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y64 = rng.standard_normal(4)
    loss = F.mse_loss(x32, y64)
    assert loss.dtype == np.float64
    loss.backward()
    assert x32.grad.dtype == np.float32
    with pytest.raises(RuntimeError, match="expected target of the input's dtype float32, got float64"):
        F.binary_cross_entropy(x32.sigmoid(), rng.uniform(size=4))
    with pytest.raises(TypeError, match=r"int64, or uint8.*got dtype int32 \(convert with .long\(\)\)"):
        F.cross_entropy(nnkit.randn(2, 3), np.array([0, 1], np.int32))


# -------------------------------------------------------------- in-place updates under no_grad
def test_manual_sgd_idiom_updates_the_parameter_in_place():
    w = nn.Parameter(np.array([1.0, 2.0], dtype=np.float32))
    (w * w).sum().backward()
    same = w
    with nnkit.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)
    w.data -= 0.5 * w.grad                                  # the .data spelling
    np.testing.assert_allclose(w.data, [-0.2, -0.4], rtol=1e-5)
    w.grad = None
    (w * w).sum().backward()                                # the graph still works afterwards
    np.testing.assert_allclose(w.grad, [-0.4, -0.8], rtol=1e-5)


def test_in_place_ops_outside_no_grad_and_bad_casts_raise_before_changing_anything():
    w = nn.Parameter(np.array([1.0, 2.0], dtype=np.float32))
    with pytest.raises(RuntimeError, match="only under nnkit.no_grad"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="only under nnkit.no_grad"):
        w.add_(1.0)
    i = nnkit.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type int64"):
        i += 0.5
    with pytest.raises(ValueError, match=r"broadcasting shapes \(2,\) and \(3,\)"):
        i += np.ones(3, np.int64)
    assert w.data.tolist() == [1.0, 2.0] and i.tolist() == [1, 2]


def test_in_place_methods():
    x = nnkit.tensor([1.0, 2.0])
    assert x.add_(nnkit.tensor([1.0, 1.0]), alpha=2) is x and x.tolist() == [3.0, 4.0]
    x.sub_(1.0).mul_(2.0).div_(4.0)
    assert x.tolist() == [1.0, 1.5]
    x *= 2
    x /= 4
    x += 1
    assert x.tolist() == [1.5, 1.75]
    assert x.zero_().tolist() == [0.0, 0.0] and x.fill_(7).tolist() == [7.0, 7.0] and x.dtype == np.float32
    p = nn.Parameter(np.ones(2, np.float32))
    with nnkit.no_grad():
        p.zero_()
    assert p.tolist() == [0.0, 0.0]


# ------------------------------------------------------------- state that round-trips exactly
def _model():
    nnkit.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
]
SCHEDULERS = [
    (optim.lr_scheduler.StepLR, dict(step_size=2, gamma=0.5)),
    (optim.lr_scheduler.MultiStepLR, dict(milestones=[1, 3, 3], gamma=0.5)),
    (optim.lr_scheduler.ExponentialLR, dict(gamma=0.8)),
    (optim.lr_scheduler.CosineAnnealingLR, dict(T_max=3, eta_min=0.001)),
    (optim.lr_scheduler.LambdaLR, dict(lr_lambda=lambda e: 1 / (1 + e))),
]


def _epochs(model, opt, sched, epochs, start=0):
    X = np.random.default_rng(1).standard_normal((8, 3)).astype(np.float32)
    lrs = []
    for e in range(start, start + epochs):
        xb = nnkit.tensor(X + e)
        opt.zero_grad()
        ((model(xb) - 1.0) ** 2).mean().backward()
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize("opt_cls,opt_kw", OPTIMIZERS, ids=[o[0].__name__ for o in OPTIMIZERS])
@pytest.mark.parametrize("sched_cls,sched_kw", SCHEDULERS, ids=[s[0].__name__ for s in SCHEDULERS])
@pytest.mark.parametrize("order", ["scheduler built before loading", "scheduler built after loading"])
def test_resume_from_state_dicts_continues_the_same_trajectory(opt_cls, opt_kw, sched_cls, sched_kw, order):
    model = _model()
    opt = opt_cls(model.parameters(), **opt_kw)
    sched = sched_cls(opt, **sched_kw)
    lrs = _epochs(model, opt, sched, 7)
    ref = [p.data.copy() for p in model.parameters()]

    model = _model()
    opt = opt_cls(model.parameters(), **opt_kw)
    sched = sched_cls(opt, **sched_kw)
    lrs2 = _epochs(model, opt, sched, 4)
    saved = pickle.loads(pickle.dumps((model.state_dict(), opt.state_dict(),
                                       {k: v for k, v in sched.state_dict().items() if k != "lr_lambdas"})))
    model2 = _model()
    opt2 = opt_cls(model2.parameters(), **opt_kw)
    model2.load_state_dict(saved[0])
    if order == "scheduler built before loading":
        sched2 = sched_cls(opt2, **sched_kw)
        opt2.load_state_dict(saved[1])
    else:
        opt2.load_state_dict(saved[1])
        sched2 = sched_cls(opt2, **sched_kw)
    sched2.load_state_dict(saved[2])
    assert sched2.get_last_lr() == lrs2[-1:] and opt2.param_groups[0]["lr"] == lrs2[-1]
    lrs2 += _epochs(model2, opt2, sched2, 3, start=4)
    assert lrs2 == lrs                                       # exactly, not approximately
    for p, r in zip(model2.parameters(), ref):
        np.testing.assert_array_equal(p.data, r)


def test_cosine_schedule_matches_its_closed_form():
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=0.1)
    s = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    for t in range(1, 25):
        opt.step()
        s.step()
        closed = 0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * t / 10)) / 2
        assert s.get_last_lr()[0] == pytest.approx(closed, rel=1e-12, abs=1e-15)


def test_tied_weights_are_listed_under_both_names():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.Tanh(), lin)
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    sd = m.state_dict()
    sd["2.weight"] = nnkit.ones(2, 2)
    sd["0.weight"] = nnkit.ones(2, 2)
    m2 = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2))
    assert m2.load_state_dict(sd) == ([], [])
    np.testing.assert_array_equal(m2[2].weight.data, np.ones((2, 2)))


def test_load_state_dict_returns_the_named_pair_and_checks_before_copying():
    m = nn.Linear(2, 3)
    out = m.load_state_dict({"weight": np.zeros((3, 2)), "extra": np.zeros(1)}, strict=False)
    assert out.missing_keys == ["bias"] and out.unexpected_keys == ["extra"]
    missing, unexpected = out
    assert missing == ["bias"]
    before = m.weight.data.copy()
    with pytest.raises(ValueError, match="size mismatch for bias"):
        m.load_state_dict({"weight": np.ones((3, 2)), "bias": np.ones(5)})
    np.testing.assert_array_equal(m.weight.data, before)     # nothing copied


# ------------------------------------------------------------------ crashes and half-done updates
@pytest.mark.parametrize("opt_cls,opt_kw", OPTIMIZERS, ids=[o[0].__name__ for o in OPTIMIZERS])
def test_add_param_group_then_step(opt_cls, opt_kw):
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = opt_cls([a], **opt_kw)
    opt.add_param_group({"params": [b], "lr": 0.5})
    a.grad, b.grad = np.ones(2), np.ones(3)
    opt.step()
    opt.step()
    assert (b.data < 1).all() and (a.data < 1).all()
    assert len(opt.state_dict()["state"]) == 2


def test_wrongly_shaped_grad_raises_before_any_parameter_moves():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(4)
    with pytest.raises(ValueError, match=r"gradient of shape \(4,\) does not match parameter 0 of group 1"):
        opt.step()
    assert a.data.tolist() == [1.0, 1.0]                     # a was not moved either
    with pytest.raises(RuntimeError, match=r"holds a .grad of shape \(4,\)"):
        (b * 2).sum().backward()


def test_clamp_with_tensor_bounds_and_its_gradient():
    x = T([-2.0, 0.5, 3.0, 1.0])
    lo, hi = T([-1.0, -1.0, -1.0, 2.0]), T([1.0, 1.0, 2.0, 1.5])
    y = x.clamp(lo, hi)
    assert y.tolist() == [-1.0, 0.5, 2.0, 1.5]
    y.sum().backward()
    assert x.grad.tolist() == [0, 1, 0, 0] and lo.grad.tolist() == [1, 0, 0, 0]
    assert hi.grad.tolist() == [0, 0, 1, 1]                  # min > max: the value and gradient are max's
    assert gradcheck(lambda a, b, c: a.clamp(b, c), T([-2.0, 0.5, 3.0]), T([-1.0, -1.0, -1.0]),
                     T([1.0, 1.0, 2.0]))
    assert gradcheck(lambda a, b: nnkit.clamp(a, min=b), T([-2.0, 0.5]), T([0.0, 0.0]))


def test_dataloader_of_bare_arrays_yields_the_batch():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32)

    batches = list(DataLoader(Squares(), batch_size=2))
    assert isinstance(batches[0], nnkit.Tensor) and batches[0].shape == (2, 2)
    assert batches[2].tolist() == [[4.0, 16.0]]

    class Pairs(Squares):
        def __getitem__(self, i):
            return {"x": np.float32(i), "y": i % 2}

    b = next(iter(DataLoader(Pairs(), batch_size=3)))
    assert b["x"].tolist() == [0.0, 1.0, 2.0] and b["y"].tolist() == [0, 1, 0]
    xb, yb = next(iter(DataLoader(TensorDataset(np.ones((4, 2)), np.arange(4)), batch_size=4)))
    assert xb.shape == (4, 2) and yb.tolist() == [0, 1, 2, 3]


def test_stack_and_cat_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"stack expects each tensor to be equal size, but got \(2, 3\) at "
                                         r"entry 0 and \(3,\) at entry 1"):
        nnkit.stack([nnkit.ones(2, 3), nnkit.ones(3)])
    with pytest.raises(ValueError, match=r"cat: sizes of tensors must match except in dimension 0: tensor 0 has "
                                         r"shape \(2, 3\), tensor 1 has shape \(2, 2\)"):
        nnkit.cat([nnkit.ones(2, 3), nnkit.ones(2, 2)])


# ----------------------------------------------------------------------- the everyday Tensor API
def test_everyday_methods_values():
    x = nnkit.tensor([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]])
    np.testing.assert_allclose(x.var().item(), np.var(x.data, ddof=1), rtol=1e-6)      # unbiased
    np.testing.assert_allclose(x.var(1, unbiased=False).data, np.var(x.data, 1), rtol=1e-6)
    np.testing.assert_allclose(x.std(0, correction=0).data, np.std(x.data, 0), rtol=1e-6)
    assert x.dim() == 2 and x.t().shape == (3, 2) and x.clone().tolist() == x.tolist()
    assert x[0].expand(2, 3).tolist() == [[1, 2, 3]] * 2 and x[:, :1].expand(-1, 2).shape == (2, 2)
    assert x.repeat(2, 1).shape == (4, 3) and x.repeat(1, 1, 2).shape == (1, 2, 6)
    assert x.masked_fill(x > 3, 0.0).tolist() == [[1, 2, 3], [0, 0, 0]]
    assert x.gather(1, np.array([[2], [0]])).tolist() == [[3], [4]]
    np.testing.assert_allclose(x.log1p().data, np.log1p(x.data), rtol=1e-6)
    assert x.square().tolist() == [[1, 4, 9], [16, 36, 64]]
    assert (x > 0).all().item() and not (x > 5).all().item() and (x > 5).any(1).tolist() == [False, True]
    assert x.flip(1).tolist() == [[3, 2, 1], [8, 6, 4]] and x.flip((0, 1))[0].tolist() == [8, 6, 4]
    assert x.cumsum(1).tolist() == [[1, 3, 6], [4, 10, 18]] and x.prod().item() == 1152
    np.testing.assert_allclose(x.norm().item(), np.linalg.norm(x.data), rtol=1e-6)
    assert x.norm(p=1, dim=1).tolist() == [6, 18] and x.norm(float("inf")).item() == 8
    assert [t.tolist() for t in x.unbind(1)] == [[1, 4], [2, 6], [3, 8]]
    assert [c.shape for c in nnkit.arange(5).chunk(3)] == [(2,), (2,), (1,)]
    assert x.add(1, alpha=1).tolist() == (x + 1).tolist() and x.sub(x, alpha=2).tolist() == (-x).tolist()
    assert x.mul(2).tolist() == (x * 2).tolist() and x.pow(2).tolist() == x.square().tolist()
    assert x.matmul(x.t()).shape == (2, 2) and x.div(2).tolist() == (x / 2).tolist()
    assert x.to("cpu") is x and x.cpu() is x and x.device == "cpu" and x.to("cpu", nnkit.float64).dtype == np.float64
    assert x.to(nnkit.tensor([1])).dtype == np.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    m = nn.Linear(2, 2)
    assert m.to("cpu") is m and m.cpu() is m


NEW_OPS = {
    "var": lambda x: x.var(1), "var_all_biased": lambda x: x.var(unbiased=False),
    "std": lambda x: x.std(0, keepdim=True), "clone": lambda x: x.clone() * x, "t": lambda x: x.t(),
    "expand": lambda x: x[:, :1].expand(3, 4) * x, "repeat": lambda x: x.repeat(2, 1, 2),
    "masked_fill": lambda x: x.masked_fill(np.eye(3, 4, dtype=bool), -1.0),
    "gather": lambda x: x.gather(1, np.array([[0, 0], [3, 1], [2, 2]])),
    "log1p": lambda x: (x * x).log1p(), "square": lambda x: x.square(), "flip": lambda x: x.flip((0, 1)) * x,
    "cumsum": lambda x: x.cumsum(0), "prod": lambda x: x.prod(1), "prod_all": lambda x: x.prod(),
    "norm": lambda x: x.norm(), "norm_dim": lambda x: x.norm(dim=1, keepdim=True), "norm_p3": lambda x: x.norm(3),
    "norm_inf": lambda x: x.norm(float("inf"), dim=0), "amax": lambda x: x.amax((0, 1)),
    "amin": lambda x: x.amin(1), "unbind": lambda x: x.unbind(1)[2] * x.unbind(0)[1][:3],
    "chunk": lambda x: x.chunk(2, 1)[1], "add_alpha": lambda x: x.add(x * x, alpha=0.5),
    "sub_alpha": lambda x: x.sub(x.exp(), alpha=2), "mul": lambda x: x.mul(x), "pow": lambda x: x.pow(3),
    "matmul": lambda x: x.matmul(x.t()), "div": lambda x: x.div(x * x + 1),
}


@pytest.mark.parametrize("name", sorted(NEW_OPS))
def test_new_ops_gradcheck(name):
    x = np.random.default_rng(3).permutation(12).reshape(3, 4) / 4.0 - 1.3      # distinct, nonzero
    assert gradcheck(NEW_OPS[name], T(x))


def test_prod_gradient_with_zeros():
    x = T([0.0, 2.0, 3.0])
    x.prod().backward()
    assert x.grad.tolist() == [6.0, 0.0, 0.0]
    x = T([[0.0, 2.0], [0.0, 0.0]])
    x.prod(1).sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0], [0.0, 0.0]]


def test_norm_and_std_gradients_are_zero_at_zero_as_torch():
    for f in (lambda z: z.norm(), lambda z: z.std()):
        z = T(np.zeros(3))
        f(z).backward()
        assert z.grad.tolist() == [0.0, 0.0, 0.0]


def test_layer_norm_without_bias_inplace_flags_and_unbatched_conv():
    ln = nn.LayerNorm(4, bias=False)
    assert [n for n, _ in ln.named_parameters()] == ["weight"] and ln.bias is None
    assert ln(nnkit.randn(2, 4)).shape == (2, 4)
    x = nnkit.tensor([-1.0, 2.0])
    for m in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True), nn.ELU(inplace=True), nn.Dropout(0.5, True)):
        m.eval()
        m(x)
    assert x.tolist() == [-1.0, 2.0]                          # nnkit never changes the input
    assert F.relu(x, inplace=True).tolist() == [0.0, 2.0] and F.dropout(x, 0.5, False, inplace=True) is x
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    xb = rng.standard_normal((1, 2, 5, 5))
    np.testing.assert_allclose(conv(nnkit.tensor(xb[0])).data, conv(nnkit.tensor(xb)).data[0], rtol=1e-12)
    assert gradcheck(lambda a, w: F.conv2d(a, w, stride=2, padding=1), T(xb[0]), T(rng.standard_normal((3, 2, 3, 3))))
    assert nn.MaxPool2d(2)(nnkit.tensor(xb[0])).shape == (2, 2, 2)


def test_state_dict_snapshot_is_deep():
    m = _model()
    opt = optim.Adam(m.parameters(), lr=0.1)
    _epochs(m, opt, optim.lr_scheduler.StepLR(opt, 1), 1)
    sd = copy.deepcopy(opt.state_dict())
    before = sd["state"][0]["exp_avg"].copy()
    _epochs(m, opt, optim.lr_scheduler.StepLR(opt, 1), 1)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["exp_avg"] != before, True)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)
